//! The audit log: append-only JSON lines, one record per tool call and one per capability
//! decision, written and flushed before the call's answer is sent, and linked in a SHA-256
//! hash chain so that [`verify_file`] (`kube-ai-proxy audit verify FILE`) detects records
//! changed, removed or reordered after the fact.
//!
//! Record fields (absent values are `null`): `seq` (1, 2, ... within the file), `prev_hash`
//! (see below), `time` (RFC 3339, UTC), `kind` (`tool_call` or `capability`), `request_id`
//! (the MCP request id), `client` (`{"name", "version"}` from the MCP client's `initialize`),
//! `tool`, `plugin`, `digest`, `arguments` (tool calls only: the call's JSON arguments,
//! redacted by [`redact_arguments`]), `capability` (`kube.send`, `kube.can-i`, ...), `verb`,
//! `group`, `resource`, `subresource`, `namespace`, `name`, `decision` (`allow`/`deny`),
//! `rule`, `reason`, `rbac` (`allowed`/`denied`/`skipped`/`error`), `duration_ms`, `outcome`
//! (`ok`, `denied`, `forbidden`, `api-error <code>`, `error`, `timeout`, `trap`, ...).
//!
//! # The hash chain
//!
//! `prev_hash` is `sha256:` + the lowercase hex SHA-256 of the previous line's exact bytes
//! (the serialized JSON record, without its trailing newline); the first line of a file has
//! [`GENESIS_HASH`] (`sha256:` + 64 zeros). When the server opens an existing log it continues
//! from the hash of its last line, whatever that line holds (a partial, unparsable last line
//! is first terminated with a newline, and [`verify_file`] reports it). Every write takes an
//! exclusive advisory lock on the file (`flock`) and re-reads the tail when the file changed
//! since this process last wrote, so several servers may share one log (e.g. one per client
//! window) and a log truncated in place (`copytruncate` rotation) restarts at genesis.
//! `seq` only helps [`verify_file`] to tell a removed record from a changed one; the verdict
//! rests on the hashes alone.

use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{Context as _, Result};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::policy::RequestAttributes;

/// `prev_hash` of the first record of a file: `sha256:` followed by 64 zeros.
pub const GENESIS_HASH: &str =
    "sha256:0000000000000000000000000000000000000000000000000000000000000000";

/// What replaces a redacted value in `arguments`.
pub const REDACTED: &str = "<redacted>";

/// `sha256:<64 lowercase hex digits>` of `line` (one audit line without its newline).
pub fn line_hash(line: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(line)))
}

/// The MCP client a record belongs to, from its `initialize` request (`clientInfo`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ClientInfo {
    /// The client's `clientInfo.name` as it sent it in `initialize` (MCP spec, "Lifecycle"),
    /// e.g. `claude-code`; not verified.
    pub name: String,
    /// The client's `clientInfo.version`, free-form text as the client sent it.
    pub version: String,
}

