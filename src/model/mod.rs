//! The second layer: the project as `PROJECT.toml` records it, checked as a whole, and every
//! name derived from it. Imports only `values`; the plan layer (`scaffold`) builds on it.

pub mod check;
pub mod core_kinds;
pub mod external_crd;
pub mod hashes;
pub mod names;
pub mod project;
pub mod read;
