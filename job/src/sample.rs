//! Built-in sample export: a realistic, deterministic pair of input files.
//! (Placeholder interface: the generator lands in its own commit.)

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

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

/// Paths of the two files written.
#[derive(Debug, Clone)]
pub struct SampleFiles {
    pub posts: PathBuf,
    pub authors: PathBuf,
}

/// Write `all-blog-posts.jsonl.gz` and `authorProfile.jsonl.gz` into `dir`.
pub fn write_sample(_dir: &Path, _spec: &SampleSpec) -> anyhow::Result<SampleFiles> {
    anyhow::bail!("sample generation is not implemented yet")
}
