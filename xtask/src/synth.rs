//! `cargo xtask synth`: print or write the CloudFormation template. (Placeholder.)

use anyhow::Result;

#[derive(clap::Args)]
pub struct Synth {
    /// Fail when templates/ differs from what synth produces.
    #[arg(long)]
    check: bool,
}

impl Synth {
    pub fn run(self) -> Result<()> {
        let _ = self.check;
        anyhow::bail!("synth is not implemented yet")
    }
}
