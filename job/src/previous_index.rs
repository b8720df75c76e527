//! The published `index.json`, read once as a bounded stream (data-spec §1, §7): what the
//! publish guards compare with, the style it was drawn in, the files, summary and digest
//! each author's entry records (carried into this run's listing for the authors it does
//! not render), the recorded files of authors no longer listed — the only files removal
//! deletes — and a hash of its bytes, to tell whether a new index would change anything.

use std::io::{self, BufReader, Read};

use anyhow::{anyhow, Result};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::author_digest::is_digest;
use crate::guard::Previous;
use crate::index::{Index, IndexAuthor};
use crate::publish::{author_file_slug, IndexSource};
use crate::quote::{clip_quoted, quoted};
use crate::render::FileRef;
use crate::slug::Slug;
use crate::timestamp::Instant;

/// A published `index.json` larger than this is not read (data-spec §1): a listing the job
/// writes takes about 3 KB per author (15 years of months, five files, the summary), so
/// this is over a million authors.
pub const MAX_INDEX_BYTES: u64 = 4 << 30;
/// A string in it longer than this makes it unreadable: the longest the job writes is a
/// summary holding a 1,000-character display name (about 4 KB).
pub const MAX_INDEX_STRING_BYTES: usize = 64 << 10;

/// What the published `index.json` says, as far as this run needs it.
#[derive(Debug)]
pub struct PreviousIndex {
    /// What the guards compare with.
    pub previous: Previous,
    /// The `style` digest it records (`None` when absent or unreadable).
    pub style: Option<String>,
    /// The files that the entries of authors no longer listed record, and their
    /// `<slug>.stats.json`, and the files it says its run removed (`removed_files`, in case
    /// a removal failed): sorted, each a per-author file name.
    pub departed: Vec<String>,
    /// Slugs of authors no longer listed whose entries record no files (an index written
    /// before every entry recorded them): none of their files is removed.
    pub unrecorded: Vec<String>,
    /// What [`PreviousIndex::same_as`] compares with (`None` unless it is a listing).
    published: Option<Published>,
}

/// A readable published index as bytes: their SHA-256, its `now` as written, and which
/// entries of the new listing (by position) it said were rendered.
#[derive(Debug)]
struct Published {
    sha256: [u8; 32],
    now: String,
    rendered: Vec<bool>,
}

/// The parts of the document read; everything else is skipped as it streams by.
#[derive(Debug, Deserialize)]
struct Document {
    now: String,
    #[serde(default)]
    style: Option<String>,
    authors: Vec<Entry>,
    #[serde(default)]
    removed_files: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct Entry {
    slug: String,
    #[serde(default)]
    rendered: bool,
    #[serde(default)]
    digest: Option<String>,
    #[serde(default)]
    summary: Option<String>,
    #[serde(default)]
    files: Option<Vec<FileRef>>,
}

/// A published `index.json` downloaded and parsed, not yet matched with this run's
/// listing: what can be done while the export is still being read (the run fetches it on
/// a thread beside the ingest), then [`PreviousIndex::match_listing`] carries it over.
#[derive(Debug)]
pub struct FetchedIndex(Fetched);

#[derive(Debug)]
enum Fetched {
    /// There is none (a first run).
    Absent,
    /// Something that is not a listing the job wrote: why.
    Unreadable(String),
    /// A listing, its `now` and the SHA-256 of its bytes.
    Listing {
        document: Document,
        now: Instant,
        sha256: [u8; 32],
    },
}

impl FetchedIndex {
    /// Read and parse `source` (one bounded read). A failed download is an error; a
    /// document that is not a listing the job wrote is fetched as unreadable (saying why).
    pub fn fetch(source: IndexSource<'_>) -> Result<FetchedIndex> {
        Self::fetch_inner(source).map(FetchedIndex)
    }

