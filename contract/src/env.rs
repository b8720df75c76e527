//! Environment variables of the Lambda function: the stack sets [`SET_BY_STACK`] (in that
//! order, checked by a test in `xtask`), the function reads [`ALL`].

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
/// Id of the CloudFront distribution in front of the charts: after a publish that changed
/// objects, the function invalidates their paths there (data-spec §7). Set by the full stack;
/// unset or empty (the emulator's core stack, a bucket without CloudFront), nothing is
/// invalidated.
pub const DISTRIBUTION_ID: &str = "DISTRIBUTION_ID";
/// `Cache-Control` of the published per-author files. Optional: unset, the function uses
/// [`crate::defaults::CACHE_CONTROL`]; the stack does not set it.
pub const CACHE_CONTROL: &str = "CACHE_CONTROL";
/// Largest drop in listed authors, in percent of the published `index.json`, that a run may
/// publish without the event's `allow_shrink` (data-spec §1). Optional: unset, the function
/// uses [`crate::defaults::MAX_SHRINK_PERCENT`]; the stack does not set it.
pub const MAX_SHRINK_PERCENT: &str = "MAX_SHRINK_PERCENT";
/// The chart style (spec/chart-style.md): the TOML text itself, not a file name, so the
/// stack can carry it inline. Optional: unset or empty, the function uses the built-in style
/// (`deploy/styles/default.toml`). The stack sets it from its `ChartStyle` parameter only
/// when that is not empty ([`SET_BY_STACK_WHEN_GIVEN`]). Lambda allows 4 KB for all of a
/// function's variables together, so keep an inline style short (only the fields that
/// differ from the built-in one).
pub const CHART_STYLE: &str = "CHART_STYLE";

/// Ranged GETs in flight while the function reads an export (1: one streaming GET).
/// Optional: unset, [`crate::defaults::DOWNLOAD_CONCURRENCY`]; the stack does not set it.
pub const DOWNLOAD_CONCURRENCY: &str = "DOWNLOAD_CONCURRENCY";
/// Bytes per ranged GET (`8MiB`, `512KiB` or bytes). Optional: unset,
/// [`crate::defaults::DOWNLOAD_PART_SIZE`]; the stack does not set it. With
/// [`DOWNLOAD_CONCURRENCY`] it bounds the memory one input holds (their product).
pub const DOWNLOAD_PART_SIZE: &str = "DOWNLOAD_PART_SIZE";

/// The variables the stack sets on the function, in the order the template lists them.
pub const SET_BY_STACK: [&str; 9] = [
    SOURCE_BUCKET,
    POSTS_KEY,
    AUTHORS_KEY,
    CHARTS_BUCKET,
    CHARTS_PREFIX,
    CHART_TIME_ZONE,
    ACTIVE_DAYS,
    UPLOAD_CONCURRENCY,
    DISTRIBUTION_ID,
];

/// The optional variables the stack sets only when their parameter is given (after
/// [`SET_BY_STACK`], in this order).
pub const SET_BY_STACK_WHEN_GIVEN: [&str; 1] = [CHART_STYLE];

/// Every variable the function reads: [`SET_BY_STACK`] and the optional ones.
pub const ALL: [&str; 14] = [
    SOURCE_BUCKET,
    POSTS_KEY,
    AUTHORS_KEY,
    CHARTS_BUCKET,
    CHARTS_PREFIX,
    CHART_TIME_ZONE,
    ACTIVE_DAYS,
    UPLOAD_CONCURRENCY,
    DISTRIBUTION_ID,
    CACHE_CONTROL,
    MAX_SHRINK_PERCENT,
    CHART_STYLE,
    DOWNLOAD_CONCURRENCY,
    DOWNLOAD_PART_SIZE,
];

/// The variables the stack gives the function with its default parameters, reading the
/// export from `source_bucket` (at its usual keys) and publishing to `charts_bucket`, without
/// CloudFront (no [`DISTRIBUTION_ID`]): how the image boot test and the cold-start bench run
/// the image.
pub fn stack_defaults(source_bucket: &str, charts_bucket: &str) -> Vec<(&'static str, String)> {
    use crate::defaults;
    use crate::files::{AUTHORS_FILE, DEFAULT_CHARTS_PREFIX, EXPORT_PREFIX, POSTS_FILE};
    vec![
        (SOURCE_BUCKET, source_bucket.to_owned()),
        (POSTS_KEY, format!("{EXPORT_PREFIX}{POSTS_FILE}")),
        (AUTHORS_KEY, format!("{EXPORT_PREFIX}{AUTHORS_FILE}")),
        (CHARTS_BUCKET, charts_bucket.to_owned()),
        (CHARTS_PREFIX, DEFAULT_CHARTS_PREFIX.to_owned()),
        (CHART_TIME_ZONE, defaults::TIME_ZONE.to_owned()),
        (ACTIVE_DAYS, defaults::ACTIVE_DAYS.to_string()),
        (UPLOAD_CONCURRENCY, defaults::UPLOAD_CONCURRENCY.to_string()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_is_the_stacks_variables_then_the_optional_ones() {
        assert_eq!(ALL[..SET_BY_STACK.len()], SET_BY_STACK);
        assert_eq!(
            ALL[SET_BY_STACK.len()..],
            [
                CACHE_CONTROL,
                MAX_SHRINK_PERCENT,
                CHART_STYLE,
                DOWNLOAD_CONCURRENCY,
                DOWNLOAD_PART_SIZE
            ]
        );
    }

    #[test]
    fn the_conditional_variables_are_optional_ones() {
        for name in SET_BY_STACK_WHEN_GIVEN {
            assert!(ALL[SET_BY_STACK.len()..].contains(&name), "{name}");
        }
    }
}
