//! One run of the batch: ingest both inputs, count, check the publish guards, then render
//! and publish as one bounded pipeline — in that order, so a bad input or a refused listing
//! fails before the first write. Used by the CLI and by the Lambda handler.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant as Clock;

use anyhow::{Context, Result};
use chrono_tz::Tz;
use serde::Serialize;

use crate::author_digest::DigestInput;
use crate::chart::{Style, RENDERER_VERSION};
use crate::guard::{self, Guards, Previous};
use crate::index::{Index, IndexAuthor};
use crate::ingest::{self, Source};
use crate::month::MonthKey;
use crate::previous_index::{FetchedIndex, PreviousIndex};
use crate::progress::Progress;
use crate::publish::{author_file_slug, pipeline, Publication, Published, Store};
use crate::quote::quoted;
use crate::render::{self, FileRef};
use crate::slug::Slug;
use crate::stats::{MasterBuilder, Skipped, Tally, Window};
use crate::timestamp::Instant;
use contract::files::INDEX_FILE;

/// Validated run options (data-spec §1).
#[derive(Debug, Clone)]
pub struct RunConfig {
    pub days: u32,
    /// The window `all` (data-spec §6): render every listed author, whatever the age of
    /// their posts (`days` is then only reported).
    pub all: bool,
    /// The window `changed` (data-spec §6): render exactly the listed authors whose digest
    /// differs from the published index's (`days` is then only reported). Not with `all`.
    pub changed: bool,
    pub now: Instant,
    pub tz: Tz,
    /// Compute and report, write nothing (the guards are still checked).
    pub dry_run: bool,
    /// The publish guards and their overrides (data-spec §1).
    pub guards: Guards,
    /// How the charts look and which files they become (spec/chart-style.md).
    pub style: Style,
}

/// What a run did; printed by the CLI, returned by the Lambda function.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub now: String,
    pub timezone: String,
    pub active_days: u32,
    /// The window `all`: every listed author was rendered (`active_days` did not apply).
    pub all: bool,
    /// The window `changed`: the listed authors whose digest changed were rendered.
    pub changed: bool,
    pub output: String,
    pub dry_run: bool,
    /// Digest of the chart style (`style` in `index.json`).
    pub style: String,
    /// Whether every listed author was rendered because the published charts were drawn
    /// in another style.
    pub restyled: bool,
    /// Non-blank lines of the posts file.
    pub post_lines: u64,
    pub counted_posts: u64,
    pub authors_listed: usize,
    pub charts_rendered: usize,
    pub charts_written: usize,
    pub charts_unchanged: usize,
    /// Charts with unchanged bytes whose S3 headers were replaced to follow the configuration.
    pub charts_refreshed: usize,
    /// Files the published index recorded for authors no longer listed (or that a
    /// re-rendered author no longer has), deleted after `index.json`.
    pub charts_removed: usize,
    /// Whether `index.json` was written: not by a dry run, nor by a run of the window
    /// `changed` that changed nothing (no file written, refreshed or removed, and a listing
    /// that differs from the published one only in `now` and `rendered`, data-spec §7
    /// *Writing*).
    pub index_written: bool,
    /// What the published `index.json` was before this run: `absent`, `listing` or
    /// `unreadable` (then `warnings` says why, and the guards that compare with it passed).
    pub previous_index: &'static str,
    /// Things an operator should look at although the run succeeded.
    pub warnings: Vec<String>,
    pub skipped: Skipped,
    /// Records skipped because they are wrong (the counters of
    /// `contract::metrics::REJECTED_SKIPS`; drafts and scheduled posts are not among them).
    pub rejected_records: u64,
    /// CloudFront paths invalidated after the publish (`--invalidate`, `DISTRIBUTION_ID`; a
    /// wildcard counts as one): 0 when nothing changed or nothing was asked.
    pub invalidated_paths: usize,
    pub elapsed_ms: u64,
}

/// The sum of the skip counters that signal bad data (data-spec §5).
pub fn rejected_records(skipped: &Skipped) -> u64 {
    skipped
        .pairs()
        .iter()
        .filter(|(name, _)| contract::metrics::REJECTED_SKIPS.contains(name))
        .map(|(_, count)| count)
        .sum()
}

