//! The deploy lifecycle: `deploy`, `diff`, `invoke`, `logs`, `teardown` and `rebuild`, one
//! module each, on shared parts: the AWS clients and common flags (`aws`), the stage file
//! (`stages`), what a stack is now (`stack_state`), change sets (`changeset`), live stack
//! events (`events`), what teardown checks is gone (`verify`) and the terminal/CI/JSON
//! presentation (`ui`). `spec/batch-setup.md` describes the procedure; the README lists the
//! exit codes ([`ExitCode`]).

pub mod aws;
pub mod changeset;
pub mod deploy;
pub mod diff;
pub mod events;
pub mod invoke;
pub mod logs;
pub mod rebuild;
pub mod stack_state;
pub mod stages;
pub mod teardown;
pub mod ui;
pub mod verify;

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
