//! `S3Store`: publishes charts and `index.json` under an S3 prefix (data-spec §7).
//!
//! * One `GetObject` of the published `index.json` feeds the publish guards and tells which
//!   chart headers the last successful run used (object metadata `chart-headers`).
//! * One `ListObjectsV2` pass, before any chart is rendered, tells which charts are already
//!   there with the same bytes (the ETag of a single-part SSE-S3 object is the MD5 of its
//!   bytes), so a daily rerun uploads only what changed, and which per-author objects exist.
//! * Charts stream in from the renderers and go up with bounded concurrency, with
//!   Content-MD5 (S3 rejects a corrupted body); the first failure stops the uploads.
//! * When the configured headers differ from those the last run recorded, the charts kept
//!   as they are get them with a `CopyObject` onto themselves (`MetadataDirective=REPLACE`).
//! * `index.json` goes up last, and only after every chart succeeded; then the objects the
//!   published index recorded for authors no longer listed are deleted with
//!   `DeleteObjects`, at most 1,000 keys a call (never a key by its shape alone).
//! * Every key whose object this run changed (uploaded, re-headed, a changed `index.json`,
//!   deleted) is kept for the CloudFront invalidation that follows (`invalidation.rs`).

use std::collections::{BTreeSet, HashMap, HashSet};
use std::io::{self, Read};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use anyhow::{anyhow, bail, Result};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::MetadataDirective;
use aws_sdk_s3::Client;
use base64::Engine as _;
use md5::{Digest, Md5};
use tokio::runtime::Handle;
use tokio::sync::Semaphore;

use super::errors::{explain, Kind, Operation, S3Error};
use super::s3_delete::delete_request;
use super::s3_runs::S3RunFiles;
use crate::publish::{
    author_file_slug, content_type_of, Chart, IndexSource, Publication, Published, RunFiles,
    Snapshot, Store,
};
use crate::s3_url::S3Prefix;
use contract::defaults;
use contract::files::INDEX_FILE;

/// How many failed keys an error message lists before "…".
const LISTED_FAILURES: usize = 20;
/// Most keys one `DeleteObjects` call takes (an S3 limit).
const DELETE_BATCH: usize = 1000;
/// `Content-Type` of every chart.
const CHART_CONTENT_TYPE: &str = "image/png";
/// `Content-Type` of `index.json`.
const INDEX_CONTENT_TYPE: &str = "application/json";
/// `Cache-Control` of `index.json` (shorter than the charts': every run rewrites it).
const INDEX_CACHE_CONTROL: &str = defaults::INDEX_CACHE_CONTROL;
/// User metadata on `index.json` (`x-amz-meta-chart-headers`): the headers every chart
/// under the prefix carries once that index is written.
const CHART_HEADERS_METADATA: &str = "chart-headers";

/// How uploads are made.
#[derive(Debug, Clone)]
pub struct PublishOptions {
    /// Maximum uploads in flight (≥ 1).
    pub concurrency: usize,
    /// `Cache-Control` of every per-author object written (`index.json` has its own,
    /// `contract::defaults::INDEX_CACHE_CONTROL`).
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

impl PublishOptions {
    /// The chart headers this configuration gives, as recorded on `index.json`.
    fn chart_headers(&self) -> String {
        format!(
            "content-type={CHART_CONTENT_TYPE}; cache-control={}",
            self.cache_control
        )
    }
}

/// Charts and index under `s3://bucket/prefix/`.
pub struct S3Store {
    client: Client,
    runtime: Handle,
    target: S3Prefix,
    options: PublishOptions,
    /// The chart headers the published `index.json` recorded (set by `get_index`; `None`
    /// when there is no index or it records none).
    recorded_headers: Mutex<Option<String>>,
    /// Keys of the objects the last publication changed (for the invalidation).
    changed: ChangeLog,
    /// Fan-out working files, in the same bucket outside the prefix.
    runs: S3RunFiles,
}

impl S3Store {
    /// `runtime` drives the requests; the `Store` methods block on it, so call them from a
    /// plain thread (the CLI's main thread, or `spawn_blocking` in the Lambda function).
    pub fn new(client: Client, runtime: Handle, target: S3Prefix, options: PublishOptions) -> Self {
        let runs = S3RunFiles::new(client.clone(), runtime.clone(), target.bucket());
        S3Store {
            client,
            runtime,
            target,
            options,
            recorded_headers: Mutex::new(None),
            changed: ChangeLog::default(),
            runs,
        }
    }

