//! Tests of the whole generator: determinism, the shape of clean files, every kind of bad
//! record in dirty files, and the tally checked against an independent reading of the bytes
//! (`oracle.rs`). Sizes are small so the tests stay fast.

use std::collections::HashSet;
use std::io::Read;
use std::path::Path;

use chrono::{DateTime, Utc};
use flate2::read::MultiGzDecoder;
use serde_json::Value;

use super::names::is_valid_slug;
use super::oracle;
use super::tally::Tallier;
use super::timeline::When;
use super::*;

fn spec(seed: u64, dirty: bool) -> SampleSpec {
    SampleSpec {
        authors: 30,
        posts: 400,
        seed,
        dirty,
        body_bytes: 300,
        ..SampleSpec::default()
    }
}

fn gunzip(path: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    MultiGzDecoder::new(std::fs::File::open(path).unwrap())
        .read_to_end(&mut out)
        .unwrap();
    out
}

fn generate(spec: &SampleSpec) -> (tempfile::TempDir, SampleFiles, SampleTally) {
    let dir = tempfile::tempdir().unwrap();
    let (files, tally) = write_sample_with_tally(&dir.path().join("out"), spec).unwrap();
    (dir, files, tally)
}

/// The tally an independent reader derives from the bytes.
fn oracle_tally(files: &SampleFiles, now: DateTime<Utc>) -> SampleTally {
    let mut t = Tallier::new(now);
    for line in oracle::lines(&gunzip(&files.authors)) {
        t.author(&oracle::author_line(line));
    }
    t.close_master();
    for line in oracle::lines(&gunzip(&files.posts)) {
        t.post(&oracle::post_line(line));
    }
    t.finish()
}

#[test]
fn the_same_seed_gives_identical_bytes() {
    for dirty in [false, true] {
        let (_a, first, _) = generate(&spec(7, dirty));
        let (_b, second, _) = generate(&spec(7, dirty));
        assert_eq!(
            std::fs::read(&first.posts).unwrap(),
            std::fs::read(&second.posts).unwrap()
        );
        assert_eq!(
            std::fs::read(&first.authors).unwrap(),
            std::fs::read(&second.authors).unwrap()
        );
    }
}

#[test]
fn a_different_seed_gives_different_bytes() {
    let (_a, first, _) = generate(&spec(7, false));
    let (_b, second, _) = generate(&spec(8, false));
    assert_ne!(
        std::fs::read(&first.posts).unwrap(),
        std::fs::read(&second.posts).unwrap()
    );
    assert_ne!(
        std::fs::read(&first.authors).unwrap(),
        std::fs::read(&second.authors).unwrap()
    );
}

#[test]
fn files_are_written_under_the_contract_names_in_a_created_folder() {
    let (dir, files, _) = generate(&spec(1, false));
    assert_eq!(files.posts, dir.path().join("out").join(POSTS_FILE));
    assert_eq!(files.authors, dir.path().join("out").join(AUTHORS_FILE));
}

#[test]
fn a_clean_sample_has_exactly_the_requested_posts_as_json_objects() {
    let (_d, files, _) = generate(&spec(2, false));
    let text = String::from_utf8(gunzip(&files.posts)).unwrap();
    assert!(text.ends_with('\n'));
    let mut drafts = 0;
    let mut count = 0;
    for line in text.lines() {
        count += 1;
        let v: Value = serde_json::from_str(line).unwrap();
        for key in ["id", "sys_id", "author_id", "title", "slug", "body", "tags"] {
            assert!(v.get(key).is_some(), "no {key} in {line:.200}");
        }
        match v.get("first_published_at") {
            None | Some(Value::Null) => drafts += 1,
            Some(ts) => assert!(oracle::parse_timestamp(ts.as_str().unwrap()).is_some()),
        }
    }
    assert_eq!(count, 400);
    assert!(drafts > 0 && drafts < 40, "{drafts} drafts");
}

