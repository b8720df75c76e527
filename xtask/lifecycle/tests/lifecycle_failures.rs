//! Layer 2 of the lifecycle tests: the failure paths moto never reaches, against recorded
//! CloudFormation responses (`testkit::replay`, real SDK clients over HTTP on 127.0.0.1):
//! a ROLLBACK_COMPLETE stack recreated, DELETE_FAILED reported with its reasons, an empty
//! change set, a failed change set, an update that rolls back, throttling retried, and a
//! fan-out stage's execution polled until it settles, timed out, or refused.

use std::time::Duration;

use testkit::block_on;
use testkit::replay::{query_error, Replay};
use xtask_lifecycle::clients::{Clients, OutputFormat};
use xtask_lifecycle::deploy::{deploy, DeployOptions};
use xtask_lifecycle::invoke::{invoke, Origin};
use xtask_lifecycle::teardown::teardown;
use xtask_lifecycle::ui::Ui;
use xtask_stacks::main_stack::Scope;
use xtask_stacks::stages::Stage;

const STACK: &str = "author-stats-batch-replay";
const STACK_ID: &str =
    "arn:aws:cloudformation:us-east-1:123456789012:stack/author-stats-batch-replay/1";
const CHANGE_SET_ID: &str = "arn:aws:cloudformation:us-east-1:123456789012:changeSet/deploy-1/1";

fn stage() -> Stage {
    Stage {
        name: "replay".into(),
        stack_name: STACK.into(),
        repository: STACK.into(),
        region: None,
        production: false,
        style: None,
        parameters: [("SourceBucketName".to_owned(), "export".to_owned())].into(),
    }
}

fn ui() -> Ui {
    Ui {
        interactive: false,
        ci: true,
        format: OutputFormat::Text,
    }
}

fn options(yes: bool) -> DeployOptions {
    DeployOptions {
        image: format!(
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/a@sha256:{}",
            "b".repeat(64)
        ),
        scope: Scope::Core,
        yes,
        poll: Duration::from_millis(1),
        revision: "test".into(),
        service_role: None,
        execute: true,
        backfill: false,
    }
}

fn stacks(status: &str, reason: &str) -> String {
    format!(
        "<Stacks><member><StackName>{STACK}</StackName><StackId>{STACK_ID}</StackId>\
         <StackStatus>{status}</StackStatus><StackStatusReason>{reason}</StackStatusReason>\
         <CreationTime>2026-11-25T00:00:00Z</CreationTime>\
         <EnableTerminationProtection>false</EnableTerminationProtection>\
         <Outputs>{}</Outputs>\
         </member></Stacks>",
        [
            ("ChartsBucketName", "charts-1"),
            ("FunctionName", "fn-1"),
            ("LogGroupName", "logs-1"),
            ("DeadLetterQueueUrl", "https://sqs/dlq-1"),
        ]
        .map(|(k, v)| format!(
            "<member><OutputKey>{k}</OutputKey><OutputValue>{v}</OutputValue></member>"
        ))
        .concat()
    )
}

/// Events, newest first: (id, logical id, type, status, reason).
/// One stack event of the stack itself: (event id, logical id, type, status, reason).
fn stack_event<'a>(id: &'a str, status: &'a str, reason: &'a str) -> Event<'a> {
    (id, STACK, "AWS::CloudFormation::Stack", status, reason)
}

/// One stack event of the job's function.
fn function_event<'a>(id: &'a str, status: &'a str, reason: &'a str) -> Event<'a> {
    (id, "JobFunction", "AWS::Lambda::Function", status, reason)
}

type Event<'a> = (&'a str, &'a str, &'a str, &'a str, &'a str);

