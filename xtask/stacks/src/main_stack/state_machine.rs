//! The fan-out state machine (data-spec §9, spec/scale.md) in the Amazon States Language,
//! written as typed Rust: `Count` (the job's `count` step) → `Dry run?` → `Render` (a
//! Distributed Map over the batch files `count` wrote, one `render` step each) →
//! `Finish` (the `finish` step). The job function's ARN and the map's concurrency are
//! `${…}` placeholders filled by the template's `DefinitionSubstitutions`.

use serde::Serialize;
use serde_json::{json, Value};

use xtask_cfn::Ordered;

/// Placeholder of the job function's ARN.
pub const FUNCTION_ARN: &str = "JobFunctionArn";
/// Placeholder of the map's most concurrent child executions.
pub const MAX_CONCURRENCY: &str = "MaxConcurrency";
/// A whole execution is stopped after this long (a run is daily).
pub const EXECUTION_TIMEOUT_SECONDS: u32 = 6 * 3600;

/// Lambda's own transient errors: retried with backoff (a throttled function among them).
const LAMBDA_TRANSIENT: [&str; 4] = [
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
];

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Definition {
    pub comment: &'static str,
    pub start_at: &'static str,
    pub timeout_seconds: u32,
    pub states: Ordered<&'static str, State>,
}

