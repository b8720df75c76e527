//! A fan-out stage's runs (`FanOut=true`, data-spec §9) as executions of its Step Functions
//! state machine: start one with the run's event and wait for it, polling with backoff and
//! showing the map run's progress (`invoke`, deploy's backfill, rebuild's smoke run); the
//! recent executions and the latest one's map run counts (`status`). Every call's denial
//! names its IAM action (`crate::sdk::states`); what to run, and when, is the verbs'.

use std::time::Duration;

use anyhow::{anyhow, bail, Result};
use aws_sdk_sfn::types::ExecutionStatus;
use chrono::{DateTime, Utc};
use serde::{Serialize, Serializer};
use serde_json::Value;

use crate::clients::Clients;
use crate::sdk::{explain, states};
use crate::stack_state;
use crate::ui::{print_line, Ui};
use xtask_stacks::main_stack::outputs;
use xtask_stacks::stages::Stage;

/// The stage's state machine: `Some(ARN)` when its stack has the `StateMachineArn` output
/// (only with `FanOut=true`), `None` for a stage whose runs are one Lambda invocation.
pub async fn machine(clients: &Clients, stage: &Stage) -> Result<Option<String>> {
    let info = stack_state::stage_stack(clients, stage).await?;
    Ok(info.outputs.get(outputs::STATE_MACHINE_ARN).cloned())
}

/// An execution's status, as Step Functions reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    Running,
    Succeeded,
    Failed,
    TimedOut,
    Aborted,
    /// Failed, and a redrive of it was asked for: it runs again.
    PendingRedrive,
    /// A status this code does not know (a newer API).
    Other(String),
}

impl State {
    pub fn from_sdk(status: &ExecutionStatus) -> State {
        match status {
            ExecutionStatus::Running => State::Running,
            ExecutionStatus::Succeeded => State::Succeeded,
            ExecutionStatus::Failed => State::Failed,
            ExecutionStatus::TimedOut => State::TimedOut,
            ExecutionStatus::Aborted => State::Aborted,
            ExecutionStatus::PendingRedrive => State::PendingRedrive,
            other => State::Other(other.as_str().to_owned()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            State::Running => "RUNNING",
            State::Succeeded => "SUCCEEDED",
            State::Failed => "FAILED",
            State::TimedOut => "TIMED_OUT",
            State::Aborted => "ABORTED",
            State::PendingRedrive => "PENDING_REDRIVE",
            State::Other(s) => s,
        }
    }

    /// Done: nothing will change any more (an unknown status is not waited on).
    pub fn is_settled(&self) -> bool {
        !matches!(self, State::Running | State::PendingRedrive)
    }

    /// Ended without the run's summary.
    pub fn is_failed(&self) -> bool {
        matches!(self, State::Failed | State::TimedOut | State::Aborted)
    }
}

impl Serialize for State {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// One execution, as `status` lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Execution {
    pub name: String,
    pub arn: String,
    pub status: State,
    #[serde(serialize_with = "crate::ui::rfc3339")]
    pub started: DateTime<Utc>,
    #[serde(serialize_with = "crate::ui::rfc3339_opt")]
    pub stopped: Option<DateTime<Utc>>,
    /// Of a failed one: its error and cause in one line ([`reason`]).
    pub error: Option<String>,
}

impl Execution {
    /// From its start to its stop, or to `now` while it runs.
    pub fn duration(&self, now: DateTime<Utc>) -> chrono::Duration {
        self.stopped.unwrap_or(now) - self.started
    }
}

/// Items (batch files) or child executions of a map run, by state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub succeeded: i64,
    pub failed: i64,
    pub running: i64,
    pub pending: i64,
    pub timed_out: i64,
    pub aborted: i64,
    pub total: i64,
}

impl Counts {
    /// `38 succeeded, 1 failed, 1 running, 0 pending of 40` (timed out and aborted when any).
    pub fn describe(&self) -> String {
        let mut parts = vec![
            format!("{} succeeded", self.succeeded),
            format!("{} failed", self.failed),
        ];
        if self.timed_out > 0 {
            parts.push(format!("{} timed out", self.timed_out));
        }
        if self.aborted > 0 {
            parts.push(format!("{} aborted", self.aborted));
        }
        parts.push(format!("{} running", self.running));
        parts.push(format!("{} pending", self.pending));
        format!("{} of {}", parts.join(", "), self.total)
    }
}

