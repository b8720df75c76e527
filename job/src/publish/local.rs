//! `LocalStore`: a folder on disk. Files are written to a temporary name and renamed, so a
//! reader never sees half a file; charts with identical bytes on disk are left alone; the
//! charts reach the disk before `index.json` is written (one `syncfs` for all of them on
//! Linux, an fsync per file elsewhere); after `index.json`, the files of authors no longer
//! listed are unlinked.

use std::collections::BTreeSet;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::sync_channel;
use std::sync::Mutex;

use anyhow::{Context, Result};

use super::{author_file_slug, Chart, Publication, Published, RunFiles, Store};
use contract::files::INDEX_FILE;

/// Threads writing charts, overlapping the renderers (seed backfill on 2 cores: 1, 2 and 4
/// writers measured within noise of each other, 4 the fastest by a little).
const WRITERS: usize = 4;
/// How many failures an error message names.
const LISTED_FAILURES: usize = 5;

pub struct LocalStore {
    dir: PathBuf,
    runs: LocalRunFiles,
}

/// Fan-out working files in `<dir>/.runs/<run>/` (hidden: no slug starts with `.`, and
/// removal never looks into sub-folders).
struct LocalRunFiles {
    dir: PathBuf,
}

impl LocalRunFiles {
    fn path(&self, run: &str, name: &str) -> PathBuf {
        self.dir.join(run).join(name)
    }
}

impl RunFiles for LocalRunFiles {
    fn location(&self, run: &str) -> String {
        format!("{}/", self.dir.join(run).display())
    }

    fn put(&self, run: &str, name: &str, bytes: &[u8]) -> Result<()> {
        let path = self.path(run, name);
        let parent = path.parent().expect("run files are in a folder");
        fs::create_dir_all(parent)
            .and_then(|()| write_atomically(&path, bytes, Durable::Now))
            .with_context(|| {
                format!(
                    "{}: cannot write the run's working file — check the folder's permissions",
                    path.display()
                )
            })
    }

    fn get(&self, run: &str, name: &str) -> Result<Option<Vec<u8>>> {
        let path = self.path(run, name);
        match fs::read(&path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).with_context(|| format!("{}: cannot read it", path.display())),
        }
    }

    fn delete_run(&self, run: &str) -> Result<usize> {
        let dir = self.dir.join(run);
        let mut count = 0;
        let mut stack = vec![dir.clone()];
        while let Some(folder) = stack.pop() {
            let entries = match fs::read_dir(&folder) {
                Ok(entries) => entries,
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e).with_context(|| format!("{}", folder.display())),
            };
            for entry in entries {
                let entry = entry?;
                if entry.file_type()?.is_dir() {
                    stack.push(entry.path());
                } else {
                    count += 1;
                }
            }
        }
        match fs::remove_dir_all(&dir) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => {
                Err(e).with_context(|| format!("{}: cannot remove the run's folder", dir.display()))
            }
            _ => {
                // The `.runs` folder itself goes when its last run does.
                let _ = fs::remove_dir(&self.dir);
                Ok(count)
            }
        }
    }
}

impl LocalStore {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        let dir = dir.into();
        let runs = LocalRunFiles {
            dir: dir.join(".runs"),
        };
        LocalStore { dir, runs }
    }

    fn ensure_dir(&self) -> Result<()> {
        fs::create_dir_all(&self.dir).with_context(|| {
            format!(
                "output folder {}: cannot create it — choose a writable --out",
                self.dir.display()
            )
        })
    }
}

/// When a file written by [`write_atomically`] must be on the disk.
#[derive(Clone, Copy, PartialEq)]
enum Durable {
    /// Before the call returns (an fsync of the file).
    Now,
    /// At the next [`sync_folder`]: one flush for a whole publish instead of one per chart.
    AtSync,
}

/// Write `bytes` to `path` through a temporary file in the same folder and a rename.
fn write_atomically(path: &Path, bytes: &[u8], durable: Durable) -> io::Result<()> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    // Slugs never start with '.', so the temporary name cannot be another chart's.
    let tmp = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut file = fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        if durable == Durable::Now || !cfg!(target_os = "linux") {
            file.sync_data()?;
        }
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Flush every file written with [`Durable::AtSync`] in `dir` to the disk: `syncfs` on
/// Linux (one flush of the file system, however many charts); elsewhere those writes were
/// synced one by one already.
fn sync_folder(dir: &Path) -> io::Result<()> {
    #[cfg(target_os = "linux")]
    rustix::fs::syncfs(fs::File::open(dir)?)?;
    #[cfg(not(target_os = "linux"))]
    let _ = dir;
    Ok(())
}

impl Store for LocalStore {
    fn location(&self) -> String {
        format!("{}/", self.dir.display())
    }

