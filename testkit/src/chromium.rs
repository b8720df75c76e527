//! Headless Chromium (Debian's `chromium`) driven over the DevTools protocol for the browser
//! tests: launched with a fresh profile and `--remote-debugging-pipe`, so the protocol's JSON
//! messages travel over two pipes (NUL-terminated, no websocket, no open port), and the
//! browser is told to make no traffic of its own (only the pages' 127.0.0.1 requests).
//! One [`Page`] at a time: navigate, evaluate, emulate the colour scheme, take screenshots.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::Duration;

use base64::Engine as _;
use serde_json::{json, Value};

use crate::tools::find_program;

/// How long Chromium may stay silent while a test waits for an answer or an event before
/// the test fails (a hang guard naming what was awaited, not a timed assertion).
const SILENCE: Duration = Duration::from_secs(120);

/// How long a closing browser may take before it is killed.
const CLOSING: Duration = Duration::from_secs(10);

/// The flags of every launch: headless, as root in a container (no sandbox), no GPU, and
/// none of the browser's own traffic (QUIC, background networking, updates, sync).
const FLAGS: [&str; 10] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--remote-debugging-pipe",
];

/// A running headless Chromium; closed (and waited for) when dropped.
pub struct Chromium {
    child: Child,
    to_browser: ChildStdin,
    from_browser: Receiver<Value>,
    next_id: u64,
    /// Events not yet asked for, oldest first.
    events: VecDeque<Value>,
    profile: tempfile::TempDir,
}

/// The `prefers-color-scheme` a page is shown with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColorScheme {
    Light,
    Dark,
}

impl ColorScheme {
    /// The media feature's value: `light` or `dark`.
    pub fn as_str(self) -> &'static str {
        match self {
            ColorScheme::Light => "light",
            ColorScheme::Dark => "dark",
        }
    }
}

impl Chromium {
    /// Starts `chromium` from `PATH` (check [`crate::tools::Tool::Chromium`] first).
    pub fn launch() -> Chromium {
        let program = find_program("chromium").expect("chromium on PATH (check Tool::Chromium)");
        let profile = tempfile::Builder::new()
            .prefix("chromium-profile-")
            .tempdir()
            .expect("a temporary profile folder for chromium");
        let log = profile.path().join("chromium.log");
        let log_file = std::fs::File::create(&log).expect("chromium's log file");
        // The protocol pipes are the browser's fds 3 (it reads) and 4 (it writes); a shell
        // moves our stdin and stdout pipes there, so no unsafe `pre_exec` is needed.
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(r#"exec "$0" "$@" 3<&0 4>&1 0</dev/null 1>&2"#)
            .arg(&program)
            .args(FLAGS)
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(log_file)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", program.display()));
        let to_browser = child.stdin.take().expect("chromium's command pipe");
        let from_browser = child.stdout.take().expect("chromium's message pipe");
        let (sender, receiver) = mpsc::channel();
        std::thread::Builder::new()
            .name("chromium-messages".into())
            .spawn(move || {
                let mut reader = BufReader::new(from_browser);
                let mut message = Vec::new();
                loop {
                    message.clear();
                    match reader.read_until(0, &mut message) {
                        Ok(0) | Err(_) => return,
                        Ok(_) => {}
                    }
                    if message.last() == Some(&0) {
                        message.pop();
                    }
                    let Ok(value) = serde_json::from_slice::<Value>(&message) else {
                        return;
                    };
                    if sender.send(value).is_err() {
                        return;
                    }
                }
            })
            .expect("the thread reading chromium's messages starts");
        let mut browser = Chromium {
            child,
            to_browser,
            from_browser: receiver,
            next_id: 0,
            events: VecDeque::new(),
            profile,
        };
        browser.call(None, "Browser.getVersion", json!({}));
        browser
    }

    /// Chromium's log (its stderr), for a failure message.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    fn log_path(&self) -> PathBuf {
        self.profile.path().join("chromium.log")
    }

    /// Opens a new tab of `width` × `height` CSS pixels (device scale 1) on `about:blank`.
    pub fn new_page(&mut self, width: u32, height: u32) -> Page<'_> {
        let target = self.call(None, "Target.createTarget", json!({"url": "about:blank"}));
        let target_id = target["targetId"].as_str().expect("a target id").to_owned();
        let attached = self.call(
            None,
            "Target.attachToTarget",
            json!({"targetId": target_id, "flatten": true}),
        );
        let session = attached["sessionId"]
            .as_str()
            .expect("a session")
            .to_owned();
        let mut page = Page {
            browser: self,
            session,
        };
        for domain in ["Page.enable", "Runtime.enable", "Log.enable"] {
            page.call(domain, json!({}));
        }
        page.call(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": false}),
        );
        page
    }

    /// Sends one command (to the browser, or to a page's `session`) and returns its result;
    /// panics with the protocol's error and chromium's log.
    fn call(&mut self, session: Option<&str>, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut message = json!({"id": id, "method": method, "params": params});
        if let Some(session) = session {
            message["sessionId"] = json!(session);
        }
        let mut bytes = serde_json::to_vec(&message).expect("a protocol message");
        bytes.push(0);
        if let Err(e) = self.to_browser.write_all(&bytes) {
            panic!(
                "cannot send {method} to chromium: {e}; its log:\n{}",
                self.log()
            );
        }
        loop {
            let message = self.receive(&format!("the answer to {method}"));
            if message["id"] == id {
                if let Some(error) = message.get("error") {
                    panic!("chromium refused {method} {params}: {error}");
                }
                return message["result"].clone();
            }
            if message.get("method").is_some() {
                self.events.push_back(message);
            }
        }
    }

    /// The next message from the browser; panics when it stops or stays silent.
    fn receive(&mut self, awaited: &str) -> Value {
        match self.from_browser.recv_timeout(SILENCE) {
            Ok(message) => message,
            Err(RecvTimeoutError::Timeout) => panic!(
                "chromium sent nothing for {SILENCE:?} while waiting for {awaited}; its log:\n{}",
                self.log()
            ),
            Err(RecvTimeoutError::Disconnected) => panic!(
                "chromium exited while waiting for {awaited}; its log:\n{}",
                self.log()
            ),
        }
    }

    /// Waits for the next event `method` of `session`, keeping the others for later.
    fn wait_event(&mut self, session: &str, method: &str) -> Value {
        let matches = |e: &Value| e["method"] == method && e["sessionId"] == session;
        if let Some(at) = self.events.iter().position(matches) {
            return self.events.remove(at).expect("the event just found");
        }
        loop {
            let message = self.receive(&format!("the event {method}"));
            if matches(&message) {
                return message;
            }
            self.events.push_back(message);
        }
    }

    /// Takes the events of `session` received so far that `keep` selects.
    fn drain_events(&mut self, session: &str, keep: impl Fn(&Value) -> bool) -> Vec<Value> {
        let (taken, rest): (Vec<Value>, Vec<Value>) = std::mem::take(&mut self.events)
            .into_iter()
            .partition(|e| e["sessionId"] == session && keep(e));
        self.events = rest.into();
        taken
    }
}

