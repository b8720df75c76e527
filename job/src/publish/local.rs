//! `LocalStore`: a folder on disk. Files are written to a temporary name and renamed, so a
//! reader never sees half a file; charts with identical bytes on disk are left alone.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use rayon::prelude::*;

use super::{Chart, Published, Store};
use contract::files::INDEX_FILE;

pub struct LocalStore {
    dir: PathBuf,
}

impl LocalStore {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        LocalStore { dir: dir.into() }
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

/// Write `bytes` to `path` through a temporary file in the same folder and a rename.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    // Slugs never start with '.', so the temporary name cannot be another chart's.
    let tmp = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut file = fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_data()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

impl Store for LocalStore {
    fn location(&self) -> String {
        format!("{}/", self.dir.display())
    }

    fn put_charts(&self, charts: &[Chart], on_done: &(dyn Fn() + Sync)) -> Result<Published> {
        self.ensure_dir()?;
        let results: Vec<(bool, Result<(), String>)> = charts
            .par_iter()
            .map(|chart| {
                let path = self.dir.join(chart.slug.chart_file_name());
                let same = fs::read(&path).is_ok_and(|old| old == chart.png);
                let result = if same {
                    Ok(())
                } else {
                    write_atomically(&path, &chart.png)
                        .map_err(|e| format!("{}: {e}", path.display()))
                };
                on_done();
                (same, result)
            })
            .collect();
        let failed: Vec<String> = results
            .iter()
            .filter_map(|(_, r)| r.clone().err())
            .collect();
        if !failed.is_empty() {
            anyhow::bail!(
                "{} of {} charts could not be written ({}); index.json was not written — fix the folder and run again",
                failed.len(),
                charts.len(),
                failed.iter().take(5).cloned().collect::<Vec<_>>().join("; ")
            );
        }
        let unchanged = results.iter().filter(|(same, _)| *same).count();
        Ok(Published {
            written: charts.len() - unchanged,
            unchanged,
        })
    }

    fn put_index(&self, json: &[u8]) -> Result<()> {
        self.ensure_dir()?;
        let path = self.dir.join(INDEX_FILE);
        write_atomically(&path, json)
            .with_context(|| format!("{}: cannot write it", path.display()))
    }
}
