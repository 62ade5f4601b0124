//! Every name derived from user input, computed once and in one place.
//!
//! Templates receive these values ready-made and never compute names themselves, so a rule change
//! here (say, a pluralisation fix) reaches every generated file at once.

use crate::values::spelling::{core_module, crate_name, group_module, kind_module};
use serde::Serialize;

use crate::model::project::{DeployImage, Example, License, Project, Resource, Source};

/// Project-wide values every template may use.
#[derive(Debug, Clone, Serialize)]
pub struct ProjectNames {
    pub project_name: String,
    pub crate_name: String,
    pub domain: String,
    pub repo: Option<String>,
    pub namespaced: bool,
    /// APIs are laid out by group (`src/api/<group>/<version>/`).
    pub multigroup: bool,
    /// `Apache-2.0`, or `None` for `--license none`.
    pub license_spdx: Option<&'static str>,
    /// The comment every generated Rust file starts with (empty for `--license none`).
    pub rust_header: String,
    pub cli_version: &'static str,
    /// The project gets the runtime crates in `vendor/` (see `crate::vendor`).
    pub vendored_runtime: bool,
}

impl ProjectNames {
    pub fn new(project: &Project, year: i64) -> Self {
        let license_spdx = match project.license {
            License::Apache2 => Some("Apache-2.0"),
            License::None => None,
        };
        let owner = project
            .owner
            .clone()
            .unwrap_or_else(|| format!("The {} Authors", project.project_name));
        let rust_header = match license_spdx {
            Some(spdx) => {
                format!("// Copyright {year} {owner}.\n// SPDX-License-Identifier: {spdx}\n\n")
            }
            None => String::new(),
        };
        ProjectNames {
            project_name: project.project_name.clone(),
            crate_name: crate_name(&project.project_name),
            domain: project.domain.clone(),
            repo: project.repo.clone(),
            namespaced: project.namespaced,
            multigroup: project.multigroup,
            license_spdx,
            rust_header,
            cli_version: env!("CARGO_PKG_VERSION"),
            vendored_runtime: crate::vendor::is_vendoring(),
        }
    }
}

/// The folder of the project's integration test binary, `cargo test --test integration`: the
/// tests against a real API server, one module each, linked once and run side by side.
const INTEGRATION_TESTS: &str = "tests/integration";

/// The file of the integration test module `module`.
fn integration_test_file(module: &str) -> String {
    format!("{INTEGRATION_TESTS}/{module}.rs")
}

/// The year for copyright headers: from `SOURCE_DATE_EPOCH` when set (reproducible output, as
/// reproducible-builds.org defines it), else from the clock.
pub fn copyright_year() -> i64 {
    let seconds = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64)
        });
    year_of_unix_time(seconds)
}

/// The proleptic Gregorian year of a Unix time (Howard Hinnant's days-to-civil algorithm).
fn year_of_unix_time(seconds: i64) -> i64 {
    let days = seconds.div_euclid(86_400) + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let year = year_of_era + era * 400;
    if month_index >= 10 { year + 1 } else { year }
}

