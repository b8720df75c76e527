//! The floor of ingest for `cargo xtask bench`: inflate a gzip file to nowhere with the
//! library and the buffer sizes of `job/src/ingest/lines.rs` (a 256 KiB read buffer over the
//! file, 256 KiB chunks out), on one thread, in an optimised build like the job's.
//! `cargo run --release -p author-stats --example bare_inflate -- FILE [RUNS]` prints
//! `bare-inflate-seconds=<best of RUNS> raw-bytes=<N>`.

use std::fs::File;
use std::io::{BufReader, Read};
use std::time::Instant;

use flate2::bufread::MultiGzDecoder;

const CHUNK: usize = 256 * 1024;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: bare_inflate FILE [RUNS]");
        std::process::exit(2);
    };
    let runs: u32 = args.next().and_then(|r| r.parse().ok()).unwrap_or(3);
    let mut best = f64::INFINITY;
    let mut raw = 0u64;
    let mut buf = vec![0u8; CHUNK];
    for _ in 0..runs.max(1) {
        let started = Instant::now();
        let mut gz = MultiGzDecoder::new(BufReader::with_capacity(CHUNK, File::open(&path)?));
        raw = 0;
        loop {
            match gz.read(&mut buf)? {
                0 => break,
                n => raw += n as u64,
            }
        }
        best = best.min(started.elapsed().as_secs_f64());
    }
    println!("bare-inflate-seconds={best:.4} raw-bytes={raw}");
    Ok(())
}
