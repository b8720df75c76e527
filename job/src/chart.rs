//! Chart rendering: one author's monthly counts to PNG bytes in memory.
//! Owns the look of the chart and the embedded font; knows nothing of files or S3.
//! (Placeholder interface: the real renderer lands in its own commit.)

use crate::month::MonthKey;

/// Width of every chart in pixels.
pub const WIDTH: u32 = 1200;
/// Height of every chart in pixels.
pub const HEIGHT: u32 = 600;

/// What one chart shows.
pub struct ChartInput<'a> {
    /// Title text (already resolved per CONTRACT §3.5).
    pub display_name: &'a str,
    /// Month of `counts[0]`: the author's first month.
    pub first_month: MonthKey,
    /// Posts per month from `first_month` through the month of `now`, zeros included.
    pub counts: &'a [u32],
}

/// Render the chart as PNG bytes. Same input, same bytes.
pub fn render_png(_input: &ChartInput<'_>) -> anyhow::Result<Vec<u8>> {
    anyhow::bail!("chart rendering is not implemented yet")
}
