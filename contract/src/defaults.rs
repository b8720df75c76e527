//! Defaults the CLI, the function and the template's parameters start from.

/// Chart time zone.
pub const TIME_ZONE: &str = "Asia/Tokyo";
/// Active window of the daily run, in days.
pub const ACTIVE_DAYS: u32 = 7;
/// Active window of the 15-year backfill, in days (15 × 365).
pub const BACKFILL_DAYS: u32 = 5475;
/// Uploads in flight to S3.
pub const UPLOAD_CONCURRENCY: usize = 32;
/// Ranged GETs in flight while an export is read from S3 (1: one streaming GET).
pub const DOWNLOAD_CONCURRENCY: usize = 8;
/// Bytes per ranged GET of an export on S3: 1 MiB, so the parts in flight hold at most
/// 8 × 1 MiB = 8 MiB of one input and the daily run stays well inside its 48 MiB even from a
/// fast endpoint (measured: 2 MiB parts took it to 46 MiB, 4 MiB to 56 MiB; 1 MiB parts
/// read as fast through a 20 MiB/s link; spec/scale.md).
pub const DOWNLOAD_PART_SIZE: u64 = 1 << 20;
/// `Cache-Control` of every per-author file (charts, stats): browsers keep a copy 5 minutes
/// (they cannot be invalidated), CloudFront a day (the job invalidates what it changed, so a
/// changed chart is fresh at the edge right after the run); either may serve the old copy
/// 10 minutes more while it revalidates, and a week when the origin fails.
pub const CACHE_CONTROL: &str =
    "public, max-age=300, s-maxage=86400, stale-while-revalidate=600, stale-if-error=604800";
/// `Cache-Control` of `index.json`, which every run rewrites: a minute in browsers, five
/// minutes at the edge (so a failed invalidation heals within five minutes for the listing).
pub const INDEX_CACHE_CONTROL: &str =
    "public, max-age=60, s-maxage=300, stale-while-revalidate=60, stale-if-error=86400";
/// Most CloudFront paths one run invalidates one by one; above it the run invalidates the
/// charts prefix as one wildcard path (`/<prefix>*`). A daily run then uses at most 15 of
/// the 1,000 paths a month CloudFront invalidates for free (31 × 15 = 465), leaving room
/// for the monthly run and manual invocations.
pub const MAX_INVALIDATION_PATHS: usize = 15;
/// Largest drop in listed authors (percent of the published listing) a run may publish
/// without an override (`--max-shrink`, `MAX_SHRINK_PERCENT`).
pub const MAX_SHRINK_PERCENT: u32 = 10;
/// The instant the built-in sample export ends at, and the `--now` of the project's
/// examples, demo and tests.
pub const SAMPLE_NOW: &str = "2025-11-25T00:00:00Z";
