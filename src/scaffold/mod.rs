//! The scaffolding machinery: render templates, plan file changes in memory, write them once.

pub mod hashes;
pub mod markers;
mod plan;
pub mod rustfmt;
pub mod templates;

pub use plan::{Change, IfExists, Plan};
