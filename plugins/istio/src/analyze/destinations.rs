//! VirtualService analyzers (istio `analyzers/virtualservice/*`, and the route checks of
//! `pkg/config/validation` that the schema analyzer reports):
//! * destination hosts and ports: IST0101 `host`, `mirror host`, `host:port`; IST0112;
//! * subsets: IST0101 `host+subset in destinationrule` / `mirror+subset in destinationrule`;
//! * gateways: IST0101 `gateway`; IST0132;
//! * hosts bound to the mesh gateway by several VirtualServices: IST0109;
//! * duplicate matches: IST0131 and IST0130.

use std::collections::{BTreeMap, BTreeSet};

use kap_sdk::serde_json::Value;

use super::Report;
use crate::model::{self, arr, fqdn, host_matches, str_at, strings};
use crate::msg::{self, go_list, go_quote};
use crate::snapshot::Snapshot;

/// A host's ports as the destination checks see them (a Service's or a ServiceEntry's).
pub type Ports = Vec<u64>;

/// `scope/fqdn` → ports ([`host_map`]), built once per analysis.
pub type HostMap = BTreeMap<String, Ports>;

/// `util.InitServiceEntryHostMap`: `scope/fqdn` → ports, for ServiceEntries and Services.
pub fn host_map(snap: &Snapshot) -> HostMap {
    let mut out = BTreeMap::new();
    for se in snap.of("ServiceEntry") {
        let ns = model::namespace(se);
        let ports: Ports = arr(se, "/spec/ports")
            .iter()
            .filter_map(|p| p.get("number").and_then(Value::as_u64))
            .collect();
        let export = strings(se, "/spec/exportTo");
        let mut exports_to_all = false;
        for h in strings(se, "/spec/hosts") {
            if export.is_empty() || exports_to_all {
                out.insert(format!("*/{}", fqdn(ns, &h)), ports.clone());
                continue;
            }
            for e in &export {
                let scope = match e.as_str() {
                    "*" => {
                        exports_to_all = true;
                        "*".to_string()
                    }
                    "." => ns.to_string(),
                    other => other.to_string(),
                };
                out.insert(format!("{scope}/{}", fqdn(ns, &h)), ports.clone());
                if exports_to_all {
                    break;
                }
            }
        }
    }
    for svc in snap.of("Service") {
        let ns = model::namespace(svc);
        let name = model::name(svc);
        let ports: Ports = arr(svc, "/spec/ports")
            .iter()
            .filter_map(|p| p.get("port").and_then(Value::as_u64))
            .collect();
        let anno = model::annotations(svc)
            .get("networking.istio.io/exportTo")
            .cloned()
            .unwrap_or_default();
        let scopes: Vec<String> = if anno.is_empty() {
            vec!["*".into()]
        } else {
            anno.split(',')
                .map(|s| match s.trim() {
                    "." => ns.to_string(),
                    other => other.to_string(),
                })
                .collect()
        };
        for scope in scopes {
            out.insert(format!("{scope}/{}", fqdn(ns, name)), ports.clone());
        }
    }
    out
}

/// `util.GetDestinationHost`: the ports of the Service or ServiceEntry a destination host
/// in `source_ns` (with the VirtualService's `exportTo`) resolves to, if any.
pub fn destination_host<'a>(
    map: &'a HostMap,
    source_ns: &str,
    export_to: &[String],
    host: &str,
) -> Option<&'a Ports> {
    let f = fqdn(source_ns, host);
    if let Some(p) = map.get(&format!("*/{f}")) {
        return Some(p);
    }
    if export_to.is_empty() {
        if let Some(p) = map.get(&format!("{source_ns}/{f}")) {
            return Some(p);
        }
    } else {
        for e in export_to {
            let scope = if e == "." { source_ns } else { e.as_str() };
            if let Some(p) = map.get(&format!("{scope}/{f}")) {
                return Some(p);
            }
        }
    }
    map.iter().find_map(|(k, p)| {
        let (scope, se_host) = k.split_once('/')?;
        if !se_host.starts_with('*') || (scope != "*" && scope != source_ns) {
            return None;
        }
        host.trim_start_matches('*')
            .ends_with(se_host.trim_start_matches('*'))
            .then_some(p)
    })
}

/// One destination of a VirtualService, with where it is.
pub struct Destination<'a> {
    /// `tcp`, `tls`, `http`, `http.mirror`, `http.mirrors`.
    pub rule: &'static str,
    /// The destination object (`host`, `subset`, `port.number`).
    pub dest: &'a Value,
}

