//! The image booted as Lambda boots it (issue 21): the test image, built with a test CA as
//! its bundle, unpacked by umoci and run by runc in Lambda's sandbox (read-only root, /tmp
//! only, non-root, no capabilities, a network namespace with loopback only), serving
//! invocations from the testkit's Runtime API while S3 is moto behind a TLS endpoint that
//! CA signed (both bound inside the container's namespace), so the shipped binary loads its
//! certificates and completes a real handshake (the same executable on the host, trusting
//! only the host's bundle, is refused). What it publishes equals, byte for byte,
//! what the same executable writes to a local folder from the same export.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::Client;
use serde_json::{json, Value};

use contract::{defaults, env, files};
use sample::{write_sample, SampleFiles, SampleSpec};
use testkit::moto::moto;
use testkit::runc::{
    lambda_environment, lambda_sandbox, unpack, Container, RUNTIME_API_PORT, S3_PORT,
};
use testkit::runtime_api::{Outcome, RuntimeApi};
use testkit::tls_endpoint::TlsEndpoint;
use testkit::tools::Tool;
use xtask_image::{self as image, Arch, BuildOptions, Profile};

const NOW: &str = defaults::SAMPLE_NOW;
const PREFIX: &str = files::DEFAULT_CHARTS_PREFIX;
const SOURCE: &str = "boot-source";
const CHARTS: &str = "boot-charts";
const POSTS_KEY: &str = "contentful/all-blog-posts.jsonl.gz";
const AUTHORS_KEY: &str = "contentful/authorProfile.jsonl.gz";
/// One invocation of the unoptimised build renders every author of the small sample.
const WAIT: Duration = Duration::from_secs(300);

fn s3() -> &'static Client {
    static CLIENT: OnceLock<Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        let config = aws_sdk_s3::config::Builder::from(&moto().sdk_config())
            .force_path_style(true)
            .build();
        Client::from_conf(config)
    })
}

fn put(bucket: &str, key: &str, path: &Path) {
    let body = ByteStream::from(std::fs::read(path).unwrap());
    testkit::block_on(s3().put_object().bucket(bucket).key(key).body(body).send())
        .unwrap_or_else(|e| panic!("put s3://{bucket}/{key}: {e:?}"));
}

fn create_bucket(bucket: &str) {
    testkit::block_on(s3().create_bucket().bucket(bucket).send())
        .unwrap_or_else(|e| panic!("create bucket {bucket}: {e:?}"));
}

/// Every object under `prefix`, by key, with its bytes.
fn objects(bucket: &str, prefix: &str) -> BTreeMap<String, Vec<u8>> {
    testkit::block_on(async {
        let mut all = BTreeMap::new();
        let mut pages = s3()
            .list_objects_v2()
            .bucket(bucket)
            .prefix(prefix)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            for o in page.unwrap().contents() {
                let key = o.key().unwrap().to_owned();
                let got = s3().get_object().bucket(bucket).key(&key).send().await;
                let bytes = got.unwrap().body.collect().await.unwrap().into_bytes();
                all.insert(key, bytes.to_vec());
            }
        }
        all
    })
}

/// Every file of a local output folder, by the key it has under [`PREFIX`].
fn local_files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_file())
        .map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            (format!("{PREFIX}{name}"), std::fs::read(e.path()).unwrap())
        })
        .collect()
}

/// The published objects equal the local run's files: the same names, the same bytes.
fn assert_published_equals_local(local: &Path, what: &str) {
    let published = objects(CHARTS, PREFIX);
    let local = local_files(local);
    assert!(!local.is_empty(), "{what}: the local run wrote files");
    assert_eq!(
        published.keys().collect::<Vec<_>>(),
        local.keys().collect::<Vec<_>>(),
        "{what}: the published keys and the local files"
    );
    for (key, bytes) in &local {
        assert!(published[key] == *bytes, "{what}: {key} differs");
    }
}

