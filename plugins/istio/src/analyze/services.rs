//! Analyzers of Services, Deployments, DestinationRules, ServiceEntries and
//! AuthorizationPolicies (istio `analyzers/service/portname.go`, `deployment/services.go`,
//! `destinationrule/ca-certificates.go`, `serviceentry/protocoladdresses.go`,
//! `authz/authorizationpolicies.go`):
//! * IST0118: a Service port whose name (or appProtocol) names no protocol Istio knows;
//! * IST0116: a meshed Deployment selected by Services that use one port with different
//!   protocols;
//! * IST0128: a DestinationRule with TLS mode SIMPLE or MUTUAL and no caCertificates;
//! * IST0134: a ServiceEntry without addresses and a TCP (or unnamed-protocol) port;
//! * IST0101 `namespace`: an AuthorizationPolicy source namespace that matches no namespace;
//! * IST0127: an AuthorizationPolicy that selects no workload in the mesh;
//! * IST0173: a DestinationRule subset whose labels select no pod; IST0174: a DestinationRule
//!   host that is no Service or ServiceEntry (`destinationrule/subset.go`).

use std::collections::BTreeMap;

use kap_sdk::serde_json::Value;

use super::Report;
use crate::model::{self, arr, selector_matches, str_at, string_map, strings};
use crate::msg::{self, go_list};
use crate::snapshot::Snapshot;

/// Runs these analyzers.
pub fn analyze(snap: &Snapshot, hosts: &super::destinations::HostMap, r: &mut Report) {
    for svc in snap.of("Service") {
        port_names(svc, r);
    }
    for d in snap.of("Deployment") {
        if in_mesh(snap, d) {
            deployment_protocols(snap, d, r);
        }
    }
    for dr in snap.of("DestinationRule") {
        ca_certificates(dr, r);
        subsets_select_pods(snap, hosts, dr, r);
    }
    for se in snap.of("ServiceEntry") {
        addresses(se, r);
    }
    for ap in snap.of("AuthorizationPolicy") {
        authz_namespaces(snap, ap, r);
        authz_workloads(snap, ap, r);
    }
}

/// Ports that default to TCP when their name says nothing (`wellKnownPorts`).
const WELL_KNOWN_PORTS: &[u64] = &[25, 53, 3306, 27017];

/// `protocol.Parse`.
fn known_protocol(s: &str) -> bool {
    matches!(
        s.to_ascii_lowercase().as_str(),
        "tcp"
            | "udp"
            | "grpc"
            | "grpc-web"
            | "http"
            | "http_proxy"
            | "http2"
            | "https"
            | "tls"
            | "mongo"
            | "redis"
            | "mysql"
    ) || s == "DoubleHBONE"
}

/// `kube.ConvertProtocol(...).IsUnsupported()`.
pub fn protocol_unsupported(port: &Value) -> bool {
    if str_at(port, "/protocol") == "UDP" {
        return false;
    }
    let app = port.get("appProtocol").and_then(Value::as_str);
    let name = app.unwrap_or_else(|| str_at(port, "/name"));
    if app.is_some()
        && matches!(
            name,
            "kubernetes.io/h2c" | "kubernetes.io/ws" | "kubernetes.io/wss"
        )
    {
        return false;
    }
    if name.len() >= 8 && name[..8].eq_ignore_ascii_case("grpc-web") {
        return false;
    }
    let prefix = name.split('-').next().unwrap_or(name);
    if known_protocol(prefix) {
        return false;
    }
    let number = port.get("port").and_then(Value::as_u64).unwrap_or(0);
    !WELL_KNOWN_PORTS.contains(&number)
}

/// `PortNameAnalyzer` (the ExternalName variant, IST0150, is not reproduced).
fn port_names(svc: &Value, r: &mut Report) {
    let labels = model::labels(svc);
    // util.IsIstioControlPlane, and gateways Istio's controllers manage.
    if labels.contains_key("istio")
        || labels.get("release").map(String::as_str) == Some("istio")
        || labels.contains_key("gateway.istio.io/managed")
    {
        return;
    }
    if str_at(svc, "/spec/type") == "ExternalName" {
        return;
    }
    for p in arr(svc, "/spec/ports") {
        if protocol_unsupported(p) {
            r.add(
                msg::PORT_NAME_NOT_UNDER_CONVENTION,
                "Service",
                svc,
                format!(
                    "Port name {} (port: {}, targetPort: {}) doesn't follow the naming convention of Istio port.",
                    str_at(p, "/name"),
                    p.get("port").and_then(Value::as_u64).unwrap_or(0),
                    model::target_port_string(p)
                ),
            );
        }
    }
}

