//! Paints one chart into an RGB buffer with plotters: header (name, totals, legend), grid,
//! one bar per month, the trend line and both axes. Works in pixels; the decisions about
//! ticks and labels come from `y_scale` and `x_axis`, the style from `theme`.

use std::fmt::Display;

use anyhow::anyhow;
use plotters::coord::Shift;
use plotters::prelude::{BitMapBackend, DrawingArea, IntoDrawingArea, PathElement, Rectangle};
use plotters::style::{Color, FontDesc};

use super::stroke::{Canvas, Pen};
use super::theme::*;
use super::x_axis::{self, Metrics, XAxis};
use super::y_scale::{group_thousands, YScale};
use super::{font, text, trend, ChartInput, HEIGHT, WIDTH};

type Area<'b> = DrawingArea<BitMapBackend<'b>, Shift>;

/// The plot rectangle in pixels and the value ↔ pixel mapping.
struct Plot {
    left: i32,
    right: i32,
    top: i32,
    bottom: i32,
    months: usize,
    scale: YScale,
}

impl Plot {
    fn slot(&self) -> f64 {
        f64::from(self.right - self.left) / self.months as f64
    }

    /// x pixel of a position in month units (0 = left edge of the first month).
    fn x(&self, at: f64) -> f64 {
        f64::from(self.left) + at * self.slot()
    }

    /// y pixel of a count.
    fn y(&self, value: f64) -> f64 {
        let height = f64::from(self.bottom - self.top);
        f64::from(self.bottom) - value / self.scale.top as f64 * height
    }
}

struct Fonts {
    title: FontDesc<'static>,
    subtitle: FontDesc<'static>,
    label: FontDesc<'static>,
}

/// A polyline to stroke once plotters is done with the buffer.
type Stroke = (Vec<(f64, f64)>, Pen);

/// Draw `input` into `rgb` (`WIDTH` × `HEIGHT` × 3 bytes, already the background colour).
pub(crate) fn chart(input: &ChartInput<'_>, rgb: &mut [u8]) -> anyhow::Result<()> {
    anyhow::ensure!(!input.counts.is_empty(), "no months to chart");
    let strokes = {
        let area = BitMapBackend::with_buffer(rgb, (WIDTH, HEIGHT)).into_drawing_area();
        let strokes = with_plotters(&area, input)?;
        check(area.present(), "finishing the drawing")?;
        strokes
    };
    let mut canvas = Canvas {
        rgb,
        width: WIDTH,
        height: HEIGHT,
    };
    for (points, pen) in &strokes {
        canvas.polyline(points, pen);
    }
    Ok(())
}

/// Everything but the anti-aliased strokes, which it returns.
fn with_plotters(area: &Area<'_>, input: &ChartInput<'_>) -> anyhow::Result<Vec<Stroke>> {
    let counts = input.counts;
    let fonts = Fonts {
        title: font::sized(TITLE_SIZE),
        subtitle: font::sized(SUBTITLE_SIZE),
        label: font::sized(LABEL_SIZE),
    };
    let mut strokes = header(area, &fonts, input)?;

    let max = counts.iter().copied().max().unwrap_or(0);
    let scale = YScale::covering(u64::from(max));
    let y_labels: Vec<(u64, String)> = scale.ticks().map(|t| (t, group_thousands(t))).collect();
    let mut y_label_width = 0;
    for (_, label) in &y_labels {
        y_label_width = y_label_width.max(text::width(&fonts.label, label)?);
    }
    let left = MARGIN_X + y_label_width + Y_LABEL_GAP;
    let right = WIDTH as i32 - MARGIN_X;
    let slot = f64::from(right - left) / counts.len() as f64;
    let axis = x_axis::plan(
        input.first_month,
        counts.len(),
        x_metrics(&fonts.label, input, slot)?,
    );
    let plot = Plot {
        left,
        right,
        top: PLOT_TOP,
        bottom: HEIGHT as i32 - BOTTOM_MARGIN - i32::from(axis.rows) * X_LABEL_ROW,
        months: counts.len(),
        scale,
    };

    grid(area, &fonts, &plot, &y_labels)?;
    year_rules(area, &plot, &axis)?;
    bars(area, &plot, counts)?;
    baseline(area, &plot, &axis)?;
    x_labels(area, &fonts, &plot, &axis)?;
    strokes.extend(trend_line(&plot, &trend::trailing_average(counts)));
    Ok(strokes)
}

