//! The production stack's promises, read off the synthesized template: least privilege, a
//! private bucket that only this distribution reads, CORS only for the configured origins, a
//! custom domain only when asked, schedules that cannot lose a run silently, failed runs
//! kept with their error, alarms on bad data, and a function environment that is exactly
//! what the job reads.

use std::collections::BTreeSet;

use contract::{defaults, env, files};
use serde_yaml::Value;
use xtask_stacks::main_stack::{self as stack, ids, params};

fn template() -> Value {
    stack::template().to_value()
}

fn resource<'a>(t: &'a Value, id: &str) -> &'a Value {
    let r = &t["Resources"][id];
    assert!(r.is_mapping(), "resource {id} is missing");
    r
}

fn props<'a>(t: &'a Value, id: &str) -> &'a Value {
    &resource(t, id)["Properties"]
}

fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Sequence(items) => items.iter().flat_map(strings).collect(),
        _ => Vec::new(),
    }
}

/// Every policy statement in the template, with the logical id it belongs to.
fn statements(t: &Value) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for (id, r) in t["Resources"].as_mapping().unwrap() {
        let id = id.as_str().unwrap().to_owned();
        let p = &r["Properties"];
        let mut docs = vec![&p["PolicyDocument"], &p["AssumeRolePolicyDocument"]];
        docs.extend(
            p["Policies"]
                .as_sequence()
                .into_iter()
                .flatten()
                .map(|policy| &policy["PolicyDocument"]),
        );
        for doc in docs {
            for s in doc["Statement"].as_sequence().into_iter().flatten() {
                out.push((id.clone(), s.clone()));
            }
        }
    }
    out
}

/// Resolves an expression to text the way CloudFormation would with every parameter at its
/// default: parameters without a default, resources and pseudo parameters stay as `<Name>`.
fn resolve(t: &Value, v: &Value) -> String {
    let name = |n: &str| -> String {
        match t["Parameters"][n]["Default"].clone() {
            Value::String(s) => s,
            Value::Number(n) => n.to_string(),
            _ => format!("<{n}>"),
        }
    };
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Mapping(m) if m.len() == 1 => {
            let (k, arg) = m.iter().next().unwrap();
            match k.as_str().unwrap() {
                "Ref" => name(arg.as_str().unwrap()),
                "Fn::GetAtt" => format!("<{}>", strings(arg).join(".")),
                "Fn::Sub" => {
                    let (text, vars) = match arg {
                        Value::String(s) => (s.clone(), None),
                        Value::Sequence(a) => (a[0].as_str().unwrap().to_owned(), Some(&a[1])),
                        _ => panic!("bad Fn::Sub {arg:?}"),
                    };
                    let mut out = String::new();
                    let mut rest = text.as_str();
                    while let Some(start) = rest.find("${") {
                        out.push_str(&rest[..start]);
                        let end = rest[start..].find('}').unwrap() + start;
                        let var = &rest[start + 2..end];
                        if let Some(literal) = var.strip_prefix('!') {
                            out.push_str(&format!("${{{literal}}}"));
                        } else if let Some(value) = vars.and_then(|m| m.get(var)) {
                            out.push_str(&resolve(t, value));
                        } else if var.contains('.') {
                            out.push_str(&format!("<{var}>"));
                        } else {
                            out.push_str(&name(var));
                        }
                        rest = &rest[end + 1..];
                    }
                    out.push_str(rest);
                    out
                }
                "Fn::If" => {
                    let branch = if holds(t, arg[0].as_str().unwrap()) {
                        &arg[1]
                    } else {
                        &arg[2]
                    };
                    resolve(t, branch)
                }
                other => panic!("resolve does not know {other}"),
            }
        }
        other => panic!("cannot resolve {other:?}"),
    }
}

/// The function's variables with every parameter at its default (no `ChartStyle`).
fn variables(t: &Value) -> &Value {
    let choice = &props(t, ids::JOB_FUNCTION)["Environment"]["Variables"]["Fn::If"];
    assert_eq!(choice[0], ids::HAS_CHART_STYLE);
    &choice[if holds(t, ids::HAS_CHART_STYLE) { 1 } else { 2 }]
}

/// Whether condition `name` holds with every parameter at its default.
fn holds(t: &Value, name: &str) -> bool {
    fn truth(t: &Value, c: &Value) -> bool {
        let (k, arg) = c.as_mapping().unwrap().iter().next().unwrap();
        match k.as_str().unwrap() {
            "Fn::Equals" => resolve(t, &arg[0]) == resolve(t, &arg[1]),
            "Fn::Not" => !truth(t, &arg[0]),
            "Fn::And" => arg.as_sequence().unwrap().iter().all(|c| truth(t, c)),
            other => panic!("holds does not know {other}"),
        }
    }
    truth(t, &t["Conditions"][name])
}

#[test]
fn no_allow_statement_has_a_wildcard_action_or_resource() {
    let t = template();
    let all = statements(&t);
    assert!(
        all.len() >= 10,
        "expected the stack's statements, found {}",
        all.len()
    );
    for (id, s) in all.iter().filter(|(_, s)| s["Effect"] == "Allow") {
        let actions = strings(&s["Action"]);
        for action in &actions {
            assert!(
                !action.contains('*'),
                "{id}: Allow of wildcard action {action}"
            );
        }
        for resource in s["Resource"].as_sequence().into_iter().flatten() {
            let r = resolve(&t, resource);
            // Only APIs that take no resource (CloudWatch Logs' log delivery) may have "*".
            let resourceless = actions
                .iter()
                .all(|a| stack::LOG_DELIVERY_ACTIONS.contains(&a.as_str()));
            assert!(
                (r != "*" || resourceless) && !r.ends_with(":*:*"),
                "{id}: Allow of {actions:?} on {r}"
            );
        }
    }
}

