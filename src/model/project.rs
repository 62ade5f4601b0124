//! The project file, `PROJECT.toml`: what `init` decided and every API added since.
//!
//! Every command but `init` reads it first and writes it last, so it is the one record of what the
//! scaffold contains. Kubebuilder users know it as `PROJECT`; ours is TOML.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Result, bail};
use serde::{Deserialize, Serialize};

use crate::model::core_kinds::CoreKind;
use crate::model::external_crd::ExternalCrd;
use crate::model::read::{self, read_text};
use crate::values::{ControllerName, Group, Kind, Plural, Version, WebhookPath, parse};

pub const PROJECT_FILE: &str = "PROJECT.toml";

/// The shape of the generated tree; bumped when a new scaffold would not fit older projects.
pub const LAYOUT: &str = "rust.operator/v1";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Project {
    pub layout: String,
    pub cli_version: String,
    pub domain: String,
    pub project_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    pub license: License,
    /// The manager watches only its own namespace (Role, not ClusterRole).
    #[serde(default)]
    pub namespaced: bool,
    /// APIs live under `src/api/<group>/<version>/`, so the project can hold several groups
    /// (`init --multigroup`, `edit --multigroup`). Written only when true.
    #[serde(default, skip_serializing_if = "is_false")]
    pub multigroup: bool,
    /// The project has a Helm chart in `dist/chart` (`cargo operator edit --helm`). Written only
    /// when true, so files from before the chart option existed read and write unchanged.
    #[serde(default, skip_serializing_if = "is_false")]
    pub helm: bool,
    /// The project has Grafana dashboards in `grafana/` (Kubebuilder's grafana plugin, through
    /// `edit --plugins=grafana.kubebuilder.io/v1-alpha`). Written only when true.
    #[serde(default, skip_serializing_if = "is_false")]
    pub grafana: bool,
    /// The project has `.github/workflows/auto_update.yml` (Kubebuilder's autoupdate plugin,
    /// through `edit --plugins=autoupdate.kubebuilder.io/v1-alpha`). Written only when true.
    #[serde(default, skip_serializing_if = "is_false")]
    pub autoupdate: bool,
    /// The SHA-256 of each project-wide file a command wrote (`init`'s, the webhook deploy
    /// config, the chart, the dashboards…), as written; the files of one API are in its
    /// `[resources.files]`. `cargo operator update` replaces a file that still matches without
    /// asking, and merges one that does not.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub files: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<Resource>,
}

fn is_false(value: &bool) -> bool {
    !value
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum License {
    Apache2,
    None,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Resource {
    pub group: Group,
    pub version: Version,
    pub kind: Kind,
    pub plural: Plural,
    pub namespaced: bool,
    pub controller: bool,
    #[serde(default)]
    pub example: Example,
    /// Who owns the type: this project (written only when it is not).
    #[serde(default, skip_serializing_if = "Source::is_project")]
    pub source: Source,
    /// The name the kind's own controller registers under, when it cannot be the kind's: in the
    /// layout by group, a kind of the same name in another group had it first (Kubebuilder's
    /// `<group>-<kind>`, such as `fiz-bar`). Written only when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub own_controller_name: Option<String>,
    /// Controllers added with `--controller-name`, besides the kind's own one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub named_controllers: Vec<ControllerName>,
    /// The SHA-256 of each file `create api` wrote for this API, as written: `delete api`
    /// deletes only files that still match, so nobody loses an edit.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub files: BTreeMap<String, String>,
    /// The webhooks `create webhook` added for this version of the kind.
    #[serde(default, skip_serializing_if = "Webhooks::is_empty")]
    pub webhooks: Webhooks,
}

/// The webhooks of one version of a kind, as Kubebuilder's PROJECT records them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Webhooks {
    /// A mutating webhook fills in defaults.
    #[serde(default, skip_serializing_if = "is_false")]
    pub defaulting: bool,
    /// A validating webhook accepts or refuses objects.
    #[serde(default, skip_serializing_if = "is_false")]
    pub validation: bool,
    /// This version is the hub that the `spoke` versions convert through.
    #[serde(default, skip_serializing_if = "is_false")]
    pub conversion: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub spoke: Vec<Version>,
    /// The mutating webhook's path, when not the default one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub defaulting_path: Option<WebhookPath>,
    /// The validating webhook's path, when not the default one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation_path: Option<WebhookPath>,
}

impl Webhooks {
    pub fn is_empty(&self) -> bool {
        *self == Webhooks::default()
    }

    /// A defaulting or validating webhook: one the API server calls on writes.
    pub fn admission(&self) -> bool {
        self.defaulting || self.validation
    }
}

/// Where an API's Rust type comes from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// A custom resource this project defines: its type, CRD and samples are generated.
    #[default]
    Project,
    /// A kind Kubernetes serves itself (Deployment, ConfigMap…): the type is k8s-openapi's,
    /// and `group` is the Kubernetes group (`core`, `apps`, `networking.k8s.io`).
    Core,
    /// A custom resource another project owns: its CRD is copied to `config/crd/external/`
    /// and its types generated from it; `group` is the CRD's group.
    External,
}

