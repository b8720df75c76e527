//! The demo gallery in light and dark: every visible piece of text meets WCAG AA contrast
//! (4.5:1, also for large text) against the background it is drawn on, computed in the page
//! (the first non-transparent backgrounds up the ancestors, composited), and a screenshot of
//! the top of each (1280 × 1600) is kept in `<target>/browser-tests/` for a reader to look at.

use serde_json::Value;
use testkit::chromium::{Chromium, ColorScheme};
use testkit::require;
use testkit::tools::Tool;

use super::charts::{charts, work_dir};
use super::origin::{Origin, Policy};

/// WCAG 2.x success criterion 1.4.3 (AA) for normal text.
const AA: f64 = 4.5;

/// For each element holding visible text: a description, its text, its colour, its
/// effective background and their contrast ratio (WCAG relative luminance).
const CONTRAST_JS: &str = r#"(() => {
  const parse = (css) => {
    const m = css.match(/^rgba?\(([^)]*)\)$/);
    if (!m) throw new Error(`a colour this check cannot read: ${css}`);
    const p = m[1].split(/[\s,\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const over = (top, under) => {
    const a = top[3] + under[3] * (1 - top[3]);
    if (a === 0) return [0, 0, 0, 0];
    return [0, 1, 2].map((i) => (top[i] * top[3] + under[i] * under[3] * (1 - top[3])) / a).concat([a]);
  };
  const background = (element) => {
    const layers = [];
    for (let e = element; e; e = e.parentElement) {
      const style = getComputedStyle(e);
      if (style.backgroundImage !== "none") throw new Error(`a background image under ${describe(element)}`);
      const c = parse(style.backgroundColor);
      if (c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
    }
    let color = [255, 255, 255, 1]; // the canvas, when no ancestor is opaque
    for (const layer of layers.reverse()) color = over(layer, color);
    return color;
  };
  const luminance = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const ratio = (a, b) => {
    const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
    return (hi + 0.05) / (lo + 0.05);
  };
  const describe = (e) => {
    const name = (n) => n.localName + (n.className ? "." + String(n.className).split(" ").join(".") : "");
    return e.parentElement ? `${name(e.parentElement)} > ${name(e)}` : name(e);
  };
  const rgb = (c) => `rgb(${c.slice(0, 3).map(Math.round).join(", ")})`;
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const text = walker.currentNode;
    if (!text.textContent.trim()) continue;
    const element = text.parentElement;
    const range = document.createRange();
    range.selectNodeContents(text);
    const style = getComputedStyle(element);
    if (range.getClientRects().length === 0 || style.visibility !== "visible" || Number(style.opacity) === 0) continue;
    const bg = background(element);
    const fg = over(parse(style.color), bg);
    found.push({ element: describe(element), text: text.textContent.trim().slice(0, 40),
                 color: rgb(fg), background: rgb(bg), ratio: ratio(fg, bg) });
  }
  return found;
})()"#;

fn check(scheme: ColorScheme) {
    require!(Tool::Chromium);
    let charts = charts();
    let origin = Origin::start(&charts.site, Policy::default());
    let mut browser = Chromium::launch();
    let mut page = browser.new_page(1280, 1600);
    page.set_color_scheme(scheme);
    page.goto(&format!("{}/author-monthly-stats/index.html", origin.url));
    assert_eq!(
        page.eval("matchMedia('(prefers-color-scheme: dark)').matches"),
        scheme == ColorScheme::Dark
    );
    // Every chart loaded (none lazily left out of the screenshot).
    page.eval(
        "Promise.all([...document.images].map((i) => { i.loading = 'eager'; return i.decode(); }))",
    );
    let shot = work_dir().join(format!("gallery-{}.png", scheme.as_str()));
    std::fs::write(&shot, page.screenshot((0.0, 0.0, 1280.0, 1600.0)))
        .expect("writing the screenshot");

    let texts = page.eval(CONTRAST_JS);
    let texts = texts.as_array().expect("a list of texts");
    let elements: Vec<&str> = texts.iter().filter_map(|t| t["element"].as_str()).collect();
    for expected in [
        "body > h1",
        "p > code",
        "figcaption > a",
        "div.format > a",
        "figure > figcaption",
    ] {
        assert!(
            elements.contains(&expected),
            "the check found no text in {expected} (it found {elements:?})"
        );
    }
    // One line per kind of text (element, colour, background), with how often it occurs.
    let mut failing: Vec<(String, usize)> = Vec::new();
    for text in texts
        .iter()
        .filter(|t| t["ratio"].as_f64().unwrap_or(0.0) < AA)
    {
        let line = describe(text);
        match failing.iter_mut().find(|(kind, _)| kind == &line) {
            Some((_, count)) => *count += 1,
            None => failing.push((line, 1)),
        }
    }
    let failing: Vec<String> = failing
        .into_iter()
        .map(|(kind, count)| format!("{kind}  ×{count}"))
        .collect();
    assert!(
        failing.is_empty(),
        "{} kinds of the {} texts of the gallery in {} are below WCAG AA contrast {AA}:1 (xtask/src/demo.rs; screenshot {}):\n{}",
        failing.len(),
        texts.len(),
        scheme.as_str(),
        shot.display(),
        failing.join("\n")
    );
}

/// A failing text's kind: its contrast, colours and element.
fn describe(text: &Value) -> String {
    format!(
        "  {:.2}:1  {} on {}  {}",
        text["ratio"].as_f64().unwrap_or(0.0),
        text["color"].as_str().unwrap_or("?"),
        text["background"].as_str().unwrap_or("?"),
        text["element"].as_str().unwrap_or("?"),
    )
}

#[test]
fn every_text_of_the_light_gallery_meets_wcag_aa_contrast() {
    check(ColorScheme::Light);
}

#[test]
fn every_text_of_the_dark_gallery_meets_wcag_aa_contrast() {
    check(ColorScheme::Dark);
}
