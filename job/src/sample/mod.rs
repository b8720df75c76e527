//! Built-in sample export: a realistic, deterministic pair of input files (CONTRACT §2) for
//! demos, tests and benchmarks, and, with `dirty`, every kind of bad record the contract
//! names. The same spec gives the same bytes. [`write_sample_with_tally`] also returns what
//! the job must report for the files ([`SampleTally`]), known by construction.

mod body;
mod cast;
mod dirty_authors;
mod dirty_posts;
mod gzip;
mod json;
mod names;
#[cfg(test)]
mod oracle;
mod record;
mod stamp;
mod tally;
mod timeline;
mod write;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::env::{AUTHORS_FILE, POSTS_FILE};
use names::Registry;
use tally::Tallier;

pub use tally::{ExpectedAuthor, SampleTally};

/// The default `until` of the sample: the `--now` the project's examples use.
pub const DEFAULT_UNTIL: &str = "2025-11-25T00:00:00Z";

/// What to generate.
#[derive(Debug, Clone)]
pub struct SampleSpec {
    pub authors: usize,
    pub posts: usize,
    pub seed: u64,
    /// Add every kind of bad record the contract names.
    pub dirty: bool,
    /// Mean body length in bytes.
    pub body_bytes: usize,
    /// Latest publication instant of the data set (posts are spread over 15 years before it).
    pub until: DateTime<Utc>,
}

impl Default for SampleSpec {
    /// 1056 authors, 60 000 posts of about 3 KB, seed 42, clean, until [`DEFAULT_UNTIL`].
    fn default() -> Self {
        SampleSpec {
            authors: 1056,
            posts: 60_000,
            seed: 42,
            dirty: false,
            body_bytes: 3000,
            until: DateTime::parse_from_rfc3339(DEFAULT_UNTIL)
                .expect("DEFAULT_UNTIL is a valid timestamp")
                .with_timezone(&Utc),
        }
    }
}

/// Paths of the two files written.
#[derive(Debug, Clone)]
pub struct SampleFiles {
    pub posts: PathBuf,
    pub authors: PathBuf,
}

/// Write `all-blog-posts.jsonl.gz` and `authorProfile.jsonl.gz` into `dir` (created if
/// missing).
///
/// Clean samples hold exactly `spec.posts` post lines (a few percent drafts) by `spec.authors`
/// usable authors; `spec.dirty` adds the bad records on top.
pub fn write_sample(dir: &Path, spec: &SampleSpec) -> Result<SampleFiles> {
    write_sample_with_tally(dir, spec).map(|(files, _)| files)
}

/// [`write_sample`], and what a run with `--now` = `spec.until` must report for the files.
pub fn write_sample_with_tally(
    dir: &Path,
    spec: &SampleSpec,
) -> Result<(SampleFiles, SampleTally)> {
    anyhow::ensure!(
        spec.posts == 0 || spec.authors > 0,
        "a sample with posts needs at least one author"
    );
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut rng = ChaCha8Rng::seed_from_u64(spec.seed);
    let mut registry = Registry::default();

    let recent = cast::recent_count(spec.authors, spec.posts);
    let mut authors = cast::cast(&mut rng, &mut registry, spec.authors, recent, spec.until);
    authors.sort_by(|a, b| a.id.cmp(&b.id));
    let plan = timeline::plan(&mut rng, &mut registry, &authors, spec.posts, spec.until);
    let dirty = if spec.dirty {
        let master = dirty_authors::dirty_master(&mut rng, &mut registry, &authors);
        let good = authors
            .iter()
            .find(|a| a.recent)
            .map_or_else(|| master.usable[0].clone(), |a| a.id.clone());
        let posts = dirty_posts::dirty_posts(&mut rng, &mut registry, &master, &good, spec.until);
        Some((master, posts))
    } else {
        None
    };

    let mut tallier = Tallier::new(spec.until);
    let authors_path = write::authors(
        &dir.join(AUTHORS_FILE),
        &mut rng,
        &authors,
        dirty.as_ref().map(|(m, _)| m),
        &mut tallier,
    )?;
    tallier.close_master();
    let posts_path = write::posts(
        &dir.join(POSTS_FILE),
        &mut rng,
        spec,
        &authors,
        &plan,
        dirty.map(|(_, p)| p),
        &mut tallier,
    )?;
    let files = SampleFiles {
        posts: posts_path,
        authors: authors_path,
    };
    Ok((files, tallier.finish()))
}

#[cfg(test)]
mod tests;
