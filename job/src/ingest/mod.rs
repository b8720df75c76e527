//! Ingest: stream both gzip JSONL inputs and decode each non-blank line into the used
//! fields, or report it as malformed. Blank lines never reach the caller (data-spec §2).
//! Knows nothing of joins or counting: that is `stats`.

mod lines;
pub mod record;
mod source;

pub use lines::{ReadError, MAX_LINE_BYTES};
pub use record::{AuthorRecord, Field, PostRecord};
pub use source::Source;

/// Stream a posts file: `on_post` gets `Some(record)` or `None` for a malformed line.
pub fn read_posts(
    source: Source,
    on_progress: impl FnMut(u64),
    mut on_post: impl FnMut(Option<PostRecord<'_>>),
) -> Result<(), ReadError> {
    lines::for_each_line(source, on_progress, |line| match line {
        Some(line) if record::is_blank(line) => {}
        Some(line) => on_post(record::parse_post(line)),
        None => on_post(None),
    })
}

/// Stream an authors file: `on_author` gets `Some(record)` or `None` for a malformed line.
pub fn read_authors(
    source: Source,
    on_progress: impl FnMut(u64),
    mut on_author: impl FnMut(Option<AuthorRecord<'_>>),
) -> Result<(), ReadError> {
    lines::for_each_line(source, on_progress, |line| match line {
        Some(line) if record::is_blank(line) => {}
        Some(line) => on_author(record::parse_author(line)),
        None => on_author(None),
    })
}