#[test]
fn the_only_denies_refuse_plain_http_to_the_bucket_the_queue_and_the_topic() {
    let t = template();
    let denies: Vec<_> = statements(&t)
        .into_iter()
        .filter(|(_, s)| s["Effect"] == "Deny")
        .collect();
    let by_policy: Vec<(&str, Vec<String>, BTreeSet<String>)> = denies
        .iter()
        .map(|(id, s)| {
            assert_eq!(s["Principal"], "*", "{id}");
            assert_eq!(
                s["Condition"]["Bool"]["aws:SecureTransport"], "false",
                "{id}"
            );
            let resources = s["Resource"]
                .as_sequence()
                .unwrap()
                .iter()
                .map(|r| resolve(&t, r))
                .collect();
            (id.as_str(), strings(&s["Action"]), resources)
        })
        .collect();
    assert_eq!(
        by_policy,
        [
            (
                ids::CHARTS_BUCKET_POLICY,
                vec!["s3:*".to_owned()],
                BTreeSet::from(["<ChartsBucket.Arn>".into(), "<ChartsBucket.Arn>/*".into()])
            ),
            (
                ids::DEAD_LETTER_QUEUE_POLICY,
                vec!["sqs:*".to_owned()],
                BTreeSet::from(["<DeadLetterQueue.Arn>".into()])
            ),
            (
                ids::ALARM_TOPIC_POLICY,
                vec!["sns:Publish".to_owned()],
                BTreeSet::from(["<AlarmTopic>".into()])
            ),
        ]
    );
    // Each policy is the queue's and the topic's own, and the topic's exists with it.
    let queues = &props(&t, ids::DEAD_LETTER_QUEUE_POLICY)["Queues"];
    assert_eq!(queues[0]["Ref"], ids::DEAD_LETTER_QUEUE);
    let topic_policy = resource(&t, ids::ALARM_TOPIC_POLICY);
    assert_eq!(
        topic_policy["Properties"]["Topics"][0]["Ref"],
        ids::ALARM_TOPIC
    );
    assert_eq!(topic_policy["Condition"], ids::HAS_ALARM_EMAIL);
}

#[test]
fn only_this_accounts_alarms_may_publish_to_the_topic() {
    let t = template();
    let allows: Vec<_> = statements(&t)
        .into_iter()
        .filter(|(id, s)| id == ids::ALARM_TOPIC_POLICY && s["Effect"] == "Allow")
        .collect();
    assert_eq!(allows.len(), 1);
    let s = &allows[0].1;
    assert_eq!(s["Principal"]["Service"], "cloudwatch.amazonaws.com");
    assert_eq!(strings(&s["Action"]), ["sns:Publish"]);
    assert_eq!(
        resolve(&t, &s["Condition"]["StringEquals"]["aws:SourceAccount"]),
        "<AWS::AccountId>"
    );
}

