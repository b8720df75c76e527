//! data-spec §1: fatal errors — a missing or unreadable input, corrupt or truncated gzip,
//! an invalid `--days`, `--now` or `--tz`, an unwritable `--out`. Each must exit non-zero
//! with an error line naming the file or option, and write neither `index.json` nor any
//! chart; what an earlier run left in `--out` stays byte-identical.

mod common;

use std::path::Path;

use common::*;

/// Posts that would render a chart if the run went through.
fn good_posts() -> Vec<u8> {
    post("a1", RECENT).into_bytes()
}

/// Asserts a fatal run: non-zero exit, one stderr line that is an error naming `names`
/// (progress lines and hints around it are allowed), and no `index.json` or `.png` in the
/// output folder.
fn assert_fatal(run: &Run, names: &str) {
    assert!(
        !run.status.success(),
        "expected a fatal error naming {names}, but the run succeeded"
    );
    assert!(
        run.stderr
            .lines()
            .any(|line| line.to_lowercase().contains("error") && line.contains(names)),
        "no single stderr line is an error naming {names}:\n{}",
        run.stderr
    );
    assert!(
        !run.out_dir.join("index.json").exists(),
        "index.json written by a failed run"
    );
    assert!(
        pngs(&run.out_dir).is_empty(),
        "charts written by a failed run"
    );
}

/// A gzip file whose last member is cut `cut` bytes before its end.
fn truncated_gz(jsonl: &[u8], cut: usize) -> Vec<u8> {
    let mut bytes = gz(jsonl);
    bytes.truncate(bytes.len() - cut);
    bytes
}

/// Some post lines, long enough that cutting the gzip stream in the middle leaves data.
fn many_posts() -> Vec<u8> {
    (0..200)
        .map(|i| {
            format!(
                "{{\"author_id\":\"a1\",\"first_published_at\":\"{RECENT}\",\"body\":\"post number {i}\"}}\n"
            )
        })
        .collect::<String>()
        .into_bytes()
}

fn run_with_missing_file(missing_posts: bool) -> (Run, String) {
    let tmp = tempfile::tempdir().unwrap();
    let posts = tmp.path().join("all-blog-posts.jsonl.gz");
    let authors = tmp.path().join("authorProfile.jsonl.gz");
    if missing_posts {
        std::fs::write(&authors, gz(ALICE.as_bytes())).unwrap();
    } else {
        std::fs::write(&posts, gz(&good_posts())).unwrap();
    }
    let missing = if missing_posts { &posts } else { &authors };
    let name = missing.file_name().unwrap().to_string_lossy().into_owned();
    let out = tmp.path().join("out");
    (run_paths(tmp, &posts, &authors, &out, &[]), name)
}

#[test]
fn a_missing_posts_file_is_fatal() {
    let (run, name) = run_with_missing_file(true);
    assert_fatal(&run, &name);
}

#[test]
fn a_missing_authors_file_is_fatal() {
    let (run, name) = run_with_missing_file(false);
    assert_fatal(&run, &name);
}

#[test]
fn an_unreadable_posts_file_is_fatal() {
    let tmp = tempfile::tempdir().unwrap();
    let posts = tmp.path().join("posts-dir.jsonl.gz");
    std::fs::create_dir(&posts).unwrap();
    let authors = tmp.path().join("authorProfile.jsonl.gz");
    std::fs::write(&authors, gz(ALICE.as_bytes())).unwrap();
    let out = tmp.path().join("out");
    let run = run_paths(tmp, &posts, &authors, &out, &[]);
    assert_fatal(&run, "posts-dir.jsonl.gz");
}

#[test]
fn a_posts_file_that_is_not_gzip_is_fatal() {
    let run = run_gz(&good_posts(), &gz(ALICE.as_bytes()), &[]);
    assert_fatal(&run, "all-blog-posts.jsonl.gz");
}

