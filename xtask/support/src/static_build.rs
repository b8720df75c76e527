//! The cargo command of the image's static `author-stats` build, in one place for the image
//! crate that runs it and for `cargo xtask ci`, which starts the test profile's build early
//! (niced, beside the test build) so the image tests find it done: `cargo build --profile
//! <p> --target <triple>` with `+crt-static` and the checkout's paths remapped, plain rustc.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::shell::{cargo, forget_package_env, project_root};

/// The cargo profile of the image tests' static build (Cargo.toml's `[profile.image-test]`).
pub const TEST_PROFILE: &str = "image-test";

/// `cargo build` of the author-stats binary for `target` in `profile`, statically linked.
pub fn command(target: &str, profile: &str) -> Command {
    with_build_args(cargo(), target, profile)
}

/// The same build under `nice -n 19`: it takes only the CPU other work leaves idle.
pub fn niced_command(target: &str, profile: &str) -> Command {
    let mut nice = Command::new("nice");
    nice.current_dir(project_root())
        .args(["-n", "19"])
        .arg(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    forget_package_env(&mut nice);
    with_build_args(nice, target, profile)
}

fn with_build_args(mut cmd: Command, target: &str, profile: &str) -> Command {
    cmd.args(["build", "--profile", profile, "--target", target])
        .args(["--package", "author-stats", "--bin", "author-stats"])
        .env_remove("RUSTFLAGS")
        // The shipped build is plain rustc, also when started from a linting test run.
        .env_remove("RUSTC_WORKSPACE_WRAPPER")
        .env_remove("CLIPPY_ARGS")
        .env("CARGO_ENCODED_RUSTFLAGS", rustflags().join("\x1f"));
    cmd
}

/// `-C target-feature=+crt-static`, plus path remapping so the binary does not embed this
/// checkout's or this user's directories (the image is then the same from any clone path).
pub fn rustflags() -> Vec<String> {
    let mut flags = vec!["-C".to_owned(), "target-feature=+crt-static".to_owned()];
    flags.push(format!(
        "--remap-path-prefix={}=/src",
        project_root().display()
    ));
    if let Some(home) = cargo_home() {
        flags.push(format!("--remap-path-prefix={}=/cargo", home.display()));
    }
    flags
}

fn cargo_home() -> Option<PathBuf> {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo")))
}
