//! Black-box harness for `author-stats run` (spec/data-spec.md): gzip hand-written JSONL fixtures,
//! run the real binary in a temporary folder, and read back `index.json` and the charts.
//! Every run gets an explicit `--now` (`NOW` unless the test passes its own), so results
//! never depend on the clock. Shared by all `contract_*.rs` files; not every file uses every
//! helper, hence the `dead_code` allowance.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

use flate2::write::GzEncoder;
use flate2::Compression;
use serde_json::Value;
use tempfile::TempDir;

/// The `--now` of every run that does not pass its own.
pub(crate) const NOW: &str = "2025-11-25T00:00:00Z";
/// A timestamp long before the default window: counted, but not enough to render.
pub(crate) const OLD: &str = "2024-05-10T12:00:00Z";
/// A timestamp inside the default window (`--days 7` before `NOW`): counted and rendered.
pub(crate) const RECENT: &str = "2025-11-24T00:00:00Z";

/// A usable author: id `a1`, slug `alice`.
pub(crate) const ALICE: &str = "{\"id\":\"a1\",\"slug\":\"alice\",\"display_name\":\"Alice\"}\n";
/// An author whose slug is invalid: id `bad`.
pub(crate) const BAD_SLUG_AUTHOR: &str =
    "{\"id\":\"bad\",\"slug\":\"../evil\",\"display_name\":\"Evil\"}\n";

/// The eight keys of `skipped`, in the order data-spec §7 lists them.
pub(crate) const SKIPPED_KEYS: [&str; 8] = [
    "malformed_lines",
    "missing_author_id",
    "missing_published_at",
    "bad_timestamp",
    "future_post",
    "unknown_author",
    "invalid_slug",
    "duplicate_slug",
];

/// One post line. `author_id` and `ts` are pasted into the JSON text as they are, so a
/// caller can write escapes (`a\u0031`) that the job must decode.
pub(crate) fn post(author_id: &str, ts: &str) -> String {
    format!(
        "{{\"id\":\"p\",\"author_id\":\"{author_id}\",\"first_published_at\":\"{ts}\",\"body\":\"text\"}}\n"
    )
}

/// One master line; `id`, `slug` and `display_name` are pasted in as they are.
pub(crate) fn author(id: &str, slug: &str, display_name: &str) -> String {
    format!("{{\"id\":\"{id}\",\"slug\":\"{slug}\",\"display_name\":\"{display_name}\"}}\n")
}

/// `bytes` as one gzip member.
pub(crate) fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// What one run of the binary left behind. Keeps its temporary folder alive.
pub(crate) struct Run {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
    /// The `--out` folder.
    pub out_dir: PathBuf,
    /// Parsed `index.json`, if the run wrote one.
    pub index: Option<Value>,
    pub tmp: TempDir,
}

impl Run {
    /// The index of a run that must have succeeded.
    pub(crate) fn index(&self) -> &Value {
        assert!(
            self.status.success(),
            "run failed ({}); stderr:\n{}",
            self.status,
            self.stderr
        );
        self.index
            .as_ref()
            .expect("successful run wrote no index.json")
    }
}

/// Run with plain JSONL (gzipped here, one member each) and the default `--now`.
pub(crate) fn run_job(posts: &[u8], authors: &[u8], extra_args: &[&str]) -> Run {
    run_gz(&gz(posts), &gz(authors), extra_args)
}

/// Run with the input files' bytes exactly as given (already gzipped, or deliberately not).
pub(crate) fn run_gz(posts_gz: &[u8], authors_gz: &[u8], extra_args: &[&str]) -> Run {
    let tmp = tempfile::tempdir().unwrap();
    let posts = tmp.path().join("all-blog-posts.jsonl.gz");
    let authors = tmp.path().join("authorProfile.jsonl.gz");
    std::fs::write(&posts, posts_gz).unwrap();
    std::fs::write(&authors, authors_gz).unwrap();
    let out = tmp.path().join("out");
    run_paths(tmp, &posts, &authors, &out, extra_args)
}

