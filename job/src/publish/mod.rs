//! Publish: write the charts, then `index.json` last, to a `Store` (a local folder here;
//! S3 in its own module). Unchanged chart bytes are not written again.

mod local;

pub use local::LocalStore;

use crate::slug::Slug;

/// One rendered chart.
pub struct Chart {
    pub slug: Slug,
    pub png: Vec<u8>,
}

/// What a publish did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Published {
    /// Charts whose bytes were written or uploaded.
    pub written: usize,
    /// Charts already present with the same bytes.
    pub unchanged: usize,
}

/// Where charts go. Implementations write every chart before the index.
pub trait Store: Sync {
    /// Where this store writes, for messages (`./out/`, `s3://bucket/prefix/`).
    fn location(&self) -> String;
    /// Write all charts; fail naming the ones that could not be written.
    fn put_charts(
        &self,
        charts: &[Chart],
        on_done: &(dyn Fn() + Sync),
    ) -> anyhow::Result<Published>;
    /// Write `index.json`, atomically where the store allows. Called after `put_charts`.
    fn put_index(&self, json: &[u8]) -> anyhow::Result<()>;
}
