//! data-spec §7, removal: after `index.json` is written, the files that the published
//! index recorded for authors the new listing no longer has are deleted from the output
//! folder — never a file by its name's shape alone (a site's `favicon.png` stays); authors
//! still listed keep theirs, rendered this run or not, and the index carries them forward.

mod common;

use std::collections::BTreeSet;

use common::*;
use serde_json::Value;

fn master(ids: &[usize]) -> String {
    ids.iter()
        .map(|i| {
            author(
                &format!("a{i}"),
                &format!("author-{i}"),
                &format!("Author {i}"),
            )
        })
        .collect()
}

fn posts(ids: &[usize], ts: &str) -> String {
    ids.iter().map(|i| post(&format!("a{i}"), ts)).collect()
}

fn names(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// The five files the built-in style publishes for `slug`.
fn author_files(slug: &str) -> Vec<String> {
    ["png", "dark.png", "svg", "dark.svg", "stats.json"]
        .iter()
        .map(|suffix| format!("{slug}.{suffix}"))
        .collect()
}

#[test]
fn a_run_after_authors_leave_the_master_deletes_exactly_their_recorded_files() {
    let site = Site::new();
    let all: Vec<usize> = (0..20).collect();
    publish(&site, &posts(&all, RECENT), &master(&all), &[]);
    // Files the job must not touch, whatever their names look like.
    for name in [
        "notes.txt",
        "Author-3.png",
        "author-3.light.svg",
        "author-18.png.bak",
        ".author-19.png.tmp-1",
        "old-author.png",
    ] {
        std::fs::write(site.out().join(name), b"x").unwrap();
    }
    std::fs::create_dir(site.out().join("dir.png")).unwrap();
    let before = files(&site.out());

    let stay: Vec<usize> = (0..18).collect();
    let (_, summary) = publish(&site, &posts(&all, RECENT), &master(&stay), &[]);
    assert_eq!(summary["charts_removed"], 10);
    let mut gone = author_files("author-18");
    gone.extend(author_files("author-19"));
    let gone: BTreeSet<String> = gone.into_iter().collect();
    let expected: BTreeSet<String> = before.difference(&gone).cloned().collect();
    assert_eq!(files(&site.out()), expected);
    assert_eq!(
        site.index()["removed_files"],
        serde_json::to_value(&gone).unwrap(),
        "the index names what its run removes"
    );
}

#[test]
fn favicon_and_an_unrelated_svg_survive_while_a_departed_authors_recorded_files_go() {
    let site = Site::new();
    publish(&site, &posts(&[0, 1], RECENT), &master(&[0, 1]), &[]);
    // Site assets whose names are valid slugs with a chart's suffix, never listed.
    for name in ["favicon.png", "logo.png", "x.svg", "x.stats.json"] {
        std::fs::write(site.out().join(name), b"site asset").unwrap();
    }
    let (_, summary) = publish(
        &site,
        &posts(&[0, 1], RECENT),
        &master(&[0]),
        &["--allow-shrink"],
    );
    assert_eq!(summary["charts_removed"], 5);
    let left = files(&site.out());
    for name in ["favicon.png", "logo.png", "x.svg", "x.stats.json"] {
        assert!(left.contains(name), "{name} was removed: {left:?}");
        assert_eq!(std::fs::read(site.out().join(name)).unwrap(), b"site asset");
    }
    for name in author_files("author-1") {
        assert!(!left.contains(&name), "{name} stayed: {left:?}");
    }
    assert!(left.contains("author-0.png"));
}

#[test]
fn authors_still_listed_keep_their_charts_and_their_record_when_not_rendered() {
    let site = Site::new();
    publish(&site, &posts(&[0, 1], RECENT), &master(&[0, 1]), &[]);
    let first = site.index();
    // A month later nobody is in the 7-day window: both stay listed, neither is rendered.
    let (run, summary) = publish(
        &site,
        &posts(&[0, 1], RECENT),
        &master(&[0, 1]),
        &["--now", "2025-12-25T00:00:00Z"],
    );
    assert_eq!(summary["charts_rendered"], 0);
    assert_eq!(summary["charts_removed"], 0);
    let entry = listed(run.index(), "author-0");
    assert_eq!(entry["rendered"], false);
    assert_eq!(entry["files"], listed(&first, "author-0")["files"]);
    assert_eq!(entry["summary"], listed(&first, "author-0")["summary"]);
    assert_eq!(pngs(&site.out()), names(&["author-0.png", "author-1.png"]));

    // Recorded through a run that did not render them, so they go when the author leaves.
    let (_, summary) = publish(
        &site,
        &posts(&[0, 1], RECENT),
        &master(&[0]),
        &["--now", "2025-12-26T00:00:00Z", "--allow-shrink"],
    );
    assert_eq!(summary["charts_removed"], 5);
    assert_eq!(pngs(&site.out()), names(&["author-0.png"]));
}

#[test]
fn an_index_written_before_files_were_recorded_removes_nothing_and_says_so() {
    let site = Site::new();
    publish(&site, &posts(&[0, 1], RECENT), &master(&[0, 1]), &[]);
    // As an older version wrote it: no entry records its files.
    let mut index = site.index();
    for entry in index["authors"].as_array_mut().unwrap() {
        let entry = entry.as_object_mut().unwrap();
        entry.remove("files");
        entry.remove("summary");
    }
    std::fs::write(
        site.out().join("index.json"),
        serde_json::to_vec_pretty(&index).unwrap(),
    )
    .unwrap();
    let before = files(&site.out());

    let (_, summary) = publish(
        &site,
        &posts(&[0, 1], OLD),
        &master(&[0]),
        &["--allow-shrink"],
    );
    assert_eq!(summary["charts_removed"], 0);
    assert_eq!(files(&site.out()), before);
    let warnings: Vec<&str> = summary["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .filter(|w| w.contains("records no files"))
        .collect();
    assert_eq!(warnings.len(), 1, "said once: {warnings:?}");
    assert!(
        warnings[0].contains("records no files for 1 author(s) no longer listed (author-1)"),
        "{warnings:?}"
    );
    // author-0 was not rendered (old posts): its files stay unknown rather than "none".
    assert!(listed(&site.index(), "author-0").get("files").is_none());
}

#[test]
fn files_a_new_style_no_longer_publishes_are_removed() {
    let site = Site::new();
    publish(&site, &posts(&[0], RECENT), &master(&[0]), &[]);
    let png_only = site.file("png.toml", "formats = [\"png\"]\n");
    let (_, summary) = publish(
        &site,
        &posts(&[0], RECENT),
        &master(&[0]),
        &["--style", &png_only],
    );
    assert_eq!(summary["restyled"], true);
    assert_eq!(summary["charts_removed"], 2);
    assert_eq!(
        files(&site.out()),
        names(&[
            "author-0.png",
            "author-0.dark.png",
            "author-0.stats.json",
            "index.json"
        ])
    );
}

#[test]
fn a_file_a_removal_left_behind_is_removed_by_the_next_run() {
    let site = Site::new();
    publish(&site, &posts(&[0, 1], RECENT), &master(&[0, 1]), &[]);
    publish(
        &site,
        &posts(&[0, 1], RECENT),
        &master(&[0]),
        &["--allow-shrink"],
    );
    // As if unlinking it had failed.
    std::fs::write(site.out().join("author-1.png"), b"left behind").unwrap();
    let (_, summary) = publish(&site, &posts(&[0, 1], RECENT), &master(&[0]), &[]);
    assert_eq!(summary["charts_removed"], 1);
    assert!(!files(&site.out()).contains("author-1.png"));
    assert_eq!(
        site.index()["removed_files"],
        serde_json::json!(["author-1.png"])
    );
    // Once it is gone, the next index names nothing.
    let (_, summary) = publish(&site, &posts(&[0, 1], RECENT), &master(&[0]), &[]);
    assert_eq!(summary["charts_removed"], 0);
    assert!(
        site.index().get("removed_files").is_none(),
        "{}",
        site.index()
    );
}

#[test]
fn a_dry_run_removes_nothing() {
    let site = Site::new();
    let all: Vec<usize> = (0..20).collect();
    publish(&site, &posts(&all, RECENT), &master(&all), &[]);
    let before = files(&site.out());
    let stay: Vec<usize> = (0..19).collect();
    let (_, summary) = publish(&site, &posts(&all, RECENT), &master(&stay), &["--dry-run"]);
    assert_eq!(summary["charts_removed"], 0);
    assert_eq!(files(&site.out()), before);
}

/// A `--json` run on `site` that must succeed, and its summary.
fn publish(site: &Site, posts: &str, authors: &str, args: &[&str]) -> (Run, Value) {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let run = site.run(posts, authors, &all);
    assert!(run.status.success(), "stderr:\n{}", run.stderr);
    let summary = serde_json::from_str(run.stdout.trim()).unwrap();
    (run, summary)
}
