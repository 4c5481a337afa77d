//! Integration tests: `kube-ai-proxy serve` over stdio, driven by the rmcp client, against the
//! real local cluster (`make test` starts it and creates the demo workloads in `kap-demo`).
//! Without KUBECONFIG these tests fail; they are never skipped.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use kube_ai_proxy_e2e::*;
use serde_json::{Value, json};

fn audit_path(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("audit.jsonl")
}

fn admin(dir: &tempfile::TempDir) -> ServerOpts {
    ServerOpts {
        kubeconfig: Some(kubeconfig().expect("KUBECONFIG")),
        audit_log: Some(audit_path(dir)),
        ..Default::default()
    }
}

/// A server that also loads the misbehaving plugin, granted reads of pods in `kap-demo`.
fn with_misbehave(dir: &tempfile::TempDir, timeout_secs: u64) -> ServerOpts {
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        r#"
memory_limit_mib = 64
[grants.misbehave]
kube = { verbs = ["get", "list"], resources = ["pods"], namespaces = ["kap-demo"] }
log = true
"#,
    )
    .unwrap();
    let mut o = admin(dir);
    o.config = Some(config);
    o.plugins = vec![misbehave_plugin()];
    o.env = vec![
        ("K8S_MCP_TIMEOUT".into(), timeout_secs.to_string()),
        ("K8S_NAMESPACE".into(), "kap-demo".into()),
    ];
    o
}

fn records_for(path: &Path, request_id: &str) -> Vec<Value> {
    read_audit(path)
        .unwrap()
        .into_iter()
        .filter(|r| r["request_id"] == request_id)
        .collect()
}

#[tokio::test]
async fn lists_the_kubectl_tools_with_annotations() {
    let dir = tempfile::tempdir().unwrap();
    let c = start(&admin(&dir)).await.unwrap();
    let tools = c.list_all_tools().await.unwrap();
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    assert!(names.contains(&"execute_kubectl"), "{names:?}");
    assert!(names.contains(&"describe_kubectl"), "{names:?}");
    assert!(
        !names.contains(&"spin"),
        "test plugins are not loaded by default: {names:?}"
    );
    let exec = tools.iter().find(|t| t.name == "execute_kubectl").unwrap();
    assert_eq!(exec.input_schema["required"], json!(["command"]));
    let describe = tools.iter().find(|t| t.name == "describe_kubectl").unwrap();
    assert_eq!(
        describe.annotations.as_ref().unwrap().read_only_hint,
        Some(true)
    );
    let info = c.peer_info().unwrap();
    assert_eq!(info.server_info.as_ref().unwrap().name, "kube-ai-proxy");
    c.cancel().await.unwrap();
}

#[tokio::test]
async fn get_pods_all_namespaces_matches_the_cluster() {
    let dir = tempfile::tempdir().unwrap();
    let c = start(&admin(&dir)).await.unwrap();
    let r = kubectl(&c, "kubectl get pods -A").await.unwrap();
    let out = text(&r);
    assert!(!is_error(&r), "{out}");
    let header = out.lines().next().unwrap();
    for col in ["NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE"] {
        assert!(header.contains(col), "missing column {col}: {header}");
    }
    // Every pod the real kubectl lists appears in our answer.
    let names = real_kubectl(&["get", "pods", "-A", "-o", "name", "--no-headers"]);
    let mut count = 0;
    for n in names.lines() {
        let n = n.trim_start_matches("pod/");
        assert!(out.contains(n), "pod {n} missing from:\n{out}");
        count += 1;
    }
    assert!(count >= 3, "expected demo pods, kubectl listed {count}");
    c.cancel().await.unwrap();
}

#[tokio::test]
async fn describe_deployment_shows_replicas_and_events() {
    let dir = tempfile::tempdir().unwrap();
    let c = start(&admin(&dir)).await.unwrap();
    let r = kubectl(&c, "describe deployment web -n kap-demo")
        .await
        .unwrap();
    let out = text(&r);
    assert!(!is_error(&r), "{out}");
    assert!(out.contains("Name:") && out.contains("web"), "{out}");
    assert!(
        out.contains("Namespace:") && out.contains("kap-demo"),
        "{out}"
    );
    assert!(out.contains("Replicas:"), "{out}");
    assert!(out.contains("Events:"), "{out}");
    c.cancel().await.unwrap();
}

