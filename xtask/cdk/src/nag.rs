//! cdk-nag (its AWS Solutions pack, pinned in the CDK app's package.json) over the built CDK
//! app, at each parameter set a stage deploys with: the defaults, the `prod` stage of
//! deploy/stages.toml (its parameters and chart style), and every optional feature on. The
//! findings the template acknowledges (`cdk_nag` metadata, each with the reason
//! spec/batch-setup.md gives) pass; any other fails the check.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use serde_json::{json, Map, Value as Json};

use crate::cases::{cases as synth_cases, REQUIRED};
use crate::resolve::Values;
use xtask_stacks::{stage_style, stages};
use xtask_support::shell::{project_root, run};

/// The stage whose parameters are checked as the production case.
pub const PRODUCTION_STAGE: &str = "prod";

/// The cases: name and parameter values.
pub fn cases() -> Result<Vec<(&'static str, Values)>> {
    let mut synth = synth_cases();
    let every = synth.pop().expect("the every-feature case").1;
    let defaults = synth.pop().expect("the defaults case").1;
    Ok(vec![
        ("defaults", defaults),
        (PRODUCTION_STAGE, production()?),
        ("every-feature", every),
    ])
}

/// The `prod` stage's values, as deploy sends them (its parameters and chart style), with
/// the values deploy fills in itself (the image) from the synth check's.
fn production() -> Result<Values> {
    let path = project_root().join(stages::STAGES_PATH);
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let stage = stages::resolve(&text, &path, PRODUCTION_STAGE, &[])?;
    let mut values: Values = REQUIRED
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    values.extend(stage.parameters);
    if let Some(style) = &stage.style {
        values.insert(
            stage_style::PARAMETER.to_owned(),
            stage_style::compact(style)?,
        );
    }
    Ok(values)
}

/// Runs `bin/nag.ts` (built into `work`) over every case in one node process; returns how
/// long it took.
pub fn check(work: &Path) -> Result<Duration> {
    let mut cases_json = Map::new();
    for (name, values) in cases()? {
        cases_json.insert(name.to_owned(), json!(values));
    }
    let context = json!({ "nagCases": Json::Object(cases_json) });
    let started = Instant::now();
    run(Command::new("node")
        .arg("dist/bin/nag.js")
        .current_dir(work)
        .env("CDK_CONTEXT_JSON", context.to_string())
        .env("CDK_DISABLE_VERSION_CHECK", "1")
        .env("AWS_EC2_METADATA_DISABLED", "true"))
    .context(
        "cdk-nag reports findings the template does not acknowledge (above): fix the stack, \
         or acknowledge one with its reason in spec/batch-setup.md (`nag_acknowledgements`)",
    )?;
    Ok(started.elapsed())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_production_case_is_the_prod_stage_with_its_alarm_email_and_style() {
        let cases = cases().unwrap();
        let names: Vec<&str> = cases.iter().map(|(n, _)| *n).collect();
        assert_eq!(names, ["defaults", "prod", "every-feature"]);
        let prod = &cases[1].1;
        assert_eq!(prod["SourceBucketName"], "example-blog-export");
        assert!(!prod["AlarmEmail"].is_empty());
        assert!(prod[stage_style::PARAMETER].contains("locale"));
        assert!(prod["ImageUri"].contains("@sha256:"));
    }
}
