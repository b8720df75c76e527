//! The Lambda path (issue 3): the real binary started with `AWS_LAMBDA_RUNTIME_API` pointing
//! at a Runtime API the test serves on 127.0.0.1, its settings from the environment
//! variables the stack sets, S3 on moto. Checks the response payload, that the event's
//! `days` and `dry_run` are honoured, the error answers, and the EMF metrics line.

mod aws_support;

use std::process::{Child, Stdio};
use std::time::Duration;

use serde_json::{json, Value};
use tempfile::TempDir;

use aws_support::*;
use contract::env;
use contract::metrics;
use testkit::runtime_api::{Outcome, RuntimeApi};

const PREFIX: &str = "author-monthly-stats/";
const WAIT: Duration = Duration::from_secs(60);

/// The function process; killed when dropped (a Lambda function never exits by itself).
struct Function {
    child: Option<Child>,
    api: RuntimeApi,
}

impl Function {
    /// Start the binary as a function with `vars` on top of the moto environment.
    fn start(events: Vec<Value>, vars: &[(&str, &str)]) -> Function {
        let api = RuntimeApi::start(events);
        let mut cmd = job_command();
        cmd.env("AWS_LAMBDA_RUNTIME_API", api.host_port())
            .env("AWS_LAMBDA_FUNCTION_NAME", "author-stats-test")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1024")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/author-stats-test")
            .env("AWS_LAMBDA_LOG_STREAM_NAME", "test")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for var in env::ALL {
            cmd.env_remove(var);
        }
        for (name, value) in vars {
            cmd.env(name, value);
        }
        let child = cmd.spawn().expect("the job binary starts");
        Function {
            child: Some(child),
            api,
        }
    }

    /// Wait for `n` outcomes, stop the process, and return the outcomes and its stdout.
    fn finish(mut self, n: usize) -> (Vec<Outcome>, String) {
        let outcomes = self.api.wait_for(n, WAIT);
        let mut child = self.child.take().unwrap();
        let _ = child.kill();
        let output = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert_eq!(
            outcomes.len(),
            n,
            "expected {n} answers from the function; stdout:\n{stdout}\nstderr:\n{stderr}"
        );
        (outcomes, stdout)
    }
}

