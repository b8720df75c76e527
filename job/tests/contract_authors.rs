//! data-spec §3: the author master — last record per id wins, which slugs are valid,
//! duplicate slugs drop every record that shares them, and display-name fallbacks.
//! Posts here are old (not rendered) unless a test is about the chart file name.

mod common;

use common::*;

/// Master with one author `a1` of the given slug, one old post by `a1`: where did it go?
fn outcome_for_slug_json(slug_json: &str) -> &'static str {
    let master = format!("{{\"id\":\"a1\",\"slug\":{slug_json},\"display_name\":\"A\"}}\n");
    outcome_with(&post("a1", OLD), &master, &[])
}

#[test]
fn the_last_record_of_a_duplicate_id_wins_its_slug() {
    let master = format!(
        "{}{}",
        author("a1", "old-slug", "Old"),
        author("a1", "new-slug", "New")
    );
    let run = run_job(post("a1", RECENT).as_bytes(), master.as_bytes(), &[]);
    let index = run.index();
    assert_eq!(slugs(index), ["new-slug"]);
    assert_eq!(pngs(&run.out_dir), ["new-slug.png".to_string()].into());
}

#[test]
fn the_last_record_of_a_duplicate_id_wins_its_display_name() {
    let master = format!(
        "{}{}",
        author("a1", "alice", "Old Name"),
        author("a1", "alice", "New Name")
    );
    let run = run_job(post("a1", OLD).as_bytes(), master.as_bytes(), &[]);
    assert_eq!(listed(run.index(), "alice")["display_name"], "New Name");
}

#[test]
fn the_last_record_of_a_duplicate_id_wins_completely_even_without_a_display_name() {
    let master = format!(
        "{}{{\"id\":\"a1\",\"slug\":\"alice\"}}\n",
        author("a1", "alice", "Old Name")
    );
    let run = run_job(post("a1", OLD).as_bytes(), master.as_bytes(), &[]);
    assert_eq!(listed(run.index(), "alice")["display_name"], "alice");
}

#[test]
fn the_last_record_of_a_duplicate_id_wins_even_with_an_invalid_slug() {
    let master = format!(
        "{}{}",
        author("a1", "alice", "Alice"),
        author("a1", "../evil", "Alice")
    );
    assert_eq!(outcome_with(&post("a1", OLD), &master, &[]), "invalid_slug");
}

#[test]
fn a_later_valid_record_of_a_duplicate_id_repairs_an_invalid_slug() {
    let master = format!(
        "{}{}",
        author("a1", "Bad Slug", "Alice"),
        author("a1", "alice", "Alice")
    );
    assert_eq!(outcome_with(&post("a1", OLD), &master, &[]), "counted");
}

#[test]
fn a_forgotten_slug_takes_no_part_in_the_duplicate_slug_check() {
    let master = format!(
        "{}{}{}",
        author("a1", "shared", "First"),
        author("a1", "alice", "Alice"),
        author("b2", "shared", "Bob")
    );
    let posts = format!("{}{}", post("a1", OLD), post("b2", OLD));
    let run = run_job(posts.as_bytes(), master.as_bytes(), &[]);
    let index = run.index();
    assert_eq!(skipped(index, "duplicate_slug"), 0);
    assert_eq!(slugs(index), ["alice", "shared"]);
    assert_eq!(listed(index, "shared")["id"], "b2");
}

#[test]
fn the_same_id_twice_with_the_same_slug_is_not_a_duplicate_slug() {
    let master = format!("{ALICE}{ALICE}");
    let run = run_job(post("a1", OLD).as_bytes(), master.as_bytes(), &[]);
    assert_eq!(skipped(run.index(), "duplicate_slug"), 0);
    assert_eq!(total(run.index(), "alice"), 1);
}

#[test]
fn a_malformed_later_line_does_not_replace_an_earlier_record() {
    let master = format!("{ALICE}{{\"id\":\"a1\",\"slug\":\"x\\ud800\"}}\n");
    let run = run_job(post("a1", OLD).as_bytes(), master.as_bytes(), &[]);
    assert_eq!(skipped(run.index(), "malformed_lines"), 1);
    assert_eq!(total(run.index(), "alice"), 1);
}

#[test]
fn valid_slugs_name_the_chart() {
    let long = "a".repeat(64);
    let valid = [
        "a",
        "0",
        "9lives",
        "a-b_c",
        "abc123",
        "z_",
        "x-",
        long.as_str(),
    ];
    let master: String = valid
        .iter()
        .enumerate()
        .map(|(i, slug)| author(&format!("id{i}"), slug, "N"))
        .collect();
    let posts: String = (0..valid.len())
        .map(|i| post(&format!("id{i}"), RECENT))
        .collect();
    let run = run_job(posts.as_bytes(), master.as_bytes(), &[]);
    let index = run.index();
    assert_eq!(skipped(index, "invalid_slug"), 0);
    let expected: std::collections::BTreeSet<String> =
        valid.iter().map(|s| format!("{s}.png")).collect();
    assert_eq!(pngs(&run.out_dir), expected);
}

