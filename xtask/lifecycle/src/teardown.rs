//! `cargo xtask teardown`: confirm, empty the stack's buckets (every version and delete
//! marker), delete the stack and watch it go, delete the stage's ECR repository unless
//! kept, then check that nothing the stack created is left and say what was checked.

use anyhow::{anyhow, bail, Result};
use aws_sdk_s3::types::{Delete, ObjectIdentifier};
use serde_json::{json, Value};

use crate::clients::{describe_error, AwsArgs, Clients};
use crate::ecr;
use crate::events;
use crate::stack_state;
use crate::ui::Ui;
use crate::verify::{self, Found, Resource};
use crate::Session;
use xtask_stacks::stages::{Stage, StageArgs};

#[derive(clap::Args, Debug)]
pub struct Teardown {
    #[command(flatten)]
    pub stage: StageArgs,
    #[command(flatten)]
    pub aws: AwsArgs,
    /// Keep the stage's ECR repository and its images.
    #[arg(long)]
    pub keep_images: bool,
    /// Do not ask (needed where nobody can answer, e.g. CI).
    #[arg(long)]
    pub yes: bool,
}

impl Teardown {
    pub fn run(self) -> Result<()> {
        let Session {
            ui,
            stage,
            rt,
            clients,
            poll,
        } = Session::open(&self.stage, &self.aws, &[])?;
        let report = rt.block_on(teardown(
            &clients,
            &stage,
            self.keep_images,
            self.yes,
            poll,
            &ui,
        ))?;
        ui.json(&report);
        Ok(())
    }
}

/// Every resource of the stack (following `NextToken`), also those without a physical id
/// (never created; moto lists the types it does not model with no id, type or name).
pub async fn resources(clients: &Clients, stack: &str) -> Result<Vec<Resource>> {
    let mut all = Vec::new();
    let mut token = None;
    loop {
        let out = clients
            .cloudformation
            .list_stack_resources()
            .stack_name(stack)
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| {
                anyhow!(
                    "cannot list the resources of {stack}: {}",
                    describe_error(&e)
                )
            })?;
        for r in out.stack_resource_summaries() {
            all.push(Resource {
                logical_id: r.logical_resource_id().unwrap_or_default().to_owned(),
                resource_type: r.resource_type().unwrap_or_default().to_owned(),
                physical_id: r.physical_resource_id().unwrap_or_default().to_owned(),
            });
        }
        token = out.next_token().map(str::to_owned);
        if token.is_none() {
            return Ok(all);
        }
    }
}

/// Deletes every object version and delete marker in `bucket`; returns how many.
pub async fn empty_bucket(clients: &Clients, bucket: &str) -> Result<usize> {
    let mut deleted = 0;
    loop {
        // Always the first page: what was listed is deleted before listing again.
        let out = clients
            .s3
            .list_object_versions()
            .bucket(bucket)
            .send()
            .await
            .map_err(|e| {
                anyhow!(
                    "cannot list the versions in bucket {bucket}: {}",
                    describe_error(&e)
                )
            })?;
        let ids: Vec<ObjectIdentifier> = out
            .versions()
            .iter()
            .map(|v| (v.key(), v.version_id()))
            .chain(
                out.delete_markers()
                    .iter()
                    .map(|m| (m.key(), m.version_id())),
            )
            .filter_map(|(key, version)| {
                ObjectIdentifier::builder()
                    .key(key?)
                    .set_version_id(version.map(str::to_owned))
                    .build()
                    .ok()
            })
            .collect();
        if ids.is_empty() {
            return Ok(deleted);
        }
        let count = ids.len();
        let result = clients
            .s3
            .delete_objects()
            .bucket(bucket)
            .delete(
                Delete::builder()
                    .set_objects(Some(ids))
                    .quiet(true)
                    .build()?,
            )
            .send()
            .await
            .map_err(|e| {
                anyhow!(
                    "cannot delete objects in bucket {bucket}: {}",
                    describe_error(&e)
                )
            })?;
        if let Some(first) = result.errors().first() {
            bail!(
                "{} objects in bucket {bucket} could not be deleted, e.g. {}: {} {}",
                result.errors().len(),
                first.key().unwrap_or_default(),
                first.code().unwrap_or_default(),
                first.message().unwrap_or_default()
            );
        }
        deleted += count;
    }
}

