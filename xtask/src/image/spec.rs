//! The OCI image JSON documents this project writes and reads: manifest, config, index and
//! the descriptors that link them, with exactly the fields a Lambda image uses. Field order
//! is fixed by the structs and nothing optional is written empty, so the bytes (and so the
//! digests) depend only on the content. No `created` timestamps anywhere.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::digest::Digest;

pub const MEDIA_TYPE_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const MEDIA_TYPE_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const MEDIA_TYPE_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
pub const MEDIA_TYPE_LAYER_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
/// The annotation an OCI layout's `index.json` uses to name a manifest (its tag).
pub const ANNOTATION_REF_NAME: &str = "org.opencontainers.image.ref.name";

/// A pointer to a blob: what it is, its digest and its size in bytes.
#[derive(Serialize, Deserialize, Clone, PartialEq, Eq, Debug)]
pub struct Descriptor {
    #[serde(rename = "mediaType")]
    pub media_type: String,
    pub digest: Digest,
    pub size: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<Platform>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

/// Operating system and CPU architecture in OCI/Go spelling (`linux`, `amd64`/`arm64`).
#[derive(Serialize, Deserialize, Clone, PartialEq, Eq, Debug)]
pub struct Platform {
    pub architecture: String,
    pub os: String,
}

/// A single-architecture image manifest: one config, the layers bottom-up.
#[derive(Serialize, Deserialize, Clone, PartialEq, Eq, Debug)]
pub struct Manifest {
    #[serde(rename = "schemaVersion")]
    pub schema_version: u32,
    #[serde(rename = "mediaType")]
    pub media_type: String,
    pub config: Descriptor,
    pub layers: Vec<Descriptor>,
}

/// The image configuration: platform, how to run it, the layer chain and its history.
#[derive(Serialize, Deserialize, Clone, PartialEq, Eq, Debug)]
pub struct ImageConfig {
    pub architecture: String,
    pub os: String,
    pub config: RunConfig,
    pub rootfs: RootFs,
    pub history: Vec<History>,
}

/// The part of the config a container runtime (and Lambda) executes.
#[derive(Serialize, Deserialize, Clone, PartialEq, Eq, Debug)]
pub struct RunConfig {
    #[serde(rename = "Env")]
    pub env: Vec<String>,
    #[serde(rename = "Entrypoint")]
    pub entrypoint: Vec<String>,
}

/// The uncompressed layer digests, bottom-up.
#[derive(Serialize, Deserialize, Clone, PartialEq, Eq, Debug)]
pub struct RootFs {
    #[serde(rename = "type")]
    pub kind: String,
    pub diff_ids: Vec<Digest>,
}

/// What made one layer (one entry per layer, in layer order).
#[derive(Serialize, Deserialize, Clone, PartialEq, Eq, Debug)]
pub struct History {
    pub created_by: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// An OCI layout's `index.json`: the manifests the layout holds (one here).
#[derive(Serialize, Deserialize, Clone, PartialEq, Eq, Debug)]
pub struct Index {
    #[serde(rename = "schemaVersion")]
    pub schema_version: u32,
    #[serde(rename = "mediaType")]
    pub media_type: String,
    pub manifests: Vec<Descriptor>,
}
