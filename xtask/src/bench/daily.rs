//! The daily run as the schedule runs it (`--changed`), at seed scale, after the backfill a
//! deploy runs (`--changed` on an empty folder):
//! the next day with nothing changed (no render), the next day with 25 authors one post
//! richer, and the first run of a month (every listed author). Each run starts from its own
//! copy of the backfill's output (hard links: the job replaces a file by a rename, so the
//! backfill's files are never written through), and reports wall time against the bare
//! inflate, authors rendered, files written and peak RSS.

use std::fs;
use std::io::Write as _;
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use contract::defaults::SAMPLE_NOW;
use contract::files::{AUTHORS_FILE, INDEX_FILE, POSTS_FILE};
use flate2::write::GzEncoder;

use super::measure::{best_of, measure as measure_run, mib, run_on, verdict, Measured};
use super::out::Outputs;
use xtask_support::shell::project_root;

/// The day after the sample's `now` (2025-11-25), in the same month.
const NEXT_DAY: &str = "2025-11-26T00:00:00Z";
/// The first run of the next month (09:00 in Tokyo, the chart zone).
const NEXT_MONTH: &str = "2025-12-01T00:00:00Z";
/// When the gained posts were published: between the backfill's `now` and [`NEXT_DAY`].
const GAINED_AT: &str = "2025-11-25T12:00:00.000Z";
/// Authors that gain a post in the second run.
pub(super) const GAINING: usize = 25;

/// One daily run as scheduled.
pub(super) struct Row {
    pub(super) what: &'static str,
    pub(super) measured: Measured,
    /// Authors the run rendered (`charts_rendered` of its summary).
    pub(super) rendered: u64,
    /// Files the run wrote into the published folder (`index.json` included).
    pub(super) files_written: usize,
}

/// `author-stats run --changed` on `data` into `out` at `now`.
fn changed_run(job: &Path, data: &Path, out: &Path, now: &str) -> Command {
    let mut cmd = run_on(job, data, out);
    cmd.args(["--changed", "--json", "--now", now]);
    cmd
}

/// `to` as a copy of the folder `from` made of hard links.
fn link_copy(from: &Path, to: &Path) -> Result<()> {
    fs::create_dir_all(to).with_context(|| format!("cannot create {}", to.display()))?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        if entry.file_type()?.is_file() {
            fs::hard_link(entry.path(), to.join(entry.file_name()))
                .with_context(|| format!("cannot link {}", entry.path().display()))?;
        }
    }
    Ok(())
}

/// Files in `dir` the run wrote: those no longer a hard link to the backfill's.
fn written(dir: &Path) -> Result<usize> {
    let mut n = 0;
    for entry in fs::read_dir(dir)? {
        let meta = entry?.metadata()?;
        if meta.is_file() && meta.nlink() == 1 {
            n += 1;
        }
    }
    Ok(n)
}

/// The seed export with one more post, published at [`GAINED_AT`], for each of the first
/// [`GAINING`] authors `published` lists: the posts file with a second gzip member (the job
/// reads concatenated members, data-spec §2.1), in `target/bench/seed-1x-gained/`.
fn gained_export(data: &Path, published: &Path) -> Result<PathBuf> {
    let index: serde_json::Value = serde_json::from_slice(&fs::read(published.join(INDEX_FILE))?)?;
    let ids: Vec<&str> = index["authors"]
        .as_array()
        .context("the backfill's index.json lists no authors")?
        .iter()
        .filter_map(|a| a["id"].as_str())
        .take(GAINING)
        .collect();
    if ids.len() < GAINING {
        bail!(
            "the backfill's index.json lists {} authors with an id",
            ids.len()
        );
    }
    let posts: Vec<String> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            serde_json::json!({
                "id": format!("bench-gained-{i}"),
                "author_id": id,
                "first_published_at": GAINED_AT,
            })
            .to_string()
        })
        .collect();
    let dir = project_root().join("target/bench/seed-1x-gained");
    fs::create_dir_all(&dir)?;
    fs::copy(data.join(AUTHORS_FILE), dir.join(AUTHORS_FILE))?;
    fs::copy(data.join(POSTS_FILE), dir.join(POSTS_FILE))?;
    let mut member = GzEncoder::new(Vec::new(), flate2::Compression::default());
    member.write_all((posts.join("\n") + "\n").as_bytes())?;
    fs::OpenOptions::new()
        .append(true)
        .open(dir.join(POSTS_FILE))?
        .write_all(&member.finish()?)?;
    Ok(dir)
}

