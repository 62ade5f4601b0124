//! The smallest valid object of an external kind, built from its schema, for the generated
//! tests.

use anyhow::Result;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::{
    JSONSchemaProps, JSONSchemaPropsOrBool,
};
use serde_json::{Map, Value, json};

use super::{ExternalCrd, items_of, required};

impl ExternalCrd {
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
}

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

#[cfg(test)]
mod tests {
    use super::super::tests::*;
    use super::*;

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
