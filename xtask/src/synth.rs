//! `cargo xtask synth`: write the CloudFormation template (`template`), or `--check` that it
//! and the CDK app's generated code are current; `--lint` runs cfn-lint and checkov on it
//! (`template_lint`).

use anyhow::Result;

use xtask_stacks::{template_lint, templates};
use xtask_support::generated::Mode;

/// Flags of `cargo xtask synth`.
#[derive(clap::Args)]
pub struct Synth {
    /// Fail when templates/ differs from what synth produces (writes nothing).
    #[arg(long)]
    check: bool,
    /// Print the template to stdout instead of writing it.
    #[arg(long, conflicts_with = "check")]
    stdout: bool,
    /// Then run cfn-lint and checkov on the template (installed under target/tools/ on first use).
    #[arg(long)]
    lint: bool,
}

impl Synth {
    /// Print, write or check, then lint when asked.
    pub fn run(self) -> Result<()> {
        if self.stdout {
            print!("{}", templates::render());
        } else if self.check {
            templates::ensure(Mode::Check)?;
            crate::forward::cdk_generated_check()?;
        } else {
            templates::ensure(Mode::Write)?;
        }
        if self.lint {
            template_lint::cfn_lint()?;
            template_lint::checkov()?;
        }
        Ok(())
    }
}
