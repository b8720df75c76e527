//! data-spec §2: how both input files are read — gzip members, line splitting, BOM, blank
//! lines, what makes a line malformed, and exact string comparison after JSON decoding.
//! Each test counts where the lines went; the master is `ALICE` unless a test says otherwise.

mod common;

use common::*;

/// Posts of `alice` that made it into `index.json`, asserting nothing else was skipped.
fn counted_cleanly(posts: &[u8], authors: &[u8]) -> u64 {
    let run = run_job(posts, authors, &[]);
    let index = run.index();
    for key in SKIPPED_KEYS {
        assert_eq!(skipped(index, key), 0, "skipped.{key} in {index}");
    }
    total(index, "alice")
}

/// Runs one post line (next to one good line) and returns `malformed_lines`, checking the
/// good line still counts.
fn malformed_count_of_post_line(line: &[u8]) -> u64 {
    let mut posts = post("a1", OLD).into_bytes();
    posts.extend_from_slice(line);
    posts.push(b'\n');
    let run = run_job(&posts, ALICE.as_bytes(), &[]);
    let index = run.index();
    assert_eq!(total(index, "alice"), 1, "good line lost next to {line:?}");
    skipped(index, "malformed_lines")
}

/// Runs one master line next to `ALICE` and returns `malformed_lines`.
fn malformed_count_of_author_line(line: &[u8]) -> u64 {
    let mut authors = ALICE.as_bytes().to_vec();
    authors.extend_from_slice(line);
    authors.push(b'\n');
    let run = run_job(post("a1", OLD).as_bytes(), &authors, &[]);
    let index = run.index();
    assert_eq!(total(index, "alice"), 1, "alice lost next to {line:?}");
    skipped(index, "malformed_lines")
}

#[test]
fn every_member_of_a_multi_member_posts_file_is_read() {
    let mut posts_gz = gz(post("a1", OLD).as_bytes());
    posts_gz.extend(gz(post("a1", OLD).as_bytes()));
    posts_gz.extend(gz(post("a1", OLD).as_bytes()));
    let run = run_gz(&posts_gz, &gz(ALICE.as_bytes()), &[]);
    assert_eq!(total(run.index(), "alice"), 3);
}

#[test]
fn every_member_of_a_multi_member_authors_file_is_read() {
    let mut authors_gz = gz(ALICE.as_bytes());
    authors_gz.extend(gz(author("b2", "bob", "Bob").as_bytes()));
    let posts = format!("{}{}", post("a1", OLD), post("b2", OLD));
    let run = run_gz(&gz(posts.as_bytes()), &authors_gz, &[]);
    let index = run.index();
    assert_eq!(slugs(index), ["alice", "bob"]);
    assert_eq!(skipped(index, "unknown_author"), 0);
}

#[test]
fn a_line_may_be_split_across_gzip_members() {
    let line = post("a1", OLD);
    let (head, tail) = line.as_bytes().split_at(20);
    let mut posts_gz = gz(head);
    posts_gz.extend(gz(tail));
    let run = run_gz(&posts_gz, &gz(ALICE.as_bytes()), &[]);
    assert_eq!(total(run.index(), "alice"), 1);
    assert_eq!(skipped(run.index(), "malformed_lines"), 0);
}

#[test]
fn lines_are_split_at_lf() {
    let posts = format!("{}{}{}", post("a1", OLD), post("a1", OLD), post("a1", OLD));
    assert_eq!(counted_cleanly(posts.as_bytes(), ALICE.as_bytes()), 3);
}

#[test]
fn a_last_line_without_lf_is_a_line() {
    let last = post("a1", OLD);
    let posts = format!("{}{}", post("a1", OLD), last.trim_end_matches('\n'));
    let authors = ALICE.trim_end_matches('\n');
    assert_eq!(counted_cleanly(posts.as_bytes(), authors.as_bytes()), 2);
}

#[test]
fn crlf_line_endings_work_in_both_files() {
    let posts = format!("{}{}", post("a1", OLD), post("a1", OLD)).replace('\n', "\r\n");
    let authors = format!("{ALICE}{}", author("b2", "bob", "Bob")).replace('\n', "\r\n");
    let run = run_job(posts.as_bytes(), authors.as_bytes(), &[]);
    let index = run.index();
    assert_eq!(total(index, "alice"), 2);
    assert_eq!(listed(index, "alice")["display_name"], "Alice");
    assert_eq!(skipped(index, "malformed_lines"), 0);
    assert_eq!(skipped(index, "unknown_author"), 0);
}

