//! The MCP resources (spec, "Resources"): `resources/list` and `resources/read` for three
//! fixed URIs, each read as one JSON document (`application/json`):
//!
//! - `k8s://context`: `{"context": NAME, "namespace": DEFAULT_NAMESPACE}` — the kubeconfig
//!   context in use and the default namespace; names only (never the server URL, user or
//!   credentials). Sends no request to the cluster.
//! - `k8s://namespaces`: `{"namespaces": [{"name", "phase"}...]}` — a `list namespaces`.
//! - `k8s://cluster-info`: `{"serverVersion": {"major", "minor", "gitVersion", "platform"},
//!   "nodes": [{"name", "status"}...]}` with `status` `Ready`, `NotReady` or `Unknown` (the
//!   node's `Ready` condition) — discovery's `/version` and a `list nodes`. When one half may
//!   not be read (RBAC) or fails, it is `null` and `unavailable` lists why; when both fail,
//!   the read fails. Never the server URL.
//!
//! Every read goes through the host's Kubernetes connection ([`crate::services::Services`]),
//! each request is checked with a SelfSubjectAccessReview first (unless the operator turned
//! RBAC checks off), and each read writes one audit record (capability `resource.read`, tool
//! `resource:URI`, plugin `host`). The operator's policy gate is for plugins and is not
//! consulted: these reads only return names, phases, versions and node readiness. Without a
//! cluster connection a read is an error naming the reason; an unknown URI is
//! `resource_not_found`.

use rmcp::ErrorData as McpError;
use rmcp::model::{ReadResourceResult, Resource, ResourceContents};
use serde_json::{Value, json};

use crate::audit::{Caller, ClientInfo, Record};
use crate::capabilities::kube::{KubeService, attributes};
use crate::gate::{Gate, RbacCheck, ReadAdmission, Refusal};

use crate::policy::RequestAttributes;
use crate::services::Services;
use crate::wit::kube::{KubeError, OutputFormat, Request, Verb};

/// The context in use and the default namespace.
pub const CONTEXT_URI: &str = "k8s://context";
/// The namespaces, with their phase.
pub const NAMESPACES_URI: &str = "k8s://namespaces";
/// The server version and the nodes, with their readiness.
pub const CLUSTER_INFO_URI: &str = "k8s://cluster-info";

/// The MIME type of every resource.
pub const MIME: &str = "application/json";

/// The resources as `resources/list` answers them.
pub fn list() -> Vec<Resource> {
    [
        (
            CONTEXT_URI,
            "context",
            "Current context",
            "The kubeconfig context in use and its default namespace (names only).",
        ),
        (
            NAMESPACES_URI,
            "namespaces",
            "Namespaces",
            "Every namespace the server's identity may list, with its phase.",
        ),
        (
            CLUSTER_INFO_URI,
            "cluster-info",
            "Cluster info",
            "The Kubernetes server version and the nodes with their Ready status.",
        ),
    ]
    .into_iter()
    .map(|(uri, name, title, description)| {
        Resource::new(uri, name)
            .with_title(title)
            .with_description(description)
            .with_mime_type(MIME)
    })
    .collect()
}