/// `util.DeploymentInMesh`.
pub fn in_mesh(snap: &Snapshot, d: &Value) -> bool {
    if model::has_istio_proxy(d, "/spec/template/spec") {
        return true;
    }
    let labels = string_map(d, "/spec/template/metadata/labels");
    if let Some(v) = labels.get("sidecar.istio.io/inject") {
        return v == "true";
    }
    let annos = string_map(d, "/spec/template/metadata/annotations");
    if let Some(v) = annos.get("sidecar.istio.io/inject") {
        return v == "true";
    }
    let ns = model::namespace(d);
    snap.of("Namespace")
        .iter()
        .find(|n| model::name(n) == ns)
        .is_some_and(|n| {
            model::labels(n).get("istio-injection").map(String::as_str) == Some("enabled")
        })
}

/// `analyzeDeploymentPortProtocol`.
fn deployment_protocols(snap: &Snapshot, d: &Value, r: &mut Report) {
    let ns = model::namespace(d);
    let pod_labels = string_map(d, "/spec/template/metadata/labels");
    // port → protocol → services
    let mut ports: BTreeMap<u64, BTreeMap<String, Vec<String>>> = BTreeMap::new();
    for svc in snap.of("Service") {
        let sel = string_map(svc, "/spec/selector");
        if sel.is_empty() || model::namespace(svc) != ns || !selector_matches(&sel, &pod_labels) {
            continue;
        }
        let name = format!("{ns}/{}", model::name(svc));
        for p in arr(svc, "/spec/ports") {
            let port = p.get("port").and_then(Value::as_u64).unwrap_or(0);
            let proto = match str_at(p, "/protocol") {
                "" => "TCP",
                other => other,
            };
            ports
                .entry(port)
                .or_default()
                .entry(proto.to_string())
                .or_default()
                .push(name.clone());
        }
    }
    for (port, protos) in ports {
        if protos.len() < 2 {
            continue;
        }
        let mut names: Vec<String> = protos.into_values().flatten().collect();
        names.sort();
        r.add(
            msg::DEPLOYMENT_MULTIPLE_SERVICES,
            "Deployment",
            d,
            format!(
                "This deployment {} is associated with multiple services using port {port} but different protocols: {}",
                model::name(d),
                go_list(&names)
            ),
        );
    }
}

/// `CaCertificateAnalyzer` (destination level; the port-level IST0129 is not reproduced).
fn ca_certificates(dr: &Value, r: &mut Report) {
    let tls = dr.pointer("/spec/trafficPolicy/tls");
    let mode = tls.map(|t| str_at(t, "/mode")).unwrap_or("");
    if !matches!(mode, "SIMPLE" | "MUTUAL") {
        return;
    }
    let tls = tls.unwrap_or(&Value::Null);
    let ca = str_at(tls, "/caCertificates");
    let credential = str_at(tls, "/credentialName");
    let selector = dr.pointer("/spec/workloadSelector").is_some();
    // A credentialName with a workload selector verifies the server (upstream's exception).
    if ca.is_empty() && (credential.is_empty() || !selector) {
        r.add(
            msg::NO_SERVER_CERT_VERIFICATION_DR,
            "DestinationRule",
            dr,
            format!(
                "DestinationRule {}/{} in namespace {} has TLS mode set to {mode} but no caCertificates are set to validate server identity for host: {}",
                model::namespace(dr),
                model::name(dr),
                model::namespace(dr),
                str_at(dr, "/spec/host")
            ),
        );
    }
}

/// `ProtocolAddressesAnalyzer`, with Istio's default mesh config (no DNS capture, so no
/// automatic address allocation).
fn addresses(se: &Value, r: &mut Report) {
    if !arr(se, "/spec/addresses").is_empty() || !arr(se, "/status/addresses").is_empty() {
        return;
    }
    for p in arr(se, "/spec/ports") {
        let proto = str_at(p, "/protocol");
        if proto.is_empty() || proto.eq_ignore_ascii_case("TCP") {
            r.add(
                msg::SERVICE_ENTRY_ADDRESSES_REQUIRED,
                "ServiceEntry",
                se,
                "ServiceEntry addresses are required for this protocol.".into(),
            );
        }
    }
}