#[test]
fn a_bom_at_the_start_of_the_posts_file_is_removed() {
    let mut posts = b"\xEF\xBB\xBF".to_vec();
    posts.extend(post("a1", OLD).bytes());
    assert_eq!(counted_cleanly(&posts, ALICE.as_bytes()), 1);
}

#[test]
fn a_bom_at_the_start_of_the_authors_file_is_removed() {
    let mut authors = b"\xEF\xBB\xBF".to_vec();
    authors.extend(ALICE.bytes());
    assert_eq!(counted_cleanly(post("a1", OLD).as_bytes(), &authors), 1);
}

#[test]
fn a_bom_at_the_start_of_a_later_posts_line_makes_it_malformed() {
    let mut line = b"\xEF\xBB\xBF".to_vec();
    line.extend(post("a1", OLD).trim_end().bytes());
    assert_eq!(malformed_count_of_post_line(&line), 1);
}

#[test]
fn a_bom_at_the_start_of_a_later_authors_line_makes_it_malformed() {
    let mut line = b"\xEF\xBB\xBF".to_vec();
    line.extend(author("b2", "bob", "Bob").trim_end().bytes());
    assert_eq!(malformed_count_of_author_line(&line), 1);
}

#[test]
fn only_one_bom_is_removed_from_the_start_of_the_file() {
    let mut posts = b"\xEF\xBB\xBF\xEF\xBB\xBF".to_vec();
    posts.extend(post("a1", OLD).bytes());
    posts.extend(post("a1", OLD).bytes());
    let run = run_job(&posts, ALICE.as_bytes(), &[]);
    assert_eq!(skipped(run.index(), "malformed_lines"), 1);
    assert_eq!(total(run.index(), "alice"), 1);
}

#[test]
fn a_bom_between_json_tokens_makes_the_line_malformed() {
    let line = "{\"id\":\"p\",\u{FEFF}\"author_id\":\"a1\",\"first_published_at\":\"2024-05-10T12:00:00Z\"}";
    assert_eq!(malformed_count_of_post_line(line.as_bytes()), 1);
}

#[test]
fn blank_lines_are_ignored_and_counted_nowhere() {
    let blanks = ["", " ", "\t", "\r", " \t\r \t", "   "];
    let mut posts = String::new();
    let mut authors = String::new();
    for blank in blanks {
        posts.push_str(blank);
        posts.push('\n');
        posts.push_str(&post("a1", OLD));
        authors.push_str(blank);
        authors.push('\n');
    }
    authors.push_str(ALICE);
    authors.push_str("\n \t\r");
    posts.push_str(" \t");
    assert_eq!(counted_cleanly(posts.as_bytes(), authors.as_bytes()), 6);
}

#[test]
fn a_line_of_other_whitespace_is_not_blank_but_malformed() {
    for line in ["\u{0B}", "\u{0C}", "\u{A0}", "\u{3000}", "\u{85}"] {
        assert_eq!(
            malformed_count_of_post_line(line.as_bytes()),
            1,
            "line {line:?}"
        );
    }
}

#[test]
fn invalid_utf8_in_an_unused_posts_field_makes_the_line_malformed() {
    let line = b"{\"author_id\":\"a1\",\"first_published_at\":\"2024-05-10T12:00:00Z\",\"body\":\"caf\xE9\"}";
    assert_eq!(malformed_count_of_post_line(line), 1);
}

#[test]
fn invalid_utf8_outside_strings_makes_the_line_malformed() {
    let line = b"{\"author_id\":\"a1\",\"first_published_at\":\"2024-05-10T12:00:00Z\"} \xFF";
    assert_eq!(malformed_count_of_post_line(line), 1);
}

#[test]
fn overlong_and_surrogate_utf8_encodings_are_invalid_utf8() {
    let cases: [&[u8]; 3] = [
        b"{\"author_id\":\"a1\",\"first_published_at\":\"2024-05-10T12:00:00Z\",\"x\":\"\xC0\xAF\"}",
        b"{\"author_id\":\"a1\",\"first_published_at\":\"2024-05-10T12:00:00Z\",\"x\":\"\xED\xA0\x80\"}",
        b"{\"author_id\":\"a1\",\"first_published_at\":\"2024-05-10T12:00:00Z\",\"x\":\"\xE3\x81\"}",
    ];
    for line in cases {
        assert_eq!(malformed_count_of_post_line(line), 1, "line {line:?}");
    }
}

