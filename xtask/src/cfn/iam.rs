//! AWS IAM (`AWS::IAM::Role`) and the policy language shared by roles and bucket policies:
//! documents, statements, principals, conditions.

use std::collections::BTreeMap;

use serde::{Serialize, Serializer};

use super::{attributes, Expr, Resource};

attributes!(
    /// `Fn::GetAtt` attributes of `AWS::IAM::Role`.
    RoleAttr { Arn, RoleId }
);

/// `AWS::IAM::Role` with inline policies. `Ref` returns the role name.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Role<'t> {
    pub assume_role_policy_document: PolicyDocument<'t>,
    pub description: Option<String>,
    pub policies: Vec<Policy<'t>>,
}

impl<'t> Resource<'t> for Role<'t> {
    const TYPE: &'static str = "AWS::IAM::Role";
    type Attr = RoleAttr;
}

/// An inline policy of a role.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Policy<'t> {
    pub policy_document: PolicyDocument<'t>,
    pub policy_name: String,
}

/// A policy document, version 2012-10-17.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PolicyDocument<'t> {
    version: &'static str,
    pub statement: Vec<Statement<'t>>,
}

impl<'t> PolicyDocument<'t> {
    pub fn new(statement: Vec<Statement<'t>>) -> Self {
        PolicyDocument {
            version: "2012-10-17",
            statement,
        }
    }
}

/// One statement. `Condition` maps an operator (`StringEquals`) to keys and values.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Statement<'t> {
    pub sid: Option<String>,
    pub effect: Effect,
    pub principal: Option<Principal>,
    pub action: Vec<&'static str>,
    pub resource: Option<Vec<Expr<'t>>>,
    pub condition: Option<BTreeMap<&'static str, BTreeMap<&'static str, Expr<'t>>>>,
}

#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

/// Who a resource policy or trust policy applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Principal {
    /// `{"Service": "lambda.amazonaws.com"}`.
    Service(&'static str),
    /// `"*"`: everyone (for `Deny` statements).
    Everyone,
}

impl Serialize for Principal {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Principal::Service(name) => BTreeMap::from([("Service", name)]).serialize(s),
            Principal::Everyone => s.serialize_str("*"),
        }
    }
}
