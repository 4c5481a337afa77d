//! What the analysis reads: Istio's resources and the Kubernetes objects they refer to, as
//! one snapshot of the cluster, and what could not be read.
//!
//! Every kind is listed across all namespaces (paged with `limit`/`continue`, as kubectl
//! does). When the host refuses the cluster-wide list (a policy that denies some namespaces
//! refuses lists across all of them, RBAC may allow only some namespaces), the kind is listed
//! namespace by namespace, and each namespace that is refused is recorded in
//! [`Snapshot::unread`] with the reason: the analysis then says what it could not read
//! instead of reporting those namespaces clean. A kind whose CRD is not installed is empty
//! (and named in [`Snapshot::absent`]).

use std::collections::BTreeMap;

use kap_sdk::api::{self, Api};
use kap_sdk::serde_json::Value;
use kap_sdk::{KubeError, Request};

/// One kind the analysis reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kind {
    /// API group (empty for core).
    pub group: &'static str,
    /// Version read.
    pub version: &'static str,
    /// Resource (plural).
    pub resource: &'static str,
    /// Kind, as messages name it.
    pub kind: &'static str,
    /// Whether objects live in namespaces.
    pub namespaced: bool,
}

const fn kind(
    group: &'static str,
    version: &'static str,
    resource: &'static str,
    kind: &'static str,
    namespaced: bool,
) -> Kind {
    Kind {
        group,
        version,
        resource,
        kind,
        namespaced,
    }
}

/// Namespaces.
pub const NAMESPACES: Kind = kind("", "v1", "namespaces", "Namespace", false);
/// Pods.
pub const PODS: Kind = kind("", "v1", "pods", "Pod", true);
/// Services.
pub const SERVICES: Kind = kind("", "v1", "services", "Service", true);
/// Deployments.
pub const DEPLOYMENTS: Kind = kind("apps", "v1", "deployments", "Deployment", true);
/// VirtualServices.
pub const VIRTUAL_SERVICES: Kind = kind(
    "networking.istio.io",
    "v1",
    "virtualservices",
    "VirtualService",
    true,
);
/// DestinationRules.
pub const DESTINATION_RULES: Kind = kind(
    "networking.istio.io",
    "v1",
    "destinationrules",
    "DestinationRule",
    true,
);
/// Gateways (Istio's, `networking.istio.io`).
pub const GATEWAYS: Kind = kind("networking.istio.io", "v1", "gateways", "Gateway", true);
/// ServiceEntries.
pub const SERVICE_ENTRIES: Kind = kind(
    "networking.istio.io",
    "v1",
    "serviceentries",
    "ServiceEntry",
    true,
);
/// Sidecars.
pub const SIDECARS: Kind = kind("networking.istio.io", "v1", "sidecars", "Sidecar", true);
/// AuthorizationPolicies.
pub const AUTHORIZATION_POLICIES: Kind = kind(
    "security.istio.io",
    "v1",
    "authorizationpolicies",
    "AuthorizationPolicy",
    true,
);
/// PeerAuthentications.
pub const PEER_AUTHENTICATIONS: Kind = kind(
    "security.istio.io",
    "v1",
    "peerauthentications",
    "PeerAuthentication",
    true,
);

/// The kinds `analyze` reads, in load order (namespaces first: the per-namespace fallback
/// needs their names).
pub const ANALYZED: &[Kind] = &[
    NAMESPACES,
    PODS,
    SERVICES,
    DEPLOYMENTS,
    VIRTUAL_SERVICES,
    DESTINATION_RULES,
    GATEWAYS,
    SERVICE_ENTRIES,
    SIDECARS,
    AUTHORIZATION_POLICIES,
    PEER_AUTHENTICATIONS,
];

/// Objects per list page.
const PAGE: usize = 500;
/// Pages per list before giving up (a list this long is recorded as incomplete).
const MAX_PAGES: usize = 40;

/// A read that was refused or failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unread {
    /// The resource, e.g. `virtualservices.networking.istio.io`.
    pub resource: String,
    /// The namespace, or `None` for the cluster-wide list (nothing of the kind was read).
    pub namespace: Option<String>,
    /// Why, in kubectl's words (`Denied by policy (rule R): ...`).
    pub reason: String,
}

