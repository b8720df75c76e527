//! The environment that points a child process's AWS SDK at a loopback endpoint (moto, or a
//! proxy or origin in front of it): test-only credentials, one region, one attempt, no
//! profile files of this machine, no instance-metadata probe, no inherited Lambda runtime.
//! Without the `aws` feature, so `cargo xtask bench --s3` uses it too.

use std::process::Command;

/// The region every emulated resource lives in.
pub const REGION: &str = "us-east-1";

/// Points `cmd`'s AWS SDK at `endpoint` and at nothing else.
pub fn point_aws_at(cmd: &mut Command, endpoint: &str) {
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
    cmd.envs(aws_env(endpoint));
}

/// The variables [`point_aws_at`] sets, for an environment built from nothing (a
/// container's): the endpoint, test credentials, [`REGION`], one attempt, no profile
/// files, no instance-metadata probe.
pub fn aws_env(endpoint: &str) -> Vec<(&'static str, String)> {
    [
        ("AWS_ENDPOINT_URL", endpoint),
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_REGION", REGION),
        ("AWS_MAX_ATTEMPTS", "1"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("AWS_CONFIG_FILE", "/nonexistent/aws/config"),
        (
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/aws/credentials",
        ),
    ]
    .into_iter()
    .map(|(name, value)| (name, value.to_owned()))
    .collect()
}
