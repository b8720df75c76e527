//! Chart rendering: one author's monthly counts to PNG bytes in memory.
//! Owns the look of the chart and the embedded font; knows nothing of files or S3.
//! `draw` paints an RGB buffer with plotters, `quantize` + `encode` make it a small
//! palette PNG. Same input, same bytes; safe to call from many threads at once.

mod draw;
mod encode;
mod font;
mod quantize;
mod stroke;
mod text;
mod theme;
mod trend;
mod x_axis;
mod y_scale;

use anyhow::Context;

use crate::month::MonthKey;

/// Width of every chart in pixels.
pub const WIDTH: u32 = 1200;
/// Height of every chart in pixels.
pub const HEIGHT: u32 = 600;

/// Colours in the PNG palette: the flat colours plus the commonest anti-aliasing blends.
/// 48 look the same as 256 (blends are one-pixel edges) and make the files ~15 % smaller.
const PALETTE_COLOURS: usize = 48;

/// What one chart shows.
pub struct ChartInput<'a> {
    /// Title text (already resolved per data-spec §3.5).
    pub display_name: &'a str,
    /// Month of `counts[0]`: the author's first month.
    pub first_month: MonthKey,
    /// Posts per month from `first_month` through the month of `now`, zeros included.
    pub counts: &'a [u32],
}

