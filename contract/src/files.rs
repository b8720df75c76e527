//! Names of the export's files and of the published objects.

/// The posts export.
pub const POSTS_FILE: &str = "all-blog-posts.jsonl.gz";
/// The author master.
pub const AUTHORS_FILE: &str = "authorProfile.jsonl.gz";
/// The listing, written last by every run.
pub const INDEX_FILE: &str = "index.json";
/// The production object prefix of the charts, ending in `/`.
pub const DEFAULT_CHARTS_PREFIX: &str = "author-monthly-stats/";
/// The folder of the source bucket the export lands in (the template's default keys are
/// this prefix and the file names).
pub const EXPORT_PREFIX: &str = "contentful/";
/// Where a fan-out run keeps its working files in the charts bucket (data-spec §9): a
/// sibling of the charts prefix, so CloudFront never serves them, and the only place the
/// state machine may read. `<RUNS_PREFIX><run id>/`.
pub const RUNS_PREFIX: &str = "author-stats-runs/";
