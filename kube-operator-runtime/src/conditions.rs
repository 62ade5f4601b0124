//! `status.conditions` as Kubernetes API conventions and `kubectl wait --for=condition=…` expect
//! them: `metav1.Condition` values, one per `type`, whose `lastTransitionTime` moves only when
//! the status changes. controller-runtime's `meta.SetStatusCondition` and friends.
//!
//! ```
//! use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
//! use kube_operator_runtime::conditions::{Conditions, new_condition};
//!
//! let mut conditions: Vec<Condition> = Vec::new();
//! conditions.set_condition(new_condition("Available", true, "Running", "3 of 3 replicas", Some(2)));
//! assert!(conditions.is_condition_true("Available"));
//! assert_eq!(conditions.find_condition("Available").unwrap().observed_generation, Some(2));
//! ```
//!
//! In a status type, the schema that makes the list a map keyed by `type` (so server-side
//! apply merges conditions one by one) comes from [`schema`]:
//!
//! ```
//! use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
//! use schemars::JsonSchema;
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
//! #[serde(rename_all = "camelCase")]
//! pub struct WidgetStatus {
//!     #[serde(default, skip_serializing_if = "Vec::is_empty")]
//!     #[schemars(schema_with = "kube_operator_runtime::conditions::schema")]
//!     pub conditions: Vec<Condition>,
//! }
//! ```

use k8s_openapi::{
    apimachinery::pkg::apis::meta::v1::{Condition, Time},
    jiff::Timestamp,
};
use schemars::{Schema, SchemaGenerator, json_schema};

/// A condition of `type_` with `status` `True` or `False`, now as its transition time (which
/// [`Conditions::set_condition`] keeps from the condition it replaces when the status is the
/// same). `reason` is CamelCase; `observed_generation` is the `metadata.generation` it was
/// decided from.
pub fn new_condition(
    type_: &str,
    status: bool,
    reason: &str,
    message: impl Into<String>,
    observed_generation: Option<i64>,
) -> Condition {
    Condition {
        type_: type_.into(),
        status: if status { "True" } else { "False" }.into(),
        reason: reason.into(),
        message: message.into(),
        observed_generation,
        last_transition_time: Time(Timestamp::now()),
    }
}

/// What a `status.conditions` list offers; implemented for `Vec<Condition>`.
pub trait Conditions {
    /// Sets `condition` in place of the one of the same type, or adds it. The transition time
    /// moves only when the status changes: a condition set again with the same status keeps
    /// the time it first took it (reason, message and generation are replaced). Returns whether
    /// anything changed, so that a controller writes its status only then.
    fn set_condition(&mut self, condition: Condition) -> bool;

    /// The condition of `type_`, if any.
    fn find_condition(&self, type_: &str) -> Option<&Condition>;

    /// Whether the condition of `type_` is there with status `True`.
    fn is_condition_true(&self, type_: &str) -> bool;

    /// Removes the condition of `type_`; whether there was one.
    fn remove_condition(&mut self, type_: &str) -> bool;
}

impl Conditions for Vec<Condition> {
    fn set_condition(&mut self, mut condition: Condition) -> bool {
        let Some(existing) = self.iter_mut().find(|held| held.type_ == condition.type_) else {
            self.push(condition);
            return true;
        };
        if existing.status == condition.status {
            condition.last_transition_time = existing.last_transition_time.clone();
        }
        let changed = *existing != condition;
        *existing = condition;
        changed
    }

    fn find_condition(&self, type_: &str) -> Option<&Condition> {
        self.iter().find(|held| held.type_ == type_)
    }

    fn is_condition_true(&self, type_: &str) -> bool {
        self.find_condition(type_)
            .is_some_and(|condition| condition.status == "True")
    }

    fn remove_condition(&mut self, type_: &str) -> bool {
        let before = self.len();
        self.retain(|held| held.type_ != type_);
        self.len() != before
    }
}

