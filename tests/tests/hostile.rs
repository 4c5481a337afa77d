//! Hostile plugins (issue 3): the misbehaving test plugin attacks the host from inside its
//! sandbox — endless loops, memory and stack exhaustion, huge answers, a flood of capability
//! calls, requests outside its grant, stdout writes, reads of the host's files and
//! environment, raw sockets. Each attack must end only its own call, with a typed error in the
//! result and the audit log, obtain nothing, and leave the server answering.
//!
//! Runs against the real local cluster (`make test` starts it); never skipped.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use kube_ai_proxy_e2e::*;
use serde_json::{Value, json};

/// The per-call cap the tests configure (`max_capability_calls`).
const CAP: usize = 50;
/// The output budget the tests configure (`K8S_MCP_MAX_OUTPUT`).
const MAX_OUTPUT: usize = 20_000;
/// The per-call timeout the tests configure (`K8S_MCP_TIMEOUT`, seconds).
const TIMEOUT_SECS: u64 = 5;
/// An environment variable only the server process has.
const CANARY: (&str, &str) = ("KAP_CANARY", "canary-4711");

fn audit_path(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("audit.jsonl")
}

/// A server loading the misbehaving plugin, granted reads of pods in `kap-demo`, with a
/// 64 MiB memory limit, a cap of [`CAP`] capability calls per tool call, a small timeout and
/// a canary in its environment.
fn hostile(dir: &tempfile::TempDir) -> ServerOpts {
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            r#"
memory_limit_mib = 64
max_capability_calls = {CAP}
[grants.misbehave]
kube = {{ verbs = ["get", "list"], resources = ["pods"], namespaces = ["kap-demo"] }}
log = true
"#
        ),
    )
    .unwrap();
    ServerOpts {
        kubeconfig: Some(kubeconfig().expect("KUBECONFIG")),
        audit_log: Some(audit_path(dir)),
        config: Some(config),
        plugins: vec![misbehave_plugin()],
        env: vec![
            ("K8S_MCP_TIMEOUT".into(), TIMEOUT_SECS.to_string()),
            ("K8S_MCP_MAX_OUTPUT".into(), MAX_OUTPUT.to_string()),
            ("K8S_NAMESPACE".into(), "kap-demo".into()),
            (CANARY.0.into(), CANARY.1.into()),
        ],
        ..Default::default()
    }
}

/// The server still serves an ordinary request.
async fn assert_server_answers(c: &Client, after: &str) {
    let r = kubectl(c, "get pods -n kap-demo").await.unwrap();
    let out = text(&r);
    assert!(
        !is_error(&r) && out.contains("NAME") && out.contains("web-"),
        "after {after}, execute_kubectl failed: {out}"
    );
}

/// The most recent `tool_call` record of `tool`.
fn last_tool_call(path: &Path, tool: &str) -> Value {
    read_audit(path)
        .unwrap()
        .into_iter()
        .rev()
        .find(|r| r["kind"] == "tool_call" && r["tool"] == tool)
        .unwrap_or_else(|| panic!("no tool_call record for {tool}"))
}

/// The capability records written while serving the tool call `request_id`, in order.
fn capability_records(path: &Path, request_id: &Value) -> Vec<Value> {
    read_audit(path)
        .unwrap()
        .into_iter()
        .filter(|r| r["kind"] == "capability" && r["request_id"] == *request_id)
        .collect()
}

/// Calls a misbehaving tool, checks it ended with an error result containing `needle` and
/// audited as `outcome`, and that the server still answers. Returns the result text.
async fn attack(c: &Client, audit: &Path, tool: &str, needle: &str, outcome: &str) -> String {
    let r = call(c, tool, json!({})).await.unwrap();
    let out = text(&r);
    assert!(is_error(&r), "{tool} did not end in an error: {out}");
    assert!(
        out.contains(needle),
        "{tool}: expected {needle:?} in: {out}"
    );
    assert_eq!(
        last_tool_call(audit, tool)["outcome"],
        outcome,
        "{tool}: {out}"
    );
    assert_server_answers(c, tool).await;
    out
}

/// The API server's port, from the admin kubeconfig's `server:` URL.
fn apiserver_port() -> u16 {
    let kc = std::fs::read_to_string(kubeconfig().unwrap()).unwrap();
    let server = kc
        .lines()
        .find_map(|l| l.trim().strip_prefix("server:"))
        .expect("a server: line in the kubeconfig")
        .trim();
    let port = server.rsplit(':').next().unwrap();
    port.trim_end_matches('/')
        .parse()
        .expect("a port in the server URL")
}

/// Splits a truncated answer into what was shown and the note; checks the note's numbers.
fn split_truncated(out: &str, total: usize) -> &str {
    let (shown, note) = out
        .split_once("\n\n[output truncated")
        .unwrap_or_else(|| panic!("no truncation note in {} chars", out.len()));
    assert!(shown.chars().count() <= MAX_OUTPUT, "{} chars", shown.len());
    assert!(
        note.contains(&format!("of {total} characters"))
            && note.contains(&format!("K8S_MCP_MAX_OUTPUT={MAX_OUTPUT}")),
        "{note}"
    );
    shown
}

