//! `xtask-lifecycle`: the AWS verbs of `cargo xtask`, which runs this binary for them (built
//! on first use, so `cargo xtask demo` and `synth` never compile an AWS SDK). This file is
//! their table of contents: it parses flags and dispatches one verb to the module holding it.

use clap::{Parser, Subcommand};
use xtask_lifecycle::{
    bootstrap, build, deploy, diff, drift, invoke, logs, push, rebuild, sdk, status, teardown, Exit,
};

#[derive(Parser)]
#[command(
    name = "cargo xtask",
    bin_name = "cargo xtask",
    about = "The AWS verbs of cargo xtask"
)]
struct Cli {
    /// Debug detail of AWS errors (the SDK's whole error chain) after the one-line message.
    #[arg(short, long, global = true)]
    verbose: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Static release build of the job and its Lambda container image (OCI layout in target/).
    Build(build::Build),
    /// Push the image to ECR (or --registry), print `<repo-uri>@sha256:…`.
    Push(push::Push),
    /// Once per stage, as an administrator: the service role, permissions boundary and GitHub
    /// OIDC deployer role of the stage (stack author-stats-batch-<stage>-bootstrap).
    Bootstrap(bootstrap::Bootstrap),
    /// Build, push, and deploy the stack of a stage through a change set; stream its events
    /// (--no-execute: plan and keep the change set; --change-set NAME: apply a kept one).
    Deploy(deploy::Deploy),
    /// Preview the change set a deploy would make (never executed).
    Diff(diff::Diff),
    /// Run the deployed function now and print its summary (--changed: the charts whose data,
    /// style or renderer changed, as the daily run; --all: every author).
    Invoke(invoke::Invoke),
    /// The function's recent log lines (--follow to keep reading).
    Logs(logs::Logs),
    /// Recent runs (with their trigger), schedules, dead letters, alarms and a verdict: exit 0
    /// healthy, 1 not.
    Status(status::Status),
    /// Resources changed outside CloudFormation, with their differences: exit 1 on drift.
    Drift(drift::Drift),
    /// Empty the charts bucket, delete the stack and the image repository, verify all gone.
    Teardown(teardown::Teardown),
    /// Teardown, deploy and a smoke run: a clean environment in one command.
    Rebuild(rebuild::Rebuild),
}

fn main() {
    let cli = Cli::parse();
    sdk::set_verbose(cli.verbose);
    let result = match cli.command {
        Command::Build(cmd) => cmd.run(),
        Command::Push(cmd) => cmd.run(),
        Command::Bootstrap(cmd) => cmd.run(),
        Command::Deploy(cmd) => cmd.run(),
        Command::Diff(cmd) => cmd.run(),
        Command::Invoke(cmd) => cmd.run(),
        Command::Logs(cmd) => cmd.run(),
        Command::Status(cmd) => cmd.run(),
        Command::Drift(cmd) => cmd.run(),
        Command::Teardown(cmd) => cmd.run(),
        Command::Rebuild(cmd) => cmd.run(),
    };
    // One line (the cause chain joined by ": "), whatever RUST_BACKTRACE says: the message
    // names the thing, the cause and the fix; a backtrace would bury it.
    if let Err(error) = result {
        eprintln!("error: {error:#}");
        let code = error
            .downcast_ref::<Exit>()
            .map_or(1, |exit| exit.code as i32);
        std::process::exit(code);
    }
}
