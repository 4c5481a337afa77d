//! Plugins: loading components, their manifests and digests, the compile cache, one
//! `InstancePre` per plugin, and per-call stores with memory and time limits.

pub mod budget;
pub mod cache;
pub mod inspect;
pub mod manifest;
pub mod runtime;

pub use runtime::{CallOutcome, LoadedPlugin, PluginHost, ToolDef};
