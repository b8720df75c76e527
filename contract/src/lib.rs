//! The names the job, the sample generator and the stack must agree on, defined once.
//!
//! No dependencies and no logic: environment variables of the function ([`env`]), object
//! and file names ([`files`]), CloudWatch metric names ([`metrics`]) and the defaults the
//! CLI, the function and the template's parameters start from ([`defaults`]). The rules
//! these names take part in are in `spec/data-spec.md`.

pub mod defaults;
pub mod env;
pub mod files;
pub mod metrics;
