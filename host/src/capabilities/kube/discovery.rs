//! API discovery: every resource the API server serves (preferred version of each group),
//! and kubectl's way of resolving what a user types (`po`, `deploy`, `deployments.apps`,
//! `deployments.v1.apps`, `Pod`, a CRD plural or short name) to one resource.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::future::join_all;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::APIResourceList;

/// One resource from discovery (an `APIResourceList` entry with its group and version).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceEntry {
    /// API group (`apps`, `networking.k8s.io`); empty for the core group (`/api/v1`).
    pub group: String,
    /// The version the entry was read from: the group's preferred version (`v1`, `v1beta1`).
    pub version: String,
    /// Plural resource name, as in URL paths and RBAC rules (`deployments`). Subresources
    /// (`pods/log`) are not entries of their own.
    pub resource: String,
    /// Singular name (`deployment`); the lowercase kind when the API server reports none.
    pub singular: String,
    /// Kind of the objects (`Deployment`), from `APIResource.kind`.
    pub kind: String,
    /// Whether the objects live in a namespace (`APIResource.namespaced`); `false` for
    /// cluster-scoped resources such as `nodes`.
    pub namespaced: bool,
    /// Verbs the API server supports on the resource, in Kubernetes' spelling (`get`,
    /// `list`, `watch`, `create`, `update`, `patch`, `delete`, `deletecollection`).
    pub verbs: Vec<String>,
    /// Short names kubectl accepts for the resource (`deploy`, `po`); empty when none.
    pub short_names: Vec<String>,
    /// Categories the resource belongs to (`all`, as in `kubectl get all`); empty when none.
    pub categories: Vec<String>,
}

/// How long a discovery snapshot is reused before it is fetched again.
pub const DISCOVERY_TTL: Duration = Duration::from_secs(300);
/// Longest wait for one API group's discovery document. An aggregated API whose backing
/// Service is missing can hold the request open; its group is skipped instead, so one broken
/// APIService never makes every call hang.
pub const GROUP_TIMEOUT: Duration = Duration::from_secs(3);
/// A resolve miss refetches discovery (for CRDs created since) when the snapshot is older.
pub const REFRESH_ON_MISS_AFTER: Duration = Duration::from_secs(2);

fn entries(list: APIResourceList, group: &str, version: &str) -> Vec<ResourceEntry> {
    list.resources
        .into_iter()
        .filter(|r| !r.name.contains('/'))
        .map(|r| ResourceEntry {
            group: group.to_string(),
            version: version.to_string(),
            singular: if r.singular_name.is_empty() {
                r.kind.to_lowercase()
            } else {
                r.singular_name
            },
            resource: r.name,
            kind: r.kind,
            namespaced: r.namespaced,
            verbs: r.verbs,
            short_names: r.short_names.unwrap_or_default(),
            categories: r.categories.unwrap_or_default(),
        })
        .collect()
}

/// Fetches discovery: `/api/v1`, then `/apis` and each group's versions (the preferred one
/// first; other versions add only the resources it lacks), in the API server's priority
/// order. Groups whose discovery fails (an unavailable aggregated API)
/// are skipped with a warning, as kubectl does.
pub async fn fetch(client: &kube::Client) -> Result<Vec<ResourceEntry>, kube::Error> {
    let mut out = entries(client.list_core_api_resources("v1").await?, "", "v1");
    let groups = client.list_api_groups().await?;
    // Every served version, the preferred one first: a resource served only in another
    // version (Istio's EnvoyFilter is only in v1alpha3 of networking.istio.io, whose preferred
    // version is v1) is still a resource type, as kubectl resolves it.
    let wanted: Vec<(String, String)> = groups
        .groups
        .iter()
        .flat_map(|g| {
            let preferred = g
                .preferred_version
                .as_ref()
                .or(g.versions.first())
                .map(|v| v.version.clone());
            preferred
                .clone()
                .into_iter()
                .chain(
                    g.versions
                        .iter()
                        .map(|v| v.version.clone())
                        .filter(move |v| Some(v) != preferred.as_ref()),
                )
                .map(|v| (g.name.clone(), v))
                .collect::<Vec<_>>()
        })
        .collect();
    let lists = join_all(wanted.iter().map(|(g, v)| async move {
        (
            g,
            v,
            tokio::time::timeout(
                GROUP_TIMEOUT,
                client.list_api_group_resources(&format!("{g}/{v}")),
            )
            .await,
        )
    }))
    .await;
    for (g, v, res) in lists {
        match res {
            Ok(Ok(list)) => {
                // The preferred version came first: later versions add only what it lacks.
                let fresh: Vec<ResourceEntry> = entries(list, g, v)
                    .into_iter()
                    .filter(|e| {
                        !out.iter()
                            .any(|o| o.group == e.group && o.resource == e.resource)
                    })
                    .collect();
                out.extend(fresh);
            }
            Ok(Err(e)) => {
                tracing::warn!(group = %g, version = %v, error = %e, "discovery failed for group; skipping it")
            }
            Err(_) => {
                tracing::warn!(group = %g, version = %v, timeout_s = GROUP_TIMEOUT.as_secs(), "discovery of group timed out (an unavailable aggregated API?); skipping it")
            }
        }
    }
    Ok(out)
}

