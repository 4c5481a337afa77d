//! The driver's read side: one `list` per resource type in the namespace (plus the
//! cluster-scoped Nodes and StorageClasses), with known GVRs so nothing is resolved through
//! discovery. Secrets are read as metadata only (names, types, key names: a server-side Table,
//! whose values the host replaces with `<redacted: N bytes>`), never as contents. A read the
//! cluster or the host's policy refuses is recorded (and later reported as a low-rank finding)
//! instead of failing the call.

use serde_json::Value;

use kap_sdk::api::{Api, Failure, ResourceInfo, core, kube_error_text, list_items};

/// Everything the analyzers look at, as the API server returned it (`items` of each list).
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// The namespace under investigation.
    pub namespace: String,
    /// Seconds since the Unix epoch when the snapshot was taken.
    pub now: i64,
    /// core/v1 Services.
    pub services: Vec<Value>,
    /// `discovery.k8s.io/v1` EndpointSlices (linked to Services by the
    /// `kubernetes.io/service-name` label, as kube-proxy does).
    pub endpoint_slices: Vec<Value>,
    /// core/v1 Pods.
    pub pods: Vec<Value>,
    /// apps/v1 ReplicaSets (Deployment → ReplicaSet → Pod ownership).
    pub replica_sets: Vec<Value>,
    /// apps/v1 Deployments.
    pub deployments: Vec<Value>,
    /// apps/v1 StatefulSets.
    pub stateful_sets: Vec<Value>,
    /// apps/v1 DaemonSets.
    pub daemon_sets: Vec<Value>,
    /// batch/v1 Jobs.
    pub jobs: Vec<Value>,
    /// networking.k8s.io/v1 Ingresses (the entry points).
    pub ingresses: Vec<Value>,
    /// core/v1 Events of the namespace.
    pub events: Vec<Value>,
    /// core/v1 PersistentVolumeClaims.
    pub pvcs: Vec<Value>,
    /// core/v1 Nodes (cluster-scoped).
    pub nodes: Vec<Value>,
    /// Cluster-scoped; `None` when it could not be read (then a missing class is not claimed).
    pub storage_classes: Option<Vec<Value>>,
    /// core/v1 Secrets of the namespace as metadata (values `<redacted: N bytes>`); `None`
    /// when they could not be read (then a missing Secret is not claimed).
    pub secrets: Option<Vec<Value>>,
    /// Reads that failed: (what, why in kubectl's words).
    pub unread: Vec<(String, String)>,
    /// The Argo CD Applications (`argoproj.io/v1alpha1`) that manage this namespace's
    /// workloads, found from the workloads' tracking metadata ([`argo_app_ref`]); empty when
    /// none is tracked or Argo CD is not installed.
    pub applications: Vec<Value>,
}

/// The namespace Argo CD runs in, where its Applications live unless they use "apps in any
/// namespace".
pub const ARGOCD_NAMESPACE: &str = "argocd";

/// The Application that manages `obj`, as `(namespace, name)`, from Argo CD's tracking
/// metadata: the annotation `argocd.argoproj.io/tracking-id` (`APP:GROUP/KIND:NS/NAME`,
/// where APP is `NAME` or `NAMESPACE_NAME` for apps outside Argo CD's namespace; Argo CD 3's
/// default), else the label `app.kubernetes.io/instance` (label tracking, Argo CD 2's
/// default: the app's name, in Argo CD's namespace).
pub fn argo_app_ref(obj: &Value) -> Option<(String, String)> {
    let meta = obj.get("metadata")?;
    if let Some(id) = meta
        .pointer("/annotations/argocd.argoproj.io~1tracking-id")
        .and_then(Value::as_str)
    {
        let app = id.split(':').next().unwrap_or("");
        if !app.is_empty() {
            return Some(match app.split_once('_') {
                Some((ns, name)) => (ns.to_string(), name.to_string()),
                None => (ARGOCD_NAMESPACE.to_string(), app.to_string()),
            });
        }
    }
    meta.pointer("/labels/app.kubernetes.io~1instance")
        .and_then(Value::as_str)
        .filter(|a| !a.is_empty())
        .map(|a| (ARGOCD_NAMESPACE.to_string(), a.to_string()))
}

