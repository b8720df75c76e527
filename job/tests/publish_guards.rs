//! data-spec §1, publish guards: after both inputs are read and before anything is written,
//! a run is refused (exit 1, one `error:` line naming the numbers and the override, nothing
//! written) when it would list no author, when its listing is more than `--max-shrink`
//! percent (10 by default) shorter than the published one, or when the published
//! `index.json` has a later `now`. Each is accepted with its own override.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::*;
use serde_json::Value;

/// `n` usable authors `a0`…, slugs `author-0`…
fn master(n: usize) -> String {
    (0..n)
        .map(|i| {
            author(
                &format!("a{i}"),
                &format!("author-{i}"),
                &format!("Author {i}"),
            )
        })
        .collect()
}

/// One recent post for each of `n` authors.
fn posts(n: usize) -> String {
    (0..n).map(|i| post(&format!("a{i}"), RECENT)).collect()
}

fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    files(dir)
        .into_iter()
        .map(|name| {
            let bytes = std::fs::read(dir.join(&name)).unwrap();
            (name, bytes)
        })
        .collect()
}

/// The one `error:` line of a refused run.
fn refusal(run: &Run) -> String {
    assert_eq!(run.status.code(), Some(1), "stderr:\n{}", run.stderr);
    let errors: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("error:"))
        .collect();
    assert_eq!(errors.len(), 1, "one error line: {}", run.stderr);
    assert!(
        errors[0].contains("nothing was written"),
        "says nothing was written: {}",
        errors[0]
    );
    errors[0].to_owned()
}

fn summary(run: &Run) -> Value {
    assert!(run.status.success(), "stderr:\n{}", run.stderr);
    serde_json::from_str(run.stdout.trim()).unwrap()
}

#[test]
fn an_empty_posts_file_is_refused_and_nothing_is_written() {
    let site = Site::new();
    let error = refusal(&site.run("", &master(3), &[]));
    assert!(error.contains("0 authors"), "{error}");
    assert!(error.contains("--allow-empty"), "{error}");
    assert!(files(&site.out()).is_empty(), "no folder, no file");
}

#[test]
fn an_empty_posts_file_is_published_with_allow_empty() {
    let site = Site::new();
    let run = site.run("", &master(3), &["--allow-empty"]);
    assert_eq!(run.index()["authors"], Value::Array(vec![]));
}

#[test]
fn an_empty_master_is_refused_and_nothing_is_written() {
    let site = Site::new();
    let error = refusal(&site.run(&posts(3), "", &[]));
    assert!(error.contains("unknown_author"), "{error}");
    assert!(files(&site.out()).is_empty());
}

#[test]
fn an_empty_master_is_published_with_allow_empty() {
    let site = Site::new();
    let run = site.run(&posts(3), "", &["--allow-empty"]);
    assert_eq!(skipped(run.index(), "unknown_author"), 3);
}

#[test]
fn a_50_percent_drop_is_refused_and_leaves_the_output_as_it_was() {
    let site = Site::new();
    site.run(&posts(10), &master(10), &[]).index();
    let before = site_snapshot(&site);
    let error = refusal(&site.run(&posts(10), &master(5), &[]));
    assert!(error.contains("from 10 to 5 authors"), "{error}");
    assert!(error.contains("--max-shrink 10 %"), "{error}");
    assert!(error.contains("--allow-shrink"), "{error}");
    assert_eq!(
        site_snapshot(&site),
        before,
        "nothing written, nothing removed"
    );
}

#[test]
fn a_50_percent_drop_is_published_once_with_allow_shrink() {
    let site = Site::new();
    site.run(&posts(10), &master(10), &[]).index();
    let run = site.run(&posts(10), &master(5), &["--allow-shrink"]);
    assert_eq!(slugs(run.index()).len(), 5);
    // The next run compares with the new, shorter listing: no override needed.
    let again = site.run(&posts(10), &master(5), &[]);
    assert_eq!(slugs(again.index()).len(), 5);
}

