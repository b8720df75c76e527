//! Amazon SQS (`AWS::SQS::Queue`, `AWS::SQS::QueuePolicy`): an encrypted queue, used as a
//! dead-letter queue, and its resource policy.

use serde::Serialize;

use super::iam::PolicyDocument;
use super::{attributes, Expr, NoAttributes, Resource};

attributes!(
    /// `Fn::GetAtt` attributes of `AWS::SQS::Queue`.
    QueueAttr { Arn, QueueName, QueueUrl }
);

/// `AWS::SQS::Queue`. `Ref` returns the queue URL.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Queue {
    /// Seconds, 60 to 1209600 (14 days).
    pub message_retention_period: Option<u32>,
    /// SSE-SQS: encryption at rest with keys SQS manages.
    pub sqs_managed_sse_enabled: Option<bool>,
}

impl Resource<'_> for Queue {
    const TYPE: &'static str = "AWS::SQS::Queue";
    type Attr = QueueAttr;
}

/// `AWS::SQS::QueuePolicy`: the resource policy of queues (by URL).
/// <https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-sqs-queuepolicy.html>
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct QueuePolicy<'t> {
    pub policy_document: PolicyDocument<'t>,
    /// Queue URLs (`Ref` of a queue).
    pub queues: Vec<Expr<'t>>,
}

impl<'t> Resource<'t> for QueuePolicy<'t> {
    const TYPE: &'static str = "AWS::SQS::QueuePolicy";
    type Attr = NoAttributes;
}
