//! One reproducible filesystem layer: a gzip-compressed tar whose bytes depend only on the
//! paths, modes and contents put in. Entries are sorted, parents come first, owners are
//! uid/gid 0 with no user or group names, every mtime is the same fixed instant, and the
//! gzip header carries no file name and a zero timestamp.

use std::collections::BTreeMap;
use std::io::Write;

use anyhow::{bail, Context, Result};
use flate2::{Compression, GzBuilder};

use crate::digest::Digest;

/// The mtime of every entry: 1970-01-01T00:00:01Z. One second, not zero, because some
/// tools read a zero mtime as "unknown" (Jib made the same choice).
pub const FIXED_MTIME: u64 = 1;

/// A finished layer: the compressed bytes and both digests a manifest and config need.
#[derive(Clone, Debug)]
pub struct Layer {
    /// The `tar+gzip` blob as pushed.
    pub blob: Vec<u8>,
    /// Digest of `blob` (the manifest's layer descriptor).
    pub digest: Digest,
    /// Digest of the uncompressed tar (the config's `rootfs.diff_ids`).
    pub diff_id: Digest,
    /// Size of the uncompressed tar.
    pub tar_size: u64,
}

#[derive(Clone, Debug)]
enum Entry {
    Dir { mode: u32 },
    File { mode: u32, bytes: Vec<u8> },
}

/// Collects files and directories by absolute path, then writes them as a layer.
#[derive(Default, Debug)]
pub struct LayerBuilder {
    entries: BTreeMap<String, Entry>,
}

impl LayerBuilder {
    pub fn new() -> LayerBuilder {
        LayerBuilder::default()
    }

    /// A directory at absolute `path` (parents are added with mode 0755).
    pub fn dir(&mut self, path: &str, mode: u32) -> Result<&mut Self> {
        let rel = relative(path)?;
        self.parents(&rel);
        self.entries.insert(rel, Entry::Dir { mode });
        Ok(self)
    }

    /// A regular file at absolute `path` with `mode` and `bytes` (parents get mode 0755).
    pub fn file(&mut self, path: &str, mode: u32, bytes: Vec<u8>) -> Result<&mut Self> {
        let rel = relative(path)?;
        self.parents(&rel);
        self.entries.insert(rel, Entry::File { mode, bytes });
        Ok(self)
    }

    fn parents(&mut self, rel: &str) {
        let mut end = 0;
        while let Some(i) = rel[end..].find('/') {
            end += i;
            self.entries
                .entry(rel[..end].to_owned())
                .or_insert(Entry::Dir { mode: 0o755 });
            end += 1;
        }
    }

    /// Writes the tar (sorted by path: a parent sorts before its children) and gzips it.
    pub fn build(&self) -> Result<Layer> {
        let mut tar = tar::Builder::new(Vec::new());
        for (path, entry) in &self.entries {
            let mut header = tar::Header::new_ustar();
            header.set_uid(0);
            header.set_gid(0);
            header.set_mtime(FIXED_MTIME);
            match entry {
                Entry::Dir { mode } => {
                    header.set_entry_type(tar::EntryType::Directory);
                    header.set_mode(*mode);
                    header.set_size(0);
                    header
                        .set_path(format!("{path}/"))
                        .with_context(|| format!("tar path {path}/"))?;
                    header.set_cksum();
                    tar.append(&header, std::io::empty())?;
                }
                Entry::File { mode, bytes } => {
                    header.set_entry_type(tar::EntryType::Regular);
                    header.set_mode(*mode);
                    header.set_size(bytes.len() as u64);
                    header
                        .set_path(path)
                        .with_context(|| format!("tar path {path}"))?;
                    header.set_cksum();
                    tar.append(&header, bytes.as_slice())?;
                }
            }
        }
        let tar = tar.into_inner().context("finishing the layer tar")?;
        let mut gz = GzBuilder::new()
            .mtime(0)
            .write(Vec::with_capacity(tar.len() / 2), Compression::best());
        gz.write_all(&tar)?;
        let blob = gz.finish().context("finishing the layer gzip")?;
        Ok(Layer {
            digest: Digest::of(&blob),
            diff_id: Digest::of(&tar),
            tar_size: tar.len() as u64,
            blob,
        })
    }
}

