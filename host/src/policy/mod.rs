//! The gate: the one function every capability call passes before it runs.
//!
//! Order of checks (the first refusal wins, so deny wins):
//! 1. the plugin's effective grant — what it requested in its manifest ∩ what the operator
//!    granted (deny by default: a plugin without a grant gets nothing);
//! 2. the default policy: Secret contents are never read; namespaces, nodes and cluster-scoped
//!    RBAC objects (ClusterRoles, ClusterRoleBindings) are never deleted.
//!
//! RBAC (SelfSubjectAccessReview) runs after the gate, in [`crate::rbac`].

use serde::Serialize;

use crate::config::Grant;
use crate::plugins::manifest::KubeScope;

/// A Kubernetes request as the API server's authorizer sees it (the `ResourceAttributes` of
/// a SubjectAccessReview), plus the version the URL uses.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct RequestAttributes {
    /// Verb in WIT spelling: `get`, `list`, `create`, `update`, `patch`, `delete`,
    /// `delete-collection`.
    pub verb: String,
    pub group: String,
    pub version: String,
    pub resource: String,
    pub subresource: Option<String>,
    pub namespace: Option<String>,
    pub name: Option<String>,
}

impl RequestAttributes {
    /// The verb as RBAC spells it (`deletecollection`).
    pub fn rbac_verb(&self) -> &str {
        if self.verb == "delete-collection" {
            "deletecollection"
        } else {
            &self.verb
        }
    }

    /// `resource[/subresource][.group]`, as RBAC error messages write it.
    pub fn resource_display(&self) -> String {
        let mut s = self.resource.clone();
        if let Some(sub) = &self.subresource {
            s.push('/');
            s.push_str(sub);
        }
        if !self.group.is_empty() {
            s.push('.');
            s.push_str(&self.group);
        }
        s
    }

    /// Whether the verb only reads.
    pub fn is_read(&self) -> bool {
        matches!(self.verb.as_str(), "get" | "list")
    }
}

/// The gate's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "decision", rename_all = "lowercase")]
pub enum Decision {
    /// Go ahead; `rule` names the rule that allowed it.
    Allow { rule: String },
    /// Refused; `rule` names the rule, `reason` is for a person.
    Deny { rule: String, reason: String },
}

impl Decision {
    fn deny(rule: &str, reason: String) -> Decision {
        Decision::Deny {
            rule: rule.to_string(),
            reason,
        }
    }
}

/// The inputs of one decision.
pub struct GateInput<'a> {
    /// Plugin name.
    pub plugin: &'a str,
    /// What the plugin's manifest requested.
    pub requested: Option<&'a KubeScope>,
    /// What the operator granted (already checked against the plugin's digest).
    pub granted: Option<&'a Grant>,
    pub request: &'a RequestAttributes,
}

fn scope_refusal(scope: &KubeScope, r: &RequestAttributes) -> Option<&'static str> {
    if !scope.allows_verb(&r.verb) {
        Some("verb")
    } else if !scope.allows_resource(&r.group, &r.resource, r.subresource.as_deref()) {
        Some("resource")
    } else if !scope.allows_namespace(r.namespace.as_deref()) {
        Some("namespace")
    } else {
        None
    }
}

fn describe(r: &RequestAttributes) -> String {
    let ns = match &r.namespace {
        Some(ns) => format!(" in namespace {ns:?}"),
        None => " cluster-wide".to_string(),
    };
    let name = r
        .name
        .as_ref()
        .map(|n| format!(" {n:?}"))
        .unwrap_or_default();
    format!("{} {}{}{}", r.verb, r.resource_display(), name, ns)
}

