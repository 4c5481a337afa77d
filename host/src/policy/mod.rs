//! The gate: the one function every capability call passes before it runs.
//!
//! Order of checks (the first refusal wins):
//! 1. the plugin's effective grant — what it requested in its manifest ∩ what the operator
//!    granted (deny by default: a plugin without a grant gets nothing);
//! 2. the mode: `read-only` refuses everything but `get` and `list` (rule `mode.read-only`);
//! 3. the operator's `deny` rules (deny wins over allow, whatever the order in the file);
//! 4. the namespace lists (`namespaces.deny`, `namespaces.allow`);
//! 5. the defaults, each of which an `allow` rule naming the resource (or the namespace)
//!    explicitly can lift: reads of `denied_resources` (Secrets: `default.secret-contents`),
//!    in strict mode deletes of namespaces, nodes, ClusterRoles and ClusterRoleBindings
//!    (`default.protected-delete`) and writes in `kube-system` (`default.kube-system-writes`,
//!    or `namespaces.write-deny` for the file's own list);
//! 6. otherwise allowed: by the first matching `allow` rule, else `default.allow-read`/`-write`.
//!
//! RBAC (SelfSubjectAccessReview) runs after the gate, in [`crate::rbac`]. The policy file
//! format is in [`file`]; `kube-ai-proxy policy lint` is [`lint`].

pub mod file;
pub mod lint;

pub use file::{CommandRules, EFFECTS, Effect, Mode, Policy, PolicyFile, Rule};

use serde::Serialize;

use crate::plugins::manifest::{Grant, KubeScope};
pub use crate::verb::Verb;

/// A Kubernetes request as the API server's authorizer sees it (the `ResourceAttributes` of
/// a SubjectAccessReview), plus the version the URL uses.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct RequestAttributes {
    /// The verb (serialized in the WIT spelling: `get`, …, `delete-collection`).
    pub verb: Verb,
    /// API group (`""` for the core group).
    pub group: String,
    /// API version the URL uses.
    pub version: String,
    /// Resource (plural).
    pub resource: String,
    /// Subresource (`log`, `scale`, `exec`, ...).
    pub subresource: Option<String>,
    /// Namespace; `None` for cluster-scoped resources and all-namespace lists.
    pub namespace: Option<String>,
    /// Object name; `None` for lists and creates without a name.
    pub name: Option<String>,
}

impl RequestAttributes {
    /// The verb as RBAC spells it (`deletecollection`).
    pub fn rbac_verb(&self) -> &str {
        self.verb.rbac()
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
        self.verb.is_read()
    }
}

/// The gate's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "decision", rename_all = "lowercase")]
pub enum Decision {
    /// Go ahead; `rule` names the rule that allowed it.
    Allow {
        /// The id of the rule that allowed it (`default.allow-read`, an operator rule's id).
        rule: String,
    },
    /// Refused; `rule` names the rule, `reason` is for a person.
    Deny {
        /// The id of the rule that refused it (`default.secret-contents`, `grant.kube.*`, ...).
        rule: String,
        /// One sentence for a person: what was asked and why it is refused.
        reason: String,
    },
    /// Allowed only after a person says yes (MCP elicitation); `reason` says why it needs one.
    Confirm {
        /// The id of the rule that asks (`default.confirm-delete`, an operator rule's id).
        rule: String,
        /// One sentence for a person: what was asked and why it needs a yes.
        reason: String,
    },
}

impl Decision {
    fn deny(rule: &str, reason: String) -> Decision {
        Decision::Deny {
            rule: rule.to_string(),
            reason,
        }
    }
}

/// Facts about a request read from its query and body (the gate itself sees no bodies).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RequestFacts {
    /// The request carries `dryRun=All`: it changes nothing, so it needs no confirmation.
    pub dry_run: bool,
    /// The body sets `spec.replicas` to 0 (a scale to zero).
    pub scale_to_zero: bool,
    /// The call's declared plan says it is a rollout undo (`call-plan.facts`).
    pub rollout_undo: bool,
    /// Effect (from the server-side dry run): `metadata.ownerReferences` or
    /// `metadata.finalizers` change, or `deletionTimestamp` is set, so the garbage collector
    /// deletes the object. Judged as a delete of that object.
    pub gc_delete: bool,
    /// Effect: a `NoExecute` taint is added to a Node, or `spec.unschedulable` changes (the
    /// node's pods are evicted or stranded). Judged as an eviction.
    pub eviction: bool,
    /// Effect: the request makes something intercept the API server (an APIService, a CRD
    /// conversion webhook, an admission webhook or policy).
    pub api_interception: bool,
    /// Effect: an admission policy takes Secrets as its params (`spec.paramKind` is a core
    /// `v1` `Secret`), or a binding binds such a policy: its `messageExpression` can print
    /// Secret values into any caller's denial message. The gate treats it as a `list` of
    /// Secrets in every namespace by the caller (grant, policy and RBAC).
    pub secret_params: bool,
    /// The request asks for a server-side Table (`output-format::table`; Kubernetes API
    /// "Receiving resources as Tables"): names, types, key counts. For Secrets this is a
    /// metadata read, allowed by default (`default.secret-metadata`); a JSON read of a Secret
    /// is a contents read. Secret values are stripped from every response either way.
    pub metadata_read: bool,
    /// The request is helm's release storage, as the process capability's API proxy judged
    /// it from the request itself (never from a plugin's word): a Secret named
    /// `sh.helm.release.v1.*`, or a list of Secrets selected by `owner=helm`. The proxy
    /// passes on only Secrets of type `helm.sh/release.v1`. Lifts `default.secret-contents`
    /// as `default.helm-release-storage`.
    pub release_storage: bool,
    /// The request reads (or deletes) a namespaced resource across all namespaces (no
    /// namespace in the request, and discovery says the resource is namespaced). A policy
    /// that denies some namespaces (`namespaces.deny`, or a deny rule that names
    /// namespaces) refuses it: its answer would include the denied namespaces' objects.
    pub all_namespaces: bool,
    /// Effect: an Argo CD Application write starts a sync operation with `prune` or a forced
    /// apply, or turns on `spec.syncPolicy.automated.prune` (Argo CD then deletes live
    /// objects on its own).
    pub gitops_prune: bool,
    /// Effect: an Argo CD Application write starts a sync to a revision of its history other
    /// than the one deployed (a rollback).
    pub gitops_rollback: bool,
}

impl RequestFacts {
    /// The names (see [`EFFECTS`]) of the effects `r` with these facts has.
    pub fn effects(&self, r: &RequestAttributes) -> Vec<&'static str> {
        let mut out = Vec::new();
        if r.is_read() {
            return out;
        }
        if self.scale_to_zero {
            out.push("scale-to-zero");
        }
        if self.gc_delete {
            out.push("garbage-collector-delete");
        }
        if self.eviction
            || (r.group.is_empty()
                && r.resource == "pods"
                && r.subresource.as_deref() == Some("eviction"))
        {
            out.push("eviction");
        }
        if self.api_interception || intercepts_api(r) {
            out.push("api-interception");
        }
        if touches_kube_system(r) {
            out.push("kube-system-write");
        }
        if self.secret_params {
            out.push("secret-params");
        }
        if self.gitops_prune {
            out.push("gitops-prune");
        }
        if self.gitops_rollback {
            out.push("gitops-rollback");
        }
        out
    }
}