#[test]
fn a_drop_of_exactly_the_threshold_passes() {
    let site = Site::new();
    site.run(&posts(10), &master(10), &[]).index();
    let run = site.run(&posts(10), &master(9), &[]);
    assert_eq!(slugs(run.index()).len(), 9);
}

#[test]
fn max_shrink_sets_the_threshold() {
    let site = Site::new();
    site.run(&posts(10), &master(10), &[]).index();
    let refused = refusal(&site.run(&posts(10), &master(5), &["--max-shrink", "49"]));
    assert!(refused.contains("--max-shrink 49 %"), "{refused}");
    let run = site.run(&posts(10), &master(5), &["--max-shrink", "50"]);
    assert_eq!(slugs(run.index()).len(), 5);
}

#[test]
fn max_shrink_out_of_range_is_a_usage_error() {
    let site = Site::new();
    let run = site.run(&posts(1), &master(1), &["--max-shrink", "101"]);
    assert_eq!(run.status.code(), Some(2), "{}", run.stderr);
    assert!(run.stderr.contains("--max-shrink"), "{}", run.stderr);
}

#[test]
fn an_older_now_than_the_published_one_is_refused() {
    let site = Site::new();
    site.run(&posts(3), &master(3), &[]).index();
    let before = site_snapshot(&site);
    let error = refusal(&site.run(&posts(3), &master(3), &["--now", "2025-11-24T23:59:59Z"]));
    assert!(error.contains("now=2025-11-25T00:00:00Z"), "{error}");
    assert!(error.contains("now=2025-11-24T23:59:59Z"), "{error}");
    assert!(error.contains("--force"), "{error}");
    assert_eq!(site_snapshot(&site), before);
}

#[test]
fn an_older_now_is_published_with_force() {
    let site = Site::new();
    site.run(&posts(3), &master(3), &[]).index();
    let run = site.run(
        &posts(3),
        &master(3),
        &["--now", "2025-11-24T23:59:59Z", "--force"],
    );
    assert_eq!(run.index()["now"], "2025-11-24T23:59:59Z");
}

#[test]
fn the_same_now_again_is_not_refused() {
    let site = Site::new();
    site.run(&posts(3), &master(3), &[]).index();
    site.run(&posts(3), &master(3), &[]).index();
}

#[test]
fn a_dry_run_is_refused_by_the_guards_too() {
    let site = Site::new();
    let error = refusal(&site.run("", &master(3), &["--dry-run"]));
    assert!(error.contains("--allow-empty"), "{error}");
}

#[test]
fn an_unparseable_published_index_is_treated_as_absent_and_reported() {
    let site = Site::new();
    std::fs::create_dir_all(site.out()).unwrap();
    std::fs::write(site.out().join("index.json"), b"{ not json").unwrap();
    let run = site.run(&posts(2), &master(2), &["--json"]);
    let summary = summary(&run);
    assert_eq!(summary["previous_index"], "unreadable");
    let warning = summary["warnings"][0].as_str().unwrap();
    assert!(
        warning.contains("index.json") && warning.contains("treated as absent"),
        "{warning}"
    );
    assert_eq!(slugs(run.index()).len(), 2, "the run replaced it");
}

#[test]
fn a_first_run_reports_no_previous_index() {
    let site = Site::new();
    let summary = summary(&site.run(&posts(2), &master(2), &["--json"]));
    assert_eq!(summary["previous_index"], "absent");
    let again = summary_of(&site, 2);
    assert_eq!(again["previous_index"], "listing");
}

fn summary_of(site: &Site, n: usize) -> Value {
    summary(&site.run(&posts(n), &master(n), &["--json"]))
}

/// Every file in the site's `--out`, by name.
fn site_snapshot(site: &Site) -> BTreeMap<String, Vec<u8>> {
    snapshot(&site.out())
}
