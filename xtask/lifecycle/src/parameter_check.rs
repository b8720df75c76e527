//! A stack parameter's value checked against the template's own constraints (`Type`,
//! `MinValue`/`MaxValue`, `AllowedValues`, `AllowedPattern`, `MinLength`/`MaxLength`) before
//! any AWS call, so a bad `--param` fails here with the rule in the message, not after a
//! change set has left a `REVIEW_IN_PROGRESS` stack behind.

use serde_yaml::Value;

/// `Ok` when `value` satisfies the constraints of `spec` (the parameter's template entry);
/// otherwise the rule it breaks and what is allowed.
pub fn check(name: &str, value: &str, spec: &Value) -> Result<(), String> {
    let number = spec["Type"].as_str() == Some("Number");
    if number {
        let Ok(n) = value.trim().parse::<f64>() else {
            return Err(format!("{name}={value:?} is not a number"));
        };
        if let Some(min) = as_f64(&spec["MinValue"]) {
            if n < min {
                return Err(format!(
                    "{name}={value} is below the minimum {min}{}",
                    range(spec)
                ));
            }
        }
        if let Some(max) = as_f64(&spec["MaxValue"]) {
            if n > max {
                return Err(format!(
                    "{name}={value} is above the maximum {max}{}",
                    range(spec)
                ));
            }
        }
    }
    if let Some(allowed) = spec["AllowedValues"].as_sequence() {
        let allowed: Vec<String> = allowed.iter().map(scalar).collect();
        let matches = |a: &String| {
            a == value || (number && a.parse::<f64>().ok() == value.trim().parse::<f64>().ok())
        };
        if !allowed.iter().any(matches) {
            return Err(format!(
                "{name}={value:?} is not one of the allowed values: {}",
                allowed.join(", ")
            ));
        }
    }
    let length = value.chars().count() as f64;
    if let Some(min) = as_f64(&spec["MinLength"]) {
        if length < min {
            return Err(format!("{name} must be at least {min} characters long"));
        }
    }
    if let Some(max) = as_f64(&spec["MaxLength"]) {
        if length > max {
            return Err(format!("{name} must be at most {max} characters long"));
        }
    }
    if let Some(pattern) = spec["AllowedPattern"].as_str() {
        // CloudFormation matches the whole value against the pattern.
        let whole = format!("^(?:{pattern})$");
        let regex = regex_lite::Regex::new(&whole)
            .map_err(|e| format!("{name}: the template's pattern {pattern:?} is invalid: {e}"))?;
        if !regex.is_match(value) {
            let rule = spec["ConstraintDescription"]
                .as_str()
                .map_or_else(|| format!("the pattern {pattern}"), str::to_owned);
            return Err(format!("{name}={value:?} is not {rule}"));
        }
    }
    Ok(())
}

fn as_f64(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

fn scalar(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => serde_yaml::to_string(other)
            .unwrap_or_default()
            .trim()
            .to_owned(),
    }
}

/// ` (allowed: 1 to 5475)` when both bounds are declared.
fn range(spec: &Value) -> String {
    match (as_f64(&spec["MinValue"]), as_f64(&spec["MaxValue"])) {
        (Some(min), Some(max)) => format!(" (allowed: {min} to {max})"),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(yaml: &str) -> Value {
        serde_yaml::from_str(yaml).unwrap()
    }

    #[test]
    fn numbers_are_checked_for_type_and_range() {
        let days = spec("{Type: Number, MinValue: 1, MaxValue: 5475}");
        assert!(check("ActiveDays", "7", &days).is_ok());
        let zero = check("ActiveDays", "0", &days).unwrap_err();
        assert!(
            zero.contains("below the minimum 1") && zero.contains("1 to 5475"),
            "{zero}"
        );
        assert!(check("ActiveDays", "abc", &days)
            .unwrap_err()
            .contains("not a number"));
        assert!(check("ActiveDays", "9999", &days)
            .unwrap_err()
            .contains("maximum"));
    }

    #[test]
    fn allowed_values_are_listed_when_broken() {
        let retention = spec("{Type: Number, AllowedValues: [1, 3, 7, 14]}");
        assert!(check("LogRetentionDays", "14", &retention).is_ok());
        let err = check("LogRetentionDays", "8", &retention).unwrap_err();
        assert!(err.contains("1, 3, 7, 14"), "{err}");
    }

    #[test]
    fn patterns_match_the_whole_value_and_name_the_rule() {
        let email = spec(
            r"{Type: String, AllowedPattern: '^$|^[^@\s]+@[^@\s]+\.[^@\s]+$', ConstraintDescription: 'empty, or one e-mail address'}",
        );
        assert!(check("AlarmEmail", "", &email).is_ok());
        assert!(check("AlarmEmail", "ops@example.com", &email).is_ok());
        let err = check("AlarmEmail", "not an address", &email).unwrap_err();
        assert!(err.contains("empty, or one e-mail address"), "{err}");
        let bucket = spec("{Type: String, AllowedPattern: '[a-z]+'}");
        assert!(
            check("B", "abc1", &bucket).is_err(),
            "the pattern is anchored"
        );
    }

    #[test]
    fn lengths_are_checked() {
        let name = spec("{Type: String, MinLength: 2, MaxLength: 3}");
        assert!(check("N", "ab", &name).is_ok());
        assert!(check("N", "a", &name).is_err());
        assert!(check("N", "abcd", &name).is_err());
    }
}
