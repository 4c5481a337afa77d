//! `k8s_troubleshoot`: walks a namespace from its entry points (Ingress → Service →
//! EndpointSlices → Pods → owners → Events → Nodes, PVCs) and returns ranked findings, each
//! with its evidence and a suggested kubectl command.
//!
//! * [`fetch`] lists the namespace's objects through the [`Api`] (never Secrets); a refused
//!   read becomes a low-rank finding, not a failure;
//! * [`analyze`] turns the objects into findings (pure functions, tested with JSON fixtures);
//! * [`rank`] orders them: severity first (a root cause takes the worst severity of what it
//!   explains), then relevance to the workload or symptom asked about, then how many other
//!   findings it explains;
//! * [`render`] prints numbered findings within the answer budget and builds the structured
//!   `{findings: [{rank, severity, title, object, evidence, fix}]}`.

pub mod analyze;
pub mod fetch;

use std::collections::{BTreeSet, VecDeque};

use serde_json::{Map, Value, json};

pub use analyze::{Category, Finding, Severity};
pub use fetch::Snapshot;

use crate::targets::{validate_name, validate_namespace};
use analyze::{name, owner_chain, selector_matches};
use kap_sdk::api::{Api, Outcome, arr, s};

/// The host's default answer budget (`K8S_MCP_MAX_OUTPUT`), used when the call context's
/// `max-output-chars` is not passed down.
pub const DEFAULT_BUDGET: usize = 100_000;

/// The tool's arguments.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Args {
    /// The namespace to examine (the call's default namespace when not given).
    pub namespace: String,
    /// kubectl's lowercase singular kind (`deployment`), when a workload was named.
    pub kind: Option<String>,
    /// The object's name.
    pub name: Option<String>,
    /// Free text describing the problem: its words pick objects and problem categories.
    pub symptom: Option<String>,
}

/// kubectl's resource names and short names for the kinds the tool can focus on.
fn canonical_kind(k: &str) -> Option<&'static str> {
    let k = k.to_lowercase();
    let k = k.split('.').next().unwrap_or("");
    Some(match k {
        "pod" | "pods" | "po" => "pod",
        "deployment" | "deployments" | "deploy" => "deployment",
        "statefulset" | "statefulsets" | "sts" => "statefulset",
        "daemonset" | "daemonsets" | "ds" => "daemonset",
        "replicaset" | "replicasets" | "rs" => "replicaset",
        "job" | "jobs" => "job",
        "cronjob" | "cronjobs" | "cj" => "cronjob",
        "service" | "services" | "svc" => "service",
        "ingress" | "ingresses" | "ing" => "ingress",
        "persistentvolumeclaim" | "persistentvolumeclaims" | "pvc" => "persistentvolumeclaim",
        "node" | "nodes" | "no" => "node",
        _ => return None,
    })
}

/// Reads `{namespace, kind, name, symptom}`; `name` may be `kind/name` as kubectl accepts.
pub fn parse_args(m: &Map<String, Value>, default_namespace: &str) -> Result<Args, String> {
    let get = |k: &str| -> Result<Option<String>, String> {
        match m.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.trim().to_string())),
            Some(_) => Err(format!("`{k}` must be a string")),
        }
    };
    let namespace = get("namespace")?.unwrap_or_else(|| default_namespace.to_string());
    validate_namespace(&namespace)?;
    let mut kind = get("kind")?;
    let mut wname = get("name")?;
    if let Some(n) = wname.clone()
        && let Some((k, rest)) = n.split_once('/')
    {
        if kind.is_some() {
            return Err(
                "give the kind either in `kind` or as `kind/name` in `name`, not both".into(),
            );
        }
        kind = Some(k.to_string());
        wname = Some(rest.to_string());
    }
    let kind = match kind {
        None => None,
        Some(k) => Some(
            canonical_kind(&k)
                .ok_or_else(|| format!("unsupported kind {k:?}: use pod, deployment, statefulset, daemonset, replicaset, job, cronjob, service, ingress, pvc or node"))?
                .to_string(),
        ),
    };
    if kind.is_some() && wname.is_none() {
        return Err("`kind` needs a `name`".into());
    }
    if let Some(n) = &wname {
        validate_name(n)?;
    }
    let symptom = get("symptom")?;
    if symptom.as_ref().is_some_and(|s| s.chars().count() > 1000) {
        return Err("`symptom` is longer than 1000 characters".into());
    }
    Ok(Args {
        namespace,
        kind,
        name: wname,
        symptom,
    })
}

