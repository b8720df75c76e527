//! A template as it stands once its parameters have values: what is left to compare between
//! our template and the one `cdk synth` writes. Parameter `Ref`s become the values, conditions
//! and `Fn::If` are evaluated, `Fn::Sub` and `Fn::Join` become one normal join (adjacent text
//! merged, a join of one part is that part), `AWS::NoValue` disappears, numbers and booleans
//! become the strings CloudFormation reads them as, and CDK's own additions (the
//! `aws:cdk:path` metadata, the `CDKMetadata` resource, the `BootstrapVersion` parameter's
//! `CheckBootstrapVersion` rule) are dropped. Pseudo parameters, resource `Ref`s and
//! `Fn::GetAtt` stay as they are: both sides must name the same resources.

use std::collections::BTreeMap;

use anyhow::{bail, Context, Result};
use serde_json::{json, Map, Value as Json};

/// Parameter values by parameter name, as text (as CloudFormation takes them).
pub type Values = BTreeMap<String, String>;

/// `template` resolved at `values` (a parameter without a value takes its default).
pub fn resolve(template: &Json, values: &Values) -> Result<Json> {
    let mut parameters = Values::new();
    for (name, declared) in template["Parameters"].as_object().into_iter().flatten() {
        let value = match (values.get(name), &declared["Default"]) {
            (Some(v), _) => v.clone(),
            (None, Json::Null) => bail!("parameter {name} has no value and no default"),
            (None, default) => scalar_text(default),
        };
        parameters.insert(name.clone(), value);
    }
    let mut scope = Scope {
        parameters,
        conditions: BTreeMap::new(),
        declared: template["Conditions"]
            .as_object()
            .cloned()
            .unwrap_or_default(),
    };
    let names: Vec<String> = scope.declared.keys().cloned().collect();
    for name in names {
        scope.condition(&name)?;
    }

    let mut out = Map::new();
    if let Some(description) = template.get("Description") {
        out.insert("Description".into(), description.clone());
    }
    for section in ["Resources", "Outputs"] {
        let mut kept = Map::new();
        for (id, entry) in template[section].as_object().into_iter().flatten() {
            if entry["Type"] == "AWS::CDK::Metadata" {
                continue;
            }
            if let Some(condition) = entry["Condition"].as_str() {
                if !scope.condition(condition)? {
                    continue;
                }
            }
            let mut entry = entry.as_object().cloned().unwrap_or_default();
            entry.remove("Condition");
            strip_cdk_metadata(&mut entry);
            if let Some(depends) = entry.get_mut("DependsOn") {
                *depends = sorted_list(depends);
            }
            let resolved = scope
                .value(&Json::Object(entry))
                .with_context(|| format!("resolving {section}.{id}"))?;
            kept.insert(id.clone(), resolved.unwrap_or(Json::Null));
        }
        out.insert(section.into(), Json::Object(kept));
    }
    let mut rules = template["Rules"].as_object().cloned().unwrap_or_default();
    rules.remove("CheckBootstrapVersion");
    if !rules.is_empty() {
        out.insert("Rules".into(), Json::Object(rules));
    }
    for section in ["Mappings", "Transform"] {
        if let Some(value) = template.get(section) {
            out.insert(section.into(), value.clone());
        }
    }
    Ok(out.into())
}

fn strip_cdk_metadata(entry: &mut Map<String, Json>) {
    if let Some(Json::Object(metadata)) = entry.get_mut("Metadata") {
        metadata.retain(|key, _| !key.starts_with("aws:cdk:") && !key.starts_with("aws:asset:"));
        if metadata.is_empty() {
            entry.remove("Metadata");
        }
    }
}

fn sorted_list(value: &Json) -> Json {
    let mut items: Vec<String> = match value {
        Json::Array(items) => items.iter().map(scalar_text).collect(),
        other => vec![scalar_text(other)],
    };
    items.sort();
    json!(items)
}

struct Scope {
    parameters: Values,
    conditions: BTreeMap<String, bool>,
    declared: Map<String, Json>,
}

impl Scope {
    fn condition(&mut self, name: &str) -> Result<bool> {
        if let Some(&known) = self.conditions.get(name) {
            return Ok(known);
        }
        let Some(definition) = self.declared.get(name).cloned() else {
            bail!("condition {name} is used but not declared");
        };
        let value = self
            .truth(&definition)
            .with_context(|| format!("evaluating condition {name}"))?;
        self.conditions.insert(name.to_owned(), value);
        Ok(value)
    }

