//! data-spec §4: the timestamp grammar of `first_published_at` — which strings are valid,
//! which are bad timestamps, and that instants are exact to the nanosecond (checked at the
//! edges of the active window and of `--now`). `--now`'s own grammar is in contract_fatal.

mod common;

use common::*;

/// Outcome of one post by `alice` whose `first_published_at` is the JSON text `ts_json`.
fn outcome_of_timestamp_json(ts_json: &str) -> &'static str {
    outcome_of(&format!(
        "{{\"author_id\":\"a1\",\"first_published_at\":{ts_json}}}\n"
    ))
}

/// Whether `alice`, with one post at `ts`, is listed as rendered (default window: the
/// 7 days up to `NOW`).
fn rendered_with_post_at(ts: &str) -> bool {
    let run = run_job(post("a1", ts).as_bytes(), ALICE.as_bytes(), &[]);
    let index = run.index();
    assert_eq!(total(index, "alice"), 1, "post at {ts} not counted");
    listed(index, "alice")["rendered"].as_bool().unwrap()
}

#[test]
fn the_valid_examples_are_counted() {
    for ts in [
        "2024-01-31T20:00:00.000Z",
        "2024-02-01T05:00:00+09:00",
        "2024-02-01T00:00:00.5Z",
        "2024-02-01T00:00:00.123456789Z",
        "2024-02-01T00:00:00.000000000Z",
        "2024-01-31T20:00:00-05:00",
        "2024-01-31T20:00:00+05:45",
        "2024-01-31T20:00:00+00:00",
        "2024-01-31T20:00:00-00:00",
        "2024-01-31T20:00:00+23:59",
        "2024-01-31T20:00:00-23:59",
        "2024-12-31T23:59:59Z",
    ] {
        assert_eq!(outcome_of(&post("a1", ts)), "counted", "timestamp {ts}");
    }
}

#[test]
fn leap_days_exist_in_leap_years() {
    for ts in ["2024-02-29T12:00:00Z", "2000-02-29T12:00:00Z"] {
        assert_eq!(outcome_of(&post("a1", ts)), "counted", "timestamp {ts}");
    }
}

#[test]
fn leap_days_do_not_exist_in_other_years() {
    for ts in [
        "2023-02-29T12:00:00Z",
        "1900-02-29T12:00:00Z",
        "2100-02-29T12:00:00Z",
    ] {
        assert_eq!(
            outcome_of(&post("a1", ts)),
            "bad_timestamp",
            "timestamp {ts}"
        );
    }
}

#[test]
fn the_unix_epoch_is_the_earliest_valid_instant() {
    for ts in [
        "1970-01-01T00:00:00Z",
        "1970-01-01T09:00:00+09:00",
        "1969-12-31T19:00:00-05:00",
    ] {
        assert_eq!(outcome_of(&post("a1", ts)), "counted", "timestamp {ts}");
    }
}

#[test]
fn an_instant_before_1970_is_a_bad_timestamp() {
    for ts in [
        "1969-12-31T23:59:59Z",
        "1969-12-31T23:59:59.999999999Z",
        "1970-01-01T08:59:59+09:00",
        "1970-01-01T00:00:00+00:01",
        "1900-01-01T00:00:00Z",
        "0001-01-01T00:00:00Z",
    ] {
        assert_eq!(
            outcome_of(&post("a1", ts)),
            "bad_timestamp",
            "timestamp {ts}"
        );
    }
}

#[test]
fn the_invalid_examples_are_bad_timestamps() {
    let ten_digits = "2024-01-31T20:00:00.1234567890Z";
    for ts in [
        "2024-13-01T00:00:00Z",
        "2024-02-30T10:00:00Z",
        "2024-01-31 20:00:00",
        "2024-01-31T20:00:00",
        "2024-01-31T20:00:00+0900",
        "2024-01-31t20:00:00z",
        "2024-01-31T20:00Z",
        "2024-01-31T20:00:00.Z",
        ten_digits,
        "2024-01-31T24:00:00Z",
        "2024-01-31T23:59:60Z",
        "２０２４-01-31T20:00:00Z",
        " 2024-01-31T20:00:00Z",
        "",
    ] {
        assert_eq!(
            outcome_of(&post("a1", ts)),
            "bad_timestamp",
            "timestamp {ts:?}"
        );
    }
}

#[test]
fn out_of_range_fields_are_bad_timestamps() {
    for ts in [
        "2024-00-10T00:00:00Z",
        "2024-01-00T00:00:00Z",
        "2024-01-32T00:00:00Z",
        "2024-04-31T00:00:00Z",
        "2024-01-31T25:00:00Z",
        "2024-01-31T20:60:00Z",
        "2024-01-31T20:00:61Z",
        "2024-01-31T20:00:00+24:00",
        "2024-01-31T20:00:00-24:00",
        "2024-01-31T20:00:00+09:60",
    ] {
        assert_eq!(
            outcome_of(&post("a1", ts)),
            "bad_timestamp",
            "timestamp {ts}"
        );
    }
}