/// The three scheduled runs after the backfill, best of `runs`. The backfill is the one a
/// deploy runs (`--changed` on an empty folder at the sample's `now`: every listed author,
/// and the function's `active_days` in `index.json`, so that a quiet day's index differs
/// from it only in `now` and is not written; after `--days 5475` the first one would be).
pub(super) fn measure(job: &Path, data: &Path, outs: &Outputs, runs: u32) -> Result<Vec<Row>> {
    let published = outs.fresh("changed-backfill");
    measure_run(&mut changed_run(job, data, &published, SAMPLE_NOW))?;
    let published = published.as_path();
    let gained = gained_export(data, published)?;
    let cases: [(&'static str, &Path, &str); 3] = [
        ("next day, nothing changed", data, NEXT_DAY),
        ("next day, 25 authors +1 post", &gained, NEXT_DAY),
        ("first run of a month", data, NEXT_MONTH),
    ];
    let mut rows = Vec::new();
    for (i, (what, input, now)) in cases.into_iter().enumerate() {
        let mut prepared = Ok(());
        let (measured, out) = best_of(runs, outs, &format!("changed-{i}"), |out| {
            if prepared.is_ok() {
                prepared = link_copy(published, out);
            }
            changed_run(job, input, out, now)
        })?;
        prepared?;
        let summary: serde_json::Value = serde_json::from_str(measured.stdout.trim())
            .with_context(|| format!("the {what} run printed no summary: {}", measured.stdout))?;
        rows.push(Row {
            what,
            rendered: summary["charts_rendered"].as_u64().unwrap_or(0),
            files_written: written(&out)?,
            measured,
        });
    }
    Ok(rows)
}

/// The rows, against the bare inflate's `inflate_s`.
pub(super) fn print(rows: &[Row], inflate_s: f64) {
    println!(
        "daily run as scheduled (--changed), after the backfill:\n  {:<30} {:>8} {:>7} {:>8} \
         {:>8} {:>8} {:>6} {:>9}",
        "", "wall", "× bare", "ingest", "CPU", "rendered", "files", "peak RSS"
    );
    for row in rows {
        let wall = row.measured.wall.as_secs_f64();
        let ratio = wall / inflate_s;
        let (ok, target) = if row.what.starts_with("first") {
            (wall <= 2.5, "≤ 2.5 s".to_owned())
        } else {
            (ratio <= 1.3, "≤ 1.3× bare inflate".to_owned())
        };
        println!(
            "  {:<30} {:>6.3} s {:>6.2}× {:>6.2} s {:>6.2} s {:>8} {:>6} {:>5.1} MiB {:>6}  {target}",
            row.what,
            wall,
            ratio,
            // The posts phase: reading and counting the export, before any render.
            row.measured.phase_secs("posts").unwrap_or(f64::NAN),
            row.measured.cpu.as_secs_f64(),
            row.rendered,
            row.files_written,
            mib(row.measured.max_rss_kib),
            verdict(ok),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_linked_copy_counts_only_the_files_a_run_replaced_or_added() {
        let dir = tempfile::tempdir().unwrap();
        let (published, copy) = (dir.path().join("published"), dir.path().join("copy"));
        fs::create_dir(&published).unwrap();
        for name in ["a.png", "b.png", INDEX_FILE] {
            fs::write(published.join(name), name).unwrap();
        }
        link_copy(&published, &copy).unwrap();
        assert_eq!(written(&copy).unwrap(), 0);
        // As the job writes: a new file renamed over the old name, and a new name.
        fs::write(copy.join(".tmp"), "new").unwrap();
        fs::rename(copy.join(".tmp"), copy.join("a.png")).unwrap();
        fs::write(copy.join("c.png"), "c").unwrap();
        assert_eq!(written(&copy).unwrap(), 2);
        assert_eq!(fs::read(published.join("a.png")).unwrap(), b"a.png");
    }
}