impl Unread {
    /// One line for the text answer.
    pub fn line(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{} in namespace {ns}: {}", self.resource, self.reason),
            None => format!("{} (all namespaces): {}", self.resource, self.reason),
        }
    }
}

/// The cluster as the analysis sees it.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// Objects by kind name (`VirtualService`), as the API returned them.
    pub objects: BTreeMap<&'static str, Vec<Value>>,
    /// Reads that were refused or failed.
    pub unread: Vec<Unread>,
    /// Kinds whose resource the API server does not serve (CRD not installed).
    pub absent: Vec<&'static str>,
    /// The Istio system namespace (`istio-system` unless `-i` names another).
    pub istio_namespace: String,
}

/// `resource[.group]`.
pub fn resource_name(k: &Kind) -> String {
    if k.group.is_empty() {
        k.resource.to_string()
    } else {
        format!("{}.{}", k.resource, k.group)
    }
}

fn absent(e: &KubeError) -> bool {
    matches!(e, KubeError::UnknownResource(_)) || api::is_not_found(e)
}

/// Lists one kind in one namespace (or all), [`PAGE`] objects a request
/// ([`api::list_pages`]).
///
/// Errors: as [`api::list_pages`] (`KubeError::Limit` past `PAGE * MAX_PAGES` objects).
pub fn list_all(
    api: &mut dyn Api,
    k: &Kind,
    namespace: Option<&str>,
) -> Result<Vec<Value>, KubeError> {
    let mut req = Request::list(k.group, k.version, k.resource);
    if let Some(ns) = namespace {
        req = req.namespace(ns);
    }
    api::list_pages(api, &req, PAGE, MAX_PAGES)
}

/// Reads `kinds` (see the module documentation). `scope` is the namespace the caller
/// analyzes (`None`: all); it is always read even when the namespace list is refused.
pub fn load(
    api: &mut dyn Api,
    kinds: &[Kind],
    scope: Option<&str>,
    istio_namespace: &str,
) -> Snapshot {
    let mut snap = Snapshot {
        istio_namespace: istio_namespace.to_string(),
        ..Snapshot::default()
    };
    for k in kinds {
        let objs = match list_all(api, k, None) {
            Ok(v) => v,
            Err(e) if absent(&e) => {
                snap.absent.push(k.kind);
                Vec::new()
            }
            Err(e) if kap_sdk::api::is_refused(&e) && k.namespaced => {
                per_namespace(api, k, scope, &mut snap, &e)
            }
            Err(e) => {
                snap.unread.push(Unread {
                    resource: resource_name(k),
                    namespace: None,
                    reason: api::kube_error_text(&e),
                });
                // Namespaces cannot be listed: the analyzed namespace at least exists for us.
                if k.kind == "Namespace"
                    && let Some(ns) = scope
                    && let Ok(resp) = api.send(&Request::get("", "v1", "namespaces", ns))
                    && let Ok(v) = kap_sdk::serde_json::from_str::<Value>(&resp.body)
                {
                    vec![v]
                } else {
                    Vec::new()
                }
            }
        };
        snap.objects.insert(k.kind, objs);
    }
    snap
}

fn per_namespace(
    api: &mut dyn Api,
    k: &Kind,
    scope: Option<&str>,
    snap: &mut Snapshot,
    first: &KubeError,
) -> Vec<Value> {
    let mut names: Vec<String> = snap
        .of("Namespace")
        .iter()
        .map(|n| crate::model::name(n).to_string())
        .collect();
    if let Some(s) = scope
        && !names.iter().any(|n| n == s)
    {
        names.push(s.to_string());
    }
    if names.is_empty() {
        snap.unread.push(Unread {
            resource: resource_name(k),
            namespace: None,
            reason: api::kube_error_text(first),
        });
        return Vec::new();
    }
    names.retain(|n| !crate::analyze::IGNORED_NAMESPACES.contains(&n.as_str()));
    let mut out = Vec::new();
    let mut refused = Vec::new();
    let total = names.len();
    for ns in names {
        match list_all(api, k, Some(&ns)) {
            Ok(v) => out.extend(v),
            Err(e) if absent(&e) => {}
            Err(e) => refused.push(Unread {
                resource: resource_name(k),
                namespace: Some(ns),
                reason: api::kube_error_text(&e),
            }),
        }
    }
    if total > 1 && refused.len() == total {
        // Refused everywhere (the grant, or RBAC for the whole kind): one line, not one per
        // namespace.
        snap.unread.push(Unread {
            resource: resource_name(k),
            namespace: None,
            reason: api::kube_error_text(first),
        });
    } else {
        snap.unread.extend(refused);
    }
    out
}

