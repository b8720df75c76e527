//! A fault-injecting HTTP proxy on 127.0.0.1, in front of a local endpoint (moto): requests
//! pass through unchanged until a [`Rule`] says otherwise, from its `from`-th matching
//! request on (for `times` requests, or all later ones). Faults: an HTTP 500 `InternalError`
//! answer, a connection reset (RST), a connection that is accepted and never answered, an
//! answer whose body is cut off, and a request held until the test releases it.
//!
//! A [`Link`] makes every connection a slow one: the answer's first byte comes a latency
//! after the request, and its bytes flow at most at a given rate per connection, as over a
//! real network path to S3 (one socket's throughput is what ranged reads work around).
//!
//! One request per connection: the proxy tells both sides `Connection: close`, so every
//! request the client makes arrives on a connection of its own and can be counted. Plain
//! threads and blocking sockets; nothing here talks to anything but 127.0.0.1.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// What happens to a request a rule applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Forward it and its answer unchanged.
    Pass,
    /// Answer `500 Internal Server Error` with an S3 `InternalError` body, not forwarded.
    Status500,
    /// Reset the connection (RST) as soon as the request head has arrived.
    Reset,
    /// Read the request and never answer; the connection stays open until the client
    /// gives up.
    Silence,
    /// Forward it, then pass on the answer's head and only the first `after` bytes of its
    /// body, and close.
    CutBody { after: usize },
    /// Hold it (read, not forwarded) until [`FaultProxy::release`], then forward it and its
    /// answer unchanged: the test changes something upstream while the request waits.
    Hold,
}

/// The network path every connection takes through the proxy (answers only; requests are
/// forwarded at once).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Link {
    /// Most bytes per second one connection's answer flows at; `None`: as fast as it comes.
    pub bytes_per_sec: Option<u64>,
    /// Wait between the upstream's answer and its first byte reaching the client.
    pub first_byte: Duration,
}

impl Link {
    /// A link of `bytes_per_sec` per connection with `first_byte` latency.
    pub fn throttled(bytes_per_sec: u64, first_byte: Duration) -> Link {
        assert!(
            bytes_per_sec > 0,
            "a link passes at least one byte a second"
        );
        Link {
            bytes_per_sec: Some(bytes_per_sec),
            first_byte,
        }
    }
}

/// Paces one answer to a [`Link`]'s rate: after `sent` bytes, the next write waits until
/// `sent / rate` seconds have passed since the first byte (so short sleeps never add up to
/// a slower link than asked, and a late write is not followed by a burst above the rate
/// for longer than one write).
struct Pacer {
    started: Instant,
    sent: u64,
    rate: Option<u64>,
}

impl Pacer {
    fn new(link: &Link) -> Pacer {
        Pacer {
            started: Instant::now(),
            sent: 0,
            rate: link.bytes_per_sec,
        }
    }

    /// Largest piece to write at once: 10 ms of the rate (the sleeps stay short).
    fn piece(&self) -> usize {
        self.rate
            .map_or(usize::MAX, |rate| (rate / 100).clamp(1, 1 << 20) as usize)
    }

    /// Account for `n` bytes about to be written and wait until they are due.
    fn pace(&mut self, n: usize) {
        let Some(rate) = self.rate else { return };
        self.sent += n as u64;
        let due = self.started + Duration::from_secs_f64(self.sent as f64 / rate as f64);
        let now = Instant::now();
        if due > now {
            thread::sleep(due - now);
        }
    }
}

/// Which requests get a fault, and from which one on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// HTTP method the request must have (`PUT`, `GET` …); `None`: any.
    pub method: Option<String>,
    /// Text the request target (path and query) must contain; `None`: any.
    pub path_contains: Option<String>,
    /// Text the request head (its request line and headers, compared in lower case) must
    /// contain, e.g. `range: bytes=100-`; `None`: any.
    pub head_contains: Option<String>,
    /// The first matching request (1-based) that gets `fault`; later ones get it too,
    /// unless `times` says how many.
    pub from: usize,
    /// How many matching requests from the `from`-th get `fault`; `None`: all of them.
    pub times: Option<usize>,
    pub fault: Fault,
}

