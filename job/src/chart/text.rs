//! Text in the chart font: measure it, shorten it with "…" to fit a width, draw it by
//! its baseline. Glyphs are placed from the font's own metrics (advance, kerning, left
//! bearing) and each is drawn by plotters; plotters 0.3.7 alone drops every glyph's left
//! bearing, which spaces Latin text unevenly ("mon th"). On a bitmap, [`GlyphCache`] keeps
//! each glyph's coverage so a digit or month name is rasterised once per thread, not per use.

use std::borrow::Cow;

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use ab_glyph::{Font, GlyphId, ScaleFont};
use anyhow::anyhow;
use plotters::prelude::{DrawingArea, DrawingBackend};
use plotters::style::{FontDesc, RGBColor};
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind, FontTransform,
};

use super::font;

const ELLIPSIS: char = '…';

/// A character, where its glyph starts (pixels from the pen's origin) and its left bearing.
type Placed = (char, f32, f32);

#[cfg(test)]
thread_local! {
    /// Glyphs laid out on this thread (tests check that fitting a long text measures
    /// only the part it needs).
    static LAID_OUT: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Where each glyph of `text` starts, and the total advance. With `limit`, stops after the
/// first glyph that ends beyond `limit` pixels: the rest of the text cannot fit anyway.
/// The `bool` says whether the whole text was laid out.
fn layout(size: f64, text: &str, limit: Option<f32>) -> anyhow::Result<(Vec<Placed>, f32, bool)> {
    let face = font::face()?.as_scaled(size as f32);
    let mut glyphs = Vec::new();
    let mut pen = 0f32;
    let mut previous: Option<GlyphId> = None;
    for c in text.chars() {
        #[cfg(test)]
        LAID_OUT.with(|n| n.set(n.get() + 1));
        let id = face.glyph_id(c);
        if let Some(p) = previous {
            pen += face.kern(p, id);
        }
        previous = Some(id);
        glyphs.push((c, pen, face.h_side_bearing(id)));
        pen += face.h_advance(id);
        if limit.is_some_and(|limit| pen > limit) {
            let complete = glyphs.len() == text.chars().take(glyphs.len() + 1).count();
            return Ok((glyphs, pen, complete));
        }
    }
    Ok((glyphs, pen, true))
}

/// Advance width of `text` in whole pixels (rounded up).
pub(crate) fn width(font: &FontDesc<'_>, text: &str) -> anyhow::Result<i32> {
    let (_, advance, _) = layout(font.get_size(), text, None)?;
    Ok(advance.ceil() as i32)
}

/// Control characters (tabs, newlines …) drawn as spaces: a title is a single line.
pub(crate) fn single_line(text: &str) -> Cow<'_, str> {
    if text.chars().any(char::is_control) {
        Cow::Owned(
            text.chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect(),
        )
    } else {
        Cow::Borrowed(text)
    }
}

/// `text` itself when it fits in `max_width`, else its longest prefix that fits with "…"
/// appended (trailing spaces dropped, combining marks kept with their base character).
pub(crate) fn fit<'t>(
    font: &FontDesc<'_>,
    text: &'t str,
    max_width: i32,
) -> anyhow::Result<Cow<'t, str>> {
    // Measure only as far as the text can fit: a cut never lies beyond the first glyph that
    // ends past `max_width`, so a name of megabytes costs what a line of title costs.
    let (glyphs, advance, complete) = layout(font.get_size(), text, Some(max_width as f32))?;
    if complete && advance.ceil() as i32 <= max_width {
        return Ok(Cow::Borrowed(text));
    }
    let measured: usize = glyphs.iter().map(|(c, _, _)| c.len_utf8()).sum();
    let cuts: Vec<usize> = text[..measured]
        .char_indices()
        .filter(|&(_, c)| !continues_previous(c))
        .map(|(i, _)| i)
        .collect();
    let shortened = |cut: usize| {
        let mut s = text[..cut].trim_end().to_owned();
        s.push(ELLIPSIS);
        s
    };
    // Binary search for the longest prefix (in cut points) that fits; the empty prefix
    // ("…" alone) is the fallback.
    let (mut lo, mut hi) = (0, cuts.len());
    while lo + 1 < hi {
        let mid = (lo + hi) / 2;
        if width(font, &shortened(cuts[mid]))? <= max_width {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Ok(Cow::Owned(shortened(cuts.get(lo).copied().unwrap_or(0))))
}

/// Characters that belong to the one before them and must not be split from it.
fn continues_previous(c: char) -> bool {
    matches!(c,
        '\u{0300}'..='\u{036F}'   // combining diacritics
        | '\u{1AB0}'..='\u{1AFF}'
        | '\u{1DC0}'..='\u{1DFF}'
        | '\u{200C}'..='\u{200D}' // zero-width (non-)joiner
        | '\u{20D0}'..='\u{20FF}'
        | '\u{3099}'..='\u{309A}' // kana voicing marks
        | '\u{FE00}'..='\u{FE0F}' // variation selectors
        | '\u{FE20}'..='\u{FE2F}'
        | '\u{1F3FB}'..='\u{1F3FF}' // skin tones
        | '\u{E0100}'..='\u{E01EF}')
}

/// Draw `text` with its pen origin at `x` and its baseline at `baseline`.
pub(crate) fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    font: &FontDesc<'_>,
    color: &RGBColor,
    text: &str,
    x: i32,
    baseline: i32,
) -> anyhow::Result<()> {
    let style = font.color(color);
    // plotters' ab_glyph renderer puts the baseline half a font size below the top anchor,
    // and the left edge of the glyph's ink (its bearing rounded down) at the anchor.
    let top = baseline - (font.get_size() / 2.0).round() as i32;
    let (glyphs, _, _) = layout(font.get_size(), text, None)?;
    let mut one = [0u8; 4];
    for (c, pen, bearing) in glyphs {
        if c.is_whitespace() {
            continue;
        }
        let left = x + pen.round() as i32 + bearing.floor() as i32;
        area.draw_text(c.encode_utf8(&mut one), &style, (left, top))
            .map_err(|e| anyhow!("drawing text {text:?}: {e}"))?;
    }
    Ok(())
}

