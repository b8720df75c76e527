//! Running external commands with visible command lines, and finding the project root.
//! Every task works from any directory because paths are resolved against `project_root()`.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

/// The workspace root (two levels above this crate, `xtask/support/`).
pub fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("xtask/support lives two levels below the workspace root")
        .to_path_buf()
}

/// The cargo target directory: `CARGO_TARGET_DIR` (relative to the workspace root, as cargo
/// reads it there), else `<root>/target`.
pub fn target_dir() -> PathBuf {
    let root = project_root();
    std::env::var_os("CARGO_TARGET_DIR")
        .map(|dir| root.join(dir))
        .unwrap_or_else(|| root.join("target"))
}

/// `cargo` as the running cargo invoked us (respects `CARGO`).
pub fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.current_dir(project_root());
    forget_package_env(&mut cmd);
    cmd
}

/// Removes from `cmd` the variables cargo set for the package it ran us as (`cargo run`,
/// `cargo test`): `CARGO_MANIFEST_DIR`, `CARGO_PKG_*`, `OUT_DIR`…. A nested `cargo build`
/// passes its own environment to build scripts, and one that declares
/// `rerun-if-env-changed` on them (ring's does) would otherwise rerun whenever the caller
/// differs (xtask, then a test binary), rebuilding everything above it.
pub fn forget_package_env(cmd: &mut Command) {
    const NAMES: [&str; 9] = [
        "CARGO_MANIFEST_DIR",
        "CARGO_MANIFEST_PATH",
        "CARGO_MANIFEST_LINKS",
        "CARGO_CRATE_NAME",
        "CARGO_BIN_NAME",
        "CARGO_PRIMARY_PACKAGE",
        "CARGO_TARGET_TMPDIR",
        "CARGO_RUSTC_CURRENT_DIR",
        "OUT_DIR",
    ];
    const PREFIXES: [&str; 2] = ["CARGO_PKG_", "CARGO_BIN_EXE_"];
    for (name, _) in std::env::vars_os() {
        let Some(name) = name.to_str() else { continue };
        if NAMES.contains(&name) || PREFIXES.iter().any(|p| name.starts_with(p)) {
            cmd.env_remove(name);
        }
    }
}

/// Run `cmd`, echoing its command line first; fail with the command line on non-zero exit.
pub fn run(cmd: &mut Command) -> Result<()> {
    let line = display(cmd);
    eprintln!("$ {line}");
    let status = cmd.status().with_context(|| {
        format!("could not start `{line}`: is the program installed and on PATH?")
    })?;
    if !status.success() {
        bail!("`{line}` failed with {status}");
    }
    Ok(())
}

/// A command line as a user would type it.
pub fn display(cmd: &Command) -> String {
    std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(quote)
        .collect::<Vec<_>>()
        .join(" ")
}

fn quote(arg: &OsStr) -> String {
    let s = arg.to_string_lossy();
    if s.is_empty() || s.contains(|c: char| c.is_whitespace() || "'\"$`\\".contains(c)) {
        format!("'{}'", s.replace('\'', r"'\''"))
    } else {
        s.into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `cargo test` runs this binary with the package's variables set; a nested cargo must
    /// not see them, and must keep the ones that choose where and how it builds.
    #[test]
    fn nested_cargo_forgets_the_callers_package_variables() {
        assert!(
            std::env::var_os("CARGO_PKG_NAME").is_some(),
            "run under cargo test"
        );
        let cmd = cargo();
        let removed: Vec<&OsStr> = cmd
            .get_envs()
            .filter(|(_, value)| value.is_none())
            .map(|(name, _)| name)
            .collect();
        for name in ["CARGO_MANIFEST_DIR", "CARGO_PKG_NAME", "CARGO_PKG_VERSION"] {
            assert!(
                removed.contains(&OsStr::new(name)),
                "{name} kept: {removed:?}"
            );
        }
        for kept in ["CARGO_TARGET_DIR", "CARGO_HOME", "CARGO", "RUSTFLAGS"] {
            assert!(!removed.contains(&OsStr::new(kept)), "{kept} removed");
        }
    }
}
