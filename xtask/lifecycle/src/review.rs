//! What a change set would do, as `deploy`, `deploy --no-execute` and `diff` show it: the
//! resource changes, the parameter values old → new, and, in a section of their own like
//! `cdk diff`'s, the changes to IAM, resource policies and public access. Pure functions of
//! the change set and the stack's current parameters; no AWS call here.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::changeset::{self, Change};
use crate::ui::table;

/// One parameter whose value changes (`None`: not set before, or removed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParameterChange {
    pub name: String,
    pub old: Option<String>,
    pub new: Option<String>,
}

/// A change that widens or narrows who may do what: its resource and why it counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityChange {
    pub change: Change,
    pub why: String,
}

/// Everything the preview shows.
#[derive(Debug, Clone, Default)]
pub struct Review {
    pub changes: Vec<Change>,
    pub parameters: Vec<ParameterChange>,
    pub security: Vec<SecurityChange>,
}

/// Resource types whose every change is a change of permissions or exposure.
const SECURITY_TYPES: [(&str, &str); 9] = [
    ("AWS::IAM::", "IAM"),
    ("AWS::S3::BucketPolicy", "bucket policy"),
    ("AWS::SQS::QueuePolicy", "queue policy"),
    ("AWS::SNS::TopicPolicy", "topic policy"),
    ("AWS::Lambda::Permission", "function permission"),
    ("AWS::Lambda::Url", "public function URL"),
    ("AWS::KMS::", "encryption key"),
    ("AWS::CloudFront::OriginAccessControl", "origin access"),
    ("AWS::EC2::SecurityGroup", "network access"),
];

/// Properties that decide permissions or exposure on resources of other types.
const SECURITY_PROPERTIES: [(&str, &str); 9] = [
    ("PublicAccessBlockConfiguration", "public access"),
    ("AccessControl", "public access (ACL)"),
    ("OwnershipControls", "public access (object ownership)"),
    ("Policy", "resource policy"),
    ("PolicyDocument", "resource policy"),
    ("Role", "the role it runs as"),
    ("RoleArn", "the role it runs as"),
    ("BucketEncryption", "encryption"),
    ("KmsKeyArn", "encryption"),
];

/// Why `change` belongs in the security section, or `None`.
pub fn security_reason(change: &Change) -> Option<String> {
    if let Some((_, why)) = SECURITY_TYPES
        .iter()
        .find(|(prefix, _)| change.resource_type.starts_with(prefix))
    {
        return Some(if change.details.is_empty() {
            (*why).to_owned()
        } else {
            format!("{why}: {}", change.details.join(", "))
        });
    }
    let hits: Vec<(&str, &str)> = change
        .details
        .iter()
        .filter_map(|d| {
            SECURITY_PROPERTIES
                .iter()
                .find(|(name, _)| name == d)
                .copied()
        })
        .collect();
    if hits.is_empty() {
        return None;
    }
    let mut whys: Vec<&str> = hits.iter().map(|(_, why)| *why).collect();
    whys.dedup();
    let props: Vec<&str> = hits.iter().map(|(name, _)| *name).collect();
    Some(format!("{}: {}", whys.join(", "), props.join(", ")))
}

/// The parameter values after the change set: its own value where it lists one (moto lists
/// only those given), the stack's value for those kept (`keep`: `UsePreviousValue`), else
/// the template's default.
pub fn values_after(
    before: &BTreeMap<String, String>,
    set: &BTreeMap<String, String>,
    keep: &[String],
    defaults: &BTreeMap<String, Option<String>>,
) -> BTreeMap<String, String> {
    let mut names: Vec<&String> = before
        .keys()
        .chain(set.keys())
        .chain(defaults.keys())
        .collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .filter_map(|name| {
            let value = if keep.contains(name) {
                before.get(name).or(set.get(name))
            } else {
                set.get(name)
                    .or_else(|| defaults.get(name).and_then(Option::as_ref))
                    .or(before.get(name))
            };
            value.map(|v| (name.clone(), v.clone()))
        })
        .collect()
}

/// Each parameter whose value differs, by name.
pub fn parameter_changes(
    before: &BTreeMap<String, String>,
    after: &BTreeMap<String, String>,
) -> Vec<ParameterChange> {
    let mut names: Vec<&String> = before.keys().chain(after.keys()).collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .filter(|name| before.get(*name) != after.get(*name))
        .map(|name| ParameterChange {
            name: name.clone(),
            old: before.get(name).cloned(),
            new: after.get(name).cloned(),
        })
        .collect()
}

