//! The SVG form of a chart: [`Backend`], a plotters `DrawingBackend` that records what the
//! drawing code paints as SVG shapes, into a [`Document`] that becomes the file. Pixels the
//! bitmap fills become rectangles on the same pixel grid (consecutive ones of a colour one
//! `<path>`); text becomes the embedded font's glyph outlines, each glyph once in `<defs>`
//! and placed with `<use>`, where plotters' bitmap puts its pixels. No `<text>`, script or
//! external reference; numbers rounded to 0.1 px, so the same shapes give the same bytes.
//! Each month's bar is its own `<path>` with a `<title>` (its month, count and the trend's
//! value there): hover values without script.
//! Like the PNG, the document is drawn once in palette roles; [`recolour`] gives each
//! variant its colours.

use std::collections::HashMap;
use std::convert::Infallible;
use std::fmt::Write as _;
use std::rc::Rc;

use ab_glyph::{point, Font, GlyphId, ScaleFont};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingBackend, DrawingErrorKind,
};

use super::draw::{BarHover, Marks};
use super::font;
use super::outline::{self, GRID};
use super::paint;
use super::stroke::Pen;

/// The element being written, so consecutive shapes of one kind share it.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Open {
    Nothing,
    /// `<path fill=…>` of rectangles, the last one's top-left corner `at`.
    Fill {
        colour: [u8; 3],
        at: (i32, i32),
    },
    /// `<g stroke=… stroke-width=…>` of bars of one colour and width, each a vertical
    /// `<path>` with its `<title>`.
    Bars {
        colour: [u8; 3],
        width: i32,
    },
    /// `<g fill=… transform=…>` of glyphs on one baseline at one size, starting at `x0`.
    Text {
        colour: [u8; 3],
        size: u32,
        baseline: i32,
        x0: i32,
    },
}

/// An SVG picture under construction.
pub(crate) struct Document {
    width: u32,
    height: u32,
    body: String,
    open: Open,
    /// Path data of each glyph used, in order of first use (its id is its position).
    glyphs: Vec<Rc<str>>,
    glyph_index: HashMap<GlyphId, usize>,
    /// `<defs>` entries other than glyphs (stroked paths drawn twice).
    defs: String,
    strokes: usize,
}

impl Document {
    pub(crate) fn new(width: u32, height: u32) -> Document {
        Document {
            width,
            height,
            body: String::with_capacity(8 * 1024),
            open: Open::Nothing,
            glyphs: Vec::new(),
            glyph_index: HashMap::new(),
            defs: String::new(),
            strokes: 0,
        }
    }

    /// Fill the pixels `x0..x1` × `y0..y1` (clipped to the picture), as the bitmap does.
    pub(crate) fn fill(&mut self, (x0, y0): (i32, i32), (x1, y1): (i32, i32), colour: [u8; 3]) {
        let (x0, x1) = (x0.max(0), x1.min(self.width as i32));
        let (y0, y1) = (y0.max(0), y1.min(self.height as i32));
        if x0 >= x1 || y0 >= y1 {
            return;
        }
        let (w, h) = (x1 - x0, y1 - y0);
        match self.open {
            // After `z` the pen is back at the previous rectangle's corner.
            Open::Fill {
                colour: c,
                at: (x, y),
            } if c == colour => {
                let (dx, dy) = (x0 - x, y0 - y);
                let sep = if dy < 0 { "" } else { " " };
                let _ = write!(self.body, "m{dx}{sep}{dy}h{w}v{h}h-{w}z");
            }
            _ => {
                self.close();
                let _ = write!(
                    self.body,
                    "<path fill=\"{}\" d=\"M{x0} {y0}h{w}v{h}h-{w}z",
                    hex(colour)
                );
            }
        }
        self.open = Open::Fill {
            colour,
            at: (x0, y0),
        };
    }