/// Resolves a kubectl resource argument against discovery, with kubectl's precedence:
/// plural, singular or kind names before short names, and the core group before others,
/// then the API server's group order. Returns `None` when nothing matches.
pub fn resolve<'a>(all: &'a [ResourceEntry], input: &str) -> Option<&'a ResourceEntry> {
    let input = input.trim().to_ascii_lowercase();
    if input.is_empty() || input.contains('/') {
        return None;
    }
    let (head, rest) = match input.split_once('.') {
        Some((h, r)) => (h, Some(r)),
        None => (input.as_str(), None),
    };
    let group_ok = |e: &ResourceEntry| match rest {
        None => true,
        Some(r) => {
            r == e.group
                || r == format!("{}.{}", e.version, e.group)
                || (e.group.is_empty() && r == e.version)
        }
    };
    let long_name = |e: &ResourceEntry, n: &str| {
        e.resource == n || e.singular == n || e.kind.to_ascii_lowercase() == n
    };
    let short_name = |e: &ResourceEntry, n: &str| e.short_names.iter().any(|s| s == n);
    all.iter()
        .find(|e| group_ok(e) && long_name(e, head))
        .or_else(|| all.iter().find(|e| group_ok(e) && short_name(e, head)))
        // The whole input as one name (a dotted name without a group, rare).
        .or_else(|| all.iter().find(|e| rest.is_some() && long_name(e, &input)))
}

/// A discovery snapshot, refreshed when stale.
#[derive(Default)]
pub struct DiscoveryCache {
    snapshot: tokio::sync::Mutex<Option<(Arc<Vec<ResourceEntry>>, Instant)>>,
}

impl DiscoveryCache {
    /// The current snapshot, fetched when missing or older than `max_age`.
    pub async fn get(
        &self,
        client: &kube::Client,
        max_age: Duration,
    ) -> Result<Arc<Vec<ResourceEntry>>, kube::Error> {
        let mut guard = self.snapshot.lock().await;
        if let Some((snap, at)) = guard.as_ref()
            && at.elapsed() < max_age
        {
            return Ok(snap.clone());
        }
        let fresh = Arc::new(fetch(client).await?);
        *guard = Some((fresh.clone(), Instant::now()));
        Ok(fresh)
    }

    /// Resolves `input`, refetching once on a miss if the snapshot is not brand new.
    pub async fn resolve(
        &self,
        client: &kube::Client,
        input: &str,
    ) -> Result<Option<ResourceEntry>, kube::Error> {
        let snap = self.get(client, DISCOVERY_TTL).await?;
        if let Some(e) = resolve(&snap, input) {
            return Ok(Some(e.clone()));
        }
        let snap = self.get(client, REFRESH_ON_MISS_AFTER).await?;
        Ok(resolve(&snap, input).cloned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(group: &str, version: &str, resource: &str, kind: &str, short: &[&str]) -> ResourceEntry {
        ResourceEntry {
            group: group.into(),
            version: version.into(),
            resource: resource.into(),
            singular: kind.to_lowercase(),
            kind: kind.into(),
            namespaced: true,
            verbs: vec![],
            short_names: short.iter().map(|s| s.to_string()).collect(),
            categories: vec![],
        }
    }

    fn sample() -> Vec<ResourceEntry> {
        vec![
            e("", "v1", "pods", "Pod", &["po"]),
            e("", "v1", "events", "Event", &["ev"]),
            e("", "v1", "services", "Service", &["svc"]),
            e("apps", "v1", "deployments", "Deployment", &["deploy"]),
            e("events.k8s.io", "v1", "events", "Event", &["ev"]),
            e(
                "networking.istio.io",
                "v1",
                "virtualservices",
                "VirtualService",
                &["vs"],
            ),
        ]
    }

    fn r(input: &str) -> Option<(String, String)> {
        let all = sample();
        resolve(&all, input).map(|e| (e.group.clone(), e.resource.clone()))
    }

    #[test]
    fn kubectl_names() {
        assert_eq!(r("po"), Some(("".into(), "pods".into())));
        assert_eq!(r("pod"), Some(("".into(), "pods".into())));
        assert_eq!(r("Pods"), Some(("".into(), "pods".into())));
        assert_eq!(r("Pod"), Some(("".into(), "pods".into())));
        assert_eq!(r("deploy"), Some(("apps".into(), "deployments".into())));
        assert_eq!(
            r("deployments.apps"),
            Some(("apps".into(), "deployments".into()))
        );
        assert_eq!(
            r("deployments.v1.apps"),
            Some(("apps".into(), "deployments".into()))
        );
        assert_eq!(r("deployments.extensions"), None);
        assert_eq!(
            r("events"),
            Some(("".into(), "events".into())),
            "core group first"
        );
        assert_eq!(
            r("events.events.k8s.io"),
            Some(("events.k8s.io".into(), "events".into()))
        );
        assert_eq!(
            r("virtualservices.networking.istio.io"),
            Some(("networking.istio.io".into(), "virtualservices".into()))
        );
        assert_eq!(
            r("vs"),
            Some(("networking.istio.io".into(), "virtualservices".into()))
        );
        assert_eq!(r("nosuch"), None);
        assert_eq!(r(""), None);
        assert_eq!(r("pods/log"), None);
    }
}
