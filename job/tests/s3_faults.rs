//! S3 faults, against moto behind the fault proxy of `testkit`: uploads answered with 500,
//! a reset connection, an endpoint that never answers, a download cut short. Each run ends
//! with a clear error within bounded time, without writing `index.json`, and a rerun
//! without faults converges to exactly what a clean run publishes.

mod aws_support;

use std::collections::BTreeMap;
use std::process::Output;
use std::time::{Duration, Instant};

use aws_support::*;
use contract::files::INDEX_FILE;
use serde_json::Value;
use testkit::fault_proxy::{Fault, FaultProxy, Rule};

const PREFIX: &str = "stats/";
const RECENT: &str = "2025-11-24T00:00:00Z";
const AUTHORS: usize = 8;
/// Timeouts of the runs here, so a silent endpoint fails in seconds.
const ATTEMPT_MS: &str = "1500";
const OPERATION_MS: &str = "4000";

fn master() -> String {
    (0..AUTHORS)
        .map(|i| {
            format!("{{\"id\":\"a{i}\",\"slug\":\"author-{i}\",\"display_name\":\"Author {i}\"}}\n")
        })
        .collect()
}

/// Several posts per author, with bodies, so the compressed file is a few KB.
fn posts() -> String {
    let mut out = String::new();
    for i in 0..AUTHORS {
        for n in 0..30 {
            out += &format!(
                "{{\"author_id\":\"a{i}\",\"first_published_at\":\"{RECENT}\",\"body\":\"post {n} of {i}: {}\"}}\n",
                (0..40).map(|k| ((k * 7 + n * 13 + i) % 26) as u8 + b'a').map(char::from).collect::<String>()
            );
        }
    }
    out
}

/// A bucket with the export under `export/`.
fn setup(bucket: &str) {
    create_bucket(bucket);
    put_object(bucket, "export/posts.jsonl.gz", gz(posts().as_bytes()));
    put_object(bucket, "export/authors.jsonl.gz", gz(master().as_bytes()));
}

/// Run the job through `proxy`, returning its output and how long it took.
fn run(proxy: &FaultProxy, bucket: &str) -> (Output, Duration) {
    let started = Instant::now();
    let output = job_command()
        .env("AWS_ENDPOINT_URL", &proxy.endpoint)
        .env("AUTHOR_STATS_S3_CONNECT_TIMEOUT_MS", "1000")
        .env("AUTHOR_STATS_S3_ATTEMPT_TIMEOUT_MS", ATTEMPT_MS)
        .env("AUTHOR_STATS_S3_OPERATION_TIMEOUT_MS", OPERATION_MS)
        .args(["run", "--json", "--now", NOW, "--upload-concurrency", "2"])
        .arg("--posts")
        .arg(format!("s3://{bucket}/export/posts.jsonl.gz"))
        .arg("--authors")
        .arg(format!("s3://{bucket}/export/authors.jsonl.gz"))
        .arg("--out")
        .arg(format!("s3://{bucket}/{PREFIX}"))
        .output()
        .expect("the job runs");
    (output, started.elapsed())
}

/// The one-line error of a failed run.
fn failure(output: &Output) -> String {
    assert_eq!(
        output.status.code(),
        Some(1),
        "stderr:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    eprintln!("{}", errors[0]);
    errors[0].to_owned()
}

/// Every object under the prefix: key → bytes (index.json as parsed JSON text).
fn published(bucket: &str) -> BTreeMap<String, Vec<u8>> {
    list(bucket, PREFIX)
        .into_keys()
        .map(|key| {
            let bytes = get_object(bucket, &key).unwrap();
            (key.trim_start_matches(PREFIX).to_owned(), bytes)
        })
        .collect()
}

/// What a clean run publishes (computed once per test binary).
fn clean() -> &'static BTreeMap<String, Vec<u8>> {
    static CLEAN: std::sync::OnceLock<BTreeMap<String, Vec<u8>>> = std::sync::OnceLock::new();
    CLEAN.get_or_init(|| {
        let proxy = FaultProxy::start(&moto().endpoint);
        setup("faults-clean");
        let (output, _) = run(&proxy, "faults-clean");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        published("faults-clean")
    })
}

