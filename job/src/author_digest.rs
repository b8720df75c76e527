//! The per-author digest of `index.json` (data-spec §7): one hash over everything an
//! author's published files are drawn from — display name, first month, the monthly series
//! through the month of `now`, the style digest and the renderer version — so the window
//! `changed` (data-spec §6) redraws exactly the authors whose digest differs.

use sha2::{Digest, Sha256};

use crate::month::MonthKey;

/// Bumped only if the digest's own encoding changes (then every author is redrawn once).
const ENCODING: &[u8] = b"author-stats author digest 1\0";

/// Hex digits of a digest (64 bits: a missed change is a 1 in 2^64 chance per author).
pub const DIGEST_HEX_DIGITS: usize = 16;

/// What an author's files depend on.
#[derive(Debug, Clone, Copy)]
pub struct DigestInput<'a> {
    pub display_name: &'a str,
    pub first_month: MonthKey,
    /// Posts per month from `first_month` through the month of `now`, zeros included.
    pub counts: &'a [u32],
    /// `Style::digest` of the style the files are drawn in.
    pub style: &'a str,
    /// `chart::RENDERER_VERSION` of the release that draws them.
    pub renderer: u32,
}

impl DigestInput<'_> {
    /// The digest: 16 lower-case hex digits. Every part is length-prefixed or fixed-size,
    /// so no two different inputs encode to the same bytes.
    pub fn digest(&self) -> String {
        let mut hasher = Sha256::new();
        hasher.update(ENCODING);
        hasher.update(self.renderer.to_be_bytes());
        for text in [self.style, self.display_name] {
            hasher.update((text.len() as u64).to_be_bytes());
            hasher.update(text.as_bytes());
        }
        hasher.update(self.first_month.year.to_be_bytes());
        hasher.update(self.first_month.month.to_be_bytes());
        hasher.update((self.counts.len() as u64).to_be_bytes());
        for count in self.counts {
            hasher.update(count.to_be_bytes());
        }
        hasher.finalize()[..DIGEST_HEX_DIGITS / 2]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// Whether `text` has the shape of a digest this module makes (a published index may
/// hold anything).
pub fn is_digest(text: &str) -> bool {
    text.len() == DIGEST_HEX_DIGITS && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    use super::*;

    const COUNTS: [u32; 5] = [3, 0, 1, 4, 2];

    fn base() -> DigestInput<'static> {
        DigestInput {
            display_name: "山田 花子",
            first_month: MonthKey::new(2019, 7),
            counts: &COUNTS,
            style: "0123456789abcdef",
            renderer: 3,
        }
    }

    #[test]
    fn the_same_input_gives_the_same_digest() {
        let d = base().digest();
        assert_eq!(d, base().digest());
        assert!(is_digest(&d), "{d}");
    }

    #[test]
    fn every_part_changes_the_digest() {
        let d = base().digest();
        let one_more = [3, 0, 1, 4, 3];
        let one_less_early = [2, 0, 1, 4, 2];
        let next_month = [3, 0, 1, 4, 2, 0];
        let variants = [
            DigestInput {
                display_name: "山田 花子 ",
                ..base()
            },
            DigestInput {
                first_month: MonthKey::new(2019, 8),
                ..base()
            },
            DigestInput {
                counts: &one_more,
                ..base()
            },
            DigestInput {
                counts: &one_less_early,
                ..base()
            },
            DigestInput {
                counts: &next_month,
                ..base()
            },
            DigestInput {
                style: "0123456789abcdee",
                ..base()
            },
            DigestInput {
                renderer: 4,
                ..base()
            },
        ];
        for (i, other) in variants.iter().enumerate() {
            assert_ne!(other.digest(), d, "variant {i}");
        }
    }

    #[test]
    fn parts_do_not_run_into_each_other() {
        // The name's end and the style's start cannot trade bytes.
        let a = DigestInput {
            display_name: "ab",
            style: "c",
            ..base()
        };
        let b = DigestInput {
            display_name: "a",
            style: "bc",
            ..base()
        };
        assert_ne!(a.digest(), b.digest());
    }

    #[test]
    fn only_sixteen_lower_case_hex_digits_are_digests() {
        for bad in [
            "",
            "0123456789ABCDEF",
            "0123456789abcde",
            "0123456789abcdeg",
            "x",
        ] {
            assert!(!is_digest(bad), "{bad}");
        }
    }
}
