//! The production stack of author-stats-batch, written with the `cfn` model: the charts
//! bucket and its policy, the job's role, log group and image function (with its async
//! retries and failure destination), the daily schedule with its role and dead-letter
//! queue, CloudFront in front of the bucket (CORS, security headers, optional
//! custom domain), alarms, the stage's dashboard (`dashboard.rs`), and under `FanOut=true`
//! the fan-out's state machine (`fan_out.rs`).
//! `spec/batch-setup.md` explains each resource; `cargo xtask synth` writes the template.
//! Names shared with the job (environment variables, the charts prefix) come from `author_stats::env`.

use std::collections::BTreeMap;

use contract::{defaults, env, files};

use xtask_cfn::cloudfront::{
    self, Distribution, DistributionAttr, OriginAccessControl, ResponseHeadersPolicy,
};
use xtask_cfn::cloudwatch::Dashboard;
use xtask_cfn::iam::{Effect, Policy, PolicyDocument, Principal, Role, RoleAttr, Statement};
use xtask_cfn::lambda::{self, EventInvokeConfig, Function, FunctionAttr};
use xtask_cfn::logs::{LogGroup, LogGroupAttr};
use xtask_cfn::s3::{self, Bucket, BucketAttr, BucketPolicy};
use xtask_cfn::scheduler::{self, Schedule};
use xtask_cfn::sns::Topic;
use xtask_cfn::sqs::{Queue, QueueAttr, QueuePolicy};
use xtask_cfn::stepfunctions::StateMachine;
use xtask_cfn::sub;
use xtask_cfn::{
    Builder, CheckovSkip, Choice, Cond, Condition, DeletionPolicy, Expr, Handle,
    NagAcknowledgement, Ordered, Output, Param, Pseudo, ResourceOptions, Template,
};

mod alarms;
pub mod dashboard;
mod fan_out;
mod parameters;
pub mod state_machine;

pub use fan_out::LOG_DELIVERY_ACTIONS;

pub const DESCRIPTION: &str = "author-stats-batch: a daily Lambda job that draws one monthly \
     post chart per active author from the blog export and publishes them through CloudFront";

/// The Lambda maximum: a run must never be cut short by the platform before the job's own checks.
pub const TIMEOUT_SECONDS: u32 = 900;
/// Hours without a successful run after which the heartbeat alarm fires (a daily job, plus
/// slack; `cargo xtask status` uses the same figure).
pub const HEARTBEAT_HOURS: u32 = 26;
/// Failed events stay this long in the dead-letter queue (the SQS maximum, 14 days).
pub const DEAD_LETTER_RETENTION_SECONDS: u32 = 1_209_600;
/// Older versions of a chart are kept this long after being replaced.
pub const NONCURRENT_VERSION_DAYS: u32 = 30;
/// The event of the daily schedule: the window `changed` (data-spec §6), which redraws
/// exactly the charts whose data, style or renderer changed — every chart on the first run
/// of a month — so no monthly run over every author is needed.
pub const DAILY_EVENT: &str = "{\"changed\": true, \"trigger\": \"schedule\"}";
/// Retries of a failed asynchronous run: one, for a transient S3 or network failure; bad
/// data or configuration would fail again, and every attempt may take the full timeout.
pub const ASYNC_RETRY_ATTEMPTS: u32 = 1;
/// How long an asynchronous event may wait (throttled behind a running run, or between
/// retries) before it goes to the failure destination: 3 hours, well before the next day's run.
pub const ASYNC_EVENT_AGE_SECONDS: u32 = 10_800;
/// How long browsers may cache a CORS preflight answer.
pub const CORS_MAX_AGE_SECONDS: u32 = 86_400;
/// `Strict-Transport-Security: max-age` (a year, as the managed `SecurityHeadersPolicy`).
pub const HSTS_MAX_AGE_SECONDS: u32 = 31_536_000;
/// The default of `RejectedRecordsThreshold`: a run that rejects more bad records than this
/// alarms (a stray record does not page; a broken export or a changed format does).
pub const REJECTED_RECORDS_THRESHOLD: u32 = 10;
/// The default of `FanOutConcurrency`: render steps at once (spec/scale.md).
pub const FAN_OUT_CONCURRENCY: u32 = 40;
/// Days a fan-out run's working files may stay under `author-stats-runs/` (a finished run
/// deletes its own; an abandoned one expires).
pub const RUN_FILES_DAYS: u32 = 7;
/// The most characters `ChartStyle` may hold (Lambda allows 4 KB for all variables).
pub const CHART_STYLE_MAX_LENGTH: u32 = 4096;

/// Reasons for the findings of the static checkers (checkov, cdk-nag) that do not fit the
/// stack; spec/batch-setup.md gives each (a test checks that it does, word for word).
pub mod reasons {
    pub const NO_BUCKET_ACCESS_LOGS: &str = "Charts are public derivatives read through CloudFront; server access logs would need a second, unlogged bucket";
    pub const NO_WAF: &str = "Static, public, read-only charts behind a managed cache policy; a WAF web ACL costs more than it protects";
    pub const NO_CDN_ACCESS_LOGS: &str = "Access logs of public charts are not needed; CloudFront metrics remain; logging would need an ACL-enabled bucket";
    pub const NO_GEO_RESTRICTION: &str =
        "Public charts for blog readers anywhere: no country is to be kept out";
    pub const DEFAULT_CERTIFICATE: &str = "Without DomainName and CertificateArn the default *.cloudfront.net certificate serves, whose TLS policy CloudFront fixes (it accepts TLSv1); deploy warns a production stage of it, and a custom domain gets TLSv1.2_2021";
    pub const IS_THE_DEAD_LETTER_QUEUE: &str = "It is the dead-letter queue: undeliverable scheduled events and failed runs (the on-failure destination of JobEventInvokeConfig) end here";
    pub const TOPIC_KEY: &str = "Alarm notices only; CloudWatch cannot publish to a topic under the AWS-managed SNS key, and a customer key adds cost";
    pub const CHARTS_PREFIX_OBJECTS: &str = "Object permissions under the charts prefix: the job writes, refreshes and removes a set of files per author, named from the data";
    pub const RUN_FILES_OBJECTS: &str =
        "Object permissions under the fan-out's working files, named per run and batch";
    pub const NO_XRAY: &str = "A daily batch of three steps: its execution history and logs show each step's time and error; X-Ray traces would add cost and nothing to act on";
    pub const OWN_EXECUTIONS: &str =
        "The machine's own executions (the map's child executions), named by Step Functions per run";
    pub const LOG_DELIVERY: &str =
        "CloudWatch Logs' log delivery, which the machine's logging needs, takes no resource";
}