/// Fault off, run again: the output equals a clean run's.
fn rerun_converges(proxy: &FaultProxy, bucket: &str) {
    proxy.set(Rule::pass());
    let (output, _) = run(proxy, bucket);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let summary: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(summary["charts_rendered"], AUTHORS);
    let got = published(bucket);
    let want = clean();
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>()
    );
    for (name, bytes) in want {
        if name == INDEX_FILE {
            let a: Value = serde_json::from_slice(bytes).unwrap();
            let b: Value = serde_json::from_slice(&got[name]).unwrap();
            assert_eq!(a, b, "index.json");
        } else {
            assert!(got[name] == *bytes, "{name} differs from a clean run's");
        }
    }
}

#[test]
fn uploads_answered_with_500_from_the_third_fail_the_run_and_a_rerun_converges() {
    testkit::require!(testkit::tools::Tool::Moto);
    let bucket = "faults-500";
    setup(bucket);
    let proxy = FaultProxy::start(&moto().endpoint);
    proxy.set(Rule::new("PUT", ".png", 3, Fault::Status500));
    let (output, took) = run(&proxy, bucket);
    eprintln!("failed after {took:?}");
    let error = failure(&output);
    assert!(error.contains("InternalError"), "{error}");
    assert!(error.contains("index.json was not written"), "{error}");
    assert!(error.contains("objects were already replaced"), "{error}");
    assert!(error.contains("converges"), "{error}");
    assert!(
        !error.contains("intact"),
        "no claim that nothing changed: {error}"
    );
    assert!(took < Duration::from_secs(30), "took {took:?}");
    assert!(get_object(bucket, &format!("{PREFIX}{INDEX_FILE}")).is_none());
    assert!(
        proxy.matched() < AUTHORS + 2,
        "uploads stopped early: {:#?}",
        proxy.log()
    );
    rerun_converges(&proxy, bucket);
}

#[test]
fn a_reset_connection_during_uploads_fails_the_run_and_a_rerun_converges() {
    testkit::require!(testkit::tools::Tool::Moto);
    let bucket = "faults-reset";
    setup(bucket);
    let proxy = FaultProxy::start(&moto().endpoint);
    proxy.set(Rule::new("PUT", ".png", 2, Fault::Reset));
    let (output, took) = run(&proxy, bucket);
    eprintln!("failed after {took:?}");
    let error = failure(&output);
    assert!(error.contains("PutObject"), "{error}");
    assert!(error.contains("index.json was not written"), "{error}");
    assert!(took < Duration::from_secs(30), "took {took:?}");
    assert!(get_object(bucket, &format!("{PREFIX}{INDEX_FILE}")).is_none());
    rerun_converges(&proxy, bucket);
}

#[test]
fn an_endpoint_that_never_answers_times_out_in_seconds_and_a_rerun_converges() {
    testkit::require!(testkit::tools::Tool::Moto);
    let bucket = "faults-silence";
    setup(bucket);
    let proxy = FaultProxy::start(&moto().endpoint);
    proxy.set(Rule::new("PUT", ".png", 1, Fault::Silence));
    let (output, took) = run(&proxy, bucket);
    eprintln!("failed after {took:?}");
    let error = failure(&output);
    assert!(error.contains("did not answer in time"), "{error}");
    assert!(
        error.contains("AUTHOR_STATS_S3_ATTEMPT_TIMEOUT_MS"),
        "{error}"
    );
    assert!(
        error.contains(&format!("{PREFIX}author-")),
        "names the object: {error}"
    );
    assert!(took < Duration::from_secs(20), "took {took:?}");
    assert!(get_object(bucket, &format!("{PREFIX}{INDEX_FILE}")).is_none());
    rerun_converges(&proxy, bucket);
}

#[test]
fn a_download_cut_short_every_time_fails_the_run_and_writes_nothing() {
    testkit::require!(testkit::tools::Tool::Moto);
    let bucket = "faults-cut";
    setup(bucket);
    let proxy = FaultProxy::start(&moto().endpoint);
    proxy.set(Rule::new(
        "GET",
        "posts.jsonl.gz",
        1,
        Fault::CutBody { after: 64 },
    ));
    let (output, took) = run(&proxy, bucket);
    eprintln!("failed after {took:?}");
    let error = failure(&output);
    assert!(error.contains("posts"), "{error}");
    assert!(
        error.contains("broke off") || error.contains("ended after"),
        "{error}"
    );
    assert!(took < Duration::from_secs(30), "took {took:?}");
    assert!(list(bucket, PREFIX).is_empty(), "nothing written");
    rerun_converges(&proxy, bucket);
}