#[derive(Debug, Serialize)]
#[serde(tag = "Type")]
pub enum State {
    Task(Task),
    Choice(Choice),
    Map(Map),
    Succeed(Succeed),
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Task {
    pub comment: &'static str,
    pub resource: &'static str,
    pub parameters: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result_selector: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_path: Option<&'static str>,
    pub retry: Vec<Retrier>,
    #[serde(flatten)]
    pub then: Then,
}

#[derive(Debug, Serialize)]
pub enum Then {
    Next(&'static str),
    End(bool),
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Retrier {
    pub error_equals: Vec<&'static str>,
    pub interval_seconds: u32,
    pub max_attempts: u32,
    pub backoff_rate: f64,
    pub max_delay_seconds: u32,
    pub jitter_strategy: &'static str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Choice {
    pub comment: &'static str,
    pub choices: Vec<Value>,
    pub default: &'static str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Succeed {
    pub comment: &'static str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Map {
    pub comment: &'static str,
    pub item_reader: Value,
    pub item_selector: Value,
    pub item_processor: Processor,
    pub max_concurrency_path: &'static str,
    pub tolerated_failure_percentage: u32,
    /// `null`: the map's output is its input (the `count` answer `Finish` needs).
    pub result_path: Value,
    pub retry: Vec<Retrier>,
    #[serde(flatten)]
    pub then: Then,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Processor {
    pub processor_config: Value,
    pub start_at: &'static str,
    pub states: Ordered<&'static str, State>,
}

fn lambda_retry() -> Retrier {
    Retrier {
        error_equals: LAMBDA_TRANSIENT.to_vec(),
        interval_seconds: 2,
        max_attempts: 6,
        backoff_rate: 2.0,
        max_delay_seconds: 120,
        jitter_strategy: "FULL",
    }
}

/// A task that invokes the job function with `payload` and keeps its answer.
fn invoke(comment: &'static str, payload: Value, then: Then) -> Task {
    Task {
        comment,
        resource: "arn:aws:states:::lambda:invoke",
        parameters: json!({
            "FunctionName": format!("${{{FUNCTION_ARN}}}"),
            "Payload": payload,
        }),
        result_selector: None,
        output_path: Some("$.Payload"),
        retry: vec![lambda_retry()],
        then,
    }
}

/// The definition.
pub fn definition() -> Definition {
    let mut count = invoke(
        "The job's count step: reads and checks the whole export (guards included), writes \
         the batch files; the execution's input is the run's event",
        json!({ "step": "count", "event.$": "$" }),
        Then::Next("Dry run?"),
    );
    count.output_path = None;
    count.result_selector = Some(json!({
        "run.$": "$.Payload.run",
        "bucket.$": "$.Payload.bucket",
        "prefix.$": "$.Payload.prefix",
        "dry_run.$": "$.Payload.dry_run",
        "max_concurrency.$": format!("States.StringToJson('${{{MAX_CONCURRENCY}}}')"),
    }));
    let render = invoke(
        "The job's render step over one batch file",
        json!({ "step": "render", "run.$": "$.run", "batch.$": "$.key" }),
        Then::End(true),
    );
    let map = Map {
        comment: "One render step per batch file count wrote; any failure fails the run \
                  before finish, so index.json is not written",
        item_reader: json!({
            "Resource": "arn:aws:states:::s3:listObjectsV2",
            "Parameters": { "Bucket.$": "$.bucket", "Prefix.$": "$.prefix" },
        }),
        item_selector: json!({ "run.$": "$.run", "key.$": "$$.Map.Item.Value.Key" }),
        item_processor: Processor {
            processor_config: json!({ "Mode": "DISTRIBUTED", "ExecutionType": "STANDARD" }),
            start_at: "Render batch",
            states: Ordered(vec![("Render batch", State::Task(render))]),
        },
        max_concurrency_path: "$.max_concurrency",
        tolerated_failure_percentage: 0,
        result_path: Value::Null,
        retry: vec![Retrier {
            // The listing of the batch files (S3 SlowDown, a throttled child start).
            error_equals: vec!["States.ItemReaderFailed"],
            interval_seconds: 5,
            max_attempts: 3,
            backoff_rate: 2.0,
            max_delay_seconds: 60,
            jitter_strategy: "FULL",
        }],
        then: Then::Next("Finish"),
    };
    let finish = invoke(
        "The job's finish step: index.json last, departed authors' files removed, the \
         changed paths invalidated, the run's working files deleted",
        json!({ "step": "finish", "run.$": "$.run" }),
        Then::End(true),
    );
    Definition {
        comment: "author-stats fan-out: count, render every batch in parallel, finish",
        start_at: "Count",
        timeout_seconds: EXECUTION_TIMEOUT_SECONDS,
        states: Ordered(vec![
            ("Count", State::Task(count)),
            (
                "Dry run?",
                State::Choice(Choice {
                    comment: "A dry run wrote no batch: nothing to render or finish",
                    choices: vec![json!({
                        "Variable": "$.dry_run",
                        "BooleanEquals": true,
                        "Next": "Dry run done",
                    })],
                    default: "Render",
                }),
            ),
            (
                "Dry run done",
                State::Succeed(Succeed {
                    comment: "Checked and counted; nothing written",
                }),
            ),
            ("Render", State::Map(map)),
            ("Finish", State::Task(finish)),
        ]),
    }
}

/// The definition as the template carries it (pretty JSON, stable).
pub fn definition_json() -> String {
    let mut text = serde_json::to_string_pretty(&definition()).expect("the definition serializes");
    text.push('\n');
    text
}

/// The definition with sample values for its placeholders, for validators that read plain
/// ASL (`asl-validator` in CI).
pub fn definition_for_validation() -> String {
    definition_json()
        .replace(
            &format!("${{{FUNCTION_ARN}}}"),
            "arn:aws:lambda:us-east-1:123456789012:function:author-stats",
        )
        .replace(&format!("${{{MAX_CONCURRENCY}}}"), "40")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn states(v: &Value) -> &serde_json::Map<String, Value> {
        v["States"].as_object().unwrap()
    }

    #[test]
    fn count_then_a_distributed_map_of_render_steps_then_finish() {
        let v: Value = serde_json::from_str(&definition_json()).unwrap();
        assert_eq!(v["StartAt"], "Count");
        let s = states(&v);
        assert_eq!(s["Count"]["Payload"], Value::Null, "under Parameters");
        assert_eq!(s["Count"]["Parameters"]["Payload"]["step"], "count");
        assert_eq!(s["Count"]["Next"], "Dry run?");
        assert_eq!(s["Render"]["Type"], "Map");
        assert_eq!(
            s["Render"]["ItemProcessor"]["ProcessorConfig"]["Mode"],
            "DISTRIBUTED"
        );
        assert_eq!(s["Render"]["ToleratedFailurePercentage"], 0);
        assert_eq!(
            s["Render"]["ItemReader"]["Resource"],
            "arn:aws:states:::s3:listObjectsV2"
        );
        let batch = &s["Render"]["ItemProcessor"]["States"]["Render batch"];
        assert_eq!(batch["Parameters"]["Payload"]["step"], "render");
        assert_eq!(batch["End"], true);
        assert_eq!(s["Render"]["Next"], "Finish");
        assert_eq!(s["Finish"]["Parameters"]["Payload"]["step"], "finish");
        assert_eq!(s["Finish"]["End"], true);
    }

    #[test]
    fn every_lambda_task_retries_throttling_with_backoff() {
        let v: Value = serde_json::from_str(&definition_json()).unwrap();
        let s = states(&v);
        let batch = &s["Render"]["ItemProcessor"]["States"]["Render batch"];
        for task in [&s["Count"], batch, &s["Finish"]] {
            let retry = &task["Retry"][0];
            assert!(retry["ErrorEquals"]
                .as_array()
                .unwrap()
                .contains(&json!("Lambda.TooManyRequestsException")));
            assert_eq!(retry["BackoffRate"], 2.0);
        }
    }

    #[test]
    fn placeholders_are_only_the_two_substitutions() {
        let text = definition_json();
        let mut names: Vec<&str> = text
            .match_indices("${")
            .map(|(i, _)| {
                let rest = &text[i + 2..];
                &rest[..rest.find('}').unwrap()]
            })
            .collect();
        names.sort();
        names.dedup();
        assert_eq!(names, [FUNCTION_ARN, MAX_CONCURRENCY]);
        assert!(!definition_for_validation().contains("${"));
    }
}
