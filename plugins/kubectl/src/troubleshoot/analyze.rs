//! The analyzers: pure functions from a [`Snapshot`] to [`Finding`]s. Each follows how
//! Kubernetes itself reports the state it detects (container `waiting`/`lastState` reasons
//! set by the kubelet, the scheduler's `PodScheduled=False` condition, the Deployment
//! controller's `Progressing` condition, the Job controller's `Failed` condition,
//! EndpointSlice `conditions.ready`, ...). Every finding names the objects it is about
//! (`subjects`) and the objects whose trouble it causes (`explains`); the ranking in
//! [`super::rank`] walks those links to put root causes first.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use super::fetch::Snapshot;
use kap_sdk::api::{arr, get, i, s};
use kap_sdk::time;

/// How bad a finding is. Ordered: `Info < Warning < Critical`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Worth knowing; nothing is broken because of it (yet).
    Info,
    /// Degraded: e.g. fewer replicas available than wanted.
    Warning,
    /// Broken: a container cannot run, a Service has no endpoints, a Job failed.
    Critical,
}

impl Severity {
    /// The lowercase name used in the text and the structured output.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
}

/// What kind of problem a finding is (matched against the words of a free-text symptom).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    /// `CrashLoopBackOff`, other waiting reasons, failed pods.
    Crash,
    /// Last termination `OOMKilled`.
    Oom,
    /// `ImagePullBackOff` / `ErrImagePull`.
    Image,
    /// `CreateContainerConfigError` (a missing Secret/ConfigMap or key).
    Config,
    /// `PodScheduled=False` (Unschedulable).
    Scheduling,
    /// Containers running but not ready; liveness restarts.
    Probe,
    /// Services without ready endpoints, Ingress backends missing.
    Service,
    /// Deployment/StatefulSet/DaemonSet rollout and availability.
    Rollout,
    /// Workloads scaled to zero.
    Scale,
    /// PersistentVolumeClaims not Bound.
    Storage,
    /// Nodes NotReady or under pressure.
    Node,
    /// Failed Jobs.
    Job,
    /// Warning events no other finding covers.
    Event,
    /// The object asked about does not exist.
    Missing,
    /// A list the cluster or the policy refused.
    Unread,
}

/// One problem found, with its evidence and a suggested kubectl command.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// The finding's own severity (the ranking may raise it, see [`super::Ranked`]).
    pub severity: Severity,
    /// What kind of problem it is.
    pub category: Category,
    /// One line naming the object and the cause.
    pub title: String,
    /// `kind/name` of the object at fault (kubectl's lowercase kind).
    pub object: String,
    /// `object field=value` and `event Reason: message` lines.
    pub evidence: Vec<String>,
    /// A suggested kubectl command (a fix, or the next diagnostic step).
    pub fix: Option<String>,
    /// Objects this finding is about: `object` first, then e.g. a pod's owners.
    pub subjects: Vec<String>,
    /// Objects whose trouble this finding causes (a Service's clients, a pod's owners, ...).
    pub explains: Vec<String>,
}

impl Finding {
    fn new(severity: Severity, category: Category, object: &str, title: String) -> Finding {
        Finding {
            severity,
            category,
            title,
            object: object.to_string(),
            evidence: Vec::new(),
            fix: None,
            subjects: vec![object.to_string()],
            explains: Vec::new(),
        }
    }
}

// --- small helpers ----------------------------------------------------------------------

/// `metadata.name`.
pub fn name(v: &Value) -> &str {
    s(v, &["metadata", "name"])
}

fn map_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Map<String, Value>> {
    get(v, path).and_then(Value::as_object)
}

/// Whether an equality selector (a Service's `spec.selector`) matches `labels`; an empty or
/// absent selector matches nothing (a Service without selector has no managed endpoints).
pub fn selector_matches(
    sel: Option<&Map<String, Value>>,
    labels: Option<&Map<String, Value>>,
) -> bool {
    let Some(sel) = sel.filter(|m| !m.is_empty()) else {
        return false;
    };
    let Some(labels) = labels else {
        return false;
    };
    sel.iter()
        .all(|(k, v)| labels.get(k).and_then(Value::as_str) == v.as_str())
}

/// `k=v,k2=v2` as kubectl prints selectors.
pub fn selector_text(sel: Option<&Map<String, Value>>) -> String {
    sel.map(|m| {
        m.iter()
            .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
            .collect::<Vec<_>>()
            .join(",")
    })
    .unwrap_or_default()
}

/// The controller owner reference of an object, as `kind/name` (lowercase kind).
fn controller_of(v: &Value) -> Option<(String, String)> {
    let refs = arr(v, &["metadata", "ownerReferences"]);
    let r = refs
        .iter()
        .find(|r| r.get("controller").and_then(Value::as_bool) == Some(true))
        .or_else(|| refs.first())?;
    Some((s(r, &["kind"]).to_lowercase(), s(r, &["name"]).to_string()))
}

/// A pod's owners, nearest first (`replicaset/web-5d4`, `deployment/web`), following
/// ownerReferences through the ReplicaSets and Jobs of the snapshot as kubectl describe does.
pub fn owner_chain(snap: &Snapshot, pod: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = controller_of(pod);
    while let Some((kind, n)) = cur.take() {
        if out.len() > 4 {
            break;
        }
        out.push(format!("{kind}/{n}"));
        let parent = match kind.as_str() {
            "replicaset" => snap.replica_sets.iter().find(|r| name(r) == n),
            "job" => snap.jobs.iter().find(|r| name(r) == n),
            _ => None,
        };
        cur = parent.and_then(controller_of);
    }
    out
}

/// The workload that manages a pod (`deployment/web`), or the pod itself.
pub fn top_owner(snap: &Snapshot, pod: &Value) -> String {
    owner_chain(snap, pod)
        .pop()
        .unwrap_or_else(|| format!("pod/{}", name(pod)))
}

/// The pod-template workloads of the snapshot: (kind, object).
pub fn workloads(snap: &Snapshot) -> Vec<(&'static str, &Value)> {
    let mut out = Vec::new();
    for (kind, list) in [
        ("deployment", &snap.deployments),
        ("statefulset", &snap.stateful_sets),
        ("daemonset", &snap.daemon_sets),
        ("job", &snap.jobs),
    ] {
        for w in list {
            // Jobs owned by a CronJob are reached through the CronJob's name in messages,
            // but their template is what runs, so they count as workloads too.
            out.push((kind, w));
        }
    }
    out
}

fn template_labels(w: &Value) -> Option<&Map<String, Value>> {
    map_at(w, &["spec", "template", "metadata", "labels"])
}

fn spec_replicas(w: &Value) -> i64 {
    // The API server defaults `spec.replicas` to 1.
    i(w, &["spec", "replicas"]).unwrap_or(1)
}

fn condition<'a>(v: &'a Value, ty: &str) -> Option<&'a Value> {
    arr(v, &["status", "conditions"])
        .iter()
        .find(|c| s(c, &["type"]) == ty)
}

fn quote(s: &str) -> String {
    format!("{s:?}")
}

fn condition_line(object: &str, c: &Value) -> String {
    let mut l = format!(
        "{object} condition {}={}",
        s(c, &["type"]),
        s(c, &["status"])
    );
    if !s(c, &["reason"]).is_empty() {
        l.push_str(&format!(" reason={}", s(c, &["reason"])));
    }
    if !s(c, &["message"]).is_empty() {
        l.push_str(&format!(" message={}", quote(s(c, &["message"]))));
    }
    l
}

fn event_time(e: &Value) -> i64 {
    for k in ["lastTimestamp", "eventTime", "firstTimestamp"] {
        if let Some(t) = time::parse_rfc3339(s(e, &[k])) {
            return t;
        }
    }
    time::parse_rfc3339(s(e, &["metadata", "creationTimestamp"])).unwrap_or(0)
}

