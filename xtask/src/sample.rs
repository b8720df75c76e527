//! `cargo xtask sample`: write the built-in sample export (the `sample` crate) into a local
//! folder. Same flags and bytes as the job's former `author-stats sample`; `demo` and
//! `bench` call [`write`] directly.

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};
use chrono::{DateTime, Utc};
use sample::{SampleFiles, SampleSpec};

/// Flags of `cargo xtask sample` (defaults: [`SampleSpec::default`]).
#[derive(clap::Args, Debug)]
pub struct Sample {
    /// Local folder to write the two files into (created if missing).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Number of authors.
    #[arg(long, default_value_t = SampleSpec::default().authors)]
    authors: usize,
    /// Number of post lines.
    #[arg(long, default_value_t = SampleSpec::default().posts)]
    posts: usize,
    /// Random seed: the same seed gives the same bytes.
    #[arg(long, default_value_t = SampleSpec::default().seed)]
    seed: u64,
    /// Add every kind of bad record spec/data-spec.md names.
    #[arg(long)]
    dirty: bool,
    /// Mean post body length in bytes.
    #[arg(long, default_value_t = SampleSpec::default().body_bytes)]
    body_bytes: usize,
    /// Latest publication instant in the data set (RFC 3339 with an offset).
    #[arg(long, value_name = "TIMESTAMP", default_value = contract::defaults::SAMPLE_NOW, value_parser = parse_until)]
    until: DateTime<Utc>,
}

impl Sample {
    /// Write the files and print their paths.
    pub fn run(self) -> Result<()> {
        let spec = SampleSpec {
            authors: self.authors,
            posts: self.posts,
            seed: self.seed,
            dirty: self.dirty,
            body_bytes: self.body_bytes,
            until: self.until,
        };
        let files = write(&self.out, &spec)?;
        println!(
            "wrote {} and {}",
            files.posts.display(),
            files.authors.display()
        );
        Ok(())
    }
}

/// Write the sample of `spec` into the local folder `dir`; anything that looks like a URL
/// (`s3://…`) is refused rather than taken for a folder name.
pub fn write(dir: &Path, spec: &SampleSpec) -> Result<SampleFiles> {
    let text = dir.to_string_lossy();
    if text.contains("://") || text.starts_with("s3:") {
        bail!(
            "--out {text}: the sample is written to a local folder, not a URL; write it to a \
             folder and upload it (e.g. `aws s3 cp DIR s3://bucket/prefix/ --recursive`)"
        );
    }
    sample::write_sample(dir, spec)
}

fn parse_until(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("{text:?} is not a timestamp like 2025-11-25T00:00:00Z ({e})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_s3_url_is_refused_naming_the_fix() {
        let dir = tempfile::tempdir().unwrap();
        std::env::set_current_dir(dir.path()).unwrap();
        let error = write(Path::new("s3://bucket/prefix"), &SampleSpec::default()).unwrap_err();
        let message = format!("{error:#}");
        assert!(message.contains("local folder"), "{message}");
        assert!(
            !dir.path().join("s3:").exists(),
            "no folder named s3: is made"
        );
    }
}
