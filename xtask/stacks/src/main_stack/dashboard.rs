//! The stage's CloudWatch dashboard (`AWS::CloudWatch::Dashboard`, named like the stack):
//! the job's own metrics (`contract::metrics`), the function's errors, throttles and
//! duration against its timeout, the dead-letter depth, every alarm, and on a fan-out stage
//! the state machine's executions and map-run failures. The body is typed Rust serialized
//! with serde_json; names and ARNs are filled in by one `Fn::Sub`.

use serde::{Serialize, Serializer};
use serde_json::{json, Value as Json};

use contract::metrics;
use xtask_cfn::cloudwatch::{Alarm, AlarmAttr, Dashboard};
use xtask_cfn::lambda::Function;
use xtask_cfn::sqs::{Queue, QueueAttr};
use xtask_cfn::stepfunctions::{StateMachine, StateMachineAttr};
use xtask_cfn::{sub, Builder, Condition, Expr, Handle, Param, Pseudo, SubPart};

use super::{ids, TIMEOUT_SECONDS};

/// The AWS metrics the dashboard shows, by namespace (the job's are `contract::metrics`).
pub const AWS_METRICS: [(&str, &[&str]); 3] = [
    (
        "AWS/Lambda",
        &["Errors", "Throttles", "Duration", "Invocations"],
    ),
    (
        "AWS/SQS",
        &["ApproximateNumberOfMessagesVisible", "NumberOfMessagesSent"],
    ),
    (
        "AWS/States",
        &[
            "ExecutionsStarted",
            "ExecutionsSucceeded",
            "ExecutionsFailed",
            "ExecutionsTimedOut",
            "ExecutionsAborted",
        ],
    ),
];

/// The console address of dashboard `name` in `region` (what `deploy` and `status` print;
/// the `DashboardUrl` output is the same text).
pub fn console_url(region: &str, name: &str) -> String {
    format!(
        "https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}\
         #dashboards/dashboard/{name}"
    )
}

/// [`console_url`] as a template expression for this stack's dashboard.
pub(super) fn console_url_expr<'t>(dashboard: Handle<'t, Dashboard<'t>>) -> Expr<'t> {
    sub!(
        "https://",
        Pseudo::Region,
        ".console.aws.amazon.com/cloudwatch/home?region=",
        Pseudo::Region,
        "#dashboards/dashboard/",
        dashboard.reference()
    )
}

/// What the dashboard shows.
pub(super) struct Watched<'t> {
    pub function: Handle<'t, Function<'t>>,
    pub dead_letters: Handle<'t, Queue>,
    pub alarms: Vec<Handle<'t, Alarm<'t>>>,
    pub rejected_records_threshold: Param<'t>,
    /// The fan-out's state machine (only when `fan_out_on`).
    pub machine: Handle<'t, StateMachine<'t>>,
    /// `FanOut=true`: the body with the state machine's widgets.
    pub fan_out_on: Condition<'t>,
}

/// The dashboard: one body per value of `FanOut`.
pub(super) fn dashboard<'t>(
    t: &mut Builder<'t>,
    watched: &Watched<'t>,
) -> Handle<'t, Dashboard<'t>> {
    let body = Expr::if_(
        watched.fan_out_on,
        body(watched, true),
        body(watched, false),
    );
    t.add(
        ids::DASHBOARD,
        Dashboard {
            dashboard_body: body,
            dashboard_name: sub!(Pseudo::StackName),
        },
    )
}

/// Template expressions inside the JSON text: each becomes a marker while serde_json writes
/// the body, then a part of the `Fn::Sub`.
struct Holes<'t> {
    exprs: Vec<Expr<'t>>,
}

/// Marks a hole in a JSON string (`"…@@3@@…"`); a whole string `"@@#3@@"` is a number.
const MARK: &str = "@@";

impl<'t> Holes<'t> {
    /// Text that becomes `expr` (inside a JSON string).
    fn text(&mut self, expr: Expr<'t>) -> String {
        self.exprs.push(expr);
        format!("{MARK}{}{MARK}", self.exprs.len() - 1)
    }

