//! One CloudWatch Embedded Metric Format (EMF) line per run, printed to stdout, which the
//! Lambda service ships to CloudWatch Logs; CloudWatch extracts the metrics from it, so
//! alarms and dashboards need no log parsing. The metric names are in `contract::metrics`,
//! where the stack's alarms refer to them (`RunSucceeded`, `RecordsRejected`,
//! `InvalidationFailed`).

use contract::metrics::{
    AUTHORS_LISTED, CHARTS_REMOVED, CHARTS_RENDERED, CHARTS_UNCHANGED, CHARTS_UPLOADED,
    DIMENSION_FUNCTION, DURATION, INVALIDATION_FAILED, NAMESPACE, PATHS_INVALIDATED, POSTS_COUNTED,
    RECORDS_REJECTED, RUN_FAILED, RUN_SUCCEEDED,
};
use serde_json::{json, Map, Value};

use crate::run::Summary;

/// The EMF line of a finished run: `Ok(summary)` or a failure; `invalidation_failed` when
/// the run published but its CloudFront invalidation did not go through.
pub fn emf_line(
    outcome: Result<&Summary, ()>,
    invalidation_failed: bool,
    duration_ms: u64,
    timestamp_ms: u64,
    function_name: Option<&str>,
) -> String {
    let mut values: Vec<(String, u64, &str)> = vec![
        (RUN_FAILED.to_owned(), u64::from(outcome.is_err()), "Count"),
        (
            RUN_SUCCEEDED.to_owned(),
            u64::from(outcome.is_ok_and(|s| !s.dry_run)),
            "Count",
        ),
        (DURATION.to_owned(), duration_ms, "Milliseconds"),
    ];
    if let Ok(summary) = outcome {
        values.extend([
            (
                CHARTS_RENDERED.to_owned(),
                summary.charts_rendered as u64,
                "Count",
            ),
            (
                CHARTS_UPLOADED.to_owned(),
                summary.charts_written as u64,
                "Count",
            ),
            (
                CHARTS_UNCHANGED.to_owned(),
                summary.charts_unchanged as u64,
                "Count",
            ),
            (
                CHARTS_REMOVED.to_owned(),
                summary.charts_removed as u64,
                "Count",
            ),
            (
                AUTHORS_LISTED.to_owned(),
                summary.authors_listed as u64,
                "Count",
            ),
            (POSTS_COUNTED.to_owned(), summary.counted_posts, "Count"),
            (
                RECORDS_REJECTED.to_owned(),
                summary.rejected_records,
                "Count",
            ),
            (
                PATHS_INVALIDATED.to_owned(),
                summary.invalidated_paths as u64,
                "Count",
            ),
            (
                INVALIDATION_FAILED.to_owned(),
                u64::from(invalidation_failed),
                "Count",
            ),
        ]);
        for (name, count) in summary.skipped.pairs() {
            values.push((skipped_metric(name), count, "Count"));
        }
    }

    let definitions: Vec<Value> = values
        .iter()
        .map(|(name, _, unit)| json!({"Name": name, "Unit": unit}))
        .collect();
    let dimensions: Vec<&str> = function_name
        .map(|_| DIMENSION_FUNCTION)
        .into_iter()
        .collect();
    let mut root = Map::new();
    root.insert(
        "_aws".to_owned(),
        json!({
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": [dimensions],
                "Metrics": definitions,
            }],
        }),
    );
    if let Some(name) = function_name {
        root.insert(DIMENSION_FUNCTION.to_owned(), json!(name));
    }
    for (name, value, _) in values {
        root.insert(name, json!(value));
    }
    // Properties (searchable in Logs Insights, not metrics).
    if let Ok(summary) = outcome {
        root.insert("DryRun".to_owned(), json!(summary.dry_run));
        root.insert("Output".to_owned(), json!(summary.output));
        root.insert("Now".to_owned(), json!(summary.now));
    }
    Value::Object(root).to_string()
}

