//! The `kube` capability's scope type: what a plugin's manifest requests
//! (`[capabilities.kube]`) and what the operator grants (`[grants.NAME] kube = {...}`), in
//! the same shape: verbs × resources × namespaces.

use anyhow::{Result, bail};
use serde::{Deserialize, Serialize};

/// The Kubernetes verbs a scope may name (RBAC spelling; `delete-collection` is the WIT
/// spelling of `deletecollection`).
pub const KUBE_VERBS: &[&str] = &[
    crate::verb::Verb::Get.as_str(),
    crate::verb::Verb::List.as_str(),
    crate::verb::Verb::Create.as_str(),
    crate::verb::Verb::Update.as_str(),
    crate::verb::Verb::Patch.as_str(),
    crate::verb::Verb::Delete.as_str(),
    crate::verb::Verb::DeleteCollection.as_str(),
];

/// A scope of the Kubernetes API: verbs × resources × namespaces. Used both for what a
/// plugin requests and for what the operator grants; a request must fall in both.
///
/// - `verbs`: names from [`KUBE_VERBS`] or `*`.
/// - `resources`: `resource` for the core group (`pods`), `resource.group` otherwise
///   (`deployments.apps`), `*.group` for a whole group, or `*`. Subresources are covered by
///   their resource (`pods` covers `pods/log`) unless written explicitly (`pods/log`).
/// - `namespaces`: namespace names or `*`. Cluster-scoped and all-namespaces requests match
///   only `*`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct KubeScope {
    /// Verbs in scope: names from [`KUBE_VERBS`] (WIT spelling) or `*`. Empty (the default
    /// when the key is absent) allows no verb.
    #[serde(default)]
    pub verbs: Vec<String>,
    /// Resources in scope: `pods`, `deployments.apps`, `*.apps`, `pods/log` or `*` (see the
    /// type's docs). Empty allows no resource.
    #[serde(default)]
    pub resources: Vec<String>,
    /// Namespaces in scope, by name, or `*`, which alone also covers cluster-scoped and
    /// all-namespaces requests. Empty allows no namespace.
    #[serde(default)]
    pub namespaces: Vec<String>,
    /// Write verbs in this scope are allowed only as server-side dry runs (`dryRun=All` in
    /// the request's query, which the API server runs through validation and admission and
    /// never persists; Kubernetes API "Dry-run"), and never on a subresource (connect
    /// subresources such as `pods/exec` ignore dryRun). A plugin that validates objects (istio's
    /// `validate`) requests `create` with this set, so it can never change the cluster. Read
    /// from the request itself, never from the plugin's word. Default `false`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub dry_run_only: bool,
    /// Keys of Secrets' `data` released to the plugin (e.g. `["url", "name", "type"]`): a
    /// `get` or `list` of Secrets in scope is then allowed (rule `grant.secret-keys`), and
    /// the host answers each Secret without `data` and with `stringData` holding only these
    /// keys, base64-decoded (UTF-8 values only; credential patterns in them redacted). The
    /// effective list is requested ∩ granted; empty (the default) releases nothing, and
    /// Secrets stay metadata-only as for every plugin.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secret_keys: Vec<String>,
    /// A label key a Secret must carry for its keys to be released (e.g.
    /// `argocd.argoproj.io/secret-type`); other Secrets are answered without any value.
    /// When the manifest and the grant both name one, a Secret must carry both.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_label: Option<String>,
}

/// What a plugin may read of Secrets' values: the keys (requested ∩ granted) and the label
/// keys a Secret must carry ([`KubeScope::secret_keys`], [`KubeScope::secret_label`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SecretRelease {
    /// Keys released, in the grant's order.
    pub keys: Vec<String>,
    /// Label keys a Secret must carry.
    pub labels: Vec<String>,
}

impl SecretRelease {
    /// The effective release of a plugin: keys both scopes name, labels either names. `None`
    /// when no key is released.
    pub fn of(requested: Option<&KubeScope>, granted: Option<&KubeScope>) -> Option<SecretRelease> {
        let (r, g) = (requested?, granted?);
        let keys: Vec<String> = g
            .secret_keys
            .iter()
            .filter(|k| r.secret_keys.contains(k))
            .cloned()
            .collect();
        if keys.is_empty() {
            return None;
        }
        let mut labels: Vec<String> = r
            .secret_label
            .iter()
            .chain(g.secret_label.iter())
            .cloned()
            .collect();
        labels.dedup();
        Some(SecretRelease { keys, labels })
    }
}

impl KubeScope {
    /// Every verb, resource and namespace.
    pub fn everything() -> Self {
        KubeScope {
            verbs: vec!["*".into()],
            resources: vec!["*".into()],
            namespaces: vec!["*".into()],
            dry_run_only: false,
            secret_keys: Vec::new(),
            secret_label: None,
        }
    }

    /// Checks the names used; errors name the first unknown verb.
    pub fn validate(&self) -> Result<()> {
        for v in &self.verbs {
            if v != "*" && !KUBE_VERBS.contains(&v.as_str()) {
                bail!("unknown verb {v:?} (known: {})", KUBE_VERBS.join(", "));
            }
        }
        Ok(())
    }

    /// Whether `verb` (WIT spelling) is in scope.
    pub fn allows_verb(&self, verb: &str) -> bool {
        self.verbs.iter().any(|v| v == "*" || v == verb)
    }

    /// Whether the resource (plural, group, optional subresource) is in scope.
    pub fn allows_resource(&self, group: &str, resource: &str, subresource: Option<&str>) -> bool {
        let full = if group.is_empty() {
            resource.to_string()
        } else {
            format!("{resource}.{group}")
        };
        self.resources.iter().any(|pat| {
            if pat == "*" {
                return true;
            }
            let (pat_res, pat_sub) = match pat.split_once('/') {
                Some((r, s)) => (r, Some(s)),
                None => (pat.as_str(), None),
            };
            let res_ok = if let Some(g) = pat_res.strip_prefix("*.") {
                g == group
            } else {
                pat_res == full
            };
            res_ok
                && match pat_sub {
                    None => true,
                    Some(s) => Some(s) == subresource,
                }
        })
    }

    /// Whether the namespace is in scope; `None` (cluster-scoped or all namespaces) needs `*`.
    pub fn allows_namespace(&self, namespace: Option<&str>) -> bool {
        self.namespaces
            .iter()
            .any(|n| n == "*" || Some(n.as_str()) == namespace)
    }

    /// The verbs in both scopes, for display.
    pub fn intersect_verbs(&self, other: &KubeScope) -> Vec<String> {
        KUBE_VERBS
            .iter()
            .filter(|v| self.allows_verb(v) && other.allows_verb(v))
            .map(|v| v.to_string())
            .collect()
    }
}
