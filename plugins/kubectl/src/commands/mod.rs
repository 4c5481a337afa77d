//! kubectl subcommands, translated to capability requests (no kubectl binary).
//!
//! [`run`] takes the words of a command line (already split by [`kap_sdk::shell`]), parses
//! them with [`crate::cli`] and runs the subcommand against an [`Api`].

pub mod apply;
pub mod auth;
pub mod cluster;
pub mod create;
pub mod delete;
pub mod describe;
pub mod discovery;
pub mod events;
pub mod explain;
pub mod expose;
pub mod get;
pub mod history;
pub mod label;
pub mod logs;
pub mod node;
pub mod patch;
pub mod rollout;
pub mod scale;
#[cfg(test)]
pub mod testing;
pub mod top;
pub mod wait;
pub mod writes;

use serde_json::Value;

use crate::cli::{self, Parsed};
use crate::help;
use crate::targets;
use kap_sdk::api::{
    Api, CmdResult, Ctx, Failure, KubeError, Outcome, ResourceInfo, kube_error_text, usage,
};

pub use crate::catalog::{NOT_POSSIBLE, REFUSED, SUPPORTED};

/// Runs one kubectl command line.
pub fn run(words: &[String], ctx: &Ctx, api: &mut dyn Api) -> CmdResult {
    let words = cli::strip_kubectl(words);
    cli::check_forbidden(words).map_err(|e| Failure::Usage(e.0))?;
    let sub = cli::find_subcommand(words).unwrap_or_default();
    if sub == "help" {
        let rest: Vec<&String> = words.iter().skip_while(|w| *w != "help").skip(1).collect();
        let topic: Vec<&str> = rest
            .iter()
            .filter(|w| !w.starts_with('-'))
            .map(|w| w.as_str())
            .collect();
        return help::help_for(&topic.join(" "))
            .map(Outcome::text)
            .map_err(Failure::Usage);
    }
    if REFUSED.contains(&sub.as_str()) {
        return usage(format!(
            "kubectl {sub} is not available: interactive, streaming and file-copying commands are refused by design"
        ));
    }
    if let Some((_, why)) = NOT_POSSIBLE.iter().find(|(n, _)| *n == sub) {
        return usage(format!("kubectl {sub} is not available: {why}"));
    }
    if !sub.is_empty() && !SUPPORTED.contains(&sub.as_str()) {
        return usage(format!(
            "kubectl {sub} is not supported yet; supported subcommands: {}",
            SUPPORTED.join(", ")
        ));
    }
    let p = cli::parse_with(words, &sub).map_err(|e| Failure::Usage(e.0))?;
    if p.bool("help") || sub.is_empty() {
        let topic = match (sub.as_str(), p.args.first()) {
            ("rollout" | "auth" | "config" | "create" | "set" | "top", Some(a)) => {
                format!("{sub} {a}")
            }
            _ => sub.clone(),
        };
        return help::help_for(&topic)
            .map(Outcome::text)
            .map_err(Failure::Usage);
    }
    if let Some(ns) = p.namespace() {
        targets::validate_namespace(ns).map_err(Failure::Usage)?;
    }
    match sub.as_str() {
        "get" => get::run(&p, ctx, api),
        "describe" => describe::run(&p, ctx, api),
        "logs" => logs::run(&p, ctx, api),
        "events" => events::run(&p, ctx, api),
        "scale" => scale::run(&p, ctx, api),
        "delete" => delete::run(&p, ctx, api),
        "apply" => apply::run(&p, ctx, api),
        "rollout" if matches!(p.args.first().map(String::as_str), Some("history" | "undo")) => {
            history::run(&p, ctx, api)
        }
        "rollout" => rollout::run(&p, ctx, api),
        "api-resources" => discovery::api_resources(&p, api),
        "api-versions" => discovery::api_versions(&p, api),
        "version" => discovery::version(&p, api),
        "auth" => auth::run(&p, ctx, api),
        "config" => config(&p, ctx),
        "create" => create::run(&p, ctx, api),
        "patch" => patch::run(&p, ctx, api),
        "label" => label::run_label(&p, ctx, api, true),
        "annotate" => label::run_label(&p, ctx, api, false),
        "set" => label::run_set(&p, ctx, api),
        "expose" => expose::run_expose(&p, ctx, api),
        "autoscale" => expose::run_autoscale(&p, ctx, api),
        "cordon" => node::run_cordon(&p, api, true),
        "uncordon" => node::run_cordon(&p, api, false),
        "drain" => node::run_drain(&p, api),
        "cluster-info" => cluster::cluster_info(&p, api),
        "wait" => wait::run(&p, ctx, api),
        "top" => top::run(&p, ctx, api),
        "explain" => explain::run(&p, api),
        _ => usage(format!("kubectl {sub} is not supported yet")),
    }
}