/// The Distributed Map run of an execution (its render steps).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MapRun {
    pub arn: String,
    pub status: String,
    /// One item per batch file.
    pub items: Counts,
    pub executions: Counts,
}

impl MapRun {
    /// `render map run RUNNING: batches 12 succeeded, …; child executions …`.
    pub fn describe(&self) -> String {
        format!(
            "render map run {}: batches {}; child executions {}",
            self.status,
            self.items.describe(),
            self.executions.describe()
        )
    }
}

/// `invoke-20261201T211810.123Z`: who started it, and when (a name is unique per machine
/// for 90 days; these characters are all allowed in one).
pub fn execution_name(origin: &str, at: DateTime<Utc>) -> String {
    format!("{origin}-{}", at.format("%Y%m%dT%H%M%S%.3fZ"))
}

/// The waits between polls of a running execution: `first`, then half as long again each
/// time, up to six times `first` (30 s for the default 5 s).
#[derive(Debug, Clone)]
pub struct Backoff {
    next: Duration,
    max: Duration,
}

impl Backoff {
    pub fn new(first: Duration) -> Backoff {
        Backoff {
            next: first,
            max: first * 6,
        }
    }

    pub fn next_wait(&mut self) -> Duration {
        let wait = self.next;
        self.next = self.next.mul_f64(1.5).min(self.max);
        wait
    }
}

/// An execution's error and cause in one line: a Lambda error's cause (its JSON) by its
/// `errorMessage`, whitespace collapsed, at most 500 characters.
pub fn reason(error: Option<&str>, cause: Option<&str>) -> String {
    let cause = cause.map(|c| {
        let message = serde_json::from_str::<Value>(c)
            .ok()
            .and_then(|v| v["errorMessage"].as_str().map(str::to_owned))
            .unwrap_or_else(|| c.to_owned());
        let line = message.split_whitespace().collect::<Vec<_>>().join(" ");
        match line.char_indices().nth(500) {
            Some((at, _)) => format!("{}…", &line[..at]),
            None => line,
        }
    });
    let error = error.filter(|e| !e.trim().is_empty());
    let cause = cause.filter(|c| !c.is_empty());
    match (error, cause) {
        (Some(e), Some(c)) => format!("{e}: {c}"),
        (Some(e), None) => e.to_owned(),
        (None, Some(c)) => c,
        (None, None) => "no error or cause recorded".to_owned(),
    }
}

/// The one line of a failed execution: status, error and cause, the map run's counts when
/// known, and where to look at it (the CLI, the console, the job's log).
pub fn failure_line(
    name: &str,
    arn: &str,
    status: &State,
    why: &str,
    map: Option<&MapRun>,
    region: &str,
    stage: &str,
) -> String {
    format!(
        "fan-out execution {name} {}: {why}{}; look at it with `aws stepfunctions \
         describe-execution --execution-arn {arn}`, in the console \
         (https://{region}.console.aws.amazon.com/states/home?region={region}#/v2/executions/details/{arn}), \
         or in the job's log (`cargo xtask logs --stage {stage}`)",
        status.as_str(),
        map.map(|m| format!(" ({})", m.describe()))
            .unwrap_or_default()
    )
}

/// Starts an execution of `machine` named for `origin` with `event` as its input, waits for
/// it, and returns its output (the finish step's summary of the run); a failed one is an
/// error of one line ([`failure_line`]).
pub async fn run(
    clients: &Clients,
    stage: &Stage,
    machine: &str,
    event: &Value,
    origin: &str,
    poll: Duration,
    ui: &Ui,
) -> Result<Value> {
    let name = execution_name(origin, Utc::now());
    ui.say(format!(
        "starting fan-out execution {name} of {machine} with {event} (stopping this command \
         does not stop the run)"
    ));
    let started = clients
        .sfn
        .start_execution()
        .state_machine_arn(machine)
        .name(&name)
        .input(event.to_string())
        .send()
        .await
        .map_err(|e| {
            explain(
                e,
                &format!("cannot start an execution of {machine}"),
                states::START_EXECUTION,
            )
        })?;
    let arn = started.execution_arn().to_owned();
    let ended = wait(clients, &name, &arn, poll, ui).await?;
    match &ended.status {
        State::Succeeded => {
            let output = ended.output.as_deref().unwrap_or_default();
            serde_json::from_str(output).map_err(|_| {
                anyhow!(
                    "fan-out execution {name} SUCCEEDED but its output is not the run's JSON \
                     summary: {output:?}"
                )
            })
        }
        status => {
            let why = reason(ended.error.as_deref(), ended.cause.as_deref());
            // The counts say which part failed; a read that fails leaves them out.
            let map = map_run(clients, &arn).await.ok().flatten();
            bail!(
                "{}",
                failure_line(
                    &name,
                    &arn,
                    status,
                    &why,
                    map.as_ref(),
                    &clients.region,
                    &stage.name
                )
            )
        }
    }
}

