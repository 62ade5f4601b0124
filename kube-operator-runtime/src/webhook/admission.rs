//! Admission reviews: reading them, calling the user's [`Defaulter`] or [`Validator`], and
//! answering.

use json_patch::{Patch, PatchOperation};
use kube::core::{
    DynamicObject, Status,
    admission::{AdmissionRequest, AdmissionResponse, AdmissionReview, Operation},
    response::{StatusCause, StatusDetails},
};
use serde::de::DeserializeOwned;
use serde_json::Value;

use kube::Client;

use super::{
    registry::Handler,
    traits::{
        AdmissionContext, CustomDefaulter, CustomValidator, Defaulter, Denied, Validation,
        Validator, WebhookKind,
    },
};

/// Reads an `AdmissionReview` from `body`, answers it with `handler`, and writes the answering
/// review.
pub(super) async fn review(body: &[u8], handler: &Handler, client: &Client) -> Vec<u8> {
    let response = match serde_json::from_slice::<AdmissionReview<DynamicObject>>(body) {
        Ok(review) => match review.try_into() {
            Ok(request) => handler(&request, client).await,
            Err(_) => AdmissionResponse::invalid("the AdmissionReview holds no request"),
        },
        Err(err) => AdmissionResponse::invalid(format!("cannot read the AdmissionReview: {err}")),
    };
    // Serializing a review made of strings and JSON values cannot fail.
    serde_json::to_vec(&response.into_review()).unwrap_or_default()
}

/// The [`Defaulter`] and [`Validator`] of a kind, as the custom traits, so that one path
/// answers both.
pub(super) struct ByType;

impl<K: Defaulter> CustomDefaulter<K> for ByType {
    async fn default(&self, obj: &mut K, _: &AdmissionContext) -> Result<(), Denied> {
        Defaulter::default(obj);
        Ok(())
    }
}

impl<K: Validator> CustomValidator<K> for ByType {
    const OPERATIONS: &'static [Operation] = <K as Validator>::OPERATIONS;

    async fn validate_create(&self, obj: &K, _: &AdmissionContext) -> Validation {
        obj.validate_create()
    }

    async fn validate_update(&self, obj: &K, old: &K, _: &AdmissionContext) -> Validation {
        obj.validate_update(old)
    }

    async fn validate_delete(&self, obj: &K, _: &AdmissionContext) -> Validation {
        obj.validate_delete()
    }
}

/// Defaults the object of a CREATE or UPDATE with `defaulter`, answering with a JSON patch of
/// the changes.
pub(super) async fn custom_default<K: WebhookKind>(
    defaulter: &impl CustomDefaulter<K>,
    request: &AdmissionRequest<DynamicObject>,
    client: &Client,
) -> AdmissionResponse {
    let allowed = AdmissionResponse::from(request);
    if !matches!(request.operation, Operation::Create | Operation::Update) {
        return allowed;
    }
    let (mut object, original) = match read::<K>(request.object.as_ref(), "object") {
        Ok(read) => read,
        Err(message) => return refuse(request, bad_request(&message)),
    };
    let before = to_json(&object);
    if let Err(denied) = defaulter
        .default(&mut object, &context(request, client))
        .await
    {
        return refuse(request, denied_status(request, &denied));
    }
    patched(request, allowed, &original, &before, &object)
}

/// `allowed` with the patch from the object as sent (`original`, `before` as the type read it)
/// to `defaulted`.
fn patched(
    request: &AdmissionRequest<DynamicObject>,
    allowed: AdmissionResponse,
    original: &Value,
    before: &Value,
    defaulted: &impl serde::Serialize,
) -> AdmissionResponse {
    let patch = defaulting_patch(original, before, &to_json(defaulted));
    if patch.0.is_empty() {
        return allowed;
    }
    allowed
        .with_patch(patch)
        .unwrap_or_else(|err| refuse(request, bad_request(&err.to_string())))
}

/// What a context-taking webhook is told of `request`.
fn context(request: &AdmissionRequest<DynamicObject>, client: &Client) -> AdmissionContext {
    AdmissionContext {
        operation: request.operation.clone(),
        user_info: request.user_info.clone(),
        dry_run: request.dry_run,
        name: request.name.clone(),
        namespace: request.namespace.clone(),
        client: client.clone(),
    }
}

