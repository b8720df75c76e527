//! Command-line interface (clap): `run` the batch on files or S3 objects. Parses and
//! validates options, then hands over to `run`.

use std::path::PathBuf;

use anyhow::Result;
use chrono_tz::Tz;
use clap::{Parser, Subcommand};

use crate::aws::s3_url::{self, S3Object, S3Prefix};
use crate::aws::settings::parse_concurrency;
use crate::aws::{self, s3_source, PublishOptions, S3Store};
use crate::chart::Style;
use crate::guard::{self, Guards};
use crate::ingest::Source;
use crate::progress::Progress;
use crate::publish::{LocalStore, Store};
use crate::run::{self, RunConfig};
use crate::timestamp::Instant;
use contract::defaults;

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
}

#[derive(clap::Args, Debug)]
pub struct RunArgs {
    /// Posts export (all-blog-posts.jsonl.gz): a file or s3://bucket/key.
    #[arg(long, value_name = "FILE|S3_URL", value_parser = Input::parse)]
    pub posts: Input,
    /// Author master (authorProfile.jsonl.gz): a file or s3://bucket/key.
    #[arg(long, value_name = "FILE|S3_URL", value_parser = Input::parse)]
    pub authors: Input,
    /// Output folder (created if missing) or s3://bucket/prefix/. After index.json, the
    /// per-author files (`<slug>.png`, `<slug>.dark.png`, `<slug>.stats.json`) of authors no
    /// longer listed are deleted there; nothing else is.
    #[arg(long, value_name = "DIR|S3_URL", value_parser = Output::parse)]
    pub out: Output,
    /// Length of the active window in days (≥ 1).
    #[arg(long, value_name = "N", default_value_t = defaults::ACTIVE_DAYS, value_parser = run::parse_days, allow_hyphen_values = true)]
    pub days: u32,
    /// Render every listed author, whatever the age of their posts (the window `all`: after
    /// a style change, and monthly so every axis reaches the current month).
    #[arg(long, conflicts_with = "days")]
    pub all: bool,
    /// The run's "now" [default: the current time].
    #[arg(long, value_name = "TIMESTAMP", value_parser = run::parse_now, allow_hyphen_values = true)]
    pub now: Option<Instant>,
    /// IANA time zone whose calendar months are counted.
    #[arg(long, value_name = "ZONE", default_value = defaults::TIME_ZONE, value_parser = run::parse_tz)]
    pub tz: Tz,
    /// Compute and report, write nothing (the publish guards are still checked).
    #[arg(long)]
    pub dry_run: bool,
    /// Refuse a run whose listing is more than PERCENT shorter than the published index.json.
    #[arg(long, value_name = "PERCENT", default_value_t = defaults::MAX_SHRINK_PERCENT, value_parser = guard::parse_max_shrink)]
    pub max_shrink: u32,
    /// Publish this once although the listing shrank by more than --max-shrink.
    #[arg(long)]
    pub allow_shrink: bool,
    /// Publish a listing of zero authors.
    #[arg(long)]
    pub allow_empty: bool,
    /// Replace a published index.json whose `now` is later than this run's.
    #[arg(long)]
    pub force: bool,
    /// Uploads in flight when --out is on S3 (1–1024).
    #[arg(long, value_name = "N", default_value_t = defaults::UPLOAD_CONCURRENCY, value_parser = parse_concurrency)]
    pub upload_concurrency: usize,
    /// Cache-Control of the objects written when --out is on S3.
    #[arg(long, value_name = "HEADER", default_value = defaults::CACHE_CONTROL)]
    pub cache_control: String,
    /// Chart style (TOML, spec/chart-style.md; deploy/styles/default.toml is the built-in
    /// one). Fields left out keep their built-in values.
    #[arg(long, value_name = "FILE", value_parser = parse_style)]
    pub style: Option<Style>,
    /// Print the summary as one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `--style FILE`: read and check the style file.
fn parse_style(text: &str) -> Result<Style, String> {
    Style::from_file(std::path::Path::new(text))
}

/// Where an input file comes from.
#[derive(Debug, Clone)]
pub enum Input {
    File(PathBuf),
    S3(S3Object),
}

impl Input {
    fn parse(text: &str) -> Result<Input, String> {
        if s3_url::is_s3_url(text) {
            S3Object::parse(text).map(Input::S3)
        } else {
            Ok(Input::File(PathBuf::from(text)))
        }
    }
}

/// Where charts and `index.json` go.
#[derive(Debug, Clone)]
pub enum Output {
    Dir(PathBuf),
    S3(S3Prefix),
}

impl Output {
    fn parse(text: &str) -> Result<Output, String> {
        if s3_url::is_s3_url(text) {
            S3Prefix::parse(text).map(Output::S3)
        } else {
            Ok(Output::Dir(PathBuf::from(text)))
        }
    }
}

impl RunArgs {
    pub fn execute(self) -> Result<()> {
        let config = RunConfig {
            days: self.days,
            all: self.all,
            now: self.now.unwrap_or_else(Instant::now),
            tz: self.tz,
            dry_run: self.dry_run,
            guards: Guards {
                max_shrink_percent: self.max_shrink,
                allow_empty: self.allow_empty,
                allow_shrink: self.allow_shrink,
                force: self.force,
            },
            style: self.style.unwrap_or_else(Style::builtin),
        };
        let uses_s3 = matches!(self.posts, Input::S3(_))
            || matches!(self.authors, Input::S3(_))
            || matches!(self.out, Output::S3(_));
        // The runtime and the client exist only when an S3 location is named, and are
        // built once for both inputs and the output.
        let aws = if uses_s3 {
            let runtime = aws::runtime()?;
            let client = runtime.block_on(aws::s3_client())?;
            Some((runtime, client))
        } else {
            None
        };
        let open = |what: &str, input: &Input| -> Result<Source> {
            match (input, &aws) {
                (Input::File(path), _) => Source::open_file(what, path),
                (Input::S3(object), Some((runtime, client))) => {
                    runtime.block_on(s3_source::open(client, object, what))
                }
                (Input::S3(_), None) => unreachable!("uses_s3 covers every S3 input"),
            }
        };
        let posts = open("posts", &self.posts)?;
        let authors = open("authors", &self.authors)?;
        let store: Box<dyn Store> = match (self.out, &aws) {
            (Output::Dir(dir), _) => Box::new(LocalStore::new(dir)),
            (Output::S3(prefix), Some((runtime, client))) => Box::new(S3Store::new(
                client.clone(),
                runtime.handle().clone(),
                prefix,
                PublishOptions {
                    concurrency: self.upload_concurrency,
                    cache_control: self.cache_control,
                },
            )),
            (Output::S3(_), None) => unreachable!("uses_s3 covers an S3 output"),
        };
        let summary = run::run(&config, posts, authors, store.as_ref(), &Progress::auto())?;
        if self.json {
            println!("{}", serde_json::to_string(&summary)?);
        } else {
            print!("{}", summary.to_text());
        }
        Ok(())
    }
}