/// How an execution ended.
struct Ended {
    status: State,
    output: Option<String>,
    error: Option<String>,
    cause: Option<String>,
}

/// Polls `arn` until it settles, backing off; progress on the spinner (a terminal) or as a
/// plain line whenever it changes (CI, a pipe).
async fn wait(clients: &Clients, name: &str, arn: &str, poll: Duration, ui: &Ui) -> Result<Ended> {
    let spinner = ui.spinner(format!("{name} is running"));
    let mut backoff = Backoff::new(poll);
    let mut shown = String::new();
    let mut map_progress = true;
    let ended = loop {
        let out = match clients
            .sfn
            .describe_execution()
            .execution_arn(arn)
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) => {
                break Err(explain(
                    e,
                    &format!("cannot read fan-out execution {name}"),
                    states::DESCRIBE_EXECUTION,
                ))
            }
        };
        let status = State::from_sdk(out.status());
        if status.is_settled() {
            break Ok(Ended {
                status,
                output: out.output().map(str::to_owned),
                error: out.error().map(str::to_owned),
                cause: out.cause().map(str::to_owned),
            });
        }
        let mut line = format!("{name} {}", status.as_str());
        if map_progress {
            match map_run(clients, arn).await {
                Ok(Some(map)) => line.push_str(&format!("; {}", map.describe())),
                Ok(None) => {}
                Err(e) => {
                    map_progress = false;
                    print_line(
                        spinner.as_ref(),
                        &format!("(the map run's progress is not shown: {e:#})"),
                    );
                }
            }
        }
        if line != shown {
            match &spinner {
                Some(bar) => bar.set_message(line.clone()),
                None => ui.say(&line),
            }
            shown = line;
        }
        tokio::time::sleep(backoff.next_wait()).await;
    };
    if let Some(bar) = spinner {
        bar.finish_and_clear();
    }
    ended
}

/// The map run of execution `arn` (the first one it started), `None` before it has one
/// (the count step still runs) or when it never had one (a dry run).
pub async fn map_run(clients: &Clients, arn: &str) -> Result<Option<MapRun>> {
    let listed = clients
        .sfn
        .list_map_runs()
        .execution_arn(arn)
        .send()
        .await
        .map_err(|e| {
            explain(
                e,
                &format!("cannot list the map runs of {arn}"),
                states::LIST_MAP_RUNS,
            )
        })?;
    let Some(first) = listed.map_runs().first() else {
        return Ok(None);
    };
    let map_arn = first.map_run_arn().to_owned();
    let out = clients
        .sfn
        .describe_map_run()
        .map_run_arn(&map_arn)
        .send()
        .await
        .map_err(|e| {
            explain(
                e,
                &format!("cannot read map run {map_arn}"),
                states::DESCRIBE_MAP_RUN,
            )
        })?;
    // The SDK has one type for the item counts and one for the execution counts, with
    // the same getters.
    macro_rules! counts {
        ($counts:expr) => {
            $counts.map_or_else(Counts::default, |c| Counts {
                succeeded: c.succeeded(),
                failed: c.failed(),
                running: c.running(),
                pending: c.pending(),
                timed_out: c.timed_out(),
                aborted: c.aborted(),
                total: c.total(),
            })
        };
    }
    let items = counts!(out.item_counts());
    let executions = counts!(out.execution_counts());
    Ok(Some(MapRun {
        arn: map_arn,
        status: out.status().as_str().to_owned(),
        items,
        executions,
    }))
}

