//! The benches' data sets: a sample spec generated once under `target/bench/<name>/` (in a
//! child `cargo xtask sample`, so the bench's own memory never inflates a measured child).

use std::fs;
use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result};
use contract::defaults::SAMPLE_NOW;
use sample::SampleSpec;
use xtask_support::shell::project_root;

/// A data set: the sample spec, generated once under `target/bench/<name>/`.
pub(crate) struct DataSet {
    pub(crate) name: &'static str,
    pub(crate) authors: usize,
    pub(crate) posts: usize,
    pub(crate) body_bytes: usize,
}

pub(crate) const SEED_SCALE: DataSet = DataSet {
    name: "seed-1x",
    authors: 1056,
    posts: 60_000,
    body_bytes: 3000,
};
pub(crate) const TEN_X_BODIES: DataSet = DataSet {
    name: "seed-10x-bodies",
    authors: 1056,
    posts: 60_000,
    body_bytes: 30_000,
};

impl DataSet {
    /// The folder of the data set, generated when missing or made from another spec.
    pub(crate) fn ensure(&self) -> Result<PathBuf> {
        self.ensure_in(self.name)
    }

    /// [`DataSet::ensure`] in `target/bench/<folder>/`.
    pub(crate) fn ensure_in(&self, folder: &str) -> Result<PathBuf> {
        let dir = project_root().join("target/bench").join(folder);
        let stamp = dir.join(".spec");
        let spec = format!(
            "{} {} {} {SAMPLE_NOW}",
            self.authors, self.posts, self.body_bytes
        );
        if fs::read_to_string(&stamp).is_ok_and(|s| s == spec) {
            return Ok(dir);
        }
        let started = Instant::now();
        // In a child process (`cargo xtask sample`): generating grows this process, and a
        // child's peak RSS as `wait4` reports it includes the parent's pages it was forked
        // with, so every job measured afterwards would seem as large.
        let exe = std::env::current_exe().context("finding the xtask executable")?;
        let defaults = SampleSpec::default();
        xtask_support::shell::run(
            Command::new(exe)
                .arg("sample")
                .arg("--out")
                .arg(&dir)
                .args(["--authors", &self.authors.to_string()])
                .args(["--posts", &self.posts.to_string()])
                .args(["--body-bytes", &self.body_bytes.to_string()])
                .args(["--seed", &defaults.seed.to_string(), "--until", SAMPLE_NOW]),
        )?;
        fs::write(&stamp, spec)?;
        eprintln!(
            "generated {} in {:.1} s",
            self.name,
            started.elapsed().as_secs_f64()
        );
        Ok(dir)
    }
}
