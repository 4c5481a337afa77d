//! Effects of a write, judged from the API server's own answer rather than the request's
//! spelling: the live object (a `GET`) against the result of the same request sent as a
//! server-side dry run (`dryRun=All`, which runs defaulting, admission and the patch
//! machinery, and persists nothing). So `replicas: 0e0`, a JSON-patch `move` into
//! `/spec/replicas` and an applied `0.0` all show up as `spec.replicas` becoming 0, and a
//! patch that adds an `ownerReferences` entry shows up as a garbage-collector delete.
//!
//! The gate ([`crate::gate`]) asks for these facts in strict mode for every `create`,
//! `update` and `patch` that is not itself a dry run, after RBAC, and decides again with them
//! ([`crate::policy::RequestFacts`]: `scale_to_zero`, `gc_delete`, `eviction`,
//! `api_interception`).

use serde_json::Value;

use super::service::KubeService;
use crate::policy::{RequestAttributes, RequestFacts};
use crate::wit::kube::{KubeError, OutputFormat, Request, Verb};

/// Whether `req` needs a dry run before the gate can judge its effect: a `create`,
/// `update` or `patch` that is not itself a dry run. A `create` only where the body decides
/// the effect (CustomResourceDefinitions, whose conversion webhook intercepts the API
/// server).
pub fn needs_dry_run(req: &Request, attrs: &RequestAttributes, facts: &RequestFacts) -> bool {
    if facts.dry_run {
        return false;
    }
    match req.verb {
        Verb::Update | Verb::Patch => attrs.name.is_some(),
        Verb::Create => {
            (attrs.group == "apiextensions.k8s.io" && attrs.resource == "customresourcedefinitions")
                || is_admission_policy(attrs).is_some()
        }
        _ => false,
    }
}

/// For the admission policy resources of `admissionregistration.k8s.io`: `Some(false)` for
/// a policy (`validatingadmissionpolicies`, `mutatingadmissionpolicies`), `Some(true)` for a
/// binding (`…policybindings`), `None` for anything else.
pub fn is_admission_policy(attrs: &RequestAttributes) -> Option<bool> {
    if attrs.group != "admissionregistration.k8s.io" {
        return None;
    }
    match attrs.resource.as_str() {
        "validatingadmissionpolicies" | "mutatingadmissionpolicies" => Some(false),
        "validatingadmissionpolicybindings" | "mutatingadmissionpolicybindings" => Some(true),
        _ => None,
    }
}

/// Whether an admission policy object takes core `v1` Secrets as params.
pub fn takes_secret_params(policy: &Value) -> bool {
    let kind = policy.pointer("/spec/paramKind");
    kind.and_then(|k| k.get("kind")).and_then(Value::as_str) == Some("Secret")
        && kind
            .and_then(|k| k.get("apiVersion"))
            .and_then(Value::as_str)
            .is_none_or(|v| v == "v1")
}

/// For a binding (`after`, the dry-run result) of an admission policy: the policy it binds
/// (`spec.policyName`), read with the host's credentials; `Null` when it does not exist.
///
/// Errors: a `GET` failure other than 404.
pub async fn bound_policy(
    svc: &KubeService,
    attrs: &RequestAttributes,
    after: &Value,
) -> Result<Value, KubeError> {
    let Some(name) = after.pointer("/spec/policyName").and_then(Value::as_str) else {
        return Ok(Value::Null);
    };
    let resource = attrs.resource.replace("policybindings", "policies");
    let policy_attrs = RequestAttributes {
        resource: resource.clone(),
        name: Some(name.to_string()),
        namespace: None,
        subresource: None,
        verb: crate::verb::Verb::Get,
        ..attrs.clone()
    };
    let get = Request {
        verb: Verb::Get,
        group: attrs.group.clone(),
        version: attrs.version.clone(),
        resource,
        subresource: None,
        namespace: None,
        name: Some(name.to_string()),
        query: Vec::new(),
        body: None,
        patch_type: None,
        output: OutputFormat::Json,
    };
    match svc.execute(&get, &policy_attrs).await {
        Ok(r) => Ok(serde_json::from_str(&r.body).unwrap_or(Value::Null)),
        Err(KubeError::Api(a)) if a.code == 404 => Ok(Value::Null),
        Err(e) => Err(e),
    }
}

/// The live object (`Value::Null` when it does not exist or the request creates it) and the
/// dry-run result of `req`.
///
/// Errors: the dry run's own error (e.g. `Invalid`, `NotFound`), which the plugin gets
/// instead of the request being sent; a `GET` failure other than 404.
pub async fn before_after(
    svc: &KubeService,
    req: &Request,
    attrs: &RequestAttributes,
) -> Result<(Value, Value), KubeError> {
    let mut dry = req.clone();
    dry.query.push(("dryRun".into(), "All".into()));
    dry.output = OutputFormat::Json;
    let after = svc.execute(&dry, attrs).await?;
    let after: Value = serde_json::from_str(&after.body).unwrap_or(Value::Null);
    let before = if req.verb == Verb::Create || attrs.name.is_none() {
        Value::Null
    } else {
        let mut get = req.clone();
        get.verb = Verb::Get;
        get.output = OutputFormat::Json;
        get.query.clear();
        get.body = None;
        get.patch_type = None;
        match svc.execute(&get, attrs).await {
            Ok(r) => serde_json::from_str(&r.body).unwrap_or(Value::Null),
            Err(KubeError::Api(a)) if a.code == 404 => Value::Null,
            Err(e) => return Err(e),
        }
    };
    Ok((before, after))
}

