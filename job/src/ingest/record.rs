//! Decoding one line into the few fields the job uses (data-spec §2.5, §2.6).
//! A line is valid UTF-8 and exactly one JSON object, or it is malformed. Only the used
//! fields are decoded (borrowed where possible); everything else is validated and skipped.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// The value of a used field, as far as the rules need to know it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Field<'a> {
    /// The key is not in the object.
    #[default]
    Absent,
    /// `null`.
    Null,
    /// A string (escapes decoded; lone surrogates make the whole line malformed).
    Str(Cow<'a, str>),
    /// A number, boolean, array or object.
    Other,
}

impl<'a> Field<'a> {
    /// The string, if this is a non-empty string.
    pub fn non_empty_str(&self) -> Option<&str> {
        match self {
            Field::Str(s) if !s.is_empty() => Some(s),
            _ => None,
        }
    }
}

impl<'de> Deserialize<'de> for Field<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(FieldVisitor)
    }
}

struct FieldVisitor;

impl<'de> Visitor<'de> for FieldVisitor {
    type Value = Field<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Field::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Field::Str(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Field::Str(Cow::Owned(v)))
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Field::Null)
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(Field::Null)
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Field::Other)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Field::Other)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Field::Other)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Field::Other)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Field::Other)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Field::Other)
    }
}

/// Reads object keys, telling which of up to three used keys each one is (decoded, exact).
struct KeyIndex<const N: usize>(&'static [&'static str; N]);

/// Position of the key among the used keys, or `None` for a key the job ignores.
struct Key(Option<usize>);

impl<'de, const N: usize> de::DeserializeSeed<'de> for KeyIndex<N> {
    type Value = Key;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Key, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de, const N: usize> Visitor<'de> for KeyIndex<N> {
    type Value = Key;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object key")
    }
    fn visit_str<E>(self, v: &str) -> Result<Key, E> {
        Ok(Key(self.0.iter().position(|k| *k == v)))
    }
}

/// An object whose used keys (last occurrence wins) are decoded into `N` fields.
struct Fields<'a, const N: usize>([Field<'a>; N]);

struct ObjectVisitor<const N: usize>(&'static [&'static str; N]);

impl<'de, const N: usize> Visitor<'de> for ObjectVisitor<N> {
    type Value = Fields<'de, N>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut fields: [Field<'de>; N] = std::array::from_fn(|_| Field::Absent);
        while let Some(Key(index)) = map.next_key_seed(KeyIndex(self.0))? {
            match index {
                Some(i) => fields[i] = map.next_value()?,
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Fields(fields))
    }
}

fn decode_object<'a, const N: usize>(
    line: &'a [u8],
    keys: &'static [&'static str; N],
) -> Option<[Field<'a>; N]> {
    // Valid UTF-8 anywhere in the line, unused fields included (§2.5.1).
    let text = simdutf8::basic::from_utf8(line).ok()?;
    // A BOM anywhere but at the very start of the file makes the line malformed (§2.3),
    // even inside a string; the file's leading BOM is removed before we get here.
    if memchr::memmem::find(line, BOM).is_some() {
        return None;
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let fields = de.deserialize_map(ObjectVisitor(keys)).ok()?;
    // Exactly one value: only JSON whitespace may follow (§2.5.2).
    de.end().ok()?;
    Some(fields.0)
}

/// The UTF-8 byte order mark.
pub(crate) const BOM: &[u8] = b"\xEF\xBB\xBF";

/// True for a line that is empty or only space, tab and CR (§2.4).
pub fn is_blank(line: &[u8]) -> bool {
    line.iter().all(|b| matches!(b, b' ' | b'\t' | b'\r'))
}

/// The used fields of a posts line.
#[derive(Debug, PartialEq, Eq)]
pub struct PostRecord<'a> {
    pub author_id: Field<'a>,
    pub first_published_at: Field<'a>,
}

/// The used fields of an authors line; `id` is already checked to be a non-empty string.
#[derive(Debug, PartialEq, Eq)]
pub struct AuthorRecord<'a> {
    pub id: Cow<'a, str>,
    pub slug: Field<'a>,
    pub display_name: Field<'a>,
}

const POST_KEYS: &[&str; 2] = &["author_id", "first_published_at"];
const AUTHOR_KEYS: &[&str; 3] = &["id", "slug", "display_name"];

/// Decode a non-blank posts line; `None` means malformed.
pub fn parse_post(line: &[u8]) -> Option<PostRecord<'_>> {
    let [author_id, first_published_at] = decode_object(line, POST_KEYS)?;
    Some(PostRecord {
        author_id,
        first_published_at,
    })
}

