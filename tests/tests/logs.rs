//! Integration tests of `kubectl logs` (a GET of the `pods/log` subresource) through
//! `kube-ai-proxy serve`, against the local KWOK cluster with the demo workloads.
//!
//! KWOK serves pod logs from the ClusterLogs rule that `tests/cluster/up.sh` configures: every
//! container in `kap-demo` and `kap-restricted` serves `tests/cluster/logs/app.log`, a file in
//! CRI log format (`<RFC 3339 time> <stream> <tag> <message>`). That file is the oracle: the
//! logs the server returns are its messages. Without KUBECONFIG these tests fail; they are
//! never skipped.

use std::path::PathBuf;

use kube_ai_proxy_e2e::*;
use serde_json::Value;

/// The log file every demo container serves.
fn log_file() -> PathBuf {
    root().join("tests/cluster/logs/app.log")
}

/// The messages of the log file, one per line, as `kubectl logs` prints them: the CRI
/// prefix (time, stream, tag) removed.
fn expected_lines() -> Vec<String> {
    let path = log_file();
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let lines: Vec<String> = text
        .lines()
        .map(|l| {
            let mut parts = l.splitn(4, ' ');
            let (time, stream, tag, msg) = (
                parts.next().unwrap_or(""),
                parts.next().unwrap_or(""),
                parts.next().unwrap_or(""),
                parts.next(),
            );
            assert!(
                time.ends_with('Z') && ["stdout", "stderr"].contains(&stream) && tag == "F",
                "{}: not a full CRI log line: {l:?}",
                path.display()
            );
            msg.unwrap_or("").to_string()
        })
        .collect();
    assert!(lines.len() >= 10, "{} is too short", path.display());
    lines
}

/// `lines` as the log endpoint returns them: each line ends with a newline.
fn joined(lines: &[String]) -> String {
    lines.iter().map(|l| format!("{l}\n")).collect()
}

fn admin(dir: &tempfile::TempDir) -> ServerOpts {
    ServerOpts {
        kubeconfig: Some(kubeconfig().expect("KUBECONFIG")),
        audit_log: Some(dir.path().join("audit.jsonl")),
        ..Default::default()
    }
}

/// Runs one command through a fresh server; returns (is_error, text).
async fn run(command: &str) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let c = start(&admin(&dir)).await.unwrap();
    let r = kubectl(&c, command).await.unwrap();
    let out = (is_error(&r), text(&r));
    c.cancel().await.unwrap();
    out
}

#[tokio::test]
async fn tail_returns_exactly_the_last_lines_of_the_log_file() {
    let lines = expected_lines();
    let (err, out) = run("logs db-0 -n kap-demo --tail 3").await;
    assert!(!err, "{out}");
    assert_eq!(out, joined(&lines[lines.len() - 3..]));
    // The same bytes as the real kubectl prints.
    assert_eq!(
        out,
        real_kubectl(&["logs", "db-0", "-n", "kap-demo", "--tail", "3"])
    );
}

#[tokio::test]
async fn the_named_container_serves_the_whole_log_file() {
    let lines = expected_lines();
    let (err, out) = run("kubectl logs db-0 -n kap-demo -c postgres").await;
    assert!(!err, "{out}");
    assert_eq!(out, joined(&lines));
    // The container as a second argument, as kubectl allows.
    let (err, out) = run("logs pod/db-0 postgres -n kap-demo --tail=1").await;
    assert!(!err, "{out}");
    assert_eq!(out, joined(&lines[lines.len() - 1..]));
}

#[tokio::test]
async fn an_unknown_container_is_an_error_that_names_it() {
    let (err, out) = run("logs db-0 -n kap-demo -c nosuch").await;
    assert!(err, "expected an error, got: {out}");
    assert!(out.contains("nosuch"), "{out}");
}

#[tokio::test]
async fn since_filters_by_the_log_time_without_error() {
    let lines = expected_lines();
    // The file's lines are older than an hour: nothing, exactly like the real kubectl.
    let (err, out) = run("logs db-0 -n kap-demo --since 1h").await;
    assert!(!err, "{out}");
    assert_eq!(
        out,
        real_kubectl(&["logs", "db-0", "-n", "kap-demo", "--since", "1h"])
    );
    for l in out.lines() {
        assert!(lines.contains(&l.to_string()), "unexpected line {l:?}");
    }
    // A window reaching back ten years takes them all.
    let (err, out) = run("logs db-0 -n kap-demo --since 87600h").await;
    assert!(!err, "{out}");
    assert_eq!(out, joined(&lines));
}

#[tokio::test]
async fn every_demo_pod_serves_the_log_file() {
    let lines = expected_lines();
    let last = joined(&lines[lines.len() - 1..]);
    let web = real_kubectl(&[
        "get", "pods", "-n", "kap-demo", "-l", "app=web", "-o", "name",
    ]);
    let web: Vec<&str> = web.lines().map(|n| n.trim_start_matches("pod/")).collect();
    assert!(!web.is_empty(), "no web pods in kap-demo");
    for pod in web {
        let (err, out) = run(&format!("logs {pod} -n kap-demo --tail 1")).await;
        assert!(!err, "{pod}: {out}");
        assert_eq!(out, last, "{pod}");
    }
    let (err, out) = run("logs restricted-pod -n kap-restricted --tail 1").await;
    assert!(!err, "{out}");
    assert_eq!(out, last);
}

#[tokio::test]
async fn logs_are_audited_as_an_allowed_pods_log_request() {
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit.jsonl");
    let c = start(&admin(&dir)).await.unwrap();
    let r = kubectl(&c, "logs db-0 -n kap-demo --tail 3").await.unwrap();
    assert!(!is_error(&r), "{}", text(&r));
    c.cancel().await.unwrap();
    let records = read_audit(&audit).unwrap();
    let logs: Vec<&Value> = records
        .iter()
        .filter(|r| {
            r["kind"] == "capability" && r["resource"] == "pods" && r["subresource"] == "log"
        })
        .collect();
    assert_eq!(logs.len(), 1, "{records:#?}");
    let rec = logs[0];
    assert_eq!(rec["decision"], "allow", "{rec}");
    assert_eq!(rec["verb"], "get", "{rec}");
    assert_eq!(rec["namespace"], "kap-demo", "{rec}");
    assert_eq!(rec["name"], "db-0", "{rec}");
    assert_eq!(rec["group"], "", "{rec}");
    // The tool call it belongs to succeeded.
    let call = records
        .iter()
        .find(|r| r["kind"] == "tool_call" && r["request_id"] == rec["request_id"])
        .unwrap_or_else(|| panic!("no tool_call record for {rec}"));
    assert_eq!(call["outcome"], "ok", "{call}");
}
