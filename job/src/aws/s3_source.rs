//! An S3 object as an ingest `Source`, read by concurrent ranged GETs delivered in order.
//! The first GET is sent when the source is opened (so a missing key fails before any work)
//! and asks for part 0; its answer gives the object's size and ETag. Once the input is
//! first read, the other parts follow with at most `concurrency` in flight, each pinned to
//! that ETag and retried on its own (`s3_part`), joined in order for the gzip reader
//! (`s3_reader`). An object of one part stays one GET; `concurrency` 1 reads it with one.

use std::ops::Range;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::operation::get_object::GetObjectOutput;
use aws_sdk_s3::Client;
use tokio::sync::{mpsc, Semaphore};

use super::errors::{explain, Operation};
use super::s3_part::Pinned;
use super::s3_reader::{pipe, Part, PartsReader};
use crate::download_options::{DownloadOptions, READ_AHEAD_BYTES};
use crate::ingest::Source;
use crate::s3_url::S3Object;

/// Open `object` for streaming; `what` names the input in messages (`posts`, `authors`).
/// Must be awaited inside the tokio runtime that will drive the download.
pub async fn open(
    client: &Client,
    object: &S3Object,
    what: &str,
    options: DownloadOptions,
) -> Result<Source> {
    let ranged = options.concurrency > 1;
    let part_size = options.part_size.bytes();
    let first = first_get(client, object, ranged.then_some(part_size))
        .await
        .with_context(|| format!("{what} export"))?;
    let label = format!("{what} object {object}");
    let Some(received) = first.content_length().and_then(|n| u64::try_from(n).ok()) else {
        bail!(
            "{label}: S3 answered without a Content-Length, so the download could not be checked \
             for completeness — is AWS_ENDPOINT_URL an S3-compatible endpoint?"
        );
    };
    let total = match first.content_range() {
        Some(range) => total_of(range).with_context(|| {
            format!("{label}: S3 answered with an unreadable Content-Range {range:?}")
        })?,
        None => received,
    };
    let etag = first.e_tag().map(str::to_owned);
    let (parts, window) = if ranged {
        if received < total && etag.is_none() {
            bail!(
                "{label}: S3 sent no ETag, so its parts cannot be pinned to one version of the \
                 object — read it with one GET (--download-concurrency 1 / DOWNLOAD_CONCURRENCY=1)"
            );
        }
        // A part holds at most its own size; so does a first answer that ignored the range.
        (plan(received, total, part_size), part_size)
    } else {
        (Plan::one(total), READ_AHEAD_BYTES as u64)
    };
    let window = usize::try_from(window).unwrap_or(usize::MAX);
    let pinned = Arc::new(Pinned {
        client: client.clone(),
        object: object.clone(),
        etag,
        total,
    });
    let concurrency = options.concurrency;
    let (tx, rx) = mpsc::channel(concurrency);
    let runtime = tokio::runtime::Handle::current();
    let body = first.body;
    let start = Box::new(move || {
        runtime.spawn(schedule(pinned, parts, body, window, concurrency, tx));
    });
    Ok(Source {
        label,
        reader: Box::new(PartsReader::new(rx, total, start)),
        len: Some(total),
    })
}

/// The first `GetObject`: part 0 when `part_size` is given, else the whole object.
async fn first_get(
    client: &Client,
    object: &S3Object,
    part_size: Option<u64>,
) -> Result<GetObjectOutput> {
    let get = || client.get_object().bucket(&object.bucket).key(&object.key);
    let explained = |e| {
        anyhow::Error::new(explain(
            Operation::GetObject,
            &object.bucket,
            &object.key,
            &e,
        ))
    };
    let Some(part_size) = part_size else {
        return get().send().await.map_err(explained);
    };
    match get()
        .range(format!("bytes=0-{}", part_size - 1))
        .send()
        .await
    {
        // An empty object has no byte 0 to ask for (416): it is read with a plain GET.
        Err(e) if e.as_service_error().and_then(|s| s.code()) == Some("InvalidRange") => {
            get().send().await.map_err(explained)
        }
        result => result.map_err(explained),
    }
}

