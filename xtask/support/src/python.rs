//! Python tools from PyPI (cfn-lint, checkov, moto, LocalStack …), each pinned and installed
//! into its own virtualenv under `target/tools/<name>-venv`, because their dependency pins
//! conflict. The first use creates the venv with uv (seconds; pip when uv cannot be had); a
//! stamp file holding the requirement list and the interpreter's version makes every later
//! call instant. Needs `python3` with the `venv` module (LocalStack: Python 3.13, found by
//! `python_version`; neither uv nor anything else here downloads a Python).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use anyhow::{bail, Context, Result};

pub use crate::python_version::Wanted;
use crate::shell::display;
use crate::tools::tools_dir;

/// A command-line tool from PyPI, pinned.
#[derive(Clone, Copy, Debug)]
pub struct Tool {
    /// Venv name and the program to run.
    pub name: &'static str,
    /// `pip install` arguments, every one pinned with `==`.
    pub requirements: &'static [&'static str],
}

/// AWS CloudFormation linter.
pub const CFN_LINT: Tool = Tool {
    name: "cfn-lint",
    requirements: &["cfn-lint==1.58.0"],
};

/// Policy-as-code scanner (its CloudFormation checks).
pub const CHECKOV: Tool = Tool {
    name: "checkov",
    requirements: &["checkov==3.3.30"],
};

/// The local AWS the job's S3, Lambda and lifecycle tests (and `bench --s3`) run against, pinned.
pub const MOTO_REQUIREMENT: &str = "moto[server]==5.2.5";
/// moto's venv folder name under `target/tools/` (`moto-venv`); testkit looks there.
pub const MOTO_VENV: &str = "moto";

/// Install moto into `target/tools/moto-venv` (once; later calls are instant) and return
/// the path of its `moto_server` program.
pub fn install_moto() -> Result<PathBuf> {
    let venv = ensure_venv(MOTO_VENV, &[MOTO_REQUIREMENT])?;
    Ok(venv_bin(&venv, "moto_server"))
}

/// LocalStack's emulator (the lifecycle tests' second engine, `testkit::localstack`), pinned,
/// with the four pins it needs to start (cbor2 6 loads no runtime plugin, pyOpenSSL 26 exits
/// at start, pyOpenSSL 25.3 needs cryptography < 47; service_identity < 26.1 as issue 25
/// found): each the newest release below its bound. The `runtime` extra holds the services
/// (hypercorn, moto-ext …). spec/batch-setup.md, "Local emulation", has the details.
pub const LOCALSTACK_REQUIREMENTS: [&str; 5] = [
    "localstack-core[runtime]==2026.3.0",
    "cbor2==5.9.0",
    "pyopenssl==25.3.0",
    "cryptography==46.0.7",
    "service_identity==24.2.0",
];
/// LocalStack's venv folder name under `target/tools/` (`localstack-venv`); testkit looks there.
pub const LOCALSTACK_VENV: &str = "localstack";
/// localstack-core 2026.3.0 needs Python 3.13 (with 3.11 it fails with a SyntaxError,
/// although its metadata says `>=3.10`).
pub const LOCALSTACK_PYTHON: Wanted = Wanted {
    version: (3, 13),
    env_var: "XTASK_PYTHON313",
    needed_by: "LocalStack (the lifecycle tests' second engine)",
};

/// Install LocalStack into `target/tools/localstack-venv` with Python 3.13 (once; later
/// calls are instant) and return the venv's `python` (`python -m localstack.runtime.main`
/// runs it). Its modules are compiled on first start, only those it imports (compiling
/// all at install took 20 s of CPU more).
pub fn install_localstack() -> Result<PathBuf> {
    let venv = ensure_venv_with(
        LOCALSTACK_VENV,
        &LOCALSTACK_REQUIREMENTS,
        &LOCALSTACK_PYTHON.find()?.to_string_lossy(),
    )?;
    Ok(venv_bin(&venv, "python"))
}

impl Tool {
    /// The tool's program inside its venv, installing the venv first if needed.
    pub fn command(&self) -> Result<Command> {
        let venv = ensure_venv(self.name, self.requirements)?;
        Ok(Command::new(venv_bin(&venv, self.name)))
    }
}

