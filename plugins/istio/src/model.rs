//! Reading Kubernetes and Istio objects as the analyzers need them: metadata, label
//! selectors as `k8s.io/apimachinery/pkg/labels` prints and matches them, and Istio host
//! names (`pkg/config/host`, `pkg/config/analysis/analyzers/util/hosts.go`).

use std::collections::BTreeMap;

use kap_sdk::serde_json::Value;

use crate::msg::ResourceRef;

/// `metadata.name`.
pub fn name(v: &Value) -> &str {
    v.pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// `metadata.namespace` (empty for cluster-scoped objects).
pub fn namespace(v: &Value) -> &str {
    v.pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// A string map at `pointer` (labels, annotations, selectors); empty when absent.
pub fn string_map(v: &Value, pointer: &str) -> BTreeMap<String, String> {
    v.pointer(pointer)
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default()
}

/// `metadata.labels`.
pub fn labels(v: &Value) -> BTreeMap<String, String> {
    string_map(v, "/metadata/labels")
}

/// `metadata.annotations`.
pub fn annotations(v: &Value) -> BTreeMap<String, String> {
    string_map(v, "/metadata/annotations")
}

/// An array at `pointer` (empty when absent).
pub fn arr<'a>(v: &'a Value, pointer: &str) -> &'a [Value] {
    v.pointer(pointer)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// A string at `pointer` (empty when absent).
pub fn str_at<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

/// The strings of an array at `pointer`.
pub fn strings(v: &Value, pointer: &str) -> Vec<String> {
    arr(v, pointer)
        .iter()
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect()
}

/// The objects' names, sorted (`sidecar.getNames`).
pub fn go_sorted_names(objs: &[&Value]) -> Vec<String> {
    let mut v: Vec<String> = objs.iter().map(|o| name(o).to_string()).collect();
    v.sort();
    v
}

/// The message resource of an object of `kind`.
pub fn resource_ref(kind: &str, v: &Value) -> ResourceRef {
    ResourceRef {
        kind: kind.to_string(),
        namespace: namespace(v).to_string(),
        name: name(v).to_string(),
    }
}

/// Whether the set-based selector `selector` (`labels.SelectorFromSet`) matches `labels`: every
/// key is present with the same value. The empty selector matches everything.
pub fn selector_matches(
    selector: &BTreeMap<String, String>,
    labels: &BTreeMap<String, String>,
) -> bool {
    selector.iter().all(|(k, v)| labels.get(k) == Some(v))
}

/// `labels.SelectorFromSet(s).String()`: `k=v` pairs sorted by key, joined by `,`.
pub fn selector_string(selector: &BTreeMap<String, String>) -> String {
    selector
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// The cluster's local domain suffix of service host names.
pub const CLUSTER_LOCAL: &str = "svc.cluster.local";

/// `util.ConvertHostToFQDN`: a short name (no `.`, not a wildcard) becomes
/// `name.namespace.svc.cluster.local`; anything else is kept.
pub fn fqdn(namespace: &str, host: &str) -> String {
    if !host.starts_with('*') && !host.contains('.') {
        format!("{host}.{namespace}.{CLUSTER_LOCAL}")
    } else {
        host.to_string()
    }
}

/// `host.Name.Matches`: identical names, or a wildcard (`*.example.com`, `*`) whose suffix
/// the other ends with (both ways).
pub fn host_matches(a: &str, b: &str) -> bool {
    let aw = a.starts_with('*');
    let bw = b.starts_with('*');
    match (aw, bw) {
        (true, true) => {
            if a.len() < b.len() {
                b[1..].ends_with(&a[1..])
            } else {
                a[1..].ends_with(&b[1..])
            }
        }
        (true, false) => b.ends_with(&a[1..]),
        (false, true) => a.ends_with(&b[1..]),
        (false, false) => a == b,
    }
}

/// `util.GetResourceNameFromHost` as (namespace, name): an FQDN
/// `name.namespace.svc.cluster.local` gives its namespace and an empty name (as upstream,
/// whose regexp match sets only the namespace); anything else is `(default_ns, host)`.
pub fn resource_name_from_host(default_ns: &str, host: &str) -> (String, String) {
    if let Some(rest) = host.strip_suffix(".svc.cluster.local")
        && let Some((n, ns)) = rest.rsplit_once('.')
        && !n.is_empty()
        && !ns.is_empty()
    {
        return (ns.to_string(), String::new());
    }
    (default_ns.to_string(), host.to_string())
}

/// The containers and init containers of a pod spec at `pointer` (`/spec` of a Pod,
/// `/spec/template/spec` of a Deployment).
pub fn containers<'a>(v: &'a Value, pointer: &str) -> impl Iterator<Item = &'a Value> {
    arr(v, &format!("{pointer}/containers"))
        .iter()
        .chain(arr(v, &format!("{pointer}/initContainers")))
}

/// Whether a container named `istio-proxy` with an image is present (`hasIstioProxy`).
pub fn has_istio_proxy(v: &Value, pointer: &str) -> bool {
    containers(v, pointer)
        .find(|c| str_at(c, "/name") == "istio-proxy")
        .is_some_and(|c| !str_at(c, "/image").is_empty())
}

/// A port's `targetPort` as Go's `intstr.String()` prints it (`0` when absent).
pub fn target_port_string(port: &Value) -> String {
    match port.get("targetPort") {
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) => s.clone(),
        _ => "0".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        assert_eq!(fqdn("ns", "reviews"), "reviews.ns.svc.cluster.local");
        assert_eq!(fqdn("ns", "a.example.com"), "a.example.com");
        assert!(host_matches("*.example.com", "a.example.com"));
        assert!(host_matches("a.example.com", "*.example.com"));
        assert!(host_matches("*", "anything"));
        assert!(!host_matches("a.example.com", "b.example.com"));
        assert!(host_matches("*.com", "*.example.com"));
        assert_eq!(
            resource_name_from_host("x", "reviews.bookinfo.svc.cluster.local"),
            ("bookinfo".into(), String::new())
        );
        assert_eq!(
            resource_name_from_host("x", "reviews"),
            ("x".into(), "reviews".into())
        );
    }

    #[test]
    fn selectors() {
        let sel: BTreeMap<String, String> = [
            ("istio".to_string(), "ingressgateway".to_string()),
            ("app".into(), "gw".into()),
        ]
        .into_iter()
        .collect();
        assert_eq!(selector_string(&sel), "app=gw,istio=ingressgateway");
        let mut labels = sel.clone();
        labels.insert("extra".into(), "1".into());
        assert!(selector_matches(&sel, &labels));
        labels.remove("app");
        assert!(!selector_matches(&sel, &labels));
        assert!(selector_matches(&BTreeMap::new(), &labels));
    }
}
