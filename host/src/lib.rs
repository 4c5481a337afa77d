//! kube-ai-proxy: an MCP server that lets AI assistants operate Kubernetes clusters through
//! sandboxed WebAssembly plugins. See DESIGN.md for the architecture; this crate is the host.
//!
//! Modules, one concern each: [`mcp`] (the rmcp server handler), [`plugins`] (loading,
//! digests, manifests, compile cache, per-call stores), [`wit`] (the contract's bindings,
//! every version), [`capabilities`] (`kube`, `process`, `progress`, `log`: one unit each),
//! [`gate`] (the one place that decides: grant, policy, RBAC, confirmation, audit),
//! [`policy`] (the pure rules), [`confirm`] (asking a person), [`rbac`]
//! (SelfSubjectAccessReview), [`redact`] (credentials never reach the model), [`audit`],
//! [`config`]. The library is `kap_host` so that the generated `kube_ai_proxy::plugin::…`
//! modules never clash with the crate's own name.

#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod audit;
pub mod bounds;
pub mod capabilities;
pub mod config;
pub mod confirm;
pub mod gate;
pub mod mcp;
pub mod plugins;
pub mod policy;
pub mod rbac;
pub mod redact;
pub mod services;
pub mod verb;
pub mod wit;

use std::sync::Arc;

use anyhow::Result;

use crate::audit::AuditLog;
use crate::capabilities::kube::KubeService;
use crate::config::{Config, Overrides};
use crate::plugins::PluginHost;
use crate::services::Services;

/// Loads the configuration, opens the audit log, connects to the cluster (a missing
/// kubeconfig is not fatal: tools then report it) and loads every plugin.
pub async fn start(over: &Overrides) -> Result<Arc<PluginHost>> {
    let config = Config::load(over)?;
    let audit = Arc::new(AuditLog::open(&config.audit_log)?);
    let kube = match KubeService::connect(&config.kube_settings()).await {
        Ok(k) => {
            tracing::info!(context = %k.context, namespace = %k.default_namespace, "kubernetes client ready");
            Ok(Arc::new(k))
        }
        Err(e) => {
            tracing::warn!(error = %format!("{e:#}"), "no Kubernetes connection; kube requests will fail");
            Err(format!("no Kubernetes connection: {e:#}"))
        }
    };
    let confirmer = confirm::Confirmer::new(config.confirm_timeout)?;
    let services = Arc::new(Services {
        config,
        audit,
        kube,
        confirmer,
    });
    Ok(Arc::new(PluginHost::load(services).await?))
}

/// Loads the configuration and every plugin without a cluster connection, for offline
/// commands (`policy check '<command>'`): capability calls fail, the audit log goes to
/// `audit_log` (a scratch file the caller removes).
pub async fn start_offline(
    over: &Overrides,
    audit_log: &std::path::Path,
) -> Result<Arc<PluginHost>> {
    let config = Config::load(over)?;
    let audit = Arc::new(AuditLog::open(audit_log)?);
    let confirmer = confirm::Confirmer::new(config.confirm_timeout)?;
    let services = Arc::new(Services {
        config,
        audit,
        kube: Err("offline: no cluster connection".into()),
        confirmer,
    });
    Ok(Arc::new(PluginHost::load(services).await?))
}