/// `malformed_lines` → `SkippedMalformedLines`.
pub fn skipped_metric(counter: &str) -> String {
    let mut name = String::from("Skipped");
    for word in counter.split('_') {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            name.extend(first.to_uppercase());
            name.push_str(chars.as_str());
        }
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::Skipped;

    fn summary() -> Summary {
        Summary {
            now: "2025-11-25T00:00:00Z".into(),
            timezone: "Asia/Tokyo".into(),
            active_days: 7,
            all: false,
            changed: false,
            output: "s3://charts/author-monthly-stats/".into(),
            dry_run: false,
            style: "0123456789abcdef".into(),
            restyled: false,
            post_lines: 10,
            counted_posts: 8,
            authors_listed: 3,
            charts_rendered: 2,
            charts_written: 1,
            charts_unchanged: 1,
            charts_refreshed: 0,
            charts_removed: 4,
            index_written: true,
            previous_index: "listing",
            warnings: Vec::new(),
            skipped: Skipped {
                malformed_lines: 2,
                missing_published_at: 5,
                ..Skipped::default()
            },
            rejected_records: 2,
            invalidated_paths: 3,
            elapsed_ms: 1234,
        }
    }

    #[test]
    fn every_declared_metric_has_a_value() {
        let line = emf_line(Ok(&summary()), false, 1234, 1_700_000_000_000, Some("fn"));
        let v: Value = serde_json::from_str(&line).unwrap();
        let directive = &v["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Namespace"], NAMESPACE);
        assert_eq!(directive["Dimensions"], json!([["FunctionName"]]));
        assert_eq!(v["FunctionName"], "fn");
        let metrics = directive["Metrics"].as_array().unwrap();
        assert_eq!(metrics.len(), 3 + 9 + 8);
        for m in metrics {
            let name = m["Name"].as_str().unwrap();
            assert!(v[name].is_u64(), "{name} has no value");
        }
        assert_eq!(v[RUN_FAILED], 0);
        assert_eq!(v[RUN_SUCCEEDED], 1);
        assert_eq!(v[CHARTS_UPLOADED], 1);
        assert_eq!(v[CHARTS_REMOVED], 4);
        assert_eq!(v["SkippedMalformedLines"], 2);
        assert_eq!(v[RECORDS_REJECTED], 2, "drafts are not rejected records");
        assert_eq!(v[PATHS_INVALIDATED], 3);
        assert_eq!(v[INVALIDATION_FAILED], 0);
        assert_eq!(v["_aws"]["Timestamp"], 1_700_000_000_000u64);
    }

    #[test]
    fn the_line_declares_exactly_the_contracts_metrics_besides_the_skip_counters() {
        let line = emf_line(Ok(&summary()), true, 1, 1, Some("fn"));
        let v: Value = serde_json::from_str(&line).unwrap();
        let declared: std::collections::BTreeSet<&str> = v["_aws"]["CloudWatchMetrics"][0]
            ["Metrics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["Name"].as_str().unwrap())
            .filter(|name| !name.starts_with("Skipped"))
            .collect();
        assert_eq!(declared, contract::metrics::ALL.into_iter().collect());
    }

    #[test]
    fn a_failed_run_reports_failure_and_duration_only() {
        let line = emf_line(Err(()), false, 50, 1, None);
        let v: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v[RUN_FAILED], 1);
        assert_eq!(v[RUN_SUCCEEDED], 0);
        assert_eq!(v[DURATION], 50);
        assert_eq!(v["_aws"]["CloudWatchMetrics"][0]["Dimensions"], json!([[]]));
        assert!(v.get(CHARTS_UPLOADED).is_none());
    }

    #[test]
    fn a_failed_invalidation_is_its_own_metric() {
        let line = emf_line(Ok(&summary()), true, 1, 1, Some("fn"));
        let v: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v[INVALIDATION_FAILED], 1);
        assert_eq!(v[RUN_SUCCEEDED], 1, "the charts were published");
    }

    #[test]
    fn skip_counters_become_camel_case_metric_names() {
        assert_eq!(skipped_metric("future_post"), "SkippedFuturePost");
        assert_eq!(
            skipped_metric("missing_published_at"),
            "SkippedMissingPublishedAt"
        );
    }
}
