//! `Instant`: a point in time exact to the nanosecond, and the strict timestamp grammar of
//! data-spec §4 (`YYYY-MM-DDTHH:MM:SS[.F](Z|±HH:MM)`, ≥ 1970). Used for `first_published_at`
//! and `--now`. Also formats an instant back as UTC text for `index.json`.

use std::fmt;

use chrono::{DateTime, Datelike, Utc};
use chrono_tz::Tz;

use crate::month::MonthKey;

const NANOS_PER_SEC: i128 = 1_000_000_000;

/// Nanoseconds since 1970-01-01T00:00:00Z (never negative once parsed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant(i128);

impl Instant {
    pub const EPOCH: Instant = Instant(0);

    pub fn from_unix_nanos(nanos: i128) -> Self {
        Instant(nanos)
    }

    pub fn unix_nanos(self) -> i128 {
        self.0
    }

    /// The current time.
    pub fn now() -> Self {
        let d = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        Instant(d.as_nanos() as i128)
    }

    /// `self` minus whole days of exactly 86 400 s (may go before 1970).
    pub fn minus_days(self, days: u32) -> Self {
        Instant(self.0 - days as i128 * 86_400 * NANOS_PER_SEC)
    }

    /// Parse the strict grammar of data-spec §4. `None` for anything else.
    pub fn parse(text: &str) -> Option<Instant> {
        parse_bytes(text.as_bytes())
    }

    fn to_utc(self) -> Option<DateTime<Utc>> {
        let secs = self.0.div_euclid(NANOS_PER_SEC);
        let nanos = self.0.rem_euclid(NANOS_PER_SEC) as u32;
        DateTime::from_timestamp(i64::try_from(secs).ok()?, nanos)
    }

    /// Calendar month of this instant in `tz` (IANA rules, DST included).
    pub fn month_in(self, tz: Tz) -> MonthKey {
        let local = self
            .to_utc()
            .expect("parsed instants lie within chrono's range")
            .with_timezone(&tz);
        MonthKey::new(local.year(), local.month())
    }

    /// Calendar day of this instant in `tz`.
    pub fn date_in(self, tz: Tz) -> chrono::NaiveDate {
        self.to_utc()
            .expect("parsed instants lie within chrono's range")
            .with_timezone(&tz)
            .date_naive()
    }
}

/// `YYYY-MM-DDTHH:MM:SS[.F]Z` in UTC, `F` only when non-zero, trailing zeros trimmed.
impl fmt::Display for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(utc) = self.to_utc() else {
            return write!(f, "@{}ns", self.0);
        };
        write!(f, "{}", utc.format("%Y-%m-%dT%H:%M:%S"))?;
        let nanos = self.0.rem_euclid(NANOS_PER_SEC);
        if nanos != 0 {
            let digits = format!("{nanos:09}");
            write!(f, ".{}", digits.trim_end_matches('0'))?;
        }
        f.write_str("Z")
    }
}

fn digits(bytes: &[u8]) -> Option<u32> {
    bytes.iter().try_fold(0u32, |acc, &b| {
        b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0'))
    })
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        _ => 28,
    }
}