/// `getRouteDestinations`: tcp, then tls, then http route destinations.
pub fn route_destinations(vs: &Value) -> Vec<Destination<'_>> {
    let mut out = Vec::new();
    for (rule, ptr) in [
        ("tcp", "/spec/tcp"),
        ("tls", "/spec/tls"),
        ("http", "/spec/http"),
    ] {
        for r in arr(vs, ptr) {
            for rd in arr(r, "/route") {
                if let Some(d) = rd.get("destination") {
                    out.push(Destination { rule, dest: d });
                }
            }
        }
    }
    out
}

/// `getHTTPMirrorDestinations`: `http[].mirror` and `http[].mirrors[].destination`.
pub fn mirror_destinations(vs: &Value) -> Vec<Destination<'_>> {
    let mut out = Vec::new();
    for r in arr(vs, "/spec/http") {
        if let Some(m) = r.get("mirror") {
            out.push(Destination {
                rule: "http.mirror",
                dest: m,
            });
        }
        for m in arr(r, "/mirrors") {
            if let Some(d) = m.get("destination") {
                out.push(Destination {
                    rule: "http.mirrors",
                    dest: d,
                });
            }
        }
    }
    out
}

/// Runs the VirtualService analyzers.
pub fn analyze(snap: &Snapshot, hosts: &HostMap, r: &mut Report) {
    let subsets = destination_subsets(snap);
    for vs in snap.of("VirtualService") {
        destination_hosts(vs, hosts, r);
        destination_rules(vs, &subsets, r);
        gateways(snap, vs, r);
        unreachable_rules(vs, r);
    }
    mesh_gateway_hosts(snap, r);
}

fn destination_hosts(vs: &Value, hosts: &HostMap, r: &mut Report) {
    let ns = model::namespace(vs);
    let export = strings(vs, "/spec/exportTo");
    let routes = route_destinations(vs);
    let mirrors = mirror_destinations(vs);
    for (d, what) in routes
        .iter()
        .map(|d| (d, "host"))
        .chain(mirrors.iter().map(|d| (d, "mirror host")))
    {
        let host = str_at(d.dest, "/host");
        let Some(ports) = destination_host(hosts, ns, &export, host) else {
            r.add(
                msg::REFERENCED_RESOURCE_NOT_FOUND,
                "VirtualService",
                vs,
                format!("Referenced {what} not found: {}", go_quote(host)),
            );
            continue;
        };
        match d.dest.pointer("/port/number").and_then(Value::as_u64) {
            None if ports.len() > 1 => r.add(
                msg::VS_DESTINATION_PORT_SELECTOR_REQUIRED,
                "VirtualService",
                vs,
                format!(
                    "This VirtualService routes to a service {} that exposes multiple ports {}. Specifying a port in the destination is required to disambiguate.",
                    go_quote(host),
                    go_list(ports)
                ),
            ),
            Some(p) if !ports.contains(&p) => r.add(
                msg::REFERENCED_RESOURCE_NOT_FOUND,
                "VirtualService",
                vs,
                format!("Referenced host:port not found: {}", go_quote(&format!("{host}:{p}"))),
            ),
            _ => {}
        }
    }
}

/// `initDestHostsAndSubsets`: (namespace, name, subset) of every DestinationRule subset,
/// with the host read by `util.GetResourceNameFromHost`.
fn destination_subsets(snap: &Snapshot) -> BTreeSet<(String, String, String)> {
    let mut out = BTreeSet::new();
    for dr in snap.of("DestinationRule") {
        let (ns, name) =
            model::resource_name_from_host(model::namespace(dr), str_at(dr, "/spec/host"));
        for s in arr(dr, "/spec/subsets") {
            out.insert((ns.clone(), name.clone(), str_at(s, "/name").to_string()));
        }
    }
    out
}

fn destination_rules(vs: &Value, subsets: &BTreeSet<(String, String, String)>, r: &mut Report) {
    let ns = model::namespace(vs);
    let routes = route_destinations(vs);
    let mirrors = mirror_destinations(vs);
    for (d, what) in routes
        .iter()
        .map(|d| (d, "host+subset in destinationrule"))
        .chain(
            mirrors
                .iter()
                .map(|d| (d, "mirror+subset in destinationrule")),
        )
    {
        let subset = str_at(d.dest, "/subset");
        if subset.is_empty() {
            continue;
        }
        let host = str_at(d.dest, "/host");
        let (hns, hname) = model::resource_name_from_host(ns, host);
        if !subsets.contains(&(hns, hname, subset.to_string())) {
            r.add(
                msg::REFERENCED_RESOURCE_NOT_FOUND,
                "VirtualService",
                vs,
                format!(
                    "Referenced {what} not found: {}",
                    go_quote(&format!("{host}+{subset}"))
                ),
            );
        }
    }
}

