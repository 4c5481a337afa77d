//! The kubectl tool family of kube-ai-proxy: kubectl command lines translated to structured
//! Kubernetes API requests, run through the host's `kube` capability. No kubectl binary and no
//! shell are involved.
//!
//! Built on the plugin SDK ([`kap_sdk`]), which holds the WIT bindings, the kube seam
//! ([`kap_sdk::api`]), the shell-free tokenizer and output filters, the pflag parser, the
//! call-plan builder and the built-in kinds table ([`kap_sdk::plan`], [`kap_sdk::kinds`]) and
//! the kubectl-style printers. This crate holds what is kubectl's own:
//!
//! * [`registry`] has one entry per subcommand this plugin runs (name, flags, help, plan,
//!   run), which everything below reads; [`catalog`] lists the ones it does not run;
//! * [`flags`] defines every flag; [`cli`] is kubectl's grammar: each flag given to the
//!   subcommands that take it, and the flags the operator fixes;
//! * [`pipe`] adds `-o json` to a command whose output jq reads;
//! * [`targets`] reads `TYPE NAME` / `TYPE/NAME` arguments and checks names;
//! * [`commands`] runs each subcommand against a [`kap_sdk::Api`];
//! * [`describe`] prints like `kubectl describe`;
//! * [`help`] answers `describe_kubectl`, `kubectl help` and `--help`;
//! * [`plan`] describes a call before it runs (`plan-call`): its normalized command line, the
//!   requests it is expected to make and its facts (`rollout-undo`);
//! * [`troubleshoot`] runs `k8s_troubleshoot`;
//! * [`prompts`] holds the MCP prompts;
//! * [`tool`] defines the MCP tools ([`error`] says why a call could not run); this file binds
//!   them to the SDK's [`Plugin`] trait.
//!
//! The modules form layers with no cycles: the tools, the dispatcher ([`commands::run`]),
//! the planner ([`plan::plan`]), the grammar ([`cli`]) and the help use the [`registry`]; the
//! registry uses the command modules and the plan [`plan::builder`]; those use the leaves
//! ([`commands::common`], [`flags`], [`targets`], [`catalog`], [`error`]).

pub mod catalog;
pub mod cli;
pub mod commands;
pub mod describe;
pub mod error;
pub mod flags;
pub mod help;
pub mod pipe;
pub mod plan;
pub mod prompts;
pub mod registry;
pub mod targets;
pub mod tool;
pub mod troubleshoot;

use kap_sdk::serde_json::Value;
use kap_sdk::{
    Annotations, Api, CallContext, CallPlan, Plugin, Prompt, PromptArgument, PromptError,
    PromptMessage, PromptResult, Role, Tool, ToolError, ToolOutput,
};

/// The server instructions this plugin adds (`tools.instructions`).
pub const INSTRUCTIONS: &str = "Use execute_kubectl with a kubectl command line (no shell; after `|` only grep, head, tail, wc -l, sort, uniq and jq); describe_kubectl explains the supported subcommands. k8s_troubleshoot finds why something in a namespace is broken.";

/// The kubectl plugin.
pub struct Kubectl;

impl Plugin for Kubectl {
    /// The tools of [`tool::tools`] (their schemas are built in code; the manifest's
    /// `[[tools]]` name the same tools for reviewers).
    fn tools() -> Vec<Tool> {
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
                truncation_hint: t.truncation_hint.map(str::to_string),
            })
            .collect()
    }

    fn call_tool(
        name: &str,
        args: &Value,
        ctx: &CallContext,
        api: &mut dyn Api,
    ) -> Result<ToolOutput, ToolError> {
        Ok(tool::call_value(name, args, kap_sdk::Ctx::from_call(ctx), api)?.into())
    }

    fn plan_call(
        name: &str,
        args: &Value,
        ctx: &CallContext,
    ) -> Result<Option<CallPlan>, ToolError> {
        // A plan is the WIT `call-plan` already (built with `kap_sdk::plan`).
        Ok(plan::plan_value(name, args, &ctx.default_namespace)?)
    }

    fn instructions() -> Option<String> {
        Some(INSTRUCTIONS.into())
    }

    fn prompts() -> Vec<Prompt> {
        prompts::list()
            .into_iter()
            .map(|p| Prompt {
                name: p.name,
                title: p.title,
                description: p.description,
                arguments: p
                    .arguments
                    .into_iter()
                    .map(|a| PromptArgument {
                        name: a.name,
                        title: a.title,
                        description: a.description,
                        required: a.required,
                    })
                    .collect(),
            })
            .collect()
    }

    fn get_prompt(
        name: &str,
        args: &[(String, String)],
        tools: &[String],
    ) -> Result<PromptResult, PromptError> {
        match prompts::get(name, args, tools) {
            Ok(r) => Ok(PromptResult {
                description: r.description,
                messages: vec![PromptMessage {
                    role: Role::User,
                    text: r.text,
                }],
            }),
            Err(prompts::PromptErr::UnknownPrompt(m)) => Err(PromptError::UnknownPrompt(m)),
            Err(prompts::PromptErr::InvalidArguments(m)) => Err(PromptError::InvalidArguments(m)),
        }
    }
}

kap_sdk::export_plugin!(Kubectl, "../plugin.toml");

#[cfg(test)]
mod tests {
    use super::*;
    use kap_sdk::Manifest;

    #[test]
    fn plugin_binding() {
        let tools = Kubectl::tools();
        let names: Vec<&str> = tools.iter().map(|t| t.name.as_str()).collect();
        // The manifest's `[[tools]]` name the same tools, in the same order.
        let manifest =
            kap_sdk::manifest::tools(std::str::from_utf8(Kubectl::MANIFEST).unwrap()).unwrap();
        let declared: Vec<&str> = manifest.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, declared);
        assert_eq!(
            tools[0].truncation_hint.as_deref(),
            Some("narrow the request, e.g. with -n, -l, --field-selector, --tail or -o name")
        );
        assert!(
            Kubectl::instructions()
                .unwrap()
                .starts_with("Use execute_kubectl")
        );
        let ctx = CallContext {
            request_id: "1".into(),
            kube_context: "kind-test".into(),
            default_namespace: "default".into(),
            timeout_ms: 1000,
            max_output_chars: 1000,
            process: None,
        };
        let args = kap_sdk::serde_json::json!({"command": "rollout undo deploy/web"});
        let plan = Kubectl::plan_call("execute_kubectl", &args, &ctx)
            .unwrap()
            .unwrap();
        assert_eq!(plan.facts, ["rollout-undo"]);
        assert!(matches!(
            Kubectl::plan_call("nope", &args, &ctx),
            Err(ToolError::UnknownTool(_))
        ));
        let mut fake = kap_sdk::testing::FakeApi::new();
        let out = Kubectl::call_tool(
            "execute_kubectl",
            &kap_sdk::serde_json::json!({"command": "config current-context"}),
            &ctx,
            &mut fake,
        )
        .unwrap();
        assert_eq!(out.text, "kind-test\n");
        assert!(!Kubectl::prompts().is_empty());
        assert!(matches!(
            Kubectl::get_prompt("nope", &[], &[]),
            Err(PromptError::UnknownPrompt(_))
        ));
    }
}
