//! The plan of one kubectl command line, built step by step: the [`Builder`] holds the parsed
//! command line and an SDK [`PlanBuilder`], to which it adds the words of the normalized
//! command and the requests the call is expected to make; each subcommand's
//! [`crate::registry`] entry adds its own through one of the builder's methods (its
//! [`crate::registry::PlanFn`]), and [`Builder::finish`] writes kubectl's flags and makes the
//! [`Plan`].
//!
//! What is kubectl's own is here: its flags (which are left out, which collect every value,
//! how `--dry-run`, `--cascade`, `--for` and `--from` are spelled), its `TYPE NAME` /
//! `TYPE/NAME` arguments and what each subcommand reads and writes. The generic parts are the
//! SDK's: the plan builder and [`Resource`] ([`kap_sdk::plan`]) and the built-in kinds table
//! ([`kap_sdk::kinds`]).
//!
//! [`crate::plan`] documents the normalized command and the requests; it creates the builder
//! and calls the registry entry. This module uses neither (nor the registry): it sits below
//! them.

use crate::commands::common::DryRun;
use crate::commands::{apply, label};
use crate::error::CallError;
use crate::flags::{self, Arity};
use crate::targets::{self, Target};
use kap_sdk::api::{Failure, Verb};
use kap_sdk::cli::Parsed;
use kap_sdk::kinds::{self, lookup, normalize_type};
use kap_sdk::plan::{PlanBuilder, Resource};

/// The command family of every plan this plugin makes.
pub const FAMILY: &str = "kubectl";

/// What a call stands for: the WIT `call-plan` record ([`kap_sdk::CallPlan`]), with
/// [`FAMILY`] as its family, the normalized command of [`crate::plan`], the requests the call
/// is expected to make in order, and its facts ([`ROLLOUT_UNDO`] for `rollout undo`, else
/// none).
pub type Plan = kap_sdk::CallPlan;

/// The fact of a `rollout undo` (it restores an older pod template; the host's policy asks
/// for confirmation: `default.confirm-rollout-undo`).
pub const ROLLOUT_UNDO: &str = "rollout-undo";

/// Targets with normalized types, merged by type; names once each, in order.
fn merge_targets(targets: &[Target]) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for t in targets {
        let ty = normalize_type(&t.type_name);
        let i = match out.iter().position(|(x, _)| *x == ty) {
            Some(i) => i,
            None => {
                out.push((ty, Vec::new()));
                out.len() - 1
            }
        };
        for n in &t.names {
            if !out[i].1.contains(n) {
                out[i].1.push(n.clone());
            }
        }
    }
    out
}

/// The words of merged targets (see the module documentation).
fn target_words(merged: &[(String, Vec<String>)]) -> Vec<String> {
    let mut words = Vec::new();
    match merged.first() {
        None => {}
        Some((_, names)) if merged.iter().all(|(_, n)| n == names) => {
            let types: Vec<&str> = merged.iter().map(|(t, _)| t.as_str()).collect();
            words.push(types.join(","));
            words.extend(names.iter().cloned());
        }
        Some(_) => {
            for (t, names) in merged {
                words.push(t.clone());
                words.extend(names.iter().cloned());
            }
        }
    }
    words
}

/// The resources of merged targets with their names, `all` expanded, each resource once.
fn resolved(merged: &[(String, Vec<String>)]) -> Vec<(Resource, Vec<String>)> {
    let mut out: Vec<(Resource, Vec<String>)> = Vec::new();
    for (t, names) in merged {
        for r in Resource::expand(t) {
            if !out
                .iter()
                .any(|(o, _)| o.group == r.group && o.resource == r.resource)
            {
                out.push((r, names.clone()));
            }
        }
    }
    out
}

/// Flags the plugin accepts and ignores; left out of the normalized command (`--timeout` only
/// where it is ignored: `wait` and `drain` wait that long).
const IGNORED_FLAGS: &[&str] = &[
    "request-timeout",
    "timeout",
    "chunk-size",
    "wait",
    "cached",
    "quiet",
];

