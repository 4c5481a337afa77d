//! The built-in Kubernetes kinds, for plugins that work out what a command stands for without
//! asking the cluster (the WIT `plan-call` export must not call capabilities, so it cannot use
//! `kube.resolve`).
//!
//! [`KINDS`] lists the resources of a stock cluster as `kubectl api-resources` lists them for
//! Kubernetes 1.36 (the groups' preferred versions, read from the API server's discovery
//! documents): the workloads, networking, storage, RBAC, policy and cluster kinds a command
//! line names. Aggregated and custom resources (`metrics.k8s.io`, CRDs such as
//! `certificates.cert-manager.io`) are not in it: [`lookup`] answers `None` for them, and a
//! caller keeps such a type as typed (see [`crate::plan::Resource::of`]).
//!
//! [`lookup`] reads a type the way kubectl users type it (`po`, `pods`, `Pod`, `deploy`,
//! `deployments.apps`, `deployments.v1.apps`), with kubectl's precedence (core group first);
//! [`normalize_type`] gives the one spelling the normalized command of a call plan uses (the
//! singular resource name, `pod`, `deployment`); [`by_kind`] finds the resource of a manifest's
//! `apiVersion` group and `kind`; [`ALL_CATEGORY`] is the `all` category (`kubectl get all`).
//!
//! Any plugin family may use them: kubectl's plans, a helm plugin naming the objects of a
//! rendered chart, an istioctl or argocd plugin naming the workloads a command touches. At run
//! time, prefer the cluster's own discovery (`kube.resolve`, `kube.api-resources`: [`crate::Api`]),
//! which also knows the custom resources.

use crate::api::api_version;
use crate::{Request, Verb};

/// One built-in resource as discovery describes it (an `APIResourceList` entry of the group's
/// preferred version, as `kubectl api-resources -o wide` prints it).
#[derive(Debug, PartialEq, Eq)]
pub struct Kind {
    /// API group: empty for the core group, else e.g. `apps`, `networking.k8s.io`.
    pub group: &'static str,
    /// The group's preferred version, e.g. `v1`, `v2` (`autoscaling`).
    pub version: &'static str,
    /// Plural resource name, the one in request paths (`deployments`).
    pub plural: &'static str,
    /// Singular resource name (`deployment`): the kind in lowercase, and the spelling of the
    /// type in a normalized command ([`normalize_type`]).
    pub singular: &'static str,
    /// The kind, as manifests spell it (`Deployment`).
    pub kind: &'static str,
    /// kubectl's short names (`deploy`); empty when the resource has none.
    pub short: &'static [&'static str],
    /// Whether objects live in a namespace (`false` for cluster-scoped kinds such as nodes,
    /// namespaces, persistent volumes, cluster roles, CRDs).
    pub namespaced: bool,
    /// The categories the resource belongs to (`all`, `api-extensions`); kubectl expands a
    /// category typed as a type (`kubectl get all`).
    pub categories: &'static [&'static str],
}

impl Kind {
    /// The `apiVersion` of its objects: `VERSION` for the core group (`v1`), else
    /// `GROUP/VERSION` (`apps/v1`).
    pub fn api_version(&self) -> String {
        api_version(self.group, self.version)
    }

    /// A request with `verb` for this resource (its group, preferred version and plural; no
    /// namespace or name yet): e.g. `kind.request(Verb::List).namespace("default")`. See
    /// [`crate::request`] for the builders that complete it.
    pub fn request(&self, verb: Verb) -> Request {
        Request::new(verb, self.group, self.version, self.plural)
    }
}

