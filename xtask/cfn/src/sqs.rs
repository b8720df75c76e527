//! Amazon SQS (`AWS::SQS::Queue`): an encrypted queue, used as a dead-letter queue.

use serde::Serialize;

use super::{attributes, Resource};

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