/// A glyph as plotters rasterises it at the text position (0, 0): each covered pixel and
/// its coverage (the alpha plotters draws it with, for an opaque colour).
type Coverage = Rc<[(i16, i16, f32)]>;

/// Glyphs kept per thread at most; then the cache starts over (titles bring new kanji).
const CACHED_GLYPHS: usize = 2048;

thread_local! {
    /// Coverage of each glyph drawn on this thread, by character and font size (bits).
    static GLYPHS: RefCell<HashMap<(char, u64), Coverage>> = RefCell::new(HashMap::new());
}

/// A bitmap backend that [`GlyphCache`] hands a cached glyph's coverage, all at once.
pub(crate) trait CoverageTarget: DrawingBackend {
    /// Draw `rgb` at each `(x, y, alpha)` of `coverage`, offset by `origin`.
    fn draw_coverage(
        &mut self,
        origin: BackendCoord,
        rgb: (u8, u8, u8),
        coverage: &[(i16, i16, f32)],
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        for &(x, y, alpha) in coverage {
            let point = (origin.0 + i32::from(x), origin.1 + i32::from(y));
            let colour = BackendColor {
                alpha: f64::from(alpha),
                rgb,
            };
            self.draw_pixel(point, colour)?;
        }
        Ok(())
    }
}

/// A bitmap backend whose single-character text comes from a per-thread cache of glyph
/// coverage: the same pixels and alphas as plotters' own `draw_text`, without outlining
/// and rasterising a glyph each time it is drawn. Everything else goes to the inner backend.
pub(crate) struct GlyphCache<B>(pub B);

impl<B: CoverageTarget> DrawingBackend for GlyphCache<B> {
    type ErrorType = B::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.0.get_size()
    }

    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.0.ensure_prepared()
    }

    fn present(&mut self) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.0.present()
    }

    fn draw_pixel(
        &mut self,
        point: BackendCoord,
        color: BackendColor,
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.0.draw_pixel(point, color)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.0.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.0.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        size: (u32, u32),
        src: &[u8],
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.0.blit_bitmap(pos, size, src)
    }

    fn draw_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        let mut chars = text.chars();
        let (Some(c), None) = (chars.next(), chars.next()) else {
            return self.0.draw_text(text, style, pos);
        };
        let colour = style.color();
        let anchor = style.anchor();
        let plain = colour.alpha == 1.0
            && matches!(style.transform(), FontTransform::None)
            && matches!((anchor.h_pos, anchor.v_pos), (HPos::Left, VPos::Top));
        if !plain {
            return self.0.draw_text(text, style, pos);
        }
        let coverage = match glyph(c, style) {
            Ok(coverage) => coverage,
            Err(e) => return Err(DrawingErrorKind::FontError(Box::new(e))),
        };
        self.0.draw_coverage(pos, colour.rgb, &coverage)
    }
}

