//! Gateway analyzers (istio `analyzers/gateway/gateway.go`, `conflictinggateway.go`):
//! * a selector that matches no pod: IST0101 `selector`;
//! * a server port that no Service of the gateway's pods exposes: IST0162
//!   GatewayPortNotDefinedOnService (the successor of the retired IST0104
//!   GatewayPortNotOnWorkload);
//! * two Gateways with the same selector, port and host (and bind): IST0145.

use std::collections::{BTreeMap, BTreeSet};

use kap_sdk::serde_json::Value;

use super::Report;
use crate::model::{self, arr, selector_matches, selector_string, str_at, string_map, strings};
use crate::msg;
use crate::snapshot::Snapshot;

/// Runs the Gateway analyzers.
pub fn analyze(snap: &Snapshot, r: &mut Report) {
    for gw in snap.of("Gateway") {
        ports(snap, gw, r);
    }
    conflicts(snap, r);
}

/// A Service port's target as `IntOrString.IntValue()` reads it (0 for a name).
fn target_port(port: &Value) -> u64 {
    match port.get("targetPort") {
        Some(Value::Number(n)) => n.as_u64().unwrap_or(0),
        Some(Value::String(s)) => s.parse().unwrap_or(0),
        _ => 0,
    }
}

/// `IngressGatewayPortAnalyzer`.
fn ports(snap: &Snapshot, gw: &Value, r: &mut Report) {
    let sel = string_map(gw, "/spec/selector");
    let mut service_ports: BTreeSet<u64> = BTreeSet::new();
    let mut mapped: BTreeSet<u64> = BTreeSet::new();
    let mut matches = 0;
    for pod in snap.of("Pod") {
        let labels = model::labels(pod);
        if !selector_matches(&sel, &labels) {
            continue;
        }
        matches += 1;
        for svc in snap.of("Service") {
            if model::namespace(svc) != model::namespace(pod) {
                continue;
            }
            if !selector_matches(&string_map(svc, "/spec/selector"), &labels) {
                continue;
            }
            for p in arr(svc, "/spec/ports") {
                let proto = str_at(p, "/protocol");
                if proto != "TCP" && !proto.is_empty() {
                    continue;
                }
                let port = p.get("port").and_then(Value::as_u64).unwrap_or(0);
                match target_port(p) {
                    0 => {
                        service_ports.insert(port);
                    }
                    tp => {
                        service_ports.insert(tp);
                        mapped.insert(port);
                    }
                }
            }
        }
    }
    let sel_text = selector_string(&sel);
    if matches == 0 {
        r.add(
            msg::REFERENCED_RESOURCE_NOT_FOUND,
            "Gateway",
            gw,
            format!(
                "Referenced selector not found: {}",
                msg::go_quote(&sel_text)
            ),
        );
        return;
    }
    for s in arr(gw, "/spec/servers") {
        let Some(n) = s.pointer("/port/number").and_then(Value::as_u64) else {
            continue;
        };
        if !service_ports.contains(&n) && !mapped.contains(&n) {
            r.add(
                msg::GATEWAY_PORT_NOT_DEFINED_ON_SERVICE,
                "Gateway",
                gw,
                format!(
                    "The gateway is listening on a target port (port {n}) that is not defined in the Service associated with its workload instances (Pod selector {sel_text}). If you need to access the gateway port through the gateway Service, it will not be available."
                ),
            );
        }
    }
}

