//! The backfill after a deploy: when the stack was just created, or its chart style
//! (`ChartStyle`) changed, every listed author needs a chart drawn now, not at the next
//! scheduled run, so `deploy` runs the job once with `{"all": true}` (unless
//! `--no-backfill`): one invocation of the function, or on a fan-out stage one execution of
//! its state machine. When, and saying why; the run itself is `invoke`'s.

use anyhow::Result;
use serde_json::{json, Value};

use crate::clients::Clients;
use crate::invoke::{self, Origin};
use crate::ui::Ui;
use xtask_stacks::stages::Stage;

/// Why a deploy backfills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// The stack did not exist before: no chart exists yet.
    Created,
    /// `ChartStyle` changed: every chart is drawn in the new style.
    StyleChanged,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Created => "the stack was just created, so no chart exists yet",
            Reason::StyleChanged => "the chart style changed, so every chart is redrawn in it",
        }
    }
}

/// Whether (and why) a deploy that `executed` a change set, `created` the stack or changed
/// the style, backfills; never with `--no-backfill` (`enabled` false) or without execution.
pub fn decide(executed: bool, created: bool, style_changed: bool, enabled: bool) -> Option<Reason> {
    if !executed || !enabled {
        return None;
    }
    if created {
        Some(Reason::Created)
    } else if style_changed {
        Some(Reason::StyleChanged)
    } else {
        None
    }
}

/// The event of the backfill: every listed author, whatever the age of their posts.
pub fn event() -> Value {
    json!({ "all": true })
}

/// Runs the job once with [`event`] as `invoke` does (polling a fan-out execution from
/// `poll` on), saying why; the run's summary. A failure says that the stack is deployed and
/// how to run the backfill again.
pub async fn run(
    clients: &Clients,
    stage: &Stage,
    reason: Reason,
    poll: std::time::Duration,
    ui: &Ui,
) -> Result<Value> {
    ui.say(format!(
        "backfill: running the job once with {} because {} (--no-backfill skips this)",
        event(),
        reason.as_str()
    ));
    invoke::invoke(clients, stage, event(), Origin::Backfill, poll, ui)
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "the stack is deployed, but the backfill run failed: {e:#}; run it again with \
                 `cargo xtask invoke --stage {} --all`",
                stage.name
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_stack_is_backfilled() {
        assert_eq!(decide(true, true, false, true), Some(Reason::Created));
        assert_eq!(decide(true, true, true, true), Some(Reason::Created));
    }

    #[test]
    fn a_changed_style_is_backfilled() {
        assert_eq!(decide(true, false, true, true), Some(Reason::StyleChanged));
    }

    #[test]
    fn an_update_that_keeps_the_style_is_not_backfilled() {
        assert_eq!(decide(true, false, false, true), None);
    }

    #[test]
    fn no_backfill_without_execution_or_with_no_backfill() {
        // --no-execute (a plan), "no changes", or --no-backfill.
        assert_eq!(decide(false, true, true, true), None);
        assert_eq!(decide(true, true, true, false), None);
    }

    #[test]
    fn the_backfill_renders_every_listed_author() {
        assert_eq!(event(), json!({"all": true}));
    }
}
