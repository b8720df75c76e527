//! The bootstrap stack of a stage, `author-stats-batch-<stage>-bootstrap`, written with the
//! `cfn` model like the main stack (`stack.rs`). An administrator deploys it once per stage
//! (`cargo xtask bootstrap`); afterwards the deploy path cannot become account admin:
//!
//! * `PermissionsBoundary` (`author-stats-batch-<stage>-boundary`): a managed policy that caps
//!   every role the main stack creates to what the job and the schedule need (the stage's
//!   buckets, log group, queue and function), with no `iam:` action at all.
//! * `CfnExecRole` (`author-stats-batch-<stage>-cfn-exec`): the CloudFormation service role.
//!   CloudFormation assumes it to create the main stack's resources; it may manage only
//!   resources named `author-stats-batch-<stage>-*` in this account and region, and roles only
//!   under the path `/author-stats-batch-<stage>/`, created and changed only with the boundary.
//! * `DeployerRole` (`author-stats-batch-<stage>-deployer`): what GitHub Actions assumes through
//!   OIDC, for this repository's `main` branch in the stage's environment only. It may run
//!   change sets on its own stack (passing only `CfnExecRole`), push to its own ECR repository
//!   and make the read calls of `invoke` and `logs`; `DeployerTeardownPolicy` adds `teardown`'s
//!   calls, except on a production stage. It has no `iam:` action besides that one `PassRole`.
//!
//! `spec/batch-setup.md` ("Deploying without admin") explains the design;
//! `spec/deployer-policy.json` is generated from this file (`cargo xtask synth`).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value as Json};
use serde_yaml::Value;

use crate::main_stack;
use crate::stages::STACK_PREFIX;
use contract::files;
use xtask_cfn::iam::{
    Effect, ManagedPolicy, OidcProvider, OidcProviderAttr, Policy, PolicyDocument, Principal, Role,
    RoleAttr, RolePolicy, Statement,
};
use xtask_cfn::{
    Builder, Cond, Expr, Output, Param, Parameter, Pseudo, ResourceOptions, SubPart, Template,
};

pub const DESCRIPTION: &str = "author-stats-batch bootstrap of one stage: the CloudFormation \
     service role, the permissions boundary of the stack's roles, and the GitHub OIDC deployer role";

/// The GitHub Actions OIDC issuer (host and path of the provider's URL).
pub const GITHUB_OIDC_HOST: &str = "token.actions.githubusercontent.com";
/// The audience `aws-actions/configure-aws-credentials` asks for.
pub const GITHUB_OIDC_AUDIENCE: &str = "sts.amazonaws.com";
/// The only branch that may deploy.
pub const DEPLOY_REF: &str = "refs/heads/main";

/// Parameter names, for `cargo xtask bootstrap` and tests.
pub mod params {
    pub const STAGE: &str = "Stage";
    pub const GITHUB_REPOSITORY: &str = "GitHubRepository";
    pub const PRODUCTION: &str = "Production";
    pub const REPOSITORY_NAME: &str = "RepositoryName";
    pub const SOURCE_BUCKET: &str = "SourceBucketName";
    pub const CREATE_OIDC_PROVIDER: &str = "CreateOidcProvider";
}

/// Logical ids of the resources and conditions.
pub mod ids {
    pub const OIDC_PROVIDER: &str = "GitHubOidcProvider";
    pub const BOUNDARY: &str = "PermissionsBoundary";
    pub const CFN_EXEC_ROLE: &str = "CfnExecRole";
    pub const DEPLOYER_ROLE: &str = "DeployerRole";
    pub const DEPLOYER_TEARDOWN_POLICY: &str = "DeployerTeardownPolicy";
    pub const IS_NOT_PRODUCTION: &str = "IsNotProduction";
    pub const CREATES_OIDC_PROVIDER: &str = "CreatesOidcProvider";
}

/// Output names: deploy reads the first two, the workflow needs the third.
pub mod outputs {
    pub const CFN_EXEC_ROLE_ARN: &str = "CfnExecRoleArn";
    pub const BOUNDARY_ARN: &str = "PermissionsBoundaryArn";
    pub const DEPLOYER_ROLE_ARN: &str = "DeployerRoleArn";
}

/// The actions granted on `Resource: "*"`, because their APIs have no resource to name:
/// the ECR login, Cloud Control's `GetResource` (teardown's check of types without a
/// read API of their own; Cloud Control's actions carry the `cloudformation:` prefix, and it
/// then needs the type's own read permission too), and CloudWatch Logs' log delivery that
/// the fan-out's state machine logs through (`main_stack::LOG_DELIVERY_ACTIONS`).
pub const RESOURCELESS: [&str; 10] = [
    "ecr:GetAuthorizationToken",
    "cloudformation:GetResource",
    main_stack::LOG_DELIVERY_ACTIONS[0],
    main_stack::LOG_DELIVERY_ACTIONS[1],
    main_stack::LOG_DELIVERY_ACTIONS[2],
    main_stack::LOG_DELIVERY_ACTIONS[3],
    main_stack::LOG_DELIVERY_ACTIONS[4],
    main_stack::LOG_DELIVERY_ACTIONS[5],
    main_stack::LOG_DELIVERY_ACTIONS[6],
    main_stack::LOG_DELIVERY_ACTIONS[7],
];

