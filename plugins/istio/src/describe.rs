//! `istioctl x describe pod|service NAME`: the Istio configuration that applies to a
//! workload, in istioctl's layout (`istioctl/pkg/describe/describe.go`: `Pod: name.ns`,
//! `Service: name.ns`, `DestinationRule: name.ns for "host"`, `VirtualService: name.ns`,
//! PeerAuthentication and AuthorizationPolicies), computed from the Kubernetes API. What
//! istioctl reads from Envoy's admin port (the routes a proxy really has) is not shown.

use std::collections::BTreeMap;

use kap_sdk::Request;
use kap_sdk::api::{self, Api, Ctx, Failure, Outcome};
use kap_sdk::serde_json::{Value, json};

use crate::cli::Command;
use crate::model::{self, arr, fqdn, selector_matches, str_at, string_map, strings};
use crate::snapshot::{self, Kind};

const KINDS: &[Kind] = &[
    snapshot::PODS,
    snapshot::SERVICES,
    snapshot::VIRTUAL_SERVICES,
    snapshot::DESTINATION_RULES,
    snapshot::GATEWAYS,
    snapshot::PEER_AUTHENTICATIONS,
    snapshot::AUTHORIZATION_POLICIES,
];

fn kname(v: &Value) -> String {
    format!("{}.{}", model::name(v), model::namespace(v))
}

/// `name.namespace` in a describe argument names the namespace (istioctl's
/// `inferPodInfo`): `web-1.shop` is pod `web-1` in `shop`.
fn split_name<'a>(arg: &'a str, ns: &'a str) -> (&'a str, &'a str) {
    match arg.split_once('.') {
        Some((n, rest)) if !rest.is_empty() && !rest.contains('.') => (n, rest),
        _ => (arg, ns),
    }
}

/// Runs `x describe`.
pub fn describe(api: &mut dyn Api, cmd: &Command, ctx: &Ctx) -> Result<Outcome, Failure> {
    let args = &cmd.parsed.args; // ["describe", kind, name]
    let kind = args[1].as_str();
    let ns_flag = cmd.parsed.namespace().unwrap_or(&ctx.default_namespace);
    let (name, ns) = split_name(&args[2], ns_flag);
    let pod_kind = matches!(kind, "pod" | "po" | "pods");
    let resource = if pod_kind { "pods" } else { "services" };
    let target: Value = api::send_json(api, &Request::get("", "v1", resource, name).namespace(ns))?;
    let snap = snapshot::load(api, KINDS, Some(ns), cmd.istio_namespace());
    let mut out = String::new();
    let mut facts = json!({});
    if pod_kind {
        describe_pod(&snap, &target, &mut out, &mut facts);
    } else {
        describe_service(&snap, &target, &mut out, &mut facts);
    }
    let unread = snap.unread_in(Some(ns));
    if !unread.is_empty() {
        out.push_str("\nNot read (the configuration above may be incomplete):\n");
        for u in &unread {
            out.push_str(&format!("  - {}\n", u.line()));
        }
    }
    Ok(Outcome {
        text: out,
        structured: Some(facts),
        is_error: false,
    })
}

fn pod_ports(pod: &Value) -> Vec<String> {
    let mut ports = Vec::new();
    for c in arr(pod, "/spec/containers") {
        for p in arr(c, "/ports") {
            ports.push(format!(
                "{}/{}",
                p.get("containerPort").and_then(Value::as_u64).unwrap_or(0),
                str_at(c, "/name")
            ));
        }
    }
    ports
}

fn describe_pod(snap: &snapshot::Snapshot, pod: &Value, out: &mut String, facts: &mut Value) {
    let ns = model::namespace(pod);
    let labels = model::labels(pod);
    let meshed = model::has_istio_proxy(pod, "/spec");
    let revision = labels.get("istio.io/rev").cloned().unwrap_or_else(|| {
        if meshed {
            "default".into()
        } else {
            String::new()
        }
    });
    out.push_str(&format!("Pod: {}\n", kname(pod)));
    out.push_str(&format!("   Pod Revision: {revision}\n"));
    let ports = pod_ports(pod);
    if ports.is_empty() {
        out.push_str("   Pod does not expose ports\n");
    } else {
        out.push_str(&format!("   Pod Ports: {}\n", ports.join(", ")));
    }
    if !meshed {
        out.push_str(&format!(
            "WARNING: {} is not part of mesh; no Istio sidecar\n",
            kname(pod)
        ));
    }
    for (l, what) in [("app", "service name"), ("version", "service revision")] {
        if !labels.contains_key(l)
            && !labels.contains_key(&format!(
                "app.kubernetes.io/{}",
                if l == "app" { "name" } else { "version" }
            ))
        {
            out.push_str(&format!(
                "Suggestion: add required {what} label for Istio telemetry. Use the \"{l}\" label.\n"
            ));
        }
    }
    let services: Vec<&Value> = snap
        .of("Service")
        .iter()
        .filter(|s| {
            let sel = string_map(s, "/spec/selector");
            model::namespace(s) == ns && !sel.is_empty() && selector_matches(&sel, &labels)
        })
        .collect();
    let mut svc_names = Vec::new();
    for svc in &services {
        out.push_str("--------------------\n");
        service_block(snap, svc, Some(pod), out);
        svc_names.push(kname(svc));
    }
    out.push_str("--------------------\n");
    security_block(snap, ns, &labels, out);
    *facts = json!({
        "pod": kname(pod),
        "meshed": meshed,
        "revision": revision,
        "services": svc_names,
    });
}

