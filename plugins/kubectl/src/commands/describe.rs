//! `kubectl describe TYPE NAME`, `TYPE/NAME`, `TYPE NAME_PREFIX` or `TYPE [-l selector]`:
//! fetches the object and what its describer needs (events, replica sets, endpoint slices,
//! pods on a node, resource quotas, a controller's pods, a claim's pods, an ingress' services)
//! and prints it with [`crate::describe`].

use serde_json::Value;

use super::common::{Report, namespace, refuse_files, strip_managed_fields};
use super::get::resolve_targets;
use crate::describe::{self, EventsSection, more};
use crate::targets::parse_targets;
use kap_sdk::api::{
    Api, CmdResult, Ctx, Failure, KubeError, OutputFormat, ResourceInfo, Verb, arr, core,
    is_not_found, kube_error_text, list_items, request, s, send_json, usage,
};
use kap_sdk::cli::Parsed;

/// Most objects one `describe TYPE` describes (each may cost several requests).
pub const MAX_OBJECTS: usize = 20;

/// Whether `info` is core Secrets: read as metadata only (see [`secret_objects`]).
fn is_secrets(info: &ResourceInfo) -> bool {
    info.group.is_empty() && info.resource == "secrets"
}

/// Secrets as `describe` needs them (type, key names, sizes), read as a server-side Table
/// with the objects embedded (`includeObject=Object`): a metadata read, which the host's
/// default policy allows (`default.secret-metadata`), while a JSON read of a Secret is a
/// contents read it refuses. The host replaces every value with `<redacted: N bytes>` before
/// this plugin sees it. `name`: one Secret (a `get`), else a list.
pub fn secret_objects(
    api: &mut dyn Api,
    info: &ResourceInfo,
    namespace: Option<&str>,
    name: Option<&str>,
    mut query: Vec<(String, String)>,
) -> Result<Vec<Value>, Failure> {
    let verb = if name.is_some() {
        Verb::Get
    } else {
        Verb::List
    };
    let mut req = request(verb, info, namespace, name);
    query.push(("includeObject".into(), "Object".into()));
    req.query = query;
    req.output = OutputFormat::Table;
    let table = send_json(api, &req)?;
    Ok(arr(&table, &["rows"])
        .iter()
        .filter_map(|r| r.get("object").cloned())
        .collect())
}

