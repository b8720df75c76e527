//! Watching the style file for `--watch`: its folder is watched with `notify` (so an editor
//! that saves by writing a new file and renaming it over the old one is seen too), events
//! for other names and mere reads are ignored, and a burst of events (truncate, write,
//! rename) settles for [`SETTLE`] before one redraw.

use std::ffi::OsString;
use std::path::Path;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use notify::event::{AccessKind, AccessMode};
use notify::{Event, EventKind, RecursiveMode, Watcher as _};

/// Quiet time after the last event before a redraw: an editor's save is one burst.
pub const SETTLE: Duration = Duration::from_millis(80);

/// A watch on one file, set up before the first drawing so that no save is missed.
pub struct Watch {
    name: OsString,
    events: Receiver<notify::Result<Event>>,
    // Dropping it ends the watch.
    _watcher: notify::RecommendedWatcher,
}

impl Watch {
    /// Start watching `style`'s folder for events about `style`.
    pub fn new(style: &Path) -> Result<Watch> {
        let name = style
            .file_name()
            .with_context(|| format!("{} names no file to watch", style.display()))?
            .to_owned();
        let folder = match style.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
            _ => Path::new(".").to_owned(),
        };
        let (tx, events) = mpsc::channel();
        let mut watcher = notify::recommended_watcher(tx).context("cannot start watching files")?;
        watcher
            .watch(&folder, RecursiveMode::NonRecursive)
            .with_context(|| format!("cannot watch {}", folder.display()))?;
        Ok(Watch {
            name,
            events,
            _watcher: watcher,
        })
    }

    /// Whether `event` may have changed the file: not a mere read, and about its name (an
    /// error of the watch itself, e.g. an overflowed queue, counts: redraw to be sure).
    fn concerns(&self, event: &notify::Result<Event>) -> bool {
        match event {
            Err(_) => true,
            Ok(event) => {
                let read = matches!(event.kind,
                    EventKind::Access(kind) if kind != AccessKind::Close(AccessMode::Write));
                !read
                    && event
                        .paths
                        .iter()
                        .any(|p| p.file_name() == Some(self.name.as_os_str()))
            }
        }
    }

    /// Call `redraw` after each save (once its burst of events has settled), forever;
    /// returns only when the watch itself fails.
    pub fn run(self, mut redraw: impl FnMut()) -> Result<()> {
        loop {
            let event = self
                .events
                .recv()
                .map_err(|_| anyhow!("the file watcher stopped"))?;
            if !self.concerns(&event) {
                continue;
            }
            loop {
                match self.events.recv_timeout(SETTLE) {
                    Ok(_) => continue,
                    Err(RecvTimeoutError::Timeout) => break,
                    Err(RecvTimeoutError::Disconnected) => bail!("the file watcher stopped"),
                }
            }
            redraw();
        }
    }
}
