// Copyright 2026 The friends Authors.
// SPDX-License-Identifier: Apache-2.0

//! The admission webhooks of `Foo` `v1`. The API server sends each create and update
//! here before it stores the object: defaults are filled in, then the object is checked.
//! `src/webhooks/mod.rs` registers them; `make manifests` writes their configurations.

use kube_operator_runtime::webhook::{Defaulter, Denied, Validation, Validator};

use crate::api::v1::Foo;

impl Defaulter for Foo {
    /// Fills in what the user left out, on create and update. The runtime sends the changes back
    /// to the API server as a JSON patch.
    fn default(&mut self) {
        // Created with `generateName`, a Foo has no name yet when defaults are set: it gets
        // one now, as the API server would give it.
        if self.metadata.name.is_none()
            && let Some(prefix) = &self.metadata.generate_name
        {
            self.metadata.name = Some(generated_name(prefix));
        }
        // A Foo without a friend looks for a Pod of its own name.
        if self.spec.name.is_empty()
            && let Some(name) = &self.metadata.name
        {
            self.spec.name = name.clone();
        }
    }
}

/// `prefix` (cut to 58 characters) and five random characters from the API server's alphabet
/// for generated names.
fn generated_name(prefix: &str) -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let seed = std::time::SystemTime::now();
    let mut random = std::hash::BuildHasher::hash_one(&std::hash::RandomState::new(), seed);
    let suffix: String = (0..5)
        .map(|_| {
            let letter = ALPHABET[(random % ALPHABET.len() as u64) as usize];
            random /= ALPHABET.len() as u64;
            char::from(letter)
        })
        .collect();
    let prefix: String = prefix.chars().take(58).collect();
    format!("{prefix}{suffix}")
}

impl Validator for Foo {
    /// Checks a new object. `Ok` may carry warnings, which kubectl prints; `Err(Denied::new(..))`
    /// (from `kube_operator_runtime::webhook`) refuses it with that message.
    fn validate_create(&self) -> Validation {
        check_friend(&self.spec.name)
    }

    /// Checks a change; `old` is the object as stored.
    fn validate_update(&self, _old: &Self) -> Validation {
        check_friend(&self.spec.name)
    }

    /// Checks a deletion (called only if `OPERATIONS` lists `Operation::Delete`).
    fn validate_delete(&self) -> Validation {
        Ok(Vec::new())
    }
}

/// A friend must be a name a Pod can have, or Foo could never be happy.
fn check_friend(name: &str) -> Validation {
    let valid_label = |label: &str| {
        !label.is_empty()
            && label.len() <= 63
            && label
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    if name.len() <= 253 && name.split('.').all(valid_label) {
        Ok(Vec::new())
    } else {
        Err(Denied::new(format!(
            "spec.name: {name:?} is not a Pod name: use lower-case letters, digits, '-' and '.'"
        )))
    }
}
