//! Publish: write each author's files (charts, stats), then `index.json` last, then remove
//! the files the published index recorded for authors the new listing no longer has, to a
//! `Store` (a local folder here; S3 in its own module). Unchanged chart bytes are not
//! written again. Charts arrive as a stream from the renderers (`pipeline`), so only a
//! bounded number of PNGs is in memory at a time.

mod local;
pub mod pipeline;

use std::io::Read;

pub use local::LocalStore;

use crate::slug::Slug;
use contract::files::INDEX_FILE;

/// One file of an author: its name in the folder or under the prefix, its bytes and type.
pub struct AuthorFile {
    pub name: String,
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
}

/// Everything one rendered author publishes: the chart in each variant and
/// `<slug>.stats.json` (data-spec §7), written in this order.
pub struct Chart {
    pub slug: Slug,
    pub files: Vec<AuthorFile>,
}

/// What a publish did. Counts are of authors: an author is written when any of its files
/// was, unchanged when every file already had the same bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Published {
    /// Authors some of whose files were written or uploaded.
    pub written: usize,
    /// Authors whose files were all already present with the same bytes.
    pub unchanged: usize,
    /// Objects whose bytes were already there but whose headers (S3 `Cache-Control`,
    /// `Content-Type`) were replaced to follow the configuration (data-spec §7).
    pub refreshed: usize,
}

/// What follows `<slug>.` in the name of each per-author file the job writes (data-spec
/// §7), with its `Content-Type`. Removal touches only names made of a valid slug, a dot
/// and one of these, and only those a published index recorded.
pub const AUTHOR_FILE_SUFFIXES: [(&str, &str); 5] = [
    ("png", "image/png"),
    ("dark.png", "image/png"),
    ("svg", "image/svg+xml"),
    ("dark.svg", "image/svg+xml"),
    ("stats.json", "application/json"),
];

/// `Content-Type` of a per-author file name (`application/octet-stream` for other names).
pub fn content_type_of(name: &str) -> &'static str {
    name.split_once('.')
        .and_then(|(_, suffix)| AUTHOR_FILE_SUFFIXES.iter().find(|(s, _)| *s == suffix))
        .map_or("application/octet-stream", |(_, t)| t)
}

/// The slug of a per-author file name (`alice.png`, `alice.dark.png`, `alice.stats.json` →
/// `alice`), or `None` for any other name: `index.json`, temporary files (they start with
/// `.`), names with an unknown suffix or an invalid slug, anything in a sub-folder.
pub fn author_file_slug(name: &str) -> Option<Slug> {
    if name == INDEX_FILE {
        return None;
    }
    let (stem, suffix) = name.split_once('.')?;
    if !AUTHOR_FILE_SUFFIXES.iter().any(|(s, _)| *s == suffix) {
        return None;
    }
    Slug::parse(stem)
}

/// The published `index.json` as a store finds it (read by `crate::previous_index`).
pub enum IndexSource<'a> {
    /// There is none (a first run).
    Absent,
    /// A file or object to read as a stream, never whole: its length and its bytes.
    Stream {
        len: u64,
        reader: Box<dyn Read + 'a>,
    },
    /// Something that cannot be a listing the job wrote is there (a symbolic link, which
    /// is never followed): why. The run treats it as unreadable and replaces it.
    Unusable(String),
}

/// Where charts go. A run calls [`Store::get_index`] (once, for the guards) and
/// [`Store::check_targets`], then [`Store::open`] and, on the publication it returns,
/// `put_charts`, `refresh_headers`, `put_index` and `remove`, in that order.
pub trait Store: Sync {
    /// Where this store writes, for messages (`./out/`, `s3://bucket/prefix/`).
    fn location(&self) -> String;
    /// The published `index.json`, opened for reading (S3: one `GetObject`, its body
    /// streamed). Something there that is not a regular file (a FIFO, a folder) is an error.
    fn get_index(&self) -> anyhow::Result<IndexSource<'_>>;
    /// Before anything is written: refuse, naming it, anything but a regular file or a
    /// link at a name `will_write` says this run writes (a FIFO, socket, device or folder
    /// would block or fail the run half way). A link there is fine: it is replaced, never
    /// followed. S3 has no such things.
    fn check_targets(&self, _will_write: &dyn Fn(&str) -> bool) -> anyhow::Result<()> {
        Ok(())
    }
    /// Start a publication (S3: one `ListObjectsV2` pass over the prefix, before any chart
    /// is rendered).
    fn open(&self) -> anyhow::Result<Box<dyn Publication + '_>>;

