//! Command-line interface (clap): `run` the batch on files or S3 objects, and the fan-out
//! steps. Parses and validates options, then hands over to `run`/`fanout`. Locations on S3
//! go through `aws_session` (the `aws` feature); a build without it refuses them in one line.

use std::path::PathBuf;

use anyhow::Result;
use chrono_tz::Tz;
use clap::{CommandFactory, Parser, Subcommand};

#[cfg(feature = "aws")]
#[path = "aws_session.rs"]
mod session;
#[cfg(not(feature = "aws"))]
#[path = "no_aws_session.rs"]
mod session;

use crate::chart::Style;
use crate::download_options::{self, DownloadOptions, PartSize};
use crate::fanout;
use crate::guard::{self, Guards};
use crate::ingest::Source;
use crate::progress::Progress;
use crate::publish::{parse_concurrency, LocalStore, Store};
use crate::run::{self, RunConfig};
use crate::s3_url::{self, S3Object, S3Prefix};
use crate::timestamp::Instant;
use contract::defaults;
use session::{Aws, PendingInvalidation};

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
    /// Fan-out step 1 (data-spec §9): everything `run` checks, then the run's batch files
    /// instead of charts; prints the run id.
    Count(CountArgs),
    /// Fan-out step 2: render and publish one batch of a counted run.
    Render(RenderArgs),
    /// Fan-out step 3: index.json last, departed authors' files removed, the run's working
    /// files deleted (refuses while a batch has no result).
    Finish(FinishArgs),
}

impl Command {
    pub fn execute(self) -> Result<()> {
        match self {
            Command::Run(args) => args.execute(),
            Command::Count(args) => args.execute(),
            Command::Render(args) => args.execute(),
            Command::Finish(args) => args.execute(),
        }
    }
}

#[derive(clap::Args, Debug)]
pub struct CountArgs {
    #[command(flatten)]
    pub run: RunArgs,
    /// Most authors per batch file (a batch also stays under 200 KiB).
    #[arg(long, value_name = "N", default_value_t = fanout::DEFAULT_BATCH_AUTHORS as u64, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub batch_authors: u64,
}

/// Where a fan-out step publishes, and how.
#[derive(clap::Args, Debug)]
pub struct StepArgs {
    /// The output folder or s3://bucket/prefix/ the run was counted for.
    #[arg(long, value_name = "DIR|S3_URL", value_parser = Output::parse)]
    pub out: Output,
    /// The run id `count` printed.
    #[arg(long, value_name = "ID", value_parser = parse_run)]
    pub run: String,
    /// The chart style the run was counted with (the same file).
    #[arg(long, value_name = "FILE", value_parser = parse_style)]
    pub style: Option<Style>,
    /// Uploads in flight when --out is on S3 (1–1024).
    #[arg(long, value_name = "N", default_value_t = defaults::UPLOAD_CONCURRENCY, value_parser = parse_concurrency)]
    pub upload_concurrency: usize,
    /// Cache-Control of the objects written when --out is on S3.
    #[arg(long, value_name = "HEADER", default_value = defaults::CACHE_CONTROL)]
    pub cache_control: String,
    /// Print the answer as one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(clap::Args, Debug)]
pub struct RenderArgs {
    #[command(flatten)]
    pub step: StepArgs,
    /// The batch: its name (00003.json) or key, as `count` wrote it.
    #[arg(long, value_name = "NAME", value_parser = fanout::parse_batch)]
    pub batch: String,
}

#[derive(clap::Args, Debug)]
pub struct FinishArgs {
    #[command(flatten)]
    pub step: StepArgs,
}

fn parse_run(text: &str) -> Result<String, String> {
    fanout::check_run_id(text).map(|()| text.to_owned())
}

/// The store of `out` (S3 through the session, which an S3 location always has).
fn store_for(
    out: Output,
    aws: Option<&Aws>,
    concurrency: usize,
    cache_control: String,
) -> Result<Box<dyn Store>> {
    Ok(match (out, aws) {
        (Output::Dir(dir), _) => Box::new(LocalStore::new(dir)),
        (Output::S3(prefix), Some(aws)) => aws.store(prefix, concurrency, cache_control, None)?.0,
        (Output::S3(_), None) => unreachable!("an S3 output opens the session"),
    })
}

/// Print `answer` as JSON or as `text`.
fn print_answer<T: serde::Serialize>(
    json: bool,
    answer: &T,
    text: impl FnOnce() -> String,
) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string(answer)?);
    } else {
        print!("{}", text());
    }
    Ok(())
}