/// `event Reason: message` lines of the Warning events about one object (Normal events such
/// as `Scheduled` are progress, not evidence), newest first, one per reason, at most `max`.
pub fn events_for(snap: &Snapshot, kind: &str, obj: &str, max: usize) -> Vec<String> {
    let mut evs: Vec<&Value> = snap
        .events
        .iter()
        .filter(|e| {
            s(e, &["type"]) == "Warning"
                && s(e, &["involvedObject", "kind"]).eq_ignore_ascii_case(kind)
                && s(e, &["involvedObject", "name"]) == obj
        })
        .collect();
    evs.sort_by_key(|e| -event_time(e));
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for e in evs {
        let reason = s(e, &["reason"]);
        if !seen.insert(reason.to_string()) || out.len() >= max {
            continue;
        }
        let count = i(e, &["count"])
            .or_else(|| i(e, &["series", "count"]))
            .unwrap_or(1);
        let times = if count > 1 {
            format!(" (x{count})")
        } else {
            String::new()
        };
        out.push(format!(
            "event {reason}: {}{times}",
            s(e, &["message"]).trim()
        ));
    }
    out
}

/// Ready and total endpoints of a Service, from its EndpointSlices (`kubernetes.io/service-name`
/// label; an endpoint whose `conditions.ready` is absent counts as ready, as the API documents).
pub fn endpoint_counts(snap: &Snapshot, svc: &str) -> (usize, usize) {
    let (mut ready, mut total) = (0, 0);
    for sl in &snap.endpoint_slices {
        if s(sl, &["metadata", "labels", "kubernetes.io/service-name"]) != svc {
            continue;
        }
        for ep in arr(sl, &["endpoints"]) {
            total += 1;
            if get(ep, &["conditions", "ready"]).and_then(Value::as_bool) != Some(false) {
                ready += 1;
            }
        }
    }
    (ready, total)
}

fn pod_ready(p: &Value) -> bool {
    condition(p, "Ready").is_some_and(|c| s(c, &["status"]) == "True")
}

fn terminating(v: &Value) -> bool {
    get(v, &["metadata", "deletionTimestamp"]).is_some_and(|t| !t.is_null())
}

/// A reference from a workload (or Ingress) to a Service it uses.
#[derive(Debug, Clone, PartialEq)]
pub struct Dependency {
    /// `deployment/wordpress`, `ingress/web`, `pod/client`.
    pub from: String,
    /// The Service's name.
    pub service: String,
    /// `deployment/wordpress env WORDPRESS_DB_HOST=mariadb`.
    pub evidence: String,
}

/// Whether `text` names Service `svc` as a host: a word equal to the name, or the DNS names
/// `svc.ns`, `svc.ns.svc[.cluster.local]` (cluster DNS resolves these to the Service).
pub fn mentions_service(text: &str, svc: &str, ns: &str) -> bool {
    let long = format!("{svc}.{ns}");
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_'))
        .map(|t| t.trim_end_matches('.'))
        .any(|t| t == svc || t == long || t.starts_with(&format!("{long}.svc")))
}

fn pod_spec_refs(spec: &Value) -> Vec<(String, String)> {
    // (where, text): env values, args and commands of every container.
    let mut out = Vec::new();
    for list in ["initContainers", "containers"] {
        for c in arr(spec, &[list]) {
            for e in arr(c, &["env"]) {
                if let Some(v) = e.get("value").and_then(Value::as_str) {
                    out.push((format!("env {}={v}", s(e, &["name"])), v.to_string()));
                }
            }
            for k in ["command", "args"] {
                for a in arr(c, &[k]) {
                    if let Some(a) = a.as_str() {
                        out.push((format!("{k} {a:?}"), a.to_string()));
                    }
                }
            }
        }
    }
    out
}

/// Where Service references are looked for: (object, pod spec, pod labels).
type RefSource<'a> = (String, &'a Value, Option<&'a Map<String, Value>>);

/// Who uses which Service: env values, args and commands of workloads and bare pods that name
/// the Service (e.g. `WORDPRESS_DB_HOST=mariadb`), and Ingress backends. A workload's own
/// Services (those selecting its pods) are not dependencies.
pub fn dependencies(snap: &Snapshot) -> Vec<Dependency> {
    let ns = snap.namespace.as_str();
    let mut out = Vec::new();
    let mut sources: Vec<RefSource> = workloads(snap)
        .into_iter()
        .map(|(kind, w)| {
            (
                format!("{kind}/{}", name(w)),
                get(w, &["spec", "template", "spec"]).unwrap_or(&Value::Null),
                template_labels(w),
            )
        })
        .collect();
    for p in &snap.pods {
        if arr(p, &["metadata", "ownerReferences"]).is_empty() {
            sources.push((
                format!("pod/{}", name(p)),
                get(p, &["spec"]).unwrap_or(&Value::Null),
                map_at(p, &["metadata", "labels"]),
            ));
        }
    }
    for (from, spec, labels) in sources {
        let refs = pod_spec_refs(spec);
        for svc in &snap.services {
            let sname = name(svc);
            if selector_matches(map_at(svc, &["spec", "selector"]), labels) {
                continue;
            }
            if let Some((wh, _)) = refs.iter().find(|(_, t)| mentions_service(t, sname, ns)) {
                out.push(Dependency {
                    from: from.clone(),
                    service: sname.to_string(),
                    evidence: format!("{from} {wh}"),
                });
            }
        }
    }
    for ing in &snap.ingresses {
        for svc in ingress_backends(ing) {
            out.push(Dependency {
                from: format!("ingress/{}", name(ing)),
                service: svc.clone(),
                evidence: format!("ingress/{} backend service={svc}", name(ing)),
            });
        }
    }
    out
}

/// The Services an Ingress routes to (`spec.defaultBackend` and every rule path).
pub fn ingress_backends(ing: &Value) -> Vec<String> {
    let mut out = BTreeSet::new();
    let d = s(ing, &["spec", "defaultBackend", "service", "name"]);
    if !d.is_empty() {
        out.insert(d.to_string());
    }
    for r in arr(ing, &["spec", "rules"]) {
        for p in arr(r, &["http", "paths"]) {
            let n = s(p, &["backend", "service", "name"]);
            if !n.is_empty() {
                out.insert(n.to_string());
            }
        }
    }
    out.into_iter().collect()
}

/// The workloads whose pod template a Service selects: (object, replicas).
fn backends<'a>(snap: &'a Snapshot, svc: &Value) -> Vec<(String, &'a Value)> {
    let sel = map_at(svc, &["spec", "selector"]);
    workloads(snap)
        .into_iter()
        .filter(|(kind, _)| *kind != "job")
        .filter(|(_, w)| selector_matches(sel, template_labels(w)))
        .map(|(kind, w)| (format!("{kind}/{}", name(w)), w))
        .collect()
}

/// The `kubectl` resource argument of a workload object for fixes (`deployment/web`).
fn scale_cmd(obj: &str, ns: &str) -> String {
    let (kind, n) = obj.split_once('/').unwrap_or(("deployment", obj));
    format!("kubectl scale {kind} {n} --replicas=1 -n {ns}")
}

// --- analyzers --------------------------------------------------------------------------

/// Runs every analyzer over the snapshot.
pub fn analyze(snap: &Snapshot) -> Vec<Finding> {
    let deps = dependencies(snap);
    let mut out = Vec::new();
    out.extend(scaled_to_zero(snap, &deps));
    out.extend(services(snap, &deps));
    out.extend(ingresses(snap));
    out.extend(pods(snap));
    out.extend(secret_refs(snap));
    out.extend(rollouts(snap));
    out.extend(jobs(snap));
    out.extend(pvcs(snap));
    out.extend(nodes(snap));
    out.extend(stray_events(snap, &out));
    gitops(snap, &mut out);
    for (what, why) in &snap.unread {
        let mut f = Finding::new(
            Severity::Info,
            Category::Unread,
            what,
            format!("could not read {what}: {why}"),
        );
        f.subjects.clear();
        out.push(f);
    }
    out
}

