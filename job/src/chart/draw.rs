//! Paints one chart with plotters, on any `DrawingBackend` (the paint canvas of the PNG, the
//! shapes of the SVG): header (name, totals, legend), grid,
//! one bar per month (the month in progress lighter, with its note), the trend line
//! and both axes. Works in pixels; the decisions about ticks and labels come from `y_scale`
//! and `x_axis`, sizes from `layout`, colours from the style's palette, words from `locale`.

use std::fmt::Display;

use anyhow::anyhow;
use plotters::coord::Shift;
use plotters::element::{Drawable, PointCollection};
use plotters::prelude::{DrawingArea, DrawingBackend, IntoDrawingArea, PathElement, Rectangle};
use plotters::style::{Color, FontDesc, RGBColor};
use plotters_backend::{BackendCoord, DrawingErrorKind};

use super::layout::Layout;
use super::locale::Table;
use super::paint::{PaintBackend, PaintCanvas};
use super::stroke::{Canvas, Pen};
use super::style::{Colour, Palette};
use super::x_axis::{self, Metrics, XAxis};
use super::y_scale::YScale;
use super::{font, text, trend, ChartInput};
use crate::month::MonthKey;

type Area<DB> = DrawingArea<DB, Shift>;

/// How one picture looks: where things go, their colours and their words.
pub(crate) struct Look<'s> {
    pub layout: Layout,
    pub palette: &'s Palette,
    pub words: &'static Table,
}

impl Look<'_> {
    fn trend_pen(&self) -> Pen {
        Pen {
            width: self.layout.trend_width,
            colour: self.palette.trend.0,
            halo: self.layout.trend_halo,
            halo_colour: self.palette.trend_halo.0,
        }
    }
}

fn rgb(c: Colour) -> RGBColor {
    RGBColor(c.0[0], c.0[1], c.0[2])
}

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
    note: FontDesc<'static>,
}

/// A polyline to stroke once plotters is done with the shapes (PNG: anti-aliased onto the
/// pixels; SVG: round-capped strokes).
pub(crate) type Stroke = (Vec<(f64, f64)>, Pen);

/// A backend that can tell a month's bar from other filled boxes: the SVG gives each bar
/// its own element with a hover `<title>` (data-spec §7); a bitmap just fills it.
pub(crate) trait Marks: DrawingBackend {
    /// Fill the bar of `month` (`count` posts) from `upper_left` up to, not including,
    /// `bottom_right`, as a filled rectangle is drawn.
    fn bar(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        colour: RGBColor,
        _hover: &BarHover<'_>,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.draw_rect(upper_left, bottom_right, &colour.filled(), true)
    }
}

/// A bitmap fills bars like any box.
impl<B: text::CoverageTarget> Marks for text::GlyphCache<B> {}

/// What a bar's hover text says, made only by a backend that shows it.
pub(crate) struct BarHover<'w> {
    pub month: MonthKey,
    pub count: u32,
    /// The trend's value at this month (the point above the bar); `None` for the month in
    /// progress, which has none.
    pub trend: Option<f64>,
    pub words: &'w Table,
}

impl BarHover<'_> {
    /// "2025年3月: 6件（12か月平均4.2）" / "Mar 2025: 6 posts (12-month avg 4.2)"; the
    /// month in progress "2025年11月: 4件（集計中）".
    pub(crate) fn title(&self) -> String {
        self.words.bar_title(self.month, self.count, self.trend)
    }
}

/// One month's bar as a plotters element, so that it reaches the backend as a [`Marks::bar`].
struct Bar<'w> {
    corners: [(i32, i32); 2],
    colour: RGBColor,
    hover: BarHover<'w>,
}

impl<'a> PointCollection<'a, (i32, i32)> for &'a Bar<'_> {
    type Point = &'a (i32, i32);
    type IntoIter = &'a [(i32, i32)];
    fn point_iter(self) -> Self::IntoIter {
        &self.corners
    }
}

