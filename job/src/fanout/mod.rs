//! The fan-out (data-spec §9): one run as three steps of the same binary, so the rendering
//! can be spread over many processes (Step Functions Distributed Map on AWS, `cargo xtask
//! bench --fan-out K` here).
//!
//! * [`count`] reads and validates the whole export exactly as [`crate::run`] does (guards
//!   included), then writes the run's working files: `manifest.json` (the run's `now`,
//!   zone, window, style digest, totals and batch names), `listing.json` (the index without
//!   files) and `batches/NNNNN.json` (the authors to render, a JSON array each, small
//!   enough for one state payload), and `departed.json` (what removal deletes).
//! * [`render_batch`] renders one batch, publishes its authors' changed files and writes
//!   `results/NNNNN.json` (each author's files, hashes and summary).
//! * [`finish`] checks that every batch has a result, writes `index.json` last, removes
//!   departed authors' files and deletes the run's working files.
//!
//! Run one after the other, the three publish the same bytes as the single run.

mod count;
mod finish;
mod render_batch;

pub use count::{count, Counted};
pub use finish::finish;
pub use render_batch::{render_batch, BatchCounts};

use serde::{Deserialize, Serialize};

use crate::month::MonthKey;
use crate::publish::Snapshot;
use crate::render::FileRef;
use crate::timestamp::Instant;

/// The run's description, written by `count`.
pub const MANIFEST: &str = "manifest.json";
/// The index without files, written by `count`, completed by `finish`.
pub const LISTING: &str = "listing.json";
/// The files the published index recorded for departed authors (a JSON array of names),
/// written by `count`, removed by `finish`.
pub const DEPARTED: &str = "departed.json";
/// Folder of the batch files (the state machine lists it).
pub const BATCHES: &str = "batches/";
/// Folder of the render steps' results.
pub const RESULTS: &str = "results/";
/// A batch file stays under this many bytes (Step Functions passes at most 256 KiB
/// between states).
pub const BATCH_BYTES: usize = 200 * 1024;
/// Default most authors per batch.
pub const DEFAULT_BATCH_AUTHORS: usize = 100;

/// The id of a run: its `now` (UTC, compact) and the start of its style digest, so that a
/// retry of the same run reuses the same working files.
pub fn run_id(now: Instant, style_digest: &str) -> String {
    let text: String = now
        .to_string()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    let digest = style_digest
        .rsplit(':')
        .next()
        .unwrap_or(style_digest)
        .chars()
        .take(8)
        .collect::<String>();
    format!("{text}-{digest}")
}

/// A run id is what [`run_id`] makes: letters, digits and `-`, so it is safe in a key or a
/// path.
pub fn check_run_id(run: &str) -> Result<(), String> {
    if !run.is_empty()
        && run.len() <= 64
        && run.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        Ok(())
    } else {
        Err(format!(
            "{} is not a run id (letters, digits and '-', as `count` prints it)",
            crate::quote::quoted(run)
        ))
    }
}

/// The name of batch `n` (and of its result, in the results folder).
pub fn batch_name(n: usize) -> String {
    format!("{n:05}.json")
}

/// `00003.json`, `batches/00003.json` or a whole key ending in `batches/00003.json` (what
/// the state machine's item reader hands over) → `00003.json`.
pub fn parse_batch(text: &str) -> Result<String, String> {
    let name = text.rsplit('/').next().unwrap_or(text);
    let ok = name.len() == 10
        && name.ends_with(".json")
        && name[..5].bytes().all(|b| b.is_ascii_digit());
    if ok {
        Ok(name.to_owned())
    } else {
        Err(format!(
            "{} is not a batch (a name like 00003.json under the run's batches/)",
            crate::quote::quoted(text)
        ))
    }
}

/// `manifest.json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    pub run: String,
    /// UTC text of the run's `now`.
    pub now: String,
    pub timezone: String,
    pub active_days: u32,
    pub all: bool,
    /// The style digest every step must render in.
    pub style: String,
    pub restyled: bool,
    pub previous_index: String,
    pub warnings: Vec<String>,
    pub post_lines: u64,
    pub counted_posts: u64,
    /// The newest counted post (for the empty-window warning).
    pub newest: Option<String>,
    pub authors_listed: usize,
    pub authors_to_render: usize,
    /// Every batch file, in order; `finish` wants a result for each.
    pub batches: Vec<String>,
}

/// One author of a batch file: what to draw, and what of its files is already published.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BatchAuthor {
    pub slug: String,
    pub display_name: String,
    pub first_month: MonthKey,
    /// Posts per month from `first_month` through the month of `now`, zeros included.
    pub counts: Vec<u32>,
    /// This author's entries of the store's [`Snapshot`] (S3 only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<Snapshot>,
}

/// `results/NNNNN.json`: what a render step published.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BatchResult {
    pub batch: String,
    pub rendered: usize,
    pub written: usize,
    pub unchanged: usize,
    /// Names of the files the step wrote.
    pub written_names: Vec<String>,
    pub authors: Vec<RenderedAuthor>,
}

/// One rendered author, as `index.json` records it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RenderedAuthor {
    pub slug: String,
    pub summary: String,
    pub files: Vec<FileRef>,
}

/// The previous-index state names [`crate::run::Summary`] uses.
fn previous_state(text: &str) -> &'static str {
    match text {
        "absent" => "absent",
        "listing" => "listing",
        _ => "unreadable",
    }
}

/// Read a working file of `run` that an earlier step wrote, as JSON.
fn read_json<T: serde::de::DeserializeOwned>(
    files: &dyn crate::publish::RunFiles,
    run: &str,
    name: &str,
    written_by: &str,
) -> anyhow::Result<T> {
    let bytes = files.get(run, name)?.ok_or_else(|| {
        anyhow::anyhow!(
            "{}{name} does not exist: the run's `{written_by}` step has not written it (or the \
             run finished and its files were deleted) — run `count` again, then the other steps",
            files.location(run)
        )
    })?;
    serde_json::from_slice(&bytes).map_err(|e| {
        anyhow::anyhow!(
            "{}{name} is not what `{written_by}` writes ({e}) — run `count` again",
            files.location(run)
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_ids_come_from_now_and_the_style_and_are_safe_names() {
        let now = Instant::parse("2025-11-25T00:00:00Z").unwrap();
        let id = run_id(now, "sha256:0123456789abcdef");
        assert_eq!(id, "20251125T000000Z-01234567");
        assert!(check_run_id(&id).is_ok());
        for bad in ["", "../x", "a/b", "a b", &"x".repeat(65)] {
            assert!(check_run_id(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_batch_is_named_by_its_file_name_or_key() {
        assert_eq!(parse_batch("00003.json").unwrap(), "00003.json");
        assert_eq!(
            parse_batch("author-stats-runs/r/batches/00003.json").unwrap(),
            "00003.json"
        );
        for bad in ["3.json", "../00003.json/x", "0000a.json", "00003.jsonx", ""] {
            assert!(parse_batch(bad).is_err(), "{bad}");
        }
    }
}