    /// A condition function's value.
    fn truth(&mut self, function: &Json) -> Result<bool> {
        let Some((name, args)) = intrinsic(function) else {
            bail!("not a condition function: {function}");
        };
        let list = |args: &Json| args.as_array().cloned().unwrap_or_default();
        Ok(match name {
            "Condition" => self.condition(args.as_str().unwrap_or_default())?,
            "Fn::Not" => !self.truth(list(args).first().unwrap_or(&Json::Null))?,
            "Fn::And" => {
                let mut all = true;
                for a in list(args) {
                    all &= self.truth(&a)?;
                }
                all
            }
            "Fn::Or" => {
                let mut any = false;
                for a in list(args) {
                    any |= self.truth(&a)?;
                }
                any
            }
            "Fn::Equals" => {
                let sides = list(args);
                if sides.len() != 2 {
                    bail!("Fn::Equals takes two values: {args}");
                }
                self.value(&sides[0])? == self.value(&sides[1])?
            }
            other => bail!("{other} is not a condition function"),
        })
    }

    /// `value` resolved; `None` for `AWS::NoValue`.
    fn value(&mut self, value: &Json) -> Result<Option<Json>> {
        if let Some((name, args)) = intrinsic(value) {
            return self.function(name, args);
        }
        Ok(Some(match value {
            Json::Array(items) => {
                let mut out = Vec::new();
                for item in items {
                    out.extend(self.value(item)?);
                }
                Json::Array(out)
            }
            Json::Object(map) => {
                let mut out = Map::new();
                for (key, item) in map {
                    if let Some(item) = self.value(item)? {
                        out.insert(key.clone(), item);
                    }
                }
                Json::Object(out)
            }
            Json::Number(_) | Json::Bool(_) => Json::String(scalar_text(value)),
            other => other.clone(),
        }))
    }

    fn function(&mut self, name: &str, args: &Json) -> Result<Option<Json>> {
        Ok(Some(match name {
            "Ref" => {
                let target = args.as_str().unwrap_or_default();
                if target == "AWS::NoValue" {
                    return Ok(None);
                }
                match self.parameters.get(target) {
                    Some(value) => Json::String(value.clone()),
                    None => json!({ "Ref": target }),
                }
            }
            "Fn::If" => {
                let branches = args.as_array().cloned().unwrap_or_default();
                let [condition, then, otherwise] = branches.as_slice() else {
                    bail!("Fn::If takes a condition and two values: {args}");
                };
                let chosen = if self.condition(condition.as_str().unwrap_or_default())? {
                    then
                } else {
                    otherwise
                };
                return self.value(chosen);
            }
            "Fn::Sub" => {
                let (text, variables) = match args {
                    Json::String(text) => (text.clone(), Map::new()),
                    Json::Array(pair) => (
                        pair.first()
                            .and_then(Json::as_str)
                            .unwrap_or_default()
                            .to_owned(),
                        pair.get(1)
                            .and_then(Json::as_object)
                            .cloned()
                            .unwrap_or_default(),
                    ),
                    other => bail!("Fn::Sub takes a string or [string, map]: {other}"),
                };
                let mut parts = Vec::new();
                for part in sub_parts(&text)? {
                    parts.push(match part {
                        SubPart::Text(t) => Json::String(t),
                        SubPart::Variable(v) => match variables.get(&v) {
                            Some(bound) => self.value(bound)?.unwrap_or(Json::Null),
                            None => match v.split_once('.') {
                                Some((resource, attribute))
                                    if !self.parameters.contains_key(&v) =>
                                {
                                    json!({ "Fn::GetAtt": [resource, attribute] })
                                }
                                _ => self
                                    .function("Ref", &Json::String(v))?
                                    .unwrap_or(Json::Null),
                            },
                        },
                    });
                }
                join(parts)
            }
            "Fn::Join" => {
                let pair = args.as_array().cloned().unwrap_or_default();
                let [separator, items] = pair.as_slice() else {
                    bail!("Fn::Join takes a separator and a list: {args}");
                };
                let separator = scalar_text(separator);
                match self.value(items)? {
                    Some(Json::Array(items)) => {
                        let mut parts = Vec::new();
                        for (i, item) in items.into_iter().enumerate() {
                            if i > 0 && !separator.is_empty() {
                                parts.push(Json::String(separator.clone()));
                            }
                            parts.push(item);
                        }
                        join(parts)
                    }
                    other => json!({ "Fn::Join": [separator, other] }),
                }
            }
            // CDK splits a literal at synth time (`Fn.split` of a resolved string).
            "Fn::Split" => match self.value(args)? {
                Some(Json::Array(pair)) if pair.len() == 2 && pair[1].is_string() => {
                    let separator = scalar_text(&pair[0]);
                    let text = pair[1].as_str().unwrap_or_default();
                    json!(text.split(separator.as_str()).collect::<Vec<_>>())
                }
                other => json!({ "Fn::Split": other }),
            },
            "Fn::GetAtt" => match args {
                Json::String(dotted) => match dotted.split_once('.') {
                    Some((resource, attribute)) => json!({ "Fn::GetAtt": [resource, attribute] }),
                    None => bail!("Fn::GetAtt `{dotted}` has no attribute"),
                },
                other => json!({ "Fn::GetAtt": self.value(other)? }),
            },
            "Condition" => Json::String(
                self.condition(args.as_str().unwrap_or_default())?
                    .to_string(),
            ),
            other => json!({ other: self.value(args)? }),
        }))
    }
}