impl Rule {
    /// `fault` for every request from the `from`-th with this method whose target contains
    /// `path_contains`.
    pub fn new(method: &str, path_contains: &str, from: usize, fault: Fault) -> Rule {
        Rule {
            method: Some(method.to_owned()),
            path_contains: Some(path_contains.to_owned()),
            head_contains: None,
            from,
            times: None,
            fault,
        }
    }

    /// Only requests whose head contains `text` (case-insensitive) match.
    pub fn when_head_contains(mut self, text: &str) -> Rule {
        self.head_contains = Some(text.to_ascii_lowercase());
        self
    }

    /// Only `n` matching requests (from the `from`-th) get the fault; later ones pass.
    pub fn times(mut self, n: usize) -> Rule {
        self.times = Some(n);
        self
    }

    /// Nothing is changed.
    pub fn pass() -> Rule {
        Rule {
            method: None,
            path_contains: None,
            head_contains: None,
            from: 1,
            times: None,
            fault: Fault::Pass,
        }
    }

    fn matches(&self, method: &str, target: &str, head: &str) -> bool {
        self.method.as_deref().is_none_or(|m| m == method)
            && self
                .path_contains
                .as_deref()
                .is_none_or(|p| target.contains(p))
            && self
                .head_contains
                .as_deref()
                .is_none_or(|h| head.contains(h))
    }

    /// Whether the `n`-th matching request (1-based) gets the fault.
    fn applies_to(&self, n: usize) -> bool {
        n >= self.from && self.times.is_none_or(|times| n < self.from + times)
    }
}

struct Shared {
    upstream: String,
    rule: Mutex<Rule>,
    link: Mutex<Link>,
    matched: AtomicUsize,
    /// Whether held requests may go on ([`Fault::Hold`]), and its signal.
    released: (Mutex<bool>, Condvar),
    log: Mutex<Vec<String>>,
    stop: AtomicBool,
}

/// The proxy; stops accepting when dropped.
pub struct FaultProxy {
    /// `http://127.0.0.1:<port>`, for `AWS_ENDPOINT_URL`.
    pub endpoint: String,
    port: u16,
    shared: Arc<Shared>,
}

impl FaultProxy {
    /// Listen on a free port of 127.0.0.1 and forward to `upstream` (`http://127.0.0.1:<port>`).
    pub fn start(upstream: &str) -> FaultProxy {
        let upstream = upstream
            .strip_prefix("http://")
            .unwrap_or(upstream)
            .trim_end_matches('/')
            .to_owned();
        assert!(
            upstream.starts_with("127.0.0.1:") || upstream.starts_with("localhost:"),
            "the fault proxy only forwards to 127.0.0.1, not {upstream}"
        );
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port for the proxy");
        let port = listener.local_addr().expect("its address").port();
        let shared = Arc::new(Shared {
            upstream,
            rule: Mutex::new(Rule::pass()),
            link: Mutex::new(Link::default()),
            matched: AtomicUsize::new(0),
            released: (Mutex::new(false), Condvar::new()),
            log: Mutex::new(Vec::new()),
            stop: AtomicBool::new(false),
        });
        let accepting = Arc::clone(&shared);
        thread::Builder::new()
            .name("fault-proxy".into())
            .spawn(move || {
                for conn in listener.incoming() {
                    if accepting.stop.load(Ordering::SeqCst) {
                        return;
                    }
                    if let Ok(conn) = conn {
                        let shared = Arc::clone(&accepting);
                        let _ = thread::Builder::new()
                            .name("fault-proxy-conn".into())
                            .spawn(move || {
                                let _ = handle(&shared, conn);
                            });
                    }
                }
            })
            .expect("the proxy thread starts");
        FaultProxy {
            endpoint: format!("http://127.0.0.1:{port}"),
            port,
            shared,
        }
    }

