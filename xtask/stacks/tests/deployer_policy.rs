//! `spec/deployer-policy.json` (generated from `xtask/stacks/src/bootstrap_stack.rs`) allows every AWS API
//! call the lifecycle commands and the image push make, and nothing with a wildcard action;
//! the deployer can neither create nor change any IAM role or policy, the service role
//! creates roles only under the permissions boundary, and a production deployer can neither
//! lift termination protection nor delete its stack. The calls are read from the source
//! (every `<client>.<operation>()` on an SDK client in the deploying code), so a new call
//! without a permission fails here, not in a pipeline.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

/// Source files whose AWS calls the deploying identity makes.
const DEPLOYING_CODE: [&str; 1] = ["../lifecycle/src"];
/// Lifecycle code an administrator runs, never the deployer (`cargo xtask bootstrap`).
const ADMIN_CODE: [&str; 1] = ["bootstrap.rs"];

/// Calls only `teardown` and `rebuild` make (both refuse a production stage before any AWS
/// call), or deploy's recreation of a rolled-back stack (refused for production too): the
/// production deployer is not allowed them.
const NOT_FOR_PRODUCTION: [&str; 13] = [
    "cloudformation:DeleteStack",
    "cloudformation:GetResource",
    "ecr:DeleteRepository",
    "iam:GetRole",
    "lambda:GetFunction",
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
    "s3:GetObject",
    "s3:ListBucket",
    "s3:ListBucketVersions",
    "sqs:GetQueueAttributes",
    "states:DescribeStateMachine",
    "cloudformation:UpdateTerminationProtection",
];

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
const RESOURCELESS: [&str; 10] = xtask_stacks::bootstrap_stack::RESOURCELESS;

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
        // Cloud Control's IAM actions carry the `cloudformation:` prefix.
        ("cloudcontrol", op) => vec![format!("cloudformation:{}", pascal(op))],
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
    files.retain(|(name, _)| !ADMIN_CODE.contains(&name.as_str()));
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
            "cloudwatch",
        ]
        .iter()
        .map(|s| (format!("clients.{s}."), *s))
        .chain([
            ("cfn.".to_owned(), "cloudformation"),
            // Step Functions' IAM actions carry the `states:` prefix.
            ("clients.sfn.".to_owned(), "states"),
        ])
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

fn policy_file() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../spec/deployer-policy.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn list(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items
            .iter()
            .map(|i| i.as_str().unwrap().to_owned())
            .collect(),
        Value::Null => Vec::new(),
        _ => panic!("not a string or a list: {value}"),
    }
}

fn statements(doc: &str) -> Vec<Value> {
    policy_file()[doc]["Statement"]
        .as_array()
        .unwrap_or_else(|| panic!("spec/deployer-policy.json has no {doc}"))
        .clone()
}

fn allowed(docs: &[&str]) -> BTreeSet<String> {
    docs.iter()
        .flat_map(|d| statements(d))
        .filter(|s| s["Effect"] == "Allow")
        .flat_map(|s| list(&s["Action"]))
        .collect()
}

/// The deployer on a stage that is not production, and on a production stage.
const NON_PRODUCTION: [&str; 2] = ["DeployerPolicy", "DeployerTeardownPolicy"];
const PRODUCTION: [&str; 1] = ["DeployerPolicy"];
const ALL_DOCUMENTS: [&str; 4] = [
    "DeployerPolicy",
    "DeployerTeardownPolicy",
    "CfnExecPolicy",
    "PermissionsBoundary",
];

/// IAM actions that create or change a role, a user or a policy, or lift a boundary.
const IAM_ESCALATION: [&str; 24] = [
    "iam:AddUserToGroup",
    "iam:AttachGroupPolicy",
    "iam:AttachRolePolicy",
    "iam:AttachUserPolicy",
    "iam:CreateAccessKey",
    "iam:CreateLoginProfile",
    "iam:CreatePolicy",
    "iam:CreatePolicyVersion",
    "iam:CreateRole",
    "iam:CreateUser",
    "iam:DeleteRolePermissionsBoundary",
    "iam:DeleteRolePolicy",
    "iam:DeleteUserPermissionsBoundary",
    "iam:DetachRolePolicy",
    "iam:PutGroupPolicy",
    "iam:PutRolePermissionsBoundary",
    "iam:PutRolePolicy",
    "iam:PutUserPermissionsBoundary",
    "iam:PutUserPolicy",
    "iam:SetDefaultPolicyVersion",
    "iam:UpdateAssumeRolePolicy",
    "iam:UpdateLoginProfile",
    "iam:UpdateRole",
    "iam:DeletePolicy",
];

