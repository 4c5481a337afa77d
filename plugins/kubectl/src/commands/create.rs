//! `kubectl create`: the generators kubectl has for common objects (`create namespace`,
//! `deployment`, `service clusterip|nodeport|loadbalancer`, `configmap --from-literal`,
//! `job`) and `create -f -` with the manifest in the tool's `manifest` argument. Each object
//! is one `POST` with `fieldManager=kubectl-create`, as kubectl sends it.

use serde_json::{Map, Value, json};

use super::apply::{Mapped, map_document, parse_manifest};
use super::common::{DryRun, Report, namespace};
use super::writes::{Print, create_request, port_number, values, write_query};
use crate::targets::{validate_name, validate_namespace};
use kap_sdk::api::{
    Api, CmdResult, Ctx, Failure, Outcome, ResourceInfo, Verb, core, request, s, send_json, usage,
};
use kap_sdk::cli::Parsed;

/// kubectl's field manager for `create`.
pub const FIELD_MANAGER: &str = "kubectl-create";

/// A built-in resource kubectl's generators write (fixed group/version, no discovery).
pub fn builtin(group: &str, version: &str, resource: &str, kind: &str) -> ResourceInfo {
    let mut info = core(resource, kind, resource != "namespaces");
    info.group = group.to_string();
    info.version = version.to_string();
    info
}

/// Runs `kubectl create`.
pub fn run(p: &Parsed, ctx: &Ctx, api: &mut dyn Api) -> CmdResult {
    if p.given("filename") || (p.args.is_empty() && ctx.manifest.is_some()) {
        return from_manifest(p, ctx, api);
    }
    let Some(what) = p.args.first().map(String::as_str) else {
        return usage(
            "kubectl create needs a kind or -f -: namespace, deployment, service, configmap or job (e.g. kubectl create deployment web --image=nginx)",
        );
    };
    let print = Print::from(p)?;
    let dry = DryRun::from(p)?;
    let ns = namespace(p, ctx).to_string();
    let (info, name, obj) = match what {
        "namespace" | "ns" => {
            let name = one_name(p, 1, "namespace")?;
            validate_namespace(&name).map_err(Failure::Usage)?;
            let obj = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}});
            (builtin("", "v1", "namespaces", "Namespace"), name, obj)
        }
        "deployment" | "deploy" => {
            let name = name_at(p, 1, "deployment")?;
            let obj = deployment(p, &name, &p.args[2..])?;
            (
                builtin("apps", "v1", "deployments", "Deployment"),
                name,
                obj,
            )
        }
        "service" | "svc" => {
            let Some(kind) = p.args.get(1).map(String::as_str) else {
                return usage(
                    "kubectl create service needs a type: clusterip, nodeport or loadbalancer",
                );
            };
            let name = one_name(p, 2, &format!("service {kind}"))?;
            let obj = service(p, kind, &name)?;
            (builtin("", "v1", "services", "Service"), name, obj)
        }
        "configmap" | "cm" => {
            let name = one_name(p, 1, "configmap")?;
            let obj = configmap(p, &name)?;
            (builtin("", "v1", "configmaps", "ConfigMap"), name, obj)
        }
        "job" => {
            let name = name_at(p, 1, "job")?;
            let obj = job(p, &name, &p.args[2..], &ns, api)?;
            (builtin("batch", "v1", "jobs", "Job"), name, obj)
        }
        "secret" => {
            return usage(
                "kubectl create secret is not supported: secret values would pass through the conversation; create secrets with a manifest outside this tool",
            );
        }
        other => {
            return usage(format!(
                "kubectl create {other} is not supported; supported: namespace, deployment, service clusterip|nodeport|loadbalancer, configmap, job, and -f -"
            ));
        }
    };
    for flag in ["image", "replicas", "port", "tcp", "node-port", "clusterip"] {
        let takes = match flag {
            "image" => matches!(what, "deployment" | "deploy" | "job"),
            "replicas" | "port" => matches!(what, "deployment" | "deploy"),
            _ => matches!(what, "service" | "svc"),
        };
        if p.given(flag) && !takes {
            return usage(format!("unknown flag: --{flag} for kubectl create {what}"));
        }
    }
    if p.given("from-literal") && !matches!(what, "configmap" | "cm") {
        return usage(format!(
            "unknown flag: --from-literal for kubectl create {what}"
        ));
    }
    if p.given("from") && what != "job" {
        return usage(format!("unknown flag: --from for kubectl create {what}"));
    }
    let mut obj = obj;
    if info.namespaced && dry == DryRun::Client && print != Print::Operation {
        // kubectl's client-side printing shows the namespace only when -n is given.
        if let (Some(n), Some(m)) = (
            p.namespace(),
            obj.get_mut("metadata").and_then(Value::as_object_mut),
        ) {
            m.insert("namespace".into(), Value::String(n.to_string()));
        }
    }
    let shown = if dry == DryRun::Client {
        obj
    } else {
        let mut req = create_request(&info, &ns, &obj);
        req.query = write_query(p, dry, FIELD_MANAGER);
        send_json(api, &req)?
    };
    Ok(Outcome::text(
        print.text(&info, &name, "created", dry, &shown),
    ))
}

