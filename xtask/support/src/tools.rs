//! The folder the checks and tests install their tools into (`target/tools/`), and the
//! Debian packages some of them need: installed with apt when running as root (as CI does),
//! otherwise a one-line error naming the `apt-get` command.

use std::path::PathBuf;

use anyhow::Result;

use crate::shell::{run, target_dir};

/// Where the tools live: `<target dir>/tools/`.
pub fn tools_dir() -> PathBuf {
    target_dir().join("tools")
}

/// Debian packages the image push tests need: the registry, skopeo, and htpasswd.
pub const REGISTRY_TEST_PACKAGES: [(&str, &str); 3] = [
    ("docker-registry", "docker-registry"),
    ("skopeo", "skopeo"),
    ("htpasswd", "apache2-utils"),
];

/// Node.js and npm for the CDK check (`cdk::check`), when the machine has none.
pub const CDK_CHECK_PACKAGES: [(&str, &str); 2] = [("node", "nodejs"), ("npm", "npm")];

/// Install `docker-registry skopeo apache2-utils` with apt when a program is missing (CI
/// runs as root on Debian); otherwise a one-line error saying what to install.
pub fn install_registry_test_tools() -> Result<()> {
    install_missing("the registry push tests", &REGISTRY_TEST_PACKAGES)
}

/// The Debian packages of `programs` (program, package) that are not on PATH, installed
/// with apt as root; without root, a one-line error naming the `apt-get` command.
pub fn install_missing(needed_by: &str, programs: &[(&str, &str)]) -> Result<()> {
    let missing: Vec<&str> = programs
        .iter()
        .filter(|(program, _)| !on_path(program))
        .map(|(_, package)| *package)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let is_root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0");
    if !is_root {
        anyhow::bail!(
            "{needed_by} need {} (missing): run `cargo xtask ci` as root, or \
             `sudo apt-get install -y {}`",
            missing.join(", "),
            missing.join(" ")
        );
    }
    run(std::process::Command::new("apt-get").args(["update", "-q"]))?;
    run(std::process::Command::new("apt-get")
        .args(["install", "-y", "-q", "--no-install-recommends"])
        .args(&missing)
        .env("DEBIAN_FRONTEND", "noninteractive"))?;
    Ok(())
}

/// Whether `program` is on `PATH`.
pub fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
}