impl Snapshot {
    /// The objects of a kind (empty when not read).
    pub fn of(&self, kind: &str) -> &[Value] {
        self.objects.get(kind).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Whether an object of `kind` named `name` exists in `namespace`.
    pub fn exists(&self, kind: &str, namespace: &str, name: &str) -> bool {
        self.of(kind)
            .iter()
            .any(|o| crate::model::namespace(o) == namespace && crate::model::name(o) == name)
    }

    /// The reads that leave `namespace` (or, with `None`, any namespace) unanalyzed or
    /// partly analyzed.
    pub fn unread_in(&self, namespace: Option<&str>) -> Vec<&Unread> {
        self.unread
            .iter()
            .filter(|u| match (namespace, &u.namespace) {
                (_, None) | (None, _) => true,
                (Some(a), Some(b)) => a == b,
            })
            .collect()
    }

    /// Adds objects (e.g. from `validate -f -`), replacing objects of the same kind,
    /// namespace and name.
    pub fn overlay(&mut self, kind: &'static str, obj: Value) {
        let list = self.objects.entry(kind).or_default();
        let (ns, name) = (
            crate::model::namespace(&obj).to_string(),
            crate::model::name(&obj).to_string(),
        );
        list.retain(|o| !(crate::model::namespace(o) == ns && crate::model::name(o) == name));
        list.push(obj);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kap_sdk::serde_json::json;
    use kap_sdk::testing::{FakeApi, ok_json};
    use kap_sdk::{Denial, KubeError};

    #[test]
    fn a_refused_cluster_wide_list_is_read_per_namespace_and_the_refusal_recorded() {
        let mut api = FakeApi::new();
        api.handler = Box::new(|r: &Request| {
            let ns = r.namespace.clone();
            match (r.resource.as_str(), ns.as_deref()) {
                ("namespaces", None) => ok_json(json!({"items": [
                    {"metadata": {"name": "a"}}, {"metadata": {"name": "secret-ns"}}]})),
                ("pods", None) | ("pods", Some("secret-ns")) => Err(KubeError::Denied(Denial {
                    rule: "no-secret-ns".into(),
                    reason: "list pods: denied".into(),
                })),
                ("pods", Some("a")) => ok_json(json!({"items": [
                    {"metadata": {"name": "p", "namespace": "a"}}]})),
                _ => panic!("unexpected {r:?}"),
            }
        });
        let snap = load(&mut api, &[NAMESPACES, PODS], None, "istio-system");
        assert_eq!(snap.of("Pod").len(), 1);
        assert_eq!(snap.unread.len(), 1);
        assert_eq!(snap.unread[0].namespace.as_deref(), Some("secret-ns"));
        assert!(snap.unread[0].reason.contains("no-secret-ns"));
        assert_eq!(snap.unread_in(Some("a")).len(), 0);
        assert_eq!(snap.unread_in(Some("secret-ns")).len(), 1);
    }

    #[test]
    fn an_absent_crd_is_empty_not_unread() {
        let mut api = FakeApi::new();
        api.handler = Box::new(|_| Err(KubeError::UnknownResource("sidecars".into())));
        let snap = load(&mut api, &[SIDECARS], None, "istio-system");
        assert!(snap.unread.is_empty());
        assert_eq!(snap.absent, ["Sidecar"]);
    }

    #[test]
    fn lists_follow_continue_tokens() {
        let mut api = FakeApi::new();
        api.handler = Box::new(|r: &Request| {
            let page2 = r.query.iter().any(|(k, _)| k == "continue");
            ok_json(if page2 {
                json!({"metadata": {}, "items": [{"metadata": {"name": "b"}}]})
            } else {
                json!({"metadata": {"continue": "t"}, "items": [{"metadata": {"name": "a"}}]})
            })
        });
        assert_eq!(list_all(&mut api, &NAMESPACES, None).unwrap().len(), 2);
    }
}
