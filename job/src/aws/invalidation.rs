//! CloudFront invalidation after a publish (data-spec §7 *Invalidation*): exactly the paths of
//! the objects the run changed, merged into the prefix wildcard `/<prefix>*` above
//! `contract::defaults::MAX_INVALIDATION_PATHS`, and no request when nothing changed. The
//! caller reference is derived from the run's `now` and the paths, so a retried request of
//! the same run is the same invalidation. A failure is reported to the caller, which turns it
//! into a warning: the charts are already published.

use std::collections::BTreeSet;

use anyhow::{anyhow, Result};
use aws_config::SdkConfig;
use aws_sdk_cloudfront::types::{InvalidationBatch, Paths};
use aws_sdk_cloudfront::Client;
use sha2::{Digest, Sha256};

use super::client::Timeouts;
use crate::run::Summary;
use crate::s3_url::S3Prefix;
use contract::defaults::MAX_INVALIDATION_PATHS;

/// Invalidates on one distribution.
#[derive(Clone, Debug)]
pub struct Invalidator {
    client: Client,
    distribution_id: String,
}

/// What an invalidation request did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invalidated {
    /// The paths requested (empty: nothing changed, no request was made).
    pub paths: Vec<String>,
    /// CloudFront's id of the invalidation, when one was made.
    pub id: Option<String>,
}

impl Invalidator {
    /// A CloudFront client from the shared configuration (`AWS_ENDPOINT_URL` included), with
    /// the S3 client's timeouts.
    pub fn new(shared: &SdkConfig, timeouts: Timeouts, distribution_id: &str) -> Invalidator {
        let config = aws_sdk_cloudfront::config::Builder::from(shared)
            .timeout_config(timeouts.config())
            .build();
        Invalidator {
            client: Client::from_conf(config),
            distribution_id: distribution_id.to_owned(),
        }
    }

    pub fn distribution_id(&self) -> &str {
        &self.distribution_id
    }

    /// Invalidate the CloudFront paths of `changed` (S3 keys under `target`'s prefix) for
    /// the run at `now`; nothing when `changed` is empty.
    pub async fn invalidate(
        &self,
        target: &S3Prefix,
        changed: &BTreeSet<String>,
        now: &str,
    ) -> Result<Invalidated> {
        let paths = paths(target.prefix(), changed);
        if paths.is_empty() {
            return Ok(Invalidated { paths, id: None });
        }
        let batch = InvalidationBatch::builder()
            .caller_reference(caller_reference(now, &paths))
            .paths(
                Paths::builder()
                    .quantity(paths.len() as i32)
                    .set_items(Some(paths.clone()))
                    .build()
                    .map_err(|e| anyhow!("building the invalidation request: {e}"))?,
            )
            .build()
            .map_err(|e| anyhow!("building the invalidation request: {e}"))?;
        let output = self
            .client
            .create_invalidation()
            .distribution_id(&self.distribution_id)
            .invalidation_batch(batch)
            .send()
            .await
            .map_err(|e| {
                let detail = aws_sdk_cloudfront::error::DisplayErrorContext(&e);
                anyhow!(
                    "CreateInvalidation of {} paths on CloudFront distribution {} failed: \
                     {detail} — check that the distribution exists and that the role may \
                     cloudfront:CreateInvalidation on it",
                    paths.len(),
                    self.distribution_id
                )
            })?;
        Ok(Invalidated {
            id: output.invalidation().map(|i| i.id().to_owned()),
            paths,
        })
    }
}

/// After a run that published to `target`: invalidate the paths of `changed` and record
/// their number in the summary. A failure does not fail the run (its charts are published,
/// and a rerun would find nothing changed and invalidate nothing): it becomes a warning in
/// the summary, and the return value is `true` (the `InvalidationFailed` metric).
pub async fn after_publish(
    invalidator: &Invalidator,
    target: &S3Prefix,
    changed: &BTreeSet<String>,
    summary: &mut Summary,
) -> bool {
    if summary.dry_run {
        return false;
    }
    match invalidator.invalidate(target, changed, &summary.now).await {
        Ok(done) => {
            summary.invalidated_paths = done.paths.len();
            false
        }
        Err(e) => {
            let warning = format!(
                "{e:#}; the charts are published, but CloudFront serves its cached copies until \
                 their s-maxage ends (a day at most); to refresh them now: aws cloudfront \
                 create-invalidation --distribution-id {} --paths '/{}*' '/'",
                invalidator.distribution_id(),
                target.prefix()
            );
            tracing::warn!(warning = %warning, "run warning");
            summary.warnings.push(warning);
            true
        }
    }
}