/// The parameters a template body (YAML or JSON) declares: name → default.
pub fn template_defaults(template_body: &str) -> BTreeMap<String, Option<String>> {
    let value: serde_yaml::Value = serde_yaml::from_str(template_body).unwrap_or_default();
    super::proposal::parameter_defaults(&value)
}

/// The review of a change set made from `proposal` on a stack whose parameters are
/// `before` (empty for a new stack); `set` is what the change set lists.
pub fn of_proposal(
    proposal: &crate::proposal::Proposal,
    before: &BTreeMap<String, String>,
    changes: Vec<Change>,
    set: &BTreeMap<String, String>,
) -> Review {
    let keep: Vec<String> = proposal
        .parameters
        .iter()
        .filter(|(_, v)| v.is_none())
        .map(|(k, _)| k.clone())
        .collect();
    let mut given = set.clone();
    for (name, value) in &proposal.parameters {
        if let Some(value) = value {
            given.entry(name.clone()).or_insert_with(|| value.clone());
        }
    }
    let defaults = template_defaults(&proposal.template_body);
    let after = values_after(before, &given, &keep, &defaults);
    Review::new(changes, parameter_changes(before, &after))
}

impl Review {
    pub fn new(changes: Vec<Change>, parameters: Vec<ParameterChange>) -> Review {
        let security = changes
            .iter()
            .filter_map(|c| {
                security_reason(c).map(|why| SecurityChange {
                    change: c.clone(),
                    why,
                })
            })
            .collect();
        Review {
            changes,
            parameters,
            security,
        }
    }

    /// Whether `name` changes value.
    pub fn changes_parameter(&self, name: &str) -> bool {
        self.parameters.iter().any(|p| p.name == name)
    }

    /// The three sections, for a terminal or a CI log.
    pub fn render(&self) -> String {
        let mut out = vec![format!(
            "Resources ({}):",
            count(self.changes.len(), "change")
        )];
        out.push(indent(&changeset::render(&self.changes)));
        if self.parameters.is_empty() {
            out.push("Parameters: no value changes".to_owned());
        } else {
            out.push(format!("Parameters ({} changed):", self.parameters.len()));
            for p in &self.parameters {
                out.push(format!("  {}", render_parameter(p)));
            }
        }
        if self.security.is_empty() {
            out.push("Security: no IAM, resource-policy or public-access change".to_owned());
        } else {
            out.push(format!(
                "Security ({} to IAM, resource policies or public access: review them):",
                count(self.security.len(), "change")
            ));
            let rows: Vec<Vec<String>> = self
                .security
                .iter()
                .map(|s| {
                    vec![
                        s.change.action.clone(),
                        s.change.logical_id.clone(),
                        s.change.resource_type.clone(),
                        s.why.clone(),
                    ]
                })
                .collect();
            out.push(indent(&table(
                &["Action", "Logical id", "Type", "Why"],
                &rows,
            )));
        }
        out.join("\n")
    }

    pub fn to_json(&self) -> Value {
        json!({
            "changes": changeset::to_json(&self.changes),
            "parameters": self.parameters.iter().map(|p| json!({
                "name": p.name, "old": p.old, "new": p.new,
            })).collect::<Vec<_>>(),
            "security": self.security.iter().map(|s| json!({
                "action": s.change.action,
                "logical_id": s.change.logical_id,
                "type": s.change.resource_type,
                "why": s.why,
            })).collect::<Vec<_>>(),
        })
    }
}