/// `/etc/ssl/x` → `etc/ssl/x`; rejects relative paths, `.`/`..` and empty components.
fn relative(path: &str) -> Result<String> {
    let Some(rel) = path.strip_prefix('/') else {
        bail!("layer path `{path}` must be absolute");
    };
    let rel = rel.trim_end_matches('/');
    if rel.is_empty()
        || rel
            .split('/')
            .any(|c| c.is_empty() || c == "." || c == "..")
    {
        bail!("layer path `{path}` must be a plain absolute path (no `.`, `..` or `//`)");
    }
    Ok(rel.to_owned())
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    fn entries(layer: &Layer) -> Vec<(String, u32, u64, u64, u64, Vec<u8>)> {
        let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(layer.blob.as_slice()));
        tar.entries()
            .unwrap()
            .map(|e| {
                let mut e = e.unwrap();
                let h = e.header().clone();
                let mut data = Vec::new();
                e.read_to_end(&mut data).unwrap();
                (
                    h.path().unwrap().to_string_lossy().into_owned(),
                    h.mode().unwrap(),
                    h.uid().unwrap(),
                    h.gid().unwrap(),
                    h.mtime().unwrap(),
                    data,
                )
            })
            .collect()
    }

    #[test]
    fn entries_are_sorted_with_parents_first_owned_by_root_at_a_fixed_time() {
        let mut b = LayerBuilder::new();
        b.file("/var/runtime/bootstrap", 0o755, b"bin".to_vec())
            .unwrap();
        b.file("/etc/ssl/certs/ca.crt", 0o644, b"pem".to_vec())
            .unwrap();
        b.dir("/tmp", 0o1777).unwrap();
        let layer = b.build().unwrap();
        let got = entries(&layer);
        let paths: Vec<_> = got.iter().map(|e| e.0.as_str()).collect();
        assert_eq!(
            paths,
            [
                "etc/",
                "etc/ssl/",
                "etc/ssl/certs/",
                "etc/ssl/certs/ca.crt",
                "tmp/",
                "var/",
                "var/runtime/",
                "var/runtime/bootstrap"
            ]
        );
        for (path, _, uid, gid, mtime, _) in &got {
            assert_eq!((*uid, *gid, *mtime), (0, 0, FIXED_MTIME), "{path}");
        }
        assert_eq!(got[3].1, 0o644);
        assert_eq!(got[4].1, 0o1777);
        assert_eq!((got[7].1, got[7].5.as_slice()), (0o755, &b"bin"[..]));
    }

    #[test]
    fn same_content_gives_the_same_bytes_whatever_the_insertion_order() {
        let mut a = LayerBuilder::new();
        a.file("/a/x", 0o644, b"1".to_vec()).unwrap();
        a.file("/b/y", 0o644, b"2".to_vec()).unwrap();
        let mut b = LayerBuilder::new();
        b.file("/b/y", 0o644, b"2".to_vec()).unwrap();
        b.file("/a/x", 0o644, b"1".to_vec()).unwrap();
        let (a, b) = (a.build().unwrap(), b.build().unwrap());
        assert_eq!(a.blob, b.blob);
        assert_eq!(a.digest, Digest::of(&a.blob));
    }

    #[test]
    fn gzip_header_has_no_name_and_no_timestamp() {
        let mut b = LayerBuilder::new();
        b.file("/f", 0o644, b"x".to_vec()).unwrap();
        let blob = b.build().unwrap().blob;
        assert_eq!(&blob[..3], &[0x1f, 0x8b, 8], "gzip magic + deflate");
        assert_eq!(blob[3], 0, "FLG: no name, comment or extra field");
        assert_eq!(&blob[4..8], &[0, 0, 0, 0], "MTIME");
    }

    #[test]
    fn relative_and_dotted_paths_are_refused() {
        let mut b = LayerBuilder::new();
        assert!(b.file("etc/x", 0o644, vec![]).is_err());
        assert!(b.file("/etc/../x", 0o644, vec![]).is_err());
        assert!(b.file("/etc//x", 0o644, vec![]).is_err());
    }
}