/// A program in a venv's `bin/`.
pub fn venv_bin(venv: &Path, program: &str) -> PathBuf {
    venv.join("bin").join(program)
}

/// Makes sure `target/tools/<name>-venv` exists with exactly `requirements` installed and
/// returns its path. Idempotent and safe to call from several processes or threads at once.
pub fn ensure_venv(name: &str, requirements: &[&str]) -> Result<PathBuf> {
    ensure_venv_with(name, requirements, &python())
}

/// [`ensure_venv`] with the interpreter `python` (a path, or a program on `PATH`).
pub fn ensure_venv_with(name: &str, requirements: &[&str], python: &str) -> Result<PathBuf> {
    provision(name, requirements, python, |python, venv| match uv() {
        Ok(uv) => install_with_uv(&uv, python, venv, requirements).or_else(|e| {
            eprintln!("pytools: uv could not install {name} ({e:#}); trying pip");
            fs::remove_dir_all(venv).with_context(|| format!("removing {}", venv.display()))?;
            install_with_pip(python, venv, requirements)
        }),
        Err(e) => {
            eprintln!("pytools: uv is not available ({e:#}); installing {name} with pip");
            install_with_pip(python, venv, requirements)
        }
    })
}

/// uv, pinned: it resolves and unpacks a tool in seconds where pip 23 spends a minute of
/// CPU on index pages (measured here: checkov 3.3 s with uv against 79 s with pip, moto 3.8 s
/// against 135 s; CI runs the installs beside the test build, so pip's CPU slowed the
/// compile). Installed once with pip into `target/tools/uv-venv`; its download cache is
/// `target/tools/uv-cache`.
pub const UV_REQUIREMENT: &str = "uv==0.13.9";

/// The `uv` program, installing it with pip the first time.
fn uv() -> Result<PathBuf> {
    let venv = provision("uv", &[UV_REQUIREMENT], &python(), |python, venv| {
        install_with_pip(python, venv, &[UV_REQUIREMENT])
    })?;
    Ok(venv_bin(&venv, "uv"))
}

/// `target/tools/<name>-venv` holding `requirements`, made by `install` unless a stamp says
/// a complete install of exactly these requirements is already there. Holds a lock per venv.
fn provision(
    name: &str,
    requirements: &[&str],
    python: &str,
    install: impl FnOnce(&str, &Path) -> Result<()>,
) -> Result<PathBuf> {
    let dir = tools_dir();
    let venv = dir.join(format!("{name}-venv"));
    let stamp_path = venv.join(STAMP);
    let wanted = stamp(python, requirements)?;
    if fs::read_to_string(&stamp_path).is_ok_and(|s| s == wanted) {
        return Ok(venv);
    }
    fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let _lock = Lock::acquire(&dir.join(format!("{name}-venv.lock")))?;
    // Another process may have finished the install while we waited.
    if fs::read_to_string(&stamp_path).is_ok_and(|s| s == wanted) {
        return Ok(venv);
    }
    let started = Instant::now();
    eprintln!(
        "pytools: installing {} into {} (first run only)",
        requirements.join(" "),
        venv.display()
    );
    if venv.exists() {
        fs::remove_dir_all(&venv).with_context(|| format!("removing stale {}", venv.display()))?;
    }
    install(python, &venv)?;
    fs::write(&stamp_path, wanted).with_context(|| format!("writing {}", stamp_path.display()))?;
    eprintln!(
        "pytools: {name} ready in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(venv)
}

/// `uv venv` and `uv pip install` with the system's certificate store (as pip uses it here)
/// and the index pip is pointed at, if the environment points it anywhere; uv uses exactly
/// `python` and never downloads one.
fn install_with_uv(uv: &Path, python: &str, venv: &Path, requirements: &[&str]) -> Result<()> {
    let with_env = |cmd: &mut Command| {
        cmd.env("UV_CACHE_DIR", tools_dir().join("uv-cache"))
            .env("UV_NATIVE_TLS", "1")
            .env("UV_NO_PROGRESS", "1")
            .env("UV_PYTHON_DOWNLOADS", "never");
        for (pip, uv) in [
            ("PIP_INDEX_URL", "UV_INDEX_URL"),
            ("PIP_EXTRA_INDEX_URL", "UV_EXTRA_INDEX_URL"),
        ] {
            if let (Some(value), None) = (std::env::var_os(pip), std::env::var_os(uv)) {
                cmd.env(uv, value);
            }
        }
    };
    let mut create = Command::new(uv);
    create
        .args(["venv", "--quiet", "--python", python])
        .arg(venv);
    with_env(&mut create);
    quiet(&mut create)?;
    let mut install = Command::new(uv);
    install
        .args(["pip", "install", "--quiet", "--python"])
        .arg(venv_bin(venv, "python"))
        .args(requirements);
    with_env(&mut install);
    quiet(&mut install)
}

/// `python -m venv` and `pip install`: the way without uv.
fn install_with_pip(python: &str, venv: &Path, requirements: &[&str]) -> Result<()> {
    quiet(Command::new(python).arg("-m").arg("venv").arg(venv)).with_context(|| {
        format!(
            "could not create a Python virtualenv with `{python} -m venv`. Install Python 3 \
             with its venv module (Debian/Ubuntu: `apt-get install python3-venv`), or point \
             XTASK_PYTHON at a python3 that has it"
        )
    })?;
    quiet(
        Command::new(venv_bin(venv, "python"))
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
            ])
            .args(["--no-input", "--progress-bar", "off"])
            .args(requirements),
    )
    .with_context(|| {
        format!(
            "pip could not install {} (PyPI must be reachable, or pip configured for a mirror)",
            requirements.join(" ")
        )
    })
}