/// `resource.NewShortOrFullName`: `ns/name`, or `name` in `default_ns`.
fn short_or_full(default_ns: &str, name: &str) -> (String, String) {
    match name.split_once('/') {
        Some((ns, n)) => (ns.to_string(), n.to_string()),
        None => (default_ns.to_string(), name.to_string()),
    }
}

fn gateways(snap: &Snapshot, vs: &Value, r: &mut Report) {
    let ns = model::namespace(vs);
    let vs_hosts = strings(vs, "/spec/hosts");
    for gw in strings(vs, "/spec/gateways") {
        if gw == "mesh" {
            continue;
        }
        let (gns, gname) = short_or_full(ns, &gw);
        let istio = snap.exists("Gateway", &gns, &gname);
        let k8s = !istio && snap.exists("KubernetesGateway", &gns, &gname);
        if !istio && !k8s {
            r.add(
                msg::REFERENCED_RESOURCE_NOT_FOUND,
                "VirtualService",
                vs,
                format!("Referenced gateway not found: {}", go_quote(&gw)),
            );
        }
        let matched = if k8s {
            host_in_kubernetes_gateway(snap, &gns, &gname, &vs_hosts)
        } else {
            host_in_gateway(snap, &gns, &gname, &vs_hosts, ns)
        };
        if !matched {
            r.add(
                msg::VS_HOST_NOT_FOUND_IN_GATEWAY,
                "VirtualService",
                vs,
                format!(
                    "one or more host {} defined in VirtualService {ns}/{} not found in Gateway {gns}/{gname}.",
                    go_list(&vs_hosts),
                    model::name(vs)
                ),
            );
        }
    }
}

/// `vsHostInGateway`: whether a host of the Gateway's servers (namespace-qualified hosts
/// visible to the VirtualService's namespace) matches a host of the VirtualService.
fn host_in_gateway(
    snap: &Snapshot,
    gns: &str,
    gname: &str,
    vs_hosts: &[String],
    vs_ns: &str,
) -> bool {
    let mut gw_hosts = Vec::new();
    for g in snap.of("Gateway") {
        if model::namespace(g) == gns && model::name(g) == gname {
            for s in arr(g, "/spec/servers") {
                for h in strings(s, "/hosts") {
                    // sanitizeServerHostNamespace: `./host` is the Gateway's own namespace.
                    let h = match h.strip_prefix("./") {
                        Some(rest) => format!("{gns}/{rest}"),
                        None => h,
                    };
                    gw_hosts.push(h);
                }
            }
        }
    }
    // host.NamesForNamespace
    let visible: Vec<String> = gw_hosts
        .into_iter()
        .filter_map(|h| match h.split_once('/') {
            Some((n, name)) if n == vs_ns || n == "*" => Some(name.to_string()),
            Some(_) => None,
            None => Some(h),
        })
        .collect();
    visible
        .iter()
        .any(|g| vs_hosts.iter().any(|v| host_matches(g, v)))
}

/// `vsHostInKubernetesGateway`: listener hostnames (a listener without one takes any host).
fn host_in_kubernetes_gateway(
    snap: &Snapshot,
    gns: &str,
    gname: &str,
    vs_hosts: &[String],
) -> bool {
    for g in snap.of("KubernetesGateway") {
        if model::namespace(g) == gns && model::name(g) == gname {
            for l in arr(g, "/spec/listeners") {
                let h = str_at(l, "/hostname");
                if h.is_empty() || vs_hosts.iter().any(|v| host_matches(h, v)) {
                    return true;
                }
            }
        }
    }
    false
}

