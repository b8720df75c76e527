//! data-spec §7: what a successful run writes — `index.json` with exactly the listed keys and
//! values, one complete PNG of at least 1000×500 per rendered author and no other PNGs,
//! the same bytes for the same input, and nothing in `--out` deleted.

mod common;

use std::collections::BTreeSet;
use std::fmt;

use common::*;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;

fn keys(value: &Value) -> BTreeSet<String> {
    value
        .as_object()
        .expect("not an object")
        .keys()
        .cloned()
        .collect()
}

fn key_set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| s.to_string()).collect()
}

/// `now` as written by a run with `--now <now>`.
fn written_now(now: &str) -> Value {
    let run = run_job(b"", ALICE.as_bytes(), &["--now", now]);
    run.index()["now"].clone()
}

#[test]
fn index_json_has_exactly_the_top_level_keys() {
    let run = run_job(post("a1", OLD).as_bytes(), ALICE.as_bytes(), &[]);
    assert_eq!(
        keys(run.index()),
        key_set(&[
            "timezone",
            "now",
            "active_days",
            "style",
            "authors",
            "skipped"
        ])
    );
}

#[test]
fn an_author_entry_has_exactly_the_listed_keys() {
    // Not rendered (an old post), so no summary; `files` records what was published: none.
    let run = run_job(post("a1", OLD).as_bytes(), ALICE.as_bytes(), &[]);
    assert_eq!(
        keys(listed(run.index(), "alice")),
        key_set(&[
            "id",
            "slug",
            "display_name",
            "total_posts",
            "first_month",
            "last_month",
            "monthly",
            "rendered",
            "files"
        ])
    );
}

#[test]
fn skipped_holds_all_eight_counters_even_when_zero() {
    let run = run_job(post("a1", OLD).as_bytes(), ALICE.as_bytes(), &[]);
    let skipped = &run.index()["skipped"];
    assert_eq!(keys(skipped), key_set(&SKIPPED_KEYS));
    for key in SKIPPED_KEYS {
        assert_eq!(skipped[key], 0, "skipped.{key}");
    }
}

#[test]
fn skipped_is_complete_even_with_empty_inputs() {
    let run = run_job(b"", b"", &[]);
    let index = run.index();
    assert_eq!(keys(&index["skipped"]), key_set(&SKIPPED_KEYS));
    assert_eq!(index["authors"], serde_json::json!([]));
    assert!(pngs(&run.out_dir).is_empty());
}

#[test]
fn timezone_is_the_tz_value_as_given() {
    for tz in ["UTC", "America/New_York", "Asia/Kathmandu"] {
        let run = run_job(b"", ALICE.as_bytes(), &["--tz", tz]);
        assert_eq!(run.index()["timezone"], tz);
    }
}

#[test]
fn active_days_is_the_days_value() {
    let run = run_job(b"", ALICE.as_bytes(), &["--days", "30"]);
    assert_eq!(run.index()["active_days"], 30);
}

#[test]
fn active_days_defaults_to_seven() {
    let run = run_job(b"", ALICE.as_bytes(), &[]);
    assert_eq!(run.index()["active_days"], 7);
}

#[test]
fn now_is_written_in_utc_without_a_zero_fraction() {
    assert_eq!(
        written_now("2025-11-25T09:00:00+09:00"),
        "2025-11-25T00:00:00Z"
    );
    assert_eq!(
        written_now("2025-11-25T00:00:00.000Z"),
        "2025-11-25T00:00:00Z"
    );
    assert_eq!(
        written_now("2025-11-24T19:00:00-05:00"),
        "2025-11-25T00:00:00Z"
    );
    assert_eq!(
        written_now("2025-11-25T00:00:00-00:00"),
        "2025-11-25T00:00:00Z"
    );
}

#[test]
fn now_is_written_with_trailing_fraction_zeros_trimmed() {
    assert_eq!(
        written_now("2025-11-25T09:00:00.500+09:00"),
        "2025-11-25T00:00:00.5Z"
    );
    assert_eq!(
        written_now("2025-11-25T00:00:00.120Z"),
        "2025-11-25T00:00:00.12Z"
    );
    assert_eq!(
        written_now("2025-11-25T00:00:00.000000010Z"),
        "2025-11-25T00:00:00.00000001Z"
    );
    assert_eq!(
        written_now("2025-11-24T23:59:59.123456789-00:30"),
        "2025-11-25T00:29:59.123456789Z"
    );
}

