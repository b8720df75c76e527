//! What a stack is right now: absent, or its status, outputs, parameters and termination
//! protection; and what each status allows next.

use std::collections::BTreeMap;

use anyhow::{anyhow, Context, Result};
use aws_sdk_cloudformation::error::ProvideErrorMetadata;
use aws_sdk_cloudformation::Client;

use crate::clients::describe_error;
use crate::stack_status::{StackStatus, StackStatusExt};
use xtask_stacks::main_stack::outputs;

/// A stack that exists (in any status but `DELETE_COMPLETE`).
#[derive(Debug, Clone)]
pub struct StackInfo {
    pub name: String,
    /// The stack ARN: still answers `DescribeStacks` after the stack is deleted.
    pub id: String,
    pub status: StackStatus,
    pub status_reason: Option<String>,
    pub outputs: BTreeMap<String, String>,
    pub parameters: BTreeMap<String, String>,
    pub termination_protection: bool,
    /// When an update last began (`LastUpdatedTime`; none before the first update, and
    /// never on moto).
    pub last_updated: Option<chrono::DateTime<chrono::Utc>>,
}

/// The stack `name_or_id`, or `None` when there is none.
pub async fn describe(cfn: &Client, name_or_id: &str) -> Result<Option<StackInfo>> {
    let out = match cfn.describe_stacks().stack_name(name_or_id).send().await {
        Ok(out) => out,
        Err(e) if is_missing_stack(&e) => return Ok(None),
        Err(e) => {
            return Err(crate::sdk::explain(
                e,
                &format!("cannot describe stack {name_or_id}"),
                "cloudformation:DescribeStacks",
            ))
        }
    };
    let Some(stack) = out.stacks().first() else {
        return Ok(None);
    };
    let status = stack
        .stack_status()
        .cloned()
        .unwrap_or_else(|| StackStatus::from(""));
    if status == StackStatus::DeleteComplete {
        return Ok(None);
    }
    Ok(Some(StackInfo {
        name: stack.stack_name().unwrap_or(name_or_id).to_owned(),
        id: stack.stack_id().unwrap_or(name_or_id).to_owned(),
        status,
        status_reason: stack.stack_status_reason().map(str::to_owned),
        outputs: stack
            .outputs()
            .iter()
            .filter_map(|o| Some((o.output_key()?.to_owned(), o.output_value()?.to_owned())))
            .collect(),
        parameters: stack
            .parameters()
            .iter()
            .filter_map(|p| {
                Some((
                    p.parameter_key()?.to_owned(),
                    p.parameter_value().unwrap_or_default().to_owned(),
                ))
            })
            .collect(),
        termination_protection: stack.enable_termination_protection().unwrap_or(false),
        last_updated: stack
            .last_updated_time()
            .and_then(|t| chrono::DateTime::from_timestamp(t.secs(), t.subsec_nanos())),
    }))
}

/// [`describe`], with any missing output that is a resource's `Ref` filled in from
/// `ListStackResources`. CloudFormation always reports outputs; moto 5.2.5 drops them for
/// stacks made or changed by change sets, and a stack from an older template may lack one.
pub async fn describe_with_outputs(cfn: &Client, name_or_id: &str) -> Result<Option<StackInfo>> {
    let Some(mut info) = describe(cfn, name_or_id).await? else {
        return Ok(None);
    };
    let missing = outputs::REF_OF
        .iter()
        .any(|(output, _)| !info.outputs.contains_key(*output));
    if missing {
        let resources = cfn
            .list_stack_resources()
            .stack_name(&info.id)
            .send()
            .await
            .map_err(|e| {
                anyhow!(
                    "cannot list the resources of stack {name_or_id}: {}",
                    describe_error(&e)
                )
            })?;
        for (output, logical) in outputs::REF_OF {
            let physical = resources
                .stack_resource_summaries()
                .iter()
                .find(|r| r.logical_resource_id() == Some(logical))
                .and_then(|r| r.physical_resource_id());
            if let (false, Some(physical)) = (info.outputs.contains_key(output), physical) {
                info.outputs.insert(output.to_owned(), physical.to_owned());
            }
        }
    }
    Ok(Some(info))
}

/// Output `name` of the stage's stack (see [`describe_with_outputs`]); an error names the
/// stack, the region and the fix when the stack or the output is missing.
pub async fn stage_output(
    clients: &crate::clients::Clients,
    stage: &xtask_stacks::stages::Stage,
    name: &str,
) -> Result<String> {
    let info = stage_stack(clients, stage).await?;
    info.outputs.get(name).cloned().with_context(|| {
        format!(
            "stack {} ({}) has no {name} output: is it this project's stack?",
            stage.stack_name, info.status
        )
    })
}

