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
    ElicitationAction, GetPromptRequestParams, GetPromptResponse, Implementation,
    InputRequiredResult, ListPromptsResult, ListResourcesResult, ListToolsResult,
    PaginatedRequestParams, ProtocolVersion, ReadResourceRequestParams, ReadResourceResponse,
    ServerCapabilities, ServerConfig, Tool, ToolAnnotations,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData as McpError, RoleServer, ServerHandler};

use crate::audit::{Caller, ClientInfo, Record, redact_arguments};
use crate::confirm::{Channel, InputState, SealedState};
use crate::plugins::{CallOutcome, PluginHost};
use crate::wit::tools::ToolError;
use crate::wit::types::CallContext;

mod prompts;
mod resources;
pub mod transport;

/// What a tool call ends with.
#[derive(Debug)]
pub enum ToolAnswer {
    /// A normal result (success or `isError`).
    Result(CallToolResult),
    /// A request needs a person's yes and the client speaks protocol 2026-07-28: answer with
    /// an `InputRequiredResult` for request `digest`, showing `message`.
    InputRequired {
        /// The pending request's digest (lowercase hex SHA-256, see
        /// [`crate::capabilities::kube::preview::request_digest`]), sealed into the
        /// `requestState` as the request waiting for the answer.
        digest: String,
        /// The text shown to the person ([`crate::confirm::message`]): the request, why it
        /// needs a yes, and the server-side dry run.
        message: String,
    },
}

/// The MCP server handler. Cheap to clone.
#[derive(Clone)]
pub struct Server {
    host: Arc<PluginHost>,
    tools: Arc<Vec<Tool>>,
    instructions: Arc<String>,
    in_flight: tokio_util::task::TaskTracker,
    session: tokio_util::sync::CancellationToken,
}

/// The advice appended to a cut answer when the tool gives none of its own.
pub const GENERIC_TRUNCATION_HINT: &str = "narrow the request";

/// Cuts `text` to at most `max` characters, appending a note that says how much was cut and
/// how to narrow the request (`hint`, the tool's WIT `truncation-hint`, else
/// [`GENERIC_TRUNCATION_HINT`]). Cuts on a line boundary when one is near.
pub fn truncate_output(text: String, max: usize, hint: Option<&str>) -> String {
    let total = text.chars().count();
    truncate_counted(text, total, max, hint)
}

/// Bytes of a plugin's answer beyond the budget's worst case (`max` characters of 4 bytes)
/// that the redaction pass still reads, so that a credential cut by the budget's edge is
/// still recognised (a PEM block or a long token fits in it).
pub const REDACTION_MARGIN: usize = 64 * 1024;

/// The final pass over text a plugin answered: redacted ([`crate::redact::text`]), then
/// truncated to `max` characters as [`truncate_output`] does. The redaction reads at most
/// `4 * max + REDACTION_MARGIN` bytes of `text`, so its time is bounded by the answer
/// budget, not by what a plugin returned (a plugin may return up to its memory limit);
/// the truncation note still counts the characters of the whole answer.
pub fn redact_and_truncate(text: &str, max: usize, hint: Option<&str>) -> String {
    let total = text.chars().count();
    let limit = max.saturating_mul(4).saturating_add(REDACTION_MARGIN);
    let mut end = text.len().min(limit);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let redacted = crate::redact::text(&text[..end]).into_owned();
    if end < text.len() {
        // Cut before redaction: the rest is past the budget and is never shown.
        truncate_counted(redacted, total, max, hint)
    } else {
        truncate_output(redacted, max, hint)
    }
}

