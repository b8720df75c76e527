//! Anti-aliased round strokes straight onto the PNG's paint canvas, for the trend line and its
//! dot: plotters fills wide lines as unsmoothed polygons, which look jagged. Each pixel's
//! coverage comes from its distance to the nearest segment, so joins and caps are round;
//! an optional halo in a second colour keeps the line readable where it crosses the bars.

use super::paint::{self, PaintCanvas};

/// How a stroke looks.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pen {
    /// Stroke width in pixels.
    pub width: f64,
    pub colour: [u8; 3],
    /// Extra width on each side painted in `halo_colour` under the stroke (0 = none).
    pub halo: f64,
    pub halo_colour: [u8; 3],
}

/// The PNG's picture in paints; the pen's colours are those of [`paint::ROLE_PALETTE`].
pub(crate) struct Canvas<'c>(pub &'c mut PaintCanvas);

impl Canvas<'_> {
    /// Stroke the polyline through `points`, whose x coordinates must not decrease.
    /// One point gives a round dot of the pen's width.
    pub(crate) fn polyline(
        &mut self,
        points: &[(f64, f64)],
        pen: &Pen,
    ) -> Result<(), paint::UnknownColour> {
        let (line, halo) = (
            paint::role_of(pen.colour)?,
            paint::role_of(pen.halo_colour)?,
        );
        let Some(&first) = points.first() else {
            return Ok(());
        };
        let (width, height) = (self.0.width(), self.0.height());
        let segments: Vec<Segment> = if points.len() == 1 {
            vec![Segment::new(first, first)]
        } else {
            points
                .windows(2)
                .map(|w| Segment::new(w[0], w[1]))
                .collect()
        };
        let inner = pen.width / 2.0;
        let outer = inner + pen.halo.max(0.0);
        // Farthest a painted pixel centre lies from the centre line: coverage is 0 beyond.
        let reach = outer + 0.5;
        let reach2 = reach * reach;

        let last = points[points.len() - 1];
        let x_from = ((first.0 - reach).floor().max(0.0)) as i64;
        let x_to = ((last.0 + reach).ceil().min(f64::from(width) - 1.0)) as i64;
        // Segments whose x-extent (grown by `reach`) touches the current column; both ends
        // of the window only move right because x never decreases along the line.
        let mut lo = 0;
        for col in x_from..=x_to {
            let xc = col as f64 + 0.5;
            while lo < segments.len() && segments[lo].b.0 < xc - reach {
                lo += 1;
            }
            let near = segments[lo..].iter().take_while(|s| s.a.0 <= xc + reach);
            // A pixel within `reach` of a segment point lies within `reach` of it in x and
            // in y: only the rows around the part of each segment above this column.
            let (mut y_min, mut y_max) = (f64::INFINITY, f64::NEG_INFINITY);
            for s in near.clone() {
                let (low, high) = s.y_range(xc - reach, xc + reach);
                y_min = y_min.min(low);
                y_max = y_max.max(high);
            }
            if y_min > y_max {
                continue;
            }
            let row_from = ((y_min - reach).floor().max(0.0)) as i64;
            let row_to = ((y_max + reach).ceil().min(f64::from(height) - 1.0)) as i64;
            for row in row_from..=row_to {
                let p = (xc, row as f64 + 0.5);
                let d2 = near
                    .clone()
                    .map(|s| s.distance2(p))
                    .fold(f64::INFINITY, f64::min);
                if d2 >= reach2 {
                    continue;
                }
                let d = d2.sqrt();
                let (x, y) = (col as usize, row as usize);
                let line_alpha = coverage(inner, d);
                // Under a fully covering line the halo would be painted over: skip it.
                if line_alpha < 1.0 {
                    self.0.blend_stroke(x, y, halo, coverage(outer, d));
                }
                self.0.blend_stroke(x, y, line, line_alpha);
            }
        }
        Ok(())
    }
}

/// Share of a pixel at distance `d` from the centre line covered by a stroke of half
/// width `r` (a one-pixel linear ramp across the edge).
fn coverage(r: f64, d: f64) -> f64 {
    (r + 0.5 - d).clamp(0.0, 1.0)
}

