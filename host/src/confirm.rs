//! Confirmation of destructive and privilege-changing requests: a person's yes, bound to the
//! exact request, asked through the MCP client; fail closed.
//!
//! When the gate answers [`Decision::Confirm`](crate::policy::Decision::Confirm) for a
//! capability request, the host
//! 1. runs the request as a server-side dry run (`dryRun=All`) and builds a [`preview`]:
//!    the objects a delete would remove, a short diff for updates and patches;
//! 2. asks the client through the call's [`Channel`]:
//!    * protocol ≤ 2025-11-25 with the `elicitation` capability: an `elicitation/create`
//!      request on the session while the plugin waits (MCP spec 2025-11-25, "Elicitation");
//!    * protocol 2026-07-28: the call ends with an `InputRequiredResult` whose `requestState`
//!      is sealed (HMAC-SHA256, per-process key, 10 min TTL, single use) and bound to the tool
//!      name, its arguments and the request's digest; the client retries with the person's
//!      answer and the plugin runs again; only a request with the approved digest passes;
//!    * anything else: the request is refused with the policy rule that would allow it;
//! 3. sends the request only on an explicit yes (`action: accept` with `confirm: true`).
//!    Decline, cancel, a timeout, a changed argument or any error refuses it.
//!
//! No tool argument can confirm: the answer only comes from the client's elicitation.

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::Duration;

use anyhow::{Context as _, Result};
use rmcp::model::{
    ElicitRequest, ElicitRequestParams, ElicitationAction, ElicitationSchema, InputRequest,
    InputRequests, RequestStateCodec, SealOptions,
};
use rmcp::{Peer, RoleServer};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use crate::capabilities::kube::KubeService;
use crate::plugins::bindings::kube_ai_proxy::plugin::kube::{
    KubeError, OutputFormat, Request, Verb,
};
use crate::policy::RequestAttributes;

/// The key of the one input request and of the boolean field the person sets.
pub const CONFIRM_KEY: &str = "confirm";
/// How long a sealed `requestState` stays valid.
pub const STATE_TTL: Duration = Duration::from_secs(600);
/// Longest preview shown to the person, in lines.
const PREVIEW_LINES: usize = 60;

/// The per-process confirmation service: the key that seals `requestState` and the nonces
/// already redeemed.
pub struct Confirmer {
    codec: RequestStateCodec,
    used: Mutex<HashSet<String>>,
    /// How long to wait for a person's answer to an elicitation.
    pub timeout: Duration,
}

/// What a sealed `requestState` carries (signed, not encrypted: no secrets in it).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SealedState {
    /// Single-use nonce.
    pub nonce: String,
    /// Digest of the request waiting for the answer in this round.
    pub pending: String,
    /// Digests approved in earlier rounds of the same call.
    pub approved: Vec<String>,
}

impl Confirmer {
    /// A confirmer with a fresh random key. Errors: the system RNG failed.
    pub fn new(timeout: Duration) -> Result<Confirmer> {
        use ring::rand::SecureRandom as _;
        let mut key = [0u8; 32];
        ring::rand::SystemRandom::new()
            .fill(&mut key)
            .map_err(|_| anyhow::anyhow!("cannot read the system random number generator"))?;
        Ok(Confirmer {
            codec: RequestStateCodec::try_new(key.to_vec())
                .context("cannot create the request-state codec")?,
            used: Mutex::new(HashSet::new()),
            timeout,
        })
    }

    /// Seals `state`, bound to `binding` (see [`call_binding`]).
    pub fn seal(&self, state: &SealedState, binding: &[u8]) -> Result<String> {
        let payload = serde_json::to_vec(state)?;
        Ok(self.codec.seal_with(
            &payload,
            &SealOptions::new().associated_data(binding).ttl(STATE_TTL),
        ))
    }

    /// Opens a `requestState` echoed by the client and redeems its nonce. Errors (all
    /// refusals): forged, tampered, bound to another tool or other arguments, expired, or
    /// already used.
    pub fn open(&self, sealed: &str, binding: &[u8]) -> Result<SealedState> {
        let payload = self
            .codec
            .open_with(sealed, binding)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let state: SealedState = serde_json::from_slice(&payload)?;
        let mut used = self.used.lock().unwrap_or_else(|p| p.into_inner());
        if !used.insert(state.nonce.clone()) {
            anyhow::bail!("this confirmation was already used");
        }
        Ok(state)
    }
}

