//! `kubectl cordon|uncordon NODE...` and `kubectl drain NODE...`, following kubectl's
//! `drain` package: cordoning is a strategic merge patch of `spec.unschedulable` (after a
//! `GET` shows it is needed); draining cordons, lists the pods on the node
//! (`fieldSelector=spec.nodeName=NODE`, all namespaces), applies kubectl's filters (mirror
//! pods skipped; DaemonSet pods, pods with `emptyDir` volumes and pods without a controller
//! refused unless `--ignore-daemonsets`, `--delete-emptydir-data`, `--force`), evicts each
//! pod (`POST pods/NAME/eviction`, `policy/v1`) and waits for the pods to go.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::common::{DryRun, Report};
use super::wait::{pause, wait_limit};
use crate::targets::validate_name;
use kap_sdk::api::{
    Api, CmdResult, Failure, KubeError, PatchType, ResourceInfo, Verb, arr, core, is_not_found,
    kube_error_text, list_items, request, s, send_json, usage,
};
use kap_sdk::cli::Parsed;

fn nodes_info() -> ResourceInfo {
    core("nodes", "Node", false)
}

fn node_names(p: &Parsed) -> Result<Vec<String>, Failure> {
    let mut names = Vec::new();
    for a in &p.args {
        let n = a
            .strip_prefix("node/")
            .or_else(|| a.strip_prefix("nodes/"))
            .unwrap_or(a);
        validate_name(n).map_err(Failure::Usage)?;
        names.push(n.to_string());
    }
    if names.is_empty() {
        return usage(format!(
            "kubectl {} needs a node name: kubectl {} NODE",
            p.sub, p.sub
        ));
    }
    Ok(names)
}

/// Cordons (`desired`) or uncordons one node as kubectl's `CordonHelper` does: `GET`, then,
/// when `spec.unschedulable` differs, a strategic merge patch `{"spec":{"unschedulable":true}}`
/// (or `null` to uncordon). Returns the line kubectl prints.
pub fn cordon_one(
    api: &mut dyn Api,
    name: &str,
    desired: bool,
    dry: DryRun,
) -> Result<String, KubeError> {
    let info = nodes_info();
    let node = match send_json(api, &request(Verb::Get, &info, None, Some(name))) {
        Ok(n) => n,
        Err(Failure::Kube(e)) => return Err(e),
        Err(Failure::Message(m) | Failure::Usage(m)) => return Err(KubeError::Transport(m)),
    };
    let word = if desired { "cordoned" } else { "uncordoned" };
    let current = node
        .pointer("/spec/unschedulable")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    if current == desired {
        return Ok(format!("node/{name} already {word}"));
    }
    if dry != DryRun::Client {
        let mut req = request(Verb::Patch, &info, None, Some(name));
        req.patch_type = Some(PatchType::Strategic);
        let value = if desired { json!(true) } else { Value::Null };
        req.body = Some(json!({"spec": {"unschedulable": value}}).to_string());
        req.query.extend(dry.query());
        api.send(&req)?;
    }
    Ok(format!("node/{name} {word}{}", dry.suffix()))
}

/// Runs `kubectl cordon` (`desired`) or `kubectl uncordon`.
pub fn run_cordon(p: &Parsed, api: &mut dyn Api, desired: bool) -> CmdResult {
    let dry = DryRun::from(p)?;
    let names = node_names(p)?;
    let mut report = Report::default();
    for n in names {
        match cordon_one(api, &n, desired, dry) {
            Ok(line) => report.line(line),
            Err(e) => report.errors.push(e),
        }
    }
    report.finish()
}