/// The bootstrap stack of `stage`.
pub fn stack_name(stage: &str) -> String {
    format!("{STACK_PREFIX}-{stage}-bootstrap")
}

/// The `sub` claim GitHub puts in the OIDC token of a job in environment `stage` on `main`,
/// once the repository's subject claim is customised to include `repo`, `context` and `ref`
/// (`spec/batch-setup.md`): `repo:OWNER/NAME:environment:STAGE:ref:refs/heads/main`.
pub fn github_subject(repository: &str, stage: &str) -> String {
    format!("repo:{repository}:environment:{stage}:ref:{DEPLOY_REF}")
}

/// The bootstrap template.
pub fn template() -> Template {
    Template::build(DESCRIPTION, define)
}

struct Params<'t> {
    stage: Param<'t>,
    github_repository: Param<'t>,
    production: Param<'t>,
    repository_name: Param<'t>,
    source_bucket: Param<'t>,
    create_oidc_provider: Param<'t>,
}

impl<'t> Params<'t> {
    fn declare(t: &mut Builder<'t>) -> Self {
        Params {
            stage: t.parameter(
                params::STAGE,
                Parameter::string("Stage (a section of deploy/stages.toml); the main stack is author-stats-batch-<Stage>")
                    .allowed_pattern(crate::stages::STAGE_PATTERN)
                    .constraint_description("1–18 lowercase letters and digits, starting with a letter"),
            ),
            github_repository: t.parameter(
                params::GITHUB_REPOSITORY,
                Parameter::string("GitHub repository (OWNER/NAME) whose main branch may deploy the stage")
                    .allowed_pattern(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
                    .constraint_description("OWNER/NAME"),
            ),
            production: t.parameter(
                params::PRODUCTION,
                Parameter::string("true: the deployer may not delete the stack, empty its bucket or delete its images")
                    .default("false")
                    .allowed_values(["true", "false"]),
            ),
            repository_name: t.parameter(
                params::REPOSITORY_NAME,
                Parameter::string("ECR repository of the stage's image")
                    .allowed_pattern(r"^[a-z0-9]+([._/-][a-z0-9]+)*$")
                    .constraint_description("an ECR repository name"),
            ),
            source_bucket: t.parameter(
                params::SOURCE_BUCKET,
                Parameter::string("Existing bucket with the export (the job may only read it)")
                    .allowed_pattern(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
                    .constraint_description("an S3 bucket name"),
            ),
            create_oidc_provider: t.parameter(
                params::CREATE_OIDC_PROVIDER,
                Parameter::string("true: create the account's GitHub OIDC provider (one per account; false when it exists)")
                    .default("false")
                    .allowed_values(["true", "false"]),
            ),
        }
    }

    /// `author-stats-batch-<Stage>`, then `rest`.
    fn named(&self, rest: &str) -> Vec<SubPart<'t>> {
        vec![
            format!("{STACK_PREFIX}-").into(),
            self.stage.reference().into(),
            rest.into(),
        ]
    }
}

/// `arn:${AWS::Partition}:<service>:${AWS::Region}:${AWS::AccountId}:` and `rest`.
fn regional<'t>(service: &str, rest: Vec<SubPart<'t>>) -> Expr<'t> {
    let mut parts: Vec<SubPart<'t>> = vec![
        "arn:".into(),
        Pseudo::Partition.into(),
        format!(":{service}:").into(),
        Pseudo::Region.into(),
        ":".into(),
        Pseudo::AccountId.into(),
        ":".into(),
    ];
    parts.extend(rest);
    Expr::sub(parts)
}

/// `arn:${AWS::Partition}:<service>::${AWS::AccountId}:` and `rest` (IAM, CloudFront).
fn global<'t>(service: &str, rest: Vec<SubPart<'t>>) -> Expr<'t> {
    let mut parts: Vec<SubPart<'t>> = vec![
        "arn:".into(),
        Pseudo::Partition.into(),
        format!(":{service}::").into(),
        Pseudo::AccountId.into(),
        ":".into(),
    ];
    parts.extend(rest);
    Expr::sub(parts)
}

/// `arn:${AWS::Partition}:s3:::` and `rest` (bucket ARNs name no account or region).
fn s3<'t>(rest: Vec<SubPart<'t>>) -> Expr<'t> {
    let mut parts: Vec<SubPart<'t>> =
        vec!["arn:".into(), Pseudo::Partition.into(), ":s3:::".into()];
    parts.extend(rest);
    Expr::sub(parts)
}

fn allow<'t>(sid: &str, action: &[&'static str], resource: Vec<Expr<'t>>) -> Statement<'t> {
    Statement {
        sid: Some(sid.into()),
        effect: Effect::Allow,
        principal: None,
        action: action.to_vec(),
        resource: Some(resource),
        condition: None,
    }
}

fn when<'t>(
    mut statement: Statement<'t>,
    operator: &'static str,
    key: &'static str,
    value: Expr<'t>,
) -> Statement<'t> {
    statement
        .condition
        .get_or_insert_with(BTreeMap::new)
        .entry(operator)
        .or_default()
        .insert(key, value);
    statement
}

