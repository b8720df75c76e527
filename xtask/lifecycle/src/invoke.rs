//! `cargo xtask invoke`: run the job now and print its summary; `--changed` draws what the
//! daily schedule would (exactly the charts whose data, style or renderer changed), `--all`
//! every listed author, `--days 5475` the 15-year backfill. A stage whose stack has the fan-out's state machine (`FanOut=true`)
//! runs as one execution of it (`execution`), any other as one synchronous invocation of
//! the function; the event, the summary and the exit codes are the same either way.

use anyhow::{anyhow, bail, Context, Result};
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{InvocationType, LogType};
use base64::Engine as _;
use serde_json::{json, Value};

use crate::clients::{describe_error, AwsArgs, Clients};
use crate::execution;
use crate::stack_state;
use crate::ui::Ui;
use crate::Session;
use xtask_stacks::main_stack::outputs;
use xtask_stacks::stages::{Stage, StageArgs};

#[derive(clap::Args, Debug)]
pub struct Invoke {
    #[command(flatten)]
    pub stage: StageArgs,
    #[command(flatten)]
    pub aws: AwsArgs,
    /// Active window in days [default: the function's ACTIVE_DAYS]; 5475 is the backfill.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=5475))]
    pub days: Option<u32>,
    /// Render every listed author, whatever the age of their posts (the window `all`).
    #[arg(long, conflicts_with = "days")]
    pub all: bool,
    /// Render exactly the authors whose charts' digest differs from the published index's
    /// (the window `changed`, the daily schedule's): a post added or removed anywhere in
    /// their history, a new author, a new month, style or renderer; nobody else.
    #[arg(long, conflicts_with_all = ["days", "all"])]
    pub changed: bool,
    /// Compute and report, write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Publish this once although the listing shrank past the guard's threshold.
    #[arg(long)]
    pub allow_shrink: bool,
    /// Publish this once although it lists no author.
    #[arg(long)]
    pub allow_empty: bool,
    /// Replace a published index.json whose `now` is later than this run's.
    #[arg(long)]
    pub force: bool,
}

impl Invoke {
    /// The event the function receives: the window and the one-time guard overrides.
    fn event(&self) -> Value {
        let mut event = json!({ "dry_run": self.dry_run });
        if let Some(days) = self.days {
            event["days"] = json!(days);
        }
        for (flag, name) in [
            (self.all, "all"),
            (self.changed, "changed"),
            (self.allow_shrink, "allow_shrink"),
            (self.allow_empty, "allow_empty"),
            (self.force, "force"),
        ] {
            if flag {
                event[name] = json!(true);
            }
        }
        event
    }
}

impl Invoke {
    pub fn run(self) -> Result<()> {
        let Session {
            ui,
            stage,
            rt,
            clients,
            poll,
        } = Session::open(&self.stage, &self.aws, &[])?;
        let summary = rt.block_on(invoke(
            &clients,
            &stage,
            self.event(),
            Origin::Invoke,
            poll,
            &ui,
        ))?;
        if ui.format == crate::clients::OutputFormat::Json {
            ui.json(&summary);
        } else {
            println!("{}", serde_json::to_string_pretty(&summary)?);
        }
        Ok(())
    }
}

/// Who runs the job: it names a fan-out execution (`invoke-<time>`, `backfill-<time>`,
/// `smoke-<time>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// `cargo xtask invoke`.
    Invoke,
    /// Deploy's run after a creation, a style or an image change.
    Backfill,
    /// Rebuild's check run.
    Smoke,
}

impl Origin {
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Invoke => "invoke",
            Origin::Backfill => "backfill",
            Origin::Smoke => "smoke",
        }
    }
}

/// Runs the job once with `event` and returns the run's summary: as an execution of the
/// stage's state machine when it has one (waiting, polling from `poll` on), else as one
/// synchronous invocation of the function.
pub async fn invoke(
    clients: &Clients,
    stage: &Stage,
    event: Value,
    origin: Origin,
    poll: std::time::Duration,
    ui: &Ui,
) -> Result<Value> {
    match execution::machine(clients, stage).await? {
        Some(machine) => {
            execution::run(clients, stage, &machine, &event, origin.as_str(), poll, ui).await
        }
        None => invoke_function(clients, stage, event, ui).await,
    }
}

/// Invokes synchronously; the function's summary, or an error with its message and log tail.
async fn invoke_function(clients: &Clients, stage: &Stage, event: Value, ui: &Ui) -> Result<Value> {
    let function = stack_state::stage_output(clients, stage, outputs::FUNCTION_NAME).await?;
    ui.say(format!("invoking {function} with {event}"));
    let spinner = ui.spinner(format!("{function} is running"));
    let out = clients
        .lambda
        .invoke()
        .function_name(&function)
        .invocation_type(InvocationType::RequestResponse)
        .log_type(LogType::Tail)
        .payload(Blob::new(event.to_string()))
        .send()
        .await
        .map_err(|e| anyhow!("cannot invoke {function}: {}", describe_error(&e)));
    if let Some(bar) = spinner {
        bar.finish_and_clear();
    }
    let out = out?;
    let payload = out
        .payload()
        .map(|p| String::from_utf8_lossy(p.as_ref()).into_owned())
        .unwrap_or_default();
    let log_tail = out
        .log_result()
        .and_then(|l| base64::engine::general_purpose::STANDARD.decode(l).ok())
        .map(|l| String::from_utf8_lossy(&l).into_owned())
        .unwrap_or_default();
    if let Some(kind) = out.function_error() {
        let message = serde_json::from_str::<Value>(&payload)
            .ok()
            .and_then(|v| v["errorMessage"].as_str().map(str::to_owned))
            .unwrap_or(payload);
        bail!(
            "{function} failed ({kind}): {message}\nlast log lines:\n{}\n(more: `cargo xtask logs --stage {}`)",
            log_tail.trim_end(),
            stage.name
        );
    }
    serde_json::from_str(&payload)
        .with_context(|| format!("{function} answered with something other than JSON: {payload}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        invoke: Invoke,
    }

    fn event(args: &[&str]) -> Value {
        let cli = Cli::try_parse_from(std::iter::once("invoke").chain(args.iter().copied()))
            .unwrap_or_else(|e| panic!("{args:?}: {e}"));
        cli.invoke.event()
    }

    #[test]
    fn changed_sends_the_daily_schedules_window() {
        assert_eq!(
            event(&["--changed"]),
            json!({"dry_run": false, "changed": true})
        );
        assert_eq!(
            event(&["--changed", "--dry-run"]),
            json!({"dry_run": true, "changed": true})
        );
    }

    #[test]
    fn the_other_windows_are_as_they_were() {
        assert_eq!(event(&[]), json!({"dry_run": false}));
        assert_eq!(
            event(&["--days", "5475"]),
            json!({"dry_run": false, "days": 5475})
        );
        assert_eq!(event(&["--all"]), json!({"dry_run": false, "all": true}));
    }

    #[test]
    fn changed_excludes_the_other_windows() {
        for args in [["--changed", "--all"], ["--changed", "--days=7"]] {
            let e = Cli::try_parse_from(std::iter::once("invoke").chain(args))
                .err()
                .unwrap_or_else(|| panic!("{args:?} parsed"));
            assert_eq!(e.kind(), clap::error::ErrorKind::ArgumentConflict, "{e}");
        }
    }
}
