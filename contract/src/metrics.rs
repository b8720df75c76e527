//! CloudWatch metric names of the job's one Embedded Metric Format line per run.

/// Namespace of every metric the job emits.
pub const NAMESPACE: &str = "AuthorStats";
/// The one dimension, set to the Lambda function's name (absent outside Lambda).
pub const DIMENSION_FUNCTION: &str = "FunctionName";
/// 1 when a run failed, 0 when it succeeded.
pub const RUN_FAILED: &str = "RunFailed";
/// 1 when a run succeeded and published (not a dry run), else 0: the heartbeat the stack's
/// alarm watches, so that a schedule that stops firing is noticed.
pub const RUN_SUCCEEDED: &str = "RunSucceeded";
/// Wall time of the run, in milliseconds.
pub const DURATION: &str = "DurationMs";
/// Charts drawn by the run.
pub const CHARTS_RENDERED: &str = "ChartsRendered";
/// Charts whose bytes changed and were written.
pub const CHARTS_UPLOADED: &str = "ChartsUploaded";
/// Charts drawn whose bytes equal the published ones (not written again).
pub const CHARTS_UNCHANGED: &str = "ChartsUnchanged";
/// Per-author files of authors no longer listed, deleted after `index.json` was written.
pub const CHARTS_REMOVED: &str = "ChartsRemoved";
/// Authors in the written `index.json`.
pub const AUTHORS_LISTED: &str = "AuthorsListed";
/// Posts counted into some author's months.
pub const POSTS_COUNTED: &str = "PostsCounted";
/// Skipped records that signal bad data (data-spec §5, §3.3): the sum of the counters in
/// [`REJECTED_SKIPS`]. The stack's alarm watches it; the drafts and scheduled posts of
/// [`EXPECTED_SKIPS`] are left out, so a normal export reports 0.
pub const RECORDS_REJECTED: &str = "RecordsRejected";
/// CloudFront paths the run invalidated (a wildcard counts as one; 0 when nothing changed).
pub const PATHS_INVALIDATED: &str = "PathsInvalidated";
/// 1 when the run published but its CloudFront invalidation failed (the run still succeeds,
/// with a warning), else 0.
pub const INVALIDATION_FAILED: &str = "InvalidationFailed";

/// Every metric of the job's EMF line, besides one `Skipped<Counter>` per skip counter: what
/// the stack's alarms and dashboard may name (the job's tests check the line against it).
pub const ALL: [&str; 12] = [
    RUN_FAILED,
    RUN_SUCCEEDED,
    DURATION,
    CHARTS_RENDERED,
    CHARTS_UPLOADED,
    CHARTS_UNCHANGED,
    CHARTS_REMOVED,
    AUTHORS_LISTED,
    POSTS_COUNTED,
    RECORDS_REJECTED,
    PATHS_INVALIDATED,
    INVALIDATION_FAILED,
];

/// Skip counters that a healthy export has every day: drafts (no publication time) and
/// posts scheduled for later.
pub const EXPECTED_SKIPS: [&str; 2] = ["missing_published_at", "future_post"];
/// Skip counters of records that are wrong: unreadable lines, posts without an author or
/// with a bad timestamp, posts whose author is missing from the master or has an invalid or
/// shared slug, and author records with a shared slug.
pub const REJECTED_SKIPS: [&str; 6] = [
    "malformed_lines",
    "missing_author_id",
    "bad_timestamp",
    "unknown_author",
    "invalid_slug",
    "duplicate_slug",
];
