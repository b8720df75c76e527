//! One rendered author's published files (data-spec §7): the chart in each format and
//! variant of the style (`<slug>.png`, `<slug>.dark.png`, `<slug>.svg`, `<slug>.dark.svg`),
//! then `<slug>.stats.json` (the numbers as drawn, the summary sentence and each image's
//! SHA-256), and what `index.json` says about them.
//! Pure: the same author, style and `now` give the same bytes.

use std::collections::BTreeMap;

use anyhow::{Context, Result};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::chart::{self, ChartInput, Format, Style, Variant};
use crate::month::MonthKey;
use crate::publish::{content_type_of, AuthorFile, Chart};
use crate::slug::Slug;

/// An author to render: the chart's months, first through the month of `now`.
#[derive(Debug, Clone)]
pub struct Job {
    pub slug: Slug,
    pub display_name: String,
    pub first_month: MonthKey,
    /// Posts per month from `first_month` through the month of `now`, zeros included.
    pub counts: Vec<u32>,
}

/// One published file as `index.json` and `<slug>.stats.json` list it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRef {
    pub name: String,
    /// `light` or `dark` (images only).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub variant: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub width: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub height: Option<u32>,
    /// SHA-256 of the bytes, lower-case hex.
    pub sha256: String,
}

/// An author's files and what the index records of them.
pub struct Rendered {
    pub chart: Chart,
    /// Every file of `chart`, in order (the stats file last).
    pub files: Vec<FileRef>,
    pub summary: String,
}

/// `<slug>.stats.json`.
#[derive(Serialize)]
struct Stats<'a> {
    slug: &'a str,
    display_name: &'a str,
    total_posts: u64,
    first_month: MonthKey,
    last_month: MonthKey,
    /// The run's `now`, UTC text as in `index.json`.
    as_of: &'a str,
    /// Every month from `first_month` through the month of `as_of`, zeros included.
    monthly: BTreeMap<MonthKey, u32>,
    /// The 12-month average of every complete month, rounded to 2 decimals.
    trend: BTreeMap<MonthKey, f64>,
    summary: &'a str,
    /// The images, with their hashes.
    files: &'a [FileRef],
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `<slug>.<ext>` for light, `<slug>.<variant>.<ext>` otherwise.
pub fn image_name(slug: &Slug, variant: Variant, extension: &str) -> String {
    match variant {
        Variant::Light => format!("{slug}.{extension}"),
        other => format!("{slug}.{}.{extension}", other.name()),
    }
}

/// What follows `<slug>.` in the name of every file `style` makes of an author
/// (`png`, `dark.png`, …, `stats.json`).
pub fn file_suffixes(style: &Style) -> Vec<&'static str> {
    let mut suffixes = Vec::new();
    for &format in &style.formats {
        for &variant in &style.variants {
            suffixes.push(match (variant, format) {
                (Variant::Light, Format::Png) => "png",
                (Variant::Dark, Format::Png) => "dark.png",
                (Variant::Light, Format::Svg) => "svg",
                (Variant::Dark, Format::Svg) => "dark.svg",
            });
        }
    }
    suffixes.push("stats.json");
    suffixes
}

