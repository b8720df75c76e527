//! The chart style, the one file a designer edits (spec/chart-style.md): the colour of every
//! element in each variant (`[light]`, `[dark]`), the type sizes (`[text]`), the page size,
//! the locale and what to publish. Read from TOML (`--style FILE`, `CHART_STYLE`); a field
//! left out keeps its built-in value ([`Style::builtin`], shipped as
//! `deploy/styles/default.toml`), so `locale = "en"` alone is a valid style; a tick label
//! size left out grows with a wider page. Unknown fields, bad colours and out-of-range
//! sizes are one-line errors that name the field and what is allowed; a style file is a
//! regular file of at most [`MAX_STYLE_BYTES`].

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};

use super::layout::Layout;
use crate::quote::{clip_quoted, quoted, MAX_QUOTED_CHARS};
use crate::regular_file::{self, Links, Opened};

/// Bumped when the drawing code changes what a chart looks like, so the style digest of
/// `index.json` changes too and the next run re-renders every listed author.
const RENDERER_VERSION: u32 = 2;

/// The largest style a file or `CHART_STYLE` may hold: the built-in one, every field
/// spelled out with comments, is about 1.5 KB (and the stack allows 4 KB).
pub const MAX_STYLE_BYTES: usize = 64 * 1024;

/// Allowed page sizes in pixels.
pub const WIDTH_RANGE: (u32, u32) = (600, 2400);
pub const HEIGHT_RANGE: (u32, u32) = (300, 1200);

/// A colour written `#RRGGBB` in the style file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Colour(pub [u8; 3]);

impl Colour {
    /// `#RRGGBB` (either case) → colour.
    pub fn parse(text: &str) -> Option<Colour> {
        let hex = text.strip_prefix('#')?;
        if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
        Some(Colour([byte(0)?, byte(2)?, byte(4)?]))
    }
}

impl fmt::Display for Colour {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [r, g, b] = self.0;
        write!(f, "#{r:02X}{g:02X}{b:02X}")
    }
}

impl Serialize for Colour {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Colour {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Colour, D::Error> {
        let text = String::deserialize(d)?;
        Colour::parse(&text).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "{} is not a colour: write it as \"#RRGGBB\" (six hex digits, e.g. \"#4E79A7\")",
                quoted(&text)
            ))
        })
    }
}

/// Language of every word and number on the chart and in the summary text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Locale {
    Ja,
    En,
}

/// A colour scheme of the chart; each listed one is published as its own file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Variant {
    /// `<slug>.png`, always published.
    Light,
    /// `<slug>.dark.png`.
    Dark,
}

impl Variant {
    pub fn name(self) -> &'static str {
        match self {
            Variant::Light => "light",
            Variant::Dark => "dark",
        }
    }
}

/// An image format to publish: each variant becomes one file of each listed format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// `<slug>.png`, `<slug>.dark.png`: 8-bit palette PNG.
    Png,
    /// `<slug>.svg`, `<slug>.dark.svg`: text as glyph outlines, scales to any size.
    Svg,
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Format::Png => "png",
            Format::Svg => "svg",
        }
    }
}

