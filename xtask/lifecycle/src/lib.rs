//! The AWS verbs of `cargo xtask` (this crate's binary, `xtask-lifecycle`, is what the
//! `cargo xtask` entry point runs for them): `build` and `push` of the image, `bootstrap`,
//! `deploy`, `diff`, `invoke`, `logs`, `status`, `drift`, `teardown` and `rebuild`, one module
//! each, on shared parts: the SDK access and its one error explainer (`sdk`), the AWS clients
//! and common flags (`clients`), ECR (`ecr`), what a stack is now
//! (`stack_state`) and what its status means (`stack_status`), what a deploy or diff
//! proposes (`proposal`) with its parameters checked (`parameter_check`), change sets
//! (`changeset`) with the plan kept as one (`kept_change_set`), applying one (`apply`), the
//! stage's bootstrap outputs (`bootstrap_outputs`), live stack events (`events`), a fan-out stage's Step Functions executions
//! (`execution`), what teardown checks is gone (`verify`) and the terminal/CI/JSON
//! presentation (`ui`). `spec/batch-setup.md` describes the
//! procedure; the README lists the exit codes ([`ExitCode`]).

pub mod apply;
pub mod backfill;
pub mod bootstrap;
pub mod bootstrap_outputs;
pub mod build;
pub mod changeset;
pub mod clients;
pub mod cron;
pub mod deploy;
pub mod diff;
pub mod drift;
pub mod ecr;
pub mod events;
pub mod execution;
pub mod invoke;
pub mod kept_change_set;
pub mod logs;
pub mod parameter_check;
pub mod proposal;
pub mod push;
pub mod rebuild;
pub mod review;
pub mod sdk;
pub mod stack_state;
pub mod stack_status;
pub mod status;
pub mod teardown;
pub mod ui;
pub mod verify;

use std::time::Duration;

use anyhow::Result;

/// What every lifecycle command starts from: its stage, how it talks, an async runtime,
/// and the AWS clients (in the stage's region unless `--region` says otherwise).
pub struct Session {
    pub ui: ui::Ui,
    pub stage: xtask_stacks::stages::Stage,
    pub rt: tokio::runtime::Runtime,
    pub clients: clients::Clients,
    pub poll: Duration,
}

impl Session {
    pub fn open(
        stage: &xtask_stacks::stages::StageArgs,
        aws_args: &clients::AwsArgs,
        overrides: &[String],
    ) -> Result<Session> {
        let ui = ui::Ui::new(aws_args.output);
        let stage = stage.load(overrides)?;
        let rt = sdk::runtime()?;
        let config = rt.block_on(aws_args.sdk_config(stage.region.as_deref()))?;
        Ok(Session {
            ui,
            stage,
            rt,
            clients: clients::Clients::new(&config),
            poll: aws_args.poll_interval(),
        })
    }
}

/// Exit codes beyond 0 (success, also "no changes"), 1 (failed) and 2 (usage error).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    /// The user answered no at a confirmation: nothing was changed.
    Declined = 3,
}

/// An error that ends the command with a specific exit code; its message is printed as usual.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Exit {
    pub code: ExitCode,
    pub message: String,
}