fn describe_service(snap: &snapshot::Snapshot, svc: &Value, out: &mut String, facts: &mut Value) {
    let ns = model::namespace(svc);
    let sel = string_map(svc, "/spec/selector");
    let pods: Vec<&Value> = snap
        .of("Pod")
        .iter()
        .filter(|p| {
            model::namespace(p) == ns
                && !sel.is_empty()
                && selector_matches(&sel, &model::labels(p))
        })
        .collect();
    let meshed = pods
        .iter()
        .filter(|p| model::has_istio_proxy(p, "/spec"))
        .count();
    if pods.is_empty() {
        out.push_str(&format!("Service {:?} has no pods.\n", kname(svc)));
    } else if meshed == 0 {
        out.push_str(&format!(
            "Service {:?} has no Istio pods.  ({} pods in service).\nUse `istioctl kube-inject` or redeploy with Istio automatic sidecar injection.\n",
            kname(svc),
            pods.len()
        ));
    }
    service_block(snap, svc, pods.first().copied(), out);
    out.push_str("--------------------\n");
    let labels = pods.first().map(|p| model::labels(p)).unwrap_or_default();
    security_block(snap, ns, &labels, out);
    *facts = json!({
        "service": kname(svc),
        "pods": pods.iter().map(|p| kname(p)).collect::<Vec<_>>(),
        "meshed_pods": meshed,
    });
}

/// A Service, its ports and the DestinationRules, VirtualServices and Gateways for its host.
fn service_block(snap: &snapshot::Snapshot, svc: &Value, pod: Option<&Value>, out: &mut String) {
    let ns = model::namespace(svc);
    let name = model::name(svc);
    let host = fqdn(ns, name);
    out.push_str(&format!("Service: {}\n", kname(svc)));
    for p in arr(svc, "/spec/ports") {
        let proto = crate::analyze::services::protocol_unsupported(p);
        let pname = str_at(p, "/name");
        let proto_name = if proto {
            "auto".to_string()
        } else {
            str_at(p, "/appProtocol")
                .split('-')
                .next()
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| pname.split('-').next().unwrap_or("TCP"))
                .to_uppercase()
        };
        out.push_str(&format!(
            "   Port: {pname} {}/{proto_name} targets pod port {}\n",
            p.get("port").and_then(Value::as_u64).unwrap_or(0),
            model::target_port_string(p)
        ));
    }
    let pod_labels = pod.map(model::labels).unwrap_or_default();
    // DestinationRules for the host (short name in the rule's namespace, or the FQDN).
    for dr in snap.of("DestinationRule") {
        if fqdn(model::namespace(dr), str_at(dr, "/spec/host")) != host {
            continue;
        }
        out.push_str(&format!(
            "DestinationRule: {} for {:?}\n",
            kname(dr),
            str_at(dr, "/spec/host")
        ));
        let mut matching = Vec::new();
        let mut other = Vec::new();
        for s in arr(dr, "/spec/subsets") {
            let sl = string_map(s, "/labels");
            if pod.is_some() && selector_matches(&sl, &pod_labels) {
                matching.push(str_at(s, "/name").to_string());
            } else {
                other.push(str_at(s, "/name").to_string());
            }
        }
        if !arr(dr, "/spec/subsets").is_empty() {
            if matching.is_empty() && pod.is_some() {
                out.push_str(&format!(
                    "   WARNING POD DOES NOT MATCH ANY SUBSETS.  (Non matching subsets {})\n",
                    other.join(",")
                ));
            } else {
                out.push_str(&format!("   Matching subsets: {}\n", matching.join(",")));
                if !other.is_empty() {
                    out.push_str(&format!(
                        "      (Non-matching subsets {})\n",
                        other.join(",")
                    ));
                }
            }
        }
        match dr.pointer("/spec/trafficPolicy") {
            None => out.push_str("   No Traffic Policy\n"),
            Some(tp) => {
                let mode = str_at(tp, "/tls/mode");
                if !mode.is_empty() {
                    out.push_str(&format!("   Traffic Policy TLS Mode: {mode}\n"));
                }
                let mut policies = Vec::new();
                if tp.get("loadBalancer").is_some() {
                    policies.push("load balancer");
                }
                if tp.get("connectionPool").is_some() {
                    policies.push("connection pool");
                }
                if tp.get("outlierDetection").is_some() {
                    policies.push("outlier detection");
                }
                if !policies.is_empty() {
                    out.push_str(&format!("   Policies: {}\n", policies.join("/")));
                }
            }
        }
    }
    // VirtualServices whose destinations name the host.
    let mut gateways: BTreeMap<String, ()> = BTreeMap::new();
    for vs in snap.of("VirtualService") {
        let vns = model::namespace(vs);
        let routes = crate::analyze::destinations::route_destinations(vs);
        let to_host: Vec<_> = routes
            .iter()
            .filter(|d| fqdn(vns, str_at(d.dest, "/host")) == host)
            .collect();
        if to_host.is_empty() {
            continue;
        }
        out.push_str(&format!("VirtualService: {}\n", kname(vs)));
        let http = arr(vs, "/spec/http").len();
        let tcp = arr(vs, "/spec/tcp").len();
        if http > 0 {
            out.push_str(&format!("   {http} HTTP route(s)\n"));
        }
        if tcp > 0 {
            out.push_str(&format!("   {tcp} TCP route(s)\n"));
        }
        for d in to_host {
            let subset = str_at(d.dest, "/subset");
            let port = d.dest.pointer("/port/number").and_then(Value::as_u64);
            out.push_str(&format!(
                "   Route to host {:?}{}{}\n",
                str_at(d.dest, "/host"),
                if subset.is_empty() {
                    String::new()
                } else {
                    format!(" subset {subset:?}")
                },
                port.map(|p| format!(" port {p}")).unwrap_or_default()
            ));
        }
        for g in strings(vs, "/spec/gateways") {
            if g != "mesh" {
                let full = if g.contains('/') {
                    g.clone()
                } else {
                    format!("{vns}/{g}")
                };
                gateways.insert(full, ());
            }
        }
    }
    for g in gateways.keys() {
        let (gns, gname) = g.split_once('/').unwrap_or(("", g));
        match snap
            .of("Gateway")
            .iter()
            .find(|x| model::namespace(x) == gns && model::name(x) == gname)
        {
            Some(gw) => {
                let servers: Vec<String> = arr(gw, "/spec/servers")
                    .iter()
                    .map(|s| {
                        format!(
                            "{}/{} {}",
                            s.pointer("/port/number")
                                .and_then(Value::as_u64)
                                .unwrap_or(0),
                            str_at(s, "/port/protocol"),
                            strings(s, "/hosts").join(",")
                        )
                    })
                    .collect();
                out.push_str(&format!(
                    "Exposed on Gateway {gname}.{gns} (selector {}): {}\n",
                    model::selector_string(&string_map(gw, "/spec/selector")),
                    servers.join("; ")
                ));
            }
            None => out.push_str(&format!(
                "WARNING: Gateway {gname}.{gns} referenced by a VirtualService does not exist\n"
            )),
        }
    }
}