/// The single `NAME` at `p.args[at]`, with nothing after it.
fn one_name(p: &Parsed, at: usize, what: &str) -> Result<String, Failure> {
    let name = name_at(p, at, what)?;
    if p.args.len() > at + 1 {
        return usage(format!(
            "exactly one NAME is required for kubectl create {what}, got {}",
            p.args.len() - at
        ));
    }
    Ok(name)
}

fn name_at(p: &Parsed, at: usize, what: &str) -> Result<String, Failure> {
    let Some(name) = p.args.get(at) else {
        return usage(format!("NAME is required for kubectl create {what}"));
    };
    validate_name(name).map_err(Failure::Usage)?;
    Ok(name.clone())
}

/// The container name kubectl derives from an image: the last path element without tag or
/// digest, `_` read as `-`.
pub fn container_name(image: &str) -> String {
    let last = image.rsplit('/').next().unwrap_or(image);
    let last = last.split(':').next().unwrap_or(last);
    let last = last.split('@').next().unwrap_or(last);
    last.replace('_', "-")
}

/// `kubectl create deployment NAME --image=IMG... [--replicas=N] [--port=P] [-- CMD...]`
/// (kubectl's `CreateDeploymentOptions.createDeployment`): label `app=NAME` on the
/// deployment, its selector and its pod template; one container per image.
pub fn deployment(p: &Parsed, name: &str, command: &[String]) -> Result<Value, Failure> {
    let images = values(p, "image", true);
    if images.is_empty() {
        return usage("required flag(s) \"image\" not set");
    }
    let replicas: i64 = match p.value("replicas") {
        None => 1,
        Some(r) => r.parse().ok().filter(|n| *n >= 0).ok_or_else(|| {
            Failure::Usage(format!(
                "invalid --replicas {r:?}: the number of replicas must be 0 or more"
            ))
        })?,
    };
    let port = match p.value("port") {
        None | Some("-1") => None,
        Some(v) => Some(port_number("--port", v)?),
    };
    if port.is_some() && images.len() != 1 {
        return usage("--port can only be used with a single image");
    }
    let mut containers = Vec::new();
    let mut used: Vec<String> = Vec::new();
    for image in &images {
        let mut cname = container_name(image);
        if used.contains(&cname) {
            let base = cname.clone();
            let mut n = 2;
            while used.contains(&cname) {
                cname = format!("{base}-{n}");
                n += 1;
            }
        }
        used.push(cname.clone());
        let mut c = json!({"name": cname, "image": image, "resources": {}});
        if !command.is_empty() {
            c["command"] = json!(command);
        }
        if let Some(port) = port {
            c["ports"] = json!([{"containerPort": port}]);
        }
        containers.push(c);
    }
    Ok(json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "strategy": {},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": containers},
            },
        },
        "status": {},
    }))
}

/// One `--tcp` value, `port[:targetPort]` (kubectl's `parsePorts`).
fn tcp_port(v: &str) -> Result<(i64, Value), Failure> {
    let (port, target) = match v.split_once(':') {
        Some((a, b)) => (a, Some(b)),
        None => (v, None),
    };
    let port = port_number("--tcp port", port)?;
    let target = match target {
        None => Value::from(port),
        Some(t) => match t.parse::<i64>() {
            Ok(_) => Value::from(port_number("--tcp target port", t)?),
            Err(_) if is_port_name(t) => Value::String(t.to_string()),
            Err(_) => {
                return usage(format!(
                    "invalid --tcp {v:?}: the target port must be a number or a port name (IANA_SVC_NAME)"
                ));
            }
        },
    };
    Ok((port, target))
}

