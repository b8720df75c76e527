//! AWS Lambda (`AWS::Lambda::Function`): a container-image function with environment,
//! logging configuration, dead-letter target and reserved concurrency.

use serde::Serialize;

use super::{attributes, Expr, Ordered, Resource};

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
    pub variables: Ordered<&'static str, Expr<'t>>,
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
