//! The stage's dashboard, read off the synthesized template: every metric a widget names is
//! one the job emits (`contract::metrics`) or one AWS publishes for the stack's function,
//! queue and state machine; every alarm of the stack is on it and every alarm on it exists;
//! the fan-out's widgets only on a fan-out stage; its console address is region-aware.

use std::collections::BTreeSet;

use serde_json::Value as Json;
use serde_yaml::Value;
use xtask_stacks::main_stack::{self as stack, dashboard, ids, outputs};

fn template() -> Value {
    stack::template().to_value()
}

/// The `Fn::Sub` text of a body, with `${Name}` as `<Name>` (a Number parameter as its
/// default, since it stands unquoted), parsed as JSON.
fn parse(t: &Value, sub: &Value) -> Json {
    let text = sub["Fn::Sub"]
        .as_str()
        .expect("the body is one Fn::Sub without variables");
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('}').unwrap() + start;
        let name = &rest[start + 2..end];
        let parameter = &t["Parameters"][name];
        if parameter["Type"] == "Number" {
            out.push_str(&parameter["Default"].as_u64().unwrap().to_string());
        } else {
            out.push_str(&format!("<{name}>"));
        }
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("the body is not JSON ({e}): {out}"))
}

/// The two bodies: (`FanOut=true`, `FanOut=false`).
fn bodies(t: &Value) -> (Json, Json) {
    let d = &t["Resources"][ids::DASHBOARD];
    assert_eq!(d["Type"], "AWS::CloudWatch::Dashboard");
    let choice = &d["Properties"]["DashboardBody"]["Fn::If"];
    assert_eq!(choice[0], ids::FAN_OUT_ON);
    (parse(t, &choice[1]), parse(t, &choice[2]))
}

fn widgets<'a>(body: &'a Json, kind: &str) -> Vec<&'a Json> {
    body["widgets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["type"] == kind)
        .collect()
}

/// (namespace, metric) of every metric the metric widgets name, searches included.
fn metrics_named(body: &Json) -> BTreeSet<(String, String)> {
    let mut named = BTreeSet::new();
    for widget in widgets(body, "metric") {
        for line in widget["properties"]["metrics"].as_array().unwrap() {
            let line = line.as_array().unwrap();
            if let Some(namespace) = line[0].as_str() {
                named.insert((namespace.to_owned(), line[1].as_str().unwrap().to_owned()));
                continue;
            }
            let expression = line[0]["expression"].as_str().unwrap();
            let namespace = expression
                .split_once('{')
                .and_then(|(_, r)| r.split_once(','))
                .map(|(n, _)| n)
                .unwrap();
            let metric = expression
                .split_once("MetricName=")
                .and_then(|(_, r)| r.split_once(' '))
                .map(|(m, _)| m)
                .unwrap();
            named.insert((namespace.to_owned(), metric.to_owned()));
        }
    }
    named
}

#[test]
fn every_metric_on_the_dashboard_is_one_the_job_or_aws_emits() {
    let t = template();
    let (fan_out, plain) = bodies(&t);
    for body in [&fan_out, &plain] {
        let named = metrics_named(body);
        assert!(named.len() >= 12, "{named:?}");
        for (namespace, metric) in &named {
            let known = if namespace == contract::metrics::NAMESPACE {
                contract::metrics::ALL.contains(&metric.as_str())
            } else {
                dashboard::AWS_METRICS
                    .iter()
                    .any(|(n, m)| n == namespace && m.contains(&metric.as_str()))
            };
            assert!(known, "{namespace} {metric} is not a metric anyone emits");
        }
        // The job's own figures the first days are watched for.
        for metric in [
            contract::metrics::RUN_SUCCEEDED,
            contract::metrics::RUN_FAILED,
            contract::metrics::DURATION,
            contract::metrics::CHARTS_UPLOADED,
            contract::metrics::CHARTS_UNCHANGED,
            contract::metrics::CHARTS_REMOVED,
            contract::metrics::AUTHORS_LISTED,
            contract::metrics::RECORDS_REJECTED,
            contract::metrics::PATHS_INVALIDATED,
        ] {
            assert!(
                named.contains(&(contract::metrics::NAMESPACE.into(), metric.into())),
                "{metric} is not on the dashboard"
            );
        }
        for (namespace, metric) in [
            ("AWS/Lambda", "Errors"),
            ("AWS/Lambda", "Throttles"),
            ("AWS/Lambda", "Duration"),
            ("AWS/SQS", "ApproximateNumberOfMessagesVisible"),
        ] {
            assert!(
                named.contains(&(namespace.into(), metric.into())),
                "{metric}"
            );
        }
    }
}