#[test]
fn bucket_policy_lets_only_this_distribution_read_only_the_charts_prefix() {
    let t = template();
    let policy = props(&t, ids::CHARTS_BUCKET_POLICY);
    assert_eq!(policy["Bucket"]["Ref"], ids::CHARTS_BUCKET);
    let allows: Vec<_> = policy["PolicyDocument"]["Statement"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter(|s| s["Effect"] == "Allow")
        .collect();
    assert_eq!(allows.len(), 1);
    let s = allows[0];
    assert_eq!(s["Principal"]["Service"], "cloudfront.amazonaws.com");
    assert_eq!(strings(&s["Action"]), ["s3:GetObject"]);
    assert_eq!(
        resolve(&t, &s["Resource"][0]),
        format!("<ChartsBucket.Arn>/{}*", files::DEFAULT_CHARTS_PREFIX)
    );
    let source_arn = &s["Condition"]["StringEquals"]["AWS:SourceArn"];
    assert_eq!(
        resolve(&t, source_arn),
        format!(
            "arn:<AWS::Partition>:cloudfront::<AWS::AccountId>:distribution/<{}>",
            ids::DISTRIBUTION
        )
    );
}

#[test]
fn charts_bucket_is_private_encrypted_owner_enforced_and_versioned() {
    let t = template();
    let b = props(&t, ids::CHARTS_BUCKET);
    for switch in [
        "BlockPublicAcls",
        "BlockPublicPolicy",
        "IgnorePublicAcls",
        "RestrictPublicBuckets",
    ] {
        assert_eq!(
            b["PublicAccessBlockConfiguration"][switch], true,
            "{switch}"
        );
    }
    assert_eq!(
        b["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
            ["ServerSideEncryptionByDefault"]["SSEAlgorithm"],
        "AES256"
    );
    assert_eq!(
        b["OwnershipControls"]["Rules"][0]["ObjectOwnership"],
        "BucketOwnerEnforced"
    );
    assert_eq!(b["VersioningConfiguration"]["Status"], "Enabled");
    let rule = &b["LifecycleConfiguration"]["Rules"][0];
    assert_eq!(rule["Status"], "Enabled");
    assert!(rule["NoncurrentVersionExpiration"]["NoncurrentDays"].is_number());
}

#[test]
fn cloudfront_reads_the_bucket_through_origin_access_control_over_https() {
    let t = template();
    let d = &props(&t, ids::DISTRIBUTION)["DistributionConfig"];
    let origin = &d["Origins"][0];
    assert_eq!(
        origin["OriginAccessControlId"]["Fn::GetAtt"][0],
        ids::ORIGIN_ACCESS_CONTROL
    );
    assert_eq!(
        resolve(&t, &origin["DomainName"]),
        "<ChartsBucket.RegionalDomainName>"
    );
    let behavior = &d["DefaultCacheBehavior"];
    assert_eq!(
        behavior["ResponseHeadersPolicyId"]["Ref"],
        ids::RESPONSE_HEADERS_POLICY
    );
    assert_eq!(behavior["ViewerProtocolPolicy"], "redirect-to-https");
    assert_eq!(behavior["TargetOriginId"], origin["Id"]);
    assert_eq!(behavior["Compress"], true);
    assert_eq!(d["HttpVersion"], "http2and3");
    let oac = &props(&t, ids::ORIGIN_ACCESS_CONTROL)["OriginAccessControlConfig"];
    assert_eq!(oac["SigningBehavior"], "always");
    assert_eq!(oac["OriginAccessControlOriginType"], "s3");
}

#[test]
fn function_environment_names_are_exactly_the_jobs_constants_in_order() {
    let t = template();
    let choice = &props(&t, ids::JOB_FUNCTION)["Environment"]["Variables"]["Fn::If"];
    let names = |vars: &Value| -> Vec<String> {
        vars.as_mapping()
            .unwrap()
            .keys()
            .map(|k| k.as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(names(&choice[2]), env::SET_BY_STACK);
    let expected: Vec<&str> = env::SET_BY_STACK
        .into_iter()
        .chain(env::SET_BY_STACK_WHEN_GIVEN)
        .collect();
    assert_eq!(names(&choice[1]), expected);
    // Apart from the style, both sets are the same.
    for name in env::SET_BY_STACK {
        assert_eq!(choice[1][name], choice[2][name], "{name}");
    }
}

#[test]
fn chart_style_reaches_the_function_only_when_given() {
    let t = template();
    let parameter = &t["Parameters"][params::CHART_STYLE];
    assert_eq!(parameter["Type"], "String");
    assert_eq!(parameter["Default"], "");
    assert_eq!(parameter["MaxLength"], 4096);
    let choice = &props(&t, ids::JOB_FUNCTION)["Environment"]["Variables"]["Fn::If"];
    assert_eq!(choice[0], ids::HAS_CHART_STYLE);
    assert_eq!(choice[1][env::CHART_STYLE]["Ref"], params::CHART_STYLE);
    assert!(choice[2][env::CHART_STYLE].is_null());
    let condition = &t["Conditions"][ids::HAS_CHART_STYLE]["Fn::Not"][0]["Fn::Equals"];
    assert_eq!(condition[0]["Ref"], params::CHART_STYLE);
    assert_eq!(condition[1], "");
    assert!(
        !holds(&t, ids::HAS_CHART_STYLE),
        "the default is the built-in style"
    );
}

#[test]
fn function_environment_at_parameter_defaults_is_what_the_job_expects() {
    let t = template();
    let vars = &variables(&t);
    let value = |name: &str| resolve(&t, &vars[name]);
    assert_eq!(
        value(env::SOURCE_BUCKET),
        format!("<{}>", params::SOURCE_BUCKET)
    );
    assert_eq!(
        value(env::POSTS_KEY),
        format!("{}{}", files::EXPORT_PREFIX, files::POSTS_FILE)
    );
    assert_eq!(
        value(env::AUTHORS_KEY),
        format!("{}{}", files::EXPORT_PREFIX, files::AUTHORS_FILE)
    );
    assert_eq!(
        value(env::CHARTS_BUCKET),
        format!("<{}>", ids::CHARTS_BUCKET)
    );
    assert_eq!(value(env::CHARTS_PREFIX), files::DEFAULT_CHARTS_PREFIX);
    assert_eq!(value(env::CHART_TIME_ZONE), defaults::TIME_ZONE);
    assert_eq!(value(env::ACTIVE_DAYS), defaults::ACTIVE_DAYS.to_string());
    assert_eq!(
        value(env::UPLOAD_CONCURRENCY),
        defaults::UPLOAD_CONCURRENCY.to_string()
    );
    assert_eq!(
        value(env::DISTRIBUTION_ID),
        format!("<{}>", ids::DISTRIBUTION)
    );
    // Every value is a string, as Lambda requires.
    for name in env::SET_BY_STACK {
        assert!(!vars[name].is_number(), "{name} must be a string");
    }
}

#[test]
fn job_role_reaches_exactly_the_source_keys_the_charts_prefix_and_the_run_files_in_s3() {
    let t = template();
    let vars = &variables(&t);
    let (source, posts, authors, prefix) = (
        resolve(&t, &vars[env::SOURCE_BUCKET]),
        resolve(&t, &vars[env::POSTS_KEY]),
        resolve(&t, &vars[env::AUTHORS_KEY]),
        resolve(&t, &vars[env::CHARTS_PREFIX]),
    );
    let mut s3: BTreeSet<(String, String, String)> = BTreeSet::new();
    for (id, s) in statements(&t) {
        if id != ids::JOB_ROLE || s["Principal"].is_mapping() {
            continue;
        }
        for action in strings(&s["Action"])
            .iter()
            .filter(|a| a.starts_with("s3:"))
        {
            for r in s["Resource"].as_sequence().unwrap() {
                let condition = resolve_prefix_condition(&t, &s);
                s3.insert((action.clone(), resolve(&t, r), condition));
            }
        }
    }
    let bucket = "<ChartsBucket.Arn>".to_owned();
    let expected = BTreeSet::from([
        (
            "s3:GetObject".into(),
            format!("arn:<AWS::Partition>:s3:::{source}/{posts}"),
            String::new(),
        ),
        (
            "s3:GetObject".into(),
            format!("arn:<AWS::Partition>:s3:::{source}/{authors}"),
            String::new(),
        ),
        ("s3:ListBucket".into(), bucket.clone(), String::new()),
        (
            "s3:GetObject".into(),
            format!("{bucket}/{prefix}*"),
            String::new(),
        ),
        (
            "s3:PutObject".into(),
            format!("{bucket}/{prefix}*"),
            String::new(),
        ),
        (
            "s3:DeleteObject".into(),
            format!("{bucket}/{prefix}*"),
            String::new(),
        ),
    ]);
    // And the fan-out's working files, beside the prefix (data-spec §9).
    let runs = format!("{bucket}/{}*", files::RUNS_PREFIX);
    let mut expected = expected;
    for action in ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"] {
        expected.insert((action.into(), runs.clone(), String::new()));
    }
    assert_eq!(s3, expected);
}

/// The `s3:prefix` a ListBucket statement is limited to, or "".
fn resolve_prefix_condition(t: &Value, s: &Value) -> String {
    let prefix = &s["Condition"]["StringLike"]["s3:prefix"];
    match prefix.as_sequence() {
        Some(v) => v
            .iter()
            .map(|p| resolve(t, p))
            .collect::<Vec<_>>()
            .join(","),
        None if prefix.is_null() => String::new(),
        None => resolve(t, prefix),
    }
}

#[test]
fn job_role_writes_only_its_own_log_group_and_dead_letter_queue_and_invalidates_only_its_distribution(
) {
    let t = template();
    let others: BTreeSet<(String, String)> = statements(&t)
        .into_iter()
        .filter(|(id, s)| id == ids::JOB_ROLE && !s["Principal"].is_mapping())
        .flat_map(|(_, s)| {
            let actions = strings(&s["Action"]);
            let resources: Vec<String> = s["Resource"]
                .as_sequence()
                .unwrap()
                .iter()
                .map(|r| resolve(&t, r))
                .collect();
            actions
                .into_iter()
                .filter(|a| !a.starts_with("s3:"))
                .flat_map(move |a| resources.clone().into_iter().map(move |r| (a.clone(), r)))
        })
        .collect();
    let log_group = format!("<{}.Arn>", ids::JOB_LOG_GROUP);
    assert_eq!(
        others,
        BTreeSet::from([
            ("logs:CreateLogStream".into(), log_group.clone()),
            ("logs:PutLogEvents".into(), log_group),
            (
                "sqs:SendMessage".into(),
                format!("<{}.Arn>", ids::DEAD_LETTER_QUEUE)
            ),
            (
                "cloudfront:CreateInvalidation".into(),
                format!(
                    "arn:<AWS::Partition>:cloudfront::<AWS::AccountId>:distribution/<{}>",
                    ids::DISTRIBUTION
                )
            ),
        ])
    );
    let f = props(&t, ids::JOB_FUNCTION);
    assert_eq!(f["LoggingConfig"]["LogGroup"]["Ref"], ids::JOB_LOG_GROUP);
    assert_eq!(f["LoggingConfig"]["LogFormat"], "JSON");
}

#[test]
fn function_is_a_digest_pinned_image_that_runs_one_at_a_time() {
    let t = template();
    let f = props(&t, ids::JOB_FUNCTION);
    assert_eq!(f["PackageType"], "Image");
    assert_eq!(f["Code"]["ImageUri"]["Ref"], params::IMAGE_URI);
    assert_eq!(f["ReservedConcurrentExecutions"], 1);
    assert_eq!(f["Timeout"], 900);
    assert_eq!(f["Architectures"][0]["Ref"], params::ARCHITECTURE);
    let pattern = t["Parameters"][params::IMAGE_URI]["AllowedPattern"]
        .as_str()
        .unwrap();
    assert!(pattern.ends_with("@sha256:[0-9a-f]{64}$"), "{pattern}");
}

#[test]
fn the_daily_schedule_sends_the_window_changed_with_retries_and_a_dead_letter_queue() {
    let t = template();
    let s = props(&t, ids::DAILY_SCHEDULE);
    assert_eq!(s["ScheduleExpression"]["Ref"], params::SCHEDULE_EXPRESSION);
    assert_eq!(
        s["ScheduleExpressionTimezone"]["Ref"],
        params::SCHEDULE_TIME_ZONE
    );
    assert_eq!(
        resolve(&t, &t["Parameters"][params::SCHEDULE_EXPRESSION]["Default"]),
        "cron(45 17 * * ? *)"
    );
    let target = &s["Target"];
    // The function, or with FanOut=true the state machine.
    let arn = &target["Arn"]["Fn::If"];
    assert_eq!(arn[0], ids::FAN_OUT_ON);
    assert_eq!(
        resolve(&t, &arn[1]),
        "arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:stateMachine:<AWS::StackName>-fan-out"
    );
    assert_eq!(arn[2]["Fn::GetAtt"][0], ids::JOB_FUNCTION);
    assert_eq!(
        target["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0],
        ids::DEAD_LETTER_QUEUE
    );
    assert!(
        target["RetryPolicy"]["MaximumRetryAttempts"]
            .as_u64()
            .unwrap()
            > 0
    );
    assert!(target["RetryPolicy"]["MaximumEventAgeInSeconds"].is_number());
    let input: serde_json::Value = serde_json::from_str(&resolve(&t, &target["Input"])).unwrap();
    assert_eq!(
        input,
        serde_json::json!({ "changed": true, "trigger": "schedule" })
    );
    // The job reads exactly that event.
    let event = author_stats::aws::lambda::Event::from_payload(input).unwrap();
    assert_eq!((event.changed, event.all), (Some(true), None));
}

#[test]
fn there_is_no_monthly_schedule_the_daily_changed_run_covers_the_new_month() {
    let t = template();
    let schedules: Vec<&str> = t["Resources"]
        .as_mapping()
        .unwrap()
        .iter()
        .filter(|(_, r)| r["Type"] == "AWS::Scheduler::Schedule")
        .filter_map(|(id, _)| id.as_str())
        .collect();
    assert_eq!(schedules, [ids::DAILY_SCHEDULE]);
    assert!(t["Outputs"].get("MonthlyScheduleName").is_none());
}

#[test]
fn failed_async_runs_are_retried_once_and_reach_the_queue_with_their_error() {
    let t = template();
    let config = resource(&t, ids::JOB_INVOKE_CONFIG);
    assert_eq!(config["Type"], "AWS::Lambda::EventInvokeConfig");
    let p = &config["Properties"];
    assert_eq!(p["FunctionName"]["Ref"], ids::JOB_FUNCTION);
    assert_eq!(p["Qualifier"], "$LATEST");
    assert_eq!(p["MaximumRetryAttempts"], stack::ASYNC_RETRY_ATTEMPTS);
    assert_eq!(
        p["MaximumEventAgeInSeconds"],
        stack::ASYNC_EVENT_AGE_SECONDS
    );
    assert_eq!(
        p["DestinationConfig"]["OnFailure"]["Destination"]["Fn::GetAtt"],
        serde_yaml::to_value([ids::DEAD_LETTER_QUEUE, "Arn"]).unwrap()
    );
    // The destination replaces the legacy dead-letter config (one message per failure),
    // and the role may send to that queue, and only there.
    let f = resource(&t, ids::JOB_FUNCTION);
    assert!(f["Properties"]["DeadLetterConfig"].is_null());
    let skips: Vec<&Value> = f["Metadata"]["checkov"]["skip"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|skip| &skip["id"])
        .collect();
    assert!(skips.contains(&&Value::from("CKV_AWS_116")), "{skips:?}");
    let sends: Vec<String> = statements(&t)
        .into_iter()
        .filter(|(id, s)| {
            id == ids::JOB_ROLE && strings(&s["Action"]).contains(&"sqs:SendMessage".to_owned())
        })
        .flat_map(|(_, s)| {
            s["Resource"]
                .as_sequence()
                .unwrap()
                .iter()
                .map(|r| resolve(&t, r))
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(sends, [format!("<{}.Arn>", ids::DEAD_LETTER_QUEUE)]);
}

#[test]
fn scheduler_role_may_only_invoke_this_function_or_start_its_fan_out_and_report_to_the_queue() {
    let t = template();
    assert_eq!(
        grants_of(&t, ids::SCHEDULER_ROLE, "scheduler.amazonaws.com"),
        BTreeSet::from([
            (
                "lambda:InvokeFunction".into(),
                format!("<{}.Arn>", ids::JOB_FUNCTION),
                String::new()
            ),
            (
                "sqs:SendMessage".into(),
                format!("<{}.Arn>", ids::DEAD_LETTER_QUEUE),
                String::new()
            ),
            (
                "states:StartExecution".into(),
                STATE_MACHINE_ARN.into(),
                String::new()
            ),
        ])
    );
}

/// (action, resource, `s3:prefix` condition) of every statement of `role`, whose trust
/// policy must admit only `service` from this account.
fn grants_of(t: &Value, role: &str, service: &str) -> BTreeSet<(String, String, String)> {
    let mut grants = BTreeSet::new();
    for (id, s) in statements(t) {
        if id != role {
            continue;
        }
        if let Some(trusted) = s["Principal"]["Service"].as_str() {
            assert_eq!(trusted, service);
            assert_eq!(
                resolve(t, &s["Condition"]["StringEquals"]["aws:SourceAccount"]),
                "<AWS::AccountId>"
            );
            continue;
        }
        for a in strings(&s["Action"]) {
            for r in s["Resource"].as_sequence().unwrap() {
                grants.insert((a.clone(), resolve(t, r), resolve_prefix_condition(t, &s)));
            }
        }
    }
    grants
}

/// The fan-out's state machine, by its fixed name.
const STATE_MACHINE_ARN: &str =
    "arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:stateMachine:<AWS::StackName>-fan-out";

#[test]
fn fan_out_is_off_by_default_and_its_machine_and_role_exist_only_under_its_condition() {
    let t = template();
    let fan_out = &t["Parameters"][params::FAN_OUT];
    assert_eq!(fan_out["Default"], "false");
    assert_eq!(strings(&fan_out["AllowedValues"]), ["false", "true"]);
    let on = &t["Conditions"][ids::FAN_OUT_ON]["Fn::Equals"];
    assert_eq!(on[0]["Ref"], params::FAN_OUT);
    assert_eq!(on[1], "true");
    for id in [
        ids::STATE_MACHINE,
        ids::FAN_OUT_ROLE,
        ids::FAN_OUT_LOG_GROUP,
    ] {
        assert_eq!(resource(&t, id)["Condition"], ids::FAN_OUT_ON, "{id}");
    }
    let m = props(&t, ids::STATE_MACHINE);
    assert_eq!(m["StateMachineType"], "STANDARD");
    assert_eq!(
        resolve(&t, &m["StateMachineName"]),
        "<AWS::StackName>-fan-out"
    );
    assert_eq!(m["RoleArn"]["Fn::GetAtt"][0], ids::FAN_OUT_ROLE);
    // The definition is the typed one, with the function and the concurrency substituted.
    assert_eq!(
        m["DefinitionString"].as_str().unwrap(),
        xtask_stacks::main_stack::state_machine::definition_json()
    );
    let subs = &m["DefinitionSubstitutions"];
    assert_eq!(subs["JobFunctionArn"]["Fn::GetAtt"][0], ids::JOB_FUNCTION);
    // The parameter, as text (resolved here at its default).
    assert_eq!(
        subs["MaxConcurrency"]["Fn::Sub"],
        format!("${{{}}}", params::FAN_OUT_CONCURRENCY)
    );
    assert_eq!(
        resolve(&t, &subs["MaxConcurrency"]),
        stack::FAN_OUT_CONCURRENCY.to_string()
    );
    let output = &t["Outputs"][stack::outputs::STATE_MACHINE_ARN];
    assert_eq!(output["Condition"], ids::FAN_OUT_ON);
}

#[test]
fn the_fan_out_role_may_start_only_its_own_machine_invoke_only_the_job_and_list_only_the_runs() {
    let t = template();
    let grants = grants_of(&t, ids::FAN_OUT_ROLE, "states.amazonaws.com");
    let executions = "arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:<AWS::StackName>-fan-out/*";
    assert_eq!(
        grants,
        BTreeSet::from([
            (
                "lambda:InvokeFunction".into(),
                format!("<{}.Arn>", ids::JOB_FUNCTION),
                String::new()
            ),
            (
                "states:StartExecution".into(),
                STATE_MACHINE_ARN.into(),
                String::new()
            ),
            (
                "states:DescribeExecution".into(),
                executions.into(),
                String::new()
            ),
            (
                "states:StopExecution".into(),
                executions.into(),
                String::new()
            ),
            (
                "s3:ListBucket".into(),
                "<ChartsBucket.Arn>".into(),
                format!("{}*", files::RUNS_PREFIX)
            ),
        ])
        .into_iter()
        .chain(stack::LOG_DELIVERY_ACTIONS.iter().map(|a| (
            a.to_string(),
            "*".into(),
            String::new()
        )))
        .collect()
    );
}

#[test]
fn the_fan_out_logs_every_event_to_its_own_retained_log_group() {
    let t = template();
    let logging = &props(&t, ids::STATE_MACHINE)["LoggingConfiguration"];
    assert_eq!(logging["Level"], "ALL");
    assert_eq!(logging["IncludeExecutionData"], false);
    let destination = &logging["Destinations"][0]["CloudWatchLogsLogGroup"]["LogGroupArn"];
    assert_eq!(
        destination["Fn::GetAtt"],
        Value::Sequence(vec![ids::FAN_OUT_LOG_GROUP.into(), "Arn".into()])
    );
    let group = props(&t, ids::FAN_OUT_LOG_GROUP);
    assert_eq!(group["RetentionInDays"]["Ref"], params::LOG_RETENTION_DAYS);
    assert_eq!(
        resource(&t, ids::FAN_OUT_LOG_GROUP)["DeletionPolicy"],
        "Delete"
    );
}

#[test]
fn abandoned_run_files_expire_and_replaced_charts_keep_their_30_days() {
    let t = template();
    let rules = props(&t, ids::CHARTS_BUCKET)["LifecycleConfiguration"]["Rules"]
        .as_sequence()
        .unwrap()
        .clone();
    let runs = rules
        .iter()
        .find(|r| r["Prefix"] == files::RUNS_PREFIX)
        .expect("a rule for the run files");
    assert_eq!(runs["ExpirationInDays"], stack::RUN_FILES_DAYS);
    assert_eq!(runs["Status"], "Enabled");
    let charts = rules.iter().find(|r| r["Prefix"].is_null()).unwrap();
    assert!(
        charts["ExpirationInDays"].is_null(),
        "current charts never expire"
    );
}

#[test]
fn cors_answers_get_and_head_from_the_allowed_origins_only_and_security_headers_stay() {
    let t = template();
    let origins = &t["Parameters"][params::ALLOWED_ORIGINS];
    assert_eq!(
        origins["Default"], "",
        "no cross-origin reads unless configured"
    );
    let config = &props(&t, ids::RESPONSE_HEADERS_POLICY)["ResponseHeadersPolicyConfig"];
    let cors = &config["CorsConfig"]["Fn::If"];
    assert_eq!(cors[0], ids::HAS_ALLOWED_ORIGINS);
    assert_eq!(cors[2]["Ref"], "AWS::NoValue");
    let cors = &cors[1];
    assert_eq!(
        cors["AccessControlAllowMethods"]["Items"],
        serde_yaml::to_value(["GET", "HEAD"]).unwrap()
    );
    assert_eq!(cors["AccessControlAllowCredentials"], false);
    let split = &cors["AccessControlAllowOrigins"]["Items"]["Fn::Split"];
    assert_eq!(split[0], ",");
    assert_eq!(split[1]["Ref"], params::ALLOWED_ORIGINS);
    assert!(!holds(&t, ids::HAS_ALLOWED_ORIGINS));
    let condition = &t["Conditions"][ids::HAS_ALLOWED_ORIGINS]["Fn::Not"][0]["Fn::Equals"];
    assert_eq!(condition[0]["Ref"], params::ALLOWED_ORIGINS);
    // What the managed SecurityHeadersPolicy set, now in the stack's own policy.
    let security = &config["SecurityHeadersConfig"];
    assert_eq!(
        security["StrictTransportSecurity"]["AccessControlMaxAgeSec"],
        31_536_000
    );
    assert_eq!(security["ContentTypeOptions"]["Override"], true);
    assert_eq!(security["FrameOptions"]["FrameOption"], "SAMEORIGIN");
    assert_eq!(
        security["ReferrerPolicy"]["ReferrerPolicy"],
        "strict-origin-when-cross-origin"
    );
    assert_eq!(security["XSSProtection"]["ModeBlock"], true);
    // The pattern admits origin lists and * and refuses paths.
    let pattern = regex_lite::Regex::new(origins["AllowedPattern"].as_str().unwrap()).unwrap();
    for good in [
        "",
        "*",
        "https://blog.example.com",
        "https://a.example,http://localhost:8080",
    ] {
        assert!(pattern.is_match(good), "{good}");
    }
    for bad in [
        "https://a.example/",
        "a.example",
        "https://a.example,",
        "*,https://a.example",
    ] {
        assert!(!pattern.is_match(bad), "{bad}");
    }
}

#[test]
fn a_custom_domain_needs_both_parameters_and_then_uses_tls_1_2_with_sni() {
    let t = template();
    for name in [params::DOMAIN_NAME, params::CERTIFICATE_ARN] {
        assert_eq!(t["Parameters"][name]["Default"], "", "{name}");
    }
    let condition = t["Conditions"][ids::HAS_CUSTOM_DOMAIN]["Fn::And"]
        .as_sequence()
        .unwrap();
    let named: Vec<&Value> = condition
        .iter()
        .map(|c| &c["Fn::Not"][0]["Fn::Equals"][0]["Ref"])
        .collect();
    assert_eq!(named, [params::DOMAIN_NAME, params::CERTIFICATE_ARN]);
    assert!(!holds(&t, ids::HAS_CUSTOM_DOMAIN));
    let d = &props(&t, ids::DISTRIBUTION)["DistributionConfig"];
    let aliases = &d["Aliases"]["Fn::If"];
    assert_eq!(aliases[0], ids::HAS_CUSTOM_DOMAIN);
    assert_eq!(aliases[1][0]["Ref"], params::DOMAIN_NAME);
    assert_eq!(aliases[2]["Ref"], "AWS::NoValue");
    let certificate = &d["ViewerCertificate"]["Fn::If"];
    assert_eq!(certificate[0], ids::HAS_CUSTOM_DOMAIN);
    assert_eq!(
        certificate[1]["AcmCertificateArn"]["Ref"],
        params::CERTIFICATE_ARN
    );
    assert_eq!(certificate[1]["SslSupportMethod"], "sni-only");
    assert_eq!(certificate[1]["MinimumProtocolVersion"], "TLSv1.2_2021");
    assert_eq!(certificate[2]["CloudFrontDefaultCertificate"], true);
    let pattern = t["Parameters"][params::CERTIFICATE_ARN]["AllowedPattern"]
        .as_str()
        .unwrap();
    assert!(
        pattern.contains(":acm:us-east-1:"),
        "CloudFront reads certificates from us-east-1"
    );
    // The base URL follows the domain.
    let url = &t["Outputs"][stack::outputs::CHART_BASE_URL]["Value"]["Fn::If"];
    assert_eq!(url[0], ids::HAS_CUSTOM_DOMAIN);
    assert_eq!(
        url[1]["Fn::Sub"],
        format!(
            "https://${{{}}}/{}",
            params::DOMAIN_NAME,
            files::DEFAULT_CHARTS_PREFIX
        )
    );
}

#[test]
fn bad_data_alarms_above_the_threshold_and_drafts_do_not_count() {
    let t = template();
    let threshold = &t["Parameters"][params::REJECTED_RECORDS_THRESHOLD];
    assert_eq!(threshold["Type"], "Number");
    assert_eq!(threshold["Default"], stack::REJECTED_RECORDS_THRESHOLD);
    let alarm = props(&t, ids::REJECTED_RECORDS_ALARM);
    assert_eq!(alarm["Namespace"], contract::metrics::NAMESPACE);
    assert_eq!(alarm["MetricName"], contract::metrics::RECORDS_REJECTED);
    assert_eq!(alarm["ComparisonOperator"], "GreaterThanThreshold");
    assert_eq!(
        alarm["Threshold"]["Ref"],
        params::REJECTED_RECORDS_THRESHOLD
    );
    assert_eq!(alarm["TreatMissingData"], "notBreaching");
    assert_eq!(alarm["Dimensions"][0]["Value"]["Ref"], ids::JOB_FUNCTION);
    assert!(!contract::metrics::REJECTED_SKIPS.contains(&"missing_published_at"));
    let invalidation = props(&t, ids::INVALIDATION_ALARM);
    assert_eq!(
        invalidation["MetricName"],
        contract::metrics::INVALIDATION_FAILED
    );
    assert_eq!(invalidation["Threshold"], 1);
}

#[test]
fn dead_letter_queue_is_encrypted_and_watched() {
    let t = template();
    assert_eq!(
        props(&t, ids::DEAD_LETTER_QUEUE)["SqsManagedSseEnabled"],
        true
    );
    let alarm = props(&t, ids::DEAD_LETTER_ALARM);
    assert_eq!(alarm["Namespace"], "AWS/SQS");
    assert_eq!(
        alarm["Dimensions"][0]["Value"]["Fn::GetAtt"][0],
        ids::DEAD_LETTER_QUEUE
    );
    // Each new dead letter notifies: messages sent in the period, not those waiting.
    assert_eq!(alarm["MetricName"], "NumberOfMessagesSent");
    assert_eq!(alarm["Statistic"], "Sum");
    let errors = props(&t, ids::JOB_ERRORS_ALARM);
    assert_eq!(errors["MetricName"], "Errors");
    assert_eq!(errors["Dimensions"][0]["Value"]["Ref"], ids::JOB_FUNCTION);
}

#[test]
fn a_schedule_that_stops_firing_is_noticed_by_the_heartbeat() {
    let t = template();
    let heartbeat = props(&t, ids::HEARTBEAT_ALARM);
    assert_eq!(heartbeat["Namespace"], contract::metrics::NAMESPACE);
    assert_eq!(heartbeat["MetricName"], contract::metrics::RUN_SUCCEEDED);
    assert_eq!(heartbeat["TreatMissingData"], "breaching");
    assert_eq!(heartbeat["ComparisonOperator"], "LessThanThreshold");
    // 26 hourly periods, all of them without a success: one daily run keeps it quiet.
    assert_eq!(heartbeat["EvaluationPeriods"], 26);
    assert_eq!(heartbeat["DatapointsToAlarm"], 26);
    assert_eq!(heartbeat["Period"], 3600);
    assert_eq!(
        heartbeat["Dimensions"][0]["Value"]["Ref"],
        ids::JOB_FUNCTION
    );
}

#[test]
fn slow_and_throttled_runs_are_alarmed_before_they_fail() {
    let t = template();
    let duration = props(&t, ids::DURATION_ALARM);
    assert_eq!(duration["MetricName"], "Duration");
    assert_eq!(
        duration["Threshold"],
        u64::from(stack::TIMEOUT_SECONDS) * 1000 * 8 / 10
    );
    assert_eq!(props(&t, ids::THROTTLES_ALARM)["MetricName"], "Throttles");
}

#[test]
fn alarm_topic_exists_only_when_an_email_is_given() {
    let t = template();
    assert_eq!(
        resource(&t, ids::ALARM_TOPIC)["Condition"],
        ids::HAS_ALARM_EMAIL
    );
    assert_eq!(t["Parameters"][params::ALARM_EMAIL]["Default"], "");
    for alarm in [
        ids::JOB_ERRORS_ALARM,
        ids::DEAD_LETTER_ALARM,
        ids::HEARTBEAT_ALARM,
        ids::DURATION_ALARM,
        ids::THROTTLES_ALARM,
        ids::REJECTED_RECORDS_ALARM,
        ids::INVALIDATION_ALARM,
    ] {
        let actions = &props(&t, alarm)["AlarmActions"]["Fn::If"];
        assert_eq!(actions[0], ids::HAS_ALARM_EMAIL, "{alarm}");
        assert_eq!(actions[1][0]["Ref"], ids::ALARM_TOPIC, "{alarm}");
        assert_eq!(actions[2]["Ref"], "AWS::NoValue", "{alarm}");
    }
}

#[test]
fn chart_base_url_is_the_distribution_and_the_charts_prefix() {
    let t = template();
    let out = &t["Outputs"][stack::outputs::CHART_BASE_URL];
    assert_eq!(
        resolve(&t, &out["Value"]),
        format!(
            "https://<{}.DomainName>/{}",
            ids::DISTRIBUTION,
            files::DEFAULT_CHARTS_PREFIX
        )
    );
    for name in [
        stack::outputs::CHART_BASE_URL,
        stack::outputs::DISTRIBUTION_ID,
        stack::outputs::CHARTS_BUCKET,
        stack::outputs::FUNCTION_NAME,
        stack::outputs::SCHEDULE_NAME,
    ] {
        assert_eq!(
            resolve(&t, &t["Outputs"][name]["Export"]["Name"]),
            format!("<AWS::StackName>-{name}")
        );
    }
}

#[test]
fn every_checkov_suppression_names_a_check_and_gives_a_one_line_reason() {
    let t = template();
    let mut count = 0;
    for (id, r) in t["Resources"].as_mapping().unwrap() {
        for skip in r["Metadata"]["checkov"]["skip"]
            .as_sequence()
            .into_iter()
            .flatten()
        {
            count += 1;
            let check = skip["id"].as_str().unwrap();
            let reason = skip["comment"].as_str().unwrap();
            assert!(check.starts_with("CKV"), "{id:?}: {check}");
            assert!(
                reason.len() > 20 && !reason.contains('\n'),
                "{id:?} {check}: give a one-line reason"
            );
        }
    }
    assert_eq!(count, xtask_stacks::template_lint::declared_skips().len());
}

#[test]
fn every_cdk_nag_acknowledgement_carries_the_reason_the_spec_gives() {
    let spec = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../spec/batch-setup.md"),
    )
    .unwrap();
    let t = template();
    let mut count = 0;
    for (id, r) in t["Resources"].as_mapping().unwrap() {
        for rule in r["Metadata"]["cdk_nag"]["rules_to_suppress"]
            .as_sequence()
            .into_iter()
            .flatten()
        {
            count += 1;
            let rule_id = rule["id"].as_str().unwrap();
            let reason = rule["reason"].as_str().unwrap();
            assert!(rule_id.starts_with("AwsSolutions-"), "{id:?}: {rule_id}");
            assert!(
                spec.contains(reason),
                "{id:?} {rule_id}: spec/batch-setup.md does not give the reason {reason:?}"
            );
            assert!(
                spec.contains(&format!("`{}`", rule_id.split('[').next().unwrap())),
                "{id:?}: spec/batch-setup.md does not list {rule_id}"
            );
        }
    }
    assert!(count >= 10, "{count} acknowledgements");
    // The five real findings are fixed, not acknowledged: SQS4, SNS3, SF1 nowhere.
    let text = xtask_stacks::templates::render();
    for fixed in ["AwsSolutions-SQS4", "AwsSolutions-SNS3", "AwsSolutions-SF1"] {
        assert!(!text.contains(fixed), "{fixed} is acknowledged, not fixed");
    }
}

#[test]
fn every_role_lives_under_the_stack_path_and_carries_the_boundary_when_given() {
    for scope in [stack::Scope::Full, stack::Scope::Core] {
        let t = stack::template_for(scope).to_value();
        let boundary = &t["Parameters"][params::PERMISSIONS_BOUNDARY];
        assert_eq!(
            boundary["Default"], "",
            "the emulator scope deploys without one"
        );
        let condition = &t["Conditions"][ids::HAS_PERMISSIONS_BOUNDARY]["Fn::Not"][0]["Fn::Equals"];
        assert_eq!(condition[0]["Ref"], params::PERMISSIONS_BOUNDARY);
        assert_eq!(condition[1], "");
        let mut roles = 0;
        for (id, r) in t["Resources"].as_mapping().unwrap() {
            if r["Type"] != "AWS::IAM::Role" {
                continue;
            }
            roles += 1;
            let p = &r["Properties"];
            assert_eq!(
                resolve(&t, &p["Path"]),
                "/<AWS::StackName>/",
                "{id:?}: the service role may manage only roles under the stack's path"
            );
            let b = &p["PermissionsBoundary"]["Fn::If"];
            assert_eq!(b[0], ids::HAS_PERMISSIONS_BOUNDARY, "{id:?}");
            assert_eq!(b[1]["Ref"], params::PERMISSIONS_BOUNDARY, "{id:?}");
            assert_eq!(b[2]["Ref"], "AWS::NoValue", "{id:?}");
            assert!(p["RoleName"].is_null(), "{id:?}: generated names only");
        }
        // The job's, the schedules' and the fan-out's (under its condition).
        assert_eq!(roles, if scope == stack::Scope::Full { 3 } else { 1 });
    }
}

#[test]
fn the_bootstrap_boundary_covers_what_the_stacks_roles_are_granted() {
    // Every action a stack role is granted must be one the boundary allows, or the role
    // would silently lose it on a bootstrapped stage.
    let boundary: BTreeSet<String> = xtask_stacks::bootstrap_stack::template().to_value()
        ["Resources"][xtask_stacks::bootstrap_stack::ids::BOUNDARY]["Properties"]["PolicyDocument"]
        ["Statement"]
        .as_sequence()
        .unwrap()
        .iter()
        .flat_map(|s| strings(&s["Action"]))
        .collect();
    let t = template();
    for (id, s) in statements(&t) {
        if s["Principal"].is_mapping()
            || ![ids::JOB_ROLE, ids::SCHEDULER_ROLE, ids::FAN_OUT_ROLE].contains(&id.as_str())
        {
            continue;
        }
        for action in strings(&s["Action"]) {
            assert!(
                boundary.contains(&action),
                "{id}: {action} is outside the boundary"
            );
        }
    }
}