#[tokio::test]
async fn get_events_in_a_namespace() {
    let dir = tempfile::tempdir().unwrap();
    let c = start(&admin(&dir)).await.unwrap();
    let r = kubectl(&c, "get events -n kap-demo").await.unwrap();
    let out = text(&r);
    assert!(!is_error(&r), "{out}");
    let real = real_kubectl(&[
        "get",
        "events",
        "-n",
        "kap-demo",
        "-o",
        "jsonpath={.items[*].reason}",
    ]);
    let first = real
        .split_whitespace()
        .next()
        .expect("the demo namespace has events");
    assert!(out.contains(first), "event reason {first} missing:\n{out}");
    c.cancel().await.unwrap();
}

#[tokio::test]
async fn scale_is_a_write_that_passes_the_gate_and_rbac() {
    let dir = tempfile::tempdir().unwrap();
    let c = start(&admin(&dir)).await.unwrap();
    let r = kubectl(&c, "scale deployment/web --replicas=3 -n kap-demo")
        .await
        .unwrap();
    assert!(!is_error(&r), "{}", text(&r));
    assert!(text(&r).contains("scaled"), "{}", text(&r));
    let replicas = real_kubectl(&[
        "get",
        "deployment",
        "web",
        "-n",
        "kap-demo",
        "-o",
        "jsonpath={.spec.replicas}",
    ]);
    assert_eq!(replicas.trim(), "3");
    let r = kubectl(&c, "scale deployment web --replicas 2 -n kap-demo")
        .await
        .unwrap();
    assert!(!is_error(&r), "{}", text(&r));
    let replicas = real_kubectl(&[
        "get",
        "deployment",
        "web",
        "-n",
        "kap-demo",
        "-o",
        "jsonpath={.spec.replicas}",
    ]);
    assert_eq!(replicas.trim(), "2");
    let writes: Vec<Value> = read_audit(&audit_path(&dir))
        .unwrap()
        .into_iter()
        .filter(|r| r["kind"] == "capability" && r["verb"] == "patch")
        .collect();
    assert_eq!(writes.len(), 2, "{writes:?}");
    for w in &writes {
        assert_eq!(w["decision"], "allow");
        assert_eq!(w["rule"], "default.allow-write");
        assert_eq!(w["rbac"], "allowed");
        assert_eq!(w["subresource"], "scale");
        assert_eq!(w["outcome"], "ok");
    }
    c.cancel().await.unwrap();
}

#[tokio::test]
async fn secret_contents_are_refused_by_policy_and_audited() {
    let dir = tempfile::tempdir().unwrap();
    let c = start(&admin(&dir)).await.unwrap();
    let secret_b64 = real_kubectl(&[
        "get",
        "secret",
        "db-credentials",
        "-n",
        "kap-demo",
        "-o",
        "jsonpath={.data.password}",
    ]);
    assert!(!secret_b64.is_empty());
    // Contents: refused.
    for cmd in [
        "get secret db-credentials -n kap-demo -o yaml",
        "get secrets -n kap-demo -o json",
        "get secret db-credentials -n kap-demo -o jsonpath={.data.password}",
    ] {
        let r = kubectl(&c, cmd).await.unwrap();
        let out = text(&r);
        assert!(is_error(&r), "{cmd}: {out}");
        assert!(out.contains("default.secret-contents"), "{cmd}: {out}");
        assert!(!out.contains(secret_b64.trim()), "{cmd} leaked the secret");
    }
    // Metadata: names, types, key names and sizes, never the value.
    for cmd in [
        "get secrets -A",
        "describe secret db-credentials -n kap-demo",
    ] {
        let r = kubectl(&c, cmd).await.unwrap();
        let out = text(&r);
        assert!(!is_error(&r), "{cmd}: {out}");
        assert!(
            out.contains("db-credentials") || out.contains("password:"),
            "{cmd}: {out}"
        );
        assert!(!out.contains(secret_b64.trim()), "{cmd} leaked the secret");
    }
    let denials: Vec<Value> = read_audit(&audit_path(&dir))
        .unwrap()
        .into_iter()
        .filter(|r| r["decision"] == "deny")
        .collect();
    assert!(denials.len() >= 3, "{denials:?}");
    assert!(
        denials
            .iter()
            .all(|d| d["rule"] == "default.secret-contents" && d["resource"] == "secrets")
    );
    c.cancel().await.unwrap();
}

