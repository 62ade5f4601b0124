//! The third layer, the plan: render templates, plan file changes in memory, write them once.
//! Built on `model`; the pieces several commands share live here, named for what they are, so
//! no command imports another.

pub mod chart;
pub mod context;
pub mod crdgen;
pub mod grafana;
pub mod insertions;
pub mod markers;
mod plan;
pub mod project_file;
pub mod registry;
pub mod replay;
pub mod resource_files;
pub mod rustfmt;
pub mod templates;
pub mod three_way;
pub mod webhook_config;

pub use plan::{Change, IfExists, Plan, PlannedView};
