//! The `xtask-lifecycle` binary as the engine walk-throughs run it (`lifecycle_moto.rs`,
//! `lifecycle_localstack.rs`): `--stages-file F --output json --poll-interval 0.05`, under
//! `CI=true`, with the engine's endpoint and test credentials set by `engine`; the stage
//! file they write and the outputs they read.

use std::path::{Path, PathBuf};
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

/// A stage file with one stage `name` reading from bucket `export-<name>`, logs kept 7 days,
/// and `extra` (more `Key = "value"` lines of its parameters).
pub(crate) fn stage_file(dir: &Path, name: &str, extra: &str) -> PathBuf {
    let path = dir.join("stages.toml");
    std::fs::write(
        &path,
        format!(
            "[{name}]\n[{name}.parameters]\nSourceBucketName = \"export-{name}\"\n\
             LogRetentionDays = 7\n{extra}"
        ),
    )
    .unwrap();
    path
}

/// The stack output `name` of a deploy's report.
pub(crate) fn output(report: &Value, name: &str) -> String {
    report["outputs"][name]
        .as_str()
        .unwrap_or_else(|| panic!("no output {name}: {report:#}"))
        .to_owned()
}
