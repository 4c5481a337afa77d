//! Issue 9 §2 and §4 against the real server and cluster: input limits in the host (size,
//! YAML aliases, nesting), a bounded audit log, every malformed JSON-RPC line answered,
//! cancellation that stops a call before anything is sent, an audit record for every call
//! (unknown tools, calls cut by the end of the session), and admission policies that take
//! Secrets as params judged as Secret reads.
//!
//! Effects are checked with the real kubectl binary. Runs against the local cluster (`make
//! test` starts it); never skipped.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use kube_ai_proxy_e2e::*;
use rmcp::model::CallToolRequestParams;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

const NS: &str = "kap-bounds";

fn opts(dir: &tempfile::TempDir) -> ServerOpts {
    ServerOpts {
        kubeconfig: Some(kubeconfig().expect("KUBECONFIG")),
        audit_log: Some(dir.path().join("audit.jsonl")),
        env: vec![("K8S_MCP_TIMEOUT".into(), "60".into())],
        ..ServerOpts::default()
    }
}

fn audit(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("audit.jsonl")
}

fn tool_calls(path: &Path) -> Vec<Value> {
    read_audit(path)
        .unwrap()
        .into_iter()
        .filter(|r| r["kind"] == "tool_call")
        .collect()
}

fn namespace() {
    let _ = try_real_kubectl(&["create", "namespace", NS]);
}

/// The pid of the server writing `audit` (its command line names the file).
fn server_pid(audit: &Path) -> Option<u32> {
    let needle = audit.to_string_lossy().into_owned();
    std::fs::read_dir("/proc").ok()?.flatten().find_map(|e| {
        let pid: u32 = e.file_name().to_str()?.parse().ok()?;
        let cmd = std::fs::read(e.path().join("cmdline")).ok()?;
        let cmd = String::from_utf8_lossy(&cmd);
        (cmd.contains("kube-ai-proxy") && cmd.contains(&needle)).then_some(pid)
    })
}

/// Peak resident set size (`VmHWM`) of `pid`, in MiB.
fn peak_rss_mib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib / 1024
}

/// A ConfigMap whose data expands, through 9 levels of 9 aliases each, to 387 million copies
/// of a 2 KB string (about 0.8 TB): the "billion laughs" shape.
fn alias_bomb(name: &str) -> String {
    let mut s = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: {NS}\nlaughs:\n  a0: &a0 \"{}\"\n",
        "x".repeat(2000)
    );
    for i in 1..=9 {
        let refs = vec![format!("*a{}", i - 1); 9].join(", ");
        s.push_str(&format!("  a{i}: &a{i} [{refs}]\n"));
    }
    s.push_str("data:\n  k: *a9\n");
    s
}

