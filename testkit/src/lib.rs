//! Test support shared by the job's and xtask's integration tests (a dev-dependency there),
//! and by `cargo xtask bench --s3` (the proxy and the origin only, without the `aws`
//! feature): one moto server per test binary on 127.0.0.1 (`moto`), and one LocalStack, the
//! second engine of the full-stack lifecycle test (`localstack`), both stopped by PID however
//! the test ends (`watchdog`, which the image tests' registry uses too), what a process
//! listens on (`sockets`), a Lambda Runtime API for
//! running the real binary as the function (`runtime_api`), a replay endpoint of recorded AWS
//! responses for failure paths no emulator reaches (`replay`), a fault-injecting proxy in
//! front of moto (`fault_proxy`: 500s, resets, silence, cut bodies, held requests, a
//! throttled link), a read-only S3 stand-in serving a folder's files by byte range
//! (`range_origin`), the environment pointing a child's AWS SDK at one of them
//! (`child_env`), the ports, paths and async runtime every test harness needs, and which
//! external tools a test needs and what it does without them (`tools`: skip outside CI, fail
//! under `CI=true`), and headless Chromium over the DevTools protocol for the browser tests
//! (`chromium`), an HTTPS endpoint a test CA signs in front of moto (`tls_endpoint`), and
//! the job's image run by runc in Lambda's sandbox (`runc`; also `cargo xtask bench
//! --cold-start`).
//! Nothing here talks to anything but 127.0.0.1.

pub mod child_env;
pub mod chromium;
pub mod fault_proxy;
#[cfg(feature = "aws")]
pub mod localstack;
#[cfg(feature = "aws")]
pub mod moto;
pub mod range_origin;
#[cfg(feature = "aws")]
pub mod replay;
pub mod runc;
pub mod runtime_api;
pub mod sockets;
#[cfg(feature = "tls")]
pub mod tls_endpoint;
pub mod tools;
pub mod watchdog;

use std::net::TcpListener;
use std::path::{Path, PathBuf};

/// A free TCP port on 127.0.0.1 (the OS picks it; the listener is closed again).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

/// The cargo target directory of the running test (`CARGO_TARGET_DIR` or `<workspace>/target`).
pub fn target_dir() -> PathBuf {
    // The test executable lives in <target>/<profile>/deps/; cargo marks <target> with CACHEDIR.TAG.
    let exe = std::env::current_exe().expect("the test binary knows its path");
    exe.ancestors()
        .find(|dir| dir.join("CACHEDIR.TAG").is_file())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"))
}

/// Waits until something listens on 127.0.0.1:`port`; panics after `timeout`, naming
/// `what` and showing its `log` file.
pub fn wait_for_port(port: u16, timeout: std::time::Duration, what: &str, log: &Path) {
    let started = std::time::Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if started.elapsed() > timeout {
            panic!(
                "{what} did not listen on 127.0.0.1:{port} within {timeout:?}; its log {}:\n{}",
                log.display(),
                std::fs::read_to_string(log).unwrap_or_default()
            );
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
}

/// The HTTP client of every test SDK config: hyper 1 over rustls with ring, as the job and
/// xtask build theirs (the SDK crates are built without a default client).
#[cfg(feature = "aws")]
pub fn sdk_http_client() -> aws_types::sdk_config::SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
            aws_smithy_http_client::tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https()
}

/// SDK configuration for an emulator at `endpoint`, set explicitly (never from this
/// process's environment or profile files): test credentials, [`child_env::REGION`], the
/// endpoint, [`sdk_http_client`].
#[cfg(feature = "aws")]
pub fn sdk_config(endpoint: &str) -> aws_config::SdkConfig {
    use aws_credential_types::provider::SharedCredentialsProvider;
    aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .http_client(sdk_http_client())
        .region(aws_config::Region::new(child_env::REGION))
        .endpoint_url(endpoint)
        .credentials_provider(SharedCredentialsProvider::new(
            aws_credential_types::Credentials::new("testing", "testing", None, None, "tests"),
        ))
        .build()
}

/// Runs `future` on this test binary's shared multi-threaded runtime.
#[cfg(feature = "aws")]
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    static RUNTIME: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("a tokio runtime for the tests")
        })
        .block_on(future)
}
