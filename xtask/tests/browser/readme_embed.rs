//! The README's embed, as a profile page uses it: its `<picture>` snippet and its widget
//! (script and placeholder `<img>`) extracted from README.md, so they cannot drift, on a page
//! of one origin, with the charts on a second origin that answers as the stack's
//! distribution does (its response headers policy, read from the template). The picture and
//! the widget follow the reader's colour scheme; the widget takes `src` and `alt` from
//! `<slug>.stats.json` and leaves its placeholder, without an error, when the stats are
//! missing or CORS is refused.

use std::path::PathBuf;

use contract::files::DEFAULT_CHARTS_PREFIX;
use serde_json::{json, Value};
use testkit::chromium::{Chromium, ColorScheme, Page};
use testkit::require;
use testkit::tools::Tool;

use super::charts::{charts, work_dir};
use super::origin::{Origin, Policy};
use super::response_headers::stack_policy;

/// The slug the README's examples use.
const README_SLUG: &str = "tanaka-emi";

/// The embed as the README shows it.
struct Snippets {
    /// The `<picture>` block.
    picture: String,
    /// The placeholder `<img data-author-chart=…>` the widget fills.
    placeholder: String,
    /// The widget's module script (the inside of its `<script type="module">`).
    widget: String,
}

/// The section under `heading` of the project's file `path`, and its ```html blocks.
fn section(path: &str, heading: &str) -> (String, Vec<String>) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(path);
    let text = std::fs::read_to_string(&path).expect("the project's file");
    let start = text
        .find(heading)
        .unwrap_or_else(|| panic!("{} has no section {heading}", path.display()));
    let section = &text[start..];
    // Up to the next heading of level 2 or 3 (a `#` at a line start in a code block is none).
    let end = ["\n## ", "\n### "]
        .iter()
        .filter_map(|h| section[1..].find(h).map(|end| end + 1))
        .min()
        .unwrap_or(section.len());
    let section = &section[..end];
    let blocks = section
        .split("```html\n")
        .skip(1)
        .map(|rest| {
            rest[..rest.find("```").expect("a closed code block")]
                .trim_end()
                .to_owned()
        })
        .collect();
    (section.to_owned(), blocks)
}

fn snippets() -> Snippets {
    let (section, blocks) = section("README.md", "### Embedding a chart");
    let block = |opening: &str| {
        blocks
            .iter()
            .find(|b| b.starts_with(opening))
            .unwrap_or_else(|| {
                panic!("no ```html block starting {opening} under `Embedding a chart`")
            })
            .clone()
    };
    let script = block("<script type=\"module\">");
    let widget = script["<script type=\"module\">".len()..]
        .strip_suffix("</script>")
        .expect("the widget's script ends with </script>")
        .to_owned();
    let at = section
        .find("`<img data-author-chart=")
        .expect("the widget's placeholder `<img data-author-chart=…>` in the text");
    let placeholder =
        section[at + 1..at + 1 + section[at + 1..].find('`').expect("its end")].to_owned();
    Snippets {
        picture: block("<picture>"),
        placeholder,
        widget,
    }
}

/// A page on its own origin (its own folder and server) showing `body`; the widget, once
/// written, is `widget.js` beside it.
struct EmbedPage {
    dir: PathBuf,
    origin: Origin,
}

impl EmbedPage {
    fn start(name: &str, body: &str) -> EmbedPage {
        let dir = work_dir().join("pages").join(name);
        std::fs::create_dir_all(&dir).expect("the page's folder");
        std::fs::write(
            dir.join("index.html"),
            format!(
                "<!doctype html><html><head><meta charset=\"utf-8\"><title>{name}</title>\
                 <link rel=\"icon\" href=\"data:,\"></head>\
                 <body>\n{body}\n</body></html>\n"
            ),
        )
        .expect("the page");
        let origin = Origin::start(&dir, Policy::default());
        EmbedPage { dir, origin }
    }

    fn write_widget(&self, widget: &str) {
        std::fs::write(self.dir.join("widget.js"), widget).expect("the widget");
    }

    fn url(&self) -> String {
        format!("{}/index.html", self.origin.url)
    }
}

/// The charts' base URL on `origin`, as the README's snippets name it on CloudFront.
fn base(origin: &Origin) -> String {
    format!("{}/{DEFAULT_CHARTS_PREFIX}", origin.url)
}

/// The README's picture for `slug`, its paths on `charts`.
fn picture(snippets: &Snippets, slug: &str, charts: &Origin) -> String {
    let path = format!("\"/{DEFAULT_CHARTS_PREFIX}");
    assert!(
        snippets.picture.contains(&path),
        "the picture's paths start {path}"
    );
    snippets
        .picture
        .replace(README_SLUG, slug)
        .replace(&path, &format!("\"{}", base(charts)))
}

