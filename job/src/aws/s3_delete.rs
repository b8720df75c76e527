//! The one `DeleteObjects` request builder, shared by the store's removal of departed
//! authors' files and the deletion of a fan-out run's working files.

use anyhow::{anyhow, Result};
use aws_sdk_s3::types::{Delete, ObjectIdentifier};

/// The body of one quiet `DeleteObjects` call for `keys` (at most 1,000).
pub(crate) fn delete_request(keys: &[String]) -> Result<Delete> {
    let objects = keys
        .iter()
        .map(|key| ObjectIdentifier::builder().key(key).build())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| anyhow!("building the DeleteObjects request: {e}"))?;
    Delete::builder()
        .set_objects(Some(objects))
        .quiet(true)
        .build()
        .map_err(|e| anyhow!("building the DeleteObjects request: {e}"))
}
