//! The verbs that run as their own binaries: the AWS verbs (`xtask-lifecycle`) and the CDK
//! export (`xtask-cdk`). `cargo xtask` passes their arguments through unparsed to
//! `cargo run --package <binary>`, so each is compiled on first use only, and exits with
//! the binary's own exit status (3 for a declined confirmation, as the README lists). A flag
//! that needs a cargo feature of xtask itself (`bench --cold-start`) runs the same way.

use std::ffi::OsString;

use anyhow::{Context, Result};
use xtask_support::shell::{cargo, display};

/// A verb's arguments, passed through to its binary unparsed (`--help` included).
#[derive(clap::Args, Debug)]
#[command(disable_help_flag = true)]
pub struct Forward {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    args: Vec<OsString>,
}

/// The binary holding the AWS verbs.
pub const LIFECYCLE: &str = "xtask-lifecycle";
/// The binary holding the CDK export.
pub const CDK: &str = "xtask-cdk";

impl Forward {
    /// Run `verb` (`None`: the binary is the verb) of `binary` with the given arguments and
    /// exit with its status; returns only when it succeeded.
    pub fn run(self, binary: &str, verb: Option<&str>, verbose: bool) -> Result<()> {
        let mut cmd = cargo();
        cmd.args(["run", "--quiet", "--package", binary, "--bin", binary, "--"]);
        if verbose {
            cmd.arg("--verbose");
        }
        cmd.args(verb).args(&self.args);
        run_passing_status(cmd)
    }
}

/// Run this same `cargo xtask` command again as xtask built with `feature` (compiled on first
/// use, so the light verbs never compile what only it needs) and exit with its status;
/// returns only when it succeeded.
pub fn with_feature(feature: &str) -> Result<()> {
    let mut cmd = cargo();
    cmd.args([
        "run",
        "--quiet",
        "--package",
        "xtask",
        "--features",
        feature,
        "--",
    ]);
    cmd.args(std::env::args_os().skip(1));
    run_passing_status(cmd)
}

/// `cargo xtask cdk --check --generated-only` (what `synth --check` adds for the CDK app).
pub fn cdk_generated_check() -> Result<()> {
    let mut cmd = cargo();
    cmd.args(["run", "--quiet", "--package", CDK, "--bin", CDK, "--"]);
    cmd.args(["--check", "--generated-only"]);
    run_passing_status(cmd)
}

/// Runs `cmd`; on failure exits this process with the child's status (its stderr already
/// said why, in one line), so exit codes such as 3 reach the caller unchanged.
fn run_passing_status(mut cmd: std::process::Command) -> Result<()> {
    let status = cmd
        .status()
        .with_context(|| format!("could not start `{}`: is cargo on PATH?", display(&cmd)))?;
    if !status.success() {
        std::process::exit(status.code().unwrap_or(1));
    }
    Ok(())
}
