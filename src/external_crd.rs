//! CustomResourceDefinitions a project uses but does not own, such as cert-manager's
//! `Certificate`: the facts cargo-operator needs about one, Rust types for one of its versions,
//! and a minimal object of that version.
//!
//! The types come from kopium used as a library. kopium reads the CRD as k8s-openapi 0.28's type,
//! so this crate depends on k8s-openapi 0.28 only to name and deserialize that input; the
//! generated code itself compiles against the project's kube 5 and k8s-openapi 0.29.

use std::panic::AssertUnwindSafe;

use anyhow::{Result, anyhow, bail};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::{
    CustomResourceDefinition, CustomResourceDefinitionVersion, JSONSchemaProps,
    JSONSchemaPropsOrArray, JSONSchemaPropsOrBool,
};
use kopium::{Derive, TypeGenerator};
use serde_json::{Map, Value, json};

/// Where a project keeps the CRDs of its external kinds, one file each, named by
/// [`ExternalCrd::file_name`].
pub const EXTERNAL_CRD_DIR: &str = "config/crd/external";

const CRD_API_VERSION: &str = "apiextensions.k8s.io/v1";
const CRD_KIND: &str = "CustomResourceDefinition";

/// A validated CustomResourceDefinition of a kind the project does not own.
#[derive(Debug, Clone)]
pub struct ExternalCrd {
    /// The API group, such as `cert-manager.io`.
    pub group: String,
    /// The kind, such as `Certificate`.
    pub kind: String,
    /// The resource name in URLs, such as `certificates`.
    pub plural: String,
    /// Whether objects live in a namespace (`scope: Namespaced`) or not (`Cluster`).
    pub namespaced: bool,
    /// Served versions, in file order.
    pub versions: Vec<String>,
    /// The one version objects are stored as.
    pub storage_version: String,
    /// The file it was read from, for messages.
    path: String,
    crd: CustomResourceDefinition,
}

impl ExternalCrd {
    /// Parses `text`, the contents of `path` (used in messages only).
    ///
    /// Refuses anything but one `apiextensions.k8s.io/v1` CRD whose served versions all have a
    /// schema with a `spec`: the types and samples are made from that schema.
    pub fn parse(text: &str, path: &str) -> Result<ExternalCrd> {
        // Every document, so a multi-document release manifest gets its own message. The
        // parser's size limits guard against hostile input, but the largest real CRDs
        // (Crossplane's, Argo's) are megabytes; its depth limit stays, as it keeps the recursive
        // reading below (YAML, then the CRD type, then kopium) within the stack.
        let options = serde_saphyr::options! {
            budget: serde_saphyr::budget! {
                max_events: 20_000_000,
                max_nodes: 5_000_000,
            },
        };
        let documents: Vec<Value> = serde_saphyr::from_multiple_with_options(text, options)
            .map_err(|err| match err.without_snippet() {
                serde_saphyr::Error::Budget { breach, .. } => anyhow!(
                    "`{path}` is too large or too deeply nested to read ({breach:?}); use the kind \
                     through `kube::api::DynamicObject` instead"
                ),
                err => anyhow!(
                    "`{path}` is not valid YAML: {}; give the CRD's YAML file",
                    one_line(&err.to_string())
                ),
            })?;
        let document = match <[Value; 1]>::try_from(documents) {
            Ok([document]) => document,
            Err(documents) if documents.is_empty() => {
                bail!("`{path}` holds no YAML document; give the CRD's YAML file")
            }
            Err(documents) => {
                let crds = documents
                    .iter()
                    .filter(|document| document["kind"] == CRD_KIND)
                    .count();
                bail!(
                    "`{path}` holds {} YAML documents ({crds} of them CustomResourceDefinitions); \
                     pass a file holding one CRD, the one of the kind to use",
                    documents.len()
                )
            }
        };
        match (document["apiVersion"].as_str(), document["kind"].as_str()) {
            (Some(CRD_API_VERSION), Some(CRD_KIND)) => {}
            (Some(api_version), Some(CRD_KIND)) => bail!(
                "`{path}` is an {api_version} CustomResourceDefinition, which Kubernetes 1.22 \
                 stopped serving; give the {CRD_API_VERSION} CRD from a newer release of the project"
            ),
            (Some(api_version), Some(kind)) => bail!(
                "`{path}` is {} {api_version} {kind}, not a CustomResourceDefinition; give the \
                 CRD's YAML file, e.g. from the project's release manifests",
                article(api_version)
            ),
            _ => bail!(
                "`{path}` is not a Kubernetes object (no `apiVersion` and `kind`); give the CRD's \
                 YAML file, e.g. from the project's release manifests"
            ),
        }
        let crd: CustomResourceDefinition = serde_json::from_value(document).map_err(|err| {
            anyhow!(
                "`{path}` is not a valid CustomResourceDefinition: {err}; give the CRD as the API \
                 server serves it (`kubectl get crd <name> -o yaml`)"
            )
        })?;

        let spec = &crd.spec;
        let namespaced = match spec.scope.as_str() {
            "Namespaced" => true,
            "Cluster" => false,
            scope => bail!(
                "`{path}` has scope `{scope}`; a CRD's scope is `Namespaced` or `Cluster`: fix \
                 the file"
            ),
        };
        let served: Vec<&CustomResourceDefinitionVersion> = spec
            .versions
            .iter()
            .filter(|version| version.served)
            .collect();
        if served.is_empty() {
            bail!("`{path}` serves no version; give a CRD with at least one served version");
        }
        let storage: Vec<&str> = spec
            .versions
            .iter()
            .filter(|version| version.storage)
            .map(|version| version.name.as_str())
            .collect();
        let [storage_version] = storage[..] else {
            bail!(
                "`{path}` has {} storage versions; a CRD has exactly one: fix the file",
                storage.len()
            );
        };
        for version in &served {
            let name = &version.name;
            let Some(schema) = schema_of(version) else {
                bail!(
                    "version `{name}` of `{path}` has no schema (`schema.openAPIV3Schema`), which \
                     its Rust types are made from; give a CRD whose served versions have one"
                );
            };
            // kube's CustomResource derive is put on the spec's struct, so there must be one.
            let has_spec_struct = schema
                .properties
                .as_ref()
                .and_then(|properties| properties.get("spec"))
                .is_some_and(|spec| spec.properties.is_some());
            if !has_spec_struct {
                bail!(
                    "version `{name}` of `{path}` has no `spec` with properties in its schema, so \
                     it cannot be a kube `CustomResource`; use the kind through \
                     `kube::api::DynamicObject` instead"
                );
            }
        }

        Ok(ExternalCrd {
            group: spec.group.clone(),
            kind: spec.names.kind.clone(),
            plural: spec.names.plural.clone(),
            namespaced,
            versions: served.iter().map(|version| version.name.clone()).collect(),
            storage_version: storage_version.to_string(),
            path: path.to_string(),
            crd,
        })
    }