    /// A JSON value that becomes `expr` as a bare number.
    fn number(&mut self, expr: Expr<'t>) -> Json {
        self.exprs.push(expr);
        Json::String(format!("{MARK}#{}{MARK}", self.exprs.len() - 1))
    }

    /// The JSON text as `Fn::Sub` parts.
    fn sub(self, json: &str) -> Expr<'t> {
        let mut parts: Vec<SubPart<'t>> = Vec::new();
        let mut rest = json;
        while let Some(start) = rest.find(MARK) {
            let after = &rest[start + MARK.len()..];
            let end = after.find(MARK).expect("a hole marker is closed");
            let (number, index) = match after[..end].strip_prefix('#') {
                Some(n) => (true, n),
                None => (false, &after[..end]),
            };
            let index: usize = index.parse().expect("a hole marker holds an index");
            // A number hole stands for the whole string: drop its quotes.
            let literal = if number {
                &rest[..start - 1]
            } else {
                &rest[..start]
            };
            parts.push(literal.to_owned().into());
            // A hole may be used many times (the region, the function's name).
            parts.push(self.exprs[index].clone().into());
            rest = &after[end + MARK.len() + usize::from(number)..];
        }
        parts.push(rest.to_owned().into());
        Expr::sub(parts)
    }
}

/// The dashboard body (JSON text with holes for names and ARNs; no backslash escapes in it).
fn body<'t>(watched: &Watched<'t>, fan_out: bool) -> Expr<'t> {
    let mut holes = Holes { exprs: Vec::new() };
    let region = holes.text(Pseudo::Region.into());
    let function = holes.text(watched.function.reference());
    let queue = holes.text(watched.dead_letters.get_att(QueueAttr::QueueName));
    let on_function = |metric: &str, label: &str, stat: Stat| {
        Metric::named(
            metrics::NAMESPACE,
            metric,
            vec![(metrics::DIMENSION_FUNCTION, function.clone())],
            label,
            stat,
        )
    };
    let lambda = |metric: &str, label: &str, stat: Stat| {
        Metric::named(
            "AWS/Lambda",
            metric,
            vec![("FunctionName", function.clone())],
            label,
            stat,
        )
    };
    let timeout_ms = TIMEOUT_SECONDS * 1000;
    let threshold = holes.number(watched.rejected_records_threshold.reference());
    let mut grid = Grid::default();
    grid.add(Widget::metric(
        "Runs: succeeded (published) and failed",
        &region,
        vec![
            on_function(metrics::RUN_SUCCEEDED, "succeeded", Stat::Sum),
            on_function(metrics::RUN_FAILED, "failed", Stat::Sum),
        ],
        Vec::new(),
    ));
    grid.add(Widget::metric(
        "Run duration (ms)",
        &region,
        vec![on_function(metrics::DURATION, "duration", Stat::Maximum)],
        vec![Annotation::at(timeout_ms.into(), "Lambda timeout")],
    ));
    grid.add(Widget::metric(
        "Charts: written, unchanged, removed",
        &region,
        vec![
            on_function(metrics::CHARTS_UPLOADED, "written", Stat::Sum),
            on_function(metrics::CHARTS_UNCHANGED, "unchanged", Stat::Sum),
            on_function(metrics::CHARTS_REMOVED, "removed", Stat::Sum),
        ],
        Vec::new(),
    ));
    grid.add(Widget::metric(
        "Authors listed",
        &region,
        vec![on_function(
            metrics::AUTHORS_LISTED,
            "authors",
            Stat::Maximum,
        )],
        Vec::new(),
    ));
    grid.add(Widget::metric(
        "Rejected records (bad data) per run",
        &region,
        vec![on_function(
            metrics::RECORDS_REJECTED,
            "rejected",
            Stat::Maximum,
        )],
        vec![Annotation::at(threshold, "RejectedRecordsAlarm threshold")],
    ));
    grid.add(Widget::metric(
        "CloudFront paths invalidated, failed invalidations",
        &region,
        vec![
            on_function(metrics::PATHS_INVALIDATED, "paths", Stat::Sum),
            on_function(metrics::INVALIDATION_FAILED, "failed", Stat::Maximum),
        ],
        Vec::new(),
    ));
    grid.add(Widget::metric(
        "Lambda errors and throttles",
        &region,
        vec![
            lambda("Errors", "errors", Stat::Sum),
            lambda("Throttles", "throttles", Stat::Sum),
            lambda("Invocations", "invocations", Stat::Sum),
        ],
        Vec::new(),
    ));
    grid.add(Widget::metric(
        "Lambda duration against the timeout (ms)",
        &region,
        vec![lambda("Duration", "longest", Stat::Maximum)],
        vec![
            Annotation::at(timeout_ms.into(), "timeout"),
            Annotation::at((timeout_ms / 10 * 8).into(), "DurationAlarm (80 %)"),
        ],
    ));
    grid.add(Widget::metric(
        "Dead-letter queue",
        &region,
        vec![
            Metric::named(
                "AWS/SQS",
                "ApproximateNumberOfMessagesVisible",
                vec![("QueueName", queue.clone())],
                "waiting",
                Stat::Maximum,
            ),
            Metric::named(
                "AWS/SQS",
                "NumberOfMessagesSent",
                vec![("QueueName", queue.clone())],
                "sent",
                Stat::Sum,
            ),
        ],
        Vec::new(),
    ));
    if fan_out {
        let machine = holes.text(watched.machine.reference());
        let machine_name = holes.text(watched.machine.get_att(StateMachineAttr::Name));
        let executions = |metric: &str, label: &str| {
            Metric::named(
                "AWS/States",
                metric,
                vec![("StateMachineArn", machine.clone())],
                label,
                Stat::Sum,
            )
        };
        grid.add(Widget::metric(
            "Fan-out executions",
            &region,
            vec![
                executions("ExecutionsStarted", "started"),
                executions("ExecutionsSucceeded", "succeeded"),
                executions("ExecutionsFailed", "failed"),
                executions("ExecutionsTimedOut", "timed out"),
                executions("ExecutionsAborted", "aborted"),
            ],
            Vec::new(),
        ));
        // Each map run has its own ARN (`mapRun:<machine>/<label>:<id>`): search them all.
        // Unquoted terms (every token must match): a `"` would need a backslash in the JSON
        // text, which the CDK export's conversion does not keep.
        let map_runs = |id: &str, metric: &str, label: &str| Metric::Expression {
            expression: format!(
                "SUM(SEARCH('{{AWS/States,MapRunArn}} MetricName={metric} {machine_name}', \
                 'Sum', 3600))"
            ),
            id: id.to_owned(),
            label: label.to_owned(),
        };
        grid.add(Widget::metric(
            "Fan-out map runs: failed render batches",
            &region,
            vec![
                map_runs("failed", "ExecutionsFailed", "failed"),
                map_runs("timedout", "ExecutionsTimedOut", "timed out"),
                map_runs("aborted", "ExecutionsAborted", "aborted"),
            ],
            Vec::new(),
        ));
    }
    let alarms = watched
        .alarms
        .iter()
        .map(|a| holes.text(a.get_att(AlarmAttr::Arn)))
        .collect();
    grid.add_full_width(Widget::alarms("Alarms", alarms));
    let body = json!({
        "start": "-P14D",
        "periodOverride": "inherit",
        "widgets": grid.widgets,
    });
    let text = serde_json::to_string(&body).expect("the dashboard body serializes");
    assert!(
        !text.contains('\\'),
        "a backslash in the dashboard body: {text}"
    );
    holes.sub(&text)
}