/// Days from 1970-01-01 to the given civil date (proleptic Gregorian).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn parse_bytes(s: &[u8]) -> Option<Instant> {
    // Fixed part: YYYY-MM-DDTHH:MM:SS (19 bytes).
    if s.len() < 20 {
        return None;
    }
    let sep = |i: usize, c: u8| s[i] == c;
    if !(sep(4, b'-') && sep(7, b'-') && sep(10, b'T') && sep(13, b':') && sep(16, b':')) {
        return None;
    }
    let year = i64::from(digits(&s[0..4])?);
    let month = digits(&s[5..7])?;
    let day = digits(&s[8..10])?;
    let hour = digits(&s[11..13])?;
    let minute = digits(&s[14..16])?;
    let second = digits(&s[17..19])?;
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }

    let mut rest = &s[19..];
    let mut nanos: i128 = 0;
    if let Some(frac) = rest.strip_prefix(b".") {
        let n = frac.iter().take_while(|b| b.is_ascii_digit()).count();
        if n == 0 || n > 9 {
            return None;
        }
        nanos = i128::from(digits(&frac[..n])?) * 10i128.pow(9 - n as u32);
        rest = &frac[n..];
    }

    let offset_secs: i64 = match rest {
        b"Z" => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let oh = i64::from(digits(&[*h1, *h2])?);
            let om = i64::from(digits(&[*m1, *m2])?);
            if oh > 23 || om > 59 {
                return None;
            }
            let magnitude = oh * 3600 + om * 60;
            if *sign == b'+' {
                magnitude
            } else {
                -magnitude
            }
        }
        _ => return None,
    };

    let local_secs = days_from_civil(year, month, day) * 86_400
        + i64::from(hour) * 3600
        + i64::from(minute) * 60
        + i64::from(second);
    let total = i128::from(local_secs - offset_secs) * NANOS_PER_SEC + nanos;
    (total >= 0).then_some(Instant(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> Instant {
        Instant::parse(s).unwrap_or_else(|| panic!("{s} should parse"))
    }

    #[test]
    fn contract_valid_examples_parse() {
        for s in [
            "2024-01-31T20:00:00.000Z",
            "2024-02-01T05:00:00+09:00",
            "2024-01-31T00:00:00.5Z",
            "2024-01-31T00:00:00.123456789Z",
            "2024-01-31T00:00:00-05:00",
            "2024-01-31T00:00:00+05:45",
            "2024-01-31T00:00:00+00:00",
            "2024-01-31T00:00:00-00:00",
            "2024-02-29T12:00:00Z",
            "2000-02-29T12:00:00Z",
        ] {
            ok(s);
        }
    }

    #[test]
    fn contract_invalid_examples_are_rejected() {
        for s in [
            "2024-13-01T00:00:00Z",
            "2024-02-30T10:00:00Z",
            "2023-02-29T10:00:00Z",
            "1900-02-29T10:00:00Z",
            "2024-01-31 20:00:00",
            "2024-01-31T20:00:00",
            "2024-01-31T20:00:00+0900",
            "2024-01-31t20:00:00z",
            "2024-01-31T20:00Z",
            "2024-01-31T20:00:00.Z",
            "2024-01-31T20:00:00.1234567890Z",
            "2024-01-31T24:00:00Z",
            "2024-01-31T23:59:60Z",
            "２０２４-01-31T20:00:00Z",
            " 2024-01-31T20:00:00Z",
            "2024-01-31T20:00:00Z ",
            "",
            "2024-01-31T20:00:00+24:00",
            "2024-01-31T20:00:00+09:60",
            "2024-00-10T20:00:00Z",
            "2024-01-00T20:00:00Z",
            "1969-12-31T23:59:59Z",
            "1970-01-01T08:59:59+09:00",
            "+024-01-31T20:00:00Z",
        ] {
            assert_eq!(Instant::parse(s), None, "{s:?} must be rejected");
        }
    }

    #[test]
    fn offsets_fix_the_instant() {
        assert_eq!(ok("2024-01-31T15:00:00Z"), ok("2024-02-01T00:00:00+09:00"));
        assert_eq!(ok("2024-01-31T15:00:00Z"), ok("2024-01-31T10:00:00-05:00"));
        assert_eq!(ok("2024-01-31T15:00:00-00:00"), ok("2024-01-31T15:00:00Z"));
    }

    #[test]
    fn is_exact_to_the_nanosecond() {
        let a = ok("2024-01-31T15:00:00.000000001Z");
        let b = ok("2024-01-31T15:00:00Z");
        assert_eq!(a.unix_nanos() - b.unix_nanos(), 1);
        assert_eq!(
            ok("2024-01-31T15:00:00.5Z").unix_nanos() % NANOS_PER_SEC,
            500_000_000
        );
    }

    #[test]
    fn epoch_is_the_earliest_instant() {
        assert_eq!(ok("1970-01-01T00:00:00Z"), Instant::EPOCH);
        assert_eq!(ok("1970-01-01T09:00:00+09:00"), Instant::EPOCH);
    }

    #[test]
    fn displays_utc_with_trimmed_fraction() {
        assert_eq!(
            ok("2025-11-25T09:00:00.500+09:00").to_string(),
            "2025-11-25T00:00:00.5Z"
        );
        assert_eq!(
            ok("2025-11-25T00:00:00Z").to_string(),
            "2025-11-25T00:00:00Z"
        );
        assert_eq!(
            ok("2025-11-25T00:00:00.000000010Z").to_string(),
            "2025-11-25T00:00:00.00000001Z"
        );
    }

    #[test]
    fn month_follows_the_zone() {
        let tokyo: Tz = "Asia/Tokyo".parse().unwrap();
        let ny: Tz = "America/New_York".parse().unwrap();
        assert_eq!(
            ok("2024-01-31T15:00:00Z").month_in(tokyo),
            MonthKey::new(2024, 2)
        );
        assert_eq!(
            ok("2024-01-31T15:00:00Z").month_in(Tz::UTC),
            MonthKey::new(2024, 1)
        );
        assert_eq!(
            ok("2024-01-31T14:59:59Z").month_in(tokyo),
            MonthKey::new(2024, 1)
        );
        assert_eq!(
            ok("2024-03-01T04:59:59Z").month_in(ny),
            MonthKey::new(2024, 2)
        );
        assert_eq!(
            ok("2024-03-01T05:00:00Z").month_in(ny),
            MonthKey::new(2024, 3)
        );
        // Summer time: EDT is UTC−4.
        assert_eq!(
            ok("2024-07-01T03:59:59Z").month_in(ny),
            MonthKey::new(2024, 6)
        );
        assert_eq!(
            ok("2024-07-01T04:00:00Z").month_in(ny),
            MonthKey::new(2024, 7)
        );
    }

    #[test]
    fn window_arithmetic_uses_exact_days() {
        let now = ok("2025-11-25T00:00:00Z");
        assert_eq!(now.minus_days(7), ok("2025-11-18T00:00:00Z"));
    }
}