/// What the caller asked about: objects (`deployment/wordpress` and its pods, ...) and
/// categories of problems (from the symptom's words).
#[derive(Debug, Clone, Default)]
pub struct Focus {
    /// `kind/name` of the objects asked about and what hangs off them.
    pub objects: BTreeSet<String>,
    /// Problem categories named by the symptom.
    pub categories: Vec<Category>,
    /// The objects named (for the header), e.g. `deployment/wordpress`.
    pub named: Vec<String>,
}

impl Focus {
    fn is_empty(&self) -> bool {
        self.objects.is_empty() && self.categories.is_empty()
    }
}

fn all_objects(snap: &Snapshot) -> Vec<(String, &Value)> {
    let mut out = Vec::new();
    for (kind, list) in [
        ("deployment", &snap.deployments),
        ("statefulset", &snap.stateful_sets),
        ("daemonset", &snap.daemon_sets),
        ("job", &snap.jobs),
        ("replicaset", &snap.replica_sets),
        ("service", &snap.services),
        ("ingress", &snap.ingresses),
        ("persistentvolumeclaim", &snap.pvcs),
        ("pod", &snap.pods),
        ("node", &snap.nodes),
    ] {
        for o in list {
            out.push((format!("{kind}/{}", name(o)), o));
        }
    }
    out
}

/// Adds `obj` and what hangs off it: a workload's pods (and their ReplicaSets), a pod's
/// owners, a Service's pods and backends, an Ingress's Services, a claim's pods.
fn widen(snap: &Snapshot, obj: &str, out: &mut BTreeSet<String>) {
    out.insert(obj.to_string());
    let (kind, n) = obj.split_once('/').unwrap_or(("", obj));
    match kind {
        "pod" => {
            if let Some(p) = snap.pods.iter().find(|p| name(p) == n) {
                out.extend(owner_chain(snap, p));
            }
        }
        "service" => {
            if let Some(svc) = snap.services.iter().find(|x| name(x) == n) {
                let sel = svc
                    .get("spec")
                    .and_then(|sp| sp.get("selector"))
                    .and_then(Value::as_object);
                for p in &snap.pods {
                    let labels = p
                        .get("metadata")
                        .and_then(|m| m.get("labels"))
                        .and_then(Value::as_object);
                    if selector_matches(sel, labels) {
                        out.insert(format!("pod/{}", name(p)));
                        out.extend(owner_chain(snap, p));
                    }
                }
                for (k, w) in analyze::workloads(snap) {
                    let labels = w
                        .pointer("/spec/template/metadata/labels")
                        .and_then(Value::as_object);
                    if selector_matches(sel, labels) {
                        out.insert(format!("{k}/{}", name(w)));
                    }
                }
            }
        }
        "ingress" => {
            if let Some(ing) = snap.ingresses.iter().find(|x| name(x) == n) {
                for svc in analyze::ingress_backends(ing) {
                    widen(snap, &format!("service/{svc}"), out);
                }
            }
        }
        "persistentvolumeclaim" => {
            for p in &snap.pods {
                if arr(p, &["spec", "volumes"])
                    .iter()
                    .any(|v| s(v, &["persistentVolumeClaim", "claimName"]) == n)
                {
                    out.insert(format!("pod/{}", name(p)));
                }
            }
        }
        _ => {
            for p in &snap.pods {
                let chain = owner_chain(snap, p);
                if chain.iter().any(|o| o == obj) {
                    out.insert(format!("pod/{}", name(p)));
                    out.extend(chain);
                }
            }
        }
    }
}

