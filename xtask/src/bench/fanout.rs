//! `cargo xtask bench --scale N --fan-out K`: the 15-year backfill on N× the seed data, once
//! as one `run` and once as the fan-out (data-spec §9) — `count`, then the batch files
//! rendered by K `render` processes at a time, then `finish` — with time and peak memory per
//! step, the speed-up, and the two outputs compared byte for byte.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::Command;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use contract::defaults::SAMPLE_NOW;
use contract::files::{AUTHORS_FILE, POSTS_FILE};
use sha2::{Digest, Sha256};

use super::measure::{job_run, measure, mib, Measured};
use super::out::Outputs;

/// The backfill window, so every listed author is rendered.
const BACKFILL_DAYS: u32 = 5475;

/// Every file directly in `dir`, name → SHA-256 of its bytes (hashed one at a time, so the
/// bench's own memory, which its children's peak RSS inherits, stays small).
fn files_of(dir: &Path) -> Result<BTreeMap<String, [u8; 32]>> {
    let mut files = BTreeMap::new();
    for entry in fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let entry = entry?;
        if entry.file_type()?.is_file() {
            let digest = Sha256::digest(fs::read(entry.path())?);
            files.insert(
                entry.file_name().to_string_lossy().into_owned(),
                digest.into(),
            );
        }
    }
    Ok(files)
}

/// The single run folder of `count` under `<out>/.runs/`, and its batch names.
fn counted_run(out: &Path) -> Result<(String, Vec<String>)> {
    let runs = out.join(".runs");
    let mut ids: Vec<String> = fs::read_dir(&runs)
        .with_context(|| format!("count wrote no run under {}", runs.display()))?
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect();
    if ids.len() != 1 {
        bail!("expected one run under {}, found {ids:?}", runs.display());
    }
    let run = ids.remove(0);
    let mut batches: Vec<String> = fs::read_dir(runs.join(&run).join("batches"))?
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect();
    batches.sort();
    Ok((run, batches))
}

fn step(job: &Path, out: &Path, name: &str, run: &str) -> Command {
    let mut cmd = Command::new(job);
    cmd.args([name, "--out"]).arg(out).args(["--run", run]);
    cmd
}

/// Run the comparison on N× the seed data with K render processes at a time.
pub(crate) fn run(job: &Path, outs: &Outputs, n: u32, k: u32) -> Result<()> {
    let set = super::scale::scaled(n);
    let data = set.ensure_in(&format!("seed-{n}x"))?;
    let single_out = outs.fresh(&format!("{n}x-single"));
    let fan_out = outs.fresh(&format!("{n}x-fan-out"));

    let single = measure(&mut job_run(job, &data, &single_out, BACKFILL_DAYS))?;

    // About four batches per process, so a slow batch does not hold the others up.
    let batch_authors = (set.authors / (4 * k as usize)).max(1);
    let count = measure(
        Command::new(job)
            .arg("count")
            .arg("--posts")
            .arg(data.join(POSTS_FILE))
            .arg("--authors")
            .arg(data.join(AUTHORS_FILE))
            .arg("--out")
            .arg(&fan_out)
            .args(["--days", &BACKFILL_DAYS.to_string(), "--now", SAMPLE_NOW])
            .args(["--batch-authors", &batch_authors.to_string()]),
    )?;
    let (run, batches) = counted_run(&fan_out)?;

    // K workers, each starting one render process at a time; the processes share the
    // machine's cores, so each gets its share of rendering threads.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = (cores / k as usize).max(1);
    let queue = Mutex::new(batches.iter());
    let renders: Mutex<Vec<Measured>> = Mutex::new(Vec::new());
    let started = Instant::now();
    std::thread::scope(|scope| -> Result<()> {
        let workers: Vec<_> = (0..k)
            .map(|_| {
                scope.spawn(|| -> Result<()> {
                    loop {
                        let next = queue.lock().expect("queue").next();
                        let Some(batch) = next else { return Ok(()) };
                        let m = measure(
                            step(job, &fan_out, "render", &run)
                                .args(["--batch", batch])
                                .env("RAYON_NUM_THREADS", threads.to_string()),
                        )?;
                        renders.lock().expect("renders").push(m);
                    }
                })
            })
            .collect();
        for worker in workers {
            worker.join().expect("a render worker panicked")?;
        }
        Ok(())
    })?;
    let render_wall = started.elapsed();
    let renders = renders.into_inner().expect("renders");
    let finish = measure(&mut step(job, &fan_out, "finish", &run))?;

    let (a, b) = (files_of(&single_out)?, files_of(&fan_out)?);
    let same = a == b;
    let total = count.wall + render_wall + finish.wall;
    let render_cpu: Duration = renders.iter().map(|m| m.cpu).sum();
    let render_rss = renders.iter().map(|m| m.max_rss_kib).max().unwrap_or(0);
    println!(
        "\n{n}× seed data, backfill as one run and as the fan-out with {k} render processes \
         ({} batches of ≤ {batch_authors} authors, {threads} rendering thread(s) each, {cores} cores)",
        batches.len()
    );
    let row = |name: &str, m_wall: Duration, cpu: Duration, rss: u64| {
        println!(
            "{name:<34} {:>9.1} s wall {:>9.1} s CPU {:>9.1} MiB peak",
            m_wall.as_secs_f64(),
            cpu.as_secs_f64(),
            mib(rss)
        );
    };
    row("single run", single.wall, single.cpu, single.max_rss_kib);
    row("fan-out: count", count.wall, count.cpu, count.max_rss_kib);
    row(
        &format!("fan-out: render ({k} at a time)"),
        render_wall,
        render_cpu,
        render_rss,
    );
    row(
        "fan-out: finish",
        finish.wall,
        finish.cpu,
        finish.max_rss_kib,
    );
    println!(
        "{:<34} {:>9.1} s wall; speed-up against the single run ×{:.2}",
        "fan-out: total",
        total.as_secs_f64(),
        single.wall.as_secs_f64() / total.as_secs_f64()
    );
    println!(
        "{:<34} {} ({} files)",
        "outputs byte for byte",
        if same { "identical" } else { "DIFFERENT" },
        a.len()
    );
    if !same {
        bail!("the fan-out published other bytes than the single run (see the rows above)");
    }
    Ok(())
}
