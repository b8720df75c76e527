//! Amazon CloudWatch Logs (`AWS::Logs::LogGroup`): a log group with retention.

use serde::Serialize;

use super::{attributes, Expr, Resource};

attributes!(
    /// `Fn::GetAtt` attributes of `AWS::Logs::LogGroup` (`Arn` ends in `:*`).
    LogGroupAttr { Arn }
);

/// `AWS::Logs::LogGroup`. `Ref` returns the log group name.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LogGroup<'t> {
    pub retention_in_days: Expr<'t>,
}

impl<'t> Resource<'t> for LogGroup<'t> {
    const TYPE: &'static str = "AWS::Logs::LogGroup";
    type Attr = LogGroupAttr;
}