/// Parameter names, for deploy (overrides) and tests.
pub mod params {
    pub const SOURCE_BUCKET: &str = "SourceBucketName";
    pub const POSTS_KEY: &str = "PostsKey";
    pub const AUTHORS_KEY: &str = "AuthorsKey";
    pub const IMAGE_URI: &str = "ImageUri";
    pub const SCHEDULE_EXPRESSION: &str = "ScheduleExpression";
    pub const SCHEDULE_TIME_ZONE: &str = "ScheduleTimeZone";
    pub const CHART_TIME_ZONE: &str = "ChartTimeZone";
    pub const ACTIVE_DAYS: &str = "ActiveDays";
    pub const MEMORY_SIZE: &str = "MemorySize";
    pub const ARCHITECTURE: &str = "Architecture";
    pub const LOG_RETENTION_DAYS: &str = "LogRetentionDays";
    pub const ALARM_EMAIL: &str = "AlarmEmail";
    pub const PERMISSIONS_BOUNDARY: &str = "PermissionsBoundaryArn";
    pub const ALLOWED_ORIGINS: &str = "AllowedOrigins";
    pub const DOMAIN_NAME: &str = "DomainName";
    pub const CERTIFICATE_ARN: &str = "CertificateArn";
    pub const CHART_STYLE: &str = "ChartStyle";
    pub const REJECTED_RECORDS_THRESHOLD: &str = "RejectedRecordsThreshold";
    pub const FAN_OUT: &str = "FanOut";
    pub const FAN_OUT_CONCURRENCY: &str = "FanOutConcurrency";
}

/// Logical ids of the resources, for deploy, teardown and tests.
pub mod ids {
    pub const CHARTS_BUCKET: &str = "ChartsBucket";
    pub const CHARTS_BUCKET_POLICY: &str = "ChartsBucketPolicy";
    pub const JOB_ROLE: &str = "JobRole";
    pub const JOB_LOG_GROUP: &str = "JobLogGroup";
    pub const JOB_FUNCTION: &str = "JobFunction";
    pub const DEAD_LETTER_QUEUE: &str = "DeadLetterQueue";
    pub const DEAD_LETTER_QUEUE_POLICY: &str = "DeadLetterQueuePolicy";
    pub const SCHEDULER_ROLE: &str = "SchedulerRole";
    pub const DAILY_SCHEDULE: &str = "DailySchedule";
    pub const JOB_INVOKE_CONFIG: &str = "JobEventInvokeConfig";
    pub const ORIGIN_ACCESS_CONTROL: &str = "ChartsOriginAccessControl";
    pub const RESPONSE_HEADERS_POLICY: &str = "ChartsResponseHeadersPolicy";
    pub const DISTRIBUTION: &str = "ChartsDistribution";
    pub const ALARM_TOPIC: &str = "AlarmTopic";
    pub const ALARM_TOPIC_POLICY: &str = "AlarmTopicPolicy";
    pub const JOB_ERRORS_ALARM: &str = "JobErrorsAlarm";
    pub const DEAD_LETTER_ALARM: &str = "DeadLetterAlarm";
    pub const HEARTBEAT_ALARM: &str = "HeartbeatAlarm";
    pub const DURATION_ALARM: &str = "DurationAlarm";
    pub const THROTTLES_ALARM: &str = "ThrottlesAlarm";
    pub const REJECTED_RECORDS_ALARM: &str = "RejectedRecordsAlarm";
    pub const INVALIDATION_ALARM: &str = "InvalidationFailedAlarm";
    pub const HAS_ALARM_EMAIL: &str = "HasAlarmEmail";
    pub const HAS_PERMISSIONS_BOUNDARY: &str = "HasPermissionsBoundary";
    pub const HAS_ALLOWED_ORIGINS: &str = "HasAllowedOrigins";
    pub const HAS_CUSTOM_DOMAIN: &str = "HasCustomDomain";
    pub const HAS_CHART_STYLE: &str = "HasChartStyle";
    pub const FAN_OUT_ON: &str = "FanOutOn";
    pub const FAN_OUT_ROLE: &str = "FanOutRole";
    pub const STATE_MACHINE: &str = "FanOutStateMachine";
    pub const FAN_OUT_LOG_GROUP: &str = "FanOutLogGroup";
    pub const DASHBOARD: &str = "Dashboard";
}

/// Output names, for deploy, invoke, logs, teardown and the README.
pub mod outputs {
    pub const CHART_BASE_URL: &str = "ChartBaseUrl";
    pub const DISTRIBUTION_ID: &str = "DistributionId";
    pub const CHARTS_BUCKET: &str = "ChartsBucketName";
    pub const FUNCTION_NAME: &str = "FunctionName";
    pub const SCHEDULE_NAME: &str = "ScheduleName";
    pub const LOG_GROUP_NAME: &str = "LogGroupName";
    pub const DEAD_LETTER_QUEUE_URL: &str = "DeadLetterQueueUrl";
    pub const ALARM_TOPIC_ARN: &str = "AlarmTopicArn";
    /// Only with `FanOut=true`.
    pub const STATE_MACHINE_ARN: &str = "StateMachineArn";
    /// The console address of the stage's dashboard (`dashboard::console_url`).
    pub const DASHBOARD_URL: &str = "DashboardUrl";

    /// Outputs that are the `Ref` of one resource (its physical id), by logical id.
    pub const REF_OF: [(&str, &str); 4] = [
        (CHARTS_BUCKET, super::ids::CHARTS_BUCKET),
        (FUNCTION_NAME, super::ids::JOB_FUNCTION),
        (LOG_GROUP_NAME, super::ids::JOB_LOG_GROUP),
        (DEAD_LETTER_QUEUE_URL, super::ids::DEAD_LETTER_QUEUE),
    ];
}