/// Names of one API resource (group, version, kind) as the templates use them.
#[derive(Debug, Clone, Serialize)]
pub struct ResourceNames {
    /// As given: `tutorial` (this project's, without the domain), `apps`, `cert-manager.io`.
    pub group: String,
    pub version: String,
    pub kind: String,
    /// `foo` for `Foo`, `cron_job` for `CronJob`: module and file names.
    pub kind_snake: String,
    /// `foo` for `Foo`, `cronjob` for `CronJob`: what Kubernetes uses in names.
    pub kind_lower: String,
    pub plural: String,
    /// `tutorial.my.domain`; `apps` for a core kind, empty for the core group itself.
    pub api_group: String,
    /// `tutorial.my.domain/v1`, `apps/v1`, `v1`.
    pub api_version: String,
    /// The path of one object's API: `/apis/tutorial.my.domain/v1`, `/api/v1`.
    pub api_path: String,
    pub namespaced: bool,
    pub controller: bool,
    /// `true` for the Pod-friend example, `false` for the minimal skeleton and deploy-image.
    pub friend_example: bool,
    /// The kind runs an image in a Deployment (`create api --image`).
    pub deploy_image: Option<DeployImageNames>,
    /// The project defines the type (a custom resource of its own).
    pub owned: bool,
    /// A kind Kubernetes serves itself.
    pub core: bool,
    /// A custom resource another project owns.
    pub external: bool,
    /// The type's module under `crate::api`: `v1`, `tutorial::v1`, `external::cert_manager_io::v1`.
    pub api_module: String,
    /// The type's module as the crate's code names it: `crate::api::v1`, `k8s_openapi::api::apps::v1`.
    pub type_module: String,
    /// The same module as tests under `tests/` name it: `tutorial::api::v1`.
    pub type_module_in_tests: String,
    /// The file of the type (empty for a core kind): `src/api/v1/foo.rs`.
    pub type_file: String,
    /// How the editor and viewer roles' files start: `foo`, or `tutorial_foo` with several groups.
    pub role_prefix: String,
    /// How the editor and viewer roles' names start: `foo`, or `tutorial-foo` with several
    /// groups, so that the same kind in two groups gets two roles (Kubebuilder's names).
    pub role_name_prefix: String,
    /// `tutorial.my.domain_foos.yaml`, as written under `config/crd/bases`.
    pub crd_file_name: String,
    /// Where the CRD of an external kind is kept: `config/crd/external/certificates.cert-manager.io.yaml`.
    pub external_crd_file: String,
    /// `config/samples/tutorial_v1_foo.yaml`.
    pub sample_file: String,
    /// The module of the group in layouts by group: `tutorial`, `networking_k8s_io`.
    pub group_module: String,
}

impl ResourceNames {
    pub fn new(resource: &Resource, project: &Project) -> Self {
        let kind_snake = kind_module(&resource.kind);
        let group = resource.group.to_string();
        let version = resource.version.to_string();
        let group_module = group_module(&group);
        let (api_group, api_module) = match resource.source {
            Source::Project => {
                let module = if project.multigroup {
                    format!("{group_module}::{version}")
                } else {
                    version.clone()
                };
                (format!("{group}.{}", project.domain), module)
            }
            Source::Core if group == "core" => (String::new(), String::new()),
            Source::Core => (group.clone(), String::new()),
            Source::External => (
                group.clone(),
                format!("external::{group_module}::{version}"),
            ),
        };
        let api_version = if api_group.is_empty() {
            version.clone()
        } else {
            format!("{api_group}/{version}")
        };
        let api_path = if api_group.is_empty() {
            format!("/api/{version}")
        } else {
            format!("/apis/{api_version}")
        };
        let (type_module, type_module_in_tests, type_file) = match resource.source {
            Source::Core => {
                let module = format!("k8s_openapi::api::{}::{version}", core_module(&group));
                (module.clone(), module, String::new())
            }
            _ => (
                format!("crate::api::{api_module}"),
                format!("{}::api::{api_module}", project.crate_name()),
                format!("src/api/{}/{kind_snake}.rs", api_module.replace("::", "/")),
            ),
        };
        let (role_prefix, role_name_prefix) = if project.multigroup {
            (
                format!("{group_module}_{kind_snake}"),
                format!("{}-{}", resource.group, resource.kind.to_ascii_lowercase()),
            )
        } else {
            (kind_snake.clone(), resource.kind.to_ascii_lowercase())
        };
        ResourceNames {
            kind_lower: resource.kind.to_ascii_lowercase(),
            plural: resource.plural.to_string(),
            crd_file_name: format!("{api_group}_{}.yaml", resource.plural),
            // As `ExternalCrd::file_name` names it: the CRD's own name.
            external_crd_file: format!(
                "{}/{}.{group}.yaml",
                crate::model::external_crd::EXTERNAL_CRD_DIR,
                resource.plural
            ),
            sample_file: format!("config/samples/{group}_{version}_{kind_snake}.yaml"),
            namespaced: resource.namespaced,
            controller: resource.controller,
            friend_example: resource.example == Example::PodFriend,
            deploy_image: resource
                .example
                .deploy_image()
                .map(|options| DeployImageNames::new(&resource.kind, &api_group, options)),
            owned: resource.source == Source::Project,
            core: resource.source == Source::Core,
            external: resource.source == Source::External,
            kind: resource.kind.to_string(),
            api_version,
            api_path,
            api_module,
            type_module,
            type_module_in_tests,
            type_file,
            role_prefix,
            role_name_prefix,
            kind_snake,
            api_group,
            group_module,
            group,
            version,
        }
    }
}