/// Runs `kubectl describe`.
pub fn run(p: &Parsed, ctx: &Ctx, api: &mut dyn Api) -> CmdResult {
    refuse_files(p, "describe")?;
    let targets = parse_targets(&p.args).map_err(Failure::Usage)?;
    if targets.is_empty() {
        return usage(
            "You must specify the type of resource to describe. Use \"kubectl api-resources\" for a complete list of supported resources.",
        );
    }
    let ns = namespace(p, ctx).to_string();
    let all_ns = p.bool("all-namespaces");
    let show_events = p.value("show-events") != Some("false");
    let resolved = resolve_targets(api, &targets)?;
    let mut report = Report::default();
    let mut texts: Vec<String> = Vec::new();
    for (info, names) in &resolved {
        let objects: Vec<Value> = if names.is_empty() {
            let mut q = Vec::new();
            if let Some(l) = p.value("selector") {
                q.push(("labelSelector".to_string(), l.to_string()));
            }
            let list_ns = (!(all_ns && info.namespaced)).then_some(ns.as_str());
            let listed = if is_secrets(info) {
                secret_objects(api, info, list_ns, None, q)
            } else {
                list_items(api, info, list_ns, q)
            };
            match listed {
                Ok(items) => items,
                Err(Failure::Kube(e)) => {
                    report.errors.push(e);
                    continue;
                }
                Err(other) => return Err(other),
            }
        } else {
            let mut objs = Vec::new();
            for name in names {
                if is_secrets(info) {
                    match secret_objects(api, info, Some(&ns), Some(name), Vec::new()) {
                        Ok(found) => objs.extend(found),
                        Err(Failure::Kube(e)) => report.errors.push(e),
                        Err(other) => return Err(other),
                    }
                    continue;
                }
                match api.send(&request(Verb::Get, info, Some(&ns), Some(name))) {
                    Ok(r) => match serde_json::from_str::<Value>(&r.body) {
                        Ok(v) => objs.push(v),
                        Err(e) => report
                            .messages
                            .push(format!("error: the server's answer is not JSON: {e}")),
                    },
                    // kubectl describes every object whose name starts with NAME when there is
                    // no object called NAME.
                    Err(e) if is_not_found(&e) => {
                        let prefixed: Vec<Value> = list_items(api, info, Some(&ns), Vec::new())
                            .unwrap_or_default()
                            .into_iter()
                            .filter(|o| s(o, &["metadata", "name"]).starts_with(name.as_str()))
                            .collect();
                        if prefixed.is_empty() {
                            report.errors.push(e);
                        }
                        objs.extend(prefixed);
                    }
                    Err(e) => report.errors.push(e),
                }
            }
            objs
        };
        if objects.is_empty() && names.is_empty() {
            report.messages.push(if info.namespaced && !all_ns {
                format!("No resources found in {ns} namespace.")
            } else {
                "No resources found".to_string()
            });
            continue;
        }
        let total = objects.len();
        for obj in objects.into_iter().take(MAX_OBJECTS) {
            texts.push(describe_one(api, info, &obj, show_events)?);
        }
        if total > MAX_OBJECTS {
            report.messages.push(format!(
                "note: {} more {} not described (at most {MAX_OBJECTS} per command); name them or narrow with -l",
                total - MAX_OBJECTS,
                info.resource
            ));
        }
    }
    report.out = texts.join("\n\n");
    // "No resources found" is informational, not an error.
    if report.errors.is_empty()
        && report
            .messages
            .iter()
            .all(|m| m.starts_with("No resources found") || m.starts_with("note:"))
    {
        let mut text = report.out;
        for m in report.messages {
            text.push_str(&m);
            text.push('\n');
        }
        return Ok(kap_sdk::api::Outcome::text(text));
    }
    report.finish()
}

/// Lists the events about `obj` (kubectl's `SearchEvents`): by name, kind and UID in the
/// object's namespace; by name and kind across namespaces for cluster-scoped objects (a
/// node's events carry the node's name as UID).
pub fn fetch_events(api: &mut dyn Api, info: &ResourceInfo, obj: &Value) -> EventsSection {
    let name = s(obj, &["metadata", "name"]);
    let mut fields = vec![
        format!("involvedObject.name={name}"),
        format!("involvedObject.kind={}", info.kind),
    ];
    let ns = s(obj, &["metadata", "namespace"]);
    let uid = s(obj, &["metadata", "uid"]);
    if info.namespaced && !uid.is_empty() {
        fields.push(format!("involvedObject.uid={uid}"));
    }
    let q = vec![("fieldSelector".to_string(), fields.join(","))];
    let events = core("events", "Event", true);
    let ns = (info.namespaced && !ns.is_empty()).then_some(ns);
    Some(match list_items(api, &events, ns, q) {
        Ok(items) => Ok(items),
        Err(Failure::Kube(e)) => Err(kap_sdk::api::kube_error_text(&e)),
        Err(Failure::Message(m) | Failure::Usage(m)) => Err(m),
    })
}

/// The error text kubectl shows inside a description: the server's message for API errors.
fn error_text(e: Failure) -> String {
    match e {
        Failure::Kube(KubeError::Api(a)) if !a.message.is_empty() => a.message,
        Failure::Kube(e) => kube_error_text(&e),
        Failure::Message(m) | Failure::Usage(m) => m,
    }
}

/// kubectl's `getPodStatusForController`: the controller's pods (its label selector, then
/// its UID as controller owner) counted by phase.
fn owned_pod_counts(api: &mut dyn Api, obj: &Value, ns: &str) -> more::PodCounts {
    let uid = s(obj, &["metadata", "uid"]);
    let sel = describe::selector_text(obj.get("spec").and_then(|x| x.get("selector")));
    let mut q = Vec::new();
    if sel != "<none>" {
        q.push(("labelSelector".to_string(), sel));
    }
    list_items(api, &core("pods", "Pod", true), Some(ns), q)
        .map(|pods| more::pod_counts(&pods, uid))
        .map_err(error_text)
}

