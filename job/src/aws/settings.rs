//! The Lambda function's settings, read once per container from the environment variables
//! named in `crate::env` (the stack sets exactly those). Each problem is reported with the
//! variable's name, its value and what a valid value looks like.

use chrono_tz::Tz;

use super::s3_store::PublishOptions;
use crate::chart::Style;
use crate::download_options::{self, DownloadOptions, PartSize};
use crate::publish::parse_concurrency;
use crate::s3_url::{S3Object, S3Prefix};
use crate::{guard, run};
use contract::{defaults, env, files};

/// Where the function reads and writes, and its defaults.
#[derive(Debug, Clone)]
pub struct FunctionSettings {
    pub posts: S3Object,
    pub authors: S3Object,
    pub charts: S3Prefix,
    pub tz: Tz,
    /// Active window when the event carries no `days`.
    pub days: u32,
    pub publish: PublishOptions,
    /// `DOWNLOAD_CONCURRENCY`, `DOWNLOAD_PART_SIZE`: how the exports are read.
    pub download: DownloadOptions,
    /// `MAX_SHRINK_PERCENT`: the shrink guard's threshold (data-spec §1).
    pub max_shrink_percent: u32,
    /// `CHART_STYLE`: the chart style (its TOML text), or the built-in one.
    pub style: Style,
    /// `DISTRIBUTION_ID`: the CloudFront distribution whose changed paths are invalidated
    /// after a publish; `None` (unset or empty): no invalidation.
    pub distribution_id: Option<String>,
}