/// The same static executable on the host, writing to `out` from the local export.
fn local_run(binary: &Path, export: &SampleFiles, out: &Path, args: &[&str]) {
    let output = Command::new(binary)
        .arg("run")
        .arg("--posts")
        .arg(&export.posts)
        .arg("--authors")
        .arg(&export.authors)
        .arg("--out")
        .arg(out)
        .args(["--now", NOW, "--tz", defaults::TIME_ZONE])
        .args(args)
        .env_clear()
        .output()
        .expect("the static executable runs on the host");
    assert!(
        output.status.success(),
        "local run {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The same executable on the host, trusting only the host's CA bundle, fails the
/// endpoint's handshake: the image's answers below come through its own bundle.
fn assert_untrusted_without_the_test_ca(binary: &Path, endpoint: &str, dir: &Path) {
    let output = Command::new(binary)
        .arg("run")
        .arg("--posts")
        .arg(format!("s3://{SOURCE}/{POSTS_KEY}"))
        .arg("--authors")
        .arg(format!("s3://{SOURCE}/{AUTHORS_KEY}"))
        .arg("--out")
        .arg(dir.join("untrusted"))
        .args(["--now", NOW, "--dry-run"])
        .env_clear()
        .envs(testkit::child_env::aws_env(endpoint))
        .env("SSL_CERT_FILE", image::HOST_CA_BUNDLE)
        .output()
        .expect("the static executable runs on the host");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(
        stderr.contains("invalid peer certificate: UnknownIssuer"),
        "{stderr}"
    );
}

/// The answers so far; fails with the function's output when `n` did not come.
fn answers(api: &RuntimeApi, container: &Container, n: usize) -> Vec<Outcome> {
    let outcomes = api.wait_for(n, WAIT);
    if outcomes.len() < n {
        let (stdout, stderr) = container.output();
        panic!(
            "{} of {n} answers (the container is {}); stdout:\n{stdout}\nstderr:\n{stderr}",
            outcomes.len(),
            if container.running() {
                "running"
            } else {
                "gone"
            }
        );
    }
    outcomes
}

fn response(outcome: &Outcome) -> &Value {
    match outcome {
        Outcome::Response { body, .. } => body,
        other => panic!("expected a response, got {other:?}"),
    }
}

/// What the kernel says of the function process: Lambda's user, no capabilities, no new
/// privileges, a read-only root and a 512 MiB tmpfs on /tmp.
fn assert_lambdas_sandbox(pid: u32) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .map(|v| v.split_whitespace().collect::<Vec<_>>().join(" "))
            .unwrap_or_else(|| panic!("{name} in /proc/{pid}/status"))
    };
    let (uid, gid) = (testkit::runc::UID, testkit::runc::GID);
    assert_eq!(field("Uid:"), format!("{uid} {uid} {uid} {uid}"));
    assert_eq!(field("Gid:"), format!("{gid} {gid} {gid} {gid}"));
    for caps in ["CapInh:", "CapPrm:", "CapEff:", "CapBnd:", "CapAmb:"] {
        assert_eq!(field(caps), "0000000000000000", "{caps}");
    }
    assert_eq!(field("NoNewPrivs:"), "1");
    // mountinfo: id parent major:minor root mount-point options … - type source super-options
    let mounts = std::fs::read_to_string(format!("/proc/{pid}/mountinfo")).unwrap();
    let mount = |point: &str| {
        mounts
            .lines()
            .rfind(|l| l.split(' ').nth(4) == Some(point))
            .unwrap_or_else(|| panic!("{point} is mounted:\n{mounts}"))
            .to_owned()
    };
    let root = mount("/");
    assert!(
        root.split(' ')
            .nth(5)
            .unwrap()
            .split(',')
            .any(|o| o == "ro"),
        "{root}"
    );
    let tmp = mount("/tmp");
    assert!(
        tmp.contains(" - tmpfs ") && tmp.contains("size=524288k"),
        "{tmp}"
    );
    assert!(
        tmp.split(' ').nth(5).unwrap().split(',').any(|o| o == "rw"),
        "{tmp}"
    );
}

fn moto_addr() -> SocketAddr {
    let endpoint = &moto().endpoint;
    endpoint
        .strip_prefix("http://")
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("moto's endpoint {endpoint} is http://127.0.0.1:port"))
}

