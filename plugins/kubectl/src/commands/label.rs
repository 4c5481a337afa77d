//! `kubectl label|annotate TYPE NAME... KEY=VALUE... KEY-... [--overwrite] [-l SELECTOR]`
//! and `kubectl set image TYPE/NAME CONTAINER=IMAGE...`. As kubectl does, each object is read
//! (`GET`, or one `LIST` with `-l`), the change is checked against it, and a patch is sent:
//! a JSON merge patch of `metadata.labels`/`annotations` (field manager `kubectl-label` /
//! `kubectl-annotate`), a strategic merge patch of the pod template's containers for
//! `set image` (`kubectl-set`).

use serde_json::{Map, Value, json};

use super::common::{DryRun, Report, namespace, refuse_flags};
use super::get::resolve_targets;
use super::writes::{Print, write_query};
use crate::targets::{Target, parse_targets};
use kap_sdk::api::{
    Api, CmdResult, Ctx, Failure, PatchType, ResourceInfo, Verb, get, list_items, request, s,
    send_json, usage,
};
use kap_sdk::cli::Parsed;

/// kubectl's `GetResourcesAndPairs`: the resource arguments, then the `KEY=VALUE` / `KEY-`
/// pairs (every pair must come after every resource).
pub fn split_pairs<'a>(
    args: &'a [String],
    what: &str,
) -> Result<(Vec<String>, Vec<&'a str>), Failure> {
    let mut resources = Vec::new();
    let mut pairs = Vec::new();
    for a in args {
        let pair = (a.contains('=') && !a.starts_with('=')) || (a.ends_with('-') && a != "-");
        match (pairs.is_empty(), pair) {
            (_, true) => pairs.push(a.as_str()),
            (true, false) => resources.push(a.clone()),
            (false, false) => {
                return usage(format!(
                    "all resources must be specified before {what} changes: {a}"
                ));
            }
        }
    }
    Ok((resources, pairs))
}

/// Kubernetes' qualified names (label and annotation keys): an optional DNS-subdomain
/// prefix and `/`, then 1-63 alphanumerics, `-`, `_`, `.`, starting and ending alphanumeric.
pub fn is_qualified_name(k: &str) -> bool {
    let (prefix, name) = match k.rsplit_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, k),
    };
    let name_ok = !name.is_empty()
        && name.len() <= 63
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && name.as_bytes()[0].is_ascii_alphanumeric()
        && name.as_bytes()[name.len() - 1].is_ascii_alphanumeric();
    let prefix_ok = prefix.is_none_or(|p| {
        !p.is_empty()
            && p.len() <= 253
            && p.split('.').all(|l| {
                !l.is_empty()
                    && l.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                    && !l.starts_with('-')
                    && !l.ends_with('-')
            })
    });
    name_ok && prefix_ok
}

/// Kubernetes' label values: empty, or up to 63 alphanumerics, `-`, `_`, `.`, starting and
/// ending alphanumeric.
pub fn is_label_value(v: &str) -> bool {
    v.is_empty()
        || (v.len() <= 63
            && v.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
            && v.as_bytes()[0].is_ascii_alphanumeric()
            && v.as_bytes()[v.len() - 1].is_ascii_alphanumeric())
}

/// Keys to set (with their values) and keys to remove.
pub type Changes = (Vec<(String, String)>, Vec<String>);

/// The changes of `label`/`annotate`: keys to set and keys to remove (kubectl's
/// `parseLabels`/`parseAnnotations`).
pub fn parse_changes(pairs: &[&str], labels: bool) -> Result<Changes, Failure> {
    let what = if labels { "label" } else { "annotation" };
    let mut set: Vec<(String, String)> = Vec::new();
    let mut remove: Vec<String> = Vec::new();
    for pair in pairs {
        if let Some((k, v)) = pair.split_once('=') {
            if !is_qualified_name(k) {
                return usage(format!("invalid {what} spec: {pair}: invalid key {k:?}"));
            }
            if labels && !is_label_value(v) {
                return usage(format!("invalid label spec: {pair}: invalid value {v:?}"));
            }
            set.retain(|(x, _)| x != k);
            set.push((k.to_string(), v.to_string()));
        } else if let Some(k) = pair.strip_suffix('-') {
            if !is_qualified_name(k) {
                return usage(format!("invalid {what} spec: {pair}: invalid key {k:?}"));
            }
            remove.push(k.to_string());
        }
    }
    if set.is_empty() && remove.is_empty() {
        return usage(format!("at least one {what} update is required"));
    }
    if let Some((k, _)) = set.iter().find(|(k, _)| remove.contains(k)) {
        return usage(format!(
            "can not both modify and remove {what} {k:?} in the same command"
        ));
    }
    Ok((set, remove))
}

