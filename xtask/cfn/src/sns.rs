//! Amazon SNS (`AWS::SNS::Topic`, `AWS::SNS::TopicPolicy`): a topic with e-mail
//! subscriptions, for alarm notices, and its resource policy.

use serde::Serialize;

use super::iam::PolicyDocument;
use super::{attributes, Expr, NoAttributes, Resource};

attributes!(
    /// `Fn::GetAtt` attributes of `AWS::SNS::Topic`.
    TopicAttr { TopicArn, TopicName }
);

/// `AWS::SNS::Topic`. `Ref` returns the topic ARN.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Topic<'t> {
    pub display_name: Option<String>,
    pub subscription: Vec<Subscription<'t>>,
}

impl<'t> Resource<'t> for Topic<'t> {
    const TYPE: &'static str = "AWS::SNS::Topic";
    type Attr = TopicAttr;
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Subscription<'t> {
    pub endpoint: Expr<'t>,
    pub protocol: Protocol,
}

#[derive(Clone, Copy, Debug, Serialize)]
pub enum Protocol {
    #[serde(rename = "email")]
    Email,
}

/// `AWS::SNS::TopicPolicy`: the resource policy of topics (by ARN).
/// <https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-sns-topicpolicy.html>
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TopicPolicy<'t> {
    pub policy_document: PolicyDocument<'t>,
    /// Topic ARNs (`Ref` of a topic).
    pub topics: Vec<Expr<'t>>,
}

impl<'t> Resource<'t> for TopicPolicy<'t> {
    const TYPE: &'static str = "AWS::SNS::TopicPolicy";
    type Attr = NoAttributes;
}
