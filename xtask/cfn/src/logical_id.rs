//! Rules for logical ids: CloudFormation's own (alphanumeric) and ours — start upper-case
//! (so `Fn::Sub` variables, which start lower-case, never shadow one) and do not turn into a
//! reserved word when cdk-from-cfn makes a variable of it (`Function` → `function`).

/// Words that are keywords (or otherwise unusable as a variable name) in TypeScript, Python,
/// Go, Java or C#, compared after lower-casing the first letter as cdk-from-cfn does.
#[rustfmt::skip]
const RESERVED: &[&str] = &[
    // TypeScript / JavaScript
    "break", "case", "catch", "class", "const", "continue", "debugger", "default", "delete",
    "do", "else", "enum", "export", "extends", "false", "finally", "for", "function", "if",
    "import", "in", "instanceof", "new", "null", "return", "super", "switch", "this", "throw",
    "true", "try", "typeof", "var", "void", "while", "with", "as", "implements", "interface",
    "let", "package", "private", "protected", "public", "static", "yield", "any", "boolean",
    "constructor", "declare", "get", "module", "require", "number", "set", "string", "symbol",
    "type", "from", "of", "props", "scope", "id", "stack",
    // Python
    "and", "assert", "async", "await", "def", "del", "elif", "except", "global", "is",
    "lambda", "nonlocal", "not", "or", "pass", "raise", "self",
    // Go
    "chan", "defer", "fallthrough", "func", "go", "goto", "map", "range", "select", "struct",
    // Java
    "abstract", "byte", "char", "double", "final", "float", "int", "long", "native", "short",
    "synchronized", "throws", "transient", "volatile", "strictfp",
    // C#
    "base", "bool", "checked", "decimal", "delegate", "event", "explicit", "extern", "fixed",
    "foreach", "implicit", "internal", "lock", "namespace", "object", "operator", "out",
    "override", "params", "readonly", "ref", "sbyte", "sealed", "sizeof", "stackalloc", "uint",
    "ulong", "unchecked", "unsafe", "ushort", "using", "virtual",
];

/// Panics with a message naming the rule when `id` is not a usable logical id. The stack is
/// fixed code, so a bad id is a programming error that the first synth (and every test) hits.
pub(crate) fn check(id: &str) {
    let mut chars = id.chars();
    let first = chars.next();
    assert!(
        matches!(first, Some('A'..='Z')),
        "logical id {id:?} must start with an upper-case ASCII letter"
    );
    assert!(
        id.len() <= 255 && id.chars().all(|c| c.is_ascii_alphanumeric()),
        "logical id {id:?} must be 1-255 ASCII letters and digits"
    );
    let camel: String = first
        .map(|c| c.to_ascii_lowercase())
        .into_iter()
        .chain(chars)
        .collect();
    assert!(
        !RESERVED.contains(&camel.as_str()),
        "logical id {id:?} becomes the reserved word `{camel}` in generated CDK code"
    );
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn accepts_upper_camel_case_ids() {
        check("ChartsBucket");
        check("JobFunction2");
    }

    #[test]
    #[should_panic(expected = "reserved word `function`")]
    fn rejects_ids_that_are_keywords_in_generated_code() {
        check("Function");
    }

    #[test]
    #[should_panic(expected = "upper-case")]
    fn rejects_lower_case_first_letter() {
        check("bucket");
    }

    #[test]
    #[should_panic(expected = "letters and digits")]
    fn rejects_punctuation() {
        check("Charts-Bucket");
    }
}
