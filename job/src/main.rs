//! The `author-stats` binary: the CLI on a terminal, the Lambda function on AWS.
//! Fatal errors print one line naming the file or option and the cause, and exit 1.

use clap::Parser;

use author_stats::cli::{Cli, Command};

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => args.execute(),
        Command::Sample(args) => args.execute(),
    };
    if let Err(error) = result {
        eprintln!("error: {error:#}");
        std::process::exit(1);
    }
}