    /// Paint the pixels `x0..x1` × `y0..y1` of a month's bar, as [`Document::fill`] would,
    /// as its own element titled `title` (its hover text): a vertical line through the
    /// box's middle as wide as the box (butt caps cover exactly the box), shorter to write
    /// than its outline.
    pub(crate) fn bar(
        &mut self,
        (x0, y0): (i32, i32),
        (x1, y1): (i32, i32),
        colour: [u8; 3],
        title: &str,
    ) {
        let (x0, x1) = (x0.max(0), x1.min(self.width as i32));
        let (y0, y1) = (y0.max(0), y1.min(self.height as i32));
        if x0 >= x1 || y0 >= y1 {
            return;
        }
        let width = x1 - x0;
        if self.open != (Open::Bars { colour, width }) {
            self.close();
            let _ = write!(
                self.body,
                "<g stroke=\"{}\" stroke-width=\"{width}\">",
                hex(colour)
            );
            self.open = Open::Bars { colour, width };
        }
        let mut centre = String::new();
        push_tenths(&mut centre, i64::from(x0 + x1) * 5);
        let _ = write!(
            self.body,
            "<path d=\"M{centre} {y0}v{}\"><title>{}</title></path>",
            y1 - y0,
            escape(title)
        );
    }

    /// Place glyph `id` with its origin at (`x`, `baseline`), `size` px tall.
    fn glyph(&mut self, id: GlyphId, x: i32, baseline: i32, size: u32, colour: [u8; 3]) {
        let Ok(Some(data)) = outline::path_data(id) else {
            return;
        };
        let next = self.glyphs.len();
        let index = *self.glyph_index.entry(id).or_insert(next);
        if index == next {
            self.glyphs.push(data);
        }
        let x0 = match self.open {
            Open::Text {
                colour: c,
                size: s,
                baseline: b,
                x0,
            } if (c, s, b) == (colour, size, baseline) => x0,
            _ => {
                self.close();
                let _ = write!(
                    self.body,
                    "<g fill=\"{}\" transform=\"translate({x} {baseline})scale({})\">",
                    hex(colour),
                    decimal(f64::from(size) / GRID, 6)
                );
                self.open = Open::Text {
                    colour,
                    size,
                    baseline,
                    x0: x,
                };
                x
            }
        };
        let at = (f64::from(x - x0) * GRID / f64::from(size)).round() as i64;
        let _ = write!(self.body, "<use href=\"#{}\"", glyph_name(index));
        if at != 0 {
            let _ = write!(self.body, " x=\"{at}\"");
        }
        self.body.push_str("/>");
    }

    /// Stroke the polyline through `points` with `pen`'s round caps and joins (and its
    /// halo under it); one point is a dot of the pen's width.
    pub(crate) fn stroke(&mut self, points: &[(f64, f64)], pen: &Pen) {
        self.close();
        let inner = pen.width / 2.0;
        let outer = inner + pen.halo.max(0.0);
        if let [(x, y)] = points {
            let (x, y) = (decimal(*x, 1), decimal(*y, 1));
            let halo = (outer > inner).then_some((outer, pen.halo_colour));
            for (r, colour) in halo.into_iter().chain([(inner, pen.colour)]) {
                {
                    let _ = write!(
                        self.body,
                        "<circle cx=\"{x}\" cy=\"{y}\" r=\"{}\" fill=\"{}\"/>",
                        decimal(r, 1),
                        hex(colour)
                    );
                }
            }
            return;
        }
        if points.len() < 2 {
            return;
        }
        let d = polyline_data(points);
        let look = "fill=\"none\" stroke-linecap=\"round\" stroke-linejoin=\"round\"";
        let line = |colour: [u8; 3], r: f64| {
            format!(
                "stroke=\"{}\" stroke-width=\"{}\"",
                hex(colour),
                decimal(2.0 * r, 1)
            )
        };
        if outer > inner {
            let id = format!("s{}", self.strokes);
            self.strokes += 1;
            let _ = write!(self.defs, "<path id=\"{id}\" d=\"{d}\"/>");
            for (colour, r) in [(pen.halo_colour, outer), (pen.colour, inner)] {
                let _ = write!(
                    self.body,
                    "<use href=\"#{id}\" {look} {}/>",
                    line(colour, r)
                );
            }
        } else {
            let _ = write!(
                self.body,
                "<path {look} {} d=\"{d}\"/>",
                line(pen.colour, inner)
            );
        }
    }

    /// End the element being written.
    fn close(&mut self) {
        match std::mem::replace(&mut self.open, Open::Nothing) {
            Open::Nothing => {}
            Open::Fill { .. } => self.body.push_str("\"/>"),
            Open::Text { .. } | Open::Bars { .. } => self.body.push_str("</g>"),
        }
    }

