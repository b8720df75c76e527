//! A server a test binary runs in the background (moto, LocalStack), stopped by its PID
//! however the test process ends: `sh` starts it, then blocks reading a pipe whose write end
//! this process holds. When the process exits (passing, panicking, killed), the pipe closes,
//! and `sh` sends the server SIGTERM (SIGKILL after [`GRACE`]), waits for it, and removes its
//! scratch paths.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};

/// How long a server may take to stop after SIGTERM before it is killed.
pub const GRACE: std::time::Duration = std::time::Duration::from_secs(10);

/// What to run in the background and how.
pub struct Server {
    pub program: PathBuf,
    pub args: Vec<OsString>,
    /// Variables set for it, on top of this process's environment or, with `clean_env`,
    /// instead of it.
    pub env: Vec<(OsString, OsString)>,
    pub clean_env: bool,
    /// Its stdout and stderr go here (appended).
    pub log: PathBuf,
    /// Removed (recursively) once it has stopped.
    pub scratch: Vec<PathBuf>,
}

/// A running server. Dropping it does nothing: the server lives as long as the test
/// process (the handle sits in a `static`), and stops when the process ends.
pub struct Watched {
    /// The server's PID (for `ss -ltnp` and the like).
    pub pid: u32,
    /// Holding the write end of the watchdog's stdin (see the module doc).
    _watchdog: ChildStdin,
    _sh: Child,
}

impl Server {
    /// Starts the server; returns as soon as it was started (the caller waits for it to be
    /// ready).
    pub fn start(self) -> Watched {
        // $1 log, $2 grace seconds, then the scratch paths up to `--`, then the command.
        let script = r#"log=$1; grace=$2; shift 2
scratch=""
while [ "$1" != "--" ]; do scratch="$scratch
$1"; shift; done
shift
"$@" </dev/null >>"$log" 2>&1 &
server=$!
echo "$server"
cat >/dev/null
kill "$server" 2>/dev/null
( sleep "$grace"; kill -9 "$server" 2>/dev/null ) &
killer=$!
wait "$server" 2>/dev/null
kill "$killer" 2>/dev/null
IFS='
'
set -f
for path in $scratch; do rm -rf "$path"; done"#;
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg(script)
            .arg("sh")
            .arg(&self.log)
            .arg(GRACE.as_secs().to_string())
            .args(&self.scratch)
            .arg("--")
            .arg(&self.program)
            .args(&self.args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        if self.clean_env {
            cmd.env_clear();
        }
        cmd.envs(self.env);
        let mut sh = cmd.spawn().expect("sh starts");
        let watchdog = sh.stdin.take().expect("stdin is piped");
        let pid = read_pid(sh.stdout.take().expect("stdout is piped"), &self.program);
        Watched {
            pid,
            _watchdog: watchdog,
            _sh: sh,
        }
    }
}

/// The first line `sh` prints: the server's PID.
fn read_pid(stdout: std::process::ChildStdout, program: &std::path::Path) -> u32 {
    use std::io::BufRead as _;
    let mut line = String::new();
    std::io::BufReader::new(stdout)
        .read_line(&mut line)
        .expect("the watchdog prints the server's PID");
    line.trim().parse().unwrap_or_else(|_| {
        panic!(
            "the watchdog of {} printed no PID ({line:?})",
            program.display()
        )
    })
}