/// Kubernetes' `IsValidPortName`: 1-15 lowercase alphanumerics or `-`, at least one letter,
/// no leading, trailing or double `-`.
fn is_port_name(n: &str) -> bool {
    !n.is_empty()
        && n.len() <= 15
        && n.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && n.bytes().any(|b| b.is_ascii_lowercase())
        && !n.starts_with('-')
        && !n.ends_with('-')
        && !n.contains("--")
}

/// `kubectl create service clusterip|nodeport|loadbalancer NAME --tcp=port[:target]...`
/// (kubectl's `ServiceOptions.createService`): ports named `port-target`, label and
/// selector `app=NAME`.
pub fn service(p: &Parsed, kind: &str, name: &str) -> Result<Value, Failure> {
    let ty = match kind {
        "clusterip" => "ClusterIP",
        "nodeport" => "NodePort",
        "loadbalancer" => "LoadBalancer",
        other => {
            return usage(format!(
                "kubectl create service {other} is not supported; use clusterip, nodeport or loadbalancer"
            ));
        }
    };
    let cluster_ip = p.value("clusterip");
    if cluster_ip.is_some() && ty != "ClusterIP" {
        return usage("--clusterip is only for kubectl create service clusterip");
    }
    let node_port = match p.value("node-port") {
        None | Some("0") => None,
        Some(_) if ty != "NodePort" => {
            return usage("--node-port is only for kubectl create service nodeport");
        }
        Some(v) => Some(port_number("--node-port", v)?),
    };
    let tcp = values(p, "tcp", true);
    if tcp.is_empty() && cluster_ip != Some("None") {
        return usage("at least one tcp port specifier must be provided");
    }
    let mut ports = Vec::new();
    for t in tcp {
        let (port, target) = tcp_port(t)?;
        let mut sp = json!({"name": t.replace(':', "-"), "port": port, "targetPort": target, "protocol": "TCP"});
        if let Some(np) = node_port {
            sp["nodePort"] = json!(np);
        }
        ports.push(sp);
    }
    let mut spec = json!({"type": ty, "selector": {"app": name}, "ports": ports});
    if let Some(ip) = cluster_ip {
        spec["clusterIP"] = json!(ip);
    }
    Ok(json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": spec,
        "status": {"loadBalancer": {}},
    }))
}

/// Kubernetes' `IsConfigMapKey`: `[-._a-zA-Z0-9]+`, at most 253 characters, not `.` or `..`.
fn is_config_map_key(k: &str) -> bool {
    !k.is_empty()
        && k.len() <= 253
        && k != "."
        && k != ".."
        && k.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
}

/// `kubectl create configmap NAME --from-literal=key=value...` (kubectl's
/// `ConfigMapOptions.createConfigMap`). Files and env files cannot be read here.
pub fn configmap(p: &Parsed, name: &str) -> Result<Value, Failure> {
    let mut data = Map::new();
    for lit in values(p, "from-literal", false) {
        let Some((k, v)) = lit.split_once('=').filter(|(k, _)| !k.is_empty()) else {
            return usage(format!("invalid literal source {lit}, expected key=value"));
        };
        if !is_config_map_key(k) {
            return usage(format!(
                "{k:?} is not a valid key name for a ConfigMap: a valid config key must consist of alphanumeric characters, '-', '_' or '.'"
            ));
        }
        if data.contains_key(k) {
            return usage(format!(
                "cannot add key {k}, another key by that name already exists in Data for ConfigMap \"{name}\""
            ));
        }
        data.insert(k.to_string(), Value::String(v.to_string()));
    }
    let mut obj = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}});
    if !data.is_empty() {
        obj["data"] = Value::Object(data);
    }
    Ok(obj)
}

