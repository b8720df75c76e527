//! `LocalStore`: a folder on disk. Files are written to a new temporary file (created
//! exclusively, under an unpredictable name, so a planted link is never written through)
//! and renamed over the old name, so a reader never sees half a file and a link there is
//! replaced, not followed; charts whose identical bytes are on disk are left alone (size
//! first, then a chunked comparison: an old file is never read whole); only regular files
//! are read; the charts reach the disk before `index.json` is written (one `syncfs` for all
//! of them on Linux, an fsync per file elsewhere); after `index.json`, the files the
//! published index recorded for departed authors are unlinked.

use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::sync_channel;
use std::sync::Mutex;

use anyhow::{bail, Context, Result};

use super::{author_file_slug, Chart, IndexSource, Publication, Published, RunFiles, Store};
use crate::previous_index::MAX_INDEX_BYTES;
use crate::regular_file::{self, describe, Links, Opened};
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

    /// Make (or find) the folders of `run`'s file `name`, each a real folder, never a link.
    fn make_folders(&self, run: &str, name: &str) -> io::Result<()> {
        if let Some(out) = self.dir.parent() {
            fs::create_dir_all(out)?;
        }
        let mut folder = self.dir.clone();
        real_folder(&folder)?;
        folder.push(run);
        real_folder(&folder)?;
        let mut parts: Vec<&str> = name.split('/').collect();
        parts.pop();
        for part in parts {
            folder.push(part);
            real_folder(&folder)?;
        }
        Ok(())
    }
}

/// Create the folder `path`, or check that what is there is a folder and not a link.
fn real_folder(path: &Path) -> io::Result<()> {
    match fs::create_dir(path) {
        Ok(()) => return Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e),
    }
    let metadata = fs::symlink_metadata(path)?;
    if metadata.is_dir() {
        Ok(())
    } else {
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "{} is {}, where the job keeps a folder of its own",
                path.display(),
                describe(&metadata.file_type())
            ),
        ))
    }
}

impl RunFiles for LocalRunFiles {
    fn location(&self, run: &str) -> String {
        format!("{}/", self.dir.join(run).display())
    }

    fn put(&self, run: &str, name: &str, bytes: &[u8]) -> Result<()> {
        let path = self.path(run, name);
        self.make_folders(run, name)
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
        let read = || -> io::Result<Option<Vec<u8>>> {
            let (file, len) = match regular_file::open(&path, Links::Never)? {
                Opened::File(file, len) => (file, len),
                Opened::Missing => return Ok(None),
                Opened::Link => {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidInput,
                        "it is a symbolic link, which the job never follows",
                    ))
                }
            };
            if len > MAX_INDEX_BYTES {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("it is {len} bytes, more than any working file the job writes"),
                ));
            }
            let mut bytes = Vec::with_capacity(len as usize);
            file.take(MAX_INDEX_BYTES).read_to_end(&mut bytes)?;
            Ok(Some(bytes))
        };
        read().with_context(|| {
            format!(
                "{}: cannot read the run's working file — run `count` again",
                path.display()
            )
        })
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

/// Write `bytes` to `path` through a new temporary file in the same folder and a rename.
/// The temporary file is created with `O_CREAT | O_EXCL` under a random name (`tempfile`),
/// so a link planted at any name is never written through; the rename replaces whatever
/// is at `path` (a link included) and follows nothing.
fn write_atomically(path: &Path, bytes: &[u8], durable: Durable) -> io::Result<()> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let mut builder = tempfile::Builder::new();
    // Slugs never start with '.', so the temporary name cannot be another chart's.
    let prefix = format!(".{name}.");
    builder.prefix(&prefix).suffix(".tmp");
    #[cfg(unix)]
    {
        // As `File::create` would: readable by all, less the umask.
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(fs::Permissions::from_mode(0o666));
    }
    let mut tmp = builder.tempfile_in(folder)?;
    tmp.write_all(bytes)?;
    if durable == Durable::Now || !cfg!(target_os = "linux") {
        tmp.as_file().sync_data()?;
    }
    // On failure the temporary file is deleted when dropped.
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Whether `path` is a regular file holding exactly `bytes`: its size first, then its
/// bytes a chunk at a time, so an old file of any size costs no memory and is read at
/// most as far as `bytes` go. A link holds nothing (it is replaced, never followed); a
/// FIFO, socket, device or folder is an error saying which, found without blocking.
fn holds(path: &Path, bytes: &[u8]) -> io::Result<bool> {
    let mut file = match regular_file::open(path, Links::Never)? {
        Opened::File(file, len) if len == bytes.len() as u64 => file,
        Opened::File(..) | Opened::Missing | Opened::Link => return Ok(false),
    };
    let mut chunk = [0u8; 16 * 1024];
    let mut at = 0;
    loop {
        let n = file.read(&mut chunk)?;
        if n == 0 {
            return Ok(at == bytes.len());
        }
        if at + n > bytes.len() || chunk[..n] != bytes[at..at + n] {
            return Ok(false);
        }
        at += n;
    }
}

