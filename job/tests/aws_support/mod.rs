//! Local AWS for the S3 and Lambda tests: one moto server (PyPI `moto[server]`, installed by
//! `cargo xtask ci` under `target/tools/`) per test binary on 127.0.0.1, an S3 client for
//! the tests' own setup and checks, and the environment that points the job binary at moto.
//! Nothing here ever talks to anything but 127.0.0.1. Each test uses its own buckets, so
//! tests run in parallel against one server. Not every test file uses every helper.
#![allow(dead_code)]

pub mod runtime_api;

use std::collections::BTreeMap;
use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::Client;
use flate2::write::GzEncoder;
use flate2::Compression;
use serde_json::Value;

use author_stats::sample::{write_sample, SampleFiles, SampleSpec};

/// The `--now` (and sample `until`) of every run.
pub const NOW: &str = "2025-11-25T00:00:00Z";
/// The production window: a handful of the small sample's authors are rendered (rendering
/// is slow in debug builds, so tests keep the chart count small).
pub const DAYS: &str = "7";
/// How long moto may take to start (it imports every service's models).
const MOTO_START_TIMEOUT: Duration = Duration::from_secs(60);

/// The moto server of this test binary.
pub struct Moto {
    pub endpoint: String,
    /// moto's request log (one werkzeug line per request).
    pub log: PathBuf,
    /// Holding the write end of the watchdog's stdin: when this process ends, however it
    /// ends, the pipe closes and the watchdog stops moto by its PID.
    _watchdog: ChildStdin,
    _child: Child,
}

static MOTO: OnceLock<Moto> = OnceLock::new();
static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
static CLIENT: OnceLock<Client> = OnceLock::new();

/// Start moto on first use; later calls return the same server.
pub fn moto() -> &'static Moto {
    MOTO.get_or_init(start_moto)
}

fn start_moto() -> Moto {
    let program = moto_program();
    let port = free_port();
    let log = target_dir()
        .join("tmp")
        .join(format!("moto-{}-{port}.log", std::process::id()));
    std::fs::create_dir_all(log.parent().unwrap()).unwrap();
    std::fs::write(&log, b"").unwrap();
    // sh runs moto in the background, then blocks reading its stdin (our pipe). EOF comes
    // when this test process exits, also on panic or a kill, and moto is stopped by PID.
    let script = r#"PYTHONUNBUFFERED=1 "$0" -H 127.0.0.1 -p "$1" </dev/null >>"$2" 2>&1 &
moto=$!
cat >/dev/null
kill "$moto" 2>/dev/null
wait "$moto" 2>/dev/null
rm -f "$2""#;
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(&program)
        .arg(port.to_string())
        .arg(&log)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("sh starts");
    let watchdog = child.stdin.take().unwrap();

    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if started.elapsed() > MOTO_START_TIMEOUT {
            panic!(
                "moto_server ({}) did not listen on 127.0.0.1:{port} within {:?}; its log {}:\n{}",
                program.display(),
                MOTO_START_TIMEOUT,
                log.display(),
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Moto {
        endpoint: format!("http://127.0.0.1:{port}"),
        log,
        _watchdog: watchdog,
        _child: child,
    }
}

/// `MOTO_SERVER`, or the venv `cargo xtask ci` installs. Fails (never skips) when missing.
fn moto_program() -> PathBuf {
    if let Some(path) = std::env::var_os("MOTO_SERVER") {
        let path = PathBuf::from(path);
        assert!(
            path.is_file(),
            "MOTO_SERVER={} does not exist — unset it, or run `cargo xtask ci` to install moto",
            path.display()
        );
        return path;
    }
    let path = target_dir()
        .join("tools")
        .join("moto-venv")
        .join("bin")
        .join("moto_server");
    assert!(
        path.is_file(),
        "moto is not installed ({} is missing). The S3 and Lambda tests need it: run \
         `cargo xtask ci` once (it installs moto[server] into target/tools/moto-venv), or point \
         MOTO_SERVER at a moto_server binary",
        path.display()
    );
    path
}

/// The cargo target directory of this build (`CARGO_TARGET_DIR` or `<workspace>/target`).
pub fn target_dir() -> PathBuf {
    // The test executable lives in <target>/<profile>/deps/.
    let exe = std::env::current_exe().expect("the test binary knows its path");
    exe.ancestors()
        .find(|dir| dir.join("CACHEDIR.TAG").is_file())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"))
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

/// The test runtime that drives the test's own S3 calls.
fn runtime() -> &'static tokio::runtime::Runtime {
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
    })
}

/// An S3 client for moto, configured explicitly (not from this process's environment).
pub fn s3() -> &'static Client {
    CLIENT.get_or_init(|| {
        let config = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(&moto().endpoint)
            .credentials_provider(Credentials::new("testing", "testing", None, None, "tests"))
            .force_path_style(true)
            .build();
        Client::from_conf(config)
    })
}

pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    runtime().block_on(future)
}

pub fn create_bucket(bucket: &str) {
    block_on(s3().create_bucket().bucket(bucket).send())
        .unwrap_or_else(|e| panic!("create bucket {bucket}: {e:?}"));
}

