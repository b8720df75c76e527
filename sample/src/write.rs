//! Streaming the two files: clean records in id order and, for a dirty sample, the dirty
//! lines slipped in at random places plus the file-level oddities (BOM, CRLF, blank lines,
//! a second gzip member, no final newline). Every line's label goes to the tally as the line
//! is written.

use std::path::{Path, PathBuf};

use anyhow::Result;
use rand::seq::SliceRandom;
use rand::Rng;

use super::cast::Author;
use super::dirty_authors::DirtyMaster;
use super::dirty_posts::DirtyPosts;
use super::gzip::GzFile;
use super::record;
use super::tally::{AuthorLine, PostLine, Published, Tallier};
use super::timeline::{PlannedPost, When};
use super::SampleSpec;

/// Lines that separate records in a dirty file: ignored by the job (data-spec §2.4).
const BLANK_LINES: &[&str] = &["", " ", "\t", "\r", " \t\r", "   \t  ", "\t\t"];

/// Writes lines: LF between them, optional CR before the LF, optional missing final LF.
struct Lines {
    gz: GzFile,
    started: bool,
}

impl Lines {
    fn new(gz: GzFile) -> Self {
        Lines { gz, started: false }
    }

    fn line(&mut self, bytes: &[u8], crlf: bool) -> Result<()> {
        if self.started {
            self.gz.write(b"\n")?;
        }
        self.started = true;
        self.gz.write(bytes)?;
        if crlf {
            self.gz.write(b"\r")?;
        }
        Ok(())
    }

    fn finish(mut self, final_newline: bool) -> Result<PathBuf> {
        if final_newline && self.started {
            self.gz.write(b"\n")?;
        }
        self.gz.finish()
    }
}

/// Sorted random insertion points in `0..=n` for `count` extra lines.
fn positions(rng: &mut impl Rng, count: usize, n: usize) -> Vec<usize> {
    let mut p: Vec<usize> = (0..count).map(|_| rng.random_range(0..=n)).collect();
    p.sort_unstable();
    p
}

/// `lines` with blank lines slipped in at random places (relative order kept).
fn with_blanks<L>(
    rng: &mut impl Rng,
    mut lines: Vec<(Vec<u8>, L)>,
    count: usize,
    blank: impl Fn() -> L,
) -> Vec<(Vec<u8>, L)> {
    for i in 0..count {
        let at = rng.random_range(0..=lines.len());
        let text = BLANK_LINES[i % BLANK_LINES.len()];
        lines.insert(at, (text.as_bytes().to_vec(), blank()));
    }
    lines
}

/// Write the master: clean records in id order; when dirty, a BOM first, the dirty lines
/// at random places, stale records just before their clean successors, no final LF.
pub(super) fn authors(
    path: &Path,
    rng: &mut impl Rng,
    authors: &[Author],
    dirty: Option<&DirtyMaster>,
    tallier: &mut Tallier,
) -> Result<PathBuf> {
    let mut out = Lines::new(GzFile::create(path)?);
    let mut line = Vec::with_capacity(512);
    let Some(dirty) = dirty else {
        for a in authors {
            line.clear();
            record::author_line(rng, a, &mut line);
            out.line(&line, false)?;
            tallier.author(&clean_label(a));
        }
        return out.finish(true);
    };

    let extra = with_blanks(rng, dirty.lines.clone(), 12, || AuthorLine::Blank);
    let at = positions(rng, extra.len(), authors.len());
    let mut extra = extra.into_iter().zip(at).peekable();
    out.gz.write(b"\xEF\xBB\xBF")?;
    for (i, a) in authors.iter().enumerate() {
        while let Some(((bytes, label), _)) = extra.next_if(|(_, p)| *p == i) {
            out.line(&bytes, rng.random_bool(0.1))?;
            tallier.author(&label);
        }
        for (_, (bytes, label)) in dirty.stale.iter().filter(|(before, _)| *before == i) {
            out.line(bytes, false)?;
            tallier.author(label);
        }
        line.clear();
        record::author_line(rng, a, &mut line);
        out.line(&line, rng.random_bool(0.03))?;
        tallier.author(&clean_label(a));
    }
    for ((bytes, label), _) in extra {
        out.line(&bytes, false)?;
        tallier.author(&label);
    }
    out.finish(false)
}

/// Write the posts: the plan in id order; when dirty, the dirty lines at random places,
/// stray whitespace and CRLF on some lines, a second gzip member from the middle line,
/// and the `last` dirty line without a final LF.
pub(super) fn posts(
    path: &Path,
    rng: &mut impl Rng,
    spec: &SampleSpec,
    authors: &[Author],
    plan: &[PlannedPost],
    dirty: Option<DirtyPosts>,
    tallier: &mut Tallier,
) -> Result<PathBuf> {
    let mut out = Lines::new(GzFile::create(path)?);
    let mut scratch = record::Scratch::default();
    let mut line = Vec::with_capacity(64 * 1024);
    let (extra, last) = match dirty {
        Some(DirtyPosts { mut lines, last }) => {
            lines.shuffle(rng);
            let lines = with_blanks(rng, lines, 30, || PostLine::Blank);
            (lines, Some(last))
        }
        None => (Vec::new(), None),
    };
    let dirty = last.is_some();
    let at = positions(rng, extra.len(), plan.len());
    let mut extra = extra.into_iter().zip(at).peekable();
    let split = plan.len() / 2;
    for (i, post) in plan.iter().enumerate() {
        while let Some(((bytes, label), _)) = extra.next_if(|(_, p)| *p == i) {
            out.line(&bytes, rng.random_bool(0.1))?;
            tallier.post(&label);
        }
        let author = &authors[post.author];
        line.clear();
        if dirty && rng.random_bool(0.003) {
            line.extend_from_slice(b" \t");
        }
        record::post_line(
            rng,
            post,
            author,
            spec.body_bytes,
            spec.until,
            &mut scratch,
            &mut line,
        );
        if dirty && rng.random_bool(0.003) {
            line.extend_from_slice(b"\t  ");
        }
        let crlf = dirty && rng.random_bool(0.01);
        if dirty && i == split {
            // A second gzip member starts in the middle of this line (§2.1).
            let (head, tail) = line.split_at(line.len() / 2);
            out.line(head, false)?;
            out.gz.split_member()?;
            out.gz.write(tail)?;
            if crlf {
                out.gz.write(b"\r")?;
            }
        } else {
            out.line(&line, crlf)?;
        }
        tallier.post(&PostLine::Record {
            author_id: Some(author.id.clone()),
            published: match post.when {
                When::Draft { .. } => Published::Missing,
                When::At(at, _) => Published::At(at),
            },
        });
    }
    for ((bytes, label), _) in extra {
        out.line(&bytes, false)?;
        tallier.post(&label);
    }
    match last {
        Some((bytes, label)) => {
            if plan.len() <= split {
                out.gz.split_member()?;
            }
            out.line(&bytes, false)?;
            tallier.post(&label);
            out.finish(false)
        }
        None => out.finish(true),
    }
}

/// What the master says about a clean author.
fn clean_label(a: &Author) -> AuthorLine {
    AuthorLine::Record {
        id: a.id.clone(),
        slug: Some(a.who.slug.clone()),
        display_name: Some(a.who.display_name.clone()),
    }
}
