//! Sidecar analyzers (istio `analyzers/sidecar/selector.go`), plus one of ours:
//! * a workload selector that matches no pod in the namespace: IST0101 `selector`;
//! * several Sidecars selecting the same pod: IST0110;
//! * several Sidecars without a workload selector in one namespace: IST0111;
//! * (ours, not upstream's) an egress host `namespace/host` whose namespace does not exist, or
//!   whose non-wildcard host is no Service or ServiceEntry host visible there: IST0101
//!   `egress host`.

use std::collections::BTreeMap;

use kap_sdk::serde_json::Value;

use super::Report;
use crate::model::{
    self, arr, go_sorted_names, selector_matches, selector_string, string_map, strings,
};
use crate::msg::{self, go_list, go_quote};
use crate::snapshot::Snapshot;

/// Runs the Sidecar analyzers.
pub fn analyze(snap: &Snapshot, hosts: &super::destinations::HostMap, r: &mut Report) {
    let mut pods_to_sidecars: BTreeMap<(String, String), Vec<&Value>> = BTreeMap::new();
    let mut ns_to_sidecars: BTreeMap<String, Vec<&Value>> = BTreeMap::new();
    for sc in snap.of("Sidecar") {
        let ns = model::namespace(sc);
        let sel = string_map(sc, "/spec/workloadSelector/labels");
        if sel.is_empty() {
            ns_to_sidecars.entry(ns.to_string()).or_default().push(sc);
        } else {
            let mut found = false;
            for p in snap.of("Pod") {
                if model::namespace(p) == ns && selector_matches(&sel, &model::labels(p)) {
                    found = true;
                    pods_to_sidecars
                        .entry((ns.to_string(), model::name(p).to_string()))
                        .or_default()
                        .push(sc);
                }
            }
            if !found {
                r.add(
                    msg::REFERENCED_RESOURCE_NOT_FOUND,
                    "Sidecar",
                    sc,
                    format!(
                        "Referenced selector not found: {}",
                        go_quote(&selector_string(&sel))
                    ),
                );
            }
        }
        egress_hosts(snap, hosts, sc, r);
    }
    for ((ns, pod), list) in &pods_to_sidecars {
        if list.len() < 2 {
            continue;
        }
        let names = go_sorted_names(list);
        for sc in list {
            r.add(
                msg::CONFLICTING_SIDECAR_WORKLOAD_SELECTORS,
                "Sidecar",
                sc,
                format!(
                    "The Sidecars {} in namespace {} select the same workload pod {}, which can lead to undefined behavior.",
                    go_list(&names),
                    go_quote(ns),
                    go_quote(pod)
                ),
            );
        }
    }
    for (ns, list) in &ns_to_sidecars {
        if list.len() < 2 {
            continue;
        }
        let names = go_sorted_names(list);
        for sc in list {
            r.add(
                msg::MULTIPLE_SIDECARS_WITHOUT_SELECTORS,
                "Sidecar",
                sc,
                format!(
                    "The Sidecars {} in namespace {} have no workload selector, which can lead to undefined behavior.",
                    go_list(&names),
                    go_quote(ns)
                ),
            );
        }
    }
}

/// Ours: egress hosts `ns/host` naming a missing namespace, or a concrete host that no
/// Service or ServiceEntry in that namespace (or exported to all) provides.
fn egress_hosts(snap: &Snapshot, hosts: &super::destinations::HostMap, sc: &Value, r: &mut Report) {
    let own = model::namespace(sc);
    for eg in arr(sc, "/spec/egress") {
        for h in strings(eg, "/hosts") {
            let Some((ns, host)) = h.split_once('/') else {
                continue;
            };
            let ns = match ns {
                "." => own,
                "*" | "~" => continue,
                other => other,
            };
            let missing = if !snap.exists("Namespace", "", ns) {
                true
            } else if host.contains('*') {
                false
            } else {
                let f = model::fqdn(ns, host);
                !hosts.keys().any(|k| {
                    k.split_once('/').is_some_and(|(scope, kh)| {
                        kh == f && (scope == "*" || scope == ns || scope == own)
                    })
                })
            };
            if missing {
                r.add(
                    msg::REFERENCED_RESOURCE_NOT_FOUND,
                    "Sidecar",
                    sc,
                    format!("Referenced egress host not found: {}", go_quote(&h)),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{obj, snap};
    use crate::analyze;
    use kap_sdk::serde_json::json;

    #[test]
    fn sidecar_findings() {
        let s = snap(vec![
            ("Namespace", json!({"metadata": {"name": "a"}})),
            (
                "Pod",
                json!({"metadata": {"namespace": "a", "name": "web-1", "labels": {"app": "web"}}, "spec": {}}),
            ),
            ("Service", obj("a", "web", json!({"ports": [{"port": 80}]}))),
            (
                "Sidecar",
                obj(
                    "a",
                    "s1",
                    json!({"workloadSelector": {"labels": {"app": "web"}}, "egress": [{"hosts": ["./*"]}]}),
                ),
            ),
            (
                "Sidecar",
                obj(
                    "a",
                    "s2",
                    json!({"workloadSelector": {"labels": {"app": "web"}}, "egress": [{"hosts": ["./*"]}]}),
                ),
            ),
            (
                "Sidecar",
                obj(
                    "a",
                    "s3",
                    json!({"workloadSelector": {"labels": {"app": "none"}}, "egress": [{"hosts": ["./*"]}]}),
                ),
            ),
            (
                "Sidecar",
                obj(
                    "a",
                    "d1",
                    json!({"egress": [{"hosts": ["./web", "gone/*", "a/nothing"]}]}),
                ),
            ),
            (
                "Sidecar",
                obj("a", "d2", json!({"egress": [{"hosts": ["./*"]}]})),
            ),
        ]);
        let ms = analyze::run(&s);
        let t = |name: &str| -> Vec<String> {
            ms.iter()
                .filter(|m| m.resource.name == name)
                .map(|m| format!("{} {}", m.ty.code, m.text))
                .collect()
        };
        assert_eq!(
            t("s1"),
            [
                "IST0110 The Sidecars [s1 s2] in namespace \"a\" select the same workload pod \"web-1\", which can lead to undefined behavior."
            ]
        );
        assert_eq!(
            t("s3"),
            ["IST0101 Referenced selector not found: \"app=none\""]
        );
        let d1 = t("d1");
        assert!(
            d1.contains(&"IST0101 Referenced egress host not found: \"gone/*\"".to_string()),
            "{d1:?}"
        );
        assert!(
            d1.contains(&"IST0101 Referenced egress host not found: \"a/nothing\"".to_string())
        );
        assert!(!d1.iter().any(|m| m.contains("./web")));
        assert!(d1.iter().any(|m| m.starts_with(
            "IST0111 The Sidecars [d1 d2] in namespace \"a\" have no workload selector"
        )));
    }
}
