//! `cargo xtask ci`: every check CI runs, in order, failing on the first that fails.

use anyhow::Result;

use crate::shell::{cargo, run};

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
        Ok(())
    }
}
