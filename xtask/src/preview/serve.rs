//! The watching sheet's tiny HTTP server: 127.0.0.1 only, GET and HEAD, one request per
//! connection, the request head read up to 8 KiB with a timeout, at most a few connections
//! at once. It serves the files of the sheet's folder by name (regular files only, links
//! not followed, no subfolders) and the sheet's version at [`page::VERSION_PATH`]; a request
//! whose `Host` is not 127.0.0.1 or localhost at its port (DNS rebinding) is refused.

use std::fs;
use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use anyhow::{Context, Result};

use super::page::{PAGE, VERSION_PATH};

/// The longest request head read; a longer one is answered 431.
const MAX_HEAD: usize = 8 * 1024;
/// The largest file served (the sheet's charts are tens of KB).
const MAX_FILE: u64 = 16 * 1024 * 1024;
/// Connections handled at once; more are closed at once.
const MAX_CONNECTIONS: usize = 16;
const TIMEOUT: Duration = Duration::from_secs(5);

/// Serve `root` on 127.0.0.1:`port` (0: any free port) from a thread of its own; returns
/// the address it listens on.
pub fn start(root: PathBuf, port: u16, version: Arc<AtomicU64>) -> Result<SocketAddr> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, port)).with_context(|| {
        format!("cannot listen on 127.0.0.1:{port} (in use? pass another --port, or 0 for any)")
    })?;
    let addr = listener.local_addr()?;
    let root = Arc::new(root);
    let active = Arc::new(AtomicUsize::new(0));
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            if active.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
                active.fetch_sub(1, Ordering::SeqCst);
                continue; // dropped: closed unanswered
            }
            let (root, version, active) = (root.clone(), version.clone(), active.clone());
            thread::spawn(move || {
                // A client that goes away mid-answer is no concern of the sheet's.
                let _ = answer(stream, &root, &version, addr.port());
                active.fetch_sub(1, Ordering::SeqCst);
            });
        }
    });
    Ok(addr)
}

/// Read one request and answer it.
fn answer(
    mut stream: TcpStream,
    root: &std::path::Path,
    version: &AtomicU64,
    port: u16,
) -> io::Result<()> {
    stream.set_read_timeout(Some(TIMEOUT))?;
    stream.set_write_timeout(Some(TIMEOUT))?;
    let Some(head) = read_head(&mut stream)? else {
        return respond(
            &mut stream,
            431,
            "text/plain",
            b"request head too large\n",
            true,
        );
    };
    if !host_is_local(&head, port) {
        return respond(
            &mut stream,
            421,
            "text/plain",
            b"served to 127.0.0.1 only\n",
            true,
        );
    }
    let mut words = head.lines().next().unwrap_or("").split(' ');
    let (method, target) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
    let body = method == "GET";
    if !body && method != "HEAD" {
        return respond(&mut stream, 405, "text/plain", b"GET or HEAD only\n", true);
    }
    let path = target.split(['?', '#']).next().unwrap_or("");
    if path == VERSION_PATH {
        let text = format!("{}\n", version.load(Ordering::SeqCst));
        return respond(&mut stream, 200, "text/plain", text.as_bytes(), body);
    }
    let name = match path.strip_prefix('/') {
        Some("") => PAGE,
        Some(name) if is_plain_name(name) => name,
        _ => return respond(&mut stream, 404, "text/plain", b"not found\n", body),
    };
    match read_file(&root.join(name)) {
        Some(bytes) => respond(&mut stream, 200, content_type(name), &bytes, body),
        None => respond(&mut stream, 404, "text/plain", b"not found\n", body),
    }
}

/// Whether the head's `Host` is this server as a local page names it (a page of another
/// site that a rebound DNS name points at 127.0.0.1 sends its own name). No `Host` (HTTP/1.0)
/// is let through: a browser always sends one.
fn host_is_local(head: &str, port: u16) -> bool {
    let host = head.lines().skip(1).find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.trim()
            .eq_ignore_ascii_case("host")
            .then(|| value.trim())
    });
    host.is_none_or(|host| {
        [format!("127.0.0.1:{port}"), format!("localhost:{port}")]
            .iter()
            .any(|ok| host.eq_ignore_ascii_case(ok))
    })
}

/// The request head up to its blank line; `None` when it is longer than [`MAX_HEAD`].
fn read_head(stream: &mut TcpStream) -> io::Result<Option<String>> {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && !head.windows(2).any(|w| w == b"\n\n") {
        if head.len() > MAX_HEAD {
            return Ok(None);
        }
        let n = stream.read(&mut buf)?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
    }
    Ok(Some(String::from_utf8_lossy(&head).into_owned()))
}