/// Which resources a template holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Scope {
    /// The production stack: everything below.
    Full,
    /// The job's core only, from the same definitions: the charts bucket (no policy), the
    /// job's role, log group, image function and dead-letter queue. For local emulators
    /// (moto's CloudFormation has no bucket policy, schedule, CloudFront, event invoke
    /// configuration or alarm).
    Core,
}

/// The template of the production stack.
pub fn template() -> Template {
    template_for(Scope::Full)
}

/// The template of `scope`: same parameters, same resource definitions.
pub fn template_for(scope: Scope) -> Template {
    Template::build(DESCRIPTION, |t| define(t, scope))
}

/// The handles of all parameters.
struct Params<'t> {
    source_bucket: Param<'t>,
    posts_key: Param<'t>,
    authors_key: Param<'t>,
    image_uri: Param<'t>,
    schedule_expression: Param<'t>,
    schedule_time_zone: Param<'t>,
    chart_time_zone: Param<'t>,
    active_days: Param<'t>,
    memory_size: Param<'t>,
    architecture: Param<'t>,
    log_retention_days: Param<'t>,
    alarm_email: Param<'t>,
    permissions_boundary: Param<'t>,
    allowed_origins: Param<'t>,
    domain_name: Param<'t>,
    certificate_arn: Param<'t>,
    chart_style: Param<'t>,
    rejected_records_threshold: Param<'t>,
    fan_out: Param<'t>,
    fan_out_concurrency: Param<'t>,
}

impl<'t> Params<'t> {
    /// Every parameter, in the template's order ([`parameters::definition`] says what each
    /// accepts).
    fn declare(t: &mut Builder<'t>) -> Self {
        let mut declare = |name: &'static str| t.parameter(name, parameters::definition(name));
        Params {
            source_bucket: declare(params::SOURCE_BUCKET),
            posts_key: declare(params::POSTS_KEY),
            authors_key: declare(params::AUTHORS_KEY),
            image_uri: declare(params::IMAGE_URI),
            schedule_expression: declare(params::SCHEDULE_EXPRESSION),
            schedule_time_zone: declare(params::SCHEDULE_TIME_ZONE),
            chart_time_zone: declare(params::CHART_TIME_ZONE),
            active_days: declare(params::ACTIVE_DAYS),
            memory_size: declare(params::MEMORY_SIZE),
            architecture: declare(params::ARCHITECTURE),
            log_retention_days: declare(params::LOG_RETENTION_DAYS),
            alarm_email: declare(params::ALARM_EMAIL),
            permissions_boundary: declare(params::PERMISSIONS_BOUNDARY),
            allowed_origins: declare(params::ALLOWED_ORIGINS),
            domain_name: declare(params::DOMAIN_NAME),
            certificate_arn: declare(params::CERTIFICATE_ARN),
            chart_style: declare(params::CHART_STYLE),
            rejected_records_threshold: declare(params::REJECTED_RECORDS_THRESHOLD),
            fan_out: declare(params::FAN_OUT),
            fan_out_concurrency: declare(params::FAN_OUT_CONCURRENCY),
        }
    }
}

/// Where the stack's roles live (`/<stack name>/`): the stage's service role may create,
/// change and pass only roles under this path (`bootstrap.rs`), never the bootstrap's own.
pub fn role_path<'t>() -> Expr<'t> {
    sub!("/", Pseudo::StackName, "/")
}

/// What every role of the stack shares: its path and, when given, the permissions boundary.
struct RolePlacement<'t> {
    has_boundary: Condition<'t>,
    boundary: Param<'t>,
}

impl<'t> RolePlacement<'t> {
    fn place(&self, role: Role<'t>) -> Role<'t> {
        Role {
            path: Some(role_path()),
            permissions_boundary: Some(Expr::if_(
                self.has_boundary,
                self.boundary.reference(),
                Expr::no_value(),
            )),
            ..role
        }
    }
}

/// The conditions of the distribution's optional parts.
struct Delivery<'t> {
    /// `AllowedOrigins` is not empty: the response headers policy answers CORS requests.
    has_allowed_origins: Condition<'t>,
    /// `DomainName` and `CertificateArn` are given: aliases and the ACM certificate.
    has_custom_domain: Condition<'t>,
}

/// What the function refers to.
struct JobParts<'t> {
    role: Handle<'t, Role<'t>>,
    bucket: Handle<'t, Bucket>,
    log_group: Handle<'t, LogGroup<'t>>,
    /// The distribution whose paths the job invalidates (not in [`Scope::Core`]).
    distribution: Option<Handle<'t, Distribution<'t>>>,
    has_chart_style: Condition<'t>,
}

