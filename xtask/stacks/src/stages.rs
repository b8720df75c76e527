//! Stages: `deploy/stages.toml` names each stage's region, whether it is production, its
//! chart style file and its stack parameters; `--param K=V` overrides them for one run. A stage maps to the stack
//! `author-stats-batch-<stage>` and, by default, an ECR repository of the same name.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::Deserialize;

use crate::main_stack::params;
use xtask_support::shell::project_root;

/// The stage file, relative to the project root.
pub const STAGES_PATH: &str = "deploy/stages.toml";
/// Stack names are this plus `-<stage>`.
pub const STACK_PREFIX: &str = "author-stats-batch";

/// One stage as written in the file.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct StageConfig {
    pub region: Option<String>,
    #[serde(default)]
    pub production: bool,
    pub repository: Option<String>,
    /// The chart style file, relative to the parent of the stage file's folder (the project
    /// root for `deploy/stages.toml`), e.g. `deploy/styles/default.toml`.
    pub style: Option<PathBuf>,
    #[serde(default)]
    pub parameters: BTreeMap<String, toml::Value>,
}

/// A stage resolved for one run: names, and parameter values as CloudFormation strings.
#[derive(Debug, Clone, PartialEq)]
pub struct Stage {
    pub name: String,
    pub stack_name: String,
    pub repository: String,
    pub region: Option<String>,
    pub production: bool,
    /// The chart style file (resolved), sent as the `ChartStyle` parameter by deploy and diff.
    pub style: Option<PathBuf>,
    pub parameters: BTreeMap<String, String>,
}

/// `--stage` with its default and `--param` overrides, shared by the commands.
#[derive(clap::Args, Clone, Debug)]
pub struct StageArgs {
    /// Stage to act on (a section of deploy/stages.toml); the stack is author-stats-batch-<stage>.
    #[arg(long, default_value = "dev")]
    pub stage: String,
    /// Stage file [default: deploy/stages.toml in the project].
    #[arg(long, hide = true)]
    pub stages_file: Option<PathBuf>,
}

impl StageArgs {
    pub fn load(&self, overrides: &[String]) -> Result<Stage> {
        let path = self
            .stages_file
            .clone()
            .unwrap_or_else(|| project_root().join(STAGES_PATH));
        let text = std::fs::read_to_string(&path).with_context(|| {
            format!(
                "cannot read the stage file {}: create it (see the README's Deploy section)",
                path.display()
            )
        })?;
        resolve(&text, &path, &self.stage, overrides)
    }
}

/// The stage `name` of the file text, with `KEY=VALUE` overrides applied.
pub fn resolve(text: &str, path: &Path, name: &str, overrides: &[String]) -> Result<Stage> {
    check_stage_name(name)?;
    let stages: BTreeMap<String, StageConfig> = toml::from_str(text)
        .with_context(|| format!("{} is not a valid stage file", path.display()))?;
    let Some(config) = stages.get(name) else {
        bail!(
            "stage `{name}` is not in {}: the stages there are {}; add a [{name}] section",
            path.display(),
            stages.keys().cloned().collect::<Vec<_>>().join(", ")
        );
    };
    let mut parameters = BTreeMap::new();
    for (key, value) in &config.parameters {
        let text = match value {
            toml::Value::String(s) => s.clone(),
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Float(f) => f.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            other => bail!(
                "parameter {key} of stage `{name}` in {} is a {}: give a string or a number",
                path.display(),
                other.type_str()
            ),
        };
        parameters.insert(key.clone(), text);
    }
    for item in overrides {
        let Some((key, value)) = item.split_once('=') else {
            bail!("--param {item:?} is not KEY=VALUE (e.g. --param ActiveDays=14)");
        };
        parameters.insert(key.trim().to_owned(), value.to_owned());
    }
    if parameters.contains_key(params::IMAGE_URI) {
        bail!(
            "{} is set by deploy (the image it pushed, pinned by digest): remove it from the \
             stage's parameters, or pass --image REPOSITORY@sha256:… to deploy a given image",
            params::IMAGE_URI
        );
    }
    if config
        .parameters
        .contains_key(crate::stage_style::PARAMETER)
    {
        bail!(
            "stage `{name}` in {} sets the parameter {} directly: give the style file instead \
             (style = \"deploy/styles/default.toml\")",
            path.display(),
            crate::stage_style::PARAMETER
        );
    }
    // Relative to the parent of the stage file's folder: deploy/stages.toml → the project.
    let base = path
        .parent()
        .and_then(Path::parent)
        .unwrap_or_else(|| Path::new("."));
    let style = config.style.as_ref().map(|s| base.join(s));
    if config.production && !given(&parameters, params::ALARM_EMAIL) {
        bail!(
            "production stage `{name}` in {} has no {email}: its alarms would notify nobody; \
             add {email} = \"ops@example.com\" under [{name}.parameters] (the address \
             confirms the subscription once)",
            path.display(),
            email = params::ALARM_EMAIL
        );
    }
    let stack_name = format!("{STACK_PREFIX}-{name}");
    Ok(Stage {
        name: name.to_owned(),
        repository: config
            .repository
            .clone()
            .unwrap_or_else(|| stack_name.clone()),
        stack_name,
        region: config.region.clone(),
        production: config.production,
        style,
        parameters,
    })
}