/// Render `job`'s files in `style`; `now` is the run's instant (`as_of` text) and `today`
/// its day in the run's zone.
pub fn author(job: &Job, style: &Style, now: &str, today: NaiveDate) -> Result<Rendered> {
    let input = ChartInput {
        display_name: &job.display_name,
        first_month: job.first_month,
        counts: &job.counts,
        as_of: today,
    };
    let mut files = Vec::new();
    let mut refs = Vec::new();
    for &format in &style.formats {
        // Every variant of a format comes from one drawing.
        let images = match format {
            Format::Png => chart::render_pngs(&input, style, &style.variants)
                .context("rendering the charts as png")?,
            Format::Svg => chart::render_svgs(&input, style, &style.variants)
                .context("rendering the charts as svg")?,
        };
        for (&variant, bytes) in style.variants.iter().zip(images) {
            let name = image_name(&job.slug, variant, format.extension());
            refs.push(FileRef {
                name: name.clone(),
                variant: Some(variant.name().to_owned()),
                width: Some(style.width),
                height: Some(style.height),
                sha256: sha256_hex(&bytes),
            });
            files.push(AuthorFile {
                content_type: content_type_of(&name),
                name,
                bytes,
            });
        }
    }
    let summary = chart::summary(&input, style);
    let json = stats_json(job, now, &summary, &refs)?;
    let name = format!("{}.stats.json", job.slug);
    refs.push(FileRef {
        name: name.clone(),
        variant: None,
        width: None,
        height: None,
        sha256: sha256_hex(&json),
    });
    files.push(AuthorFile {
        content_type: content_type_of(&name),
        name,
        bytes: json,
    });
    Ok(Rendered {
        chart: Chart {
            slug: job.slug.clone(),
            files,
        },
        files: refs,
        summary,
    })
}

