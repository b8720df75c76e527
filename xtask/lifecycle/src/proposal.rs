//! What a deploy or a diff proposes to CloudFormation: the template of a scope, the stage's
//! parameter values (with its chart style) checked against it, the image pinned by digest,
//! and the stack's tags. `deploy` and `diff` both build their change set's [`Proposal`]
//! here, and show it through [`super::review`].

use std::collections::BTreeMap;

use anyhow::{bail, Result};

use crate::parameter_check;
use xtask_stacks::main_stack::{self, params, Scope};
use xtask_stacks::stage_style;
use xtask_stacks::stages::{Stage, STACK_PREFIX};
use xtask_stacks::templates;
use xtask_support::shell::project_root;

/// What to propose.
#[derive(Debug, Clone)]
pub struct Proposal {
    pub stack_name: String,
    pub template_body: String,
    /// Parameter values; a key with `None` keeps the stack's previous value.
    pub parameters: Vec<(String, Option<String>)>,
    pub tags: Vec<(String, String)>,
    pub create: bool,
    pub description: String,
    /// The service role CloudFormation acts as (`RoleARN`); `None`: the caller's own rights.
    pub role_arn: Option<String>,
    /// The template names its IAM resources (`CAPABILITY_NAMED_IAM`, the bootstrap stack).
    pub named_iam: bool,
}

/// The change set of `stage` at `scope` with `parameters` (from [`parameter_values`]), tagged
/// with the source `revision`.
pub fn propose(
    stage: &Stage,
    scope: Scope,
    parameters: Vec<(String, Option<String>)>,
    revision: &str,
    create: bool,
    description: String,
) -> Proposal {
    Proposal {
        stack_name: stage.stack_name.clone(),
        template_body: templates::render_scope(scope),
        parameters,
        tags: tags(stage, revision),
        create,
        description,
        role_arn: None,
        named_iam: false,
    }
}

/// The image reference must name a digest: a tag could move, and the stack would not see
/// a new image as a change.
pub fn check_pinned(reference: &str) -> Result<&str> {
    let pinned = reference.split_once("@sha256:").is_some_and(|(repo, hex)| {
        !repo.is_empty()
            && hex.len() == 64
            && hex
                .chars()
                .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
    });
    if !pinned {
        bail!(
            "--image {reference:?} is not pinned by digest: give REPOSITORY@sha256:<64 hex> \
             (what `cargo xtask push` prints)"
        );
    }
    Ok(reference)
}

/// `GITHUB_SHA`, else `git rev-parse HEAD` (with `-dirty` for uncommitted changes).
pub fn source_revision() -> String {
    if let Ok(sha) = std::env::var("GITHUB_SHA") {
        return sha;
    }
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .current_dir(project_root())
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    };
    match git(&["rev-parse", "HEAD"]) {
        Some(head) if git(&["status", "--porcelain"]).is_some_and(|s| !s.is_empty()) => {
            format!("{head}-dirty")
        }
        Some(head) => head,
        None => "unknown".into(),
    }
}

/// The template's parameters: name → default (`None` when it has none).
pub fn template_parameters(scope: Scope) -> BTreeMap<String, Option<String>> {
    parameter_defaults(&main_stack::template_for(scope).to_value())
}

/// The parameters a template (as a YAML value) declares: name → default as text.
pub fn parameter_defaults(value: &serde_yaml::Value) -> BTreeMap<String, Option<String>> {
    let mut out = BTreeMap::new();
    if let Some(map) = value.get("Parameters").and_then(|p| p.as_mapping()) {
        for (name, spec) in map {
            let default = spec.get("Default").map(|d| match d {
                serde_yaml::Value::String(s) => s.clone(),
                other => serde_yaml::to_string(other)
                    .unwrap_or_default()
                    .trim()
                    .to_owned(),
            });
            out.insert(name.as_str().unwrap_or_default().to_owned(), default);
        }
    }
    out
}