/// A random nonce (hex).
pub fn nonce() -> String {
    use ring::rand::SecureRandom as _;
    let mut b = [0u8; 16];
    let _ = ring::rand::SystemRandom::new().fill(&mut b);
    hex::encode(b)
}

/// What binds a `requestState` to one call: SHA-256 of the tool name and its arguments as
/// JSON (serde_json objects are key-sorted, so equal arguments give equal bytes).
pub fn call_binding(tool: &str, arguments: &serde_json::Map<String, Value>) -> Vec<u8> {
    let mut h = Sha256::new();
    h.update(tool.as_bytes());
    h.update([0]);
    h.update(Value::Object(arguments.clone()).to_string().as_bytes());
    h.finalize().to_vec()
}

/// SHA-256 (hex) of everything that defines a request: verb, group, version, resource,
/// subresource, namespace, name, query, body and patch type. A changed field is another
/// request and needs its own confirmation.
pub fn request_digest(req: &Request) -> String {
    let v = json!({
        "verb": crate::capabilities::kube::verb_name(req.verb),
        "group": req.group,
        "version": req.version,
        "resource": req.resource,
        "subresource": req.subresource,
        "namespace": req.namespace,
        "name": req.name,
        "query": req.query,
        "body": req.body,
        "patch_type": req.patch_type.map(|p| format!("{p:?}")),
    });
    hex::encode(Sha256::digest(v.to_string().as_bytes()))
}

/// The per-call state of the input-required flow (protocol 2026-07-28).
#[derive(Debug, Default)]
pub struct InputState {
    /// Request digests the person approved (this round's answer plus earlier rounds).
    pub approved: Vec<String>,
    /// Digests already used in this run (one approval, one request).
    pub consumed: Vec<String>,
    /// The request that needs an answer, with the message to show.
    pub pending: Option<(String, String)>,
}

/// How this call can reach a person.
pub enum Channel {
    /// It cannot: every confirmation is refused. The text says why.
    Unavailable(String),
    /// `elicitation/create` on the session.
    Elicitation {
        peer: Peer<RoleServer>,
        timeout: Duration,
    },
    /// `InputRequiredResult` and a retry (protocol 2026-07-28).
    InputRequired(Mutex<InputState>),
}

/// The answer to one confirmation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// The person said yes to this exact request.
    Accepted,
    /// Refused: `declined`, `cancelled` or `not-confirmed` (accepted without ticking yes).
    Refused(&'static str),
    /// No person could be asked; the text says why.
    Unavailable(String),
    /// Asking failed (timeout, transport); the text says why.
    Failed(String),
    /// The call must end with an `InputRequiredResult`; the client asks and retries.
    InputRequired,
}

impl Answer {
    /// The audit log's `confirmation` value.
    pub fn audit_name(&self) -> &'static str {
        match self {
            Answer::Accepted => "accepted",
            Answer::Refused(r) => r,
            Answer::Unavailable(_) => "unavailable",
            Answer::Failed(_) => "failed",
            Answer::InputRequired => "input-required",
        }
    }
}

/// The elicitation form: one required boolean, `confirm`.
pub fn schema() -> ElicitationSchema {
    let v = json!({
        "type": "object",
        "properties": {
            CONFIRM_KEY: {
                "type": "boolean",
                "title": "Run this request",
                "description": "Tick to let the server send exactly the request shown.",
                "default": false
            }
        },
        "required": [CONFIRM_KEY]
    });
    let obj = match v {
        Value::Object(o) => o,
        _ => serde_json::Map::new(),
    };
    ElicitationSchema::from_json_schema(obj)
        .unwrap_or_else(|_| ElicitationSchema::new(std::collections::BTreeMap::new()))
}

/// The `inputRequests` of an `InputRequiredResult` asking for `message`.
pub fn input_requests(message: &str) -> InputRequests {
    let mut m = InputRequests::new();
    m.insert(
        CONFIRM_KEY.to_string(),
        InputRequest::Elicitation(ElicitRequest::new(
            ElicitRequestParams::FormElicitationParams {
                meta: None,
                message: message.to_string(),
                requested_schema: schema(),
            },
        )),
    );
    m
}

