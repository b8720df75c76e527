//! Each variant's SVG as Chromium rasterises it against the PNG the job drew for the same
//! author: the same picture within a small per-pixel tolerance, so the two formats cannot
//! drift apart; and the comparison is shown to catch a real drift (one bar moved by a few
//! pixels, the bars' colour changed) so the tolerance cannot quietly swallow one.

use testkit::chromium::{Chromium, Page};
use testkit::require;
use testkit::tools::Tool;

use super::charts::{charts, work_dir, Charts};
use super::origin::{Origin, Policy};

/// How far apart two renderings of one chart are, per pixel: the largest difference of any
/// channel (0–255).
struct Difference {
    /// The largest per-pixel difference.
    max: u8,
    /// The mean per-pixel difference.
    mean: f64,
    /// Pixels differing by more than [`EDGE`].
    beyond_edge: usize,
}

/// Anti-aliasing differs between Skia and the job's rasteriser (and the PNG's palette is
/// quantised), so edge pixels differ by up to this much without any drift.
const EDGE: u8 = 96;
/// At most this many pixels may differ by more than [`EDGE`]; a moved bar or a changed
/// colour makes thousands.
const MAX_BEYOND_EDGE: usize = 40;
/// The mean per-pixel difference of two renderings of the same picture stays below this.
const MAX_MEAN: f64 = 1.0;

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "max {} mean {:.3} (0-255, per pixel), {} pixels beyond {EDGE}",
            self.max, self.mean, self.beyond_edge
        )
    }
}

impl Difference {
    fn is_same_picture(&self) -> bool {
        self.beyond_edge <= MAX_BEYOND_EDGE && self.mean <= MAX_MEAN
    }
}

/// The decoded pixels of a PNG (any colour type, expanded to 8 bits), with its size and
/// channels per pixel.
fn decode(png_bytes: &[u8]) -> (u32, u32, usize, Vec<u8>) {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().expect("a PNG header");
    let mut buf = vec![0; reader.output_buffer_size().expect("a PNG of sane size")];
    let frame = reader.next_frame(&mut buf).expect("PNG data");
    buf.truncate(frame.buffer_size());
    (frame.width, frame.height, frame.color_type.samples(), buf)
}

/// The size of a PNG.
fn size(png_bytes: &[u8]) -> (u32, u32) {
    let (width, height, _, _) = decode(png_bytes);
    (width, height)
}

fn compare(a: &[u8], b: &[u8]) -> Difference {
    let (a, b) = (decode(a), decode(b));
    assert_eq!((a.0, a.1), (b.0, b.1), "the two pictures differ in size");
    let colour = |(_, _, channels, pixels): &(u32, u32, usize, Vec<u8>), i: usize| {
        let p = &pixels[i * channels..];
        if *channels < 3 {
            [p[0]; 3]
        } else {
            [p[0], p[1], p[2]]
        }
    };
    let pixels = (a.0 * a.1) as usize;
    let (mut max, mut sum, mut beyond_edge) = (0u8, 0u64, 0usize);
    for i in 0..pixels {
        let (p, q) = (colour(&a, i), colour(&b, i));
        let d = p[0]
            .abs_diff(q[0])
            .max(p[1].abs_diff(q[1]))
            .max(p[2].abs_diff(q[2]));
        max = max.max(d);
        sum += u64::from(d);
        beyond_edge += usize::from(d > EDGE);
    }
    Difference {
        max,
        mean: sum as f64 / pixels as f64,
        beyond_edge,
    }
}

/// The page every SVG is shown on: the chart alone at the top left, at its own size.
const PAGE: &str =
    "<!doctype html><meta charset=\"utf-8\"><style>html,body{margin:0;background:#fff}\
                    img{display:block}</style><img id=\"chart\" alt=\"\">";

/// Chromium's rendering of the SVG at `url`, at the size `width` × `height`.
fn rasterise(page: &mut Page<'_>, url: &str, (width, height): (u32, u32)) -> Vec<u8> {
    let size = page.eval(&format!(
        "(async () => {{ const i = document.getElementById('chart'); i.src = {url:?}; \
         await i.decode(); return [i.naturalWidth, i.naturalHeight]; }})()"
    ));
    assert_eq!(
        (size[0].as_u64(), size[1].as_u64()),
        (Some(u64::from(width)), Some(u64::from(height))),
        "{url} has another size than its PNG"
    );
    page.screenshot((0.0, 0.0, f64::from(width), f64::from(height)))
}

/// Serves the charts with a page to show them on, and starts a browser.
fn open(charts: &Charts) -> (Origin, Chromium) {
    static PAGE_WRITTEN: std::sync::Once = std::sync::Once::new();
    PAGE_WRITTEN.call_once(|| {
        std::fs::write(charts.dir().join("raster.html"), PAGE).expect("the raster page");
    });
    let origin = Origin::start(&charts.site, Policy::default());
    (origin, Chromium::launch())
}

