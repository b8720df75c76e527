//! `cargo xtask bench --s3`: publishing speed and S3 request counts of the release job
//! against a local moto server (127.0.0.1 only). Uploads the bench data set to a source
//! bucket, publishes every chart to an empty prefix, then reruns with nothing changed and
//! counts the requests of each run from moto's request log (one line per request).
//! Then ingest: the daily run reads the export through `testkit`'s fault proxy as a throttled
//! link (per connection), with one GET and with ranged GETs, at 1× and 10×, from moto and
//! from `testkit`'s file origin (moto builds the whole object for every ranged GET), next to
//! the same run on local files, whose outputs must be byte-identical.
//! Prints figures, asserts nothing; moto's speed bounds the charts/s figure.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use contract::defaults::{self, SAMPLE_NOW};
use contract::files::{AUTHORS_FILE, DEFAULT_CHARTS_PREFIX, POSTS_FILE};
use serde_json::Value;
use testkit::fault_proxy::{FaultProxy, Link};
use testkit::range_origin::RangeOrigin;

use super::measure::{job_run, measure, mib, verdict, Measured as Job};
use super::moto::Moto;
use super::scale::scaled;
use xtask_support::python::install_moto;
use xtask_support::shell::{display, project_root};

const SOURCE_BUCKET: &str = "bench-export";
const CHARTS_BUCKET: &str = "bench-charts";
/// 15 years: every author with posts is rendered, so the first run publishes ~all charts.
const BACKFILL_DAYS: &str = "5475";
const DAILY_DAYS: &str = "7";

/// Publish `data_dir`'s export with `binary` to moto and print the figures.
pub(super) fn run(binary: &Path, data_dir: &Path) -> Result<()> {
    let moto = Moto::start(&install_moto()?, "s3-bench")?;
    moto.create_bucket(SOURCE_BUCKET)?;
    moto.create_bucket(CHARTS_BUCKET)?;
    for name in [POSTS_FILE, AUTHORS_FILE] {
        moto.put_file(&format!("/{SOURCE_BUCKET}/{name}"), &data_dir.join(name))?;
    }

    let first = measure_publish(&moto, binary, BACKFILL_DAYS)?;
    let rerun = measure_publish(&moto, binary, BACKFILL_DAYS)?;
    let daily = measure_publish(&moto, binary, DAILY_DAYS)?;

    println!(
        "\nS3 publish bench: {} → moto on 127.0.0.1, default upload concurrency",
        binary.display()
    );
    println!(
        "{:<44} {:>8} {:>9} {:>9} {:>5} {:>5} {:>5} {:>6}",
        "run", "wall", "publish", "charts/s", "GET", "LIST", "PUT", "total"
    );
    for (name, m) in [
        ("first publish, --days 5475 (empty prefix)", &first),
        ("rerun, nothing changed, --days 5475", &rerun),
        ("daily run, nothing changed, --days 7", &daily),
    ] {
        let publish = m
            .publish
            .map_or("n/a".to_owned(), |p| format!("{:.2} s", p));
        let rate = m
            .publish
            .filter(|p| *p > 0.0 && m.written > 0)
            .map_or("-".to_owned(), |p| format!("{:.0}", m.written as f64 / p));
        println!(
            "{name:<44} {:>6.2} s {publish:>9} {rate:>9} {:>5} {:>5} {:>5} {:>6}",
            m.wall.as_secs_f64(),
            m.requests.get("GET").copied().unwrap_or(0),
            m.requests.get("LIST").copied().unwrap_or(0),
            m.requests.get("PUT").copied().unwrap_or(0),
            m.total(),
        );
    }
    println!(
        "charts: {} rendered, {} uploaded by the first run; {} uploaded by the rerun ({} unchanged)",
        first.rendered, first.written, rerun.written, rerun.unchanged
    );
    let per_1000 = |n: u64| n as f64 * 1000.0 / rerun.rendered.max(1) as f64;
    println!(
        "unchanged rerun: {} list + {} PUT requests for {} charts = {:.1} list + {:.1} PUT per 1000 \
         charts (goal ≤ 2 list + 1 index PUT per 1000), plus {} GETs of the export",
        rerun.requests.get("LIST").copied().unwrap_or(0),
        rerun.requests.get("PUT").copied().unwrap_or(0),
        rerun.rendered,
        per_1000(rerun.requests.get("LIST").copied().unwrap_or(0)),
        per_1000(rerun.requests.get("PUT").copied().unwrap_or(0)),
        rerun.requests.get("GET").copied().unwrap_or(0),
    );
    ingest(binary, &moto, data_dir)
}

