//! spec/chart-style.md and data-spec §7: the style file (`--style`), the files a rendered
//! author gets (`<slug>.png`, `<slug>.dark.png`, `<slug>.stats.json`), what `index.json`
//! says about them, and the re-render of every listed author when the style changes.

mod common;

use std::path::Path;

use common::*;
use serde_json::Value;
use sha2::{Digest, Sha256};

fn summary(run: &Run) -> Value {
    assert!(run.status.success(), "stderr:\n{}", run.stderr);
    serde_json::from_str(run.stdout.trim()).unwrap()
}

fn sha256(path: &Path) -> String {
    Sha256::digest(std::fs::read(path).unwrap())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

const TWO: &str = concat!(
    "{\"id\":\"a1\",\"slug\":\"alice\",\"display_name\":\"山田 太郎\"}\n",
    "{\"id\":\"b2\",\"slug\":\"bob\",\"display_name\":\"Bob\"}\n",
);

/// Alice posted yesterday (active), Bob long ago (listed, not active).
fn posts() -> String {
    [post("a1", RECENT), post("a1", OLD), post("b2", OLD)].concat()
}

#[test]
fn the_built_in_style_publishes_light_dark_and_stats_per_rendered_author() {
    let site = Site::new();
    summary(&publish(&site, &posts(), TWO, &[]));
    assert_eq!(
        files(&site.out()),
        [
            "alice.dark.png",
            "alice.png",
            "alice.stats.json",
            "index.json"
        ]
        .map(String::from)
        .into()
    );
    let dark = std::fs::read(site.out().join("alice.dark.png")).unwrap();
    assert_eq!(png_size(&dark), (1200, 600));
}

#[test]
fn index_lists_the_style_digest_and_each_rendered_authors_files_with_hashes() {
    let site = Site::new();
    summary(&publish(&site, &posts(), TWO, &[]));
    let index = site.index();
    let style = index["style"].as_str().unwrap();
    assert_eq!(style.len(), 16, "{style}");
    let alice = listed(&index, "alice");
    let files = alice["files"].as_array().unwrap();
    let names: Vec<&str> = files.iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["alice.png", "alice.dark.png", "alice.stats.json"]);
    for f in files {
        let path = site.out().join(f["name"].as_str().unwrap());
        assert_eq!(f["sha256"], sha256(&path).as_str(), "{f}");
    }
    assert_eq!(files[1]["variant"], "dark");
    assert_eq!(files[0]["width"], 1200);
    assert_eq!(
        alice["summary"],
        "山田 太郎さんは2024年5月から2件の記事を書いています。直近12か月は月平均0.0件です。"
    );
    let bob = listed(&index, "bob");
    assert!(
        bob.get("files").is_none() && bob.get("summary").is_none(),
        "{bob}"
    );
}

#[test]
fn stats_json_holds_the_months_trend_summary_and_image_hashes() {
    let site = Site::new();
    summary(&publish(&site, &posts(), TWO, &[]));
    let stats: Value =
        serde_json::from_slice(&std::fs::read(site.out().join("alice.stats.json")).unwrap())
            .unwrap();
    assert_eq!(stats["slug"], "alice");
    assert_eq!(stats["display_name"], "山田 太郎");
    assert_eq!(stats["total_posts"], 2);
    assert_eq!(
        (&stats["first_month"], &stats["last_month"]),
        (&"2024-05".into(), &"2025-11".into())
    );
    assert_eq!(stats["as_of"], NOW);
    // 2024-05 through 2025-11: 19 months, zeros included; the trend has the 18 complete ones.
    assert_eq!(stats["monthly"].as_object().unwrap().len(), 19);
    assert_eq!(stats["trend"].as_object().unwrap().len(), 18);
    assert_eq!(stats["trend"]["2024-05"], 1.0);
    assert_eq!(stats["trend"]["2024-06"], 0.5);
    assert_eq!(stats["summary"], listed(&site.index(), "alice")["summary"]);
    let images = stats["files"].as_array().unwrap();
    assert_eq!(images.len(), 2);
    for f in images {
        let path = site.out().join(f["name"].as_str().unwrap());
        assert_eq!(f["sha256"], sha256(&path).as_str());
    }
}

#[test]
fn an_unchanged_style_renders_only_the_active_authors() {
    let site = Site::new();
    summary(&publish(&site, &posts(), TWO, &[]));
    let again = summary(&publish(&site, &posts(), TWO, &[]));
    assert_eq!(again["charts_rendered"], 1);
    assert_eq!(again["restyled"], false);
    assert!(!site.out().join("bob.png").exists());
}

#[test]
fn a_changed_style_renders_every_listed_author_once() {
    let site = Site::new();
    summary(&publish(&site, &posts(), TWO, &[]));
    let before = site.index()["style"].clone();
    let en = site.file("en.toml", "locale = \"en\"\n");
    let changed = summary(&publish(&site, &posts(), TWO, &["--style", &en]));
    assert_eq!(changed["restyled"], true);
    assert_eq!(changed["charts_rendered"], 2, "alice and bob");
    let index = site.index();
    assert_ne!(index["style"], before);
    assert_eq!(listed(&index, "bob")["rendered"], true);
    assert!(site.out().join("bob.png").exists());
    assert!(listed(&index, "bob")["summary"]
        .as_str()
        .unwrap()
        .starts_with("Bob has written 1 post since May 2024."));
    // The next run with the same style is a daily run again.
    let daily = summary(&publish(&site, &posts(), TWO, &["--style", &en]));
    assert_eq!(daily["charts_rendered"], 1);
}

#[test]
fn a_light_only_style_publishes_no_dark_chart() {
    let site = Site::new();
    let light = site.file("light.toml", "variants = [\"light\"]\n");
    summary(&publish(&site, &posts(), TWO, &["--style", &light]));
    assert!(site.out().join("alice.png").exists());
    assert!(!site.out().join("alice.dark.png").exists());
}

#[test]
fn a_bad_style_file_is_a_usage_error_naming_the_field_and_writes_nothing() {
    let site = Site::new();
    let bad = site.file("bad.toml", "[light]\nbar = \"blue\"\n");
    let run = publish(&site, &posts(), TWO, &["--style", &bad]);
    assert_eq!(run.status.code(), Some(2), "{}", run.stderr);
    assert!(run.stderr.contains("bad.toml"), "{}", run.stderr);
    assert!(
        run.stderr.contains("bar") && run.stderr.contains("#RRGGBB"),
        "{}",
        run.stderr
    );
    assert!(files(&site.out()).is_empty());
}

#[test]
fn the_same_input_and_style_give_the_same_bytes_for_every_file() {
    let a = Site::new();
    let b = Site::new();
    summary(&publish(&a, &posts(), TWO, &[]));
    summary(&publish(&b, &posts(), TWO, &[]));
    for name in [
        "alice.png",
        "alice.dark.png",
        "alice.stats.json",
        "index.json",
    ] {
        assert!(
            std::fs::read(a.out().join(name)).unwrap()
                == std::fs::read(b.out().join(name)).unwrap(),
            "{name} differs"
        );
    }
}

/// A `--json` run on `site`.
fn publish(site: &Site, posts: &str, authors: &str, args: &[&str]) -> Run {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    site.run(posts, authors, &all)
}