/// Reads resource `uri` for MCP request `request_id` of `client`, writing one audit record.
///
/// Errors: `resource_not_found` for an unknown URI; `internal_error` without a cluster
/// connection or when the API server cannot be reached; `invalid_request` when RBAC refuses
/// the read.
pub async fn read(
    services: &Services,
    uri: &str,
    request_id: String,
    client: Option<ClientInfo>,
) -> Result<ReadResourceResult, McpError> {
    if !list().iter().any(|r| r.uri == uri) {
        return Err(McpError::resource_not_found(
            format!(
                "unknown resource {:?}; the resources are {CONTEXT_URI}, {NAMESPACES_URI} and {CLUSTER_INFO_URI}",
                uri.chars().take(200).collect::<String>()
            ),
            None,
        ));
    }
    let caller = Caller {
        request_id,
        client,
        tool: format!("resource:{uri}"),
        plugin: "host".into(),
        digest: String::new(),
    };
    // Host-internal reads of fixed objects: the plugin policy does not apply (see the module
    // docs); RBAC does. The gate writes the one audit record of the read.
    let gate = Gate {
        policy: &services.config.policy,
        audit: &services.audit,
        rbac: None,
    };
    let mut audit: ReadAdmission = gate.admit_read(&caller, uri, read_attributes(uri));
    let svc = match &services.kube {
        Ok(s) => s.clone(),
        Err(why) => {
            let msg = if why.starts_with("no Kubernetes connection") {
                why.clone()
            } else {
                format!("no Kubernetes connection: {why}")
            };
            let msg = scrub(&msg);
            audit.rec.reason = Some(msg.clone());
            audit.finish("transport-error");
            return Err(McpError::internal_error(msg, None));
        }
    };
    let body = match uri {
        CONTEXT_URI => Ok(json!({
            "context": svc.context,
            "namespace": svc.default_namespace,
        })),
        NAMESPACES_URI => namespaces(&svc, &mut audit.rec).await,
        _ => cluster_info(&svc, &mut audit.rec).await,
    };
    match body {
        Ok(v) => {
            let outcome = if audit.rec.reason.is_some() {
                "partial"
            } else {
                "ok"
            };
            audit.finish(outcome);
            Ok(ReadResourceResult::new(vec![
                ResourceContents::text(v.to_string(), uri).with_mime_type(MIME),
            ]))
        }
        Err(f) => {
            audit.rec.reason = Some(f.message.clone());
            audit.finish(&f.outcome);
            Err(f.error)
        }
    }
}

/// The attributes a read is audited with.
fn read_attributes(uri: &str) -> RequestAttributes {
    let (verb, resource) = match uri {
        NAMESPACES_URI => (crate::verb::Verb::List, "namespaces"),
        CLUSTER_INFO_URI => (crate::verb::Verb::List, "nodes"),
        _ => (crate::verb::Verb::Get, "kubeconfig-context"),
    };
    RequestAttributes {
        verb,
        group: String::new(),
        version: "v1".into(),
        resource: resource.into(),
        subresource: None,
        namespace: None,
        name: None,
    }
}

/// Why a read (or half of one) failed: the audit outcome, the message, the MCP error.
struct Failure {
    outcome: String,
    message: String,
    error: McpError,
}

impl Failure {
    fn internal(outcome: &str, message: String) -> Failure {
        let message = scrub(&message);
        Failure {
            outcome: outcome.into(),
            error: McpError::internal_error(message.clone(), None),
            message,
        }
    }

    fn forbidden(message: String) -> Failure {
        Failure {
            outcome: "forbidden".into(),
            error: McpError::invalid_request(message.clone(), None),
            message,
        }
    }
}

/// Takes URLs (the API server's address) out of an error message and redacts credentials.
pub fn scrub(msg: &str) -> String {
    let mut out = String::with_capacity(msg.len());
    let mut rest = msg;
    while let Some(i) = ["https://", "http://"]
        .iter()
        .filter_map(|p| rest.find(p))
        .min()
    {
        out.push_str(&rest[..i]);
        out.push_str("<server>");
        let tail = &rest[i..];
        let end = tail
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | ')' | ','))
            .unwrap_or(tail.len());
        rest = &tail[end..];
    }
    out.push_str(rest);
    crate::redact::text(&out).into_owned()
}

/// A list request for a cluster-scoped core resource.
fn list_request(resource: &str) -> Request {
    Request {
        verb: Verb::List,
        group: String::new(),
        version: "v1".into(),
        resource: resource.into(),
        subresource: None,
        namespace: None,
        name: None,
        query: vec![],
        body: None,
        patch_type: None,
        output: OutputFormat::Json,
    }
}

fn kube_failure(e: KubeError) -> Failure {
    match e {
        KubeError::Forbidden(d) | KubeError::Denied(d) => Failure::forbidden(scrub(&d.reason)),
        KubeError::Api(a) => Failure::internal(
            &format!("api-error {}", a.code),
            format!(
                "the API server answered {} {}: {}",
                a.code, a.reason, a.message
            ),
        ),
        KubeError::UnknownResource(m) => Failure::internal("unknown-resource", m),
        KubeError::Invalid(m) => Failure::internal("invalid", m),
        KubeError::Transport(m) => Failure::internal("transport-error", m),
        KubeError::Limit(m) => Failure::internal("limit", m),
    }
}

