//! How the lifecycle commands talk: human lines on stderr (a live progress line on a
//! terminal, plain lines in CI or a pipe), one JSON document on stdout with `--output json`,
//! questions only where a person can answer them, and plain-text tables.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::{bail, Result};
use chrono::{DateTime, Utc};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::Value;

use crate::clients::OutputFormat;
use crate::{Exit, ExitCode};

/// The presentation of one command run.
#[derive(Clone, Debug)]
pub struct Ui {
    /// A person is at a terminal: show live progress, ask questions.
    pub interactive: bool,
    /// `CI=true` (or any non-empty value but `false`/`0`).
    pub ci: bool,
    pub format: OutputFormat,
}

impl Ui {
    pub fn new(format: OutputFormat) -> Ui {
        let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0");
        let interactive = !ci && std::io::stderr().is_terminal() && std::io::stdin().is_terminal();
        Ui {
            interactive,
            ci,
            format,
        }
    }

    /// One line of progress or information (stderr, so stdout stays machine-readable).
    pub fn say(&self, text: impl AsRef<str>) {
        eprintln!("{}", text.as_ref());
    }

    /// Prints `value` on stdout with `--output json`.
    pub fn json(&self, value: &Value) {
        if self.format == OutputFormat::Json {
            println!(
                "{}",
                serde_json::to_string_pretty(value).expect("JSON values serialize")
            );
        }
    }

    /// Asks `question` unless `yes` was given. Without a terminal there is nobody to ask:
    /// that is an error naming `--yes`. "No" is [`ExitCode::Declined`].
    pub fn confirm(&self, question: &str, yes: bool) -> Result<()> {
        if yes {
            return Ok(());
        }
        if !self.interactive {
            bail!(
                "{question} — nobody can answer on this {}: pass --yes to go ahead",
                if self.ci {
                    "CI run"
                } else {
                    "non-interactive run"
                }
            );
        }
        eprint!("{question} [y/N] ");
        std::io::stderr().flush().ok();
        let mut answer = String::new();
        std::io::stdin().lock().read_line(&mut answer)?;
        if matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes") {
            Ok(())
        } else {
            Err(Exit {
                code: ExitCode::Declined,
                message: "declined: nothing was changed".into(),
            }
            .into())
        }
    }

    /// A spinner with a message on a terminal; `None` in CI or a pipe.
    pub fn spinner(&self, message: impl Into<String>) -> Option<ProgressBar> {
        if !self.interactive {
            return None;
        }
        let bar = ProgressBar::new_spinner().with_message(message.into());
        bar.set_style(
            ProgressStyle::with_template("{spinner} {elapsed:>4} {wide_msg}")
                .expect("a valid progress template"),
        );
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        Some(bar)
    }
}

/// Prints `line` above the spinner when there is one, else as a plain line.
pub fn print_line(spinner: Option<&ProgressBar>, line: &str) {
    match spinner {
        Some(bar) => bar.println(line),
        None => eprintln!("{line}"),
    }
}

/// A left-aligned text table with a header row and a rule under it.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        padded.join("  ").trim_end().to_owned()
    };
    let mut out = vec![line(header.to_vec())];
    out.push(line(
        widths
            .iter()
            .map(|w| "─".repeat(*w))
            .collect::<Vec<_>>()
            .iter()
            .map(String::as_str)
            .collect(),
    ));
    for row in rows {
        out.push(line(row.iter().map(String::as_str).collect()));
    }
    out.join("\n")
}

/// A time in JSON output: RFC 3339, milliseconds, `Z`.
pub fn rfc3339<S: serde::Serializer>(at: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
}

/// [`rfc3339`] of an optional time (`null` when absent).
pub fn rfc3339_opt<S: serde::Serializer>(
    at: &Option<DateTime<Utc>>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match at {
        Some(at) => rfc3339(at, s),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_pads_each_column_to_its_widest_cell() {
        let t = table(
            &["Action", "Logical id"],
            &[
                vec!["Add".into(), "ChartsBucket".into()],
                vec!["Modify".into(), "Fn".into()],
            ],
        );
        assert_eq!(
            t,
            "Action  Logical id\n──────  ────────────\nAdd     ChartsBucket\nModify  Fn"
        );
    }

    #[test]
    fn without_a_terminal_a_question_is_an_error_naming_yes() {
        let ui = Ui {
            interactive: false,
            ci: true,
            format: OutputFormat::Text,
        };
        let err = ui.confirm("Execute?", false).unwrap_err().to_string();
        assert!(err.contains("--yes") && err.contains("CI run"), "{err}");
        ui.confirm("Execute?", true).unwrap();
    }
}
