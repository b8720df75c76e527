//! The seed-scale table of `cargo xtask bench`: the daily run and the 15-year backfill of the
//! release job (best of N), a bare inflate as the floor for ingest, the daily run as the
//! schedule runs it after that backfill (`daily`), the files and sizes the backfill writes, the render cost of each file an author gets (the `chart_timing`
//! example), and a run with 10× longer bodies to show memory does not grow with body size.

use std::fs;
use std::path::Path;
use std::process::Stdio;

use anyhow::{bail, Context, Result};
use contract::files::POSTS_FILE;

use super::daily;
use super::data_set::{SEED_SCALE, TEN_X_BODIES};
use super::measure::{best_of, files_ending, job_run, mib, pngs, verdict, Measured};
use super::out::Outputs;
use xtask_support::shell::{cargo, display};

/// The `key=value` words a release build of one of the job's examples prints on stdout.
fn example_output(example: &str, args: &[&str]) -> Result<Vec<(String, f64)>> {
    let mut cmd = cargo();
    cmd.args([
        "run",
        "--quiet",
        "--release",
        "--package",
        "author-stats",
        "--example",
        example,
        "--",
    ])
    .args(args);
    let line = display(&cmd);
    let out = cmd
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("cannot start `{line}`"))?;
    if !out.status.success() {
        bail!("`{line}` failed ({})", out.status);
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let mut values = Vec::new();
    for (key, value) in text.split_whitespace().filter_map(|w| w.split_once('=')) {
        let value: f64 = value
            .parse()
            .with_context(|| format!("`{line}` printed {key}={value}, not a number"))?;
        values.push((key.to_owned(), value));
    }
    if values.is_empty() {
        bail!("`{line}` printed no measurements: {text}");
    }
    Ok(values)
}

/// Inflate the posts file to nowhere with the job's library and buffer sizes, optimised as
/// the job is (the `bare_inflate` example; best of `runs`): the floor for ingest.
/// Returns the seconds and the raw bytes.
fn bare_inflate(path: &Path, runs: u32) -> Result<(f64, u64)> {
    let path = path.to_string_lossy();
    let values = example_output("bare_inflate", &[&path, &runs.to_string()])?;
    let get = |key: &str| {
        values
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| *v)
            .with_context(|| format!("the bare_inflate example printed no {key}"))
    };
    Ok((get("bare-inflate-seconds")?, get("raw-bytes")? as u64))
}

/// What the `chart_timing` example measures over its mix of 400 realistic series.
struct PerFormat {
    /// `(file kind, ms per chart on one thread)`, e.g. `("svg-dark", 0.41)`.
    costs: Vec<(String, f64)>,
    svg_average: f64,
    svg_largest: f64,
}

/// Single-thread render cost of each file an author gets and the SVG sizes.
fn per_format_cost() -> Result<PerFormat> {
    let mut costs = Vec::new();
    let (mut average, mut largest) = (0.0, 0.0);
    for (key, value) in example_output("chart_timing", &["400", "--per-format"])? {
        match key.as_str() {
            "svg-average-bytes" => average = value,
            "svg-largest-bytes" => largest = value,
            _ => costs.push((key, value)),
        }
    }
    if costs.is_empty() {
        bail!("the chart_timing example printed no per-format costs");
    }
    Ok(PerFormat {
        costs,
        svg_average: average,
        svg_largest: largest,
    })
}

/// What the seed-scale runs measured.
pub(super) struct Seed {
    gz_bytes: u64,
    raw_bytes: u64,
    inflate_s: f64,
    pub(super) daily: Measured,
    daily_charts: usize,
    daily_svgs: usize,
    backfill: Measured,
    /// The scheduled (`--changed`) runs after the backfill.
    scheduled: Vec<daily::Row>,
    /// PNGs, SVGs and stats files the backfill wrote.
    charts: usize,
    svgs: usize,
    stats_files: usize,
    png_bytes: u64,
    svg_bytes: u64,
    svg_largest: u64,
    formats: PerFormat,
}

