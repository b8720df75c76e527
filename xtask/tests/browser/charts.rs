//! The charts the browser tests look at, made once per test binary: a small sample export
//! run through the job's own CLI with `--all`, into `<target>/browser-tests/site/author-monthly-stats/`,
//! with the demo's gallery (`index.html`) beside them.

use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::OnceLock;

use clap::Parser as _;
use contract::defaults::SAMPLE_NOW;
use contract::files::{AUTHORS_FILE, DEFAULT_CHARTS_PREFIX, POSTS_FILE};
use sample::SampleSpec;
use serde_json::Value;

/// The published folder and what the job said about it.
pub(crate) struct Charts {
    /// The folder an origin serves: the charts are under [`DEFAULT_CHARTS_PREFIX`].
    pub(crate) site: PathBuf,
    /// `index.json`.
    pub(crate) index: Value,
}

impl Charts {
    /// The charts folder itself.
    pub(crate) fn dir(&self) -> PathBuf {
        self.site.join(DEFAULT_CHARTS_PREFIX)
    }

    /// The slugs of the rendered authors.
    pub(crate) fn slugs(&self) -> Vec<String> {
        self.index["authors"]
            .as_array()
            .expect("index.json lists authors")
            .iter()
            .filter(|a| a["rendered"] == true)
            .map(|a| a["slug"].as_str().expect("a slug").to_owned())
            .collect()
    }

    /// Three rendered authors that differ most: the longest history, the shortest, and
    /// the one in the middle (by posts).
    pub(crate) fn representative_slugs(&self) -> Vec<String> {
        let mut slugs = self.slugs();
        slugs.sort_by_key(|s| (self.stats(s)["total_posts"].as_u64(), s.clone()));
        let picked = [slugs.len() - 1, 0, slugs.len() / 2];
        let mut out: Vec<String> = picked.iter().map(|&i| slugs[i].clone()).collect();
        out.dedup();
        out
    }

    /// `<slug>.stats.json`.
    pub(crate) fn stats(&self, slug: &str) -> Value {
        let path = self.dir().join(format!("{slug}.stats.json"));
        serde_json::from_slice(&std::fs::read(&path).expect("the author's stats.json"))
            .expect("stats.json is JSON")
    }
}

/// Where the browser tests keep their files: `<target>/browser-tests/`.
pub(crate) fn work_dir() -> PathBuf {
    testkit::target_dir().join("browser-tests")
}

/// The charts, made on first use.
pub(crate) fn charts() -> &'static Charts {
    static CHARTS: OnceLock<Charts> = OnceLock::new();
    CHARTS.get_or_init(|| {
        let work = work_dir();
        let (input, site) = (work.join("input"), work.join("site"));
        for dir in [&input, &site] {
            if dir.exists() {
                std::fs::remove_dir_all(dir).expect("clearing the previous run's files");
            }
        }
        let spec = SampleSpec {
            authors: 8,
            posts: 400,
            ..SampleSpec::default()
        };
        sample::write_sample(&input, &spec).expect("the sample export");
        let out = site.join(DEFAULT_CHARTS_PREFIX);
        let args: [OsString; 11] = [
            "author-stats".into(),
            "run".into(),
            "--posts".into(),
            input.join(POSTS_FILE).into(),
            "--authors".into(),
            input.join(AUTHORS_FILE).into(),
            "--out".into(),
            out.clone().into(),
            "--all".into(),
            "--now".into(),
            SAMPLE_NOW.into(),
        ];
        let cli = author_stats::Cli::parse_from(args);
        cli.command
            .execute()
            .expect("the job publishes the sample's charts");
        xtask::demo::write_gallery(&out).expect("the demo's gallery");
        let index = serde_json::from_slice(
            &std::fs::read(out.join(contract::files::INDEX_FILE)).expect("index.json"),
        )
        .expect("index.json is JSON");
        Charts { site, index }
    })
}
