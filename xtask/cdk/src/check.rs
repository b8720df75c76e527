//! CI's check of the checked-in CDK app: install its pinned npm packages (`npm ci`, once per
//! package-lock, into target/tools/cdk-app), type-check and build it with tsc, run `cdk synth`
//! offline at two sets of parameter values (defaults; every parameter changed and every
//! optional feature on), and compare each result with our template resolved at the same
//! values. Any difference fails with its JSON paths. Then cdk-nag over the app (`crate::nag`).
//! Needs node and npm on PATH.

use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use serde_json::Value as Json;
use sha2::{Digest, Sha256};

use crate::app::STACK_ID;
use crate::cases::cases;
use crate::compare::differences;
use crate::resolve::{resolve, Values};
use crate::APP_DIR;
use xtask_stacks::main_stack;
use xtask_support::shell::{project_root, run};
use xtask_support::tools::tools_dir;

/// The whole check (see the module comment); prints the time of each step. Skipped when its
/// inputs (the app's files, the template, the check's own code in xtask/cdk/src) are those of the last pass.
pub fn check() -> Result<()> {
    super::ensure_app(xtask_support::generated::Mode::Check)?;
    let work = tools_dir().join("cdk-app");
    let passed_stamp = work.join(".xtask-passed-sha256");
    let inputs = inputs_hash()?;
    if fs::read_to_string(&passed_stamp).is_ok_and(|s| s == inputs) {
        eprintln!("cdk: app, template and xtask unchanged since the last passing check");
        return Ok(());
    }
    let started = Instant::now();
    install(&work)?;
    let installed = started.elapsed();

    copy_sources(&project_root().join(APP_DIR), &work)?;
    let started = Instant::now();
    run(Command::new(work.join("node_modules/.bin/tsc"))
        .args(["-p", "."])
        .current_dir(&work))
    .context("the CDK app does not type-check: run `cargo xtask cdk`, or fix postprocess.rs")?;
    let built = started.elapsed();

    let ours = serde_json::to_value(main_stack::template().to_value())?;
    let mut problems = Vec::new();
    let mut synth_time = std::time::Duration::ZERO;
    let mut compare_time = std::time::Duration::ZERO;
    for (case, values) in cases() {
        let started = Instant::now();
        let synthesized = cdk_synth(&work, case, &values)?;
        synth_time += started.elapsed();
        let started = Instant::now();
        let expected = resolve(&ours, &values).context("resolving our template")?;
        let actual = resolve(&synthesized, &values).context("resolving the CDK template")?;
        for difference in differences(&expected, &actual) {
            problems.push(format!("[{case}] {difference}"));
        }
        compare_time += started.elapsed();
    }
    if !problems.is_empty() {
        bail!(
            "the CDK app ({APP_DIR}) does not synthesize our template:\n  {}\nfix the \
             conversion in xtask/cdk/src/postprocess.rs (or the stack), then `cargo xtask cdk`",
            problems.join("\n  ")
        );
    }
    eprintln!("cdk: the CDK app synthesizes the template (defaults and every feature on)");
    let nag_time = crate::nag::check(&work)?;
    eprintln!(
        "cdk: npm ci {:.1} s, tsc {:.1} s, cdk synth ×2 {:.1} s, compare {:.0} ms, cdk-nag ×3 \
         {:.1} s",
        installed.as_secs_f64(),
        built.as_secs_f64(),
        synth_time.as_secs_f64(),
        compare_time.as_secs_f64() * 1000.0,
        nag_time.as_secs_f64()
    );
    eprintln!(
        "cdk: cdk-nag finds nothing unacknowledged (defaults, {}, every feature on)",
        crate::nag::PRODUCTION_STAGE
    );
    fs::write(&passed_stamp, inputs)
        .with_context(|| format!("writing {}", passed_stamp.display()))?;
    Ok(())
}