/// The effect facts of a write whose object goes from `before` to `after` (see the module
/// docs). `before` is `Null` for a create.
pub fn judge(attrs: &RequestAttributes, before: &Value, after: &Value) -> RequestFacts {
    let at = |v: &Value, p: &str| v.pointer(p).cloned().unwrap_or(Value::Null);
    let replicas = |v: &Value| at(v, "/spec/replicas").as_f64();
    let scale_to_zero = !before.is_null()
        && replicas(after) == Some(0.0)
        && replicas(before).is_some_and(|r| r != 0.0);
    let changed = |p: &str| !before.is_null() && at(before, p) != at(after, p);
    let gc_delete = changed("/metadata/ownerReferences")
        || changed("/metadata/finalizers")
        || (at(after, "/metadata/deletionTimestamp") != Value::Null
            && at(before, "/metadata/deletionTimestamp") == Value::Null
            && !before.is_null());
    let is_node = attrs.group.is_empty() && attrs.resource == "nodes";
    let no_execute = |v: &Value| -> Vec<Value> {
        at(v, "/spec/taints")
            .as_array()
            .map(|ts| {
                ts.iter()
                    .filter(|t| t.get("effect").and_then(Value::as_str) == Some("NoExecute"))
                    .map(|t| serde_json::json!([t.get("key"), t.get("value")]))
                    .collect()
            })
            .unwrap_or_default()
    };
    let eviction = is_node
        && (no_execute(after)
            .iter()
            .any(|t| !no_execute(before).contains(t))
            || at(before, "/spec/unschedulable").as_bool().unwrap_or(false)
                != at(after, "/spec/unschedulable").as_bool().unwrap_or(false));
    let is_crd =
        attrs.group == "apiextensions.k8s.io" && attrs.resource == "customresourcedefinitions";
    let api_interception = is_crd
        && at(after, "/spec/conversion/strategy").as_str() == Some("Webhook")
        && at(before, "/spec/conversion") != at(after, "/spec/conversion");
    let secret_params = is_admission_policy(attrs) == Some(false) && takes_secret_params(after);
    let (gitops_prune, gitops_rollback) = gitops(attrs, before, after);
    RequestFacts {
        scale_to_zero,
        gc_delete,
        eviction,
        api_interception,
        secret_params,
        gitops_prune,
        gitops_rollback,
        ..RequestFacts::default()
    }
}

