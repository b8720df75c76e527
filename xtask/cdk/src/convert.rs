//! The template → CDK source step: `cdk-from-cfn` turns the synthesized template into one
//! stack class in the chosen language. It owns no fixes of its own: whatever the generated
//! code needs changed is done afterwards, in `postprocess.rs`.

use std::borrow::Cow;

use anyhow::{Context, Result};
use cdk_from_cfn::cdk::Schema;
use cdk_from_cfn::ir::CloudformationProgramIr;
use cdk_from_cfn::synthesizer::{CSharp, Golang, Java, Python, Synthesizer, Typescript};
use cdk_from_cfn::CloudformationParseTree;

use crate::lang::Lang;

/// The stack class (and, for the languages that need one, the package) the code declares.
pub const STACK_CLASS: &str = "AuthorStatsBatchStack";
/// The Java package of the generated class.
pub const JAVA_PACKAGE: &str = "com.example.authorstats";

/// `template` (CloudFormation YAML or JSON) as the source of a CDK stack class in `lang`,
/// exactly as `cdk-from-cfn` writes it.
pub fn convert(template: &str, lang: Lang) -> Result<String> {
    let tree: CloudformationParseTree = serde_yaml::from_str(template)
        .context("cdk-from-cfn could not read the template (is it valid CloudFormation YAML?)")?;
    let schema = Cow::Borrowed(Schema::builtin());
    let ir = CloudformationProgramIr::from(tree, &schema).map_err(|e| {
        anyhow::anyhow!(
            "cdk-from-cfn cannot convert the template: {e}; change the stack (xtask/stacks/src/main_stack/mod.rs) \
             so that it uses only what cdk-from-cfn supports"
        )
    })?;
    let synthesizer: Box<dyn Synthesizer> = match lang {
        Lang::Typescript => Box::new(Typescript {}),
        Lang::Python => Box::new(Python {}),
        Lang::Go => Box::new(Golang::new(&schema)),
        Lang::Java => Box::new(Java::new(JAVA_PACKAGE, &schema)),
        Lang::Csharp => Box::new(CSharp::new(&schema)),
    };
    let mut out = Vec::new();
    ir.synthesize(synthesizer.as_ref(), &mut out, STACK_CLASS)
        .map_err(|e| anyhow::anyhow!("cdk-from-cfn could not write {lang} code: {e}"))?;
    String::from_utf8(out).context("cdk-from-cfn wrote code that is not UTF-8")
}
