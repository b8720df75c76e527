//! `cargo xtask bench --s3`: publishing speed and S3 request counts of the release job
//! against a local moto server (127.0.0.1 only). Uploads the bench data set to a source
//! bucket, publishes every chart to an empty prefix, then reruns with nothing changed and
//! counts the requests of each run from moto's request log (one line per request).
//! Prints figures, asserts nothing; moto's speed bounds the charts/s figure.

use std::collections::BTreeMap;
use std::fs;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use contract::defaults::SAMPLE_NOW;
use contract::files::{AUTHORS_FILE, DEFAULT_CHARTS_PREFIX, POSTS_FILE};
use serde_json::Value;

use xtask_support::python::install_moto;
use xtask_support::shell::{display, project_root};

const SOURCE_BUCKET: &str = "bench-export";
const CHARTS_BUCKET: &str = "bench-charts";
/// 15 years: every author with posts is rendered, so the first run publishes ~all charts.
const BACKFILL_DAYS: &str = "5475";
const DAILY_DAYS: &str = "7";

/// Publish `data_dir`'s export with `binary` to moto and print the figures.
pub(super) fn run(binary: &Path, data_dir: &Path) -> Result<()> {
    let moto = Moto::start(&install_moto()?)?;
    moto.create_bucket(SOURCE_BUCKET)?;
    moto.create_bucket(CHARTS_BUCKET)?;
    for name in [POSTS_FILE, AUTHORS_FILE] {
        let path = data_dir.join(name);
        let bytes = fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        moto.put(&format!("/{SOURCE_BUCKET}/{name}"), &bytes)?;
    }

    let first = moto.measure(binary, BACKFILL_DAYS)?;
    let rerun = moto.measure(binary, BACKFILL_DAYS)?;
    let daily = moto.measure(binary, DAILY_DAYS)?;

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
    Ok(())
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

/// A moto server on a free loopback port, stopped by PID when dropped.
struct Moto {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Moto {
    fn start(program: &Path) -> Result<Moto> {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let dir = project_root().join("target/bench");
        fs::create_dir_all(&dir)?;
        let log = dir.join("moto-s3-bench.log");
        let log_file = fs::File::create(&log)?;
        let mut cmd = Command::new(program);
        cmd.args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .env("PYTHONUNBUFFERED", "1")
            .stdin(Stdio::null())
            .stdout(log_file.try_clone()?)
            .stderr(log_file);
        eprintln!("$ {}", display(&cmd));
        let child = cmd
            .spawn()
            .with_context(|| format!("cannot start {}", program.display()))?;
        let moto = Moto { child, port, log };
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if started.elapsed() > Duration::from_secs(60) {
                bail!(
                    "moto did not listen on 127.0.0.1:{port} within 60 s; see {}",
                    moto.log.display()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(moto)
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// One unsigned HTTP/1.1 request (moto accepts them); fails unless 2xx.
    fn put(&self, path: &str, body: &[u8]) -> Result<()> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port))?;
        write!(
            stream,
            "PUT {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            self.port,
            body.len()
        )?;
        stream.write_all(body)?;
        let mut answer = String::new();
        stream.read_to_string(&mut answer)?;
        let status = answer.split_whitespace().nth(1).unwrap_or("");
        if !status.starts_with('2') {
            bail!(
                "moto answered PUT {path} with: {}",
                answer.lines().next().unwrap_or("")
            );
        }
        Ok(())
    }

    fn create_bucket(&self, bucket: &str) -> Result<()> {
        self.put(&format!("/{bucket}"), b"")
    }

    /// Lines of the request log so far.
    fn log_lines(&self) -> Result<Vec<String>> {
        // werkzeug logs a request after answering it: let the last line land.
        std::thread::sleep(Duration::from_millis(300));
        Ok(fs::read_to_string(&self.log)?
            .lines()
            .filter(|l| l.contains("\" ") && l.contains(" HTTP/1.1\""))
            .map(str::to_owned)
            .collect())
    }

    /// Run the job from the source bucket into the charts prefix and measure it.
    fn measure(&self, binary: &Path, days: &str) -> Result<Measured> {
        let before = self.log_lines()?.len();
        let mut cmd = Command::new(binary);
        cmd.arg("run")
            .args(["--posts", &format!("s3://{SOURCE_BUCKET}/{POSTS_FILE}")])
            .args(["--authors", &format!("s3://{SOURCE_BUCKET}/{AUTHORS_FILE}")])
            .args([
                "--out",
                &format!("s3://{CHARTS_BUCKET}/{DEFAULT_CHARTS_PREFIX}"),
            ])
            .args(["--now", SAMPLE_NOW, "--days", days, "--json"]);
        for var in ["AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_LAMBDA_RUNTIME_API"] {
            cmd.env_remove(var);
        }
        cmd.env("AWS_ENDPOINT_URL", self.endpoint())
            .env("AWS_ACCESS_KEY_ID", "bench")
            .env("AWS_SECRET_ACCESS_KEY", "bench")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_MAX_ATTEMPTS", "1")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_CONFIG_FILE", "/nonexistent/aws/config")
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                "/nonexistent/aws/credentials",
            )
            .env("CI", "true");
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
        for request in &self.log_lines()?[before..] {
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

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
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
