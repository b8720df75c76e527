//! data-spec §7, removal: after `index.json` is written, the per-author files
//! (`<slug>.png`) of slugs the new listing does not have are deleted from the output
//! folder; authors still listed keep theirs, rendered this run or not, and no other file is
//! touched.

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

#[test]
fn a_run_after_authors_leave_the_master_deletes_exactly_their_files() {
    let site = Site::new();
    let all: Vec<usize> = (0..20).collect();
    publish(&site, &posts(&all, RECENT), &master(&all), &[]);
    // Files the job must not touch, and one chart of an author listed long ago.
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
    assert_eq!(summary["charts_removed"], 11);
    let gone = names(&[
        "author-18.png",
        "author-18.dark.png",
        "author-18.svg",
        "author-18.dark.svg",
        "author-18.stats.json",
        "author-19.png",
        "author-19.dark.png",
        "author-19.svg",
        "author-19.dark.svg",
        "author-19.stats.json",
        "old-author.png",
    ]);
    let expected: BTreeSet<String> = before.difference(&gone).cloned().collect();
    assert_eq!(files(&site.out()), expected);
}

#[test]
fn authors_still_listed_keep_their_charts_when_not_rendered() {
    let site = Site::new();
    publish(&site, &posts(&[0, 1], RECENT), &master(&[0, 1]), &[]);
    // A month later nobody is in the 7-day window: both stay listed, neither is rendered.
    let (run, summary) = publish(
        &site,
        &posts(&[0, 1], RECENT),
        &master(&[0, 1]),
        &["--now", "2025-12-25T00:00:00Z"],
    );
    assert_eq!(summary["charts_rendered"], 0);
    assert_eq!(summary["charts_removed"], 0);
    assert_eq!(listed(run.index(), "author-0")["rendered"], false);
    assert_eq!(pngs(&site.out()), names(&["author-0.png", "author-1.png"]));
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
