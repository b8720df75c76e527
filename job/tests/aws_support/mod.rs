//! Local AWS for the S3 and Lambda tests: one moto server (`testkit::moto`, installed by
//! `cargo xtask ci` under `target/tools/`) per test binary on 127.0.0.1, an S3 client for
//! the tests' own setup and checks, and the environment that points the job binary at moto.
//! Nothing here ever talks to anything but 127.0.0.1. Each test uses its own buckets, so
//! tests run in parallel against one server. Not every test file uses every helper.
#![allow(dead_code)]

pub(crate) use testkit::block_on;
pub(crate) use testkit::moto::moto;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::OnceLock;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::Client;
use flate2::write::GzEncoder;
use flate2::Compression;
use serde_json::Value;

use sample::{write_sample, SampleFiles, SampleSpec};

/// The `--now` (and sample `until`) of every run.
pub(crate) const NOW: &str = "2025-11-25T00:00:00Z";
/// The production window: a handful of the small sample's authors are rendered (rendering
/// is slow in debug builds, so tests keep the chart count small).
pub(crate) const DAYS: &str = "7";

/// An S3 client for moto, configured explicitly (not from this process's environment).
pub(crate) fn s3() -> &'static Client {
    static CLIENT: OnceLock<Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        let config = aws_sdk_s3::config::Builder::from(&moto().sdk_config())
            .force_path_style(true)
            .build();
        Client::from_conf(config)
    })
}

pub(crate) fn create_bucket(bucket: &str) {
    block_on(s3().create_bucket().bucket(bucket).send())
        .unwrap_or_else(|e| panic!("create bucket {bucket}: {e:?}"));
}

pub(crate) fn put_object(bucket: &str, key: &str, bytes: Vec<u8>) {
    block_on(
        s3().put_object()
            .bucket(bucket)
            .key(key)
            .body(ByteStream::from(bytes))
            .send(),
    )
    .unwrap_or_else(|e| panic!("put s3://{bucket}/{key}: {e:?}"));
}

/// The object's bytes, or `None` if there is no such object.
pub(crate) fn get_object(bucket: &str, key: &str) -> Option<Vec<u8>> {
    block_on(async {
        let out = s3()
            .get_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .ok()?;
        Some(out.body.collect().await.ok()?.into_bytes().to_vec())
    })
}

/// What a listing shows of one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Listed {
    pub etag: String,
    pub size: i64,
    pub last_modified: String,
}

/// Every object under `prefix`, by key.
pub(crate) fn list(bucket: &str, prefix: &str) -> BTreeMap<String, Listed> {
    block_on(async {
        let mut all = BTreeMap::new();
        let mut pages = s3()
            .list_objects_v2()
            .bucket(bucket)
            .prefix(prefix)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.unwrap_or_else(|e| panic!("list s3://{bucket}/{prefix}: {e:?}"));
            for o in page.contents() {
                all.insert(
                    o.key().unwrap().to_owned(),
                    Listed {
                        etag: o.e_tag().unwrap_or("").to_owned(),
                        size: o.size().unwrap_or(-1),
                        last_modified: o.last_modified().map(|t| t.to_string()).unwrap_or_default(),
                    },
                );
            }
        }
        all
    })
}

/// (Content-Type, Cache-Control) of an object.
pub(crate) fn head(bucket: &str, key: &str) -> (String, String) {
    block_on(async {
        let out = s3()
            .head_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .unwrap_or_else(|e| panic!("head s3://{bucket}/{key}: {e:?}"));
        (
            out.content_type().unwrap_or("").to_owned(),
            out.cache_control().unwrap_or("").to_owned(),
        )
    })
}

/// A small clean sample export (40 authors, 800 posts) written into `dir`.
pub(crate) fn small_sample(dir: &Path) -> SampleFiles {
    let spec = SampleSpec {
        authors: 40,
        posts: 800,
        seed: 7,
        dirty: false,
        body_bytes: 300,
        ..SampleSpec::default()
    };
    write_sample(dir, &spec).expect("sample export")
}

/// Create `bucket` and upload the sample's two files as `posts_key` and `authors_key`.
pub(crate) fn upload_sample(bucket: &str, files: &SampleFiles, posts_key: &str, authors_key: &str) {
    create_bucket(bucket);
    put_object(bucket, posts_key, std::fs::read(&files.posts).unwrap());
    put_object(bucket, authors_key, std::fs::read(&files.authors).unwrap());
}

/// `bytes` as one gzip member (members can be appended to a gzip file).
pub(crate) fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// The job binary with an environment that points every AWS client at moto: dummy
/// credentials, us-east-1, one attempt, no profile files, no instance metadata, and no
/// inherited Lambda runtime variable.
pub(crate) fn job_command() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_author-stats"));
    moto().configure(&mut cmd);
    cmd.env("CI", "true");
    cmd
}

/// A finished CLI run.
pub(crate) struct Run {
    pub output: Output,
    pub stderr: String,
}

impl Run {
    /// The `--json` summary of a run that must have succeeded.
    pub(crate) fn summary(&self) -> Value {
        assert!(
            self.output.status.success(),
            "run failed ({}); stderr:\n{}",
            self.output.status,
            self.stderr
        );
        let stdout = String::from_utf8_lossy(&self.output.stdout);
        serde_json::from_str(stdout.trim())
            .unwrap_or_else(|e| panic!("summary JSON: {e}: {stdout}"))
    }

    /// The error text of a run that must have failed.
    pub(crate) fn failure(&self) -> &str {
        assert!(
            !self.output.status.success(),
            "run succeeded but should have failed; stderr:\n{}",
            self.stderr
        );
        &self.stderr
    }
}

/// `author-stats run --posts P --authors A --out O --now NOW --days DAYS --json`.
pub(crate) fn run_job(posts: &str, authors: &str, out: &str) -> Run {
    let output = job_command()
        .args(["run", "--posts", posts, "--authors", authors, "--out", out])
        .args(["--now", NOW, "--days", DAYS, "--json"])
        .output()
        .expect("the job binary runs");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    Run { output, stderr }
}

/// Request lines in moto's log that contain `needle` (e.g. `"PUT /bucket/"`).
pub(crate) fn logged_requests(needle: &str) -> Vec<String> {
    moto()
        .settled_log()
        .lines()
        .filter(|l| l.contains(needle))
        .map(str::to_owned)
        .collect()
}