#[tokio::test]
async fn rbac_refuses_the_restricted_identity() {
    let dir = tempfile::tempdir().unwrap();
    let mut o = admin(&dir);
    o.kubeconfig = Some(restricted_kubeconfig().unwrap());
    let c = start(&o).await.unwrap();
    let r = kubectl(&c, "get pods -n kap-restricted").await.unwrap();
    assert!(!is_error(&r), "{}", text(&r));
    assert!(text(&r).contains("restricted-pod"), "{}", text(&r));
    let r = kubectl(&c, "get pods -n kap-demo").await.unwrap();
    let out = text(&r);
    assert!(is_error(&r), "{out}");
    assert!(
        out.contains("RBAC")
            && out.contains("list")
            && out.contains("pods")
            && out.contains("kap-demo"),
        "{out}"
    );
    let r = kubectl(&c, "delete pod restricted-pod -n kap-restricted")
        .await
        .unwrap();
    assert!(
        is_error(&r),
        "the restricted identity may not delete: {}",
        text(&r)
    );
    let audit = read_audit(&audit_path(&dir)).unwrap();
    let denied: Vec<&Value> = audit.iter().filter(|r| r["rbac"] == "denied").collect();
    assert_eq!(denied.len(), 2, "{denied:?}");
    assert!(
        denied
            .iter()
            .any(|r| r["verb"] == "list" && r["namespace"] == "kap-demo")
    );
    assert!(
        denied
            .iter()
            .any(|r| r["verb"] == "delete" && r["name"] == "restricted-pod")
    );
    c.cancel().await.unwrap();
}

#[tokio::test]
async fn malformed_and_hostile_commands_are_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let c = start(&admin(&dir)).await.unwrap();
    let cases = [
        ("get pods | sh", "pipe"),
        ("get pods; rm -rf /", ";"),
        ("get pods && kubectl delete ns default", "&&"),
        ("get pods > /tmp/x", ">"),
        ("get pods $(id)", "substitution"),
        ("get pods --server=https://evil.example", "--server"),
        ("-Ashttps://evil.example get pods", "-s"),
        ("get pods --token abc", "--token"),
        ("get pods --kubeconfig /etc/passwd", "--kubeconfig"),
        ("get pods --as system:admin", "--as"),
        ("frobnicate pods", "frobnicate"),
        ("get pods 'unterminated", "quote"),
    ];
    for (cmd, needle) in cases {
        let r = kubectl(&c, cmd).await.unwrap();
        let out = text(&r);
        assert!(is_error(&r), "{cmd:?} was not refused: {out}");
        assert!(
            out.to_lowercase().contains(&needle.to_lowercase()),
            "{cmd:?}: error does not mention {needle:?}: {out}"
        );
    }
    // None of them reached the API server.
    let audit = read_audit(&audit_path(&dir)).unwrap();
    assert!(audit.iter().all(|r| r["kind"] == "tool_call"), "{audit:?}");
    assert_eq!(audit.len(), cases.len());
    // The server still answers.
    let r = kubectl(&c, "get namespaces").await.unwrap();
    assert!(
        !is_error(&r) && text(&r).contains("kap-demo"),
        "{}",
        text(&r)
    );
    c.cancel().await.unwrap();
}

