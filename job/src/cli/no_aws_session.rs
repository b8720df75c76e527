//! The CLI without the `aws` feature (the local core): there is no session, and a location
//! on S3 is refused in one line saying how to get a build that reads and writes S3.

use anyhow::{bail, Result};

use crate::download_options::DownloadOptions;
use crate::ingest::Source;
use crate::publish::Store;
use crate::run::Summary;
use crate::s3_url::{S3Object, S3Prefix};

/// No session can exist in this build.
pub(super) enum Aws {}

/// No invalidation can be pending in this build.
pub(super) enum PendingInvalidation {}

impl Aws {
    /// `None` for local locations; an S3 location is an error.
    pub(super) fn when(uses_s3: bool) -> Result<Option<Aws>> {
        if uses_s3 {
            bail!(
                "s3:// locations need the AWS adapters, and this author-stats was built without \
                 the `aws` feature: use local files, or build it with default features \
                 (`cargo build --release --package author-stats`)"
            );
        }
        Ok(None)
    }

    pub(super) fn open(
        &self,
        _object: &S3Object,
        _what: &str,
        _download: DownloadOptions,
    ) -> Result<Source> {
        match *self {}
    }

    pub(super) fn store(
        &self,
        _prefix: S3Prefix,
        _concurrency: usize,
        _cache_control: String,
        _invalidate: Option<String>,
    ) -> Result<(Box<dyn Store>, Option<PendingInvalidation>)> {
        match *self {}
    }

    pub(super) fn invalidate(
        &self,
        pending: &PendingInvalidation,
        _summary: &mut Summary,
    ) -> Result<()> {
        match *pending {}
    }
}
