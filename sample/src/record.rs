//! Clean records as JSON lines: one author of the master, one post of the export.
//! Field order, string style (UTF-8 or `\u` escapes) and optional fields vary the way real
//! exports do, but every line here is well-formed JSON; the bad ones live in `dirty_*`.

use std::io::Write as _;

use chrono::{DateTime, Duration, Utc};
use rand::Rng;

use super::body::{self, Lang};
use super::cast::Author;
use super::json::{push_str, Style};
use super::stamp::{self, Form};
use super::timeline::{PlannedPost, When};

/// Reusable buffers for building post lines without allocating per post.
#[derive(Default)]
pub(super) struct Scratch {
    text: String,
    title: String,
    body: String,
}

/// Append one master line for `author` (no newline).
pub(super) fn author_line(rng: &mut impl Rng, author: &Author, out: &mut Vec<u8>) {
    let style = if rng.random_bool(0.15) {
        Style::Ascii
    } else {
        Style::Utf8
    };
    out.extend_from_slice(b"{\"id\":");
    push_str(out, &author.id, style);
    out.extend_from_slice(b",\"slug\":");
    push_str(out, &author.who.slug, style);
    out.extend_from_slice(b",\"display_name\":");
    push_str(out, &author.who.display_name, style);
    if let Some(bio) = author.bio {
        out.extend_from_slice(b",\"bio\":");
        push_str(out, bio, style);
    }
    if author.avatar {
        let url = format!(
            "https://images.ctfassets.net/sample/{}/avatar.png?w=256",
            &author.id[..12]
        );
        out.extend_from_slice(b",\"avatar_url\":");
        push_str(out, &url, style);
    }
    out.push(b'}');
}

/// Append one post line for `post` by `author` (no newline).
///
/// Besides the two fields the job reads, a line carries what a CMS export does: title, URL
/// slug, excerpt, tags, cover image, a nested author link, timestamps and the body.
pub(super) fn post_line(
    rng: &mut impl Rng,
    post: &PlannedPost,
    author: &Author,
    body_bytes: usize,
    until: DateTime<Utc>,
    scratch: &mut Scratch,
    out: &mut Vec<u8>,
) {
    let lang = Lang::random(rng);
    let style = if rng.random_bool(0.05) {
        Style::Ascii
    } else {
        Style::Utf8
    };
    // Most lines put the used fields first; some only after the large body.
    let used_last = rng.random_bool(0.2);
    scratch.body.clear();
    let len = body::body_len(rng, body_bytes);
    body::body(rng, lang, len, &mut scratch.body);

    out.extend_from_slice(b"{\"id\":");
    push_str(out, &post.id, Style::Utf8);
    out.extend_from_slice(b",\"sys_id\":");
    push_str(out, &post.id, Style::Utf8);
    if !used_last {
        used_fields(post, author, out, &mut scratch.text);
    }

    scratch.title.clear();
    body::title(rng, lang, &mut scratch.title);
    out.extend_from_slice(b",\"title\":");
    push_str(out, &scratch.title, style);

    scratch.text.clear();
    body::post_slug(rng, &mut scratch.text);
    out.extend_from_slice(b",\"slug\":");
    push_str(out, &scratch.text, Style::Utf8);

    out.extend_from_slice(b",\"excerpt\":");
    push_str(out, body::excerpt(&scratch.body), style);
    let (locale, status) = match (lang, post.when) {
        (Lang::Ja, When::At(..)) => ("ja-JP", "published"),
        (Lang::En, When::At(..)) => ("en-US", "published"),
        (Lang::Ja, When::Draft { .. }) => ("ja-JP", "draft"),
        (Lang::En, When::Draft { .. }) => ("en-US", "draft"),
    };
    write!(
        out,
        ",\"locale\":\"{locale}\",\"status\":\"{status}\",\"revision\":{},\"reading_minutes\":{}",
        rng.random_range(1..40),
        scratch.body.len() / 1200 + 1
    )
    .expect("writing to a Vec cannot fail");

    out.extend_from_slice(b",\"tags\":[");
    for (i, tag) in body::tags(rng).into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        push_str(out, tag, style);
    }
    out.push(b']');

    if rng.random_bool(0.7) {
        write!(
            out,
            ",\"cover_image\":{{\"url\":\"https://images.ctfassets.net/sample/{}/{}/cover.{}\",\
             \"width\":1200,\"height\":630,\"alt\":",
            &post.id[..12],
            body::hex(rng, 16),
            if rng.random_bool(0.7) { "png" } else { "jpg" }
        )
        .expect("writing to a Vec cannot fail");
        push_str(out, &scratch.title, style);
        out.push(b'}');
    }
    write!(
        out,
        ",\"author\":{{\"sys\":{{\"type\":\"Link\",\"linkType\":\"Entry\",\"id\":\"{}\"}}}}",
        author.id
    )
    .expect("writing to a Vec cannot fail");

    if let When::At(at, _) = post.when {
        let form = Form {
            digits: 3,
            offset: None,
            minus_zero: false,
        };
        let whole = |t: DateTime<Utc>| DateTime::from_timestamp(t.timestamp(), 0).unwrap_or(t);
        let created = whole(at - Duration::seconds(rng.random_range(60..30 * 86_400)));
        scratch.text.clear();
        stamp::render(created, form, &mut scratch.text);
        out.extend_from_slice(b",\"created_at\":");
        push_str(out, &scratch.text, Style::Utf8);
        if rng.random_bool(0.6) {
            let later = (at + Duration::seconds(rng.random_range(0..400 * 86_400))).min(until);
            scratch.text.clear();
            stamp::render(whole(later), form, &mut scratch.text);
            out.extend_from_slice(b",\"updated_at\":");
            push_str(out, &scratch.text, Style::Utf8);
        }
    }

    if rng.random_bool(0.5) {
        out.extend_from_slice(b",\"seo\":{\"title\":");
        push_str(out, &scratch.title, style);
        out.extend_from_slice(b",\"description\":");
        push_str(out, body::excerpt(&scratch.body), style);
        out.extend_from_slice(b",\"noindex\":false}");
    }

    out.extend_from_slice(b",\"body\":");
    push_str(out, &scratch.body, style);

    if used_last {
        used_fields(post, author, out, &mut scratch.text);
    }
    out.push(b'}');
}

/// `author_id` and `first_published_at` (the fields the job reads).
fn used_fields(post: &PlannedPost, author: &Author, out: &mut Vec<u8>, text: &mut String) {
    out.extend_from_slice(b",\"author_id\":");
    push_str(out, &author.id, Style::Utf8);
    match post.when {
        When::Draft { key_absent: true } => {}
        When::Draft { key_absent: false } => {
            out.extend_from_slice(b",\"first_published_at\":null");
        }
        When::At(at, form) => {
            text.clear();
            stamp::render(at, form, text);
            out.extend_from_slice(b",\"first_published_at\":");
            push_str(out, text, Style::Utf8);
        }
    }
}
