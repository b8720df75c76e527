//! The template and its builder. `Template::build` hands a `Builder` to a closure; adding a
//! parameter, condition or resource returns the only handle that can refer to it. The
//! builder's lifetime brand keeps handles of one template out of any other.
//! Entries keep insertion order, so the YAML is byte-stable for the same code.

use std::collections::HashSet;
use std::marker::PhantomData;

use serde::Serialize;
use serde_yaml::{Mapping, Value};

use super::expr::{Brand, Cond, Condition, Expr, Pseudo};
use super::handle::{Dep, Handle, Param, Resource};
use super::logical_id;
use super::parameter::Parameter;
use crate::sub;

/// A finished template: plain data, ready to serialize.
#[derive(Clone, Debug)]
pub struct Template {
    description: String,
    parameters: Vec<(&'static str, Value)>,
    conditions: Vec<(&'static str, Value)>,
    resources: Vec<(&'static str, Value)>,
    outputs: Vec<(&'static str, Value)>,
}

/// Adds entries to the template under construction; see `Template::build`.
pub struct Builder<'t> {
    template: Template,
    /// Parameter and resource ids share one namespace (`Ref` reads both).
    referable: HashSet<&'static str>,
    conditions: HashSet<&'static str>,
    outputs: HashSet<&'static str>,
    _brand: Brand<'t>,
}

/// `DeletionPolicy` / `UpdateReplacePolicy`.
#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
pub enum DeletionPolicy {
    Delete,
    Retain,
}

/// A checkov check that does not fit a resource, with the reason (`Metadata.checkov.skip`).
#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
pub struct CheckovSkip {
    pub id: &'static str,
    pub comment: &'static str,
}

/// A cdk-nag finding acknowledged on a resource, with the reason
/// (`Metadata.cdk_nag.rules_to_suppress`, the format cdk-nag writes; the CDK export's nag
/// check acknowledges each with `Validations.of(resource).acknowledge`).
#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
pub struct NagAcknowledgement {
    /// `AwsSolutions-S1`, or one finding of a rule: `AwsSolutions-IAM5[Resource::…]`.
    pub id: &'static str,
    pub reason: &'static str,
}

/// The resource attributes besides `Properties`.
#[derive(Default)]
pub struct ResourceOptions<'t> {
    pub condition: Option<Condition<'t>>,
    pub depends_on: Vec<Dep<'t>>,
    pub deletion_policy: Option<DeletionPolicy>,
    pub update_replace_policy: Option<DeletionPolicy>,
    pub checkov_skips: Vec<CheckovSkip>,
    pub nag_acknowledgements: Vec<NagAcknowledgement>,
}

/// One entry of `Outputs`.
pub struct Output<'t> {
    description: String,
    value: Expr<'t>,
    export: bool,
    condition: Option<Condition<'t>>,
}

impl<'t> Output<'t> {
    pub fn new(description: &str, value: Expr<'t>) -> Self {
        Output {
            description: description.to_owned(),
            value,
            export: false,
            condition: None,
        }
    }

    /// Export the value as `<stack name>-<output id>` for other stacks.
    pub fn exported(mut self) -> Self {
        self.export = true;
        self
    }

    /// Only present when `condition` holds (for outputs of conditional resources).
    pub fn only_if(mut self, condition: Condition<'t>) -> Self {
        self.condition = Some(condition);
        self
    }
}

impl Template {
    /// Builds a template: `define` adds everything through the builder it is given.
    pub fn build(description: &str, define: impl for<'t> FnOnce(&mut Builder<'t>)) -> Template {
        let mut builder = Builder {
            template: Template {
                description: description.to_owned(),
                parameters: Vec::new(),
                conditions: Vec::new(),
                resources: Vec::new(),
                outputs: Vec::new(),
            },
            referable: HashSet::new(),
            conditions: HashSet::new(),
            outputs: HashSet::new(),
            _brand: PhantomData,
        };
        define(&mut builder);
        builder.template
    }

    /// The template as a YAML value (for tests and tools that inspect it).
    pub fn to_value(&self) -> Value {
        let mut top = Mapping::new();
        top.insert("AWSTemplateFormatVersion".into(), "2010-09-09".into());
        top.insert("Description".into(), self.description.clone().into());
        for (key, entries) in [
            ("Parameters", &self.parameters),
            ("Conditions", &self.conditions),
            ("Resources", &self.resources),
            ("Outputs", &self.outputs),
        ] {
            if !entries.is_empty() {
                let map: Mapping = entries
                    .iter()
                    .map(|(id, v)| (Value::from(*id), v.clone()))
                    .collect();
                top.insert(key.into(), Value::Mapping(map));
            }
        }
        Value::Mapping(top)
    }

