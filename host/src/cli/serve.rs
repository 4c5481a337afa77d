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
    let server = Server::new(host);
    let session = server.session();
    let transport =
        kap_host::mcp::transport::GuardedTransport::new(tokio::io::stdin(), tokio::io::stdout())
            .cancel_on_eof(session.clone());
    let service = server.clone().serve(transport).await?;
    // SIGTERM / SIGINT end the session as a closed stdin does: running calls stop and are
    // audited as `cancelled` before the process exits.
    let stop = service.cancellation_token();
    tokio::spawn(async move {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(t) => t,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot watch SIGTERM");
                    return;
                }
            };
        tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
            _ = session.cancelled() => return,
        }
        tracing::info!("signal received: ending the session");
        session.cancel();
        stop.cancel();
    });
    let ended = service.waiting().await;
    // The session is over: rmcp has cancelled every running call; let each one write its
    // audit record (`cancelled`) before the process exits.
    if !server.drain(std::time::Duration::from_secs(5)).await {
        tracing::warn!("tool calls still running 5 s after the session ended");
    }
    ended?;
    Ok(())
}
