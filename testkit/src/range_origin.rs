//! A read-only S3 stand-in on 127.0.0.1 for download benches: `GET /<bucket>/<name>` answers
//! with the file `<name>` of one folder (any bucket), honouring one `Range` (`bytes=a-b`,
//! `bytes=a-`) and `If-Match` against an ETag made of the file's size and modification time,
//! with S3's `NoSuchKey` (404), `PreconditionFailed` (412) and `InvalidRange` (416). moto
//! builds the whole object for every ranged GET; here a range costs only its own bytes, so
//! a bench through this origin measures the link, not the emulator. Requests are not
//! authenticated; only regular files directly in the folder are served (no links).

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::UNIX_EPOCH;

/// The origin; stops accepting when dropped.
pub struct RangeOrigin {
    /// `http://127.0.0.1:<port>`, for `AWS_ENDPOINT_URL` or a proxy's upstream.
    pub endpoint: String,
    port: u16,
    stop: Arc<AtomicBool>,
}

impl RangeOrigin {
    /// Serve the files of `folder` on a free port of 127.0.0.1.
    pub fn start(folder: &Path) -> RangeOrigin {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port for the origin");
        let port = listener.local_addr().expect("its address").port();
        let stop = Arc::new(AtomicBool::new(false));
        let (folder, stopped) = (folder.to_path_buf(), Arc::clone(&stop));
        thread::Builder::new()
            .name("range-origin".into())
            .spawn(move || {
                for conn in listener.incoming() {
                    if stopped.load(Ordering::SeqCst) {
                        return;
                    }
                    if let Ok(conn) = conn {
                        let folder = folder.clone();
                        let _ = thread::Builder::new()
                            .name("range-origin-conn".into())
                            .spawn(move || serve(&folder, conn));
                    }
                }
            })
            .expect("the origin thread starts");
        RangeOrigin {
            endpoint: format!("http://127.0.0.1:{port}"),
            port,
            stop,
        }
    }
}

impl Drop for RangeOrigin {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// Answer requests on `conn` until the client closes it.
fn serve(folder: &Path, conn: TcpStream) -> io::Result<()> {
    let mut reader = BufReader::new(conn.try_clone()?);
    let mut out = conn;
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line)? == 0 {
            return Ok(());
        }
        let (mut range, mut if_match, mut body_len) = (None, None, 0usize);
        loop {
            let mut line = String::new();
            reader.read_line(&mut line)?;
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                let value = value.trim().to_owned();
                match name.trim().to_ascii_lowercase().as_str() {
                    "range" => range = Some(value),
                    "if-match" => if_match = Some(value),
                    "content-length" => body_len = value.parse().unwrap_or(0),
                    _ => {}
                }
            }
        }
        io::copy(&mut (&mut reader).take(body_len as u64), &mut io::sink())?;
        let mut words = request_line.split_whitespace();
        let (method, target) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
        answer(
            folder,
            method,
            target,
            range.as_deref(),
            if_match.as_deref(),
            &mut out,
        )?;
    }
}

/// The file a request target names: `/<bucket>/<name>[?query]`, a plain name only.
fn file_of(folder: &Path, target: &str) -> Option<PathBuf> {
    let path = target.split('?').next()?;
    let mut parts = path.trim_start_matches('/').splitn(2, '/');
    let (_bucket, name) = (parts.next()?, parts.next()?);
    let plain = !name.is_empty() && !name.contains('/') && name != "." && name != "..";
    let file = folder.join(name);
    let meta = std::fs::symlink_metadata(&file).ok()?;
    (plain && meta.file_type().is_file()).then_some(file)
}

/// The first and last byte of `range` (`bytes=a-b` or `bytes=a-`) in an object of `len`
/// bytes; `Err` when it starts past the end (416).
fn bytes_of(range: &str, len: u64) -> Result<(u64, u64), ()> {
    let spec = range.strip_prefix("bytes=").ok_or(())?;
    let (first, last) = spec.split_once('-').ok_or(())?;
    let first: u64 = first.trim().parse().map_err(|_| ())?;
    let last = match last.trim() {
        "" => len.saturating_sub(1),
        text => text
            .parse::<u64>()
            .map_err(|_| ())?
            .min(len.saturating_sub(1)),
    };
    if first >= len || last < first {
        return Err(());
    }
    Ok((first, last))
}

fn error(out: &mut TcpStream, status: &str, code: &str) -> io::Result<()> {
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code>\
         <Message>{code}</Message></Error>"
    );
    write!(
        out,
        "HTTP/1.1 {status}\r\nContent-Type: application/xml\r\nContent-Length: {}\r\n\r\n{xml}",
        xml.len()
    )
}

