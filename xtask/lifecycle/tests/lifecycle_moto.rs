//! Layers 1 and 3 of the lifecycle tests, against moto on 127.0.0.1 through the real
//! `cargo xtask` binary (`--output json`) and real SDK clients. The stack is the
//! production model at `--scope core` (bucket, roles, log group, image function, queue):
//! what moto's CloudFormation supports. A test fails if moto's log says it skipped a type.
//!
//! 1. Lifecycle: create → a deploy with nothing new is "no changes" → diff previews a new
//!    digest without executing → update to the new digest → teardown with object versions
//!    and delete markers in the bucket → nothing left → a second teardown is a no-op.
//! 3. Wiring: deploy, read the function's configuration back, run the job with exactly
//!    that environment against moto S3 holding the sample export, and find the charts and
//!    `index.json` in the stack's bucket.
//!
//! And fan-out stages: invoke runs one execution and prints its summary, a failed one is
//! one line, status lists the executions and the latest map run's counts, teardown sees the
//! machine gone (against moto's executing Step Functions backend, see below).

mod support_cli;

use std::collections::HashMap;
use std::path::Path;
use std::process::Output;

use aws_sdk_s3::primitives::ByteStream;
use serde_json::{json, Value};
use support_cli::{output, stage_file};
use testkit::block_on;
use testkit::moto::moto;
use xtask_lifecycle::clients::Clients;

const NOW: &str = "2025-11-25T00:00:00Z";

fn clients() -> Clients {
    Clients::new(&moto().sdk_config())
}

fn image(n: char) -> String {
    format!(
        "123456789012.dkr.ecr.us-east-1.amazonaws.com/author-stats@sha256:{}",
        n.to_string().repeat(64)
    )
}

/// `cargo xtask <args> --stages-file F --output json --poll-interval 0.05` against moto.
fn xtask(args: &[&str], stages: &Path) -> (Output, String) {
    support_cli::xtask(&|cmd| moto().configure(cmd), args, stages)
}