    fn fetch_inner(source: IndexSource<'_>) -> Result<Fetched> {
        let (len, reader) = match source {
            IndexSource::Absent => return Ok(Fetched::Absent),
            IndexSource::Unusable(why) => return Ok(Fetched::Unreadable(why)),
            IndexSource::Stream { len, reader } => (len, reader),
        };
        if len > MAX_INDEX_BYTES {
            return Ok(Fetched::Unreadable(too_large(len)));
        }
        let mut bounded = Bounded::new(reader);
        let parsed =
            serde_json::from_reader::<_, Document>(BufReader::with_capacity(1 << 16, &mut bounded));
        let document = match parsed {
            Ok(document) => document,
            Err(_) if bounded.refused.is_some() => {
                return Ok(Fetched::Unreadable(bounded.refused.take().unwrap()))
            }
            Err(e) if e.is_io() => {
                return Err(anyhow!("{e}").context(
                    "reading the published index.json, which the publish guards compare with",
                ))
            }
            Err(e) => {
                let why = format!("it is not a listing: {}", clip_quoted(&e.to_string()));
                return Ok(Fetched::Unreadable(why));
            }
        };
        let Some(now) = Instant::parse(&document.now) else {
            let why = format!("its \"now\" {} is not a timestamp", quoted(&document.now));
            return Ok(Fetched::Unreadable(why));
        };
        Ok(Fetched::Listing {
            document,
            now,
            sha256: bounded.sha256.finalize().into(),
        })
    }
}

impl PreviousIndex {
    /// Read `source` and carry each recorded entry's files, summary and digest into the
    /// entry of the same slug in `listing` (sorted by slug): [`FetchedIndex::fetch`], then
    /// [`PreviousIndex::match_listing`].
    pub fn read(source: IndexSource<'_>, listing: &mut [IndexAuthor]) -> Result<PreviousIndex> {
        Ok(PreviousIndex::match_listing(
            FetchedIndex::fetch(source)?,
            listing,
        ))
    }

    /// Carry each entry of `fetched` into the entry of the same slug in `listing` (sorted
    /// by slug): its files, summary and digest; an entry of a slug that `listing` lacks is
    /// departed. An unreadable index leaves every entry's files unknown.
    pub fn match_listing(fetched: FetchedIndex, listing: &mut [IndexAuthor]) -> PreviousIndex {
        // Known: no file was published for an author that no index, or this one, lists;
        // unknown for everyone when the index cannot be read.
        let known = !matches!(fetched.0, Fetched::Unreadable(_));
        for entry in listing.iter_mut() {
            entry.files = known.then(Vec::new);
            entry.summary = None;
            entry.digest = None;
        }
        let (mut document, now, sha256) = match fetched.0 {
            Fetched::Absent => return PreviousIndex::without(Previous::Absent),
            Fetched::Unreadable(why) => return PreviousIndex::without(Previous::Unreadable(why)),
            Fetched::Listing {
                document,
                now,
                sha256,
            } => (document, now, sha256),
        };
        let authors = document.authors.len();
        let removed_files = std::mem::take(&mut document.removed_files);
        let mut departed = Vec::new();
        let mut unrecorded = Vec::new();
        let mut rendered = vec![false; listing.len()];
        for entry in document.authors {
            let Some(slug) = Slug::parse(&entry.slug) else {
                continue;
            };
            let files = entry.files.map(|files| own_files(&slug, files));
            match listing.binary_search_by(|a| a.slug.as_str().cmp(slug.as_str())) {
                Ok(i) => {
                    // A digest describes the files it came with: none without them.
                    listing[i].digest = entry
                        .digest
                        .filter(|d| is_digest(d))
                        .filter(|_| files.is_some());
                    listing[i].summary = entry.summary.filter(|_| files.is_some());
                    listing[i].files = files;
                    rendered[i] = entry.rendered;
                }
                Err(_) => match files {
                    Some(files) => {
                        departed.extend(files.into_iter().map(|f| f.name));
                        departed.push(format!("{slug}.stats.json"));
                    }
                    None => unrecorded.push(slug.as_str().to_owned()),
                },
            }
        }
        departed.extend(
            removed_files
                .into_iter()
                .filter(|name| author_file_slug(name).is_some()),
        );
        departed.sort();
        departed.dedup();
        unrecorded.sort();
        unrecorded.dedup();
        PreviousIndex {
            previous: Previous::Listing { authors, now },
            style: document.style,
            departed,
            unrecorded,
            published: Some(Published {
                sha256,
                now: document.now,
                rendered,
            }),
        }
    }

    /// What no readable listing gives: `previous` alone.
    fn without(previous: Previous) -> PreviousIndex {
        PreviousIndex {
            previous,
            style: None,
            departed: Vec::new(),
            unrecorded: Vec::new(),
            published: None,
        }
    }

