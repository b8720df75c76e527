//! The fan-out's steps on Lambda (data-spec §9): an event with `"step"` is one step of a
//! run the state machine drives — `{"step": "count", "event": {…the run's event…}}`,
//! `{"step": "render", "run": ID, "batch": KEY}`, `{"step": "finish", "run": ID}`. Any other
//! event is a whole run ([`Function::invoke`]). `finish` ends the run like a single run
//! does: invalidation, the EMF metrics line and the "run finished" log line.

use std::time::Instant as Clock;

use serde::Deserialize;
use serde_json::{json, Value};

use super::lambda::{report, Event, Failure, Function};
use super::s3_source;
use super::s3_store::S3Store;
use super::settings::FunctionSettings;
use crate::fanout;
use crate::progress::Progress;
use contract::files::RUNS_PREFIX;

/// The events of the steps.
#[derive(Debug, Deserialize, PartialEq)]
#[serde(tag = "step", rename_all = "lowercase", deny_unknown_fields)]
pub enum StepEvent {
    Count {
        /// The run's event (what a schedule or `invoke` sends to a single run).
        #[serde(default)]
        event: Value,
    },
    Render {
        run: String,
        batch: String,
    },
    Finish {
        run: String,
    },
}

impl StepEvent {
    /// `Ok(None)` for an event without `"step"` (a whole run).
    pub fn from_payload(payload: &Value) -> Result<Option<StepEvent>, String> {
        if payload.get("step").is_none() {
            return Ok(None);
        }
        serde_json::from_value(payload.clone())
            .map(Some)
            .map_err(|e| {
                format!(
                    "the step event is not {{\"step\": \"count\", \"event\": {{…}}}}, {{\"step\": \
                 \"render\", \"run\": ID, \"batch\": KEY}} or {{\"step\": \"finish\", \"run\": \
                 ID}}: {e}"
                )
            })
    }
}

fn failed(e: anyhow::Error) -> Failure {
    Failure::RunFailed(format!("{e:#}"))
}

impl Function {
    /// One invocation: a fan-out step, or a whole run; the answer as JSON.
    pub async fn handle(&self, payload: Value) -> Result<Value, Failure> {
        let answer = |v: Result<Value, serde_json::Error>| {
            v.map_err(|e| Failure::RunFailed(format!("the answer does not serialize: {e}")))
        };
        match StepEvent::from_payload(&payload).map_err(Failure::InvalidEvent)? {
            None => answer(serde_json::to_value(self.invoke(payload).await?)),
            Some(StepEvent::Count { event }) => self.count(event).await,
            Some(StepEvent::Render { run, batch }) => {
                let (store, settings) = self.store()?;
                let style = settings.style.clone();
                let counts = tokio::task::spawn_blocking(move || {
                    fanout::render_batch(&store, &style, &run, &batch, &Progress::hidden())
                })
                .await
                .map_err(|e| Failure::RunFailed(format!("the render step panicked: {e}")))?
                .map_err(failed)?;
                tracing::info!(run = %counts.run, batch = %counts.batch, rendered = counts.rendered,
                    written = counts.written, unchanged = counts.unchanged, "batch rendered");
                answer(serde_json::to_value(counts))
            }
            Some(StepEvent::Finish { run }) => {
                let started = Clock::now();
                let outcome = self.finish(run).await;
                answer(serde_json::to_value(report(started, outcome)?))
            }
        }
    }

    /// The charts store of the function's settings (and the settings).
    pub(super) fn store(&self) -> Result<(S3Store, &FunctionSettings), Failure> {
        let (client, settings) = self
            .ready
            .as_ref()
            .map_err(|e| Failure::Configuration(e.clone()))?;
        let store = S3Store::new(
            client.clone(),
            self.runtime.clone(),
            settings.charts.clone(),
            settings.publish.clone(),
        );
        Ok((store, settings))
    }