/// Findings about a workload an Argo CD Application manages
/// ([`super::fetch::argo_app_ref`]): the evidence names the Application with its sync and
/// health status and its last operation, and a fix that would change the workload by hand
/// (`kubectl scale`, `rollout undo`, `set`, `patch`, `edit`) becomes `argocd app sync`: Argo
/// CD reverts manual changes under self-heal, and reports them as drift otherwise.
pub fn gitops(snap: &Snapshot, findings: &mut [Finding]) {
    if snap.applications.is_empty() {
        return;
    }
    // workload "kind/name" → (app display name, app)
    let mut managed: Vec<(String, String, &Value)> = Vec::new();
    for (kind, list) in [
        ("deployment", &snap.deployments),
        ("statefulset", &snap.stateful_sets),
        ("daemonset", &snap.daemon_sets),
    ] {
        for w in list {
            let Some((app_ns, app_name)) = super::fetch::argo_app_ref(w) else {
                continue;
            };
            let Some(app) = snap.applications.iter().find(|a| {
                s(a, &["metadata", "name"]) == app_name
                    && s(a, &["metadata", "namespace"]) == app_ns
            }) else {
                continue;
            };
            let shown = if app_ns == super::fetch::ARGOCD_NAMESPACE {
                app_name.clone()
            } else {
                format!("{app_ns}/{app_name}")
            };
            managed.push((format!("{kind}/{}", name(w)), shown, app));
        }
    }
    for f in findings.iter_mut() {
        let Some((obj, shown, app)) = managed
            .iter()
            .find(|(obj, _, _)| f.object == *obj || f.subjects.contains(obj))
        else {
            continue;
        };
        let sync = s(app, &["status", "sync", "status"]);
        let health = s(app, &["status", "health", "status"]);
        let op = s(app, &["status", "operationState", "phase"]);
        let op_msg = s(app, &["status", "operationState", "message"]);
        let self_heal = app
            .pointer("/spec/syncPolicy/automated/selfHeal")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        f.evidence.push(format!(
            "{obj} is managed by Argo CD Application {shown} (sync {}, health {}{})",
            if sync.is_empty() { "Unknown" } else { sync },
            if health.is_empty() { "Unknown" } else { health },
            if op.is_empty() {
                String::new()
            } else if op_msg.is_empty() {
                format!("; last operation {op}")
            } else {
                format!("; last operation {op}: {op_msg}")
            }
        ));
        let manual = f.fix.as_deref().is_some_and(|fix| {
            [
                "kubectl scale",
                "kubectl rollout undo",
                "kubectl set ",
                "kubectl patch",
                "kubectl edit",
            ]
            .iter()
            .any(|p| fix.starts_with(p))
        });
        if manual {
            f.evidence.push(format!(
                "a change made with kubectl would be {} by Argo CD: fix it in Git (or with argocd app set), then sync",
                if self_heal { "reverted (self-heal is on)" } else { "reported as drift (OutOfSync) and undone by the next sync" }
            ));
            f.fix = Some(format!("argocd app sync {shown}"));
        }
    }
}

fn dependents_of<'a>(deps: &'a [Dependency], svc: &str) -> Vec<&'a Dependency> {
    deps.iter().filter(|d| d.service == svc).collect()
}

/// Deployments and StatefulSets with `spec.replicas: 0` (`kubectl scale --replicas=0`): a
/// critical finding when a Service selects their pods and someone uses that Service.
pub fn scaled_to_zero(snap: &Snapshot, deps: &[Dependency]) -> Vec<Finding> {
    let ns = &snap.namespace;
    let mut out = Vec::new();
    for (kind, list) in [
        ("statefulset", &snap.stateful_sets),
        ("deployment", &snap.deployments),
    ] {
        for w in list {
            if spec_replicas(w) != 0 {
                continue;
            }
            let obj = format!("{kind}/{}", name(w));
            let svcs: Vec<&Value> = snap
                .services
                .iter()
                .filter(|svc| {
                    selector_matches(map_at(svc, &["spec", "selector"]), template_labels(w))
                })
                .collect();
            let users: Vec<&Dependency> = svcs
                .iter()
                .flat_map(|svc| dependents_of(deps, name(svc)))
                .collect();
            let (severity, title) = match (svcs.first(), users.is_empty()) {
                (None, _) => (
                    Severity::Info,
                    format!("{obj} is scaled to zero (spec.replicas=0)"),
                ),
                (Some(svc), true) => (
                    Severity::Warning,
                    format!(
                        "{obj} is scaled to zero, so service/{} has no endpoints",
                        name(svc)
                    ),
                ),
                (Some(svc), false) => {
                    let mut who: Vec<&str> = users.iter().map(|d| d.from.as_str()).collect();
                    who.dedup();
                    (
                        Severity::Critical,
                        format!(
                            "{obj} is scaled to zero, so service/{} has no endpoints, and {} depends on it",
                            name(svc),
                            who.join(", ")
                        ),
                    )
                }
            };
            let mut f = Finding::new(severity, Category::Scale, &obj, title);
            f.evidence.push(format!("{obj} spec.replicas=0"));
            for svc in &svcs {
                let (ready, _) = endpoint_counts(snap, name(svc));
                f.evidence.push(format!(
                    "service/{} spec.selector={} endpoints.ready={ready}",
                    name(svc),
                    selector_text(map_at(svc, &["spec", "selector"]))
                ));
                f.explains.push(format!("service/{}", name(svc)));
            }
            for d in &users {
                f.evidence.push(d.evidence.clone());
            }
            f.evidence.extend(events_for(snap, kind, name(w), 2));
            f.fix = Some(scale_cmd(&obj, ns));
            out.push(f);
        }
    }
    out
}

