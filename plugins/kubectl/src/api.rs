//! The seam between the commands and the host: the [`Api`] trait (implemented over the WIT
//! `kube` imports in `lib.rs`, and by a fake in tests), request helpers, and how failures are
//! reported in kubectl's words.

use serde_json::{Value, json};

pub use crate::kube_ai_proxy::plugin::kube::{
    AccessReview, KubeError, OutputFormat, PatchType, Request, ResourceInfo, Response, Verb,
};

/// The Kubernetes capability as the commands see it (the WIT `kube` interface, plus a clock).
pub trait Api {
    fn send(&mut self, req: &Request) -> Result<Response, KubeError>;
    fn resolve(&mut self, name: &str) -> Result<ResourceInfo, KubeError>;
    fn api_resources(&mut self) -> Result<Vec<ResourceInfo>, KubeError>;
    fn server_version(&mut self) -> Result<String, KubeError>;
    /// The OpenAPI v3 document of one group version as JSON (`group` empty for core), as
    /// `kubectl explain` reads it from `/openapi/v3`.
    fn openapi_schema(&mut self, group: &str, version: &str) -> Result<String, KubeError>;
    #[allow(clippy::too_many_arguments)]
    fn can_i(
        &mut self,
        verb: Verb,
        group: &str,
        resource: &str,
        subresource: Option<&str>,
        namespace: Option<&str>,
        name: Option<&str>,
    ) -> Result<AccessReview, KubeError>;
    /// Seconds since the Unix epoch (for ages and `restartedAt`).
    fn now(&self) -> i64;
}

/// What the host told the plugin about the call, plus the tool's extra arguments.
#[derive(Debug, Clone, Default)]
pub struct Ctx {
    /// Namespace used when the command names none.
    pub default_namespace: String,
    /// The kubeconfig context the host acts in (for `config current-context`).
    pub kube_context: String,
    /// The `manifest` argument of `execute_kubectl` (for `apply -f -`).
    pub manifest: Option<String>,
    /// The answer budget in characters (the WIT call-context's `max-output-chars`, i.e.
    /// `K8S_MCP_MAX_OUTPUT`); 0 when unknown ([`Ctx::budget`] then uses 100000). Commands size
    /// list pages (`limit`) and cut logs to fit it.
    pub max_output_chars: u64,
    /// The answer goes through output filters (`| grep`, `| jq`): commands give them their
    /// whole output (every page of a list, the whole log) instead of fitting it to the budget,
    /// as `kubectl get ... | grep` sees every chunk.
    pub filtered: bool,
}

impl Ctx {
    /// The answer budget in characters: `max_output_chars`, or 100000 (the host's default
    /// `K8S_MCP_MAX_OUTPUT`) when unknown.
    pub fn budget(&self) -> usize {
        match self.max_output_chars {
            0 => 100_000,
            n => usize::try_from(n).unwrap_or(usize::MAX),
        }
    }
}

/// A command's answer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    pub text: String,
    pub structured: Option<Value>,
    pub is_error: bool,
}

impl Outcome {
    pub fn text(text: impl Into<String>) -> Self {
        Outcome {
            text: text.into(),
            structured: None,
            is_error: false,
        }
    }
}

/// Why a command failed.
#[derive(Debug, Clone)]
pub enum Failure {
    /// The command line is wrong: reported as invalid arguments.
    Usage(String),
    /// A capability call failed: reported as a tool error in kubectl's words.
    Kube(KubeError),
    /// The command ran but cannot complete (kubectl's `error: ...`).
    Message(String),
}

impl From<KubeError> for Failure {
    fn from(e: KubeError) -> Self {
        Failure::Kube(e)
    }
}

pub type CmdResult = Result<Outcome, Failure>;

/// A usage error.
pub fn usage<T>(msg: impl Into<String>) -> Result<T, Failure> {
    Err(Failure::Usage(msg.into()))
}

/// Reports a capability failure as kubectl would print it: `Error from server (NotFound):
/// pods "x" not found` for API errors and RBAC refusals, `Denied by policy (rule R): reason`
/// for the host's policy.
pub fn kube_error_text(e: &KubeError) -> String {
    match e {
        KubeError::Denied(d) => format!("Denied by policy (rule {}): {}", d.rule, d.reason),
        KubeError::Forbidden(d) => format!("Error from server (Forbidden): {}", d.reason),
        KubeError::Api(a) if a.reason.is_empty() => {
            format!("Error from server: {}", a.message)
        }
        KubeError::Api(a) => format!("Error from server ({}): {}", a.reason, a.message),
        KubeError::UnknownResource(s) if s.contains(' ') => format!("error: {s}"),
        KubeError::UnknownResource(s) => {
            format!("error: the server doesn't have a resource type \"{s}\"")
        }
        KubeError::Invalid(s) => format!("error: invalid request: {s}"),
        KubeError::Transport(s) => format!("Unable to connect to the server: {s}"),
        KubeError::Limit(s) => format!("error: limit reached: {s}"),
    }
}

