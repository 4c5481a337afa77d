//! The `kube` capability's confirmation preview: what a request would change, from the API
//! server itself (a server-side dry run, `dryRun=All`), never a guess, redacted. A delete
//! lists the objects it would remove; an update or patch shows a short unified YAML diff of
//! the live object against the dry-run result (noise such as `managedFields` stripped),
//! capped at 60 lines. The protocol that asks the person is in [`crate::confirm`].

use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use super::service::KubeService;
use crate::policy::RequestAttributes;
use crate::wit::kube::{KubeError, OutputFormat, Request, Verb};

/// Lines of preview shown at most.
const PREVIEW_LINES: usize = 60;

/// SHA-256 (hex) of everything that defines a request: verb, group, version, resource,
/// subresource, namespace, name, query, body and patch type. A changed field is another
/// request and needs its own confirmation.
pub fn request_digest(req: &Request) -> String {
    let v = json!({
        "verb": crate::verb::Verb::from(req.verb).as_str(),
        "group": req.group,
        "version": req.version,
        "resource": req.resource,
        "subresource": req.subresource,
        "namespace": req.namespace,
        "name": req.name,
        "query": req.query,
        "body": req.body,
        "patch_type": req.patch_type.map(|p| format!("{p:?}")),
    });
    hex::encode(Sha256::digest(v.to_string().as_bytes()))
}

/// Removes fields that change on every write and say nothing to a person.
fn is_argo_app(attrs: &RequestAttributes) -> bool {
    attrs.group == "argoproj.io" && attrs.resource == "applications"
}