#[test]
fn invalid_utf8_in_an_unused_authors_field_makes_the_line_malformed() {
    let line = b"{\"id\":\"b2\",\"slug\":\"bob\",\"bio\":\"\xFF\xFE\"}";
    assert_eq!(malformed_count_of_author_line(line), 1);
}

#[test]
fn text_that_is_not_exactly_one_json_value_is_malformed() {
    let cases = [
        r#"{"author_id":"a1","first_published_at":"2024-05-10T12:00:00Z","score":NaN}"#,
        r#"{"author_id":"a1","first_published_at":"2024-05-10T12:00:00Z","score":Infinity}"#,
        r#"{"author_id":"a1","first_published_at":"2024-05-10T12:00:00Z","score":-Infinity}"#,
        r#"{"author_id":"a1","first_published_at":"2024-05-10T12:00:00Z""#,
        r#"{"author_id":"a1","first_published_at":"2024-05-10T12:"#,
        r#"{"author_id":"a1","first_published_at":"2024-05-10T12:00:00Z"} trailing"#,
        r#"{"author_id":"a1","first_published_at":"2024-05-10T12:00:00Z"}}"#,
        r#"{"author_id":"a1","first_published_at":"2024-05-10T12:00:00Z"}{"author_id":"a1","first_published_at":"2024-05-10T12:00:00Z"}"#,
        r#"{"author_id":"a1","first_published_at":"2024-05-10T12:00:00Z"} {"author_id":"a1"}"#,
        r#"{"author_id":"a1","first_published_at":"2024-05-10T12:00:00Z",}"#,
        r#"{'author_id':'a1','first_published_at':'2024-05-10T12:00:00Z'}"#,
        r#"{author_id:"a1","first_published_at":"2024-05-10T12:00:00Z"}"#,
        r#"{"author_id":"a1","first_published_at":"2024-05-10T12:00:00Z","n":01}"#,
        "{\"author_id\":\"a1\",\"first_published_at\":\"2024-05-10T12:00:00Z\",\"s\":\"tab\there\"}",
    ];
    for line in cases {
        assert_eq!(
            malformed_count_of_post_line(line.as_bytes()),
            1,
            "line {line}"
        );
    }
}

#[test]
fn json_whitespace_around_the_value_is_allowed() {
    let posts = format!(
        " \t{}\t \r\n  {{ \"author_id\" : \"a1\" ,\t\"first_published_at\" : \"{OLD}\" }}  \n",
        post("a1", OLD).trim_end()
    );
    assert_eq!(counted_cleanly(posts.as_bytes(), ALICE.as_bytes()), 2);
}

#[test]
fn a_json_value_that_is_not_an_object_is_malformed() {
    for line in [
        "[]",
        r#"[{"author_id":"a1","first_published_at":"2024-05-10T12:00:00Z"}]"#,
        r#""a1""#,
        "null",
        "42",
        "-1.5e3",
        "true",
        "false",
    ] {
        assert_eq!(
            malformed_count_of_post_line(line.as_bytes()),
            1,
            "line {line}"
        );
    }
}

#[test]
fn a_non_object_line_in_the_authors_file_is_malformed() {
    for line in ["[\"a1\"]", "\"alice\"", "null", "7"] {
        assert_eq!(
            malformed_count_of_author_line(line.as_bytes()),
            1,
            "line {line}"
        );
    }
}

#[test]
fn a_lone_surrogate_in_a_used_posts_field_makes_the_line_malformed() {
    let cases = [
        post(r"a1\ud800", OLD),
        post(r"\udc00", OLD),
        post(r"a\ud800\u0031", OLD),
        post("a1", r"2024-05-10T12:00:00Z\ud800"),
        post("a1", r"\udfff"),
    ];
    for line in cases {
        assert_eq!(
            malformed_count_of_post_line(line.trim_end().as_bytes()),
            1,
            "line {line}"
        );
    }
}

#[test]
fn a_lone_surrogate_in_a_used_authors_field_makes_the_line_malformed() {
    let cases = [
        author(r"b2\ud800", "bob", "Bob"),
        author("b2", r"bob\ud800", "Bob"),
        author("b2", "bob", r"Bob \udbff"),
        author("b2", "bob", r"\ude00"),
    ];
    for line in cases {
        assert_eq!(
            malformed_count_of_author_line(line.trim_end().as_bytes()),
            1,
            "line {line}"
        );
    }
}

