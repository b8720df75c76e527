//! Pinned npm packages for CI's checks (the CDK app, `asl-validator`): `npm ci` of a
//! checked-in package-lock into a folder under `target/tools/`, once per lock. npm's cache
//! lives under `target/tools/` too; nothing is installed globally.

use std::fs;
use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};

use crate::shell::run;
use crate::tools::tools_dir;

/// `npm ci` of `package`'s `package.json` and `package-lock.json` into `work`, skipped
/// when the lock is unchanged since the last install there; `what` names the packages in
/// the error.
pub fn ci(package: &Path, work: &Path, what: &str) -> Result<()> {
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
    .with_context(|| {
        format!(
            "npm could not install {what}: install Node.js 20+ with npm, and let npm reach its \
             registry"
        )
    })?;
    fs::write(&stamp, wanted).with_context(|| format!("writing {}", stamp.display()))?;
    Ok(())
}
