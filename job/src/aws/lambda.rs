//! The Lambda function: the same binary, serving invocations through `lambda_runtime` when
//! `AWS_LAMBDA_RUNTIME_API` is set. The S3 client and the settings are built once per
//! container; each invocation reads `{"days","all","changed","now","dry_run","allow_empty",
//! "allow_shrink","force"}` (all optional), runs the
//! synchronous batch on a blocking thread, invalidates what it changed on the stack's
//! CloudFront distribution (`DISTRIBUTION_ID`), logs JSON (tracing), prints one EMF metrics
//! line and answers with the run's `Summary` as JSON.

use std::time::{Instant as Clock, SystemTime, UNIX_EPOCH};

use anyhow::Result;
use aws_sdk_s3::Client;
use lambda_runtime::{service_fn, Diagnostic, LambdaEvent};
use serde::Deserialize;
use serde_json::Value;
use tokio::runtime::Handle;

use super::client::{self, Timeouts};
use super::invalidation::{self, Invalidator};
use super::metrics;
use super::s3_source;
use super::settings::FunctionSettings;
use crate::guard::Guards;
use crate::progress::Progress;
use crate::run::{self, RunConfig, Summary};
use crate::timestamp::Instant;

/// The environment variable whose presence means "running on Lambda".
pub const RUNTIME_API: &str = "AWS_LAMBDA_RUNTIME_API";

/// The invocation event. Every field is optional; unknown fields are ignored.
#[derive(Debug, Default, Clone, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct Event {
    /// Active window in days (≥ 1); default: the function's `ACTIVE_DAYS`.
    pub days: Option<i64>,
    /// The window `all`: render every listed author (data-spec §6); `days` is then ignored.
    pub all: Option<bool>,
    /// The window `changed`: render the listed authors whose digest changed (data-spec
    /// §6); `days` is then ignored. Not with `all`.
    pub changed: Option<bool>,
    /// The run's "now" (data-spec §4 grammar); default: the current time.
    pub now: Option<String>,
    /// Compute and report, write nothing.
    pub dry_run: Option<bool>,
    /// Publish a listing of zero authors (the empty-listing guard, data-spec §1).
    pub allow_empty: Option<bool>,
    /// Publish a listing that shrank by more than `MAX_SHRINK_PERCENT` (once).
    pub allow_shrink: Option<bool>,
    /// Replace a published `index.json` whose `now` is later than this run's.
    pub force: Option<bool>,
    /// Who started the run, for `cargo xtask status`: the stack's schedules send
    /// `"schedule"`; absent, the run counts as invoked.
    pub trigger: Option<String>,
}

impl Event {
    /// Parse an invocation payload; `null` (an empty invocation) is the default event.
    pub fn from_payload(payload: Value) -> Result<Event, String> {
        let shape =
            "{\"days\": N, \"all\": true, \"changed\": true, \"now\": \"2025-11-25T00:00:00Z\", \
             \"dry_run\": true, \"allow_empty\": true, \"allow_shrink\": true, \"force\": true} (all \
             optional)";
        match payload {
            Value::Null => Ok(Event::default()),
            Value::Object(_) => serde_json::from_value(payload)
                .map_err(|e| format!("the event is not {shape}: {e}")),
            other => Err(format!("the event is not {shape}: got {other}")),
        }
    }

