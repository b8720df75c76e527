//! The PNG's canvas: one byte per pixel that names a *paint* instead of holding a colour.
//! A paint is one of the palette's roles (background, bar, title, …), or a role blended over
//! an earlier paint at one of [`LEVELS`] coverages (an anti-aliased edge). The chart is
//! drawn once, in roles; each variant's PNG is the same pixels with that variant's colours
//! in its palette (PLTE), so light and dark share one drawing and one compressed IDAT, and
//! no colour ever needs reducing to fit a palette PNG.
//!
//! plotters draws in colours, so the drawing gets [`ROLE_PALETTE`], whose colours are role
//! numbers in disguise; [`PaintBackend`] reads the role back from each colour it is given.

use plotters_backend::{
    rasterizer, BackendColor, BackendCoord, BackendStyle, DrawingBackend, DrawingErrorKind,
};

use super::style::{Colour, Palette};
use super::text::CoverageTarget;

/// Roles of a palette; paint `i < ROLES` is role `i` drawn flat ([`role_colours`] order).
pub(crate) const ROLES: usize = 11;
/// Coverage steps of a blend. Glyph edges use every step, strokes every second (they
/// compose over more paints: halo over bar, grid or background, line over halo).
const LEVELS: u8 = 32;
const TEXT_STEP: u8 = 4;
const STROKE_STEP: u8 = 4;
/// A palette PNG holds at most 256 colours, so at most 256 paints.
const MAX_PAINTS: usize = 256;
/// The first two bytes of every drawing colour in [`ROLE_PALETTE`]; the third is the role.
pub(crate) const MARK: [u8; 2] = [0x0B, 0x5E];

const fn role(n: u8) -> Colour {
    Colour([MARK[0], MARK[1], n])
}

/// The palette the PNG is drawn with: each role's colour says which role it is.
pub(crate) static ROLE_PALETTE: Palette = Palette {
    background: role(0),
    title: role(1),
    subtitle: role(2),
    axis_label: role(3),
    grid: role(4),
    year_rule: role(5),
    baseline: role(6),
    bar: role(7),
    bar_partial: role(8),
    trend: role(9),
    trend_halo: role(10),
};

/// The colour of each role in `p`, in role order (the order of [`ROLE_PALETTE`]).
pub(crate) fn role_colours(p: &Palette) -> [[u8; 3]; ROLES] {
    [
        p.background.0,
        p.title.0,
        p.subtitle.0,
        p.axis_label.0,
        p.grid.0,
        p.year_rule.0,
        p.baseline.0,
        p.bar.0,
        p.bar_partial.0,
        p.trend.0,
        p.trend_halo.0,
    ]
}

/// The role a drawing colour of [`ROLE_PALETTE`] stands for.
pub(crate) fn role_of(rgb: [u8; 3]) -> Result<u8, UnknownColour> {
    match rgb {
        [a, b, n] if [a, b] == MARK && usize::from(n) < ROLES => Ok(n),
        other => Err(UnknownColour(other)),
    }
}

/// A drawing colour that is not one of [`ROLE_PALETTE`]'s (a bug in the drawing code).
#[derive(Debug, thiserror::Error)]
#[error("the chart was drawn in {0:?}, which is not a colour of the role palette")]
pub(crate) struct UnknownColour([u8; 3]);

/// `role` over paint `under` at `level` / [`LEVELS`] coverage.
#[derive(Debug, Clone, Copy)]
struct Blend {
    under: u8,
    role: u8,
    level: u8,
}

/// A picture in paints, as PNG scanlines, and the paints it uses.
#[derive(Default)]
pub(crate) struct PaintCanvas {
    width: usize,
    height: usize,
    /// Each row: a 0 byte (PNG's filter type "None"), then one paint index per pixel.
    scanlines: Vec<u8>,
    /// The blends, paint `ROLES + i` being `blends[i]`.
    blends: Vec<Blend>,
    /// Paint index of each (under, role, level) made so far, 0 for none (paint 0 is the
    /// flat background, never a blend).
    blend_of: Vec<u8>,
    /// The `blend_of` slots in use, to clear them for the next picture.
    used: Vec<usize>,
}