/// One audit record. Build with [`Record::tool_call`] or [`Record::capability`]; `seq` and
/// `prev_hash` are filled in by [`AuditLog::write`].
#[derive(Debug, Clone, Default, Serialize)]
pub struct Record {
    /// Position of the record in its file: 1 for the first line, then one more per line.
    /// Set by [`AuditLog::write`]; it only helps [`verify_file`] tell a removed record from a
    /// changed one.
    pub seq: u64,
    /// `sha256:<64 lowercase hex digits>` of the previous line's exact bytes ([`line_hash`]),
    /// or [`GENESIS_HASH`] on the first line of a file. Set by [`AuditLog::write`].
    pub prev_hash: String,
    /// When the record was built, RFC 3339 in UTC (e.g. `2025-01-31T09:30:00.123456789Z`);
    /// empty if the clock could not be formatted.
    pub time: String,
    /// `tool_call` (one per MCP `tools/call`) or `capability` (one per capability decision).
    pub kind: &'static str,
    /// The id of the MCP request (`tools/call`, `resources/read`) the record belongs to, as
    /// text: a numeric JSON-RPC id is written in decimal.
    pub request_id: String,
    /// The MCP client, from its `initialize` request; `None` when it sent no `clientInfo`.
    pub client: Option<ClientInfo>,
    /// The tool called, as `tools/list` names it; `resource:<uri>` for the host's resource
    /// reads.
    pub tool: String,
    /// The manifest name of the plugin serving the tool; `host` for the host's resource
    /// reads, empty when no plugin serves the tool.
    pub plugin: String,
    /// `sha256:<hex>` of the serving plugin's component file
    /// ([`crate::plugins::runtime::digest`]); empty when no plugin is involved.
    pub digest: String,
    /// Tool-call records only: the call's JSON arguments as [`redact_arguments`] left them.
    /// `None` on capability records.
    pub arguments: Option<Value>,
    /// Capability records only: the capability function decided on (`kube.send`,
    /// `kube.can-i`, `kube.resolve`, `kube.api-resources`, `kube.server-version`,
    /// `kube.openapi-schema`, `process.run`). `None` on tool-call records.
    pub capability: Option<&'static str>,
    /// What a capability record is about; its fields are written at the top level of the
    /// record, after a `subject` key naming the variant (`kube`, `discovery`,
    /// `resource-read`, `process`). `None` on tool-call records.
    #[serde(flatten)]
    pub subject: Option<Subject>,
    /// The gate's verdict on a capability record: `allow`, `confirm` or `deny` (see
    /// [`crate::policy::Decision`]). `None` on tool-call records.
    pub decision: Option<&'static str>,
    /// The id of the rule behind `decision`: a policy rule id, or one of the host's own
    /// (`grant.kube`, `grant.kube.not-granted`, `grant.process.not-granted`,
    /// `host.resources`, ...).
    pub rule: Option<String>,
    /// Why, in a sentence for a person: the policy's reason for a deny or a confirm, or the
    /// RBAC authorizer's reason for a denial.
    pub reason: Option<String>,
    /// The SelfSubjectAccessReview pre-check ([`crate::rbac`]): `allowed`, `denied`,
    /// `skipped` (checks off) or `error` (the review failed). `None` when no check was made.
    pub rbac: Option<&'static str>,
    /// The effects the gate found in the server-side dry run (`scale-to-zero`,
    /// `garbage-collector-delete`, `eviction`, `api-interception`, `kube-system-write`), when
    /// any; see `crate::policy::EFFECTS`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effects: Option<Vec<&'static str>>,
    /// The confirmation outcome: `accepted`, `declined`, `cancelled`, `not-confirmed`,
    /// `unavailable`, `failed`, `input-required`, `dry-run-failed`.
    pub confirmation: Option<String>,
    /// The call's declared normalized command (WIT `call-plan.command`), on tool calls.
    pub command: Option<String>,
    /// Wall-clock time of the call or decision, in milliseconds (fractional); `0` for a call
    /// refused before it ran.
    pub duration_ms: f64,
    /// How it ended. Tool calls: `ok`, `tool-error`, `failed`, `denied`, `timeout`,
    /// `out-of-memory`, `overloaded`, `cancelled`, `trap`, `input-required`,
    /// `invalid-arguments`, `unknown-tool`, `not-confirmed`, ... Capability requests: `ok`,
    /// `api-error <HTTP status>`, `denied`, `forbidden`, `transport-error`, `abandoned`, ...
    pub outcome: String,
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// Who is calling: the request, MCP client, tool and plugin a record belongs to.
#[derive(Debug, Clone, Default)]
pub struct Caller {
    /// The id of the MCP request (`tools/call`, `resources/read`), as text (a numeric
    /// JSON-RPC id in decimal).
    pub request_id: String,
    /// `None` when the client sent no `initialize` info (or for host-internal calls).
    pub client: Option<ClientInfo>,
    /// The tool called, as `tools/list` names it; `resource:<uri>` for the host's resource
    /// reads.
    pub tool: String,
    /// The manifest name of the plugin serving the tool; `host` for the host's resource
    /// reads, empty when no plugin serves the tool.
    pub plugin: String,
    /// `sha256:<hex>` of the serving plugin's component file; empty when none.
    pub digest: String,
}

impl Record {
    /// A record for a whole tool call. `arguments` is set separately, already redacted
    /// (see [`redact_arguments`]).
    pub fn tool_call(caller: &Caller, duration_ms: f64, outcome: impl Into<String>) -> Record {
        Record {
            time: now_rfc3339(),
            kind: "tool_call",
            request_id: caller.request_id.clone(),
            client: caller.client.clone(),
            tool: caller.tool.clone(),
            plugin: caller.plugin.clone(),
            digest: caller.digest.clone(),
            duration_ms,
            outcome: outcome.into(),
            ..Record::default()
        }
    }

    /// A record for one capability decision on `subject`.
    pub fn capability(caller: &Caller, capability: &'static str, subject: Subject) -> Record {
        Record {
            time: now_rfc3339(),
            kind: "capability",
            request_id: caller.request_id.clone(),
            client: caller.client.clone(),
            tool: caller.tool.clone(),
            plugin: caller.plugin.clone(),
            digest: caller.digest.clone(),
            capability: Some(capability),
            subject: Some(subject),
            ..Record::default()
        }
    }
}

/// What one capability record is about (the audit record's `subject`).
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "subject", rename_all = "kebab-case")]
pub enum Subject {
    /// A Kubernetes API request (`kube.send`, `kube.can-i`): the API server's request
    /// attributes (`verb`, `group`, `version`, `resource`, `subresource`, `namespace`, `name`).
    Kube(RequestAttributes),
    /// A discovery-level read (`kube.resolve`, `kube.api-resources`, `kube.server-version`,
    /// `kube.openapi-schema`): `target` is the name resolved or the path read.
    Discovery {
        /// The resource name asked for, or the path read (`/version`, `/openapi/v3/...`).
        target: String,
    },
    /// An MCP resource read by the host (`resources/read`): the URI and the request it
    /// makes, as Kubernetes request attributes.
    ResourceRead {
        /// The MCP resource URI, e.g. `k8s://namespaces`.
        uri: String,
        /// The request the read makes.
        #[serde(flatten)]
        request: RequestAttributes,
    },
    /// A program run (`process.run`): the granted program name and its argument vector.
    Process {
        /// The program name as granted, e.g. `helm`.
        program: String,
        /// The argument vector, without the program name.
        args: Vec<String>,
    },
}

