//! The fan-out (data-spec §9) on folders, through the binary: `count`, then `render` of
//! every batch (in any order), then `finish` publish byte for byte what one `run` does —
//! on dirty data, in two zones, over a daily window, the window `all` and a rerun over an
//! already published folder, and after authors left (only their recorded files go). A
//! batch without a result makes `finish` fail without writing `index.json`; rendering it
//! and finishing again converges.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

use chrono::SecondsFormat;
use sample::{write_sample_with_tally, SampleFiles, SampleSpec};
use serde_json::Value;

fn job(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_author-stats"))
        .args(args)
        .env("CI", "true")
        .output()
        .unwrap()
}

fn ok(output: Output) -> String {
    assert!(
        output.status.success(),
        "failed: {}\n{}",
        String::from_utf8_lossy(&output.stderr),
        String::from_utf8_lossy(&output.stdout)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn inputs<'a>(files: &'a SampleFiles, out: &'a Path) -> Vec<&'a str> {
    vec![
        "--posts",
        files.posts.to_str().unwrap(),
        "--authors",
        files.authors.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]
}

/// Every file of a folder (not its sub-folders), name → bytes.
fn files_of(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_file())
        .map(|e| {
            (
                e.file_name().into_string().unwrap(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

fn assert_same_folders(single: &Path, fanned: &Path) {
    let (a, b) = (files_of(single), files_of(fanned));
    assert_eq!(
        a.keys().collect::<Vec<_>>(),
        b.keys().collect::<Vec<_>>(),
        "the same files"
    );
    for (name, bytes) in &a {
        assert!(*bytes == b[name], "{name} differs between run and fan-out");
    }
    assert!(
        !fanned.join(".runs").exists(),
        "finish deletes the run's working files"
    );
}

/// `count` with `window`, every batch rendered (last first), `finish`; returns the run id.
fn fan_out(files: &SampleFiles, out: &Path, window: &[&str], batch_authors: &str) -> String {
    let mut args = vec!["count"];
    args.extend(inputs(files, out));
    args.extend(window);
    args.extend(["--batch-authors", batch_authors, "--json"]);
    let counted: Value = serde_json::from_str(&ok(job(&args))).unwrap();
    let run = counted["run"].as_str().unwrap().to_owned();
    let batches = counted["batches"].as_u64().unwrap();
    let o = out.to_str().unwrap();
    for n in (0..batches).rev() {
        let batch = format!("{n:05}.json");
        ok(job(&[
            "render", "--out", o, "--run", &run, "--batch", &batch,
        ]));
    }
    ok(job(&["finish", "--out", o, "--run", &run]));
    run
}

fn single(files: &SampleFiles, out: &Path, window: &[&str]) {
    let mut args = vec!["run"];
    args.extend(inputs(files, out));
    args.extend(window);
    ok(job(&args));
}

fn sample(dir: &Path, seed: u64) -> (SampleFiles, String) {
    let spec = SampleSpec {
        authors: 80,
        posts: 2500,
        seed,
        dirty: true,
        body_bytes: 200,
        ..SampleSpec::default()
    };
    let (files, tally) = write_sample_with_tally(&dir.join("in"), &spec).unwrap();
    (
        files,
        tally.now.to_rfc3339_opts(SecondsFormat::AutoSi, true),
    )
}

fn check(tz: &str, seed: u64) {
    let dir = tempfile::tempdir().unwrap();
    let (files, now) = sample(dir.path(), seed);
    let (a, b) = (dir.path().join("single"), dir.path().join("fanned"));
    // A daily run over an empty folder, then the window `all` over the published one (a
    // rerun: unchanged charts stay, the others are replaced), then a later daily run.
    for window in [
        vec!["--days", "30", "--now", &now, "--tz", tz],
        vec!["--all", "--now", &now, "--tz", tz],
        vec!["--days", "7", "--now", "2026-01-10T00:00:00Z", "--tz", tz],
    ] {
        single(&files, &a, &window);
        fan_out(&files, &b, &window, "7");
        assert_same_folders(&a, &b);
    }
    let index: Value =
        serde_json::from_slice(&std::fs::read(b.join("index.json")).unwrap()).unwrap();
    assert!(
        index["authors"].as_array().unwrap().len() > 20,
        "the sample lists enough authors to need several batches"
    );
}

/// Gzip files of `authors` authors (slugs `author-N`), each with a post on 2025-11-24.
fn small_export(dir: &Path, authors: usize) -> SampleFiles {
    use std::io::Write;
    let gz = |path: &Path, text: String| {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(text.as_bytes()).unwrap();
        std::fs::write(path, encoder.finish().unwrap()).unwrap();
    };
    std::fs::create_dir_all(dir).unwrap();
    let (posts, master) = (dir.join("posts.gz"), dir.join("authors.gz"));
    gz(
        &master,
        (0..authors)
            .map(|i| format!("{{\"id\":\"a{i}\",\"slug\":\"author-{i}\"}}\n"))
            .collect(),
    );
    gz(
        &posts,
        (0..20)
            .map(|i| {
                format!(
                    "{{\"author_id\":\"a{i}\",\"first_published_at\":\"2025-11-24T00:00:00Z\"}}\n"
                )
            })
            .collect(),
    );
    SampleFiles {
        posts,
        authors: master,
    }
}

#[test]
fn finish_removes_what_the_single_run_removes_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("single"), dir.path().join("fanned"));
    let window = ["--now", "2025-11-25T00:00:00Z", "--allow-shrink"];
    let all = small_export(&dir.path().join("all"), 20);
    single(&all, &a, &window);
    fan_out(&all, &b, &window, "4");
    for out in [&a, &b] {
        std::fs::write(out.join("favicon.png"), b"site").unwrap();
    }
    let fewer = small_export(&dir.path().join("fewer"), 17);
    single(&fewer, &a, &window);
    fan_out(&fewer, &b, &window, "4");
    assert_same_folders(&a, &b);
    let left = files_of(&b);
    assert!(left.contains_key("favicon.png"));
    assert!(left.contains_key("author-16.png") && !left.contains_key("author-17.png"));
    assert!(!left.keys().any(|name| name.starts_with("author-19.")));
}

#[test]
fn count_render_finish_equals_the_single_run_in_tokyo() {
    check("Asia/Tokyo", 11);
}

#[test]
fn count_render_finish_equals_the_single_run_in_new_york() {
    check("America/New_York", 12);
}

#[test]
fn a_batch_without_a_result_fails_finish_before_any_write_and_a_retry_converges() {
    let dir = tempfile::tempdir().unwrap();
    let (files, now) = sample(dir.path(), 13);
    let (a, b) = (dir.path().join("single"), dir.path().join("fanned"));
    let window = ["--all", "--now", now.as_str()];
    single(&files, &a, &window);

    let mut args = vec!["count"];
    args.extend(inputs(&files, &b));
    args.extend(window);
    args.extend(["--batch-authors", "10", "--json"]);
    let counted: Value = serde_json::from_str(&ok(job(&args))).unwrap();
    let run = counted["run"].as_str().unwrap().to_owned();
    let batches = counted["batches"].as_u64().unwrap();
    assert!(batches >= 3, "{counted}");
    let o = b.to_str().unwrap();
    // Batch 1 "fails": never rendered.
    for n in (0..batches).filter(|&n| n != 1) {
        ok(job(&[
            "render",
            "--out",
            o,
            "--run",
            &run,
            "--batch",
            &format!("{n:05}.json"),
        ]));
    }
    let refused = job(&["finish", "--out", o, "--run", &run]);
    assert_eq!(refused.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("00001.json") && stderr.contains("index.json was not written"),
        "{stderr}"
    );
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "one line: {stderr}");
    assert!(
        stderr.lines().last().unwrap().starts_with("error:"),
        "{stderr}"
    );
    assert!(
        !b.join("index.json").exists(),
        "nothing listed before every batch is done"
    );

    // The retry: the missing batch, then finish.
    ok(job(&[
        "render",
        "--out",
        o,
        "--run",
        &run,
        "--batch",
        "00001.json",
    ]));
    ok(job(&["finish", "--out", o, "--run", &run]));
    assert_same_folders(&a, &b);

    // The run is gone: a second finish says what to do.
    let again = job(&["finish", "--out", o, "--run", &run]);
    assert_eq!(again.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("run `count` again"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
}

#[test]
fn a_step_refuses_another_style_than_the_counted_one() {
    let dir = tempfile::tempdir().unwrap();
    let (files, now) = sample(dir.path(), 14);
    let b = dir.path().join("fanned");
    let mut args = vec!["count"];
    args.extend(inputs(&files, &b));
    args.extend(["--all", "--now", now.as_str(), "--json"]);
    let counted: Value = serde_json::from_str(&ok(job(&args))).unwrap();
    let run = counted["run"].as_str().unwrap();
    let style = dir.path().join("en.toml");
    std::fs::write(&style, "locale = \"en\"\n").unwrap();
    let o = b.to_str().unwrap();
    let refused = job(&[
        "render",
        "--out",
        o,
        "--run",
        run,
        "--batch",
        "00000.json",
        "--style",
        style.to_str().unwrap(),
    ]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("style differs"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    let bad = job(&[
        "render",
        "--out",
        o,
        "--run",
        "../x",
        "--batch",
        "00000.json",
    ]);
    assert_eq!(
        bad.status.code(),
        Some(2),
        "a run id that is not one is a usage error"
    );
}
