//! Checks on user-supplied names, before anything is derived from them.
//!
//! Each check returns a one-line message that names the bad value and says what to do; callers
//! add the flag name. Kubernetes' own rules (DNS-1123, DNS-1035) come first, then the rules that
//! keep the generated Rust compiling.

use anyhow::{Result, bail};

/// Rust keywords (strict, reserved and 2024-edition), which cannot be module or crate names.
const RUST_KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate",
    "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl",
    "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref",
    "return", "self", "static", "struct", "super", "trait", "true", "try", "type", "typeof",
    "union", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// Crate names cargo refuses or that shadow the standard library's crates.
const RESERVED_CRATE_NAMES: &[&str] = &["std", "core", "alloc", "proc_macro", "test", "build"];

/// Type names the generated code imports or defines next to every kind, or that the prelude
/// provides; a kind with one of these names would not compile.
pub const RESERVED_KINDS: &[&str] = &[
    "Action",
    "Api",
    "Arc",
    "BTreeMap",
    "Box",
    "Client",
    "Condition",
    "Conditions",
    "Context",
    "Controller",
    "CustomResource",
    "CustomResourceDefinition",
    "CustomResourceExt",
    "Default",
    "Deserialize",
    "Duration",
    "Error",
    "Event",
    "EventType",
    "JsonSchema",
    "ObjectRef",
    // From kube-operator-runtime, imported next to each kind's controller and tests.
    "ApiServer",
    "CacheSync",
    "ErrorBackoff",
    "EventPublisher",
    "Manager",
    "Readiness",
    "Received",
    "Shared",
    "Option",
    "Patch",
    "PatchParams",
    "PartialObjectMeta",
    "Pod",
    "PolicyRule",
    "Recorder",
    "Reporter",
    "Resource",
    "ResourceExt",
    "Result",
    "Self",
    "Serialize",
    "Store",
    "String",
    "Vec",
];

/// A DNS-1123 label: lower-case alphanumerics and `-`, alphanumeric at both ends, 63 at most.
pub fn is_dns1123_label(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= 63
        && value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !value.starts_with('-')
        && !value.ends_with('-')
}

/// A DNS-1123 subdomain: dot-separated DNS-1123 labels, 253 characters at most.
pub fn is_dns1123_subdomain(value: &str) -> bool {
    value.len() <= 253 && value.split('.').all(is_dns1123_label)
}

/// A DNS-1035 label: a DNS-1123 label that starts with a letter.
pub fn is_dns1035_label(value: &str) -> bool {
    is_dns1123_label(value) && value.starts_with(|c: char| c.is_ascii_lowercase())
}

pub fn is_rust_keyword(word: &str) -> bool {
    RUST_KEYWORDS.contains(&word)
}

pub fn domain(domain: &str) -> Result<()> {
    if domain.is_empty() {
        bail!("domain must not be empty; pass a DNS name you own, such as `my.domain`");
    }
    if !is_dns1123_subdomain(domain) {
        bail!(
            "domain `{domain}` is not a valid DNS-1123 subdomain; use lower-case letters, digits, `-` and `.`, such as `my.domain`"
        );
    }
    Ok(())
}

/// A group on its own: dot-separated DNS-1123 labels, such as `tutorial` or `batch.jobs`.
pub fn group_alone(group: &str) -> Result<()> {
    if group.is_empty() {
        bail!("group must not be empty; pass one such as `--group tutorial`");
    }
    if !is_dns1123_subdomain(group) {
        bail!(
            "group `{group}` is not a valid DNS-1123 subdomain; use lower-case letters, digits and `-`, such as `tutorial`"
        );
    }
    Ok(())
}

/// The group joined with the domain names the API group, so both must form one DNS subdomain.
pub fn group(group: &str, domain: &str) -> Result<()> {
    group_alone(group)?;
    // Each part may be valid and the whole still too long.
    let api_group = format!("{group}.{domain}");
    if !is_dns1123_subdomain(&api_group) {
        bail!(
            "group `{group}` with domain `{domain}` makes `{api_group}`, which is not a valid DNS-1123 subdomain; use lower-case letters, digits and `-`, such as `tutorial`"
        );
    }
    Ok(())
}

/// Kubernetes API versions: `v1`, `v1alpha1`, `v2beta3`.
pub fn version(version: &str) -> Result<()> {
    let valid = version
        .strip_prefix('v')
        .and_then(|rest| {
            let major_len = rest.bytes().take_while(u8::is_ascii_digit).count();
            let (major, qualifier) = rest.split_at(major_len);
            let stage_number = qualifier
                .strip_prefix("alpha")
                .or_else(|| qualifier.strip_prefix("beta"));
            let major_ok = !major.is_empty() && !major.starts_with('0');
            let qualifier_ok = match stage_number {
                None => qualifier.is_empty(),
                Some(n) => {
                    !n.is_empty() && !n.starts_with('0') && n.bytes().all(|b| b.is_ascii_digit())
                }
            };
            (major_ok && qualifier_ok).then_some(())
        })
        .is_some();
    if !valid {
        bail!(
            "version `{version}` is not a Kubernetes API version; use a form such as `v1`, `v1alpha1` or `v2beta3`"
        );
    }
    Ok(())
}