/// The stage's values plus the image, checked against the template: unknown names and
/// missing required values are errors naming where to fix them.
pub fn parameter_values(
    scope: Scope,
    stage: &Stage,
    image: Option<&str>,
) -> Result<Vec<(String, Option<String>)>> {
    let declared = template_parameters(scope);
    if let Some(unknown) = stage.parameters.keys().find(|k| !declared.contains_key(*k)) {
        bail!(
            "stage `{}` sets parameter {unknown}, which the template does not have: the \
             parameters are {}",
            stage.name,
            declared.keys().cloned().collect::<Vec<_>>().join(", ")
        );
    }
    let mut values: Vec<(String, Option<String>)> = stage
        .parameters
        .iter()
        .map(|(k, v)| (k.clone(), Some(v.clone())))
        .collect();
    // None: keep the stack's current image (diff without --image).
    values.push((params::IMAGE_URI.to_owned(), image.map(str::to_owned)));
    // The stage's style file, unless --param ChartStyle=… gives the text for this run.
    if let Some(path) = &stage.style {
        if !declared.contains_key(stage_style::PARAMETER) {
            bail!(
                "stage `{}` names the chart style {}, but the template has no {} parameter: \
                 remove `style` from the stage, or deploy a version of the stack that takes it",
                stage.name,
                path.display(),
                stage_style::PARAMETER
            );
        }
        if !stage.parameters.contains_key(stage_style::PARAMETER) {
            values.push((
                stage_style::PARAMETER.to_owned(),
                Some(stage_style::compact(path)?),
            ));
        }
    }
    for (name, default) in &declared {
        if default.is_none() && !values.iter().any(|(k, _)| k == name) {
            bail!(
                "parameter {name} has no default and stage `{}` gives no value: add it under \
                 [{}.parameters] in deploy/stages.toml, or pass --param {name}=…",
                stage.name,
                stage.name
            );
        }
    }
    let specs = main_stack::template_for(scope).to_value();
    for (name, value) in &values {
        if let Some(value) = value {
            let spec = &specs["Parameters"][name.as_str()];
            parameter_check::check(name, value, spec).map_err(|rule| {
                anyhow::anyhow!(
                    "{rule}: fix it in [{}.parameters] of deploy/stages.toml or in --param \
                     (nothing was sent to AWS)",
                    stage.name
                )
            })?;
        }
    }
    Ok(values)
}

/// The stack tags: application, stage, source revision.
pub fn tags(stage: &Stage, revision: &str) -> Vec<(String, String)> {
    vec![
        ("application".into(), STACK_PREFIX.to_owned()),
        ("stage".into(), stage.name.clone()),
        ("source-revision".into(), revision.to_owned()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stage(parameters: &[(&str, &str)]) -> Stage {
        Stage {
            name: "dev".into(),
            stack_name: "author-stats-batch-dev".into(),
            repository: "author-stats-batch-dev".into(),
            region: None,
            production: false,
            style: None,
            parameters: parameters
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    #[test]
    fn only_digest_pinned_references_are_deployed() {
        let digest = "0".repeat(64);
        check_pinned(&format!(
            "1.dkr.ecr.us-east-1.amazonaws.com/a@sha256:{digest}"
        ))
        .unwrap();
        let no_repository = format!("@sha256:{digest}");
        for bad in ["repo:latest", "repo@sha256:abc", no_repository.as_str()] {
            let err = check_pinned(bad).unwrap_err().to_string();
            assert!(err.contains("pinned by digest"), "{err}");
        }
    }

    #[test]
    fn parameters_are_checked_against_the_template() {
        let image = format!("r@sha256:{}", "a".repeat(64));
        let values = parameter_values(
            Scope::Full,
            &stage(&[("SourceBucketName", "export-bucket")]),
            Some(&image),
        )
        .unwrap();
        assert!(values.contains(&("ImageUri".into(), Some(image.clone()))));
        let err = parameter_values(Scope::Full, &stage(&[("Bucket", "b")]), Some(&image))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("Bucket") && err.contains("SourceBucketName"),
            "{err}"
        );
        let err = parameter_values(Scope::Full, &stage(&[]), Some(&image))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("SourceBucketName") && err.contains("deploy/stages.toml"),
            "{err}"
        );
    }

    #[test]
    fn the_core_scope_takes_the_same_parameters() {
        assert_eq!(
            template_parameters(Scope::Core),
            template_parameters(Scope::Full)
        );
    }
}
