//! data-spec §5: every non-blank post line has exactly one outcome, the first rule that
//! applies — malformed, missing author id, draft, bad timestamp, future, unknown author,
//! invalid slug, else counted — and the counters add up to the number of post lines.

mod common;

use common::*;

/// A post line built from raw JSON member texts (`None` leaves the key out).
fn post_with(author_id: Option<&str>, published: Option<&str>) -> String {
    let mut members = vec!["\"id\":\"p1\"".to_string()];
    if let Some(a) = author_id {
        members.push(format!("\"author_id\":{a}"));
    }
    if let Some(p) = published {
        members.push(format!("\"first_published_at\":{p}"));
    }
    format!("{{{}}}\n", members.join(","))
}

const GOOD_TS: &str = "\"2024-05-10T12:00:00Z\"";
const BAD_TS: &str = "\"2024-02-30T10:00:00Z\"";
const FUTURE_TS: &str = "\"2025-12-01T00:00:00Z\"";

#[test]
fn a_post_by_a_usable_author_is_counted() {
    assert_eq!(
        outcome_of(&post_with(Some("\"a1\""), Some(GOOD_TS))),
        "counted"
    );
}

#[test]
fn a_post_without_a_usable_author_id_is_missing_author_id() {
    for author_id in [
        None,
        Some("null"),
        Some("\"\""),
        Some("7"),
        Some("true"),
        Some("[\"a1\"]"),
        Some("{\"id\":\"a1\"}"),
    ] {
        assert_eq!(
            outcome_of(&post_with(author_id, Some(GOOD_TS))),
            "missing_author_id",
            "author_id {author_id:?}"
        );
    }
}

#[test]
fn a_post_without_a_publication_time_is_missing_published_at() {
    for published in [None, Some("null")] {
        assert_eq!(
            outcome_of(&post_with(Some("\"a1\""), published)),
            "missing_published_at",
            "first_published_at {published:?}"
        );
    }
}

#[test]
fn a_post_with_an_invalid_timestamp_is_bad_timestamp() {
    assert_eq!(
        outcome_of(&post_with(Some("\"a1\""), Some(BAD_TS))),
        "bad_timestamp"
    );
}

#[test]
fn a_post_after_now_is_future_post() {
    assert_eq!(
        outcome_of(&post_with(Some("\"a1\""), Some(FUTURE_TS))),
        "future_post"
    );
}

#[test]
fn a_post_by_an_id_not_in_the_master_is_unknown_author() {
    assert_eq!(
        outcome_of(&post_with(Some("\"zz\""), Some(GOOD_TS))),
        "unknown_author"
    );
}

#[test]
fn a_post_by_an_author_with_an_invalid_slug_is_invalid_slug() {
    assert_eq!(
        outcome_of(&post_with(Some("\"bad\""), Some(GOOD_TS))),
        "invalid_slug"
    );
}

#[test]
fn a_post_by_an_author_with_a_duplicated_slug_is_invalid_slug() {
    let master = format!("{}{}", author("s1", "same", "A"), author("s2", "same", "B"));
    assert_eq!(
        outcome_with(&post_with(Some("\"s1\""), Some(GOOD_TS)), &master, &[]),
        "invalid_slug"
    );
}

#[test]
fn an_id_seen_only_on_a_malformed_master_line_is_unknown() {
    let master =
        format!("{ALICE}{{\"id\":\"b2\",\"slug\":\"bob\",\"display_name\":\"\\ud800\"}}\n");
    let run = run_job(post("b2", OLD).as_bytes(), master.as_bytes(), &[]);
    let index = run.index();
    assert_eq!(skipped(index, "malformed_lines"), 1);
    assert_eq!(skipped(index, "unknown_author"), 1);
    assert_eq!(skipped(index, "invalid_slug"), 0);
}

#[test]
fn a_numeric_master_id_does_not_match_a_string_author_id() {
    let master = format!("{ALICE}{{\"id\":7,\"slug\":\"seven\"}}\n");
    let run = run_job(post("7", OLD).as_bytes(), master.as_bytes(), &[]);
    let index = run.index();
    assert_eq!(skipped(index, "malformed_lines"), 1);
    assert_eq!(skipped(index, "unknown_author"), 1);
}

#[test]
fn malformed_wins_over_every_other_problem() {
    let line = "{\"author_id\":\"\\ud800\",\"first_published_at\":\"2024-02-30T10:00:00Z\"}\n";
    assert_eq!(outcome_of(line), "malformed_lines");
}

#[test]
fn missing_author_id_wins_over_a_missing_publication_time() {
    assert_eq!(outcome_of(&post_with(None, None)), "missing_author_id");
    assert_eq!(
        outcome_of(&post_with(Some("\"\""), Some("null"))),
        "missing_author_id"
    );
}

#[test]
fn missing_author_id_wins_over_a_bad_timestamp() {
    assert_eq!(
        outcome_of(&post_with(Some("null"), Some(BAD_TS))),
        "missing_author_id"
    );
}

