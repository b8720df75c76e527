//! Amazon CloudFront (`AWS::CloudFront::*`): an origin access control and a distribution
//! with one S3 origin reached through it. Managed policies are referred to by their ids.

use serde::Serialize;

use super::{attributes, Expr, Resource};

/// Managed cache policy `CachingOptimized`: no cookies, headers or query strings in the
/// cache key; gzip and brotli; honours the origin's `Cache-Control` (default TTL one day).
pub const CACHING_OPTIMIZED: &str = "658327ea-f89d-4fab-a63d-7e88639e58f6";
/// Managed response headers policy `SecurityHeadersPolicy`: HSTS, nosniff, frame options,
/// referrer policy, XSS protection.
pub const SECURITY_HEADERS: &str = "67f7725c-6f97-4210-82d7-5512b31e9d03";

attributes!(
    /// `Fn::GetAtt` attributes of `AWS::CloudFront::OriginAccessControl`.
    OriginAccessControlAttr { Id }
);

/// `AWS::CloudFront::OriginAccessControl`: CloudFront signs its origin requests (SigV4).
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct OriginAccessControl<'t> {
    pub origin_access_control_config: OriginAccessControlConfig<'t>,
}

impl<'t> Resource<'t> for OriginAccessControl<'t> {
    const TYPE: &'static str = "AWS::CloudFront::OriginAccessControl";
    type Attr = OriginAccessControlAttr;
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct OriginAccessControlConfig<'t> {
    pub description: Option<String>,
    /// Unique in the account, at most 64 characters.
    pub name: Expr<'t>,
    pub origin_access_control_origin_type: OriginType,
    pub signing_behavior: SigningBehavior,
    pub signing_protocol: SigningProtocol,
}

#[derive(Clone, Copy, Debug, Serialize)]
pub enum OriginType {
    #[serde(rename = "s3")]
    S3,
}

#[derive(Clone, Copy, Debug, Serialize)]
pub enum SigningBehavior {
    /// Sign every origin request.
    #[serde(rename = "always")]
    Always,
}

#[derive(Clone, Copy, Debug, Serialize)]
pub enum SigningProtocol {
    #[serde(rename = "sigv4")]
    SigV4,
}

attributes!(
    /// `Fn::GetAtt` attributes of `AWS::CloudFront::Distribution`.
    DistributionAttr { DomainName, Id }
);

/// `AWS::CloudFront::Distribution`. `Ref` returns the distribution id.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Distribution<'t> {
    pub distribution_config: DistributionConfig<'t>,
}

impl<'t> Resource<'t> for Distribution<'t> {
    const TYPE: &'static str = "AWS::CloudFront::Distribution";
    type Attr = DistributionAttr;
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DistributionConfig<'t> {
    pub comment: Option<Expr<'t>>,
    pub default_cache_behavior: DefaultCacheBehavior,
    /// Object returned for `/`; may be a path (`folder/index.json`), without a leading `/`.
    pub default_root_object: Option<String>,
    pub enabled: bool,
    pub http_version: HttpVersion,
    #[serde(rename = "IPV6Enabled")]
    pub ipv6_enabled: bool,
    pub origins: Vec<Origin<'t>>,
    pub viewer_certificate: ViewerCertificate,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DefaultCacheBehavior {
    pub allowed_methods: Vec<Method>,
    pub cache_policy_id: &'static str,
    pub cached_methods: Vec<Method>,
    pub compress: bool,
    pub response_headers_policy_id: Option<&'static str>,
    pub target_origin_id: String,
    pub viewer_protocol_policy: ViewerProtocolPolicy,
}

#[derive(Clone, Copy, Debug, Serialize)]
pub enum Method {
    #[serde(rename = "GET")]
    Get,
    #[serde(rename = "HEAD")]
    Head,
}

#[derive(Clone, Copy, Debug, Serialize)]
pub enum ViewerProtocolPolicy {
    #[serde(rename = "redirect-to-https")]
    RedirectToHttps,
}

#[derive(Clone, Copy, Debug, Serialize)]
pub enum HttpVersion {
    #[serde(rename = "http2and3")]
    Http2And3,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Origin<'t> {
    pub domain_name: Expr<'t>,
    pub id: String,
    pub origin_access_control_id: Option<Expr<'t>>,
    /// With an origin access control the legacy identity stays empty.
    pub s3_origin_config: Option<S3OriginConfig>,
}

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct S3OriginConfig {
    pub origin_access_identity: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ViewerCertificate {
    /// The `*.cloudfront.net` certificate (no custom domain).
    pub cloud_front_default_certificate: bool,
}
