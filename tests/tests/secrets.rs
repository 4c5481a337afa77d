//! Canary test of issue 3, "Secrets never reach the model": every tool and subcommand, in
//! every output format, through the real server against the local cluster, and no canary
//! string may appear in any answer (text or structured content).
//!
//! The canaries live in the cluster (`tests/cluster/canary.sh`, run by
//! `tests/cluster/demo-workloads.sh`): Secret `kap-demo/canary` (applied client-side, so its
//! last-applied annotation carries the value too), Pod `kap-demo/canary-pod` and Deployment
//! `kap-demo/canary-app` with credential env vars, Event `kap-demo/canary-event`, and the
//! canary pod's log `tests/cluster/logs/canary.log` (KWOK ClusterLogs rule `kap-canary-logs`).
//!
//! Secrets: metadata yes, data never. The default policy allows Table reads of Secrets
//! (`default.secret-metadata`: names, types, key names and sizes for `get` and `describe`)
//! and refuses JSON reads (`default.secret-contents`: `-o yaml`, `-o json`, jsonpath); the
//! host replaces every value with `<redacted: N bytes>` on every path. Both are checked here
//! against the real kubectl's output.
//!
//! Without KUBECONFIG these tests fail; they are never skipped.

use kube_ai_proxy_e2e::*;
use serde_json::{Value, json};

/// Every canary string (and the base64 forms a Secret's `data` would carry).
const CANARIES: &[&str] = &[
    // Secret kap-demo/canary, data.token, plain and base64.
    "canary-secret-5c1f",
    "Y2FuYXJ5LXNlY3JldC01YzFm",
    // canary-pod / canary-app env: DB_PASSWORD, API_TOKEN (JWT payload), DATABASE_URL password.
    "canary-env-8e2a",
    "eyJzdWIiOiJjYW5hcnktand0LTRmMGQifQ",
    "canary-url-77d1",
    // canary.log: bearer token, JWT payload, PEM body, URL password, password=.
    "canary-bearer-2d6b9f31e0",
    "eyJzdWIiOiJjYW5hcnktbG9nand0LWE2YzMifQ",
    "canaryPEMbody0e5b",
    "canaryPEMtail7c1a",
    "canary-logurl-19c4",
    "canary-log-3b9e",
    // Event canary-event message.
    "canary-evurl-5a90",
    "canary-event-6a0c",
    // The Secret this test applies, plain and base64.
    "canary-apply-0d3f",
    "Y2FuYXJ5LWFwcGx5LTBkM2Y",
];

/// The Secret manifest applied through the tool.
const APPLIED_SECRET: &str = r#"apiVersion: v1
kind: Secret
metadata:
  name: canary-applied
  namespace: kap-demo
type: Opaque
stringData:
  password: canary-apply-0d3f
"#;

/// Credentials of the admin kubeconfig (client key and certificate data, tokens): they must
/// never be returned either.
fn kubeconfig_credentials() -> Vec<String> {
    let path = kubeconfig().expect("KUBECONFIG");
    let text = std::fs::read_to_string(&path).expect("read the kubeconfig");
    text.lines()
        .filter_map(|l| {
            let (k, v) = l.trim().split_once(':')?;
            let v = v.trim();
            matches!(
                k.trim(),
                "client-key-data" | "client-certificate-data" | "token" | "password"
            )
            .then(|| v.chars().take(40).collect::<String>())
            .filter(|v| v.len() >= 16)
        })
        .collect()
}

/// The whole answer as the client sees it: content and structured content.
fn whole(r: &rmcp::model::CallToolResult) -> String {
    serde_json::to_string(r).expect("serialize the result")
}

/// Every place a canary shows, as (canary, command) pairs.
fn leaks(command: &str, answer: &str, extra: &[String]) -> Vec<String> {
    CANARIES
        .iter()
        .map(|c| c.to_string())
        .chain(extra.iter().cloned())
        .filter(|c| answer.contains(c.as_str()))
        .map(|c| format!("{command:?} leaks {c:?}"))
        .collect()
}

fn admin(dir: &tempfile::TempDir) -> ServerOpts {
    ServerOpts {
        kubeconfig: Some(kubeconfig().expect("KUBECONFIG")),
        audit_log: Some(dir.path().join("audit.jsonl")),
        ..Default::default()
    }
}