/// The stage's stack with its outputs (see [`describe_with_outputs`]); an error names the
/// stack, the region and the fix when there is none.
pub async fn stage_stack(
    clients: &crate::clients::Clients,
    stage: &xtask_stacks::stages::Stage,
) -> Result<StackInfo> {
    describe_with_outputs(&clients.cloudformation, &stage.stack_name)
        .await?
        .with_context(|| {
            format!(
                "stack {} does not exist in {}: deploy it first (`cargo xtask deploy --stage {}`)",
                stage.stack_name, clients.region, stage.name
            )
        })
}

/// CloudFormation says "Stack with id X does not exist" as a `ValidationError`.
pub fn is_missing_stack(error: &impl ProvideErrorMetadata) -> bool {
    error.code() == Some("ValidationError")
        && error
            .message()
            .is_some_and(|m| m.contains("does not exist"))
}

/// What a deploy may do with a stack in a given status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// No stack, or only the shell a never-executed CREATE change set leaves
    /// (`REVIEW_IN_PROGRESS`): create it.
    Create,
    /// A stable stack: update it.
    Update,
    /// Creation failed and rolled back (`ROLLBACK_COMPLETE`, `ROLLBACK_FAILED`): it can
    /// only be deleted, then created again.
    Recreate,
    /// An operation is running: wait for it.
    Busy,
    /// Needs a person (`UPDATE_ROLLBACK_FAILED`, `DELETE_FAILED`, …).
    Stuck,
}

/// What a deploy may do next with a stack in `status` (`None`: no stack).
pub fn next_step(status: Option<&StackStatus>) -> Next {
    use StackStatus as S;
    match status {
        None | Some(S::ReviewInProgress) => Next::Create,
        Some(S::RollbackComplete | S::RollbackFailed) => Next::Recreate,
        Some(S::UpdateRollbackFailed | S::DeleteFailed | S::ImportRollbackFailed) => Next::Stuck,
        Some(s) if !s.is_settled() => Next::Busy,
        Some(_) => Next::Update,
    }
}

/// How an operation that was waited for ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// Still going.
    Running,
    /// Created, updated, deleted or imported.
    Succeeded,
    /// Rolled back or failed: the operation did not happen.
    Failed,
}

/// Whether `status` ends a create, update or delete, and how.
pub fn ending(status: &StackStatus) -> Ending {
    if !status.is_settled() {
        Ending::Running
    } else if status.is_failed() {
        Ending::Failed
    } else {
        Ending::Succeeded
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_status_has_one_next_step() {
        assert_eq!(next_step(None), Next::Create);
        assert_eq!(
            next_step(Some(&StackStatus::from("REVIEW_IN_PROGRESS"))),
            Next::Create
        );
        assert_eq!(
            next_step(Some(&StackStatus::from("CREATE_COMPLETE"))),
            Next::Update
        );
        assert_eq!(
            next_step(Some(&StackStatus::from("UPDATE_ROLLBACK_COMPLETE"))),
            Next::Update
        );
        assert_eq!(
            next_step(Some(&StackStatus::from("ROLLBACK_COMPLETE"))),
            Next::Recreate
        );
        assert_eq!(
            next_step(Some(&StackStatus::from("UPDATE_IN_PROGRESS"))),
            Next::Busy
        );
        assert_eq!(
            next_step(Some(&StackStatus::from(
                "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"
            ))),
            Next::Busy
        );
        assert_eq!(
            next_step(Some(&StackStatus::from("UPDATE_ROLLBACK_FAILED"))),
            Next::Stuck
        );
        assert_eq!(
            next_step(Some(&StackStatus::from("DELETE_FAILED"))),
            Next::Stuck
        );
    }

    #[test]
    fn rollbacks_and_failures_end_an_operation_as_failed() {
        assert_eq!(
            ending(&StackStatus::from("CREATE_COMPLETE")),
            Ending::Succeeded
        );
        assert_eq!(
            ending(&StackStatus::from("DELETE_COMPLETE")),
            Ending::Succeeded
        );
        assert_eq!(
            ending(&StackStatus::from("ROLLBACK_IN_PROGRESS")),
            Ending::Running
        );
        assert_eq!(
            ending(&StackStatus::from("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS")),
            Ending::Running
        );
        assert_eq!(
            ending(&StackStatus::from("ROLLBACK_COMPLETE")),
            Ending::Failed
        );
        assert_eq!(
            ending(&StackStatus::from("UPDATE_ROLLBACK_COMPLETE")),
            Ending::Failed
        );
        assert_eq!(ending(&StackStatus::from("DELETE_FAILED")), Ending::Failed);
    }
}
