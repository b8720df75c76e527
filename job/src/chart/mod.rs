//! Chart rendering: one author's monthly counts to PNG or SVG bytes in memory, in the look
//! of a [`Style`] (colours per variant, sizes, locale). Owns the look of the chart, its
//! words (`locale`) and the embedded font; knows nothing of files or S3. `draw` lays the
//! chart out once for both formats through plotters: on `paint`'s canvas of palette roles,
//! which `encode` makes a palette PNG per variant (one drawing and one compressed image for
//! light and dark), or on `svg`'s backend (text as the font's glyph outlines, `outline`).
//! Same input and style, same bytes; safe to call from many threads.

mod draw;
mod encode;
mod font;
mod layout;
pub(crate) mod locale;
mod outline;
mod paint;
mod stroke;
pub mod style;
mod svg;
mod text;
mod trend;
mod x_axis;
mod y_scale;

use anyhow::Context;

pub use style::{Colour, Format, Locale, Palette, Style, TextSizes, Variant};

use crate::month::MonthKey;

/// The version of the drawing code: bumped whenever a release draws any chart differently
/// (the golden test `job/tests/golden_charts.rs` fails until it is). It is part of the
/// style digest and of every author's digest in `index.json` (data-spec §7), so a new
/// renderer redraws every listed author once.
pub const RENDERER_VERSION: u32 = 3;

/// What one chart shows. The picture depends on nothing else (and the style): no date of
/// the run is drawn, so the same data gives the same bytes on any day.
pub struct ChartInput<'a> {
    /// Title text (already resolved per data-spec §3.5).
    pub display_name: &'a str,
    /// Month of `counts[0]`: the author's first month.
    pub first_month: MonthKey,
    /// Posts per month from `first_month` through the month of `now`, zeros included. The
    /// last month is the one in progress: drawn as partial, without a trend value.
    pub counts: &'a [u32],
}

impl ChartInput<'_> {
    /// The month of `counts[i]`.
    pub fn month(&self, i: usize) -> MonthKey {
        self.first_month.plus(i)
    }

    /// The month in progress: the last one, the month of `now`.
    pub fn month_in_progress(&self) -> MonthKey {
        self.month(self.counts.len().saturating_sub(1))
    }
}

thread_local! {
    /// Each rendering thread's paint canvas, painted over for every chart: a fresh buffer
    /// per chart cost more in page faults than the drawing of its bars.
    static CANVAS: std::cell::RefCell<paint::PaintCanvas> =
        std::cell::RefCell::new(paint::PaintCanvas::default());
}

/// How `style` looks when drawn in palette roles ([`paint::ROLE_PALETTE`]): each variant
/// is the same drawing with that variant's colours for the roles.
fn look(style: &Style) -> anyhow::Result<draw::Look<'_>> {
    font::ensure_registered()?;
    Ok(draw::Look {
        layout: style.layout().map_err(anyhow::Error::msg)?,
        palette: &paint::ROLE_PALETTE,
        words: locale::table(style.locale),
    })
}

/// Render the chart in `variant` of `style` in `format`. Same input, same bytes.
pub fn render(
    input: &ChartInput<'_>,
    style: &Style,
    variant: Variant,
    format: Format,
) -> anyhow::Result<Vec<u8>> {
    match format {
        Format::Png => render_png(input, style, variant),
        Format::Svg => render_svg(input, style, variant),
    }
}

/// Render the chart in `variant` of `style` as SVG: the PNG's picture as shapes and glyph
/// outlines, titled with the display name and described by the [`summary`].
pub fn render_svg(
    input: &ChartInput<'_>,
    style: &Style,
    variant: Variant,
) -> anyhow::Result<Vec<u8>> {
    Ok(render_svgs(input, style, &[variant])?.remove(0))
}

/// Render the chart as one SVG per variant of `variants`, in that order: the document is
/// drawn once in palette roles, and each file is it with its variant's colours.
/// Each SVG has the bytes [`render_svg`] gives for its variant.
pub fn render_svgs(
    input: &ChartInput<'_>,
    style: &Style,
    variants: &[Variant],
) -> anyhow::Result<Vec<Vec<u8>>> {
    let look = look(style)?;
    let mut doc = svg::Document::new(style.width, style.height);
    doc.fill(
        (0, 0),
        (style.width as i32, style.height as i32),
        look.palette.background.0,
    );
    let strokes = draw::shapes(svg::Backend::new(&mut doc), input, &look)
        .with_context(|| format!("drawing the SVG chart for {:?}", input.display_name))?;
    for (points, pen) in &strokes {
        doc.stroke(points, pen);
    }
    let title = text::single_line(input.display_name);
    let drawn = doc.finish(title.trim(), &summary(input, style));
    variants
        .iter()
        .map(|&variant| {
            svg::recolour(&drawn, &paint::role_colours(style.palette(variant)))
                .with_context(|| format!("colouring the SVG chart for {:?}", input.display_name))
        })
        .collect()
}