impl ResourceNames {
    /// The API group as people say it: `core` for the group whose name is empty.
    pub fn api_group_or_core(&self) -> &str {
        if self.api_group.is_empty() {
            "core"
        } else {
            &self.api_group
        }
    }
}

/// What the templates of a kind made by `create api --image` need, ready to paste into Rust
/// and YAML.
#[derive(Debug, Clone, Serialize)]
pub struct DeployImageNames {
    /// The image as given: `memcached:1.6.26-alpine3.19`.
    pub image: String,
    /// The manager's environment variable that overrides the image, as Kubebuilder names it:
    /// `MEMCACHED_IMAGE` (the kind in upper case).
    pub image_env_var: String,
    /// The container's command as Rust string literals (`"memcached"`, `"-v"`); empty when none
    /// was given.
    pub command_literals: Vec<String>,
    /// The command as one line, for comments and docs: `memcached --memory-limit=64 -v`.
    pub command_line: String,
    pub container_port: Option<u16>,
    /// The name of the container's port: the kind in lower case, as Kubebuilder names it, cut
    /// to the 15 characters a port name may have.
    pub port_name: String,
    pub run_as_user: Option<i64>,
    /// The finalizer whose cleanup runs before an object goes: `<group>.<domain>/finalizer`,
    /// as Kubebuilder names it.
    pub finalizer: String,
}

impl DeployImageNames {
    pub fn new(kind: &str, api_group: &str, options: &DeployImage) -> Self {
        let kind_lower = kind.to_ascii_lowercase();
        DeployImageNames {
            image: options.image.clone(),
            image_env_var: format!("{}_IMAGE", kind.to_ascii_uppercase()),
            // Debug formatting of a str is a valid Rust string literal, escapes included.
            command_literals: options
                .command
                .iter()
                .map(|item| format!("{item:?}"))
                .collect(),
            command_line: options.command.join(" "),
            container_port: options.container_port,
            port_name: kind_lower.chars().take(15).collect(),
            run_as_user: options.run_as_user,
            finalizer: format!("{api_group}/finalizer"),
        }
    }
}

/// Names of one controller: a kind's own one, or a second one given `--controller-name`.
#[derive(Debug, Clone, Serialize)]
pub struct ControllerNames {
    /// Its name in logs, metrics and `/readyz`: `foo`, the name given (`foo-backup`), or the one
    /// recorded for a kind whose name another group's controller has (`fiz-bar`).
    pub name: String,
    /// Its module: `foo`, `foo_backup`.
    pub module: String,
    /// Its path under `crate::controllers`: `foo`, or `tutorial::foo` with several groups.
    pub path: String,
    /// `src/controllers/foo.rs`, `src/controllers/tutorial/foo.rs`.
    pub file: String,
    /// Its envtest test, a module of the integration test binary: `foo_controller`,
    /// `tutorial_foo_controller`.
    pub test_module: String,
    /// `tests/integration/foo_controller.rs`.
    pub test_file: String,
    /// What its code starts from.
    pub code: ControllerCode,
    /// Added with `--controller-name`, rather than the kind's own.
    pub named: bool,
    pub resource: ResourceNames,
}

/// What a controller's code starts from, which picks its template set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ControllerCode {
    /// The Foo/Pod-friend operator.
    PodFriend,
    /// A minimal reconcile loop that reports `Ready`.
    Skeleton,
    /// Kubebuilder's deploy-image controller.
    DeployImage,
    /// A controller of a kind the project does not own, or a named second one.
    Observer,
}

impl ControllerNames {
    /// The controllers of `resource`: its own (if it has one), then the named ones.
    pub fn of(resource: &Resource, project: &Project) -> Vec<ControllerNames> {
        let names = ResourceNames::new(resource, project);
        let own = resource.controller.then(|| {
            let template = match (resource.source, &resource.example) {
                (Source::Project, Example::PodFriend) => ControllerCode::PodFriend,
                (Source::Project, Example::Skeleton) => ControllerCode::Skeleton,
                (Source::Project, Example::DeployImage(_)) => ControllerCode::DeployImage,
                _ => ControllerCode::Observer,
            };
            let name = resource
                .own_controller_name
                .clone()
                .unwrap_or_else(|| names.kind_snake.clone());
            (name, names.kind_snake.clone(), template, false)
        });
        own.into_iter()
            .chain(resource.named_controllers.iter().map(|name| {
                let module = name.replace('-', "_");
                (name.to_string(), module, ControllerCode::Observer, true)
            }))
            .map(|(name, module, template, named)| {
                let (path, prefix) = if project.multigroup {
                    (
                        format!("{}::{module}", names.group_module),
                        format!("{}_{module}", names.group_module),
                    )
                } else {
                    (module.clone(), module.clone())
                };
                let test_module = format!("{prefix}_controller");
                ControllerNames {
                    file: format!("src/controllers/{}.rs", path.replace("::", "/")),
                    test_file: integration_test_file(&test_module),
                    test_module,
                    name,
                    module,
                    path,
                    code: template,
                    named,
                    resource: names.clone(),
                }
            })
            .collect()
    }
}

