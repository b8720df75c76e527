//! The generated files of the CDK app: the stack class (converted, then post-processed) and,
//! for TypeScript, the entry point `bin/author-stats-batch.ts` that builds the stack with the
//! parameter values given as `cdk synth -c Name=value` (read in `lib/props-from-context.ts`),
//! and `bin/nag.ts`, which runs cdk-nag's AWS Solutions pack over it (`crate::nag`). The app's hand-written files
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
/// The stack's props read from the CDK context, shared by both entry points.
pub const PROPS_FROM_CONTEXT: &str = "lib/props-from-context.ts";
/// The entry point of cdk-nag's check (`cargo xtask cdk --check`, `crate::nag`).
pub const NAG_ENTRY_POINT: &str = "bin/nag.ts";

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
        files.push((ENTRY_POINT, entry_point()));
        files.push((PROPS_FROM_CONTEXT, props_from_context(&template)));
        files.push((NAG_ENTRY_POINT, nag_entry_point()));
    }
    Ok(files)
}

/// The app's entry point: one stack with the props of the context.
pub fn entry_point() -> String {
    format!(
        r#"#!/usr/bin/env node
{header}import * as cdk from 'aws-cdk-lib';
import {{ {STACK_CLASS} }} from '../lib/author-stats-batch-stack';
import {{ propsFromContext }} from '../lib/props-from-context';

const app = new cdk.App();
new {STACK_CLASS}(app, '{STACK_ID}', propsFromContext(app));
"#,
        header = postprocess::header(Lang::Typescript)
    )
}

/// The stack's props, each read from the CDK context value named like the template's
/// parameter (`-c AlarmEmail=ops@example.com`), absent ones left to the defaults.
pub fn props_from_context(template: &Json) -> String {
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
        props.push_str(&format!("    {}: {read}('{name}'),\n", camel(name)));
    }
    format!(
        r#"{header}import * as cdk from 'aws-cdk-lib';
import {{ {STACK_CLASS}Props }} from './author-stats-batch-stack';

/** The stack's props from `app`'s context: each parameter from `-c Name=value`. */
export function propsFromContext(app: cdk.App): {STACK_CLASS}Props {{
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

  return {{
{props}  }};
}}
"#,
        header = postprocess::header(Lang::Typescript)
    )
}

/// cdk-nag's entry point: the AWS Solutions pack over the stack at each case's values.
pub fn nag_entry_point() -> String {
    format!(
        r#"#!/usr/bin/env node
{header}import * as cdk from 'aws-cdk-lib';
import {{ AwsSolutionsChecks }} from 'cdk-nag';
import {{ {STACK_CLASS} }} from '../lib/author-stats-batch-stack';
import {{ propsFromContext }} from '../lib/props-from-context';

/**
 * cdk-nag's AWS Solutions checks on the stack, once per set of parameter values: the
 * context value `nagCases` maps a case's name to its values (`cargo xtask cdk --check`
 * passes them in CDK_CONTEXT_JSON). A finding the template acknowledges (its resource's
 * `cdk_nag` metadata, with the reason) is acknowledged on that resource; any other fails,
 * and so does an acknowledgement that matches no finding in any case (a stale one).
 */
type Acknowledged = {{ rules_to_suppress?: {{ id: string; reason: string }}[] }};

const cases: Record<string, Record<string, string>> =
  new cdk.App().node.tryGetContext('nagCases') ?? {{}};
if (Object.keys(cases).length === 0) {{
  throw new Error('no nagCases in the context: give {{"nagCases": {{"<case>": {{…}}}}}}');
}}
const failed: string[] = [];
const acknowledged = new Set<string>();
const found = new Set<string>();
for (const [name, values] of Object.entries(cases)) {{
  const app = new cdk.App({{ outdir: `cdk.out/nag-${{name}}`, context: values }});
  const stack = new {STACK_CLASS}(app, '{STACK_ID}', propsFromContext(app));
  // Every finding before any acknowledgement, to tell a stale one.
  for (const violation of new AwsSolutionsChecks().validateScope(stack).violations) {{
    for (const resource of violation.violatingResources) {{
      found.add(`${{resource.constructPath}} ${{violation.ruleName}}`);
    }}
  }}
  for (const construct of stack.node.findAll()) {{
    if (cdk.CfnResource.isCfnResource(construct)) {{
      const nag = construct.cfnOptions.metadata?.['cdk_nag'] as Acknowledged | undefined;
      for (const rule of nag?.rules_to_suppress ?? []) {{
        acknowledged.add(`${{construct.node.path}} ${{rule.id}}`);
        cdk.Validations.of(construct).acknowledge({{ id: rule.id, reason: rule.reason }});
      }}
    }}
  }}
  cdk.Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  try {{
    app.synth();
  }} catch (error) {{
    failed.push(`[${{name}}] ${{String(error)}}`);
  }}
}}
const stale = [...acknowledged].filter((key) => !found.has(key));
if (stale.length > 0) {{
  failed.push(`acknowledged, but found in no case (remove them): ${{stale.join(', ')}}`);
}}
if (failed.length > 0) {{
  throw new Error(`cdk-nag:\n${{failed.join('\n')}}`);
}}
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
        let code = props_from_context(&template);
        assert!(
            code.contains("    bucket: requiredText('Bucket'),\n"),
            "{code}"
        );
        assert!(code.contains("    days: number('Days'),\n"));
        assert!(code.contains("    email: text('Email'),\n"));
        assert!(code.contains("    size: requiredNumber('Size'),\n"));
        assert!(entry_point().contains(
            "new AuthorStatsBatchStack(app, 'AuthorStatsBatch', propsFromContext(app));"
        ));
    }
}
