//! `cargo xtask cdk`: the stack as an AWS CDK app, for teams that manage infrastructure with
//! the CDK. The template is converted by the `cdk-from-cfn` crate (`convert`), fixed where the
//! conversion is not faithful (`postprocess`, `reserved`), and completed into an app (`app`).
//! The TypeScript app is checked in under templates/cdk/typescript/; CI builds it and checks
//! that `cdk synth` gives our template back (`check`, with `resolve` and `compare`), and that
//! cdk-nag finds nothing the template does not acknowledge (`nag`).

pub mod app;
pub mod cases;
pub mod check;
pub mod compare;
pub mod convert;
pub mod lang;
pub mod nag;
pub mod postprocess;
pub mod reserved;
pub mod resolve;

use std::path::{Path, PathBuf};

use anyhow::Result;

pub use check::check;
pub use lang::Lang;

use xtask_support::generated::{self, Mode};
use xtask_support::shell::project_root;

/// The checked-in TypeScript app, relative to the project root.
pub const APP_DIR: &str = "templates/cdk/typescript";
/// The command that regenerates the app's generated files.
pub const REGENERATE: &str = "cargo xtask cdk";

#[derive(clap::Args)]
pub struct Cdk {
    /// Language of the generated stack class (only TypeScript comes with a whole app).
    #[arg(long, value_enum, default_value_t = Lang::Typescript)]
    lang: Lang,
    /// Folder of the app [default: templates/cdk/typescript for TypeScript, target/cdk/<lang>
    /// for the others].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Instead of writing: build the checked-in app with npm and tsc and check that
    /// `cdk synth` gives the template back (what `cargo xtask ci` runs).
    #[arg(long, conflicts_with_all = ["lang", "out"])]
    check: bool,
    /// With --check: only check that the app's generated files are what the stack converts
    /// to now (what `cargo xtask synth --check` runs; no npm).
    #[arg(long, requires = "check")]
    generated_only: bool,
}

impl Cdk {
    /// Write the app, or run the check.
    pub fn run(self) -> Result<()> {
        if self.check && self.generated_only {
            return ensure_app(Mode::Check);
        }
        if self.check {
            return check();
        }
        let out = self.out.unwrap_or_else(|| default_out(self.lang));
        write(self.lang, &out)
    }
}

/// Where `cargo xtask cdk --lang <lang>` writes without `--out`.
pub fn default_out(lang: Lang) -> PathBuf {
    match lang {
        Lang::Typescript => project_root().join(APP_DIR),
        other => xtask_support::tools::tools_dir()
            .parent()
            .expect("tools/ lives in the target dir")
            .join("cdk")
            .join(other.to_string()),
    }
}

/// Writes the generated files of `lang` into `out` (each only when its content changes).
pub fn write(lang: Lang, out: &Path) -> Result<()> {
    for (relative, text) in app::generated_files(lang)? {
        let path = out.join(relative);
        generated::ensure_at(
            &path,
            &path.display().to_string(),
            &text,
            Mode::Write,
            REGENERATE,
        )?;
    }
    Ok(())
}

/// Write the checked-in TypeScript app's generated files, or check (naming the file and its
/// first differing line) that they are what the stack converts to now.
pub fn ensure_app(mode: Mode) -> Result<()> {
    for (relative, expected) in app::generated_files(Lang::Typescript)? {
        generated::ensure_file_contents(
            &format!("{APP_DIR}/{relative}"),
            &expected,
            mode,
            REGENERATE,
        )?;
    }
    Ok(())
}
