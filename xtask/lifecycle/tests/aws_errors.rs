//! Every AWS failure a lifecycle command meets is one line naming what failed, the cause in
//! words and the fix. Each test runs the real `cargo xtask status` (its first call is
//! DescribeStacks) against 127.0.0.1 only: a closed port, a replay endpoint, or no
//! credentials at all.

use std::path::PathBuf;
use std::process::Command;

use testkit::replay::Replay;

fn stages(dir: &tempfile::TempDir) -> PathBuf {
    let path = dir.path().join("stages.toml");
    std::fs::write(
        &path,
        "[x]\nregion = \"us-east-1\"\n[x.parameters]\nSourceBucketName = \"export-x\"\n",
    )
    .unwrap();
    path
}

/// `cargo xtask status --stage x` with a clean AWS environment plus `env`; returns stderr.
fn status(env: &[(&str, &str)], args: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_xtask-lifecycle"));
    cmd.args(["status", "--stage", "x", "--stages-file"])
        .arg(stages(&dir))
        .args(args)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", dir.path().join("no-config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            dir.path().join("no-credentials"),
        )
        .env("RUST_BACKTRACE", "1")
        .env("CI", "true");
    for var in [
        "AWS_PROFILE",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_ENDPOINT_URL",
        "AWS_REGION",
    ] {
        cmd.env_remove(var);
    }
    cmd.envs(env.iter().copied());
    let out = cmd.output().expect("xtask runs");
    assert_eq!(out.status.code(), Some(1));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

const TEST_KEYS: [(&str, &str); 2] = [
    ("AWS_ACCESS_KEY_ID", "AKIDTEST"),
    ("AWS_SECRET_ACCESS_KEY", "test-secret"),
];

fn one_line(stderr: &str) -> &str {
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "more than one line:\n{stderr}");
    lines[0]
}

#[test]
fn an_unreachable_endpoint_names_it_and_the_network_fix() {
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let mut env = TEST_KEYS.to_vec();
    env.push(("AWS_ENDPOINT_URL", &closed));
    let stderr = status(&env, &[]);
    let line = one_line(&stderr);
    assert!(
        line.contains("cannot describe stack author-stats-batch-x"),
        "{line}"
    );
    assert!(
        line.contains(&format!("cannot reach {closed} (AWS_ENDPOINT_URL)")),
        "{line}"
    );
    assert!(line.contains("check the network"), "{line}");
    assert!(
        !line.contains("DescribeStacks"),
        "no permission advice for a network error: {line}"
    );
}

#[test]
fn no_credentials_say_where_credentials_come_from() {
    let stderr = status(&[("AWS_ENDPOINT_URL", "http://127.0.0.1:9")], &[]);
    let line = one_line(&stderr);
    assert!(line.contains("no usable AWS credentials"), "{line}");
    assert!(
        line.contains("AWS_PROFILE") && line.contains("aws sso login"),
        "{line}"
    );
}

#[test]
fn an_unknown_profile_is_named() {
    let stderr = status(&[], &["--profile", "nonexistent"]);
    let line = one_line(&stderr);
    assert!(line.contains("AWS profile `nonexistent`"), "{line}");
    assert!(
        line.contains("aws configure --profile nonexistent"),
        "{line}"
    );
}

#[test]
fn access_denied_names_the_iam_action() {
    let replay = Replay::start();
    replay.on(
        "DescribeStacks",
        403,
        "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User: arn:aws:iam::123456789012:user/ci is not authorized to perform: cloudformation:DescribeStacks</Message></Error></ErrorResponse>",
    );
    let mut env = TEST_KEYS.to_vec();
    env.push(("AWS_ENDPOINT_URL", &replay.endpoint));
    let stderr = status(&env, &[]);
    let line = one_line(&stderr);
    assert!(line.contains("access denied"), "{line}");
    assert!(
        line.contains("grant cloudformation:DescribeStacks"),
        "{line}"
    );
}

#[test]
fn an_answer_that_is_not_aws_says_the_emulator_may_lack_the_call() {
    let replay = Replay::start();
    replay.on(
        "DescribeStacks",
        500,
        "<html><body>Internal Server Error</body></html>",
    );
    let mut env = TEST_KEYS.to_vec();
    env.push(("AWS_ENDPOINT_URL", &replay.endpoint));
    let stderr = status(&env, &[]);
    let line = one_line(&stderr);
    assert!(line.contains("HTTP 500"), "{line}");
    assert!(
        line.contains("not an AWS error") && line.contains("emulator"),
        "{line}"
    );
}

#[test]
fn the_sdk_debug_chain_follows_the_line_only_with_verbose() {
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let mut env = TEST_KEYS.to_vec();
    env.push(("AWS_ENDPOINT_URL", &closed));
    let quiet = status(&env, &[]);
    assert!(!quiet.contains("DispatchFailure"), "{quiet}");
    let verbose = status(&env, &["-v"]);
    let lines: Vec<&str> = verbose.lines().collect();
    assert!(
        lines[0].contains("cannot reach") && lines[0].contains("check the network"),
        "the one line comes first: {verbose}"
    );
    assert!(
        verbose.contains("[-v] debug:") && verbose.contains("DispatchFailure"),
        "{verbose}"
    );
    let long = status(&env, &["--verbose"]);
    assert!(long.contains("[-v] error chain:"), "{long}");
}
