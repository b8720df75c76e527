//! Bad and borderline records of the author master (data-spec §2.5, §3) for `--dirty`:
//! malformed lines, bad ids, invalid and duplicated slugs, duplicate ids (last record wins),
//! odd display names, and valid edge cases. Each line carries its truth (`AuthorLine`), and
//! the ids are sorted by what their posts must become, for `dirty_posts.rs` to use.

use rand::Rng;

use super::cast::Author;
use super::json::{quoted, Style};
use super::names::{is_valid_slug, Registry};
use super::tally::AuthorLine;

/// The dirty side of the master.
#[derive(Debug, Default)]
pub(super) struct DirtyMaster {
    /// Lines to insert into the authors file, in this relative order.
    pub lines: Vec<(Vec<u8>, AuthorLine)>,
    /// Usable authors with odd but valid data: their posts must be counted.
    pub usable: Vec<String>,
    /// Authors whose final record has an invalid or duplicated slug.
    pub unusable: Vec<String>,
    /// Ids found only on malformed master lines: unknown authors.
    pub malformed_ids: Vec<String>,
    /// A usable author whose latest post is exactly `until − 7 days` (rendered by `--days 7`).
    pub edge_in: String,
    /// A usable author whose latest post is 1 ns before that (not rendered by `--days 7`).
    pub edge_out: String,
    /// A usable author whose only post is exactly at `until` (counted, rendered).
    pub at_now: String,
    /// A usable author whose posts use every unusual valid timestamp spelling.
    pub spellings: String,
    /// Stale earlier records of clean authors, each to be written just before the clean
    /// record of the author at that index (which then makes them forgotten, §3.1).
    pub stale: Vec<(usize, (Vec<u8>, AuthorLine))>,
}

