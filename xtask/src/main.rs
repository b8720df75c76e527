//! `cargo xtask …`: the developer and CI tool of author-stats.
//! This file is the table of contents: it parses flags and dispatches one verb to the
//! module that holds it.

use clap::{Parser, Subcommand};
use xtask::{bench, ci, demo, synth};

#[derive(Parser)]
#[command(
    name = "cargo xtask",
    about = "Build, test, package and deploy author-stats"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Generate the sample export, run the job on it and write a chart gallery.
    Demo(demo::Demo),
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
    /// Write the stack as an AWS CDK app (templates/cdk/typescript, or --lang/--out).
    Cdk(xtask::cdk::Cdk),
}

fn main() {
    let result = match Cli::parse().command {
        Command::Demo(cmd) => cmd.run(),
        Command::Bench(cmd) => cmd.run(),
        Command::Ci(cmd) => cmd.run(),
        Command::Synth(cmd) => cmd.run(),
        Command::Build(cmd) => cmd.run(),
        Command::Push(cmd) => cmd.run(),
        Command::Cdk(cmd) => cmd.run(),
    };
    // One line (the cause chain joined by ": "), whatever RUST_BACKTRACE says: the message
    // names the thing, the cause and the fix; a backtrace would bury it.
    if let Err(error) = result {
        eprintln!("error: {error:#}");
        std::process::exit(1);
    }
}