    /// The CRD's file name under [`EXTERNAL_CRD_DIR`]: its object name, `<plural>.<group>.yaml`,
    /// so two CRDs never share a file and the name is the same whatever the user called it.
    pub fn file_name(&self) -> String {
        format!("{}.{}.yaml", self.plural, self.group)
    }

    /// Rust types for `version`: kopium's output, made to compile warning-free in a project on
    /// kube 5 and k8s-openapi 0.29 without schemars. `header` (a license comment, possibly
    /// empty) comes first.
    pub fn rust_types(&self, version: &str, header: &str) -> Result<String> {
        let schema = self.served_schema(version)?;
        let generator = TypeGenerator::builder()
            .api_version(Some(version.to_string()))
            .emit_docs(true)
            // `Default` wherever every field has one; kopium adds Clone, Debug and serde's.
            .derive(Derive::all("Default"))
            .smart_derive_elision(true)
            .no_condition(!conditions_are_standard(schema))
            .build();
        // kopium panics on a few property names it cannot make identifiers of (such as `$`);
        // that becomes an error like any other.
        let generated = std::panic::catch_unwind(AssertUnwindSafe(|| {
            generator.generate_rust_types_for(&self.crd, None::<&str>)
        }))
        .unwrap_or_else(|panic| {
            let message = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("kopium panicked");
            Err(anyhow!("{message}"))
        })
        .map_err(|err| {
            anyhow!(
                "cannot make Rust types for version `{version}` of `{}`: {}; use the kind \
                 through `kube::api::DynamicObject` instead",
                self.path,
                one_line(&err.to_string())
            )
        })?;
        // kopium maps the non-standard schema type `date` to chrono, which projects do not have;
        // the API server refuses that type anyway.
        if generated.contains("chrono::") {
            bail!(
                "version `{version}` of `{}` uses the schema type `date`, which the API server \
                 refuses; use `type: string` with `format: date` instead",
                self.path
            );
        }

        let source = format!("{EXTERNAL_CRD_DIR}/{}", self.file_name());
        let mut out = String::new();
        if !header.trim().is_empty() {
            out.push_str(header.trim_end());
            out.push_str("\n\n");
        }
        out.push_str(&format!(
            "// Generated by cargo-operator with kopium from version {version} of\n\
             // {source}; edits are lost when it is regenerated by\n\
             // `cargo operator create api --version {version} --kind {} --external-api-crd {source} --force`.\n\n\
             // Type names, variant names and doc comments come from the CRD's author, not from Rust\n\
             // style (e.g. doc lists written for `kubectl explain`), so style lints are off here.\n\
             #![allow(clippy::style)]\n\n",
            self.kind
        ));
        out.push_str(&tidy(&generated));
        Ok(out)
    }

