//! After a teardown: is each resource the stack had really gone? One cheap read per
//! resource through its own service where the emulators and AWS answer (S3, Lambda, Logs,
//! IAM, SQS, ECR, Step Functions, CloudWatch alarms, Scheduler), and through the Cloud
//! Control API for every other type. An endpoint without Cloud Control (LocalStack answers
//! 501 Not Implemented; AWS always has it) leaves those resources not checked, and says so.

use anyhow::{anyhow, Result};
use aws_sdk_cloudformation::error::ProvideErrorMetadata;
use aws_sdk_sfn::types::StateMachineStatus;

use crate::clients::{describe_error, Clients};

/// A resource the stack held, as `ListStackResources` names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    pub logical_id: String,
    pub resource_type: String,
    pub physical_id: String,
}

impl Resource {
    /// Whether CloudFormation gave it a physical id: a resource without one was never
    /// created (its creation failed or was skipped), so there is nothing to check.
    pub fn was_created(&self) -> bool {
        !self.physical_id.trim().is_empty()
    }

    /// `TYPE PHYSICAL-ID (LOGICAL-ID)`, leaving out the parts CloudFormation did not give
    /// (moto lists a type it does not model with no type, id or name at all).
    pub fn describe(&self) -> String {
        let kind = Some(self.resource_type.trim()).filter(|t| !t.is_empty());
        let physical = Some(self.physical_id.trim()).filter(|p| !p.is_empty());
        let logical = Some(self.logical_id.trim()).filter(|l| !l.is_empty());
        let head = match (kind, physical) {
            (Some(k), Some(p)) => format!("{k} {p}"),
            (Some(k), None) => format!("{k} without a physical id"),
            (None, Some(p)) => format!("resource {p}"),
            (None, None) => "a resource without type or physical id".to_owned(),
        };
        match logical {
            Some(l) => format!("{head} ({l})"),
            None => head,
        }
    }
}

/// What a check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    Gone,
    StillThere,
    /// The endpoint does not implement the read (HTTP 501): why, in words.
    NotChecked(String),
}

/// Whether `resource` still exists.
pub async fn check(clients: &Clients, resource: &Resource) -> Result<Found> {
    let id = resource.physical_id.as_str();
    let present = match resource.resource_type.as_str() {
        // A bucket policy lives and dies with its bucket (its physical id is the bucket).
        "AWS::S3::Bucket" | "AWS::S3::BucketPolicy" => {
            match clients.s3.head_bucket().bucket(id).send().await {
                Ok(_) => true,
                Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 404) => false,
                Err(e) => return Err(failed(resource, describe_error(&e))),
            }
        }
        // A queue's or topic's policy is an attribute of it, gone with it (the queue and the
        // topic are checked themselves); Cloud Control cannot read one by its physical id.
        "AWS::SQS::QueuePolicy" | "AWS::SNS::TopicPolicy" => false,
        "AWS::Lambda::Function" => {
            match clients.lambda.get_function().function_name(id).send().await {
                Ok(_) => true,
                Err(e) if e.code() == Some("ResourceNotFoundException") => false,
                Err(e) => return Err(failed(resource, describe_error(&e))),
            }
        }
        "AWS::Logs::LogGroup" => {
            let out = clients
                .logs
                .describe_log_groups()
                .log_group_name_prefix(id)
                .send()
                .await
                .map_err(|e| failed(resource, describe_error(&e)))?;
            out.log_groups()
                .iter()
                .any(|g| g.log_group_name() == Some(id))
        }
        "AWS::IAM::Role" => match clients.iam.get_role().role_name(id).send().await {
            Ok(_) => true,
            Err(e) if e.code() == Some("NoSuchEntity") => false,
            Err(e) => return Err(failed(resource, describe_error(&e))),
        },
        // An alarm's and a schedule's physical id is its name.
        "AWS::CloudWatch::Alarm" => {
            match clients
                .cloudwatch
                .describe_alarms()
                .alarm_names(id)
                .send()
                .await
            {
                Ok(out) => !out.metric_alarms().is_empty() || !out.composite_alarms().is_empty(),
                Err(e) => return Err(failed(resource, describe_error(&e))),
            }
        }
        "AWS::Scheduler::Schedule" => {
            match clients.scheduler.get_schedule().name(id).send().await {
                Ok(_) => true,
                Err(e) if e.code() == Some("ResourceNotFoundException") => false,
                Err(e) => return Err(failed(resource, describe_error(&e))),
            }
        }
        "AWS::SQS::Queue" => {
            match clients
                .sqs
                .get_queue_attributes()
                .queue_url(id)
                .send()
                .await
            {
                Ok(_) => true,
                Err(e)
                    if e.code().is_some_and(|c| {
                        c.contains("NonExistentQueue") || c.contains("QueueDoesNotExist")
                    }) =>
                {
                    false
                }
                Err(e) => return Err(failed(resource, describe_error(&e))),
            }
        }
        // A fan-out stage's machine (its physical id is the ARN); one still DELETING right
        // after the stack's deletion is on its way out, nothing to delete by hand.
        "AWS::StepFunctions::StateMachine" => {
            match clients
                .sfn
                .describe_state_machine()
                .state_machine_arn(id)
                .send()
                .await
            {
                Ok(out) => out.status() != Some(&StateMachineStatus::Deleting),
                Err(e) if e.code() == Some("StateMachineDoesNotExist") => false,
                Err(e) => {
                    return Err(crate::sdk::explain(
                        e,
                        &format!("cannot check whether {} is gone", resource.describe()),
                        crate::sdk::states::DESCRIBE_STATE_MACHINE,
                    ))
                }
            }
        }
        kind => {
            match clients
                .cloudcontrol
                .get_resource()
                .type_name(kind)
                .identifier(id)
                .send()
                .await
            {
                Ok(_) => true,
                Err(e) if e.code() == Some("ResourceNotFoundException") => false,
                Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 501) => {
                    return Ok(Found::NotChecked(format!(
                        "the endpoint does not implement Cloud Control's GetResource ({})",
                        e.message().unwrap_or("501 Not Implemented")
                    )))
                }
                Err(e) => return Err(failed(resource, describe_error(&e))),
            }
        }
    };
    Ok(if present {
        Found::StillThere
    } else {
        Found::Gone
    })
}

fn failed(resource: &Resource, cause: String) -> anyhow::Error {
    anyhow!(
        "cannot check whether {} is gone: {cause}",
        resource.describe()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resource(kind: &str, physical: &str, logical: &str) -> Resource {
        Resource {
            logical_id: logical.into(),
            resource_type: kind.into(),
            physical_id: physical.into(),
        }
    }

    #[test]
    fn a_resource_is_described_by_the_parts_it_has() {
        let full = resource("AWS::IAM::Role", "role-1", "JobRole");
        assert_eq!(full.describe(), "AWS::IAM::Role role-1 (JobRole)");
        assert!(full.was_created());
        let unnamed = resource("AWS::Scheduler::Schedule", "", "DailySchedule");
        assert_eq!(
            unnamed.describe(),
            "AWS::Scheduler::Schedule without a physical id (DailySchedule)"
        );
        assert!(!unnamed.was_created());
        // What moto lists for a type it does not model: nothing at all.
        let blank = resource("", "", "");
        assert_eq!(blank.describe(), "a resource without type or physical id");
        assert!(!blank.was_created());
        assert!(!failed(&blank, "x".into()).to_string().contains("   ()"));
    }
}
