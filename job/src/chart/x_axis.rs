//! The time axis: which year boundaries get a tick and which labels go under the bars.
//! Positions are in month units (0 = left edge of the first month, i + 0.5 = its centre),
//! so this plan knows nothing of pixels except how wide a slot and a label are. Three
//! densities: month names over years (short ranges), one label per year, every k-th year.

use super::locale::Table;
use crate::month::MonthKey;

/// Year steps for long ranges, in order of preference.
const YEAR_STEPS: [i64; 12] = [2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000];

/// A tick at the left edge of a January.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Boundary {
    pub at: f64,
    /// Major boundaries also get a faint rule through the plot.
    pub major: bool,
}

/// A label centred at `at`; row 0 sits right under the axis, row 1 under row 0.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Label {
    pub text: String,
    pub at: f64,
    pub row: u8,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct XAxis {
    pub boundaries: Vec<Boundary>,
    pub labels: Vec<Label>,
    /// Label rows used (1 or 2).
    pub rows: u8,
}

/// Widths in pixels that decide the label density.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Metrics {
    /// Width of one month's slot.
    pub slot: f64,
    /// Widest month name ("May", …).
    pub month_label: f64,
    /// Widest year label of the range.
    pub year_label: f64,
}

/// Month `i` of a range that starts at `first`, as (year, month 1..=12).
pub(crate) fn month_at(first: MonthKey, i: usize) -> (i64, u32) {
    let zero_based = i64::from(first.month) - 1 + i as i64;
    (
        i64::from(first.year) + zero_based.div_euclid(12),
        zero_based.rem_euclid(12) as u32 + 1,
    )
}

/// The axis plan for `months` months from `first`, labelled in `words`.
pub(crate) fn plan(first: MonthKey, months: usize, m: Metrics, words: &Table) -> XAxis {
    let year_spans = year_spans(first, months);
    let januaries = || {
        year_spans
            .iter()
            .filter(|s| s.start_is_january)
            .map(|s| (s.year, s.start as f64))
    };
    if m.slot >= m.month_label + 10.0 {
        // Short range: every month named, years centred under their months.
        let labels = (0..months)
            .map(|i| Label {
                text: words.month_name(month_at(first, i).1).to_owned(),
                at: i as f64 + 0.5,
                row: 0,
            })
            .chain(year_spans.iter().map(|s| Label {
                text: words.year(s.year),
                at: (s.start + s.end) as f64 / 2.0,
                row: 1,
            }))
            .collect();
        let boundaries = januaries()
            .filter(|&(_, at)| at > 0.0)
            .map(|(_, at)| Boundary { at, major: true })
            .collect();
        return XAxis {
            boundaries,
            labels,
            rows: 2,
        };
    }
    if 12.0 * m.slot >= m.year_label + 12.0 {
        // Medium range: a tick at every January, each year named under its own months
        // when its part of the range is wide enough for the label.
        let labels = year_spans
            .iter()
            .filter(|s| (s.end - s.start) as f64 * m.slot >= m.year_label + 4.0)
            .map(|s| Label {
                text: words.year(s.year),
                at: (s.start + s.end) as f64 / 2.0,
                row: 0,
            })
            .collect();
        let boundaries = januaries()
            .map(|(_, at)| Boundary { at, major: true })
            .collect();
        return XAxis {
            boundaries,
            labels,
            rows: 1,
        };
    }
    // Long range: every k-th January is labelled; the others get a small tick if there is
    // room for one.
    let step = YEAR_STEPS
        .into_iter()
        .find(|&k| k as f64 * 12.0 * m.slot >= m.year_label + 16.0)
        .unwrap_or(YEAR_STEPS[YEAR_STEPS.len() - 1]);
    let minor_ticks = 12.0 * m.slot >= 4.0;
    let mut axis = XAxis {
        rows: 1,
        ..XAxis::default()
    };
    for (year, at) in januaries() {
        let major = year.rem_euclid(step) == 0;
        if major {
            axis.labels.push(Label {
                text: words.year(year),
                at,
                row: 0,
            });
        }
        if major || minor_ticks {
            axis.boundaries.push(Boundary { at, major });
        }
    }
    axis
}

/// The months of one calendar year inside the range: `start..end` (month indices).
struct YearSpan {
    year: i64,
    start: usize,
    end: usize,
    start_is_january: bool,
}

fn year_spans(first: MonthKey, months: usize) -> Vec<YearSpan> {
    let mut spans: Vec<YearSpan> = Vec::new();
    let mut i = 0;
    while i < months {
        let (year, month) = month_at(first, i);
        let end = (i + (13 - month as usize)).min(months);
        spans.push(YearSpan {
            year,
            start: i,
            end,
            start_is_january: month == 1,
        });
        i = end;
    }
    spans
}

