//! The generated files of the CDK app: the stack class (converted, then post-processed) and,
//! for TypeScript, the entry point `bin/author-stats-batch.ts` that builds the stack with the
//! parameter values given as `cdk synth -c Name=value`. The app's hand-written files
//! (package.json and its lock, tsconfig.json, cdk.json, README.md) sit next to them in
//! templates/cdk/typescript/ and are not generated.

use anyhow::Result;
use serde_json::Value as Json;

use crate::convert::{convert, STACK_CLASS};
use crate::lang::Lang;
use crate::postprocess::{self, camel};
use crate::reserved;
use xtask_stacks::{main_stack, templates};

/// The stack's construct id in the app (and its default stack name).
pub const STACK_ID: &str = "AuthorStatsBatch";
/// The TypeScript entry point, relative to the app folder.
pub const ENTRY_POINT: &str = "bin/author-stats-batch.ts";

/// `(path relative to the app folder, content)` of every generated file for `lang`.
pub fn generated_files(lang: Lang) -> Result<Vec<(&'static str, String)>> {
    let template = serde_json::to_value(main_stack::template().to_value())?;
    reserved::check_names(&template)?;
    let code = convert(&templates::render(), lang)?;
    let mut files = vec![(
        lang.stack_file(),
        postprocess::apply(&code, lang, &template)?,
    )];
    if lang == Lang::Typescript {
        files.push((ENTRY_POINT, entry_point(&template)));
    }
    Ok(files)
}

/// The app's entry point: one stack, each prop read from the CDK context value named like the
/// template's parameter (`-c AlarmEmail=ops@example.com`), absent ones left to the defaults.
pub fn entry_point(template: &Json) -> String {
    let mut props = String::new();
    for (name, parameter) in template["Parameters"].as_object().into_iter().flatten() {
        let number = parameter["Type"] == "Number";
        let required = parameter.get("Default").is_none();
        let read = match (number, required) {
            (false, false) => "text",
            (false, true) => "requiredText",
            (true, false) => "number",
            (true, true) => "requiredNumber",
        };
        props.push_str(&format!("  {}: {read}('{name}'),\n", camel(name)));
    }
    format!(
        r#"#!/usr/bin/env node
{header}import * as cdk from 'aws-cdk-lib';
import {{ {STACK_CLASS} }} from '../lib/author-stats-batch-stack';

const app = new cdk.App();

/** The value of `-c name=value` (or cdk.json's context), if given. */
function text(name: string): string | undefined {{
  const value: unknown = app.node.tryGetContext(name);
  return value === undefined ? undefined : String(value);
}}

function requiredText(name: string): string {{
  const value = text(name);
  if (value === undefined) {{
    throw new Error(`${{name}} has no default: give it with \`cdk synth -c ${{name}}=…\``);
  }}
  return value;
}}

function number(name: string): number | undefined {{
  const value = text(name);
  if (value === undefined) {{
    return undefined;
  }}
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isFinite(parsed)) {{
    throw new Error(`${{name}} must be a number, not ${{JSON.stringify(value)}}`);
  }}
  return parsed;
}}

function requiredNumber(name: string): number {{
  const value = number(name);
  if (value === undefined) {{
    throw new Error(`${{name}} has no default: give it with \`cdk synth -c ${{name}}=…\``);
  }}
  return value;
}}

new {STACK_CLASS}(app, '{STACK_ID}', {{
{props}}});
"#,
        header = postprocess::header(Lang::Typescript)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn each_parameter_is_read_from_the_context_by_its_name_and_type() {
        let template = json!({"Parameters": {
            "Bucket": {"Type": "String"},
            "Days": {"Type": "Number", "Default": 7},
            "Email": {"Type": "String", "Default": ""},
            "Size": {"Type": "Number"}
        }});
        let code = entry_point(&template);
        assert!(
            code.contains("  bucket: requiredText('Bucket'),\n"),
            "{code}"
        );
        assert!(code.contains("  days: number('Days'),\n"));
        assert!(code.contains("  email: text('Email'),\n"));
        assert!(code.contains("  size: requiredNumber('Size'),\n"));
        assert!(code.contains("new AuthorStatsBatchStack(app, 'AuthorStatsBatch', {"));
    }
}