#[test]
fn a_clean_master_has_unique_valid_slugs_and_every_post_author_in_it() {
    let (_d, files, _) = generate(&spec(3, false));
    let authors = String::from_utf8(gunzip(&files.authors)).unwrap();
    let mut ids = HashSet::new();
    let mut slugs = HashSet::new();
    for line in authors.lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        let slug = v["slug"].as_str().unwrap();
        assert!(is_valid_slug(slug), "{slug}");
        assert!(slugs.insert(slug.to_owned()), "duplicate slug {slug}");
        assert!(ids.insert(v["id"].as_str().unwrap().to_owned()));
        assert!(!v["display_name"].as_str().unwrap().is_empty());
    }
    assert_eq!(ids.len(), 30);
    let posts = String::from_utf8(gunzip(&files.posts)).unwrap();
    for line in posts.lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        assert!(ids.contains(v["author_id"].as_str().unwrap()));
    }
}

#[test]
fn a_clean_tally_counts_every_published_post() {
    let (_d, files, tally) = generate(&spec(4, false));
    assert_eq!(tally.counted_posts + tally.missing_published_at, 400);
    assert_eq!(
        tally.malformed_lines + tally.unknown_author + tally.invalid_slug,
        0
    );
    assert!(tally.balances());
    assert!(!tally.rendered_slugs(7).is_empty());
    assert_eq!(tally, oracle_tally(&files, tally.now));
}

#[test]
fn the_seed_scale_spec_renders_dozens_of_authors() {
    // Only the plan matters here: skip writing 245 MB.
    let spec = SampleSpec::seed_scale();
    let mut rng = ChaCha8Rng::seed_from_u64(spec.seed);
    let mut registry = Registry::default();
    let recent = cast::recent_count(spec.authors, spec.posts);
    let authors = cast::cast(&mut rng, &mut registry, spec.authors, recent, spec.until);
    let plan = timeline::plan(&mut rng, &mut registry, &authors, spec.posts, spec.until);
    let week = spec.until - chrono::Duration::days(7);
    let active: HashSet<usize> = plan
        .iter()
        .filter(|p| matches!(p.when, When::At(at, _) if at >= week))
        .map(|p| p.author)
        .collect();
    assert!(
        active.len() >= 36,
        "only {} authors posted last week",
        active.len()
    );
}

#[test]
fn a_dirty_tally_matches_an_independent_reading_of_the_bytes() {
    for seed in [5, 6] {
        let (_d, files, tally) = generate(&spec(seed, true));
        assert!(tally.balances());
        assert_eq!(tally, oracle_tally(&files, tally.now));
    }
}

#[test]
fn a_dirty_sample_has_several_of_every_skip() {
    let (_d, _files, t) = generate(&spec(5, true));
    for (name, n) in [
        ("malformed_lines", t.malformed_lines),
        ("missing_author_id", t.missing_author_id),
        ("missing_published_at", t.missing_published_at),
        ("bad_timestamp", t.bad_timestamp),
        ("future_post", t.future_post),
        ("unknown_author", t.unknown_author),
        ("invalid_slug", t.invalid_slug),
    ] {
        assert!(n >= 5, "{name}: {n}");
    }
    assert_eq!(t.duplicate_slug, 7);
}

#[test]
fn a_dirty_sample_keeps_the_clean_posts() {
    let (_d, _f, clean) = generate(&spec(9, false));
    let (_e, _g, dirty) = generate(&spec(9, true));
    // Dirty records come on top: the clean authors' counts do not shrink.
    assert!(dirty.counted_posts > clean.counted_posts);
}