/// The README's placeholder for `slug`.
fn placeholder(snippets: &Snippets, slug: &str) -> String {
    assert!(snippets.placeholder.contains(README_SLUG));
    snippets.placeholder.replace(README_SLUG, slug)
}

/// The README's widget with its base URL on `charts`.
fn widget(snippets: &Snippets, charts: &Origin) -> String {
    let declaration = "const base = \"";
    let at = snippets
        .widget
        .find(declaration)
        .expect("the widget declares `const base = \"…\"`")
        + declaration.len();
    let end = at + snippets.widget[at..].find('"').expect("the base URL's end");
    format!(
        "{}{}{}",
        &snippets.widget[..at],
        base(charts),
        &snippets.widget[end..]
    )
}

/// Runs the widget to its end (the module's evaluation, awaited by importing it again):
/// `"done"`, or what it threw.
fn run_widget(page: &mut Page<'_>) -> Value {
    page.eval("import('./widget.js').then(() => 'done', (e) => `threw: ${e}`)")
}

/// The placeholders' state once their images settled: `src` attribute, `alt`, and
/// whether the image loaded.
fn placeholders(page: &mut Page<'_>) -> Value {
    page.eval(
        "Promise.all([...document.querySelectorAll('img[data-author-chart]')].map(async (img) => {
           if (img.hasAttribute('src')) await img.decode().catch(() => {});
           return { slug: img.dataset.authorChart, src: img.getAttribute('src'), alt: img.alt,
                    loaded: img.complete && img.naturalWidth > 0 };
         }))",
    )
}

/// What the widget should show for `slug` in `variant`: the SVG of that variant, with
/// the first 8 digits of its hash, and the summary as alt text.
fn expected(slug: &str, variant: &str, charts_origin: &Origin) -> Value {
    let stats = charts().stats(slug);
    let file = stats["files"]
        .as_array()
        .expect("stats.json lists files")
        .iter()
        .find(|f| {
            f["variant"] == variant && f["name"].as_str().is_some_and(|n| n.ends_with(".svg"))
        })
        .expect("an SVG of the variant");
    let name = file["name"].as_str().expect("a name");
    let sha = file["sha256"].as_str().expect("a hash");
    json!({
        "slug": slug,
        "src": format!("{}{name}?v={}", base(charts_origin), &sha[..8]),
        "alt": stats["summary"],
        "loaded": true,
    })
}

fn uncaught(problems: &[String]) -> Vec<&String> {
    problems
        .iter()
        .filter(|p| p.starts_with("uncaught"))
        .collect()
}

/// The rendered author with the most posts.
fn slug() -> String {
    let charts = charts();
    charts
        .slugs()
        .into_iter()
        .max_by_key(|s| charts.stats(s)["total_posts"].as_u64().unwrap_or(0))
        .expect("a rendered author")
}

/// The picture's chosen source, once decoded, and whether it shows.
fn shown(page: &mut Page<'_>) -> Value {
    page.eval(
        "(async () => { const img = document.querySelector('picture img'); await img.decode();
           return [img.currentSrc, img.naturalWidth > 0]; })()",
    )
}

#[test]
fn the_readme_picture_shows_the_svg_of_the_readers_colour_scheme() {
    require!(Tool::Chromium);
    let (snippets, slug) = (snippets(), slug());
    let charts_origin = Origin::start(&charts().site, stack_policy(&[]));
    let page_origin = EmbedPage::start("picture", &picture(&snippets, &slug, &charts_origin));
    let mut browser = Chromium::launch();
    for scheme in [ColorScheme::Light, ColorScheme::Dark] {
        let mut page = browser.new_page(1280, 800);
        page.set_color_scheme(scheme);
        page.goto(&page_origin.url());
        let file = match scheme {
            ColorScheme::Light => format!("{slug}.svg"),
            ColorScheme::Dark => format!("{slug}.dark.svg"),
        };
        assert_eq!(
            shown(&mut page),
            json!([format!("{}{file}", base(&charts_origin)), true]),
            "{scheme:?}"
        );
        assert_eq!(uncaught(&page.problems()), Vec::<&String>::new());
    }
    // A reader who switches to dark while the page is open gets the dark chart.
    let mut page = browser.new_page(1280, 800);
    page.set_color_scheme(ColorScheme::Light);
    page.goto(&page_origin.url());
    shown(&mut page);
    page.eval(
        "window.reloaded = new Promise((r) => document.querySelector('picture img')
           .addEventListener('load', r, { once: true })); 0",
    );
    page.set_color_scheme(ColorScheme::Dark);
    page.eval("window.reloaded");
    assert_eq!(
        shown(&mut page),
        json!([format!("{}{slug}.dark.svg", base(&charts_origin)), true])
    );
}

