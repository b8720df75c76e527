//! `cargo xtask deploy`: build and push the image (not when ECR has its digest already),
//! synthesize, propose a change set (CREATE or UPDATE), show it (resources, parameters old
//! → new, security), ask, execute, stream the stack's events to the end, print the outputs
//! with the charts' base URL, and backfill a new stack or a new chart style. With
//! `--no-execute` the change set is kept instead (the plan); `--change-set NAME` executes a
//! kept one (the apply, in `plan`).

use std::time::Duration;

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};

use std::collections::BTreeMap;

use crate::backfill;
use crate::bootstrap::bootstrapped;
use crate::build::Build;
use crate::changeset::{self, Prepared, Proposal};
use crate::clients::{AwsArgs, Clients};
use crate::ecr;
use crate::events;
use crate::plan;
use crate::proposal::{self, check_pinned, source_revision};
use crate::review::{self, Review};
use crate::stack_state::{self, next_step, Next, StackInfo};
use crate::stack_status::StackStatus;
use crate::ui::{table, Ui};
use crate::Session;
use xtask_image as image;
use xtask_image::registry::Registry;
use xtask_stacks::main_stack::{outputs, Scope};
use xtask_stacks::stage_style;
use xtask_stacks::stages::{Stage, StageArgs};

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
    /// Plan only: create the change set, show it and keep it unexecuted; prints its name and
    /// the command that executes it.
    #[arg(long, conflicts_with = "change_set")]
    pub no_execute: bool,
    /// Apply: execute exactly this kept change set (from --no-execute) if the stack has not
    /// changed since it was planned. Builds and pushes nothing.
    #[arg(long, value_name = "NAME", conflicts_with_all = ["image", "params"])]
    pub change_set: Option<String>,
    /// Do not run the function once with {"all": true} after the stack is created or its
    /// chart style changed.
    #[arg(long)]
    pub no_backfill: bool,
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
    /// The CloudFormation service role (`RoleARN`) from the stage's bootstrap stack, if any.
    pub service_role: Option<String>,
    /// `false`: `--no-execute`, keep the change set for a later `--change-set`.
    pub execute: bool,
    /// `false`: `--no-backfill`.
    pub backfill: bool,
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
        if let Some(name) = &self.change_set {
            let report = rt.block_on(plan::apply_kept(
                &clients,
                &stage,
                name,
                self.yes,
                !self.no_backfill,
                poll,
                &ui,
            ))?;
            ui.json(&report);
            return Ok(());
        }
        // The stage's parameters and chart style, checked before any AWS call or build.
        proposal::parameter_values(self.scope, &stage, None)?;
        let mut stage = stage;
        let service_role = rt.block_on(bootstrapped(&clients, &mut stage, &ui))?;
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
            service_role,
            execute: !self.no_execute,
            backfill: !self.no_backfill,
        };
        let report = rt.block_on(deploy(&clients, &stage, &options, &ui))?;
        ui.json(&report);
        Ok(())
    }
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

/// Everything after the image: change set, confirmation, execution, events, outputs and
/// the backfill (or, with `execute` false, the kept change set). Returns the report
/// `--output json` prints.
pub async fn deploy(
    clients: &Clients,
    stage: &Stage,
    options: &DeployOptions,
    ui: &Ui,
) -> Result<Value> {
    let cfn = &clients.cloudformation;
    let stack_name = &stage.stack_name;
    let parameters = proposal::parameter_values(options.scope, stage, Some(&options.image))?;
    let existing = settle_stack(
        cfn,
        stack_name,
        stage.production,
        options.yes,
        options.poll,
        ui,
    )
    .await?;
    let create = next_step(existing.as_ref().map(|s| &s.status)) == Next::Create;
    let before = match &existing {
        Some(info) if !create => info.parameters.clone(),
        _ => BTreeMap::new(),
    };
    let mut description = format!("cargo xtask deploy of {}", options.revision);
    if !options.execute {
        let event = match &existing {
            Some(info) if !create => events::mark(cfn, &info.id).await?,
            _ => None,
        };
        description = plan::description(
            &format!("cargo xtask deploy --no-execute of {}", options.revision),
            event.as_deref(),
        );
    }
    let proposal = Proposal {
        role_arn: options.service_role.clone(),
        ..proposal::propose(
            stage,
            options.scope,
            parameters,
            &options.revision,
            create,
            description,
        )
    };
    ui.say(format!(
        "{} change set for stack {stack_name} (image {}){}",
        if create { "CREATE" } else { "UPDATE" },
        options.image,
        options
            .service_role
            .as_deref()
            .map(|role| format!(", as service role {role}"))
            .unwrap_or_default()
    ));
    let mode = if options.execute {
        Mode::Execute { yes: options.yes }
    } else {
        Mode::Keep
    };
    let applied = apply(cfn, &proposal, &before, mode, options.poll, ui, "deploy").await?;
    if let Some(name) = &applied.kept {
        ui.say(format!(
            "kept change set {name} (not executed); after review, execute exactly it with:\n  \
             cargo xtask deploy --stage {} --change-set {name}",
            stage.name
        ));
        return Ok(json!({
            "stack": stack_name,
            "stage": stage.name,
            "region": clients.region,
            "status": "planned",
            "create": create,
            "image": options.image,
            "change_set": name,
            "apply": format!("cargo xtask deploy --stage {} --change-set {name}", stage.name),
            "changes": changeset::to_json(&applied.changes),
            "review": applied.review.to_json(),
        }));
    }
    if applied.status == NO_CHANGES {
        return Ok(json!({
            "stack": stack_name,
            "stage": stage.name,
            "region": clients.region,
            "status": NO_CHANGES,
            "image": options.image,
            "changes": [],
            "change_set": null,
            "backfill": null,
        }));
    }
    finish(
        clients,
        stage,
        &applied.status,
        create,
        &applied.review,
        &options.image,
        options.backfill,
        options.poll,
        ui,
    )
    .await
}