#[tokio::test]
async fn an_endless_plugin_times_out_and_the_server_keeps_answering() {
    let dir = tempfile::tempdir().unwrap();
    let c = start(&with_misbehave(&dir, 2)).await.unwrap();
    let t = Instant::now();
    let r = call(&c, "spin", json!({})).await.unwrap();
    let took = t.elapsed();
    assert!(is_error(&r));
    assert!(text(&r).contains("Timeout"), "{}", text(&r));
    assert!(
        took >= Duration::from_secs(2) && took < Duration::from_secs(30),
        "{took:?}"
    );
    let r = kubectl(&c, "get pods -n kap-demo").await.unwrap();
    assert!(!is_error(&r), "{}", text(&r));
    // Other misbehaviour ends only its own call, too.
    let r = call(&c, "memory_bomb", json!({})).await.unwrap();
    assert!(is_error(&r) && text(&r).contains("memory"), "{}", text(&r));
    let r = call(&c, "trap", json!({})).await.unwrap();
    assert!(is_error(&r) && text(&r).contains("trap"), "{}", text(&r));
    let r = call(&c, "list_pods", json!({})).await.unwrap();
    assert!(text(&r).starts_with("ok 200"), "{}", text(&r));
    // Writes to stdout are discarded: they never reach the protocol stream.
    let r = call(&c, "stdout_flood", json!({})).await.unwrap();
    assert_eq!(text(&r), "wrote to stdout");
    assert!(!is_error(&r));
    let outcomes: Vec<String> = read_audit(&audit_path(&dir))
        .unwrap()
        .into_iter()
        .filter(|r| r["kind"] == "tool_call")
        .map(|r| r["outcome"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        outcomes,
        ["timeout", "ok", "out-of-memory", "trap", "ok", "ok"]
    );
    c.cancel().await.unwrap();
}

#[tokio::test]
async fn requests_beyond_the_grant_get_typed_denials_that_are_audited() {
    let dir = tempfile::tempdir().unwrap();
    let c = start(&with_misbehave(&dir, 20)).await.unwrap();
    let r = call(&c, "exceed_grant", json!({})).await.unwrap();
    let out = text(&r);
    assert!(
        out.contains("delete pod: denied rule=grant.kube.requested-verb"),
        "{out}"
    );
    assert!(
        out.contains("list secrets: denied rule=grant.kube.requested-resource"),
        "{out}"
    );
    let audit = read_audit(&audit_path(&dir)).unwrap();
    let denies: Vec<&Value> = audit.iter().filter(|r| r["decision"] == "deny").collect();
    assert_eq!(denies.len(), 2, "{denies:?}");
    assert!(denies.iter().all(
        |d| d["plugin"] == "misbehave" && d["digest"].as_str().unwrap().starts_with("sha256:")
    ));
    assert!(
        denies
            .iter()
            .any(|d| d["verb"] == "delete" && d["name"] == "victim")
    );
    assert!(
        denies
            .iter()
            .any(|d| d["verb"] == "list" && d["resource"] == "secrets")
    );
    // The operator's grant narrows further: the plugin is only granted kap-demo.
    let mut o = with_misbehave(&dir, 20);
    o.env.retain(|(k, _)| k != "K8S_NAMESPACE");
    o.env.push(("K8S_NAMESPACE".into(), "default".into()));
    let c2 = start(&o).await.unwrap();
    let r = call(&c2, "list_pods", json!({})).await.unwrap();
    assert!(
        text(&r).contains("denied rule=grant.kube.granted-namespace"),
        "{}",
        text(&r)
    );
    c2.cancel().await.unwrap();
    c.cancel().await.unwrap();
}

#[tokio::test]
async fn the_audit_log_has_one_record_per_decision() {
    let dir = tempfile::tempdir().unwrap();
    let c = start(&with_misbehave(&dir, 20)).await.unwrap();
    // `list_pods` makes exactly one capability call; `exceed_grant` exactly two.
    let r = call(&c, "list_pods", json!({})).await.unwrap();
    assert!(text(&r).starts_with("ok"), "{}", text(&r));
    let r = call(&c, "exceed_grant", json!({})).await.unwrap();
    assert!(!is_error(&r));
    let audit = read_audit(&audit_path(&dir)).unwrap();
    let ids: Vec<String> = audit
        .iter()
        .filter(|r| r["kind"] == "tool_call")
        .map(|r| r["request_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 2);
    assert_ne!(ids[0], ids[1]);
    let first = records_for(&audit_path(&dir), &ids[0]);
    let caps: Vec<&Value> = first.iter().filter(|r| r["kind"] == "capability").collect();
    assert_eq!(caps.len(), 1, "{first:?}");
    assert_eq!(caps[0]["decision"], "allow");
    assert_eq!(caps[0]["rbac"], "allowed");
    assert_eq!(caps[0]["verb"], "list");
    assert_eq!(caps[0]["namespace"], "kap-demo");
    assert!(caps[0]["duration_ms"].as_f64().unwrap() >= 0.0);
    let second = records_for(&audit_path(&dir), &ids[1]);
    assert_eq!(
        second.iter().filter(|r| r["kind"] == "capability").count(),
        2,
        "{second:?}"
    );
    for rec in audit {
        for field in [
            "time",
            "request_id",
            "tool",
            "plugin",
            "outcome",
            "duration_ms",
        ] {
            assert!(!rec[field].is_null(), "record without {field}: {rec}");
        }
    }
    c.cancel().await.unwrap();
}

#[tokio::test]
async fn output_beyond_the_budget_is_truncated_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let mut o = admin(&dir);
    o.env = vec![("K8S_MCP_MAX_OUTPUT".into(), "120".into())];
    let c = start(&o).await.unwrap();
    let r = kubectl(&c, "get pods -A").await.unwrap();
    let out = text(&r);
    let (shown, note) = out
        .split_once("\n\n[output truncated")
        .expect("a truncation note");
    assert!(shown.chars().count() <= 120, "{out}");
    assert!(note.contains("K8S_MCP_MAX_OUTPUT=120"), "{note}");
    c.cancel().await.unwrap();
}

#[tokio::test]
async fn plugins_list_shows_digests_tools_and_grants() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(server_bin())
        .args(["plugins", "list", "--json", "--audit-log"])
        .arg(audit_path(&dir))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let kubectl = v
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "kubectl")
        .expect("kubectl plugin");
    let sha = std::process::Command::new("sha256sum")
        .arg(kubectl_plugin())
        .output()
        .unwrap();
    let sha = String::from_utf8(sha.stdout).unwrap();
    assert_eq!(
        kubectl["digest"],
        format!("sha256:{}", sha.split_whitespace().next().unwrap())
    );
    assert_eq!(
        kubectl["tools"],
        json!(["execute_kubectl", "describe_kubectl", "k8s_troubleshoot"])
    );
    assert_eq!(kubectl["granted"]["kube"]["verbs"], json!(["*"]));
    assert_eq!(kubectl["requested"]["kube"]["verbs"][0], "get");
}

