//! Times the built-in sample generator at the seed scale (60 000 posts × ~3 KB) and prints
//! the file sizes: `cargo run --release -p sample --example sample_timing [DIR] [--dirty]`.
//! Without DIR the files go to a temporary folder that is removed afterwards.

use std::time::Instant;

use sample::{write_sample_with_tally, SampleSpec};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dirty = args.iter().any(|a| a == "--dirty");
    let tmp = std::env::temp_dir().join(format!("sample-timing-{}", std::process::id()));
    let dir = args
        .iter()
        .find(|a| !a.starts_with("--"))
        .map_or(tmp.clone(), Into::into);
    let spec = SampleSpec {
        dirty,
        ..SampleSpec::seed_scale()
    };
    let start = Instant::now();
    let (files, tally) = write_sample_with_tally(&dir, &spec)?;
    let elapsed = start.elapsed();
    let size = |p: &std::path::Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    println!("spec: {spec:?}");
    println!("time: {:.2} s", elapsed.as_secs_f64());
    println!(
        "posts:   {} ({} bytes)",
        files.posts.display(),
        size(&files.posts)
    );
    println!(
        "authors: {} ({} bytes)",
        files.authors.display(),
        size(&files.authors)
    );
    println!(
        "counted {} posts, {} authors in index, {} rendered with --days 7",
        tally.counted_posts,
        tally.authors.len(),
        tally.rendered_slugs(7).len()
    );
    println!(
        "skipped: malformed {} missing_author_id {} missing_published_at {} bad_timestamp {} \
         future {} unknown {} invalid_slug {} duplicate_slug {}",
        tally.malformed_lines,
        tally.missing_author_id,
        tally.missing_published_at,
        tally.bad_timestamp,
        tally.future_post,
        tally.unknown_author,
        tally.invalid_slug,
        tally.duplicate_slug
    );
    if dir == tmp {
        std::fs::remove_dir_all(&tmp)?;
    }
    Ok(())
}