/// The cached coverage of `c` in `style`'s font and size, rasterised on first use exactly
/// as plotters' `draw_text` does (its layout box starts at (0, 0) for a top-left anchor).
fn glyph<S: BackendTextStyle>(c: char, style: &S) -> Result<Coverage, S::FontError> {
    let key = (c, style.size().to_bits());
    if let Some(hit) = GLYPHS.with_borrow(|glyphs| glyphs.get(&key).cloned()) {
        return Ok(hit);
    }
    let mut pixels = Vec::new();
    let mut one = [0u8; 4];
    let drawn = style.draw(c.encode_utf8(&mut one), (0, 0), |x, y, color| {
        // A glyph lies within a few hundred pixels of its origin.
        pixels.push((x as i16, y as i16, color.alpha as f32));
        Ok::<(), std::convert::Infallible>(())
    })?;
    if let Err(never) = drawn {
        match never {}
    }
    let coverage: Coverage = pixels.into();
    GLYPHS.with_borrow_mut(|glyphs| {
        if glyphs.len() >= CACHED_GLYPHS {
            glyphs.clear();
        }
        glyphs.insert(key, Rc::clone(&coverage));
    });
    Ok(coverage)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::font;

    fn font(size: f64) -> FontDesc<'static> {
        font::ensure_registered().unwrap();
        font::sized(size)
    }

    impl CoverageTarget for plotters::prelude::BitMapBackend<'_> {}

    /// `text` drawn at two sizes on a 300 × 80 white bitmap, through the glyph cache or not.
    fn drawn(cached: bool, text: &str) -> Vec<u8> {
        use plotters::prelude::{BitMapBackend, IntoDrawingArea};
        fn on<B: DrawingBackend>(backend: B, text: &str) {
            let area = backend.into_drawing_area();
            let colour = RGBColor(20, 90, 200);
            draw(&area, &font(30.0), &colour, text, 4, 40).unwrap();
            draw(&area, &font(13.0), &colour, text, 250, 78).unwrap();
        }
        let mut buf = vec![255u8; 300 * 80 * 3];
        let bitmap = BitMapBackend::with_buffer(&mut buf, (300, 80));
        if cached {
            on(GlyphCache(bitmap), text);
        } else {
            on(bitmap, text);
        }
        buf
    }

    #[test]
    fn cached_glyphs_draw_exactly_what_plotters_draws() {
        let text = "鈴木 亮 2025年 Jg…";
        let plain = drawn(false, text);
        assert!(plain.iter().any(|&b| b != 255));
        // Twice: the first draw fills the cache, the second reads it.
        for _ in 0..2 {
            assert!(drawn(true, text) == plain, "the cache changed the pixels");
        }
    }

    #[test]
    fn short_text_is_kept_as_is() {
        let f = font(30.0);
        assert_eq!(fit(&f, "鈴木 亮", 1000).unwrap(), "鈴木 亮");
    }

    #[test]
    fn long_text_is_cut_with_an_ellipsis_and_fits() {
        let f = font(30.0);
        let name = "山田花子".repeat(50);
        let fitted = fit(&f, &name, 500).unwrap();
        assert!(fitted.ends_with('…'), "{fitted}");
        assert!(width(&f, &fitted).unwrap() <= 500);
        // …and it is as long as it may be: one more character would not fit.
        let kept = fitted.chars().count() - 1;
        let longer: String = name.chars().take(kept + 1).chain(['…']).collect();
        assert!(width(&f, &longer).unwrap() > 500);
    }

    #[test]
    fn cut_drops_trailing_space_and_keeps_combining_marks() {
        let f = font(30.0);
        let w = width(&f, "ab…").unwrap();
        assert_eq!(fit(&f, "ab  cdefghijklmnop", w).unwrap(), "ab…");
        // "か" + voicing mark (が, decomposed) is never split.
        let text = "か\u{3099}".repeat(40);
        let fitted = fit(&f, &text, 300).unwrap();
        assert!(!fitted.trim_end_matches('…').ends_with('か'), "{fitted:?}");
    }

    #[test]
    fn nothing_fits_gives_a_lone_ellipsis() {
        let f = font(30.0);
        assert_eq!(fit(&f, "鈴木 亮", 1).unwrap(), "…");
    }

    #[test]
    fn control_characters_become_spaces() {
        assert_eq!(single_line("a\nb\tc"), "a b c");
        assert!(matches!(single_line("鈴木"), Cow::Borrowed(_)));
    }

    #[test]
    fn fitting_a_huge_text_measures_only_what_can_fit() {
        let f = font(30.0);
        let huge = "山田花子 Alice ".repeat(200_000);
        LAID_OUT.with(|n| n.set(0));
        let fitted = fit(&f, &huge, 1000).unwrap();
        let laid_out = LAID_OUT.with(std::cell::Cell::get);
        assert!(fitted.ends_with('…'));
        assert!(width(&f, &fitted).unwrap() <= 1000);
        // ~100 glyphs fit in 1000 px; the binary search lays out a few prefixes of them.
        assert!(
            laid_out < 5_000,
            "{laid_out} glyphs laid out for a text of {} characters",
            huge.chars().count()
        );
    }
}