/// Names of the webhooks of one version of a kind: one the project owns, or a built-in or
/// external kind (admission webhooks only).
#[derive(Debug, Clone, Serialize)]
pub struct WebhookNames {
    /// The version the webhooks are for; with conversion, the hub.
    pub resource: ResourceNames,
    /// The admission webhooks' module under `crate::webhooks`: `v1::foo`, `tutorial::v1::foo`;
    /// for a kind the project does not own, as Kubebuilder lays it out: `v1::pod`, or
    /// `core::v1::pod` in the layout by group.
    pub path: String,
    /// `src/webhooks/v1/foo.rs`: the user's defaulter and validator.
    pub file: String,
    /// The types of a kind the project does not own that implement `CustomDefaulter` and
    /// `CustomValidator` (Kubebuilder's names): `PodCustomDefaulter`, `PodCustomValidator`.
    pub custom_defaulter: String,
    pub custom_validator: String,
    /// `foo_v1_webhook`, in `tests/integration/foo_v1_webhook.rs`: the admission webhooks
    /// against a real API server.
    pub test_module: String,
    pub test_file: String,
    pub defaulting: bool,
    pub validation: bool,
    pub conversion: bool,
    /// The mutating webhook's path: the one given, or Kubebuilder's default.
    pub defaulting_path: String,
    /// The validating webhook's path: the one given, or Kubebuilder's default.
    pub validation_path: String,
    /// A path was given, so the registry names it.
    pub custom_defaulting_path: bool,
    pub custom_validation_path: bool,
    /// The versions that convert through this one.
    pub spokes: Vec<SpokeNames>,
    /// `foo_conversion`, in `tests/integration/foo_conversion.rs`: conversion through every
    /// version against a real API server.
    pub conversion_test_module: String,
    pub conversion_test_file: String,
}

/// One spoke of a conversion: a version converted to and from the hub.
#[derive(Debug, Clone, Serialize)]
pub struct SpokeNames {
    pub resource: ResourceNames,
    /// Its module under `crate::webhooks`: `v2::foo_conversion`.
    pub path: String,
    /// `src/webhooks/v2/foo_conversion.rs`: the user's `TryFrom` both ways.
    pub file: String,
}

impl WebhookNames {
    /// The webhooks of `resource`, if it has any.
    pub fn of(resource: &Resource, project: &Project) -> Option<WebhookNames> {
        let hooks = &resource.webhooks;
        if hooks.is_empty() {
            return None;
        }
        let names = ResourceNames::new(resource, project);
        let dir = |names: &ResourceNames| names.api_module.replace("::", "/");
        // Built-in and external kinds have no module under `crate::api` to mirror.
        let module = if names.owned {
            names.api_module.clone()
        } else if project.multigroup {
            format!("{}::{}", names.group_module, names.version)
        } else {
            names.version.clone()
        };
        let default_path = |verb: &str| {
            format!(
                "/{verb}-{}-{}-{}",
                names.api_group.replace('.', "-"),
                names.version,
                names.kind_lower
            )
        };
        let spokes = hooks
            .spoke
            .iter()
            .filter_map(|version| {
                let spoke = project.resources.iter().find(|r| {
                    r.group == resource.group && r.kind == resource.kind && r.version == *version
                })?;
                let spoke = ResourceNames::new(spoke, project);
                Some(SpokeNames {
                    path: format!("{}::{}_conversion", spoke.api_module, spoke.kind_snake),
                    file: format!(
                        "src/webhooks/{}/{}_conversion.rs",
                        dir(&spoke),
                        spoke.kind_snake
                    ),
                    resource: spoke,
                })
            })
            .collect();
        let test_module = format!("{}_{}_webhook", names.role_prefix, names.version);
        let conversion_test_module = format!("{}_conversion", names.role_prefix);
        Some(WebhookNames {
            path: format!("{module}::{}", names.kind_snake),
            file: format!(
                "src/webhooks/{}/{}.rs",
                module.replace("::", "/"),
                names.kind_snake
            ),
            custom_defaulter: format!("{}CustomDefaulter", names.kind),
            custom_validator: format!("{}CustomValidator", names.kind),
            test_module: test_module.clone(),
            test_file: integration_test_file(&test_module),
            conversion_test_file: integration_test_file(&conversion_test_module),
            conversion_test_module,
            defaulting: hooks.defaulting,
            validation: hooks.validation,
            conversion: hooks.conversion,
            custom_defaulting_path: hooks.defaulting_path.is_some(),
            custom_validation_path: hooks.validation_path.is_some(),
            defaulting_path: hooks
                .defaulting_path
                .as_deref()
                .map(str::to_string)
                .unwrap_or_else(|| default_path("mutate")),
            validation_path: hooks
                .validation_path
                .as_deref()
                .map(str::to_string)
                .unwrap_or_else(|| default_path("validate")),
            spokes,
            resource: names,
        })
    }

