//! The `count` step: steps 1–5 of a run (ingest, count, guards, what to render), then the
//! run's working files instead of the charts.

use anyhow::{Context, Result};
use serde::Serialize;

use super::{
    batch_name, run_id, BatchAuthor, Manifest, BATCHES, BATCH_BYTES, DEPARTED, LISTING, MANIFEST,
};
use crate::ingest::Source;
use crate::progress::Progress;
use crate::publish::Store;
use crate::run::{self, RunConfig};

/// What `count` hands to the orchestration (the Lambda function's answer).
#[derive(Debug, Clone, Serialize)]
pub struct Counted {
    pub run: String,
    /// Where the batch files are (`s3://bucket/key-prefix/` or a folder), for messages.
    pub batches_at: String,
    pub batches: usize,
    pub authors_listed: usize,
    pub authors_to_render: usize,
    /// A dry run writes nothing: no batches, nothing for `render` or `finish`.
    pub dry_run: bool,
}

/// Run the `count` step: everything the single run checks, then `manifest.json`,
/// `listing.json` and the batch files of at most `batch_authors` authors each.
pub fn count(
    config: &RunConfig,
    posts: Source,
    authors: Source,
    store: &dyn Store,
    progress: &Progress,
    batch_authors: usize,
) -> Result<Counted> {
    let prepared = run::prepare(config, posts, authors, store, progress)?;
    let run = run_id(config.now, &prepared.index.style);
    let files = store.run_files();
    let mut counted = Counted {
        run: run.clone(),
        batches_at: format!("{}{BATCHES}", files.location(&run)),
        batches: 0,
        authors_listed: prepared.index.authors.len(),
        authors_to_render: prepared.to_render.len(),
        dry_run: config.dry_run,
    };
    if config.dry_run {
        return Ok(counted);
    }
    let snapshot = store.snapshot()?;
    let now_month = config.now.month_in(config.tz);

    // A retry of the same run starts from a clean folder.
    files.delete_run(&run)?;
    let mut batches = Vec::new();
    let mut batch: Vec<u8> = Vec::new();
    let mut in_batch = 0;
    let mut flush = |batch: &mut Vec<u8>, in_batch: &mut usize| -> Result<()> {
        if *in_batch == 0 {
            return Ok(());
        }
        batch.extend_from_slice(b"\n]\n");
        let name = batch_name(batches.len());
        files.put(&run, &format!("{BATCHES}{name}"), batch)?;
        batches.push(name);
        batch.clear();
        *in_batch = 0;
        Ok(())
    };
    let task = progress.items("batches", prepared.to_render.len() as u64);
    for &i in &prepared.to_render {
        let entry = &prepared.index.authors[i];
        let job = run::render_job(entry, now_month);
        let published = snapshot.as_ref().map(|all| {
            let prefix = format!("{}.", entry.slug);
            all.range(prefix.clone()..)
                .take_while(|(name, _)| name.starts_with(&prefix))
                .map(|(name, tag)| (name.clone(), tag.clone()))
                .collect()
        });
        let author = BatchAuthor {
            slug: entry.slug.clone(),
            display_name: job.display_name,
            first_month: job.first_month,
            counts: job.counts,
            published,
        };
        let line = serde_json::to_vec(&author).context("writing a batch")?;
        if in_batch > 0 && (in_batch >= batch_authors || batch.len() + line.len() + 4 > BATCH_BYTES)
        {
            flush(&mut batch, &mut in_batch)?;
        }
        batch.extend_from_slice(if in_batch == 0 { b"[\n" } else { b",\n" });
        batch.extend_from_slice(&line);
        in_batch += 1;
        task.inc();
    }
    flush(&mut batch, &mut in_batch)?;
    task.finish(&format!("{} batches", batches.len()));

    files.put(&run, LISTING, &prepared.index.to_json())?;
    let departed = serde_json::to_vec(&prepared.departed).context("writing the departed files")?;
    files.put(&run, DEPARTED, &departed)?;
    let manifest = Manifest {
        run: run.clone(),
        now: prepared.index.now.clone(),
        timezone: prepared.index.timezone.clone(),
        active_days: config.days,
        all: config.all,
        style: prepared.index.style.clone(),
        restyled: prepared.restyle,
        previous_index: prepared.previous_index.to_owned(),
        warnings: prepared.warnings.clone(),
        post_lines: prepared.post_lines,
        counted_posts: prepared.counted_posts,
        newest: prepared.newest.map(|n| n.to_string()),
        authors_listed: prepared.index.authors.len(),
        authors_to_render: prepared.to_render.len(),
        batches,
    };
    let mut json = serde_json::to_vec_pretty(&manifest).context("writing the manifest")?;
    json.push(b'\n');
    files.put(&run, MANIFEST, &json)?;
    counted.batches = manifest.batches.len();
    Ok(counted)
}