/// The effects of a write to an Argo CD Application (`argoproj.io` `applications`), as Argo
/// CD's controller will act on them (`pkg/apis/application/v1alpha1` `Operation`): a new
/// `.operation` whose sync prunes (`sync.prune`) or forces (`syncStrategy.apply.force`,
/// `syncStrategy.hook.force`), or `spec.syncPolicy.automated.prune` turned on, is
/// `gitops-prune`; a new sync operation to a revision that is in `.status.history` but is not
/// the deployed one (`.status.sync.revision`) is `gitops-rollback` (Argo CD's Rollback is a
/// sync to a history entry). Returns `(gitops_prune, gitops_rollback)`.
pub fn gitops(attrs: &RequestAttributes, before: &Value, after: &Value) -> (bool, bool) {
    if attrs.group != "argoproj.io" || attrs.resource != "applications" || before.is_null() {
        return (false, false);
    }
    let at = |v: &Value, p: &str| v.pointer(p).cloned().unwrap_or(Value::Null);
    let truthy = |v: &Value, p: &str| at(v, p).as_bool() == Some(true);
    let op = at(after, "/operation");
    let new_op = !op.is_null() && op != at(before, "/operation");
    let prune = new_op
        && (truthy(after, "/operation/sync/prune")
            || truthy(after, "/operation/sync/syncStrategy/apply/force")
            || truthy(after, "/operation/sync/syncStrategy/hook/force"));
    let auto_prune = truthy(after, "/spec/syncPolicy/automated/prune")
        && !truthy(before, "/spec/syncPolicy/automated/prune");
    let revision = at(after, "/operation/sync/revision");
    let deployed = at(before, "/status/sync/revision");
    let rollback = new_op
        && revision.as_str().is_some_and(|r| !r.is_empty())
        && revision != deployed
        && at(before, "/status/history")
            .as_array()
            .is_some_and(|h| h.iter().any(|e| e.get("revision") == Some(&revision)));
    (prune || auto_prune, rollback)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argo_cd_sync_effects_are_judged_from_the_object() {
        let app = |v: Value| v;
        let attrs = RequestAttributes {
            verb: crate::verb::Verb::Update,
            group: "argoproj.io".into(),
            version: "v1alpha1".into(),
            resource: "applications".into(),
            subresource: None,
            namespace: Some("argocd".into()),
            name: Some("shop".into()),
        };
        let before = app(serde_json::json!({"spec": {"syncPolicy": {}}, "status": {
            "sync": {"revision": "bbb"}, "history": [{"id": 1, "revision": "aaa"}, {"id": 2, "revision": "bbb"}]}}));
        let with = |op: Value| {
            let mut a = before.clone();
            a["operation"] = op;
            a
        };
        assert_eq!(
            gitops(
                &attrs,
                &before,
                &with(serde_json::json!({"sync": {"revision": "bbb"}}))
            ),
            (false, false)
        );
        assert_eq!(
            gitops(
                &attrs,
                &before,
                &with(serde_json::json!({"sync": {"revision": "bbb", "prune": true}}))
            ),
            (true, false)
        );
        assert_eq!(
            gitops(
                &attrs,
                &before,
                &with(serde_json::json!({"sync": {"syncStrategy": {"apply": {"force": true}}}}))
            ),
            (true, false)
        );
        assert_eq!(
            gitops(
                &attrs,
                &before,
                &with(serde_json::json!({"sync": {"revision": "aaa"}}))
            ),
            (false, true)
        );
        let mut auto = before.clone();
        auto["spec"]["syncPolicy"] = serde_json::json!({"automated": {"prune": true}});
        assert_eq!(gitops(&attrs, &before, &auto), (true, false));
        // Another resource is not judged.
        let other = RequestAttributes {
            resource: "appprojects".into(),
            ..attrs.clone()
        };
        assert_eq!(gitops(&other, &before, &auto), (false, false));
    }
    use crate::verb::Verb as V;
    use serde_json::json;

    fn attrs(group: &str, resource: &str) -> RequestAttributes {
        RequestAttributes {
            verb: V::Patch,
            group: group.into(),
            version: "v1".into(),
            resource: resource.into(),
            subresource: None,
            namespace: None,
            name: Some("x".into()),
        }
    }

    #[test]
    fn effects_come_from_the_objects_not_the_request() {
        let deploy = attrs("apps", "deployments");
        let f = judge(
            &deploy,
            &json!({"spec": {"replicas": 3}}),
            &json!({"spec": {"replicas": 0}}),
        );
        assert!(f.scale_to_zero && !f.gc_delete);
        // Already at zero, or a create: nothing is stopped.
        assert!(
            !judge(
                &deploy,
                &json!({"spec": {"replicas": 0}}),
                &json!({"spec": {"replicas": 0}})
            )
            .scale_to_zero
        );
        assert!(!judge(&deploy, &Value::Null, &json!({"spec": {"replicas": 0}})).scale_to_zero);

        let ns = attrs("", "namespaces");
        let owner = json!({"metadata": {"ownerReferences": [{"uid": "gone"}]}});
        assert!(judge(&ns, &json!({"metadata": {}}), &owner).gc_delete);
        let fin = json!({"metadata": {"finalizers": ["x"]}});
        assert!(judge(&ns, &json!({"metadata": {}}), &fin).gc_delete);
        assert!(!judge(&ns, &owner, &owner).gc_delete);

        let node = attrs("", "nodes");
        let taint = json!({"spec": {"taints": [{"key": "k", "effect": "NoExecute"}]}});
        assert!(judge(&node, &json!({"spec": {}}), &taint).eviction);
        let soft = json!({"spec": {"taints": [{"key": "k", "effect": "NoSchedule"}]}});
        assert!(!judge(&node, &json!({"spec": {}}), &soft).eviction);
        assert!(
            judge(
                &node,
                &json!({"spec": {}}),
                &json!({"spec": {"unschedulable": true}})
            )
            .eviction
        );

        let vap = attrs(
            "admissionregistration.k8s.io",
            "validatingadmissionpolicies",
        );
        let secret_kind = json!({"spec": {"paramKind": {"apiVersion": "v1", "kind": "Secret"}}});
        assert!(judge(&vap, &Value::Null, &secret_kind).secret_params);
        let cm_kind = json!({"spec": {"paramKind": {"apiVersion": "v1", "kind": "ConfigMap"}}});
        assert!(!judge(&vap, &Value::Null, &cm_kind).secret_params);
        let other_group =
            json!({"spec": {"paramKind": {"apiVersion": "example.com/v1", "kind": "Secret"}}});
        assert!(!judge(&vap, &Value::Null, &other_group).secret_params);
        assert_eq!(
            is_admission_policy(&attrs(
                "admissionregistration.k8s.io",
                "mutatingadmissionpolicybindings"
            )),
            Some(true)
        );

        let crd = attrs("apiextensions.k8s.io", "customresourcedefinitions");
        let hook = json!({"spec": {"conversion": {"strategy": "Webhook"}}});
        assert!(judge(&crd, &Value::Null, &hook).api_interception);
        assert!(
            !judge(
                &crd,
                &Value::Null,
                &json!({"spec": {"conversion": {"strategy": "None"}}})
            )
            .api_interception
        );
    }
}