/// A fan-out step's store and options.
struct Step {
    /// Kept alive while the store uses it.
    _aws: Option<Aws>,
    store: Box<dyn Store>,
    style: Style,
    run: String,
    json: bool,
}

impl StepArgs {
    fn store(self) -> Result<Step> {
        let aws = Aws::when(matches!(self.out, Output::S3(_)))?;
        let store = store_for(
            self.out,
            aws.as_ref(),
            self.upload_concurrency,
            self.cache_control,
        )?;
        Ok(Step {
            _aws: aws,
            store,
            style: self.style.unwrap_or_else(Style::builtin),
            run: self.run,
            json: self.json,
        })
    }
}

impl RenderArgs {
    pub fn execute(self) -> Result<()> {
        let step = self.step.store()?;
        let counts = fanout::render_batch(
            step.store.as_ref(),
            &step.style,
            &step.run,
            &self.batch,
            &Progress::auto(),
        )?;
        print_answer(step.json, &counts, || {
            format!(
                "rendered batch {} of run {}: {} charts ({} written, {} unchanged)\n",
                counts.batch, counts.run, counts.rendered, counts.written, counts.unchanged
            )
        })
    }
}

impl FinishArgs {
    pub fn execute(self) -> Result<()> {
        let step = self.step.store()?;
        let summary = fanout::finish(
            step.store.as_ref(),
            &step.style,
            &step.run,
            &Progress::auto(),
        )?;
        print_answer(step.json, &summary, || summary.to_text())
    }
}

