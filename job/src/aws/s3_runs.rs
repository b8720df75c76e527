//! A fan-out run's working files in S3 (data-spec §9): `s3://<charts bucket>/<RUNS_PREFIX>
//! <run>/<name>`, beside the charts prefix, never under it (CloudFront serves that).

use anyhow::{anyhow, bail, Result};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::Client;
use tokio::runtime::Handle;

use super::errors::{explain, Kind, Operation};
use super::s3_delete::delete_request;
use crate::publish::RunFiles;
use contract::files::RUNS_PREFIX;

pub struct S3RunFiles {
    client: Client,
    runtime: Handle,
    bucket: String,
}

impl S3RunFiles {
    pub fn new(client: Client, runtime: Handle, bucket: &str) -> S3RunFiles {
        S3RunFiles {
            client,
            runtime,
            bucket: bucket.to_owned(),
        }
    }

    fn key(run: &str, name: &str) -> String {
        format!("{RUNS_PREFIX}{run}/{name}")
    }

    /// Every key under the run's folder.
    async fn keys(&self, run: &str) -> Result<Vec<String>> {
        let prefix = format!("{RUNS_PREFIX}{run}/");
        let mut keys = Vec::new();
        let mut token = None;
        loop {
            let page = self
                .client
                .list_objects_v2()
                .bucket(&self.bucket)
                .prefix(&prefix)
                .set_continuation_token(token.take())
                .send()
                .await
                .map_err(|e| explain(Operation::ListObjectsV2, &self.bucket, &prefix, &e))?;
            keys.extend(
                page.contents()
                    .iter()
                    .filter_map(|o| o.key().map(str::to_owned)),
            );
            match page.next_continuation_token() {
                Some(next) if page.is_truncated() == Some(true) => token = Some(next.to_owned()),
                _ => return Ok(keys),
            }
        }
    }
}

impl RunFiles for S3RunFiles {
    fn location(&self, run: &str) -> String {
        format!("s3://{}/{RUNS_PREFIX}{run}/", self.bucket)
    }

    fn put(&self, run: &str, name: &str, bytes: &[u8]) -> Result<()> {
        let key = Self::key(run, name);
        self.runtime
            .block_on(
                self.client
                    .put_object()
                    .bucket(&self.bucket)
                    .key(&key)
                    .content_type("application/json")
                    .body(ByteStream::from(bytes.to_vec()))
                    .send(),
            )
            .map(|_| ())
            .map_err(|e| explain(Operation::PutObject, &self.bucket, &key, &e).into())
    }

    fn get(&self, run: &str, name: &str) -> Result<Option<Vec<u8>>> {
        let key = Self::key(run, name);
        self.runtime.block_on(async {
            let output = match self
                .client
                .get_object()
                .bucket(&self.bucket)
                .key(&key)
                .send()
                .await
            {
                Ok(output) => output,
                Err(e) => {
                    let error = explain(Operation::GetObject, &self.bucket, &key, &e);
                    if error.kind == Kind::NoSuchKey {
                        return Ok(None);
                    }
                    return Err(error.into());
                }
            };
            let bytes = output.body.collect().await.map_err(|e| {
                anyhow!(
                    "GetObject s3://{}/{key} failed: the download broke off ({e}) — run again",
                    self.bucket
                )
            })?;
            Ok(Some(bytes.into_bytes().to_vec()))
        })
    }

    fn delete_run(&self, run: &str) -> Result<usize> {
        self.runtime.block_on(async {
            let keys = self.keys(run).await?;
            for chunk in keys.chunks(1000) {
                let delete = delete_request(chunk)?;
                let output = self
                    .client
                    .delete_objects()
                    .bucket(&self.bucket)
                    .delete(delete)
                    .send()
                    .await
                    .map_err(|e| {
                        explain(Operation::DeleteObjects, &self.bucket, RUNS_PREFIX, &e)
                    })?;
                if let Some(first) = output.errors().first() {
                    bail!(
                        "DeleteObjects s3://{}/{RUNS_PREFIX}{run}/ failed for {} of {} keys \
                         (first: {} {}) — check that the role allows s3:DeleteObject there",
                        self.bucket,
                        output.errors().len(),
                        chunk.len(),
                        first.key().unwrap_or("?"),
                        first.code().unwrap_or("error")
                    );
                }
            }
            Ok(keys.len())
        })
    }
}