/// The objects a command acts on: named ones (`GET` each) or, with `-l`, every object of
/// each type in the namespace that matches (`LIST`).
pub fn fetch_objects(
    p: &Parsed,
    api: &mut dyn Api,
    resources: &[String],
    ns: &str,
    report: &mut Report,
) -> Result<Vec<(ResourceInfo, Value)>, Failure> {
    let targets: Vec<Target> = parse_targets(resources).map_err(Failure::Usage)?;
    let selector = p.value("selector");
    if targets.is_empty() {
        return usage(format!(
            "one or more resources must be specified as TYPE NAME or TYPE/NAME for kubectl {}",
            p.sub
        ));
    }
    if selector.is_some() && targets.iter().any(|t| !t.names.is_empty()) {
        return usage("name cannot be provided when a selector is specified");
    }
    if selector.is_none() && targets.iter().any(|t| t.names.is_empty()) {
        return usage(format!(
            "resource(s) were provided, but no name was specified: name the objects or use -l SELECTOR with kubectl {}",
            p.sub
        ));
    }
    let resolved = resolve_targets(api, &targets)?;
    let mut out = Vec::new();
    for (info, names) in resolved {
        if let Some(sel) = selector {
            let q = vec![("labelSelector".to_string(), sel.to_string())];
            for item in list_items(api, &info, Some(ns), q)? {
                out.push((info.clone(), item));
            }
            continue;
        }
        for name in names {
            match send_json(api, &request(Verb::Get, &info, Some(ns), Some(&name))) {
                Ok(v) => out.push((info.clone(), v)),
                Err(Failure::Kube(e)) => report.errors.push(e),
                Err(other) => return Err(other),
            }
        }
    }
    if out.is_empty() && report.errors.is_empty() {
        return Err(Failure::Message(
            "error: no objects passed to update".into(),
        ));
    }
    Ok(out)
}

fn ns_of<'a>(obj: &'a Value, fallback: &'a str) -> &'a str {
    match s(obj, &["metadata", "namespace"]) {
        "" => fallback,
        n => n,
    }
}

/// Runs `kubectl label` (`labels`) or `kubectl annotate`.
pub fn run_label(p: &Parsed, ctx: &Ctx, api: &mut dyn Api, labels: bool) -> CmdResult {
    refuse_flags(
        p,
        &[(
            "filename",
            "files cannot be read; name the objects as TYPE NAME",
        )],
    )?;
    let (field, what, manager, done) = if labels {
        ("labels", "label", "kubectl-label", "labeled")
    } else {
        ("annotations", "annotation", "kubectl-annotate", "annotated")
    };
    let (resources, pairs) = split_pairs(&p.args, what)?;
    let (set, remove) = parse_changes(&pairs, labels)?;
    let print = Print::from(p)?;
    let dry = DryRun::from(p)?;
    let overwrite = p.bool("overwrite");
    let ns = namespace(p, ctx).to_string();
    let mut report = Report::default();
    let objects = fetch_objects(p, api, &resources, &ns, &mut report)?;
    for (info, obj) in objects {
        let name = s(&obj, &["metadata", "name"]).to_string();
        let current = get(&obj, &["metadata", field])
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        if !overwrite && let Some((k, _)) = set.iter().find(|(k, _)| current.contains_key(k)) {
            report.messages.push(format!(
                "error: '{k}' already has a value ({}), and --overwrite is false",
                current.get(k).and_then(Value::as_str).unwrap_or_default()
            ));
            continue;
        }
        let mut changes = Map::new();
        for (k, v) in &set {
            if current.get(k).and_then(Value::as_str) != Some(v) {
                changes.insert(k.clone(), Value::String(v.clone()));
            }
        }
        for k in &remove {
            if current.contains_key(k) {
                changes.insert(k.clone(), Value::Null);
            } else if labels {
                report.line(format!("label {k:?} not found."));
            }
        }
        let op = if labels && changes.is_empty() {
            "not labeled"
        } else {
            done
        };
        let mut shown = obj.clone();
        if dry != DryRun::Client && !changes.is_empty() {
            let obj_ns = ns_of(&obj, &ns).to_string();
            let mut req = request(Verb::Patch, &info, Some(&obj_ns), Some(&name));
            req.patch_type = Some(PatchType::Merge);
            req.body = Some(json!({"metadata": {field: changes}}).to_string());
            req.query = write_query(p, dry, manager);
            match send_json(api, &req) {
                Ok(v) => shown = v,
                Err(Failure::Kube(e)) => {
                    report.errors.push(e);
                    continue;
                }
                Err(other) => return Err(other),
            }
        }
        report
            .out
            .push_str(&print.text(&info, &name, op, dry, &shown));
    }
    report.finish()
}