impl PaintCanvas {
    /// Make this a `width` × `height` picture of background, keeping the buffers.
    pub(crate) fn reset(&mut self, width: u32, height: u32) {
        self.width = width as usize;
        self.height = height as usize;
        self.scanlines.clear();
        // Background is paint 0 and the filter byte is 0: one memset.
        self.scanlines.resize((self.width + 1) * self.height, 0);
        self.blends.clear();
        self.blend_of
            .resize(MAX_PAINTS * ROLES * usize::from(LEVELS), 0);
        for slot in self.used.drain(..) {
            self.blend_of[slot] = 0;
        }
    }

    pub(crate) fn width(&self) -> u32 {
        self.width as u32
    }

    pub(crate) fn height(&self) -> u32 {
        self.height as u32
    }

    fn at(&self, x: usize, y: usize) -> usize {
        y * (self.width + 1) + 1 + x
    }

    /// Paint the pixels `x0..x1` of rows `y0..y1` (clipped to the picture) flat in `role`.
    fn fill(&mut self, (x0, y0): (i32, i32), (x1, y1): (i32, i32), role: u8) {
        let (x0, x1) = (clip(x0, self.width), clip(x1, self.width));
        let (y0, y1) = (clip(y0, self.height), clip(y1, self.height));
        if x0 >= x1 {
            return;
        }
        for y in y0..y1 {
            let start = self.at(x0, y);
            self.scanlines[start..start + (x1 - x0)].fill(role);
        }
    }

    /// Put `role` over the pixel (x, y) at coverage `alpha` (0–1), rounded to a multiple
    /// of `step` / [`LEVELS`].
    fn blend(&mut self, x: usize, y: usize, role: u8, alpha: f64, step: u8) {
        if alpha <= 0.0 {
            return;
        }
        // Rounded to the nearest step (`as` saturates: alpha ≤ 1 gives at most LEVELS).
        let steps = f64::from(LEVELS / step);
        let level = ((alpha * steps + 0.5) as u8).min(LEVELS / step) * step;
        if level == 0 {
            return;
        }
        let at = self.at(x, y);
        let under = self.scanlines[at];
        if level >= LEVELS || under == role {
            self.scanlines[at] = role;
            return;
        }
        let slot = (usize::from(under) * ROLES + usize::from(role)) * usize::from(LEVELS)
            + usize::from(level);
        let mut paint = self.blend_of[slot];
        if paint == 0 {
            if ROLES + self.blends.len() == MAX_PAINTS {
                // No room for another paint: the nearer of the two it lies between.
                self.scanlines[at] = if level * 2 >= LEVELS { role } else { under };
                return;
            }
            // Below MAX_PAINTS = 256, so the index fits a byte.
            paint = (ROLES + self.blends.len()) as u8;
            self.blends.push(Blend { under, role, level });
            self.blend_of[slot] = paint;
            self.used.push(slot);
        }
        self.scanlines[at] = paint;
    }

    /// A stroke's edge (`stroke.rs`): `role` over (x, y) at coverage `alpha`, in every
    /// second coverage step; off the picture, nothing.
    pub(crate) fn blend_stroke(&mut self, x: usize, y: usize, role: u8, alpha: f64) {
        if x < self.width && y < self.height {
            self.blend(x, y, role, alpha, STROKE_STEP);
        }
    }

    /// The PNG scanlines of the picture.
    pub(crate) fn scanlines(&self) -> &[u8] {
        &self.scanlines
    }

    /// Adler-32 (RFC 1950 §8) of [`PaintCanvas::scanlines`]; a row equal to the one above
    /// reuses its sums (between grid lines most rows are).
    pub(crate) fn adler32(&self) -> u32 {
        const MOD: u64 = 65_521;
        let stride = self.width + 1;
        let (mut a, mut b) = (1u64, 0u64);
        let (mut sum, mut weighted) = (0u64, 0u64);
        let mut above: Option<&[u8]> = None;
        for row in self.scanlines.chunks_exact(stride) {
            if above != Some(row) {
                // Σ xₜ and Σ (n − t)·xₜ: the running sum added up after each byte.
                (sum, weighted) = (0, 0);
                for &x in row {
                    sum += u64::from(x);
                    weighted += sum;
                }
                above = Some(row);
            }
            // After n bytes, A grows by Σ xₜ and B by n·A + Σ (n − t)·xₜ.
            b = (b + stride as u64 * a + weighted) % MOD;
            a = (a + sum) % MOD;
        }
        (b << 16 | a) as u32
    }

