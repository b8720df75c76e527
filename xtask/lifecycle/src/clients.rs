//! The AWS side every lifecycle command shares: `--profile` and `--region` (`crate::sdk`),
//! `--output`, and one client per service from one configuration.

use std::time::Duration;

use anyhow::Result;
use aws_config::SdkConfig;

pub use crate::sdk::{describe_error, runtime, AwsAccess};

/// Flags every lifecycle command takes.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct AwsArgs {
    #[command(flatten)]
    pub access: AwsAccess,
    /// `json` prints one JSON document on stdout for pipelines; progress stays on stderr.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,
    /// Seconds between polls of CloudFormation while waiting (the first wait on a fan-out
    /// execution; later ones back off).
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
        self.access.sdk_config(stage_region).await
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
    pub cloudwatch: aws_sdk_cloudwatch::Client,
    pub scheduler: aws_sdk_scheduler::Client,
    /// A fan-out stage's state machine (`FanOut=true`).
    pub sfn: aws_sdk_sfn::Client,
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
            cloudwatch: aws_sdk_cloudwatch::Client::new(config),
            scheduler: aws_sdk_scheduler::Client::new(config),
            sfn: aws_sdk_sfn::Client::new(config),
            region: config.region().map(|r| r.to_string()).unwrap_or_default(),
        }
    }
}