    /// A defaulting or validating webhook, which lives in [`file`](Self::file).
    pub fn admission(&self) -> bool {
        self.defaulting || self.validation
    }

    /// Every file the webhooks of this version consist of.
    pub fn files(&self) -> Vec<String> {
        let mut files = Vec::new();
        if self.admission() {
            files.push(self.file.clone());
            files.push(self.test_file.clone());
        }
        if self.conversion {
            files.extend(self.spokes.iter().map(|s| s.file.clone()));
            files.push(self.conversion_test_file.clone());
        }
        files
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::values::spelling::plural_of;

    #[test]
    fn plurals_follow_kubernetes() {
        let cases = [
            ("Foo", "foos"),
            ("Policy", "policies"),
            ("Gateway", "gateways"),
            ("Ingress", "ingresses"),
            ("Box", "boxes"),
            ("Match", "matches"),
            ("Mesh", "meshes"),
            ("Quiz", "quizes"),
            ("CronJob", "cronjobs"),
        ];
        for (kind, plural) in cases {
            assert_eq!(plural_of(kind), plural, "plural of {kind}");
        }
    }

    fn resource(group: &str, kind: &str, source: Source) -> Resource {
        Resource {
            group: group.parse().unwrap(),
            version: "v1".parse().unwrap(),
            kind: kind.parse().unwrap(),
            plural: plural_of(kind).parse().unwrap(),
            namespaced: true,
            controller: true,
            example: Example::Skeleton,
            source,
            own_controller_name: None,
            named_controllers: vec!["cron-job-audit".parse().unwrap()],
            files: Default::default(),
            webhooks: Default::default(),
        }
    }

    fn project(multigroup: bool) -> Project {
        let mut project = Project::parse(&format!(
            "layout = \"{}\"\ncli-version = \"0.1.0\"\ndomain = \"my.domain\"\nproject-name = \"tutorial\"\nlicense = \"none\"\n",
            crate::model::project::LAYOUT
        ))
        .unwrap();
        project.multigroup = multigroup;
        project
    }

    #[test]
    fn resource_names() {
        let cron_job = resource("batch", "CronJob", Source::Project);
        let names = ResourceNames::new(&cron_job, &project(false));
        assert_eq!(names.kind_snake, "cron_job");
        assert_eq!(names.kind_lower, "cronjob");
        assert_eq!(names.api_group, "batch.my.domain");
        assert_eq!(names.api_version, "batch.my.domain/v1");
        assert_eq!(names.crd_file_name, "batch.my.domain_cronjobs.yaml");
        assert_eq!(names.type_file, "src/api/v1/cron_job.rs");
        assert_eq!(names.type_module_in_tests, "tutorial::api::v1");
        assert!(!names.friend_example);

        let names = ResourceNames::new(&cron_job, &project(true));
        assert_eq!(names.type_file, "src/api/batch/v1/cron_job.rs");
        assert_eq!(names.type_module, "crate::api::batch::v1");
        assert_eq!(names.role_prefix, "batch_cron_job");
    }

    #[test]
    fn core_and_external_names() {
        let ingress = resource("networking.k8s.io", "Ingress", Source::Core);
        let names = ResourceNames::new(&ingress, &project(false));
        assert_eq!(names.type_module, "k8s_openapi::api::networking::v1");
        assert_eq!(names.api_version, "networking.k8s.io/v1");
        assert_eq!(names.api_path, "/apis/networking.k8s.io/v1");
        assert_eq!(names.type_file, "");
        let config_map = resource("core", "ConfigMap", Source::Core);
        let names = ResourceNames::new(&config_map, &project(false));
        assert_eq!(
            (names.api_group.as_str(), names.api_version.as_str()),
            ("", "v1")
        );
        assert_eq!(names.api_path, "/api/v1");
        let certificate = resource("cert-manager.io", "Certificate", Source::External);
        let names = ResourceNames::new(&certificate, &project(false));
        assert_eq!(
            names.type_file,
            "src/api/external/cert_manager_io/v1/certificate.rs"
        );
        assert_eq!(
            names.external_crd_file,
            "config/crd/external/certificates.cert-manager.io.yaml"
        );
    }

    #[test]
    fn webhooks_of_kinds_the_project_does_not_own_are_laid_out_as_kubebuilder_does() {
        let with_webhooks = |group: &str, kind: &str, source: Source| Resource {
            webhooks: crate::model::project::Webhooks {
                defaulting: true,
                validation: true,
                ..Default::default()
            },
            ..resource(group, kind, source)
        };
        let pod = with_webhooks("core", "Pod", Source::Core);
        let names = WebhookNames::of(&pod, &project(false)).unwrap();
        assert_eq!(names.path, "v1::pod");
        assert_eq!(names.file, "src/webhooks/v1/pod.rs");
        assert_eq!(names.test_file, "tests/integration/pod_v1_webhook.rs");
        assert_eq!(names.defaulting_path, "/mutate--v1-pod");
        assert_eq!(names.custom_defaulter, "PodCustomDefaulter");
        let names = WebhookNames::of(&pod, &project(true)).unwrap();
        assert_eq!(names.file, "src/webhooks/core/v1/pod.rs");
        assert_eq!(names.test_file, "tests/integration/core_pod_v1_webhook.rs");

        let deployment = with_webhooks("apps", "Deployment", Source::Core);
        let names = WebhookNames::of(&deployment, &project(false)).unwrap();
        assert_eq!(names.validation_path, "/validate-apps-v1-deployment");
        let issuer = with_webhooks("cert-manager.io", "Issuer", Source::External);
        let names = WebhookNames::of(&issuer, &project(true)).unwrap();
        assert_eq!(names.defaulting_path, "/mutate-cert-manager-io-v1-issuer");
        assert_eq!(names.path, "cert_manager_io::v1::issuer");
        assert_eq!(names.custom_validator, "IssuerCustomValidator");
    }

    #[test]
    fn controller_names() {
        let cron_job = resource("batch", "CronJob", Source::Project);
        let controllers = ControllerNames::of(&cron_job, &project(true));
        let paths: Vec<_> = controllers
            .iter()
            .map(|c| {
                (
                    c.name.as_str(),
                    c.path.as_str(),
                    c.file.as_str(),
                    c.test_file.as_str(),
                )
            })
            .collect();
        assert_eq!(
            paths,
            [
                (
                    "cron_job",
                    "batch::cron_job",
                    "src/controllers/batch/cron_job.rs",
                    "tests/integration/batch_cron_job_controller.rs"
                ),
                (
                    "cron-job-audit",
                    "batch::cron_job_audit",
                    "src/controllers/batch/cron_job_audit.rs",
                    "tests/integration/batch_cron_job_audit_controller.rs"
                ),
            ]
        );
        assert_eq!(controllers[1].code, ControllerCode::Observer);
    }

    #[test]
    fn years_from_unix_time() {
        assert_eq!(year_of_unix_time(0), 1970);
        assert_eq!(year_of_unix_time(1_767_225_599), 2025); // 2025-12-31T23:59:59Z
        assert_eq!(year_of_unix_time(1_767_225_600), 2026); // 2026-01-01T00:00:00Z
        assert_eq!(year_of_unix_time(951_782_400), 2000); // 2000-02-29
        assert_eq!(year_of_unix_time(-1), 1969);
    }

    #[test]
    fn crate_names() {
        assert_eq!(crate_name("my-operator"), "my_operator");
        assert_eq!(crate_name("tutorial"), "tutorial");
    }
}
