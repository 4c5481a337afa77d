//! Confirmation of destructive requests against the real local cluster, through the real rmcp
//! client: MCP elicitation over a stdio session (protocol 2025-11-25), `InputRequiredResult`
//! and retry (protocol 2026-07-28), refusal when no person can be asked, binding of the
//! answer to the exact request, and the timeout paused while a person thinks.
//!
//! Every effect is checked with the real kubectl binary, never with the server's own output.

use std::time::Duration;

use kube_ai_proxy_e2e::{
    Person, Protocol, ServerOpts, call, is_error, kubeconfig, kubectl, read_audit, start,
    start_with, text, try_real_kubectl,
};
use rmcp::model::{CallToolRequestParams, CallToolResponse};
use serde_json::{Value, json};

const NS: &str = "kap-confirm";

/// Runs the real kubectl; returns (success, stdout+stderr).
fn kc(args: &[&str]) -> (bool, String) {
    try_real_kubectl(args)
}

/// Creates the namespace (if needed) and a fresh ConfigMap `name` in it.
fn configmap(name: &str) {
    let _ = kc(&["create", "namespace", NS]);
    let _ = kc(&["delete", "configmap", name, "-n", NS, "--ignore-not-found"]);
    let (ok, out) = kc(&["create", "configmap", name, "-n", NS, "--from-literal=k=v"]);
    assert!(ok, "{out}");
}

fn exists(kind: &str, name: &str) -> bool {
    kc(&["get", kind, name, "-n", NS]).0
}

fn opts(dir: &tempfile::TempDir, env: &[(&str, &str)]) -> ServerOpts {
    ServerOpts {
        kubeconfig: Some(kubeconfig().unwrap()),
        audit_log: Some(dir.path().join("audit.jsonl")),
        env: env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..ServerOpts::default()
    }
}

fn confirmations(dir: &tempfile::TempDir) -> Vec<String> {
    read_audit(&dir.path().join("audit.jsonl"))
        .unwrap()
        .iter()
        .filter_map(|r| r["confirmation"].as_str().map(str::to_string))
        .collect()
}

#[tokio::test]
async fn elicitation_yes_deletes_after_showing_the_dry_run() {
    configmap("cm-yes");
    let dir = tempfile::tempdir().unwrap();
    let person = Person::new(true);
    let c = start_with(&opts(&dir, &[]), person.clone(), Protocol::Legacy)
        .await
        .unwrap();
    let r = kubectl(&c, &format!("delete configmap cm-yes -n {NS}"))
        .await
        .unwrap();
    assert!(!is_error(&r), "{}", text(&r));
    assert!(!exists("configmap", "cm-yes"), "kubectl still finds it");
    let asked = person.asked();
    assert_eq!(asked.len(), 1, "{asked:?}");
    assert!(asked[0].contains("Would delete"), "{}", asked[0]);
    assert!(asked[0].contains("s/cm-yes"), "{}", asked[0]);
    assert!(asked[0].contains("default.confirm-delete") || asked[0].contains("cannot be undone"));
    assert_eq!(confirmations(&dir), vec!["accepted"]);
    c.cancel().await.unwrap();
}

#[tokio::test]
async fn elicitation_no_keeps_the_object() {
    configmap("cm-no");
    let dir = tempfile::tempdir().unwrap();
    let person = Person::new(false);
    let c = start_with(&opts(&dir, &[]), person.clone(), Protocol::Legacy)
        .await
        .unwrap();
    let r = kubectl(&c, &format!("delete configmap cm-no -n {NS}"))
        .await
        .unwrap();
    let out = text(&r);
    assert!(is_error(&r), "{out}");
    assert!(out.contains("did not confirm"), "{out}");
    assert!(exists("configmap", "cm-no"), "deleted without a yes");
    assert_eq!(person.asked().len(), 1);
    assert_eq!(confirmations(&dir), vec!["declined"]);
    c.cancel().await.unwrap();
}

