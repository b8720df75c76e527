//! The AWS side every lifecycle command shares: `--profile`, `--region`, `--output`, the
//! SDK configuration from `aws-config`'s standard chain, and one client per service.

use std::time::Duration;

use anyhow::{bail, Context, Result};
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_cloudformation::error::{DisplayErrorContext, ProvideErrorMetadata};

/// Flags every lifecycle command takes.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct AwsArgs {
    /// AWS profile [default: the standard chain: AWS_PROFILE, environment, SSO, instance role].
    #[arg(long, env = "AWS_PROFILE")]
    pub profile: Option<String>,
    /// AWS region [default: the stage's region, then AWS_REGION or the profile's].
    #[arg(long)]
    pub region: Option<String>,
    /// `json` prints one JSON document on stdout for pipelines; progress stays on stderr.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,
    /// Seconds between polls of CloudFormation while waiting.
    #[arg(long, default_value_t = 5.0, hide = true)]
    pub poll_interval: f64,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OutputFormat {
    #[default]
    Text,
    Json,
}

impl AwsArgs {
    pub fn poll_interval(&self) -> Duration {
        Duration::from_secs_f64(self.poll_interval.max(0.0))
    }

    /// The SDK configuration: `--region`, else `stage_region`, else the standard chain.
    pub async fn sdk_config(&self, stage_region: Option<&str>) -> Result<SdkConfig> {
        let mut loader = aws_config::defaults(BehaviorVersion::latest());
        if let Some(profile) = &self.profile {
            loader = loader.profile_name(profile);
        }
        if let Some(region) = self.region.as_deref().or(stage_region) {
            loader = loader.region(Region::new(region.to_owned()));
        }
        let config = loader.load().await;
        if config.region().is_none() {
            bail!(
                "no AWS region is configured: pass --region, set `region` for the stage in \
                 deploy/stages.toml, or set AWS_REGION"
            );
        }
        Ok(config)
    }
}

/// One client per service the lifecycle uses, from one configuration.
#[derive(Clone, Debug)]
pub struct Clients {
    pub cloudformation: aws_sdk_cloudformation::Client,
    pub s3: aws_sdk_s3::Client,
    pub ecr: aws_sdk_ecr::Client,
    pub lambda: aws_sdk_lambda::Client,
    pub logs: aws_sdk_cloudwatchlogs::Client,
    pub iam: aws_sdk_iam::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub cloudcontrol: aws_sdk_cloudcontrol::Client,
    /// The region the clients talk to.
    pub region: String,
}

impl Clients {
    pub fn new(config: &SdkConfig) -> Clients {
        // A custom endpoint (AWS_ENDPOINT_URL: an emulator, a proxy) serves buckets by path.
        let s3 = aws_sdk_s3::config::Builder::from(config)
            .force_path_style(config.endpoint_url().is_some())
            .build();
        Clients {
            cloudformation: aws_sdk_cloudformation::Client::new(config),
            s3: aws_sdk_s3::Client::from_conf(s3),
            ecr: aws_sdk_ecr::Client::new(config),
            lambda: aws_sdk_lambda::Client::new(config),
            logs: aws_sdk_cloudwatchlogs::Client::new(config),
            iam: aws_sdk_iam::Client::new(config),
            sqs: aws_sdk_sqs::Client::new(config),
            cloudcontrol: aws_sdk_cloudcontrol::Client::new(config),
            region: config.region().map(|r| r.to_string()).unwrap_or_default(),
        }
    }
}

/// A current-thread runtime for one command.
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime for the AWS SDK")
}

/// One line for an SDK error: its code and message when the service sent them, else the
/// whole cause chain (connection refused, timeout, no credentials…).
pub fn describe_error<E>(error: &E) -> String
where
    E: ProvideErrorMetadata + std::error::Error,
{
    match (error.code(), error.message()) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code.to_owned(),
        _ => DisplayErrorContext(error).to_string(),
    }
}
