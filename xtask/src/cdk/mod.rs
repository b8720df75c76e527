//! `cargo xtask cdk`: the stack as an AWS CDK app, for teams that manage infrastructure with
//! the CDK. The template is converted by the `cdk-from-cfn` crate (`convert`), fixed where the
//! conversion is not faithful (`postprocess`, `reserved`), and completed into an app (`app`).
//! The TypeScript app is checked in under templates/cdk/typescript/; CI builds it and checks
//! that `cdk synth` gives our template back (`check`, with `resolve` and `compare`).

pub mod app;
pub mod check;
pub mod compare;
pub mod convert;
pub mod lang;
pub mod postprocess;
pub mod reserved;
pub mod resolve;

use std::fs;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};

pub use check::check;
pub use lang::Lang;

use crate::shell::project_root;

/// The checked-in TypeScript app, relative to the project root.
pub const APP_DIR: &str = "templates/cdk/typescript";

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
}

impl Cdk {
    pub fn run(self) -> Result<()> {
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
        other => crate::pytools::tools_dir()
            .parent()
            .expect("tools/ lives in the target dir")
            .join("cdk")
            .join(other.to_string()),
    }
}

/// Writes the generated files of `lang` into `out` (each only when its content changes).
pub fn write(lang: Lang, out: &std::path::Path) -> Result<()> {
    for (relative, text) in app::generated_files(lang)? {
        let path = out.join(relative);
        if fs::read_to_string(&path).is_ok_and(|old| old == text) {
            eprintln!("{} is up to date", path.display());
            continue;
        }
        fs::create_dir_all(path.parent().expect("a file lives in a folder"))
            .with_context(|| format!("creating the folder of {}", path.display()))?;
        fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

/// Fails, naming the file and its first differing line, when the checked-in TypeScript app's
/// generated files are not what the stack converts to now.
pub fn check_up_to_date() -> Result<()> {
    for (relative, expected) in app::generated_files(Lang::Typescript)? {
        let shown = format!("{APP_DIR}/{relative}");
        let actual = fs::read_to_string(project_root().join(&shown)).unwrap_or_default();
        if actual == expected {
            continue;
        }
        let first_difference = crate::synth::first_difference(&expected, &actual);
        bail!(
            "{shown} differs from the stack's CDK conversion ({first_difference}); run \
             `cargo xtask cdk` and commit the result"
        );
    }
    eprintln!("{APP_DIR} matches the stack");
    Ok(())
}
