//! Conversion between the versions of a kind, through its hub.

use std::{fmt::Display, sync::Arc};

use kube::core::{
    Status,
    conversion::{ConversionRequest, ConversionResponse, ConversionReview},
};
use serde::{Serialize, de::DeserializeOwned};
use serde_json::Value;

use super::WebhookKind;

/// How the versions of one kind convert into each other: each converts to and from the hub,
/// usually the storage version, so that N versions need N - 1 pairs of conversions, not N².
///
/// ```
/// # mod v1 {
/// #     use kube::CustomResource; use schemars::JsonSchema; use serde::{Deserialize, Serialize};
/// #     #[derive(CustomResource, Deserialize, Serialize, Clone, Debug, JsonSchema)]
/// #     #[kube(group = "example.com", version = "v1", kind = "Foo", namespaced)]
/// #     pub struct FooSpec { pub name: String }
/// # }
/// # mod v2 {
/// #     use kube::CustomResource; use schemars::JsonSchema; use serde::{Deserialize, Serialize};
/// #     #[derive(CustomResource, Deserialize, Serialize, Clone, Debug, JsonSchema)]
/// #     #[kube(group = "example.com", version = "v2", kind = "Foo", namespaced)]
/// #     pub struct FooSpec { pub friend: String }
/// # }
/// # impl From<v1::Foo> for v2::Foo {
/// #     fn from(old: v1::Foo) -> Self {
/// #         Self { metadata: old.metadata, spec: v2::FooSpec { friend: old.spec.name } }
/// #     }
/// # }
/// # impl From<v2::Foo> for v1::Foo {
/// #     fn from(new: v2::Foo) -> Self {
/// #         Self { metadata: new.metadata, spec: v1::FooSpec { name: new.spec.friend } }
/// #     }
/// # }
/// use kube_operator_runtime::webhook::{Conversion, Webhooks};
///
/// // With `impl From<v1::Foo> for v2::Foo` and `impl From<v2::Foo> for v1::Foo`, or `TryFrom`
/// // with an error that displays.
/// let webhooks = Webhooks::new().conversion(Conversion::hub::<v2::Foo>().spoke::<v1::Foo>());
/// # assert!(!webhooks.is_empty());
/// ```
///
/// A converted object must keep the name, namespace, UID and every other field of its metadata
/// but labels and annotations: copy `metadata` across in the conversions. Its `apiVersion` is set
/// to the one asked for.
pub struct Conversion<H> {
    versions: Vec<Version<H>>,
}

/// One version's way to the hub and back.
struct Version<H> {
    api_version: String,
    to_hub: fn(Value) -> Result<H, String>,
    from_hub: fn(H) -> Result<Value, String>,
}

impl Conversion<()> {
    /// A conversion whose hub is `H`, converting nothing else yet.
    pub fn hub<H: WebhookKind>() -> Conversion<H> {
        Conversion {
            versions: vec![Version {
                api_version: H::api_version(&()).into_owned(),
                to_hub: |object| serde_json::from_value(object).map_err(|err| err.to_string()),
                from_hub: |hub| serde_json::to_value(hub).map_err(|err| err.to_string()),
            }],
        }
    }
}

impl<H: WebhookKind> Conversion<H> {
    /// Adds the version `S` of the hub's kind, converted with `H: TryFrom<S>` and
    /// `S: TryFrom<H>` (or `From`, which gives both).
    ///
    /// # Panics
    /// If `S` is another kind than the hub's, or a version already added.
    pub fn spoke<S>(mut self) -> Self
    where
        S: WebhookKind,
        H: TryFrom<S>,
        S: TryFrom<H>,
        <H as TryFrom<S>>::Error: Display,
        <S as TryFrom<H>>::Error: Display,
    {
        assert!(
            S::kind(&()) == H::kind(&()) && S::group(&()) == H::group(&()),
            "{} is not a version of {}",
            S::api_version(&()),
            H::api_version(&())
        );
        let api_version = S::api_version(&()).into_owned();
        assert!(
            !self
                .versions
                .iter()
                .any(|version| version.api_version == api_version),
            "{api_version} of {} is converted twice",
            H::kind(&())
        );
        self.versions.push(Version {
            api_version,
            to_hub: |object| {
                let spoke: S = serde_json::from_value(object).map_err(|err| err.to_string())?;
                H::try_from(spoke).map_err(|err| err.to_string())
            },
            from_hub: |hub| {
                let spoke = S::try_from(hub).map_err(|err| err.to_string())?;
                serde_json::to_value(spoke).map_err(|err| err.to_string())
            },
        });
        self
    }

