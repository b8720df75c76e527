//! `cargo xtask ci`: every check CI runs, in order, failing on the first that fails.

use anyhow::Result;

use crate::shell::{cargo, run};
use crate::synth;

#[derive(clap::Args)]
pub struct Ci {}

impl Ci {
    pub fn run(self) -> Result<()> {
        run(cargo().args(["fmt", "--all", "--", "--check"]))?;
        run(cargo().args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]))?;
        run(cargo().args(["test", "--workspace"]))?;
        // The CloudFormation template: current, and clean for cfn-lint and checkov.
        synth::check_up_to_date()?;
        synth::cfn_lint()?;
        synth::checkov()?;
        Ok(())
    }
}
