//! The author master (data-spec §3): last record per id wins completely, slugs validated,
//! slugs shared by two or more records drop all of them. Answers "who is this id?".

use std::collections::HashMap;

use crate::ingest::{AuthorRecord, Field};
use crate::slug::Slug;

use super::Skipped;

/// An author whose posts are charted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Author {
    pub id: String,
    pub slug: Slug,
    /// After §3.5: the display name, or the slug when it has none.
    pub display_name: String,
}

/// Longest display name kept whole, in characters (Unicode scalar values, data-spec §3.5).
pub const DISPLAY_NAME_MAX_CHARS: usize = 1000;

/// `name` itself when it has at most [`DISPLAY_NAME_MAX_CHARS`] characters, else its first
/// 999 characters and `…` (1,000 in all). Looks at no more of `name` than that.
pub fn cut_display_name(name: &str) -> String {
    match name.char_indices().nth(DISPLAY_NAME_MAX_CHARS) {
        None => name.to_owned(),
        Some(_) => {
            let (end, _) = name
                .char_indices()
                .nth(DISPLAY_NAME_MAX_CHARS - 1)
                .expect("a longer name has this many characters");
            let mut cut = String::with_capacity(end + '…'.len_utf8());
            cut.push_str(&name[..end]);
            cut.push('…');
            cut
        }
    }
}

/// Whether `name` is only spaces (U+0020) and control characters, which the chart draws as
/// spaces: such a name shows nothing, so the slug stands in for it (data-spec §3.5).
pub fn shows_nothing(name: &str) -> bool {
    name.chars().all(|c| c == ' ' || c.is_control())
}

/// What an author id refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// Index into `Master::authors`.
    Usable(usize),
    /// A record whose slug is invalid or shared.
    Unusable,
    /// No such id.
    Unknown,
}

/// The last record seen for an id: its slug if valid, and its display name if usable.
struct Latest {
    slug: Option<Slug>,
    display_name: Option<String>,
}

/// Collects author records in file order.
#[derive(Default)]
pub struct MasterBuilder {
    latest: HashMap<String, Latest>,
}

impl MasterBuilder {
    /// Record one (well-formed) authors line; a later record with the same id replaces it.
    pub fn add(&mut self, record: AuthorRecord<'_>) {
        let slug = match &record.slug {
            Field::Str(s) => Slug::parse(s),
            _ => None,
        };
        let display_name = record
            .display_name
            .non_empty_str()
            .filter(|name| !shows_nothing(name))
            .map(cut_display_name);
        self.latest
            .insert(record.id.into_owned(), Latest { slug, display_name });
    }

    /// Resolve duplicates; adds the dropped records to `skipped.duplicate_slug`.
    pub fn finish(self, skipped: &mut Skipped) -> Master {
        let mut uses: HashMap<&Slug, u32> = HashMap::new();
        for latest in self.latest.values() {
            if let Some(slug) = &latest.slug {
                *uses.entry(slug).or_default() += 1;
            }
        }
        skipped.duplicate_slug += uses
            .values()
            .filter(|&&n| n > 1)
            .map(|&n| u64::from(n))
            .sum::<u64>();
        let shared: std::collections::HashSet<Slug> = uses
            .into_iter()
            .filter(|(_, n)| *n > 1)
            .map(|(s, _)| s.clone())
            .collect();

        let mut by_id = HashMap::with_capacity(self.latest.len());
        let mut authors = Vec::new();
        for (id, latest) in self.latest {
            let entry = match latest.slug {
                Some(slug) if !shared.contains(&slug) => {
                    let display_name = latest
                        .display_name
                        .unwrap_or_else(|| slug.as_str().to_owned());
                    authors.push(Author {
                        id: id.clone(),
                        slug,
                        display_name,
                    });
                    Lookup::Usable(authors.len() - 1)
                }
                _ => Lookup::Unusable,
            };
            by_id.insert(id, entry);
        }
        Master { by_id, authors }
    }
}