    /// The colour of every paint for a variant whose roles have `colours`: the PNG palette.
    pub(crate) fn palette(&self, colours: &[[u8; 3]; ROLES]) -> Vec<[u8; 3]> {
        let mut palette: Vec<[u8; 3]> = colours.to_vec();
        for blend in &self.blends {
            let under = palette[usize::from(blend.under)];
            let top = colours[usize::from(blend.role)];
            let alpha = f64::from(blend.level) / f64::from(LEVELS);
            palette.push(std::array::from_fn(|k| {
                let old = f64::from(under[k]);
                (old + (f64::from(top[k]) - old) * alpha).round() as u8
            }));
        }
        palette
    }
}

/// The top-left and bottom-right corners of the box two opposite corners span, in whatever
/// order plotters gives them.
pub(crate) fn corners(a: BackendCoord, b: BackendCoord) -> (BackendCoord, BackendCoord) {
    ((a.0.min(b.0), a.1.min(b.1)), (a.0.max(b.0), a.1.max(b.1)))
}

fn clip(v: i32, limit: usize) -> usize {
    (v.max(0) as usize).min(limit)
}

/// plotters' view of a [`PaintCanvas`]: fills and 1-pixel lines straight into the rows,
/// everything else through plotters' own rasterizer, pixel by pixel.
pub(crate) struct PaintBackend<'c>(pub &'c mut PaintCanvas);

impl PaintBackend<'_> {
    fn role(colour: BackendColor) -> Result<u8, DrawingErrorKind<UnknownColour>> {
        let (r, g, b) = colour.rgb;
        role_of([r, g, b]).map_err(DrawingErrorKind::DrawingError)
    }
}