// ---------------------------------------------------------------------------------------
// Redaction

/// Whether an argument key names a secret: its lowercase form contains `password`, `passwd`,
/// `token`, `secret`, `key` or `credential` (so `apiKey`, `client_secret`, `keys` match).
pub fn is_secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    ["password", "passwd", "token", "secret", "key", "credential"]
        .iter()
        .any(|w| k.contains(w))
}

/// The tool-call arguments as written to the audit log. Two rules, nothing more:
///
/// 1. The value of every object key, at any depth, for which [`is_secret_key`] holds becomes
///    `"<redacted>"` (whatever its type).
/// 2. A top-level string argument `manifest` (YAML or JSON, documents separated by `---`):
///    in every document of `kind: Secret` (also inside the `items` of a `*List`), each value
///    of `data` and `stringData` becomes `"<redacted>"` (the keys stay), and the manifest is
///    re-serialized as YAML; a manifest without Secrets is kept verbatim; a manifest that
///    does not parse and mentions `secret` (any case) is replaced by `"<redacted>"` whole.
///    The manifest is parsed within [`crate::bounds::Limits::DEFAULT`] (aliases counted,
///    depth bounded): one that passes a limit is treated as one that does not parse.
///
/// Then every top-level string argument longer than
/// [`crate::bounds::Limits::audit_inline_bytes`] is kept as `{"sha256", "bytes", "prefix"}`
/// ([`crate::bounds::audit_copy`]): the log never holds a whole 10 MB command line.
///
/// Free text is not scanned: a secret typed into the `command` line stays visible.
pub fn redact_arguments(args: &Value) -> Value {
    let limits = crate::bounds::Limits::DEFAULT;
    let mut v = args.clone();
    redact_keys(&mut v);
    if let (Value::Object(m), Value::Object(orig)) = (&mut v, args) {
        for (k, val) in m.iter_mut() {
            let (Value::String(s), Some(Value::String(original))) = (&*val, orig.get(k)) else {
                continue;
            };
            let redacted = if k == "manifest" {
                redact_manifest(s).unwrap_or_else(|| s.clone())
            } else {
                s.clone()
            };
            *val = crate::bounds::audit_copy(original, redacted, &limits);
        }
    }
    v
}

