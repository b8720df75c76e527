//! Reading an export from S3 by ranged GETs, against moto behind the fault proxy of
//! `testkit`: parts of every size give back the object's bytes in order (boundaries inside
//! gzip member headers, inside lines, a line across three parts); a part that fails twice, or
//! whose body is cut, is asked for again on its own; an object replaced between two parts
//! fails the run with 412 and writes nothing; an object of one part is one GET.

mod aws_support;

use std::io::Read;
use std::path::Path;
use std::time::{Duration, Instant};

use author_stats::aws::client::{s3_client_with, Timeouts};
use author_stats::aws::s3_source;
use author_stats::aws::S3Object;
use author_stats::download_options::{DownloadOptions, PartSize};
use author_stats::ingest::Source;
use aws_sdk_s3::config::retry::RetryConfig;
use aws_support::*;
use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;
use flate2::Compression;
use std::io::Write;
use testkit::fault_proxy::{Fault, FaultProxy, Rule};

/// A line of 120 bytes: across three parts of 40 bytes or less.
const LONG_LINE: &str = "{\"author_id\":\"a1\",\"first_published_at\":\"2025-11-24T00:00:00Z\",\"body\":\"a line that spans three small parts\"}";

/// Three gzip members, stored rather than deflated so the compressed bytes hold the lines
/// as they are: part boundaries fall in member headers, in lines and between them.
fn export() -> (Vec<u8>, String) {
    let members = [
        "a\nbb\n".to_owned(),
        format!("{LONG_LINE}\n"),
        "ccc\n".to_owned(),
    ];
    let mut gzip = Vec::new();
    for text in &members {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::none());
        encoder.write_all(text.as_bytes()).unwrap();
        gzip.extend(encoder.finish().unwrap());
    }
    (gzip, members.concat())
}

/// An S3 client through `proxy` that never retries on its own (the retries seen are the
/// reader's).
fn client(proxy: &FaultProxy) -> aws_sdk_s3::Client {
    let shared = moto()
        .sdk_config()
        .to_builder()
        .endpoint_url(&proxy.endpoint)
        .retry_config(RetryConfig::disabled())
        .build();
    s3_client_with(&shared, Timeouts::default()).unwrap()
}

fn options(concurrency: usize, part_size: u64) -> DownloadOptions {
    DownloadOptions {
        concurrency,
        part_size: part_size.to_string().parse::<PartSize>().unwrap(),
    }
}

/// Open `s3://bucket/key` through `proxy`.
fn open(proxy: &FaultProxy, bucket: &str, key: &str, options: DownloadOptions) -> Source {
    let client = client(proxy);
    let object = S3Object::new(bucket, key).unwrap();
    block_on(s3_source::open(&client, &object, "posts", options)).unwrap()
}

/// Every byte of `s3://bucket/key` as the ingest stage would read it.
fn read(
    proxy: &FaultProxy,
    bucket: &str,
    key: &str,
    options: DownloadOptions,
) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    open(proxy, bucket, key, options)
        .reader
        .read_to_end(&mut bytes)
        .map(|_| bytes)
}

/// The proxy's log lines of GETs of `key`.
fn gets(proxy: &FaultProxy, key: &str) -> Vec<String> {
    proxy
        .log()
        .into_iter()
        .filter(|l| l.starts_with("GET ") && l.contains(key))
        .collect()
}

/// The test export stored as `s3://bucket/posts.jsonl.gz` in moto, a fault proxy in front
/// of moto, and the export's gzip bytes.
fn stored_export(bucket: &str) -> (FaultProxy, Vec<u8>) {
    let (gzip, _) = export();
    create_bucket(bucket);
    put_object(bucket, "posts.jsonl.gz", gzip.clone());
    (FaultProxy::start(&moto().endpoint), gzip)
}

#[test]
fn parts_of_every_size_give_back_the_object_in_order() {
    testkit::require!(testkit::tools::Tool::Moto);
    let bucket = "ranged-alignments";
    let (gzip, text) = export();
    let len = gzip.len() as u64;
    create_bucket(bucket);
    put_object(bucket, "posts.jsonl.gz", gzip.clone());
    let proxy = FaultProxy::start(&moto().endpoint);
    // Sizes 1 to 12 split every byte of the first member's 10-byte header and of every
    // line; 40 and less put the long line across three parts or more.
    let sizes = (1..=12).chain([13, 17, 31, 40, 64, len - 1, len, len + 1]);
    for (i, part_size) in sizes.enumerate() {
        let concurrency = [2, 8, 3][i % 3];
        proxy.set(Rule::pass());
        let before = gets(&proxy, "posts.jsonl.gz").len();
        let bytes = read(
            &proxy,
            bucket,
            "posts.jsonl.gz",
            options(concurrency, part_size),
        )
        .unwrap_or_else(|e| panic!("part size {part_size}: {e}"));
        assert!(bytes == gzip, "part size {part_size}: other bytes");
        let mut inflated = String::new();
        MultiGzDecoder::new(&bytes[..])
            .read_to_string(&mut inflated)
            .unwrap();
        assert_eq!(inflated, text, "part size {part_size}");
        let requests = gets(&proxy, "posts.jsonl.gz").len() - before;
        assert_eq!(
            requests as u64,
            len.div_ceil(part_size),
            "part size {part_size}: one GET per part"
        );
    }
}