/// `kubectl create job NAME --image=IMG [-- CMD...]` or `--from=cronjob/NAME` (kubectl's
/// `CreateJobOptions`): a one-container job with `restartPolicy: Never`, or a copy of the
/// cron job's job template annotated `cronjob.kubernetes.io/instantiate: manual` and owned
/// by the cron job.
pub fn job(
    p: &Parsed,
    name: &str,
    command: &[String],
    ns: &str,
    api: &mut dyn Api,
) -> Result<Value, Failure> {
    let image = p.value("image");
    match (image, p.value("from")) {
        (Some(_), Some(_)) => usage("either --image or --from must be specified, not both"),
        (None, None) => usage("either --image or --from must be specified"),
        (Some(image), None) => {
            let mut c = json!({"name": name, "image": image, "resources": {}});
            if !command.is_empty() {
                c["command"] = json!(command);
            }
            Ok(json!({
                "apiVersion": "batch/v1",
                "kind": "Job",
                "metadata": {"name": name},
                "spec": {"template": {"metadata": {}, "spec": {"containers": [c], "restartPolicy": "Never"}}},
                "status": {},
            }))
        }
        (None, Some(from)) => {
            if !command.is_empty() {
                return usage("cannot specify --from and command");
            }
            let cj_name = match from.split_once('/') {
                Some(("cronjob" | "cronjobs" | "cj" | "cronjob.batch", n)) => n,
                _ => {
                    return usage(format!(
                        "from must be an existing cronjob, as cronjob/NAME: {from:?}"
                    ));
                }
            };
            validate_name(cj_name).map_err(Failure::Usage)?;
            let cj_info = builtin("batch", "v1", "cronjobs", "CronJob");
            let cj = send_json(api, &request(Verb::Get, &cj_info, Some(ns), Some(cj_name)))?;
            let tmpl = cj
                .pointer("/spec/jobTemplate")
                .cloned()
                .unwrap_or(json!({}));
            let mut annotations = Map::new();
            annotations.insert(
                "cronjob.kubernetes.io/instantiate".into(),
                Value::String("manual".into()),
            );
            if let Some(a) = tmpl
                .pointer("/metadata/annotations")
                .and_then(Value::as_object)
            {
                for (k, v) in a {
                    annotations.insert(k.clone(), v.clone());
                }
            }
            let mut meta = json!({
                "name": name,
                "annotations": annotations,
                "ownerReferences": [{
                    "apiVersion": "batch/v1",
                    "kind": "CronJob",
                    "name": s(&cj, &["metadata", "name"]),
                    "uid": s(&cj, &["metadata", "uid"]),
                    "controller": true,
                }],
            });
            if let Some(l) = tmpl.pointer("/metadata/labels") {
                meta["labels"] = l.clone();
            }
            Ok(json!({
                "apiVersion": "batch/v1",
                "kind": "Job",
                "metadata": meta,
                "spec": tmpl.get("spec").cloned().unwrap_or(json!({})),
            }))
        }
    }
}

/// `kubectl create -f -`: one `POST` per document of the `manifest` argument (YAML or JSON,
/// `---`-separated, `List`s flattened), in the document's namespace or `-n`'s.
pub fn from_manifest(p: &Parsed, ctx: &Ctx, api: &mut dyn Api) -> CmdResult {
    match p.value("filename") {
        Some("-") | None => {}
        Some(f) => {
            return usage(format!(
                "create -f {f}: files cannot be read; pass the manifest (YAML or JSON) in the `manifest` argument and use `create -f -`"
            ));
        }
    }
    if !p.args.is_empty() {
        return usage(format!(
            "kubectl create -f - takes no arguments (found {:?})",
            p.args
        ));
    }
    let manifest = match ctx.manifest.as_deref() {
        Some(m) if !m.trim().is_empty() => m,
        _ => {
            return usage(
                "create -f - reads the manifest from the `manifest` argument, which is empty",
            );
        }
    };
    let docs = parse_manifest(manifest).map_err(Failure::Usage)?;
    if docs.is_empty() {
        return usage("no objects passed to create");
    }
    let print = Print::from(p)?;
    let dry = DryRun::from(p)?;
    let query = write_query(p, dry, FIELD_MANAGER);
    let flag_ns = p.namespace();
    let default_ns = namespace(p, ctx).to_string();
    let mut resources: Option<Vec<ResourceInfo>> = None;
    let mut report = Report::default();
    for doc in docs {
        let av = s(&doc, &["apiVersion"]);
        let kind = s(&doc, &["kind"]);
        let name = s(&doc, &["metadata", "name"]);
        let generate = s(&doc, &["metadata", "generateName"]);
        if av.is_empty() || kind.is_empty() {
            report
                .messages
                .push("error: every object needs apiVersion and kind".to_string());
            continue;
        }
        if name.is_empty() && generate.is_empty() {
            report.messages.push(format!(
                "error: a {kind} needs metadata.name or metadata.generateName"
            ));
            continue;
        }
        if !name.is_empty()
            && let Err(e) = validate_name(name)
        {
            report.messages.push(format!("error: {e}"));
            continue;
        }
        let Mapped { info, ns, body } =
            match map_document(api, &mut resources, &doc, flag_ns, &default_ns)? {
                Ok(m) => m,
                Err(line) => {
                    report.messages.push(line);
                    continue;
                }
            };
        let shown = if dry == DryRun::Client {
            body
        } else {
            let mut req = create_request(&info, &ns, &body);
            req.query = query.clone();
            match send_json(api, &req) {
                Ok(v) => v,
                Err(Failure::Kube(e)) => {
                    report.errors.push(e);
                    continue;
                }
                Err(other) => return Err(other),
            }
        };
        let shown_name = match s(&shown, &["metadata", "name"]) {
            "" => name.to_string(),
            n => n.to_string(),
        };
        report
            .out
            .push_str(&print.text(&info, &shown_name, "created", dry, &shown));
    }
    report.finish()
}

