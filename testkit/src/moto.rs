//! moto (PyPI `moto[server]`, installed by `cargo xtask ci` under `target/tools/moto-venv`)
//! as the tests' AWS: one server per test binary on 127.0.0.1, started on first use and
//! stopped when the test process ends however it ends. Tests use their own buckets, stacks
//! and repositories, so they run in parallel against one server.

use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::Credentials;

use crate::{free_port, target_dir};

/// The region every test client and child process uses.
pub use crate::child_env::REGION;
/// How long moto may take to start (it imports every service's models).
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// The moto server of this test binary.
pub struct Moto {
    pub endpoint: String,
    /// moto's request log (one werkzeug line per request, plus its warnings).
    pub log: PathBuf,
    /// Holding the write end of the watchdog's stdin: when this process ends, the pipe
    /// closes and the watchdog stops moto by its PID.
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
        .join(format!("moto-{}-{port}.log", std::process::id()));
    std::fs::create_dir_all(log.parent().expect("a log folder")).expect("target/tmp");
    std::fs::write(&log, b"").expect("moto's log file");
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
    let watchdog = child.stdin.take().expect("stdin is piped");
    crate::wait_for_port(
        port,
        START_TIMEOUT,
        &format!("moto_server ({})", program.display()),
        &log,
    );
    Moto {
        endpoint: format!("http://127.0.0.1:{port}"),
        log,
        _watchdog: watchdog,
        _child: child,
    }
}

/// `MOTO_SERVER`, or the venv `cargo xtask ci` installs. Fails when missing: a test reaches
/// here only after `require!(Tool::Moto)` found it (`crate::tools`).
fn program() -> PathBuf {
    let path = crate::tools::moto_server();
    assert!(
        path.is_file(),
        "moto is not installed ({} is missing): install it with {}",
        path.display(),
        crate::tools::Tool::Moto.install_command()
    );
    path
}

impl Moto {
    /// SDK configuration for this moto, set explicitly (never from this process's
    /// environment or profile files): test credentials, [`REGION`], the moto endpoint.
    pub fn sdk_config(&self) -> SdkConfig {
        SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .http_client(crate::sdk_http_client())
            .region(Region::new(REGION))
            .endpoint_url(&self.endpoint)
            .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
                "testing", "testing", None, None, "tests",
            )))
            .build()
    }

    /// Points a child process's AWS SDK at this moto ([`crate::child_env::point_aws_at`]).
    pub fn configure(&self, cmd: &mut Command) {
        crate::child_env::point_aws_at(cmd, &self.endpoint);
    }

    /// moto's whole log so far, once it has been quiet for 200 ms (at most 5 s): werkzeug
    /// writes a request's line just after answering it.
    pub fn settled_log(&self) -> String {
        let read = || std::fs::read_to_string(&self.log).unwrap_or_default();
        let started = Instant::now();
        let mut log = read();
        loop {
            std::thread::sleep(Duration::from_millis(200));
            let again = read();
            if again == log || started.elapsed() > Duration::from_secs(5) {
                return again;
            }
            log = again;
        }
    }
}