#[test]
fn each_variants_svg_rasterised_by_chromium_matches_its_png() {
    require!(Tool::Chromium);
    let charts = charts();
    let (origin, mut browser) = open(charts);
    let mut page = browser.new_page(1400, 800);
    page.goto(&format!("{}/author-monthly-stats/raster.html", origin.url));
    let mut compared = Vec::new();
    for slug in charts.representative_slugs() {
        for (svg, png) in [
            (format!("{slug}.svg"), format!("{slug}.png")),
            (format!("{slug}.dark.svg"), format!("{slug}.dark.png")),
        ] {
            let png_bytes = std::fs::read(charts.dir().join(&png)).expect("the PNG");
            let (width, height) = size(&png_bytes);
            let url = format!("{}/author-monthly-stats/{svg}", origin.url);
            let shot = rasterise(&mut page, &url, (width, height));
            let difference = compare(&shot, &png_bytes);
            if !difference.is_same_picture() {
                let kept = work_dir().join(format!("{svg}.chromium.png"));
                std::fs::write(&kept, &shot).expect("keeping the rendering");
                panic!(
                    "{svg} as Chromium draws it ({}) differs from {png}: {difference} (at most \
                     {MAX_BEYOND_EDGE} pixels beyond {EDGE}, mean at most {MAX_MEAN})",
                    kept.display()
                );
            }
            compared.push(format!("{svg}: {difference}"));
        }
    }
    assert_eq!(
        compared.len(),
        6,
        "three authors, two variants: {compared:?}"
    );
    // Straight to stderr: the figures for the record (`--nocapture` shows them).
    eprintln!("SVG vs PNG:\n{}", compared.join("\n"));
}

/// The light SVG of the author with the most posts, changed by `drift` (saved as
/// `<name>-<slug>.svg`), against its PNG.
fn drifted(name: &str, drift: impl Fn(&str) -> String) -> Difference {
    let charts = charts();
    let slug = charts
        .slugs()
        .into_iter()
        .max_by_key(|s| charts.stats(s)["total_posts"].as_u64().unwrap_or(0))
        .expect("a rendered author");
    let svg = std::fs::read_to_string(charts.dir().join(format!("{slug}.svg"))).expect("SVG");
    let changed = drift(&svg);
    assert_ne!(changed, svg, "the drift changed nothing");
    std::fs::write(charts.dir().join(format!("{name}-{slug}.svg")), changed).expect("write");
    let png_bytes = std::fs::read(charts.dir().join(format!("{slug}.png"))).expect("the PNG");
    let (width, height) = size(&png_bytes);
    let (origin, mut browser) = open(charts);
    let mut page = browser.new_page(1400, 800);
    page.goto(&format!("{}/author-monthly-stats/raster.html", origin.url));
    let url = format!("{}/author-monthly-stats/{name}-{slug}.svg", origin.url);
    let shot = rasterise(&mut page, &url, (width, height));
    compare(&shot, &png_bytes)
}

/// The first group of bars (`<g stroke="#…" stroke-width="…">`) of an SVG: its colour, and
/// where its tallest bar's path starts (`M<centre> <top>v<height>`).
fn bars(svg: &str) -> (String, usize) {
    let opening = "<g stroke=\"";
    let group = svg.find(opening).expect("a group of bars");
    let colour = svg[group + opening.len()..group + opening.len() + 7].to_owned();
    let end = group + svg[group..].find("</g>").expect("the group's end");
    let mut tallest = (0.0, 0);
    let mut at = group;
    while let Some(found) = svg[at..end].find("<path d=\"M") {
        let start = at + found + "<path d=\"M".len();
        let d = &svg[start..start + svg[start..].find('"').expect("the path's end")];
        let height: f64 = d
            .split('v')
            .nth(1)
            .and_then(|h| h.parse().ok())
            .unwrap_or(0.0);
        if height > tallest.0 {
            tallest = (height, start);
        }
        at = start;
    }
    assert!(tallest.0 > 0.0, "no bar in the first group");
    (colour, tallest.1)
}

#[test]
fn the_svg_comparison_catches_a_bar_moved_by_three_pixels() {
    require!(Tool::Chromium);
    let difference = drifted("moved-bar", |svg| {
        let (_, at) = bars(svg);
        let centre_end = at + svg[at..].find(' ').expect("the centre");
        let centre: f64 = svg[at..centre_end].parse().expect("a number");
        format!("{}{}{}", &svg[..at], centre + 3.0, &svg[centre_end..])
    });
    eprintln!("a bar moved by 3 px: {difference}");
    assert!(
        !difference.is_same_picture(),
        "a bar moved by 3 px passed as the same picture: {difference}"
    );
}

#[test]
fn the_svg_comparison_catches_a_changed_bar_colour() {
    require!(Tool::Chromium);
    let difference = drifted("bar-colour", |svg| {
        let (colour, _) = bars(svg);
        // The bars' colour with its channels rotated (#4e79a7 → #a74e79).
        let rotated = format!("#{}{}", &colour[5..7], &colour[1..5]);
        svg.replace(
            &format!("stroke=\"{colour}\""),
            &format!("stroke=\"{rotated}\""),
        )
    });
    eprintln!("the bars' colour changed: {difference}");
    assert!(
        !difference.is_same_picture(),
        "bars of another colour passed as the same picture: {difference}"
    );
}