#[test]
fn missing_author_id_wins_over_a_future_post() {
    assert_eq!(
        outcome_of(&post_with(Some("\"\""), Some(FUTURE_TS))),
        "missing_author_id"
    );
}

#[test]
fn missing_published_at_wins_over_an_unknown_author() {
    assert_eq!(
        outcome_of(&post_with(Some("\"zz\""), None)),
        "missing_published_at"
    );
}

#[test]
fn missing_published_at_wins_over_an_invalid_slug() {
    assert_eq!(
        outcome_of(&post_with(Some("\"bad\""), Some("null"))),
        "missing_published_at"
    );
}

#[test]
fn bad_timestamp_wins_over_an_unknown_author() {
    assert_eq!(
        outcome_of(&post_with(Some("\"zz\""), Some(BAD_TS))),
        "bad_timestamp"
    );
}

#[test]
fn bad_timestamp_wins_over_an_invalid_slug() {
    assert_eq!(
        outcome_of(&post_with(Some("\"bad\""), Some(BAD_TS))),
        "bad_timestamp"
    );
}

#[test]
fn a_pre_1970_timestamp_of_an_unknown_author_is_bad_timestamp() {
    let ts = "\"1969-12-31T23:59:59Z\"";
    assert_eq!(
        outcome_of(&post_with(Some("\"zz\""), Some(ts))),
        "bad_timestamp"
    );
}

#[test]
fn future_post_wins_over_an_unknown_author() {
    assert_eq!(
        outcome_of(&post_with(Some("\"zz\""), Some(FUTURE_TS))),
        "future_post"
    );
}

#[test]
fn future_post_wins_over_an_invalid_slug() {
    assert_eq!(
        outcome_of(&post_with(Some("\"bad\""), Some(FUTURE_TS))),
        "future_post"
    );
}

#[test]
fn unknown_author_applies_only_when_no_master_record_has_the_id() {
    let master = format!("{ALICE}{BAD_SLUG_AUTHOR}");
    let posts = format!("{}{}", post("bad", OLD), post("nobody", OLD));
    let run = run_job(posts.as_bytes(), master.as_bytes(), &[]);
    let index = run.index();
    assert_eq!(skipped(index, "invalid_slug"), 1);
    assert_eq!(skipped(index, "unknown_author"), 1);
}

#[test]
fn every_post_line_lands_in_exactly_one_counter() {
    let master = [
        ALICE.to_string(),
        author("b2", "bob", "Bob"),
        BAD_SLUG_AUTHOR.to_string(),
        author("s1", "same", "S1"),
        author("s2", "same", "S2"),
        "{\"id\":\"\",\"slug\":\"empty\"}\n".to_string(),
    ]
    .concat();
    let posts = [
        post("a1", OLD),
        post("a1", RECENT),
        post("a1", "2025-11-25T00:00:00Z"),
        post("b2", "2023-01-01T00:00:00Z"),
        "[1,2]\n".to_string(),
        "{\"author_id\":\"a1\",\"first_published_at\":NaN}\n".to_string(),
        "\n".to_string(),
        " \t\r\n".to_string(),
        post_with(None, Some(GOOD_TS)),
        post_with(Some("42"), Some(FUTURE_TS)),
        post_with(Some("\"a1\""), None),
        post_with(Some("\"zz\""), Some("null")),
        post("a1", "2024-01-31T20:00:00"),
        post("zz", "2024-13-01T00:00:00Z"),
        post_with(Some("\"a1\""), Some("1706731200")),
        post("a1", "2025-11-26T00:00:00Z"),
        post("bad", "2030-01-01T00:00:00Z"),
        post("zz", OLD),
        post("", OLD),
        post("bad", OLD),
        post("s2", RECENT),
        post("s1", OLD),
    ]
    .concat();
    let non_blank_lines = posts.lines().filter(|l| !l.trim().is_empty()).count() as u64;

    let run = run_job(posts.as_bytes(), master.as_bytes(), &[]);
    let index = run.index();
    let expected = [
        ("malformed_lines", 3),
        ("missing_author_id", 3),
        ("missing_published_at", 2),
        ("bad_timestamp", 3),
        ("future_post", 2),
        ("unknown_author", 1),
        ("invalid_slug", 3),
        ("duplicate_slug", 2),
    ];
    for (key, n) in expected {
        assert_eq!(skipped(index, key), n, "skipped.{key}");
    }
    assert_eq!(total(index, "alice"), 3);
    assert_eq!(total(index, "bob"), 1);

    let malformed_post_lines = 2;
    let accounted: u64 = total(index, "alice")
        + total(index, "bob")
        + malformed_post_lines
        + [
            "missing_author_id",
            "missing_published_at",
            "bad_timestamp",
            "future_post",
            "unknown_author",
            "invalid_slug",
        ]
        .iter()
        .map(|key| skipped(index, key))
        .sum::<u64>();
    assert_eq!(non_blank_lines, 20);
    assert_eq!(accounted, non_blank_lines);
}
