//! Integration tests of the policy gate (issue 3, "Policy"): `kube-ai-proxy serve` with a
//! security mode or a policy file, driven by the rmcp client against the real local cluster
//! (`make test` starts it and creates the demo workloads in `kap-demo`), and the offline
//! `policy check` / `policy lint` subcommands. Without KUBECONFIG the server tests fail; they
//! are never skipped.

use std::path::Path;
use std::process::Command;

use kube_ai_proxy_e2e::*;
use serde_json::json;

fn admin(dir: &tempfile::TempDir) -> ServerOpts {
    ServerOpts {
        kubeconfig: Some(kubeconfig().expect("KUBECONFIG")),
        audit_log: Some(dir.path().join("audit.jsonl")),
        ..Default::default()
    }
}

fn replicas(name: &str) -> String {
    real_kubectl(&[
        "get",
        "deployment",
        name,
        "-n",
        "kap-demo",
        "-o",
        "jsonpath={.spec.replicas}",
    ])
}

#[tokio::test]
async fn read_only_mode_refuses_scale() {
    let dir = tempfile::tempdir().unwrap();
    let mut o = admin(&dir);
    o.env = vec![("K8S_MCP_SECURITY_MODE".into(), "read-only".into())];
    let c = start(&o).await.unwrap();
    let before = replicas("web");
    let r = kubectl(&c, "scale deployment web --replicas=2 -n kap-demo")
        .await
        .unwrap();
    let out = text(&r);
    assert!(is_error(&r), "{out}");
    assert!(out.contains("mode.read-only"), "{out}");
    assert_eq!(replicas("web"), before, "the scale went through");
    // Reads still work.
    let r = kubectl(&c, "get deployments -n kap-demo").await.unwrap();
    assert!(!is_error(&r), "{}", text(&r));
    assert!(text(&r).contains("web"), "{}", text(&r));
    c.cancel().await.unwrap();
    let audit = read_audit(&dir.path().join("audit.jsonl")).unwrap();
    assert!(
        audit
            .iter()
            .any(|rec| rec["decision"] == "deny" && rec["rule"] == "mode.read-only"),
        "no audit record names mode.read-only: {audit:?}"
    );
}

const THROWAWAY: &str = "kap-policy-throwaway";

fn throwaway_manifest() -> String {
    format!(
        r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: {THROWAWAY}
  namespace: kap-demo
spec:
  replicas: 1
  selector:
    matchLabels: {{app: {THROWAWAY}}}
  template:
    metadata:
      labels: {{app: {THROWAWAY}}}
    spec:
      containers:
        - name: main
          image: nginx
"#
    )
}

/// Deletes the throwaway deployment when the test ends, whatever happens.
struct Cleanup;
impl Drop for Cleanup {
    fn drop(&mut self) {
        let bin = std::env::var("KAP_KUBECTL").unwrap_or_else(|_| "kubectl".into());
        let _ = Command::new(bin)
            .args([
                "delete",
                "deployment",
                THROWAWAY,
                "-n",
                "kap-demo",
                "--ignore-not-found",
            ])
            .env("KUBECONFIG", kubeconfig().unwrap_or_default())
            .output();
    }
}

#[tokio::test]
async fn policy_file_denies_deployment_deletes_in_kap_demo() {
    let dir = tempfile::tempdir().unwrap();
    let policy = write_file(
        dir.path(),
        "policy.yaml",
        r#"
rules:
  - id: no-demo-deployment-deletes
    effect: deny
    verbs: [delete]
    resources: [deployments.apps]
    namespaces: [kap-demo]
    reason: deployments in kap-demo are managed elsewhere
"#,
    );
    let mut o = admin(&dir);
    o.args = vec!["--policy".into(), policy.display().to_string()];
    let _cleanup = Cleanup;
    let c = start(&o).await.unwrap();
    let r = call(
        &c,
        "execute_kubectl",
        json!({"command": "apply -f -", "manifest": throwaway_manifest()}),
    )
    .await
    .unwrap();
    assert!(!is_error(&r), "apply: {}", text(&r));
    real_kubectl(&["get", "deployment", THROWAWAY, "-n", "kap-demo"]);
    let r = kubectl(&c, &format!("delete deployment {THROWAWAY} -n kap-demo"))
        .await
        .unwrap();
    let out = text(&r);
    assert!(is_error(&r), "{out}");
    assert!(out.contains("no-demo-deployment-deletes"), "{out}");
    assert!(out.contains("managed elsewhere"), "{out}");
    // Still there, says the real kubectl.
    let names = real_kubectl(&[
        "get",
        "deployments",
        "-n",
        "kap-demo",
        "-o",
        "jsonpath={.items[*].metadata.name}",
    ]);
    assert!(names.split_whitespace().any(|n| n == THROWAWAY), "{names}");
    // Other deletes are not affected by the rule: the rule is scoped to deployments.
    let r = kubectl(&c, "delete configmap kap-policy-none -n kap-demo")
        .await
        .unwrap();
    assert!(
        !text(&r).contains("no-demo-deployment-deletes"),
        "{}",
        text(&r)
    );
    c.cancel().await.unwrap();
}