    /// The file: `title` and `description` are the accessible name and description.
    pub(crate) fn finish(mut self, title: &str, description: &str) -> Vec<u8> {
        self.close();
        let (w, h) = (self.width, self.height);
        let mut out = String::with_capacity(self.body.len() + 8 * 1024);
        let _ = write!(
            out,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" \
             viewBox=\"0 0 {w} {h}\" role=\"img\" aria-labelledby=\"title desc\">\
             <title id=\"title\">{}</title><desc id=\"desc\">{}</desc><defs>",
            escape(title),
            escape(description)
        );
        for (i, data) in self.glyphs.iter().enumerate() {
            let _ = write!(out, "<path id=\"{}\" d=\"{data}\"/>", glyph_name(i));
        }
        out.push_str(&self.defs);
        out.push_str("</defs>");
        out.push_str(&self.body);
        out.push_str("</svg>\n");
        out.into_bytes()
    }
}

/// Path data through `points`, in tenths of a pixel: the first absolute, the rest relative.
fn polyline_data(points: &[(f64, f64)]) -> String {
    let tenths = |v: f64| (v * 10.0).round() as i64;
    let mut d = String::with_capacity(points.len() * 10);
    let mut at = (0, 0);
    for (i, &(x, y)) in points.iter().enumerate() {
        let p = (tenths(x), tenths(y));
        let (dx, dy) = if i == 0 { p } else { (p.0 - at.0, p.1 - at.1) };
        d.push_str(match i {
            0 => "M",
            1 => "l",
            _ => "",
        });
        for v in [dx, dy] {
            if v >= 0 && d.ends_with(|c: char| c.is_ascii_digit()) {
                d.push(' ');
            }
            push_tenths(&mut d, v);
        }
        at = p;
    }
    d
}

fn push_tenths(out: &mut String, v: i64) {
    if v < 0 {
        out.push('-');
    }
    let a = v.unsigned_abs();
    let _ = write!(out, "{}", a / 10);
    if !a.is_multiple_of(10) {
        let _ = write!(out, ".{}", a % 10);
    }
}

/// `v` with at most `places` decimals, trailing zeros dropped.
fn decimal(v: f64, places: usize) -> String {
    let mut s = format!("{v:.places$}");
    if s.contains('.') {
        while s.ends_with('0') {
            s.pop();
        }
        if s.ends_with('.') {
            s.pop();
        }
    }
    if s == "-0" {
        s = "0".into();
    }
    s
}

fn hex([r, g, b]: [u8; 3]) -> String {
    format!("#{r:02x}{g:02x}{b:02x}")
}

/// `svg`, drawn in [`ROLE_PALETTE`](super::paint::ROLE_PALETTE), with each role's colour
/// replaced by its colour in `colours` (role order). Colours appear only as `fill="#…"` and
/// `stroke="#…"` values; text is escaped, so a quote followed by a role colour is one of them.
pub(crate) fn recolour(
    svg: &[u8],
    colours: &[[u8; 3]; paint::ROLES],
) -> Result<Vec<u8>, paint::UnknownColour> {
    // A quote, `#`, the two marking bytes, then the role: `"#0b5e07`.
    let [m0, m1] = paint::MARK;
    let prefix = format!("\"#{m0:02x}{m1:02x}");
    let hexes = colours.map(hex);
    let mut out = Vec::with_capacity(svg.len());
    let mut copied = 0;
    for at in memchr::memmem::find_iter(svg, prefix.as_bytes()) {
        let digits = at + prefix.len();
        let role = svg
            .get(digits..digits + 2)
            .and_then(|d| std::str::from_utf8(d).ok())
            .and_then(|d| u8::from_str_radix(d, 16).ok())
            .unwrap_or(u8::MAX);
        let role = paint::role_of([m0, m1, role])?;
        out.extend_from_slice(&svg[copied..at + 1]);
        out.extend_from_slice(hexes[usize::from(role)].as_bytes());
        copied = digits + 2;
    }
    out.extend_from_slice(&svg[copied..]);
    Ok(out)
}

