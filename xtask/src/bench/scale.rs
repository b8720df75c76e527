//! `cargo xtask bench --scale N`: the daily run and the 15-year backfill on N× the seed data
//! (N × 1056 authors, N × 60 000 posts of ~3 KB), time and peak memory against the targets
//! of the streaming publish (memory O(authors × months), not O(charts)).

use std::fs;
use std::path::Path;

use anyhow::Result;
use contract::files::POSTS_FILE;

use super::data_set::{DataSet, SEED_SCALE};
use super::measure::{job_run, measure, mib, pngs, verdict};
use super::out::Outputs;

/// Peak-RSS targets in MiB at a scale: (daily, backfill); `None` where none is set.
fn targets(n: u32) -> (Option<f64>, Option<f64>) {
    match n {
        100.. => (Some(256.0), Some(400.0)),
        10.. => (None, Some(128.0)),
        _ => (None, None),
    }
}

/// N× the seed data: N times its authors and posts, bodies of the same length.
pub(crate) fn scaled(n: u32) -> DataSet {
    let factor = n as usize;
    DataSet {
        name: "scaled",
        authors: SEED_SCALE.authors * factor,
        posts: SEED_SCALE.posts * factor,
        body_bytes: SEED_SCALE.body_bytes,
    }
}

/// Generate (once) and measure the N× data set; prints one block of rows.
pub(crate) fn run(job: &Path, outs: &Outputs, n: u32) -> Result<()> {
    let set = scaled(n);
    let data = set.ensure_in(&format!("seed-{n}x"))?;
    let gz = fs::metadata(data.join(POSTS_FILE))?.len();
    let out = outs.fresh(&format!("{n}x-daily"));
    let daily = measure(&mut job_run(job, &data, &out, 7))?;
    let (daily_charts, _) = pngs(&out)?;
    let out = outs.fresh(&format!("{n}x-backfill"));
    let backfill = measure(&mut job_run(job, &data, &out, 5475))?;
    let (charts, _) = pngs(&out)?;
    println!(
        "\n{n}× seed data: {} authors, {} posts, {:.2} GB gzip",
        set.authors,
        set.posts,
        gz as f64 / 1e9
    );
    let (daily_target, backfill_target) = targets(n);
    let row = |name: &str, value: String, target: Option<f64>, measured: f64| {
        let (verdict, target) = match target {
            Some(t) => (verdict(measured <= t), format!("≤ {t:.0} MiB")),
            None => ("", String::new()),
        };
        println!("{name:<38} {value:>12} {verdict:>12}  {target}");
    };
    row(
        &format!("{n}× daily: wall ({daily_charts} PNGs, as many SVGs)"),
        format!("{:.1} s", daily.wall.as_secs_f64()),
        None,
        0.0,
    );
    row(
        &format!("{n}× daily: peak RSS"),
        format!("{:.1} MiB", mib(daily.max_rss_kib)),
        daily_target,
        mib(daily.max_rss_kib),
    );
    row(
        &format!("{n}× backfill: wall ({charts} PNGs, as many SVGs)"),
        format!("{:.1} s", backfill.wall.as_secs_f64()),
        None,
        0.0,
    );
    row(
        &format!("{n}× backfill: peak RSS"),
        format!("{:.1} MiB", mib(backfill.max_rss_kib)),
        backfill_target,
        mib(backfill.max_rss_kib),
    );
    Ok(())
}