    /// Whether `index` (the listing this was read into, nobody rendered) says what the
    /// published index says, but for its `now` and its `rendered` flags: then writing it
    /// would change nothing a reader relies on (data-spec §7 *Writing*). Compares bytes,
    /// so any other difference — a counter, a name, an id, a file — says no.
    pub fn same_as(&self, index: &mut Index) -> bool {
        let Some(published) = &self.published else {
            return false;
        };
        if published.rendered.len() != index.authors.len()
            || index.authors.iter().any(|a| a.rendered)
        {
            return false;
        }
        let now = std::mem::replace(&mut index.now, published.now.clone());
        for (entry, &rendered) in index.authors.iter_mut().zip(&published.rendered) {
            entry.rendered = rendered;
        }
        let sha256: [u8; 32] = Sha256::digest(index.to_json()).into();
        index.now = now;
        for entry in &mut index.authors {
            entry.rendered = false;
        }
        sha256 == published.sha256
    }

    /// One warning line when departed authors' files could not be removed because the
    /// published index does not record them.
    pub fn unrecorded_warning(&self) -> Option<String> {
        let first = self.unrecorded.first()?;
        let more = match self.unrecorded.len() {
            1 => String::new(),
            n => format!(" and {} more", n - 1),
        };
        Some(format!(
            "the published index.json records no files for {} author(s) no longer listed \
             ({first}{more}): it was written before every entry recorded its files, so none \
             of their files was removed — delete their <slug>.png, .dark.png, .svg, .dark.svg \
             and .stats.json by hand if they should go",
            self.unrecorded.len()
        ))
    }
}

/// The message for an index over [`MAX_INDEX_BYTES`].
fn too_large(len: u64) -> String {
    format!(
        "it is {len} bytes, more than the {} GiB a listing the job writes can take, so it was \
         not read",
        MAX_INDEX_BYTES >> 30
    )
}

/// The recorded files that can be `slug`'s: an author file name of that slug, a SHA-256 in
/// lower-case hex and a known variant. Anything else in a published index is dropped.
fn own_files(slug: &Slug, files: Vec<FileRef>) -> Vec<FileRef> {
    files
        .into_iter()
        .filter(|f| author_file_slug(&f.name).as_ref() == Some(slug))
        .filter(|f| {
            f.sha256.len() == 64
                && f.sha256
                    .bytes()
                    .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        })
        .filter(|f| {
            f.variant
                .as_deref()
                .is_none_or(|v| v == "light" || v == "dark")
        })
        .collect()
}

/// A reader that stops with an error (and says why in `refused`) once more than
/// [`MAX_INDEX_BYTES`] were read or a JSON string runs longer than
/// [`MAX_INDEX_STRING_BYTES`], so what the parser holds stays bounded.
struct Bounded<R> {
    inner: R,
    /// Of every byte read.
    sha256: Sha256,
    total: u64,
    in_string: bool,
    escaped: bool,
    run: usize,
    refused: Option<String>,
}

impl<R: Read> Bounded<R> {
    fn new(inner: R) -> Self {
        Bounded {
            inner,
            sha256: Sha256::new(),
            total: 0,
            in_string: false,
            escaped: false,
            run: 0,
            refused: None,
        }
    }

