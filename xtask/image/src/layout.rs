//! The OCI image layout on disk (`oci-layout`, `index.json`, `blobs/sha256/<hex>`): what
//! `cargo xtask build` leaves under `target/` and `cargo xtask push` reads back. The index
//! names one single-architecture manifest; reading checks every blob against its digest.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use crate::digest::Digest;
use oci_spec::image::{ImageIndexBuilder, PlatformBuilder};

use crate::spec::{self, Descriptor, ImageConfiguration, ImageIndex, ImageManifest, MediaType};
use crate::{Blob, Image};

const OCI_LAYOUT: &str = r#"{"imageLayoutVersion":"1.0.0"}"#;

/// Writes `image` as an OCI layout at `dir`, replacing what was there (old blobs included).
/// The layout is written next to `dir` first and renamed into place.
pub fn write(image: &Image, dir: &Path, tag: &str) -> Result<()> {
    let parent = dir
        .parent()
        .with_context(|| format!("{} has no parent directory", dir.display()))?;
    fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    let staging = sibling(dir, &format!("tmp-{}", std::process::id()));
    let _ = fs::remove_dir_all(&staging);
    let blobs = staging.join("blobs").join("sha256");
    fs::create_dir_all(&blobs).with_context(|| format!("creating {}", blobs.display()))?;
    for blob in image.blobs().chain(std::iter::once(&image.manifest)) {
        let path = blobs.join(blob.digest().hex());
        fs::write(&path, &blob.bytes).with_context(|| format!("writing {}", path.display()))?;
    }
    let mut manifest = image.manifest.descriptor.clone();
    manifest.set_platform(Some(image.platform.clone()));
    manifest.set_annotations(Some(HashMap::from([(
        spec::ANNOTATION_REF_NAME.to_owned(),
        tag.to_owned(),
    )])));
    let index = ImageIndexBuilder::default()
        .schema_version(2u32)
        .media_type(MediaType::ImageIndex)
        .manifests(vec![manifest])
        .build()?;
    fs::write(
        staging.join("index.json"),
        serde_json::to_vec_pretty(&index)?,
    )?;
    fs::write(staging.join("oci-layout"), OCI_LAYOUT)?;

    let old = sibling(dir, &format!("old-{}", std::process::id()));
    if dir.exists() {
        fs::rename(dir, &old).with_context(|| format!("moving {} aside", dir.display()))?;
    }
    fs::rename(&staging, dir).with_context(|| format!("renaming into {}", dir.display()))?;
    let _ = fs::remove_dir_all(&old);
    Ok(())
}

/// Reads the one image an OCI layout at `dir` holds.
pub fn read(dir: &Path) -> Result<Image> {
    let index_path = dir.join("index.json");
    let index: ImageIndex = serde_json::from_slice(&fs::read(&index_path).with_context(|| {
        format!(
            "no OCI image layout at {} (cannot read index.json): run `cargo xtask build` first",
            dir.display()
        )
    })?)
    .with_context(|| format!("{} is not an OCI index", index_path.display()))?;
    let [descriptor] = index.manifests().as_slice() else {
        bail!(
            "{} lists {} manifests; a Lambda image has exactly one: rebuild with `cargo xtask build`",
            index_path.display(),
            index.manifests().len()
        );
    };
    if descriptor.media_type() != &MediaType::ImageManifest {
        bail!(
            "{} points at a {}, not a single-architecture image manifest",
            index_path.display(),
            descriptor.media_type()
        );
    }
    let mut manifest = read_blob(dir, descriptor)?;
    let parsed: ImageManifest = serde_json::from_slice(&manifest.bytes)
        .with_context(|| format!("manifest {} is not an OCI manifest", descriptor.digest()))?;
    let config = read_blob(dir, parsed.config())?;
    let run: ImageConfiguration = serde_json::from_slice(&config.bytes).with_context(|| {
        format!(
            "config {} is not an OCI image config",
            parsed.config().digest()
        )
    })?;
    let platform = PlatformBuilder::default()
        .architecture(run.architecture().clone())
        .os(run.os().clone())
        .build()?;
    let layers = parsed
        .layers()
        .iter()
        .map(|l| read_blob(dir, l))
        .collect::<Result<Vec<_>>>()?;
    manifest.descriptor.set_platform(None);
    manifest.descriptor.set_annotations(None);
    Ok(Image {
        manifest,
        config,
        layers,
        platform,
    })
}

fn read_blob(dir: &Path, descriptor: &Descriptor) -> Result<Blob> {
    let digest = spec::from_oci(descriptor.digest())?;
    let path = blob_path(dir, &digest);
    let bytes = fs::read(&path).with_context(|| {
        format!(
            "missing blob {} in the OCI layout: rebuild with `cargo xtask build`",
            path.display()
        )
    })?;
    let actual = Digest::of(&bytes);
    if actual != digest || bytes.len() as u64 != descriptor.size() {
        bail!(
            "blob {} is corrupt (digest {actual}, {} bytes): rebuild with `cargo xtask build`",
            path.display(),
            bytes.len()
        );
    }
    Ok(Blob {
        descriptor: descriptor.clone(),
        digest,
        bytes,
    })
}

/// `<dir>/blobs/sha256/<hex>`.
pub fn blob_path(dir: &Path, digest: &Digest) -> PathBuf {
    dir.join("blobs").join("sha256").join(digest.hex())
}

fn sibling(dir: &Path, suffix: &str) -> PathBuf {
    let mut name = dir.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".{suffix}"));
    dir.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::super::{assemble, Arch, Contents};
    use super::*;

    #[test]
    fn a_written_layout_reads_back_as_the_same_image() {
        let image = assemble(&Contents {
            arch: Arch::X86_64,
            binary: b"bin".to_vec(),
            ca_bundle: b"pem".to_vec(),
        })
        .unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("layout");
        write(&image, &dir, "latest").unwrap();
        write(&image, &dir, "latest").unwrap(); // replacing an existing layout works too
        let back = read(&dir).unwrap();
        assert_eq!(back.digest(), image.digest());
        assert_eq!(back.manifest.bytes, image.manifest.bytes);
        assert_eq!(back.platform.architecture().to_string(), "amd64");
        let names: Vec<_> = fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["layout"], "no staging directories left behind");
    }

    #[test]
    fn a_corrupt_blob_is_reported() {
        let image = assemble(&Contents {
            arch: Arch::X86_64,
            binary: b"bin".to_vec(),
            ca_bundle: b"pem".to_vec(),
        })
        .unwrap();
        let tmp = tempfile::tempdir().unwrap();
        write(&image, tmp.path().join("l").as_path(), "latest").unwrap();
        fs::write(
            blob_path(&tmp.path().join("l"), image.layers[1].digest()),
            b"x",
        )
        .unwrap();
        let err = read(&tmp.path().join("l")).unwrap_err().to_string();
        assert!(err.contains("corrupt"), "{err}");
    }
}
