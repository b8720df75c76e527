//! The Lambda container image of the job, made without a Docker daemon: a static build of
//! `author-stats` ([`static_build`]; release when shipped), two reproducible layers ([`layer`]) described
//! by an OCI config and a single-architecture manifest ([`spec`]), written as an OCI image
//! layout under `target/` ([`layout`]). Pushing it to a registry is `crate::registry`'s job.
//!
//! Layers, bottom-up: `/tmp` and the CA bundle (rustls reads the system roots from a file),
//! then the binary at [`ENTRYPOINT`]. Nothing else: no shell, no libc, no package manager.

pub mod digest;
pub mod elf;
pub mod layer;
pub mod layout;
pub mod registry;
pub mod spec;
pub mod static_build;

pub use static_build::Profile;

/// What the shipped (release) image should weigh compressed at most: Lambda pulls it on a
/// cold start. `cargo xtask build` says when it is over.
pub const COMPRESSED_SIZE_GOAL: u64 = 12_000_000;

use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use digest::Digest;
use layer::{Layer, LayerBuilder};
use oci_spec::image::{
    ConfigBuilder, HistoryBuilder, ImageConfigurationBuilder, ImageManifestBuilder, Os,
    PlatformBuilder, RootFsBuilder,
};
use spec::{Descriptor, MediaType, Platform};
use xtask_support::shell::target_dir;

/// Where the function's executable lives: absolute, a regular file (Lambda wants no
/// symlink), in the directory the AWS base images use for custom runtimes.
pub const ENTRYPOINT: &str = "/var/runtime/bootstrap";
/// Where the CA bundle goes: the path rustls-native-certs (via openssl-probe) looks at on
/// Debian-like systems, also named by `SSL_CERT_FILE` in the image's environment.
pub const CA_BUNDLE_PATH: &str = "/etc/ssl/certs/ca-certificates.crt";
/// The host's bundle, from Debian's `ca-certificates` package.
pub const HOST_CA_BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";
/// The tag the OCI layout's `index.json` gives the image.
pub const LAYOUT_TAG: &str = "latest";

/// The CPU architecture of the image.
#[derive(clap::ValueEnum, Clone, Copy, PartialEq, Eq, Debug)]
pub enum Arch {
    #[value(name = "x86_64", alias = "amd64")]
    X86_64,
    #[value(name = "arm64", alias = "aarch64")]
    Arm64,
}

impl Arch {
    /// The Rust target the static binary is built for.
    pub fn rust_target(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64-unknown-linux-gnu",
            Arch::Arm64 => "aarch64-unknown-linux-gnu",
        }
    }

    /// The OCI (Go) architecture name.
    pub fn oci_name(self) -> &'static str {
        match self {
            Arch::X86_64 => "amd64",
            Arch::Arm64 => "arm64",
        }
    }

    /// The ELF `e_machine` of executables for this architecture.
    pub fn elf_machine(self) -> u16 {
        match self {
            Arch::X86_64 => elf::EM_X86_64,
            Arch::Arm64 => elf::EM_AARCH64,
        }
    }
}

impl fmt::Display for Arch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.oci_name())
    }
}

/// What goes into the image.
#[derive(Clone, Debug)]
pub struct Contents {
    pub arch: Arch,
    /// The static `author-stats` executable.
    pub binary: Vec<u8>,
    /// PEM CA certificates for TLS (S3 over HTTPS).
    pub ca_bundle: Vec<u8>,
}

/// A blob with its descriptor.
#[derive(Clone, Debug)]
pub struct Blob {
    pub descriptor: Descriptor,
    /// The descriptor's digest, in the form the layout and the registry use.
    pub digest: Digest,
    pub bytes: Vec<u8>,
}

impl Blob {
    fn new(media_type: MediaType, bytes: Vec<u8>) -> Blob {
        let digest = Digest::of(&bytes);
        Blob {
            descriptor: Descriptor::new(media_type, bytes.len() as u64, spec::to_oci(&digest)),
            digest,
            bytes,
        }
    }

    /// The blob's content digest.
    pub fn digest(&self) -> &Digest {
        &self.digest
    }

    /// Its size in bytes.
    pub fn size(&self) -> u64 {
        self.descriptor.size()
    }
}

/// A complete single-architecture image in memory.
#[derive(Clone, Debug)]
pub struct Image {
    pub manifest: Blob,
    pub config: Blob,
    pub layers: Vec<Blob>,
    /// The platform, for the layout's index.
    pub platform: Platform,
}