impl Source {
    pub fn is_project(&self) -> bool {
        *self == Source::Project
    }
}

/// What the type and controller of a new API start from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Example {
    /// The Foo/Pod-friend operator: happy when a Pod named after its friend exists.
    #[default]
    PodFriend,
    /// A minimal reconcile loop that records the observed generation.
    Skeleton,
    /// Kubebuilder's `deploy-image/v1-alpha` plugin: a Deployment of one image, sized by
    /// `spec.size` (`create api --image …`). Its options are kept so that later commands (the
    /// chart, `delete api`) render what depends on them again.
    DeployImage(DeployImage),
}

/// The options of a kind made by `create api --image` (Kubebuilder's deploy-image plugin
/// records the same ones in its PROJECT file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct DeployImage {
    /// The image the Deployment runs unless the manager's `<KIND>_IMAGE` says otherwise.
    pub image: String,
    /// The container's command and arguments (`--image-container-command`), if given.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub command: Vec<String>,
    /// The container's port (`--image-container-port`), which becomes `spec.containerPort`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_port: Option<u16>,
    /// The UID the container runs as (`--run-as-user`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_as_user: Option<i64>,
}

impl DeployImage {
    /// Checks values that may have been edited by hand in `PROJECT.toml` as `create api`
    /// checks its flags.
    pub fn validate(&self) -> Result<()> {
        crate::values::rules::image_reference(&self.image)?;
        for item in &self.command {
            if item.trim().is_empty() {
                bail!("the image's command has an empty item; remove it");
            }
        }
        if self.container_port == Some(0) {
            bail!("container port 0 is not a port; use one from 1 to 65535");
        }
        if let Some(uid) = self.run_as_user {
            crate::values::rules::run_as_user(&uid.to_string())?;
        }
        Ok(())
    }
}

impl Example {
    /// The deploy-image options, for a kind made by `create api --image`.
    pub fn deploy_image(&self) -> Option<&DeployImage> {
        match self {
            Example::DeployImage(options) => Some(options),
            _ => None,
        }
    }
}

impl Resource {
    /// The `PROJECT.toml` entry of a built-in kind new to the project, with its controller or not.
    pub fn core(core: &CoreKind, controller: bool) -> Result<Resource> {
        Resource::unowned(
            Source::Core,
            [core.group, core.version, core.kind, core.plural],
            core.namespaced,
            controller,
        )
    }

    /// The `PROJECT.toml` entry of `version` of an external kind new to the project, from its CRD.
    pub fn external(crd: &ExternalCrd, version: &str, controller: bool) -> Result<Resource> {
        Resource::unowned(
            Source::External,
            [&crd.group, version, &crd.kind, &crd.plural],
            crd.namespaced,
            controller,
        )
    }

    /// A kind another owner serves: its group, version, kind and plural as given, checked.
    fn unowned(
        source: Source,
        [group, version, kind, plural]: [&str; 4],
        namespaced: bool,
        controller: bool,
    ) -> Result<Resource> {
        Ok(Resource {
            group: parse(group)?,
            version: parse(version)?,
            kind: parse(kind)?,
            plural: parse(plural)?,
            namespaced,
            controller,
            example: Example::Skeleton,
            source,
            own_controller_name: None,
            named_controllers: Vec::new(),
            files: Default::default(),
            webhooks: Default::default(),
        })
    }

