//! The README's operator path on a second engine: LocalStack on 127.0.0.1 (host mode, no
//! Docker), the **full** stack (`--scope full`, FanOut=false) through the real `cargo
//! xtask` binary (`--output json`): `bootstrap` → `deploy` through the bootstrap's service
//! role with its permissions boundary (create) → a deploy with nothing new is "no changes"
//! → `diff` → plan (`--no-execute`) and apply (`--change-set`) of an image change →
//! `status` → `teardown` → nothing left. The same assertions as `lifecycle_moto.rs` where
//! LocalStack answers; where it cannot (CloudFront and the dashboard are placeholders, no
//! ECR, no image invocation, no drift, no IAM policy evaluation) the test says so in one
//! line and the moto, replay, policy and image tests keep covering it.
//!
//! And a made-up permissions boundary fails the deploy as on AWS (LocalStack checks that the
//! boundary policy exists; it does not evaluate policies).

mod support_cli;

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::process::Output;

use serde_json::{json, Value};
use support_cli::{output, stage_file};
use testkit::block_on;
use testkit::localstack::localstack;
use xtask_lifecycle::clients::Clients;
use xtask_stacks::bootstrap_stack;
use xtask_stacks::main_stack::ids;

/// LocalStack's account for any test credentials.
const ACCOUNT: &str = "000000000000";

fn clients() -> Clients {
    Clients::new(&localstack().sdk_config())
}

fn image(n: char) -> String {
    format!(
        "{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/author-stats-batch-ls@sha256:{}",
        n.to_string().repeat(64)
    )
}

/// `cargo xtask <args> --stages-file F --output json --poll-interval 0.05` against LocalStack.
/// The stages' FanOut parameter: off (LocalStack cannot create the state machine, see the
/// module doc).
const FAN_OUT_OFF: &str = "FanOut = \"false\"\n";

/// `cargo xtask <args>` against LocalStack (support_cli).
fn xtask(args: &[&str], stages: &Path) -> (Output, String) {
    support_cli::xtask(&|cmd| localstack().configure(cmd), args, stages)
}

/// The JSON report of a command that must have succeeded.
fn report(args: &[&str], stages: &Path) -> Value {
    support_cli::report(&|cmd| localstack().configure(cmd), args, stages)
}

/// The logical ids of the full template's resources a stage without FanOut and without
/// AlarmEmail has (read from the checked-in template, which the golden test keeps equal to
/// `cargo xtask synth`).
fn expected_resources() -> BTreeSet<String> {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../templates/author-stats-batch.yaml");
    let template: serde_yaml::Value =
        serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let off = [ids::FAN_OUT_ON, ids::HAS_ALARM_EMAIL];
    template["Resources"]
        .as_mapping()
        .unwrap()
        .iter()
        .filter(|(_, r)| !r["Condition"].as_str().is_some_and(|c| off.contains(&c)))
        .map(|(id, _)| id.as_str().unwrap().to_owned())
        .collect()
}

fn function_image(function: &str) -> String {
    let out = block_on(
        clients()
            .lambda
            .get_function()
            .function_name(function)
            .send(),
    )
    .unwrap();
    out.code().unwrap().image_uri().unwrap().to_owned()
}

/// Says once, on stderr, what LocalStack cannot show (and which tests do).
fn cannot(what: &str) {
    eprintln!("LocalStack cannot answer: {what}");
}