    pub fn target(&self) -> &S3Prefix {
        &self.target
    }

    /// Keys of the objects the last publication changed: uploaded charts, charts whose
    /// headers were replaced, `index.json` when its bytes differ from the published one, and
    /// the deleted objects of authors no longer listed. Empty after a dry run or a rerun
    /// that changed nothing.
    pub fn changed_keys(&self) -> BTreeSet<String> {
        self.changed.keys()
    }

    /// A handle on [`S3Store::changed_keys`] that outlives a boxed `dyn Store`.
    pub fn change_log(&self) -> ChangeLog {
        self.changed.clone()
    }

    fn record_changed(&self, keys: impl IntoIterator<Item = String>) {
        self.changed.0.lock().expect("changed keys").extend(keys);
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

    /// The published `index.json`'s `GetObject`, its recorded chart headers noted; the body
    /// is not read here.
    async fn get_index_async(&self) -> Result<Option<(u64, ByteStream)>> {
        let bucket = self.target.bucket();
        let key = self.target.key(INDEX_FILE);
        let output = match self
            .client
            .get_object()
            .bucket(bucket)
            .key(&key)
            .send()
            .await
        {
            Ok(output) => output,
            Err(e) => {
                let error = explain(Operation::GetObject, bucket, &key, &e);
                if error.kind == Kind::NoSuchKey {
                    return Ok(None);
                }
                return Err(anyhow::Error::new(error).context(
                    "reading the published listing, which the publish guards compare with",
                ));
            }
        };
        // Runs before this metadata existed wrote every chart with the index's own
        // Cache-Control and image/png.
        let recorded = output
            .metadata()
            .and_then(|m| m.get(CHART_HEADERS_METADATA).cloned())
            .or_else(|| {
                output.cache_control().map(|cache_control| {
                    format!("content-type={CHART_CONTENT_TYPE}; cache-control={cache_control}")
                })
            });
        *self.recorded_headers.lock().expect("headers") = recorded;
        let len = output
            .content_length()
            .and_then(|n| u64::try_from(n).ok())
            .unwrap_or(0);
        Ok(Some((len, output.body)))
    }
}

/// An object's body as a blocking reader: each chunk is awaited on `runtime` as it is
/// needed, so the object is never held whole. A download that breaks off is an error.
struct BodyReader {
    runtime: Handle,
    body: ByteStream,
    chunk: bytes::Bytes,
    location: String,
}

impl Read for BodyReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.chunk.is_empty() {
            match self.runtime.block_on(self.body.try_next()) {
                Ok(Some(chunk)) => self.chunk = chunk,
                Ok(None) => return Ok(0),
                Err(e) => {
                    return Err(io::Error::other(format!(
                        "GetObject {}: the download broke off ({e}) — run again",
                        self.location
                    )))
                }
            }
        }
        let n = buf.len().min(self.chunk.len());
        buf[..n].copy_from_slice(&self.chunk.split_to(n));
        Ok(n)
    }
}

/// The keys an [`S3Store`]'s last publication changed, shared with whoever invalidates them.
#[derive(Clone, Debug, Default)]
pub struct ChangeLog(Arc<Mutex<BTreeSet<String>>>);

impl ChangeLog {
    pub fn keys(&self) -> BTreeSet<String> {
        self.0.lock().expect("changed keys").clone()
    }
}

/// One object to write.
struct Upload {
    key: String,
    body: Vec<u8>,
    content_md5: String,
    content_type: &'static str,
    metadata: Option<(&'static str, String)>,
}

impl Upload {
    fn new(key: String, body: Vec<u8>, content_type: &'static str) -> Upload {
        let content_md5 = base64::engine::general_purpose::STANDARD.encode(Md5::digest(&body));
        Upload {
            key,
            body,
            content_md5,
            content_type,
            metadata: None,
        }
    }

