//! What the job must report for a generated sample, known by construction: every line the
//! generator writes carries a label saying what it holds (blank, malformed, or a record with
//! these field values), and the contract's rules (§3, §5) turn the labels into the expected
//! skip counters and per-author instants. Exact for a run with `--now` equal to `until`.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};

use super::names::is_valid_slug;

/// The truth about one line of the authors file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum AuthorLine {
    /// Empty or only space, tab and CR: ignored.
    Blank,
    /// Counts in `malformed_lines` (data-spec §2.5, including a bad `id`).
    Malformed,
    /// A record with a usable id.
    Record {
        id: String,
        /// `None` when absent, `null` or not a string.
        slug: Option<String>,
        /// `None` when absent, `null`, not a string or `""`.
        display_name: Option<String>,
    },
}

/// The truth about one line of the posts file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum PostLine {
    Blank,
    Malformed,
    Record {
        /// `None` when absent, `null`, not a string or `""`.
        author_id: Option<String>,
        published: Published,
    },
}

/// The truth about `first_published_at` of a well-formed post line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Published {
    /// Absent or `null`.
    Missing,
    /// Anything else that is not a valid timestamp.
    Bad,
    At(DateTime<Utc>),
}

/// The outcome the job must report for a generated sample, assuming `--now` = `until`.
///
/// The first eight fields are the contract's `skipped` counters (data-spec §5, §7), with the
/// same names and meaning; the rest describe what must be counted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SampleTally {
    /// Malformed lines of both files.
    pub malformed_lines: u64,
    pub missing_author_id: u64,
    pub missing_published_at: u64,
    pub bad_timestamp: u64,
    pub future_post: u64,
    pub unknown_author: u64,
    pub invalid_slug: u64,
    /// Authors (not posts) dropped because they share a valid slug.
    pub duplicate_slug: u64,
    /// Non-blank lines of the posts file (the left side of the §5 sum).
    pub post_lines: u64,
    /// Malformed lines of the posts file only.
    pub malformed_post_lines: u64,
    /// Posts counted for a usable author (Σ `total_posts` in `index.json`).
    pub counted_posts: u64,
    /// The `authors` of `index.json`: usable authors with at least one counted post, sorted
    /// by slug.
    pub authors: Vec<ExpectedAuthor>,
    /// The `--now` these numbers assume: the spec's `until`.
    pub now: DateTime<Utc>,
}

/// One expected entry of `index.json`'s `authors`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedAuthor {
    pub id: String,
    pub slug: String,
    /// After data-spec §3.5 (the slug when the record has no usable name).
    pub display_name: String,
    /// Instants of the counted posts, ascending: `monthly` is these bucketed in any zone.
    pub posts: Vec<DateTime<Utc>>,
}

impl ExpectedAuthor {
    /// Whether a run with `--now` = `now` and `--days` = `days` renders this author.
    pub fn rendered(&self, now: DateTime<Utc>, days: u32) -> bool {
        let from = now - Duration::days(i64::from(days));
        self.posts.iter().any(|&t| from <= t && t <= now)
    }
}

impl SampleTally {
    /// Slugs of the authors a run with `--now` = `self.now` and `--days` = `days` renders.
    pub fn rendered_slugs(&self, days: u32) -> Vec<&str> {
        self.authors
            .iter()
            .filter(|a| a.rendered(self.now, days))
            .map(|a| a.slug.as_str())
            .collect()
    }

    /// The §5 identity: non-blank post lines = counted + every post-side skip.
    pub fn balances(&self) -> bool {
        self.post_lines
            == self.counted_posts
                + self.malformed_post_lines
                + self.missing_author_id
                + self.missing_published_at
                + self.bad_timestamp
                + self.future_post
                + self.unknown_author
                + self.invalid_slug
    }
}

/// What the master file makes of one id (after §3.1).
#[derive(Debug)]
enum Master {
    Usable { slug: String, display_name: String },
    Unusable,
}

/// Accumulates labels into a [`SampleTally`]: all author lines first, then post lines.
#[derive(Debug)]
pub(super) struct Tallier {
    tally: SampleTally,
    last_record: HashMap<String, (Option<String>, Option<String>)>,
    master: HashMap<String, Master>,
    counted: HashMap<String, Vec<DateTime<Utc>>>,
}

impl Tallier {
    pub(crate) fn new(now: DateTime<Utc>) -> Self {
        Tallier {
            tally: SampleTally {
                now,
                ..SampleTally::default()
            },
            last_record: HashMap::new(),
            master: HashMap::new(),
            counted: HashMap::new(),
        }
    }

    /// One authors-file line, in file order.
    pub(crate) fn author(&mut self, line: &AuthorLine) {
        match line {
            AuthorLine::Blank => {}
            AuthorLine::Malformed => self.tally.malformed_lines += 1,
            AuthorLine::Record {
                id,
                slug,
                display_name,
            } => {
                // §3.1: the last record wins completely.
                self.last_record
                    .insert(id.clone(), (slug.clone(), display_name.clone()));
            }
        }
    }

