//! The stack's alarms and their topic: a failed run, a dropped run (dead letters), no
//! successful run in [`HEARTBEAT_HOURS`], a run near the timeout, a throttled invocation,
//! too many rejected records, a failed invalidation. They notify the topic when an e-mail
//! is given; the topic's policy refuses publishing without TLS.

use xtask_cfn::cloudwatch::{self, Alarm, ComparisonOperator, Dimension, Statistic};
use xtask_cfn::iam::{Effect, PolicyDocument, Principal, Statement};
use xtask_cfn::lambda::Function;
use xtask_cfn::sns::{self, Topic, TopicPolicy};
use xtask_cfn::sqs::{Queue, QueueAttr};
use xtask_cfn::{Builder, CheckovSkip, Condition, Expr, Handle, ResourceOptions};

use super::{condition, ids, params, reasons, Params, HEARTBEAT_HOURS, TIMEOUT_SECONDS};

/// The alarms and the topic they notify.
pub(super) struct Alarms<'t> {
    pub topic: Handle<'t, Topic<'t>>,
    /// Every alarm, in the template's order.
    pub all: Vec<Handle<'t, Alarm<'t>>>,
}

/// Every alarm; the topic they notify.
pub(super) fn alarms<'t>(
    t: &mut Builder<'t>,
    p: &Params<'t>,
    has_alarm_email: Condition<'t>,
    function: Handle<'t, Function<'t>>,
    dead_letters: Handle<'t, Queue>,
) -> Alarms<'t> {
    let topic = alarm_topic(t, p, has_alarm_email);
    let mut all = Vec::new();
    let notify = |alarm: Alarm<'t>| Alarm {
        alarm_actions: Some(Expr::if_(
            has_alarm_email,
            Expr::list([topic.reference()]),
            Expr::no_value(),
        )),
        ..alarm
    };
    let on_function = || {
        vec![Dimension {
            name: "FunctionName".into(),
            value: function.reference(),
        }]
    };
    let lambda = |metric: &str, statistic, threshold: Expr<'t>, description: String| {
        hourly(
            "AWS/Lambda",
            metric,
            statistic,
            threshold,
            description,
            on_function(),
        )
    };
    let job = |metric: &str, statistic, threshold: Expr<'t>, description: String| {
        let namespace = contract::metrics::NAMESPACE;
        hourly(
            namespace,
            metric,
            statistic,
            threshold,
            description,
            on_function(),
        )
    };
    all.push(t.add(
        ids::JOB_ERRORS_ALARM,
        notify(lambda(
            "Errors",
            Statistic::Sum,
            1u32.into(),
            "The author-stats job failed".into(),
        )),
    ));
    all.push(
        t.add(
            ids::DEAD_LETTER_ALARM,
            notify(Alarm {
                // Messages *sent* in the period, not those waiting: each new failure notifies,
                // while old ones sit in the queue.
                period: 300,
                ..hourly(
                    "AWS/SQS",
                    "NumberOfMessagesSent",
                    Statistic::Sum,
                    1u32.into(),
                    "A run of the author-stats job was dropped after its retries: see the \
                 dead-letter queue"
                        .into(),
                    vec![Dimension {
                        name: "QueueName".into(),
                        value: dead_letters.get_att(QueueAttr::QueueName),
                    }],
                )
            }),
        ),
    );
    all.push(t.add(
        ids::HEARTBEAT_ALARM,
        notify(Alarm {
            comparison_operator: ComparisonOperator::LessThanThreshold,
            datapoints_to_alarm: Some(HEARTBEAT_HOURS),
            evaluation_periods: HEARTBEAT_HOURS,
            treat_missing_data: cloudwatch::TreatMissingData::Breaching,
            ..job(
                contract::metrics::RUN_SUCCEEDED,
                Statistic::Sum,
                1u32.into(),
                format!(
                    "No successful author-stats run in {HEARTBEAT_HOURS} hours: is the schedule \
                     enabled, is the function failing? `cargo xtask status` shows the recent runs"
                ),
            )
        }),
    ));
    all.push(t.add(
        ids::DURATION_ALARM,
        notify(lambda(
            "Duration",
            Statistic::Maximum,
            (TIMEOUT_SECONDS * 1000 / 10 * 8).into(),
            format!(
                "An author-stats run took more than 80 % of the {TIMEOUT_SECONDS} s timeout: \
                 raise MemorySize (CPU grows with it) before runs are killed"
            ),
        )),
    ));
    all.push(
        t.add(
            ids::THROTTLES_ALARM,
            notify(lambda(
                "Throttles",
                Statistic::Sum,
                1u32.into(),
                "An author-stats invocation was throttled (reserved concurrency 1: a run was \
             still going, or the account is at its limit)"
                    .into(),
            )),
        ),
    );
    all.push(t.add(
        ids::REJECTED_RECORDS_ALARM,
        notify(Alarm {
            comparison_operator: ComparisonOperator::GreaterThanThreshold,
            ..job(
                contract::metrics::RECORDS_REJECTED,
                Statistic::Maximum,
                p.rejected_records_threshold.reference(),
                format!(
                    "An author-stats run rejected more bad records than {} (malformed lines, \
                     posts without an author or with a bad timestamp, unknown authors, invalid \
                     or shared slugs; drafts and scheduled posts do not count): check the \
                     export, `cargo xtask status` shows the counters",
                    params::REJECTED_RECORDS_THRESHOLD
                ),
            )
        }),
    ));
    all.push(
        t.add(
            ids::INVALIDATION_ALARM,
            notify(job(
                contract::metrics::INVALIDATION_FAILED,
                Statistic::Maximum,
                1u32.into(),
                "An author-stats run published but could not invalidate its CloudFront paths: \
             viewers get the old charts until their s-maxage ends; the run's warning names \
             the cause and the command that invalidates by hand"
                    .into(),
            )),
        ),
    );
    Alarms { topic, all }
}