impl Image {
    /// The manifest digest: the image's identity, what `repo@sha256:…` names.
    pub fn digest(&self) -> &Digest {
        self.manifest.digest()
    }

    /// Bytes a registry stores and Lambda pulls: manifest, config and compressed layers.
    pub fn compressed_size(&self) -> u64 {
        self.blobs().map(Blob::size).sum::<u64>() + self.manifest.size()
    }

    /// Config and layers: the blobs a push uploads before the manifest.
    pub fn blobs(&self) -> impl Iterator<Item = &Blob> {
        self.layers.iter().chain(std::iter::once(&self.config))
    }
}

/// Builds the layers, config and manifest for `contents`. Pure: same contents, same bytes.
pub fn assemble(contents: &Contents) -> Result<Image> {
    let mut base = LayerBuilder::new();
    base.dir("/tmp", 0o1777)?
        .file(CA_BUNDLE_PATH, 0o644, contents.ca_bundle.clone())?;
    let mut app = LayerBuilder::new();
    app.file(ENTRYPOINT, 0o755, contents.binary.clone())?;
    let layers: Vec<(Layer, String)> = vec![
        (
            base.build()?,
            format!("cargo xtask build: /tmp (1777) and {CA_BUNDLE_PATH} (host CA bundle)"),
        ),
        (
            app.build()?,
            format!(
                "cargo xtask build: {ENTRYPOINT} (author-stats, static {})",
                contents.arch.rust_target()
            ),
        ),
    ];

    let run = ConfigBuilder::default()
        .env(vec![
            "PATH=/var/runtime:/usr/local/bin:/usr/bin:/bin".to_owned(),
            format!("SSL_CERT_FILE={CA_BUNDLE_PATH}"),
        ])
        .entrypoint(vec![ENTRYPOINT.to_owned()])
        .build()?;
    let rootfs = RootFsBuilder::default()
        .typ("layers")
        .diff_ids(
            layers
                .iter()
                .map(|(l, _)| l.diff_id.to_string())
                .collect::<Vec<_>>(),
        )
        .build()?;
    let history = layers
        .iter()
        .map(|(_, created_by)| {
            HistoryBuilder::default()
                .created_by(created_by.clone())
                .build()
        })
        .collect::<Result<Vec<_>, _>>()?;
    let config = ImageConfigurationBuilder::default()
        .architecture(contents.arch.oci_name())
        .os(Os::Linux)
        .config(run)
        .rootfs(rootfs)
        .history(history)
        .build()?;
    let config = Blob::new(MediaType::ImageConfig, serde_json::to_vec(&config)?);
    let layers: Vec<Blob> = layers
        .into_iter()
        .map(|(l, _)| Blob::new(MediaType::ImageLayerGzip, l.blob))
        .collect();
    let manifest = ImageManifestBuilder::default()
        .schema_version(2u32)
        .media_type(MediaType::ImageManifest)
        .config(config.descriptor.clone())
        .layers(
            layers
                .iter()
                .map(|l| l.descriptor.clone())
                .collect::<Vec<_>>(),
        )
        .build()?;
    let manifest = Blob::new(MediaType::ImageManifest, serde_json::to_vec(&manifest)?);
    Ok(Image {
        manifest,
        config,
        layers,
        platform: PlatformBuilder::default()
            .architecture(contents.arch.oci_name())
            .os(Os::Linux)
            .build()?,
    })
}

/// How to build the image.
#[derive(Clone, Debug)]
pub struct BuildOptions {
    pub arch: Arch,
    /// The PEM bundle to copy in (default: the host's, [`HOST_CA_BUNDLE`]).
    pub ca_bundle: PathBuf,
    /// Where to write the OCI layout (default: [`default_layout_dir`]).
    pub layout_dir: PathBuf,
    /// The cargo profile of the executable (default: release).
    pub profile: Profile,
}

impl BuildOptions {
    pub fn new(arch: Arch) -> BuildOptions {
        BuildOptions {
            arch,
            ca_bundle: PathBuf::from(HOST_CA_BUNDLE),
            layout_dir: default_layout_dir(),
            profile: Profile::Release,
        }
    }
}

/// A built image, the executable in it, and where its layout is.
#[derive(Clone, Debug)]
pub struct Built {
    pub image: Image,
    pub binary: PathBuf,
    pub layout_dir: PathBuf,
}

