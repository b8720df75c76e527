//! The fan-out (data-spec §9) on S3, against a local moto server: `count`, every batch's
//! `render`, `finish` publish under the prefix exactly the objects (bytes, Content-Type,
//! Cache-Control) one `run` publishes into another bucket; the working files live under
//! `author-stats-runs/` beside the prefix and are gone after `finish`; a render step of an
//! unchanged rerun uploads nothing.

mod aws_support;

use std::collections::BTreeMap;

use serde_json::Value;
use tempfile::TempDir;

use aws_support::*;
use contract::files::{AUTHORS_FILE, POSTS_FILE, RUNS_PREFIX};

const PREFIX: &str = "author-monthly-stats/";

fn step(args: &[&str]) -> Value {
    let output = job_command().args(args).arg("--json").output().unwrap();
    assert!(
        output.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// Every object under the prefix: name → (bytes, Content-Type, Cache-Control).
fn published(bucket: &str) -> BTreeMap<String, (Vec<u8>, String, String)> {
    list(bucket, PREFIX)
        .into_keys()
        .map(|key| {
            let bytes = get_object(bucket, &key).unwrap();
            let (content_type, cache_control) = head(bucket, &key);
            (
                key.strip_prefix(PREFIX).unwrap().to_owned(),
                (bytes, content_type, cache_control),
            )
        })
        .collect()
}

/// count → render every batch → finish into `s3://charts/PREFIX`; the render answers.
fn fan_out(posts: &str, authors: &str, charts: &str) -> Vec<Value> {
    let out = format!("s3://{charts}/{PREFIX}");
    let counted = step(&[
        "count",
        "--posts",
        posts,
        "--authors",
        authors,
        "--out",
        &out,
        "--now",
        NOW,
        "--all",
        "--batch-authors",
        "6",
    ]);
    let run = counted["run"].as_str().unwrap().to_owned();
    let batches = counted["batches"].as_u64().unwrap();
    assert!(batches >= 3, "{counted}");
    assert_eq!(
        list(charts, &format!("{RUNS_PREFIX}{run}/batches/")).len() as u64,
        batches,
        "the batch files are beside the prefix, where the state machine lists them"
    );
    let answers = (0..batches)
        .map(|n| {
            step(&[
                "render",
                "--out",
                &out,
                "--run",
                &run,
                "--batch",
                &format!("{RUNS_PREFIX}{run}/batches/{n:05}.json"),
            ])
        })
        .collect();
    let summary = step(&["finish", "--out", &out, "--run", &run]);
    assert!(summary["authors_listed"].as_u64().unwrap() > 0);
    assert!(
        list(charts, RUNS_PREFIX).is_empty(),
        "finish deletes the run's working files"
    );
    answers
}

#[test]
fn count_render_finish_on_s3_equals_the_single_run() {
    testkit::require!(testkit::tools::Tool::Moto);
    let dir = TempDir::new().unwrap();
    let files = small_sample(dir.path());
    upload_sample("fan-src", &files, POSTS_FILE, AUTHORS_FILE);
    let posts = format!("s3://fan-src/{POSTS_FILE}");
    let authors = format!("s3://fan-src/{AUTHORS_FILE}");

    create_bucket("fan-single");
    let single = job_command()
        .args(["run", "--posts", &posts, "--authors", &authors])
        .args(["--out", &format!("s3://fan-single/{PREFIX}")])
        .args(["--now", NOW, "--all"])
        .output()
        .unwrap();
    assert!(
        single.status.success(),
        "{}",
        String::from_utf8_lossy(&single.stderr)
    );

    create_bucket("fan-out");
    let first = fan_out(&posts, &authors, "fan-out");
    assert!(first.iter().all(|a| a["written"] == a["rendered"]));
    let (a, b) = (published("fan-single"), published("fan-out"));
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (name, object) in &a {
        assert!(*object == b[name], "{name} differs between run and fan-out");
    }

    // The same run again: the render steps find every file unchanged (from the listing
    // `count` took), and the published objects stay as they are.
    let again = fan_out(&posts, &authors, "fan-out");
    assert!(
        again
            .iter()
            .all(|a| a["written"] == 0 && a["unchanged"] == a["rendered"]),
        "{again:?}"
    );
    assert!(published("fan-out") == b);
}
