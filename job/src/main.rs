//! The `author-stats` binary.
fn main() {}