    /// The template as YAML text (readable alike as YAML 1.1 and 1.2, see `yaml.rs`).
    pub fn to_yaml(&self) -> String {
        super::yaml::to_string(&self.to_value())
    }
}

impl<'t> Builder<'t> {
    fn claim(&mut self, id: &'static str) {
        logical_id::check(id);
        assert!(
            self.referable.insert(id),
            "logical id {id:?} is used twice (parameters and resources share one namespace)"
        );
    }

    pub fn parameter(&mut self, id: &'static str, parameter: Parameter) -> Param<'t> {
        self.claim(id);
        self.template.parameters.push((id, to_value(&parameter)));
        Param::new(id)
    }

    pub fn condition(&mut self, id: &'static str, condition: Cond<'t>) -> Condition<'t> {
        logical_id::check(id);
        assert!(
            self.conditions.insert(id),
            "condition {id:?} is defined twice"
        );
        self.template.conditions.push((id, to_value(&condition)));
        Condition {
            id,
            _brand: PhantomData,
        }
    }

    pub fn add<R: Resource<'t>>(&mut self, id: &'static str, properties: R) -> Handle<'t, R> {
        self.add_with(id, properties, ResourceOptions::default())
    }

    pub fn add_with<R: Resource<'t>>(
        &mut self,
        id: &'static str,
        properties: R,
        options: ResourceOptions<'t>,
    ) -> Handle<'t, R> {
        self.claim(id);
        let mut entry = Mapping::new();
        entry.insert("Type".into(), R::TYPE.into());
        if let Some(c) = options.condition {
            entry.insert("Condition".into(), c.id.into());
        }
        if !options.depends_on.is_empty() {
            let ids: Vec<Value> = options.depends_on.iter().map(|d| d.id.into()).collect();
            entry.insert("DependsOn".into(), Value::Sequence(ids));
        }
        if let Some(p) = options.deletion_policy {
            entry.insert("DeletionPolicy".into(), to_value(&p));
        }
        if let Some(p) = options.update_replace_policy {
            entry.insert("UpdateReplacePolicy".into(), to_value(&p));
        }
        let mut metadata = Mapping::new();
        if !options.checkov_skips.is_empty() {
            let mut checkov = Mapping::new();
            checkov.insert("skip".into(), to_value(&options.checkov_skips));
            metadata.insert("checkov".into(), Value::Mapping(checkov));
        }
        if !options.nag_acknowledgements.is_empty() {
            let mut nag = Mapping::new();
            nag.insert(
                "rules_to_suppress".into(),
                to_value(&options.nag_acknowledgements),
            );
            metadata.insert("cdk_nag".into(), Value::Mapping(nag));
        }
        if !metadata.is_empty() {
            entry.insert("Metadata".into(), Value::Mapping(metadata));
        }
        let properties = to_value(&properties);
        if properties.as_mapping().is_some_and(|m| !m.is_empty()) {
            entry.insert("Properties".into(), properties);
        }
        self.template.resources.push((id, Value::Mapping(entry)));
        Handle::new(id)
    }

    pub fn output(&mut self, id: &'static str, output: Output<'t>) {
        logical_id::check(id);
        assert!(self.outputs.insert(id), "output {id:?} is defined twice");
        let mut entry = Mapping::new();
        entry.insert("Description".into(), output.description.into());
        entry.insert("Value".into(), to_value(&output.value));
        if output.export {
            let name: Expr<'t> = sub!(Pseudo::StackName, "-", id);
            let mut export = Mapping::new();
            export.insert("Name".into(), to_value(&name));
            entry.insert("Export".into(), Value::Mapping(export));
        }
        if let Some(c) = output.condition {
            entry.insert("Condition".into(), c.id.into());
        }
        self.template.outputs.push((id, Value::Mapping(entry)));
    }
}

/// Serializes part of the model; `None` properties (YAML null) are dropped, so property
/// structs need no `skip_serializing_if` on every optional field.
fn to_value(v: &impl Serialize) -> Value {
    let mut value = serde_yaml::to_value(v).expect("template values always serialize");
    strip_nulls(&mut value);
    value
}

fn strip_nulls(v: &mut Value) {
    match v {
        Value::Mapping(m) => {
            m.retain(|_, v| !v.is_null());
            m.values_mut().for_each(strip_nulls);
        }
        Value::Sequence(s) => s.iter_mut().for_each(strip_nulls),
        _ => {}
    }
}
