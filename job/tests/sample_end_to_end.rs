//! End to end on the built-in dirty sample: the binary's `index.json` and charts must
//! equal what the generator knows by construction (`SampleTally`), counter by counter and
//! author by author, months computed independently in the zone.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Command, Output};

use chrono::{Datelike, SecondsFormat};
use chrono_tz::Tz;
use sample::{write_sample_with_tally, SampleFiles, SampleSpec};
use serde_json::Value;

/// `author-stats run` on the sample `files` into `out` with `args`.
fn run_job(files: &SampleFiles, out: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_author-stats"))
        .arg("run")
        .arg("--posts")
        .arg(&files.posts)
        .arg("--authors")
        .arg(&files.authors)
        .arg("--out")
        .arg(out)
        .args(args)
        .env("CI", "true")
        .output()
        .unwrap()
}

fn run(spec: &SampleSpec, days: u32, tz: &str) {
    let dir = tempfile::tempdir().unwrap();
    let (files, tally) = write_sample_with_tally(&dir.path().join("in"), spec).unwrap();
    let out = dir.path().join("out");
    let now = tally.now.to_rfc3339_opts(SecondsFormat::AutoSi, true);
    let output = run_job(
        &files,
        &out,
        &["--days", &days.to_string(), "--now", &now, "--tz", tz],
    );
    assert!(output.status.success());
    let index: Value =
        serde_json::from_slice(&std::fs::read(out.join("index.json")).unwrap()).unwrap();

    let skipped = &index["skipped"];
    for (key, expected) in [
        ("malformed_lines", tally.malformed_lines),
        ("missing_author_id", tally.missing_author_id),
        ("missing_published_at", tally.missing_published_at),
        ("bad_timestamp", tally.bad_timestamp),
        ("future_post", tally.future_post),
        ("unknown_author", tally.unknown_author),
        ("invalid_slug", tally.invalid_slug),
        ("duplicate_slug", tally.duplicate_slug),
    ] {
        assert_eq!(skipped[key].as_u64(), Some(expected), "skipped.{key}");
    }

    let zone: Tz = tz.parse().unwrap();
    let listed = index["authors"].as_array().unwrap();
    assert_eq!(listed.len(), tally.authors.len(), "authors listed");
    let mut expected_pngs = BTreeSet::new();
    for (got, want) in listed.iter().zip(&tally.authors) {
        assert_eq!(got["id"], want.id.as_str());
        assert_eq!(got["slug"], want.slug.as_str());
        assert_eq!(got["display_name"], want.display_name.as_str());
        let mut monthly: BTreeMap<String, u64> = BTreeMap::new();
        for post in &want.posts {
            let local = post.with_timezone(&zone);
            *monthly
                .entry(format!("{:04}-{:02}", local.year(), local.month()))
                .or_default() += 1;
        }
        let got_monthly: BTreeMap<String, u64> = got["monthly"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_u64().unwrap()))
            .collect();
        assert_eq!(got_monthly, monthly, "monthly of {}", want.slug);
        assert_eq!(got["total_posts"].as_u64(), Some(want.posts.len() as u64));
        let rendered = want.rendered(tally.now, days);
        assert_eq!(got["rendered"], rendered, "rendered of {}", want.slug);
        if rendered {
            expected_pngs.insert(format!("{}.png", want.slug));
            expected_pngs.insert(format!("{}.dark.png", want.slug));
        }
    }
    let pngs: BTreeSet<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".png"))
        .collect();
    assert_eq!(pngs, expected_pngs);
    assert!(!pngs.is_empty(), "the sample must render some charts");
}

fn small(dirty: bool, seed: u64) -> SampleSpec {
    SampleSpec {
        authors: 60,
        posts: 1500,
        seed,
        dirty,
        body_bytes: 300,
        ..SampleSpec::default()
    }
}

#[test]
fn dirty_sample_daily_run_matches_the_generators_tally_in_tokyo() {
    run(&small(true, 7), 7, "Asia/Tokyo");
}

#[test]
fn dirty_sample_monthly_window_matches_in_new_york() {
    run(&small(true, 8), 30, "America/New_York");
}

#[test]
fn clean_sample_matches_in_utc() {
    run(&small(false, 9), 7, "UTC");
}

#[test]
fn the_window_all_renders_every_author_the_generator_lists() {
    let dir = tempfile::tempdir().unwrap();
    let (files, tally) = write_sample_with_tally(&dir.path().join("in"), &small(true, 11)).unwrap();
    let out = dir.path().join("out");
    let now = tally.now.to_rfc3339_opts(SecondsFormat::AutoSi, true);
    let output = run_job(&files, &out, &["--all", "--now", &now]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("window all"));
    let index: Value =
        serde_json::from_slice(&std::fs::read(out.join("index.json")).unwrap()).unwrap();
    let listed = index["authors"].as_array().unwrap();
    assert_eq!(listed.len(), tally.authors.len());
    // More than a daily run would draw: the oracle says some authors are not recent.
    assert!(tally.authors.iter().any(|a| !a.rendered(tally.now, 7)));
    for (got, want) in listed.iter().zip(&tally.authors) {
        assert_eq!(got["slug"], want.slug.as_str());
        assert_eq!(
            got["rendered"], true,
            "{} is drawn in the window all",
            want.slug
        );
        assert!(out.join(format!("{}.png", want.slug)).is_file());
    }
}