/// Validates the object of the request with `validator`, as its operation says.
pub(super) async fn custom_validate<K: WebhookKind, V: CustomValidator<K>>(
    validator: &V,
    request: &AdmissionRequest<DynamicObject>,
    client: &Client,
) -> AdmissionResponse {
    let context = context(request, client);
    let object = || read::<K>(request.object.as_ref(), "object").map(|(object, _)| object);
    let old = || read::<K>(request.old_object.as_ref(), "oldObject").map(|(old, _)| old);
    let validation = match request.operation {
        Operation::Create => match object() {
            Ok(object) => Ok(validator.validate_create(&object, &context).await),
            Err(message) => Err(message),
        },
        Operation::Update => match object().and_then(|object| Ok((object, old()?))) {
            Ok((object, old)) => Ok(validator.validate_update(&object, &old, &context).await),
            Err(message) => Err(message),
        },
        Operation::Delete => match old() {
            Ok(old) => Ok(validator.validate_delete(&old, &context).await),
            Err(message) => Err(message),
        },
        Operation::Connect => Ok(Ok(Vec::new())),
    };
    answer(request, validation)
}

/// The response to a validation, or to a request that could not be read (`Err`).
fn answer(
    request: &AdmissionRequest<DynamicObject>,
    validation: Result<Validation, String>,
) -> AdmissionResponse {
    match validation {
        Ok(Ok(warnings)) => {
            let mut response = AdmissionResponse::from(request);
            if !warnings.is_empty() {
                response.warnings = Some(warnings);
            }
            response
        }
        Ok(Err(denied)) => refuse(request, denied_status(request, &denied)),
        Err(message) => refuse(request, bad_request(&message)),
    }
}

/// The object of a request as `K`, and as the JSON it came in.
fn read<K: WebhookKind + DeserializeOwned>(
    object: Option<&DynamicObject>,
    field: &str,
) -> Result<(K, Value), String> {
    let kind = K::kind(&());
    let object = object.ok_or_else(|| format!("the request holds no {field} ({kind})"))?;
    let json = serde_json::to_value(object)
        .map_err(|err| format!("cannot read the request's {field}: {err}"))?;
    let typed = serde_json::from_value(json.clone())
        .map_err(|err| format!("cannot read the request's {field} as a {kind}: {err}"))?;
    Ok((typed, json))
}

fn to_json(value: &impl serde::Serialize) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// The patch from the object as the API server sent it (`original`) to the defaulted object
/// (`after`), with what only the Rust type's serialization would change left out: fields the
/// type does not know (`before` is the object as the type read it, before defaulting) are not
/// removed, and absent optional fields are not added as `null`.
fn defaulting_patch(original: &Value, before: &Value, after: &Value) -> Patch {
    let Patch(operations) = json_patch::diff(original, after);
    Patch(
        operations
            .into_iter()
            .filter_map(|operation| match operation {
                PatchOperation::Remove(remove) => before
                    .pointer(remove.path.as_str())
                    .is_some()
                    .then_some(PatchOperation::Remove(remove)),
                PatchOperation::Add(mut add) => {
                    if add.value.is_null() {
                        return None;
                    }
                    drop_nulls(&mut add.value);
                    Some(PatchOperation::Add(add))
                }
                PatchOperation::Replace(mut replace) => {
                    drop_nulls(&mut replace.value);
                    Some(PatchOperation::Replace(replace))
                }
                other => Some(other),
            })
            .collect(),
    )
}

/// Removes the members whose value is `null` from every object in `value`.
fn drop_nulls(value: &mut Value) {
    match value {
        Value::Object(members) => {
            members.retain(|_, member| !member.is_null());
            members.values_mut().for_each(drop_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_nulls),
        _ => {}
    }
}

fn refuse(request: &AdmissionRequest<DynamicObject>, status: Status) -> AdmissionResponse {
    let mut response = AdmissionResponse::from(request);
    response.allowed = false;
    response.result = status;
    response
}

fn bad_request(message: &str) -> Status {
    Status::failure(message, "BadRequest").with_code(400)
}

/// A refusal as the API server's own would read: `Forbidden`, or `Invalid` naming the field.
fn denied_status(request: &AdmissionRequest<DynamicObject>, denied: &Denied) -> Status {
    let message = denied.to_string();
    match denied.field() {
        None => Status::failure(&message, "Forbidden").with_code(403),
        Some(field) => Status::failure(&message, "Invalid")
            .with_code(422)
            .with_details(StatusDetails {
                name: request.name.clone(),
                group: request.kind.group.clone(),
                kind: request.kind.kind.clone(),
                uid: String::new(),
                causes: vec![StatusCause {
                    reason: "FieldValueInvalid".into(),
                    message: denied.message().into(),
                    field: field.into(),
                }],
                retry_after_seconds: 0,
            }),
    }
}