/// The structured form of a capability failure: `{"error": {...}}`.
pub fn kube_error_json(e: &KubeError) -> Value {
    let inner = match e {
        KubeError::Denied(d) => json!({"type": "denied", "rule": d.rule, "reason": d.reason}),
        KubeError::Forbidden(d) => json!({"type": "forbidden", "rule": d.rule, "reason": d.reason}),
        KubeError::Api(a) => {
            json!({"type": "api", "code": a.code, "reason": a.reason, "message": a.message})
        }
        KubeError::UnknownResource(s) => json!({"type": "unknown-resource", "message": s}),
        KubeError::Invalid(s) => json!({"type": "invalid", "message": s}),
        KubeError::Transport(s) => json!({"type": "transport", "message": s}),
        KubeError::Limit(s) => json!({"type": "limit", "message": s}),
    };
    json!({ "error": inner })
}

/// Whether the error is the API server's 404.
pub fn is_not_found(e: &KubeError) -> bool {
    matches!(e, KubeError::Api(a) if a.code == 404)
}

/// `group/version`, or `version` for the core group (an object's `apiVersion`).
pub fn api_version(group: &str, version: &str) -> String {
    if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    }
}

/// kubectl's name for a resource type in messages and `-o name`: the lowercase kind, then
/// `.group` outside the core group (`pod`, `deployment.apps`).
pub fn kind_group(info: &ResourceInfo) -> String {
    let kind = info.kind.to_lowercase();
    if info.group.is_empty() {
        kind
    } else {
        format!("{kind}.{}", info.group)
    }
}

/// A request for `info`, with the namespace only for namespaced resources.
pub fn request(
    verb: Verb,
    info: &ResourceInfo,
    namespace: Option<&str>,
    name: Option<&str>,
) -> Request {
    Request {
        verb,
        group: info.group.clone(),
        version: info.version.clone(),
        resource: info.resource.clone(),
        subresource: None,
        namespace: if info.namespaced {
            namespace.map(str::to_string)
        } else {
            None
        },
        name: name.map(str::to_string),
        query: Vec::new(),
        body: None,
        patch_type: None,
        output: OutputFormat::Json,
    }
}

/// A `ResourceInfo` for a core/v1 resource that need not be resolved (events, pods, ...).
pub fn core(resource: &str, kind: &str, namespaced: bool) -> ResourceInfo {
    ResourceInfo {
        group: String::new(),
        version: "v1".into(),
        resource: resource.into(),
        singular: kind.to_lowercase(),
        kind: kind.into(),
        namespaced,
        verbs: Vec::new(),
        short_names: Vec::new(),
        categories: Vec::new(),
    }
}

/// Sends a request and parses the JSON answer.
pub fn send_json(api: &mut dyn Api, req: &Request) -> Result<Value, Failure> {
    let resp = api.send(req)?;
    serde_json::from_str(&resp.body)
        .map_err(|e| Failure::Message(format!("the server's answer is not JSON: {e}")))
}

/// Lists `info` objects with optional namespace and query, returning the `items`.
pub fn list_items(
    api: &mut dyn Api,
    info: &ResourceInfo,
    namespace: Option<&str>,
    query: Vec<(String, String)>,
) -> Result<Vec<Value>, Failure> {
    let mut req = request(Verb::List, info, namespace, None);
    req.query = query;
    let list = send_json(api, &req)?;
    Ok(list
        .get("items")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default())
}

/// Reads a string at a JSON path of object keys.
pub fn s<'a>(v: &'a Value, path: &[&str]) -> &'a str {
    get(v, path).and_then(Value::as_str).unwrap_or("")
}

/// Reads an integer at a JSON path of object keys.
pub fn i(v: &Value, path: &[&str]) -> Option<i64> {
    get(v, path).and_then(Value::as_i64)
}

/// Follows a JSON path of object keys.
pub fn get<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    let mut cur = v;
    for k in path {
        cur = cur.get(k)?;
    }
    Some(cur)
}

/// An array at a JSON path (empty when absent).
pub fn arr<'a>(v: &'a Value, path: &[&str]) -> &'a [Value] {
    get(v, path)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}
