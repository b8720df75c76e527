//! Delivery (issue 12) against a local moto server: after a publish the job invalidates on
//! the CloudFront distribution exactly the paths of the objects it changed (`--invalidate`),
//! the prefix wildcard above `MAX_INVALIDATION_PATHS`, nothing on an unchanged rerun; a
//! failed invalidation is a warning, not a failed run; every format carries its Content-Type
//! and the Cache-Control of its kind.

mod aws_support;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use aws_sdk_cloudfront::types::{
    DefaultCacheBehavior, DistributionConfig, Origin, Origins, S3OriginConfig, ViewerProtocolPolicy,
};
use serde_json::Value;
use tempfile::TempDir;

use aws_support::*;
use contract::defaults::{CACHE_CONTROL, INDEX_CACHE_CONTROL, MAX_INVALIDATION_PATHS};
use contract::files::{AUTHORS_FILE, INDEX_FILE, POSTS_FILE};

const PREFIX: &str = "author-monthly-stats/";

fn cloudfront() -> &'static aws_sdk_cloudfront::Client {
    static CLIENT: OnceLock<aws_sdk_cloudfront::Client> = OnceLock::new();
    CLIENT.get_or_init(|| aws_sdk_cloudfront::Client::new(&moto().sdk_config()))
}

/// A distribution in front of `bucket`; its id.
fn distribution(bucket: &str) -> String {
    let origin = Origin::builder()
        .id("charts")
        .domain_name(format!("{bucket}.s3.amazonaws.com"))
        .s3_origin_config(S3OriginConfig::builder().origin_access_identity("").build())
        .build()
        .unwrap();
    let config = DistributionConfig::builder()
        .caller_reference(bucket)
        .comment("test")
        .enabled(true)
        .origins(
            Origins::builder()
                .quantity(1)
                .items(origin)
                .build()
                .unwrap(),
        )
        .default_cache_behavior(
            DefaultCacheBehavior::builder()
                .target_origin_id("charts")
                .viewer_protocol_policy(ViewerProtocolPolicy::RedirectToHttps)
                .cache_policy_id("658327ea-f89d-4fab-a63d-7e88639e58f6")
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    let created = block_on(
        cloudfront()
            .create_distribution()
            .distribution_config(config)
            .send(),
    )
    .unwrap_or_else(|e| panic!("create distribution: {e:?}"));
    created.distribution().unwrap().id().to_owned()
}

/// The path lists of every invalidation on `id` (in no particular order).
fn invalidations(id: &str) -> Vec<BTreeSet<String>> {
    block_on(async {
        let listed = cloudfront()
            .list_invalidations()
            .distribution_id(id)
            .send()
            .await
            .unwrap_or_else(|e| panic!("list invalidations: {e:?}"));
        let mut all = Vec::new();
        let summaries = listed
            .invalidation_list()
            .map(|l| l.items().to_vec())
            .unwrap_or_default();
        for summary in &summaries {
            let got = cloudfront()
                .get_invalidation()
                .distribution_id(id)
                .id(summary.id())
                .send()
                .await
                .unwrap_or_else(|e| panic!("get invalidation: {e:?}"));
            let paths = got
                .invalidation()
                .unwrap()
                .invalidation_batch()
                .unwrap()
                .paths()
                .unwrap()
                .items()
                .iter()
                .cloned()
                .collect();
            all.push(paths);
        }
        all
    })
}

/// The small sample export in `bucket`, its local folder kept alive.
fn export(bucket: &str) -> TempDir {
    let dir = TempDir::new().unwrap();
    let files = small_sample(dir.path());
    upload_sample(bucket, &files, POSTS_FILE, AUTHORS_FILE);
    dir
}

/// `author-stats run … --out s3://charts/PREFIX --json` with `extra` arguments.
fn publish(source: &str, charts: &str, extra: &[&str]) -> Run {
    let output = job_command()
        .args(["run", "--posts", &format!("s3://{source}/{POSTS_FILE}")])
        .args(["--authors", &format!("s3://{source}/{AUTHORS_FILE}")])
        .args(["--out", &format!("s3://{charts}/{PREFIX}")])
        .args(["--now", NOW, "--json"])
        .args(extra)
        .output()
        .expect("the job binary runs");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    Run { output, stderr }
}

fn etags(bucket: &str) -> BTreeMap<String, String> {
    list(bucket, PREFIX)
        .into_iter()
        .map(|(key, listed)| (key, listed.etag))
        .collect()
}

#[test]
fn an_unchanged_rerun_invalidates_nothing() {
    testkit::require!(testkit::tools::Tool::Moto);
    let _dir = export("inv-rerun-export");
    create_bucket("inv-rerun-charts");
    let id = distribution("inv-rerun-charts");
    let first = publish(
        "inv-rerun-export",
        "inv-rerun-charts",
        &["--days", DAYS, "--invalidate", &id],
    )
    .summary();
    let made = invalidations(&id);
    assert_eq!(made.len(), 1, "the first publish changed files: {made:?}");
    assert_eq!(first["invalidated_paths"], made[0].len());

    let second = publish(
        "inv-rerun-export",
        "inv-rerun-charts",
        &["--days", DAYS, "--invalidate", &id],
    )
    .summary();
    assert_eq!(second["charts_written"], 0);
    assert_eq!(second["invalidated_paths"], 0);
    assert_eq!(
        invalidations(&id).len(),
        1,
        "no request for an unchanged rerun"
    );
    assert_eq!(second["warnings"], Value::Array(Vec::new()));
}

#[test]
fn one_changed_author_invalidates_exactly_its_files_the_index_and_the_root() {
    testkit::require!(testkit::tools::Tool::Moto);
    let dir = export("inv-one-export");
    create_bucket("inv-one-charts");
    let id = distribution("inv-one-charts");
    publish(
        "inv-one-export",
        "inv-one-charts",
        &["--days", DAYS, "--invalidate", &id],
    )
    .summary();
    let before = etags("inv-one-charts");

    // One more post, inside the window, for a rendered author.
    let index: Value = serde_json::from_slice(
        &get_object("inv-one-charts", &format!("{PREFIX}{INDEX_FILE}")).unwrap(),
    )
    .unwrap();
    let author = index["authors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["rendered"] == true)
        .expect("a rendered author");
    let extra = format!(
        "{{\"id\":\"extra\",\"author_id\":{},\"first_published_at\":\"2025-11-24T12:00:00Z\"}}\n",
        serde_json::to_string(author["id"].as_str().unwrap()).unwrap()
    );
    let mut posts = std::fs::read(dir.path().join(POSTS_FILE)).unwrap();
    posts.extend(gz(extra.as_bytes()));
    put_object("inv-one-export", POSTS_FILE, posts);

    let second = publish(
        "inv-one-export",
        "inv-one-charts",
        &["--days", DAYS, "--invalidate", &id],
    )
    .summary();
    let after = etags("inv-one-charts");
    let changed: BTreeSet<String> = after
        .iter()
        .filter(|(key, etag)| before.get(*key) != Some(etag))
        .map(|(key, _)| format!("/{key}"))
        .chain(["/".to_owned()])
        .collect();
    let slug = author["slug"].as_str().unwrap();
    assert!(
        changed.contains(&format!("/{PREFIX}{slug}.png")),
        "{changed:?}"
    );
    assert!(
        changed.contains(&format!("/{PREFIX}{INDEX_FILE}")),
        "{changed:?}"
    );
    assert!(changed.len() <= MAX_INVALIDATION_PATHS, "{changed:?}");
    let made = invalidations(&id);
    assert_eq!(made.len(), 2, "{made:?}");
    assert!(
        made.contains(&changed),
        "exactly the changed objects, the index and /: {changed:?} is not in {made:?}"
    );
    assert_eq!(second["invalidated_paths"], changed.len());
}

#[test]
fn more_changes_than_the_limit_invalidate_the_prefix_wildcard() {
    testkit::require!(testkit::tools::Tool::Moto);
    let _dir = export("inv-all-export");
    create_bucket("inv-all-charts");
    let id = distribution("inv-all-charts");
    let summary = publish(
        "inv-all-export",
        "inv-all-charts",
        &["--all", "--invalidate", &id],
    )
    .summary();
    assert!(summary["charts_written"].as_u64().unwrap() as usize > MAX_INVALIDATION_PATHS);
    let made = invalidations(&id);
    assert_eq!(
        made,
        [BTreeSet::from(["/".to_owned(), format!("/{PREFIX}*")])]
    );
    assert_eq!(summary["invalidated_paths"], 2);
}

#[test]
fn a_failed_invalidation_is_a_warning_and_the_charts_stay_published() {
    testkit::require!(testkit::tools::Tool::Moto);
    let _dir = export("inv-fail-export");
    create_bucket("inv-fail-charts");
    let run = publish(
        "inv-fail-export",
        "inv-fail-charts",
        &["--days", DAYS, "--invalidate", "E0NOSUCHDIST"],
    );
    let summary = run.summary();
    assert_eq!(summary["invalidated_paths"], 0);
    let warnings = summary["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    let warning = warnings[0].as_str().unwrap();
    assert!(warning.contains("CreateInvalidation"), "{warning}");
    assert!(warning.contains("E0NOSUCHDIST"), "{warning}");
    assert!(
        warning.contains("aws cloudfront create-invalidation"),
        "{warning}"
    );
    assert!(get_object("inv-fail-charts", &format!("{PREFIX}{INDEX_FILE}")).is_some());
}

#[test]
fn every_format_carries_its_content_type_and_the_cache_control_of_its_kind() {
    testkit::require!(testkit::tools::Tool::Moto);
    let _dir = export("inv-types-export");
    create_bucket("inv-types-charts");
    publish("inv-types-export", "inv-types-charts", &["--days", DAYS]).summary();
    // By the end of the name: the longest suffix first.
    let types = [
        (".dark.png", "image/png"),
        (".png", "image/png"),
        (".dark.svg", "image/svg+xml"),
        (".svg", "image/svg+xml"),
        (".stats.json", "application/json"),
    ];
    let mut seen = BTreeSet::new();
    for key in list("inv-types-charts", PREFIX).keys() {
        let (content_type, cache_control) = head("inv-types-charts", key);
        if key.ends_with(INDEX_FILE) && !key.ends_with(".stats.json") {
            assert_eq!(content_type, "application/json", "{key}");
            assert_eq!(cache_control, INDEX_CACHE_CONTROL, "{key}");
            continue;
        }
        let (suffix, expected) = types
            .iter()
            .find(|(suffix, _)| key.ends_with(suffix))
            .unwrap_or_else(|| panic!("{key} has no known format"));
        assert_eq!(content_type, *expected, "{key}");
        assert_eq!(cache_control, CACHE_CONTROL, "{key}");
        seen.insert(*suffix);
    }
    for suffix in [".png", ".dark.png", ".stats.json"] {
        assert!(
            seen.contains(suffix),
            "no {suffix} file was published: {seen:?}"
        );
    }
}

#[test]
fn invalidate_needs_an_s3_output() {
    testkit::require!(testkit::tools::Tool::Moto);
    let dir = TempDir::new().unwrap();
    let output = job_command()
        .args(["run", "--posts", "p.jsonl.gz", "--authors", "a.jsonl.gz"])
        .args(["--out", &dir.path().display().to_string()])
        .args(["--invalidate", "E2EXAMPLE"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--invalidate needs --out s3://"),
        "{stderr}"
    );
}