    /// Apply `rule` from now on; the count of matching requests starts again at 0, and
    /// requests a new [`Fault::Hold`] catches wait for a new [`FaultProxy::release`].
    pub fn set(&self, rule: Rule) {
        *self.shared.rule.lock().expect("rule") = rule;
        self.shared.matched.store(0, Ordering::SeqCst);
        *self.shared.released.0.lock().expect("gate") = false;
    }

    /// Every connection opened from now on takes `link` (answers in flight keep theirs).
    pub fn set_link(&self, link: Link) {
        *self.shared.link.lock().expect("link") = link;
    }

    /// Let the requests [`Fault::Hold`] holds (and any it catches later) go on.
    pub fn release(&self) {
        let (gate, signal) = &self.shared.released;
        *gate.lock().expect("gate") = true;
        signal.notify_all();
    }

    /// Requests the current rule matched so far.
    pub fn matched(&self) -> usize {
        self.shared.matched.load(Ordering::SeqCst)
    }

    /// One line per request: `METHOD target → what the proxy did`, with the `Range` header
    /// when there is one (`GET /b/k [bytes=0-9] → Pass`).
    pub fn log(&self) -> Vec<String> {
        self.shared.log.lock().expect("log").clone()
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        self.release();
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// The head of an HTTP/1.1 message: its lines, without the empty line.
struct Head {
    lines: Vec<String>,
}

impl Head {
    fn header(&self, name: &str) -> Option<&str> {
        self.lines.iter().skip(1).find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim().eq_ignore_ascii_case(name).then(|| value.trim())
        })
    }

    fn content_length(&self) -> Option<usize> {
        self.header("content-length")?.parse().ok()
    }

    /// The head with `Connection: close` instead of any `Connection` header.
    fn closing(&self) -> Vec<u8> {
        let mut out = String::new();
        for (i, line) in self.lines.iter().enumerate() {
            let is_connection = i > 0
                && line
                    .split_once(':')
                    .is_some_and(|(k, _)| k.trim().eq_ignore_ascii_case("connection"));
            if !is_connection {
                out.push_str(line);
                out.push_str("\r\n");
            }
        }
        out.push_str("Connection: close\r\n\r\n");
        out.into_bytes()
    }
}

/// Read a message head (through the empty line); returns it and the bytes read after it.
fn read_head(stream: &mut TcpStream) -> io::Result<(Head, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        if let Some(end) = find(&buf, b"\r\n\r\n") {
            let text = String::from_utf8_lossy(&buf[..end]).into_owned();
            let rest = buf[end + 4..].to_vec();
            let lines = text.split("\r\n").map(str::to_owned).collect();
            return Ok((Head { lines }, rest));
        }
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "closed before the head ended",
            ));
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// Wait until the whole request head is in the socket's buffer without consuming it.
fn peek_head(stream: &TcpStream) -> io::Result<Head> {
    let mut buf = vec![0u8; 65536];
    for _ in 0..1000 {
        let n = stream.peek(&mut buf)?;
        if n == 0 {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "closed"));
        }
        if let Some(end) = find(&buf[..n], b"\r\n\r\n") {
            let text = String::from_utf8_lossy(&buf[..end]).into_owned();
            return Ok(Head {
                lines: text.split("\r\n").map(str::to_owned).collect(),
            });
        }
        thread::sleep(Duration::from_millis(2));
    }
    Err(io::Error::other("no complete request head"))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Read exactly `len` body bytes, starting with those already read.
fn read_body(stream: &mut TcpStream, mut already: Vec<u8>, len: usize) -> io::Result<Vec<u8>> {
    if already.len() < len {
        let mut rest = vec![0u8; len - already.len()];
        stream.read_exact(&mut rest)?;
        already.extend(rest);
    }
    already.truncate(len);
    Ok(already)
}

