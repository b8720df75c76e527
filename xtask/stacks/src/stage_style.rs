//! The stage's chart style (`style = "deploy/styles/default.toml"` in `deploy/stages.toml`):
//! read, checked to be TOML, re-serialised compactly (comments and alignment dropped) and
//! passed as the stack parameter `ChartStyle`, which becomes the function's `CHART_STYLE`
//! (spec/chart-style.md). The job checks the fields; this checks only that it is TOML.

use std::path::Path;

use anyhow::{bail, Context, Result};

/// The stack parameter that carries the style.
pub const PARAMETER: &str = crate::main_stack::params::CHART_STYLE;
/// The most the parameter may hold (its `MaxLength`; Lambda allows 4 KB for all
/// environment variables together).
pub const LIMIT: usize = crate::main_stack::CHART_STYLE_MAX_LENGTH as usize;

/// The style file at `path` as compact TOML text.
pub fn compact(path: &Path) -> Result<String> {
    let text = std::fs::read_to_string(path).with_context(|| {
        format!(
            "cannot read the chart style {} (the stage's `style` in deploy/stages.toml): fix \
             the path, relative to the project root",
            path.display()
        )
    })?;
    compact_text(&text, path)
}

/// [`compact`] of the text of `path`.
pub fn compact_text(text: &str, path: &Path) -> Result<String> {
    let table: toml::Table = match text.parse() {
        Ok(table) => table,
        Err(e) => {
            let first = e.to_string();
            let first = first.lines().next().unwrap_or_default().to_owned();
            bail!(
                "the chart style {} is not valid TOML ({first}): fix it (spec/chart-style.md \
                 describes the fields)",
                path.display()
            )
        }
    };
    let compact = toml::to_string(&table)
        .with_context(|| format!("cannot serialise the chart style {}", path.display()))?;
    if compact.len() > LIMIT {
        bail!(
            "the chart style {} is {} bytes without comments, over the {LIMIT}-byte limit of \
             {PARAMETER}: leave out the fields that keep their defaults",
            path.display(),
            compact.len()
        );
    }
    Ok(compact)
}

#[cfg(test)]
mod tests {
    use super::*;
    use xtask_support::shell::project_root;

    #[test]
    fn the_default_style_is_sent_without_comments_and_means_the_same() {
        let path = project_root().join("deploy/styles/default.toml");
        let text = std::fs::read_to_string(&path).unwrap();
        let sent = compact(&path).unwrap();
        assert!(
            !sent.contains("The built-in chart style") && !sent.contains(" # "),
            "comments are dropped: {sent}"
        );
        assert!(sent.len() < text.len() / 2, "{} bytes", sent.len());
        let original: toml::Table = text.parse().unwrap();
        let again: toml::Table = sent.parse().unwrap();
        assert_eq!(original, again);
        assert_eq!(again["locale"].as_str(), Some("ja"));
    }

    #[test]
    fn a_style_over_the_limit_is_refused_naming_the_file_and_the_limit() {
        let big: String = (0..400)
            .map(|i| format!("field_{i} = \"{i:08}\"\n"))
            .collect();
        let err = compact_text(&big, Path::new("deploy/styles/big.toml"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("deploy/styles/big.toml") && err.contains("4096-byte limit"),
            "{err}"
        );
        assert_eq!(err.lines().count(), 1, "{err}");
    }

    #[test]
    fn a_style_that_is_not_toml_is_refused_in_one_line() {
        let err = compact_text("locale = ja\n[text\n", Path::new("s.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("s.toml is not valid TOML"), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
}