/// The one intrinsic function an object is (a single key `Ref`, `Condition` or `Fn::…`).
fn intrinsic(value: &Json) -> Option<(&str, &Json)> {
    let map = value.as_object()?;
    if map.len() != 1 {
        return None;
    }
    let (name, args) = map.iter().next()?;
    (name == "Ref" || name == "Condition" || name.starts_with("Fn::"))
        .then_some((name.as_str(), args))
}

/// Parts of a join in normal form: nested `Fn::Join`s with an empty separator flattened,
/// adjacent text merged, empty text dropped; no part → `""`, one part → that part.
fn join(parts: Vec<Json>) -> Json {
    let mut out: Vec<Json> = Vec::new();
    let mut flat = Vec::new();
    for part in parts {
        match part
            .get("Fn::Join")
            .and_then(Json::as_array)
            .map(Vec::as_slice)
        {
            Some([Json::String(sep), Json::Array(inner)]) if sep.is_empty() => {
                flat.extend(inner.iter().cloned())
            }
            _ => flat.push(part),
        }
    }
    for part in flat {
        match (out.last_mut(), part) {
            (_, Json::String(s)) if s.is_empty() => {}
            (Some(Json::String(last)), Json::String(s)) => last.push_str(&s),
            (_, part) => out.push(part),
        }
    }
    match out.len() {
        0 => Json::String(String::new()),
        1 => out.pop().expect("one part"),
        _ => json!({ "Fn::Join": ["", out] }),
    }
}

enum SubPart {
    Text(String),
    Variable(String),
}

/// `Fn::Sub` text split into literal text and `${Variable}`s; `${!Literal}` is the text
/// `${Literal}`.
fn sub_parts(text: &str) -> Result<Vec<SubPart>> {
    let mut parts = Vec::new();
    let mut rest = text;
    let mut literal = String::new();
    while let Some(start) = rest.find("${") {
        literal.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            bail!("unclosed ${{ in Fn::Sub `{text}`");
        };
        let name = &after[..end];
        if let Some(escaped) = name.strip_prefix('!') {
            literal.push_str(&format!("${{{escaped}}}"));
        } else {
            parts.push(SubPart::Text(std::mem::take(&mut literal)));
            parts.push(SubPart::Variable(name.trim().to_owned()));
        }
        rest = &after[end + 1..];
    }
    literal.push_str(rest);
    parts.push(SubPart::Text(literal));
    Ok(parts)
}

