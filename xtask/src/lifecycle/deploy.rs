//! `cargo xtask deploy`: build and push the image (not when ECR has its digest already),
//! synthesize, propose a change set (CREATE or UPDATE), show it, ask, execute, stream the
//! stack's events to the end, and print the outputs with the charts' base URL.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};

use super::aws::{AwsArgs, Clients};
use super::changeset::{self, Prepared, Proposal};
use super::events;
use super::stack_state::{self, next_step, Next, StackInfo};
use super::stages::{Stage, StageArgs, STACK_PREFIX};
use super::ui::{table, Ui};
use super::Session;
use crate::build::Build;
use crate::ecr;
use crate::image;
use crate::registry::Registry;
use crate::shell::project_root;
use crate::stack::{self, outputs, params, Scope};
use crate::synth;

#[derive(clap::Args, Debug)]
pub struct Deploy {
    #[command(flatten)]
    pub stage: StageArgs,
    #[command(flatten)]
    pub aws: AwsArgs,
    /// Execute the change set (and recreate a ROLLBACK_COMPLETE stack) without asking.
    /// CI=true also executes without asking.
    #[arg(long)]
    pub yes: bool,
    /// Override a stack parameter for this run, e.g. --param ActiveDays=14 (repeatable).
    #[arg(long = "param", value_name = "KEY=VALUE")]
    pub params: Vec<String>,
    /// Deploy this image (REPOSITORY@sha256:…) instead of building and pushing one.
    #[arg(long, value_name = "REF")]
    pub image: Option<String>,
    /// Which resources: `full` (production) or `core` (bucket, roles, log group, function,
    /// queue: what local emulators such as moto support).
    #[arg(long, value_enum, default_value_t = Scope::Full)]
    pub scope: Scope,
    #[command(flatten)]
    pub build: Build,
}

/// What one deploy needs beyond the stage.
#[derive(Debug, Clone)]
pub struct DeployOptions {
    /// `REPOSITORY@sha256:…`.
    pub image: String,
    pub scope: Scope,
    pub yes: bool,
    pub poll: Duration,
    /// The `source-revision` tag.
    pub revision: String,
}