/// Whether writing `r` intercepts the API server by its attributes alone: APIServices and
/// admission webhooks and policies (`admissionregistration.k8s.io`).
pub fn intercepts_api(r: &RequestAttributes) -> bool {
    !r.is_read()
        && ((r.group == "apiregistration.k8s.io" && r.resource == "apiservices")
            || r.group == "admissionregistration.k8s.io")
}

/// Whether `r` is in the `kube-system` namespace or is the `kube-system` Namespace object.
pub fn touches_kube_system(r: &RequestAttributes) -> bool {
    r.namespace.as_deref() == Some("kube-system")
        || (r.group.is_empty()
            && r.resource == "namespaces"
            && r.name.as_deref() == Some("kube-system"))
}

/// Who the server acts as: the kubeconfig context and, with impersonation, the user and
/// groups the API server sees.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identity {
    /// The kubeconfig context name.
    pub context: Option<String>,
    /// The impersonated user (`[impersonate] user`).
    pub user: Option<String>,
    /// The impersonated groups (`[impersonate] groups`).
    pub groups: Vec<String>,
}

impl Identity {
    /// Whether a rule's identity pattern matches: `context:NAME`, `user:NAME`, `group:NAME`
    /// match that part; a bare pattern matches the context name or the impersonated user.
    /// Patterns use the rule glob (`*`, `prefix*`).
    pub fn matches(&self, pat: &str) -> bool {
        if pat == "*" {
            return true;
        }
        let opt = |v: &Option<String>, p: &str| v.as_deref().is_some_and(|v| glob(p, v));
        if let Some(p) = pat.strip_prefix("context:") {
            opt(&self.context, p)
        } else if let Some(p) = pat.strip_prefix("user:") {
            opt(&self.user, p)
        } else if let Some(p) = pat.strip_prefix("group:") {
            self.groups.iter().any(|g| glob(p, g))
        } else {
            opt(&self.context, pat) || opt(&self.user, pat)
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
    /// The request.
    pub request: &'a RequestAttributes,
    /// The MCP tool being called.
    pub tool: &'a str,
    /// Who the request runs as.
    pub identity: &'a Identity,
    /// What the request's query and body say.
    pub facts: RequestFacts,
    /// The operator's policy.
    pub policy: &'a Policy,
}

fn scope_refusal(
    scope: &KubeScope,
    r: &RequestAttributes,
    facts: RequestFacts,
) -> Option<&'static str> {
    if !scope.allows_verb(r.verb.as_str()) {
        Some("verb")
    } else if scope.dry_run_only && !r.is_read() && (!facts.dry_run || r.subresource.is_some()) {
        // Subresources are refused too: connect subresources (pods/exec, attach,
        // portforward, proxy) ignore dryRun, so a "dry run" there would run.
        Some("dry-run-only")
    } else if !scope.allows_resource(&r.group, &r.resource, r.subresource.as_deref()) {
        Some("resource")
    } else if !scope.allows_namespace(r.namespace.as_deref()) {
        Some("namespace")
    } else {
        None
    }
}

/// `verb resource "name" in namespace "ns"`, for reasons and confirmation messages.
pub fn describe(r: &RequestAttributes) -> String {
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
    if let Some(field) = scope_refusal(requested, r, input.facts) {
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
    if let Some(field) = scope_refusal(granted, r, input.facts) {
        return Decision::deny(
            &format!("grant.kube.granted-{field}"),
            format!(
                "{what}: outside the operator's grant to plugin {} ({field}); see [grants.{}] in the config",
                input.plugin, input.plugin
            ),
        );
    }
    decide_policy(input, &what)
}

/// The built-in confirmations of strict mode: `(rule id, why)`.
pub fn builtin_confirm(
    r: &RequestAttributes,
    facts: RequestFacts,
) -> Option<(&'static str, &'static str)> {
    if r.is_read() {
        return None;
    }
    if facts.rollout_undo {
        return Some((
            "default.confirm-rollout-undo",
            "a rollout undo replaces the running pod template",
        ));
    }
    if r.verb.is_delete() {
        return Some(("default.confirm-delete", "deletes cannot be undone"));
    }
    if facts.gc_delete {
        return Some((
            "default.confirm-gc-delete",
            "it changes ownerReferences, finalizers or deletionTimestamp, which makes the garbage collector delete the object: this is a delete, and deletes cannot be undone",
        ));
    }
    if facts.eviction {
        return Some((
            "default.confirm-eviction",
            "a NoExecute taint or a change of spec.unschedulable evicts or strands the node's pods",
        ));
    }
    if facts.api_interception
        || (r.group == "apiregistration.k8s.io" && r.resource == "apiservices")
    {
        return Some((
            "default.protected-api",
            "it makes something intercept the API server (an APIService or a conversion webhook): a broken one makes every later request hang or fail",
        ));
    }
    if facts.gitops_prune {
        return Some((
            "default.confirm-gitops-prune",
            "a sync with prune or force deletes or replaces live objects, and automated prune lets Argo CD delete them without asking",
        ));
    }
    if facts.gitops_rollback {
        return Some((
            "default.confirm-gitops-rollback",
            "a rollback replaces what runs with an earlier revision",
        ));
    }
    if facts.scale_to_zero {
        return Some((
            "default.confirm-scale-to-zero",
            "scaling to zero replicas stops the workload",
        ));
    }
    if r.group.is_empty() && r.resource == "pods" && r.subresource.as_deref() == Some("eviction") {
        return Some((
            "default.confirm-eviction",
            "evicting pods (drain) stops them",
        ));
    }
    if r.group == "rbac.authorization.k8s.io"
        && matches!(
            r.resource.as_str(),
            "roles" | "clusterroles" | "rolebindings" | "clusterrolebindings"
        )
    {
        return Some((
            "default.confirm-rbac",
            "changing Roles, ClusterRoles or their bindings changes who may do what",
        ));
    }
    if r.group == "security.istio.io"
        && matches!(
            r.resource.as_str(),
            "peerauthentications" | "authorizationpolicies"
        )
    {
        return Some((
            "default.confirm-mesh-security",
            "a PeerAuthentication or AuthorizationPolicy can lock traffic out of every workload it selects, mesh-wide in the root namespace",
        ));
    }
    if r.group == "admissionregistration.k8s.io" {
        return Some((
            "default.confirm-admission",
            "admission webhooks and policies see or change every matching request",
        ));
    }
    None
}

/// Whether an allow rule lifts a built-in confirmation: it names the verb and the resource
/// explicitly (no `*`, no empty list).
fn lifts_confirm(rule: &Rule, r: &RequestAttributes) -> bool {
    rule.verbs.iter().any(|v| v == r.verb.as_str()) && names_resource(rule, r)
}

/// The policy rule that would let `r` run without confirmation, as YAML for the refusal
/// message.
pub fn allow_rule_hint(r: &RequestAttributes) -> String {
    let res = if r.group.is_empty() {
        r.resource.clone()
    } else {
        format!("{}.{}", r.resource, r.group)
    };
    let res = match &r.subresource {
        Some(s) => format!("{res}/{s}"),
        None => res,
    };
    let ns = r
        .namespace
        .as_deref()
        .map(|n| format!(", namespaces: [{n}]"))
        .unwrap_or_default();
    format!(
        "rules: [{{id: allow-without-confirmation, effect: allow, verbs: [{}], resources: [{res}]{ns}}}]",
        r.verb
    )
}

/// Whether `pat` matches `value`: `*` anything, `prefix*` a prefix, else equality.
pub fn glob(pat: &str, value: &str) -> bool {
    if pat == "*" {
        return true;
    }
    match pat.strip_suffix('*') {
        Some(prefix) => value.starts_with(prefix),
        None => pat == value,
    }
}

/// Matches an optional value (namespace, name): `None` only matches `*`.
fn opt_match(pats: &[String], value: Option<&str>) -> bool {
    pats.is_empty()
        || pats.iter().any(|p| match value {
            Some(v) => glob(p, v),
            None => p == "*",
        })
}

fn list_match(pats: &[String], value: &str) -> bool {
    pats.is_empty() || pats.iter().any(|p| glob(p, value))
}

/// A resource pattern, split: `(resource, group, subresource)`. The group is `None` when the
/// pattern names none (any group).
pub fn split_resource(pat: &str) -> (&str, Option<&str>, Option<&str>) {
    let (main, sub) = match pat.split_once('/') {
        Some((m, s)) => (m, Some(s)),
        None => (pat, None),
    };
    match main.split_once('.') {
        Some((r, g)) => (r, Some(g), sub),
        None => (main, None, sub),
    }
}

/// Whether a resource pattern matches the request: `*`, `pods` (any group),
/// `deployments.apps`, `*.apps`, `pods/exec`, `pods/*`. A pattern without a subresource
/// also matches the resource's subresources.
pub fn resource_match(pat: &str, r: &RequestAttributes) -> bool {
    if pat == "*" {
        return true;
    }
    let (res, group, sub) = split_resource(pat);
    glob(res, &r.resource)
        && group.is_none_or(|g| glob(g, &r.group))
        && sub.is_none_or(|s| r.subresource.as_deref().is_some_and(|rs| glob(s, rs)))
}

/// Whether `rule` matches the request in `input`.
pub fn rule_matches(rule: &Rule, input: &GateInput<'_>) -> bool {
    opt_match(&rule.namespaces, input.request.namespace.as_deref())
        && rule_matches_any_namespace(rule, input)
}

/// Whether `rule` matches the request in `input` in some namespace: every condition but
/// the namespace. For a request across all namespaces, a deny rule that names namespaces and
/// matches this way would hide objects the answer contains.
fn rule_matches_any_namespace(rule: &Rule, input: &GateInput<'_>) -> bool {
    let r = input.request;
    (rule.verbs.is_empty() || rule.verbs.iter().any(|v| v == "*" || v == r.verb.as_str()))
        && (rule.resources.is_empty() || rule.resources.iter().any(|p| resource_match(p, r)))
        && opt_match(&rule.names, r.name.as_deref())
        && list_match(&rule.plugins, input.plugin)
        && list_match(&rule.tools, input.tool)
        && (rule.identities.is_empty() || rule.identities.iter().any(|p| input.identity.matches(p)))
        && (rule.effects.is_empty() || {
            let have = input.facts.effects(r);
            rule.effects.iter().any(|e| have.contains(&e.as_str()))
        })
}

/// Whether an allow rule names the request's resource explicitly (no `*` resource pattern).
fn names_resource(rule: &Rule, r: &RequestAttributes) -> bool {
    rule.resources
        .iter()
        .any(|p| !split_resource(p).0.contains('*') && resource_match(p, r))
}

/// Whether an allow rule names the request's namespace explicitly (no wildcard).
fn names_namespace(rule: &Rule, r: &RequestAttributes) -> bool {
    r.namespace
        .as_deref()
        .is_some_and(|ns| rule.namespaces.iter().any(|p| p == ns))
}

fn rule_reason(rule: &Rule, what: &str, default: &str) -> String {
    match &rule.reason {
        Some(reason) => format!("{what}: {reason} (policy rule {})", rule.id),
        None => format!("{what}: {default} (policy rule {})", rule.id),
    }
}

/// Steps 2-6 of the gate (after the grant).
fn decide_policy(input: &GateInput<'_>, what: &str) -> Decision {
    let r = input.request;
    let p = input.policy;
    if p.mode == Mode::ReadOnly && !r.is_read() {
        return Decision::deny(
            "mode.read-only",
            format!(
                "{what}: the server runs in read-only mode (K8S_MCP_SECURITY_MODE or the policy's mode); only get and list are allowed"
            ),
        );
    }
    let matching: Vec<&Rule> = p
        .rules
        .iter()
        .filter(|rule| rule_matches(rule, input))
        .collect();
    if let Some(rule) = matching
        .iter()
        .find(|rule| rule.effect == Some(Effect::Deny))
    {
        return Decision::deny(
            &rule.id,
            rule_reason(rule, what, "denied by the operator's policy"),
        );
    }
    if let Some(ns) = r.namespace.as_deref()
        && p.namespace_deny.iter().any(|pat| glob(pat, ns))
    {
        return Decision::deny(
            "namespaces.deny",
            format!("{what}: namespace {ns:?} is in the policy's namespaces.deny list"),
        );
    }
    if input.facts.all_namespaces {
        if !p.namespace_deny.is_empty() {
            return Decision::deny(
                "namespaces.deny",
                format!(
                    "{what}: across all namespaces the answer would include namespaces the policy's namespaces.deny list hides ({}); name a namespace",
                    p.namespace_deny.join(", ")
                ),
            );
        }
        if let Some(rule) = p.rules.iter().find(|rule| {
            rule.effect == Some(Effect::Deny)
                && !rule.namespaces.is_empty()
                && rule_matches_any_namespace(rule, input)
        }) {
            return Decision::deny(
                &rule.id,
                format!(
                    "{what}: across all namespaces the answer would include namespaces that policy rule {} denies ({}{}); name a namespace",
                    rule.id,
                    rule.namespaces.join(", "),
                    rule.reason
                        .as_deref()
                        .map(|r| format!(": {r}"))
                        .unwrap_or_default()
                ),
            );
        }
    }
    if let Some(allow) = &p.namespace_allow {
        let ok = r
            .namespace
            .as_deref()
            .is_some_and(|ns| allow.iter().any(|pat| glob(pat, ns)));
        if !ok {
            return Decision::deny(
                "namespaces.allow",
                match &r.namespace {
                    Some(ns) => format!(
                        "{what}: namespace {ns:?} is not in the policy's namespaces.allow list"
                    ),
                    None => format!(
                        "{what}: requests without a namespace (cluster-scoped or all namespaces) are outside the policy's namespaces.allow list"
                    ),
                },
            );
        }
    }
    let allows: Vec<&Rule> = matching
        .iter()
        .copied()
        .filter(|rule| rule.effect == Some(Effect::Allow))
        .collect();
    let lifted_by_resource = allows.iter().any(|rule| names_resource(rule, r));
    let is_secrets = r.group.is_empty() && r.resource == "secrets";
    // Secrets: metadata yes, data never. A Table read (names, types, key counts; the host
    // strips values from every Secret response) is allowed by default.
    let secret_metadata = is_secrets && r.is_read() && input.facts.metadata_read;
    // helm's release records, read by the real helm through the process proxy (which passes
    // on only `helm.sh/release.v1` Secrets; the model sees helm's redacted output).
    let release_storage = is_secrets && input.facts.release_storage;
    // A plugin granted Secret keys (`secret_keys`) reads Secrets: the host answers each one
    // with only those keys ([`crate::redact::release_secret_keys`]), never `data`.
    if is_secrets
        && r.is_read()
        && r.subresource.is_none()
        && !lifted_by_resource
        && crate::capabilities::kube::scope::SecretRelease::of(
            input.requested,
            input.granted.and_then(|g| g.kube.as_ref()),
        )
        .is_some()
    {
        return Decision::Allow {
            rule: "grant.secret-keys".into(),
        };
    }
    if r.is_read()
        && r.subresource.is_none()
        && p.denied_resources.iter().any(|pat| resource_match(pat, r))
        && !lifted_by_resource
        && !secret_metadata
        && !release_storage
    {
        return if is_secrets {
            Decision::deny(
                "default.secret-contents",
                format!(
                    "{what}: reading Secrets' contents is denied by the default policy, so their values never reach the model (an allow rule naming secrets lifts it). Names, types, key names and sizes are shown by `get secrets` and `describe secret`"
                ),
            )
        } else {
            Decision::deny(
                "default.denied-resource",
                format!(
                    "{what}: reading {} is denied by the policy's denied_resources",
                    r.resource
                ),
            )
        };
    }
    let protected = matches!(
        (r.group.as_str(), r.resource.as_str()),
        ("", "namespaces")
            | ("", "nodes")
            | ("rbac.authorization.k8s.io", "clusterroles")
            | ("rbac.authorization.k8s.io", "clusterrolebindings")
    );
    if p.mode == Mode::Strict
        && protected
        && r.subresource.is_none()
        && (r.verb.is_delete() || input.facts.gc_delete)
        && !lifted_by_resource
    {
        let how = if r.verb.is_delete() {
            ""
        } else {
            " (this write changes ownerReferences, finalizers or deletionTimestamp, which makes the garbage collector delete it)"
        };
        return Decision::deny(
            "default.protected-delete",
            format!(
                "{what}: deleting namespaces, nodes, ClusterRoles and ClusterRoleBindings is denied by the default policy{how}"
            ),
        );
    }
    let write_ns = r
        .namespace
        .as_deref()
        .or((r.group.is_empty() && r.resource == "namespaces")
            .then_some(r.name.as_deref())
            .flatten());
    if !r.is_read()
        && let Some(ns) = write_ns
        && p.write_deny.iter().any(|pat| glob(pat, ns))
        && !allows.iter().any(|rule| names_namespace(rule, r))
    {
        return if p.write_deny_default {
            Decision::deny(
                "default.kube-system-writes",
                format!("{what}: writes in kube-system are denied by the strict default policy"),
            )
        } else {
            Decision::deny(
                "namespaces.write-deny",
                format!(
                    "{what}: writes in namespace {ns:?} are denied by the policy's namespaces.write_deny"
                ),
            )
        };
    }
    if !input.facts.dry_run {
        if let Some(rule) = matching
            .iter()
            .find(|rule| rule.effect == Some(Effect::Confirm))
        {
            return Decision::Confirm {
                rule: rule.id.clone(),
                reason: rule_reason(rule, what, "the operator's policy asks for confirmation"),
            };
        }
        // helm's own release records (its history pruning, an uninstall's last step) are
        // bookkeeping, not a delete a person judges: the run that makes them is approved as
        // a whole (see the process capability).
        if p.mode == Mode::Strict
            && !input.facts.release_storage
            && let Some((id, why)) = builtin_confirm(r, input.facts)
            && !allows.iter().any(|rule| lifts_confirm(rule, r))
        {
            return Decision::Confirm {
                rule: id.to_string(),
                reason: format!("{what}: {why}"),
            };
        }
    }
    if let Some(rule) = allows.first() {
        return Decision::Allow {
            rule: rule.id.clone(),
        };
    }
    Decision::Allow {
        rule: if secret_metadata && p.denied_resources.iter().any(|pat| resource_match(pat, r)) {
            "default.secret-metadata".into()
        } else if release_storage && r.is_read() {
            "default.helm-release-storage".into()
        } else if r.is_read() {
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
            verb: Verb::parse(verb).expect("test verb"),
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
        decide_with(&Policy::default(), r)
    }

    fn decide_with(policy: &Policy, r: &RequestAttributes) -> Decision {
        decide_as(policy, r, "kubectl", "execute_kubectl", Some("kind-kap"))
    }

    fn decide_as(
        policy: &Policy,
        r: &RequestAttributes,
        plugin: &str,
        tool: &str,
        identity: Option<&str>,
    ) -> Decision {
        let grant = kubectl_grant();
        let everything = KubeScope::everything();
        let identity = Identity {
            context: identity.map(str::to_string),
            ..Identity::default()
        };
        decide(&GateInput {
            plugin,
            requested: Some(&everything),
            granted: Some(&grant),
            request: r,
            tool,
            identity: &identity,
            facts: RequestFacts::default(),
            policy,
        })
    }

    fn pol(yaml: &str) -> Policy {
        Policy::from_yaml(yaml, None, None).unwrap()
    }

    fn rule(d: &Decision) -> &str {
        match d {
            Decision::Allow { rule }
            | Decision::Deny { rule, .. }
            | Decision::Confirm { rule, .. } => rule,
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
            "default.confirm-delete"
        );
        // A role in a namespace is not cluster-scoped RBAC: not a protected delete, but a
        // delete needs a person's yes.
        assert_eq!(
            rule(&decide_all(&req(
                "delete",
                "rbac.authorization.k8s.io",
                "roles",
                Some("a")
            ))),
            "default.confirm-delete"
        );
    }

    fn decide_granted(
        policy: &Policy,
        r: &RequestAttributes,
        grant: &Grant,
        facts: RequestFacts,
    ) -> Decision {
        let everything = KubeScope::everything();
        let requested = grant.kube.as_ref().unwrap_or(&everything);
        decide(&GateInput {
            plugin: "istio",
            requested: Some(requested),
            granted: Some(grant),
            request: r,
            tool: "execute_istioctl",
            identity: &Identity::default(),
            facts,
            policy,
        })
    }

    #[test]
    fn a_dry_run_only_scope_allows_writes_only_as_dry_runs() {
        let grant = crate::config::default_grants().remove("istio").unwrap();
        let create = req(
            "create",
            "networking.istio.io",
            "virtualservices",
            Some("a"),
        );
        let real = decide_granted(&Policy::default(), &create, &grant, RequestFacts::default());
        assert_eq!(rule(&real), "grant.kube.requested-dry-run-only");
        let dry = RequestFacts {
            dry_run: true,
            ..RequestFacts::default()
        };
        assert_eq!(
            rule(&decide_granted(&Policy::default(), &create, &grant, dry)),
            "default.allow-write"
        );
        // A connect subresource ignores dryRun: refused even with it.
        let mut exec = req("create", "", "pods", Some("a"));
        exec.subresource = Some("exec".into());
        assert_eq!(
            rule(&decide_granted(&Policy::default(), &exec, &grant, dry)),
            "grant.kube.requested-dry-run-only"
        );
        // Reads need no dry run; Secrets are not granted at all.
        let list = req("list", "networking.istio.io", "virtualservices", None);
        assert_eq!(
            rule(&decide_granted(
                &Policy::default(),
                &list,
                &grant,
                RequestFacts::default()
            )),
            "default.allow-read"
        );
        let secrets = req("list", "", "secrets", Some("a"));
        assert_eq!(
            rule(&decide_granted(
                &Policy::default(),
                &secrets,
                &grant,
                RequestFacts::default()
            )),
            "grant.kube.requested-resource"
        );
    }

    #[test]
    fn a_list_across_all_namespaces_is_refused_when_the_policy_hides_a_namespace() {
        let grant = kubectl_grant();
        let all = RequestFacts {
            all_namespaces: true,
            ..RequestFacts::default()
        };
        let list = req("list", "", "pods", None);
        let p = pol("rules:\n  - {id: hide-team-b, effect: deny, namespaces: [team-b]}\n");
        // Only such a policy makes the host ask discovery whether a list is namespaced.
        assert!(p.hides_namespaces() && !Policy::default().hides_namespaces());
        let d = decide_granted(&p, &list, &grant, all);
        assert_eq!(rule(&d), "hide-team-b");
        assert!(
            matches!(&d, Decision::Deny { reason, .. } if reason.contains("across all namespaces") && reason.contains("team-b")),
            "{d:?}"
        );
        // The same list of a cluster-scoped resource (no all_namespaces fact) is not hidden.
        let nodes = req("list", "", "nodes", None);
        assert_eq!(
            rule(&decide_granted(&p, &nodes, &grant, RequestFacts::default())),
            "default.allow-read"
        );
        // A rule for other verbs or resources does not hide this list.
        let p = pol(
            "rules:\n  - {id: no-deletes-b, effect: deny, verbs: [delete], namespaces: [team-b]}\n",
        );
        assert_eq!(
            rule(&decide_granted(&p, &list, &grant, all)),
            "default.allow-read"
        );
        // namespaces.deny hides too.
        let p = pol("namespaces:\n  deny: [kube-system]\n");
        assert_eq!(
            rule(&decide_granted(&p, &list, &grant, all)),
            "namespaces.deny"
        );
    }

    #[test]
    fn granted_secret_keys_lift_the_secret_contents_rule_for_reads_only() {
        let scope = KubeScope {
            verbs: vec!["get".into(), "list".into(), "delete".into()],
            resources: vec!["secrets".into()],
            namespaces: vec!["argocd".into()],
            secret_keys: vec!["url".into(), "name".into()],
            secret_label: Some("argocd.argoproj.io/secret-type".into()),
            ..KubeScope::default()
        };
        let grant = Grant {
            digest: None,
            kube: Some(scope.clone()),
            log: false,
            process: None,
        };
        let list = req("list", "", "secrets", Some("argocd"));
        let decide_keys = |policy: &Policy, r: &RequestAttributes, requested: &KubeScope| {
            decide(&GateInput {
                plugin: "argocd",
                requested: Some(requested),
                granted: Some(&grant),
                request: r,
                tool: "execute_argocd",
                identity: &Identity::default(),
                facts: RequestFacts::default(),
                policy,
            })
        };
        assert_eq!(
            rule(&decide_keys(&Policy::default(), &list, &scope)),
            "grant.secret-keys"
        );
        // The manifest did not request keys: requested ∩ granted is empty.
        let no_keys = KubeScope {
            secret_keys: Vec::new(),
            ..scope.clone()
        };
        assert_eq!(
            rule(&decide_keys(&Policy::default(), &list, &no_keys)),
            "default.secret-contents"
        );
        // Outside the granted namespaces, and for writes, the keys change nothing.
        let elsewhere = req("list", "", "secrets", Some("kube-system"));
        assert_eq!(
            rule(&decide_keys(&Policy::default(), &elsewhere, &scope)),
            "grant.kube.requested-namespace"
        );
        let delete = req("delete", "", "secrets", Some("argocd"));
        assert_ne!(
            rule(&decide_keys(&Policy::default(), &delete, &scope)),
            "grant.secret-keys"
        );
        // A policy deny still wins.
        let p = pol("rules:\n  - {id: no-secrets, effect: deny, resources: [secrets]}\n");
        assert_eq!(rule(&decide_keys(&p, &list, &scope)), "no-secrets");
    }

    #[test]
    fn writes_to_mesh_security_policies_need_confirmation() {
        for resource in ["peerauthentications", "authorizationpolicies"] {
            let d = decide_all(&req("patch", "security.istio.io", resource, Some("a")));
            assert_eq!(rule(&d), "default.confirm-mesh-security", "{resource}");
        }
        assert_eq!(
            rule(&decide_all(&req(
                "patch",
                "networking.istio.io",
                "virtualservices",
                Some("a")
            ))),
            "default.allow-write"
        );
        assert_eq!(
            rule(&decide_all(&req(
                "get",
                "security.istio.io",
                "authorizationpolicies",
                Some("a")
            ))),
            "default.allow-read"
        );
    }

    #[test]
    fn grant_is_requested_intersect_granted() {
        let requested = KubeScope {
            verbs: vec!["get".into(), "list".into()],
            resources: vec!["pods".into()],
            namespaces: vec!["*".into()],
            dry_run_only: false,
            secret_keys: Vec::new(),
            secret_label: None,
        };
        let granted = Grant {
            digest: None,
            kube: Some(KubeScope {
                verbs: vec!["*".into()],
                resources: vec!["*".into()],
                namespaces: vec!["team".into()],
                dry_run_only: false,
                secret_keys: Vec::new(),
                secret_label: None,
            }),
            log: false,
            process: None,
        };
        let policy = Policy::default();
        let d = |r: &RequestAttributes, g: Option<&Grant>| {
            decide(&GateInput {
                plugin: "p",
                requested: Some(&requested),
                granted: g,
                request: r,
                tool: "t",
                identity: &Identity::default(),
                facts: RequestFacts::default(),
                policy: &policy,
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
            tool: "t",
            identity: &Identity::default(),
            facts: RequestFacts::default(),
            policy: &policy,
        });
        assert_eq!(rule(&none), "grant.kube.not-requested");
    }

    #[test]
    fn strict_denies_kube_system_writes_permissive_does_not() {
        let w = req("patch", "apps", "deployments", Some("kube-system"));
        assert_eq!(rule(&decide_all(&w)), "default.kube-system-writes");
        assert_eq!(
            rule(&decide_all(&req("get", "", "pods", Some("kube-system")))),
            "default.allow-read"
        );
        let permissive = pol("mode: permissive");
        assert_eq!(rule(&decide_with(&permissive, &w)), "default.allow-write");
        // Permissive drops the protected-delete default but keeps the Secret protection.
        assert_eq!(
            rule(&decide_with(
                &permissive,
                &req("delete", "", "namespaces", None)
            )),
            "default.allow-write"
        );
        assert_eq!(
            rule(&decide_with(
                &permissive,
                &req("get", "", "secrets", Some("a"))
            )),
            "default.secret-contents"
        );
        // An explicit write_deny list stays in permissive mode, with its own rule id.
        let p = pol("mode: permissive\nnamespaces: {write_deny: [prod]}");
        assert_eq!(
            rule(&decide_with(&p, &req("create", "", "pods", Some("prod")))),
            "namespaces.write-deny"
        );
        assert_eq!(
            rule(&decide_with(
                &p,
                &req("create", "", "pods", Some("kube-system"))
            )),
            "default.allow-write"
        );
    }

    #[test]
    fn read_only_mode_allows_only_get_and_list() {
        let p = pol(
            "mode: read-only\nrules:\n- {id: ok, effect: allow, verbs: [delete, get], resources: [pods]}",
        );
        for verb in ["create", "update", "patch", "delete", "delete-collection"] {
            assert_eq!(
                rule(&decide_with(&p, &req(verb, "", "pods", Some("a")))),
                "mode.read-only",
                "{verb}"
            );
        }
        assert_eq!(
            rule(&decide_with(&p, &req("get", "", "pods", Some("a")))),
            "ok"
        );
        assert_eq!(
            rule(&decide_with(&p, &req("list", "", "secrets", None))),
            "default.secret-contents"
        );
        // The environment's mode beats the file's.
        let strict = Policy::from_yaml("mode: read-only", None, Some("strict")).unwrap();
        assert_eq!(strict.mode, Mode::Strict);
        let ro = Policy::from_yaml("mode: permissive", None, Some("read-only")).unwrap();
        assert_eq!(
            rule(&decide_with(&ro, &req("create", "", "pods", Some("a")))),
            "mode.read-only"
        );
        assert!(Policy::from_yaml("", None, Some("lax")).is_err());
        assert!(Policy::from_yaml("mode: lax", None, None).is_err());
    }

    #[test]
    fn deny_wins_over_allow_whatever_the_order() {
        for yaml in [
            "rules:\n- {id: a, effect: allow, verbs: [delete], resources: [deployments.apps]}\n- {id: d, effect: deny, verbs: [delete], resources: [deployments.apps], namespaces: [demo]}",
            "rules:\n- {id: d, effect: deny, verbs: [delete], resources: [deployments.apps], namespaces: [demo]}\n- {id: a, effect: allow, verbs: [delete], resources: [deployments.apps]}",
        ] {
            let p = pol(yaml);
            let r = req("delete", "apps", "deployments", Some("demo"));
            match decide_with(&p, &r) {
                Decision::Deny { rule, reason } => {
                    assert_eq!(rule, "d");
                    assert!(reason.contains("policy rule d"), "{reason}");
                }
                other => panic!("{other:?}"),
            }
            assert_eq!(
                rule(&decide_with(
                    &p,
                    &req("delete", "apps", "deployments", Some("other"))
                )),
                "a"
            );
        }
    }

    #[test]
    fn rule_match_fields() {
        let p = pol(r#"
rules:
- {id: by-plugin, effect: deny, plugins: [evil]}
- {id: by-tool, effect: deny, tools: [dangerous_tool]}
- {id: by-identity, effect: deny, identities: [prod-*], verbs: [delete]}
- {id: by-name, effect: deny, names: [web], resources: [services]}
- {id: by-sub, effect: deny, resources: [pods/exec]}
- {id: by-group, effect: deny, resources: ["*.example.com"], verbs: [create]}
- {id: by-ns, effect: deny, namespaces: [team-*], verbs: [patch]}
- {id: cluster, effect: deny, namespaces: ["*"], verbs: [update], resources: [nodes]}
"#);
        let get = req("get", "", "pods", Some("a"));
        assert_eq!(rule(&decide_as(&p, &get, "evil", "t", None)), "by-plugin");
        assert_eq!(
            rule(&decide_as(&p, &get, "kubectl", "dangerous_tool", None)),
            "by-tool"
        );
        assert_eq!(
            rule(&decide_as(&p, &get, "kubectl", "t", None)),
            "default.allow-read"
        );
        let del = req("delete", "", "pods", Some("a"));
        assert_eq!(
            rule(&decide_as(&p, &del, "kubectl", "t", Some("prod-eu"))),
            "by-identity"
        );
        assert_eq!(
            rule(&decide_as(&p, &del, "kubectl", "t", Some("dev"))),
            "default.confirm-delete"
        );
        assert_eq!(
            rule(&decide_as(&p, &del, "kubectl", "t", None)),
            "default.confirm-delete"
        );
        let mut svc = req("get", "", "services", Some("a"));
        assert_eq!(rule(&decide_with(&p, &svc)), "default.allow-read");
        svc.name = Some("web".into());
        assert_eq!(rule(&decide_with(&p, &svc)), "by-name");
        svc.name = None; // a list has no name: only `*` matches it
        assert_eq!(rule(&decide_with(&p, &svc)), "default.allow-read");
        let mut exec = req("create", "", "pods", Some("a"));
        assert_eq!(rule(&decide_with(&p, &exec)), "default.allow-write");
        exec.subresource = Some("exec".into());
        assert_eq!(rule(&decide_with(&p, &exec)), "by-sub");
        assert_eq!(
            rule(&decide_with(
                &p,
                &req("create", "example.com", "widgets", Some("a"))
            )),
            "by-group"
        );
        assert_eq!(
            rule(&decide_with(&p, &req("patch", "", "pods", Some("team-a")))),
            "by-ns"
        );
        assert_eq!(
            rule(&decide_with(&p, &req("patch", "", "pods", Some("teams")))),
            "default.allow-write"
        );
        assert_eq!(
            rule(&decide_with(&p, &req("update", "", "nodes", None))),
            "cluster"
        );
        // `deployments` without a group matches any group; with one, only that group.
        let any = pol("rules:\n- {id: d, effect: deny, resources: [deployments]}");
        assert_eq!(
            rule(&decide_with(
                &any,
                &req("get", "apps", "deployments", Some("a"))
            )),
            "d"
        );
        let core = pol("rules:\n- {id: d, effect: deny, resources: [deployments.apps]}");
        assert_eq!(
            rule(&decide_with(
                &core,
                &req("get", "x.io", "deployments", Some("a"))
            )),
            "default.allow-read"
        );
    }

    #[test]
    fn namespace_lists() {
        let p = pol("namespaces: {allow: [demo, team-*], deny: [team-secret]}");
        assert_eq!(
            rule(&decide_with(&p, &req("get", "", "pods", Some("demo")))),
            "default.allow-read"
        );
        assert_eq!(
            rule(&decide_with(&p, &req("get", "", "pods", Some("team-x")))),
            "default.allow-read"
        );
        assert_eq!(
            rule(&decide_with(
                &p,
                &req("get", "", "pods", Some("team-secret"))
            )),
            "namespaces.deny"
        );
        assert_eq!(
            rule(&decide_with(&p, &req("get", "", "pods", Some("other")))),
            "namespaces.allow"
        );
        assert_eq!(
            rule(&decide_with(&p, &req("list", "", "pods", None))),
            "namespaces.allow"
        );
        // An allow rule does not beat the operator's namespace lists.
        let p =
            pol("namespaces: {deny: [prod]}\nrules:\n- {id: a, effect: allow, namespaces: [prod]}");
        assert_eq!(
            rule(&decide_with(&p, &req("get", "", "pods", Some("prod")))),
            "namespaces.deny"
        );
        // It does lift the kube-system write default when it names the namespace.
        let p = pol("rules:\n- {id: ks, effect: allow, verbs: [patch], namespaces: [kube-system]}");
        assert_eq!(
            rule(&decide_with(
                &p,
                &req("patch", "apps", "deployments", Some("kube-system"))
            )),
            "ks"
        );
        let p = pol("rules:\n- {id: star, effect: allow, namespaces: [\"*\"]}");
        assert_eq!(
            rule(&decide_with(
                &p,
                &req("patch", "apps", "deployments", Some("kube-system"))
            )),
            "default.kube-system-writes"
        );
    }

    #[test]
    fn explicit_secret_allow_beats_the_default_not_a_deny() {
        let p = pol(
            "rules:\n- {id: demo-secrets, effect: allow, verbs: [get], resources: [secrets], namespaces: [demo]}",
        );
        assert_eq!(
            rule(&decide_with(&p, &req("get", "", "secrets", Some("demo")))),
            "demo-secrets"
        );
        assert_eq!(
            rule(&decide_with(&p, &req("get", "", "secrets", Some("other")))),
            "default.secret-contents"
        );
        assert_eq!(
            rule(&decide_with(&p, &req("list", "", "secrets", Some("demo")))),
            "default.secret-contents"
        );
        // A wildcard allow does not name secrets.
        let p = pol("rules:\n- {id: all, effect: allow, resources: [\"*\"]}");
        assert_eq!(
            rule(&decide_with(&p, &req("get", "", "secrets", Some("demo")))),
            "default.secret-contents"
        );
        // An explicit deny beats the explicit allow.
        let p = pol(
            "rules:\n- {id: s, effect: allow, resources: [secrets]}\n- {id: no, effect: deny, resources: [secrets], names: [root-*]}",
        );
        let mut r = req("get", "", "secrets", Some("demo"));
        assert_eq!(rule(&decide_with(&p, &r)), "s");
        r.name = Some("root-ca".into());
        assert_eq!(rule(&decide_with(&p, &r)), "no");
        // denied_resources replaces the default list.
        let p = pol("denied_resources: [configmaps]");
        assert_eq!(
            rule(&decide_with(&p, &req("get", "", "secrets", Some("a")))),
            "default.allow-read"
        );
        assert_eq!(
            rule(&decide_with(&p, &req("get", "", "configmaps", Some("a")))),
            "default.denied-resource"
        );
        assert_eq!(
            rule(&decide_with(
                &p,
                &req("create", "", "configmaps", Some("a"))
            )),
            "default.allow-write"
        );
    }

    #[test]
    fn protected_delete_lifted_only_by_a_rule_naming_the_resource() {
        let p = pol("rules:\n- {id: ns, effect: allow, verbs: [delete], resources: [namespaces]}");
        assert_eq!(
            rule(&decide_with(&p, &req("delete", "", "namespaces", None))),
            "ns"
        );
        assert_eq!(
            rule(&decide_with(&p, &req("delete", "", "nodes", None))),
            "default.protected-delete"
        );
    }

    #[test]
    fn seed_sections_are_accepted_and_recorded() {
        let p = pol(r#"
dangerous_commands:
  kubectl: ["kubectl delete", "kubectl drain"]
safe_patterns:
  kubectl: ["kubectl delete pod"]
regex_rules:
  kubectl:
    - pattern: "kubectl\\s+delete\\s+(-[A-Za-z]+\\s+)*--all\\b"
      description: "Deleting all resources of a type"
      error_message: "Custom error message shown to the user"
"#);
        assert_eq!(p.commands.dangerous["kubectl"].len(), 2);
        assert_eq!(p.commands.safe["kubectl"], vec!["kubectl delete pod"]);
        assert_eq!(p.commands.regex["kubectl"].len(), 1);
        assert!(
            Policy::from_yaml("rules:\n- {effect: allow, verbs: [watch]}", None, None).is_err()
        );
        assert!(Policy::from_yaml("rules:\n- {verbs: [get]}", None, None).is_err());
        assert!(Policy::from_yaml("bogus: 1", None, None).is_err());
        let p = pol("rules:\n- {effect: deny, verbs: [deletecollection]}");
        assert_eq!(p.rules[0].id, "rules[0]");
        assert_eq!(
            rule(&decide_with(
                &p,
                &req("delete-collection", "", "pods", Some("a"))
            )),
            "rules[0]"
        );
    }

    fn decide_facts(policy: &Policy, r: &RequestAttributes, facts: RequestFacts) -> Decision {
        let grant = kubectl_grant();
        let everything = KubeScope::everything();
        decide(&GateInput {
            plugin: "kubectl",
            requested: Some(&everything),
            granted: Some(&grant),
            request: r,
            tool: "execute_kubectl",
            identity: &Identity::default(),
            facts,
            policy,
        })
    }

    #[test]
    fn helm_release_records_are_bookkeeping_other_secrets_are_not() {
        let p = Policy::default();
        let mut r = req("delete", "", "secrets", Some("demo"));
        r.name = Some("sh.helm.release.v1.web.v1".into());
        let release = RequestFacts {
            release_storage: true,
            ..RequestFacts::default()
        };
        assert!(
            matches!(decide_facts(&p, &r, release), Decision::Allow { .. }),
            "{:?}",
            decide_facts(&p, &r, release)
        );
        r.name = Some("web-secret".into());
        assert!(matches!(
            decide_facts(&p, &r, RequestFacts::default()),
            Decision::Confirm { .. }
        ));
        // Reading a release record's contents is allowed; any other Secret's is not.
        let mut get = req("get", "", "secrets", Some("demo"));
        get.name = Some("sh.helm.release.v1.web.v1".into());
        assert!(matches!(
            decide_facts(&p, &get, release),
            Decision::Allow { .. }
        ));
        get.name = Some("vault-creds".into());
        assert!(matches!(
            decide_facts(&p, &get, RequestFacts::default()),
            Decision::Deny { .. }
        ));
    }

    #[test]
    fn built_in_confirmations_in_strict_mode() {
        let p = Policy::default();
        let none = RequestFacts::default();
        let cases = [
            (
                req("delete", "", "pods", Some("a")),
                none,
                "default.confirm-delete",
            ),
            (
                req("delete-collection", "", "pods", Some("a")),
                none,
                "default.confirm-delete",
            ),
            (
                req("patch", "apps", "deployments", Some("a")),
                RequestFacts {
                    scale_to_zero: true,
                    ..none
                },
                "default.confirm-scale-to-zero",
            ),
            (
                req("patch", "apps", "deployments", Some("a")),
                RequestFacts {
                    rollout_undo: true,
                    ..none
                },
                "default.confirm-rollout-undo",
            ),
            (
                RequestAttributes {
                    subresource: Some("eviction".into()),
                    name: Some("p".into()),
                    ..req("create", "", "pods", Some("a"))
                },
                none,
                "default.confirm-eviction",
            ),
            (
                req(
                    "create",
                    "rbac.authorization.k8s.io",
                    "rolebindings",
                    Some("a"),
                ),
                none,
                "default.confirm-rbac",
            ),
            (
                req("patch", "rbac.authorization.k8s.io", "clusterroles", None),
                none,
                "default.confirm-rbac",
            ),
            (
                req(
                    "create",
                    "admissionregistration.k8s.io",
                    "validatingwebhookconfigurations",
                    None,
                ),
                none,
                "default.confirm-admission",
            ),
        ];
        for (r, facts, want) in cases {
            match decide_facts(&p, &r, facts) {
                Decision::Confirm { rule, reason } => {
                    assert_eq!(rule, want, "{r:?}");
                    assert!(!reason.is_empty());
                }
                other => panic!("{r:?}: {other:?}"),
            }
            // A server-side dry run changes nothing: no question.
            let dry = RequestFacts {
                dry_run: true,
                ..facts
            };
            assert!(
                matches!(decide_facts(&p, &r, dry), Decision::Allow { .. }),
                "{r:?}"
            );
            // Permissive mode drops the built-in confirmations.
            let perm = Policy::from_yaml("mode: permissive", None, None).unwrap();
            assert!(
                matches!(decide_facts(&perm, &r, facts), Decision::Allow { .. }),
                "{r:?}"
            );
        }
        // Ordinary writes and scaling to a non-zero count need no confirmation.
        for r in [
            req("patch", "apps", "deployments", Some("a")),
            req("create", "", "configmaps", Some("a")),
            req(
                "create",
                "rbac.authorization.k8s.io",
                "selfsubjectrulesreviews",
                None,
            ),
        ] {
            let d = decide_facts(&p, &r, none);
            assert!(
                matches!(d, Decision::Allow { .. }) || r.resource == "selfsubjectrulesreviews",
                "{r:?}: {d:?}"
            );
        }
    }

    #[test]
    fn confirm_rules_and_lifting() {
        let p = pol(r#"
mode: permissive
rules:
- {id: cm, effect: confirm, verbs: [patch], resources: [configmaps]}
- {id: deny-prod, effect: deny, namespaces: [prod]}
"#);
        let none = RequestFacts::default();
        assert_eq!(
            rule(&decide_facts(
                &p,
                &req("patch", "", "configmaps", Some("a")),
                none
            )),
            "cm"
        );
        // Deny beats confirm.
        assert_eq!(
            rule(&decide_facts(
                &p,
                &req("patch", "", "configmaps", Some("prod")),
                none
            )),
            "deny-prod"
        );
        // An allow rule naming verb and resource lifts a built-in confirmation, not a rule's.
        let p = pol(r#"
rules:
- {id: ci-deletes-pods, effect: allow, verbs: [delete], resources: [pods], namespaces: [ci]}
- {id: any-delete, effect: allow, verbs: ["*"], resources: ["*"]}
- {id: cm, effect: confirm, resources: [configmaps]}
- {id: cm-allow, effect: allow, verbs: [delete], resources: [configmaps]}
"#);
        assert_eq!(
            rule(&decide_facts(
                &p,
                &req("delete", "", "pods", Some("ci")),
                none
            )),
            "ci-deletes-pods"
        );
        assert_eq!(
            rule(&decide_facts(
                &p,
                &req("delete", "", "pods", Some("other")),
                none
            )),
            "default.confirm-delete"
        );
        assert_eq!(
            rule(&decide_facts(
                &p,
                &req("delete", "", "configmaps", Some("ci")),
                none
            )),
            "cm"
        );
        let hint = allow_rule_hint(&req("delete", "apps", "deployments", Some("web")));
        let lifted = pol(&hint);
        assert!(matches!(
            decide_facts(
                &lifted,
                &req("delete", "apps", "deployments", Some("web")),
                none
            ),
            Decision::Allow { .. }
        ));
    }

    #[test]
    fn identity_patterns() {
        let id = Identity {
            context: Some("kind-kap".into()),
            user: Some("alice".into()),
            groups: vec!["ops".into(), "dev".into()],
        };
        assert!(id.matches("kind-*"));
        assert!(id.matches("alice"));
        assert!(id.matches("user:alice"));
        assert!(!id.matches("user:kind-kap"));
        assert!(id.matches("group:ops"));
        assert!(!id.matches("ops"));
        assert!(id.matches("context:kind-kap"));
        assert!(!id.matches("context:alice"));
        assert!(!Identity::default().matches("alice"));
        assert!(Identity::default().matches("*"));
    }

    #[test]
    fn seed_command_rules_on_normalized_commands() {
        let p = pol(r#"
dangerous_commands:
  kubectl: ["kubectl delete", "kubectl   drain"]
safe_patterns:
  kubectl: ["kubectl delete pod"]
regex_rules:
  kubectl:
    - pattern: '--namespace=kube-system\b'
      description: "kube-system"
      error_message: "Operations in kube-system are restricted."
"#);
        let c = &p.commands;
        assert_eq!(
            c.check("kubectl", "kubectl get pod --namespace=default"),
            None
        );
        assert_eq!(
            c.check("kubectl", "kubectl delete pod web --namespace=a"),
            None
        );
        let (id, why) = c
            .check("kubectl", "kubectl delete deployment web --namespace=a")
            .unwrap();
        assert_eq!(id, "dangerous_commands.kubectl");
        assert!(why.contains("kubectl delete"), "{why}");
        // Word boundary: `pod` does not cover `poddisruptionbudget`.
        assert!(
            c.check(
                "kubectl",
                "kubectl delete poddisruptionbudget x --namespace=a"
            )
            .is_some()
        );
        assert_eq!(
            c.check("kubectl", "kubectl drain kwok-0").unwrap().0,
            "dangerous_commands.kubectl"
        );
        let (id, why) = c
            .check("kubectl", "kubectl get pod --namespace=kube-system")
            .unwrap();
        assert_eq!(id, "regex_rules.kubectl[0]");
        assert!(why.contains("restricted"), "{why}");
        // Other families are not affected.
        assert_eq!(c.check("helm", "kubectl delete deployment x"), None);
        assert!(
            Policy::from_yaml("regex_rules: {kubectl: [{pattern: 'x('}]}", None, None).is_err()
        );
    }
}
