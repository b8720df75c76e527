//! The blocking end of an S3 download: each part's chunks come through a pipe of its own
//! and are read strictly in part order, whatever order the parts arrive in. A pipe holds
//! at most its window of bytes (its sender waits for room); a part's slot among the parts
//! in flight is given back when its last byte has been read, or when the reader goes away.

use std::io::{self, Read};
use std::sync::Arc;

use bytes::{Buf, Bytes};
use tokio::sync::{mpsc, OwnedSemaphorePermit, Semaphore};

/// The sending end of one part's pipe, held by the task that fetches the part.
pub(super) struct PartSender {
    chunks: mpsc::UnboundedSender<io::Result<Bytes>>,
    room: Arc<Semaphore>,
    window: usize,
}

/// The receiving end, read by [`PartsReader`] once the part's turn has come.
pub(super) struct PartReceiver {
    chunks: mpsc::UnboundedReceiver<io::Result<Bytes>>,
    room: Arc<Semaphore>,
    window: usize,
}

/// A pipe that holds at most `window` bytes (at least one chunk, however large).
pub(super) fn pipe(window: usize) -> (PartSender, PartReceiver) {
    let window = window.clamp(1, Semaphore::MAX_PERMITS);
    let (tx, rx) = mpsc::unbounded_channel();
    let room = Arc::new(Semaphore::new(window));
    (
        PartSender {
            chunks: tx,
            room: Arc::clone(&room),
            window,
        },
        PartReceiver {
            chunks: rx,
            room,
            window,
        },
    )
}

/// Room a chunk of `len` bytes takes in a pipe of `window` bytes.
fn room_for(len: usize, window: usize) -> u32 {
    len.min(window).try_into().unwrap_or(u32::MAX)
}

impl PartSender {
    /// Queue `chunk` once the pipe has room for it; `false` when the reader is gone.
    pub(super) async fn send(&self, chunk: Bytes) -> bool {
        match self
            .room
            .acquire_many(room_for(chunk.len(), self.window))
            .await
        {
            Ok(permit) => permit.forget(),
            Err(_) => return false, // closed: the receiver was dropped
        }
        self.chunks.send(Ok(chunk)).is_ok()
    }

    /// End the part with `error`; the reader reports it when it reaches this part.
    pub(super) fn fail(self, error: io::Error) {
        let _ = self.chunks.send(Err(error));
    }

    /// Whether the reader has gone away (a failed run): nothing more is wanted.
    pub(super) fn is_closed(&self) -> bool {
        self.chunks.is_closed()
    }
}

impl Drop for PartReceiver {
    fn drop(&mut self) {
        // A sender waiting for room must not wait for a reader that is gone.
        self.room.close();
    }
}

/// One part as the reader receives it, in object order.
pub(super) struct Part {
    pub(super) receiver: PartReceiver,
    /// Bytes the part must deliver.
    pub(super) len: u64,
    /// Its place among the parts in flight, freed when the part is dropped.
    pub(super) _slot: Option<OwnedSemaphorePermit>,
}

/// Work to start on the first read (the download waits until the input is read, so an
/// input opened early holds no parts in memory while another is being read).
pub(super) type Start = Box<dyn FnOnce() + Send>;

/// The parts of one object joined in order, as a blocking `Read`. Must not be read on a
/// tokio worker thread (it blocks); the ingest stage reads it on a plain thread.
pub(super) struct PartsReader {
    parts: mpsc::Receiver<Part>,
    start: Option<Start>,
    current: Option<Part>,
    /// Bytes of the current part received so far.
    received: u64,
    /// The unread rest of the current chunk, and the room to give back once it is read.
    chunk: Bytes,
    chunk_room: u32,
    /// Bytes of the object received so far, and how many it has.
    delivered: u64,
    total: u64,
}

impl PartsReader {
    /// Read `total` bytes from the parts `parts` delivers in order, calling `start` first.
    pub(super) fn new(parts: mpsc::Receiver<Part>, total: u64, start: Start) -> PartsReader {
        PartsReader {
            parts,
            start: Some(start),
            current: None,
            received: 0,
            chunk: Bytes::new(),
            chunk_room: 0,
            delivered: 0,
            total,
        }
    }

    /// Give back the room of the chunk just read.
    fn free_chunk(&mut self) {
        if let Some(part) = &self.current {
            part.receiver.room.add_permits(self.chunk_room as usize);
        }
        self.chunk_room = 0;
    }
}