    /// The same API: group, version and kind.
    pub fn same_gvk(&self, other: &Resource) -> bool {
        self.is(&other.group, &other.version, &other.kind)
    }

    pub fn is(&self, group: &str, version: &str, kind: &str) -> bool {
        self.group == group && self.version == version && self.kind == kind
    }

    /// Whether `content` is still what cargo-operator wrote at `path` for this API: the hash
    /// recorded in `files` matches. A file with no recorded hash counts as edited.
    pub fn is_untouched(&self, path: &str, content: &str) -> bool {
        self.files
            .get(path)
            .is_some_and(|hash| crate::model::hashes::matches(hash, content))
    }

    /// `group/version, Kind=Kind`, as Kubernetes prints a GVK.
    pub fn gvk(&self) -> String {
        format!("{}/{}, Kind={}", self.group, self.version, self.kind)
    }
}

impl Project {
    /// The hash recorded for `path`: in the project-wide table, or in the table of the API the
    /// file belongs to.
    pub fn recorded_hash(&self, path: &str) -> Option<&str> {
        self.files
            .get(path)
            .or_else(|| self.resources.iter().find_map(|r| r.files.get(path)))
            .map(String::as_str)
    }

    pub fn load(dir: &Path) -> Result<Project> {
        let path = dir.join(PROJECT_FILE);
        let Some(text) = read_text(&path, PROJECT_FILE, read::PROJECT_FILE)? else {
            bail!(
                "no `{PROJECT_FILE}` in `{}`; run this inside a project made by `cargo operator init`",
                dir.display()
            );
        };
        Project::parse(&text)
    }

    pub fn parse(text: &str) -> Result<Project> {
        let project: Project = toml::from_str(text).map_err(|err| {
            let message = err.message().trim_end().replace('\n', " ");
            match err.span() {
                Some(span) => {
                    let (line, column) = line_and_column(text, span.start);
                    anyhow::anyhow!(
                        "`{PROJECT_FILE}` line {line}, column {column}: {message}; fix it there, or undo your edit"
                    )
                }
                None => anyhow::anyhow!("`{PROJECT_FILE}` is not valid: {message}"),
            }
        })?;
        if project.layout != LAYOUT {
            bail!(
                "`{PROJECT_FILE}` has layout `{}`, but this cargo-operator writes `{LAYOUT}`; use the cargo-operator version that made the project",
                project.layout
            );
        }
        project.check().map_err(|problem| {
            let at = super::check::line_of(text, problem.at)
                .map_or(String::new(), |line| format!(" line {line}"));
            anyhow::anyhow!(
                "`{PROJECT_FILE}`{at}: {}; fix it there, or undo your edit",
                problem.message
            )
        })?;
        Ok(project)
    }

    pub fn to_toml(&self) -> String {
        let body = toml::to_string(self).expect("the project file always serializes");
        format!(
            "# The project file of cargo-operator: what `init` decided and each API added since.\n\
             # Every `cargo operator` command reads it; edit it only to fix a mistake.\n{body}"
        )
    }

    pub fn crate_name(&self) -> String {
        crate::values::spelling::crate_name(&self.project_name)
    }

    /// The group every API this project defines shares, once one exists (one-group projects).
    pub fn group(&self) -> Option<&Group> {
        self.owned().next().map(|r| &r.group)
    }

    /// The APIs whose types this project defines.
    pub fn owned(&self) -> impl Iterator<Item = &Resource> {
        self.resources.iter().filter(|r| r.source.is_project())
    }
}