    /// The smallest object of `version` its schema accepts: `apiVersion`, `kind`,
    /// `metadata.name` = `name`, and a `spec` holding the required properties only.
    ///
    /// Values are made from each property's schema: its default or first enum value, else a
    /// value of its type that meets its bounds, format and (for a few common shapes) pattern.
    /// CEL rules (`x-kubernetes-validations`) are not evaluated.
    pub fn sample(&self, version: &str, name: &str) -> Result<Value> {
        let schema = self.served_schema(version)?;
        let mut object = Map::new();
        object.insert(
            "apiVersion".into(),
            json!(format!("{}/{version}", self.group)),
        );
        object.insert("kind".into(), json!(self.kind));
        object.insert("metadata".into(), json!({ "name": name }));
        let properties = schema.properties.as_ref();
        // `spec` always, even when optional: kube's generated root type needs it to read the object.
        for key in required(schema).chain(["spec"]) {
            if ["apiVersion", "kind", "metadata"].contains(&key) || object.contains_key(key) {
                continue;
            }
            if let Some(property) = properties.and_then(|properties| properties.get(key)) {
                object.insert(key.to_string(), sample_of(property));
            }
        }
        Ok(Value::Object(object))
    }

    /// The schema of served `version`; [`ExternalCrd::parse`] made sure it has one.
    fn served_schema(&self, version: &str) -> Result<&JSONSchemaProps> {
        self.crd
            .spec
            .versions
            .iter()
            .filter(|candidate| candidate.served && candidate.name == version)
            .find_map(schema_of)
            .ok_or_else(|| {
                anyhow!(
                    "`{}` does not serve version `{version}`; use one of: {}",
                    self.path,
                    self.versions.join(", ")
                )
            })
    }
}

fn schema_of(version: &CustomResourceDefinitionVersion) -> Option<&JSONSchemaProps> {
    version.schema.as_ref()?.open_api_v3_schema.as_ref()
}

fn required(schema: &JSONSchemaProps) -> impl Iterator<Item = &str> {
    schema.required.iter().flatten().map(String::as_str)
}

/// "a" or "an" before `word`, so messages read right for `apps/v1` and `v1` alike.
fn article(word: &str) -> &'static str {
    match word.chars().next() {
        Some('a' | 'e' | 'i' | 'o' | 'u' | 'A' | 'E' | 'I' | 'O' | 'U') => "an",
        _ => "a",
    }
}