#[test]
fn every_call_the_deploying_code_makes_is_allowed() {
    let required = required_actions();
    let non_production = allowed(&NON_PRODUCTION);
    let missing: Vec<&String> = required.difference(&non_production).collect();
    assert!(
        missing.is_empty(),
        "spec/deployer-policy.json does not allow {missing:?} (needed by the deploying code; \
         add them in xtask/stacks/src/bootstrap_stack.rs and run `cargo xtask synth`)"
    );
    for action in [
        "cloudformation:CreateChangeSet",
        "cloudformation:ExecuteChangeSet",
        "lambda:InvokeFunction",
        "logs:FilterLogEvents",
        "s3:DeleteObjectVersion",
        "ecr:DeleteRepository",
        "cloudformation:GetResource",
        "states:StartExecution",
        "states:DescribeMapRun",
    ] {
        assert!(
            required.contains(action),
            "the scan missed {action}: {required:?}"
        );
    }
    // The bootstrap's own call is an administrator's, not the deployer's.
    assert!(
        !required.contains("cloudformation:UpdateTerminationProtection"),
        "only `cargo xtask bootstrap` (an administrator) may change termination protection"
    );
}

#[test]
fn a_production_deployer_is_allowed_everything_but_teardown() {
    let required = required_actions();
    let production = allowed(&PRODUCTION);
    let missing: Vec<&String> = required
        .iter()
        .filter(|a| !production.contains(*a) && !NOT_FOR_PRODUCTION.contains(&a.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "the production deployer lacks {missing:?}"
    );
}

#[test]
fn the_production_deployer_cannot_lift_termination_protection_or_delete_its_stack() {
    let production = allowed(&PRODUCTION);
    for action in [
        "cloudformation:UpdateTerminationProtection",
        "cloudformation:DeleteStack",
        "cloudformation:DeleteStackInstances",
        "cloudformation:UpdateStack",
        "cloudformation:SetStackPolicy",
        "ecr:DeleteRepository",
        "s3:DeleteObjectVersion",
    ] {
        assert!(
            !production.contains(action),
            "a production deployer may {action}"
        );
    }
    // Not even elsewhere: nobody but an administrator changes termination protection.
    assert!(!allowed(&NON_PRODUCTION).contains("cloudformation:UpdateTerminationProtection"));
    // The teardown rights exist only where the stage is not production.
    let t = xtask_stacks::bootstrap_stack::template().to_value();
    let teardown = &t["Resources"][xtask_stacks::bootstrap_stack::ids::DEPLOYER_TEARDOWN_POLICY];
    assert_eq!(
        teardown["Condition"],
        xtask_stacks::bootstrap_stack::ids::IS_NOT_PRODUCTION
    );
    let condition = &t["Conditions"][xtask_stacks::bootstrap_stack::ids::IS_NOT_PRODUCTION]
        ["Fn::Not"][0]["Fn::Equals"];
    assert_eq!(
        condition[0]["Ref"],
        xtask_stacks::bootstrap_stack::params::PRODUCTION
    );
    assert_eq!(condition[1], "true");
    assert_eq!(
        teardown["Properties"]["RoleName"]["Ref"],
        xtask_stacks::bootstrap_stack::ids::DEPLOYER_ROLE
    );
}

#[test]
fn the_deployer_cannot_create_or_change_any_iam_role_or_policy() {
    for doc in NON_PRODUCTION {
        for s in statements(doc) {
            for action in list(&s["Action"]) {
                assert!(
                    !IAM_ESCALATION.contains(&action.as_str()),
                    "{doc} {}: the deployer may {action}",
                    s["Sid"]
                );
                if action.starts_with("iam:") {
                    assert!(
                        action == "iam:PassRole" || action.starts_with("iam:Get"),
                        "{doc}: the deployer may {action}"
                    );
                }
                if action == "iam:PassRole" {
                    assert_eq!(list(&s["Resource"]), ["${CfnExecRole.Arn}"]);
                    assert_eq!(
                        s["Condition"]["StringEquals"]["iam:PassedToService"],
                        "cloudformation.amazonaws.com"
                    );
                }
            }
        }
    }
    // Its change sets run as the service role, with the main stack's resource types only.
    let create = statements("DeployerPolicy")
        .into_iter()
        .find(|s| list(&s["Action"]).contains(&"cloudformation:CreateChangeSet".to_owned()))
        .unwrap();
    assert_eq!(
        create["Condition"]["StringEquals"]["cloudformation:RoleArn"],
        "${CfnExecRole.Arn}"
    );
    let types =
        list(&create["Condition"]["ForAllValues:StringEquals"]["cloudformation:ResourceTypes"]);
    assert_eq!(
        types,
        xtask_stacks::bootstrap_stack::main_stack_resource_types()
    );
    assert!(!types.iter().any(|t| t.starts_with("AWS::CloudFormation::")
        || t == "AWS::IAM::User"
        || t == "AWS::IAM::ManagedPolicy"
        || t == "AWS::Lambda::Permission"));
}

#[test]
fn the_service_role_creates_and_changes_roles_only_with_the_boundary() {
    let mut bounded = BTreeSet::new();
    for s in statements("CfnExecPolicy") {
        for action in list(&s["Action"]) {
            if !IAM_ESCALATION.contains(&action.as_str()) {
                continue;
            }
            assert_eq!(
                s["Condition"]["StringEquals"]["iam:PermissionsBoundary"], "${PermissionsBoundary}",
                "CfnExecPolicy {}: {action} without the boundary condition",
                s["Sid"]
            );
            // Only the stack's roles (under its path), never the bootstrap's own.
            assert_eq!(
                list(&s["Resource"]),
                ["arn:${AWS::Partition}:iam::${AWS::AccountId}:role/author-stats-batch-${Stage}/*"]
            );
            bounded.insert(action);
        }
        for action in list(&s["Action"]) {
            if action == "iam:PassRole" {
                let services = list(&s["Condition"]["StringEquals"]["iam:PassedToService"]);
                // The job's, the schedules' and the fan-out state machine's roles.
                assert_eq!(
                    services,
                    [
                        "lambda.amazonaws.com",
                        "scheduler.amazonaws.com",
                        "states.amazonaws.com"
                    ]
                );
            }
        }
    }
    assert!(bounded.contains("iam:CreateRole"), "{bounded:?}");
    for never in [
        "iam:AttachRolePolicy",
        "iam:CreatePolicy",
        "iam:CreatePolicyVersion",
        "iam:DeleteRolePermissionsBoundary",
        "iam:UpdateAssumeRolePolicy",
        "iam:CreateUser",
        "iam:SetDefaultPolicyVersion",
    ] {
        assert!(!bounded.contains(never), "the service role may {never}");
    }
    // The boundary itself grants no IAM action.
    for s in statements("PermissionsBoundary") {
        for action in list(&s["Action"]) {
            assert!(!action.starts_with("iam:"), "the boundary allows {action}");
            assert!(!action.starts_with("sts:"), "the boundary allows {action}");
        }
    }
}

#[test]
fn no_action_is_a_wildcard_and_only_resourceless_apis_use_every_resource() {
    for doc in ALL_DOCUMENTS {
        for statement in statements(doc) {
            assert_eq!(statement["Effect"], "Allow", "{doc}");
            let actions = list(&statement["Action"]);
            for action in &actions {
                assert!(!action.contains('*'), "{doc}: wildcard action {action}");
            }
            for resource in list(&statement["Resource"]) {
                if resource == "*" {
                    assert!(
                        actions.iter().all(|a| RESOURCELESS.contains(&a.as_str())),
                        "{doc} {:?} may not use Resource *",
                        statement["Sid"]
                    );
                    continue;
                }
                assert!(
                    resource.starts_with("arn:${AWS::Partition}:") || resource.starts_with("${"),
                    "{doc}: {resource} does not name its partition"
                );
                let service = resource
                    .strip_prefix("arn:${AWS::Partition}:")
                    .and_then(|r| r.split(':').next())
                    .unwrap_or_default();
                let scoped = resource.contains("author-stats-batch-${Stage}")
                    || resource.ends_with(":repository/${RepositoryName}")
                    || resource == "arn:${AWS::Partition}:s3:::${SourceBucketName}/*"
                    || resource == "${CfnExecRole.Arn}"
                    || service == "cloudfront";
                assert!(scoped, "{doc}: {resource} is not scoped to the stage");
                // Dashboards, like IAM and CloudFront, are global: no region in the ARN.
                let global = service == "cloudwatch" && resource.contains(":dashboard/");
                match service {
                    "s3" => {}
                    "iam" | "cloudfront" => assert!(
                        resource.contains("::${AWS::AccountId}:"),
                        "{doc}: {resource} does not pin the account"
                    ),
                    _ if global => assert!(
                        resource.contains("::${AWS::AccountId}:"),
                        "{doc}: {resource} does not pin the account"
                    ),
                    "" => {}
                    _ => assert!(
                        resource.contains(":${AWS::Region}:${AWS::AccountId}:"),
                        "{doc}: {resource} does not pin region and account"
                    ),
                }
            }
        }
    }
}

#[test]
fn cloudfront_is_changed_only_on_the_stacks_own_distribution() {
    for s in statements("CfnExecPolicy") {
        let actions = list(&s["Action"]);
        let changes_existing = actions.iter().any(|a| {
            a.starts_with("cloudfront:")
                && (a.contains("Update") || a.contains("Delete") || a.contains("Untag"))
                && a.contains("Distribution")
                || a == "cloudfront:UntagResource"
        });
        if changes_existing {
            assert_eq!(
                s["Condition"]["StringEquals"]["aws:ResourceTag/aws:cloudformation:stack-name"],
                "author-stats-batch-${Stage}",
                "{:?}",
                s["Sid"]
            );
        }
    }
}

#[test]
fn cloudfront_tags_only_the_stacks_own_distribution_or_a_new_one_tagged_as_it() {
    let mut tagging = 0;
    for s in statements("CfnExecPolicy") {
        if !list(&s["Action"]).contains(&"cloudfront:TagResource".to_owned()) {
            continue;
        }
        tagging += 1;
        let equals = &s["Condition"]["StringEquals"];
        let stack = equals["aws:ResourceTag/aws:cloudformation:stack-name"]
            .as_str()
            .or(equals["aws:RequestTag/aws:cloudformation:stack-name"].as_str());
        assert_eq!(
            stack,
            Some("author-stats-batch-${Stage}"),
            "{:?} may tag any distribution of the account",
            s["Sid"]
        );
    }
    assert_eq!(tagging, 2, "an existing distribution, and a new one");
}

#[test]
fn the_dashboard_is_managed_and_checked_by_its_exact_name() {
    let dashboard =
        "arn:${AWS::Partition}:cloudwatch::${AWS::AccountId}:dashboard/author-stats-batch-${Stage}";
    let on_dashboard = |doc: &str| -> BTreeSet<String> {
        statements(doc)
            .into_iter()
            .filter(|s| list(&s["Resource"]).contains(&dashboard.to_owned()))
            .flat_map(|s| list(&s["Action"]))
            .collect()
    };
    assert_eq!(
        on_dashboard("CfnExecPolicy"),
        BTreeSet::from([
            "cloudwatch:DeleteDashboards".to_owned(),
            "cloudwatch:GetDashboard".to_owned(),
            "cloudwatch:PutDashboard".to_owned(),
        ])
    );
    // Teardown's Cloud Control check reads it with the type's own read permission.
    assert_eq!(
        on_dashboard("DeployerTeardownPolicy"),
        BTreeSet::from(["cloudwatch:GetDashboard".to_owned()])
    );
    assert!(on_dashboard("DeployerPolicy").is_empty());
}

#[test]
fn the_fan_outs_log_delivery_is_allowed_to_the_service_role_and_within_the_boundary() {
    for doc in ["CfnExecPolicy", "PermissionsBoundary"] {
        let everywhere: BTreeSet<String> = statements(doc)
            .into_iter()
            .filter(|s| list(&s["Resource"]) == ["*"])
            .flat_map(|s| list(&s["Action"]))
            .collect();
        for action in xtask_stacks::main_stack::LOG_DELIVERY_ACTIONS {
            assert!(everywhere.contains(action), "{doc} lacks {action}");
        }
    }
    let types = xtask_stacks::bootstrap_stack::main_stack_resource_types();
    for kind in [
        "AWS::SQS::QueuePolicy",
        "AWS::SNS::TopicPolicy",
        "AWS::CloudWatch::Dashboard",
    ] {
        assert!(types.contains(&kind.to_owned()), "{kind}: {types:?}");
    }
}

#[test]
fn github_may_assume_the_deployer_only_from_main_in_the_stage_environment() {
    let trust = &policy_file()["DeployerTrustPolicy"]["Statement"];
    let trust = trust.as_array().unwrap();
    assert_eq!(trust.len(), 1);
    let s = &trust[0];
    assert_eq!(list(&s["Action"]), ["sts:AssumeRoleWithWebIdentity"]);
    assert_eq!(
        s["Principal"]["Federated"],
        "arn:${AWS::Partition}:iam::${AWS::AccountId}:oidc-provider/token.actions.githubusercontent.com"
    );
    let equals = &s["Condition"]["StringEquals"];
    assert_eq!(
        equals["token.actions.githubusercontent.com:aud"],
        "sts.amazonaws.com"
    );
    assert_eq!(
        equals["token.actions.githubusercontent.com:sub"],
        "repo:${GitHubRepository}:environment:${Stage}:ref:refs/heads/main"
    );
    assert_eq!(
        s["Condition"].as_object().unwrap().len(),
        1,
        "no StringLike"
    );
    assert_eq!(
        xtask_stacks::bootstrap_stack::github_subject("octo/stats", "prod"),
        "repo:octo/stats:environment:prod:ref:refs/heads/main"
    );
}
