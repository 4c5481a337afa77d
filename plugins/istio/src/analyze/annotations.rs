//! Annotation analyzer (istio `analyzers/annotations/annotations.go`): Istio annotations
//! (a key whose prefix ends in `istio.io`, and `kubernetes.io/ingress.class`) on Namespaces,
//! Services, Pods and Deployments that Istio does not define (IST0108) or that belong on
//! another kind (IST0107).
//!
//! The list is Istio's (istio/api `annotation/annotations.gen.go`: name and the resource
//! types it applies to).

use kap_sdk::serde_json::Value;

use super::Report;
use crate::model;
use crate::msg;
use crate::snapshot::Snapshot;

/// Istio's annotations and the kinds they apply to (`Any` for every kind).
pub const ANNOTATIONS: &[(&str, &[&str])] = &[
    ("alpha.istio.io/canonical-serviceaccounts", &["Service"]),
    ("alpha.istio.io/kubernetes-serviceaccounts", &["Service"]),
    ("ambient.istio.io/bypass-inbound-capture", &["Pod"]),
    ("ambient.istio.io/dns-capture", &["Pod"]),
    ("ambient.istio.io/redirection", &["Pod"]),
    (
        "ambient.istio.io/waypoint-inbound-binding",
        &["GatewayClass", "Gateway"],
    ),
    ("galley.istio.io/analyze-suppress", &["Any"]),
    ("gateway.istio.io/controller-version", &["Any"]),
    ("gateway.istio.io/name-override", &["Gateway"]),
    ("gateway.istio.io/service-account", &["Gateway"]),
    ("inject.istio.io/templates", &["Pod"]),
    ("istio.io/autoRegistrationGroup", &["WorkloadEntry"]),
    ("istio.io/connectedAt", &["WorkloadEntry"]),
    ("istio.io/disconnectedAt", &["WorkloadEntry"]),
    ("istio.io/dry-run", &["AuthorizationPolicy"]),
    ("istio.io/reroute-virtual-interfaces", &["Pod"]),
    ("istio.io/rev", &["Pod"]),
    (
        "istio.io/use-waypoint-canary-weight",
        &["Service", "ServiceEntry", "Namespace"],
    ),
    ("istio.io/workloadController", &["WorkloadEntry"]),
    ("kubernetes.io/ingress.class", &["Ingress"]),
    ("networking.istio.io/exportTo", &["Service"]),
    ("networking.istio.io/service-type", &["Gateway"]),
    (
        "networking.istio.io/traffic-distribution",
        &["Namespace", "Service", "ServiceEntry"],
    ),
    ("prometheus.istio.io/merge-metrics", &["Pod"]),
    ("proxy.istio.io/config", &["Pod"]),
    ("proxy.istio.io/overrides", &["Pod"]),
    (
        "readiness.status.sidecar.istio.io/applicationPorts",
        &["Pod"],
    ),
    (
        "readiness.status.sidecar.istio.io/failureThreshold",
        &["Pod"],
    ),
    (
        "readiness.status.sidecar.istio.io/initialDelaySeconds",
        &["Pod"],
    ),
    ("readiness.status.sidecar.istio.io/periodSeconds", &["Pod"]),
    ("sidecar.istio.io/agentLogLevel", &["Pod"]),
    ("sidecar.istio.io/bootstrapOverride", &["Pod"]),
    ("sidecar.istio.io/componentLogLevel", &["Pod"]),
    ("sidecar.istio.io/discoveryAddress", &["Pod"]),
    ("sidecar.istio.io/extraStatTags", &["Pod"]),
    ("sidecar.istio.io/inject", &["Pod"]),
    ("sidecar.istio.io/interceptionMode", &["Pod"]),
    ("sidecar.istio.io/logLevel", &["Pod"]),
    ("sidecar.istio.io/nativeSidecar", &["Pod"]),
    ("sidecar.istio.io/proxyCPU", &["Pod"]),
    ("sidecar.istio.io/proxyCPULimit", &["Pod"]),
    ("sidecar.istio.io/proxyImage", &["Pod"]),
    ("sidecar.istio.io/proxyImageType", &["Pod"]),
    ("sidecar.istio.io/proxyMemory", &["Pod"]),
    ("sidecar.istio.io/proxyMemoryLimit", &["Pod"]),
    ("sidecar.istio.io/rewriteAppHTTPProbers", &["Pod"]),
    ("sidecar.istio.io/statsCompression", &["Pod"]),
    ("sidecar.istio.io/statsEvictionInterval", &["Pod"]),
    ("sidecar.istio.io/statsFlushInterval", &["Pod"]),
    ("sidecar.istio.io/statsHistogramBins", &["Pod"]),
    ("sidecar.istio.io/statsHistogramBuckets", &["Pod"]),
    ("sidecar.istio.io/statsInclusionPrefixes", &["Pod"]),
    ("sidecar.istio.io/statsInclusionRegexps", &["Pod"]),
    ("sidecar.istio.io/statsInclusionSuffixes", &["Pod"]),
    ("sidecar.istio.io/status", &["Pod"]),
    ("sidecar.istio.io/userVolume", &["Pod"]),
    ("sidecar.istio.io/userVolumeMount", &["Pod"]),
    ("status.sidecar.istio.io/port", &["Pod"]),
    ("topology.istio.io/controlPlaneClusters", &["Namespace"]),
    ("traffic.istio.io/nodeSelector", &["Service"]),
    ("traffic.sidecar.istio.io/excludeInboundPorts", &["Pod"]),
    ("traffic.sidecar.istio.io/excludeInterfaces", &["Pod"]),
    ("traffic.sidecar.istio.io/excludeOutboundIPRanges", &["Pod"]),
    ("traffic.sidecar.istio.io/excludeOutboundPorts", &["Pod"]),
    ("traffic.sidecar.istio.io/includeInboundPorts", &["Pod"]),
    ("traffic.sidecar.istio.io/includeOutboundIPRanges", &["Pod"]),
    ("traffic.sidecar.istio.io/includeOutboundPorts", &["Pod"]),
    ("traffic.sidecar.istio.io/kubevirtInterfaces", &["Pod"]),
];

