//! The library half of `cargo xtask`: what tests (unit, integration, compile-fail) need to
//! reach. `main.rs` parses flags and dispatches to these modules.

pub mod cfn;
pub mod pytools;
pub mod shell;
pub mod stack;
pub mod synth;
