//! LocalStack (PyPI `localstack-core`, installed by `cargo xtask ci` under
//! `target/tools/localstack-venv` with Python 3.13) as the lifecycle tests' second engine:
//! one emulator per test binary, started on first use in host mode (no Docker, no account,
//! no token) on a free 127.0.0.1 port, its files in a scratch folder under `target/tmp`,
//! and stopped by its PID when the test process ends however it ends ([`crate::watchdog`]).

use std::ffi::OsString;
use std::io::{Read as _, Write as _};
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use aws_config::SdkConfig;

use crate::watchdog::{Server, Watched};
use crate::{free_port, target_dir};

/// The services the stack and the lifecycle verbs use (nothing else is loaded).
pub const SERVICES: &str =
    "s3,iam,sts,lambda,sqs,sns,scheduler,cloudwatch,logs,stepfunctions,cloudformation,events";
/// The Lambda runtime emulator LocalStack 2026.3.0 fetches from GitHub when an image
/// function is created; set explicitly so the placeholder below matches it.
const LAMBDA_INIT_VERSION: &str = "v0.1.41-pre";
/// How long LocalStack may take to be ready (2–3 s on an idle machine; CI compiles beside it).
const START_TIMEOUT: Duration = Duration::from_secs(120);

/// The LocalStack of this test binary.
pub struct LocalStack {
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
    /// Its log (LocalStack's own lines, one per request).
    pub log: PathBuf,
    /// The emulator's PID.
    pub pid: u32,
    /// From the start of the process to the ready answer of its health endpoint.
    pub ready_after: Duration,
    _server: Watched,
}

/// This test binary's LocalStack, started on first use.
pub fn localstack() -> &'static LocalStack {
    static LOCALSTACK: OnceLock<LocalStack> = OnceLock::new();
    LOCALSTACK.get_or_init(start)
}

fn start() -> LocalStack {
    let python = python();
    let port = free_port();
    let dir = target_dir()
        .join("tmp")
        .join(format!("localstack-{}-{port}", std::process::id()));
    let (root, tmp, home) = (dir.join("fs"), dir.join("tmp"), dir.join("home"));
    // Creating an image function makes LocalStack download its Lambda runtime emulator
    // (from GitHub) and fail; with a file in its place the function is created (invoking it
    // would need Docker, which nothing here does).
    let init = root.join(format!(
        "var/lib/localstack/lib/lambda-runtime/{LAMBDA_INIT_VERSION}/x86_64/var/rapid/init"
    ));
    for folder in [init.parent().expect("a folder"), &tmp, &home] {
        std::fs::create_dir_all(folder).expect("LocalStack's scratch folders under target/tmp");
    }
    std::fs::write(&init, b"").expect("the Lambda runtime placeholder");
    let log = dir.join("localstack.log");
    let listen = format!("127.0.0.1:{port}");
    let path = std::env::var_os("PATH").unwrap_or_default();
    let env: Vec<(OsString, OsString)> = [
        // Host mode: without this it believes it runs in its own container (this machine
        // looks like one) and writes into system folders.
        ("OVERRIDE_IN_DOCKER", "0".into()),
        ("FILESYSTEM_ROOT", root.clone().into_os_string()),
        ("TMPDIR", tmp.into_os_string()),
        // Its plugin cache (plux) goes under HOME: the scratch folder, not the user's.
        ("HOME", home.into_os_string()),
        ("GATEWAY_LISTEN", listen.clone().into()),
        // The default server listens on 0.0.0.0 whatever GATEWAY_LISTEN says.
        ("GATEWAY_SERVER", "hypercorn".into()),
        ("LOCALSTACK_HOST", listen.into()),
        // Queue URLs on the endpoint itself, not `sqs.<region>.127.0.0.1`, which resolves nowhere.
        ("SQS_ENDPOINT_STRATEGY", "path".into()),
        ("DNS_ADDRESS", "0".into()),
        ("DISABLE_EVENTS", "1".into()),
        ("SKIP_SSL_CERT_DOWNLOAD", "1".into()),
        ("LAMBDA_INIT_RELEASE_VERSION", LAMBDA_INIT_VERSION.into()),
        // CloudFront and the dashboard are not emulated: created as placeholders (id
        // `unknown`), which 2026.3.0 does by default and warns will need this later.
        ("CFN_IGNORE_UNSUPPORTED_RESOURCE_TYPES", "1".into()),
        ("SERVICES", SERVICES.into()),
        // Its own AWS clients (CloudFormation's resource providers) probed the instance
        // metadata address for credentials without these.
        ("AWS_EC2_METADATA_DISABLED", "true".into()),
        ("AWS_ACCESS_KEY_ID", "testing".into()),
        ("AWS_SECRET_ACCESS_KEY", "testing".into()),
        ("PYTHONUNBUFFERED", "1".into()),
        ("PATH", path),
        ("LANG", "C.UTF-8".into()),
    ]
    .into_iter()
    .map(|(name, value)| (OsString::from(name), value))
    .collect();
    let started = Instant::now();
    let server = Server {
        program: python.clone(),
        args: ["-m", "localstack.runtime.main"]
            .map(OsString::from)
            .to_vec(),
        env,
        clean_env: true,
        log: log.clone(),
        scratch: vec![dir],
    }
    .start();
    let endpoint = format!("http://127.0.0.1:{port}");
    wait_until_ready(port, &log);
    LocalStack {
        endpoint,
        log,
        pid: server.pid,
        ready_after: started.elapsed(),
        _server: server,
    }
}

