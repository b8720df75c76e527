//! `cargo xtask drift`: has anyone changed the stage's resources outside CloudFormation?
//! Starts a drift detection, waits for it, and lists each drifted resource with its
//! property differences (expected → actual). Exit 0 in sync, 1 drifted.

use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Result};
use aws_sdk_cloudformation::types::{StackDriftDetectionStatus, StackResourceDriftStatus};
use serde::Serialize;
use serde_json::json;

use crate::clients::{describe_error, AwsArgs, Clients};
use crate::Session;
use xtask_stacks::stages::StageArgs;

/// How long a detection may take before we stop waiting.
const DETECTION_TIMEOUT: Duration = Duration::from_secs(10 * 60);

/// Flags of `cargo xtask drift`.
#[derive(clap::Args, Debug)]
pub struct Drift {
    #[command(flatten)]
    pub stage: StageArgs,
    #[command(flatten)]
    pub aws: AwsArgs,
}

/// One resource that differs from its template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DriftedResource {
    pub logical_id: String,
    pub resource_type: String,
    /// `MODIFIED` or `DELETED`.
    pub status: String,
    /// `(property path, expected, actual, MODIFY|ADD|REMOVE)`.
    pub differences: Vec<(String, String, String, String)>,
}

/// Run a detection on `stack_name` and return the drifted resources (empty: in sync).
pub async fn detect(
    clients: &Clients,
    stack_name: &str,
    poll: Duration,
) -> Result<Vec<DriftedResource>> {
    let cfn = &clients.cloudformation;
    let started = cfn
        .detect_stack_drift()
        .stack_name(stack_name)
        .send()
        .await
        .map_err(|e| {
            anyhow!(
                "cannot start drift detection on {stack_name}: {}",
                describe_error(&e)
            )
        })?;
    let id = started
        .stack_drift_detection_id()
        .unwrap_or_default()
        .to_owned();
    let begun = Instant::now();
    loop {
        let status = cfn
            .describe_stack_drift_detection_status()
            .stack_drift_detection_id(&id)
            .send()
            .await
            .map_err(|e| anyhow!("cannot read drift detection {id}: {}", describe_error(&e)))?;
        match status.detection_status() {
            Some(StackDriftDetectionStatus::DetectionComplete) => break,
            Some(StackDriftDetectionStatus::DetectionFailed) => bail!(
                "drift detection on {stack_name} failed: {} (the identity needs the read \
                 permissions of every resource type in the stack)",
                status
                    .detection_status_reason()
                    .unwrap_or("no reason given")
            ),
            _ if begun.elapsed() > DETECTION_TIMEOUT => bail!(
                "drift detection on {stack_name} is still running after {} minutes: see it in \
                 the CloudFormation console and run `cargo xtask drift` again later",
                DETECTION_TIMEOUT.as_secs() / 60
            ),
            _ => tokio::time::sleep(poll).await,
        }
    }
    let drifts = cfn
        .describe_stack_resource_drifts()
        .stack_name(stack_name)
        .stack_resource_drift_status_filters(StackResourceDriftStatus::Modified)
        .stack_resource_drift_status_filters(StackResourceDriftStatus::Deleted)
        .send()
        .await
        .map_err(|e| {
            anyhow!(
                "cannot read the drift of {stack_name}: {}",
                describe_error(&e)
            )
        })?;
    Ok(drifts
        .stack_resource_drifts()
        .iter()
        .map(|d| DriftedResource {
            logical_id: d.logical_resource_id().unwrap_or_default().to_owned(),
            resource_type: d.resource_type().unwrap_or_default().to_owned(),
            status: d
                .stack_resource_drift_status()
                .map(|s| s.as_str().to_owned())
                .unwrap_or_default(),
            differences: d
                .property_differences()
                .iter()
                .map(|p| {
                    (
                        p.property_path().unwrap_or_default().to_owned(),
                        p.expected_value().unwrap_or_default().to_owned(),
                        p.actual_value().unwrap_or_default().to_owned(),
                        p.difference_type()
                            .map(|t| t.as_str().to_owned())
                            .unwrap_or_default(),
                    )
                })
                .collect(),
        })
        .collect())
}

impl Drift {
    /// Detect, print, and exit 1 on drift.
    pub fn run(self) -> Result<()> {
        let Session {
            ui,
            stage,
            rt,
            clients,
            poll,
        } = Session::open(&self.stage, &self.aws, &[])?;
        let drifted = rt.block_on(detect(&clients, &stage.stack_name, poll))?;
        for resource in &drifted {
            ui.say(format!(
                "{} {} ({})",
                resource.status, resource.logical_id, resource.resource_type
            ));
            for (path, expected, actual, kind) in &resource.differences {
                ui.say(format!("  {kind} {path}: {expected} → {actual}"));
            }
        }
        ui.json(&json!({
            "stack": stage.stack_name,
            "drifted": drifted,
        }));
        if drifted.is_empty() {
            ui.say(format!(
                "stack {} is in sync with its template",
                stage.stack_name
            ));
            Ok(())
        } else {
            bail!(
                "stack {} has drifted: {} resource(s) changed outside CloudFormation; deploy \
                 again to put them back, or change the stack to match",
                stage.stack_name,
                drifted.len()
            )
        }
    }
}