/// After an executed change set: the outputs, the production warning, and the backfill
/// when the stack was created or its chart style changed. Returns the deploy report.
#[allow(clippy::too_many_arguments)]
pub async fn finish(
    clients: &Clients,
    stage: &Stage,
    status: &str,
    create: bool,
    review: &Review,
    image: &str,
    backfill_enabled: bool,
    poll: std::time::Duration,
    ui: &Ui,
) -> Result<Value> {
    let stack_name = &stage.stack_name;
    let info = stack_state::describe_with_outputs(&clients.cloudformation, stack_name)
        .await?
        .with_context(|| format!("stack {stack_name} is gone right after the deploy"))?;
    if stage.production && !info.termination_protection {
        // The deployer may not change termination protection (it could then lift it): an
        // administrator turns it on once, with the bootstrap.
        ui.say(format!(
            "warning: production stack {stack_name} has no termination protection: an \
             administrator turns it on with `cargo xtask bootstrap --stage {}`",
            stage.name
        ));
    }
    print_outputs(ui, &info);
    let mut report = json!({
        "stack": stack_name,
        "stage": stage.name,
        "region": clients.region,
        "status": status,
        "image": image,
        "changes": changeset::to_json(&review.changes),
        "review": review.to_json(),
        "outputs": info.outputs,
        "termination_protection": info.termination_protection,
        "backfill": null,
    });
    let style_changed = review.changes_parameter(stage_style::PARAMETER);
    match backfill::decide(true, create, style_changed, backfill_enabled) {
        Some(reason) => {
            let summary = backfill::run(clients, stage, reason, poll, ui).await?;
            report["backfill"] = json!({ "reason": reason.as_str(), "summary": summary });
        }
        None if !backfill_enabled && (create || style_changed) => ui.say(format!(
            "no backfill (--no-backfill): run `cargo xtask invoke --stage {} --all` to draw \
             every chart now",
            stage.name
        )),
        None => {}
    }
    Ok(report)
}

/// Gets `stack_name` ready for a change set: an error for a stack that is busy or stuck, a
/// `ROLLBACK_COMPLETE` stack deleted after a yes (never a production one: its deployer may
/// not delete it). Returns whether the change set creates the stack.
pub async fn settle(
    cfn: &aws_sdk_cloudformation::Client,
    stack_name: &str,
    production: bool,
    yes: bool,
    poll: Duration,
    ui: &Ui,
) -> Result<bool> {
    let existing = settle_stack(cfn, stack_name, production, yes, poll, ui).await?;
    Ok(next_step(existing.as_ref().map(|s| &s.status)) == Next::Create)
}

/// [`settle`], returning the stack as it is then (`None`: there is none, or it was deleted
/// to be created again).
pub async fn settle_stack(
    cfn: &aws_sdk_cloudformation::Client,
    stack_name: &str,
    production: bool,
    yes: bool,
    poll: Duration,
    ui: &Ui,
) -> Result<Option<StackInfo>> {
    let mut existing = stack_state::describe(cfn, stack_name).await?;
    let status = existing.as_ref().map(|s| s.status.clone());
    match next_step(status.as_ref()) {
        Next::Busy => bail!(
            "stack {stack_name} is {}: another operation is running; wait until it ends \
             (see its events in the CloudFormation console) and deploy again",
            status.as_ref().map(StackStatus::as_str).unwrap_or_default()
        ),
        Next::Stuck => bail!(
            "{}",
            stuck_advice(
                stack_name,
                status.as_ref().expect("a stuck stack has a status")
            )
        ),
        Next::Recreate if production => bail!(
            "production stack {stack_name} is {}: its creation failed and was rolled back. \
             The deployer may not delete a production stack: an administrator deletes it \
             (`aws cloudformation delete-stack --stack-name {stack_name}`), then deploy again",
            status.as_ref().map(StackStatus::as_str).unwrap_or_default()
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
                yes,
            )?;
            let finished = events::delete_stack(cfn, &info, poll, ui).await?;
            if !finished.succeeded() {
                bail!(
                    "could not delete stack {stack_name} before recreating it:\n{}",
                    finished.failure_report()
                );
            }
        }
        Next::Create | Next::Update => {}
    }
    Ok(existing)
}

