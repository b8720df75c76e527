//! Bad and borderline post lines for `--dirty`, several of every kind data-spec §2 and §5
//! name: malformed lines, missing or bad author ids and timestamps, future posts, unknown
//! authors, posts of unusable authors, plus valid traps (escapes in used fields, lone
//! surrogates in ignored fields, huge bodies). Each line carries its truth (`PostLine`).

use chrono::{DateTime, Duration, Utc};
use rand::Rng;

use super::cast::RECENT_SECS;
use super::dirty_authors::DirtyMaster;
use super::json::{quoted, Style};
use super::names::Registry;
use super::stamp::{self, Form};
use super::tally::{PostLine, Published};

/// The dirty post lines: `lines` go anywhere; `last` ends the file (without a newline).
pub(super) struct DirtyPosts {
    pub lines: Vec<(Vec<u8>, PostLine)>,
    pub last: (Vec<u8>, PostLine),
}

/// `author_id` as written.
#[derive(Debug, Clone)]
enum A {
    Absent,
    /// A string, written as is (must be non-empty).
    Id(String),
    /// Raw JSON that is not a non-empty string (`null`, `""`, `42` …).
    Missing(&'static str),
    /// Raw JSON string text and the id it decodes to.
    Escaped(String, String),
}

/// `first_published_at` as written.
#[derive(Debug, Clone)]
enum T {
    Absent,
    Null,
    At(DateTime<Utc>, Form),
    /// A string that is not a valid timestamp.
    BadStr(String),
    /// Raw JSON that is not a valid timestamp (a non-string, or an escaped bad string).
    BadRaw(&'static str),
    /// Raw JSON string text and the instant it decodes to.
    Escaped(String, DateTime<Utc>),
}

const Z3: Form = Form {
    digits: 3,
    offset: None,
    minus_zero: false,
};
const Z9: Form = Form {
    digits: 9,
    offset: None,
    minus_zero: false,
};
const JST: Form = Form {
    digits: 0,
    offset: Some(540),
    minus_zero: false,
};

/// Examples of bad timestamps: every one data-spec §4 lists, and more.
pub(super) const BAD_TIMESTAMPS: &[&str] = &[
    "2024-13-01T00:00:00Z",
    "2024-02-30T10:00:00Z",
    "2024-01-31 20:00:00",
    "2024-01-31T20:00:00",
    "2024-01-31T20:00:00+0900",
    "2024-01-31t20:00:00z",
    "2024-01-31T20:00Z",
    "2024-01-31T20:00:00.Z",
    "2024-01-31T20:00:00.1234567890Z",
    "2024-01-31T24:00:00Z",
    "2024-12-31T23:59:60Z",
    "２０２４-01-31T20:00:00Z",
    " 2024-01-31T20:00:00Z",
    "",
    "2024-01-31T20:00:00Z ",
    "2023-02-29T00:00:00Z",
    "1900-02-29T00:00:00Z",
    "2024-04-31T00:00:00Z",
    "2024-00-10T00:00:00Z",
    "2024-01-00T00:00:00Z",
    "2024-01-31T20:60:00Z",
    "2024-1-31T20:00:00Z",
    "2024-01-31T20:00:00z",
    "2024-01-31T20:00:00+09",
    "2024-01-31T20:00:00+24:00",
    "2024-01-31T20:00:00+09:60",
    "2024-01-31T20:00:00 +09:00",
    "2024-01-31T20:00:00\u{2212}05:00",
    "2024-01-31T20:00:00.\u{ff11}Z",
    "2024-01-31T20:00:00,5Z",
    "2024-01-31T20:00:00ZZ",
    "2024-01-31T20:00:00+09:00Z",
    "2024-01-31T20:00:00+09:00[Asia/Tokyo]",
    "+2024-01-31T20:00:00Z",
    "2024-01-31",
    "20240131T200000Z",
    "1969-12-31T23:59:59Z",
    "1970-01-01T08:59:59+09:00",
    "1969-12-31T23:59:59.999999999Z",
    "not a date",
    "2024-01-31T20:00:00Z\u{0}",
];

/// Non-string `first_published_at` values.
const BAD_RAW_TIMESTAMPS: &[&str] = &[
    "1706731200",
    "1706731200.5",
    "true",
    "false",
    "{\"t\":\"2024-01-31T20:00:00Z\"}",
    "[\"2024-01-31T20:00:00Z\"]",
];

struct Maker<'a, R: Rng> {
    rng: &'a mut R,
    registry: &'a mut Registry,
    until: DateTime<Utc>,
    lines: Vec<(Vec<u8>, PostLine)>,
}

impl<R: Rng> Maker<'_, R> {
    /// Write a post line with these used fields and `extra` raw JSON members.
    fn post(&mut self, author: A, ts: T, extra: &str) {
        let line = self.line(author, ts, extra);
        self.lines.push(line);
    }