/// A struct whose every field may be left out of the style file: the struct itself, and a
/// patch of `Option`s that overwrites only the fields the file gives.
macro_rules! patchable {
    ($(#[$meta:meta])* $name:ident, $patch:ident { $($(#[$fmeta:meta])* $field:ident: $ty:ty,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Serialize)]
        pub struct $name { $($(#[$fmeta])* pub $field: $ty,)* }

        #[derive(Debug, Default, Deserialize)]
        #[serde(deny_unknown_fields)]
        struct $patch { $($field: Option<$ty>,)* }

        impl $patch {
            fn apply(self, to: &mut $name) {
                $(if let Some(value) = self.$field { to.$field = value; })*
            }
        }
    };
}

patchable! {
    /// The colours of one variant.
    Palette, PalettePatch {
        /// The whole picture.
        background: Colour,
        /// The display name.
        title: Colour,
        /// "N posts since …", the legend's words and the "as of" note.
        subtitle: Colour,
        /// Tick labels of both axes.
        axis_label: Colour,
        /// Horizontal grid lines.
        grid: Colour,
        /// Faint vertical rules at year boundaries.
        year_rule: Colour,
        /// The zero line and its ticks.
        baseline: Colour,
        /// A month's bar.
        bar: Colour,
        /// The bar of the month in progress (the month of `now`).
        bar_partial: Colour,
        /// The 12-month average line and its dot.
        trend: Colour,
        /// The thin outline that lifts the trend line off the bars.
        trend_halo: Colour,
    }
}

patchable! {
    /// Type sizes in pixels (at the style's width; nothing is scaled).
    TextSizes, TextSizesPatch {
        /// The display name.
        title: u32,
        /// "N posts since …" and the legend.
        subtitle: u32,
        /// Tick labels; at least width / 75 (16 at 1200), so they stay legible at half size.
        label: u32,
        /// The "as of" note.
        note: u32,
    }
}

/// Everything about how charts look and which files they become.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Style {
    pub width: u32,
    pub height: u32,
    pub locale: Locale,
    /// Published variants; `light` is required (it is `<slug>.png`).
    pub variants: Vec<Variant>,
    pub formats: Vec<Format>,
    pub text: TextSizes,
    pub light: Palette,
    pub dark: Palette,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct StylePatch {
    width: Option<u32>,
    height: Option<u32>,
    locale: Option<Locale>,
    variants: Option<Vec<Variant>>,
    formats: Option<Vec<Format>>,
    text: Option<TextSizesPatch>,
    light: Option<PalettePatch>,
    dark: Option<PalettePatch>,
}

const fn c(hex: u32) -> Colour {
    Colour([(hex >> 16) as u8, (hex >> 8) as u8, hex as u8])
}

impl Style {
    /// The look without a style file: a calm blue for the bars and a warm orange for the
    /// trend, greys for text and rules; white for light, near-black slate for dark.
    pub fn builtin() -> Style {
        Style {
            width: 1200,
            height: 600,
            locale: Locale::Ja,
            variants: vec![Variant::Light, Variant::Dark],
            formats: vec![Format::Png, Format::Svg],
            text: TextSizes {
                title: 30,
                subtitle: 18,
                label: 16,
                note: 14,
            },
            light: Palette {
                background: c(0xFFFFFF),
                title: c(0x1F2937),
                subtitle: c(0x4B5563),
                axis_label: c(0x4B5563),
                grid: c(0xE5E7EB),
                year_rule: c(0xF0F1F3),
                baseline: c(0x9CA3AF),
                bar: c(0x4E79A7),
                bar_partial: c(0xB3C7DD),
                trend: c(0xE8771E),
                trend_halo: c(0xFFFFFF),
            },
            dark: Palette {
                background: c(0x111827),
                title: c(0xF3F4F6),
                subtitle: c(0xB6BDC8),
                axis_label: c(0xB6BDC8),
                grid: c(0x2B3544),
                year_rule: c(0x1C2533),
                baseline: c(0x6B7280),
                bar: c(0x7AA5D6),
                bar_partial: c(0x3B5573),
                trend: c(0xF5A04A),
                trend_halo: c(0x111827),
            },
        }
    }

    /// Read a style from TOML text over the built-in one; `origin` (a file name, or the
    /// environment variable) starts every error message, which is one line.
    pub fn from_toml(text: &str, origin: &str) -> Result<Style, String> {
        if text.len() > MAX_STYLE_BYTES {
            return Err(too_large(origin, text.len() as u64));
        }
        let patch: StylePatch = toml::from_str(text).map_err(|e| {
            // Where, and the line itself (cut short), which names the field.
            let at = e.span().map_or_else(String::new, |span| {
                let start = span.start.min(text.len());
                let (before, after) = text.split_at(start);
                let line = before.matches('\n').count() + 1;
                let line_start = before.rsplit('\n').next().unwrap_or("");
                let column = line_start.chars().count() + 1;
                let whole = format!("{line_start}{}", after.split('\n').next().unwrap_or(""));
                let shown: String = whole.trim().chars().take(MAX_QUOTED_CHARS).collect();
                let cut = if whole.trim().chars().count() > MAX_QUOTED_CHARS {
                    "…"
                } else {
                    ""
                };
                format!("line {line}, column {column} ({shown}{cut}): ")
            });
            format!(
                "{origin}: {at}{} — see spec/chart-style.md or deploy/styles/default.toml",
                clip_quoted(e.message().trim_end()).replace('\n', " ")
            )
        })?;
        let label_given = patch.text.as_ref().is_some_and(|t| t.label.is_some());
        let mut style = Style::builtin();
        macro_rules! take {
            ($($field:ident),*) => { $(if let Some(v) = patch.$field { style.$field = v; })* };
        }
        take!(width, height, locale, variants, formats);
        if let Some(p) = patch.text {
            p.apply(&mut style.text);
        }
        if !label_given {
            // Left out, the tick labels keep the built-in size, or the least a wider page
            // needs (width / 75), so `width = 1300` alone is a valid style.
            style.text.label = style.text.label.max(min_label(style.width));
        }
        if let Some(p) = patch.light {
            p.apply(&mut style.light);
        }
        if let Some(p) = patch.dark {
            p.apply(&mut style.dark);
        }
        style
            .check()
            .map_err(|e| format!("{origin}: {e} — see spec/chart-style.md"))?;
        Ok(style)
    }

    /// Read a style file: a regular file (a link to one is fine; a FIFO or a device is
    /// refused without reading it) of at most [`MAX_STYLE_BYTES`].
    pub fn from_file(path: &std::path::Path) -> Result<Style, String> {
        let origin = format!("style file {}", path.display());
        let cannot = |e: &dyn fmt::Display| {
            format!("{origin}: cannot read it ({e}) — pass a readable TOML file to --style")
        };
        let (file, len) = match regular_file::open(path, Links::Follow) {
            Ok(Opened::File(file, len)) => (file, len),
            Ok(Opened::Missing) => return Err(cannot(&"no such file")),
            Ok(Opened::Link) => unreachable!("links are followed"),
            Err(e) => return Err(cannot(&e)),
        };
        if len > MAX_STYLE_BYTES as u64 {
            return Err(too_large(&origin, len));
        }
        let mut bytes = Vec::with_capacity(len as usize);
        std::io::Read::read_to_end(
            &mut std::io::Read::take(file, MAX_STYLE_BYTES as u64 + 1),
            &mut bytes,
        )
        .map_err(|e| cannot(&e))?;
        let text = String::from_utf8(bytes).map_err(|_| cannot(&"it is not UTF-8 text"))?;
        Style::from_toml(&text, &origin)
    }

    /// The ranges and rules serde cannot express.
    fn check(&self) -> Result<(), String> {
        let within = |name: &str, value: u32, (lo, hi): (u32, u32)| {
            if (lo..=hi).contains(&value) {
                Ok(())
            } else {
                Err(format!(
                    "{name} = {value} is out of range: allowed {lo} to {hi}"
                ))
            }
        };
        within("width", self.width, WIDTH_RANGE)?;
        within("height", self.height, HEIGHT_RANGE)?;
        within("text.title", self.text.title, (12, 96))?;
        within("text.subtitle", self.text.subtitle, (10, 64))?;
        let least = min_label(self.width);
        if !(least..=64).contains(&self.text.label) {
            return Err(format!(
                "text.label = {} is out of range: allowed {least} to 64 at width = {} (tick \
                 labels are at least width / 75, rounded up; leave text.label out to get that)",
                self.text.label, self.width
            ));
        }
        within("text.note", self.text.note, (10, 48))?;
        if !self.variants.contains(&Variant::Light) {
            return Err(format!(
                "variants = {:?} must include \"light\" (it is <slug>.png, which every page \
                 links); allowed values: \"light\", \"dark\"",
                self.variant_names()
            ));
        }
        for (i, v) in self.variants.iter().enumerate() {
            if self.variants[..i].contains(v) {
                return Err(format!("variants lists {:?} twice", v.name()));
            }
        }
        if self.formats.is_empty() {
            return Err(
                "formats = [] publishes nothing; allowed values: \"png\", \"svg\"".to_owned(),
            );
        }
        for (i, f) in self.formats.iter().enumerate() {
            if self.formats[..i].contains(f) {
                return Err(format!("formats lists {:?} twice", f.extension()));
            }
        }
        Layout::new(self).map(|_| ())
    }

    fn variant_names(&self) -> Vec<&'static str> {
        self.variants.iter().map(|v| v.name()).collect()
    }

    /// The colours of `variant`.
    pub fn palette(&self, variant: Variant) -> &Palette {
        match variant {
            Variant::Light => &self.light,
            Variant::Dark => &self.dark,
        }
    }

    /// A short digest of everything that decides how a chart looks (this style and the
    /// renderer's version): 16 hex digits, recorded as `style` in `index.json`.
    pub fn digest(&self) -> String {
        let mut hasher = Sha256::new();
        hasher.update(RENDERER_VERSION.to_be_bytes());
        hasher.update(serde_json::to_vec(self).expect("a style serializes"));
        hasher.finalize()[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// The one-line error for a style of `len` bytes, over [`MAX_STYLE_BYTES`].
fn too_large(origin: &str, len: u64) -> String {
    format!(
        "{origin}: it is {len} bytes, more than the {} KiB a style may have (the built-in one, \
         every field spelled out, is about 1.5 KB) — pass the style's TOML file itself",
        MAX_STYLE_BYTES / 1024
    )
}

/// Smallest tick label size for a page `width` wide: width / 75, rounded up (16 at 1200).
pub fn min_label(width: u32) -> u32 {
    width.div_ceil(75)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEFAULT_TOML: &str = include_str!("../../../deploy/styles/default.toml");

    #[test]
    fn the_shipped_default_file_is_the_builtin_style() {
        assert_eq!(
            Style::from_toml(DEFAULT_TOML, "default.toml").unwrap(),
            Style::builtin()
        );
    }

    #[test]
    fn the_shipped_default_file_spells_out_every_field() {
        // Keys of the file and of the built-in style, as JSON objects: the same tree.
        fn keys(v: &serde_json::Value, at: &str, out: &mut Vec<String>) {
            if let Some(map) = v.as_object() {
                for (k, v) in map {
                    let path = format!("{at}{k}");
                    out.push(path.clone());
                    keys(v, &format!("{path}."), out);
                }
            }
        }
        let file: serde_json::Value = toml::from_str(DEFAULT_TOML).unwrap();
        let builtin = serde_json::to_value(Style::builtin()).unwrap();
        let (mut a, mut b) = (Vec::new(), Vec::new());
        keys(&file, "", &mut a);
        keys(&builtin, "", &mut b);
        a.sort();
        b.sort();
        assert_eq!(a, b);
    }

    #[test]
    fn an_empty_file_is_the_builtin_style() {
        assert_eq!(Style::from_toml("", "x").unwrap(), Style::builtin());
    }

    #[test]
    fn a_partial_file_changes_only_what_it_names() {
        let style = Style::from_toml("locale = \"en\"\n[dark]\nbar = \"#00ff00\"\n", "x").unwrap();
        let mut want = Style::builtin();
        want.locale = Locale::En;
        want.dark.bar = Colour([0, 255, 0]);
        assert_eq!(style, want);
    }

    #[test]
    fn an_unknown_field_is_named_with_the_allowed_ones() {
        let e = Style::from_toml("[light]\nbakground = \"#ffffff\"\n", "style.toml").unwrap_err();
        assert!(e.starts_with("style.toml: "), "{e}");
        assert!(e.contains("bakground") && e.contains("`background`"), "{e}");
    }

    #[test]
    fn a_bad_colour_is_named_with_the_expected_form() {
        let e = Style::from_toml("[dark]\nbar = \"blue\"\n", "s").unwrap_err();
        assert!(e.contains("bar") && e.contains("#RRGGBB"), "{e}");
        assert!(Style::from_toml("[dark]\nbar = \"#12345\"\n", "s").is_err());
    }

    #[test]
    fn an_unknown_locale_lists_the_allowed_ones() {
        let e = Style::from_toml("locale = \"fr\"\n", "s").unwrap_err();
        assert!(
            e.contains("locale") && e.contains("`ja`") && e.contains("`en`"),
            "{e}"
        );
    }

    #[test]
    fn sizes_outside_their_range_are_refused_with_the_range() {
        let e = Style::from_toml("width = 5000\n", "s").unwrap_err();
        assert!(
            e.contains("width = 5000") && e.contains("600 to 2400"),
            "{e}"
        );
        let e = Style::from_toml("height = 100\n", "s").unwrap_err();
        assert!(
            e.contains("height = 100") && e.contains("300 to 1200"),
            "{e}"
        );
    }

    #[test]
    fn tick_labels_smaller_than_width_over_75_are_refused() {
        let e = Style::from_toml("[text]\nlabel = 12\n", "s").unwrap_err();
        assert!(
            e.contains("text.label = 12") && e.contains("16 to 64 at width = 1200"),
            "{e}"
        );
        assert!(Style::from_toml("width = 600\n[text]\nlabel = 12\n", "s").is_ok());
        let e = Style::from_toml("width = 1300\n[text]\nlabel = 16\n", "s").unwrap_err();
        assert!(
            e.contains("text.label = 16") && e.contains("18 to 64 at width = 1300"),
            "{e}"
        );
    }

    #[test]
    fn a_wider_page_alone_raises_the_tick_labels_it_needs() {
        let style = Style::from_toml("width = 1300\n", "s").unwrap();
        assert_eq!(style.text.label, 18);
        assert_eq!(
            Style::from_toml("width = 600\n", "s").unwrap().text.label,
            16
        );
        assert_eq!(
            Style::from_toml("width = 2400\n", "s").unwrap().text.label,
            32
        );
        // Larger labels on a low page: refused, naming every size and the height.
        let e = Style::from_toml("width = 2400\nheight = 300\n", "s").unwrap_err();
        assert!(
            e.contains("text.label 32") && e.contains("height 300"),
            "{e}"
        );
    }

    #[test]
    fn a_long_bad_value_is_quoted_once_and_short() {
        let value = "x".repeat(50_000);
        let e = Style::from_toml(&format!("[dark]\nbar = \"{value}\"\n"), "s").unwrap_err();
        assert!(e.len() < 400, "{} bytes: {e}", e.len());
        assert_eq!(
            e.matches(&"x".repeat(70)).count(),
            2,
            "the line and the value: {e}"
        );
        assert!(
            e.contains("line 2, column 7") && e.contains("#RRGGBB"),
            "{e}"
        );
        assert!(!e.contains('\n'), "one line: {e}");
        let e = Style::from_toml(&format!("width = \"{value}\"\n"), "s").unwrap_err();
        assert!(e.len() < 400, "{} bytes: {e}", e.len());
    }

    #[test]
    fn a_style_over_64_kib_is_refused_unread() {
        let e = Style::from_toml(&" ".repeat(MAX_STYLE_BYTES + 1), "s").unwrap_err();
        assert!(e.contains("more than the 64 KiB"), "{e}");
        let e = Style::from_file(std::path::Path::new("/dev/zero")).unwrap_err();
        assert!(e.contains("/dev/zero") && e.contains("a device"), "{e}");
    }

    #[test]
    fn light_is_a_required_variant() {
        let e = Style::from_toml("variants = [\"dark\"]\n", "s").unwrap_err();
        assert!(e.contains("light"), "{e}");
        let e = Style::from_toml("variants = [\"sepia\"]\n", "s").unwrap_err();
        assert!(e.contains("`light`") && e.contains("`dark`"), "{e}");
    }

    #[test]
    fn the_digest_follows_the_style() {
        let builtin = Style::builtin();
        assert_eq!(builtin.digest().len(), 16);
        assert_eq!(builtin.digest(), Style::builtin().digest());
        let en = Style::from_toml("locale = \"en\"\n", "s").unwrap();
        assert_ne!(en.digest(), builtin.digest());
    }

    #[test]
    fn colours_round_trip_as_upper_case_hex() {
        assert_eq!(Colour::parse("#4e79a7").unwrap().to_string(), "#4E79A7");
        assert!(Colour::parse("4E79A7").is_none());
        assert!(Colour::parse("#4E79A").is_none());
        assert!(Colour::parse("#GGGGGG").is_none());
    }
}