/// Title, subtitle and legend.
fn header(area: &Area<'_>, fonts: &Fonts, input: &ChartInput<'_>) -> anyhow::Result<Vec<Stroke>> {
    let page_width = WIDTH as i32 - 2 * MARGIN_X;
    let name = text::single_line(input.display_name);
    let title = text::fit(&fonts.title, &name, page_width)?;
    text::draw(area, &fonts.title, &TITLE, &title, MARGIN_X, TITLE_BASELINE)?;

    let (legend_left, legend_line) = legend(area, fonts)?;

    let total: u64 = input.counts.iter().map(|&c| u64::from(c)).sum();
    let posts = if total == 1 { "post" } else { "posts" };
    let since = if input.counts.len() == 1 {
        "in"
    } else {
        "since"
    };
    let subtitle = format!(
        "{} {posts} {since} {}",
        group_thousands(total),
        x_axis::month_name(input.first_month, 0)
    );
    let subtitle = text::fit(&fonts.subtitle, &subtitle, legend_left - 24 - MARGIN_X)?;
    text::draw(
        area,
        &fonts.subtitle,
        &SUBTITLE,
        &subtitle,
        MARGIN_X,
        SUBTITLE_BASELINE,
    )?;
    Ok(vec![legend_line])
}

/// The legend, right-aligned on the subtitle row. Returns its left edge and its line.
fn legend(area: &Area<'_>, fonts: &Fonts) -> anyhow::Result<(i32, Stroke)> {
    const BARS: &str = "Posts per month";
    const TREND: &str = "12-month average";
    let f = &fonts.subtitle;
    let swatch = 12;
    let line = 22;
    let gap = 7;
    let between = 22;
    let width =
        swatch + gap + text::width(f, BARS)? + between + line + gap + text::width(f, TREND)?;
    let mut x = WIDTH as i32 - MARGIN_X - width;
    let left = x;
    let mid = SUBTITLE_BASELINE - 5;

    check(
        area.draw(&Rectangle::new(
            [(x, mid - swatch / 2), (x + swatch, mid + swatch / 2)],
            BAR.filled(),
        )),
        "drawing the legend",
    )?;
    x += swatch + gap;
    text::draw(area, f, &SUBTITLE, BARS, x, SUBTITLE_BASELINE)?;
    x += text::width(f, BARS)? + between;
    let y = f64::from(mid) + 0.5;
    let points = vec![(f64::from(x) + 1.0, y), (f64::from(x + line) - 1.0, y)];
    x += line + gap;
    text::draw(area, f, &SUBTITLE, TREND, x, SUBTITLE_BASELINE)?;
    Ok((
        left,
        (
            points,
            Pen {
                halo: 0.0,
                ..TREND_PEN
            },
        ),
    ))
}

fn x_metrics(label: &FontDesc<'_>, input: &ChartInput<'_>, slot: f64) -> anyhow::Result<Metrics> {
    let mut month_label = 0;
    for name in x_axis::month_names() {
        month_label = month_label.max(text::width(label, name)?);
    }
    let mut year_label = 0;
    for year in x_axis::widest_year_labels(input.first_month, input.counts.len()) {
        year_label = year_label.max(text::width(label, &year)?);
    }
    Ok(Metrics {
        slot,
        month_label: f64::from(month_label),
        year_label: f64::from(year_label),
    })
}

/// Horizontal grid lines with their count labels on the left.
fn grid(
    area: &Area<'_>,
    fonts: &Fonts,
    plot: &Plot,
    labels: &[(u64, String)],
) -> anyhow::Result<()> {
    for (value, label) in labels {
        let y = plot.y(*value as f64).round() as i32;
        if *value > 0 {
            check(
                area.draw(&PathElement::new([(plot.left, y), (plot.right, y)], GRID)),
                "drawing the grid",
            )?;
        }
        let x = plot.left - Y_LABEL_GAP - text::width(&fonts.label, label)?;
        text::draw(area, &fonts.label, &AXIS_LABEL, label, x, y + 5)?;
    }
    Ok(())
}

