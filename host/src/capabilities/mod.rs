//! Capabilities the host lends to plugins, one unit each, in the style of Spin's factors and
//! wasmtime-wasi's per-interface views: each unit owns its host-trait implementation on its
//! own view of the call's state (a `HasData` projection, never the whole store state), and
//! its `add_to_linker` for every contract version.
//!
//! - [`kube`]: Kubernetes API requests (and discovery, `can-i`, OpenAPI);
//! - [`process`]: the controlled subprocess (contract 0.2.0; refused until it lands);
//! - [`progress`]: MCP progress notifications;
//! - [`log`]: messages to the host's log.
//!
//! Every decision is the gate's ([`crate::gate`]); a unit only shapes requests and results.
//! The store state holds the shared [`Call`] plus one state per unit; each unit's view
//! borrows the shared part and its own.

pub mod call;
pub mod kube;
pub mod log;
pub mod process;
pub mod progress;

pub use call::{Call, CountRefusal};