#[test]
fn authors_are_sorted_by_slug_in_byte_order() {
    let slugs_in_master = ["b", "a_b", "a0", "a-b", "a", "ab"];
    let master: String = slugs_in_master
        .iter()
        .enumerate()
        .map(|(i, slug)| author(&format!("id{i}"), slug, &format!("Z{i}")))
        .collect();
    let posts: String = (0..slugs_in_master.len())
        .map(|i| post(&format!("id{i}"), OLD))
        .collect();
    let run = run_job(posts.as_bytes(), master.as_bytes(), &[]);
    assert_eq!(slugs(run.index()), ["a", "a-b", "a0", "a_b", "ab", "b"]);
}

#[test]
fn an_author_entry_carries_id_slug_and_display_name() {
    let master = author("Xq9zK", "suzuki-ryo", "鈴木 亮");
    let run = run_job(post("Xq9zK", OLD).as_bytes(), master.as_bytes(), &[]);
    let entry = listed(run.index(), "suzuki-ryo");
    assert_eq!(entry["id"], "Xq9zK");
    assert_eq!(entry["display_name"], "鈴木 亮");
}

#[test]
fn monthly_holds_only_months_with_posts() {
    let posts = [
        post("a1", "2023-12-10T00:00:00Z"),
        post("a1", "2024-02-10T00:00:00Z"),
        post("a1", "2024-02-11T00:00:00Z"),
        post("a1", "2025-06-01T00:00:00Z"),
    ]
    .concat();
    let run = run_job(posts.as_bytes(), ALICE.as_bytes(), &["--tz", "UTC"]);
    assert_eq!(
        monthly(run.index(), "alice"),
        months(&[("2023-12", 1), ("2024-02", 2), ("2025-06", 1)])
    );
}

/// Keys of a JSON object in the order they appear in the text.
struct KeysInOrder(Vec<String>);

impl<'de> Deserialize<'de> for KeysInOrder {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeysVisitor;
        impl<'de> Visitor<'de> for KeysVisitor {
            type Value = KeysInOrder;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<KeysInOrder, A::Error> {
                let mut keys = Vec::new();
                while let Some((key, _)) = map.next_entry::<String, serde::de::IgnoredAny>()? {
                    keys.push(key);
                }
                Ok(KeysInOrder(keys))
            }
        }
        deserializer.deserialize_map(KeysVisitor)
    }
}

#[derive(Deserialize)]
struct IndexMonthOrder {
    authors: Vec<AuthorMonthOrder>,
}

#[derive(Deserialize)]
struct AuthorMonthOrder {
    monthly: KeysInOrder,
}

#[test]
fn monthly_is_written_in_ascending_month_order() {
    let posts = [
        post("a1", "2025-06-01T00:00:00Z"),
        post("a1", "2023-12-10T00:00:00Z"),
        post("a1", "2024-11-10T00:00:00Z"),
        post("a1", "2024-02-11T00:00:00Z"),
    ]
    .concat();
    let run = run_job(posts.as_bytes(), ALICE.as_bytes(), &["--tz", "UTC"]);
    run.index();
    let text = std::fs::read(run.out_dir.join("index.json")).unwrap();
    let order: IndexMonthOrder = serde_json::from_slice(&text).unwrap();
    assert_eq!(
        order.authors[0].monthly.0,
        ["2023-12", "2024-02", "2024-11", "2025-06"]
    );
}

#[test]
fn total_posts_is_the_sum_of_monthly() {
    let posts = [
        post("a1", "2023-12-10T00:00:00Z"),
        post("a1", "2024-02-10T00:00:00Z"),
        post("a1", "2024-02-11T00:00:00Z"),
    ]
    .concat();
    let run = run_job(posts.as_bytes(), ALICE.as_bytes(), &["--tz", "UTC"]);
    assert_eq!(listed(run.index(), "alice")["total_posts"], 3);
}