    /// Close the master: resolve duplicate slugs (§3.3). Call after the last author line.
    pub(crate) fn close_master(&mut self) {
        let mut slug_count: HashMap<&str, u64> = HashMap::new();
        for (slug, _) in self.last_record.values() {
            if let Some(s) = slug.as_deref().filter(|s| is_valid_slug(s)) {
                *slug_count.entry(s).or_default() += 1;
            }
        }
        self.tally.duplicate_slug = slug_count.values().filter(|&&n| n > 1).sum();
        for (id, (slug, name)) in &self.last_record {
            let entry = match slug {
                Some(s) if is_valid_slug(s) && slug_count[s.as_str()] == 1 => Master::Usable {
                    slug: s.clone(),
                    // §3: a name of only spaces and control characters draws as nothing,
                    // so the slug stands in for it, as for an absent name.
                    display_name: name
                        .clone()
                        .filter(|n| !n.chars().all(|c| c == ' ' || c.is_control()))
                        .unwrap_or_else(|| s.clone()),
                },
                _ => Master::Unusable,
            };
            self.master.insert(id.clone(), entry);
        }
    }

    /// One posts-file line (§5: the first rule that applies).
    pub(crate) fn post(&mut self, line: &PostLine) {
        let t = &mut self.tally;
        let (author_id, published) = match line {
            PostLine::Blank => return,
            PostLine::Malformed => {
                t.post_lines += 1;
                t.malformed_lines += 1;
                t.malformed_post_lines += 1;
                return;
            }
            PostLine::Record {
                author_id,
                published,
            } => (author_id, published),
        };
        t.post_lines += 1;
        let Some(author_id) = author_id else {
            t.missing_author_id += 1;
            return;
        };
        let at = match *published {
            Published::Missing => return t.missing_published_at += 1,
            Published::Bad => return t.bad_timestamp += 1,
            Published::At(at) if at > t.now => return t.future_post += 1,
            Published::At(at) => at,
        };
        match self.master.get(author_id) {
            None => t.unknown_author += 1,
            Some(Master::Unusable) => t.invalid_slug += 1,
            Some(Master::Usable { .. }) => {
                t.counted_posts += 1;
                self.counted.entry(author_id.clone()).or_default().push(at);
            }
        }
    }

    /// The finished tally.
    pub(crate) fn finish(mut self) -> SampleTally {
        let mut authors: Vec<ExpectedAuthor> = self
            .counted
            .into_iter()
            .map(|(id, mut posts)| {
                posts.sort_unstable();
                let Some(Master::Usable { slug, display_name }) = self.master.remove(&id) else {
                    unreachable!("only usable authors have counted posts");
                };
                ExpectedAuthor {
                    id,
                    slug,
                    display_name,
                    posts,
                }
            })
            .collect();
        authors.sort_by(|a, b| a.slug.cmp(&b.slug));
        self.tally.authors = authors;
        self.tally
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_764_028_800, 0).unwrap()
    }

    fn record(id: &str, slug: Option<&str>, name: Option<&str>) -> AuthorLine {
        AuthorLine::Record {
            id: id.into(),
            slug: slug.map(Into::into),
            display_name: name.map(Into::into),
        }
    }

    fn post(author: &str, secs_before_now: i64) -> PostLine {
        PostLine::Record {
            author_id: Some(author.into()),
            published: Published::At(now() - Duration::seconds(secs_before_now)),
        }
    }

    #[test]
    fn a_forgotten_slug_takes_no_part_in_the_duplicate_check() {
        let mut t = Tallier::new(now());
        t.author(&record("a", Some("shared"), None));
        t.author(&record("b", Some("shared"), Some("B")));
        t.author(&record("a", Some("own"), Some("A")));
        t.close_master();
        t.post(&post("a", 10));
        t.post(&post("b", 10));
        let tally = t.finish();
        assert_eq!(tally.duplicate_slug, 0);
        assert_eq!(tally.counted_posts, 2);
        assert_eq!(tally.authors[0].slug, "own");
        assert_eq!(tally.authors[1].display_name, "B");
    }

    #[test]
    fn duplicated_slugs_drop_every_holder_and_their_posts() {
        let mut t = Tallier::new(now());
        for id in ["a", "b", "c"] {
            t.author(&record(id, Some("trio"), None));
        }
        t.close_master();
        t.post(&post("a", 10));
        let tally = t.finish();
        assert_eq!((tally.duplicate_slug, tally.invalid_slug), (3, 1));
        assert!(tally.authors.is_empty());
    }

    #[test]
    fn the_rules_apply_in_contract_order() {
        let mut t = Tallier::new(now());
        t.author(&record("a", Some("../evil"), None));
        t.close_master();
        t.post(&PostLine::Record {
            author_id: None,
            published: Published::Bad,
        });
        t.post(&PostLine::Record {
            author_id: Some("zz".into()),
            published: Published::Missing,
        });
        t.post(&post("zz", -1));
        t.post(&post("zz", 0));
        t.post(&post("a", 0));
        t.post(&PostLine::Malformed);
        t.post(&PostLine::Blank);
        let tally = t.finish();
        assert_eq!(tally.missing_author_id, 1);
        assert_eq!(tally.missing_published_at, 1);
        assert_eq!(tally.future_post, 1);
        assert_eq!(tally.unknown_author, 1);
        assert_eq!(tally.invalid_slug, 1);
        assert_eq!(tally.malformed_lines, 1);
        assert_eq!(tally.post_lines, 6);
        assert!(tally.balances());
    }

    #[test]
    fn the_window_is_closed_at_both_ends() {
        let author = ExpectedAuthor {
            id: "a".into(),
            slug: "a".into(),
            display_name: "a".into(),
            posts: vec![now() - Duration::days(7)],
        };
        assert!(author.rendered(now(), 7));
        assert!(!author.rendered(now(), 6));
    }
}
