//! Content digests (`sha256:<64 hex>`), the names of everything in an image: blobs in the
//! OCI layout, layers and manifests in a registry. Parsing checks the form, so a `Digest`
//! is always a valid path component and a valid registry reference.

use std::fmt;

use anyhow::{bail, Result};
use sha2::{Digest as _, Sha256};

/// A sha256 content digest, displayed as `sha256:<hex>`.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct Digest {
    hex: String,
}

impl Digest {
    /// The digest of `bytes`.
    pub fn of(bytes: &[u8]) -> Digest {
        Digest::from_sha256(Sha256::digest(bytes).as_slice())
    }

    /// A finished sha256 hash as a digest.
    pub fn from_sha256(hash: &[u8]) -> Digest {
        let hex = hash.iter().map(|b| format!("{b:02x}")).collect();
        Digest { hex }
    }

    /// Parses `sha256:<64 lowercase hex>`.
    pub fn parse(text: &str) -> Result<Digest> {
        let Some(hex) = text.strip_prefix("sha256:") else {
            bail!("digest `{text}` is not of the form sha256:<hex>");
        };
        if hex.len() != 64
            || !hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            bail!("digest `{text}` does not have 64 lowercase hex digits");
        }
        Ok(Digest {
            hex: hex.to_owned(),
        })
    }

    /// The 64 hex digits without the algorithm.
    pub fn hex(&self) -> &str {
        &self.hex
    }

    /// The first 12 hex digits, for progress lines.
    pub fn short(&self) -> &str {
        &self.hex[..12]
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sha256:{}", self.hex)
    }
}

impl serde::Serialize for Digest {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Digest {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Digest, D::Error> {
        let text = String::deserialize(d)?;
        Digest::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_of_empty_input_is_the_well_known_one() {
        assert_eq!(
            Digest::of(b"").to_string(),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn parse_round_trips_and_rejects_other_forms() {
        let d = Digest::of(b"x");
        assert_eq!(Digest::parse(&d.to_string()).unwrap(), d);
        assert!(Digest::parse("sha512:00").is_err());
        assert!(Digest::parse("sha256:ABC").is_err());
        assert!(Digest::parse(&format!("sha256:{}/..", d.hex())).is_err());
    }
}