/// Checks `attrs` with RBAC through the gate ([`Gate::rbac`], as `kube.send` does),
/// recording the verdict.
async fn authorize(
    svc: &KubeService,
    attrs: &RequestAttributes,
    rec: &mut Record,
) -> Result<(), Failure> {
    let check = svc.rbac_check.then(|| RbacCheck {
        rbac: &svc.rbac,
        client: &svc.client,
        identity: &svc.identity,
    });
    match crate::gate::rbac_check(check.as_ref(), attrs).await {
        Ok(verdict) => {
            rec.rbac = Some(verdict);
            Ok(())
        }
        Err(r) => {
            rec.rbac = Some(match r {
                Refusal::Forbidden { .. } => "denied",
                _ => "error",
            });
            Err(match r {
                Refusal::Forbidden { reason, .. } | Refusal::Denied { reason, .. } => {
                    Failure::forbidden(scrub(&reason))
                }
                Refusal::Unavailable(m) => Failure::internal("transport-error", m),
            })
        }
    }
}

/// Lists a cluster-scoped core resource after RBAC; returns its items.
async fn list_items(
    svc: &KubeService,
    resource: &str,
    rec: &mut Record,
) -> Result<Vec<Value>, Failure> {
    let req = list_request(resource);
    let attrs = attributes(&req).map_err(kube_failure)?;
    authorize(svc, &attrs, rec).await?;
    let res = svc.execute(&req, &attrs).await.map_err(kube_failure)?;
    let v: Value = serde_json::from_str(&res.body).map_err(|e| {
        Failure::internal(
            "transport-error",
            format!("the {resource} list is not JSON: {e}"),
        )
    })?;
    Ok(v.get("items")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default())
}

fn str_at<'v>(v: &'v Value, pointer: &str) -> &'v str {
    v.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

/// The `k8s://namespaces` document from a namespace list's items.
pub fn namespaces_doc(items: &[Value]) -> Value {
    let list: Vec<Value> = items
        .iter()
        .map(|ns| {
            json!({
                "name": str_at(ns, "/metadata/name"),
                "phase": str_at(ns, "/status/phase"),
            })
        })
        .collect();
    json!({ "namespaces": list })
}

async fn namespaces(svc: &KubeService, rec: &mut Record) -> Result<Value, Failure> {
    let items = list_items(svc, "namespaces", rec).await?;
    Ok(namespaces_doc(&items))
}

/// A node's status as `kubectl get nodes` prints it: its `Ready` condition.
pub fn node_status(node: &Value) -> &'static str {
    let ready = node
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .and_then(|cs| {
            cs.iter()
                .find(|c| c.get("type").and_then(Value::as_str) == Some("Ready"))
        })
        .and_then(|c| c.get("status").and_then(Value::as_str));
    match ready {
        Some("True") => "Ready",
        Some("False") => "NotReady",
        _ => "Unknown",
    }
}

/// The nodes part of `k8s://cluster-info` from a node list's items.
pub fn nodes_doc(items: &[Value]) -> Value {
    Value::Array(
        items
            .iter()
            .map(|n| json!({ "name": str_at(n, "/metadata/name"), "status": node_status(n) }))
            .collect(),
    )
}

/// Whether the identity may `get` the non-resource URL `/version` (a SelfSubjectAccessReview
/// with `nonResourceAttributes`; every identity may by default, through
/// `system:public-info-viewer`).
async fn authorize_version(svc: &KubeService) -> Result<(), Failure> {
    if !svc.rbac_check {
        return Ok(());
    }
    let verdict = svc
        .rbac
        .review_non_resource(&svc.client, "get", "/version")
        .await
        .map_err(|e| Failure::internal("transport-error", format!("RBAC check failed: {e}")))?;
    if verdict.allowed {
        Ok(())
    } else {
        Err(Failure::forbidden(format!(
            "RBAC: {} cannot get the non-resource URL /version",
            svc.identity
        )))
    }
}

