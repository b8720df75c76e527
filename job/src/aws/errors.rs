//! AWS SDK errors turned into messages a person can act on: the operation, the bucket and
//! key, what S3 said (`NoSuchKey`, `NoSuchBucket`, `AccessDenied`, a redirect to another
//! region, rejected credentials, an unreachable endpoint) and what to check.
//! Classification is a pure function of the error code and HTTP status, tested here.

use std::error::Error as StdError;

use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};

use super::client::{self, InUse, ATTEMPT_TIMEOUT_VAR, CONNECT_TIMEOUT_VAR, OPERATION_TIMEOUT_VAR};
use contract::env;

/// A duration in seconds for a message (`1.5`, `60`).
fn secs(d: std::time::Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 {
        format!("{s:.0}")
    } else {
        format!("{s}")
    }
}

/// The S3 calls the job makes, with the IAM action each needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    GetObject,
    PutObject,
    ListObjectsV2,
    DeleteObjects,
    CopyObject,
}

impl Operation {
    pub fn name(self) -> &'static str {
        match self {
            Operation::GetObject => "GetObject",
            Operation::PutObject => "PutObject",
            Operation::ListObjectsV2 => "ListObjectsV2",
            Operation::DeleteObjects => "DeleteObjects",
            Operation::CopyObject => "CopyObject",
        }
    }

    /// The IAM action a policy must allow for this call.
    pub fn iam_action(self) -> &'static str {
        match self {
            Operation::GetObject => "s3:GetObject",
            Operation::PutObject => "s3:PutObject",
            Operation::ListObjectsV2 => "s3:ListBucket",
            Operation::DeleteObjects => "s3:DeleteObject",
            // A copy onto itself reads the source and writes the target.
            Operation::CopyObject => "s3:GetObject and s3:PutObject",
        }
    }
}

/// A failed S3 call, described for a person.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{operation} {target} failed: {cause} — {check}")]
pub struct S3Error {
    pub operation: &'static str,
    /// `s3://bucket/key` (or `s3://bucket/prefix`).
    pub target: String,
    /// The S3 error code when S3 answered (`NoSuchKey`, `AccessDenied` …).
    pub code: Option<String>,
    pub kind: Kind,
    pub cause: String,
    pub check: String,
}

/// What went wrong, as far as the job can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    NoSuchKey,
    NoSuchBucket,
    AccessDenied,
    WrongRegion,
    BadCredentials,
    Throttled,
    ChangedWhileReading,
    Unreachable,
    TimedOut,
    NoCredentials,
    Other,
}

/// Classify by S3 error code first, HTTP status second (HEAD-like answers have no code).
pub fn classify(code: Option<&str>, status: Option<u16>) -> Kind {
    match (code, status) {
        (Some("NoSuchKey"), _) => Kind::NoSuchKey,
        (Some("NoSuchBucket"), _) => Kind::NoSuchBucket,
        (Some("AccessDenied" | "AllAccessDisabled" | "AccountProblem"), _) => Kind::AccessDenied,
        (
            Some(
                "PermanentRedirect"
                | "AuthorizationHeaderMalformed"
                | "IllegalLocationConstraintException"
                | "TemporaryRedirect",
            ),
            _,
        ) => Kind::WrongRegion,
        (
            Some(
                "InvalidAccessKeyId"
                | "SignatureDoesNotMatch"
                | "ExpiredToken"
                | "InvalidToken"
                | "TokenRefreshRequired",
            ),
            _,
        ) => Kind::BadCredentials,
        (Some("SlowDown" | "ServiceUnavailable" | "RequestLimitExceeded"), _) => Kind::Throttled,
        (Some("PreconditionFailed"), _) => Kind::ChangedWhileReading,
        (Some(_), _) => Kind::Other,
        (None, Some(404)) => Kind::NoSuchKey,
        (None, Some(403)) => Kind::AccessDenied,
        (None, Some(301 | 307)) => Kind::WrongRegion,
        (None, Some(412)) => Kind::ChangedWhileReading,
        (None, Some(503)) => Kind::Throttled,
        _ => Kind::Other,
    }
}