/// The resources of one stage, by ARN pattern.
struct Arns<'t> {
    charts_bucket: Expr<'t>,
    charts_objects: Expr<'t>,
    charts_prefix_objects: Expr<'t>,
    source_objects: Expr<'t>,
    function: Expr<'t>,
    log_group: Expr<'t>,
    queue: Expr<'t>,
    schedule: Expr<'t>,
    topic: Expr<'t>,
    alarm: Expr<'t>,
    /// The stage's dashboard, `author-stats-batch-<Stage>` (dashboards have no region).
    dashboard: Expr<'t>,
    /// Every role the main stack creates (its path is `/<stack name>/`: `main_stack::role_path`).
    stack_roles: Expr<'t>,
    repository: Expr<'t>,
    main_stack: Expr<'t>,
    bootstrap_stack: Expr<'t>,
    distributions: Expr<'t>,
    origin_access_controls: Expr<'t>,
    response_headers_policies: Expr<'t>,
    /// The fan-out's state machine (`<stack name>-fan-out`, `main_stack::fan_out`) and its
    /// executions, the map's child executions among them.
    state_machine: Expr<'t>,
    state_machine_executions: Expr<'t>,
    /// The machine's own executions (`execution:<machine>:<name>`: what `invoke`, the
    /// backfill and the schedules start; the children above have `<machine>/<label>:`).
    fan_out_runs: Expr<'t>,
    /// Their Distributed Map runs (`mapRun:<machine>/<label>:<id>`).
    map_runs: Expr<'t>,
    /// A fan-out run's working files, beside the charts prefix.
    run_objects: Expr<'t>,
    /// `author-stats-batch-${Stage}`, the main stack's name (for tag conditions).
    main_stack_name: Expr<'t>,
}

impl<'t> Arns<'t> {
    fn of(p: &Params<'t>) -> Self {
        // Generated bucket names are lowercase: `<stack name>-chartsbucket-<random>`.
        let bucket = |rest: &str| s3(p.named(&format!("-chartsbucket-*{rest}")));
        Arns {
            charts_bucket: bucket(""),
            charts_objects: bucket("/*"),
            charts_prefix_objects: bucket(&format!("/{}*", files::DEFAULT_CHARTS_PREFIX)),
            source_objects: s3(vec![p.source_bucket.reference().into(), "/*".into()]),
            function: regional("lambda", {
                let mut v: Vec<SubPart> = vec!["function:".into()];
                v.extend(p.named("-*"));
                v
            }),
            log_group: regional("logs", {
                let mut v: Vec<SubPart> = vec!["log-group:".into()];
                v.extend(p.named("-*"));
                v
            }),
            queue: regional("sqs", p.named("-*")),
            schedule: regional("scheduler", {
                let mut v: Vec<SubPart> = vec!["schedule/default/".into()];
                v.extend(p.named("-*"));
                v
            }),
            topic: regional("sns", p.named("-*")),
            alarm: regional("cloudwatch", {
                let mut v: Vec<SubPart> = vec!["alarm:".into()];
                v.extend(p.named("-*"));
                v
            }),
            dashboard: global("cloudwatch", {
                let mut v: Vec<SubPart> = vec!["dashboard/".into()];
                v.extend(p.named(""));
                v
            }),
            stack_roles: global("iam", {
                let mut v: Vec<SubPart> = vec!["role/".into()];
                v.extend(p.named("/*"));
                v
            }),
            repository: regional(
                "ecr",
                vec!["repository/".into(), p.repository_name.reference().into()],
            ),
            main_stack: regional("cloudformation", {
                let mut v: Vec<SubPart> = vec!["stack/".into()];
                v.extend(p.named("/*"));
                v
            }),
            bootstrap_stack: regional("cloudformation", {
                let mut v: Vec<SubPart> = vec!["stack/".into()];
                v.extend(p.named("-bootstrap/*"));
                v
            }),
            distributions: global("cloudfront", vec!["distribution/*".into()]),
            origin_access_controls: global("cloudfront", vec!["origin-access-control/*".into()]),
            response_headers_policies: global(
                "cloudfront",
                vec!["response-headers-policy/*".into()],
            ),
            state_machine: regional("states", {
                let mut v: Vec<SubPart> = vec!["stateMachine:".into()];
                v.extend(p.named("-fan-out"));
                v
            }),
            state_machine_executions: regional("states", {
                let mut v: Vec<SubPart> = vec!["execution:".into()];
                v.extend(p.named("-fan-out/*"));
                v
            }),
            fan_out_runs: regional("states", {
                let mut v: Vec<SubPart> = vec!["execution:".into()];
                v.extend(p.named("-fan-out:*"));
                v
            }),
            map_runs: regional("states", {
                let mut v: Vec<SubPart> = vec!["mapRun:".into()];
                v.extend(p.named("-fan-out/*"));
                v
            }),
            run_objects: bucket(&format!("/{}*", files::RUNS_PREFIX)),
            main_stack_name: Expr::sub(p.named("")),
        }
    }
}

