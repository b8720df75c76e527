//! The job's image run as Lambda runs a function, with Debian's `umoci` and `runc` (root
//! only): the OCI layout unpacked into a bundle whose process comes from the image's own
//! config ([`unpack`]), that config locked down as Lambda's sandbox is ([`lambda_sandbox`]:
//! loopback-only networking) with Lambda's own variables ([`lambda_environment`]), and the
//! container, created in its own network namespace where the caller binds its servers, which
//! a Lambda function never leaves by itself, killed and deleted when dropped ([`Container`]).
//! Used by the image boot test and by `cargo xtask bench --cold-start`.

use std::io;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use nix::sched::{setns, CloneFlags};
use serde_json::{json, Value};

/// The user and group Lambda runs functions as (`sbx_user1051`).
pub const UID: u32 = 993;
pub const GID: u32 = 990;

/// `umoci unpack --image <layout>:<tag> <bundle>`: rootfs and a `config.json` whose process
/// (entrypoint, cmd, env, workdir) is the image's.
pub fn unpack(layout: &Path, tag: &str, bundle: &Path) -> io::Result<()> {
    let out = Command::new("umoci")
        .arg("unpack")
        .arg("--image")
        .arg(format!("{}:{tag}", layout.display()))
        .arg(bundle)
        .output()
        .map_err(|e| {
            io::Error::other(format!(
                "cannot start umoci: {e}: install it with `apt-get install -y umoci`"
            ))
        })?;
    if !out.status.success() {
        return Err(io::Error::other(format!(
            "umoci unpack {} into {} failed: {}",
            layout.display(),
            bundle.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(())
}

/// Lambda's own variables for a function of 1024 MB named `function` whose Runtime API
/// listens on `runtime_api` (`host:port`), with the AWS SDK's pointed at `endpoint`
/// ([`crate::child_env::aws_env`]). The function's own variables are the caller's.
pub fn lambda_environment(
    runtime_api: &str,
    function: &str,
    endpoint: &str,
) -> Vec<(&'static str, String)> {
    let mut vars = vec![
        ("AWS_LAMBDA_RUNTIME_API", runtime_api.to_owned()),
        ("AWS_LAMBDA_FUNCTION_NAME", function.to_owned()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1024".to_owned()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_owned()),
        (
            "AWS_LAMBDA_LOG_GROUP_NAME",
            format!("/aws/lambda/{function}"),
        ),
        ("AWS_LAMBDA_LOG_STREAM_NAME", "runc".to_owned()),
        ("TZ", ":UTC".to_owned()),
    ];
    vars.extend(crate::child_env::aws_env(endpoint));
    vars
}

/// Rewrites the bundle's config as Lambda's sandbox: a read-only root with only `/tmp`
/// writable (tmpfs, 512 MiB), a non-root user, no capabilities, no new privileges, a
/// network namespace of its own with loopback only (the caller's servers listen in it:
/// [`Container::listen`]), and `vars` added to the image's environment (replacing any of
/// the same name). runc 1.1 on hybrid cgroups
/// needs no cgroup namespace and no `linux.resources`. Returns the config written.
pub fn lambda_sandbox(bundle: &Path, vars: &[(&str, String)]) -> io::Result<Value> {
    let path = bundle.join("config.json");
    let bad = |what: &str| {
        io::Error::other(format!(
            "{} has no {what}: unpack the bundle again with `umoci unpack`",
            path.display()
        ))
    };
    let mut config: Value = serde_json::from_slice(&std::fs::read(&path)?)
        .map_err(|e| io::Error::other(format!("{} is not JSON: {e}", path.display())))?;
    config["root"]["readonly"] = json!(true);
    let process = &mut config["process"];
    process["terminal"] = json!(false);
    process["user"] = json!({"uid": UID, "gid": GID});
    process["noNewPrivileges"] = json!(true);
    process["capabilities"] = json!({
        "bounding": [], "effective": [], "inheritable": [], "permitted": [], "ambient": []
    });
    let env = process["env"]
        .as_array_mut()
        .ok_or_else(|| bad("process.env"))?;
    for (name, value) in vars {
        env.retain(|v| {
            !v.as_str()
                .is_some_and(|v| v.starts_with(&format!("{name}=")))
        });
        env.push(json!(format!("{name}={value}")));
    }
    let mounts = config["mounts"]
        .as_array_mut()
        .ok_or_else(|| bad("mounts"))?;
    mounts.retain(|m| m["destination"] != "/tmp");
    mounts.push(json!({
        "destination": "/tmp",
        "type": "tmpfs",
        "source": "tmpfs",
        "options": ["nosuid", "nodev", "mode=1777", "size=512m"]
    }));
    let linux = config["linux"]
        .as_object_mut()
        .ok_or_else(|| bad("linux"))?;
    linux.remove("resources");
    let namespaces = linux
        .get_mut("namespaces")
        .and_then(Value::as_array_mut)
        .ok_or_else(|| bad("linux.namespaces"))?;
    namespaces.retain(|ns| ns["type"] != "cgroup" && ns["type"] != "network");
    namespaces.push(json!({"type": "network"}));
    std::fs::write(
        &path,
        serde_json::to_vec_pretty(&config).map_err(io::Error::other)?,
    )?;
    Ok(config)
}

/// Where Lambda's Runtime API listens inside the sandbox (`AWS_LAMBDA_RUNTIME_API` is
/// `127.0.0.1:9001` on Lambda too).
pub const RUNTIME_API_PORT: u16 = 9001;
/// Where the S3 endpoint listens inside the sandbox: HTTPS's own port.
pub const S3_PORT: u16 = 443;

/// A container made by `runc create` in a network namespace of its own, whose only
/// interface is loopback (runc brings `lo` up); its state under its own `--root`. The
/// caller binds its servers inside that namespace ([`Container::listen`]) and then starts
/// the function ([`Container::start`]). Killed and deleted on drop.
pub struct Container {
    root: PathBuf,
    id: String,
    pid: u32,
    pub stdout: PathBuf,
    pub stderr: PathBuf,
}

impl Container {
    /// `runc --root <state>/runc create --bundle <bundle> <id>`: the namespaces exist and
    /// the function's process waits for [`Container::start`]; its output goes to files in
    /// `state`.
    pub fn create(bundle: &Path, state: &Path, id: &str) -> io::Result<Container> {
        let root = state.join("runc");
        let (stdout, stderr) = (state.join("stdout"), state.join("stderr"));
        let status = Command::new("runc")
            .arg("--root")
            .arg(&root)
            .args(["create", "--bundle"])
            .arg(bundle)
            .arg(id)
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&stdout)?)
            .stderr(std::fs::File::create(&stderr)?)
            .status()
            .map_err(|e| {
                io::Error::other(format!(
                    "cannot start runc: {e}: install it with `apt-get install -y runc` and run as root"
                ))
            })?;
        let mut container = Container {
            root,
            id: id.to_owned(),
            pid: 0,
            stdout,
            stderr,
        };
        if !status.success() {
            return Err(io::Error::other(format!(
                "runc create {id} failed ({status}): {}",
                container.output().1.trim()
            )));
        }
        container.pid = container.state_pid()?;
        Ok(container)
    }

    /// A listener on 127.0.0.1:`port` inside the container's network namespace: bound by a
    /// short-lived thread that joins the namespace (`setns`, which moves only the calling
    /// thread) and ends; the socket stays in that namespace, and any thread may accept on
    /// it.
    pub fn listen(&self, port: u16) -> io::Result<TcpListener> {
        let netns = std::fs::File::open(format!("/proc/{}/ns/net", self.pid))?;
        std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    setns(&netns, CloneFlags::CLONE_NEWNET).map_err(|e| {
                        io::Error::other(format!(
                            "cannot join the network namespace of container {}: {e} (needs root)",
                            self.id
                        ))
                    })?;
                    TcpListener::bind(("127.0.0.1", port))
                })
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        })
    }

    /// `runc start`: the function's process runs.
    pub fn start(&self) -> io::Result<()> {
        let out = self.runc().args(["start", &self.id]).output()?;
        if !out.status.success() {
            return Err(io::Error::other(format!(
                "runc start {} failed: {}",
                self.id,
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        Ok(())
    }

    /// The function's stdout (its EMF lines) and stderr (its logs and runc's errors).
    pub fn output(&self) -> (String, String) {
        let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
        (read(&self.stdout), read(&self.stderr))
    }

    /// Whether the function's process is still running (it has not died).
    pub fn running(&self) -> bool {
        self.state().is_ok_and(|state| state["status"] == "running")
    }

    /// The function process's id on the host.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// The network interfaces the function sees (`/proc/<pid>/net/dev`).
    pub fn interfaces(&self) -> io::Result<Vec<String>> {
        let dev = std::fs::read_to_string(format!("/proc/{}/net/dev", self.pid))?;
        // Two header lines, then `  <name>: <counters>` per interface.
        Ok(dev
            .lines()
            .skip(2)
            .filter_map(|line| line.split_once(':'))
            .map(|(name, _)| name.trim().to_owned())
            .collect())
    }

    /// `runc state`.
    fn state(&self) -> io::Result<Value> {
        let out = self.runc().args(["state", &self.id]).output()?;
        serde_json::from_slice(&out.stdout).map_err(|_| {
            io::Error::other(format!(
                "runc state {}: {}",
                self.id,
                String::from_utf8_lossy(&out.stderr).trim()
            ))
        })
    }

    fn state_pid(&self) -> io::Result<u32> {
        let state = self.state()?;
        state["pid"]
            .as_u64()
            .and_then(|pid| u32::try_from(pid).ok())
            .filter(|&pid| pid != 0)
            .ok_or_else(|| io::Error::other(format!("runc state {}: no pid in {state}", self.id)))
    }

    fn runc(&self) -> Command {
        let mut cmd = Command::new("runc");
        cmd.arg("--root")
            .arg(&self.root)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        let _ = self.runc().args(["kill", &self.id, "KILL"]).output();
        let _ = self.runc().args(["delete", "-f", &self.id]).output();
    }
}