#[test]
fn an_authors_file_of_garbage_bytes_is_fatal() {
    let run = run_gz(
        &gz(&good_posts()),
        b"\x1f\x8b\x08\x00garbage garbage garbage",
        &[],
    );
    assert_fatal(&run, "authorProfile.jsonl.gz");
}

#[test]
fn a_gzip_member_with_a_wrong_crc_is_fatal() {
    let mut posts_gz = gz(&good_posts());
    let crc_at = posts_gz.len() - 8;
    posts_gz[crc_at] ^= 0xFF;
    let run = run_gz(&posts_gz, &gz(ALICE.as_bytes()), &[]);
    assert_fatal(&run, "all-blog-posts.jsonl.gz");
}

#[test]
fn corrupt_deflate_data_is_fatal() {
    let mut posts_gz = gz(&many_posts());
    let middle = posts_gz.len() / 2;
    for byte in &mut posts_gz[middle..middle + 16] {
        *byte = 0xFF;
    }
    let run = run_gz(&posts_gz, &gz(ALICE.as_bytes()), &[]);
    assert_fatal(&run, "all-blog-posts.jsonl.gz");
}

#[test]
fn a_posts_file_missing_its_gzip_trailer_is_fatal() {
    let run = run_gz(&truncated_gz(&good_posts(), 4), &gz(ALICE.as_bytes()), &[]);
    assert_fatal(&run, "all-blog-posts.jsonl.gz");
}

#[test]
fn a_posts_file_cut_in_the_middle_is_fatal() {
    let whole = gz(&many_posts());
    let run = run_gz(&whole[..whole.len() / 2], &gz(ALICE.as_bytes()), &[]);
    assert_fatal(&run, "all-blog-posts.jsonl.gz");
}

#[test]
fn an_authors_file_cut_in_the_middle_is_fatal() {
    let master: String = (0..100)
        .map(|i| author(&format!("id{i}"), &format!("slug{i}"), "Name"))
        .collect();
    let mut authors_gz = gz(ALICE.as_bytes());
    authors_gz.extend(truncated_gz(master.as_bytes(), 30));
    let run = run_gz(&gz(&good_posts()), &authors_gz, &[]);
    assert_fatal(&run, "authorProfile.jsonl.gz");
}

#[test]
fn a_truncated_last_member_of_a_multi_member_file_is_fatal() {
    let mut posts_gz = gz(&good_posts());
    posts_gz.extend(truncated_gz(&many_posts(), 10));
    let run = run_gz(&posts_gz, &gz(ALICE.as_bytes()), &[]);
    assert_fatal(&run, "all-blog-posts.jsonl.gz");
}

#[test]
fn a_file_cut_inside_the_gzip_header_is_fatal() {
    let mut posts_gz = gz(&good_posts());
    posts_gz.extend_from_slice(&gz(b"")[..5]);
    let run = run_gz(&posts_gz, &gz(ALICE.as_bytes()), &[]);
    assert_fatal(&run, "all-blog-posts.jsonl.gz");
}

/// Runs good inputs with the given arguments, which must be rejected as naming `names`.
fn assert_rejected_option(args: &[&str], names: &str) {
    let run = run_job(&good_posts(), ALICE.as_bytes(), args);
    assert_fatal(&run, names);
}

#[test]
fn days_zero_is_fatal() {
    assert_rejected_option(&["--days", "0"], "--days");
}

#[test]
fn negative_days_are_fatal() {
    assert_rejected_option(&["--days=-1"], "--days");
}

#[test]
fn days_that_are_not_an_integer_are_fatal() {
    for days in ["abc", "1.5", "", "7d", "7 days"] {
        assert_rejected_option(&["--days", days], "--days");
    }
}

#[test]
fn now_without_an_offset_is_fatal() {
    assert_rejected_option(&["--now", "2025-11-25T00:00:00"], "--now");
}

