//! Publication timestamps as the export writes them: one instant, many valid spellings of
//! the data-spec §4 grammar (`…​.123Z`, `+09:00`, no fraction, 1–9 fraction digits, `-05:00`,
//! `+05:45`, `-00:00` …). The instant is chosen to be exactly what the text says, so the
//! generator's tally and the job's parse agree to the nanosecond.

use chrono::{DateTime, Duration, Utc};
use rand::Rng;

/// How one timestamp is spelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Form {
    /// Fraction digits, 0 (no fraction at all) to 9.
    pub digits: u8,
    /// Offset in minutes east of UTC; `None` writes `Z`.
    pub offset: Option<i32>,
    /// Write a zero offset as `-00:00` instead of `+00:00`.
    pub minus_zero: bool,
}

impl Form {
    /// The usual mix: mostly `.mmmZ` (API style) and `+09:00` (editor style).
    pub(crate) fn random(rng: &mut impl Rng) -> Form {
        let z = |digits| Form {
            digits,
            offset: None,
            minus_zero: false,
        };
        let off = |minutes, digits| Form {
            digits,
            offset: Some(minutes),
            minus_zero: false,
        };
        match rng.random_range(0..1000) {
            0..=539 => z(3),
            540..=839 => off(9 * 60, 0),
            840..=929 => z(0),
            930..=949 => off(9 * 60, 3),
            950..=959 => z(rng.random_range(1..=9)),
            960..=969 => off(-5 * 60, rng.random_range(0..=6)),
            970..=974 => off(5 * 60 + 45, 0),
            975..=984 => off(0, 0),
            985..=989 => Form {
                digits: 0,
                offset: Some(0),
                minus_zero: true,
            },
            990..=994 => off(-(3 * 60 + 30), 9),
            _ => off(14 * 60, 0),
        }
    }

    /// A random sub-second part that this form can spell exactly.
    pub(crate) fn nanos(self, rng: &mut impl Rng) -> u32 {
        if self.digits == 0 {
            return 0;
        }
        let unit = 10u32.pow(9 - u32::from(self.digits));
        rng.random_range(0..10u32.pow(u32::from(self.digits))) * unit
    }
}

/// Append `at` spelled in `form` to `out`. When the form has too few fraction digits for
/// `at`, all nine are written instead, so the text always names exactly `at`.
pub(super) fn render(at: DateTime<Utc>, form: Form, out: &mut String) {
    use std::fmt::Write as _;
    let minutes = form.offset.unwrap_or(0);
    let local = at.naive_utc() + Duration::minutes(i64::from(minutes));
    let nanos = at.timestamp_subsec_nanos();
    let digits = if nanos.is_multiple_of(10u32.pow(9 - u32::from(form.digits))) {
        form.digits
    } else {
        9
    };
    let _ = write!(out, "{}", local.format("%Y-%m-%dT%H:%M:%S"));
    if digits > 0 {
        let frac = format!("{nanos:09}");
        out.push('.');
        out.push_str(&frac[..usize::from(digits)]);
    }
    match form.offset {
        None => out.push('Z'),
        Some(m) => {
            let sign = if m < 0 || (m == 0 && form.minus_zero) {
                '-'
            } else {
                '+'
            };
            let _ = write!(out, "{sign}{:02}:{:02}", m.abs() / 60, m.abs() % 60);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn offsets_move_the_wall_clock_not_the_instant() {
        let mut s = String::new();
        let form = Form {
            digits: 0,
            offset: Some(540),
            minus_zero: false,
        };
        render(at("2024-01-31T15:00:00Z"), form, &mut s);
        assert_eq!(s, "2024-02-01T00:00:00+09:00");
    }

    #[test]
    fn negative_and_minus_zero_offsets_are_spelled_out() {
        let mut s = String::new();
        let form = Form {
            digits: 1,
            offset: Some(-345),
            minus_zero: false,
        };
        render(at("2024-01-01T00:00:00.5Z"), form, &mut s);
        assert_eq!(s, "2023-12-31T18:15:00.5-05:45");
        s.clear();
        let form = Form {
            digits: 0,
            offset: Some(0),
            minus_zero: true,
        };
        render(at("2024-01-01T00:00:00Z"), form, &mut s);
        assert_eq!(s, "2024-01-01T00:00:00-00:00");
    }

    #[test]
    fn an_instant_finer_than_the_form_gets_nine_digits() {
        let mut s = String::new();
        let form = Form {
            digits: 0,
            offset: None,
            minus_zero: false,
        };
        render(at("2024-01-01T00:00:00.000000001Z"), form, &mut s);
        assert_eq!(s, "2024-01-01T00:00:00.000000001Z");
    }

    #[test]
    fn every_random_form_round_trips_through_rfc3339() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let base = at("2020-06-15T12:34:56Z");
        for _ in 0..2000 {
            let form = Form::random(&mut rng);
            let instant = base + Duration::nanoseconds(i64::from(form.nanos(&mut rng)));
            let mut s = String::new();
            render(instant, form, &mut s);
            assert_eq!(at(&s), instant, "{s}");
        }
    }
}
