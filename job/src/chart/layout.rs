//! The vertical rhythm and the proportions of the page, derived from the style's size and
//! type sizes, so a designer changes sizes in the style file and the layout follows. At
//! 1200 × 600 with the built-in sizes: title baseline 56, subtitle row 88, plot from 128.
//! It knows only the sizes ([`Page`]); `Style::layout` hands them over.

/// The sizes a layout is derived from: the page and the four type sizes, in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Page {
    pub width: u32,
    pub height: u32,
    pub title: u32,
    pub subtitle: u32,
    pub label: u32,
    pub note: u32,
}

/// Pixel positions and lengths of one page.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Layout {
    pub width: i32,
    pub height: i32,
    /// Width / 1200: the scale of strokes and fixed gaps.
    pub scale: f64,
    pub title_size: f64,
    pub subtitle_size: f64,
    pub label_size: f64,
    pub note_size: f64,
    /// Left and right page margin.
    pub margin_x: i32,
    pub title_baseline: i32,
    /// Subtitle (totals) and legend share one row.
    pub subtitle_baseline: i32,
    /// The "as of" note, right-aligned just above the plot.
    pub note_baseline: i32,
    /// Top of the plot area (the highest grid line).
    pub plot_top: i32,
    /// Height of one row of x labels (one row, or months over years).
    pub x_label_row: i32,
    /// From the axis to the first row's baseline.
    pub x_label_drop: i32,
    pub bottom_margin: i32,
    /// Gap between the y labels and the plot area.
    pub y_label_gap: i32,
    /// Widest a bar may get (few months), and its share of a month's slot.
    pub bar_max_width: f64,
    pub bar_fill: f64,
    /// Trend line width, its halo on each side, and the radius of its last dot.
    pub trend_width: f64,
    pub trend_halo: f64,
    pub trend_dot: f64,
}

impl Layout {
    /// The layout of `page`, or why its sizes leave too little room for the plot.
    pub(crate) fn new(page: Page) -> Result<Layout, String> {
        let t = page;
        let width = page.width as i32;
        let height = page.height as i32;
        let scale = f64::from(width) / 1200.0;
        let px = |v: f64| (v * scale).round() as i32;
        let title_baseline = px(26.0) + t.title as i32;
        let subtitle_baseline = title_baseline + px(14.0) + t.subtitle as i32;
        let plot_top = subtitle_baseline + px(14.0) + t.note as i32 + px(12.0);
        let x_label_row = t.label as i32 + px(8.0);
        let bottom_margin = px(20.0);
        let plot_height = height - plot_top - bottom_margin - 2 * x_label_row;
        if plot_height < height / 3 {
            return Err(format!(
                "the type sizes (text.title {}, text.subtitle {}, text.note {}, text.label {}) \
                 leave {plot_height} px of the height {height} for the bars; at least a third \
                 is needed — use smaller type or a taller page",
                t.title, t.subtitle, t.note, t.label
            ));
        }
        Ok(Layout {
            width,
            height,
            scale,
            title_size: f64::from(t.title),
            subtitle_size: f64::from(t.subtitle),
            label_size: f64::from(t.label),
            note_size: f64::from(t.note),
            margin_x: px(40.0),
            title_baseline,
            subtitle_baseline,
            note_baseline: plot_top - px(12.0),
            plot_top,
            x_label_row,
            x_label_drop: t.label as i32 + px(6.0),
            bottom_margin,
            y_label_gap: px(12.0),
            bar_max_width: 56.0 * scale,
            bar_fill: 0.72,
            trend_width: 2.6 * scale,
            trend_halo: 1.2 * scale,
            trend_dot: 4.0 * scale,
        })
    }
}
