//! When an EventBridge Scheduler expression fires next: `cron(min hour day-of-month month
//! day-of-week year)` with `*`, `?`, lists, ranges and steps, evaluated in the schedule's
//! time zone; `at(…)` once; `rate(…)` has no fixed time. `L`, `W` and `#` are not
//! evaluated (`None`: status shows the expression without a time).

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

/// The first time after `after` that `expression` fires in `zone`, if it can be computed.
pub fn next_fire(expression: &str, zone: Tz, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let expression = expression.trim();
    if let Some(at) = expression
        .strip_prefix("at(")
        .and_then(|e| e.strip_suffix(')'))
    {
        let local = chrono::NaiveDateTime::parse_from_str(at, "%Y-%m-%dT%H:%M:%S").ok()?;
        let when = zone
            .from_local_datetime(&local)
            .earliest()?
            .with_timezone(&Utc);
        return (when > after).then_some(when);
    }
    let body = expression
        .strip_prefix("cron(")
        .and_then(|e| e.strip_suffix(')'))?;
    let fields: Vec<&str> = body.split_whitespace().collect();
    let [minute, hour, dom, month, dow, year] = fields.as_slice() else {
        return None;
    };
    let minutes = set(minute, 0, 59, &[])?;
    let hours = set(hour, 0, 23, &[])?;
    let doms = set(dom, 1, 31, &[])?;
    let months = set(month, 1, 12, &MONTHS)?;
    // Scheduler's days of the week: 1 = SUN … 7 = SAT.
    let dows = set(dow, 1, 7, &DAYS)?;
    let years = set(year, 1970, 2199, &[])?;
    let start = after.with_timezone(&zone);
    let mut day = start.date_naive();
    // Five years of days is more than any expression with a matching day needs.
    for _ in 0..(366 * 5) {
        let dow_number = day.weekday().num_days_from_sunday() + 1;
        let day_matches = doms.contains(&day.day())
            && dows.contains(&dow_number)
            && months.contains(&day.month())
            && years.contains(&(day.year() as u32));
        if day_matches {
            for &h in &hours {
                for &m in &minutes {
                    let Some(local) = day.and_hms_opt(h, m, 0) else {
                        continue;
                    };
                    let Some(when) = zone.from_local_datetime(&local).earliest() else {
                        continue;
                    };
                    if when > start {
                        return Some(when.with_timezone(&Utc));
                    }
                }
            }
        }
        day = next_day(day)?;
    }
    None
}

fn next_day(day: NaiveDate) -> Option<NaiveDate> {
    day.succ_opt()
}

const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const DAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

/// The values of one field between `low` and `high` (`names[i]` means `low + i`), sorted;
/// `None` for what is not evaluated (`L`, `W`, `#`) or not understood.
fn set(field: &str, low: u32, high: u32, names: &[&str]) -> Option<Vec<u32>> {
    let value = |text: &str| -> Option<u32> {
        let upper = text.to_ascii_uppercase();
        names
            .iter()
            .position(|n| *n == upper)
            .map(|i| low + i as u32)
            .or_else(|| text.parse().ok())
            .filter(|v| (low..=high).contains(v))
    };
    let mut out = Vec::new();
    for part in field.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((range, step)) => (range, step.parse::<u32>().ok().filter(|s| *s > 0)?),
            None => (part, 1),
        };
        let (from, to) = match range {
            "*" | "?" => (low, high),
            r => match r.split_once('-') {
                Some((a, b)) => (value(a)?, value(b)?),
                None if part.contains('/') => (value(r)?, high),
                None => {
                    let v = value(r)?;
                    (v, v)
                }
            },
        };
        out.extend((from..=to).step_by(step as usize));
    }
    out.sort_unstable();
    out.dedup();
    Some(out)
}

/// `time` as `YYYY-MM-DD HH:MM` in `zone`.
pub fn local(time: DateTime<Utc>, zone: Tz) -> String {
    let t = time.with_timezone(&zone);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn the_daily_schedule_fires_next_at_17_45_utc_which_is_02_45_in_tokyo() {
        let next = next_fire(
            "cron(45 17 * * ? *)",
            chrono_tz::UTC,
            utc("2026-12-01T20:00:00Z"),
        );
        assert_eq!(next, Some(utc("2026-12-02T17:45:00Z")));
        assert_eq!(
            local(next.unwrap(), chrono_tz::Asia::Tokyo),
            "2026-12-03 02:45"
        );
        let same_day = next_fire(
            "cron(45 17 * * ? *)",
            chrono_tz::UTC,
            utc("2026-12-01T17:00:00Z"),
        );
        assert_eq!(same_day, Some(utc("2026-12-01T17:45:00Z")));
    }

    #[test]
    fn a_monthly_schedule_on_the_first_fires_in_its_own_zone() {
        let next = next_fire(
            "cron(0 3 1 * ? *)",
            chrono_tz::Asia::Tokyo,
            utc("2026-12-01T20:00:00Z"),
        );
        // 03:00 on 1 January in Tokyo is 18:00 UTC on 31 December.
        assert_eq!(next, Some(utc("2026-12-31T18:00:00Z")));
    }

    #[test]
    fn names_lists_ranges_and_steps_are_understood() {
        // Weekdays at 09:00 and 09:30: Monday 7 December 2026 follows Saturday 5th.
        let next = next_fire(
            "cron(0/30 9 ? * MON-FRI *)",
            chrono_tz::UTC,
            utc("2026-12-05T10:00:00Z"),
        );
        assert_eq!(next, Some(utc("2026-12-07T09:00:00Z")));
        assert_eq!(
            next_fire(
                "cron(0 12 ? JAN,JUL 2 *)",
                chrono_tz::UTC,
                utc("2026-12-01T00:00:00Z")
            ),
            Some(utc("2027-01-04T12:00:00Z"))
        );
    }

    #[test]
    fn what_is_not_evaluated_has_no_next_time() {
        let now = utc("2026-12-01T00:00:00Z");
        assert_eq!(next_fire("cron(0 0 L * ? *)", chrono_tz::UTC, now), None);
        assert_eq!(next_fire("rate(1 day)", chrono_tz::UTC, now), None);
        assert_eq!(
            next_fire("at(2026-12-24T18:00:00)", chrono_tz::UTC, now),
            Some(utc("2026-12-24T18:00:00Z"))
        );
        assert_eq!(
            next_fire("at(2026-01-01T00:00:00)", chrono_tz::UTC, now),
            None
        );
    }
}
