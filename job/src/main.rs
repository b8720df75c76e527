//! The `author-stats` binary: the CLI on a terminal, the Lambda function on AWS (when
//! `AWS_LAMBDA_RUNTIME_API` is set; the `aws` feature). Fatal CLI errors print one line naming the file or
//! option and the cause, and exit 1.

use clap::Parser;

use author_stats::cli::Cli;

fn main() {
    #[cfg(feature = "aws")]
    if std::env::var_os(author_stats::aws::lambda::RUNTIME_API).is_some() {
        // On Lambda: serve invocations; the settings come from the environment.
        if let Err(error) = author_stats::aws::lambda::serve() {
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