#[test]
fn anything_but_the_exact_layout_is_a_bad_timestamp() {
    for ts in [
        "2024-01-31t20:00:00Z",
        "2024-01-31T20:00:00z",
        "2024-1-31T20:00:00Z",
        "2024-01-1T20:00:00Z",
        "2024-01-31T2:00:00Z",
        "12024-01-31T20:00:00Z",
        "+2024-01-31T20:00:00Z",
        "2024-01-31T20:00:00+09",
        "2024-01-31T20:00:00+9:00",
        "2024-01-31T20:00:00 Z",
        "2024-01-31T20:00:00Z ",
        "2024-01-31T20:00:00,5Z",
        "2024-01-31T20:00:00ZZ",
        "2024-01-31T20:00:00Z+09:00",
        "2024-01-31T20:00:00UTC",
        "2024/01/31T20:00:00Z",
        "20240131T200000Z",
        "2024-01-31",
        "2024-01-31T20:00:00.+09:00",
        "2024-01-31T20:00:00.５Z",
        "2024-01-31T20:00:00.\u{0661}Z",
        "2024-01-31T20:00:00Z\\n",
        "1706731200",
    ] {
        assert_eq!(
            outcome_of(&post("a1", ts)),
            "bad_timestamp",
            "timestamp {ts:?}"
        );
    }
}

#[test]
fn a_timestamp_that_is_not_a_string_is_a_bad_timestamp() {
    for json in [
        "1706731200",
        "1706731200.5",
        "true",
        "false",
        "{}",
        "[]",
        "[\"2024-05-10T12:00:00Z\"]",
        "{\"t\":\"2024-05-10T12:00:00Z\"}",
    ] {
        assert_eq!(
            outcome_of_timestamp_json(json),
            "bad_timestamp",
            "first_published_at {json}"
        );
    }
}

#[test]
fn an_escaped_timestamp_is_decoded_before_parsing() {
    assert_eq!(
        outcome_of_timestamp_json("\"2024-05-10\\u005412:00:00\\u005a\""),
        "counted"
    );
}

#[test]
fn minus_zero_offset_means_utc() {
    let run = run_job(
        post("a1", "2025-11-25T00:00:00-00:00").as_bytes(),
        ALICE.as_bytes(),
        &["--tz", "UTC"],
    );
    let index = run.index();
    assert_eq!(skipped(index, "future_post"), 0);
    assert_eq!(monthly(index, "alice"), months(&[("2025-11", 1)]));
}

#[test]
fn a_post_one_nanosecond_before_the_window_is_not_active() {
    assert!(!rendered_with_post_at("2025-11-17T23:59:59.999999999Z"));
}

#[test]
fn a_post_exactly_at_the_window_start_is_active() {
    assert!(rendered_with_post_at("2025-11-18T00:00:00Z"));
}

#[test]
fn a_post_exactly_at_now_is_counted_and_active() {
    assert!(rendered_with_post_at("2025-11-25T09:00:00.000000000+09:00"));
}

#[test]
fn a_post_one_nanosecond_after_now_is_a_future_post() {
    assert_eq!(
        outcome_of(&post("a1", "2025-11-25T00:00:00.000000001Z")),
        "future_post"
    );
    assert_eq!(
        outcome_of(&post("a1", "2025-11-24T19:00:00.000000001-05:00")),
        "future_post"
    );
}

#[test]
fn a_fractional_now_is_exact_to_the_nanosecond() {
    let now = ["--now", "2025-11-25T00:00:00.123456789Z"];
    let master = ALICE;
    assert_eq!(
        outcome_with(&post("a1", "2025-11-25T00:00:00.123456789Z"), master, &now),
        "counted"
    );
    assert_eq!(
        outcome_with(&post("a1", "2025-11-25T00:00:00.12345679Z"), master, &now),
        "future_post"
    );
}

#[test]
fn the_window_start_follows_a_fractional_now_to_the_nanosecond() {
    let now = ["--now", "2025-11-25T00:00:00.5Z", "--days", "1"];
    let at_start = run_job(
        post("a1", "2025-11-24T00:00:00.500Z").as_bytes(),
        ALICE.as_bytes(),
        &now,
    );
    assert_eq!(listed(at_start.index(), "alice")["rendered"], true);
    let before_start = run_job(
        post("a1", "2025-11-24T00:00:00.499999999Z").as_bytes(),
        ALICE.as_bytes(),
        &now,
    );
    assert_eq!(listed(before_start.index(), "alice")["rendered"], false);
}
