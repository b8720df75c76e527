//! When an EventBridge Scheduler expression fires next, in the schedule's time zone:
//! `cron(min hour day-of-month month day-of-week year)` in Scheduler's dialect (days of the
//! week 1 = SUN … 7 = SAT; `?` in one day field; `L`, `W` and `#`) evaluated by `croner`,
//! `at(…)` once; `rate(…)` has no fixed time.
//!
//! croner reads Quartz's dialect: with seconds and a year required, Quartz weekday numbers
//! and day-of-month AND day-of-week (one of them is `?`, which croner reads as `*`), a
//! Scheduler expression is one Quartz expression at second 0.

use chrono::{DateTime, Datelike, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use croner::parser::{CronParser, Seconds, Year};

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
    // Scheduler's six fields, no more (croner would also take a seconds field).
    if body.split_whitespace().count() != 6 {
        return None;
    }
    let cron = CronParser::builder()
        .seconds(Seconds::Required)
        .year(Year::Required)
        .alternative_weekdays(true)
        .dom_and_dow(true)
        .build()
        .parse(&format!("0 {body}"))
        .ok()?;
    cron.find_next_occurrence(&after.with_timezone(&zone), false)
        .ok()
        .map(|when| when.with_timezone(&Utc))
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
    fn last_nearest_weekday_and_nth_weekday_are_evaluated() {
        let now = utc("2026-11-01T00:00:00Z");
        let next = |expression: &str| next_fire(expression, chrono_tz::UTC, now);
        // The last day of November 2026.
        assert_eq!(next("cron(0 0 L * ? *)"), Some(utc("2026-11-30T00:00:00Z")));
        // 15 November 2026 is a Sunday: the nearest weekday is Monday the 16th.
        assert_eq!(
            next("cron(0 9 15W * ? *)"),
            Some(utc("2026-11-16T09:00:00Z"))
        );
        // The third Friday (6 in Scheduler's numbering) of November 2026.
        assert_eq!(
            next("cron(0 9 ? * 6#3 *)"),
            Some(utc("2026-11-20T09:00:00Z"))
        );
        // The last Friday of November 2026.
        assert_eq!(
            next("cron(0 9 ? * 6L *)"),
            Some(utc("2026-11-27T09:00:00Z"))
        );
        // Only in 2028.
        assert_eq!(
            next("cron(30 6 1 1 ? 2028)"),
            Some(utc("2028-01-01T06:30:00Z"))
        );
    }

    #[test]
    fn what_has_no_fixed_time_or_does_not_parse_has_no_next_time() {
        let now = utc("2026-12-01T00:00:00Z");
        assert_eq!(next_fire("rate(1 day)", chrono_tz::UTC, now), None);
        assert_eq!(next_fire("cron(0 0 * * ?)", chrono_tz::UTC, now), None);
        assert_eq!(next_fire("cron(0 0 0 * * ? *)", chrono_tz::UTC, now), None);
        assert_eq!(next_fire("cron(61 0 * * ? *)", chrono_tz::UTC, now), None);
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