#[tokio::test]
async fn every_attack_ends_only_its_own_call_with_a_typed_error() {
    let dir = tempfile::tempdir().unwrap();
    let audit = audit_path(&dir);
    let c = start(&hostile(&dir)).await.unwrap();
    assert_server_answers(&c, "start").await;

    // An endless loop: stopped at the deadline.
    let t = Instant::now();
    attack(&c, &audit, "spin", "Timeout", "timeout").await;
    let took = t.elapsed();
    assert!(
        took >= Duration::from_secs(TIMEOUT_SECS) && took < Duration::from_secs(TIMEOUT_SECS + 20),
        "{took:?}"
    );

    // Memory exhaustion: stopped at the 64 MiB limit.
    let out = attack(&c, &audit, "memory_bomb", "Out of memory", "out-of-memory").await;
    assert!(out.contains("64 MiB"), "{out}");

    // Unbounded recursion: wasmtime's limit on the wasm stack traps ("call stack exhausted").
    attack(&c, &audit, "deep_recursion", "trap", "trap").await;
    // Unbounded recursion with frames in linear memory: Rust's shadow stack, placed first in
    // linear memory, runs below address 0 and the access traps.
    attack(&c, &audit, "deep_recursion_frames", "trap", "trap").await;

    // A panic: a trap.
    attack(&c, &audit, "trap", "trap", "trap").await;

    // A flood of capability calls: refused with `limit` after the cap.
    let out = attack(&c, &audit, "capability_flood", "limit", "tool-error").await;
    assert!(out.starts_with(&format!("succeeded={CAP}\n")), "{out}");

    // Requests outside the grant: typed denials.
    let r = call(&c, "exceed_grant", json!({})).await.unwrap();
    let out = text(&r);
    assert!(
        out.contains("delete pod: denied rule=grant.kube.requested-verb")
            && out.contains("list secrets: denied rule=grant.kube.requested-resource"),
        "{out}"
    );
    let rec = last_tool_call(&audit, "exceed_grant");
    let caps = capability_records(&audit, &rec["request_id"]);
    assert_eq!(caps.len(), 2, "{caps:?}");
    assert!(
        caps.iter()
            .all(|r| r["decision"] == "deny" && r["outcome"] == "denied"),
        "{caps:?}"
    );
    assert_server_answers(&c, "exceed_grant").await;

    // Writes to stdout never reach the protocol stream.
    let r = call(&c, "stdout_flood", json!({})).await.unwrap();
    assert_eq!(text(&r), "wrote to stdout");
    assert_server_answers(&c, "stdout_flood").await;

    // Writes to stderr beyond what the host keeps for its log.
    let r = call(&c, "stderr_flood", json!({})).await.unwrap();
    let out = text(&r);
    assert!(!is_error(&r), "{out}");
    // The host keeps 16 KiB of a call's stderr, then the stream reports itself closed.
    let refused_after: usize = out
        .strip_prefix("stderr refused after ")
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{out}"));
    assert!(refused_after <= 16 * 1024, "{out}");
    assert_server_answers(&c, "stderr_flood").await;

    // A 50 MB answer: cut to the budget, with the note.
    let r = call(&c, "huge_output", json!({})).await.unwrap();
    assert!(!is_error(&r));
    let out = text(&r);
    let shown = split_truncated(&out, 50_000_000);
    assert!(
        shown.starts_with("line 0000000000 xxx"),
        "{}",
        &shown[..100]
    );
    assert_eq!(last_tool_call(&audit, "huge_output")["outcome"], "ok");
    assert_server_answers(&c, "huge_output").await;

    // One character over the budget: cut too.
    let r = call(&c, "output_over_budget", json!({})).await.unwrap();
    let out = text(&r);
    split_truncated(&out, MAX_OUTPUT + 1);
    assert_server_answers(&c, "output_over_budget").await;

    let outcomes: Vec<String> = read_audit(&audit)
        .unwrap()
        .into_iter()
        .filter(|r| r["kind"] == "tool_call" && r["tool"] != "execute_kubectl")
        .map(|r| r["outcome"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        outcomes,
        [
            "timeout",
            "out-of-memory",
            "trap",
            "trap",
            "trap",
            "tool-error",
            "ok",
            "ok",
            "ok",
            "ok",
            "ok"
        ]
    );
    c.cancel().await.unwrap();
}

#[tokio::test]
async fn a_capability_flood_stops_at_exactly_the_cap() {
    let dir = tempfile::tempdir().unwrap();
    let audit = audit_path(&dir);
    let c = start(&hostile(&dir)).await.unwrap();
    let r = call(&c, "capability_flood", json!({})).await.unwrap();
    let out = text(&r);
    assert!(is_error(&r), "{out}");
    let limit = format!("limit more than {CAP} capability calls in one tool call");
    assert_eq!(
        out,
        format!("succeeded={CAP}\nthen: {limit}\nafter: {limit} | {limit} | {limit}")
    );
    // The audit log: the cap's worth of allowed, successful lists, then only refusals.
    let rec = last_tool_call(&audit, "capability_flood");
    assert_eq!(rec["outcome"], "tool-error");
    let caps = capability_records(&audit, &rec["request_id"]);
    assert_eq!(caps.len(), CAP + 4, "{caps:?}");
    for (i, r) in caps.iter().enumerate() {
        assert_eq!(r["verb"], "list", "{r}");
        assert_eq!(r["resource"], "pods", "{r}");
        if i < CAP {
            assert_eq!(r["decision"], "allow", "record {i}: {r}");
            assert_eq!(r["outcome"], "ok", "record {i}: {r}");
        } else {
            assert_eq!(r["outcome"], "limit", "record {i}: {r}");
            assert_ne!(r["decision"], "allow", "record {i}: {r}");
        }
    }
    // The cap is per tool call: the next call starts afresh.
    assert_server_answers(&c, "capability_flood").await;
    let r = call(&c, "list_pods", json!({})).await.unwrap();
    assert!(text(&r).starts_with("ok 200"), "{}", text(&r));
    c.cancel().await.unwrap();
}

#[tokio::test]
async fn host_files_environment_and_network_are_out_of_reach() {
    let dir = tempfile::tempdir().unwrap();
    let audit = audit_path(&dir);
    let written = Path::new("/tmp/kap-hostile-write");
    let _ = std::fs::remove_file(written);
    let c = start(&hostile(&dir)).await.unwrap();
    let port = apiserver_port();
    let mut seen = String::new();

    let r = call(&c, "read_host_files", json!({})).await.unwrap();
    let files = text(&r);
    eprintln!("read_host_files:\n{files}");
    let (files_only, cwd) = files.rsplit_once('\n').unwrap();
    for line in files_only.lines() {
        assert!(
            line.contains(": error "),
            "the plugin obtained something: {line}"
        );
    }
    assert_eq!(files_only.lines().count(), 7, "{files}");
    // WASI's own notion of a working directory, not the server's.
    assert!(
        cwd == "current_dir: GOT /" || cwd.starts_with("current_dir: error "),
        "{cwd}"
    );
    assert!(!written.exists(), "the plugin wrote {}", written.display());
    seen.push_str(&files);
    assert_server_answers(&c, "read_host_files").await;

    let r = call(&c, "read_env", json!({})).await.unwrap();
    let env = text(&r);
    eprintln!("read_env:\n{env}");
    assert!(env.contains("vars: 0 []"), "{env}");
    assert!(env.contains("args: 0 []"), "{env}");
    for name in ["KUBECONFIG", "KAP_CANARY", "HOME", "PATH"] {
        assert!(
            env.contains(&format!("var {name}: error environment variable not found")),
            "{env}"
        );
    }
    seen.push_str(&env);
    assert_server_answers(&c, "read_env").await;

    let r = call(&c, "open_socket", json!({ "port": port }))
        .await
        .unwrap();
    let net = text(&r);
    eprintln!("open_socket:\n{net}");
    assert!(net.contains(&format!("127.0.0.1:{port}")), "{net}");
    for line in net.lines() {
        assert!(
            line.contains(": error "),
            "the plugin reached the network: {line}"
        );
    }
    seen.push_str(&net);
    assert_server_answers(&c, "open_socket").await;

    // Nothing the server process knows leaked into any answer: not the canary, not the
    // kubeconfig's path or credentials, not /etc/passwd, not the server's working directory.
    let kc_path = kubeconfig().unwrap();
    let kc = std::fs::read_to_string(&kc_path).unwrap();
    let credential = kc
        .lines()
        .find_map(|l| l.trim().strip_prefix("client-key-data:"))
        .map(str::trim);
    let mut secrets = vec![
        CANARY.1.to_string(),
        kc_path.clone(),
        "root:".to_string(),
        root().display().to_string(),
    ];
    if let Ok(home) = std::env::var("HOME") {
        secrets.push(format!("{home}/"));
    }
    if let Some(cred) = credential {
        secrets.push(cred[..cred.len().min(40)].to_string());
    }
    for s in &secrets {
        assert!(!seen.contains(s.as_str()), "{s:?} leaked into:\n{seen}");
    }
    for rec in read_audit(&audit).unwrap() {
        assert!(
            !rec.to_string().contains(CANARY.1),
            "canary in the audit log: {rec}"
        );
    }
    // None of these touched the Kubernetes API.
    let rec = last_tool_call(&audit, "open_socket");
    assert_eq!(rec["outcome"], "ok");
    assert!(capability_records(&audit, &rec["request_id"]).is_empty());
    c.cancel().await.unwrap();
}
