//! Finding a Python interpreter of one minor version on this machine (LocalStack needs 3.13
//! where the default `python3` may be older): an environment variable naming it, else the
//! newest matching install under pyenv's `versions/`, else `python3.X` on `PATH`. Never
//! downloads one: a machine without it gets a one-line error naming the variable to set.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

/// A Python minor version wanted by a tool, and the variable that overrides the search.
#[derive(Clone, Copy, Debug)]
pub struct Wanted {
    /// `(3, 13)`.
    pub version: (u32, u32),
    /// Names an interpreter to use instead of searching (`XTASK_PYTHON313`).
    pub env_var: &'static str,
    /// Who needs it, for the error.
    pub needed_by: &'static str,
}

impl Wanted {
    /// The interpreter's path, checked to be the wanted version.
    pub fn find(&self) -> Result<PathBuf> {
        let (major, minor) = self.version;
        let program = format!("python{major}.{minor}");
        let candidate = std::env::var_os(self.env_var)
            .map(PathBuf::from)
            .or_else(|| pyenv_root().and_then(|root| newest_under(&root, self.version)))
            .or_else(|| crate::tools::on_path(&program).then(|| PathBuf::from(&program)));
        let Some(python) = candidate else {
            bail!(
                "{} need Python {major}.{minor}, which is not on this machine (not in pyenv's \
                 versions, no {program} on PATH): install it (e.g. `pyenv install \
                 {major}.{minor}`, or Debian's {program}) or set {} to its path",
                self.needed_by,
                self.env_var
            );
        };
        let found = version_of(&python)?;
        if found != self.version {
            bail!(
                "{} need Python {major}.{minor}, but {} is {}.{}: set {} to a Python \
                 {major}.{minor}",
                self.needed_by,
                python.display(),
                found.0,
                found.1,
                self.env_var
            );
        }
        Ok(python)
    }
}

/// pyenv's root: `PYENV_ROOT`, else `~/.pyenv`.
fn pyenv_root() -> Option<PathBuf> {
    std::env::var_os("PYENV_ROOT")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".pyenv")))
}

/// `<root>/versions/X.Y.Z/bin/pythonX.Y` with the highest Z (pre-releases and versions
/// without that program skipped).
fn newest_under(root: &Path, (major, minor): (u32, u32)) -> Option<PathBuf> {
    let prefix = format!("{major}.{minor}.");
    std::fs::read_dir(root.join("versions"))
        .ok()?
        .filter_map(|entry| {
            let name = entry.ok()?.file_name().into_string().ok()?;
            let patch: u32 = name.strip_prefix(&prefix)?.parse().ok()?;
            let program = root
                .join("versions")
                .join(&name)
                .join("bin")
                .join(format!("python{major}.{minor}"));
            program.is_file().then_some((patch, program))
        })
        .max_by_key(|(patch, _)| *patch)
        .map(|(_, program)| program)
}

/// `(major, minor)` of the interpreter `python`, by running it.
pub fn version_of(python: &Path) -> Result<(u32, u32)> {
    let out = Command::new(python)
        .args([
            "-c",
            "import sys; print(sys.version_info[0], sys.version_info[1])",
        ])
        .output()
        .with_context(|| format!("cannot run {}", python.display()))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let mut parts = text.split_whitespace().map(str::parse::<u32>);
    match (out.status.success(), parts.next(), parts.next()) {
        (true, Some(Ok(major)), Some(Ok(minor))) => Ok((major, minor)),
        _ => bail!(
            "{} does not report its version: {}",
            python.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_newest_patch_release_of_the_minor_version_is_taken() {
        let root = tempfile::tempdir().unwrap();
        for (version, program) in [
            ("3.13.0", "python3.13"),
            ("3.13.2", "python3.13"),
            ("3.13.10", "python3.13"),
            ("3.13.11rc1", "python3.13"),
            ("3.13.12", "python3"),
            ("3.14.0", "python3.14"),
            ("3.12.9", "python3.12"),
        ] {
            let bin = root.path().join("versions").join(version).join("bin");
            std::fs::create_dir_all(&bin).unwrap();
            std::fs::write(bin.join(program), b"").unwrap();
        }
        assert_eq!(
            newest_under(root.path(), (3, 13)),
            Some(root.path().join("versions/3.13.10/bin/python3.13"))
        );
        assert_eq!(newest_under(root.path(), (3, 11)), None);
    }

    #[test]
    fn a_version_not_on_the_machine_is_an_error_naming_the_variable_to_set() {
        let wanted = Wanted {
            version: (2, 1),
            env_var: "XTASK_TEST_PYTHON21_UNSET",
            needed_by: "a test",
        };
        let error = wanted.find().unwrap_err().to_string();
        assert!(
            error.contains("need Python 2.1, which is not on this machine")
                && error.contains("set XTASK_TEST_PYTHON21_UNSET to its path"),
            "{error}"
        );
    }
}
