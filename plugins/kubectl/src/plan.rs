//! What an `execute_kubectl` call stands for, worked out from its arguments alone (the WIT
//! `plan-call` export): the normalized command line the host's command-string policy is
//! matched against, and the Kubernetes requests the call is expected to make.
//!
//! The command line goes through the same steps as the call ([`crate::tool::call`],
//! [`crate::commands::run`]): the JSON arguments, [`kap_sdk::filters::split_command`], the leading
//! `kubectl`, the forbidden flags, the subcommand, refused and unsupported subcommands,
//! [`crate::cli::parse_with`], the namespace check and `TYPE NAME` / `TYPE/NAME` arguments
//! ([`crate::targets::parse_targets`]). An error at any of these steps is the call's own
//! [`CallError::InvalidArguments`] message. Checks a subcommand makes later (a missing
//! `--replicas`, a manifest that does not parse, a refused flag such as `delete -l`) are left
//! to the call: the plan is a declaration, and every request the call really makes still
//! passes the host's gate.
//!
//! # The normalized command
//!
//! `kubectl`, the subcommand words (`get`, `rollout restart`, `auth can-i`, `config
//! current-context`), the positional arguments, then every flag as `--name=value`, sorted by
//! name, separated by single spaces:
//!
//! * resource types are spelled as kubectl's singular lowercase resource name, from a static
//!   table of the well-known kinds ([`KINDS`]): `po`, `pods`, `Pod` are `pod`; `deploy`,
//!   `deployments.apps`, `deployments.v1.apps` are `deployment`. Unknown types are kept as
//!   typed, lowercased. Type lists stay comma-joined (`pods,svc` is `pod,service`);
//! * `TYPE/NAME` is written `TYPE NAME`; several objects of one type are `TYPE NAME NAME`,
//!   objects of several types that all share the same names are `TYPE,TYPE NAME`, other mixes
//!   are `TYPE NAME... TYPE NAME...`; a type or a name given twice is written once;
//! * `logs` names its pod as `pod NAME` (`logs web`, `logs po/web` and `logs pod/web` are
//!   alike), and a container given as the second argument is written `--container=C`;
//! * short flags are written long (`-n` is `--namespace`, `-l` `--selector`, `-o` `--output`,
//!   `-A` `--all-namespaces`, `-f` `--filename`), `_` in a name is `-`, and a flag given twice
//!   is written once with the value that counts (the last one, as kubectl's flag library
//!   keeps it), except the flags that collect every value (those whose help says "may be
//!   repeated": `--image`, `--tcp`, `--from-literal`), written once per value, in order;
//! * a boolean flag is `--name` when true and `--name=false` when false; `--dry-run` alone is
//!   `--dry-run=client` (what it means); `--cascade=true`/`false` are `background`/`orphan`;
//!   `events --for=po/web` is `--for=pod/web`, `create job --from=cj/x` is
//!   `--from=cronjob/x`;
//! * the namespace is always `--namespace=NS` for a command that acts in a namespace, with the
//!   default namespace filled in when none is given; it is left out for commands that do not
//!   (cluster-scoped kinds such as nodes, namespaces, clusterroles, persistentvolumes, CRDs;
//!   discovery; `config`) and for lists across all namespaces (`--all-namespaces` with no
//!   object named). A namespace named with `-n` is thus dropped where it has no effect, and
//!   kept where it has one (`get pod x -A -n kube-system` reads in kube-system);
//! * flags this plugin accepts and ignores (`--request-timeout`, `--chunk-size`, `--wait`,
//!   `--cached`, `--quiet`, `--server-side`, and `--timeout` except for `wait` and `drain`) are
//!   left out, so they cannot make one command look like another;
//! * `--help`, `-h` and `help TOPIC` are all written `kubectl help TOPIC`;
//! * a value (or argument) is quoted with single quotes only when it contains whitespace.
//!
//! So `kubectl -n kube-system delete   pod x`, `delete pod x --namespace kube-system` and
//! `delete po/x -n=kube-system` are all `kubectl delete pod x --namespace=kube-system`.
//!
//! # Requests
//!
//! The requests each command module sends, as far as they follow from the arguments: `get`
//! a list per type or a get per name (`all` expanded to its built-in members); `describe` the
//! same, plus per named object the lists it reads (a deployment's replica sets, a service's
//! endpoint slices, a node's pods, a namespace's quotas) and its events; `delete` a delete per
//! name; `scale` a patch of `scale` (a get of `scale` first with `--current-replicas`);
//! `rollout` a get (`status`), a patch (`restart`, `pause`, `resume`), or a get and a list of
//! replica sets (`history`; `undo` then patches); `logs` the pod (unless `-c` names the
//! container) and `pods/log`; `events` a list; `apply` a patch (server-side apply) and `create`
//! a create per object of the manifest, or per generated object; `patch`, `label`,
//! `annotate` and `set image` a get then a patch per object; `expose` and `autoscale` a get and
//! a create; `cordon`, `uncordon`, `drain` a get and a patch per node (`drain` then a list of
//! pods); `wait` a get per object; `top` the `metrics.k8s.io` objects. Writes are left out
//! with `--dry-run=client`. Discovery, `version`, `config`, `auth can-i` and `cluster-info`
//! plan none. Types come from [`KINDS`]; an unknown type has no group and keeps its spelling.
//!
//! # Output filters
//!
//! The command line is split as the call splits it ([`filters::split_command`]): the first
//! stage is the kubectl command, and the output filters after an unquoted `|` (`| grep x`) are
//! checked but are not part of the normalized command. When the first filter is `jq`, the
//! command is the one that runs: `get pods | jq .` is `kubectl get pod --output=json ...`
//! ([`crate::pipe::command_words`]).

use crate::cli::{self, Arity, Parsed};
use crate::commands::{self, DryRun};
use crate::help;
use crate::targets::{self, Target};
use crate::tool::{self, CallError};
use kap_sdk::api::{Failure, Verb};
use kap_sdk::filters;

/// The command family of every plan this plugin makes.
pub const FAMILY: &str = "kubectl";

/// What a call stands for (mapped to the WIT `call-plan` in `lib.rs`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Always [`FAMILY`].
    pub family: String,
    /// The normalized command line (see the module documentation).
    pub command: String,
    /// The requests the call is expected to make, in order.
    pub requests: Vec<PlannedRequest>,
    /// What the call stands for beyond its requests (the WIT `call-plan.facts`):
    /// [`ROLLOUT_UNDO`] for `rollout undo`, else empty.
    pub facts: Vec<String>,
}

/// The fact of a `rollout undo` (it restores an older pod template; the host's policy asks
/// for confirmation: `default.confirm-rollout-undo`).
pub const ROLLOUT_UNDO: &str = "rollout-undo";

/// One request a call is expected to make (the WIT `planned-request`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedRequest {
    pub verb: Verb,
    /// API group (`""` for core) when the kind is in [`KINDS`]; `None` when unknown.
    pub group: Option<String>,
    /// Plural resource name, or the type as typed when unknown.
    pub resource: String,
    pub subresource: Option<String>,
    pub namespace: Option<String>,
    pub name: Option<String>,
}

/// A well-known resource kind, as discovery describes it on a stock cluster.
#[derive(Debug)]
pub struct Kind {
    /// API group; empty for core.
    pub group: &'static str,
    /// Plural resource name (`deployments`).
    pub plural: &'static str,
    /// Singular resource name (`deployment`), the kind in lowercase.
    pub singular: &'static str,
    /// kubectl's short names (`deploy`).
    pub short: &'static [&'static str],
    pub namespaced: bool,
}

const fn kind(
    group: &'static str,
    plural: &'static str,
    singular: &'static str,
    short: &'static [&'static str],
    namespaced: bool,
) -> Kind {
    Kind {
        group,
        plural,
        singular,
        short,
        namespaced,
    }
}

