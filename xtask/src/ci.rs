//! `cargo xtask ci`: every check CI runs, in order, failing on the first that fails.

use std::path::PathBuf;

use anyhow::Result;

use crate::pytools::{ensure_venv, venv_bin};
use crate::shell::{cargo, run};
use crate::synth;

/// The local S3 the job's S3 and Lambda tests (and `bench --s3`) run against, pinned.
pub const MOTO_REQUIREMENT: &str = "moto[server]==5.2.5";
/// Its venv under `target/tools/`; the tests look for `moto-venv/bin/moto_server` there.
pub const MOTO_VENV: &str = "moto";

/// Install moto into `target/tools/moto-venv` (once; later calls are instant) and return
/// the path of its `moto_server` program.
pub fn install_moto() -> Result<PathBuf> {
    let venv = ensure_venv(MOTO_VENV, &[MOTO_REQUIREMENT])?;
    Ok(venv_bin(&venv, "moto_server"))
}

#[derive(clap::Args)]
pub struct Ci {}

impl Ci {
    pub fn run(self) -> Result<()> {
        run(cargo().args(["fmt", "--all", "--", "--check"]))?;
        run(cargo().args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]))?;
        // The job's tests/s3_*.rs and tests/lambda_*.rs start this local S3.
        install_moto()?;
        // xtask's tests/registry_*.rs push to a local registry and read back with skopeo.
        install_registry_test_tools()?;
        run(cargo().args(["test", "--workspace"]))?;
        // The CloudFormation template: current, and clean for cfn-lint and checkov.
        synth::check_up_to_date()?;
        synth::cfn_lint()?;
        synth::checkov()?;
        // The CDK app: builds, and `cdk synth` gives the template back.
        crate::cdk::check()?;
        Ok(())
    }
}

/// Debian packages the image push tests need: the registry, skopeo, and htpasswd.
pub const REGISTRY_TEST_PACKAGES: [(&str, &str); 3] = [
    ("docker-registry", "docker-registry"),
    ("skopeo", "skopeo"),
    ("htpasswd", "apache2-utils"),
];

/// Install `docker-registry skopeo apache2-utils` with apt when a program is missing (CI
/// runs as root on Debian); otherwise a one-line error saying what to install.
pub fn install_registry_test_tools() -> Result<()> {
    let missing: Vec<&str> = REGISTRY_TEST_PACKAGES
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
            "the registry push tests need {} (missing): run `cargo xtask ci` as root, or \
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

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
}
