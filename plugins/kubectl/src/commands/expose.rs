//! `kubectl expose TYPE NAME --port=P [--target-port=T] [--type=T] [--name=N]` (a Service
//! selecting the object's pods) and `kubectl autoscale TYPE NAME --max=M [--min=N]
//! [--cpu-percent=P]` (an `autoscaling/v2` HorizontalPodAutoscaler). Both read the object
//! first (`GET`), build the new object as kubectl's generators do and `POST` it.

use serde_json::{Map, Value, json};

use super::common::{DryRun, namespace, refuse_flags, resolve};
use super::create::builtin;
use super::writes::{Print, create_request, int_or_string, port_number, write_query};
use crate::targets::{parse_targets, validate_name};
use kap_sdk::api::{
    Api, CmdResult, Ctx, Failure, Outcome, ResourceInfo, Verb, api_version, arr, get, kind_group,
    request, s, send_json, usage,
};
use kap_sdk::cli::Parsed;

/// The one object a command names, resolved and read.
fn one_object(
    p: &Parsed,
    ctx: &Ctx,
    api: &mut dyn Api,
) -> Result<(ResourceInfo, String, Value), Failure> {
    let targets = parse_targets(&p.args).map_err(Failure::Usage)?;
    let (type_name, name) = match targets.as_slice() {
        [t] if t.names.len() == 1 => (t.type_name.clone(), t.names[0].clone()),
        _ => {
            return usage(format!(
                "kubectl {} needs exactly one object: TYPE NAME or TYPE/NAME, e.g. deployment/web",
                p.sub
            ));
        }
    };
    let info = resolve(api, &type_name)?;
    let obj = send_json(
        api,
        &request(Verb::Get, &info, Some(namespace(p, ctx)), Some(&name)),
    )?;
    Ok((info, name, obj))
}

/// The pod selector of an object as a label map (kubectl's `MapBasedSelectorForObject`).
pub fn map_selector(info: &ResourceInfo, obj: &Value) -> Result<Map<String, Value>, String> {
    let kind = info.kind.as_str();
    let sel = match kind {
        "Deployment" | "ReplicaSet" => {
            if !arr(obj, &["spec", "selector", "matchExpressions"]).is_empty() {
                return Err(format!(
                    "couldn't convert the {kind}'s selector to a map: it has matchExpressions"
                ));
            }
            get(obj, &["spec", "selector", "matchLabels"])
        }
        "Service" | "ReplicationController" => get(obj, &["spec", "selector"]),
        "Pod" => get(obj, &["metadata", "labels"]),
        other => {
            return Err(format!(
                "cannot expose a {other}: only deployments, replica sets, replication controllers, services and pods can be exposed"
            ));
        }
    };
    match sel.and_then(Value::as_object) {
        Some(m) if !m.is_empty() => Ok(m.clone()),
        _ => Err(format!(
            "couldn't retrieve selectors via --selector flag or introspection: the {kind} has none"
        )),
    }
}

/// The ports of an object with their protocols (kubectl's `PortsForObject` and
/// `ProtocolsForObject`): a service's ports, else the containers' ports.
pub fn object_ports(info: &ResourceInfo, obj: &Value) -> Vec<(i64, String)> {
    let proto = |p: &Value| match s(p, &["protocol"]) {
        "" => "TCP".to_string(),
        x => x.to_string(),
    };
    if info.kind == "Service" {
        return arr(obj, &["spec", "ports"])
            .iter()
            .filter_map(|p| Some((p.get("port")?.as_i64()?, proto(p))))
            .collect();
    }
    let spec = if info.kind == "Pod" {
        get(obj, &["spec"])
    } else {
        get(obj, &["spec", "template", "spec"])
    };
    let mut out: Vec<(i64, String)> = Vec::new();
    for c in spec
        .and_then(|s| s.get("containers"))
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
    {
        for p in arr(c, &["ports"]) {
            if let Some(n) = p.get("containerPort").and_then(Value::as_i64) {
                out.push((n, proto(p)));
            }
        }
    }
    out
}