#[test]
fn a_lone_surrogate_in_an_unused_field_is_ignored() {
    let posts = format!(
        "{{\"author_id\":\"a1\",\"first_published_at\":\"{OLD}\",\"body\":\"x\\ud800y\",\"tags\":[\"\\udc00\"]}}\n"
    );
    let authors =
        "{\"id\":\"a1\",\"slug\":\"alice\",\"display_name\":\"Alice\",\"bio\":\"\\ud800\"}\n";
    assert_eq!(counted_cleanly(posts.as_bytes(), authors.as_bytes()), 1);
}

#[test]
fn a_valid_surrogate_pair_in_a_used_field_is_decoded() {
    let authors = author("a1", "alice", r"\ud83d\ude00");
    let run = run_job(post("a1", OLD).as_bytes(), authors.as_bytes(), &[]);
    let index = run.index();
    assert_eq!(listed(index, "alice")["display_name"], "\u{1F600}");
    assert_eq!(skipped(index, "malformed_lines"), 0);
}

#[test]
fn an_author_line_without_a_usable_id_is_malformed() {
    let cases = [
        r#"{"slug":"bob","display_name":"Bob"}"#,
        r#"{"id":null,"slug":"bob","display_name":"Bob"}"#,
        r#"{"id":7,"slug":"bob","display_name":"Bob"}"#,
        r#"{"id":"","slug":"bob","display_name":"Bob"}"#,
        r#"{"id":["b2"],"slug":"bob","display_name":"Bob"}"#,
        r#"{"id":{"v":"b2"},"slug":"bob","display_name":"Bob"}"#,
        r#"{"id":true,"slug":"bob","display_name":"Bob"}"#,
    ];
    for line in cases {
        assert_eq!(
            malformed_count_of_author_line(line.as_bytes()),
            1,
            "line {line}"
        );
    }
}

#[test]
fn malformed_lines_adds_up_both_files() {
    let posts = format!("{}[]\nnull\n", post("a1", OLD));
    let authors = format!("{ALICE}{{\"slug\":\"bob\"}}\n{{\"id\":\"\"}}\nnope\n");
    let run = run_job(posts.as_bytes(), authors.as_bytes(), &[]);
    assert_eq!(skipped(run.index(), "malformed_lines"), 5);
    assert_eq!(total(run.index(), "alice"), 1);
}

#[test]
fn fields_the_job_does_not_use_are_ignored_whatever_they_hold() {
    let body = "x".repeat(200_000);
    let posts = format!(
        "{{\"id\":{{\"deep\":[1,2,{{\"x\":null}}]}},\"author_id\":\"a1\",\"title\":null,\"n\":-1.5e300,\
         \"slug\":\"../evil\",\"first_published_at\":\"{OLD}\",\"body\":\"{body}\",\"tags\":[true,false]}}\n"
    );
    let authors = "{\"id\":\"a1\",\"email\":42,\"slug\":\"alice\",\"avatar\":{\"url\":[]},\"display_name\":\"Alice\"}\n";
    assert_eq!(counted_cleanly(posts.as_bytes(), authors.as_bytes()), 1);
}

#[test]
fn escaped_values_are_compared_after_json_decoding() {
    let posts = format!("{}{}", post(r"a\u0031", OLD), post(r"\u00611", OLD));
    let authors = author(r"\u0061\u0031", r"alic\u0065", r"Al\u0069ce");
    let run = run_job(posts.as_bytes(), authors.as_bytes(), &[]);
    let index = run.index();
    assert_eq!(total(index, "alice"), 2);
    assert_eq!(listed(index, "alice")["id"], "a1");
    assert_eq!(listed(index, "alice")["display_name"], "Alice");
}

#[test]
fn escaped_keys_are_compared_after_json_decoding() {
    let posts = format!("{{\"author\\u005fid\":\"a1\",\"first_published\\u005Fat\":\"{OLD}\"}}\n");
    let authors =
        "{\"\\u0069d\":\"a1\",\"sl\\u0075g\":\"alice\",\"display\\u005fname\":\"Alice\"}\n";
    let run = run_job(posts.as_bytes(), authors.as_bytes(), &[]);
    assert_eq!(total(run.index(), "alice"), 1);
    assert_eq!(listed(run.index(), "alice")["display_name"], "Alice");
}

#[test]
fn ids_are_compared_without_trimming_case_folding_or_normalisation() {
    let master = format!("{ALICE}{}", author("\u{e9}", "eacute", "E"));
    for id in [" a1", "a1 ", "A1", "a1\\t", "e\u{301}", "\u{FF41}1"] {
        assert_eq!(
            outcome_with(&post(id, OLD), &master, &[]),
            "unknown_author",
            "author_id {id:?}"
        );
    }
}
