//! `cargo xtask bench`: speed and memory of the release job on seed-scale data, printed
//! against the targets (never asserted). Generates the data once under `target/bench/`,
//! times the daily run and the 15-year backfill (every format and variant), a bare inflate
//! for comparison, the render cost of each file an author gets (PNG and SVG, light and dark,
//! stats JSON), and a run with 10× longer bodies to show memory does not grow with body size.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use contract::defaults::SAMPLE_NOW;
use contract::files::{AUTHORS_FILE, POSTS_FILE};
use sample::SampleSpec;

use crate::bench_out::Outputs;
use crate::demo::build_job;
use crate::shell::{cargo, display, project_root};

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
    /// Also measure peak memory on hostile input: a gzip bomb without a newline and a
    /// 20 MB display name.
    #[arg(long)]
    bombs: bool,
}

/// A data set: the sample spec, generated once under `target/bench/<name>/`.
pub(crate) struct DataSet {
    pub(crate) name: &'static str,
    pub(crate) authors: usize,
    pub(crate) posts: usize,
    pub(crate) body_bytes: usize,
}

pub(crate) const SEED_SCALE: DataSet = DataSet {
    name: "seed-1x",
    authors: 1056,
    posts: 60_000,
    body_bytes: 3000,
};
const TEN_X_BODIES: DataSet = DataSet {
    name: "seed-10x-bodies",
    authors: 1056,
    posts: 60_000,
    body_bytes: 30_000,
};

impl DataSet {
    /// The folder of the data set, generated when missing or made from another spec.
    pub(crate) fn ensure(&self) -> Result<PathBuf> {
        self.ensure_in(self.name)
    }

    /// [`DataSet::ensure`] in `target/bench/<folder>/`.
    pub(crate) fn ensure_in(&self, folder: &str) -> Result<PathBuf> {
        let dir = project_root().join("target/bench").join(folder);
        let stamp = dir.join(".spec");
        let spec = format!(
            "{} {} {} {SAMPLE_NOW}",
            self.authors, self.posts, self.body_bytes
        );
        if fs::read_to_string(&stamp).is_ok_and(|s| s == spec) {
            return Ok(dir);
        }
        let started = Instant::now();
        // In a child process (`cargo xtask sample`): generating grows this process, and a
        // child's peak RSS as `wait4` reports it includes the parent's pages it was forked
        // with, so every job measured afterwards would seem as large.
        let exe = std::env::current_exe().context("finding the xtask executable")?;
        let defaults = SampleSpec::default();
        crate::shell::run(
            Command::new(exe)
                .arg("sample")
                .arg("--out")
                .arg(&dir)
                .args(["--authors", &self.authors.to_string()])
                .args(["--posts", &self.posts.to_string()])
                .args(["--body-bytes", &self.body_bytes.to_string()])
                .args(["--seed", &defaults.seed.to_string(), "--until", SAMPLE_NOW]),
        )?;
        fs::write(&stamp, spec)?;
        eprintln!(
            "generated {} in {:.1} s",
            self.name,
            started.elapsed().as_secs_f64()
        );
        Ok(dir)
    }
}

/// Wall time, CPU time (user + system) and peak resident memory of one child process.
pub(crate) struct Measured {
    pub(crate) wall: Duration,
    pub(crate) cpu: Duration,
    /// The part of `cpu` spent in the kernel (file creation, renames, page faults).
    pub(crate) system: Duration,
    pub(crate) max_rss_kib: u64,
    /// What it printed on stderr (with `CI=true`, the job's plain progress lines).
    pub(crate) stderr: String,
}

impl Measured {
    /// Seconds of the job phase `label` from its progress line `<label>: … in <secs> s`.
    pub(crate) fn phase_secs(&self, label: &str) -> Option<f64> {
        self.stderr.lines().find_map(|line| {
            let rest = line.strip_prefix(label)?.strip_prefix(": ")?;
            let (_, secs) = rest.rsplit_once(" in ")?;
            secs.strip_suffix(" s")?.parse().ok()
        })
    }
}

