//! AWS IAM (`AWS::IAM::Role`, `AWS::IAM::ManagedPolicy`, `AWS::IAM::RolePolicy`,
//! `AWS::IAM::OIDCProvider`) and the policy language shared by roles and bucket policies:
//! documents, statements, principals, conditions.

use std::collections::BTreeMap;

use serde::{Serialize, Serializer};

use super::{attributes, Expr, Resource};

attributes!(
    /// `Fn::GetAtt` attributes of `AWS::IAM::Role`.
    RoleAttr { Arn, RoleId }
);

/// `AWS::IAM::Role` with inline policies. `Ref` returns the role name.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Role<'t> {
    pub assume_role_policy_document: PolicyDocument<'t>,
    pub description: Option<String>,
    /// `/…/`: part of the ARN, so a policy can name every role under it.
    pub path: Option<Expr<'t>>,
    /// The managed policy that caps what the role's policies can grant.
    pub permissions_boundary: Option<Expr<'t>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub policies: Vec<Policy<'t>>,
    /// An explicit name (needs `CAPABILITY_NAMED_IAM`).
    pub role_name: Option<Expr<'t>>,
}

attributes!(
    /// `Fn::GetAtt` attributes of `AWS::IAM::ManagedPolicy`.
    ManagedPolicyAttr { PolicyArn }
);

/// `AWS::IAM::ManagedPolicy` attached to nothing (a permissions boundary). `Ref` returns its ARN.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ManagedPolicy<'t> {
    pub description: Option<String>,
    pub managed_policy_name: Expr<'t>,
    pub policy_document: PolicyDocument<'t>,
}

impl<'t> Resource<'t> for ManagedPolicy<'t> {
    const TYPE: &'static str = "AWS::IAM::ManagedPolicy";
    type Attr = ManagedPolicyAttr;
}

/// `AWS::IAM::RolePolicy`: one inline policy of a role, as its own resource (so it can
/// carry a `Condition`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RolePolicy<'t> {
    pub policy_document: PolicyDocument<'t>,
    pub policy_name: String,
    pub role_name: Expr<'t>,
}

impl<'t> Resource<'t> for RolePolicy<'t> {
    const TYPE: &'static str = "AWS::IAM::RolePolicy";
    type Attr = super::NoAttributes;
}

attributes!(
    /// `Fn::GetAtt` attributes of `AWS::IAM::OIDCProvider`.
    OidcProviderAttr { Arn }
);

/// `AWS::IAM::OIDCProvider`: an identity provider that roles can trust (GitHub Actions).
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct OidcProvider {
    pub client_id_list: Vec<String>,
    pub url: String,
}

impl<'t> Resource<'t> for OidcProvider {
    const TYPE: &'static str = "AWS::IAM::OIDCProvider";
    type Attr = OidcProviderAttr;
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

impl Default for PolicyDocument<'_> {
    fn default() -> Self {
        PolicyDocument::new(Vec::new())
    }
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
    pub principal: Option<Principal<'t>>,
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
#[derive(Clone, Debug)]
pub enum Principal<'t> {
    /// `{"Service": "lambda.amazonaws.com"}`.
    Service(&'static str),
    /// `{"Federated": <identity provider ARN>}` (for `sts:AssumeRoleWithWebIdentity`).
    Federated(Expr<'t>),
    /// `"*"`: everyone (for `Deny` statements).
    Everyone,
}

impl Serialize for Principal<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Principal::Service(name) => BTreeMap::from([("Service", name)]).serialize(s),
            Principal::Federated(arn) => BTreeMap::from([("Federated", arn)]).serialize(s),
            Principal::Everyone => s.serialize_str("*"),
        }
    }
}