#[tokio::test]
async fn alias_bombs_deep_nesting_and_huge_arguments_cost_the_host_little() {
    namespace();
    let dir = tempfile::tempdir().unwrap();
    let c = start(&opts(&dir)).await.unwrap();
    let pid = server_pid(&audit(&dir)).expect("the server's pid");
    let baseline = peak_rss_mib(pid);

    // 1. The alias bomb: answered (refused) within the call's time, nothing created.
    let bomb = alias_bomb("kap-bomb");
    assert!(bomb.len() < 20_000, "{}", bomb.len());
    let r = tokio::time::timeout(
        Duration::from_secs(120),
        call(
            &c,
            "execute_kubectl",
            json!({"command": "apply -f -", "manifest": bomb}),
        ),
    )
    .await
    .expect("the alias bomb hung the call")
    .unwrap();
    assert!(is_error(&r), "{}", text(&r));
    let (exists, _) = try_real_kubectl(&["get", "configmap", "kap-bomb", "-n", NS]);
    assert!(!exists, "the alias bomb was applied");

    // 2. 100 KB of nested flow sequences: answered, the server still serves.
    let deep = "[".repeat(50_000) + &"]".repeat(50_000);
    let r = tokio::time::timeout(
        Duration::from_secs(120),
        call(
            &c,
            "execute_kubectl",
            json!({"command": "apply -f -", "manifest": deep}),
        ),
    )
    .await
    .expect("deep nesting hung the call")
    .unwrap();
    assert!(is_error(&r), "{}", text(&r));

    // 3. A 10 MB command line: refused by the host before any parsing, with the limit named.
    let huge = format!("get pods {}", "x".repeat(10 << 20));
    let r = call(&c, "execute_kubectl", json!({ "command": huge }))
        .await
        .unwrap();
    let out = text(&r);
    assert!(is_error(&r), "{out}");
    assert!(
        out.contains("`command` is") && out.contains("the limit is 65536 bytes"),
        "{out}"
    );
    let r = kubectl(&c, "get pods -n kap-demo").await.unwrap();
    assert!(!is_error(&r) && text(&r).contains("web-"), "{}", text(&r));

    let peak = peak_rss_mib(pid);
    eprintln!(
        "server peak RSS: {baseline} MiB at start, {peak} MiB after the alias bomb, deep nesting and a 10 MB argument"
    );
    // The plugin's own linear memory is capped at 256 MiB per call; the reviewer saw the
    // host alone pass 1.1 GB on a 20 KB alias bomb.
    assert!(peak < 700, "peak RSS {peak} MiB");

    // 4. The audit log stays small: digests and prefixes, not the inputs (or expansions).
    let text_log = std::fs::read_to_string(audit(&dir)).unwrap();
    let longest = text_log.lines().map(str::len).max().unwrap();
    assert!(longest < 32 << 10, "an audit line of {longest} bytes");
    let calls = tool_calls(&audit(&dir));
    let huge_rec = calls
        .iter()
        .find(|r| r["outcome"] == "invalid-arguments" && r["arguments"]["command"].is_object())
        .expect("the refused call is audited");
    let cmd = &huge_rec["arguments"]["command"];
    assert_eq!(cmd["bytes"], json!(9 + (10 << 20)), "{cmd}");
    assert_eq!(cmd["sha256"].as_str().map(str::len), Some(64), "{cmd}");
    assert!(cmd["prefix"].as_str().unwrap().starts_with("get pods x"));
    c.cancel().await.unwrap();
}

/// Sends one line to a raw server process and reads lines until one answers `id` (or any
/// error without an id when `id` is `None`).
async fn answer_to(
    stdin: &mut tokio::process::ChildStdin,
    lines: &mut tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
    line: &[u8],
    id: Option<Value>,
) -> Value {
    stdin.write_all(line).await.unwrap();
    stdin.write_all(b"\n").await.unwrap();
    stdin.flush().await.unwrap();
    loop {
        let next = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "no answer within 20 s to {:?}",
                    String::from_utf8_lossy(&line[..line.len().min(80)])
                )
            })
            .unwrap()
            .expect("the server closed stdout");
        let v: Value = serde_json::from_str(&next).unwrap();
        if v.get("id") == id.as_ref() && (v.get("error").is_some() || v.get("result").is_some()) {
            return v;
        }
    }
}

