//! One run of the batch: ingest both inputs, count, check the publish guards, then render
//! and publish as one bounded pipeline — in that order, so a bad input or a refused listing
//! fails before the first write. Used by the CLI and by the Lambda handler.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant as Clock;

use anyhow::{Context, Result};
use chrono_tz::Tz;
use serde::Serialize;

use crate::chart::{self, ChartInput};
use crate::guard::{self, Guards, Previous};
use crate::index::{Index, IndexAuthor};
use crate::ingest::{self, Source};
use crate::month::MonthKey;
use crate::progress::Progress;
use crate::publish::{pipeline, Chart, Published, Store};
use crate::stats::{Author, MasterBuilder, Skipped, Tally, Window};
use crate::timestamp::Instant;
use contract::files::INDEX_FILE;

/// Validated run options (data-spec §1).
#[derive(Debug, Clone)]
pub struct RunConfig {
    pub days: u32,
    pub now: Instant,
    pub tz: Tz,
    /// Compute and report, write nothing (the guards are still checked).
    pub dry_run: bool,
    /// The publish guards and their overrides (data-spec §1).
    pub guards: Guards,
}

/// What a run did; printed by the CLI, returned by the Lambda function.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub now: String,
    pub timezone: String,
    pub active_days: u32,
    pub output: String,
    pub dry_run: bool,
    /// Non-blank lines of the posts file.
    pub post_lines: u64,
    pub counted_posts: u64,
    pub authors_listed: usize,
    pub charts_rendered: usize,
    pub charts_written: usize,
    pub charts_unchanged: usize,
    /// Charts with unchanged bytes whose S3 headers were replaced to follow the configuration.
    pub charts_refreshed: usize,
    /// Per-author files of authors no longer listed, deleted after `index.json`.
    pub charts_removed: usize,
    /// What the published `index.json` was before this run: `absent`, `listing` or
    /// `unreadable` (then `warnings` says why, and the guards that compare with it passed).
    pub previous_index: &'static str,
    /// Things an operator should look at although the run succeeded.
    pub warnings: Vec<String>,
    pub skipped: Skipped,
    pub elapsed_ms: u64,
}

/// Parse `--days`: an integer ≥ 1.
pub fn parse_days(text: &str) -> Result<u32, String> {
    match text.parse::<i64>() {
        Ok(n) if n >= 1 && n <= i64::from(u32::MAX) => Ok(n as u32),
        Ok(n) => Err(format!(
            "{n} is out of range: the active window needs at least 1 day"
        )),
        Err(_) => Err(format!(
            "{text:?} is not a whole number of days (e.g. 7, or 5475 for 15 years)"
        )),
    }
}

/// Parse `--now`: the timestamp grammar of data-spec §4.
pub fn parse_now(text: &str) -> Result<Instant, String> {
    Instant::parse(text).ok_or_else(|| {
        format!("{text:?} is not a timestamp like 2025-11-25T00:00:00Z or 2025-11-25T09:00:00+09:00 (offset required, not before 1970)")
    })
}

/// Parse `--tz`: an IANA zone name.
pub fn parse_tz(text: &str) -> Result<Tz, String> {
    text.parse::<Tz>().map_err(|_| {
        format!("{text:?} is not an IANA time zone name (e.g. Asia/Tokyo, UTC, America/New_York)")
    })
}