/// SHA-256 over everything the check's outcome depends on: the app's files (without its
/// packages and build output), the template, the stage file and styles (cdk-nag's `prod`
/// case), and the check's own code (xtask/cdk/src).
fn inputs_hash() -> Result<String> {
    fn add_tree(hash: &mut Sha256, dir: &Path) -> Result<()> {
        let mut entries: Vec<_> = fs::read_dir(dir)
            .with_context(|| format!("reading {}", dir.display()))?
            .collect::<std::io::Result<_>>()?;
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let name = entry.file_name();
            if ["node_modules", "dist", "cdk.out"]
                .iter()
                .any(|skip| name == *skip)
            {
                continue;
            }
            hash.update(name.as_encoded_bytes());
            if entry.file_type()?.is_dir() {
                add_tree(hash, &entry.path())?;
            } else {
                hash.update(fs::read(entry.path())?);
            }
        }
        Ok(())
    }
    let mut hash = Sha256::new();
    add_tree(&mut hash, &project_root().join(APP_DIR))?;
    hash.update(xtask_stacks::templates::render());
    add_tree(&mut hash, &project_root().join("deploy"))?;
    // The check's own code (resolver, comparison). Not the running executable: `cargo
    // xtask ci`'s test step rebuilds target/debug/xtask under it.
    add_tree(&mut hash, &project_root().join("xtask/cdk/src"))?;
    Ok(hash.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// `npm ci` of the app's package-lock into `work` (once per lock).
fn install(work: &Path) -> Result<()> {
    xtask_support::npm::ci(
        &project_root().join(APP_DIR),
        work,
        "the CDK app's packages",
    )
}

/// The app's own files (not its packages or build output) copied over `work`.
fn copy_sources(from: &Path, to: &Path) -> Result<()> {
    for dir in ["bin", "lib", "dist", "cdk.out"] {
        let stale = to.join(dir);
        if stale.exists() {
            fs::remove_dir_all(&stale).with_context(|| format!("removing {}", stale.display()))?;
        }
    }
    copy_tree(from, to)
}

fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    fs::create_dir_all(to).with_context(|| format!("creating {}", to.display()))?;
    for entry in fs::read_dir(from).with_context(|| format!("reading {}", from.display()))? {
        let entry = entry?;
        let name = entry.file_name();
        if ["node_modules", "dist", "cdk.out"]
            .iter()
            .any(|skip| name == *skip)
        {
            continue;
        }
        let (source, target) = (entry.path(), to.join(&name));
        if entry.file_type()?.is_dir() {
            copy_tree(&source, &target)?;
        } else {
            fs::copy(&source, &target).with_context(|| format!("copying {}", source.display()))?;
        }
    }
    Ok(())
}

/// `cdk synth` of the built app at `values`, offline and without CDK's version reporting,
/// path or asset metadata; returns the stack's template.
fn cdk_synth(work: &Path, case: &str, values: &Values) -> Result<Json> {
    let out = format!("cdk.out/{case}");
    let mut cmd = Command::new(work.join("node_modules/.bin/cdk"));
    cmd.args(["synth", "--quiet", "--no-notices", "--no-version-reporting"])
        .args([
            "--no-path-metadata",
            "--no-asset-metadata",
            "--output",
            &out,
        ])
        .current_dir(work)
        .env("CDK_DISABLE_VERSION_CHECK", "1")
        .env("CDK_DISABLE_CLI_TELEMETRY", "true")
        .env("AWS_EC2_METADATA_DISABLED", "true");
    for (name, value) in values {
        cmd.arg("-c").arg(format!("{name}={value}"));
    }
    run(&mut cmd).with_context(|| format!("`cdk synth` of the CDK app failed ({case} values)"))?;
    let path = work.join(&out).join(format!("{STACK_ID}.template.json"));
    let text = fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_every_feature_run_sets_every_parameter_to_a_non_default_value() {
        let template = serde_json::to_value(main_stack::template().to_value()).unwrap();
        let (_, every) = &cases()[1];
        for (name, declared) in template["Parameters"].as_object().unwrap() {
            let value = every
                .get(name)
                .unwrap_or_else(|| panic!("{name} has no value"));
            assert_ne!(
                value,
                &crate::resolve::scalar_text(&declared["Default"]),
                "{name} is at its default"
            );
        }
        assert_eq!(
            every.len(),
            template["Parameters"].as_object().unwrap().len()
        );
    }

    #[test]
    fn the_every_feature_run_turns_every_condition_on() {
        let template = serde_json::to_value(main_stack::template().to_value()).unwrap();
        let (_, every) = &cases()[1];
        let resolved = resolve(&template, every).unwrap();
        for (id, resource) in template["Resources"].as_object().unwrap() {
            if resource.get("Condition").is_some() {
                assert!(resolved["Resources"].get(id).is_some(), "{id} is left out");
            }
        }
    }

    #[test]
    fn the_defaults_run_gives_only_the_parameters_without_default() {
        let template = serde_json::to_value(main_stack::template().to_value()).unwrap();
        let (_, defaults) = &cases()[0];
        for (name, declared) in template["Parameters"].as_object().unwrap() {
            assert_eq!(
                defaults.contains_key(name),
                declared.get("Default").is_none(),
                "{name}"
            );
        }
    }
}
