//! One file per command. Each reads top-down: load the project file, resolve the flags into
//! validated values, plan every file in memory, apply the plan, save the project file, print.

pub mod completion;
pub mod create_api;
pub mod create_webhook;
pub mod delete_api;
pub mod edit;
pub mod init;
pub mod manifests;
pub mod update;
pub mod version;
