//! `cargo xtask ci`: every check CI runs, in order, failing on the first that fails.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;

use crate::generated::Mode;
use crate::pytools::{ensure_venv, venv_bin};
use crate::shell::{cargo, run};
use crate::{template, template_lint};

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
        let started = Instant::now();
        let step = |name: &str, since: Instant| {
            eprintln!(
                "ci: {name} done in {:.0} s ({:.0} s in all)",
                since.elapsed().as_secs_f64(),
                started.elapsed().as_secs_f64()
            );
        };
        let t = Instant::now();
        run(cargo().args(["fmt", "--all", "--", "--check"]))?;
        // The AWS tests start moto; the registry tests push to a local registry and read
        // back with skopeo; the CDK check needs Node.js (preinstalled here, else Debian's).
        install_moto()?;
        install_registry_test_tools()?;
        install_missing("the CDK check", &CDK_CHECK_PACKAGES)?;
        step("formatting and test tools", t);

        // One build for lints and tests: clippy-driver compiles the workspace's own crates
        // (all targets a test run builds, every lint, warnings denied) and the dependencies
        // are compiled once, for the tests. `cargo clippy` would check every dependency a
        // second time: a fifth of a CI run.
        let t = Instant::now();
        // Never off loopback: no instance-metadata probe, and no credentials but those each
        // test sets for its own emulator (no profile, no shared files of this machine).
        let no_files = crate::pytools::tools_dir().join("no-aws-config");
        run(cargo()
            .args(["test", "--workspace"])
            .env("RUSTC_WORKSPACE_WRAPPER", clippy_driver()?)
            .env("CLIPPY_ARGS", CLIPPY_ARGS)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_CONFIG_FILE", &no_files)
            .env("AWS_SHARED_CREDENTIALS_FILE", &no_files)
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .env_remove("AWS_SESSION_TOKEN"))?;
        step("clippy and tests", t);

        // The CloudFormation template: current, and clean for cfn-lint and checkov; the
        // CDK app builds, and `cdk synth` gives the template back.
        let t = Instant::now();
        template::ensure(Mode::Check)?;
        template_lint::cfn_lint()?;
        template_lint::checkov()?;
        crate::asl_check::check()?;
        crate::cdk::check()?;
        step("template checks", t);
        Ok(())
    }
}

/// The one thing CI adds to the lint policy of `[workspace.lints]` (Cargo.toml): a warning
/// fails the build. (clippy-driver reads its extra arguments from `CLIPPY_ARGS`.)
pub const CLIPPY_ARGS: &str = "-Dwarnings";

/// `clippy-driver` of the toolchain running us (beside `$CARGO`), else from `PATH`.
pub fn clippy_driver() -> Result<PathBuf> {
    let beside_cargo = std::env::var_os("CARGO")
        .map(PathBuf::from)
        .and_then(|cargo| cargo.parent().map(|dir| dir.join("clippy-driver")))
        .filter(|path| path.is_file());
    let on_path = || {
        std::env::var_os("PATH").and_then(|path| {
            std::env::split_paths(&path)
                .map(|dir| dir.join("clippy-driver"))
                .find(|p| p.is_file())
        })
    };
    beside_cargo.or_else(on_path).ok_or_else(|| {
        anyhow::anyhow!("clippy is not installed: run `rustup component add clippy`")
    })
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

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
}