fn define(t: &mut Builder<'_>, scope: Scope) {
    let p = Params::declare(t);
    let placement = RolePlacement {
        has_boundary: t.condition(
            ids::HAS_PERMISSIONS_BOUNDARY,
            Cond::not(Cond::equals(p.permissions_boundary.reference(), "")),
        ),
        boundary: p.permissions_boundary,
    };
    let has_alarm_email = (scope == Scope::Full).then(|| {
        t.condition(
            ids::HAS_ALARM_EMAIL,
            Cond::not(Cond::equals(p.alarm_email.reference(), "")),
        )
    });
    let has_chart_style = t.condition(
        ids::HAS_CHART_STYLE,
        Cond::not(Cond::equals(p.chart_style.reference(), "")),
    );

    let bucket = charts_bucket(t);
    let log_group = job_log_group(t, &p);
    let dead_letters = dead_letter_queue(t);
    // The distribution comes before the job (whose role may invalidate it and whose
    // environment names it); it depends on the bucket only, so there is no cycle.
    let delivery = has_alarm_email.map(|_| Delivery::declare(t, &p));
    let distribution = delivery
        .as_ref()
        .map(|d| charts_distribution(t, &p, d, bucket));
    let role = t.add_with(
        ids::JOB_ROLE,
        placement.place(job_role(&p, bucket, log_group, dead_letters, distribution)),
        ResourceOptions {
            nag_acknowledgements: vec![
                NagAcknowledgement {
                    id: "AwsSolutions-IAM5[Resource::<ChartsBucket.Arn>/author-monthly-stats/*]",
                    reason: reasons::CHARTS_PREFIX_OBJECTS,
                },
                NagAcknowledgement {
                    id: "AwsSolutions-IAM5[Resource::<ChartsBucket.Arn>/author-stats-runs/*]",
                    reason: reasons::RUN_FILES_OBJECTS,
                },
            ],
            ..Default::default()
        },
    );
    let function = job_function(
        t,
        &p,
        JobParts {
            role,
            bucket,
            log_group,
            distribution,
            has_chart_style,
        },
    );
    let (Some(has_alarm_email), Some(delivery), Some(distribution)) =
        (has_alarm_email, delivery, distribution)
    else {
        core_outputs(t, bucket, function, log_group, dead_letters);
        return;
    };
    job_invoke_config(t, function, dead_letters);
    let fan_out_on = t.condition(ids::FAN_OUT_ON, Cond::equals(p.fan_out.reference(), "true"));
    let machine = fan_out::state_machine(
        t,
        &placement,
        fan_out::Settings {
            fan_out_on,
            concurrency: p.fan_out_concurrency,
            log_retention_days: p.log_retention_days,
        },
        function,
        bucket,
    );
    let schedule = schedule(t, &p, &placement, function, dead_letters, fan_out_on);
    t.add(
        ids::CHARTS_BUCKET_POLICY,
        charts_bucket_policy(bucket, distribution),
    );
    t.add(
        ids::DEAD_LETTER_QUEUE_POLICY,
        dead_letter_queue_policy(dead_letters),
    );
    let alarms = alarms::alarms(t, &p, has_alarm_email, function, dead_letters);
    let dashboard = dashboard::dashboard(
        t,
        &dashboard::Watched {
            function,
            dead_letters,
            alarms: alarms.all,
            rejected_records_threshold: p.rejected_records_threshold,
            machine,
            fan_out_on,
        },
    );

    full_outputs(
        t,
        &p,
        Published {
            bucket,
            function,
            log_group,
            dead_letters,
            distribution,
            has_custom_domain: delivery.has_custom_domain,
        },
        Scheduled {
            schedule,
            topic: alarms.topic,
            has_alarm_email,
            machine,
            fan_out_on,
            dashboard,
        },
    );
}

/// The queue of runs that failed or could not be delivered (asynchronous invocations).
fn dead_letter_queue<'t>(t: &mut Builder<'t>) -> Handle<'t, Queue> {
    t.add_with(
        ids::DEAD_LETTER_QUEUE,
        Queue {
            message_retention_period: Some(DEAD_LETTER_RETENTION_SECONDS),
            sqs_managed_sse_enabled: Some(true),
        },
        ResourceOptions {
            deletion_policy: Some(DeletionPolicy::Delete),
            update_replace_policy: Some(DeletionPolicy::Delete),
            checkov_skips: vec![CheckovSkip {
                id: "CKV_AWS_27",
                comment: "Encrypted at rest with SSE-SQS (SqsManagedSseEnabled); the check only recognises KmsMasterKeyId",
            }],
            nag_acknowledgements: vec![NagAcknowledgement {
                id: "AwsSolutions-SQS3",
                reason: reasons::IS_THE_DEAD_LETTER_QUEUE,
            }],
            ..Default::default()
        },
    )
}

/// Nobody may use the dead-letter queue without TLS (the services that send to it do).
fn dead_letter_queue_policy<'t>(dead_letters: Handle<'t, Queue>) -> QueuePolicy<'t> {
    QueuePolicy {
        policy_document: PolicyDocument::new(vec![Statement {
            sid: Some("DenyPlainHttp".into()),
            effect: Effect::Deny,
            principal: Some(Principal::Everyone),
            action: vec!["sqs:*"],
            resource: Some(vec![dead_letters.get_att(QueueAttr::Arn)]),
            condition: condition("Bool", "aws:SecureTransport", "false".into()),
        }]),
        queues: vec![dead_letters.reference()],
    }
}

impl<'t> Delivery<'t> {
    fn declare(t: &mut Builder<'t>, p: &Params<'t>) -> Delivery<'t> {
        Delivery {
            has_allowed_origins: t.condition(
                ids::HAS_ALLOWED_ORIGINS,
                Cond::not(Cond::equals(p.allowed_origins.reference(), "")),
            ),
            // Both parameters, or neither: the certificate's ARN is only read when it is given.
            has_custom_domain: t.condition(
                ids::HAS_CUSTOM_DOMAIN,
                Cond::and([
                    Cond::not(Cond::equals(p.domain_name.reference(), "")),
                    Cond::not(Cond::equals(p.certificate_arn.reference(), "")),
                ]),
            ),
        }
    }
}

/// Where the charts go and what makes them: the outputs' first half.
struct Published<'t> {
    bucket: Handle<'t, Bucket>,
    function: Handle<'t, Function<'t>>,
    log_group: Handle<'t, LogGroup<'t>>,
    dead_letters: Handle<'t, Queue>,
    distribution: Handle<'t, Distribution<'t>>,
    has_custom_domain: Condition<'t>,
}

/// What runs the job and watches it: the outputs' second half.
struct Scheduled<'t> {
    schedule: Handle<'t, Schedule<'t>>,
    topic: Handle<'t, Topic<'t>>,
    has_alarm_email: Condition<'t>,
    machine: Handle<'t, StateMachine<'t>>,
    fan_out_on: Condition<'t>,
    dashboard: Handle<'t, Dashboard<'t>>,
}

