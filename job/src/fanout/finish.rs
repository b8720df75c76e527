//! The `finish` step: every batch's result, then the single run's last writes (headers,
//! `index.json`, removal of the files `count` found recorded for departed authors), then
//! the run's working files go.

use std::collections::HashMap;
use std::time::Instant as Clock;

use anyhow::{bail, Context, Result};

use super::check_run_id;
use super::{
    previous_state, read_json, BatchResult, Manifest, DEPARTED, LISTING, MANIFEST, RESULTS,
};
use crate::chart::Style;
use crate::guard::Guards;
use crate::index::Index;
use crate::progress::Progress;
use crate::publish::{Published, Store};
use crate::run::{self, Prepared, RunConfig, Summary};
use crate::timestamp::Instant;

/// Finish run `run`: fails, writing nothing, while a batch has no result.
pub fn finish(store: &dyn Store, style: &Style, run: &str, progress: &Progress) -> Result<Summary> {
    let started = Clock::now();
    check_run_id(run).map_err(anyhow::Error::msg)?;
    let files = store.run_files();
    let manifest: Manifest = read_json(files, run, MANIFEST, "count")?;
    if style.digest() != manifest.style {
        bail!(
            "the style differs from the one run {run} was counted in ({} here, {} in its \
             manifest): every step of a run must get the same style — run `count` again",
            style.digest(),
            manifest.style
        );
    }
    let task = progress.items("results", manifest.batches.len() as u64);
    let mut results = Vec::with_capacity(manifest.batches.len());
    let mut missing = Vec::new();
    for batch in &manifest.batches {
        match files.get(run, &format!("{RESULTS}{batch}"))? {
            Some(bytes) => {
                let result: BatchResult = serde_json::from_slice(&bytes).with_context(|| {
                    format!(
                        "{}{RESULTS}{batch} is not what `render` writes — render batch {batch} \
                         again",
                        files.location(run)
                    )
                })?;
                results.push(result);
            }
            None => missing.push(batch.as_str()),
        }
        task.inc();
    }
    if !missing.is_empty() {
        let shown: Vec<&str> = missing.iter().take(10).copied().collect();
        bail!(
            "{} of run {run}'s {} batches have no result ({}{}), so index.json was not written \
             and the published charts still list the previous run: render those batches (a \
             failed map iteration), then finish again",
            missing.len(),
            manifest.batches.len(),
            shown.join(", "),
            if missing.len() > shown.len() {
                ", …"
            } else {
                ""
            }
        );
    }
    task.finish(&format!("{} results", results.len()));

    let mut index: Index = read_json(files, run, LISTING, "count")?;
    let departed: Vec<String> = read_json(files, run, DEPARTED, "count")?;
    let now = Instant::parse(&manifest.now)
        .with_context(|| format!("the manifest of run {run} has no valid `now`"))?;
    let config = RunConfig {
        days: manifest.active_days,
        all: manifest.all,
        now,
        tz: run::parse_tz(&manifest.timezone).map_err(anyhow::Error::msg)?,
        dry_run: false,
        guards: Guards::default(),
        style: style.clone(),
    };
    let mut published = Published::default();
    let mut rendered = 0;
    let mut described = HashMap::new();
    let mut publication = store.open()?;
    for result in results {
        rendered += result.rendered;
        published.written += result.written;
        published.unchanged += result.unchanged;
        publication.note_written(&mut result.written_names.into_iter());
        for author in result.authors {
            described.insert(author.slug, (author.files, author.summary));
        }
    }
    let (refreshed, removed) =
        run::conclude(publication.as_mut(), &mut index, described, departed)?;
    published.refreshed = refreshed;
    files.delete_run(run)?;

    let prepared = Prepared {
        // Only its emptiness matters to the summary.
        to_render: (0..manifest.authors_to_render).collect(),
        index,
        restyle: manifest.restyled,
        previous_index: previous_state(&manifest.previous_index),
        departed: Vec::new(),
        warnings: manifest.warnings,
        post_lines: manifest.post_lines,
        counted_posts: manifest.counted_posts,
        newest: manifest.newest.as_deref().and_then(Instant::parse),
    };
    Ok(prepared.summary(
        &config,
        store.location(),
        rendered,
        published,
        removed,
        started,
    ))
}