/// Parse `--days`: an integer ≥ 1.
pub fn parse_days(text: &str) -> Result<u32, String> {
    match text.parse::<i64>() {
        Ok(n) if n >= 1 && n <= i64::from(u32::MAX) => Ok(n as u32),
        Ok(n) => Err(format!(
            "{n} is out of range: the active window needs at least 1 day"
        )),
        Err(_) => Err(format!(
            "{} is not a whole number of days (e.g. 7, or 5475 for 15 years)",
            quoted(text)
        )),
    }
}

/// The latest `--now` a run accepts, exclusive (data-spec §1): its month is in the year
/// 9999 in every zone (no zone is a day ahead of UTC), so every month key is `YYYY-MM`.
pub const NOW_BEFORE: &str = "9999-12-31T00:00:00Z";

/// Parse `--now`: the timestamp grammar of data-spec §4, before [`NOW_BEFORE`].
pub fn parse_now(text: &str) -> Result<Instant, String> {
    let now = Instant::parse(text).ok_or_else(|| {
        format!(
            "{} is not a timestamp like 2025-11-25T00:00:00Z or 2025-11-25T09:00:00+09:00 \
             (offset required, not before 1970)",
            quoted(text)
        )
    })?;
    if now >= Instant::parse(NOW_BEFORE).expect("a valid timestamp") {
        return Err(format!(
            "{} is too late: the run's now must be before {NOW_BEFORE}, so that its month is \
             still in the year 9999 in every time zone (months are written YYYY-MM)",
            quoted(text)
        ));
    }
    Ok(now)
}

/// Parse `--tz`: an IANA zone name.
pub fn parse_tz(text: &str) -> Result<Tz, String> {
    text.parse::<Tz>().map_err(|_| {
        format!(
            "{} is not an IANA time zone name (e.g. Asia/Tokyo, UTC, America/New_York)",
            quoted(text)
        )
    })
}

/// What steps 1–5 of a run established before anything is written: the listing (the
/// index without files), which entries to render, and what the summary reports of reading.
/// The single run ([`run`]) renders straight from it; the fan-out's `count` step
/// (`crate::fanout`) writes it down for the `render` and `finish` steps.
pub(crate) struct Prepared {
    pub index: Index,
    /// Positions in `index.authors` of the authors to render.
    pub to_render: Vec<usize>,
    pub restyle: bool,
    pub previous_index: &'static str,
    /// The files the published index recorded for authors this listing no longer has:
    /// what removal deletes (with what re-rendered authors no longer have).
    pub departed: Vec<String>,
    pub warnings: Vec<String>,
    pub post_lines: u64,
    pub counted_posts: u64,
    /// The newest counted post, for the empty-window warning.
    pub newest: Option<Instant>,
    /// A run of the window `changed` renders nobody, nobody left, and the listing says
    /// what the published index says but for `now` and `rendered`: unless headers are
    /// refreshed, the published index stays as it is.
    pub index_unchanged: bool,
}

/// Steps 1–5: ingest both inputs, count, build the listing, check the guards against the
/// published `index.json` (one read) and choose what to render. Writes nothing.
pub(crate) fn prepare(
    config: &RunConfig,
    posts: Source,
    authors: Source,
    store: &dyn Store,
    progress: &Progress,
) -> Result<Prepared> {
    // The published index.json is downloaded and parsed on its own thread while the export
    // is read: the ingest leaves one core partly idle, and on S3 the GET overlaps the
    // export's download. An ingest error still comes first; nothing is written either way.
    std::thread::scope(|scope| {
        let fetching = std::thread::Builder::new()
            .name("index".into())
            .spawn_scoped(scope, || store.get_index().and_then(FetchedIndex::fetch));
        let published = move || match fetching {
            Ok(thread) => thread
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            // No thread to be had: fetch it now.
            Err(_) => store.get_index().and_then(FetchedIndex::fetch),
        };
        prepare_with(config, posts, authors, store, progress, published)
    })
}

