//! The light half of `cargo xtask`: the verbs that need no AWS SDK (`demo`, `sample`,
//! `synth`, `bench`, `ci`, `preview`), and `forward`, which runs the others as their own binaries
//! (xtask/lifecycle, xtask/cdk). `main.rs` parses flags and dispatches to these modules.

pub mod bench;
pub mod ci;
pub mod demo;
pub mod forward;
pub mod job_binary;
pub mod preview;
pub mod sample;
pub mod synth;