/// The object's size from a `Content-Range` such as `bytes 0-8388607/55012345`.
fn total_of(content_range: &str) -> Option<u64> {
    content_range.rsplit_once('/')?.1.trim().parse().ok()
}

/// The byte ranges of an object in the order they are read.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Plan {
    /// The first part: what the first answer holds.
    first: Range<u64>,
    /// Where the other parts start, and how long each is (the last one may be shorter).
    rest: Range<u64>,
    part_size: u64,
}

impl Plan {
    /// The whole object as one part (one GET).
    fn one(total: u64) -> Plan {
        Plan {
            first: 0..total,
            rest: total..total,
            part_size: total.max(1),
        }
    }

    fn ranges(&self) -> impl Iterator<Item = Range<u64>> + Send + '_ {
        let rest = self.rest.clone();
        std::iter::once(self.first.clone()).chain(
            (rest.start..rest.end)
                .step_by(self.part_size as usize)
                .map(move |start| start..(start + self.part_size).min(rest.end)),
        )
    }
}

/// Part 0 is what the first answer brought (`received` bytes); the rest in `part_size` parts.
fn plan(received: u64, total: u64, part_size: u64) -> Plan {
    Plan {
        first: 0..received,
        rest: received..total,
        part_size,
    }
}

/// Start the parts in order, at most `concurrency` in flight (fetched and not yet read),
/// each into its own pipe handed to the reader in order. `window`: bytes a part may hold
/// ahead of the reader.
async fn schedule(
    pinned: Arc<Pinned>,
    plan: Plan,
    first_body: aws_sdk_s3::primitives::ByteStream,
    window: usize,
    concurrency: usize,
    parts: mpsc::Sender<Part>,
) {
    let slots = Arc::new(Semaphore::new(concurrency));
    let mut first_body = Some(first_body);
    for range in plan.ranges() {
        let Ok(slot) = Arc::clone(&slots).acquire_owned().await else {
            return;
        };
        let len = range.end - range.start;
        let (sender, receiver) = pipe(window);
        let part = Part {
            receiver,
            len,
            _slot: Some(slot),
        };
        if parts.send(part).await.is_err() {
            return; // the reader is gone (a failed run)
        }
        let pinned = Arc::clone(&pinned);
        let body = first_body.take();
        tokio::spawn(async move { pinned.fetch(range, body, sender).await });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ranges(plan: &Plan) -> Vec<Range<u64>> {
        plan.ranges().collect()
    }

    #[test]
    fn the_total_size_is_read_from_the_content_range() {
        assert_eq!(total_of("bytes 0-8388607/55012345"), Some(55_012_345));
        assert_eq!(total_of("bytes 0-0/1"), Some(1));
        assert_eq!(total_of("bytes */0"), Some(0));
        assert_eq!(total_of("bytes 0-9"), None);
    }

    #[test]
    fn parts_follow_the_first_answer_and_the_last_is_shorter() {
        assert_eq!(ranges(&plan(4, 14, 4)), [0..4, 4..8, 8..12, 12..14]);
        assert_eq!(ranges(&plan(4, 12, 4)), [0..4, 4..8, 8..12]);
    }

    #[test]
    fn an_object_of_one_part_is_one_range() {
        let one = |plan: &Plan| -> Option<Range<u64>> {
            let all = ranges(plan);
            (all.len() == 1).then(|| all[0].clone())
        };
        assert_eq!(one(&plan(3, 3, 4)), Some(0..3));
        assert_eq!(one(&plan(0, 0, 4)), Some(0..0));
        assert_eq!(one(&Plan::one(10)), Some(0..10));
        assert_eq!(one(&Plan::one(0)), Some(0..0));
    }

    #[test]
    fn parts_of_one_byte_cover_every_byte() {
        assert_eq!(ranges(&plan(1, 3, 1)), [0..1, 1..2, 2..3]);
    }
}