impl Drop for Chromium {
    fn drop(&mut self) {
        let closing = serde_json::to_vec(&json!({"id": 0, "method": "Browser.close"}));
        let closed = closing.is_ok_and(|mut bytes| {
            bytes.push(0);
            self.to_browser.write_all(&bytes).is_ok()
        });
        if closed {
            // The browser closes its end once it has shut down.
            while self.from_browser.recv_timeout(CLOSING).is_ok() {}
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One tab of a [`Chromium`].
pub struct Page<'a> {
    browser: &'a mut Chromium,
    session: String,
}

impl Page<'_> {
    /// Sends one command to this page and returns its result.
    pub fn call(&mut self, method: &str, params: Value) -> Value {
        self.browser.call(Some(&self.session), method, params)
    }

    /// Loads `url` and waits for its `load` event; panics when the navigation fails.
    pub fn goto(&mut self, url: &str) {
        self.browser
            .drain_events(&self.session, |e| e["method"] == "Page.loadEventFired");
        let navigated = self.call("Page.navigate", json!({"url": url}));
        if let Some(error) = navigated.get("errorText") {
            panic!("chromium could not load {url}: {error}");
        }
        self.browser
            .wait_event(&self.session, "Page.loadEventFired");
    }

    /// Evaluates `expression` in the page (awaiting a promise) and returns its value as
    /// JSON; panics with the page's exception.
    pub fn eval(&mut self, expression: &str) -> Value {
        let evaluated = self.call(
            "Runtime.evaluate",
            json!({"expression": expression, "returnByValue": true, "awaitPromise": true}),
        );
        if let Some(exception) = evaluated.get("exceptionDetails") {
            panic!("the page threw evaluating {expression}: {exception}");
        }
        evaluated["result"]["value"].clone()
    }

    /// Shows the page with `prefers-color-scheme: <scheme>` from now on.
    pub fn set_color_scheme(&mut self, scheme: ColorScheme) {
        self.call(
            "Emulation.setEmulatedMedia",
            json!({"features": [{"name": "prefers-color-scheme", "value": scheme.as_str()}]}),
        );
    }

    /// A PNG of the CSS-pixel rectangle `(x, y, width, height)` of the viewport at scale 1.
    pub fn screenshot(&mut self, (x, y, width, height): (f64, f64, f64, f64)) -> Vec<u8> {
        let shot = self.call(
            "Page.captureScreenshot",
            json!({
                "format": "png",
                "clip": {"x": x, "y": y, "width": width, "height": height, "scale": 1},
            }),
        );
        let data = shot["data"].as_str().expect("screenshot data");
        base64::engine::general_purpose::STANDARD
            .decode(data)
            .expect("a base64 screenshot")
    }

    /// What went wrong in the page so far, one line each: uncaught exceptions (also
    /// rejected promises of module scripts) and the browser's error log entries (failed
    /// loads, CORS refusals). Taken: a second call returns only newer ones.
    pub fn problems(&mut self) -> Vec<String> {
        // A round trip first, so every event sent before now has arrived.
        self.eval("0");
        self.browser
            .drain_events(&self.session, |e| {
                e["method"] == "Runtime.exceptionThrown"
                    || (e["method"] == "Log.entryAdded" && e["params"]["entry"]["level"] == "error")
            })
            .into_iter()
            .map(|e| {
                let p = &e["params"];
                if e["method"] == "Runtime.exceptionThrown" {
                    let details = &p["exceptionDetails"];
                    let what = details["exception"]["description"]
                        .as_str()
                        .or(details["text"].as_str())
                        .unwrap_or("?");
                    format!("uncaught: {}", what.lines().next().unwrap_or(""))
                } else {
                    let entry = &p["entry"];
                    format!(
                        "{} error: {} ({})",
                        entry["source"].as_str().unwrap_or("?"),
                        entry["text"].as_str().unwrap_or("?"),
                        entry["url"].as_str().unwrap_or("")
                    )
                }
            })
            .collect()
    }
}