#[tokio::test]
async fn explicit_allow_rule_lifts_the_secret_denial_in_its_namespace() {
    let dir = tempfile::tempdir().unwrap();
    let policy = write_file(
        dir.path(),
        "policy.yaml",
        r#"
rules:
  - id: demo-secrets
    effect: allow
    verbs: [get]
    resources: [secrets]
    namespaces: [kap-demo]
"#,
    );
    // Through the config file's `policy` key this time.
    let config = write_file(
        dir.path(),
        "config.toml",
        &format!("policy = {:?}\n", policy.display().to_string()),
    );
    let mut o = admin(&dir);
    o.config = Some(config);
    let c = start(&o).await.unwrap();
    // A contents read (JSON) in the rule's namespace: allowed, and still no value crosses.
    let r = kubectl(&c, "get secret db-credentials -n kap-demo -o yaml")
        .await
        .unwrap();
    let out = text(&r);
    assert!(!is_error(&r), "{out}");
    assert!(out.contains("name: db-credentials"), "{out}");
    assert!(
        out.lines()
            .any(|l| l.trim_start().starts_with("password:") && l.contains("<redacted: ")),
        "{out}"
    );
    // Elsewhere, and for lists, the default denial of contents stays.
    for cmd in [
        "get secret db-credentials -n default -o yaml",
        "get secrets -n kap-demo -o json",
    ] {
        let r = kubectl(&c, cmd).await.unwrap();
        assert!(is_error(&r), "{cmd}: {}", text(&r));
        assert!(
            text(&r).contains("default.secret-contents"),
            "{cmd}: {}",
            text(&r)
        );
    }
    c.cancel().await.unwrap();
}

fn cli(args: &[&str]) -> (i32, String) {
    let out = Command::new(server_bin())
        .args(args)
        .env_remove("K8S_MCP_SECURITY_MODE")
        .env_remove("K8S_MCP_SECURITY_CONFIG")
        .env_remove("KUBE_AI_PROXY_CONFIG")
        .env_remove("K8S_CONTEXT")
        .output()
        .expect("run kube-ai-proxy");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), format!("{stdout}{stderr}"))
}