#[test]
fn dirty_bytes_contain_each_kind_of_bad_line() {
    let (_d, files, _) = generate(&spec(5, true));
    let posts_gz = std::fs::read(&files.posts).unwrap();
    let members = posts_gz
        .windows(4)
        .filter(|w| *w == b"\x1f\x8b\x08\x00")
        .count();
    assert!(members >= 2, "posts file is a single gzip member");
    let posts = gunzip(&files.posts);
    let authors = gunzip(&files.authors);
    assert!(
        authors.starts_with(b"\xEF\xBB\xBF"),
        "no BOM at the start of the master"
    );
    assert!(
        !authors.ends_with(b"\n") && !posts.ends_with(b"\n"),
        "last line has an LF"
    );
    let has = |hay: &[u8], needle: &[u8]| hay.windows(needle.len()).any(|w| w == needle);
    for needle in [
        &b"\n\xEF\xBB\xBF{"[..],
        b"\r\n",
        b"\n\n",
        b"\n \t\r\n",
        b"NaN",
        b"} trailing",
        b"}{",
        b"\\ud800",
        b"\xFF\xFE",
        b"\"author_id\":null",
        b"\"author_id\":\"\"",
        b"\"author_id\":42",
        b"\"first_published_at\":null",
        b"2024-02-30T10:00:00Z",
        b"2024-01-31T20:00:00+0900",
        b"2024-01-31T20:00:00.1234567890Z",
        b"\"first_published_at\":true",
        "２０２４".as_bytes(),
        b"\n[1,2,3]",
        b"\nnull",
    ] {
        assert!(
            has(&posts, needle),
            "posts lack {:?}",
            String::from_utf8_lossy(needle)
        );
    }
    for needle in [
        &b"\"slug\":\"../evil\""[..],
        b"\"slug\":\"UPPER case\"",
        b"\"slug\":\".hidden\"",
        b"\"slug\":\"-dash-first\"",
        b"\"id\":42",
        b"\"id\":null",
        b"\"id\":\"\"",
        b"\"display_name\":\"\xE3\x80\x80\"",
        "🎉".as_bytes(),
        b"\"display_name\":\"\"",
        b"\"slug\":\"stale-old-slug\"",
    ] {
        assert!(
            has(&authors, needle),
            "authors lack {:?}",
            String::from_utf8_lossy(needle)
        );
    }
}

#[test]
fn dirty_usable_authors_with_odd_names_are_charted_as_the_contract_says() {
    let (_d, _f, t) = generate(&spec(5, true));
    let by_slug = |slug: &str| t.authors.iter().find(|a| a.slug == slug);
    // Absent name → slug; full-width space kept; forgotten name → slug.
    assert_eq!(by_slug("odd-name-0").unwrap().display_name, "odd-name-0");
    assert_eq!(by_slug("odd-name-3").unwrap().display_name, "\u{3000}");
    assert_eq!(
        by_slug("name-forgotten").unwrap().display_name,
        "name-forgotten"
    );
    assert_eq!(by_slug("dup-id-new").unwrap().display_name, "New Name");
    assert!(by_slug("dup-id-old").is_none());
    assert!(by_slug("forgotten-shared").is_some());
    assert!(by_slug("shared-slug").is_none());
    let rendered = t.rendered_slugs(7);
    assert!(rendered.contains(&"window-edge-in"));
    assert!(!rendered.contains(&"window-edge-out"));
    assert!(rendered.contains(&"posted-at-now"));
}

#[test]
fn a_sample_without_posts_or_authors_is_fine_but_posts_need_authors() {
    let empty = SampleSpec {
        authors: 0,
        posts: 0,
        ..spec(1, true)
    };
    let (_d, files, t) = generate(&empty);
    assert_eq!(t, oracle_tally(&files, t.now));
    let dir = tempfile::tempdir().unwrap();
    let bad = SampleSpec {
        authors: 0,
        ..spec(1, false)
    };
    assert!(write_sample(dir.path(), &bad).is_err());
}

#[test]
fn an_until_with_a_fraction_of_a_second_still_gives_an_exact_tally() {
    let until = DateTime::parse_from_rfc3339("2025-11-25T00:00:00.123456789+09:00")
        .unwrap()
        .with_timezone(&Utc);
    let (_d, files, t) = generate(&SampleSpec {
        until,
        ..spec(11, true)
    });
    assert_eq!(t, oracle_tally(&files, until));
}
