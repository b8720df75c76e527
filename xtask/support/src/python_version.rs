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
            .or_else(|| newest_under_pyenv(self.version))
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

/// `<pyenv root>/versions/X.Y.Z/bin/pythonX.Y` with the highest Z (pre-releases skipped):
/// the root is `PYENV_ROOT`, else `~/.pyenv`.
fn newest_under_pyenv((major, minor): (u32, u32)) -> Option<PathBuf> {
    let root = std::env::var_os("PYENV_ROOT")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".pyenv")))?;
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
