//! The output folders of one `cargo xtask bench`, under `target/bench/out/`: each measured
//! run writes into a folder of its own that nothing was deleted from just before.
//!
//! Why: on an ext4 file system without a journal (the root of the VMs this project is built
//! on), allocating an inode skips, one lookup at a time, every inode of its block group freed
//! in the last one to six minutes (`recently_deleted` in the kernel's `ialloc.c`). A
//! backfill (5,186 new files) in a group where an earlier output had just been deleted spent
//! 2–3.7 s of system time on that alone, more than the rendering's wall time (3.3 s of user
//! time). So `out/` carries ext4's "top of a directory hierarchy" flag (`chattr +T`): each
//! run's folder is then placed in a block group of its own by the Orlov allocator, as a new
//! output folder of a real deployment would be, instead of beside the inodes just freed.
//! The folders of an earlier bench are moved aside at the start and deleted, with this
//! bench's own folders, when the measurements are over.

use std::cell::Cell;
use std::fs;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use anyhow::{Context, Result};

use xtask_support::shell::project_root;

pub(crate) struct Outputs {
    root: PathBuf,
    used: Cell<u32>,
}

impl Outputs {
    /// Move an earlier bench's `target/bench/out/` aside (deleted in [`Outputs::clean_up`]).
    pub(crate) fn new() -> Result<Self> {
        let bench = project_root().join("target/bench");
        let root = bench.join("out");
        let old = bench.join(format!("out.old-{}", std::process::id()));
        if root.exists() {
            fs::rename(&root, &old)
                .with_context(|| format!("cannot move {} aside", root.display()))?;
        }
        fs::create_dir_all(&root).with_context(|| format!("cannot create {}", root.display()))?;
        // Best effort: other file systems (tmpfs, btrfs, …) and machines without e2fsprogs
        // do not need or cannot take the flag, and measure the same without it.
        let _ = Command::new("chattr")
            .arg("+T")
            .arg(&root)
            .stderr(Stdio::null())
            .status();
        Ok(Outputs {
            root,
            used: Cell::new(0),
        })
    }

    /// A folder for one run, not created yet: `out/<NN>-<what>`.
    pub(crate) fn fresh(&self, what: &str) -> PathBuf {
        let n = self.used.get() + 1;
        self.used.set(n);
        self.root.join(format!("{n:02}-{what}"))
    }

    /// Delete every output of this bench and of earlier ones (they can be gigabytes),
    /// including those a failed bench moved aside and never deleted.
    pub(crate) fn clean_up(self) -> Result<()> {
        let bench = self.root.parent().expect("out/ is in target/bench/");
        let mut dirs = vec![self.root.clone()];
        for entry in fs::read_dir(bench)?.flatten() {
            if entry.file_name().to_string_lossy().starts_with("out.old-") {
                dirs.push(entry.path());
            }
        }
        for dir in &dirs {
            match fs::remove_dir_all(dir) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(e).with_context(|| format!("cannot delete {}", dir.display()))
                }
                _ => {}
            }
        }
        Ok(())
    }
}