impl FunctionSettings {
    /// Read the process environment.
    pub fn from_env() -> Result<FunctionSettings, String> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Read settings through `lookup` (the environment, or a map in tests). Every problem
    /// is reported, not only the first.
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<FunctionSettings, String> {
        let get = |name: &str| lookup(name).filter(|v| !v.is_empty());
        let or = |name: &str, default: &str| get(name).unwrap_or_else(|| default.to_owned());
        let mut problems = Vec::new();

        let source_bucket = get(env::SOURCE_BUCKET);
        let charts_bucket = get(env::CHARTS_BUCKET);
        if source_bucket.is_none() {
            problems.push(format!(
                "{} is not set: it names the bucket that holds the export",
                env::SOURCE_BUCKET
            ));
        }
        if charts_bucket.is_none() {
            problems.push(format!(
                "{} is not set: it names the bucket the charts are published to",
                env::CHARTS_BUCKET
            ));
        }
        let source_bucket = source_bucket.unwrap_or_default();
        let charts_bucket = charts_bucket.unwrap_or_default();
        let posts_key = or(env::POSTS_KEY, files::POSTS_FILE);
        let authors_key = or(env::AUTHORS_KEY, files::AUTHORS_FILE);
        let prefix = or(env::CHARTS_PREFIX, files::DEFAULT_CHARTS_PREFIX);

        let mut check = |name: &str, shown: String, result: Result<(), String>| {
            if let Err(e) = result {
                problems.push(format!("{name}={}: {e}", crate::quote::quoted(&shown)));
            }
        };
        let tz_text = or(env::CHART_TIME_ZONE, defaults::TIME_ZONE);
        let tz = run::parse_tz(&tz_text);
        check(env::CHART_TIME_ZONE, tz_text, status(&tz));
        let days_text = or(env::ACTIVE_DAYS, &defaults::ACTIVE_DAYS.to_string());
        let days = run::parse_days(&days_text);
        check(env::ACTIVE_DAYS, days_text, status(&days));
        let concurrency_text = or(
            env::UPLOAD_CONCURRENCY,
            &defaults::UPLOAD_CONCURRENCY.to_string(),
        );
        let concurrency = parse_concurrency(&concurrency_text);
        check(
            env::UPLOAD_CONCURRENCY,
            concurrency_text,
            status(&concurrency),
        );
        let cache_control = or(env::CACHE_CONTROL, defaults::CACHE_CONTROL);
        let downloads_text = or(
            env::DOWNLOAD_CONCURRENCY,
            &defaults::DOWNLOAD_CONCURRENCY.to_string(),
        );
        let downloads = download_options::parse_concurrency(&downloads_text);
        check(
            env::DOWNLOAD_CONCURRENCY,
            downloads_text,
            status(&downloads),
        );
        let part_size_text = or(env::DOWNLOAD_PART_SIZE, &PartSize::default().to_string());
        let part_size = part_size_text.parse::<PartSize>();
        check(env::DOWNLOAD_PART_SIZE, part_size_text, status(&part_size));
        let shrink_text = or(
            env::MAX_SHRINK_PERCENT,
            &defaults::MAX_SHRINK_PERCENT.to_string(),
        );
        let max_shrink = guard::parse_max_shrink(&shrink_text);
        check(env::MAX_SHRINK_PERCENT, shrink_text, status(&max_shrink));
        let style = match get(env::CHART_STYLE) {
            Some(text) => Style::from_toml(&text, env::CHART_STYLE),
            None => Ok(Style::builtin()),
        };

        // Locations are only checked once both buckets are known.
        let mut locations = None;
        if !source_bucket.is_empty() && !charts_bucket.is_empty() {
            let posts = S3Object::new(&source_bucket, &posts_key);
            let authors = S3Object::new(&source_bucket, &authors_key);
            let charts = S3Prefix::new(&charts_bucket, &prefix);
            check(
                env::POSTS_KEY,
                format!("{source_bucket}/{posts_key}"),
                status(&posts),
            );
            check(
                env::AUTHORS_KEY,
                format!("{source_bucket}/{authors_key}"),
                status(&authors),
            );
            check(
                env::CHARTS_PREFIX,
                format!("{charts_bucket}/{prefix}"),
                status(&charts),
            );
            if let (Ok(posts), Ok(authors), Ok(charts)) = (posts, authors, charts) {
                locations = Some((posts, authors, charts));
            }
        }

        if let Err(e) = &style {
            problems.push(e.clone());
        }
        let download = match (downloads, part_size) {
            (Ok(concurrency), Ok(part_size)) => Ok(DownloadOptions {
                concurrency,
                part_size,
            }),
            _ => Err(()),
        };
        match (
            locations,
            tz,
            days,
            concurrency,
            max_shrink,
            style,
            download,
        ) {
            (
                Some((posts, authors, charts)),
                Ok(tz),
                Ok(days),
                Ok(concurrency),
                Ok(max_shrink_percent),
                Ok(style),
                Ok(download),
            ) => Ok(FunctionSettings {
                posts,
                authors,
                charts,
                tz,
                days,
                publish: PublishOptions {
                    concurrency,
                    cache_control,
                },
                download,
                max_shrink_percent,
                style,
                distribution_id: get(env::DISTRIBUTION_ID),
            }),
            _ => Err(format!(
                "the function's environment is not usable: {} — fix these environment variables \
                 of the function (the stack template sets them)",
                problems.join("; ")
            )),
        }
    }
}

