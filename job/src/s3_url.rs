//! S3 locations: `s3://bucket/key` for one object, `s3://bucket/prefix/` for a "folder".
//! Parsed and checked once at the edge (CLI flags, environment variables), so the rest of
//! the code never splits strings and a chart key is always `<prefix><slug>.png`.

use std::fmt;

use crate::quote::quoted;

/// The URL scheme that selects S3 instead of a local path.
pub const SCHEME: &str = "s3://";

/// Whether a CLI value names an S3 location rather than a local path.
pub fn is_s3_url(text: &str) -> bool {
    text.starts_with(SCHEME)
}

/// One S3 object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Object {
    pub bucket: String,
    pub key: String,
}

/// A key prefix in a bucket: empty (the bucket's root) or ending in `/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Prefix {
    bucket: String,
    prefix: String,
}

impl S3Object {
    /// Parse `s3://bucket/key`.
    pub fn parse(url: &str) -> Result<S3Object, String> {
        let (bucket, key) = split(url)?;
        S3Object::new(bucket, key).map_err(|e| format!("{}: {e}", quoted(url)))
    }

    /// An object from a bucket name and a key (e.g. from environment variables).
    pub fn new(bucket: &str, key: &str) -> Result<S3Object, String> {
        check_bucket(bucket)?;
        if key.is_empty() {
            return Err(format!(
                "no object key after the bucket name — write s3://{bucket}/path/to/file.jsonl.gz"
            ));
        }
        if key.ends_with('/') {
            return Err(format!(
                "key {} ends in '/', which names a folder, not an object — name the .jsonl.gz file",
                quoted(key)
            ));
        }
        check_key(key)?;
        Ok(S3Object {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
        })
    }
}

impl S3Prefix {
    /// Parse `s3://bucket/prefix/`, `s3://bucket/prefix` (a `/` is added) or `s3://bucket`.
    pub fn parse(url: &str) -> Result<S3Prefix, String> {
        let (bucket, prefix) = split(url)?;
        S3Prefix::new(bucket, prefix).map_err(|e| format!("{}: {e}", quoted(url)))
    }

    /// A prefix from a bucket name and a prefix; a missing final `/` is added.
    pub fn new(bucket: &str, prefix: &str) -> Result<S3Prefix, String> {
        check_bucket(bucket)?;
        let mut prefix = prefix.to_owned();
        if !prefix.is_empty() {
            check_key(&prefix)?;
            if !prefix.ends_with('/') {
                prefix.push('/');
            }
        }
        Ok(S3Prefix {
            bucket: bucket.to_owned(),
            prefix,
        })
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// `""` or a string ending in `/`.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The key of `name` under this prefix.
    pub fn key(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }
}

impl fmt::Display for S3Object {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{SCHEME}{}/{}", self.bucket, self.key)
    }
}

impl fmt::Display for S3Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{SCHEME}{}/{}", self.bucket, self.prefix)
    }
}

/// `s3://bucket/rest` → (`bucket`, `rest`).
fn split(url: &str) -> Result<(&str, &str), String> {
    let rest = url.strip_prefix(SCHEME).ok_or_else(|| {
        format!(
            "{} is not an S3 URL: it must start with {SCHEME}",
            quoted(url)
        )
    })?;
    Ok(rest.split_once('/').unwrap_or((rest, "")))
}

/// S3 bucket naming rules (general purpose buckets): 3–63 characters of lower-case
/// letters, digits, `.` and `-`, starting and ending with a letter or digit.
fn check_bucket(bucket: &str) -> Result<(), String> {
    let bytes = bucket.as_bytes();
    let allowed = bytes
        .iter()
        .all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-');
    let ends_ok = |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if (3..=63).contains(&bytes.len()) && allowed && ends_ok(bytes.first()) && ends_ok(bytes.last())
    {
        Ok(())
    } else {
        Err(format!(
            "{} is not a valid bucket name (3–63 characters: lower-case letters, digits, '.', '-'; \
             first and last a letter or digit)",
            quoted(bucket)
        ))
    }
}

/// Keys are UTF-8 of at most 1024 bytes; a leading `/` is legal in S3 but is nearly always
/// a doubled slash in a URL, so it is refused.
fn check_key(key: &str) -> Result<(), String> {
    if key.starts_with('/') {
        return Err(format!(
            "key {key:?} starts with '/' — write s3://bucket/key with a single slash"
        ));
    }
    if key.len() > 1024 {
        return Err(format!(
            "key is {} bytes long; S3 allows at most 1024",
            key.len()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_url_splits_at_the_first_slash() {
        let o = S3Object::parse("s3://export-bucket/daily/all-blog-posts.jsonl.gz").unwrap();
        assert_eq!(o.bucket, "export-bucket");
        assert_eq!(o.key, "daily/all-blog-posts.jsonl.gz");
        assert_eq!(
            o.to_string(),
            "s3://export-bucket/daily/all-blog-posts.jsonl.gz"
        );
    }

    #[test]
    fn object_url_needs_a_key_that_is_not_a_folder() {
        assert!(S3Object::parse("s3://bucket").is_err());
        assert!(S3Object::parse("s3://bucket/").is_err());
        assert!(S3Object::parse("s3://bucket/dir/").is_err());
        assert!(S3Object::parse("s3://bucket//x.gz").is_err());
    }

    #[test]
    fn prefix_gets_a_trailing_slash() {
        let p = S3Prefix::parse("s3://charts/author-monthly-stats").unwrap();
        assert_eq!(p.prefix(), "author-monthly-stats/");
        assert_eq!(p.key("alice.png"), "author-monthly-stats/alice.png");
        let p = S3Prefix::parse("s3://charts/author-monthly-stats/").unwrap();
        assert_eq!(p.to_string(), "s3://charts/author-monthly-stats/");
    }

    #[test]
    fn bucket_root_is_an_empty_prefix() {
        for url in ["s3://charts", "s3://charts/"] {
            let p = S3Prefix::parse(url).unwrap();
            assert_eq!(p.bucket(), "charts");
            assert_eq!(p.prefix(), "");
            assert_eq!(p.key("index.json"), "index.json");
        }
    }

    #[test]
    fn bad_bucket_names_are_refused() {
        for url in [
            "s3://",
            "s3://ab/x",
            "s3://Upper/x",
            "s3://-dash/x",
            "s3://under_score/x",
            "s3://dot./x",
        ] {
            assert!(S3Object::parse(url).is_err(), "{url}");
        }
        assert!(S3Object::parse("/tmp/file.gz").is_err());
    }

    #[test]
    fn scheme_is_recognised() {
        assert!(is_s3_url("s3://b/k"));
        assert!(!is_s3_url("./s3/b"));
        assert!(!is_s3_url("S3://b/k"));
    }
}
