//! The istio tool family of kube-ai-proxy: `istioctl analyze`, `x describe`, `version` and
//! `validate`, computed natively from the Kubernetes API. No istioctl binary runs and nothing
//! reaches istiod or an Envoy admin port; the plugin reads Istio's resources and the
//! Services, Pods, Namespaces and Deployments they refer to through the host's `kube`
//! capability (grant, policy, RBAC, audit), and never reads Secrets.
//!
//! * [`cli`]: istioctl's grammar (the SDK's cobra parser), refused flags and subcommands;
//! * [`snapshot`]: the reads, with the per-namespace fallback and the record of what could
//!   not be read;
//! * [`analyze`]: Istio's analyzers, with Istio's codes and message templates ([`msg`]);
//! * [`describe`], [`commands`]: `x describe`, `version`, `validate`.

pub mod analyze;
pub mod cli;
pub mod commands;
pub mod describe;
pub mod model;
pub mod msg;
pub mod snapshot;

use kap_sdk::api::{Ctx, Failure};
use kap_sdk::serde_json::{Value, json};
use kap_sdk::{Annotations, Api, CallContext, CallPlan, Plugin, Tool, ToolError, ToolOutput};

/// The server instructions this plugin adds.
pub const INSTRUCTIONS: &str = "Use execute_istioctl for Istio diagnostics: `analyze -A` (Istio's IST0xxx findings, computed from the Kubernetes API), `x describe pod|service NAME -n NS`, `version`, `validate -f -` with YAML in `manifest`. Istio resources (VirtualService, DestinationRule, ...) are read and written with execute_kubectl (get, describe, apply). proxy-status and proxy-config are not available.";

/// The istio plugin.
pub struct Istio;

fn schema_execute() -> Value {
    json!({
        "type": "object",
        "properties": {
            "command": {"type": "string", "description": "The istioctl command line, with or without the leading `istioctl`, e.g. `analyze -A`, `analyze -n shop -o json`, `x describe pod web-1 -n shop`, `version`, `validate -f -`."},
            "manifest": {"type": "string", "description": "YAML objects for `validate -f -`."}
        },
        "required": ["command"]
    })
}

fn schema_describe() -> Value {
    json!({
        "type": "object",
        "properties": {
            "command": {"type": "string", "description": "An istioctl subcommand such as `analyze` or `x`; empty for the overview."}
        }
    })
}

/// Runs one parsed command.
pub fn run(
    api: &mut dyn Api,
    cmd: &cli::Command,
    ctx: &Ctx,
) -> Result<kap_sdk::api::Outcome, Failure> {
    match cmd.sub() {
        "analyze" => commands::analyze(api, cmd, ctx),
        "x" => describe::describe(api, cmd, ctx),
        "version" => commands::version(api, cmd),
        "validate" => commands::validate(api, cmd, ctx),
        other => Err(Failure::Usage(format!("unsupported command {other:?}"))),
    }
}

impl Plugin for Istio {
    fn tools() -> Vec<Tool> {
        vec![
            Tool {
                name: "execute_istioctl".into(),
                title: Some("Execute istioctl".into()),
                description: "Run an istioctl command: analyze [-n NS | -A] [-o log|json|yaml] [--output-threshold L] [--failure-threshold L] [-S CODE=RESOURCE] (Istio's configuration analysis: IST0101 ReferencedResourceNotFound, IST0102, IST0103, IST0106-IST0112, IST0116, IST0118, IST0123, IST0128, IST0130-IST0132, IST0134, IST0145, IST0162 with Istio's wording); x describe pod|service NAME (the Istio configuration that applies to it); version; validate -f - (objects in `manifest`, checked by the API server as a dry run and by the analyzers). Computed from the Kubernetes API: no istioctl binary, no istiod or Envoy access, so proxy-status and proxy-config are refused. Read-only: write mesh configuration with execute_kubectl apply. The leading `istioctl` is optional; no shell.".into(),
                input_schema: schema_execute().to_string(),
                annotations: Annotations {
                    read_only: true,
                    destructive: false,
                    idempotent: true,
                    open_world: false,
                },
                truncation_hint: Some("narrow the analysis, e.g. -n NAMESPACE or --output-threshold Warning".into()),
            },
            Tool {
                name: "describe_istioctl".into(),
                title: Some("istioctl help".into()),
                description: "Help for istioctl as this server runs it: the supported commands, or for one command its usage and flags, and what is refused.".into(),
                input_schema: schema_describe().to_string(),
                annotations: Annotations {
                    read_only: true,
                    destructive: false,
                    idempotent: true,
                    open_world: false,
                },
                truncation_hint: Some("ask for one command, e.g. `analyze`".into()),
            },
        ]
    }

    fn call_tool(
        name: &str,
        args: &Value,
        ctx: &CallContext,
        api: &mut dyn Api,
    ) -> Result<ToolOutput, ToolError> {
        match name {
            "describe_istioctl" => {
                let topic = args.get("command").and_then(Value::as_str).unwrap_or("");
                Ok(ToolOutput::text(cli::help(topic)))
            }
            "execute_istioctl" => {
                let cmd = cli::parse(&kap_sdk::command_words(args, "istioctl")?)
                    .map_err(ToolError::InvalidArguments)?;
                let manifest = args
                    .get("manifest")
                    .and_then(Value::as_str)
                    .map(str::to_string);
                if manifest.is_some() && cmd.sub() != "validate" {
                    return Err(ToolError::InvalidArguments(format!(
                        "`manifest` applies to `validate -f -`, not istioctl {}",
                        cmd.sub()
                    )));
                }
                let mut c = Ctx::from_call(ctx);
                c.manifest = manifest;
                match run(api, &cmd, &c) {
                    Ok(o) => Ok(o.into()),
                    Err(Failure::Usage(m)) => Err(ToolError::InvalidArguments(m)),
                    Err(f) => Ok(ToolOutput::from_result(Err(f))),
                }
            }
            other => Err(ToolError::UnknownTool(other.into())),
        }
    }

