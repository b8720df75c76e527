//! The plumbing every `cargo xtask` crate shares, and nothing else: external commands run
//! with visible command lines from the project root (`shell`), generated files written or
//! checked in one place (`generated`), and the tools checks and tests install under
//! `target/tools/` (`tools`: the folder and Debian packages; `python`: pinned PyPI venvs;
//! `python_version`: a Python of one minor version on this machine; `npm`: pinned npm
//! installs), and the cargo command of the image's static build (`static_build`).

pub mod generated;
pub mod npm;
pub mod python;
pub mod python_version;
pub mod shell;
pub mod static_build;
pub mod tools;