#[tokio::test]
async fn no_elicitation_capability_fails_closed_with_a_policy_hint() {
    configmap("cm-noask");
    let dir = tempfile::tempdir().unwrap();
    // The plain client declares no elicitation capability.
    let c = start(&opts(&dir, &[])).await.unwrap();
    // Not even an argument named like a confirmation lets the model say yes.
    for args in [
        json!({"command": format!("delete configmap cm-noask -n {NS}")}),
        json!({"command": format!("delete configmap cm-noask -n {NS}"), "confirm": true, "yes": true}),
    ] {
        let r = call(&c, "execute_kubectl", args).await.unwrap();
        let out = text(&r);
        assert!(is_error(&r), "{out}");
        assert!(
            out.contains("Invalid arguments") || out.contains("effect: allow"),
            "{out}"
        );
        assert!(exists("configmap", "cm-noask"), "deleted without a person");
    }
    let r = kubectl(&c, &format!("delete configmap cm-noask -n {NS}"))
        .await
        .unwrap();
    let out = text(&r);
    assert!(out.contains("elicitation"), "{out}");
    assert!(
        out.contains("verbs: [delete], resources: [configmaps], namespaces: [kap-confirm]"),
        "{out}"
    );
    // Reads are never asked about.
    let r = kubectl(&c, &format!("get configmap cm-noask -n {NS}"))
        .await
        .unwrap();
    assert!(!is_error(&r), "{}", text(&r));
    c.cancel().await.unwrap();
}

#[tokio::test]
async fn the_policy_hint_lifts_the_confirmation() {
    configmap("cm-lifted");
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.yaml");
    std::fs::write(
        &policy,
        format!(
            "rules: [{{id: allow-without-confirmation, effect: allow, verbs: [delete], resources: [configmaps], namespaces: [{NS}]}}]\n"
        ),
    )
    .unwrap();
    let mut o = opts(&dir, &[]);
    o.args = vec!["--policy".into(), policy.display().to_string()];
    let c = start(&o).await.unwrap();
    let r = kubectl(&c, &format!("delete configmap cm-lifted -n {NS}"))
        .await
        .unwrap();
    assert!(!is_error(&r), "{}", text(&r));
    assert!(!exists("configmap", "cm-lifted"));
    c.cancel().await.unwrap();
}

#[tokio::test]
async fn scale_to_zero_shows_a_diff_and_waiting_does_not_count_against_the_timeout() {
    let _ = kc(&["create", "namespace", NS]);
    let _ = kc(&[
        "delete",
        "deployment",
        "zero",
        "-n",
        NS,
        "--ignore-not-found",
    ]);
    let (ok, out) = kc(&[
        "create",
        "deployment",
        "zero",
        "-n",
        NS,
        "--image=registry.k8s.io/pause:3.10",
        "--replicas=2",
    ]);
    assert!(ok, "{out}");
    let dir = tempfile::tempdir().unwrap();
    // The person takes 3 s; the call's timeout is 2 s.
    let person = Person {
        delay: Duration::from_secs(3),
        ..Person::new(true)
    };
    let c = start_with(
        &opts(&dir, &[("K8S_MCP_TIMEOUT", "2")]),
        person.clone(),
        Protocol::Legacy,
    )
    .await
    .unwrap();
    let r = kubectl(&c, &format!("scale deployment zero --replicas=0 -n {NS}"))
        .await
        .unwrap();
    assert!(!is_error(&r), "{}", text(&r));
    let (_, replicas) = kc(&[
        "get",
        "deployment",
        "zero",
        "-n",
        NS,
        "-o",
        "jsonpath={.spec.replicas}",
    ]);
    assert_eq!(replicas.trim(), "0");
    let asked = person.asked();
    assert_eq!(asked.len(), 1, "{asked:?}");
    assert!(asked[0].contains("-  replicas: 2"), "{}", asked[0]);
    assert!(asked[0].contains("+  replicas: 0"), "{}", asked[0]);
    // Scaling to a non-zero count is not asked about.
    let r = kubectl(&c, &format!("scale deployment zero --replicas=1 -n {NS}"))
        .await
        .unwrap();
    assert!(!is_error(&r), "{}", text(&r));
    assert_eq!(person.asked().len(), 1);
    c.cancel().await.unwrap();
}

#[tokio::test]
async fn an_unanswered_question_is_a_refusal() {
    configmap("cm-slow");
    let dir = tempfile::tempdir().unwrap();
    let person = Person {
        delay: Duration::from_secs(5),
        ..Person::new(true)
    };
    let c = start_with(
        &opts(&dir, &[("K8S_MCP_CONFIRM_TIMEOUT", "1")]),
        person,
        Protocol::Legacy,
    )
    .await
    .unwrap();
    let r = kubectl(&c, &format!("delete configmap cm-slow -n {NS}"))
        .await
        .unwrap();
    let out = text(&r);
    assert!(is_error(&r), "{out}");
    assert!(out.contains("no answer within 1 s"), "{out}");
    assert!(exists("configmap", "cm-slow"));
    assert_eq!(confirmations(&dir), vec!["failed"]);
    c.cancel().await.unwrap();
}