/// Marks a complete install: the requirement list and the interpreter it was built with.
const STAMP: &str = "xtask-requirements.txt";

fn python() -> String {
    std::env::var("XTASK_PYTHON").unwrap_or_else(|_| "python3".to_owned())
}

fn stamp(python: &str, requirements: &[&str]) -> Result<String> {
    for r in requirements {
        assert!(r.contains("=="), "pin {r:?} to one version with ==");
    }
    let out = Command::new(python)
        .args(["-c", "import sys; print(sys.version.split()[0])"])
        .output()
        .with_context(|| {
            format!(
                "`{python}` not found: install Python 3 and its venv module (Debian/Ubuntu: \
                 `apt-get install python3 python3-venv`), or set XTASK_PYTHON"
            )
        })?;
    if !out.status.success() {
        bail!(
            "`{python}` does not run: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let version = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    Ok(format!("# python {version}\n{}\n", requirements.join("\n")))
}

/// Runs `cmd`, showing its command line and, only on failure, its output.
fn quiet(cmd: &mut Command) -> Result<()> {
    let line = display(cmd);
    eprintln!("$ {line}");
    let out = cmd
        .output()
        .with_context(|| format!("could not start `{line}`"))?;
    if !out.status.success() {
        bail!(
            "`{line}` failed with {}:\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

/// A directory used as a lock (creating a directory is atomic); removed on drop. A lock older
/// than the longest install is taken to be left by a killed process and broken.
struct Lock(PathBuf);

const LOCK_STALE_AFTER: Duration = Duration::from_secs(15 * 60);

impl Lock {
    fn acquire(path: &Path) -> Result<Lock> {
        let mut told = false;
        loop {
            match fs::create_dir(path) {
                Ok(()) => return Ok(Lock(path.to_owned())),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let age = fs::metadata(path)
                        .and_then(|m| m.modified())
                        .ok()
                        .and_then(|t| SystemTime::now().duration_since(t).ok());
                    if age.is_some_and(|a| a > LOCK_STALE_AFTER) {
                        eprintln!("pytools: breaking stale lock {}", path.display());
                        let _ = fs::remove_dir(path);
                        continue;
                    }
                    if !told {
                        eprintln!("pytools: waiting for another install ({})", path.display());
                        told = true;
                    }
                    thread::sleep(Duration::from_millis(250));
                }
                Err(e) => {
                    return Err(e).with_context(|| format!("creating lock {}", path.display()))
                }
            }
        }
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = fs::remove_dir(&self.0);
    }
}