/// Render the chart in `variant` of `style` as PNG bytes. Same input, same bytes.
pub fn render_png(
    input: &ChartInput<'_>,
    style: &Style,
    variant: Variant,
) -> anyhow::Result<Vec<u8>> {
    Ok(render_pngs(input, style, &[variant])?.remove(0))
}

/// Render the chart as one PNG per variant of `variants`, in that order: the picture is
/// drawn and compressed once, each PNG carries its variant's colours as its palette.
/// Each PNG has the bytes [`render_png`] gives for its variant.
pub fn render_pngs(
    input: &ChartInput<'_>,
    style: &Style,
    variants: &[Variant],
) -> anyhow::Result<Vec<Vec<u8>>> {
    let look = look(style)?;
    let (width, height) = (style.width, style.height);
    CANVAS.with_borrow_mut(|canvas| {
        canvas.reset(width, height);
        draw::chart(input, &look, canvas)
            .with_context(|| format!("drawing the chart for {:?}", input.display_name))?;
        let zlib = encode::zlib(canvas.scanlines(), width as usize + 1, canvas.adler32());
        variants
            .iter()
            .map(|&variant| {
                let palette = canvas.palette(&paint::role_colours(style.palette(variant)));
                encode::palette_png(&palette, &zlib, width, height).with_context(|| {
                    format!("encoding the chart for {:?} as PNG", input.display_name)
                })
            })
            .collect()
    })
}

/// The trend as drawn: the trailing 12-month average (data-spec §7) of each complete
/// month, `counts[0]` through the month before the last; empty for a single month.
pub fn trend(counts: &[u32]) -> Vec<f64> {
    trend::trailing_average(&counts[..counts.len().saturating_sub(1)])
}