impl<DB: Marks> Drawable<DB> for Bar<'_> {
    fn draw<I: Iterator<Item = BackendCoord>>(
        &self,
        mut pos: I,
        backend: &mut DB,
        _: (u32, u32),
    ) -> Result<(), DrawingErrorKind<DB::ErrorType>> {
        match (pos.next(), pos.next()) {
            (Some(upper_left), Some(bottom_right)) => {
                backend.bar(upper_left, bottom_right, self.colour, &self.hover)
            }
            _ => Ok(()),
        }
    }
}

/// Draw `input` onto `canvas` (the layout's size, all background), in the roles of `look`'s
/// palette, which must be `paint::ROLE_PALETTE`.
pub(crate) fn chart(
    input: &ChartInput<'_>,
    look: &Look<'_>,
    canvas: &mut PaintCanvas,
) -> anyhow::Result<()> {
    let strokes = shapes(text::GlyphCache(PaintBackend(canvas)), input, look)?;
    let mut canvas = Canvas(canvas);
    for (points, pen) in &strokes {
        canvas.polyline(points, pen)?;
    }
    Ok(())
}

/// Draw everything but the strokes of `input` on `backend` (the same layout for every
/// format) and return the strokes.
pub(crate) fn shapes<DB: Marks>(
    backend: DB,
    input: &ChartInput<'_>,
    look: &Look<'_>,
) -> anyhow::Result<Vec<Stroke>> {
    anyhow::ensure!(!input.counts.is_empty(), "no months to chart");
    let area = backend.into_drawing_area();
    let strokes = with_plotters(&area, input, look)?;
    check(area.present(), "finishing the drawing")?;
    Ok(strokes)
}

/// Everything but the anti-aliased strokes, which it returns.
fn with_plotters<DB: Marks>(
    area: &Area<DB>,
    input: &ChartInput<'_>,
    look: &Look<'_>,
) -> anyhow::Result<Vec<Stroke>> {
    let counts = input.counts;
    let l = &look.layout;
    let fonts = Fonts {
        title: font::sized(l.title_size),
        subtitle: font::sized(l.subtitle_size),
        label: font::sized(l.label_size),
        note: font::sized(l.note_size),
    };
    let mut strokes = header(area, &fonts, input, look)?;

    let max = counts.iter().copied().max().unwrap_or(0);
    let scale = YScale::covering(u64::from(max));
    let y_labels: Vec<(u64, String)> = scale.ticks().map(|t| (t, look.words.count(t))).collect();
    let mut y_label_width = 0;
    for (_, label) in &y_labels {
        y_label_width = y_label_width.max(text::width(&fonts.label, label)?);
    }
    let left = l.margin_x + y_label_width + l.y_label_gap;
    let right = l.width - l.margin_x;
    let slot = f64::from(right - left) / counts.len() as f64;
    let axis = x_axis::plan(
        input.first_month,
        counts.len(),
        x_metrics(&fonts.label, input, look.words, slot)?,
        look.words,
    );
    let plot = Plot {
        left,
        right,
        top: l.plot_top,
        bottom: l.height - l.bottom_margin - i32::from(axis.rows) * l.x_label_row,
        months: counts.len(),
        scale,
    };

    // The month in progress has no trend value: a partial month would pull it down.
    let average = trend::trailing_average(&counts[..counts.len() - 1]);
    grid(area, &fonts, &plot, &y_labels, look)?;
    year_rules(area, &plot, &axis, look)?;
    bars(area, &plot, input, &average, look)?;
    baseline(area, &plot, &axis, look)?;
    x_labels(area, &fonts, &plot, &axis, look)?;
    as_of_note(area, &fonts, &plot, input, look)?;
    strokes.extend(trend_line(&trend_points(&plot, &average), look));
    Ok(strokes)
}

