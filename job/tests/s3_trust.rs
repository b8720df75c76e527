//! The job on S3, against moto: removal of the objects the published index recorded for
//! authors who left the listing (never a key by its shape: a site's `favicon.png` under the
//! prefix stays), the publish guards reading the published
//! `index.json` with one GET and writing nothing when they refuse, and chart headers that
//! follow the configuration (data-spec §1, §7).

mod aws_support;

use std::collections::BTreeSet;
use std::process::Output;

use aws_support::*;
use contract::files::INDEX_FILE;
use serde_json::Value;

const PREFIX: &str = "stats/";
const RECENT: &str = "2025-11-24T00:00:00Z";

fn master(ids: &[usize]) -> String {
    ids.iter()
        .map(|i| {
            format!("{{\"id\":\"a{i}\",\"slug\":\"author-{i}\",\"display_name\":\"Author {i}\"}}\n")
        })
        .collect()
}

fn posts(ids: &[usize]) -> String {
    ids.iter()
        .map(|i| format!("{{\"author_id\":\"a{i}\",\"first_published_at\":\"{RECENT}\"}}\n"))
        .collect()
}

/// Upload the export under `export/` of `bucket` (created on first use).
fn export(bucket: &str, posts: &str, authors: &str) {
    put_object(bucket, "export/posts.jsonl.gz", gz(posts.as_bytes()));
    put_object(bucket, "export/authors.jsonl.gz", gz(authors.as_bytes()));
}

fn run(bucket: &str, args: &[&str]) -> Output {
    job_command()
        .args(["run", "--json", "--now", NOW])
        .arg("--posts")
        .arg(format!("s3://{bucket}/export/posts.jsonl.gz"))
        .arg("--authors")
        .arg(format!("s3://{bucket}/export/authors.jsonl.gz"))
        .arg("--out")
        .arg(format!("s3://{bucket}/{PREFIX}"))
        .args(args)
        .output()
        .expect("the job runs")
}

