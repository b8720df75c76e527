//! Amazon S3 (`AWS::S3::*`): a bucket with encryption, public access block, ownership,
//! versioning and lifecycle; and a bucket policy.

use serde::Serialize;

use super::iam::PolicyDocument;
use super::{attributes, Expr, NoAttributes, Resource};

attributes!(
    /// `Fn::GetAtt` attributes of `AWS::S3::Bucket`.
    BucketAttr { Arn, DomainName, RegionalDomainName }
);

/// `AWS::S3::Bucket`. `Ref` returns the bucket name.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Bucket {
    pub bucket_encryption: Option<BucketEncryption>,
    pub lifecycle_configuration: Option<LifecycleConfiguration>,
    pub ownership_controls: Option<OwnershipControls>,
    pub public_access_block_configuration: Option<PublicAccessBlockConfiguration>,
    pub versioning_configuration: Option<VersioningConfiguration>,
}

impl Resource<'_> for Bucket {
    const TYPE: &'static str = "AWS::S3::Bucket";
    type Attr = BucketAttr;
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct BucketEncryption {
    pub server_side_encryption_configuration: Vec<ServerSideEncryptionRule>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ServerSideEncryptionRule {
    pub bucket_key_enabled: Option<bool>,
    pub server_side_encryption_by_default: ServerSideEncryptionByDefault,
}

#[derive(Debug, Serialize)]
pub struct ServerSideEncryptionByDefault {
    #[serde(rename = "SSEAlgorithm")]
    pub sse_algorithm: SseAlgorithm,
}

#[derive(Clone, Copy, Debug, Serialize)]
pub enum SseAlgorithm {
    /// SSE-S3: keys managed by S3.
    #[serde(rename = "AES256")]
    Aes256,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LifecycleConfiguration {
    pub rules: Vec<LifecycleRule>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LifecycleRule {
    pub abort_incomplete_multipart_upload: Option<AbortIncompleteMultipartUpload>,
    /// Current versions expire this many days after they were written.
    pub expiration_in_days: Option<u32>,
    pub id: String,
    pub noncurrent_version_expiration: Option<NoncurrentVersionExpiration>,
    /// The rule applies to keys under this prefix only.
    pub prefix: Option<String>,
    pub status: Status,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AbortIncompleteMultipartUpload {
    pub days_after_initiation: u32,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct NoncurrentVersionExpiration {
    pub noncurrent_days: u32,
}

/// `Status` of a lifecycle rule or of versioning.
#[derive(Clone, Copy, Debug, Serialize)]
pub enum Status {
    Enabled,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct OwnershipControls {
    pub rules: Vec<OwnershipControlsRule>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct OwnershipControlsRule {
    pub object_ownership: ObjectOwnership,
}

#[derive(Clone, Copy, Debug, Serialize)]
pub enum ObjectOwnership {
    /// ACLs disabled; the bucket owner owns every object.
    BucketOwnerEnforced,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PublicAccessBlockConfiguration {
    pub block_public_acls: bool,
    pub block_public_policy: bool,
    pub ignore_public_acls: bool,
    pub restrict_public_buckets: bool,
}

impl PublicAccessBlockConfiguration {
    /// All four switches on.
    pub fn all_blocked() -> Self {
        PublicAccessBlockConfiguration {
            block_public_acls: true,
            block_public_policy: true,
            ignore_public_acls: true,
            restrict_public_buckets: true,
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct VersioningConfiguration {
    pub status: Status,
}

/// `AWS::S3::BucketPolicy`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct BucketPolicy<'t> {
    pub bucket: Expr<'t>,
    pub policy_document: PolicyDocument<'t>,
}

impl<'t> Resource<'t> for BucketPolicy<'t> {
    const TYPE: &'static str = "AWS::S3::BucketPolicy";
    type Attr = NoAttributes;
}
