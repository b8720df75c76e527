//! `cargo xtask status`: did the job run, and was it healthy? One row per recent run, read
//! from the job's own EMF line (`job/src/aws/metrics.rs`) in the function's log group, with
//! its trigger (schedule / invoke / retry, from the job's `run started` line and Lambda's
//! request ids) and the error line of a failed run; the schedules (state, next fire time);
//! the dead-letter queue's depth; every alarm's state; the age of the last successful run;
//! on a fan-out stage (`FanOut=true`) the state machine's recent executions and the latest
//! one's map run counts (`execution`); and a one-line verdict. Exit 0 healthy, 1 not
//! (issue 13: no success in 26 h, an alarm in ALARM, or messages in the dead-letter queue;
//! a failed latest run or execution is noted, not by itself unhealthy).

use std::collections::BTreeMap;

use anyhow::{anyhow, Result};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use serde_json::{json, Value};

use crate::clients::{describe_error, AwsArgs, Clients};
use crate::cron;
use crate::execution::{self, Execution, MapRun};
use crate::stack_state;
use crate::ui::table;
use crate::Session;
use xtask_stacks::main_stack::outputs;
use xtask_stacks::stages::{Stage, StageArgs};

/// A successful run older than this makes the stage unhealthy: the heartbeat alarm's figure.
pub const STALE_AFTER_HOURS: i64 = xtask_stacks::main_stack::HEARTBEAT_HOURS as i64;

/// Flags of `cargo xtask status`.
#[derive(clap::Args, Debug)]
pub struct Status {
    #[command(flatten)]
    pub stage: StageArgs,
    #[command(flatten)]
    pub aws: AwsArgs,
    /// How many recent runs to show.
    #[arg(long, default_value_t = 10)]
    pub runs: usize,
    /// How far back to look for runs, in days.
    #[arg(long, default_value_t = 14)]
    pub days: u32,
}

/// What started a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Trigger {
    /// The stack's schedule (the job's `run started` line says `trigger = "schedule"`).
    Schedule,
    /// Anyone else: `cargo xtask invoke`, the backfill, the console.
    Invoke,
    /// Lambda ran the same request again after a failure (its request id was seen before).
    Retry,
    /// The log does not say (the job's `run started` line carries no `trigger`).
    Unknown,
}

impl Trigger {
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Schedule => "schedule",
            Trigger::Invoke => "invoke",
            Trigger::Retry => "retry",
            Trigger::Unknown => "?",
        }
    }
}

/// One run, as its EMF line tells it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Run {
    /// When the line was logged (the end of the run).
    #[serde(serialize_with = "crate::ui::rfc3339")]
    pub at: DateTime<Utc>,
    pub trigger: Trigger,
    /// Lambda's request id (from its start line, or the job's `request_id` field).
    pub request_id: Option<String>,
    pub failed: bool,
    pub duration_ms: u64,
    pub charts_rendered: u64,
    pub charts_written: u64,
    pub charts_unchanged: u64,
    pub charts_removed: u64,
    pub authors_listed: u64,
    pub posts_counted: u64,
    pub dry_run: bool,
    /// `Skipped*` counters without the prefix, e.g. `MalformedLines`.
    pub skipped: BTreeMap<String, u64>,
    /// The error of a failed run (the function's `run failed` log line).
    pub error: Option<String>,
}

/// One schedule of the stack.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScheduleState {
    pub name: String,
    /// `ENABLED` or `DISABLED`.
    pub state: String,
    pub expression: String,
    /// The zone the expression is read in.
    pub zone: String,
    /// The event it sends.
    pub input: Option<String>,
    /// The next fire time (none when disabled, or not computable: `rate`, `L`, `W`, `#`).
    #[serde(serialize_with = "crate::ui::rfc3339_opt")]
    pub next: Option<DateTime<Utc>>,
}

/// The state of one alarm.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlarmState {
    pub name: String,
    pub state: String,
}

/// What `status` concludes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    pub healthy: bool,
    /// One line: "healthy: …" or the problems, most urgent first.
    pub line: String,
}

/// A field of one of the job's JSON log lines: at the top level (the job logs with
/// `flatten_event`), or under `fields` (tracing's default layout).
fn log_field<'v>(line: &'v Value, name: &str) -> &'v Value {
    match line.get(name) {
        Some(value) => value,
        None => &line["fields"][name],
    }
}

