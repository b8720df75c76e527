//! data-spec §2.5 and §3.5, bounded input: a line over 16 MiB is malformed and the lines
//! around it are read as usual; a display name over 1,000 characters is cut to 999 and `…`
//! in `index.json` (and on the chart), a name of 1,000 stays exact.

mod common;

use common::*;

const CAP: usize = 16 * 1024 * 1024;

/// A post line of exactly `len` bytes (without its LF), for author `a1`.
fn post_of_len(len: usize) -> String {
    let head = format!("{{\"author_id\":\"a1\",\"first_published_at\":\"{RECENT}\",\"body\":\"");
    let tail = "\"}";
    let pad = len - head.len() - tail.len();
    format!("{head}{}{tail}\n", "x".repeat(pad))
}

#[test]
fn a_line_over_16_mib_is_malformed_and_the_lines_around_it_count() {
    let posts = format!(
        "{}{}{}",
        post("a1", RECENT),
        post_of_len(CAP + 1),
        post("a1", OLD)
    );
    let run = run_job(posts.as_bytes(), ALICE.as_bytes(), &[]);
    let index = run.index();
    assert_eq!(skipped(index, "malformed_lines"), 1);
    assert_eq!(total(index, "alice"), 2);
}

#[test]
fn a_line_of_exactly_16_mib_is_read() {
    let run = run_job(post_of_len(CAP).as_bytes(), ALICE.as_bytes(), &[]);
    let index = run.index();
    assert_eq!(skipped(index, "malformed_lines"), 0);
    assert_eq!(total(index, "alice"), 1);
}

#[test]
fn a_display_name_over_1000_characters_is_cut_to_999_and_an_ellipsis() {
    let name = "名".repeat(5000);
    let run = run_job(
        post("a1", RECENT).as_bytes(),
        author("a1", "alice", &name).as_bytes(),
        &[],
    );
    let shown = listed(run.index(), "alice")["display_name"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(shown.chars().count(), 1000);
    assert_eq!(shown, format!("{}…", "名".repeat(999)));
    assert_eq!(pngs(&run.out_dir).len(), 1, "the chart is drawn");
}

#[test]
fn a_display_name_of_1000_characters_stays_exact() {
    let name = "é".repeat(1000);
    let run = run_job(
        post("a1", RECENT).as_bytes(),
        author("a1", "alice", &name).as_bytes(),
        &[],
    );
    assert_eq!(listed(run.index(), "alice")["display_name"], name.as_str());
}
