//! `kube-ai-proxy serve`: MCP over stdio.

use kap_host::mcp::Server;
use rmcp::ServiceExt;

use super::Common;

/// Starts the host with the configuration `common` points at and serves MCP over stdio
/// until the client goes away.
///
/// Errors: the configuration or a plugin does not load, or the transport fails.
pub async fn serve(common: Common) -> anyhow::Result<()> {
    let host = kap_host::start(&common.into()).await?;
    let policy = &host.services().config.policy;
    tracing::info!(mode = policy.mode.as_str(), file = ?policy.source, rules = policy.rules.len(), "policy loaded");
    if !policy.commands.is_empty() && policy.mode == kap_host::policy::Mode::Permissive {
        tracing::warn!(
            "the policy's command-string rules (dangerous_commands, regex_rules) are not enforced in permissive mode, as in the seed server"
        );
    }
    let names: Vec<String> = host.tools().map(|(_, t)| t.name.clone()).collect();
    tracing::info!(tools = ?names, audit = %host.services().audit.path().display(), "serving MCP over stdio");
    let service = Server::new(host).serve(rmcp::transport::stdio()).await?;
    service.waiting().await?;
    Ok(())
}