/// Run with explicit paths; `tmp` is kept alive in the returned `Run`. The contract tests
/// are about reading and counting, and many of their fixtures list no author at all, so
/// these runs pass `--allow-empty` (the empty-listing guard of data-spec §1 is tested with
/// [`run_paths_strict`]).
pub(crate) fn run_paths(
    tmp: TempDir,
    posts: &Path,
    authors: &Path,
    out: &Path,
    extra: &[&str],
) -> Run {
    let mut args = vec!["--allow-empty"];
    args.extend_from_slice(extra);
    run_paths_strict(tmp, posts, authors, out, &args)
}

/// [`run_paths`] without any guard override of its own: exactly `extra`.
pub(crate) fn run_paths_strict(
    tmp: TempDir,
    posts: &Path,
    authors: &Path,
    out: &Path,
    extra: &[&str],
) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_author-stats"));
    cmd.arg("run")
        .arg("--posts")
        .arg(posts)
        .arg("--authors")
        .arg(authors)
        .arg("--out")
        .arg(out);
    if !extra
        .iter()
        .any(|a| *a == "--now" || a.starts_with("--now="))
    {
        cmd.args(["--now", NOW]);
    }
    cmd.args(extra);
    let output = output_within(&mut cmd);
    let index_path = out.join("index.json");
    let index = std::fs::read(&index_path).ok().map(|bytes| {
        serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("index.json is not JSON: {e}"))
    });
    Run {
        status: output.status,
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        out_dir: out.to_path_buf(),
        index,
        tmp,
    }
}

/// How long a run may take before the harness calls it hung: far longer than any run of
/// these fixtures, so it never fails a slow machine, only a run that would never end (a
/// FIFO waited on, an endless read).
pub(crate) const HANG_LIMIT: Duration = Duration::from_secs(180);

/// Run `cmd` to its end and collect its output, or kill it and fail the test once it ran
/// for [`HANG_LIMIT`], so that a regression that blocks fails instead of hanging.
pub(crate) fn output_within(cmd: &mut Command) -> Output {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cannot start the command");
    let drain = |mut pipe: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            bytes
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > HANG_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{cmd:?} did not end within {HANG_LIMIT:?}: it hangs");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    }
}

/// `skipped.<key>`; panics if the key is missing.
pub(crate) fn skipped(index: &Value, key: &str) -> u64 {
    index["skipped"][key]
        .as_u64()
        .unwrap_or_else(|| panic!("skipped.{key} missing or not a count in {index}"))
}

/// The `authors` entry with this slug, if listed.
pub(crate) fn author_entry<'a>(index: &'a Value, slug: &str) -> Option<&'a Value> {
    index["authors"]
        .as_array()
        .expect("authors is not an array")
        .iter()
        .find(|a| a["slug"] == slug)
}

/// The listed entry with this slug; panics if it is not listed.
pub(crate) fn listed<'a>(index: &'a Value, slug: &str) -> &'a Value {
    author_entry(index, slug).unwrap_or_else(|| panic!("author {slug} not listed in {index}"))
}

/// `total_posts` of an author, 0 when the author is not listed.
pub(crate) fn total(index: &Value, slug: &str) -> u64 {
    author_entry(index, slug).map_or(0, |a| a["total_posts"].as_u64().unwrap())
}

/// The slugs of `authors`, in file order.
pub(crate) fn slugs(index: &Value) -> Vec<String> {
    index["authors"]
        .as_array()
        .expect("authors is not an array")
        .iter()
        .map(|a| a["slug"].as_str().unwrap().to_owned())
        .collect()
}

/// `monthly` of an author as month → count (empty when the author is not listed).
pub(crate) fn monthly(index: &Value, slug: &str) -> BTreeMap<String, u64> {
    author_entry(index, slug).map_or_else(BTreeMap::new, |a| {
        a["monthly"]
            .as_object()
            .expect("monthly is not an object")
            .iter()
            .map(|(k, v)| (k.clone(), v.as_u64().unwrap()))
            .collect()
    })
}