/// What one S3 connection of the ingest bench carries: in the 10–40 MiB/s that public
/// reports give for one streamed `GetObject`, with a first-byte latency like S3's.
const LINK_BYTES_PER_SEC: u64 = 20 << 20;
const LINK_FIRST_BYTE: Duration = Duration::from_millis(30);
/// Where the ingest runs write (a daily run's few hundred files), emptied before and after.
const INGEST_OUT: &str = "target/bench/s3-ingest-out";
/// The bucket name the file origin is asked for (it serves any).
const ORIGIN_BUCKET: &str = "bench-origin";

/// One measured ingest run.
struct IngestRow {
    label: String,
    job: Job,
    /// Same files with the same bytes as the local-file run.
    identical: bool,
    /// CPU seconds of the upstream (moto; `None` for the origin, which runs in this
    /// process) and of this process (the proxy, and the origin) during the run.
    upstream_cpu: Option<f64>,
    own_cpu: Option<f64>,
}

/// The daily run reading the 1× and 10× exports through a throttled link, with one GET and
/// with ranged GETs, from moto and from `testkit`'s file origin, next to the same run on
/// local files. moto builds the whole object for every ranged GET (its CPU column), so the
/// link alone is measured against the origin, which reads only the bytes asked for.
fn ingest(binary: &Path, moto: &Moto, seed: &Path) -> Result<()> {
    let out_root = project_root().join(INGEST_OUT);
    let _ = fs::remove_dir_all(&out_root);
    let ten = scaled(10).ensure_in("seed-10x")?;
    println!(
        "\nS3 ingest bench: daily run (--days 7), export read through a link of {} MiB/s and {} ms \
         to the first byte per connection, from moto and from a file origin (testkit)",
        LINK_BYTES_PER_SEC >> 20,
        LINK_FIRST_BYTE.as_millis()
    );
    println!(
        "{:<44} {:>7} {:>7} {:>6} {:>9} {:>5}  CPU s: job + upstream + proxy",
        "run", "wall", "posts", "MiB/s", "peak RSS", "same"
    );
    let mut n = 0;
    for (scale, data) in [("1×", seed), ("10×", ten.as_path())] {
        let bucket = format!("bench-ingest-{}", scale.trim_end_matches('×'));
        moto.create_bucket(&bucket)?;
        for name in [POSTS_FILE, AUTHORS_FILE] {
            moto.put_file(&format!("/{bucket}/{name}"), &data.join(name))?;
        }
        let origin = RangeOrigin::start(data);
        let gz_mib = fs::metadata(data.join(POSTS_FILE))?.len() as f64 / f64::from(1 << 20);
        n += 1;
        let local_out = out_root.join(format!("{n:02}-local"));
        let local = measure(&mut job_run(binary, data, &local_out, 7))?;
        let mut rows = vec![IngestRow {
            label: format!("{scale} local files"),
            job: local,
            identical: true,
            upstream_cpu: None,
            own_cpu: None,
        }];
        let from_moto = Upstream {
            name: "moto",
            endpoint: moto.endpoint(),
            bucket: bucket.clone(),
        };
        let from_origin = Upstream {
            name: "file origin",
            endpoint: origin.endpoint.clone(),
            bucket: ORIGIN_BUCKET.to_owned(),
        };
        let ranged = defaults::DOWNLOAD_CONCURRENCY;
        for (upstream, concurrency, link) in [
            (&from_moto, 1, true),
            (&from_moto, ranged, true),
            (&from_origin, 1, true),
            (&from_origin, ranged, true),
            (&from_origin, ranged, false),
        ] {
            n += 1;
            let out = out_root.join(format!("{n:02}-s3"));
            let mut row = read_through(binary, moto, upstream, concurrency, link, &out)?;
            row.label = format!("{scale} {}", row.label);
            row.identical = same_files(&local_out, &out)?;
            rows.push(row);
        }
        for row in &rows {
            let posts = row.job.phase_secs("posts");
            let cpu = |v: Option<f64>| v.map_or("-".to_owned(), |v| format!("{v:.2}"));
            println!(
                "{:<44} {:>5.2} s {:>7} {:>6} {:>5.1} MiB {:>5}  {:.2} + {} + {}",
                row.label,
                row.job.wall.as_secs_f64(),
                posts.map_or("-".to_owned(), |p| format!("{p:.2} s")),
                posts.map_or("-".to_owned(), |p| format!("{:.0}", gz_mib / p)),
                mib(row.job.max_rss_kib),
                if row.identical { "yes" } else { "NO" },
                row.job.cpu.as_secs_f64(),
                cpu(row.upstream_cpu),
                cpu(row.own_cpu),
            );
        }
        let posts = |i: usize| rows[i].job.phase_secs("posts").unwrap_or(f64::NAN);
        let (moto_gain, origin_gain) = (posts(1) / posts(2), posts(3) / posts(4));
        let peak = rows
            .iter()
            .map(|r| mib(r.job.max_rss_kib))
            .fold(0.0, f64::max);
        // The 48 MiB budget is the seed-scale daily run's; at 10× the counts alone are more.
        let memory = if scale == "1×" {
            format!(
                "peak RSS {peak:.1} MiB ({} ≤ 48 MiB)",
                verdict(peak <= 48.0)
            )
        } else {
            format!(
                "peak RSS {peak:.1} MiB, {:+.1} MiB over the local-file run",
                peak - mib(rows[0].job.max_rss_kib)
            )
        };
        println!(
            "{scale}: ranged reads the posts {origin_gain:.1}× as fast as one GET through the link \
             from the file origin ({} ≥ 4×), {moto_gain:.1}× from moto; {:.2}× the local-file time \
             ({:.2}× without the link); {memory}; outputs {}",
            verdict(origin_gain >= 4.0),
            posts(4) / posts(0),
            posts(5) / posts(0),
            if rows.iter().all(|r| r.identical) {
                "byte-identical"
            } else {
                "DIFFERENT"
            },
        );
    }
    println!(
        "CPU: the job's own (user + system), moto's, and this process's (the proxy, and the file \
         origin) during each run, against wall × {} cores: the job inflates on one core and \
         parses on the other, so what the link, moto and the proxy take is taken from it",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    let _ = fs::remove_dir_all(&out_root);
    Ok(())
}

/// Where an ingest run reads the export from.
struct Upstream {
    name: &'static str,
    endpoint: String,
    bucket: String,
}

/// The daily run reading `upstream`'s export with `concurrency` GETs in flight, through the
/// throttled link or (`link` false) straight from the upstream, into `out`.
fn read_through(
    binary: &Path,
    moto: &Moto,
    upstream: &Upstream,
    concurrency: usize,
    link: bool,
    out: &Path,
) -> Result<IngestRow> {
    let proxy = FaultProxy::start(&upstream.endpoint);
    proxy.set_link(Link::throttled(LINK_BYTES_PER_SEC, LINK_FIRST_BYTE));
    let (moto_before, own_before) = (moto_cpu(moto)?, cpu_of("self")?);
    let mut cmd = Command::new(binary);
    cmd.arg("run")
        .args(["--posts", &format!("s3://{}/{POSTS_FILE}", upstream.bucket)])
        .args([
            "--authors",
            &format!("s3://{}/{AUTHORS_FILE}", upstream.bucket),
        ])
        .arg("--out")
        .arg(out)
        .args(["--now", SAMPLE_NOW, "--days", "7"])
        .args(["--download-concurrency", &concurrency.to_string()]);
    job_environment(
        &mut cmd,
        if link {
            &proxy.endpoint
        } else {
            &upstream.endpoint
        },
    );
    let job = measure(&mut cmd)?;
    let mode = if concurrency == 1 {
        "one GET".to_owned()
    } else {
        format!(
            "ranged {concurrency} × {} MiB",
            defaults::DOWNLOAD_PART_SIZE >> 20
        )
    };
    Ok(IngestRow {
        label: format!(
            "{}, {mode}{}",
            upstream.name,
            if link { "" } else { ", no link" }
        ),
        identical: false,
        upstream_cpu: (upstream.name == "moto")
            .then(|| moto_cpu(moto).map(|after| after - moto_before))
            .transpose()?,
        own_cpu: Some(cpu_of("self")? - own_before),
        job,
    })
}

/// Whether two output folders hold the same files with the same bytes.
fn same_files(a: &Path, b: &Path) -> Result<bool> {
    let names = |dir: &Path| -> Result<Vec<_>> {
        let mut names: Vec<_> = fs::read_dir(dir)?
            .map(|e| e.map(|e| e.file_name()))
            .collect::<std::io::Result<_>>()?;
        names.sort();
        Ok(names)
    };
    let (left, right) = (names(a)?, names(b)?);
    if left != right {
        return Ok(false);
    }
    for name in &left {
        if fs::read(a.join(name))? != fs::read(b.join(name))? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// CPU seconds (user + system) the moto server has used so far.
fn moto_cpu(moto: &Moto) -> Result<f64> {
    cpu_of(&moto.pid().to_string())
}

/// CPU seconds (user + system) process `pid` (or `self`) has used so far, from
/// `/proc/<pid>/stat`: utime and stime are its 14th and 15th fields, in USER_HZ ticks (100 a
/// second: a fixed part of Linux's ABI).
fn cpu_of(pid: &str) -> Result<f64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // The fields after the command name (which may hold spaces and parentheses).
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok());
    match (ticks(11), ticks(12)) {
        (Some(user), Some(system)) => Ok((user + system) / 100.0),
        _ => bail!("/proc/{pid}/stat has no CPU times: {stat}"),
    }
}

/// One measured job run.
struct Measured {
    wall: Duration,
    rendered: u64,
    written: u64,
    unchanged: u64,
    /// Seconds of the publish phase (list + uploads + index), from the job's progress
    /// line on stderr; `None` if that line was not found.
    publish: Option<f64>,
    /// Requests by kind: GET (objects), LIST (ListObjectsV2), PUT, HEAD, other.
    requests: BTreeMap<&'static str, u64>,
}

impl Measured {
    fn total(&self) -> u64 {
        self.requests.values().sum()
    }
}

/// Points a job command at `endpoint` (moto, or the link or origin in front of it) and at
/// nothing else of this machine's AWS configuration; plain progress lines.
fn job_environment(cmd: &mut Command, endpoint: &str) {
    testkit::child_env::point_aws_at(cmd, endpoint);
    cmd.env("CI", "true");
}

/// Run the job from the source bucket into the charts prefix and measure it.
fn measure_publish(moto: &Moto, binary: &Path, days: &str) -> Result<Measured> {
    let before = moto.log_lines()?.len();
    let mut cmd = Command::new(binary);
    cmd.arg("run")
        .args(["--posts", &format!("s3://{SOURCE_BUCKET}/{POSTS_FILE}")])
        .args(["--authors", &format!("s3://{SOURCE_BUCKET}/{AUTHORS_FILE}")])
        .args([
            "--out",
            &format!("s3://{CHARTS_BUCKET}/{DEFAULT_CHARTS_PREFIX}"),
        ])
        .args(["--now", SAMPLE_NOW, "--days", days, "--json"]);
    job_environment(&mut cmd, &moto.endpoint());
    let line = display(&cmd);
    let started = Instant::now();
    let output = cmd
        .output()
        .with_context(|| format!("cannot start `{line}`"))?;
    let wall = started.elapsed();
    if !output.status.success() {
        bail!(
            "`{line}` failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let summary: Value = serde_json::from_slice(&output.stdout)
        .with_context(|| format!("`{line}` printed no JSON summary"))?;
    let mut requests = BTreeMap::new();
    for request in &moto.log_lines()?[before..] {
        *requests.entry(kind(request)).or_insert(0) += 1;
    }
    let count = |key: &str| summary[key].as_u64().unwrap_or(0);
    Ok(Measured {
        wall,
        publish: publish_seconds(&String::from_utf8_lossy(&output.stderr)),
        rendered: count("charts_rendered"),
        written: count("charts_written"),
        unchanged: count("charts_unchanged"),
        requests,
    })
}

/// The publish phase's duration from the job's progress line on stderr
/// (`publish: 1037 written, 0 unchanged in 3.21 s`).
fn publish_seconds(stderr: &str) -> Option<f64> {
    let line = stderr.lines().find(|l| l.starts_with("publish: "))?;
    let secs = line.rsplit_once(" in ")?.1.strip_suffix(" s")?;
    secs.trim().parse().ok()
}

/// The kind of one werkzeug log line: `… "GET /bucket/key HTTP/1.1" 200 -`.
fn kind(line: &str) -> &'static str {
    let request = line.split('"').nth(1).unwrap_or("");
    let mut parts = request.split_whitespace();
    match (parts.next(), parts.next()) {
        (Some("GET"), Some(path)) if path.contains("list-type=2") => "LIST",
        (Some("GET"), _) => "GET",
        (Some("PUT"), _) => "PUT",
        (Some("HEAD"), _) => "HEAD",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::{kind, publish_seconds};

    #[test]
    fn publish_time_is_read_from_the_progress_line() {
        let stderr = "charts: 1037 rendered in 2.10 s\npublish…\npublish: 1037 written, 0 unchanged in 3.21 s\n";
        assert_eq!(publish_seconds(stderr), Some(3.21));
        assert_eq!(publish_seconds("nothing"), None);
    }

    #[test]
    fn request_kinds_are_read_from_werkzeug_lines() {
        let line = |r: &str| format!("127.0.0.1 - - [24/Nov/2026 22:50:01] \"{r} HTTP/1.1\" 200 -");
        assert_eq!(kind(&line("GET /b/?list-type=2&prefix=p%2F")), "LIST");
        assert_eq!(kind(&line("GET /b/all-blog-posts.jsonl.gz")), "GET");
        assert_eq!(kind(&line("PUT /b/p/index.json")), "PUT");
        assert_eq!(kind(&line("HEAD /b/p/x.png")), "HEAD");
    }
}
