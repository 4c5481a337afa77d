//! Host services shared by every call: the resolved config, the audit log and the
//! Kubernetes connection.

use std::sync::Arc;

use crate::audit::AuditLog;
use crate::capabilities::kube::KubeService;
use crate::config::Config;

/// Everything a capability call may need. Shared as `Arc<Services>`; nothing global.
pub struct Services {
    /// The resolved configuration ([`Config::load`]: flags, environment, config file,
    /// defaults), fixed for the life of the process.
    pub config: Config,
    /// The audit log every tool call and capability decision is written to before the
    /// answer is sent (see [`crate::audit`]).
    pub audit: Arc<AuditLog>,
    /// The Kubernetes connection, or why there is none (no kubeconfig, unknown context).
    pub kube: Result<Arc<KubeService>, String>,
    /// Seals and redeems confirmation state (see [`crate::confirm`]).
    pub confirmer: crate::confirm::Confirmer,
}