/// A scalar as the text CloudFormation reads it as.
pub fn scalar_text(value: &Json) -> String {
    match value {
        Json::String(s) => s.clone(),
        Json::Number(n) => n.to_string(),
        Json::Bool(b) => b.to_string(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template() -> Json {
        json!({
            "Description": "d",
            "Parameters": {
                "Email": {"Type": "String", "Default": ""},
                "Days": {"Type": "Number", "Default": 7},
                "Bucket": {"Type": "String"}
            },
            "Conditions": {
                "HasEmail": {"Fn::Not": [{"Fn::Equals": [{"Ref": "Email"}, ""]}]},
                "NoEmail": {"Fn::Not": [{"Condition": "HasEmail"}]}
            },
            "Resources": {
                "Topic": {"Type": "AWS::SNS::Topic", "Condition": "HasEmail",
                          "Properties": {"Subscription": [{"Endpoint": {"Ref": "Email"}}]}},
                "Alarm": {"Type": "AWS::CloudWatch::Alarm", "Properties": {
                    "AlarmActions": {"Fn::If": ["HasEmail", [{"Ref": "Topic"}], {"Ref": "AWS::NoValue"}]},
                    "Threshold": 1,
                    "Input": {"Fn::Sub": "{\"days\": ${Days}} in ${Bucket.Arn}/${!Literal} of ${AWS::StackName}"},
                    "Name": {"Fn::Sub": ["${Prefix}-x", {"Prefix": {"Ref": "Bucket"}}]}
                }}
            },
            "Outputs": {"TopicArn": {"Value": {"Ref": "Topic"}, "Condition": "HasEmail"}}
        })
    }

    fn values(pairs: &[(&str, &str)]) -> Values {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_false_condition_drops_its_resources_outputs_and_if_branches() {
        let out = resolve(&template(), &values(&[("Bucket", "b")])).unwrap();
        assert!(out["Resources"].get("Topic").is_none());
        assert!(out["Outputs"].get("TopicArn").is_none());
        assert!(out["Resources"]["Alarm"]["Properties"]
            .get("AlarmActions")
            .is_none());
    }

    #[test]
    fn a_true_condition_keeps_them_without_the_condition_attribute() {
        let out = resolve(&template(), &values(&[("Bucket", "b"), ("Email", "a@b.c")])).unwrap();
        assert_eq!(
            out["Resources"]["Topic"],
            json!({"Type": "AWS::SNS::Topic", "Properties": {"Subscription": [{"Endpoint": "a@b.c"}]}})
        );
        assert_eq!(
            out["Resources"]["Alarm"]["Properties"]["AlarmActions"],
            json!([{"Ref": "Topic"}])
        );
        assert_eq!(
            out["Outputs"]["TopicArn"],
            json!({"Value": {"Ref": "Topic"}})
        );
    }

    #[test]
    fn sub_becomes_the_join_cdk_writes() {
        let ours = resolve(&template(), &values(&[("Bucket", "b")])).unwrap();
        let cdk_join = json!({"Fn::Join": ["", [
            "{\"days\": 7} in ",
            {"Fn::GetAtt": ["Bucket", "Arn"]},
            "/${Literal} of ",
            {"Ref": "AWS::StackName"}
        ]]});
        assert_eq!(ours["Resources"]["Alarm"]["Properties"]["Input"], cdk_join);
        assert_eq!(
            ours["Resources"]["Alarm"]["Properties"]["Name"],
            json!("b-x")
        );
        assert_eq!(
            ours["Resources"]["Alarm"]["Properties"]["Threshold"],
            json!("1")
        );
    }

    #[test]
    fn joins_are_normalised_whatever_their_separator_and_nesting() {
        let cdk = json!({"Parameters": {}, "Resources": {"R": {"Type": "T", "Properties": {
            "A": {"Fn::Join": ["/", ["x", {"Fn::Join": ["", ["y", {"Ref": "P"}]]}]]},
            "B": {"Fn::Join": ["", [{"Ref": "Q"}]]}
        }}}});
        let out = resolve(&cdk, &Values::new()).unwrap();
        assert_eq!(
            out["Resources"]["R"]["Properties"]["A"],
            json!({"Fn::Join": ["", ["x/y", {"Ref": "P"}]]})
        );
        assert_eq!(
            out["Resources"]["R"]["Properties"]["B"],
            json!({"Ref": "Q"})
        );
    }

    #[test]
    fn cdk_additions_are_dropped() {
        let cdk = json!({
            "Parameters": {"BootstrapVersion": {"Type": "AWS::SSM::Parameter::Value<String>", "Default": "/cdk-bootstrap/hnb659fds/version"}},
            "Rules": {"CheckBootstrapVersion": {"Assertions": []}},
            "Resources": {
                "CDKMetadata": {"Type": "AWS::CDK::Metadata", "Properties": {"Analytics": "v2"}},
                "R": {"Type": "T", "Metadata": {"aws:cdk:path": "Stack/R"}},
                "S": {"Type": "T", "Metadata": {"aws:cdk:path": "Stack/S", "checkov": {}}}
            }
        });
        let out = resolve(&cdk, &Values::new()).unwrap();
        assert_eq!(
            out,
            json!({"Resources": {"R": {"Type": "T"}, "S": {"Type": "T", "Metadata": {"checkov": {}}}}, "Outputs": {}})
        );
    }

    #[test]
    fn a_parameter_without_value_or_default_is_an_error_naming_it() {
        let error = resolve(&template(), &Values::new())
            .unwrap_err()
            .to_string();
        assert!(error.contains("Bucket"), "{error}");
    }
}
