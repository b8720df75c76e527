//! A hostile or careless output folder (data-spec §7 *Writing*): a link planted at a
//! temporary or a final name is never written through, only regular files are read
//! there, a FIFO or a folder where the job writes is a one-line error before anything is
//! written, and oversized old files are not read whole. Every run here is killed and
//! fails the test if it hangs (`common::output_within`).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

/// The files the built-in style writes for `alice`, and the index.
const WRITTEN: [&str; 6] = [
    "alice.png",
    "alice.dark.png",
    "alice.svg",
    "alice.dark.svg",
    "alice.stats.json",
    "index.json",
];

/// A folder with the two inputs (Alice, one post in the window) and an output folder.
struct Folder {
    tmp: tempfile::TempDir,
}

impl Folder {
    fn new() -> Folder {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(
            tmp.path().join("posts.gz"),
            gz(post("a1", RECENT).as_bytes()),
        )
        .unwrap();
        std::fs::write(tmp.path().join("authors.gz"), gz(ALICE.as_bytes())).unwrap();
        std::fs::create_dir(tmp.path().join("out")).unwrap();
        Folder { tmp }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }

    fn out(&self, name: &str) -> PathBuf {
        self.path("out").join(name)
    }

    /// `author-stats run` on the inputs into `out/`, with `extra` arguments.
    fn command(&self, extra: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_author-stats"));
        cmd.arg("run")
            .arg("--posts")
            .arg(self.path("posts.gz"))
            .arg("--authors")
            .arg(self.path("authors.gz"))
            .arg("--out")
            .arg(self.path("out"))
            .args(["--now", NOW])
            .args(extra);
        cmd
    }

    fn run(&self, extra: &[&str]) -> (bool, String) {
        let output = output_within(&mut self.command(extra));
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        (output.status.success(), stderr)
    }

    /// A file outside the output folder that the job must never change.
    fn victim(&self, bytes: &[u8]) -> PathBuf {
        let victim = self.path("victim");
        std::fs::write(&victim, bytes).unwrap();
        victim
    }
}

fn is_regular_file(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_file())
}

fn mkfifo(path: &Path) {
    let made = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(made.success(), "mkfifo {}", path.display());
}

/// The last line of stderr: the error.
fn error_line(stderr: &str) -> &str {
    stderr.trim_end().lines().last().unwrap_or("")
}

#[test]
fn links_planted_at_the_temporary_names_a_run_used_to_take_are_never_written_through() {
    let folder = Folder::new();
    let victim = folder.victim(b"precious\n");
    // The names of main before this rule: `.<name>.tmp-<pid>`, predictable from the pid,
    // which `exec` keeps. One link per file the run writes.
    let names = WRITTEN.join(" ");
    let mut sh = Command::new("sh");
    sh.arg("-c")
        .arg(
            "for n in $NAMES; do ln -s \"$VICTIM\" \"$OUT/.$n.tmp-$$\" || exit 99; done; \
             exec \"$@\"",
        )
        .arg("sh")
        .env("NAMES", names)
        .env("VICTIM", &victim)
        .env("OUT", folder.path("out"));
    let job = folder.command(&[]);
    sh.arg(job.get_program()).args(job.get_args());
    let output = output_within(&mut sh);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(std::fs::read(&victim).unwrap(), b"precious\n");
    for name in WRITTEN {
        assert!(is_regular_file(&folder.out(name)), "{name} is not a file");
    }
}

#[test]
fn a_link_at_a_final_name_is_replaced_by_a_file_never_followed() {
    // The link points at a file holding exactly the new chart: comparing through the link
    // would call the chart unchanged and leave the link in place.
    let first = Folder::new();
    assert!(first.run(&[]).0);
    let chart = std::fs::read(first.out("alice.png")).unwrap();

    let folder = Folder::new();
    let victim = folder.victim(&chart);
    std::os::unix::fs::symlink(&victim, folder.out("alice.png")).unwrap();
    let other = folder.path("other");
    std::fs::write(&other, b"other\n").unwrap();
    std::os::unix::fs::symlink(&other, folder.out("alice.svg")).unwrap();

    let (ok, stderr) = folder.run(&[]);
    assert!(ok, "{stderr}");
    assert_eq!(std::fs::read(&victim).unwrap(), chart);
    assert_eq!(std::fs::read(&other).unwrap(), b"other\n");
    for name in ["alice.png", "alice.svg"] {
        assert!(is_regular_file(&folder.out(name)), "{name} is still a link");
    }
    assert_eq!(std::fs::read(folder.out("alice.png")).unwrap(), chart);
}