    /// The run's options: the event's values over the function's defaults.
    pub fn run_config(&self, settings: &FunctionSettings) -> Result<RunConfig, String> {
        let days = match self.days {
            Some(days) => run::parse_days(&days.to_string()).map_err(|e| format!("days: {e}"))?,
            None => settings.days,
        };
        let now = match &self.now {
            Some(now) => run::parse_now(now).map_err(|e| format!("now: {e}"))?,
            None => Instant::now(),
        };
        let (all, changed) = (self.all.unwrap_or(false), self.changed.unwrap_or(false));
        if all && changed {
            return Err(
                "all and changed: the event asks for two windows; send \"changed\": true \
                        for the authors whose charts changed, or \"all\": true for every listed \
                        author"
                    .into(),
            );
        }
        Ok(RunConfig {
            days,
            all,
            changed,
            now,
            tz: settings.tz,
            dry_run: self.dry_run.unwrap_or(false),
            guards: Guards {
                max_shrink_percent: settings.max_shrink_percent,
                allow_empty: self.allow_empty.unwrap_or(false),
                allow_shrink: self.allow_shrink.unwrap_or(false),
                force: self.force.unwrap_or(false),
            },
            style: settings.style.clone(),
        })
    }
}

/// Why an invocation failed; the name becomes the Lambda `errorType`.
#[derive(Debug)]
pub enum Failure {
    /// The function's environment variables (or AWS configuration) are unusable.
    Configuration(String),
    /// The event could not be understood.
    InvalidEvent(String),
    /// The run itself failed (missing object, corrupt export, failed uploads …).
    RunFailed(String),
}

impl From<Failure> for Diagnostic {
    fn from(failure: Failure) -> Diagnostic {
        let (kind, message) = match failure {
            Failure::Configuration(m) => ("Configuration", m),
            Failure::InvalidEvent(m) => ("InvalidEvent", m),
            Failure::RunFailed(m) => ("RunFailed", m),
        };
        Diagnostic {
            error_type: format!("AuthorStats.{kind}"),
            error_message: message,
        }
    }
}

/// What a container keeps between invocations.
pub struct Function {
    pub(super) ready: Result<(Client, FunctionSettings), String>,
    /// On the settings' `DISTRIBUTION_ID`, when one is set.
    pub(super) invalidator: Option<Invalidator>,
    pub(super) runtime: Handle,
}

impl Function {
    /// Build the client and read the settings once. Problems are kept and reported by
    /// every invocation, so they show up in the caller's response, not only in the logs.
    pub async fn init(settings: Result<FunctionSettings, String>) -> Function {
        let shared = client::shared_config().await;
        let timeouts = Timeouts::from_env().map_err(|e| format!("{e:#}"));
        let s3 = timeouts
            .clone()
            .and_then(|t| client::s3_client_with(&shared, t).map_err(|e| format!("{e:#}")));
        let invalidator = match (&settings, timeouts) {
            (Ok(settings), Ok(timeouts)) => settings
                .distribution_id
                .as_deref()
                .map(|id| Invalidator::new(&shared, timeouts, id)),
            _ => None,
        };
        Self::with_client(s3, settings)
            .await
            .with_invalidator(invalidator)
    }

    /// Invalidate changed paths with `invalidator` after each publish (`None`: never).
    pub fn with_invalidator(mut self, invalidator: Option<Invalidator>) -> Function {
        self.invalidator = invalidator;
        self
    }

    /// [`Function::init`] with a given S3 client (a caller that configures AWS itself,
    /// e.g. a test pointing at a local emulation).
    pub async fn with_client(
        client: Result<Client, String>,
        settings: Result<FunctionSettings, String>,
    ) -> Function {
        let ready = match (client, settings) {
            (Ok(client), Ok(settings)) => Ok((client, settings)),
            (Err(e), _) => Err(e),
            (_, Err(e)) => Err(e),
        };
        if let Err(e) = &ready {
            tracing::error!(error = %e, "the function is not configured");
        }
        Function {
            ready,
            invalidator: None,
            runtime: Handle::current(),
        }
    }

    /// One invocation: run the batch for `payload`, with metrics and logs.
    pub async fn invoke(&self, payload: Value) -> Result<Summary, Failure> {
        let started = Clock::now();
        let outcome = self.run(payload).await;
        report(started, outcome)
    }

