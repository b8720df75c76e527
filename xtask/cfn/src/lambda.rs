//! AWS Lambda (`AWS::Lambda::Function`, `AWS::Lambda::EventInvokeConfig`): a container-image
//! function with environment, logging configuration and reserved concurrency, and how its
//! asynchronous invocations are retried and where the failed ones go.

use serde::Serialize;

use super::{attributes, Choice, Expr, NoAttributes, Ordered, Resource};

attributes!(
    /// `Fn::GetAtt` attributes of `AWS::Lambda::Function`.
    FunctionAttr { Arn }
);

/// `AWS::Lambda::Function`. `Ref` returns the function name.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Function<'t> {
    pub architectures: Vec<Expr<'t>>,
    pub code: Code<'t>,
    pub dead_letter_config: Option<DeadLetterConfig<'t>>,
    pub description: Option<String>,
    pub environment: Option<Environment<'t>>,
    pub logging_config: Option<LoggingConfig<'t>>,
    pub memory_size: Expr<'t>,
    pub package_type: PackageType,
    pub reserved_concurrent_executions: Option<u32>,
    pub role: Expr<'t>,
    pub timeout: u32,
}

impl<'t> Resource<'t> for Function<'t> {
    const TYPE: &'static str = "AWS::Lambda::Function";
    type Attr = FunctionAttr;
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Code<'t> {
    pub image_uri: Expr<'t>,
}

#[derive(Clone, Copy, Debug, Serialize)]
pub enum PackageType {
    Image,
}

/// Where asynchronous invocations go after their retries fail.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeadLetterConfig<'t> {
    pub target_arn: Expr<'t>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Environment<'t> {
    /// The variables, or `Fn::If` between two sets of them.
    pub variables: Choice<'t, Ordered<&'static str, Expr<'t>>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LoggingConfig<'t> {
    pub log_format: LogFormat,
    pub log_group: Expr<'t>,
}

#[derive(Clone, Copy, Debug, Serialize)]
pub enum LogFormat {
    #[serde(rename = "JSON")]
    Json,
}

/// `AWS::Lambda::EventInvokeConfig`: retries and age limit of asynchronous invocations, and
/// their destinations.
/// <https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-lambda-eventinvokeconfig.html>
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct EventInvokeConfig<'t> {
    pub destination_config: Option<DestinationConfig<'t>>,
    pub function_name: Expr<'t>,
    /// Seconds an event may wait (throttled, or between retries), 60–21600.
    pub maximum_event_age_in_seconds: u32,
    /// Retries after a failed run, 0–2.
    pub maximum_retry_attempts: u32,
    /// `$LATEST` for an unpublished function.
    pub qualifier: String,
}

impl<'t> Resource<'t> for EventInvokeConfig<'t> {
    const TYPE: &'static str = "AWS::Lambda::EventInvokeConfig";
    type Attr = NoAttributes;
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DestinationConfig<'t> {
    pub on_failure: Option<OnFailure<'t>>,
}

/// Where an invocation goes once its retries and age are used up: an invocation record
/// with the request, the error type and message.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct OnFailure<'t> {
    pub destination: Expr<'t>,
}