    async fn count(&self, event: Value) -> Result<Value, Failure> {
        let (store, settings) = self.store()?;
        let (client, _) = self
            .ready
            .as_ref()
            .map_err(|e| Failure::Configuration(e.clone()))?;
        let config = Event::from_payload(event)
            .and_then(|e| e.run_config(settings))
            .map_err(Failure::InvalidEvent)?;
        let posts = s3_source::open(client, &settings.posts, "posts", settings.download)
            .await
            .map_err(failed)?;
        let authors = s3_source::open(client, &settings.authors, "authors", settings.download)
            .await
            .map_err(failed)?;
        let counted = tokio::task::spawn_blocking(move || {
            fanout::count(
                &config,
                posts,
                authors,
                &store,
                &Progress::hidden(),
                fanout::DEFAULT_BATCH_AUTHORS,
            )
        })
        .await
        .map_err(|e| Failure::RunFailed(format!("the count step panicked: {e}")))?
        .map_err(failed)?;
        tracing::info!(run = %counted.run, batches = counted.batches,
            authors_listed = counted.authors_listed, dry_run = counted.dry_run, "run counted");
        // What the state machine's item reader lists: the batch files of this run.
        Ok(json!({
            "run": counted.run,
            "bucket": settings.charts.bucket(),
            "prefix": format!("{RUNS_PREFIX}{}/{}", counted.run, fanout::BATCHES),
            "batches": counted.batches,
            "authors_listed": counted.authors_listed,
            "authors_to_render": counted.authors_to_render,
            "dry_run": counted.dry_run,
        }))
    }

    async fn finish(&self, run: String) -> Result<(crate::run::Summary, bool), Failure> {
        let (store, settings) = self.store()?;
        let style = settings.style.clone();
        let (mut summary, changed) = tokio::task::spawn_blocking(move || {
            fanout::finish(&store, &style, &run, &Progress::hidden())
                .map(|summary| (summary, store.changed_keys()))
        })
        .await
        .map_err(|e| Failure::RunFailed(format!("the finish step panicked: {e}")))?
        .map_err(failed)?;
        let invalidation_failed = self.invalidate(settings, &changed, &mut summary).await;
        Ok((summary, invalidation_failed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_without_a_step_are_whole_runs() {
        for payload in [json!(null), json!({}), json!({"days": 3, "all": true})] {
            assert_eq!(StepEvent::from_payload(&payload), Ok(None));
        }
    }

    #[test]
    fn the_three_steps_parse_and_anything_else_is_refused() {
        assert_eq!(
            StepEvent::from_payload(&json!({"step": "count", "event": {"all": true}})),
            Ok(Some(StepEvent::Count {
                event: json!({"all": true})
            }))
        );
        assert_eq!(
            StepEvent::from_payload(&json!({"step": "render", "run": "r", "batch": "b"})),
            Ok(Some(StepEvent::Render {
                run: "r".into(),
                batch: "b".into()
            }))
        );
        assert_eq!(
            StepEvent::from_payload(&json!({"step": "finish", "run": "r"})),
            Ok(Some(StepEvent::Finish { run: "r".into() }))
        );
        // The count step takes the window `changed` as a whole run does.
        let Some(StepEvent::Count { event }) =
            StepEvent::from_payload(&json!({"step": "count", "event": {"changed": true}})).unwrap()
        else {
            panic!("not a count step");
        };
        let settings = FunctionSettings::from_lookup(|name| match name {
            n if n == contract::env::SOURCE_BUCKET => Some("export".into()),
            n if n == contract::env::CHARTS_BUCKET => Some("charts".into()),
            _ => None,
        })
        .unwrap();
        let config = Event::from_payload(event)
            .unwrap()
            .run_config(&settings)
            .unwrap();
        assert!(config.changed);
        for bad in [
            json!({"step": "draw"}),
            json!({"step": "render", "run": "r"}),
            json!({"step": "finish", "run": "r", "days": 3}),
        ] {
            let e = StepEvent::from_payload(&bad).unwrap_err();
            assert!(e.contains("\"step\": \"finish\""), "{e}");
        }
    }
}