/// Symptom words and the problem categories they point at.
const KEYWORDS: &[(&str, Category)] = &[
    ("crash", Category::Crash),
    ("restart", Category::Crash),
    ("exit", Category::Crash),
    ("oom", Category::Oom),
    ("memory", Category::Oom),
    ("killed", Category::Oom),
    ("image", Category::Image),
    ("pull", Category::Image),
    ("secret", Category::Config),
    ("configmap", Category::Config),
    ("config", Category::Config),
    ("pending", Category::Scheduling),
    ("schedul", Category::Scheduling),
    ("probe", Category::Probe),
    ("ready", Category::Probe),
    ("health", Category::Probe),
    ("endpoint", Category::Service),
    ("service", Category::Service),
    ("connect", Category::Service),
    ("refused", Category::Service),
    ("unreachable", Category::Service),
    ("503", Category::Service),
    ("502", Category::Service),
    ("down", Category::Service),
    ("rollout", Category::Rollout),
    ("progress", Category::Rollout),
    ("deploy", Category::Rollout),
    ("scale", Category::Scale),
    ("replica", Category::Scale),
    ("volume", Category::Storage),
    ("pvc", Category::Storage),
    ("storage", Category::Storage),
    ("disk", Category::Storage),
    ("node", Category::Node),
    ("job", Category::Job),
    ("batch", Category::Job),
];

/// The focus of a call, plus a finding when the named object does not exist.
pub fn focus(snap: &Snapshot, args: &Args) -> (Focus, Option<Finding>) {
    let mut f = Focus::default();
    let mut missing = None;
    let objects = all_objects(snap);
    if let Some(n) = &args.name {
        let hits: Vec<String> = objects
            .iter()
            .filter(|(o, _)| match &args.kind {
                Some(k) => *o == format!("{k}/{n}"),
                None => o.split_once('/').is_some_and(|(_, x)| x == n),
            })
            .map(|(o, _)| o.clone())
            .collect();
        if hits.is_empty() {
            let what = match &args.kind {
                Some(k) => format!("{k}/{n}"),
                None => n.clone(),
            };
            let mut m = Finding::new_missing(&what, &snap.namespace);
            // Names that contain the one asked for (or the reverse): likely typos.
            let kind_prefix = args.kind.as_ref().map(|k| format!("{k}/"));
            for (o, _) in &objects {
                let on = o.split_once('/').map(|(_, x)| x).unwrap_or("");
                if kind_prefix.as_ref().is_none_or(|p| o.starts_with(p))
                    && !o.starts_with("replicaset/")
                    && !o.starts_with("pod/")
                    && (on.contains(n.as_str()) || n.contains(on))
                    && m.evidence.len() < 4
                {
                    m.evidence.push(format!("{o} exists (did you mean it?)"));
                }
            }
            f.named.push(what.clone());
            f.objects.insert(what);
            missing = Some(m);
        }
        for h in hits {
            f.named.push(h.clone());
            widen(snap, &h, &mut f.objects);
        }
    }
    if let Some(sym) = &args.symptom {
        let low = sym.to_lowercase();
        let words: BTreeSet<&str> = low
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '.'))
            .filter(|w| w.len() >= 2)
            .collect();
        for (o, _) in &objects {
            let n = o.split_once('/').map(|(_, n)| n).unwrap_or("");
            if words.contains(n) && !o.starts_with("replicaset/") {
                if !f.named.contains(o) {
                    f.named.push(o.clone());
                }
                widen(snap, o, &mut f.objects);
            }
        }
        for (kw, cat) in KEYWORDS {
            if words.iter().any(|w| w.contains(kw)) && !f.categories.contains(cat) {
                f.categories.push(*cat);
            }
        }
    }
    (f, missing)
}

