//! `MonthKey`: one calendar month (`YYYY-MM`) in the configured time zone.
//! Months are the aggregation axis of the whole job: counts, chart bars and the keys of
//! `monthly` in `index.json` are all `MonthKey`s. Ordered chronologically.

use std::fmt;

/// A calendar month. Field order makes the derived `Ord` chronological.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MonthKey {
    pub year: i32,
    /// 1..=12
    pub month: u32,
}

impl MonthKey {
    pub fn new(year: i32, month: u32) -> Self {
        assert!((1..=12).contains(&month), "month out of range: {month}");
        MonthKey { year, month }
    }

    /// The month after this one.
    pub fn succ(self) -> Self {
        if self.month == 12 {
            MonthKey::new(self.year + 1, 1)
        } else {
            MonthKey::new(self.year, self.month + 1)
        }
    }

    /// The month `n` months after this one.
    pub fn plus(self, n: usize) -> Self {
        let index = i64::from(self.year) * 12 + i64::from(self.month - 1) + n as i64;
        MonthKey::new(index.div_euclid(12) as i32, index.rem_euclid(12) as u32 + 1)
    }

    /// Months from `self` to `later` (0 when equal; negative when `later` is earlier).
    pub fn months_until(self, later: MonthKey) -> i64 {
        (later.year as i64 - self.year as i64) * 12 + (later.month as i64 - self.month as i64)
    }

    /// Every month from `self` through `last`, both included (empty if `last < self`).
    pub fn through(self, last: MonthKey) -> impl Iterator<Item = MonthKey> {
        let n = self.months_until(last).max(-1) + 1;
        std::iter::successors(Some(self), |m| Some(m.succ())).take(n as usize)
    }
}

impl fmt::Display for MonthKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl serde::Serialize for MonthKey {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl std::str::FromStr for MonthKey {
    type Err = String;

    /// `YYYY-MM`, as displayed.
    fn from_str(text: &str) -> Result<MonthKey, String> {
        let bad = || format!("{text:?} is not a month like 2025-11");
        let (year, month) = text.split_once('-').ok_or_else(bad)?;
        let (year, month): (i32, u32) = (
            year.parse().map_err(|_| bad())?,
            month.parse().map_err(|_| bad())?,
        );
        if year.to_string().len() != 4 || month.to_string().len() > 2 || !(1..=12).contains(&month)
        {
            return Err(bad());
        }
        Ok(MonthKey::new(year, month))
    }
}

impl<'de> serde::Deserialize<'de> for MonthKey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<MonthKey, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_as_yyyy_mm() {
        assert_eq!(MonthKey::new(2024, 2).to_string(), "2024-02");
    }

    #[test]
    fn parses_what_it_displays_and_nothing_else() {
        for m in [MonthKey::new(2024, 2), MonthKey::new(1999, 12)] {
            assert_eq!(m.to_string().parse::<MonthKey>(), Ok(m));
        }
        for bad in ["2024-13", "2024-00", "24-01", "2024/01", "2024-1x", ""] {
            assert!(bad.parse::<MonthKey>().is_err(), "{bad}");
        }
    }

    #[test]
    fn succ_wraps_the_year() {
        assert_eq!(MonthKey::new(2024, 12).succ(), MonthKey::new(2025, 1));
    }

    #[test]
    fn plus_counts_months_across_years() {
        assert_eq!(MonthKey::new(2024, 11).plus(0), MonthKey::new(2024, 11));
        assert_eq!(MonthKey::new(2024, 11).plus(2), MonthKey::new(2025, 1));
        assert_eq!(MonthKey::new(2011, 1).plus(179), MonthKey::new(2025, 12));
        let mut m = MonthKey::new(1969, 12);
        for n in 0..30 {
            assert_eq!(MonthKey::new(1969, 12).plus(n), m);
            m = m.succ();
        }
    }

    #[test]
    fn through_lists_every_month_inclusive() {
        let months: Vec<_> = MonthKey::new(2024, 11)
            .through(MonthKey::new(2025, 2))
            .collect();
        assert_eq!(months.len(), 4);
        assert_eq!(months[3], MonthKey::new(2025, 2));
        assert_eq!(
            MonthKey::new(2025, 2)
                .through(MonthKey::new(2024, 1))
                .count(),
            0
        );
    }
}