/// The runs in `messages` (`(timestamp ms, message)`, oldest first): every EMF line of the
/// job, each failed one with the error of the `run failed` line logged before it.
pub fn runs_from_log(messages: &[(i64, String)]) -> Vec<Run> {
    let mut runs = Vec::new();
    let mut last_error: Option<String> = None;
    // The request being served (Lambda's START line) and what the job said about it.
    let mut request: Option<String> = None;
    let mut trigger: Option<String> = None;
    let mut seen_requests = std::collections::HashSet::new();
    for (timestamp, message) in messages {
        if let Some(id) = start_line_request(message) {
            request = Some(id);
            trigger = None;
            continue;
        }
        let Ok(value) = serde_json::from_str::<Value>(message.trim()) else {
            continue;
        };
        let field = |name: &str| log_field(&value, name);
        if field("message") == "run started" {
            trigger = field("trigger").as_str().map(str::to_owned);
            if let Some(id) = field("request_id").as_str() {
                request = Some(id.to_owned());
            }
            continue;
        }
        if field("message") == "run failed" {
            last_error = field("error").as_str().map(clean_error);
            continue;
        }
        if value.get("_aws").is_none() || value.get(contract::metrics::RUN_FAILED).is_none() {
            continue;
        }
        let n = |name: &str| value[name].as_u64().unwrap_or(0);
        let failed = n(contract::metrics::RUN_FAILED) > 0;
        let skipped = value
            .as_object()
            .into_iter()
            .flatten()
            .filter_map(|(k, v)| Some((k.strip_prefix("Skipped")?.to_owned(), v.as_u64()?)))
            .collect();
        let request_id = request.take();
        let retried = request_id
            .as_ref()
            .is_some_and(|id| !seen_requests.insert(id.clone()));
        let trigger = match trigger.take().as_deref() {
            _ if retried => Trigger::Retry,
            Some("schedule") => Trigger::Schedule,
            Some(_) => Trigger::Invoke,
            None => Trigger::Unknown,
        };
        runs.push(Run {
            at: DateTime::from_timestamp_millis(*timestamp).unwrap_or_default(),
            trigger,
            request_id,
            failed,
            duration_ms: n(contract::metrics::DURATION),
            charts_rendered: n(contract::metrics::CHARTS_RENDERED),
            charts_written: n(contract::metrics::CHARTS_UPLOADED),
            charts_unchanged: n(contract::metrics::CHARTS_UNCHANGED),
            charts_removed: n(contract::metrics::CHARTS_REMOVED),
            authors_listed: n(contract::metrics::AUTHORS_LISTED),
            posts_counted: n(contract::metrics::POSTS_COUNTED),
            dry_run: value["DryRun"] == true,
            skipped,
            error: if failed { last_error.take() } else { None },
        });
    }
    runs
}

/// The request id of Lambda's start line: `START RequestId: <id> Version: …` (text log
/// format) or `{"type": "platform.start", "record": {"requestId": "<id>"}}` (JSON).
fn start_line_request(message: &str) -> Option<String> {
    if let Some(rest) = message.trim_start().strip_prefix("START RequestId: ") {
        return rest.split_whitespace().next().map(str::to_owned);
    }
    let value: Value = serde_json::from_str(message.trim()).ok()?;
    if value["type"] != "platform.start" {
        return None;
    }
    value["record"]["requestId"].as_str().map(str::to_owned)
}

/// `RunFailed("cannot read …")` (the Debug of the function's failure) → `cannot read …`.
fn clean_error(debug: &str) -> String {
    let inner = debug
        .split_once('(')
        .and_then(|(_, rest)| rest.strip_suffix(')'))
        .unwrap_or(debug);
    serde_json::from_str::<String>(inner).unwrap_or_else(|_| inner.to_owned())
}