/// Month → count literal for assertions.
pub(crate) fn months(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
    pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

/// Names of the light charts directly in `dir`: `<name>.png` with no other dot (not
/// `<slug>.dark.png`).
pub(crate) fn pngs(dir: &Path) -> BTreeSet<String> {
    files(dir)
        .into_iter()
        .filter(|name| name.ends_with(".png") && name.matches('.').count() == 1)
        .collect()
}

/// Names of all entries directly in `dir` (empty if `dir` does not exist).
pub(crate) fn files(dir: &Path) -> BTreeSet<String> {
    match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect(),
        Err(_) => BTreeSet::new(),
    }
}

/// The counters a post line can land in (data-spec §5), plus `counted`.
const POST_OUTCOMES: [&str; 7] = [
    "malformed_lines",
    "missing_author_id",
    "missing_published_at",
    "bad_timestamp",
    "future_post",
    "unknown_author",
    "invalid_slug",
];

/// Where the posts of one run went: the §5 outcome name → number of post lines, with
/// `counted` = Σ total_posts. Assumes a master file without malformed lines.
pub(crate) fn outcomes(index: &Value) -> BTreeMap<&'static str, u64> {
    let mut result = BTreeMap::new();
    for key in POST_OUTCOMES {
        let n = skipped(index, key);
        if n > 0 {
            result.insert(key, n);
        }
    }
    let counted: u64 = index["authors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["total_posts"].as_u64().unwrap())
        .sum();
    if counted > 0 {
        result.insert("counted", counted);
    }
    result
}

/// The single outcome of a posts file holding one non-blank line, against a master of
/// `ALICE` (`a1`, usable) and `BAD_SLUG_AUTHOR` (`bad`, invalid slug).
pub(crate) fn outcome_of(post_line: &str) -> &'static str {
    outcome_with(post_line, &format!("{ALICE}{BAD_SLUG_AUTHOR}"), &[])
}

/// Like `outcome_of`, with a master file and extra arguments of the caller's choice.
pub(crate) fn outcome_with(post_line: &str, master: &str, extra_args: &[&str]) -> &'static str {
    let run = run_job(post_line.as_bytes(), master.as_bytes(), extra_args);
    let index = run.index();
    let result = outcomes(index);
    assert_eq!(
        result.values().sum::<u64>(),
        1,
        "post line {post_line:?} must have exactly one outcome, got {result:?}"
    );
    result.into_keys().next().unwrap()
}

/// Decode a PNG completely (through IEND) and return its size.
pub(crate) fn png_size(bytes: &[u8]) -> (u32, u32) {
    const IEND: [u8; 12] = [0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xAE, 0x42, 0x60, 0x82];
    assert!(
        bytes.ends_with(&IEND),
        "PNG does not end with an IEND chunk"
    );
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().expect("PNG header does not decode");
    let mut buf = vec![0; reader.output_buffer_size().expect("PNG too large")];
    let frame = reader
        .next_frame(&mut buf)
        .expect("PNG image data does not decode");
    reader.finish().expect("PNG does not decode to its end");
    (frame.width, frame.height)
}

/// One output folder that several runs publish to, as a site's charts folder is.
pub(crate) struct Site {
    tmp: TempDir,
}

impl Site {
    pub(crate) fn new() -> Site {
        Site {
            tmp: TempDir::new().unwrap(),
        }
    }

    /// The `--out` folder.
    pub(crate) fn out(&self) -> PathBuf {
        self.tmp.path().join("out")
    }

    /// A file beside the output folder (a style file, say).
    pub(crate) fn file(&self, name: &str, text: &str) -> String {
        let path = self.tmp.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    }

    /// Run the job on plain JSONL into [`Site::out`] with exactly `args` (no override of
    /// the harness's own).
    pub(crate) fn run(&self, posts: &str, authors: &str, args: &[&str]) -> Run {
        let dir = TempDir::new().unwrap();
        let p = dir.path().join("posts.jsonl.gz");
        let a = dir.path().join("authors.jsonl.gz");
        std::fs::write(&p, gz(posts.as_bytes())).unwrap();
        std::fs::write(&a, gz(authors.as_bytes())).unwrap();
        run_paths_strict(dir, &p, &a, &self.out(), args)
    }

    /// The published `index.json`.
    pub(crate) fn index(&self) -> Value {
        serde_json::from_slice(&std::fs::read(self.out().join("index.json")).unwrap()).unwrap()
    }
}