/// The bytes of `<slug>.stats.json` for `job`, listing `images`.
pub fn stats_json(job: &Job, now: &str, summary: &str, images: &[FileRef]) -> Result<Vec<u8>> {
    let months: Vec<MonthKey> = std::iter::successors(Some(job.first_month), |m| Some(m.succ()))
        .take(job.counts.len())
        .collect();
    let last_month = months
        .iter()
        .zip(&job.counts)
        .rev()
        .find(|(_, &c)| c > 0)
        .map_or(job.first_month, |(m, _)| *m);
    let stats = Stats {
        slug: job.slug.as_str(),
        display_name: &job.display_name,
        total_posts: job.counts.iter().map(|&c| u64::from(c)).sum(),
        first_month: job.first_month,
        last_month,
        as_of: now,
        monthly: months
            .iter()
            .copied()
            .zip(job.counts.iter().copied())
            .collect(),
        trend: months
            .iter()
            .copied()
            .zip(chart::trend(&job.counts).into_iter().map(round2))
            .collect(),
        summary,
        files: images,
    };
    let mut json = serde_json::to_vec_pretty(&stats).context("writing the stats")?;
    json.push(b'\n');
    Ok(json)
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job() -> Job {
        Job {
            slug: Slug::parse("yamada").unwrap(),
            display_name: "山田太郎".into(),
            first_month: MonthKey::new(2025, 8),
            counts: vec![1, 2, 0, 4],
        }
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 11, 25).unwrap()
    }

    fn render(style: &Style) -> Rendered {
        author(&job(), style, "2025-11-25T00:00:00Z", today()).unwrap()
    }

    fn stats(r: &Rendered) -> serde_json::Value {
        serde_json::from_slice(&r.chart.files.last().unwrap().bytes).unwrap()
    }

    #[test]
    fn the_builtin_style_publishes_png_and_svg_in_light_and_dark_and_stats() {
        let names: Vec<String> = render(&Style::builtin())
            .chart
            .files
            .iter()
            .map(|f| format!("{} {}", f.name, f.content_type))
            .collect();
        assert_eq!(
            names,
            [
                "yamada.png image/png",
                "yamada.dark.png image/png",
                "yamada.svg image/svg+xml",
                "yamada.dark.svg image/svg+xml",
                "yamada.stats.json application/json"
            ]
        );
    }

    #[test]
    fn the_suffixes_are_those_of_the_files_rendered() {
        for text in ["", "variants = [\"light\"]\n", "formats = [\"svg\"]\n"] {
            let style = Style::from_toml(text, "s").unwrap();
            let names: Vec<String> = render(&style)
                .chart
                .files
                .iter()
                .map(|f| f.name.clone())
                .collect();
            let want: Vec<String> = file_suffixes(&style)
                .iter()
                .map(|s| format!("yamada.{s}"))
                .collect();
            assert_eq!(names, want, "{text}");
        }
    }

    #[test]
    fn a_light_only_style_publishes_no_dark_chart() {
        let style = Style::from_toml("variants = [\"light\"]\n", "s").unwrap();
        let r = render(&style);
        let names: Vec<&str> = r.chart.files.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["yamada.png", "yamada.svg", "yamada.stats.json"]);
    }

    #[test]
    fn a_png_only_style_publishes_no_svg() {
        let style = Style::from_toml("formats = [\"png\"]\n", "s").unwrap();
        let r = render(&style);
        assert!(r.chart.files.iter().all(|f| !f.name.ends_with(".svg")));
        assert_eq!(r.chart.files.len(), 3);
    }

    #[test]
    fn stats_hold_the_numbers_as_drawn() {
        let s = stats(&render(&Style::builtin()));
        assert_eq!(s["total_posts"], 7);
        assert_eq!(s["last_month"], "2025-11");
        assert_eq!(s["as_of"], "2025-11-25T00:00:00Z");
        assert_eq!(
            s["monthly"],
            serde_json::json!({"2025-08": 1, "2025-09": 2, "2025-10": 0, "2025-11": 4})
        );
        // Complete months only, averaged over the months so far: 1, 1.5, 1.
        assert_eq!(
            s["trend"],
            serde_json::json!({"2025-08": 1.0, "2025-09": 1.5, "2025-10": 1.0})
        );
        assert_eq!(
            s["summary"],
            "山田太郎さんは2025年8月から7件の記事を書いています。直近3か月は月平均1.0件です。"
        );
    }

    #[test]
    fn trend_values_are_rounded_to_two_decimals() {
        let mut j = job();
        j.counts = vec![1, 1, 0, 0];
        let r = author(&j, &Style::builtin(), "2025-11-25T00:00:00Z", today()).unwrap();
        assert_eq!(stats(&r)["trend"]["2025-10"], 0.67);
    }

    #[test]
    fn stats_list_each_image_with_its_sha256() {
        let r = render(&Style::builtin());
        let s = stats(&r);
        let files = s["files"].as_array().unwrap();
        assert_eq!(files.len(), 4);
        for (listed, file) in files.iter().zip(&r.chart.files) {
            assert_eq!(listed["name"], file.name.as_str());
            assert_eq!(listed["sha256"], sha256_hex(&file.bytes).as_str());
            assert_eq!(listed["width"], 1200);
        }
        assert_eq!(files[1]["variant"], "dark");
        assert_eq!(files[3]["name"], "yamada.dark.svg");
        assert_eq!(files[3]["variant"], "dark");
        assert_eq!(r.files.len(), 5, "the index also lists the stats file");
        assert_eq!(r.files[4].sha256, sha256_hex(&r.chart.files[4].bytes));
    }

    #[test]
    fn the_svg_describes_itself_with_the_stats_summary() {
        let r = render(&Style::builtin());
        let svg = std::str::from_utf8(&r.chart.files[2].bytes).unwrap();
        assert!(svg.contains(&format!("<desc id=\"desc\">{}</desc>", r.summary)));
        assert_eq!(stats(&r)["summary"], r.summary.as_str());
    }

    #[test]
    fn the_same_author_and_style_give_the_same_bytes() {
        let a = render(&Style::builtin());
        let b = render(&Style::builtin());
        for (x, y) in a.chart.files.iter().zip(&b.chart.files) {
            assert!(x.bytes == y.bytes, "{} differs", x.name);
        }
    }

    #[test]
    fn the_english_style_writes_an_english_summary() {
        let style = Style::from_toml("locale = \"en\"\n", "s").unwrap();
        assert_eq!(
            render(&style).summary,
            "山田太郎 has written 7 posts since Aug 2025. Over the last 3 months that is 1.0 \
             posts a month on average."
        );
    }
}
