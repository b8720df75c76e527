//! The window `changed` (data-spec §6) and the per-author digest of `index.json` (§7), on a
//! folder, through the binary: the pictures depend only on their data (the same export a
//! day later gives the same images), so a `changed` run a day later renders nobody and
//! writes nothing; one author who gains a post, or loses one from 2019, is the only one
//! rendered; a new month, a style change or a renderer that is not the published one's
//! renders everyone; a `--days` run that does not render an author keeps the digest its
//! files were drawn from, so a later `changed` run still redraws it.

mod common;

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use author_stats::author_digest::DigestInput;
use author_stats::chart::{Style, RENDERER_VERSION};
use author_stats::month::MonthKey;
use common::{author, post, Site};
use serde_json::Value;

const DAY1: &str = "2025-11-25T00:00:00Z";
const DAY2: &str = "2025-11-26T09:00:00Z";
const NEXT_MONTH: &str = "2025-12-01T00:00:00Z";

fn master() -> String {
    [
        author("a1", "alice", "Alice"),
        author("b1", "bob", "ボブ"),
        author("c1", "carol", "Carol"),
    ]
    .concat()
}

/// Posts over several years, none in the last week.
fn posts() -> String {
    [
        post("a1", "2019-04-02T10:00:00Z"),
        post("a1", "2023-01-15T10:00:00Z"),
        post("a1", "2025-10-01T10:00:00Z"),
        post("b1", "2019-06-30T10:00:00Z"),
        post("b1", "2019-07-01T10:00:00Z"),
        post("b1", "2024-02-29T10:00:00Z"),
        post("c1", "2025-11-02T10:00:00Z"),
    ]
    .concat()
}

/// Name → (bytes, inode, modification time) of every file directly in `dir`.
type Snapshot = BTreeMap<String, (Vec<u8>, u64, i64, i64)>;

fn snapshot(dir: &Path) -> Snapshot {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_file())
        .map(|e| {
            let meta = e.metadata().unwrap();
            (
                e.file_name().into_string().unwrap(),
                (
                    std::fs::read(e.path()).unwrap(),
                    meta.ino(),
                    meta.mtime(),
                    meta.mtime_nsec(),
                ),
            )
        })
        .collect()
}

/// Names whose bytes or file differ between two snapshots (or that only one has).
fn touched(before: &Snapshot, after: &Snapshot) -> Vec<String> {
    let names: std::collections::BTreeSet<&String> = before
        .keys()
        .chain(after.keys())
        .filter(|name| before.get(*name) != after.get(*name))
        .collect();
    names.into_iter().cloned().collect()
}

/// A successful run's `--json` summary.
fn summary(run: &common::Run) -> Value {
    assert!(run.status.success(), "run failed: {}", run.stderr);
    serde_json::from_str(&run.stdout).unwrap()
}

fn changed(site: &Site, posts: &str, now: &str, extra: &[&str]) -> Value {
    let mut args = vec!["--changed", "--now", now, "--json"];
    args.extend_from_slice(extra);
    summary(&site.run(posts, &master(), &args))
}

