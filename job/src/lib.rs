//! author-stats: turns a blog's post export into one monthly chart per author.
//!
//! Stages, one module each: `ingest` (stream gzip JSONL into records), `stats` (join,
//! count per month, select active authors), `guard` (the publish guards), `chart` (PNG
//! bytes per style and variant), `render` (an author's files), `publish` (stores); `index`
//! is the output model, `author_digest` what decides that an author's files must be drawn
//! again, `previous_index` what a run reads of the published one, and `run` wires the
//! stages. The names the job shares with its
//! deployment (environment variables, files, metrics, defaults) are in `contract`. The
//! rules are `spec/data-spec.md`.
//!
//! The AWS adapters (`aws`: S3 source and store, CloudFront, Lambda, metrics) come with the
//! default-on `aws` feature; without it the core builds with no AWS crate.
//!
//! The few types a caller needs are re-exported here; the stage modules stay public for
//! the integration tests and the fuzz target, which pin each stage down.

pub use chart::Style;
pub use cli::Cli;
pub use ingest::Source;
pub use publish::{LocalStore, Store};
pub use run::{run, RunConfig, Summary};

pub mod author_digest;
#[cfg(feature = "aws")]
pub mod aws;
pub mod chart;
pub mod cli;
pub mod download_options;
pub mod fanout;
pub mod guard;
pub mod index;
pub mod ingest;
pub mod month;
pub mod previous_index;
pub mod progress;
pub mod publish;
pub mod quote;
pub mod regular_file;
pub mod render;
pub mod run;
pub mod s3_url;
pub mod slug;
pub mod stats;
pub mod timestamp;
