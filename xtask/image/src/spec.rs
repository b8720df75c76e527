//! The OCI image documents this project writes and reads (manifest, config, index and the
//! descriptors that link them), as the `oci-spec` crate models the image-spec, with the
//! media types as text and the bridge between its digest type and ours ([`Digest`], which
//! the registry client and the layout name blobs by). The documents carry no `created`
//! timestamps and nothing optional is written empty, so their bytes, and so the digests,
//! depend only on the content (pinned by a test in `image/mod.rs`).

use std::str::FromStr;

use anyhow::{Context, Result};
pub use oci_spec::image::{
    Descriptor, ImageConfiguration, ImageIndex, ImageManifest, MediaType, Platform,
};

use crate::digest::Digest;

/// `application/vnd.oci.image.manifest.v1+json`.
pub const MEDIA_TYPE_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// `application/vnd.oci.image.index.v1+json`.
pub const MEDIA_TYPE_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// `application/vnd.oci.image.config.v1+json`.
pub const MEDIA_TYPE_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
/// `application/vnd.oci.image.layer.v1.tar+gzip`.
pub const MEDIA_TYPE_LAYER_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
/// The annotation an OCI layout's `index.json` uses to name a manifest (its tag).
pub const ANNOTATION_REF_NAME: &str = oci_spec::image::ANNOTATION_REF_NAME;

/// Our digest as oci-spec's.
pub fn to_oci(digest: &Digest) -> oci_spec::image::Digest {
    oci_spec::image::Digest::from_str(&digest.to_string())
        .expect("a parsed sha256 digest is a valid OCI digest")
}

/// oci-spec's digest as ours (only sha256 is accepted).
pub fn from_oci(digest: &oci_spec::image::Digest) -> Result<Digest> {
    Digest::parse(digest.as_ref()).with_context(|| format!("unsupported digest {digest}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_media_type_texts_are_oci_specs() {
        assert_eq!(MediaType::ImageManifest.to_string(), MEDIA_TYPE_MANIFEST);
        assert_eq!(MediaType::ImageIndex.to_string(), MEDIA_TYPE_INDEX);
        assert_eq!(MediaType::ImageConfig.to_string(), MEDIA_TYPE_CONFIG);
        assert_eq!(MediaType::ImageLayerGzip.to_string(), MEDIA_TYPE_LAYER_GZIP);
    }

    #[test]
    fn digests_cross_the_bridge_both_ways() {
        let ours = Digest::of(b"x");
        assert_eq!(from_oci(&to_oci(&ours)).unwrap(), ours);
    }
}