/// The teardown; returns the `--output json` report.
pub async fn teardown(
    clients: &Clients,
    stage: &Stage,
    keep_images: bool,
    yes: bool,
    poll: std::time::Duration,
    ui: &Ui,
) -> Result<Value> {
    let stack_name = &stage.stack_name;
    refuse_production(stage)?;
    let existing = stack_state::describe(&clients.cloudformation, stack_name).await?;
    let deleted = match &existing {
        None => {
            ui.say(format!(
                "stack {stack_name} does not exist in {}: nothing to delete",
                clients.region
            ));
            DeletedStack::default()
        }
        Some(info) => {
            let target = Target {
                clients,
                stage,
                keep_images,
                yes,
                ui,
            };
            target.delete_stack(info, poll).await?
        }
    };
    let repository_deleted =
        delete_repository(clients, stage, keep_images, existing.is_none(), yes, ui).await?;
    let Verified {
        checked,
        not_checked,
    } = verify_gone(clients, stage, &deleted.resources, keep_images).await?;
    let kinds: std::collections::BTreeSet<&str> =
        checked.iter().filter_map(|c| c["type"].as_str()).collect();
    ui.say(format!(
        "verified gone: {} resources checked one by one ({})",
        checked.len(),
        kinds.into_iter().collect::<Vec<_>>().join(", ")
    ));
    if let Some(first) = not_checked.first() {
        ui.say(format!(
            "warning: not checked: {} resources ({}), because {}",
            not_checked.len(),
            not_checked
                .iter()
                .map(|c| format!(
                    "{} {}",
                    c["type"].as_str().unwrap_or_default(),
                    c["id"].as_str().unwrap_or_default()
                ))
                .collect::<Vec<_>>()
                .join(", "),
            first["why"].as_str().unwrap_or_default()
        ));
    }
    Ok(json!({
        "stack": stack_name,
        "stage": stage.name,
        "existed": existing.is_some(),
        "objects_deleted": deleted.objects,
        "repository_deleted": repository_deleted,
        "verified_gone": checked,
        "not_checked": not_checked,
        "never_created": deleted.never_created,
    }))
}

/// A production stage is never torn down by this command.
fn refuse_production(stage: &Stage) -> Result<()> {
    if stage.production {
        let stack_name = &stage.stack_name;
        bail!(
            "stage `{}` is production (deploy/stages.toml): its stack {stack_name} is not torn \
             down by this command, and its deployer role may not delete it. An administrator \
             who really means it turns termination protection off \
             (`aws cloudformation update-termination-protection \
             --no-enable-termination-protection --stack-name {stack_name}`) and deletes it",
            stage.name
        );
    }
    Ok(())
}

/// What deleting the stack took with it.
#[derive(Default)]
struct DeletedStack {
    /// The resources it had (each checked afterwards).
    resources: Vec<Resource>,
    /// Resources without a physical id: never created.
    never_created: Vec<String>,
    /// Object versions and delete markers deleted from its buckets.
    objects: usize,
}

/// The stage a teardown works on, and how it asks.
struct Target<'a> {
    clients: &'a Clients,
    stage: &'a Stage,
    keep_images: bool,
    yes: bool,
    ui: &'a Ui,
}