/// Whether parameter `name` is given and not empty.
fn given(parameters: &BTreeMap<String, String>, name: &str) -> bool {
    parameters.get(name).is_some_and(|v| !v.trim().is_empty())
}

impl Stage {
    /// What `deploy` warns about before it proposes a change set: alarms that notify nobody
    /// (a production stage cannot get here without `AlarmEmail`), and a production stage
    /// served with CloudFront's default certificate, whose security policy still accepts
    /// TLSv1 (spec/batch-setup.md, `ChartsDistribution`).
    pub fn warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        if !given(&self.parameters, params::ALARM_EMAIL) {
            warnings.push(format!(
                "stage `{}` has no {}: its alarms fire but notify nobody (only `cargo xtask \
                 status` shows them); give it in {STAGES_PATH} (a production stage must)",
                self.name,
                params::ALARM_EMAIL
            ));
        }
        let custom_domain = given(&self.parameters, params::DOMAIN_NAME)
            && given(&self.parameters, params::CERTIFICATE_ARN);
        if self.production && !custom_domain {
            warnings.push(format!(
                "production stage `{}` has no custom domain ({} and {}): CloudFront serves the \
                 charts with its default *.cloudfront.net certificate, which still accepts \
                 TLSv1 and TLSv1.1 clients; give both to require TLSv1.2 (TLSv1.2_2021)",
                self.name,
                params::DOMAIN_NAME,
                params::CERTIFICATE_ARN
            ));
        }
        warnings
    }
}

/// What a stage name may be (the bootstrap template's `Stage` parameter checks the same).
/// No hyphen: the stage's IAM scope `author-stats-batch-<stage>-*` must not also match
/// another stage's names (`dev-*` would match stage `dev-x`). At most 18 characters: the
/// longest generated name, `<stack>-chartsbucket-<13 random>` (63 at most), and the
/// schedule's `<stack>-DailySchedule-<12>` (64) then keep the stack name whole.
pub const STAGE_PATTERN: &str = "^[a-z][a-z0-9]{0,17}$";

