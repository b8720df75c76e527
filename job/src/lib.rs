//! author-stats: turns a blog's post export into one monthly chart per author.
//!
//! Stages, one module each: `ingest` (stream gzip JSONL into records), `stats` (join,
//! count per month, select active authors), `chart` (PNG bytes), `publish` (stores).
//! `run` wires them; `env` names what the deployment and the job share.

pub mod chart;
pub mod env;
pub mod month;
pub mod sample;