/// The 1-based line and column (in characters) of byte `offset` in `text`.
fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rsplit('\n')
        .next()
        .unwrap_or_default()
        .chars()
        .count()
        + 1;
    (line, column)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn sample() -> Project {
        Project {
            layout: LAYOUT.into(),
            cli_version: "0.1.0".into(),
            domain: "my.domain".into(),
            project_name: "tutorial".into(),
            repo: Some("my.domain/tutorial".into()),
            owner: None,
            license: License::Apache2,
            namespaced: false,
            helm: false,
            grafana: false,
            autoupdate: false,
            multigroup: false,
            files: BTreeMap::new(),
            resources: vec![Resource {
                group: "tutorial".parse().unwrap(),
                version: "v1".parse().unwrap(),
                kind: "Foo".parse().unwrap(),
                plural: "foos".parse().unwrap(),
                namespaced: true,
                controller: true,
                example: Example::PodFriend,
                source: Source::Project,
                own_controller_name: None,
                named_controllers: Vec::new(),
                files: BTreeMap::new(),
                webhooks: Webhooks::default(),
            }],
        }
    }

    #[test]
    fn round_trips() {
        let project = sample();
        let text = project.to_toml();
        assert!(text.contains("project-name = \"tutorial\""), "{text}");
        assert!(text.contains("[[resources]]"), "{text}");
        assert!(text.contains("example = \"pod-friend\""), "{text}");
        assert_eq!(Project::parse(&text).unwrap(), project);
    }

    #[test]
    fn the_helm_chart_is_recorded_only_once_added() {
        let project = sample();
        let text = project.to_toml();
        assert!(!text.contains("helm"), "{text}");
        assert!(!Project::parse(&text).unwrap().helm);
        let with_chart = Project {
            helm: true,
            ..project
        };
        let text = with_chart.to_toml();
        assert!(text.contains("\nhelm = true\n"), "{text}");
        assert_eq!(Project::parse(&text).unwrap(), with_chart);
        let with_dashboards = Project {
            grafana: true,
            ..sample()
        };
        let text = with_dashboards.to_toml();
        assert!(text.contains("\ngrafana = true\n"), "{text}");
        assert_eq!(Project::parse(&text).unwrap(), with_dashboards);
        assert!(!sample().to_toml().contains("autoupdate"));
        let with_workflow = Project {
            autoupdate: true,
            ..sample()
        };
        let text = with_workflow.to_toml();
        assert!(text.contains("\nautoupdate = true\n"), "{text}");
        assert_eq!(Project::parse(&text).unwrap(), with_workflow);
    }

    #[test]
    fn a_bad_value_is_reported_with_its_line_and_column() {
        let text = sample()
            .to_toml()
            .replace("kind = \"Foo\"", "kind = \"foo\"");
        let line = text.lines().position(|l| l.starts_with("kind = ")).unwrap() + 1;
        let err = Project::parse(&text).unwrap_err().to_string();
        assert_eq!(
            err,
            format!(
                "`PROJECT.toml` line {line}, column 8: kind `foo` must be PascalCase: an upper-case letter, then letters and digits, such as `Foo` or `CronJob`; fix it there, or undo your edit"
            )
        );
    }

    #[test]
    fn deploy_image_options_round_trip_and_are_checked() {
        let mut project = sample();
        project.resources[0].example = Example::DeployImage(DeployImage {
            image: "memcached:1.6.26-alpine3.19".into(),
            command: vec!["memcached".into(), "-v".into()],
            container_port: Some(11211),
            run_as_user: Some(1001),
        });
        let text = project.to_toml();
        assert!(
            text.contains(
                "[resources.example.deploy-image]\nimage = \"memcached:1.6.26-alpine3.19\"\n"
            ),
            "{text}"
        );
        assert_eq!(Project::parse(&text).unwrap(), project);
        let edited = text.replace("container-port = 11211", "container-port = 0");
        let err = Project::parse(&edited).unwrap_err().to_string();
        assert_eq!(
            err,
            "`PROJECT.toml` line 11: API `tutorial/v1, Kind=Foo`: container port 0 is not a port; use one from 1 to 65535; fix it there, or undo your edit"
        );
        let edited = text.replace("image = \"memcached:1.6.26-alpine3.19\"", "image = \"a b\"");
        assert!(Project::parse(&edited).is_err());
    }

    #[test]
    fn refuses_other_layouts_and_unknown_keys() {
        let text = sample().to_toml().replace(LAYOUT, "go.kubebuilder.io/v4");
        let err = Project::parse(&text).unwrap_err().to_string();
        assert!(err.contains("layout `go.kubebuilder.io/v4`"), "{err}");
        let text = format!("{}\nsurprise = 1\n", sample().to_toml());
        assert!(Project::parse(&text).is_err());
    }
}
