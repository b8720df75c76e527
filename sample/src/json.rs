//! Writing JSON string literals fast, in the two styles real exporters use: UTF-8 as is
//! (Node, Go) or everything non-ASCII as `\uXXXX` escapes with surrogate pairs (Python's
//! `ensure_ascii`). Only valid JSON comes out of here; bad records are spelled by hand in
//! the `dirty_*` modules.

/// How non-ASCII characters are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Style {
    /// UTF-8 bytes as they are.
    Utf8,
    /// `\uXXXX` escapes (two for characters outside the BMP).
    Ascii,
}

/// Append `s` as a JSON string literal (with quotes) to `out`.
pub(super) fn push_str(out: &mut Vec<u8>, s: &str, style: Style) {
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let plain = match style {
            Style::Utf8 => b >= 0x20 && b != b'"' && b != b'\\',
            Style::Ascii => (0x20..0x80).contains(&b) && b != b'"' && b != b'\\',
        };
        if plain {
            continue;
        }
        // Continuation bytes are handled with their lead byte in ASCII style.
        if style == Style::Ascii && (0x80..0xC0).contains(&b) {
            out.extend_from_slice(&bytes[start..i]);
            start = i + 1;
            continue;
        }
        out.extend_from_slice(&bytes[start..i]);
        start = i + 1;
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0C => out.extend_from_slice(b"\\f"),
            0x00..=0x1F => push_u_escape(out, u16::from(b)),
            _ => {
                // A lead byte in ASCII style: decode the character at i.
                let c = s[i..].chars().next().expect("lead byte starts a character");
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    push_u_escape(out, *unit);
                }
            }
        }
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

fn push_u_escape(out: &mut Vec<u8>, unit: u16) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.extend_from_slice(b"\\u");
    for shift in [12, 8, 4, 0] {
        out.push(HEX[usize::from((unit >> shift) & 0xF)]);
    }
}

/// `s` as a JSON string literal in a fresh `String` (for hand-built records).
pub(super) fn quoted(s: &str, style: Style) -> String {
    let mut out = Vec::with_capacity(s.len() + 2);
    push_str(&mut out, s, style);
    String::from_utf8(out).expect("escaped JSON of a str is UTF-8")
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "鈴木\u{3000}亮 \"q\" \\ \n\t\r\u{1}\u{8}\u{c} 😀 é";

    #[test]
    fn both_styles_round_trip_through_serde_json() {
        for style in [Style::Utf8, Style::Ascii] {
            let text = quoted(SAMPLE, style);
            let back: String = serde_json::from_str(&text).unwrap();
            assert_eq!(back, SAMPLE, "{text}");
        }
    }

    #[test]
    fn ascii_style_uses_surrogate_pairs_outside_the_bmp() {
        let text = quoted("😀亮", Style::Ascii);
        assert_eq!(text, "\"\\ud83d\\ude00\\u4eae\"");
        assert!(text.is_ascii());
    }

    #[test]
    fn utf8_style_keeps_non_ascii_as_is() {
        assert_eq!(quoted("亮\"", Style::Utf8), "\"亮\\\"\"");
    }
}