thread_local! {
    /// Each rendering thread's RGB canvas, painted over for every chart: a fresh 2 MB
    /// buffer per chart cost more in page faults than the drawing of its bars.
    static CANVAS: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Render the chart as PNG bytes. Same input, same bytes.
pub fn render_png(input: &ChartInput<'_>) -> anyhow::Result<Vec<u8>> {
    font::ensure_registered()?;
    CANVAS.with_borrow_mut(|rgb| {
        paint_blank(rgb, theme::rgb(theme::BACKGROUND));
        draw::chart(input, rgb)
            .with_context(|| format!("drawing the chart for {:?}", input.display_name))?;
        let image = quantize::quantize(rgb, WIDTH as usize, &theme::FLAT_COLOURS, PALETTE_COLOURS);
        encode::palette_png(&image, WIDTH, HEIGHT)
            .with_context(|| format!("encoding the chart for {:?} as PNG", input.display_name))
    })
}

/// Makes `rgb` a `WIDTH` × `HEIGHT` RGB buffer in one colour (a plain memset for greys and
/// white), reusing its allocation.
fn paint_blank(rgb: &mut Vec<u8>, [r, g, b]: [u8; 3]) {
    let bytes = WIDTH as usize * HEIGHT as usize * 3;
    rgb.resize(bytes, 0);
    if r == g && g == b {
        rgb.fill(r);
    } else {
        for pixel in rgb.chunks_exact_mut(3) {
            pixel.copy_from_slice(&[r, g, b]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(name: &str, first: MonthKey, counts: &[u32]) -> Vec<u8> {
        render_png(&ChartInput {
            display_name: name,
            first_month: first,
            counts,
        })
        .unwrap()
    }

    /// Decode a PNG to (width, height, RGB bytes).
    fn decode(png_bytes: &[u8]) -> (u32, u32, Vec<u8>) {
        let mut decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
        decoder.set_transformations(png::Transformations::EXPAND);
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!(info.color_type, png::ColorType::Rgb);
        buf.truncate(info.buffer_size());
        (info.width, info.height, buf)
    }

    fn pixel(rgb: &[u8], x: u32, y: u32) -> [u8; 3] {
        let at = (y * WIDTH + x) as usize * 3;
        [rgb[at], rgb[at + 1], rgb[at + 2]]
    }

    /// The rectangle of the picture where the title is drawn, as RGB rows.
    fn title_area(rgb: &[u8]) -> Vec<[u8; 3]> {
        (0..theme::TITLE_BASELINE as u32 + 10)
            .flat_map(|y| (0..WIDTH).map(move |x| (x, y)))
            .map(|(x, y)| pixel(rgb, x, y))
            .collect()
    }

    fn series(months: usize) -> Vec<u32> {
        (0..months as u32).map(|i| (i * 7 + 3) % 11).collect()
    }

    #[test]
    fn output_is_a_png_of_the_chart_size() {
        let png_bytes = render("鈴木 亮", MonthKey::new(2019, 4), &series(80));
        let (width, height, _) = decode(&png_bytes);
        assert_eq!((width, height), (WIDTH, HEIGHT));
        assert!(width >= 1000 && height >= 500);
    }

    #[test]
    fn the_same_input_gives_the_same_bytes_on_any_thread() {
        let counts = series(100);
        let first = render("山田　花子", MonthKey::new(2017, 8), &counts);
        let others: Vec<Vec<u8>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..4)
                .map(|_| s.spawn(|| render("山田　花子", MonthKey::new(2017, 8), &counts)))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for other in others {
            assert!(other == first, "rendering is not deterministic");
        }
    }

    #[test]
    fn a_different_input_gives_different_bytes() {
        let counts = series(30);
        let a = render("a", MonthKey::new(2023, 1), &counts);
        let mut more = counts.clone();
        more[10] += 1;
        assert_ne!(a, render("a", MonthKey::new(2023, 1), &more));
    }

    #[test]
    fn a_very_long_name_is_shortened_within_the_margins() {
        let name = "とても長い名前のテスト".repeat(20);
        assert_eq!(name.chars().count(), 220);
        let (_, _, rgb) = decode(&render(&name, MonthKey::new(2020, 1), &series(70)));
        let margin_start = WIDTH - theme::MARGIN_X as u32 + 1;
        for y in 0..theme::TITLE_BASELINE as u32 + 10 {
            for x in margin_start..WIDTH {
                assert_eq!(
                    pixel(&rgb, x, y),
                    [255, 255, 255],
                    "title ink at ({x}, {y})"
                );
            }
        }
        // …while the title does reach close to the margin (it was not dropped).
        let ink_near_margin = (0..theme::TITLE_BASELINE as u32 + 10)
            .any(|y| (margin_start - 40..margin_start).any(|x| pixel(&rgb, x, y) != [255; 3]));
        assert!(ink_near_margin);
    }

    #[test]
    fn japanese_names_draw_distinct_glyphs_not_tofu() {
        let counts = series(24);
        let first = MonthKey::new(2024, 1);
        let title = |name: &str| title_area(&decode(&render(name, first, &counts)).2);
        let suzuki = title("鈴木 亮");
        let yamada = title("山田 花子");
        let tofu = title("\u{10FFFD}\u{10FFFD} \u{10FFFD}");
        assert_ne!(suzuki, yamada);
        assert_ne!(suzuki, tofu);
        assert!(suzuki.iter().any(|&p| p != [255; 3]));
    }

    #[test]
    fn one_month_renders() {
        let (w, h, rgb) = decode(&render("x", MonthKey::new(2025, 11), &[4]));
        assert_eq!((w, h), (WIDTH, HEIGHT));
        let bar = [theme::BAR.0, theme::BAR.1, theme::BAR.2];
        assert!(rgb.chunks_exact(3).any(|p| p == bar), "the bar is drawn");
    }

    #[test]
    fn fifteen_years_render() {
        let (w, h, _) = decode(&render("x", MonthKey::new(2010, 12), &series(180)));
        assert_eq!((w, h), (WIDTH, HEIGHT));
    }

    #[test]
    fn extreme_inputs_render_without_error() {
        let first = MonthKey::new(1970, 1);
        render("", first, &[0]);
        render("\n\t\u{0}", first, &[0, 0, 0]);
        render("x", first, &[u32::MAX, 0, u32::MAX]);
        render("x", first, &[10_000; 700]);
        let mut lone = vec![0; 300];
        lone[150] = 1;
        render("😀🎉 絵文字", first, &lone);
        render("x", MonthKey::new(1, 1), &series(24_300));
    }

    #[test]
    fn long_ranges_still_show_every_bar() {
        // 56 years: 1.6 px a month, so each bar is a single pixel wide.
        let (_, _, rgb) = decode(&render("x", MonthKey::new(1970, 1), &[5; 672]));
        let bar = [theme::BAR.0, theme::BAR.1, theme::BAR.2];
        let widest_row = (0..HEIGHT)
            .map(|y| (0..WIDTH).filter(|&x| pixel(&rgb, x, y) == bar).count())
            .max()
            .unwrap();
        assert!(widest_row >= 600, "only {widest_row} bar pixels in a row");
    }

    #[test]
    fn empty_counts_are_an_error_not_a_panic() {
        let input = ChartInput {
            display_name: "x",
            first_month: MonthKey::new(2025, 1),
            counts: &[],
        };
        assert!(render_png(&input).is_err());
    }

    #[test]
    fn a_month_without_posts_leaves_a_gap_on_the_baseline() {
        let (_, _, rgb) = decode(&render("x", MonthKey::new(2025, 1), &[12, 0, 12]));
        let baseline = [theme::BASELINE.0, theme::BASELINE.1, theme::BASELINE.2];
        let bar = [theme::BAR.0, theme::BAR.1, theme::BAR.2];
        let axis_row = (0..HEIGHT)
            .find(|&y| {
                (0..WIDTH)
                    .filter(|&x| pixel(&rgb, x, y) == baseline)
                    .count()
                    > 500
            })
            .expect("a baseline");
        // Just above the axis (below the trend line at 1–2 posts): two bars, one gap.
        let row: Vec<bool> = (0..WIDTH)
            .map(|x| pixel(&rgb, x, axis_row - 5) == bar)
            .collect();
        let bars = row.windows(2).filter(|w| !w[0] && w[1]).count();
        assert_eq!(bars, 2);
    }
}