/// Services with no ready endpoints (kube-proxy sends their traffic nowhere), and why: the
/// selector matches no pod (a backend scaled to zero, or a label mismatch), or the matched
/// pods are not ready.
pub fn services(snap: &Snapshot, deps: &[Dependency]) -> Vec<Finding> {
    let ns = &snap.namespace;
    let slices_known = !snap
        .unread
        .iter()
        .any(|(w, _)| w.starts_with("endpointslices"));
    let mut out = Vec::new();
    for svc in &snap.services {
        let sname = name(svc);
        let sel = map_at(svc, &["spec", "selector"]);
        if s(svc, &["spec", "type"]) == "ExternalName" || sel.is_none_or(Map::is_empty) {
            continue;
        }
        let obj = format!("service/{sname}");
        let matched: Vec<&Value> = snap
            .pods
            .iter()
            .filter(|p| !terminating(p))
            .filter(|p| selector_matches(sel, map_at(p, &["metadata", "labels"])))
            .collect();
        let (ready, total) = if slices_known {
            endpoint_counts(snap, sname)
        } else {
            let r = matched.iter().filter(|p| pod_ready(p)).count();
            (r, matched.len())
        };
        if ready > 0 {
            continue;
        }
        // Pods that run but whose slice the controller has not written yet are not a problem.
        if slices_known && total == 0 && !matched.is_empty() && matched.iter().all(|p| pod_ready(p))
        {
            continue;
        }
        let users = dependents_of(deps, sname);
        let severity = if users.is_empty() {
            Severity::Warning
        } else {
            Severity::Critical
        };
        let seltext = selector_text(sel);
        let mut evidence = vec![format!(
            "{obj} spec.selector={seltext} endpoints.ready=0 endpoints.total={total}"
        )];
        let fix;
        let title;
        if matched.is_empty() {
            let zero: Vec<String> = backends(snap, svc)
                .into_iter()
                .filter(|(_, w)| spec_replicas(w) == 0)
                .map(|(o, _)| o)
                .collect();
            if let Some(b) = zero.first() {
                title = format!("{obj} has no endpoints: its backend {b} is scaled to zero");
                evidence.push(format!("{b} spec.replicas=0"));
                fix = Some(scale_cmd(b, ns));
            } else {
                title = format!("{obj} has no endpoints: selector {seltext} matches no pods");
                // Pods that share a selector key but with another value: a likely typo.
                let mut near = BTreeSet::new();
                for p in &snap.pods {
                    if let (Some(sel), Some(l)) = (sel, map_at(p, &["metadata", "labels"])) {
                        for (k, v) in sel {
                            if let Some(pv) = l.get(k).and_then(Value::as_str)
                                && Some(pv) != v.as_str()
                            {
                                near.insert((k.clone(), pv.to_string(), name(p).to_string()));
                            }
                        }
                    }
                }
                for (k, v, p) in near.iter().take(3) {
                    evidence.push(format!("pod/{p} metadata.labels.{k}={v}"));
                }
                let values: BTreeSet<(&String, &String)> =
                    near.iter().map(|(k, v, _)| (k, v)).collect();
                fix = Some(if let (1, Some((k, v))) = (values.len(), values.first()) {
                    format!(
                        "kubectl patch service {sname} -n {ns} -p '{{\"spec\":{{\"selector\":{{\"{k}\":\"{v}\"}}}}}}'"
                    )
                } else {
                    format!("kubectl get pods -n {ns} --show-labels")
                });
            }
        } else {
            title = format!(
                "{obj} has no ready endpoints: {} pod(s) match its selector but none is ready",
                matched.len()
            );
            for p in matched.iter().take(3) {
                evidence.push(format!(
                    "pod/{} status.phase={} ready={}",
                    name(p),
                    s(p, &["status", "phase"]),
                    pod_ready(p)
                ));
            }
            fix = Some(format!("kubectl describe pod {} -n {ns}", name(matched[0])));
        }
        let mut f = Finding::new(severity, Category::Service, &obj, title);
        f.evidence = evidence;
        for d in &users {
            f.evidence.push(d.evidence.clone());
            f.explains.push(d.from.clone());
        }
        f.fix = fix;
        out.push(f);
    }
    out
}

/// Ingresses routing to a Service that does not exist.
pub fn ingresses(snap: &Snapshot) -> Vec<Finding> {
    let ns = &snap.namespace;
    let mut out = Vec::new();
    for ing in &snap.ingresses {
        let obj = format!("ingress/{}", name(ing));
        for svc in ingress_backends(ing) {
            if snap.services.iter().any(|x| name(x) == svc) {
                continue;
            }
            let mut f = Finding::new(
                Severity::Critical,
                Category::Service,
                &obj,
                format!("{obj} routes to service/{svc}, which does not exist"),
            );
            f.evidence.push(format!("{obj} backend service={svc}"));
            f.evidence.push(format!("service/{svc} not found"));
            f.fix = Some(format!("kubectl get services -n {ns}"));
            out.push(f);
        }
    }
    out
}

fn container_spec<'a>(pod: &'a Value, cname: &str) -> Option<&'a Value> {
    ["containers", "initContainers"]
        .iter()
        .flat_map(|l| arr(pod, &["spec", l]))
        .find(|c| s(c, &["name"]) == cname)
}

fn probe_text(p: &Value) -> String {
    if let Some(h) = p.get("httpGet") {
        let port = h.get("port").map(|v| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        });
        format!("httpGet :{}{}", port.unwrap_or_default(), s(h, &["path"]))
    } else if let Some(t) = p.get("tcpSocket") {
        format!(
            "tcpSocket :{}",
            t.get("port").map(Value::to_string).unwrap_or_default()
        )
    } else if let Some(e) = p.get("exec") {
        format!(
            "exec {}",
            arr(e, &["command"])
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(" ")
        )
    } else if p.get("grpc").is_some() {
        "grpc".into()
    } else {
        "probe".into()
    }
}

/// A pod-level problem before merging the replicas of one workload.
struct PodIssue {
    key: String,
    finding: Finding,
}