    async fn send(
        self,
        client: &Client,
        bucket: &str,
        cache_control: &str,
    ) -> Result<(), (String, S3Error)> {
        let mut request = client
            .put_object()
            .bucket(bucket)
            .key(&self.key)
            .content_type(self.content_type)
            .cache_control(cache_control)
            .content_md5(self.content_md5);
        if let Some((name, value)) = self.metadata {
            request = request.metadata(name, value);
        }
        match request.body(ByteStream::from(self.body)).send().await {
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

/// `bucket/key` for `x-amz-copy-source`, percent-encoded except for unreserved characters
/// and `/`.
fn copy_source(bucket: &str, key: &str) -> String {
    let mut out = format!("{bucket}/");
    for byte in key.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~/".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

impl Store for S3Store {
    fn location(&self) -> String {
        self.target.to_string()
    }

    fn get_index(&self) -> Result<IndexSource<'_>> {
        let Some((len, body)) = self.runtime.block_on(self.get_index_async())? else {
            return Ok(IndexSource::Absent);
        };
        Ok(IndexSource::Stream {
            len,
            reader: Box::new(BodyReader {
                runtime: self.runtime.clone(),
                body,
                chunk: bytes::Bytes::new(),
                location: format!(
                    "s3://{}/{}",
                    self.target.bucket(),
                    self.target.key(INDEX_FILE)
                ),
            }),
        })
    }

    fn snapshot(&self) -> Result<Option<Snapshot>> {
        let prefix = self.target.prefix();
        let existing = self.runtime.block_on(self.list_etags())?;
        Ok(Some(
            existing
                .into_iter()
                .filter_map(|(key, etag)| Some((key.strip_prefix(prefix)?.to_owned(), etag)))
                .collect(),
        ))
    }

    fn open_with(&self, snapshot: Option<Snapshot>) -> Result<Box<dyn Publication + '_>> {
        let Some(snapshot) = snapshot else {
            return self.open();
        };
        self.changed.0.lock().expect("changed keys").clear();
        Ok(Box::new(S3Publication {
            store: self,
            existing: snapshot
                .into_iter()
                .map(|(name, etag)| (self.target.key(&name), etag))
                .collect(),
            uploaded: HashSet::new(),
        }))
    }

    fn run_files(&self) -> &dyn RunFiles {
        &self.runs
    }

    fn open(&self) -> Result<Box<dyn Publication + '_>> {
        let existing = self.runtime.block_on(self.list_etags())?;
        self.changed.0.lock().expect("changed keys").clear();
        Ok(Box::new(S3Publication {
            store: self,
            existing,
            uploaded: HashSet::new(),
        }))
    }
}

/// One run's writes under the prefix.
struct S3Publication<'s> {
    store: &'s S3Store,
    /// Key → ETag of the objects directly under the prefix before this run.
    existing: HashMap<String, String>,
    /// Chart keys this run uploaded (they carry the configured headers already).
    uploaded: HashSet<String>,
}

/// What one upload task reports.
type Outcome = Result<String, (String, S3Error)>;

impl S3Publication<'_> {
    /// The error after a failed upload phase: what was replaced, and what a rerun does.
    fn partial_failure(
        &self,
        mut failed: Vec<(String, S3Error)>,
        attempted: usize,
    ) -> anyhow::Error {
        let store = self.store;
        failed.sort_by(|a, b| a.0.cmp(&b.0));
        let mut keys: Vec<&str> = failed
            .iter()
            .take(LISTED_FAILURES)
            .map(|(k, _)| k.as_str())
            .collect();
        if failed.len() > LISTED_FAILURES {
            keys.push("…");
        }
        anyhow!(
            "{} of {attempted} chart uploads to {} failed (uploads stopped at the first failure), \
             so {INDEX_FILE} was not written and the published one still lists the previous \
             run's charts; {} objects were already replaced by this run's versions, the other \
             objects were not touched. Running again once the cause is fixed converges to the \
             same output: it uploads only what differs. Failed keys: {}. First error: {}",
            failed.len(),
            store.target,
            self.uploaded.len(),
            keys.join(", "),
            failed[0].1
        )
    }
}

