//! The job on S3 (issue 3), against a local moto server: the sample export read from a
//! source bucket, charts and `index.json` published under a prefix, identical to a local
//! run; unchanged charts are not uploaded again; a corrupt or missing export writes nothing.

mod aws_support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::Value;
use tempfile::TempDir;

use aws_support::*;
use contract::files::{AUTHORS_FILE, INDEX_FILE, POSTS_FILE};

const PREFIX: &str = "author-monthly-stats/";

/// A source bucket holding the small sample export, and the local files it came from.
struct Export {
    bucket: String,
    dir: TempDir,
}

impl Export {
    fn upload(bucket: &str) -> Export {
        let dir = TempDir::new().unwrap();
        let files = small_sample(dir.path());
        upload_sample(bucket, &files, POSTS_FILE, AUTHORS_FILE);
        Export {
            bucket: bucket.to_owned(),
            dir,
        }
    }

    fn posts_url(&self) -> String {
        format!("s3://{}/{POSTS_FILE}", self.bucket)
    }

    fn authors_url(&self) -> String {
        format!("s3://{}/{AUTHORS_FILE}", self.bucket)
    }

    fn local(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }
}

/// Publish the export to `s3://charts/PREFIX`.
fn publish(export: &Export, charts: &str) -> Value {
    run_job(
        &export.posts_url(),
        &export.authors_url(),
        &format!("s3://{charts}/{PREFIX}"),
    )
    .summary()
}