/// Container and pod problems the kubelet and scheduler report in pod status:
/// `CrashLoopBackOff` (with the last termination), `OOMKilled`, `ImagePullBackOff` /
/// `ErrImagePull`, `CreateContainerConfigError`, running-but-not-ready containers (failing
/// readiness probes), liveness probe restarts, `PodScheduled=False` (Unschedulable) and
/// failed pods. The replicas of one workload with the same problem make one finding.
pub fn pods(snap: &Snapshot) -> Vec<Finding> {
    let ns = &snap.namespace;
    let mut issues: Vec<PodIssue> = Vec::new();
    for p in &snap.pods {
        if terminating(p) {
            continue;
        }
        let pname = name(p);
        let pobj = format!("pod/{pname}");
        let chain = owner_chain(snap, p);
        let top = chain.last().cloned();
        let target = top.clone().unwrap_or_else(|| pobj.clone());
        let phase = s(p, &["status", "phase"]);
        let owned_by_job = chain.iter().any(|o| o.starts_with("job/"));
        // Services selecting this pod: its not being ready empties their endpoints.
        let svcs: Vec<String> = snap
            .services
            .iter()
            .filter(|svc| {
                selector_matches(
                    map_at(svc, &["spec", "selector"]),
                    map_at(p, &["metadata", "labels"]),
                )
            })
            .map(|svc| format!("service/{}", name(svc)))
            .collect();
        let mut push = |key: String, mut f: Finding| {
            f.subjects.extend(chain.iter().cloned());
            f.explains.extend(chain.iter().cloned());
            f.explains.extend(svcs.iter().cloned());
            issues.push(PodIssue {
                key: format!("{target}|{key}"),
                finding: f,
            });
        };
        if owned_by_job && (phase == "Failed" || phase == "Succeeded") {
            continue; // the Job analyzer reports these
        }
        let events = events_for(snap, "Pod", pname, 3);
        let mut container_issue = false;
        let statuses = arr(p, &["status", "initContainerStatuses"])
            .iter()
            .chain(arr(p, &["status", "containerStatuses"]));
        for cs in statuses {
            let cname = s(cs, &["name"]);
            let waiting = s(cs, &["state", "waiting", "reason"]);
            let wmsg = s(cs, &["state", "waiting", "message"]);
            let last = get(cs, &["lastState", "terminated"]);
            let last_reason = last.map(|t| s(t, &["reason"])).unwrap_or("");
            let last_code = last.and_then(|t| i(t, &["exitCode"]));
            let restarts = i(cs, &["restartCount"]).unwrap_or(0);
            let image = s(cs, &["image"]);
            let field = format!("{pobj} status.containerStatuses[{cname}]");
            let last_line = last.map(|_| {
                format!(
                    "{field}.lastState.terminated.reason={last_reason} exitCode={}",
                    last_code.map(|c| c.to_string()).unwrap_or_default()
                )
            });
            let waiting_line = format!(
                "{field}.state.waiting.reason={waiting}{}",
                if wmsg.is_empty() {
                    String::new()
                } else {
                    format!(" message={}", quote(wmsg))
                }
            );
            match waiting {
                "CrashLoopBackOff" if last_reason == "OOMKilled" => {
                    container_issue = true;
                    let limit = container_spec(p, cname)
                        .map(|c| s(c, &["resources", "limits", "memory"]).to_string())
                        .unwrap_or_default();
                    let mut f = Finding::new(
                        Severity::Critical,
                        Category::Oom,
                        &pobj,
                        format!(
                            "container {cname} of {pobj} is OOMKilled and restarting (CrashLoopBackOff, {restarts} restarts){}",
                            if limit.is_empty() {
                                String::new()
                            } else {
                                format!("; memory limit {limit}")
                            }
                        ),
                    );
                    f.evidence.push(waiting_line);
                    f.evidence.extend(last_line.clone());
                    if !limit.is_empty() {
                        f.evidence.push(format!(
                            "{pobj} spec.containers[{cname}].resources.limits.memory={limit}"
                        ));
                    }
                    f.evidence.extend(events.iter().cloned());
                    f.fix = Some(format!(
                        "kubectl set resources {target} -c {cname} --limits=memory=<more than {}> -n {ns}",
                        if limit.is_empty() { "now" } else { &limit }
                    ));
                    push(format!("oom|{cname}"), f);
                }
                "CrashLoopBackOff" => {
                    container_issue = true;
                    let why = match (last_reason, last_code) {
                        ("", None) => String::new(),
                        (r, Some(c)) => format!(
                            "last exit: {}, exit code {c}; ",
                            if r.is_empty() { "?" } else { r }
                        ),
                        (r, None) => format!("last exit: {r}; "),
                    };
                    let mut f = Finding::new(
                        Severity::Critical,
                        Category::Crash,
                        &pobj,
                        format!(
                            "container {cname} of {pobj} is in CrashLoopBackOff ({why}{restarts} restarts)"
                        ),
                    );
                    f.evidence.push(waiting_line);
                    f.evidence.extend(last_line.clone());
                    f.evidence.extend(events.iter().cloned());
                    f.fix = Some(format!(
                        "kubectl logs {pname} -c {cname} --previous -n {ns}"
                    ));
                    push(format!("crash|{cname}"), f);
                }
                "ImagePullBackOff" | "ErrImagePull" | "InvalidImageName" | "ErrImageNeverPull" => {
                    container_issue = true;
                    let img = container_spec(p, cname)
                        .map(|c| s(c, &["image"]))
                        .filter(|i| !i.is_empty())
                        .unwrap_or(image);
                    let mut f = Finding::new(
                        Severity::Critical,
                        Category::Image,
                        &pobj,
                        format!(
                            "container {cname} of {pobj} cannot pull image {} ({waiting})",
                            quote(img)
                        ),
                    );
                    f.evidence.push(waiting_line);
                    f.evidence
                        .push(format!("{pobj} spec.containers[{cname}].image={img}"));
                    f.evidence.extend(events.iter().cloned());
                    f.fix = Some(if top.is_some() {
                        format!("kubectl set image {target} {cname}=<an image that exists> -n {ns}")
                    } else {
                        format!("kubectl describe pod {pname} -n {ns}")
                    });
                    push(format!("image|{cname}"), f);
                }
                "CreateContainerConfigError" | "CreateContainerError" | "RunContainerError" => {
                    container_issue = true;
                    let mut f = Finding::new(
                        Severity::Critical,
                        Category::Config,
                        &pobj,
                        format!(
                            "container {cname} of {pobj} cannot start: {waiting}{}",
                            if wmsg.is_empty() {
                                String::new()
                            } else {
                                format!(": {wmsg}")
                            }
                        ),
                    );
                    f.evidence.push(waiting_line);
                    f.evidence.extend(events.iter().cloned());
                    f.fix = Some(config_fix(wmsg, pname, ns));
                    push(format!("config|{cname}"), f);
                }
                "" | "ContainerCreating" | "PodInitializing" => {}
                other => {
                    container_issue = true;
                    let mut f = Finding::new(
                        Severity::Warning,
                        Category::Crash,
                        &pobj,
                        format!("container {cname} of {pobj} is waiting: {other}"),
                    );
                    f.evidence.push(waiting_line);
                    f.evidence.extend(events.iter().cloned());
                    f.fix = Some(format!("kubectl describe pod {pname} -n {ns}"));
                    push(format!("waiting|{cname}|{other}"), f);
                }
            }
            if !waiting.is_empty() {
                continue;
            }
            let running = get(cs, &["state", "running"]).is_some();
            let ready = cs.get("ready").and_then(Value::as_bool).unwrap_or(false);
            if last_reason == "OOMKilled" {
                container_issue = true;
                let mut f = Finding::new(
                    Severity::Warning,
                    Category::Oom,
                    &pobj,
                    format!("container {cname} of {pobj} was OOMKilled ({restarts} restarts)"),
                );
                f.evidence.extend(last_line.clone());
                f.evidence.extend(events.iter().cloned());
                f.fix = Some(format!(
                    "kubectl set resources {target} -c {cname} --limits=memory=<more than now> -n {ns}"
                ));
                push(format!("oom|{cname}"), f);
            } else if running
                && restarts > 0
                && events.iter().any(|e| e.contains("Liveness probe failed"))
            {
                container_issue = true;
                let mut f = Finding::new(
                    Severity::Warning,
                    Category::Probe,
                    &pobj,
                    format!(
                        "container {cname} of {pobj} is restarted by a failing liveness probe ({restarts} restarts)"
                    ),
                );
                if let Some(pr) = container_spec(p, cname).and_then(|c| c.get("livenessProbe")) {
                    f.evidence.push(format!(
                        "{pobj} spec.containers[{cname}].livenessProbe={}",
                        probe_text(pr)
                    ));
                }
                f.evidence.extend(last_line.clone());
                f.evidence.extend(events.iter().cloned());
                f.fix = Some(format!(
                    "kubectl logs {pname} -c {cname} --previous -n {ns}"
                ));
                push(format!("liveness|{cname}"), f);
            }
            if running && !ready && phase == "Running" && !container_issue {
                container_issue = true;
                let probe = container_spec(p, cname).and_then(|c| c.get("readinessProbe"));
                let mut f = Finding::new(
                    Severity::Warning,
                    Category::Probe,
                    &pobj,
                    if probe.is_some() {
                        format!(
                            "container {cname} of {pobj} is running but not ready: its readiness probe fails"
                        )
                    } else {
                        format!("container {cname} of {pobj} is running but not ready")
                    },
                );
                f.evidence
                    .push(format!("{field}.ready=false state=running"));
                if let Some(pr) = probe {
                    f.evidence.push(format!(
                        "{pobj} spec.containers[{cname}].readinessProbe={}",
                        probe_text(pr)
                    ));
                }
                f.evidence.extend(events.iter().cloned());
                f.fix = Some(if probe.is_some() {
                    format!("kubectl logs {pname} -c {cname} -n {ns}")
                } else {
                    format!("kubectl describe pod {pname} -n {ns}")
                });
                push(format!("notready|{cname}"), f);
            }
        }
        if phase == "Pending"
            && let Some(c) = condition(p, "PodScheduled")
            && s(c, &["status"]) == "False"
        {
            let msg = s(c, &["message"]);
            let reason = s(c, &["reason"]);
            let mut f = Finding::new(
                Severity::Critical,
                Category::Scheduling,
                &pobj,
                format!(
                    "{pobj} is Pending: {}{}",
                    if reason.is_empty() {
                        "not scheduled"
                    } else {
                        reason
                    },
                    if msg.is_empty() {
                        String::new()
                    } else {
                        format!(": {msg}")
                    }
                ),
            );
            f.evidence.push(condition_line(&pobj, c));
            if let Some(sel) = map_at(p, &["spec", "nodeSelector"]).filter(|m| !m.is_empty()) {
                f.evidence.push(format!(
                    "{pobj} spec.nodeSelector={}",
                    selector_text(Some(sel))
                ));
            }
            f.evidence.extend(events.iter().cloned());
            let low = msg.to_lowercase();
            f.fix = Some(if low.contains("persistentvolumeclaim") {
                format!("kubectl get pvc -n {ns}")
            } else if (low.contains("node affinity") || low.contains("selector"))
                && map_at(p, &["spec", "nodeSelector"]).is_some_and(|m| !m.is_empty())
                && top.is_some()
            {
                format!(
                    "kubectl patch {target} -n {ns} --type=json -p '[{{\"op\":\"remove\",\"path\":\"/spec/template/spec/nodeSelector\"}}]'"
                )
            } else if low.contains("insufficient") {
                format!(
                    "kubectl set resources {target} --requests=cpu=<less>,memory=<less> -n {ns}"
                )
            } else {
                "kubectl get nodes --show-labels".to_string()
            });
            push("unschedulable".into(), f);
        } else if phase == "Failed" {
            let mut f = Finding::new(
                Severity::Warning,
                Category::Crash,
                &pobj,
                format!(
                    "{pobj} failed{}{}",
                    if s(p, &["status", "reason"]).is_empty() {
                        String::new()
                    } else {
                        format!(": {}", s(p, &["status", "reason"]))
                    },
                    if s(p, &["status", "message"]).is_empty() {
                        String::new()
                    } else {
                        format!(": {}", s(p, &["status", "message"]))
                    }
                ),
            );
            f.evidence.push(format!("{pobj} status.phase=Failed"));
            f.evidence.extend(events.iter().cloned());
            f.fix = Some(format!("kubectl describe pod {pname} -n {ns}"));
            push("failed".into(), f);
        } else if phase == "Running" && !container_issue && !pod_ready(p) {
            let mut f = Finding::new(
                Severity::Warning,
                Category::Probe,
                &pobj,
                format!("{pobj} is Running but not ready"),
            );
            if let Some(c) = condition(p, "Ready") {
                f.evidence.push(condition_line(&pobj, c));
            }
            let node = s(p, &["spec", "nodeName"]);
            if !node.is_empty() {
                f.evidence.push(format!("{pobj} spec.nodeName={node}"));
            }
            f.evidence.extend(events.iter().cloned());
            f.fix = Some(format!("kubectl describe pod {pname} -n {ns}"));
            push("notready".into(), f);
        }
    }
    // One finding per (workload, problem): the other replicas become evidence.
    let mut out: Vec<Finding> = Vec::new();
    let mut at: BTreeMap<String, usize> = BTreeMap::new();
    for PodIssue { key, finding } in issues {
        match at.get(&key) {
            Some(&k) => {
                let f = &mut out[k];
                let extra = f.subjects.iter().filter(|o| o.starts_with("pod/")).count();
                if extra < 4 {
                    f.evidence.push(format!("also {}", finding.object));
                }
                f.subjects.push(finding.object);
            }
            None => {
                at.insert(key, out.len());
                out.push(finding);
            }
        }
    }
    for f in &mut out {
        f.subjects.sort();
        f.subjects.dedup();
        f.explains.sort();
        f.explains.dedup();
    }
    out
}

