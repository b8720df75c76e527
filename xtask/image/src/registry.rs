//! Pushing an image through the OCI distribution API with basic auth, as ECR and an
//! htpasswd-protected registry both accept: `HEAD` each blob and skip what the registry has,
//! upload the rest monolithically (`POST` to open an upload, one `PUT` with the whole blob:
//! ECR drops chunked `PATCH`es after the first), then `PUT` the manifest by tag.
//! Knows nothing of ECR: `crate::ecr` supplies the endpoint and credentials.

use std::io::Read;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use base64::Engine as _;
use ureq::http::Response;
use ureq::tls::{TlsConfig, TlsProvider};
use ureq::{Agent, Body};

use crate::digest::Digest;
use crate::{human_size, spec, Blob, Image};

/// Basic-auth credentials for a registry.
#[derive(Clone)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Credentials({}, <password>)", self.username)
    }
}

/// What a push did, for the caller's summary (and the tests).
#[derive(Clone, Debug)]
pub struct PushReport {
    /// `<host>/<repository>@sha256:…`: what an image URI parameter takes.
    pub reference: String,
    pub digest: Digest,
    pub tag: String,
    /// Blobs (layers, config) sent, and the ones the registry already had.
    pub uploaded: Vec<Digest>,
    pub skipped: Vec<Digest>,
    pub bytes_uploaded: u64,
    /// False when the tag already named this exact manifest.
    pub manifest_uploaded: bool,
}

/// A registry endpoint with its credentials.
pub struct Registry {
    /// `scheme://host[:port]`, no trailing slash.
    base: String,
    host: String,
    auth: Option<(String, String)>,
    auth_fix: String,
    agent: Agent,
}

impl Registry {
    /// `url` is `https://host[:port]`, `http://host:port` (needs `insecure`) or `host[:port]`
    /// (HTTPS, or HTTP with `insecure`). `insecure` also skips TLS certificate checks.
    pub fn new(url: &str, credentials: Option<Credentials>, insecure: bool) -> Result<Registry> {
        let (scheme, rest) = match url.split_once("://") {
            Some((scheme, rest)) => (scheme.to_ascii_lowercase(), rest),
            None => ((if insecure { "http" } else { "https" }).to_owned(), url),
        };
        let host = rest.trim_end_matches('/');
        if host.is_empty() || host.contains('/') || host.contains('@') {
            bail!("registry URL `{url}` should be scheme://host[:port] with no path, e.g. http://127.0.0.1:5000");
        }
        match scheme.as_str() {
            "https" => {}
            "http" if insecure => {}
            "http" => bail!(
                "refusing to send credentials in clear text to `{url}`: pass --insecure for a \
                 local or test registry, or use https://"
            ),
            other => bail!("registry URL `{url}` has scheme `{other}`: use https:// or http://"),
        }
        let tls = TlsConfig::builder()
            .provider(TlsProvider::Rustls)
            .unversioned_rustls_crypto_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .disable_verification(insecure)
            .build();
        let agent = Agent::config_builder()
            .tls_config(tls)
            .http_status_as_error(false)
            .max_redirects(0)
            .max_redirects_will_error(false)
            .timeout_connect(Some(Duration::from_secs(10)))
            .timeout_recv_response(Some(Duration::from_secs(300)))
            .user_agent(concat!("author-stats-xtask/", env!("CARGO_PKG_VERSION")))
            .build()
            .new_agent();
        let auth = credentials.map(|c| {
            let token = base64::engine::general_purpose::STANDARD
                .encode(format!("{}:{}", c.username, c.password));
            (c.username, format!("Basic {token}"))
        });
        Ok(Registry {
            base: format!("{scheme}://{host}"),
            host: host.to_owned(),
            auth,
            auth_fix: "check --username and REGISTRY_PASSWORD".to_owned(),
            agent,
        })
    }

    /// The fix to print when the registry rejects the credentials (ECR: refresh AWS ones).
    pub fn with_auth_fix(mut self, fix: &str) -> Registry {
        self.auth_fix = fix.to_owned();
        self
    }