/// The widest year label of a range (the years at both ends bound the digit count).
pub(crate) fn widest_year_labels(first: MonthKey, months: usize, words: &Table) -> [String; 2] {
    let last = month_at(first, months.saturating_sub(1)).0;
    [words.year(i64::from(first.year)), words.year(last)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::locale;
    use crate::chart::style::Locale;

    fn plan(first: MonthKey, months: usize, m: Metrics) -> XAxis {
        super::plan(first, months, m, locale::table(Locale::En))
    }

    fn metrics(slot: f64) -> Metrics {
        Metrics {
            slot,
            month_label: 28.0,
            year_label: 34.0,
        }
    }

    fn texts(axis: &XAxis, row: u8) -> Vec<&str> {
        axis.labels
            .iter()
            .filter(|l| l.row == row)
            .map(|l| l.text.as_str())
            .collect()
    }

    #[test]
    fn month_at_crosses_years() {
        let nov = MonthKey::new(2024, 11);
        assert_eq!(month_at(nov, 0), (2024, 11));
        assert_eq!(month_at(nov, 2), (2025, 1));
        assert_eq!(month_at(nov, 26), (2027, 1));
    }

    #[test]
    fn one_month_gets_its_month_and_year() {
        let axis = plan(MonthKey::new(2025, 11), 1, metrics(1000.0));
        assert_eq!(texts(&axis, 0), ["Nov"]);
        assert_eq!(texts(&axis, 1), ["2025"]);
        assert_eq!(axis.labels[1].at, 0.5);
        assert!(axis.boundaries.is_empty());
    }

    #[test]
    fn japanese_axes_name_months_and_years_in_japanese() {
        let axis = super::plan(
            MonthKey::new(2024, 11),
            4,
            metrics(200.0),
            locale::table(Locale::Ja),
        );
        assert_eq!(texts(&axis, 0), ["11月", "12月", "1月", "2月"]);
        assert_eq!(texts(&axis, 1), ["2024年", "2025年"]);
    }

    #[test]
    fn short_ranges_name_months_and_mark_the_new_year() {
        let axis = plan(MonthKey::new(2024, 11), 4, metrics(200.0));
        assert_eq!(texts(&axis, 0), ["Nov", "Dec", "Jan", "Feb"]);
        assert_eq!(texts(&axis, 1), ["2024", "2025"]);
        assert_eq!(
            axis.boundaries,
            [Boundary {
                at: 2.0,
                major: true
            }]
        );
    }

    #[test]
    fn medium_ranges_centre_each_year_under_its_months() {
        // 2019-04 .. 2025-11: 80 months at 13.5 px.
        let axis = plan(MonthKey::new(2019, 4), 80, metrics(13.5));
        assert_eq!(
            texts(&axis, 0),
            ["2019", "2020", "2021", "2022", "2023", "2024", "2025"]
        );
        assert_eq!(axis.labels[1].at, 9.0 + 6.0);
        assert_eq!(axis.boundaries.len(), 6);
        assert!(axis.boundaries.iter().all(|b| b.major));
    }

    #[test]
    fn a_sliver_of_a_year_gets_no_label() {
        // Dec 2010 alone is one 6-px month: too narrow for "2010".
        let axis = plan(MonthKey::new(2010, 12), 180, metrics(6.0));
        assert_eq!(texts(&axis, 0).first(), Some(&"2011"));
        assert_eq!(texts(&axis, 0).len(), 15);
    }

    #[test]
    fn long_ranges_label_every_kth_year() {
        // 1970-01 .. 2025-12 at 1.6 px per month: a year is 19 px, too narrow for a label,
        // two years too narrow for the label and its padding, five years are plenty.
        let axis = plan(MonthKey::new(1970, 1), 672, metrics(1.6));
        let labels = texts(&axis, 0);
        assert_eq!(labels.len(), 12);
        assert_eq!(labels[..3], ["1970", "1975", "1980"]);
        assert_eq!(axis.boundaries.iter().filter(|b| b.major).count(), 12);
        assert_eq!(axis.boundaries.len(), 56);
    }

    #[test]
    fn absurdly_long_ranges_still_terminate_with_few_labels() {
        let axis = plan(MonthKey::new(1, 1), 24_300, metrics(0.04));
        assert!(!axis.labels.is_empty());
        assert!(axis.labels.len() <= 30, "{}", axis.labels.len());
    }
}
