//! kubectl subcommands, translated to capability requests (no kubectl binary).
//!
//! [`run`] takes the words of a command line (already split by [`kap_sdk::shell`]), parses
//! them with [`crate::cli`] and runs the subcommand's [`crate::registry`] entry against an
//! [`Api`]. Each subcommand's module below runs it; [`common`] holds what they share. The
//! command modules never use this file: they sit below the registry, which sits below [`run`].

pub mod apply;
pub mod auth;
pub mod cluster;
pub mod common;
pub mod config;
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

use crate::catalog::{NOT_POSSIBLE, REFUSED};
use crate::cli;
use crate::help;
use crate::registry::{self, SUPPORTED};
use crate::targets;
use kap_sdk::api::{Api, CmdResult, Ctx, Failure, Outcome, usage};

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
    let entry = registry::find(&sub);
    if !sub.is_empty() && entry.is_none() {
        return usage(format!(
            "kubectl {sub} is not supported yet; supported subcommands: {}",
            SUPPORTED.join(", ")
        ));
    }
    let p = cli::parse_with(words, &sub).map_err(|e| Failure::Usage(e.0))?;
    if p.bool("help") || sub.is_empty() {
        let topic = match entry {
            Some(s) => s.help_topic(p.args.first().map(String::as_str)),
            None => sub,
        };
        return help::help_for(&topic)
            .map(Outcome::text)
            .map_err(Failure::Usage);
    }
    let Some(entry) = entry else {
        return usage(format!("kubectl {sub} is not supported yet"));
    };
    if let Some(ns) = p.namespace() {
        targets::validate_namespace(ns).map_err(Failure::Usage)?;
    }
    (entry.run)(&p, ctx, api)
}