fn summary(output: &Output) -> Value {
    assert!(
        output.status.success(),
        "stderr:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn keys(bucket: &str) -> BTreeSet<String> {
    list(bucket, "").into_keys().collect()
}

#[test]
fn s3_run_after_authors_leave_deletes_exactly_their_recorded_objects() {
    testkit::require!(testkit::tools::Tool::Moto);
    let bucket = "trust-removal";
    create_bucket(bucket);
    let all: Vec<usize> = (0..20).collect();
    export(bucket, &posts(&all), &master(&all));
    summary(&run(bucket, &[]));
    // Objects the job never wrote, several of them shaped like an author's files.
    for key in [
        "stats/notes.txt",
        "stats/sub/author-19.png",
        "other/author-19.png",
        "stats/Author-18.png",
        "stats/author-18.light.svg",
        "stats/old-author.png",
        "stats/favicon.png",
        "stats/x.svg",
    ] {
        put_object(bucket, key, b"x".to_vec());
    }
    let before = keys(bucket);
    let deletes = || {
        logged_requests(&format!("POST /{bucket}"))
            .iter()
            .filter(|l| l.contains("delete"))
            .count()
    };
    let deletes_before = deletes();

    let stay: Vec<usize> = (0..18).collect();
    export(bucket, &posts(&all), &master(&stay));
    let s = summary(&run(bucket, &[]));
    assert_eq!(s["charts_removed"], 10);
    let gone: BTreeSet<String> = ["author-18", "author-19"]
        .iter()
        .flat_map(|slug| {
            ["png", "dark.png", "svg", "dark.svg", "stats.json"]
                .map(|suffix| format!("stats/{slug}.{suffix}"))
        })
        .collect();
    let expected: BTreeSet<String> = before.difference(&gone).cloned().collect();
    assert_eq!(keys(bucket), expected);
    for kept in ["stats/favicon.png", "stats/x.svg", "stats/old-author.png"] {
        assert_eq!(get_object(bucket, kept).unwrap(), b"x", "{kept}");
    }
    assert_eq!(deletes() - deletes_before, 1, "one DeleteObjects call");
}

#[test]
fn an_s3_index_written_before_files_were_recorded_removes_nothing() {
    testkit::require!(testkit::tools::Tool::Moto);
    let bucket = "trust-removal-old-index";
    create_bucket(bucket);
    let all: Vec<usize> = (0..3).collect();
    export(bucket, &posts(&all), &master(&all));
    summary(&run(bucket, &[]));
    let index_key = format!("{PREFIX}{INDEX_FILE}");
    let mut index: Value =
        serde_json::from_slice(&get_object(bucket, &index_key).unwrap()).unwrap();
    for entry in index["authors"].as_array_mut().unwrap() {
        entry.as_object_mut().unwrap().remove("files");
    }
    put_object(bucket, &index_key, serde_json::to_vec(&index).unwrap());
    let before: BTreeSet<String> = keys(bucket)
        .into_iter()
        .filter(|k| k.starts_with("stats/author-2."))
        .collect();
    assert_eq!(before.len(), 5);

    export(bucket, &posts(&all), &master(&[0, 1]));
    let s = summary(&run(bucket, &["--allow-shrink"]));
    assert_eq!(s["charts_removed"], 0);
    assert!(before.is_subset(&keys(bucket)));
    let warnings = s["warnings"].to_string();
    assert!(
        warnings.contains("records no files for 1 author(s)"),
        "{warnings}"
    );
}

#[test]
fn an_s3_guard_refusal_reads_the_index_once_and_writes_nothing() {
    testkit::require!(testkit::tools::Tool::Moto);
    let bucket = "trust-guard";
    create_bucket(bucket);
    let all: Vec<usize> = (0..10).collect();
    export(bucket, &posts(&all), &master(&all));
    summary(&run(bucket, &[]));
    let before = list(bucket, PREFIX);
    let gets = logged_requests(&format!("GET /{bucket}/{PREFIX}{INDEX_FILE}")).len();
    let writes = logged_requests(&format!("PUT /{bucket}/{PREFIX}")).len();

    export(bucket, &posts(&all), &master(&all[..5]));
    let output = run(bucket, &[]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("from 10 to 5 authors"), "{stderr}");
    assert!(stderr.contains("nothing was written"), "{stderr}");
    assert_eq!(
        logged_requests(&format!("GET /{bucket}/{PREFIX}{INDEX_FILE}")).len() - gets,
        1,
        "one GET of index.json"
    );
    assert_eq!(
        logged_requests(&format!("PUT /{bucket}/{PREFIX}")).len(),
        writes
    );
    assert_eq!(list(bucket, PREFIX), before);

    let s = summary(&run(bucket, &["--allow-shrink"]));
    assert_eq!(s["authors_listed"], 5);
    assert_eq!(
        s["charts_removed"], 25,
        "PNG and SVG in light and dark, and stats, of 5 authors"
    );
}

#[test]
fn a_changed_cache_control_refreshes_charts_whose_bytes_are_unchanged() {
    testkit::require!(testkit::tools::Tool::Moto);
    let bucket = "trust-headers";
    create_bucket(bucket);
    let all: Vec<usize> = (0..4).collect();
    export(bucket, &posts(&all), &master(&all));
    summary(&run(bucket, &[]));
    let etags: Vec<String> = list(bucket, PREFIX)
        .values()
        .map(|l| l.etag.clone())
        .collect();

    let s = summary(&run(bucket, &["--cache-control", "no-cache"]));
    assert_eq!(s["charts_written"], 0);
    assert_eq!(s["charts_unchanged"], 4);
    assert_eq!(
        s["charts_refreshed"], 20,
        "PNG and SVG in light and dark, and stats, of 4 authors"
    );
    for i in all {
        for (name, want) in [
            (format!("author-{i}.png"), "image/png"),
            (format!("author-{i}.dark.png"), "image/png"),
            (format!("author-{i}.svg"), "image/svg+xml"),
            (format!("author-{i}.dark.svg"), "image/svg+xml"),
            (format!("author-{i}.stats.json"), "application/json"),
        ] {
            let (content_type, cache_control) = head(bucket, &format!("{PREFIX}{name}"));
            assert_eq!(
                (content_type.as_str(), cache_control.as_str()),
                (want, "no-cache"),
                "{name}"
            );
        }
    }
    let after: Vec<String> = list(bucket, PREFIX)
        .values()
        .map(|l| l.etag.clone())
        .collect();
    assert_eq!(after.len(), etags.len());
    for (key, listed) in list(bucket, PREFIX) {
        if key.ends_with(".png") {
            assert!(etags.contains(&listed.etag), "{key}: same bytes, same ETag");
        }
    }

    let again = summary(&run(bucket, &["--cache-control", "no-cache"]));
    assert_eq!(
        again["charts_refreshed"], 0,
        "nothing to refresh once they match"
    );
}