/// `ConflictingMeshGatewayHostsAnalyzer`.
fn mesh_gateway_hosts(snap: &Snapshot, r: &mut Report) {
    let mut hosts: BTreeMap<String, Vec<&Value>> = BTreeMap::new();
    for vs in snap.of("VirtualService") {
        let gws = strings(vs, "/spec/gateways");
        if !(gws.is_empty() || gws.iter().any(|g| g == "mesh")) {
            continue;
        }
        let ns = model::namespace(vs);
        let export = strings(vs, "/spec/exportTo");
        let scopes: BTreeSet<String> = if export.is_empty() || export.iter().any(|e| e == "*") {
            ["*".to_string()].into()
        } else {
            export
                .iter()
                .map(|e| if e == "." { ns.to_string() } else { e.clone() })
                .collect()
        };
        for scope in &scopes {
            for h in strings(vs, "/spec/hosts") {
                hosts
                    .entry(format!("{scope}/{}", fqdn(ns, &h)))
                    .or_default()
                    .push(vs);
            }
        }
    }
    let mut reported: BTreeSet<(String, String)> = BTreeSet::new();
    for (scoped, list) in &hosts {
        let (scope, host) = scoped.split_once('/').unwrap_or(("*", scoped));
        let mut all = list.clone();
        if scope != "*" {
            for (other, vss) in &hosts {
                let (s2, h2) = other.split_once('/').unwrap_or(("*", other));
                if s2 == "*" && host_matches(host, h2) {
                    all.extend(vss.iter().copied());
                }
            }
        }
        if all.len() <= 1 {
            continue;
        }
        let mut names: Vec<String> = all
            .iter()
            .map(|v| format!("{}/{}", model::namespace(v), model::name(v)))
            .collect();
        names.sort();
        let joined = names.join(",");
        for vs in &all {
            let key = (
                model::namespace(vs).to_string(),
                model::name(vs).to_string(),
            );
            if !reported.insert(key) {
                continue;
            }
            r.add(
                msg::CONFLICTING_MESH_GATEWAY_VS_HOSTS,
                "VirtualService",
                vs,
                format!(
                    "The VirtualServices {joined} associated with mesh gateway define the same host {scoped} which can lead to undefined behavior. This can be fixed by merging the conflicting VirtualServices into a single resource."
                ),
            );
        }
    }
}

/// `analyzeUnreachable{HTTP,TCP,TLS}Rules` (duplicate matches; the prefix-overlap check of
/// HTTP routes is not reproduced).
fn unreachable_rules(vs: &Value, r: &mut Report) {
    for (ptr, http) in [
        ("/spec/http", true),
        ("/spec/tcp", false),
        ("/spec/tls", false),
    ] {
        let routes = arr(vs, ptr);
        let mut seen: Vec<(Value, usize)> = Vec::new();
        let mut empty_seen = false;
        let route_name = |i: usize| -> String {
            let n = str_at(&routes[i], "/name");
            if http && !n.is_empty() {
                go_quote(n)
            } else {
                format!("#{i}")
            }
        };
        for (i, route) in routes.iter().enumerate() {
            let matches = arr(route, "/match");
            if matches.is_empty() {
                if empty_seen {
                    unused(
                        r,
                        vs,
                        &route_name(i),
                        "only the last rule can have no matches",
                    );
                }
                empty_seen = true;
                continue;
            }
            let mut dups = 0;
            for (j, m) in matches.iter().enumerate() {
                if empty_seen {
                    unused(
                        r,
                        vs,
                        &route_name(i),
                        "route without matches defined before",
                    );
                    continue;
                }
                let mut key = m.clone();
                if http && let Some(o) = key.as_object_mut() {
                    o.remove("name");
                }
                if let Some((_, d)) = seen.iter().find(|(k, _)| *k == key) {
                    let match_name = {
                        let n = str_at(m, "/name");
                        if http && !n.is_empty() {
                            go_quote(n)
                        } else {
                            format!("#{j}")
                        }
                    };
                    r.add(
                        msg::VS_INEFFECTIVE_MATCH,
                        "VirtualService",
                        vs,
                        format!(
                            "VirtualService rule {} match {match_name} is not used (duplicate/overlapping match in rule {}).",
                            route_name(i),
                            route_name(*d)
                        ),
                    );
                    dups += 1;
                    continue;
                }
                seen.push((key, i));
            }
            if dups == matches.len() {
                unused(r, vs, &route_name(i), "all matches used by prior rules");
            }
        }
    }
}

