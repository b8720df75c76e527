//! Change sets: create one (CREATE for a new stack, UPDATE otherwise), wait until it is
//! ready, read every change (with the properties it touches) and its parameters, recognise
//! the empty one, look one up by name, execute or delete it.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::{anyhow, bail, Result};
use aws_sdk_cloudformation::error::ProvideErrorMetadata;
use aws_sdk_cloudformation::types::{
    Capability, ChangeAction, ChangeSetStatus, ChangeSetType, ExecutionStatus, Parameter,
    ResourceAttribute, Tag,
};
use aws_sdk_cloudformation::Client;
use serde_json::{json, Value};

use crate::clients::describe_error;
use crate::proposal::Proposal;
use crate::ui::table;

/// The largest template CloudFormation takes inline (`TemplateBody`).
pub const TEMPLATE_BODY_LIMIT: usize = 51_200;
/// The longest change set description CloudFormation takes.
const DESCRIPTION_LIMIT: usize = 1024;
/// How long a change set may take to compute before we give up waiting.
const CREATE_TIMEOUT: Duration = Duration::from_secs(15 * 60);

/// One row of the preview.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub action: String,
    pub logical_id: String,
    pub resource_type: String,
    /// `True`, `False` or `Conditional` for a modification; empty otherwise.
    pub replacement: String,
    /// The properties a modification touches (`PublicAccessBlockConfiguration`, …), or the
    /// other attributes (`Tags`, `Metadata`) by name; empty for an addition or removal.
    pub details: Vec<String>,
}

/// A change set as `DescribeChangeSet` tells it.
#[derive(Debug, Clone)]
pub struct ChangeSetInfo {
    /// The change set ARN.
    pub id: String,
    pub name: String,
    pub stack_id: String,
    pub status: ChangeSetStatus,
    pub status_reason: String,
    pub execution_status: ExecutionStatus,
    pub creation_time: Option<chrono::DateTime<chrono::Utc>>,
    pub description: String,
    /// The parameter values it was made with (CloudFormation lists them all, moto only the
    /// ones given).
    pub parameters: BTreeMap<String, String>,
    pub changes: Vec<Change>,
}

/// A computed change set.
#[derive(Debug, Clone)]
pub enum Prepared {
    /// Nothing would change; the change set was deleted again.
    NoChanges,
    Ready {
        /// The change set ARN.
        id: String,
        /// Its name (what `deploy --change-set` takes).
        name: String,
        /// The stack ARN (a CREATE change set makes the stack in `REVIEW_IN_PROGRESS`).
        stack_id: String,
        changes: Vec<Change>,
        /// The parameter values of the change set.
        parameters: BTreeMap<String, String>,
    },
}

