//! The S3 client, from `aws-config`'s standard chain: `AWS_PROFILE`, SSO, environment
//! credentials, the Lambda role; `AWS_REGION`; `AWS_ENDPOINT_URL` for a local emulation
//! (then with path-style addressing, which such endpoints need). Built once per process,
//! with timeouts (data-spec §1) so a silent endpoint fails the run instead of hanging it.

use std::sync::OnceLock;
use std::time::Duration;

use anyhow::{bail, Result};
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_s3::config::RequestChecksumCalculation;
use aws_sdk_s3::Client;
use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};

/// Longest wait for a TCP (and TLS) connection to the endpoint.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Longest one attempt of a call may take, from sending the request to the first byte of
/// the answer (a 10 MB upload at 2 Mbit/s takes 40 s), and longest a download may stall
/// between two chunks of its body.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(60);
/// Longest a call may take with all its retries.
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(180);

/// Environment variables that override the timeouts, in milliseconds (tests use them to
/// make a silent endpoint fail in seconds; an operator on a slow link may raise them).
pub const CONNECT_TIMEOUT_VAR: &str = "AUTHOR_STATS_S3_CONNECT_TIMEOUT_MS";
pub const ATTEMPT_TIMEOUT_VAR: &str = "AUTHOR_STATS_S3_ATTEMPT_TIMEOUT_MS";
pub const OPERATION_TIMEOUT_VAR: &str = "AUTHOR_STATS_S3_OPERATION_TIMEOUT_MS";

/// The timeouts of the process's S3 client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    pub connect: Duration,
    pub attempt: Duration,
    pub operation: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: CONNECT_TIMEOUT,
            attempt: ATTEMPT_TIMEOUT,
            operation: OPERATION_TIMEOUT,
        }
    }
}

impl Timeouts {
    /// The defaults, each overridden by its environment variable when that is set.
    pub fn from_env() -> Result<Timeouts> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Timeouts> {
        let read = |name: &str, default: Duration| -> Result<Duration> {
            match lookup(name).filter(|v| !v.is_empty()) {
                None => Ok(default),
                Some(text) => match text.trim().parse::<u64>() {
                    Ok(ms) if ms > 0 => Ok(Duration::from_millis(ms)),
                    _ => bail!(
                        "{name}={} is not a timeout in milliseconds (a whole number ≥ 1; \
                         unset it for the default of {} ms)",
                        crate::quote::quoted(&text),
                        default.as_millis()
                    ),
                },
            }
        };
        Ok(Timeouts {
            connect: read(CONNECT_TIMEOUT_VAR, CONNECT_TIMEOUT)?,
            attempt: read(ATTEMPT_TIMEOUT_VAR, ATTEMPT_TIMEOUT)?,
            operation: read(OPERATION_TIMEOUT_VAR, OPERATION_TIMEOUT)?,
        })
    }

    pub(crate) fn config(self) -> TimeoutConfig {
        TimeoutConfig::builder()
            .connect_timeout(self.connect)
            .read_timeout(self.attempt)
            .operation_attempt_timeout(self.attempt)
            .operation_timeout(self.operation)
            .build()
    }
}

/// The endpoint and timeouts of the client in use, for error messages.
#[derive(Debug, Clone)]
pub struct InUse {
    /// `AWS_ENDPOINT_URL`, or `S3 in <region>`.
    pub endpoint: String,
    pub timeouts: Timeouts,
}

static IN_USE: OnceLock<InUse> = OnceLock::new();

/// The endpoint and timeouts of this process's client (defaults before one is built).
pub fn in_use() -> InUse {
    IN_USE.get().cloned().unwrap_or_else(|| InUse {
        endpoint: "S3".to_owned(),
        timeouts: Timeouts::default(),
    })
}

/// The shared AWS configuration of the standard chain (profile, SSO, environment,
/// `AWS_ENDPOINT_URL`), for the S3 and CloudFront clients alike.
pub async fn shared_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(https_client())
        .load()
        .await
}

/// hyper 1 over rustls with ring, trusting the system's certificates (`SSL_CERT_FILE` in
/// the image): what `default-https-client` gives, without aws-lc's C build.
pub fn https_client() -> aws_sdk_s3::config::SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https()
}

/// Load the shared AWS configuration and build an S3 client from it.
pub async fn s3_client() -> Result<Client> {
    s3_client_with(&shared_config().await, Timeouts::from_env()?)
}

/// An S3 client for an already loaded configuration, with the default timeouts.
pub fn s3_client_from(shared: &SdkConfig) -> Result<Client> {
    s3_client_with(shared, Timeouts::default())
}

/// An S3 client for an already loaded configuration and the given timeouts.
pub fn s3_client_with(shared: &SdkConfig, timeouts: Timeouts) -> Result<Client> {
    let Some(region) = shared.region() else {
        bail!(
            "no AWS region is configured — set AWS_REGION (or `region` in the profile named by \
             AWS_PROFILE) to the region of the buckets"
        );
    };
    let endpoint = shared
        .endpoint_url()
        .map_or_else(|| format!("S3 in {region}"), str::to_owned);
    let _ = IN_USE.set(InUse { endpoint, timeouts });
    let config = aws_sdk_s3::config::Builder::from(shared)
        // A custom endpoint (moto, MinIO, a VPC endpoint by IP) cannot resolve
        // `bucket.host` names: address buckets in the path instead.
        .force_path_style(shared.endpoint_url().is_some())
        // Uploads carry Content-MD5, which S3 verifies and which is also what the
        // unchanged-chart check compares; no second (trailing CRC) checksum is needed.
        .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
        .timeout_config(timeouts.config())
        .build();
    Ok(Client::from_conf(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_default_to_5_s_connect_60_s_attempt_3_min_operation() {
        let t = Timeouts::from_lookup(|_| None).unwrap();
        assert_eq!(t.connect, Duration::from_secs(5));
        assert_eq!(t.attempt, Duration::from_secs(60));
        assert_eq!(t.operation, Duration::from_secs(180));
        let c = t.config();
        assert_eq!(c.connect_timeout(), Some(Duration::from_secs(5)));
        assert_eq!(c.read_timeout(), Some(Duration::from_secs(60)));
        assert_eq!(c.operation_attempt_timeout(), Some(Duration::from_secs(60)));
        assert_eq!(c.operation_timeout(), Some(Duration::from_secs(180)));
    }

    #[test]
    fn timeout_variables_override_in_milliseconds_and_bad_values_are_named() {
        let t = Timeouts::from_lookup(|name| (name == ATTEMPT_TIMEOUT_VAR).then(|| "1500".into()))
            .unwrap();
        assert_eq!(t.attempt, Duration::from_millis(1500));
        assert_eq!(t.connect, CONNECT_TIMEOUT);
        let e = Timeouts::from_lookup(|name| (name == CONNECT_TIMEOUT_VAR).then(|| "0".into()))
            .unwrap_err();
        assert!(e.to_string().contains(CONNECT_TIMEOUT_VAR), "{e}");
    }
}
