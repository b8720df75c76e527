//! The job's `author-stats` binary as the light verbs run it: the local core for the demo
//! (dev profile, optimised dependencies, no AWS crate compiled) or the shipped binary for
//! the benches (release, every feature, as the image holds it).

use std::path::PathBuf;

use anyhow::Result;
use xtask_support::shell::{cargo, run, target_dir};

/// Which build of the job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Build {
    /// Dev profile without the `aws` feature: local files only (`cargo xtask demo`).
    Core,
    /// Release profile with the default features: the shipped binary (`cargo xtask bench`).
    Shipped,
}

/// Build the job binary and return its path.
pub fn build(build: Build) -> Result<PathBuf> {
    let mut cmd = cargo();
    cmd.args([
        "build",
        "--package",
        "author-stats",
        "--bin",
        "author-stats",
    ]);
    match build {
        Build::Core => cmd.arg("--no-default-features"),
        Build::Shipped => cmd.arg("--release"),
    };
    run(&mut cmd)?;
    let dir = target_dir();
    let profile = match build {
        Build::Core => "debug",
        Build::Shipped => "release",
    };
    Ok(dir.join(profile).join("author-stats"))
}
