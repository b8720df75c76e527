//! AWS Step Functions (`AWS::StepFunctions::StateMachine`): a standard workflow whose
//! definition is JSON text with `${…}` substitutions filled in by CloudFormation.

use serde::Serialize;

use super::{attributes, Expr, Ordered, Resource};

attributes!(
    /// `Fn::GetAtt` attributes of `AWS::StepFunctions::StateMachine`.
    StateMachineAttr { Arn, Name }
);

/// `AWS::StepFunctions::StateMachine`. `Ref` returns the ARN.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct StateMachine<'t> {
    /// The Amazon States Language document (`crate::state_machine`).
    pub definition_string: String,
    /// Values for the definition's `${Name}` placeholders.
    pub definition_substitutions: Ordered<&'static str, Expr<'t>>,
    /// Where the machine logs its executions' events.
    pub logging_configuration: Option<LoggingConfiguration<'t>>,
    pub role_arn: Expr<'t>,
    /// A fixed name, so the role's policy can name the machine's ARN without a reference
    /// to the machine (which would be a cycle).
    pub state_machine_name: Expr<'t>,
    pub state_machine_type: StateMachineType,
    pub tracing_configuration: Option<TracingConfiguration>,
}

impl<'t> Resource<'t> for StateMachine<'t> {
    const TYPE: &'static str = "AWS::StepFunctions::StateMachine";
    type Attr = StateMachineAttr;
}

#[derive(Clone, Copy, Debug, Serialize)]
pub enum StateMachineType {
    #[serde(rename = "STANDARD")]
    Standard,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TracingConfiguration {
    pub enabled: bool,
}

/// `LoggingConfiguration`: execution history events to a CloudWatch Logs log group.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LoggingConfiguration<'t> {
    pub destinations: Vec<LogDestination<'t>>,
    /// Whether events carry the states' input and output.
    pub include_execution_data: bool,
    pub level: LogLevel,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LogDestination<'t> {
    pub cloud_watch_logs_log_group: LogGroupDestination<'t>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LogGroupDestination<'t> {
    /// The log group's ARN (`Fn::GetAtt … Arn`, ending in `:*`).
    pub log_group_arn: Expr<'t>,
}

/// Which events are logged: every one, or only errors and failures (and so on).
#[derive(Clone, Copy, Debug, Serialize)]
pub enum LogLevel {
    #[serde(rename = "ALL")]
    All,
    #[serde(rename = "ERROR")]
    Error,
}
