//! The one protobuf body the API proxy reads: a core `v1.Secret` (and a `DeleteOptions`),
//! which client-go's typed clients send as `application/vnd.kubernetes.protobuf`. helm keeps
//! its release records in Secrets through a typed client, so its creates and updates of
//! them arrive in protobuf; the gate judges JSON, so the proxy decodes them to JSON here and
//! forwards JSON. Anything else in protobuf is refused (415).
//!
//! The wire format is the API machinery's: the 4-byte magic `k8s\0`, then a
//! `runtime.Unknown` (k8s.io/apimachinery/pkg/runtime/generated.proto) whose `raw` is the
//! object (k8s.io/api/core/v1/generated.proto `Secret`, apimachinery's `ObjectMeta`). Only
//! the fields a Secret write carries are decoded; unknown fields are dropped.

use std::collections::BTreeMap;

use base64::Engine as _;
use prost::Message;
use serde_json::{Map, Value, json};

/// The magic prefix of a Kubernetes protobuf body.
const MAGIC: &[u8] = b"k8s\0";

#[derive(Clone, PartialEq, Message)]
struct Unknown {
    #[prost(message, optional, tag = "1")]
    type_meta: Option<TypeMeta>,
    #[prost(bytes = "vec", tag = "2")]
    raw: Vec<u8>,
    #[prost(string, tag = "3")]
    content_encoding: String,
    #[prost(string, tag = "4")]
    content_type: String,
}

#[derive(Clone, PartialEq, Message)]
struct TypeMeta {
    #[prost(string, tag = "1")]
    api_version: String,
    #[prost(string, tag = "2")]
    kind: String,
}

#[derive(Clone, PartialEq, Message)]
struct OwnerReference {
    #[prost(string, tag = "1")]
    kind: String,
    #[prost(string, tag = "3")]
    name: String,
    #[prost(string, tag = "4")]
    uid: String,
    #[prost(string, tag = "5")]
    api_version: String,
    #[prost(bool, optional, tag = "6")]
    controller: Option<bool>,
    #[prost(bool, optional, tag = "7")]
    block_owner_deletion: Option<bool>,
}

#[derive(Clone, PartialEq, Message)]
struct ObjectMeta {
    #[prost(string, tag = "1")]
    name: String,
    #[prost(string, tag = "2")]
    generate_name: String,
    #[prost(string, tag = "3")]
    namespace: String,
    #[prost(string, tag = "5")]
    uid: String,
    #[prost(string, tag = "6")]
    resource_version: String,
    #[prost(btree_map = "string, string", tag = "11")]
    labels: BTreeMap<String, String>,
    #[prost(btree_map = "string, string", tag = "12")]
    annotations: BTreeMap<String, String>,
    #[prost(message, repeated, tag = "13")]
    owner_references: Vec<OwnerReference>,
    #[prost(string, repeated, tag = "14")]
    finalizers: Vec<String>,
}

#[derive(Clone, PartialEq, Message)]
struct Secret {
    #[prost(message, optional, tag = "1")]
    metadata: Option<ObjectMeta>,
    #[prost(btree_map = "string, bytes", tag = "2")]
    data: BTreeMap<String, Vec<u8>>,
    #[prost(string, optional, tag = "3")]
    r#type: Option<String>,
    #[prost(btree_map = "string, string", tag = "4")]
    string_data: BTreeMap<String, String>,
    #[prost(bool, optional, tag = "5")]
    immutable: Option<bool>,
}

#[derive(Clone, PartialEq, Message)]
struct DeleteOptions {
    #[prost(int64, optional, tag = "1")]
    grace_period_seconds: Option<i64>,
    #[prost(bool, optional, tag = "3")]
    orphan_dependents: Option<bool>,
    #[prost(string, optional, tag = "4")]
    propagation_policy: Option<String>,
    #[prost(string, repeated, tag = "5")]
    dry_run: Vec<String>,
}

fn strings(m: &BTreeMap<String, String>) -> Value {
    Value::Object(
        m.iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect(),
    )
}

fn meta(m: &ObjectMeta) -> Value {
    let mut o = Map::new();
    let mut put = |k: &str, v: &str| {
        if !v.is_empty() {
            o.insert(k.into(), Value::String(v.into()));
        }
    };
    put("name", &m.name);
    put("generateName", &m.generate_name);
    put("namespace", &m.namespace);
    put("uid", &m.uid);
    put("resourceVersion", &m.resource_version);
    if !m.labels.is_empty() {
        o.insert("labels".into(), strings(&m.labels));
    }
    if !m.annotations.is_empty() {
        o.insert("annotations".into(), strings(&m.annotations));
    }
    if !m.owner_references.is_empty() {
        o.insert(
            "ownerReferences".into(),
            m.owner_references
                .iter()
                .map(|r| {
                    let mut v = json!({"apiVersion": r.api_version, "kind": r.kind, "name": r.name, "uid": r.uid});
                    if let Some(c) = r.controller {
                        v["controller"] = c.into();
                    }
                    if let Some(b) = r.block_owner_deletion {
                        v["blockOwnerDeletion"] = b.into();
                    }
                    v
                })
                .collect(),
        );
    }
    if !m.finalizers.is_empty() {
        o.insert("finalizers".into(), json!(m.finalizers));
    }
    Value::Object(o)
}