/// The outputs of [`Scope::Full`]: the base URL of the charts, the names every verb reads.
fn full_outputs<'t>(
    t: &mut Builder<'t>,
    p: &Params<'t>,
    published: Published<'t>,
    scheduled: Scheduled<'t>,
) {
    let charts_url = Expr::if_(
        published.has_custom_domain,
        sub!(
            "https://",
            p.domain_name.reference(),
            "/",
            files::DEFAULT_CHARTS_PREFIX,
        ),
        sub!(
            "https://",
            published.distribution.get_att(DistributionAttr::DomainName),
            "/",
            files::DEFAULT_CHARTS_PREFIX,
        ),
    );
    for (id, description, value) in [
        (
            outputs::CHART_BASE_URL,
            "Base URL of the charts: <ChartBaseUrl><slug>.png and <ChartBaseUrl>index.json",
            charts_url,
        ),
        (
            outputs::DISTRIBUTION_ID,
            "CloudFront distribution id (for invalidations)",
            published.distribution.reference(),
        ),
        (
            outputs::CHARTS_BUCKET,
            "Bucket the charts are published to",
            published.bucket.reference(),
        ),
        (
            outputs::FUNCTION_NAME,
            "The job's Lambda function",
            published.function.reference(),
        ),
        (
            outputs::SCHEDULE_NAME,
            "EventBridge Scheduler schedule that runs the job",
            scheduled.schedule.reference(),
        ),
    ] {
        t.output(id, Output::new(description, value).exported());
    }
    t.output(
        outputs::LOG_GROUP_NAME,
        Output::new("Log group of the job", published.log_group.reference()),
    );
    t.output(
        outputs::DEAD_LETTER_QUEUE_URL,
        Output::new(
            "Queue of runs that failed or could not be delivered",
            published.dead_letters.reference(),
        ),
    );
    t.output(
        outputs::ALARM_TOPIC_ARN,
        Output::new("SNS topic of the alarms", scheduled.topic.reference())
            .only_if(scheduled.has_alarm_email),
    );
    t.output(
        outputs::STATE_MACHINE_ARN,
        Output::new(
            "The fan-out's state machine, which the schedules start (FanOut=true)",
            scheduled.machine.reference(),
        )
        .only_if(scheduled.fan_out_on),
    );
    t.output(
        outputs::DASHBOARD_URL,
        Output::new(
            "CloudWatch dashboard of the stage: the job's runs, charts, errors, alarms",
            dashboard::console_url_expr(scheduled.dashboard),
        ),
    );
}

/// The outputs of [`Scope::Core`]: what deploy, invoke, logs and teardown read.
fn core_outputs<'t>(
    t: &mut Builder<'t>,
    bucket: Handle<'t, Bucket>,
    function: Handle<'t, Function<'t>>,
    log_group: Handle<'t, LogGroup<'t>>,
    dead_letters: Handle<'t, Queue>,
) {
    for (id, description, value) in [
        (
            outputs::CHARTS_BUCKET,
            "Bucket the charts are published to",
            bucket.reference(),
        ),
        (
            outputs::FUNCTION_NAME,
            "The job's Lambda function",
            function.reference(),
        ),
        (
            outputs::LOG_GROUP_NAME,
            "Log group of the job",
            log_group.reference(),
        ),
        (
            outputs::DEAD_LETTER_QUEUE_URL,
            "Queue of runs that failed or could not be delivered",
            dead_letters.reference(),
        ),
    ] {
        t.output(id, Output::new(description, value));
    }
}

/// Where the charts are published: private, encrypted, TLS only (in its policy), versioned
/// so a bad run can be rolled back, old versions expire.
fn charts_bucket<'t>(t: &mut Builder<'t>) -> Handle<'t, Bucket> {
    t.add_with(
        ids::CHARTS_BUCKET,
        Bucket {
            bucket_encryption: Some(s3::BucketEncryption {
                server_side_encryption_configuration: vec![s3::ServerSideEncryptionRule {
                    bucket_key_enabled: Some(true),
                    server_side_encryption_by_default: s3::ServerSideEncryptionByDefault {
                        sse_algorithm: s3::SseAlgorithm::Aes256,
                    },
                }],
            }),
            lifecycle_configuration: Some(s3::LifecycleConfiguration {
                rules: vec![
                    s3::LifecycleRule {
                        abort_incomplete_multipart_upload: Some(
                            s3::AbortIncompleteMultipartUpload {
                                days_after_initiation: 1,
                            },
                        ),
                        expiration_in_days: None,
                        id: "ExpireReplacedCharts".into(),
                        noncurrent_version_expiration: Some(s3::NoncurrentVersionExpiration {
                            noncurrent_days: NONCURRENT_VERSION_DAYS,
                        }),
                        prefix: None,
                        status: s3::Status::Enabled,
                    },
                    s3::LifecycleRule {
                        abort_incomplete_multipart_upload: None,
                        expiration_in_days: Some(RUN_FILES_DAYS),
                        id: "ExpireAbandonedRunFiles".into(),
                        noncurrent_version_expiration: Some(s3::NoncurrentVersionExpiration {
                            noncurrent_days: 1,
                        }),
                        prefix: Some(files::RUNS_PREFIX.into()),
                        status: s3::Status::Enabled,
                    },
                ],
            }),
            ownership_controls: Some(s3::OwnershipControls {
                rules: vec![s3::OwnershipControlsRule {
                    object_ownership: s3::ObjectOwnership::BucketOwnerEnforced,
                }],
            }),
            public_access_block_configuration: Some(
                s3::PublicAccessBlockConfiguration::all_blocked(),
            ),
            versioning_configuration: Some(s3::VersioningConfiguration {
                status: s3::Status::Enabled,
            }),
        },
        ResourceOptions {
            deletion_policy: Some(DeletionPolicy::Delete),
            update_replace_policy: Some(DeletionPolicy::Delete),
            checkov_skips: vec![CheckovSkip {
                id: "CKV_AWS_18",
                comment: reasons::NO_BUCKET_ACCESS_LOGS,
            }],
            nag_acknowledgements: vec![NagAcknowledgement {
                id: "AwsSolutions-S1",
                reason: reasons::NO_BUCKET_ACCESS_LOGS,
            }],
            ..Default::default()
        },
    )
}

fn job_log_group<'t>(t: &mut Builder<'t>, p: &Params<'t>) -> Handle<'t, LogGroup<'t>> {
    t.add_with(
        ids::JOB_LOG_GROUP,
        LogGroup {
            retention_in_days: p.log_retention_days.reference(),
        },
        ResourceOptions {
            deletion_policy: Some(DeletionPolicy::Delete),
            update_replace_policy: Some(DeletionPolicy::Delete),
            checkov_skips: vec![CheckovSkip {
                id: "CKV_AWS_158",
                comment: "Logs hold counts and object keys only; CloudWatch encrypts them at rest by default, a customer key adds cost and no protection",
            }],
            ..Default::default()
        },
    )
}

/// `arn:<partition>:s3:::<bucket>/<key>` of one source object.
fn source_object<'t>(p: &Params<'t>, key: Param<'t>) -> Expr<'t> {
    sub!(
        "arn:",
        Pseudo::Partition,
        ":s3:::",
        p.source_bucket.reference(),
        "/",
        key.reference(),
    )
}

