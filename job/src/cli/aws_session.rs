//! The CLI's AWS session (the `aws` feature): the SDK's runtime and S3 client, built once
//! when a location is on S3, and what the CLI does through them: open an S3 input, make the
//! S3 store, and invalidate on CloudFront what a publish changed (`--invalidate`).

use anyhow::Result;

use crate::aws::client::{self, Timeouts};
use crate::aws::invalidation::{self, Invalidator};
use crate::aws::{self, s3_source, ChangeLog, PublishOptions, S3Store};
use crate::download_options::DownloadOptions;
use crate::ingest::Source;
use crate::publish::Store;
use crate::run::Summary;
use crate::s3_url::{S3Object, S3Prefix};

/// The SDK's runtime and client.
pub(super) struct Aws {
    runtime: tokio::runtime::Runtime,
    client: aws_sdk_s3::Client,
}

/// What an S3 store changed, and the distribution to invalidate it on.
pub(super) struct PendingInvalidation {
    prefix: S3Prefix,
    log: ChangeLog,
    distribution: String,
}

impl Aws {
    /// The session, when some location is on S3.
    pub(super) fn when(uses_s3: bool) -> Result<Option<Aws>> {
        if !uses_s3 {
            return Ok(None);
        }
        let runtime = aws::runtime()?;
        let client = runtime.block_on(aws::s3_client())?;
        Ok(Some(Aws { runtime, client }))
    }

    /// An export on S3, opened for streaming.
    pub(super) fn open(
        &self,
        object: &S3Object,
        what: &str,
        download: DownloadOptions,
    ) -> Result<Source> {
        self.runtime
            .block_on(s3_source::open(&self.client, object, what, download))
    }

    /// The S3 store of `prefix`; with a distribution id, the invalidation it will need.
    pub(super) fn store(
        &self,
        prefix: S3Prefix,
        concurrency: usize,
        cache_control: String,
        invalidate: Option<String>,
    ) -> Result<(Box<dyn Store>, Option<PendingInvalidation>)> {
        let store = S3Store::new(
            self.client.clone(),
            self.runtime.handle().clone(),
            prefix.clone(),
            PublishOptions {
                concurrency,
                cache_control,
            },
        );
        let pending = invalidate.map(|distribution| PendingInvalidation {
            prefix,
            log: store.change_log(),
            distribution,
        });
        Ok((Box::new(store), pending))
    }

    /// Invalidate the changed paths after the run; the outcome goes into `summary`.
    pub(super) fn invalidate(
        &self,
        pending: &PendingInvalidation,
        summary: &mut Summary,
    ) -> Result<()> {
        let shared = self.runtime.block_on(client::shared_config());
        let invalidator = Invalidator::new(&shared, Timeouts::from_env()?, &pending.distribution);
        self.runtime.block_on(invalidation::after_publish(
            &invalidator,
            &pending.prefix,
            &pending.log.keys(),
            summary,
        ));
        Ok(())
    }
}