/// Creates the change set, waits for it, and reads its changes. One CloudFormation finds
/// empty is deleted and reported as [`Prepared::NoChanges`]; a failed one is deleted and is
/// an error carrying CloudFormation's reason.
pub async fn prepare(cfn: &Client, proposal: &Proposal, poll: Duration) -> Result<Prepared> {
    if proposal.template_body.len() > TEMPLATE_BODY_LIMIT {
        bail!(
            "the template is {} bytes, over CloudFormation's {TEMPLATE_BODY_LIMIT}-byte inline \
             limit: shorten descriptions in xtask/stacks/src/main_stack/mod.rs",
            proposal.template_body.len()
        );
    }
    let name = format!("deploy-{}", chrono::Utc::now().format("%Y%m%d-%H%M%S-%3f"));
    if proposal.description.len() > DESCRIPTION_LIMIT {
        bail!(
            "the change set description is {} characters, over CloudFormation's \
             {DESCRIPTION_LIMIT}",
            proposal.description.len()
        );
    }
    let kind = if proposal.create {
        ChangeSetType::Create
    } else {
        ChangeSetType::Update
    };
    let created = cfn
        .create_change_set()
        .stack_name(&proposal.stack_name)
        .change_set_name(&name)
        .change_set_type(kind)
        .template_body(&proposal.template_body)
        .set_parameters(Some(
            proposal
                .parameters
                .iter()
                .map(|(key, value)| match value {
                    Some(v) => Parameter::builder()
                        .parameter_key(key)
                        .parameter_value(v)
                        .build(),
                    None => Parameter::builder()
                        .parameter_key(key)
                        .use_previous_value(true)
                        .build(),
                })
                .collect(),
        ))
        .set_tags(Some(
            proposal
                .tags
                .iter()
                .map(|(k, v)| Tag::builder().key(k).value(v).build())
                .collect(),
        ))
        .capabilities(if proposal.named_iam {
            Capability::CapabilityNamedIam
        } else {
            Capability::CapabilityIam
        })
        .set_role_arn(proposal.role_arn.clone())
        .description(&proposal.description)
        .send()
        .await
        .map_err(|e| {
            anyhow!(
                "cannot create a change set for stack {}: {}",
                proposal.stack_name,
                describe_error(&e)
            )
        })?;
    let id = created.id().unwrap_or(&name).to_owned();
    let stack_id = created
        .stack_id()
        .unwrap_or(&proposal.stack_name)
        .to_owned();

    let started = std::time::Instant::now();
    loop {
        let info = read(cfn, &id, None).await?;
        let (status, reason) = (info.status, info.status_reason);
        match status {
            // Ready, even with no resource change listed: outputs, tags or parameter
            // values alone still make an executable change set. Only CloudFormation's
            // FAILED "didn't contain changes" means there is nothing to do.
            ChangeSetStatus::CreateComplete => {
                return Ok(Prepared::Ready {
                    id,
                    name,
                    stack_id,
                    changes: info.changes,
                    parameters: info.parameters,
                })
            }
            ChangeSetStatus::Failed => {
                delete(cfn, &id).await?;
                if is_empty_reason(&reason) {
                    return Ok(Prepared::NoChanges);
                }
                bail!(
                    "the change set for stack {} failed: {reason} (fix the template or \
                     parameters it names and deploy again)",
                    proposal.stack_name
                );
            }
            _ if started.elapsed() > CREATE_TIMEOUT => bail!(
                "the change set {id} was not ready after {} minutes (status {status}): see the \
                 CloudFormation console",
                CREATE_TIMEOUT.as_secs() / 60
            ),
            _ => tokio::time::sleep(poll).await,
        }
    }
}

/// CloudFormation's ways of saying a change set would change nothing.
fn is_empty_reason(reason: &str) -> bool {
    reason.contains("didn't contain changes") || reason.contains("No updates are to be performed")
}

/// The change set `name_or_id` (a name needs its `stack`), or `None` when there is none.
pub async fn describe(
    cfn: &Client,
    name_or_id: &str,
    stack: &str,
) -> Result<Option<ChangeSetInfo>> {
    match read_page(cfn, name_or_id, Some(stack), None).await {
        Err(e) if is_missing(&e) => Ok(None),
        Err(e) => Err(anyhow!(
            "cannot read change set {name_or_id} of stack {stack}: {}",
            describe_error(&e)
        )),
        Ok(_) => read(cfn, name_or_id, Some(stack)).await.map(Some),
    }
}

/// CloudFormation's `ChangeSetNotFound`, or moto's `ValidationError` naming no stack.
fn is_missing(error: &impl ProvideErrorMetadata) -> bool {
    matches!(
        error.code(),
        Some("ChangeSetNotFound" | "ChangeSetNotFoundException")
    ) || (error.code() == Some("ValidationError")
        && error
            .message()
            .is_some_and(|m| m.contains("does not exist")))
}

type DescribeOutput =
    aws_sdk_cloudformation::operation::describe_change_set::DescribeChangeSetOutput;
type DescribeError = aws_sdk_cloudformation::error::SdkError<
    aws_sdk_cloudformation::operation::describe_change_set::DescribeChangeSetError,
    aws_sdk_cloudformation::config::http::HttpResponse,
>;

async fn read_page(
    cfn: &Client,
    id: &str,
    stack: Option<&str>,
    token: Option<String>,
) -> Result<DescribeOutput, DescribeError> {
    cfn.describe_change_set()
        .change_set_name(id)
        .set_stack_name(stack.map(str::to_owned))
        .set_next_token(token)
        .send()
        .await
}