#[test]
fn an_object_of_one_part_is_one_get_and_an_empty_one_reads_empty() {
    testkit::require!(testkit::tools::Tool::Moto);
    let bucket = "ranged-one-part";
    create_bucket(bucket);
    put_object(bucket, "small.gz", gz(b"{\"id\":\"a1\"}\n"));
    put_object(bucket, "empty.gz", Vec::new());
    let proxy = FaultProxy::start(&moto().endpoint);
    let bytes = read(&proxy, bucket, "small.gz", DownloadOptions::default()).unwrap();
    assert_eq!(bytes, gz(b"{\"id\":\"a1\"}\n"));
    let log = gets(&proxy, "small.gz");
    assert_eq!(log.len(), 1, "{log:#?}");
    let first = format!("[bytes=0-{}]", PartSize::default().bytes() - 1);
    assert!(log[0].contains(&first), "{log:#?}");
    let bytes = read(&proxy, bucket, "empty.gz", DownloadOptions::default()).unwrap();
    assert!(bytes.is_empty());
}

#[test]
fn with_concurrency_1_the_object_is_one_get_without_a_range() {
    testkit::require!(testkit::tools::Tool::Moto);
    let bucket = "ranged-single";
    let (proxy, gzip) = stored_export(bucket);
    let bytes = read(&proxy, bucket, "posts.jsonl.gz", options(1, 16)).unwrap();
    assert!(bytes == gzip);
    let log = gets(&proxy, "posts.jsonl.gz");
    assert_eq!(log.len(), 1, "{log:#?}");
    assert!(!log[0].contains("[bytes="), "{log:#?}");
}

#[test]
fn a_part_that_fails_twice_is_asked_for_again_and_read_whole() {
    testkit::require!(testkit::tools::Tool::Moto);
    let bucket = "ranged-fails-twice";
    let (proxy, gzip) = stored_export(bucket);
    proxy.set(
        Rule::new("GET", "posts.jsonl.gz", 1, Fault::Status500)
            .when_head_contains("range: bytes=32-")
            .times(2),
    );
    let bytes = read(&proxy, bucket, "posts.jsonl.gz", options(4, 16)).unwrap();
    assert!(bytes == gzip);
    let part: Vec<String> = gets(&proxy, "posts.jsonl.gz")
        .into_iter()
        .filter(|l| l.contains("[bytes=32-47]"))
        .collect();
    assert_eq!(part.len(), 3, "{part:#?}");
    assert!(part[2].ends_with("Pass"), "{part:#?}");
}

#[test]
fn a_body_cut_mid_part_is_resumed_from_its_first_missing_byte() {
    testkit::require!(testkit::tools::Tool::Moto);
    let bucket = "ranged-cut";
    let (proxy, gzip) = stored_export(bucket);
    proxy.set(
        Rule::new("GET", "posts.jsonl.gz", 1, Fault::CutBody { after: 10 })
            .when_head_contains("range: bytes=64-")
            .times(1),
    );
    let bytes = read(&proxy, bucket, "posts.jsonl.gz", options(3, 64)).unwrap();
    assert!(bytes == gzip);
    let log = gets(&proxy, "posts.jsonl.gz");
    assert!(
        log.iter().any(|l| l.contains("[bytes=74-127]")),
        "the rest of the part, once: {log:#?}"
    );
}

#[test]
fn a_part_that_keeps_failing_ends_the_read_after_three_retries() {
    testkit::require!(testkit::tools::Tool::Moto);
    let bucket = "ranged-cut-always";
    let (proxy, _) = stored_export(bucket);
    proxy.set(
        Rule::new("GET", "posts.jsonl.gz", 1, Fault::CutBody { after: 0 })
            .when_head_contains("range: bytes=64-"),
    );
    let error = read(&proxy, bucket, "posts.jsonl.gz", options(3, 64)).unwrap_err();
    let text = error.to_string();
    assert!(text.contains("broke off at byte 64 of"), "{text}");
    assert!(text.contains("(3 retries)"), "{text}");
    assert_eq!(proxy.matched(), 4, "{:#?}", proxy.log());
}