/// Widgets laid out two to a row (a row of 24 columns).
#[derive(Default)]
struct Grid {
    widgets: Vec<Widget>,
    next: (u32, u32),
}

const WIDTH: u32 = 12;
const HEIGHT: u32 = 6;

impl Grid {
    fn add(&mut self, mut widget: Widget) {
        let (x, y) = self.next;
        (widget.x, widget.y, widget.width, widget.height) = (x, y, WIDTH, HEIGHT);
        self.next = if x == 0 { (WIDTH, y) } else { (0, y + HEIGHT) };
        self.widgets.push(widget);
    }

    fn add_full_width(&mut self, mut widget: Widget) {
        let y = if self.next.0 == 0 {
            self.next.1
        } else {
            self.next.1 + HEIGHT
        };
        (widget.x, widget.y, widget.width, widget.height) = (0, y, 2 * WIDTH, HEIGHT);
        self.next = (0, y + HEIGHT);
        self.widgets.push(widget);
    }
}

/// One widget of the body.
#[derive(Serialize)]
struct Widget {
    #[serde(rename = "type")]
    kind: &'static str,
    x: u32,
    y: u32,
    width: u32,
    height: u32,
    properties: Json,
}

impl Widget {
    fn metric(
        title: &str,
        region: &str,
        metrics: Vec<Metric>,
        horizontal: Vec<Annotation>,
    ) -> Widget {
        let mut properties = json!({
            "title": title,
            "view": "timeSeries",
            "stacked": false,
            "region": region,
            "period": 3600,
            "metrics": metrics,
        });
        if !horizontal.is_empty() {
            properties["annotations"] = json!({ "horizontal": horizontal });
        }
        Widget {
            kind: "metric",
            x: 0,
            y: 0,
            width: 0,
            height: 0,
            properties,
        }
    }

