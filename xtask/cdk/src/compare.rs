//! Where two resolved templates (`resolve.rs`) differ, as JSON paths a reader can look up:
//! `Resources.JobFunction.Properties.MemorySize: template "1024", CDK "512"`.

use serde_json::Value as Json;

/// Every difference between `ours` (the template) and `cdk` (what `cdk synth` wrote), one
/// line each, in path order; empty when they are equal.
pub fn differences(ours: &Json, cdk: &Json) -> Vec<String> {
    let mut out = Vec::new();
    walk("", ours, cdk, &mut out);
    out
}

fn walk(path: &str, ours: &Json, cdk: &Json, out: &mut Vec<String>) {
    match (ours, cdk) {
        (Json::Object(a), Json::Object(b)) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            for key in keys {
                let child = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                match (a.get(key), b.get(key)) {
                    (Some(x), Some(y)) => walk(&child, x, y, out),
                    (Some(x), None) => {
                        out.push(format!("{child}: only in the template ({})", short(x)))
                    }
                    (None, Some(y)) => {
                        out.push(format!("{child}: only in the CDK app ({})", short(y)))
                    }
                    (None, None) => unreachable!("the key came from one of the maps"),
                }
            }
        }
        (Json::Array(a), Json::Array(b)) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                walk(&format!("{path}[{i}]"), x, y, out);
            }
        }
        (x, y) if x == y => {}
        (x, y) => out.push(format!(
            "{path}: template {}, CDK app {}",
            short(x),
            short(y)
        )),
    }
}

/// A value in at most about a line.
fn short(value: &Json) -> String {
    let text = value.to_string();
    match text.char_indices().nth(120) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn equal_templates_have_no_difference() {
        let t = json!({"Resources": {"A": {"Type": "T", "Properties": {"L": [1, {"x": "y"}]}}}});
        assert!(differences(&t, &t.clone()).is_empty());
    }

    #[test]
    fn a_changed_property_is_reported_with_its_path_and_both_values() {
        let ours =
            json!({"Resources": {"Fn": {"Properties": {"MemorySize": "1024", "L": ["a", "b"]}}}});
        let cdk =
            json!({"Resources": {"Fn": {"Properties": {"MemorySize": "512", "L": ["a", "c"]}}}});
        assert_eq!(
            differences(&ours, &cdk),
            [
                "Resources.Fn.Properties.L[1]: template \"b\", CDK app \"c\"",
                "Resources.Fn.Properties.MemorySize: template \"1024\", CDK app \"512\"",
            ]
        );
    }

    #[test]
    fn missing_and_extra_keys_and_list_lengths_are_reported() {
        let ours = json!({"Resources": {"A": {"Type": "T"}, "B": {"Type": "T"}}, "L": [1]});
        let cdk = json!({"Resources": {"A": {"Type": "T"}, "C": {"Type": "T"}}, "L": [1, 2]});
        assert_eq!(
            differences(&ours, &cdk),
            [
                "L: template [1], CDK app [1,2]",
                "Resources.B: only in the template ({\"Type\":\"T\"})",
                "Resources.C: only in the CDK app ({\"Type\":\"T\"})",
            ]
        );
    }
}
