//! The built-in sample export: a realistic, deterministic pair of input files
//! (`spec/data-spec.md` §2) for demos, tests and benchmarks, and, with `dirty`, every kind
//! of bad record the spec names. The same spec gives the same bytes.
//! [`write_sample_with_tally`] also returns what the job must report for the files
//! ([`SampleTally`]), known by construction and checked against an independent reading of
//! the bytes (`oracle.rs`, tests only). Not part of the shipped job: `cargo xtask sample`,
//! `demo` and `bench` drive it.

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

use contract::defaults::SAMPLE_NOW;
use contract::files::{AUTHORS_FILE, POSTS_FILE};
use names::Registry;
use tally::Tallier;

pub use tally::{ExpectedAuthor, SampleTally};

/// What to generate.
#[derive(Debug, Clone)]
pub struct SampleSpec {
    /// Usable authors in the master.
    pub authors: usize,
    /// Post lines (a few percent drafts), before any dirty records.
    pub posts: usize,
    /// The random seed: the same seed gives the same bytes.
    pub seed: u64,
    /// Add every kind of bad record spec/data-spec.md names.
    pub dirty: bool,
    /// Mean body length in bytes.
    pub body_bytes: usize,
    /// Latest publication instant of the data set (posts are spread over 15 years before it).
    pub until: DateTime<Utc>,
}

impl Default for SampleSpec {
    /// The demo's sample: 300 authors, 12 000 posts of about 3 KB, seed 42, clean, until
    /// [`SAMPLE_NOW`].
    fn default() -> Self {
        SampleSpec {
            authors: 300,
            posts: 12_000,
            seed: 42,
            dirty: false,
            body_bytes: 3000,
            until: sample_now(),
        }
    }
}

impl SampleSpec {
    /// The benchmark's seed scale: 1056 authors and 60 000 posts, the rest as
    /// [`SampleSpec::default`].
    pub fn seed_scale() -> Self {
        SampleSpec {
            authors: 1056,
            posts: 60_000,
            ..SampleSpec::default()
        }
    }
}

/// [`SAMPLE_NOW`] as a time.
pub fn sample_now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(SAMPLE_NOW)
        .expect("SAMPLE_NOW is a valid timestamp")
        .with_timezone(&Utc)
}

/// Paths of the two files written.
#[derive(Debug, Clone)]
pub struct SampleFiles {
    /// `all-blog-posts.jsonl.gz`.
    pub posts: PathBuf,
    /// `authorProfile.jsonl.gz`.
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
