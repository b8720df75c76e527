//! `Skipped`: the eight skip counters of data-spec §5, serialized as `index.json`'s
//! `skipped` object (all keys always present).

use serde::{Deserialize, Serialize};

/// Counts of lines (and, for `duplicate_slug`, author records) that were not charted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    pub malformed_lines: u64,
    pub missing_author_id: u64,
    pub missing_published_at: u64,
    pub bad_timestamp: u64,
    pub future_post: u64,
    pub unknown_author: u64,
    pub invalid_slug: u64,
    pub duplicate_slug: u64,
}

impl Skipped {
    /// `(name, count)` pairs in contract order, for summaries and metrics.
    pub fn pairs(&self) -> [(&'static str, u64); 8] {
        [
            ("malformed_lines", self.malformed_lines),
            ("missing_author_id", self.missing_author_id),
            ("missing_published_at", self.missing_published_at),
            ("bad_timestamp", self.bad_timestamp),
            ("future_post", self.future_post),
            ("unknown_author", self.unknown_author),
            ("invalid_slug", self.invalid_slug),
            ("duplicate_slug", self.duplicate_slug),
        ]
    }
}