    pub(super) fn into_converter(self) -> Converter {
        let versions = self.versions;
        Converter {
            group: H::group(&()).into_owned(),
            kind: H::kind(&()).into_owned(),
            convert: Arc::new(move |object, desired| {
                let find = |api_version: &str| {
                    versions
                        .iter()
                        .find(|version| version.api_version == api_version)
                        .ok_or_else(|| format!("no conversion for {api_version}"))
                };
                let from = find(api_version_of(&object).unwrap_or_default())?;
                let to = find(desired)?;
                let mut converted = (to.from_hub)((from.to_hub)(object)?)?;
                if let Some(members) = converted.as_object_mut() {
                    members.insert("apiVersion".into(), desired.into());
                }
                Ok(converted)
            }),
        }
    }
}

/// Converts an object to the given `apiVersion`, or says why not.
type ConvertFn = dyn Fn(Value, &str) -> Result<Value, String> + Send + Sync;

/// A [`Conversion`] with its hub type erased, as [`Webhooks`](super::Webhooks) keeps it.
#[derive(Clone)]
pub(super) struct Converter {
    pub(super) group: String,
    pub(super) kind: String,
    /// Converts an object to the given `apiVersion`.
    convert: Arc<ConvertFn>,
}

fn api_version_of(object: &Value) -> Option<&str> {
    object.get("apiVersion")?.as_str()
}

/// Reads a `ConversionReview` from `body`, converts each of its objects to the desired version
/// with the converter of its kind, and writes the answering review.
pub(super) fn review(converters: &[Converter], body: &[u8]) -> Vec<u8> {
    let response = match serde_json::from_slice::<ConversionReview>(body)
        .map_err(|err| format!("cannot read the ConversionReview: {err}"))
        .and_then(|review| {
            ConversionRequest::try_from(review)
                .map_err(|_| "the ConversionReview holds no request".to_string())
        }) {
        Ok(mut request) => {
            let objects = std::mem::take(&mut request.objects);
            let converted = objects
                .into_iter()
                .map(|object| convert(converters, object, &request.desired_api_version))
                .collect::<Result<Vec<_>, _>>();
            let response = ConversionResponse::for_request(request);
            match converted {
                Ok(objects) => response.success(objects),
                Err(message) => response.failure(Status::failure(&message, "ConversionFailed")),
            }
        }
        Err(message) => ConversionResponse::invalid(Status::failure(&message, "BadRequest")),
    };
    // Serializing a review made of strings and JSON values cannot fail.
    serde_json::to_vec(&response.into_review()).unwrap_or_default()
}

fn convert(converters: &[Converter], object: Value, desired: &str) -> Result<Value, String> {
    let api_version = api_version_of(&object).unwrap_or_default().to_string();
    let kind = object
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let group = api_version.rsplit_once('/').map_or("", |(group, _)| group);
    let what = format!(
        "{kind} {}",
        ["namespace", "name"]
            .iter()
            .filter_map(|field| object.pointer(&format!("/metadata/{field}"))?.as_str())
            .collect::<Vec<_>>()
            .join("/")
    );
    let converter = converters
        .iter()
        .find(|converter| converter.group == group && converter.kind == kind)
        .ok_or_else(|| format!("cannot convert {what}: no conversion for {kind} of {group}"))?;
    if api_version == desired {
        return Ok(object);
    }
    (converter.convert)(object, desired)
        .map_err(|err| format!("cannot convert {what} from {api_version} to {desired}: {err}"))
}

impl<H> std::fmt::Debug for Conversion<H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let versions: Vec<&str> = self
            .versions
            .iter()
            .map(|v| v.api_version.as_str())
            .collect();
        f.debug_struct("Conversion")
            .field("versions", &versions)
            .finish()
    }
}

/// `value` as the type of another version with the same field names, through JSON: a
/// conversion's starting point while two versions' schemas still agree. Once they differ, it
/// fails naming the field it cannot fill, and the conversion is written field by field.
///
/// ```
/// use kube_operator_runtime::webhook::fields_by_name;
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Serialize)]
/// struct V1 { name: String }
/// #[derive(Deserialize, Debug, PartialEq)]
/// struct V2 { name: String }
/// #[derive(Deserialize, Debug)]
/// struct V3 { friend: String }
///
/// let v2: V2 = fields_by_name(V1 { name: "jack".into() }).unwrap();
/// assert_eq!(v2, V2 { name: "jack".into() });
/// let err = fields_by_name::<_, V3>(V1 { name: "jack".into() }).unwrap_err();
/// assert!(err.to_string().contains("missing field `friend`"));
/// ```
pub fn fields_by_name<T: Serialize, U: DeserializeOwned>(value: T) -> Result<U, serde_json::Error> {
    serde_json::from_value(serde_json::to_value(value)?)
}