/// The commands run through `execute_kubectl`: every read subcommand and output format on
/// Secrets, Pods, Deployments and Events, logs with their flags, discovery and help.
fn commands() -> Vec<String> {
    let mut cmds = Vec::new();
    let targets = [
        "secrets",
        "secret canary",
        "pods",
        "pod canary-pod",
        "deployments",
        "deployment canary-app",
        "events",
        "all",
    ];
    for t in targets {
        for o in ["", " -o wide", " -o yaml", " -o json", " -o name"] {
            cmds.push(format!("get {t} -n kap-demo{o}"));
        }
        if t != "all" {
            cmds.push(format!("describe {t} -n kap-demo"));
        }
    }
    for c in [
        "get pods -A -o yaml",
        "get pods -A -o json",
        "get deployments -A -o yaml",
        "get events -A -o json",
        "get pods -n kap-demo -l app=canary -o yaml",
        "get pod/canary-pod deploy/canary-app -n kap-demo -o json",
        "describe pods -n kap-demo",
        "describe deployments -n kap-demo",
        "events -n kap-demo",
        "events -n kap-demo -o yaml",
        "events -n kap-demo -o json",
        "events -A",
        "logs canary-pod -n kap-demo",
        "logs canary-pod -n kap-demo --tail 1",
        "logs canary-pod -n kap-demo --tail 2",
        "logs canary-pod -n kap-demo --tail 3",
        "logs canary-pod -n kap-demo --tail 4",
        "logs canary-pod -n kap-demo --tail 5 --timestamps",
        "logs canary-pod -n kap-demo --timestamps",
        "logs canary-pod -n kap-demo -c worker --timestamps",
        "logs pod/canary-pod -n kap-demo --tail 20",
        "rollout status deployment/canary-app -n kap-demo",
        "api-resources",
        "api-resources -o wide",
        "api-versions",
        "version",
        "config current-context",
        "config view",
        "config view --raw",
        "auth can-i get secrets -n kap-demo",
        "auth can-i --list -n kap-demo",
        "cluster-info",
        "config get-contexts",
        // Output formats and filters added in issue 4.
        "get secrets -n kap-demo -o 'jsonpath={.items[*].data}'",
        "get secret canary -n kap-demo -o 'jsonpath={.data.password}'",
        "get secret canary -n kap-demo -o jsonpath-as-json='{.data}'",
        "get pods -n kap-demo -o 'custom-columns=NAME:.metadata.name,ENV:.spec.containers[*].env'",
        "get secrets -n kap-demo -o 'custom-columns=NAME:.metadata.name,DATA:.data'",
        "get pods -n kap-demo --sort-by=.metadata.name -o yaml",
        "get pod canary-pod -n kap-demo -o json | jq -r '.spec.containers[].env'",
        "get secret canary -n kap-demo | jq -r '.data.password | @base64d'",
        "get secrets -n kap-demo -o yaml | grep -i pass",
        "get pods -n kap-demo --limit=1 -o yaml",
        "logs canary-pod -n kap-demo --grep=.",
        "logs canary-pod -n kap-demo | grep -i -e pass -e token",
        "logs canary-pod -n kap-demo | tail -n 3",
    ] {
        cmds.push(c.to_string());
    }
    cmds
}

#[tokio::test]
async fn no_canary_reaches_the_model_through_any_tool() {
    let dir = tempfile::tempdir().unwrap();
    let c = start(&admin(&dir)).await.unwrap();
    let creds = kubeconfig_credentials();
    assert!(
        !creds.is_empty(),
        "the admin kubeconfig carries credentials"
    );
    let mut found = Vec::new();
    let mut answers = std::collections::BTreeMap::new();
    for cmd in commands() {
        let r = kubectl(&c, &cmd).await.unwrap();
        let w = whole(&r);
        found.extend(leaks(&cmd, &w, &creds));
        answers.insert(cmd, r);
    }
    // apply of a Secret manifest with a canary, and its response, in every apply form.
    for cmd in [
        "apply -f - --dry-run=server",
        "apply -f -",
        "apply -f - -o name",
    ] {
        let r = call(
            &c,
            "execute_kubectl",
            json!({"command": cmd, "manifest": APPLIED_SECRET}),
        )
        .await
        .unwrap();
        found.extend(leaks(cmd, &whole(&r), &creds));
    }
    // The troubleshooter reads env, events and statuses of the whole namespace.
    for args in [
        json!({"namespace": "kap-demo"}),
        json!({"namespace": "kap-demo", "kind": "deployment", "name": "canary-app"}),
        json!({"namespace": "kap-demo", "symptom": "password rejected"}),
    ] {
        let r = call(&c, "k8s_troubleshoot", args.clone()).await.unwrap();
        found.extend(leaks(
            &format!("k8s_troubleshoot {args}"),
            &whole(&r),
            &creds,
        ));
    }
    // Help: the overview and every subcommand.
    for sub in [
        "", "get", "describe", "logs", "events", "apply", "rollout", "config",
    ] {
        let r = call(&c, "describe_kubectl", json!({"command": sub}))
            .await
            .unwrap();
        found.extend(leaks(
            &format!("describe_kubectl {sub}"),
            &whole(&r),
            &creds,
        ));
    }
    c.cancel().await.unwrap();
    // The applied Secret is a fixture of this test only.
    let _ = std::process::Command::new(std::env::var("KAP_KUBECTL").unwrap_or("kubectl".into()))
        .args([
            "delete",
            "secret",
            "canary-applied",
            "-n",
            "kap-demo",
            "--ignore-not-found",
        ])
        .env("KUBECONFIG", kubeconfig().unwrap())
        .output();
    assert!(found.is_empty(), "leaks:\n{}", found.join("\n"));

    // The answers stay useful: keys are kept, values say <redacted>.
    let pod = text(&answers["get pod canary-pod -n kap-demo -o yaml"]);
    assert!(pod.contains("DB_PASSWORD"), "{pod}");
    assert!(pod.contains("<redacted>"), "{pod}");
    assert!(
        pod.contains("postgres://app:<redacted>@db:5432/app"),
        "{pod}"
    );
    assert!(
        pod.contains("value: info"),
        "ordinary env values stay: {pod}"
    );
    let logs = text(&answers["logs canary-pod -n kap-demo"]);
    assert!(logs.contains("starting billing-worker v1.4.0"), "{logs}");
    assert!(logs.contains("Authorization: Bearer <redacted>"), "{logs}");
    assert!(logs.contains("password=<redacted>"), "{logs}");
    assert!(logs.trim_end().ends_with("ready"), "{logs}");
}

