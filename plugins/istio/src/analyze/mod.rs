//! The analyzers of `istioctl analyze`, reimplemented on a [`Snapshot`]: each reads the
//! objects as istio/istio's `pkg/config/analysis/analyzers/*` does and reports Istio's message
//! type on the resource upstream reports it on, with upstream's template.
//!
//! Which messages reach the answer follows `istioctl analyze`: the analysis sees the whole
//! cluster except Kubernetes' system namespaces (`inject.IgnoredNamespaces`), and messages
//! are then kept for the analyzed namespace (or all with `-A`), minus suppressions
//! (`--suppress CODE=Kind name.namespace` globs and the `galley.istio.io/analyze-suppress`
//! annotation).

pub mod annotations;
pub mod destinations;
pub mod gateways;
pub mod injection;
pub mod schema;
pub mod services;
pub mod sidecars;

use std::collections::BTreeMap;

use kap_sdk::serde_json::Value;

use crate::model;
use crate::msg::{Message, MsgType};
use crate::snapshot::Snapshot;

/// Namespaces the analysis never reads (istio `pkg/kube/inject.IgnoredNamespaces`).
pub const IGNORED_NAMESPACES: &[&str] = &[
    "kube-system",
    "kube-public",
    "kube-node-lease",
    "local-path-storage",
];

/// Collects messages.
#[derive(Default)]
pub struct Report {
    /// Messages in the order the analyzers found them.
    pub messages: Vec<Message>,
}

impl Report {
    /// Reports `ty` on the object `obj` of `kind` with the rendered `text`.
    pub fn add(&mut self, ty: MsgType, kind: &str, obj: &Value, text: String) {
        self.messages.push(Message {
            ty,
            resource: model::resource_ref(kind, obj),
            text,
        });
    }
}

/// Removes the objects of the ignored namespaces (and those namespaces) from the snapshot.
pub fn drop_ignored(snap: &mut Snapshot) {
    for (kind, list) in snap.objects.iter_mut() {
        list.retain(|o| {
            let ns = if *kind == "Namespace" {
                model::name(o)
            } else {
                model::namespace(o)
            };
            !IGNORED_NAMESPACES.contains(&ns)
        });
    }
}

/// Runs every analyzer over the snapshot; messages are sorted and deduplicated as istioctl
/// does (`diag.Messages.SortedDedupedCopy`: errors first, then by code, then by
/// `Kind/name/namespace`, then by text).
pub fn run(snap: &Snapshot) -> Vec<Message> {
    let mut r = Report::default();
    // Services and ServiceEntries by scoped host, for every analyzer that resolves a host.
    let hosts = destinations::host_map(snap);
    destinations::analyze(snap, &hosts, &mut r);
    gateways::analyze(snap, &mut r);
    sidecars::analyze(snap, &hosts, &mut r);
    injection::analyze(snap, &mut r);
    annotations::analyze(snap, &mut r);
    services::analyze(snap, &hosts, &mut r);
    schema::analyze(snap, &mut r);
    let mut ms = r.messages;
    let key = |m: &Message| {
        (
            std::cmp::Reverse(m.ty.level),
            m.ty.code,
            format!(
                "{}/{}/{}",
                m.resource.kind, m.resource.name, m.resource.namespace
            ),
            m.log_line(),
        )
    };
    ms.sort_by_key(key);
    ms.dedup();
    ms
}

/// What to keep of the messages (`istioctl analyze` flags).
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Keep only messages on resources in this namespace (cluster-scoped ones are kept);
    /// `None` with `-A`.
    pub namespace: Option<String>,
    /// `--suppress CODE=RESOURCE` pairs; RESOURCE is a glob over `Kind name.namespace` as
    /// istioctl writes it (and `Kind namespace/name`, which its output shows).
    pub suppress: Vec<(String, String)>,
}

/// `glob.Glob`: `*` matches any run of characters.
pub fn glob(pattern: &str, s: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == s;
    }
    let mut rest = s;
    for (i, p) in parts.iter().enumerate() {
        if i == 0 {
            match rest.strip_prefix(p) {
                Some(r) => rest = r,
                None => return false,
            }
        } else if i == parts.len() - 1 {
            return rest.ends_with(p);
        } else {
            match rest.find(p) {
                Some(at) => rest = &rest[at + p.len()..],
                None => return false,
            }
        }
    }
    true
}

/// Applies the namespace filter, suppressions and suppression annotations.
pub fn filter(ms: Vec<Message>, f: &Filter, snap: &Snapshot) -> Vec<Message> {
    let annotations = suppression_annotations(snap);
    ms.into_iter()
        .filter(|m| match &f.namespace {
            Some(ns) => {
                let s = m.resource.scope_namespace();
                s.is_empty() || s == ns
            }
            None => true,
        })
        .filter(|m| {
            !annotations
                .get(&(
                    m.resource.kind.clone(),
                    m.resource.namespace.clone(),
                    m.resource.name.clone(),
                ))
                .is_some_and(|codes| codes.iter().any(|c| c == "*" || c == m.ty.code))
        })
        .filter(|m| {
            let dotted = if m.resource.namespace.is_empty() {
                format!("{} {}", m.resource.kind, m.resource.name)
            } else {
                format!(
                    "{} {}.{}",
                    m.resource.kind, m.resource.name, m.resource.namespace
                )
            };
            !f.suppress.iter().any(|(code, res)| {
                code == m.ty.code && (glob(res, &dotted) || glob(res, &m.resource.friendly()))
            })
        })
        .collect()
}

/// `galley.istio.io/analyze-suppress` annotations: (kind, namespace, name) → codes.
fn suppression_annotations(snap: &Snapshot) -> BTreeMap<(String, String, String), Vec<String>> {
    let mut out = BTreeMap::new();
    for (kind, list) in &snap.objects {
        for o in list {
            if let Some(v) = model::annotations(o).get("galley.istio.io/analyze-suppress") {
                out.insert(
                    (
                        kind.to_string(),
                        model::namespace(o).to_string(),
                        model::name(o).to_string(),
                    ),
                    v.split(',').map(|s| s.trim().to_string()).collect(),
                );
            }
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod fixtures {
    //! Snapshots for the analyzers' unit tests.
    use kap_sdk::serde_json::{Value, json};

    use crate::snapshot::Snapshot;

    /// A snapshot from `(kind, objects)`.
    pub fn snap(objs: Vec<(&'static str, Value)>) -> Snapshot {
        let mut s = Snapshot {
            istio_namespace: "istio-system".into(),
            ..Snapshot::default()
        };
        for (k, v) in objs {
            s.objects.entry(k).or_default().push(v);
        }
        s
    }

    /// An object with metadata and a spec.
    pub fn obj(ns: &str, name: &str, spec: Value) -> Value {
        json!({"metadata": {"namespace": ns, "name": name}, "spec": spec})
    }

    /// Runs every analyzer and returns `(code, resource)` pairs.
    pub fn codes(s: &Snapshot) -> Vec<(String, String)> {
        super::run(s)
            .into_iter()
            .map(|m| (m.ty.code.to_string(), m.resource.friendly()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob("VirtualService *.default", "VirtualService a.default"));
        assert!(!glob("VirtualService *.default", "VirtualService a.other"));
        assert!(glob("*", "x"));
        assert!(glob("Pod a*.ns", "Pod abc.ns"));
    }
}
