//! Test-only reference reader: classifies the bytes of generated files by data-spec §2, §4
//! and §5 from scratch (serde_json plus a strict timestamp parser), independent of the labels
//! the generator attached. The tests check that both views give the same tally.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::Value;

use super::tally::{AuthorLine, PostLine, Published};

/// Split decompressed bytes into lines (§2.2, §2.3): LF only; a leading BOM removed.
pub(crate) fn lines(bytes: &[u8]) -> Vec<&[u8]> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut out: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
    if out.last().is_some_and(|l| l.is_empty()) {
        out.pop();
    }
    out
}

fn is_blank(line: &[u8]) -> bool {
    line.iter().all(|&b| matches!(b, b' ' | b'\t' | b'\r'))
}

/// Parse one non-blank line into `T` (§2.5.1–4), or `None` when malformed.
fn object<'a, T: Deserialize<'a>>(line: &'a [u8]) -> Option<T> {
    let text = std::str::from_utf8(line).ok()?;
    let trimmed = text.trim_start_matches([' ', '\t', '\r', '\n']);
    if !trimmed.starts_with('{') {
        return None;
    }
    // Unused fields are skipped as `IgnoredAny`, which tolerates lone surrogates; used
    // fields are `Value`s, which reject them.
    serde_json::from_str(text).ok()
}

#[derive(Deserialize)]
struct AuthorFields {
    id: Option<Value>,
    slug: Option<Value>,
    display_name: Option<Value>,
}

#[derive(Deserialize)]
struct PostFields {
    author_id: Option<Value>,
    first_published_at: Option<Value>,
}

pub(crate) fn author_line(line: &[u8]) -> AuthorLine {
    if is_blank(line) {
        return AuthorLine::Blank;
    }
    let Some(fields) = object::<AuthorFields>(line) else {
        return AuthorLine::Malformed;
    };
    match fields.id {
        Some(Value::String(id)) if !id.is_empty() => AuthorLine::Record {
            id,
            slug: match fields.slug {
                Some(Value::String(s)) => Some(s),
                _ => None,
            },
            display_name: match fields.display_name {
                Some(Value::String(s)) if !s.is_empty() => Some(s),
                _ => None,
            },
        },
        _ => AuthorLine::Malformed,
    }
}

pub(crate) fn post_line(line: &[u8]) -> PostLine {
    if is_blank(line) {
        return PostLine::Blank;
    }
    let Some(fields) = object::<PostFields>(line) else {
        return PostLine::Malformed;
    };
    PostLine::Record {
        author_id: match fields.author_id {
            Some(Value::String(s)) if !s.is_empty() => Some(s),
            _ => None,
        },
        published: match fields.first_published_at {
            None | Some(Value::Null) => Published::Missing,
            Some(Value::String(s)) => parse_timestamp(&s).map_or(Published::Bad, Published::At),
            Some(_) => Published::Bad,
        },
    }
}

/// data-spec §4: `YYYY-MM-DDTHH:MM:SS[.F](Z|+HH:MM|-HH:MM)`, strictly.
pub(crate) fn parse_timestamp(s: &str) -> Option<DateTime<Utc>> {
    let b = s.as_bytes();
    let num = |range: std::ops::Range<usize>| -> Option<u32> {
        let digits = b.get(range)?;
        digits
            .iter()
            .all(u8::is_ascii_digit)
            .then(|| digits.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0')))
    };
    let sep = |i: usize, c: u8| b.get(i) == Some(&c);
    if !(sep(4, b'-') && sep(7, b'-') && sep(10, b'T') && sep(13, b':') && sep(16, b':')) {
        return None;
    }
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let mut i = 19;
    let mut nanos = 0u32;
    if sep(i, b'.') {
        let digits = b[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
        if !(1..=9).contains(&digits) {
            return None;
        }
        nanos = num(i + 1..i + 1 + digits)? * 10u32.pow(9 - digits as u32);
        i += 1 + digits;
    }
    let offset_minutes: i64 = match b.get(i..)? {
        b"Z" => 0,
        [sign @ (b'+' | b'-'), rest @ ..] if rest.len() == 5 && rest[2] == b':' => {
            let (h, m) = (num(i + 1..i + 3)?, num(i + 4..i + 6)?);
            if h > 23 || m > 59 {
                return None;
            }
            let minutes = i64::from(h * 60 + m);
            if *sign == b'-' {
                -minutes
            } else {
                minutes
            }
        }
        _ => return None,
    };
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let local = NaiveDate::from_ymd_opt(year as i32, month, day)?
        .and_hms_nano_opt(hour, minute, second, nanos)?;
    let instant = local.and_utc() - chrono::Duration::minutes(offset_minutes);
    (instant.timestamp() >= 0).then_some(instant)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_contract_examples_parse_as_the_contract_says() {
        for ok in [
            "2024-01-31T20:00:00.000Z",
            "2024-02-01T05:00:00+09:00",
            "2024-01-01T00:00:00.5Z",
            "2024-01-01T00:00:00.123456789Z",
            "2024-01-01T00:00:00-05:00",
            "2024-01-01T00:00:00+05:45",
            "2024-01-01T00:00:00+00:00",
            "2024-01-01T00:00:00-00:00",
            "1970-01-01T00:00:00Z",
        ] {
            assert!(parse_timestamp(ok).is_some(), "{ok}");
        }
        for bad in super::super::dirty_posts::BAD_TIMESTAMPS {
            assert!(parse_timestamp(bad).is_none(), "{bad}");
        }
    }
}
