//! What rots quietly, checked on every test run (rust-analyzer's `tidy.rs` is the model):
//! every Rust file starts with a module doc comment, and every repository path that a doc
//! comment, the README, spec/ or a generated file names exists; every test that starts an
//! emulator first requires its tool (so `cargo test` skips instead of failing without it).

use std::fs;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The folders whose files name repository paths, and the ones that are never looked at.
const SKIP_DIRS: [&str; 5] = ["target", "node_modules", ".git", "cdk.out", "corpus"];

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            if !SKIP_DIRS.contains(&name.as_str()) {
                files(&path, out);
            }
        } else if kind.is_file() {
            out.push(path);
        }
    }
}

fn all_files() -> Vec<PathBuf> {
    let mut out = Vec::new();
    files(&root(), &mut out);
    out.sort();
    out
}

fn relative(path: &Path) -> String {
    path.strip_prefix(root())
        .unwrap_or(path)
        .to_string_lossy()
        .into_owned()
}

#[test]
fn every_rust_file_starts_with_a_module_doc_comment() {
    let mut missing = Vec::new();
    for path in all_files() {
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = fs::read_to_string(&path).unwrap();
        let first = text
            .lines()
            .find(|l| !l.trim().is_empty() && !l.starts_with("#!["))
            .unwrap_or("");
        if !first.starts_with("//!") {
            missing.push(relative(&path));
        }
    }
    assert!(
        missing.is_empty(),
        "these files do not start with a `//!` doc saying what they hold: {missing:#?}"
    );
}

/// The top-level entries a repository path can start with.
const TOP: [&str; 11] = [
    "job/",
    "xtask/",
    "contract/",
    "sample/",
    "testkit/",
    "templates/",
    "deploy/",
    "spec/",
    "fuzz/",
    ".github/",
    ".ci/",
];

/// Paths named in `text`: a top-level entry followed by path characters, trimmed of
/// trailing punctuation; placeholders (`<stage>`, `*`, `{…}`, `…`) are not paths.
fn named_paths(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    for top in TOP {
        let mut from = 0;
        while let Some(found) = text[from..].find(top) {
            let start = from + found;
            from = start + top.len();
            // Only where a path starts: not inside a longer word or path (`../spec/`, `x/job/`).
            if start > 0 {
                let before = bytes[start - 1];
                if before.is_ascii_alphanumeric() || b"/._-~$".contains(&before) {
                    continue;
                }
            }
            let rest = &text[start..];
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || "/._-".contains(c)))
                .unwrap_or(rest.len());
            let mut path = rest[..end].trim_end_matches(['.', ',', '-']).to_owned();
            let after = rest[end..].chars().next();
            if matches!(after, Some('<' | '*' | '{' | '…' | '$')) {
                continue;
            }
            while path.ends_with('/') && path.len() > top.len() {
                path.pop();
            }
            if path.len() > top.len() {
                out.push(path);
            }
        }
    }
    out
}

/// The text of `path` a reader takes as documentation: doc and line comments of Rust
/// files, comment lines of YAML, TOML and TypeScript, all of Markdown.
fn documentation(path: &Path) -> Option<String> {
    let ext = path.extension()?.to_str()?;
    let text = fs::read_to_string(path).ok()?;
    let comment = |prefixes: &[&str]| {
        text.lines()
            .map(str::trim_start)
            .filter(|l| prefixes.iter().any(|p| l.starts_with(p)))
            .collect::<Vec<_>>()
            .join("\n")
    };
    match ext {
        "md" => Some(text.clone()),
        "rs" | "ts" => Some(comment(&["//"])),
        "yaml" | "yml" | "toml" => Some(comment(&["#"])),
        _ => None,
    }
}

#[test]
fn every_repository_path_a_document_names_exists() {
    let root = root();
    let mut broken = Vec::new();
    for path in all_files() {
        let Some(text) = documentation(&path) else {
            continue;
        };
        for named in named_paths(&text) {
            if !root.join(&named).exists() && !generated_at_build(&named) {
                broken.push(format!("{}: {named}", relative(&path)));
            }
        }
    }
    broken.sort();
    broken.dedup();
    assert!(
        broken.is_empty(),
        "these documents name paths that do not exist (fix the path or the document): \
         {broken:#?}"
    );
}

/// Paths that exist only after a build or a tool install (under `target/`, or written by
/// `npm` into an app folder), which a document may name.
fn generated_at_build(path: &str) -> bool {
    path.contains("/node_modules") || path.contains("/cdk.out") || path.contains("/dist")
}

#[test]
fn the_path_finder_sees_paths_and_skips_placeholders() {
    let found = named_paths(
        "see `xtask/stacks/src/main_stack/mod.rs`, spec/data-spec.md. and ../spec/x.md, \
         templates/<stage>.yaml, job/src/*.rs, (deploy/stages.toml)",
    );
    assert_eq!(
        found,
        [
            "xtask/stacks/src/main_stack/mod.rs",
            "deploy/stages.toml",
            "spec/data-spec.md"
        ]
    );
}

/// What in an integration-test file means its tests start a local emulator: they reach moto
/// (testkit's moto server, or the job's `aws_support` module, which runs the job against it).
/// (Spelt in two pieces, so that this file does not match itself.)
const EMULATOR_MARKERS: [&str; 2] = [concat!("moto", "()"), concat!("mod ", "aws_support")];

/// The `#[test]` functions of `text` that do not call `require!` before their body's end
/// (a test is the text from its `#[test]` to the next one).
fn tests_without_require(text: &str) -> Vec<String> {
    text.split(concat!("#[", "test]"))
        .skip(1)
        .filter(|test| !test.contains("require!("))
        .map(|test| {
            test.split_once("fn ")
                .and_then(|(_, rest)| rest.split_once('('))
                .map_or("?", |(name, _)| name)
                .to_owned()
        })
        .collect()
}

#[test]
fn every_test_that_starts_an_emulator_first_requires_its_tool() {
    // Else `cargo test` on a fresh clone fails where it should say what it skipped.
    let mut missing = Vec::new();
    for path in all_files() {
        let in_tests = path.components().any(|c| c.as_os_str() == "tests");
        if !in_tests || path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = fs::read_to_string(&path).unwrap();
        if !EMULATOR_MARKERS.iter().any(|m| text.contains(m)) {
            continue;
        }
        for name in tests_without_require(&text) {
            missing.push(format!("{}: {name}", relative(&path)));
        }
    }
    assert!(
        missing.is_empty(),
        "these tests start an emulator without `testkit::require!(testkit::tools::Tool::…)` \
         first, so `cargo test` fails without the tool instead of skipping:\n{}",
        missing.join("\n")
    );
}

#[test]
fn a_test_without_require_is_found_by_name() {
    let text = concat!(
        "#[test]\nfn skips() {\n    testkit::require!(Tool::Moto);\n}\n",
        "#[",
        "test]\nfn fails_without_its_tool() {\n    start_the_emulator();\n}\n"
    );
    assert_eq!(tests_without_require(text), ["fails_without_its_tool"]);
}