/// The service an ingress backend names and its endpoint slices (kubectl's
/// `describeBackendV1`).
fn ingress_backend(api: &mut dyn Api, ns: &str, svc: &str) -> Result<(Value, Vec<Value>), String> {
    let slice_info = ResourceInfo {
        group: "discovery.k8s.io".into(),
        ..core("endpointslices", "EndpointSlice", true)
    };
    let q = vec![(
        "labelSelector".to_string(),
        format!("kubernetes.io/service-name={svc}"),
    )];
    let slices = list_items(api, &slice_info, Some(ns), q).map_err(error_text)?;
    let service = send_json(
        api,
        &request(
            Verb::Get,
            &core("services", "Service", true),
            Some(ns),
            Some(svc),
        ),
    )
    .map_err(error_text)?;
    Ok((service, slices))
}

fn describe_one(
    api: &mut dyn Api,
    info: &ResourceInfo,
    obj: &Value,
    show_events: bool,
) -> Result<String, Failure> {
    let now = api.now();
    let events = |api: &mut dyn Api| {
        if show_events {
            fetch_events(api, info, obj)
        } else {
            None
        }
    };
    let ns = s(obj, &["metadata", "namespace"]).to_string();
    let name = s(obj, &["metadata", "name"]).to_string();
    let text = match (info.group.as_str(), info.resource.as_str()) {
        ("", "pods") => describe::pod(obj, &events(api), now),
        ("apps", "deployments") => {
            let uid = s(obj, &["metadata", "uid"]);
            let sel = describe::selector_text(obj.get("spec").and_then(|x| x.get("selector")));
            let mut q = Vec::new();
            if sel != "<none>" {
                q.push(("labelSelector".to_string(), sel));
            }
            let rs_info = ResourceInfo {
                group: "apps".into(),
                ..core("replicasets", "ReplicaSet", true)
            };
            let rs: Vec<Value> = list_items(api, &rs_info, Some(&ns), q)
                .unwrap_or_default()
                .into_iter()
                .filter(|r| {
                    uid.is_empty()
                        || arr(r, &["metadata", "ownerReferences"])
                            .iter()
                            .any(|o| s(o, &["uid"]) == uid)
                })
                .collect();
            describe::deployment(obj, &rs, &events(api), now)
        }
        ("", "services") => {
            let slice_info = ResourceInfo {
                group: "discovery.k8s.io".into(),
                ..core("endpointslices", "EndpointSlice", true)
            };
            let q = vec![(
                "labelSelector".to_string(),
                format!("kubernetes.io/service-name={name}"),
            )];
            let slices = list_items(api, &slice_info, Some(&ns), q).unwrap_or_default();
            describe::service(obj, &slices, &events(api), now)
        }
        ("", "nodes") => {
            let q = vec![(
                "fieldSelector".to_string(),
                format!("spec.nodeName={name},status.phase!=Succeeded,status.phase!=Failed"),
            )];
            let pods = list_items(api, &core("pods", "Pod", true), None, q).unwrap_or_default();
            describe::node(obj, &pods, &events(api), now)
        }
        ("", "namespaces") => {
            let quotas = list_items(
                api,
                &core("resourcequotas", "ResourceQuota", true),
                Some(&name),
                Vec::new(),
            )
            .unwrap_or_default();
            describe::namespace(obj, &quotas, &events(api), now)
        }
        ("", "secrets") => describe::secret(obj),
        ("apps", "replicasets") => {
            let pods = owned_pod_counts(api, obj, &ns);
            more::replica_set(obj, &pods, &events(api), now)
        }
        ("apps", "statefulsets") => {
            let pods = owned_pod_counts(api, obj, &ns);
            more::stateful_set(obj, &pods, &events(api), now)
        }
        ("apps", "daemonsets") => {
            let pods = owned_pod_counts(api, obj, &ns);
            more::daemon_set(obj, &pods, &events(api), now)
        }
        ("batch", "jobs") => more::job(obj, &events(api), now),
        ("batch", "cronjobs") => more::cron_job(obj, &events(api), now),
        ("networking.k8s.io", "ingresses") => {
            let mut backends = more::Backends::new();
            for svc in more::ingress_services(obj) {
                let b = ingress_backend(api, &ns, &svc);
                backends.insert(svc, b);
            }
            more::ingress(obj, &backends, &events(api), now)
        }
        ("", "persistentvolumeclaims") => {
            let pods = list_items(api, &core("pods", "Pod", true), Some(&ns), Vec::new())
                .unwrap_or_default();
            more::pvc(obj, &more::pvc_users(obj, &pods), &events(api), now)
        }
        ("", "persistentvolumes") => more::pv(obj, &events(api), now),
        ("autoscaling", "horizontalpodautoscalers") => {
            // kubectl describes the autoscaling/v2 form when the server has it.
            let v2 = (info.version != "v2")
                .then(|| {
                    let v2_info = ResourceInfo {
                        version: "v2".into(),
                        ..info.clone()
                    };
                    send_json(api, &request(Verb::Get, &v2_info, Some(&ns), Some(&name))).ok()
                })
                .flatten();
            let mut hpa = v2.unwrap_or_else(|| obj.clone());
            if let Some(o) = hpa.as_object_mut() {
                let version = if o.get("apiVersion").is_some() {
                    None
                } else {
                    Some(kap_sdk::api::api_version(&info.group, &info.version))
                };
                if let Some(v) = version {
                    o.insert("apiVersion".into(), Value::String(v));
                }
            }
            more::hpa(&hpa, &events(api), now)
        }
        ("", "configmaps") => describe::configmap(obj, &events(api), now),
        _ => {
            let mut obj = obj.clone();
            if let Some(o) = obj.as_object_mut() {
                o.entry("apiVersion").or_insert_with(|| {
                    Value::String(kap_sdk::api::api_version(&info.group, &info.version))
                });
                o.entry("kind")
                    .or_insert_with(|| Value::String(info.kind.clone()));
            }
            strip_managed_fields(&mut obj);
            describe::generic(&obj, &events(api), now)
        }
    };
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::super::testing::{Fake, forbidden, not_found, ok_json, run_line};
    use serde_json::json;

    #[test]
    fn describe_pod_fetches_events() {
        let mut f = Fake::new();
        f.on(|r| match r.resource.as_str() {
            "pods" => ok_json(json!({"metadata": {"name": "web-1", "namespace": "default", "uid": "u1"}, "spec": {"containers": []}, "status": {"phase": "Running"}})),
            "events" => {
                assert_eq!(
                    r.query,
                    vec![("fieldSelector".to_string(), "involvedObject.name=web-1,involvedObject.kind=Pod,involvedObject.uid=u1".to_string())]
                );
                assert_eq!(r.namespace.as_deref(), Some("default"));
                ok_json(json!({"items": []}))
            }
            other => panic!("{other}"),
        });
        let out = run_line(&mut f, "describe pod/web-1").unwrap();
        assert!(
            out.text.starts_with("Name:             web-1\n"),
            "{}",
            out.text
        );
        assert!(
            out.text.ends_with("Events:           <none>\n") || out.text.contains("Events:"),
            "{}",
            out.text
        );
    }

    #[test]
    fn describe_events_forbidden_is_shown() {
        let mut f = Fake::new();
        f.on(|r| match r.resource.as_str() {
            "pods" => ok_json(json!({"metadata": {"name": "web-1", "namespace": "default"}})),
            _ => Err(forbidden("cannot list events")),
        });
        let out = run_line(&mut f, "describe pods web-1").unwrap();
        assert!(
            out.text.contains(
                "<unable to list events: Error from server (Forbidden): cannot list events>"
            ),
            "{}",
            out.text
        );
    }

    #[test]
    fn describe_by_prefix_and_missing() {
        let mut f = Fake::new();
        f.on(|r| match (r.resource.as_str(), r.name.as_deref()) {
            ("pods", Some(n)) => Err(not_found("pods", n)),
            ("pods", None) => ok_json(
                json!({"items": [{"metadata": {"name": "web-1"}}, {"metadata": {"name": "db"}}]}),
            ),
            _ => ok_json(json!({"items": []})),
        });
        let out = run_line(&mut f, "describe pods web --show-events=false").unwrap();
        assert!(out.text.starts_with("Name:"), "{}", out.text);
        assert!(!out.text.contains("db"));
        let out = run_line(&mut f, "describe pods zzz");
        assert!(format!("{out:?}").contains("NotFound"));
    }

    #[test]
    fn describe_replica_set_counts_owned_pods() {
        let mut f = Fake::new();
        f.on(|r| match r.resource.as_str() {
            "replicasets" => ok_json(json!({"metadata": {"name": "web-1", "namespace": "default", "uid": "rs-uid"},
                "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}}},
                "status": {"replicas": 2}})),
            "pods" => {
                assert_eq!(r.query[0], ("labelSelector".to_string(), "app=web".to_string()));
                ok_json(json!({"items": [
                    {"metadata": {"ownerReferences": [{"uid": "rs-uid", "controller": true}]}, "status": {"phase": "Running"}},
                    {"metadata": {"ownerReferences": [{"uid": "rs-uid", "controller": true}]}, "status": {"phase": "Pending"}},
                    {"metadata": {"ownerReferences": [{"uid": "other", "controller": true}]}, "status": {"phase": "Running"}}
                ]}))
            }
            "events" => ok_json(json!({"items": []})),
            other => panic!("{other}"),
        });
        let out = run_line(&mut f, "describe rs web-1").unwrap();
        assert!(
            out.text
                .contains("Pods Status:  1 Running / 1 Waiting / 0 Succeeded / 0 Failed\n"),
            "{}",
            out.text
        );
        assert!(
            out.text.contains("Replicas:     2 current / 2 desired\n"),
            "{}",
            out.text
        );
    }

    #[test]
    fn describe_ingress_and_hpa_fetch_what_they_need() {
        let mut f = Fake::new();
        let mut ing = kap_sdk::api::core("ingresses", "Ingress", true);
        ing.group = "networking.k8s.io".into();
        let mut hpa =
            kap_sdk::api::core("horizontalpodautoscalers", "HorizontalPodAutoscaler", true);
        hpa.group = "autoscaling".into();
        hpa.version = "v2".into();
        hpa.short_names = vec!["hpa".into()];
        f.resources.extend([ing, hpa]);
        f.on(|r| match (r.resource.as_str(), r.name.as_deref()) {
            ("ingresses", _) => ok_json(json!({"metadata": {"name": "web", "namespace": "default"},
                "spec": {"rules": [{"http": {"paths": [{"path": "/", "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]}})),
            ("services", Some("web")) => ok_json(json!({"spec": {"ports": [{"port": 80}]}})),
            ("endpointslices", _) => ok_json(json!({"items": [{"ports": [{"port": 80}], "endpoints": [{"addresses": ["10.0.0.9"]}]}]})),
            ("horizontalpodautoscalers", _) => ok_json(json!({"metadata": {"name": "web", "namespace": "default"},
                "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "web"}, "maxReplicas": 3}})),
            _ => ok_json(json!({"items": []})),
        });
        let out = run_line(&mut f, "describe ingress web").unwrap();
        assert!(
            out.text.contains("/   web:80 (10.0.0.9:80)\n"),
            "{}",
            out.text
        );
        let out = run_line(&mut f, "describe hpa web").unwrap();
        assert!(out.text.contains("Reference:"), "{}", out.text);
        assert!(out.text.contains("Deployment pods:"), "{}", out.text);
        assert!(out.text.contains("Metrics:"), "{}", out.text);
    }

    #[test]
    fn describe_service_uses_endpoint_slices() {
        let mut f = Fake::new();
        f.on(|r| match r.resource.as_str() {
            "services" => ok_json(json!({"metadata": {"name": "web", "namespace": "default"}, "spec": {"ports": [{"port": 80}]}})),
            "endpointslices" => {
                assert_eq!(r.group, "discovery.k8s.io");
                assert_eq!(r.query[0].1, "kubernetes.io/service-name=web");
                ok_json(json!({"items": [{"ports": [{"port": 80}], "endpoints": [{"addresses": ["10.0.0.9"]}]}]}))
            }
            _ => ok_json(json!({"items": []})),
        });
        let out = run_line(&mut f, "describe svc web").unwrap();
        assert!(
            out.text.contains("Endpoints:         10.0.0.9:80\n"),
            "{}",
            out.text
        );
    }
}
