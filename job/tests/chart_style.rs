//! spec/chart-style.md and data-spec §7: the style file (`--style`), the files a rendered
//! author gets (`<slug>.png`, `<slug>.dark.png`, `<slug>.svg`, `<slug>.dark.svg`,
//! `<slug>.stats.json`), what `index.json` says about them, and the re-render of every
//! listed author when the style changes.

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
fn the_built_in_style_publishes_png_and_svg_light_dark_and_stats_per_rendered_author() {
    let site = Site::new();
    summary(&publish(&site, &posts(), TWO, &[]));
    assert_eq!(
        files(&site.out()),
        [
            "alice.dark.png",
            "alice.dark.svg",
            "alice.png",
            "alice.stats.json",
            "alice.svg",
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
    assert_eq!(
        names,
        [
            "alice.png",
            "alice.dark.png",
            "alice.svg",
            "alice.dark.svg",
            "alice.stats.json"
        ]
    );
    for f in files {
        let path = site.out().join(f["name"].as_str().unwrap());
        assert_eq!(f["sha256"], sha256(&path).as_str(), "{f}");
    }
    assert_eq!(files[1]["variant"], "dark");
    assert_eq!(files[3]["variant"], "dark");
    assert_eq!(files[0]["width"], 1200);
    assert_eq!(files[2]["height"], 600);
    assert_eq!(
        alice["summary"],
        "山田 太郎さんは2024年5月から2件の記事を書いています。直近12か月は月平均0.0件です。"
    );
    // Listed, never rendered: the index records that no file was published for bob.
    let bob = listed(&index, "bob");
    assert!(
        bob["files"] == serde_json::json!([]) && bob.get("summary").is_none(),
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
    assert_eq!(images.len(), 4);
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
        "alice.svg",
        "alice.dark.svg",
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

/// What a reader of `<slug>.svg` relies on: an image with the display name as its title
/// and the stats' summary as its description, drawn with paths (no `<text>`), no script,
/// no reference outside the file; colours from the variant's palette.
fn check_svg(path: &Path, title: &str, summary: &str, background: &str, bar: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap();
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(root.attribute("role"), Some("img"));
    assert_eq!(root.attribute("viewBox"), Some("0 0 1200 600"));
    assert_eq!(
        (root.attribute("width"), root.attribute("height")),
        (Some("1200"), Some("600"))
    );
    let text_of = |name: &str| {
        root.children()
            .find(|n| n.has_tag_name(name))
            .and_then(|n| n.text())
    };
    assert_eq!(text_of("title"), Some(title));
    assert_eq!(text_of("desc"), Some(summary));
    let mut fills = std::collections::BTreeSet::new();
    for node in doc.descendants().filter(|n| n.is_element()) {
        let name = node.tag_name().name();
        assert!(
            !["script", "text", "image", "foreignObject", "style", "a"].contains(&name),
            "<{name}> in {}",
            path.display()
        );
        for a in node.attributes() {
            if a.name() == "href" {
                assert!(a.value().starts_with('#'), "href={}", a.value());
            }
            assert!(!a.name().starts_with("on"), "{}", a.name());
        }
        fills.extend(node.attribute("fill"));
    }
    assert!(
        doc.descendants().any(|n| n.has_tag_name("use")),
        "no glyphs"
    );
    assert!(
        fills.contains(background) && fills.contains(bar),
        "{fills:?}"
    );
}

#[test]
fn the_svgs_are_accessible_self_contained_images_in_each_locale_and_variant() {
    for (locale, args) in [("ja", None), ("en", Some("locale = \"en\"\n"))] {
        let site = Site::new();
        let style = args.map(|toml| site.file("style.toml", toml));
        let flags: Vec<&str> = style.iter().flat_map(|s| ["--style", s.as_str()]).collect();
        summary(&publish(&site, &posts(), TWO, &flags));
        let stats: Value =
            serde_json::from_slice(&std::fs::read(site.out().join("alice.stats.json")).unwrap())
                .unwrap();
        let said = stats["summary"].as_str().unwrap();
        assert_eq!(
            said.starts_with("山田 太郎さんは"),
            locale == "ja",
            "{said}"
        );
        check_svg(
            &site.out().join("alice.svg"),
            "山田 太郎",
            said,
            "#ffffff",
            "#4e79a7",
        );
        check_svg(
            &site.out().join("alice.dark.svg"),
            "山田 太郎",
            said,
            "#111827",
            "#7aa5d6",
        );
    }
}

#[test]
fn a_style_change_changes_the_svg_bytes() {
    let site = Site::new();
    summary(&publish(&site, &posts(), TWO, &[]));
    let before = std::fs::read(site.out().join("alice.svg")).unwrap();
    let green = site.file("green.toml", "[light]\nbar = \"#2F6F4E\"\n");
    summary(&publish(&site, &posts(), TWO, &["--style", &green]));
    let after = std::fs::read_to_string(site.out().join("alice.svg")).unwrap();
    assert!(after.as_bytes() != before.as_slice());
    assert!(after.contains("fill=\"#2f6f4e\""));
}

#[test]
fn a_png_only_style_publishes_no_svg() {
    let site = Site::new();
    let png = site.file("png.toml", "formats = [\"png\"]\n");
    summary(&publish(&site, &posts(), TWO, &["--style", &png]));
    assert!(site.out().join("alice.png").exists());
    assert!(!site.out().join("alice.svg").exists());
    assert!(!site.out().join("alice.dark.svg").exists());
}

#[test]
fn an_unknown_format_is_a_usage_error_listing_png_and_svg() {
    let site = Site::new();
    let bad = site.file("bad.toml", "formats = [\"webp\"]\n");
    let run = publish(&site, &posts(), TWO, &["--style", &bad]);
    assert_eq!(run.status.code(), Some(2), "{}", run.stderr);
    assert!(
        run.stderr.contains("webp") && run.stderr.contains("`png`") && run.stderr.contains("`svg`"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_style_giving_only_a_wider_width_is_valid_and_draws_at_that_width() {
    let site = Site::new();
    let wide = site.file("wide.toml", "width = 1300\n");
    summary(&publish(&site, &posts(), TWO, &["--style", &wide]));
    let png = std::fs::read(site.out().join("alice.png")).unwrap();
    assert_eq!(png_size(&png), (1300, 600));
}

#[test]
fn too_small_tick_labels_for_the_width_name_the_width_bound() {
    let site = Site::new();
    let bad = site.file("bad.toml", "width = 1300\n[text]\nlabel = 16\n");
    let run = publish(&site, &posts(), TWO, &["--style", &bad]);
    assert_eq!(run.status.code(), Some(2), "{}", run.stderr);
    assert!(
        run.stderr.contains("text.label = 16") && run.stderr.contains("18 to 64 at width = 1300"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_huge_bad_value_is_quoted_short_in_a_one_line_error() {
    let site = Site::new();
    let value = "z".repeat(60_000);
    let bad = site.file("bad.toml", &format!("[dark]\nbar = \"{value}\"\n"));
    let run = publish(&site, &posts(), TWO, &["--style", &bad]);
    assert_eq!(run.status.code(), Some(2), "{}", run.stderr);
    let error = run.stderr.lines().next().unwrap_or("");
    assert!(
        error.contains("bar") && error.contains("#RRGGBB"),
        "{error}"
    );
    assert!(
        run.stderr.len() < 1000,
        "{} bytes of stderr",
        run.stderr.len()
    );
}

/// A `--json` run on `site`.
fn publish(site: &Site, posts: &str, authors: &str, args: &[&str]) -> Run {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    site.run(posts, authors, &all)
}
