//! The gate judges the effect of a write, not its spelling (strict mode, the default): the
//! outside review's bypasses, against the real local cluster through the rmcp client. The
//! client offers no elicitation, so anything that needs a person's yes is refused with the
//! rule that asked for it.
//!
//! Every effect is checked with the real kubectl binary, never with the server's answer.

use kube_ai_proxy_e2e::{
    ServerOpts, is_error, kubeconfig, kubectl, read_audit, start, text, try_real_kubectl,
};
use serde_json::json;

const NS: &str = "kap-effects";

/// Runs the real kubectl; returns (success, stdout+stderr).
fn kc(args: &[&str]) -> (bool, String) {
    try_real_kubectl(args)
}

fn kc_ok(args: &[&str]) -> String {
    let (ok, out) = kc(args);
    assert!(ok, "kubectl {args:?}: {out}");
    out
}

fn opts(dir: &tempfile::TempDir) -> ServerOpts {
    ServerOpts {
        kubeconfig: Some(kubeconfig().unwrap()),
        audit_log: Some(dir.path().join("audit.jsonl")),
        ..ServerOpts::default()
    }
}

/// A namespace with a 2-replica Deployment `app`, fresh for each test.
fn setup(ns: &str) {
    let _ = kc(&["create", "namespace", ns]);
    let _ = kc(&[
        "delete",
        "deployment",
        "app",
        "-n",
        ns,
        "--ignore-not-found",
    ]);
    kc_ok(&[
        "create",
        "deployment",
        "app",
        "--image=registry.example/app:1",
        "--replicas=2",
        "-n",
        ns,
    ]);
}

fn replicas(ns: &str) -> String {
    kc_ok(&[
        "get",
        "deployment",
        "app",
        "-n",
        ns,
        "-o",
        "jsonpath={.spec.replicas}",
    ])
}

#[tokio::test]
async fn scale_to_zero_is_judged_on_the_result_however_it_is_spelled() {
    let ns = NS;
    setup(ns);
    let dir = tempfile::tempdir().unwrap();
    let c = start(&opts(&dir)).await.unwrap();
    // The review's spellings: a strategic merge patch with `0e0`, and a JSON patch that
    // moves a number into /spec/replicas. Each is refused with the rule, and the real
    // kubectl sees the replicas unchanged.
    for (kind, patch) in [
        ("strategic", r#"{"spec":{"replicas":0e0}}"#),
        (
            "json",
            r#"[{"op":"add","path":"/metadata/annotations","value":{"z":0}},{"op":"move","from":"/metadata/annotations/z","path":"/spec/replicas"}]"#,
        ),
    ] {
        let r = kubectl(
            &c,
            &format!("patch deployment app -n {ns} --type={kind} -p '{patch}'"),
        )
        .await
        .unwrap();
        let out = text(&r);
        assert!(is_error(&r), "{patch}: {out}");
        assert!(
            out.contains("default.confirm-scale-to-zero"),
            "{patch}: {out}"
        );
        assert_eq!(replicas(ns), "2", "{patch} changed the deployment");
    }
    // Server-side apply of a manifest with `replicas: 0.0`.
    let manifest = format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\n  namespace: {ns}\nspec:\n  replicas: 0.0\n  selector:\n    matchLabels: {{app: app}}\n  template:\n    metadata:\n      labels: {{app: app}}\n    spec:\n      containers:\n      - name: app\n        image: registry.example/app:1\n"
    );
    let r = kube_ai_proxy_e2e::call(
        &c,
        "execute_kubectl",
        json!({ "command": "apply -f - --force-conflicts", "manifest": manifest }),
    )
    .await
    .unwrap();
    let out = text(&r);
    assert!(is_error(&r), "{out}");
    assert!(out.contains("default.confirm-scale-to-zero"), "{out}");
    assert_eq!(replicas(ns), "2");
    // The same request with a non-zero count goes through (no false positive).
    let r = kubectl(
        &c,
        &format!("patch deployment app -n {ns} --type=merge -p '{{\"spec\":{{\"replicas\":3}}}}'"),
    )
    .await
    .unwrap();
    assert!(!is_error(&r), "{}", text(&r));
    assert_eq!(replicas(ns), "3");
    c.cancel().await.unwrap();
    // The audit log names the effect the dry run found.
    let records = read_audit(&dir.path().join("audit.jsonl")).unwrap();
    assert!(
        records
            .iter()
            .any(|r| r["effects"] == json!(["scale-to-zero"])),
        "no audit record names the effect"
    );
}

#[tokio::test]
async fn an_owner_reference_is_a_delete() {
    let ns = "kap-effects-gc";
    setup(ns);
    let dir = tempfile::tempdir().unwrap();
    let c = start(&opts(&dir)).await.unwrap();
    let owner = r#"{"metadata":{"ownerReferences":[{"apiVersion":"v1","kind":"ConfigMap","name":"gone","uid":"6b1a3a5e-0000-4000-8000-000000000000"}]}}"#;
    // On a Namespace: the garbage collector would delete it, and deleting namespaces is
    // refused outright in strict mode.
    let r = kubectl(
        &c,
        &format!("patch namespace {ns} --type=merge -p '{owner}'"),
    )
    .await
    .unwrap();
    let out = text(&r);
    assert!(is_error(&r), "{out}");
    assert!(out.contains("default.protected-delete"), "{out}");
    assert!(out.contains("garbage collector"), "{out}");
    let refs = kc_ok(&[
        "get",
        "namespace",
        ns,
        "-o",
        "jsonpath={.metadata.ownerReferences}",
    ]);
    assert!(refs.trim().is_empty(), "the namespace got an owner: {refs}");
    // On a Deployment: a delete, so it needs a person's yes.
    let r = kubectl(
        &c,
        &format!("patch deployment app -n {ns} --type=merge -p '{owner}'"),
    )
    .await
    .unwrap();
    let out = text(&r);
    assert!(is_error(&r), "{out}");
    assert!(out.contains("default.confirm-gc-delete"), "{out}");
    let refs = kc_ok(&[
        "get",
        "deployment",
        "app",
        "-n",
        ns,
        "-o",
        "jsonpath={.metadata.ownerReferences}",
    ]);
    assert!(
        refs.trim().is_empty(),
        "the deployment got an owner: {refs}"
    );
    // A finalizer is the same class.
    let r = kubectl(
        &c,
        &format!(
            "patch deployment app -n {ns} --type=merge -p '{{\"metadata\":{{\"finalizers\":[\"example.com/hold\"]}}}}'"
        ),
    )
    .await
    .unwrap();
    assert!(is_error(&r), "{}", text(&r));
    assert!(
        text(&r).contains("default.confirm-gc-delete"),
        "{}",
        text(&r)
    );
    c.cancel().await.unwrap();
}

