//! Injection analyzers (istio `analyzers/injection/injection.go`):
//! * a namespace with neither `istio-injection` nor `istio.io/rev`: IST0102;
//! * a namespace with more than one injection label: IST0123;
//! * a pod without the `istio-proxy` container in a namespace labelled
//!   `istio-injection=enabled` (unless it opts out or uses the host network): IST0103.
//!
//! The sidecar injector's `enableNamespacesByDefault` (IST0114 instead of IST0102) is not
//! read: this plugin does not read the injector's ConfigMap values.

use std::collections::BTreeSet;

use super::Report;
use crate::model;
use crate::msg::{self, go_list};
use crate::snapshot::Snapshot;

const INJECTION: &str = "istio-injection";
const REV: &str = "istio.io/rev";
const DATAPLANE_MODE: &str = "istio.io/dataplane-mode";

/// Runs the injection analyzers.
pub fn analyze(snap: &Snapshot, r: &mut Report) {
    let mut injected: BTreeSet<&str> = BTreeSet::new();
    for ns in snap.of("Namespace") {
        let name = model::name(ns);
        if name == snap.istio_namespace {
            continue;
        }
        let labels = model::labels(ns);
        let injection = labels.get(INJECTION);
        let mut istio_labels = Vec::new();
        if let Some(v) = injection {
            istio_labels.push(format!("{INJECTION}={v}"));
        }
        for l in [REV, DATAPLANE_MODE] {
            if let Some(v) = labels.get(l)
                && injection.is_none_or(|i| i == "enabled")
            {
                istio_labels.push(format!("{l}={v}"));
            }
        }
        if istio_labels.len() > 1 {
            r.add(
                msg::NAMESPACE_MULTIPLE_INJECTION_LABELS,
                "Namespace",
                ns,
                format!(
                    "The namespace has more than one type of injection labels {}, which may lead to undefined behavior. Make sure only one injection label exists.",
                    go_list(&istio_labels)
                ),
            );
        }
        if labels.get(DATAPLANE_MODE).map(String::as_str) == Some("ambient") {
            continue;
        }
        if injection.is_none_or(|v| v.is_empty()) && !labels.contains_key(REV) {
            r.add(
                msg::NAMESPACE_NOT_INJECTED,
                "Namespace",
                ns,
                format!(
                    "The namespace is not enabled for Istio injection. Run 'kubectl label namespace {name} istio-injection=enabled' to enable it, or 'kubectl label namespace {name} istio-injection=disabled' to explicitly mark it as not needing injection."
                ),
            );
            continue;
        }
        if injection.map(String::as_str) == Some("enabled") {
            injected.insert(name);
        }
    }
    for pod in snap.of("Pod") {
        let ns = model::namespace(pod);
        if !injected.contains(ns) {
            continue;
        }
        let mut inj = model::annotations(pod)
            .get("sidecar.istio.io/inject")
            .cloned()
            .unwrap_or_default();
        if let Some(v) = model::labels(pod).get("sidecar.istio.io/inject") {
            inj = v.clone();
        }
        if inj.eq_ignore_ascii_case("false") {
            continue;
        }
        if pod
            .pointer("/spec/hostNetwork")
            .and_then(|v| v.as_bool())
            .unwrap_or(false)
        {
            continue;
        }
        if !model::has_istio_proxy(pod, "/spec") {
            r.add(
                msg::POD_MISSING_PROXY,
                "Pod",
                pod,
                format!(
                    "The pod {ns}/{} is missing the Istio proxy. This can often be resolved by restarting or redeploying the workload.",
                    model::name(pod)
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{codes, snap};
    use kap_sdk::serde_json::json;

    #[test]
    fn injection_findings() {
        let s = snap(vec![
            ("Namespace", json!({"metadata": {"name": "plain"}})),
            (
                "Namespace",
                json!({"metadata": {"name": "on", "labels": {"istio-injection": "enabled"}}}),
            ),
            (
                "Namespace",
                json!({"metadata": {"name": "both", "labels": {"istio-injection": "enabled", "istio.io/rev": "canary"}}}),
            ),
            ("Namespace", json!({"metadata": {"name": "istio-system"}})),
            (
                "Pod",
                json!({"metadata": {"namespace": "on", "name": "bare"}, "spec": {"containers": [{"name": "app", "image": "x"}]}}),
            ),
            (
                "Pod",
                json!({"metadata": {"namespace": "on", "name": "meshed"}, "spec": {"containers": [{"name": "app", "image": "x"}, {"name": "istio-proxy", "image": "proxyv2"}]}}),
            ),
            (
                "Pod",
                json!({"metadata": {"namespace": "on", "name": "optout", "labels": {"sidecar.istio.io/inject": "false"}}, "spec": {"containers": [{"name": "app", "image": "x"}]}}),
            ),
        ]);
        let c = codes(&s);
        assert!(
            c.contains(&("IST0102".into(), "Namespace plain".into())),
            "{c:?}"
        );
        assert!(c.contains(&("IST0123".into(), "Namespace both".into())));
        assert!(c.contains(&("IST0103".into(), "Pod on/bare".into())));
        assert!(
            !c.iter().any(|(_, r)| r == "Pod on/meshed"
                || r == "Pod on/optout"
                || r == "Namespace on"
                || r == "Namespace istio-system"),
            "{c:?}"
        );
    }
}