fn truncate_counted(text: String, total: usize, max: usize, hint: Option<&str>) -> String {
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
        "{cut}\n\n[output truncated: showing {shown} of {total} characters (K8S_MCP_MAX_OUTPUT={max}); {}]",
        hint.unwrap_or(GENERIC_TRUNCATION_HINT)
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
        let instructions = instructions(&host);
        Server {
            host,
            tools: Arc::new(tools),
            instructions: Arc::new(instructions),
            in_flight: tokio_util::task::TaskTracker::new(),
            session: tokio_util::sync::CancellationToken::new(),
        }
    }

    /// The session's token: cancelling it stops every running tool call (each records
    /// `cancelled`). `serve` cancels it when stdin ends or on SIGTERM/SIGINT.
    pub fn session(&self) -> tokio_util::sync::CancellationToken {
        self.session.clone()
    }

    /// Waits up to `grace` for the tool calls still running to finish and write their audit
    /// records. When the session ends, rmcp cancels every request's token, so each call
    /// stops and records `cancelled`; `serve` calls this before the process exits. Returns
    /// whether all of them finished in time.
    pub async fn drain(&self, grace: Duration) -> bool {
        self.in_flight.close();
        tokio::time::timeout(grace, self.in_flight.wait())
            .await
            .is_ok()
    }

    /// Runs one tool call: argument limits, dispatch, time limit, output budget, audit.
    /// `client` is the MCP client's `initialize` info, recorded in every audit record of the
    /// call; `channel` is how confirmations reach a person; `cancel` stops the call
    /// (`notifications/cancelled`, the end of the session). Returns `None` when no plugin
    /// serves `name`.
    #[allow(clippy::too_many_arguments)]
    pub async fn run_tool(
        &self,
        name: &str,
        arguments: serde_json::Map<String, serde_json::Value>,
        request_id: String,
        client: Option<ClientInfo>,
        channel: Arc<Channel>,
        progress: Option<crate::capabilities::progress::Sink>,
        cancel: tokio_util::sync::CancellationToken,
    ) -> Option<ToolAnswer> {
        let (plugin, tool_def) = self.host.find(name)?;
        let hint = tool_def.truncation_hint.as_deref();
        let services = self.host.services();
        let config = &services.config;
        let started = Instant::now();
        let caller = Caller {
            request_id: request_id.clone(),
            client: client.clone(),
            tool: name.to_string(),
            plugin: plugin.info.manifest.name.clone(),
            digest: plugin.info.digest.clone(),
        };
        // Nothing the model sent is parsed further before it passes the size limits.
        if let Err(e) = crate::bounds::check_arguments(&arguments, &crate::bounds::Limits::DEFAULT)
        {
            let mut rec = Record::tool_call(&caller, 0.0, "invalid-arguments");
            rec.arguments = Some(redact_arguments(&serde_json::Value::Object(arguments)));
            if let Err(e) = services.audit.write(&rec) {
                tracing::error!(error = %e, "audit record lost");
            }
            return Some(ToolAnswer::Result(CallToolResult::error(vec![
                Content::text(format!("Invalid arguments: {e}")),
            ])));
        }
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
            process: crate::capabilities::process::effective_for(&plugin.info).map(|e| e.to_wit()),
        };
        let args_value = serde_json::Value::Object(arguments);
        let audited_arguments = redact_arguments(&args_value);
        let args_json = args_value.to_string();
        let (outcome, plan) = self
            .host
            .call(
                plugin,
                caller.clone(),
                name,
                &args_json,
                ctx,
                timeout,
                channel.clone(),
                progress,
                cancel,
            )
            .await;
        let pending = match channel.as_ref() {
            Channel::InputRequired(st) => {
                st.lock().unwrap_or_else(|p| p.into_inner()).pending.take()
            }
            _ => None,
        };
        let (result, audit_outcome) = match outcome {
            // A request waits for a person: whatever the plugin made of the refusal is moot.
            _ if pending.is_some() => (CallToolResult::success(vec![]), "input-required".into()),
            CallOutcome::Denied { rule, reason } => (
                CallToolResult::error(vec![Content::text(format!(
                    "Denied by policy rule {rule}: {reason}"
                ))]),
                "denied".to_string(),
            ),
            CallOutcome::Returned(Ok(out)) => {
                // The final redaction pass (before truncation, which could cut a pattern):
                // whatever the plugin formatted itself.
                let text = redact_and_truncate(&out.text, config.max_output, hint);
                let mut r = if out.is_error {
                    CallToolResult::error(vec![Content::text(text)])
                } else {
                    CallToolResult::success(vec![Content::text(text)])
                };
                // The budget covers the whole answer: structured content is dropped when it
                // would not fit beside the text (the text says the same for the model).
                let text_chars = r
                    .content
                    .iter()
                    .filter_map(|c| c.as_text().map(|t| t.text.chars().count()))
                    .sum::<usize>();
                if let Some(s) = out.structured
                    && text_chars + s.chars().count() <= config.max_output
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
                (
                    CallToolResult::error(vec![Content::text(redact_and_truncate(
                        &text,
                        config.max_output,
                        hint,
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
            CallOutcome::Overloaded(text) => (
                CallToolResult::error(vec![Content::text(text)]),
                "overloaded".to_string(),
            ),
            CallOutcome::Cancelled => (
                CallToolResult::error(vec![Content::text(format!(
                    "Cancelled: the client cancelled the call to {name}; nothing was sent to the cluster after the cancellation"
                ))]),
                "cancelled".to_string(),
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
        rec.command = plan.map(|p| crate::redact::text(&p.command).into_owned());
        if let Err(e) = services.audit.write(&rec) {
            tracing::error!(error = %e, "audit record lost");
        }
        Some(match pending {
            Some((digest, message)) => ToolAnswer::InputRequired { digest, message },
            None => ToolAnswer::Result(result),
        })
    }

    /// Writes the `tool_call` record of a call refused before any plugin ran (`outcome`:
    /// `unknown-tool`, `not-confirmed`), its arguments redacted.
    fn audit_refused(
        &self,
        request_id: String,
        client: Option<ClientInfo>,
        tool: &str,
        args: serde_json::Map<String, serde_json::Value>,
        outcome: &str,
    ) {
        let caller = Caller {
            request_id,
            client,
            tool: tool.to_string(),
            ..Caller::default()
        };
        let mut rec = Record::tool_call(&caller, 0.0, outcome);
        rec.arguments = Some(redact_arguments(&serde_json::Value::Object(args)));
        if let Err(e) = self.host.services().audit.write(&rec) {
            tracing::error!(error = %e, "audit record lost");
        }
    }

    /// How this request can reach a person: input-required for protocol 2026-07-28 (with the
    /// approvals carried by a retry), elicitation for older clients that declared it, else
    /// none. Errors (a result for the model): a `requestState` that is forged, expired, used,
    /// or bound to another tool or other arguments, or a person who said no.
    fn channel(
        &self,
        request: &CallToolRequestParams,
        context: &RequestContext<RoleServer>,
    ) -> Result<Channel, String> {
        let services = self.host.services();
        let modern = context
            .protocol_version()
            .is_some_and(|v| v >= ProtocolVersion::V_2026_07_28);
        if modern {
            let mut state = InputState::default();
            if let Some(sealed) = &request.request_state {
                let binding = crate::confirm::call_binding(
                    &request.name,
                    &request.arguments.clone().unwrap_or_default(),
                );
                let opened: SealedState = services.confirmer.open(sealed, &binding).map_err(|e| {
                    format!("Not confirmed: the confirmation state is not valid for this call ({e}); the request was not sent. Call the tool again to be asked anew.")
                })?;
                let answer = request
                    .input_responses
                    .as_ref()
                    .and_then(|r| r.get(crate::confirm::CONFIRM_KEY))
                    .map(|v| {
                        let action = v
                            .get("action")
                            .cloned()
                            .and_then(|a| serde_json::from_value::<ElicitationAction>(a).ok())
                            .unwrap_or(ElicitationAction::Cancel);
                        crate::confirm::read_answer(&action, v.get("content"))
                    })
                    .unwrap_or(crate::confirm::Answer::Refused("cancelled"));
                if answer != crate::confirm::Answer::Accepted {
                    return Err(format!(
                        "Not confirmed: the person did not confirm the request ({}); it was not sent.",
                        answer.audit_name()
                    ));
                }
                state.approved = opened.approved;
                state.approved.push(opened.pending);
            }
            return Ok(Channel::InputRequired(std::sync::Mutex::new(state)));
        }
        let can_elicit = context
            .client_capabilities()
            .is_some_and(|c| c.elicitation.is_some());
        Ok(if can_elicit {
            Channel::Elicitation {
                peer: context.peer.clone(),
                timeout: services.confirmer.timeout,
            }
        } else {
            Channel::Unavailable(
                "the MCP client did not declare the elicitation capability, so no person can be asked".into(),
            )
        })
    }
}

/// The server instructions (`InitializeResult.instructions`): what the host is, then what
/// each plugin says about its tools (WIT `tools.instructions`), then the prompts and
/// resources. The host names no plugin itself.
pub fn instructions(host: &PluginHost) -> String {
    let mut s = String::from(
        "Operates a Kubernetes cluster through sandboxed plugins. Every request passes the operator's policy and Kubernetes RBAC.",
    );
    for p in host.plugins() {
        if let Some(i) = &p.instructions {
            s.push(' ');
            s.push_str(i.trim());
        }
    }
    let prompts: Vec<&str> = host.prompts().map(|(_, p)| p.name.as_str()).collect();
    if !prompts.is_empty() {
        s.push_str(&format!(
            " Prompts guide common workflows ({}).",
            prompts.join(", ")
        ));
    }
    s.push_str(
        " Resources k8s://context, k8s://namespaces and k8s://cluster-info give names and status.",
    );
    s
}

impl ServerHandler for Server {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_prompts()
                .enable_resources()
                .enable_tools()
                .build(),
        )
        .with_server_info(Implementation::new(
            "kube-ai-proxy",
            env!("CARGO_PKG_VERSION"),
        ))
        .with_instructions(self.instructions.as_ref().clone())
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

    async fn list_prompts(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, McpError> {
        Ok(ListPromptsResult {
            prompts: prompts::list(&self.host),
            ..Default::default()
        })
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, McpError> {
        prompts::get(&self.host, &request.name, request.arguments.as_ref())
            .await
            .map(Into::into)
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, McpError> {
        Ok(ListResourcesResult {
            resources: resources::list(),
            ..Default::default()
        })
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, McpError> {
        let request_id = match &context.id {
            rmcp::model::NumberOrString::Number(n) => n.to_string(),
            rmcp::model::NumberOrString::String(s) => s.to_string(),
        };
        let client = context.client_info().map(|info| ClientInfo {
            name: info.name.clone(),
            version: info.version.clone(),
        });
        resources::read(self.host.services(), &request.uri, request_id, client)
            .await
            .map(Into::into)
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
        let args = request.arguments.clone().unwrap_or_default();
        let client = context.client_info().map(|info| ClientInfo {
            name: info.name.clone(),
            version: info.version.clone(),
        });
        if self.host.find(&name).is_none() {
            // Audited too: every call gets a record, the ones no plugin serves included.
            self.audit_refused(request_id, client, &name, args, "unknown-tool");
            return Err(McpError::invalid_params(
                format!("unknown tool: {name}"),
                None,
            ));
        }
        let channel = match self.channel(&request, &context) {
            Ok(c) => Arc::new(c),
            Err(text) => {
                self.audit_refused(request_id, client, &name, args, "not-confirmed");
                return Ok(CallToolResult::error(vec![Content::text(text)]).into());
            }
        };
        let binding = crate::confirm::call_binding(&name, &args);
        let approved = match channel.as_ref() {
            Channel::InputRequired(st) => st
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .approved
                .clone(),
            _ => Vec::new(),
        };
        let progress = context
            .meta
            .get_progress_token()
            .map(|token| crate::capabilities::progress::Sink::new(context.peer.clone(), token));
        // The call stops when the client cancels it or the session ends, whichever is first.
        let cancel = self.session.child_token();
        let (request_ct, call_ct) = (context.ct.clone(), cancel.clone());
        let _link = tokio::spawn(async move {
            tokio::select! {
                _ = request_ct.cancelled() => call_ct.cancel(),
                _ = call_ct.cancelled() => {}
            }
        });
        let _end = cancel.clone().drop_guard();
        let answer = self.in_flight.track_future(
            self.run_tool(&name, args, request_id, client, channel, progress, cancel),
        );
        match answer.await {
            Some(ToolAnswer::Result(r)) => Ok(r.into()),
            Some(ToolAnswer::InputRequired { digest, message }) => {
                let state = SealedState {
                    nonce: crate::confirm::nonce(),
                    pending: digest,
                    approved,
                };
                let sealed = self
                    .host
                    .services()
                    .confirmer
                    .seal(&state, &binding)
                    .map_err(|e| McpError::internal_error(e.to_string(), None))?;
                Ok(InputRequiredResult::new(
                    Some(crate::confirm::input_requests(&message)),
                    Some(sealed),
                )
                .into())
            }
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
        assert_eq!(truncate_output("short".into(), 10, None), "short");
        let long: String = (0..100).map(|i| format!("line {i}\n")).collect();
        let out = truncate_output(long.clone(), 50, Some("use -l"));
        let (shown, note) = out.split_once("\n\n[output truncated").unwrap();
        assert!(shown.chars().count() <= 50);
        assert!(long.starts_with(shown));
        assert!(note.contains(&format!("of {} characters", long.chars().count())));
        assert!(note.ends_with("; use -l]"), "{note}");
        let generic = truncate_output(long.clone(), 50, None);
        assert!(
            generic.ends_with(&format!("; {GENERIC_TRUNCATION_HINT}]")),
            "{generic}"
        );
        // Multi-byte characters are counted as characters, not bytes.
        let wide = "é".repeat(20);
        let out = truncate_output(wide, 5, None);
        assert!(out.starts_with("ééééé\n"));
    }

    #[test]
    fn redaction_reads_a_bounded_prefix_and_counts_the_whole_answer() {
        // A credential inside the budget is redacted.
        let secret = "password: hunter2-canary-value\n";
        let out = redact_and_truncate(secret, 1000, None);
        assert!(!out.contains("hunter2-canary-value"), "{out}");
        // A 20 MB answer with a budget of 100 characters: the pass reads at most
        // 4*100 + REDACTION_MARGIN bytes, the note counts all 20,000,000 characters.
        let huge = format!("{secret}{}", "x".repeat(20_000_000));
        let out = redact_and_truncate(&huge, 100, None);
        assert!(!out.contains("hunter2-canary-value"), "{out}");
        assert!(
            out.contains(&format!("of {} characters", huge.chars().count())),
            "{out}"
        );
        let (shown, _) = out.split_once("\n\n[output truncated").unwrap();
        assert!(shown.chars().count() <= 100);
        // A cut inside a multi-byte character lands on a boundary.
        let wide = "é".repeat(REDACTION_MARGIN);
        let out = redact_and_truncate(&wide, 10, None);
        assert!(out.starts_with(&"é".repeat(10)), "{out}");
    }
}