/// The id of the `i`-th glyph: `a` … `z`, `A` … `Z`, then two letters and so on (letters
/// only, so no other id, which has a digit, can collide).
fn glyph_name(mut i: usize) -> String {
    const LETTERS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut name = Vec::new();
    loop {
        name.push(LETTERS[i % LETTERS.len()]);
        i /= LETTERS.len();
        if i == 0 {
            break;
        }
        i -= 1;
    }
    name.reverse();
    String::from_utf8(name).expect("ASCII letters")
}

/// `text` as XML character data: markup escaped, characters XML 1.0 forbids replaced.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            // Not needed in text, but it keeps `"#…` meaning an attribute value ([`recolour`]).
            '"' => out.push_str("&quot;"),
            '\t' | '\n' | '\r' => out.push(' '),
            c if c < ' ' => out.push(' '),
            '\u{FFFE}' | '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Draws into a [`Document`] what the bitmap backend would draw into pixels.
pub(crate) struct Backend<'d> {
    doc: &'d mut Document,
}

impl<'d> Backend<'d> {
    pub(crate) fn new(doc: &'d mut Document) -> Backend<'d> {
        Backend { doc }
    }
}

fn opaque(c: &BackendColor) -> Option<[u8; 3]> {
    (c.alpha > 0.0).then_some([c.rgb.0, c.rgb.1, c.rgb.2])
}

impl Marks for Backend<'_> {
    fn bar(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        colour: plotters::style::RGBColor,
        hover: &BarHover<'_>,
    ) -> Result<(), DrawingErrorKind<Infallible>> {
        let ((x0, y0), (x1, y1)) = paint::corners(upper_left, bottom_right);
        self.doc.bar(
            (x0, y0),
            (x1, y1),
            [colour.0, colour.1, colour.2],
            &hover.title(),
        );
        Ok(())
    }
}

