//! The image run as Lambda runs a function, with Debian's `umoci` and `runc`: the OCI
//! layout unpacked into a bundle whose process comes from the image's own config, that
//! config locked down as Lambda's sandbox is ([`lambda_sandbox`]), and the container,
//! which a Lambda function never leaves by itself, killed and deleted when dropped.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::{json, Value};

/// The user and group Lambda runs functions as (`sbx_user1051`).
pub(crate) const UID: u32 = 993;
pub(crate) const GID: u32 = 990;

/// `umoci unpack --image <layout>:<tag> <bundle>`: rootfs and a `config.json` whose process
/// (entrypoint, cmd, env, workdir) is the image's.
pub(crate) fn unpack(layout: &Path, tag: &str, bundle: &Path) {
    let out = Command::new("umoci")
        .arg("unpack")
        .arg("--image")
        .arg(format!("{}:{tag}", layout.display()))
        .arg(bundle)
        .output()
        .expect("umoci starts");
    assert!(
        out.status.success(),
        "umoci unpack {}: {}",
        layout.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Rewrites the bundle's config as Lambda's sandbox: a read-only root with only `/tmp`
/// writable (tmpfs, 512 MiB), a non-root user, no capabilities, no new privileges, the
/// host's network namespace (loopback reaches the test's servers), and `vars` added to the
/// image's environment. runc 1.1 on hybrid cgroups needs no cgroup namespace and no
/// `linux.resources`.
pub(crate) fn lambda_sandbox(bundle: &Path, vars: &[(&str, String)]) -> Value {
    let path = bundle.join("config.json");
    let mut config: Value =
        serde_json::from_slice(&std::fs::read(&path).expect("umoci wrote config.json"))
            .expect("config.json is JSON");
    config["root"]["readonly"] = json!(true);
    let process = &mut config["process"];
    process["terminal"] = json!(false);
    process["user"] = json!({"uid": UID, "gid": GID});
    process["noNewPrivileges"] = json!(true);
    process["capabilities"] = json!({
        "bounding": [], "effective": [], "inheritable": [], "permitted": [], "ambient": []
    });
    let env = process["env"].as_array_mut().expect("the image's env");
    for (name, value) in vars {
        env.retain(|v| {
            !v.as_str()
                .is_some_and(|v| v.starts_with(&format!("{name}=")))
        });
        env.push(json!(format!("{name}={value}")));
    }
    let mounts = config["mounts"].as_array_mut().expect("mounts");
    mounts.retain(|m| m["destination"] != "/tmp");
    mounts.push(json!({
        "destination": "/tmp",
        "type": "tmpfs",
        "source": "tmpfs",
        "options": ["nosuid", "nodev", "mode=1777", "size=512m"]
    }));
    let linux = config["linux"].as_object_mut().expect("linux");
    linux.remove("resources");
    let namespaces = linux["namespaces"].as_array_mut().expect("namespaces");
    namespaces.retain(|ns| ns["type"] != "cgroup" && ns["type"] != "network");
    std::fs::write(&path, serde_json::to_vec_pretty(&config).unwrap()).unwrap();
    config
}

/// A running `runc run`, its state under its own `--root`; killed and deleted on drop.
pub(crate) struct Container {
    root: PathBuf,
    id: String,
    child: Option<Child>,
    pub(crate) stdout: PathBuf,
    pub(crate) stderr: PathBuf,
}

impl Container {
    /// `runc --root <state> run --bundle <bundle> <id>`, its output into files in `state`.
    pub(crate) fn run(bundle: &Path, state: &Path, id: &str) -> Container {
        let root = state.join("runc");
        let (stdout, stderr) = (state.join("stdout"), state.join("stderr"));
        let child = Command::new("runc")
            .arg("--root")
            .arg(&root)
            .args(["run", "--bundle"])
            .arg(bundle)
            .arg(id)
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&stdout).unwrap())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .spawn()
            .expect("runc starts");
        Container {
            root,
            id: id.to_owned(),
            child: Some(child),
            stdout,
            stderr,
        }
    }

    /// The function's stdout (its EMF lines) and stderr (its logs and runc's errors).
    pub(crate) fn output(&self) -> (String, String) {
        let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
        (read(&self.stdout), read(&self.stderr))
    }

    /// Whether `runc run` is still running (the function has not died).
    pub(crate) fn running(&mut self) -> bool {
        let child = self.child.as_mut().expect("not yet dropped");
        child.try_wait().ok().flatten().is_none()
    }

    /// The function process's id on the host (`runc state`).
    pub(crate) fn pid(&self) -> u32 {
        let out = Command::new("runc")
            .arg("--root")
            .arg(&self.root)
            .args(["state", &self.id])
            .output()
            .expect("runc starts");
        let state: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|_| panic!("runc state: {}", String::from_utf8_lossy(&out.stderr)));
        state["pid"]
            .as_u64()
            .expect("a running container has a pid") as u32
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
