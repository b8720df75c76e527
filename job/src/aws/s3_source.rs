//! An S3 object as an ingest `Source`. `GetObject` is sent when the source is opened (so a
//! missing key fails before any work); the body then streams chunk by chunk through a small
//! bounded channel into the blocking gzip reader — never the whole object in memory, no
//! `/tmp` copy. A connection that breaks mid-object resumes with a ranged GET pinned to the
//! object's ETag, so a long download survives a reset without mixing two versions.

use std::io::{self, Read};

use anyhow::{Context, Result};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::Client;
use bytes::{Buf, Bytes};
use tokio::sync::mpsc;

use super::errors::{chain, explain, Operation};
use crate::ingest::Source;
use crate::s3_url::S3Object;

/// Chunks buffered ahead of the reader (hyper hands out roughly 8–16 KiB per chunk, so this
/// is about 1 MiB of read-ahead: enough to keep the network busy while the reader inflates).
const READ_AHEAD_CHUNKS: usize = 64;
/// How often one download may resume after its connection broke.
const MAX_RESUMES: u32 = 3;

/// Open `object` for streaming; `what` names the input in messages (`posts`, `authors`).
/// Must be awaited inside the tokio runtime that will drive the download.
pub async fn open(client: &Client, object: &S3Object, what: &str) -> Result<Source> {
    let output = client
        .get_object()
        .bucket(&object.bucket)
        .key(&object.key)
        .send()
        .await
        .map_err(|e| explain(Operation::GetObject, &object.bucket, &object.key, &e))
        .with_context(|| format!("{what} export"))?;
    let len = output.content_length().and_then(|n| u64::try_from(n).ok());
    let download = Download {
        client: client.clone(),
        object: object.clone(),
        etag: output.e_tag().map(str::to_owned),
        len,
    };
    let (tx, rx) = mpsc::channel(READ_AHEAD_CHUNKS);
    tokio::spawn(download.pump(output.body, tx));
    Ok(Source {
        label: format!("{what} object {object}"),
        reader: Box::new(ChannelReader {
            rx,
            current: Bytes::new(),
        }),
        len,
    })
}

/// What a resumed request needs to know about the object.
struct Download {
    client: Client,
    object: S3Object,
    etag: Option<String>,
    len: Option<u64>,
}

impl Download {
    /// Move the body's chunks into `tx` until the end, an error, or the reader going away.
    async fn pump(self, mut body: ByteStream, tx: mpsc::Sender<io::Result<Bytes>>) {
        let mut position: u64 = 0;
        let mut resumes = 0;
        // The SDK's timeouts end when the answer's headers arrive; a body that stalls
        // afterwards is caught here, between two chunks.
        let stall = super::client::in_use().timeouts.attempt;
        loop {
            let next = match tokio::time::timeout(stall, body.next()).await {
                Ok(Some(Ok(chunk))) => Some(Ok(chunk)),
                Ok(Some(Err(error))) => Some(Err(chain(&error))),
                Ok(None) => None,
                Err(_) => Some(Err(format!(
                    "no data for {} s ({})",
                    stall.as_secs_f64(),
                    super::client::ATTEMPT_TIMEOUT_VAR
                ))),
            };
            match next {
                Some(Ok(chunk)) => {
                    position += chunk.len() as u64;
                    if tx.send(Ok(chunk)).await.is_err() {
                        return; // the reader stopped (a failed run): drop the connection
                    }
                }
                None => {
                    if let Some(len) = self.len.filter(|&len| position < len) {
                        let _ = tx
                            .send(Err(io::Error::other(format!(
                                "the download ended after {position} of {len} bytes"
                            ))))
                            .await;
                    }
                    return;
                }
                Some(Err(error)) => {
                    let resumable = resumes < MAX_RESUMES
                        && self.etag.is_some()
                        && self.len.is_some_and(|len| position < len);
                    if !resumable {
                        let _ = tx
                            .send(Err(io::Error::other(format!(
                                "the download broke off after {position} bytes: {error}"
                            ))))
                            .await;
                        return;
                    }
                    resumes += 1;
                    tracing::warn!(
                        object = %self.object,
                        position,
                        error = %error,
                        "download broke off; resuming with a ranged GET"
                    );
                    match self.resume_from(position).await {
                        Ok(rest) => body = rest,
                        Err(error) => {
                            let _ = tx.send(Err(io::Error::other(error))).await;
                            return;
                        }
                    }
                }
            }
        }
    }

    /// `GET bytes=position-`, only if the object is still the one being read.
    async fn resume_from(&self, position: u64) -> Result<ByteStream, String> {
        let S3Object { bucket, key } = &self.object;
        let mut request = self
            .client
            .get_object()
            .bucket(bucket)
            .key(key)
            .range(format!("bytes={position}-"));
        if let Some(etag) = &self.etag {
            request = request.if_match(etag);
        }
        match request.send().await {
            Ok(output) => Ok(output.body),
            Err(e) => Err(explain(Operation::GetObject, bucket, key, &e).to_string()),
        }
    }
}

/// The blocking end of the channel, read by the inflate thread. Must not be read on a
/// tokio worker thread (it blocks); the ingest stage reads it on a plain thread.
struct ChannelReader {
    rx: mpsc::Receiver<io::Result<Bytes>>,
    current: Bytes,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.current.is_empty() {
            match self.rx.blocking_recv() {
                None => return Ok(0),
                Some(Ok(chunk)) => self.current = chunk,
                Some(Err(e)) => return Err(e),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current[..n]);
        self.current.advance(n);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_reader_joins_chunks_and_reports_the_error_last() {
        let (tx, rx) = mpsc::channel(8);
        tx.try_send(Ok(Bytes::from_static(b"hello "))).unwrap();
        tx.try_send(Ok(Bytes::new())).unwrap();
        tx.try_send(Ok(Bytes::from_static(b"world"))).unwrap();
        tx.try_send(Err(io::Error::other("connection reset")))
            .unwrap();
        drop(tx);
        let mut reader = ChannelReader {
            rx,
            current: Bytes::new(),
        };
        let mut text = Vec::new();
        let error = reader.read_to_end(&mut text).unwrap_err();
        assert_eq!(text, b"hello world");
        assert_eq!(error.to_string(), "connection reset");
    }

    #[test]
    fn channel_reader_ends_when_the_sender_is_gone() {
        let (tx, rx) = mpsc::channel(8);
        tx.try_send(Ok(Bytes::from_static(b"abc"))).unwrap();
        drop(tx);
        let mut reader = ChannelReader {
            rx,
            current: Bytes::new(),
        };
        let mut small = [0u8; 2];
        assert_eq!(reader.read(&mut small).unwrap(), 2);
        assert_eq!(reader.read(&mut small).unwrap(), 1);
        assert_eq!(reader.read(&mut small).unwrap(), 0);
    }
}
