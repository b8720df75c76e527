//! Plan and apply, for a reviewed change before it runs: `deploy --no-execute` keeps its
//! change set, its description recording where the stack was (its newest event, or "new
//! stack"); `deploy --change-set NAME` executes exactly that change set, and refuses, in one
//! line saying what changed and what to do, when it does not exist, is not executable, or
//! the stack has changed since it was made.

use anyhow::{bail, Result};
use aws_sdk_cloudformation::types::{ChangeSetStatus, ExecutionStatus};
use serde_json::Value;

use crate::apply::{execute_reviewed, finish, Decline};
use crate::changeset::{self, ChangeSetInfo};
use crate::clients::Clients;
use crate::events;
use crate::proposal::template_parameters;
use crate::review::{self, Review};
use crate::stack_state::{self, StackInfo};
use crate::stack_status::{StackStatus, StackStatusExt};
use crate::ui::Ui;
use xtask_stacks::main_stack::Scope;
use xtask_stacks::stages::Stage;

/// What the description of a kept change set says about the stack it was planned on.
const NEW_STACK: &str = "[planned on a new stack]";
const AT_EVENT: &str = "[planned on stack event ";

/// `base` with the record of where the stack was: `None` for a new stack, else the id of
/// its newest event (any later operation on the stack adds events after it).
pub fn description(base: &str, stack_event: Option<&str>) -> String {
    match stack_event {
        None => format!("{base} {NEW_STACK}"),
        Some(event) => format!("{base} {AT_EVENT}{event}]"),
    }
}

/// Where the stack was when the change set was planned: `Some(None)` a new stack,
/// `Some(Some(event))` that event, `None` no record (not made by `deploy --no-execute`).
pub fn recorded(description: &str) -> Option<Option<String>> {
    if description.ends_with(NEW_STACK) {
        return Some(None);
    }
    let start = description.rfind(AT_EVENT)? + AT_EVENT.len();
    let event = description[start..].strip_suffix(']')?;
    Some(Some(event.to_owned()))
}

/// The message for every refusal: plan again.
fn plan_again(stage: &Stage) -> String {
    format!(
        "plan again with `cargo xtask deploy --stage {} --no-execute` and review the new change \
         set",
        stage.name
    )
}

/// A kept change set that may be executed now.
#[derive(Debug)]
pub struct Executable {
    pub info: ChangeSetInfo,
    /// The stack as it is (`REVIEW_IN_PROGRESS` for a planned creation).
    pub stack: StackInfo,
    pub create: bool,
}

/// Checks that change set `name` of the stage's stack exists, is executable, and was planned
/// on the stack as it is now.
pub async fn check(clients: &Clients, stage: &Stage, name: &str) -> Result<Executable> {
    let cfn = &clients.cloudformation;
    let stack_name = &stage.stack_name;
    let Some(stack) = stack_state::describe(cfn, stack_name).await? else {
        bail!(
            "change set {name} cannot be executed: stack {stack_name} does not exist in {} \
             (torn down since the plan?); {}",
            clients.region,
            plan_again(stage)
        );
    };
    let Some(info) = changeset::describe(cfn, name, stack_name).await? else {
        bail!(
            "change set {name} does not exist for stack {stack_name} (executed, deleted, or \
             never made); {}",
            plan_again(stage)
        );
    };
    if info.status != ChangeSetStatus::CreateComplete {
        bail!(
            "change set {name} of {stack_name} is {}{}, not ready to execute; {}",
            info.status,
            Some(info.status_reason.as_str())
                .filter(|r| !r.is_empty())
                .map(|r| format!(" ({r})"))
                .unwrap_or_default(),
            plan_again(stage)
        );
    }
    match &info.execution_status {
        ExecutionStatus::Available => {}
        ExecutionStatus::Obsolete => bail!(
            "change set {name} is OBSOLETE: stack {stack_name} was changed after it was planned \
             (now {}); {}",
            stack.status,
            plan_again(stage)
        ),
        ExecutionStatus::ExecuteComplete | ExecutionStatus::ExecuteInProgress => bail!(
            "change set {name} was already executed ({}): a change set runs once; {}",
            info.execution_status,
            plan_again(stage)
        ),
        other => bail!(
            "change set {name} of {stack_name} is not executable (execution status {other}); {}",
            plan_again(stage)
        ),
    }
    let create = stack.status == StackStatus::ReviewInProgress;
    if !create && !stack.status.is_settled() {
        bail!(
            "stack {stack_name} is {}: another operation is running; wait until it ends, then \
             {}",
            stack.status,
            plan_again(stage)
        );
    }
    if let (Some(updated), Some(planned)) = (stack.last_updated, info.creation_time) {
        if updated > planned {
            bail!(
                "stack {stack_name} was updated at {updated} ({}), after change set {name} was \
                 planned at {planned}; {}",
                stack.status,
                plan_again(stage)
            );
        }
    }
    match recorded(&info.description) {
        Some(None) if !create => bail!(
            "change set {name} was planned to create stack {stack_name}, which is now {}; {}",
            stack.status,
            plan_again(stage)
        ),
        Some(Some(event)) => {
            let now = events::mark(cfn, &stack.id).await?;
            if now.as_deref() != Some(event.as_str()) {
                bail!(
                    "stack {stack_name} has changed since change set {name} was planned (new \
                     stack events; now {}); {}",
                    stack.status,
                    plan_again(stage)
                );
            }
        }
        _ => {}
    }
    Ok(Executable {
        info,
        stack,
        create,
    })
}

/// `deploy --change-set NAME`: check, show, confirm (`--yes`, `CI=true`), execute, watch,
/// then the outputs and the backfill as after any deploy. Returns the JSON report.
pub async fn apply_kept(
    clients: &Clients,
    stage: &Stage,
    name: &str,
    yes: bool,
    backfill: bool,
    poll: std::time::Duration,
    ui: &Ui,
) -> Result<Value> {
    let Executable {
        info,
        stack,
        create,
    } = check(clients, stage, name).await?;
    let before = if create {
        Default::default()
    } else {
        stack.parameters.clone()
    };
    let after = review::values_after(
        &before,
        &info.parameters,
        &[],
        &template_parameters(Scope::Full),
    );
    let review = Review::new(
        info.changes.clone(),
        review::parameter_changes(&before, &after),
    );
    ui.say(format!(
        "change set {} of {} ({}), as planned{}:",
        info.name,
        stage.stack_name,
        if create { "CREATE" } else { "UPDATE" },
        info.creation_time
            .map(|t| format!(" at {}", t.format("%Y-%m-%d %H:%M:%S UTC")))
            .unwrap_or_default()
    ));
    ui.say(review.render());
    let status = execute_reviewed(
        &clients.cloudformation,
        &info.id,
        &info.stack_id,
        &stage.stack_name,
        create,
        yes,
        poll,
        ui,
        Decline::Keep,
        "deploy",
    )
    .await?;
    let image = after
        .get(xtask_stacks::main_stack::params::IMAGE_URI)
        .cloned()
        .unwrap_or_default();
    finish(
        clients, stage, &status, create, &review, &image, backfill, poll, ui,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_description_records_where_the_stack_was() {
        let new = description("cargo xtask deploy --no-execute of abc", None);
        assert_eq!(recorded(&new), Some(None));
        let at = description("cargo xtask deploy --no-execute of abc", Some("e-1[x]"));
        assert_eq!(recorded(&at), Some(Some("e-1[x]".to_owned())));
        assert_eq!(recorded("cargo xtask deploy of abc"), None);
    }
}
