//! Amazon SNS (`AWS::SNS::Topic`): a topic with e-mail subscriptions, for alarm notices.

use serde::Serialize;

use super::{attributes, Expr, Resource};

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