#[tokio::test]
async fn secrets_show_metadata_and_never_contents() {
    let dir = tempfile::tempdir().unwrap();
    let c = start(&admin(&dir)).await.unwrap();
    // Contents: refused (a JSON read of a Secret), with the way to the metadata named.
    for cmd in [
        "get secret canary -n kap-demo -o yaml",
        "get secrets -n kap-demo -o json",
        "get secret canary -n kap-demo -o 'jsonpath={.data}'",
    ] {
        let r = kubectl(&c, cmd).await.unwrap();
        let out = whole(&r);
        assert!(is_error(&r), "{cmd}: {out}");
        assert!(out.contains("default.secret-contents"), "{cmd}: {out}");
        assert!(out.contains("describe secret"), "{cmd}: {out}");
    }
    // Metadata: names, types, key counts; key names and sizes as the real kubectl prints them.
    let r = kubectl(&c, "get secrets -n kap-demo").await.unwrap();
    let out = text(&r);
    assert!(!is_error(&r), "{out}");
    let real = real_kubectl(&["get", "secrets", "-n", "kap-demo"]);
    let row = |t: &str| {
        t.lines()
            .find(|l| l.starts_with("canary "))
            .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
    };
    assert_eq!(row(&out), row(&real), "ours:\n{out}\nkubectl:\n{real}");
    assert!(row(&real).is_some(), "{real}");
    let r = kubectl(&c, "describe secret canary -n kap-demo")
        .await
        .unwrap();
    let ours = text(&r);
    let all = whole(&r);
    assert!(!is_error(&r), "{ours}");
    let real = real_kubectl(&["describe", "secret", "canary", "-n", "kap-demo"]);
    let data = |t: &str| -> Vec<String> {
        t.lines()
            .skip_while(|l| *l != "Data")
            .skip(2)
            .filter(|l| !l.trim().is_empty())
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect()
    };
    assert!(!data(&real).is_empty(), "{real}");
    assert_eq!(data(&ours), data(&real), "ours:\n{ours}\nkubectl:\n{real}");
    assert!(ours.contains("Type:"), "{ours}");
    for canary in CANARIES {
        assert!(!all.contains(canary), "describe leaked {canary}");
    }
    // The audit log names the rule that let the metadata through.
    let records = read_audit(&dir.path().join("audit.jsonl")).unwrap();
    assert!(
        records
            .iter()
            .any(|r| r["resource"] == "secrets" && r["rule"] == "default.secret-metadata"),
        "{records:?}"
    );
    c.cancel().await.unwrap();
}

#[tokio::test]
async fn structured_content_of_a_pod_keeps_env_names() {
    let dir = tempfile::tempdir().unwrap();
    let c = start(&admin(&dir)).await.unwrap();
    let r = kubectl(&c, "get pod canary-pod -n kap-demo -o json")
        .await
        .unwrap();
    c.cancel().await.unwrap();
    assert!(!is_error(&r), "{}", text(&r));
    let v: Value = serde_json::from_str(&text(&r)).expect("-o json prints JSON");
    let env = &v["spec"]["containers"][0]["env"];
    let by_name = |n: &str| {
        env.as_array()
            .and_then(|a| a.iter().find(|e| e["name"] == n))
            .map(|e| e["value"].clone())
            .unwrap_or(Value::Null)
    };
    assert_eq!(by_name("DB_PASSWORD"), "<redacted>");
    assert_eq!(by_name("API_TOKEN"), "<redacted>");
    assert_eq!(by_name("LOG_LEVEL"), "info");
    let last_applied =
        v["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"]
            .as_str()
            .unwrap_or("");
    assert!(
        last_applied.contains("DB_PASSWORD"),
        "the annotation is kept, its values redacted: {last_applied}"
    );
}
