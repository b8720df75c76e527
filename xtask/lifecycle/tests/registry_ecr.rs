//! The ECR repository `cargo xtask push` ensures, against moto's ECR: created with scan on
//! push, immutable tags and a lifecycle policy keeping the last N ≥ 10 images; an existing
//! repository brought in line; a second run changes nothing; the login token becomes basic
//! auth for the registry endpoint. (moto has no registry protocol, so no push here.)

use aws_sdk_ecr::types::ImageTagMutability;
use testkit::block_on;
use testkit::moto::moto;
use xtask_lifecycle::ecr::{ensure_repository, lifecycle_policy, registry_login};

/// An ECR client for this binary's moto.
fn ecr() -> aws_sdk_ecr::Client {
    aws_sdk_ecr::Client::new(&moto().sdk_config())
}

fn policy_keeps(name: &str) -> u64 {
    let text = block_on(ecr().get_lifecycle_policy().repository_name(name).send())
        .unwrap()
        .lifecycle_policy_text
        .unwrap();
    let policy: serde_json::Value = serde_json::from_str(&text).unwrap();
    let rule = &policy["rules"][0];
    assert_eq!(rule["selection"]["countType"], "imageCountMoreThan");
    assert_eq!(rule["selection"]["tagStatus"], "any");
    assert_eq!(rule["action"]["type"], "expire");
    rule["selection"]["countNumber"].as_u64().unwrap()
}

fn describe(name: &str) -> aws_sdk_ecr::types::Repository {
    block_on(ecr().describe_repositories().repository_names(name).send())
        .unwrap()
        .repositories
        .unwrap()
        .remove(0)
}

#[test]
fn a_missing_repository_is_created_with_scan_on_push_immutable_tags_and_a_lifecycle_policy() {
    testkit::require!(testkit::tools::Tool::Moto);
    let repo = block_on(ensure_repository(&ecr(), "created", 12)).unwrap();
    assert!(!repo.existed);
    assert!(repo.uri.ends_with(".amazonaws.com/created"), "{}", repo.uri);
    let described = describe("created");
    assert_eq!(
        described.image_tag_mutability,
        Some(ImageTagMutability::Immutable)
    );
    assert!(described.image_scanning_configuration.unwrap().scan_on_push);
    assert_eq!(policy_keeps("created"), 12);
}

#[test]
fn ensuring_an_ensured_repository_changes_nothing() {
    testkit::require!(testkit::tools::Tool::Moto);
    block_on(ensure_repository(&ecr(), "again", 10)).unwrap();
    let repo = block_on(ensure_repository(&ecr(), "again", 10)).unwrap();
    assert!(repo.existed);
    assert!(repo.changed.is_empty(), "{:?}", repo.changed);
}

#[test]
fn an_existing_mutable_unscanned_repository_without_policy_is_brought_in_line() {
    testkit::require!(testkit::tools::Tool::Moto);
    block_on(
        ecr()
            .create_repository()
            .repository_name("legacy")
            .image_tag_mutability(ImageTagMutability::Mutable)
            .send(),
    )
    .unwrap();
    let repo = block_on(ensure_repository(&ecr(), "legacy", 10)).unwrap();
    assert!(repo.existed);
    assert_eq!(repo.changed.len(), 3, "{:?}", repo.changed);
    let described = describe("legacy");
    assert_eq!(
        described.image_tag_mutability,
        Some(ImageTagMutability::Immutable)
    );
    assert!(described.image_scanning_configuration.unwrap().scan_on_push);
    assert_eq!(policy_keeps("legacy"), 10);
}

#[test]
fn a_policy_keeping_fewer_than_ten_images_is_refused() {
    testkit::require!(testkit::tools::Tool::Moto);
    let err = block_on(ensure_repository(&ecr(), "few", 3))
        .unwrap_err()
        .to_string();
    assert!(err.contains("at least 10"), "{err}");
    assert!(lifecycle_policy(10).contains("\"countNumber\":10"));
}

#[test]
fn the_login_token_becomes_basic_auth_for_the_registry_endpoint() {
    testkit::require!(testkit::tools::Tool::Moto);
    testkit::require!(testkit::tools::Tool::Registry);
    let login = block_on(registry_login(&ecr())).unwrap();
    assert_eq!(login.credentials.username, "AWS");
    assert!(!login.credentials.password.is_empty());
    assert!(login.endpoint.starts_with("https://"), "{}", login.endpoint);
    assert!(login.endpoint.contains(".dkr.ecr."), "{}", login.endpoint);
}

#[test]
fn deploy_finds_an_image_already_in_the_repository_by_its_digest() {
    testkit::require!(testkit::tools::Tool::Moto);
    testkit::require!(testkit::tools::Tool::Registry);
    block_on(ensure_repository(&ecr(), "pushed", 10)).unwrap();
    let manifest = r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000","size":2},"layers":[]}"#;
    let put = block_on(
        ecr()
            .put_image()
            .repository_name("pushed")
            .image_manifest(manifest)
            .image_tag("sha256-test")
            .send(),
    )
    .unwrap();
    // The digest the registry assigned (moto hashes its own serialization of the manifest).
    let digest = put
        .image()
        .and_then(|i| i.image_id())
        .and_then(|id| id.image_digest())
        .unwrap()
        .to_owned();
    assert!(block_on(xtask_lifecycle::ecr::has_image(&ecr(), "pushed", &digest)).unwrap());
    let other = format!("sha256:{}", "1".repeat(64));
    assert!(!block_on(xtask_lifecycle::ecr::has_image(&ecr(), "pushed", &other)).unwrap());

    assert!(block_on(xtask_lifecycle::ecr::delete_repository(&ecr(), "pushed")).unwrap());
    assert!(!block_on(xtask_lifecycle::ecr::repository_exists(&ecr(), "pushed")).unwrap());
    assert!(!block_on(xtask_lifecycle::ecr::delete_repository(&ecr(), "pushed")).unwrap());
}