#[test]
fn first_and_last_month_are_the_smallest_and_largest_monthly_keys() {
    let posts = [
        post("a1", "2024-02-10T00:00:00Z"),
        post("a1", "2019-04-01T00:00:00Z"),
        post("a1", "2023-12-10T00:00:00Z"),
    ]
    .concat();
    let run = run_job(posts.as_bytes(), ALICE.as_bytes(), &["--tz", "UTC"]);
    let entry = listed(run.index(), "alice");
    assert_eq!(entry["first_month"], "2019-04");
    assert_eq!(entry["last_month"], "2024-02");
}

#[test]
fn last_month_can_be_earlier_than_the_month_of_now() {
    let run = run_job(post("a1", OLD).as_bytes(), ALICE.as_bytes(), &[]);
    let entry = listed(run.index(), "alice");
    assert_eq!(entry["first_month"], "2024-05");
    assert_eq!(entry["last_month"], "2024-05");
}

#[test]
fn usable_authors_without_counted_posts_are_not_listed() {
    let master = format!(
        "{ALICE}{}{}",
        author("b2", "bob", "Bob"),
        author("c3", "carol", "Carol")
    );
    let posts = format!(
        "{}{}{}",
        post("a1", OLD),
        post("b2", "2024-02-30T00:00:00Z"),
        post("c3", "2025-12-01T00:00:00Z")
    );
    let run = run_job(posts.as_bytes(), master.as_bytes(), &[]);
    assert_eq!(slugs(run.index()), ["alice"]);
}

#[test]
fn unrendered_authors_are_listed_with_rendered_false_and_no_chart() {
    let master = format!("{ALICE}{}", author("b2", "bob", "Bob"));
    let posts = format!("{}{}", post("a1", RECENT), post("b2", OLD));
    let run = run_job(posts.as_bytes(), master.as_bytes(), &[]);
    let index = run.index();
    assert_eq!(listed(index, "alice")["rendered"], true);
    assert_eq!(listed(index, "bob")["rendered"], false);
    assert_eq!(pngs(&run.out_dir), key_set(&["alice.png"]));
}

#[test]
fn there_is_exactly_one_png_per_rendered_author_and_no_other() {
    let master = format!(
        "{ALICE}{}{}{BAD_SLUG_AUTHOR}",
        author("b2", "bob", "Bob"),
        author("c3", "carol", "Carol")
    );
    let posts = [
        post("a1", RECENT),
        post("a1", RECENT),
        post("b2", "2025-11-20T00:00:00+09:00"),
        post("c3", OLD),
        post("bad", RECENT),
        post("zz", RECENT),
    ]
    .concat();
    let run = run_job(posts.as_bytes(), master.as_bytes(), &[]);
    run.index();
    assert_eq!(pngs(&run.out_dir), key_set(&["alice.png", "bob.png"]));
    assert_eq!(
        files(&run.out_dir),
        key_set(&[
            "alice.png",
            "alice.dark.png",
            "alice.dark.svg",
            "alice.stats.json",
            "alice.svg",
            "bob.png",
            "bob.dark.png",
            "bob.dark.svg",
            "bob.stats.json",
            "bob.svg",
            "index.json"
        ])
    );
}

#[test]
fn a_chart_is_a_complete_png_of_at_least_1000_by_500() {
    let posts = [post("a1", "2019-04-01T00:00:00Z"), post("a1", RECENT)].concat();
    let run = run_job(posts.as_bytes(), ALICE.as_bytes(), &[]);
    run.index();
    let bytes = std::fs::read(run.out_dir.join("alice.png")).unwrap();
    let (width, height) = png_size(&bytes);
    assert!(width >= 1000 && height >= 500, "chart is {width}×{height}");
}

#[test]
fn a_chart_with_a_japanese_and_very_long_title_is_a_complete_png() {
    let name: String = "とても長い表示名".chars().cycle().take(200).collect();
    let master = author("a1", "alice", &name);
    let run = run_job(post("a1", RECENT).as_bytes(), master.as_bytes(), &[]);
    run.index();
    let bytes = std::fs::read(run.out_dir.join("alice.png")).unwrap();
    let (width, height) = png_size(&bytes);
    assert!(width >= 1000 && height >= 500, "chart is {width}×{height}");
}

