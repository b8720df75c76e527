//! The one embedded font (BIZ UDPGothic, OFL; licence in `job/assets/fonts/OFL.txt`).
//! It covers Latin and Japanese, because ab_glyph has no per-glyph fallback. Registered with
//! plotters once per process, thread-safely, for drawing; also parsed for its metrics.

use std::sync::OnceLock;

use ab_glyph::FontRef;
use plotters::style::{register_font, FontDesc, FontFamily, FontStyle};

/// The font file, compiled into the binary.
pub(crate) const FONT_BYTES: &[u8] = include_bytes!("../../assets/fonts/BIZUDPGothic-Regular.ttf");

/// The family name the font is registered under (private to this crate's charts).
const FAMILY: &str = "author-stats-chart-sans";

/// Register the embedded font with plotters, once. Later calls return the first outcome.
pub(crate) fn ensure_registered() -> anyhow::Result<()> {
    static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();
    REGISTERED
        .get_or_init(|| {
            register_font(FAMILY, FontStyle::Normal, FONT_BYTES).map_err(|_| {
                "the embedded font BIZUDPGothic-Regular.ttf is not a valid font".into()
            })
        })
        .clone()
        .map_err(anyhow::Error::msg)
}

/// The parsed font, for glyph metrics. Call `ensure_registered` first, which checks that
/// the bytes parse.
pub(crate) fn face() -> anyhow::Result<&'static FontRef<'static>> {
    static FACE: OnceLock<Option<FontRef<'static>>> = OnceLock::new();
    FACE.get_or_init(|| FontRef::try_from_slice(FONT_BYTES).ok())
        .as_ref()
        .ok_or_else(|| {
            anyhow::anyhow!("the embedded font BIZUDPGothic-Regular.ttf is not a valid font")
        })
}

/// The chart font at `size` pixels. Call `ensure_registered` first.
pub(crate) fn sized(size: f64) -> FontDesc<'static> {
    FontDesc::new(FontFamily::Name(FAMILY), size, FontStyle::Normal)
}

#[cfg(test)]
mod tests {
    use super::*;
    use plotters::prelude::{BitMapBackend, IntoDrawingArea};
    use plotters::style::BLACK;

    /// A code point no font maps: it always draws the font's .notdef glyph ("tofu").
    const NOTDEF: char = '\u{10FFFD}';

    /// `c` drawn on its own, as the chart draws text.
    fn raster(c: char) -> Vec<u8> {
        ensure_registered().unwrap();
        let mut buf = vec![255u8; 48 * 48 * 3];
        {
            let area = BitMapBackend::with_buffer(&mut buf, (48, 48)).into_drawing_area();
            area.draw_text(&c.to_string(), &sized(30.0).color(&BLACK), (8, 8))
                .unwrap();
        }
        buf
    }

    #[test]
    fn common_japanese_characters_draw_real_glyphs() {
        let tofu = raster(NOTDEF);
        assert!(
            tofu.iter().any(|&b| b != 255),
            ".notdef draws a visible box"
        );
        let names = "鈴木亮山田花子佐藤高橋伊渡辺中小林加吉松井斎清水森池口健太郎美";
        let kana =
            "あいうえおかきくけこさしすせそがぎゆよらりるれろわをんアイウエオカキクケコンッャー";
        let marks = "・々「」（）…";
        for c in names.chars().chain(kana.chars()).chain(marks.chars()) {
            assert_ne!(raster(c), tofu, "{c} draws as tofu");
        }
    }

    #[test]
    fn characters_missing_from_the_font_draw_as_tofu() {
        // The comparison above can fail: an emoji is not in the font.
        assert_eq!(raster('😀'), raster(NOTDEF));
    }

    #[test]
    fn the_font_maps_common_japanese_characters() {
        use ab_glyph::Font;
        let face = face().unwrap();
        let common = "鈴木亮山田花子佐藤高橋伊渡辺中小林加吉松井斎清水森池口健太郎美\
                      あいうえおかきくけこさしすせそたちつてとなにぬねのはひふへほまみむめも\
                      やゆよらりるれろわをんアイウエオカキクケコンー・々…　";
        for c in common.chars() {
            assert_ne!(face.glyph_id(c).0, 0, "{c:?} is missing from the font");
        }
        assert_eq!(face.glyph_id('😀').0, 0, "emoji are not in the font");
    }

    #[test]
    fn registration_is_idempotent() {
        ensure_registered().unwrap();
        ensure_registered().unwrap();
    }
}
