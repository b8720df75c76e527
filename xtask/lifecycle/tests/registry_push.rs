//! `cargo xtask push --registry …` against a real registry (Debian's docker-registry, basic
//! auth as ECR uses) read back with skopeo: one architecture, an OCI manifest with gzip
//! layers, the entrypoint and history in the config; a second push uploads nothing; the
//! CLI prints the digest-pinned reference; a wrong password is one line with the fix.

#[path = "../../image/tests/support_registry/mod.rs"]
mod support_registry;

use std::process::Command;

use support_registry::{registry, static_image, tiny_image, PASSWORD, USER};
use xtask_image::registry::{Credentials, Registry};
use xtask_image::{self as image, layout, spec};

fn client(password: &str) -> Registry {
    let credentials = Credentials {
        username: USER.to_owned(),
        password: password.to_owned(),
    };
    Registry::new(&registry().url, Some(credentials), true).unwrap()
}

#[test]
fn a_pushed_image_reads_back_as_one_architecture_with_gzip_layers() {
    testkit::require!(testkit::tools::Tool::Registry);
    let image = &static_image().image;
    let report = client(PASSWORD)
        .push(image, "inspect/author-stats", "v1")
        .unwrap_or_else(|e| panic!("{e:#}\nregistry log:\n{}", registry().log()));
    assert_eq!(&report.digest, image.digest());

    let (raw, manifest) = registry().skopeo_inspect("inspect/author-stats:v1", &["--raw"]);
    assert_eq!(
        raw, image.manifest.bytes,
        "the registry serves the manifest we built"
    );
    assert_eq!(manifest["schemaVersion"], 2);
    assert_eq!(manifest["mediaType"], spec::MEDIA_TYPE_MANIFEST);
    assert!(
        manifest.get("manifests").is_none(),
        "a manifest, not an index"
    );
    assert_eq!(manifest["config"]["mediaType"], spec::MEDIA_TYPE_CONFIG);
    let layers = manifest["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 2);
    for layer in layers {
        assert_eq!(layer["mediaType"], spec::MEDIA_TYPE_LAYER_GZIP);
    }

    let (_, config) = registry().skopeo_inspect("inspect/author-stats:v1", &["--config"]);
    assert_eq!(config["architecture"], "amd64");
    assert_eq!(config["os"], "linux");
    assert_eq!(
        config["config"]["Entrypoint"],
        serde_json::json!([image::ENTRYPOINT])
    );
    let history = config["history"].as_array().unwrap();
    assert_eq!(history.len(), layers.len(), "one history entry per layer");
    assert!(history.iter().all(|h| h.get("created").is_none()));
    assert!(
        config.get("created").is_none(),
        "no timestamps in the config"
    );
    assert_eq!(
        config["rootfs"]["diff_ids"].as_array().unwrap().len(),
        layers.len()
    );

    let (_, summary) = registry().skopeo_inspect("inspect/author-stats:v1", &[]);
    assert_eq!(summary["Digest"], image.digest().to_string());
}

#[test]
fn a_second_push_uploads_no_blob() {
    testkit::require!(testkit::tools::Tool::Registry);
    let image = &static_image().image;
    let registry_client = client(PASSWORD);
    let first = registry_client.push(image, "twice", "a").unwrap();
    assert_eq!(
        first.uploaded.len(),
        image.layers.len() + 1,
        "layers and config"
    );
    assert!(first.manifest_uploaded);

    let second = registry_client.push(image, "twice", "a").unwrap();
    assert!(
        second.uploaded.is_empty(),
        "uploaded again: {:?}",
        second.uploaded
    );
    assert_eq!(second.bytes_uploaded, 0);
    assert_eq!(second.skipped.len(), image.layers.len() + 1);
    assert!(
        !second.manifest_uploaded,
        "the tag already named this manifest"
    );
    assert_eq!(second.digest, first.digest);
}

#[test]
fn the_cli_pushes_a_built_layout_and_prints_the_digest_pinned_reference() {
    testkit::require!(testkit::tools::Tool::Registry);
    let image = &static_image().image;
    let dir = tempfile::tempdir().unwrap();
    layout::write(image, dir.path(), image::LAYOUT_TAG).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_xtask-lifecycle"))
        .args(["push", "--no-build", "--layout"])
        .arg(dir.path())
        .args([
            "--registry",
            &registry().url,
            "--insecure",
            "--repository",
            "cli",
        ])
        .env("REGISTRY_USERNAME", USER)
        .env("REGISTRY_PASSWORD", PASSWORD)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        stdout,
        format!("{}/cli@{}\n", registry().host, image.digest())
    );
    assert!(stderr.contains("uploaded in"), "progress lines: {stderr}");
    // The default tag is the content digest, so it names exactly this image.
    let (_, summary) =
        registry().skopeo_inspect(&format!("cli:sha256-{}", image.digest().hex()), &[]);
    assert_eq!(summary["Digest"], image.digest().to_string());
}

#[test]
fn a_wrong_password_fails_with_one_line_naming_the_fix() {
    testkit::require!(testkit::tools::Tool::Registry);
    let dir = tempfile::tempdir().unwrap();
    layout::write(&tiny_image(), dir.path(), image::LAYOUT_TAG).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_xtask-lifecycle"))
        .args(["push", "--no-build", "--layout"])
        .arg(dir.path())
        .args([
            "--registry",
            &registry().url,
            "--insecure",
            "--repository",
            "denied",
        ])
        .env("REGISTRY_USERNAME", USER)
        .env("REGISTRY_PASSWORD", "wrong")
        // CI sets this; the error must stay one line anyway.
        .env("RUST_BACKTRACE", "1")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        stderr.trim_end().lines().count(),
        1,
        "one line, no cause chain: {stderr}"
    );
    assert!(
        stderr.contains("rejected the credentials of `pusher`"),
        "{stderr}"
    );
    assert!(stderr.contains("401"), "{stderr}");
    assert!(
        stderr.contains("REGISTRY_PASSWORD"),
        "names the fix: {stderr}"
    );
    assert!(
        !stderr.contains("wrong"),
        "never echoes the password: {stderr}"
    );
}

#[test]
fn a_registry_that_is_down_is_one_line_naming_the_fix() {
    testkit::require!(testkit::tools::Tool::Registry);
    let port = support_registry::free_port();
    let registry_client = Registry::new(&format!("http://127.0.0.1:{port}"), None, true).unwrap();
    let err = registry_client
        .push(&tiny_image(), "down", "x")
        .unwrap_err()
        .to_string();
    assert!(err.contains("cannot reach the registry"), "{err}");
    assert!(err.contains("is it running"), "{err}");
}