/// Joins a multi-line message (YAML errors, kopium's errors) into one line.
fn one_line(message: &str) -> String {
    message
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

/// Whether kopium may swap every `conditions` list it recognises for k8s-openapi's `Condition`.
/// It recognises them by property names alone, but `Condition` fails to read an item without
/// `lastTransitionTime` and drops unknown properties; so only lists that are exactly
/// `metav1.Condition` (its required fields required, no others) qualify.
fn conditions_are_standard(schema: &JSONSchemaProps) -> bool {
    const REQUIRED: [&str; 5] = ["lastTransitionTime", "message", "reason", "status", "type"];
    const ALL: [&str; 6] = [
        "lastTransitionTime",
        "message",
        "observedGeneration",
        "reason",
        "status",
        "type",
    ];
    let fits = |key: &str, property: &JSONSchemaProps| {
        let Some(item) = items_of(property) else {
            return true;
        };
        let Some(fields) = item.properties.as_ref() else {
            return true;
        };
        let recognised = REQUIRED.iter().all(|field| fields.contains_key(*field));
        key != "conditions"
            || !recognised
            || (REQUIRED
                .iter()
                .all(|field| required(item).any(|r| r == *field))
                && fields.keys().all(|field| ALL.contains(&field.as_str())))
    };
    schema.properties.iter().flatten().all(|(key, property)| {
        fits(key, property)
            && conditions_are_standard(property)
            && items_of(property).is_none_or(conditions_are_standard)
    })
}

fn items_of(schema: &JSONSchemaProps) -> Option<&JSONSchemaProps> {
    match schema.items.as_ref()? {
        JSONSchemaPropsOrArray::Schema(item) => Some(item),
        JSONSchemaPropsOrArray::Schemas(items) => items.first(),
    }
}

/// A value `schema` accepts: see [`ExternalCrd::sample`].
fn sample_of(schema: &JSONSchemaProps) -> Value {
    if let Some(default) = &schema.default {
        return default.0.clone();
    }
    if let Some(first) = schema.enum_.iter().flatten().next() {
        return first.0.clone();
    }
    if schema.x_kubernetes_int_or_string == Some(true) {
        return json!(integer_in(schema));
    }
    match schema.type_.as_deref() {
        Some("string") => json!(string_for(schema)),
        Some("integer") => json!(integer_in(schema)),
        Some("number") => json!(number_in(schema)),
        Some("boolean") => json!(false),
        Some("array") => {
            // Absurd bounds are not worth a huge sample.
            let count = schema.min_items.unwrap_or(0).clamp(0, 64);
            let item = items_of(schema).map_or(json!({}), sample_of);
            Value::Array((0..count).map(|_| item.clone()).collect())
        }
        // Objects, and untyped values kept as they are (`x-kubernetes-preserve-unknown-fields`).
        _ => {
            let mut object = Map::new();
            let properties = schema.properties.as_ref();
            // `oneOf`/`anyOf` branches that differ in what they require (one of two selectors)
            // are met by the first branch's; `allOf` adds all of its.
            let branches = schema.all_of.iter().flatten();
            let first_branch = [&schema.one_of, &schema.any_of]
                .into_iter()
                .filter_map(|branches| branches.as_ref()?.first());
            let keys = required(schema).chain(branches.chain(first_branch).flat_map(required));
            for key in keys {
                if object.contains_key(key) {
                    continue;
                }
                let property = properties.and_then(|properties| properties.get(key));
                object.insert(key.to_string(), property.map_or(json!({}), sample_of));
            }
            // A map that must not be empty gets one entry.
            if object.is_empty() && schema.min_properties.unwrap_or(0) > 0 {
                let value = match &schema.additional_properties {
                    Some(JSONSchemaPropsOrBool::Schema(value)) => sample_of(value),
                    _ => json!("example"),
                };
                object.insert("example".into(), value);
            }
            Value::Object(object)
        }
    }
}

/// The schema's minimum (or the next integer above an exclusive one), else 1, kept under its
/// maximum and on its `multipleOf`.
fn integer_in(schema: &JSONSchemaProps) -> i64 {
    let mut value = match schema.minimum {
        Some(minimum) if schema.exclusive_minimum == Some(true) => {
            (minimum.floor() as i64).saturating_add(1)
        }
        Some(minimum) => minimum.ceil() as i64,
        None => 1,
    };
    if let Some(step) = schema.multiple_of.filter(|step| *step >= 1.0) {
        let step = step as i64;
        let remainder = value.rem_euclid(step);
        if remainder != 0 {
            value = value.saturating_add(step - remainder);
        }
    }
    let exclusive = schema.exclusive_maximum == Some(true);
    let above = |maximum: &f64| value as f64 > *maximum || (exclusive && value as f64 >= *maximum);
    if let Some(maximum) = schema.maximum.filter(above) {
        value = if exclusive {
            (maximum.ceil() as i64).saturating_sub(1)
        } else {
            maximum.floor() as i64
        };
    }
    value
}

/// Like [`integer_in`], for `number`: the minimum itself when inclusive.
fn number_in(schema: &JSONSchemaProps) -> f64 {
    match schema.minimum {
        Some(minimum) if schema.exclusive_minimum == Some(true) => minimum + 1.0,
        Some(minimum) => minimum,
        None => schema.maximum.map_or(1.0, |maximum| maximum.min(1.0)),
    }
}

/// A string of the schema's format (the ones the API server checks), else the first of a few
/// common shapes that meets its length bounds and pattern, else `example` padded to length.
fn string_for(schema: &JSONSchemaProps) -> String {
    let formatted = match schema.format.as_deref() {
        Some("date-time" | "datetime") => Some("2024-01-01T00:00:00Z"),
        Some("date") => Some("2024-01-01"),
        Some("duration") => Some("1h"),
        Some("byte") => Some("ZXhhbXBsZQ=="),
        Some("uuid" | "uuid4") => Some("00000000-0000-4000-8000-000000000000"),
        Some("uuid3") => Some("00000000-0000-3000-8000-000000000000"),
        Some("uuid5") => Some("00000000-0000-5000-8000-000000000000"),
        Some("email") => Some("user@example.com"),
        Some("hostname") => Some("example.com"),
        Some("ipv4") => Some("192.0.2.1"),
        Some("ipv6") => Some("2001:db8::1"),
        Some("cidr") => Some("192.0.2.0/24"),
        Some("mac") => Some("00:00:5e:00:53:01"),
        Some("uri") => Some("https://example.com"),
        Some("hexcolor") => Some("#000000"),
        Some("rgbcolor") => Some("rgb(0,0,0)"),
        _ => None,
    };
    if let Some(formatted) = formatted {
        return formatted.to_string();
    }
    let min = usize::try_from(schema.min_length.unwrap_or(0).clamp(0, 4096)).unwrap_or(0);
    let max = schema
        .max_length
        .and_then(|max| usize::try_from(max).ok())
        .unwrap_or(usize::MAX);
    // Go's and Rust's regex syntax agree on what CRD patterns use; an unparsable pattern only
    // means no candidate is known to match.
    let pattern = schema
        .pattern
        .as_deref()
        .map(|pattern| regex::Regex::new(pattern).ok());
    const CANDIDATES: [&str; 13] = [
        "example",
        "example-1",
        "Example",
        "example.com",
        "a",
        "A",
        "1",
        "v1",
        "1m",
        "0 0 * * *",
        "00:00",
        "https://example.com",
        "user@example.com",
    ];
    CANDIDATES
        .iter()
        .map(|candidate| pad(candidate, min))
        .find(|candidate| {
            (min..=max).contains(&candidate.chars().count())
                && match &pattern {
                    None => true,
                    Some(Some(pattern)) => pattern.is_match(candidate),
                    Some(None) => false,
                }
        })
        .unwrap_or_else(|| pad("example", min).chars().take(max).collect())
}

/// `text` lengthened with `x` to at least `min` characters.
fn pad(text: &str, min: usize) -> String {
    let missing = min.saturating_sub(text.chars().count());
    format!("{text}{}", "x".repeat(missing))
}

/// kopium's output, made to fit a project: its banner goes (the caller's header replaces it),
/// enums lose the doc comment kopium copies onto them from the enclosing struct, and doc
/// comments are cleaned by [`tidy_docs`].
fn tidy(generated: &str) -> String {
    let mut out = String::with_capacity(generated.len());
    let mut docs: Vec<&str> = Vec::new();
    let mut lines = generated
        .lines()
        .skip_while(|line| (line.starts_with("//") && !line.starts_with("///")) || line.is_empty())
        .peekable();
    while let Some(line) = lines.next() {
        if line.trim_start().starts_with("///") {
            docs.push(line);
            continue;
        }
        // A `#[derive(...)]` right before `pub enum`: kopium documents such enums with the
        // description of the struct holding them, which is wrong; the field keeps the right one.
        let enum_follows = line.starts_with("#[derive(")
            && lines
                .peek()
                .is_some_and(|next| next.starts_with("pub enum "));
        if !enum_follows {
            tidy_docs(&docs, &mut out);
        }
        docs.clear();
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Writes one item's doc comment: CRD descriptions are prose for `kubectl explain`, so
/// - an empty one is dropped (clippy's `empty_docs`);
/// - tabs become spaces, trailing spaces go;
/// - punctuation kopium caught in `<…>` links is put back after them;
/// - indented blocks and unlabelled fences, which rustdoc would compile and run as doctests of
///   the project's library, are fenced as `text`.
fn tidy_docs(docs: &[&str], out: &mut String) {
    let Some(first) = docs.first() else {
        return;
    };
    let indent = &first[..first.len() - first.trim_start().len()];
    let texts: Vec<String> = docs
        .iter()
        .map(|line| {
            let text = line.trim_start().trim_start_matches("///");
            let text = text.strip_prefix(' ').unwrap_or(text);
            fix_links(text.replace('\t', "    ").trim_end())
        })
        .collect();
    if texts.iter().all(String::is_empty) {
        return;
    }
    let mut push = |text: &str| {
        out.push_str(indent);
        out.push_str("///");
        if !text.is_empty() {
            out.push(' ');
            out.push_str(text);
        }
        out.push('\n');
    };
    let (mut fenced, mut code, mut blanks, mut after_blank) = (false, false, 0, true);
    for text in &texts {
        if text.is_empty() {
            blanks += 1;
            after_blank = true;
            continue;
        }
        let indented = text.starts_with("    ");
        if code && !indented {
            push("```");
            code = false;
        }
        for _ in 0..blanks {
            push("");
        }
        blanks = 0;
        // A fence line; with a backtick after the opening ones it is inline code instead.
        let fence = text
            .trim_start()
            .strip_prefix("```")
            .filter(|info| !indented && !info.contains('`'));
        if let Some(info) = fence {
            fenced = !fenced;
            // An unlabelled or Rust fence would be a doctest.
            if fenced && (info.trim().is_empty() || info.contains("rust")) {
                push("```text");
                after_blank = false;
                continue;
            }
        } else if !fenced && !code && indented && after_blank {
            push("```text");
            code = true;
        }
        push(if code { &text[4..] } else { text });
        after_blank = false;
    }
    if code {
        push("```");
    }
}

/// kopium turns URLs into `<…>` links but takes the sentence's closing punctuation with them
/// (`<https://example.com).>`), which rustdoc shows as part of the link; move it out.
fn fix_links(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(start) = rest.find("<http") {
        let Some(length) = rest[start..].find('>') else {
            break;
        };
        let link = &rest[start + 1..start + length];
        let mut url = link.trim_end_matches(['.', ',', ';', ':', '\'', '"', '`']);
        // A `)` closes the sentence's parenthesis unless the URL opened one itself.
        while url.ends_with(')') && url.matches('(').count() < url.matches(')').count() {
            url = url[..url.len() - 1].trim_end_matches(['.', ',', ';', ':', '\'', '"', '`']);
        }
        out.push_str(&rest[..start]);
        out.push('<');
        out.push_str(url);
        out.push('>');
        out.push_str(&link[url.len()..]);
        rest = &rest[start + length + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const CERTIFICATE: &str =
        include_str!("../tests/fixtures/external-crds/certificates.cert-manager.io.yaml");
    const BACKUP_SCHEDULE: &str =
        include_str!("../tests/fixtures/external-crds/backupschedules.backup.example.io.yaml");

    fn certificate() -> ExternalCrd {
        ExternalCrd::parse(CERTIFICATE, "cert.yaml").unwrap()
    }

    fn backup_schedule() -> ExternalCrd {
        ExternalCrd::parse(BACKUP_SCHEDULE, "backup.yaml").unwrap()
    }

    fn error(text: &str) -> String {
        let err = ExternalCrd::parse(text, "crd.yaml")
            .unwrap_err()
            .to_string();
        assert!(!err.contains('\n'), "not one line: {err}");
        err
    }

    /// The Certificate CRD with the first `from` in its text replaced by `to`.
    fn certificate_with(from: &str, to: &str) -> String {
        assert!(CERTIFICATE.contains(from), "{from}");
        CERTIFICATE.replacen(from, to, 1)
    }

    #[test]
    fn facts() {
        let crd = certificate();
        assert_eq!(crd.group, "cert-manager.io");
        assert_eq!(crd.kind, "Certificate");
        assert_eq!(crd.plural, "certificates");
        assert!(crd.namespaced);
        assert_eq!(crd.versions, ["v1"]);
        assert_eq!(crd.storage_version, "v1");
        assert_eq!(crd.file_name(), "certificates.cert-manager.io.yaml");

        let crd = backup_schedule();
        assert_eq!(crd.group, "backup.example.io");
        assert_eq!(crd.kind, "BackupSchedule");
        assert!(!crd.namespaced);
        assert_eq!(crd.versions, ["v1alpha1", "v1"]);
        assert_eq!(crd.storage_version, "v1");
    }

    /// The Certificate CRD with a property `deep` holding `levels` nested objects.
    fn nested(levels: usize) -> String {
        let mut nested = String::from("{type: string}");
        for _ in 0..levels {
            nested = format!("{{type: object, properties: {{inner: {nested}}}}}");
        }
        certificate_with(
            "                duration:\n",
            &format!("                deep: {nested}\n                duration:\n"),
        )
    }

    #[test]
    fn depth_is_bounded() {
        // The deepest schema the YAML depth limit lets through is read and generated within a
        // test thread's stack; one level more is refused.
        let crd = ExternalCrd::parse(&nested(27), "deep.yaml").unwrap();
        let rust = crd.rust_types("v1", "").unwrap();
        assert!(rust.contains("pub deep: Option<CertificateDeep>,"));
        assert!(crd.sample("v1", "x").is_ok());
        assert_eq!(
            error(&nested(28)),
            "`crd.yaml` is too large or too deeply nested to read (Depth { depth: 65 }); use the \
             kind through `kube::api::DynamicObject` instead"
        );
    }

    #[test]
    fn versions_not_served_are_left_out() {
        let text = BACKUP_SCHEDULE.replacen("served: true", "served: false", 1);
        let crd = ExternalCrd::parse(&text, "backup.yaml").unwrap();
        assert_eq!(crd.versions, ["v1"]);
        assert_eq!(
            crd.rust_types("v1alpha1", "").unwrap_err().to_string(),
            "`backup.yaml` does not serve version `v1alpha1`; use one of: v1"
        );
    }

    #[test]
    fn refuses_what_is_not_one_v1_crd() {
        let err = error("kind: [unclosed");
        assert!(err.starts_with("`crd.yaml` is not valid YAML: "), "{err}");
        assert!(err.ends_with("; give the CRD's YAML file"), "{err}");

        assert_eq!(
            error("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n"),
            "`crd.yaml` is an apps/v1 Deployment, not a CustomResourceDefinition; give the CRD's \
             YAML file, e.g. from the project's release manifests"
        );
        assert_eq!(
            error("apiVersion: v1\nkind: ConfigMap\n"),
            "`crd.yaml` is a v1 ConfigMap, not a CustomResourceDefinition; give the CRD's YAML \
             file, e.g. from the project's release manifests"
        );
        assert_eq!(
            error("- a\n- b\n"),
            "`crd.yaml` is not a Kubernetes object (no `apiVersion` and `kind`); give the CRD's \
             YAML file, e.g. from the project's release manifests"
        );
        assert_eq!(
            error(&CERTIFICATE.replace(CRD_API_VERSION, "apiextensions.k8s.io/v1beta1")),
            "`crd.yaml` is an apiextensions.k8s.io/v1beta1 CustomResourceDefinition, which \
             Kubernetes 1.22 stopped serving; give the apiextensions.k8s.io/v1 CRD from a newer \
             release of the project"
        );
        assert_eq!(
            error(&format!(
                "{CERTIFICATE}---\n{BACKUP_SCHEDULE}---\napiVersion: v1\nkind: Namespace\n"
            )),
            "`crd.yaml` holds 3 YAML documents (2 of them CustomResourceDefinitions); pass a file \
             holding one CRD, the one of the kind to use"
        );
        assert_eq!(
            error("# nothing here\n"),
            "`crd.yaml` holds no YAML document; give the CRD's YAML file"
        );
        let err = error(&certificate_with(
            "scope: Namespaced",
            "scope: [Namespaced]",
        ));
        assert!(
            err.starts_with("`crd.yaml` is not a valid CustomResourceDefinition: "),
            "{err}"
        );
    }

    #[test]
    fn refuses_versions_it_cannot_make_types_for() {
        assert_eq!(
            error(&certificate_with(
                "      schema:\n        openAPIV3Schema:",
                "      x-schema:\n        openAPIV3Schema:"
            )),
            "version `v1` of `crd.yaml` has no schema (`schema.openAPIV3Schema`), which its Rust \
             types are made from; give a CRD whose served versions have one"
        );
        assert_eq!(
            error(&certificate_with(
                "            spec:\n",
                "            notSpec:\n"
            )),
            "version `v1` of `crd.yaml` has no `spec` with properties in its schema, so it cannot \
             be a kube `CustomResource`; use the kind through `kube::api::DynamicObject` instead"
        );
        assert_eq!(
            error(&certificate_with("storage: true", "storage: false")),
            "`crd.yaml` has 0 storage versions; a CRD has exactly one: fix the file"
        );
        assert_eq!(
            error(&certificate_with("served: true", "served: false")),
            "`crd.yaml` serves no version; give a CRD with at least one served version"
        );
    }

    #[test]
    fn kopium_panics_are_errors() {
        let text = certificate_with(
            "                dnsNames:\n",
            "                $:\n                  type: string\n                dnsNames:\n",
        );
        let crd = ExternalCrd::parse(&text, "cert.yaml").unwrap();
        assert_eq!(
            crd.rust_types("v1", "").unwrap_err().to_string(),
            "cannot make Rust types for version `v1` of `cert.yaml`: invalid field name '$' could \
             not be escaped; use the kind through `kube::api::DynamicObject` instead"
        );
    }

    #[test]
    fn unknown_versions_are_refused_with_the_served_ones() {
        let crd = backup_schedule();
        let expected = "`backup.yaml` does not serve version `v2`; use one of: v1alpha1, v1";
        assert_eq!(crd.rust_types("v2", "").unwrap_err().to_string(), expected);
        assert_eq!(crd.sample("v2", "x").unwrap_err().to_string(), expected);
    }

    #[test]
    fn rust_types_for_a_namespaced_kind() {
        let header =
            "// Copyright 2026 The Example Authors.\n// SPDX-License-Identifier: Apache-2.0\n\n";
        let rust = certificate().rust_types("v1", header).unwrap();
        assert!(rust.starts_with(header), "{rust}");
        assert!(rust.contains(
            "// Generated by cargo-operator with kopium from version v1 of\n\
             // config/crd/external/certificates.cert-manager.io.yaml; edits are lost when it is regenerated by\n\
             // `cargo operator create api --version v1 --kind Certificate --external-api-crd \
             config/crd/external/certificates.cert-manager.io.yaml --force`.\n"
        ));
        assert!(rust.contains(
            "#[kube(group = \"cert-manager.io\", version = \"v1\", kind = \"Certificate\", plural = \"certificates\")]\n\
             #[kube(namespaced)]\n\
             #[kube(status = \"CertificateStatus\")]\n\
             #[kube(schema = \"disabled\")]\n\
             #[kube(derive=\"Default\")]\n\
             pub struct CertificateSpec {"
        ));
        // kopium's own banner and anything needing schemars or chrono are gone.
        assert!(!rust.contains("kopium version"));
        assert!(!rust.contains("kopium command"));
        assert!(!rust.contains("JsonSchema"));
        assert!(!rust.contains("schemars"));
        assert!(!rust.contains("chrono"));
        // Required fields are plain, optional ones `Option`; docs come from descriptions.
        assert!(rust.contains("    pub secret_name: String,\n"));
        assert!(rust.contains("    pub issuer_ref: CertificateIssuerRef,\n"));
        assert!(rust.contains("    pub other_names: Option<Vec<CertificateOtherNames>>,\n"));
        assert!(
            rust.contains(
                "    /// Name of the resource being referred to.\n    pub name: String,\n"
            )
        );
        assert!(rust.contains("pub enum CertificatePrivateKeyAlgorithm {"));
        assert!(rust.contains("#[derive(Serialize, Deserialize, Clone, Debug, Default)]\npub struct CertificateIssuerRef {"));
        // cert-manager's conditions lack metav1.Condition's required fields: they get their own type.
        assert!(rust.contains("pub conditions: Option<Vec<CertificateStatusConditions>>,"));
        assert!(!rust.contains("meta::v1::Condition;"));
    }

    #[test]
    fn rust_types_for_a_cluster_scoped_kind() {
        let crd = backup_schedule();
        let v1 = crd.rust_types("v1", "").unwrap();
        assert!(v1.starts_with("// Generated by cargo-operator"));
        assert!(
            v1.contains("kind = \"BackupSchedule\", plural = \"backupschedules\")]\n#[kube(status")
        );
        assert!(!v1.contains("#[kube(namespaced)]"));
        // A required enum has no Default, so neither has the spec.
        assert!(!v1.contains("#[kube(derive=\"Default\")]"));
        assert!(v1.contains("#[derive(CustomResource, Serialize, Deserialize, Clone, Debug)]\n"));
        // These conditions are metav1.Condition's, so they are k8s-openapi's type.
        assert!(v1.contains("pub use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;"));
        assert!(v1.contains("pub conditions: Option<Vec<Condition>>,"));
        assert!(v1.contains("pub max_parallel: Option<IntOrString>,"));

        let v1alpha1 = crd.rust_types("v1alpha1", "").unwrap();
        assert!(v1alpha1.contains("version = \"v1alpha1\""));
        assert!(v1alpha1.contains("#[kube(derive=\"Default\")]"));
    }

    #[test]
    fn doc_comments_are_tidied() {
        let rust = certificate().rust_types("v1", "").unwrap();
        // Punctuation out of links, no trailing spaces, indented examples fenced as text.
        assert!(rust.contains("(see <https://tools.ietf.org/html/rfc6125#section-6.4.4>).\n"));
        assert!(rust.contains("<https://golang.org/pkg/time/#ParseDuration>.\n"));
        assert!(!rust.lines().any(|line| line.ends_with(' ')));
        assert!(rust.contains(
            "    /// For example, to label the Secret for a backup tool:\n    ///\n    /// ```text\n    /// labels:\n    ///   backup.example.com/include: \"true\"\n    /// ```\n"
        ));
        // Enums do not get the description of the struct holding them.
        assert!(rust.contains("}\n\n#[derive(Serialize, Deserialize, Clone, Debug)]\npub enum CertificatePrivateKeyAlgorithm {"));
    }

    #[test]
    fn doc_blocks() {
        let mut out = String::new();
        tidy_docs(
            &[
                "    /// See:",
                "    /// ",
                "    /// \tcode()",
                "    ///     more()",
                "    /// ",
                "    /// After. ``` not a fence ```",
                "    /// ```",
                "    /// fn main() {}",
                "    /// ```",
            ],
            &mut out,
        );
        assert_eq!(
            out,
            "    /// See:\n    ///\n    /// ```text\n    /// code()\n    /// more()\n    /// ```\n    ///\n    /// After. ``` not a fence ```\n    /// ```text\n    /// fn main() {}\n    /// ```\n"
        );
        let mut out = String::new();
        tidy_docs(&["/// ", "///"], &mut out);
        assert_eq!(out, "");
        assert_eq!(
            fix_links("see <https://en.wikipedia.org/wiki/Rust_(language)).>, <http://a.b/c`>`"),
            "see <https://en.wikipedia.org/wiki/Rust_(language)>)., <http://a.b/c>``"
        );
    }

    #[test]
    fn samples_hold_required_fields_only() {
        assert_eq!(
            certificate().sample("v1", "web").unwrap(),
            json!({
                "apiVersion": "cert-manager.io/v1",
                "kind": "Certificate",
                "metadata": { "name": "web" },
                "spec": { "issuerRef": { "name": "example" }, "secretName": "example" },
            })
        );
        assert_eq!(
            backup_schedule().sample("v1", "nightly").unwrap(),
            json!({
                "apiVersion": "backup.example.io/v1",
                "kind": "BackupSchedule",
                "metadata": { "name": "nightly" },
                "spec": {
                    "schedule": "0 0 * * *",
                    "retentionDays": 1,
                    "targets": [{ "namespace": "example" }],
                    "mode": "Full",
                    "startAt": "2024-01-01T00:00:00Z",
                    "suspend": false,
                    "compressionRatio": 0.5,
                    "window": { "from": "00:00", "hours": 1 },
                },
            })
        );
        assert_eq!(
            backup_schedule().sample("v1alpha1", "nightly").unwrap()["spec"],
            json!({ "schedule": "example" })
        );
    }

    #[test]
    fn sample_values() {
        let schema = |yaml: &str| -> JSONSchemaProps { serde_saphyr::from_str(yaml).unwrap() };
        let sample = |yaml: &str| sample_of(&schema(yaml));
        assert_eq!(sample("type: string\ndefault: x"), json!("x"));
        assert_eq!(sample("type: string\nenum: [b, a]"), json!("b"));
        assert_eq!(sample("type: string\nminLength: 10"), json!("examplexxx"));
        assert_eq!(sample("type: string\nmaxLength: 3"), json!("a"));
        assert_eq!(sample("type: string\npattern: '^[0-9]+$'"), json!("1"));
        assert_eq!(sample("type: string\nformat: date"), json!("2024-01-01"));
        assert_eq!(sample("type: string\nformat: byte"), json!("ZXhhbXBsZQ=="));
        assert_eq!(sample("type: integer"), json!(1));
        assert_eq!(sample("type: integer\nminimum: -5"), json!(-5));
        assert_eq!(
            sample("type: integer\nminimum: 3\nexclusiveMinimum: true"),
            json!(4)
        );
        assert_eq!(sample("type: integer\nminimum: 3\nmultipleOf: 5"), json!(5));
        assert_eq!(sample("type: integer\nmaximum: 0"), json!(0));
        assert_eq!(
            sample("type: integer\nmaximum: 1\nexclusiveMaximum: true"),
            json!(0)
        );
        assert_eq!(
            sample("type: integer\nminimum: 9.3e18\nexclusiveMinimum: true"),
            json!(i64::MAX)
        );
        assert_eq!(
            sample("type: array\nminItems: 1000000000\nitems: {type: boolean}"),
            Value::Array(vec![json!(false); 64])
        );
        assert_eq!(sample("type: number\nminimum: 0.25"), json!(0.25));
        assert_eq!(sample("type: boolean"), json!(false));
        assert_eq!(sample("type: array\nitems: {type: string}"), json!([]));
        assert_eq!(
            sample("type: array\nminItems: 2\nitems: {type: integer}"),
            json!([1, 1])
        );
        assert_eq!(
            sample("type: object\nminProperties: 1\nadditionalProperties: {type: string}"),
            json!({ "example": "example" })
        );
        assert_eq!(
            sample("x-kubernetes-int-or-string: true\nanyOf: [{type: integer}, {type: string}]"),
            json!(1)
        );
        assert_eq!(
            sample("type: object\nx-kubernetes-preserve-unknown-fields: true"),
            json!({})
        );
    }
}