/// Run `cmd` to completion (stdout discarded, stderr kept) and measure it.
// The one `unsafe` of the workspace: `wait4`, for the child's peak RSS (SAFETY below).
#[allow(unsafe_code)]
pub(crate) fn measure(cmd: &mut Command) -> Result<Measured> {
    let line = display(cmd);
    let started = Instant::now();
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .env("CI", "true")
        .spawn()
        .with_context(|| format!("cannot start `{line}`"))?;
    let pid = child.id() as libc::pid_t;
    // Read stderr while the child runs, so a chatty child never blocks on a full pipe.
    let reader = child.stderr.take().map(|mut err| {
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = io::Read::read_to_string(&mut err, &mut text);
            text
        })
    });
    let mut status: libc::c_int = 0;
    // SAFETY: `rusage` is plain old data, so a zeroed value is valid; `wait4` writes into
    // the two out-pointers, which point at live locals of the right types. The child is
    // ours and not waited for elsewhere (we never call `child.wait`).
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = started.elapsed();
    if rc != pid {
        bail!(
            "waiting for `{line}` failed: {}",
            io::Error::last_os_error()
        );
    }
    let stderr = reader.and_then(|r| r.join().ok()).unwrap_or_default();
    if !(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0) {
        bail!("`{line}` failed (status {status}): {stderr}");
    }
    let time = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    Ok(Measured {
        wall,
        cpu: time(usage.ru_utime) + time(usage.ru_stime),
        system: time(usage.ru_stime),
        max_rss_kib: usage.ru_maxrss as u64,
        stderr,
    })
}

/// Best (fastest) of `runs` measurements, each writing into a fresh folder of `outs`; peak
/// memory is the largest seen. Returns the last run's folder too.
fn best_of(
    runs: u32,
    outs: &Outputs,
    what: &str,
    mut make: impl FnMut(&Path) -> Command,
) -> Result<(Measured, PathBuf)> {
    let mut best: Option<Measured> = None;
    let mut max_rss = 0;
    let mut out = PathBuf::new();
    for _ in 0..runs.max(1) {
        out = outs.fresh(what);
        let m = measure(&mut make(&out))?;
        max_rss = max_rss.max(m.max_rss_kib);
        if best.as_ref().is_none_or(|b| m.wall < b.wall) {
            best = Some(m);
        }
    }
    let mut best = best.expect("at least one run");
    best.max_rss_kib = max_rss;
    Ok((best, out))
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

/// `author-stats run` on a data set into `out` (a fresh folder of [`Outputs`]), at the
/// sample's `--now`.
pub(crate) fn job_run(job: &Path, data: &Path, out: &Path, days: u32) -> Command {
    let mut cmd = Command::new(job);
    cmd.arg("run")
        .arg("--posts")
        .arg(data.join(POSTS_FILE))
        .arg("--authors")
        .arg(data.join(AUTHORS_FILE))
        .arg("--out")
        .arg(out)
        .args(["--days", &days.to_string(), "--now", SAMPLE_NOW]);
    cmd
}

/// Number and total size of the PNGs in `dir`.
pub(crate) fn pngs(dir: &Path) -> Result<(usize, u64)> {
    let (count, bytes, _) = files_ending(dir, ".png")?;
    Ok((count, bytes))
}

/// Number, total size and largest size of the files in `dir` whose names end in `suffix`.
pub(crate) fn files_ending(dir: &Path, suffix: &str) -> Result<(usize, u64, u64)> {
    let (mut count, mut bytes, mut largest) = (0, 0, 0);
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_name().to_string_lossy().ends_with(suffix) {
            let len = entry.metadata()?.len();
            count += 1;
            bytes += len;
            largest = largest.max(len);
        }
    }
    Ok((count, bytes, largest))
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

pub(crate) fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

pub(crate) fn verdict(ok: bool) -> &'static str {
    if ok {
        "ok"
    } else {
        "MISSED"
    }
}

impl Bench {
    pub fn run(self) -> Result<()> {
        let job = build_job(true)?;
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
            crate::bench_s3::run(&job, &data)?;
        }
        for &n in &self.scale {
            match self.fan_out {
                Some(k) => crate::bench_fanout::run(&job, &outs, n, k)?,
                None => crate::bench_scale::run(&job, &outs, n)?,
            }
        }
        if self.bombs {
            crate::bench_bombs::run(&job)?;
        }
        println!("(a seaborn-based Python job: ~180 s and ~600 MiB for the backfill on this data)");
        outs.clean_up()
    }
}