/// The schema of a `conditions` field: a list of `metav1.Condition` with the API server's own
/// validation (status `True`, `False` or `Unknown`; a CamelCase reason; lengths), kept as a map
/// keyed by `type`. Use it with `#[schemars(schema_with = "…")]`.
pub fn schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "description": "The latest observations of the object's state, one per type.",
        "type": "array",
        "x-kubernetes-list-type": "map",
        "x-kubernetes-list-map-keys": ["type"],
        "items": {
            "type": "object",
            "required": ["lastTransitionTime", "message", "reason", "status", "type"],
            "properties": {
                "lastTransitionTime": {
                    "description": "When the status last changed.",
                    "type": "string",
                    "format": "date-time",
                },
                "message": {
                    "description": "Details of the transition, for people.",
                    "type": "string",
                    "maxLength": 32768,
                },
                "observedGeneration": {
                    "description": "The metadata.generation the condition was set from.",
                    "type": "integer",
                    "format": "int64",
                    "minimum": 0,
                },
                "reason": {
                    "description": "Why the status is what it is, in CamelCase.",
                    "type": "string",
                    "maxLength": 1024,
                    "minLength": 1,
                    "pattern": "^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$",
                },
                "status": {
                    "description": "True, False or Unknown.",
                    "type": "string",
                    "enum": ["True", "False", "Unknown"],
                },
                "type": {
                    "description": "The aspect of the state, in CamelCase or foo.example.com/CamelCase.",
                    "type": "string",
                    "maxLength": 316,
                    "pattern": "^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$",
                },
            },
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> Time {
        Time(Timestamp::from_second(seconds).unwrap())
    }

    fn condition(type_: &str, status: bool, reason: &str, time: i64) -> Condition {
        Condition {
            last_transition_time: at(time),
            ..new_condition(type_, status, reason, "", Some(1))
        }
    }

    #[test]
    fn the_transition_time_moves_only_when_the_status_changes() {
        let mut conditions = Vec::new();
        assert!(conditions.set_condition(condition("Ready", false, "Starting", 100)));

        // Same status, new reason: the time of the first False stays.
        assert!(conditions.set_condition(condition("Ready", false, "Pulling", 200)));
        let ready = conditions.find_condition("Ready").unwrap();
        assert_eq!(
            (ready.reason.as_str(), &ready.last_transition_time),
            ("Pulling", &at(100))
        );

        // Nothing new: nothing to write.
        assert!(!conditions.set_condition(condition("Ready", false, "Pulling", 300)));

        // The status changes: so does the time.
        assert!(conditions.set_condition(condition("Ready", true, "Running", 400)));
        assert!(conditions.is_condition_true("Ready"));
        assert_eq!(
            conditions
                .find_condition("Ready")
                .unwrap()
                .last_transition_time,
            at(400)
        );
        assert_eq!(conditions.len(), 1);
    }

    #[test]
    fn conditions_of_other_types_are_left_alone() {
        let mut conditions = vec![condition("Degraded", false, "AsExpected", 10)];
        conditions.set_condition(condition("Available", true, "Running", 20));
        assert_eq!(conditions.len(), 2);
        assert!(!conditions.is_condition_true("Degraded"));
        assert!(!conditions.is_condition_true("Missing"));
        assert!(conditions.remove_condition("Degraded"));
        assert!(!conditions.remove_condition("Degraded"));
        assert_eq!(conditions[0].type_, "Available");
    }

    #[test]
    fn the_schema_is_a_map_keyed_by_type() {
        let schema = schema(&mut SchemaGenerator::default());
        let value = schema.as_value();
        assert_eq!(value["x-kubernetes-list-type"], "map");
        assert_eq!(value["x-kubernetes-list-map-keys"][0], "type");
        assert_eq!(
            value["items"]["properties"]["status"]["enum"],
            serde_json::json!(["True", "False", "Unknown"])
        );
    }
}