fn events(list: &[Event<'_>]) -> String {
    let members: String = list
        .iter()
        .map(|(id, logical, kind, status, reason)| {
            format!(
                "<member><EventId>{id}</EventId><StackId>{STACK_ID}</StackId>\
                 <StackName>{STACK}</StackName><LogicalResourceId>{logical}</LogicalResourceId>\
                 <ResourceType>{kind}</ResourceType><ResourceStatus>{status}</ResourceStatus>\
                 <ResourceStatusReason>{reason}</ResourceStatusReason>\
                 <Timestamp>2026-11-25T00:00:00Z</Timestamp></member>"
            )
        })
        .collect();
    format!("<StackEvents>{members}</StackEvents>")
}

fn change_set(status: &str, reason: &str, changes: &[(&str, &str, &str)]) -> String {
    let members: String = changes
        .iter()
        .map(|(action, logical, kind)| {
            format!(
                "<member><Type>Resource</Type><ResourceChange><Action>{action}</Action>\
                 <LogicalResourceId>{logical}</LogicalResourceId><ResourceType>{kind}</ResourceType>\
                 <Replacement>False</Replacement></ResourceChange></member>"
            )
        })
        .collect();
    format!(
        "<ChangeSetName>deploy-1</ChangeSetName><ChangeSetId>{CHANGE_SET_ID}</ChangeSetId>\
         <StackId>{STACK_ID}</StackId><StackName>{STACK}</StackName><Status>{status}</Status>\
         <StatusReason>{reason}</StatusReason><ExecutionStatus>AVAILABLE</ExecutionStatus>\
         <Changes>{members}</Changes>"
    )
}

fn created() -> String {
    format!("<Id>{CHANGE_SET_ID}</Id><StackId>{STACK_ID}</StackId>")
}

/// The change set of an image change: created, one `Modify` of the function, executed.
fn answer_a_function_update(replay: &Replay) {
    replay.ok("CreateChangeSet", &created());
    replay.ok(
        "DescribeChangeSet",
        &change_set(
            "CREATE_COMPLETE",
            "",
            &[("Modify", "JobFunction", "AWS::Lambda::Function")],
        ),
    );
    replay.ok("ExecuteChangeSet", "");
}

fn clients(replay: &Replay) -> Clients {
    Clients::new(&replay.sdk_config())
}

#[test]
fn a_rollback_complete_stack_is_deleted_and_created_again_with_yes() {
    let replay = Replay::start();
    replay
        .ok(
            "DescribeStacks",
            &stacks(
                "ROLLBACK_COMPLETE",
                "The following resource(s) failed to create: [JobFunction].",
            ),
        )
        .ok("DescribeStacks", &stacks("DELETE_COMPLETE", ""))
        .ok("DescribeStacks", &stacks("CREATE_COMPLETE", ""));
    replay
        .ok(
            "DescribeStackEvents",
            &events(&[stack_event("e0", "ROLLBACK_COMPLETE", "")]),
        )
        .ok(
            "DescribeStackEvents",
            &events(&[
                stack_event("e1", "DELETE_COMPLETE", ""),
                stack_event("e0", "ROLLBACK_COMPLETE", ""),
            ]),
        )
        .ok(
            "DescribeStackEvents",
            &events(&[stack_event("e1", "DELETE_COMPLETE", "")]),
        )
        .ok(
            "DescribeStackEvents",
            &events(&[
                function_event("e2", "CREATE_COMPLETE", ""),
                stack_event("e1", "DELETE_COMPLETE", ""),
            ]),
        );
    replay.ok("DeleteStack", "");
    replay.ok("CreateChangeSet", &created());
    replay.ok(
        "DescribeChangeSet",
        &change_set(
            "CREATE_COMPLETE",
            "",
            &[("Add", "JobFunction", "AWS::Lambda::Function")],
        ),
    );
    replay.ok("ExecuteChangeSet", "");

    let report = block_on(deploy(&clients(&replay), &stage(), &options(true), &ui())).unwrap();
    assert_eq!(report["status"], "CREATE_COMPLETE");
    assert_eq!(replay.calls("DeleteStack").len(), 1);
    let create = &replay.calls("CreateChangeSet")[0];
    assert_eq!(create.param("ChangeSetType"), Some("CREATE"));
    assert_eq!(replay.calls("ExecuteChangeSet").len(), 1);
}

#[test]
fn a_rollback_complete_stack_is_not_deleted_without_yes_where_nobody_can_answer() {
    let replay = Replay::start();
    replay.ok("DescribeStacks", &stacks("ROLLBACK_COMPLETE", "failed"));
    let err = block_on(deploy(&clients(&replay), &stage(), &options(false), &ui()))
        .unwrap_err()
        .to_string();
    assert!(err.contains("--yes"), "{err}");
    assert!(replay.calls("DeleteStack").is_empty());
    assert!(replay.calls("CreateChangeSet").is_empty());
}

#[test]
fn an_empty_change_set_is_deleted_and_reported_as_no_changes() {
    let replay = Replay::start();
    replay.ok("DescribeStacks", &stacks("UPDATE_COMPLETE", ""));
    replay.ok("CreateChangeSet", &created());
    replay.ok(
        "DescribeChangeSet",
        &change_set(
            "FAILED",
            "The submitted information didn't contain changes. Submit different information to create a change set.",
            &[],
        ),
    );
    replay.ok("DeleteChangeSet", "");
    let report = block_on(deploy(&clients(&replay), &stage(), &options(true), &ui())).unwrap();
    assert_eq!(report["status"], "no changes");
    assert_eq!(replay.calls("DeleteChangeSet").len(), 1);
    assert!(replay.calls("ExecuteChangeSet").is_empty());
    assert_eq!(
        replay.calls("CreateChangeSet")[0].param("ChangeSetType"),
        Some("UPDATE")
    );
}

#[test]
fn a_failed_change_set_is_an_error_with_its_reason_and_is_never_executed() {
    let replay = Replay::start();
    replay.ok("DescribeStacks", &stacks("CREATE_COMPLETE", ""));
    replay.ok("CreateChangeSet", &created());
    replay.ok(
        "DescribeChangeSet",
        &change_set(
            "FAILED",
            "Template error: instance of Fn::GetAtt references undefined resource Missing",
            &[],
        ),
    );
    replay.ok("DeleteChangeSet", "");
    let err = block_on(deploy(&clients(&replay), &stage(), &options(true), &ui()))
        .unwrap_err()
        .to_string();
    assert!(err.contains("undefined resource Missing"), "{err}");
    assert!(err.contains(STACK), "{err}");
    assert_eq!(replay.calls("DeleteChangeSet").len(), 1);
    assert!(replay.calls("ExecuteChangeSet").is_empty());
}

#[test]
fn an_update_that_rolls_back_fails_the_deploy_naming_each_failed_resource() {
    let replay = Replay::start();
    replay
        .ok("DescribeStacks", &stacks("CREATE_COMPLETE", ""))
        .ok("DescribeStacks", &stacks("UPDATE_ROLLBACK_COMPLETE", ""));
    replay
        .ok(
            "DescribeStackEvents",
            &events(&[stack_event("e0", "CREATE_COMPLETE", "")]),
        )
        .ok(
            "DescribeStackEvents",
            &events(&[
                stack_event("e3", "UPDATE_ROLLBACK_COMPLETE", ""),
                function_event(
                    "e2",
                    "UPDATE_FAILED",
                    "Source image 1.dkr.ecr/a@sha256:bb does not exist",
                ),
                stack_event("e1", "UPDATE_IN_PROGRESS", "User Initiated"),
                stack_event("e0", "CREATE_COMPLETE", ""),
            ]),
        );
    answer_a_function_update(&replay);
    let err = block_on(deploy(&clients(&replay), &stage(), &options(true), &ui()))
        .unwrap_err()
        .to_string();
    assert!(err.contains("UPDATE_ROLLBACK_COMPLETE"), "{err}");
    assert!(
        err.contains("UPDATE_FAILED JobFunction (AWS::Lambda::Function): Source image"),
        "{err}"
    );
}

#[test]
fn a_new_image_updates_the_function_through_an_update_change_set() {
    let replay = Replay::start();
    replay
        .ok("DescribeStacks", &stacks("CREATE_COMPLETE", ""))
        .ok("DescribeStacks", &stacks("UPDATE_COMPLETE", ""));
    replay
        .ok(
            "DescribeStackEvents",
            &events(&[stack_event("e0", "CREATE_COMPLETE", "")]),
        )
        .ok(
            "DescribeStackEvents",
            &events(&[
                stack_event("e4", "UPDATE_COMPLETE", ""),
                function_event("e3", "UPDATE_COMPLETE", ""),
                function_event("e2", "UPDATE_IN_PROGRESS", ""),
                stack_event("e1", "UPDATE_IN_PROGRESS", "User Initiated"),
                stack_event("e0", "CREATE_COMPLETE", ""),
            ]),
        );
    answer_a_function_update(&replay);
    let options = options(true);
    let report = block_on(deploy(&clients(&replay), &stage(), &options, &ui())).unwrap();
    assert_eq!(report["status"], "UPDATE_COMPLETE");
    assert_eq!(report["changes"][0]["action"], "Modify");
    assert_eq!(report["changes"][0]["logical_id"], "JobFunction");
    let create = &replay.calls("CreateChangeSet")[0];
    assert_eq!(create.param("ChangeSetType"), Some("UPDATE"));
    // The image goes in as the ImageUri parameter, pinned by digest.
    let image_index = create
        .params
        .iter()
        .find(|(k, v)| {
            k.starts_with("Parameters.member.") && k.ends_with(".ParameterKey") && v == "ImageUri"
        })
        .map(|(k, _)| k.trim_end_matches(".ParameterKey").to_owned())
        .expect("an ImageUri parameter");
    assert_eq!(
        create.param(&format!("{image_index}.ParameterValue")),
        Some(options.image.as_str())
    );
    assert_eq!(
        create.param("Capabilities.member.1"),
        Some("CAPABILITY_IAM")
    );
}

#[test]
fn delete_failed_is_reported_with_the_reasons_and_the_next_step() {
    let replay = Replay::start();
    replay
        .ok("DescribeStacks", &stacks("CREATE_COMPLETE", ""))
        .ok(
            "DescribeStacks",
            &stacks(
                "DELETE_FAILED",
                "The following resource(s) failed to delete: [JobRole].",
            ),
        );
    replay.ok(
        "ListStackResources",
        "<StackResourceSummaries><member><LogicalResourceId>JobRole</LogicalResourceId>\
         <PhysicalResourceId>role-1</PhysicalResourceId><ResourceType>AWS::IAM::Role</ResourceType>\
         <LastUpdatedTimestamp>2026-11-25T00:00:00Z</LastUpdatedTimestamp>\
         <ResourceStatus>CREATE_COMPLETE</ResourceStatus></member></StackResourceSummaries>",
    );
    replay
        .ok(
            "DescribeStackEvents",
            &events(&[stack_event("e0", "CREATE_COMPLETE", "")]),
        )
        .ok(
            "DescribeStackEvents",
            &events(&[
                stack_event(
                    "e3",
                    "DELETE_FAILED",
                    "The following resource(s) failed to delete: [JobRole].",
                ),
                (
                    "e2",
                    "JobRole",
                    "AWS::IAM::Role",
                    "DELETE_FAILED",
                    "Cannot delete entity, must detach all policies first.",
                ),
                stack_event("e1", "DELETE_IN_PROGRESS", "User Initiated"),
                stack_event("e0", "CREATE_COMPLETE", ""),
            ]),
        );
    replay.ok("DeleteStack", "");
    let err = block_on(teardown(
        &clients(&replay),
        &stage(),
        true,
        true,
        Duration::from_millis(1),
        &ui(),
    ))
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("DELETE_FAILED JobRole (AWS::IAM::Role): Cannot delete entity"),
        "{err}"
    );
    assert!(err.contains("run teardown again"), "{err}");
}

