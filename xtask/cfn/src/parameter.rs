//! Template parameters: type, description, default and the constraints CloudFormation checks
//! before it changes anything (AllowedPattern, AllowedValues, MinValue/MaxValue, MaxLength).

use serde::Serialize;
use serde_yaml::Value;

#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
pub enum ParamType {
    String,
    Number,
}

/// One entry of `Parameters`; added with `Builder::parameter`, which returns a `Param`.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Parameter {
    #[serde(rename = "Type")]
    pub kind: ParamType,
    pub description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_pattern: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allowed_values: Vec<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_value: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_value: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub constraint_description: Option<String>,
}

impl Parameter {
    fn new(kind: ParamType, description: &str) -> Self {
        Parameter {
            kind,
            description: description.to_owned(),
            default: None,
            allowed_pattern: None,
            allowed_values: Vec::new(),
            min_value: None,
            max_value: None,
            max_length: None,
            constraint_description: None,
        }
    }

    pub fn string(description: &str) -> Self {
        Self::new(ParamType::String, description)
    }

    pub fn number(description: &str) -> Self {
        Self::new(ParamType::Number, description)
    }

    /// Longest value, in characters (strings only).
    pub fn max_length(mut self, length: u32) -> Self {
        self.max_length = Some(length);
        self
    }

    pub fn default(mut self, value: impl Into<Value>) -> Self {
        self.default = Some(value.into());
        self
    }

    pub fn allowed_pattern(mut self, regex: &str) -> Self {
        self.allowed_pattern = Some(regex.to_owned());
        self
    }

    pub fn allowed_values<V: Into<Value>>(mut self, values: impl IntoIterator<Item = V>) -> Self {
        self.allowed_values = values.into_iter().map(Into::into).collect();
        self
    }

    pub fn range(mut self, min: i64, max: i64) -> Self {
        self.min_value = Some(min);
        self.max_value = Some(max);
        self
    }

    /// What CloudFormation shows when a value breaks the pattern or range.
    pub fn constraint_description(mut self, text: &str) -> Self {
        self.constraint_description = Some(text.to_owned());
        self
    }
}