    /// The run's summary, and whether its invalidation failed.
    async fn run(&self, payload: Value) -> Result<(Summary, bool), Failure> {
        let (client, settings) = self
            .ready
            .as_ref()
            .map_err(|e| Failure::Configuration(e.clone()))?;
        let event = Event::from_payload(payload).map_err(Failure::InvalidEvent)?;
        let config = event.run_config(settings).map_err(Failure::InvalidEvent)?;
        tracing::info!(
            trigger = event.trigger.as_deref().unwrap_or("invoke"),
            days = config.days,
            now = %config.now,
            dry_run = config.dry_run,
            posts = %settings.posts,
            authors = %settings.authors,
            charts = %settings.charts,
            "run started"
        );
        let failed = |e: anyhow::Error| Failure::RunFailed(format!("{e:#}"));
        let posts = s3_source::open(client, &settings.posts, "posts", settings.download)
            .await
            .map_err(failed)?;
        let authors = s3_source::open(client, &settings.authors, "authors", settings.download)
            .await
            .map_err(failed)?;
        let (store, _) = self.store()?;
        let (mut summary, changed) = tokio::task::spawn_blocking(move || {
            run::run(&config, posts, authors, &store, &Progress::hidden())
                .map(|summary| (summary, store.changed_keys()))
        })
        .await
        .map_err(|e| Failure::RunFailed(format!("the run panicked: {e}")))?
        .map_err(failed)?;
        let invalidation_failed = self.invalidate(settings, &changed, &mut summary).await;
        Ok((summary, invalidation_failed))
    }

    /// Invalidate the `changed` keys on the stack's distribution (when one is set), noting
    /// it in `summary`; whether the invalidation failed.
    pub(super) async fn invalidate(
        &self,
        settings: &FunctionSettings,
        changed: &std::collections::BTreeSet<String>,
        summary: &mut Summary,
    ) -> bool {
        match &self.invalidator {
            Some(invalidator) => {
                invalidation::after_publish(invalidator, &settings.charts, changed, summary).await
            }
            None => false,
        }
    }
}

/// The EMF metrics line and the log line of a finished run — a single run, or the `finish`
/// step of a fan-out — given when it started and its summary (and whether its invalidation
/// failed) or its failure.
pub(super) fn report(
    started: Clock,
    outcome: Result<(Summary, bool), Failure>,
) -> Result<Summary, Failure> {
    let (result, invalidation_failed) = match outcome {
        Ok((summary, failed)) => (Ok(summary), failed),
        Err(failure) => (Err(failure), false),
    };
    let duration_ms = started.elapsed().as_millis() as u64;
    let function_name = std::env::var("AWS_LAMBDA_FUNCTION_NAME").ok();
    let line = metrics::emf_line(
        result.as_ref().map_err(|_| ()),
        invalidation_failed,
        duration_ms,
        unix_millis(),
        function_name.as_deref(),
    );
    println!("{line}");
    match &result {
        Ok(s) => tracing::info!(
            output = %s.output,
            now = %s.now,
            active_days = s.active_days,
            dry_run = s.dry_run,
            post_lines = s.post_lines,
            counted_posts = s.counted_posts,
            authors_listed = s.authors_listed,
            charts_rendered = s.charts_rendered,
            charts_uploaded = s.charts_written,
            charts_unchanged = s.charts_unchanged,
            charts_refreshed = s.charts_refreshed,
            charts_removed = s.charts_removed,
            previous_index = s.previous_index,
            skipped = %serde_json::to_string(&s.skipped).unwrap_or_default(),
            rejected_records = s.rejected_records,
            invalidated_paths = s.invalidated_paths,
            duration_ms,
            "run finished"
        ),
        Err(failure) => tracing::error!(error = ?failure, duration_ms, "run failed"),
    }
    result
}

