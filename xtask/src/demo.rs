//! `cargo xtask demo`: the README's "run it" command. Writes the built-in sample export to
//! `target/demo/input/`, runs the job on it into `target/demo/charts/`, and writes a plain
//! HTML gallery (`target/demo/charts/index.html`, no network) of the rendered charts: each
//! author's PNG and SVG side by side, light or dark by `prefers-color-scheme`; every text of
//! the page in both schemes meets WCAG AA contrast (xtask/tests/browser/gallery_contrast.rs).

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use contract::defaults::SAMPLE_NOW;
use contract::files::{AUTHORS_FILE, INDEX_FILE, POSTS_FILE};
use sample::SampleSpec;
use serde_json::Value;

use crate::job_binary;
use xtask_support::shell::{project_root, run};

#[derive(clap::Args)]
pub struct Demo {
    /// Active window in days (7 = the daily run, 5475 = the 15-year backfill).
    #[arg(long, default_value_t = contract::defaults::ACTIVE_DAYS)]
    days: u32,
    /// Authors in the sample.
    #[arg(long, default_value_t = SampleSpec::default().authors)]
    authors: usize,
    /// Post lines in the sample.
    #[arg(long, default_value_t = SampleSpec::default().posts)]
    posts: usize,
    /// Include every kind of bad record spec/data-spec.md names.
    #[arg(long)]
    dirty: bool,
}

impl Demo {
    pub fn run(self) -> Result<()> {
        let job = job_binary::build(job_binary::Build::Core)?;
        let root = project_root().join("target").join("demo");
        let input = root.join("input");
        let charts = root.join("charts");
        // A fresh output folder each time: a demo of another size would otherwise meet the
        // publish guards (a shrunken listing) of the previous one.
        if charts.exists() {
            fs::remove_dir_all(&charts)
                .with_context(|| format!("cannot clear {}", charts.display()))?;
        }
        let spec = SampleSpec {
            authors: self.authors,
            posts: self.posts,
            dirty: self.dirty,
            ..SampleSpec::default()
        };
        crate::sample::write(&input, &spec)?;
        run(std::process::Command::new(&job)
            .arg("run")
            .arg("--posts")
            .arg(input.join(POSTS_FILE))
            .arg("--authors")
            .arg(input.join(AUTHORS_FILE))
            .arg("--out")
            .arg(&charts)
            .args(["--days", &self.days.to_string(), "--now", SAMPLE_NOW]))?;
        let gallery = write_gallery(&charts)?;
        println!("\nGallery: {}", gallery.display());
        Ok(())
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Write `index.html` beside `index.json`, one figure per rendered chart.
pub fn write_gallery(charts: &Path) -> Result<PathBuf> {
    let index_path = charts.join(INDEX_FILE);
    let index: Value = serde_json::from_slice(
        &fs::read(&index_path).with_context(|| format!("reading {}", index_path.display()))?,
    )
    .with_context(|| format!("{} is not JSON", index_path.display()))?;
    let authors = index["authors"].as_array().cloned().unwrap_or_default();
    let rendered: Vec<&Value> = authors.iter().filter(|a| a["rendered"] == true).collect();

    let mut html = String::from(
        "<!doctype html>\n<html lang=\"ja\"><head><meta charset=\"utf-8\">\
         <title>author-stats demo</title><style>\
         :root{color-scheme:light dark}\
         body{font-family:system-ui,sans-serif;margin:2rem;background:#f6f7f9;color:#222}\
         a{color:#1d4ed8}a:visited{color:#6d28d9}\
         figure{background:#fff;margin:0 0 2rem;padding:1rem;border-radius:8px;box-shadow:0 1px 3px #0002}\
         img{max-width:100%;height:auto}figcaption{margin-top:.5rem;color:#555}\
         .pair{display:grid;grid-template-columns:repeat(auto-fit,minmax(380px,1fr));gap:1rem}\
         .format{font-size:.85rem;color:#666}\
         code{background:#eee;color:#222;padding:0 .2em}\
         @media (prefers-color-scheme: dark){body{background:#0b1220;color:#ddd}\
         a{color:#93c5fd}a:visited{color:#c4b5fd}\
         figure{background:#111827;box-shadow:0 1px 3px #0008}figcaption{color:#b6bdc8}\
         .format{color:#9ca3af}code{background:#1f2937;color:#e5e7eb}}\
         </style></head><body>\n",
    );
    let _ = writeln!(
        html,
        "<h1>author-stats demo</h1><p>{} of {} listed authors active in the {} days up to {} ({}).</p>",
        rendered.len(),
        authors.len(),
        index["active_days"],
        escape(index["now"].as_str().unwrap_or("")),
        escape(index["timezone"].as_str().unwrap_or("")),
    );
    let _ = writeln!(
        html,
        "<p>Skipped: <code>{}</code></p>",
        escape(&index["skipped"].to_string())
    );
    for author in rendered {
        let slug = escape(author["slug"].as_str().unwrap_or(""));
        let name = escape(author["display_name"].as_str().unwrap_or(""));
        // The embed a site pastes: dark variant by `prefers-color-scheme`, the summary as
        // alt text (spec/chart-style.md); the PNG and, when published, the SVG side by side.
        let alt = author["summary"]
            .as_str()
            .map_or_else(|| name.clone(), escape);
        let published: Vec<&str> = author["files"]
            .as_array()
            .map(|files| files.iter().filter_map(|f| f["name"].as_str()).collect())
            .unwrap_or_default();
        let _ = write!(html, "<figure><div class=\"pair\">");
        for ext in ["png", "svg"] {
            if !published.contains(&format!("{slug}.{ext}").as_str()) {
                continue;
            }
            let dark = format!("{slug}.dark.{ext}");
            let source = if published.contains(&dark.as_str()) {
                format!("<source srcset=\"{dark}\" media=\"(prefers-color-scheme: dark)\">")
            } else {
                String::new()
            };
            let _ = write!(
                html,
                "<div><picture>{source}<img src=\"{slug}.{ext}\" alt=\"{alt}\" width=\"1200\" \
                 height=\"600\" loading=\"lazy\"></picture><div class=\"format\">\
                 <a href=\"{slug}.{ext}\">{ext}</a> · <a href=\"{dark}\">dark</a></div></div>",
            );
        }
        let _ = writeln!(
            html,
            "</div><figcaption><b>{name}</b> ({slug}) — {total} posts, {first} to {last} · \
             <a href=\"{slug}.stats.json\">stats.json</a></figcaption></figure>",
            total = author["total_posts"],
            first = escape(author["first_month"].as_str().unwrap_or("")),
            last = escape(author["last_month"].as_str().unwrap_or("")),
        );
    }
    html.push_str("</body></html>\n");
    let path = charts.join("index.html");
    fs::write(&path, html).with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}