#[cfg(test)]
mod tests {
    use super::super::testing::{Fake, ok_json, run_line};
    use super::*;
    use kap_sdk::api::Verb;

    fn body(r: &kap_sdk::api::Request) -> Value {
        serde_json::from_str(r.body.as_deref().unwrap()).unwrap()
    }

    #[test]
    fn create_namespace() {
        let mut f = Fake::new();
        f.on(|r| {
            assert!(matches!(r.verb, Verb::Create));
            assert_eq!(r.resource, "namespaces");
            assert_eq!(r.namespace, None);
            assert_eq!(r.name, None);
            assert_eq!(
                r.query,
                vec![("fieldManager".to_string(), "kubectl-create".to_string())]
            );
            assert_eq!(body(r)["metadata"]["name"], "team-a");
            ok_json(body(r))
        });
        assert_eq!(
            run_line(&mut f, "create namespace team-a").unwrap().text,
            "namespace/team-a created\n"
        );
        assert_eq!(
            run_line(&mut f, "create ns team-a -o name").unwrap().text,
            "namespace/team-a\n"
        );
        assert!(format!("{:?}", run_line(&mut f, "create ns Bad_Name")).contains("DNS label"));
    }

    #[test]
    fn create_deployment() {
        let mut f = Fake::new();
        f.on(|r| {
            assert_eq!(r.group, "apps");
            assert_eq!(r.resource, "deployments");
            assert_eq!(r.namespace.as_deref(), Some("prod"));
            let b = body(r);
            assert_eq!(b["metadata"]["labels"]["app"], "web");
            assert_eq!(b["spec"]["replicas"], 3);
            assert_eq!(b["spec"]["selector"]["matchLabels"]["app"], "web");
            let c = &b["spec"]["template"]["spec"]["containers"][0];
            assert_eq!(c["name"], "nginx");
            assert_eq!(c["image"], "registry.k8s.io/nginx:1.27");
            assert_eq!(c["ports"][0]["containerPort"], 8080);
            assert_eq!(c["command"], json!(["sleep", "3600"]));
            ok_json(b)
        });
        let out = run_line(
            &mut f,
            "create deployment web --image=registry.k8s.io/nginx:1.27 --replicas=3 --port=8080 -n prod -- sleep 3600",
        )
        .unwrap();
        assert_eq!(out.text, "deployment.apps/web created\n");
        let mut f = Fake::new();
        assert!(
            format!("{:?}", run_line(&mut f, "create deploy web")).contains("required flag(s)")
        );
        assert!(
            format!(
                "{:?}",
                run_line(&mut f, "create deploy web --image=a --image=b --port=80")
            )
            .contains("single image")
        );
        // A client dry run sends nothing and can print the object.
        let out = run_line(
            &mut f,
            "create deploy web --image=busybox --dry-run=client -o yaml",
        )
        .unwrap();
        assert!(out.text.contains("kind: Deployment"), "{}", out.text);
        assert!(f.requests.is_empty());
        assert_eq!(container_name("ghcr.io/org/my_app@sha256:abc"), "my-app");
    }