/// Runs `kubectl expose`: a Service named after the object (or `--name`), with the
/// object's labels and pod selector, one port per `--port` (or per port found on the
/// object, named `port-1`, `port-2`, ... when there are several), `targetPort` from
/// `--target-port` or the same as the port.
pub fn run_expose(p: &Parsed, ctx: &Ctx, api: &mut dyn Api) -> CmdResult {
    let print = Print::from(p)?;
    let dry = DryRun::from(p)?;
    if let Some(n) = p.value("name") {
        validate_name(n).map_err(Failure::Usage)?;
    }
    let port = match p.value("port") {
        None | Some("") => None,
        Some(v) => Some(port_number("--port", v)?),
    };
    let (info, name, obj) = one_object(p, ctx, api)?;
    let selector =
        map_selector(&info, &obj).map_err(|e| Failure::Message(format!("error: {e}")))?;
    let found = object_ports(&info, &obj);
    let ports: Vec<(i64, String)> = match port {
        Some(n) => {
            let proto = found
                .iter()
                .find(|(x, _)| *x == n)
                .map(|(_, pr)| pr.clone())
                .unwrap_or_else(|| "TCP".into());
            vec![(n, proto)]
        }
        None if found.is_empty() => {
            return Err(Failure::Message(
                "error: couldn't find port via --port flag or introspection".into(),
            ));
        }
        None => found,
    };
    let mut sports = Vec::new();
    for (i, (n, proto)) in ports.iter().enumerate() {
        let mut sp = json!({
            "port": n,
            "protocol": p.value("protocol").unwrap_or(proto),
            "targetPort": p.value("target-port").map(int_or_string).unwrap_or(json!(n)),
        });
        if ports.len() > 1 {
            sp["name"] = json!(format!("port-{}", i + 1));
        }
        sports.push(sp);
    }
    let svc_name = p.value("name").unwrap_or(&name).to_string();
    let mut meta = json!({"name": svc_name});
    if let Some(l) =
        get(&obj, &["metadata", "labels"]).filter(|l| l.as_object().is_some_and(|m| !m.is_empty()))
    {
        meta["labels"] = l.clone();
    }
    let mut spec = json!({"ports": sports, "selector": selector});
    if let Some(t) = p.value("type") {
        if !matches!(
            t,
            "ClusterIP" | "NodePort" | "LoadBalancer" | "ExternalName"
        ) {
            return usage(format!(
                "invalid --type {t:?}: must be ClusterIP, NodePort, LoadBalancer or ExternalName"
            ));
        }
        spec["type"] = json!(t);
    }
    let svc = json!({"apiVersion": "v1", "kind": "Service", "metadata": meta, "spec": spec});
    let info_svc = builtin("", "v1", "services", "Service");
    let ns = namespace(p, ctx).to_string();
    let shown = if dry == DryRun::Client {
        svc
    } else {
        let mut req = create_request(&info_svc, &ns, &svc);
        req.query = write_query(p, dry, "kubectl-expose");
        send_json(api, &req)?
    };
    Ok(Outcome::text(
        print.text(&info_svc, &svc_name, "exposed", dry, &shown),
    ))
}

/// Runs `kubectl autoscale`: an `autoscaling/v2` HorizontalPodAutoscaler named after the
/// object (or `--name`) targeting it, `maxReplicas` from `--max`, `minReplicas` from `--min`
/// when given, and a CPU utilization metric when `--cpu-percent` is given.
pub fn run_autoscale(p: &Parsed, ctx: &Ctx, api: &mut dyn Api) -> CmdResult {
    refuse_flags(p, &[])?;
    let print = Print::from(p)?;
    let dry = DryRun::from(p)?;
    let num = |flag: &str| -> Result<Option<i64>, Failure> {
        match p.value(flag) {
            None => Ok(None),
            Some(v) => v
                .parse::<i64>()
                .map(Some)
                .map_err(|_| Failure::Usage(format!("invalid --{flag} {v:?}: not a number"))),
        }
    };
    let max = num("max")?.unwrap_or(-1);
    let min = num("min")?.unwrap_or(-1);
    let cpu = num("cpu-percent")?.unwrap_or(-1);
    if max < 1 {
        return usage(format!(
            "--max=MAXPODS is required and must be at least 1, max: {max}"
        ));
    }
    if max < min {
        return usage(format!(
            "--max=MAXPODS must be larger or equal to --min=MINPODS, max: {max}, min: {min}"
        ));
    }
    if let Some(n) = p.value("name") {
        validate_name(n).map_err(Failure::Usage)?;
    }
    let (info, name, _obj) = one_object(p, ctx, api)?;
    if !matches!(
        info.kind.as_str(),
        "Deployment" | "ReplicaSet" | "StatefulSet" | "ReplicationController"
    ) {
        return usage(format!(
            "cannot autoscale a {}: only deployments, replica sets, stateful sets and replication controllers",
            kind_group(&info)
        ));
    }
    let hpa_name = p.value("name").unwrap_or(&name).to_string();
    let mut spec = json!({
        "scaleTargetRef": {"apiVersion": api_version(&info.group, &info.version), "kind": info.kind, "name": name},
        "maxReplicas": max,
    });
    if min > 0 {
        spec["minReplicas"] = json!(min);
    }
    if cpu >= 0 {
        spec["metrics"] = json!([{"type": "Resource", "resource": {"name": "cpu",
            "target": {"type": "Utilization", "averageUtilization": cpu}}}]);
    }
    let hpa = json!({
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": hpa_name},
        "spec": spec,
    });
    let info_hpa = builtin(
        "autoscaling",
        "v2",
        "horizontalpodautoscalers",
        "HorizontalPodAutoscaler",
    );
    let ns = namespace(p, ctx).to_string();
    let shown = if dry == DryRun::Client {
        hpa
    } else {
        let mut req = create_request(&info_hpa, &ns, &hpa);
        req.query = write_query(p, dry, "kubectl-autoscale");
        send_json(api, &req)?
    };
    Ok(Outcome::text(print.text(
        &info_hpa,
        &hpa_name,
        "autoscaled",
        dry,
        &shown,
    )))
}

