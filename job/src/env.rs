//! Names shared between the job and its deployment: the Lambda function's environment
//! variables and the default object prefix. Defined once here; the stack definition in
//! `xtask` sets exactly these, and a test there checks the template against them.

/// Bucket that holds the daily export.
pub const SOURCE_BUCKET: &str = "SOURCE_BUCKET";
/// Key of `all-blog-posts.jsonl.gz` in the source bucket.
pub const POSTS_KEY: &str = "POSTS_KEY";
/// Key of `authorProfile.jsonl.gz` in the source bucket.
pub const AUTHORS_KEY: &str = "AUTHORS_KEY";
/// Bucket the charts and `index.json` are published to.
pub const CHARTS_BUCKET: &str = "CHARTS_BUCKET";
/// Prefix under which charts are published, ending in `/`.
pub const CHARTS_PREFIX: &str = "CHARTS_PREFIX";
/// IANA zone whose calendar months are counted.
pub const CHART_TIME_ZONE: &str = "CHART_TIME_ZONE";
/// Default active window in days when the event carries none.
pub const ACTIVE_DAYS: &str = "ACTIVE_DAYS";
/// Maximum number of uploads in flight.
pub const UPLOAD_CONCURRENCY: &str = "UPLOAD_CONCURRENCY";

/// `Cache-Control` of the published objects. Optional (not in `ALL`): unset, the job uses
/// `aws::s3_store::DEFAULT_CACHE_CONTROL`.
pub const CACHE_CONTROL: &str = "CACHE_CONTROL";

/// Every variable the function reads, in the order the template lists them.
pub const ALL: [&str; 8] = [
    SOURCE_BUCKET,
    POSTS_KEY,
    AUTHORS_KEY,
    CHARTS_BUCKET,
    CHARTS_PREFIX,
    CHART_TIME_ZONE,
    ACTIVE_DAYS,
    UPLOAD_CONCURRENCY,
];

/// The production object prefix of the charts.
pub const DEFAULT_CHARTS_PREFIX: &str = "author-monthly-stats/";
/// Default chart time zone.
pub const DEFAULT_TIME_ZONE: &str = "Asia/Tokyo";
/// Default active window for the daily run.
pub const DEFAULT_ACTIVE_DAYS: u32 = 7;
/// Name of the index object written last.
pub const INDEX_FILE: &str = "index.json";
/// Default input object names of the export.
pub const POSTS_FILE: &str = "all-blog-posts.jsonl.gz";
pub const AUTHORS_FILE: &str = "authorProfile.jsonl.gz";
