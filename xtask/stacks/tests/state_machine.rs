//! The fan-out state machine's definition is valid Amazon States Language for
//! `asl-validator` (pinned in xtask/stacks/asl/, installed under target/tools/asl/ by npm).

#[test]
fn the_state_machine_definition_validates() {
    testkit::require!(testkit::tools::Tool::Node);
    xtask_stacks::asl_check::check().unwrap();
}