#[tokio::test]
async fn a_tool_name_collision_is_a_clear_load_error() {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("kubectl-copy.wasm");
    std::fs::copy(kubectl_plugin(), &copy).unwrap();
    let out = std::process::Command::new(server_bin())
        .args(["plugins", "list", "--audit-log"])
        .arg(audit_path(&dir))
        .arg("--plugin")
        .arg(&copy)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("two plugins are named \"kubectl\""), "{err}");
}

#[tokio::test]
async fn impersonation_makes_rbac_see_the_configured_identity() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        "[impersonate]\nuser = \"system:serviceaccount:kap-restricted:reader\"\ngroups = [\"system:serviceaccounts\"]\n",
    )
    .unwrap();
    let mut o = admin(&dir);
    o.config = Some(config);
    let c = start(&o).await.unwrap();
    // The admin kubeconfig could read kap-demo; the impersonated ServiceAccount may not.
    let r = kubectl(&c, "get pods -n kap-demo").await.unwrap();
    let out = text(&r);
    assert!(is_error(&r), "{out}");
    assert!(
        out.contains("system:serviceaccount:kap-restricted:reader") && out.contains("impersonated"),
        "{out}"
    );
    let r = kubectl(&c, "get pods -n kap-restricted").await.unwrap();
    assert!(
        !is_error(&r) && text(&r).contains("restricted-pod"),
        "{}",
        text(&r)
    );
    let r = kubectl(&c, "auth can-i list pods -n kap-demo")
        .await
        .unwrap();
    assert!(text(&r).starts_with("no"), "{}", text(&r));
    c.cancel().await.unwrap();
}