/// Where the pod spec of an object is, by kind (kubectl's `UpdatePodSpecForObject`).
pub fn pod_spec_path(kind: &str) -> Option<&'static [&'static str]> {
    match kind {
        "Pod" => Some(&["spec"]),
        "Deployment"
        | "ReplicaSet"
        | "StatefulSet"
        | "DaemonSet"
        | "Job"
        | "ReplicationController" => Some(&["spec", "template", "spec"]),
        "CronJob" => Some(&["spec", "jobTemplate", "spec", "template", "spec"]),
        _ => None,
    }
}

fn nest(path: &[&str], leaf: Value) -> Value {
    path.iter().rev().fold(leaf, |acc, k| json!({ (*k): acc }))
}

/// Runs `kubectl set`: only `set image` is available.
pub fn run_set(p: &Parsed, ctx: &Ctx, api: &mut dyn Api) -> CmdResult {
    match p.args.first().map(String::as_str) {
        Some("image") => {}
        Some(other) => {
            return usage(format!(
                "kubectl set {other} is not supported yet; only `set image` is available"
            ));
        }
        None => return usage("kubectl set needs a subcommand; only `set image` is available"),
    }
    refuse_flags(
        p,
        &[(
            "filename",
            "files cannot be read; name the objects as TYPE/NAME",
        )],
    )?;
    let (resources, pairs) = split_pairs(&p.args[1..], "container image")?;
    if pairs.is_empty() {
        return usage("at least one image update is required: CONTAINER=IMAGE");
    }
    let mut images: Vec<(&str, &str)> = Vec::new();
    for pair in &pairs {
        match pair.split_once('=') {
            Some((c, i)) if !c.is_empty() && !i.is_empty() => images.push((c, i)),
            _ => {
                return usage(format!(
                    "invalid image update {pair:?}: expected CONTAINER=IMAGE"
                ));
            }
        }
    }
    let print = Print::from(p)?;
    let dry = DryRun::from(p)?;
    let ns = namespace(p, ctx).to_string();
    let mut report = Report::default();
    let objects = fetch_objects(p, api, &resources, &ns, &mut report)?;
    for (info, obj) in objects {
        let name = s(&obj, &["metadata", "name"]).to_string();
        let Some(path) = pod_spec_path(&info.kind) else {
            report.messages.push(format!(
                "error: {}/{name}: kubectl set image does not support {}",
                info.kind.to_lowercase(),
                info.kind
            ));
            continue;
        };
        let spec = get(&obj, path).cloned().unwrap_or(json!({}));
        let mut patch_spec = Map::new();
        let mut missing: Vec<&str> = Vec::new();
        for (cname, image) in &images {
            let mut found = false;
            for field in ["initContainers", "containers"] {
                for c in spec
                    .get(field)
                    .and_then(Value::as_array)
                    .map(Vec::as_slice)
                    .unwrap_or(&[])
                {
                    let n = s(c, &["name"]);
                    if *cname == "*" || n == *cname {
                        found = true;
                        if s(c, &["image"]) != *image {
                            let list = patch_spec
                                .entry(field)
                                .or_insert_with(|| Value::Array(Vec::new()));
                            if let Some(a) = list.as_array_mut() {
                                a.retain(|x| s(x, &["name"]) != n);
                                a.push(json!({"name": n, "image": image}));
                            }
                        }
                    }
                }
            }
            if !found {
                missing.push(cname);
            }
        }
        if let Some(c) = missing.first() {
            report
                .messages
                .push(format!("error: unable to find container named \"{c}\""));
            continue;
        }
        if patch_spec.is_empty() {
            continue;
        }
        let mut shown = obj.clone();
        if dry != DryRun::Client {
            let obj_ns = ns_of(&obj, &ns).to_string();
            let mut req = request(Verb::Patch, &info, Some(&obj_ns), Some(&name));
            req.patch_type = Some(PatchType::Strategic);
            req.body = Some(nest(path, Value::Object(patch_spec)).to_string());
            req.query = write_query(p, dry, "kubectl-set");
            match send_json(api, &req) {
                Ok(v) => shown = v,
                Err(Failure::Kube(e)) => {
                    report.errors.push(e);
                    continue;
                }
                Err(other) => return Err(other),
            }
        }
        report
            .out
            .push_str(&print.text(&info, &name, "image updated", dry, &shown));
    }
    report.finish()
}