#[tokio::test]
async fn a_no_execute_taint_is_an_eviction() {
    let nodes = kc_ok(&["get", "nodes", "-o", "jsonpath={.items[0].metadata.name}"]);
    let node = nodes.trim();
    assert!(!node.is_empty(), "the cluster has no node");
    let before = kc_ok(&["get", "node", node, "-o", "jsonpath={.spec.taints}"]);
    let dir = tempfile::tempdir().unwrap();
    let c = start(&opts(&dir)).await.unwrap();
    let r = kubectl(
        &c,
        &format!(
            "patch node {node} --type=merge -p '{{\"spec\":{{\"taints\":[{{\"key\":\"kap-test\",\"effect\":\"NoExecute\"}}]}}}}'"
        ),
    )
    .await
    .unwrap();
    let out = text(&r);
    assert!(is_error(&r), "{out}");
    assert!(out.contains("default.confirm-eviction"), "{out}");
    let after = kc_ok(&["get", "node", node, "-o", "jsonpath={.spec.taints}"]);
    assert_eq!(before, after, "the node's taints changed");
    c.cancel().await.unwrap();
}

#[tokio::test]
async fn the_kube_system_namespace_and_the_api_server_are_protected() {
    let dir = tempfile::tempdir().unwrap();
    let c = start(&opts(&dir)).await.unwrap();
    let r = kubectl(
        &c,
        "label namespace kube-system pod-security.kubernetes.io/enforce=restricted",
    )
    .await
    .unwrap();
    let out = text(&r);
    assert!(is_error(&r), "{out}");
    assert!(out.contains("default.kube-system-writes"), "{out}");
    let labels = kc_ok(&[
        "get",
        "namespace",
        "kube-system",
        "-o",
        "jsonpath={.metadata.labels}",
    ]);
    assert!(!labels.contains("enforce"), "{labels}");

    // An APIService pointing at a missing Service would break discovery for every call.
    let manifest = "apiVersion: apiregistration.k8s.io/v1\nkind: APIService\nmetadata:\n  name: v1.kap-test.example.com\nspec:\n  group: kap-test.example.com\n  version: v1\n  groupPriorityMinimum: 100\n  versionPriority: 100\n  insecureSkipTLSVerify: true\n  service:\n    name: missing\n    namespace: default\n";
    let r = kube_ai_proxy_e2e::call(
        &c,
        "execute_kubectl",
        json!({ "command": "apply -f -", "manifest": manifest }),
    )
    .await
    .unwrap();
    let out = text(&r);
    assert!(is_error(&r), "{out}");
    assert!(out.contains("default.protected-api"), "{out}");
    let (exists, _) = kc(&["get", "apiservice", "v1.kap-test.example.com"]);
    assert!(!exists, "the APIService was created");

    // A CRD whose conversion is a webhook intercepts every read and write of its objects:
    // judged from the dry-run result (the webhook is in the body, not the attributes).
    let _ = kc(&[
        "delete",
        "crd",
        "widgets.kap-test.example.com",
        "--ignore-not-found",
    ]);
    let crd = r#"apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.kap-test.example.com
spec:
  group: kap-test.example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget}
  versions:
  - {name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}}
  - {name: v2, served: true, storage: false, schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}}
  conversion:
    strategy: Webhook
    webhook:
      conversionReviewVersions: [v1]
      clientConfig:
        url: https://127.0.0.1:9/convert
"#;
    let r = kube_ai_proxy_e2e::call(
        &c,
        "execute_kubectl",
        json!({ "command": "apply -f -", "manifest": crd }),
    )
    .await
    .unwrap();
    let out = text(&r);
    assert!(is_error(&r), "{out}");
    assert!(out.contains("default.protected-api"), "{out}");
    let (exists, _) = kc(&["get", "crd", "widgets.kap-test.example.com"]);
    assert!(!exists, "the CRD with a conversion webhook was created");
    // The same CRD without the webhook is an ordinary create.
    let plain = crd.split("  conversion:").next().unwrap().to_string();
    let r = kube_ai_proxy_e2e::call(
        &c,
        "execute_kubectl",
        json!({ "command": "apply -f -", "manifest": plain }),
    )
    .await
    .unwrap();
    assert!(!is_error(&r), "{}", text(&r));
    let (exists, out) = kc(&["get", "crd", "widgets.kap-test.example.com"]);
    assert!(exists, "{out}");
    let _ = kc(&[
        "delete",
        "crd",
        "widgets.kap-test.example.com",
        "--ignore-not-found",
    ]);
    c.cancel().await.unwrap();
}