/// A file name of the sheet's folder: letters, digits, `.`, `-`, `_`; no leading dot (so
/// neither `..` nor the temporary files), no slash.
fn is_plain_name(name: &str) -> bool {
    !name.starts_with('.')
        && name.len() <= 255
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
}

/// The bytes of a regular file at most [`MAX_FILE`] long, opened without following a link.
fn read_file(path: &std::path::Path) -> Option<Vec<u8>> {
    let file = fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .ok()?;
    let meta = file.metadata().ok()?;
    if !meta.is_file() || meta.len() > MAX_FILE {
        return None;
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(MAX_FILE).read_to_end(&mut bytes).ok()?;
    Some(bytes)
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("png") => "image/png",
        Some("svg") => "image/svg+xml",
        Some("json") => "application/json",
        _ => "application/octet-stream",
    }
}

fn respond(
    stream: &mut TcpStream,
    status: u16,
    content_type: &str,
    bytes: &[u8],
    body: bool,
) -> io::Result<()> {
    let reason = match status {
        200 => "OK",
        404 => "Not Found",
        405 => "Method Not Allowed",
        421 => "Misdirected Request",
        _ => "Request Header Fields Too Large",
    };
    write!(
        stream,
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n",
        bytes.len()
    )?;
    if body {
        stream.write_all(bytes)?;
    }
    stream.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_names_of_the_folder_are_served() {
        for ok in ["index.html", "fifteen-years.dark.svg", "a_b.png"] {
            assert!(is_plain_name(ok), "{ok}");
        }
        for bad in ["..", "../x", ".hidden", ".tmpAbc", "a/b", "%2e%2e", "a b"] {
            assert!(!is_plain_name(bad), "{bad}");
        }
    }

    fn get(addr: SocketAddr, request: &str) -> String {
        let mut s = TcpStream::connect(addr).unwrap();
        s.write_all(request.as_bytes()).unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out
    }

    #[test]
    fn it_serves_the_folder_and_the_version_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(PAGE), "<p>sheet</p>").unwrap();
        std::os::unix::fs::symlink("/etc/passwd", dir.path().join("link.txt")).unwrap();
        let version = Arc::new(AtomicU64::new(41));
        let addr = start(dir.path().to_owned(), 0, version.clone()).unwrap();
        assert!(addr.ip().is_loopback());
        let page = get(addr, &format!("GET / HTTP/1.1\r\nHost: {addr}\r\n\r\n"));
        assert!(page.starts_with("HTTP/1.1 200 OK\r\n"), "{page}");
        assert!(page.ends_with("<p>sheet</p>"), "{page}");
        version.store(42, Ordering::SeqCst);
        assert!(get(addr, "GET /__version?x HTTP/1.1\r\n\r\n").ends_with("\r\n\r\n42\n"));
        for request in [
            "GET /link.txt HTTP/1.1\r\n\r\n",
            "GET /../Cargo.toml HTTP/1.1\r\n\r\n",
            "GET /missing.png HTTP/1.1\r\n\r\n",
        ] {
            assert!(get(addr, request).starts_with("HTTP/1.1 404"), "{request}");
        }
        assert!(get(addr, "POST / HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 405"));
        let port = addr.port();
        assert!(get(
            addr,
            &format!("GET / HTTP/1.1\r\nHost: localhost:{port}\r\n\r\n")
        )
        .starts_with("HTTP/1.1 200"));
        let rebound = format!("GET / HTTP/1.1\r\nHost: evil.example:{port}\r\n\r\n");
        assert!(
            get(addr, &rebound).starts_with("HTTP/1.1 421"),
            "a rebound name"
        );
        // A head past the limit is answered and closed, not read on (the client, still
        // writing, may see the answer or a reset).
        let mut s = TcpStream::connect(addr).unwrap();
        let huge = format!("GET / HTTP/1.1\r\nX: {}", "a".repeat(MAX_HEAD * 2));
        let _ = s.write_all(huge.as_bytes());
        let mut out = String::new();
        match s.read_to_string(&mut out) {
            Ok(_) => assert!(out.starts_with("HTTP/1.1 431"), "{out}"),
            Err(e) => assert_eq!(e.kind(), io::ErrorKind::ConnectionReset, "{e}"),
        }
    }
}