/// What kubectl's drain filters decide for one pod.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PodDecision {
    /// Evict it.
    Evict,
    /// Evict it, with a warning.
    Warn(&'static str),
    /// Leave it alone, silently (mirror pods).
    Skip,
    /// Leave it alone, with a warning (DaemonSet pods with `--ignore-daemonsets`).
    SkipWarn(&'static str),
    /// Refuse the drain.
    Error(&'static str),
}

/// The drain options that the filters read.
#[derive(Debug, Clone, Copy, Default)]
pub struct DrainFlags {
    /// `--ignore-daemonsets`: DaemonSet pods are skipped, not a reason to refuse.
    pub ignore_daemonsets: bool,
    /// `--delete-emptydir-data`: pods with emptyDir volumes (whose data is lost) are evicted.
    pub delete_emptydir_data: bool,
    /// `--force`: pods without a controller are evicted too.
    pub force: bool,
}

/// kubectl's drain filters, in kubectl's order: DaemonSet pods, mirror pods, pods with local
/// storage (`emptyDir`), pods that declare no controller. Finished pods (`Succeeded`,
/// `Failed`) pass the last two.
pub fn decide(pod: &Value, f: DrainFlags) -> PodDecision {
    let controller = arr(pod, &["metadata", "ownerReferences"])
        .iter()
        .find(|o| o.get("controller").and_then(Value::as_bool) == Some(true));
    if controller.is_some_and(|c| s(c, &["kind"]) == "DaemonSet") {
        return if f.ignore_daemonsets {
            PodDecision::SkipWarn("ignoring DaemonSet-managed Pods")
        } else {
            PodDecision::Error("DaemonSet-managed Pods (use --ignore-daemonsets to ignore)")
        };
    }
    if pod
        .pointer("/metadata/annotations/kubernetes.io~1config.mirror")
        .is_some()
    {
        return PodDecision::Skip;
    }
    let finished = matches!(s(pod, &["status", "phase"]), "Succeeded" | "Failed");
    let mut decision = PodDecision::Evict;
    if !finished
        && arr(pod, &["spec", "volumes"])
            .iter()
            .any(|v| v.get("emptyDir").is_some())
    {
        if !f.delete_emptydir_data {
            return PodDecision::Error(
                "Pods with local storage (use --delete-emptydir-data to override)",
            );
        }
        decision = PodDecision::Warn("deleting Pods with local storage");
    }
    if !finished && controller.is_none() {
        if !f.force {
            return PodDecision::Error("Pods declare no controller (use --force to override)");
        }
        decision = PodDecision::Warn("deleting Pods that declare no controller");
    }
    decision
}

/// Groups `ns/name` lists by message, in order of first appearance, as
/// `msg: a, b` joined by `sep`.
fn grouped(items: &[(&'static str, String)], prefix: &str, sep: &str) -> String {
    let mut groups: Vec<(&str, Vec<&str>)> = Vec::new();
    for (msg, pod) in items {
        match groups.iter_mut().find(|(m, _)| m == msg) {
            Some((_, v)) => v.push(pod),
            None => groups.push((msg, vec![pod])),
        }
    }
    groups
        .iter()
        .map(|(m, pods)| format!("{prefix}{m}: {}", pods.join(", ")))
        .collect::<Vec<_>>()
        .join(sep)
}

/// Runs `kubectl drain`.
pub fn run_drain(p: &Parsed, api: &mut dyn Api) -> CmdResult {
    let dry = DryRun::from(p)?;
    let names = node_names(p)?;
    let flags = DrainFlags {
        ignore_daemonsets: p.bool("ignore-daemonsets"),
        delete_emptydir_data: p.bool("delete-emptydir-data") || p.bool("delete-local-data"),
        force: p.bool("force"),
    };
    let grace: Option<i64> = match p.value("grace-period") {
        None => None,
        Some(g) => Some(
            g.parse()
                .map_err(|_| Failure::Usage(format!("invalid --grace-period {g:?}")))?,
        ),
    };
    let limit = wait_limit(p.value("timeout"), Duration::from_secs(60))?;
    let deadline = Instant::now() + limit;
    let pods_info = core("pods", "Pod", true);
    let mut report = Report::default();
    let mut pending: Vec<String> = Vec::new();
    for node in &names {
        match cordon_one(api, node, true, dry) {
            Ok(line) => report.line(line),
            Err(e) => {
                report.errors.push(e);
                pending.push(node.clone());
                continue;
            }
        }
        let mut query = vec![("fieldSelector".to_string(), format!("spec.nodeName={node}"))];
        if let Some(sel) = p.value("pod-selector") {
            query.push(("labelSelector".into(), sel.to_string()));
        }
        let pods = match list_items(api, &pods_info, None, query.clone()) {
            Ok(p) => p,
            Err(Failure::Kube(e)) => {
                report.errors.push(e);
                pending.push(node.clone());
                continue;
            }
            Err(other) => return Err(other),
        };
        let mut evict: Vec<&Value> = Vec::new();
        let mut warnings: Vec<(&'static str, String)> = Vec::new();
        let mut errors: Vec<(&'static str, String)> = Vec::new();
        for pod in &pods {
            let id = format!(
                "{}/{}",
                s(pod, &["metadata", "namespace"]),
                s(pod, &["metadata", "name"])
            );
            match decide(pod, flags) {
                PodDecision::Evict => evict.push(pod),
                PodDecision::Warn(m) => {
                    warnings.push((m, id));
                    evict.push(pod);
                }
                PodDecision::Skip => {}
                PodDecision::SkipWarn(m) => warnings.push((m, id)),
                PodDecision::Error(m) => errors.push((m, id)),
            }
        }
        if !errors.is_empty() {
            let n = errors
                .iter()
                .map(|(m, _)| *m)
                .collect::<std::collections::BTreeSet<_>>()
                .len();
            let text = grouped(&errors, "cannot delete ", ", ");
            let text = if n > 1 { format!("[{text}]") } else { text };
            report.messages.push(format!(
                "error: unable to drain node \"{node}\" due to error: {text}, continuing command..."
            ));
            pending.push(node.clone());
            continue;
        }
        if !warnings.is_empty() {
            report.line(format!("Warning: {}", grouped(&warnings, "", "; ")));
        }
        let mut evicted: Vec<(String, String, String)> = Vec::new();
        let mut failed = false;
        for pod in evict {
            let (ns, name) = (
                s(pod, &["metadata", "namespace"]).to_string(),
                s(pod, &["metadata", "name"]).to_string(),
            );
            report.line(format!("evicting pod {ns}/{name}{}", dry.suffix()));
            if dry == DryRun::Client {
                continue;
            }
            let mut options = serde_json::Map::new();
            if let Some(g) = grace.filter(|g| *g >= 0) {
                options.insert("gracePeriodSeconds".into(), json!(g));
            }
            if dry == DryRun::Server {
                options.insert("dryRun".into(), json!(["All"]));
            }
            let result = if p.bool("disable-eviction") {
                let mut req = request(Verb::Delete, &pods_info, Some(&ns), Some(&name));
                if let Some(g) = grace.filter(|g| *g >= 0) {
                    req.query.push(("gracePeriodSeconds".into(), g.to_string()));
                }
                req.query.extend(dry.query());
                api.send(&req)
            } else {
                let mut req = request(Verb::Create, &pods_info, Some(&ns), Some(&name));
                req.subresource = Some("eviction".into());
                let mut body = json!({"apiVersion": "policy/v1", "kind": "Eviction",
                    "metadata": {"name": name, "namespace": ns}});
                if !options.is_empty() {
                    body["deleteOptions"] = Value::Object(options);
                }
                req.body = Some(body.to_string());
                api.send(&req)
            };
            match result {
                Ok(_) => evicted.push((ns, name, s(pod, &["metadata", "uid"]).to_string())),
                Err(e) if is_not_found(&e) => {}
                Err(e) => {
                    failed = true;
                    report.messages.push(format!(
                        "error when evicting pods/\"{name}\" -n \"{ns}\": {}",
                        kube_error_text(&e)
                    ));
                }
            }
        }
        // Wait for the evicted pods to go (kubectl's waitForDelete), one list per poll.
        let mut left = evicted;
        if dry == DryRun::None {
            loop {
                let present = match list_items(api, &pods_info, None, query.clone()) {
                    Ok(items) => items,
                    Err(Failure::Kube(e)) => {
                        report.errors.push(e);
                        break;
                    }
                    Err(other) => return Err(other),
                };
                let (gone, still): (Vec<_>, Vec<_>) = left.into_iter().partition(|(_, _, uid)| {
                    !present
                        .iter()
                        .any(|x| s(x, &["metadata", "uid"]) == uid.as_str())
                });
                for (_, name, _) in gone {
                    report.line(format!("pod/{name} evicted"));
                }
                left = still;
                if left.is_empty() || Instant::now() >= deadline {
                    break;
                }
                pause(Duration::from_secs(1));
            }
        } else {
            for (_, name, _) in &left {
                report.line(format!("pod/{name} evicted{}", dry.suffix()));
            }
            left.clear();
        }
        if !left.is_empty() {
            let ids: Vec<String> = left.iter().map(|(ns, n, _)| format!("{ns}/{n}")).collect();
            report.messages.push(format!(
                "error: unable to drain node \"{node}\" due to error: drain did not complete within {}s: still terminating: {}, continuing command...",
                limit.as_secs(),
                ids.join(", ")
            ));
            pending.push(node.clone());
            continue;
        }
        if failed {
            pending.push(node.clone());
            continue;
        }
        report.line(format!("node/{node} drained{}", dry.suffix()));
    }
    if !pending.is_empty() {
        let mut m = String::from("There are pending nodes to be drained:");
        for n in &pending {
            m.push_str(&format!("\n {n}"));
        }
        report.messages.push(m);
    }
    report.finish()
}

#[cfg(test)]
mod tests {
    use super::super::testing::{Fake, ok_json, run_line};
    use super::*;
    use std::cell::Cell;
    use std::rc::Rc;

    fn pod(name: &str, owner: Option<&str>, extra: Value) -> Value {
        let mut p = json!({"metadata": {"name": name, "namespace": "app", "uid": format!("uid-{name}")},
            "spec": {}, "status": {"phase": "Running"}});
        if let Some(kind) = owner {
            p["metadata"]["ownerReferences"] =
                json!([{"kind": kind, "name": "o", "controller": true}]);
        }
        if let Some(m) = extra.as_object() {
            for (k, v) in m {
                match k.as_str() {
                    "annotations" => p["metadata"]["annotations"] = v.clone(),
                    "volumes" => p["spec"]["volumes"] = v.clone(),
                    _ => p["status"]["phase"] = v.clone(),
                }
            }
        }
        p
    }

    #[test]
    fn cordon_and_uncordon() {
        let mut f = Fake::new();
        f.on(|r| match r.verb {
            Verb::Get => {
                ok_json(json!({"spec": {"unschedulable": r.name.as_deref() == Some("n2")}}))
            }
            _ => {
                assert!(matches!(r.patch_type, Some(PatchType::Strategic)));
                assert_eq!(r.namespace, None);
                if r.name.as_deref() == Some("n1") {
                    assert_eq!(
                        r.body.as_deref(),
                        Some(r#"{"spec":{"unschedulable":true}}"#)
                    );
                } else {
                    assert_eq!(
                        r.body.as_deref(),
                        Some(r#"{"spec":{"unschedulable":null}}"#)
                    );
                }
                ok_json(json!({}))
            }
        });
        assert_eq!(
            run_line(&mut f, "cordon n1 node/n2").unwrap().text,
            "node/n1 cordoned\nnode/n2 already cordoned\n"
        );
        assert_eq!(
            run_line(&mut f, "uncordon n2").unwrap().text,
            "node/n2 uncordoned\n"
        );
        assert_eq!(
            run_line(&mut f, "uncordon n2 --dry-run=client")
                .unwrap()
                .text,
            "node/n2 uncordoned (dry run)\n"
        );
    }

    #[test]
    fn filters() {
        let f = DrainFlags::default();
        assert_eq!(
            decide(&pod("a", Some("ReplicaSet"), json!({})), f),
            PodDecision::Evict
        );
        assert!(matches!(
            decide(&pod("a", Some("DaemonSet"), json!({})), f),
            PodDecision::Error(_)
        ));
        assert!(
            matches!(decide(&pod("a", None, json!({})), f), PodDecision::Error(m) if m.contains("--force"))
        );
        assert_eq!(
            decide(
                &pod(
                    "a",
                    None,
                    json!({"annotations": {"kubernetes.io/config.mirror": "x"}})
                ),
                f
            ),
            PodDecision::Skip
        );
        assert!(matches!(
            decide(&pod("a", Some("ReplicaSet"), json!({"volumes": [{"name": "v", "emptyDir": {}}]})), f),
            PodDecision::Error(m) if m.contains("local storage")
        ));
        // Finished pods pass the storage and controller checks.
        assert_eq!(
            decide(&pod("a", None, json!({"phase": "Succeeded"})), f),
            PodDecision::Evict
        );
        let all = DrainFlags {
            ignore_daemonsets: true,
            delete_emptydir_data: true,
            force: true,
        };
        assert!(matches!(
            decide(&pod("a", Some("DaemonSet"), json!({})), all),
            PodDecision::SkipWarn(_)
        ));
        assert!(matches!(
            decide(&pod("a", None, json!({})), all),
            PodDecision::Warn(_)
        ));
    }

    #[test]
    fn drain_refuses_then_evicts() {
        let pods = json!({"items": [pod("web-1", Some("ReplicaSet"), json!({})), pod("agent", Some("DaemonSet"), json!({})), pod("bare", None, json!({}))]});
        let mut f = Fake::new();
        let listed = pods.clone();
        f.on(move |r| match (r.verb, r.resource.as_str()) {
            (Verb::Get, "nodes") => ok_json(json!({"spec": {}})),
            (Verb::Patch, "nodes") => ok_json(json!({})),
            (Verb::List, "pods") => {
                assert_eq!(r.namespace, None);
                assert_eq!(
                    r.query[0],
                    ("fieldSelector".into(), "spec.nodeName=n1".into())
                );
                ok_json(listed.clone())
            }
            other => panic!("{other:?}"),
        });
        let out = run_line(&mut f, "drain n1").unwrap();
        assert!(out.is_error);
        assert_eq!(
            out.text,
            "node/n1 cordoned\nerror: unable to drain node \"n1\" due to error: [cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): app/agent, cannot delete Pods declare no controller (use --force to override): app/bare], continuing command...\nThere are pending nodes to be drained:\n n1\n"
        );
        let lists = Rc::new(Cell::new(0));
        let l2 = lists.clone();
        let mut f = Fake::new();
        f.on(move |r| match (r.verb, r.resource.as_str()) {
            (Verb::Get, "nodes") => ok_json(json!({"spec": {"unschedulable": true}})),
            (Verb::List, "pods") => {
                l2.set(l2.get() + 1);
                if l2.get() == 1 {
                    ok_json(pods.clone())
                } else {
                    ok_json(json!({"items": []}))
                }
            }
            (Verb::Create, "pods") => {
                assert_eq!(r.subresource.as_deref(), Some("eviction"));
                let b: Value = serde_json::from_str(r.body.as_deref().unwrap()).unwrap();
                assert_eq!(b["apiVersion"], "policy/v1");
                assert_eq!(b["metadata"]["name"], r.name.clone().unwrap());
                assert_eq!(b["deleteOptions"]["gracePeriodSeconds"], 5);
                ok_json(json!({}))
            }
            other => panic!("{other:?}"),
        });
        let out = run_line(
            &mut f,
            "drain n1 --ignore-daemonsets --force --grace-period=5",
        )
        .unwrap();
        assert!(!out.is_error, "{}", out.text);
        assert_eq!(
            out.text,
            "node/n1 already cordoned\nWarning: ignoring DaemonSet-managed Pods: app/agent; deleting Pods that declare no controller: app/bare\nevicting pod app/web-1\nevicting pod app/bare\npod/web-1 evicted\npod/bare evicted\nnode/n1 drained\n"
        );
        assert_eq!(lists.get(), 2);
    }
}
