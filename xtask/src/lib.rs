//! The library half of `cargo xtask`: what tests (unit, integration, compile-fail) need to
//! reach. `main.rs` parses flags and dispatches to these modules.

pub mod asl_check;
pub mod aws;
pub mod bench;
pub mod bench_bombs;
pub mod bench_fanout;
pub mod bench_out;
pub mod bench_s3;
pub mod bench_scale;
pub mod bootstrap;
pub mod build;
pub mod cdk;
pub mod cfn;
pub mod ci;
pub mod demo;
pub mod ecr;
pub mod generated;
pub mod image;
pub mod lifecycle;
pub mod npm;
pub mod push;
pub mod pytools;
pub mod registry;
pub mod sample;
pub mod shell;
pub mod stack;
pub mod state_machine;
pub mod synth;
pub mod template;
pub mod template_lint;
