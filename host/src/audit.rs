//! The audit log: append-only JSON lines, one record per tool call and one per capability
//! decision, written and flushed before the call's answer is sent.
//!
//! Record fields (absent values are `null`): `time` (RFC 3339, UTC), `kind` (`tool_call` or
//! `capability`), `request_id` (the MCP request id), `tool`, `plugin`, `digest`,
//! `capability` (`kube.send`, `kube.can-i`, ...), `verb`, `group`, `resource`, `subresource`,
//! `namespace`, `name`, `decision` (`allow`/`deny`), `rule`, `reason`, `rbac`
//! (`allowed`/`denied`/`skipped`/`error`), `duration_ms`, `outcome`
//! (`ok`, `denied`, `forbidden`, `api-error <code>`, `error`, `timeout`, `trap`, ...).

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{Context as _, Result};
use serde::Serialize;

use crate::policy::RequestAttributes;

/// One audit record. Build with [`Record::tool_call`] or [`Record::capability`].
#[derive(Debug, Clone, Default, Serialize)]
pub struct Record {
    pub time: String,
    pub kind: &'static str,
    pub request_id: String,
    pub tool: String,
    pub plugin: String,
    pub digest: String,
    pub capability: Option<&'static str>,
    pub verb: Option<String>,
    pub group: Option<String>,
    pub resource: Option<String>,
    pub subresource: Option<String>,
    pub namespace: Option<String>,
    pub name: Option<String>,
    pub decision: Option<&'static str>,
    pub rule: Option<String>,
    pub reason: Option<String>,
    pub rbac: Option<&'static str>,
    pub duration_ms: f64,
    pub outcome: String,
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// Who is calling: the request, tool and plugin a record belongs to.
#[derive(Debug, Clone, Default)]
pub struct Caller {
    pub request_id: String,
    pub tool: String,
    pub plugin: String,
    pub digest: String,
}

impl Record {
    /// A record for a whole tool call.
    pub fn tool_call(caller: &Caller, duration_ms: f64, outcome: impl Into<String>) -> Record {
        Record {
            time: now_rfc3339(),
            kind: "tool_call",
            request_id: caller.request_id.clone(),
            tool: caller.tool.clone(),
            plugin: caller.plugin.clone(),
            digest: caller.digest.clone(),
            duration_ms,
            outcome: outcome.into(),
            ..Record::default()
        }
    }

    /// A record for one capability decision on a Kubernetes request.
    pub fn capability(
        caller: &Caller,
        capability: &'static str,
        attrs: &RequestAttributes,
    ) -> Record {
        Record {
            time: now_rfc3339(),
            kind: "capability",
            request_id: caller.request_id.clone(),
            tool: caller.tool.clone(),
            plugin: caller.plugin.clone(),
            digest: caller.digest.clone(),
            capability: Some(capability),
            verb: Some(attrs.verb.clone()),
            group: Some(attrs.group.clone()),
            resource: Some(attrs.resource.clone()),
            subresource: attrs.subresource.clone(),
            namespace: attrs.namespace.clone(),
            name: attrs.name.clone(),
            ..Record::default()
        }
    }
}

/// The append-only audit log file. Cheap to share (`Arc<AuditLog>`); writes are serialized.
pub struct AuditLog {
    path: PathBuf,
    file: Mutex<File>,
}

impl AuditLog {
    /// Opens (creating parent directories) `path` for appending.
    ///
    /// Errors: the directory cannot be created or the file cannot be opened.
    pub fn open(path: &Path) -> Result<AuditLog> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create audit log directory {}", dir.display()))?;
        }
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("cannot open audit log {}", path.display()))?;
        Ok(AuditLog {
            path: path.to_path_buf(),
            file: Mutex::new(file),
        })
    }

    /// Where records go.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one record as a JSON line and flushes it to the OS. A write failure is logged
    /// (it must not take the server down) and returned.
    pub fn write(&self, record: &Record) -> Result<()> {
        let mut line = serde_json::to_vec(record)?;
        line.push(b'\n');
        let mut file = self
            .file
            .lock()
            .map_err(|_| anyhow::anyhow!("audit log lock poisoned"))?;
        let res = file.write_all(&line).and_then(|_| file.flush());
        if let Err(e) = &res {
            tracing::error!(path = %self.path.display(), error = %e, "audit write failed");
        }
        res.context("audit write failed")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_one_json_line_per_record() {
        let dir = std::env::temp_dir().join(format!("kap-audit-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let path = dir.join("sub/audit.jsonl");
        let log = AuditLog::open(&path).unwrap();
        let caller = Caller {
            request_id: "7".into(),
            tool: "t".into(),
            plugin: "p".into(),
            digest: "sha256:00".into(),
        };
        log.write(&Record::tool_call(&caller, 1.5, "ok")).unwrap();
        let attrs = RequestAttributes {
            verb: "get".into(),
            group: "".into(),
            version: "v1".into(),
            resource: "pods".into(),
            subresource: None,
            namespace: Some("default".into()),
            name: None,
        };
        let mut rec = Record::capability(&caller, "kube.send", &attrs);
        rec.decision = Some("deny");
        log.write(&rec).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["kind"], "tool_call");
        assert_eq!(lines[0]["request_id"], "7");
        assert_eq!(lines[1]["decision"], "deny");
        assert_eq!(lines[1]["namespace"], "default");
        assert!(lines[1]["time"].as_str().unwrap().ends_with('Z'));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