/// Secrets a pod needs that do not exist, or that lack the key it needs: env
/// `valueFrom.secretKeyRef`, `envFrom[].secretRef` and `secret` volumes (with their `items`),
/// of init and app containers, skipping references marked `optional: true` (the kubelet's
/// `CreateContainerConfigError` / `FailedMount` cases). Judged from the Secrets' metadata
/// (names and key names; the host never gives values). The replicas of one workload make one
/// finding per missing Secret or key.
pub fn secret_refs(snap: &Snapshot) -> Vec<Finding> {
    let Some(secrets) = &snap.secrets else {
        return Vec::new();
    };
    let ns = &snap.namespace;
    let keys_of = |secret: &str| -> Option<BTreeSet<String>> {
        secrets.iter().find(|x| name(x) == secret).map(|x| {
            ["data", "stringData"]
                .iter()
                .filter_map(|f| x.get(*f).and_then(Value::as_object))
                .flat_map(|m| m.keys().cloned())
                .collect()
        })
    };
    let optional = |v: &Value| v.get("optional").and_then(Value::as_bool) == Some(true);
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for p in &snap.pods {
        if terminating(p) {
            continue;
        }
        let target = top_owner(snap, p);
        let spec = p.get("spec").unwrap_or(&Value::Null);
        // (secret, key, where)
        let mut refs: Vec<(String, Option<String>, String)> = Vec::new();
        for list in ["initContainers", "containers"] {
            for c in arr(spec, &[list]) {
                let cname = s(c, &["name"]);
                for e in arr(c, &["env"]) {
                    if let Some(r) = get(e, &["valueFrom", "secretKeyRef"])
                        && !optional(r)
                    {
                        refs.push((
                            s(r, &["name"]).to_string(),
                            Some(s(r, &["key"]).to_string()),
                            format!("container {cname} env {}", s(e, &["name"])),
                        ));
                    }
                }
                for e in arr(c, &["envFrom"]) {
                    if let Some(r) = e.get("secretRef")
                        && !optional(r)
                    {
                        refs.push((
                            s(r, &["name"]).to_string(),
                            None,
                            format!("container {cname} envFrom"),
                        ));
                    }
                }
            }
        }
        for v in arr(spec, &["volumes"]) {
            if let Some(sv) = v.get("secret")
                && !optional(sv)
            {
                let secret = s(sv, &["secretName"]).to_string();
                let place = format!("volume {}", s(v, &["name"]));
                let items = arr(sv, &["items"]);
                if items.is_empty() {
                    refs.push((secret, None, place));
                } else {
                    for it in items {
                        refs.push((
                            secret.clone(),
                            Some(s(it, &["key"]).to_string()),
                            place.clone(),
                        ));
                    }
                }
            }
        }
        for (secret, key, place) in refs {
            if secret.is_empty() || !seen.insert((target.clone(), secret.clone(), key.clone())) {
                continue;
            }
            let mut f = match (keys_of(&secret), &key) {
                (None, _) => {
                    let mut f = Finding::new(
                        Severity::Critical,
                        Category::Config,
                        &target,
                        format!(
                            "{target} needs Secret {} ({place}), which does not exist in namespace {ns}",
                            quote(&secret)
                        ),
                    );
                    f.fix = Some(format!(
                        "kubectl create secret generic {secret} -n {ns} --from-literal={}=VALUE",
                        key.as_deref().unwrap_or("KEY")
                    ));
                    f
                }
                (Some(keys), Some(k)) if !keys.contains(k) => {
                    let have: Vec<&str> = keys.iter().map(String::as_str).collect();
                    let mut f = Finding::new(
                        Severity::Critical,
                        Category::Config,
                        &target,
                        format!(
                            "{target} needs key {} of Secret {} ({place}), which has no such key (it has: {})",
                            quote(k),
                            quote(&secret),
                            if have.is_empty() {
                                "none".to_string()
                            } else {
                                have.join(", ")
                            }
                        ),
                    );
                    f.fix = Some(format!(
                        "kubectl patch secret {secret} -n {ns} --type=merge -p '{{\"stringData\":{{\"{k}\":\"VALUE\"}}}}'"
                    ));
                    f
                }
                _ => continue,
            };
            f.evidence
                .push(format!("{} {place}", format_args!("pod/{}", name(p))));
            f.subjects.push(format!("secret/{secret}"));
            out.push(f);
        }
    }
    out
}

/// A fix for a container that cannot be created: the missing Secret/ConfigMap (or key) the
/// kubelet names in its message (`secret "x" not found`, `configmap "x" not found`).
fn config_fix(msg: &str, pod: &str, ns: &str) -> String {
    let quoted = msg.split('"').nth(1).unwrap_or("");
    let low = msg.to_lowercase();
    if !quoted.is_empty() && low.starts_with("secret") && low.contains("not found") {
        format!("kubectl create secret generic {quoted} -n {ns} --from-literal=KEY=VALUE")
    } else if !quoted.is_empty() && low.starts_with("configmap") && low.contains("not found") {
        format!("kubectl create configmap {quoted} -n {ns} --from-literal=KEY=VALUE")
    } else {
        format!("kubectl describe pod {pod} -n {ns}")
    }
}