/// Healthy when the last successful (non-dry) run is younger than [`STALE_AFTER_HOURS`], no
/// alarm is in ALARM and the dead-letter queue is empty. A failed latest run, or on a
/// fan-out stage a `latest_execution` that failed, timed out or was aborted, is noted.
pub fn assess(
    runs: &[Run],
    now: DateTime<Utc>,
    dead_letters: Option<u64>,
    alarms: &[AlarmState],
    schedules: &[ScheduleState],
    latest_execution: Option<&Execution>,
) -> Verdict {
    let mut problems = Vec::new();
    let last_success = runs.iter().rev().find(|r| !r.failed && !r.dry_run);
    match last_success {
        None => problems.push("no successful run in the period looked at".to_owned()),
        Some(run) => {
            let age = now - run.at;
            if age.num_hours() >= STALE_AFTER_HOURS {
                problems.push(format!(
                    "the last successful run was {} h ago (more than {STALE_AFTER_HOURS} h): \
                     is the schedule enabled?",
                    age.num_hours()
                ));
            }
        }
    }
    // Noted, but by themselves not unhealthy (issue 13's rule): the heartbeat and error
    // alarms, and the age of the last success, decide.
    let mut notes = Vec::new();
    if let Some(latest) = runs.last().filter(|r| r.failed) {
        notes.push(format!(
            "the latest run failed: {}",
            latest.error.as_deref().unwrap_or("see `cargo xtask logs`")
        ));
    }
    if let Some(latest) = latest_execution.filter(|e| e.status.is_failed()) {
        notes.push(format!(
            "the latest fan-out execution {} {}: {}",
            latest.name,
            latest.status.as_str(),
            latest.error.as_deref().unwrap_or("see `cargo xtask logs`")
        ));
    }
    for schedule in schedules.iter().filter(|s| s.state != "ENABLED") {
        notes.push(format!("schedule {} is {}", schedule.name, schedule.state));
    }
    for alarm in alarms.iter().filter(|a| a.state == "ALARM") {
        problems.push(format!("alarm {} is in ALARM", alarm.name));
    }
    if let Some(depth) = dead_letters.filter(|&d| d > 0) {
        problems.push(format!(
            "{depth} undelivered invocation(s) in the dead-letter queue"
        ));
    }
    let noted = if notes.is_empty() {
        String::new()
    } else {
        format!("; note: {}", notes.join("; "))
    };
    match (problems.is_empty(), last_success) {
        (true, Some(run)) => Verdict {
            healthy: true,
            line: format!(
                "healthy: last successful run {} h ago, no alarm, dead-letter queue empty{noted}",
                (now - run.at).num_hours()
            ),
        },
        _ => Verdict {
            healthy: false,
            line: format!("unhealthy: {}{noted}", problems.join("; ")),
        },
    }
}

impl Status {
    /// Print the runs, queue, alarms and verdict; exit 1 when unhealthy.
    pub fn run(self) -> Result<()> {
        let Session {
            ui,
            stage,
            rt,
            clients,
            ..
        } = Session::open(&self.stage, &self.aws, &[])?;
        let zone: Tz = stage
            .parameters
            .get(xtask_stacks::main_stack::params::CHART_TIME_ZONE)
            .map_or(contract::defaults::TIME_ZONE, String::as_str)
            .parse()
            .unwrap_or(chrono_tz::UTC);
        let report = rt.block_on(self.gather(&clients, &stage))?;
        report.show_runs(&ui, zone, &stage.stack_name, self.days);
        if let Some(fan_out) = &report.fan_out {
            fan_out.show(&ui, zone, Utc::now());
        }
        report.show_schedules(&ui, zone);
        match report.dead_letters {
            Some(depth) => ui.say(format!("dead-letter queue: {depth} message(s)")),
            None => ui.say("dead-letter queue: not found in the stack"),
        }
        for alarm in &report.alarms {
            ui.say(format!("alarm {}: {}", alarm.name, alarm.state));
        }
        if let Some(url) = &report.dashboard {
            ui.say(format!("dashboard: {url}"));
        }
        if report.verdict.healthy {
            ui.say(&report.verdict.line);
        }
        ui.json(&json!({
            "stage": stage.name,
            "stack": stage.stack_name,
            "runs": report.runs,
            "schedules": report.schedules,
            "schedules_error": report.schedules_error,
            "fan_out": report.fan_out,
            "dead_letter_messages": report.dead_letters,
            "alarms": report.alarms,
            "dashboard": report.dashboard,
            "healthy": report.verdict.healthy,
            "verdict": report.verdict.line,
        }));
        if report.verdict.healthy {
            Ok(())
        } else {
            Err(anyhow!(report.verdict.line))
        }
    }

