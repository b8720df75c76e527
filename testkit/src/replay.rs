//! A replay AWS endpoint on 127.0.0.1 for the failure paths emulators never reach
//! (ROLLBACK_COMPLETE, DELETE_FAILED, throttling…): each AWS Query action (`Action=…` in
//! the form body, as CloudFormation speaks), or for REST services each `METHOD /path`,
//! answers from a script of recorded responses, in order; the last one repeats. Every request is recorded for the test to inspect. An
//! action without a script answers HTTP 500 naming it, so a test cannot pass by accident.

use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::Credentials;

/// One recorded response.
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// One request as received: its action and its decoded form parameters.
#[derive(Clone, Debug)]
pub struct Request {
    pub action: String,
    pub params: Vec<(String, String)>,
    pub body: String,
}

impl Request {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Default)]
struct State {
    scripts: HashMap<String, VecDeque<Reply>>,
    requests: Vec<Request>,
}

/// A running replay endpoint; it stops serving when the test process ends.
pub struct Replay {
    pub endpoint: String,
    state: Arc<Mutex<State>>,
}

impl Replay {
    pub fn start() -> Replay {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let endpoint = format!("http://{}", listener.local_addr().expect("an address"));
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = shared.clone();
                std::thread::spawn(move || serve(stream, &state));
            }
        });
        Replay { endpoint, state }
    }

    /// Appends `reply` to the script of `action`.
    pub fn on(&self, action: &str, status: u16, body: impl Into<String>) -> &Self {
        self.state
            .lock()
            .expect("replay state")
            .scripts
            .entry(action.to_owned())
            .or_default()
            .push_back(Reply {
                status,
                headers: Vec::new(),
                body: body.into(),
            });
        self
    }

    /// Appends a REST reply with headers to the script of `route` (`"POST /path"`).
    pub fn rest(&self, route: &str, status: u16, headers: &[(&str, &str)], body: &str) -> &Self {
        self.state
            .lock()
            .expect("replay state")
            .scripts
            .entry(route.to_owned())
            .or_default()
            .push_back(Reply {
                status,
                headers: headers
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                body: body.to_owned(),
            });
        self
    }

    /// `on(action, 200, query_ok(action, result))`.
    pub fn ok(&self, action: &str, result: &str) -> &Self {
        self.on(action, 200, query_ok(action, result))
    }

    /// Every request so far, in order.
    pub fn requests(&self) -> Vec<Request> {
        self.state.lock().expect("replay state").requests.clone()
    }

    /// The requests of `action`.
    pub fn calls(&self, action: &str) -> Vec<Request> {
        self.requests()
            .into_iter()
            .filter(|r| r.action == action)
            .collect()
    }

    /// SDK configuration for this endpoint: test credentials, us-east-1, and retries that
    /// back off for milliseconds, not seconds.
    pub fn sdk_config(&self) -> SdkConfig {
        SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .http_client(crate::sdk_http_client())
            .region(Region::new("us-east-1"))
            .endpoint_url(&self.endpoint)
            .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
                "testing", "testing", None, None, "replay",
            )))
            .retry_config(
                RetryConfig::standard()
                    .with_max_attempts(4)
                    .with_initial_backoff(Duration::from_millis(5))
                    .with_max_backoff(Duration::from_millis(20)),
            )
            .build()
    }
}

/// The body of a successful AWS Query response.
pub fn query_ok(action: &str, result: &str) -> String {
    format!(
        "<{action}Response xmlns=\"http://cloudformation.amazonaws.com/doc/2010-05-15/\">\
         <{action}Result>{result}</{action}Result>\
         <ResponseMetadata><RequestId>replay</RequestId></ResponseMetadata></{action}Response>"
    )
}

/// The body of an AWS Query error response.
pub fn query_error(code: &str, message: &str) -> String {
    format!(
        "<ErrorResponse xmlns=\"http://cloudformation.amazonaws.com/doc/2010-05-15/\">\
         <Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>\
         <RequestId>replay</RequestId></ErrorResponse>"
    )
}

fn serve(stream: TcpStream, state: &Mutex<State>) {
    let mut reader = BufReader::new(stream.try_clone().expect("a stream clone"));
    let mut writer = stream;
    // Keep-alive: the SDK reuses connections.
    while let Some((route, body)) = read_request(&mut reader) {
        let params = form_decode(&body);
        let action = params
            .iter()
            .find(|(k, _)| k == "Action")
            .map(|(_, v)| v.clone())
            .unwrap_or(route);
        let reply = {
            let mut state = state.lock().expect("replay state");
            state.requests.push(Request {
                action: action.clone(),
                params,
                body: String::from_utf8_lossy(&body).into_owned(),
            });
            match state.scripts.get_mut(&action) {
                Some(script) if script.len() > 1 => script.pop_front(),
                Some(script) => script.front().cloned(),
                None => None,
            }
        };
        let reply = reply.unwrap_or_else(|| Reply {
            status: 500,
            headers: Vec::new(),
            body: query_error(
                "InternalFailure",
                &format!("the replay has no script for action {action:?}"),
            ),
        });
        let extra: String = reply
            .headers
            .iter()
            .map(|(k, v)| format!("{k}: {v}\r\n"))
            .collect();
        let content_type = if reply.body.starts_with('<') {
            "text/xml"
        } else {
            "application/json"
        };
        let head = format!(
            "HTTP/1.1 {} Replay\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n{extra}\r\n",
            reply.status,
            reply.body.len()
        );
        if writer.write_all(head.as_bytes()).is_err()
            || writer.write_all(reply.body.as_bytes()).is_err()
        {
            return;
        }
    }
}

/// One request's `METHOD /path` (query string dropped) and body, or `None` at the end of
/// the connection.
fn read_request(reader: &mut BufReader<TcpStream>) -> Option<(String, Vec<u8>)> {
    let mut length = 0usize;
    let mut line = String::new();
    let mut route = None;
    loop {
        line.clear();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let trimmed = line.trim_end();
        if trimmed.is_empty() {
            if route.is_none() {
                continue;
            }
            break;
        }
        if route.is_none() {
            let mut words = trimmed.split(' ');
            let method = words.next().unwrap_or_default();
            let path = words.next().unwrap_or_default();
            let path = path.split('?').next().unwrap_or_default();
            route = Some(format!("{method} {path}"));
            continue;
        }
        if let Some((name, value)) = trimmed.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().ok()?;
            }
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some((route.unwrap_or_default(), body))
}

/// `application/x-www-form-urlencoded` pairs.
fn form_decode(body: &[u8]) -> Vec<(String, String)> {
    String::from_utf8_lossy(body)
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_bodies_decode_percent_escapes_and_plus() {
        assert_eq!(
            form_decode(b"Action=CreateChangeSet&TemplateBody=a%3Ab+c%25"),
            vec![
                ("Action".to_owned(), "CreateChangeSet".to_owned()),
                ("TemplateBody".to_owned(), "a:b c%".to_owned())
            ]
        );
        assert_eq!(percent_decode("100%"), "100%");
    }
}
