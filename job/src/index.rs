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
    /// The files this run deletes after writing the index (data-spec §7 *Removal*): the
    /// next run deletes again any that are still there (a failed removal converges).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub removed_files: Vec<String>,
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
    /// The summary sentence (alt text) of the charts in `files`, in their locale.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub summary: Option<String>,
    /// Every file the job published for the author and still holds (data-spec §7): this
    /// run's for a rendered author, else carried from the published index; `None` when
    /// the published index did not record them (written before every entry did).
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
            removed_files: Vec::new(),
        }
    }

    /// The entry of `slug` (entries are sorted by slug).
    pub fn get(&self, slug: &str) -> Option<&IndexAuthor> {
        self.authors
            .binary_search_by(|a| a.slug.as_str().cmp(slug))
            .ok()
            .map(|i| &self.authors[i])
    }

    pub fn to_json(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec_pretty(self).expect("index serializes");
        bytes.push(b'\n');
        bytes
    }
}
