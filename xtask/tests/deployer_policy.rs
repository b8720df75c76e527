//! `spec/deployer-policy.json` allows every AWS API call the lifecycle commands and the
//! image push make, and nothing with a wildcard action. The calls are read from the source
//! (every `<client>.<operation>()` on an SDK client in the deploying code), so a new call
//! without a permission fails here, not in a pipeline.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

/// Source files whose AWS calls the deploying identity makes.
const DEPLOYING_CODE: [&str; 3] = ["src/lifecycle", "src/ecr.rs", "src/push.rs"];

/// The registry protocol of a push maps to these ECR permissions (registry.rs speaks HTTP,
/// not the SDK, so the scan cannot see them).
const REGISTRY_PUSH: [&str; 5] = [
    "ecr:BatchCheckLayerAvailability",
    "ecr:InitiateLayerUpload",
    "ecr:UploadLayerPart",
    "ecr:CompleteLayerUpload",
    "ecr:PutImage",
];

/// Statements that may use `"Resource": "*"`: the APIs that have no resource.
const RESOURCELESS: [&str; 2] = ["ecr:GetAuthorizationToken", "cloudcontrolapi:GetResource"];

fn sources(path: &Path, out: &mut Vec<(String, String)>) {
    if path.is_dir() {
        for entry in std::fs::read_dir(path).unwrap() {
            sources(&entry.unwrap().path(), out);
        }
    } else if path.extension().is_some_and(|e| e == "rs") {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        out.push((name, std::fs::read_to_string(path).unwrap()));
    }
}

fn pascal(snake: &str) -> String {
    snake
        .split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// IAM actions for one SDK operation of `service`.
fn actions(service: &str, operation: &str) -> Vec<String> {
    match (service, operation) {
        ("s3", "head_bucket") => vec!["s3:ListBucket".into()],
        ("s3", "head_object") => vec!["s3:GetObject".into()],
        ("s3", "list_object_versions") => vec!["s3:ListBucketVersions".into()],
        ("s3", "delete_objects") => {
            vec!["s3:DeleteObject".into(), "s3:DeleteObjectVersion".into()]
        }
        ("lambda", "invoke") => vec!["lambda:InvokeFunction".into()],
        ("cloudcontrol", op) => vec![format!("cloudcontrolapi:{}", pascal(op))],
        (service, op) => vec![format!("{service}:{}", pascal(op))],
    }
}

/// Every IAM action the deploying code needs, from its SDK calls.
fn required_actions() -> BTreeSet<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for part in DEPLOYING_CODE {
        sources(&root.join(part), &mut files);
    }
    let mut required: BTreeSet<String> = REGISTRY_PUSH.iter().map(|s| s.to_string()).collect();
    let mut calls = 0;
    for (name, text) in files {
        // Method chains span lines: drop the whitespace around each dot.
        let compact: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
        let compact = compact.replace(" .", ".").replace(". ", ".");
        let receivers: Vec<(String, &str)> = [
            "cloudformation",
            "s3",
            "ecr",
            "lambda",
            "logs",
            "iam",
            "sqs",
            "cloudcontrol",
        ]
        .iter()
        .map(|s| (format!("clients.{s}."), *s))
        .chain([("cfn.".to_owned(), "cloudformation")])
        .chain((name == "ecr.rs").then(|| ("client.".to_owned(), "ecr")))
        .collect();
        for (receiver, service) in &receivers {
            for (at, _) in compact.match_indices(receiver.as_str()) {
                // `cfn.` must start an identifier, not end one (`&clients.cloudformation.` is
                // matched by its own receiver).
                if at > 0 && compact.as_bytes()[at - 1].is_ascii_alphanumeric() {
                    continue;
                }
                let rest = &compact[at + receiver.len()..];
                let op: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || *c == '_' || c.is_ascii_digit())
                    .collect();
                if !op.is_empty() && rest[op.len()..].starts_with("()") {
                    calls += 1;
                    required.extend(actions(service, &op));
                }
            }
        }
    }
    assert!(
        calls >= 25,
        "found only {calls} SDK calls in the deploying code: the scan is broken"
    );
    required
}

fn policy() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec/deployer-policy.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn list(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items
            .iter()
            .map(|i| i.as_str().unwrap().to_owned())
            .collect(),
        _ => panic!("not a string or a list: {value}"),
    }
}

#[test]
fn every_call_the_deploying_code_makes_is_allowed() {
    let policy = policy();
    let allowed: BTreeSet<String> = policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["Effect"] == "Allow")
        .flat_map(|s| list(&s["Action"]))
        .collect();
    let required = required_actions();
    let missing: Vec<&String> = required.difference(&allowed).collect();
    assert!(
        missing.is_empty(),
        "spec/deployer-policy.json does not allow {missing:?} (needed by the deploying code)"
    );
    for action in [
        "cloudformation:CreateChangeSet",
        "cloudformation:ExecuteChangeSet",
        "lambda:InvokeFunction",
        "logs:FilterLogEvents",
        "s3:DeleteObjectVersion",
        "ecr:DeleteRepository",
    ] {
        assert!(
            required.contains(action),
            "the scan missed {action}: {required:?}"
        );
    }
}

#[test]
fn no_action_is_a_wildcard_and_only_resourceless_apis_use_every_resource() {
    for statement in policy()["Statement"].as_array().unwrap() {
        let actions = list(&statement["Action"]);
        for action in &actions {
            assert!(!action.contains('*'), "wildcard action {action}");
        }
        for resource in list(&statement["Resource"]) {
            if resource == "*" {
                assert!(
                    actions.iter().all(|a| RESOURCELESS.contains(&a.as_str())),
                    "{:?} may not use Resource *",
                    statement["Sid"]
                );
            } else {
                assert!(
                    resource.contains("author-stats-batch-")
                        || resource.starts_with("arn:aws:cloudfront::"),
                    "{resource} is not scoped to this project's resources"
                );
            }
        }
    }
}
