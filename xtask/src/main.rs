//! `cargo xtask …`: the developer and CI tool of author-stats.
//! This file is the table of contents: it parses flags and dispatches one verb to the
//! module that holds it.

use clap::{Parser, Subcommand};
use xtask::{bench, ci, demo, lifecycle, sample, synth};

#[derive(Parser)]
#[command(
    name = "cargo xtask",
    about = "Build, test, package and deploy author-stats"
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
    /// Generate the sample export, run the job on it and write a chart gallery.
    Demo(demo::Demo),
    /// Write the built-in sample export (same flags, same bytes) into a local folder.
    Sample(sample::Sample),
    /// Speed and memory of the release job on seed-scale data (prints, never asserts).
    Bench(bench::Bench),
    /// Everything CI runs: formatting, lints, tests, template checks.
    Ci(ci::Ci),
    /// Print or write the CloudFormation template (templates/author-stats-batch.yaml).
    Synth(synth::Synth),
    /// Static release build of the job and its Lambda container image (OCI layout in target/).
    Build(xtask::build::Build),
    /// Push the image to ECR (or --registry), print `<repo-uri>@sha256:…`.
    Push(xtask::push::Push),
    /// Once per stage, as an administrator: the service role, permissions boundary and GitHub
    /// OIDC deployer role of the stage (stack author-stats-batch-<stage>-bootstrap).
    Bootstrap(lifecycle::bootstrap::Bootstrap),
    /// Build, push, and deploy the stack of a stage through a change set; stream its events
    /// (--no-execute: plan and keep the change set; --change-set NAME: apply a kept one).
    Deploy(lifecycle::deploy::Deploy),
    /// Preview the change set a deploy would make (never executed).
    Diff(lifecycle::diff::Diff),
    /// Run the deployed function now and print its summary (--days 5475: the backfill).
    Invoke(lifecycle::invoke::Invoke),
    /// The function's recent log lines (--follow to keep reading).
    Logs(lifecycle::logs::Logs),
    /// Recent runs (with their trigger), schedules, dead letters, alarms and a verdict: exit 0
    /// healthy, 1 not.
    Status(lifecycle::run_status::Status),
    /// Resources changed outside CloudFormation, with their differences: exit 1 on drift.
    Drift(lifecycle::drift::Drift),
    /// Empty the charts bucket, delete the stack and the image repository, verify all gone.
    Teardown(lifecycle::teardown::Teardown),
    /// Teardown, deploy and a smoke run: a clean environment in one command.
    Rebuild(lifecycle::rebuild::Rebuild),
    /// Write the stack as an AWS CDK app (templates/cdk/typescript, or --lang/--out).
    Cdk(xtask::cdk::Cdk),
}

fn main() {
    let cli = Cli::parse();
    xtask::aws::set_verbose(cli.verbose);
    let result = match cli.command {
        Command::Demo(cmd) => cmd.run(),
        Command::Sample(cmd) => cmd.run(),
        Command::Bench(cmd) => cmd.run(),
        Command::Ci(cmd) => cmd.run(),
        Command::Synth(cmd) => cmd.run(),
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
        Command::Cdk(cmd) => cmd.run(),
    };
    // One line (the cause chain joined by ": "), whatever RUST_BACKTRACE says: the message
    // names the thing, the cause and the fix; a backtrace would bury it.
    if let Err(error) = result {
        eprintln!("error: {error:#}");
        let code = error
            .downcast_ref::<lifecycle::Exit>()
            .map_or(1, |exit| exit.code as i32);
        std::process::exit(code);
    }
}
