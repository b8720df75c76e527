//! The templates' static checks (the stack and the bootstrap stack): cfn-lint and checkov
//! (pinned, from `pytools`), both of which must report zero findings; every checkov
//! suppression in a template must still suppress something, so none goes stale.

use std::collections::BTreeSet;

use anyhow::{bail, Context, Result};
use serde_json::Value as Json;

use crate::templates::{template_paths, BOOTSTRAP_PATH, TEMPLATE_PATH};
use crate::{bootstrap_stack, main_stack};
use xtask_cfn::Template;
use xtask_support::python;
use xtask_support::shell::{display, project_root, run};

/// Regions cfn-lint checks resource and property availability in.
const LINT_REGIONS: [&str; 2] = ["us-east-1", "ap-northeast-1"];

/// cfn-lint on both templates, warnings and informational findings included: any finding fails.
pub fn cfn_lint() -> Result<()> {
    let mut cmd = python::CFN_LINT.command()?;
    cmd.args(["--include-checks", "I", "--regions"])
        .args(LINT_REGIONS)
        .arg("--")
        .args(template_paths())
        .current_dir(project_root());
    run(&mut cmd).context("cfn-lint reported findings on the templates")?;
    eprintln!("cfn-lint: 0 findings in {TEMPLATE_PATH} and {BOOTSTRAP_PATH}");
    Ok(())
}

/// checkov on both templates (see [`checkov_one`]).
pub fn checkov() -> Result<()> {
    let [main, boot] = template_paths();
    checkov_one(&main, TEMPLATE_PATH, &main_stack::template())?;
    checkov_one(&boot, BOOTSTRAP_PATH, &bootstrap_stack::template())
}

/// checkov's CloudFormation checks on one template: fails on any failed check, and on any
/// suppression in the template that no longer suppresses anything (so none goes stale).
fn checkov_one(path: &std::path::Path, shown: &str, template: &Template) -> Result<()> {
    let mut cmd = python::CHECKOV.command()?;
    cmd.args(["--framework", "cloudformation", "--output", "json"])
        .args(["--skip-download", "--soft-fail", "--file"])
        .arg(path)
        .current_dir(project_root())
        // No telemetry or version checks; everything needed is in the package.
        .env("BC_SKIP_MAPPING", "TRUE")
        .env("CHECKOV_SKIP_VERSION_CHECK", "TRUE");
    let line = display(&cmd);
    eprintln!("$ {line}");
    let out = cmd
        .output()
        .with_context(|| format!("could not start `{line}`"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        bail!(
            "`{line}` failed with {}:\n{stdout}{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let report: Json = serde_json::from_str(&stdout).with_context(|| {
        format!("checkov printed something other than a JSON report:\n{stdout}")
    })?;
    let results = &report["results"];
    let ids = |key: &str| -> Vec<(String, String)> {
        results[key]
            .as_array()
            .map(|checks| {
                checks
                    .iter()
                    .map(|c| {
                        (
                            c["check_id"].as_str().unwrap_or("?").to_owned(),
                            c["resource"].as_str().unwrap_or("?").to_owned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let (passed, failed, skipped) = (
        ids("passed_checks"),
        ids("failed_checks"),
        ids("skipped_checks"),
    );
    if passed.is_empty() && failed.is_empty() {
        bail!("checkov ran no check on {shown}: {stdout}");
    }
    let mut problems = Vec::new();
    for (id, resource) in &failed {
        let c = results["failed_checks"]
            .as_array()
            .and_then(|a| a.iter().find(|c| c["check_id"] == id.as_str()));
        let name = c.and_then(|c| c["check_name"].as_str()).unwrap_or("");
        problems.push(format!("failed {id} on {resource}: {name}"));
    }
    let declared = skips_of(template);
    let used: BTreeSet<(String, String)> = skipped.iter().cloned().collect();
    for skip in declared.difference(&used) {
        problems.push(format!(
            "stale suppression {} on {} in {shown}: checkov no longer reports it, remove it",
            skip.0, skip.1
        ));
    }
    eprintln!(
        "checkov {shown}: {} passed, {} failed, {} suppressed in the template",
        passed.len(),
        failed.len(),
        skipped.len()
    );
    if !problems.is_empty() {
        bail!("checkov findings:\n  {}", problems.join("\n  "));
    }
    Ok(())
}

/// `(check id, "Type.LogicalId")` of every `Metadata.checkov.skip` entry in the stack.
pub fn declared_skips() -> BTreeSet<(String, String)> {
    skips_of(&main_stack::template())
}

/// `(check id, "Type.LogicalId")` of every `Metadata.checkov.skip` entry in `template`.
pub fn skips_of(template: &Template) -> BTreeSet<(String, String)> {
    let template = template.to_value();
    let mut skips = BTreeSet::new();
    if let Some(resources) = template["Resources"].as_mapping() {
        for (id, resource) in resources {
            let (Some(id), Some(kind)) = (id.as_str(), resource["Type"].as_str()) else {
                continue;
            };
            for skip in resource["Metadata"]["checkov"]["skip"]
                .as_sequence()
                .into_iter()
                .flatten()
            {
                if let Some(check) = skip["id"].as_str() {
                    skips.insert((check.to_owned(), format!("{kind}.{id}")));
                }
            }
        }
    }
    skips
}
