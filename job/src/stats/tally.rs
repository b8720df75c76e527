//! Per-post outcomes (data-spec §5, first matching rule wins) and the per-author monthly
//! counts and activity they produce (§6).

use std::collections::BTreeMap;

use chrono_tz::Tz;

use crate::ingest::{Field, PostRecord};
use crate::month::MonthKey;
use crate::timestamp::Instant;

use super::master::{Lookup, Master};
use super::Skipped;

/// The fixed inputs of counting.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub now: Instant,
    /// `now − days × 86 400 s`: the closed window's start.
    pub start: Instant,
    pub tz: Tz,
}

impl Window {
    pub fn new(now: Instant, days: u32, tz: Tz) -> Self {
        Window {
            now,
            start: now.minus_days(days),
            tz,
        }
    }

    /// The window `all` (data-spec §6): every counted post is inside it.
    pub fn all(now: Instant, tz: Tz) -> Self {
        Window {
            now,
            start: Instant::EPOCH,
            tz,
        }
    }
}

/// Counted posts of one usable author.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuthorCounts {
    pub monthly: BTreeMap<MonthKey, u32>,
    /// Some counted post lies in `[start, now]`.
    pub active: bool,
}

/// Accumulates the posts file against a resolved master.
pub struct Tally<'m> {
    master: &'m Master,
    window: Window,
    /// Parallel to `master.authors`.
    pub counts: Vec<AuthorCounts>,
    pub skipped: Skipped,
    /// Non-blank post lines seen (for the accounting identity).
    pub lines: u64,
    /// The latest `first_published_at` of a counted post.
    pub newest: Option<Instant>,
}

impl<'m> Tally<'m> {
    pub fn new(master: &'m Master, window: Window, skipped: Skipped) -> Self {
        Tally {
            master,
            window,
            counts: vec![AuthorCounts::default(); master.authors.len()],
            skipped,
            lines: 0,
            newest: None,
        }
    }

    /// Account for one non-blank post line (`None` = malformed).
    pub fn add(&mut self, post: Option<PostRecord<'_>>) {
        self.lines += 1;
        let s = &mut self.skipped;
        let Some(post) = post else {
            s.malformed_lines += 1;
            return;
        };
        let Some(author_id) = post.author_id.non_empty_str() else {
            s.missing_author_id += 1;
            return;
        };
        let instant = match &post.first_published_at {
            Field::Absent | Field::Null => {
                s.missing_published_at += 1;
                return;
            }
            Field::Str(text) => match Instant::parse(text) {
                Some(instant) => instant,
                None => {
                    s.bad_timestamp += 1;
                    return;
                }
            },
            Field::Other => {
                s.bad_timestamp += 1;
                return;
            }
        };
        if instant > self.window.now {
            s.future_post += 1;
            return;
        }
        let index = match self.master.lookup(author_id) {
            Lookup::Unknown => {
                s.unknown_author += 1;
                return;
            }
            Lookup::Unusable => {
                s.invalid_slug += 1;
                return;
            }
            Lookup::Usable(index) => index,
        };
        let counts = &mut self.counts[index];
        *counts
            .monthly
            .entry(instant.month_in(self.window.tz))
            .or_default() += 1;
        counts.active |= instant >= self.window.start;
        self.newest = self.newest.max(Some(instant));
    }

    /// The master the posts are joined against (`counts` is parallel to its `authors`).
    pub fn master(&self) -> &'m Master {
        self.master
    }

    /// Posts counted for some author.
    pub fn counted(&self) -> u64 {
        self.counts
            .iter()
            .flat_map(|c| c.monthly.values())
            .map(|&n| u64::from(n))
            .sum()
    }
}
