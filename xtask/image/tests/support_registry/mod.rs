//! Shared by xtask's image and registry tests: the real static image (built once per test
//! binary), a Debian `docker-registry` with htpasswd basic auth on 127.0.0.1 (one per test
//! binary; tests use their own repositories), `skopeo` to read pushes back, and moto for
//! ECR ([`moto`]). Missing programs fail the test with how to install them; nothing is
//! skipped, and nothing talks to anything but 127.0.0.1.
#![allow(dead_code)]

pub(crate) use testkit::free_port;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use xtask_image::{self as image, Arch, Image};

/// The image of the real static build, with the executable's path.
pub(crate) struct StaticImage {
    pub binary: PathBuf,
    pub image: Image,
    pub build_time: Duration,
}

/// `cargo build --profile image-test --target x86_64-unknown-linux-gnu` with `+crt-static`
/// and the assembly, once per test binary (minutes the first time, seconds after).
pub(crate) fn static_image() -> &'static StaticImage {
    static IMAGE: OnceLock<StaticImage> = OnceLock::new();
    IMAGE.get_or_init(|| {
        let started = Instant::now();
        let (binary, image) = image::build_image(
            Arch::X86_64,
            Path::new(image::HOST_CA_BUNDLE),
            image::Profile::Test,
        )
        .unwrap_or_else(|e| panic!("static build of the image: {e:#}"));
        let build_time = started.elapsed();
        eprintln!(
            "static image {} ({} compressed) built in {:.1} s",
            image.digest(),
            image::megabytes(image.compressed_size()),
            build_time.as_secs_f64()
        );
        StaticImage {
            binary,
            image,
            build_time,
        }
    })
}

/// Where `program` is on `PATH`.
pub(crate) fn find_program(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

/// A small image of made-up content, for tests that fail before any blob is sent.
pub(crate) fn tiny_image() -> Image {
    image::assemble(&image::Contents {
        arch: Arch::X86_64,
        binary: b"not really an executable".to_vec(),
        ca_bundle: b"-----BEGIN CERTIFICATE-----\n".to_vec(),
    })
    .unwrap()
}

/// Fails (never skips) when a program the tests need is missing.
pub(crate) fn require(program: &str, package: &str) -> PathBuf {
    find_program(program).unwrap_or_else(|| {
        panic!(
            "`{program}` is not installed: run `apt-get install -y {package}` (`cargo xtask \
             ci` installs what the registry tests need, docker-registry, skopeo and \
             apache2-utils, when run as root)"
        )
    })
}

pub(crate) const USER: &str = "pusher";
pub(crate) const PASSWORD: &str = "correct horse battery staple";

/// A `docker-registry` on 127.0.0.1 with basic auth and storage in a fresh directory.
pub(crate) struct LocalRegistry {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// `127.0.0.1:PORT`.
    pub host: String,
    pub dir: PathBuf,
    /// Stops the registry by PID and removes its storage when this process ends.
    _server: testkit::watchdog::Watched,
}

/// This test binary's registry, started on first use.
pub(crate) fn registry() -> &'static LocalRegistry {
    static REGISTRY: OnceLock<LocalRegistry> = OnceLock::new();
    REGISTRY.get_or_init(start_registry)
}

const REGISTRY_START_TIMEOUT: Duration = Duration::from_secs(20);

fn start_registry() -> LocalRegistry {
    require("docker-registry", "docker-registry");
    require("htpasswd", "apache2-utils");
    let dir = tempfile::Builder::new()
        .prefix("xtask-registry-")
        .tempdir()
        .expect("a temp dir")
        .keep();
    let htpasswd = run_ok(Command::new("htpasswd").args(["-B", "-b", "-n", USER, PASSWORD]));
    std::fs::write(dir.join("htpasswd"), &htpasswd.stdout).unwrap();
    let port = free_port();
    let config = format!(
        "version: 0.1\n\
         log:\n  level: info\n\
         storage:\n  filesystem:\n    rootdirectory: {storage}\n  delete:\n    enabled: true\n\
         http:\n  addr: 127.0.0.1:{port}\n  draintimeout: 1s\n\
         auth:\n  htpasswd:\n    realm: xtask-tests\n    path: {htpasswd}\n",
        storage = dir.join("storage").display(),
        htpasswd = dir.join("htpasswd").display(),
    );
    std::fs::write(dir.join("config.yml"), config).unwrap();
    let log = dir.join("registry.log");
    // Stopped by PID (it exits 0 on SIGTERM) and its directory removed when this test
    // process ends, however it ends.
    let server = testkit::watchdog::Server {
        program: "docker-registry".into(),
        args: vec!["serve".into(), dir.join("config.yml").into()],
        env: Vec::new(),
        clean_env: false,
        log: log.clone(),
        scratch: vec![dir.clone()],
    }
    .start();
    testkit::wait_for_port(port, REGISTRY_START_TIMEOUT, "docker-registry", &log);
    LocalRegistry {
        url: format!("http://127.0.0.1:{port}"),
        host: format!("127.0.0.1:{port}"),
        dir,
        _server: server,
    }
}

impl LocalRegistry {
    /// The registry's log so far (for assertion messages).
    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("registry.log")).unwrap_or_default()
    }

    /// `skopeo inspect <args> docker://127.0.0.1:PORT/<reference>` as JSON.
    pub(crate) fn skopeo_inspect(
        &self,
        reference: &str,
        args: &[&str],
    ) -> (Vec<u8>, serde_json::Value) {
        require("skopeo", "skopeo");
        let creds = format!("{USER}:{PASSWORD}");
        let out = run_ok(
            Command::new("skopeo")
                .arg("inspect")
                .args(args)
                .args(["--tls-verify=false", "--creds", &creds])
                .arg(format!("docker://{}/{reference}", self.host)),
        );
        let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "skopeo printed no JSON ({e}): {}",
                String::from_utf8_lossy(&out.stdout)
            )
        });
        (out.stdout, json)
    }
}

/// Runs `cmd`, panicking with its output unless it succeeds.
pub(crate) fn run_ok(cmd: &mut Command) -> Output {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot start {:?}: {e}", cmd.get_program()));
    assert!(
        out.status.success(),
        "{:?} failed ({}):\n{}{}",
        cmd,
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}