    /// `host[:port]`, as image references spell it.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// `GET /v2/`: the registry is up, speaks the API, and takes our credentials.
    pub fn check(&self) -> Result<()> {
        let url = format!("{}/v2/", self.base);
        let mut resp = self.send("GET", &url, None, None)?;
        match resp.status().as_u16() {
            200 => Ok(()),
            401 => {
                let challenge = header(&resp, "www-authenticate").unwrap_or_default();
                if challenge.to_ascii_lowercase().starts_with("bearer") {
                    bail!(
                        "registry {} wants token (Bearer) authentication, which cargo xtask push \
                         does not speak: use a registry with basic auth (ECR, htpasswd)",
                        self.host
                    );
                }
                Err(self.unauthorized(&mut resp))
            }
            404 => bail!(
                "{} is not an OCI distribution registry (GET /v2/ answered 404): check the URL",
                self.base
            ),
            _ => Err(self.unexpected("checking the API version", &mut resp)),
        }
    }

    /// Pushes `image` as `<repository>:<tag>`; blobs the registry has are not sent again.
    pub fn push(&self, image: &Image, repository: &str, tag: &str) -> Result<PushReport> {
        check_repository(repository)?;
        check_tag(tag)?;
        self.check()?;
        let target = format!("{}/{repository}", self.host);
        let mut report = PushReport {
            reference: format!("{target}@{}", image.digest()),
            digest: image.digest().clone(),
            tag: tag.to_owned(),
            uploaded: Vec::new(),
            skipped: Vec::new(),
            bytes_uploaded: 0,
            manifest_uploaded: false,
        };
        let count = image.layers.len();
        let labels = (1..=count)
            .map(|i| format!("layer {i}/{count}"))
            .chain(std::iter::once("config".to_owned()));
        for (blob, label) in image.blobs().zip(labels) {
            let size = human_size(blob.size());
            let short = blob.digest().short();
            if self.blob_exists(repository, blob.digest())? {
                eprintln!("push: {label} {short} ({size}) already in {target}");
                report.skipped.push(blob.digest().clone());
                continue;
            }
            eprintln!("push: {label} {short} ({size}) uploading …");
            let started = Instant::now();
            self.upload(repository, blob)?;
            let secs = started.elapsed().as_secs_f64();
            eprintln!(
                "push: {label} {short} ({size}) uploaded in {secs:.1} s ({}/s)",
                human_size((blob.size() as f64 / secs.max(1e-3)) as u64)
            );
            report.uploaded.push(blob.digest().clone());
            report.bytes_uploaded += blob.size();
        }
        if self.manifest_digest(repository, tag)?.as_ref() == Some(image.digest()) {
            eprintln!(
                "push: manifest {} already tagged {tag}",
                image.digest().short()
            );
        } else {
            self.put_manifest(repository, tag, &image.manifest)?;
            eprintln!("push: manifest {} tagged {tag}", image.digest().short());
            report.manifest_uploaded = true;
        }
        Ok(report)
    }

    /// The digest `<repository>:<reference>` names, or `None` if there is no such manifest.
    pub fn manifest_digest(&self, repository: &str, reference: &str) -> Result<Option<Digest>> {
        let url = format!("{}/v2/{repository}/manifests/{reference}", self.base);
        let accept = [spec::MEDIA_TYPE_MANIFEST, DOCKER_MANIFEST].join(", ");
        let mut resp = self.send("HEAD", &url, Some(("Accept", &accept)), None)?;
        match resp.status().as_u16() {
            200 => header(&resp, "docker-content-digest")
                .map(|d| Digest::parse(&d))
                .transpose(),
            404 => Ok(None),
            _ => Err(self.refused(
                &format!("reading manifest {repository}:{reference}"),
                &mut resp,
            )),
        }
    }

    /// `HEAD /v2/<repo>/blobs/<digest>`: 200 (or a redirect to storage) means present.
    pub fn blob_exists(&self, repository: &str, digest: &Digest) -> Result<bool> {
        let url = format!("{}/v2/{repository}/blobs/{digest}", self.base);
        let mut resp = self.send("HEAD", &url, None, None)?;
        match resp.status().as_u16() {
            200 | 307 | 302 => Ok(true),
            404 => Ok(false),
            _ => Err(self.refused(&format!("checking blob {}", digest.short()), &mut resp)),
        }
    }

