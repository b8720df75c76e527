//! `cargo xtask rebuild`: the clean-environment rebuild in one command: teardown, deploy,
//! then a smoke run (invoke the function; `index.json` must be in the charts bucket).

use anyhow::{anyhow, bail, Result};
use serde_json::json;

use crate::build::Build;
use crate::clients::{describe_error, AwsArgs, Clients};
use crate::deploy::{deploy, DeployOptions};
use crate::invoke;
use crate::proposal::{check_pinned, source_revision};
use crate::stack_state;
use crate::teardown::teardown;
use crate::ui::Ui;
use crate::Session;
use contract::files;
use xtask_stacks::main_stack::{outputs, Scope};
use xtask_stacks::stages::Stage;
use xtask_stacks::stages::StageArgs;

#[derive(clap::Args, Debug)]
pub struct Rebuild {
    #[command(flatten)]
    pub stage: StageArgs,
    #[command(flatten)]
    pub aws: AwsArgs,
    /// Do not ask before the teardown.
    #[arg(long)]
    pub yes: bool,
    /// Override a stack parameter, e.g. --param ActiveDays=14 (repeatable).
    #[arg(long = "param", value_name = "KEY=VALUE")]
    pub params: Vec<String>,
    /// Deploy this image (REPOSITORY@sha256:…) instead of building and pushing one; the
    /// ECR repository is then kept.
    #[arg(long, value_name = "REF")]
    pub image: Option<String>,
    /// Active window of the smoke run in days [default: the function's].
    #[arg(long)]
    pub days: Option<u32>,
    /// `full` (production) or `core` (what local emulators support), as for deploy.
    #[arg(long, value_enum, default_value_t = Scope::Full)]
    pub scope: Scope,
    #[command(flatten)]
    pub build: Build,
}

impl Rebuild {
    pub fn run(self) -> Result<()> {
        let Session {
            ui,
            stage,
            rt,
            clients,
            poll,
        } = Session::open(&self.stage, &self.aws, &self.params)?;
        let mut stage = stage;
        let service_role = rt.block_on(crate::bootstrap_outputs::bootstrapped(
            &clients, &mut stage, &ui,
        ))?;
        // A given image lives in a repository we must not delete under it.
        let keep_images = self.image.is_some();
        ui.say(format!("rebuild 1/3: teardown of {}", stage.stack_name));
        let torn = rt.block_on(teardown(&clients, &stage, keep_images, self.yes, poll, &ui))?;
        ui.say(format!("rebuild 2/3: deploy of {}", stage.stack_name));
        let image = match &self.image {
            Some(reference) => check_pinned(reference)?.to_owned(),
            None => super::deploy::build_and_push(&self.build, &rt, &clients, &stage, &ui)?,
        };
        let options = DeployOptions {
            image,
            scope: self.scope,
            yes: true,
            poll,
            revision: source_revision(),
            service_role,
            execute: true,
            // A new stack: the deploy draws every listed author's chart once.
            backfill: true,
        };
        let deployed = rt.block_on(deploy(&clients, &stage, &options, &ui))?;
        ui.say("rebuild 3/3: smoke run");
        let summary = rt.block_on(smoke(&clients, &stage, self.days, poll, &ui))?;
        ui.json(&json!({
            "teardown": torn,
            "deploy": deployed,
            "smoke": summary,
        }));
        Ok(())
    }
}

/// Runs the job (as `invoke` does) and checks that `index.json` is in the charts bucket.
pub async fn smoke(
    clients: &Clients,
    stage: &Stage,
    days: Option<u32>,
    poll: std::time::Duration,
    ui: &Ui,
) -> Result<serde_json::Value> {
    let mut event = serde_json::json!({ "dry_run": false });
    if let Some(days) = days {
        event["days"] = serde_json::json!(days);
    }
    let summary = invoke::invoke(clients, stage, event, invoke::Origin::Smoke, poll, ui).await?;
    let bucket = &stack_state::stage_output(clients, stage, outputs::CHARTS_BUCKET).await?;
    let key = format!("{}{}", files::DEFAULT_CHARTS_PREFIX, files::INDEX_FILE);
    match clients
        .s3
        .head_object()
        .bucket(bucket)
        .key(&key)
        .send()
        .await
    {
        Ok(head) => ui.say(format!(
            "smoke run ok: s3://{bucket}/{key} is there ({} bytes)",
            head.content_length().unwrap_or_default()
        )),
        Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 404) => bail!(
            "smoke run: the function succeeded but s3://{bucket}/{key} is missing: see `cargo \
             xtask logs --stage {}`",
            stage.name
        ),
        Err(e) => {
            return Err(anyhow!(
                "smoke run: cannot read s3://{bucket}/{key}: {}",
                describe_error(&e)
            ))
        }
    }
    Ok(summary)
}
