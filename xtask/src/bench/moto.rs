//! A moto server (PyPI `moto[server]`, installed under `target/tools/`) for the benches that
//! need S3: started on a free port of 127.0.0.1 with its request log under `target/bench/`,
//! filled by plain unsigned HTTP PUTs (no SDK in xtask), stopped when dropped.

use std::fs;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use xtask_support::shell::{display, project_root};

/// A moto server on a free loopback port, stopped by PID when dropped.
pub(super) struct Moto {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Moto {
    /// Start `program` (moto_server), logging to `target/bench/moto-<name>.log`.
    pub(super) fn start(program: &Path, name: &str) -> Result<Moto> {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let dir = project_root().join("target/bench");
        fs::create_dir_all(&dir)?;
        let log = dir.join(format!("moto-{name}.log"));
        let log_file = fs::File::create(&log)?;
        let mut cmd = Command::new(program);
        cmd.args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .env("PYTHONUNBUFFERED", "1")
            .stdin(Stdio::null())
            .stdout(log_file.try_clone()?)
            .stderr(log_file);
        eprintln!("$ {}", display(&cmd));
        let child = cmd
            .spawn()
            .with_context(|| format!("cannot start {}", program.display()))?;
        let moto = Moto { child, port, log };
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if started.elapsed() > Duration::from_secs(60) {
                bail!(
                    "moto did not listen on 127.0.0.1:{port} within 60 s; see {}",
                    moto.log.display()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(moto)
    }

    pub(super) fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub(super) fn create_bucket(&self, bucket: &str) -> Result<()> {
        self.put(&format!("/{bucket}"), 0, std::io::empty())
    }

    /// PUT a file's bytes, streamed from disk (the 10× export is 0.5 GB: held in this
    /// process, it would count in every job's peak RSS measured after, as `wait4` reports
    /// a child's high-water mark from the fork on).
    pub(super) fn put_file(&self, path: &str, file: &Path) -> Result<()> {
        let source = fs::File::open(file).with_context(|| format!("reading {}", file.display()))?;
        let len = source.metadata()?.len();
        self.put(path, len, source)
    }

    /// One unsigned HTTP/1.1 PUT of `len` bytes from `body` (moto accepts them); fails
    /// unless 2xx.
    fn put(&self, path: &str, len: u64, mut body: impl Read) -> Result<()> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port))?;
        write!(
            stream,
            "PUT {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n",
            self.port,
        )?;
        std::io::copy(&mut body, &mut stream)?;
        let mut answer = String::new();
        stream.read_to_string(&mut answer)?;
        let status = answer.split_whitespace().nth(1).unwrap_or("");
        if !status.starts_with('2') {
            bail!(
                "moto answered PUT {path} with: {}",
                answer.lines().next().unwrap_or("")
            );
        }
        Ok(())
    }

    /// The server's process id (for its CPU time).
    pub(super) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `127.0.0.1:port`, for a proxy or TLS endpoint in front of it (the cold start's).
    #[cfg(feature = "cold-start")]
    pub(super) fn addr(&self) -> std::net::SocketAddr {
        std::net::SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// Lines of the request log so far.
    pub(super) fn log_lines(&self) -> Result<Vec<String>> {
        // werkzeug logs a request after answering it: let the last line land.
        std::thread::sleep(Duration::from_millis(300));
        Ok(fs::read_to_string(&self.log)?
            .lines()
            .filter(|l| l.contains("\" ") && l.contains(" HTTP/1.1\""))
            .map(str::to_owned)
            .collect())
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