    /// Read the stage's log, queue, alarms, schedules and executions, and judge them.
    async fn gather(&self, clients: &Clients, stage: &Stage) -> Result<Report> {
        let group = stack_state::stage_output(clients, stage, outputs::LOG_GROUP_NAME).await?;
        let since = Utc::now() - chrono::Duration::days(i64::from(self.days));
        let mut seen = Default::default();
        let lines = super::logs::read(clients, &group, since.timestamp_millis(), &mut seen).await?;
        let messages: Vec<(i64, String)> = lines
            .into_iter()
            .map(|l| (l.timestamp, l.message))
            .collect();
        let all_runs = runs_from_log(&messages);
        let runs = all_runs[all_runs.len().saturating_sub(self.runs)..].to_vec();
        let dead_letters = dead_letter_depth(clients, stage).await?;
        let resources = super::teardown::resources(clients, &stage.stack_name).await?;
        let alarms = alarm_states(clients, &stage.stack_name, &resources).await?;
        let dashboard = dashboard_url(&clients.region, &resources);
        // The schedules are shown, not judged: a read that fails (e.g. an identity without
        // scheduler:GetSchedule) is reported and the verdict still given.
        let (schedules, schedules_error) =
            match schedule_states(clients, &stage.stack_name, &resources, Utc::now()).await {
                Ok(schedules) => (schedules, None),
                Err(e) => (Vec::new(), Some(format!("{e:#}"))),
            };
        let fan_out = match execution::machine(clients, stage).await? {
            None => None,
            Some(machine) => Some(FanOut::read(clients, machine, self.runs).await),
        };
        let verdict = assess(
            &all_runs,
            Utc::now(),
            dead_letters,
            &alarms,
            &schedules,
            fan_out.as_ref().and_then(|f| f.executions.first()),
        );
        Ok(Report {
            runs,
            dead_letters,
            alarms,
            dashboard,
            schedules,
            schedules_error,
            fan_out,
            verdict,
        })
    }
}

/// What `status` read of a stage, and its verdict.
struct Report {
    /// The last `--runs` runs, oldest first.
    runs: Vec<Run>,
    dead_letters: Option<u64>,
    alarms: Vec<AlarmState>,
    /// The console address of the stack's dashboard, if it has one.
    dashboard: Option<String>,
    schedules: Vec<ScheduleState>,
    schedules_error: Option<String>,
    fan_out: Option<FanOut>,
    verdict: Verdict,
}

/// The console address of the stack's dashboard (its physical id is its name), if the stack
/// has one (not at `--scope core`).
fn dashboard_url(region: &str, resources: &[crate::verify::Resource]) -> Option<String> {
    resources
        .iter()
        .find(|r| r.resource_type == "AWS::CloudWatch::Dashboard" && r.was_created())
        .map(|r| xtask_stacks::main_stack::dashboard::console_url(region, &r.physical_id))
}

impl Report {
    /// The runs as a table, times in the stage's zone.
    fn show_runs(&self, ui: &super::ui::Ui, zone: Tz, stack_name: &str, days: u32) {
        let rows: Vec<Vec<String>> = self
            .runs
            .iter()
            .map(|r| {
                vec![
                    r.at.with_timezone(&zone)
                        .format("%Y-%m-%d %H:%M")
                        .to_string(),
                    r.trigger.as_str().to_owned(),
                    if r.failed {
                        "FAILED"
                    } else if r.dry_run {
                        "dry run"
                    } else {
                        "ok"
                    }
                    .into(),
                    format!("{:.1} s", r.duration_ms as f64 / 1000.0),
                    format!(
                        "{}/{}/{}",
                        r.charts_written, r.charts_unchanged, r.charts_removed
                    ),
                    r.authors_listed.to_string(),
                    skipped_text(&r.skipped),
                    r.error.clone().unwrap_or_default(),
                ]
            })
            .collect();
        if rows.is_empty() {
            ui.say(format!("no runs of {stack_name} in the last {days} days"));
            return;
        }
        ui.say(table(
            &[
                &format!("Ended ({zone})"),
                "Trigger",
                "Outcome",
                "Took",
                "Written/unchanged/removed",
                "Listed",
                "Skipped",
                "Error",
            ],
            &rows,
        ));
    }