fn digests(index: &Value) -> BTreeMap<String, Option<String>> {
    index["authors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["slug"].as_str().unwrap().to_owned(),
                a["digest"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

fn rendered(index: &Value) -> Vec<String> {
    index["authors"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["rendered"] == true)
        .map(|a| a["slug"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_day_later_the_same_export_draws_the_same_images() {
    let (one, two) = (Site::new(), Site::new());
    let first = summary(&one.run(&posts(), &master(), &["--all", "--now", DAY1, "--json"]));
    let second = summary(&two.run(&posts(), &master(), &["--all", "--now", DAY2, "--json"]));
    assert_eq!(first["charts_rendered"], 3);
    assert_eq!(second["charts_rendered"], 3);
    let (a, b) = (snapshot(&one.out()), snapshot(&two.out()));
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (name, (bytes, ..)) in &a {
        let other = &b[name].0;
        if name.ends_with(".stats.json") || name == "index.json" {
            // These record the run's instant, and nothing else differs.
            let (mut x, mut y): (Value, Value) = (
                serde_json::from_slice(bytes).unwrap(),
                serde_json::from_slice(other).unwrap(),
            );
            let key = if name == "index.json" { "now" } else { "as_of" };
            assert_eq!((x[key].as_str(), y[key].as_str()), (Some(DAY1), Some(DAY2)));
            x[key] = Value::Null;
            y[key] = Value::Null;
            if name == "index.json" {
                // The stats files' hashes differ with their `as_of`.
                for entry in x["authors"]
                    .as_array_mut()
                    .unwrap()
                    .iter_mut()
                    .chain(y["authors"].as_array_mut().unwrap())
                {
                    entry["files"].as_array_mut().unwrap().pop();
                }
            }
            assert_eq!(x, y, "{name} differs in more than the run's instant");
        } else {
            assert!(bytes == other, "{name} differs a day later");
        }
    }
}

#[test]
fn a_changed_run_a_day_later_renders_nobody_and_writes_nothing() {
    let site = Site::new();
    let first = changed(&site, &posts(), DAY1, &[]);
    assert_eq!(first["charts_rendered"], 3, "a first run draws everyone");
    assert_eq!(first["changed"], true);
    let index = site.index();
    assert!(digests(&index).values().all(Option::is_some), "{index}");
    let before = snapshot(&site.out());

    let second = changed(&site, &posts(), DAY2, &[]);
    assert_eq!(second["charts_rendered"], 0);
    assert_eq!(second["charts_written"], 0);
    assert_eq!(second["charts_removed"], 0);
    assert_eq!(second["index_written"], false);
    assert!(
        second["warnings"].as_array().unwrap().is_empty(),
        "{second}"
    );
    let after = snapshot(&site.out());
    assert!(
        touched(&before, &after).is_empty(),
        "written: {:?}",
        touched(&before, &after)
    );
    // The run's own text says so.
    let text = site.run(&posts(), &master(), &["--changed", "--now", DAY2]);
    assert!(text.status.success(), "{}", text.stderr);
    assert!(
        text.stdout.contains("window changed") && text.stdout.contains("index.json: unchanged"),
        "{}",
        text.stdout
    );
}

#[test]
fn one_author_who_gains_a_post_is_the_only_one_rendered() {
    let site = Site::new();
    changed(&site, &posts(), DAY1, &[]);
    let digests_before = digests(&site.index());
    let before = snapshot(&site.out());

    // An old post of Bob's turns up in the export (no post in the last week).
    let more = format!("{}{}", posts(), post("b1", "2021-03-03T10:00:00Z"));
    let second = changed(&site, &more, DAY2, &[]);
    assert_eq!(second["charts_rendered"], 1);
    let index = site.index();
    assert_eq!(rendered(&index), ["bob"]);
    let digests_after = digests(&index);
    assert_ne!(digests_after["bob"], digests_before["bob"]);
    assert_eq!(digests_after["alice"], digests_before["alice"]);
    assert_eq!(digests_after["carol"], digests_before["carol"]);
    let written = touched(&before, &snapshot(&site.out()));
    assert_eq!(
        written,
        [
            "bob.dark.png",
            "bob.dark.svg",
            "bob.png",
            "bob.stats.json",
            "bob.svg",
            "index.json"
        ]
    );
}

#[test]
fn one_author_who_loses_a_post_from_2019_is_the_only_one_rendered() {
    let site = Site::new();
    changed(&site, &posts(), DAY1, &[]);
    // Bob's July 2019 post goes; his first month (June 2019) stays.
    let fewer: String = posts()
        .lines()
        .filter(|l| !l.contains("2019-07-01"))
        .map(|l| format!("{l}\n"))
        .collect();
    let second = changed(&site, &fewer, DAY2, &[]);
    assert_eq!(second["charts_rendered"], 1);
    let index = site.index();
    assert_eq!(rendered(&index), ["bob"]);
    assert_eq!(common::listed(&index, "bob")["first_month"], "2019-06");
    assert_eq!(common::total(&index, "bob"), 2);
}

#[test]
fn the_first_run_of_a_month_renders_everyone() {
    let site = Site::new();
    changed(&site, &posts(), DAY1, &[]);
    let second = changed(&site, &posts(), NEXT_MONTH, &[]);
    assert_eq!(second["charts_rendered"], 3);
    assert_eq!(rendered(&site.index()), ["alice", "bob", "carol"]);
    // …and the next day of that month nobody.
    let third = changed(&site, &posts(), "2025-12-02T00:00:00Z", &[]);
    assert_eq!(third["charts_rendered"], 0);
}

#[test]
fn a_style_change_renders_everyone() {
    let site = Site::new();
    changed(&site, &posts(), DAY1, &[]);
    let style = site.file("en.toml", "locale = \"en\"\n");
    let second = changed(&site, &posts(), DAY2, &["--style", &style]);
    assert_eq!(second["charts_rendered"], 3);
    let third = changed(&site, &posts(), DAY2, &["--style", &style]);
    assert_eq!(third["charts_rendered"], 0);
}

/// The digest `index.json` records for `slug` (as the job computes it), with `renderer`.
fn digest_with_renderer(entry: &Value, now_month: MonthKey, renderer: u32) -> String {
    let first: MonthKey = entry["first_month"].as_str().unwrap().parse().unwrap();
    let counts: Vec<u32> = first
        .through(now_month)
        .map(|m| entry["monthly"][m.to_string()].as_u64().unwrap_or(0) as u32)
        .collect();
    DigestInput {
        display_name: entry["display_name"].as_str().unwrap(),
        first_month: first,
        counts: &counts,
        style: &Style::builtin().digest(),
        renderer,
    }
    .digest()
}

#[test]
fn charts_of_another_renderer_version_are_all_redrawn() {
    let site = Site::new();
    changed(&site, &posts(), DAY1, &[]);
    let mut index = site.index();
    let november = MonthKey::new(2025, 11);
    for entry in index["authors"].as_array_mut().unwrap() {
        // The job's digest is the one this test computes for this renderer…
        assert_eq!(
            entry["digest"].as_str(),
            Some(digest_with_renderer(entry, november, RENDERER_VERSION).as_str())
        );
        // …and the published index now says the charts came from the previous one.
        entry["digest"] = digest_with_renderer(entry, november, RENDERER_VERSION - 1).into();
    }
    std::fs::write(
        site.out().join("index.json"),
        serde_json::to_vec_pretty(&index).unwrap(),
    )
    .unwrap();
    let second = changed(&site, &posts(), DAY2, &[]);
    assert_eq!(second["charts_rendered"], 3);
    assert_eq!(second["restyled"], false, "the style digest is the same");
}

#[test]
fn a_days_run_keeps_the_digest_of_the_files_it_did_not_redraw() {
    let site = Site::new();
    changed(&site, &posts(), DAY1, &[]);
    let digests_before = digests(&site.index());
    // Bob loses a 2019 post; nobody posted in the week before DAY2, so a `--days 7` run
    // renders nobody and Bob's files stay as they were drawn.
    let fewer: String = posts()
        .lines()
        .filter(|l| !l.contains("2019-06-30"))
        .map(|l| format!("{l}\n"))
        .collect();
    let daily = summary(&site.run(&fewer, &master(), &["--days", "7", "--now", DAY2, "--json"]));
    assert_eq!(daily["charts_rendered"], 0);
    let index = site.index();
    assert_eq!(
        common::total(&index, "bob"),
        2,
        "the listing follows the export"
    );
    assert_eq!(
        digests(&index),
        digests_before,
        "the digests still describe the files as drawn"
    );
    // So the next `changed` run redraws Bob, and only Bob.
    let second = changed(&site, &fewer, DAY2, &[]);
    assert_eq!(second["charts_rendered"], 1);
    assert_eq!(rendered(&site.index()), ["bob"]);
}

#[test]
fn a_new_author_is_rendered_and_one_who_left_is_removed() {
    let site = Site::new();
    changed(&site, &posts(), DAY1, &[]);
    let master = format!("{}{}", master(), author("d1", "dave", "Dave"));
    let posts = format!(
        "{}{}",
        posts()
            .lines()
            .filter(|l| !l.contains("\"c1\""))
            .map(|l| format!("{l}\n"))
            .collect::<String>(),
        post("d1", "2020-01-01T00:00:00Z")
    );
    let run = site.run(&posts, &master, &["--changed", "--now", DAY2, "--json"]);
    let second = summary(&run);
    assert_eq!(second["charts_rendered"], 1);
    assert_eq!(rendered(&site.index()), ["dave"]);
    assert_eq!(second["charts_removed"], 5, "carol's recorded files");
    assert!(!site.out().join("carol.png").exists());
}

#[test]
fn changed_excludes_days_and_all() {
    let site = Site::new();
    for other in [["--days", "7"], ["--all", "--dry-run"]] {
        let mut args = vec!["--changed"];
        args.extend(other);
        let run = site.run(&posts(), &master(), &args);
        assert_eq!(run.status.code(), Some(2), "{other:?}: {}", run.stderr);
        assert!(run.stderr.contains("--changed"), "{}", run.stderr);
    }
}
