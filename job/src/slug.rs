//! `Slug`: an author's URL-safe name, valid per data-spec §3.2
//! (`^[a-z0-9][a-z0-9_-]{0,63}$`). A `Slug` can only be built by validation, so a chart's
//! file name `<slug>.png` can never escape the output folder or prefix.

use std::fmt;

/// A validated slug. Byte order of slugs equals code point order (ASCII only).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Slug(String);

impl Slug {
    pub const MAX_LEN: usize = 64;

    /// `Some` iff `text` is a valid slug.
    pub fn parse(text: &str) -> Option<Slug> {
        let bytes = text.as_bytes();
        let first_ok = bytes
            .first()
            .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        let rest_ok = bytes
            .iter()
            .all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        (first_ok && rest_ok && bytes.len() <= Self::MAX_LEN).then(|| Slug(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The chart's object / file name.
    pub fn chart_file_name(&self) -> String {
        format!("{}.png", self.0)
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_slugs_parse() {
        for s in [
            "a",
            "0",
            "suzuki-ryo",
            "jane_doe",
            "a-",
            "9_",
            &"a".repeat(64),
        ] {
            assert!(Slug::parse(s).is_some(), "{s}");
        }
    }

    #[test]
    fn invalid_slugs_are_rejected() {
        let long = "a".repeat(65);
        for s in [
            "",
            "../evil",
            "a/b",
            "UPPER case",
            "Upper",
            ".hidden",
            "-dash-first",
            "_under",
            "caf\u{e9}",
            "a\u{0}",
            "a\nb",
            "a b",
            "a.png",
            &long,
        ] {
            assert!(Slug::parse(s).is_none(), "{s:?}");
        }
    }
}