    fn refuse(&mut self, why: String) -> io::Error {
        self.refused = Some(why.clone());
        io::Error::other(why)
    }
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(why) = &self.refused {
            return Err(io::Error::other(why.clone()));
        }
        let n = self.inner.read(buf)?;
        self.sha256.update(&buf[..n]);
        self.total += n as u64;
        if self.total > MAX_INDEX_BYTES {
            return Err(self.refuse(too_large(self.total)));
        }
        for &b in &buf[..n] {
            if !self.in_string {
                self.in_string = b == b'"';
                self.run = 0;
                continue;
            }
            if self.escaped {
                self.escaped = false;
            } else if b == b'\\' {
                self.escaped = true;
            } else if b == b'"' {
                self.in_string = false;
                continue;
            }
            self.run += 1;
            if self.run > MAX_INDEX_STRING_BYTES {
                return Err(self.refuse(format!(
                    "a string in it is longer than {} KiB, more than any the job writes, so it \
                     was not read",
                    MAX_INDEX_STRING_BYTES >> 10
                )));
            }
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::month::MonthKey;

    const NOW: &str = "2025-11-25T00:00:00Z";

    fn entry(slug: &str) -> IndexAuthor {
        IndexAuthor {
            id: slug.to_owned(),
            slug: slug.to_owned(),
            display_name: slug.to_owned(),
            total_posts: 1,
            first_month: MonthKey::new(2025, 1),
            last_month: MonthKey::new(2025, 1),
            monthly: BTreeMap::from([(MonthKey::new(2025, 1), 1)]),
            rendered: false,
            digest: None,
            summary: None,
            files: None,
        }
    }

    fn file(name: &str) -> String {
        format!(
            r#"{{"name":"{name}","variant":"light","width":1200,"height":600,"sha256":"{}"}}"#,
            "ab".repeat(32)
        )
    }

    fn read(text: &str, listing: &mut [IndexAuthor]) -> PreviousIndex {
        let bytes = text.as_bytes().to_vec();
        let source = IndexSource::Stream {
            len: bytes.len() as u64,
            reader: Box::new(io::Cursor::new(bytes)),
        };
        PreviousIndex::read(source, listing).unwrap()
    }

    #[test]
    fn the_guards_get_the_count_and_now_and_the_style_is_kept() {
        let text = format!(
            r#"{{"timezone":"UTC","now":"{NOW}","style":"abc","authors":[{{"slug":"a"}},{{"slug":"b"}}],"skipped":{{}}}}"#
        );
        let read = read(&text, &mut []);
        assert_eq!(
            read.previous,
            Previous::Listing {
                authors: 2,
                now: Instant::parse(NOW).unwrap()
            }
        );
        assert_eq!(read.style.as_deref(), Some("abc"));
        assert_eq!(read.unrecorded, ["a", "b"]);
    }

    #[test]
    fn departed_authors_give_their_recorded_files_and_stats_and_nothing_else() {
        let text = format!(
            r#"{{"now":"{NOW}","authors":[
                {{"slug":"alice","files":[{}]}},
                {{"slug":"gone","files":[{},{},{},{}]}},
                {{"slug":"old"}}
            ]}}"#,
            file("alice.png"),
            file("gone.png"),
            file("favicon.png"),
            file("../gone.png"),
            file("index.json"),
        );
        let mut listing = vec![entry("alice"), entry("new")];
        let read = read(&text, &mut listing);
        assert_eq!(read.departed, ["gone.png", "gone.stats.json"]);
        assert_eq!(read.unrecorded, ["old"]);
        let carried: Vec<&str> = listing[0]
            .files
            .as_ref()
            .unwrap()
            .iter()
            .map(|f| f.name.as_str())
            .collect();
        assert_eq!(carried, ["alice.png"]);
        assert_eq!(
            listing[1].files.as_deref(),
            Some(&[][..]),
            "never published: none"
        );
        assert!(read.unrecorded_warning().unwrap().contains("(old)"));
    }

    #[test]
    fn files_a_run_meant_to_remove_are_removed_again() {
        let text = format!(
            r#"{{"now":"{NOW}","authors":[],"removed_files":["gone.png","favicon","x/y.png","index.json"]}}"#
        );
        assert_eq!(read(&text, &mut []).departed, ["gone.png"]);
    }

    #[test]
    fn an_entry_without_files_carries_that_they_are_unknown() {
        let text = format!(r#"{{"now":"{NOW}","authors":[{{"slug":"alice","summary":"s"}}]}}"#);
        let mut listing = vec![entry("alice")];
        read(&text, &mut listing);
        assert!(listing[0].files.is_none() && listing[0].summary.is_none());
    }

    #[test]
    fn a_recorded_digest_is_carried_with_the_files_and_only_a_well_formed_one() {
        let digest = "0123456789abcdef";
        let text = format!(
            r#"{{"now":"{NOW}","authors":[
                {{"slug":"a","digest":"{digest}","files":[{}]}},
                {{"slug":"b","digest":"{digest}"}},
                {{"slug":"c","digest":"0123456789ABCDEF","files":[]}},
                {{"slug":"d","files":[]}}
            ]}}"#,
            file("a.png")
        );
        let mut listing = vec![entry("a"), entry("b"), entry("c"), entry("d")];
        read(&text, &mut listing);
        let digests: Vec<Option<&str>> = listing.iter().map(|e| e.digest.as_deref()).collect();
        // b records no files, so no digest of them; c's is not one the job writes.
        assert_eq!(digests, [Some(digest), None, None, None]);
        // An unreadable index leaves every digest unknown.
        let mut listing = vec![entry("a")];
        listing[0].digest = Some(digest.into());
        read("[]", &mut listing);
        assert_eq!(listing[0].digest, None);
    }

    /// The index a run would write for `listing` at `now`, nobody rendered.
    fn index_of(listing: Vec<IndexAuthor>, now: &str) -> Index {
        Index::new(
            "Asia/Tokyo",
            Instant::parse(now).unwrap(),
            7,
            "0123456789abcdef".into(),
            listing,
            crate::stats::Skipped::default(),
        )
    }

    #[test]
    fn an_index_that_differs_only_in_now_and_rendered_is_the_same() {
        let mut published = index_of(vec![entry("a"), entry("b")], NOW);
        published.authors[0].rendered = true;
        published.authors[0].files = Some(Vec::new());
        published.authors[1].files = Some(Vec::new());
        let text = String::from_utf8(published.to_json()).unwrap();

        // A day later, nobody rendered: the same but for `now` and `rendered`.
        let mut next = index_of(vec![entry("a"), entry("b")], "2025-11-26T00:00:00Z");
        let previous = read(&text, &mut next.authors);
        assert!(previous.same_as(&mut next));
        // …and the comparison leaves the new index as it was.
        assert_eq!(next.now, "2025-11-26T00:00:00Z");
        assert!(next.authors.iter().all(|a| !a.rendered));

        // Any other difference is a change: a counter, a name, a listed author.
        let mut counted = index_of(vec![entry("a"), entry("b")], "2025-11-26T00:00:00Z");
        counted.skipped.future_post = 1;
        let previous = read(&text, &mut counted.authors);
        assert!(!previous.same_as(&mut counted));
        let mut renamed = index_of(vec![entry("a"), entry("b")], "2025-11-26T00:00:00Z");
        renamed.authors[1].display_name = "B".into();
        let previous = read(&text, &mut renamed.authors);
        assert!(!previous.same_as(&mut renamed));
        let mut fewer = index_of(vec![entry("a")], "2025-11-26T00:00:00Z");
        let previous = read(&text, &mut fewer.authors);
        assert!(!previous.same_as(&mut fewer));
        // No published index, or an unreadable one: never the same.
        let mut first = index_of(vec![entry("a")], NOW);
        let absent = PreviousIndex::read(IndexSource::Absent, &mut first.authors).unwrap();
        assert!(!absent.same_as(&mut first));
        assert!(!read("{}", &mut first.authors).same_as(&mut first));
    }

    #[test]
    fn no_index_means_no_files_were_published() {
        let mut listing = vec![entry("alice")];
        let read = PreviousIndex::read(IndexSource::Absent, &mut listing).unwrap();
        assert_eq!(read.previous, Previous::Absent);
        assert_eq!(listing[0].files.as_deref(), Some(&[][..]));
    }

    #[test]
    fn junk_is_unreadable_and_leaves_every_entrys_files_unknown() {
        let mut listing = vec![entry("alice")];
        for junk in [
            "not json",
            "{\"now\":\"yesterday\",\"authors\":[]}",
            "\0\0\0",
        ] {
            let read = read(junk, &mut listing);
            assert_eq!(read.previous.state(), "unreadable", "{junk}");
            assert!(read.departed.is_empty());
            assert!(listing[0].files.is_none());
        }
    }

    #[test]
    fn a_long_string_stops_the_read_without_holding_it() {
        let text = format!(
            r#"{{"now":"{NOW}","authors":[{{"slug":"{}"}}]}}"#,
            "a".repeat(MAX_INDEX_STRING_BYTES + 1)
        );
        let read = read(&text, &mut []);
        let Previous::Unreadable(why) = read.previous else {
            panic!("{read:?}")
        };
        assert!(why.contains("longer than 64 KiB"), "{why}");
        // Escaped quotes do not end a string; a string of exactly the limit is fine.
        let text = format!(
            r#"{{"now":"{NOW}","style":"{}\"","authors":[]}}"#,
            "b".repeat(MAX_INDEX_STRING_BYTES - 2)
        );
        assert_eq!(read_state(&text), "listing");
    }

    fn read_state(text: &str) -> &'static str {
        read(text, &mut []).previous.state()
    }

    #[test]
    fn an_oversized_index_is_not_read() {
        let source = IndexSource::Stream {
            len: MAX_INDEX_BYTES + 1,
            reader: Box::new(io::repeat(b' ')),
        };
        let read = PreviousIndex::read(source, &mut []).unwrap();
        let Previous::Unreadable(why) = read.previous else {
            panic!()
        };
        assert!(why.contains("more than the 4 GiB"), "{why}");
    }

    #[test]
    fn a_broken_download_is_an_error_not_an_unreadable_index() {
        struct Broken;
        impl Read for Broken {
            fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
                Err(io::Error::other("connection reset"))
            }
        }
        let source = IndexSource::Stream {
            len: 10,
            reader: Box::new(Broken),
        };
        let e = PreviousIndex::read(source, &mut []).unwrap_err();
        assert!(format!("{e:#}").contains("connection reset"), "{e:#}");
    }
}