/// Decides one capability request. Pure: no I/O, so it can be tested and explained offline.
pub fn decide(input: &GateInput<'_>) -> Decision {
    let r = input.request;
    let what = describe(r);
    let Some(requested) = input.requested else {
        return Decision::deny(
            "grant.kube.not-requested",
            format!(
                "plugin {} did not request the kube capability in its manifest",
                input.plugin
            ),
        );
    };
    if let Some(field) = scope_refusal(requested, r) {
        return Decision::deny(
            &format!("grant.kube.requested-{field}"),
            format!(
                "{what}: outside what plugin {} requested in its manifest ({field})",
                input.plugin
            ),
        );
    }
    let Some(granted) = input.granted.and_then(|g| g.kube.as_ref()) else {
        return Decision::deny(
            "grant.kube.not-granted",
            format!(
                "plugin {} has no kube grant; an operator can add [grants.{}] kube = {{ ... }} to the config",
                input.plugin, input.plugin
            ),
        );
    };
    if let Some(field) = scope_refusal(granted, r) {
        return Decision::deny(
            &format!("grant.kube.granted-{field}"),
            format!(
                "{what}: outside the operator's grant to plugin {} ({field}); see [grants.{}] in the config",
                input.plugin, input.plugin
            ),
        );
    }
    if r.group.is_empty() && r.resource == "secrets" && r.is_read() {
        return Decision::deny(
            "default.secret-contents",
            format!(
                "{what}: reading Secrets is denied by the default policy, so their contents never reach the model"
            ),
        );
    }
    let protected = matches!(
        (r.group.as_str(), r.resource.as_str()),
        ("", "namespaces")
            | ("", "nodes")
            | ("rbac.authorization.k8s.io", "clusterroles")
            | ("rbac.authorization.k8s.io", "clusterrolebindings")
    );
    if protected
        && r.subresource.is_none()
        && matches!(r.verb.as_str(), "delete" | "delete-collection")
    {
        return Decision::deny(
            "default.protected-delete",
            format!(
                "{what}: deleting namespaces, nodes, ClusterRoles and ClusterRoleBindings is denied by the default policy"
            ),
        );
    }
    Decision::Allow {
        rule: if r.is_read() {
            "default.allow-read".into()
        } else {
            "default.allow-write".into()
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(verb: &str, group: &str, resource: &str, ns: Option<&str>) -> RequestAttributes {
        RequestAttributes {
            verb: verb.into(),
            group: group.into(),
            version: "v1".into(),
            resource: resource.into(),
            subresource: None,
            namespace: ns.map(Into::into),
            name: Some("x".into()),
        }
    }

    fn kubectl_grant() -> Grant {
        crate::config::default_grants().remove("kubectl").unwrap()
    }

    fn decide_all(r: &RequestAttributes) -> Decision {
        let grant = kubectl_grant();
        let everything = KubeScope::everything();
        decide(&GateInput {
            plugin: "kubectl",
            requested: Some(&everything),
            granted: Some(&grant),
            request: r,
        })
    }

    fn rule(d: &Decision) -> &str {
        match d {
            Decision::Allow { rule } | Decision::Deny { rule, .. } => rule,
        }
    }

    #[test]
    fn default_policy() {
        assert_eq!(
            rule(&decide_all(&req("list", "", "pods", None))),
            "default.allow-read"
        );
        assert_eq!(
            rule(&decide_all(&req("get", "", "secrets", Some("a")))),
            "default.secret-contents"
        );
        assert_eq!(
            rule(&decide_all(&req("list", "", "secrets", None))),
            "default.secret-contents"
        );
        assert_eq!(
            rule(&decide_all(&req("patch", "apps", "deployments", Some("a")))),
            "default.allow-write"
        );
        assert_eq!(
            rule(&decide_all(&req("delete", "", "namespaces", None))),
            "default.protected-delete"
        );
        assert_eq!(
            rule(&decide_all(&req("delete", "", "nodes", None))),
            "default.protected-delete"
        );
        assert_eq!(
            rule(&decide_all(&req(
                "delete-collection",
                "rbac.authorization.k8s.io",
                "clusterroles",
                None
            ))),
            "default.protected-delete"
        );
        assert_eq!(
            rule(&decide_all(&req("delete", "", "pods", Some("a")))),
            "default.allow-write"
        );
        // A role in a namespace is not cluster-scoped RBAC.
        assert_eq!(
            rule(&decide_all(&req(
                "delete",
                "rbac.authorization.k8s.io",
                "roles",
                Some("a")
            ))),
            "default.allow-write"
        );
    }

    #[test]
    fn grant_is_requested_intersect_granted() {
        let requested = KubeScope {
            verbs: vec!["get".into(), "list".into()],
            resources: vec!["pods".into()],
            namespaces: vec!["*".into()],
        };
        let granted = Grant {
            digest: None,
            kube: Some(KubeScope {
                verbs: vec!["*".into()],
                resources: vec!["*".into()],
                namespaces: vec!["team".into()],
            }),
            log: false,
        };
        let d = |r: &RequestAttributes, g: Option<&Grant>| {
            decide(&GateInput {
                plugin: "p",
                requested: Some(&requested),
                granted: g,
                request: r,
            })
        };
        assert_eq!(
            rule(&d(&req("list", "", "pods", Some("team")), Some(&granted))),
            "default.allow-read"
        );
        assert_eq!(
            rule(&d(&req("delete", "", "pods", Some("team")), Some(&granted))),
            "grant.kube.requested-verb"
        );
        assert_eq!(
            rule(&d(
                &req("list", "", "secrets", Some("team")),
                Some(&granted)
            )),
            "grant.kube.requested-resource"
        );
        assert_eq!(
            rule(&d(&req("list", "", "pods", Some("other")), Some(&granted))),
            "grant.kube.granted-namespace"
        );
        assert_eq!(
            rule(&d(&req("list", "", "pods", None), Some(&granted))),
            "grant.kube.granted-namespace"
        );
        assert_eq!(
            rule(&d(&req("list", "", "pods", Some("team")), None)),
            "grant.kube.not-granted"
        );
        let none = decide(&GateInput {
            plugin: "p",
            requested: None,
            granted: Some(&granted),
            request: &req("get", "", "pods", None),
        });
        assert_eq!(rule(&none), "grant.kube.not-requested");
    }
}