#[test]
fn metrics_are_those_of_this_stacks_function_queue_and_machine_in_its_region() {
    let t = template();
    let (fan_out, plain) = bodies(&t);
    for body in [&fan_out, &plain] {
        for widget in widgets(body, "metric") {
            assert_eq!(widget["properties"]["region"], "<AWS::Region>");
            for line in widget["properties"]["metrics"].as_array().unwrap() {
                let line = line.as_array().unwrap();
                let Some(namespace) = line[0].as_str() else {
                    continue;
                };
                let dimension = (line[2].as_str().unwrap(), line[3].as_str().unwrap());
                let expected = match namespace {
                    "AuthorStats" | "AWS/Lambda" => ("FunctionName", "<JobFunction>"),
                    "AWS/SQS" => ("QueueName", "<DeadLetterQueue.QueueName>"),
                    "AWS/States" => ("StateMachineArn", "<FanOutStateMachine>"),
                    other => panic!("unexpected namespace {other}"),
                };
                assert_eq!(dimension, expected, "{line:?}");
            }
        }
    }
}

#[test]
fn duration_is_drawn_against_the_timeout_and_rejected_records_against_the_threshold() {
    let t = template();
    let (_, plain) = bodies(&t);
    let lines: Vec<(String, Json)> = widgets(&plain, "metric")
        .iter()
        .flat_map(|w| {
            w["properties"]["annotations"]["horizontal"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|a| (a["label"].as_str().unwrap().to_owned(), a["value"].clone()))
        })
        .collect();
    let timeout_ms = u64::from(stack::TIMEOUT_SECONDS) * 1000;
    assert!(
        lines.contains(&("timeout".into(), timeout_ms.into())),
        "{lines:?}"
    );
    // The parameter, at its default here.
    assert!(
        lines.contains(&(
            "RejectedRecordsAlarm threshold".into(),
            u64::from(stack::REJECTED_RECORDS_THRESHOLD).into()
        )),
        "{lines:?}"
    );
}

#[test]
fn every_alarm_of_the_stack_is_on_the_dashboard_and_every_one_there_exists() {
    let t = template();
    let alarms: BTreeSet<String> = t["Resources"]
        .as_mapping()
        .unwrap()
        .iter()
        .filter(|(_, r)| r["Type"] == "AWS::CloudWatch::Alarm")
        .map(|(id, _)| format!("<{}.Arn>", id.as_str().unwrap()))
        .collect();
    assert_eq!(alarms.len(), 7);
    let (fan_out, plain) = bodies(&t);
    for body in [&fan_out, &plain] {
        let shown: BTreeSet<String> = widgets(body, "alarm")
            .iter()
            .flat_map(|w| w["properties"]["alarms"].as_array().unwrap())
            .map(|a| a.as_str().unwrap().to_owned())
            .collect();
        assert_eq!(shown, alarms);
    }
}

#[test]
fn only_a_fan_out_stage_shows_executions_and_map_run_failures() {
    let t = template();
    let (fan_out, plain) = bodies(&t);
    let states = |body: &Json| {
        metrics_named(body)
            .into_iter()
            .filter(|(n, _)| n == "AWS/States")
            .count()
    };
    assert_eq!(states(&plain), 0);
    assert!(states(&fan_out) >= 4);
    let searches: Vec<String> = widgets(&fan_out, "metric")
        .iter()
        .flat_map(|w| w["properties"]["metrics"].as_array().unwrap())
        .filter_map(|l| l[0]["expression"].as_str().map(str::to_owned))
        .collect();
    assert!(
        searches.iter().any(|e| e.contains("{AWS/States,MapRunArn}")
            && e.contains("MetricName=ExecutionsFailed ")
            && e.contains(" <FanOutStateMachine.Name>'")),
        "{searches:?}"
    );
}

#[test]
fn the_dashboard_is_named_for_the_stack_and_its_url_output_is_region_aware() {
    let t = template();
    let name = &t["Resources"][ids::DASHBOARD]["Properties"]["DashboardName"];
    assert_eq!(name["Fn::Sub"], "${AWS::StackName}");
    let url = t["Outputs"][outputs::DASHBOARD_URL]["Value"]["Fn::Sub"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        url,
        dashboard::console_url("${AWS::Region}", &format!("${{{}}}", ids::DASHBOARD))
    );
    assert_eq!(
        stack::template_for(stack::Scope::Core).to_value()["Resources"][ids::DASHBOARD],
        Value::Null,
        "moto's CloudFormation has no dashboards"
    );
}