fn handle(shared: &Shared, mut client: TcpStream) -> io::Result<()> {
    let peeked = peek_head(&client)?;
    let request_line = peeked.lines.first().cloned().unwrap_or_default();
    let mut parts = request_line.split(' ');
    let method = parts.next().unwrap_or("").to_owned();
    let target = parts.next().unwrap_or("").to_owned();
    let head_text = peeked.lines.join("\n").to_ascii_lowercase();
    let link = *shared.link.lock().expect("link");
    let fault = {
        let rule = shared.rule.lock().expect("rule");
        if rule.matches(&method, &target, &head_text) {
            let n = shared.matched.fetch_add(1, Ordering::SeqCst) + 1;
            if rule.applies_to(n) {
                rule.fault.clone()
            } else {
                Fault::Pass
            }
        } else {
            Fault::Pass
        }
    };
    let range = peeked
        .header("range")
        .map_or(String::new(), |r| format!(" [{r}]"));
    shared
        .log
        .lock()
        .expect("log")
        .push(format!("{method} {target}{range} → {fault:?}"));

    if fault == Fault::Reset {
        // Closing a socket whose received data was never read makes the kernel send RST.
        drop(client);
        return Ok(());
    }
    let (head, early) = read_head(&mut client)?;
    let chunked = head
        .header("transfer-encoding")
        .is_some_and(|v| v.eq_ignore_ascii_case("chunked"));
    let body = if chunked {
        Vec::new()
    } else {
        read_body(
            &mut client,
            early.clone(),
            head.content_length().unwrap_or(0),
        )?
    };
    match fault {
        Fault::Status500 => {
            let xml =
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>InternalError</Code>\
                       <Message>injected by the test's fault proxy</Message></Error>";
            let answer = format!(
                "HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/xml\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n{xml}",
                xml.len()
            );
            client.write_all(answer.as_bytes())?;
            client.flush()?;
            let _ = client.shutdown(Shutdown::Write);
            // Let the client read the answer before the socket goes away.
            let mut sink = [0u8; 1024];
            let _ = client.set_read_timeout(Some(Duration::from_secs(5)));
            while matches!(client.read(&mut sink), Ok(n) if n > 0) {}
            Ok(())
        }
        Fault::Silence => {
            // Hold the connection until the client gives up.
            let mut sink = [0u8; 1024];
            while matches!(client.read(&mut sink), Ok(n) if n > 0) {}
            Ok(())
        }
        Fault::Pass | Fault::CutBody { .. } | Fault::Reset | Fault::Hold => {
            if fault == Fault::Hold {
                let (gate, signal) = &shared.released;
                let mut released = gate.lock().expect("gate");
                while !*released {
                    released = signal.wait(released).expect("gate");
                }
            }
            let mut upstream = TcpStream::connect(&shared.upstream)?;
            upstream.write_all(&head.closing())?;
            if chunked {
                // Not needed by the SDK's requests; relay the rest as it comes.
                upstream.write_all(&early)?;
                let mut from_client = client.try_clone()?;
                let mut to_upstream = upstream.try_clone()?;
                thread::spawn(move || io::copy(&mut from_client, &mut to_upstream));
            } else {
                upstream.write_all(&body)?;
            }
            relay_answer(&method, &mut upstream, &mut client, &fault, &link)
        }
    }
}

