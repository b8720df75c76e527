//! The `render` step: one batch file's authors, rendered and published like the single
//! run's (same bounded pipeline, same unchanged-bytes rule), then their result file.

use std::collections::BTreeMap;
use std::sync::atomic::AtomicUsize;

use anyhow::{bail, Context, Result};
use serde::Serialize;

use super::{check_run_id, parse_batch, RESULTS};
use super::{read_json, BatchAuthor, BatchResult, Manifest, RenderedAuthor, BATCHES, MANIFEST};
use crate::chart::Style;
use crate::guard::Guards;
use crate::progress::Progress;
use crate::publish::{pipeline, Published, Snapshot, Store};
use crate::render;
use crate::run::{self, RunConfig};
use crate::slug::Slug;
use crate::timestamp::Instant;

/// What a render step answers (small: the state machine keeps it in its history).
#[derive(Debug, Clone, Serialize)]
pub struct BatchCounts {
    pub run: String,
    pub batch: String,
    pub rendered: usize,
    pub written: usize,
    pub unchanged: usize,
}

/// Render batch `batch` of run `run` in `style` (which must be the style `count` saw).
pub fn render_batch(
    store: &dyn Store,
    style: &Style,
    run: &str,
    batch: &str,
    progress: &Progress,
) -> Result<BatchCounts> {
    check_run_id(run).map_err(anyhow::Error::msg)?;
    let batch = parse_batch(batch).map_err(anyhow::Error::msg)?;
    let files = store.run_files();
    let manifest: Manifest = read_json(files, run, MANIFEST, "count")?;
    if !manifest.batches.contains(&batch) {
        bail!(
            "batch {batch} is not one of run {run}'s {} batches — pass a name `count` listed",
            manifest.batches.len()
        );
    }
    if style.digest() != manifest.style {
        bail!(
            "the style differs from the one run {run} was counted in ({} here, {} in its \
             manifest): every step of a run must get the same style — deploy once, then run \
             `count` again",
            style.digest(),
            manifest.style
        );
    }
    let authors: Vec<BatchAuthor> = read_json(files, run, &format!("{BATCHES}{batch}"), "count")?;
    let now = Instant::parse(&manifest.now)
        .with_context(|| format!("the manifest of run {run} has no valid `now`"))?;
    let tz = run::parse_tz(&manifest.timezone).map_err(anyhow::Error::msg)?;
    let config = RunConfig {
        days: manifest.active_days,
        all: manifest.all,
        changed: manifest.changed,
        now,
        tz,
        dry_run: false,
        guards: Guards::default(),
        style: style.clone(),
    };

    let snapshot: Option<Snapshot> = authors
        .iter()
        .map(|a| a.published.clone())
        .collect::<Option<Vec<Snapshot>>>()
        .map(|parts| parts.into_iter().flatten().collect());
    let rendered = AtomicUsize::new(0);
    let task = progress.items("charts", authors.len() as u64);
    let render = |author: &BatchAuthor| {
        let job = render::Job {
            slug: Slug::parse(&author.slug)
                .with_context(|| format!("batch {batch} holds an invalid slug"))?,
            display_name: author.display_name.clone(),
            first_month: author.first_month,
            counts: author.counts.clone(),
        };
        run::render_counted(&job, &config, &manifest.now, &rendered)
    };
    let mut described = BTreeMap::new();
    let mut describe = |r: render::Rendered| {
        described.insert(r.chart.slug.as_str().to_owned(), (r.files, r.summary));
        r.chart
    };
    let mut publication = store.open_with(snapshot)?;
    let published: Published =
        pipeline::stream(&authors, pipeline::default_bound(), render, |charts| {
            publication.put_charts(&mut charts.map(&mut describe), &|| task.inc())
        })?;
    task.finish(&format!(
        "{} written, {} unchanged",
        published.written, published.unchanged
    ));
    let mut written_names = publication.written_names();
    written_names.sort();
    let result = BatchResult {
        batch: batch.clone(),
        rendered: rendered.into_inner(),
        written: published.written,
        unchanged: published.unchanged,
        written_names,
        authors: described
            .into_iter()
            .map(|(slug, (files, summary))| RenderedAuthor {
                slug,
                summary,
                files,
            })
            .collect(),
    };
    let json = serde_json::to_vec(&result).context("writing the batch's result")?;
    files.put(run, &format!("{RESULTS}{batch}"), &json)?;
    Ok(BatchCounts {
        run: run.to_owned(),
        batch,
        rendered: result.rendered,
        written: result.written,
        unchanged: result.unchanged,
    })
}