/// `ConflictingGatewayAnalyzer`: gateways whose selectors are equal (or one contains the
/// other and a pod matches both) with a server on the same port binding the same host with
/// the same `bind`.
fn conflicts(snap: &Snapshot, r: &mut Report) {
    // (selector, port) → gateway "ns/name" → host → bind
    type HostsBind = BTreeMap<String, String>;
    let mut by_key: BTreeMap<(String, u64), BTreeMap<String, HostsBind>> = BTreeMap::new();
    for gw in snap.of("Gateway") {
        let sel = selector_string(&string_map(gw, "/spec/selector"));
        let name = format!("{}/{}", model::namespace(gw), model::name(gw));
        for s in arr(gw, "/spec/servers") {
            let port = s
                .pointer("/port/number")
                .and_then(Value::as_u64)
                .unwrap_or(0);
            let bind = str_at(s, "/bind").to_string();
            let hb = by_key
                .entry((sel.clone(), port))
                .or_default()
                .entry(name.clone())
                .or_default();
            for h in strings(s, "/hosts") {
                hb.insert(h, bind.clone());
            }
        }
    }
    let parse_selector = |s: &str| -> BTreeMap<String, String> {
        s.split(',')
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    for gw in snap.of("Gateway") {
        let sel_map = string_map(gw, "/spec/selector");
        let sel = selector_string(&sel_map);
        let name = format!("{}/{}", model::namespace(gw), model::name(gw));
        let same: Vec<&(String, u64)> = by_key
            .keys()
            .filter(|(xsel, _)| {
                if *xsel == sel {
                    return true;
                }
                if xsel.contains(sel.as_str()) || sel.contains(xsel.as_str()) {
                    let x = parse_selector(xsel);
                    return snap.of("Pod").iter().any(|p| {
                        let l = model::labels(p);
                        selector_matches(&sel_map, &l) && selector_matches(&x, &l)
                    });
                }
                false
            })
            .collect();
        for s in arr(gw, "/spec/servers") {
            let port = s
                .pointer("/port/number")
                .and_then(Value::as_u64)
                .unwrap_or(0);
            let bind = str_at(s, "/bind");
            let hosts = strings(s, "/hosts");
            let mut others: Vec<String> = Vec::new();
            for key in same.iter().filter(|(_, p)| *p == port) {
                for (other, hb) in &by_key[*key] {
                    if *other != name && hosts.iter().any(|h| hb.get(h).is_some_and(|b| b == bind))
                    {
                        others.push(other.clone());
                    }
                }
            }
            if !others.is_empty() {
                others.sort();
                others.dedup();
                r.add(
                    msg::CONFLICTING_GATEWAYS,
                    "Gateway",
                    gw,
                    format!(
                        "Conflict with gateways {} (workload selector {sel}, port {port}, hosts {}).",
                        others.join(","),
                        hosts.join(",")
                    ),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{codes, obj, snap};
    use kap_sdk::serde_json::{Value, json};

    fn pod(ns: &str, name: &str, labels: Value) -> Value {
        json!({"metadata": {"namespace": ns, "name": name, "labels": labels}, "spec": {"containers": []}})
    }

    fn gw(ns: &str, name: &str, port: u64, host: &str) -> Value {
        obj(
            ns,
            name,
            json!({"selector": {"istio": "ingressgateway"}, "servers": [{"port": {"number": port, "name": "http", "protocol": "HTTP"}, "hosts": [host]}]}),
        )
    }

    #[test]
    fn selector_port_and_conflicts() {
        let s = snap(vec![
            (
                "Pod",
                pod("gw", "ingress-1", json!({"istio": "ingressgateway"})),
            ),
            (
                "Service",
                obj(
                    "gw",
                    "ingress",
                    json!({"selector": {"istio": "ingressgateway"}, "ports": [{"port": 80, "targetPort": 8080, "protocol": "TCP"}]}),
                ),
            ),
            ("Gateway", gw("a", "ok", 80, "a.example.com")),
            ("Gateway", gw("a", "wrong-port", 8443, "b.example.com")),
            ("Gateway", gw("a", "dup1", 80, "c.example.com")),
            ("Gateway", gw("a", "dup2", 80, "c.example.com")),
            (
                "Gateway",
                obj(
                    "a",
                    "nobody",
                    json!({"selector": {"app": "none"}, "servers": [{"port": {"number": 80}, "hosts": ["*"]}]}),
                ),
            ),
        ]);
        let c = codes(&s);
        assert!(
            c.contains(&("IST0162".into(), "Gateway a/wrong-port".into())),
            "{c:?}"
        );
        assert!(c.contains(&("IST0101".into(), "Gateway a/nobody".into())));
        assert!(c.contains(&("IST0145".into(), "Gateway a/dup1".into())));
        assert!(c.contains(&("IST0145".into(), "Gateway a/dup2".into())));
        assert!(!c.iter().any(|(_, r)| r == "Gateway a/ok"), "{c:?}");
    }
}
