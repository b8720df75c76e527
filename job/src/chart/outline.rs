//! Glyph outlines of the embedded font as SVG path data, so an SVG chart draws its text
//! without any font on the reader's machine. Coordinates are whole units of a grid of
//! [`GRID`] units per font height (y down, origin at the glyph's origin on the baseline),
//! written relative and without redundant separators; each thread keeps the glyphs it has
//! converted, since a chart's labels repeat the same few dozen.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::rc::Rc;

use ab_glyph::{Font, GlyphId, OutlineCurve, Point};

use super::font;

/// Grid units per font height (ascent − descent, the unit of ab_glyph's pixel sizes): a
/// glyph drawn `size` px tall is scaled by `size / GRID`, so one unit is 0.12 px for a
/// 30 px title and 0.064 px for a 16 px label.
pub(crate) const GRID: f64 = 250.0;

/// Glyphs a thread keeps converted; past this (names in many scripts) the cache restarts.
const CACHE_LIMIT: usize = 4096;

thread_local! {
    static CACHE: std::cell::RefCell<HashMap<GlyphId, Option<Rc<str>>>> =
        std::cell::RefCell::new(HashMap::new());
}

/// Path data of glyph `id`, or `None` for a glyph without ink (a space).
pub(crate) fn path_data(id: GlyphId) -> anyhow::Result<Option<Rc<str>>> {
    if let Some(hit) = CACHE.with_borrow(|c| c.get(&id).cloned()) {
        return Ok(hit);
    }
    let face = font::face()?;
    let to_grid = GRID as f32 / face.height_unscaled();
    let data = face
        .outline(id)
        .map(|outline| convert(&outline.curves, to_grid))
        .filter(|d| !d.is_empty())
        .map(Rc::from);
    CACHE.with_borrow_mut(|c| {
        if c.len() >= CACHE_LIMIT {
            c.clear();
        }
        c.insert(id, data.clone());
    });
    Ok(data)
}

/// SVG path data of `curves` (font units, y up) scaled by `to_grid`, y flipped.
fn convert(curves: &[OutlineCurve], to_grid: f32) -> String {
    let grid = |p: &Point| {
        (
            (p.x * to_grid).round() as i32,
            (-p.y * to_grid).round() as i32,
        )
    };
    let mut path = PathData::default();
    for curve in curves {
        match curve {
            OutlineCurve::Line(a, b) => {
                path.start(grid(a));
                path.line(grid(b));
            }
            OutlineCurve::Quad(a, c, b) => {
                path.start(grid(a));
                path.curve(b'q', &[grid(c)], grid(b));
            }
            OutlineCurve::Cubic(a, c1, c2, b) => {
                path.start(grid(a));
                path.curve(b'c', &[grid(c1), grid(c2)], grid(b));
            }
        }
    }
    path.d
}

/// Relative path data under construction.
#[derive(Default)]
struct PathData {
    d: String,
    /// The current point; `None` before the first move.
    at: Option<(i32, i32)>,
    /// The last command letter written (a repeated command needs no letter).
    last: u8,
}

impl PathData {
    /// Begin a new contour at `p` unless the pen is already there.
    fn start(&mut self, p: (i32, i32)) {
        match self.at {
            Some(at) if at == p => {}
            Some(at) => {
                self.command(b'm');
                self.numbers(&[p.0 - at.0, p.1 - at.1]);
            }
            None => {
                self.command(b'M');
                self.numbers(&[p.0, p.1]);
            }
        }
        self.at = Some(p);
    }

    fn line(&mut self, p: (i32, i32)) {
        let at = self.at.expect("a line starts at the current point");
        let (dx, dy) = (p.0 - at.0, p.1 - at.1);
        match (dx, dy) {
            (0, 0) => return,
            (_, 0) => {
                self.command(b'h');
                self.numbers(&[dx]);
            }
            (0, _) => {
                self.command(b'v');
                self.numbers(&[dy]);
            }
            _ => {
                self.command(b'l');
                self.numbers(&[dx, dy]);
            }
        }
        self.at = Some(p);
    }

    fn curve(&mut self, letter: u8, controls: &[(i32, i32)], p: (i32, i32)) {
        let at = self.at.expect("a curve starts at the current point");
        self.command(letter);
        for c in controls.iter().chain([&p]) {
            self.numbers(&[c.0 - at.0, c.1 - at.1]);
        }
        self.at = Some(p);
    }

    /// Write `letter` unless it repeats the last command (`m` is always written: its
    /// repetitions would be lines).
    fn command(&mut self, letter: u8) {
        if self.last != letter || letter.eq_ignore_ascii_case(&b'm') {
            self.d.push(char::from(letter));
            self.last = letter;
        }
    }

    /// Numbers separated by a space only where a minus sign or a letter does not separate
    /// them already.
    fn numbers(&mut self, values: &[i32]) {
        for &v in values {
            if v >= 0 && self.d.ends_with(|c: char| c.is_ascii_digit()) {
                self.d.push(' ');
            }
            let _ = write!(self.d, "{v}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn glyph(c: char) -> GlyphId {
        font::face().unwrap().glyph_id(c)
    }

    #[test]
    fn a_space_has_no_path() {
        assert!(path_data(glyph(' ')).unwrap().is_none());
    }

    #[test]
    fn a_glyph_is_relative_path_data_above_the_baseline() {
        let d = path_data(glyph('山')).unwrap().unwrap();
        assert!(d.starts_with('M'), "{d}");
        assert!(d.len() > 20 && d.len() < 2000, "{} bytes", d.len());
        // Only path commands, digits, signs and spaces.
        assert!(
            d.chars()
                .all(|c| "MmLlHhVvQqCc- ".contains(c) || c.is_ascii_digit()),
            "{d}"
        );
        // Its first point is above the baseline (y < 0): "M<x>-<y>".
        let first_move: String = d[1..]
            .chars()
            .take_while(|c| !c.is_ascii_alphabetic())
            .collect();
        assert!(first_move.contains('-'), "{d}");
    }

    #[test]
    fn numbers_are_separated_only_where_needed() {
        let mut p = PathData::default();
        p.start((10, -20));
        p.line((15, -20));
        p.line((15, 5));
        p.line((20, 10));
        p.line((30, 0));
        p.start((40, 40));
        assert_eq!(p.d, "M10-20h5v25l5 5 10-10m10 40");
    }
}
