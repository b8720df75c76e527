//! `cargo xtask preview`, run as the binary: the specimen sheet is complete (every specimen
//! in every variant and format of the style, at 100 % and 50 %, with the alt text the job
//! publishes, and the files beside it) for the built-in style and another; a bad style is
//! the job's one-line error; and `--watch` redraws on save, shows a style error on the page
//! while it keeps running, and recovers on the next good save.

use std::collections::BTreeSet;
use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use xtask::preview::specimens;

fn xtask() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_xtask"));
    cmd.arg("preview");
    cmd
}

/// One `<figure>` of the page.
#[derive(Debug)]
struct Figure {
    key: (String, String, String, String),
    src: String,
    width: u32,
    alt: String,
    caption: String,
}

/// The value of `name="…"` in `tag`.
fn attr<'a>(tag: &'a str, name: &str) -> &'a str {
    let start = tag
        .find(&format!(" {name}=\""))
        .unwrap_or_else(|| panic!("no {name} in {tag}"))
        + name.len()
        + 3;
    &tag[start..start + tag[start..].find('"').unwrap()]
}

fn between<'a>(text: &'a str, open: &str, close: &str) -> &'a str {
    let start = text
        .find(open)
        .unwrap_or_else(|| panic!("no {open} in {text}"))
        + open.len();
    &text[start..start + text[start..].find(close).unwrap()]
}

fn figures(page: &str) -> Vec<Figure> {
    page.split("<figure ")
        .skip(1)
        .map(|rest| {
            let figure = format!(" {}", &rest[..rest.find("</figure>").unwrap()]);
            let figure = figure.as_str();
            let img = between(figure, "<img", ">");
            Figure {
                key: (
                    attr(figure, "data-specimen").to_owned(),
                    attr(figure, "data-variant").to_owned(),
                    attr(figure, "data-format").to_owned(),
                    attr(figure, "data-size").to_owned(),
                ),
                src: attr(img, "src").to_owned(),
                width: attr(img, "width").parse().unwrap(),
                alt: attr(img, "alt").to_owned(),
                caption: between(figure, "<span class=\"alt\">", "</span>").to_owned(),
            }
        })
        .collect()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Check the page in `out` shows every specimen in exactly `variants` × `formats` at both
/// sizes of a `width`-wide style, each with the summary of its `stats.json` as alt text
/// and caption, each image the file beside the page with that hash.
fn assert_complete(out: &Path, variants: &[&str], formats: &[&str], width: u32) -> String {
    let page = fs::read_to_string(out.join("index.html")).unwrap();
    let figures = figures(&page);
    let mut want = BTreeSet::new();
    for s in specimens::all() {
        for v in variants {
            for f in formats {
                for size in ["100", "50"] {
                    want.insert((
                        s.job.slug.to_string(),
                        v.to_string(),
                        f.to_string(),
                        size.into(),
                    ));
                }
            }
        }
    }
    let got: BTreeSet<_> = figures.iter().map(|f| f.key.clone()).collect();
    assert_eq!(got, want);
    assert_eq!(figures.len(), want.len(), "no figure twice");
    for figure in &figures {
        let (slug, variant, format, size) = &figure.key;
        let stats: serde_json::Value =
            serde_json::from_slice(&fs::read(out.join(format!("{slug}.stats.json"))).unwrap())
                .unwrap();
        let summary = escape(stats["summary"].as_str().unwrap());
        assert!(!summary.is_empty());
        assert_eq!(figure.alt, summary, "{:?}", figure.key);
        assert_eq!(figure.caption, summary, "{:?}", figure.key);
        let (name, hash) = figure.src.split_once("?v=").unwrap();
        let dark = if variant == "dark" { ".dark" } else { "" };
        assert_eq!(name, format!("{slug}{dark}.{format}"));
        let bytes = fs::read(out.join(name)).unwrap();
        assert!(
            sha256_hex(&bytes).starts_with(hash),
            "{name} is not the file drawn"
        );
        match format.as_str() {
            "png" => assert!(bytes.starts_with(b"\x89PNG")),
            _ => assert!(bytes.starts_with(b"<svg") || bytes.starts_with(b"<?xml")),
        }
        let want_width = if size == "100" { width } else { width / 2 };
        assert_eq!(figure.width, want_width, "{:?}", figure.key);
    }
    page
}

#[test]
fn the_sheet_of_the_builtin_style_shows_every_specimen_variant_format_and_size() {
    let dir = tempfile::tempdir().unwrap();
    let out = xtask().arg("--out").arg(dir.path()).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        printed.trim(),
        dir.path().join("index.html").to_str().unwrap()
    );
    let page = assert_complete(dir.path(), &["light", "dark"], &["png", "svg"], 1200);
    assert!(
        page.contains("の記事を書いています"),
        "the built-in style speaks Japanese"
    );
    assert!(
        !page.contains("<script"),
        "a page opened as a file needs no script"
    );
}