/// [`prepare`], with the published index.json from `published` once the export is read.
fn prepare_with(
    config: &RunConfig,
    posts: Source,
    authors: Source,
    store: &dyn Store,
    progress: &Progress,
    published: impl FnOnce() -> Result<FetchedIndex>,
) -> Result<Prepared> {
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
    let window = if config.all {
        Window::all(config.now, config.tz)
    } else {
        Window::new(config.now, config.days, config.tz)
    };
    let mut tally = Tally::new(&master, window, skipped);
    let task = progress.bytes("posts", posts.len);
    ingest::read_posts(posts, |n| task.set(n), |post| tally.add(post))?;
    task.finish(&format!(
        "{} lines, {} counted",
        tally.lines,
        tally.counted()
    ));

    // 3. Index entries.
    // The counts move into the index entries (one copy of every author's months, not two).
    let counted_posts = tally.counted();
    let listed: Vec<IndexAuthor> = master
        .authors
        .iter()
        .zip(std::mem::take(&mut tally.counts))
        .filter_map(|(author, counts)| IndexAuthor::new(author, counts))
        .collect();
    let style_digest = config.style.digest();
    let mut index = Index::new(
        config.tz.name(),
        config.now,
        config.days,
        style_digest.clone(),
        listed,
        tally.skipped,
    );

    // 4. Guards, against the published index.json (one bounded read), before any write.
    // It also gives each listed author the files an earlier run recorded for it, and the
    // recorded files of the authors who left.
    let published = PreviousIndex::match_listing(published()?, &mut index.authors);
    let mut warnings = Vec::new();
    if let Previous::Unreadable(why) = &published.previous {
        warnings.push(format!(
            "the published {INDEX_FILE} at {} is unreadable ({why}); it was treated as absent, \
             so the shrink and time guards had nothing to compare with and no file was removed",
            store.location()
        ));
    }
    warnings.extend(published.unrecorded_warning());
    guard::check(
        &config.guards,
        &published.previous,
        index.authors.len(),
        config.now,
        &store.location(),
    )
    .map_err(anyhow::Error::msg)?;

    // 5. What to render: the active authors, or with the window `changed` those whose
    // digest differs from the one their published files were drawn from; every listed one
    // when the published charts were drawn in another style (data-spec §6, §7). A rendered
    // author's entry gets this run's digest; the others keep the published one.
    let restyle =
        published.previous != Previous::Absent && published.style.as_ref() != Some(&style_digest);
    let now_month = config.now.month_in(config.tz);
    // Positions in `index.authors`: each author's months become a dense series only when
    // its chart is drawn, so memory does not grow with the number of charts.
    let mut to_render = Vec::new();
    for (i, entry) in index.authors.iter_mut().enumerate() {
        let digest = author_digest(entry, now_month, &style_digest);
        if config.changed {
            entry.rendered = entry.files.is_none() || entry.digest.as_ref() != Some(&digest);
        }
        entry.rendered |= restyle;
        if entry.rendered {
            entry.digest = Some(digest);
            to_render.push(i);
        }
    }
    // A quiet day of the window `changed` writes nothing (data-spec §7 *Writing*); the
    // other windows write their index as they always did.
    let index_unchanged = config.changed
        && to_render.is_empty()
        && published.departed.is_empty()
        && published.same_as(&mut index);

    // 6. Where this run writes, only regular files (or links, which are replaced) may be.
    let suffixes = render::file_suffixes(&config.style);
    store.check_targets(&|name| {
        name == INDEX_FILE
            || author_file_slug(name).is_some_and(|slug| {
                index.get(slug.as_str()).is_some_and(|entry| entry.rendered)
                    && suffixes.contains(&&name[slug.as_str().len() + 1..])
            })
    })?;
    Ok(Prepared {
        index,
        to_render,
        restyle,
        previous_index: published.previous.state(),
        departed: published.departed,
        warnings,
        post_lines: tally.lines,
        counted_posts,
        newest: tally.newest,
        index_unchanged,
    })
}

/// The digest of what `entry`'s files are drawn from when rendered now (data-spec §7).
fn author_digest(entry: &IndexAuthor, now_month: MonthKey, style_digest: &str) -> String {
    let counts: Vec<u32> = entry
        .first_month
        .through(now_month)
        .map(|m| entry.monthly.get(&m).copied().unwrap_or(0))
        .collect();
    DigestInput {
        display_name: &entry.display_name,
        first_month: entry.first_month,
        counts: &counts,
        style: style_digest,
        renderer: RENDERER_VERSION,
    }
    .digest()
}

