//! Golden charts: a fixed set of authors drawn in PNG and SVG, light and dark, built-in and
//! English style, must hash to what `job/tests/golden/charts.sha256` records for the current
//! `RENDERER_VERSION`. A release that draws any chart differently must bump the version
//! (so `index.json`'s digests change and every published chart is redrawn, data-spec §7);
//! the recorded hashes are only rewritten (`UPDATE_GOLDEN=1`) under a new version.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use author_stats::chart::{render_pngs, render_svgs, ChartInput, Style, Variant, RENDERER_VERSION};
use author_stats::month::MonthKey;
use sha2::{Digest, Sha256};

/// The file of recorded hashes, relative to the crate.
const GOLDEN: &str = "tests/golden/charts.sha256";

struct Case {
    name: &'static str,
    display_name: String,
    first_month: MonthKey,
    counts: Vec<u32>,
    english: bool,
}

/// The authors: the shapes a renderer change is most likely to move.
fn cases() -> Vec<Case> {
    let fifteen_years: Vec<u32> = (0..180u32).map(|i| (i * 7 + 3) % 17).collect();
    let mut gap = vec![5, 3, 8, 2];
    gap.extend(std::iter::repeat_n(0, 40));
    gap.extend([4, 6, 1, 0, 2]);
    let steady: Vec<u32> = (0..12u32).map(|i| 9 + i % 3).collect();
    vec![
        Case {
            name: "fifteen-years",
            display_name: "渡辺 健太郎".into(),
            first_month: MonthKey::new(2011, 1),
            counts: fifteen_years,
            english: false,
        },
        Case {
            name: "one-month",
            display_name: "鈴木 亮".into(),
            first_month: MonthKey::new(2025, 11),
            counts: vec![4],
            english: false,
        },
        Case {
            name: "gap-of-years",
            display_name: "山田　花子".into(),
            first_month: MonthKey::new(2021, 8),
            counts: gap,
            english: false,
        },
        Case {
            name: "long-name",
            display_name: "とても長い名前のテスト".repeat(12),
            first_month: MonthKey::new(2024, 12),
            counts: steady.clone(),
            english: false,
        },
        Case {
            name: "english",
            display_name: "Jane Doe".into(),
            first_month: MonthKey::new(2024, 12),
            counts: steady.into_iter().chain([1234]).collect(),
            english: true,
        },
    ]
}

/// Every golden file's name and bytes.
fn render_all() -> Vec<(String, Vec<u8>)> {
    let builtin = Style::builtin();
    let english = Style::from_toml("locale = \"en\"\n", "english").unwrap();
    let variants = [Variant::Light, Variant::Dark];
    let mut out = Vec::new();
    for case in cases() {
        let input = ChartInput {
            display_name: &case.display_name,
            first_month: case.first_month,
            counts: &case.counts,
        };
        let style = if case.english { &english } else { &builtin };
        let pngs = render_pngs(&input, style, &variants).unwrap();
        let svgs = render_svgs(&input, style, &variants).unwrap();
        for (ext, images) in [("png", pngs), ("svg", svgs)] {
            for (variant, bytes) in variants.iter().zip(images) {
                out.push((format!("{}.{}.{ext}", case.name, variant.name()), bytes));
            }
        }
    }
    out
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The recorded renderer version and hashes (file name → SHA-256).
fn read_golden(path: &Path) -> (Option<u32>, BTreeMap<String, String>) {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut version = None;
    let mut hashes = BTreeMap::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        if let Some(v) = line.strip_prefix("renderer ") {
            version = v.trim().parse().ok();
        } else if let Some((hash, name)) = line.split_once("  ") {
            hashes.insert(name.to_owned(), hash.to_owned());
        }
    }
    (version, hashes)
}

fn write_golden(path: &Path, hashes: &BTreeMap<String, String>) {
    let mut text = format!(
        "# The SHA-256 of each golden chart of job/tests/golden_charts.rs as this renderer\n\
         # draws it. Rewritten by `UPDATE_GOLDEN=1 cargo test -p author-stats --test \
         golden_charts`,\n# which refuses unless RENDERER_VERSION (job/src/chart/mod.rs) was \
         bumped.\nrenderer {RENDERER_VERSION}\n"
    );
    for (name, hash) in hashes {
        text += &format!("{hash}  {name}\n");
    }
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// Where this run's charts are written to be looked at.
fn review_dir(files: &[(String, Vec<u8>)]) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("golden-charts");
    std::fs::create_dir_all(&dir).unwrap();
    for (name, bytes) in files {
        std::fs::write(dir.join(name), bytes).unwrap();
    }
    dir
}

#[test]
fn the_golden_charts_are_drawn_by_this_renderer_version() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(GOLDEN);
    let files = render_all();
    let actual: BTreeMap<String, String> = files
        .iter()
        .map(|(name, bytes)| (name.clone(), sha256_hex(bytes)))
        .collect();
    let (version, golden) = read_golden(&path);
    let differ: Vec<&str> = actual
        .iter()
        .filter(|(name, hash)| golden.get(*name) != Some(hash))
        .map(|(name, _)| name.as_str())
        .chain(
            golden
                .keys()
                .filter(|name| !actual.contains_key(*name))
                .map(String::as_str),
        )
        .collect();
    let same_version = version == Some(RENDERER_VERSION);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        assert!(
            !same_version || differ.is_empty(),
            "the charts are drawn differently ({}) but RENDERER_VERSION is still \
             {RENDERER_VERSION}: bump RENDERER_VERSION in job/src/chart/mod.rs (so every \
             published chart is redrawn once), then update the golden charts again",
            differ.join(", ")
        );
        write_golden(&path, &actual);
        return;
    }
    if same_version && differ.is_empty() {
        return;
    }
    let dir = review_dir(&files);
    let recorded = version.map_or("no renderer (no `renderer N` line)".to_owned(), |v| {
        format!("renderer {v}")
    });
    assert!(
        same_version,
        "RENDERER_VERSION is {RENDERER_VERSION} but {GOLDEN} records the charts of \
         {recorded}: look at this renderer's charts in {} and, if they are right, record them \
         with `UPDATE_GOLDEN=1 cargo test -p author-stats --test golden_charts`",
        dir.display()
    );
    panic!(
        "{} of the golden charts are drawn differently from what {GOLDEN} records for \
         renderer {RENDERER_VERSION} ({}): if the change is intended, bump RENDERER_VERSION \
         in job/src/chart/mod.rs (so every published chart is redrawn once), look at the new \
         charts in {}, then record them with `UPDATE_GOLDEN=1 cargo test -p author-stats \
         --test golden_charts`",
        differ.len(),
        differ.join(", "),
        dir.display()
    );
}

#[test]
fn the_golden_set_covers_every_format_and_variant() {
    let names: Vec<String> = render_all().into_iter().map(|(n, _)| n).collect();
    assert_eq!(names.len(), cases().len() * 4);
    for suffix in [".light.png", ".dark.png", ".light.svg", ".dark.svg"] {
        assert_eq!(
            names.iter().filter(|n| n.ends_with(suffix)).count(),
            cases().len()
        );
    }
}
