//! Property tests for the invariants of data-spec §5–§7: every non-blank post line lands in
//! exactly one place, per-line outcomes follow the first-match rule, index entries are
//! self-consistent, and timestamps round-trip to the nanosecond.

use std::io::Write;

use author_stats::index::IndexAuthor;
use author_stats::ingest::{self, Source};
use author_stats::stats::{MasterBuilder, Skipped, Tally, Window};
use author_stats::timestamp::Instant;
use flate2::write::GzEncoder;
use proptest::prelude::*;

const NOW: &str = "2025-11-25T00:00:00Z";

/// The authors file used by every case: usable, invalid-slug and duplicate-slug authors.
const AUTHORS: &str = concat!(
    r#"{"id":"u1","slug":"alice","display_name":"Alice"}"#,
    "\n",
    r#"{"id":"u2","slug":"bob"}"#,
    "\n",
    r#"{"id":"u3","slug":"山田","display_name":"山田"}"#,
    "\n",
    r#"{"id":"d1","slug":"twin"}"#,
    "\n",
    r#"{"id":"d2","slug":"twin"}"#,
    "\n",
);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Blank,
    Malformed,
    MissingAuthorId,
    MissingPublishedAt,
    BadTimestamp,
    Future,
    Unknown,
    InvalidSlug,
    Counted,
}