/// Every file of a local output folder, by name.
fn read_dir(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

/// Per-author objects (charts and stats), not `index.json`.
fn charts_in(listing: &BTreeMap<String, Listed>) -> usize {
    listing
        .keys()
        .filter(|k| k.ends_with(".png") || k.ends_with(".svg") || k.ends_with(".stats.json"))
        .count()
}

#[test]
fn s3_to_s3_run_publishes_the_same_charts_and_index_as_a_local_run() {
    testkit::require!(testkit::tools::Tool::Moto);
    let export = Export::upload("export-same-as-local");
    create_bucket("charts-same-as-local");
    let summary = publish(&export, "charts-same-as-local");

    let out = TempDir::new().unwrap();
    let local = run_job(
        &export.local(POSTS_FILE),
        &export.local(AUTHORS_FILE),
        &out.path().display().to_string(),
    )
    .summary();
    let expected = read_dir(out.path());
    let pngs = expected
        .keys()
        .filter(|k| k.ends_with(".png") && !k.ends_with(".dark.png"))
        .count();
    assert!(
        pngs >= 3,
        "the sample should render several charts, got {pngs}"
    );
    assert_eq!(summary["charts_rendered"], local["charts_rendered"]);
    assert_eq!(summary["charts_written"], pngs);
    assert_eq!(summary["charts_unchanged"], 0);
    assert_eq!(
        summary["output"],
        format!("s3://charts-same-as-local/{PREFIX}")
    );

    let listing = list("charts-same-as-local", "");
    let published: Vec<String> = listing.keys().cloned().collect();
    let wanted: Vec<String> = expected
        .keys()
        .map(|name| format!("{PREFIX}{name}"))
        .collect();
    assert_eq!(
        published, wanted,
        "exactly the local run's files, under the prefix"
    );
    for (name, bytes) in &expected {
        let got = get_object("charts-same-as-local", &format!("{PREFIX}{name}")).unwrap();
        if name == INDEX_FILE {
            let got: Value = serde_json::from_slice(&got).unwrap();
            let want: Value = serde_json::from_slice(bytes).unwrap();
            assert_eq!(got, want, "index.json");
        } else {
            assert!(got == *bytes, "{name}: S3 bytes differ from the local run");
        }
    }
}

#[test]
fn charts_are_uploaded_with_type_cache_control_and_md5_etag() {
    testkit::require!(testkit::tools::Tool::Moto);
    let export = Export::upload("export-headers");
    create_bucket("charts-headers");
    publish(&export, "charts-headers");
    let listing = list("charts-headers", PREFIX);
    let (key, listed) = listing.iter().find(|(k, _)| k.ends_with(".png")).unwrap();
    let (content_type, cache_control) = head("charts-headers", key);
    assert_eq!(content_type, "image/png");
    assert_eq!(cache_control, contract::defaults::CACHE_CONTROL);
    let bytes = get_object("charts-headers", key).unwrap();
    let md5 = format!("\"{}\"", hex_md5(&bytes));
    assert_eq!(listed.etag, md5, "single-part ETag is the MD5 of the bytes");
    let (index_type, _) = head("charts-headers", &format!("{PREFIX}{INDEX_FILE}"));
    assert_eq!(index_type, "application/json");
}

#[test]
fn rerun_with_nothing_changed_uploads_no_chart() {
    testkit::require!(testkit::tools::Tool::Moto);
    let export = Export::upload("export-rerun");
    create_bucket("charts-rerun");
    let first = publish(&export, "charts-rerun");
    let before = list("charts-rerun", PREFIX);
    let puts_before = logged_requests("PUT /charts-rerun/").len();

    let second = publish(&export, "charts-rerun");
    assert_eq!(second["charts_rendered"], first["charts_rendered"]);
    assert_eq!(second["charts_written"], 0);
    assert_eq!(second["charts_unchanged"], first["charts_rendered"]);

    let puts: Vec<String> = logged_requests("PUT /charts-rerun/").split_off(puts_before);
    assert_eq!(puts.len(), 1, "only index.json is put again: {puts:#?}");
    assert!(puts[0].contains(INDEX_FILE), "{puts:#?}");
    let after = list("charts-rerun", PREFIX);
    for (key, listed) in &before {
        if key.ends_with(".png") {
            assert_eq!(after[key].etag, listed.etag, "{key}");
        }
    }
}

#[test]
fn changing_one_authors_posts_uploads_exactly_that_chart() {
    testkit::require!(testkit::tools::Tool::Moto);
    let export = Export::upload("export-one-change");
    create_bucket("charts-one-change");
    let first = publish(&export, "charts-one-change");
    let before = list("charts-one-change", PREFIX);

    // Pick a rendered author and give them one more post inside the window.
    let index: Value = serde_json::from_slice(
        &get_object("charts-one-change", &format!("{PREFIX}{INDEX_FILE}")).unwrap(),
    )
    .unwrap();
    let author = index["authors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["rendered"] == true)
        .expect("a rendered author");
    let (id, slug) = (
        author["id"].as_str().unwrap(),
        author["slug"].as_str().unwrap(),
    );
    let extra = format!(
        "{{\"id\":\"extra-post\",\"author_id\":{},\"first_published_at\":\"2025-11-24T12:00:00Z\"}}\n",
        serde_json::to_string(id).unwrap()
    );
    // A gzip file may hold several members: append one with the new line.
    let mut posts = std::fs::read(export.dir.path().join(POSTS_FILE)).unwrap();
    posts.extend(gz(extra.as_bytes()));
    put_object(&export.bucket, POSTS_FILE, posts);

    let second = publish(&export, "charts-one-change");
    assert_eq!(second["charts_rendered"], first["charts_rendered"]);
    assert_eq!(second["charts_written"], 1);
    assert_eq!(
        second["charts_unchanged"].as_u64().unwrap(),
        first["charts_rendered"].as_u64().unwrap() - 1
    );
    let after = list("charts-one-change", PREFIX);
    let changed: BTreeSet<&String> = after
        .iter()
        .filter(|(key, listed)| before.get(*key).map(|b| &b.etag) != Some(&listed.etag))
        .map(|(key, _)| key)
        .collect();
    let index_key = format!("{PREFIX}{INDEX_FILE}");
    let chart_key = format!("{PREFIX}{slug}.png");
    let dark_key = format!("{PREFIX}{slug}.dark.png");
    let svg_key = format!("{PREFIX}{slug}.svg");
    let dark_svg_key = format!("{PREFIX}{slug}.dark.svg");
    let stats_key = format!("{PREFIX}{slug}.stats.json");
    assert_eq!(
        changed,
        BTreeSet::from([
            &index_key,
            &chart_key,
            &dark_key,
            &svg_key,
            &dark_svg_key,
            &stats_key
        ])
    );
}

#[test]
fn truncated_export_fails_writes_nothing_and_keeps_published_charts() {
    testkit::require!(testkit::tools::Tool::Moto);
    let export = Export::upload("export-truncated");
    create_bucket("charts-truncated");
    publish(&export, "charts-truncated");
    let before = list("charts-truncated", "");
    let index_before = get_object("charts-truncated", &format!("{PREFIX}{INDEX_FILE}"));
    let puts_before = logged_requests("PUT /charts-truncated/").len();

    let posts = std::fs::read(export.dir.path().join(POSTS_FILE)).unwrap();
    put_object(
        &export.bucket,
        POSTS_FILE,
        posts[..posts.len() / 2].to_vec(),
    );
    let run = run_job(
        &export.posts_url(),
        &export.authors_url(),
        &format!("s3://charts-truncated/{PREFIX}"),
    );
    let error = run.failure();
    assert!(
        error.contains(&export.posts_url()),
        "names the object: {error}"
    );
    assert!(error.contains("truncated"), "says why: {error}");

    assert_eq!(
        logged_requests("PUT /charts-truncated/").len(),
        puts_before,
        "nothing was written"
    );
    assert_eq!(
        list("charts-truncated", ""),
        before,
        "the published charts are intact"
    );
    assert_eq!(
        get_object("charts-truncated", &format!("{PREFIX}{INDEX_FILE}")),
        index_before
    );
    assert_eq!(charts_in(&before), before.len() - 1);
}

#[test]
fn missing_key_is_an_error_naming_bucket_and_key() {
    testkit::require!(testkit::tools::Tool::Moto);
    let export = Export::upload("export-missing-key");
    create_bucket("charts-missing-key");
    let missing = "s3://export-missing-key/daily/nope.jsonl.gz";
    let run = run_job(missing, &export.authors_url(), "s3://charts-missing-key/");
    let error = run.failure();
    assert!(error.contains(missing), "names bucket and key: {error}");
    assert!(error.contains("NoSuchKey"), "names the cause: {error}");
    assert!(error.contains("check"), "says what to check: {error}");
    assert!(list("charts-missing-key", "").is_empty());
}

#[test]
fn missing_bucket_is_an_error_naming_the_bucket() {
    testkit::require!(testkit::tools::Tool::Moto);
    let export = Export::upload("export-missing-bucket");
    let run = run_job(
        &export.posts_url(),
        &export.authors_url(),
        "s3://no-such-charts-bucket/stats/",
    );
    let error = run.failure();
    assert!(error.contains("no-such-charts-bucket"), "{error}");
    assert!(error.contains("NoSuchBucket"), "{error}");
}

#[test]
fn a_bad_s3_url_is_refused_before_any_request() {
    testkit::require!(testkit::tools::Tool::Moto);
    let output = job_command()
        .args([
            "run",
            "--posts",
            "s3://Bad_Bucket/x.gz",
            "--authors",
            "a.gz",
            "--out",
            "out",
        ])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("not a valid bucket name"), "{stderr}");
}

fn hex_md5(bytes: &[u8]) -> String {
    use md5::{Digest, Md5};
    Md5::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