#[test]
fn a_link_at_index_json_is_not_read_and_is_replaced() {
    let folder = Folder::new();
    // A listing that would refuse the run (a later `now`) if it were read through the link.
    let victim =
        folder.victim(br#"{"now":"2099-01-01T00:00:00Z","authors":[{"slug":"x"},{"slug":"y"}]}"#);
    let before = std::fs::read(&victim).unwrap();
    std::os::unix::fs::symlink(&victim, folder.out("index.json")).unwrap();
    let (ok, stderr) = folder.run(&["--json"]);
    assert!(ok, "{stderr}");
    assert_eq!(std::fs::read(&victim).unwrap(), before);
    assert!(is_regular_file(&folder.out("index.json")));
}

/// A FIFO planted at `name` in the output folder: the run fails with one line naming the
/// path, what it is and `says`, and the folder holds nothing but the FIFO.
fn assert_a_fifo_is_refused_at(name: &str, says: &str) {
    let folder = Folder::new();
    mkfifo(&folder.out(name));
    let (ok, stderr) = folder.run(&[]);
    assert!(!ok);
    let error = error_line(&stderr);
    assert!(
        error.contains(&folder.out(name).display().to_string())
            && error.contains("a FIFO (named pipe)")
            && error.contains(says),
        "{stderr}"
    );
    assert_eq!(files(&folder.path("out")), [name.to_owned()].into());
}

#[test]
fn a_fifo_at_index_json_is_a_one_line_error_and_nothing_is_written() {
    assert_a_fifo_is_refused_at("index.json", "only regular files");
}

#[test]
fn a_fifo_at_a_chart_path_is_a_one_line_error_and_nothing_is_written() {
    assert_a_fifo_is_refused_at("alice.svg", "nothing was written");
}

#[test]
fn a_folder_at_a_chart_path_is_refused_before_anything_is_written() {
    let folder = Folder::new();
    std::fs::create_dir(folder.out("alice.stats.json")).unwrap();
    let (ok, stderr) = folder.run(&[]);
    assert!(!ok);
    assert!(error_line(&stderr).contains("it is a folder"), "{stderr}");
    assert_eq!(
        files(&folder.path("out")),
        ["alice.stats.json".to_owned()].into()
    );
}

#[test]
fn a_dry_run_also_refuses_a_fifo_where_the_run_would_write() {
    let folder = Folder::new();
    mkfifo(&folder.out("alice.png"));
    let (ok, stderr) = folder.run(&["--dry-run"]);
    assert!(!ok);
    assert!(error_line(&stderr).contains("a FIFO"), "{stderr}");
}

#[test]
fn a_sparse_2_gib_old_chart_is_replaced_without_being_read() {
    let folder = Folder::new();
    let old = std::fs::File::create(folder.out("alice.png")).unwrap();
    old.set_len(2 << 30).unwrap();
    drop(old);
    let (ok, stderr) = folder.run(&[]);
    assert!(ok, "{stderr}");
    let chart = std::fs::read(folder.out("alice.png")).unwrap();
    assert!(chart.len() < 1 << 20 && chart.starts_with(b"\x89PNG"));
}

#[test]
fn a_sparse_1_gib_index_is_unreadable_and_replaced() {
    let folder = Folder::new();
    let old = std::fs::File::create(folder.out("index.json")).unwrap();
    old.set_len(1 << 30).unwrap();
    drop(old);
    let output = output_within(&mut folder.command(&["--json"]));
    assert!(output.status.success());
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(summary["previous_index"], "unreadable");
    assert!(
        std::fs::metadata(folder.out("index.json")).unwrap().len() < 1 << 20,
        "replaced"
    );
}

#[test]
fn a_style_that_is_a_device_is_refused_unread() {
    let folder = Folder::new();
    let output = output_within(&mut folder.command(&["--style", "/dev/zero"]));
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("style file /dev/zero") && stderr.contains("a device"),
        "{stderr}"
    );
}

#[test]
fn a_style_file_over_64_kib_is_refused_with_its_size() {
    let folder = Folder::new();
    let style = folder.path("big.toml");
    std::fs::write(&style, format!("# {}\n", "x".repeat(70_000))).unwrap();
    let output = output_within(&mut folder.command(&["--style", style.to_str().unwrap()]));
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("more than the 64 KiB"), "{stderr}");
    assert!(stderr.len() < 1000, "{stderr}");
}