    /// Each schedule: state, expression, next fire time in the stage's zone, input.
    fn show_schedules(&self, ui: &super::ui::Ui, zone: Tz) {
        match &self.schedules_error {
            Some(error) => ui.say(format!("schedules: {error}")),
            None if self.schedules.is_empty() => ui.say("schedules: none found for the stack"),
            None => {}
        }
        for schedule in &self.schedules {
            ui.say(format!(
                "schedule {}: {}, {} ({}){}{}",
                schedule.name,
                schedule.state,
                schedule.expression,
                schedule.zone,
                match schedule.next {
                    Some(next) => format!(", next {} ({zone})", cron::local(next, zone)),
                    None if schedule.state == "ENABLED" => ", next time not computed".into(),
                    None => String::new(),
                },
                schedule
                    .input
                    .as_deref()
                    .map(|i| format!(", input {i}"))
                    .unwrap_or_default()
            ));
        }
    }
}

/// A fan-out stage's state machine as `status` shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FanOut {
    pub machine: String,
    /// Newest first.
    pub executions: Vec<Execution>,
    /// The latest execution's map run (none before its render step, or for a dry run).
    pub map_run: Option<MapRun>,
    /// Why the executions could not be read.
    pub error: Option<String>,
}

impl FanOut {
    /// The state machine's latest executions and map run; a read that fails is kept as
    /// the error to show (the verdict is still given).
    async fn read(clients: &Clients, machine: String, runs: usize) -> FanOut {
        match fan_out_state(clients, &machine, runs).await {
            Ok((executions, map_run)) => FanOut {
                machine,
                executions,
                map_run,
                error: None,
            },
            Err(e) => FanOut {
                machine,
                executions: Vec::new(),
                map_run: None,
                error: Some(format!("{e:#}")),
            },
        }
    }

    fn show(&self, ui: &super::ui::Ui, zone: Tz, now: DateTime<Utc>) {
        if let Some(error) = &self.error {
            ui.say(format!("fan-out executions: {error}"));
            return;
        }
        let Some(latest) = self.executions.first() else {
            ui.say(format!("fan-out: no executions of {} yet", self.machine));
            return;
        };
        let rows: Vec<Vec<String>> = self
            .executions
            .iter()
            .map(|e| {
                vec![
                    e.name.clone(),
                    e.status.as_str().to_owned(),
                    e.started
                        .with_timezone(&zone)
                        .format("%Y-%m-%d %H:%M")
                        .to_string(),
                    took(e.duration(now)),
                    e.error.clone().unwrap_or_default(),
                ]
            })
            .collect();
        ui.say(format!("fan-out executions of {}:", self.machine));
        ui.say(table(
            &[
                "Execution",
                "Status",
                &format!("Started ({zone})"),
                "Took",
                "Error",
            ],
            &rows,
        ));
        match &self.map_run {
            Some(map) => ui.say(format!("latest ({}): {}", latest.name, map.describe())),
            None => ui.say(format!("latest ({}): no map run", latest.name)),
        }
    }
}

/// The recent executions of `machine` and the newest one's map run.
async fn fan_out_state(
    clients: &Clients,
    machine: &str,
    limit: usize,
) -> Result<(Vec<Execution>, Option<MapRun>)> {
    let executions = execution::recent(clients, machine, limit).await?;
    let map_run = match executions.first() {
        Some(latest) => execution::map_run(clients, &latest.arn).await?,
        None => None,
    };
    Ok((executions, map_run))
}

/// `12.3 s`, `4m07s`, `2h05m`.
fn took(d: chrono::Duration) -> String {
    let ms = d.num_milliseconds().max(0);
    let s = ms / 1000;
    if s < 60 {
        format!("{:.1} s", ms as f64 / 1000.0)
    } else if s < 3600 {
        format!("{}m{:02}s", s / 60, s % 60)
    } else {
        format!("{}h{:02}m", s / 3600, s % 3600 / 60)
    }
}

