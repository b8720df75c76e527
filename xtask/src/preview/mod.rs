//! `cargo xtask preview`: the designer's specimen sheet. A fixed set of synthetic authors
//! (`specimens`) drawn by the job's own renderer in a style (`sheet`), on one HTML page
//! (`page`) in `target/preview/`. With `--watch`, the folder is served on 127.0.0.1
//! (`serve`) and the style file watched (`watch`): each save redraws the sheet, or shows the
//! style's error on the page, and the open page reloads.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use anyhow::{anyhow, Result};
use author_stats::Style;

use xtask_support::shell::project_root;

pub mod page;
pub mod serve;
pub mod sheet;
pub mod specimens;
pub mod watch;

#[derive(clap::Args)]
pub struct Preview {
    /// The style to draw (TOML, spec/chart-style.md) [default: the built-in style].
    #[arg(long, value_name = "FILE")]
    style: Option<PathBuf>,
    /// Serve the sheet on 127.0.0.1 and redraw it each time the style file is saved; the
    /// open page reloads itself. Ctrl-C stops.
    #[arg(long, requires = "style")]
    watch: bool,
    /// The sheet's folder: index.html and the charts [default: target/preview].
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// With --watch: the port on 127.0.0.1 (0: any free one; the URL is printed).
    #[arg(long, default_value_t = 0, requires = "watch")]
    port: u16,
}

impl Preview {
    pub fn run(self) -> Result<()> {
        let out = self
            .out
            .unwrap_or_else(|| project_root().join("target").join("preview"));
        match (self.style, self.watch) {
            (Some(style), true) => watch_and_serve(&style, &out, self.port),
            (style, _) => {
                let (style_value, origin) = load(style.as_deref()).map_err(|e| anyhow!(e))?;
                let sheet = sheet::draw(&style_value, &origin, &out)?;
                let path = write_page(&out, &sheet, None)?;
                println!("{}", path.display());
                Ok(())
            }
        }
    }
}

/// The style and where it came from; an error is the job's own one-line message.
fn load(path: Option<&Path>) -> Result<(Style, String), String> {
    match path {
        None => Ok((Style::builtin(), "the built-in style".to_owned())),
        Some(path) => Ok((Style::from_file(path)?, path.display().to_string())),
    }
}

/// Write the page of a good drawing; its path.
fn write_page(out: &Path, sheet: &sheet::Sheet, watch: Option<u64>) -> Result<PathBuf> {
    let html = page::html(&page::Content {
        sheet: Some(sheet),
        error: None,
        watch,
    });
    sheet::write_file(out, page::PAGE, html.as_bytes())?;
    Ok(out.join(page::PAGE))
}

/// The watched sheet: the last good drawing, and the version the open page compares.
struct Watched {
    style: PathBuf,
    out: PathBuf,
    last_good: Option<sheet::Sheet>,
    version: Arc<AtomicU64>,
}

impl Watched {
    /// Draw the sheet again from the style file as it is now, or put its error on the page
    /// above the last good drawing; then bump the version, so the open page reloads.
    fn redraw(&mut self) -> Result<()> {
        let next = self.version.load(Ordering::SeqCst) + 1;
        let drawn = load(Some(&self.style)).and_then(|(style, origin)| {
            sheet::draw(&style, &origin, &self.out).map_err(|e| format!("{e:#}"))
        });
        let error = match drawn {
            Ok(sheet) => {
                eprintln!("redrawn: {} (style {})", sheet.origin, sheet.digest);
                self.last_good = Some(sheet);
                None
            }
            Err(error) => {
                eprintln!("error: {error}");
                Some(error)
            }
        };
        let html = page::html(&page::Content {
            sheet: self.last_good.as_ref(),
            error: error.as_deref(),
            watch: Some(next),
        });
        sheet::write_file(&self.out, page::PAGE, html.as_bytes())?;
        self.version.store(next, Ordering::SeqCst);
        Ok(())
    }
}

fn watch_and_serve(style: &Path, out: &Path, port: u16) -> Result<()> {
    std::fs::create_dir_all(out).map_err(|e| anyhow!("cannot create {}: {e}", out.display()))?;
    let mut watched = Watched {
        style: style.to_owned(),
        out: out.to_owned(),
        last_good: None,
        version: Arc::new(AtomicU64::new(0)),
    };
    // Watching first: a save during the first drawing is not missed.
    let watch = watch::Watch::new(style)?;
    watched.redraw()?;
    let addr = serve::start(out.to_owned(), port, watched.version.clone())?;
    println!(
        "specimen sheet: http://{addr}/ (watching {}; Ctrl-C stops)",
        style.display()
    );
    watch.run(|| {
        if let Err(e) = watched.redraw() {
            eprintln!("error: {e:#}");
        }
    })
}