async fn server_version(svc: &KubeService) -> Result<Value, Failure> {
    authorize_version(svc).await?;
    let info = svc
        .client
        .apiserver_version()
        .await
        .map_err(|e| Failure::internal("transport-error", format!("GET /version: {e}")))?;
    Ok(json!({
        "major": info.major,
        "minor": info.minor,
        "gitVersion": info.git_version,
        "platform": info.platform,
    }))
}

async fn cluster_info(svc: &KubeService, rec: &mut Record) -> Result<Value, Failure> {
    let version = server_version(svc).await;
    let nodes = list_items(svc, "nodes", rec).await;
    let mut unavailable = Vec::new();
    let mut failures = Vec::new();
    let version = match version {
        Ok(v) => v,
        Err(f) => {
            unavailable.push(format!("serverVersion: {}", f.message));
            failures.push(f);
            Value::Null
        }
    };
    let nodes = match nodes {
        Ok(items) => nodes_doc(&items),
        Err(f) => {
            unavailable.push(format!("nodes: {}", f.message));
            failures.push(f);
            Value::Null
        }
    };
    if failures.len() == 2 {
        let mut f = failures.remove(1);
        f.message = unavailable.join("; ");
        f.error.message = f.message.clone().into();
        return Err(f);
    }
    let mut doc = json!({ "serverVersion": version, "nodes": nodes });
    if !unavailable.is_empty() {
        rec.reason = Some(unavailable.join("; "));
        doc["unavailable"] = json!(unavailable);
    }
    Ok(doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_resources_are_listed_as_json() {
        let l = list();
        let uris: Vec<&str> = l.iter().map(|r| r.uri.as_str()).collect();
        assert_eq!(uris, [CONTEXT_URI, NAMESPACES_URI, CLUSTER_INFO_URI]);
        for r in &l {
            assert_eq!(r.mime_type.as_deref(), Some(MIME));
            assert!(r.title.is_some() && r.description.is_some());
        }
    }

    #[test]
    fn documents_keep_names_and_status_only() {
        let items = vec![
            json!({"metadata": {"name": "default", "labels": {"a": "b"}}, "status": {"phase": "Active"}}),
            json!({"metadata": {"name": "old"}, "status": {"phase": "Terminating"}}),
        ];
        assert_eq!(
            namespaces_doc(&items),
            json!({"namespaces": [{"name": "default", "phase": "Active"}, {"name": "old", "phase": "Terminating"}]})
        );
        let nodes = vec![
            json!({"metadata": {"name": "a"}, "status": {"addresses": [{"address": "10.0.0.1"}], "conditions": [{"type": "MemoryPressure", "status": "False"}, {"type": "Ready", "status": "True"}]}}),
            json!({"metadata": {"name": "b"}, "status": {"conditions": [{"type": "Ready", "status": "False"}]}}),
            json!({"metadata": {"name": "c"}}),
        ];
        let doc = nodes_doc(&nodes);
        assert_eq!(
            doc,
            json!([{"name": "a", "status": "Ready"}, {"name": "b", "status": "NotReady"}, {"name": "c", "status": "Unknown"}])
        );
        assert!(!doc.to_string().contains("10.0.0.1"));
    }

    #[test]
    fn errors_lose_the_server_address() {
        let s = scrub(
            "error sending request for url (https://127.0.0.1:6443/api/v1/nodes): connection refused",
        );
        assert_eq!(
            s,
            "error sending request for url (<server>): connection refused"
        );
        assert_eq!(scrub("a http://x b https://y"), "a <server> b <server>");
        assert_eq!(scrub("no url"), "no url");
    }

    #[test]
    fn reads_are_audited_with_their_uri() {
        for uri in [CONTEXT_URI, NAMESPACES_URI, CLUSTER_INFO_URI] {
            let a = read_attributes(uri);
            assert!(a.is_read());
        }
        assert_eq!(read_attributes(NAMESPACES_URI).resource, "namespaces");
        assert_eq!(read_attributes(CLUSTER_INFO_URI).resource, "nodes");
    }
}