/// Title, subtitle and legend.
fn header<DB: DrawingBackend>(
    area: &Area<DB>,
    fonts: &Fonts,
    input: &ChartInput<'_>,
    look: &Look<'_>,
) -> anyhow::Result<Vec<Stroke>> {
    let l = &look.layout;
    let p = look.palette;
    let page_width = l.width - 2 * l.margin_x;
    let name = text::single_line(input.display_name);
    let title = text::fit(&fonts.title, &name, page_width)?;
    text::draw(
        area,
        &fonts.title,
        &rgb(p.title),
        &title,
        l.margin_x,
        l.title_baseline,
    )?;

    let (legend_left, legend_line) = legend(area, fonts, look)?;

    let total: u64 = input.counts.iter().map(|&c| u64::from(c)).sum();
    let subtitle = look
        .words
        .posts(total, input.first_month, input.counts.len());
    let gap = (24.0 * l.scale).round() as i32;
    let subtitle = text::fit(&fonts.subtitle, &subtitle, legend_left - gap - l.margin_x)?;
    text::draw(
        area,
        &fonts.subtitle,
        &rgb(p.subtitle),
        &subtitle,
        l.margin_x,
        l.subtitle_baseline,
    )?;
    Ok(vec![legend_line])
}

/// The legend, right-aligned on the subtitle row. Returns its left edge and its line.
fn legend<DB: DrawingBackend>(
    area: &Area<DB>,
    fonts: &Fonts,
    look: &Look<'_>,
) -> anyhow::Result<(i32, Stroke)> {
    let l = &look.layout;
    let (bars, trend) = (look.words.legend_bars, look.words.legend_trend);
    let f = &fonts.subtitle;
    let px = |v: f64| (v * l.subtitle_size / 16.0).round() as i32;
    let swatch = px(12.0);
    let line = px(22.0);
    let gap = px(7.0);
    let between = px(22.0);
    let width =
        swatch + gap + text::width(f, bars)? + between + line + gap + text::width(f, trend)?;
    let mut x = l.width - l.margin_x - width;
    let left = x;
    let mid = l.subtitle_baseline - (l.subtitle_size * 0.33).round() as i32;
    let words = rgb(look.palette.subtitle);

    check(
        area.draw(&Rectangle::new(
            [(x, mid - swatch / 2), (x + swatch, mid + swatch / 2)],
            rgb(look.palette.bar).filled(),
        )),
        "drawing the legend",
    )?;
    x += swatch + gap;
    text::draw(area, f, &words, bars, x, l.subtitle_baseline)?;
    x += text::width(f, bars)? + between;
    let y = f64::from(mid) + 0.5;
    let points = vec![(f64::from(x) + 1.0, y), (f64::from(x + line) - 1.0, y)];
    x += line + gap;
    text::draw(area, f, &words, trend, x, l.subtitle_baseline)?;
    let pen = Pen {
        halo: 0.0,
        ..look.trend_pen()
    };
    Ok((left, (points, pen)))
}

fn x_metrics(
    label: &FontDesc<'_>,
    input: &ChartInput<'_>,
    words: &Table,
    slot: f64,
) -> anyhow::Result<Metrics> {
    let mut month_label = 0;
    for name in words.months() {
        month_label = month_label.max(text::width(label, name)?);
    }
    let mut year_label = 0;
    for year in x_axis::widest_year_labels(input.first_month, input.counts.len(), words) {
        year_label = year_label.max(text::width(label, &year)?);
    }
    Ok(Metrics {
        slot,
        month_label: f64::from(month_label),
        year_label: f64::from(year_label),
    })
}

