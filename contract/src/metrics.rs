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
