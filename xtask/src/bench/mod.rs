//! `cargo xtask bench`: speed and memory of the release job on seed-scale data, printed
//! against the targets (never asserted). Generates the data once under `target/bench/`,
//! times the daily run and the 15-year backfill (every format and variant), a bare inflate
//! for comparison, the render cost of each file an author gets (PNG and SVG, light and dark,
//! stats JSON), and a run with 10× longer bodies to show memory does not grow with body size.

use std::fs;
use std::path::Path;
use std::process::Stdio;

use anyhow::{bail, Context, Result};
use contract::files::POSTS_FILE;

mod bombs;
mod data_set;
mod fanout;
mod measure;
mod out;
mod s3;
mod scale;

use crate::job_binary;
use data_set::{SEED_SCALE, TEN_X_BODIES};
use measure::{best_of, files_ending, job_run, mib, pngs, verdict};
use out::Outputs;
use xtask_support::shell::{cargo, display};

#[derive(clap::Args)]
pub struct Bench {
    /// Repetitions per measurement (the best is reported).
    #[arg(long, default_value_t = 3)]
    runs: u32,
    /// Skip the 10× body-length memory run (its data set is ~2 GB raw).
    #[arg(long)]
    skip_10x: bool,
    /// Also measure publishing to S3 against a local moto server.
    #[arg(long)]
    s3: bool,
    /// Also run the daily run and the backfill on N× the seed data (N× authors and posts;
    /// repeatable, e.g. --scale 10 --scale 100; 100× is ~5.5 GB of gzip, generated once).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1000))]
    scale: Vec<u32>,
    /// With --scale: also run each scale's backfill as the fan-out (count, K render
    /// processes at a time, finish) and compare it with the single run (data-spec §9).
    #[arg(long, value_name = "K", requires = "scale", value_parser = clap::value_parser!(u32).range(1..=64))]
    fan_out: Option<u32>,
    /// Also measure peak memory on hostile input: a gzip bomb without a newline, a 15 MB
    /// display name, and oversized files in the output folder and as `--style`.
    #[arg(long)]
    bombs: bool,
}

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

impl Bench {
    pub fn run(self) -> Result<()> {
        let job = job_binary::build(job_binary::Build::Shipped)?;
        let data = SEED_SCALE.ensure()?;
        let posts = data.join(POSTS_FILE);
        let gz_bytes = fs::metadata(&posts)?.len();
        // At least five: a single inflate of the 55 MB file varies by a third from run to run.
        let (inflate_s, raw_bytes) = bare_inflate(&posts, self.runs.max(5))?;
        let outs = Outputs::new()?;

        let (daily, out) = best_of(self.runs, &outs, "daily", |out| {
            job_run(&job, &data, out, 7)
        })?;
        let (daily_charts, _) = pngs(&out)?;
        let (daily_svgs, _, _) = files_ending(&out, ".svg")?;
        let (backfill, out) = best_of(self.runs, &outs, "backfill", |out| {
            job_run(&job, &data, out, 5475)
        })?;
        let (charts, png_bytes) = pngs(&out)?;
        let (svgs, svg_bytes, svg_largest) = files_ending(&out, ".svg")?;
        let (stats_files, _, _) = files_ending(&out, ".stats.json")?;
        let avg_png = png_bytes as f64 / charts.max(1) as f64;
        let avg_svg = svg_bytes as f64 / svgs.max(1) as f64;
        let sample = per_format_cost()?;
        let render_share = backfill.wall.saturating_sub(daily.wall).as_secs_f64();

        let mb = |b: u64| b as f64 / 1e6;
        println!(
            "\nauthor-stats bench (release, {} cores)",
            std::thread::available_parallelism().map_or(1, |n| n.get())
        );
        println!(
            "data: {} authors, {} posts, {:.1} MB gzip, {:.1} MB raw",
            SEED_SCALE.authors,
            SEED_SCALE.posts,
            mb(gz_bytes),
            mb(raw_bytes)
        );
        println!("{:<38} {:>12} {:>12}  target", "measure", "value", "");
        let row = |name: &str, value: String, target: &str, ok: bool| {
            println!("{name:<38} {value:>12} {:>12}  {target}", verdict(ok));
        };
        row(
            "bare inflate (flate2, zlib-rs, release)",
            format!("{inflate_s:.3} s"),
            "",
            true,
        );
        row(
            "daily run --days 7: wall",
            format!("{:.3} s", daily.wall.as_secs_f64()),
            "≤ 0.6 s",
            daily.wall.as_secs_f64() <= 0.6,
        );
        row(
            "daily run: PNGs + SVGs (light + dark)",
            format!("{daily_charts} + {daily_svgs}"),
            "",
            true,
        );
        row(
            "daily run: ingest MB/s (raw)",
            format!("{:.0}", mb(raw_bytes) / daily.wall.as_secs_f64()),
            "",
            true,
        );
        row(
            "daily run / bare inflate",
            format!("{:.2}×", daily.wall.as_secs_f64() / inflate_s),
            "≤ 1.3× (ingest, every variant)",
            daily.wall.as_secs_f64() / inflate_s <= 1.3,
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
            format!("{charts} + {svgs} + {stats_files}"),
            "",
            true,
        );
        row(
            "backfill: PNGs/s (whole run)",
            format!("{:.0}", charts as f64 / backfill.wall.as_secs_f64()),
            "",
            true,
        );
        row(
            "backfill: PNGs/s (beyond daily run)",
            format!(
                "{:.0}",
                (charts - daily_charts) as f64 / render_share.max(1e-9)
            ),
            "",
            true,
        );
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
                svg_largest as f64 / 1000.0
            ),
            "≤ 16 KB before compression",
            avg_svg <= 16_000.0,
        );
        for (name, ms) in &sample.costs {
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
                sample.svg_average / 1000.0,
                sample.svg_largest / 1000.0
            ),
            "≤ 16 KB",
            sample.svg_average <= 16_000.0,
        );
        let peak = daily.max_rss_kib.max(backfill.max_rss_kib);
        row(
            "peak RSS (daily, backfill)",
            format!("{:.1} MiB", mib(peak)),
            "≤ 48 MiB",
            mib(peak) <= 48.0,
        );

        if !self.skip_10x {
            let data10 = TEN_X_BODIES.ensure()?;
            let (run10, _) = best_of(1, &outs, "10x-bodies-daily", |out| {
                job_run(&job, &data10, out, 7)
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
        }
        if self.s3 {
            s3::run(&job, &data)?;
        }
        for &n in &self.scale {
            match self.fan_out {
                Some(k) => fanout::run(&job, &outs, n, k)?,
                None => scale::run(&job, &outs, n)?,
            }
        }
        if self.bombs {
            bombs::run(&job)?;
        }
        println!("(a seaborn-based Python job: ~180 s and ~600 MiB for the backfill on this data)");
        outs.clean_up()
    }
}
