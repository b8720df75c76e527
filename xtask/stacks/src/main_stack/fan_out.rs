//! The fan-out of the stack (data-spec §9, spec/scale.md), under the `FanOutOn` condition
//! (`FanOut=true`): the Step Functions state machine of `crate::main_stack::state_machine` and its role.
//! The machine's ARN is built from a fixed name (`<stack>-fan-out`) with `Fn::Sub`, so the
//! role (which may start only this machine, for the map's child executions) and the
//! schedules (which start it instead of invoking the function) name it without a reference
//! to it, which would be a cycle. The machine logs every execution event to its own log
//! group, kept `LogRetentionDays`.

use contract::files;

use super::{allow, condition, ids, reasons, trust, RolePlacement};
use crate::main_stack::state_machine;
use xtask_cfn::iam::{Policy, PolicyDocument, Role, RoleAttr};
use xtask_cfn::lambda::{Function, FunctionAttr};
use xtask_cfn::logs::{LogGroup, LogGroupAttr};
use xtask_cfn::s3::{Bucket, BucketAttr};
use xtask_cfn::stepfunctions::{self, StateMachine, StateMachineType};
use xtask_cfn::sub;
use xtask_cfn::Builder;
use xtask_cfn::{
    Condition, DeletionPolicy, Expr, Handle, NagAcknowledgement, Ordered, Param, Pseudo,
    ResourceOptions,
};

/// `<stack name>-fan-out`: the state machine's name.
pub(super) fn name<'t>() -> Expr<'t> {
    sub!(Pseudo::StackName, "-fan-out")
}

/// `arn:…:states:<region>:<account>:stateMachine:<stack name>-fan-out`.
pub(super) fn arn<'t>() -> Expr<'t> {
    states_arn(":stateMachine:", "-fan-out")
}

/// The executions of the machine (the map's child executions among them).
fn executions<'t>() -> Expr<'t> {
    states_arn(":execution:", "-fan-out/*")
}

/// `arn:…:states:<region>:<account><kind><stack name><tail>`.
fn states_arn<'t>(kind: &'static str, tail: &'static str) -> Expr<'t> {
    sub!(
        "arn:",
        Pseudo::Partition,
        ":states:",
        Pseudo::Region,
        ":",
        Pseudo::AccountId,
        kind,
        Pseudo::StackName,
        tail
    )
}

/// What the fan-out is made with.
pub(super) struct Settings<'t> {
    /// `FanOut=true`: everything here exists only then.
    pub fan_out_on: Condition<'t>,
    /// `FanOutConcurrency`.
    pub concurrency: Param<'t>,
    /// `LogRetentionDays`, also the machine's log group's.
    pub log_retention_days: Param<'t>,
}

/// The CloudWatch Logs actions a state machine's logging needs (CloudWatch Logs' log
/// delivery, which sets the log group's resource policy): they take no resource (`*`).
/// Granted to the machine's role and to the service role that creates it.
pub const LOG_DELIVERY_ACTIONS: [&str; 8] = [
    "logs:CreateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:DescribeLogGroups",
    "logs:DescribeResourcePolicies",
    "logs:GetLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:UpdateLogDelivery",
];

/// The state machine, its role and its log group, all only when `fan_out_on`.
pub(super) fn state_machine<'t>(
    t: &mut Builder<'t>,
    placement: &RolePlacement<'t>,
    settings: Settings<'t>,
    function: Handle<'t, Function<'t>>,
    bucket: Handle<'t, Bucket>,
) -> Handle<'t, StateMachine<'t>> {
    let Settings {
        fan_out_on,
        concurrency,
        log_retention_days,
    } = settings;
    let log_group = t.add_with(
        ids::FAN_OUT_LOG_GROUP,
        LogGroup {
            retention_in_days: log_retention_days.reference(),
        },
        ResourceOptions {
            condition: Some(fan_out_on),
            deletion_policy: Some(DeletionPolicy::Delete),
            update_replace_policy: Some(DeletionPolicy::Delete),
            // No checkov skip: checkov does not evaluate this conditional log group (a skip
            // would be stale); like JobLogGroup's, its events are encrypted at rest by default.
            ..Default::default()
        },
    );
    let mut list_runs = allow(
        "ListRunBatches",
        vec!["s3:ListBucket"],
        vec![bucket.get_att(BucketAttr::Arn)],
    );
    list_runs.condition = condition(
        "StringLike",
        "s3:prefix",
        format!("{}*", files::RUNS_PREFIX).into(),
    );
    let role = t.add_with(
        ids::FAN_OUT_ROLE,
        placement.place(Role {
            assume_role_policy_document: trust("states.amazonaws.com", true),
            description: Some(
                "author-stats fan-out: runs the job's count, render and finish steps".into(),
            ),
            policies: vec![Policy {
                policy_name: "author-stats-fan-out".into(),
                policy_document: PolicyDocument::new(vec![
                    allow(
                        "InvokeJob",
                        vec!["lambda:InvokeFunction"],
                        vec![function.get_att(FunctionAttr::Arn)],
                    ),
                    allow(
                        "StartOwnChildExecutions",
                        vec!["states:StartExecution"],
                        vec![arn()],
                    ),
                    allow(
                        "ManageOwnChildExecutions",
                        vec!["states:DescribeExecution", "states:StopExecution"],
                        vec![executions()],
                    ),
                    list_runs,
                    // Logging to the log group: CloudWatch Logs' log delivery has no resource.
                    allow(
                        "DeliverExecutionLogs",
                        LOG_DELIVERY_ACTIONS.to_vec(),
                        vec!["*".into()],
                    ),
                ]),
            }],
            ..Default::default()
        }),
        ResourceOptions {
            condition: Some(fan_out_on),
            nag_acknowledgements: vec![
                NagAcknowledgement {
                    id: "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:<AWS::StackName>-fan-out/*]",
                    reason: reasons::OWN_EXECUTIONS,
                },
                NagAcknowledgement {
                    id: "AwsSolutions-IAM5[Resource::*]",
                    reason: reasons::LOG_DELIVERY,
                },
            ],
            ..Default::default()
        },
    );
    t.add_with(
        ids::STATE_MACHINE,
        StateMachine {
            definition_string: state_machine::definition_json(),
            definition_substitutions: Ordered(vec![
                (
                    state_machine::FUNCTION_ARN,
                    function.get_att(FunctionAttr::Arn),
                ),
                // As text: a substitution is a string (and so the CDK export types it).
                (
                    state_machine::MAX_CONCURRENCY,
                    sub!(concurrency.reference()),
                ),
            ]),
            // Every event (state entered and exited, task failures, the map's runs), without
            // the states' input and output: small events, kept LogRetentionDays.
            logging_configuration: Some(stepfunctions::LoggingConfiguration {
                destinations: vec![stepfunctions::LogDestination {
                    cloud_watch_logs_log_group: stepfunctions::LogGroupDestination {
                        log_group_arn: log_group.get_att(LogGroupAttr::Arn),
                    },
                }],
                include_execution_data: false,
                level: stepfunctions::LogLevel::All,
            }),
            role_arn: role.get_att(RoleAttr::Arn),
            state_machine_name: name(),
            state_machine_type: StateMachineType::Standard,
            tracing_configuration: None,
        },
        ResourceOptions {
            condition: Some(fan_out_on),
            nag_acknowledgements: vec![NagAcknowledgement {
                id: "AwsSolutions-SF2",
                reason: reasons::NO_XRAY,
            }],
            ..Default::default()
        },
    )
}
