//! What each parameter of the main stack accepts: its description, default and constraint
//! (the names are [`params`](super::params); `Params::declare` declares them in order).

use contract::{defaults, files};
use xtask_cfn::Parameter;

use super::{params, CHART_STYLE_MAX_LENGTH, FAN_OUT_CONCURRENCY, REJECTED_RECORDS_THRESHOLD};

/// S3 keys that are plain paths: IAM would read `*` or `?` in a key as a wildcard.
const KEY_PATTERN: &str = r"^[A-Za-z0-9!_.'()-][A-Za-z0-9!_.'()/-]*$";
const KEY_CONSTRAINT: &str =
    "an S3 key of letters, digits and ! _ . ' ( ) - / (no wildcards, no leading /)";

/// Empty, `*`, or `scheme://host[:port]` origins separated by commas.
const ORIGINS_PATTERN: &str =
    r"^$|^\*$|^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(,https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?)*$";

const TIME_ZONE_PATTERN: &str = r"^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$";

/// The values CloudWatch Logs accepts for `RetentionInDays`.
const LOG_RETENTION_VALUES: [u32; 22] = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

/// The definition of the parameter `name` (one of [`params`]).
pub(super) fn definition(name: &str) -> Parameter {
    match name {
        params::SOURCE_BUCKET => {
            Parameter::string("Existing bucket that holds the daily export (read only)")
                .allowed_pattern(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
                .constraint_description("an S3 bucket name")
        }
        params::POSTS_KEY => {
            Parameter::string("Key of the posts export (gzip JSONL) in the source bucket")
                .default(format!("{}{}", files::EXPORT_PREFIX, files::POSTS_FILE))
                .allowed_pattern(KEY_PATTERN)
                .constraint_description(KEY_CONSTRAINT)
        }
        params::AUTHORS_KEY => {
            Parameter::string("Key of the author master (gzip JSONL) in the source bucket")
                .default(format!("{}{}", files::EXPORT_PREFIX, files::AUTHORS_FILE))
                .allowed_pattern(KEY_PATTERN)
                .constraint_description(KEY_CONSTRAINT)
        }
        params::IMAGE_URI => Parameter::string(
            "Container image of the job, pinned by digest (repository@sha256:…) so \
                 that every new image changes the template and redeploys the function",
        )
        .allowed_pattern(r"^[^\s@]+@sha256:[0-9a-f]{64}$")
        .constraint_description(
            "an image reference pinned by digest: <repository>@sha256:<64 hex>",
        ),
        params::SCHEDULE_EXPRESSION => {
            Parameter::string("When the job runs (EventBridge Scheduler expression)")
                .default("cron(45 17 * * ? *)")
                .allowed_pattern(r"^(cron|rate|at)\(.+\)$")
                .constraint_description("cron(…), rate(…) or at(…)")
        }
        params::SCHEDULE_TIME_ZONE => {
            Parameter::string("IANA time zone of the schedule expression")
                .default("UTC")
                .allowed_pattern(TIME_ZONE_PATTERN)
        }
        params::CHART_TIME_ZONE => {
            Parameter::string("IANA time zone whose calendar months the charts count")
                .default(defaults::TIME_ZONE)
                .allowed_pattern(TIME_ZONE_PATTERN)
        }
        params::ACTIVE_DAYS => {
            Parameter::number("Authors with a post in this many days get a chart")
                .default(defaults::ACTIVE_DAYS)
                .range(1, i64::from(defaults::BACKFILL_DAYS))
        }
        params::MEMORY_SIZE => {
            Parameter::number("Memory of the function in MB (CPU grows with it)")
                .default(1024)
                .range(128, 10240)
        }
        params::ARCHITECTURE => Parameter::string("Instruction set of the image")
            .default("x86_64")
            .allowed_values(["x86_64", "arm64"]),
        params::LOG_RETENTION_DAYS => Parameter::number("Days the function's logs are kept")
            .default(365)
            .allowed_values(LOG_RETENTION_VALUES),
        params::ALARM_EMAIL => Parameter::string("E-mail for alarm notices; empty for none")
            .default("")
            .allowed_pattern(r"^$|^[^@\s]+@[^@\s]+\.[^@\s]+$")
            .constraint_description("empty, or one e-mail address"),
        params::PERMISSIONS_BOUNDARY => Parameter::string(
            "Managed policy that caps the stack's roles (the stage's bootstrap stack \
                 makes it, and its service role creates roles only with it); empty for none",
        )
        .default("")
        .allowed_pattern(r"^$|^arn:aws[a-z-]*:iam::[0-9]{12}:policy/[A-Za-z0-9+=,.@_/-]+$")
        .constraint_description("empty, or the ARN of a managed IAM policy"),
        params::ALLOWED_ORIGINS => {
            // A String split at its commas, not a CommaDelimitedList: the CDK export
            // (cdk-from-cfn) cannot read a condition on a list parameter.
            Parameter::string(
                "Origins whose pages may fetch the charts and JSON with CORS (GET, HEAD), \
                 comma-separated, e.g. https://blog.example.com; * for any; empty: no CORS \
                 headers (images still embed with <img>)",
            )
            .default("")
            .allowed_pattern(ORIGINS_PATTERN)
            .constraint_description(
                "empty, *, or origins like https://blog.example.com (scheme, host, optional \
                 port; no path or trailing slash), separated by commas",
            )
        }
        params::DOMAIN_NAME => Parameter::string(
            "Custom domain of the charts (an alias of the distribution; point its DNS \
                 at the distribution); empty: the *.cloudfront.net name",
        )
        .default("")
        .allowed_pattern(r"^$|^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
        .constraint_description("empty, or a lower-case host name like charts.example.com"),
        params::CERTIFICATE_ARN => Parameter::string(
            "ACM certificate in us-east-1 that covers DomainName (needed with it)",
        )
        .default("")
        .allowed_pattern(r"^$|^arn:aws[a-z-]*:acm:us-east-1:[0-9]{12}:certificate/[0-9a-f-]{36}$")
        .constraint_description("empty, or the ARN of an ACM certificate in us-east-1"),
        params::CHART_STYLE => Parameter::string(
            "The chart style's TOML text (spec/chart-style.md), set as CHART_STYLE; \
                 empty: the built-in style. Lambda allows 4 KB for all variables together",
        )
        .default("")
        .max_length(CHART_STYLE_MAX_LENGTH),
        params::REJECTED_RECORDS_THRESHOLD => Parameter::number(
            "Alarm when one run rejects more bad records than this (malformed lines, \
                 bad timestamps, unknown authors …; drafts do not count)",
        )
        .default(REJECTED_RECORDS_THRESHOLD)
        .range(0, 1_000_000_000),
        params::FAN_OUT => Parameter::string(
            "true: the schedules start a Step Functions state machine that runs the job \
                 as count, render of every batch in parallel (Distributed Map) and finish \
                 (spec/scale.md says from which size); false: one invocation per run",
        )
        .default("false")
        .allowed_values(["false", "true"]),
        params::FAN_OUT_CONCURRENCY => Parameter::number(
            "With FanOut=true: the most render steps at once (each is one invocation \
                 of the function; keep it under the account's Lambda concurrency)",
        )
        .default(FAN_OUT_CONCURRENCY)
        .range(1, 1000),
        other => unreachable!("{other} is not a parameter of the main stack"),
    }
}