    /// `POST` opens an upload session, one `PUT …&digest=` sends the whole blob.
    fn upload(&self, repository: &str, blob: &Blob) -> Result<()> {
        let url = format!("{}/v2/{repository}/blobs/uploads/", self.base);
        let mut resp = self.send("POST", &url, None, Some(&[]))?;
        if resp.status().as_u16() != 202 {
            return Err(self.refused(&format!("starting an upload to {repository}"), &mut resp));
        }
        let location = header(&resp, "location")
            .context("the registry opened an upload without a Location header")?;
        let location = if location.starts_with('/') {
            format!("{}{location}", self.base)
        } else {
            location
        };
        let separator = if location.contains('?') { '&' } else { '?' };
        let digest = blob.digest().to_string().replace(':', "%3A");
        let put_url = format!("{location}{separator}digest={digest}");
        let mut resp = self.send(
            "PUT",
            &put_url,
            Some(("Content-Type", "application/octet-stream")),
            Some(&blob.bytes),
        )?;
        if resp.status().as_u16() != 201 {
            return Err(self.refused(
                &format!("uploading blob {}", blob.digest().short()),
                &mut resp,
            ));
        }
        self.check_echoed_digest(&resp, blob.digest())
    }

    fn put_manifest(&self, repository: &str, tag: &str, manifest: &Blob) -> Result<()> {
        let url = format!("{}/v2/{repository}/manifests/{tag}", self.base);
        let mut resp = self.send(
            "PUT",
            &url,
            Some(("Content-Type", manifest.descriptor.media_type().as_ref())),
            Some(&manifest.bytes),
        )?;
        if resp.status().as_u16() != 201 {
            return Err(self.refused(
                &format!("tagging the manifest as {repository}:{tag}"),
                &mut resp,
            ));
        }
        self.check_echoed_digest(&resp, manifest.digest())
    }

    fn check_echoed_digest(&self, resp: &Response<Body>, expected: &Digest) -> Result<()> {
        match header(resp, "docker-content-digest") {
            Some(got) if got != expected.to_string() => bail!(
                "registry {} stored {got} where {expected} was sent: the upload was altered",
                self.host
            ),
            _ => Ok(()),
        }
    }

    fn send(
        &self,
        method: &str,
        url: &str,
        extra: Option<(&str, &str)>,
        body: Option<&[u8]>,
    ) -> Result<Response<Body>> {
        let request = ureq::http::Request::builder().method(method).uri(url);
        let request = match &self.auth {
            Some((_, value)) => request.header("Authorization", value),
            None => request,
        };
        let request = match extra {
            Some((name, value)) => request.header(name, value),
            None => request,
        };
        let result = match body {
            Some(bytes) => self.agent.run(request.body(bytes)?),
            None => self.agent.run(request.body(())?),
        };
        result.map_err(|e| {
            anyhow::anyhow!(
                "cannot reach the registry at {} ({e}): is it running, and is the address right?",
                self.base
            )
        })
    }

    fn unauthorized(&self, resp: &mut Response<Body>) -> anyhow::Error {
        let detail = error_detail(resp);
        match &self.auth {
            Some((user, _)) => anyhow::anyhow!(
                "registry {} rejected the credentials of `{user}` (401{detail}): {}",
                self.host,
                self.auth_fix
            ),
            None => anyhow::anyhow!(
                "registry {} requires credentials (401{detail}): pass --username and set \
                 REGISTRY_PASSWORD",
                self.host
            ),
        }
    }

    /// A failed step as one line: what we were doing, what the registry said, the fix.
    fn refused(&self, doing: &str, resp: &mut Response<Body>) -> anyhow::Error {
        match resp.status().as_u16() {
            401 => self.unauthorized(resp),
            403 => {
                let detail = error_detail(resp);
                anyhow::anyhow!(
                    "{doing} on {}: permission denied (403{detail}): the credentials need push \
                     rights (ECR: ecr:BatchCheckLayerAvailability, ecr:InitiateLayerUpload, \
                     ecr:UploadLayerPart, ecr:CompleteLayerUpload, ecr:PutImage)",
                    self.host
                )
            }
            404 => {
                let detail = error_detail(resp);
                anyhow::anyhow!(
                    "{doing} on {}: no such repository (404{detail}): on ECR `cargo xtask push` \
                     creates it; elsewhere create it first",
                    self.host
                )
            }
            _ => self.unexpected(doing, resp),
        }
    }

