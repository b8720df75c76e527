//! The trend line: a trailing 12-month average of the monthly counts, over the author's
//! months only (data-spec §7). For the first k < 12 months it is the mean of those k
//! months; months before the first post are not taken as zero, so a new author's line
//! starts at their real pace instead of climbing from nothing. The caller passes only the
//! complete months: the month in progress would pull the average down.

/// Months in the moving window.
pub(crate) const WINDOW: usize = 12;

/// `avg[i]` = mean of `counts[i+1-min(i+1, 12)..=i]`.
pub(crate) fn trailing_average(counts: &[u32]) -> Vec<f64> {
    let mut sum: u64 = 0;
    counts
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            sum += u64::from(c);
            if i >= WINDOW {
                sum -= u64::from(counts[i - WINDOW]);
            }
            sum as f64 / (i + 1).min(WINDOW) as f64
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn averages_the_last_twelve_months() {
        let mut counts = vec![12; 12];
        counts.extend([0; 6]);
        let avg = trailing_average(&counts);
        assert_eq!(avg[11], 12.0);
        assert_eq!(avg[17], 6.0);
    }

    #[test]
    fn the_first_months_average_over_the_months_so_far() {
        assert_eq!(trailing_average(&[12, 24, 0]), vec![12.0, 18.0, 12.0]);
    }

    #[test]
    fn huge_counts_do_not_overflow() {
        let avg = trailing_average(&[u32::MAX; 30]);
        assert_eq!(avg[29], u32::MAX as f64);
    }
}