#[tokio::test]
async fn input_required_round_trip_on_protocol_2026_07_28() {
    configmap("cm-mrtr-yes");
    configmap("cm-mrtr-no");
    let dir = tempfile::tempdir().unwrap();
    let yes = Person::new(true);
    let c = start_with(&opts(&dir, &[]), yes.clone(), Protocol::Modern)
        .await
        .unwrap();
    // The rmcp client fulfils the input request through its handler and retries.
    let r = kubectl(&c, &format!("delete configmap cm-mrtr-yes -n {NS}"))
        .await
        .unwrap();
    assert!(!is_error(&r), "{}", text(&r));
    assert!(!exists("configmap", "cm-mrtr-yes"));
    assert_eq!(yes.asked().len(), 1);
    assert!(
        yes.asked()[0].contains("/cm-mrtr-yes"),
        "{}",
        yes.asked()[0]
    );
    assert_eq!(confirmations(&dir), vec!["input-required", "accepted"]);
    c.cancel().await.unwrap();

    let no = Person::new(false);
    let c = start_with(&opts(&dir, &[]), no.clone(), Protocol::Modern)
        .await
        .unwrap();
    let r = kubectl(&c, &format!("delete configmap cm-mrtr-no -n {NS}"))
        .await
        .unwrap();
    assert!(is_error(&r), "{}", text(&r));
    assert!(exists("configmap", "cm-mrtr-no"));
    c.cancel().await.unwrap();
}

#[tokio::test]
async fn a_yes_is_bound_to_the_exact_request_and_used_once() {
    configmap("cm-bound-a");
    configmap("cm-bound-b");
    let dir = tempfile::tempdir().unwrap();
    let c = start_with(&opts(&dir, &[]), Person::new(true), Protocol::Modern)
        .await
        .unwrap();
    let args = |name: &str| {
        let Value::Object(m) = json!({"command": format!("delete configmap {name} -n {NS}")})
        else {
            unreachable!()
        };
        m
    };
    let first = c
        .call_tool_once(
            CallToolRequestParams::new("execute_kubectl").with_arguments(args("cm-bound-a")),
        )
        .await
        .unwrap();
    let CallToolResponse::InputRequired(ir) = first else {
        panic!("expected an InputRequiredResult, got {first:?}");
    };
    let state = ir.request_state.clone().expect("requestState");
    let keys: Vec<String> = ir.input_requests.clone().unwrap().keys().cloned().collect();
    assert_eq!(keys, vec!["confirm"]);
    let mut yes = rmcp::model::InputResponses::new();
    yes.insert(
        "confirm".into(),
        json!({"action": "accept", "content": {"confirm": true}}),
    );
    // The same yes for other arguments (another object) is refused.
    let mut other = CallToolRequestParams::new("execute_kubectl")
        .with_arguments(args("cm-bound-b"))
        .with_input_responses(yes.clone());
    other.request_state = Some(state.clone());
    let r = c.call_tool_once(other).await.unwrap();
    let CallToolResponse::Complete(r) = r else {
        panic!("{r:?}")
    };
    assert!(is_error(&r), "{}", text(&r));
    assert!(text(&r).contains("not valid for this call"), "{}", text(&r));
    assert!(exists("configmap", "cm-bound-b"));
    assert!(exists("configmap", "cm-bound-a"));
    // A tampered state is refused.
    let mut forged = CallToolRequestParams::new("execute_kubectl")
        .with_arguments(args("cm-bound-a"))
        .with_input_responses(yes.clone());
    forged.request_state = Some(format!("{state}x"));
    let r = c.call_tool_once(forged).await.unwrap();
    let CallToolResponse::Complete(r) = r else {
        panic!("{r:?}")
    };
    assert!(is_error(&r), "{}", text(&r));
    assert!(exists("configmap", "cm-bound-a"));
    // The right call with the yes runs...
    let mut right = CallToolRequestParams::new("execute_kubectl")
        .with_arguments(args("cm-bound-a"))
        .with_input_responses(yes.clone());
    right.request_state = Some(state.clone());
    let r = c.call_tool_once(right.clone()).await.unwrap();
    let CallToolResponse::Complete(r) = r else {
        panic!("{r:?}")
    };
    assert!(!is_error(&r), "{}", text(&r));
    assert!(!exists("configmap", "cm-bound-a"));
    // ...once: a replay is refused.
    configmap("cm-bound-a");
    let r = c.call_tool_once(right).await.unwrap();
    let CallToolResponse::Complete(r) = r else {
        panic!("{r:?}")
    };
    assert!(is_error(&r), "{}", text(&r));
    assert!(text(&r).contains("already used"), "{}", text(&r));
    assert!(exists("configmap", "cm-bound-a"));
    c.cancel().await.unwrap();
}