#[test]
fn the_sheet_of_another_style_shows_only_what_it_publishes() {
    let dir = tempfile::tempdir().unwrap();
    let style = dir.path().join("english.toml");
    fs::write(
        &style,
        "locale = \"en\"\nwidth = 1000\nvariants = [\"light\"]\nformats = [\"svg\"]\n",
    )
    .unwrap();
    let out = dir.path().join("sheet");
    let run = xtask()
        .arg("--style")
        .arg(&style)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let page = assert_complete(&out, &["light"], &["svg"], 1000);
    assert!(
        page.contains("has written"),
        "the English summary is the alt text"
    );
    assert!(!out.join("english-name.png").exists());
}

#[test]
fn a_bad_style_fails_with_the_jobs_one_line_error_and_writes_no_page() {
    let dir = tempfile::tempdir().unwrap();
    let style = dir.path().join("bad.toml");
    fs::write(&style, "[light]\nbar = \"blue\"\n").unwrap();
    let run = xtask()
        .arg("--style")
        .arg(&style)
        .arg("--out")
        .arg(dir.path().join("sheet"))
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(1));
    let stderr = String::from_utf8(run.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("bar = \"blue\""), "{stderr}");
    assert!(stderr.contains("is not a colour"), "{stderr}");
    assert!(!dir.path().join("sheet").join("index.html").exists());
}

/// The watching sheet, stopped when the test ends.
struct Watching {
    child: Child,
    addr: String,
}

impl Drop for Watching {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn get(addr: &str, path: &str) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 200 OK\r\n"),
        "{path}: {answer}"
    );
    answer.split_once("\r\n\r\n").unwrap().1.to_owned()
}

fn version(addr: &str) -> u64 {
    get(addr, "/__version").trim().parse().unwrap()
}

/// Save `text` as the style and wait (generously, never timing anything) until the sheet's
/// version moves past `before`; the page then.
fn save_and_wait(w: &Watching, style: &Path, text: &str, before: u64) -> (u64, String) {
    fs::write(style, text).unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let now = version(&w.addr);
        if now > before {
            return (now, get(&w.addr, "/"));
        }
        assert!(
            Instant::now() < deadline,
            "the sheet was not redrawn after a save"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn digest(page: &str) -> &str {
    between(page, "digest <code>", "</code>")
}

fn chart_hash(page: &str) -> &str {
    between(page, "src=\"one-post-this-month.png?v=", "\"")
}

#[test]
fn watching_redraws_on_save_shows_a_style_error_on_the_page_and_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let style = dir.path().join("my-style.toml");
    let out = dir.path().join("sheet");
    fs::write(&style, "[light]\nbar = \"#4E79A7\"\n").unwrap();
    let mut child = xtask()
        .arg("--watch")
        .arg("--style")
        .arg(&style)
        .arg("--out")
        .arg(&out)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = between(&line, "http://", "/").to_owned();
    assert!(addr.starts_with("127.0.0.1:"), "{line}");
    let w = Watching { child, addr };

    let first = get(&w.addr, "/");
    assert!(
        first.contains("const version"),
        "a watched page reloads itself"
    );
    assert!(!first.contains("style-error"));
    let v1 = version(&w.addr);

    // A good save: a new drawing (the light bars' colour changed), a new version.
    let (v2, second) = save_and_wait(&w, &style, "[light]\nbar = \"#AA3355\"\n", v1);
    assert!(second.contains(&format!("const version = \"{v2}\"")));
    assert_ne!(digest(&second), digest(&first));
    assert_ne!(chart_hash(&second), chart_hash(&first));
    assert!(!second.contains("style-error"));

    // A broken save: the job's one-line error, naming the field, above the last drawing.
    let (v3, broken) = save_and_wait(&w, &style, "[light]\nbar = \"blue\"\n", v2);
    let error = between(&broken, "id=\"style-error\"", "</p>");
    assert!(error.contains("bar = &quot;blue&quot;"), "{error}");
    assert!(error.contains("is not a colour"), "{error}");
    assert_eq!(
        digest(&broken),
        digest(&second),
        "the last good drawing stays"
    );

    // An unknown field, the same way.
    let (v4, unknown) = save_and_wait(&w, &style, "[light]\nbakground = \"#000000\"\n", v3);
    assert!(
        between(&unknown, "id=\"style-error\"", "</p>").contains("bakground"),
        "{unknown}"
    );

    // A good save again: recovered, the watcher still running.
    let (_, recovered) = save_and_wait(&w, &style, "[light]\nbar = \"#2F6F4E\"\n", v4);
    assert!(!recovered.contains("style-error"), "{recovered}");
    assert_ne!(digest(&recovered), digest(&second));
    let png = fs::read(out.join("one-post-this-month.png")).unwrap();
    assert!(sha256_hex(&png).starts_with(chart_hash(&recovered)));
}
