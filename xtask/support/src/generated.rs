//! Generated files checked into the repository (the template, the CDK app): one function
//! that writes such a file, or in check mode fails naming the command that regenerates it
//! (rust-analyzer's `ensure_file_contents`). Every generated file goes through it.

use std::fs;
use std::path::Path;

use anyhow::{bail, Context, Result};

use crate::shell::project_root;

/// Write the file, or only check that it is current.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Write the file when its content differs (and say so).
    Write,
    /// Fail when the checked-in file differs; write nothing.
    Check,
}

/// Make `relative` (a path from the project root) hold `contents`: in [`Mode::Write`] write
/// it when it differs, in [`Mode::Check`] fail naming the first differing line and
/// `regenerate`, the command that makes it current.
pub fn ensure_file_contents(
    relative: &str,
    contents: &str,
    mode: Mode,
    regenerate: &str,
) -> Result<()> {
    ensure_at(
        &project_root().join(relative),
        relative,
        contents,
        mode,
        regenerate,
    )
}

/// [`ensure_file_contents`] for any `path`, shown in messages as `shown`.
pub fn ensure_at(
    path: &Path,
    shown: &str,
    contents: &str,
    mode: Mode,
    regenerate: &str,
) -> Result<()> {
    let actual = fs::read_to_string(path).ok();
    if actual.as_deref() == Some(contents) {
        eprintln!("{shown} is up to date");
        return Ok(());
    }
    match mode {
        Mode::Check => bail!(
            "{shown} is not what the code generates ({}); run `{regenerate}` and commit the \
             result",
            first_difference(contents, actual.as_deref().unwrap_or_default())
        ),
        Mode::Write => {
            fs::create_dir_all(path.parent().expect("a generated file lives in a folder"))
                .with_context(|| format!("creating the folder of {shown}"))?;
            fs::write(path, contents).with_context(|| format!("writing {shown}"))?;
            eprintln!("wrote {shown}");
            Ok(())
        }
    }
}

/// `line N: expected `…`, found `…`` for the first line where a generated file and its
/// checked-in copy differ.
pub fn first_difference(expected: &str, actual: &str) -> String {
    expected
        .lines()
        .zip(actual.lines().chain(std::iter::repeat("<end of file>")))
        .enumerate()
        .find(|(_, (e, a))| e != a)
        .map(|(i, (e, a))| format!("line {}: expected `{e}`, found `{a}`", i + 1))
        .unwrap_or_else(|| "the checked-in file is longer than the generated one".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_mode_fails_naming_the_line_and_the_command_and_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.txt");
        fs::write(&path, "a\nb\n").unwrap();
        let error = ensure_at(&path, "out.txt", "a\nc\n", Mode::Check, "cargo xtask gen")
            .unwrap_err()
            .to_string();
        assert!(error.contains("line 2: expected `c`, found `b`"), "{error}");
        assert!(error.contains("`cargo xtask gen`"), "{error}");
        assert_eq!(fs::read_to_string(&path).unwrap(), "a\nb\n");
    }

    #[test]
    fn write_mode_creates_the_file_and_its_folder() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new/out.txt");
        ensure_at(&path, "out.txt", "x\n", Mode::Write, "gen").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "x\n");
        ensure_at(&path, "out.txt", "x\n", Mode::Check, "gen").unwrap();
    }

    #[test]
    fn a_missing_file_fails_the_check() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("absent.txt");
        assert!(ensure_at(&path, "absent.txt", "x\n", Mode::Check, "gen").is_err());
    }
}
