//! `kubectl rollout history deployment/NAME` and `kubectl rollout undo deployment/NAME
//! [--to-revision=N]`, as kubectl's `DeploymentHistoryViewer` and `DeploymentRollbacker` do
//! them: the deployment's revisions are its ReplicaSets (listed with the deployment's
//! selector, kept when the deployment is their controller), numbered by their
//! `deployment.kubernetes.io/revision` annotation; undo replaces the deployment's pod
//! template (and annotations) with the chosen ReplicaSet's by a JSON patch.

use serde_json::{Map, Value, json};

use super::common::{DryRun, namespace, refuse_flags, resolve};
use super::writes::selector_text;
use crate::targets::parse_targets;
use kap_sdk::api::{
    Api, CmdResult, Ctx, Failure, Outcome, PatchType, Verb, arr, kind_group, list_items, request,
    s, send_json, usage,
};
use kap_sdk::cli::Parsed;
use kap_sdk::tabwriter::{DESCRIBE_MIN_WIDTH, DESCRIBE_PADDING, align};

/// The annotation holding a ReplicaSet's revision.
pub const REVISION: &str = "deployment.kubernetes.io/revision";
/// The annotation `kubectl rollout history` shows as CHANGE-CAUSE.
pub const CHANGE_CAUSE: &str = "kubernetes.io/change-cause";
/// The pod-template-hash label the deployment controller adds to ReplicaSet templates.
pub const HASH_LABEL: &str = "pod-template-hash";
/// Deployment annotations kubectl keeps on rollback (and never copies from the ReplicaSet).
pub const ANNOTATIONS_TO_SKIP: &[&str] = &[
    "kubectl.kubernetes.io/last-applied-configuration",
    "deployment.kubernetes.io/revision",
    "deployment.kubernetes.io/revision-history",
    "deployment.kubernetes.io/desired-replicas",
    "deployment.kubernetes.io/max-replicas",
    "deprecated.deployment.rollback.to",
];

/// The ReplicaSets the deployment controls, with their revisions, oldest first.
fn revisions(api: &mut dyn Api, deploy: &Value, ns: &str) -> Result<Vec<(i64, Value)>, Failure> {
    let sel = selector_text(deploy.pointer("/spec/selector").unwrap_or(&Value::Null))
        .map_err(|e| Failure::Message(format!("error: {e}")))?;
    let uid = s(deploy, &["metadata", "uid"]);
    let rs_info = super::create::builtin("apps", "v1", "replicasets", "ReplicaSet");
    let items = list_items(api, &rs_info, Some(ns), vec![("labelSelector".into(), sel)])?;
    let mut out: Vec<(i64, Value)> = items
        .into_iter()
        .filter(|rs| {
            arr(rs, &["metadata", "ownerReferences"]).iter().any(|o| {
                o.get("controller").and_then(Value::as_bool) == Some(true) && s(o, &["uid"]) == uid
            })
        })
        .filter_map(|rs| {
            let rev = rs
                .pointer("/metadata/annotations")
                .and_then(|a| a.get(REVISION))
                .and_then(Value::as_str)?
                .parse::<i64>()
                .ok()?;
            Some((rev, rs))
        })
        .collect();
    out.sort_by_key(|(r, _)| *r);
    Ok(out)
}

fn without_hash(template: &Value) -> Value {
    let mut t = template.clone();
    if let Some(l) = t
        .pointer_mut("/metadata/labels")
        .and_then(Value::as_object_mut)
    {
        l.remove(HASH_LABEL);
    }
    t
}