pub fn put_object(bucket: &str, key: &str, bytes: Vec<u8>) {
    block_on(
        s3().put_object()
            .bucket(bucket)
            .key(key)
            .body(ByteStream::from(bytes))
            .send(),
    )
    .unwrap_or_else(|e| panic!("put s3://{bucket}/{key}: {e:?}"));
}

/// The object's bytes, or `None` if there is no such object.
pub fn get_object(bucket: &str, key: &str) -> Option<Vec<u8>> {
    block_on(async {
        let out = s3()
            .get_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .ok()?;
        Some(out.body.collect().await.ok()?.into_bytes().to_vec())
    })
}

/// What a listing shows of one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub etag: String,
    pub size: i64,
    pub last_modified: String,
}

/// Every object under `prefix`, by key.
pub fn list(bucket: &str, prefix: &str) -> BTreeMap<String, Listed> {
    block_on(async {
        let mut all = BTreeMap::new();
        let mut pages = s3()
            .list_objects_v2()
            .bucket(bucket)
            .prefix(prefix)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.unwrap_or_else(|e| panic!("list s3://{bucket}/{prefix}: {e:?}"));
            for o in page.contents() {
                all.insert(
                    o.key().unwrap().to_owned(),
                    Listed {
                        etag: o.e_tag().unwrap_or("").to_owned(),
                        size: o.size().unwrap_or(-1),
                        last_modified: o.last_modified().map(|t| t.to_string()).unwrap_or_default(),
                    },
                );
            }
        }
        all
    })
}

/// (Content-Type, Cache-Control) of an object.
pub fn head(bucket: &str, key: &str) -> (String, String) {
    block_on(async {
        let out = s3()
            .head_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .unwrap_or_else(|e| panic!("head s3://{bucket}/{key}: {e:?}"));
        (
            out.content_type().unwrap_or("").to_owned(),
            out.cache_control().unwrap_or("").to_owned(),
        )
    })
}

/// A small clean sample export (40 authors, 800 posts) written into `dir`.
pub fn small_sample(dir: &Path) -> SampleFiles {
    let spec = SampleSpec {
        authors: 40,
        posts: 800,
        seed: 7,
        dirty: false,
        body_bytes: 300,
        ..SampleSpec::default()
    };
    write_sample(dir, &spec).expect("sample export")
}

/// Create `bucket` and upload the sample's two files as `posts_key` and `authors_key`.
pub fn upload_sample(bucket: &str, files: &SampleFiles, posts_key: &str, authors_key: &str) {
    create_bucket(bucket);
    put_object(bucket, posts_key, std::fs::read(&files.posts).unwrap());
    put_object(bucket, authors_key, std::fs::read(&files.authors).unwrap());
}

/// `bytes` as one gzip member (members can be appended to a gzip file).
pub fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// The job binary with an environment that points every AWS client at moto: dummy
/// credentials, us-east-1, one attempt, no profile files, no instance metadata, and no
/// inherited Lambda runtime variable.
pub fn job_command() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_author-stats"));
    for var in [
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_SESSION_TOKEN",
        "AWS_DEFAULT_REGION",
        "AWS_ROLE_ARN",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_LAMBDA_RUNTIME_API",
        "AWS_REQUEST_CHECKSUM_CALCULATION",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("AWS_ENDPOINT_URL", &moto().endpoint)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_MAX_ATTEMPTS", "1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/nonexistent/aws/config")
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/aws/credentials",
        )
        .env("CI", "true");
    cmd
}

/// A finished CLI run.
pub struct Run {
    pub output: Output,
    pub stderr: String,
}

impl Run {
    /// The `--json` summary of a run that must have succeeded.
    pub fn summary(&self) -> Value {
        assert!(
            self.output.status.success(),
            "run failed ({}); stderr:\n{}",
            self.output.status,
            self.stderr
        );
        let stdout = String::from_utf8_lossy(&self.output.stdout);
        serde_json::from_str(stdout.trim())
            .unwrap_or_else(|e| panic!("summary JSON: {e}: {stdout}"))
    }

    /// The error text of a run that must have failed.
    pub fn failure(&self) -> &str {
        assert!(
            !self.output.status.success(),
            "run succeeded but should have failed; stderr:\n{}",
            self.stderr
        );
        &self.stderr
    }
}

/// `author-stats run --posts P --authors A --out O --now NOW --days DAYS --json`.
pub fn run_job(posts: &str, authors: &str, out: &str) -> Run {
    let output = job_command()
        .args(["run", "--posts", posts, "--authors", authors, "--out", out])
        .args(["--now", NOW, "--days", DAYS, "--json"])
        .output()
        .expect("the job binary runs");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    Run { output, stderr }
}

/// Request lines in moto's log that contain `needle` (e.g. `"PUT /bucket/"`).
pub fn logged_requests(needle: &str) -> Vec<String> {
    // werkzeug writes a request's line just after answering it: wait until the log has
    // been quiet for 200 ms (at most 5 s) so the last request of a finished run is in.
    let read = || std::fs::read_to_string(&moto().log).unwrap_or_default();
    let started = Instant::now();
    let mut log = read();
    loop {
        std::thread::sleep(Duration::from_millis(200));
        let again = read();
        if again == log || started.elapsed() > Duration::from_secs(5) {
            break;
        }
        log = again;
    }
    log.lines()
        .filter(|l| l.contains(needle))
        .map(str::to_owned)
        .collect()
}