/// A plan under construction: the parsed command line, and what its subcommand's
/// [`crate::registry::PlanFn`] adds (words, flags, whether the namespace is written,
/// requests, facts).
pub struct Builder<'a> {
    p: &'a Parsed,
    /// The namespace the command acts in: `-n`, else the default.
    ns: String,
    /// The words, requests and facts so far (the flags are added by [`Builder::finish`]).
    plan: PlanBuilder,
    /// Flags to write besides the parsed ones (name, value; `None` for a true boolean).
    extra: Vec<(String, Option<String>)>,
    /// Whether `--namespace=NS` is written.
    namespaced: bool,
}

impl<'a> Builder<'a> {
    /// A plan of `p` acting in `-n` or else `default_namespace`, with the subcommand as its
    /// first word.
    pub fn new(p: &'a Parsed, default_namespace: &str) -> Builder<'a> {
        let mut plan = PlanBuilder::new(FAMILY);
        plan.word(p.sub.clone());
        Builder {
            p,
            ns: p.namespace().unwrap_or(default_namespace).to_string(),
            plan,
            extra: Vec::new(),
            namespaced: false,
        }
    }

    fn all_ns(&self) -> bool {
        self.p.bool("all-namespaces")
    }

    fn dry_client(&self) -> Result<bool, CallError> {
        Ok(DryRun::from(self.p).map_err(failure)? == DryRun::Client)
    }

    /// The flags to write besides the namespace, each as (long name, value; `None` for a true
    /// boolean): the parsed ones as kubectl reads them, then the extra ones.
    fn flags(&self) -> Vec<(String, Option<String>)> {
        let mut flags: Vec<(String, Option<String>)> = Vec::new();
        for (i, (name, given)) in self.p.flags.iter().enumerate() {
            let name = *name;
            // The parsed flags are all in the subcommand's table, which has one flag per name.
            let spec = flags::spec(name);
            let repeatable = spec.is_some_and(|f| f.help.contains("may be repeated"));
            if name == "namespace"
                || name == "help"
                || (IGNORED_FLAGS.contains(&name)
                    && !(name == "timeout" && matches!(self.p.sub.as_str(), "wait" | "drain")))
                || self.extra.iter().any(|(n, _)| n == name)
            {
                continue;
            }
            // One value per flag, the last, except for flags that collect every value.
            let value = if repeatable {
                given.as_str()
            } else if self.p.flags[i + 1..].iter().any(|(n, _)| *n == name) {
                continue;
            } else {
                given.as_str()
            };
            let is_bool = matches!(
                spec.map(|f| f.arity),
                Some(Arity::Bool | Arity::Optional("true"))
            );
            let value = match (name, value) {
                // Always server-side here: only `=false` (refused by the call) says anything.
                ("server-side", "true") => continue,
                (_, "true") if is_bool => None,
                ("dry-run", "unchanged") => Some("client".to_string()),
                ("cascade", "true") => Some("background".to_string()),
                ("cascade", "false") => Some("orphan".to_string()),
                ("for" | "from", v) => Some(match v.split_once('/') {
                    Some((t, n)) if lookup(t).is_some() => format!("{}/{n}", normalize_type(t)),
                    _ => v.to_string(),
                }),
                (_, v) => Some(v.to_string()),
            };
            flags.push((name.to_string(), value));
        }
        flags.extend(self.extra.iter().cloned());
        flags
    }

    /// The plan: `kubectl`, the words, then the flags (and the namespace, when the command
    /// acts in one) sorted by name, as [`PlanBuilder::finish`] writes them (see
    /// [`crate::plan`]).
    pub fn finish(mut self) -> Plan {
        for (name, value) in self.flags() {
            self.plan.flag(name, value);
        }
        if self.namespaced {
            self.plan.namespace(self.ns.clone());
        }
        self.plan.finish()
    }

    /// `get` and `describe`: a list per type without names, a get per name.
    pub fn get_like(&mut self, describe: bool) -> Result<(), CallError> {
        let targets = targets::parse_targets(&self.p.args).map_err(CallError::InvalidArguments)?;
        let merged = merge_targets(&targets);
        self.plan.words(target_words(&merged));
        let all_ns = self.all_ns();
        let show_events = self.p.value("show-events") != Some("false");
        let ns = self.ns.clone();
        for (res, names) in resolved(&merged) {
            let across = all_ns && names.is_empty();
            self.namespaced |= res.namespaced && !across;
            if names.is_empty() {
                let list_ns = (!across).then_some(ns.as_str());
                self.plan.request(res.request(Verb::List, list_ns, None));
                continue;
            }
            for name in &names {
                self.plan
                    .request(res.request(Verb::Get, Some(&ns), Some(name)));
                if describe {
                    self.describe_follow_ups(&res, name, show_events);
                }
            }
        }
        Ok(())
    }

    /// What `describe` reads about one object besides the object (`commands::describe`).
    fn describe_follow_ups(&mut self, res: &Resource, name: &str, show_events: bool) {
        let ns = self.ns.clone();
        let group = res.group.as_deref();
        match (group, res.resource.as_str()) {
            (Some("apps"), "deployments") => {
                self.plan
                    .request(Resource::of("replicasets").request(Verb::List, Some(&ns), None));
            }
            (Some(""), "services") => {
                self.plan.request(Resource::of("endpointslices").request(
                    Verb::List,
                    Some(&ns),
                    None,
                ));
            }
            (Some(""), "nodes") => {
                self.plan
                    .request(Resource::of("pods").request(Verb::List, None, None));
            }
            (Some(""), "namespaces") => {
                self.plan.request(Resource::of("resourcequotas").request(
                    Verb::List,
                    Some(name),
                    None,
                ));
            }
            (Some(""), "secrets") => return,
            _ => {}
        }
        if show_events {
            let events_ns = res.namespaced.then_some(ns.as_str());
            self.plan
                .request(Resource::of("events").request(Verb::List, events_ns, None));
        }
    }

    /// `delete`: one DELETE per name (none with `--dry-run=client`).
    pub fn delete(&mut self) -> Result<(), CallError> {
        let targets = targets::parse_targets(&self.p.args).map_err(CallError::InvalidArguments)?;
        let merged = merge_targets(&targets);
        self.plan.words(target_words(&merged));
        let dry_client = self.dry_client()?;
        let ns = self.ns.clone();
        for (res, names) in resolved(&merged) {
            self.namespaced |= res.namespaced;
            if dry_client {
                continue;
            }
            for name in &names {
                self.plan
                    .request(res.request(Verb::Delete, Some(&ns), Some(name)));
            }
        }
        Ok(())
    }

    /// `scale`: per name, a get of `scale` with `--current-replicas`, then a merge patch of
    /// `scale` (none with `--dry-run=client`).
    pub fn scale(&mut self) -> Result<(), CallError> {
        let targets = targets::parse_targets(&self.p.args).map_err(CallError::InvalidArguments)?;
        let merged = merge_targets(&targets);
        self.plan.words(target_words(&merged));
        let dry_client = self.dry_client()?;
        let precondition = self
            .p
            .value("current-replicas")
            .and_then(|c| c.parse::<i64>().ok())
            .is_some_and(|c| c >= 0);
        let ns = self.ns.clone();
        for (res, names) in resolved(&merged) {
            self.namespaced |= res.namespaced;
            for name in &names {
                if precondition {
                    self.plan
                        .request(res.subresource(Verb::Get, "scale", &ns, name));
                }
                if !dry_client {
                    self.plan
                        .request(res.subresource(Verb::Patch, "scale", &ns, name));
                }
            }
        }
        Ok(())
    }

    /// `rollout ACTION TYPE NAME`: `status` gets the object; `restart`, `pause` and `resume`
    /// patch it (not with `--dry-run=client`); `history` gets the deployment and lists its
    /// replica sets, and `undo` then patches the deployment.
    pub fn rollout(&mut self) -> Result<(), CallError> {
        let Some((action, rest)) = self.p.args.split_first() else {
            self.namespaced = true;
            return Ok(());
        };
        self.plan.word(action.clone());
        if action == "undo" {
            self.plan.fact(ROLLOUT_UNDO);
        }
        let targets = targets::parse_targets(rest).map_err(CallError::InvalidArguments)?;
        let merged = merge_targets(&targets);
        self.plan.words(target_words(&merged));
        let writes = matches!(action.as_str(), "restart" | "pause" | "resume" | "undo")
            && !self.dry_client()?;
        let ns = self.ns.clone();
        let resolved = resolved(&merged);
        self.namespaced = resolved.is_empty() || resolved.iter().any(|(r, _)| r.namespaced);
        for (res, names) in resolved {
            for name in &names {
                let history = matches!(action.as_str(), "history" | "undo");
                if action == "status" || history {
                    self.plan
                        .request(res.request(Verb::Get, Some(&ns), Some(name)));
                }
                if history {
                    self.plan.request(Resource::of("replicasets").request(
                        Verb::List,
                        Some(&ns),
                        None,
                    ));
                }
                if writes {
                    self.plan
                        .request(res.request(Verb::Patch, Some(&ns), Some(name)));
                }
            }
        }
        Ok(())
    }

    /// `logs POD [CONTAINER]`: the pod (to pick the container) unless `-c` names one, then
    /// `pods/log`.
    pub fn logs(&mut self) -> Result<(), CallError> {
        self.namespaced = true;
        let Some(first) = self.p.args.first() else {
            return Ok(());
        };
        let pod = match first.split_once('/') {
            Some(("pod" | "pods" | "po", n)) => n.to_string(),
            Some((t, n)) => {
                // Refused by the call (only pods); written as typed.
                self.plan.words([normalize_type(t), n.to_string()]);
                self.plan.words(self.p.args[1..].iter().cloned());
                return Ok(());
            }
            None => first.clone(),
        };
        targets::validate_name(&pod).map_err(CallError::InvalidArguments)?;
        self.plan.words(["pod".to_string(), pod.clone()]);
        let container = self.p.value("container").map(str::to_string);
        match self.p.args.get(1) {
            Some(c) if container.is_none() && self.p.args.len() == 2 => {
                self.extra.push(("container".into(), Some(c.clone())));
            }
            _ => {
                self.plan.words(self.p.args.iter().skip(1).cloned());
            }
        }
        let named = container.is_some() || self.p.args.len() == 2;
        let pods = Resource::of("pods");
        let ns = self.ns.clone();
        if self.p.bool("all-containers") || !named {
            self.plan
                .request(pods.request(Verb::Get, Some(&ns), Some(&pod)));
        }
        self.plan
            .request(pods.subresource(Verb::Get, "log", &ns, &pod));
        Ok(())
    }

    /// `events`: a list of events in the namespace, or across all namespaces with `-A`.
    pub fn events(&mut self) -> Result<(), CallError> {
        self.plan.words(self.p.args.iter().cloned());
        let across = self.all_ns();
        self.namespaced = !across;
        let ns = self.ns.clone();
        self.plan.request(Resource::of("events").request(
            Verb::List,
            (!across).then_some(ns.as_str()),
            None,
        ));
        Ok(())
    }

    /// `apply -f -`: a server-side apply patch per object of the manifest.
    pub fn apply(&mut self, manifest: Option<&str>) -> Result<(), CallError> {
        self.plan.words(self.p.args.iter().cloned());
        self.manifest(manifest, Verb::Patch)
    }

    /// The objects of `-f -` (the `manifest` argument), one `verb` request each, when the
    /// manifest parses and the object names its apiVersion, kind and name (`create` also
    /// takes `generateName`); the call reports the others. Nothing with `--dry-run=client`.
    /// `-f -` is written even when only the manifest was given, as the call reads it then.
    fn manifest(&mut self, manifest: Option<&str>, verb: Verb) -> Result<(), CallError> {
        self.namespaced = true;
        if !self.p.given("filename") && manifest.is_some() {
            self.extra.push(("filename".into(), Some("-".into())));
        }
        if self.dry_client()? {
            return Ok(());
        }
        let Some(docs) = manifest.and_then(|m| apply::parse_manifest(m).ok()) else {
            return Ok(());
        };
        for doc in docs {
            let field = |path: &[&str]| kap_sdk::api::s(&doc, path).to_string();
            let (av, kind, name) = (
                field(&["apiVersion"]),
                field(&["kind"]),
                field(&["metadata", "name"]),
            );
            let generated =
                verb == Verb::Create && !field(&["metadata", "generateName"]).is_empty();
            if av.is_empty() || kind.is_empty() || (name.is_empty() && !generated) {
                continue;
            }
            let (group, _) = apply::split_api_version(&av);
            let res = kinds::by_kind(group, &kind).map_or_else(
                || Resource {
                    group: Some(group.to_string()),
                    resource: kind.clone(),
                    namespaced: true,
                },
                Resource::known,
            );
            let doc_ns = field(&["metadata", "namespace"]);
            let ns = if doc_ns.is_empty() {
                self.ns.clone()
            } else {
                doc_ns
            };
            // A create is a POST to the collection: no name.
            let name = (verb != Verb::Create).then_some(name.as_str());
            self.plan.request(res.request(verb, Some(&ns), name));
        }
        Ok(())
    }

    /// `create KIND NAME ...` (kubectl's generators) and `create -f -`: one POST per object
    /// (`create job --from=cronjob/NAME` reads the cron job first).
    pub fn create(&mut self, manifest: Option<&str>) -> Result<(), CallError> {
        let p = self.p;
        if p.given("filename") || (p.args.is_empty() && manifest.is_some()) {
            self.plan.words(p.args.iter().cloned());
            return self.manifest(manifest, Verb::Create);
        }
        self.generic();
        let what = p.args.first().map(String::as_str).unwrap_or_default();
        let plural = match what {
            "namespace" | "ns" => "namespaces",
            "deployment" | "deploy" => "deployments",
            "service" | "svc" => "services",
            "configmap" | "cm" => "configmaps",
            "job" => "jobs",
            _ => return Ok(()),
        };
        let res = Resource::of(plural);
        self.namespaced = res.namespaced;
        let ns = self.ns.clone();
        if what == "job"
            && let Some((t, n)) = p.value("from").and_then(|f| f.split_once('/'))
            && normalize_type(t) == "cronjob"
        {
            self.plan
                .request(Resource::of("cronjobs").request(Verb::Get, Some(&ns), Some(n)));
        }
        if !self.dry_client()? {
            self.plan
                .request(res.request(Verb::Create, Some(&ns), None));
        }
        Ok(())
    }

    /// Targets as `TYPE NAME...` / `TYPE/NAME...`: written normalized, the namespace written
    /// when one of them is namespaced (or unknown); the resources with their names.
    fn targets(&mut self, args: &[String]) -> Result<Vec<(Resource, Vec<String>)>, CallError> {
        let targets = targets::parse_targets(args).map_err(CallError::InvalidArguments)?;
        let merged = merge_targets(&targets);
        self.plan.words(target_words(&merged));
        let resolved = resolved(&merged);
        self.namespaced |= resolved.iter().any(|(r, _)| r.namespaced);
        Ok(resolved)
    }

    /// `patch TYPE NAME -p PATCH`: per object a get, then a patch (of `--subresource` when
    /// given; no patch with `--dry-run=client`).
    pub fn patch(&mut self) -> Result<(), CallError> {
        let resolved = self.targets(&self.p.args)?;
        let sub = self.p.value("subresource").filter(|s| !s.is_empty());
        let dry_client = self.dry_client()?;
        let ns = self.ns.clone();
        for (res, names) in resolved {
            for name in &names {
                for verb in [Verb::Get, Verb::Patch] {
                    if verb == Verb::Patch && dry_client {
                        continue;
                    }
                    let mut r = res.request(verb, Some(&ns), Some(name));
                    r.subresource = sub.map(str::to_string);
                    self.plan.request(r);
                }
            }
        }
        Ok(())
    }

    /// `label`, `annotate` (`skip` 0) and `set image` (`skip` 1): `TYPE NAME... KEY=VALUE...`;
    /// a get per named object, then a merge or strategic patch of each (none with
    /// `--dry-run=client`); with `-l` a list per type (the objects found are patched too).
    pub fn update(&mut self, skip: usize, what: &str) -> Result<(), CallError> {
        let p = self.p;
        let (resources, pairs) = label::split_pairs(&p.args[skip..], what).map_err(failure)?;
        let resolved = self.targets(&resources)?;
        self.plan.words(pairs.iter().map(|s| s.to_string()));
        let dry_client = self.dry_client()?;
        let ns = self.ns.clone();
        let mut patches = Vec::new();
        for (res, names) in resolved {
            if p.value("selector").is_some() {
                self.plan.request(res.request(Verb::List, Some(&ns), None));
                continue;
            }
            for name in &names {
                self.plan
                    .request(res.request(Verb::Get, Some(&ns), Some(name)));
                if !dry_client {
                    patches.push(res.request(Verb::Patch, Some(&ns), Some(name)));
                }
            }
        }
        self.plan.requests(patches);
        Ok(())
    }

    /// `expose TYPE NAME` and `autoscale TYPE NAME`: a get of the object, then the create of
    /// a service or a horizontal pod autoscaler (none with `--dry-run=client`).
    pub fn expose(&mut self, creates: &str) -> Result<(), CallError> {
        self.namespaced = true;
        let resolved = self.targets(&self.p.args)?;
        let ns = self.ns.clone();
        for (res, names) in resolved {
            for name in &names {
                self.plan
                    .request(res.request(Verb::Get, Some(&ns), Some(name)));
            }
        }
        if !self.dry_client()? {
            self.plan
                .request(Resource::of(creates).request(Verb::Create, Some(&ns), None));
        }
        Ok(())
    }

    /// `cordon`, `uncordon` and `drain NODE...` (`node/NAME` is `NAME`): a get and a patch of
    /// each node (no patch with `--dry-run=client`); `drain` then lists the node's pods (the
    /// evictions depend on them).
    pub fn nodes(&mut self) -> Result<(), CallError> {
        let dry_client = self.dry_client()?;
        let nodes = Resource::of("nodes");
        for a in &self.p.args {
            let n = a
                .strip_prefix("node/")
                .or_else(|| a.strip_prefix("nodes/"))
                .unwrap_or(a);
            self.plan.word(n.to_string());
            self.plan.request(nodes.request(Verb::Get, None, Some(n)));
            if !dry_client {
                self.plan.request(nodes.request(Verb::Patch, None, Some(n)));
            }
            if self.p.sub == "drain" {
                self.plan
                    .request(Resource::of("pods").request(Verb::List, None, None));
            }
        }
        Ok(())
    }

    /// `wait TYPE NAME... --for=...`: a get per named object (repeated until the condition
    /// holds), or a list per type with `-l`.
    pub fn wait(&mut self) -> Result<(), CallError> {
        let resolved = self.targets(&self.p.args)?;
        let ns = self.ns.clone();
        for (res, names) in resolved {
            if self.p.value("selector").is_some() {
                self.plan.request(res.request(Verb::List, Some(&ns), None));
            }
            for name in &names {
                self.plan
                    .request(res.request(Verb::Get, Some(&ns), Some(name)));
            }
        }
        Ok(())
    }

    /// `top pod|node [NAME]`: the `metrics.k8s.io` objects (one, or a list), and for nodes the
    /// nodes themselves.
    pub fn top(&mut self) -> Result<(), CallError> {
        self.generic();
        let name = self.p.args.get(1).map(String::as_str);
        let metrics = |plural: &str, namespaced: bool| Resource {
            group: Some("metrics.k8s.io".into()),
            resource: plural.into(),
            namespaced,
        };
        let verb = if name.is_some() {
            Verb::Get
        } else {
            Verb::List
        };
        let ns = self.ns.clone();
        match self.p.args.first().map(String::as_str) {
            Some("pod" | "pods" | "po") => {
                let across = self.all_ns() && name.is_none();
                let ns = (!across).then_some(ns.as_str());
                self.plan
                    .request(metrics("pods", true).request(verb, ns, name));
            }
            Some("node" | "nodes" | "no") => {
                self.plan
                    .request(metrics("nodes", false).request(verb, None, name));
                self.plan
                    .request(Resource::of("nodes").request(verb, None, name));
            }
            _ => {}
        }
        Ok(())
    }

    /// `auth can-i VERB TYPE[/NAME] [NAME]`: an access review, not a request.
    pub fn auth(&mut self) -> Result<(), CallError> {
        let args = &self.p.args;
        let target = match args.as_slice() {
            [sub, verb, rest @ ..] if sub == "can-i" => {
                self.plan.words([sub.clone(), verb.clone()]);
                rest
            }
            _ => {
                self.plan.words(args.iter().cloned());
                self.namespaced = !self.all_ns();
                return Ok(());
            }
        };
        let (ty, names): (&str, Vec<String>) = match target {
            [t, more @ ..] => match t.split_once('/') {
                Some((ty, n)) if !ty.is_empty() => (
                    ty,
                    std::iter::once(n.to_string())
                        .chain(more.iter().cloned())
                        .collect(),
                ),
                _ => (t.as_str(), more.to_vec()),
            },
            [] => ("", Vec::new()),
        };
        let namespaced = ty == "*" || ty.is_empty() || Resource::of(ty).namespaced;
        if !ty.is_empty() {
            self.plan.word(normalize_type(ty));
        }
        self.plan.words(names);
        self.namespaced = namespaced && !self.all_ns();
        Ok(())
    }

    /// `set image TYPE/NAME CONTAINER=IMAGE...` as [`Builder::update`]; other `set`
    /// subcommands (refused by the call) as [`Builder::generic`].
    pub fn set(&mut self) -> Result<(), CallError> {
        if self.p.args.first().is_some_and(|a| a == "image") {
            self.plan.word("image");
            self.update(1, "container image")
        } else {
            self.generic();
            Ok(())
        }
    }

    /// The arguments as typed, no requests: discovery (`api-resources`, `api-versions`),
    /// `version`, `config` and `cluster-info`.
    pub fn as_typed(&mut self) -> Result<(), CallError> {
        self.plan.words(self.p.args.iter().cloned());
        Ok(())
    }

    /// `explain TYPE[.FIELD...]`: each argument with its type normalized, the field path as
    /// typed; no requests (explain reads the OpenAPI document only, like discovery).
    pub fn explain(&mut self) -> Result<(), CallError> {
        self.plan
            .words(self.p.args.iter().map(|a| explain_target(a)));
        Ok(())
    }

    /// A subcommand without a dedicated shape (`set env`, a subcommand added later), no
    /// requests planned: the first argument as a type list when every element is a known type
    /// (`top pods` is `top pod`), `TYPE/NAME` split when `TYPE` is known (`set env
    /// deploy/web` is `set env deployment web`), the rest as typed. The namespace is written
    /// unless `-A`, a cluster-scoped type, or a command that takes node names (`cordon`,
    /// `uncordon`, `drain`) or none (`cluster-info`).
    pub fn generic(&mut self) {
        let sub = self.p.sub.as_str();
        let node_names = matches!(sub, "cordon" | "uncordon" | "drain");
        let mut types: Vec<Resource> = Vec::new();
        for (i, a) in self.p.args.iter().enumerate() {
            if node_names {
                self.plan.word(a.clone());
            } else if let Some((t, n)) = a.split_once('/')
                && lookup(t).is_some()
            {
                types.push(Resource::of(t));
                self.plan.words([normalize_type(t), n.to_string()]);
            } else if i == 0 && a.split(',').all(|t| lookup(t).is_some()) {
                types.extend(a.split(',').map(Resource::of));
                let names: Vec<String> = a.split(',').map(normalize_type).collect();
                self.plan.word(names.join(","));
            } else {
                self.plan.word(a.clone());
            }
        }
        self.namespaced = !node_names
            && sub != "cluster-info"
            && !self.all_ns()
            && (types.is_empty() || types.iter().any(|r| r.namespaced));
    }
}

fn failure(f: Failure) -> CallError {
    match f {
        Failure::Usage(m) | Failure::Message(m) => CallError::InvalidArguments(m),
        Failure::Kube(e) => CallError::InvalidArguments(kap_sdk::api::kube_error_text(&e)),
    }
}

/// `explain`'s `TYPE[.FIELD...]` with the type normalized and the field path as typed:
/// `deploy.spec.replicas` is `deployment.spec.replicas`; a leading `PLURAL.GROUP` names the
/// group, as kubectl reads it (`deployments.apps.spec` is `deployment.spec`). No requests are
/// planned: explain reads the OpenAPI document only, like discovery.
fn explain_target(arg: &str) -> String {
    let (first, rest) = match arg.split_once('.') {
        Some((f, r)) => (f, Some(r)),
        None => (arg, None),
    };
    let Some(k) = lookup(first) else {
        return match rest {
            Some(r) => format!("{}.{r}", first.to_lowercase()),
            None => first.to_lowercase(),
        };
    };
    let rest = match rest {
        Some(r) if !k.group.is_empty() && first == k.plural && r == k.group => None,
        Some(r) if !k.group.is_empty() && first == k.plural => Some(
            r.strip_prefix(k.group)
                .and_then(|f| f.strip_prefix('.'))
                .unwrap_or(r),
        ),
        other => other,
    };
    match rest {
        Some(r) => format!("{}.{r}", k.singular),
        None => k.singular.to_string(),
    }
}
