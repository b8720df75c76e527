//! Measuring one child process (wall, CPU, system time, peak RSS via `wait4`, its stderr),
//! the job's command line on a data set, and the small formatters every bench table uses.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use contract::defaults::SAMPLE_NOW;
use contract::files::{AUTHORS_FILE, POSTS_FILE};
use xtask_support::shell::display;

use super::out::Outputs;

/// Wall time, CPU time (user + system) and peak resident memory of one child process.
pub(crate) struct Measured {
    pub(crate) wall: Duration,
    pub(crate) cpu: Duration,
    /// The part of `cpu` spent in the kernel (file creation, renames, page faults).
    pub(crate) system: Duration,
    pub(crate) max_rss_kib: u64,
    /// What it printed on stderr (with `CI=true`, the job's plain progress lines).
    pub(crate) stderr: String,
    /// What it printed on stdout (the job's run summary, one JSON line).
    pub(crate) stdout: String,
}

impl Measured {
    /// Seconds of the job phase `label` from its progress line `<label>: … in <secs> s`.
    pub(crate) fn phase_secs(&self, label: &str) -> Option<f64> {
        self.stderr.lines().find_map(|line| {
            let rest = line.strip_prefix(label)?.strip_prefix(": ")?;
            let (_, secs) = rest.rsplit_once(" in ")?;
            secs.strip_suffix(" s")?.parse().ok()
        })
    }
}

/// Run `cmd` to completion (stdout and stderr kept) and measure it.
// The one `unsafe` of the workspace: `wait4`, for the child's peak RSS (SAFETY below).
#[allow(unsafe_code)]
pub(crate) fn measure(cmd: &mut Command) -> Result<Measured> {
    let line = display(cmd);
    let started = Instant::now();
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env("CI", "true")
        .spawn()
        .with_context(|| format!("cannot start `{line}`"))?;
    let pid = child.id() as libc::pid_t;
    // Read both pipes while the child runs, so a chatty child never blocks on a full pipe.
    fn drain(
        pipe: Option<impl io::Read + Send + 'static>,
    ) -> Option<std::thread::JoinHandle<String>> {
        pipe.map(|mut pipe| {
            std::thread::spawn(move || {
                let mut text = String::new();
                let _ = io::Read::read_to_string(&mut pipe, &mut text);
                text
            })
        })
    }
    let reader = drain(child.stderr.take());
    let out_reader = drain(child.stdout.take());
    let mut status: libc::c_int = 0;
    // SAFETY: `rusage` is plain old data, so a zeroed value is valid; `wait4` writes into
    // the two out-pointers, which point at live locals of the right types. The child is
    // ours and not waited for elsewhere (we never call `child.wait`).
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = started.elapsed();
    if rc != pid {
        bail!(
            "waiting for `{line}` failed: {}",
            io::Error::last_os_error()
        );
    }
    let stderr = reader.and_then(|r| r.join().ok()).unwrap_or_default();
    let stdout = out_reader.and_then(|r| r.join().ok()).unwrap_or_default();
    if !(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0) {
        bail!("`{line}` failed (status {status}): {stderr}");
    }
    let time = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    Ok(Measured {
        wall,
        cpu: time(usage.ru_utime) + time(usage.ru_stime),
        system: time(usage.ru_stime),
        max_rss_kib: usage.ru_maxrss as u64,
        stderr,
        stdout,
    })
}

/// Best (fastest) of `runs` measurements, each writing into a fresh folder of `outs`; peak
/// memory is the largest seen. Returns the last run's folder too.
pub(crate) fn best_of(
    runs: u32,
    outs: &Outputs,
    what: &str,
    mut make: impl FnMut(&Path) -> Command,
) -> Result<(Measured, PathBuf)> {
    let mut best: Option<Measured> = None;
    let mut max_rss = 0;
    let mut out = PathBuf::new();
    for _ in 0..runs.max(1) {
        out = outs.fresh(what);
        let m = measure(&mut make(&out))?;
        max_rss = max_rss.max(m.max_rss_kib);
        if best.as_ref().is_none_or(|b| m.wall < b.wall) {
            best = Some(m);
        }
    }
    let mut best = best.expect("at least one run");
    best.max_rss_kib = max_rss;
    Ok((best, out))
}

/// `author-stats run` on a data set into `out` (a fresh folder of [`Outputs`]), at the
/// sample's `--now`.
pub(crate) fn job_run(job: &Path, data: &Path, out: &Path, days: u32) -> Command {
    let mut cmd = run_on(job, data, out);
    cmd.args(["--days", &days.to_string(), "--now", SAMPLE_NOW]);
    cmd
}

/// `author-stats run` reading a data set's two files and writing into `out`; the caller
/// adds the window and `--now`.
pub(crate) fn run_on(job: &Path, data: &Path, out: &Path) -> Command {
    let mut cmd = Command::new(job);
    cmd.arg("run")
        .arg("--posts")
        .arg(data.join(POSTS_FILE))
        .arg("--authors")
        .arg(data.join(AUTHORS_FILE))
        .arg("--out")
        .arg(out);
    cmd
}

/// Number and total size of the PNGs in `dir`.
pub(crate) fn pngs(dir: &Path) -> Result<(usize, u64)> {
    let (count, bytes, _) = files_ending(dir, ".png")?;
    Ok((count, bytes))
}

/// Number, total size and largest size of the files in `dir` whose names end in `suffix`.
pub(crate) fn files_ending(dir: &Path, suffix: &str) -> Result<(usize, u64, u64)> {
    let (mut count, mut bytes, mut largest) = (0, 0, 0);
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_name().to_string_lossy().ends_with(suffix) {
            let len = entry.metadata()?.len();
            count += 1;
            bytes += len;
            largest = largest.max(len);
        }
    }
    Ok((count, bytes, largest))
}

pub(crate) fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

pub(crate) fn verdict(ok: bool) -> &'static str {
    if ok {
        "ok"
    } else {
        "MISSED"
    }
}