fn redact_keys(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for (k, val) in m.iter_mut() {
                if is_secret_key(k) {
                    *val = Value::String(REDACTED.into());
                } else {
                    redact_keys(val);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(redact_keys),
        _ => {}
    }
}

/// `None` when `text` holds no Secret to redact (keep it verbatim).
fn redact_manifest(text: &str) -> Option<String> {
    let mut docs = match crate::bounds::yaml_documents(text, &crate::bounds::Limits::DEFAULT) {
        Ok(docs) => docs,
        Err(_) => {
            return text
                .to_ascii_lowercase()
                .contains("secret")
                .then(|| REDACTED.to_string());
        }
    };
    let mut changed = false;
    for d in &mut docs {
        changed |= redact_secret_doc(d);
    }
    if !changed {
        return None;
    }
    let parts: Result<Vec<String>, _> = docs.iter().map(serde_yaml_ng::to_string).collect();
    Some(match parts {
        Ok(p) => p.join("---\n"),
        Err(_) => REDACTED.to_string(),
    })
}

fn redact_secret_doc(doc: &mut Value) -> bool {
    let kind = doc.get("kind").and_then(Value::as_str).unwrap_or_default();
    let mut changed = false;
    if kind == "Secret" {
        for field in ["data", "stringData"] {
            match doc.get_mut(field) {
                Some(Value::Object(m)) => {
                    for val in m.values_mut() {
                        *val = Value::String(REDACTED.into());
                        changed = true;
                    }
                }
                Some(Value::Null) | None => {}
                Some(other) => {
                    *other = Value::String(REDACTED.into());
                    changed = true;
                }
            }
        }
    } else if kind.ends_with("List")
        && let Some(Value::Array(items)) = doc.get_mut("items")
    {
        for item in items {
            changed |= redact_secret_doc(item);
        }
    }
    changed
}

// ---------------------------------------------------------------------------------------
// Writing

/// Where the chain stands at the end of the file.
#[derive(Debug)]
struct Tail {
    /// `prev_hash` of the next record.
    hash: String,
    /// `seq` of the next record.
    next_seq: u64,
    /// The file does not end with a newline (a partial last line): write one first.
    needs_newline: bool,
}

/// Reads the last line of `file` (from the end, not the whole file) and says how the chain
/// continues. Returns the tail and the file's length.
fn read_tail(file: &mut File) -> io::Result<(Tail, u64)> {
    let len = file.seek(SeekFrom::End(0))?;
    if len == 0 {
        let tail = Tail {
            hash: GENESIS_HASH.into(),
            next_seq: 1,
            needs_newline: false,
        };
        return Ok((tail, 0));
    }
    let mut last = [0u8];
    file.seek(SeekFrom::Start(len - 1))?;
    file.read_exact(&mut last)?;
    let needs_newline = last[0] != b'\n';
    let line_end = if needs_newline { len } else { len - 1 };
    // Walk back in chunks to the newline before the last line.
    let mut line: Vec<u8> = Vec::new();
    let mut pos = line_end;
    const CHUNK: u64 = 64 * 1024;
    while pos > 0 {
        let start = pos.saturating_sub(CHUNK);
        let mut buf = vec![0u8; (pos - start) as usize];
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(&mut buf)?;
        if let Some(nl) = buf.iter().rposition(|b| *b == b'\n') {
            buf.drain(..=nl);
            buf.extend_from_slice(&line);
            line = buf;
            break;
        }
        buf.extend_from_slice(&line);
        line = buf;
        pos = start;
    }
    let seq = serde_json::from_slice::<Value>(&line)
        .ok()
        .and_then(|v| v.get("seq").and_then(Value::as_u64));
    let next_seq = match seq {
        Some(s) => s + 1,
        // No readable seq on the last line: number the next record after the line count.
        None => {
            file.seek(SeekFrom::Start(0))?;
            let mut lines = 0u64;
            let mut r = BufReader::new(&mut *file);
            loop {
                let buf = r.fill_buf()?;
                if buf.is_empty() {
                    break;
                }
                lines += buf.iter().filter(|b| **b == b'\n').count() as u64;
                let n = buf.len();
                r.consume(n);
            }
            lines + u64::from(needs_newline) + 1
        }
    };
    let tail = Tail {
        hash: line_hash(&line),
        next_seq,
        needs_newline,
    };
    Ok((tail, len))
}

struct State {
    file: File,
    tail: Tail,
    /// The file's length after this process's last look; another length means someone else
    /// wrote (or truncated) and the tail must be re-read.
    end: u64,
}

/// The append-only audit log file. Cheap to share (`Arc<AuditLog>`); writes are serialized
/// within the process by a mutex and across processes by an advisory file lock.
pub struct AuditLog {
    path: PathBuf,
    state: Mutex<State>,
}

impl AuditLog {
    /// Opens (creating parent directories) `path` for appending and reads its last line to
    /// continue the hash chain.
    ///
    /// Errors: the directory cannot be created, or the file cannot be opened or read.
    pub fn open(path: &Path) -> Result<AuditLog> {
        if let Some(dir) = path.parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create audit log directory {}", dir.display()))?;
        }
        let mut file = OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(path)
            .with_context(|| format!("cannot open audit log {}", path.display()))?;
        let locked = file.lock().is_ok();
        let tail = read_tail(&mut file);
        if locked {
            let _ = file.unlock();
        }
        let (tail, end) =
            tail.with_context(|| format!("cannot read the end of audit log {}", path.display()))?;
        Ok(AuditLog {
            path: path.to_path_buf(),
            state: Mutex::new(State { file, tail, end }),
        })
    }

    /// Where records go.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one record as a JSON line (with `seq` and `prev_hash` set to continue the
    /// chain) and flushes it to the OS. A write failure is logged (it must not take the
    /// server down) and returned; the chain then continues from what the file holds.
    pub fn write(&self, record: &Record) -> Result<()> {
        let mut state = self
            .state
            .lock()
            .map_err(|_| anyhow::anyhow!("audit log lock poisoned"))?;
        let locked = state.file.lock().is_ok();
        let res = append(&mut state, record);
        if locked {
            let _ = state.file.unlock();
        }
        if let Err(e) = &res {
            tracing::error!(path = %self.path.display(), error = %e, "audit write failed");
            // Re-read the tail on the next write: part of this line may have been written.
            state.end = u64::MAX;
        }
        res.context("audit write failed")
    }
}

fn append(state: &mut State, record: &Record) -> io::Result<()> {
    let len = state.file.metadata()?.len();
    if len != state.end {
        let (tail, end) = read_tail(&mut state.file)?;
        state.tail = tail;
        state.end = end;
    }
    let mut rec = record.clone();
    rec.seq = state.tail.next_seq;
    rec.prev_hash = state.tail.hash.clone();
    let json = serde_json::to_vec(&rec)?;
    let mut line = Vec::with_capacity(json.len() + 2);
    if state.tail.needs_newline {
        line.push(b'\n');
    }
    line.extend_from_slice(&json);
    line.push(b'\n');
    state.file.write_all(&line)?;
    state.file.flush()?;
    state.end += line.len() as u64;
    state.tail = Tail {
        hash: line_hash(&json),
        next_seq: rec.seq + 1,
        needs_newline: false,
    };
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Verifying

/// What [`verify_file`] found wrong at a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProblemKind {
    /// The line is not a JSON object (a partial write, or an edit that broke the syntax).
    Unparsable,
    /// The record has no string `prev_hash` (written before the chain existed, or edited).
    MissingPrevHash,
    /// The record on the named line no longer hashes to the `prev_hash` of the next line,
    /// and their `seq` values are consecutive (or the next line's `prev_hash` was edited).
    Changed,
    /// Records are missing before the named line: its `seq` jumps and its `prev_hash`
    /// matches no line of the file.
    Removed,
    /// The named line's `prev_hash` is the hash of a line of the file other than the one
    /// before it (records moved, swapped, duplicated or inserted).
    Reordered,
    /// The chain breaks at the named line and the cause cannot be told apart.
    Broken,
}