/// `kubectl config current-context` and `config get-contexts` (only the context in use);
/// everything else under `config` is refused, as the kubeconfig belongs to the operator.
fn config(p: &Parsed, ctx: &Ctx) -> CmdResult {
    match p.args.first().map(String::as_str) {
        Some("current-context") if p.args.len() == 1 => {
            Ok(Outcome::text(format!("{}\n", ctx.kube_context)))
        }
        Some("get-contexts") => cluster::get_contexts(p, ctx),
        Some(other) => usage(format!(
            "kubectl config {other} is not available: the kubeconfig is fixed by the operator (only `config current-context` and `config get-contexts` are answered)"
        )),
        None => usage(
            "kubectl config needs a subcommand; only `config current-context` and `config get-contexts` are available",
        ),
    }
}

/// The namespace a command acts in: `-n`, else the call's default namespace.
pub fn namespace<'a>(p: &'a Parsed, ctx: &'a Ctx) -> &'a str {
    p.namespace().unwrap_or(&ctx.default_namespace)
}

/// Resolves a resource type as typed, mapping failures to kubectl's wording.
pub fn resolve(api: &mut dyn Api, type_name: &str) -> Result<ResourceInfo, Failure> {
    api.resolve(type_name).map_err(|e| match e {
        KubeError::UnknownResource(_) => {
            Failure::Kube(KubeError::UnknownResource(type_name.to_string()))
        }
        other => Failure::Kube(other),
    })
}

/// Refuses flags that are accepted by the grammar but not (yet) by this plugin.
pub fn refuse_flags(p: &Parsed, flags: &[(&str, &str)]) -> Result<(), Failure> {
    for (flag, why) in flags {
        if p.given(flag) && (p.value(flag) != Some("false")) {
            return usage(format!("--{flag} is not supported: {why}"));
        }
    }
    Ok(())
}

/// The `-f` refusal shared by commands that read manifests or object lists from files.
pub fn refuse_files(p: &Parsed, sub: &str) -> Result<(), Failure> {
    if p.given("filename") {
        return usage(format!(
            "kubectl {sub} -f is not supported: files cannot be read; name the objects as TYPE NAME or TYPE/NAME"
        ));
    }
    Ok(())
}

/// The dry-run mode of `--dry-run` (kubectl's `GetDryRunStrategy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DryRun {
    None,
    Client,
    Server,
}

impl DryRun {
    pub fn from(p: &Parsed) -> Result<DryRun, Failure> {
        match p.value("dry-run") {
            None | Some("none") => Ok(DryRun::None),
            Some("client") | Some("unchanged") => Ok(DryRun::Client),
            Some("server") => Ok(DryRun::Server),
            Some(other) => usage(format!(
                "Invalid dry-run value ({other}). Must be \"none\", \"server\", or \"client\"."
            )),
        }
    }

    /// The suffix kubectl adds to its messages.
    pub fn suffix(self) -> &'static str {
        match self {
            DryRun::None => "",
            DryRun::Client => " (dry run)",
            DryRun::Server => " (server dry run)",
        }
    }

    /// The query parameter for the server.
    pub fn query(self) -> Option<(String, String)> {
        (self == DryRun::Server).then(|| ("dryRun".to_string(), "All".to_string()))
    }
}

/// Collects the output of a command that acts on several objects and reports errors at the
/// end, as kubectl does (it prints what succeeded and the errors on stderr).
#[derive(Debug, Default)]
pub struct Report {
    pub out: String,
    pub errors: Vec<KubeError>,
    pub messages: Vec<String>,
    pub structured: Option<Value>,
}

impl Report {
    pub fn line(&mut self, s: impl AsRef<str>) {
        self.out.push_str(s.as_ref());
        self.out.push('\n');
    }

    /// The outcome: the output, then the errors; a lone error with no output is a tool error.
    pub fn finish(mut self) -> CmdResult {
        if self.out.is_empty()
            && self.messages.is_empty()
            && self.errors.len() == 1
            && let Some(e) = self.errors.pop()
        {
            return Err(Failure::Kube(e));
        }
        let is_error = !self.errors.is_empty() || !self.messages.is_empty();
        let mut text = self.out;
        for e in &self.errors {
            text.push_str(&kube_error_text(e));
            text.push('\n');
        }
        for m in &self.messages {
            text.push_str(m);
            text.push('\n');
        }
        Ok(Outcome {
            text,
            structured: self.structured,
            is_error,
        })
    }
}

pub use kap_sdk::printing::{pretty_json, strip_managed_fields, to_yaml};