/// Describe a failed SDK call on `s3://bucket/key` (`key` may be a prefix or empty).
pub fn explain<E>(
    operation: Operation,
    bucket: &str,
    key: &str,
    error: &SdkError<E, HttpResponse>,
) -> S3Error
where
    E: ProvideErrorMetadata + StdError + 'static,
{
    let target = format!("s3://{bucket}/{key}");
    match error {
        SdkError::ServiceError(service) => {
            let code = service.err().code().map(str::to_owned);
            let message = service.err().message().unwrap_or("").to_owned();
            let raw = service.raw();
            let status = raw.status().as_u16();
            let region = raw.headers().get("x-amz-bucket-region").map(str::to_owned);
            let kind = classify(code.as_deref(), Some(status));
            // S3's own message only adds something when the job does not know the code.
            let message = message.trim_end_matches('.');
            let said = match (&code, kind == Kind::Other && !message.is_empty()) {
                (Some(code), false) => format!("{code} (HTTP {status})"),
                (Some(code), true) => format!("{code} (HTTP {status}): {message}"),
                (None, _) => format!("HTTP {status}"),
            };
            let (cause, check) = advice(kind, operation, bucket, key, &said, region.as_deref());
            S3Error {
                operation: operation.name(),
                target,
                code,
                kind,
                cause,
                check,
            }
        }
        SdkError::DispatchFailure(failure) => {
            let detail = chain(error);
            let kind = if failure.is_timeout() {
                Kind::TimedOut
            } else if !failure.is_io() && detail.to_ascii_lowercase().contains("credential") {
                Kind::NoCredentials
            } else {
                Kind::Unreachable
            };
            let (cause, check) = advice(kind, operation, bucket, key, &detail, None);
            S3Error {
                operation: operation.name(),
                target,
                code: None,
                kind,
                cause,
                check,
            }
        }
        other => {
            let detail = chain(other);
            let kind = if matches!(other, SdkError::TimeoutError(_)) {
                Kind::TimedOut
            } else {
                Kind::Other
            };
            let (cause, check) = advice(kind, operation, bucket, key, &detail, None);
            S3Error {
                operation: operation.name(),
                target,
                code: None,
                kind,
                cause,
                check,
            }
        }
    }
}