/// The advice after something other than a regular file was found where the job writes.
const ONLY_REGULAR_FILES: &str = "the job reads and writes only regular files in the output \
    folder (a link there is replaced, never followed) — remove it, or choose another --out";

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

    fn get_index(&self) -> Result<IndexSource<'_>> {
        let path = self.dir.join(INDEX_FILE);
        match regular_file::open(&path, Links::Never) {
            Ok(Opened::File(file, len)) => Ok(IndexSource::Stream {
                len,
                reader: Box::new(file),
            }),
            Ok(Opened::Missing) => Ok(IndexSource::Absent),
            Ok(Opened::Link) => Ok(IndexSource::Unusable(
                "it is a symbolic link, which the job never follows; this run replaces it \
                 with a file"
                    .to_owned(),
            )),
            Err(e) if e.kind() == io::ErrorKind::InvalidInput => {
                bail!("{}: {e}; {ONLY_REGULAR_FILES}", path.display())
            }
            Err(e) => Err(e).with_context(|| {
                format!(
                    "{}: cannot read the published listing (the publish guards compare with it) — \
                     check the folder's permissions or choose another --out",
                    path.display()
                )
            }),
        }
    }

    fn check_targets(&self, will_write: &dyn Fn(&str) -> bool) -> Result<()> {
        let entries = match fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => {
                return Err(e).with_context(|| {
                    format!(
                        "output folder {}: cannot list it — check its permissions or choose \
                         another --out",
                        self.dir.display()
                    )
                })
            }
        };
        for entry in entries {
            let entry = entry.with_context(|| format!("listing {}", self.dir.display()))?;
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            let file_type = entry
                .file_type()
                .with_context(|| format!("{}", entry.path().display()))?;
            if file_type.is_file() || file_type.is_symlink() || !will_write(&name) {
                continue;
            }
            bail!(
                "{}: it is {}, where this run must write a file, so nothing was written; {}",
                entry.path().display(),
                describe(&file_type),
                ONLY_REGULAR_FILES
            );
        }
        Ok(())
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
        let results: Mutex<Vec<Written>> = Mutex::new(Vec::new());
        let (tx, rx) = sync_channel::<Chart>(WRITERS);
        let rx = Mutex::new(rx);
        let mut taken = 0;
        std::thread::scope(|scope| -> Result<()> {
            for _ in 0..WRITERS {
                scope.spawn(|| loop {
                    let next = rx.lock().expect("writer queue").recv();
                    let Ok(chart) = next else { return };
                    let written = write_chart(dir, &chart);
                    if written.result.is_err() {
                        failed_flag.store(true, Ordering::SeqCst);
                    }
                    on_done();
                    results.lock().expect("results").push(written);
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
            .filter_map(|w| w.result.as_ref().err())
            .collect();
        let unchanged = results
            .iter()
            .filter(|w| w.files == 0 && w.result.is_ok())
            .count();
        let written = results.len() - unchanged - failed.len();
        // Files, not authors: an author whose third file failed had two replaced.
        let replaced: usize = results.iter().map(|w| w.files).sum();
        if replaced > 0 {
            sync_folder(dir).with_context(|| {
                format!(
                    "output folder {}: {replaced} files were written but cannot be flushed to \
                     the disk; index.json was not written (it still lists the previous run's \
                     charts) — check the disk and run again",
                    dir.display()
                )
            })?;
        }
        if !failed.is_empty() {
            bail!(
                "{} of the {taken} authors handed to the writer could not be written ({}); \
                 {replaced} files were replaced, index.json was not written (it still lists the \
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

    fn holds_file(&self, name: &str) -> bool {
        fs::symlink_metadata(self.store.dir.join(name)).is_ok_and(|m| !m.is_dir())
    }

    fn remove(&mut self, names: &[String]) -> Result<usize> {
        let dir = &self.store.dir;
        let mut removed = 0;
        let mut failed = Vec::new();
        for name in names {
            // Only a per-author file name (no folder, no `index.json`), never a folder.
            if author_file_slug(name).is_none() {
                continue;
            }
            let path = dir.join(name);
            let result = match fs::symlink_metadata(&path) {
                Ok(metadata) if metadata.is_dir() => continue,
                Ok(_) => fs::remove_file(&path),
                Err(e) => Err(e),
            };
            match result {
                Ok(()) => removed += 1,
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => failed.push(format!("{}: {e}", path.display())),
            }
        }
        if !failed.is_empty() {
            bail!(
                "index.json was written and {removed} files of authors no longer listed were \
                 removed, but {} could not be ({}) — fix the folder's permissions; the next run \
                 removes them (index.json lists them under removed_files)",
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

/// What writing one author's files did.
struct Written {
    /// Files written (not already there with the same bytes), also when a later one failed.
    files: usize,
    result: Result<(), String>,
}

/// Write the files of `chart` into `dir` that do not already hold their bytes, in order;
/// stop at the first failure.
fn write_chart(dir: &Path, chart: &Chart) -> Written {
    let mut files = 0;
    for file in &chart.files {
        let path = dir.join(&file.name);
        let result = match holds(&path, &file.bytes) {
            Ok(true) => continue,
            Ok(false) => write_atomically(&path, &file.bytes, Durable::AtSync),
            Err(e) if e.kind() == io::ErrorKind::InvalidInput => {
                Err(io::Error::other(format!("{e}; {ONLY_REGULAR_FILES}")))
            }
            Err(e) => Err(e),
        };
        match result {
            Ok(()) => files += 1,
            Err(e) => {
                return Written {
                    files,
                    result: Err(format!("{}: {e}", path.display())),
                }
            }
        }
    }
    Written {
        files,
        result: Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::publish::AuthorFile;
    use crate::slug::Slug;

    fn chart(names: &[&str]) -> Chart {
        Chart {
            slug: Slug::parse("alice").unwrap(),
            files: names
                .iter()
                .map(|name| AuthorFile {
                    name: (*name).to_owned(),
                    bytes: name.as_bytes().to_vec(),
                    content_type: "image/png",
                })
                .collect(),
        }
    }

    #[test]
    fn a_failure_at_an_authors_third_file_counts_the_two_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::new(dir.path());
        // Something only a race past the run's own check could leave there.
        std::fs::create_dir(dir.path().join("alice.svg")).unwrap();
        let mut publication = store.open().unwrap();
        let files = [
            "alice.png",
            "alice.dark.png",
            "alice.svg",
            "alice.stats.json",
        ];
        let e = publication
            .put_charts(&mut std::iter::once(chart(&files)), &|| {})
            .unwrap_err()
            .to_string();
        assert!(e.contains("2 files were replaced"), "{e}");
        assert!(e.contains("alice.svg: it is a folder"), "{e}");
        assert_eq!(
            std::fs::read(dir.path().join("alice.png")).unwrap(),
            b"alice.png"
        );
    }

    #[test]
    fn files_already_holding_the_bytes_are_not_written_again() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::new(dir.path());
        let mut publication = store.open().unwrap();
        let files = ["alice.png", "alice.stats.json"];
        let first = publication
            .put_charts(&mut std::iter::once(chart(&files)), &|| {})
            .unwrap();
        assert_eq!((first.written, first.unchanged), (1, 0));
        let again = publication
            .put_charts(&mut std::iter::once(chart(&files)), &|| {})
            .unwrap();
        assert_eq!((again.written, again.unchanged), (0, 1));
        // Same length, other bytes: compared, found different, replaced.
        std::fs::write(dir.path().join("alice.png"), b"alice.PNG").unwrap();
        let changed = publication
            .put_charts(&mut std::iter::once(chart(&files)), &|| {})
            .unwrap();
        assert_eq!((changed.written, changed.unchanged), (1, 0));
    }

    #[test]
    fn temporary_files_are_hidden_and_gone_after_the_rename() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("index.json");
        write_atomically(&path, b"{}", Durable::Now).unwrap();
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names, ["index.json"]);
    }

    #[test]
    fn removal_deletes_only_per_author_names_and_never_a_folder() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["gone.png", "notes.txt", "index.json"] {
            std::fs::write(dir.path().join(name), b"x").unwrap();
        }
        std::fs::create_dir(dir.path().join("gone.svg")).unwrap();
        let store = LocalStore::new(dir.path());
        let mut publication = store.open().unwrap();
        let names = [
            "gone.png",
            "gone.svg",
            "gone.stats.json",
            "notes.txt",
            "index.json",
        ]
        .map(String::from);
        assert_eq!(publication.remove(&names).unwrap(), 1);
        assert!(dir.path().join("notes.txt").exists() && dir.path().join("index.json").exists());
        assert!(dir.path().join("gone.svg").is_dir());
    }
}
