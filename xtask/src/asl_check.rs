//! CI's check of the fan-out state machine (`state_machine`): the definition, with sample
//! values in its two placeholders, validated by `asl-validator` from npm (the version pinned
//! in `xtask/asl/package-lock.json`, installed once under `target/tools/asl/`).

use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};

use crate::pytools::tools_dir;
use crate::shell::{project_root, run};
use crate::state_machine;

/// Where the validator's pinned package files are.
const PACKAGE_DIR: &str = "xtask/asl";

/// `npm ci` of the pinned validator into `work`, skipped when the lock is unchanged.
fn install(work: &Path) -> Result<()> {
    let package = project_root().join(PACKAGE_DIR);
    let mut hash = Sha256::new();
    for file in ["package.json", "package-lock.json"] {
        let path = package.join(file);
        hash.update(fs::read(&path).with_context(|| format!("reading {}", path.display()))?);
    }
    let wanted: String = hash.finalize().iter().map(|b| format!("{b:02x}")).collect();
    let stamp = work.join("node_modules/.xtask-lock-sha256");
    if fs::read_to_string(&stamp).is_ok_and(|s| s == wanted) {
        return Ok(());
    }
    fs::create_dir_all(work).with_context(|| format!("creating {}", work.display()))?;
    for file in ["package.json", "package-lock.json"] {
        fs::copy(package.join(file), work.join(file))
            .with_context(|| format!("copying {file} to {}", work.display()))?;
    }
    run(Command::new("npm")
        .args([
            "ci",
            "--no-audit",
            "--no-fund",
            "--ignore-scripts",
            "--loglevel=error",
        ])
        .current_dir(work)
        .env("npm_config_cache", tools_dir().join("npm-cache"))
        .env("npm_config_update_notifier", "false"))
    .context(
        "npm could not install asl-validator: install Node.js 20+ with npm, and let npm reach \
         its registry",
    )?;
    fs::write(&stamp, wanted).with_context(|| format!("writing {}", stamp.display()))?;
    Ok(())
}

/// Validate the state machine's definition; fails naming what the validator reported.
pub fn check() -> Result<()> {
    let started = Instant::now();
    let work = tools_dir().join("asl");
    install(&work)?;
    let definition = work.join("definition.json");
    fs::write(&definition, state_machine::definition_for_validation())
        .with_context(|| format!("writing {}", definition.display()))?;
    let output = Command::new(work.join("node_modules/.bin/asl-validator"))
        .arg("--json-path")
        .arg(&definition)
        .output()
        .context("cannot run asl-validator (installed under target/tools/asl/)")?;
    if !output.status.success() {
        anyhow::bail!(
            "the fan-out state machine is not valid Amazon States Language (xtask/src/state_machine.rs): {}{}",
            String::from_utf8_lossy(&output.stdout).trim(),
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    eprintln!(
        "asl-validator: the fan-out state machine is valid ({:.1} s)",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