fn answer(
    folder: &Path,
    method: &str,
    target: &str,
    range: Option<&str>,
    if_match: Option<&str>,
    out: &mut TcpStream,
) -> io::Result<()> {
    let Some(path) = file_of(folder, target).filter(|_| method == "GET") else {
        return error(out, "404 Not Found", "NoSuchKey");
    };
    let mut file = File::open(&path)?;
    let meta = file.metadata()?;
    let len = meta.len();
    let modified = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    let etag = format!("\"{len:x}-{modified:x}\"");
    if if_match.is_some_and(|m| m != etag && m != etag.trim_matches('"')) {
        return error(out, "412 Precondition Failed", "PreconditionFailed");
    }
    let (status, first, last) = match range.map(|r| bytes_of(r, len)) {
        None => ("200 OK", 0, len.saturating_sub(1)),
        Some(Ok((first, last))) => ("206 Partial Content", first, last),
        Some(Err(())) => return error(out, "416 Requested Range Not Satisfiable", "InvalidRange"),
    };
    let count = if len == 0 { 0 } else { last - first + 1 };
    let mut head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/octet-stream\r\nContent-Length: \
         {count}\r\nETag: {etag}\r\nAccept-Ranges: bytes\r\n"
    );
    if range.is_some() {
        head += &format!("Content-Range: bytes {first}-{last}/{len}\r\n");
    }
    head += "\r\n";
    out.write_all(head.as_bytes())?;
    file.seek(SeekFrom::Start(first))?;
    io::copy(&mut file.take(count), out)?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The raw answer to `GET target` with `headers` (each `Name: value\r\n`).
    fn get(endpoint: &str, target: &str, headers: &str) -> Vec<u8> {
        let addr = endpoint.strip_prefix("http://").unwrap();
        let mut conn = TcpStream::connect(addr).unwrap();
        write!(conn, "GET {target} HTTP/1.1\r\nHost: x\r\n{headers}\r\n").unwrap();
        conn.shutdown(std::net::Shutdown::Write).unwrap();
        let mut out = Vec::new();
        conn.read_to_end(&mut out).unwrap();
        out
    }

    fn text(answer: &[u8]) -> String {
        String::from_utf8_lossy(answer).into_owned()
    }

    #[test]
    fn ranges_whole_files_and_errors_are_answered_as_s3_does() {
        let dir = std::env::temp_dir().join(format!("range-origin-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("f.gz"), b"0123456789").unwrap();
        let origin = RangeOrigin::start(&dir);
        let whole = text(&get(&origin.endpoint, "/b/f.gz?x-id=GetObject", ""));
        assert!(whole.starts_with("HTTP/1.1 200 OK"), "{whole}");
        assert!(whole.ends_with("\r\n\r\n0123456789"), "{whole}");
        let etag = whole
            .lines()
            .find_map(|l| l.strip_prefix("ETag: "))
            .unwrap()
            .to_owned();
        let part = text(&get(&origin.endpoint, "/b/f.gz", "Range: bytes=2-4\r\n"));
        assert!(part.starts_with("HTTP/1.1 206"), "{part}");
        assert!(part.contains("Content-Range: bytes 2-4/10\r\n"), "{part}");
        assert!(part.ends_with("\r\n\r\n234"), "{part}");
        let tail = text(&get(&origin.endpoint, "/b/f.gz", "Range: bytes=8-20\r\n"));
        assert!(tail.ends_with("\r\n\r\n89"), "{tail}");
        let pinned = format!("Range: bytes=0-1\r\nIf-Match: {etag}\r\n");
        assert!(text(&get(&origin.endpoint, "/b/f.gz", &pinned)).ends_with("01"));
        let stale = text(&get(&origin.endpoint, "/b/f.gz", "If-Match: \"old\"\r\n"));
        assert!(stale.starts_with("HTTP/1.1 412"), "{stale}");
        assert!(stale.contains("<Code>PreconditionFailed</Code>"), "{stale}");
        let past = text(&get(&origin.endpoint, "/b/f.gz", "Range: bytes=10-\r\n"));
        assert!(past.starts_with("HTTP/1.1 416"), "{past}");
        for missing in ["/b/none.gz", "/b/../f.gz", "/b/", "/b"] {
            let answer = text(&get(&origin.endpoint, missing, ""));
            assert!(answer.starts_with("HTTP/1.1 404"), "{missing}: {answer}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_range_is_its_first_and_last_byte_within_the_object() {
        assert_eq!(bytes_of("bytes=0-3", 10), Ok((0, 3)));
        assert_eq!(bytes_of("bytes=4-", 10), Ok((4, 9)));
        assert_eq!(bytes_of("bytes=8-99", 10), Ok((8, 9)));
        assert_eq!(bytes_of("bytes=10-", 10), Err(()));
        assert_eq!(bytes_of("bytes=0-0", 0), Err(()));
        assert_eq!(bytes_of("items=0-1", 10), Err(()));
    }
}