/// Decode a non-blank authors line; `None` means malformed (including a bad `id`, §2.5.5).
pub fn parse_author(line: &[u8]) -> Option<AuthorRecord<'_>> {
    let [id, slug, display_name] = decode_object(line, AUTHOR_KEYS)?;
    match id {
        Field::Str(id) if !id.is_empty() => Some(AuthorRecord {
            id,
            slug,
            display_name,
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(line: &str) -> Option<PostRecord<'_>> {
        parse_post(line.as_bytes())
    }

    #[test]
    fn decodes_used_fields_and_ignores_the_rest() {
        let p =
            post(r#"{"body":"x\"y","author_id":"a1","first_published_at":null,"n":[1,{"a":2}]}"#)
                .unwrap();
        assert_eq!(p.author_id, Field::Str("a1".into()));
        assert_eq!(p.first_published_at, Field::Null);
    }

    #[test]
    fn absent_and_non_string_fields_are_told_apart() {
        let p = post(r#"{"author_id":7,"first_published_at":{"a":1}}"#).unwrap();
        assert_eq!(p.author_id, Field::Other);
        assert_eq!(p.first_published_at, Field::Other);
        let p = post("{}").unwrap();
        assert_eq!(p.author_id, Field::Absent);
    }

    #[test]
    fn escapes_in_keys_and_values_are_decoded() {
        let p = post(r#"{"author\u005fid":"a\u0031"}"#).unwrap();
        assert_eq!(p.author_id, Field::Str("a1".into()));
    }

    #[test]
    fn duplicate_keys_keep_the_last() {
        let p = post(r#"{"author_id":"a","author_id":"b"}"#).unwrap();
        assert_eq!(p.author_id, Field::Str("b".into()));
    }

    #[test]
    fn malformed_lines_are_rejected() {
        for line in [
            "NaN",
            r#"{"a":NaN}"#,
            r#"{"a":Infinity}"#,
            r#"{"author_id":"a""#,
            r#"{"a":1} x"#,
            r#"{"a":1}{"a":2}"#,
            "[1,2]",
            r#""text""#,
            "null",
            "42",
            "\u{feff}{}",
            r#"{"author_id":"\ud800"}"#,
            r#"{"first_published_at":"\udc00x"}"#,
            "{\"a\":\"\u{1}\"}",
            "{'a':1}",
            "{\"a\":1,}",
            "\u{c}{}",
        ] {
            assert!(post(line).is_none(), "{line:?} must be malformed");
        }
    }

    #[test]
    fn a_bom_anywhere_in_a_line_is_malformed() {
        assert!(post("{\"author_id\":\"a\",\"body\":\"x\u{feff}y\"}").is_none());
        // An escaped U+FEFF is not a BOM in the bytes.
        assert!(post(r#"{"author_id":"a","body":"\ufeff"}"#).is_some());
    }

    #[test]
    fn invalid_utf8_anywhere_is_malformed() {
        let mut line = br#"{"author_id":"a","body":""#.to_vec();
        line.extend_from_slice(&[0xff, 0xfe]);
        line.extend_from_slice(br#""}"#);
        assert!(parse_post(&line).is_none());
    }

    #[test]
    fn lone_surrogates_in_unused_fields_are_fine() {
        assert!(post(r#"{"author_id":"a","body":"\ud800"}"#).is_some());
        let p = post(r#"{"author_id":"\ud83d\ude00"}"#).unwrap();
        assert_eq!(p.author_id, Field::Str("😀".into()));
    }

    #[test]
    fn json_whitespace_around_the_value_is_allowed() {
        assert!(post(" \t{\"author_id\":\"a\"}\r").is_some());
    }

    #[test]
    fn blank_lines_are_space_tab_and_cr_only() {
        assert!(is_blank(b""));
        assert!(is_blank(b" \t\r"));
        assert!(!is_blank(b"\x0c"));
        assert!(!is_blank("\u{3000}".as_bytes()));
    }

    #[test]
    fn author_id_must_be_a_non_empty_string() {
        for line in [
            r#"{"slug":"a"}"#,
            r#"{"id":null}"#,
            r#"{"id":1}"#,
            r#"{"id":""}"#,
        ] {
            assert!(parse_author(line.as_bytes()).is_none(), "{line}");
        }
        let a = parse_author(r#"{"id":"x","slug":"s","display_name":"鈴木"}"#.as_bytes()).unwrap();
        assert_eq!(a.id, "x");
        assert_eq!(a.display_name, Field::Str("鈴木".into()));
    }
}
