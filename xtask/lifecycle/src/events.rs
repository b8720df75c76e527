//! Watching a stack operation: poll `DescribeStackEvents` for the events after a mark,
//! print each once (above a live status line on a terminal, plain lines in CI), and stop
//! at a terminal stack status. The failed resources and their reasons come back for the
//! report.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Result};
use aws_sdk_cloudformation::types::StackEvent;
use aws_sdk_cloudformation::Client;

use crate::clients::describe_error;
use crate::stack_state::{self, ending, Ending};
use crate::stack_status::{ResourceStatus, ResourceStatusExt, StackStatus};
use crate::ui::{print_line, Ui};

/// The longest a create, update or delete is waited for (CloudFront can take 20 minutes).
const OPERATION_TIMEOUT: Duration = Duration::from_secs(90 * 60);
/// At most this many pages of events are read back to find the mark.
const MAX_EVENT_PAGES: usize = 10;

/// A resource that failed, with CloudFormation's reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub logical_id: String,
    pub resource_type: String,
    pub status: String,
    pub reason: String,
}

/// How the watched operation ended.
#[derive(Debug, Clone)]
pub struct Finished {
    pub status: StackStatus,
    pub status_reason: Option<String>,
    pub failures: Vec<Failure>,
    pub events_seen: usize,
}

impl Finished {
    pub fn succeeded(&self) -> bool {
        ending(&self.status) == Ending::Succeeded
    }

    /// One line per failed resource, for the error report.
    pub fn failure_report(&self) -> String {
        let mut lines = vec![format!(
            "stack ended in {}{}",
            self.status,
            self.status_reason
                .as_deref()
                .map(|r| format!(": {r}"))
                .unwrap_or_default()
        )];
        for f in &self.failures {
            lines.push(format!(
                "  {} {} ({}): {}",
                f.status, f.logical_id, f.resource_type, f.reason
            ));
        }
        lines.join("\n")
    }
}

/// The id of the newest event of the stack now: events after it belong to what comes next.
pub async fn mark(cfn: &Client, stack: &str) -> Result<Option<String>> {
    let out = cfn
        .describe_stack_events()
        .stack_name(stack)
        .send()
        .await
        .map_err(|e| {
            anyhow!(
                "cannot read the events of stack {stack}: {}",
                describe_error(&e)
            )
        })?;
    Ok(out
        .stack_events()
        .first()
        .and_then(|e| e.event_id().map(str::to_owned)))
}

/// Waits for the operation on `stack_id` to end, printing its events after `mark`.
pub async fn watch(
    cfn: &Client,
    stack_id: &str,
    mark: Option<String>,
    poll: Duration,
    ui: &Ui,
    operation: &str,
) -> Result<Finished> {
    let spinner = ui.spinner(format!("{operation}: waiting for CloudFormation"));
    let started = Instant::now();
    let mut seen: HashSet<String> = HashSet::new();
    let mut failures = Vec::new();
    let mut finished_resources = 0usize;
    loop {
        for event in new_events(cfn, stack_id, mark.as_deref(), &seen).await? {
            let id = event.event_id().unwrap_or_default().to_owned();
            seen.insert(id);
            let resource_status = event
                .resource_status()
                .cloned()
                .unwrap_or_else(|| ResourceStatus::from(""));
            let status = resource_status.as_str().to_owned();
            let logical = event.logical_resource_id().unwrap_or("?").to_owned();
            let kind = event.resource_type().unwrap_or("?").to_owned();
            let reason = event.resource_status_reason().unwrap_or("").to_owned();
            if resource_status.is_complete() && kind != "AWS::CloudFormation::Stack" {
                finished_resources += 1;
            }
            if resource_status.is_failed() && kind != "AWS::CloudFormation::Stack" {
                failures.push(Failure {
                    logical_id: logical.clone(),
                    resource_type: kind.clone(),
                    status: status.clone(),
                    reason: reason.clone(),
                });
            }
            let time = event
                .timestamp()
                .and_then(|t| {
                    chrono::DateTime::from_timestamp(t.secs(), 0)
                        .map(|t| t.format("%H:%M:%S").to_string())
                })
                .unwrap_or_default();
            let reason = if reason.is_empty() {
                String::new()
            } else {
                format!("  {reason}")
            };
            print_line(
                spinner.as_ref(),
                &format!("{time}  {status:<28} {kind:<42} {logical}{reason}"),
            );
        }
        let stack = stack_state::describe(cfn, stack_id).await?;
        let (status, status_reason) = match &stack {
            Some(s) => (s.status.clone(), s.status_reason.clone()),
            // Gone from DescribeStacks by ARN only once deleted.
            None => (StackStatus::DeleteComplete, None),
        };
        if let Some(bar) = &spinner {
            bar.set_message(format!(
                "{operation}: {status}, {finished_resources} resource steps done"
            ));
        }
        if ending(&status) != Ending::Running {
            if let Some(bar) = spinner {
                bar.finish_and_clear();
            }
            return Ok(Finished {
                status,
                status_reason,
                failures,
                events_seen: seen.len(),
            });
        }
        if started.elapsed() > OPERATION_TIMEOUT {
            bail!(
                "stack {stack_id} is still {status} after {} minutes: it goes on in \
                 CloudFormation; watch it in the console, then run the command again",
                OPERATION_TIMEOUT.as_secs() / 60
            );
        }
        tokio::time::sleep(poll).await;
    }
}

/// Events after `mark` not yet seen, oldest first.
async fn new_events(
    cfn: &Client,
    stack_id: &str,
    mark: Option<&str>,
    seen: &HashSet<String>,
) -> Result<Vec<StackEvent>> {
    let mut fresh = Vec::new();
    let mut token = None;
    'pages: for _ in 0..MAX_EVENT_PAGES {
        let out = cfn
            .describe_stack_events()
            .stack_name(stack_id)
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| {
                anyhow!(
                    "cannot read the events of stack {stack_id}: {}",
                    describe_error(&e)
                )
            })?;
        for event in out.stack_events() {
            let id = event.event_id().unwrap_or_default();
            if Some(id) == mark || seen.contains(id) {
                break 'pages;
            }
            fresh.push(event.clone());
        }
        token = out.next_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    fresh.reverse();
    Ok(fresh)
}

/// Deletes the stack and watches it go; the result says whether it is gone.
pub async fn delete_stack(
    cfn: &Client,
    stack: &stack_state::StackInfo,
    poll: Duration,
    ui: &Ui,
) -> Result<Finished> {
    let mark = mark(cfn, &stack.id).await?;
    cfn.delete_stack()
        .stack_name(&stack.id)
        .send()
        .await
        .map_err(|e| anyhow!("cannot delete stack {}: {}", stack.name, describe_error(&e)))?;
    watch(cfn, &stack.id, mark, poll, ui, "delete").await
}

/// Deletes the empty stack a CREATE change set leaves (`REVIEW_IN_PROGRESS`, no resources)
/// when the change set is not executed.
pub async fn delete_review_shell(cfn: &Client, stack_id: &str) -> Result<()> {
    cfn.delete_stack()
        .stack_name(stack_id)
        .send()
        .await
        .map_err(|e| {
            anyhow!(
                "cannot delete the unexecuted stack {stack_id}: {}",
                describe_error(&e)
            )
        })?;
    Ok(())
}
