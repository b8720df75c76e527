//! Amazon CloudWatch (`AWS::CloudWatch::Alarm`, `AWS::CloudWatch::Dashboard`): a metric
//! alarm with actions, and a dashboard whose body is JSON text.

use serde::Serialize;

use super::{attributes, Expr, Resource};

attributes!(
    /// `Fn::GetAtt` attributes of `AWS::CloudWatch::Alarm`.
    AlarmAttr { Arn }
);

/// `AWS::CloudWatch::Alarm` on one metric. `Ref` returns the alarm name.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Alarm<'t> {
    /// A list of ARNs (or `Fn::If` choosing one).
    pub alarm_actions: Option<Expr<'t>>,
    pub alarm_description: Option<String>,
    pub comparison_operator: ComparisonOperator,
    /// M of the M-out-of-N evaluation (`None`: all `evaluation_periods`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub datapoints_to_alarm: Option<u32>,
    pub dimensions: Vec<Dimension<'t>>,
    pub evaluation_periods: u32,
    pub metric_name: String,
    pub namespace: String,
    pub period: u32,
    pub statistic: Statistic,
    /// A number, or the `Ref` of a Number parameter.
    pub threshold: Expr<'t>,
    pub treat_missing_data: TreatMissingData,
}

impl<'t> Resource<'t> for Alarm<'t> {
    const TYPE: &'static str = "AWS::CloudWatch::Alarm";
    type Attr = AlarmAttr;
}

/// `AWS::CloudWatch::Dashboard`. `Ref` returns the dashboard name.
/// <https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-cloudwatch-dashboard.html>
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Dashboard<'t> {
    /// The dashboard body: JSON text (usually an `Fn::Sub` filling in names and ARNs).
    pub dashboard_body: Expr<'t>,
    /// Dashboard names are per account, not per region.
    pub dashboard_name: Expr<'t>,
}

impl<'t> Resource<'t> for Dashboard<'t> {
    const TYPE: &'static str = "AWS::CloudWatch::Dashboard";
    type Attr = super::NoAttributes;
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Dimension<'t> {
    pub name: String,
    pub value: Expr<'t>,
}

#[derive(Clone, Copy, Debug, Serialize)]
pub enum ComparisonOperator {
    GreaterThanOrEqualToThreshold,
    GreaterThanThreshold,
    LessThanThreshold,
}

#[derive(Clone, Copy, Debug, Serialize)]
pub enum Statistic {
    Sum,
    Maximum,
}

#[derive(Clone, Copy, Debug, Serialize)]
pub enum TreatMissingData {
    #[serde(rename = "notBreaching")]
    NotBreaching,
    /// No data is as bad as a breach: for heartbeats.
    #[serde(rename = "breaching")]
    Breaching,
}