/// `<bucket ARN>/author-monthly-stats/*`: the charts and their index.
fn charts_objects<'t>(bucket: Handle<'t, Bucket>) -> Expr<'t> {
    sub!(
        bucket.get_att(BucketAttr::Arn),
        "/",
        files::DEFAULT_CHARTS_PREFIX,
        "*"
    )
}

fn allow<'t>(sid: &str, action: Vec<&'static str>, resource: Vec<Expr<'t>>) -> Statement<'t> {
    Statement {
        sid: Some(sid.into()),
        effect: Effect::Allow,
        principal: None,
        action,
        resource: Some(resource),
        condition: None,
    }
}

fn condition<'t>(
    operator: &'static str,
    key: &'static str,
    value: Expr<'t>,
) -> Option<BTreeMap<&'static str, BTreeMap<&'static str, Expr<'t>>>> {
    Some(BTreeMap::from([(operator, BTreeMap::from([(key, value)]))]))
}

/// Trust policy: only `service` may assume the role, optionally only for this account.
fn trust<'t>(service: &'static str, same_account: bool) -> PolicyDocument<'t> {
    PolicyDocument::new(vec![Statement {
        sid: None,
        effect: Effect::Allow,
        principal: Some(Principal::Service(service)),
        action: vec!["sts:AssumeRole"],
        resource: None,
        condition: same_account
            .then(|| {
                condition(
                    "StringEquals",
                    "aws:SourceAccount",
                    Pseudo::AccountId.into(),
                )
            })
            .flatten(),
    }])
}

/// `arn:<partition>:cloudfront::<account>:distribution/<id>` of this stack's distribution.
fn distribution_arn<'t>(distribution: Handle<'t, Distribution<'t>>) -> Expr<'t> {
    sub!(
        "arn:",
        Pseudo::Partition,
        ":cloudfront::",
        Pseudo::AccountId,
        ":distribution/",
        distribution.reference(),
    )
}

/// The job's role: read the two export objects; list the charts bucket; read (the published
/// `index.json`, the source of a header refresh), write and delete (departed authors'
/// charts) under the charts prefix; write its own log group; send failed runs to the
/// dead-letter queue (the failure destination); invalidate this stack's distribution.
/// Nothing else.
fn job_role<'t>(
    p: &Params<'t>,
    bucket: Handle<'t, Bucket>,
    log_group: Handle<'t, LogGroup<'t>>,
    dead_letters: Handle<'t, Queue>,
    distribution: Option<Handle<'t, Distribution<'t>>>,
) -> Role<'t> {
    // Unconditioned: S3 answers a GET of a missing key (the first run's `index.json`) with
    // 404 only to a principal that may list the bucket, and a ListBucket limited by
    // `s3:prefix` does not count for a GET (no prefix in its context), so a first run would
    // get 403. The bucket holds only the charts, which the role may read anyway.
    let list_charts = allow(
        "ListChartsBucket",
        vec!["s3:ListBucket"],
        vec![bucket.get_att(BucketAttr::Arn)],
    );
    Role {
        assume_role_policy_document: trust("lambda.amazonaws.com", false),
        description: Some("author-stats job: reads the export, publishes the charts".into()),
        policies: vec![Policy {
            policy_name: "author-stats-job".into(),
            policy_document: PolicyDocument::new(
                vec![
                    allow(
                        "ReadExport",
                        vec!["s3:GetObject"],
                        vec![
                            source_object(p, p.posts_key),
                            source_object(p, p.authors_key),
                        ],
                    ),
                    list_charts,
                    allow(
                        "PublishCharts",
                        vec!["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                        vec![charts_objects(bucket)],
                    ),
                    allow(
                        "FanOutRunFiles",
                        vec!["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                        vec![sub!(
                            bucket.get_att(BucketAttr::Arn),
                            "/",
                            files::RUNS_PREFIX,
                            "*"
                        )],
                    ),
                    allow(
                        "WriteOwnLogs",
                        vec!["logs:CreateLogStream", "logs:PutLogEvents"],
                        vec![log_group.get_att(LogGroupAttr::Arn)],
                    ),
                    allow(
                        "SendFailedEvents",
                        vec!["sqs:SendMessage"],
                        vec![dead_letters.get_att(QueueAttr::Arn)],
                    ),
                ]
                .into_iter()
                .chain(distribution.map(|d| {
                    allow(
                        "InvalidateOwnCharts",
                        vec!["cloudfront:CreateInvalidation"],
                        vec![distribution_arn(d)],
                    )
                }))
                .collect(),
            ),
        }],
        ..Default::default()
    }
}

fn job_function<'t>(
    t: &mut Builder<'t>,
    p: &Params<'t>,
    parts: JobParts<'t>,
) -> Handle<'t, Function<'t>> {
    let JobParts {
        role,
        bucket,
        log_group,
        distribution,
        has_chart_style,
    } = parts;
    let mut variables = vec![
        (env::SOURCE_BUCKET, p.source_bucket.reference()),
        (env::POSTS_KEY, p.posts_key.reference()),
        (env::AUTHORS_KEY, p.authors_key.reference()),
        (env::CHARTS_BUCKET, bucket.reference()),
        (env::CHARTS_PREFIX, files::DEFAULT_CHARTS_PREFIX.into()),
        (env::CHART_TIME_ZONE, p.chart_time_zone.reference()),
        // Environment values are strings: the Number parameter goes in as text (a bare Ref
        // reaches moto's Lambda as a JSON number, which the SDK cannot read back).
        (env::ACTIVE_DAYS, sub!(p.active_days.reference())),
        (
            env::UPLOAD_CONCURRENCY,
            defaults::UPLOAD_CONCURRENCY.to_string().into(),
        ),
    ];
    if let Some(distribution) = distribution {
        variables.push((env::DISTRIBUTION_ID, distribution.reference()));
    }
    // CHART_STYLE only when given. The choice is between two whole maps rather than one
    // value and AWS::NoValue: the CDK export types every variable as a string.
    let mut styled = variables.clone();
    styled.push((env::CHART_STYLE, p.chart_style.reference()));
    let variables = Choice::either(has_chart_style, Ordered(styled), Ordered(variables));
    t.add_with(
        ids::JOB_FUNCTION,
        Function {
            architectures: vec![p.architecture.reference()],
            code: lambda::Code {
                image_uri: p.image_uri.reference(),
            },
            // Failed asynchronous runs go to the dead-letter queue through the event invoke
            // configuration's on-failure destination, whose record keeps the error.
            dead_letter_config: None,
            description: Some("author-stats: per-author monthly post charts".into()),
            environment: Some(lambda::Environment { variables }),
            logging_config: Some(lambda::LoggingConfig {
                log_format: lambda::LogFormat::Json,
                log_group: log_group.reference(),
            }),
            memory_size: p.memory_size.reference(),
            package_type: lambda::PackageType::Image,
            reserved_concurrent_executions: Some(1),
            role: role.get_att(RoleAttr::Arn),
            timeout: TIMEOUT_SECONDS,
        },
        ResourceOptions {
            checkov_skips: vec![
                CheckovSkip {
                    id: "CKV_AWS_117",
                    comment: "Reaches only S3 and CloudWatch Logs; a VPC would add NAT or endpoints and no protection",
                },
                CheckovSkip {
                    id: "CKV_AWS_173",
                    comment: "Environment holds bucket names, keys and settings, no secrets; Lambda encrypts it at rest with an AWS key",
                },
                CheckovSkip {
                    id: "CKV_AWS_116",
                    comment: "Failed runs reach the dead-letter queue through the EventInvokeConfig on-failure destination, which records the error; a DeadLetterConfig too would queue each failure twice",
                },
            ],
            ..Default::default()
        },
    )
}