#[cfg(test)]
mod tests {
    use super::super::testing::{Fake, ok_json, run_line};
    use super::*;

    #[test]
    fn label_add_remove_overwrite() {
        let mut f = Fake::new();
        f.on(|r| match r.verb {
            Verb::Get => ok_json(
                json!({"metadata": {"name": "web", "namespace": "default", "labels": {"app": "web", "tier": "x"}}}),
            ),
            _ => {
                assert!(matches!(r.patch_type, Some(PatchType::Merge)));
                assert_eq!(
                    r.body.as_deref(),
                    Some(r#"{"metadata":{"labels":{"env":"prod","tier":null}}}"#)
                );
                assert_eq!(r.query[0].1, "kubectl-label");
                ok_json(json!({}))
            }
        });
        assert_eq!(
            run_line(&mut f, "label deploy web env=prod tier-")
                .unwrap()
                .text,
            "deployment.apps/web labeled\n"
        );
        let out = run_line(&mut f, "label pod/web app=other").unwrap();
        assert!(out.is_error);
        assert!(
            out.text
                .contains("'app' already has a value (web), and --overwrite is false")
        );
        // Same value with --overwrite: nothing to send.
        assert_eq!(
            run_line(&mut f, "label pod web app=web --overwrite")
                .unwrap()
                .text,
            "pod/web not labeled\n"
        );
        assert!(
            format!("{:?}", run_line(&mut f, "label pod web a=b pod2"))
                .contains("all resources must be specified before")
        );
        assert!(
            format!("{:?}", run_line(&mut f, "label pod web 'a=b c'")).contains("invalid value")
        );
        assert!(format!("{:?}", run_line(&mut f, "label pod web")).contains("at least one label"));
    }

    #[test]
    fn annotate_with_selector() {
        let mut f = Fake::new();
        f.on(|r| match r.verb {
            Verb::List => {
                assert_eq!(r.query[0], ("labelSelector".into(), "app=web".into()));
                ok_json(json!({"items": [{"metadata": {"name": "a", "namespace": "ns1"}}, {"metadata": {"name": "b", "namespace": "ns1", "annotations": {"note": "x"}}}]}))
            }
            _ => {
                assert_eq!(r.namespace.as_deref(), Some("ns1"));
                assert_eq!(
                    r.body.as_deref(),
                    Some(r#"{"metadata":{"annotations":{"note":"hello world"}}}"#)
                );
                ok_json(json!({}))
            }
        });
        assert_eq!(
            run_line(
                &mut f,
                "annotate pods -l app=web 'note=hello world' --overwrite -n ns1"
            )
            .unwrap()
            .text,
            "pod/a annotated\npod/b annotated\n"
        );
    }

    #[test]
    fn set_image() {
        let mut f = Fake::new();
        f.on(|r| match r.verb {
            Verb::Get => ok_json(json!({"metadata": {"name": "web"}, "spec": {"template": {"spec": {
                "initContainers": [{"name": "init", "image": "busybox"}],
                "containers": [{"name": "app", "image": "nginx:1.26"}, {"name": "side", "image": "envoy"}]}}}})),
            _ => {
                assert!(matches!(r.patch_type, Some(PatchType::Strategic)));
                assert_eq!(
                    r.body.as_deref(),
                    Some(r#"{"spec":{"template":{"spec":{"containers":[{"image":"nginx:1.27","name":"app"}]}}}}"#)
                );
                assert_eq!(r.query[0].1, "kubectl-set");
                ok_json(json!({}))
            }
        });
        assert_eq!(
            run_line(&mut f, "set image deploy/web app=nginx:1.27")
                .unwrap()
                .text,
            "deployment.apps/web image updated\n"
        );
        // Already at that image: nothing is sent or printed.
        assert_eq!(
            run_line(&mut f, "set image deploy/web side=envoy")
                .unwrap()
                .text,
            ""
        );
        let out = run_line(&mut f, "set image deploy/web nope=x").unwrap();
        assert!(out.text.contains("unable to find container named \"nope\""));
        assert!(
            format!("{:?}", run_line(&mut f, "set env deploy/web A=b"))
                .contains("only `set image`")
        );
    }
}
