//! A minimal Lambda Runtime API on 127.0.0.1 for running the real binary as the function:
//! `GET /2018-06-01/runtime/invocation/next` hands out queued events (with the request id
//! and deadline headers; more can be queued while it runs), `POST …/{id}/response`,
//! `…/{id}/error` and `…/init/error` are recorded. When the queue is empty, `next` blocks, as on Lambda, until the server drops.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;

const PREFIX: &str = "/2018-06-01/runtime/";

/// What the function posted back.
#[derive(Debug, Clone)]
pub enum Outcome {
    Response { request_id: String, body: Value },
    Error { request_id: String, body: Value },
    InitError { body: Value },
}

#[derive(Default)]
struct State {
    events: VecDeque<(String, Value)>,
    /// Events queued so far (the next one is `req-{queued + 1}`).
    queued: usize,
    outcomes: Vec<Outcome>,
    /// When the function first asked for an invocation: the end of its init phase.
    first_next: Option<Instant>,
}

struct Shared {
    state: Mutex<State>,
    changed: Condvar,
    closed: AtomicBool,
}

/// A running Runtime API. Dropping it releases the threads that wait in `next`.
pub struct RuntimeApi {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
}

impl RuntimeApi {
    /// Serve `events` in order, as invocations `req-1`, `req-2`, …, on a free port of
    /// 127.0.0.1.
    pub fn start(events: Vec<Value>) -> RuntimeApi {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the runtime API");
        RuntimeApi::start_on(listener, events)
    }

    /// [`RuntimeApi::start`] on a bound `listener` (e.g. one inside a container's network
    /// namespace: `crate::runc::Container::listen`).
    pub fn start_on(listener: TcpListener, events: Vec<Value>) -> RuntimeApi {
        let addr = listener.local_addr().expect("the runtime API's address");
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            changed: Condvar::new(),
            closed: AtomicBool::new(false),
        });
        let accept_shared = Arc::clone(&shared);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if accept_shared.closed.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(stream) = stream else { continue };
                let shared = Arc::clone(&accept_shared);
                std::thread::spawn(move || serve_connection(stream, &shared));
            }
        });
        let api = RuntimeApi { addr, shared };
        for event in events {
            api.push(event);
        }
        api
    }

    /// Queue one more invocation (after those given to [`RuntimeApi::start`]).
    pub fn push(&self, event: Value) {
        let mut state = self.shared.state.lock().unwrap();
        state.queued += 1;
        let id = format!("req-{}", state.queued);
        state.events.push_back((id, event));
        self.shared.changed.notify_all();
    }

    /// When the function first called `next`, if it has.
    pub fn first_next(&self) -> Option<Instant> {
        self.shared.state.lock().unwrap().first_next
    }

    /// `host:port`, the value of `AWS_LAMBDA_RUNTIME_API`.
    pub fn host_port(&self) -> String {
        self.addr.to_string()
    }

    /// Wait until `n` outcomes were posted (or `timeout` passed) and return them all.
    pub fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Outcome> {
        let deadline = Instant::now() + timeout;
        let mut state = self.shared.state.lock().unwrap();
        while state.outcomes.len() < n {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            state = self.shared.changed.wait_timeout(state, left).unwrap().0;
        }
        state.outcomes.clone()
    }
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.shared.closed.store(true, Ordering::SeqCst);
        self.shared.changed.notify_all();
        // Wake the accept loop so it sees `closed`.
        let _ = TcpStream::connect(self.addr);
    }
}

/// One keep-alive connection: answer requests until the client closes it.
fn serve_connection(stream: TcpStream, shared: &Shared) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    while let Some((method, path, body)) = read_request(&mut reader) {
        let answer = route(&method, &path, body, shared);
        let Some((status, headers, body)) = answer else {
            return; // the server is closing while `next` waited
        };
        let mut head = format!(
            "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        );
        for (name, value) in headers {
            head += &format!("{name}: {value}\r\n");
        }
        head += "\r\n";
        if writer.write_all(head.as_bytes()).is_err() || writer.write_all(&body).is_err() {
            return;
        }
    }
}