/// Lambda's handling of asynchronous runs, explicit: one retry, three hours of age, then the
/// dead-letter queue, with a record that keeps the error (unlike a legacy DLQ message).
fn job_invoke_config<'t>(
    t: &mut Builder<'t>,
    function: Handle<'t, Function<'t>>,
    dead_letters: Handle<'t, Queue>,
) {
    t.add(
        ids::JOB_INVOKE_CONFIG,
        EventInvokeConfig {
            destination_config: Some(lambda::DestinationConfig {
                on_failure: Some(lambda::OnFailure {
                    destination: dead_letters.get_att(QueueAttr::Arn),
                }),
            }),
            function_name: function.reference(),
            maximum_event_age_in_seconds: ASYNC_EVENT_AGE_SECONDS,
            maximum_retry_attempts: ASYNC_RETRY_ATTEMPTS,
            qualifier: "$LATEST".into(),
        },
    );
}

/// Runs the job daily over the authors whose charts changed; events it cannot deliver,
/// after retries, go to the dead-letter queue.
fn schedule<'t>(
    t: &mut Builder<'t>,
    p: &Params<'t>,
    placement: &RolePlacement<'t>,
    function: Handle<'t, Function<'t>>,
    dead_letters: Handle<'t, Queue>,
    fan_out_on: Condition<'t>,
) -> Handle<'t, Schedule<'t>> {
    let role = t.add(
        ids::SCHEDULER_ROLE,
        placement.place(Role {
            assume_role_policy_document: trust("scheduler.amazonaws.com", true),
            description: Some("author-stats schedule: invokes the job".into()),
            policies: vec![Policy {
                policy_name: "author-stats-schedule".into(),
                policy_document: PolicyDocument::new(vec![
                    allow(
                        "InvokeJob",
                        vec!["lambda:InvokeFunction"],
                        vec![function.get_att(FunctionAttr::Arn)],
                    ),
                    // The fan-out's machine, by the name it has when FanOut=true.
                    allow(
                        "StartFanOut",
                        vec!["states:StartExecution"],
                        vec![fan_out::arn()],
                    ),
                    allow(
                        "SendUndeliveredEvents",
                        vec!["sqs:SendMessage"],
                        vec![dead_letters.get_att(QueueAttr::Arn)],
                    ),
                ]),
            }],
            ..Default::default()
        }),
    );
    // With the fan-out, the event becomes the execution's input (the count step's event).
    let target = |input: Expr<'t>| scheduler::Target {
        arn: Expr::if_(
            fan_out_on,
            fan_out::arn(),
            function.get_att(FunctionAttr::Arn),
        ),
        dead_letter_config: Some(scheduler::DeadLetterConfig {
            arn: dead_letters.get_att(QueueAttr::Arn),
        }),
        input: Some(input),
        retry_policy: Some(scheduler::RetryPolicy {
            maximum_event_age_in_seconds: 3600,
            maximum_retry_attempts: 5,
        }),
        role_arn: role.get_att(RoleAttr::Arn),
    };
    t.add(
        ids::DAILY_SCHEDULE,
        Schedule {
            description: Some(
                "Runs the author-stats job over the authors whose charts changed".into(),
            ),
            flexible_time_window: scheduler::FlexibleTimeWindow {
                mode: scheduler::FlexibleTimeWindowMode::Off,
            },
            schedule_expression: p.schedule_expression.reference(),
            schedule_expression_timezone: p.schedule_time_zone.reference(),
            state: scheduler::State::Enabled,
            target: target(DAILY_EVENT.into()),
        },
    )
}

/// Id of the bucket origin inside the distribution.
const CHARTS_ORIGIN: &str = "charts-bucket";

/// Security headers as the managed `SecurityHeadersPolicy` sets them, and CORS for GET and
/// HEAD from `AllowedOrigins` when that is not empty (no credentials).
fn response_headers_policy<'t>(
    t: &mut Builder<'t>,
    p: &Params<'t>,
    delivery: &Delivery<'t>,
) -> Handle<'t, ResponseHeadersPolicy<'t>> {
    use cloudfront::*;
    t.add(
        ids::RESPONSE_HEADERS_POLICY,
        ResponseHeadersPolicy {
            response_headers_policy_config: ResponseHeadersPolicyConfig {
                comment: Some(
                    "author-stats charts: security headers, CORS for the allowed origins".into(),
                ),
                cors_config: Some(Choice::only_if(
                    delivery.has_allowed_origins,
                    CorsConfig {
                        access_control_allow_credentials: false,
                        access_control_allow_headers: Items {
                            items: vec!["*".into()],
                        },
                        access_control_allow_methods: Items {
                            items: vec![Method::Get, Method::Head],
                        },
                        access_control_allow_origins: Items {
                            items: Expr::split(",", p.allowed_origins.reference()),
                        },
                        access_control_max_age_sec: CORS_MAX_AGE_SECONDS,
                        origin_override: true,
                    },
                )),
                name: sub!(Pseudo::StackName, "-charts"),
                security_headers_config: SecurityHeadersConfig {
                    content_type_options: Override {
                        override_origin: true,
                    },
                    frame_options: FrameOptions {
                        frame_option: FrameOption::SameOrigin,
                        override_origin: true,
                    },
                    referrer_policy: ReferrerPolicy {
                        override_origin: true,
                        referrer_policy: ReferrerPolicyValue::StrictOriginWhenCrossOrigin,
                    },
                    strict_transport_security: StrictTransportSecurity {
                        access_control_max_age_sec: HSTS_MAX_AGE_SECONDS,
                        include_subdomains: false,
                        override_origin: true,
                        preload: false,
                    },
                    xss_protection: XssProtection {
                        mode_block: true,
                        override_origin: true,
                        protection: true,
                    },
                },
            },
        },
    )
}

