//! `cargo xtask bootstrap`: an administrator deploys the stage's bootstrap stack
//! (`xtask/stacks/src/bootstrap_stack.rs`: service role, permissions boundary, GitHub OIDC deployer role)
//! with the same change-set machinery as `deploy`, turns on termination protection of a
//! production stage's stack once it exists, and prints the deployer role's ARN for the
//! workflow. `deploy`, `diff` and `rebuild` read the bootstrap stack's outputs
//! ([`bootstrapped`]) to act through the service role.
//!
//! This is the only lifecycle code run with administrator rights: the deployer policy test
//! (`xtask/stacks/tests/deployer_policy.rs`) leaves it out of the calls the deployer must be allowed.

use anyhow::{anyhow, bail, Result};
use serde_json::json;

use crate::apply::{apply, settle_stack, Applied, Mode};
use crate::clients::{describe_error, AwsArgs, Clients};
use crate::proposal::Proposal;
use crate::proposal::{self, source_revision};
use crate::stack_state;
use crate::stack_state::{next_step, Next};
use crate::ui::{table, Ui};
use crate::Session;
use xtask_stacks::bootstrap_stack::{self, outputs, params, GITHUB_OIDC_HOST};
use xtask_stacks::main_stack;
use xtask_stacks::stages::{Stage, StageArgs};
use xtask_stacks::templates;
use xtask_support::shell::project_root;

#[derive(clap::Args, Debug)]
pub struct Bootstrap {
    #[command(flatten)]
    pub stage: StageArgs,
    #[command(flatten)]
    pub aws: AwsArgs,
    /// The GitHub repository (OWNER/NAME) whose main branch may deploy the stage [default:
    /// the bootstrap stack's current value, else the `origin` remote's]
    #[arg(long, value_name = "OWNER/NAME")]
    pub github_repository: Option<String>,
    /// Execute the change set without asking.
    #[arg(long)]
    pub yes: bool,
}

impl Bootstrap {
    pub fn run(self) -> Result<()> {
        let Session {
            ui,
            stage,
            rt,
            clients,
            poll,
        } = Session::open(&self.stage, &self.aws, &[])?;
        let report = rt.block_on(run(
            &clients,
            &stage,
            self.github_repository.as_deref(),
            self.yes,
            poll,
            &ui,
        ))?;
        ui.json(&report);
        Ok(())
    }
}

async fn run(
    clients: &Clients,
    stage: &Stage,
    github_repository: Option<&str>,
    yes: bool,
    poll: std::time::Duration,
    ui: &Ui,
) -> Result<serde_json::Value> {
    let cfn = &clients.cloudformation;
    let stack_name = bootstrap_stack::stack_name(&stage.name);
    let existing = stack_state::describe(cfn, &stack_name).await?;
    let previous = |key: &str| {
        existing
            .as_ref()
            .and_then(|s| s.parameters.get(key).cloned())
    };
    let repository = github_repository
        .map(str::to_owned)
        .or_else(|| previous(params::GITHUB_REPOSITORY))
        .or_else(origin_repository)
        .ok_or_else(|| {
            anyhow!(
                "which GitHub repository may deploy stage `{}`? pass --github-repository \
                 OWNER/NAME (no `origin` remote on github.com to take it from)",
                stage.name
            )
        })?;
    check_repository(&repository)?;
    let Some(source_bucket) = stage.parameters.get(main_stack::params::SOURCE_BUCKET) else {
        bail!(
            "stage `{}` has no {} in deploy/stages.toml: the boundary lets the job read only \
             that bucket; add it under [{}.parameters]",
            stage.name,
            main_stack::params::SOURCE_BUCKET,
            stage.name
        );
    };
    // One provider per account: created by the first bootstrap stack that finds none, and
    // kept by that stack on later updates.
    let create_provider = match previous(params::CREATE_OIDC_PROVIDER) {
        Some(value) => value,
        None => (!github_provider_exists(clients).await?).to_string(),
    };
    let parameters: Vec<(String, Option<String>)> = [
        (params::STAGE, stage.name.clone()),
        (params::GITHUB_REPOSITORY, repository.clone()),
        (params::PRODUCTION, stage.production.to_string()),
        (params::REPOSITORY_NAME, stage.repository.clone()),
        (params::SOURCE_BUCKET, source_bucket.clone()),
        (params::CREATE_OIDC_PROVIDER, create_provider),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), Some(v)))
    .collect();

    let existing = settle_stack(cfn, &stack_name, false, yes, poll, ui).await?;
    let create = next_step(existing.as_ref().map(|s| &s.status)) == Next::Create;
    let before = match &existing {
        Some(info) if !create => info.parameters.clone(),
        _ => Default::default(),
    };
    let revision = source_revision();
    let proposal = Proposal {
        stack_name: stack_name.clone(),
        template_body: templates::render_bootstrap(),
        parameters,
        tags: proposal::tags(stage, &revision),
        create,
        description: format!("cargo xtask bootstrap of {revision}"),
        role_arn: None,
        named_iam: true,
    };
    ui.say(format!(
        "{} change set for stack {stack_name} (stage {}, {}, GitHub {repository})",
        if create { "CREATE" } else { "UPDATE" },
        stage.name,
        if stage.production {
            "production"
        } else {
            "not production"
        }
    ));
    let Applied {
        status, changes, ..
    } = apply(
        cfn,
        &proposal,
        &before,
        Mode::Execute { yes },
        poll,
        ui,
        "bootstrap",
    )
    .await?;
    let info = stack_state::describe(cfn, &stack_name)
        .await?
        .ok_or_else(|| anyhow!("stack {stack_name} is gone right after the bootstrap"))?;

    // Termination protection of the production stack: only an administrator changes it.
    let mut protected = None;
    if stage.production {
        match stack_state::describe(cfn, &stage.stack_name).await? {
            Some(main) if !main.termination_protection => {
                cfn.update_termination_protection()
                    .stack_name(&stage.stack_name)
                    .enable_termination_protection(true)
                    .send()
                    .await
                    .map_err(|e| {
                        anyhow!(
                            "cannot turn on termination protection for {}: {}",
                            stage.stack_name,
                            describe_error(&e)
                        )
                    })?;
                ui.say(format!(
                    "termination protection on for {} (production stage)",
                    stage.stack_name
                ));
                protected = Some(true);
            }
            Some(_) => protected = Some(true),
            None => ui.say(format!(
                "stack {} does not exist yet: run `cargo xtask bootstrap --stage {}` again after \
                 its first deploy to turn on its termination protection",
                stage.stack_name, stage.name
            )),
        }
    }

    let rows: Vec<Vec<String>> = info
        .outputs
        .iter()
        .map(|(k, v)| vec![k.clone(), v.clone()])
        .collect();
    if !rows.is_empty() {
        ui.say(table(&["Output", "Value"], &rows));
    }
    let deployer = info.outputs.get(outputs::DEPLOYER_ROLE_ARN);
    if let Some(arn) = deployer {
        ui.say(format!(
            "set the variable DEPLOY_ROLE_ARN of the GitHub environment `{}` to {arn}",
            stage.name
        ));
    }
    ui.say(format!(
        "the role trusts only the OIDC subject `{}`: customise the repository's subject claim \
         once with `gh api -X PUT repos/{repository}/actions/oidc/customization/sub -F \
         use_default=false -f 'include_claim_keys[]=repo' -f 'include_claim_keys[]=context' \
         -f 'include_claim_keys[]=ref'`",
        bootstrap_stack::github_subject(&repository, &stage.name)
    ));
    Ok(json!({
        "stack": stack_name,
        "stage": stage.name,
        "region": clients.region,
        "status": status,
        "changes": super::changeset::to_json(&changes),
        "outputs": info.outputs,
        "deployer_role_arn": deployer,
        "github_subject": bootstrap_stack::github_subject(&repository, &stage.name),
        "termination_protection": protected,
    }))
}

