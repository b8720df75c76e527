//! `xtask-cdk`: `cargo xtask cdk`, which runs this binary (built on first use, so the other
//! verbs never compile cdk-from-cfn). Parses the flags and runs the export or its checks.

use clap::Parser;

#[derive(Parser)]
#[command(
    name = "cargo xtask cdk",
    bin_name = "cargo xtask cdk",
    about = "Write the stack as an AWS CDK app"
)]
struct Cli {
    #[command(flatten)]
    cdk: xtask_cdk::Cdk,
}

fn main() {
    if let Err(error) = Cli::parse().cdk.run() {
        eprintln!("error: {error:#}");
        std::process::exit(1);
    }
}
