//! The specimen sheet's one HTML page (`index.html` beside the charts): every specimen in
//! every variant and format of the style at 100 % and 50 %, each with the alt text the job
//! publishes under it; a style error above the last good drawing; and, when watched, a tiny
//! inline script that reloads the page when the server's version changes. No network.

use std::fmt::Write as _;

use super::sheet::{Drawn, Sheet};
use super::specimens::NOW;

/// The file name of the page in the sheet's folder.
pub const PAGE: &str = "index.html";

/// The path the watching server answers with the sheet's version (a decimal number).
pub const VERSION_PATH: &str = "/__version";

/// How often the open page asks for the version, in milliseconds.
const POLL_MS: u32 = 250;

/// What the page shows.
pub struct Content<'a> {
    /// The drawing to show: the current one, or after a style error the last good one.
    pub sheet: Option<&'a Sheet>,
    /// The style's one-line error, when the last save did not load or draw.
    pub error: Option<&'a str>,
    /// `Some(version)` while watched: the page reloads when the server's version differs.
    pub watch: Option<u64>,
}

pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const STYLE: &str = "
:root { color-scheme: light dark; --bg: #f4f5f7; --fg: #1f2937; --muted: #5b6472;
  --line: #d9dde3; --panel: #ffffff; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #0b0f17; --fg: #e5e7eb; --muted: #a3acb9; --line: #2b3544; --panel: #151c28; }
}
body { margin: 0; padding: 24px 32px; background: var(--bg); color: var(--fg);
  font: 14px/1.5 system-ui, sans-serif; }
h1 { margin: 0 0 4px; font-size: 22px; }
h2 { margin: 0 0 2px; font-size: 18px; }
h3 { margin: 16px 0 6px; font-size: 13px; font-weight: 600; color: var(--muted);
  text-transform: uppercase; letter-spacing: .04em; }
code { font: 13px ui-monospace, monospace; }
.meta, .data { color: var(--muted); margin: 0; }
nav { margin: 8px 0 0; display: flex; flex-wrap: wrap; gap: 4px 14px; }
nav a { color: inherit; }
.error { margin: 16px 0; padding: 12px 16px; border: 2px solid #b91c1c; border-radius: 6px;
  background: #fee2e2; color: #7f1d1d; font: 14px/1.45 ui-monospace, monospace;
  white-space: pre-wrap; overflow-wrap: anywhere; }
.error strong { font-family: system-ui, sans-serif; }
.stale { opacity: .5; }
section { margin: 28px 0; padding: 16px 20px; background: var(--panel);
  border: 1px solid var(--line); border-radius: 8px; }
.row { display: flex; flex-wrap: wrap; gap: 12px 24px; align-items: flex-start; }
figure { margin: 0; }
img { display: block; max-width: none; height: auto; outline: 1px solid var(--line); }
figcaption { margin-top: 4px; color: var(--muted); }
figcaption b { color: var(--fg); font-weight: 600; margin-right: 6px; }
";

/// The whole page.
pub fn html(content: &Content<'_>) -> String {
    let mut page = String::new();
    let title = content
        .sheet
        .map_or("no drawing yet".to_owned(), |s| s.origin.clone());
    let _ = write!(
        page,
        "<!doctype html>\n<html lang=\"ja\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"color-scheme\" content=\"light dark\">\n\
         <title>Chart specimens — {}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        escape(&title)
    );
    header(&mut page, content);
    if let Some(error) = content.error {
        let _ = write!(
            page,
            "<p class=\"error\" id=\"style-error\" role=\"alert\"><strong>The style does not \
             load; the watcher keeps running — save again to redraw.</strong>\n{}</p>\n",
            escape(error)
        );
    }
    if let Some(sheet) = content.sheet {
        let stale = if content.error.is_some() {
            " class=\"stale\""
        } else {
            ""
        };
        let _ = writeln!(page, "<main{stale}>");
        for drawn in &sheet.drawn {
            specimen(&mut page, sheet, drawn);
        }
        page.push_str("</main>\n");
    }
    if let Some(version) = content.watch {
        reload_script(&mut page, version);
    }
    page.push_str("</body>\n</html>\n");
    page
}

