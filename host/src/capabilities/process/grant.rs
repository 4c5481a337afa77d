//! The `process` capability's manifest type: what a plugin asks to run
//! (`[capabilities.process]`). A leaf module: the manifest parser depends on it, and it
//! depends on nothing of the host.

use serde::{Deserialize, Serialize};

/// `[capabilities.process]` of a manifest.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ProcessRequest {
    /// Program names, e.g. `["helm"]`.
    #[serde(default)]
    pub programs: Vec<String>,
}