fn define(t: &mut Builder<'_>) {
    let p = Params::declare(t);
    let not_production = t.condition(
        ids::IS_NOT_PRODUCTION,
        Cond::not(Cond::equals(p.production.reference(), "true")),
    );
    let creates_provider = t.condition(
        ids::CREATES_OIDC_PROVIDER,
        Cond::equals(p.create_oidc_provider.reference(), "true"),
    );
    let arns = Arns::of(&p);

    let provider = t.add_with(
        ids::OIDC_PROVIDER,
        OidcProvider {
            client_id_list: vec![GITHUB_OIDC_AUDIENCE.into()],
            url: format!("https://{GITHUB_OIDC_HOST}"),
        },
        ResourceOptions {
            condition: Some(creates_provider),
            ..Default::default()
        },
    );
    let boundary = t.add(
        ids::BOUNDARY,
        ManagedPolicy {
            description: Some(
                "Caps every role of the stage's stack: its buckets, log group, queue and function"
                    .into(),
            ),
            managed_policy_name: Expr::sub(p.named("-boundary")),
            policy_document: PolicyDocument::new(boundary_statements(&arns)),
        },
    );
    let cfn_exec = t.add(
        ids::CFN_EXEC_ROLE,
        Role {
            assume_role_policy_document: PolicyDocument::new(vec![Statement {
                sid: None,
                effect: Effect::Allow,
                principal: Some(Principal::Service("cloudformation.amazonaws.com")),
                action: vec!["sts:AssumeRole"],
                resource: None,
                condition: None,
            }]),
            description: Some(
                "CloudFormation service role of the stage's stack: its resources only".into(),
            ),
            policies: vec![Policy {
                policy_name: "author-stats-stack-resources".into(),
                policy_document: PolicyDocument::new(cfn_exec_statements(
                    &arns,
                    boundary.reference(),
                )),
            }],
            role_name: Some(Expr::sub(p.named("-cfn-exec"))),
            ..Default::default()
        },
    );
    let provider_arn = Expr::if_(
        creates_provider,
        provider.get_att(OidcProviderAttr::Arn),
        global(
            "iam",
            vec![format!("oidc-provider/{GITHUB_OIDC_HOST}").into()],
        ),
    );
    let deployer = t.add(
        ids::DEPLOYER_ROLE,
        Role {
            assume_role_policy_document: PolicyDocument::new(vec![Statement {
                sid: Some("GitHubMainOfThisRepositoryInTheStageEnvironment".into()),
                effect: Effect::Allow,
                principal: Some(Principal::Federated(provider_arn)),
                action: vec!["sts:AssumeRoleWithWebIdentity"],
                resource: None,
                condition: Some(BTreeMap::from([(
                    "StringEquals",
                    BTreeMap::from([
                        (
                            "token.actions.githubusercontent.com:aud",
                            GITHUB_OIDC_AUDIENCE.into(),
                        ),
                        (
                            "token.actions.githubusercontent.com:sub",
                            Expr::sub([
                                "repo:".into(),
                                p.github_repository.reference().into(),
                                ":environment:".into(),
                                p.stage.reference().into(),
                                format!(":ref:{DEPLOY_REF}").into(),
                            ]),
                        ),
                    ]),
                )])),
            }]),
            description: Some(
                "GitHub Actions deployer of the stage: change sets through the service role".into(),
            ),
            policies: vec![Policy {
                policy_name: "author-stats-deploy".into(),
                policy_document: PolicyDocument::new(deployer_statements(
                    &arns,
                    cfn_exec.get_att(RoleAttr::Arn),
                )),
            }],
            role_name: Some(Expr::sub(p.named("-deployer"))),
            ..Default::default()
        },
    );
    t.add_with(
        ids::DEPLOYER_TEARDOWN_POLICY,
        RolePolicy {
            policy_document: PolicyDocument::new(teardown_statements(&arns)),
            policy_name: "author-stats-teardown".into(),
            role_name: deployer.reference(),
        },
        ResourceOptions {
            condition: Some(not_production),
            ..Default::default()
        },
    );

    t.output(
        outputs::CFN_EXEC_ROLE_ARN,
        Output::new(
            "Service role deploy passes to CloudFormation (RoleARN)",
            cfn_exec.get_att(RoleAttr::Arn),
        ),
    );
    t.output(
        outputs::BOUNDARY_ARN,
        Output::new(
            "Permissions boundary of the stack's roles (its PermissionsBoundaryArn parameter)",
            boundary.reference(),
        ),
    );
    t.output(
        outputs::DEPLOYER_ROLE_ARN,
        Output::new(
            "Role for the workflow's DEPLOY_ROLE_ARN variable (GitHub OIDC)",
            deployer.get_att(RoleAttr::Arn),
        ),
    );
}