#[test]
fn the_operator_path_runs_the_full_stack_through_the_service_role_and_its_boundary() {
    testkit::require!(testkit::tools::Tool::LocalStack);
    let started = std::time::Instant::now();
    let ls = localstack();
    eprintln!(
        "LocalStack ready after {:.1} s, {} MiB resident",
        ls.ready_after.as_secs_f64(),
        ls.rss_mib().unwrap_or_default()
    );
    // It listens on 127.0.0.1 only (no DNS server, hypercorn on the one address).
    let listening = ls.listening();
    assert!(
        !listening.is_empty(),
        "LocalStack (pid {}) listens nowhere",
        ls.pid
    );
    for address in &listening {
        assert!(
            address.ip() == std::net::Ipv4Addr::LOCALHOST,
            "LocalStack listens on {address}: {listening:?}"
        );
    }

    let dir = tempfile::tempdir().unwrap();
    let stage = "ls";
    let stack = "author-stats-batch-ls";
    let stages = stage_file(dir.path(), stage, FAN_OUT_OFF);
    let (first, second) = (image('1'), image('2'));

    // 1. bootstrap, as the administrator: service role, boundary, deployer role, the OIDC
    //    provider (the account has none yet).
    let boot = report(
        &[
            "bootstrap",
            "--stage",
            stage,
            "--github-repository",
            "octo/author-stats",
            "--yes",
        ],
        &stages,
    );
    assert_eq!(boot["status"], "CREATE_COMPLETE", "{boot:#}");
    let service_role = output(&boot, bootstrap_stack::outputs::CFN_EXEC_ROLE_ARN);
    let boundary = output(&boot, bootstrap_stack::outputs::BOUNDARY_ARN);
    assert_eq!(
        service_role,
        format!("arn:aws:iam::{ACCOUNT}:role/author-stats-batch-ls-cfn-exec")
    );
    assert_eq!(
        boundary,
        format!("arn:aws:iam::{ACCOUNT}:policy/author-stats-batch-ls-boundary")
    );
    assert_eq!(
        boot["deployer_role_arn"],
        format!("arn:aws:iam::{ACCOUNT}:role/author-stats-batch-ls-deployer")
    );
    cannot("the GitHub OIDC provider and the deployer's teardown policy (AWS::IAM::OIDCProvider, AWS::IAM::RolePolicy) are placeholders (the deployer policy tests check both)");
    // The deployer role trusts exactly the stage's OIDC subject.
    let deployer = block_on(
        clients()
            .iam
            .get_role()
            .role_name("author-stats-batch-ls-deployer")
            .send(),
    )
    .unwrap();
    let trust = urlencoding_decode(
        deployer
            .role()
            .unwrap()
            .assume_role_policy_document()
            .unwrap_or_default(),
    );
    assert!(
        trust.contains("repo:octo/author-stats:environment:ls:ref:refs/heads/main"),
        "{trust}"
    );
    // The boundary holds no iam: or sts: action (as the policy tests say of the template).
    let version = block_on(clients().iam.get_policy().policy_arn(&boundary).send())
        .unwrap()
        .policy()
        .unwrap()
        .default_version_id()
        .unwrap()
        .to_owned();
    let document = block_on(
        clients()
            .iam
            .get_policy_version()
            .policy_arn(&boundary)
            .version_id(version)
            .send(),
    )
    .unwrap();
    let document = document.policy_version().unwrap().document().unwrap();
    let document = urlencoding_decode(document);
    assert!(document.contains("s3:GetObject"), "{document}");
    assert!(
        !document.contains("\"iam:") && !document.contains("\"sts:"),
        "{document}"
    );

    // 2. deploy (create) through the service role, the roles under the boundary.
    let (out, stderr) = xtask(
        &[
            "deploy",
            "--stage",
            stage,
            "--image",
            &first,
            "--yes",
            "--no-backfill",
        ],
        &stages,
    );
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains("no bootstrap stack"), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "CREATE change set for stack {stack} (image {first}), as service role {service_role}"
        )),
        "the change set passes the bootstrap's service role:\n{stderr}"
    );
    let created: Value = serde_json::from_slice(&out.stdout).unwrap();
    let sent: Vec<(&str, &str)> = created["review"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap(),
                p["new"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert!(
        sent.contains(&("PermissionsBoundaryArn", boundary.as_str())),
        "the bootstrap's boundary is the stack's: {sent:?}"
    );
    cannot("image functions cannot run without Docker: --no-backfill (the image boot test runs the image)");
    assert_eq!(created["status"], "CREATE_COMPLETE", "{created:#}");
    let added: BTreeSet<String> = created["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["action"] == "Add")
        .map(|c| c["logical_id"].as_str().unwrap().to_owned())
        .collect();
    let expected = expected_resources();
    assert_eq!(added, expected, "the change set adds the whole stack");
    let described = block_on(
        clients()
            .cloudformation
            .describe_stacks()
            .stack_name(stack)
            .send(),
    )
    .unwrap();
    let described = &described.stacks()[0];
    cannot("the service role is passed but neither recorded on the stack nor assumed (the deployer policy tests check what it may do)");
    let tags: HashMap<&str, &str> = described
        .tags()
        .iter()
        .map(|t| (t.key().unwrap(), t.value().unwrap()))
        .collect();
    assert_eq!(tags.get("stage"), Some(&stage));
    assert_eq!(tags.get("application"), Some(&"author-stats-batch"));
    assert!(tags.contains_key("source-revision"), "{tags:?}");
    let resources = stack_resources(stack);
    let created_ids: BTreeSet<String> = resources.keys().cloned().collect();
    assert_eq!(created_ids, expected);
    for (id, (kind, physical, status)) in &resources {
        assert_eq!(status, "CREATE_COMPLETE", "{id} ({kind})");
        if kind.starts_with("AWS::CloudFront::") || kind == "AWS::CloudWatch::Dashboard" {
            assert_eq!(physical, "unknown", "{id} is emulated now: check it here");
        }
    }
    cannot("CloudFront (distribution, OAC, response headers policy) and the dashboard are placeholders with the id `unknown` (the stack, checkov, cfn-lint, cdk-nag and the dashboard test cover them)");
    for role in [ids::JOB_ROLE, ids::SCHEDULER_ROLE] {
        let name = &resources[role].1;
        let got = block_on(clients().iam.get_role().role_name(name).send()).unwrap();
        let got = got.role().unwrap();
        assert_eq!(got.path(), "/author-stats-batch-ls/", "{role}");
        assert_eq!(
            got.permissions_boundary()
                .and_then(|b| b.permissions_boundary_arn()),
            Some(boundary.as_str()),
            "{role} is created under the boundary"
        );
    }
    let function = output(&created, "FunctionName");
    assert_eq!(function_image(&function), first);
    let bucket = output(&created, "ChartsBucketName");
    let policy = block_on(clients().s3.get_bucket_policy().bucket(&bucket).send()).unwrap();
    assert!(
        policy
            .policy()
            .unwrap()
            .contains("cloudfront.amazonaws.com"),
        "{policy:?}"
    );
    let schedule = &resources[ids::DAILY_SCHEDULE].1;
    let got = block_on(clients().scheduler.get_schedule().name(schedule).send()).unwrap();
    assert_eq!(got.schedule_expression(), Some("cron(45 17 * * ? *)"));
    assert_eq!(
        got.target().unwrap().input(),
        Some(xtask_stacks::main_stack::DAILY_EVENT)
    );
    let alarms = alarm_names(stack);
    let alarm_ids: Vec<&String> = resources
        .iter()
        .filter(|(_, (kind, _, _))| kind == "AWS::CloudWatch::Alarm")
        .map(|(id, _)| id)
        .collect();
    assert_eq!(alarms.len(), alarm_ids.len(), "{alarms:?}");
    cannot("S3 lifecycle rules and log retention are accepted and dropped (the stack tests check the template)");

    // 3. Nothing new: no changes.
    let again = report(
        &["deploy", "--stage", stage, "--image", &first, "--yes"],
        &stages,
    );
    assert_eq!(again["status"], "no changes", "{again:#}");

    // 4. diff: the new image's old → new value, nothing executed, no change set left.
    let preview = report(&["diff", "--stage", stage, "--image", &second], &stages);
    assert_eq!(preview["create"], false, "{preview:#}");
    assert_eq!(preview["would_execute"], true, "{preview:#}");
    assert_eq!(image_change(&preview), (first.clone(), second.clone()));
    // (moto lists no resource change for a parameter-only change; LocalStack does, as AWS.)
    assert_eq!(
        changed_resources(&preview),
        [("Modify".to_owned(), ids::JOB_FUNCTION.to_owned())],
        "{preview:#}"
    );
    assert_eq!(function_image(&function), first, "diff must not execute");
    assert!(
        pending_change_sets(stack).is_empty(),
        "diff leaves no change set"
    );

    // 5. plan, then apply exactly that change set.
    let planned = report(
        &[
            "deploy",
            "--stage",
            stage,
            "--image",
            &second,
            "--no-execute",
        ],
        &stages,
    );
    assert_eq!(planned["status"], "planned", "{planned:#}");
    assert_eq!(planned["create"], false);
    assert_eq!(image_change(&planned), (first.clone(), second.clone()));
    assert_eq!(
        changed_resources(&planned),
        [("Modify".to_owned(), ids::JOB_FUNCTION.to_owned())],
        "{planned:#}"
    );
    let name = planned["change_set"].as_str().unwrap().to_owned();
    assert_eq!(
        planned["apply"],
        format!("cargo xtask deploy --stage {stage} --change-set {name}")
    );
    assert_eq!(function_image(&function), first, "a plan must not execute");
    let applied = report(
        &[
            "deploy",
            "--stage",
            stage,
            "--change-set",
            &name,
            "--no-backfill",
        ],
        &stages,
    );
    assert_eq!(applied["status"], "UPDATE_COMPLETE", "{applied:#}");
    assert_eq!(function_image(&function), second);
    let (out, stderr) = xtask(
        &["deploy", "--stage", stage, "--change-set", &name],
        &stages,
    );
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("already executed"), "{stderr}");
    cannot("drift detection (`cargo xtask drift`; the replay tests cover it)");

    // 6. status: the stack's own schedule, queue and alarms, which LocalStack evaluates: with
    //    no run yet, the heartbeat alarm (missing data is breaching) is in ALARM, as on AWS.
    let (out, stderr) = xtask(&["status", "--stage", stage], &stages);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let status: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(status["healthy"], false, "{status:#}");
    let verdict = status["verdict"].as_str().unwrap();
    let heartbeat = &resources[ids::HEARTBEAT_ALARM].1;
    assert!(
        verdict.contains("no successful run")
            && verdict.contains(&format!("alarm {heartbeat} is in ALARM")),
        "{verdict}"
    );
    let schedules = status["schedules"].as_array().unwrap();
    assert_eq!(schedules.len(), 1, "{status:#}");
    assert_eq!(schedules[0]["name"], schedule.as_str(), "{status:#}");
    assert_eq!(schedules[0]["state"], "ENABLED");
    assert_eq!(schedules[0]["expression"], "cron(45 17 * * ? *)");
    assert_eq!(schedules[0]["input"], xtask_stacks::main_stack::DAILY_EVENT);
    assert_eq!(status["dead_letter_messages"], 0);
    let states: HashMap<&str, &str> = status["alarms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["name"].as_str().unwrap(), a["state"].as_str().unwrap()))
        .collect();
    let listed: BTreeSet<&str> = states.keys().copied().collect();
    assert_eq!(
        listed,
        alarms.iter().map(String::as_str).collect(),
        "{status:#}"
    );
    for (name, state) in &states {
        let expected = if *name == heartbeat.as_str() {
            "ALARM"
        } else {
            "OK"
        };
        assert_eq!(*state, expected, "{name}: {status:#}");
    }
    // A run in the function's log group, as Lambda and the job log it: the run is listed
    // and no longer missing; the heartbeat alarm stays, since LocalStack does not turn the
    // job's metric lines (EMF) into metrics.
    let group = output(&created, "LogGroupName");
    write_run(&group);
    let (out, stderr) = xtask(&["status", "--stage", stage], &stages);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let after: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(after["runs"][0]["trigger"], "schedule", "{after:#}");
    assert_eq!(after["runs"][0]["charts_written"], 12, "{after:#}");
    let verdict = after["verdict"].as_str().unwrap();
    assert!(
        !verdict.contains("no successful run")
            && verdict.contains(&format!("alarm {heartbeat} is in ALARM")),
        "{verdict}"
    );
    cannot("metrics from the job's EMF log lines (the heartbeat alarm stays in ALARM; lifecycle_moto.rs reads a healthy stage)");

    // 7. teardown (the images stay: LocalStack has no ECR), then nothing is left.
    cannot("ECR (no repository to make or delete: teardown --keep-images; the registry tests push images)");
    block_on(
        clients()
            .s3
            .put_object()
            .bucket(&bucket)
            .key("author-monthly-stats/index.json")
            .body(b"{}".to_vec().into())
            .send(),
    )
    .unwrap();
    let torn = report(
        &["teardown", "--stage", stage, "--keep-images", "--yes"],
        &stages,
    );
    assert_eq!(torn["existed"], true);
    assert_eq!(torn["objects_deleted"], 1, "{torn:#}");
    let not_checked: BTreeSet<&str> = torn["not_checked"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["type"].as_str().unwrap())
        .collect();
    let checked: BTreeSet<&str> = torn["verified_gone"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["type"].as_str().unwrap())
        .collect();
    for kind in [
        "AWS::CloudFormation::Stack",
        "AWS::S3::Bucket",
        "AWS::S3::BucketPolicy",
        "AWS::Logs::LogGroup",
        "AWS::SQS::Queue",
        "AWS::IAM::Role",
        "AWS::Lambda::Function",
        "AWS::CloudWatch::Alarm",
        "AWS::Scheduler::Schedule",
    ] {
        assert!(checked.contains(kind), "{kind} not checked: {torn:#}");
    }
    // Cloud Control is not in LocalStack's free emulator: the rest is said, not checked.
    for kind in &not_checked {
        assert!(
            [
                "AWS::CloudFront::Distribution",
                "AWS::CloudFront::OriginAccessControl",
                "AWS::CloudFront::ResponseHeadersPolicy",
                "AWS::CloudWatch::Dashboard",
                "AWS::Lambda::EventInvokeConfig",
            ]
            .contains(kind),
            "{kind} should be checked: {torn:#}"
        );
    }
    cannot("Cloud Control (teardown leaves CloudFront, the dashboard and the event invoke config not checked, and says so)");
    // And independently of teardown's own checks: nothing of the stack is left.
    assert!(block_on(clients().s3.head_bucket().bucket(&bucket).send()).is_err());
    assert!(block_on(
        clients()
            .lambda
            .get_function()
            .function_name(&function)
            .send()
    )
    .is_err());
    for role in [ids::JOB_ROLE, ids::SCHEDULER_ROLE] {
        let left = block_on(
            clients()
                .iam
                .get_role()
                .role_name(&resources[role].1)
                .send(),
        );
        assert!(left.is_err(), "{role} is left");
    }
    assert!(alarm_names(stack).is_empty(), "alarms are left");
    let schedule_left = block_on(clients().scheduler.get_schedule().name(schedule).send());
    assert!(schedule_left.is_err(), "the schedule is left");
    let groups = block_on(
        clients()
            .logs
            .describe_log_groups()
            .log_group_name_prefix(&group)
            .send(),
    )
    .unwrap();
    assert!(groups.log_groups().is_empty(), "{groups:?}");
    let twice = report(
        &["teardown", "--stage", stage, "--keep-images", "--yes"],
        &stages,
    );
    assert_eq!(twice["existed"], false);

    // The bootstrap stack stays (an administrator removes it), and goes with its roles.
    block_on(
        clients()
            .cloudformation
            .delete_stack()
            .stack_name(bootstrap_stack::stack_name(stage))
            .send(),
    )
    .unwrap();
    wait_gone(&bootstrap_stack::stack_name(stage));
    assert!(block_on(
        clients()
            .iam
            .get_role()
            .role_name("author-stats-batch-ls-cfn-exec")
            .send()
    )
    .is_err());
    eprintln!(
        "the operator path took {:.1} s; LocalStack holds {} MiB now",
        started.elapsed().as_secs_f64(),
        ls.rss_mib().unwrap_or_default()
    );
}

#[test]
fn a_made_up_permissions_boundary_fails_the_deploy_as_on_aws() {
    testkit::require!(testkit::tools::Tool::LocalStack);
    let dir = tempfile::tempdir().unwrap();
    let stages = stage_file(dir.path(), "lsbad", FAN_OUT_OFF);
    let made_up = format!("arn:aws:iam::{ACCOUNT}:policy/made-up-boundary");
    let (out, stderr) = xtask(
        &[
            "deploy",
            "--stage",
            "lsbad",
            "--image",
            &image('3'),
            "--param",
            &format!("PermissionsBoundaryArn={made_up}"),
            "--yes",
            "--no-backfill",
        ],
        &stages,
    );
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    // Each failed resource with its reason: the first role the stack creates names the
    // boundary that does not exist.
    assert!(
        stderr.contains("JobRole") && stderr.contains(&made_up),
        "the failure names the role and the boundary:\n{stderr}"
    );
    let stack = block_on(
        clients()
            .cloudformation
            .describe_stacks()
            .stack_name("author-stats-batch-lsbad")
            .send(),
    )
    .unwrap();
    assert_eq!(
        stack.stacks()[0].stack_status().map(|s| s.as_str()),
        Some("ROLLBACK_COMPLETE")
    );
    cannot("IAM policy evaluation (a deploy outside the boundary is refused on AWS; the deployer policy tests check the policies)");
    cannot("deleting a stack whose creation rolled back (DELETE_FAILED on the resources never created): it goes with the emulator");
}

/// logical id → (type, physical id, status) of the stack's resources.
fn stack_resources(stack: &str) -> HashMap<String, (String, String, String)> {
    let out = block_on(
        clients()
            .cloudformation
            .list_stack_resources()
            .stack_name(stack)
            .send(),
    )
    .unwrap();
    out.stack_resource_summaries()
        .iter()
        .map(|r| {
            (
                r.logical_resource_id().unwrap().to_owned(),
                (
                    r.resource_type().unwrap().to_owned(),
                    r.physical_resource_id().unwrap_or_default().to_owned(),
                    r.resource_status().unwrap().as_str().to_owned(),
                ),
            )
        })
        .collect()
}

/// The names of the stack's alarms (CloudFormation names them `<stack>-<LogicalId>-…`).
fn alarm_names(stack: &str) -> Vec<String> {
    let out = block_on(
        clients()
            .cloudwatch
            .describe_alarms()
            .alarm_name_prefix(format!("{stack}-"))
            .send(),
    )
    .unwrap();
    out.metric_alarms()
        .iter()
        .filter_map(|a| a.alarm_name().map(str::to_owned))
        .collect()
}

/// The `ImageUri` change of a review: (old, new).
fn image_change(report: &Value) -> (String, String) {
    let change = report["review"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "ImageUri")
        .unwrap_or_else(|| panic!("no ImageUri change: {report:#}"));
    (
        change["old"].as_str().unwrap_or_default().to_owned(),
        change["new"].as_str().unwrap_or_default().to_owned(),
    )
}

/// (action, logical id) of a review's resource changes.
fn changed_resources(report: &Value) -> Vec<(String, String)> {
    report["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["action"].as_str().unwrap().to_owned(),
                c["logical_id"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Change sets of `stack` not yet executed.
fn pending_change_sets(stack: &str) -> Vec<String> {
    let out = block_on(
        clients()
            .cloudformation
            .list_change_sets()
            .stack_name(stack)
            .send(),
    )
    .unwrap();
    out.summaries()
        .iter()
        .filter(|c| c.execution_status().map(|s| s.as_str()) == Some("AVAILABLE"))
        .filter_map(|c| c.change_set_name().map(str::to_owned))
        .collect()
}

/// A scheduled run an hour ago in `group`, as the job and Lambda log it.
fn write_run(group: &str) {
    let at = chrono::Utc::now() - chrono::Duration::hours(1);
    let lines = [
        json!({"time": "x", "type": "platform.start",
            "record": {"requestId": "r-1", "version": "$LATEST"}}),
        json!({"level": "INFO", "message": "run started", "trigger": "schedule", "days": 30}),
        json!({"_aws": {"Timestamp": 0, "CloudWatchMetrics": []}, "RunFailed": 0,
            "DurationMs": 2100, "ChartsUploaded": 12, "ChartsUnchanged": 250,
            "AuthorsListed": 291, "DryRun": false}),
    ];
    let logs = clients().logs;
    block_on(
        logs.create_log_stream()
            .log_group_name(group)
            .log_stream_name("2026/12/05/[$LATEST]run")
            .send(),
    )
    .unwrap();
    let events = lines
        .iter()
        .map(|line| {
            aws_sdk_cloudwatchlogs::types::InputLogEvent::builder()
                .timestamp(at.timestamp_millis())
                .message(line.to_string())
                .build()
                .unwrap()
        })
        .collect();
    block_on(
        logs.put_log_events()
            .log_group_name(group)
            .log_stream_name("2026/12/05/[$LATEST]run")
            .set_log_events(Some(events))
            .send(),
    )
    .unwrap();
}

/// Waits (at most 60 s) until `stack` is deleted.
fn wait_gone(stack: &str) {
    for _ in 0..1200 {
        let out = block_on(
            clients()
                .cloudformation
                .describe_stacks()
                .stack_name(stack)
                .send(),
        );
        match out {
            Err(_) => return,
            Ok(o)
                if o.stacks()[0].stack_status().map(|s| s.as_str()) == Some("DELETE_COMPLETE") =>
            {
                return
            }
            Ok(_) => std::thread::sleep(std::time::Duration::from_millis(50)),
        }
    }
    panic!("stack {stack} is still there after 60 s");
}

/// IAM returns policy documents URL-encoded.
fn urlencoding_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 3;
                    }
                    Err(_) => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
