//! `Source`: where an input file's compressed bytes come from (a local file, or later an
//! S3 object), with the label used in every message about it.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use anyhow::{Context, Result};

/// A readable input with a name for messages and, when known, its compressed size.
pub struct Source {
    pub label: String,
    pub reader: Box<dyn Read + Send>,
    pub len: Option<u64>,
}

impl Source {
    /// Open a local file; fails with the path and the cause.
    pub fn open_file(what: &str, path: &Path) -> Result<Source> {
        let file = File::open(path).with_context(|| {
            format!(
                "{what} file {}: cannot open it — check the path and its permissions",
                path.display()
            )
        })?;
        let meta = file
            .metadata()
            .with_context(|| format!("{what} file {}: cannot read its metadata", path.display()))?;
        if meta.is_dir() {
            anyhow::bail!(
                "{what} file {}: is a directory, expected a .jsonl.gz file",
                path.display()
            );
        }
        Ok(Source {
            label: format!("{what} file {}", path.display()),
            reader: Box::new(file),
            len: Some(meta.len()),
        })
    }

    /// An in-memory source (tests, small inputs).
    pub fn from_bytes(label: &str, bytes: Vec<u8>) -> Source {
        Source {
            label: label.to_owned(),
            len: Some(bytes.len() as u64),
            reader: Box::new(std::io::Cursor::new(bytes)),
        }
    }
}