#[test]
fn a_slug_of_64_characters_is_valid() {
    let slug = format!("\"{}\"", "a".repeat(64));
    assert_eq!(outcome_for_slug_json(&slug), "counted");
}

#[test]
fn a_slug_of_65_characters_is_invalid() {
    let slug = format!("\"{}\"", "a".repeat(65));
    assert_eq!(outcome_for_slug_json(&slug), "invalid_slug");
}

#[test]
fn every_invalid_slug_makes_its_posts_invalid_slug() {
    let cases = [
        "\"\"",
        "null",
        "42",
        "true",
        "[\"alice\"]",
        "{\"v\":\"alice\"}",
        "\"../evil\"",
        "\"a/b\"",
        "\"a\\\\b\"",
        "\"UPPER case\"",
        "\"Alice\"",
        "\"a b\"",
        "\".hidden\"",
        "\"a.b\"",
        "\"-dash-first\"",
        "\"_under-first\"",
        "\"caf\u{e9}\"",
        "\"\u{FF41}bc\"",
        "\"\\u00e9\"",
        "\"alice\\n\"",
        "\"ali\\u0000ce\"",
        "\"ali\\tce\"",
        "\"alice\\u007f\"",
        "\" alice\"",
    ];
    for slug in cases {
        assert_eq!(outcome_for_slug_json(slug), "invalid_slug", "slug {slug}");
    }
}

#[test]
fn an_absent_slug_is_invalid() {
    let master = "{\"id\":\"a1\",\"display_name\":\"A\"}\n";
    assert_eq!(outcome_with(&post("a1", OLD), master, &[]), "invalid_slug");
}

#[test]
fn an_author_with_an_invalid_slug_gets_no_chart_and_no_entry() {
    let master = format!("{ALICE}{BAD_SLUG_AUTHOR}");
    let posts = format!("{}{}", post("a1", RECENT), post("bad", RECENT));
    let run = run_job(posts.as_bytes(), master.as_bytes(), &[]);
    assert_eq!(slugs(run.index()), ["alice"]);
    assert_eq!(pngs(&run.out_dir), ["alice.png".to_string()].into());
}

#[test]
fn a_duplicate_slug_drops_every_record_that_shares_it() {
    let master = format!(
        "{}{}{ALICE}",
        author("s1", "same", "One"),
        author("s2", "same", "Two")
    );
    let posts = format!(
        "{}{}{}",
        post("s1", RECENT),
        post("s2", RECENT),
        post("a1", RECENT)
    );
    let run = run_job(posts.as_bytes(), master.as_bytes(), &[]);
    let index = run.index();
    assert_eq!(skipped(index, "duplicate_slug"), 2);
    assert_eq!(skipped(index, "invalid_slug"), 2);
    assert_eq!(slugs(index), ["alice"]);
    assert_eq!(pngs(&run.out_dir), ["alice.png".to_string()].into());
}

#[test]
fn duplicate_slug_counts_the_records_with_and_without_posts() {
    let master = format!(
        "{}{}{}{}{}",
        author("s1", "same", "One"),
        author("s2", "same", "Two"),
        author("s3", "same", "Three"),
        author("t1", "twin", "Twin 1"),
        author("t2", "twin", "Twin 2"),
    );
    let run = run_job(post("s1", OLD).as_bytes(), master.as_bytes(), &[]);
    let index = run.index();
    assert_eq!(skipped(index, "duplicate_slug"), 5);
    assert_eq!(skipped(index, "invalid_slug"), 1);
}

#[test]
fn records_with_invalid_slugs_never_count_as_duplicates() {
    let master = [
        author("e1", "", "E"),
        author("e2", "", "E"),
        author("x1", "../evil", "X"),
        author("x2", "../evil", "X"),
        "{\"id\":\"n1\",\"slug\":null}\n".to_string(),
        "{\"id\":\"n2\",\"slug\":null}\n".to_string(),
        "{\"id\":\"m1\"}\n".to_string(),
        "{\"id\":\"m2\"}\n".to_string(),
    ]
    .concat();
    let posts = format!("{}{}", post("e1", OLD), post("x2", OLD));
    let run = run_job(posts.as_bytes(), master.as_bytes(), &[]);
    let index = run.index();
    assert_eq!(skipped(index, "duplicate_slug"), 0);
    assert_eq!(skipped(index, "invalid_slug"), 2);
}

#[test]
fn a_usable_author_is_unaffected_by_others_sharing_a_slug() {
    let master = format!(
        "{}{}{ALICE}",
        author("s1", "same", "One"),
        author("s2", "same", "Two")
    );
    let run = run_job(post("a1", OLD).as_bytes(), master.as_bytes(), &[]);
    assert_eq!(slugs(run.index()), ["alice"]);
    assert_eq!(total(run.index(), "alice"), 1);
}

