//! `kubectl cluster-info` and `kubectl config get-contexts`, limited to what the plugin can
//! know: it never sees the kubeconfig, the API server's address or any credential.

use serde_json::Value;

use kap_sdk::api::{
    Api, CmdResult, Ctx, Failure, Outcome, Verb, arr, core, list_items, request, s, send_json,
    usage,
};
use kap_sdk::cli::Parsed;
use kap_sdk::tabwriter;

/// The stand-in for the API server's address, which the plugin is not told.
pub const SERVER: &str = "<server>";

/// `kubectl cluster-info`: the control plane line, then one line per service in
/// `kube-system` labelled `kubernetes.io/cluster-service=true` (named by its
/// `kubernetes.io/name` label), with its proxy path as kubectl builds it. The API server's
/// address is not available to the plugin: the control plane line gives the server version
/// and the in-cluster address of the `default/kubernetes` service instead, and the proxy
/// links start with `<server>`.
pub fn cluster_info(p: &Parsed, api: &mut dyn Api) -> CmdResult {
    match p.args.first().map(String::as_str) {
        None => {}
        Some("dump") => {
            return usage(
                "kubectl cluster-info dump is not available: it dumps every object and log of the cluster; use get, describe, events and logs for what you need",
            );
        }
        Some(other) => {
            return usage(format!(
                "unknown command {other:?} for kubectl cluster-info"
            ));
        }
    }
    let version: Value = serde_json::from_str(&api.server_version()?)
        .map_err(|e| Failure::Message(format!("the server's /version answer is not JSON: {e}")))?;
    let svc = core("services", "Service", true);
    let in_cluster = match send_json(
        api,
        &request(Verb::Get, &svc, Some("default"), Some("kubernetes")),
    ) {
        Ok(k) => {
            let port = arr(&k, &["spec", "ports"])
                .first()
                .and_then(|p| p.get("port"))
                .and_then(Value::as_i64)
                .unwrap_or(443);
            format!(
                "; in-cluster address https://{}:{port} (service default/kubernetes)",
                s(&k, &["spec", "clusterIP"])
            )
        }
        Err(_) => String::new(),
    };
    let mut out = format!(
        "Kubernetes control plane {} is running (its address is not available to this tool{in_cluster})\n",
        s(&version, &["gitVersion"])
    );
    let services = list_items(
        api,
        &svc,
        Some("kube-system"),
        vec![(
            "labelSelector".into(),
            "kubernetes.io/cluster-service=true".into(),
        )],
    )?;
    for service in &services {
        let svc_name = s(service, &["metadata", "name"]);
        let ingress = arr(service, &["status", "loadBalancer", "ingress"]);
        let link = if let Some(ing) = ingress.first() {
            let ip = match s(ing, &["ip"]) {
                "" => s(ing, &["hostname"]),
                ip => ip,
            };
            arr(service, &["spec", "ports"])
                .iter()
                .map(|p| {
                    format!(
                        "http://{ip}:{} ",
                        p.get("port").and_then(Value::as_i64).unwrap_or(0)
                    )
                })
                .collect::<String>()
        } else {
            let mut name = svc_name.to_string();
            if let Some(port) = arr(service, &["spec", "ports"]).first() {
                let pname = s(port, &["name"]);
                let number = port.get("port").and_then(Value::as_i64).unwrap_or(0);
                let scheme = if pname == "https" || number == 443 {
                    "https"
                } else {
                    ""
                };
                // utilnet.JoinSchemeNamePort
                name = match (scheme, pname) {
                    ("", "") => svc_name.to_string(),
                    ("", p) => format!("{svc_name}:{p}"),
                    (sc, p) => format!("{sc}:{svc_name}:{p}"),
                };
            }
            format!("{SERVER}/api/v1/namespaces/kube-system/services/{name}/proxy")
        };
        let shown = match s(service, &["metadata", "labels", "kubernetes.io/name"]) {
            "" => svc_name,
            n => n,
        };
        out.push_str(&format!("{shown} is running at {link}\n"));
    }
    out.push_str("\n(`kubectl cluster-info dump` is not available here; use get, describe, events and logs to diagnose cluster problems.)\n");
    Ok(Outcome::text(out))
}

/// `kubectl config get-contexts [NAME] [-o name]`: the plugin is told only the name of the
/// context the host acts in, so that is the one context listed, marked current.
pub fn get_contexts(p: &Parsed, ctx: &Ctx) -> CmdResult {
    let names = &p.args[1..];
    if let Some(n) = names.iter().find(|n| **n != ctx.kube_context) {
        return Err(Failure::Message(format!("error: context {n} not found")));
    }
    match p.value("output") {
        Some("name") => Ok(Outcome::text(format!("{}\n", ctx.kube_context))),
        Some(o) => usage(format!(
            "output format {o:?} is not supported for config get-contexts; use name"
        )),
        None => Ok(Outcome::text(tabwriter::table(&[
            vec!["CURRENT".into(), "NAME".into()],
            vec!["*".into(), ctx.kube_context.clone()],
        ]))),
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{Fake, ok_json, run_line};
    use kap_sdk::api::Verb;
    use serde_json::json;

    #[test]
    fn cluster_info_lists_cluster_services() {
        let mut f = Fake::new();
        f.on(|r| match r.verb {
            Verb::Get => {
                assert_eq!(r.name.as_deref(), Some("kubernetes"));
                ok_json(json!({"spec": {"clusterIP": "10.96.0.1", "ports": [{"name": "https", "port": 443}]}}))
            }
            _ => {
                assert_eq!(r.namespace.as_deref(), Some("kube-system"));
                ok_json(json!({"items": [{"metadata": {"name": "kube-dns", "labels": {"kubernetes.io/name": "CoreDNS"}},
                    "spec": {"ports": [{"name": "dns", "port": 53}]}}]}))
            }
        });
        let out = run_line(&mut f, "cluster-info").unwrap().text;
        assert!(
            out.starts_with("Kubernetes control plane v1.36.4 is running (its address is not available to this tool; in-cluster address https://10.96.0.1:443 (service default/kubernetes))\n"),
            "{out}"
        );
        assert!(out.contains(
            "CoreDNS is running at <server>/api/v1/namespaces/kube-system/services/kube-dns:dns/proxy\n"
        ));
        assert!(format!("{:?}", run_line(&mut f, "cluster-info dump")).contains("not available"));
    }

    #[test]
    fn get_contexts_shows_the_one_in_use() {
        let mut f = Fake::new();
        assert_eq!(
            run_line(&mut f, "config get-contexts").unwrap().text,
            "CURRENT   NAME\n*         kind-test\n"
        );
        assert_eq!(
            run_line(&mut f, "config get-contexts -o name")
                .unwrap()
                .text,
            "kind-test\n"
        );
        assert!(
            format!("{:?}", run_line(&mut f, "config get-contexts prod"))
                .contains("context prod not found")
        );
        assert!(format!("{:?}", run_line(&mut f, "config view")).contains("not available"));
    }
}