impl DrawingBackend for Backend<'_> {
    type ErrorType = Infallible;

    fn get_size(&self) -> (u32, u32) {
        (self.doc.width, self.doc.height)
    }

    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<Infallible>> {
        Ok(())
    }

    fn present(&mut self) -> Result<(), DrawingErrorKind<Infallible>> {
        Ok(())
    }

    fn draw_pixel(
        &mut self,
        (x, y): BackendCoord,
        color: BackendColor,
    ) -> Result<(), DrawingErrorKind<Infallible>> {
        if let Some(c) = opaque(&color) {
            self.doc.fill((x, y), (x + 1, y + 1), c);
        }
        Ok(())
    }

    /// A one-pixel line, both ends included, as the bitmap draws it.
    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Infallible>> {
        let Some(c) = opaque(&style.color()) else {
            return Ok(());
        };
        let ((x0, y0), (x1, y1)) = paint::corners(from, to);
        if (x0 == x1 || y0 == y1) && style.stroke_width() == 1 {
            self.doc.fill((x0, y0), (x1 + 1, y1 + 1), c);
        } else {
            let pen = Pen {
                width: f64::from(style.stroke_width()),
                colour: c,
                halo: 0.0,
                halo_colour: c,
            };
            let centre = |(x, y): BackendCoord| (f64::from(x) + 0.5, f64::from(y) + 0.5);
            self.doc.stroke(&[centre(from), centre(to)], &pen);
        }
        Ok(())
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Infallible>> {
        let Some(c) = opaque(&style.color()) else {
            return Ok(());
        };
        let ((x0, y0), (x1, y1)) = paint::corners(upper_left, bottom_right);
        if fill {
            // The bitmap fills up to, not including, the bottom-right corner.
            self.doc.fill((x0, y0), (x1, y1), c);
        } else {
            for (from, to) in [
                ((x0, y0), (x0, y1)),
                ((x0, y0), (x1, y0)),
                ((x1, y1), (x0, y1)),
                ((x1, y1), (x1, y0)),
            ] {
                self.draw_line(from, to, style)?;
            }
        }
        Ok(())
    }

    /// Each glyph where plotters' ab_glyph renderer puts its pixels: the ink's top-left
    /// pixel at `pos` shifted by the pen, the baseline half a size below `pos`.
    fn draw_text<TStyle: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &TStyle,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<Infallible>> {
        let Some(colour) = opaque(&style.color()) else {
            return Ok(());
        };
        let Ok(face) = font::face() else {
            return Ok(());
        };
        let size = style.size();
        let scaled = face.as_scaled(size as f32);
        let factor = scaled.scale_factor();
        let mut shift = 0f32;
        let mut previous: Option<GlyphId> = None;
        for c in text.chars() {
            let id = scaled.glyph_id(c);
            if let Some(p) = previous {
                shift += scaled.kern(p, id);
            }
            previous = Some(id);
            if let Some(outline) = face.outline(id) {
                let min = outline.px_bounds(factor, point(0.0, 0.0)).min;
                let x = pos.0 + shift as i32 - min.x as i32;
                let top = ((size as f32) / 2.0 + min.y) as i32;
                let baseline = pos.1 + top - min.y as i32;
                self.doc.glyph(id, x, baseline, size.round() as u32, colour);
            }
            shift += scaled.h_advance(id);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glyph_names_are_letters_and_distinct() {
        let names: Vec<String> = (0..3000).map(glyph_name).collect();
        assert_eq!((names[0].as_str(), names[51].as_str()), ("a", "Z"));
        assert_eq!(names[52], "aa");
        let distinct: std::collections::BTreeSet<&String> = names.iter().collect();
        assert_eq!(distinct.len(), names.len());
        assert!(names
            .iter()
            .all(|n| n.bytes().all(|b| b.is_ascii_alphabetic())));
    }

    #[test]
    fn numbers_are_rounded_and_short() {
        assert_eq!(decimal(0.06, 6), "0.06");
        assert_eq!(decimal(2.0, 1), "2");
        assert_eq!(decimal(-0.01, 1), "0");
        assert_eq!(
            polyline_data(&[(10.0, 20.04), (16.6, 19.0), (23.2, 25.05)]),
            "M10 20l6.6-1 6.6 6.1"
        );
    }

    #[test]
    fn text_is_escaped_for_xml() {
        assert_eq!(
            escape("a<b & c>\u{0}\u{FFFF}\"q\""),
            "a&lt;b &amp; c&gt; \u{FFFD}&quot;q&quot;"
        );
    }

    #[test]
    fn rectangles_of_one_colour_share_a_path_and_are_clipped() {
        let mut doc = Document::new(100, 50);
        doc.fill((10, 10), (20, 40), [1, 2, 3]);
        doc.fill((-5, 45), (200, 60), [1, 2, 3]);
        doc.fill((0, 0), (0, 10), [1, 2, 3]);
        doc.fill((30, 10), (40, 40), [9, 9, 9]);
        let svg = String::from_utf8(doc.finish("t", "d")).unwrap();
        assert!(
            svg.contains(
                "<path fill=\"#010203\" d=\"M10 10h10v30h-10zm-10 35h100v5h-100z\"/>\
                 <path fill=\"#090909\" d=\"M30 10h10v30h-10z\"/>"
            ),
            "{svg}"
        );
    }

    // The whole chart as SVG.
    use crate::chart::{render_png, render_svg, summary, ChartInput, Style, Variant};
    use crate::month::MonthKey;

    fn series(months: usize) -> Vec<u32> {
        (0..months as u32).map(|i| (i * 7 + 3) % 11).collect()
    }

    fn chart<'a>(name: &'a str, counts: &'a [u32]) -> ChartInput<'a> {
        ChartInput {
            display_name: name,
            first_month: MonthKey::new(2011, 1),
            counts,
        }
    }

    fn svg_of(input: &ChartInput<'_>, style: &Style, variant: Variant) -> String {
        String::from_utf8(render_svg(input, style, variant).unwrap()).unwrap()
    }

    /// Every colour a fill or stroke attribute names.
    fn colours(doc: &roxmltree::Document<'_>) -> std::collections::BTreeSet<String> {
        doc.descendants()
            .flat_map(|n| [n.attribute("fill"), n.attribute("stroke")])
            .flatten()
            .filter(|c| *c != "none")
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn the_svg_is_an_accessible_image_of_paths_only() {
        let counts = series(80);
        let input = chart("山田 <花子> & co", &counts);
        let style = Style::builtin();
        let text = svg_of(&input, &style, Variant::Light);
        let doc = roxmltree::Document::parse(&text).unwrap();
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "svg");
        assert_eq!(
            root.tag_name().namespace(),
            Some("http://www.w3.org/2000/svg")
        );
        assert_eq!(root.attribute("role"), Some("img"));
        assert_eq!(root.attribute("width"), Some("1200"));
        assert_eq!(root.attribute("height"), Some("600"));
        assert_eq!(root.attribute("viewBox"), Some("0 0 1200 600"));
        let child = |name: &str| {
            root.children()
                .find(|n| n.tag_name().name() == name)
                .and_then(|n| n.text())
                .map(str::to_owned)
        };
        assert_eq!(child("title").as_deref(), Some("山田 <花子> & co"));
        assert_eq!(child("desc"), Some(summary(&input, &style)));
        for node in doc.descendants().filter(|n| n.is_element()) {
            let name = node.tag_name().name();
            assert!(
                ["svg", "title", "desc", "defs", "path", "g", "use", "circle"].contains(&name),
                "<{name}> in the SVG"
            );
            for a in node.attributes() {
                if a.name() == "href" {
                    let id = a.value().strip_prefix('#').expect("an href to an id");
                    assert!(
                        doc.descendants().any(|n| n.attribute("id") == Some(id)),
                        "{id}"
                    );
                }
                assert!(!a.value().contains("url("), "{}={}", a.name(), a.value());
                assert!(!a.name().starts_with("on"), "{}", a.name());
            }
        }
    }

    #[test]
    fn each_glyph_is_defined_once_and_placed_by_use() {
        let counts = series(24);
        // 鈴 appears in the title only; the digits and 年/月 many times.
        let text = svg_of(
            &chart("鈴木 鈴", &counts),
            &Style::builtin(),
            Variant::Light,
        );
        let doc = roxmltree::Document::parse(&text).unwrap();
        let defs = doc.descendants().find(|n| n.has_tag_name("defs")).unwrap();
        let ids: Vec<&str> = defs.children().filter_map(|n| n.attribute("id")).collect();
        let distinct: std::collections::BTreeSet<&&str> = ids.iter().collect();
        assert_eq!(distinct.len(), ids.len(), "a glyph defined twice");
        let uses = doc.descendants().filter(|n| n.has_tag_name("use")).count();
        assert!(
            uses > ids.len() * 3 / 2,
            "{uses} uses of {} glyphs",
            ids.len()
        );
    }

    #[test]
    fn the_same_input_gives_the_same_svg_on_any_thread() {
        let counts = series(100);
        let one = || render_svg(&chart("佐藤", &counts), &Style::builtin(), Variant::Dark).unwrap();
        let first = one();
        let others: Vec<Vec<u8>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..3).map(|_| s.spawn(one)).collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(others.iter().all(|o| *o == first));
    }

    #[test]
    fn light_and_dark_svgs_paint_their_palettes() {
        let counts = series(40);
        let style = Style::builtin();
        for variant in [Variant::Light, Variant::Dark] {
            let text = svg_of(&chart("x", &counts), &style, variant);
            let doc = roxmltree::Document::parse(&text).unwrap();
            let p = style.palette(variant);
            let allowed: std::collections::BTreeSet<String> = super::super::paint::role_colours(p)
                .iter()
                .map(|&c| hex(c))
                .collect();
            let used = colours(&doc);
            assert!(
                used.is_subset(&allowed),
                "{variant:?}: {used:?} not in {allowed:?}"
            );
            for must in [p.background, p.bar, p.bar_partial, p.trend, p.title] {
                assert!(used.contains(&hex(must.0)), "{variant:?} lacks {must}");
            }
        }
    }

    #[test]
    fn one_drawing_gives_each_variant_the_bytes_of_its_own_render() {
        let counts = series(30);
        let input = chart("黒田", &counts);
        let style = Style::builtin();
        let both =
            crate::chart::render_svgs(&input, &style, &[Variant::Light, Variant::Dark]).unwrap();
        assert_eq!(both[0], render_svg(&input, &style, Variant::Light).unwrap());
        assert_eq!(both[1], render_svg(&input, &style, Variant::Dark).unwrap());
        assert_ne!(both[0], both[1]);
    }

    #[test]
    fn recolouring_touches_attribute_values_only() {
        use super::super::paint::{role_colours, ROLE_PALETTE};
        // A display name spelling a role colour stays as written; quotes in text are
        // escaped, so it cannot look like an attribute value.
        let counts = series(12);
        let input = chart("\"#0b5e01\" #0b5e07", &counts);
        let style = Style::builtin();
        let text = svg_of(&input, &style, Variant::Dark);
        assert!(text.contains("&quot;#0b5e01&quot; #0b5e07"), "{text}");
        let doc = roxmltree::Document::parse(&text).unwrap();
        let role = hex(ROLE_PALETTE.bar.0);
        assert!(colours(&doc).iter().all(|c| !c.starts_with(&role[..5])));

        let colours = role_colours(style.palette(Variant::Light));
        let unknown = br##"<path fill="#0b5e0b"/>"##;
        assert!(recolour(unknown, &colours).is_err());
        let cut = br##"<path fill="#0b5e"##;
        assert!(recolour(cut, &colours).is_err());
        let two = br##"<a fill="#0b5e00"/><b stroke="#0b5e09"/>"##;
        let expected = format!(
            "<a fill=\"{}\"/><b stroke=\"{}\"/>",
            hex(colours[0]),
            hex(colours[9])
        );
        assert_eq!(recolour(two, &colours).unwrap(), expected.into_bytes());
    }

    #[test]
    fn a_style_change_changes_the_svg() {
        let counts = series(40);
        let input = chart("x", &counts);
        let builtin = render_svg(&input, &Style::builtin(), Variant::Light).unwrap();
        let green = Style::from_toml("[light]\nbar = \"#00AA00\"\n", "s").unwrap();
        let en = Style::from_toml("locale = \"en\"\n", "s").unwrap();
        assert_ne!(builtin, render_svg(&input, &green, Variant::Light).unwrap());
        assert_ne!(builtin, render_svg(&input, &en, Variant::Light).unwrap());
    }

    /// One month's bar as the SVG draws it.
    struct SvgBar {
        /// Left, top, width and height in pixels.
        rect: (f64, f64, f64, f64),
        colour: String,
        title: String,
    }

    /// Each month's bar in the SVG, in document order.
    fn svg_bars(doc: &roxmltree::Document<'_>) -> Vec<SvgBar> {
        let mut bars = Vec::new();
        for group in doc.descendants().filter(|n| n.has_tag_name("g")) {
            let (Some(colour), Some(width)) =
                (group.attribute("stroke"), group.attribute("stroke-width"))
            else {
                continue;
            };
            let width: f64 = width.parse().unwrap();
            for path in group.children().filter(|n| n.has_tag_name("path")) {
                let d = path.attribute("d").unwrap();
                let (x, rest) = d[1..].split_once(' ').unwrap();
                let (y, h) = rest.split_once('v').unwrap();
                let (x, y, h): (f64, f64, f64) =
                    (x.parse().unwrap(), y.parse().unwrap(), h.parse().unwrap());
                let title = path
                    .children()
                    .find(|n| n.has_tag_name("title"))
                    .and_then(|t| t.text())
                    .unwrap_or_else(|| panic!("a bar without a title: {d}"))
                    .to_owned();
                bars.push(SvgBar {
                    rect: (x - width / 2.0, y, width, h),
                    colour: colour.to_owned(),
                    title,
                });
            }
        }
        bars
    }

    /// The bars of the SVG lie where the PNG has bar pixels: one layout, two formats.
    #[test]
    fn the_svg_bars_are_the_png_bars() {
        let counts = series(30);
        let input = chart("x", &counts);
        let style = Style::builtin();
        let png_bytes = render_png(&input, &style, Variant::Light).unwrap();
        let mut decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
        decoder.set_transformations(png::Transformations::EXPAND);
        let mut reader = decoder.read_info().unwrap();
        let mut rgb = vec![0; reader.output_buffer_size().unwrap()];
        reader.next_frame(&mut rgb).unwrap();
        let pixel = |x: i32, y: i32| {
            let at = (y as usize * 1200 + x as usize) * 3;
            [rgb[at], rgb[at + 1], rgb[at + 2]]
        };
        let text = svg_of(&input, &style, Variant::Light);
        let doc = roxmltree::Document::parse(&text).unwrap();
        let bars = svg_bars(&doc);
        assert_eq!(bars.len(), counts.iter().filter(|&&c| c > 0).count());
        for SvgBar {
            rect: (x, y, w, h),
            colour,
            title,
        } in &bars
        {
            assert_eq!(x.fract(), 0.0, "{title}: bars lie on whole pixels");
            let (x, y, w, h) = (*x as i32, *y as i32, *w as i32, *h as i32);
            let paint = if *colour == hex(style.light.bar.0) {
                style.light.bar.0
            } else {
                // The month in progress: partial colour, outlined in the bar colour.
                assert_eq!(*colour, hex(style.light.bar_partial.0));
                assert_eq!(pixel(x + w / 2, y + h - 2), style.light.bar_partial.0);
                continue;
            };
            // Above the baseline, which is drawn under the bars' last row.
            let low = y + h - 2;
            assert_eq!(pixel(x, low), paint, "bottom-left of {title}");
            assert_eq!(pixel(x + w - 1, low), paint, "bottom-right of {title}");
            assert_eq!(pixel(x, y), paint, "top-left of {title}");
            assert_ne!(pixel(x - 1, low), paint, "left of {title}");
            assert_ne!(pixel(x + w, low), paint, "right of {title}");
            assert_ne!(pixel(x, y - 1), paint, "above {title}");
        }
    }

    /// The 12-month average of `counts[..=i]`, computed here on its own.
    fn average_at(counts: &[u32], i: usize) -> f64 {
        let from = i.saturating_sub(11);
        let sum: u32 = counts[from..=i].iter().sum();
        f64::from(sum) / (i + 1 - from) as f64
    }

    #[test]
    fn every_bar_has_a_title_with_its_month_count_and_trend() {
        let mut counts = series(40);
        counts[5] = 1234;
        let first = MonthKey::new(2011, 1);
        let input = chart("x", &counts);
        for (style, month_of, count_of, trend_of, in_progress) in [
            (
                Style::builtin(),
                (|y: i32, m: u32| format!("{y}年{m}月")) as fn(i32, u32) -> String,
                (|n: u32| {
                    if n == 1234 {
                        "1,234件".to_owned()
                    } else {
                        format!("{n}件")
                    }
                }) as fn(u32) -> String,
                (|a: f64| format!("（12か月平均{a:.1}）")) as fn(f64) -> String,
                "（集計中）",
            ),
            (
                Style::from_toml("locale = \"en\"\n", "s").unwrap(),
                |y, m| {
                    let names = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug"];
                    let names2 = ["Sep", "Oct", "Nov", "Dec"];
                    let name = names.iter().chain(&names2).nth(m as usize - 1).unwrap();
                    format!("{name} {y}")
                },
                |n| match n {
                    1 => "1 post".to_owned(),
                    1234 => "1,234 posts".to_owned(),
                    n => format!("{n} posts"),
                },
                |a| format!(" (12-month avg {a:.1})"),
                " (in progress)",
            ),
        ] {
            let text = svg_of(&input, &style, Variant::Light);
            let doc = roxmltree::Document::parse(&text).unwrap();
            let titles: Vec<String> = svg_bars(&doc).into_iter().map(|b| b.title).collect();
            let expected: Vec<String> = counts
                .iter()
                .enumerate()
                .filter(|(_, &c)| c > 0)
                .map(|(i, &c)| {
                    let month = first.plus(i);
                    let tail = if i + 1 == counts.len() {
                        in_progress.to_owned()
                    } else {
                        trend_of(average_at(&counts, i))
                    };
                    format!(
                        "{}: {}{tail}",
                        month_of(month.year, month.month),
                        count_of(c)
                    )
                })
                .collect();
            assert_eq!(titles, expected);
        }
    }

    #[test]
    fn a_fifteen_year_japanese_chart_is_about_28_kb() {
        let counts = series(180);
        let len = render_svg(
            &chart("渡辺 健太郎", &counts),
            &Style::builtin(),
            Variant::Light,
        )
        .unwrap()
        .len();
        // The seed backfill's charts average under 20 KB; fifteen busy years, every bar
        // with its hover title, are the large end.
        assert!(len < 30_000, "{len} bytes");
    }
}
