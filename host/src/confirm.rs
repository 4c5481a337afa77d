//! Confirmation of destructive and privilege-changing requests: a person's yes, bound to the
//! exact request, asked through the MCP client; fail closed.
//!
//! When the gate answers [`Decision::Confirm`](crate::policy::Decision::Confirm) for a
//! capability request, the host
//! 1. has the capability build a preview of the effect (for `kube`, a server-side dry run:
//!    `crate::capabilities::kube::preview`);
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
//!
//! This module is the generic half (the protocol); each capability builds its own preview.

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

/// The key of the one input request and of the boolean field the person sets.
pub const CONFIRM_KEY: &str = "confirm";
/// How long a sealed `requestState` stays valid.
pub const STATE_TTL: Duration = Duration::from_secs(600);

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
        /// The rmcp peer of the client's session, through which the request is sent.
        peer: Peer<RoleServer>,
        /// How long to wait for the person's answer ([`Confirmer::timeout`], from
        /// `confirm_timeout_secs` / `K8S_MCP_CONFIRM_TIMEOUT`); past it the answer is
        /// [`Answer::Failed`].
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

/// The question for a whole program run (a process run's approval): what it is, why it
/// needs a yes, the plugin's preview (e.g. the objects an uninstall deletes, a rollback's
/// diff), and what the yes covers.
pub fn run_message(tool: &str, what: &str, reason: &str, preview: &str) -> String {
    format!(
        "The assistant wants to run (tool {tool}):\n  {what}\n\nWhy this needs your yes: {reason}\n\nWhat it will do:\n{preview}\nA yes covers the requests listed for this run; any other request that needs confirmation is asked on its own."
    )
}

/// The part of a call's clock shared with the task that enforces its timeout: while a person
/// is asked, the call's timeout is paused, and extended by the time spent asking.
#[derive(Debug, Default)]
pub struct Clock {
    /// A person is being asked right now: the timeout is paused.
    pub asking: bool,
    /// Total time spent waiting for people so far.
    pub extra: Duration,
}