    fn line(&mut self, author: A, ts: T, extra: &str) -> (Vec<u8>, PostLine) {
        let id = self.registry.id(self.rng);
        let mut text = format!("{{\"id\":\"{id}\",\"title\":\"sample\"");
        let author_id = match author {
            A::Absent => None,
            A::Id(s) => {
                debug_assert!(!s.is_empty());
                text.push_str(&format!(",\"author_id\":{}", quoted(&s, Style::Utf8)));
                Some(s)
            }
            A::Missing(raw) => {
                text.push_str(&format!(",\"author_id\":{raw}"));
                None
            }
            A::Escaped(raw, s) => {
                text.push_str(&format!(",\"author_id\":{raw}"));
                Some(s)
            }
        };
        let published = match ts {
            T::Absent => Published::Missing,
            T::Null => {
                text.push_str(",\"first_published_at\":null");
                Published::Missing
            }
            T::At(at, form) => {
                let mut s = String::new();
                stamp::render(at, form, &mut s);
                text.push_str(&format!(",\"first_published_at\":\"{s}\""));
                Published::At(at)
            }
            T::BadStr(s) => {
                text.push_str(&format!(
                    ",\"first_published_at\":{}",
                    quoted(&s, Style::Utf8)
                ));
                Published::Bad
            }
            T::BadRaw(raw) => {
                text.push_str(&format!(",\"first_published_at\":{raw}"));
                Published::Bad
            }
            T::Escaped(raw, at) => {
                text.push_str(&format!(",\"first_published_at\":{raw}"));
                Published::At(at)
            }
        };
        text.push_str(extra);
        text.push('}');
        (
            text.into_bytes(),
            PostLine::Record {
                author_id,
                published,
            },
        )
    }

    fn malformed(&mut self, bytes: impl Into<Vec<u8>>) {
        self.lines.push((bytes.into(), PostLine::Malformed));
    }

    /// A random past instant within the last `days` days before `until`.
    fn past(&mut self, days: i64) -> T {
        let secs = self.until.timestamp() - self.rng.random_range(1..days * 86_400);
        let form = Form::random(self.rng);
        let nanos = form.nanos(self.rng);
        T::At(
            DateTime::from_timestamp(secs, nanos).expect("in range"),
            form,
        )
    }

    /// A random instant strictly inside the last week (always rendered by `--days 7`).
    fn recent(&mut self) -> T {
        let secs = self.until.timestamp() - self.rng.random_range(1..RECENT_SECS);
        T::At(DateTime::from_timestamp(secs, 0).expect("in range"), Z3)
    }
}

