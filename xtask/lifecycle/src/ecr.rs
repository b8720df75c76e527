//! The ECR side of a push, through `aws-sdk-ecr` and `aws-config`'s standard chain
//! (`AWS_PROFILE`, SSO, `AWS_REGION`, `AWS_ENDPOINT_URL`): make sure the repository exists
//! with scan on push, immutable tags and a lifecycle policy keeping the last N images, and
//! turn `GetAuthorizationToken` into registry credentials. The push itself is
//! `xtask_image::registry`'s (ECR's API has no blob transport of its own worth using).

use anyhow::{bail, Context, Result};
use aws_sdk_ecr::error::ProvideErrorMetadata;
use aws_sdk_ecr::types::{ImageScanningConfiguration, ImageTagMutability};
use aws_sdk_ecr::Client;
use base64::Engine as _;

use crate::sdk::explain;
use xtask_image::registry::Credentials;

/// The fewest images the lifecycle policy may keep: a CloudFormation rollback redeploys the
/// previous digest, which must still be there.
pub const MIN_KEEP: u32 = 10;

/// The repository as it is after [`ensure_repository`].
#[derive(Clone, Debug)]
pub struct Repository {
    /// `<account>.dkr.ecr.<region>.amazonaws.com/<name>`.
    pub uri: String,
    pub name: String,
    /// False when it had to be created.
    pub existed: bool,
    /// The settings that were changed on an existing repository, in words.
    pub changed: Vec<String>,
}

/// Registry endpoint and basic-auth credentials from `GetAuthorizationToken` (valid 12 h).
#[derive(Clone, Debug)]
pub struct RegistryLogin {
    /// `https://<account>.dkr.ecr.<region>.amazonaws.com`.
    pub endpoint: String,
    pub credentials: Credentials,
}

/// The lifecycle policy text: expire everything but the newest `keep` images.
pub fn lifecycle_policy(keep: u32) -> String {
    serde_json::json!({
        "rules": [{
            "rulePriority": 1,
            "description": format!("keep the last {keep} images (rollbacks need the previous ones)"),
            "selection": {
                "tagStatus": "any",
                "countType": "imageCountMoreThan",
                "countNumber": keep
            },
            "action": { "type": "expire" }
        }]
    })
    .to_string()
}

/// Creates `name` if missing (scan on push, immutable tags), brings an existing one to those
/// settings, and puts the lifecycle policy when it differs from [`lifecycle_policy`]`(keep)`.
pub async fn ensure_repository(client: &Client, name: &str, keep: u32) -> Result<Repository> {
    if keep < MIN_KEEP {
        bail!("the lifecycle policy must keep at least {MIN_KEEP} images (asked for {keep}) so a rollback finds the previous one");
    }
    let found = client
        .describe_repositories()
        .repository_names(name)
        .send()
        .await;
    let (mut repo, existed, mut changed) = match found {
        Ok(out) => {
            let repo =
                out.repositories().first().cloned().with_context(|| {
                    format!("DescribeRepositories returned no repository {name}")
                })?;
            (repo, true, Vec::new())
        }
        Err(e) if e.code() == Some("RepositoryNotFoundException") => {
            let out = client
                .create_repository()
                .repository_name(name)
                .image_tag_mutability(ImageTagMutability::Immutable)
                .image_scanning_configuration(scan_on_push())
                .send()
                .await
                .map_err(|e| {
                    explain(
                        e,
                        &format!("creating ECR repository {name}"),
                        "ecr:CreateRepository",
                    )
                })?;
            let repo = out
                .repository()
                .cloned()
                .context("CreateRepository returned no repository")?;
            (repo, false, Vec::new())
        }
        Err(e) => {
            return Err(explain(
                e,
                &format!("looking up ECR repository {name}"),
                "ecr:DescribeRepositories",
            ))
        }
    };
    if existed {
        if repo.image_tag_mutability() != Some(&ImageTagMutability::Immutable) {
            client
                .put_image_tag_mutability()
                .repository_name(name)
                .image_tag_mutability(ImageTagMutability::Immutable)
                .send()
                .await
                .map_err(|e| {
                    explain(
                        e,
                        &format!("making the tags of {name} immutable"),
                        "ecr:PutImageTagMutability",
                    )
                })?;
            changed.push("tags made immutable".to_owned());
        }
        if !repo
            .image_scanning_configuration()
            .is_some_and(|c| c.scan_on_push())
        {
            client
                .put_image_scanning_configuration()
                .repository_name(name)
                .image_scanning_configuration(scan_on_push())
                .send()
                .await
                .map_err(|e| {
                    explain(
                        e,
                        &format!("turning on scan on push for {name}"),
                        "ecr:PutImageScanningConfiguration",
                    )
                })?;
            changed.push("scan on push turned on".to_owned());
        }
    }
    let wanted = lifecycle_policy(keep);
    let current = match client
        .get_lifecycle_policy()
        .repository_name(name)
        .send()
        .await
    {
        Ok(out) => out.lifecycle_policy_text().map(str::to_owned),
        Err(e) if e.code() == Some("LifecyclePolicyNotFoundException") => None,
        Err(e) => {
            return Err(explain(
                e,
                &format!("reading the lifecycle policy of {name}"),
                "ecr:GetLifecyclePolicy",
            ))
        }
    };
    if !same_json(current.as_deref(), &wanted) {
        client
            .put_lifecycle_policy()
            .repository_name(name)
            .lifecycle_policy_text(&wanted)
            .send()
            .await
            .map_err(|e| {
                explain(
                    e,
                    &format!("setting the lifecycle policy of {name}"),
                    "ecr:PutLifecyclePolicy",
                )
            })?;
        if existed {
            changed.push(format!(
                "lifecycle policy set to keep the last {keep} images"
            ));
        }
    }
    let uri = repo
        .repository_uri
        .take()
        .with_context(|| format!("ECR returned no URI for repository {name}"))?;
    Ok(Repository {
        uri,
        name: name.to_owned(),
        existed,
        changed,
    })
}

