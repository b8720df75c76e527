//! AWS access for every verb: `--profile` and `--region` over `aws-config`'s standard chain
//! ([`AwsAccess`]), the async runtime, and the one explainer of SDK errors: what failed, the
//! cause in words, and what to do ([`describe_error`], [`explain`]); the SDK's own Debug
//! chain follows only with the global `-v` ([`set_verbose`]).

use std::error::Error as StdError;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{bail, Context, Result};
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_cloudformation::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};

/// `--profile` and `--region`, for every verb that talks to AWS.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct AwsAccess {
    /// AWS profile [default: the standard chain: AWS_PROFILE, environment, SSO, instance role].
    #[arg(long, env = "AWS_PROFILE")]
    pub profile: Option<String>,
    /// AWS region [default: the stage's region, then AWS_REGION or the profile's].
    #[arg(long)]
    pub region: Option<String>,
}

impl AwsAccess {
    /// The SDK configuration: `--region`, else `fallback_region`, else the standard chain.
    pub async fn sdk_config(&self, fallback_region: Option<&str>) -> Result<SdkConfig> {
        // hyper 1 over rustls with ring and the system's certificates: what the SDK's
        // `default-https-client` gives, without building aws-lc's C library.
        let https = aws_smithy_http_client::Builder::new()
            .tls_provider(Provider::Rustls(CryptoMode::Ring))
            .build_https();
        let mut loader = aws_config::defaults(BehaviorVersion::latest()).http_client(https);
        if let Some(profile) = &self.profile {
            if !profile_exists(profile) {
                bail!(
                    "AWS profile `{profile}` (from --profile or AWS_PROFILE) is not in \
                     {} or {}: create it with `aws configure --profile {profile}` (or `aws \
                     configure sso`), or name another profile",
                    profile_file("AWS_CONFIG_FILE", "config"),
                    profile_file("AWS_SHARED_CREDENTIALS_FILE", "credentials")
                );
            }
            loader = loader.profile_name(profile);
        }
        if let Some(region) = self.region.as_deref().or(fallback_region) {
            loader = loader.region(Region::new(region.to_owned()));
        }
        let config = loader.load().await;
        if config.region().is_none() {
            bail!(
                "no AWS region is configured: pass --region, set `region` for the stage in \
                 deploy/stages.toml, or set AWS_REGION"
            );
        }
        Ok(config)
    }
}

/// The shared config or credentials file: `$VAR`, else `~/.aws/<name>`.
fn profile_file(var: &str, name: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| {
        let home = std::env::var("HOME").unwrap_or_default();
        format!("{home}/.aws/{name}")
    })
}

/// Whether either shared file has a section for `profile` (`[profile x]` or `[x]`).
fn profile_exists(profile: &str) -> bool {
    [
        profile_file("AWS_CONFIG_FILE", "config"),
        profile_file("AWS_SHARED_CREDENTIALS_FILE", "credentials"),
    ]
    .iter()
    .filter_map(|path| std::fs::read_to_string(path).ok())
    .any(|text| {
        text.lines().any(|line| {
            let line = line.trim();
            line.strip_prefix('[')
                .and_then(|l| l.strip_suffix(']'))
                .map(|name| name.trim().trim_start_matches("profile ").trim())
                .is_some_and(|name| name == profile)
        })
    })
}

/// A current-thread runtime for one command.
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime for the AWS SDK")
}

/// Error codes that mean the credentials were refused (not a missing permission).
const CREDENTIAL_CODES: [&str; 7] = [
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "InvalidSignatureException",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidAccessKeyId",
];

/// Error codes of rate limiting.
const THROTTLING_CODES: [&str; 5] = [
    "Throttling",
    "ThrottlingException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "SlowDown",
];

/// The IAM actions of the Step Functions calls a fan-out stage's `invoke` and `status` make
/// (`lifecycle::execution`), named by [`explain`] when AWS denies one; the deployer's
/// grants of them are in `bootstrap.rs`.
pub mod states {
    pub const START_EXECUTION: &str = "states:StartExecution";
    pub const DESCRIBE_EXECUTION: &str = "states:DescribeExecution";
    pub const LIST_EXECUTIONS: &str = "states:ListExecutions";
    pub const LIST_MAP_RUNS: &str = "states:ListMapRuns";
    pub const DESCRIBE_MAP_RUN: &str = "states:DescribeMapRun";
    /// Teardown's check that the machine is gone.
    pub const DESCRIBE_STATE_MACHINE: &str = "states:DescribeStateMachine";
}

/// `cargo xtask -v`: the explainer adds the SDK error's full chain and Debug form.
static VERBOSE: AtomicBool = AtomicBool::new(false);

/// Turns the debug detail of [`describe_error`] on (the global `-v` / `--verbose`).
pub fn set_verbose(on: bool) {
    VERBOSE.store(on, Ordering::Relaxed);
}

/// Whether `-v` was given.
pub fn verbose() -> bool {
    VERBOSE.load(Ordering::Relaxed)
}

