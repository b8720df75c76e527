//! CI's check of the fan-out state machine (`state_machine`): the definition, with sample
//! values in its two placeholders, validated by `asl-validator` from npm (the version pinned
//! in `xtask/stacks/asl/package-lock.json`, installed once under `target/tools/asl/`).

use std::fs;
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result};

use crate::main_stack::state_machine;
use xtask_support::shell::project_root;
use xtask_support::tools::tools_dir;

/// Where the validator's pinned package files are.
const PACKAGE_DIR: &str = "xtask/stacks/asl";

/// Validate the state machine's definition; fails naming what the validator reported.
pub fn check() -> Result<()> {
    let started = Instant::now();
    let work = tools_dir().join("asl");
    xtask_support::npm::ci(&project_root().join(PACKAGE_DIR), &work, "asl-validator")?;
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
            "the fan-out state machine is not valid Amazon States Language (xtask/stacks/src/main_stack/state_machine.rs): {}{}",
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