/// The well-known kinds, core group first (kubectl's precedence for `events`).
pub static KINDS: &[Kind] = &[
    kind("", "pods", "pod", &["po"], true),
    kind("", "services", "service", &["svc"], true),
    kind("", "configmaps", "configmap", &["cm"], true),
    kind("", "secrets", "secret", &[], true),
    kind("", "namespaces", "namespace", &["ns"], false),
    kind("", "nodes", "node", &["no"], false),
    kind(
        "",
        "persistentvolumeclaims",
        "persistentvolumeclaim",
        &["pvc"],
        true,
    ),
    kind("", "persistentvolumes", "persistentvolume", &["pv"], false),
    kind("", "serviceaccounts", "serviceaccount", &["sa"], true),
    kind("", "endpoints", "endpoints", &["ep"], true),
    kind("", "events", "event", &["ev"], true),
    kind(
        "",
        "replicationcontrollers",
        "replicationcontroller",
        &["rc"],
        true,
    ),
    kind("", "resourcequotas", "resourcequota", &["quota"], true),
    kind("", "limitranges", "limitrange", &["limits"], true),
    kind("", "podtemplates", "podtemplate", &[], true),
    kind("", "componentstatuses", "componentstatus", &["cs"], false),
    kind("apps", "deployments", "deployment", &["deploy"], true),
    kind("apps", "statefulsets", "statefulset", &["sts"], true),
    kind("apps", "daemonsets", "daemonset", &["ds"], true),
    kind("apps", "replicasets", "replicaset", &["rs"], true),
    kind(
        "apps",
        "controllerrevisions",
        "controllerrevision",
        &[],
        true,
    ),
    kind("batch", "jobs", "job", &[], true),
    kind("batch", "cronjobs", "cronjob", &["cj"], true),
    kind(
        "autoscaling",
        "horizontalpodautoscalers",
        "horizontalpodautoscaler",
        &["hpa"],
        true,
    ),
    kind("networking.k8s.io", "ingresses", "ingress", &["ing"], true),
    kind(
        "networking.k8s.io",
        "networkpolicies",
        "networkpolicy",
        &["netpol"],
        true,
    ),
    kind(
        "networking.k8s.io",
        "ingressclasses",
        "ingressclass",
        &[],
        false,
    ),
    kind(
        "policy",
        "poddisruptionbudgets",
        "poddisruptionbudget",
        &["pdb"],
        true,
    ),
    kind("rbac.authorization.k8s.io", "roles", "role", &[], true),
    kind(
        "rbac.authorization.k8s.io",
        "rolebindings",
        "rolebinding",
        &[],
        true,
    ),
    kind(
        "rbac.authorization.k8s.io",
        "clusterroles",
        "clusterrole",
        &[],
        false,
    ),
    kind(
        "rbac.authorization.k8s.io",
        "clusterrolebindings",
        "clusterrolebinding",
        &[],
        false,
    ),
    kind(
        "apiextensions.k8s.io",
        "customresourcedefinitions",
        "customresourcedefinition",
        &["crd", "crds"],
        false,
    ),
    kind(
        "storage.k8s.io",
        "storageclasses",
        "storageclass",
        &["sc"],
        false,
    ),
    kind(
        "storage.k8s.io",
        "volumeattachments",
        "volumeattachment",
        &[],
        false,
    ),
    kind("storage.k8s.io", "csidrivers", "csidriver", &[], false),
    kind("storage.k8s.io", "csinodes", "csinode", &[], false),
    kind(
        "discovery.k8s.io",
        "endpointslices",
        "endpointslice",
        &[],
        true,
    ),
    kind("coordination.k8s.io", "leases", "lease", &[], true),
    kind(
        "scheduling.k8s.io",
        "priorityclasses",
        "priorityclass",
        &["pc"],
        false,
    ),
    kind("node.k8s.io", "runtimeclasses", "runtimeclass", &[], false),
    kind(
        "certificates.k8s.io",
        "certificatesigningrequests",
        "certificatesigningrequest",
        &["csr"],
        false,
    ),
    kind(
        "admissionregistration.k8s.io",
        "validatingwebhookconfigurations",
        "validatingwebhookconfiguration",
        &[],
        false,
    ),
    kind(
        "admissionregistration.k8s.io",
        "mutatingwebhookconfigurations",
        "mutatingwebhookconfiguration",
        &[],
        false,
    ),
    kind(
        "apiregistration.k8s.io",
        "apiservices",
        "apiservice",
        &[],
        false,
    ),
];

/// The built-in members of the `all` category, in the order `kubectl get all` prints them.
const ALL_CATEGORY: &[&str] = &[
    "pods",
    "replicationcontrollers",
    "services",
    "daemonsets",
    "deployments",
    "replicasets",
    "statefulsets",
    "horizontalpodautoscalers",
    "cronjobs",
    "jobs",
];

fn is_version(v: &str) -> bool {
    v.strip_prefix('v')
        .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit()))
}

/// Looks a type up as kubectl users type it: plural, singular (the kind), short name, any
/// case, optionally qualified as `NAME.GROUP` or `NAME.VERSION.GROUP` (not for the core
/// group). `None` for anything not in [`KINDS`].
pub fn lookup(typed: &str) -> Option<&'static Kind> {
    let t = typed.to_ascii_lowercase();
    let (name, qual) = match t.split_once('.') {
        Some((n, q)) => (n, Some(q)),
        None => (t.as_str(), None),
    };
    KINDS.iter().find(|k| {
        (k.plural == name || k.singular == name || k.short.contains(&name))
            && match qual {
                None => true,
                Some(q) => {
                    !k.group.is_empty()
                        && (q == k.group
                            || q.split_once('.')
                                .is_some_and(|(v, g)| g == k.group && is_version(v)))
                }
            }
    })
}

/// The normalized spelling of a resource type: the singular name of a known kind, else the
/// type as typed in lowercase.
pub fn normalize_type(typed: &str) -> String {
    lookup(typed).map_or_else(|| typed.to_lowercase(), |k| k.singular.to_string())
}

/// A resource type as far as the static table knows it.
#[derive(Debug, Clone)]
struct Res {
    group: Option<String>,
    resource: String,
    namespaced: bool,
}

impl Res {
    fn of(typed: &str) -> Res {
        match lookup(typed) {
            Some(k) => Res::known(k),
            // Unknown kinds (CRDs) are assumed namespaced: the namespace is then always named.
            None => Res {
                group: None,
                resource: typed.to_string(),
                namespaced: true,
            },
        }
    }

    fn known(k: &Kind) -> Res {
        Res {
            group: Some(k.group.to_string()),
            resource: k.plural.to_string(),
            namespaced: k.namespaced,
        }
    }

    fn named(plural: &str) -> Res {
        Res::of(plural)
    }

    /// The types `typed` stands for: the `all` category expanded, else one.
    fn expand(typed: &str) -> Vec<Res> {
        if typed.eq_ignore_ascii_case("all") {
            ALL_CATEGORY.iter().map(|p| Res::of(p)).collect()
        } else {
            vec![Res::of(typed)]
        }
    }

    fn req(&self, verb: Verb, ns: Option<&str>, name: Option<&str>) -> PlannedRequest {
        PlannedRequest {
            verb,
            group: self.group.clone(),
            resource: self.resource.clone(),
            subresource: None,
            namespace: if self.namespaced {
                ns.map(str::to_string)
            } else {
                None
            },
            name: name.map(str::to_string),
        }
    }