#[derive(Debug, Clone)]
enum AuthorId {
    Usable(&'static str),
    InvalidSlug(&'static str),
    Unknown,
    Empty,
    Absent,
    Number,
}

#[derive(Debug, Clone)]
enum Stamp {
    Past(i64),
    Future(i64),
    Bad(&'static str),
    Null,
    Absent,
    Bool,
}

#[derive(Debug, Clone)]
enum Line {
    Blank(&'static str),
    Malformed(&'static str),
    Post(AuthorId, Stamp),
}

fn author_id() -> impl Strategy<Value = AuthorId> {
    prop_oneof![
        4 => prop::sample::select(vec!["u1", "u2"]).prop_map(AuthorId::Usable),
        1 => prop::sample::select(vec!["u3", "d1", "d2"]).prop_map(AuthorId::InvalidSlug),
        1 => Just(AuthorId::Unknown),
        1 => Just(AuthorId::Empty),
        1 => Just(AuthorId::Absent),
        1 => Just(AuthorId::Number),
    ]
}

fn stamp() -> impl Strategy<Value = Stamp> {
    prop_oneof![
        4 => (0i64..15 * 365 * 86_400).prop_map(Stamp::Past),
        1 => (1i64..10_000_000).prop_map(Stamp::Future),
        1 => prop::sample::select(vec!["2024-02-30T10:00:00Z", "2024-01-31T20:00:00", "", "x"]).prop_map(Stamp::Bad),
        1 => Just(Stamp::Null),
        1 => Just(Stamp::Absent),
        1 => Just(Stamp::Bool),
    ]
}

fn line() -> impl Strategy<Value = Line> {
    prop_oneof![
        1 => prop::sample::select(vec!["", " ", "\t\r", "  \r"]).prop_map(Line::Blank),
        1 => prop::sample::select(vec!["[]", "null", "{", "{} {}", "NaN", "\"s\""]).prop_map(Line::Malformed),
        8 => (author_id(), stamp()).prop_map(|(a, s)| Line::Post(a, s)),
    ]
}

fn now() -> Instant {
    Instant::parse(NOW).unwrap()
}

/// Render a generated line as JSONL text, and say where the contract puts it.
fn render(line: &Line) -> (String, Outcome) {
    let (author, stamp) = match line {
        Line::Blank(text) => return ((*text).to_owned(), Outcome::Blank),
        Line::Malformed(text) => return ((*text).to_owned(), Outcome::Malformed),
        Line::Post(a, s) => (a, s),
    };
    let mut fields = vec![r#""body":"x\"y""#.to_owned()];
    let mut author_outcome = None;
    match author {
        AuthorId::Usable(id) => fields.push(format!(r#""author_id":"{id}""#)),
        AuthorId::InvalidSlug(id) => {
            fields.push(format!(r#""author_id":"{id}""#));
            author_outcome = Some(Outcome::InvalidSlug);
        }
        AuthorId::Unknown => {
            fields.push(r#""author_id":"nobody""#.to_owned());
            author_outcome = Some(Outcome::Unknown);
        }
        AuthorId::Empty => fields.push(r#""author_id":"""#.to_owned()),
        AuthorId::Absent => {}
        AuthorId::Number => fields.push(r#""author_id":12"#.to_owned()),
    }
    let missing_id = matches!(
        author,
        AuthorId::Empty | AuthorId::Absent | AuthorId::Number
    );
    let stamp_outcome = match stamp {
        Stamp::Past(secs) | Stamp::Future(secs) => {
            let sign = if matches!(stamp, Stamp::Past(_)) {
                -1
            } else {
                1
            };
            let nanos = now().unix_nanos() + i128::from(sign * secs) * 1_000_000_000;
            let text = Instant::from_unix_nanos(nanos).to_string();
            fields.push(format!(r#""first_published_at":"{text}""#));
            (sign > 0).then_some(Outcome::Future)
        }
        Stamp::Bad(text) => {
            fields.push(format!(r#""first_published_at":"{text}""#));
            Some(Outcome::BadTimestamp)
        }
        Stamp::Null => {
            fields.push(r#""first_published_at":null"#.to_owned());
            Some(Outcome::MissingPublishedAt)
        }
        Stamp::Absent => Some(Outcome::MissingPublishedAt),
        Stamp::Bool => {
            fields.push(r#""first_published_at":true"#.to_owned());
            Some(Outcome::BadTimestamp)
        }
    };
    let outcome = if missing_id {
        Outcome::MissingAuthorId
    } else {
        stamp_outcome.or(author_outcome).unwrap_or(Outcome::Counted)
    };
    (format!("{{{}}}", fields.join(",")), outcome)
}

fn gz(text: &str) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(text.as_bytes()).unwrap();
    e.finish().unwrap()
}

fn tally_of(posts: &str) -> (Tally<'static>, u64) {
    let mut skipped = Skipped::default();
    let mut builder = MasterBuilder::default();
    ingest::read_authors(
        Source::from_bytes("authors", gz(AUTHORS)),
        |_| {},
        |r| match r {
            Some(r) => builder.add(r),
            None => skipped.malformed_lines += 1,
        },
    )
    .unwrap();
    let master = Box::leak(Box::new(builder.finish(&mut skipped)));
    let duplicate = skipped.duplicate_slug;
    let window = Window::new(now(), 7, "Asia/Tokyo".parse().unwrap());
    let mut tally = Tally::new(master, window, skipped);
    ingest::read_posts(
        Source::from_bytes("posts", gz(posts)),
        |_| {},
        |p| tally.add(p),
    )
    .unwrap();
    (tally, duplicate)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn every_line_lands_in_exactly_the_first_matching_place(lines in prop::collection::vec(line(), 0..60)) {
        let rendered: Vec<(String, Outcome)> = lines.iter().map(render).collect();
        let text: String = rendered.iter().map(|(l, _)| format!("{l}\n")).collect();
        let (tally, duplicate) = tally_of(&text);
        let count = |o: Outcome| rendered.iter().filter(|(_, x)| *x == o).count() as u64;
        let s = tally.skipped;
        prop_assert_eq!(s.malformed_lines, count(Outcome::Malformed));
        prop_assert_eq!(s.missing_author_id, count(Outcome::MissingAuthorId));
        prop_assert_eq!(s.missing_published_at, count(Outcome::MissingPublishedAt));
        prop_assert_eq!(s.bad_timestamp, count(Outcome::BadTimestamp));
        prop_assert_eq!(s.future_post, count(Outcome::Future));
        prop_assert_eq!(s.unknown_author, count(Outcome::Unknown));
        prop_assert_eq!(s.invalid_slug, count(Outcome::InvalidSlug));
        prop_assert_eq!(tally.counted(), count(Outcome::Counted));
        prop_assert_eq!(duplicate, 2);
        // The accounting identity of §5.
        let non_blank = rendered.len() as u64 - count(Outcome::Blank);
        prop_assert_eq!(tally.lines, non_blank);
        prop_assert_eq!(
            non_blank,
            tally.counted() + s.malformed_lines + s.missing_author_id + s.missing_published_at
                + s.bad_timestamp + s.future_post + s.unknown_author + s.invalid_slug
        );
    }

    #[test]
    fn index_entries_are_self_consistent(lines in prop::collection::vec(line(), 0..60)) {
        let text: String = lines.iter().map(|l| format!("{}\n", render(l).0)).collect();
        let (tally, _) = tally_of(&text);
        for (author, counts) in tally.master().authors.iter().zip(&tally.counts) {
            match IndexAuthor::new(author, counts.clone()) {
                None => prop_assert!(counts.monthly.is_empty()),
                Some(entry) => {
                    prop_assert_eq!(entry.total_posts, entry.monthly.values().map(|&n| u64::from(n)).sum::<u64>());
                    prop_assert!(entry.monthly.values().all(|&n| n > 0));
                    prop_assert_eq!(Some(&entry.first_month), entry.monthly.keys().next());
                    prop_assert_eq!(Some(&entry.last_month), entry.monthly.keys().next_back());
                    prop_assert!(entry.last_month <= now().month_in("Asia/Tokyo".parse().unwrap()));
                }
            }
        }
    }

    #[test]
    fn timestamps_round_trip_to_the_nanosecond(
        nanos in 0i128..253_402_300_799_999_999_999i128,
        offset_minutes in -(23 * 60 + 59)..=(23 * 60 + 59i64),
    ) {
        let instant = Instant::from_unix_nanos(nanos);
        prop_assert_eq!(Instant::parse(&instant.to_string()), Some(instant));
        // The same instant written with another offset is the same instant.
        let local = nanos + i128::from(offset_minutes) * 60 * 1_000_000_000;
        if local >= 0 {
            let text = Instant::from_unix_nanos(local).to_string();
            let sign = if offset_minutes < 0 { '-' } else { '+' };
            let m = offset_minutes.abs();
            let with_offset = format!("{}{sign}{:02}:{:02}", &text[..text.len() - 1], m / 60, m % 60);
            prop_assert_eq!(Instant::parse(&with_offset), Some(instant), "{}", with_offset);
        }
    }
}