/// Reads an elicitation result (`{action, content}`) as an [`Answer`].
pub fn read_answer(action: &ElicitationAction, content: Option<&Value>) -> Answer {
    match action {
        ElicitationAction::Accept => {
            if content
                .and_then(|c| c.get(CONFIRM_KEY))
                .and_then(Value::as_bool)
                == Some(true)
            {
                Answer::Accepted
            } else {
                Answer::Refused("not-confirmed")
            }
        }
        ElicitationAction::Decline => Answer::Refused("declined"),
        _ => Answer::Refused("cancelled"),
    }
}

impl Channel {
    /// Asks for request `digest`, showing `message`. Never hangs past the elicitation timeout.
    pub async fn ask(&self, digest: &str, message: &str) -> Answer {
        match self {
            Channel::Unavailable(why) => Answer::Unavailable(why.clone()),
            Channel::Elicitation { peer, timeout } => {
                let params = ElicitRequestParams::FormElicitationParams {
                    meta: None,
                    message: message.to_string(),
                    requested_schema: schema(),
                };
                match peer
                    .create_elicitation_with_timeout(params, Some(*timeout))
                    .await
                {
                    Ok(r) => read_answer(&r.action, r.content.as_ref()),
                    Err(rmcp::ServiceError::Timeout { .. }) => {
                        Answer::Failed(format!("no answer within {} s", timeout.as_secs()))
                    }
                    Err(e) => Answer::Failed(format!("the client could not ask: {e}")),
                }
            }
            Channel::InputRequired(state) => {
                let mut st = state.lock().unwrap_or_else(|p| p.into_inner());
                if st.approved.iter().any(|d| d == digest)
                    && !st.consumed.iter().any(|d| d == digest)
                {
                    st.consumed.push(digest.to_string());
                    return Answer::Accepted;
                }
                st.pending = Some((digest.to_string(), message.to_string()));
                Answer::InputRequired
            }
        }
    }
}

/// Removes fields that change on every write and say nothing to a person.
fn strip_noise(v: &mut Value) {
    if let Some(meta) = v.get_mut("metadata").and_then(Value::as_object_mut) {
        for k in [
            "managedFields",
            "resourceVersion",
            "generation",
            "uid",
            "creationTimestamp",
        ] {
            meta.remove(k);
        }
        if let Some(a) = meta.get_mut("annotations").and_then(Value::as_object_mut) {
            a.remove("kubectl.kubernetes.io/last-applied-configuration");
            a.remove("deployment.kubernetes.io/revision");
        }
    }
    if let Some(o) = v.as_object_mut() {
        o.remove("status");
    }
    // `autoscaling/v1` Scale omits a zero `spec.replicas` (omitempty): spell it out.
    if v.get("kind").and_then(Value::as_str) == Some("Scale")
        && let Some(o) = v.as_object_mut()
    {
        let spec = o.entry("spec").or_insert_with(|| json!({}));
        if let Some(spec) = spec.as_object_mut() {
            spec.entry("replicas").or_insert(json!(0));
        }
    }
}

fn to_yaml(v: &Value) -> String {
    serde_yaml_ng::to_string(v).unwrap_or_else(|_| v.to_string())
}

fn cap_lines(text: String) -> String {
    let n = text.lines().count();
    if n <= PREVIEW_LINES {
        return text;
    }
    let mut out: String = text
        .lines()
        .take(PREVIEW_LINES)
        .map(|l| format!("{l}\n"))
        .collect();
    out.push_str(&format!("... ({} more lines)\n", n - PREVIEW_LINES));
    out
}

fn with_query(req: &Request, key: &str, value: &str) -> Request {
    let mut r = req.clone();
    r.query.retain(|(k, _)| k != key);
    r.query.push((key.to_string(), value.to_string()));
    r
}

/// `kind/name` (or `resource/name`) of an object.
fn object_name(v: &Value, attrs: &RequestAttributes) -> String {
    let kind = v
        .get("kind")
        .and_then(Value::as_str)
        .map(str::to_lowercase)
        .unwrap_or_else(|| attrs.resource.clone());
    let name = v
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .or(attrs.name.as_deref())
        .unwrap_or("?");
    format!("{kind}/{name}")
}

