//! Names the stack must not use. cdk-from-cfn names a variable after each resource's logical
//! id and a prop after each parameter (first letter lowered: `Function` → `function`); a name
//! that is a reserved word in one of the five CDK languages gives code that does not compile.
//! The stack is shaped instead of the code patched: `generate` refuses such a template.

use anyhow::{bail, Result};
use serde_json::Value as Json;

use crate::postprocess::camel;

/// Reserved words of TypeScript/JavaScript, Python, Go, Java and C#, with the language.
/// (Contextual keywords such as `type` or `async` are left out: they are valid names there.)
const RESERVED: &[(&str, &[&str])] = &[
    (
        "typescript",
        &[
            "break",
            "case",
            "catch",
            "class",
            "const",
            "continue",
            "debugger",
            "default",
            "delete",
            "do",
            "else",
            "enum",
            "export",
            "extends",
            "false",
            "finally",
            "for",
            "function",
            "if",
            "import",
            "in",
            "instanceof",
            "new",
            "null",
            "return",
            "super",
            "switch",
            "this",
            "throw",
            "true",
            "try",
            "typeof",
            "var",
            "void",
            "while",
            "with",
            "implements",
            "interface",
            "let",
            "package",
            "private",
            "protected",
            "public",
            "static",
            "yield",
            "await",
            "arguments",
            "eval",
        ],
    ),
    (
        "python",
        &[
            "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class",
            "continue", "def", "del", "elif", "else", "except", "finally", "for", "from", "global",
            "if", "import", "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise",
            "return", "try", "while", "with", "yield",
        ],
    ),
    (
        "go",
        &[
            "break",
            "case",
            "chan",
            "const",
            "continue",
            "default",
            "defer",
            "else",
            "fallthrough",
            "for",
            "func",
            "go",
            "goto",
            "if",
            "import",
            "interface",
            "map",
            "package",
            "range",
            "return",
            "select",
            "struct",
            "switch",
            "type",
            "var",
        ],
    ),
    (
        "java",
        &[
            "abstract",
            "assert",
            "boolean",
            "break",
            "byte",
            "case",
            "catch",
            "char",
            "class",
            "const",
            "continue",
            "default",
            "do",
            "double",
            "else",
            "enum",
            "extends",
            "final",
            "finally",
            "float",
            "for",
            "goto",
            "if",
            "implements",
            "import",
            "instanceof",
            "int",
            "interface",
            "long",
            "native",
            "new",
            "package",
            "private",
            "protected",
            "public",
            "return",
            "short",
            "static",
            "strictfp",
            "super",
            "switch",
            "synchronized",
            "this",
            "throw",
            "throws",
            "transient",
            "try",
            "void",
            "volatile",
            "while",
            "true",
            "false",
            "null",
            "var",
            "record",
            "yield",
        ],
    ),
    (
        "csharp",
        &[
            "abstract",
            "as",
            "base",
            "bool",
            "break",
            "byte",
            "case",
            "catch",
            "char",
            "checked",
            "class",
            "const",
            "continue",
            "decimal",
            "default",
            "delegate",
            "do",
            "double",
            "else",
            "enum",
            "event",
            "explicit",
            "extern",
            "false",
            "finally",
            "fixed",
            "float",
            "for",
            "foreach",
            "goto",
            "if",
            "implicit",
            "in",
            "int",
            "interface",
            "internal",
            "is",
            "lock",
            "long",
            "namespace",
            "new",
            "null",
            "object",
            "operator",
            "out",
            "override",
            "params",
            "private",
            "protected",
            "public",
            "readonly",
            "ref",
            "return",
            "sbyte",
            "sealed",
            "short",
            "sizeof",
            "stackalloc",
            "static",
            "string",
            "struct",
            "switch",
            "this",
            "throw",
            "true",
            "try",
            "typeof",
            "uint",
            "ulong",
            "unchecked",
            "unsafe",
            "ushort",
            "using",
            "virtual",
            "void",
            "volatile",
            "while",
        ],
    ),
];

/// The languages in which `name` (as written, or with its first letter lowered, as the
/// generated code uses it) is a reserved word.
pub fn reserved_in(name: &str) -> Vec<&'static str> {
    let lowered = camel(name);
    RESERVED
        .iter()
        .filter(|(_, words)| words.contains(&name) || words.contains(&lowered.as_str()))
        .map(|(lang, _)| *lang)
        .collect()
}

/// Fails, naming every offending logical id and language, when a parameter, condition,
/// resource or output of `template` is named with a reserved word.
pub fn check_names(template: &Json) -> Result<()> {
    let mut problems = Vec::new();
    for section in ["Parameters", "Conditions", "Resources", "Outputs"] {
        for id in template[section]
            .as_object()
            .into_iter()
            .flat_map(|m| m.keys())
        {
            let langs = reserved_in(id);
            if !langs.is_empty() {
                problems.push(format!(
                    "{section}.{id} (`{}` is reserved in {})",
                    camel(id),
                    langs.join(", ")
                ));
            }
        }
    }
    if !problems.is_empty() {
        bail!(
            "the CDK code would not compile: {}; rename these logical ids in xtask/stacks/src/main_stack/mod.rs",
            problems.join("; ")
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_logical_id_that_lowers_to_a_keyword_is_refused_with_its_languages() {
        let template = json!({"Resources": {"Function": {}, "Bucket": {}}});
        let error = check_names(&template).unwrap_err().to_string();
        assert!(error.contains("Resources.Function"), "{error}");
        assert!(error.contains("typescript"), "{error}");
        assert!(!error.contains("Bucket"), "{error}");
    }

    #[test]
    fn keywords_of_each_language_are_known() {
        assert_eq!(reserved_in("Lambda"), ["python"]);
        assert_eq!(reserved_in("Range"), ["go"]);
        assert_eq!(reserved_in("Synchronized"), ["java"]);
        assert_eq!(reserved_in("Namespace"), ["csharp"]);
        assert!(reserved_in("JobFunction").is_empty());
    }

    #[test]
    fn our_stack_uses_no_reserved_name() {
        let template =
            serde_json::to_value(xtask_stacks::main_stack::template().to_value()).unwrap();
        check_names(&template).unwrap();
    }
}