/// An error and its sources as one line (`dispatch failure: io error: … refused`), each
/// message once.
pub(crate) fn chain(error: &(dyn StdError + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(error);
    while let Some(e) = next {
        let text = e.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = e.source();
    }
    parts.join(": ")
}

/// (cause, what to check) for each kind of failure.
fn advice(
    kind: Kind,
    operation: Operation,
    bucket: &str,
    key: &str,
    said: &str,
    region: Option<&str>,
) -> (String, String) {
    let action = operation.iam_action();
    let resource = match operation {
        Operation::ListObjectsV2 => format!("arn:aws:s3:::{bucket}"),
        Operation::DeleteObjects => format!("arn:aws:s3:::{bucket}/{key}*"),
        _ => format!("arn:aws:s3:::{bucket}/{key}"),
    };
    match kind {
        Kind::NoSuchKey => (
            format!("{said}: there is no object with key {key:?} in bucket {bucket}"),
            format!(
                "check the key's spelling (the function reads {} and {}; the CLI the s3:// URL) \
                 and that the export has been uploaded",
                env::POSTS_KEY,
                env::AUTHORS_KEY
            ),
        ),
        Kind::NoSuchBucket => (
            format!("{said}: bucket {bucket} does not exist"),
            format!(
                "check the bucket name (the function reads {} and {}; the CLI the s3:// URL) and \
                 that the credentials belong to the account that owns it",
                env::SOURCE_BUCKET,
                env::CHARTS_BUCKET
            ),
        ),
        Kind::AccessDenied => (
            format!("{said}: not allowed to {action} on {resource}"),
            format!(
                "check that the role or user allows {action} on {resource}, and that the bucket \
                 policy and any KMS key policy do too (without s3:ListBucket, S3 reports a \
                 missing key as AccessDenied)"
            ),
        ),
        Kind::WrongRegion => match region {
            Some(region) => (
                format!("{said}: bucket {bucket} is in region {region}"),
                format!("set AWS_REGION={region} (or the profile's region) and run again"),
            ),
            None => (
                format!("{said}: bucket {bucket} is in another region than the one configured"),
                "set AWS_REGION (or the profile's region) to the bucket's region".to_owned(),
            ),
        },
        Kind::BadCredentials => (
            format!("{said}: the credentials were rejected"),
            "check AWS_PROFILE / the access key, or refresh the session (`aws sso login`)"
                .to_owned(),
        ),
        Kind::Throttled => (
            format!("{said}: S3 is throttling requests"),
            format!(
                "run again later, or lower {} / --upload-concurrency",
                env::UPLOAD_CONCURRENCY
            ),
        ),
        Kind::ChangedWhileReading => (
            format!("{said}: the object was replaced while it was being read"),
            "run again once the export upload has finished".to_owned(),
        ),
        Kind::NoCredentials => (
            format!("no AWS credentials: {said}"),
            "set AWS_PROFILE (and `aws sso login`), or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"
                .to_owned(),
        ),
        Kind::Unreachable => (
            format!("S3 could not be reached: {said}"),
            "check the network path to S3, a proxy, or AWS_ENDPOINT_URL if one is set".to_owned(),
        ),
        Kind::TimedOut => {
            let InUse { endpoint, timeouts } = client::in_use();
            (
                format!(
                    "{endpoint} did not answer in time ({said}); the limits are {} s to connect \
                     ({CONNECT_TIMEOUT_VAR}), {} s per attempt ({ATTEMPT_TIMEOUT_VAR}) and {} s per \
                     call with retries ({OPERATION_TIMEOUT_VAR})",
                    secs(timeouts.connect),
                    secs(timeouts.attempt),
                    secs(timeouts.operation)
                ),
                format!(
                    "check the network path to the endpoint (or AWS_ENDPOINT_URL if set) and run \
                     again; on a slow link raise {ATTEMPT_TIMEOUT_VAR} (milliseconds)"
                ),
            )
        }
        Kind::Other => (
            said.to_owned(),
            "look up the error code in the S3 API reference; run again if it was transient"
                .to_owned(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_win_over_status() {
        assert_eq!(classify(Some("NoSuchKey"), Some(404)), Kind::NoSuchKey);
        assert_eq!(
            classify(Some("NoSuchBucket"), Some(404)),
            Kind::NoSuchBucket
        );
        assert_eq!(
            classify(Some("AccessDenied"), Some(403)),
            Kind::AccessDenied
        );
        assert_eq!(
            classify(Some("PermanentRedirect"), Some(301)),
            Kind::WrongRegion
        );
        assert_eq!(
            classify(Some("AuthorizationHeaderMalformed"), Some(400)),
            Kind::WrongRegion
        );
        assert_eq!(
            classify(Some("InvalidAccessKeyId"), Some(403)),
            Kind::BadCredentials
        );
        assert_eq!(classify(Some("SlowDown"), Some(503)), Kind::Throttled);
        assert_eq!(classify(Some("InternalError"), Some(500)), Kind::Other);
    }

    #[test]
    fn status_alone_is_enough_without_a_code() {
        assert_eq!(classify(None, Some(404)), Kind::NoSuchKey);
        assert_eq!(classify(None, Some(403)), Kind::AccessDenied);
        assert_eq!(classify(None, Some(301)), Kind::WrongRegion);
        assert_eq!(classify(None, Some(412)), Kind::ChangedWhileReading);
        assert_eq!(classify(None, None), Kind::Other);
    }

    #[test]
    fn access_denied_names_the_action_and_resource() {
        let (cause, check) = advice(
            Kind::AccessDenied,
            Operation::GetObject,
            "src",
            "export/posts.jsonl.gz",
            "AccessDenied (HTTP 403)",
            None,
        );
        assert!(cause.contains("s3:GetObject"), "{cause}");
        assert!(
            check.contains("arn:aws:s3:::src/export/posts.jsonl.gz"),
            "{check}"
        );
    }

    #[test]
    fn wrong_region_says_which_region_to_use() {
        let (cause, check) = advice(
            Kind::WrongRegion,
            Operation::ListObjectsV2,
            "charts",
            "p/",
            "PermanentRedirect (HTTP 301)",
            Some("ap-northeast-1"),
        );
        assert!(cause.contains("ap-northeast-1"), "{cause}");
        assert!(check.contains("AWS_REGION=ap-northeast-1"), "{check}");
    }

    #[test]
    fn a_timeout_names_the_limits_and_the_variable_that_raises_them() {
        let (cause, check) = advice(
            Kind::TimedOut,
            Operation::PutObject,
            "charts",
            "p/a.png",
            "timeout: operation attempt timeout occurred after 1s",
            None,
        );
        assert!(cause.contains("did not answer in time"), "{cause}");
        assert!(cause.contains("60 s per attempt"), "{cause}");
        assert!(cause.contains(ATTEMPT_TIMEOUT_VAR), "{cause}");
        assert!(check.contains(ATTEMPT_TIMEOUT_VAR), "{check}");
    }
}