/// Annotations set by Istio itself, never reported (`maturity.AlwaysIgnoredAnnotations`).
const ALWAYS_IGNORED: &[&str] = &[
    "sidecar.istio.io/status",
    "gateway.istio.io/controller-version",
    "istio.io/rev",
];

/// Whether a key is an Istio annotation (`istioAnnotation`).
pub fn is_istio(key: &str) -> bool {
    key == "kubernetes.io/ingress.class"
        || key
            .split('/')
            .next()
            .is_some_and(|prefix| prefix.ends_with("istio.io"))
}

/// Runs the annotation analyzer.
pub fn analyze(snap: &Snapshot, r: &mut Report) {
    for kind in ["Namespace", "Service", "Pod", "Deployment"] {
        for o in snap.of(kind) {
            check(kind, o, r);
        }
    }
}

fn check(kind: &str, o: &Value, r: &mut Report) {
    for key in model::annotations(o).keys() {
        if !is_istio(key) || ALWAYS_IGNORED.contains(&key.as_str()) {
            continue;
        }
        let Some((_, kinds)) = ANNOTATIONS.iter().find(|(n, _)| n == key) else {
            r.add(
                msg::UNKNOWN_ANNOTATION,
                kind,
                o,
                format!("Unknown annotation: {key}"),
            );
            continue;
        };
        if kinds.contains(&"Any") || kinds.contains(&kind) {
            continue;
        }
        r.add(
            msg::MISPLACED_ANNOTATION,
            kind,
            o,
            format!(
                "Misplaced annotation: {key} can only be applied to {}",
                kinds.join(", ")
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::snap;
    use crate::analyze;
    use kap_sdk::serde_json::json;

    #[test]
    fn unknown_and_misplaced() {
        let s = snap(vec![(
            "Service",
            json!({"metadata": {"namespace": "a", "name": "web", "annotations": {
                "sidecar.istio.io/proxyCPU": "100m", "networking.istio.io/exportTo": ".",
                "istio.io/not-a-thing": "x", "example.com/other": "y"}}, "spec": {}}),
        )]);
        let ms: Vec<_> = analyze::run(&s)
            .into_iter()
            .map(|m| format!("{} {}", m.ty.code, m.text))
            .collect();
        assert!(
            ms.contains(&"IST0108 Unknown annotation: istio.io/not-a-thing".to_string()),
            "{ms:?}"
        );
        assert!(ms.contains(&"IST0107 Misplaced annotation: sidecar.istio.io/proxyCPU can only be applied to Pod".to_string()));
        assert_eq!(ms.len(), 2, "{ms:?}");
    }
}