/// Static build, assembly, and the OCI layout on disk.
pub fn build(options: &BuildOptions) -> Result<Built> {
    let (binary, image) = build_image(options.arch, &options.ca_bundle, options.profile)?;
    layout::write(&image, &options.layout_dir, LAYOUT_TAG)?;
    Ok(Built {
        image,
        binary,
        layout_dir: options.layout_dir.clone(),
    })
}

/// Static build in `profile` and assembly, in memory: the executable's path and the image.
pub fn build_image(arch: Arch, ca_bundle: &Path, profile: Profile) -> Result<(PathBuf, Image)> {
    let binary_path = static_build::build(arch, profile)?;
    let binary = read(&binary_path)?;
    let ca = std::fs::read(ca_bundle).with_context(|| {
        format!(
            "cannot read the CA bundle {}: install Debian's ca-certificates \
             (`apt-get install ca-certificates`) or pass --ca-bundle PATH",
            ca_bundle.display()
        )
    })?;
    if !ca.starts_with(b"-----BEGIN CERTIFICATE-----") {
        bail!(
            "{} is not a PEM CA bundle: pass --ca-bundle with one",
            ca_bundle.display()
        );
    }
    let image = assemble(&Contents {
        arch,
        binary,
        ca_bundle: ca,
    })?;
    Ok((binary_path, image))
}

/// `<target dir>/image/author-stats`.
pub fn default_layout_dir() -> PathBuf {
    target_dir().join("image").join("author-stats")
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("reading {}", path.display()))
}

/// `12.3 MB` (decimal megabytes, as registries and the AWS console show sizes).
pub fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

/// `12.3 MB`, `4.5 kB` or `607 B`: a size for progress lines.
pub fn human_size(bytes: u64) -> String {
    match bytes {
        0..=999 => format!("{bytes} B"),
        1_000..=999_999 => format!("{:.1} kB", bytes as f64 / 1e3),
        _ => megabytes(bytes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contents() -> Contents {
        Contents {
            arch: Arch::X86_64,
            binary: b"\x7fELF fake".to_vec(),
            ca_bundle: b"-----BEGIN CERTIFICATE-----\n".to_vec(),
        }
    }

    #[test]
    fn config_names_platform_entrypoint_layers_and_history_without_timestamps() {
        let image = assemble(&contents()).unwrap();
        let config: serde_json::Value = serde_json::from_slice(&image.config.bytes).unwrap();
        assert_eq!(config["architecture"], "amd64");
        assert_eq!(config["os"], "linux");
        assert_eq!(config["config"]["Entrypoint"][0], ENTRYPOINT);
        assert_eq!(config["rootfs"]["diff_ids"].as_array().unwrap().len(), 2);
        assert_eq!(config["history"].as_array().unwrap().len(), 2);
        let text = String::from_utf8(image.config.bytes.clone()).unwrap();
        assert!(!text.contains("created\""), "{text}");
    }

    #[test]
    fn manifest_points_at_config_and_gzip_layers() {
        let image = assemble(&contents()).unwrap();
        let manifest: spec::ImageManifest = serde_json::from_slice(&image.manifest.bytes).unwrap();
        assert_eq!(manifest.media_type(), &Some(MediaType::ImageManifest));
        assert_eq!(manifest.config(), &image.config.descriptor);
        assert!(manifest
            .layers()
            .iter()
            .all(|l| l.media_type() == &MediaType::ImageLayerGzip));
    }

    #[test]
    fn same_contents_same_digest_and_a_changed_binary_changes_only_its_layer() {
        let a = assemble(&contents()).unwrap();
        let b = assemble(&contents()).unwrap();
        assert_eq!(a.digest(), b.digest());
        let mut changed = contents();
        changed.binary.push(0);
        let c = assemble(&changed).unwrap();
        assert_ne!(a.digest(), c.digest());
        assert_eq!(a.layers[0].digest(), c.layers[0].digest());
        assert_ne!(a.layers[1].digest(), c.layers[1].digest());
    }

    #[test]
    fn the_image_documents_keep_their_bytes() {
        // Pinned when the documents moved to the oci-spec types: the same contents must
        // keep giving the same manifest, whatever models the JSON.
        let image = assemble(&contents()).unwrap();
        assert_eq!(image.digest().to_string(), PINNED_DIGEST);
    }

    const PINNED_DIGEST: &str =
        "sha256:9ac0b9dd6c63d6c8721840838e175efc87d9cad32471d4d193c7df8887c18b63";
}