type Answer = (&'static str, Vec<(&'static str, String)>, Vec<u8>);

fn route(method: &str, path: &str, body: Vec<u8>, shared: &Shared) -> Option<Answer> {
    let accepted = || Some(("202 Accepted", Vec::new(), br#"{"status":"OK"}"#.to_vec()));
    let json = |bytes: &[u8]| serde_json::from_slice(bytes).unwrap_or(Value::Null);
    let rest = path.strip_prefix(PREFIX).unwrap_or("");
    match (method, rest) {
        ("GET", "invocation/next") => {
            let mut state = shared.state.lock().unwrap();
            state.first_next.get_or_insert_with(Instant::now);
            loop {
                if shared.closed.load(Ordering::SeqCst) {
                    return None;
                }
                if let Some((id, event)) = state.events.pop_front() {
                    let deadline = SystemTime::now().duration_since(UNIX_EPOCH).unwrap()
                        + Duration::from_secs(300);
                    let headers = vec![
                        ("Lambda-Runtime-Aws-Request-Id", id),
                        (
                            "Lambda-Runtime-Deadline-Ms",
                            deadline.as_millis().to_string(),
                        ),
                        (
                            "Lambda-Runtime-Invoked-Function-Arn",
                            "arn:aws:lambda:us-east-1:123456789012:function:author-stats".into(),
                        ),
                        (
                            "Lambda-Runtime-Trace-Id",
                            "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=0".into(),
                        ),
                    ];
                    return Some(("200 OK", headers, event.to_string().into_bytes()));
                }
                state = shared
                    .changed
                    .wait_timeout(state, Duration::from_millis(200))
                    .unwrap()
                    .0;
            }
        }
        ("POST", "init/error") => {
            record(shared, Outcome::InitError { body: json(&body) });
            accepted()
        }
        ("POST", rest) if rest.starts_with("invocation/") => {
            let mut parts = rest.trim_start_matches("invocation/").splitn(2, '/');
            let request_id = parts.next().unwrap_or("").to_owned();
            let body = json(&body);
            match parts.next() {
                Some("response") => record(shared, Outcome::Response { request_id, body }),
                Some("error") => record(shared, Outcome::Error { request_id, body }),
                _ => return Some(("404 Not Found", Vec::new(), b"{}".to_vec())),
            }
            accepted()
        }
        _ => Some(("404 Not Found", Vec::new(), b"{}".to_vec())),
    }
}

fn record(shared: &Shared, outcome: Outcome) {
    shared.state.lock().unwrap().outcomes.push(outcome);
    shared.changed.notify_all();
}

/// Read one HTTP/1.1 request: (method, path, body); `None` when the connection closed.
/// Bodies come with Content-Length or chunked transfer encoding.
fn read_request(reader: &mut BufReader<TcpStream>) -> Option<(String, String, Vec<u8>)> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let path = parts.next()?.to_owned();
    let mut length = 0usize;
    let mut chunked = false;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).ok()? == 0 {
            return None;
        }
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':')?;
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            length = value.parse().ok()?;
        } else if name.eq_ignore_ascii_case("transfer-encoding")
            && value.eq_ignore_ascii_case("chunked")
        {
            chunked = true;
        }
    }
    let mut body = Vec::new();
    if chunked {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size).ok()?;
            let size = usize::from_str_radix(size.trim().split(';').next()?, 16).ok()?;
            let mut chunk = vec![0; size + 2]; // data + CRLF
            reader.read_exact(&mut chunk).ok()?;
            if size == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..size]);
        }
    } else {
        body.resize(length, 0);
        reader.read_exact(&mut body).ok()?;
    }
    Some((method, path, body))
}
