//! Streaming a gzip JSONL source as lines (data-spec §2.1–2.3).
//! A reader thread inflates (all gzip members) into recycled buffers; the caller's thread
//! splits them at LF and hands out each line, so inflate and parse use both cores and
//! memory stays bounded by a few buffers plus the longest line.

use std::io::{self, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Arc;

use flate2::bufread::MultiGzDecoder;

use super::record::BOM;
use super::source::Source;

const CHUNK: usize = 256 * 1024;
const IN_FLIGHT: usize = 4;

/// Why a source could not be read to the end.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{label}: not a complete gzip file: {cause} — the export is corrupt or truncated; re-export or re-upload it")]
    Corrupt { label: String, cause: io::Error },
    #[error("{label}: could not be read: {cause}")]
    Io { label: String, cause: io::Error },
}

/// Counts the compressed bytes consumed, for progress.
struct Counting<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

fn is_corruption(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::InvalidInput | io::ErrorKind::InvalidData | io::ErrorKind::UnexpectedEof
    )
}

/// Inflate `reader` into buffers and send them; stop at the first error.
fn inflate(
    label: String,
    reader: Box<dyn Read + Send>,
    count: Arc<AtomicU64>,
    full: SyncSender<Result<Vec<u8>, ReadError>>,
    empty: Receiver<Vec<u8>>,
) {
    let counted = Counting {
        inner: reader,
        count,
    };
    let mut gz = MultiGzDecoder::new(io::BufReader::with_capacity(CHUNK, counted));
    loop {
        let mut buf = empty
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(CHUNK));
        buf.resize(CHUNK, 0);
        let mut filled = 0;
        let result = loop {
            match gz.read(&mut buf[filled..]) {
                Ok(0) => break Ok(true),
                Ok(n) => {
                    filled += n;
                    if filled == buf.len() {
                        break Ok(false);
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => break Err(e),
            }
        };
        buf.truncate(filled);
        match result {
            Ok(done) => {
                if filled > 0 && full.send(Ok(buf)).is_err() {
                    return;
                }
                if done {
                    return;
                }
            }
            Err(cause) => {
                let error = if is_corruption(&cause) {
                    ReadError::Corrupt { label, cause }
                } else {
                    ReadError::Io { label, cause }
                };
                let _ = full.send(Err(error));
                return;
            }
        }
    }
}

/// Longest line the job reads, in bytes (without its LF): 16 MiB. A longer line is
/// malformed (data-spec §2.5) and its bytes are passed over without being held: memory for
/// lines stays below this cap whatever the file holds.
pub const MAX_LINE_BYTES: usize = 16 * 1024 * 1024;

/// Call `on_line` for every line of the decompressed source, in order: `Some(line)`, or
/// `None` for a line longer than [`MAX_LINE_BYTES`].
/// `on_progress` gets the compressed bytes consumed so far after each chunk.
/// The BOM of the first line is removed; the caller sees the line without its LF.
pub(super) fn for_each_line(
    source: Source,
    on_progress: impl FnMut(u64),
    on_line: impl FnMut(Option<&[u8]>),
) -> Result<(), ReadError> {
    for_each_line_capped(source, MAX_LINE_BYTES, on_progress, on_line).map(|_| ())
}

/// [`for_each_line`] with a line cap of `cap` bytes; returns the most bytes ever held for
/// one unfinished line (at most `cap`).
fn for_each_line_capped(
    source: Source,
    cap: usize,
    mut on_progress: impl FnMut(u64),
    mut on_line: impl FnMut(Option<&[u8]>),
) -> Result<usize, ReadError> {
    let Source { label, reader, .. } = source;
    let count = Arc::new(AtomicU64::new(0));
    let (full_tx, full_rx) = sync_channel::<Result<Vec<u8>, ReadError>>(IN_FLIGHT);
    let (empty_tx, empty_rx) = sync_channel::<Vec<u8>>(IN_FLIGHT + 2);
    let thread_count = Arc::clone(&count);
    let thread_label = label.clone();
    let inflater = std::thread::Builder::new()
        .name("inflate".into())
        .spawn(move || inflate(thread_label, reader, thread_count, full_tx, empty_rx))
        .map_err(|cause| ReadError::Io {
            label: label.clone(),
            cause,
        })?;

    let mut first = true;
    let mut emit = |line: Option<&[u8]>| {
        let line = line.filter(|l| l.len() <= cap);
        if first {
            first = false;
            on_line(line.map(|l| l.strip_prefix(BOM).unwrap_or(l)));
        } else {
            on_line(line);
        }
    };
    // The unfinished line so far, unless it is already over the cap (`skipping`): then its
    // bytes are dropped up to the next LF.
    let mut carry: Vec<u8> = Vec::new();
    let mut skipping = false;
    let mut peak = 0;
    let mut outcome = Ok(());
    for message in full_rx.iter() {
        let chunk = match message {
            Ok(chunk) => chunk,
            Err(e) => {
                outcome = Err(e);
                break;
            }
        };
        let mut rest = &chunk[..];
        if skipping || !carry.is_empty() {
            match memchr::memchr(b'\n', rest) {
                Some(i) => {
                    if skipping {
                        emit(None);
                        skipping = false;
                    } else if carry.len() + i > cap {
                        emit(None);
                    } else {
                        carry.extend_from_slice(&rest[..i]);
                        emit(Some(&carry));
                    }
                    carry.clear();
                    rest = &rest[i + 1..];
                }
                None => {
                    if !skipping && carry.len() + rest.len() > cap {
                        skipping = true;
                        carry = Vec::new();
                    } else if !skipping {
                        carry.extend_from_slice(rest);
                    }
                    rest = &[];
                }
            }
        }
        if !rest.is_empty() {
            let mut start = 0;
            for i in memchr::memchr_iter(b'\n', rest) {
                emit(Some(&rest[start..i]));
                start = i + 1;
            }
            let tail = &rest[start..];
            if tail.len() > cap {
                skipping = true;
            } else {
                carry.extend_from_slice(tail);
            }
        }
        peak = peak.max(carry.len());
        on_progress(count.load(Ordering::Relaxed));
        let _ = empty_tx.try_send(chunk);
    }
    drop(full_rx);
    let _ = inflater.join();
    outcome?;
    if count.load(Ordering::Relaxed) == 0 {
        return Err(ReadError::Corrupt {
            label,
            cause: io::Error::new(io::ErrorKind::UnexpectedEof, "the file is empty"),
        });
    }
    // A last line without LF is a line (§2.2).
    if skipping {
        emit(None);
    } else if !carry.is_empty() {
        emit(Some(&carry));
    }
    on_progress(count.load(Ordering::Relaxed));
    Ok(peak)
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::GzEncoder;
    use std::io::Write;

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut e = GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn lines_of(bytes: Vec<u8>) -> Result<Vec<Vec<u8>>, ReadError> {
        let mut out = Vec::new();
        for_each_line(
            Source::from_bytes("test", bytes),
            |_| {},
            |l| out.push(l.expect("no line over the cap").to_vec()),
        )?;
        Ok(out)
    }

    /// Lines with a small cap: `None` for each line over it, and the peak bytes held.
    fn capped(bytes: Vec<u8>, cap: usize) -> (Vec<Option<Vec<u8>>>, usize) {
        let mut out = Vec::new();
        let peak = for_each_line_capped(
            Source::from_bytes("test", bytes),
            cap,
            |_| {},
            |l| out.push(l.map(<[u8]>::to_vec)),
        )
        .unwrap();
        (out, peak)
    }

    #[test]
    fn splits_at_lf_and_keeps_a_last_line_without_lf() {
        let lines = lines_of(gz(b"a\nb\r\n\nc")).unwrap();
        assert_eq!(
            lines,
            vec![b"a".to_vec(), b"b\r".to_vec(), vec![], b"c".to_vec()]
        );
    }

    #[test]
    fn reads_every_gzip_member() {
        let mut bytes = gz(b"a\nb");
        bytes.extend(gz(b"c\n"));
        assert_eq!(
            lines_of(bytes).unwrap(),
            vec![b"a".to_vec(), b"bc".to_vec()]
        );
    }

    #[test]
    fn removes_only_the_leading_bom() {
        let lines = lines_of(gz(b"\xEF\xBB\xBFa\n\xEF\xBB\xBFb\n")).unwrap();
        assert_eq!(lines, vec![b"a".to_vec(), b"\xEF\xBB\xBFb".to_vec()]);
    }

    #[test]
    fn lines_longer_than_a_chunk_survive() {
        let long = vec![b'x'; CHUNK * 3 + 17];
        let mut data = long.clone();
        data.extend_from_slice(b"\nshort\n");
        let lines = lines_of(gz(&data)).unwrap();
        assert_eq!(lines, vec![long, b"short".to_vec()]);
    }

    #[test]
    fn truncated_gzip_is_an_error() {
        let data: Vec<u8> = (0..200_000u32).flat_map(|i| i.to_le_bytes()).collect();
        let bytes = gz(&data);
        for cut in [bytes.len() - 1, bytes.len() - 8, bytes.len() / 2, 5] {
            let err = lines_of(bytes[..cut].to_vec()).unwrap_err();
            assert!(
                matches!(err, ReadError::Corrupt { .. }),
                "cut at {cut}: {err}"
            );
        }
    }

    #[test]
    fn garbage_and_empty_input_are_errors() {
        assert!(lines_of(b"this is not gzip".to_vec()).is_err());
        assert!(lines_of(Vec::new()).is_err());
        let mut trailing = gz(b"a\n");
        trailing.extend_from_slice(b"junk");
        assert!(lines_of(trailing).is_err());
    }

    #[test]
    fn a_line_over_the_cap_is_reported_and_never_held() {
        // Longer than several chunks, so it spans chunk boundaries; the cap is far smaller.
        let cap = 1000;
        let mut data = b"first\n".to_vec();
        data.extend(vec![b'x'; CHUNK * 3 + 5]);
        data.extend_from_slice(b"\nlast\n");
        let (lines, peak) = capped(gz(&data), cap);
        assert_eq!(
            lines,
            vec![Some(b"first".to_vec()), None, Some(b"last".to_vec())]
        );
        assert!(peak <= cap, "held {peak} bytes of a line, cap {cap}");
    }

    #[test]
    fn a_line_of_exactly_the_cap_is_kept_and_one_more_byte_is_not() {
        let cap = 10;
        let (lines, _) = capped(gz(b"0123456789\n0123456789A\nend"), cap);
        assert_eq!(
            lines,
            vec![Some(b"0123456789".to_vec()), None, Some(b"end".to_vec())]
        );
    }

    #[test]
    fn an_overlong_last_line_without_lf_is_reported() {
        let mut data = b"a\n".to_vec();
        data.extend(vec![b'y'; CHUNK + 1]);
        let (lines, peak) = capped(gz(&data), 100);
        assert_eq!(lines, vec![Some(b"a".to_vec()), None]);
        assert!(peak <= 100);
    }

    #[test]
    fn the_cap_is_16_mib() {
        assert_eq!(MAX_LINE_BYTES, 16 * 1024 * 1024);
    }
}
