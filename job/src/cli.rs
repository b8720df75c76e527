//! Command-line interface (clap): `run` the batch on files, or write the built-in `sample`.
//! Parses and validates options, then hands over to `run` / `sample`.

use std::path::PathBuf;

use anyhow::Result;
use chrono_tz::Tz;
use clap::{Parser, Subcommand};

use crate::env;
use crate::ingest::Source;
use crate::progress::Progress;
use crate::publish::LocalStore;
use crate::run::{self, RunConfig};
use crate::sample::{self, SampleSpec};
use crate::timestamp::Instant;

#[derive(Parser, Debug)]
#[command(
    name = "author-stats",
    version,
    about = "Per-author monthly post charts from a blog export"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Read the export, count posts per author and month, write charts and index.json.
    Run(RunArgs),
    /// Write a realistic built-in sample export (same seed, same bytes).
    Sample(SampleArgs),
}

#[derive(clap::Args, Debug)]
pub struct RunArgs {
    /// Posts export (all-blog-posts.jsonl.gz).
    #[arg(long, value_name = "FILE")]
    pub posts: PathBuf,
    /// Author master (authorProfile.jsonl.gz).
    #[arg(long, value_name = "FILE")]
    pub authors: PathBuf,
    /// Output folder; created if missing. Nothing in it is deleted.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Length of the active window in days (≥ 1).
    #[arg(long, value_name = "N", default_value_t = env::DEFAULT_ACTIVE_DAYS, value_parser = run::parse_days, allow_hyphen_values = true)]
    pub days: u32,
    /// The run's "now" [default: the current time].
    #[arg(long, value_name = "TIMESTAMP", value_parser = run::parse_now, allow_hyphen_values = true)]
    pub now: Option<Instant>,
    /// IANA time zone whose calendar months are counted.
    #[arg(long, value_name = "ZONE", default_value = env::DEFAULT_TIME_ZONE, value_parser = run::parse_tz)]
    pub tz: Tz,
    /// Compute and report, write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(clap::Args, Debug)]
pub struct SampleArgs {
    /// Folder to write the two files into.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Number of authors.
    #[arg(long, default_value_t = 300)]
    pub authors: usize,
    /// Number of post lines.
    #[arg(long, default_value_t = 12_000)]
    pub posts: usize,
    /// Random seed: the same seed gives the same bytes.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Add every kind of bad record the contract names.
    #[arg(long)]
    pub dirty: bool,
    /// Mean post body length in bytes.
    #[arg(long, default_value_t = 3000)]
    pub body_bytes: usize,
    /// Latest publication instant in the data set.
    #[arg(long, value_name = "TIMESTAMP", default_value = "2025-11-25T00:00:00Z", value_parser = run::parse_now)]
    pub until: Instant,
}

impl RunArgs {
    pub fn execute(self) -> Result<()> {
        let config = RunConfig {
            days: self.days,
            now: self.now.unwrap_or_else(Instant::now),
            tz: self.tz,
            dry_run: self.dry_run,
        };
        let posts = Source::open_file("posts", &self.posts)?;
        let authors = Source::open_file("authors", &self.authors)?;
        let store = LocalStore::new(&self.out);
        let summary = run::run(&config, posts, authors, &store, &Progress::auto())?;
        print!("{}", summary.to_text());
        Ok(())
    }
}

impl SampleArgs {
    pub fn execute(self) -> Result<()> {
        let until = chrono::DateTime::from_timestamp_nanos(
            i64::try_from(self.until.unix_nanos())
                .map_err(|_| anyhow::anyhow!("--until is too far in the future"))?,
        );
        let spec = SampleSpec {
            authors: self.authors,
            posts: self.posts,
            seed: self.seed,
            dirty: self.dirty,
            body_bytes: self.body_bytes,
            until,
        };
        let files = sample::write_sample(&self.out, &spec)?;
        println!(
            "wrote {} and {}",
            files.posts.display(),
            files.authors.display()
        );
        Ok(())
    }
}