/// The JSON report of a command that must have succeeded.
fn report(args: &[&str], stages: &Path) -> Value {
    support_cli::report(&|cmd| moto().configure(cmd), args, stages)
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

fn assert_moto_supported_every_type() {
    let log = moto().settled_log();
    assert!(
        !log.contains("No Moto CloudFormation support for"),
        "moto skipped a resource type, so the test proves nothing about it:\n{}",
        log.lines()
            .filter(|l| l.contains("No Moto CloudFormation support"))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

fn put(bucket: &str, key: &str, body: &[u8]) {
    block_on(
        clients()
            .s3
            .put_object()
            .bucket(bucket)
            .key(key)
            .body(ByteStream::from(body.to_vec()))
            .send(),
    )
    .unwrap();
}

#[test]
fn create_no_op_diff_update_teardown_and_nothing_left() {
    testkit::require!(testkit::tools::Tool::Moto);
    let dir = tempfile::tempdir().unwrap();
    let stages = stage_file(dir.path(), "life", "");
    let (first, second) = (image('1'), image('2'));
    // The stage's repository, as `deploy` would have made it; teardown must remove it.
    block_on(xtask_lifecycle::ecr::ensure_repository(
        &clients().ecr,
        "author-stats-batch-life",
        10,
    ))
    .unwrap();

    let created = report(
        &[
            "deploy",
            "--stage",
            "life",
            "--scope",
            "core",
            "--image",
            &first,
            "--yes",
            "--no-backfill",
        ],
        &stages,
    );
    assert_eq!(created["status"], "CREATE_COMPLETE", "{created:#}");
    assert!(created["backfill"].is_null(), "{created:#}");
    let added: Vec<&str> = created["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["action"] == "Add")
        .map(|c| c["logical_id"].as_str().unwrap())
        .collect();
    for id in [
        "ChartsBucket",
        "JobLogGroup",
        "DeadLetterQueue",
        "JobRole",
        "JobFunction",
    ] {
        assert!(added.contains(&id), "{id} not added: {added:?}");
    }
    let outputs = &created["outputs"];
    let function = outputs["FunctionName"].as_str().unwrap().to_owned();
    let bucket = outputs["ChartsBucketName"].as_str().unwrap().to_owned();
    assert_eq!(function_image(&function), first);
    let stack = block_on(
        clients()
            .cloudformation
            .describe_stacks()
            .stack_name("author-stats-batch-life")
            .send(),
    )
    .unwrap();
    let tags: HashMap<&str, &str> = stack.stacks()[0]
        .tags()
        .iter()
        .map(|t| (t.key().unwrap(), t.value().unwrap()))
        .collect();
    assert_eq!(tags.get("stage"), Some(&"life"));
    assert_eq!(tags.get("application"), Some(&"author-stats-batch"));
    assert!(tags.contains_key("source-revision"), "{tags:?}");

    let again = report(
        &[
            "deploy", "--stage", "life", "--scope", "core", "--image", &first, "--yes",
        ],
        &stages,
    );
    assert_eq!(again["status"], "no changes", "{again:#}");

    let preview = report(
        &[
            "diff", "--stage", "life", "--scope", "core", "--image", &second,
        ],
        &stages,
    );
    // moto lists no resource change for a parameter-only change (its change-set diff reads
    // the template only; CloudFormation shows `Modify JobFunction`, see
    // lifecycle_failures.rs), but it does report the change set as executable.
    assert_eq!(preview["create"], false, "{preview:#}");
    assert_eq!(preview["would_execute"], true, "{preview:#}");
    assert!(preview["changes"].is_array(), "{preview:#}");
    assert_eq!(function_image(&function), first, "diff must not execute");
    let left = block_on(
        clients()
            .cloudformation
            .list_change_sets()
            .stack_name("author-stats-batch-life")
            .send(),
    )
    .unwrap();
    // (moto keeps executed change sets listed, CloudFormation drops them; and moto lists
    // every stack's change sets, whatever StackName says: other tests keep plans.)
    let pending: Vec<_> = left
        .summaries()
        .iter()
        .filter(|c| c.stack_name() == Some("author-stats-batch-life"))
        .filter(|c| c.execution_status().map(|s| s.as_str()) != Some("EXECUTE_COMPLETE"))
        .collect();
    assert!(pending.is_empty(), "diff leaves no change set: {pending:?}");

    // A new image is backfilled (`{"changed": true}`), which moto cannot run: skipped here.
    let updated = report(
        &[
            "deploy",
            "--stage",
            "life",
            "--scope",
            "core",
            "--image",
            &second,
            "--yes",
            "--no-backfill",
        ],
        &stages,
    );
    assert_eq!(updated["status"], "UPDATE_COMPLETE", "{updated:#}");
    assert_eq!(function_image(&function), second);

    // A bucket with history: three versions of one chart, a deleted one, the index. The
    // template turns versioning on; moto's CloudFormation does not apply that property.
    block_on(
        clients()
            .s3
            .put_bucket_versioning()
            .bucket(&bucket)
            .versioning_configuration(
                aws_sdk_s3::types::VersioningConfiguration::builder()
                    .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
                    .build(),
            )
            .send(),
    )
    .unwrap();
    for body in [b"v1".as_slice(), b"v2", b"v3"] {
        put(&bucket, "author-monthly-stats/alice.png", body);
    }
    put(&bucket, "author-monthly-stats/bob.png", b"bob");
    block_on(
        clients()
            .s3
            .delete_object()
            .bucket(&bucket)
            .key("author-monthly-stats/bob.png")
            .send(),
    )
    .unwrap();
    put(&bucket, "author-monthly-stats/index.json", b"{}");

    let torn = report(&["teardown", "--stage", "life", "--yes"], &stages);
    assert_eq!(torn["existed"], true);
    assert_eq!(
        torn["objects_deleted"], 6,
        "3 + 1 versions, 1 delete marker, the index"
    );
    assert_eq!(torn["repository_deleted"], true);
    let checked: Vec<&str> = torn["verified_gone"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["type"].as_str().unwrap())
        .collect();
    for kind in [
        "AWS::CloudFormation::Stack",
        "AWS::S3::Bucket",
        "AWS::Logs::LogGroup",
        "AWS::SQS::Queue",
        "AWS::IAM::Role",
        "AWS::Lambda::Function",
        "AWS::ECR::Repository",
    ] {
        assert!(checked.contains(&kind), "{kind} not checked: {checked:?}");
    }
    // And independently of teardown's own checks:
    let head = block_on(clients().s3.head_bucket().bucket(&bucket).send());
    assert!(head.is_err(), "bucket {bucket} still exists");
    let function_left = block_on(
        clients()
            .lambda
            .get_function()
            .function_name(&function)
            .send(),
    );
    assert!(function_left.is_err(), "function {function} still exists");

    let twice = report(&["teardown", "--stage", "life", "--yes"], &stages);
    assert_eq!(twice["existed"], false);
    assert_moto_supported_every_type();
}

#[test]
fn the_deployed_function_environment_runs_the_job_against_the_export() {
    testkit::require!(testkit::tools::Tool::Moto);
    let dir = tempfile::tempdir().unwrap();
    let stages = stage_file(dir.path(), "wire", "");
    let source = "export-wire";
    block_on(clients().s3.create_bucket().bucket(source).send()).unwrap();

    let created = report(
        &[
            "deploy",
            "--stage",
            "wire",
            "--scope",
            "core",
            "--image",
            &image('3'),
            "--yes",
            "--no-backfill",
        ],
        &stages,
    );
    let function = output(&created, "FunctionName");
    let charts_bucket = output(&created, "ChartsBucketName");
    let config = function_configuration(&function);
    let environment: HashMap<String, String> = config
        .environment()
        .and_then(|e| e.variables())
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .collect();
    assert_eq!(
        environment.get(contract::env::CHARTS_BUCKET),
        Some(&charts_bucket)
    );

    // The export where the function's environment says it is.
    let spec = sample::SampleSpec {
        authors: 40,
        posts: 800,
        seed: 11,
        body_bytes: 300,
        ..Default::default()
    };
    let files = sample::write_sample(dir.path(), &spec).unwrap();
    put(
        source,
        &environment[contract::env::POSTS_KEY],
        &std::fs::read(&files.posts).unwrap(),
    );
    put(
        source,
        &environment[contract::env::AUTHORS_KEY],
        &std::fs::read(&files.authors).unwrap(),
    );

    // The function's code with exactly that environment (and moto as AWS).
    let summary = block_on(async {
        let settings = author_stats::aws::settings::FunctionSettings::from_lookup(|name| {
            environment.get(name).cloned()
        });
        let client = author_stats::aws::client::s3_client_from(&moto().sdk_config())
            .map_err(|e| format!("{e:#}"));
        let function = author_stats::aws::lambda::Function::with_client(client, settings).await;
        function
            .invoke(json!({ "now": NOW, "days": 30 }))
            .await
            .map_err(|e| format!("{e:?}"))
    })
    .unwrap();
    assert!(summary.charts_rendered > 0, "{summary:?}");

    let listed = block_on(
        clients()
            .s3
            .list_objects_v2()
            .bucket(&charts_bucket)
            .prefix(contract::files::DEFAULT_CHARTS_PREFIX)
            .send(),
    )
    .unwrap();
    let keys: Vec<&str> = listed.contents().iter().filter_map(|o| o.key()).collect();
    // Each rendered author: `<slug>.png`, `<slug>.dark.png` and `<slug>.stats.json`.
    let light = keys
        .iter()
        .filter(|k| k.ends_with(".png") && !k.ends_with(".dark.png"))
        .count();
    let dark = keys.iter().filter(|k| k.ends_with(".dark.png")).count();
    let stats = keys.iter().filter(|k| k.ends_with(".stats.json")).count();
    assert_eq!(light, summary.charts_rendered, "{keys:?}");
    assert_eq!((dark, stats), (light, light), "{keys:?}");
    assert!(
        keys.contains(&"author-monthly-stats/index.json"),
        "{keys:?}"
    );

    // `logs` reads the function's log group (the job logs JSON lines there on Lambda).
    let group = output(&created, "LogGroupName");
    let now_ms = chrono::Utc::now().timestamp_millis();
    block_on(async {
        let logs = &clients().logs;
        logs.create_log_stream()
            .log_group_name(&group)
            .log_stream_name("2026/11/25/[$LATEST]abc")
            .send()
            .await
            .unwrap();
        logs.put_log_events()
            .log_group_name(&group)
            .log_stream_name("2026/11/25/[$LATEST]abc")
            .log_events(
                aws_sdk_cloudwatchlogs::types::InputLogEvent::builder()
                    .timestamp(now_ms - 2_000)
                    .message(r#"{"level":"INFO","message":"run finished","charts_rendered":3}"#)
                    .build()
                    .unwrap(),
            )
            .log_events(
                aws_sdk_cloudwatchlogs::types::InputLogEvent::builder()
                    .timestamp(now_ms - 1_000)
                    .message("END RequestId: 1")
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
    });
    let (out, stderr) = xtask(&["logs", "--stage", "wire", "--since", "5"], &stages);
    assert!(out.status.success(), "{stderr}");
    let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let messages: Vec<&str> = lines
        .iter()
        .map(|l| l["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        messages,
        [
            r#"{"level":"INFO","message":"run finished","charts_rendered":3}"#,
            "END RequestId: 1"
        ]
    );

    let torn = report(&["teardown", "--stage", "wire", "--yes"], &stages);
    // Every object the run wrote: three per rendered author, and the index.
    assert_eq!(torn["objects_deleted"], keys.len());
    assert_moto_supported_every_type();
}

/// One EMF line of the job, as `job/src/aws/metrics.rs` prints it.
fn emf_line(failed: bool, written: u64) -> String {
    json!({
        "_aws": {"Timestamp": 0, "CloudWatchMetrics": []},
        "RunFailed": u64::from(failed),
        "DurationMs": 2100,
        "ChartsUploaded": written,
        "ChartsUnchanged": 250,
        "AuthorsListed": 291,
        "SkippedMissingPublishedAt": 4,
        "DryRun": false,
    })
    .to_string()
}

fn write_log(group: &str, stream: &str, events: &[(chrono::DateTime<chrono::Utc>, String)]) {
    let logs = clients().logs;
    block_on(
        logs.create_log_stream()
            .log_group_name(group)
            .log_stream_name(stream)
            .send(),
    )
    .unwrap();
    let events: Vec<_> = events
        .iter()
        .map(|(at, message)| {
            aws_sdk_cloudwatchlogs::types::InputLogEvent::builder()
                .timestamp(at.timestamp_millis())
                .message(message)
                .build()
                .unwrap()
        })
        .collect();
    block_on(
        logs.put_log_events()
            .log_group_name(group)
            .log_stream_name(stream)
            .set_log_events(Some(events))
            .send(),
    )
    .unwrap();
}

/// Lambda's start line in the JSON log format the stack sets.
fn platform_start(request: &str) -> String {
    json!({"time": "x", "type": "platform.start",
        "record": {"requestId": request, "version": "$LATEST"}})
    .to_string()
}

/// The job's `run started` line, with the `trigger` field status reads (the job logs its
/// fields at the top level: `flatten_event`).
fn run_started(trigger: &str) -> String {
    json!({"level": "INFO", "message": "run started", "trigger": trigger, "days": 30}).to_string()
}

/// A schedule in moto's EventBridge Scheduler (moto's CloudFormation has none) named as
/// CloudFormation names the stack's.
/// The deployed function's configuration, as Lambda (moto) holds it.
fn function_configuration(
    function: &str,
) -> aws_sdk_lambda::operation::get_function_configuration::GetFunctionConfigurationOutput {
    block_on(
        clients()
            .lambda
            .get_function_configuration()
            .function_name(function)
            .send(),
    )
    .unwrap()
}

fn create_schedule(name: &str, expression: &str, zone: &str, input: &str) {
    use aws_sdk_scheduler::types::{FlexibleTimeWindow, FlexibleTimeWindowMode, Target};
    block_on(
        clients()
            .scheduler
            .create_schedule()
            .name(name)
            .schedule_expression(expression)
            .schedule_expression_timezone(zone)
            .flexible_time_window(
                FlexibleTimeWindow::builder()
                    .mode(FlexibleTimeWindowMode::Off)
                    .build()
                    .unwrap(),
            )
            .target(
                Target::builder()
                    .arn("arn:aws:lambda:us-east-1:123456789012:function:f")
                    .role_arn("arn:aws:iam::123456789012:role/scheduler")
                    .input(input)
                    .build()
                    .unwrap(),
            )
            .send(),
    )
    .unwrap();
}

#[test]
fn status_reads_the_runs_and_calls_a_two_day_gap_and_a_failure_unhealthy() {
    testkit::require!(testkit::tools::Tool::Moto);
    let dir = tempfile::tempdir().unwrap();
    let stages = stage_file(dir.path(), "watch", "");
    let created = report(
        &[
            "deploy",
            "--stage",
            "watch",
            "--scope",
            "core",
            "--image",
            &image('5'),
            "--yes",
            "--no-backfill",
        ],
        &stages,
    );
    let group = output(&created, "LogGroupName");
    // The stack's one schedule (moto's CloudFormation does not create it in `core`), as the
    // template declares it, in a stage that set its time zone.
    create_schedule(
        "author-stats-batch-watch-DailySchedule-abc",
        "cron(45 17 * * ? *)",
        "Asia/Tokyo",
        xtask_stacks::main_stack::DAILY_EVENT,
    );
    let now = chrono::Utc::now();
    let hours = |h: i64| now - chrono::Duration::hours(h);
    let failure = json!({"level": "ERROR", "message": "run failed",
        "error": "RunFailed(\"cannot read s3://export/posts.jsonl.gz: NoSuchKey\")"})
    .to_string();
    // A scheduled run, then two days later a scheduled run that failed and Lambda's retry
    // of the same request (same request id) that failed again: a gap of more than 26 h.
    write_log(
        &group,
        "old",
        &[
            (hours(74), platform_start("r-1")),
            (hours(74), run_started("schedule")),
            (hours(74), emf_line(false, 12)),
            (hours(50), platform_start("r-2")),
            (hours(50), run_started("schedule")),
            (hours(50), failure.clone()),
            (hours(50), emf_line(true, 0)),
            (hours(49), platform_start("r-2")),
            (hours(49), run_started("schedule")),
            (hours(49), failure),
            (hours(49), emf_line(true, 0)),
        ],
    );
    let (out, stderr) = xtask(&["status", "--stage", "watch"], &stages);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let status: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(status["healthy"], false);
    let runs = status["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 3, "{status:#}");
    let triggers: Vec<&str> = runs
        .iter()
        .map(|r| r["trigger"].as_str().unwrap())
        .collect();
    assert_eq!(triggers, ["schedule", "schedule", "retry"], "{status:#}");
    assert_eq!(
        runs[2]["error"],
        "cannot read s3://export/posts.jsonl.gz: NoSuchKey"
    );
    let verdict = status["verdict"].as_str().unwrap();
    assert!(
        verdict.contains("74 h ago") && verdict.contains("latest run failed"),
        "{verdict}"
    );
    assert!(stderr.contains("error: unhealthy"), "{stderr}");
    // The schedule, enabled, with its next fire time in its own zone.
    let schedules = status["schedules"].as_array().unwrap();
    assert_eq!(schedules.len(), 1, "{status:#}");
    let daily = &schedules[0];
    assert_eq!(daily["state"], "ENABLED");
    assert_eq!(daily["expression"], "cron(45 17 * * ? *)");
    assert_eq!(daily["input"], xtask_stacks::main_stack::DAILY_EVENT);
    let next: chrono::DateTime<chrono::Utc> = daily["next"].as_str().unwrap().parse().unwrap();
    assert!(
        next > now && next - now <= chrono::Duration::hours(24),
        "{next}"
    );
    let tokyo = next.with_timezone(&chrono_tz::Asia::Tokyo);
    assert_eq!(tokyo.format("%H:%M").to_string(), "17:45", "{next}");
    assert_eq!(next.format("%H:%M").to_string(), "08:45", "{next}");
    // The table shows the trigger; the schedules line the next time in the chart zone.
    assert!(stderr.contains("Trigger"), "{stderr}");
    assert!(
        stderr.contains("schedule author-stats-batch-watch-DailySchedule-abc: ENABLED"),
        "{stderr}"
    );

    // A manual run two hours ago: healthy again, the failure before it no longer latest.
    write_log(
        &group,
        "new",
        &[
            (hours(2), platform_start("r-3")),
            (hours(2), run_started("invoke")),
            (hours(2), emf_line(false, 3)),
        ],
    );
    let healthy = report(&["status", "--stage", "watch"], &stages);
    assert_eq!(healthy["healthy"], true, "{healthy:#}");
    assert_eq!(healthy["runs"][3]["charts_written"], 3);
    assert_eq!(healthy["runs"][3]["trigger"], "invoke");
    assert_eq!(healthy["dead_letter_messages"], 0);
    report(&["teardown", "--stage", "watch", "--yes"], &stages);
}

#[test]
fn plan_then_apply_executes_exactly_the_kept_change_set_and_refuses_a_stale_one() {
    testkit::require!(testkit::tools::Tool::Moto);
    let dir = tempfile::tempdir().unwrap();
    let stages = stage_file(dir.path(), "plan", "");
    let stack = "author-stats-batch-plan";
    fn deploy<'a>(extra: &[&'a str]) -> Vec<&'a str> {
        let mut args = vec!["deploy", "--stage", "plan", "--scope", "core"];
        args.extend_from_slice(extra);
        args
    }

    // Plan the creation: a change set is kept, nothing runs.
    let (a, b, c) = (image('a'), image('b'), image('c'));
    let planned = report(&deploy(&["--image", &a, "--no-execute"]), &stages);
    assert_eq!(planned["status"], "planned", "{planned:#}");
    assert_eq!(planned["create"], true);
    let first = planned["change_set"].as_str().unwrap().to_owned();
    assert_eq!(
        planned["apply"],
        format!("cargo xtask deploy --stage plan --change-set {first}")
    );
    let shell = block_on(
        clients()
            .cloudformation
            .describe_stacks()
            .stack_name(stack)
            .send(),
    )
    .unwrap();
    assert_eq!(
        shell.stacks()[0].stack_status().unwrap().as_str(),
        "REVIEW_IN_PROGRESS"
    );
    let image_change = planned["review"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "ImageUri")
        .cloned()
        .unwrap();
    assert_eq!(image_change["old"], Value::Null);
    assert_eq!(image_change["new"], a.as_str());
    let security: Vec<&str> = planned["review"]["security"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["logical_id"].as_str().unwrap())
        .collect();
    assert!(security.contains(&"JobRole"), "{planned:#}");

    // Apply it: exactly that change set creates the stack.
    let applied = report(
        &[
            "deploy",
            "--stage",
            "plan",
            "--change-set",
            &first,
            "--no-backfill",
        ],
        &stages,
    );
    assert_eq!(applied["status"], "CREATE_COMPLETE", "{applied:#}");
    let function = output(&applied, "FunctionName");
    assert_eq!(function_image(&function), a);
    let (out, stderr) = xtask(
        &["deploy", "--stage", "plan", "--change-set", &first],
        &stages,
    );
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("already executed"), "{stderr}");

    // diff shows the image's old → new value, as the plan does.
    let preview = report(
        &["diff", "--stage", "plan", "--scope", "core", "--image", &b],
        &stages,
    );
    let changed: Vec<(&str, &str, &str)> = preview["review"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap(),
                p["old"].as_str().unwrap_or_default(),
                p["new"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        changed,
        [("ImageUri", a.as_str(), b.as_str())],
        "{preview:#}"
    );

    // Two plans; the second is applied, so the first was planned on a stack that changed.
    let stale = report(&deploy(&["--image", &b, "--no-execute"]), &stages);
    let stale = stale["change_set"].as_str().unwrap().to_owned();
    let fresh = report(&deploy(&["--image", &c, "--no-execute"]), &stages);
    let fresh = fresh["change_set"].as_str().unwrap().to_owned();
    // A new image is due a backfill (`{"changed": true}`: a new release may draw
    // differently); moto cannot run the image, so it is skipped here, which deploy says.
    let (out, stderr) = xtask(
        &[
            "deploy",
            "--stage",
            "plan",
            "--change-set",
            &fresh,
            "--no-backfill",
        ],
        &stages,
    );
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("no backfill (--no-backfill), although the image changed")
            && stderr.contains("cargo xtask invoke --stage plan --changed"),
        "{stderr}"
    );
    let applied: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(applied["status"], "UPDATE_COMPLETE", "{applied:#}");
    assert!(applied["backfill"].is_null(), "{applied:#}");
    assert_eq!(function_image(&function), c);
    let (out, stderr) = xtask(
        &["deploy", "--stage", "plan", "--change-set", &stale],
        &stages,
    );
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let line = stderr.lines().last().unwrap();
    assert!(
        line.contains("has changed since change set")
            && line.contains("cargo xtask deploy --stage plan --no-execute"),
        "{stderr}"
    );
    assert_eq!(
        function_image(&function),
        c,
        "a stale plan is never executed"
    );
    let (out, stderr) = xtask(
        &["deploy", "--stage", "plan", "--change-set", "deploy-nope"],
        &stages,
    );
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("change set deploy-nope does not exist"),
        "{stderr}"
    );
    report(&["teardown", "--stage", "plan", "--yes"], &stages);
}

#[test]
fn the_first_deploy_backfills_and_on_moto_says_it_cannot_run_the_image() {
    testkit::require!(testkit::tools::Tool::Moto);
    let dir = tempfile::tempdir().unwrap();
    let stages = stage_file(dir.path(), "fill", "");
    let args = [
        "deploy",
        "--stage",
        "fill",
        "--scope",
        "core",
        "--image",
        &image('7'),
        "--yes",
    ];
    let (out, stderr) = xtask(&args, &stages);
    // The stack is created; the backfill is attempted and moto cannot run image functions.
    assert!(
        stderr.contains(
            r#"backfill: running the job once with {"changed":true} because the stack was just created"#
        ),
        "{stderr}"
    );
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let line = stderr.lines().last().unwrap();
    assert!(
        line.contains("the stack is deployed, but the backfill run failed")
            && line.contains("cargo xtask invoke --stage fill --changed"),
        "{line}"
    );
    let stack = block_on(
        clients()
            .cloudformation
            .describe_stacks()
            .stack_name("author-stats-batch-fill")
            .send(),
    )
    .unwrap();
    assert_eq!(
        stack.stacks()[0].stack_status().unwrap().as_str(),
        "CREATE_COMPLETE"
    );
    // Nothing changed: no backfill.
    let again = report(&args, &stages);
    assert_eq!(again["status"], "no changes");
    assert!(again["backfill"].is_null());
    report(&["teardown", "--stage", "fill", "--yes"], &stages);
}

#[test]
fn a_parameter_the_template_forbids_is_refused_before_any_stack_exists() {
    testkit::require!(testkit::tools::Tool::Moto);
    let dir = tempfile::tempdir().unwrap();
    let stages = stage_file(dir.path(), "strict", "");
    for (param, rule) in [
        ("ActiveDays=0", "below the minimum 1"),
        ("ActiveDays=abc", "not a number"),
        ("LogRetentionDays=8", "allowed values"),
    ] {
        let (out, stderr) = xtask(
            &[
                "deploy",
                "--stage",
                "strict",
                "--scope",
                "core",
                "--image",
                &image('6'),
                "--yes",
                "--param",
                param,
            ],
            &stages,
        );
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(
            stderr.contains(rule) && stderr.contains("nothing was sent to AWS"),
            "{stderr}"
        );
        let stacks = block_on(
            clients()
                .cloudformation
                .describe_stacks()
                .stack_name("author-stats-batch-strict")
                .send(),
        );
        assert!(stacks.is_err(), "a refused deploy left a stack behind");
    }
}

#[test]
fn the_stage_style_goes_in_as_chart_style_and_a_changed_style_backfills() {
    testkit::require!(testkit::tools::Tool::Moto);
    let dir = tempfile::tempdir().unwrap();
    let style = dir.path().join("style.toml");
    std::fs::write(
        &style,
        "# the site's style\nlocale = \"ja\"   # Japanese\n[text]\ntitle = 30\n",
    )
    .unwrap();
    let stages = dir.path().join("stages.toml");
    std::fs::write(
        &stages,
        format!(
            "[tone]\nstyle = {:?}\n[tone.parameters]\nSourceBucketName = \"export-tone\"\n\
             LogRetentionDays = 7\n",
            style.display().to_string()
        ),
    )
    .unwrap();
    let args = [
        "deploy",
        "--stage",
        "tone",
        "--scope",
        "core",
        "--image",
        &image('8'),
        "--yes",
    ];
    let mut first = args.to_vec();
    first.push("--no-backfill");
    let created = report(&first, &stages);
    assert_eq!(created["status"], "CREATE_COMPLETE", "{created:#}");
    let sent = created["review"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "ChartStyle")
        .unwrap()["new"]
        .as_str()
        .unwrap()
        .to_owned();
    // Comments and alignment dropped, the same TOML.
    assert_eq!(sent, "locale = \"ja\"\n\n[text]\ntitle = 30\n");
    let function = output(&created, "FunctionName");
    let config = function_configuration(&function);
    let environment = config.environment().unwrap().variables().unwrap();
    assert_eq!(
        environment
            .get(contract::env::CHART_STYLE)
            .map(String::as_str),
        Some(sent.as_str())
    );

    // The style changes: the preview shows the changed line, and the deploy backfills (on
    // moto the image cannot run, which the last line says, with the rerun).
    std::fs::write(&style, "locale = \"en\"\n[text]\ntitle = 30\n").unwrap();
    let (out, stderr) = xtask(&args, &stages);
    assert!(
        stderr.contains("ChartStyle: 4 lines → 4 lines:")
            && stderr.contains("- locale = \"ja\"")
            && stderr.contains("+ locale = \"en\""),
        "{stderr}"
    );
    assert!(
        stderr.contains("because the chart style changed, so every chart is redrawn in it"),
        "{stderr}"
    );
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr
            .lines()
            .last()
            .unwrap()
            .contains("the stack is deployed, but the backfill run failed"),
        "{stderr}"
    );

    // Over 4096 bytes without comments: refused before any AWS call.
    let big: String = (0..300)
        .map(|i| format!("field_{i} = \"{i:08}\"\n"))
        .collect();
    std::fs::write(&style, big).unwrap();
    let (out, stderr) = xtask(&args, &stages);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let line = stderr.lines().last().unwrap();
    assert!(
        line.contains(&style.display().to_string()) && line.contains("4096-byte limit"),
        "{line}"
    );
    report(&["teardown", "--stage", "tone", "--yes"], &stages);
}

// ---- fan-out stages (FanOut=true) -----------------------------------------------------------
//
// moto's CloudFormation creates an `AWS::StepFunctions::StateMachine` in a backend that never
// runs it, and `--scope core` has no machine, so a fan-out stage is stood in for by a stack
// made here (charts bucket, log group, the `StateMachineArn` output) naming a machine made
// through the Step Functions API with moto's executing backend (its `execute_state_machine`
// setting). Its states are Pass/Choice/Fail states shaped like the real one (count →
// Distributed Map over the batches → finish), so executions succeed, fail and have map runs.

/// Turns on moto's executing Step Functions backend (server-wide, idempotent; every test
/// that uses Step Functions calls it first, so none sees the other backend).
fn execute_state_machines() {
    use std::io::{Read, Write};
    let address = moto().endpoint.trim_start_matches("http://").to_owned();
    let body = r#"{"stepfunctions": {"execute_state_machine": true}}"#;
    let mut stream = std::net::TcpStream::connect(&address).unwrap();
    write!(
        stream,
        "POST /moto-api/config HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 20"), "{answer}");
}

/// The fan-out's shape with stand-in steps: `Count` lists three batches, `Render` maps them
/// (batch 2 fails when `fail_batch`), `Finish` answers `summary` or fails with `finish_error`.
fn fan_out_definition(summary: &Value, fail_batch: bool, finish_error: Option<&str>) -> String {
    let render_batch = if fail_batch {
        json!({"Type": "Choice", "Choices": [{"Variable": "$.b", "NumericEquals": 2,
            "Next": "Bad batch"}], "Default": "Rendered"})
    } else {
        json!({"Type": "Pass", "Next": "Rendered"})
    };
    let finish = match finish_error {
        Some(cause) => json!({"Type": "Fail", "Error": "Failure", "Cause": cause}),
        None => json!({"Type": "Pass", "Result": summary, "End": true}),
    };
    json!({"StartAt": "Count", "States": {
        "Count": {"Type": "Pass", "Result": {"batches": [{"b": 1}, {"b": 2}, {"b": 3}]},
            "Next": "Render"},
        "Render": {"Type": "Map", "ItemsPath": "$.batches", "ResultPath": null, "Next": "Finish",
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                "StartAt": "Render batch",
                "States": {
                    "Render batch": render_batch,
                    "Bad batch": {"Type": "Fail", "Error": "RenderFailed",
                        "Cause": "batch 2: cannot read s3://charts/author-stats-runs/r/00002.json"},
                    "Rendered": {"Type": "Pass", "End": true}}}},
        "Finish": finish}})
    .to_string()
}

/// A fan-out stage `name` whose machine has `definition`; returns the stage file and the
/// machine's ARN.
fn fan_out_stage(dir: &Path, name: &str, definition: &str) -> (std::path::PathBuf, String) {
    execute_state_machines();
    let stages = stage_file(dir, name, "");
    let stack = format!("author-stats-batch-{name}");
    let machine = block_on(
        clients()
            .sfn
            .create_state_machine()
            .name(format!("{stack}-fan-out"))
            .definition(definition)
            .role_arn("arn:aws:iam::123456789012:role/fan-out")
            .send(),
    )
    .unwrap()
    .state_machine_arn()
    .to_owned();
    let template = json!({
        "Resources": {
            "ChartsBucket": {"Type": "AWS::S3::Bucket"},
            "JobLogGroup": {"Type": "AWS::Logs::LogGroup",
                "Properties": {"LogGroupName": format!("/aws/lambda/{stack}-job")}},
        },
        "Outputs": {
            "StateMachineArn": {"Value": machine},
            "ChartsBucketName": {"Value": {"Ref": "ChartsBucket"}},
            "LogGroupName": {"Value": {"Ref": "JobLogGroup"}},
            "FunctionName": {"Value": format!("{stack}-job")},
        },
    });
    block_on(
        clients()
            .cloudformation
            .create_stack()
            .stack_name(&stack)
            .template_body(template.to_string())
            .send(),
    )
    .unwrap();
    (stages, machine)
}

fn executions(machine: &str) -> Vec<aws_sdk_sfn::types::ExecutionListItem> {
    block_on(
        clients()
            .sfn
            .list_executions()
            .state_machine_arn(machine)
            .send(),
    )
    .unwrap()
    .executions()
    .to_vec()
}

#[test]
fn invoke_on_a_fan_out_stage_runs_one_execution_and_prints_its_summary() {
    testkit::require!(testkit::tools::Tool::Moto);
    let dir = tempfile::tempdir().unwrap();
    let summary = json!({"authors_listed": 3, "charts_rendered": 3, "dry_run": false});
    let (stages, machine) = fan_out_stage(
        dir.path(),
        "fanrun",
        &fan_out_definition(&summary, false, None),
    );
    let printed = report(&["invoke", "--stage", "fanrun", "--days", "7"], &stages);
    assert_eq!(printed, summary);
    let started = executions(&machine);
    assert_eq!(started.len(), 1, "{started:?}");
    assert!(started[0].name().starts_with("invoke-"), "{started:?}");
    let described = block_on(
        clients()
            .sfn
            .describe_execution()
            .execution_arn(started[0].execution_arn())
            .send(),
    )
    .unwrap();
    let input: Value = serde_json::from_str(described.input().unwrap()).unwrap();
    assert_eq!(input, json!({"days": 7, "dry_run": false}));

    // Teardown empties the whole bucket, the fan-out's run files too, and checks the rest.
    let bucket = block_on(stack_state_output(
        "author-stats-batch-fanrun",
        "ChartsBucketName",
    ));
    put(&bucket, "author-monthly-stats/index.json", b"{}");
    put(&bucket, "author-stats-runs/r-1/manifest.json", b"{}");
    let torn = report(&["teardown", "--stage", "fanrun", "--yes"], &stages);
    assert_eq!(torn["objects_deleted"], 2, "{torn:#}");
    let head = block_on(clients().s3.head_bucket().bucket(&bucket).send());
    assert!(head.is_err(), "bucket {bucket} still exists");
}

async fn stack_state_output(stack: &str, name: &str) -> String {
    let info =
        xtask_lifecycle::stack_state::describe_with_outputs(&clients().cloudformation, stack)
            .await
            .unwrap()
            .unwrap();
    info.outputs[name].clone()
}

#[test]
fn a_failed_fan_out_execution_is_one_line_with_its_error_cause_and_counts() {
    testkit::require!(testkit::tools::Tool::Moto);
    let dir = tempfile::tempdir().unwrap();
    let cause = json!({"errorType": "Failure",
        "errorMessage": "finish: batch 00002 has no results: run it again"})
    .to_string();
    let (stages, _) = fan_out_stage(
        dir.path(),
        "fanfail",
        &fan_out_definition(&json!({}), true, Some(&cause)),
    );
    let (out, stderr) = xtask(&["invoke", "--stage", "fanfail", "--all"], &stages);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    let line = errors[0];
    for part in [
        "fan-out execution invoke-",
        " FAILED: Failure: finish: batch 00002 has no results: run it again",
        "batches 2 succeeded, 1 failed, 0 running, 0 pending of 3",
        "aws stepfunctions describe-execution --execution-arn arn:aws:states:us-east-1:123456789012:execution:author-stats-batch-fanfail-fan-out:invoke-",
        "cargo xtask logs --stage fanfail",
    ] {
        assert!(line.contains(part), "{part} not in {line}");
    }
    assert!(out.stdout.is_empty(), "no summary on a failure");
    report(&["teardown", "--stage", "fanfail", "--yes"], &stages);
}

#[test]
fn status_on_a_fan_out_stage_lists_executions_and_the_latest_map_run_and_notes_a_failure() {
    testkit::require!(testkit::tools::Tool::Moto);
    let dir = tempfile::tempdir().unwrap();
    let (stages, machine) = fan_out_stage(
        dir.path(),
        "fanwatch",
        &fan_out_definition(&json!({"charts_rendered": 3}), true, None),
    );
    // A scheduled execution, and the finish step's EMF line in the job's log.
    let start = |name: &str| {
        block_on(
            clients()
                .sfn
                .start_execution()
                .state_machine_arn(&machine)
                .name(name)
                .input(r#"{"days": 7, "trigger": "schedule"}"#)
                .send(),
        )
        .unwrap()
        .execution_arn()
        .to_owned()
    };
    let settle = |arn: &str| {
        for _ in 0..100 {
            let out =
                block_on(clients().sfn.describe_execution().execution_arn(arn).send()).unwrap();
            if out.status().as_str() != "RUNNING" {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("{arn} is still running");
    };
    settle(&start("schedule-1"));
    let now = chrono::Utc::now();
    write_log(
        "/aws/lambda/author-stats-batch-fanwatch-job",
        "finish",
        &[(now - chrono::Duration::hours(1), emf_line(false, 3))],
    );
    let status = report(&["status", "--stage", "fanwatch"], &stages);
    assert_eq!(status["healthy"], true, "{status:#}");
    let fan_out = &status["fan_out"];
    assert_eq!(fan_out["machine"], machine.as_str());
    assert_eq!(
        fan_out["executions"][0]["name"], "schedule-1",
        "{fan_out:#}"
    );
    assert_eq!(fan_out["executions"][0]["status"], "SUCCEEDED");
    let map = &fan_out["map_run"];
    assert_eq!(map["items"]["succeeded"], 2, "{map:#}");
    assert_eq!(map["items"]["failed"], 1, "{map:#}");
    assert_eq!(map["items"]["total"], 3, "{map:#}");
    assert_eq!(map["executions"]["total"], 3, "{map:#}");

    // The same stage's machine, now failing in finish: the latest execution failed.
    let cause = "finish: batch 00002 has no results";
    block_on(
        clients()
            .sfn
            .update_state_machine()
            .state_machine_arn(&machine)
            .definition(fan_out_definition(&json!({}), false, Some(cause)))
            .send(),
    )
    .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    settle(&start("schedule-2"));
    let (out, stderr) = xtask(&["status", "--stage", "fanwatch"], &stages);
    assert!(
        out.status.success(),
        "a failure is noted, not unhealthy:\n{stderr}"
    );
    let status: Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = status["fan_out"]["executions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["schedule-2", "schedule-1"], "{status:#}");
    let verdict = status["verdict"].as_str().unwrap();
    assert!(
        verdict.contains(&format!(
            "note: the latest fan-out execution schedule-2 FAILED: Failure: {cause}"
        )),
        "{verdict}"
    );
    assert!(stderr.contains("fan-out executions of"), "{stderr}");
    assert!(stderr.contains("latest (schedule-2): "), "{stderr}");
    report(&["teardown", "--stage", "fanwatch", "--yes"], &stages);
}

#[test]
fn teardown_sees_a_deleted_state_machine_gone() {
    testkit::require!(testkit::tools::Tool::Moto);
    execute_state_machines();
    let arn = block_on(
        clients()
            .sfn
            .create_state_machine()
            .name("author-stats-batch-gone-fan-out")
            .definition(fan_out_definition(&json!({}), false, None))
            .role_arn("arn:aws:iam::123456789012:role/fan-out")
            .send(),
    )
    .unwrap()
    .state_machine_arn()
    .to_owned();
    let resource = xtask_lifecycle::verify::Resource {
        logical_id: "FanOutStateMachine".into(),
        resource_type: "AWS::StepFunctions::StateMachine".into(),
        physical_id: arn.clone(),
    };
    use xtask_lifecycle::verify::{check, Found};
    assert_eq!(
        block_on(check(&clients(), &resource)).unwrap(),
        Found::StillThere
    );
    block_on(
        clients()
            .sfn
            .delete_state_machine()
            .state_machine_arn(&arn)
            .send(),
    )
    .unwrap();
    assert_eq!(block_on(check(&clients(), &resource)).unwrap(), Found::Gone);
}
