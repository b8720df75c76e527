//! YAML text that YAML 1.1 and YAML 1.2 parsers read alike. serde_yaml writes YAML 1.2, but
//! CloudFormation, cfn-lint and checkov read YAML 1.1, where a plain `OFF` is `false` and
//! `2010-09-09` a date. Strings that only YAML 1.1 would read as something else get single
//! quotes; a round trip through serde_yaml proves nothing else changed.

use serde_yaml::Value;

/// `value` as YAML text, YAML 1.1-safe.
pub(super) fn to_string(value: &Value) -> String {
    let text = serde_yaml::to_string(value).expect("a YAML value always serializes");
    let mut out = String::with_capacity(text.len() + 64);
    // Lines of a block scalar (`|`, `>`) are content, never touched.
    let mut block_indent: Option<usize> = None;
    for line in text.lines() {
        let indent = line.len() - line.trim_start_matches(' ').len();
        if let Some(b) = block_indent {
            if line.trim().is_empty() || indent > b {
                out.push_str(line);
                out.push('\n');
                continue;
            }
            block_indent = None;
        }
        let (head, value) = split_value(line);
        if value.starts_with('|') || value.starts_with('>') {
            block_indent = Some(indent);
        }
        out.push_str(head);
        if needs_quotes(value) {
            out.push('\'');
            out.push_str(&value.replace('\'', "''"));
            out.push('\'');
        } else {
            out.push_str(value);
        }
        out.push('\n');
    }
    let reread: Value = serde_yaml::from_str(&out).expect("quoted YAML parses");
    assert!(
        reread == *value,
        "YAML 1.1 quoting changed the template:\n{out}"
    );
    out
}

/// Splits a line of block YAML into everything up to its scalar value and the value
/// (`  - Key: value` → (`  - Key: `, `value`)); the value is empty for `Key:` lines.
fn split_value(line: &str) -> (&str, &str) {
    let mut start = line.len() - line.trim_start_matches(' ').len();
    while line[start..].starts_with("- ") {
        start += 2;
    }
    let rest = &line[start..];
    if rest.starts_with(['\'', '"']) {
        // A quoted scalar (value or key); our keys are plain, so it is a value.
        return (&line[..start], rest);
    }
    match rest.find(": ") {
        Some(pos) => line.split_at(start + pos + 2),
        None if rest.ends_with(':') => (line, ""),
        None => (&line[..start], rest),
    }
}

/// Whether a plain scalar would be read as a non-string by YAML 1.1 although YAML 1.2 (and
/// so serde_yaml, which wrote it plain) reads it as a string.
fn needs_quotes(value: &str) -> bool {
    const YAML11_BOOLS: [&str; 18] = [
        "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON", "off", "Off",
        "OFF", "=", "<<",
    ];
    if value.is_empty() || value.starts_with(['\'', '"', '|', '>', '[', '{', '&', '*', '!']) {
        return false;
    }
    if YAML11_BOOLS.contains(&value) {
        return true;
    }
    let mut chars = value.chars();
    let numeric_start = match chars.next() {
        Some('0'..='9') => true,
        Some('+' | '-' | '.') => chars.next().is_some_and(|c| c.is_ascii_digit()),
        _ => false,
    };
    numeric_start && !is_yaml12_number(value)
}

/// A decimal integer or float as YAML 1.2 (and serde_yaml) writes numbers.
fn is_yaml12_number(s: &str) -> bool {
    let s = s.strip_prefix('-').unwrap_or(s);
    let (mantissa, exponent) = match s.split_once(['e', 'E']) {
        Some((m, e)) => (m, Some(e)),
        None => (s, None),
    };
    let (int, frac) = match mantissa.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (mantissa, None),
    };
    let digits = |d: &str| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit());
    digits(int)
        && (int == "0" || !int.starts_with('0'))
        && frac.is_none_or(|f| f.is_empty() || digits(f))
        && exponent.is_none_or(|e| digits(e.strip_prefix(['+', '-']).unwrap_or(e)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml(text: &str) -> String {
        to_string(&serde_yaml::from_str(text).unwrap())
    }

    #[test]
    fn quotes_yaml11_booleans_that_are_strings() {
        assert_eq!(yaml("Mode: 'OFF'"), "Mode: 'OFF'\n");
        assert_eq!(yaml("[yes, 'no', On]"), "- 'yes'\n- 'no'\n- 'On'\n");
    }

    #[test]
    fn quotes_dates_and_other_yaml11_numbers() {
        assert_eq!(
            yaml("AWSTemplateFormatVersion: '2010-09-09'"),
            "AWSTemplateFormatVersion: '2010-09-09'\n"
        );
        assert_eq!(yaml("a: '1_000'\nb: '1:30'"), "a: '1_000'\nb: '1:30'\n");
        assert_eq!(
            yaml("Id: 658327ea-f89d-4fab-a63d-7e88639e58f6"),
            "Id: '658327ea-f89d-4fab-a63d-7e88639e58f6'\n"
        );
    }

    #[test]
    fn leaves_numbers_booleans_and_ordinary_strings_alone() {
        let text = "Timeout: 900\nRatio: -1.5\nOn: true\nName: x86_64\nArn: arn:aws:s3:::b/*\n";
        assert_eq!(yaml(text), text);
    }

    #[test]
    fn leaves_block_scalars_alone() {
        let text = "Script: |-\n  on\n  2010-09-09\nNext: OFF\n";
        assert_eq!(yaml(text), "Script: |-\n  on\n  2010-09-09\nNext: 'OFF'\n");
    }

    #[test]
    fn escapes_single_quotes_inside() {
        let v = Value::Sequence(vec![Value::String("0'7".into())]);
        assert_eq!(to_string(&v), "- '0''7'\n");
    }
}