#[test]
fn the_image_in_lambdas_sandbox_serves_every_invocation_over_tls_as_a_local_run_writes() {
    testkit::require!(Tool::Moto);
    testkit::require!(Tool::Runc);
    testkit::require!(Tool::Umoci);
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();

    // S3 over TLS: the image trusts only the test CA that signed the endpoint's certificate.
    let tls = TlsEndpoint::start(moto_addr());
    std::fs::write(dir.join("test-ca.pem"), tls.ca_pem()).unwrap();
    let built = image::build(&BuildOptions {
        arch: Arch::X86_64,
        ca_bundle: dir.join("test-ca.pem"),
        layout_dir: dir.join("layout"),
        profile: Profile::Test,
    })
    .unwrap_or_else(|e| panic!("the test image: {e:#}"));

    let export = write_sample(
        &dir.join("export"),
        &SampleSpec {
            authors: 40,
            posts: 800,
            seed: 7,
            body_bytes: 300,
            ..SampleSpec::default()
        },
    )
    .expect("the sample export");
    create_bucket(SOURCE);
    create_bucket(CHARTS);
    put(SOURCE, POSTS_KEY, &export.posts);
    put(SOURCE, AUTHORS_KEY, &export.authors);

    assert_untrusted_without_the_test_ca(&built.binary, &tls.url(), dir);

    let bundle = dir.join("bundle");
    unpack(&built.layout_dir, image::LAYOUT_TAG, &bundle).unwrap_or_else(|e| panic!("{e}"));
    // Inside the container's own network namespace: the Runtime API where Lambda has it,
    // and the same TLS endpoint on HTTPS's port.
    let mut vars = lambda_environment(
        &format!("127.0.0.1:{RUNTIME_API_PORT}"),
        "author-stats-boot",
        &format!("https://127.0.0.1:{S3_PORT}"),
    );
    vars.extend(env::stack_defaults(SOURCE, CHARTS));
    let config = lambda_sandbox(&bundle, &vars).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config["process"]["args"], json!([image::ENTRYPOINT]));

    let id = format!("author-stats-boot-{}", std::process::id());
    let container = Container::create(&bundle, dir, &id).unwrap_or_else(|e| panic!("{e}"));
    let listen = |port| {
        container
            .listen(port)
            .unwrap_or_else(|e| panic!("listen in the container: {e}"))
    };
    let api = RuntimeApi::start_on(listen(RUNTIME_API_PORT), vec![json!({"now": NOW})]);
    tls.serve(listen(S3_PORT));
    container.start().unwrap_or_else(|e| panic!("{e}"));

    // The daily run: the authors active in the stack's ACTIVE_DAYS.
    let first = answers(&api, &container, 1);
    assert_lambdas_sandbox(container.pid());
    assert_eq!(
        container.interfaces().unwrap(),
        ["lo"],
        "the function sees loopback only"
    );
    let daily = response(&first[0]);
    assert_eq!(daily["dry_run"], false, "{daily}");
    let rendered_daily = daily["charts_rendered"].as_u64().unwrap();
    assert!(rendered_daily >= 3, "{daily}");
    let local = dir.join("local");
    local_run(&built.binary, &export, &local, &[]);
    assert_published_equals_local(&local, "daily run");

    // A dry run of everyone computes all and writes nothing.
    api.push(json!({"all": true, "now": NOW, "dry_run": true}));
    let dry = response(&answers(&api, &container, 2)[1]).clone();
    assert_eq!(dry["dry_run"], true, "{dry}");
    assert_eq!(dry["charts_written"], 0, "{dry}");
    let rendered_all = dry["charts_rendered"].as_u64().unwrap();
    assert!(rendered_all > rendered_daily, "{dry}");
    assert_published_equals_local(&local, "after the dry run");

    // Everyone.
    api.push(json!({"all": true, "now": NOW}));
    let all = response(&answers(&api, &container, 3)[2]).clone();
    assert_eq!(all["charts_rendered"].as_u64(), Some(rendered_all), "{all}");
    local_run(&built.binary, &export, &local, &["--all"]);
    assert_published_equals_local(&local, "`all`");

    // A guard refuses an older view than the published one, and nothing changes.
    api.push(json!({"now": "2025-11-24T00:00:00Z"}));
    let refused = answers(&api, &container, 4);
    let Outcome::Error { body, .. } = &refused[3] else {
        panic!("expected a refusal, got {:?}", refused[3]);
    };
    assert_eq!(body["errorType"], "AuthorStats.RunFailed", "{body}");
    let message = body["errorMessage"].as_str().unwrap();
    assert!(message.contains("later than this run's now"), "{message}");
    assert_published_equals_local(&local, "after the refusal");

    // The fan-out's three steps, as the state machine calls them.
    api.push(json!({"step": "count", "event": {"all": true, "now": NOW}}));
    let counted = response(&answers(&api, &container, 5)[4]).clone();
    assert_eq!(counted["bucket"], CHARTS, "{counted}");
    let batches = objects(CHARTS, counted["prefix"].as_str().unwrap());
    assert_eq!(batches.len() as u64, counted["batches"].as_u64().unwrap());
    assert!(!batches.is_empty(), "{counted}");
    for key in batches.keys() {
        api.push(json!({"step": "render", "run": counted["run"], "batch": key}));
    }
    api.push(json!({"step": "finish", "run": counted["run"]}));
    let n = 5 + batches.len() + 1;
    let outcomes = answers(&api, &container, n);
    let rendered: u64 = outcomes[5..n - 1]
        .iter()
        .map(|o| response(o)["rendered"].as_u64().unwrap())
        .sum();
    assert_eq!(rendered, rendered_all);
    let finished = response(&outcomes[n - 1]);
    assert_eq!(
        finished["charts_rendered"].as_u64(),
        Some(rendered_all),
        "{finished}"
    );
    assert!(objects(CHARTS, files::RUNS_PREFIX).is_empty());
    assert_published_equals_local(&local, "after the fan-out");
    assert!(
        container.running(),
        "a function stays up between invocations"
    );
}
