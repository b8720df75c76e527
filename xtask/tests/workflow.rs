//! `.github/workflows/deploy.yml`: every action is pinned by a full commit SHA (a tag or a
//! branch can be moved to other code; a commit cannot), tests run before anything deploys,
//! only `main` deploys, and a deploy is a plan, an approval and the apply of exactly the
//! planned change set.

use std::path::Path;

use serde_yaml::Value;

fn workflow_text() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.github/workflows/deploy.yml");
    std::fs::read_to_string(path).unwrap()
}

fn workflow() -> Value {
    serde_yaml::from_str(&workflow_text()).unwrap()
}

/// Every `uses:` of every step of every job, with the job's name.
fn uses(w: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (name, job) in w["jobs"].as_mapping().unwrap() {
        let name = name.as_str().unwrap().to_owned();
        if let Some(reusable) = job["uses"].as_str() {
            out.push((name.clone(), reusable.to_owned()));
        }
        for step in job["steps"].as_sequence().into_iter().flatten() {
            if let Some(action) = step["uses"].as_str() {
                out.push((name.clone(), action.to_owned()));
            }
        }
    }
    out
}

fn pinned(action: &str) -> bool {
    // Local actions (`./…`) are part of this commit; `docker://` images need a digest.
    if action.starts_with("./") {
        return true;
    }
    if let Some(image) = action.strip_prefix("docker://") {
        return image
            .split_once("@sha256:")
            .is_some_and(|(_, d)| d.len() == 64 && d.chars().all(|c| c.is_ascii_hexdigit()));
    }
    action.split_once('@').is_some_and(|(_, r)| {
        r.len() == 40
            && r.chars()
                .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
    })
}

#[test]
fn every_action_is_pinned_by_a_commit_sha_with_its_tag_in_a_comment() {
    let w = workflow();
    let all = uses(&w);
    assert!(
        all.len() >= 8,
        "found only {} uses: the scan is broken",
        all.len()
    );
    for (job, action) in &all {
        assert!(
            pinned(action),
            "job {job}: `uses: {action}` is not pinned by a 40-hex commit SHA"
        );
    }
    // Each pinned line says which release it is.
    for line in workflow_text()
        .lines()
        .filter(|l| l.trim_start().starts_with("- uses:"))
    {
        assert!(
            line.contains(" # "),
            "`{}` has no comment naming its tag",
            line.trim()
        );
    }
}

#[test]
fn the_pin_check_refuses_tags_branches_and_short_shas() {
    for bad in [
        "actions/checkout@v4",
        "dtolnay/rust-toolchain@stable",
        "actions/checkout@3d3c42e",
        "actions/checkout",
        "docker://alpine:3",
        "actions/checkout@3D3C42E5AAC5BA805825DA76410C181273BA90B1",
    ] {
        assert!(!pinned(bad), "{bad}");
    }
    assert!(pinned(
        "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1"
    ));
}

#[test]
fn deploys_need_the_tests_and_run_only_on_main() {
    let w = workflow();
    let jobs = w["jobs"].as_mapping().unwrap();
    let test = &w["jobs"]["test"];
    assert!(
        test["steps"]
            .as_sequence()
            .unwrap()
            .iter()
            .any(|s| s["run"].as_str() == Some("cargo xtask ci")),
        "the test job runs `cargo xtask ci`"
    );
    for (name, job) in jobs {
        let name = name.as_str().unwrap();
        let condition = job["if"].as_str().unwrap_or_default();
        assert!(
            condition.contains("github.ref == 'refs/heads/main'"),
            "job {name} runs on other refs: if: {condition}"
        );
        if name == "test" {
            continue;
        }
        assert!(
            needs_transitively(&w, name).contains(&"test".to_owned()),
            "job {name} does not need the tests"
        );
        // Only jobs that assume the role get an OIDC token, each in its stage's environment
        // (the role trusts `…:environment:<stage>:ref:refs/heads/main`).
        let assumes_role = job["steps"].as_sequence().into_iter().flatten().any(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("aws-actions/configure-aws-credentials@"))
        });
        if assumes_role {
            assert_eq!(job["permissions"]["id-token"], "write", "{name}");
        } else {
            assert!(
                job["permissions"]["id-token"].is_null(),
                "{name} assumes no role but gets an OIDC token"
            );
        }
        assert!(job["environment"].is_string(), "{name} has no environment");
    }
    assert!(
        w["permissions"]["id-token"].is_null(),
        "the workflow-wide permissions must not hand every job an OIDC token"
    );
    assert!(test["permissions"]["id-token"].is_null());
}

fn needs(job: &Value) -> Vec<String> {
    match &job["needs"] {
        Value::String(s) => vec![s.clone()],
        Value::Sequence(items) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

/// Every job `name` waits for, directly or through another.
fn needs_transitively(w: &Value, name: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut todo = needs(&w["jobs"][name]);
    while let Some(next) = todo.pop() {
        if !out.contains(&next) {
            todo.extend(needs(&w["jobs"][next.as_str()]));
            out.push(next);
        }
    }
    out
}

/// The `run:` lines of a job's steps, joined.
fn runs(job: &Value) -> String {
    job["steps"]
        .as_sequence()
        .into_iter()
        .flatten()
        .filter_map(|s| s["run"].as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_deploy_is_planned_approved_then_exactly_that_change_set_applied() {
    let w = workflow();
    let (plan, approve, apply) = (
        &w["jobs"]["plan"],
        &w["jobs"]["approve"],
        &w["jobs"]["apply"],
    );
    assert!(
        runs(plan).contains("cargo xtask deploy --stage \"$STAGE\" --no-execute"),
        "{}",
        runs(plan)
    );
    assert!(
        plan["outputs"]["change_set"].is_string(),
        "plan exports the change set"
    );
    // The approval: its own environment (required reviewers), after the plan, no AWS.
    assert_eq!(needs(approve), ["plan"]);
    let gate = approve["environment"].as_str().unwrap();
    assert!(gate.ends_with("-approval"), "{gate}");
    assert_ne!(gate, plan["environment"].as_str().unwrap());
    assert!(approve["permissions"]["id-token"].is_null());
    // The apply: after the approval, the planned change set, never a new build.
    assert!(needs(apply).contains(&"approve".to_owned()));
    let apply_run = runs(apply);
    assert!(
        apply_run.contains("--change-set \"$CHANGE_SET\"") && !apply_run.contains("--no-execute"),
        "{apply_run}"
    );
    let step_env = apply["steps"]
        .as_sequence()
        .unwrap()
        .iter()
        .find_map(|s| s["env"]["CHANGE_SET"].as_str())
        .unwrap();
    assert_eq!(step_env, "${{ needs.plan.outputs.change_set }}");
    assert_eq!(
        apply["environment"], plan["environment"],
        "apply assumes the same stage role as the plan"
    );
    // Nothing deploys without the plan and the approval.
    for (name, job) in w["jobs"].as_mapping().unwrap() {
        let run = runs(job);
        if run.contains("cargo xtask deploy") && name.as_str() != Some("plan") {
            assert!(
                run.contains("--change-set"),
                "{name:?} deploys without a plan"
            );
        }
    }
}