#[test]
fn the_same_input_gives_the_same_chart_bytes() {
    let posts = [post("a1", "2023-03-01T00:00:00Z"), post("a1", RECENT)].concat();
    let first = run_job(posts.as_bytes(), ALICE.as_bytes(), &[]);
    let second = run_job(posts.as_bytes(), ALICE.as_bytes(), &[]);
    first.index();
    second.index();
    let a = std::fs::read(first.out_dir.join("alice.png")).unwrap();
    let b = std::fs::read(second.out_dir.join("alice.png")).unwrap();
    assert!(
        a == b,
        "two runs over the same input wrote different chart bytes"
    );
}

#[test]
fn index_json_is_utf8_json() {
    let master = author("a1", "alice", "鈴木 \u{1F600}");
    let run = run_job(post("a1", OLD).as_bytes(), master.as_bytes(), &[]);
    run.index();
    let bytes = std::fs::read(run.out_dir.join("index.json")).unwrap();
    let text = String::from_utf8(bytes).expect("index.json is not UTF-8");
    let value: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(listed(&value, "alice")["display_name"], "鈴木 \u{1F600}");
}

#[test]
fn the_output_folder_is_created_if_missing() {
    let tmp = tempfile::tempdir().unwrap();
    let posts = tmp.path().join("p.jsonl.gz");
    let authors = tmp.path().join("a.jsonl.gz");
    std::fs::write(&posts, gz(post("a1", RECENT).as_bytes())).unwrap();
    std::fs::write(&authors, gz(ALICE.as_bytes())).unwrap();
    let out = tmp.path().join("not").join("yet").join("there");
    let run = run_paths(tmp, &posts, &authors, &out, &[]);
    run.index();
    assert_eq!(
        files(&out),
        key_set(&[
            "alice.png",
            "alice.dark.png",
            "alice.dark.svg",
            "alice.stats.json",
            "alice.svg",
            "index.json"
        ])
    );
}

#[test]
fn the_job_deletes_nothing_in_the_output_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let posts = tmp.path().join("p.jsonl.gz");
    let authors = tmp.path().join("a.jsonl.gz");
    std::fs::write(&posts, gz(post("a1", RECENT).as_bytes())).unwrap();
    std::fs::write(&authors, gz(ALICE.as_bytes())).unwrap();
    let out = tmp.path().join("out");
    std::fs::create_dir_all(out.join("sub")).unwrap();
    std::fs::write(out.join("keep.txt"), b"unrelated").unwrap();
    std::fs::write(out.join("sub").join("nested.txt"), b"nested").unwrap();
    let run = run_paths(tmp, &posts, &authors, &out, &[]);
    run.index();
    assert_eq!(std::fs::read(out.join("keep.txt")).unwrap(), b"unrelated");
    assert_eq!(
        std::fs::read(out.join("sub").join("nested.txt")).unwrap(),
        b"nested"
    );
    assert_eq!(
        files(&out),
        key_set(&[
            "alice.png",
            "alice.dark.png",
            "alice.dark.svg",
            "alice.stats.json",
            "alice.svg",
            "index.json",
            "keep.txt",
            "sub"
        ])
    );
}

#[test]
fn a_window_without_authors_names_the_newest_counted_post_and_the_fix() {
    // The post is a year before `now`: listed, but nobody is drawn in the 7-day window.
    let run = run_job(
        post("a1", "2024-11-20T10:00:00Z").as_bytes(),
        author("a1", "alice", "Alice").as_bytes(),
        &[],
    );
    assert!(run.status.success(), "{}", run.stderr);
    assert!(
        run.stdout
            .contains("newest counted post is from 2024-11-20T10:00:00Z"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("--now") && run.stdout.contains("--days"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_window_with_authors_gives_no_such_hint() {
    let run = run_job(
        post("a1", "2025-11-24T10:00:00Z").as_bytes(),
        author("a1", "alice", "Alice").as_bytes(),
        &[],
    );
    assert!(run.status.success(), "{}", run.stderr);
    assert!(
        !run.stdout.contains("newest counted post"),
        "{}",
        run.stdout
    );
}
