//! Defaults the CLI, the function and the template's parameters start from.

/// Chart time zone.
pub const TIME_ZONE: &str = "Asia/Tokyo";
/// Active window of the daily run, in days.
pub const ACTIVE_DAYS: u32 = 7;
/// Active window of the 15-year backfill, in days (15 × 365).
pub const BACKFILL_DAYS: u32 = 5475;
/// Uploads in flight to S3.
pub const UPLOAD_CONCURRENCY: usize = 32;
/// `Cache-Control` of every published object.
pub const CACHE_CONTROL: &str = "public, max-age=3600";
/// Largest drop in listed authors (percent of the published listing) a run may publish
/// without an override (`--max-shrink`, `MAX_SHRINK_PERCENT`).
pub const MAX_SHRINK_PERCENT: u32 = 10;
/// The instant the built-in sample export ends at, and the `--now` of the project's
/// examples, demo and tests.
pub const SAMPLE_NOW: &str = "2025-11-25T00:00:00Z";