#[tokio::test]
async fn every_malformed_json_rpc_line_gets_an_answer() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = tokio::process::Command::new(server_bin())
        .args(["serve", "--audit-log"])
        .arg(audit(&dir))
        .env("KUBECONFIG", kubeconfig().unwrap())
        .env("KUBE_AI_PROXY_LOG", "error")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let init = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {},
        "clientInfo": {"name": "raw", "version": "0"}}});
    let v = answer_to(
        &mut stdin,
        &mut lines,
        init.to_string().as_bytes(),
        Some(json!(0)),
    )
    .await;
    assert!(v["result"]["serverInfo"].is_object(), "{v}");
    stdin
        .write_all(b"{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n")
        .await
        .unwrap();

    let cases: Vec<(Vec<u8>, Value, i64)> = vec![
        // A lone surrogate.
        (
            br#"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"cursor":"\ud800"}}"#
                .to_vec(),
            json!(1),
            -32700,
        ),
        // Raw 0xff bytes.
        (
            b"{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\",\"x\":\"\xff\xfe\"}".to_vec(),
            json!(2),
            -32700,
        ),
        // 100k-deep JSON.
        (
            format!(
                "{{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{}{}}}",
                "[".repeat(100_000),
                "]".repeat(100_000)
            )
            .into_bytes(),
            json!(3),
            -32700,
        ),
        // params as a string.
        (
            br#"{"jsonrpc":"2.0","id":4,"method":"tools/call","params":"get pods"}"#.to_vec(),
            json!(4),
            -32600,
        ),
        // A line over 16 MiB.
        (
            format!(
                "{{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\",\"params\":{{\"name\":\"execute_kubectl\",\"arguments\":{{\"command\":\"{}\"}}}}}}",
                "y".repeat(17 << 20)
            )
            .into_bytes(),
            json!(5),
            -32600,
        ),
    ];
    for (line, id, code) in cases {
        let v = answer_to(&mut stdin, &mut lines, &line, Some(id.clone())).await;
        assert_eq!(v["error"]["code"], json!(code), "answer to id {id}: {v}");
    }
    // The session still works.
    let v = answer_to(
        &mut stdin,
        &mut lines,
        br#"{"jsonrpc":"2.0","id":6,"method":"tools/list"}"#,
        Some(json!(6)),
    )
    .await;
    assert!(
        v["result"]["tools"]
            .as_array()
            .is_some_and(|t| !t.is_empty()),
        "{v}"
    );
    drop(stdin);
    let _ = tokio::time::timeout(Duration::from_secs(10), child.wait()).await;
}

/// Creates ConfigMap `name` in [`NS`] afresh (with the real kubectl).
fn fresh_configmap(name: &str) {
    namespace();
    let _ = try_real_kubectl(&["delete", "configmap", name, "-n", NS, "--ignore-not-found"]);
    let (ok, out) =
        try_real_kubectl(&["create", "configmap", name, "-n", NS, "--from-literal=k=v"]);
    assert!(ok, "{out}");
}

/// Starts `delete configmap NAME` through `c` (in a task, so that aborting it makes rmcp
/// send `notifications/cancelled`) and waits until `person` has been asked about it.
async fn delete_asked(
    c: &rmcp::service::RunningService<rmcp::RoleClient, Person>,
    person: &Person,
    name: &str,
) -> tokio::task::JoinHandle<impl Send + 'static> {
    let params = CallToolRequestParams::new("execute_kubectl").with_arguments(
        json!({"command": format!("delete configmap {name} -n {NS}")})
            .as_object()
            .unwrap()
            .clone(),
    );
    let peer = c.peer().clone();
    let call = tokio::spawn(async move { peer.call_tool_once(params).await });
    for _ in 0..100 {
        if !person.asked().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(person.asked().len(), 1, "the person was never asked");
    call
}

#[tokio::test]
async fn a_cancelled_call_sends_nothing_even_after_a_yes() {
    fresh_configmap("cm-cancel");
    let dir = tempfile::tempdir().unwrap();
    // The person says yes, but only after the client has cancelled the call.
    let person = Person {
        accept: true,
        delay: Duration::from_secs(4),
        asked: Default::default(),
    };
    let c = start_with(&opts(&dir), person.clone(), Protocol::Legacy)
        .await
        .unwrap();
    let call = delete_asked(&c, &person, "cm-cancel").await;
    call.abort();
    // Past the person's yes.
    tokio::time::sleep(Duration::from_secs(6)).await;
    let (exists, out) = try_real_kubectl(&["get", "configmap", "cm-cancel", "-n", NS]);
    assert!(exists, "the cancelled delete ran: {out}");
    let records = read_audit(&audit(&dir)).unwrap();
    let call_rec = records
        .iter()
        .find(|r| r["kind"] == "tool_call")
        .expect("the cancelled call is audited");
    assert_eq!(call_rec["outcome"], "cancelled", "{call_rec}");
    assert!(
        !records
            .iter()
            .any(|r| r["verb"] == "delete" && r["outcome"] == "ok"),
        "{records:?}"
    );
    // The server still serves.
    let r = kubectl(&c, &format!("get configmap cm-cancel -n {NS}"))
        .await
        .unwrap();
    assert!(!is_error(&r), "{}", text(&r));
    c.cancel().await.unwrap();
}