impl Publication for S3Publication<'_> {
    fn put_charts(
        &mut self,
        charts: &mut dyn Iterator<Item = Chart>,
        on_done: &(dyn Fn() + Sync),
    ) -> Result<Published> {
        let store = self.store;
        let concurrency = store.options.concurrency.max(1);
        let permits = Arc::new(Semaphore::new(concurrency));
        let (done_tx, done_rx) = mpsc::channel::<Outcome>();
        let mut unchanged = 0;
        let mut attempted = 0;
        let mut failed: Vec<(String, S3Error)> = Vec::new();
        let collect = |outcome: Outcome,
                       uploaded: &mut HashSet<String>,
                       failed: &mut Vec<(String, S3Error)>| {
            match outcome {
                Ok(key) => {
                    uploaded.insert(key);
                }
                Err(failure) => failed.push(failure),
            }
        };
        let mut authors_written = 0;
        'charts: for chart in charts {
            let mut wrote = false;
            for file in chart.files {
                while let Ok(outcome) = done_rx.try_recv() {
                    collect(outcome, &mut self.uploaded, &mut failed);
                }
                if !failed.is_empty() {
                    break 'charts;
                }
                let key = store.target.key(&file.name);
                let md5 = Md5::digest(&file.bytes);
                if self
                    .existing
                    .get(&key)
                    .is_some_and(|etag| *etag == hex(&md5))
                {
                    continue;
                }
                wrote = true;
                let upload = Upload::new(key, file.bytes, file.content_type);
                // Waits while `concurrency` uploads are in flight: the renderers wait in turn.
                let permit = store
                    .runtime
                    .block_on(Arc::clone(&permits).acquire_owned())
                    .expect("the semaphore is never closed");
                attempted += 1;
                let client = store.client.clone();
                let bucket = store.target.bucket().to_owned();
                let cache_control = store.options.cache_control.clone();
                let done = done_tx.clone();
                store.runtime.spawn(async move {
                    let key = upload.key.clone();
                    let outcome = upload.send(&client, &bucket, &cache_control).await;
                    drop(permit);
                    let _ = done.send(outcome.map(|()| key));
                });
            }
            if wrote {
                authors_written += 1;
            } else {
                unchanged += 1;
            }
            on_done();
        }
        drop(done_tx);
        // Every task has sent its outcome once the channel is closed.
        while let Ok(outcome) = done_rx.recv() {
            collect(outcome, &mut self.uploaded, &mut failed);
        }
        store.record_changed(self.uploaded.iter().cloned());
        if !failed.is_empty() {
            return Err(self.partial_failure(failed, attempted));
        }
        Ok(Published {
            written: authors_written,
            unchanged,
            refreshed: 0,
        })
    }

    fn refresh_headers(&mut self, recorded: &dyn Fn(&str) -> bool) -> Result<usize> {
        let store = self.store;
        let wanted = store.options.chart_headers();
        if store.recorded_headers.lock().expect("headers").as_deref() == Some(wanted.as_str()) {
            return Ok(0);
        }
        let keys: Vec<String> = self
            .existing
            .keys()
            .filter(|key| !self.uploaded.contains(*key))
            .filter(|key| {
                key.strip_prefix(store.target.prefix())
                    .is_some_and(recorded)
            })
            .cloned()
            .collect();
        let bucket = store.target.bucket();
        let cache_control = &store.options.cache_control;
        let results: Vec<Result<(), S3Error>> = store.runtime.block_on(async {
            let permits = Arc::new(Semaphore::new(store.options.concurrency.max(1)));
            let mut tasks = tokio::task::JoinSet::new();
            for key in keys.clone() {
                let permit = Arc::clone(&permits).acquire_owned().await.expect("open");
                let client = store.client.clone();
                let bucket = bucket.to_owned();
                let cache_control = cache_control.clone();
                // The type follows the file name, not the prefix (which may hold a dot).
                let content_type =
                    content_type_of(key.strip_prefix(store.target.prefix()).unwrap_or(&key));
                tasks.spawn(async move {
                    let result = client
                        .copy_object()
                        .bucket(&bucket)
                        .key(&key)
                        .copy_source(copy_source(&bucket, &key))
                        .metadata_directive(MetadataDirective::Replace)
                        .content_type(content_type)
                        .cache_control(cache_control)
                        .send()
                        .await
                        .map(|_| ())
                        .map_err(|e| explain(Operation::CopyObject, &bucket, &key, &e));
                    drop(permit);
                    result
                });
            }
            let mut results = Vec::new();
            while let Some(joined) = tasks.join_next().await {
                results.push(joined.unwrap_or_else(|e| {
                    Err(S3Error {
                        operation: "CopyObject",
                        target: format!("s3://{bucket}/"),
                        code: None,
                        kind: Kind::Other,
                        cause: format!("the copy task failed: {e}"),
                        check: "run again".to_owned(),
                    })
                }));
            }
            results
        });
        let refreshed = results.iter().filter(|r| r.is_ok()).count();
        if refreshed == results.len() {
            store.record_changed(keys);
        }
        if let Some(Err(first)) = results.iter().find(|r| r.is_err()) {
            bail!(
                "{} of {} charts under {} could not get the configured headers ({wanted}), so \
                 {INDEX_FILE} was not written; {refreshed} were refreshed and the next run \
                 refreshes the rest. First error: {first}",
                results.len() - refreshed,
                results.len(),
                store.target
            );
        }
        Ok(refreshed)
    }

    fn put_index(&mut self, json: &[u8]) -> Result<()> {
        let store = self.store;
        let key = store.target.key(INDEX_FILE);
        // Written every run (its metadata records the chart headers), but changed, for the
        // invalidation, only when its bytes differ from the published one.
        if self.existing.get(&key) != Some(&hex(&Md5::digest(json))) {
            store.record_changed([key.clone()]);
        }
        let mut upload = Upload::new(key, json.to_vec(), INDEX_CONTENT_TYPE);
        upload.metadata = Some((CHART_HEADERS_METADATA, store.options.chart_headers()));
        store
            .runtime
            .block_on(upload.send(&store.client, store.target.bucket(), INDEX_CACHE_CONTROL))
            .map_err(|(_, error)| {
                anyhow::Error::new(error).context(format!(
                    "every chart was published but {INDEX_FILE} was not written (the published \
                     one still lists the previous run's charts); running again converges"
                ))
            })
    }

    fn written_names(&self) -> Vec<String> {
        let prefix = self.store.target.prefix();
        self.uploaded
            .iter()
            .filter_map(|key| key.strip_prefix(prefix).map(str::to_owned))
            .collect()
    }

    fn note_written(&mut self, names: &mut dyn Iterator<Item = String>) {
        let keys: Vec<String> = names.map(|name| self.store.target.key(&name)).collect();
        self.store.record_changed(keys.iter().cloned());
        self.uploaded.extend(keys);
    }

    fn holds_file(&self, name: &str) -> bool {
        self.existing.contains_key(&self.store.target.key(name))
    }

    fn remove(&mut self, names: &[String]) -> Result<usize> {
        let store = self.store;
        let bucket = store.target.bucket();
        let prefix = store.target.prefix();
        // Only per-author names, and only objects the listing has.
        let mut doomed: Vec<String> = names
            .iter()
            .filter(|name| author_file_slug(name).is_some())
            .map(|name| store.target.key(name))
            .filter(|key| self.existing.contains_key(key))
            .collect();
        doomed.sort();
        let mut removed = 0;
        let mut failed: Vec<String> = Vec::new();
        for batch in doomed.chunks(DELETE_BATCH) {
            let delete = delete_request(batch)?;
            let sent = store.runtime.block_on(
                store
                    .client
                    .delete_objects()
                    .bucket(bucket)
                    .delete(delete)
                    .send(),
            );
            match sent {
                Ok(output) => {
                    let errors = output.errors();
                    removed += batch.len() - errors.len();
                    let kept: HashSet<&str> = errors.iter().filter_map(|e| e.key()).collect();
                    store.record_changed(
                        batch
                            .iter()
                            .filter(|key| !kept.contains(key.as_str()))
                            .cloned(),
                    );
                    failed.extend(errors.iter().map(|e| {
                        format!(
                            "{}: {} {}",
                            e.key().unwrap_or("?"),
                            e.code().unwrap_or("error"),
                            e.message().unwrap_or("")
                        )
                    }));
                }
                Err(e) => {
                    let error = explain(Operation::DeleteObjects, bucket, prefix, &e);
                    bail!(
                        "{INDEX_FILE} was written, but removing the {} objects of authors no \
                         longer listed failed after {removed}: {error}; the next run removes the \
                         rest ({INDEX_FILE} lists them under removed_files)",
                        doomed.len()
                    );
                }
            }
        }
        if !failed.is_empty() {
            bail!(
                "{INDEX_FILE} was written and {removed} objects of authors no longer listed were \
                 removed, but {} could not be ({}); check that the role allows s3:DeleteObject on \
                 arn:aws:s3:::{bucket}/{prefix}*; the next run removes them",
                failed.len(),
                failed
                    .iter()
                    .take(LISTED_FAILURES)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join("; ")
            );
        }
        Ok(removed)
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

    #[test]
    fn copy_source_encodes_all_but_unreserved_characters_and_slashes() {
        assert_eq!(copy_source("b", "p/alice.png"), "b/p/alice.png");
        assert_eq!(copy_source("b", "a b/ü+.png"), "b/a%20b/%C3%BC%2B.png");
    }

    #[test]
    fn recorded_chart_headers_name_type_and_cache_control() {
        let options = PublishOptions::default();
        assert_eq!(
            options.chart_headers(),
            format!(
                "content-type=image/png; cache-control={}",
                defaults::CACHE_CONTROL
            )
        );
    }
}
