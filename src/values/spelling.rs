//! How a value is spelled where it ends up: a kind's plural and Rust module, a group's Rust
//! module, a project's crate name. Pure text rules, shared by the value checks (a kind whose
//! module is a keyword is refused) and by the derived names of `model::names`.

use heck::ToSnakeCase;

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

/// The Rust module of an API group: `tutorial`, `networking_k8s_io`, `cert_manager_io`.
pub fn group_module(group: &str) -> String {
    group.replace(['.', '-'], "_")
}

/// k8s-openapi's module of a Kubernetes group: `core`, `apps`, `networking` (for
/// `networking.k8s.io`), `rbac` (for `rbac.authorization.k8s.io`).
pub fn core_module(group: &str) -> String {
    let first = group.split('.').next().unwrap_or(group);
    first.replace('-', "_")
}