/// What to draw for one listed author: its months as a dense series through `now_month`.
pub(crate) fn render_job(entry: &IndexAuthor, now_month: MonthKey) -> render::Job {
    render::Job {
        slug: Slug::parse(&entry.slug).expect("listed slugs are valid"),
        display_name: entry.display_name.clone(),
        first_month: entry.first_month,
        counts: entry
            .first_month
            .through(now_month)
            .map(|m| entry.monthly.get(&m).copied().unwrap_or(0))
            .collect(),
    }
}

/// Render `job` and count it.
pub(crate) fn render_counted(
    job: &render::Job,
    config: &RunConfig,
    now: &str,
    rendered: &AtomicUsize,
) -> Result<render::Rendered> {
    let files = render::author(job, &config.style, now)
        .with_context(|| format!("rendering the chart of {}", job.slug))?;
    rendered.fetch_add(1, Ordering::Relaxed);
    Ok(files)
}

/// What [`conclude`] did.
pub(crate) struct Concluded {
    /// Objects whose headers were refreshed.
    pub refreshed: usize,
    /// Files removed.
    pub removed: usize,
    pub index_written: bool,
}

/// The last writes of a publication, after every author's files: attach each rendered
/// author's files and summary to its entry, refresh headers, write `index.json` (unless
/// `index_unchanged` and nothing was refreshed or is to be removed), then remove
/// `departed` (the recorded files of authors no longer listed) and the recorded files
/// that re-rendered authors no longer have (data-spec §7 *Removal*), which the index names
/// as `removed_files`.
pub(crate) fn conclude(
    publication: &mut dyn Publication,
    index: &mut Index,
    mut described: HashMap<String, (Vec<FileRef>, String)>,
    departed: Vec<String>,
    index_unchanged: bool,
) -> Result<Concluded> {
    let mut doomed = departed;
    for entry in &mut index.authors {
        if let Some((files, summary)) = described.remove(&entry.slug) {
            // An earlier run's files this one did not write (the style dropped a variant
            // or a format) are no longer the author's: recorded nowhere else, they go.
            if let Some(earlier) = entry.files.take() {
                doomed.extend(
                    earlier
                        .into_iter()
                        .map(|f| f.name)
                        .filter(|name| files.iter().all(|f| f.name != *name)),
                );
            }
            entry.files = Some(files);
            entry.summary = Some(summary);
        }
    }
    // Never a file the new index records (an author who came back, a format restored);
    // only what is there, so that `removed_files` empties once a removal succeeded.
    doomed.retain(|name| !records(index, name) && publication.holds_file(name));
    doomed.sort();
    doomed.dedup();
    index.removed_files = doomed;
    let refreshed = {
        let index = &*index;
        publication.refresh_headers(&|name| records(index, name))?
    };
    if index_unchanged && refreshed == 0 && index.removed_files.is_empty() {
        return Ok(Concluded {
            refreshed,
            removed: 0,
            index_written: false,
        });
    }
    publication.put_index(&index.to_json())?;
    let removed = publication.remove(&index.removed_files)?;
    Ok(Concluded {
        refreshed,
        removed,
        index_written: true,
    })
}

/// Whether `index` records `name` among the files of the author it belongs to.
fn records(index: &Index, name: &str) -> bool {
    author_file_slug(name)
        .and_then(|slug| index.get(slug.as_str()))
        .and_then(|entry| entry.files.as_ref())
        .is_some_and(|files| files.iter().any(|f| f.name == name))
}