/// Everything about the change set, every change (following `NextToken`).
async fn read(cfn: &Client, id: &str, stack: Option<&str>) -> Result<ChangeSetInfo> {
    let mut changes = Vec::new();
    let mut token = None;
    loop {
        let out = read_page(cfn, id, stack, token)
            .await
            .map_err(|e| anyhow!("cannot read change set {id}: {}", describe_error(&e)))?;
        for change in out.changes() {
            let Some(rc) = change.resource_change() else {
                continue;
            };
            let mut details: Vec<String> = rc
                .details()
                .iter()
                .filter_map(|d| {
                    let target = d.target()?;
                    match target.attribute() {
                        Some(ResourceAttribute::Properties) => target.name().map(str::to_owned),
                        Some(other) => Some(other.as_str().to_owned()),
                        None => None,
                    }
                })
                .collect();
            details.sort();
            details.dedup();
            changes.push(Change {
                action: rc
                    .action()
                    .map(ChangeAction::as_str)
                    .unwrap_or("?")
                    .to_owned(),
                logical_id: rc.logical_resource_id().unwrap_or("?").to_owned(),
                resource_type: rc.resource_type().unwrap_or("?").to_owned(),
                replacement: rc
                    .replacement()
                    .map(|r| r.as_str().to_owned())
                    .unwrap_or_default(),
                details,
            });
        }
        token = out.next_token().map(str::to_owned);
        if token.is_none() {
            return Ok(ChangeSetInfo {
                id: out.change_set_id().unwrap_or(id).to_owned(),
                name: out.change_set_name().unwrap_or(id).to_owned(),
                stack_id: out.stack_id().unwrap_or_default().to_owned(),
                status: out
                    .status()
                    .cloned()
                    .unwrap_or(ChangeSetStatus::CreatePending),
                status_reason: out.status_reason().unwrap_or("").to_owned(),
                execution_status: out
                    .execution_status()
                    .cloned()
                    .unwrap_or(ExecutionStatus::Unavailable),
                creation_time: out
                    .creation_time()
                    .and_then(|t| chrono::DateTime::from_timestamp(t.secs(), t.subsec_nanos())),
                description: out.description().unwrap_or_default().to_owned(),
                parameters: out
                    .parameters()
                    .iter()
                    .filter_map(|p| {
                        Some((
                            p.parameter_key()?.to_owned(),
                            p.parameter_value().unwrap_or_default().to_owned(),
                        ))
                    })
                    .collect(),
                changes,
            });
        }
    }
}

pub async fn delete(cfn: &Client, id: &str) -> Result<()> {
    cfn.delete_change_set()
        .change_set_name(id)
        .send()
        .await
        .map_err(|e| anyhow!("cannot delete change set {id}: {}", describe_error(&e)))?;
    Ok(())
}

pub async fn execute(cfn: &Client, id: &str) -> Result<()> {
    cfn.execute_change_set()
        .change_set_name(id)
        .send()
        .await
        .map_err(|e| anyhow!("cannot execute change set {id}: {}", describe_error(&e)))?;
    Ok(())
}

/// The preview: action, logical id, type, replacement.
pub fn render(changes: &[Change]) -> String {
    if changes.is_empty() {
        return "no resource changes (outputs, tags or parameter values only)".into();
    }
    let rows: Vec<Vec<String>> = changes
        .iter()
        .map(|c| {
            vec![
                c.action.clone(),
                c.logical_id.clone(),
                c.resource_type.clone(),
                c.replacement.clone(),
                c.details.join(", "),
            ]
        })
        .collect();
    table(
        &["Action", "Logical id", "Type", "Replacement", "Changes"],
        &rows,
    )
}

pub fn to_json(changes: &[Change]) -> Value {
    changes
        .iter()
        .map(|c| {
            json!({
                "action": c.action,
                "logical_id": c.logical_id,
                "type": c.resource_type,
                "replacement": c.replacement,
                "details": c.details,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_wordings_of_an_empty_change_set_are_recognised() {
        assert!(is_empty_reason("The submitted information didn't contain changes. Submit different information to create a change set."));
        assert!(is_empty_reason("No updates are to be performed."));
        assert!(!is_empty_reason(
            "Parameters: [SourceBucketName] must have values"
        ));
    }
}