    fn plan_call(
        name: &str,
        args: &Value,
        ctx: &CallContext,
    ) -> Result<Option<CallPlan>, ToolError> {
        match name {
            "describe_istioctl" => Ok(None),
            "execute_istioctl" => {
                let cmd = cli::parse(&kap_sdk::command_words(args, "istioctl")?)
                    .map_err(ToolError::InvalidArguments)?;
                Ok(Some(CallPlan {
                    family: "istio".into(),
                    command: cmd.normalized(&ctx.default_namespace),
                    requests: Vec::new(),
                    facts: Vec::new(),
                }))
            }
            other => Err(ToolError::UnknownTool(other.into())),
        }
    }

    fn instructions() -> Option<String> {
        Some(INSTRUCTIONS.into())
    }
}

kap_sdk::export_plugin!(Istio, "../plugin.toml");

#[cfg(test)]
mod tests {
    use super::*;
    use kap_sdk::testing::{FakeApi, ok_json};
    use kap_sdk::{Denial, KubeError, Request};

    fn ctx() -> CallContext {
        CallContext {
            request_id: "1".into(),
            kube_context: "kind-test".into(),
            default_namespace: "shop".into(),
            timeout_ms: 30_000,
            max_output_chars: 100_000,
            process: None,
        }
    }

    /// A cluster with one broken VirtualService in `shop`, and `hidden` refused by policy.
    fn cluster() -> FakeApi {
        let mut api = FakeApi::new();
        api.handler = Box::new(|r: &Request| {
            let ns = r.namespace.as_deref();
            let denied = || {
                Err(KubeError::Denied(Denial {
                    rule: "no-hidden".into(),
                    reason: format!("list {} in namespace \"hidden\": denied", r.resource),
                }))
            };
            match (r.resource.as_str(), ns, r.name.as_deref()) {
                ("namespaces", None, None) => ok_json(json!({"items": [
                    {"metadata": {"name": "shop", "labels": {"istio-injection": "enabled"}}},
                    {"metadata": {"name": "hidden"}}]})),
                ("namespaces", None, Some("shop")) => {
                    ok_json(json!({"metadata": {"name": "shop"}}))
                }
                (_, Some("hidden"), _) => denied(),
                ("virtualservices", None, None) => denied(),
                ("virtualservices", Some("shop"), None) => ok_json(json!({"items": [
                    {"metadata": {"namespace": "shop", "name": "web"}, "spec": {"hosts": ["web"],
                     "http": [{"route": [{"destination": {"host": "web", "subset": "v2"}}]}]}}]})),
                ("services", None, None) => ok_json(json!({"items": [
                    {"metadata": {"namespace": "shop", "name": "web"}, "spec": {"selector": {"app": "web"},
                     "ports": [{"name": "http", "port": 80, "protocol": "TCP"}]}}]})),
                (_, None, None) => ok_json(json!({"items": []})),
                _ => panic!("unexpected {r:?}"),
            }
        });
        api
    }

    #[test]
    fn analyze_reports_findings_and_what_it_could_not_read() {
        let mut api = cluster();
        let out = Istio::call_tool(
            "execute_istioctl",
            &json!({"command": "analyze -A"}),
            &ctx(),
            &mut api,
        )
        .unwrap();
        assert!(out.text.contains("Error [IST0101] (VirtualService shop/web) Referenced host+subset in destinationrule not found: \"web+v2\""), "{}", out.text);
        assert!(out.text.contains("Not analyzed"), "{}", out.text);
        assert!(out.text.contains("virtualservices.networking.istio.io in namespace hidden: Denied by policy (rule no-hidden)"), "{}", out.text);
        assert!(!out.text.contains("No validation issues"));
        assert!(out.is_error);
        let s: Value = kap_sdk::serde_json::from_str(out.structured.as_deref().unwrap()).unwrap();
        assert_eq!(s["complete"], false);
        assert_eq!(s["messages"][0]["code"], "IST0101");
    }

    #[test]
    fn a_clean_namespace_says_so_and_a_threshold_keeps_info_out() {
        let mut api = cluster();
        let out = Istio::call_tool("execute_istioctl", &json!({"command": "analyze -n shop --output-threshold Error -S IST0101=VirtualService*"}), &ctx(), &mut api).unwrap();
        // `hidden` is out of scope: only shop's reads count.
        assert!(
            out.text
                .contains("No validation issues found when analyzing namespace: shop."),
            "{}",
            out.text
        );
        assert!(!out.is_error, "{}", out.text);
    }

    #[test]
    fn refused_commands_are_invalid_arguments() {
        let mut api = FakeApi::new();
        let e = Istio::call_tool(
            "execute_istioctl",
            &json!({"command": "proxy-config cluster x"}),
            &ctx(),
            &mut api,
        )
        .unwrap_err();
        assert!(matches!(e, ToolError::InvalidArguments(m) if m.contains("admin port")));
        assert!(api.requests.is_empty());
        let e = Istio::call_tool(
            "execute_istioctl",
            &json!({"command": "analyze; rm -rf /"}),
            &ctx(),
            &mut api,
        )
        .unwrap_err();
        assert!(matches!(e, ToolError::InvalidArguments(_)));
    }
}