/// Reads the Applications the snapshot's workloads name ([`argo_app_ref`]). An app that
/// cannot be read (not installed, refused, a label that is no Application) is skipped: the
/// workload is then reported as usual.
fn applications(api: &mut dyn Api, snap: &Snapshot) -> Vec<Value> {
    let mut refs: Vec<(String, String)> = snap
        .deployments
        .iter()
        .chain(&snap.stateful_sets)
        .chain(&snap.daemon_sets)
        .filter_map(argo_app_ref)
        .collect();
    refs.sort();
    refs.dedup();
    let mut out = Vec::new();
    for (ns, name) in refs.into_iter().take(20) {
        let req =
            kap_sdk::Request::get("argoproj.io", "v1alpha1", "applications", &name).namespace(ns);
        if let Ok(app) = kap_sdk::api::send_json(api, &req) {
            out.push(app);
        }
    }
    out
}

/// A built-in resource type with a fixed group/version (no discovery round trip).
pub fn builtin(group: &str, version: &str, resource: &str, kind: &str, ns: bool) -> ResourceInfo {
    let mut r = core(resource, kind, ns);
    r.group = group.into();
    r.version = version.into();
    r
}

/// The resource types the driver lists, in order: (info, what to call it in messages).
pub fn sources() -> Vec<(ResourceInfo, &'static str)> {
    vec![
        (core("services", "Service", true), "services"),
        (
            builtin(
                "discovery.k8s.io",
                "v1",
                "endpointslices",
                "EndpointSlice",
                true,
            ),
            "endpointslices.discovery.k8s.io",
        ),
        (core("pods", "Pod", true), "pods"),
        (
            builtin("apps", "v1", "replicasets", "ReplicaSet", true),
            "replicasets.apps",
        ),
        (
            builtin("apps", "v1", "deployments", "Deployment", true),
            "deployments.apps",
        ),
        (
            builtin("apps", "v1", "statefulsets", "StatefulSet", true),
            "statefulsets.apps",
        ),
        (
            builtin("apps", "v1", "daemonsets", "DaemonSet", true),
            "daemonsets.apps",
        ),
        (builtin("batch", "v1", "jobs", "Job", true), "jobs.batch"),
        (
            builtin("networking.k8s.io", "v1", "ingresses", "Ingress", true),
            "ingresses.networking.k8s.io",
        ),
        (core("events", "Event", true), "events"),
        (
            core("persistentvolumeclaims", "PersistentVolumeClaim", true),
            "persistentvolumeclaims",
        ),
        (core("nodes", "Node", false), "nodes"),
        (
            builtin(
                "storage.k8s.io",
                "v1",
                "storageclasses",
                "StorageClass",
                false,
            ),
            "storageclasses.storage.k8s.io",
        ),
    ]
}

/// Lists every source in `namespace`; failures land in [`Snapshot::unread`].
pub fn fetch(api: &mut dyn Api, namespace: &str) -> Snapshot {
    let mut snap = Snapshot {
        namespace: namespace.to_string(),
        now: api.now(),
        ..Default::default()
    };
    for (info, what) in sources() {
        let items = match list_items(api, &info, Some(namespace), Vec::new()) {
            Ok(items) => Some(items),
            Err(e) => {
                let why = match e {
                    Failure::Kube(k) => kube_error_text(&k),
                    Failure::Message(m) | Failure::Usage(m) => m,
                };
                snap.unread.push((what.to_string(), why));
                None
            }
        };
        let slot = match info.resource.as_str() {
            "services" => &mut snap.services,
            "endpointslices" => &mut snap.endpoint_slices,
            "pods" => &mut snap.pods,
            "replicasets" => &mut snap.replica_sets,
            "deployments" => &mut snap.deployments,
            "statefulsets" => &mut snap.stateful_sets,
            "daemonsets" => &mut snap.daemon_sets,
            "jobs" => &mut snap.jobs,
            "ingresses" => &mut snap.ingresses,
            "events" => &mut snap.events,
            "persistentvolumeclaims" => &mut snap.pvcs,
            "nodes" => &mut snap.nodes,
            _ => {
                snap.storage_classes = items;
                continue;
            }
        };
        *slot = items.unwrap_or_default();
    }
    snap.applications = applications(api, &snap);
    let secrets = core("secrets", "Secret", true);
    snap.secrets = match crate::commands::describe::secret_objects(
        api,
        &secrets,
        Some(namespace),
        None,
        Vec::new(),
    ) {
        Ok(items) => Some(items),
        Err(e) => {
            let why = match e {
                Failure::Kube(k) => kube_error_text(&k),
                Failure::Message(m) | Failure::Usage(m) => m,
            };
            snap.unread.push(("secrets (names and keys)".into(), why));
            None
        }
    };
    snap
}