/// The CloudFront paths for the changed keys: `/<key>` each (percent-encoded), plus `/` when
/// `index.json` changed (the distribution's default root object); more than
/// [`MAX_INVALIDATION_PATHS`] become `/<prefix>*` and `/`. Sorted, so the request is
/// the same for the same changes.
pub fn paths(prefix: &str, changed: &BTreeSet<String>) -> Vec<String> {
    if changed.is_empty() {
        return Vec::new();
    }
    let index_key = format!("{prefix}{}", contract::files::INDEX_FILE);
    let mut paths: BTreeSet<String> = changed.iter().map(|key| path_of(key)).collect();
    if changed.contains(&index_key) {
        paths.insert("/".to_owned());
    }
    if paths.len() > MAX_INVALIDATION_PATHS {
        let mut merged = BTreeSet::from([format!("{}*", path_of(prefix))]);
        if changed.contains(&index_key) {
            merged.insert("/".to_owned());
        }
        paths = merged;
    }
    paths.into_iter().collect()
}

/// `/<key>`, with every byte but unreserved characters and `/` percent-encoded.
fn path_of(key: &str) -> String {
    let mut out = String::from("/");
    for byte in key.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~/".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// `author-stats <now> <16 hex of SHA-256 over the paths>`: the same run asking again for
/// the same paths is the same invalidation (CloudFront answers it without a new one).
pub fn caller_reference(now: &str, paths: &[String]) -> String {
    let mut hash = Sha256::new();
    for path in paths {
        hash.update(path.as_bytes());
        hash.update(b"\n");
    }
    let digest: String = hash.finalize()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("author-stats {now} {digest}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const PREFIX: &str = "author-monthly-stats/";

    fn keys(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|n| format!("{PREFIX}{n}")).collect()
    }

    #[test]
    fn nothing_changed_means_no_path() {
        assert!(paths(PREFIX, &BTreeSet::new()).is_empty());
    }

    #[test]
    fn changed_keys_become_their_paths_and_a_changed_index_the_root_too() {
        assert_eq!(
            paths(
                PREFIX,
                &keys(&["alice.png", "alice.dark.png", "index.json"])
            ),
            [
                "/",
                "/author-monthly-stats/alice.dark.png",
                "/author-monthly-stats/alice.png",
                "/author-monthly-stats/index.json",
            ]
        );
        assert_eq!(
            paths(PREFIX, &keys(&["bob.stats.json"])),
            ["/author-monthly-stats/bob.stats.json"]
        );
    }

    #[test]
    fn more_paths_than_the_limit_become_the_prefix_wildcard() {
        let names: Vec<String> = (0..MAX_INVALIDATION_PATHS)
            .map(|i| format!("a{i}.png"))
            .collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        assert_eq!(paths(PREFIX, &keys(&names)).len(), MAX_INVALIDATION_PATHS);
        let mut more = names.clone();
        more.push("index.json");
        assert_eq!(
            paths(PREFIX, &keys(&more)),
            ["/", "/author-monthly-stats/*"]
        );
    }

    #[test]
    fn paths_are_percent_encoded() {
        assert_eq!(path_of("p q/ü.png"), "/p%20q/%C3%BC.png");
        assert_eq!(path_of(""), "/");
    }

    #[test]
    fn the_caller_reference_depends_on_the_run_and_the_paths_only() {
        let a = vec!["/x".to_owned()];
        let b = vec!["/y".to_owned()];
        let now = "2025-11-25T00:00:00Z";
        assert_eq!(caller_reference(now, &a), caller_reference(now, &a));
        assert_ne!(caller_reference(now, &a), caller_reference(now, &b));
        assert_ne!(
            caller_reference(now, &a),
            caller_reference("2025-11-26T00:00:00Z", &a)
        );
        assert!(caller_reference(now, &a).starts_with("author-stats 2025-11-25T00:00:00Z "));
    }
}