impl Prepared {
    /// The summary of a run that prepared this, rendered `rendered` authors, published
    /// `published` and removed `removed` files (and wrote `index.json` or not).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn summary(
        mut self,
        config: &RunConfig,
        location: String,
        rendered: usize,
        published: Published,
        removed: usize,
        index_written: bool,
        started: Clock,
    ) -> Summary {
        // With `changed`, an empty selection is the normal quiet day.
        if self.to_render.is_empty() && !config.changed {
            if let Some(newest) = self.newest {
                self.warnings.push(format!(
                    "no author has a counted post in the {} days up to {}; the newest counted \
                     post is from {newest}: pass --now with a later time, or a longer --days \
                     (5475 covers 15 years)",
                    config.days, self.index.now
                ));
            }
        }
        for warning in &self.warnings {
            tracing::warn!(warning = %warning, "run warning");
        }
        Summary {
            now: self.index.now,
            timezone: self.index.timezone,
            active_days: config.days,
            all: config.all,
            changed: config.changed,
            output: location,
            dry_run: config.dry_run,
            style: self.index.style,
            restyled: self.restyle,
            post_lines: self.post_lines,
            counted_posts: self.counted_posts,
            authors_listed: self.index.authors.len(),
            charts_rendered: rendered,
            charts_written: published.written,
            charts_unchanged: published.unchanged,
            charts_refreshed: published.refreshed,
            charts_removed: removed,
            index_written,
            previous_index: self.previous_index,
            warnings: self.warnings,
            rejected_records: rejected_records(&self.index.skipped),
            skipped: self.index.skipped,
            invalidated_paths: 0,
            elapsed_ms: started.elapsed().as_millis() as u64,
        }
    }
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
    let mut prepared = prepare(config, posts, authors, store, progress)?;

    // 6. Render and publish as one pipeline: renderers feed a bounded channel the store
    // drains, so only a few authors' files are in memory at once. Index last, removal after.
    let rendered = AtomicUsize::new(0);
    let to_render = std::mem::take(&mut prepared.to_render);
    let task = progress.items("charts", to_render.len() as u64);
    let now_month = config.now.month_in(config.tz);
    let index = &prepared.index;
    let render = |&i: &usize| {
        let job = render_job(&index.authors[i], now_month);
        render_counted(&job, config, &index.now, &rendered)
    };
    let mut described = HashMap::new();
    let mut describe = |r: render::Rendered| {
        described.insert(r.chart.slug.as_str().to_owned(), (r.files, r.summary));
        r.chart
    };
    let bound = pipeline::default_bound();
    let (published, removed, index_written) = if config.dry_run {
        pipeline::stream(&to_render, bound, render, |charts| {
            charts.for_each(|_| task.inc());
            Ok(())
        })?;
        task.finish(&format!(
            "{} rendered, none written (dry run)",
            to_render.len()
        ));
        (Published::default(), 0, false)
    } else {
        let mut publication = store.open()?;
        let mut published = pipeline::stream(&to_render, bound, render, |charts| {
            publication.put_charts(&mut charts.map(&mut describe), &|| task.inc())
        })?;
        let departed = std::mem::take(&mut prepared.departed);
        let concluded = conclude(
            publication.as_mut(),
            &mut prepared.index,
            described,
            departed,
            prepared.index_unchanged,
        )?;
        published.refreshed = concluded.refreshed;
        task.finish(&format!(
            "{} written, {} unchanged, {} refreshed, {} removed",
            published.written, published.unchanged, published.refreshed, concluded.removed
        ));
        (published, concluded.removed, concluded.index_written)
    };
    // Keep the positions for the summary's empty-window check.
    prepared.to_render = to_render;
    Ok(prepared.summary(
        config,
        store.location(),
        rendered.into_inner(),
        published,
        removed,
        index_written,
        started,
    ))
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
            "posts: {} non-blank lines, {} counted; window {} up to {} ({})\n",
            self.post_lines,
            self.counted_posts,
            if self.all {
                "all".to_owned()
            } else if self.changed {
                "changed".to_owned()
            } else {
                format!("{} days", self.active_days)
            },
            self.now,
            self.timezone
        );
        let skipped = |rejected: bool| -> String {
            let pairs = self.skipped.pairs();
            let shown: Vec<String> = pairs
                .iter()
                .filter(|(k, _)| contract::metrics::REJECTED_SKIPS.contains(k) == rejected)
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            shown.join(" ")
        };
        out += &format!(
            "skipped: {} (expected); rejected as bad data: {} ({})\n",
            skipped(false),
            self.rejected_records,
            skipped(true)
        );
        if !self.index_written && !self.dry_run {
            out += "index.json: unchanged, not written (nothing changed since the published one)\n";
        }
        if self.invalidated_paths > 0 {
            out += &format!("invalidated: {} CloudFront paths\n", self.invalidated_paths);
        }
        out += &format!(
            "style: {}{}\n",
            self.style,
            if self.restyled {
                " (changed since the published index: every listed author rendered)"
            } else {
                ""
            }
        );
        for warning in &self.warnings {
            out += &format!("warning: {warning}\n");
        }
        out += &format!("elapsed: {:.3} s\n", self.elapsed_ms as f64 / 1000.0);
        out
    }
}
