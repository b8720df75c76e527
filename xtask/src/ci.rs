//! `cargo xtask ci`: every check CI runs, in order, failing on the first that fails.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;

use xtask_stacks::{template_lint, templates};
use xtask_support::generated::Mode;
use xtask_support::python::install_moto;
use xtask_support::shell::{cargo, run};
use xtask_support::tools::{
    install_missing, install_registry_test_tools, tools_dir, CDK_CHECK_PACKAGES,
};

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
        let no_files = tools_dir().join("no-aws-config");
        run(cargo()
            .args(["test", "--workspace"])
            .env("RUSTC_WORKSPACE_WRAPPER", clippy_driver()?)
            .env("CLIPPY_ARGS", CLIPPY_ARGS)
            // A test whose tool is missing fails here instead of skipping (testkit::tools).
            .env("CI", "true")
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
        templates::ensure(Mode::Check)?;
        template_lint::cfn_lint()?;
        template_lint::checkov()?;
        xtask_stacks::asl_check::check()?;
        crate::forward::cdk_synth_check()?;
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