impl Target<'_> {
    /// Confirm, empty the stack's buckets, delete the stack and wait for it.
    async fn delete_stack(
        &self,
        info: &stack_state::StackInfo,
        poll: std::time::Duration,
    ) -> Result<DeletedStack> {
        let (clients, ui) = (self.clients, self.ui);
        let stack_name = &self.stage.stack_name;
        if info.termination_protection {
            bail!(
                "stack {stack_name} has termination protection (a production stage): it is \
                 not torn down by this command. If it really must go, turn protection off \
                 first: `aws cloudformation update-termination-protection \
                 --no-enable-termination-protection --stack-name {stack_name}`"
            );
        }
        let (named, unnamed): (Vec<Resource>, Vec<Resource>) = resources(clients, &info.id)
            .await?
            .into_iter()
            .partition(Resource::was_created);
        if !unnamed.is_empty() {
            ui.say(format!(
                "{} resource(s) of {stack_name} have no physical id ({}): they were never \
                 created, so there is nothing to empty or to check",
                unnamed.len(),
                unnamed
                    .iter()
                    .map(Resource::describe)
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        let buckets: Vec<&Resource> = named
            .iter()
            .filter(|r| r.resource_type == "AWS::S3::Bucket")
            .collect();
        ui.say(format!(
            "stack {stack_name} ({}) holds {} resources, {} of them buckets whose objects go too",
            info.status,
            named.len(),
            buckets.len()
        ));
        ui.confirm(
            &format!(
                "Delete stack {stack_name}, everything in it{}?",
                if self.keep_images {
                    String::new()
                } else {
                    format!(" and ECR repository {}", self.stage.repository)
                }
            ),
            self.yes,
        )?;
        let mut objects = 0;
        for bucket in buckets {
            let n = empty_bucket(clients, &bucket.physical_id).await?;
            ui.say(format!(
                "emptied bucket {}: {n} object versions and delete markers deleted",
                bucket.physical_id
            ));
            objects += n;
        }
        let finished = events::delete_stack(&clients.cloudformation, info, poll, ui).await?;
        if !finished.succeeded() {
            bail!(
                "stack {stack_name} was not deleted:\n{}\nRemove what blocks it (the \
                 reasons above), then run teardown again",
                finished.failure_report()
            );
        }
        ui.say(format!("stack {stack_name} deleted"));
        Ok(DeletedStack {
            never_created: unnamed.iter().map(Resource::describe).collect(),
            resources: named,
            objects,
        })
    }
}

/// Delete the stage's ECR repository unless `keep_images`; asks first when no stack was
/// there to confirm for (`no_stack`). Whether it was deleted.
async fn delete_repository(
    clients: &Clients,
    stage: &Stage,
    keep_images: bool,
    no_stack: bool,
    yes: bool,
    ui: &Ui,
) -> Result<bool> {
    if keep_images {
        ui.say(format!(
            "ECR repository {} kept (--keep-images)",
            stage.repository
        ));
        return Ok(false);
    }
    if no_stack && ecr::repository_exists(&clients.ecr, &stage.repository).await? {
        ui.confirm(
            &format!("Delete ECR repository {} and its images?", stage.repository),
            yes,
        )?;
    }
    let deleted = ecr::delete_repository(&clients.ecr, &stage.repository).await?;
    if deleted {
        ui.say(format!(
            "deleted ECR repository {} and its images",
            stage.repository
        ));
    }
    Ok(deleted)
}

/// What [`verify_gone`] checked (`type`, `id`), and what the endpoint could not read
/// (`type`, `id`, `why`).
struct Verified {
    checked: Vec<Value>,
    not_checked: Vec<Value>,
}

/// Check one by one that the stack, every resource it had and (unless kept) the
/// repository are gone; what was checked, or an error naming what is left.
async fn verify_gone(
    clients: &Clients,
    stage: &Stage,
    resources_before: &[Resource],
    keep_images: bool,
) -> Result<Verified> {
    let stack_name = &stage.stack_name;
    let mut left = Vec::new();
    let mut checked = Vec::new();
    let mut not_checked = Vec::new();
    if stack_state::describe(&clients.cloudformation, stack_name)
        .await?
        .is_some()
    {
        left.push(format!("stack {stack_name}"));
    }
    checked.push(json!({"type": "AWS::CloudFormation::Stack", "id": stack_name}));
    for resource in resources_before {
        let id = json!({"type": resource.resource_type, "id": resource.physical_id});
        match verify::check(clients, resource).await? {
            Found::Gone => checked.push(id),
            Found::StillThere => {
                left.push(format!(
                    "{} {}",
                    resource.resource_type, resource.physical_id
                ));
                checked.push(id);
            }
            Found::NotChecked(why) => {
                not_checked.push(json!({"type": resource.resource_type,
                    "id": resource.physical_id, "why": why}));
            }
        }
    }
    if !keep_images {
        if ecr::repository_exists(&clients.ecr, &stage.repository).await? {
            left.push(format!("ECR repository {}", stage.repository));
        }
        checked.push(json!({"type": "AWS::ECR::Repository", "id": stage.repository}));
    }
    if !left.is_empty() {
        bail!(
            "teardown of {stack_name} left {} behind: {}; delete them by hand or run teardown again",
            left.len(),
            left.join(", ")
        );
    }
    Ok(Verified {
        checked,
        not_checked,
    })
}