/// Deployments the controller reports as not progressing (`Progressing=False`,
/// `ProgressDeadlineExceeded`) or with unavailable replicas, ReplicaSets that cannot create
/// pods (`ReplicaFailure`), StatefulSets and DaemonSets with pods not ready.
pub fn rollouts(snap: &Snapshot) -> Vec<Finding> {
    let ns = &snap.namespace;
    let mut out = Vec::new();
    for d in &snap.deployments {
        let dn = name(d);
        let obj = format!("deployment/{dn}");
        let want = spec_replicas(d);
        let avail = i(d, &["status", "availableReplicas"]).unwrap_or(0);
        let progressing = condition(d, "Progressing");
        if let Some(c) = progressing
            && s(c, &["status"]) == "False"
        {
            let mut f = Finding::new(
                Severity::Critical,
                Category::Rollout,
                &obj,
                format!(
                    "{obj} is not progressing: {} ({avail}/{want} replicas available)",
                    s(c, &["reason"])
                ),
            );
            f.evidence.push(condition_line(&obj, c));
            if let Some(a) = condition(d, "Available") {
                f.evidence.push(condition_line(&obj, a));
            }
            if let Some(pd) = i(d, &["spec", "progressDeadlineSeconds"]) {
                f.evidence
                    .push(format!("{obj} spec.progressDeadlineSeconds={pd}"));
            }
            f.evidence.extend(events_for(snap, "Deployment", dn, 2));
            f.fix = Some(format!("kubectl rollout undo deployment/{dn} -n {ns}"));
            out.push(f);
        } else if want > 0 && avail < want {
            let mut f = Finding::new(
                Severity::Warning,
                Category::Rollout,
                &obj,
                format!("{obj} has {avail}/{want} replicas available"),
            );
            f.evidence.push(format!(
                "{obj} spec.replicas={want} status.availableReplicas={avail}"
            ));
            if let Some(a) = condition(d, "Available") {
                f.evidence.push(condition_line(&obj, a));
            }
            f.fix = Some(format!("kubectl rollout status deployment/{dn} -n {ns}"));
            out.push(f);
        }
        if let Some(c) = condition(d, "ReplicaFailure")
            && s(c, &["status"]) == "True"
        {
            let mut f = Finding::new(
                Severity::Critical,
                Category::Rollout,
                &obj,
                format!("{obj} cannot create pods: {}", s(c, &["message"])),
            );
            f.evidence.push(condition_line(&obj, c));
            f.fix = Some(format!("kubectl describe deployment {dn} -n {ns}"));
            out.push(f);
        }
    }
    for rs in &snap.replica_sets {
        if let Some(c) = condition(rs, "ReplicaFailure")
            && s(c, &["status"]) == "True"
            && spec_replicas(rs) > 0
        {
            let obj = format!("replicaset/{}", name(rs));
            let mut f = Finding::new(
                Severity::Critical,
                Category::Rollout,
                &obj,
                format!("{obj} cannot create pods: {}", s(c, &["message"])),
            );
            f.evidence.push(condition_line(&obj, c));
            f.evidence
                .extend(events_for(snap, "ReplicaSet", name(rs), 2));
            if let Some((k, n)) = controller_of(rs) {
                f.explains.push(format!("{k}/{n}"));
            }
            f.fix = Some(format!("kubectl describe replicaset {} -n {ns}", name(rs)));
            out.push(f);
        }
    }
    for (kind, list, ready_path) in [
        ("statefulset", &snap.stateful_sets, "readyReplicas"),
        ("daemonset", &snap.daemon_sets, "numberReady"),
    ] {
        for w in list {
            let want = if kind == "daemonset" {
                i(w, &["status", "desiredNumberScheduled"]).unwrap_or(0)
            } else {
                spec_replicas(w)
            };
            let ready = i(w, &["status", ready_path]).unwrap_or(0);
            if want == 0 || ready >= want {
                continue;
            }
            let obj = format!("{kind}/{}", name(w));
            let mut f = Finding::new(
                Severity::Warning,
                Category::Rollout,
                &obj,
                format!("{obj} has {ready}/{want} pods ready"),
            );
            f.evidence.push(format!(
                "{obj} {}={want} status.{ready_path}={ready}",
                if kind == "daemonset" {
                    "status.desiredNumberScheduled"
                } else {
                    "spec.replicas"
                }
            ));
            f.fix = Some(format!("kubectl rollout status {kind}/{} -n {ns}", name(w)));
            out.push(f);
        }
    }
    out
}

/// Jobs the Job controller marked `Failed` (e.g. `BackoffLimitExceeded`), with their failed
/// pods' last termination; Jobs whose pods fail while retries remain.
pub fn jobs(snap: &Snapshot) -> Vec<Finding> {
    let ns = &snap.namespace;
    let mut out = Vec::new();
    for j in &snap.jobs {
        let jn = name(j);
        let obj = format!("job/{jn}");
        let failed = i(j, &["status", "failed"]).unwrap_or(0);
        let cond = condition(j, "Failed").filter(|c| s(c, &["status"]) == "True");
        if cond.is_none() && failed == 0 {
            continue;
        }
        let mut pod_lines = Vec::new();
        let mut exit = String::new();
        for p in &snap.pods {
            if controller_of(p).is_none_or(|(k, n)| k != "job" || n != jn)
                || s(p, &["status", "phase"]) != "Failed"
            {
                continue;
            }
            for cs in arr(p, &["status", "containerStatuses"]) {
                if let Some(t) = get(cs, &["state", "terminated"]) {
                    let line = format!(
                        "pod/{} status.containerStatuses[{}].state.terminated.reason={} exitCode={}",
                        name(p),
                        s(cs, &["name"]),
                        s(t, &["reason"]),
                        i(t, &["exitCode"])
                            .map(|c| c.to_string())
                            .unwrap_or_default()
                    );
                    if exit.is_empty() {
                        exit = format!(
                            "; last pod exit: {}, exit code {}",
                            s(t, &["reason"]),
                            i(t, &["exitCode"]).unwrap_or(0)
                        );
                    }
                    if pod_lines.len() < 3 {
                        pod_lines.push(line);
                    }
                }
            }
        }
        let mut f = match cond {
            Some(c) => {
                let mut f = Finding::new(
                    Severity::Critical,
                    Category::Job,
                    &obj,
                    format!(
                        "{obj} failed: {}{exit}",
                        if s(c, &["reason"]).is_empty() {
                            "Failed"
                        } else {
                            s(c, &["reason"])
                        }
                    ),
                );
                f.evidence.push(condition_line(&obj, c));
                f
            }
            None => Finding::new(
                Severity::Warning,
                Category::Job,
                &obj,
                format!("{obj} has {failed} failed pod(s){exit}"),
            ),
        };
        f.evidence.push(format!(
            "{obj} status.failed={failed} spec.backoffLimit={}",
            i(j, &["spec", "backoffLimit"]).unwrap_or(6)
        ));
        f.evidence.extend(pod_lines);
        f.evidence.extend(events_for(snap, "Job", jn, 2));
        f.fix = Some(format!("kubectl logs job/{jn} -n {ns}"));
        if let Some((k, n)) = controller_of(j) {
            f.subjects.push(format!("{k}/{n}"));
        }
        out.push(f);
    }
    out
}

