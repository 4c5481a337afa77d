//! The seam between a plugin's code and the host: the [`Api`] trait (implemented over the WIT
//! imports by [`crate::Host`], and by [`crate::testing::FakeApi`] in native tests), request
//! helpers, list reading, and how failures are reported in kubectl's words
//! ([`kube_error_text`]: `Error from server (NotFound): pods "x" not found`).

use serde_json::{Value, json};

pub use crate::{
    AccessReview, KubeError, Level, OutputFormat, PatchType, ProcessError, Request, ResourceInfo,
    Response, RunOutput, RunRequest, Verb,
};

/// The host's capabilities as a plugin's code sees them: the WIT `kube` interface, a clock,
/// and the `process`, `progress` and `log` imports (with defaults, so a fake need not
/// provide them). Every kube call passes the host's grant, policy and RBAC check; a refusal
/// is a [`KubeError`] value.
pub trait Api {
    /// Sends one request (`kube.send`).
    fn send(&mut self, req: &Request) -> Result<Response, KubeError>;
    /// Resolves a resource as typed (`po`, `deploy`, `deployments.apps`) with discovery
    /// (`kube.resolve`).
    fn resolve(&mut self, name: &str) -> Result<ResourceInfo, KubeError>;
    /// Every resource discovery knows (`kube.api-resources`).
    fn api_resources(&mut self) -> Result<Vec<ResourceInfo>, KubeError>;
    /// The API server's `/version` answer as JSON (`kube.server-version`).
    fn server_version(&mut self) -> Result<String, KubeError>;
    /// The OpenAPI v3 document of one group version as JSON (`group` empty for core), as
    /// `kubectl explain` reads it from `/openapi/v3`.
    fn openapi_schema(&mut self, group: &str, version: &str) -> Result<String, KubeError>;
    /// An access review (`kubectl auth can-i`, `kube.can-i`).
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

    /// Runs one granted program (`process.run`). Default: refused as not granted.
    fn run_process(&mut self, req: &RunRequest) -> Result<RunOutput, ProcessError> {
        Err(ProcessError::NotGranted(req.program.clone()))
    }

    /// Reports progress of a long call (`progress.report`). Default: ignored.
    fn progress(&mut self, done: u64, total: Option<u64>, message: Option<&str>) {
        let _ = (done, total, message);
    }

    /// Logs one message to the host's log (`log.log`). Default: ignored.
    fn log(&mut self, level: Level, message: &str) {
        let _ = (level, message);
    }
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
    /// The context of a call as the host gave it (no `manifest`, not filtered).
    pub fn from_call(ctx: &crate::CallContext) -> Ctx {
        Ctx {
            default_namespace: ctx.default_namespace.clone(),
            kube_context: ctx.kube_context.clone(),
            manifest: None,
            max_output_chars: ctx.max_output_chars,
            filtered: false,
        }
    }

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
    /// The text the model reads.
    pub text: String,
    /// Structured content (MCP `structuredContent`).
    pub structured: Option<Value>,
    /// The command ran but failed (MCP `isError`).
    pub is_error: bool,
}

impl Outcome {
    /// A plain text answer.
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

/// A command's result.
pub type CmdResult = Result<Outcome, Failure>;

impl From<Outcome> for crate::ToolOutput {
    fn from(o: Outcome) -> Self {
        crate::ToolOutput {
            text: o.text,
            structured: o.structured.map(|v| v.to_string()),
            is_error: o.is_error,
        }
    }
}

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

/// Whether the host refused the request: the policy or the grant (`denied`) or Kubernetes
/// RBAC (`forbidden`), as opposed to the API server failing it.
pub fn is_refused(e: &KubeError) -> bool {
    matches!(e, KubeError::Denied(_) | KubeError::Forbidden(_))
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
    let mut req = Request::of(verb, info).namespace_if(info.namespaced, namespace);
    req.name = name.map(str::to_string);
    req
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

/// Every item of the list `req` (its `items`), `page` objects a request (`limit`), following
/// `metadata.continue` as kubectl's chunked lists do (`--chunk-size`), in at most
/// `max_pages` requests.
///
/// Errors: the first capability failure, as sent; `KubeError::Invalid` for an answer that is
/// not JSON; `KubeError::Limit` when the list has more than `page * max_pages` objects
/// (nothing is returned then: a cut list would pass for a whole one).
pub fn list_pages(
    api: &mut dyn Api,
    req: &Request,
    page: usize,
    max_pages: usize,
) -> Result<Vec<Value>, KubeError> {
    let mut items = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..max_pages {
        let mut one = req.clone().query("limit", page.to_string());
        if let Some(t) = &token {
            one = one.query("continue", t.clone());
        }
        let resp = api.send(&one)?;
        let list: Value = serde_json::from_str(&resp.body)
            .map_err(|e| KubeError::Invalid(format!("the server's answer is not JSON: {e}")))?;
        items.extend(arr(&list, &["items"]).iter().cloned());
        token = Some(s(&list, &["metadata", "continue"]))
            .filter(|t| !t.is_empty())
            .map(str::to_string);
        if token.is_none() {
            return Ok(items);
        }
    }
    Err(KubeError::Limit(format!(
        "{} has more than {} objects",
        if req.group.is_empty() {
            req.resource.clone()
        } else {
            format!("{}.{}", req.resource, req.group)
        },
        page * max_pages
    )))
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
