//! A small static HTTP origin on 127.0.0.1 for the browser tests: serves the regular files
//! of one folder (no links followed, nothing outside it) with a fixed set of response
//! headers and, when given an allow-list, CloudFront's CORS answers: the requesting
//! `Origin` echoed back when it is allowed, nothing when it is not (and preflights).

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::thread;

use super::response_headers::Cors;

/// An origin serving one folder; it lives as long as the test binary.
pub(crate) struct Origin {
    /// `http://127.0.0.1:<port>`.
    pub(crate) url: String,
}

/// What an origin adds to every answer.
#[derive(Clone, Debug, Default)]
pub(crate) struct Policy {
    /// Sent with every response (the security headers).
    pub(crate) headers: Vec<(String, String)>,
    /// CORS, when the stack has allowed origins.
    pub(crate) cors: Option<Cors>,
}

impl Origin {
    /// Serves `root` under `policy` on a free port of 127.0.0.1.
    pub(crate) fn start(root: &Path, policy: Policy) -> Origin {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let url = format!("http://{}", listener.local_addr().expect("its address"));
        let root = root.to_path_buf();
        thread::Builder::new()
            .name("browser-origin".into())
            .spawn(move || {
                for conn in listener.incoming().flatten() {
                    let (root, policy) = (root.clone(), policy.clone());
                    let _ = thread::Builder::new()
                        .name("browser-origin-conn".into())
                        .spawn(move || serve(&root, &policy, conn));
                }
            })
            .expect("the origin thread starts");
        Origin { url }
    }
}

/// Answers the requests of one connection (keep-alive) until the browser closes it.
fn serve(root: &Path, policy: &Policy, conn: TcpStream) {
    let mut reader = BufReader::new(conn.try_clone().expect("the connection"));
    let mut conn = conn;
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        let mut origin = None;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                if name.eq_ignore_ascii_case("origin") {
                    origin = Some(value.trim().to_owned());
                }
            }
        }
        let mut parts = request_line.split_whitespace();
        let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        let path = target.split(['?', '#']).next().unwrap_or("");
        let mut headers = policy.headers.clone();
        let allowed = policy
            .cors
            .as_ref()
            .zip(origin.as_deref())
            .filter(|(cors, origin)| cors.allows(origin));
        if let Some((cors, origin)) = allowed {
            headers.extend(cors.response_headers(origin, method == "OPTIONS"));
        }
        let (status, content_type, body) = match method {
            "GET" | "HEAD" => match file(root, path) {
                Some(file) => match std::fs::read(&file) {
                    Ok(body) => ("200 OK", content_type(&file), body),
                    Err(_) => not_found(),
                },
                None => not_found(),
            },
            "OPTIONS" => ("204 No Content", "text/plain", Vec::new()),
            _ => ("405 Method Not Allowed", "text/plain", Vec::new()),
        };
        let mut head = format!(
            "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n",
            body.len()
        );
        for (name, value) in &headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        let sent = conn.write_all(head.as_bytes()).and_then(|()| match method {
            "HEAD" => Ok(()),
            _ => conn.write_all(&body),
        });
        if sent.is_err() {
            return;
        }
    }
}

fn not_found() -> (&'static str, &'static str, Vec<u8>) {
    ("404 Not Found", "text/plain", b"not found".to_vec())
}

/// The regular file `path` names under `root`, if any: plain names only, no links.
fn file(root: &Path, path: &str) -> Option<PathBuf> {
    let relative = Path::new(path.trim_start_matches('/'));
    if !relative
        .components()
        .all(|c| matches!(c, Component::Normal(_)))
    {
        return None;
    }
    let file = root.join(relative);
    let meta = std::fs::symlink_metadata(&file).ok()?;
    meta.file_type().is_file().then_some(file)
}

/// The type S3 would send: a chart file's the job's own (as it uploads it), else by extension.
fn content_type(file: &Path) -> &'static str {
    let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("");
    match author_stats::publish::content_type_of(name) {
        "application/octet-stream" => {
            match name.rsplit_once('.').map_or("", |(_, extension)| extension) {
                "html" => "text/html; charset=utf-8",
                "js" => "text/javascript; charset=utf-8",
                "json" => "application/json",
                _ => "application/octet-stream",
            }
        }
        known => known,
    }
}
