//! The stacks of author-stats, written on the typed CloudFormation model (`xtask-cfn`):
//! the production stack (`main_stack`, with the fan-out's state machine), the once-per-stage
//! bootstrap stack (`bootstrap_stack`), the stage file they are deployed with (`stages`,
//! `stage_style`), the generated templates under templates/ (`templates`) and their static
//! checks (`template_lint`: cfn-lint and checkov; `asl_check`: the state machine). No AWS SDK.

pub mod asl_check;
pub mod bootstrap_stack;
pub mod main_stack;
pub mod stage_style;
pub mod stages;
pub mod template_lint;
pub mod templates;