impl Read for PartsReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(start) = self.start.take() {
            start();
        }
        while self.chunk.is_empty() {
            self.free_chunk();
            let Some(part) = &mut self.current else {
                match self.parts.blocking_recv() {
                    Some(part) => {
                        self.current = Some(part);
                        self.received = 0;
                        continue;
                    }
                    None if self.delivered == self.total => return Ok(0),
                    None => {
                        return Err(io::Error::other(format!(
                            "the download ended after {} of {} bytes",
                            self.delivered, self.total
                        )))
                    }
                }
            };
            match part.receiver.chunks.blocking_recv() {
                Some(Ok(chunk)) => {
                    self.received += chunk.len() as u64;
                    self.delivered += chunk.len() as u64;
                    self.chunk_room = room_for(chunk.len(), part.receiver.window);
                    self.chunk = chunk;
                }
                Some(Err(error)) => return Err(error),
                None if self.received == part.len => self.current = None,
                None => {
                    return Err(io::Error::other(format!(
                        "a part ended after {} of its {} bytes (at byte {} of {})",
                        self.received, part.len, self.delivered, self.total
                    )))
                }
            }
        }
        let n = buf.len().min(self.chunk.len());
        buf[..n].copy_from_slice(&self.chunk[..n]);
        self.chunk.advance(n);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader over `parts` (already filled and closed), started with nothing to do.
    fn reader(parts: Vec<(Vec<io::Result<&'static [u8]>>, u64)>) -> PartsReader {
        let total = parts.iter().map(|(_, len)| len).sum();
        let (tx, rx) = mpsc::channel(parts.len().max(1));
        for (chunks, len) in parts {
            let (sender, receiver) = pipe(1 << 20);
            for chunk in chunks {
                match chunk {
                    Ok(bytes) => sender.chunks.send(Ok(Bytes::from_static(bytes))).unwrap(),
                    Err(e) => sender.chunks.send(Err(e)).unwrap(),
                }
            }
            tx.try_send(Part {
                receiver,
                len,
                _slot: None,
            })
            .ok()
            .unwrap();
        }
        PartsReader::new(rx, total, Box::new(|| {}))
    }

    #[test]
    fn parts_are_joined_in_order_and_empty_chunks_are_skipped() {
        let mut r = reader(vec![
            (vec![Ok(b"hel"), Ok(b""), Ok(b"lo ")], 6),
            (vec![], 0),
            (vec![Ok(b"wor"), Ok(b"ld")], 5),
        ]);
        let mut text = Vec::new();
        r.read_to_end(&mut text).unwrap();
        assert_eq!(text, b"hello world");
    }

    #[test]
    fn a_part_error_is_reported_after_the_bytes_before_it() {
        let mut r = reader(vec![
            (vec![Ok(b"abc")], 3),
            (vec![Ok(b"de"), Err(io::Error::other("412"))], 4),
        ]);
        let mut text = Vec::new();
        let error = r.read_to_end(&mut text).unwrap_err();
        assert_eq!(text, b"abcde");
        assert_eq!(error.to_string(), "412");
    }

    #[test]
    fn a_part_that_ends_short_is_an_error_not_a_shorter_file() {
        let mut r = reader(vec![(vec![Ok(b"ab")], 3), (vec![Ok(b"c")], 1)]);
        let error = r.read_to_end(&mut Vec::new()).unwrap_err();
        assert!(error.to_string().contains("2 of its 3 bytes"), "{error}");
    }

    #[test]
    fn parts_that_stop_before_the_object_ends_are_an_error() {
        let (tx, rx) = mpsc::channel(1);
        drop(tx);
        let mut r = PartsReader::new(rx, 10, Box::new(|| {}));
        let error = r.read_to_end(&mut Vec::new()).unwrap_err();
        assert_eq!(error.to_string(), "the download ended after 0 of 10 bytes");
    }

    #[test]
    fn start_runs_once_on_the_first_read() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let starts = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&starts);
        let (tx, rx) = mpsc::channel(1);
        let (sender, receiver) = pipe(8);
        sender.chunks.send(Ok(Bytes::from_static(b"xy"))).unwrap();
        drop(sender);
        tx.try_send(Part {
            receiver,
            len: 2,
            _slot: None,
        })
        .ok()
        .unwrap();
        drop(tx);
        let mut r = PartsReader::new(
            rx,
            2,
            Box::new(move || {
                counted.fetch_add(1, Ordering::SeqCst);
            }),
        );
        assert_eq!(
            starts.load(Ordering::SeqCst),
            0,
            "not before the first read"
        );
        let mut one = [0u8; 1];
        r.read_exact(&mut one).unwrap();
        r.read_exact(&mut one).unwrap();
        assert_eq!(r.read(&mut one).unwrap(), 0);
        assert_eq!(starts.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn a_full_pipe_makes_its_sender_wait_until_the_reader_reads() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let (sender, receiver) = pipe(4);
        let (tx, rx) = mpsc::channel(1);
        tx.try_send(Part {
            receiver,
            len: 8,
            _slot: None,
        })
        .ok()
        .unwrap();
        drop(tx);
        runtime.block_on(async {
            assert!(sender.send(Bytes::from_static(b"abcd")).await);
            let blocked = tokio::time::timeout(
                std::time::Duration::from_millis(20),
                sender.send(Bytes::from_static(b"efgh")),
            )
            .await;
            assert!(blocked.is_err(), "the pipe holds 4 bytes");
        });
        let mut r = PartsReader::new(rx, 8, Box::new(|| {}));
        let mut four = [0u8; 4];
        r.read_exact(&mut four).unwrap();
        assert_eq!(&four, b"abcd");
        // Room is given back when the next chunk is asked for.
        let reading = std::thread::spawn(move || {
            let mut rest = Vec::new();
            r.read_to_end(&mut rest).map(|_| rest)
        });
        runtime.block_on(async {
            assert!(sender.send(Bytes::from_static(b"efgh")).await);
        });
        drop(sender);
        assert_eq!(reading.join().unwrap().unwrap(), b"efgh");
    }

    #[test]
    fn a_sender_waiting_for_room_stops_when_the_reader_is_dropped() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let (sender, receiver) = pipe(2);
        runtime.block_on(async {
            assert!(sender.send(Bytes::from_static(b"ab")).await);
            drop(receiver);
            assert!(!sender.send(Bytes::from_static(b"cd")).await);
            assert!(sender.is_closed());
        });
    }
}