/// `GetAuthorizationToken` → the registry endpoint and `AWS:<password>` basic auth.
pub async fn registry_login(client: &Client) -> Result<RegistryLogin> {
    let out = client
        .get_authorization_token()
        .send()
        .await
        .map_err(|e| explain(e, "getting an ECR login token", "ecr:GetAuthorizationToken"))?;
    let data = out
        .authorization_data()
        .first()
        .context("GetAuthorizationToken returned no authorization data")?;
    let token = data
        .authorization_token()
        .context("GetAuthorizationToken returned no token")?;
    let endpoint = data
        .proxy_endpoint()
        .context("GetAuthorizationToken returned no proxy endpoint")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(token)
        .context("the ECR authorization token is not base64")?;
    let decoded = String::from_utf8(decoded).context("the ECR authorization token is not UTF-8")?;
    let (username, password) = decoded
        .split_once(':')
        .context("the ECR authorization token is not `user:password`")?;
    Ok(RegistryLogin {
        endpoint: endpoint.to_owned(),
        credentials: Credentials {
            username: username.to_owned(),
            password: password.to_owned(),
        },
    })
}

/// Whether `repository` holds an image with manifest `digest` (`sha256:…`): deploy pushes
/// only when it does not.
pub async fn has_image(client: &Client, repository: &str, digest: &str) -> Result<bool> {
    let found = client
        .describe_images()
        .repository_name(repository)
        .image_ids(
            aws_sdk_ecr::types::ImageIdentifier::builder()
                .image_digest(digest)
                .build(),
        )
        .send()
        .await;
    match found {
        Ok(out) => Ok(!out.image_details().is_empty()),
        Err(e) if e.code() == Some("ImageNotFoundException") => Ok(false),
        Err(e) => Err(explain(
            e,
            &format!("looking for image {digest} in ECR repository {repository}"),
            "ecr:DescribeImages",
        )),
    }
}

/// Deletes `repository` with every image in it; `false` when there was none.
pub async fn delete_repository(client: &Client, repository: &str) -> Result<bool> {
    match client
        .delete_repository()
        .repository_name(repository)
        .force(true)
        .send()
        .await
    {
        Ok(_) => Ok(true),
        Err(e) if e.code() == Some("RepositoryNotFoundException") => Ok(false),
        Err(e) => Err(explain(
            e,
            &format!("deleting ECR repository {repository}"),
            "ecr:DeleteRepository",
        )),
    }
}

/// Whether `repository` exists.
pub async fn repository_exists(client: &Client, repository: &str) -> Result<bool> {
    match client
        .describe_repositories()
        .repository_names(repository)
        .send()
        .await
    {
        Ok(out) => Ok(!out.repositories().is_empty()),
        Err(e) if e.code() == Some("RepositoryNotFoundException") => Ok(false),
        Err(e) => Err(explain(
            e,
            &format!("looking up ECR repository {repository}"),
            "ecr:DescribeRepositories",
        )),
    }
}

/// What to tell the registry client when ECR's token is refused.
pub const AUTH_FIX: &str = "the ECR token comes from your AWS credentials and region: check \
                            AWS_PROFILE/AWS_REGION (or `aws sso login`) and retry";

fn scan_on_push() -> ImageScanningConfiguration {
    ImageScanningConfiguration::builder()
        .scan_on_push(true)
        .build()
}

fn same_json(current: Option<&str>, wanted: &str) -> bool {
    let parse = |s: &str| serde_json::from_str::<serde_json::Value>(s).ok();
    current
        .and_then(parse)
        .is_some_and(|c| Some(c) == parse(wanted))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lifecycle_policy_keeps_the_last_n_images_of_any_tag() {
        let policy: serde_json::Value = serde_json::from_str(&lifecycle_policy(12)).unwrap();
        let rule = &policy["rules"][0];
        assert_eq!(rule["selection"]["tagStatus"], "any");
        assert_eq!(rule["selection"]["countType"], "imageCountMoreThan");
        assert_eq!(rule["selection"]["countNumber"], 12);
        assert_eq!(rule["action"]["type"], "expire");
    }

    #[test]
    fn policies_compare_as_json_not_as_text() {
        let pretty = serde_json::to_string_pretty(
            &serde_json::from_str::<serde_json::Value>(&lifecycle_policy(10)).unwrap(),
        )
        .unwrap();
        assert!(same_json(Some(&pretty), &lifecycle_policy(10)));
        assert!(!same_json(
            Some(&lifecycle_policy(11)),
            &lifecycle_policy(10)
        ));
        assert!(!same_json(None, &lifecycle_policy(10)));
    }
}