/// The boundary: the union of what the job role and the scheduler role may ever do.
fn boundary_statements<'t>(a: &Arns<'t>) -> Vec<Statement<'t>> {
    vec![
        allow(
            "ReadExport",
            &["s3:GetObject"],
            vec![a.source_objects.clone()],
        ),
        allow(
            "ListCharts",
            &["s3:ListBucket"],
            vec![a.charts_bucket.clone()],
        ),
        allow(
            "PublishCharts",
            &["s3:DeleteObject", "s3:GetObject", "s3:PutObject"],
            vec![a.charts_prefix_objects.clone()],
        ),
        allow(
            "WriteLogs",
            &["logs:CreateLogStream", "logs:PutLogEvents"],
            vec![a.log_group.clone()],
        ),
        allow(
            "FanOutRunFiles",
            &["s3:DeleteObject", "s3:GetObject", "s3:PutObject"],
            vec![a.run_objects.clone()],
        ),
        allow(
            "StartTheFanOut",
            &["states:StartExecution"],
            vec![a.state_machine.clone()],
        ),
        allow(
            "FanOutChildExecutions",
            &["states:DescribeExecution", "states:StopExecution"],
            vec![a.state_machine_executions.clone()],
        ),
        allow("DeadLetters", &["sqs:SendMessage"], vec![a.queue.clone()]),
        allow(
            "RunTheJob",
            &["lambda:InvokeFunction"],
            vec![a.function.clone()],
        ),
        // The fan-out's machine logs through CloudWatch Logs' log delivery (no resource).
        allow(
            "FanOutExecutionLogs",
            &main_stack::LOG_DELIVERY_ACTIONS,
            vec!["*".into()],
        ),
        // The job's role names its own distribution; the boundary, made before it exists,
        // names it by the tag only CloudFormation sets.
        when(
            allow(
                "InvalidateTheStacksCharts",
                &["cloudfront:CreateInvalidation"],
                vec![a.distributions.clone()],
            ),
            "StringEquals",
            "aws:ResourceTag/aws:cloudformation:stack-name",
            a.main_stack_name.clone(),
        ),
    ]
}

/// Roles may be created and their policies changed only with the boundary set to this one.
pub const BOUNDED_ROLE_ACTIONS: [&str; 4] = [
    "iam:CreateRole",
    "iam:DeleteRolePolicy",
    "iam:PutRolePermissionsBoundary",
    "iam:PutRolePolicy",
];