/// The stack's `JobRole` (`role-1`), as `ListStackResources` lists it.
const JOB_ROLE_MEMBER: &str = "<member><ResourceStatus>CREATE_COMPLETE</ResourceStatus>\
    <LogicalResourceId>JobRole</LogicalResourceId><PhysicalResourceId>role-1</PhysicalResourceId>\
    <ResourceType>AWS::IAM::Role</ResourceType>\
    <LastUpdatedTimestamp>2026-11-25T00:00:00Z</LastUpdatedTimestamp></member>";

/// IAM says `role-1` is gone.
fn job_role_gone(replay: &Replay) {
    replay.on(
        "GetRole",
        404,
        query_error("NoSuchEntity", "The role with name role-1 cannot be found."),
    );
}

/// A replay answering a teardown of a `CREATE_COMPLETE` stack whose resources are
/// `members` (`<member>` elements of `ListStackResources`) and [`JOB_ROLE_MEMBER`], deleted
/// at the first try.
fn replay_a_deletion(members: &str) -> Replay {
    let members = format!("{members}{JOB_ROLE_MEMBER}");
    let replay = Replay::start();
    replay
        .ok("DescribeStacks", &stacks("CREATE_COMPLETE", ""))
        .ok("DescribeStacks", &stacks("DELETE_COMPLETE", ""));
    replay.ok(
        "ListStackResources",
        &format!("<StackResourceSummaries>{members}</StackResourceSummaries>"),
    );
    replay
        .ok(
            "DescribeStackEvents",
            &events(&[stack_event("e0", "CREATE_COMPLETE", "")]),
        )
        .ok(
            "DescribeStackEvents",
            &events(&[
                stack_event("e1", "DELETE_COMPLETE", ""),
                stack_event("e0", "CREATE_COMPLETE", ""),
            ]),
        );
    replay.ok("DeleteStack", "");
    replay
}

