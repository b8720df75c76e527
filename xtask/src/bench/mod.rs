//! `cargo xtask bench`: speed and memory of the release job, printed against the targets
//! (never asserted), on data generated once under `target/bench/`. The seed-scale table
//! (`seed`) always; with flags, S3 publishing and ingest against moto (`s3`), N× the seed
//! (`scale`, `fanout`), hostile input (`bombs`) and the image's cold start in runc
//! (`cold_start`).

use anyhow::Result;

mod bombs;
#[cfg(feature = "cold-start")]
mod cold_start;
mod daily;
mod data_set;
mod fanout;
mod measure;
mod moto;
mod out;
mod s3;
mod scale;
mod seed;

use crate::job_binary;
use data_set::SEED_SCALE;
use out::Outputs;
use seed::Seed;

#[derive(clap::Args)]
pub struct Bench {
    /// Repetitions per measurement (the best is reported).
    #[arg(long, default_value_t = 3)]
    runs: u32,
    /// Skip the 10× body-length memory run (its data set is ~2 GB raw).
    #[arg(long)]
    skip_10x: bool,
    /// Also measure publishing to S3 against a local moto server.
    #[arg(long)]
    s3: bool,
    /// Also run the daily run and the backfill on N× the seed data (N× authors and posts;
    /// repeatable, e.g. --scale 10 --scale 100; 100× is ~5.5 GB of gzip, generated once).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1000))]
    scale: Vec<u32>,
    /// With --scale: also run each scale's backfill as the fan-out (count, K render
    /// processes at a time, finish) and compare it with the single run (data-spec §9).
    #[arg(long, value_name = "K", requires = "scale", value_parser = clap::value_parser!(u32).range(1..=64))]
    fan_out: Option<u32>,
    /// Also measure peak memory on hostile input: a gzip bomb without a newline, a 15 MB
    /// display name, and oversized files in the output folder and as `--style`.
    #[arg(long)]
    bombs: bool,
    /// Also measure the release image's cold start in Lambda's sandbox (runc, as root): N
    /// fresh containers (default 5), each from `runc run` to the first `/next` and to the end
    /// of its first invocation, a daily run over TLS; median and max.
    #[arg(long, value_name = "N", num_args = 0..=1, default_missing_value = "5",
          value_parser = clap::value_parser!(u32).range(1..=100))]
    cold_start: Option<u32>,
}

impl Bench {
    pub fn run(self) -> Result<()> {
        #[cfg(not(feature = "cold-start"))]
        if self.cold_start.is_some() {
            return crate::forward::with_feature("cold-start");
        }
        let job = job_binary::build(job_binary::Build::Shipped)?;
        let data = SEED_SCALE.ensure()?;
        let outs = Outputs::new()?;
        let seed = Seed::measure(&job, &data, &outs, self.runs)?;
        seed.print();
        if !self.skip_10x {
            seed::ten_x_bodies(&job, &outs, &seed.daily)?;
        }
        if self.s3 {
            s3::run(&job, &data)?;
        }
        for &n in &self.scale {
            match self.fan_out {
                Some(k) => fanout::run(&job, &outs, n, k)?,
                None => scale::run(&job, &outs, n)?,
            }
        }
        if self.bombs {
            bombs::run(&job)?;
        }
        #[cfg(feature = "cold-start")]
        if let Some(starts) = self.cold_start {
            cold_start::run(starts)?;
        }
        println!("(a seaborn-based Python job: ~180 s and ~600 MiB for the backfill on this data)");
        outs.clean_up()
    }
}