#[test]
fn parts_in_flight_never_exceed_the_concurrency() {
    testkit::require!(testkit::tools::Tool::Moto);
    let bucket = "ranged-bounded";
    let object: Vec<u8> = (0..1000u32).map(|i| (i % 251) as u8).collect();
    create_bucket(bucket);
    put_object(bucket, "big.bin", object.clone());
    let proxy = FaultProxy::start(&moto().endpoint);
    let mut source = open(&proxy, bucket, "big.bin", options(3, 10));
    let mut first = [0u8; 1];
    source.reader.read_exact(&mut first).unwrap();
    // Part 0 is not read to its end, so it keeps its slot: parts 1 and 2 may be asked
    // for, no more, however long the reader waits.
    std::thread::sleep(Duration::from_millis(300));
    let log = gets(&proxy, "big.bin");
    assert!(log.len() <= 3, "{log:#?}");
    let mut rest = Vec::new();
    source.reader.read_to_end(&mut rest).unwrap();
    assert_eq!([&first[..], &rest].concat(), object);
    assert_eq!(gets(&proxy, "big.bin").len(), 100);
}

/// The files of a folder: name → bytes.
fn files(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

#[test]
fn a_run_reading_small_parts_through_a_cut_publishes_what_a_local_run_does() {
    testkit::require!(testkit::tools::Tool::Moto);
    let bucket = "ranged-run";
    let dir = tempfile::tempdir().unwrap();
    let sample = small_sample(&dir.path().join("export"));
    upload_sample(bucket, &sample, "posts.jsonl.gz", "authors.jsonl.gz");
    let local = run_job(
        sample.posts.to_str().unwrap(),
        sample.authors.to_str().unwrap(),
        dir.path().join("local").to_str().unwrap(),
    );
    local.summary();
    let proxy = FaultProxy::start(&moto().endpoint);
    proxy.set(
        Rule::new("GET", "posts.jsonl.gz", 1, Fault::CutBody { after: 1000 })
            .when_head_contains("range: bytes=16384-")
            .times(1),
    );
    let out = dir.path().join("ranged");
    let output = job_command()
        .env("AWS_ENDPOINT_URL", &proxy.endpoint)
        .args(["run", "--json", "--now", NOW, "--days", DAYS])
        .args([
            "--download-part-size",
            "8KiB",
            "--download-concurrency",
            "4",
        ])
        .arg("--posts")
        .arg(format!("s3://{bucket}/posts.jsonl.gz"))
        .arg("--authors")
        .arg(format!("s3://{bucket}/authors.jsonl.gz"))
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(proxy.matched(), 1, "the cut happened: {:#?}", proxy.log());
    assert!(
        gets(&proxy, "posts.jsonl.gz").len() > 3,
        "several parts: {:#?}",
        proxy.log()
    );
    let (want, got) = (files(&dir.path().join("local")), files(&out));
    assert_eq!(
        want.keys().collect::<Vec<_>>(),
        got.keys().collect::<Vec<_>>()
    );
    for (name, bytes) in &want {
        assert!(got[name] == *bytes, "{name} differs from the local run's");
    }
}

#[test]
fn an_object_replaced_between_two_parts_fails_the_run_with_412_and_writes_nothing() {
    testkit::require!(testkit::tools::Tool::Moto);
    let bucket = "ranged-replaced";
    let dir = tempfile::tempdir().unwrap();
    let sample = small_sample(&dir.path().join("export"));
    upload_sample(bucket, &sample, "posts.jsonl.gz", "authors.jsonl.gz");
    let proxy = FaultProxy::start(&moto().endpoint);
    // Part 1 of the posts is held at the proxy until the object has been replaced.
    proxy.set(
        Rule::new("GET", "posts.jsonl.gz", 1, Fault::Hold).when_head_contains("range: bytes=8192-"),
    );
    let out = dir.path().join("out");
    let child = job_command()
        .env("AWS_ENDPOINT_URL", &proxy.endpoint)
        .args(["run", "--json", "--now", NOW, "--days", DAYS])
        .args(["--download-part-size", "8KiB"])
        .arg("--posts")
        .arg(format!("s3://{bucket}/posts.jsonl.gz"))
        .arg("--authors")
        .arg(format!("s3://{bucket}/authors.jsonl.gz"))
        .arg("--out")
        .arg(&out)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let waited = Instant::now();
    while proxy.matched() == 0 {
        assert!(
            waited.elapsed() < Duration::from_secs(120),
            "part 1 was never asked for: {:#?}",
            proxy.log()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut replaced = std::fs::read(&sample.posts).unwrap();
    replaced.extend(gz(b"\n"));
    put_object(bucket, "posts.jsonl.gz", replaced);
    proxy.release();
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let error = stderr.lines().find(|l| l.starts_with("error:")).unwrap();
    assert!(error.contains("PreconditionFailed"), "{error}");
    assert!(
        error.contains("replaced while it was being read"),
        "{error}"
    );
    assert!(error.contains("posts"), "{error}");
    assert!(!out.exists(), "nothing written");
}