/// Kinds are PascalCase Rust type names whose lower-case form is a DNS-1035 label.
pub fn kind(kind: &str) -> Result<()> {
    if !kind.starts_with(|c: char| c.is_ascii_uppercase())
        || !kind.bytes().all(|b| b.is_ascii_alphanumeric())
    {
        bail!(
            "kind `{kind}` must be PascalCase: an upper-case letter, then letters and digits, such as `Foo` or `CronJob`"
        );
    }
    if !is_dns1035_label(&kind.to_ascii_lowercase()) {
        bail!("kind `{kind}` is longer than 63 characters; pick a shorter kind");
    }
    Ok(())
}

/// A kind this project defines is a Rust type beside the generated code's imports; a built-in
/// or external kind lives in its own module, so only these are checked.
pub fn kind_is_not_reserved(kind: &str) -> Result<()> {
    if RESERVED_KINDS.contains(&kind) {
        bail!(
            "kind `{kind}` would clash with a Rust type the generated code uses; pick another kind, such as `{kind}Config`"
        );
    }
    Ok(())
}

/// In a project laid out by group, a group is a Rust module next to `external`.
pub fn group_module(group: &str) -> Result<()> {
    let module = crate::values::spelling::group_module(group);
    if is_rust_keyword(&module) || module == "external" {
        bail!(
            "group `{group}` would become the Rust module `{module}`, which is taken; pick another group"
        );
    }
    Ok(())
}

/// The module a kind lives in must not be a keyword (`Type` would become `mod type;`).
pub fn kind_module(kind: &str, module: &str) -> Result<()> {
    if is_rust_keyword(module) {
        bail!(
            "kind `{kind}` would become the Rust module `{module}`, which is a keyword; pick another kind, such as `{kind}Config`"
        );
    }
    Ok(())
}

pub fn controller_name(name: &str) -> Result<()> {
    if !is_dns1035_label(name) {
        bail!(
            "controller name `{name}` is not a valid DNS-1035 label; use lower-case letters, digits and `-`, starting with a letter, such as `foo-backup`"
        );
    }
    let module = name.replace('-', "_");
    if is_rust_keyword(&module) {
        bail!(
            "controller name `{name}` would become the Rust module `{module}`, which is a keyword; pick another name"
        );
    }
    Ok(())
}

pub fn plural(plural: &str) -> Result<()> {
    if !is_dns1035_label(plural) {
        bail!(
            "plural `{plural}` is not a valid DNS-1035 label; use lower-case letters, digits and `-`, starting with a letter, such as `foos`"
        );
    }
    Ok(())
}

/// Project names become the package and the library crate name, and the prefix of deployed objects.
pub fn project_name(name: &str) -> Result<()> {
    if !is_dns1035_label(name) {
        bail!(
            "project name `{name}` is not a valid DNS-1035 label; pass `--project-name` with lower-case letters, digits and `-`, starting with a letter"
        );
    }
    let crate_name = name.replace('-', "_");
    if is_rust_keyword(&crate_name) || RESERVED_CRATE_NAMES.contains(&crate_name.as_str()) {
        bail!("project name `{name}` cannot be a Rust crate name; pass another `--project-name`");
    }
    Ok(())
}

/// An image reference as a container runtime takes it (`memcached:1.6.26-alpine3.19`,
/// `registry.example.com:5000/team/app@sha256:…`): not a full parse, but enough to catch a
/// value that is no image at all, and to keep it safe inside Rust strings and YAML.
pub fn image_reference(image: &str) -> Result<()> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "._-/:@".contains(c);
    if image.is_empty() {
        bail!("the image is empty; pass one such as `--image=memcached:1.6.26-alpine3.19`");
    }
    if !image.chars().all(allowed)
        || !image.starts_with(|c: char| c.is_ascii_alphanumeric())
        || !image.ends_with(|c: char| c.is_ascii_alphanumeric())
    {
        bail!(
            "`{image}` is not an image reference; use letters, digits, `.`, `_`, `-`, `/`, `:` and `@`, starting and ending with a letter or digit, such as `memcached:1.6.26-alpine3.19`"
        );
    }
    Ok(())
}

/// A container port given as text: a number from 1 to 65535.
pub fn container_port(port: &str) -> Result<u16> {
    match port.trim().parse::<u16>() {
        Ok(port) if port > 0 => Ok(port),
        _ => bail!(
            "`{port}` is not a container port; pass a number from 1 to 65535, such as `--image-container-port=11211`"
        ),
    }
}

/// A UID to run a container as, given as text: a positive integer, since the container also
/// gets `runAsNonRoot`, which refuses UID 0 (root).
pub fn run_as_user(uid: &str) -> Result<i64> {
    match uid.trim().parse::<i64>() {
        Ok(0) => bail!(
            "UID 0 is root, which the container's restricted security context (`runAsNonRoot`) refuses to start; pass another, such as `--run-as-user=1001`"
        ),
        Ok(uid) if uid > 0 => Ok(uid),
        _ => {
            bail!("`{uid}` is not a user ID; pass a positive integer, such as `--run-as-user=1001`")
        }
    }
}