fn skipped_text(skipped: &BTreeMap<String, u64>) -> String {
    let nonzero: Vec<String> = skipped
        .iter()
        .filter(|(_, &n)| n > 0)
        .map(|(k, n)| format!("{k}={n}"))
        .collect();
    nonzero.join(" ")
}

/// Messages waiting in the stack's dead-letter queue (`None` when the stack has none).
async fn dead_letter_depth(
    clients: &Clients,
    stage: &xtask_stacks::stages::Stage,
) -> Result<Option<u64>> {
    let Ok(url) = stack_state::stage_output(clients, stage, outputs::DEAD_LETTER_QUEUE_URL).await
    else {
        return Ok(None);
    };
    let out = clients
        .sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages)
        .send()
        .await
        .map_err(|e| anyhow!("cannot read the depth of {url}: {}", describe_error(&e)))?;
    Ok(out
        .attributes()
        .and_then(|a| a.get(&aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages))
        .and_then(|n| n.parse().ok()))
}

/// The stack's schedules: its `AWS::Scheduler::Schedule` resources, each read with
/// `GetSchedule`; a stack without any (`--scope core` on an emulator) is searched with
/// `ListSchedules` for the names CloudFormation would give them (`<stack>-…`).
async fn schedule_states(
    clients: &Clients,
    stack_name: &str,
    resources: &[super::verify::Resource],
    now: DateTime<Utc>,
) -> Result<Vec<ScheduleState>> {
    let mut names: Vec<String> = resources
        .iter()
        .filter(|r| r.resource_type == "AWS::Scheduler::Schedule" && r.was_created())
        .map(|r| r.physical_id.clone())
        .collect();
    if names.is_empty() {
        let listed = clients
            .scheduler
            .list_schedules()
            .name_prefix(format!("{stack_name}-"))
            .send()
            .await
            .map_err(|e| {
                crate::sdk::explain(
                    e,
                    &format!("cannot list the schedules of {stack_name}"),
                    "scheduler:ListSchedules",
                )
            })?;
        names.extend(
            listed
                .schedules()
                .iter()
                .filter_map(|s| s.name().map(str::to_owned)),
        );
    }
    names.sort();
    names.dedup();
    let mut out = Vec::new();
    for name in names {
        let schedule = clients
            .scheduler
            .get_schedule()
            .name(&name)
            .send()
            .await
            .map_err(|e| {
                crate::sdk::explain(
                    e,
                    &format!("cannot read schedule {name}"),
                    "scheduler:GetSchedule",
                )
            })?;
        let state = schedule
            .state()
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default();
        let expression = schedule
            .schedule_expression()
            .unwrap_or_default()
            .to_owned();
        let zone_name = schedule
            .schedule_expression_timezone()
            .unwrap_or("UTC")
            .to_owned();
        let next = match zone_name.parse::<Tz>() {
            Ok(zone) if state == "ENABLED" => cron::next_fire(&expression, zone, now),
            _ => None,
        };
        out.push(ScheduleState {
            name,
            state,
            expression,
            zone: zone_name,
            input: schedule.target().and_then(|t| t.input()).map(str::to_owned),
            next,
        });
    }
    Ok(out)
}

