//! Change sets: create one (CREATE for a new stack, UPDATE otherwise), wait until it is
//! ready, read every change, recognise the empty one, execute or delete it.

use std::time::Duration;

use anyhow::{anyhow, bail, Result};
use aws_sdk_cloudformation::types::{
    Capability, ChangeAction, ChangeSetStatus, ChangeSetType, Parameter, Tag,
};
use aws_sdk_cloudformation::Client;
use serde_json::{json, Value};

use super::aws::describe_error;
use super::ui::table;

/// The largest template CloudFormation takes inline (`TemplateBody`).
pub const TEMPLATE_BODY_LIMIT: usize = 51_200;
/// How long a change set may take to compute before we give up waiting.
const CREATE_TIMEOUT: Duration = Duration::from_secs(15 * 60);

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

/// One row of the preview.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub action: String,
    pub logical_id: String,
    pub resource_type: String,
    /// `True`, `False` or `Conditional` for a modification; empty otherwise.
    pub replacement: String,
}

/// A computed change set.
#[derive(Debug, Clone)]
pub enum Prepared {
    /// Nothing would change; the change set was deleted again.
    NoChanges,
    Ready {
        /// The change set ARN.
        id: String,
        /// The stack ARN (a CREATE change set makes the stack in `REVIEW_IN_PROGRESS`).
        stack_id: String,
        changes: Vec<Change>,
    },
}

/// Creates the change set, waits for it, and reads its changes. One CloudFormation finds
/// empty is deleted and reported as [`Prepared::NoChanges`]; a failed one is deleted and is
/// an error carrying CloudFormation's reason.
pub async fn prepare(cfn: &Client, proposal: &Proposal, poll: Duration) -> Result<Prepared> {
    if proposal.template_body.len() > TEMPLATE_BODY_LIMIT {
        bail!(
            "the template is {} bytes, over CloudFormation's {TEMPLATE_BODY_LIMIT}-byte inline \
             limit: shorten descriptions in xtask/src/stack.rs",
            proposal.template_body.len()
        );
    }
    let name = format!("deploy-{}", chrono::Utc::now().format("%Y%m%d-%H%M%S-%3f"));
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
        let (status, reason, changes) = read(cfn, &id).await?;
        match status {
            // Ready, even with no resource change listed: outputs, tags or parameter
            // values alone still make an executable change set. Only CloudFormation's
            // FAILED "didn't contain changes" means there is nothing to do.
            ChangeSetStatus::CreateComplete => {
                return Ok(Prepared::Ready {
                    id,
                    stack_id,
                    changes,
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

/// Status, status reason and every change (following `NextToken`).
async fn read(cfn: &Client, id: &str) -> Result<(ChangeSetStatus, String, Vec<Change>)> {
    let mut changes = Vec::new();
    let mut token = None;
    loop {
        let out = cfn
            .describe_change_set()
            .change_set_name(id)
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| anyhow!("cannot read change set {id}: {}", describe_error(&e)))?;
        for change in out.changes() {
            let Some(rc) = change.resource_change() else {
                continue;
            };
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
            });
        }
        token = out.next_token().map(str::to_owned);
        if token.is_none() {
            let status = out
                .status()
                .cloned()
                .unwrap_or(ChangeSetStatus::CreatePending);
            let reason = out.status_reason().unwrap_or("").to_owned();
            return Ok((status, reason, changes));
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
            ]
        })
        .collect();
    table(&["Action", "Logical id", "Type", "Replacement"], &rows)
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