/// The service role: what CloudFormation needs for the main stack's resources, every ARN
/// the stage's (types from the resource schemas' handler permissions, only the properties
/// the stack uses).
fn cfn_exec_statements<'t>(a: &Arns<'t>, boundary: Expr<'t>) -> Vec<Statement<'t>> {
    vec![
        allow(
            "ChartsBucket",
            &[
                "s3:CreateBucket",
                "s3:DeleteBucket",
                "s3:DeleteBucketPolicy",
                "s3:GetAccelerateConfiguration",
                "s3:GetAnalyticsConfiguration",
                "s3:GetBucketAcl",
                "s3:GetBucketCORS",
                "s3:GetBucketLogging",
                "s3:GetBucketNotification",
                "s3:GetBucketObjectLockConfiguration",
                "s3:GetBucketOwnershipControls",
                "s3:GetBucketPolicy",
                "s3:GetBucketPublicAccessBlock",
                "s3:GetBucketTagging",
                "s3:GetBucketVersioning",
                "s3:GetBucketWebsite",
                "s3:GetEncryptionConfiguration",
                "s3:GetIntelligentTieringConfiguration",
                "s3:GetInventoryConfiguration",
                "s3:GetLifecycleConfiguration",
                "s3:GetMetricsConfiguration",
                "s3:GetReplicationConfiguration",
                "s3:ListBucket",
                "s3:PutBucketOwnershipControls",
                "s3:PutBucketPolicy",
                "s3:PutBucketPublicAccessBlock",
                "s3:PutBucketTagging",
                "s3:PutBucketVersioning",
                "s3:PutEncryptionConfiguration",
                "s3:PutLifecycleConfiguration",
            ],
            vec![a.charts_bucket.clone()],
        ),
        allow(
            "JobLogGroup",
            &[
                "logs:CreateLogGroup",
                "logs:DeleteLogGroup",
                "logs:DeleteRetentionPolicy",
                "logs:DescribeLogGroups",
                "logs:ListTagsForResource",
                "logs:PutRetentionPolicy",
                "logs:TagResource",
                "logs:UntagResource",
            ],
            vec![a.log_group.clone()],
        ),
        allow(
            "DeadLetterQueue",
            &[
                "sqs:CreateQueue",
                "sqs:DeleteQueue",
                "sqs:GetQueueAttributes",
                "sqs:GetQueueUrl",
                "sqs:ListQueueTags",
                "sqs:SetQueueAttributes",
                "sqs:TagQueue",
                "sqs:UntagQueue",
            ],
            vec![a.queue.clone()],
        ),
        allow(
            "JobFunction",
            &[
                "lambda:CreateFunction",
                "lambda:DeleteFunction",
                "lambda:DeleteFunctionConcurrency",
                "lambda:DeleteFunctionEventInvokeConfig",
                "lambda:GetFunction",
                "lambda:GetFunctionCodeSigningConfig",
                "lambda:GetFunctionEventInvokeConfig",
                "lambda:GetFunctionRecursionConfig",
                "lambda:GetRuntimeManagementConfig",
                "lambda:ListTags",
                "lambda:PutFunctionConcurrency",
                "lambda:PutFunctionEventInvokeConfig",
                "lambda:TagResource",
                "lambda:UntagResource",
                "lambda:UpdateFunctionCode",
                "lambda:UpdateFunctionConfiguration",
                "lambda:UpdateFunctionEventInvokeConfig",
            ],
            vec![a.function.clone()],
        ),
        // Lambda checks that whoever creates an image function may pull the image.
        allow(
            "PullTheImage",
            &[
                "ecr:BatchGetImage",
                "ecr:GetDownloadUrlForLayer",
                "ecr:GetRepositoryPolicy",
                "ecr:SetRepositoryPolicy",
            ],
            vec![a.repository.clone()],
        ),
        when(
            allow(
                "StackRolesOnlyWithTheBoundary",
                &BOUNDED_ROLE_ACTIONS,
                vec![a.stack_roles.clone()],
            ),
            "StringEquals",
            "iam:PermissionsBoundary",
            boundary,
        ),
        allow(
            "ReadTagAndDeleteStackRoles",
            &[
                "iam:DeleteRole",
                "iam:GetRole",
                "iam:GetRolePolicy",
                "iam:ListAttachedRolePolicies",
                "iam:ListRolePolicies",
                "iam:TagRole",
                "iam:UntagRole",
                "iam:UpdateRoleDescription",
            ],
            vec![a.stack_roles.clone()],
        ),
        when(
            allow(
                "PassStackRolesToTheirServices",
                &["iam:PassRole"],
                vec![a.stack_roles.clone()],
            ),
            "StringEquals",
            "iam:PassedToService",
            Expr::list([
                "lambda.amazonaws.com".into(),
                "scheduler.amazonaws.com".into(),
                "states.amazonaws.com".into(),
            ]),
        ),
        allow(
            "FanOutStateMachine",
            &[
                "states:CreateStateMachine",
                "states:DeleteStateMachine",
                "states:DescribeStateMachine",
                "states:ListTagsForResource",
                "states:TagResource",
                "states:UntagResource",
                "states:UpdateStateMachine",
            ],
            vec![a.state_machine.clone()],
        ),
        allow(
            "Schedules",
            &[
                "scheduler:CreateSchedule",
                "scheduler:DeleteSchedule",
                "scheduler:GetSchedule",
                "scheduler:UpdateSchedule",
            ],
            vec![a.schedule.clone()],
        ),
        allow(
            "AlarmTopic",
            &[
                "sns:CreateTopic",
                "sns:DeleteTopic",
                "sns:GetSubscriptionAttributes",
                "sns:GetTopicAttributes",
                "sns:ListSubscriptionsByTopic",
                "sns:ListTagsForResource",
                "sns:SetTopicAttributes",
                "sns:Subscribe",
                "sns:TagResource",
                "sns:Unsubscribe",
                "sns:UntagResource",
            ],
            vec![a.topic.clone()],
        ),
        allow(
            "Alarms",
            &[
                "cloudwatch:DeleteAlarms",
                "cloudwatch:DescribeAlarms",
                "cloudwatch:ListTagsForResource",
                "cloudwatch:PutMetricAlarm",
                "cloudwatch:TagResource",
                "cloudwatch:UntagResource",
            ],
            vec![a.alarm.clone()],
        ),
        allow(
            "Dashboard",
            &[
                "cloudwatch:DeleteDashboards",
                "cloudwatch:GetDashboard",
                "cloudwatch:PutDashboard",
            ],
            vec![a.dashboard.clone()],
        ),
        // Creating the fan-out's machine with logging sets up CloudWatch Logs' log delivery.
        allow(
            "FanOutExecutionLogs",
            &main_stack::LOG_DELIVERY_ACTIONS,
            vec!["*".into()],
        ),
        // Distribution ids are random: a new one can be named only as distribution/*,
        // tagged in the same request as this stack's.
        allow(
            "CreateDistribution",
            &["cloudfront:CreateDistribution"],
            vec![a.distributions.clone()],
        ),
        when(
            allow(
                "TagNewDistributionAsThisStacks",
                &["cloudfront:TagResource"],
                vec![a.distributions.clone()],
            ),
            "StringEquals",
            "aws:RequestTag/aws:cloudformation:stack-name",
            a.main_stack_name.clone(),
        ),
        // An existing one only when CloudFormation tagged it as this stack's (`aws:` tags
        // cannot be set by anyone else).
        when(
            allow(
                "OnlyThisStacksDistribution",
                &[
                    "cloudfront:DeleteDistribution",
                    "cloudfront:GetDistribution",
                    "cloudfront:GetDistributionConfig",
                    "cloudfront:ListTagsForResource",
                    "cloudfront:TagResource",
                    "cloudfront:UntagResource",
                    "cloudfront:UpdateDistribution",
                ],
                vec![a.distributions.clone()],
            ),
            "StringEquals",
            "aws:ResourceTag/aws:cloudformation:stack-name",
            a.main_stack_name.clone(),
        ),
        // Origin access controls carry no tags; their ids are random too.
        allow(
            "OriginAccessControl",
            &[
                "cloudfront:CreateOriginAccessControl",
                "cloudfront:DeleteOriginAccessControl",
                "cloudfront:GetOriginAccessControl",
                "cloudfront:UpdateOriginAccessControl",
            ],
            vec![a.origin_access_controls.clone()],
        ),
        // Response headers policies carry no tags either.
        allow(
            "ResponseHeadersPolicy",
            &[
                "cloudfront:CreateResponseHeadersPolicy",
                "cloudfront:DeleteResponseHeadersPolicy",
                "cloudfront:GetResponseHeadersPolicy",
                "cloudfront:UpdateResponseHeadersPolicy",
            ],
            vec![a.response_headers_policies.clone()],
        ),
    ]
}

