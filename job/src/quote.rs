//! Bad values in error messages, quoted short: at most [`MAX_QUOTED_CHARS`] characters of a
//! value are shown, then `…`, so a hostile 10 MB value makes a one-line error, not a 10 MB
//! one. [`quoted`] quotes a value of ours; [`clip_quoted`] shortens the quoted runs of a
//! message another library wrote (TOML, serde).

/// Characters of a bad value an error message shows.
pub const MAX_QUOTED_CHARS: usize = 80;
/// Characters a message from another library keeps in all, whatever it quotes.
const MAX_MESSAGE_CHARS: usize = 600;

/// `text` in double quotes with Rust escapes (as `{:?}` shows it), cut to
/// [`MAX_QUOTED_CHARS`] characters of the value and `…`.
pub fn quoted(text: &str) -> String {
    match text.char_indices().nth(MAX_QUOTED_CHARS) {
        None => format!("{text:?}"),
        Some((end, _)) => {
            let shown = format!("{:?}", &text[..end]);
            format!("{}…\"", &shown[..shown.len() - 1])
        }
    }
}

/// `message` with every run between a pair of `"` or of `` ` `` longer than
/// [`MAX_QUOTED_CHARS`] characters cut to that many and `…`, and the whole cut to a few
/// hundred characters.
pub fn clip_quoted(message: &str) -> String {
    let mut out = String::with_capacity(message.len().min(4 * MAX_MESSAGE_CHARS));
    let mut rest = message;
    while let Some(open) = rest.find(['"', '`']) {
        let quote = rest[open..].chars().next().expect("found a quote");
        out.push_str(&rest[..=open]);
        let inner = &rest[open + 1..];
        let Some(close) = inner.find(quote) else {
            rest = inner;
            break;
        };
        match inner[..close].char_indices().nth(MAX_QUOTED_CHARS) {
            None => out.push_str(&inner[..close]),
            Some((end, _)) => {
                out.push_str(&inner[..end]);
                out.push('…');
            }
        }
        out.push(quote);
        rest = &inner[close + 1..];
        if out.len() > 4 * MAX_MESSAGE_CHARS {
            break;
        }
    }
    out.push_str(rest);
    match out.char_indices().nth(MAX_MESSAGE_CHARS) {
        None => out,
        Some((end, _)) => format!("{}…", &out[..end]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_values_are_quoted_whole() {
        assert_eq!(quoted("blue"), "\"blue\"");
        assert_eq!(quoted("a\"b\n"), "\"a\\\"b\\n\"");
    }

    #[test]
    fn long_values_show_eighty_characters_and_an_ellipsis() {
        let shown = quoted(&"長".repeat(10_000));
        assert_eq!(shown, format!("\"{}…\"", "長".repeat(80)));
    }

    #[test]
    fn quoted_runs_of_a_foreign_message_are_cut() {
        let long = "x".repeat(5000);
        let message = format!("invalid type: string \"{long}\", expected u32 at `{long}`");
        let clipped = clip_quoted(&message);
        let eighty = "x".repeat(80);
        assert_eq!(
            clipped,
            format!("invalid type: string \"{eighty}…\", expected u32 at `{eighty}…`")
        );
        assert_eq!(clip_quoted("plain \"short\" text"), "plain \"short\" text");
        assert_eq!(clip_quoted("an odd \" quote"), "an odd \" quote");
    }

    #[test]
    fn a_message_without_quotes_is_cut_as_a_whole() {
        let clipped = clip_quoted(&"y".repeat(10_000));
        assert_eq!(clipped.chars().count(), MAX_MESSAGE_CHARS + 1);
    }
}
