//! `cargo xtask logs`: the function's recent log lines from CloudWatch Logs; `--follow`
//! keeps printing new ones until interrupted.

use std::collections::HashSet;
use std::time::Duration;

use anyhow::{anyhow, Result};
use serde_json::{json, Value};

use crate::clients::{describe_error, AwsArgs, Clients, OutputFormat};
use crate::stack_state;
use crate::ui::Ui;
use crate::Session;
use xtask_stacks::main_stack::outputs;
use xtask_stacks::stages::StageArgs;

#[derive(clap::Args, Debug)]
pub struct Logs {
    #[command(flatten)]
    pub stage: StageArgs,
    #[command(flatten)]
    pub aws: AwsArgs,
    /// How far back to start, in minutes.
    #[arg(long, default_value_t = 60)]
    pub since: u32,
    /// Keep printing new lines (every 2 s) until interrupted.
    #[arg(long)]
    pub follow: bool,
}

/// One log line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub id: String,
    /// Milliseconds since the epoch.
    pub timestamp: i64,
    pub stream: String,
    pub message: String,
}

impl Logs {
    pub fn run(self) -> Result<()> {
        let Session {
            ui,
            stage,
            rt,
            clients,
            ..
        } = Session::open(&self.stage, &self.aws, &[])?;
        rt.block_on(async {
            let group =
                stack_state::stage_output(&clients, &stage, outputs::LOG_GROUP_NAME).await?;
            let mut start = chrono::Utc::now().timestamp_millis() - i64::from(self.since) * 60_000;
            let mut seen = HashSet::new();
            if self.follow {
                ui.say(format!(
                    "following {group}: new lines appear as the function logs them (Ctrl-C \
                     stops)"
                ));
            }
            loop {
                let lines = read(&clients, &group, start, &mut seen).await?;
                for line in &lines {
                    print(&ui, line);
                    start = start.max(line.timestamp);
                }
                if !self.follow {
                    if lines.is_empty() {
                        ui.say(format!(
                            "no log lines in {group} in the last {} minutes",
                            self.since
                        ));
                    }
                    return Ok(());
                }
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
        })
    }
}

fn print(ui: &Ui, line: &Line) {
    if ui.format == OutputFormat::Json {
        let value: Value = json!({
            "timestamp": line.timestamp,
            "stream": line.stream,
            "message": line.message,
        });
        println!("{value}");
    } else {
        let time = chrono::DateTime::from_timestamp_millis(line.timestamp)
            .map(|t| t.format("%Y-%m-%d %H:%M:%S%.3f").to_string())
            .unwrap_or_default();
        println!("{time}  {}", line.message.trim_end());
    }
}

/// Lines of `group` from `start` (ms) on that are not in `seen`, oldest first.
pub async fn read(
    clients: &Clients,
    group: &str,
    start: i64,
    seen: &mut HashSet<String>,
) -> Result<Vec<Line>> {
    let mut lines = Vec::new();
    let mut token = None;
    loop {
        let out = clients
            .logs
            .filter_log_events()
            .log_group_name(group)
            .start_time(start)
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| anyhow!("cannot read log group {group}: {}", describe_error(&e)))?;
        for event in out.events() {
            let id = event.event_id().unwrap_or_default().to_owned();
            if !seen.insert(id.clone()) {
                continue;
            }
            lines.push(Line {
                id,
                timestamp: event.timestamp().unwrap_or_default(),
                stream: event.log_stream_name().unwrap_or_default().to_owned(),
                message: event.message().unwrap_or_default().to_owned(),
            });
        }
        token = out.next_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    lines.sort_by_key(|l| l.timestamp);
    Ok(lines)
}