/// Pass the upstream's answer to the client (1xx heads first), cut if `fault` says so,
/// at the pace of `link`.
fn relay_answer(
    method: &str,
    upstream: &mut TcpStream,
    client: &mut TcpStream,
    fault: &Fault,
    link: &Link,
) -> io::Result<()> {
    let mut first = true;
    loop {
        let (head, early) = read_head(upstream)?;
        let status: u16 = head
            .lines
            .first()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        if first {
            first = false;
            thread::sleep(link.first_byte);
        }
        if (100..200).contains(&status) {
            let mut raw = head.lines.join("\r\n").into_bytes();
            raw.extend_from_slice(b"\r\n\r\n");
            client.write_all(&raw)?;
            continue;
        }
        client.write_all(&head.closing())?;
        let bodiless = method == "HEAD" || status == 204 || status == 304;
        let limit = match fault {
            Fault::CutBody { after } => Some(*after),
            _ => None,
        };
        let length = if bodiless {
            Some(0)
        } else {
            head.content_length()
        };
        let mut sent = 0usize;
        let mut pacer = Pacer::new(link);
        let mut send = |bytes: &[u8], client: &mut TcpStream| -> io::Result<bool> {
            let mut take = bytes.len();
            if let Some(length) = length {
                take = take.min(length - sent);
            }
            if let Some(limit) = limit {
                take = take.min(limit.saturating_sub(sent));
            }
            for piece in bytes[..take].chunks(pacer.piece()) {
                pacer.pace(piece.len());
                client.write_all(piece)?;
            }
            sent += take;
            let done = length.is_some_and(|l| sent >= l) || limit.is_some_and(|l| sent >= l);
            Ok(done)
        };
        if !send(&early, client)? {
            let mut chunk = [0u8; 16384];
            loop {
                let n = upstream.read(&mut chunk)?;
                if n == 0 || send(&chunk[..n], client)? {
                    break;
                }
            }
        }
        client.flush()?;
        let _ = client.shutdown(Shutdown::Both);
        return Ok(());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An HTTP server answering every request with `body`.
    fn server(body: impl Into<Vec<u8>>) -> String {
        let body = Arc::new(body.into());
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let mut conn = conn;
                let body = Arc::clone(&body);
                thread::spawn(move || {
                    let Ok((head, early)) = read_head(&mut conn) else {
                        return;
                    };
                    let _ = read_body(&mut conn, early, head.content_length().unwrap_or(0));
                    let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body.len());
                    let _ = conn.write_all(head.as_bytes());
                    let _ = conn.write_all(&body);
                });
            }
        });
        format!("http://127.0.0.1:{port}")
    }

    /// The raw answer to `GET path` with `headers` (each `Name: value\r\n`).
    fn get_with(endpoint: &str, path: &str, headers: &str) -> io::Result<Vec<u8>> {
        let addr = endpoint.strip_prefix("http://").unwrap();
        let mut conn = TcpStream::connect(addr)?;
        conn.set_read_timeout(Some(Duration::from_millis(500)))?;
        conn.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\n{headers}\r\n").as_bytes())?;
        let mut out = Vec::new();
        conn.read_to_end(&mut out)?;
        Ok(out)
    }

    fn get(endpoint: &str, path: &str) -> io::Result<String> {
        get_with(endpoint, path, "").map(|out| String::from_utf8_lossy(&out).into_owned())
    }

    #[test]
    fn requests_pass_until_the_rule_applies_and_then_fail() {
        let proxy = FaultProxy::start(&server("hello"));
        assert!(get(&proxy.endpoint, "/a").unwrap().ends_with("hello"));
        proxy.set(Rule::new("GET", "/b", 2, Fault::Status500));
        assert!(get(&proxy.endpoint, "/b").unwrap().ends_with("hello"));
        assert!(get(&proxy.endpoint, "/b")
            .unwrap()
            .starts_with("HTTP/1.1 500"));
        assert!(get(&proxy.endpoint, "/a").unwrap().ends_with("hello"));
        assert_eq!(proxy.matched(), 2);
    }

    #[test]
    fn a_cut_body_ends_early_and_silence_never_answers() {
        let proxy = FaultProxy::start(&server("0123456789"));
        proxy.set(Rule::new("GET", "/", 1, Fault::CutBody { after: 4 }));
        let answer = get(&proxy.endpoint, "/x").unwrap();
        assert!(answer.ends_with("\r\n\r\n0123"), "{answer:?}");
        proxy.set(Rule::new("GET", "/", 1, Fault::Silence));
        let error = get(&proxy.endpoint, "/x").unwrap_err();
        assert!(
            matches!(
                error.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
            ),
            "{error}"
        );
    }

    #[test]
    fn a_reset_breaks_the_connection() {
        let proxy = FaultProxy::start(&server("hello"));
        proxy.set(Rule::new("GET", "/", 1, Fault::Reset));
        match get(&proxy.endpoint, "/x") {
            Err(e) => assert_eq!(e.kind(), io::ErrorKind::ConnectionReset, "{e}"),
            Ok(answer) => assert!(answer.is_empty(), "{answer:?}"),
        }
    }

    #[test]
    fn a_rule_with_times_faults_only_that_many_requests() {
        let proxy = FaultProxy::start(&server("hello"));
        proxy.set(Rule::new("GET", "/", 2, Fault::Status500).times(2));
        let answers: Vec<bool> = (0..5)
            .map(|_| {
                get(&proxy.endpoint, "/x")
                    .unwrap()
                    .starts_with("HTTP/1.1 500")
            })
            .collect();
        assert_eq!(answers, [false, true, true, false, false]);
    }

    #[test]
    fn a_rule_on_a_header_matches_only_requests_that_carry_it() {
        let proxy = FaultProxy::start(&server("hello"));
        proxy.set(Rule::new("GET", "/", 1, Fault::Status500).when_head_contains("Range: bytes=5-"));
        let plain = get_with(&proxy.endpoint, "/x", "range: bytes=0-4\r\n").unwrap();
        assert!(plain.ends_with(b"hello"));
        let ranged = get_with(&proxy.endpoint, "/x", "range: bytes=5-9\r\n").unwrap();
        assert!(ranged.starts_with(b"HTTP/1.1 500"));
        assert_eq!(proxy.matched(), 1);
    }

    #[test]
    fn a_held_request_is_answered_only_after_release() {
        let proxy = FaultProxy::start(&server("hello"));
        proxy.set(Rule::new("GET", "/", 1, Fault::Hold));
        let (tx, rx) = std::sync::mpsc::channel();
        let endpoint = proxy.endpoint.clone();
        thread::spawn(move || {
            let addr = endpoint.strip_prefix("http://").unwrap().to_owned();
            let mut conn = TcpStream::connect(addr).unwrap();
            conn.write_all(b"GET /x HTTP/1.1\r\nHost: x\r\n\r\n")
                .unwrap();
            let mut out = String::new();
            let _ = conn.read_to_string(&mut out);
            tx.send(out).unwrap();
        });
        while proxy.matched() == 0 {
            thread::sleep(Duration::from_millis(5));
        }
        thread::sleep(Duration::from_millis(100));
        assert!(rx.try_recv().is_err(), "answered while held");
        proxy.release();
        assert!(rx.recv().unwrap().ends_with("hello"));
    }

    #[test]
    fn a_throttled_link_is_no_faster_than_its_rate_and_passes_every_byte() {
        // 2 MiB at 10 MiB/s take at least 0.2 s (plus the latency); only a lower bound is
        // checked, which a busy machine cannot break.
        let body: Vec<u8> = (0..2u32 << 20).map(|i| (i % 251) as u8).collect();
        let proxy = FaultProxy::start(&server(body.clone()));
        proxy.set_link(Link::throttled(10 << 20, Duration::from_millis(30)));
        let started = Instant::now();
        let answer = get_with(&proxy.endpoint, "/big", "").unwrap();
        let took = started.elapsed();
        assert!(answer.ends_with(&body), "every byte, in order");
        assert!(took >= Duration::from_millis(150), "took {took:?}");
    }

    #[test]
    fn the_pacer_spaces_writes_by_the_rate() {
        let link = Link::throttled(1000, Duration::ZERO);
        let mut pacer = Pacer::new(&link);
        assert_eq!(pacer.piece(), 10);
        let started = Instant::now();
        for _ in 0..5 {
            pacer.pace(10);
        }
        assert!(started.elapsed() >= Duration::from_millis(50));
        let mut unlimited = Pacer::new(&Link::default());
        assert_eq!(unlimited.piece(), usize::MAX);
        unlimited.pace(1 << 30);
    }
}
