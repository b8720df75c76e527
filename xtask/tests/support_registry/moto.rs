//! moto's ECR on 127.0.0.1 for the repository tests: one server per test binary (the
//! `moto_server` `cargo xtask ci` installs in `target/tools/moto-venv`, or `MOTO_SERVER`),
//! and an ECR client pointed at it with fixed test credentials, not this process's env.

use std::future::Future;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use aws_sdk_ecr::config::{BehaviorVersion, Credentials, Region};

use super::{free_port, target_dir};

const MOTO_START_TIMEOUT: Duration = Duration::from_secs(60);

pub struct Moto {
    pub endpoint: String,
    pub log: PathBuf,
    _watchdog: ChildStdin,
    _child: Child,
}

/// This test binary's moto, started on first use.
pub fn moto() -> &'static Moto {
    static MOTO: OnceLock<Moto> = OnceLock::new();
    MOTO.get_or_init(start)
}

fn start() -> Moto {
    let program = program();
    let port = free_port();
    let log = target_dir()
        .join("tmp")
        .join(format!("xtask-moto-{}-{port}.log", std::process::id()));
    std::fs::create_dir_all(log.parent().unwrap()).unwrap();
    std::fs::write(&log, b"").unwrap();
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
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if started.elapsed() > MOTO_START_TIMEOUT {
            panic!(
                "moto_server ({}) did not listen on 127.0.0.1:{port} within {:?}; its log:\n{}",
                program.display(),
                MOTO_START_TIMEOUT,
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
fn program() -> PathBuf {
    if let Some(path) = std::env::var_os("MOTO_SERVER") {
        let path = PathBuf::from(path);
        assert!(
            path.is_file(),
            "MOTO_SERVER={} does not exist: unset it, or run `cargo xtask ci` to install moto",
            path.display()
        );
        return path;
    }
    let path = target_dir().join("tools/moto-venv/bin/moto_server");
    assert!(
        path.is_file(),
        "moto is not installed ({} is missing). The ECR tests need it: run `cargo xtask ci` \
         once (it installs moto[server] into target/tools/moto-venv), or point MOTO_SERVER at \
         a moto_server program",
        path.display()
    );
    path
}

/// An ECR client for this binary's moto.
pub fn ecr() -> aws_sdk_ecr::Client {
    let config = aws_sdk_ecr::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(&moto().endpoint)
        .credentials_provider(Credentials::new("testing", "testing", None, None, "tests"))
        .build();
    aws_sdk_ecr::Client::from_conf(config)
}

pub fn block_on<F: Future>(future: F) -> F::Output {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap()
        })
        .block_on(future)
}
