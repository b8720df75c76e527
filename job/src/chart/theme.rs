//! The look of a chart: colours, type sizes and the fixed vertical rhythm of the page.
//! Change the style here; `draw` only places things. Colours are a calm blue for the bars
//! and a warm orange for the trend, on white, with greys for text and rules.

use plotters::style::RGBColor;

use super::stroke::Pen;

pub(crate) const BACKGROUND: RGBColor = RGBColor(0xFF, 0xFF, 0xFF);
pub(crate) const TITLE: RGBColor = RGBColor(0x1F, 0x29, 0x37);
pub(crate) const SUBTITLE: RGBColor = RGBColor(0x6B, 0x72, 0x80);
pub(crate) const AXIS_LABEL: RGBColor = RGBColor(0x4B, 0x55, 0x63);
pub(crate) const GRID: RGBColor = RGBColor(0xE5, 0xE7, 0xEB);
pub(crate) const YEAR_RULE: RGBColor = RGBColor(0xF0, 0xF1, 0xF3);
pub(crate) const BASELINE: RGBColor = RGBColor(0x9C, 0xA3, 0xAF);
pub(crate) const BAR: RGBColor = RGBColor(0x4E, 0x79, 0xA7);
pub(crate) const TREND: RGBColor = RGBColor(0xF2, 0x8E, 0x2B);
/// Every flat colour above: the palette PNG keeps these exactly.
pub(crate) const FLAT_COLOURS: [[u8; 3]; 9] = [
    rgb(BACKGROUND),
    rgb(TITLE),
    rgb(SUBTITLE),
    rgb(AXIS_LABEL),
    rgb(GRID),
    rgb(YEAR_RULE),
    rgb(BASELINE),
    rgb(BAR),
    rgb(TREND),
];

/// Title: the display name.
pub(crate) const TITLE_SIZE: f64 = 30.0;
pub(crate) const TITLE_BASELINE: i32 = 56;
/// Subtitle (totals, date range) and legend share one row.
pub(crate) const SUBTITLE_SIZE: f64 = 16.0;
pub(crate) const SUBTITLE_BASELINE: i32 = 88;
/// Tick labels on both axes.
pub(crate) const LABEL_SIZE: f64 = 14.0;

/// Left and right page margin.
pub(crate) const MARGIN_X: i32 = 40;
/// Top of the plot area (the highest grid line).
pub(crate) const PLOT_TOP: i32 = 126;
/// Space under the plot for one row of x labels, or two (months over years).
pub(crate) const X_LABEL_ROW: i32 = 22;
pub(crate) const BOTTOM_MARGIN: i32 = 24;
/// Gap between the y labels and the plot area.
pub(crate) const Y_LABEL_GAP: i32 = 12;

/// Trend line, with a white halo that lifts it off the bars.
pub(crate) const TREND_PEN: Pen = Pen {
    width: 2.6,
    colour: rgb(TREND),
    halo: 1.2,
    halo_colour: rgb(BACKGROUND),
};
/// Radius of the dot on the latest trend value.
pub(crate) const TREND_DOT: f64 = 4.0;
/// Widest a bar may get (few months), and its share of a month's slot.
pub(crate) const BAR_MAX_WIDTH: f64 = 56.0;
pub(crate) const BAR_FILL: f64 = 0.72;

pub(crate) const fn rgb(c: RGBColor) -> [u8; 3] {
    [c.0, c.1, c.2]
}
