//! `cargo xtask ci`: every check CI runs, in order, failing on the first that fails.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;

use xtask_stacks::{template_lint, templates};
use xtask_support::generated::Mode;
use xtask_support::python::{self, install_localstack, install_moto};
use xtask_support::shell::{cargo, display, run, target_dir};
use xtask_support::static_build;
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
        step("formatting", t);

        // The tools install while the tests compile (with uv: downloads and unpacking, a few
        // seconds of CPU; pip took minutes of the compiler's): the AWS tests start moto, the
        // full-stack lifecycle test LocalStack (with the machine's Python 3.13); the
        // registry tests push to a local registry and read back with skopeo; the CDK check
        // needs Node.js (preinstalled here, else Debian's); the browser tests drive Chromium;
        // the image boot test unpacks with umoci and runs with runc; the template checks run
        // cfn-lint and checkov.
        let tools = std::thread::spawn(|| -> Result<()> {
            install_moto()?;
            install_localstack()?;
            install_registry_test_tools()?;
            install_missing("the CDK check", &CDK_CHECK_PACKAGES)?;
            install_missing("the browser tests", &[("chromium", "chromium")])?;
            install_missing(
                "the image boot test",
                &[("runc", "runc"), ("umoci", "umoci")],
            )?;
            for tool in [python::CFN_LINT, python::CHECKOV] {
                python::ensure_venv(tool.name, tool.requirements)?;
            }
            Ok(())
        });

        // The image tests' static build of the job (`target/<triple>/image-test`, its own
        // lock) starts now under `nice -n 19`: it takes the CPU the test build leaves idle,
        // and the rest while the tests wait on moto, so the image tests find it done.
        let image_build = EarlyImageBuild::start()?;

        // One build for lints and tests: clippy-driver compiles the workspace's own crates
        // (all targets a test run builds, every lint, warnings denied) and the dependencies
        // are compiled once, for the tests. `cargo clippy` would check every dependency a
        // second time: a fifth of a CI run.
        let t = Instant::now();
        run(&mut tests(&["--no-run"])?)?;
        step("clippy and the test build", t);
        let t = Instant::now();
        tools
            .join()
            .map_err(|_| anyhow::anyhow!("installing the test tools panicked"))??;
        step("waiting for the test tools", t);
        // The template checks run beside the tests, which spend much of their time waiting
        // on emulators and processes, where they took 3–4 minutes after them: cfn-lint and
        // checkov (Python, one core at most) and the CDK app's build, `cdk synth` and
        // cdk-nag (Node), with the xtask-cdk the test build made (not `cargo run`: the test
        // run holds the build folder's lock). The state machine's validator is a test
        // (xtask/stacks/tests/state_machine.rs).
        let checks = std::thread::spawn(template_checks);
        let t = Instant::now();
        let tested = run(&mut tests(&[])?);
        step("tests", t);
        let t = Instant::now();
        let checked = checks
            .join()
            .unwrap_or_else(|_| Err(anyhow::anyhow!("the template checks panicked")));
        step("waiting for the template checks", t);
        tested?;
        checked?;
        image_build.finish()?;
        Ok(())
    }
}

/// The CloudFormation template: current, and clean for cfn-lint and checkov; the CDK app
/// builds, and `cdk synth` gives the template back, with no unacknowledged cdk-nag finding.
fn template_checks() -> Result<()> {
    let started = Instant::now();
    templates::ensure(Mode::Check)?;
    template_lint::cfn_lint()?;
    template_lint::checkov()?;
    let cdk = built_binary(crate::forward::CDK)?;
    run(std::process::Command::new(&cdk).arg("--check"))?;
    eprintln!(
        "ci: template checks done in {:.0} s (beside the tests)",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// A workspace binary the test build made (`target/debug/<name>`).
fn built_binary(name: &str) -> Result<PathBuf> {
    let path = target_dir().join("debug").join(name);
    if !path.is_file() {
        anyhow::bail!(
            "{} is missing after the test build: `cargo test --workspace --no-run` should \
             have built it (its package has tests)",
            path.display()
        );
    }
    Ok(path)
}

/// The static build the image tests use (as `xtask_image::static_build` runs it for the
/// x86_64 image they build), started early; stopped if CI stops before it is waited for.
struct EarlyImageBuild {
    child: Option<std::process::Child>,
    log: PathBuf,
}

impl EarlyImageBuild {
    fn start() -> Result<EarlyImageBuild> {
        std::fs::create_dir_all(tools_dir())?;
        let log = tools_dir().join("image-test-build.log");
        let out = std::fs::File::create(&log)?;
        let mut cmd =
            static_build::niced_command("x86_64-unknown-linux-gnu", static_build::TEST_PROFILE);
        cmd.stdout(out.try_clone()?).stderr(out);
        eprintln!("$ {} > {}", display(&cmd), log.display());
        Ok(EarlyImageBuild {
            child: Some(cmd.spawn()?),
            log,
        })
    }

    /// Waits for it; a failure points at its log (the image tests, which ran the same
    /// build themselves, will have said more).
    fn finish(mut self) -> Result<()> {
        let status = self.child.take().expect("waited once").wait()?;
        if !status.success() {
            anyhow::bail!(
                "the early static build for the image tests failed ({status}); its log: {}",
                self.log.display()
            );
        }
        Ok(())
    }
}

impl Drop for EarlyImageBuild {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// `cargo test --workspace <extra>` as CI runs it ([`linted_cargo`]).
fn tests(extra: &[&str]) -> Result<std::process::Command> {
    let mut cmd = linted_cargo()?;
    // With xtask's `cold-start` feature, so the bench's cold start is linted and tested too.
    cmd.args(["test", "--workspace", "--features", "xtask/cold-start"])
        .args(extra);
    Ok(cmd)
}

/// `cargo` as CI runs it: the workspace's crates compiled through clippy-driver (warnings
/// denied), tool-backed tests failing rather than skipping, and nothing but loopback.
fn linted_cargo() -> Result<std::process::Command> {
    let mut cmd = cargo();
    // Never off loopback: no instance-metadata probe, and no credentials but those each
    // test sets for its own emulator (no profile, no shared files of this machine).
    let no_files = tools_dir().join("no-aws-config");
    cmd.env("RUSTC_WORKSPACE_WRAPPER", clippy_driver()?)
        .env("CLIPPY_ARGS", CLIPPY_ARGS)
        // A test whose tool is missing fails here instead of skipping (testkit::tools).
        .env("CI", "true")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", &no_files)
        .env("AWS_SHARED_CREDENTIALS_FILE", &no_files)
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_SESSION_TOKEN");
    Ok(cmd)
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
