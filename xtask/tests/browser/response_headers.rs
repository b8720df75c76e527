//! The headers CloudFront adds to the charts, read from the generated template
//! (`templates/author-stats-batch.yaml`, its `AWS::CloudFront::ResponseHeadersPolicy`) and
//! turned into HTTP headers the way CloudFront sends them, so the test origin sends exactly
//! the stack's security headers and CORS answers. A setting this file does not know fails
//! the tests, naming it, rather than being left out.

use std::path::Path;

use serde_yaml::{Mapping, Value};

use super::origin::Policy;

/// The CORS part of the policy, as CloudFront applies it.
#[derive(Clone, Debug)]
pub(crate) struct Cors {
    allow_origins: Vec<String>,
    allow_headers: Vec<String>,
    allow_methods: Vec<String>,
    expose_headers: Vec<String>,
    allow_credentials: bool,
    max_age: Option<u64>,
}

impl Cors {
    /// Whether a request from `origin` gets CORS headers.
    pub(crate) fn allows(&self, origin: &str) -> bool {
        self.allow_origins.iter().any(|o| o == "*" || o == origin)
    }

    /// The CORS headers of the answer to a request from an allowed `origin`.
    pub(crate) fn response_headers(&self, origin: &str, preflight: bool) -> Vec<(String, String)> {
        let echoed = if self.allow_origins.iter().any(|o| o == "*") {
            "*"
        } else {
            origin
        };
        let mut headers = vec![("Access-Control-Allow-Origin".into(), echoed.into())];
        if self.allow_credentials {
            headers.push(("Access-Control-Allow-Credentials".into(), "true".into()));
        }
        if preflight {
            headers.push((
                "Access-Control-Allow-Methods".into(),
                self.allow_methods.join(", "),
            ));
            headers.push((
                "Access-Control-Allow-Headers".into(),
                self.allow_headers.join(", "),
            ));
            if let Some(age) = self.max_age {
                headers.push(("Access-Control-Max-Age".into(), age.to_string()));
            }
        } else if !self.expose_headers.is_empty() {
            headers.push((
                "Access-Control-Expose-Headers".into(),
                self.expose_headers.join(", "),
            ));
        }
        headers
    }
}

/// The charts' response headers policy of the generated template, for a stack deployed
/// with `AllowedOrigins` = `allowed_origins` joined by commas (none: the stack without CORS).
pub(crate) fn stack_policy(allowed_origins: &[&str]) -> Policy {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../templates/author-stats-batch.yaml");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let template: Value = serde_yaml::from_str(&text).expect("the template is YAML");
    let mut policies = template["Resources"]
        .as_mapping()
        .expect("the template has resources")
        .values()
        .filter(|r| r["Type"] == "AWS::CloudFront::ResponseHeadersPolicy");
    let policy = policies
        .next()
        .expect("the template has a response headers policy");
    assert!(
        policies.next().is_none(),
        "the template has more than one response headers policy: say here which the charts use"
    );
    let mut out = Policy::default();
    for (key, raw) in mapping(&policy["Properties"]["ResponseHeadersPolicyConfig"]) {
        if matches!(key.as_str(), "Comment" | "Name") {
            continue;
        }
        let Some(value) = resolve(&raw, allowed_origins) else {
            continue;
        };
        match key.as_str() {
            // The test origin sends none of the headers a policy could remove.
            "RemoveHeadersConfig" => {}
            "SecurityHeadersConfig" => out.headers.extend(security_headers(&value)),
            "CustomHeadersConfig" => {
                for item in items(&value) {
                    out.headers
                        .push((string(&item["Header"]), string(&item["Value"])));
                }
            }
            "CorsConfig" => out.cors = Some(cors(&value)),
            other => unknown("ResponseHeadersPolicyConfig", other),
        }
    }
    out
}

/// CloudFront's headers for a `SecurityHeadersConfig` (CloudFront developer guide,
/// "Understand response headers policies").
fn security_headers(config: &Value) -> Vec<(String, String)> {
    let mut headers = Vec::new();
    for (key, value) in mapping(config) {
        let (name, header) = match key.as_str() {
            "ContentTypeOptions" => ("X-Content-Type-Options", "nosniff".to_owned()),
            "FrameOptions" => ("X-Frame-Options", string(&value["FrameOption"])),
            "ReferrerPolicy" => ("Referrer-Policy", string(&value["ReferrerPolicy"])),
            "ContentSecurityPolicy" => (
                "Content-Security-Policy",
                string(&value["ContentSecurityPolicy"]),
            ),
            "StrictTransportSecurity" => {
                let mut sts = format!("max-age={}", number(&value["AccessControlMaxAgeSec"]));
                if value["IncludeSubdomains"] == true {
                    sts.push_str("; includeSubDomains");
                }
                if value["Preload"] == true {
                    sts.push_str("; preload");
                }
                ("Strict-Transport-Security", sts)
            }
            "XSSProtection" => {
                let mut xss = if value["Protection"] == true {
                    "1"
                } else {
                    "0"
                }
                .to_owned();
                if value["ModeBlock"] == true {
                    xss.push_str("; mode=block");
                }
                if let Some(uri) = value["ReportUri"].as_str() {
                    xss.push_str(&format!("; report={uri}"));
                }
                ("X-XSS-Protection", xss)
            }
            other => unknown("SecurityHeadersConfig", other),
        };
        headers.push((name.to_owned(), header));
    }
    headers
}

