//! The kubectl tool family of kube-ai-proxy: kubectl command lines translated to structured
//! Kubernetes API requests, run through the host's `kube` capability. No kubectl binary and no
//! shell are involved.
//!
//! Layout:
//! * [`shell`] splits the command line with POSIX quoting and refuses shell constructs;
//! * [`filters`] runs the safe output filters after `|` (grep, head, tail, wc -l, sort, uniq,
//!   jq) instead of a shell pipeline;
//! * [`cli`] parses kubectl's flags and refuses server/credential/identity flags;
//! * [`targets`] reads `TYPE NAME` / `TYPE/NAME` arguments and checks names;
//! * [`commands`] runs each subcommand against an [`api::Api`];
//! * [`table`], [`tabwriter`], [`describe`], [`time`], [`quantity`] print like kubectl;
//! * [`plan`] describes a call before it runs (`plan-call`): its normalized command line and
//!   the requests it is expected to make;
//! * [`tool`] defines the MCP tools; this file binds them to the WIT world.

wit_bindgen::generate!({ world: "plugin", path: "../../wit" });

pub mod api;
pub mod cli;
pub mod commands;
pub mod describe;
pub mod filters;
pub mod help;
pub mod plan;
pub mod quantity;
pub mod shell;
pub mod table;
pub mod tabwriter;
pub mod targets;
pub mod time;
pub mod tool;
pub mod troubleshoot;

use exports::kube_ai_proxy::plugin::tools::{
    Annotations, CallPlan, Guest, PlannedRequest, Tool, ToolError, ToolOutput,
};
use kube_ai_proxy::plugin::kube::{
    self, AccessReview, KubeError, Request, ResourceInfo, Response, Verb,
};
use kube_ai_proxy::plugin::types::CallContext;

#[used]
#[unsafe(link_section = "kube-ai-proxy:manifest")]
static MANIFEST: [u8; include_bytes!("../plugin.toml").len()] = *include_bytes!("../plugin.toml");

/// The host's `kube` capability as an [`api::Api`].
struct Host;

impl api::Api for Host {
    fn send(&mut self, req: &Request) -> Result<Response, KubeError> {
        kube::send(req)
    }

    fn resolve(&mut self, name: &str) -> Result<ResourceInfo, KubeError> {
        kube::resolve(name)
    }

    fn api_resources(&mut self) -> Result<Vec<ResourceInfo>, KubeError> {
        kube::api_resources()
    }

    fn server_version(&mut self) -> Result<String, KubeError> {
        kube::server_version()
    }

    fn openapi_schema(&mut self, group: &str, version: &str) -> Result<String, KubeError> {
        kube::openapi_schema(group, version)
    }

    fn can_i(
        &mut self,
        verb: Verb,
        group: &str,
        resource: &str,
        subresource: Option<&str>,
        namespace: Option<&str>,
        name: Option<&str>,
    ) -> Result<AccessReview, KubeError> {
        kube::can_i(verb, group, resource, subresource, namespace, name)
    }

    fn now(&self) -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
            .unwrap_or(0)
    }
}

#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
struct Plugin;

impl Guest for Plugin {
    fn list_tools() -> Vec<Tool> {
        tool::tools()
            .into_iter()
            .map(|t| Tool {
                name: t.name.into(),
                title: Some(t.title.into()),
                description: t.description.into(),
                input_schema: t.input_schema.to_string(),
                annotations: Annotations {
                    read_only: t.read_only,
                    destructive: t.destructive,
                    idempotent: t.idempotent,
                    open_world: t.open_world,
                },
            })
            .collect()
    }

    fn plan_call(
        name: String,
        arguments: String,
        ctx: CallContext,
    ) -> Result<Option<CallPlan>, ToolError> {
        match plan::plan(&name, &arguments, &ctx.default_namespace) {
            Ok(p) => Ok(p.map(|p| CallPlan {
                family: p.family,
                command: p.command,
                requests: p
                    .requests
                    .into_iter()
                    .map(|r| PlannedRequest {
                        verb: r.verb,
                        group: r.group,
                        resource: r.resource,
                        subresource: r.subresource,
                        namespace: r.namespace,
                        name: r.name,
                    })
                    .collect(),
            })),
            Err(tool::CallError::InvalidArguments(m)) => Err(ToolError::InvalidArguments(m)),
            Err(tool::CallError::UnknownTool(m)) => Err(ToolError::UnknownTool(m)),
        }
    }

    fn call_tool(
        name: String,
        arguments: String,
        ctx: CallContext,
    ) -> Result<ToolOutput, ToolError> {
        let ctx = api::Ctx {
            default_namespace: ctx.default_namespace,
            kube_context: ctx.kube_context,
            manifest: None,
            max_output_chars: ctx.max_output_chars,
            filtered: false,
        };
        match tool::call(&name, &arguments, ctx, &mut Host) {
            Ok(o) => Ok(ToolOutput {
                text: o.text,
                structured: o.structured.map(|v| v.to_string()),
                is_error: o.is_error,
            }),
            Err(tool::CallError::InvalidArguments(m)) => Err(ToolError::InvalidArguments(m)),
            Err(tool::CallError::UnknownTool(m)) => Err(ToolError::UnknownTool(m)),
        }
    }
}

// Exported only in the component: on a native target (unit tests) the export symbols, whose
// names contain `:` and `@`, cannot be linked into the cdylib, and nothing would call them.
#[cfg(target_arch = "wasm32")]
export!(Plugin);