/// A field value as written in a record.
#[derive(Debug, Clone, Copy)]
enum V<'a> {
    Absent,
    Null,
    /// A string, UTF-8 as is.
    Str(&'a str),
    /// A string written with `\u` escapes for everything non-ASCII.
    Ascii(&'a str),
    /// Raw JSON that is not a string (`42`, `true`, `[…]`).
    Raw(&'a str),
    /// Raw JSON string text and the string it decodes to.
    Escaped(&'a str, &'a str),
}

impl V<'_> {
    fn json(self) -> Option<String> {
        match self {
            V::Absent => None,
            V::Null => Some("null".into()),
            V::Str(s) => Some(quoted(s, Style::Utf8)),
            V::Ascii(s) => Some(quoted(s, Style::Ascii)),
            V::Raw(raw) | V::Escaped(raw, _) => Some(raw.into()),
        }
    }

    /// The string value the job sees, if it is a string.
    fn string(self) -> Option<String> {
        match self {
            V::Str(s) | V::Ascii(s) | V::Escaped(_, s) => Some(s.to_owned()),
            V::Absent | V::Null | V::Raw(_) => None,
        }
    }
}

/// One well-formed record: `{"id":…,"slug":…,"display_name":…<extra>}`.
fn record(id: &str, slug: V, name: V, extra: &str) -> (Vec<u8>, AuthorLine) {
    let mut line = format!("{{\"id\":{}", quoted(id, Style::Utf8));
    if let Some(s) = slug.json() {
        line.push_str(",\"slug\":");
        line.push_str(&s);
    }
    if let Some(n) = name.json() {
        line.push_str(",\"display_name\":");
        line.push_str(&n);
    }
    line.push_str(extra);
    line.push('}');
    let label = AuthorLine::Record {
        id: id.to_owned(),
        slug: slug.string(),
        display_name: name.string().filter(|n| !n.is_empty()),
    };
    (line.into_bytes(), label)
}

fn malformed(bytes: impl Into<Vec<u8>>) -> (Vec<u8>, AuthorLine) {
    (bytes.into(), AuthorLine::Malformed)
}

/// `"\u00XX…"`: the JSON text of `s` with its first (ASCII) character escaped.
fn escape_first(s: &str) -> String {
    let first = s.as_bytes()[0];
    debug_assert!(first.is_ascii());
    format!("\"\\u{:04x}{}\"", first, &s[1..])
}

/// Build the dirty master for the clean `authors`. Slugs meant to be valid are reserved in
/// `registry`, so they never collide with the clean authors' slugs.
pub(super) fn dirty_master(
    rng: &mut impl Rng,
    registry: &mut Registry,
    authors: &[Author],
) -> DirtyMaster {
    let mut d = DirtyMaster {
        stale: stale_records(registry, authors),
        ..DirtyMaster::default()
    };

    // --- Usable authors with odd display names (data-spec §3.5) and edge-case slugs. ---
    let long_name: String = "とても長い表示名の著者".chars().cycle().take(200).collect();
    let names: Vec<V> = vec![
        V::Absent,
        V::Null,
        V::Str(""),
        V::Str("\u{3000}"),
        V::Str(" "),
        V::Str(&long_name),
        V::Str("🎉 Party Parrot 🦜"),
        V::Ascii("絵文字 😀 さん"),
        V::Raw("42"),
        V::Raw("true"),
        V::Raw("[\"Array\",\"Name\"]"),
        V::Raw("{\"ja\":\"鈴木\"}"),
        V::Str("Bobby \"Tables\" \\ O'Brien"),
        V::Str("改行\nあり"),
        V::Ascii("山田\u{3000}花子"),
    ];
    let mut slugs = Vec::new();
    for i in 0..names.len() {
        slugs.push(registry.unique_slug(&format!("odd-name-{i}")));
    }
    for (name, slug) in names.into_iter().zip(&slugs) {
        let author = registry.id(rng);
        d.lines.push(record(&author, V::Str(slug), name, ""));
        d.usable.push(author);
    }
    // Valid but unusual slugs, and lone surrogates / junk in fields the job ignores.
    // Clean slugs never start with `long-slug-`, so this one is free and 64 long.
    let long_slug = registry.unique_slug(&format!("{:a<64}", "long-slug-"));
    let digit = registry.unique_slug("7");
    let underscore = registry.unique_slug("a_b-c_");
    let escaped = registry.unique_slug("escaped-slug");
    let escaped_json = escape_first(&escaped);
    let surrogate_bio = registry.unique_slug("surrogate-in-bio");
    let cases: Vec<(V, V, &str)> = vec![
        (V::Str(&long_slug), V::Str("64 characters of slug"), ""),
        (V::Str(&digit), V::Str("Seven"), ""),
        (V::Str(&underscore), V::Str("Under Score"), ""),
        (
            V::Escaped(&escaped_json, &escaped),
            V::Str("Escaped Slug"),
            "",
        ),
        (
            V::Str(&surrogate_bio),
            V::Str("Lone Surrogate In Bio"),
            ",\"bio\":\"broken \\udc00 text\",\"score\":1e308,\"nested\":[[[{\"a\":null}]]]",
        ),
    ];
    for (slug, name, extra) in cases {
        let author = registry.id(rng);
        d.lines.push(record(&author, slug, name, extra));
        d.usable.push(author);
    }
    for (field, slug) in [
        (&mut d.edge_in, "window-edge-in"),
        (&mut d.edge_out, "window-edge-out"),
        (&mut d.at_now, "posted-at-now"),
        (&mut d.spellings, "valid-spellings"),
    ] {
        let author = registry.id(rng);
        let slug = registry.unique_slug(slug);
        d.lines
            .push(record(&author, V::Str(&slug), V::Str(&slug), ""));
        *field = author;
    }

    // --- Duplicate ids: the last record wins completely (data-spec §3.1). ---
    let a = registry.id(rng);
    let (old, new) = (
        registry.unique_slug("dup-id-old"),
        registry.unique_slug("dup-id-new"),
    );
    d.lines
        .push(record(&a, V::Str(&old), V::Str("Old Name"), ""));
    d.lines
        .push(record(&a, V::Str(&new), V::Str("New Name"), ""));
    d.usable.push(a);
    // B's first slug is shared with C, but B's last record forgets it: both usable.
    let (b, c) = (registry.id(rng), registry.id(rng));
    let shared = registry.unique_slug("forgotten-shared");
    let b_final = registry.unique_slug("forgotten-b");
    d.lines
        .push(record(&b, V::Str(&shared), V::Str("B first"), ""));
    d.lines
        .push(record(&c, V::Str(&shared), V::Str("C keeps the slug"), ""));
    d.lines
        .push(record(&b, V::Str(&b_final), V::Str("B last"), ""));
    d.usable.extend([b, c]);
    // Valid, then invalid: unusable.
    let e = registry.id(rng);
    let e_slug = registry.unique_slug("valid-then-invalid");
    d.lines.push(record(&e, V::Str(&e_slug), V::Str("E"), ""));
    d.lines
        .push(record(&e, V::Str("Valid Then Invalid"), V::Str("E"), ""));
    d.unusable.push(e);
    // Invalid, then valid: usable.
    let f = registry.id(rng);
    let f_slug = registry.unique_slug("invalid-then-valid");
    d.lines.push(record(&f, V::Str("../f"), V::Str("F"), ""));
    d.lines.push(record(&f, V::Str(&f_slug), V::Str("F"), ""));
    d.usable.push(f);
    // The same id twice with the same slug is one record, not a duplicated slug.
    let g = registry.id(rng);
    let g_slug = registry.unique_slug("same-id-same-slug");
    d.lines.push(record(&g, V::Str(&g_slug), V::Str("G"), ""));
    d.lines
        .push(record(&g, V::Str(&g_slug), V::Str("G again"), ""));
    d.usable.push(g);
    // A name in the first record only: the last record has none, so the slug is shown.
    let h = registry.id(rng);
    let h_slug = registry.unique_slug("name-forgotten");
    d.lines
        .push(record(&h, V::Str(&h_slug), V::Str("First Name"), ""));
    d.lines.push(record(&h, V::Str(&h_slug), V::Absent, ""));
    d.usable.push(h);
    // A malformed line with a known id is not a record: the earlier record stands.
    let k = registry.id(rng);
    let k_slug = registry.unique_slug("before-malformed");
    d.lines.push(record(&k, V::Str(&k_slug), V::Str("K"), ""));
    d.lines.push(malformed(format!(
        "{{\"id\":\"{k}\",\"slug\":\"{k_slug}\",\"display_name\":\"\\ud800\"}}"
    )));
    d.usable.push(k);

    // --- Duplicated slugs: every holder is dropped (data-spec §3.3); 2 + 3 + 2 = 7. ---
    let pair = registry.unique_slug("shared-slug");
    for name in ["Pair One", "Pair Two"] {
        let author = registry.id(rng);
        d.lines
            .push(record(&author, V::Str(&pair), V::Str(name), ""));
        d.unusable.push(author);
    }
    let trio = registry.unique_slug("trio-slug");
    for (i, name) in ["Trio One", "Trio Two", "Trio Three (no posts)"]
        .into_iter()
        .enumerate()
    {
        let author = registry.id(rng);
        d.lines
            .push(record(&author, V::Str(&trio), V::Str(name), ""));
        if i < 2 {
            d.unusable.push(author);
        }
    }
    let spelled = registry.unique_slug("pair-slug");
    let spelled_json = escape_first(&spelled);
    for slug in [V::Str(&spelled), V::Escaped(&spelled_json, &spelled)] {
        let author = registry.id(rng);
        d.lines
            .push(record(&author, slug, V::Str("Spelled Differently"), ""));
        d.unusable.push(author);
    }

    // --- Invalid slugs (data-spec §3.2). `../evil` twice: invalid, never a duplicate. ---
    let sixty_five = "a".repeat(65);
    let invalid: Vec<V> = vec![
        V::Str("../evil"),
        V::Str("../evil"),
        V::Str("a/b"),
        V::Str("UPPER case"),
        V::Str("Upper"),
        V::Str(".hidden"),
        V::Str("-dash-first"),
        V::Str("_underscore-first"),
        V::Str(&sixty_five),
        V::Str("すずき-taro"),
        V::Ascii("café"),
        V::Str("ctrl\u{1}slug"),
        V::Str("tab\tslug"),
        V::Str("trailing-space "),
        V::Str(" leading-space"),
        V::Str("ｆｕｌｌ-width"),
        V::Str(""),
        V::Null,
        V::Absent,
        V::Raw("42"),
        V::Raw("true"),
        V::Raw("[\"array-slug\"]"),
    ];
    for slug in invalid {
        if let Some(s) = slug.string() {
            debug_assert!(!is_valid_slug(&s), "{s} is valid");
        }
        let author = registry.id(rng);
        d.lines
            .push(record(&author, slug, V::Str("Invalid Slug"), ""));
        d.unusable.push(author);
    }

    // --- Malformed master lines (data-spec §2.5): bad ids and broken JSON. ---
    for bad_id in [
        "",
        "null",
        "42",
        "true",
        "[\"x\"]",
        "{\"id\":\"x\"}",
        "\"\"",
    ] {
        let line = if bad_id.is_empty() {
            "{\"slug\":\"no-id\",\"display_name\":\"No Id\"}".to_owned()
        } else {
            format!("{{\"id\":{bad_id},\"slug\":\"bad-id\",\"display_name\":\"Bad Id\"}}")
        };
        d.lines.push(malformed(line));
    }
    let mut unknown = |rng: &mut _| {
        let author = registry.id(rng);
        d.malformed_ids.push(author.clone());
        author
    };
    let m = unknown(rng);
    d.lines.push(malformed(format!(
        "{{\"id\":\"{m}\",\"slug\":\"lone\\ud800\",\"display_name\":\"Lone In Slug\"}}"
    )));
    let m = unknown(rng);
    d.lines.push(malformed(format!(
        "{{\"id\":\"{m}\",\"slug\":\"lone-in-name\",\"display_name\":\"名前\\udc00\"}}"
    )));
    let m = unknown(rng);
    d.lines.push(malformed(format!(
        "{{\"id\":\"{m}\\ud800\",\"slug\":\"lone-in-id\",\"display_name\":\"x\"}}"
    )));
    let m = unknown(rng);
    d.lines.push(malformed(format!(
        "{{\"id\":\"{m}\",\"slug\":\"truncated\",\"display_na"
    )));
    let m = unknown(rng);
    d.lines.push(malformed(format!(
        "{{\"id\":\"{m}\",\"slug\":\"trailing-text\"}} and more"
    )));
    let m = unknown(rng);
    d.lines.push(malformed(format!(
        "{{\"id\":\"{m}\",\"slug\":\"two-objects\"}}{{\"id\":\"{m}\"}}"
    )));
    let m = unknown(rng);
    d.lines.push(malformed(format!(
        "{{\"id\":\"{m}\",\"slug\":\"nan-score\",\"score\":NaN}}"
    )));
    let m = unknown(rng);
    let mut bytes = format!("{{\"id\":\"{m}\",\"slug\":\"bad-utf8\",\"bio\":\"").into_bytes();
    bytes.extend_from_slice(b"caf\xE9 \xFF\xFE\"}");
    d.lines.push(malformed(bytes));
    let m = unknown(rng);
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend_from_slice(
        format!("{{\"id\":\"{m}\",\"slug\":\"bom-in-the-middle\",\"display_name\":\"BOM\"}}")
            .as_bytes(),
    );
    d.lines.push(malformed(bytes));
    let m = unknown(rng);
    d.lines
        .push(malformed(format!("{{'id':'{m}','slug':'single-quotes'}}")));
    let m = unknown(rng);
    d.lines.push(malformed(format!(
        "{{\"id\":\"{m}\",\"slug\":\"trailing-comma\",}}"
    )));
    for line in ["[1,2,3]", "\"just a string\"", "null", "42", "{", "}"] {
        d.lines.push(malformed(line));
    }
    d.lines.push(malformed(format!(
        "[{{\"id\":\"{}\",\"slug\":\"in-an-array\"}}]",
        unknown(rng)
    )));
    d.lines.push(malformed(b"\x0c".to_vec()));
    d.lines.push(malformed("\u{a0}"));
    d
}

/// Earlier records of three clean authors: with a new valid slug, an invalid slug, and the
/// slug of another clean author. All three are forgotten, so nothing changes for anyone.
fn stale_records(
    registry: &mut Registry,
    authors: &[Author],
) -> Vec<(usize, (Vec<u8>, AuthorLine))> {
    let Some(last) = authors.last() else {
        return Vec::new();
    };
    let stale_slug = registry.unique_slug("stale-old-slug");
    let cases = [
        (stale_slug.as_str(), "(旧) 表示名"),
        ("Stale Invalid Slug", "Stale"),
        (last.who.slug.as_str(), "Stale copy of someone else's slug"),
    ];
    // Spread over the authors, never the last one (whose slug is borrowed).
    let n = authors.len() - 1;
    let mut stale: Vec<_> = cases
        .into_iter()
        .enumerate()
        .map(|(i, (slug, name))| (i * n / 3, slug, name))
        .filter(|&(at, _, _)| at < n)
        .map(|(at, slug, name)| {
            let id = &authors[at].id;
            (at, record(id, V::Str(slug), V::Str(name), ""))
        })
        .collect();
    stale.dedup_by_key(|(at, _)| *at);
    stale
}

#[cfg(test)]
mod tests {
    use super::super::oracle;
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn every_label_matches_an_independent_reading_of_its_line() {
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let d = dirty_master(&mut rng, &mut Registry::default(), &[]);
        for (bytes, label) in &d.lines {
            let text = String::from_utf8_lossy(bytes);
            assert_eq!(&oracle::author_line(bytes), label, "{text}");
        }
    }

    #[test]
    fn there_are_several_of_each_kind() {
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let d = dirty_master(&mut rng, &mut Registry::default(), &[]);
        let malformed = d
            .lines
            .iter()
            .filter(|(_, l)| *l == AuthorLine::Malformed)
            .count();
        assert!(malformed >= 20, "{malformed}");
        assert!(d.usable.len() >= 15 && d.unusable.len() >= 20 && d.malformed_ids.len() >= 5);
    }
}
