//! IST0106 SchemaValidationError for the semantic checks of istio's `pkg/config/validation`
//! that the CRDs' schemas do not enforce and that this plugin knows (upstream's wording):
//! * DestinationRule: `duplicate subset names: NAME`;
//! * Gateway: `gateway must have at least one server`, `port names in servers must be unique:
//!   duplicate name NAME`, `server config must contain at least one host`;
//! * Sidecar: `sidecar: empty configuration provided`, `short names (non FQDN) are not
//!   allowed` (an egress host `ns/name` without a dot);
//! * VirtualService: `HTTP route, redirect or direct_response is required`,
//!   `HTTP route cannot contain both route and redirect`,
//!   `HTTP route cannot contain both mirror and mirrors`.

use std::collections::BTreeSet;

use kap_sdk::serde_json::Value;

use super::Report;
use crate::model::{arr, str_at};
use crate::msg;
use crate::snapshot::Snapshot;

/// The schema errors of one object of `kind` (empty for other kinds).
pub fn errors(kind: &str, o: &Value) -> Vec<String> {
    let mut out = Vec::new();
    match kind {
        "DestinationRule" => {
            let mut seen = BTreeSet::new();
            for s in arr(o, "/spec/subsets") {
                let n = str_at(s, "/name");
                if !seen.insert(n) {
                    out.push(format!("duplicate subset names: {n}"));
                }
            }
        }
        "Gateway" => {
            let servers = arr(o, "/spec/servers");
            if servers.is_empty() {
                out.push("gateway must have at least one server".into());
            }
            let mut names = BTreeSet::new();
            for s in servers {
                let n = str_at(s, "/port/name");
                if !n.is_empty() && !names.insert(n) {
                    out.push(format!(
                        "port names in servers must be unique: duplicate name {n}"
                    ));
                }
                if arr(s, "/hosts").is_empty() {
                    out.push("server config must contain at least one host".into());
                }
            }
        }
        "Sidecar" => {
            let spec = o.get("spec").cloned().unwrap_or_default();
            if arr(o, "/spec/egress").is_empty()
                && arr(o, "/spec/ingress").is_empty()
                && spec.get("outboundTrafficPolicy").is_none()
                && spec.get("inboundConnectionPool").is_none()
            {
                out.push("sidecar: empty configuration provided".into());
                return out;
            }
            for eg in arr(o, "/spec/egress") {
                for h in arr(eg, "/hosts").iter().filter_map(|h| h.as_str()) {
                    if let Some((_, host)) = h.split_once('/')
                        && host != "*"
                        && !host.contains('.')
                    {
                        out.push("short names (non FQDN) are not allowed".into());
                    }
                }
            }
        }
        "VirtualService" => {
            for h in arr(o, "/spec/http") {
                let route = !arr(h, "/route").is_empty();
                let redirect = h.get("redirect").is_some();
                let direct = h.get("directResponse").is_some();
                let delegate = h.get("delegate").is_some();
                if route && redirect {
                    out.push("HTTP route cannot contain both route and redirect".into());
                }
                if h.get("mirror").is_some() && !arr(h, "/mirrors").is_empty() {
                    out.push("HTTP route cannot contain both mirror and mirrors".into());
                }
                if !route && !redirect && !direct && !delegate {
                    out.push("HTTP route, redirect or direct_response is required".into());
                }
            }
        }
        _ => {}
    }
    out
}

/// Reports every schema error.
pub fn analyze(snap: &Snapshot, r: &mut Report) {
    for kind in ["DestinationRule", "Gateway", "Sidecar", "VirtualService"] {
        for o in snap.of(kind) {
            for e in errors(kind, o) {
                r.add(
                    msg::SCHEMA_VALIDATION_ERROR,
                    kind,
                    o,
                    format!("Schema validation error: {e}"),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::errors;
    use kap_sdk::serde_json::json;

    #[test]
    fn semantic_checks() {
        assert_eq!(
            errors(
                "DestinationRule",
                &json!({"spec": {"host": "a", "subsets": [{"name": "v1"}, {"name": "v1"}]}})
            ),
            ["duplicate subset names: v1"]
        );
        assert_eq!(
            errors(
                "VirtualService",
                &json!({"spec": {"hosts": ["a"], "http": [{"match": [{"uri": {"exact": "/"}}]}]}})
            ),
            ["HTTP route, redirect or direct_response is required"]
        );
        assert!(errors("VirtualService", &json!({"spec": {"hosts": ["a"], "http": [{"route": [{"destination": {"host": "a"}}]}]}})).is_empty());
        assert_eq!(
            errors("Gateway", &json!({"spec": {"servers": []}})),
            ["gateway must have at least one server"]
        );
    }
}
