//! `cargo xtask build`: the static release build of the job and its Lambda container image,
//! written as an OCI image layout under `target/image/author-stats/`. Prints the manifest
//! digest (the same sources give the same digest) and the compressed size.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;

use xtask_image::{self as image, megabytes, Arch, BuildOptions};

#[derive(clap::Args, Debug)]
pub struct Build {
    /// CPU architecture of the image (arm64 needs its Rust target installed).
    #[arg(long, value_enum, default_value_t = Arch::X86_64)]
    pub arch: Arch,
    /// PEM CA bundle to put at /etc/ssl/certs/ca-certificates.crt (TLS to S3).
    #[arg(long, default_value = image::HOST_CA_BUNDLE)]
    pub ca_bundle: PathBuf,
    /// The OCI image layout directory (written by build, read by `push --no-build`)
    /// [default: target/image/author-stats].
    #[arg(long)]
    pub layout: Option<PathBuf>,
}

impl Build {
    pub fn options(&self) -> BuildOptions {
        BuildOptions {
            ca_bundle: self.ca_bundle.clone(),
            layout_dir: self.layout_dir(),
            arch: self.arch,
        }
    }

    pub fn layout_dir(&self) -> PathBuf {
        self.layout
            .clone()
            .unwrap_or_else(image::default_layout_dir)
    }

    pub fn run(self) -> Result<()> {
        let started = Instant::now();
        let built = image::build(&self.options())?;
        let image = &built.image;
        eprintln!(
            "build: {} image, {} layers, in {:.1} s → {}",
            image.platform.architecture(),
            image.layers.len(),
            started.elapsed().as_secs_f64(),
            built.layout_dir.display()
        );
        println!("digest: {}", image.digest());
        println!(
            "compressed size: {} ({} bytes)",
            megabytes(image.compressed_size()),
            image.compressed_size()
        );
        Ok(())
    }
}