/// Build the dirty posts. `good` is a usable clean author; `master` the dirty master.
pub(super) fn dirty_posts(
    rng: &mut impl Rng,
    registry: &mut Registry,
    master: &DirtyMaster,
    good: &str,
    until: DateTime<Utc>,
) -> DirtyPosts {
    let mut m = Maker {
        rng,
        registry,
        until,
        lines: Vec::new(),
    };
    let good_id = || A::Id(good.to_owned());
    let stamp_of = |at: DateTime<Utc>, form: Form| {
        let mut s = String::new();
        stamp::render(at, form, &mut s);
        s
    };

    // --- Counted: odd-but-valid authors, each with history and a recent post. ---
    for id in &master.usable {
        for _ in 0..m.rng.random_range(2..6) {
            let ts = m.past(3 * 365);
            m.post(A::Id(id.clone()), ts, "");
        }
        let ts = m.recent();
        m.post(A::Id(id.clone()), ts, "");
    }
    let week = until - Duration::seconds(RECENT_SECS);
    for (id, latest) in [
        (&master.edge_in, week),
        (&master.edge_out, week - Duration::nanoseconds(1)),
    ] {
        for _ in 0..3 {
            let ts = T::At(latest - Duration::days(m.rng.random_range(1..400)), Z9);
            m.post(A::Id(id.clone()), ts, "");
        }
        m.post(A::Id(id.clone()), T::At(latest, Z9), "");
    }
    // Valid spellings a strict parser must accept (data-spec §4), by their own author.
    let valid = [
        ("2024-02-29T12:00:00Z", "2024-02-29T12:00:00Z"),
        ("2024-01-31T20:00:00.000Z", "2024-01-31T20:00:00Z"),
        ("2024-02-01T05:00:00+09:00", "2024-01-31T20:00:00Z"),
        ("2024-03-01T00:00:00.5Z", "2024-03-01T00:00:00.5Z"),
        (
            "2024-03-01T00:00:00.123456789Z",
            "2024-03-01T00:00:00.123456789Z",
        ),
        ("2024-03-01T00:00:00-05:00", "2024-03-01T05:00:00Z"),
        ("2024-03-01T00:00:00+05:45", "2024-02-29T18:15:00Z"),
        ("2024-03-01T00:00:00+00:00", "2024-03-01T00:00:00Z"),
        ("2024-03-01T00:00:00-00:00", "2024-03-01T00:00:00Z"),
        ("2024-01-31T14:59:59Z", "2024-01-31T14:59:59Z"),
        ("2024-01-31T15:00:00Z", "2024-01-31T15:00:00Z"),
        (
            "2000-02-29T23:59:59.999999999+23:59",
            "2000-02-29T00:00:59.999999999Z",
        ),
        ("2024-06-30T23:59:59-23:59", "2024-07-01T23:58:59Z"),
    ];
    for (text, instant) in valid {
        let at = DateTime::parse_from_rfc3339(instant)
            .expect("valid instant")
            .with_timezone(&Utc);
        m.post(
            A::Id(master.spellings.clone()),
            T::Escaped(format!("\"{text}\""), at),
            "",
        );
    }
    // Escapes in used fields are decoded before comparing (data-spec §2.6).
    let escaped_id = format!("\"\\u{:04x}{}\"", good.as_bytes()[0], &good[1..]);
    let ts = m.past(30);
    m.post(A::Escaped(escaped_id, good.to_owned()), ts, "");
    let at = until - Duration::days(3);
    let text = stamp_of(at, Z3);
    m.post(
        good_id(),
        T::Escaped(format!("\"\\u0032{}\"", &text[1..]), at),
        "",
    );
    // Lone surrogates, junk and nesting in fields the job ignores: still counted.
    let ignored = [
        ",\"body\":\"broken \\ud800 surrogate\"",
        ",\"title2\":\"\\udfff\",\"tags\":[\"\\ud83d\"]",
        ",\"body\":\"pair \\ud83d\\ude00 ok\"",
        ",\"meta\":{\"a\":[1,-0,1e308,1E-5,{\"b\":null}],\"c\":{}},\"tags\":null",
        ",\"deep\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
        ",\"url\":\"https:\\/\\/example.com\\/a\\/b\"",
    ];
    for extra in ignored {
        let ts = m.past(200);
        m.post(good_id(), ts, extra);
    }
    let ts = m.past(10);
    let (mut bytes, label) = m.line(good_id(), ts, "");
    bytes.splice(0..1, b" \t{ ".iter().copied());
    let end = bytes.len() - 1;
    bytes.splice(end..end, b" \t".iter().copied());
    bytes.extend_from_slice(b" \t ");
    m.lines.push((bytes, label));
    // A body of about 2 MB.
    let big: String = "長い本文 long body \\\" ".repeat(2 * 1024 * 1024 / 28);
    let ts = m.past(5);
    m.post(good_id(), ts, &format!(",\"body\":\"{big}\""));

    // --- Malformed lines (data-spec §2.5). ---
    let ts = stamp_of(until - Duration::days(2), Z3);
    let base = format!("{{\"id\":\"x\",\"author_id\":\"{good}\",\"first_published_at\":\"{ts}\"");
    for junk in [
        &b"\xFF\xFE"[..],
        b"\xC3\x28",
        b"\xED\xA0\x80",
        b"\xC0\xAF",
        b"\xE3\x81",
        b"\xF8\x88\x80\x80\x80",
    ] {
        let mut bytes = format!("{base},\"body\":\"bad utf-8 ").into_bytes();
        bytes.extend_from_slice(junk);
        bytes.extend_from_slice(b" here\"}");
        m.malformed(bytes);
    }
    for text in [
        format!("{base},\"score\":NaN}}"),
        format!("{base},\"score\":Infinity}}"),
        format!("{base},\"score\":-Infinity}}"),
        format!("{base},\"score\":01}}"),
        format!("{base},\"body\":\"trunc"),
        format!("{base},"),
        base.clone(),
        format!("{base}}} trailing"),
        format!("{base}}},"),
        format!("{base}}}]"),
        format!("{base}}}{base}}}"),
        format!("{base}}} {base}}}"),
        format!("[{base}}}]"),
        format!("{base},}}"),
        format!("{base},\"body\":\"tab\tinside\"}}"),
        format!("{base},\"body\":\"ctrl\u{1}inside\"}}"),
        format!("{base},\"body\":\"bad escape \\x41\"}}"),
        format!("{base},\"body\":'single'}}"),
        format!("{base},body:\"unquoted key\"}}"),
        format!("{base}}} // comment"),
        format!("\u{feff}{base}}}"),
        format!("{{\"id\":\"x\",\"author_id\":\"\\ud800\",\"first_published_at\":\"{ts}\"}}"),
        format!("{{\"id\":\"x\",\"author_id\":\"{good}\\udc00\",\"first_published_at\":\"{ts}\"}}"),
        format!("{{\"id\":\"x\",\"author_id\":\"{good}\",\"first_published_at\":\"{ts}\\ud800\"}}"),
        format!(
            "{{\"id\":\"x\",\"author_id\":\"\\ud800\\u0041\",\"first_published_at\":\"{ts}\"}}"
        ),
        format!("{{\"id\":\"x\",\"first_published_at\":\"\\udbff{ts}\",\"author_id\":\"{good}\"}}"),
        "[1,2,3]".into(),
        "[]".into(),
        "\"a string\"".into(),
        "null".into(),
        "42".into(),
        "true".into(),
        "{".into(),
        "}".into(),
        "\u{a0}".into(),
        "\u{b}".into(),
        "\u{c}".into(),
        "x".into(),
    ] {
        m.malformed(text);
    }
    m.malformed(b"\0".to_vec());
    m.malformed(b"{\"id\":\"x\"}\0".to_vec());

    // --- missing_author_id: absent, null, not a string, "" (rule 2 before 3 and 4). ---
    let missing = [
        "null",
        "\"\"",
        "42",
        "0",
        "true",
        "{}",
        "[]",
        "[\"a\"]",
        "{\"id\":\"x\"}",
    ];
    for raw in missing {
        let ts = m.past(100);
        m.post(A::Missing(raw), ts, "");
    }
    let ts = m.past(100);
    m.post(A::Absent, ts, "");
    m.post(A::Absent, T::Absent, "");
    m.post(A::Missing("\"\""), T::Null, "");
    m.post(
        A::Missing("null"),
        T::BadStr("2024-13-01T00:00:00Z".into()),
        "",
    );
    m.post(A::Missing("\"\""), T::At(until + Duration::days(1), Z3), "");

    // --- missing_published_at: drafts, also of unknown or unusable authors. ---
    m.post(good_id(), T::Null, "");
    m.post(good_id(), T::Absent, "");
    m.post(
        good_id(),
        T::Null,
        ",\"updated_at\":\"2025-01-01T00:00:00Z\"",
    );
    let stranger = m.registry.id(m.rng);
    m.post(A::Id(stranger), T::Null, "");
    m.post(A::Id(master.unusable[0].clone()), T::Absent, "");

    // --- bad_timestamp (rule 4 before 5, 6 and 7). ---
    for bad in BAD_TIMESTAMPS {
        m.post(good_id(), T::BadStr((*bad).into()), "");
    }
    for raw in BAD_RAW_TIMESTAMPS {
        m.post(good_id(), T::BadRaw(raw), "");
    }
    let stranger = m.registry.id(m.rng);
    m.post(
        A::Id(stranger),
        T::BadStr("2024-02-30T10:00:00Z".into()),
        "",
    );
    m.post(
        A::Id(master.unusable[1].clone()),
        T::BadStr("2024-01-31T20:00:00".into()),
        "",
    );
    // Escapes are decoded first: these read " 024-…" and "2024-13-…".
    m.post(good_id(), T::BadRaw("\"\\u0020024-01-31T20:00:00Z\""), "");
    m.post(good_id(), T::BadRaw("\"\\u0032024-13-01T00:00:00Z\""), "");

    // --- future_post: after `until` (rule 5 before 6 and 7). ---
    let future = [
        (until + Duration::nanoseconds(1), Z9),
        (until + Duration::seconds(1), JST),
        (until + Duration::days(1), Z3),
        (until + Duration::days(400), Z3),
    ];
    for (at, form) in future {
        m.post(good_id(), T::At(at, form), "");
    }
    let far = DateTime::parse_from_rfc3339("9999-12-31T23:59:59.999999999Z")
        .expect("valid")
        .with_timezone(&Utc);
    m.post(good_id(), T::At(far, Z9), "");
    let stranger = m.registry.id(m.rng);
    m.post(A::Id(stranger), T::At(until + Duration::hours(1), Z3), "");
    m.post(
        A::Id(master.unusable[2].clone()),
        T::At(until + Duration::hours(2), JST),
        "",
    );
    m.post(
        A::Id(master.usable[0].clone()),
        T::At(until + Duration::days(30), Z3),
        "",
    );

    // --- unknown_author (rule 6): ids not in the master, or only on malformed lines. ---
    for _ in 0..5 {
        let stranger = m.registry.id(m.rng);
        let ts = m.past(300);
        m.post(A::Id(stranger), ts, "");
    }
    for id in &master.malformed_ids {
        let ts = m.recent();
        m.post(A::Id(id.clone()), ts, "");
    }
    let variants = [
        good.to_ascii_lowercase(),
        good.to_ascii_uppercase(),
        format!("{good} "),
        format!(" {good}"),
        format!("{good}\u{3000}"),
        "deleted-author".to_owned(),
    ];
    for id in variants {
        if !m.registry.has_id(&id) {
            m.registry.reserve_id(&id);
            let ts = m.past(100);
            m.post(A::Id(id), ts, "");
        }
    }
    // Valid epoch instants, but no such author.
    let epoch = DateTime::from_timestamp(0, 0).expect("epoch");
    let stranger = m.registry.id(m.rng);
    m.post(
        A::Id(stranger.clone()),
        T::Escaped("\"1970-01-01T00:00:00Z\"".into(), epoch),
        "",
    );
    m.post(
        A::Id(stranger),
        T::Escaped("\"1970-01-01T09:00:00+09:00\"".into(), epoch),
        "",
    );

    // --- invalid_slug (rule 7): posts of authors with invalid or duplicated slugs. ---
    for id in &master.unusable {
        for _ in 0..m.rng.random_range(1..4) {
            let ts = if m.rng.random_bool(0.5) {
                m.recent()
            } else {
                m.past(1000)
            };
            m.post(A::Id(id.clone()), ts, "");
        }
    }

    // The last line: a post exactly at `until` (counted), written in +09:00.
    let last = m.line(A::Id(master.at_now.clone()), T::At(until, JST), "");
    DirtyPosts {
        lines: m.lines,
        last,
    }
}

#[cfg(test)]
mod tests {
    use super::super::dirty_authors::dirty_master;
    use super::super::oracle;
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn every_label_matches_an_independent_reading_of_its_line() {
        let until = DateTime::from_timestamp(1_764_028_800, 0).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        let mut registry = Registry::default();
        let master = dirty_master(&mut rng, &mut registry, &[]);
        let good = registry.id(&mut rng);
        let posts = dirty_posts(&mut rng, &mut registry, &master, &good, until);
        for (bytes, label) in posts.lines.iter().chain([&posts.last]) {
            let text = String::from_utf8_lossy(bytes);
            assert_eq!(&oracle::post_line(bytes), label, "{text:.300}");
        }
    }
}
