//! The `author-stats` binary: the CLI on a terminal, the Lambda function on AWS (when
//! `AWS_LAMBDA_RUNTIME_API` is set). Fatal CLI errors print one line naming the file or
//! option and the cause, and exit 1.

use clap::Parser;

use author_stats::aws::lambda;
use author_stats::cli::Cli;

fn main() {
    if std::env::var_os(lambda::RUNTIME_API).is_some() {
        // On Lambda: serve invocations; the settings come from the environment.
        if let Err(error) = lambda::serve() {
            eprintln!("error: {error:#}");
            std::process::exit(1);
        }
        return;
    }
    let cli = Cli::parse();
    let result = cli.command.execute();
    if let Err(error) = result {
        eprintln!("error: {error:#}");
        std::process::exit(1);
    }
}