fn header(page: &mut String, content: &Content<'_>) {
    page.push_str("<header>\n<h1>Chart specimens</h1>\n");
    if let Some(sheet) = content.sheet {
        let stale = if content.error.is_some() {
            " (the last drawing that loaded)"
        } else {
            ""
        };
        let _ = writeln!(
            page,
            "<p class=\"meta\">Style: <code>{}</code>{stale} · digest <code>{}</code> · \
             {} × {} px · now <code>{NOW}</code> (fixed) · each chart at 100 % and 50 %, \
             with its alt text</p>",
            escape(&sheet.origin),
            sheet.digest,
            sheet.width,
            sheet.height
        );
        page.push_str("<nav>");
        for drawn in &sheet.drawn {
            let _ = write!(
                page,
                "<a href=\"#{}\">{}</a>",
                drawn.specimen.job.slug,
                escape(drawn.specimen.stresses)
            );
        }
        page.push_str("</nav>\n");
    }
    page.push_str("</header>\n");
}

fn count(n: u64, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

/// One specimen: its heading and data, then each image at 100 % and 50 %.
fn specimen(page: &mut String, sheet: &Sheet, drawn: &Drawn) {
    let job = &drawn.specimen.job;
    let total: u64 = job.counts.iter().map(|&c| u64::from(c)).sum();
    let largest = job.counts.iter().max().copied().unwrap_or(0);
    let _ = write!(
        page,
        "<section id=\"{slug}\" data-specimen=\"{slug}\">\n<h2>{}</h2>\n\
         <p class=\"data\">{} · <code>{slug}</code> · from {} · {} · {} · largest month \
         {largest}</p>\n",
        escape(drawn.specimen.stresses),
        escape(&job.display_name),
        job.first_month,
        count(job.counts.len() as u64, "month"),
        count(total, "post"),
        slug = job.slug,
    );
    for image in &drawn.images {
        let variant = image.variant.as_deref().unwrap_or("light");
        let format = image.name.rsplit('.').next().unwrap_or("");
        let _ = write!(
            page,
            "<h3>{variant} · {}</h3>\n<div class=\"row\">\n",
            format.to_uppercase()
        );
        for (percent, width, height) in [
            (100, sheet.width, sheet.height),
            (50, sheet.width / 2, sheet.height / 2),
        ] {
            // The hash as a query: a redrawn chart is a new URL, never a cached old picture.
            let _ = writeln!(
                page,
                "<figure data-specimen=\"{slug}\" data-variant=\"{variant}\" \
                 data-format=\"{format}\" data-size=\"{percent}\">\
                 <img src=\"{name}?v={v}\" width=\"{width}\" height=\"{height}\" alt=\"{alt}\">\
                 <figcaption><b>{percent} %</b><span class=\"alt\">{alt}</span></figcaption>\
                 </figure>",
                slug = job.slug,
                name = image.name,
                v = &image.sha256[..8],
                alt = escape(&drawn.summary),
            );
        }
        page.push_str("</div>\n");
    }
    page.push_str("</section>\n");
}

/// Reload when the server's version is not this page's: the page is redrawn at most a poll
/// after the style file is saved. Only while watched (a page opened as a file has none).
fn reload_script(page: &mut String, version: u64) {
    let _ = write!(
        page,
        "<script>\nconst version = \"{version}\";\nsetInterval(async () => {{\n  try {{\n    \
         const now = await (await fetch(\"{VERSION_PATH}\", {{ cache: \"no-store\" }})).text();\n    \
         if (now.trim() !== version) location.reload();\n  }} catch (_) {{ /* the watcher \
         stopped: keep the page */ }}\n}}, {POLL_MS});\n</script>\n"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_that_is_not_watched_has_no_script() {
        let page = html(&Content {
            sheet: None,
            error: None,
            watch: None,
        });
        assert!(!page.contains("<script"));
        let watched = html(&Content {
            sheet: None,
            error: None,
            watch: Some(7),
        });
        assert!(watched.contains("const version = \"7\""));
    }

    #[test]
    fn an_error_is_shown_escaped() {
        let page = html(&Content {
            sheet: None,
            error: Some("style file s.toml: line 1 (bar = \"<b>\"): bad"),
            watch: None,
        });
        assert!(
            page.contains("(bar = &quot;&lt;b&gt;&quot;): bad"),
            "{page}"
        );
    }
}
