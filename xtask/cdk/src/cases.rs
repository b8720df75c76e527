//! The parameter values the CDK check synthesizes and cdk-nag inspects the app at: the
//! required ones alone (the defaults case), and every parameter changed with every optional
//! feature on. Shared by `check` (the synth comparison) and `nag` (which adds the `prod` stage).

use crate::resolve::Values;

/// A valid image reference pinned by digest, for the synth runs.
const IMAGE: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com/author-stats@sha256:\
                     0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/// Values for the parameters without a default (the first run uses only these).
pub const REQUIRED: [(&str, &str); 2] =
    [("SourceBucketName", "example-export"), ("ImageUri", IMAGE)];

/// A value different from the default for every other parameter; `AlarmEmail` turns the
/// `HasAlarmEmail` condition (alarm topic, alarm actions, topic output) on,
/// `PermissionsBoundaryArn` the roles' `HasPermissionsBoundary`, `AllowedOrigins` the CORS
/// configuration, `DomainName` with `CertificateArn` the custom domain, `ChartStyle` the
/// function's `CHART_STYLE`, `FanOut` the state machine and its role.
pub const EVERY_FEATURE: [(&str, &str); 18] = [
    ("PostsKey", "exports/posts.jsonl.gz"),
    ("AuthorsKey", "exports/authors.jsonl.gz"),
    ("ScheduleExpression", "rate(1 day)"),
    ("ScheduleTimeZone", "Europe/Berlin"),
    ("ChartTimeZone", "America/New_York"),
    ("ActiveDays", "30"),
    ("MemorySize", "2048"),
    ("Architecture", "arm64"),
    ("LogRetentionDays", "90"),
    ("AlarmEmail", "ops@example.com"),
    (
        "PermissionsBoundaryArn",
        "arn:aws:iam::123456789012:policy/author-stats-batch-dev-boundary",
    ),
    (
        "AllowedOrigins",
        "https://blog.example.com,https://www.example.com",
    ),
    ("DomainName", "charts.example.com"),
    (
        "CertificateArn",
        "arn:aws:acm:us-east-1:123456789012:certificate/01234567-89ab-cdef-0123-456789abcdef",
    ),
    ("ChartStyle", "locale = 'en'"),
    ("RejectedRecordsThreshold", "100"),
    ("FanOut", "true"),
    ("FanOutConcurrency", "8"),
];

/// The two synth runs: name and parameter values.
pub fn cases() -> Vec<(&'static str, Values)> {
    let values = |pairs: &[(&str, &str)]| -> Values {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    let mut every = REQUIRED.to_vec();
    every.extend(EVERY_FEATURE);
    vec![
        ("defaults", values(&REQUIRED)),
        ("every-feature", values(&every)),
    ]
}
