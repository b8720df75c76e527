//! author-stats: turns a blog's post export into one monthly chart per author.
//!
//! Stages, one module each: `ingest` (stream gzip JSONL into records), `stats` (join,
//! count per month, select active authors), `chart` (PNG bytes), `publish` (stores);
//! `index` is the output model, `guard` the publish guards and `run` wires the stages. The names the job shares with
//! its deployment (environment variables, files, metrics, defaults) are in `contract`.

pub mod aws;
pub mod chart;
pub mod cli;
pub mod guard;
pub mod index;
pub mod ingest;
pub mod month;
pub mod progress;
pub mod publish;
pub mod render;
pub mod run;
pub mod slug;
pub mod stats;
pub mod timestamp;