/// `PodNotSelectedAnalyzer`: the host must resolve to a Service or ServiceEntry, and each
/// subset's labels must select some pod (in any namespace, as upstream matches them).
fn subsets_select_pods(
    snap: &Snapshot,
    hosts: &super::destinations::HostMap,
    dr: &Value,
    r: &mut Report,
) {
    let host = str_at(dr, "/spec/host");
    let export = strings(dr, "/spec/exportTo");
    if super::destinations::destination_host(hosts, model::namespace(dr), &export, host).is_none() {
        r.add(
            msg::UNKNOWN_DR_HOST,
            "DestinationRule",
            dr,
            format!("The host {host} defined in the DestinationRule does not match any services in the mesh."),
        );
        return;
    }
    for subset in arr(dr, "/spec/subsets") {
        let sel = string_map(subset, "/labels");
        if !snap
            .of("Pod")
            .iter()
            .any(|p| selector_matches(&sel, &model::labels(p)))
        {
            r.add(
                msg::DR_SUBSET_NOT_SELECT_PODS,
                "DestinationRule",
                dr,
                format!(
                    "The Subset {} defined in the DestinationRule does not select any pods. Which may lead to 503 UH (NoHealthyUpstream).",
                    str_at(subset, "/name")
                ),
            );
        }
    }
}

/// `util.PodInMesh`: a pod with the proxy, or whose labels, annotations or namespace turn
/// injection on.
pub fn pod_in_mesh(snap: &Snapshot, pod: &Value) -> bool {
    if model::has_istio_proxy(pod, "/spec") {
        return true;
    }
    if let Some(v) = model::labels(pod).get("sidecar.istio.io/inject") {
        return v == "true";
    }
    if let Some(v) = model::annotations(pod).get("sidecar.istio.io/inject") {
        return v == "true";
    }
    let ns = model::namespace(pod);
    snap.of("Namespace")
        .iter()
        .find(|n| model::name(n) == ns)
        .is_some_and(|n| {
            model::labels(n).get("istio-injection").map(String::as_str) == Some("enabled")
        })
}

/// `analyzeNoMatchingWorkloads`: the workloads (meshed or ambient pods) an
/// AuthorizationPolicy selects; in the root namespace (the Istio namespace) the selector
/// looks at every namespace and a policy without one applies mesh-wide.
fn authz_workloads(snap: &Snapshot, ap: &Value, r: &mut Report) {
    let ns = model::namespace(ap);
    let selector = ap.pointer("/spec/selector");
    let sel = string_map(ap, "/spec/selector/matchLabels");
    let workloads = snap.of("Pod").iter().filter(|p| {
        pod_in_mesh(snap, p)
            || model::annotations(p)
                .get("ambient.istio.io/redirection")
                .map(String::as_str)
                == Some("enabled")
    });
    let root = ns == snap.istio_namespace;
    let found = match (root, selector) {
        (true, None) => return,
        (true, Some(_)) => workloads
            .clone()
            .any(|p| selector_matches(&sel, &model::labels(p))),
        (false, None) => workloads.clone().any(|p| model::namespace(p) == ns),
        (false, Some(_)) => workloads
            .clone()
            .any(|p| model::namespace(p) == ns && selector_matches(&sel, &model::labels(p))),
    };
    if !found {
        let text = if selector.is_some() {
            model::selector_string(&sel)
        } else {
            String::new()
        };
        r.add(
            msg::NO_MATCHING_WORKLOADS,
            "AuthorizationPolicy",
            ap,
            format!("No matching workloads for this resource with the following labels: {text}"),
        );
    }
}

/// `namespaceMatch`: `*`, `prefix*`, `*suffix`, or equal (case-insensitive).
fn namespace_match(ns: &str, exp: &str) -> bool {
    if exp == "*" {
        return true;
    }
    if let Some(suffix) = exp.strip_prefix('*') {
        return ns.ends_with(suffix);
    }
    if let Some(prefix) = exp.strip_suffix('*') {
        return ns.starts_with(prefix);
    }
    ns.eq_ignore_ascii_case(exp)
}

