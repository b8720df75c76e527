//! After a teardown: is each resource the stack had really gone? One cheap read per
//! resource through its own service where moto and AWS both answer (S3, Lambda, Logs, IAM,
//! SQS, ECR), and through the Cloud Control API for every other type.

use anyhow::{anyhow, Result};
use aws_sdk_cloudformation::error::ProvideErrorMetadata;

use super::aws::{describe_error, Clients};

/// A resource the stack held, as `ListStackResources` names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    pub logical_id: String,
    pub resource_type: String,
    pub physical_id: String,
}

/// What a check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    Gone,
    StillThere,
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
        "cannot check whether {} {} ({}) is gone: {cause}",
        resource.resource_type,
        resource.physical_id,
        resource.logical_id
    )
}
