//! One part of an S3 object fetched into its pipe: a ranged GET pinned to the object's ETag
//! (`If-Match`), its body passed on chunk by chunk. A request that fails for a passing
//! reason (a 5xx, a reset, a timeout) and a body that breaks off, ends early or stalls are
//! retried on their own, from the first byte not yet received, up to [`MAX_RETRIES`] times
//! per part; an answer S3 gives on purpose (412: the object changed; 403, 404) ends at once.

use std::io;
use std::ops::Range;
use std::time::Duration;

use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::SdkError;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::Client;
use bytes::BytesMut;

use super::client::{self, ATTEMPT_TIMEOUT_VAR};
use super::errors::{chain, explain, Operation};
use super::s3_reader::PartSender;
use crate::s3_url::S3Object;

/// How often one part may be asked for again after its request or its body failed.
pub const MAX_RETRIES: u32 = 3;
/// Bytes of the blocks a part's chunks are copied into.
const BLOCK: usize = 256 << 10;
/// Bytes gathered before they are handed to the reader (the end of a part, or of an
/// answer that broke off, goes at once).
const HAND_ON: usize = 64 << 10;

/// What every part's request needs to know about the object.
pub(super) struct Pinned {
    pub(super) client: Client,
    pub(super) object: S3Object,
    /// The ETag of the first answer; `None` only when reading with one GET from an
    /// endpoint that sends none (then nothing is resumed).
    pub(super) etag: Option<String>,
    /// The object's size in bytes.
    pub(super) total: u64,
}

/// Why an attempt at a part stopped short.
enum Failure {
    /// Worth asking again: the connection, the server or the clock failed.
    Passing(String),
    /// S3 refused on purpose; asking again would get the same answer.
    Final(String),
}

impl Pinned {
    /// Fetch `range` into `tx`, starting with `first` (the body of an answer already
    /// received for exactly this range) when given.
    pub(super) async fn fetch(&self, range: Range<u64>, first: Option<ByteStream>, tx: PartSender) {
        let mut position = range.start;
        let mut body = first;
        let mut retries = 0;
        loop {
            let failure = match body.take() {
                Some(body) => self.pass_on(body, &mut position, range.end, &tx).await,
                None => match self.request(position..range.end).await {
                    Ok(body) => self.pass_on(body, &mut position, range.end, &tx).await,
                    Err(failure) => Some(failure),
                },
            };
            let why = match failure {
                None => return, // the whole range, or the reader is gone
                Some(Failure::Final(why)) => {
                    tx.fail(io::Error::other(why));
                    return;
                }
                Some(Failure::Passing(why)) => why,
            };
            if retries == MAX_RETRIES || self.etag.is_none() {
                let tried = if retries == 0 {
                    String::new()
                } else {
                    format!(" ({retries} retries)")
                };
                tx.fail(io::Error::other(format!(
                    "the download broke off at byte {position} of {}{tried}: {why}",
                    self.total
                )));
                return;
            }
            retries += 1;
            tracing::warn!(
                object = %self.object,
                position,
                retry = retries,
                error = %why,
                "a part of the download failed; asking for the rest of it again"
            );
            tokio::time::sleep(Duration::from_millis(50 << retries)).await;
            if tx.is_closed() {
                return;
            }
        }
    }

    /// `GET bytes=start-(end-1)`, only if the object is still the one being read.
    async fn request(&self, range: Range<u64>) -> Result<ByteStream, Failure> {
        let S3Object { bucket, key } = &self.object;
        let mut request = self
            .client
            .get_object()
            .bucket(bucket)
            .key(key)
            .range(format!("bytes={}-{}", range.start, range.end - 1));
        if let Some(etag) = &self.etag {
            request = request.if_match(etag);
        }
        match request.send().await {
            Ok(output) => Ok(output.body),
            Err(e) => {
                let why = explain(Operation::GetObject, bucket, key, &e).to_string();
                Err(if is_passing(&e) {
                    Failure::Passing(why)
                } else {
                    Failure::Final(why)
                })
            }
        }
    }

    /// Move `body`'s chunks into `tx` until `end`; `None` when done or the reader is gone.
    async fn pass_on(
        &self,
        mut body: ByteStream,
        position: &mut u64,
        end: u64,
        tx: &PartSender,
    ) -> Option<Failure> {
        // The SDK's timeouts end when the answer's headers arrive; a body that stalls
        // afterwards is caught here, between two chunks.
        let stall = client::in_use().timeouts.attempt;
        let mut block = BytesMut::new();
        loop {
            let ended = match tokio::time::timeout(stall, body.next()).await {
                Ok(Some(Ok(chunk))) => {
                    if chunk.len() as u64 > end - *position {
                        return Some(Failure::Final(format!(
                            "S3 sent more than the {} bytes asked for from byte {position}",
                            end - *position
                        )));
                    }
                    *position += chunk.len() as u64;
                    // Copied out of the connection's buffers into blocks of this part (a
                    // chunk held for the reader then pins its own bytes, not the larger
                    // buffer it was read into), and handed on in pieces of at least
                    // `HAND_ON` bytes (one wake-up of the reader each, not one per packet).
                    if block.capacity() - block.len() < chunk.len() {
                        if !block.is_empty() && !tx.send(block.split().freeze()).await {
                            return None;
                        }
                        let left = usize::try_from(end - *position).unwrap_or(usize::MAX);
                        block = BytesMut::with_capacity(chunk.len() + BLOCK.min(left));
                    }
                    block.extend_from_slice(&chunk);
                    let due = block.len() >= HAND_ON || *position == end;
                    if due && !tx.send(block.split().freeze()).await {
                        return None; // the reader stopped (a failed run): drop the connection
                    }
                    continue;
                }
                Ok(None) if *position == end => None,
                Ok(None) => Some(Failure::Passing(
                    "the answer ended before the bytes asked for".to_owned(),
                )),
                Ok(Some(Err(error))) => Some(Failure::Passing(chain(&error))),
                Err(_) => Some(Failure::Passing(format!(
                    "no data for {} s ({ATTEMPT_TIMEOUT_VAR})",
                    stall.as_secs_f64()
                ))),
            };
            // What arrived goes to the reader first: a retry asks for the bytes after it.
            if !block.is_empty() && !tx.send(block.split().freeze()).await {
                return None;
            }
            return ended;
        }
    }
}

/// Whether a failed request is worth sending again: no answer (reset, refused, timed out)
/// or a server-side error; not an answer S3 gave on purpose.
fn is_passing<E>(error: &SdkError<E, HttpResponse>) -> bool {
    match error {
        SdkError::ServiceError(service) => {
            let status = service.raw().status().as_u16();
            status >= 500 || status == 429
        }
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) | SdkError::ResponseError(_) => {
            true
        }
        _ => false,
    }
}