fn parse_body(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or(Value::Null)
}

/// Runs `req` as a server-side dry run and describes what it would change, redacted:
/// the objects a delete removes (a collection delete lists them first), or a unified diff of
/// the object before and after an update, patch or create (noise such as `managedFields`
/// and `status` removed), at most 60 lines. Errors: the dry run's own error (e.g. `NotFound`),
/// which the plugin gets instead of a question.
pub async fn preview(
    svc: &KubeService,
    req: &Request,
    attrs: &RequestAttributes,
) -> Result<String, KubeError> {
    let ns = attrs
        .namespace
        .as_deref()
        .map(|n| format!(" in namespace {n}"))
        .unwrap_or_default();
    match req.verb {
        Verb::Delete => {
            let dry = with_query(req, "dryRun", "All");
            let resp = svc.execute(&dry, attrs).await?;
            let v = parse_body(&resp.body);
            let what = if v.get("kind").and_then(Value::as_str) == Some("Status") {
                format!(
                    "{}/{}",
                    attrs.resource,
                    attrs.name.as_deref().unwrap_or("?")
                )
            } else {
                object_name(&v, attrs)
            };
            Ok(format!("Would delete{ns}:\n  {what}\n"))
        }
        Verb::DeleteCollection => {
            let mut list = req.clone();
            list.verb = Verb::List;
            list.output = OutputFormat::Json;
            list.query
                .retain(|(k, _)| matches!(k.as_str(), "labelSelector" | "fieldSelector"));
            list.body = None;
            list.patch_type = None;
            let resp = svc.execute(&list, attrs).await?;
            let v = parse_body(&resp.body);
            let items = v
                .get("items")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let mut out = format!("Would delete {} object(s){ns}:\n", items.len());
            for it in items.iter().take(PREVIEW_LINES) {
                out.push_str(&format!("  {}\n", object_name(it, attrs)));
            }
            if items.len() > PREVIEW_LINES {
                out.push_str(&format!("  ... and {} more\n", items.len() - PREVIEW_LINES));
            }
            Ok(out)
        }
        Verb::Create | Verb::Update | Verb::Patch => {
            let dry = with_query(req, "dryRun", "All");
            let after_resp = svc.execute(&dry, attrs).await?;
            let mut after = parse_body(&after_resp.body);
            let mut before = if req.verb == Verb::Create || attrs.name.is_none() {
                Value::Null
            } else {
                let mut get = req.clone();
                get.verb = Verb::Get;
                get.output = OutputFormat::Json;
                get.query.clear();
                get.body = None;
                get.patch_type = None;
                match svc.execute(&get, attrs).await {
                    Ok(r) => parse_body(&r.body),
                    Err(KubeError::Api(a)) if a.code == 404 => Value::Null,
                    Err(e) => return Err(e),
                }
            };
            strip_noise(&mut before);
            strip_noise(&mut after);
            let title = object_name(&after, attrs);
            if before.is_null() {
                let text = cap_lines(to_yaml(&after));
                return Ok(format!("Would create {title}{ns}:\n{text}"));
            }
            let (b, a) = (to_yaml(&before), to_yaml(&after));
            if a == b {
                return Ok(format!("{title}{ns}: no change\n"));
            }
            let diff = similar::TextDiff::from_lines(&b, &a)
                .unified_diff()
                .context_radius(2)
                .header("before", "after")
                .to_string();
            Ok(format!("Would change {title}{ns}:\n{}", cap_lines(diff)))
        }
        Verb::Get | Verb::List => Ok(String::new()),
    }
}

/// The message shown to the person: what, why, the preview, and that only this exact request
/// is confirmed.
pub fn message(tool: &str, what: &str, reason: &str, preview: &str) -> String {
    let reason = reason
        .strip_prefix(what)
        .map(|r| r.trim_start_matches(':').trim_start())
        .unwrap_or(reason);
    format!(
        "The assistant wants to run (tool {tool}):\n  {what}\n\nWhy this needs your yes: {reason}\n\nServer-side dry run:\n{preview}\nOnly this exact request will be sent."
    )
}