#[test]
fn now_outside_the_timestamp_grammar_is_fatal() {
    for now in [
        "yesterday",
        "",
        "2025-11-25",
        "2025-11-25 00:00:00Z",
        "2025-11-25T24:00:00Z",
        "2025-02-29T00:00:00Z",
        "2025-11-25T00:00:00.1234567890Z",
        "1969-12-31T23:59:59Z",
    ] {
        assert_rejected_option(&["--now", now], "--now");
    }
}

#[test]
fn a_now_whose_month_would_leave_the_year_9999_is_fatal() {
    // In Asia/Tokyo (the default) and any zone east of UTC this is already 10000-01.
    for now in ["9999-12-31T23:59:59Z", "9999-12-31T00:00:00Z"] {
        let run = run_job(&good_posts(), ALICE.as_bytes(), &["--now", now]);
        assert_fatal(&run, "--now");
        assert!(
            run.stderr.contains("before 9999-12-31T00:00:00Z"),
            "{}",
            run.stderr
        );
    }
}

#[test]
fn the_latest_accepted_now_still_writes_year_9999_months() {
    for tz in [
        "Pacific/Kiritimati",
        "Asia/Tokyo",
        "UTC",
        "Pacific/Pago_Pago",
    ] {
        let posts = post("a1", "9999-12-30T12:00:00Z");
        let run = run_job(
            posts.as_bytes(),
            ALICE.as_bytes(),
            &["--now", "9999-12-30T23:59:59Z", "--tz", tz],
        );
        let months = monthly(run.index(), "alice");
        assert_eq!(months.keys().collect::<Vec<_>>(), ["9999-12"], "{tz}");
    }
}

#[test]
fn an_unknown_time_zone_is_fatal() {
    assert_rejected_option(&["--tz", "Mars/Olympus"], "--tz");
}

#[test]
fn a_time_zone_that_is_not_an_iana_name_is_fatal() {
    for tz in ["", "+09:00", "Tokyo", "Asia/Tokyo "] {
        assert_rejected_option(&["--tz", tz], "--tz");
    }
}

#[test]
fn an_output_folder_that_cannot_be_created_is_fatal() {
    let tmp = tempfile::tempdir().unwrap();
    let posts = tmp.path().join("p.jsonl.gz");
    let authors = tmp.path().join("a.jsonl.gz");
    std::fs::write(&posts, gz(&good_posts())).unwrap();
    std::fs::write(&authors, gz(ALICE.as_bytes())).unwrap();
    let blocker = tmp.path().join("regular-file");
    std::fs::write(&blocker, b"not a folder").unwrap();
    let out = blocker.join("out");
    let run = run_paths(tmp, &posts, &authors, &out, &[]);
    assert_fatal(&run, "regular-file");
    assert_eq!(std::fs::read(&blocker).unwrap(), b"not a folder");
}

/// Snapshot of a folder: every file's name and bytes.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    files(dir)
        .into_iter()
        .map(|name| {
            let bytes = std::fs::read(dir.join(&name)).unwrap();
            (name, bytes)
        })
        .collect()
}

#[test]
fn a_failed_run_leaves_yesterdays_charts_and_index_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let old_png = gz(b"stands in for yesterday's chart");
    std::fs::write(out.join("alice.png"), &old_png).unwrap();
    std::fs::write(out.join("index.json"), br#"{"yesterday":true}"#).unwrap();
    let before = snapshot(&out);

    let posts = tmp.path().join("all-blog-posts.jsonl.gz");
    let authors = tmp.path().join("authorProfile.jsonl.gz");
    let mut posts_gz = gz(&good_posts());
    posts_gz.extend(truncated_gz(&many_posts(), 4));
    std::fs::write(&posts, posts_gz).unwrap();
    std::fs::write(&authors, gz(ALICE.as_bytes())).unwrap();

    let run = run_paths(tmp, &posts, &authors, &out, &[]);
    assert!(
        !run.status.success(),
        "a truncated posts file must be fatal"
    );
    assert_eq!(
        snapshot(&out),
        before,
        "the failed run changed the output folder"
    );
}