/// The built-in kinds, as `kubectl api-resources` lists them for Kubernetes 1.36 (a stock
/// cluster's discovery: groups at their preferred version). The core group comes first, which
/// is kubectl's precedence when two groups serve the same name (`events` is the core group's,
/// not `events.k8s.io`'s); [`lookup`] returns the first match.
pub static KINDS: &[Kind] = &[
    Kind {
        group: "",
        version: "v1",
        plural: "pods",
        singular: "pod",
        kind: "Pod",
        short: &["po"],
        namespaced: true,
        categories: &["all"],
    },
    Kind {
        group: "",
        version: "v1",
        plural: "services",
        singular: "service",
        kind: "Service",
        short: &["svc"],
        namespaced: true,
        categories: &["all"],
    },
    Kind {
        group: "",
        version: "v1",
        plural: "configmaps",
        singular: "configmap",
        kind: "ConfigMap",
        short: &["cm"],
        namespaced: true,
        categories: &[],
    },
    Kind {
        group: "",
        version: "v1",
        plural: "secrets",
        singular: "secret",
        kind: "Secret",
        short: &[],
        namespaced: true,
        categories: &[],
    },
    Kind {
        group: "",
        version: "v1",
        plural: "namespaces",
        singular: "namespace",
        kind: "Namespace",
        short: &["ns"],
        namespaced: false,
        categories: &[],
    },
    Kind {
        group: "",
        version: "v1",
        plural: "nodes",
        singular: "node",
        kind: "Node",
        short: &["no"],
        namespaced: false,
        categories: &[],
    },
    Kind {
        group: "",
        version: "v1",
        plural: "persistentvolumeclaims",
        singular: "persistentvolumeclaim",
        kind: "PersistentVolumeClaim",
        short: &["pvc"],
        namespaced: true,
        categories: &[],
    },
    Kind {
        group: "",
        version: "v1",
        plural: "persistentvolumes",
        singular: "persistentvolume",
        kind: "PersistentVolume",
        short: &["pv"],
        namespaced: false,
        categories: &[],
    },
    Kind {
        group: "",
        version: "v1",
        plural: "serviceaccounts",
        singular: "serviceaccount",
        kind: "ServiceAccount",
        short: &["sa"],
        namespaced: true,
        categories: &[],
    },
    Kind {
        group: "",
        version: "v1",
        plural: "endpoints",
        singular: "endpoints",
        kind: "Endpoints",
        short: &["ep"],
        namespaced: true,
        categories: &[],
    },
    Kind {
        group: "",
        version: "v1",
        plural: "events",
        singular: "event",
        kind: "Event",
        short: &["ev"],
        namespaced: true,
        categories: &[],
    },
    Kind {
        group: "",
        version: "v1",
        plural: "replicationcontrollers",
        singular: "replicationcontroller",
        kind: "ReplicationController",
        short: &["rc"],
        namespaced: true,
        categories: &["all"],
    },
    Kind {
        group: "",
        version: "v1",
        plural: "resourcequotas",
        singular: "resourcequota",
        kind: "ResourceQuota",
        short: &["quota"],
        namespaced: true,
        categories: &[],
    },
    Kind {
        group: "",
        version: "v1",
        plural: "limitranges",
        singular: "limitrange",
        kind: "LimitRange",
        short: &["limits"],
        namespaced: true,
        categories: &[],
    },
    Kind {
        group: "",
        version: "v1",
        plural: "podtemplates",
        singular: "podtemplate",
        kind: "PodTemplate",
        short: &[],
        namespaced: true,
        categories: &[],
    },
    Kind {
        group: "",
        version: "v1",
        plural: "componentstatuses",
        singular: "componentstatus",
        kind: "ComponentStatus",
        short: &["cs"],
        namespaced: false,
        categories: &[],
    },
    Kind {
        group: "apps",
        version: "v1",
        plural: "deployments",
        singular: "deployment",
        kind: "Deployment",
        short: &["deploy"],
        namespaced: true,
        categories: &["all"],
    },
    Kind {
        group: "apps",
        version: "v1",
        plural: "statefulsets",
        singular: "statefulset",
        kind: "StatefulSet",
        short: &["sts"],
        namespaced: true,
        categories: &["all"],
    },
    Kind {
        group: "apps",
        version: "v1",
        plural: "daemonsets",
        singular: "daemonset",
        kind: "DaemonSet",
        short: &["ds"],
        namespaced: true,
        categories: &["all"],
    },
    Kind {
        group: "apps",
        version: "v1",
        plural: "replicasets",
        singular: "replicaset",
        kind: "ReplicaSet",
        short: &["rs"],
        namespaced: true,
        categories: &["all"],
    },
    Kind {
        group: "apps",
        version: "v1",
        plural: "controllerrevisions",
        singular: "controllerrevision",
        kind: "ControllerRevision",
        short: &[],
        namespaced: true,
        categories: &[],
    },
    Kind {
        group: "batch",
        version: "v1",
        plural: "jobs",
        singular: "job",
        kind: "Job",
        short: &[],
        namespaced: true,
        categories: &["all"],
    },
    Kind {
        group: "batch",
        version: "v1",
        plural: "cronjobs",
        singular: "cronjob",
        kind: "CronJob",
        short: &["cj"],
        namespaced: true,
        categories: &["all"],
    },
    Kind {
        group: "autoscaling",
        version: "v2",
        plural: "horizontalpodautoscalers",
        singular: "horizontalpodautoscaler",
        kind: "HorizontalPodAutoscaler",
        short: &["hpa"],
        namespaced: true,
        categories: &["all"],
    },
    Kind {
        group: "networking.k8s.io",
        version: "v1",
        plural: "ingresses",
        singular: "ingress",
        kind: "Ingress",
        short: &["ing"],
        namespaced: true,
        categories: &[],
    },
    Kind {
        group: "networking.k8s.io",
        version: "v1",
        plural: "networkpolicies",
        singular: "networkpolicy",
        kind: "NetworkPolicy",
        short: &["netpol"],
        namespaced: true,
        categories: &[],
    },
    Kind {
        group: "networking.k8s.io",
        version: "v1",
        plural: "ingressclasses",
        singular: "ingressclass",
        kind: "IngressClass",
        short: &[],
        namespaced: false,
        categories: &[],
    },
    Kind {
        group: "policy",
        version: "v1",
        plural: "poddisruptionbudgets",
        singular: "poddisruptionbudget",
        kind: "PodDisruptionBudget",
        short: &["pdb"],
        namespaced: true,
        categories: &[],
    },
    Kind {
        group: "rbac.authorization.k8s.io",
        version: "v1",
        plural: "roles",
        singular: "role",
        kind: "Role",
        short: &[],
        namespaced: true,
        categories: &[],
    },
    Kind {
        group: "rbac.authorization.k8s.io",
        version: "v1",
        plural: "rolebindings",
        singular: "rolebinding",
        kind: "RoleBinding",
        short: &[],
        namespaced: true,
        categories: &[],
    },
    Kind {
        group: "rbac.authorization.k8s.io",
        version: "v1",
        plural: "clusterroles",
        singular: "clusterrole",
        kind: "ClusterRole",
        short: &[],
        namespaced: false,
        categories: &[],
    },
    Kind {
        group: "rbac.authorization.k8s.io",
        version: "v1",
        plural: "clusterrolebindings",
        singular: "clusterrolebinding",
        kind: "ClusterRoleBinding",
        short: &[],
        namespaced: false,
        categories: &[],
    },
    Kind {
        group: "apiextensions.k8s.io",
        version: "v1",
        plural: "customresourcedefinitions",
        singular: "customresourcedefinition",
        kind: "CustomResourceDefinition",
        short: &["crd", "crds"],
        namespaced: false,
        categories: &["api-extensions"],
    },
    Kind {
        group: "storage.k8s.io",
        version: "v1",
        plural: "storageclasses",
        singular: "storageclass",
        kind: "StorageClass",
        short: &["sc"],
        namespaced: false,
        categories: &[],
    },
    Kind {
        group: "storage.k8s.io",
        version: "v1",
        plural: "volumeattachments",
        singular: "volumeattachment",
        kind: "VolumeAttachment",
        short: &[],
        namespaced: false,
        categories: &[],
    },
    Kind {
        group: "storage.k8s.io",
        version: "v1",
        plural: "csidrivers",
        singular: "csidriver",
        kind: "CSIDriver",
        short: &[],
        namespaced: false,
        categories: &[],
    },
    Kind {
        group: "storage.k8s.io",
        version: "v1",
        plural: "csinodes",
        singular: "csinode",
        kind: "CSINode",
        short: &[],
        namespaced: false,
        categories: &[],
    },
    Kind {
        group: "discovery.k8s.io",
        version: "v1",
        plural: "endpointslices",
        singular: "endpointslice",
        kind: "EndpointSlice",
        short: &[],
        namespaced: true,
        categories: &[],
    },
    Kind {
        group: "coordination.k8s.io",
        version: "v1",
        plural: "leases",
        singular: "lease",
        kind: "Lease",
        short: &[],
        namespaced: true,
        categories: &[],
    },
    Kind {
        group: "scheduling.k8s.io",
        version: "v1",
        plural: "priorityclasses",
        singular: "priorityclass",
        kind: "PriorityClass",
        short: &["pc"],
        namespaced: false,
        categories: &[],
    },
    Kind {
        group: "node.k8s.io",
        version: "v1",
        plural: "runtimeclasses",
        singular: "runtimeclass",
        kind: "RuntimeClass",
        short: &[],
        namespaced: false,
        categories: &[],
    },
    Kind {
        group: "certificates.k8s.io",
        version: "v1",
        plural: "certificatesigningrequests",
        singular: "certificatesigningrequest",
        kind: "CertificateSigningRequest",
        short: &["csr"],
        namespaced: false,
        categories: &[],
    },
    Kind {
        group: "admissionregistration.k8s.io",
        version: "v1",
        plural: "validatingwebhookconfigurations",
        singular: "validatingwebhookconfiguration",
        kind: "ValidatingWebhookConfiguration",
        short: &[],
        namespaced: false,
        categories: &["api-extensions"],
    },
    Kind {
        group: "admissionregistration.k8s.io",
        version: "v1",
        plural: "mutatingwebhookconfigurations",
        singular: "mutatingwebhookconfiguration",
        kind: "MutatingWebhookConfiguration",
        short: &[],
        namespaced: false,
        categories: &["api-extensions"],
    },
    Kind {
        group: "apiregistration.k8s.io",
        version: "v1",
        plural: "apiservices",
        singular: "apiservice",
        kind: "APIService",
        short: &[],
        namespaced: false,
        categories: &["api-extensions"],
    },
];