/// Stage names become part of stack names and of the IAM scope of the stage's roles.
fn check_stage_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 18
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if !ok {
        bail!(
            "stage name {name:?} is not usable: use 1–18 lowercase letters and digits, \
             starting with a letter (no hyphen: the stage's IAM scope \
             author-stats-batch-<stage>-* must not match another stage's resources)"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"
[dev]
region = "ap-northeast-1"
[dev.parameters]
SourceBucketName = "export-dev"
ActiveDays = 7

[prod]
production = true
repository = "shared-images"
[prod.parameters]
SourceBucketName = "export"
AlarmEmail = "ops@example.com"
"#;

    fn load(name: &str, overrides: &[&str]) -> Result<Stage> {
        let overrides: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
        resolve(FILE, Path::new("stages.toml"), name, &overrides)
    }

    #[test]
    fn a_stage_gives_its_stack_repository_region_and_string_parameters() {
        let dev = load("dev", &["ActiveDays=14", "AlarmEmail="]).unwrap();
        assert_eq!(dev.stack_name, "author-stats-batch-dev");
        assert_eq!(dev.repository, "author-stats-batch-dev");
        assert_eq!(dev.region.as_deref(), Some("ap-northeast-1"));
        assert!(!dev.production);
        assert_eq!(dev.parameters["ActiveDays"], "14");
        assert_eq!(dev.parameters["SourceBucketName"], "export-dev");
        assert_eq!(dev.parameters["AlarmEmail"], "");
        let prod = load("prod", &[]).unwrap();
        assert!(prod.production);
        assert_eq!(prod.repository, "shared-images");
    }

    #[test]
    fn unknown_stages_bad_names_and_image_overrides_are_refused_with_the_fix() {
        let err = load("qa", &[]).unwrap_err().to_string();
        assert!(err.contains("dev, prod") && err.contains("[qa]"), "{err}");
        let err = load("Prod!", &[]).unwrap_err().to_string();
        assert!(err.contains("lowercase"), "{err}");
        let err = load("dev", &["ImageUri=x@sha256:00"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("--image"), "{err}");
        let err = load("dev", &["ActiveDays"]).unwrap_err().to_string();
        assert!(err.contains("KEY=VALUE"), "{err}");
    }

    #[test]
    fn a_production_stage_needs_an_alarm_email() {
        let text = "[p]\nproduction = true\n[p.parameters]\nSourceBucketName = \"b\"\n";
        let err = resolve(text, Path::new("stages.toml"), "p", &[])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("production stage `p`") && err.contains("AlarmEmail = "),
            "{err}"
        );
        // Nor may an override take it away.
        let err = load("prod", &["AlarmEmail= "]).unwrap_err().to_string();
        assert!(err.contains("notify nobody"), "{err}");
        assert!(load("prod", &[]).is_ok());
    }

    #[test]
    fn deploy_warns_of_silent_alarms_and_of_tls_v1_on_a_production_stage_without_a_domain() {
        let dev = load("dev", &[]).unwrap();
        let warnings = dev.warnings();
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].contains("notify nobody"), "{warnings:?}");
        let dev = load("dev", &["AlarmEmail=ops@example.com"]).unwrap();
        assert!(dev.warnings().is_empty());

        let prod = load("prod", &[]).unwrap();
        let warnings = prod.warnings();
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0].contains("TLSv1") && warnings[0].contains("DomainName"),
            "{warnings:?}"
        );
        // Both parameters, or it is still the default certificate.
        let half = load("prod", &["DomainName=charts.example.com"]).unwrap();
        assert_eq!(half.warnings().len(), 1);
        let domain = load(
            "prod",
            &[
                "DomainName=charts.example.com",
                "CertificateArn=arn:aws:acm:us-east-1:123456789012:certificate/x",
            ],
        )
        .unwrap();
        assert!(domain.warnings().is_empty());
    }

    #[test]
    fn the_checked_in_stage_file_resolves_every_stage() {
        let path = project_root().join(STAGES_PATH);
        let text = std::fs::read_to_string(&path).unwrap();
        for name in ["dev", "prod"] {
            let stage = resolve(&text, &path, name, &[]).unwrap();
            assert!(
                stage.parameters.contains_key(params::SOURCE_BUCKET),
                "{name}"
            );
            // The shipped stages draw with the default style (locale ja).
            let style = stage.style.expect("dev and prod name a style");
            assert_eq!(style, project_root().join("deploy/styles/default.toml"));
            let sent: toml::Table = crate::stage_style::compact(&style)
                .unwrap()
                .parse()
                .unwrap();
            assert_eq!(sent["locale"].as_str(), Some("ja"), "{name}");
        }
    }

    #[test]
    fn a_style_path_is_relative_to_the_parent_of_the_stage_files_folder() {
        let text =
            "[s]\nstyle = \"deploy/styles/x.toml\"\n[s.parameters]\nSourceBucketName = \"b\"\n";
        let stage = resolve(text, Path::new("/repo/deploy/stages.toml"), "s", &[]).unwrap();
        assert_eq!(
            stage.style,
            Some(PathBuf::from("/repo/deploy/styles/x.toml"))
        );
        let absolute = "[s]\nstyle = \"/etc/style.toml\"\n";
        let stage = resolve(absolute, Path::new("/repo/deploy/stages.toml"), "s", &[]).unwrap();
        assert_eq!(stage.style, Some(PathBuf::from("/etc/style.toml")));
        let direct = "[s]\n[s.parameters]\nChartStyle = \"locale = 'en'\"\n";
        let err = resolve(direct, Path::new("stages.toml"), "s", &[])
            .unwrap_err()
            .to_string();
        assert!(err.contains("style ="), "{err}");
    }
}