#[tokio::test]
async fn every_call_is_audited_unknown_tools_and_calls_cut_by_the_session_end_included() {
    fresh_configmap("cm-end");
    let dir = tempfile::tempdir().unwrap();
    let person = Person {
        accept: true,
        delay: Duration::from_secs(30),
        asked: Default::default(),
    };
    let c = start_with(&opts(&dir), person.clone(), Protocol::Legacy)
        .await
        .unwrap();
    let r = call(&c, "no_such_tool", json!({"command": "x"})).await;
    assert!(r.is_err(), "an unknown tool is a protocol error: {r:?}");
    let _pending = delete_asked(&c, &person, "cm-end").await;
    // The session ends while the call waits for the person.
    c.cancel().await.unwrap();
    let mut outcomes = Vec::new();
    for _ in 0..100 {
        outcomes = tool_calls(&audit(&dir))
            .iter()
            .map(|r| {
                (
                    r["tool"].as_str().unwrap_or("").to_string(),
                    r["outcome"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect();
        if outcomes.len() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        outcomes.contains(&("no_such_tool".into(), "unknown-tool".into())),
        "{outcomes:?}"
    );
    assert!(
        outcomes.contains(&("execute_kubectl".into(), "cancelled".into())),
        "{outcomes:?}"
    );
    let (exists, out) = try_real_kubectl(&["get", "configmap", "cm-end", "-n", NS]);
    assert!(exists, "{out}");
}

fn admission_policy(name: &str, param_kind: &str) -> String {
    format!(
        r#"apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata:
  name: {name}
spec:
  failurePolicy: Ignore
  paramKind:
    apiVersion: v1
    kind: {param_kind}
  matchConstraints:
    resourceRules:
    - apiGroups: [""]
      apiVersions: ["v1"]
      operations: ["CREATE"]
      resources: ["configmaps"]
  validations:
  - expression: "false"
    messageExpression: "string(params.data)"
"#
    )
}

#[tokio::test]
async fn an_admission_policy_that_takes_secrets_as_params_is_a_secret_read() {
    for name in ["kap-secret-params", "kap-cm-params"] {
        let _ = try_real_kubectl(&[
            "delete",
            "validatingadmissionpolicy",
            name,
            "--ignore-not-found",
        ]);
    }
    let dir = tempfile::tempdir().unwrap();
    let person = Person::new(true);
    let c = start_with(&opts(&dir), person.clone(), Protocol::Legacy)
        .await
        .unwrap();
    let r = call(
        &c,
        "execute_kubectl",
        json!({"command": "apply -f -", "manifest": admission_policy("kap-secret-params", "Secret")}),
    )
    .await
    .unwrap();
    let out = text(&r);
    assert!(is_error(&r), "{out}");
    assert!(out.contains("takes Secrets as params"), "{out}");
    let (exists, _) = try_real_kubectl(&["get", "validatingadmissionpolicy", "kap-secret-params"]);
    assert!(!exists, "a policy printing Secrets was created");
    let rec = read_audit(&audit(&dir))
        .unwrap()
        .into_iter()
        .find(|r| r["resource"] == "validatingadmissionpolicies" && r["decision"] == "deny")
        .expect("the refusal is audited");
    assert_eq!(rec["rule"], "default.secret-contents", "{rec}");
    assert!(
        rec["effects"]
            .as_array()
            .is_some_and(|e| e.contains(&json!("secret-params"))),
        "{rec}"
    );

    // The same policy over ConfigMaps intercepts the API server: asked, then created.
    let r = call(
        &c,
        "execute_kubectl",
        json!({"command": "apply -f -", "manifest": admission_policy("kap-cm-params", "ConfigMap")}),
    )
    .await
    .unwrap();
    assert!(!is_error(&r), "{}", text(&r));
    assert_eq!(person.asked().len(), 1, "{:?}", person.asked());
    let (exists, out) = try_real_kubectl(&["get", "validatingadmissionpolicy", "kap-cm-params"]);
    assert!(exists, "{out}");
    let _ = try_real_kubectl(&["delete", "validatingadmissionpolicy", "kap-cm-params"]);
    c.cancel().await.unwrap();
}