#[cfg(test)]
mod tests {
    use super::super::testing::{Fake, ok_json, run_line};
    use super::*;

    fn deploy() -> Value {
        json!({"metadata": {"name": "web", "labels": {"app": "web"}},
            "spec": {"selector": {"matchLabels": {"app": "web"}},
              "template": {"spec": {"containers": [{"name": "c", "ports": [{"containerPort": 8080}, {"containerPort": 53, "protocol": "UDP"}]}]}}}})
    }

    #[test]
    fn expose_deployment() {
        let mut f = Fake::new();
        f.on(|r| match r.verb {
            Verb::Get => ok_json(deploy()),
            _ => {
                assert_eq!(r.resource, "services");
                assert_eq!(r.query[0].1, "kubectl-expose");
                let b: Value = serde_json::from_str(r.body.as_deref().unwrap()).unwrap();
                assert_eq!(b["spec"]["selector"], json!({"app": "web"}));
                assert_eq!(b["metadata"]["labels"], json!({"app": "web"}));
                assert_eq!(b["metadata"]["name"], "web-svc");
                assert_eq!(
                    b["spec"]["ports"],
                    json!([{"port": 80, "protocol": "TCP", "targetPort": 8080}])
                );
                assert_eq!(b["spec"]["type"], "NodePort");
                ok_json(b)
            }
        });
        assert_eq!(
            run_line(
                &mut f,
                "expose deployment web --port=80 --target-port=8080 --type=NodePort --name=web-svc"
            )
            .unwrap()
            .text,
            "service/web-svc exposed\n"
        );
        // Without --port, the containers' ports are used.
        f.on(|r| match r.verb {
            Verb::Get => ok_json(deploy()),
            _ => {
                let b: Value = serde_json::from_str(r.body.as_deref().unwrap()).unwrap();
                assert_eq!(
                    b["spec"]["ports"],
                    json!([{"name": "port-1", "port": 8080, "protocol": "TCP", "targetPort": 8080},
                           {"name": "port-2", "port": 53, "protocol": "UDP", "targetPort": 53}])
                );
                ok_json(b)
            }
        });
        assert_eq!(
            run_line(&mut f, "expose deploy/web").unwrap().text,
            "service/web exposed\n"
        );
    }

    #[test]
    fn autoscale_creates_a_v2_hpa() {
        let mut f = Fake::new();
        f.on(|r| match r.verb {
            Verb::Get => ok_json(deploy()),
            _ => {
                assert_eq!(r.group, "autoscaling");
                assert_eq!(r.version, "v2");
                assert_eq!(r.resource, "horizontalpodautoscalers");
                let b: Value = serde_json::from_str(r.body.as_deref().unwrap()).unwrap();
                assert_eq!(
                    b["spec"],
                    json!({"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                        "minReplicas": 2, "maxReplicas": 5,
                        "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}}]})
                );
                ok_json(b)
            }
        });
        assert_eq!(
            run_line(
                &mut f,
                "autoscale deployment web --min=2 --max=5 --cpu-percent=70"
            )
            .unwrap()
            .text,
            "horizontalpodautoscaler.autoscaling/web autoscaled\n"
        );
        assert!(
            format!("{:?}", run_line(&mut f, "autoscale deploy web")).contains("--max=MAXPODS")
        );
        assert!(
            format!(
                "{:?}",
                run_line(&mut f, "autoscale deploy web --min=3 --max=2")
            )
            .contains("larger or equal")
        );
    }
}