/// One line for an SDK error: the service's code and message (with the fix for refused
/// credentials), or, when no answer came, the cause in words and what to check. With `-v`,
/// the SDK's whole error chain and its Debug form follow on lines of their own.
pub fn describe_error<E, R>(error: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + StdError + 'static,
    R: std::fmt::Debug + 'static,
{
    let line = one_line(error);
    if verbose() {
        format!(
            "{line}\n  [-v] error chain: {}\n  [-v] debug: {error:?}",
            DisplayErrorContext(error)
        )
    } else {
        line
    }
}

fn one_line<E, R>(error: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + StdError + 'static,
    R: std::fmt::Debug + 'static,
{
    match error {
        SdkError::ServiceError(_) => match (error.code(), error.message()) {
            (Some(code), _) if CREDENTIAL_CODES.contains(&code) => format!(
                "AWS rejected the credentials ({code}): refresh them (`aws sso login`, \
                 AWS_PROFILE) and retry"
            ),
            (Some(code), Some(message)) if code.starts_with("AccessDenied") => format!(
                "access denied ({message}): the identity lacks this permission \
                 (spec/deployer-policy.json lists what the lifecycle needs)"
            ),
            (Some(code), Some(message)) if THROTTLING_CODES.contains(&code) => format!(
                "{code}: {message}: AWS kept rate-limiting the calls after the SDK's retries; \
                 wait a minute and run the command again"
            ),
            (Some(code), Some(message)) => format!("{code}: {message}"),
            (Some(code), None) => code.to_owned(),
            (None, _) => {
                let status = match error {
                    SdkError::ServiceError(context) => http_status(&format!("{:?}", context.raw())),
                    _ => "unreadable".to_owned(),
                };
                format!(
                    "the endpoint answered {status} with something that is not an AWS error \
                     ({}): if AWS_ENDPOINT_URL points at an emulator, it may not implement \
                     this call (moto, for one, cannot run image functions)",
                    root_cause(error)
                )
            }
        },
        SdkError::TimeoutError(_) => "the AWS endpoint did not answer in time: check the \
                                      network, AWS_REGION and AWS_ENDPOINT_URL"
            .to_owned(),
        SdkError::ResponseError(response) => format!(
            "the endpoint's answer is not an AWS response ({}): check that AWS_ENDPOINT_URL, \
             if set, points at the service",
            http_status(&format!("{:?}", response.raw()))
        ),
        SdkError::DispatchFailure(_) | SdkError::ConstructionFailure(_) => {
            if is_about_credentials(&DisplayErrorContext(error).to_string()) {
                "no usable AWS credentials: set AWS_PROFILE (or --profile) to a configured \
                 profile, then `aws sso login` if it uses SSO, or set \
                 AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"
                    .to_owned()
            } else {
                let endpoint = std::env::var("AWS_ENDPOINT_URL").map_or_else(
                    |_| "the AWS endpoint of the region".to_owned(),
                    |url| format!("{url} (AWS_ENDPOINT_URL)"),
                );
                format!(
                    "cannot reach {endpoint}: {}; check the network, the region and \
                     AWS_ENDPOINT_URL",
                    root_cause(error)
                )
            }
        }
        _ => root_cause(error),
    }
}

/// `doing: cause`; an access denial names `permission` as the one to grant.
pub fn explain<E, R>(error: SdkError<E, R>, doing: &str, permission: &str) -> anyhow::Error
where
    E: ProvideErrorMetadata + StdError + 'static,
    R: std::fmt::Debug + 'static,
{
    let code = error.code().unwrap_or_default();
    if matches!(error, SdkError::ServiceError(_)) && code.starts_with("AccessDenied") {
        let message = error.message().unwrap_or_default();
        let detail = if verbose() {
            format!("\n  [-v] debug: {error:?}")
        } else {
            String::new()
        };
        return anyhow::anyhow!(
            "{doing}: access denied ({message}): grant {permission} to these AWS credentials\
             {detail}"
        );
    }
    anyhow::anyhow!("{doing}: {}", describe_error(&error))
}

/// The innermost error of the chain: the words that say what happened.
fn root_cause(error: &(dyn StdError + 'static)) -> String {
    let mut cause: &dyn StdError = error;
    while let Some(inner) = cause.source() {
        cause = inner;
    }
    cause.to_string()
}

fn is_about_credentials(chain: &str) -> bool {
    let chain = chain.to_ascii_lowercase();
    chain.contains("credential") || chain.contains("profile")
}

/// `HTTP 500` from a raw response's debug text, or `unreadable` when it has none.
fn http_status(raw: &str) -> String {
    raw.split("StatusCode(")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .map_or_else(|| "unreadable".to_owned(), |code| format!("HTTP {code}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_http_status_is_read_from_a_raw_response() {
        assert_eq!(
            http_status("Response { status: StatusCode(500), headers: … }"),
            "HTTP 500"
        );
        assert_eq!(http_status("garbage"), "unreadable");
    }

    #[test]
    fn provider_chain_failures_are_about_credentials() {
        assert!(is_about_credentials(
            "failed to construct request: no credentials in the property bag"
        ));
        assert!(is_about_credentials("ProfileFile: profile `x` not found"));
        assert!(!is_about_credentials(
            "io error: Connection refused (os error 111)"
        ));
    }
}
