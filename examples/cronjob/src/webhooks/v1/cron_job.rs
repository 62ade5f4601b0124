// Copyright 2026 The cronjob Authors.
// SPDX-License-Identifier: Apache-2.0

//! The admission webhooks of `CronJob` `v1`. The API server sends each create and update
//! here before it stores the object: defaults are filled in, then the object is checked.
//! `src/webhooks/mod.rs` registers them; `make manifests` writes their configurations.

use kube::ResourceExt;
use kube_operator_runtime::webhook::{Defaulter, Denied, Validation, Validator};

use crate::{api::v1::CronJob, schedule};

/// A Job's name is its CronJob's, a dash and the run's ten-digit Unix time: within the 63
/// characters of a label value (the Job controller labels its Pods with it), that leaves 52.
pub const MAX_NAME_LENGTH: usize = 63 - 11;

/// Successful Jobs kept when the spec does not say.
pub const SUCCESSFUL_JOBS_HISTORY_LIMIT: i32 = 3;
/// Failed Jobs kept when the spec does not say.
pub const FAILED_JOBS_HISTORY_LIMIT: i32 = 1;

impl Defaulter for CronJob {
    /// Fills in what the user left out, on create and update. The runtime sends the changes back
    /// to the API server as a JSON patch.
    fn default(&mut self) {
        let spec = &mut self.spec;
        // `concurrencyPolicy` needs no line: a missing one reads as `Allow` (the CRD's default
        // too), which the patch writes back.
        spec.suspend.get_or_insert(false);
        spec.successful_jobs_history_limit
            .get_or_insert(SUCCESSFUL_JOBS_HISTORY_LIMIT);
        spec.failed_jobs_history_limit
            .get_or_insert(FAILED_JOBS_HISTORY_LIMIT);
    }
}

impl Validator for CronJob {
    /// Checks a new object. `Ok` may carry warnings, which kubectl prints; `Err(Denied::new(..))`
    /// (from `kube_operator_runtime::webhook`) refuses it with that message.
    fn validate_create(&self) -> Validation {
        self.validate()
    }

    /// Checks a change; `old` is the object as stored.
    fn validate_update(&self, _old: &Self) -> Validation {
        self.validate()
    }

    /// Checks a deletion (called only if `OPERATIONS` lists `Operation::Delete`).
    fn validate_delete(&self) -> Validation {
        Ok(Vec::new())
    }
}

impl CronJob {
    /// What every CronJob must be, created or changed: a name its Jobs can extend, a schedule
    /// that parses.
    fn validate(&self) -> Validation {
        let name = self.name_any();
        if name.len() > MAX_NAME_LENGTH {
            return Err(Denied::invalid(
                "metadata.name",
                format!(
                    "must be at most {MAX_NAME_LENGTH} characters, so that its Jobs' names fit; `{name}` has {}",
                    name.len()
                ),
            ));
        }
        if let Err(err) = schedule::parse(&self.spec.schedule) {
            return Err(Denied::invalid(
                "spec.schedule",
                format!(
                    "`{}` is not a cron schedule ({err}); use five fields, such as `*/5 * * * *`",
                    self.spec.schedule
                ),
            ));
        }
        Ok(Vec::new())
    }
}
