//! `S3Store`: publishes charts and `index.json` under an S3 prefix. One `ListObjectsV2`
//! pass tells which charts are already there with the same bytes (the ETag of a single-part
//! SSE-S3 object is the MD5 of its bytes), so a daily rerun uploads only what changed.
//! Uploads run with bounded concurrency and carry Content-MD5 (S3 rejects a corrupted body);
//! `index.json` goes up last, and only after every chart succeeded.

use std::collections::HashMap;

use anyhow::{bail, Result};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::Client;
use base64::Engine as _;
use md5::{Digest, Md5};
use tokio::runtime::Handle;
use tokio::task::JoinSet;

use super::errors::{explain, Operation, S3Error};
use super::s3_url::S3Prefix;
use crate::publish::{Chart, Published, Store};
use contract::defaults;
use contract::files::INDEX_FILE;

/// How many failed keys an error message lists before "and N more".
const LISTED_FAILURES: usize = 20;

/// How uploads are made.
#[derive(Debug, Clone)]
pub struct PublishOptions {
    /// Maximum uploads in flight (≥ 1).
    pub concurrency: usize,
    /// `Cache-Control` of every object written.
    pub cache_control: String,
}

impl Default for PublishOptions {
    fn default() -> Self {
        PublishOptions {
            concurrency: defaults::UPLOAD_CONCURRENCY,
            cache_control: defaults::CACHE_CONTROL.to_owned(),
        }
    }
}

/// Charts and index under `s3://bucket/prefix/`.
pub struct S3Store {
    client: Client,
    runtime: Handle,
    target: S3Prefix,
    options: PublishOptions,
}

impl S3Store {
    /// `runtime` drives the uploads; the `Store` methods block on it, so call them from a
    /// plain thread (the CLI's main thread, or `spawn_blocking` in the Lambda function).
    pub fn new(client: Client, runtime: Handle, target: S3Prefix, options: PublishOptions) -> Self {
        S3Store {
            client,
            runtime,
            target,
            options,
        }
    }

    pub fn target(&self) -> &S3Prefix {
        &self.target
    }

    /// Key → ETag (without quotes) of every object directly under the prefix.
    async fn list_etags(&self) -> Result<HashMap<String, String>, S3Error> {
        let bucket = self.target.bucket();
        let prefix = self.target.prefix();
        let mut etags = HashMap::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .client
                .list_objects_v2()
                .bucket(bucket)
                .prefix(prefix)
                .delimiter("/")
                .set_continuation_token(token.take())
                .send()
                .await
                .map_err(|e| explain(Operation::ListObjectsV2, bucket, prefix, &e))?;
            for object in page.contents() {
                if let (Some(key), Some(etag)) = (object.key(), object.e_tag()) {
                    etags.insert(key.to_owned(), etag.trim_matches('"').to_owned());
                }
            }
            match page.next_continuation_token() {
                Some(next) if page.is_truncated() == Some(true) => token = Some(next.to_owned()),
                _ => return Ok(etags),
            }
        }
    }

    async fn put_charts_async(
        &self,
        charts: &[Chart],
        on_done: &(dyn Fn() + Sync),
    ) -> Result<Published> {
        let existing = self.list_etags().await?;
        let mut unchanged = 0;
        let mut uploads = Vec::new();
        for chart in charts {
            let key = self.target.key(&chart.slug.chart_file_name());
            let md5 = Md5::digest(&chart.png);
            if existing.get(&key).is_some_and(|etag| *etag == hex(&md5)) {
                unchanged += 1;
                on_done();
            } else {
                uploads.push(Upload {
                    key,
                    body: chart.png.clone(),
                    content_md5: base64::engine::general_purpose::STANDARD.encode(md5),
                    content_type: "image/png",
                });
            }
        }

        let total = uploads.len();
        let concurrency = self.options.concurrency.max(1);
        let mut in_flight = JoinSet::new();
        let mut failed: Vec<(String, String)> = Vec::new();
        let mut record = |joined: Result<Result<(), (String, S3Error)>, tokio::task::JoinError>| {
            match joined {
                Ok(Ok(())) => {}
                Ok(Err((key, error))) => failed.push((key, error.to_string())),
                Err(panic) => failed.push(("(upload task)".to_owned(), panic.to_string())),
            }
            on_done();
        };
        for upload in uploads {
            while in_flight.len() >= concurrency {
                if let Some(joined) = in_flight.join_next().await {
                    record(joined);
                }
            }
            let client = self.client.clone();
            let bucket = self.target.bucket().to_owned();
            let cache_control = self.options.cache_control.clone();
            in_flight.spawn(async move { upload.send(&client, &bucket, &cache_control).await });
        }
        while let Some(joined) = in_flight.join_next().await {
            record(joined);
        }

        if !failed.is_empty() {
            failed.sort();
            let mut keys: Vec<&str> = failed
                .iter()
                .take(LISTED_FAILURES)
                .map(|(k, _)| k.as_str())
                .collect();
            if failed.len() > LISTED_FAILURES {
                keys.push("…");
            }
            bail!(
                "{} of {total} chart uploads to {} failed, so {INDEX_FILE} was not written; the charts \
                 already published are intact and a rerun uploads only what is missing. Failed keys: \
                 {}. First error: {}",
                failed.len(),
                self.target,
                keys.join(", "),
                failed[0].1
            );
        }
        Ok(Published {
            written: total,
            unchanged,
        })
    }
}

/// One object to write.
struct Upload {
    key: String,
    body: Vec<u8>,
    content_md5: String,
    content_type: &'static str,
}

impl Upload {
    async fn send(
        self,
        client: &Client,
        bucket: &str,
        cache_control: &str,
    ) -> Result<(), (String, S3Error)> {
        let result = client
            .put_object()
            .bucket(bucket)
            .key(&self.key)
            .content_type(self.content_type)
            .cache_control(cache_control)
            .content_md5(self.content_md5)
            .body(ByteStream::from(self.body))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) => {
                let error = explain(Operation::PutObject, bucket, &self.key, &e);
                Err((self.key, error))
            }
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Store for S3Store {
    fn location(&self) -> String {
        self.target.to_string()
    }

    fn put_charts(&self, charts: &[Chart], on_done: &(dyn Fn() + Sync)) -> Result<Published> {
        self.runtime
            .block_on(self.put_charts_async(charts, on_done))
    }

    fn put_index(&self, json: &[u8]) -> Result<()> {
        let upload = Upload {
            key: self.target.key(INDEX_FILE),
            body: json.to_vec(),
            content_md5: base64::engine::general_purpose::STANDARD.encode(Md5::digest(json)),
            content_type: "application/json",
        };
        self.runtime
            .block_on(upload.send(
                &self.client,
                self.target.bucket(),
                &self.options.cache_control,
            ))
            .map_err(|(_, error)| anyhow::Error::new(error))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etag_of_a_single_part_upload_is_the_hex_md5() {
        // S3 documents this ETag for the empty object.
        assert_eq!(hex(&Md5::digest(b"")), "d41d8cd98f00b204e9800998ecf8427e");
    }
}