/// The built-in members of the `all` category (the kinds in [`KINDS`] whose
/// [`Kind::categories`] hold `all`), as plural resource names in the order
/// `kubectl get all` prints them.
pub const ALL_CATEGORY: &[&str] = &[
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

/// Whether `v` is an API version (`v1`, `v2beta1`): `v` then a digit.
fn is_version(v: &str) -> bool {
    v.strip_prefix('v')
        .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit()))
}

/// Looks a type up as kubectl users type it: plural, singular (the kind), short name, any
/// case, optionally qualified as `NAME.GROUP` or `NAME.VERSION.GROUP` (`deployments.apps`,
/// `deploy.v1.apps`; never for the core group, which has no name to qualify with). The first
/// match in [`KINDS`] wins; `None` for anything not in it (custom resources, subresources,
/// `all`).
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

/// The built-in resource of a manifest's object: `group` is the group of its `apiVersion`
/// (empty for `v1`, `apps` for `apps/v1`; the version is not compared), `kind` its `kind`
/// in any case. `None` when the group has no such kind in [`KINDS`].
pub fn by_kind(group: &str, kind: &str) -> Option<&'static Kind> {
    let lower = kind.to_ascii_lowercase();
    KINDS
        .iter()
        .find(|k| k.group == group && k.singular == lower)
}