/// Horizontal grid lines with their count labels on the left.
fn grid<DB: DrawingBackend>(
    area: &Area<DB>,
    fonts: &Fonts,
    plot: &Plot,
    labels: &[(u64, String)],
    look: &Look<'_>,
) -> anyhow::Result<()> {
    let l = &look.layout;
    let colour = rgb(look.palette.axis_label);
    let lift = (l.label_size * 0.35).round() as i32;
    for (value, label) in labels {
        let y = plot.y(*value as f64).round() as i32;
        if *value > 0 {
            check(
                area.draw(&PathElement::new(
                    [(plot.left, y), (plot.right, y)],
                    rgb(look.palette.grid),
                )),
                "drawing the grid",
            )?;
        }
        let x = plot.left - l.y_label_gap - text::width(&fonts.label, label)?;
        text::draw(area, &fonts.label, &colour, label, x, y + lift)?;
    }
    Ok(())
}

/// Faint vertical rules at major year boundaries, behind the bars.
fn year_rules<DB: DrawingBackend>(
    area: &Area<DB>,
    plot: &Plot,
    axis: &XAxis,
    look: &Look<'_>,
) -> anyhow::Result<()> {
    for b in axis.boundaries.iter().filter(|b| b.major && b.at > 0.0) {
        let x = plot.x(b.at).round() as i32;
        check(
            area.draw(&PathElement::new(
                [(x, plot.top), (x, plot.bottom)],
                rgb(look.palette.year_rule),
            )),
            "drawing the year rules",
        )?;
    }
    Ok(())
}

/// One bar per month, all the same width, centred in its slot. A month with posts is at
/// least one pixel tall; a month without posts has no bar. The last month is the month in
/// progress: its bar has the partial colour, outlined in the bar colour when it is wide
/// enough. (plotters fills rectangles up to, not including, the bottom-right corner.)
/// Each bar's hover text gives its month, count and the trend value at that month.
fn bars<DB: Marks>(
    area: &Area<DB>,
    plot: &Plot,
    input: &ChartInput<'_>,
    average: &[f64],
    look: &Look<'_>,
) -> anyhow::Result<()> {
    let counts = input.counts;
    let slot = plot.slot();
    let l = &look.layout;
    let width = (slot * l.bar_fill).round().clamp(1.0, l.bar_max_width) as i32;
    let last = counts.len() - 1;
    for (i, &count) in counts.iter().enumerate() {
        if count == 0 {
            continue;
        }
        let centre = plot.x(i as f64 + 0.5);
        let left = (centre - f64::from(width) / 2.0).round() as i32;
        let top = (plot.y(f64::from(count)).round() as i32).min(plot.bottom - 1);
        let corners = [(left, top), (left + width, plot.bottom)];
        let bar = Bar {
            corners,
            colour: rgb(if i < last {
                look.palette.bar
            } else {
                look.palette.bar_partial
            }),
            hover: BarHover {
                month: input.month(i),
                count,
                trend: average.get(i).copied(),
                words: look.words,
            },
        };
        check(area.draw(&bar), "drawing the bars")?;
        if i == last {
            partial_outline(area, corners, look)?;
        }
    }
    Ok(())
}

/// A box in the partial colour, outlined in the bar colour when wider than 4 px.
fn partial_box<DB: DrawingBackend>(
    area: &Area<DB>,
    corners: [(i32, i32); 2],
    look: &Look<'_>,
) -> anyhow::Result<()> {
    check(
        area.draw(&Rectangle::new(
            corners,
            rgb(look.palette.bar_partial).filled(),
        )),
        "drawing the month in progress",
    )?;
    partial_outline(area, corners, look)
}

/// The outline of a box in the partial colour, in the bar colour, when wider than 4 px.
fn partial_outline<DB: DrawingBackend>(
    area: &Area<DB>,
    [(x0, y0), (x1, y1)]: [(i32, i32); 2],
    look: &Look<'_>,
) -> anyhow::Result<()> {
    let p = look.palette;
    if x1 - x0 > 4 && y1 - y0 > 2 {
        check(
            area.draw(&Rectangle::new([(x0, y0), (x1 - 1, y1)], rgb(p.bar))),
            "drawing the month in progress",
        )?;
    }
    Ok(())
}

