//! Amazon EventBridge Scheduler (`AWS::Scheduler::Schedule`): a cron schedule in a time zone
//! with a target, its input, retry policy and dead-letter queue.

use serde::Serialize;

use super::{attributes, Expr, Resource};

attributes!(
    /// `Fn::GetAtt` attributes of `AWS::Scheduler::Schedule`.
    ScheduleAttr { Arn }
);

/// `AWS::Scheduler::Schedule`. `Ref` returns the schedule name.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Schedule<'t> {
    pub description: Option<String>,
    pub flexible_time_window: FlexibleTimeWindow,
    pub schedule_expression: Expr<'t>,
    pub schedule_expression_timezone: Expr<'t>,
    pub state: State,
    pub target: Target<'t>,
}

impl<'t> Resource<'t> for Schedule<'t> {
    const TYPE: &'static str = "AWS::Scheduler::Schedule";
    type Attr = ScheduleAttr;
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct FlexibleTimeWindow {
    pub mode: FlexibleTimeWindowMode,
}

#[derive(Clone, Copy, Debug, Serialize)]
pub enum FlexibleTimeWindowMode {
    /// Run at the scheduled time.
    #[serde(rename = "OFF")]
    Off,
}

#[derive(Clone, Copy, Debug, Serialize)]
pub enum State {
    #[serde(rename = "ENABLED")]
    Enabled,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Target<'t> {
    pub arn: Expr<'t>,
    pub dead_letter_config: Option<DeadLetterConfig<'t>>,
    pub input: Option<Expr<'t>>,
    pub retry_policy: Option<RetryPolicy>,
    pub role_arn: Expr<'t>,
}

/// Where the scheduler sends an event it could not deliver.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeadLetterConfig<'t> {
    pub arn: Expr<'t>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RetryPolicy {
    pub maximum_event_age_in_seconds: u32,
    pub maximum_retry_attempts: u32,
}
