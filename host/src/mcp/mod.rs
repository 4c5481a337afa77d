//! The MCP server (rmcp): `tools/list` from every loaded plugin, `tools/call` dispatched to
//! the owning plugin, answers cut to the output budget, every call audited.
//!
//! Follows the MCP spec's "Tools" section: unknown tools are protocol errors (`-32602`);
//! failures while running a tool (bad arguments, denials, timeouts) are results with
//! `isError: true` so the model can read them.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock as Content,
    Implementation, ListToolsResult, PaginatedRequestParams, ServerCapabilities, ServerConfig,
    Tool, ToolAnnotations,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData as McpError, RoleServer, ServerHandler};

use crate::audit::{Caller, ClientInfo, Record, redact_arguments};
use crate::plugins::bindings::tools::ToolError;
use crate::plugins::bindings::types::CallContext;
use crate::plugins::{CallOutcome, PluginHost};

/// The MCP server handler. Cheap to clone.
#[derive(Clone)]
pub struct Server {
    host: Arc<PluginHost>,
    tools: Arc<Vec<Tool>>,
}

/// Cuts `text` to at most `max` characters, appending a note that says how much was cut and
/// how to narrow the request. Cuts on a line boundary when one is near.
pub fn truncate_output(text: String, max: usize) -> String {
    let total = text.chars().count();
    if total <= max {
        return text;
    }
    let byte_end = text
        .char_indices()
        .nth(max)
        .map(|(i, _)| i)
        .unwrap_or(text.len());
    let mut cut = &text[..byte_end];
    if let Some(nl) = cut.rfind('\n')
        && nl > byte_end / 2
    {
        cut = &cut[..nl];
    }
    let shown = cut.chars().count();
    format!(
        "{cut}\n\n[output truncated: showing {shown} of {total} characters (K8S_MCP_MAX_OUTPUT={max}); narrow the request, e.g. with -n, -l, --field-selector, --tail or -o name]"
    )
}

fn to_mcp_tool(t: &crate::plugins::ToolDef) -> Tool {
    let mut tool = Tool::new(
        t.name.clone(),
        t.description.clone(),
        Arc::new(t.input_schema.clone()),
    );
    if let Some(title) = &t.title {
        tool = tool.with_title(title.clone());
    }
    let mut ann = ToolAnnotations::new()
        .read_only(t.annotations.read_only)
        .destructive(t.annotations.destructive)
        .idempotent(t.annotations.idempotent);
    ann.open_world_hint = Some(t.annotations.open_world);
    tool.with_annotations(ann)
}

impl Server {
    /// A handler serving every tool of `host`.
    pub fn new(host: Arc<PluginHost>) -> Server {
        let tools = host.tools().map(|(_, t)| to_mcp_tool(t)).collect();
        Server {
            host,
            tools: Arc::new(tools),
        }
    }