/// A container command as Kubebuilder's `--image-container-command` takes it: the executable
/// and its arguments separated by commas, each trimmed (`memcached,--memory-limit=64,-o,modern`).
pub fn container_command(command: &str) -> Result<Vec<String>> {
    let items: Vec<String> = command
        .split(',')
        .map(|item| item.trim().to_string())
        .collect();
    if let Some(position) = items.iter().position(String::is_empty) {
        bail!(
            "`{command}` has an empty item (number {}); separate the command and each argument with one comma, such as `--image-container-command=memcached,--memory-limit=64,-v`",
            position + 1
        );
    }
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_references() {
        for good in [
            "memcached:1.6.26-alpine3.19",
            "busybox:1.36.1",
            "busybox",
            "registry.example.com:5000/team/app@sha256:0123abcd",
            "ghcr.io/org/app_x:v1.2",
        ] {
            assert!(image_reference(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "memcached 1.6",
            "memcached:",
            "-memcached",
            "my\"image",
            "app\t",
            "näive",
        ] {
            assert!(image_reference(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn ports_users_and_commands() {
        assert_eq!(container_port("11211").unwrap(), 11211);
        assert_eq!(container_port("65535").unwrap(), 65535);
        for bad in ["0", "65536", "-1", "http", ""] {
            assert!(container_port(bad).is_err(), "{bad}");
        }
        assert_eq!(run_as_user("1001").unwrap(), 1001);
        for bad in ["0", "-5", "root", "1.5", ""] {
            assert!(run_as_user(bad).is_err(), "{bad}");
        }
        assert_eq!(
            container_command("memcached, --memory-limit=64,-o,modern,-v").unwrap(),
            ["memcached", "--memory-limit=64", "-o", "modern", "-v"]
        );
        assert!(container_command("memcached,,-v").is_err());
        assert!(container_command("").is_err());
        assert!(container_command("sleep,").is_err());
    }

    #[test]
    fn dns_labels() {
        assert!(is_dns1123_label("my-app1"));
        assert!(is_dns1123_label("1app"));
        assert!(!is_dns1123_label("-app"));
        assert!(!is_dns1123_label("app-"));
        assert!(!is_dns1123_label("App"));
        assert!(!is_dns1123_label(""));
        assert!(!is_dns1123_label(&"a".repeat(64)));
        assert!(is_dns1123_label(&"a".repeat(63)));
        assert!(is_dns1035_label("app1"));
        assert!(!is_dns1035_label("1app"));
    }

    #[test]
    fn subdomains() {
        assert!(is_dns1123_subdomain("my.domain"));
        assert!(is_dns1123_subdomain("tutorial.my.domain"));
        assert!(!is_dns1123_subdomain("my..domain"));
        assert!(!is_dns1123_subdomain(".my.domain"));
        assert!(!is_dns1123_subdomain("my_domain"));
        assert!(!is_dns1123_subdomain(&format!("{}.com", "a.".repeat(130))));
    }

    #[test]
    fn versions() {
        for good in ["v1", "v2", "v10", "v1alpha1", "v2beta3", "v1beta12"] {
            assert!(version(good).is_ok(), "{good} should be accepted");
        }
        for bad in [
            "1",
            "v",
            "v0",
            "V1",
            "v1alpha",
            "v1beta0",
            "v1gamma1",
            "v01",
            "v1alpha1x",
            "v1-alpha1",
        ] {
            assert!(version(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn kinds() {
        assert!(kind("Foo").is_ok());
        assert!(kind("CronJob").is_ok());
        assert!(kind("Foo2").is_ok());
        for bad in ["foo", "Foo-Bar", "Foo_Bar", "", "Fö"] {
            assert!(kind(bad).is_err(), "{bad} should be refused");
        }
        let clash = kind_is_not_reserved("Context").unwrap_err().to_string();
        assert!(clash.contains("clash"), "{clash}");
        assert!(kind(&format!("A{}", "b".repeat(63))).is_err());
        assert!(kind_module("Type", "type").is_err());
        assert!(kind_module("Foo", "foo").is_ok());
    }

    #[test]
    fn project_names() {
        assert!(project_name("tutorial").is_ok());
        assert!(project_name("my-operator").is_ok());
        for bad in ["Tutorial", "1op", "test", "std", "type", "my_op", ""] {
            assert!(project_name(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn groups_and_domains() {
        assert!(domain("my.domain").is_ok());
        assert!(domain("").is_err());
        assert!(domain("My.Domain").is_err());
        assert!(group("tutorial", "my.domain").is_ok());
        assert!(group("", "my.domain").is_err());
        assert!(group("Tutorial", "my.domain").is_err());
        assert!(group("a_b", "my.domain").is_err());
    }

    #[test]
    fn plurals() {
        assert!(plural("foos").is_ok());
        assert!(plural("Foos").is_err());
        assert!(plural("2foos").is_err());
    }
}
