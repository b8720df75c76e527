//! The job on AWS: S3 objects as inputs, an S3 prefix as the chart store, the CloudFront
//! invalidation of what a publish changed, and the Lambda function that runs the batch from
//! environment settings. The stages themselves know nothing of AWS; this module only adapts
//! `Source` and `Store`, invalidates and serves invocations.
//! All access goes through `aws-config`'s standard chain (`client`).

pub mod client;
pub mod errors;
pub mod invalidation;
pub mod lambda;
pub mod lambda_steps;
pub mod metrics;
mod s3_delete;
pub mod s3_part;
mod s3_reader;
pub mod s3_runs;
pub mod s3_source;
pub mod s3_store;
pub mod settings;

pub use crate::download_options::DownloadOptions;
pub use crate::s3_url::{S3Object, S3Prefix};
pub use client::s3_client;
pub use s3_store::{ChangeLog, PublishOptions, S3Store};

/// A multi-threaded tokio runtime for the SDK (the CLI and the Lambda function each build
/// one per process).
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("aws")
        .build()
        .map_err(|e| anyhow::anyhow!("cannot start the async runtime for AWS access: {e}"))
}