/// The zero line and the year ticks under it.
fn baseline<DB: DrawingBackend>(
    area: &Area<DB>,
    plot: &Plot,
    axis: &XAxis,
    look: &Look<'_>,
) -> anyhow::Result<()> {
    let colour = rgb(look.palette.baseline);
    check(
        area.draw(&PathElement::new(
            [(plot.left, plot.bottom), (plot.right, plot.bottom)],
            colour,
        )),
        "drawing the baseline",
    )?;
    let s = look.layout.scale;
    for b in &axis.boundaries {
        let x = plot.x(b.at).round() as i32;
        let length = (if b.major { 6.0 } else { 3.0 } * s).round() as i32;
        check(
            area.draw(&PathElement::new(
                [(x, plot.bottom), (x, plot.bottom + length)],
                colour,
            )),
            "drawing the year ticks",
        )?;
    }
    Ok(())
}

/// Month and year labels, centred on their positions; a label that would touch the one
/// before it in its row, or leave the page, is left out.
fn x_labels<DB: DrawingBackend>(
    area: &Area<DB>,
    fonts: &Fonts,
    plot: &Plot,
    axis: &XAxis,
    look: &Look<'_>,
) -> anyhow::Result<()> {
    let l = &look.layout;
    let colour = rgb(look.palette.axis_label);
    let mut row_end = [i32::MIN; 2];
    for label in &axis.labels {
        let row = usize::from(label.row.min(1));
        let width = text::width(&fonts.label, &label.text)?;
        let x = (plot.x(label.at) - f64::from(width) / 2.0).round() as i32;
        let fits_page = x >= l.margin_x / 2 && x + width <= l.width - l.margin_x / 2;
        if !fits_page || x < row_end[row].saturating_add(8) {
            continue;
        }
        row_end[row] = x + width;
        let baseline = plot.bottom + l.x_label_drop + row as i32 * l.x_label_row;
        text::draw(area, &fonts.label, &colour, &label.text, x, baseline)?;
    }
    Ok(())
}

/// "11月（集計中）" with a swatch of the partial bar, right-aligned above the plot over the
/// month in progress. No date: the picture stays the same on every day of the month.
fn as_of_note<DB: DrawingBackend>(
    area: &Area<DB>,
    fonts: &Fonts,
    plot: &Plot,
    input: &ChartInput<'_>,
    look: &Look<'_>,
) -> anyhow::Result<()> {
    let l = &look.layout;
    let note = look.words.in_progress(input.month_in_progress());
    let width = text::width(&fonts.note, &note)?;
    let x = plot.right - width;
    text::draw(
        area,
        &fonts.note,
        &rgb(look.palette.subtitle),
        &note,
        x,
        l.note_baseline,
    )?;
    let side = (l.note_size * 0.7).round() as i32;
    let gap = (l.note_size * 0.45).round() as i32;
    let bottom = l.note_baseline;
    partial_box(
        area,
        [(x - gap - side, bottom - side), (x - gap, bottom)],
        look,
    )
}

/// The moving average at the centre of each complete month.
fn trend_points(plot: &Plot, average: &[f64]) -> Vec<(f64, f64)> {
    average
        .iter()
        .enumerate()
        .map(|(i, &v)| (plot.x(i as f64 + 0.5), plot.y(v)))
        .collect()
}

/// The moving average through `points`, and a dot on the latest.
fn trend_line(points: &[(f64, f64)], look: &Look<'_>) -> Vec<Stroke> {
    let pen = look.trend_pen();
    let Some(&latest) = points.last() else {
        return Vec::new();
    };
    let points = points.to_vec();
    let dot = Pen {
        width: 2.0 * look.layout.trend_dot,
        ..pen
    };
    vec![(points, pen), (vec![latest], dot)]
}

fn check<T, E: Display>(result: Result<T, E>, what: &str) -> anyhow::Result<T> {
    result.map_err(|e| anyhow!("{what}: {e}"))
}