/// The error of a parse, for the problem list.
fn status<T>(result: &Result<T, String>) -> Result<(), String> {
    result.as_ref().map(|_| ()).map_err(Clone::clone)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn settings(pairs: &[(&str, &str)]) -> Result<FunctionSettings, String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        FunctionSettings::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn buckets_alone_give_the_production_defaults() {
        let s = settings(&[
            (env::SOURCE_BUCKET, "export"),
            (env::CHARTS_BUCKET, "charts"),
        ])
        .unwrap();
        assert_eq!(s.posts.to_string(), "s3://export/all-blog-posts.jsonl.gz");
        assert_eq!(s.authors.to_string(), "s3://export/authorProfile.jsonl.gz");
        assert_eq!(s.charts.to_string(), "s3://charts/author-monthly-stats/");
        assert_eq!(s.tz.name(), "Asia/Tokyo");
        assert_eq!(s.days, 7);
        assert_eq!(s.publish.concurrency, 32);
        assert_eq!(s.publish.cache_control, defaults::CACHE_CONTROL);
        assert_eq!(s.max_shrink_percent, defaults::MAX_SHRINK_PERCENT);
        assert_eq!(s.distribution_id, None, "no distribution: no invalidation");
        assert_eq!(s.download, DownloadOptions::default());
    }

    #[test]
    fn every_variable_is_read() {
        let s = settings(&[
            (env::SOURCE_BUCKET, "export"),
            (env::POSTS_KEY, "daily/posts.jsonl.gz"),
            (env::AUTHORS_KEY, "daily/authors.jsonl.gz"),
            (env::CHARTS_BUCKET, "charts"),
            (env::CHARTS_PREFIX, "stats"),
            (env::CHART_TIME_ZONE, "UTC"),
            (env::ACTIVE_DAYS, "30"),
            (env::UPLOAD_CONCURRENCY, "8"),
            (env::CACHE_CONTROL, "no-cache"),
            (env::DISTRIBUTION_ID, "E2EXAMPLE"),
            (env::DOWNLOAD_CONCURRENCY, "16"),
            (env::DOWNLOAD_PART_SIZE, "8MiB"),
        ])
        .unwrap();
        assert_eq!(s.posts.key, "daily/posts.jsonl.gz");
        assert_eq!(s.authors.key, "daily/authors.jsonl.gz");
        assert_eq!(s.charts.prefix(), "stats/");
        assert_eq!(s.tz.name(), "UTC");
        assert_eq!(s.days, 30);
        assert_eq!(s.publish.concurrency, 8);
        assert_eq!(s.publish.cache_control, "no-cache");
        assert_eq!(s.distribution_id.as_deref(), Some("E2EXAMPLE"));
        assert_eq!(s.download.concurrency, 16);
        assert_eq!(s.download.part_size.bytes(), 8 << 20);
    }

    #[test]
    fn all_problems_are_named_at_once() {
        let e = settings(&[
            (env::CHART_TIME_ZONE, "Mars/Olympus"),
            (env::ACTIVE_DAYS, "0"),
            (env::UPLOAD_CONCURRENCY, "many"),
            (env::DOWNLOAD_CONCURRENCY, "0"),
            (env::DOWNLOAD_PART_SIZE, "8MB"),
        ])
        .unwrap_err();
        for name in [
            env::SOURCE_BUCKET,
            env::CHARTS_BUCKET,
            env::CHART_TIME_ZONE,
            env::ACTIVE_DAYS,
            env::UPLOAD_CONCURRENCY,
            env::DOWNLOAD_CONCURRENCY,
            env::DOWNLOAD_PART_SIZE,
        ] {
            assert!(e.contains(name), "{name} missing from: {e}");
        }
    }

    #[test]
    fn a_bad_bucket_name_is_reported_with_its_variable() {
        let e = settings(&[
            (env::SOURCE_BUCKET, "Bad_Bucket"),
            (env::CHARTS_BUCKET, "charts"),
        ])
        .unwrap_err();
        assert!(
            e.contains(env::POSTS_KEY) && e.contains("Bad_Bucket"),
            "{e}"
        );
    }

    #[test]
    fn chart_style_is_the_toml_text_itself() {
        let buckets = [
            (env::SOURCE_BUCKET, "export"),
            (env::CHARTS_BUCKET, "charts"),
        ];
        let s = settings(&buckets).unwrap();
        assert_eq!(s.style, Style::builtin());
        let s = settings(&[
            buckets[0],
            buckets[1],
            (env::CHART_STYLE, "locale = \"en\""),
        ])
        .unwrap();
        assert_eq!(s.style.locale, crate::chart::Locale::En);
    }

    #[test]
    fn a_bad_chart_style_is_reported_with_its_variable_and_field() {
        let buckets = [
            (env::SOURCE_BUCKET, "export"),
            (env::CHARTS_BUCKET, "charts"),
        ];
        let e =
            settings(&[buckets[0], buckets[1], (env::CHART_STYLE, "width = 9000")]).unwrap_err();
        assert!(e.contains("CHART_STYLE: width = 9000"), "{e}");
    }

    #[test]
    fn max_shrink_percent_is_read_and_checked() {
        let buckets = [
            (env::SOURCE_BUCKET, "export"),
            (env::CHARTS_BUCKET, "charts"),
        ];
        let s = settings(&[buckets[0], buckets[1], (env::MAX_SHRINK_PERCENT, "25")]).unwrap();
        assert_eq!(s.max_shrink_percent, 25);
        let e = settings(&[buckets[0], buckets[1], (env::MAX_SHRINK_PERCENT, "150")]).unwrap_err();
        assert!(e.contains(env::MAX_SHRINK_PERCENT), "{e}");
    }
}