/// The `limit` most recent executions of `machine`, newest first; a failed one as the
/// newest is described too, for its error and cause.
pub async fn recent(clients: &Clients, machine: &str, limit: usize) -> Result<Vec<Execution>> {
    let out = clients
        .sfn
        .list_executions()
        .state_machine_arn(machine)
        .max_results(limit.clamp(1, 1000) as i32)
        .send()
        .await
        .map_err(|e| {
            explain(
                e,
                &format!("cannot list the executions of {machine}"),
                states::LIST_EXECUTIONS,
            )
        })?;
    let mut executions: Vec<Execution> = out
        .executions()
        .iter()
        .map(|e| Execution {
            name: e.name().to_owned(),
            arn: e.execution_arn().to_owned(),
            status: State::from_sdk(e.status()),
            started: utc(e.start_date()),
            stopped: e.stop_date().map(utc),
            error: None,
        })
        .collect();
    executions.sort_by_key(|e| std::cmp::Reverse(e.started));
    executions.truncate(limit);
    if let Some(latest) = executions.first_mut().filter(|e| e.status.is_failed()) {
        let out = clients
            .sfn
            .describe_execution()
            .execution_arn(&latest.arn)
            .send()
            .await
            .map_err(|e| {
                explain(
                    e,
                    &format!("cannot read fan-out execution {}", latest.name),
                    states::DESCRIBE_EXECUTION,
                )
            })?;
        latest.error = Some(reason(out.error(), out.cause()));
    }
    Ok(executions)
}

fn utc(at: &aws_sdk_sfn::primitives::DateTime) -> DateTime<Utc> {
    DateTime::from_timestamp(at.secs(), at.subsec_nanos()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_execution_is_named_for_who_started_it_and_when() {
        let at = DateTime::parse_from_rfc3339("2026-12-01T21:18:10.123Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(execution_name("invoke", at), "invoke-20261201T211810.123Z");
        assert_eq!(
            execution_name("backfill", at),
            "backfill-20261201T211810.123Z"
        );
    }

    #[test]
    fn polls_back_off_by_half_up_to_six_times_the_first_wait() {
        let mut b = Backoff::new(Duration::from_secs(5));
        let waits: Vec<f64> = (0..7).map(|_| b.next_wait().as_secs_f64()).collect();
        assert_eq!(waits, [5.0, 7.5, 11.25, 16.875, 25.3125, 30.0, 30.0]);
    }

    #[test]
    fn only_running_and_a_pending_redrive_are_waited_on() {
        for (status, settled, failed) in [
            (ExecutionStatus::Running, false, false),
            (ExecutionStatus::PendingRedrive, false, false),
            (ExecutionStatus::Succeeded, true, false),
            (ExecutionStatus::Failed, true, true),
            (ExecutionStatus::TimedOut, true, true),
            (ExecutionStatus::Aborted, true, true),
        ] {
            let state = State::from_sdk(&status);
            assert_eq!(state.as_str(), status.as_str());
            assert_eq!(
                (state.is_settled(), state.is_failed()),
                (settled, failed),
                "{status:?}"
            );
        }
    }

    #[test]
    fn a_lambda_cause_is_read_for_its_message_in_one_line() {
        let cause = r#"{"errorMessage": "batch 00003:\n cannot read s3://charts/run/00003.json", "errorType": "Failure", "stackTrace": []}"#;
        assert_eq!(
            reason(Some("Failure"), Some(cause)),
            "Failure: batch 00003: cannot read s3://charts/run/00003.json"
        );
        assert_eq!(reason(Some("States.Timeout"), None), "States.Timeout");
        assert_eq!(reason(None, None), "no error or cause recorded");
        let long = "x".repeat(800);
        assert_eq!(reason(None, Some(&long)).chars().count(), 501);
    }

    #[test]
    fn a_failure_is_one_line_with_the_counts_and_where_to_look() {
        let map = MapRun {
            arn: "m".into(),
            status: "FAILED".into(),
            items: Counts {
                succeeded: 38,
                failed: 2,
                total: 40,
                ..Default::default()
            },
            executions: Counts {
                succeeded: 38,
                failed: 2,
                total: 40,
                ..Default::default()
            },
        };
        let line = failure_line(
            "invoke-1",
            "arn:aws:states:eu-west-1:1:execution:s-fan-out:invoke-1",
            &State::Failed,
            "States.ExceedToleratedFailureThreshold: over the threshold",
            Some(&map),
            "eu-west-1",
            "dev",
        );
        assert!(!line.contains('\n'), "{line}");
        for part in [
            "fan-out execution invoke-1 FAILED: States.ExceedToleratedFailureThreshold",
            "batches 38 succeeded, 2 failed, 0 running, 0 pending of 40",
            "aws stepfunctions describe-execution --execution-arn arn:aws:states:eu-west-1:1:execution:s-fan-out:invoke-1",
            "https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/arn:aws:states:eu-west-1:1:execution:s-fan-out:invoke-1",
            "cargo xtask logs --stage dev",
        ] {
            assert!(line.contains(part), "{part} not in {line}");
        }
    }
}