/// Whether the account has GitHub's OIDC provider already.
async fn github_provider_exists(clients: &Clients) -> Result<bool> {
    let out = clients
        .iam
        .list_open_id_connect_providers()
        .send()
        .await
        .map_err(|e| {
            anyhow!(
                "cannot list the account's OIDC providers: {}",
                describe_error(&e)
            )
        })?;
    Ok(out
        .open_id_connect_provider_list()
        .iter()
        .filter_map(|p| p.arn())
        .any(|arn| arn.ends_with(&format!(":oidc-provider/{GITHUB_OIDC_HOST}"))))
}

/// `OWNER/NAME` of the `origin` remote when it is on github.com.
fn origin_repository() -> Option<String> {
    let out = std::process::Command::new("git")
        .args(["remote", "get-url", "origin"])
        .current_dir(project_root())
        .output()
        .ok()
        .filter(|o| o.status.success())?;
    parse_github_remote(String::from_utf8_lossy(&out.stdout).trim())
}

/// `git@github.com:owner/name.git`, `https://github.com/owner/name(.git)` → `owner/name`.
pub fn parse_github_remote(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("git@github.com:")
        .or_else(|| url.strip_prefix("https://github.com/"))
        .or_else(|| url.strip_prefix("ssh://git@github.com/"))?;
    let rest = rest.trim_end_matches('/');
    let rest = rest.strip_suffix(".git").unwrap_or(rest);
    check_repository(rest).ok().map(|_| rest.to_owned())
}

fn check_repository(repository: &str) -> Result<()> {
    let ok = repository.split_once('/').is_some_and(|(owner, name)| {
        let part = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        };
        part(owner) && part(name)
    });
    if !ok {
        bail!("--github-repository {repository:?} is not OWNER/NAME");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_remotes_give_owner_and_name() {
        for url in [
            "git@github.com:octo/author-stats.git",
            "https://github.com/octo/author-stats",
            "https://github.com/octo/author-stats.git",
            "ssh://git@github.com/octo/author-stats.git",
        ] {
            assert_eq!(
                parse_github_remote(url).as_deref(),
                Some("octo/author-stats"),
                "{url}"
            );
        }
        assert_eq!(parse_github_remote("https://gitlab.com/octo/a"), None);
        assert!(check_repository("octo").is_err());
        assert!(check_repository("octo/a b").is_err());
    }
}