/// The `runtime.Unknown` of a protobuf body, or why not.
fn unknown(body: &[u8]) -> Result<Unknown, String> {
    let rest = body
        .strip_prefix(MAGIC)
        .ok_or("not a Kubernetes protobuf body (no k8s magic)")?;
    Unknown::decode(rest).map_err(|e| format!("undecodable protobuf: {e}"))
}

/// Decodes a protobuf body to the JSON the API server would accept for the same request:
/// a `v1` `Secret` or a `DeleteOptions`. Errors name what could not be read; the proxy
/// then answers 415.
pub fn to_json(body: &[u8]) -> Result<String, String> {
    let u = unknown(body)?;
    if !u.content_encoding.is_empty() {
        return Err(format!(
            "content encoding {:?} is not supported",
            u.content_encoding
        ));
    }
    let tm = u.type_meta.unwrap_or_default();
    match (tm.api_version.as_str(), tm.kind.as_str()) {
        ("v1", "Secret") => {
            let s =
                Secret::decode(u.raw.as_slice()).map_err(|e| format!("undecodable Secret: {e}"))?;
            let b64 = base64::engine::general_purpose::STANDARD;
            let mut o = json!({
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": meta(&s.metadata.unwrap_or_default()),
            });
            if !s.data.is_empty() {
                o["data"] = Value::Object(
                    s.data
                        .iter()
                        .map(|(k, v)| (k.clone(), Value::String(b64.encode(v))))
                        .collect(),
                );
            }
            if !s.string_data.is_empty() {
                o["stringData"] = strings(&s.string_data);
            }
            if let Some(t) = s.r#type {
                o["type"] = t.into();
            }
            if let Some(i) = s.immutable {
                o["immutable"] = i.into();
            }
            Ok(o.to_string())
        }
        (_, "DeleteOptions") => {
            let d = DeleteOptions::decode(u.raw.as_slice())
                .map_err(|e| format!("undecodable DeleteOptions: {e}"))?;
            let mut o = json!({"apiVersion": "v1", "kind": "DeleteOptions"});
            if let Some(g) = d.grace_period_seconds {
                o["gracePeriodSeconds"] = g.into();
            }
            if let Some(b) = d.orphan_dependents {
                o["orphanDependents"] = b.into();
            }
            if let Some(p) = d.propagation_policy {
                o["propagationPolicy"] = p.into();
            }
            if !d.dry_run.is_empty() {
                o["dryRun"] = json!(d.dry_run);
            }
            Ok(o.to_string())
        }
        (v, k) => Err(format!(
            "a protobuf {v} {k} body is not read by this proxy; send JSON"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wrap(api_version: &str, kind: &str, raw: Vec<u8>) -> Vec<u8> {
        let u = Unknown {
            type_meta: Some(TypeMeta {
                api_version: api_version.into(),
                kind: kind.into(),
            }),
            raw,
            content_encoding: String::new(),
            content_type: String::new(),
        };
        let mut b = MAGIC.to_vec();
        b.extend(u.encode_to_vec());
        b
    }

    #[test]
    fn a_release_secret_decodes_to_json() {
        let s = Secret {
            metadata: Some(ObjectMeta {
                name: "sh.helm.release.v1.web.v1".into(),
                labels: BTreeMap::from([("owner".into(), "helm".into())]),
                resource_version: "42".into(),
                ..Default::default()
            }),
            data: BTreeMap::from([("release".into(), b"H4sI".to_vec())]),
            r#type: Some("helm.sh/release.v1".into()),
            ..Default::default()
        };
        let v: Value =
            serde_json::from_str(&to_json(&wrap("v1", "Secret", s.encode_to_vec())).unwrap())
                .unwrap();
        assert_eq!(v["metadata"]["name"], "sh.helm.release.v1.web.v1");
        assert_eq!(v["metadata"]["labels"]["owner"], "helm");
        assert_eq!(v["metadata"]["resourceVersion"], "42");
        assert_eq!(v["type"], "helm.sh/release.v1");
        assert_eq!(v["data"]["release"], "SDRzSQ==");
    }

    #[test]
    fn other_kinds_and_garbage_are_refused() {
        assert!(to_json(&wrap("v1", "Pod", vec![])).is_err());
        assert!(to_json(b"{\"kind\":\"Secret\"}").is_err());
        assert!(to_json(b"k8s\0\xff\xff\xff").is_err());
        let d = DeleteOptions {
            propagation_policy: Some("Background".into()),
            ..Default::default()
        };
        let v: Value = serde_json::from_str(
            &to_json(&wrap("v1", "DeleteOptions", d.encode_to_vec())).unwrap(),
        )
        .unwrap();
        assert_eq!(v["propagationPolicy"], "Background");
    }
}
