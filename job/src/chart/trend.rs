//! The trend line: a trailing 12-month moving average of the monthly counts.
//! Months before the author's first month had no posts, so they count as zero: the value
//! for month i is (sum of the 12 months ending at i) / 12, from the very first month on.

/// Months in the moving window.
pub(crate) const WINDOW: usize = 12;

/// `avg[i]` = mean of `counts[i-11..=i]`, with missing earlier months taken as zero.
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
            sum as f64 / WINDOW as f64
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
    fn months_before_the_first_count_as_zero() {
        assert_eq!(trailing_average(&[12, 24]), vec![1.0, 3.0]);
    }

    #[test]
    fn huge_counts_do_not_overflow() {
        let avg = trailing_average(&[u32::MAX; 30]);
        assert_eq!(avg[29], u32::MAX as f64);
    }
}