/// One straight piece of a polyline, with what the distance test needs precomputed.
struct Segment {
    a: (f64, f64),
    b: (f64, f64),
    /// 1 / |b − a|², or 0 for a point.
    inverse_length2: f64,
}

impl Segment {
    fn new(a: (f64, f64), b: (f64, f64)) -> Segment {
        let length2 = (b.0 - a.0).powi(2) + (b.1 - a.1).powi(2);
        Segment {
            a,
            b,
            inverse_length2: if length2 > 0.0 { 1.0 / length2 } else { 0.0 },
        }
    }

    /// Lowest and highest y of the segment's points whose x lies in `x0..=x1`
    /// (`x0 ≤ x1`); the whole segment's when it is vertical or a point.
    fn y_range(&self, x0: f64, x1: f64) -> (f64, f64) {
        let dx = self.b.0 - self.a.0;
        let (ya, yb) = if dx > 0.0 {
            let y_at = |x: f64| {
                let t = ((x - self.a.0) / dx).clamp(0.0, 1.0);
                self.a.1 + t * (self.b.1 - self.a.1)
            };
            (y_at(x0), y_at(x1))
        } else {
            (self.a.1, self.b.1)
        };
        (ya.min(yb), ya.max(yb))
    }

    /// Squared distance from `p` to the segment.
    fn distance2(&self, p: (f64, f64)) -> f64 {
        let (dx, dy) = (self.b.0 - self.a.0, self.b.1 - self.a.1);
        let t = (((p.0 - self.a.0) * dx + (p.1 - self.a.1) * dy) * self.inverse_length2)
            .clamp(0.0, 1.0);
        let (qx, qy) = (self.a.0 + t * dx - p.0, self.a.1 + t * dy - p.1);
        qx * qx + qy * qy
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::paint::{role_colours, ROLE_PALETTE};
    use crate::chart::style::Colour;

    const PEN: Pen = Pen {
        width: 3.0,
        colour: ROLE_PALETTE.trend.0,
        halo: 0.0,
        halo_colour: ROLE_PALETTE.trend_halo.0,
    };

    /// The red channel of each pixel, with a white background, a black line and a grey
    /// halo.
    fn canvas_run(points: &[(f64, f64)], pen: &Pen) -> Vec<u8> {
        let mut paint = PaintCanvas::default();
        paint.reset(20, 10);
        Canvas(&mut paint).polyline(points, pen).unwrap();
        let mut colours = ROLE_PALETTE.clone();
        colours.background = Colour([255; 3]);
        colours.trend = Colour([0; 3]);
        colours.trend_halo = Colour([100; 3]);
        let palette = paint.palette(&role_colours(&colours));
        paint
            .scanlines()
            .chunks(21)
            .flat_map(|row| row[1..].iter().map(|&i| palette[usize::from(i)][0]))
            .collect()
    }

    fn px(rgb: &[u8], x: usize, y: usize) -> u8 {
        rgb[y * 20 + x]
    }

    #[test]
    fn a_horizontal_line_is_solid_in_the_middle_and_soft_at_the_edges() {
        let rgb = canvas_run(&[(2.0, 5.0), (18.0, 5.0)], &PEN);
        assert_eq!(px(&rgb, 10, 5), 0);
        assert_eq!(px(&rgb, 10, 4), 0);
        assert!(px(&rgb, 10, 3) > 0 && px(&rgb, 10, 3) < 255);
        assert_eq!(px(&rgb, 10, 1), 255);
    }

    #[test]
    fn a_single_point_is_a_dot_and_a_halo_surrounds_the_stroke() {
        let pen = Pen { halo: 2.0, ..PEN };
        let rgb = canvas_run(&[(10.0, 5.0)], &pen);
        assert_eq!(px(&rgb, 9, 4), 0);
        assert_eq!(px(&rgb, 7, 4), 100);
        assert_eq!(px(&rgb, 2, 4), 255);
    }

    /// Every pixel of the canvas against every segment: what `polyline` must paint.
    fn every_pixel(points: &[(f64, f64)], pen: &Pen, (w, h): (u32, u32)) -> PaintCanvas {
        let mut paint = PaintCanvas::default();
        paint.reset(w, h);
        let (line, halo) = (
            paint::role_of(pen.colour).unwrap(),
            paint::role_of(pen.halo_colour).unwrap(),
        );
        let segments: Vec<Segment> = match points {
            [one] => vec![Segment::new(*one, *one)],
            _ => points
                .windows(2)
                .map(|w| Segment::new(w[0], w[1]))
                .collect(),
        };
        let inner = pen.width / 2.0;
        let outer = inner + pen.halo;
        for y in 0..h as usize {
            for x in 0..w as usize {
                let p = (x as f64 + 0.5, y as f64 + 0.5);
                let d = segments
                    .iter()
                    .map(|s| s.distance2(p))
                    .fold(f64::INFINITY, f64::min)
                    .sqrt();
                if d < outer + 0.5 {
                    paint.blend_stroke(x, y, halo, coverage(outer, d));
                    paint.blend_stroke(x, y, line, coverage(inner, d));
                }
            }
        }
        paint
    }

    #[test]
    fn only_the_rows_near_the_line_are_visited_yet_every_painted_pixel_is_painted() {
        // Steep and shallow segments, long and short, a vertical one, peaks and a point.
        let lines: [&[(f64, f64)]; 4] = [
            &[
                (3.0, 70.0),
                (9.5, 2.0),
                (10.0, 75.0),
                (60.0, 40.0),
                (61.0, 41.0),
            ],
            &[(0.5, 10.0), (30.0, 10.5), (30.0, 60.0), (79.0, 12.25)],
            &[(40.2, 33.3)],
            &[(-5.0, 3.0), (20.0, 79.5), (45.0, 0.1), (90.0, 50.0)],
        ];
        for (points, halo) in lines.iter().flat_map(|p| [(p, 0.0), (p, 1.7)]) {
            let pen = Pen { halo, ..PEN };
            let mut paint = PaintCanvas::default();
            paint.reset(80, 80);
            Canvas(&mut paint).polyline(points, &pen).unwrap();
            let expected = every_pixel(points, &pen, (80, 80));
            // Paints are numbered in the order they are first made: compare colours.
            let colours = role_colours(&ROLE_PALETTE);
            let rgb = |canvas: &PaintCanvas| -> Vec<[u8; 3]> {
                let palette = canvas.palette(&colours);
                let pixels = canvas.scanlines().iter();
                pixels.map(|&i| palette[usize::from(i)]).collect()
            };
            assert!(rgb(&paint) == rgb(&expected), "{points:?} with halo {halo}");
            assert!(rgb(&paint).contains(&ROLE_PALETTE.trend.0));
        }
    }

    #[test]
    fn a_segment_s_y_range_is_that_of_its_part_above_the_columns() {
        let s = Segment::new((0.0, 0.0), (10.0, 100.0));
        assert_eq!(s.y_range(2.0, 4.0), (20.0, 40.0));
        assert_eq!(s.y_range(-5.0, 1.0), (0.0, 10.0));
        assert_eq!(s.y_range(9.0, 30.0), (90.0, 100.0));
        let falling = Segment::new((0.0, 50.0), (10.0, 0.0));
        assert_eq!(falling.y_range(4.0, 6.0), (20.0, 30.0));
        let vertical = Segment::new((3.0, 9.0), (3.0, 1.0));
        assert_eq!(vertical.y_range(2.0, 4.0), (1.0, 9.0));
    }

    #[test]
    fn strokes_off_the_canvas_are_clipped_without_panicking() {
        canvas_run(&[(-50.0, -50.0), (5.0, 100.0), (500.0, 3.0)], &PEN);
    }

    #[test]
    fn a_pen_outside_the_role_palette_is_an_error() {
        let mut paint = PaintCanvas::default();
        paint.reset(20, 10);
        let pen = Pen {
            colour: [1, 2, 3],
            ..PEN
        };
        assert!(Canvas(&mut paint).polyline(&[(1.0, 1.0)], &pen).is_err());
    }
}