impl DrawingBackend for PaintBackend<'_> {
    type ErrorType = UnknownColour;

    fn get_size(&self) -> (u32, u32) {
        (self.0.width(), self.0.height())
    }

    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<UnknownColour>> {
        Ok(())
    }

    fn present(&mut self) -> Result<(), DrawingErrorKind<UnknownColour>> {
        Ok(())
    }

    fn draw_pixel(
        &mut self,
        (x, y): BackendCoord,
        colour: BackendColor,
    ) -> Result<(), DrawingErrorKind<UnknownColour>> {
        let canvas = &mut *self.0;
        if x < 0 || y < 0 || x as usize >= canvas.width || y as usize >= canvas.height {
            return Ok(());
        }
        let role = Self::role(colour)?;
        canvas.blend(x as usize, y as usize, role, colour.alpha, TEXT_STEP);
        Ok(())
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<UnknownColour>> {
        let colour = style.color();
        if style.stroke_width() == 1 && colour.alpha >= 1.0 && (from.0 == to.0 || from.1 == to.1) {
            // Both ends included, as plotters' rasterizer draws them.
            let ((x0, y0), (x1, y1)) = corners(from, to);
            self.0.fill((x0, y0), (x1 + 1, y1 + 1), Self::role(colour)?);
            return Ok(());
        }
        rasterizer::draw_line(self, from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<UnknownColour>> {
        let colour = style.color();
        if fill && colour.alpha >= 1.0 {
            // The bottom-right corner excluded, as plotters' bitmap backend fills.
            let ((x0, y0), (x1, y1)) = corners(upper_left, bottom_right);
            self.0.fill((x0, y0), (x1, y1), Self::role(colour)?);
            return Ok(());
        }
        rasterizer::draw_rect(self, upper_left, bottom_right, style, fill)
    }
}

impl CoverageTarget for PaintBackend<'_> {
    fn draw_coverage(
        &mut self,
        (x0, y0): BackendCoord,
        (r, g, b): (u8, u8, u8),
        coverage: &[(i16, i16, f32)],
    ) -> Result<(), DrawingErrorKind<UnknownColour>> {
        let role = role_of([r, g, b]).map_err(DrawingErrorKind::DrawingError)?;
        let canvas = &mut *self.0;
        let (width, height) = (canvas.width as i32, canvas.height as i32);
        for &(dx, dy, alpha) in coverage {
            let (x, y) = (x0 + i32::from(dx), y0 + i32::from(dy));
            if (0..width).contains(&x) && (0..height).contains(&y) {
                canvas.blend(x as usize, y as usize, role, f64::from(alpha), TEXT_STEP);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plotters::prelude::{IntoDrawingArea, Rectangle};
    use plotters::style::{Color, RGBColor};

    fn drawing(c: Colour) -> RGBColor {
        RGBColor(c.0[0], c.0[1], c.0[2])
    }

    fn pixel(canvas: &PaintCanvas, x: usize, y: usize) -> u8 {
        canvas.scanlines()[canvas.at(x, y)]
    }

    #[test]
    fn fills_and_lines_land_on_the_pixels_plotters_would_touch() {
        let mut canvas = PaintCanvas::default();
        canvas.reset(20, 10);
        {
            let area = PaintBackend(&mut canvas).into_drawing_area();
            let bar = drawing(ROLE_PALETTE.bar);
            area.draw(&Rectangle::new([(2, 2), (5, 6)], bar.filled()))
                .unwrap();
            area.draw(&plotters::element::PathElement::new(
                vec![(10, 1), (10, 3)],
                drawing(ROLE_PALETTE.grid),
            ))
            .unwrap();
        }
        // Filled: x 2..5, y 2..6 (bottom-right excluded).
        assert_eq!(pixel(&canvas, 2, 2), 7);
        assert_eq!(pixel(&canvas, 4, 5), 7);
        assert_eq!(pixel(&canvas, 5, 5), 0);
        assert_eq!(pixel(&canvas, 4, 6), 0);
        // A line includes both ends.
        for y in 1..=3 {
            assert_eq!(pixel(&canvas, 10, y), 4);
        }
        assert_eq!(pixel(&canvas, 10, 4), 0);
        // Every row still starts with its filter byte.
        assert!(canvas.scanlines().chunks(21).all(|row| row[0] == 0));
    }

    #[test]
    fn blends_resolve_to_each_variants_colours() {
        let mut canvas = PaintCanvas::default();
        canvas.reset(4, 1);
        canvas.blend(1, 0, 1, 0.5, 1);
        canvas.blend(2, 0, 1, 0.5, 1);
        canvas.blend(3, 0, 1, 1.0, 1);
        // One paint for the same blend twice; a full coverage is the role itself.
        assert_eq!(pixel(&canvas, 1, 0), ROLES as u8);
        assert_eq!(pixel(&canvas, 2, 0), ROLES as u8);
        assert_eq!(pixel(&canvas, 3, 0), 1);
        let mut light = [[0u8; 3]; ROLES];
        light[0] = [255, 255, 255];
        light[1] = [0, 0, 0];
        let mut dark = light;
        dark[0] = [0, 0, 0];
        dark[1] = [200, 100, 0];
        assert_eq!(canvas.palette(&light)[ROLES], [128, 128, 128]);
        assert_eq!(canvas.palette(&dark)[ROLES], [100, 50, 0]);
    }

    #[test]
    fn a_full_table_falls_back_to_the_nearer_paint() {
        let mut canvas = PaintCanvas::default();
        canvas.reset(300, 2);
        // 9 roles over background at 31 levels each: more blends than a palette holds.
        let mut x = 0;
        for role in 1..10u8 {
            for level in 1..32 {
                canvas.blend(x % 300, x / 300, role, f64::from(level) / 32.0, 1);
                x += 1;
            }
        }
        assert_eq!(canvas.palette(&[[0; 3]; ROLES]).len(), MAX_PAINTS);
        // The last blends made no paint: low coverage kept the background, high the role.
        let last = x - 1;
        assert_eq!(pixel(&canvas, last % 300, last / 300), 9);
        let low = x - 31;
        assert_eq!(pixel(&canvas, low % 300, low / 300), 0);
    }

    #[test]
    fn the_checksum_is_the_adler32_of_the_scanlines() {
        let mut canvas = PaintCanvas::default();
        canvas.reset(7, 5);
        canvas.fill((1, 0), (6, 3), 3);
        canvas.blend(2, 4, 5, 0.3, 1);
        let (mut a, mut b) = (1u32, 0u32);
        for &x in canvas.scanlines() {
            a = (a + u32::from(x)) % 65_521;
            b = (b + a) % 65_521;
        }
        assert_eq!(canvas.adler32(), b << 16 | a);
    }

    #[test]
    fn a_colour_outside_the_role_palette_is_an_error() {
        let mut canvas = PaintCanvas::default();
        canvas.reset(4, 4);
        let area = PaintBackend(&mut canvas).into_drawing_area();
        let result = area.draw(&Rectangle::new(
            [(0, 0), (2, 2)],
            RGBColor(1, 2, 3).filled(),
        ));
        assert!(result.is_err());
    }
}
