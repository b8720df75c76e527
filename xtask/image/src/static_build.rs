//! The static build of `author-stats` that goes into the image: `cargo build --release
//! --target <triple>` with `+crt-static`, so the executable needs no libc or loader at run
//! time. `--target` keeps these artifacts in `target/<triple>/<profile>/`, away from host
//! builds, and keeps the flags off build scripts and proc macros. Tests build the same
//! sources in the unoptimised `image-test` profile ([`Profile::Test`]): minutes less.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{bail, Context, Result};

use crate::{elf, Arch};
use xtask_support::shell::display;

/// Which cargo profile the static executable is built in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Profile {
    /// `release`: what is shipped (optimised, thin LTO, stripped).
    Release,
    /// `image-test` (Cargo.toml): unoptimised and stripped, for tests of the image's
    /// assembly, layout, push and boot; the same sources and flags otherwise. Its
    /// dependencies compile in a fraction of a release build's time.
    Test,
}

impl Profile {
    /// The cargo profile's name.
    pub fn name(self) -> &'static str {
        match self {
            Profile::Release => "release",
            Profile::Test => xtask_support::static_build::TEST_PROFILE,
        }
    }
}

/// Builds the static executable for `arch` in `profile` and returns its path, after
/// checking that it is static and for the right CPU.
pub fn build(arch: Arch, profile: Profile) -> Result<PathBuf> {
    let target = arch.rust_target();
    ensure_target_installed(target)?;
    let mut cmd = xtask_support::static_build::command(target, profile.name());
    cmd.arg("--message-format=json-render-diagnostics")
        .stdout(Stdio::piped());
    eprintln!(
        "$ RUSTFLAGS='{}' {}",
        xtask_support::static_build::rustflags().join(" "),
        display(&cmd)
    );
    let mut child = cmd
        .spawn()
        .context("could not start cargo for the static build")?;
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut executable = None;
    for line in BufReader::new(stdout).lines() {
        let line = line.context("reading cargo's build messages")?;
        if let Some(path) = artifact_executable(&line) {
            executable = Some(path);
        }
    }
    let status = child.wait()?;
    if !status.success() {
        bail!(
            "the static {} build of author-stats failed ({status}): see cargo's errors above",
            profile.name()
        );
    }
    let executable =
        executable.context("cargo reported no author-stats executable for the static build")?;
    check_static(&executable, arch)?;
    Ok(executable)
}

/// The `executable` of a `compiler-artifact` message for the author-stats binary.
fn artifact_executable(line: &str) -> Option<PathBuf> {
    let msg: serde_json::Value = serde_json::from_str(line).ok()?;
    if msg["reason"] != "compiler-artifact" || msg["target"]["name"] != "author-stats" {
        return None;
    }
    let is_bin = msg["target"]["kind"]
        .as_array()
        .is_some_and(|k| k.iter().any(|k| k == "bin"));
    is_bin
        .then(|| msg["executable"].as_str().map(PathBuf::from))
        .flatten()
}

/// Fails with how to add the target when its standard library is not installed.
fn ensure_target_installed(target: &str) -> Result<()> {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let out = Command::new(&rustc)
        .args(["--print", "target-libdir", "--target", target])
        .output()
        .context("could not run rustc to find the installed targets")?;
    let libdir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    let has_std = out.status.success()
        && std::fs::read_dir(&libdir).is_ok_and(|entries| {
            entries
                .flatten()
                .any(|e| e.file_name().to_string_lossy().starts_with("libstd-"))
        });
    if !has_std {
        bail!(
            "the Rust target {target} is not installed: run `rustup target add {target}` \
             (a cross build also needs a linker for it, e.g. Debian's gcc-aarch64-linux-gnu \
             with CARGO_TARGET_{}_LINKER=aarch64-linux-gnu-gcc)",
            target.to_uppercase().replace('-', "_")
        );
    }
    Ok(())
}

fn check_static(path: &Path, arch: Arch) -> Result<()> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let facts = elf::inspect(&bytes).with_context(|| format!("checking {}", path.display()))?;
    if facts.has_interpreter {
        bail!(
            "{} is dynamically linked (it has an ELF interpreter), so it cannot run in an image \
             without libc: build with RUSTFLAGS='-C target-feature=+crt-static'",
            path.display()
        );
    }
    if facts.machine != arch.elf_machine() {
        bail!(
            "{} is not an {} executable (ELF machine {:#x})",
            path.display(),
            arch,
            facts.machine
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_artifact_message_for_the_binary_gives_its_path() {
        let line = r#"{"reason":"compiler-artifact","target":{"name":"author-stats","kind":["bin"]},"executable":"/t/author-stats"}"#;
        assert_eq!(
            artifact_executable(line),
            Some(PathBuf::from("/t/author-stats"))
        );
        let lib = r#"{"reason":"compiler-artifact","target":{"name":"author-stats","kind":["lib"]},"executable":null}"#;
        assert_eq!(artifact_executable(lib), None);
        assert_eq!(artifact_executable("Compiling x"), None);
    }

    #[test]
    fn a_missing_target_names_the_rustup_command() {
        let err = ensure_target_installed("riscv64gc-unknown-none-elf")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("rustup target add riscv64gc-unknown-none-elf"),
            "{err}"
        );
    }
}
