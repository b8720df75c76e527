//! The backfill after a deploy: when the stack was just created, its chart style
//! (`ChartStyle`) changed or its image (a release may draw differently), charts are due now,
//! not at the next daily run, so `deploy` runs the job once with `{"changed": true}` (unless
//! `--no-backfill`): it draws exactly the authors whose digest differs from the published
//! index's — everyone on a new stack, style or renderer, nobody when nothing differs. One
//! invocation of the function, or on a fan-out stage one execution of its state machine.
//! When, and saying why; the run itself is `invoke`'s.

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
    /// `ImageUri` changed: a new release, whose renderer may draw differently.
    ImageChanged,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Created => "the stack was just created, so no chart exists yet",
            Reason::StyleChanged => "the chart style changed, so every chart is redrawn in it",
            Reason::ImageChanged => {
                "the image changed, so the charts a new renderer draws differently are redrawn \
                 (none when it draws the same)"
            }
        }
    }
}

/// What an executed change set did that may call for a backfill.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Changed {
    /// It created the stack.
    pub stack: bool,
    /// It changed `ChartStyle`.
    pub style: bool,
    /// It changed `ImageUri`.
    pub image: bool,
}

impl Changed {
    /// Why a backfill is due, if it is (whether or not `--no-backfill` skips it).
    pub fn reason(self) -> Option<Reason> {
        if self.stack {
            Some(Reason::Created)
        } else if self.style {
            Some(Reason::StyleChanged)
        } else if self.image {
            Some(Reason::ImageChanged)
        } else {
            None
        }
    }
}

/// Whether (and why) a deploy that `executed` a change set that made `changed` backfills;
/// never with `--no-backfill` (`enabled` false) or without execution.
pub fn decide(executed: bool, changed: Changed, enabled: bool) -> Option<Reason> {
    if !executed || !enabled {
        return None;
    }
    changed.reason()
}

/// The event of the backfill: the window `changed`, which draws exactly the authors whose
/// charts' digest differs from the published index's (every one on a new stack, style or
/// renderer; none when nothing differs), so it never costs more than `{"all": true}`.
pub fn event() -> Value {
    json!({ "changed": true })
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
                 `cargo xtask invoke --stage {} --changed`",
                stage.name
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NEW_STACK: Changed = Changed {
        stack: true,
        style: false,
        image: false,
    };
    const NEW_STYLE: Changed = Changed {
        stack: false,
        style: true,
        image: false,
    };
    const NEW_IMAGE: Changed = Changed {
        stack: false,
        style: false,
        image: true,
    };

    #[test]
    fn a_new_stack_is_backfilled() {
        assert_eq!(decide(true, NEW_STACK, true), Some(Reason::Created));
        let everything = Changed {
            stack: true,
            style: true,
            image: true,
        };
        assert_eq!(decide(true, everything, true), Some(Reason::Created));
    }

    #[test]
    fn a_changed_style_is_backfilled() {
        assert_eq!(decide(true, NEW_STYLE, true), Some(Reason::StyleChanged));
    }

    #[test]
    fn a_changed_image_is_backfilled() {
        assert_eq!(decide(true, NEW_IMAGE, true), Some(Reason::ImageChanged));
    }

    #[test]
    fn an_update_that_keeps_the_style_and_the_image_is_not_backfilled() {
        assert_eq!(decide(true, Changed::default(), true), None);
    }

    #[test]
    fn no_backfill_without_execution_or_with_no_backfill() {
        // --no-execute (a plan), "no changes", or --no-backfill.
        assert_eq!(decide(false, NEW_STACK, true), None);
        assert_eq!(decide(true, NEW_STACK, false), None);
        assert_eq!(decide(true, NEW_IMAGE, false), None);
    }

    #[test]
    fn the_backfill_renders_exactly_the_changed_authors() {
        assert_eq!(event(), json!({"changed": true}));
    }
}
