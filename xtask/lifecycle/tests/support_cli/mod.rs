//! The `xtask-lifecycle` binary as the engine walk-throughs run it (`lifecycle_moto.rs`,
//! `lifecycle_localstack.rs`): `--stages-file F --output json --poll-interval 0.05`, under
//! `CI=true`, with the engine's endpoint and test credentials set by `engine`.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

/// Run `xtask-lifecycle <args>` against the engine `engine` configures; its output and
/// stderr (also echoed, so a failing test shows what the binary said).
pub(crate) fn xtask(
    engine: &dyn Fn(&mut Command),
    args: &[&str],
    stages: &Path,
) -> (Output, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_xtask-lifecycle"));
    cmd.args(args).arg("--stages-file").arg(stages).args([
        "--output",
        "json",
        "--poll-interval",
        "0.05",
    ]);
    engine(&mut cmd);
    cmd.env("CI", "true");
    let out = cmd.output().expect("xtask runs");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    eprintln!("$ xtask {}\n{stderr}", args.join(" "));
    (out, stderr)
}

/// The JSON report of a command that must have succeeded.
pub(crate) fn report(engine: &dyn Fn(&mut Command), args: &[&str], stages: &Path) -> Value {
    let (out, stderr) = xtask(engine, args, stages);
    assert!(out.status.success(), "xtask {args:?} failed:\n{stderr}");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "xtask {args:?} printed no JSON report ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}