/// The resolved master.
pub struct Master {
    by_id: HashMap<String, Lookup>,
    pub authors: Vec<Author>,
}

impl Master {
    pub fn lookup(&self, id: &str) -> Lookup {
        self.by_id.get(id).copied().unwrap_or(Lookup::Unknown)
    }

    /// Number of distinct ids seen in well-formed records.
    pub fn ids(&self) -> usize {
        self.by_id.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::record::parse_author;

    fn master(lines: &[&str]) -> (Master, Skipped) {
        let mut b = MasterBuilder::default();
        for l in lines {
            b.add(parse_author(l.as_bytes()).expect("well-formed"));
        }
        let mut skipped = Skipped::default();
        (b.finish(&mut skipped), skipped)
    }

    fn usable<'m>(m: &'m Master, id: &str) -> &'m Author {
        match m.lookup(id) {
            Lookup::Usable(i) => &m.authors[i],
            other => panic!("{id}: {other:?}"),
        }
    }

    #[test]
    fn last_record_for_an_id_wins_completely() {
        let (m, s) = master(&[
            r#"{"id":"a","slug":"old","display_name":"Old"}"#,
            r#"{"id":"b","slug":"old"}"#,
            r#"{"id":"a","slug":"new"}"#,
        ]);
        let a = usable(&m, "a");
        assert_eq!((a.slug.as_str(), a.display_name.as_str()), ("new", "new"));
        // The forgotten slug "old" is not a duplicate of b's.
        assert_eq!(usable(&m, "b").slug.as_str(), "old");
        assert_eq!(s.duplicate_slug, 0);
    }

    #[test]
    fn shared_slugs_drop_every_record_that_shares_them() {
        let (m, s) = master(&[
            r#"{"id":"a","slug":"same"}"#,
            r#"{"id":"b","slug":"same"}"#,
            r#"{"id":"c","slug":"same"}"#,
            r#"{"id":"d","slug":"Bad"}"#,
            r#"{"id":"e","slug":"Bad"}"#,
        ]);
        assert_eq!(s.duplicate_slug, 3);
        for id in ["a", "b", "c", "d", "e"] {
            assert_eq!(m.lookup(id), Lookup::Unusable, "{id}");
        }
        assert_eq!(m.lookup("zz"), Lookup::Unknown);
    }

    #[test]
    fn display_name_falls_back_to_the_slug() {
        let (m, _) = master(&[
            r#"{"id":"a","slug":"s-a"}"#,
            r#"{"id":"b","slug":"s-b","display_name":null}"#,
            r#"{"id":"c","slug":"s-c","display_name":5}"#,
            r#"{"id":"d","slug":"s-d","display_name":""}"#,
            r#"{"id":"e","slug":"s-e","display_name":"　"}"#,
        ]);
        for (id, name) in [
            ("a", "s-a"),
            ("b", "s-b"),
            ("c", "s-c"),
            ("d", "s-d"),
            ("e", "　"),
        ] {
            assert_eq!(usable(&m, id).display_name, name);
        }
    }

    #[test]
    fn invalid_or_non_string_slugs_make_the_author_unusable() {
        let (m, _) = master(&[
            r#"{"id":"a","slug":"../evil"}"#,
            r#"{"id":"b","slug":1}"#,
            r#"{"id":"c"}"#,
        ]);
        for id in ["a", "b", "c"] {
            assert_eq!(m.lookup(id), Lookup::Unusable);
        }
    }

    #[test]
    fn a_display_name_over_1000_characters_is_cut_to_999_and_an_ellipsis() {
        let exact = "名".repeat(1000);
        assert_eq!(cut_display_name(&exact), exact);
        let long = "名".repeat(1001);
        let cut = cut_display_name(&long);
        assert_eq!(cut.chars().count(), 1000);
        assert!(cut.ends_with('…'));
        assert_eq!(cut.trim_end_matches('…'), "名".repeat(999));
        assert_eq!(cut_display_name("Alice"), "Alice");
    }
}
