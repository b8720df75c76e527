//! The external tools some tests need, and what a test does without one. Outside CI a test
//! whose tool is missing returns early, and its test binary says once, on stderr, what it
//! skipped and the command that installs the tool; under `CI=true` (as `cargo xtask ci`
//! runs) a missing tool fails the test instead. Tests never install anything themselves.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::target_dir;

/// A tool (or set of programs) a test binary may need.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tool {
    /// moto's server, in `target/tools/moto-venv` (or `MOTO_SERVER`).
    Moto,
    /// LocalStack, in `target/tools/localstack-venv` (or `LOCALSTACK_PYTHON`, a Python with
    /// `localstack-core[runtime]` installed).
    LocalStack,
    /// Debian's `docker-registry`, `htpasswd` (apache2-utils) and `skopeo`.
    Registry,
    /// Node.js with npm (the state machine's validator, the CDK app).
    Node,
    /// Debian's `chromium` (the browser tests: the gallery, the README's embed, SVG vs PNG).
    Chromium,
    /// Debian's `runc`, and root to run it (the image boot test runs the image as Lambda does).
    Runc,
    /// Debian's `umoci` (unpacks the image's OCI layout into a runc bundle).
    Umoci,
}

impl Tool {
    /// What is missing, if anything.
    pub fn missing(self) -> Option<String> {
        match self {
            Tool::Moto => {
                let path = moto_server();
                (!path.is_file()).then(|| format!("moto ({})", path.display()))
            }
            Tool::LocalStack => {
                let python = localstack_python();
                // The venv's stamp marks a complete install (xtask-support's python.rs).
                let complete = match std::env::var_os("LOCALSTACK_PYTHON") {
                    Some(_) => python.is_file(),
                    None => python.is_file() && localstack_venv().join(STAMP).is_file(),
                };
                (!complete).then(|| format!("LocalStack ({})", python.display()))
            }
            Tool::Registry => missing_programs(&["docker-registry", "htpasswd", "skopeo"]),
            Tool::Node => missing_programs(&["node", "npm"]),
            Tool::Chromium => missing_programs(&["chromium"]),
            Tool::Runc => missing_programs(&["runc"]).or_else(|| {
                (!is_root()).then(|| "root (runc runs the image's container as root)".to_owned())
            }),
            Tool::Umoci => missing_programs(&["umoci"]),
        }
    }

    /// The command that installs the tool.
    pub fn install_command(self) -> &'static str {
        match self {
            Tool::Moto => "`cargo xtask ci` (installs moto[server] into target/tools/moto-venv)",
            Tool::LocalStack => {
                "`cargo xtask ci` (installs localstack-core into target/tools/localstack-venv \
                 with the machine's Python 3.13; XTASK_PYTHON313 names another)"
            }
            Tool::Registry => {
                "`sudo apt-get install -y docker-registry apache2-utils skopeo` (or `cargo xtask \
                 ci` as root)"
            }
            Tool::Node => "`sudo apt-get install -y nodejs npm` (or `cargo xtask ci` as root)",
            Tool::Chromium => "`sudo apt-get install -y chromium` (or `cargo xtask ci` as root)",
            Tool::Runc => {
                "`sudo apt-get install -y runc` and run the tests as root (or `cargo \
                           xtask ci` as root)"
            }
            Tool::Umoci => "`sudo apt-get install -y umoci` (or `cargo xtask ci` as root)",
        }
    }
}

/// The moto server program: `MOTO_SERVER`, else the venv `cargo xtask ci` installs.
pub fn moto_server() -> PathBuf {
    std::env::var_os("MOTO_SERVER")
        .map(PathBuf::from)
        .unwrap_or_else(|| target_dir().join("tools/moto-venv/bin/moto_server"))
}

/// The Python that runs LocalStack: `LOCALSTACK_PYTHON`, else the venv's.
pub fn localstack_python() -> PathBuf {
    std::env::var_os("LOCALSTACK_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| localstack_venv().join("bin/python"))
}

/// The venv `cargo xtask ci` installs LocalStack into.
fn localstack_venv() -> PathBuf {
    target_dir().join("tools/localstack-venv")
}

/// The file xtask-support writes into a venv once its install is complete.
const STAMP: &str = "xtask-requirements.txt";

/// Whether tools must be present (`CI` set to anything but `false`/`0`).
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// Whether `tool` is installed. Outside CI, a missing tool prints one line per test binary
/// and returns `false` (the test returns early); under CI it panics naming the install
/// command.
pub fn available(tool: Tool) -> bool {
    let Some(missing) = tool.missing() else {
        return true;
    };
    if in_ci() {
        panic!(
            "{missing} is not installed and CI=true requires it: install it with {}",
            tool.install_command()
        );
    }
    static SAID: Mutex<Vec<Tool>> = Mutex::new(Vec::new());
    let mut said = SAID.lock().unwrap_or_else(|e| e.into_inner());
    if !said.contains(&tool) {
        said.push(tool);
        // Straight to the process's stderr: libtest captures `eprintln!` of a passing test.
        let _ = writeln!(
            std::io::stderr(),
            "skipped: the tests of {} that need {missing}, which is not installed; install \
             it with {}",
            binary_name(),
            tool.install_command()
        );
    }
    false
}

/// Returns from the calling test when `tool` is missing outside CI (see [`available`]).
#[macro_export]
macro_rules! require {
    ($tool:expr) => {
        if !$crate::tools::available($tool) {
            return;
        }
    };
}

fn missing_programs(programs: &[&str]) -> Option<String> {
    let missing: Vec<&str> = programs
        .iter()
        .copied()
        .filter(|p| find_program(p).is_none())
        .collect();
    (!missing.is_empty()).then(|| missing.join(", "))
}

/// Whether this process runs as root (`id -u` says 0).
fn is_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

/// `program` on `PATH`.
pub fn find_program(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}

/// The running test binary's name without cargo's hash (`s3_publish`).
fn binary_name() -> String {
    let exe = std::env::current_exe().unwrap_or_default();
    let stem = Path::new(&exe)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    match stem.rsplit_once('-') {
        Some((name, hash)) if hash.chars().all(|c| c.is_ascii_hexdigit()) => name.to_owned(),
        _ => stem,
    }
}
