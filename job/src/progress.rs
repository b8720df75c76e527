//! Progress reporting: bars (indicatif) on a terminal, plain start/finish lines on stderr
//! in CI (`CI=true`) or when stderr is not a terminal, nothing when hidden.

use std::io::IsTerminal;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Bars,
    Lines,
    Hidden,
}

/// Decides how long work is shown.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    mode: Mode,
}

impl Progress {
    /// Bars on an interactive terminal, plain lines otherwise (and always with `CI` set).
    pub fn auto() -> Self {
        let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0");
        let mode = if !ci && std::io::stderr().is_terminal() {
            Mode::Bars
        } else {
            Mode::Lines
        };
        Progress { mode }
    }

    pub fn hidden() -> Self {
        Progress { mode: Mode::Hidden }
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// A task measured in bytes (`total` when known).
    pub fn bytes(&self, label: &str, total: Option<u64>) -> Task {
        self.task(
            label,
            total,
            "{msg:>14} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} ({eta})",
        )
    }

    /// A task measured in items.
    pub fn items(&self, label: &str, total: u64) -> Task {
        self.task(
            label,
            Some(total),
            "{msg:>14} [{bar:30}] {pos}/{len} ({per_sec})",
        )
    }

    fn task(&self, label: &str, total: Option<u64>, template: &str) -> Task {
        let bar = match self.mode {
            Mode::Bars => {
                let bar = ProgressBar::new(total.unwrap_or(0));
                if let Ok(style) = ProgressStyle::with_template(template) {
                    bar.set_style(style.progress_chars("=> "));
                }
                bar.set_message(label.to_owned());
                Some(bar)
            }
            Mode::Lines => {
                eprintln!("{label}…");
                None
            }
            Mode::Hidden => None,
        };
        Task {
            label: label.to_owned(),
            bar,
            mode: self.mode,
            started: Instant::now(),
        }
    }
}

/// One piece of long work.
pub struct Task {
    label: String,
    bar: Option<ProgressBar>,
    mode: Mode,
    started: Instant,
}

impl Task {
    pub fn set(&self, position: u64) {
        if let Some(bar) = &self.bar {
            bar.set_position(position);
        }
    }

    pub fn inc(&self) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
    }

    /// End the task with a short result, e.g. "60 000 lines".
    pub fn finish(self, result: &str) {
        let secs = self.started.elapsed().as_secs_f64();
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        if self.mode != Mode::Hidden {
            eprintln!("{}: {result} in {secs:.2} s", self.label);
        }
    }
}