    fn alarms(title: &str, alarms: Vec<String>) -> Widget {
        Widget {
            kind: "alarm",
            x: 0,
            y: 0,
            width: 0,
            height: 0,
            properties: json!({ "title": title, "alarms": alarms }),
        }
    }
}

#[derive(Clone, Copy, Serialize)]
enum Stat {
    Sum,
    Maximum,
}

/// One line of a metric widget: a metric (`[namespace, name, dimension, value, {options}]`)
/// or a metric math expression (`[{expression, id, label}]`).
enum Metric {
    Named {
        namespace: &'static str,
        name: String,
        dimensions: Vec<(&'static str, String)>,
        label: String,
        stat: Stat,
    },
    Expression {
        expression: String,
        id: String,
        label: String,
    },
}

impl Metric {
    fn named(
        namespace: &'static str,
        name: &str,
        dimensions: Vec<(&'static str, String)>,
        label: &str,
        stat: Stat,
    ) -> Metric {
        Metric::Named {
            namespace,
            name: name.to_owned(),
            dimensions,
            label: label.to_owned(),
            stat,
        }
    }
}

impl Serialize for Metric {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let line = match self {
            Metric::Named {
                namespace,
                name,
                dimensions,
                label,
                stat,
            } => {
                let mut line = vec![json!(namespace), json!(name)];
                for (dimension, value) in dimensions {
                    line.extend([json!(dimension), json!(value)]);
                }
                line.push(json!({ "label": label, "stat": stat }));
                line
            }
            Metric::Expression {
                expression,
                id,
                label,
            } => vec![json!({ "expression": expression, "id": id, "label": label })],
        };
        line.serialize(s)
    }
}

/// A horizontal line at a value (a timeout, an alarm's threshold).
#[derive(Serialize)]
struct Annotation {
    value: Json,
    label: String,
}

impl Annotation {
    fn at(value: Json, label: &str) -> Annotation {
        Annotation {
            value,
            label: label.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_console_url_names_the_region_twice_and_the_dashboard() {
        assert_eq!(
            console_url("ap-northeast-1", "author-stats-batch-prod"),
            "https://ap-northeast-1.console.aws.amazon.com/cloudwatch/home?region=ap-northeast-1\
             #dashboards/dashboard/author-stats-batch-prod"
        );
    }

    #[test]
    fn widgets_fill_rows_of_two_and_a_full_width_one_starts_its_own_row() {
        let mut grid = Grid::default();
        for _ in 0..3 {
            grid.add(Widget::alarms("a", Vec::new()));
        }
        grid.add_full_width(Widget::alarms("all", Vec::new()));
        let at: Vec<_> = grid.widgets.iter().map(|w| (w.x, w.y, w.width)).collect();
        assert_eq!(at, [(0, 0, 12), (12, 0, 12), (0, 6, 12), (0, 12, 24)]);
    }
}