/// One row of the table: what, the value, a verdict, and the target.
fn row(name: &str, value: String, target: &str, ok: bool) {
    println!("{name:<38} {value:>12} {:>12}  {target}", verdict(ok));
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1e6
}

impl Seed {
    /// The bare inflate, the daily run and the backfill (best of `runs` each), and the
    /// per-format render cost.
    pub(super) fn measure(job: &Path, data: &Path, outs: &Outputs, runs: u32) -> Result<Seed> {
        let posts = data.join(POSTS_FILE);
        let gz_bytes = fs::metadata(&posts)?.len();
        // At least five: a single inflate of the 55 MB file varies by a third from run to run.
        let (inflate_s, raw_bytes) = bare_inflate(&posts, runs.max(5))?;
        let (daily, out) = best_of(runs, outs, "daily", |out| job_run(job, data, out, 7))?;
        let (daily_charts, _) = pngs(&out)?;
        let (daily_svgs, _, _) = files_ending(&out, ".svg")?;
        let (backfill, out) = best_of(runs, outs, "backfill", |out| job_run(job, data, out, 5475))?;
        let (charts, png_bytes) = pngs(&out)?;
        let (svgs, svg_bytes, svg_largest) = files_ending(&out, ".svg")?;
        let (stats_files, _, _) = files_ending(&out, ".stats.json")?;
        let scheduled = daily::measure(job, data, outs, runs)?;
        Ok(Seed {
            gz_bytes,
            raw_bytes,
            inflate_s,
            daily,
            daily_charts,
            daily_svgs,
            backfill,
            scheduled,
            charts,
            svgs,
            stats_files,
            png_bytes,
            svg_bytes,
            svg_largest,
            formats: per_format_cost()?,
        })
    }

    /// The table: the data, the daily run, the backfill, the formats, peak memory.
    pub(super) fn print(&self) {
        println!(
            "\nauthor-stats bench (release, {} cores)",
            std::thread::available_parallelism().map_or(1, |n| n.get())
        );
        println!(
            "data: {} authors, {} posts, {:.1} MB gzip, {:.1} MB raw",
            SEED_SCALE.authors,
            SEED_SCALE.posts,
            mb(self.gz_bytes),
            mb(self.raw_bytes)
        );
        println!("{:<38} {:>12} {:>12}  target", "measure", "value", "");
        row(
            "bare inflate (flate2, zlib-rs, release)",
            format!("{:.3} s", self.inflate_s),
            "",
            true,
        );
        self.print_daily();
        self.print_backfill();
        self.print_formats();
        daily::print(&self.scheduled, self.inflate_s);
        let peak = self.scheduled.iter().map(|r| r.measured.max_rss_kib).fold(
            self.daily.max_rss_kib.max(self.backfill.max_rss_kib),
            u64::max,
        );
        row(
            "peak RSS (every run above)",
            format!("{:.1} MiB", mib(peak)),
            "≤ 48 MiB",
            mib(peak) <= 48.0,
        );
    }

    fn print_daily(&self) {
        let (daily, inflate_s) = (&self.daily, self.inflate_s);
        row(
            "daily run --days 7: wall",
            format!("{:.3} s", daily.wall.as_secs_f64()),
            "≤ 0.6 s",
            daily.wall.as_secs_f64() <= 0.6,
        );
        row(
            "daily run: PNGs + SVGs (light + dark)",
            format!("{} + {}", self.daily_charts, self.daily_svgs),
            "",
            true,
        );
        row(
            "daily run: ingest MB/s (raw)",
            format!("{:.0}", mb(self.raw_bytes) / daily.wall.as_secs_f64()),
            "",
            true,
        );
        // The schedule runs `--changed` (below, with the 1.3× target); `--days 7` is what an
        // `invoke` without a window runs, shown for comparison.
        row(
            "daily run --days 7 / bare inflate",
            format!("{:.2}×", daily.wall.as_secs_f64() / inflate_s),
            "",
            true,
        );
        // The daily run is ingest, then rendering: the guards need every post counted
        // before anything is drawn (data-spec §1). Its phases, from the job's own lines:
        if let (Some(posts), Some(charts)) = (daily.phase_secs("posts"), daily.phase_secs("charts"))
        {
            row(
                "daily: posts phase / bare inflate",
                format!("{posts:.2} s = {:.2}×", posts / inflate_s),
                "",
                true,
            );
            row(
                "daily: charts phase (render + write)",
                format!("{charts:.2} s"),
                "",
                true,
            );
        }
    }

