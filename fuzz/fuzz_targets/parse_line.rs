//! Fuzz the line parser: any bytes as a posts line, an authors line and a timestamp.
//! Must never panic; a parsed timestamp must print and parse back to the same instant.
#![no_main]

use author_stats::ingest::record::{is_blank, parse_author, parse_post};
use author_stats::timestamp::Instant;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if is_blank(data) {
        return;
    }
    if let Some(post) = parse_post(data) {
        if let author_stats::ingest::Field::Str(text) = &post.first_published_at {
            if let Some(instant) = Instant::parse(text) {
                assert_eq!(Instant::parse(&instant.to_string()), Some(instant));
            }
        }
    }
    if let Some(author) = parse_author(data) {
        assert!(!author.id.is_empty());
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Some(instant) = Instant::parse(text) {
            assert_eq!(Instant::parse(&instant.to_string()), Some(instant));
        }
    }
});
