//! `cargo xtask deploy`: build and push the image (not when ECR has its digest already),
//! synthesize, propose a change set (CREATE or UPDATE), show it (resources, parameters old
//! → new, security), ask, execute, stream the stack's events to the end, print the outputs
//! with the charts' base URL, and backfill a new stack, chart style or image. With
//! `--no-execute` the change set is kept instead (the plan); `--change-set NAME` executes a
//! kept one (the apply, in `kept_change_set`).

use std::time::Duration;

use anyhow::Result;
use serde_json::{json, Value};

use std::collections::BTreeMap;

use crate::apply::{apply, finish, settle_stack, Mode, NO_CHANGES};
use crate::bootstrap_outputs::bootstrapped;
use crate::build::Build;
use crate::changeset::{self};
use crate::clients::{AwsArgs, Clients};
use crate::ecr;
use crate::events;
use crate::kept_change_set;
use crate::proposal::Proposal;
use crate::proposal::{self, check_pinned, source_revision};
use crate::stack_state::{next_step, Next};
use crate::ui::Ui;
use crate::Session;
use xtask_image as image;
use xtask_image::registry::Registry;
use xtask_stacks::main_stack::Scope;
use xtask_stacks::stages::{Stage, StageArgs};

#[derive(clap::Args, Debug)]
pub struct Deploy {
    #[command(flatten)]
    pub stage: StageArgs,
    #[command(flatten)]
    pub aws: AwsArgs,
    /// Execute the change set (and recreate a ROLLBACK_COMPLETE stack) without asking.
    /// CI=true also executes without asking.
    #[arg(long)]
    pub yes: bool,
    /// Override a stack parameter for this run, e.g. --param ActiveDays=14 (repeatable).
    #[arg(long = "param", value_name = "KEY=VALUE")]
    pub params: Vec<String>,
    /// Deploy this image (REPOSITORY@sha256:…) instead of building and pushing one.
    #[arg(long, value_name = "REF")]
    pub image: Option<String>,
    /// Which resources: `full` (production) or `core` (bucket, roles, log group, function,
    /// queue: what local emulators such as moto support).
    #[arg(long, value_enum, default_value_t = Scope::Full)]
    pub scope: Scope,
    /// Plan only: create the change set, show it and keep it unexecuted; prints its name and
    /// the command that executes it.
    #[arg(long, conflicts_with = "change_set")]
    pub no_execute: bool,
    /// Apply: execute exactly this kept change set (from --no-execute) if the stack has not
    /// changed since it was planned. Builds and pushes nothing.
    #[arg(long, value_name = "NAME", conflicts_with_all = ["image", "params"])]
    pub change_set: Option<String>,
    /// Do not run the function once with {"changed": true} after the stack is created or its
    /// chart style or image changed (the next daily run draws those charts instead).
    #[arg(long)]
    pub no_backfill: bool,
    #[command(flatten)]
    pub build: Build,
}

/// What one deploy needs beyond the stage.
#[derive(Debug, Clone)]
pub struct DeployOptions {
    /// `REPOSITORY@sha256:…`.
    pub image: String,
    pub scope: Scope,
    pub yes: bool,
    pub poll: Duration,
    /// The `source-revision` tag.
    pub revision: String,
    /// The CloudFormation service role (`RoleARN`) from the stage's bootstrap stack, if any.
    pub service_role: Option<String>,
    /// `false`: `--no-execute`, keep the change set for a later `--change-set`.
    pub execute: bool,
    /// `false`: `--no-backfill`.
    pub backfill: bool,
}

impl Deploy {
    pub fn run(self) -> Result<()> {
        let Session {
            ui,
            stage,
            rt,
            clients,
            poll,
        } = Session::open(&self.stage, &self.aws, &self.params)?;
        if let Some(name) = &self.change_set {
            let report = rt.block_on(kept_change_set::apply_kept(
                &clients,
                &stage,
                name,
                self.yes,
                !self.no_backfill,
                poll,
                &ui,
            ))?;
            ui.json(&report);
            return Ok(());
        }
        // The stage's parameters and chart style, checked before any AWS call or build.
        proposal::parameter_values(self.scope, &stage, None)?;
        for warning in stage.warnings() {
            ui.say(format!("warning: {warning}"));
        }
        let mut stage = stage;
        let service_role = rt.block_on(bootstrapped(&clients, &mut stage, &ui))?;
        let image = match &self.image {
            Some(reference) => check_pinned(reference)?.to_owned(),
            None => build_and_push(&self.build, &rt, &clients, &stage, &ui)?,
        };
        let options = DeployOptions {
            image,
            scope: self.scope,
            yes: self.yes,
            poll,
            revision: source_revision(),
            service_role,
            execute: !self.no_execute,
            backfill: !self.no_backfill,
        };
        let report = rt.block_on(deploy(&clients, &stage, &options, &ui))?;
        ui.json(&report);
        Ok(())
    }
}