/// The SNS topic of the alarms, with the e-mail subscription (only when one is given).
fn alarm_topic<'t>(
    t: &mut Builder<'t>,
    p: &Params<'t>,
    has_alarm_email: Condition<'t>,
) -> Handle<'t, Topic<'t>> {
    let topic = t.add_with(
        ids::ALARM_TOPIC,
        Topic {
            display_name: Some("author-stats alarms".into()),
            subscription: vec![sns::Subscription {
                endpoint: p.alarm_email.reference(),
                protocol: sns::Protocol::Email,
            }],
        },
        ResourceOptions {
            condition: Some(has_alarm_email),
            checkov_skips: vec![CheckovSkip {
                id: "CKV_AWS_26",
                comment: reasons::TOPIC_KEY,
            }],
            ..Default::default()
        },
    );
    t.add_with(
        ids::ALARM_TOPIC_POLICY,
        TopicPolicy {
            policy_document: PolicyDocument::new(vec![
                Statement {
                    sid: Some("CloudWatchAlarmsPublish".into()),
                    effect: Effect::Allow,
                    principal: Some(Principal::Service("cloudwatch.amazonaws.com")),
                    action: vec!["sns:Publish"],
                    resource: Some(vec![topic.reference()]),
                    condition: condition(
                        "StringEquals",
                        "aws:SourceAccount",
                        xtask_cfn::Pseudo::AccountId.into(),
                    ),
                },
                Statement {
                    sid: Some("DenyPlainHttp".into()),
                    effect: Effect::Deny,
                    principal: Some(Principal::Everyone),
                    action: vec!["sns:Publish"],
                    resource: Some(vec![topic.reference()]),
                    condition: condition("Bool", "aws:SecureTransport", "false".into()),
                },
            ]),
            topics: vec![topic.reference()],
        },
        ResourceOptions {
            condition: Some(has_alarm_email),
            ..Default::default()
        },
    );
    topic
}

/// An alarm when one hour's `statistic` of `metric` reaches `threshold` (missing data is
/// not breaching), with no action yet; the alarms differ from it where they say so.
fn hourly<'t>(
    namespace: &str,
    metric: &str,
    statistic: Statistic,
    threshold: Expr<'t>,
    description: String,
    dimensions: Vec<Dimension<'t>>,
) -> Alarm<'t> {
    Alarm {
        alarm_actions: None,
        alarm_description: Some(description),
        comparison_operator: ComparisonOperator::GreaterThanOrEqualToThreshold,
        datapoints_to_alarm: None,
        dimensions,
        evaluation_periods: 1,
        metric_name: metric.into(),
        namespace: namespace.into(),
        period: 3600,
        statistic,
        threshold,
        treat_missing_data: cloudwatch::TreatMissingData::NotBreaching,
    }
}
