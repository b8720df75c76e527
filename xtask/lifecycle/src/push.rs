//! `cargo xtask push`: build the image (unless `--no-build`), make sure the ECR repository
//! exists as it should, and push through the registry API; prints `<repo-uri>@sha256:…`,
//! the value the stack's image parameter takes. `--registry URL` pushes to any registry
//! with basic auth instead (a mirror, or the tests' local one) and leaves ECR alone.

use anyhow::Result;

use crate::build::Build;
use crate::ecr;
use crate::sdk::AwsAccess;
use xtask_image::registry::{Credentials, PushReport, Registry};
use xtask_image::{self as image, human_size, layout, megabytes, Image};

/// Flags of `cargo xtask push`.
#[derive(clap::Args)]
pub struct Push {
    #[command(flatten)]
    pub build: Build,
    #[command(flatten)]
    pub aws: AwsAccess,
    /// Push the image already in the layout (from `cargo xtask build`) without building.
    #[arg(long)]
    pub no_build: bool,
    /// Repository name (the ECR repository, or the path on --registry).
    #[arg(long, default_value = "author-stats")]
    pub repository: String,
    /// Tag for the manifest [default: sha256-<digest hex>, unique per content, as ECR's
    /// immutable tags want].
    #[arg(long)]
    pub tag: Option<String>,
    /// ECR lifecycle policy: keep the last N images (at least 10, for rollbacks).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(ecr::MIN_KEEP as i64..))]
    pub keep: u32,
    /// Push to this registry instead of ECR, e.g. https://mirror.example or
    /// http://127.0.0.1:5000 (with --insecure).
    #[arg(long)]
    pub registry: Option<String>,
    /// Allow plain HTTP and unverified TLS to --registry (local and test registries only).
    #[arg(long, requires = "registry")]
    pub insecure: bool,
    /// User for --registry's basic auth.
    #[arg(long, env = "REGISTRY_USERNAME", requires = "registry")]
    pub username: Option<String>,
    /// Password for --registry; prefer the environment variable (it stays out of `ps`).
    #[arg(
        long,
        env = "REGISTRY_PASSWORD",
        hide_env_values = true,
        requires = "registry"
    )]
    pub password: Option<String>,
}

impl Push {
    pub fn run(self) -> Result<()> {
        let image = if self.no_build {
            layout::read(&self.build.layout_dir())?
        } else {
            image::build(&self.build.options())?.image
        };
        let tag = self.tag.clone().unwrap_or_else(|| default_tag(&image));
        let (report, repo_uri) = match &self.registry {
            Some(url) => {
                let credentials = match (&self.username, &self.password) {
                    (Some(username), Some(password)) => Some(Credentials {
                        username: username.clone(),
                        password: password.clone(),
                    }),
                    (None, None) => None,
                    _ => anyhow::bail!(
                        "--registry needs both a user and a password, or neither: set \
                         REGISTRY_USERNAME and REGISTRY_PASSWORD (or --username/--password)"
                    ),
                };
                let registry = Registry::new(url, credentials, self.insecure)?;
                let report = registry.push(&image, &self.repository, &tag)?;
                let uri = format!("{}/{}", registry.host(), self.repository);
                (report, uri)
            }
            None => self.push_to_ecr(&image, &tag)?,
        };
        summarize(&report, &image);
        println!("{repo_uri}@{}", report.digest);
        Ok(())
    }

    fn push_to_ecr(&self, image: &Image, tag: &str) -> Result<(PushReport, String)> {
        let runtime = crate::sdk::runtime()?;
        let (repo, login) = runtime.block_on(async {
            let client = aws_sdk_ecr::Client::new(&self.aws.sdk_config(None).await?);
            let repo = ecr::ensure_repository(&client, &self.repository, self.keep).await?;
            let login = ecr::registry_login(&client).await?;
            anyhow::Ok((repo, login))
        })?;
        if !repo.existed {
            eprintln!(
                "ecr: created {} (scan on push, immutable tags, keeps the last {} images)",
                repo.uri, self.keep
            );
        }
        for change in &repo.changed {
            eprintln!("ecr: {}: {change}", repo.name);
        }
        let registry = Registry::new(&login.endpoint, Some(login.credentials), false)?
            .with_auth_fix(ecr::AUTH_FIX);
        let report = registry.push(image, &self.repository, tag)?;
        Ok((report, repo.uri))
    }
}

/// `sha256-<hex>`: a tag per content, so an immutable repository never sees one tag twice
/// with different images, and the tag says what it names.
pub fn default_tag(image: &Image) -> String {
    format!("sha256-{}", image.digest().hex())
}

fn summarize(report: &PushReport, image: &Image) {
    eprintln!(
        "push: {} blobs uploaded ({}), {} already present; image {} compressed; tag {}",
        report.uploaded.len(),
        human_size(report.bytes_uploaded),
        report.skipped.len(),
        megabytes(image.compressed_size()),
        report.tag
    );
}