/// Runs `kubectl rollout history` or `kubectl rollout undo` (deployments only).
pub fn run(p: &Parsed, ctx: &Ctx, api: &mut dyn Api) -> CmdResult {
    refuse_flags(
        p,
        &[
            (
                "filename",
                "files cannot be read; name the object as TYPE/NAME",
            ),
            (
                "selector",
                "not supported yet; name the object as TYPE/NAME",
            ),
        ],
    )?;
    let action = p.args[0].as_str();
    let targets = parse_targets(&p.args[1..]).map_err(Failure::Usage)?;
    let (type_name, name) = match targets.as_slice() {
        [t] if t.names.len() == 1 => (t.type_name.clone(), t.names[0].clone()),
        _ => {
            return usage(format!(
                "kubectl rollout {action} needs exactly one object: TYPE/NAME, e.g. deployment/web"
            ));
        }
    };
    let info = resolve(api, &type_name)?;
    if info.group != "apps" || info.resource != "deployments" {
        return usage(format!(
            "kubectl rollout {action} supports deployments only here, not {} (stateful sets and daemon sets keep their history in ControllerRevisions)",
            kind_group(&info)
        ));
    }
    let ns = namespace(p, ctx).to_string();
    let deploy = send_json(api, &request(Verb::Get, &info, Some(&ns), Some(&name)))?;
    let revs = revisions(api, &deploy, &ns)?;
    let kg = kind_group(&info);
    if action == "history" {
        if p.given("to-revision") {
            return usage("--to-revision is for rollout undo");
        }
        if revs.is_empty() {
            return Ok(Outcome::text(format!(
                "{kg}/{name} \nNo rollout history found.\n"
            )));
        }
        let mut table = String::from("REVISION\tCHANGE-CAUSE\n");
        for (rev, rs) in &revs {
            let cause = rs
                .pointer("/metadata/annotations")
                .and_then(|a| a.get(CHANGE_CAUSE))
                .and_then(Value::as_str)
                .filter(|c| !c.is_empty())
                .unwrap_or("<none>");
            table.push_str(&format!("{rev}\t{cause}\n"));
        }
        return Ok(Outcome::text(format!(
            "{kg}/{name} \n{}\n",
            align(&table, DESCRIBE_MIN_WIDTH, DESCRIBE_PADDING)
        )));
    }
    // undo
    let dry = DryRun::from(p)?;
    let to: i64 = match p.value("to-revision") {
        None => 0,
        Some(v) => v
            .parse()
            .ok()
            .filter(|n: &i64| *n >= 0)
            .ok_or_else(|| Failure::Usage(format!("invalid --to-revision {v:?}")))?,
    };
    if deploy
        .pointer("/spec/paused")
        .and_then(Value::as_bool)
        .unwrap_or(false)
    {
        return Err(Failure::Message(format!(
            "error: you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume deployment/{name}' and try again"
        )));
    }
    let target = if to == 0 {
        // The previous revision: the second highest.
        if revs.len() < 2 {
            return Err(Failure::Message(format!(
                "error: no rollout history found for deployment \"{name}\""
            )));
        }
        &revs[revs.len() - 2]
    } else {
        match revs.iter().find(|(r, _)| *r == to) {
            Some(x) => x,
            None => {
                return Err(Failure::Message(format!(
                    "error: unable to find specified revision {to} in history"
                )));
            }
        }
    };
    let (rev, rs) = target;
    let template = without_hash(rs.pointer("/spec/template").unwrap_or(&Value::Null));
    let current = without_hash(deploy.pointer("/spec/template").unwrap_or(&Value::Null));
    if template == current {
        return Ok(Outcome::text(format!(
            "{kg}/{name} skipped rollback (current template already matches revision {rev})\n"
        )));
    }
    let mut annotations = Map::new();
    if let Some(a) = deploy
        .pointer("/metadata/annotations")
        .and_then(Value::as_object)
    {
        for k in ANNOTATIONS_TO_SKIP {
            if let Some(v) = a.get(*k) {
                annotations.insert((*k).to_string(), v.clone());
            }
        }
    }
    if let Some(a) = rs
        .pointer("/metadata/annotations")
        .and_then(Value::as_object)
    {
        for (k, v) in a {
            if !ANNOTATIONS_TO_SKIP.contains(&k.as_str()) {
                annotations.insert(k.clone(), v.clone());
            }
        }
    }
    let patch = json!([
        {"op": "replace", "path": "/spec/template", "value": template},
        {"op": "replace", "path": "/metadata/annotations", "value": annotations},
    ]);
    if dry != DryRun::Client {
        let mut req = request(Verb::Patch, &info, Some(&ns), Some(&name));
        req.patch_type = Some(PatchType::Json);
        req.body = Some(patch.to_string());
        req.query.extend(dry.query());
        api.send(&req)?;
    }
    Ok(Outcome::text(format!(
        "{kg}/{name} rolled back{}\n",
        dry.suffix()
    )))
}