/// PersistentVolumeClaims not `Bound`: `Pending` (no such StorageClass, no default class,
/// provisioning failing) or `Lost`; they explain the pods that mount them.
pub fn pvcs(snap: &Snapshot) -> Vec<Finding> {
    let ns = &snap.namespace;
    let mut out = Vec::new();
    for c in &snap.pvcs {
        let phase = s(c, &["status", "phase"]);
        if phase == "Bound" || terminating(c) {
            continue;
        }
        let cn = name(c);
        let obj = format!("persistentvolumeclaim/{cn}");
        let class = s(c, &["spec", "storageClassName"]);
        let users: Vec<&Value> = snap
            .pods
            .iter()
            .filter(|p| {
                arr(p, &["spec", "volumes"])
                    .iter()
                    .any(|v| s(v, &["persistentVolumeClaim", "claimName"]) == cn)
            })
            .collect();
        let events = events_for(snap, "PersistentVolumeClaim", cn, 3);
        let missing_class = !class.is_empty()
            && snap
                .storage_classes
                .as_ref()
                .is_some_and(|l| !l.iter().any(|sc| name(sc) == class));
        // The PV controller's Normal event for a WaitForFirstConsumer class: not a fault.
        let waiting_consumer = snap.events.iter().any(|e| {
            s(e, &["reason"]) == "WaitForFirstConsumer"
                && s(e, &["involvedObject", "kind"]) == "PersistentVolumeClaim"
                && s(e, &["involvedObject", "name"]) == cn
        });
        let severity = if phase == "Lost" || missing_class || !users.is_empty() {
            Severity::Critical
        } else if waiting_consumer {
            Severity::Info
        } else {
            Severity::Warning
        };
        let why = if missing_class {
            format!(": storageclass {} not found", quote(class))
        } else if class.is_empty()
            && snap.storage_classes.as_ref().is_some_and(|l| {
                !l.iter().any(|sc| {
                    s(
                        sc,
                        &[
                            "metadata",
                            "annotations",
                            "storageclass.kubernetes.io/is-default-class",
                        ],
                    ) == "true"
                })
            })
            && s(c, &["spec", "volumeName"]).is_empty()
        {
            ": no storageClassName and no default StorageClass".to_string()
        } else {
            String::new()
        };
        let mut f = Finding::new(
            severity,
            Category::Storage,
            &obj,
            format!(
                "{obj} is {}{why}",
                if phase.is_empty() { "Pending" } else { phase }
            ),
        );
        f.evidence.push(format!(
            "{obj} status.phase={}",
            if phase.is_empty() { "Pending" } else { phase }
        ));
        if !class.is_empty() {
            f.evidence
                .push(format!("{obj} spec.storageClassName={class}"));
        }
        if missing_class {
            f.evidence.push(format!("storageclass/{class} not found"));
        }
        f.evidence.extend(events);
        for p in &users {
            f.evidence.push(format!("pod/{} mounts it", name(p)));
            f.explains.push(format!("pod/{}", name(p)));
            f.explains.extend(owner_chain(snap, p));
        }
        f.fix = Some(if missing_class || !why.is_empty() {
            format!(
                "kubectl get storageclass  # then re-create {obj} with an existing storageClassName (the field is immutable): kubectl delete pvc {cn} -n {ns}"
            )
        } else {
            format!("kubectl describe pvc {cn} -n {ns}")
        });
        out.push(f);
    }
    out
}

/// Nodes whose `Ready` condition is not `True` (NotReady or Unknown, as `kubectl get nodes`
/// shows), and pressure conditions; critical when pods of the namespace run there.
pub fn nodes(snap: &Snapshot) -> Vec<Finding> {
    let ns = &snap.namespace;
    let mut out = Vec::new();
    for n in &snap.nodes {
        let nn = name(n);
        let obj = format!("node/{nn}");
        let here: Vec<&Value> = snap
            .pods
            .iter()
            .filter(|p| s(p, &["spec", "nodeName"]) == nn)
            .collect();
        let ready = condition(n, "Ready");
        let not_ready = ready.is_none_or(|c| s(c, &["status"]) != "True");
        let pressure: Vec<&Value> = arr(n, &["status", "conditions"])
            .iter()
            .filter(|c| s(c, &["type"]).ends_with("Pressure") && s(c, &["status"]) == "True")
            .collect();
        if !not_ready && pressure.is_empty() {
            continue;
        }
        let (severity, title) = if not_ready {
            let why = ready
                .map(|c| {
                    let r = s(c, &["reason"]);
                    let m = s(c, &["message"]);
                    match (r.is_empty(), m.is_empty()) {
                        (true, true) => String::new(),
                        (false, true) => format!(": {r}"),
                        (true, false) => format!(": {m}"),
                        (false, false) => format!(": {r}: {m}"),
                    }
                })
                .unwrap_or_else(|| ": no Ready condition (the kubelet never reported)".into());
            (
                if here.is_empty() {
                    Severity::Info
                } else {
                    Severity::Critical
                },
                format!(
                    "{obj} is NotReady{why}{}",
                    if here.is_empty() {
                        format!(" (no pods of namespace {ns} on it)")
                    } else {
                        format!(" and runs {} pod(s) of namespace {ns}", here.len())
                    }
                ),
            )
        } else {
            (
                if here.is_empty() {
                    Severity::Info
                } else {
                    Severity::Warning
                },
                format!(
                    "{obj} reports {}",
                    pressure
                        .iter()
                        .map(|c| s(c, &["type"]))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        };
        let mut f = Finding::new(severity, Category::Node, &obj, title);
        if let Some(c) = ready {
            f.evidence.push(condition_line(&obj, c));
        }
        for c in &pressure {
            f.evidence.push(condition_line(&obj, c));
        }
        if get(n, &["spec", "unschedulable"]).and_then(Value::as_bool) == Some(true) {
            f.evidence.push(format!("{obj} spec.unschedulable=true"));
        }
        for p in here.iter().take(3) {
            f.evidence
                .push(format!("pod/{} spec.nodeName={nn}", name(p)));
        }
        for p in &here {
            f.explains.push(format!("pod/{}", name(p)));
            f.explains.extend(owner_chain(snap, p));
        }
        f.fix = Some(if not_ready && !here.is_empty() {
            format!("kubectl drain {nn} --ignore-daemonsets --delete-emptydir-data")
        } else {
            format!("kubectl describe node {nn}")
        });
        out.push(f);
    }
    out
}

/// Warning events about objects no other finding covers, one per (object, reason).
pub fn stray_events(snap: &Snapshot, found: &[Finding]) -> Vec<Finding> {
    let covered: BTreeSet<&str> = found
        .iter()
        .flat_map(|f| f.subjects.iter().chain(f.explains.iter()))
        .map(String::as_str)
        .collect();
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    let mut evs: Vec<&Value> = snap
        .events
        .iter()
        .filter(|e| s(e, &["type"]) == "Warning")
        .collect();
    evs.sort_by_key(|e| -event_time(e));
    for e in evs {
        let obj = format!(
            "{}/{}",
            s(e, &["involvedObject", "kind"]).to_lowercase(),
            s(e, &["involvedObject", "name"])
        );
        let reason = s(e, &["reason"]);
        if covered.contains(obj.as_str()) || !seen.insert((obj.clone(), reason.to_string())) {
            continue;
        }
        // Events about objects that are gone (an old pod of a rollout) are history.
        if obj.starts_with("pod/") && !snap.pods.iter().any(|p| format!("pod/{}", name(p)) == obj) {
            continue;
        }
        if out.len() >= 8 {
            break;
        }
        let mut f = Finding::new(
            Severity::Info,
            Category::Event,
            &obj,
            format!("Warning event on {obj}: {reason}"),
        );
        f.evidence
            .push(format!("event {reason}: {}", s(e, &["message"]).trim()));
        let (kind, n) = obj.split_once('/').unwrap_or(("", ""));
        f.fix = Some(format!(
            "kubectl describe {kind} {n} -n {ns}",
            ns = snap.namespace
        ));
        out.push(f);
    }
    out
}