/// The resource types the main stack may contain: a change set with any other type is
/// refused (`cloudformation:ResourceTypes`), so no template can bring a custom resource, a
/// nested stack or an IAM user.
pub fn main_stack_resource_types() -> Vec<String> {
    let template = main_stack::template().to_value();
    let types: BTreeSet<String> = template["Resources"]
        .as_mapping()
        .into_iter()
        .flatten()
        .filter_map(|(_, r)| r["Type"].as_str().map(str::to_owned))
        .collect();
    types.into_iter().collect()
}

/// The deployer on every stage: change sets on its stack through the service role, the
/// bootstrap stack's outputs, its image repository, and the reads of `invoke`, `logs`,
/// `status` and `drift`.
fn deployer_statements<'t>(a: &Arns<'t>, cfn_exec: Expr<'t>) -> Vec<Statement<'t>> {
    let types = Expr::list(main_stack_resource_types().into_iter().map(Expr::from));
    let create = when(
        when(
            allow(
                "ChangeSetsOnlyThroughTheServiceRole",
                &["cloudformation:CreateChangeSet"],
                vec![a.main_stack.clone()],
            ),
            "StringEquals",
            "cloudformation:RoleArn",
            cfn_exec.clone(),
        ),
        "ForAllValues:StringEquals",
        "cloudformation:ResourceTypes",
        types,
    );
    vec![
        create,
        allow(
            "OwnStack",
            &[
                "cloudformation:DeleteChangeSet",
                "cloudformation:DescribeChangeSet",
                "cloudformation:DescribeStackDriftDetectionStatus",
                "cloudformation:DescribeStackEvents",
                "cloudformation:DescribeStackResourceDrifts",
                "cloudformation:DescribeStacks",
                "cloudformation:DetectStackDrift",
                "cloudformation:ExecuteChangeSet",
                "cloudformation:ListStackResources",
            ],
            vec![a.main_stack.clone()],
        ),
        allow(
            "BootstrapOutputs",
            &["cloudformation:DescribeStacks"],
            vec![a.bootstrap_stack.clone()],
        ),
        when(
            allow(
                "PassOnlyTheServiceRoleToCloudFormation",
                &["iam:PassRole"],
                vec![cfn_exec],
            ),
            "StringEquals",
            "iam:PassedToService",
            "cloudformation.amazonaws.com".into(),
        ),
        allow(
            "EcrLoginHasNoResource",
            &["ecr:GetAuthorizationToken"],
            vec!["*".into()],
        ),
        allow(
            "PushToOwnRepository",
            &[
                "ecr:BatchCheckLayerAvailability",
                "ecr:BatchGetImage",
                "ecr:CompleteLayerUpload",
                "ecr:CreateRepository",
                "ecr:DescribeImages",
                "ecr:DescribeRepositories",
                "ecr:GetDownloadUrlForLayer",
                "ecr:GetLifecyclePolicy",
                "ecr:InitiateLayerUpload",
                "ecr:PutImage",
                "ecr:PutImageScanningConfiguration",
                "ecr:PutImageTagMutability",
                "ecr:PutLifecyclePolicy",
                "ecr:UploadLayerPart",
            ],
            vec![a.repository.clone()],
        ),
        allow(
            "Invoke",
            &["lambda:InvokeFunction"],
            vec![a.function.clone()],
        ),
        allow(
            "Logs",
            &["logs:DescribeLogGroups", "logs:FilterLogEvents"],
            vec![a.log_group.clone()],
        ),
        allow(
            "StatusQueue",
            &["sqs:GetQueueAttributes"],
            vec![a.queue.clone()],
        ),
        allow(
            "StatusAlarms",
            &["cloudwatch:DescribeAlarms"],
            vec![a.alarm.clone()],
        ),
        allow(
            "StatusSchedules",
            &["scheduler:GetSchedule"],
            vec![a.schedule.clone()],
        ),
        // A fan-out stage: `invoke` starts an execution and waits, `status` reads them and
        // the latest one's map run (ListMapRuns is authorized on the execution).
        allow(
            "FanOutRuns",
            &["states:ListExecutions", "states:StartExecution"],
            vec![a.state_machine.clone()],
        ),
        allow(
            "FanOutRunStatus",
            &["states:DescribeExecution", "states:ListMapRuns"],
            vec![a.fan_out_runs.clone()],
        ),
        allow(
            "FanOutMapRunCounts",
            &["states:DescribeMapRun"],
            vec![a.map_runs.clone()],
        ),
    ]
}

