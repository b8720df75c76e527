//! Amazon CloudFront (`AWS::CloudFront::*`): an origin access control, a response headers
//! policy (CORS and security headers) and a distribution with one S3 origin reached through
//! it, optionally under a custom domain. Managed policies are referred to by their ids.

use serde::Serialize;

use super::{attributes, Choice, Expr, NoAttributes, Resource};

/// Managed cache policy `CachingOptimized`: no cookies, headers or query strings in the
/// cache key; gzip and brotli; honours the origin's `Cache-Control` (default TTL one day).
pub const CACHING_OPTIMIZED: &str = "658327ea-f89d-4fab-a63d-7e88639e58f6";

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

/// <https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-cloudfront-distribution-distributionconfig.html>
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DistributionConfig<'t> {
    /// Alternate domain names (CNAMEs); they need a certificate that covers them.
    pub aliases: Option<Choice<'t, Vec<Expr<'t>>>>,
    pub comment: Option<Expr<'t>>,
    pub default_cache_behavior: DefaultCacheBehavior<'t>,
    /// Object returned for `/`; may be a path (`folder/index.json`), without a leading `/`.
    pub default_root_object: Option<String>,
    pub enabled: bool,
    pub http_version: HttpVersion,
    #[serde(rename = "IPV6Enabled")]
    pub ipv6_enabled: bool,
    pub origins: Vec<Origin<'t>>,
    pub viewer_certificate: Choice<'t, ViewerCertificate<'t>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DefaultCacheBehavior<'t> {
    pub allowed_methods: Vec<Method>,
    pub cache_policy_id: &'static str,
    pub cached_methods: Vec<Method>,
    pub compress: bool,
    pub response_headers_policy_id: Option<Expr<'t>>,
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

/// <https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-cloudfront-distribution-viewercertificate.html>
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum ViewerCertificate<'t> {
    /// The `*.cloudfront.net` certificate (no custom domain).
    Default(DefaultCertificate),
    /// An ACM certificate (in us-east-1) for the aliases, served by SNI.
    Acm(AcmCertificate<'t>),
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DefaultCertificate {
    pub cloud_front_default_certificate: bool,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AcmCertificate<'t> {
    pub acm_certificate_arn: Expr<'t>,
    pub minimum_protocol_version: MinimumProtocolVersion,
    pub ssl_support_method: SslSupportMethod,
}

#[derive(Clone, Copy, Debug, Serialize)]
pub enum MinimumProtocolVersion {
    /// TLS 1.2 or later with the ciphers of CloudFront's 2021 policy.
    #[serde(rename = "TLSv1.2_2021")]
    TlsV12_2021,
}

#[derive(Clone, Copy, Debug, Serialize)]
pub enum SslSupportMethod {
    #[serde(rename = "sni-only")]
    SniOnly,
}

/// `AWS::CloudFront::ResponseHeadersPolicy`. `Ref` returns the policy id.
/// <https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-cloudfront-responseheaderspolicy.html>
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ResponseHeadersPolicy<'t> {
    pub response_headers_policy_config: ResponseHeadersPolicyConfig<'t>,
}

impl<'t> Resource<'t> for ResponseHeadersPolicy<'t> {
    const TYPE: &'static str = "AWS::CloudFront::ResponseHeadersPolicy";
    type Attr = NoAttributes;
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ResponseHeadersPolicyConfig<'t> {
    pub comment: Option<String>,
    pub cors_config: Option<Choice<'t, CorsConfig<'t>>>,
    /// Unique in the account, at most 128 characters.
    pub name: Expr<'t>,
    pub security_headers_config: SecurityHeadersConfig,
}

/// What CloudFront answers a cross-origin request with (it also answers preflights).
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CorsConfig<'t> {
    pub access_control_allow_credentials: bool,
    pub access_control_allow_headers: Items<Vec<Expr<'t>>>,
    pub access_control_allow_methods: Items<Vec<Method>>,
    /// A list-valued expression (the origins parameter split at its commas).
    pub access_control_allow_origins: Items<Expr<'t>>,
    pub access_control_max_age_sec: u32,
    /// Replace CORS headers the origin sent (S3 sends none here).
    pub origin_override: bool,
}

/// `{Items: …}`; `T` is one value (a list-valued expression) or a list.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Items<T> {
    pub items: T,
}

/// The headers of the managed `SecurityHeadersPolicy`, set by the policy itself.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SecurityHeadersConfig {
    pub content_type_options: Override,
    pub frame_options: FrameOptions,
    pub referrer_policy: ReferrerPolicy,
    pub strict_transport_security: StrictTransportSecurity,
    #[serde(rename = "XSSProtection")]
    pub xss_protection: XssProtection,
}

/// `X-Content-Type-Options: nosniff`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Override {
    #[serde(rename = "Override")]
    pub override_origin: bool,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct FrameOptions {
    pub frame_option: FrameOption,
    #[serde(rename = "Override")]
    pub override_origin: bool,
}

#[derive(Clone, Copy, Debug, Serialize)]
pub enum FrameOption {
    #[serde(rename = "SAMEORIGIN")]
    SameOrigin,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReferrerPolicy {
    #[serde(rename = "Override")]
    pub override_origin: bool,
    pub referrer_policy: ReferrerPolicyValue,
}

#[derive(Clone, Copy, Debug, Serialize)]
pub enum ReferrerPolicyValue {
    #[serde(rename = "strict-origin-when-cross-origin")]
    StrictOriginWhenCrossOrigin,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct StrictTransportSecurity {
    pub access_control_max_age_sec: u32,
    pub include_subdomains: bool,
    #[serde(rename = "Override")]
    pub override_origin: bool,
    pub preload: bool,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct XssProtection {
    pub mode_block: bool,
    #[serde(rename = "Override")]
    pub override_origin: bool,
    pub protection: bool,
}
