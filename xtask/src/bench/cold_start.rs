//! `cargo xtask bench --cold-start [N]`: the release image's cold start as Lambda starts a
//! function. The image is built as `cargo xtask build` builds it (with a test CA as its
//! `--ca-bundle`), unpacked once by umoci, and run N times by runc in Lambda's sandbox
//! (`testkit::runc`: loopback-only network), a fresh container each time, served by
//! `testkit`'s Runtime API bound inside it; its first invocation is a real daily run of a
//! small export, read from and published to moto behind `testkit`'s TLS endpoint. Prints
//! the median and the maximum of two spans from `runc run` (`runc create` + `runc start`):
//! to the first `/next`, and to the end of the first invocation. Without runc, umoci or
//! root it prints one line saying what it skipped.

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use contract::defaults::{self, SAMPLE_NOW};
use contract::env;
use contract::files::{AUTHORS_FILE, EXPORT_PREFIX, POSTS_FILE};
use serde_json::{json, Value};
use testkit::runc::{
    lambda_environment, lambda_sandbox, unpack, Container, RUNTIME_API_PORT, S3_PORT,
};
use testkit::runtime_api::{Outcome, RuntimeApi};
use testkit::tls_endpoint::TlsEndpoint;
use testkit::tools::Tool;
use xtask_image::{self as image, Arch, BuildOptions, Profile};
use xtask_support::python::install_moto;
use xtask_support::shell::project_root;

use super::data_set::DataSet;
use super::moto::Moto;

/// The export the first invocation reads: small, so the figure is the start and one
/// real run over TLS, not moto's speed at serving a large object.
const EXPORT: DataSet = DataSet {
    name: "cold-start-export",
    authors: 40,
    posts: 800,
    body_bytes: 300,
};
const SOURCE_BUCKET: &str = "cold-start-export";
const FUNCTION: &str = "author-stats-cold-start";
/// How long one first invocation may take before the bench gives up on it.
const INVOCATION_TIMEOUT: Duration = Duration::from_secs(120);

/// One cold start: from `runc run` (its first step, `runc create`) to the function's first
/// `/next`, and to the end of its first invocation (its response posted).
struct ColdStart {
    to_first_next: Duration,
    to_first_response: Duration,
    summary: Value,
}

/// Build, unpack once, start `starts` fresh containers and print the figures; one line
/// and nothing else when runc, umoci or root is missing.
pub(super) fn run(starts: u32) -> Result<()> {
    let missing: Vec<String> = [Tool::Runc, Tool::Umoci]
        .into_iter()
        .filter_map(Tool::missing)
        .collect();
    if !missing.is_empty() {
        println!(
            "\ncold start: skipped, {} missing: install runc and umoci with `sudo apt-get \
             install -y runc umoci` and run the bench as root",
            missing.join(", ")
        );
        return Ok(());
    }
    let dir = project_root().join("target/bench/cold-start");
    if dir.exists() {
        fs::remove_dir_all(&dir).with_context(|| format!("cannot empty {}", dir.display()))?;
    }
    fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;

    let moto = Moto::start(&install_moto()?, "cold-start")?;
    let tls = TlsEndpoint::start(moto.addr());
    let ca = dir.join("test-ca.pem");
    fs::write(&ca, tls.ca_pem())?;
    let built = image::build(&BuildOptions {
        arch: Arch::X86_64,
        ca_bundle: ca,
        layout_dir: dir.join("layout"),
        profile: Profile::Release,
    })?;
    let export = EXPORT.ensure()?;
    moto.create_bucket(SOURCE_BUCKET)?;
    for name in [POSTS_FILE, AUTHORS_FILE] {
        moto.put_file(
            &format!("/{SOURCE_BUCKET}/{EXPORT_PREFIX}{name}"),
            &export.join(name),
        )?;
    }
    let bundle = dir.join("bundle");
    unpack(&built.layout_dir, image::LAYOUT_TAG, &bundle)?;

    let mut runs = Vec::new();
    for n in 1..=starts {
        let charts = format!("cold-start-charts-{n}");
        moto.create_bucket(&charts)?;
        let state = dir.join(format!("run-{n}"));
        fs::create_dir_all(&state)?;
        runs.push(cold_start(&bundle, &state, &tls, &charts)?);
    }
    print(&runs);
    Ok(())
}