fn path_str(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn policy_check_prints_the_decision_and_rule() {
    let dir = tempfile::tempdir().unwrap();
    let policy = write_file(
        dir.path(),
        "policy.yaml",
        "rules:\n  - {id: no-demo-deletes, effect: deny, verbs: [delete], resources: [deployments.apps], namespaces: [kap-demo]}\n",
    );
    let p = path_str(&policy);
    let (code, out) = cli(&[
        "policy",
        "check",
        "--verb",
        "delete",
        "--resource",
        "deployments",
        "-n",
        "kap-demo",
        "--name",
        "web",
        "--policy",
        p,
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("delete deployments.apps \"web\" in namespace \"kap-demo\""),
        "{out}"
    );
    assert!(
        out.contains("decision: deny") && out.contains("no-demo-deletes"),
        "{out}"
    );
    let (code, out) = cli(&[
        "policy",
        "check",
        "--verb",
        "get",
        "--resource",
        "pods",
        "-n",
        "kap-demo",
        "--policy",
        p,
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("decision: allow") && out.contains("default.allow-read"),
        "{out}"
    );
    // Built-in defaults, no file: strict protects kube-system and Secrets.
    let (code, out) = cli(&[
        "policy",
        "check",
        "--verb",
        "patch",
        "--resource",
        "deployments.apps",
        "-n",
        "kube-system",
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("default.kube-system-writes"), "{out}");
    let (code, out) = cli(&[
        "policy",
        "check",
        "--verb",
        "get",
        "--resource",
        "secrets",
        "-n",
        "a",
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("default.secret-contents"), "{out}");
    // Subresource, mode from the environment, JSON.
    let out = Command::new(server_bin())
        .args([
            "policy",
            "check",
            "--verb",
            "patch",
            "--resource",
            "deployments/scale",
            "-n",
            "kap-demo",
            "--json",
        ])
        .env("K8S_MCP_SECURITY_MODE", "read-only")
        .env_remove("K8S_MCP_SECURITY_CONFIG")
        .env_remove("KUBE_AI_PROXY_CONFIG")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["decision"]["rule"], "mode.read-only", "{v}");
    assert_eq!(v["request"]["subresource"], "scale", "{v}");
    assert_eq!(v["request"]["group"], "apps", "{v}");
    // Usage errors are neither allow nor deny.
    let (code, out) = cli(&["policy", "check", "--verb", "watch", "--resource", "pods"]);
    assert_eq!(code, 2, "{out}");
}

#[test]
fn policy_lint_reports_findings_with_lines() {
    let dir = tempfile::tempdir().unwrap();
    let clean = write_file(
        dir.path(),
        "clean.yaml",
        "mode: strict\nrules:\n  - {id: a, effect: allow, verbs: [get], resources: [secrets], namespaces: [kap-demo]}\n",
    );
    let (code, out) = cli(&["policy", "lint", path_str(&clean)]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("clean"), "{out}");
    let bad = write_file(
        dir.path(),
        "bad.yaml",
        r#"mode: lenient
rules:
  - id: d
    effect: deny
    verbs: [delete, watch]
  - id: a
    effect: allow
    verbs: [delete]
    resourcez: [pods]
dangerous_commands:
  kubectl:
    - "kubectl delete"
safe_patterns:
  kubectl:
    - "kubectl delete pod"
regex_rules:
  kubectl:
    - pattern: "kubectl\\s+delete\\s+(-[A-Za-z]+\\s+)*--all\\b"
      description: "Deleting all resources of a type"
      error_message: "Custom error message shown to the user"
"#,
    );
    let (code, out) = cli(&["policy", "lint", path_str(&bad)]);
    assert_eq!(code, 1, "{out}");
    for want in [
        "line 1: invalid mode \"lenient\"",
        "line 9: unknown key \"resourcez\" in rules[1]",
        "line 5: rule d: invalid verb \"watch\"",
        "rule a: unreachable allow: deny rule d",
    ] {
        assert!(out.contains(want), "missing {want:?} in:\n{out}");
    }
    // The seed's sections are checked too: a bad regex, a safe pattern nothing needs.
    let seed = write_file(
        dir.path(),
        "seed.yaml",
        "dangerous_commands:\n  kubectl:\n    - \"kubectl drain\"\nsafe_patterns:\n  kubectl: [\"kubectl get pod\"]\nregex_rules:\n  kubectl:\n    - pattern: \"delete(\"\n",
    );
    let (code, out) = cli(&["policy", "lint", path_str(&seed)]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("regex_rules.kubectl[0]: invalid pattern"),
        "{out}"
    );
    assert!(out.contains("\"kubectl get pod\" has no effect"), "{out}");
    let seed = write_file(
        dir.path(),
        "seed-ok.yaml",
        "dangerous_commands:\n  kubectl:\n    - \"kubectl drain\"\n",
    );
    let (code, out) = cli(&["policy", "lint", path_str(&seed)]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = cli(&[
        "policy",
        "check",
        "--verb",
        "get",
        "--resource",
        "pods",
        "--policy",
        path_str(&seed),
    ]);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn policy_check_parses_a_command_line_like_the_server() {
    let dir = tempfile::tempdir().unwrap();
    // Spellings that must all mean the same request.
    for cmd in [
        "kubectl -n kap-demo delete po/web-1",
        "kubectl delete   pod web-1 --namespace kap-demo",
        "delete pods web-1 --namespace=kap-demo",
        "kubectl delete --namespace=kap-demo pod web-1",
    ] {
        let (code, out) = cli(&["policy", "check", cmd]);
        assert_eq!(code, 3, "{cmd}: {out}");
        assert!(
            out.contains("command:  kubectl delete pod web-1 --namespace=kap-demo"),
            "{cmd}: {out}"
        );
        assert!(
            out.contains("delete pods \"web-1\" in namespace \"kap-demo\""),
            "{cmd}: {out}"
        );
        assert!(
            out.contains("decision: confirm") && out.contains("default.confirm-delete"),
            "{out}"
        );
    }
    // The seed's command rules on the normalized command.
    let seed = write_file(
        dir.path(),
        "seed.yaml",
        r#"dangerous_commands:
  kubectl: ["kubectl delete", "kubectl drain"]
safe_patterns:
  kubectl: ["kubectl delete pod"]
regex_rules:
  kubectl:
    - pattern: '--namespace=kube-system\b'
      description: kube-system
      error_message: Operations in kube-system are restricted.
"#,
    );
    let p = path_str(&seed);
    let (code, out) = cli(&[
        "policy",
        "check",
        "kubectl -n kap-demo delete deploy web",
        "--policy",
        p,
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("dangerous_commands.kubectl"), "{out}");
    let (code, out) = cli(&[
        "policy",
        "check",
        "kubectl -n kap-demo delete po web-1",
        "--policy",
        p,
    ]);
    assert_eq!(
        code, 3,
        "the safe pattern lifts the command rule, not the confirmation: {out}"
    );
    for cmd in [
        "get pods -n kube-system",
        "kubectl   get --namespace kube-system pods",
        "-n=kube-system get po",
    ] {
        // `--` so that a command starting with a flag is not read as one of ours.
        let (code, out) = cli(&["policy", "check", "--policy", p, "--", cmd]);
        assert_eq!(code, 1, "{cmd}: {out}");
        assert!(
            out.contains("regex_rules.kubectl[0]") && out.contains("restricted"),
            "{cmd}: {out}"
        );
    }
    let (code, out) = cli(&[
        "policy",
        "check",
        "get pods -n kap-demo",
        "--policy",
        p,
        "--json",
    ]);
    assert_eq!(code, 0, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["command"], "kubectl get pod --namespace=kap-demo", "{v}");
    assert_eq!(v["requests"][0]["request"]["verb"], "list", "{v}");
    assert_eq!(v["requests"][0]["request"]["resource"], "pods", "{v}");
    // A command that does not parse is a usage error.
    let (code, out) = cli(&["policy", "check", "get pods; rm -rf /"]);
    assert_eq!(code, 2, "{out}");
}

#[tokio::test]
async fn seed_command_rules_are_enforced_through_mcp() {
    let dir = tempfile::tempdir().unwrap();
    let policy = write_file(
        dir.path(),
        "policy.yaml",
        r#"dangerous_commands:
  kubectl: ["kubectl scale"]
regex_rules:
  kubectl:
    - pattern: '--namespace=kube-system\b'
      description: kube-system
      error_message: Operations in kube-system are restricted.
"#,
    );
    let mut o = admin(&dir);
    o.args = vec!["--policy".into(), policy.display().to_string()];
    let c = start(&o).await.unwrap();
    let before = replicas("web");
    for cmd in [
        "scale deployment web --replicas=1 -n kap-demo",
        "-n kap-demo   scale deploy/web --replicas 1",
    ] {
        let r = kubectl(&c, cmd).await.unwrap();
        let out = text(&r);
        assert!(is_error(&r), "{cmd}: {out}");
        assert!(out.contains("dangerous_commands.kubectl"), "{cmd}: {out}");
    }
    assert_eq!(replicas("web"), before, "the scale went through");
    for cmd in [
        "get pods -n kube-system",
        "get --namespace kube-system pods",
        "-n=kube-system get po",
    ] {
        let r = kubectl(&c, cmd).await.unwrap();
        let out = text(&r);
        assert!(is_error(&r), "{cmd}: {out}");
        assert!(out.contains("restricted"), "{cmd}: {out}");
    }
    let r = kubectl(&c, "get pods -n kap-demo").await.unwrap();
    assert!(!is_error(&r), "{}", text(&r));
    let audit = read_audit(&dir.path().join("audit.jsonl")).unwrap();
    assert!(
        audit
            .iter()
            .any(|r| r["command"] == "kubectl get pod --namespace=kap-demo"),
        "the declared command is audited"
    );
    c.cancel().await.unwrap();
}

/// Offline `policy check` judges effects as far as it can without the live object, and says
/// when it cannot (exit 3, never a silent allow): a patch's effect needs the cluster; the
/// kube-system Namespace object is kube-system; an APIService intercepts the API server; a
/// replica count of `00` is zero.
#[test]
fn policy_check_never_silently_allows_an_effect_it_cannot_see() {
    let (code, out) = cli(&[
        "policy",
        "check",
        "--verb",
        "patch",
        "--resource",
        "deployments.apps",
        "-n",
        "kap-demo",
        "--name",
        "web",
    ]);
    assert_eq!(code, 3, "{out}");
    assert!(
        out.contains("decision: needs the cluster to decide"),
        "{out}"
    );
    let (code, out) = cli(&[
        "policy",
        "check",
        "--verb",
        "patch",
        "--resource",
        "namespaces",
        "--name",
        "kube-system",
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("default.kube-system-writes"), "{out}");
    let (code, out) = cli(&[
        "policy",
        "check",
        "--verb",
        "create",
        "--resource",
        "apiservices.apiregistration.k8s.io",
    ]);
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("default.protected-api"), "{out}");
    let (code, out) = cli(&[
        "policy",
        "check",
        "kubectl scale deployment web --replicas=00 -n kap-demo",
    ]);
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("default.confirm-scale-to-zero"), "{out}");
}
