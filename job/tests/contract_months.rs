//! data-spec §6: a counted post's month is its calendar month in `--tz` (DST included), and
//! an author is rendered iff a counted post lies in the closed window
//! `[now − days × 86400 s, now]`; future posts never count.

mod common;

use common::*;

/// `monthly` of `alice` for posts at `timestamps`, with extra arguments.
fn alice_monthly(
    timestamps: &[&str],
    extra_args: &[&str],
) -> std::collections::BTreeMap<String, u64> {
    let posts: String = timestamps.iter().map(|ts| post("a1", ts)).collect();
    let run = run_job(posts.as_bytes(), ALICE.as_bytes(), extra_args);
    let index = run.index();
    assert_eq!(total(index, "alice"), timestamps.len() as u64);
    monthly(index, "alice")
}

/// Whether `alice`, with posts at `timestamps`, is rendered; checks the chart file agrees.
fn alice_rendered(timestamps: &[&str], extra_args: &[&str]) -> bool {
    let posts: String = timestamps.iter().map(|ts| post("a1", ts)).collect();
    let run = run_job(posts.as_bytes(), ALICE.as_bytes(), extra_args);
    let rendered = listed(run.index(), "alice")["rendered"].as_bool().unwrap();
    assert_eq!(pngs(&run.out_dir).contains("alice.png"), rendered);
    rendered
}

const SECTION_6_EXAMPLE: [&str; 3] = [
    "2024-01-31T15:00:00Z",
    "2024-02-01T00:00:00+09:00",
    "2024-01-31T14:59:59Z",
];

#[test]
fn months_are_calendar_months_in_tokyo() {
    assert_eq!(
        alice_monthly(&SECTION_6_EXAMPLE, &["--tz", "Asia/Tokyo"]),
        months(&[("2024-01", 1), ("2024-02", 2)])
    );
}

#[test]
fn months_are_calendar_months_in_utc() {
    assert_eq!(
        alice_monthly(&SECTION_6_EXAMPLE, &["--tz", "UTC"]),
        months(&[("2024-01", 3)])
    );
}

#[test]
fn the_time_zone_defaults_to_tokyo() {
    let posts: String = SECTION_6_EXAMPLE.iter().map(|ts| post("a1", ts)).collect();
    let run = run_job(posts.as_bytes(), ALICE.as_bytes(), &[]);
    let index = run.index();
    assert_eq!(index["timezone"], "Asia/Tokyo");
    assert_eq!(
        monthly(index, "alice"),
        months(&[("2024-01", 1), ("2024-02", 2)])
    );
}

#[test]
fn the_written_offset_only_fixes_the_instant() {
    let ts = ["2024-01-31T20:00:00-05:00", "2024-03-01T08:59:59+09:00"];
    assert_eq!(
        alice_monthly(&ts, &["--tz", "UTC"]),
        months(&[("2024-02", 2)])
    );
    assert_eq!(
        alice_monthly(&ts, &["--tz", "America/New_York"]),
        months(&[("2024-01", 1), ("2024-02", 1)])
    );
}

#[test]
fn new_york_months_use_standard_time_in_winter() {
    assert_eq!(
        alice_monthly(
            &["2024-03-01T04:59:59Z", "2024-03-01T05:00:00Z"],
            &["--tz", "America/New_York"]
        ),
        months(&[("2024-02", 1), ("2024-03", 1)])
    );
}

#[test]
fn new_york_months_use_daylight_time_in_summer() {
    assert_eq!(
        alice_monthly(
            &["2024-07-01T03:59:59Z", "2024-07-01T04:00:00Z"],
            &["--tz", "America/New_York"]
        ),
        months(&[("2024-06", 1), ("2024-07", 1)])
    );
}

#[test]
fn a_zone_with_a_45_minute_offset_splits_months_at_its_own_midnight() {
    assert_eq!(
        alice_monthly(
            &["2024-01-31T18:14:59Z", "2024-01-31T18:15:00Z"],
            &["--tz", "Asia/Kathmandu"]
        ),
        months(&[("2024-01", 1), ("2024-02", 1)])
    );
}

#[test]
fn months_cross_year_boundaries_in_the_zone() {
    assert_eq!(
        alice_monthly(&["2023-12-31T15:00:00Z"], &["--tz", "Asia/Tokyo"]),
        months(&[("2024-01", 1)])
    );
}

#[test]
fn an_author_with_a_counted_post_in_the_window_is_rendered() {
    assert!(alice_rendered(&[OLD, RECENT], &[]));
}

#[test]
fn an_author_with_only_older_posts_is_not_rendered() {
    assert!(!alice_rendered(&[OLD, "2025-11-01T00:00:00Z"], &[]));
}

#[test]
fn the_window_length_is_days_times_24_hours() {
    let eight_days_ago = "2025-11-17T00:00:00Z";
    assert!(!alice_rendered(&[eight_days_ago], &["--days", "7"]));
    assert!(alice_rendered(&[eight_days_ago], &["--days", "8"]));
}

#[test]
fn window_days_are_exact_24_hour_periods_not_calendar_days() {
    let now = [
        "--now",
        "2025-11-25T12:00:00Z",
        "--days",
        "1",
        "--tz",
        "UTC",
    ];
    assert!(alice_rendered(&["2025-11-24T12:00:00Z"], &now));
    assert!(!alice_rendered(&["2025-11-24T11:59:59Z"], &now));
}

#[test]
fn window_days_stay_24_hours_across_a_dst_change() {
    let now = [
        "--now",
        "2024-03-10T12:00:00Z",
        "--days",
        "1",
        "--tz",
        "America/New_York",
    ];
    // One calendar day before 08:00 EDT on 10 March is 08:00 EST on 9 March = 13:00Z;
    // 24 hours before is 12:00Z.
    assert!(alice_rendered(&["2024-03-09T12:00:00Z"], &now));
    assert!(!alice_rendered(&["2024-03-09T11:59:59.999Z"], &now));
}

#[test]
fn a_future_post_does_not_make_an_author_rendered() {
    let posts = format!("{}{}", post("a1", OLD), post("a1", "2025-11-25T00:00:01Z"));
    let run = run_job(posts.as_bytes(), ALICE.as_bytes(), &[]);
    let index = run.index();
    assert_eq!(skipped(index, "future_post"), 1);
    assert_eq!(listed(index, "alice")["rendered"], false);
    assert_eq!(monthly(index, "alice"), months(&[("2024-05", 1)]));
    assert!(pngs(&run.out_dir).is_empty());
}

#[test]
fn an_author_with_only_future_posts_is_not_listed() {
    let run = run_job(
        post("a1", "2025-12-01T00:00:00Z").as_bytes(),
        ALICE.as_bytes(),
        &[],
    );
    let index = run.index();
    assert_eq!(slugs(index), Vec::<String>::new());
    assert!(pngs(&run.out_dir).is_empty());
}

#[test]
fn a_future_post_never_adds_to_the_months() {
    let posts = format!(
        "{}{}",
        post("a1", RECENT),
        post("a1", "2026-01-15T00:00:00Z")
    );
    let run = run_job(posts.as_bytes(), ALICE.as_bytes(), &[]);
    assert_eq!(monthly(run.index(), "alice"), months(&[("2025-11", 1)]));
}
