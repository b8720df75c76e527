//! `cargo xtask bench --bombs`: peak memory of the job on hostile input, which must stay
//! flat: a gzip member that inflates to 1 GiB without a newline (≈1 MB on disk), and an
//! author whose display name is 15 MB (under the 16 MiB line cap, so it is read, then cut
//! to 1,000 characters). Both runs succeed; the long line is skipped, the name cut. Then
//! three oversized files (issue 23): a sparse 2 GiB old chart and a sparse 1 GiB
//! `index.json` in the output folder (replaced, never read whole), and `--style /dev/zero`
//! (refused, exit 2); each must peak at most [`OVERSIZED_TARGET_MIB`].

use std::fs;
use std::io::Write as _;
use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result};
use contract::defaults::SAMPLE_NOW;
use flate2::write::GzEncoder;
use flate2::Compression;

use super::measure::{measure, mib};
use xtask_support::shell::project_root;

const GIB: usize = 1 << 30;
/// Peak RSS each oversized-file run must stay under.
const OVERSIZED_TARGET_MIB: f64 = 64.0;

/// `out`, gzip-compressed at the best level.
fn write_gz(path: &Path, write: impl FnOnce(&mut GzEncoder<fs::File>) -> Result<()>) -> Result<()> {
    let file = fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let mut gz = GzEncoder::new(file, Compression::best());
    write(&mut gz)?;
    gz.finish()?;
    Ok(())
}

fn run_job(job: &Path, posts: &Path, authors: &Path, out: &Path) -> Command {
    let _ = fs::remove_dir_all(out);
    let mut cmd = Command::new(job);
    cmd.arg("run")
        .arg("--posts")
        .arg(posts)
        .arg("--authors")
        .arg(authors)
        .arg("--out")
        .arg(out)
        .args(["--now", SAMPLE_NOW]);
    cmd
}

/// Build both bombs (once) and print the peak RSS of a run on each.
pub(crate) fn run(job: &Path) -> Result<()> {
    let dir = project_root().join("target/bench/bombs");
    fs::create_dir_all(&dir)?;
    let authors = dir.join("authors.jsonl.gz");
    let one_post = dir.join("posts.jsonl.gz");
    let no_newline = dir.join("no-newline.jsonl.gz");
    let long_name = dir.join("long-name-15mb-authors.jsonl.gz");
    let author_line = "{\"id\":\"a1\",\"slug\":\"alice\",\"display_name\":\"Alice\"}\n";
    let post_line = "{\"author_id\":\"a1\",\"first_published_at\":\"2025-11-24T00:00:00Z\"}\n";
    write_gz(&authors, |gz| Ok(gz.write_all(author_line.as_bytes())?))?;
    write_gz(&one_post, |gz| Ok(gz.write_all(post_line.as_bytes())?))?;
    if !long_name.exists() {
        write_gz(&long_name, |gz| {
            gz.write_all(b"{\"id\":\"a1\",\"slug\":\"alice\",\"display_name\":\"")?;
            let chunk = "長".repeat(1 << 16);
            for _ in 0..(15_000_000 / chunk.len()) {
                gz.write_all(chunk.as_bytes())?;
            }
            gz.write_all(b"\"}\n")?;
            Ok(())
        })?;
    }
    if !no_newline.exists() {
        write_gz(&no_newline, |gz| {
            gz.write_all(post_line.as_bytes())?;
            let chunk = vec![b'a'; 1 << 20];
            for _ in 0..(GIB / chunk.len()) {
                gz.write_all(&chunk)?;
            }
            Ok(())
        })?;
    }
    let out = dir.join("out");
    let bomb = measure(&mut run_job(job, &no_newline, &authors, &out))?;
    let name = measure(&mut run_job(job, &one_post, &long_name, &out))?;
    println!(
        "\nhostile input ({:.1} MB gzip → 1 GiB without a newline; a 15 MB display name)",
        fs::metadata(&no_newline)?.len() as f64 / 1e6
    );
    println!(
        "{:<38} {:>12}",
        "1 GiB line: peak RSS",
        format!("{:.1} MiB", mib(bomb.max_rss_kib))
    );
    println!(
        "{:<38} {:>12}",
        "15 MB display name: peak RSS",
        format!("{:.1} MiB", mib(name.max_rss_kib))
    );

    // Oversized files: an old chart and an old index, both sparse, in the output folder.
    let planted = |name: &str, len: u64| -> Result<Command> {
        let cmd = run_job(job, &one_post, &authors, &out);
        fs::create_dir_all(&out)?;
        fs::File::create(out.join(name))?.set_len(len)?;
        Ok(cmd)
    };
    let chart = measure(&mut planted("alice.png", 2 * GIB as u64)?)?;
    let index = measure(&mut planted("index.json", GIB as u64)?)?;
    // The style is refused (exit 2, which `measure` counts as a failure): the shell
    // reports success exactly when the job refused it; its peak includes the job's.
    let style_run = run_job(job, &one_post, &authors, &out);
    let mut refused = Command::new("sh");
    refused
        .args(["-c", "\"$@\" --style /dev/zero; test $? -eq 2", "sh"])
        .arg(style_run.get_program())
        .args(style_run.get_args());
    let style = measure(&mut refused)?;
    println!("\noversized files (target ≤ {OVERSIZED_TARGET_MIB:.0} MiB each)");
    for (label, run) in [
        ("sparse 2 GiB old chart: peak RSS", &chart),
        ("sparse 1 GiB index.json: peak RSS", &index),
        ("--style /dev/zero (refused): peak RSS", &style),
    ] {
        let peak = mib(run.max_rss_kib);
        let verdict = if peak <= OVERSIZED_TARGET_MIB {
            "ok"
        } else {
            "OVER"
        };
        println!("{label:<38} {:>12} {verdict}", format!("{peak:.1} MiB"));
    }
    let _ = fs::remove_dir_all(&out);
    Ok(())
}