/// `analyzeNamespaceNotFound`.
fn authz_namespaces(snap: &Snapshot, ap: &Value, r: &mut Report) {
    for rule in arr(ap, "/spec/rules") {
        for from in arr(rule, "/from") {
            let mut all = strings(from, "/source/namespaces");
            all.extend(strings(from, "/source/notNamespaces"));
            for ns in all {
                if !snap
                    .of("Namespace")
                    .iter()
                    .any(|n| namespace_match(model::name(n), &ns))
                {
                    r.add(
                        msg::REFERENCED_RESOURCE_NOT_FOUND,
                        "AuthorizationPolicy",
                        ap,
                        format!("Referenced namespace not found: {}", msg::go_quote(&ns)),
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{codes, obj, snap};
    use super::protocol_unsupported;
    use kap_sdk::serde_json::json;

    #[test]
    fn port_protocols() {
        assert!(!protocol_unsupported(
            &json!({"name": "http-web", "port": 80})
        ));
        assert!(!protocol_unsupported(
            &json!({"name": "grpc-web-x", "port": 80})
        ));
        assert!(!protocol_unsupported(&json!({"name": "foo", "port": 3306})));
        assert!(!protocol_unsupported(
            &json!({"name": "foo", "appProtocol": "http", "port": 80})
        ));
        assert!(protocol_unsupported(&json!({"name": "web", "port": 80})));
        assert!(protocol_unsupported(&json!({"port": 8080})));
    }

    #[test]
    fn the_other_analyzers() {
        let s = snap(vec![
            (
                "Namespace",
                json!({"metadata": {"name": "a", "labels": {"istio-injection": "enabled"}}}),
            ),
            (
                "Service",
                obj(
                    "a",
                    "web-http",
                    json!({"selector": {"app": "web"}, "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}]}),
                ),
            ),
            (
                "Service",
                obj(
                    "a",
                    "web-udp",
                    json!({"selector": {"app": "web"}, "ports": [{"name": "udp", "port": 8080, "protocol": "UDP"}]}),
                ),
            ),
            (
                "Service",
                obj(
                    "a",
                    "badname",
                    json!({"selector": {"app": "x"}, "ports": [{"name": "web", "port": 80, "targetPort": "web", "protocol": "TCP"}]}),
                ),
            ),
            (
                "Deployment",
                obj(
                    "a",
                    "web",
                    json!({"template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "c", "image": "i"}]}}}),
                ),
            ),
            (
                "DestinationRule",
                obj(
                    "a",
                    "tls",
                    json!({"host": "web-http", "trafficPolicy": {"tls": {"mode": "SIMPLE"}}}),
                ),
            ),
            (
                "DestinationRule",
                obj(
                    "a",
                    "tls-ok",
                    json!({"host": "web-http", "trafficPolicy": {"tls": {"mode": "SIMPLE", "caCertificates": "/etc/ca.pem"}}}),
                ),
            ),
            (
                "ServiceEntry",
                obj(
                    "a",
                    "noaddr",
                    json!({"hosts": ["db.example.com"], "ports": [{"number": 5432, "name": "tcp", "protocol": "TCP"}]}),
                ),
            ),
            (
                "ServiceEntry",
                obj(
                    "a",
                    "addr",
                    json!({"hosts": ["db2.example.com"], "addresses": ["10.0.0.1"], "ports": [{"number": 5432, "name": "tcp", "protocol": "TCP"}]}),
                ),
            ),
            (
                "AuthorizationPolicy",
                obj(
                    "a",
                    "from-nowhere",
                    json!({"rules": [{"from": [{"source": {"namespaces": ["gone", "a*"]}}]}]}),
                ),
            ),
        ]);
        let c = codes(&s);
        for want in [
            ("IST0116", "Deployment a/web"),
            ("IST0118", "Service a/badname"),
            ("IST0128", "DestinationRule a/tls"),
            ("IST0134", "ServiceEntry a/noaddr"),
            ("IST0101", "AuthorizationPolicy a/from-nowhere"),
        ] {
            assert!(
                c.contains(&(want.0.into(), want.1.into())),
                "{want:?} not in {c:?}"
            );
        }
        for clean in [
            "DestinationRule a/tls-ok",
            "ServiceEntry a/addr",
            "Service a/web-http",
        ] {
            assert!(!c.iter().any(|(_, r)| r == clean), "{clean} in {c:?}");
        }
        let ms = crate::analyze::run(&s);
        let t: Vec<_> = ms.iter().map(|m| m.text.clone()).collect();
        assert!(t.contains(&"This deployment web is associated with multiple services using port 8080 but different protocols: [a/web-http a/web-udp]".to_string()), "{t:?}");
        assert!(t.contains(&"Port name web (port: 80, targetPort: web) doesn't follow the naming convention of Istio port.".to_string()));
    }
}
