//! moto (PyPI `moto[server]`, installed by `cargo xtask ci` under `target/tools/moto-venv`)
//! as the tests' AWS: one server per test binary on 127.0.0.1, started on first use and
//! stopped when the test process ends however it ends. Tests use their own buckets, stacks
//! and repositories, so they run in parallel against one server.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use aws_config::SdkConfig;

use crate::watchdog::{Server, Watched};
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
    /// Stops moto by its PID when this process ends ([`crate::watchdog`]).
    _server: Watched,
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
    let server = Server {
        program: program.clone(),
        args: ["-H", "127.0.0.1", "-p", &port.to_string()]
            .map(OsString::from)
            .to_vec(),
        env: vec![("PYTHONUNBUFFERED".into(), "1".into())],
        clean_env: false,
        log: log.clone(),
        scratch: vec![log.clone()],
    }
    .start();
    crate::wait_for_port(
        port,
        START_TIMEOUT,
        &format!("moto_server ({})", program.display()),
        &log,
    );
    Moto {
        endpoint: format!("http://127.0.0.1:{port}"),
        log,
        _server: server,
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
    /// SDK configuration for this moto ([`crate::sdk_config`]): test credentials, [`REGION`],
    /// the moto endpoint.
    pub fn sdk_config(&self) -> SdkConfig {
        crate::sdk_config(&self.endpoint)
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