fn unused(r: &mut Report, vs: &Value, rule: &str, reason: &str) {
    r.add(
        msg::VS_UNREACHABLE_RULE,
        "VirtualService",
        vs,
        format!("VirtualService rule {rule} not used ({reason})."),
    );
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{codes, obj, snap};
    use crate::analyze;
    use kap_sdk::serde_json::json;

    fn svc(ns: &str, name: &str, ports: &[u64]) -> kap_sdk::serde_json::Value {
        let ports: Vec<_> = ports
            .iter()
            .map(|p| json!({"port": p, "protocol": "TCP", "name": format!("http-{p}")}))
            .collect();
        obj(ns, name, json!({"ports": ports, "selector": {"app": name}}))
    }

    #[test]
    fn missing_host_subset_and_port() {
        let s = snap(vec![
            ("Service", svc("a", "web", &[80])),
            ("Service", svc("a", "multi", &[80, 9090])),
            (
                "DestinationRule",
                obj(
                    "a",
                    "web",
                    json!({"host": "web", "subsets": [{"name": "v1", "labels": {"v": "1"}}]}),
                ),
            ),
            (
                "VirtualService",
                obj(
                    "a",
                    "good",
                    json!({"hosts": ["web"], "http": [{"route": [{"destination": {"host": "web", "subset": "v1"}}]}]}),
                ),
            ),
            (
                "VirtualService",
                obj(
                    "a",
                    "bad",
                    json!({"hosts": ["web2"], "http": [{"route": [
                    {"destination": {"host": "nope"}},
                    {"destination": {"host": "web", "subset": "v9"}},
                    {"destination": {"host": "web", "port": {"number": 81}}},
                    {"destination": {"host": "multi"}}]}]}),
                ),
            ),
        ]);
        let ms = analyze::run(&s);
        let bad: Vec<_> = ms
            .iter()
            .filter(|m| m.resource.name == "bad")
            .map(|m| m.text.clone())
            .collect();
        assert!(
            bad.contains(&"Referenced host not found: \"nope\"".to_string()),
            "{bad:?}"
        );
        assert!(bad.contains(
            &"Referenced host+subset in destinationrule not found: \"web+v9\"".to_string()
        ));
        assert!(bad.contains(&"Referenced host:port not found: \"web:81\"".to_string()));
        assert!(bad.iter().any(|t| t.starts_with("This VirtualService routes to a service \"multi\" that exposes multiple ports [80 9090].")));
        assert!(
            !codes(&s)
                .iter()
                .any(|(_, res)| res == "VirtualService a/good"),
            "{:?}",
            codes(&s)
        );
    }

    #[test]
    fn missing_gateway_is_reported_twice_as_upstream_does() {
        let s = snap(vec![
            ("Service", svc("a", "web", &[80])),
            (
                "VirtualService",
                obj(
                    "a",
                    "vs",
                    json!({"hosts": ["web.example.com"], "gateways": ["gw"], "http": [{"route": [{"destination": {"host": "web"}}]}]}),
                ),
            ),
        ]);
        let c = codes(&s);
        assert!(c.contains(&("IST0101".into(), "VirtualService a/vs".into())));
        assert!(c.contains(&("IST0132".into(), "VirtualService a/vs".into())));
    }

    #[test]
    fn mesh_host_conflicts_and_duplicate_matches() {
        let s = snap(vec![
            ("Service", svc("a", "web", &[80])),
            (
                "VirtualService",
                obj(
                    "a",
                    "one",
                    json!({"hosts": ["web"], "http": [{"route": [{"destination": {"host": "web"}}]}]}),
                ),
            ),
            (
                "VirtualService",
                obj(
                    "a",
                    "two",
                    json!({"hosts": ["web.a.svc.cluster.local"], "http": [{"route": [{"destination": {"host": "web"}}]}]}),
                ),
            ),
            (
                "VirtualService",
                obj(
                    "b",
                    "dup",
                    json!({"hosts": ["x.example.com"], "http": [
                {"match": [{"uri": {"prefix": "/a"}}], "route": [{"destination": {"host": "web.a.svc.cluster.local"}}]},
                {"match": [{"uri": {"prefix": "/a"}, "name": "again"}], "route": [{"destination": {"host": "web.a.svc.cluster.local"}}]}]}),
                ),
            ),
        ]);
        let ms = analyze::run(&s);
        let conflict: Vec<_> = ms.iter().filter(|m| m.ty.code == "IST0109").collect();
        assert_eq!(conflict.len(), 2);
        assert!(conflict[0].text.starts_with("The VirtualServices a/one,a/two associated with mesh gateway define the same host */web.a.svc.cluster.local"));
        let dup: Vec<_> = ms
            .iter()
            .filter(|m| m.resource.name == "dup")
            .map(|m| (m.ty.code, m.text.clone()))
            .collect();
        assert!(dup.contains(&("IST0131", "VirtualService rule #1 match \"again\" is not used (duplicate/overlapping match in rule #0).".into())), "{dup:?}");
        assert!(dup.contains(&(
            "IST0130",
            "VirtualService rule #1 not used (all matches used by prior rules).".into()
        )));
    }
}
