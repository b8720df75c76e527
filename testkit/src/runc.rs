//! The job's image run as Lambda runs a function, with Debian's `umoci` and `runc` (root
//! only): the OCI layout unpacked into a bundle whose process comes from the image's own
//! config ([`unpack`]), that config locked down as Lambda's sandbox is ([`lambda_sandbox`])
//! with Lambda's own variables ([`lambda_environment`]), and the container, which a Lambda
//! function never leaves by itself, killed and deleted when dropped ([`Container`]).
//! Used by the image boot test and by `cargo xtask bench --cold-start`.

use std::io;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

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
/// writable (tmpfs, 512 MiB), a non-root user, no capabilities, no new privileges, the
/// host's network namespace (loopback reaches the caller's servers), and `vars` added to
/// the image's environment (replacing any of the same name). runc 1.1 on hybrid cgroups
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
    std::fs::write(
        &path,
        serde_json::to_vec_pretty(&config).map_err(io::Error::other)?,
    )?;
    Ok(config)
}

/// A running `runc run`, its state under its own `--root`; killed and deleted on drop.
pub struct Container {
    root: PathBuf,
    id: String,
    child: Option<Child>,
    pub stdout: PathBuf,
    pub stderr: PathBuf,
}

impl Container {
    /// `runc --root <state>/runc run --bundle <bundle> <id>`, its output into files in
    /// `state`.
    pub fn run(bundle: &Path, state: &Path, id: &str) -> io::Result<Container> {
        let root = state.join("runc");
        let (stdout, stderr) = (state.join("stdout"), state.join("stderr"));
        let child = Command::new("runc")
            .arg("--root")
            .arg(&root)
            .args(["run", "--bundle"])
            .arg(bundle)
            .arg(id)
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&stdout)?)
            .stderr(std::fs::File::create(&stderr)?)
            .spawn()
            .map_err(|e| {
                io::Error::other(format!(
                    "cannot start runc: {e}: install it with `apt-get install -y runc` and run as root"
                ))
            })?;
        Ok(Container {
            root,
            id: id.to_owned(),
            child: Some(child),
            stdout,
            stderr,
        })
    }

    /// The function's stdout (its EMF lines) and stderr (its logs and runc's errors).
    pub fn output(&self) -> (String, String) {
        let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
        (read(&self.stdout), read(&self.stderr))
    }

    /// Whether `runc run` is still running (the function has not died).
    pub fn running(&mut self) -> bool {
        let child = self.child.as_mut().expect("not yet dropped");
        child.try_wait().ok().flatten().is_none()
    }

    /// The function process's id on the host (`runc state`).
    pub fn pid(&self) -> io::Result<u32> {
        let out = Command::new("runc")
            .arg("--root")
            .arg(&self.root)
            .args(["state", &self.id])
            .output()?;
        let state: Value = serde_json::from_slice(&out.stdout).map_err(|_| {
            io::Error::other(format!(
                "runc state {}: {}",
                self.id,
                String::from_utf8_lossy(&out.stderr).trim()
            ))
        })?;
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
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        cmd
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        let _ = self.runc().args(["kill", &self.id, "KILL"]).status();
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = self.runc().args(["delete", "-f", &self.id]).status();
    }
}