/// `Kind namespace/name` of the entries of an Application's `.status.resources` that
/// `keep` selects.
fn argo_resources(app: &Value, keep: impl Fn(&Value) -> bool) -> Vec<String> {
    app.pointer("/status/resources")
        .and_then(Value::as_array)
        .map(|rs| {
            rs.iter()
                .filter(|r| keep(r))
                .map(|r| {
                    let s = |k: &str| r.get(k).and_then(Value::as_str).unwrap_or("");
                    let ns = s("namespace");
                    if ns.is_empty() {
                        format!("{} {}", s("kind"), s("name"))
                    } else {
                        format!("{} {ns}/{}", s("kind"), s("name"))
                    }
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The sync policy as the argocd CLI names it: `Manual`, `Auto`, `Auto-Prune`, plus
/// self-heal.
fn argo_policy(app: &Value) -> String {
    match app.pointer("/spec/syncPolicy/automated") {
        None | Some(Value::Null) => "Manual".into(),
        Some(a) => {
            let on = |k: &str| a.get(k).and_then(Value::as_bool).unwrap_or(false);
            let mut p = if on("prune") { "Auto-Prune" } else { "Auto" }.to_string();
            if on("selfHeal") {
                p.push_str(" (self-heal)");
            }
            p
        }
    }
}

/// What an Application write makes Argo CD do, for the person's question: the revision it
/// syncs (and from which, a rollback when it is an earlier history entry), the resources a
/// pruning sync deletes (`.status.resources` with `requiresPruning`), a forced apply, and a
/// sync policy change. Empty when the write starts no operation and keeps the policy.
fn argo_sync_summary(before: &Value, after: &Value) -> String {
    let at = |v: &Value, p: &str| v.pointer(p).cloned().unwrap_or(Value::Null);
    let mut out = String::new();
    let op = at(after, "/operation/sync");
    if !op.is_null() && at(after, "/operation") != at(before, "/operation") {
        let target = op
            .get("revision")
            .and_then(Value::as_str)
            .filter(|r| !r.is_empty())
            .map(str::to_string)
            .or_else(|| {
                at(after, "/spec/source/targetRevision")
                    .as_str()
                    .map(str::to_string)
            })
            .unwrap_or_else(|| "the target revision".into());
        let deployed = at(before, "/status/sync/revision");
        let history = at(before, "/status/history");
        let entry = history.as_array().and_then(|h| {
            h.iter()
                .find(|e| e.get("revision").and_then(Value::as_str) == Some(target.as_str()))
        });
        out.push_str(&format!(
            "Argo CD will sync revision {target} (deployed now: {})",
            deployed.as_str().unwrap_or("unknown")
        ));
        if let Some(e) = entry
            && deployed.as_str() != Some(target.as_str())
        {
            out.push_str(&format!(
                "; a rollback to history ID {}",
                e.get("id").map(|i| i.to_string()).unwrap_or_default()
            ));
        }
        out.push_str(".\n");
        if op.get("prune").and_then(Value::as_bool) == Some(true) {
            let pruned = argo_resources(before, |r| {
                r.get("requiresPruning").and_then(Value::as_bool) == Some(true)
            });
            if pruned.is_empty() {
                out.push_str("Prune is on; no resource is marked for pruning now.\n");
            } else {
                out.push_str("Resources it would prune (delete):\n");
                for r in pruned.iter().take(PREVIEW_LINES) {
                    out.push_str(&format!("  {r}\n"));
                }
            }
        }
        let force = ["/syncStrategy/apply/force", "/syncStrategy/hook/force"]
            .iter()
            .any(|p| op.pointer(p).and_then(Value::as_bool) == Some(true));
        if force {
            out.push_str(
                "Force is on: resources that cannot be patched are deleted and created again.\n",
            );
        }
    }
    let (b, a) = (argo_policy(before), argo_policy(after));
    if b != a {
        out.push_str(&format!("Sync policy: {b} → {a}.\n"));
    }
    if !out.is_empty() {
        out.push('\n');
    }
    out
}

/// For an Application delete: the resources Argo CD deletes with it when the deletion
/// finalizer is set (a cascading delete), else that it leaves them.
fn argo_delete_summary(app: &Value) -> String {
    let cascade = app
        .pointer("/metadata/finalizers")
        .and_then(Value::as_array)
        .is_some_and(|f| {
            f.iter().any(|x| {
                x.as_str()
                    .is_some_and(|s| s.starts_with("resources-finalizer.argocd.argoproj.io"))
            })
        });
    let all = argo_resources(app, |_| true);
    if !cascade {
        return "Argo CD leaves the application's resources in place (no cascade).\n".into();
    }
    let mut out = format!("Argo CD will delete its {} resource(s):\n", all.len());
    for r in all.iter().take(PREVIEW_LINES) {
        out.push_str(&format!("  {r}\n"));
    }
    out
}

fn strip_noise(v: &mut Value) {
    if let Some(meta) = v.get_mut("metadata").and_then(Value::as_object_mut) {
        for k in [
            "managedFields",
            "resourceVersion",
            "generation",
            "uid",
            "creationTimestamp",
        ] {
            meta.remove(k);
        }
        if let Some(a) = meta.get_mut("annotations").and_then(Value::as_object_mut) {
            a.remove("kubectl.kubernetes.io/last-applied-configuration");
            a.remove("deployment.kubernetes.io/revision");
        }
    }
    if let Some(o) = v.as_object_mut() {
        o.remove("status");
    }
    // `autoscaling/v1` Scale omits a zero `spec.replicas` (omitempty): spell it out.
    if v.get("kind").and_then(Value::as_str) == Some("Scale")
        && let Some(o) = v.as_object_mut()
    {
        let spec = o.entry("spec").or_insert_with(|| json!({}));
        if let Some(spec) = spec.as_object_mut() {
            spec.entry("replicas").or_insert(json!(0));
        }
    }
}

fn to_yaml(v: &Value) -> String {
    serde_yaml_ng::to_string(v).unwrap_or_else(|_| v.to_string())
}

fn cap_lines(text: String) -> String {
    let n = text.lines().count();
    if n <= PREVIEW_LINES {
        return text;
    }
    let mut out: String = text
        .lines()
        .take(PREVIEW_LINES)
        .map(|l| format!("{l}\n"))
        .collect();
    out.push_str(&format!("... ({} more lines)\n", n - PREVIEW_LINES));
    out
}

fn with_query(req: &Request, key: &str, value: &str) -> Request {
    let mut r = req.clone();
    r.query.retain(|(k, _)| k != key);
    r.query.push((key.to_string(), value.to_string()));
    r
}

/// `kind/name` (or `resource/name`) of an object.
fn object_name(v: &Value, attrs: &RequestAttributes) -> String {
    let kind = v
        .get("kind")
        .and_then(Value::as_str)
        .map(str::to_lowercase)
        .unwrap_or_else(|| attrs.resource.clone());
    let name = v
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .or(attrs.name.as_deref())
        .unwrap_or("?");
    format!("{kind}/{name}")
}

fn parse_body(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or(Value::Null)
}

/// Runs `req` as a server-side dry run and describes what it would change, redacted:
/// the objects a delete removes (a collection delete lists them first), or a unified diff of
/// the object before and after an update, patch or create (noise such as `managedFields`
/// and `status` removed), at most 60 lines. Errors: the dry run's own error (e.g. `NotFound`),
/// which the plugin gets instead of a question.
///
/// `judged` is the (live object, dry-run result) pair of a create, update or patch when the
/// gate's effect check already fetched it ([`super::effects::before_after`]): the preview
/// then shows exactly what was judged, and the request is dry-run once, not twice.
pub async fn preview(
    svc: &KubeService,
    req: &Request,
    attrs: &RequestAttributes,
    judged: Option<(Value, Value)>,
) -> Result<String, KubeError> {
    let ns = attrs
        .namespace
        .as_deref()
        .map(|n| format!(" in namespace {n}"))
        .unwrap_or_default();
    match req.verb {
        Verb::Delete => {
            let dry = with_query(req, "dryRun", "All");
            let resp = svc.execute(&dry, attrs).await?;
            let v = parse_body(&resp.body);
            let what = if v.get("kind").and_then(Value::as_str) == Some("Status") {
                format!(
                    "{}/{}",
                    attrs.resource,
                    attrs.name.as_deref().unwrap_or("?")
                )
            } else {
                object_name(&v, attrs)
            };
            let mut out = format!("Would delete{ns}:\n  {what}\n");
            if is_argo_app(attrs) {
                out.push_str(&argo_delete_summary(&v));
            }
            Ok(out)
        }
        Verb::DeleteCollection => {
            let mut list = req.clone();
            list.verb = Verb::List;
            list.output = OutputFormat::Json;
            list.query
                .retain(|(k, _)| matches!(k.as_str(), "labelSelector" | "fieldSelector"));
            list.body = None;
            list.patch_type = None;
            let resp = svc.execute(&list, attrs).await?;
            let v = parse_body(&resp.body);
            let items = v
                .get("items")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let mut out = format!("Would delete {} object(s){ns}:\n", items.len());
            for it in items.iter().take(PREVIEW_LINES) {
                out.push_str(&format!("  {}\n", object_name(it, attrs)));
            }
            if items.len() > PREVIEW_LINES {
                out.push_str(&format!("  ... and {} more\n", items.len() - PREVIEW_LINES));
            }
            Ok(out)
        }
        Verb::Create | Verb::Update | Verb::Patch => {
            let (mut before, mut after) = match judged {
                Some(pair) => pair,
                None => super::effects::before_after(svc, req, attrs).await?,
            };
            let argo = if is_argo_app(attrs) {
                argo_sync_summary(&before, &after)
            } else {
                String::new()
            };
            strip_noise(&mut before);
            strip_noise(&mut after);
            let title = object_name(&after, attrs);
            if before.is_null() {
                let text = cap_lines(to_yaml(&after));
                return Ok(format!("Would create {title}{ns}:\n{text}"));
            }
            let (b, a) = (to_yaml(&before), to_yaml(&after));
            if a == b {
                return Ok(format!("{title}{ns}: no change\n"));
            }
            let diff = similar::TextDiff::from_lines(&b, &a)
                .unified_diff()
                .context_radius(2)
                .header("before", "after")
                .to_string();
            Ok(format!(
                "{argo}Would change {title}{ns}:\n{}",
                cap_lines(diff)
            ))
        }
        Verb::Get | Verb::List => Ok(String::new()),
    }
}