impl Finding {
    /// A named object that is not in the namespace.
    fn new_missing(what: &str, ns: &str) -> Finding {
        let (kind, _) = what.split_once('/').unwrap_or(("all", what));
        Finding {
            severity: Severity::Critical,
            category: Category::Missing,
            title: format!("{what} not found in namespace {ns}"),
            object: what.to_string(),
            evidence: vec![format!("{what} not found")],
            fix: Some(format!(
                "kubectl get {} -n {ns}",
                if kind == what { "all" } else { kind }
            )),
            subjects: vec![what.to_string()],
            explains: Vec::new(),
        }
    }
}

/// A finding with its place in the ranking.
#[derive(Debug, Clone)]
pub struct Ranked {
    /// The finding.
    pub finding: Finding,
    /// The worst severity among the finding and everything it explains.
    pub severity: Severity,
    /// Whether it concerns (or explains) what was asked about.
    pub relevant: bool,
    /// How many other findings it explains, directly or through others.
    pub explains: usize,
}

/// Orders findings: effective severity (a cause inherits the severity of its effects), then
/// relevance to the focus, then how many findings it explains, then its own severity.
/// Unreadable sources always come last.
pub fn rank(findings: Vec<Finding>, focus: &Focus) -> Vec<Ranked> {
    let n = findings.len();
    // edge i -> j: finding i explains an object finding j is about.
    let edges: Vec<Vec<usize>> = findings
        .iter()
        .enumerate()
        .map(|(a, fa)| {
            (0..n)
                .filter(|&b| b != a && findings[b].subjects.iter().any(|o| fa.explains.contains(o)))
                .collect()
        })
        .collect();
    let about_focus = |f: &Finding| f.subjects.iter().any(|o| focus.objects.contains(o));
    let mut ranked: Vec<(usize, Ranked)> = findings
        .iter()
        .enumerate()
        .map(|(a, f)| {
            let mut seen = vec![false; n];
            seen[a] = true;
            let mut q = VecDeque::from([a]);
            let mut reach = Vec::new();
            while let Some(x) = q.pop_front() {
                for &y in &edges[x] {
                    if !seen[y] {
                        seen[y] = true;
                        reach.push(y);
                        q.push_back(y);
                    }
                }
            }
            let severity = reach
                .iter()
                .map(|&y| findings[y].severity)
                .chain([f.severity])
                .max()
                .unwrap_or(f.severity);
            let relevant = focus.is_empty()
                || about_focus(f)
                || reach.iter().any(|&y| about_focus(&findings[y]))
                || focus.categories.contains(&f.category);
            (
                a,
                Ranked {
                    finding: f.clone(),
                    severity,
                    relevant,
                    explains: reach.len(),
                },
            )
        })
        .collect();
    ranked.sort_by(|(ia, a), (ib, b)| {
        let unread = |r: &Ranked| r.finding.category == Category::Unread;
        unread(a)
            .cmp(&unread(b))
            .then(b.severity.cmp(&a.severity))
            .then(b.relevant.cmp(&a.relevant))
            .then(b.explains.cmp(&a.explains))
            .then(b.finding.severity.cmp(&a.finding.severity))
            .then(ia.cmp(ib))
    });
    ranked.into_iter().map(|(_, r)| r).collect()
}

fn finding_text(k: usize, r: &Ranked, max_evidence: usize) -> String {
    let f = &r.finding;
    let mut t = format!("{k}. [{}] {}\n", r.severity.as_str(), f.title);
    for e in f.evidence.iter().take(max_evidence) {
        t.push_str(&format!("   {e}\n"));
    }
    if f.evidence.len() > max_evidence {
        t.push_str(&format!(
            "   ... {} more evidence line(s)\n",
            f.evidence.len() - max_evidence
        ));
    }
    if let Some(fix) = &f.fix {
        t.push_str(&format!("   fix: {fix}\n"));
    }
    t
}