/// The state of every alarm the stack holds.
async fn alarm_states(
    clients: &Clients,
    stack_name: &str,
    resources: &[super::verify::Resource],
) -> Result<Vec<AlarmState>> {
    let names: Vec<String> = resources
        .iter()
        .filter(|r| r.resource_type == "AWS::CloudWatch::Alarm" && r.was_created())
        .map(|r| r.physical_id.clone())
        .collect();
    if names.is_empty() {
        return Ok(Vec::new());
    }
    let out = clients
        .cloudwatch
        .describe_alarms()
        .set_alarm_names(Some(names))
        .send()
        .await
        .map_err(|e| {
            anyhow!(
                "cannot read the alarms of {stack_name}: {}",
                describe_error(&e)
            )
        })?;
    Ok(out
        .metric_alarms()
        .iter()
        .map(|a| AlarmState {
            name: a.alarm_name().unwrap_or_default().to_owned(),
            state: a
                .state_value()
                .map(|s| s.as_str().to_owned())
                .unwrap_or_default(),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn emf(failed: bool, written: u64) -> String {
        json!({
            "_aws": {"Timestamp": 0, "CloudWatchMetrics": []},
            "RunFailed": u64::from(failed),
            "DurationMs": 1500,
            "ChartsUploaded": written,
            "AuthorsListed": 291,
            "SkippedMissingPublishedAt": 12,
            "DryRun": false,
        })
        .to_string()
    }

    fn at(hours_ago: i64) -> i64 {
        (Utc::now() - chrono::Duration::hours(hours_ago)).timestamp_millis()
    }

    #[test]
    fn runs_are_read_from_emf_lines_with_the_error_of_a_failed_one() {
        let failure = json!({"level": "ERROR", "fields": {"message": "run failed",
            "error": "RunFailed(\"cannot read s3://export/posts.jsonl.gz: NoSuchKey\")"}})
        .to_string();
        let runs = runs_from_log(&[
            (at(30), emf(false, 40)),
            (at(6), "START RequestId: x".into()),
            (at(6), failure),
            (at(6), emf(true, 0)),
        ]);
        assert_eq!(runs.len(), 2);
        assert_eq!(runs[0].charts_written, 40);
        assert_eq!(runs[0].skipped["MissingPublishedAt"], 12);
        assert!(runs[1].failed);
        assert_eq!(
            runs[1].error.as_deref(),
            Some("cannot read s3://export/posts.jsonl.gz: NoSuchKey")
        );
    }

    #[test]
    fn a_recent_success_with_nothing_wrong_is_healthy() {
        let runs = runs_from_log(&[(at(3), emf(false, 1))]);
        let verdict = assess(&runs, Utc::now(), Some(0), &[], &[], None);
        assert!(verdict.healthy, "{}", verdict.line);
    }

    #[test]
    fn a_gap_of_two_days_is_unhealthy_and_says_so() {
        let runs = runs_from_log(&[(at(49), emf(false, 1))]);
        let verdict = assess(&runs, Utc::now(), Some(0), &[], &[], None);
        assert!(!verdict.healthy);
        assert!(verdict.line.contains("49 h ago"), "{}", verdict.line);
    }

    #[test]
    fn a_failed_latest_run_after_a_recent_success_is_noted_not_unhealthy() {
        // Issue 13: unhealthy is no success in 26 h, an alarm, or dead letters; the job's
        // errors alarm turns a failure into ALARM on AWS.
        let runs = runs_from_log(&[(at(20), emf(false, 1)), (at(2), emf(true, 0))]);
        let v = assess(&runs, Utc::now(), Some(0), &[], &[], None);
        assert!(v.healthy, "{}", v.line);
        assert!(v.line.contains("note: the latest run failed"), "{}", v.line);
    }

    #[test]
    fn triggers_come_from_the_run_started_line_and_repeated_request_ids() {
        let started = |trigger: &str| {
            json!({"level": "INFO", "fields": {"message": "run started", "trigger": trigger}})
                .to_string()
        };
        let platform = |id: &str| {
            json!({"type": "platform.start", "record": {"requestId": id, "version": "$LATEST"}})
                .to_string()
        };
        let runs = runs_from_log(&[
            (at(50), platform("r1")),
            (at(50), started("schedule")),
            (at(50), emf(true, 0)),
            (at(49), "START RequestId: r1 Version: $LATEST".into()),
            (at(49), started("schedule")),
            (at(49), emf(false, 3)),
            (at(20), platform("r2")),
            (at(20), started("invoke")),
            (at(20), emf(false, 1)),
            (at(3), emf(false, 1)),
        ]);
        let triggers: Vec<Trigger> = runs.iter().map(|r| r.trigger).collect();
        assert_eq!(
            triggers,
            [
                Trigger::Schedule,
                Trigger::Retry,
                Trigger::Invoke,
                Trigger::Unknown
            ]
        );
        assert_eq!(runs[1].request_id.as_deref(), Some("r1"));
    }

    #[test]
    fn a_disabled_schedule_is_noted() {
        let ok = runs_from_log(&[(at(2), emf(false, 1))]);
        let disabled = ScheduleState {
            name: "s".into(),
            state: "DISABLED".into(),
            expression: "cron(45 17 * * ? *)".into(),
            zone: "UTC".into(),
            input: None,
            next: None,
        };
        let v = assess(&ok, Utc::now(), Some(0), &[], &[disabled], None);
        assert!(v.line.contains("schedule s is DISABLED"), "{}", v.line);
    }

    #[test]
    fn an_alarm_or_dead_letters_are_unhealthy() {
        let ok = runs_from_log(&[(at(2), emf(false, 1))]);
        let alarm = AlarmState {
            name: "JobErrors".into(),
            state: "ALARM".into(),
        };
        let v = assess(&ok, Utc::now(), Some(0), &[alarm], &[], None);
        assert!(!v.healthy && v.line.contains("JobErrors"), "{}", v.line);
        let v = assess(&ok, Utc::now(), Some(3), &[], &[], None);
        assert!(!v.healthy && v.line.contains("3 undelivered"), "{}", v.line);
    }

    fn execution(status: execution::State, error: Option<&str>) -> Execution {
        Execution {
            name: "schedule-1".into(),
            arn: "arn:aws:states:us-east-1:1:execution:s-fan-out:schedule-1".into(),
            status,
            started: Utc::now() - chrono::Duration::hours(1),
            stopped: Some(Utc::now()),
            error: error.map(str::to_owned),
        }
    }

    #[test]
    fn a_failed_latest_fan_out_execution_is_noted_like_a_failed_run() {
        let runs = runs_from_log(&[(at(20), emf(false, 1))]);
        for (status, word) in [
            (execution::State::Failed, "FAILED"),
            (execution::State::TimedOut, "TIMED_OUT"),
            (execution::State::Aborted, "ABORTED"),
        ] {
            let latest = execution(status, Some("RenderFailed: batch 3"));
            let v = assess(&runs, Utc::now(), Some(0), &[], &[], Some(&latest));
            assert!(v.healthy, "{}", v.line);
            assert!(
                v.line.contains(&format!(
                    "note: the latest fan-out execution schedule-1 {word}: RenderFailed: batch 3"
                )),
                "{}",
                v.line
            );
        }
        // Without a recent success it is unhealthy, for that reason, and still noted.
        let old = runs_from_log(&[(at(30), emf(false, 1))]);
        let latest = execution(execution::State::Failed, None);
        let v = assess(&old, Utc::now(), Some(0), &[], &[], Some(&latest));
        assert!(!v.healthy && v.line.contains("30 h ago"), "{}", v.line);
        assert!(
            v.line.contains("fan-out execution schedule-1 FAILED"),
            "{}",
            v.line
        );
    }

    #[test]
    fn a_running_or_succeeded_latest_execution_is_not_noted() {
        let runs = runs_from_log(&[(at(2), emf(false, 1))]);
        for status in [execution::State::Running, execution::State::Succeeded] {
            let latest = execution(status, None);
            let v = assess(&runs, Utc::now(), Some(0), &[], &[], Some(&latest));
            assert!(v.healthy && !v.line.contains("note"), "{}", v.line);
        }
    }

    #[test]
    fn the_dashboard_url_is_the_stacks_dashboard_in_the_clients_region() {
        let resource = |kind: &str, id: &str| crate::verify::Resource {
            logical_id: "X".into(),
            resource_type: kind.into(),
            physical_id: id.into(),
        };
        let stack = [
            resource("AWS::Lambda::Function", "fn"),
            resource("AWS::CloudWatch::Dashboard", "author-stats-batch-dev"),
        ];
        assert_eq!(
            dashboard_url("eu-west-1", &stack).as_deref(),
            Some(
                "https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1\
                 #dashboards/dashboard/author-stats-batch-dev"
            )
        );
        assert_eq!(dashboard_url("eu-west-1", &stack[..1]), None);
        assert_eq!(
            dashboard_url("eu-west-1", &[resource("AWS::CloudWatch::Dashboard", "")]),
            None
        );
    }

    #[test]
    fn durations_read_in_the_largest_sensible_unit() {
        assert_eq!(took(chrono::Duration::milliseconds(12_340)), "12.3 s");
        assert_eq!(took(chrono::Duration::seconds(247)), "4m07s");
        assert_eq!(took(chrono::Duration::seconds(7_500)), "2h05m");
    }

    #[test]
    fn no_run_at_all_is_unhealthy() {
        assert!(!assess(&[], Utc::now(), None, &[], &[], None).healthy);
    }
}