/// The PeerAuthentications and AuthorizationPolicies that apply to a workload.
fn security_block(
    snap: &snapshot::Snapshot,
    ns: &str,
    labels: &BTreeMap<String, String>,
    out: &mut String,
) {
    let root = snap.istio_namespace.as_str();
    let applies = |o: &Value, sel_ptr: &str| {
        let ons = model::namespace(o);
        let sel = string_map(o, sel_ptr);
        (ons == ns || (ons == root && sel.is_empty())) && selector_matches(&sel, labels)
    };
    let pas: Vec<&Value> = snap
        .of("PeerAuthentication")
        .iter()
        .filter(|p| applies(p, "/spec/selector/matchLabels"))
        .collect();
    // The most specific wins: workload selector, then namespace, then mesh (root namespace).
    let effective = pas
        .iter()
        .filter(|p| !string_map(p, "/spec/selector/matchLabels").is_empty())
        .chain(pas.iter().filter(|p| {
            model::namespace(p) == ns && string_map(p, "/spec/selector/matchLabels").is_empty()
        }))
        .chain(pas.iter().filter(|p| model::namespace(p) == root))
        .find_map(|p| Some(str_at(p, "/spec/mtls/mode")).filter(|m| !m.is_empty() && *m != "UNSET"))
        .unwrap_or("PERMISSIVE");
    out.push_str("Effective PeerAuthentication:\n");
    out.push_str(&format!("   Workload mTLS mode: {effective}\n"));
    if !pas.is_empty() {
        out.push_str("Applied PeerAuthentication:\n");
        out.push_str(&format!(
            "   {}\n",
            pas.iter().map(|p| kname(p)).collect::<Vec<_>>().join(", ")
        ));
    }
    let aps: Vec<String> = snap
        .of("AuthorizationPolicy")
        .iter()
        .filter(|p| applies(p, "/spec/selector/matchLabels"))
        .map(|p| {
            let action = match str_at(p, "/spec/action") {
                "" => "ALLOW",
                a => a,
            };
            format!("{} ({action})", kname(p))
        })
        .collect();
    if !aps.is_empty() {
        out.push_str(&format!("RBAC policies: {}\n", aps.join(", ")));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_with_a_namespace() {
        assert_eq!(split_name("web-1.shop", "default"), ("web-1", "shop"));
        assert_eq!(split_name("web-1", "default"), ("web-1", "default"));
    }
}
