//! Every name derived from user input, computed once and in one place.
//!
//! Templates receive these values ready-made and never compute names themselves, so a rule change
//! here (say, a pluralisation fix) reaches every generated file at once.

use heck::ToSnakeCase;
use serde::Serialize;

use crate::project::{Example, License, Project, Resource};

/// Kubernetes-style plural of a kind, lower-cased: `Foo` → `foos`, `Policy` → `policies`,
/// `Ingress` → `ingresses`. The same rules as Kubernetes' resource-name guess, except that a
/// `y` after a vowel keeps its `s` (`Gateway` → `gateways`).
pub fn plural_of(kind: &str) -> String {
    let lower = kind.to_ascii_lowercase();
    if lower.ends_with('s')
        || lower.ends_with('x')
        || lower.ends_with('z')
        || lower.ends_with("ch")
        || lower.ends_with("sh")
    {
        return format!("{lower}es");
    }
    if let Some(stem) = lower.strip_suffix('y')
        && !stem.ends_with(['a', 'e', 'i', 'o', 'u'])
    {
        return format!("{stem}ies");
    }
    format!("{lower}s")
}

/// The module (and file stem) of a kind: `Foo` → `foo`, `CronJob` → `cron_job`.
pub fn kind_module(kind: &str) -> String {
    kind.to_snake_case()
}

/// The Rust crate name of a project: `my-operator` → `my_operator`.
pub fn crate_name(project_name: &str) -> String {
    project_name.replace('-', "_")
}

/// Project-wide values every template may use.
#[derive(Debug, Clone, Serialize)]
pub struct ProjectNames {
    pub project_name: String,
    pub crate_name: String,
    pub domain: String,
    pub repo: Option<String>,
    pub namespaced: bool,
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
            license_spdx,
            rust_header,
            cli_version: env!("CARGO_PKG_VERSION"),
            vendored_runtime: crate::vendor::is_vendoring(),
        }
    }
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
    pub group: String,
    pub version: String,
    pub kind: String,
    /// `foo` for `Foo`, `cron_job` for `CronJob`: module and file names.
    pub kind_snake: String,
    /// `foo` for `Foo`, `cronjob` for `CronJob`: what Kubernetes uses in names.
    pub kind_lower: String,
    pub plural: String,
    /// `tutorial.my.domain`.
    pub api_group: String,
    /// `tutorial.my.domain/v1`.
    pub api_version: String,
    pub namespaced: bool,
    pub controller: bool,
    /// `true` for the Pod-friend example, `false` for the minimal skeleton.
    pub friend_example: bool,
    /// Path of the version's module file: `src/api/v1/mod.rs`.
    pub version_module_file: String,
    /// `tutorial.my.domain_foos.yaml`, as written under `config/crd/bases`.
    pub crd_file_name: String,
}

impl ResourceNames {
    pub fn new(resource: &Resource, domain: &str) -> Self {
        let kind_snake = kind_module(&resource.kind);
        let api_group = format!("{}.{}", resource.group, domain);
        ResourceNames {
            group: resource.group.to_string(),
            version: resource.version.to_string(),
            kind: resource.kind.to_string(),
            kind_lower: resource.kind.to_ascii_lowercase(),
            plural: resource.plural.to_string(),
            api_version: format!("{api_group}/{}", resource.version),
            crd_file_name: format!("{api_group}_{}.yaml", resource.plural),
            namespaced: resource.namespaced,
            controller: resource.controller,
            friend_example: resource.example == Example::PodFriend,
            version_module_file: format!("src/api/{}/mod.rs", resource.version),
            kind_snake,
            api_group,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn resource_names() {
        let resource = Resource {
            group: "batch".parse().unwrap(),
            version: "v1alpha1".parse().unwrap(),
            kind: "CronJob".parse().unwrap(),
            plural: "cronjobs".parse().unwrap(),
            namespaced: true,
            controller: true,
            example: Example::Skeleton,
        };
        let names = ResourceNames::new(&resource, "my.domain");
        assert_eq!(names.kind_snake, "cron_job");
        assert_eq!(names.kind_lower, "cronjob");
        assert_eq!(names.api_group, "batch.my.domain");
        assert_eq!(names.api_version, "batch.my.domain/v1alpha1");
        assert_eq!(names.crd_file_name, "batch.my.domain_cronjobs.yaml");
        assert_eq!(names.version_module_file, "src/api/v1alpha1/mod.rs");
        assert!(!names.friend_example);
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
