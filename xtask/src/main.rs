//! `cargo xtask …`: the developer and CI tool of author-stats.
//! This file is the table of contents: it parses flags and dispatches one verb to the
//! module that holds it.

mod ci;
mod demo;
use xtask::{shell, synth};

use clap::{Parser, Subcommand};

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
    /// Everything CI runs: formatting, lints, tests, template checks.
    Ci(ci::Ci),
    /// Print or write the CloudFormation template (templates/author-stats-batch.yaml).
    Synth(synth::Synth),
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Demo(cmd) => cmd.run(),
        Command::Ci(cmd) => cmd.run(),
        Command::Synth(cmd) => cmd.run(),
    }
}