/// `1 change`, `2 changes`.
fn count(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("  {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `Name: old → new`; a multi-line value (the chart style's TOML) as its changed lines.
fn render_parameter(p: &ParameterChange) -> String {
    let shown = |v: &Option<String>| match v {
        None => "(unset)".to_owned(),
        Some(v) if v.is_empty() => "\"\"".to_owned(),
        Some(v) => v.clone(),
    };
    let multi_line = [&p.old, &p.new]
        .iter()
        .any(|v| v.as_ref().is_some_and(|v| v.contains('\n')));
    if !multi_line {
        return format!("{}: {} → {}", p.name, shown(&p.old), shown(&p.new));
    }
    let old: Vec<&str> = p.old.as_deref().unwrap_or_default().lines().collect();
    let new: Vec<&str> = p.new.as_deref().unwrap_or_default().lines().collect();
    let mut lines = vec![format!(
        "{}: {} lines → {} lines:",
        p.name,
        old.len(),
        new.len()
    )];
    lines.extend(
        old.iter()
            .filter(|l| !new.contains(l))
            .map(|l| format!("    - {l}")),
    );
    lines.extend(
        new.iter()
            .filter(|l| !old.contains(l))
            .map(|l| format!("    + {l}")),
    );
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(action: &str, logical: &str, kind: &str, details: &[&str]) -> Change {
        Change {
            action: action.into(),
            logical_id: logical.into(),
            resource_type: kind.into(),
            replacement: String::new(),
            details: details.iter().map(|d| d.to_string()).collect(),
        }
    }

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn iam_bucket_policy_and_public_access_changes_are_security_changes() {
        let review = Review::new(
            vec![
                change("Modify", "JobRole", "AWS::IAM::Role", &["Policies"]),
                change("Add", "ChartsBucketPolicy", "AWS::S3::BucketPolicy", &[]),
                change(
                    "Modify",
                    "ChartsBucket",
                    "AWS::S3::Bucket",
                    &["PublicAccessBlockConfiguration", "Tags"],
                ),
                change("Modify", "JobFunction", "AWS::Lambda::Function", &["Code"]),
                change(
                    "Modify",
                    "JobLogGroup",
                    "AWS::Logs::LogGroup",
                    &["RetentionInDays"],
                ),
            ],
            Vec::new(),
        );
        let why: Vec<(&str, &str)> = review
            .security
            .iter()
            .map(|s| (s.change.logical_id.as_str(), s.why.as_str()))
            .collect();
        assert_eq!(
            why,
            [
                ("JobRole", "IAM: Policies"),
                ("ChartsBucketPolicy", "bucket policy"),
                (
                    "ChartsBucket",
                    "public access: PublicAccessBlockConfiguration"
                ),
            ]
        );
        let text = review.render();
        assert!(text.contains("Security (3 changes to IAM"), "{text}");
        assert!(text.contains("Resources (5 changes)"), "{text}");
    }

    #[test]
    fn a_review_without_security_changes_says_so() {
        let review = Review::new(
            vec![change(
                "Modify",
                "JobFunction",
                "AWS::Lambda::Function",
                &["Code"],
            )],
            Vec::new(),
        );
        assert!(review.security.is_empty());
        assert!(review
            .render()
            .contains("Security: no IAM, resource-policy or public-access change"));
    }

    #[test]
    fn parameter_values_are_compared_old_to_new_with_defaults_and_kept_values() {
        let before = map(&[("ImageUri", "r@sha256:1"), ("ActiveDays", "7"), ("X", "a")]);
        // moto lists only the values given; CloudFormation all of them.
        let set = map(&[("ImageUri", "r@sha256:2")]);
        let defaults: BTreeMap<String, Option<String>> = [
            ("ActiveDays".to_owned(), Some("30".to_owned())),
            ("X".to_owned(), None),
            ("ImageUri".to_owned(), None),
        ]
        .into();
        let after = values_after(&before, &set, &["X".to_owned()], &defaults);
        let changes = parameter_changes(&before, &after);
        assert_eq!(
            changes,
            [
                ParameterChange {
                    name: "ActiveDays".into(),
                    old: Some("7".into()),
                    new: Some("30".into())
                },
                ParameterChange {
                    name: "ImageUri".into(),
                    old: Some("r@sha256:1".into()),
                    new: Some("r@sha256:2".into())
                },
            ]
        );
        let text = Review::new(Vec::new(), changes).render();
        assert!(text.contains("ImageUri: r@sha256:1 → r@sha256:2"), "{text}");
        assert!(text.contains("ActiveDays: 7 → 30"), "{text}");
    }

    #[test]
    fn a_multi_line_value_shows_its_changed_lines() {
        let p = ParameterChange {
            name: "ChartStyle".into(),
            old: Some("width = 1200\nlocale = \"ja\"\n".into()),
            new: Some("width = 1200\nlocale = \"en\"\n".into()),
        };
        assert_eq!(
            render_parameter(&p),
            "ChartStyle: 2 lines → 2 lines:\n    - locale = \"ja\"\n    + locale = \"en\""
        );
    }
}
