//! `index.json` (data-spec §7): the model of the file written last, built from the stats,
//! and its serialization. Authors are sorted by slug; months ascending; all keys present.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::month::MonthKey;
use crate::render::FileRef;
use crate::stats::{Author, AuthorCounts, Skipped};
use crate::timestamp::Instant;

#[derive(Debug, Serialize, Deserialize)]
pub struct Index {
    pub timezone: String,
    /// UTC text of `--now`, fraction trimmed.
    pub now: String,
    pub active_days: u32,
    /// Digest of the chart style (and renderer) the listed charts were drawn in.
    pub style: String,
    pub authors: Vec<IndexAuthor>,
    pub skipped: Skipped,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct IndexAuthor {
    pub id: String,
    pub slug: String,
    pub display_name: String,
    pub total_posts: u64,
    pub first_month: MonthKey,
    pub last_month: MonthKey,
    pub monthly: BTreeMap<MonthKey, u32>,
    pub rendered: bool,
    /// Rendered authors only: the chart's summary sentence (alt text), in the locale.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub summary: Option<String>,
    /// Rendered authors only: every file written for the author, with its SHA-256.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub files: Option<Vec<FileRef>>,
}

impl IndexAuthor {
    /// `None` for an author with no counted post (not listed).
    pub fn new(author: &Author, counts: AuthorCounts) -> Option<IndexAuthor> {
        let first_month = *counts.monthly.keys().next()?;
        let last_month = *counts.monthly.keys().next_back()?;
        Some(IndexAuthor {
            id: author.id.clone(),
            slug: author.slug.as_str().to_owned(),
            display_name: author.display_name.clone(),
            total_posts: counts.monthly.values().map(|&n| u64::from(n)).sum(),
            first_month,
            last_month,
            monthly: counts.monthly,
            rendered: counts.active,
            summary: None,
            files: None,
        })
    }
}

impl Index {
    pub fn new(
        timezone: &str,
        now: Instant,
        active_days: u32,
        style: String,
        mut authors: Vec<IndexAuthor>,
        skipped: Skipped,
    ) -> Index {
        authors.sort_by(|a, b| a.slug.cmp(&b.slug));
        Index {
            timezone: timezone.to_owned(),
            now: now.to_string(),
            active_days,
            style,
            authors,
            skipped,
        }
    }

    pub fn to_json(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec_pretty(self).expect("index serializes");
        bytes.push(b'\n');
        bytes
    }
}