#[test]
fn resources_without_a_physical_id_are_named_as_never_created_not_checked() {
    // What moto lists for a type it does not model (no id, type or name: the old
    // `cannot check whether   () is gone`), and a schedule whose creation never ran.
    let replay = replay_a_deletion(
        "<member><ResourceStatus>CREATE_COMPLETE</ResourceStatus>\
         <LogicalResourceId></LogicalResourceId><PhysicalResourceId></PhysicalResourceId>\
         <ResourceType></ResourceType>\
         <LastUpdatedTimestamp>2026-11-25T00:00:00Z</LastUpdatedTimestamp></member>\
         <member><ResourceStatus>CREATE_FAILED</ResourceStatus>\
         <LogicalResourceId>DailySchedule</LogicalResourceId>\
         <ResourceType>AWS::Scheduler::Schedule</ResourceType>\
         <LastUpdatedTimestamp>2026-11-25T00:00:00Z</LastUpdatedTimestamp></member>",
    );
    job_role_gone(&replay);
    let report = block_on(teardown(
        &clients(&replay),
        &stage(),
        true,
        true,
        Duration::from_millis(1),
        &ui(),
    ))
    .unwrap();
    assert_eq!(
        report["never_created"],
        serde_json::json!([
            "a resource without type or physical id",
            "AWS::Scheduler::Schedule without a physical id (DailySchedule)"
        ]),
        "{report:#}"
    );
    let checked: Vec<&str> = report["verified_gone"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(checked, [STACK, "role-1"], "{report:#}");
    assert!(
        replay.calls("GetResource").is_empty(),
        "nothing is looked up without an id"
    );
}

/// A teardown of a stack holding a CloudFront distribution and a role, where Cloud Control
/// answers `status` with `body`.
fn teardown_where_cloud_control_answers(
    status: u16,
    body: &str,
) -> anyhow::Result<serde_json::Value> {
    let replay = replay_a_deletion(
        "<member><ResourceStatus>CREATE_COMPLETE</ResourceStatus>\
         <LogicalResourceId>ChartsDistribution</LogicalResourceId>\
         <PhysicalResourceId>E2QWRUHAPOMQZL</PhysicalResourceId>\
         <ResourceType>AWS::CloudFront::Distribution</ResourceType>\
         <LastUpdatedTimestamp>2026-11-25T00:00:00Z</LastUpdatedTimestamp></member>",
    );
    job_role_gone(&replay);
    // Cloud Control speaks JSON (`POST /`, the operation in X-Amz-Target).
    replay.on("POST /", status, body);
    block_on(teardown(
        &clients(&replay),
        &stage(),
        true,
        true,
        Duration::from_millis(1),
        &ui(),
    ))
}

#[test]
fn an_endpoint_without_cloud_control_leaves_those_resources_not_checked_and_says_so() {
    // LocalStack's free emulator answers every Cloud Control call with 501 Not Implemented
    // (AWS never does): the distribution is reported as not checked, the role as checked.
    let report = teardown_where_cloud_control_answers(
        501,
        r#"{"__type": "InternalFailure", "message": "The API for service cloudcontrol is either not included in your current license plan or has not yet been emulated by LocalStack."}"#,
    )
    .unwrap();
    let ids = |key: &str| -> Vec<String> {
        report[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(ids("verified_gone"), [STACK, "role-1"], "{report:#}");
    assert_eq!(ids("not_checked"), ["E2QWRUHAPOMQZL"], "{report:#}");
    let why = report["not_checked"][0]["why"].as_str().unwrap();
    assert!(
        why.contains("does not implement Cloud Control's GetResource")
            && why.contains("not yet been emulated"),
        "{why}"
    );
}

#[test]
fn a_refused_cloud_control_read_still_fails_the_teardown_naming_the_resource() {
    let err = teardown_where_cloud_control_answers(
        400,
        r#"{"__type": "AccessDeniedException", "message": "not authorized to perform: cloudformation:GetResource"}"#,
    )
    .unwrap_err();
    let err = format!("{err:#}");
    assert!(
        err.contains("cannot check whether AWS::CloudFront::Distribution E2QWRUHAPOMQZL (ChartsDistribution) is gone")
            && err.contains("cloudformation:GetResource"),
        "{err}"
    );
}

#[test]
fn throttling_is_retried_by_the_sdk_and_the_deploy_goes_on() {
    let replay = Replay::start();
    replay
        .on(
            "DescribeStacks",
            400,
            query_error("Throttling", "Rate exceeded"),
        )
        .on(
            "DescribeStacks",
            400,
            query_error("Throttling", "Rate exceeded"),
        )
        .ok("DescribeStacks", &stacks("UPDATE_COMPLETE", ""));
    replay.ok("CreateChangeSet", &created());
    replay.ok(
        "DescribeChangeSet",
        &change_set("FAILED", "No updates are to be performed.", &[]),
    );
    replay.ok("DeleteChangeSet", "");
    let report = block_on(deploy(&clients(&replay), &stage(), &options(true), &ui())).unwrap();
    assert_eq!(report["status"], "no changes");
    // Two throttled answers, then the real one (and the final read after the deploy).
    assert!(replay.calls("DescribeStacks").len() >= 3);
}

#[test]
fn throttling_that_never_ends_is_an_error_naming_the_stack() {
    let replay = Replay::start();
    replay.on(
        "DescribeStacks",
        400,
        query_error("Throttling", "Rate exceeded"),
    );
    let err = block_on(deploy(&clients(&replay), &stage(), &options(true), &ui()))
        .unwrap_err()
        .to_string();
    assert!(err.contains(STACK) && err.contains("Throttling"), "{err}");
    assert_eq!(replay.calls("DescribeStacks").len(), 4, "max attempts");
}

const INVOCATIONS: &str = "POST /2015-03-31/functions/fn-1/invocations";

#[test]
fn invoke_runs_the_stack_function_with_the_event_and_returns_its_summary() {
    let replay = Replay::start();
    replay.ok("DescribeStacks", &stacks("UPDATE_COMPLETE", ""));
    replay.rest(
        INVOCATIONS,
        200,
        &[],
        r#"{"authors_listed": 12, "charts_rendered": 12, "dry_run": true}"#,
    );
    let summary = block_on(invoke(
        &clients(&replay),
        &stage(),
        serde_json::json!({"dry_run": true, "days": 5475}),
        Origin::Invoke,
        Duration::from_millis(1),
        &ui(),
    ))
    .unwrap();
    assert_eq!(summary["charts_rendered"], 12);
    let sent: serde_json::Value = serde_json::from_str(&replay.calls(INVOCATIONS)[0].body).unwrap();
    assert_eq!(sent, serde_json::json!({"days": 5475, "dry_run": true}));
}

#[test]
fn a_failed_invocation_is_an_error_with_the_message_the_log_tail_and_where_to_look() {
    use base64::Engine as _;
    let replay = Replay::start();
    replay.ok("DescribeStacks", &stacks("UPDATE_COMPLETE", ""));
    let tail = base64::engine::general_purpose::STANDARD.encode(
        "START RequestId: 1\nerror: cannot read s3://export/posts.jsonl.gz\nEND RequestId: 1\n",
    );
    replay.rest(
        INVOCATIONS,
        200,
        &[("X-Amz-Function-Error", "Unhandled"), ("X-Amz-Log-Result", &tail)],
        r#"{"errorType": "Failure", "errorMessage": "s3://export/posts.jsonl.gz: NoSuchKey: check POSTS_KEY"}"#,
    );
    let err = block_on(invoke(
        &clients(&replay),
        &stage(),
        serde_json::json!({"dry_run": false}),
        Origin::Invoke,
        Duration::from_millis(1),
        &ui(),
    ))
    .unwrap_err()
    .to_string();
    assert!(err.contains("fn-1 failed (Unhandled)"), "{err}");
    assert!(err.contains("NoSuchKey: check POSTS_KEY"), "{err}");
    assert!(
        err.contains("error: cannot read s3://export/posts.jsonl.gz"),
        "{err}"
    );
    assert!(err.contains("cargo xtask logs --stage replay"), "{err}");
}

const MACHINE: &str =
    "arn:aws:states:us-east-1:123456789012:stateMachine:author-stats-batch-replay-fan-out";

/// The stack of a fan-out stage: the outputs of [`stacks`] and `StateMachineArn`.
fn fan_out_stacks() -> String {
    stacks("UPDATE_COMPLETE", "").replace(
        "</Outputs>",
        &format!(
            "<member><OutputKey>StateMachineArn</OutputKey><OutputValue>{MACHINE}</OutputValue>\
             </member></Outputs>"
        ),
    )
}

/// Step Functions speaks JSON to `POST /` (the operation is in a header): its replies
/// come in the order of the calls.
const SFN: &str = "POST /";

fn execution_arn(name: &str) -> String {
    format!(
        "arn:aws:states:us-east-1:123456789012:execution:author-stats-batch-replay-fan-out:{name}"
    )
}

#[test]
fn invoke_on_a_fan_out_stage_polls_the_execution_until_it_settles_and_returns_its_output() {
    let replay = Replay::start();
    replay.ok("DescribeStacks", &fan_out_stacks());
    let arn = execution_arn("invoke-x");
    let describe = |status: &str, extra: &str| {
        format!(
            r#"{{"executionArn": "{arn}", "stateMachineArn": "{MACHINE}", "status": "{status}",
                "startDate": 1795000000{extra}}}"#
        )
    };
    replay
        .rest(
            SFN,
            200,
            &[],
            &format!(r#"{{"executionArn": "{arn}", "startDate": 1795000000}}"#),
        )
        .rest(SFN, 200, &[], &describe("RUNNING", ""))
        // The count step still runs: no map run yet.
        .rest(SFN, 200, &[], r#"{"mapRuns": []}"#)
        .rest(SFN, 200, &[], &describe("RUNNING", ""))
        .rest(SFN, 200, &[], r#"{"mapRuns": []}"#)
        .rest(
            SFN,
            200,
            &[],
            &describe(
                "SUCCEEDED",
                r#", "stopDate": 1795000100, "output": "{\"charts_rendered\": 40}""#,
            ),
        );
    let summary = block_on(invoke(
        &clients(&replay),
        &stage(),
        serde_json::json!({"changed": true}),
        Origin::Backfill,
        Duration::from_millis(1),
        &ui(),
    ))
    .unwrap();
    assert_eq!(summary, serde_json::json!({"charts_rendered": 40}));
    let calls = replay.calls(SFN);
    assert_eq!(
        calls.len(),
        6,
        "start, then describe + list map runs twice, then describe"
    );
    let start: serde_json::Value = serde_json::from_str(&calls[0].body).unwrap();
    assert_eq!(start["stateMachineArn"], MACHINE);
    assert!(
        start["name"].as_str().unwrap().starts_with("backfill-"),
        "{start}"
    );
    let input: serde_json::Value = serde_json::from_str(start["input"].as_str().unwrap()).unwrap();
    assert_eq!(input, serde_json::json!({"changed": true}));
    // Nothing went to the function.
    assert!(replay.calls(INVOCATIONS).is_empty());
}

#[test]
fn a_timed_out_fan_out_execution_is_one_line_with_its_status_and_where_to_look() {
    let replay = Replay::start();
    replay.ok("DescribeStacks", &fan_out_stacks());
    let arn = execution_arn("invoke-y");
    replay
        .rest(
            SFN,
            200,
            &[],
            &format!(r#"{{"executionArn": "{arn}", "startDate": 1795000000}}"#),
        )
        .rest(
            SFN,
            200,
            &[],
            &format!(
                r#"{{"executionArn": "{arn}", "stateMachineArn": "{MACHINE}", "status": "TIMED_OUT",
                    "startDate": 1795000000, "stopDate": 1795021600, "error": "States.Timeout"}}"#
            ),
        )
        .rest(SFN, 200, &[], r#"{"mapRuns": []}"#);
    let err = block_on(invoke(
        &clients(&replay),
        &stage(),
        serde_json::json!({"dry_run": false}),
        Origin::Invoke,
        Duration::from_millis(1),
        &ui(),
    ))
    .unwrap_err()
    .to_string();
    assert!(!err.contains('\n'), "{err}");
    assert!(err.contains("TIMED_OUT: States.Timeout"), "{err}");
    assert!(
        err.contains(&format!("describe-execution --execution-arn {arn}")),
        "{err}"
    );
    assert!(
        err.contains("https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1#/v2/executions/details/"),
        "{err}"
    );
}

#[test]
fn a_refused_start_execution_names_the_permission_to_grant() {
    let replay = Replay::start();
    replay.ok("DescribeStacks", &fan_out_stacks());
    replay.rest(
        SFN,
        400,
        &[],
        r#"{"__type": "AccessDeniedException", "message": "User: arn:aws:sts::123456789012:assumed-role/deployer/x is not authorized to perform: states:StartExecution"}"#,
    );
    let err = block_on(invoke(
        &clients(&replay),
        &stage(),
        serde_json::json!({"dry_run": false}),
        Origin::Invoke,
        Duration::from_millis(1),
        &ui(),
    ))
    .unwrap_err()
    .to_string();
    assert!(
        err.starts_with(&format!(
            "cannot start an execution of {MACHINE}: access denied"
        )),
        "{err}"
    );
    assert!(
        err.contains("grant states:StartExecution to these AWS credentials"),
        "{err}"
    );
}

#[test]
fn drift_lists_each_changed_resource_with_its_differences() {
    let replay = Replay::start();
    replay.ok(
        "DetectStackDrift",
        "<StackDriftDetectionId>d-1</StackDriftDetectionId>",
    );
    replay
        .ok(
            "DescribeStackDriftDetectionStatus",
            "<StackDriftDetectionId>d-1</StackDriftDetectionId><DetectionStatus>DETECTION_IN_PROGRESS</DetectionStatus>",
        )
        .ok(
            "DescribeStackDriftDetectionStatus",
            "<StackDriftDetectionId>d-1</StackDriftDetectionId><DetectionStatus>DETECTION_COMPLETE</DetectionStatus><StackDriftStatus>DRIFTED</StackDriftStatus>",
        );
    replay.ok(
        "DescribeStackResourceDrifts",
        "<StackResourceDrifts><member><LogicalResourceId>JobFunction</LogicalResourceId>\
         <ResourceType>AWS::Lambda::Function</ResourceType>\
         <StackResourceDriftStatus>MODIFIED</StackResourceDriftStatus>\
         <PropertyDifferences><member><PropertyPath>/MemorySize</PropertyPath>\
         <ExpectedValue>1024</ExpectedValue><ActualValue>2048</ActualValue>\
         <DifferenceType>NOT_EQUAL</DifferenceType></member></PropertyDifferences>\
         </member></StackResourceDrifts>",
    );
    let drifted = block_on(xtask_lifecycle::drift::detect(
        &clients(&replay),
        STACK,
        Duration::from_millis(1),
    ))
    .unwrap();
    assert_eq!(drifted.len(), 1);
    assert_eq!(drifted[0].logical_id, "JobFunction");
    assert_eq!(drifted[0].status, "MODIFIED");
    assert_eq!(
        drifted[0].differences,
        vec![(
            "/MemorySize".to_owned(),
            "1024".to_owned(),
            "2048".to_owned(),
            "NOT_EQUAL".to_owned()
        )]
    );
    assert_eq!(replay.calls("DescribeStackDriftDetectionStatus").len(), 2);
}

#[test]
fn a_failed_drift_detection_is_an_error_naming_the_reason() {
    let replay = Replay::start();
    replay.ok(
        "DetectStackDrift",
        "<StackDriftDetectionId>d-2</StackDriftDetectionId>",
    );
    replay.ok(
        "DescribeStackDriftDetectionStatus",
        "<StackDriftDetectionId>d-2</StackDriftDetectionId><DetectionStatus>DETECTION_FAILED</DetectionStatus><DetectionStatusReason>Access denied for AWS::Scheduler::Schedule</DetectionStatusReason>",
    );
    let err = block_on(xtask_lifecycle::drift::detect(
        &clients(&replay),
        STACK,
        Duration::from_millis(1),
    ))
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("Access denied for AWS::Scheduler::Schedule"),
        "{err}"
    );
    assert!(err.contains("read permissions"), "{err}");
}

/// A kept change set as `DescribeChangeSet` answers, made at 2026-11-25T01:00:00Z.
fn kept_change_set(execution: &str, description: &str) -> String {
    format!(
        "<ChangeSetName>deploy-1</ChangeSetName><ChangeSetId>{CHANGE_SET_ID}</ChangeSetId>\
         <StackId>{STACK_ID}</StackId><StackName>{STACK}</StackName>\
         <Status>CREATE_COMPLETE</Status><ExecutionStatus>{execution}</ExecutionStatus>\
         <CreationTime>2026-11-25T01:00:00Z</CreationTime>\
         <Description>{description}</Description><Changes></Changes>"
    )
}

/// A stack that was last updated at `updated`.
fn stack_updated_at(status: &str, updated: &str) -> String {
    stacks(status, "").replace(
        "<CreationTime>",
        &format!("<LastUpdatedTime>{updated}</LastUpdatedTime><CreationTime>"),
    )
}

fn check_kept(replay: &Replay) -> String {
    block_on(xtask_lifecycle::kept_change_set::check(
        &clients(replay),
        &stage(),
        "deploy-1",
    ))
    .unwrap_err()
    .to_string()
}

#[test]
fn an_obsolete_change_set_is_refused_because_the_stack_changed() {
    let replay = Replay::start();
    replay.ok("DescribeStacks", &stacks("UPDATE_COMPLETE", ""));
    replay.ok(
        "DescribeChangeSet",
        &kept_change_set(
            "OBSOLETE",
            "cargo xtask deploy --no-execute of x [planned on stack event e0]",
        ),
    );
    let err = check_kept(&replay);
    assert!(
        err.contains("OBSOLETE") && err.contains("changed after it was planned"),
        "{err}"
    );
    assert!(
        err.contains("cargo xtask deploy --stage replay --no-execute"),
        "{err}"
    );
    assert!(replay.calls("ExecuteChangeSet").is_empty());
}

#[test]
fn a_stack_updated_after_the_plan_is_refused_by_its_last_updated_time() {
    let replay = Replay::start();
    replay.ok(
        "DescribeStacks",
        &stack_updated_at("UPDATE_COMPLETE", "2026-11-25T02:00:00Z"),
    );
    replay.ok(
        "DescribeChangeSet",
        &kept_change_set(
            "AVAILABLE",
            "cargo xtask deploy --no-execute of x [planned on stack event e0]",
        ),
    );
    let err = check_kept(&replay);
    assert!(
        err.contains("was updated at 2026-11-25 02:00:00 UTC")
            && err.contains("after change set deploy-1 was planned"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn a_kept_change_set_on_an_unchanged_stack_is_executable() {
    let replay = Replay::start();
    replay.ok(
        "DescribeStacks",
        &stack_updated_at("UPDATE_COMPLETE", "2026-11-25T00:30:00Z"),
    );
    replay.ok(
        "DescribeChangeSet",
        &kept_change_set(
            "AVAILABLE",
            "cargo xtask deploy --no-execute of x [planned on stack event e0]",
        ),
    );
    replay.ok(
        "DescribeStackEvents",
        &events(&[stack_event("e0", "UPDATE_COMPLETE", "")]),
    );
    let ready = block_on(xtask_lifecycle::kept_change_set::check(
        &clients(&replay),
        &stage(),
        "deploy-1",
    ))
    .unwrap();
    assert!(!ready.create);
    assert_eq!(ready.info.id, CHANGE_SET_ID);
}

#[test]
fn a_change_set_cloudformation_does_not_know_is_refused_with_the_plan_command() {
    let replay = Replay::start();
    replay.ok("DescribeStacks", &stacks("UPDATE_COMPLETE", ""));
    replay.on(
        "DescribeChangeSet",
        404,
        query_error("ChangeSetNotFound", "ChangeSet [deploy-1] does not exist"),
    );
    let err = check_kept(&replay);
    assert!(
        err.contains("change set deploy-1 does not exist for stack author-stats-batch-replay"),
        "{err}"
    );
}
