//! `kubectl config current-context` and `config get-contexts` (only the context in use);
//! everything else under `config` is refused, as the kubeconfig belongs to the operator.

use kap_sdk::api::{CmdResult, Ctx, Outcome, usage};
use kap_sdk::cli::Parsed;

use super::cluster;

/// Runs `kubectl config SUBCOMMAND`.
pub fn run(p: &Parsed, ctx: &Ctx) -> CmdResult {
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
