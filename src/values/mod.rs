//! The bottom layer: values as types that only hold valid ones.
//!
//! Flags and `PROJECT.toml` parse through the same `FromStr`, so a bad value gets the same
//! message wherever it comes from, and code past parsing never sees an invalid one. This layer
//! imports nothing else of the crate; `model` builds on it.

mod api;
pub mod rules;
pub mod spelling;
mod webhook_path;

pub use api::{ControllerName, Group, Kind, Plural, Version};
pub use webhook_path::{CONVERSION_PATH, WebhookPath};

/// A flag's value as one of the validated name types, with the type's own message.
pub fn parse<T: std::str::FromStr<Err = String>>(value: &str) -> anyhow::Result<T> {
    value
        .parse()
        .map_err(|message: String| anyhow::anyhow!(message))
}