/// The `display_name` listed for `alice` when her master line holds `name_json`
/// (`None`: the key is absent).
fn display_name_for(name_json: Option<&str>) -> serde_json::Value {
    let master = match name_json {
        Some(name) => format!("{{\"id\":\"a1\",\"slug\":\"alice\",\"display_name\":{name}}}\n"),
        None => "{\"id\":\"a1\",\"slug\":\"alice\"}\n".to_string(),
    };
    let run = run_job(post("a1", OLD).as_bytes(), master.as_bytes(), &[]);
    listed(run.index(), "alice")["display_name"].clone()
}

#[test]
fn a_non_empty_display_name_is_used_as_is() {
    assert_eq!(display_name_for(Some("\"鈴木 亮\"")), "鈴木 亮");
}

#[test]
fn a_display_name_is_not_trimmed() {
    assert_eq!(display_name_for(Some("\"\u{3000}\"")), "\u{3000}");
    assert_eq!(display_name_for(Some("\" Bob \"")), " Bob ");
}

#[test]
fn a_display_name_of_only_spaces_or_control_characters_falls_back_to_the_slug() {
    for name in [
        "\" \"",
        "\"   \"",
        "\"\\t\\n\"",
        "\" \\u0007 \"",
        "\"\\u0085\\u007f\"",
    ] {
        assert_eq!(display_name_for(Some(name)), "alice", "display_name {name}");
    }
    // Drawn and summarised under the slug, not under nothing.
    let master = "{\"id\":\"a1\",\"slug\":\"alice\",\"display_name\":\"  \\t \"}\n";
    let run = run_job(post("a1", RECENT).as_bytes(), master.as_bytes(), &[]);
    let summary = listed(run.index(), "alice")["summary"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(summary.starts_with("aliceさんは"), "{summary}");
    let svg = std::fs::read_to_string(run.out_dir.join("alice.svg")).unwrap();
    assert!(svg.contains(">alice</title>"), "{svg:.400}");
}

#[test]
fn a_long_display_name_is_kept_whole() {
    let name: String = "名前とても長い".chars().cycle().take(200).collect();
    assert_eq!(
        display_name_for(Some(&format!("\"{name}\""))),
        name.as_str()
    );
}

#[test]
fn an_emoji_display_name_is_kept() {
    assert_eq!(
        display_name_for(Some("\"\u{1F431}\u{200D}\u{1F464} cat\"")),
        "\u{1F431}\u{200D}\u{1F464} cat"
    );
}

#[test]
fn a_missing_or_unusable_display_name_falls_back_to_the_slug() {
    for name in [
        None,
        Some("null"),
        Some("42"),
        Some("\"\""),
        Some("[\"A\"]"),
        Some("{}"),
        Some("false"),
    ] {
        assert_eq!(display_name_for(name), "alice", "display_name {name:?}");
    }
}

#[test]
fn a_slug_fallback_display_name_is_rendered() {
    let master = "{\"id\":\"a1\",\"slug\":\"alice\",\"display_name\":\"\"}\n";
    let run = run_job(post("a1", RECENT).as_bytes(), master.as_bytes(), &[]);
    let index = run.index();
    assert_eq!(listed(index, "alice")["rendered"], true);
    assert_eq!(pngs(&run.out_dir), ["alice.png".to_string()].into());
}

#[test]
fn a_path_like_slug_writes_nothing_outside_the_output_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let parent = tmp.path().join("parent");
    let out = parent.join("out");
    std::fs::create_dir_all(&out).unwrap();
    let posts_path = tmp.path().join("posts.jsonl.gz");
    let authors_path = tmp.path().join("authors.jsonl.gz");
    let master = [
        author("x1", "../evil", "X"),
        author("x2", "../../evil2", "X"),
        author("x3", "a/b", "X"),
        author("x4", "..", "X"),
        author("x5", "/tmp/abs", "X"),
        ALICE.to_string(),
    ]
    .concat();
    let posts: String = ["x1", "x2", "x3", "x4", "x5", "a1"]
        .iter()
        .map(|id| post(id, RECENT))
        .collect();
    std::fs::write(&posts_path, gz(posts.as_bytes())).unwrap();
    std::fs::write(&authors_path, gz(master.as_bytes())).unwrap();
    let before_tmp = files(tmp.path());
    let run = run_paths(tmp, &posts_path, &authors_path, &out, &[]);
    let index = run.index();
    assert_eq!(skipped(index, "invalid_slug"), 5);
    assert_eq!(files(&parent), ["out".to_string()].into());
    assert_eq!(files(run.tmp.path()), before_tmp);
    assert_eq!(
        files(&out),
        [
            "alice.dark.png".to_string(),
            "alice.dark.svg".to_string(),
            "alice.png".to_string(),
            "alice.stats.json".to_string(),
            "alice.svg".to_string(),
            "index.json".to_string()
        ]
        .into()
    );
}