/// Builds the image, makes sure the stage's ECR repository exists, and pushes unless ECR
/// already holds the digest. Returns `<repository URI>@sha256:…`.
pub fn build_and_push(
    build: &Build,
    rt: &tokio::runtime::Runtime,
    clients: &Clients,
    stage: &Stage,
    ui: &Ui,
) -> Result<String> {
    let built = image::build(&build.options())?;
    let image = built.image;
    let digest = image.digest().to_string();
    let repo = rt.block_on(ecr::ensure_repository(
        &clients.ecr,
        &stage.repository,
        ecr::MIN_KEEP,
    ))?;
    if rt.block_on(ecr::has_image(&clients.ecr, &stage.repository, &digest))? {
        ui.say(format!(
            "image {digest} is already in {}: not pushed again",
            repo.uri
        ));
    } else {
        let login = rt.block_on(ecr::registry_login(&clients.ecr))?;
        let registry = Registry::new(&login.endpoint, Some(login.credentials), false)?
            .with_auth_fix(ecr::AUTH_FIX);
        registry.push(&image, &stage.repository, &crate::push::default_tag(&image))?;
    }
    Ok(format!("{}@{digest}", repo.uri))
}

/// Everything after the image: change set, confirmation, execution, events, outputs and
/// the backfill (or, with `execute` false, the kept change set). Returns the report
/// `--output json` prints.
pub async fn deploy(
    clients: &Clients,
    stage: &Stage,
    options: &DeployOptions,
    ui: &Ui,
) -> Result<Value> {
    let cfn = &clients.cloudformation;
    let stack_name = &stage.stack_name;
    let parameters = proposal::parameter_values(options.scope, stage, Some(&options.image))?;
    let existing = settle_stack(
        cfn,
        stack_name,
        stage.production,
        options.yes,
        options.poll,
        ui,
    )
    .await?;
    let create = next_step(existing.as_ref().map(|s| &s.status)) == Next::Create;
    let before = match &existing {
        Some(info) if !create => info.parameters.clone(),
        _ => BTreeMap::new(),
    };
    let mut description = format!("cargo xtask deploy of {}", options.revision);
    if !options.execute {
        let event = match &existing {
            Some(info) if !create => events::mark(cfn, &info.id).await?,
            _ => None,
        };
        description = kept_change_set::description(
            &format!("cargo xtask deploy --no-execute of {}", options.revision),
            event.as_deref(),
        );
    }
    let proposal = Proposal {
        role_arn: options.service_role.clone(),
        ..proposal::propose(
            stage,
            options.scope,
            parameters,
            &options.revision,
            create,
            description,
        )
    };
    ui.say(format!(
        "{} change set for stack {stack_name} (image {}){}",
        if create { "CREATE" } else { "UPDATE" },
        options.image,
        options
            .service_role
            .as_deref()
            .map(|role| format!(", as service role {role}"))
            .unwrap_or_default()
    ));
    let mode = if options.execute {
        Mode::Execute { yes: options.yes }
    } else {
        Mode::Keep
    };
    let applied = apply(cfn, &proposal, &before, mode, options.poll, ui, "deploy").await?;
    if let Some(name) = &applied.kept {
        ui.say(format!(
            "kept change set {name} (not executed); after review, execute exactly it with:\n  \
             cargo xtask deploy --stage {} --change-set {name}",
            stage.name
        ));
        return Ok(json!({
            "stack": stack_name,
            "stage": stage.name,
            "region": clients.region,
            "status": "planned",
            "create": create,
            "image": options.image,
            "change_set": name,
            "apply": format!("cargo xtask deploy --stage {} --change-set {name}", stage.name),
            "changes": changeset::to_json(&applied.changes),
            "review": applied.review.to_json(),
        }));
    }
    if applied.status == NO_CHANGES {
        return Ok(json!({
            "stack": stack_name,
            "stage": stage.name,
            "region": clients.region,
            "status": NO_CHANGES,
            "image": options.image,
            "changes": [],
            "change_set": null,
            "backfill": null,
        }));
    }
    finish(
        clients,
        stage,
        &applied.status,
        create,
        &applied.review,
        &options.image,
        options.backfill,
        options.poll,
        ui,
    )
    .await
}
