//! The count axis: a "nice" integer step (1, 2 or 5 × 10ⁿ) and a top that covers the
//! largest bar, so grid lines land on round whole numbers and never on 0.5.
//! Labels are formatted by the locale (`locale::Table::count`).

/// Grid values from 0 to `top` in steps of `step`; both are whole numbers ≥ 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct YScale {
    pub step: u64,
    pub top: u64,
}

/// At most this many intervals between grid lines.
const MAX_INTERVALS: u64 = 5;

impl YScale {
    /// The smallest nice scale whose top is at least `max` (a `max` of 0 gives 0..1).
    pub(crate) fn covering(max: u64) -> YScale {
        let max = max.max(1);
        let mut magnitude: u64 = 1;
        loop {
            for factor in [1, 2, 5] {
                let step = magnitude.saturating_mul(factor);
                if step.saturating_mul(MAX_INTERVALS) >= max {
                    return YScale {
                        step,
                        top: max.div_ceil(step).saturating_mul(step),
                    };
                }
            }
            magnitude = magnitude.saturating_mul(10);
        }
    }

    /// The grid values, 0 included.
    pub(crate) fn ticks(self) -> impl Iterator<Item = u64> {
        (0..=self.top / self.step).map(move |i| i * self.step)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_counts_step_by_one() {
        assert_eq!(YScale::covering(1), YScale { step: 1, top: 1 });
        assert_eq!(YScale::covering(3), YScale { step: 1, top: 3 });
        assert_eq!(YScale::covering(5), YScale { step: 1, top: 5 });
    }

    #[test]
    fn larger_counts_use_round_steps_and_cover_the_max() {
        assert_eq!(YScale::covering(7), YScale { step: 2, top: 8 });
        assert_eq!(YScale::covering(23), YScale { step: 5, top: 25 });
        assert_eq!(
            YScale::covering(10_000),
            YScale {
                step: 2000,
                top: 10_000
            }
        );
        assert_eq!(
            YScale::covering(10_001),
            YScale {
                step: 5000,
                top: 15_000
            }
        );
    }

    #[test]
    fn zero_gets_a_unit_axis() {
        assert_eq!(YScale::covering(0), YScale { step: 1, top: 1 });
    }

    #[test]
    fn every_tick_is_whole_and_at_most_six_lines() {
        for max in (0..2000).chain([u32::MAX as u64, u64::MAX / 3]) {
            let scale = YScale::covering(max);
            let ticks: Vec<u64> = scale.ticks().collect();
            assert!(scale.top >= max, "{max}: {scale:?}");
            assert!(ticks.len() >= 2 && ticks.len() <= 6, "{max}: {ticks:?}");
            assert_eq!(*ticks.last().unwrap(), scale.top);
        }
    }
}