/// One or two sentences in the style's locale that say what the chart shows (alt text).
pub fn summary(input: &ChartInput<'_>, style: &Style) -> String {
    let total: u64 = input.counts.iter().map(|&c| u64::from(c)).sum();
    let complete = input.counts.len().saturating_sub(1);
    let average = trend(input.counts)
        .last()
        .map(|&avg| (complete.min(trend::WINDOW), avg));
    locale::table(style.locale).summary(
        text::single_line(input.display_name).trim(),
        total,
        input.first_month,
        input.counts.len(),
        average,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const WIDTH: u32 = 1200;
    const HEIGHT: u32 = 600;

    fn input<'a>(name: &'a str, first: MonthKey, counts: &'a [u32]) -> ChartInput<'a> {
        ChartInput {
            display_name: name,
            first_month: first,
            counts,
        }
    }

    fn render_in(
        style: &Style,
        variant: Variant,
        name: &str,
        first: MonthKey,
        counts: &[u32],
    ) -> Vec<u8> {
        render_png(&input(name, first, counts), style, variant).unwrap()
    }

    fn render(name: &str, first: MonthKey, counts: &[u32]) -> Vec<u8> {
        render_in(&Style::builtin(), Variant::Light, name, first, counts)
    }

    fn light() -> Palette {
        Style::builtin().light
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

    fn title_bottom() -> u32 {
        Style::builtin().layout().unwrap().title_baseline as u32 + 10
    }

    /// The rectangle of the picture where the title is drawn, as RGB rows.
    fn title_area(rgb: &[u8]) -> Vec<[u8; 3]> {
        (0..title_bottom())
            .flat_map(|y| (0..WIDTH).map(move |x| (x, y)))
            .map(|(x, y)| pixel(rgb, x, y))
            .collect()
    }

    fn series(months: usize) -> Vec<u32> {
        (0..months as u32).map(|i| (i * 7 + 3) % 11).collect()
    }

    fn count_of(rgb: &[u8], colour: Colour) -> usize {
        rgb.chunks_exact(3).filter(|p| *p == colour.0).count()
    }

    #[test]
    fn output_is_a_png_of_the_chart_size() {
        let png_bytes = render("鈴木 亮", MonthKey::new(2019, 4), &series(80));
        let (width, height, _) = decode(&png_bytes);
        assert_eq!((width, height), (WIDTH, HEIGHT));
    }

    #[test]
    fn the_style_sets_the_picture_size() {
        let style =
            Style::from_toml("width = 1600\nheight = 800\n[text]\nlabel = 22\n", "s").unwrap();
        let png_bytes = render_in(
            &style,
            Variant::Light,
            "x",
            MonthKey::new(2019, 4),
            &series(80),
        );
        let (width, height, _) = decode(&png_bytes);
        assert_eq!((width, height), (1600, 800));
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
    fn another_month_in_progress_gives_different_bytes() {
        // The same bars one month later: the note names another month.
        let counts = series(30);
        let a = render("a", MonthKey::new(2023, 1), &counts);
        assert_ne!(a, render("a", MonthKey::new(2023, 2), &counts));
    }

    #[test]
    fn the_locale_changes_the_words_not_the_title() {
        let counts = series(30);
        let en = Style::from_toml("locale = \"en\"\n", "s").unwrap();
        let ja = decode(&render("Alice", MonthKey::new(2023, 1), &counts)).2;
        let en = decode(&render_in(
            &en,
            Variant::Light,
            "Alice",
            MonthKey::new(2023, 1),
            &counts,
        ))
        .2;
        assert!(ja != en);
        // Where the title has ink (its blends may map to other palette entries).
        let ink =
            |rgb: &[u8]| -> Vec<bool> { title_area(rgb).iter().map(|&p| p != [255; 3]).collect() };
        assert!(ink(&ja) == ink(&en));
    }

    #[test]
    fn the_dark_variant_paints_the_dark_palette() {
        let style = Style::builtin();
        let (_, _, rgb) = decode(&render_in(
            &style,
            Variant::Dark,
            "x",
            MonthKey::new(2024, 1),
            &series(24),
        ));
        assert_eq!(pixel(&rgb, 0, 0), style.dark.background.0);
        assert!(count_of(&rgb, style.dark.bar) > 1000);
        assert_eq!(count_of(&rgb, style.light.background), 0);
    }

    #[test]
    fn the_month_in_progress_is_drawn_in_the_partial_colour() {
        let p = light();
        let (_, _, rgb) = decode(&render("x", MonthKey::new(2025, 9), &[10, 10, 10]));
        let partial = count_of(&rgb, p.bar_partial);
        let full = count_of(&rgb, p.bar);
        // Two full bars, one lighter bar (less its outline), and the note's swatch.
        assert!(
            partial > full / 3,
            "{partial} partial pixels, {full} bar pixels"
        );
        // The last bar's centre column is partial, the first bar's is not.
        let plot_mid = 300;
        let columns: Vec<u32> = (0..WIDTH)
            .filter(|&x| pixel(&rgb, x, plot_mid) == p.bar_partial.0)
            .collect();
        assert!(columns.iter().all(|&x| x > WIDTH * 2 / 3), "{columns:?}");
    }

    #[test]
    fn the_in_progress_note_is_drawn_above_the_plot_on_the_right() {
        let style = Style::builtin();
        let l = style.layout().unwrap();
        let (_, _, rgb) = decode(&render("x", MonthKey::new(2024, 1), &series(24)));
        let ink = |x0: u32, x1: u32| {
            (l.subtitle_baseline as u32 + 8..l.note_baseline as u32 + 2)
                .any(|y| (x0..x1).any(|x| pixel(&rgb, x, y) == style.light.subtitle.0))
        };
        assert!(ink(WIDTH / 2, WIDTH), "no note on the right");
        assert!(!ink(0, WIDTH / 2), "ink on the left");
    }

    #[test]
    fn a_very_long_name_is_shortened_within_the_margins() {
        let name = "とても長い名前のテスト".repeat(20);
        assert_eq!(name.chars().count(), 220);
        let (_, _, rgb) = decode(&render(&name, MonthKey::new(2020, 1), &series(70)));
        let margin = Style::builtin().layout().unwrap().margin_x as u32;
        let margin_start = WIDTH - margin + 1;
        for y in 0..title_bottom() {
            for x in margin_start..WIDTH {
                assert_eq!(
                    pixel(&rgb, x, y),
                    [255, 255, 255],
                    "title ink at ({x}, {y})"
                );
            }
        }
        // …while the title does reach close to the margin (it was not dropped).
        let ink_near_margin = (0..title_bottom())
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
        assert!(suzuki != yamada);
        assert!(suzuki != tofu);
        assert!(suzuki.iter().any(|&p| p != [255; 3]));
    }

    #[test]
    fn one_month_renders_as_partial() {
        let (w, h, rgb) = decode(&render("x", MonthKey::new(2025, 11), &[4]));
        assert_eq!((w, h), (WIDTH, HEIGHT));
        assert!(
            count_of(&rgb, light().bar_partial) > 1000,
            "the bar is drawn"
        );
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
        let bar = light().bar.0;
        let widest_row = (0..HEIGHT)
            .map(|y| (0..WIDTH).filter(|&x| pixel(&rgb, x, y) == bar).count())
            .max()
            .unwrap();
        assert!(widest_row >= 600, "only {widest_row} bar pixels in a row");
    }

    #[test]
    fn empty_counts_are_an_error_not_a_panic() {
        assert!(render_png(
            &input("x", MonthKey::new(2025, 1), &[]),
            &Style::builtin(),
            Variant::Light
        )
        .is_err());
    }

    #[test]
    fn a_month_without_posts_leaves_a_gap_on_the_baseline() {
        let (_, _, rgb) = decode(&render("x", MonthKey::new(2025, 1), &[12, 0, 12, 0]));
        let p = light();
        let axis_row = (0..HEIGHT)
            .find(|&y| {
                (0..WIDTH)
                    .filter(|&x| pixel(&rgb, x, y) == p.baseline.0)
                    .count()
                    > 500
            })
            .expect("a baseline");
        // Just above the axis (below the trend line at 4–8 posts): two bars, one gap.
        let row: Vec<bool> = (0..WIDTH)
            .map(|x| pixel(&rgb, x, axis_row - 5) == p.bar.0)
            .collect();
        let bars = row.windows(2).filter(|w| !w[0] && w[1]).count();
        assert_eq!(bars, 2);
    }

    /// A PNG's palette and its pixels as palette indices.
    fn indexed(png_bytes: &[u8]) -> (Vec<u8>, Vec<u8>) {
        let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
        let mut reader = decoder.read_info().unwrap();
        let palette = reader.info().palette.as_ref().unwrap().to_vec();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!(info.color_type, png::ColorType::Indexed);
        buf.truncate(info.buffer_size());
        (palette, buf)
    }

    #[test]
    fn light_and_dark_pngs_share_their_pixels_and_differ_in_the_palette() {
        let counts: Vec<u32> = (0..90).map(|i| (i * 7 % 13) as u32).collect();
        let input = input("鈴木 亮 (Ryo Suzuki)", MonthKey::new(2018, 6), &counts);
        let style = Style::builtin();
        let both = render_pngs(&input, &style, &[Variant::Light, Variant::Dark]).unwrap();
        // The same bytes as one variant at a time.
        assert_eq!(both[0], render_png(&input, &style, Variant::Light).unwrap());
        assert_eq!(both[1], render_png(&input, &style, Variant::Dark).unwrap());
        let (light_palette, light_pixels) = indexed(&both[0]);
        let (dark_palette, dark_pixels) = indexed(&both[1]);
        assert!(light_pixels == dark_pixels, "the variants' pixels differ");
        assert_ne!(light_palette, dark_palette);
        assert!(light_palette.len() <= 3 * 256);
        // Each variant's flat colours are in its palette exactly.
        for (variant, palette) in [
            (Variant::Light, &light_palette),
            (Variant::Dark, &dark_palette),
        ] {
            let p = style.palette(variant);
            for flat in paint::role_colours(p) {
                assert!(
                    palette.chunks(3).any(|c| c == flat),
                    "{variant:?} lacks {flat:?}"
                );
            }
            // And the anti-aliased edges of glyphs and the trend line add blends.
            let blends = palette.len() / 3 - paint::ROLES;
            assert!(blends > 8, "{variant:?}: only {blends} blends");
        }
    }

    #[test]
    fn the_trend_leaves_out_the_month_in_progress() {
        assert_eq!(trend(&[12, 24, 0]), vec![12.0, 18.0]);
        assert!(trend(&[5]).is_empty());
    }

    #[test]
    fn the_summary_names_the_average_of_the_complete_months() {
        let mut counts = vec![3; 14];
        counts.push(0);
        let s = summary(
            &input("山田太郎", MonthKey::new(2024, 9), &counts),
            &Style::builtin(),
        );
        assert_eq!(
            s,
            "山田太郎さんは2024年9月から42件の記事を書いています。直近12か月は月平均3.0件です。"
        );
    }
}