/// One fresh container from the unpacked bundle, its first invocation a daily run
/// publishing into the empty bucket `charts`.
fn cold_start(bundle: &Path, state: &Path, tls: &TlsEndpoint, charts: &str) -> Result<ColdStart> {
    let mut vars = lambda_environment(
        &format!("127.0.0.1:{RUNTIME_API_PORT}"),
        FUNCTION,
        &format!("https://127.0.0.1:{S3_PORT}"),
    );
    vars.extend(env::stack_defaults(SOURCE_BUCKET, charts));
    lambda_sandbox(bundle, &vars)?;
    let id = format!("{FUNCTION}-{}-{charts}", std::process::id());
    // `runc run` in two steps, to bind the Runtime API and the TLS endpoint inside the
    // container's network namespace between them (well under a millisecond).
    let started = Instant::now();
    let container = Container::create(bundle, state, &id)?;
    let api = RuntimeApi::start_on(
        container.listen(RUNTIME_API_PORT)?,
        vec![json!({ "now": SAMPLE_NOW })],
    );
    tls.serve(container.listen(S3_PORT)?);
    container.start()?;
    let outcomes = api.wait_for(1, INVOCATION_TIMEOUT);
    let to_first_response = started.elapsed();
    let (_, stderr) = container.output();
    let last_lines = || {
        let lines: Vec<&str> = stderr.lines().collect();
        lines[lines.len().saturating_sub(5)..].join(" | ")
    };
    let summary = match outcomes.first() {
        Some(Outcome::Response { body, .. }) => body.clone(),
        Some(other) => bail!(
            "the container's first invocation failed: {other:?}; its stderr ({}) ends: {}",
            container.stderr.display(),
            last_lines()
        ),
        None => bail!(
            "the container ({}) answered no invocation within {INVOCATION_TIMEOUT:?}; its \
             stderr ({}) ends: {}",
            if container.running() {
                "running"
            } else {
                "gone"
            },
            container.stderr.display(),
            last_lines()
        ),
    };
    if summary["charts_written"].as_u64().unwrap_or(0) == 0 {
        bail!(
            "the container's first invocation published nothing ({summary}): the cold-start \
             export under target/bench/{} has no author active in the last {} days of {SAMPLE_NOW}; \
             delete it to generate it again",
            EXPORT.name,
            defaults::ACTIVE_DAYS
        );
    }
    let first_next = api
        .first_next()
        .context("the function answered without asking for work")?;
    Ok(ColdStart {
        to_first_next: first_next - started,
        to_first_response,
        summary,
    })
}

fn print(runs: &[ColdStart]) {
    let spans = |span: fn(&ColdStart) -> Duration| {
        let mut all: Vec<Duration> = runs.iter().map(span).collect();
        all.sort();
        all
    };
    let ms = |d: Duration| format!("{:.0} ms", d.as_secs_f64() * 1e3);
    println!(
        "\nCold start in runc: the release image (a test CA as its bundle) in Lambda's \
         sandbox, {} fresh containers; the first invocation a daily run of {} authors / {} \
         posts read from and published to moto over TLS on 127.0.0.1",
        runs.len(),
        EXPORT.authors,
        EXPORT.posts
    );
    println!("{:<44} {:>9} {:>9}", "span", "median", "max");
    for (label, all) in [
        (
            "runc create + start → first /next",
            spans(|r| r.to_first_next),
        ),
        (
            "runc create + start → end of 1st invocation",
            spans(|r| r.to_first_response),
        ),
    ] {
        let max = all.last().copied().unwrap_or_default();
        println!("{label:<44} {:>9} {:>9}", ms(median(&all)), ms(max));
    }
    if let Some(first) = runs.first() {
        let count = |key: &str| first.summary[key].as_u64().unwrap_or(0);
        println!(
            "first invocation: {} charts rendered, {} published",
            count("charts_rendered"),
            count("charts_written")
        );
    }
}

/// The middle of sorted durations (the mean of the two middle ones for an even count).
fn median(sorted: &[Duration]) -> Duration {
    match sorted.len() {
        0 => Duration::ZERO,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_is_the_middle_or_the_mean_of_the_two_middles() {
        let ms = Duration::from_millis;
        assert_eq!(median(&[ms(1), ms(5), ms(9)]), ms(5));
        assert_eq!(median(&[ms(1), ms(3), ms(5), ms(9)]), ms(4));
        assert_eq!(median(&[]), Duration::ZERO);
    }
}
