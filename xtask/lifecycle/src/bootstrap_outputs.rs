//! The stage's bootstrap stack as `deploy`, `diff` and `rebuild` read it: whether the
//! stage was bootstrapped, and its outputs (service role, boundary) taken into the stage.

use anyhow::{bail, Result};

use crate::clients::Clients;

use crate::stack_state;
use crate::ui::Ui;
use xtask_stacks::bootstrap_stack::{self, outputs};
use xtask_stacks::main_stack;
use xtask_stacks::stages::Stage;

/// The stage's bootstrap, when it has one: the service role to pass (`RoleARN`), and the
/// boundary set as the stack's `PermissionsBoundaryArn` unless the stage sets it. Without a
/// bootstrap stack (emulators, an administrator's own deploy) CloudFormation acts with the
/// caller's rights and the roles get no boundary.
pub async fn bootstrapped(clients: &Clients, stage: &mut Stage, ui: &Ui) -> Result<Option<String>> {
    let name = bootstrap_stack::stack_name(&stage.name);
    let Some(info) = stack_state::describe(&clients.cloudformation, &name).await? else {
        ui.say(format!(
            "no bootstrap stack {name}: CloudFormation acts with your own permissions \
             (`cargo xtask bootstrap` sets up the service role)"
        ));
        return Ok(None);
    };
    let (Some(role), Some(boundary)) = (
        info.outputs.get(outputs::CFN_EXEC_ROLE_ARN),
        info.outputs.get(outputs::BOUNDARY_ARN),
    ) else {
        bail!(
            "bootstrap stack {name} ({}) lacks the outputs {} and {}: run `cargo xtask \
             bootstrap --stage {}` (as an administrator) to finish it",
            info.status,
            outputs::CFN_EXEC_ROLE_ARN,
            outputs::BOUNDARY_ARN,
            stage.name
        );
    };
    stage
        .parameters
        .entry(main_stack::params::PERMISSIONS_BOUNDARY.to_owned())
        .or_insert_with(|| boundary.clone());
    Ok(Some(role.clone()))
}