/// The spelling of a resource type in a normalized command: the singular name of a built-in
/// kind (`po`, `Pods`, `deployments.v1.apps` are `pod`, `pod`, `deployment`), else the type
/// as typed, in lowercase (`Widgets.Example.com` is `widgets.example.com`).
pub fn normalize_type(typed: &str) -> String {
    lookup(typed).map_or_else(|| typed.to_lowercase(), |k| k.singular.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_are_normalized() {
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
    }

    #[test]
    fn lookup_qualified_names_and_precedence() {
        let group_of = |t: &str| lookup(t).map(|k| k.group);
        // The core group first: `events` is not `events.k8s.io`'s.
        assert_eq!(group_of("events"), Some(""));
        assert_eq!(group_of("HPA"), Some("autoscaling"));
        assert_eq!(group_of("deploy.v1.apps"), Some("apps"));
        assert_eq!(group_of("deployments.v1beta2.apps"), Some("apps"));
        // The core group cannot be named; a qualifier that is no version is no match.
        assert_eq!(group_of("pods.v1"), None);
        assert_eq!(group_of("deployments.x.apps"), None);
        assert_eq!(group_of("deployments.v1.batch"), None);
        assert_eq!(group_of("crds"), Some("apiextensions.k8s.io"));
        assert_eq!(group_of("all"), None);
        assert_eq!(group_of("pods/log"), None);
        assert_eq!(group_of(""), None);
    }

    #[test]
    fn by_kind_reads_manifest_kinds() {
        let plural = |g: &str, k: &str| by_kind(g, k).map(|k| k.plural);
        assert_eq!(plural("apps", "Deployment"), Some("deployments"));
        assert_eq!(plural("", "ConfigMap"), Some("configmaps"));
        assert_eq!(plural("", "Endpoints"), Some("endpoints"));
        assert_eq!(plural("", "Deployment"), None);
        assert_eq!(plural("example.com", "Widget"), None);
    }

    #[test]
    fn kind_requests() {
        let hpa = lookup("hpa").unwrap();
        assert_eq!(hpa.api_version(), "autoscaling/v2");
        assert_eq!(lookup("pod").unwrap().api_version(), "v1");
        let r = hpa.request(Verb::List);
        assert_eq!(
            (
                r.verb,
                r.group.as_str(),
                r.version.as_str(),
                r.resource.as_str()
            ),
            (Verb::List, "autoscaling", "v2", "horizontalpodautoscalers")
        );
        assert_eq!((r.namespace, r.name), (None, None));
    }

    /// The table is consistent with itself: one entry per group and plural, the kind in
    /// lowercase is the singular name, short names are unique, and the `all` category is
    /// [`ALL_CATEGORY`].
    #[test]
    fn table_is_consistent() {
        for (i, k) in KINDS.iter().enumerate() {
            assert_eq!(k.kind.to_ascii_lowercase(), k.singular, "{}", k.plural);
            assert!(
                !k.version.is_empty() && is_version(k.version),
                "{}",
                k.plural
            );
            assert!(
                !KINDS[..i]
                    .iter()
                    .any(|o| o.group == k.group && o.plural == k.plural),
                "{} twice",
                k.plural
            );
            for s in k.short {
                assert_eq!(lookup(s), Some(k), "{s}");
            }
            assert_eq!(lookup(k.plural), Some(k), "{}", k.plural);
            assert_eq!(lookup(k.kind), Some(k), "{}", k.kind);
            assert_eq!(by_kind(k.group, k.kind), Some(k), "{}", k.kind);
        }
        let mut all: Vec<&str> = KINDS
            .iter()
            .filter(|k| k.categories.contains(&"all"))
            .map(|k| k.plural)
            .collect();
        let mut listed = ALL_CATEGORY.to_vec();
        all.sort_unstable();
        listed.sort_unstable();
        assert_eq!(all, listed);
    }
}