/// Faint vertical rules at major year boundaries, behind the bars.
fn year_rules(area: &Area<'_>, plot: &Plot, axis: &XAxis) -> anyhow::Result<()> {
    for b in axis.boundaries.iter().filter(|b| b.major && b.at > 0.0) {
        let x = plot.x(b.at).round() as i32;
        check(
            area.draw(&PathElement::new(
                [(x, plot.top), (x, plot.bottom)],
                YEAR_RULE,
            )),
            "drawing the year rules",
        )?;
    }
    Ok(())
}

/// One bar per month, all the same width, centred in its slot. A month with posts is at
/// least one pixel tall; a month without posts has no bar. (plotters fills rectangles
/// up to, not including, the bottom-right corner.)
fn bars(area: &Area<'_>, plot: &Plot, counts: &[u32]) -> anyhow::Result<()> {
    let slot = plot.slot();
    let width = (slot * BAR_FILL).round().clamp(1.0, BAR_MAX_WIDTH) as i32;
    for (i, &count) in counts.iter().enumerate() {
        if count == 0 {
            continue;
        }
        let centre = plot.x(i as f64 + 0.5);
        let left = (centre - f64::from(width) / 2.0).round() as i32;
        let top = (plot.y(f64::from(count)).round() as i32).min(plot.bottom - 1);
        check(
            area.draw(&Rectangle::new(
                [(left, top), (left + width, plot.bottom)],
                BAR.filled(),
            )),
            "drawing the bars",
        )?;
    }
    Ok(())
}

/// The zero line and the year ticks under it.
fn baseline(area: &Area<'_>, plot: &Plot, axis: &XAxis) -> anyhow::Result<()> {
    check(
        area.draw(&PathElement::new(
            [(plot.left, plot.bottom), (plot.right, plot.bottom)],
            BASELINE,
        )),
        "drawing the baseline",
    )?;
    for b in &axis.boundaries {
        let x = plot.x(b.at).round() as i32;
        let length = if b.major { 6 } else { 3 };
        check(
            area.draw(&PathElement::new(
                [(x, plot.bottom), (x, plot.bottom + length)],
                BASELINE,
            )),
            "drawing the year ticks",
        )?;
    }
    Ok(())
}

/// Month and year labels, centred on their positions; a label that would touch the one
/// before it in its row, or leave the page, is left out.
fn x_labels(area: &Area<'_>, fonts: &Fonts, plot: &Plot, axis: &XAxis) -> anyhow::Result<()> {
    let mut row_end = [i32::MIN; 2];
    for label in &axis.labels {
        let row = usize::from(label.row.min(1));
        let width = text::width(&fonts.label, &label.text)?;
        let x = (plot.x(label.at) - f64::from(width) / 2.0).round() as i32;
        let fits_page = x >= MARGIN_X / 2 && x + width <= WIDTH as i32 - MARGIN_X / 2;
        if !fits_page || x < row_end[row].saturating_add(8) {
            continue;
        }
        row_end[row] = x + width;
        let baseline = plot.bottom + 20 + row as i32 * X_LABEL_ROW;
        text::draw(area, &fonts.label, &AXIS_LABEL, &label.text, x, baseline)?;
    }
    Ok(())
}

/// The moving average through the month centres, and a dot on the latest value.
fn trend_line(plot: &Plot, average: &[f64]) -> Vec<Stroke> {
    let points: Vec<(f64, f64)> = average
        .iter()
        .enumerate()
        .map(|(i, &v)| (plot.x(i as f64 + 0.5), plot.y(v)))
        .collect();
    let latest = points.last().map(|&p| {
        let dot = Pen {
            width: 2.0 * TREND_DOT,
            ..TREND_PEN
        };
        (vec![p], dot)
    });
    std::iter::once((points, TREND_PEN)).chain(latest).collect()
}

fn check<T, E: Display>(result: Result<T, E>, what: &str) -> anyhow::Result<T> {
    result.map_err(|e| anyhow!("{what}: {e}"))
}
