//! Drawing the specimen sheet: every specimen rendered by the job's own `render::author` in
//! a style (the files the job would publish: each variant and format, and `stats.json`),
//! written into the sheet's folder through temporary files and renames, and what the page
//! needs to show of them (names, hashes, the summary the job uses as alt text).

use std::fs;
use std::io::Write as _;
use std::path::Path;

use anyhow::{Context, Result};
use author_stats::render::{self, FileRef};
use author_stats::Style;

use super::specimens::{self, Specimen, NOW};

/// One specimen as drawn.
pub struct Drawn {
    pub specimen: Specimen,
    /// The images, in the style's order of formats then variants (no stats file).
    pub images: Vec<FileRef>,
    /// The one or two sentences the job publishes as the charts' alt text.
    pub summary: String,
}

/// The whole sheet in one style.
pub struct Sheet {
    /// Where the style came from: a file's path, or "the built-in style".
    pub origin: String,
    /// The style's digest as `index.json` records it.
    pub digest: String,
    pub width: u32,
    pub height: u32,
    pub drawn: Vec<Drawn>,
}

/// Render every specimen in `style` and write its files into `out` (created if missing).
pub fn draw(style: &Style, origin: &str, out: &Path) -> Result<Sheet> {
    fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let mut drawn = Vec::new();
    for specimen in specimens::all() {
        let rendered = render::author(&specimen.job, style, NOW)
            .with_context(|| format!("rendering the specimen {}", specimen.job.slug))?;
        for file in &rendered.chart.files {
            write_file(out, &file.name, &file.bytes)?;
        }
        let images = rendered
            .files
            .into_iter()
            .filter(|f| f.variant.is_some())
            .collect();
        drawn.push(Drawn {
            specimen,
            images,
            summary: rendered.summary,
        });
    }
    Ok(Sheet {
        origin: origin.to_owned(),
        digest: style.digest(),
        width: style.width,
        height: style.height,
        drawn,
    })
}

/// Write `bytes` as `out/name` through a new temporary file and a rename: a page being
/// served never sees half a file, and a link planted at `name` is replaced, not written
/// through.
pub fn write_file(out: &Path, name: &str, bytes: &[u8]) -> Result<()> {
    let path = out.join(name);
    let mut tmp = tempfile::NamedTempFile::new_in(out)
        .with_context(|| format!("cannot create a temporary file in {}", out.display()))?;
    tmp.write_all(bytes)
        .and_then(|()| {
            // Readable by a browser or server running as another user, as the demo's are.
            tmp.as_file()
                .set_permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644))
        })
        .with_context(|| format!("cannot write {}", path.display()))?;
    tmp.persist(&path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}