    fn unexpected(&self, doing: &str, resp: &mut Response<Body>) -> anyhow::Error {
        let status = resp.status().as_u16();
        let detail = error_detail(resp);
        anyhow::anyhow!(
            "{doing} on {}: the registry answered {status}{detail}",
            self.host
        )
    }
}

/// The Docker v2 schema 2 manifest type, accepted alongside OCI when reading tags.
const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";

fn header(resp: &Response<Body>, name: &str) -> Option<String> {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// `: CODE message; …` from a distribution error body, or the body's first line.
fn error_detail(resp: &mut Response<Body>) -> String {
    let mut text = String::new();
    let _ = resp
        .body_mut()
        .as_reader()
        .take(16 * 1024)
        .read_to_string(&mut text);
    let parsed: Option<serde_json::Value> = serde_json::from_str(&text).ok();
    let errors = parsed
        .as_ref()
        .and_then(|v| v["errors"].as_array())
        .map(|errors| {
            errors
                .iter()
                .map(|e| {
                    format!(
                        "{} {}",
                        e["code"].as_str().unwrap_or("?"),
                        e["message"].as_str().unwrap_or("")
                    )
                })
                .collect::<Vec<_>>()
                .join("; ")
        });
    match errors {
        Some(e) if !e.is_empty() => format!(": {}", e.trim()),
        _ => match text.lines().next().map(str::trim) {
            Some(line) if !line.is_empty() => format!(": {line}"),
            _ => String::new(),
        },
    }
}

/// Repository names as the distribution spec allows: lowercase path components of
/// `[a-z0-9]` joined by `.`, `_`, `__` or `-`.
fn check_repository(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.split('/').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'.' | b'_' | b'-'))
                && part.as_bytes()[0].is_ascii_alphanumeric()
                && part.as_bytes()[part.len() - 1].is_ascii_alphanumeric()
        });
    if !ok {
        bail!("repository name `{name}` is not valid: use lowercase letters, digits, `.`, `_`, `-` and `/`");
    }
    Ok(())
}

/// Tags: `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
fn check_tag(tag: &str) -> Result<()> {
    let ok = (1..=128).contains(&tag.len())
        && tag
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
        && !tag.starts_with(['.', '-']);
    if !ok {
        bail!("tag `{tag}` is not valid: up to 128 of letters, digits, `_`, `.`, `-` (not first)");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_needs_insecure() {
        let err = Registry::new("http://127.0.0.1:5000", None, false)
            .err()
            .unwrap();
        assert!(err.to_string().contains("--insecure"), "{err}");
        assert_eq!(
            Registry::new("http://127.0.0.1:5000/", None, true)
                .unwrap()
                .host(),
            "127.0.0.1:5000"
        );
        assert_eq!(
            Registry::new("127.0.0.1:5000", None, true).unwrap().base,
            "http://127.0.0.1:5000"
        );
        assert_eq!(
            Registry::new("r.example", None, false).unwrap().base,
            "https://r.example"
        );
    }

    #[test]
    fn urls_with_paths_or_other_schemes_are_refused() {
        assert!(Registry::new("https://r.example/v2/", None, false).is_err());
        assert!(Registry::new("ftp://r.example", None, false).is_err());
    }

    #[test]
    fn repository_names_and_tags_follow_the_distribution_spec() {
        assert!(check_repository("author-stats").is_ok());
        assert!(check_repository("team/author_stats.v2").is_ok());
        assert!(check_repository("Author").is_err());
        assert!(check_repository("a//b").is_err());
        assert!(check_repository("-a").is_err());
        assert!(check_tag("sha256-0123abcd").is_ok());
        assert!(check_tag("latest").is_ok());
        assert!(check_tag("-x").is_err());
        assert!(check_tag("a:b").is_err());
        assert!(check_tag(&"a".repeat(129)).is_err());
    }

    #[test]
    fn an_unreachable_registry_is_one_line_with_the_fix() {
        // Port 9 (discard) on localhost: nothing listens there.
        let registry = Registry::new("http://127.0.0.1:9", None, true).unwrap();
        let err = registry.check().unwrap_err().to_string();
        assert!(
            err.starts_with("cannot reach the registry at http://127.0.0.1:9"),
            "{err}"
        );
        assert!(err.contains("is it running"), "{err}");
        assert!(!err.contains('\n'), "{err}");
    }
}
