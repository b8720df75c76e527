//! Applying a reviewed change set, shared by `deploy`, `bootstrap` and the apply of a kept
//! plan: ask (unless `--yes`), execute, stream the stack's events until it settles, then
//! finish: the outputs, the production warning and the backfill a new stack, style or image needs.

use std::time::Duration;

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};

use std::collections::BTreeMap;

use crate::backfill;
use crate::changeset::{self, Prepared};
use crate::clients::Clients;
use crate::events;
use crate::proposal::Proposal;
use crate::review::{self, Review};
use crate::stack_state::{self, next_step, Next, StackInfo};
use crate::stack_status::StackStatus;
use crate::ui::{table, Ui};
use xtask_stacks::main_stack::{outputs, params};
use xtask_stacks::stage_style;
use xtask_stacks::stages::Stage;

/// After an executed change set: the outputs, the production warning, and the backfill
/// when the stack was created or its chart style or image changed. Returns the deploy report.
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
    let changed = backfill::Changed {
        stack: create,
        style: review.changes_parameter(stage_style::PARAMETER),
        image: review.changes_parameter(params::IMAGE_URI),
    };
    match backfill::decide(true, changed, backfill_enabled) {
        Some(reason) => {
            let summary = backfill::run(clients, stage, reason, poll, ui).await?;
            report["backfill"] = json!({ "reason": reason.as_str(), "summary": summary });
        }
        None => {
            if let Some(reason) = changed.reason() {
                ui.say(format!(
                    "no backfill (--no-backfill), although {}: run `cargo xtask invoke --stage \
                     {} --changed` to draw those charts now (else the next daily run does)",
                    reason.as_str(),
                    stage.name
                ));
            }
        }
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
    if let Some(url) = info.outputs.get(outputs::DASHBOARD_URL) {
        ui.say(format!("dashboard: {url}"));
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
