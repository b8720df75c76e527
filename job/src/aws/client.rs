//! The S3 client, from `aws-config`'s standard chain: `AWS_PROFILE`, SSO, environment
//! credentials, the Lambda role; `AWS_REGION`; `AWS_ENDPOINT_URL` for a local emulation
//! (then with path-style addressing, which such endpoints need). Built once per process.

use anyhow::{bail, Result};
use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_s3::config::RequestChecksumCalculation;
use aws_sdk_s3::Client;

/// Load the shared AWS configuration and build an S3 client from it.
pub async fn s3_client() -> Result<Client> {
    let shared = aws_config::defaults(BehaviorVersion::latest()).load().await;
    s3_client_from(&shared)
}

/// An S3 client for an already loaded configuration.
pub fn s3_client_from(shared: &SdkConfig) -> Result<Client> {
    if shared.region().is_none() {
        bail!(
            "no AWS region is configured — set AWS_REGION (or `region` in the profile named by \
             AWS_PROFILE) to the region of the buckets"
        );
    }
    let config = aws_sdk_s3::config::Builder::from(shared)
        // A custom endpoint (moto, MinIO, a VPC endpoint by IP) cannot resolve
        // `bucket.host` names: address buckets in the path instead.
        .force_path_style(shared.endpoint_url().is_some())
        // Uploads carry Content-MD5, which S3 verifies and which is also what the
        // unchanged-chart check compares; no second (trailing CRC) checksum is needed.
        .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
        .build();
    Ok(Client::from_conf(config))
}