#[cfg(test)]
mod tests {
    use super::super::testing::{Fake, ok_json, run_line};
    use super::*;

    fn rs(rev: &str, image: &str, owner: &str) -> Value {
        json!({"metadata": {"name": format!("web-{rev}"), "annotations": {REVISION: rev, "note": rev},
            "ownerReferences": [{"uid": owner, "controller": true}]},
            "spec": {"template": {"metadata": {"labels": {"app": "web", HASH_LABEL: format!("h{rev}")}},
                "spec": {"containers": [{"name": "c", "image": image}]}}}})
    }

    fn fake(paused: bool) -> Fake {
        let mut f = Fake::new();
        f.on(move |r| match (r.verb, r.resource.as_str()) {
            (Verb::Get, "deployments") => ok_json(json!({"metadata": {"name": "web", "uid": "u1",
                "annotations": {REVISION: "3", "keep": "me"}},
                "spec": {"paused": paused, "selector": {"matchLabels": {"app": "web"}},
                  "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "c", "image": "v3"}]}}}})),
            (Verb::List, "replicasets") => {
                assert_eq!(r.query[0], ("labelSelector".into(), "app=web".into()));
                ok_json(json!({"items": [rs("3", "v3", "u1"), rs("1", "v1", "u1"), rs("2", "v2", "u1"), rs("9", "x", "other")]}))
            }
            (Verb::Patch, "deployments") => {
                assert!(matches!(r.patch_type, Some(PatchType::Json)));
                let b: Value = serde_json::from_str(r.body.as_deref().unwrap()).unwrap();
                assert_eq!(b[0]["path"], "/spec/template");
                assert_eq!(b[0]["value"]["metadata"]["labels"], json!({"app": "web"}));
                assert_eq!(b[1]["value"], json!({REVISION: "3", "note": b[0]["value"]["spec"]["containers"][0]["image"].as_str().unwrap().trim_start_matches('v')}));
                ok_json(json!({}))
            }
            other => panic!("{other:?}"),
        });
        f
    }

    #[test]
    fn history_lists_revisions() {
        let mut f = fake(false);
        assert_eq!(
            run_line(&mut f, "rollout history deployment/web")
                .unwrap()
                .text,
            "deployment.apps/web \nREVISION  CHANGE-CAUSE\n1         <none>\n2         <none>\n3         <none>\n\n"
        );
    }

    #[test]
    fn undo_to_previous_and_given_revision() {
        let mut f = fake(false);
        assert_eq!(
            run_line(&mut f, "rollout undo deploy/web").unwrap().text,
            "deployment.apps/web rolled back\n"
        );
        let patch = f.requests.last().unwrap().body.clone().unwrap();
        assert!(patch.contains("\"image\":\"v2\""), "{patch}");
        assert_eq!(
            run_line(&mut f, "rollout undo deploy/web --to-revision=1")
                .unwrap()
                .text,
            "deployment.apps/web rolled back\n"
        );
        assert_eq!(
            run_line(&mut f, "rollout undo deploy/web --to-revision=3")
                .unwrap()
                .text,
            "deployment.apps/web skipped rollback (current template already matches revision 3)\n"
        );
        assert!(
            format!(
                "{:?}",
                run_line(&mut f, "rollout undo deploy/web --to-revision=7")
            )
            .contains("unable to find specified revision 7")
        );
        let mut f = fake(true);
        assert!(
            format!("{:?}", run_line(&mut f, "rollout undo deploy/web"))
                .contains("cannot rollback a paused deployment")
        );
    }
}