/// The first problem in a log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// 1-based line number of the record the problem is attributed to.
    pub line: usize,
    /// What is wrong at `line`; serialized in kebab-case (`missing-prev-hash`, ...).
    pub kind: ProblemKind,
    /// One sentence starting with `line N: `.
    pub message: String,
}

/// The result of [`verify_file`]. Serializes as
/// `{"ok": bool, "records": N, "last_hash": "sha256:…", "problem": null | {"line", "kind", "message"}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verification {
    /// Whether the whole chain is intact (`problem` is `None`).
    pub ok: bool,
    /// Lines in the file (records, plus any unparsable lines).
    pub records: usize,
    /// Hash of the last line ([`GENESIS_HASH`] for an empty file): the value to keep
    /// elsewhere to detect later truncation.
    pub last_hash: String,
    /// The first problem, when the chain is not intact.
    pub problem: Option<Problem>,
}

impl Verification {
    /// A human-readable report, several lines, for `audit verify` without `--json`.
    pub fn report(&self) -> String {
        match &self.problem {
            None => format!(
                "OK: {} records, hash chain intact\nlast hash: {}\n\
                 (records removed from the end, or a changed last record, are not detectable from \
                 the file alone: compare the last hash with a copy kept elsewhere)",
                self.records, self.last_hash
            ),
            Some(p) => format!(
                "FAILED: {}\n{} lines; last hash: {}",
                p.message, self.records, self.last_hash
            ),
        }
    }
}

fn parse_hash(s: &str) -> Option<[u8; 32]> {
    let hexpart = s.strip_prefix("sha256:")?;
    let mut out = [0u8; 32];
    hex::decode_to_slice(hexpart, &mut out).ok()?;
    Some(out)
}

fn fmt_hash(h: &[u8; 32]) -> String {
    format!("sha256:{}", hex::encode(h))
}

/// A chain mismatch at `line`, diagnosed once every line's hash is known.
struct Mismatch {
    line: usize,
    prev_hash: String,
    seq: Option<u64>,
    prev_seq: Option<u64>,
}

/// Verifies the hash chain of the audit log at `path`; see [`verify_reader`].
///
/// Errors: the file cannot be opened or read (a chain problem is not an error: it is
/// reported in [`Verification::problem`]).
pub fn verify_file(path: &Path) -> io::Result<Verification> {
    verify_reader(File::open(path)?)
}

/// Recomputes the hash chain of an audit log and reports the first problem.
///
/// Detects, naming the line: a record changed anywhere but on the last line (the next
/// line's `prev_hash` no longer matches); one or more records removed anywhere but at the
/// end; records reordered, duplicated or inserted (unless the whole chain after them was
/// recomputed); unparsable lines and records without `prev_hash`. Which of these it was is a
/// best guess from the hashes and `seq`; that the chain is broken is certain.
///
/// Cannot detect, from the file alone: records removed from the end (truncation), a change
/// of the last record, a file replaced or rewritten with a freshly computed chain (the hashes
/// are not keyed), or the deletion of the whole file. Keeping the reported `last_hash`
/// somewhere else (an external anchor) and checking later that it is still the last hash
/// or appears as a later record's `prev_hash` covers the first three.
///
/// Errors: reading fails.
pub fn verify_reader(r: impl Read) -> io::Result<Verification> {
    let mut reader = BufReader::new(r);
    let mut hashes: Vec<[u8; 32]> = Vec::new();
    let mut prev_seq: Option<u64> = Some(0);
    let mut problem: Option<Problem> = None;
    let mut mismatch: Option<Mismatch> = None;
    let mut buf = Vec::new();
    loop {
        buf.clear();
        if reader.read_until(b'\n', &mut buf)? == 0 {
            break;
        }
        if buf.last() == Some(&b'\n') {
            buf.pop();
        }
        let line = hashes.len() + 1;
        if problem.is_none() && mismatch.is_none() {
            let expected = hashes.last().copied().unwrap_or([0u8; 32]);
            match serde_json::from_slice::<Value>(&buf) {
                Ok(Value::Object(m)) => {
                    let seq = m.get("seq").and_then(Value::as_u64);
                    match m.get("prev_hash").and_then(Value::as_str) {
                        None => {
                            problem = Some(Problem {
                                line,
                                kind: ProblemKind::MissingPrevHash,
                                message: format!(
                                    "line {line}: record has no prev_hash (written before the hash chain existed, or edited)"
                                ),
                            })
                        }
                        Some(p) if parse_hash(p) == Some(expected) => {}
                        Some(p) => {
                            mismatch = Some(Mismatch {
                                line,
                                prev_hash: p.to_string(),
                                seq,
                                prev_seq,
                            })
                        }
                    }
                    prev_seq = seq;
                }
                _ => {
                    problem = Some(Problem {
                        line,
                        kind: ProblemKind::Unparsable,
                        message: format!(
                            "line {line}: unparsable line (not a JSON record: a partial write, or an edit)"
                        ),
                    })
                }
            }
        }
        hashes.push(Sha256::digest(&buf).into());
    }
    if let Some(m) = mismatch {
        problem = Some(diagnose(&m, &hashes));
    }
    Ok(Verification {
        ok: problem.is_none(),
        records: hashes.len(),
        last_hash: hashes
            .last()
            .map(fmt_hash)
            .unwrap_or_else(|| GENESIS_HASH.into()),
        problem,
    })
}