/// Serve invocations until the Lambda service stops the container.
pub fn serve() -> Result<()> {
    init_logging();
    let runtime = super::runtime()?;
    runtime.block_on(async {
        let function = Function::init(FunctionSettings::from_env()).await;
        let handler = service_fn(|event: LambdaEvent<Value>| function.handle(event.payload));
        lambda_runtime::run(handler)
            .await
            .map_err(|e| anyhow::anyhow!("the Lambda runtime stopped: {e}"))
    })
}

/// JSON log lines on stdout (CloudWatch Logs), at `AWS_LAMBDA_LOG_LEVEL` (default INFO).
fn init_logging() {
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .ok()
        .and_then(|l| l.parse::<tracing::Level>().ok())
        .unwrap_or(tracing::Level::INFO);
    tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(true)
        .with_span_list(false)
        .with_target(false)
        .with_max_level(level)
        .with_writer(std::io::stdout)
        .init();
}

fn unix_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use contract::env;

    fn settings() -> FunctionSettings {
        FunctionSettings::from_lookup(|name| match name {
            n if n == env::SOURCE_BUCKET => Some("export".into()),
            n if n == env::CHARTS_BUCKET => Some("charts".into()),
            _ => None,
        })
        .unwrap()
    }

    #[test]
    fn an_empty_event_uses_the_function_defaults() {
        for payload in [json!(null), json!({})] {
            let config = Event::from_payload(payload)
                .unwrap()
                .run_config(&settings())
                .unwrap();
            assert_eq!(config.days, 7);
            assert!(!config.dry_run);
        }
    }

    #[test]
    fn the_event_overrides_days_now_and_dry_run() {
        let event = Event::from_payload(
            json!({"days": 30, "now": "2025-11-25T00:00:00Z", "dry_run": true}),
        )
        .unwrap();
        let config = event.run_config(&settings()).unwrap();
        assert_eq!(config.days, 30);
        assert_eq!(config.now.to_string(), "2025-11-25T00:00:00Z");
        assert!(config.dry_run);
    }

    #[test]
    fn bad_event_values_are_refused_with_the_field_name() {
        let e = Event::from_payload(json!({"days": 0}))
            .unwrap()
            .run_config(&settings())
            .unwrap_err();
        assert!(e.starts_with("days:"), "{e}");
        let e = Event::from_payload(json!({"now": "yesterday"}))
            .unwrap()
            .run_config(&settings())
            .unwrap_err();
        assert!(e.starts_with("now:"), "{e}");
        assert!(Event::from_payload(json!({"days": "7"})).is_err());
        assert!(Event::from_payload(json!([1])).is_err());
    }

    #[test]
    fn the_event_asks_for_the_window_changed_but_not_with_all() {
        let config = Event::from_payload(json!({"changed": true, "trigger": "schedule"}))
            .unwrap()
            .run_config(&settings())
            .unwrap();
        assert!(config.changed && !config.all);
        let e = Event::from_payload(json!({"changed": true, "all": true}))
            .unwrap()
            .run_config(&settings())
            .unwrap_err();
        assert!(e.starts_with("all and changed:"), "{e}");
        assert!(Event::from_payload(json!({"changed": 1})).is_err());
    }

    #[test]
    fn failures_become_named_lambda_error_types() {
        let d = Diagnostic::from(Failure::InvalidEvent("days: 0".into()));
        assert_eq!(d.error_type, "AuthorStats.InvalidEvent");
        assert_eq!(d.error_message, "days: 0");
    }

    #[test]
    fn the_event_carries_the_guard_overrides() {
        let config = Event::from_payload(json!({}))
            .unwrap()
            .run_config(&settings())
            .unwrap();
        assert_eq!(config.guards, Guards::default());
        let config =
            Event::from_payload(json!({"allow_empty": true, "allow_shrink": true, "force": true}))
                .unwrap()
                .run_config(&settings())
                .unwrap();
        assert!(config.guards.allow_empty && config.guards.allow_shrink && config.guards.force);
        assert!(Event::from_payload(json!({"force": "yes"})).is_err());
    }
}
