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

/// `cargo` as the running cargo invoked us (respects `CARGO`).
pub fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.current_dir(project_root());
    cmd
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