    /// Runs one tool call: dispatch, time limit, output budget, audit. `client` is the MCP
    /// client's `initialize` info, recorded in every audit record of the call. Returns `None`
    /// when no plugin serves `name`.
    pub async fn run_tool(
        &self,
        name: &str,
        arguments: serde_json::Map<String, serde_json::Value>,
        request_id: String,
        client: Option<ClientInfo>,
    ) -> Option<CallToolResult> {
        let (plugin, _) = self.host.find(name)?;
        let services = self.host.services();
        let config = &services.config;
        let started = Instant::now();
        // A per-call `timeout` argument (seconds) may shorten, never extend, K8S_MCP_TIMEOUT.
        let timeout = arguments
            .get("timeout")
            .and_then(|v| v.as_f64())
            .filter(|t| *t > 0.0)
            .map(|t| Duration::from_secs_f64(t.min(config.timeout.as_secs_f64())))
            .unwrap_or(config.timeout);
        let (kube_context, default_namespace) = match &services.kube {
            Ok(k) => (k.context.clone(), k.default_namespace.clone()),
            Err(_) => (
                String::new(),
                config.namespace.clone().unwrap_or_else(|| "default".into()),
            ),
        };
        let ctx = CallContext {
            request_id: request_id.clone(),
            kube_context,
            default_namespace,
            timeout_ms: timeout.as_millis() as u64,
            max_output_chars: config.max_output as u64,
        };
        let caller = Caller {
            request_id,
            client,
            tool: name.to_string(),
            plugin: plugin.info.manifest.name.clone(),
            digest: plugin.info.digest.clone(),
        };
        let args_value = serde_json::Value::Object(arguments);
        let audited_arguments = redact_arguments(&args_value);
        let args_json = args_value.to_string();
        let outcome = self
            .host
            .call(plugin, caller.clone(), name, &args_json, ctx, timeout)
            .await;
        let (result, audit_outcome) = match outcome {
            CallOutcome::Returned(Ok(out)) => {
                // The final redaction pass (before truncation, which could cut a pattern):
                // whatever the plugin formatted itself.
                let text = crate::redact::text(&out.text).into_owned();
                let text = truncate_output(text, config.max_output);
                let mut r = if out.is_error {
                    CallToolResult::error(vec![Content::text(text)])
                } else {
                    CallToolResult::success(vec![Content::text(text)])
                };
                if let Some(s) = out.structured
                    && s.len() <= config.max_output
                    && let Ok(mut v @ serde_json::Value::Object(_)) =
                        serde_json::from_str::<serde_json::Value>(&s)
                {
                    crate::redact::json_value(&mut v, false);
                    r.structured_content = Some(v);
                }
                (
                    r,
                    if out.is_error { "tool-error" } else { "ok" }.to_string(),
                )
            }
            CallOutcome::Returned(Err(e)) => {
                let (text, outcome) = match e {
                    ToolError::InvalidArguments(m) => {
                        (format!("Invalid arguments: {m}"), "invalid-arguments")
                    }
                    ToolError::UnknownTool(m) => (format!("Unknown tool: {m}"), "unknown-tool"),
                    ToolError::Failed(m) => (format!("Error: {m}"), "failed"),
                };
                let text = crate::redact::text(&text).into_owned();
                (
                    CallToolResult::error(vec![Content::text(truncate_output(
                        text,
                        config.max_output,
                    ))]),
                    outcome.to_string(),
                )
            }
            CallOutcome::Timeout(t) => (
                CallToolResult::error(vec![Content::text(format!(
                    "Timeout: the call to {name} did not finish within {:.0} s and was stopped (K8S_MCP_TIMEOUT or the timeout argument)",
                    t.as_secs_f64()
                ))]),
                "timeout".to_string(),
            ),
            CallOutcome::OutOfMemory(limit) => (
                CallToolResult::error(vec![Content::text(format!(
                    "Out of memory: plugin {} exceeded its memory limit of {} MiB and was stopped",
                    plugin.info.manifest.name,
                    limit >> 20
                ))]),
                "out-of-memory".to_string(),
            ),
            CallOutcome::Trap(msg) => {
                tracing::warn!(plugin = %plugin.info.manifest.name, tool = name, error = %msg, "plugin trapped");
                (
                    CallToolResult::error(vec![Content::text(format!(
                        "Plugin error: plugin {} failed while running {name} (a trap); the server is unaffected",
                        plugin.info.manifest.name
                    ))]),
                    "trap".to_string(),
                )
            }
        };
        let mut rec = Record::tool_call(
            &caller,
            started.elapsed().as_secs_f64() * 1000.0,
            audit_outcome,
        );
        rec.arguments = Some(audited_arguments);
        if let Err(e) = services.audit.write(&rec) {
            tracing::error!(error = %e, "audit record lost");
        }
        Some(result)
    }
}

impl ServerHandler for Server {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("kube-ai-proxy", env!("CARGO_PKG_VERSION")))
            .with_instructions(
                "Operates a Kubernetes cluster through sandboxed plugins. Use execute_kubectl with a kubectl \
                 command line (no shell: pipes and redirections are refused); describe_kubectl explains the \
                 supported subcommands. Every request passes the operator's policy and Kubernetes RBAC.",
            )
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        Ok(ListToolsResult {
            tools: self.tools.as_ref().clone(),
            ..Default::default()
        })
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        self.tools.iter().find(|t| t.name == name).cloned()
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let request_id = match &context.id {
            rmcp::model::NumberOrString::Number(n) => n.to_string(),
            rmcp::model::NumberOrString::String(s) => s.to_string(),
        };
        let name: Cow<'static, str> = request.name.clone();
        let args = request.arguments.unwrap_or_default();
        let client = context.peer.peer_info().map(|info| ClientInfo {
            name: info.client_info.name.clone(),
            version: info.client_info.version.clone(),
        });
        match self.run_tool(&name, args, request_id, client).await {
            Some(r) => Ok(r.into()),
            None => Err(McpError::invalid_params(
                format!("unknown tool: {name}"),
                None,
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_keeps_budget_and_says_so() {
        assert_eq!(truncate_output("short".into(), 10), "short");
        let long: String = (0..100).map(|i| format!("line {i}\n")).collect();
        let out = truncate_output(long.clone(), 50);
        let (shown, note) = out.split_once("\n\n[output truncated").unwrap();
        assert!(shown.chars().count() <= 50);
        assert!(long.starts_with(shown));
        assert!(note.contains(&format!("of {} characters", long.chars().count())));
        // Multi-byte characters are counted as characters, not bytes.
        let wide = "é".repeat(20);
        let out = truncate_output(wide, 5);
        assert!(out.starts_with("ééééé\n"));
    }
}
