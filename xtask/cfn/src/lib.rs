//! A small typed CloudFormation model: only the types and properties our stack uses.
//!
//! `Template::build` gives a builder; adding a resource returns a `Handle` whose
//! `reference()` / `get_att(Attr)` are the only way to write `Ref` / `Fn::GetAtt`, with an
//! attribute enum per resource type. One file per AWS service, property names spelled as
//! CloudFormation spells them. Serialized with `serde_yaml` in long form, in stable order.

mod expr;
mod handle;
mod logical_id;
mod ordered;
mod parameter;
mod template;
mod yaml;

pub mod cloudfront;
pub mod cloudwatch;
pub mod iam;
pub mod lambda;
pub mod logs;
pub mod s3;
pub mod scheduler;
pub mod sns;
pub mod sqs;
pub mod stepfunctions;

pub use expr::{Choice, Cond, Condition, Expr, Pseudo, SubPart};
pub(crate) use handle::attributes;
pub use handle::{Attribute, Dep, Handle, NoAttributes, Param, Resource};
pub use ordered::Ordered;
pub use parameter::{ParamType, Parameter};
pub use template::{
    Builder, CheckovSkip, DeletionPolicy, NagAcknowledgement, Output, ResourceOptions, Template,
};