fn diagnose(m: &Mismatch, hashes: &[[u8; 32]]) -> Problem {
    let k = m.line;
    let p = &m.prev_hash;
    let target = parse_hash(p);
    let expected = if k == 1 {
        GENESIS_HASH.to_string()
    } else {
        fmt_hash(&hashes[k - 2])
    };
    if let Some(t) = target
        && let Some(j) = hashes.iter().position(|h| *h == t).map(|i| i + 1)
    {
        let message = if j > k {
            format!(
                "line {k}: record out of order (reordered): its prev_hash {p} is the hash of line {j}, so it was written right after line {j}"
            )
        } else {
            format!(
                "line {k}: record out of order (reordered): its prev_hash {p} is the hash of line {j}, not of line {}: lines {}..{} are out of place (moved, duplicated or inserted)",
                k - 1,
                j + 1,
                k - 1
            )
        };
        return Problem {
            line: k,
            kind: ProblemKind::Reordered,
            message,
        };
    }
    if k > 1 && target == Some([0u8; 32]) {
        return Problem {
            line: k,
            kind: ProblemKind::Broken,
            message: format!(
                "line {k}: chain broken: a new chain starts here (prev_hash is the genesis value, expected {expected} of line {}): another log was appended, or records before it were removed and the rest rewritten",
                k - 1
            ),
        };
    }
    match (m.prev_seq, m.seq) {
        (Some(a), Some(b)) if k > 1 && b == a + 1 => Problem {
            line: k - 1,
            kind: ProblemKind::Changed,
            message: format!(
                "line {}: record changed (hash mismatch: expected prev_hash {expected} of line {} to appear in line {k}, which has {p}; seq {a} and {b} are consecutive, so no record is missing between them)",
                k - 1,
                k - 1
            ),
        },
        (Some(a), Some(b)) if b > a + 1 => Problem {
            line: k,
            kind: ProblemKind::Removed,
            message: format!(
                "line {k}: {} record(s) removed before this line (seq jumps from {a} to {b}, and its prev_hash {p} matches no line of the file)",
                b - a - 1
            ),
        },
        _ => Problem {
            line: k,
            kind: ProblemKind::Broken,
            message: if k == 1 {
                format!(
                    "line 1: chain broken: prev_hash {p} is not the genesis value: line 1 was changed, or records before it were removed"
                )
            } else {
                format!(
                    "line {k}: chain broken: prev_hash {p} does not match {expected}, the hash of line {}: line {} or {k} was changed, or records between them were removed",
                    k - 1,
                    k - 1
                )
            },
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    struct TempDir(PathBuf);
    impl TempDir {
        fn new(name: &str) -> TempDir {
            let dir =
                std::env::temp_dir().join(format!("kap-audit-test-{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            TempDir(dir)
        }
    }
    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn caller() -> Caller {
        Caller {
            request_id: "7".into(),
            client: Some(ClientInfo {
                name: "test-client".into(),
                version: "1.0".into(),
            }),
            tool: "t".into(),
            plugin: "p".into(),
            digest: "sha256:00".into(),
        }
    }

    /// A log of `n` tool-call records; returns its lines.
    fn log_of(path: &Path, n: usize) -> Vec<String> {
        let log = AuditLog::open(path).unwrap();
        for i in 0..n {
            log.write(&Record::tool_call(&caller(), i as f64, format!("ok {i}")))
                .unwrap();
        }
        lines(path)
    }

    fn lines(path: &Path) -> Vec<String> {
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .map(String::from)
            .collect()
    }

    fn verify_lines(lines: &[String]) -> Verification {
        let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
        verify_reader(text.as_bytes()).unwrap()
    }

    #[test]
    fn appends_one_json_line_per_record() {
        let dir = TempDir::new("append");
        let path = dir.0.join("sub/audit.jsonl");
        let log = AuditLog::open(&path).unwrap();
        log.write(&Record::tool_call(&caller(), 1.5, "ok")).unwrap();
        let attrs = RequestAttributes {
            verb: crate::verb::Verb::Get,
            group: "".into(),
            version: "v1".into(),
            resource: "pods".into(),
            subresource: None,
            namespace: Some("default".into()),
            name: None,
        };
        let mut rec = Record::capability(&caller(), "kube.send", Subject::Kube(attrs));
        rec.decision = Some("deny");
        log.write(&rec).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["kind"], "tool_call");
        assert_eq!(lines[0]["request_id"], "7");
        assert_eq!(lines[0]["seq"], 1);
        assert_eq!(lines[0]["prev_hash"], GENESIS_HASH);
        assert_eq!(
            lines[1]["client"],
            json!({"name": "test-client", "version": "1.0"})
        );
        assert_eq!(lines[1]["decision"], "deny");
        assert_eq!(lines[1]["namespace"], "default");
        assert_eq!(lines[1]["subject"], "kube");
        assert!(lines[0].get("subject").is_none(), "{}", lines[0]);
        assert_eq!(lines[1]["seq"], 2);
        assert_eq!(
            lines[1]["prev_hash"],
            line_hash(text.lines().next().unwrap().as_bytes())
        );
        assert!(lines[1]["time"].as_str().unwrap().ends_with('Z'));
    }

    #[test]
    fn hashes_have_the_documented_shape() {
        assert_eq!(GENESIS_HASH.len(), "sha256:".len() + 64);
        assert_eq!(parse_hash(GENESIS_HASH), Some([0u8; 32]));
        assert_eq!(line_hash(b"x").len(), GENESIS_HASH.len());
    }

    #[test]
    fn chain_continues_across_reopen() {
        let dir = TempDir::new("reopen");
        let path = dir.0.join("audit.jsonl");
        log_of(&path, 2);
        let all = log_of(&path, 2);
        assert_eq!(all.len(), 4);
        let third: Value = serde_json::from_str(&all[2]).unwrap();
        assert_eq!(third["prev_hash"], line_hash(all[1].as_bytes()));
        assert_eq!(third["seq"], 3);
        let v = verify_file(&path).unwrap();
        assert!(v.ok, "{v:?}");
        assert_eq!(v.records, 4);
        assert_eq!(v.last_hash, line_hash(all[3].as_bytes()));
    }

    #[test]
    fn two_writers_on_one_file_keep_one_chain() {
        let dir = TempDir::new("writers");
        let path = dir.0.join("audit.jsonl");
        let a = AuditLog::open(&path).unwrap();
        let b = AuditLog::open(&path).unwrap();
        for i in 0..3 {
            a.write(&Record::tool_call(&caller(), 0.0, format!("a{i}")))
                .unwrap();
            b.write(&Record::tool_call(&caller(), 0.0, format!("b{i}")))
                .unwrap();
        }
        let v = verify_file(&path).unwrap();
        assert!(v.ok, "{v:?}");
        assert_eq!(v.records, 6);
    }

    #[test]
    fn a_truncated_log_restarts_at_genesis() {
        let dir = TempDir::new("truncate");
        let path = dir.0.join("audit.jsonl");
        let log = AuditLog::open(&path).unwrap();
        log.write(&Record::tool_call(&caller(), 0.0, "ok")).unwrap();
        std::fs::OpenOptions::new()
            .write(true)
            .truncate(true)
            .open(&path)
            .unwrap();
        log.write(&Record::tool_call(&caller(), 0.0, "ok")).unwrap();
        let v = verify_file(&path).unwrap();
        assert!(v.ok, "{v:?}");
        assert_eq!(v.records, 1);
    }

    #[test]
    fn an_intact_log_and_an_empty_one_verify() {
        let dir = TempDir::new("intact");
        let path = dir.0.join("audit.jsonl");
        std::fs::write(&path, "").unwrap();
        let v = verify_file(&path).unwrap();
        assert!(v.ok);
        assert_eq!(v.records, 0);
        assert_eq!(v.last_hash, GENESIS_HASH);
        let l = log_of(&path, 5);
        let v = verify_lines(&l);
        assert!(v.ok, "{v:?}");
        assert!(v.report().starts_with("OK: 5 records"), "{}", v.report());
    }

    #[test]
    fn a_changed_record_is_named() {
        let dir = TempDir::new("changed");
        let path = dir.0.join("audit.jsonl");
        let mut l = log_of(&path, 5);
        l[2] = l[2].replace("\"ok 2\"", "\"ok 9\"");
        let v = verify_lines(&l);
        let p = v.problem.unwrap();
        assert_eq!((p.line, p.kind), (3, ProblemKind::Changed), "{}", p.message);
        assert!(
            p.message.starts_with("line 3: record changed"),
            "{}",
            p.message
        );
        // The first line too.
        let mut l = log_of(&dir.0.join("b.jsonl"), 3);
        l[0] = l[0].replace("\"ok 0\"", "\"ok 9\"");
        let p = verify_lines(&l).problem.unwrap();
        assert_eq!((p.line, p.kind), (1, ProblemKind::Changed), "{}", p.message);
    }

    #[test]
    fn a_removed_record_is_named() {
        let dir = TempDir::new("removed");
        let path = dir.0.join("audit.jsonl");
        let mut l = log_of(&path, 5);
        l.remove(2);
        let p = verify_lines(&l).problem.unwrap();
        assert_eq!((p.line, p.kind), (3, ProblemKind::Removed), "{}", p.message);
        assert!(p.message.contains("1 record(s) removed"), "{}", p.message);
        // Removing the first record breaks line 1.
        let mut l = log_of(&dir.0.join("b.jsonl"), 3);
        l.remove(0);
        let p = verify_lines(&l).problem.unwrap();
        assert_eq!((p.line, p.kind), (1, ProblemKind::Removed), "{}", p.message);
        // Removing the last one cannot be seen without an anchor.
        let mut l = log_of(&dir.0.join("c.jsonl"), 3);
        let anchor = line_hash(l[2].as_bytes());
        l.pop();
        let v = verify_lines(&l);
        assert!(v.ok);
        assert_ne!(v.last_hash, anchor);
    }

    #[test]
    fn a_reordered_record_is_named() {
        let dir = TempDir::new("reordered");
        let path = dir.0.join("audit.jsonl");
        let mut l = log_of(&path, 5);
        l.swap(1, 2);
        let p = verify_lines(&l).problem.unwrap();
        assert_eq!(
            (p.line, p.kind),
            (2, ProblemKind::Reordered),
            "{}",
            p.message
        );
        // A duplicated record.
        let mut l = log_of(&dir.0.join("b.jsonl"), 4);
        l.insert(3, l[1].clone());
        let p = verify_lines(&l).problem.unwrap();
        assert_eq!(
            (p.line, p.kind),
            (4, ProblemKind::Reordered),
            "{}",
            p.message
        );
    }

    #[test]
    fn an_unparsable_tail_is_appended_to_and_reported() {
        let dir = TempDir::new("tail");
        let path = dir.0.join("audit.jsonl");
        log_of(&path, 2);
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(b"{\"partial").unwrap();
        drop(f);
        let l = log_of(&path, 1);
        assert_eq!(l.len(), 4);
        assert_eq!(l[2], "{\"partial");
        let last: Value = serde_json::from_str(&l[3]).unwrap();
        assert_eq!(last["prev_hash"], line_hash(b"{\"partial"));
        assert_eq!(last["seq"], 4);
        let p = verify_file(&path).unwrap().problem.unwrap();
        assert_eq!(
            (p.line, p.kind),
            (3, ProblemKind::Unparsable),
            "{}",
            p.message
        );
    }

    #[test]
    fn a_record_without_prev_hash_is_reported() {
        let p = verify_reader(&b"{\"kind\":\"tool_call\"}\n"[..])
            .unwrap()
            .problem
            .unwrap();
        assert_eq!((p.line, p.kind), (1, ProblemKind::MissingPrevHash));
    }

    #[test]
    fn secret_looking_arguments_are_redacted() {
        let args = json!({
            "command": "get pods",
            "password": "hunter2",
            "nested": {"apiKey": {"x": 1}, "list": [{"client_secret": "s"}], "ok": "v"},
            "Token": 5,
        });
        let r = redact_arguments(&args);
        assert_eq!(r["command"], "get pods");
        assert_eq!(r["password"], REDACTED);
        assert_eq!(r["nested"]["apiKey"], REDACTED);
        assert_eq!(r["nested"]["list"][0]["client_secret"], REDACTED);
        assert_eq!(r["nested"]["ok"], "v");
        assert_eq!(r["Token"], REDACTED);
    }

    #[test]
    fn secret_data_in_a_manifest_is_redacted() {
        let manifest = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n---\n\
                        apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n\
                        data: {password: aHVudGVyMg==}\nstringData: {token: plain}\n";
        let r = redact_arguments(&json!({"command": "apply -f -", "manifest": manifest}));
        let m = r["manifest"].as_str().unwrap();
        assert!(!m.contains("aHVudGVyMg==") && !m.contains("plain"), "{m}");
        assert!(m.contains("password: <redacted>"), "{m}");
        assert!(m.contains("a: b"), "{m}");
        // JSON, inside a List.
        let list = json!({"kind": "List", "items": [{"kind": "Secret", "data": {"k": "djE="}}]});
        let r = redact_arguments(&json!({"manifest": list.to_string()}));
        assert!(!r["manifest"].as_str().unwrap().contains("djE="));
        // Without Secrets the manifest is kept verbatim.
        let cm = "kind: ConfigMap\ndata: {a: b}  # comment\n";
        assert_eq!(redact_arguments(&json!({"manifest": cm}))["manifest"], cm);
        // Unparsable and mentioning a secret: redacted whole.
        let bad = "kind: Secret\ndata: [unclosed";
        assert_eq!(
            redact_arguments(&json!({"manifest": bad}))["manifest"],
            REDACTED
        );
    }
}