fn finding_json(k: usize, r: &Ranked, max_evidence: usize) -> Value {
    let f = &r.finding;
    json!({
        "rank": k,
        "severity": r.severity.as_str(),
        "title": f.title,
        "object": f.object,
        "evidence": f.evidence.iter().take(max_evidence).collect::<Vec<_>>(),
        "fix": f.fix,
    })
}

/// Prints the ranked findings within `budget` characters (text and structured each): evidence
/// is cut to fewer lines first, then the lowest-ranked findings are left out with a note.
pub fn render(
    snap: &Snapshot,
    focus: &Focus,
    args: &Args,
    ranked: &[Ranked],
    budget: usize,
) -> Outcome {
    let ns = &snap.namespace;
    let mut head = format!("Troubleshooting namespace {ns}");
    if !focus.named.is_empty() {
        head.push_str(&format!(" (focus: {})", focus.named.join(", ")));
    }
    if let Some(sym) = &args.symptom {
        head.push_str(&format!(" (symptom: {sym:?})"));
    }
    let count = |sev: Severity| ranked.iter().filter(|r| r.severity == sev).count();
    if ranked.is_empty() {
        let text = format!(
            "{head}: no problems found ({} pods, {} services, {} workloads checked).\n",
            snap.pods.len(),
            snap.services.len(),
            analyze::workloads(snap).len()
        );
        return Outcome {
            text,
            structured: Some(json!({"namespace": ns, "findings": []})),
            is_error: false,
        };
    }
    head.push_str(&format!(
        ": {} finding(s): {} critical, {} warning, {} info\n\n",
        ranked.len(),
        count(Severity::Critical),
        count(Severity::Warning),
        count(Severity::Info)
    ));
    let budget = budget.max(200);
    let build = |max_evidence: usize, shown: usize| -> (String, Value) {
        let mut t = head.clone();
        for (k, r) in ranked.iter().take(shown).enumerate() {
            t.push_str(&finding_text(k + 1, r, max_evidence));
            t.push('\n');
        }
        if shown < ranked.len() {
            t.push_str(&format!(
                "... {} lower-ranked finding(s) left out to fit the answer budget of {budget} characters\n",
                ranked.len() - shown
            ));
        }
        let sj = json!({
            "namespace": ns,
            "findings": ranked
                .iter()
                .take(shown)
                .enumerate()
                .map(|(k, r)| finding_json(k + 1, r, max_evidence))
                .collect::<Vec<_>>(),
            "omitted": ranked.len() - shown,
        });
        (t, sj)
    };
    let fits =
        |(t, sj): &(String, Value)| t.chars().count() <= budget && sj.to_string().len() <= budget;
    // Fewer evidence lines first, then fewer findings (the lowest-ranked go first).
    let mut best = None;
    for max_evidence in [usize::MAX, 6, 3, 1] {
        let c = build(max_evidence, ranked.len());
        if fits(&c) {
            best = Some(c);
            break;
        }
    }
    let (mut text, structured) = best.unwrap_or_else(|| {
        (1..ranked.len())
            .rev()
            .map(|shown| build(1, shown))
            .find(|c| fits(c))
            .unwrap_or_else(|| build(0, 1))
    });
    if text.chars().count() > budget {
        text = text.chars().take(budget).collect();
    }
    Outcome {
        text,
        structured: Some(structured),
        is_error: false,
    }
}

/// Runs the tool: fetch, analyze, rank, render.
pub fn run(api: &mut dyn Api, args: &Args, budget: usize) -> Outcome {
    let snap = fetch::fetch(api, &args.namespace);
    run_on(&snap, args, budget)
}

/// The analysis part of [`run`] over an already fetched snapshot.
pub fn run_on(snap: &Snapshot, args: &Args, budget: usize) -> Outcome {
    let (focus, missing) = focus(snap, args);
    let mut findings = analyze::analyze(snap);
    findings.extend(missing);
    let ranked = rank(findings, &focus);
    render(snap, &focus, args, &ranked, budget)
}

#[cfg(test)]
mod tests;
