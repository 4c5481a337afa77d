//! The argocd tool family of kube-ai-proxy: the argocd CLI as Argo CD's `--core` mode runs
//! it, on Argo CD's custom resources (`applications`, `appprojects`, `applicationsets` of
//! `argoproj.io/v1alpha1`) through the host's `kube` capability (grant, policy, RBAC, audit).
//! No argocd binary, no Argo CD API server, no session.
//!
//! * [`cli`]: argocd's grammar (the SDK's cobra parser), refused flags and commands;
//! * [`app`]: `app list|get|history|resources|diff|wait`;
//! * [`write`]: `app sync|rollback|set|delete|terminate-op`, writing what Argo CD's API server
//!   writes, and the confirmation [`write::preview`];
//! * [`other`]: `proj`, `appset`, `repo list`, `cluster list`, `version`;
//! * [`render`]: the CLI's printing.
//!
//! Confirmation is the host's: it judges each Application write by its effect (a dry run's
//! before and after), so a sync with prune or force, a rollback to an earlier revision,
//! turning on automated prune and a delete ask the person first, whatever this plugin
//! declares; the question shows the resources to be pruned or deleted, the revision change
//! and the sync policy change. The plugin declares no facts.

pub mod app;
pub mod cli;
pub mod other;
pub mod render;
pub mod write;

use kap_sdk::api::{Failure, Outcome};
use kap_sdk::serde_json::Value;
use kap_sdk::{Api, CallContext, CallPlan, Plugin, ToolError, ToolOutput};

/// The server instructions this plugin adds.
pub const INSTRUCTIONS: &str = "Use execute_argocd for Argo CD: `app list`, `app get NAME`, `app history NAME`, `app sync NAME`, `app rollback NAME [ID]`, `app set NAME ...`, `app wait NAME`, `proj list`, `repo list`, `cluster list`. It works on Argo CD's resources through the Kubernetes API (no login; Argo CD's namespace is argocd). Syncs are run by Argo CD's controller: follow them with `app get` or `app wait`.";

/// The argocd plugin.
pub struct ArgoCd;

fn parse(args: &Value) -> Result<cli::Command, ToolError> {
    cli::parse(&kap_sdk::command_words(args, "argocd")?).map_err(ToolError::InvalidArguments)
}

/// Runs one parsed command.
pub fn run(api: &mut dyn Api, cmd: &cli::Command, timeout_ms: u64) -> Result<Outcome, Failure> {
    match cmd.cmd.as_str() {
        "app list" => app::list(api, cmd),
        "app get" => app::get_app(api, cmd),
        "app history" => app::history(api, cmd),
        "app resources" => app::resources(api, cmd),
        "app diff" => app::diff(api, cmd),
        "app wait" => app::wait(api, cmd, timeout_ms),
        "app sync" => write::sync(api, cmd),
        "app rollback" => write::rollback(api, cmd),
        "app set" => write::set(api, cmd),
        "app delete" => write::delete(api, cmd),
        "app terminate-op" => write::terminate(api, cmd),
        "proj list" => other::proj_list(api, cmd),
        "proj get" => other::proj_get(api, cmd),
        "appset list" | "appset get" => other::appset(api, cmd),
        "repo list" => other::repo_list(api, cmd),
        "cluster list" => other::cluster_list(api, cmd),
        "version" => other::version(api, cmd),
        other => Err(Failure::Usage(format!("unsupported command {other:?}"))),
    }
}

impl Plugin for ArgoCd {
    fn call_tool(
        name: &str,
        args: &Value,
        ctx: &CallContext,
        api: &mut dyn Api,
    ) -> Result<ToolOutput, ToolError> {
        match name {
            "describe_argocd" => {
                let topic = args.get("command").and_then(Value::as_str).unwrap_or("");
                Ok(ToolOutput::text(cli::help(topic)))
            }
            "execute_argocd" => {
                let cmd = parse(args)?;
                match run(api, &cmd, ctx.timeout_ms) {
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
        _ctx: &CallContext,
    ) -> Result<Option<CallPlan>, ToolError> {
        match name {
            "describe_argocd" => Ok(None),
            "execute_argocd" => {
                let cmd = parse(args)?;
                Ok(Some(CallPlan {
                    family: "argocd".into(),
                    command: cmd.normalized(),
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

kap_sdk::export_plugin!(ArgoCd, "../plugin.toml");

#[cfg(test)]
mod tests;