impl Deploy {
    pub fn run(self) -> Result<()> {
        let Session {
            ui,
            stage,
            rt,
            clients,
            poll,
        } = Session::open(&self.stage, &self.aws, &self.params)?;
        let image = match &self.image {
            Some(reference) => check_pinned(reference)?.to_owned(),
            None => build_and_push(&self.build, &rt, &clients, &stage, &ui)?,
        };
        let options = DeployOptions {
            image,
            scope: self.scope,
            yes: self.yes,
            poll,
            revision: source_revision(),
        };
        let report = rt.block_on(deploy(&clients, &stage, &options, &ui))?;
        ui.json(&report);
        Ok(())
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

/// Builds the image, makes sure the stage's ECR repository exists, and pushes unless ECR
/// already holds the digest. Returns `<repository URI>@sha256:…`.
pub fn build_and_push(
    build: &Build,
    rt: &tokio::runtime::Runtime,
    clients: &Clients,
    stage: &Stage,
    ui: &Ui,
) -> Result<String> {
    let built = image::build(&build.options())?;
    let image = built.image;
    let digest = image.digest().to_string();
    let repo = rt.block_on(ecr::ensure_repository(
        &clients.ecr,
        &stage.repository,
        ecr::MIN_KEEP,
    ))?;
    if rt.block_on(ecr::has_image(&clients.ecr, &stage.repository, &digest))? {
        ui.say(format!(
            "image {digest} is already in {}: not pushed again",
            repo.uri
        ));
    } else {
        let login = rt.block_on(ecr::registry_login(&clients.ecr))?;
        let registry = Registry::new(&login.endpoint, Some(login.credentials), false)?
            .with_auth_fix(ecr::AUTH_FIX);
        registry.push(&image, &stage.repository, &crate::push::default_tag(&image))?;
    }
    Ok(format!("{}@{digest}", repo.uri))
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
    let value = stack::template_for(scope).to_value();
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

/// Everything after the image: change set, confirmation, execution, events, outputs.
/// Returns the report `--output json` prints.
pub async fn deploy(
    clients: &Clients,
    stage: &Stage,
    options: &DeployOptions,
    ui: &Ui,
) -> Result<Value> {
    let cfn = &clients.cloudformation;
    let stack_name = &stage.stack_name;
    let parameters = parameter_values(options.scope, stage, Some(&options.image))?;
    let mut existing = stack_state::describe(cfn, stack_name).await?;
    let status = existing.as_ref().map(|s| s.status.clone());
    match next_step(status.as_deref()) {
        Next::Busy => bail!(
            "stack {stack_name} is {}: another operation is running; wait until it ends \
             (see its events in the CloudFormation console) and deploy again",
            status.unwrap_or_default()
        ),
        Next::Stuck => bail!(
            "{}",
            stuck_advice(stack_name, status.as_deref().unwrap_or(""))
        ),
        Next::Recreate => {
            let info = existing.take().expect("a status means a stack");
            ui.say(format!(
                "stack {stack_name} is {}: its creation failed and was rolled back, so it \
                 cannot be updated; it has to be deleted and created again{}",
                info.status,
                info.status_reason
                    .as_deref()
                    .map(|r| format!(" (reason: {r})"))
                    .unwrap_or_default()
            ));
            ui.confirm(
                &format!("Delete stack {stack_name} and create it again?"),
                options.yes,
            )?;
            let finished = events::delete_stack(cfn, &info, options.poll, ui).await?;
            if !finished.succeeded() {
                bail!(
                    "could not delete stack {stack_name} before recreating it:\n{}",
                    finished.failure_report()
                );
            }
        }
        Next::Create | Next::Update => {}
    }
    let create = next_step(existing.as_ref().map(|s| s.status.as_str())) == Next::Create;
    let proposal = Proposal {
        stack_name: stack_name.clone(),
        template_body: synth::render_scope(options.scope),
        parameters,
        tags: tags(stage, &options.revision),
        create,
        description: format!("cargo xtask deploy of {}", options.revision),
    };
    ui.say(format!(
        "{} change set for stack {stack_name} (image {})",
        if create { "CREATE" } else { "UPDATE" },
        options.image
    ));
    let prepared = changeset::prepare(cfn, &proposal, options.poll).await?;
    let (status, changes) = match prepared {
        Prepared::NoChanges => {
            ui.say(format!("no changes: stack {stack_name} is up to date"));
            ("no changes".to_owned(), Vec::new())
        }
        Prepared::Ready {
            id,
            stack_id,
            changes,
        } => {
            ui.say(changeset::render(&changes));
            let question = format!("Execute these {} changes on {stack_name}?", changes.len());
            if let Err(declined) = ui.confirm(&question, options.yes || ui.ci) {
                changeset::delete(cfn, &id).await?;
                if create {
                    events::delete_review_shell(cfn, &stack_id).await?;
                }
                return Err(declined);
            }
            let mark = events::mark(cfn, &stack_id).await?;
            changeset::execute(cfn, &id).await?;
            let finished = events::watch(cfn, &stack_id, mark, options.poll, ui, "deploy").await?;
            if !finished.succeeded() {
                bail!(
                    "deploy of {stack_name} failed:\n{}\nFix the cause above and deploy again{}",
                    finished.failure_report(),
                    if create {
                        " (a stack whose creation rolled back is recreated, with --yes)"
                    } else {
                        ""
                    }
                );
            }
            (finished.status, changes)
        }
    };
    let info = stack_state::describe_with_outputs(cfn, stack_name)
        .await?
        .with_context(|| format!("stack {stack_name} is gone right after the deploy"))?;
    if stage.production && !info.termination_protection {
        cfn.update_termination_protection()
            .stack_name(stack_name)
            .enable_termination_protection(true)
            .send()
            .await
            .map_err(|e| {
                anyhow::anyhow!(
                    "cannot turn on termination protection for {stack_name}: {}",
                    super::aws::describe_error(&e)
                )
            })?;
        ui.say(format!(
            "termination protection on for {stack_name} (production stage)"
        ));
    }
    print_outputs(ui, &info);
    Ok(json!({
        "stack": stack_name,
        "stage": stage.name,
        "region": clients.region,
        "status": status,
        "image": options.image,
        "changes": changeset::to_json(&changes),
        "outputs": info.outputs,
    }))
}

/// What to do about a stack in a status deploy cannot work from.
fn stuck_advice(stack_name: &str, status: &str) -> String {
    match status {
        "UPDATE_ROLLBACK_FAILED" => format!(
            "stack {stack_name} is UPDATE_ROLLBACK_FAILED: a rollback could not finish. Fix the \
             resource its events name, then `aws cloudformation continue-update-rollback \
             --stack-name {stack_name}` and deploy again"
        ),
        "DELETE_FAILED" => format!(
            "stack {stack_name} is DELETE_FAILED: a teardown could not finish. Run `cargo xtask \
             teardown` again (it prints what blocked the deletion)"
        ),
        other => format!(
            "stack {stack_name} is {other}: deploy cannot continue from there; see its events \
             in the CloudFormation console"
        ),
    }
}

/// The stack outputs as a table, the charts' base URL first.
pub fn print_outputs(ui: &Ui, info: &StackInfo) {
    if let Some(url) = info.outputs.get(outputs::CHART_BASE_URL) {
        ui.say(format!("charts: {url}<slug>.png, {url}index.json"));
    }
    let rows: Vec<Vec<String>> = info
        .outputs
        .iter()
        .map(|(k, v)| vec![k.clone(), v.clone()])
        .collect();
    if !rows.is_empty() {
        ui.say(table(&["Output", "Value"], &rows));
    }
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
            &stage(&[("SourceBucketName", "b")]),
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