/// The status [`Applied`] reports for an empty change set.
pub const NO_CHANGES: &str = "no changes";

/// What [`apply`] did: the stack's final status ("no changes", or "planned" for a kept
/// change set), the changes, their review, and the name of a kept change set.
pub struct Applied {
    pub status: String,
    pub changes: Vec<changeset::Change>,
    pub review: Review,
    pub kept: Option<String>,
}

/// Whether [`apply`] executes the change set (after asking, unless `yes` or CI) or keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Execute { yes: bool },
    Keep,
}

/// What a "no" at the prompt does with the change set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decline {
    /// Delete it (and a new stack's empty shell): it was made for this run.
    Delete,
    /// Keep it: it is a reviewed plan that may be applied later.
    Keep,
}

/// Proposes the change set, shows its review (`before`: the stack's parameters now), then
/// executes it (asking, not with `yes` or in CI) and streams the stack's events to the end,
/// or keeps it. `verb` names the command in messages.
pub async fn apply(
    cfn: &aws_sdk_cloudformation::Client,
    proposal: &Proposal,
    before: &BTreeMap<String, String>,
    mode: Mode,
    poll: Duration,
    ui: &Ui,
    verb: &str,
) -> Result<Applied> {
    let stack_name = &proposal.stack_name;
    match changeset::prepare(cfn, proposal, poll).await? {
        Prepared::NoChanges => {
            ui.say(format!("no changes: stack {stack_name} is up to date"));
            Ok(Applied {
                status: NO_CHANGES.to_owned(),
                changes: Vec::new(),
                review: Review::default(),
                kept: None,
            })
        }
        Prepared::Ready {
            id,
            name,
            stack_id,
            changes,
            parameters,
        } => {
            let review = review::of_proposal(proposal, before, changes, &parameters);
            ui.say(review.render());
            let status = match mode {
                Mode::Keep => {
                    return Ok(Applied {
                        status: "planned".to_owned(),
                        changes: review.changes.clone(),
                        review,
                        kept: Some(name),
                    })
                }
                Mode::Execute { yes } => {
                    execute_reviewed(
                        cfn,
                        &id,
                        &stack_id,
                        stack_name,
                        proposal.create,
                        yes,
                        poll,
                        ui,
                        Decline::Delete,
                        verb,
                    )
                    .await?
                }
            };
            Ok(Applied {
                status,
                changes: review.changes.clone(),
                review,
                kept: None,
            })
        }
    }
}

/// Asks (not with `yes` or in CI), executes change set `id` and streams the stack's events
/// to the end; the stack's final status. `decline` says what a "no" does with the change set.
#[allow(clippy::too_many_arguments)]
pub async fn execute_reviewed(
    cfn: &aws_sdk_cloudformation::Client,
    id: &str,
    stack_id: &str,
    stack_name: &str,
    create: bool,
    yes: bool,
    poll: Duration,
    ui: &Ui,
    decline: Decline,
    verb: &str,
) -> Result<String> {
    let question = format!("Execute this change set on {stack_name}?");
    if let Err(declined) = ui.confirm(&question, yes || ui.ci) {
        if decline == Decline::Delete {
            changeset::delete(cfn, id).await?;
            if create {
                events::delete_review_shell(cfn, stack_id).await?;
            }
        }
        return Err(declined);
    }
    let mark = events::mark(cfn, stack_id).await?;
    changeset::execute(cfn, id).await?;
    let finished = events::watch(cfn, stack_id, mark, poll, ui, verb).await?;
    if !finished.succeeded() {
        bail!(
            "{verb} of {stack_name} failed:\n{}\nFix the cause above and {verb} again{}",
            finished.failure_report(),
            if create {
                " (a stack whose creation rolled back is recreated, with --yes)"
            } else {
                ""
            }
        );
    }
    Ok(finished.status.as_str().to_owned())
}

/// What to do about a stack in a status deploy cannot work from.
fn stuck_advice(stack_name: &str, status: &StackStatus) -> String {
    match status {
        StackStatus::UpdateRollbackFailed => format!(
            "stack {stack_name} is UPDATE_ROLLBACK_FAILED: a rollback could not finish. Fix the \
             resource its events name, then `aws cloudformation continue-update-rollback \
             --stack-name {stack_name}` and deploy again"
        ),
        StackStatus::DeleteFailed => format!(
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