/// Teardown and rebuild (never on a production stage): delete the stack (CloudFormation
/// deletes through the service role), empty the charts bucket, delete the image repository,
/// check each resource is gone, and the rebuild's smoke check.
fn teardown_statements<'t>(a: &Arns<'t>) -> Vec<Statement<'t>> {
    vec![
        allow(
            "DeleteOwnStack",
            &["cloudformation:DeleteStack"],
            vec![a.main_stack.clone()],
        ),
        allow(
            "EmptyAndCheckTheChartsBucket",
            &["s3:ListBucket", "s3:ListBucketVersions"],
            vec![a.charts_bucket.clone()],
        ),
        allow(
            "DeleteChartsAndTheirVersions",
            &["s3:DeleteObject", "s3:DeleteObjectVersion", "s3:GetObject"],
            vec![a.charts_objects.clone()],
        ),
        allow(
            "DeleteOwnRepository",
            &["ecr:DeleteRepository"],
            vec![a.repository.clone()],
        ),
        allow(
            "CheckFunction",
            &["lambda:GetFunction", "lambda:GetFunctionEventInvokeConfig"],
            vec![a.function.clone()],
        ),
        allow("CheckRoles", &["iam:GetRole"], vec![a.stack_roles.clone()]),
        allow(
            "CheckSchedule",
            &["scheduler:GetSchedule"],
            vec![a.schedule.clone()],
        ),
        allow(
            "CheckStateMachine",
            &["states:DescribeStateMachine"],
            vec![a.state_machine.clone()],
        ),
        allow(
            "CheckTopic",
            &["sns:GetTopicAttributes"],
            vec![a.topic.clone()],
        ),
        // Cloud Control reads a dashboard with the type's own read permission.
        allow(
            "CheckDashboard",
            &["cloudwatch:GetDashboard"],
            vec![a.dashboard.clone()],
        ),
        allow(
            "CheckCloudFront",
            &[
                "cloudfront:GetDistribution",
                "cloudfront:GetOriginAccessControl",
                "cloudfront:GetResponseHeadersPolicy",
            ],
            vec![
                a.distributions.clone(),
                a.origin_access_controls.clone(),
                a.response_headers_policies.clone(),
            ],
        ),
        allow(
            "CloudControlReadsHaveNoResource",
            &["cloudformation:GetResource"],
            vec!["*".into()],
        ),
    ]
}

// ---- the generated spec/deployer-policy.json ----------------------------------------------

/// The generated policy file, relative to the project root.
pub const POLICY_PATH: &str = "spec/deployer-policy.json";

/// `spec/deployer-policy.json`: the deployer's trust and permission policies and those of
/// the service role and the boundary, read off the bootstrap template, with CloudFormation
/// expressions written as `${Name}` placeholders.
pub fn policy_file() -> String {
    let t = template().to_value();
    let props = |id: &str| t["Resources"][id]["Properties"].clone();
    let deployer = props(ids::DEPLOYER_ROLE);
    let cfn_exec = props(ids::CFN_EXEC_ROLE);
    let doc = json!({
        "Comment": [
            "Generated by `cargo xtask synth` from xtask/stacks/src/bootstrap_stack.rs (the stack templates/bootstrap.yaml). Do not edit.",
            "The roles of one stage, made by `cargo xtask bootstrap --stage <Stage>`; ${Name} is a parameter of the bootstrap stack, an AWS pseudo parameter, or the ARN of a bootstrap resource.",
            "DeployerPolicy applies on every stage; DeployerTeardownPolicy only where Production is false."
        ],
        "DeployerTrustPolicy": flatten(&deployer["AssumeRolePolicyDocument"]),
        "DeployerPolicy": flatten(&deployer["Policies"][0]["PolicyDocument"]),
        "DeployerTeardownPolicy": flatten(&props(ids::DEPLOYER_TEARDOWN_POLICY)["PolicyDocument"]),
        "CfnExecPolicy": flatten(&cfn_exec["Policies"][0]["PolicyDocument"]),
        "PermissionsBoundary": flatten(&props(ids::BOUNDARY)["PolicyDocument"]),
    });
    format!(
        "{}\n",
        serde_json::to_string_pretty(&doc).expect("JSON always serializes")
    )
}

/// A template value as IAM JSON: `Fn::Sub` text as it is, `Ref X` as `${X}`, `Fn::GetAtt`
/// as `${X.Attr}`, `Fn::If` as its first branch (the provider ARN).
pub fn flatten(v: &Value) -> Json {
    match v {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Number(n) => serde_json::to_value(n).unwrap_or(Json::Null),
        Value::String(s) => Json::String(s.clone()),
        Value::Sequence(items) => Json::Array(items.iter().map(flatten).collect()),
        Value::Mapping(m) => {
            if m.len() == 1 {
                let (k, arg) = m.iter().next().expect("one entry");
                match k.as_str() {
                    Some("Ref") => {
                        return Json::String(format!("${{{}}}", arg.as_str().unwrap_or("?")))
                    }
                    Some("Fn::GetAtt") => {
                        let parts: Vec<&str> = arg
                            .as_sequence()
                            .into_iter()
                            .flatten()
                            .filter_map(|p| p.as_str())
                            .collect();
                        return Json::String(format!("${{{}}}", parts.join(".")));
                    }
                    Some("Fn::Sub") if arg.is_string() => return flatten(arg),
                    Some("Fn::If") => {
                        // Both branches name the same provider; show the one that always holds.
                        return flatten(&arg[2]);
                    }
                    _ => {}
                }
            }
            Json::Object(
                m.iter()
                    .map(|(k, v)| (k.as_str().unwrap_or("?").to_owned(), flatten(v)))
                    .collect(),
            )
        }
        Value::Tagged(t) => flatten(&t.value),
    }
}
