//! `cargo xtask demo`: sample export → job → chart gallery under target/demo/. (Placeholder.)

use anyhow::Result;

#[derive(clap::Args)]
pub struct Demo {}

impl Demo {
    pub fn run(self) -> Result<()> {
        anyhow::bail!("demo is not implemented yet")
    }
}