impl Drop for Function {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Upload the small sample to `source`, create `charts`, and return the function's variables.
fn deployment(source: &str, charts: &str) -> (TempDir, Vec<(&'static str, String)>) {
    let dir = TempDir::new().unwrap();
    let files = small_sample(dir.path());
    upload_sample(
        source,
        &files,
        "export/posts.jsonl.gz",
        "export/authors.jsonl.gz",
    );
    create_bucket(charts);
    let vars = vec![
        (env::SOURCE_BUCKET, source.to_owned()),
        (env::POSTS_KEY, "export/posts.jsonl.gz".to_owned()),
        (env::AUTHORS_KEY, "export/authors.jsonl.gz".to_owned()),
        (env::CHARTS_BUCKET, charts.to_owned()),
        (env::CHARTS_PREFIX, PREFIX.to_owned()),
        (env::CHART_TIME_ZONE, "Asia/Tokyo".to_owned()),
        (env::ACTIVE_DAYS, "7".to_owned()),
        (env::UPLOAD_CONCURRENCY, "8".to_owned()),
    ];
    (dir, vars)
}

fn borrowed<'a>(vars: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    vars.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

fn response(outcome: &Outcome) -> &Value {
    match outcome {
        Outcome::Response { body, .. } => body,
        other => panic!("expected a response, got {other:?}"),
    }
}

fn error(outcome: &Outcome) -> &Value {
    match outcome {
        Outcome::Error { body, .. } => body,
        other => panic!("expected an error, got {other:?}"),
    }
}

#[test]
fn invocation_publishes_and_answers_with_the_summary() {
    testkit::require!(testkit::tools::Tool::Moto);
    let (_dir, vars) = deployment("lambda-src-publish", "lambda-charts-publish");
    let event = json!({"days": 30, "now": NOW});
    let function = Function::start(vec![event.clone(), event], &borrowed(&vars));
    let (outcomes, stdout) = function.finish(2);

    let first = response(&outcomes[0]);
    assert_eq!(first["active_days"], 30, "the event's days: {first}");
    assert_eq!(first["now"], NOW);
    assert_eq!(first["dry_run"], false);
    assert_eq!(
        first["output"],
        format!("s3://lambda-charts-publish/{PREFIX}")
    );
    let rendered = first["charts_rendered"].as_u64().unwrap();
    assert!(rendered >= 3, "{first}");
    assert_eq!(first["charts_written"].as_u64(), Some(rendered));
    let listing = list("lambda-charts-publish", PREFIX);
    assert_eq!(
        listing.len() as u64,
        5 * rendered + 1,
        "light and dark PNG and SVG charts, stats and index.json"
    );

    // A warm container serves the next invocation with the same client.
    let second = response(&outcomes[1]);
    assert_eq!(second["charts_written"], 0);
    assert_eq!(second["charts_unchanged"].as_u64(), Some(rendered));

    // One EMF line per run, with the figures as metrics.
    let emf: Vec<Value> = stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v.get("_aws").is_some())
        .collect();
    assert_eq!(emf.len(), 2, "stdout:\n{stdout}");
    assert_eq!(
        emf[0]["_aws"]["CloudWatchMetrics"][0]["Namespace"],
        metrics::NAMESPACE
    );
    assert_eq!(emf[0][metrics::CHARTS_UPLOADED].as_u64(), Some(rendered));
    assert_eq!(emf[1][metrics::CHARTS_UNCHANGED].as_u64(), Some(rendered));
    assert_eq!(emf[0][metrics::RUN_FAILED], 0);
    assert_eq!(emf[0]["FunctionName"], "author-stats-test");
}

#[test]
fn dry_run_event_computes_and_writes_nothing() {
    testkit::require!(testkit::tools::Tool::Moto);
    let (_dir, vars) = deployment("lambda-src-dry", "lambda-charts-dry");
    let function = Function::start(
        vec![json!({"days": 30, "now": NOW, "dry_run": true})],
        &borrowed(&vars),
    );
    let (outcomes, _) = function.finish(1);
    let summary = response(&outcomes[0]);
    assert_eq!(summary["dry_run"], true);
    assert_eq!(summary["active_days"], 30);
    assert!(
        summary["charts_rendered"].as_u64().unwrap() >= 3,
        "{summary}"
    );
    assert_eq!(summary["charts_written"], 0);
    assert!(
        list("lambda-charts-dry", "").is_empty(),
        "a dry run writes nothing"
    );
}

#[test]
fn days_default_to_the_functions_active_days() {
    testkit::require!(testkit::tools::Tool::Moto);
    let (_dir, mut vars) = deployment("lambda-src-default", "lambda-charts-default");
    vars.retain(|(k, _)| *k != env::ACTIVE_DAYS);
    vars.push((env::ACTIVE_DAYS, "3".to_owned()));
    let function = Function::start(
        vec![json!({"now": NOW, "dry_run": true}), json!(null)],
        &borrowed(&vars),
    );
    let (outcomes, _) = function.finish(2);
    assert_eq!(response(&outcomes[0])["active_days"], 3);
    assert_eq!(response(&outcomes[1])["active_days"], 3, "an empty event");
}

#[test]
fn a_bad_event_is_answered_with_an_error_naming_the_field() {
    testkit::require!(testkit::tools::Tool::Moto);
    let (_dir, vars) = deployment("lambda-src-bad-event", "lambda-charts-bad-event");
    let function = Function::start(
        vec![json!({"days": 0}), json!({"now": "tomorrow"})],
        &borrowed(&vars),
    );
    let (outcomes, stdout) = function.finish(2);
    let days = error(&outcomes[0]);
    assert_eq!(days["errorType"], "AuthorStats.InvalidEvent");
    assert!(
        days["errorMessage"].as_str().unwrap().starts_with("days:"),
        "{days}"
    );
    let now = error(&outcomes[1]);
    assert!(
        now["errorMessage"].as_str().unwrap().starts_with("now:"),
        "{now}"
    );
    assert!(
        stdout.contains("\"RunFailed\":1"),
        "EMF marks the failure: {stdout}"
    );
    assert!(list("lambda-charts-bad-event", "").is_empty());
}

#[test]
fn missing_export_object_is_answered_with_bucket_key_and_cause() {
    testkit::require!(testkit::tools::Tool::Moto);
    let (_dir, mut vars) = deployment("lambda-src-missing", "lambda-charts-missing");
    vars.retain(|(k, _)| *k != env::POSTS_KEY);
    vars.push((env::POSTS_KEY, "export/not-there.jsonl.gz".to_owned()));
    let function = Function::start(vec![json!({})], &borrowed(&vars));
    let (outcomes, _) = function.finish(1);
    let body = error(&outcomes[0]);
    assert_eq!(body["errorType"], "AuthorStats.RunFailed");
    let message = body["errorMessage"].as_str().unwrap();
    assert!(
        message.contains("s3://lambda-src-missing/export/not-there.jsonl.gz"),
        "{message}"
    );
    assert!(message.contains("NoSuchKey"), "{message}");
}

#[test]
fn missing_settings_are_answered_with_the_variable_names() {
    testkit::require!(testkit::tools::Tool::Moto);
    let function = Function::start(vec![json!({})], &[]);
    let (outcomes, _) = function.finish(1);
    let body = error(&outcomes[0]);
    assert_eq!(body["errorType"], "AuthorStats.Configuration");
    let message = body["errorMessage"].as_str().unwrap();
    assert!(message.contains(env::SOURCE_BUCKET), "{message}");
    assert!(message.contains(env::CHARTS_BUCKET), "{message}");
}

#[test]
fn the_fan_out_steps_on_lambda_publish_what_one_invocation_does() {
    testkit::require!(testkit::tools::Tool::Moto);
    // The state machine's calls, as it makes them: count with the run's event, a render
    // per key its item reader lists, finish.
    let (_dir, vars) = deployment("lambda-src-fan", "lambda-charts-fan");
    let event = json!({"all": true, "now": NOW});
    let count = Function::start(
        vec![json!({"step": "count", "event": event})],
        &borrowed(&vars),
    );
    let (outcomes, _) = count.finish(1);
    let counted = response(&outcomes[0]).clone();
    assert_eq!(counted["bucket"], "lambda-charts-fan");
    assert_eq!(counted["dry_run"], false);
    let prefix = counted["prefix"].as_str().unwrap();
    let keys: Vec<String> = list("lambda-charts-fan", prefix).into_keys().collect();
    assert_eq!(keys.len() as u64, counted["batches"].as_u64().unwrap());
    assert!(!keys.is_empty(), "{counted}");

    let mut events: Vec<Value> = keys
        .iter()
        .map(|key| json!({"step": "render", "run": counted["run"], "batch": key}))
        .collect();
    events.push(json!({"step": "finish", "run": counted["run"]}));
    let steps = Function::start(events, &borrowed(&vars));
    let (outcomes, stdout) = steps.finish(keys.len() + 1);
    let rendered: u64 = outcomes[..keys.len()]
        .iter()
        .map(|o| response(o)["rendered"].as_u64().unwrap())
        .sum();
    let summary = response(&outcomes[keys.len()]);
    assert_eq!(
        summary["charts_rendered"].as_u64(),
        Some(rendered),
        "{summary}"
    );
    assert_eq!(summary["authors_listed"], counted["authors_listed"]);
    assert!(list("lambda-charts-fan", "author-stats-runs/").is_empty());
    // finish reports the run like a single invocation: one EMF line.
    let emf = stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v.get("_aws").is_some())
        .count();
    assert_eq!(emf, 1, "stdout:\n{stdout}");

    // One whole invocation into another bucket publishes the same objects.
    let (_dir2, single_vars) = deployment("lambda-src-fan-1", "lambda-charts-fan-1");
    let single = Function::start(vec![event], &borrowed(&single_vars));
    let (outcomes, _) = single.finish(1);
    assert_eq!(
        response(&outcomes[0])["charts_rendered"].as_u64(),
        Some(rendered)
    );
    let (a, b) = (
        list("lambda-charts-fan", PREFIX),
        list("lambda-charts-fan-1", PREFIX),
    );
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (key, object) in &a {
        assert_eq!(object.etag, b[key].etag, "{key} differs");
    }
}
