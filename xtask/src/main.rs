//! `cargo xtask …`: the developer and CI tool of author-stats.
//! This file is the table of contents: it parses flags and dispatches one verb to the
//! module that holds it. The AWS verbs and the CDK export are their own binaries
//! (`xtask/lifecycle`, `xtask/cdk`), built on first use; their flags are theirs
//! (`cargo xtask deploy --help`).

use clap::{Parser, Subcommand};
use xtask::forward::{Forward, CDK, LIFECYCLE};
use xtask::{bench, ci, demo, preview, sample, synth};

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
    /// The specimen sheet: synthetic authors that stress the design, drawn in a style on one
    /// page (--watch: served on 127.0.0.1, redrawn and reloaded when the style file is saved).
    Preview(preview::Preview),
    /// Write the built-in sample export (same flags, same bytes) into a local folder.
    Sample(sample::Sample),
    /// Speed and memory of the release job on seed-scale data (prints, never asserts).
    Bench(bench::Bench),
    /// Everything CI runs: formatting, lints, tests, template checks.
    Ci(ci::Ci),
    /// Print or write the CloudFormation template (templates/author-stats-batch.yaml).
    Synth(synth::Synth),
    /// Static release build of the job and its Lambda container image (OCI layout in target/).
    Build(Forward),
    /// Push the image to ECR (or --registry), print `<repo-uri>@sha256:…`.
    Push(Forward),
    /// Once per stage, as an administrator: the service role, permissions boundary and GitHub
    /// OIDC deployer role of the stage (stack author-stats-batch-<stage>-bootstrap).
    Bootstrap(Forward),
    /// Build, push, and deploy the stack of a stage through a change set; stream its events
    /// (--no-execute: plan and keep the change set; --change-set NAME: apply a kept one).
    Deploy(Forward),
    /// Preview the change set a deploy would make (never executed).
    Diff(Forward),
    /// Run the deployed function now and print its summary (--changed: the charts whose data,
    /// style or renderer changed, as the daily run; --all: every author).
    Invoke(Forward),
    /// The function's recent log lines (--follow to keep reading).
    Logs(Forward),
    /// Recent runs (with their trigger), schedules, dead letters, alarms and a verdict: exit 0
    /// healthy, 1 not.
    Status(Forward),
    /// Resources changed outside CloudFormation, with their differences: exit 1 on drift.
    Drift(Forward),
    /// Empty the charts bucket, delete the stack and the image repository, verify all gone.
    Teardown(Forward),
    /// Teardown, deploy and a smoke run: a clean environment in one command.
    Rebuild(Forward),
    /// Write the stack as an AWS CDK app (templates/cdk/typescript, or --lang/--out).
    Cdk(Forward),
}

fn main() {
    let cli = Cli::parse();
    let verbose = cli.verbose;
    let lifecycle = |verb: &str, args: Forward| args.run(LIFECYCLE, Some(verb), verbose);
    let result = match cli.command {
        Command::Demo(cmd) => cmd.run(),
        Command::Preview(cmd) => cmd.run(),
        Command::Sample(cmd) => cmd.run(),
        Command::Bench(cmd) => cmd.run(),
        Command::Ci(cmd) => cmd.run(),
        Command::Synth(cmd) => cmd.run(),
        Command::Build(args) => lifecycle("build", args),
        Command::Push(args) => lifecycle("push", args),
        Command::Bootstrap(args) => lifecycle("bootstrap", args),
        Command::Deploy(args) => lifecycle("deploy", args),
        Command::Diff(args) => lifecycle("diff", args),
        Command::Invoke(args) => lifecycle("invoke", args),
        Command::Logs(args) => lifecycle("logs", args),
        Command::Status(args) => lifecycle("status", args),
        Command::Drift(args) => lifecycle("drift", args),
        Command::Teardown(args) => lifecycle("teardown", args),
        Command::Rebuild(args) => lifecycle("rebuild", args),
        Command::Cdk(args) => args.run(CDK, None, verbose),
    };
    // One line (the cause chain joined by ": "), whatever RUST_BACKTRACE says: the message
    // names the thing, the cause and the fix; a backtrace would bury it.
    if let Err(error) = result {
        eprintln!("error: {error:#}");
        std::process::exit(1);
    }
}