fn cors(config: &Value) -> Cors {
    let mut cors = Cors {
        allow_origins: Vec::new(),
        allow_headers: Vec::new(),
        allow_methods: Vec::new(),
        expose_headers: Vec::new(),
        allow_credentials: false,
        max_age: None,
    };
    for (key, value) in mapping(config) {
        match key.as_str() {
            "AccessControlAllowOrigins" => cors.allow_origins = strings(&value),
            "AccessControlAllowHeaders" => cors.allow_headers = strings(&value),
            "AccessControlAllowMethods" => cors.allow_methods = strings(&value),
            "AccessControlExposeHeaders" => cors.expose_headers = strings(&value),
            "AccessControlAllowCredentials" => cors.allow_credentials = value == true,
            "AccessControlMaxAgeSec" => cors.max_age = Some(number(&value)),
            // Whether CloudFront replaces the origin's own CORS headers: the test origin sends none.
            "OriginOverride" => {}
            other => unknown("CorsConfig", other),
        }
    }
    cors
}

/// `value` with the template's intrinsics resolved for a stack whose `AllowedOrigins` is
/// `allowed_origins`: `Fn::If` on `HasAllowedOrigins`, `Fn::Split` of that parameter, and
/// `Ref: AWS::NoValue` (`None`). Any other intrinsic fails, naming it.
fn resolve(value: &Value, allowed_origins: &[&str]) -> Option<Value> {
    match value {
        Value::Mapping(map) if map.len() == 1 => {
            let (key, argument) = map.iter().next().expect("one entry");
            match key.as_str().unwrap_or("") {
                "Fn::If" => {
                    assert_eq!(
                        argument[0], "HasAllowedOrigins",
                        "the policy has a condition this test does not know: teach resolve()"
                    );
                    let branch = if allowed_origins.is_empty() { 2 } else { 1 };
                    resolve(&argument[branch], allowed_origins)
                }
                "Ref" if argument == "AWS::NoValue" => None,
                "Fn::Split" => {
                    assert_eq!(argument[0], ",", "AllowedOrigins is split on commas");
                    assert_eq!(argument[1]["Ref"], "AllowedOrigins");
                    Some(Value::Sequence(
                        allowed_origins.iter().map(|o| Value::from(*o)).collect(),
                    ))
                }
                other if other == "Ref" || other.starts_with("Fn::") => {
                    panic!("the policy uses {other} {argument:?}: teach resolve() its value")
                }
                _ => Some(Value::Mapping(resolve_entries(map, allowed_origins))),
            }
        }
        Value::Mapping(map) => Some(Value::Mapping(resolve_entries(map, allowed_origins))),
        Value::Sequence(items) => Some(Value::Sequence(
            items
                .iter()
                .filter_map(|v| resolve(v, allowed_origins))
                .collect(),
        )),
        other => Some(other.clone()),
    }
}

fn resolve_entries(map: &Mapping, allowed_origins: &[&str]) -> Mapping {
    map.iter()
        .filter_map(|(k, v)| resolve(v, allowed_origins).map(|v| (k.clone(), v)))
        .collect()
}

fn mapping(value: &Value) -> Vec<(String, Value)> {
    value
        .as_mapping()
        .unwrap_or_else(|| panic!("expected a mapping in the policy, found {value:?}"))
        .iter()
        .map(|(k, v)| (k.as_str().expect("a key").to_owned(), v.clone()))
        .collect()
}

fn items(value: &Value) -> Vec<Value> {
    value["Items"]
        .as_sequence()
        .unwrap_or_else(|| panic!("expected Items in {value:?}"))
        .clone()
}

fn strings(value: &Value) -> Vec<String> {
    items(value).iter().map(string).collect()
}

fn string(value: &Value) -> String {
    value
        .as_str()
        .unwrap_or_else(|| panic!("expected a string in the policy, found {value:?}"))
        .to_owned()
}

fn number(value: &Value) -> u64 {
    value
        .as_u64()
        .unwrap_or_else(|| panic!("expected a number in the policy, found {value:?}"))
}

fn unknown(section: &str, key: &str) -> ! {
    panic!(
        "the template's response headers policy sets {section}.{key}, which this test does not \
         turn into headers yet: add it to xtask/tests/browser/response_headers.rs"
    )
}
