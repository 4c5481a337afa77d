//! Integration tests of the audit log: `kube-ai-proxy serve` writes a hash chain that
//! `kube-ai-proxy audit verify` accepts, and that it rejects, naming the line, once a record
//! is changed, removed or moved; records carry the MCP client and the (redacted) arguments.
//! Needs the local cluster (`make test` starts it); never skipped.

use std::path::{Path, PathBuf};
use std::process::Output;

use kube_ai_proxy_e2e::*;
use serde_json::{Value, json};

fn opts(audit: &Path) -> ServerOpts {
    ServerOpts {
        kubeconfig: Some(kubeconfig().expect("KUBECONFIG")),
        audit_log: Some(audit.to_path_buf()),
        ..Default::default()
    }
}

fn verify(path: &Path, json: bool) -> Output {
    let mut cmd = std::process::Command::new(server_bin());
    cmd.args(["audit", "verify"]).arg(path);
    if json {
        cmd.arg("--json");
    }
    cmd.output().expect("run kube-ai-proxy audit verify")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn lines_of(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(String::from)
        .collect()
}

fn write_lines(path: &Path, lines: &[String]) {
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(path, text).unwrap();
}

/// Runs `audit verify` on a tampered copy and returns (exit code, stdout, JSON problem).
fn verify_tampered(dir: &Path, name: &str, lines: &[String]) -> (i32, String, Value) {
    let copy: PathBuf = dir.join(name);
    write_lines(&copy, lines);
    let text = verify(&copy, false);
    let js = verify(&copy, true);
    assert_eq!(text.status.code(), js.status.code());
    let v: Value = serde_json::from_slice(&js.stdout).expect("verify --json prints JSON");
    (
        text.status.code().unwrap(),
        stdout(&text),
        v["problem"].clone(),
    )
}

const SECRET_MANIFEST: &str = "apiVersion: v1
kind: Secret
metadata:
  name: audit-test
  namespace: kap-demo
data:
  password: aHVudGVyMi1hdWRpdA==
stringData:
  token: plain-audit-token
";

#[tokio::test]
async fn the_audit_log_is_a_verifiable_chain() {
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit.jsonl");
    let c = start(&opts(&audit)).await.unwrap();
    for cmd in [
        "get pods -n kap-demo",
        "get deployments -n kap-demo",
        "get pods -n kap-demo",
    ] {
        let r = kubectl(&c, cmd).await.unwrap();
        assert!(!is_error(&r), "{}", text(&r));
    }
    // Whatever the policy answers, the call and its arguments are audited, redacted.
    let _ = call(
        &c,
        "execute_kubectl",
        json!({"command": "apply -f - --dry-run=server", "manifest": SECRET_MANIFEST}),
    )
    .await
    .unwrap();
    c.cancel().await.unwrap();
    // A second server on the same file continues the chain.
    let c = start(&opts(&audit)).await.unwrap();
    let r = kubectl(&c, "get pods -n kap-demo").await.unwrap();
    assert!(!is_error(&r), "{}", text(&r));
    c.cancel().await.unwrap();

    // Client and arguments.
    let records = read_audit(&audit).unwrap();
    let client_name = rmcp::model::Implementation::default().name;
    for r in &records {
        assert_eq!(r["client"]["name"], client_name.as_str(), "{r}");
        assert!(r["client"]["version"].is_string(), "{r}");
    }
    let calls: Vec<&Value> = records
        .iter()
        .filter(|r| r["kind"] == "tool_call")
        .collect();
    assert_eq!(calls.len(), 5, "{calls:?}");
    assert_eq!(calls[0]["arguments"]["command"], "get pods -n kap-demo");
    assert_eq!(
        calls[1]["arguments"]["command"],
        "get deployments -n kap-demo"
    );
    assert!(
        records
            .iter()
            .filter(|r| r["kind"] == "capability")
            .all(|r| r["arguments"].is_null())
    );
    let manifest = calls[3]["arguments"]["manifest"].as_str().unwrap();
    assert!(manifest.contains("password: <redacted>"), "{manifest}");
    assert!(manifest.contains("token: <redacted>"), "{manifest}");
    let raw = std::fs::read_to_string(&audit).unwrap();
    assert!(
        !raw.contains("aHVudGVyMi1hdWRpdA=="),
        "secret data in the audit log"
    );
    assert!(
        !raw.contains("plain-audit-token"),
        "secret data in the audit log"
    );

    // The intact log verifies, in text and JSON.
    let lines = lines_of(&audit);
    let n = lines.len();
    assert!(n >= 7, "{n} lines");
    assert_eq!(
        records[0]["prev_hash"],
        format!("sha256:{}", "0".repeat(64))
    );
    let out = verify(&audit, false);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(
        stdout(&out).contains(&format!("OK: {n} records")),
        "{}",
        stdout(&out)
    );
    assert!(
        stdout(&out).contains("last hash: sha256:"),
        "{}",
        stdout(&out)
    );
    let js: Value = serde_json::from_slice(&verify(&audit, true).stdout).unwrap();
    assert_eq!(js["ok"], true);
    assert_eq!(js["records"], n);
    assert!(js["problem"].is_null());
    let anchor = js["last_hash"].as_str().unwrap().to_string();

    let mid = n / 2; // 0-based index of a middle line; its line number is mid + 1
    let line_no = mid + 1;

    // A field edited in the middle line.
    let mut edited = lines.clone();
    let mut v: Value = serde_json::from_str(&edited[mid]).unwrap();
    v["outcome"] = json!("edited");
    edited[mid] = v.to_string();
    let (code, out, problem) = verify_tampered(dir.path(), "edited.jsonl", &edited);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!("line {line_no}: record changed")),
        "{out}"
    );
    assert_eq!(problem["line"], line_no);
    assert_eq!(problem["kind"], "changed");

    // The middle line deleted.
    let mut deleted = lines.clone();
    deleted.remove(mid);
    let (code, out, problem) = verify_tampered(dir.path(), "deleted.jsonl", &deleted);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!("line {line_no}: 1 record(s) removed")),
        "{out}"
    );
    assert_eq!(problem["kind"], "removed");

    // Two lines swapped.
    let mut swapped = lines.clone();
    swapped.swap(mid, mid + 1);
    let (code, out, problem) = verify_tampered(dir.path(), "swapped.jsonl", &swapped);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!("line {line_no}: record out of order")),
        "{out}"
    );
    assert_eq!(problem["kind"], "reordered");

    // An unparsable line.
    let mut garbled = lines.clone();
    garbled[mid].truncate(10);
    let (code, out, problem) = verify_tampered(dir.path(), "garbled.jsonl", &garbled);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!("line {line_no}: unparsable")),
        "{out}"
    );
    assert_eq!(problem["kind"], "unparsable");

    // Truncation of the tail passes the chain check; only the anchor shows it.
    let truncated = lines[..n - 1].to_vec();
    let copy = dir.path().join("truncated.jsonl");
    write_lines(&copy, &truncated);
    let js: Value = serde_json::from_slice(&verify(&copy, true).stdout).unwrap();
    assert_eq!(js["ok"], true);
    assert_ne!(js["last_hash"], anchor.as_str());

    // A missing file is an I/O error: exit status 2.
    let out = verify(&dir.path().join("missing.jsonl"), false);
    assert_eq!(out.status.code(), Some(2));
}