    fn get_index(&self) -> Result<Option<Vec<u8>>> {
        let path = self.dir.join(INDEX_FILE);
        match fs::read(&path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).with_context(|| {
                format!(
                    "{}: cannot read the published listing (the publish guards compare with it) — \
                     check the folder's permissions or choose another --out",
                    path.display()
                )
            }),
        }
    }

    fn open(&self) -> Result<Box<dyn Publication + '_>> {
        Ok(Box::new(LocalPublication { store: self }))
    }

    fn run_files(&self) -> &dyn RunFiles {
        &self.runs
    }
}

struct LocalPublication<'s> {
    store: &'s LocalStore,
}

impl Publication for LocalPublication<'_> {
    fn put_charts(
        &mut self,
        charts: &mut dyn Iterator<Item = Chart>,
        on_done: &(dyn Fn() + Sync),
    ) -> Result<Published> {
        let dir = &self.store.dir;
        let mut created = false;
        let failed_flag = AtomicBool::new(false);
        let results: Mutex<Vec<(bool, Result<(), String>)>> = Mutex::new(Vec::new());
        let (tx, rx) = sync_channel::<Chart>(WRITERS);
        let rx = Mutex::new(rx);
        let mut taken = 0;
        std::thread::scope(|scope| -> Result<()> {
            for _ in 0..WRITERS {
                scope.spawn(|| loop {
                    let next = rx.lock().expect("writer queue").recv();
                    let Ok(chart) = next else { return };
                    let mut same = true;
                    let mut result = Ok(());
                    for file in &chart.files {
                        let path = dir.join(&file.name);
                        if fs::read(&path).is_ok_and(|old| old == file.bytes) {
                            continue;
                        }
                        same = false;
                        result = write_atomically(&path, &file.bytes, Durable::AtSync)
                            .map_err(|e| format!("{}: {e}", path.display()));
                        if result.is_err() {
                            break;
                        }
                    }
                    if result.is_err() {
                        failed_flag.store(true, Ordering::SeqCst);
                    }
                    on_done();
                    results.lock().expect("results").push((same, result));
                });
            }
            let mut outcome = Ok(());
            for chart in charts {
                if !created {
                    // The folder is made when the first file is written (never in a dry run).
                    if let Err(e) = self.store.ensure_dir() {
                        outcome = Err(e);
                        break;
                    }
                    created = true;
                }
                if failed_flag.load(Ordering::SeqCst) || tx.send(chart).is_err() {
                    break;
                }
                taken += 1;
            }
            drop(tx);
            outcome
        })?;
        let results = results.into_inner().expect("results");
        let failed: Vec<&String> = results
            .iter()
            .filter_map(|(_, r)| r.as_ref().err())
            .collect();
        let unchanged = results
            .iter()
            .filter(|(same, r)| *same && r.is_ok())
            .count();
        let written = results.len() - unchanged - failed.len();
        if written > 0 {
            sync_folder(dir).with_context(|| {
                format!(
                    "output folder {}: {written} charts were written but cannot be flushed to \
                     the disk; index.json was not written (it still lists the previous run's \
                     charts) — check the disk and run again",
                    dir.display()
                )
            })?;
        }
        if !failed.is_empty() {
            anyhow::bail!(
                "{} of the {taken} charts handed to the writer could not be written ({}); \
                 {written} charts were replaced, index.json was not written (it still lists the \
                 previous run's charts) — fix the folder and run again, which converges",
                failed.len(),
                failed
                    .iter()
                    .take(LISTED_FAILURES)
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join("; ")
            );
        }
        Ok(Published {
            written,
            unchanged,
            refreshed: 0,
        })
    }

    fn put_index(&mut self, json: &[u8]) -> Result<()> {
        self.store.ensure_dir()?;
        let path = self.store.dir.join(INDEX_FILE);
        write_atomically(&path, json, Durable::Now)
            .with_context(|| format!("{}: cannot write it", path.display()))
    }

    fn remove_unlisted(&mut self, listed: &BTreeSet<&str>) -> Result<usize> {
        let dir = &self.store.dir;
        let entries = match fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
            Err(e) => {
                return Err(e).with_context(|| {
                    format!(
                        "output folder {}: index.json was written but the folder cannot be \
                         listed to remove the charts of authors no longer listed — fix its \
                         permissions; the next run removes them",
                        dir.display()
                    )
                })
            }
        };
        let mut removed = 0;
        let mut failed = Vec::new();
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(slug) = name.to_str().and_then(author_file_slug) else {
                continue;
            };
            // Only files (or links), never a folder that happens to be called `x.png`.
            if entry.file_type().is_ok_and(|t| t.is_dir()) || listed.contains(slug.as_str()) {
                continue;
            }
            match fs::remove_file(entry.path()) {
                Ok(()) => removed += 1,
                Err(e) => failed.push(format!("{}: {e}", entry.path().display())),
            }
        }
        if !failed.is_empty() {
            anyhow::bail!(
                "index.json was written and {removed} files of authors no longer listed were \
                 removed, but {} could not be ({}) — fix the folder's permissions; the next run \
                 removes them",
                failed.len(),
                failed
                    .iter()
                    .take(LISTED_FAILURES)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join("; ")
            );
        }
        Ok(removed)
    }
}