fn charts_distribution<'t>(
    t: &mut Builder<'t>,
    p: &Params<'t>,
    delivery: &Delivery<'t>,
    bucket: Handle<'t, Bucket>,
) -> Handle<'t, Distribution<'t>> {
    let headers = response_headers_policy(t, p, delivery);
    let oac = t.add(
        ids::ORIGIN_ACCESS_CONTROL,
        OriginAccessControl {
            origin_access_control_config: cloudfront::OriginAccessControlConfig {
                description: Some("CloudFront signs its requests to the charts bucket".into()),
                name: sub!(Pseudo::StackName, "-charts"),
                origin_access_control_origin_type: cloudfront::OriginType::S3,
                signing_behavior: cloudfront::SigningBehavior::Always,
                signing_protocol: cloudfront::SigningProtocol::SigV4,
            },
        },
    );
    let read_only = vec![cloudfront::Method::Get, cloudfront::Method::Head];
    t.add_with(
        ids::DISTRIBUTION,
        Distribution {
            distribution_config: cloudfront::DistributionConfig {
                aliases: Some(Choice::only_if(
                    delivery.has_custom_domain,
                    vec![p.domain_name.reference()],
                )),
                comment: Some(sub!(Pseudo::StackName, ": author monthly charts")),
                default_cache_behavior: cloudfront::DefaultCacheBehavior {
                    allowed_methods: read_only.clone(),
                    cache_policy_id: cloudfront::CACHING_OPTIMIZED,
                    cached_methods: read_only,
                    compress: true,
                    response_headers_policy_id: Some(headers.reference()),
                    target_origin_id: CHARTS_ORIGIN.into(),
                    viewer_protocol_policy: cloudfront::ViewerProtocolPolicy::RedirectToHttps,
                },
                default_root_object: Some(format!(
                    "{}{}",
                    files::DEFAULT_CHARTS_PREFIX,
                    files::INDEX_FILE
                )),
                enabled: true,
                http_version: cloudfront::HttpVersion::Http2And3,
                ipv6_enabled: true,
                origins: vec![cloudfront::Origin {
                    domain_name: bucket.get_att(BucketAttr::RegionalDomainName),
                    id: CHARTS_ORIGIN.into(),
                    origin_access_control_id: Some(
                        oac.get_att(cloudfront::OriginAccessControlAttr::Id),
                    ),
                    s3_origin_config: Some(cloudfront::S3OriginConfig::default()),
                }],
                viewer_certificate: Choice::either(
                    delivery.has_custom_domain,
                    cloudfront::ViewerCertificate::Acm(cloudfront::AcmCertificate {
                        acm_certificate_arn: p.certificate_arn.reference(),
                        minimum_protocol_version: cloudfront::MinimumProtocolVersion::TlsV12_2021,
                        ssl_support_method: cloudfront::SslSupportMethod::SniOnly,
                    }),
                    cloudfront::ViewerCertificate::Default(cloudfront::DefaultCertificate {
                        cloud_front_default_certificate: true,
                    }),
                ),
            },
        },
        ResourceOptions {
            checkov_skips: vec![
                CheckovSkip {
                    id: "CKV_AWS_68",
                    comment: reasons::NO_WAF,
                },
                CheckovSkip {
                    id: "CKV_AWS_86",
                    comment: reasons::NO_CDN_ACCESS_LOGS,
                },
                CheckovSkip {
                    id: "CKV_AWS_174",
                    comment: "Uses the default *.cloudfront.net certificate, for which CloudFront fixes the TLS policy; TLSv1.2_2021 needs a custom domain",
                },
            ],
            nag_acknowledgements: vec![
                NagAcknowledgement {
                    id: "AwsSolutions-CFR1",
                    reason: reasons::NO_GEO_RESTRICTION,
                },
                NagAcknowledgement {
                    id: "AwsSolutions-CFR2",
                    reason: reasons::NO_WAF,
                },
                NagAcknowledgement {
                    id: "AwsSolutions-CFR3",
                    reason: reasons::NO_CDN_ACCESS_LOGS,
                },
                NagAcknowledgement {
                    id: "AwsSolutions-CFR4",
                    reason: reasons::DEFAULT_CERTIFICATE,
                },
            ],
            ..Default::default()
        },
    )
}

/// CloudFront (this distribution only) may read the charts prefix; nobody may use plain HTTP.
fn charts_bucket_policy<'t>(
    bucket: Handle<'t, Bucket>,
    distribution: Handle<'t, Distribution<'t>>,
) -> BucketPolicy<'t> {
    let distribution_arn = distribution_arn(distribution);
    BucketPolicy {
        bucket: bucket.reference(),
        policy_document: PolicyDocument::new(vec![
            Statement {
                sid: Some("CloudFrontReadsCharts".into()),
                effect: Effect::Allow,
                principal: Some(Principal::Service("cloudfront.amazonaws.com")),
                action: vec!["s3:GetObject"],
                resource: Some(vec![charts_objects(bucket)]),
                condition: condition("StringEquals", "AWS:SourceArn", distribution_arn),
            },
            Statement {
                sid: Some("DenyPlainHttp".into()),
                effect: Effect::Deny,
                principal: Some(Principal::Everyone),
                action: vec!["s3:*"],
                resource: Some(vec![
                    bucket.get_att(BucketAttr::Arn),
                    sub!(bucket.get_att(BucketAttr::Arn), "/*"),
                ]),
                condition: condition("Bool", "aws:SecureTransport", "false".into()),
            },
        ]),
    }
}