    #[test]
    fn create_service() {
        let mut f = Fake::new();
        f.on(|r| {
            assert_eq!(r.resource, "services");
            let b = body(r);
            assert_eq!(b["spec"]["type"], "NodePort");
            assert_eq!(b["spec"]["selector"], json!({"app": "web"}));
            assert_eq!(
                b["spec"]["ports"],
                json!([{"name": "80-8080", "port": 80, "targetPort": 8080, "protocol": "TCP", "nodePort": 30080},
                       {"name": "443-https", "port": 443, "targetPort": "https", "protocol": "TCP", "nodePort": 30080}])
            );
            ok_json(b)
        });
        assert_eq!(
            run_line(
                &mut f,
                "create service nodeport web --tcp=80:8080,443:https --node-port=30080"
            )
            .unwrap()
            .text,
            "service/web created\n"
        );
        let mut f = Fake::new();
        assert!(
            format!("{:?}", run_line(&mut f, "create svc clusterip web"))
                .contains("at least one tcp port")
        );
        assert!(
            format!(
                "{:?}",
                run_line(&mut f, "create svc externalname web --tcp=80")
            )
            .contains("not supported")
        );
        f.on(|r| {
            assert_eq!(body(r)["spec"]["clusterIP"], "None");
            ok_json(json!({}))
        });
        assert!(
            run_line(&mut f, "create svc clusterip db --clusterip=None")
                .unwrap()
                .text
                .contains("service/db created")
        );
    }

    #[test]
    fn create_configmap() {
        let mut f = Fake::new();
        f.on(|r| {
            assert_eq!(
                body(r)["data"],
                json!({"a": "1", "b.txt": "x=y,z", "empty": ""})
            );
            ok_json(json!({}))
        });
        assert_eq!(
            run_line(
                &mut f,
                "create configmap cfg --from-literal=a=1 --from-literal b.txt=x=y,z --from-literal=empty="
            )
            .unwrap()
            .text,
            "configmap/cfg created\n"
        );
        assert!(
            format!(
                "{:?}",
                run_line(&mut f, "create cm c --from-literal=a=1 --from-literal=a=2")
            )
            .contains("cannot add key a")
        );
        assert!(
            format!(
                "{:?}",
                run_line(&mut f, "create cm c --from-literal=novalue")
            )
            .contains("expected key=value")
        );
    }

    #[test]
    fn create_job() {
        let mut f = Fake::new();
        f.on(|r| {
            assert_eq!(r.group, "batch");
            let b = body(r);
            assert_eq!(b["spec"]["template"]["spec"]["restartPolicy"], "Never");
            let c = &b["spec"]["template"]["spec"]["containers"][0];
            assert_eq!(c["name"], "once");
            assert_eq!(c["command"], json!(["echo", "-n", "hi"]));
            ok_json(b)
        });
        assert_eq!(
            run_line(&mut f, "create job once --image=busybox -- echo -n hi")
                .unwrap()
                .text,
            "job.batch/once created\n"
        );
        let mut f = Fake::new();
        f.on(|r| match r.verb {
            Verb::Get => {
                assert_eq!(r.resource, "cronjobs");
                ok_json(json!({"metadata": {"name": "nightly", "uid": "u1"},
                    "spec": {"jobTemplate": {"metadata": {"labels": {"a": "b"}}, "spec": {"backoffLimit": 2}}}}))
            }
            _ => {
                let b = body(r);
                assert_eq!(
                    b["metadata"]["annotations"]["cronjob.kubernetes.io/instantiate"],
                    "manual"
                );
                assert_eq!(b["metadata"]["ownerReferences"][0]["uid"], "u1");
                assert_eq!(b["spec"]["backoffLimit"], 2);
                ok_json(b)
            }
        });
        assert_eq!(
            run_line(&mut f, "create job manual-1 --from=cronjob/nightly")
                .unwrap()
                .text,
            "job.batch/manual-1 created\n"
        );
    }

    #[test]
    fn create_from_manifest() {
        let mut f = Fake::new();
        f.ctx.manifest = Some(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Pod\nmetadata: {generateName: p-}\n".into(),
        );
        f.on(|r| {
            assert!(matches!(r.verb, Verb::Create));
            assert_eq!(r.namespace.as_deref(), Some("team"));
            let mut b = body(r);
            if b["kind"] == "Pod" {
                b["metadata"]["name"] = json!("p-x1");
            }
            ok_json(b)
        });
        assert_eq!(
            run_line(&mut f, "create -f - -n team").unwrap().text,
            "configmap/a created\npod/p-x1 created\n"
        );
        let mut f = Fake::new();
        assert!(
            format!("{:?}", run_line(&mut f, "create -f x.yaml")).contains("files cannot be read")
        );
        assert!(
            format!("{:?}", run_line(&mut f, "create secret generic s")).contains("not supported")
        );
    }
}