    fn print_backfill(&self) {
        let backfill = &self.backfill;
        let render_share = backfill.wall.saturating_sub(self.daily.wall).as_secs_f64();
        row(
            "backfill --days 5475: wall",
            format!("{:.3} s", backfill.wall.as_secs_f64()),
            "≤ 2.5 s (every variant)",
            backfill.wall.as_secs_f64() <= 2.5,
        );
        row(
            "backfill: CPU time (user + system)",
            format!(
                "{:.2} + {:.2} s",
                (backfill.cpu - backfill.system).as_secs_f64(),
                backfill.system.as_secs_f64()
            ),
            "",
            true,
        );
        row(
            "backfill: PNGs + SVGs + stats",
            format!("{} + {} + {}", self.charts, self.svgs, self.stats_files),
            "",
            true,
        );
        row(
            "backfill: PNGs/s (whole run)",
            format!("{:.0}", self.charts as f64 / backfill.wall.as_secs_f64()),
            "",
            true,
        );
        row(
            "backfill: PNGs/s (beyond daily run)",
            format!(
                "{:.0}",
                (self.charts - self.daily_charts) as f64 / render_share.max(1e-9)
            ),
            "",
            true,
        );
    }

    fn print_formats(&self) {
        let avg_png = self.png_bytes as f64 / self.charts.max(1) as f64;
        let avg_svg = self.svg_bytes as f64 / self.svgs.max(1) as f64;
        row(
            "average PNG",
            format!("{:.1} KB", avg_png / 1000.0),
            "≤ 16 KB",
            avg_png <= 16_000.0,
        );
        row(
            "average SVG (largest)",
            format!(
                "{:.1} KB ({:.1})",
                avg_svg / 1000.0,
                self.svg_largest as f64 / 1000.0
            ),
            "≤ 20 KB before compression",
            avg_svg <= SVG_AVERAGE_BYTES,
        );
        for (name, ms) in &self.formats.costs {
            row(
                &format!("render {name}: ms/chart, 1 thread"),
                format!("{ms:.2}"),
                "",
                true,
            );
        }
        row(
            "mixed sample: average SVG (largest)",
            format!(
                "{:.1} KB ({:.1})",
                self.formats.svg_average / 1000.0,
                self.formats.svg_largest / 1000.0
            ),
            "≤ 20 KB before compression",
            self.formats.svg_average <= SVG_AVERAGE_BYTES,
        );
    }
}

/// The SVG's average size before compression (issue "Charts that change only when their
/// data does": the hover titles, a month and its count per bar, within 20 KB).
const SVG_AVERAGE_BYTES: f64 = 20_000.0;

/// The daily run on 10× longer bodies: its peak memory must stay near the seed's.
pub(super) fn ten_x_bodies(job: &Path, outs: &Outputs, daily: &Measured) -> Result<()> {
    let data10 = TEN_X_BODIES.ensure()?;
    let (run10, _) = best_of(1, outs, "10x-bodies-daily", |out| {
        job_run(job, &data10, out, 7)
    })?;
    let gz10 = fs::metadata(data10.join(POSTS_FILE))?.len();
    row(
        "10× bodies daily: wall",
        format!("{:.3} s", run10.wall.as_secs_f64()),
        &format!("({:.0} MB gzip)", mb(gz10)),
        true,
    );
    row(
        "10× bodies daily: peak RSS",
        format!("{:.1} MiB", mib(run10.max_rss_kib)),
        "≈ 1× run (no growth)",
        mib(run10.max_rss_kib) <= mib(daily.max_rss_kib) * 1.25 + 4.0,
    );
    Ok(())
}