    /// Fan-out (data-spec §9): what [`Store::open`] learns of the files already published
    /// (file name → the store's content tag, S3: the ETag), so that a `render` step can open
    /// a publication of a few authors without listing everything again. `None` where
    /// opening is cheap (a folder compares bytes on disk).
    fn snapshot(&self) -> anyhow::Result<Option<Snapshot>> {
        Ok(None)
    }
    /// A publication that takes `snapshot` (this store's, possibly filtered to some
    /// authors' files) for what is published instead of listing.
    fn open_with(&self, _snapshot: Option<Snapshot>) -> anyhow::Result<Box<dyn Publication + '_>> {
        self.open()
    }
    /// Where a fan-out run keeps its working files: beside the published ones, never
    /// served (S3: outside the charts prefix; a folder: a hidden sub-folder).
    fn run_files(&self) -> &dyn RunFiles;
}

/// Published file name → content tag (S3 ETag without quotes).
pub type Snapshot = std::collections::BTreeMap<String, String>;

/// The working files of fan-out runs (data-spec §9), by run id and name (`manifest.json`,
/// `batches/00000.json`, …).
pub trait RunFiles: Sync {
    /// Where the files of `run` live, for messages and for the state machine's item reader.
    fn location(&self, run: &str) -> String;
    fn put(&self, run: &str, name: &str, bytes: &[u8]) -> anyhow::Result<()>;
    /// `None` when the file does not exist.
    fn get(&self, run: &str, name: &str) -> anyhow::Result<Option<Vec<u8>>>;
    /// Delete every file of `run`; returns how many there were.
    fn delete_run(&self, run: &str) -> anyhow::Result<usize>;
}

/// One run's writes to a store.
pub trait Publication {
    /// Write every chart `charts` yields (it ends when rendering is done), with bounded
    /// memory; fail naming the ones that could not be written. Stops taking charts after a
    /// failure, so the renderers stop too.
    fn put_charts(
        &mut self,
        charts: &mut dyn Iterator<Item = Chart>,
        on_done: &(dyn Fn() + Sync),
    ) -> anyhow::Result<Published>;
    /// Give the files that the new index records for its authors (`recorded`) and that
    /// this run did not write the headers the configuration asks for (S3 only); returns
    /// how many objects were changed. Called after `put_charts`, before `put_index`.
    fn refresh_headers(&mut self, _recorded: &dyn Fn(&str) -> bool) -> anyhow::Result<usize> {
        Ok(0)
    }
    /// Write `index.json`, atomically where the store allows. Called after `put_charts`.
    fn put_index(&mut self, json: &[u8]) -> anyhow::Result<()>;
    /// Whether a file `name` is there (S3: in the listing made when the publication was
    /// opened).
    fn holds_file(&self, name: &str) -> bool;
    /// Delete the per-author files named (each an [`author_file_slug`] name a published
    /// index recorded) that exist; returns how many were deleted. Called after `put_index`.
    fn remove(&mut self, names: &[String]) -> anyhow::Result<usize>;
    /// Names of the files this publication wrote (S3: uploaded), for the fan-out's
    /// `finish` step, which refreshes the headers of the others only.
    fn written_names(&self) -> Vec<String> {
        Vec::new()
    }
    /// Files other publications of the same run wrote (see [`Publication::written_names`]).
    fn note_written(&mut self, _names: &mut dyn Iterator<Item = String>) {}
}

/// `UPLOAD_CONCURRENCY` / `--upload-concurrency`: 1 to 1024 uploads in flight.
pub fn parse_concurrency(text: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(n) if (1..=1024).contains(&n) => Ok(n),
        _ => Err(format!(
            "{} is not a number of uploads in flight from 1 to 1024 (default {})",
            crate::quote::quoted(text),
            contract::defaults::UPLOAD_CONCURRENCY
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_slug_dot_known_extension_names_are_author_files() {
        assert_eq!(author_file_slug("alice.png").unwrap().as_str(), "alice");
        assert_eq!(author_file_slug("a-1_b.png").unwrap().as_str(), "a-1_b");
        assert_eq!(
            author_file_slug("alice.dark.png").unwrap().as_str(),
            "alice"
        );
        assert_eq!(
            author_file_slug("alice.stats.json").unwrap().as_str(),
            "alice"
        );
        for other in [
            "index.json",
            "index.png.tmp",
            ".alice.png.tmp-12",
            "alice",
            "alice.light.svg",
            "alice.svg.tmp",
            "alice.PNG",
            "Alice.png",
            "alice.light.png",
            "alice.dark.png.tmp",
            "alice.json",
            "../alice.png",
            "sub/alice.png",
            ".png",
            "notes.txt",
        ] {
            assert!(author_file_slug(other).is_none(), "{other}");
        }
    }

    #[test]
    fn charts_are_png_or_svg_and_stats_are_json() {
        assert_eq!(content_type_of("a.png"), "image/png");
        assert_eq!(content_type_of("a.dark.png"), "image/png");
        assert_eq!(content_type_of("a.stats.json"), "application/json");
        assert_eq!(content_type_of("a.svg"), "image/svg+xml");
        assert_eq!(content_type_of("a.dark.svg"), "image/svg+xml");
        assert_eq!(author_file_slug("a.dark.svg").unwrap().as_str(), "a");
    }
}