impl CountArgs {
    pub fn execute(self) -> Result<()> {
        let json = self.run.json;
        let batch_authors = self.batch_authors as usize;
        let opened = self.run.open()?;
        let counted = fanout::count(
            &opened.config,
            opened.posts,
            opened.authors,
            opened.store.as_ref(),
            &Progress::auto(),
            batch_authors,
        )?;
        print_answer(json, &counted, || {
            format!(
                "counted run {}: {} authors listed, {} to render in {} batches at {}\n",
                counted.run,
                counted.authors_listed,
                counted.authors_to_render,
                counted.batches,
                counted.batches_at
            )
        })
    }
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
    /// per-author files (`<slug>.png`, `.dark.png`, `.svg`, `.dark.svg`, `.stats.json`) of
    /// authors no longer listed are deleted there; nothing else is.
    #[arg(long, value_name = "DIR|S3_URL", value_parser = Output::parse)]
    pub out: Output,
    /// Length of the active window in days (≥ 1).
    #[arg(long, value_name = "N", default_value_t = defaults::ACTIVE_DAYS, value_parser = run::parse_days, allow_hyphen_values = true)]
    pub days: u32,
    /// Render every listed author, whatever the age of their posts (the window `all`: a
    /// manual redraw of everything).
    #[arg(long, conflicts_with = "days")]
    pub all: bool,
    /// Render exactly the listed authors whose data, name, style or renderer changed since
    /// the published index.json drew them (the window `changed`: what the daily schedule runs).
    #[arg(long, conflicts_with_all = ["days", "all"])]
    pub changed: bool,
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
    /// Ranged GETs in flight while an input on S3 is read (1–64; 1: one streaming GET).
    #[arg(long, value_name = "N", default_value_t = defaults::DOWNLOAD_CONCURRENCY, value_parser = download_options::parse_concurrency)]
    pub download_concurrency: usize,
    /// Bytes per ranged GET of an input on S3 (8MiB, 512KiB or bytes); with
    /// --download-concurrency it bounds the memory one input holds (their product).
    #[arg(long, value_name = "SIZE", default_value_t = PartSize::default())]
    pub download_part_size: PartSize,
    /// Chart style (TOML, spec/chart-style.md; deploy/styles/default.toml is the built-in
    /// one). Fields left out keep their built-in values.
    #[arg(long, value_name = "FILE", value_parser = parse_style)]
    pub style: Option<Style>,
    /// After publishing to S3, invalidate the changed objects' paths on this CloudFront
    /// distribution (the prefix wildcard above 15 paths; nothing when nothing changed).
    #[arg(long, value_name = "DISTRIBUTION_ID", value_parser = parse_distribution_id)]
    pub invalidate: Option<String>,
    /// Print the summary as one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `--invalidate`: a CloudFront distribution id (upper-case letters and digits).
fn parse_distribution_id(text: &str) -> Result<String, String> {
    if !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    {
        Ok(text.to_owned())
    } else {
        Err(format!(
            "{} is not a CloudFront distribution id (upper-case letters and digits, \
             e.g. E2QWRUHEXAMPLE: the stack's DistributionId output)",
            crate::quote::quoted(text)
        ))
    }
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

/// A run's configuration, both inputs opened and the store (with the SDK it uses).
struct Opened {
    config: RunConfig,
    posts: Source,
    authors: Source,
    store: Box<dyn Store>,
    /// What an S3 store changed, and the distribution to invalidate it on (`--invalidate`).
    invalidate: Option<PendingInvalidation>,
    /// Kept alive while the sources and the store use it.
    aws: Option<Aws>,
}

impl RunArgs {
    fn open(self) -> Result<Opened> {
        if self.invalidate.is_some() && !matches!(self.out, Output::S3(_)) {
            Cli::command()
                .error(
                    clap::error::ErrorKind::ArgumentConflict,
                    "--invalidate needs --out s3://bucket/prefix/ (CloudFront serves an S3 \
                     prefix, not a folder): drop --invalidate or publish to S3",
                )
                .exit();
        }
        let config = RunConfig {
            days: self.days,
            all: self.all,
            changed: self.changed,
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
        let aws = Aws::when(uses_s3)?;
        let download = DownloadOptions {
            concurrency: self.download_concurrency,
            part_size: self.download_part_size,
        };
        let open = |what: &str, input: &Input| -> Result<Source> {
            match (input, &aws) {
                (Input::File(path), _) => Source::open_file(what, path),
                (Input::S3(object), Some(aws)) => aws.open(object, what, download),
                (Input::S3(_), None) => unreachable!("uses_s3 covers every S3 input"),
            }
        };
        let posts = open("posts", &self.posts)?;
        let authors = open("authors", &self.authors)?;
        let (store, invalidate) = match (self.out, &aws) {
            (Output::S3(prefix), Some(aws)) => aws.store(
                prefix,
                self.upload_concurrency,
                self.cache_control,
                self.invalidate,
            )?,
            (out, _) => (
                store_for(out, None, self.upload_concurrency, self.cache_control)?,
                None,
            ),
        };
        Ok(Opened {
            config,
            posts,
            authors,
            store,
            invalidate,
            aws,
        })
    }

    pub fn execute(self) -> Result<()> {
        let json = self.json;
        let opened = self.open()?;
        let mut summary = run::run(
            &opened.config,
            opened.posts,
            opened.authors,
            opened.store.as_ref(),
            &Progress::auto(),
        )?;
        if let (Some(pending), Some(aws)) = (&opened.invalidate, &opened.aws) {
            aws.invalidate(pending, &mut summary)?;
        }
        print_answer(json, &summary, || summary.to_text())
    }
}