/// Run the batch from two opened sources into `store`.
pub fn run(
    config: &RunConfig,
    posts: Source,
    authors: Source,
    store: &dyn Store,
    progress: &Progress,
) -> Result<Summary> {
    let started = Clock::now();
    let mut skipped = Skipped::default();

    // 1. Author master, whole file first (the join needs it).
    let task = progress.bytes("authors", authors.len);
    let mut builder = MasterBuilder::default();
    ingest::read_authors(
        authors,
        |n| task.set(n),
        |record| match record {
            Some(record) => builder.add(record),
            None => skipped.malformed_lines += 1,
        },
    )?;
    let master = builder.finish(&mut skipped);
    task.finish(&format!(
        "{} authors, {} usable",
        master.ids(),
        master.authors.len()
    ));

    // 2. Posts, streamed and counted.
    let window = Window::new(config.now, config.days, config.tz);
    let mut tally = Tally::new(&master, window, skipped);
    let task = progress.bytes("posts", posts.len);
    ingest::read_posts(posts, |n| task.set(n), |post| tally.add(post))?;
    task.finish(&format!(
        "{} lines, {} counted",
        tally.lines,
        tally.counted()
    ));

    // 3. Index entries, and the charts to render.
    let now_month = config.now.month_in(config.tz);
    let mut listed = Vec::new();
    let mut to_render = Vec::new();
    for (author, counts) in master.authors.iter().zip(&tally.counts) {
        if let Some(entry) = IndexAuthor::new(author, counts) {
            if entry.rendered {
                let counts: Vec<u32> = entry
                    .first_month
                    .through(now_month)
                    .map(|m| entry.monthly.get(&m).copied().unwrap_or(0))
                    .collect();
                to_render.push((author, entry.first_month, counts));
            }
            listed.push(entry);
        }
    }
    let tz_name = config.tz.name().to_owned();
    let index = Index::new(&tz_name, config.now, config.days, listed, tally.skipped);

    // 4. Guards, against the published index.json (one read), before any write.
    let previous = Previous::from_bytes(store.get_index()?.as_deref());
    let mut warnings = Vec::new();
    if let Previous::Unreadable(why) = &previous {
        warnings.push(format!(
            "the published {INDEX_FILE} at {} is unreadable ({why}); it was treated as absent, \
             so the shrink and time guards had nothing to compare with",
            store.location()
        ));
    }
    guard::check(
        &config.guards,
        &previous,
        index.authors.len(),
        config.now,
        &store.location(),
    )
    .map_err(anyhow::Error::msg)?;

    // 5. Render and publish as one pipeline: renderers feed a bounded channel the store
    // drains, so only a few PNGs are in memory at once. Index last, removal after it.
    let rendered = AtomicUsize::new(0);
    let task = progress.items("charts", to_render.len() as u64);
    let render = |(author, first_month, counts): &(&Author, MonthKey, Vec<u32>)| {
        let png = chart::render_png(&ChartInput {
            display_name: &author.display_name,
            first_month: *first_month,
            counts,
        })
        .with_context(|| format!("rendering the chart of {}", author.slug))?;
        rendered.fetch_add(1, Ordering::Relaxed);
        Ok(Chart {
            slug: author.slug.clone(),
            png,
        })
    };
    let bound = pipeline::default_bound();
    let (published, removed) = if config.dry_run {
        pipeline::stream(&to_render, bound, render, |charts| {
            charts.for_each(|_| task.inc());
            Ok(())
        })?;
        task.finish(&format!(
            "{} rendered, none written (dry run)",
            to_render.len()
        ));
        (Published::default(), 0)
    } else {
        let mut publication = store.open()?;
        let mut published = pipeline::stream(&to_render, bound, render, |charts| {
            publication.put_charts(charts, &|| task.inc())
        })?;
        let keep: BTreeSet<&str> = index.authors.iter().map(|a| a.slug.as_str()).collect();
        published.refreshed = publication.refresh_headers(&keep)?;
        publication.put_index(&index.to_json())?;
        let removed = publication.remove_unlisted(&keep)?;
        task.finish(&format!(
            "{} written, {} unchanged, {} refreshed, {} removed",
            published.written, published.unchanged, published.refreshed, removed
        ));
        (published, removed)
    };
    if to_render.is_empty() {
        if let Some(newest) = tally.newest {
            warnings.push(format!(
                "no author has a counted post in the {} days up to {}; the newest counted post \
                 is from {newest}: pass --now with a later time, or a longer --days (5475 \
                 covers 15 years)",
                config.days, index.now
            ));
        }
    }
    for warning in &warnings {
        tracing::warn!(warning = %warning, "run warning");
    }

    Ok(Summary {
        now: index.now.clone(),
        timezone: tz_name,
        active_days: config.days,
        output: store.location(),
        dry_run: config.dry_run,
        post_lines: tally.lines,
        counted_posts: tally.counted(),
        authors_listed: index.authors.len(),
        charts_rendered: rendered.into_inner(),
        charts_written: published.written,
        charts_unchanged: published.unchanged,
        charts_refreshed: published.refreshed,
        charts_removed: removed,
        previous_index: previous.state(),
        warnings,
        skipped: index.skipped,
        elapsed_ms: started.elapsed().as_millis() as u64,
    })
}

impl Summary {
    /// Human-readable lines for a terminal or a CI log.
    pub fn to_text(&self) -> String {
        let mut out = format!(
            "{verb} {listed} authors listed, {rendered} charts rendered ({written} written, {unchanged} unchanged, {refreshed} refreshed), {removed} removed → {output}\n",
            verb = if self.dry_run { "dry run:" } else { "done:" },
            listed = self.authors_listed,
            rendered = self.charts_rendered,
            written = self.charts_written,
            unchanged = self.charts_unchanged,
            refreshed = self.charts_refreshed,
            removed = self.charts_removed,
            output = self.output,
        );
        out += &format!(
            "posts: {} non-blank lines, {} counted; window {} days up to {} ({})\n",
            self.post_lines, self.counted_posts, self.active_days, self.now, self.timezone
        );
        let skipped: Vec<String> = self
            .skipped
            .pairs()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        out += &format!("skipped: {}\n", skipped.join(" "));
        for warning in &self.warnings {
            out += &format!("warning: {warning}\n");
        }
        out += &format!("elapsed: {:.3} s\n", self.elapsed_ms as f64 / 1000.0);
        out
    }
}