#[test]
fn the_readme_widget_sets_src_and_alt_from_stats_json_by_colour_scheme() {
    require!(Tool::Chromium);
    let (snippets, slug) = (snippets(), slug());
    let page = EmbedPage::start("widget", &placeholder(&snippets, &slug));
    // The stack with the page's origin allowed.
    let charts_origin = Origin::start(&charts().site, stack_policy(&[&page.origin.url]));
    page.write_widget(&widget(&snippets, &charts_origin));
    let mut browser = Chromium::launch();
    for scheme in [ColorScheme::Light, ColorScheme::Dark] {
        let mut tab = browser.new_page(1280, 800);
        tab.set_color_scheme(scheme);
        tab.goto(&page.url());
        assert_eq!(run_widget(&mut tab), "done");
        let variant = scheme.as_str();
        assert_eq!(
            placeholders(&mut tab),
            json!([expected(&slug, variant, &charts_origin)]),
            "{scheme:?}"
        );
        assert_eq!(tab.problems(), Vec::<String>::new(), "{scheme:?}");
    }
    // A reader who switches to dark while the page is open gets the dark chart.
    let mut tab = browser.new_page(1280, 800);
    tab.set_color_scheme(ColorScheme::Light);
    tab.goto(&page.url());
    assert_eq!(run_widget(&mut tab), "done");
    tab.eval(
        "window.switched = new Promise((r) => { const img = document.querySelector('img[data-author-chart]');
           const before = img.getAttribute('src');
           new MutationObserver(() => { if (img.getAttribute('src') !== before) r(); })
             .observe(img, { attributes: true }); }); 0",
    );
    tab.set_color_scheme(ColorScheme::Dark);
    tab.eval("window.switched");
    assert_eq!(
        placeholders(&mut tab),
        json!([expected(&slug, "dark", &charts_origin)])
    );
}

#[test]
fn the_readme_widget_leaves_the_placeholder_of_an_author_without_stats() {
    require!(Tool::Chromium);
    let (snippets, slug) = (snippets(), slug());
    let body = format!(
        "{}\n{}",
        placeholder(&snippets, "no-such-author"),
        placeholder(&snippets, &slug)
    );
    let page = EmbedPage::start("missing-stats", &body);
    let charts_origin = Origin::start(&charts().site, stack_policy(&[&page.origin.url]));
    page.write_widget(&widget(&snippets, &charts_origin));
    let mut browser = Chromium::launch();
    let mut tab = browser.new_page(1280, 800);
    tab.goto(&page.url());
    assert_eq!(run_widget(&mut tab), "done", "the widget must not throw");
    let shown = placeholders(&mut tab);
    assert_eq!(
        shown[0],
        json!({"slug": "no-such-author", "src": null, "alt": "", "loaded": false}),
        "no src: an empty placeholder, not a broken image"
    );
    assert_eq!(
        shown[1],
        expected(&slug, "light", &charts_origin),
        "the next chart still shows"
    );
    let problems = tab.problems();
    assert_eq!(uncaught(&problems), Vec::<&String>::new());
    assert!(
        problems.iter().any(|p| p.contains("404")),
        "the missing stats were asked for: {problems:?}"
    );
}

#[test]
fn the_readme_widget_leaves_the_placeholder_when_cors_is_refused() {
    require!(Tool::Chromium);
    let (snippets, slug) = (snippets(), slug());
    let body = format!(
        "{}\n{}",
        placeholder(&snippets, &slug),
        placeholder(&snippets, &slug)
    );
    // The stack deployed without `AllowedOrigins`: no CORS headers at all.
    let charts_origin = Origin::start(&charts().site, stack_policy(&[]));
    let page = EmbedPage::start("cors-refused", &body);
    page.write_widget(&widget(&snippets, &charts_origin));
    let mut browser = Chromium::launch();
    let mut tab = browser.new_page(1280, 800);
    tab.goto(&page.url());
    assert_eq!(
        run_widget(&mut tab),
        "done",
        "the README's widget must not throw when the stats cannot be fetched"
    );
    let empty = json!({"slug": slug, "src": null, "alt": "", "loaded": false});
    assert_eq!(
        placeholders(&mut tab),
        json!([empty, empty]),
        "empty placeholders, not broken images"
    );
    let problems = tab.problems();
    assert_eq!(uncaught(&problems), Vec::<&String>::new());
    assert!(
        problems.iter().any(|p| p.contains("CORS")),
        "the browser refused the stats for CORS: {problems:?}"
    );
}

#[test]
fn the_chart_style_spec_shows_the_readmes_embed() {
    let (_, readme) = section("README.md", "### Embedding a chart");
    let (_, spec) = section("spec/chart-style.md", "## Embedding on the site");
    assert_eq!(
        spec, readme,
        "spec/chart-style.md (Embedding on the site) and README.md (Embedding a chart) show \
         different snippets; the browser tests check the README's: copy them over"
    );
}