/// Waits for `GET /_localstack/init/ready` to say `"completed": true` (the health endpoint
/// answers before the services are ready).
fn wait_until_ready(port: u16, log: &std::path::Path) {
    let started = Instant::now();
    loop {
        if get(port, "/_localstack/init/ready").is_some_and(|body| {
            serde_json::from_str::<serde_json::Value>(&body)
                .is_ok_and(|v| v["completed"] == serde_json::Value::Bool(true))
        }) {
            return;
        }
        if started.elapsed() > START_TIMEOUT {
            panic!(
                "LocalStack did not become ready on 127.0.0.1:{port} within {START_TIMEOUT:?}; \
                 its log {}:\n{}",
                log.display(),
                std::fs::read_to_string(log).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The body of a `GET` on 127.0.0.1:`port`, if it answered 200.
fn get(port: u16, path: &str) -> Option<String> {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    let (head, body) = answer.split_once("\r\n\r\n")?;
    head.starts_with("HTTP/1.1 200").then(|| body.to_owned())
}

/// `LOCALSTACK_PYTHON`, or the venv `cargo xtask ci` installs. Fails when missing: a test
/// reaches here only after `require!(Tool::LocalStack)` found it (`crate::tools`).
fn python() -> PathBuf {
    let path = crate::tools::localstack_python();
    assert!(
        crate::tools::Tool::LocalStack.missing().is_none(),
        "LocalStack is not installed ({} is missing): install it with {}",
        path.display(),
        crate::tools::Tool::LocalStack.install_command()
    );
    path
}

impl LocalStack {
    /// SDK configuration for this LocalStack ([`crate::sdk_config`]).
    pub fn sdk_config(&self) -> SdkConfig {
        crate::sdk_config(&self.endpoint)
    }

    /// Points a child process's AWS SDK at this LocalStack ([`crate::child_env::point_aws_at`]).
    pub fn configure(&self, cmd: &mut Command) {
        crate::child_env::point_aws_at(cmd, &self.endpoint);
    }

    /// Its log so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Its resident memory now, in MiB (from `/proc`).
    pub fn rss_mib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid)).ok()?;
        let kib: u64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))?
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()?;
        Some(kib / 1024)
    }

    /// Every address it listens on, TCP and UDP ([`crate::sockets::listening`]).
    pub fn listening(&self) -> Vec<std::net::SocketAddr> {
        crate::sockets::listening(self.pid)
    }
}