    fn sub(&self, verb: Verb, sub: &str, ns: &str, name: &str) -> PlannedRequest {
        PlannedRequest {
            subresource: Some(sub.to_string()),
            ..self.req(verb, Some(ns), Some(name))
        }
    }
}

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
fn resolved(merged: &[(String, Vec<String>)]) -> Vec<(Res, Vec<String>)> {
    let mut out: Vec<(Res, Vec<String>)> = Vec::new();
    for (t, names) in merged {
        for r in Res::expand(t) {
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

fn quote(s: &str) -> String {
    if s.chars().any(char::is_whitespace) {
        format!("'{}'", s.replace('\'', r"'\''"))
    } else {
        s.to_string()
    }
}

/// A plan under construction.
struct Builder<'a> {
    p: &'a Parsed,
    /// The namespace the command acts in: `-n`, else the default.
    ns: String,
    words: Vec<String>,
    /// Flags to write besides the parsed ones (name, value; `None` for a true boolean).
    extra: Vec<(String, Option<String>)>,
    /// Whether `--namespace=NS` is written.
    namespaced: bool,
    requests: Vec<PlannedRequest>,
}

impl Builder<'_> {
    fn all_ns(&self) -> bool {
        self.p.bool("all-namespaces")
    }

    fn dry_client(&self) -> Result<bool, CallError> {
        Ok(DryRun::from(self.p).map_err(failure)? == DryRun::Client)
    }

    /// The flags, sorted by name, each as `--name[=value]`.
    fn flags(&self) -> Vec<String> {
        let mut flags: Vec<(String, Option<String>)> = Vec::new();
        for (i, (name, given)) in self.p.flags.iter().enumerate() {
            let name = *name;
            let spec = cli::flags_for(&self.p.sub).find(|f| f.long == name);
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
        if self.namespaced {
            flags.push(("namespace".into(), Some(self.ns.clone())));
        }
        // A stable sort: the values of a repeated flag stay in the order given.
        flags.sort_by(|a, b| a.0.cmp(&b.0));
        flags
            .into_iter()
            .map(|(n, v)| match v {
                None => format!("--{n}"),
                Some(v) => format!("--{n}={}", quote(&v)),
            })
            .collect()
    }

    fn finish(self) -> Plan {
        let mut parts = vec![FAMILY.to_string()];
        parts.extend(self.words.iter().map(|w| quote(w)));
        parts.extend(self.flags());
        let facts =
            if self.words.len() >= 2 && self.words[0] == "rollout" && self.words[1] == "undo" {
                vec![ROLLOUT_UNDO.to_string()]
            } else {
                Vec::new()
            };
        Plan {
            family: FAMILY.into(),
            command: parts.join(" "),
            requests: self.requests,
            facts,
        }
    }

    /// `get` and `describe`: a list per type without names, a get per name.
    fn get_like(&mut self, describe: bool) -> Result<(), CallError> {
        let targets = targets::parse_targets(&self.p.args).map_err(CallError::InvalidArguments)?;
        let merged = merge_targets(&targets);
        self.words.extend(target_words(&merged));
        let all_ns = self.all_ns();
        let show_events = self.p.value("show-events") != Some("false");
        let ns = self.ns.clone();
        for (res, names) in resolved(&merged) {
            let across = all_ns && names.is_empty();
            self.namespaced |= res.namespaced && !across;
            if names.is_empty() {
                let list_ns = (!across).then_some(ns.as_str());
                self.requests.push(res.req(Verb::List, list_ns, None));
                continue;
            }
            for name in &names {
                self.requests
                    .push(res.req(Verb::Get, Some(&ns), Some(name)));
                if describe {
                    self.describe_follow_ups(&res, name, show_events);
                }
            }
        }
        Ok(())
    }

    /// What `describe` reads about one object besides the object (`commands::describe`).
    fn describe_follow_ups(&mut self, res: &Res, name: &str, show_events: bool) {
        let ns = self.ns.clone();
        let group = res.group.as_deref();
        match (group, res.resource.as_str()) {
            (Some("apps"), "deployments") => {
                self.requests
                    .push(Res::named("replicasets").req(Verb::List, Some(&ns), None));
            }
            (Some(""), "services") => {
                self.requests
                    .push(Res::named("endpointslices").req(Verb::List, Some(&ns), None));
            }
            (Some(""), "nodes") => {
                self.requests
                    .push(Res::named("pods").req(Verb::List, None, None));
            }
            (Some(""), "namespaces") => {
                self.requests
                    .push(Res::named("resourcequotas").req(Verb::List, Some(name), None));
            }
            (Some(""), "secrets") => return,
            _ => {}
        }
        if show_events {
            let events_ns = res.namespaced.then_some(ns.as_str());
            self.requests
                .push(Res::named("events").req(Verb::List, events_ns, None));
        }
    }

    /// `delete`: one DELETE per name (none with `--dry-run=client`).
    fn delete(&mut self) -> Result<(), CallError> {
        let targets = targets::parse_targets(&self.p.args).map_err(CallError::InvalidArguments)?;
        let merged = merge_targets(&targets);
        self.words.extend(target_words(&merged));
        let dry_client = self.dry_client()?;
        let ns = self.ns.clone();
        for (res, names) in resolved(&merged) {
            self.namespaced |= res.namespaced;
            if dry_client {
                continue;
            }
            for name in &names {
                self.requests
                    .push(res.req(Verb::Delete, Some(&ns), Some(name)));
            }
        }
        Ok(())
    }

    /// `scale`: per name, a get of `scale` with `--current-replicas`, then a merge patch of
    /// `scale` (none with `--dry-run=client`).
    fn scale(&mut self) -> Result<(), CallError> {
        let targets = targets::parse_targets(&self.p.args).map_err(CallError::InvalidArguments)?;
        let merged = merge_targets(&targets);
        self.words.extend(target_words(&merged));
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
                    self.requests.push(res.sub(Verb::Get, "scale", &ns, name));
                }
                if !dry_client {
                    self.requests.push(res.sub(Verb::Patch, "scale", &ns, name));
                }
            }
        }
        Ok(())
    }

    /// `rollout ACTION TYPE NAME`: `status` gets the object; `restart`, `pause` and `resume`
    /// patch it (not with `--dry-run=client`); `history` gets the deployment and lists its
    /// replica sets, and `undo` then patches the deployment.
    fn rollout(&mut self) -> Result<(), CallError> {
        let Some((action, rest)) = self.p.args.split_first() else {
            self.namespaced = true;
            return Ok(());
        };
        self.words.push(action.clone());
        let targets = targets::parse_targets(rest).map_err(CallError::InvalidArguments)?;
        let merged = merge_targets(&targets);
        self.words.extend(target_words(&merged));
        let writes = matches!(action.as_str(), "restart" | "pause" | "resume" | "undo")
            && !self.dry_client()?;
        let ns = self.ns.clone();
        let resolved = resolved(&merged);
        self.namespaced = resolved.is_empty() || resolved.iter().any(|(r, _)| r.namespaced);
        for (res, names) in resolved {
            for name in &names {
                let history = matches!(action.as_str(), "history" | "undo");
                if action == "status" || history {
                    self.requests
                        .push(res.req(Verb::Get, Some(&ns), Some(name)));
                }
                if history {
                    self.requests
                        .push(Res::named("replicasets").req(Verb::List, Some(&ns), None));
                }
                if writes {
                    self.requests
                        .push(res.req(Verb::Patch, Some(&ns), Some(name)));
                }
            }
        }
        Ok(())
    }

    /// `logs POD [CONTAINER]`: the pod (to pick the container) unless `-c` names one, then
    /// `pods/log`.
    fn logs(&mut self) -> Result<(), CallError> {
        self.namespaced = true;
        let Some(first) = self.p.args.first() else {
            return Ok(());
        };
        let pod = match first.split_once('/') {
            Some(("pod" | "pods" | "po", n)) => n.to_string(),
            Some((t, n)) => {
                // Refused by the call (only pods); written as typed.
                self.words.extend([normalize_type(t), n.to_string()]);
                self.words.extend(self.p.args[1..].iter().cloned());
                return Ok(());
            }
            None => first.clone(),
        };
        targets::validate_name(&pod).map_err(CallError::InvalidArguments)?;
        self.words.extend(["pod".to_string(), pod.clone()]);
        let container = self.p.value("container").map(str::to_string);
        match self.p.args.get(1) {
            Some(c) if container.is_none() && self.p.args.len() == 2 => {
                self.extra.push(("container".into(), Some(c.clone())));
            }
            _ => self.words.extend(self.p.args.iter().skip(1).cloned()),
        }
        let named = container.is_some() || self.p.args.len() == 2;
        let pods = Res::named("pods");
        let ns = self.ns.clone();
        if self.p.bool("all-containers") || !named {
            self.requests
                .push(pods.req(Verb::Get, Some(&ns), Some(&pod)));
        }
        self.requests.push(pods.sub(Verb::Get, "log", &ns, &pod));
        Ok(())
    }

    /// `events`: a list of events in the namespace, or across all namespaces with `-A`.
    fn events(&mut self) {
        self.words.extend(self.p.args.iter().cloned());
        let across = self.all_ns();
        self.namespaced = !across;
        let ns = self.ns.clone();
        self.requests.push(Res::named("events").req(
            Verb::List,
            (!across).then_some(ns.as_str()),
            None,
        ));
    }

    /// `apply -f -`: a server-side apply patch per object of the manifest.
    fn apply(&mut self, manifest: Option<&str>) -> Result<(), CallError> {
        self.words.extend(self.p.args.iter().cloned());
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
        let Some(docs) = manifest.and_then(|m| commands::apply::parse_manifest(m).ok()) else {
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
            let (group, _) = commands::apply::split_api_version(&av);
            let lower = kind.to_ascii_lowercase();
            let res = KINDS
                .iter()
                .find(|k| k.group == group && k.singular == lower)
                .map_or_else(
                    || Res {
                        group: Some(group.to_string()),
                        resource: kind.clone(),
                        namespaced: true,
                    },
                    Res::known,
                );
            let doc_ns = field(&["metadata", "namespace"]);
            let ns = if doc_ns.is_empty() {
                self.ns.clone()
            } else {
                doc_ns
            };
            // A create is a POST to the collection: no name.
            let name = (verb != Verb::Create).then_some(name.as_str());
            self.requests.push(res.req(verb, Some(&ns), name));
        }
        Ok(())
    }

    /// `create KIND NAME ...` (kubectl's generators) and `create -f -`: one POST per object
    /// (`create job --from=cronjob/NAME` reads the cron job first).
    fn create(&mut self, manifest: Option<&str>) -> Result<(), CallError> {
        let p = self.p;
        if p.given("filename") || (p.args.is_empty() && manifest.is_some()) {
            self.words.extend(p.args.iter().cloned());
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
        let res = Res::named(plural);
        self.namespaced = res.namespaced;
        let ns = self.ns.clone();
        if what == "job"
            && let Some((t, n)) = p.value("from").and_then(|f| f.split_once('/'))
            && normalize_type(t) == "cronjob"
        {
            self.requests
                .push(Res::named("cronjobs").req(Verb::Get, Some(&ns), Some(n)));
        }
        if !self.dry_client()? {
            self.requests.push(res.req(Verb::Create, Some(&ns), None));
        }
        Ok(())
    }

    /// Targets as `TYPE NAME...` / `TYPE/NAME...`: written normalized, the namespace written
    /// when one of them is namespaced (or unknown); the resources with their names.
    fn targets(&mut self, args: &[String]) -> Result<Vec<(Res, Vec<String>)>, CallError> {
        let targets = targets::parse_targets(args).map_err(CallError::InvalidArguments)?;
        let merged = merge_targets(&targets);
        self.words.extend(target_words(&merged));
        let resolved = resolved(&merged);
        self.namespaced |= resolved.iter().any(|(r, _)| r.namespaced);
        Ok(resolved)
    }

    /// `patch TYPE NAME -p PATCH`: per object a get, then a patch (of `--subresource` when
    /// given; no patch with `--dry-run=client`).
    fn patch(&mut self) -> Result<(), CallError> {
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
                    let mut r = res.req(verb, Some(&ns), Some(name));
                    r.subresource = sub.map(str::to_string);
                    self.requests.push(r);
                }
            }
        }
        Ok(())
    }

    /// `label`, `annotate` (`skip` 0) and `set image` (`skip` 1): `TYPE NAME... KEY=VALUE...`;
    /// a get per named object, then a merge or strategic patch of each (none with
    /// `--dry-run=client`); with `-l` a list per type (the objects found are patched too).
    fn update(&mut self, skip: usize, what: &str) -> Result<(), CallError> {
        let p = self.p;
        let (resources, pairs) =
            commands::label::split_pairs(&p.args[skip..], what).map_err(failure)?;
        let resolved = self.targets(&resources)?;
        self.words.extend(pairs.iter().map(|s| s.to_string()));
        let dry_client = self.dry_client()?;
        let ns = self.ns.clone();
        let mut patches = Vec::new();
        for (res, names) in resolved {
            if p.value("selector").is_some() {
                self.requests.push(res.req(Verb::List, Some(&ns), None));
                continue;
            }
            for name in &names {
                self.requests
                    .push(res.req(Verb::Get, Some(&ns), Some(name)));
                if !dry_client {
                    patches.push(res.req(Verb::Patch, Some(&ns), Some(name)));
                }
            }
        }
        self.requests.extend(patches);
        Ok(())
    }

    /// `expose TYPE NAME` and `autoscale TYPE NAME`: a get of the object, then the create of
    /// a service or a horizontal pod autoscaler (none with `--dry-run=client`).
    fn expose(&mut self, creates: &str) -> Result<(), CallError> {
        self.namespaced = true;
        let resolved = self.targets(&self.p.args)?;
        let ns = self.ns.clone();
        for (res, names) in resolved {
            for name in &names {
                self.requests
                    .push(res.req(Verb::Get, Some(&ns), Some(name)));
            }
        }
        if !self.dry_client()? {
            self.requests
                .push(Res::named(creates).req(Verb::Create, Some(&ns), None));
        }
        Ok(())
    }

    /// `cordon`, `uncordon` and `drain NODE...` (`node/NAME` is `NAME`): a get and a patch of
    /// each node (no patch with `--dry-run=client`); `drain` then lists the node's pods (the
    /// evictions depend on them).
    fn nodes(&mut self) -> Result<(), CallError> {
        let dry_client = self.dry_client()?;
        let nodes = Res::named("nodes");
        for a in &self.p.args {
            let n = a
                .strip_prefix("node/")
                .or_else(|| a.strip_prefix("nodes/"))
                .unwrap_or(a);
            self.words.push(n.to_string());
            self.requests.push(nodes.req(Verb::Get, None, Some(n)));
            if !dry_client {
                self.requests.push(nodes.req(Verb::Patch, None, Some(n)));
            }
            if self.p.sub == "drain" {
                self.requests
                    .push(Res::named("pods").req(Verb::List, None, None));
            }
        }
        Ok(())
    }

    /// `wait TYPE NAME... --for=...`: a get per named object (repeated until the condition
    /// holds), or a list per type with `-l`.
    fn wait(&mut self) -> Result<(), CallError> {
        let resolved = self.targets(&self.p.args)?;
        let ns = self.ns.clone();
        for (res, names) in resolved {
            if self.p.value("selector").is_some() {
                self.requests.push(res.req(Verb::List, Some(&ns), None));
            }
            for name in &names {
                self.requests
                    .push(res.req(Verb::Get, Some(&ns), Some(name)));
            }
        }
        Ok(())
    }

    /// `top pod|node [NAME]`: the `metrics.k8s.io` objects (one, or a list), and for nodes the
    /// nodes themselves.
    fn top(&mut self) {
        self.generic();
        let name = self.p.args.get(1).map(String::as_str);
        let metrics = |plural: &str, namespaced: bool| Res {
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
                self.requests
                    .push(metrics("pods", true).req(verb, ns, name));
            }
            Some("node" | "nodes" | "no") => {
                self.requests
                    .push(metrics("nodes", false).req(verb, None, name));
                self.requests
                    .push(Res::named("nodes").req(verb, None, name));
            }
            _ => {}
        }
    }

    /// `auth can-i VERB TYPE[/NAME] [NAME]`: an access review, not a request.
    fn auth(&mut self) {
        let args = &self.p.args;
        let target = match args.as_slice() {
            [sub, verb, rest @ ..] if sub == "can-i" => {
                self.words.extend([sub.clone(), verb.clone()]);
                rest
            }
            _ => {
                self.words.extend(args.iter().cloned());
                self.namespaced = !self.all_ns();
                return;
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
        let namespaced = ty == "*" || ty.is_empty() || Res::of(ty).namespaced;
        if !ty.is_empty() {
            self.words.push(normalize_type(ty));
        }
        self.words.extend(names);
        self.namespaced = namespaced && !self.all_ns();
    }

    /// A subcommand without a dedicated shape (`set env`, a subcommand added later), no
    /// requests planned: the first argument as a type list when every element is a known type
    /// (`top pods` is `top pod`), `TYPE/NAME` split when `TYPE` is known (`set env
    /// deploy/web` is `set env deployment web`), the rest as typed. The namespace is written
    /// unless `-A`, a cluster-scoped type, or a command that takes node names (`cordon`,
    /// `uncordon`, `drain`) or none (`cluster-info`).
    fn generic(&mut self) {
        let sub = self.p.sub.as_str();
        let node_names = matches!(sub, "cordon" | "uncordon" | "drain");
        let mut types: Vec<Res> = Vec::new();
        for (i, a) in self.p.args.iter().enumerate() {
            if node_names {
                self.words.push(a.clone());
            } else if let Some((t, n)) = a.split_once('/')
                && lookup(t).is_some()
            {
                types.push(Res::of(t));
                self.words.extend([normalize_type(t), n.to_string()]);
            } else if i == 0 && a.split(',').all(|t| lookup(t).is_some()) {
                types.extend(a.split(',').map(Res::of));
                let names: Vec<String> = a.split(',').map(normalize_type).collect();
                self.words.push(names.join(","));
            } else {
                self.words.push(a.clone());
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

fn help_plan(topic: &str) -> Result<Plan, CallError> {
    help::help_for(topic).map_err(CallError::InvalidArguments)?;
    let mut command = format!("{FAMILY} help");
    for w in topic.split_whitespace() {
        command.push(' ');
        command.push_str(w);
    }
    Ok(Plan {
        family: FAMILY.into(),
        command,
        requests: Vec::new(),
        facts: Vec::new(),
    })
}

/// Plans one tool call: `Some` for `execute_kubectl`, `None` for the other tools of this
/// plugin (`describe_kubectl` only prints help), [`CallError::UnknownTool`] for a name that is
/// not a tool. Errors are the ones the call itself would give for the same arguments (see the
/// module documentation for how far the checks go).
pub fn plan(
    name: &str,
    arguments: &str,
    default_namespace: &str,
) -> Result<Option<Plan>, CallError> {
    plan_value(name, &tool::parse(arguments)?, default_namespace)
}

/// [`plan`] with the arguments already read as JSON (as [`kap_sdk::Plugin::plan_call`] gets
/// them).
pub fn plan_value(
    name: &str,
    arguments: &serde_json::Value,
    default_namespace: &str,
) -> Result<Option<Plan>, CallError> {
    if name != "execute_kubectl" {
        return if tool::tools().iter().any(|t| t.name == name) {
            Ok(None)
        } else {
            Err(CallError::UnknownTool(name.to_string()))
        };
    }
    // The argument checks of `tool::call`, in its order and with its messages.
    let m = tool::object(arguments)?;
    let Some(command) = tool::opt_string(&m, "command")? else {
        return Err(CallError::InvalidArguments(
            "`command` is required: a kubectl command line".into(),
        ));
    };
    if let Some(t) = m.get("timeout")
        && !t.is_null()
        && !t.is_u64()
    {
        return Err(CallError::InvalidArguments(
            "`timeout` must be a whole number of seconds".into(),
        ));
    }
    let manifest = tool::opt_string(&m, "manifest")?;
    let (words, pipeline) =
        filters::split_command(&command).map_err(CallError::InvalidArguments)?;
    if words.is_empty() || (words.len() == 1 && words[0] == "kubectl") {
        return Err(CallError::InvalidArguments(
            "`command` is empty: give a kubectl command such as `get pods`".into(),
        ));
    }
    let words =
        crate::pipe::command_words(&pipeline, &words).map_err(CallError::InvalidArguments)?;
    plan_words(&words, manifest.as_deref(), default_namespace).map(Some)
}

/// Plans a command line already split into words (with or without the leading `kubectl`),
/// with the steps and messages of [`commands::run`] before it dispatches.
pub fn plan_words(
    words: &[String],
    manifest: Option<&str>,
    default_namespace: &str,
) -> Result<Plan, CallError> {
    let usage = |e: cli::CliError| CallError::InvalidArguments(e.0);
    let words = cli::strip_kubectl(words);
    cli::check_forbidden(words).map_err(usage)?;
    let sub = cli::find_subcommand(words).unwrap_or_default();
    if sub == "help" {
        let topic: Vec<&str> = words
            .iter()
            .skip_while(|w| *w != "help")
            .skip(1)
            .filter(|w| !w.starts_with('-'))
            .map(String::as_str)
            .collect();
        return help_plan(&topic.join(" "));
    }
    if commands::REFUSED.contains(&sub.as_str()) {
        return Err(CallError::InvalidArguments(format!(
            "kubectl {sub} is not available: interactive, streaming and file-copying commands are refused by design"
        )));
    }
    if let Some((_, why)) = commands::NOT_POSSIBLE.iter().find(|(n, _)| *n == sub) {
        return Err(CallError::InvalidArguments(format!(
            "kubectl {sub} is not available: {why}"
        )));
    }
    if !sub.is_empty() && !commands::SUPPORTED.contains(&sub.as_str()) {
        return Err(CallError::InvalidArguments(format!(
            "kubectl {sub} is not supported yet; supported subcommands: {}",
            commands::SUPPORTED.join(", ")
        )));
    }
    let p = cli::parse_with(words, &sub).map_err(usage)?;
    if p.bool("help") || sub.is_empty() {
        let topic = match (sub.as_str(), p.args.first()) {
            ("rollout" | "auth" | "config" | "create" | "set" | "top", Some(a)) => {
                format!("{sub} {a}")
            }
            _ => sub.clone(),
        };
        return help_plan(&topic);
    }
    if let Some(ns) = p.namespace() {
        targets::validate_namespace(ns).map_err(CallError::InvalidArguments)?;
    }
    build(&p, manifest, default_namespace)
}

/// Plans a parsed command line of a subcommand the plugin runs (after the checks of
/// [`plan_words`]).
pub fn build(
    p: &Parsed,
    manifest: Option<&str>,
    default_namespace: &str,
) -> Result<Plan, CallError> {
    let mut b = Builder {
        p,
        ns: p.namespace().unwrap_or(default_namespace).to_string(),
        words: vec![p.sub.clone()],
        extra: Vec::new(),
        namespaced: false,
        requests: Vec::new(),
    };
    match p.sub.as_str() {
        "get" => b.get_like(false)?,
        "describe" => b.get_like(true)?,
        "delete" => b.delete()?,
        "scale" => b.scale()?,
        "rollout" => b.rollout()?,
        "logs" => b.logs()?,
        "events" => b.events(),
        "apply" => b.apply(manifest)?,
        "create" => b.create(manifest)?,
        "patch" => b.patch()?,
        "label" => b.update(0, "label")?,
        "annotate" => b.update(0, "annotation")?,
        "set" if p.args.first().is_some_and(|a| a == "image") => {
            b.words.push("image".into());
            b.update(1, "container image")?;
        }
        "expose" => b.expose("services")?,
        "autoscale" => b.expose("horizontalpodautoscalers")?,
        "cordon" | "uncordon" | "drain" => b.nodes()?,
        "wait" => b.wait()?,
        "top" => b.top(),
        "auth" => b.auth(),
        "config" | "api-resources" | "api-versions" | "version" | "cluster-info" => {
            b.words.extend(p.args.iter().cloned());
        }
        "explain" => b.words.extend(p.args.iter().map(|a| explain_target(a))),
        _ => b.generic(),
    }
    Ok(b.finish())
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const DEFAULT_NS: &str = "default";

    fn plan_of(command: &str) -> Plan {
        plan_args(json!({ "command": command }))
    }

    fn plan_args(args: serde_json::Value) -> Plan {
        match plan("execute_kubectl", &args.to_string(), DEFAULT_NS) {
            Ok(Some(p)) => p,
            other => panic!("{args}: {other:?}"),
        }
    }

    /// Plans with the grammar of `cli`, whether `commands` runs the subcommand yet or not.
    fn built(command: &str, manifest: Option<&str>) -> Plan {
        let words = kap_sdk::shell::tokenize(command).unwrap();
        let p = cli::parse_with(&words, &words[0]).unwrap_or_else(|e| panic!("{command}: {e}"));
        build(&p, manifest, DEFAULT_NS).unwrap()
    }

    fn norm(command: &str) -> String {
        plan_of(command).command
    }

    #[test]
    fn rollout_undo_is_a_fact() {
        assert_eq!(
            plan_of("rollout undo deploy/web -n a").facts,
            [ROLLOUT_UNDO]
        );
        assert_eq!(
            plan_of("rollout undo deploy/web --to-revision=2").facts,
            [ROLLOUT_UNDO]
        );
        assert!(plan_of("rollout restart deploy/web").facts.is_empty());
        assert!(plan_of("get pods").facts.is_empty());
        assert!(plan_of("help rollout").facts.is_empty());
    }

    fn err(command: &str) -> String {
        match plan(
            "execute_kubectl",
            &json!({ "command": command }).to_string(),
            DEFAULT_NS,
        ) {
            Err(CallError::InvalidArguments(m)) => m,
            other => panic!("{command:?} should fail, got {other:?}"),
        }
    }

    fn req(
        verb: Verb,
        group: Option<&str>,
        resource: &str,
        subresource: Option<&str>,
        namespace: Option<&str>,
        name: Option<&str>,
    ) -> PlannedRequest {
        PlannedRequest {
            verb,
            group: group.map(str::to_string),
            resource: resource.into(),
            subresource: subresource.map(str::to_string),
            namespace: namespace.map(str::to_string),
            name: name.map(str::to_string),
        }
    }

    #[test]
    fn plan_same_command_in_every_spelling() {
        for c in [
            "kubectl -n kube-system delete   pod x",
            "kubectl delete pod x --namespace kube-system",
            "kubectl delete po/x -n=kube-system",
            "kubectl delete --namespace=kube-system pods x",
            "delete pods x -nkube-system",
            "kubectl delete Pod x --namespace=default -n kube-system",
            "  delete\tpod/x --namespace=kube-system --request-timeout=5s --wait",
            "kubectl delete pod x x -n kube-system",
        ] {
            assert_eq!(
                norm(c),
                "kubectl delete pod x --namespace=kube-system",
                "{c:?}"
            );
        }
        assert_eq!(
            plan_of("kubectl -n kube-system delete pod x").requests,
            [req(
                Verb::Delete,
                Some(""),
                "pods",
                None,
                Some("kube-system"),
                Some("x")
            )]
        );
    }

    #[test]
    fn plan_paging_and_grep_flags() {
        // The extension flags are kept: they choose which objects and lines are returned.
        assert_eq!(
            norm("get pods -A --limit 25 --continue=eyJ2IjoibWV0YS5rOHMuaW8vdjEifQ=="),
            "kubectl get pod --all-namespaces --continue=eyJ2IjoibWV0YS5rOHMuaW8vdjEifQ== --limit=25"
        );
        assert_eq!(
            norm("get po -n x --continue a --continue=b --limit=5 --limit=7"),
            "kubectl get pod --continue=b --limit=7 --namespace=x"
        );
        assert_eq!(
            norm("logs web --grep 'time out' --tail=5 -c app"),
            "kubectl logs pod web --container=app --grep='time out' --namespace=default --tail=5"
        );
        assert_eq!(
            plan_of("get pods --limit=5 --continue=t").requests,
            [req(
                Verb::List,
                Some(""),
                "pods",
                None,
                Some("default"),
                None
            )]
        );
        assert!(err("logs web --limit=5").contains("unknown flag"));
    }

    #[test]
    fn plan_default_namespace_and_flag_order() {
        assert_eq!(
            norm("delete pod x"),
            "kubectl delete pod x --namespace=default"
        );
        assert_eq!(
            norm("get -o wide pods -l app=web -A"),
            norm("get pods --all_namespaces --selector=app=web --output wide")
        );
        assert_eq!(
            norm("get pods -Ao wide -l app=web"),
            "kubectl get pod --all-namespaces --output=wide --selector=app=web"
        );
        assert_eq!(
            norm("get pods -A=false"),
            "kubectl get pod --all-namespaces=false --namespace=default"
        );
        assert_eq!(
            norm("get pods -l 'app in (a,b)' -n a -n b"),
            "kubectl get pod --namespace=b --selector='app in (a,b)'"
        );
        assert_eq!(
            norm("delete pod x --dry-run --cascade=false --force --grace-period 0"),
            "kubectl delete pod x --cascade=orphan --dry-run=client --force --grace-period=0 --namespace=default"
        );
    }

    #[test]
    fn plan_kinds_are_normalized() {
        for (typed, want) in [
            ("po", "pod"),
            ("pods", "pod"),
            ("Pod", "pod"),
            ("deploy", "deployment"),
            ("deployments", "deployment"),
            ("deployment.apps", "deployment"),
            ("deployments.apps", "deployment"),
            ("deployments.v1.apps", "deployment"),
            ("svc", "service"),
            ("sts", "statefulset"),
            ("ds", "daemonset"),
            ("rs", "replicaset"),
            ("cm", "configmap"),
            ("ns", "namespace"),
            ("no", "node"),
            ("pvc", "persistentvolumeclaim"),
            ("pv", "persistentvolume"),
            ("sa", "serviceaccount"),
            ("ing", "ingress"),
            ("cj", "cronjob"),
            ("hpa", "horizontalpodautoscaler"),
            ("ep", "endpoints"),
            ("ev", "event"),
            ("netpol", "networkpolicy"),
            ("pdb", "poddisruptionbudget"),
            ("crd", "customresourcedefinition"),
            ("clusterroles", "clusterrole"),
            ("roles.rbac.authorization.k8s.io", "role"),
            ("rolebindings", "rolebinding"),
            ("clusterrolebinding", "clusterrolebinding"),
            ("jobs", "job"),
            ("secrets", "secret"),
            (
                "Certificates.cert-manager.io",
                "certificates.cert-manager.io",
            ),
            ("pods.apps", "pods.apps"),
            ("all", "all"),
        ] {
            assert_eq!(normalize_type(typed), want, "{typed}");
        }
        assert_eq!(
            norm("get pods,svc,po"),
            "kubectl get pod,service --namespace=default"
        );
        assert_eq!(
            norm("get po/a svc/a"),
            "kubectl get pod,service a --namespace=default"
        );
        assert_eq!(
            norm("get po/a po/b deploy/c"),
            "kubectl get pod a b deployment c --namespace=default"
        );
        assert_eq!(
            norm("get Widgets.Example.com"),
            "kubectl get widgets.example.com --namespace=default"
        );
    }

    #[test]
    fn plan_namespace_only_where_it_applies() {
        assert_eq!(norm("get nodes -n kube-system"), "kubectl get node");
        assert_eq!(
            norm("get ns,clusterroles,pv,crd"),
            "kubectl get namespace,clusterrole,persistentvolume,customresourcedefinition"
        );
        assert_eq!(
            norm("get nodes,pods"),
            "kubectl get node,pod --namespace=default"
        );
        // Named objects are read in the namespace even with -A.
        assert_eq!(
            norm("get secret x -A -n kube-system"),
            "kubectl get secret x --all-namespaces --namespace=kube-system"
        );
        assert_eq!(
            plan_of("get secret x -A -n kube-system").requests,
            [req(
                Verb::Get,
                Some(""),
                "secrets",
                None,
                Some("kube-system"),
                Some("x")
            )]
        );
        assert_eq!(norm("version -n x"), "kubectl version");
        assert_eq!(
            norm("api-resources --namespaced"),
            "kubectl api-resources --namespaced"
        );
        assert_eq!(
            norm("config current-context"),
            "kubectl config current-context"
        );
        assert_eq!(norm("events -A"), "kubectl events --all-namespaces");
        assert_eq!(
            norm("auth can-i delete pods/x -n prod"),
            "kubectl auth can-i delete pod x --namespace=prod"
        );
        assert_eq!(
            norm("auth can-i list nodes"),
            "kubectl auth can-i list node"
        );
        assert_eq!(
            norm("auth can-i get pods -A"),
            "kubectl auth can-i get pod --all-namespaces"
        );
        assert!(plan_of("auth can-i get pods").requests.is_empty());
    }

    #[test]
    fn plan_requests_of_each_command() {
        assert_eq!(
            plan_of("get deploy").requests,
            [req(
                Verb::List,
                Some("apps"),
                "deployments",
                None,
                Some("default"),
                None
            )]
        );
        assert_eq!(
            plan_of("get pods -A").requests,
            [req(Verb::List, Some(""), "pods", None, None, None)]
        );
        assert_eq!(plan_of("get all").requests.len(), ALL_CATEGORY.len());
        assert_eq!(
            plan_of("get foos x").requests,
            [req(
                Verb::Get,
                None,
                "foos",
                None,
                Some("default"),
                Some("x")
            )]
        );
        assert_eq!(
            plan_of("scale deploy/web --replicas=0").requests,
            [req(
                Verb::Patch,
                Some("apps"),
                "deployments",
                Some("scale"),
                Some("default"),
                Some("web")
            )]
        );
        assert_eq!(
            plan_of("scale deploy/web --replicas=0 --current-replicas=2").requests,
            [
                req(
                    Verb::Get,
                    Some("apps"),
                    "deployments",
                    Some("scale"),
                    Some("default"),
                    Some("web")
                ),
                req(
                    Verb::Patch,
                    Some("apps"),
                    "deployments",
                    Some("scale"),
                    Some("default"),
                    Some("web")
                ),
            ]
        );
        assert!(
            plan_of("scale deploy/web --replicas=0 --dry-run=client")
                .requests
                .is_empty()
        );
        assert_eq!(
            plan_of("rollout restart deploy/web -n a").requests,
            [req(
                Verb::Patch,
                Some("apps"),
                "deployments",
                None,
                Some("a"),
                Some("web")
            )]
        );
        assert_eq!(
            plan_of("rollout status sts web").requests,
            [req(
                Verb::Get,
                Some("apps"),
                "statefulsets",
                None,
                Some("default"),
                Some("web")
            )]
        );
        assert_eq!(
            plan_of("logs web -c app").requests,
            [req(
                Verb::Get,
                Some(""),
                "pods",
                Some("log"),
                Some("default"),
                Some("web")
            )]
        );
        assert_eq!(
            plan_of("logs po/web").requests,
            [
                req(
                    Verb::Get,
                    Some(""),
                    "pods",
                    None,
                    Some("default"),
                    Some("web")
                ),
                req(
                    Verb::Get,
                    Some(""),
                    "pods",
                    Some("log"),
                    Some("default"),
                    Some("web")
                ),
            ]
        );
        assert_eq!(
            plan_of("events --for po/web").requests,
            [req(
                Verb::List,
                Some(""),
                "events",
                None,
                Some("default"),
                None
            )]
        );
        assert_eq!(
            plan_of("describe deploy web").requests,
            [
                req(
                    Verb::Get,
                    Some("apps"),
                    "deployments",
                    None,
                    Some("default"),
                    Some("web")
                ),
                req(
                    Verb::List,
                    Some("apps"),
                    "replicasets",
                    None,
                    Some("default"),
                    None
                ),
                req(Verb::List, Some(""), "events", None, Some("default"), None),
            ]
        );
        assert!(plan_of("version").requests.is_empty());
    }

    #[test]
    fn plan_explain() {
        let p = plan_of("explain deploy.spec.replicas");
        assert_eq!(p.command, "kubectl explain deployment.spec.replicas");
        assert!(p.requests.is_empty());
        assert_eq!(norm("explain po -n x"), "kubectl explain pod");
        assert_eq!(
            norm("explain deployments.apps.spec -R --api-version apps/v1"),
            "kubectl explain deployment.spec --api-version=apps/v1 --recursive"
        );
        assert_eq!(
            norm("explain Widgets.spec.someField"),
            "kubectl explain widgets.spec.someField"
        );
    }

    #[test]
    fn plan_apply_documents() {
        let manifest = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: team}\n---\napiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, namespace: other}\n";
        let p = plan_args(json!({"command": "apply -f - -n team", "manifest": manifest}));
        assert_eq!(p.command, "kubectl apply --filename=- --namespace=team");
        assert_eq!(
            p.requests,
            [
                req(
                    Verb::Patch,
                    Some("apps"),
                    "deployments",
                    None,
                    Some("team"),
                    Some("web")
                ),
                req(
                    Verb::Patch,
                    Some(""),
                    "namespaces",
                    None,
                    None,
                    Some("team")
                ),
                req(
                    Verb::Patch,
                    Some("example.com"),
                    "Widget",
                    None,
                    Some("other"),
                    Some("w")
                ),
            ]
        );
        let q = plan_args(json!({"command": "apply --namespace=team", "manifest": manifest}));
        assert_eq!(q.command, p.command);
        let r = plan_args(json!({"command": "apply -f -", "manifest": "{not yaml"}));
        assert!(r.requests.is_empty());
    }

    #[test]
    fn plan_logs_forms() {
        assert_eq!(norm("logs web"), "kubectl logs pod web --namespace=default");
        assert_eq!(norm("logs pod/web"), norm("logs web"));
        assert_eq!(
            norm("logs web app --tail 20 -p"),
            "kubectl logs pod web --container=app --namespace=default --previous --tail=20"
        );
        assert_eq!(
            norm("logs -c app web --tail=20 -p"),
            norm("logs web app --tail 20 -p")
        );
    }

    #[test]
    fn plan_help_forms() {
        assert_eq!(norm("get --help"), "kubectl help get");
        assert_eq!(norm("help get"), "kubectl help get");
        assert_eq!(norm("rollout status -h"), "kubectl help rollout status");
        assert_eq!(norm("-n x"), "kubectl help");
        assert!(plan_of("get --help").requests.is_empty());
    }

    #[test]
    fn plan_cuts_at_the_first_pipe() {
        assert_eq!(
            norm("get pods | grep web"),
            "kubectl get pod --namespace=default"
        );
        assert_eq!(
            norm("get pods -l 'a|b' -n x|grep web | head -n 2"),
            "kubectl get pod --namespace=x --selector=a|b"
        );
        assert_eq!(
            norm("get pods -n x | jq '.items[].metadata.name'"),
            "kubectl get pod --namespace=x --output=json"
        );
        assert!(err("get pods || x").contains("command lists"));
        assert!(err("| grep x").contains("both sides"));
        assert!(err("get pods -o yaml | jq .").contains("-o json"));
        assert!(err("get pods | sh").contains("grep"));
    }

    #[test]
    fn plan_create_and_other_subcommands() {
        let planned = |c: &str| built(c, None);
        let p = planned("create deploy web --image=nginx --image=busybox -n prod --replicas 2");
        assert_eq!(
            p.command,
            "kubectl create deployment web --image=nginx --image=busybox --namespace=prod --replicas=2"
        );
        assert_eq!(
            p.requests,
            [req(
                Verb::Create,
                Some("apps"),
                "deployments",
                None,
                Some("prod"),
                None
            )]
        );
        let p = planned("create ns team -n x");
        assert_eq!(p.command, "kubectl create namespace team");
        assert_eq!(
            p.requests,
            [req(Verb::Create, Some(""), "namespaces", None, None, None)]
        );
        let p = planned("create job once --from=cj/nightly");
        assert_eq!(
            p.command,
            "kubectl create job once --from=cronjob/nightly --namespace=default"
        );
        assert_eq!(
            p.requests,
            [
                req(
                    Verb::Get,
                    Some("batch"),
                    "cronjobs",
                    None,
                    Some("default"),
                    Some("nightly")
                ),
                req(
                    Verb::Create,
                    Some("batch"),
                    "jobs",
                    None,
                    Some("default"),
                    None
                ),
            ]
        );
        assert!(
            planned("create cm x --from-literal=a=1 --dry-run")
                .requests
                .is_empty()
        );
        let manifest = "apiVersion: v1\nkind: ConfigMap\nmetadata: {generateName: x-}\n";
        let p = built("create", Some(manifest));
        assert_eq!(p.command, "kubectl create --filename=- --namespace=default");
        assert_eq!(
            p.requests,
            [req(
                Verb::Create,
                Some(""),
                "configmaps",
                None,
                Some("default"),
                None
            )]
        );
        // Shapes without a dedicated plan: kinds and TYPE/NAME normalized, no requests.
        for (c, want) in [
            (
                "set image deploy/web app=reg/app:2 -n a",
                "kubectl set image deployment web app=reg/app:2 --namespace=a",
            ),
            ("top pods -A", "kubectl top pod --all-namespaces"),
            ("top no", "kubectl top node"),
            (
                "rollout undo deployments.apps web",
                "kubectl rollout undo deployment web --namespace=default",
            ),
            (
                "label po x app=web --overwrite",
                "kubectl label pod x app=web --namespace=default --overwrite",
            ),
            ("cordon no", "kubectl cordon no"),
            (
                "wait --for=condition=Ready/x pod/web",
                "kubectl wait pod web --for=condition=Ready/x --namespace=default",
            ),
            (
                "set env deploy/web A=b",
                "kubectl set env deployment web A=b --namespace=default",
            ),
            (
                "drain node/n1 --ignore-daemonsets",
                "kubectl drain n1 --ignore-daemonsets",
            ),
            (
                "expose deploy web --port 80",
                "kubectl expose deployment web --namespace=default --port=80",
            ),
            (
                "patch deploy web -p '{\"spec\": {}}'",
                "kubectl patch deployment web --namespace=default --patch='{\"spec\": {}}'",
            ),
            ("config get-contexts", "kubectl config get-contexts"),
        ] {
            assert_eq!(built(c, None).command, want, "{c}");
        }
    }

    #[test]
    fn plan_quoting_and_odd_arguments() {
        assert_eq!(
            norm("get pod x -o 'jsonpath={.a b}'"),
            "kubectl get pod x --namespace=default --output='jsonpath={.a b}'"
        );
        assert_eq!(
            norm("get pods -- -weird"),
            "kubectl get pod -weird --namespace=default"
        );
        assert_eq!(
            norm("auth can-i '*' '*'"),
            "kubectl auth can-i * * --namespace=default"
        );
        assert_eq!(
            norm("api-resources -o wide --sort-by=name"),
            "kubectl api-resources --output=wide --sort-by=name"
        );
    }

    #[test]
    fn plan_other_tools() {
        assert_eq!(plan("describe_kubectl", "{}", DEFAULT_NS), Ok(None));
        assert_eq!(
            plan("nope", "{}", DEFAULT_NS),
            Err(CallError::UnknownTool("nope".into()))
        );
    }

    /// Every error the plan gives is the call's own message for the same arguments.
    #[test]
    fn plan_errors_match_the_call() {
        use crate::commands::testing::Fake;
        for args in [
            json!({}),
            json!({"command": 3}),
            json!({"command": "get pods", "timeout": "x"}),
            json!({"command": "get pods", "manifest": 1}),
            json!({"command": ""}),
            json!({"command": "kubectl"}),
            json!({"command": "get pods; rm -rf /"}),
            json!({"command": "get pods $(id)"}),
            json!({"command": "get pods --server=x"}),
            json!({"command": "-Ashttp://evil get pods"}),
            json!({"command": "exec -it web -- sh"}),
            json!({"command": "plugin list"}),
            json!({"command": "get pods --foo"}),
            json!({"command": "get pods -n ../../secrets"}),
            json!({"command": "get pods -n"}),
            json!({"command": "get pods ../x"}),
            json!({"command": "delete pods pod/x"}),
            json!({"command": "help nope"}),
            json!({"command": "delete pod x --dry-run=maybe"}),
            json!({"command": "logs ."}),
        ] {
            let planned = plan("execute_kubectl", &args.to_string(), DEFAULT_NS).unwrap_err();
            let mut f = Fake::new();
            let ctx = f.ctx.clone();
            let called = tool::call("execute_kubectl", &args.to_string(), ctx, &mut f).unwrap_err();
            assert_eq!(planned, called, "{args}");
            assert!(f.requests.is_empty());
        }
        assert_eq!(
            plan("execute_kubectl", "[]", DEFAULT_NS),
            Err(CallError::InvalidArguments(
                "arguments must be a JSON object".into()
            ))
        );
    }

    /// The planned requests are the requests the call really sends (against the fake).
    #[test]
    fn plan_requests_match_the_call() {
        use crate::commands::testing::{Fake, ok_json};
        let manifest = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n";
        for args in [
            json!({"command": "delete pod x -n kube-system"}),
            json!({"command": "delete po/a deploy/b"}),
            json!({"command": "scale deploy/web --replicas=2"}),
            json!({"command": "scale sts web --replicas=2 --current-replicas=1 --dry-run=server"}),
            json!({"command": "rollout restart deployment/web -n a"}),
            json!({"command": "rollout status deployment/web"}),
            json!({"command": "logs web -c app --tail 5"}),
            json!({"command": "logs web"}),
            json!({"command": "get pods -A"}),
            json!({"command": "get deploy,svc web -o json"}),
            json!({"command": "get nodes"}),
            json!({"command": "events --for pod/web"}),
            json!({"command": "describe deploy web"}),
            json!({"command": "describe secret s"}),
            json!({"command": "apply -f -", "manifest": manifest}),
            json!({"command": "create deploy web --image=nginx -n a"}),
            json!({"command": "create job once --from=cronjob/nightly"}),
            json!({"command": "create -f -", "manifest": manifest}),
            json!({"command": "patch deploy web -p '{\"spec\":{\"replicas\":2}}'"}),
            json!({"command": "patch deploy web --subresource=scale -p '{\"spec\":{\"replicas\":2}}'"}),
            json!({"command": "label po a b app=web --overwrite"}),
            json!({"command": "annotate deploy/web note=x -n a"}),
            json!({"command": "set image deploy/web app=nginx:2"}),
            json!({"command": "expose deploy web --port=80"}),
            json!({"command": "autoscale deploy web --max=3"}),
            json!({"command": "cordon node/n1"}),
            json!({"command": "drain n1 --ignore-daemonsets"}),
            json!({"command": "wait --for=create pod/web"}),
            json!({"command": "rollout history deploy/web"}),
        ] {
            let planned = plan_args(args.clone()).requests;
            let mut f = Fake::new();
            f.on(|r| {
                ok_json(match r.subresource.as_deref() {
                    Some("scale") => json!({"spec": {"replicas": 1}}),
                    _ if r.name.is_some() => json!({
                        "metadata": {"name": r.name, "namespace": r.namespace, "generation": 1, "uid": "u1"},
                        "spec": {"replicas": 1, "containers": [{"name": "app"}],
                            "selector": {"matchLabels": {"app": "web"}},
                            "template": {"spec": {"containers": [{"name": "app", "image": "nginx", "ports": [{"containerPort": 80}]}]}},
                            "jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "nginx"}]}}}}},
                        "status": {"observedGeneration": 1, "replicas": 1, "updatedReplicas": 1, "availableReplicas": 1, "readyReplicas": 1}
                    }),
                    _ => json!({"items": [], "columnDefinitions": [], "rows": []}),
                })
            });
            let ctx = f.ctx.clone();
            tool::call("execute_kubectl", &args.to_string(), ctx, &mut f)
                .unwrap_or_else(|e| panic!("{args}: {e:?}"));
            let sent: Vec<PlannedRequest> = f
                .requests
                .iter()
                .map(|r| PlannedRequest {
                    verb: r.verb,
                    group: Some(r.group.clone()),
                    resource: r.resource.clone(),
                    subresource: r.subresource.clone(),
                    namespace: r.namespace.clone(),
                    name: r.name.clone(),
                })
                .collect();
            if args["command"]
                .as_str()
                .is_some_and(|c| c.starts_with("drain"))
            {
                // drain then waits for the evicted pods, listing them again.
                assert!(sent.starts_with(&planned), "{args}: {planned:?} {sent:?}");
            } else {
                assert_eq!(planned, sent, "{args}");
            }
        }
    }

    #[test]
    fn plan_examples() {
        let examples = [
            (
                "kubectl -n kap-demo delete po/web-1",
                "kubectl delete pod web-1 --namespace=kap-demo",
            ),
            (
                "get pods -A -o wide",
                "kubectl get pod --all-namespaces --output=wide",
            ),
            (
                "get deploy,svc -l app=web",
                "kubectl get deployment,service --namespace=default --selector=app=web",
            ),
            (
                "describe deployments.apps/web -n prod",
                "kubectl describe deployment web --namespace=prod",
            ),
            (
                "logs web-1 app --tail 50",
                "kubectl logs pod web-1 --container=app --namespace=default --tail=50",
            ),
            (
                "scale deploy/web --replicas=0",
                "kubectl scale deployment web --namespace=default --replicas=0",
            ),
            (
                "rollout restart deploy/web -n prod",
                "kubectl rollout restart deployment web --namespace=prod",
            ),
            (
                "delete pvc data-0 --dry-run=server",
                "kubectl delete persistentvolumeclaim data-0 --dry-run=server --namespace=default",
            ),
            (
                "auth can-i delete secrets -n kube-system",
                "kubectl auth can-i delete secret --namespace=kube-system",
            ),
            ("get nodes -o name", "kubectl get node --output=name"),
            (
                "apply -f -",
                "kubectl apply --filename=- --namespace=default",
            ),
            ("get pods | grep web", "kubectl get pod --namespace=default"),
        ];
        for (input, want) in examples {
            let got = norm(input);
            println!("{input:<45} => {got}");
            assert_eq!(got, want, "{input}");
        }
    }
}
