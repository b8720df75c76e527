//! `cargo xtask diff`: the change-set preview of a deploy, without executing it, shown as
//! deploy shows it (resources, parameters old → new, security: `review`). The change set is
//! deleted afterwards (and so is the empty stack a CREATE preview leaves); to keep a
//! reviewed change set for a later apply, use `deploy --no-execute`.

use anyhow::{bail, Result};
use serde_json::{json, Value};

use crate::bootstrap_outputs::bootstrapped;
use crate::changeset::{self, Prepared};
use crate::clients::{AwsArgs, Clients};
use crate::events;
use crate::proposal::Proposal;
use crate::proposal::{self, check_pinned, parameter_values, source_revision};
use crate::review::{self, Review};
use crate::stack_state::{self, next_step, Next};
use crate::stack_status::StackStatus;
use crate::ui::Ui;
use crate::Session;
use xtask_stacks::main_stack::{params, Scope};
use xtask_stacks::stages::{Stage, StageArgs};

#[derive(clap::Args, Debug)]
pub struct Diff {
    #[command(flatten)]
    pub stage: StageArgs,
    #[command(flatten)]
    pub aws: AwsArgs,
    /// Override a stack parameter, e.g. --param ActiveDays=14 (repeatable).
    #[arg(long = "param", value_name = "KEY=VALUE")]
    pub params: Vec<String>,
    /// Preview with this image (REPOSITORY@sha256:…) [default: the stack's current image].
    #[arg(long, value_name = "REF")]
    pub image: Option<String>,
    /// `full` (production) or `core` (what local emulators support).
    #[arg(long, value_enum, default_value_t = Scope::Full)]
    pub scope: Scope,
}

impl Diff {
    pub fn run(self) -> Result<()> {
        let Session {
            ui,
            stage,
            rt,
            clients,
            poll,
        } = Session::open(&self.stage, &self.aws, &self.params)?;
        let mut stage = stage;
        let service_role = rt.block_on(bootstrapped(&clients, &mut stage, &ui))?;
        let image = self.image.as_deref().map(check_pinned).transpose()?;
        let report = rt.block_on(diff(
            &clients,
            &stage,
            image,
            service_role.as_deref(),
            self.scope,
            poll,
            &ui,
        ))?;
        ui.json(&report);
        Ok(())
    }
}

/// Proposes the change set (as `service_role`, when the stage has one), prints it, deletes
/// it. Returns the `--output json` report.
pub async fn diff(
    clients: &Clients,
    stage: &Stage,
    image: Option<&str>,
    service_role: Option<&str>,
    scope: Scope,
    poll: std::time::Duration,
    ui: &Ui,
) -> Result<Value> {
    let cfn = &clients.cloudformation;
    let stack_name = &stage.stack_name;
    let existing = stack_state::describe(cfn, stack_name).await?;
    let status = existing.as_ref().map(|s| &s.status);
    let next = next_step(status);
    if next != Next::Create && next != Next::Update {
        bail!(
            "stack {stack_name} is {}: no change set can be made now (deploy says what to do)",
            status.map(StackStatus::as_str).unwrap_or_default()
        );
    }
    let create = next == Next::Create;
    let has_image = existing
        .as_ref()
        .is_some_and(|s| s.parameters.contains_key(params::IMAGE_URI));
    if image.is_none() && (create || !has_image) {
        bail!(
            "stack {stack_name} has no image yet: pass --image REPOSITORY@sha256:… (what `cargo \
             xtask push` prints) to preview its creation"
        );
    }
    let proposal = Proposal {
        role_arn: service_role.map(str::to_owned),
        ..proposal::propose(
            stage,
            scope,
            parameter_values(scope, stage, image)?,
            &source_revision(),
            create,
            "cargo xtask diff (preview, never executed)".into(),
        )
    };
    let before = match &existing {
        Some(info) if !create => info.parameters.clone(),
        _ => Default::default(),
    };
    let (would_execute, review) = match changeset::prepare(cfn, &proposal, poll).await? {
        Prepared::NoChanges => {
            ui.say(format!("no changes: stack {stack_name} is up to date"));
            (false, Review::default())
        }
        Prepared::Ready {
            id,
            stack_id,
            changes,
            parameters,
            ..
        } => {
            changeset::delete(cfn, &id).await?;
            if create {
                events::delete_review_shell(cfn, &stack_id).await?;
            }
            let review = review::of_proposal(&proposal, &before, changes, &parameters);
            ui.say(format!("what a deploy would change on {stack_name}:"));
            ui.say(review.render());
            (true, review)
        }
    };
    Ok(json!({
        "stack": stack_name,
        "stage": stage.name,
        "create": create,
        "would_execute": would_execute,
        "changes": changeset::to_json(&review.changes),
        "review": review.to_json(),
    }))
}
