//! Integration tests of the istio plugin (issue 11) through MCP against the real local
//! cluster, with the upstream Istio CRDs installed by `up.sh` and the analyzer fixtures of
//! `tests/fixtures/istio` (one `ist-*` namespace per analyzer: a broken object and a correct
//! twin) applied by `tests/cluster/istio-fixtures.sh`. No istiod runs. Without KUBECONFIG the
//! tests fail; they are never skipped.

use std::collections::BTreeSet;
use std::sync::Once;

use kube_ai_proxy_e2e::*;
use serde_json::{Value, json};

static FIXTURES: Once = Once::new();

/// Applies the fixtures once per test binary (idempotent).
fn fixtures() {
    FIXTURES.call_once(|| apply_fixtures("istio-fixtures.sh"));
}

fn admin(dir: &tempfile::TempDir) -> ServerOpts {
    ServerOpts {
        kubeconfig: Some(kubeconfig().expect("KUBECONFIG")),
        audit_log: Some(dir.path().join("audit.jsonl")),
        ..Default::default()
    }
}

async fn istioctl(c: &Client, command: &str) -> rmcp::model::CallToolResult {
    call(c, "execute_istioctl", json!({ "command": command }))
        .await
        .unwrap_or_else(|e| panic!("istioctl {command}: {e}"))
}

/// `(code, "Kind ns/name")` of the structured messages in `ist-*` namespaces.
fn findings(r: &rmcp::model::CallToolResult) -> BTreeSet<(String, String)> {
    let s = r.structured_content.as_ref().expect("structured content");
    s["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .filter(|m| {
            m["namespace"].as_str().unwrap_or("").starts_with("ist-")
                || m["kind"] == "Namespace"
                    && m["object"].as_str().unwrap_or("").starts_with("ist-")
        })
        .map(|m| {
            (
                m["code"].as_str().unwrap().to_string(),
                m["resource"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// What the fixtures are built to produce, per Istio's analyzers (the fixture files name the
/// code they test): every broken object, nothing on a twin.
fn expected() -> BTreeSet<(String, String)> {
    [
        ("IST0101", "AuthorizationPolicy ist-authz/broken"),
        ("IST0101", "Gateway ist-gw-selector/broken"),
        ("IST0101", "Sidecar ist-sidecar-egress/broken"),
        ("IST0101", "Sidecar ist-sidecar-selector/broken"),
        ("IST0101", "VirtualService ist-vs-gateway/broken"),
        ("IST0101", "VirtualService ist-vs-host/broken"),
        ("IST0101", "VirtualService ist-vs-subset/broken"),
        ("IST0102", "Namespace ist-not-injected"),
        ("IST0103", "Pod ist-pod-proxy/broken"),
        ("IST0106", "DestinationRule ist-schema/broken"),
        ("IST0107", "Service ist-annotations/broken-misplaced"),
        ("IST0108", "Service ist-annotations/broken-unknown"),
        ("IST0109", "VirtualService ist-mesh-conflict/broken-a"),
        ("IST0109", "VirtualService ist-mesh-conflict/broken-b"),
        ("IST0110", "Sidecar ist-sidecar-conflict/broken-a"),
        ("IST0110", "Sidecar ist-sidecar-conflict/broken-b"),
        ("IST0111", "Sidecar ist-sidecar-multi/broken-a"),
        ("IST0111", "Sidecar ist-sidecar-multi/broken-b"),
        ("IST0112", "VirtualService ist-port-selector/broken"),
        ("IST0116", "Deployment ist-deploy-svc/broken"),
        ("IST0118", "Service ist-port-name/broken"),
        ("IST0123", "Namespace ist-multi-labels"),
        ("IST0128", "DestinationRule ist-dr-tls/broken"),
        ("IST0131", "VirtualService ist-vs-match/broken"),
        // A VirtualService bound to a Gateway that does not exist: upstream also reports its
        // hosts as not found in that Gateway.
        ("IST0132", "VirtualService ist-vs-gateway/broken"),
        ("IST0132", "VirtualService ist-gw-host/broken"),
        ("IST0134", "ServiceEntry ist-se-addresses/broken"),
        ("IST0145", "Gateway ist-gw-conflict/broken-a"),
        ("IST0145", "Gateway ist-gw-conflict/broken-b"),
        ("IST0162", "Gateway ist-gw-port/broken"),
    ]
    .iter()
    .map(|(c, r)| (c.to_string(), r.to_string()))
    .collect()
}

#[tokio::test]
async fn analyze_finds_every_broken_fixture_and_no_twin() {
    fixtures();
    let dir = tempfile::tempdir().unwrap();
    let c = start(&admin(&dir)).await.unwrap();
    let r = istioctl(&c, "analyze -A").await;
    c.cancel().await.unwrap();
    let out = text(&r);
    assert!(
        is_error(&r),
        "Error-level findings make the answer an error: {out}"
    );
    let got = findings(&r);
    let want = expected();
    let missing: Vec<_> = want.difference(&got).collect();
    let extra: Vec<_> = got.difference(&want).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:?}\nextra {extra:?}\n{out}"
    );
    // istioctl's log format, with Istio's wording.
    for line in [
        "Error [IST0101] (VirtualService ist-vs-subset/broken) Referenced host+subset in destinationrule not found: \"web+v2\"",
        "Error [IST0101] (VirtualService ist-vs-gateway/broken) Referenced gateway not found: \"missing-gw\"",
        "Error [IST0101] (Gateway ist-gw-selector/broken) Referenced selector not found: \"app=no-such-gateway\"",
        "Warning [IST0103] (Pod ist-pod-proxy/broken) The pod ist-pod-proxy/broken is missing the Istio proxy. This can often be resolved by restarting or redeploying the workload.",
        "Info [IST0118] (Service ist-port-name/broken) Port name web (port: 8080, targetPort: 8080) doesn't follow the naming convention of Istio port.",
        "Error [IST0112] (VirtualService ist-port-selector/broken) This VirtualService routes to a service \"multi\" that exposes multiple ports [80 9090]. Specifying a port in the destination is required to disambiguate.",
    ] {
        assert!(out.lines().any(|l| l == line), "no line {line:?} in\n{out}");
    }
    assert!(!out.contains("Not analyzed"), "{out}");
}

#[tokio::test]
async fn thresholds_formats_namespace_and_suppression() {
    fixtures();
    let dir = tempfile::tempdir().unwrap();
    let c = start(&admin(&dir)).await.unwrap();
    // Only an Info finding: not an error at the default failure threshold (Error) ...
    let r = istioctl(&c, "analyze -n ist-port-name").await;
    assert!(!is_error(&r), "{}", text(&r));
    assert_eq!(findings(&r).len(), 1, "{}", text(&r));
    // ... an error at Info, and hidden by an output threshold of Warning.
    let r = istioctl(&c, "analyze -n ist-port-name --failure-threshold Info").await;
    assert!(is_error(&r), "{}", text(&r));
    let r = istioctl(&c, "analyze -n ist-port-name --output-threshold Warning").await;
    assert!(
        text(&r).contains("No validation issues found when analyzing namespace: ist-port-name."),
        "{}",
        text(&r)
    );
    // A clean namespace (a twin) says so.
    let r = istioctl(&c, "analyze -n ist-not-injected-twin").await;
    assert!(!is_error(&r), "{}", text(&r));
    assert!(
        text(&r).contains("No validation issues found"),
        "{}",
        text(&r)
    );
    // -o json is istioctl's JSON: a list of {code, documentationUrl, level, message, origin}.
    let r = istioctl(&c, "analyze -n ist-vs-subset -o json").await;
    let v: Value = serde_json::from_str(&text(&r)).expect("-o json prints JSON");
    let list = v.as_array().expect("a list");
    assert_eq!(list.len(), 1, "{v}");
    assert_eq!(list[0]["code"], "IST0101");
    assert_eq!(list[0]["origin"], "VirtualService ist-vs-subset/broken");
    assert!(
        list[0]["documentationUrl"]
            .as_str()
            .unwrap()
            .contains("/docs/reference/config/analysis/ist0101/")
    );
    // Suppression by code and resource glob, as istioctl's --suppress.
    let r = istioctl(
        &c,
        "analyze -n ist-vs-subset -S \"IST0101=VirtualService *.ist-vs-subset\"",
    )
    .await;
    assert!(!is_error(&r), "{}", text(&r));
    assert!(findings(&r).is_empty(), "{}", text(&r));
    // A namespace that does not exist.
    let r = istioctl(&c, "analyze -n no-such-namespace-here").await;
    assert!(
        text(&r).contains("namespace \"no-such-namespace-here\" not found"),
        "{}",
        text(&r)
    );
    c.cancel().await.unwrap();
}

#[tokio::test]
async fn a_namespace_the_policy_denies_is_reported_as_not_analyzed_not_clean() {
    fixtures();
    let dir = tempfile::tempdir().unwrap();
    let policy = write_file(
        dir.path(),
        "policy.yaml",
        "rules:\n  - id: istio-not-in-vs-host\n    effect: deny\n    plugins: [istio]\n    namespaces: [ist-vs-host]\n    reason: ist-vs-host is another team's\n",
    );
    let mut o = admin(&dir);
    o.args = vec!["--policy".into(), policy.display().to_string()];
    let c = start(&o).await.unwrap();
    let r = istioctl(&c, "analyze -A").await;
    let out = text(&r);
    assert!(is_error(&r), "{out}");
    assert!(out.contains("Not analyzed"), "{out}");
    assert!(
        out.contains("virtualservices.networking.istio.io in namespace ist-vs-host: Denied by policy (rule istio-not-in-vs-host)"),
        "{out}"
    );
    // Nothing from the denied namespace is reported, and the rest still is.
    let got = findings(&r);
    assert!(
        !got.iter().any(|(_, res)| res.contains("ist-vs-host/")),
        "{got:?}"
    );
    assert!(got.contains(&(
        "IST0101".into(),
        "VirtualService ist-vs-subset/broken".into()
    )));
    let s = r.structured_content.as_ref().unwrap();
    assert_eq!(s["complete"], false, "{s}");
    // Asked for that namespace alone: not "No validation issues".
    let r = istioctl(&c, "analyze -n ist-vs-host").await;
    assert!(is_error(&r), "{}", text(&r));
    assert!(!text(&r).contains("No validation issues"), "{}", text(&r));
    // kubectl across all namespaces is refused the same way (the gate's rule, not the
    // plugin's courtesy): a list across all namespaces would include the denied one.
    c.cancel().await.unwrap();
    let audit = read_audit(&dir.path().join("audit.jsonl")).unwrap();
    assert!(
        audit.iter().any(|rec| rec["plugin"] == "istio"
            && rec["decision"] == "deny"
            && rec["rule"] == "istio-not-in-vs-host"
            && rec["namespace"].is_null()),
        "the cluster-wide list was not refused by the rule: {:?}",
        audit
            .iter()
            .filter(|r| r["plugin"] == "istio" && r["decision"] == "deny")
            .take(3)
            .collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn describe_version_validate_and_refusals() {
    fixtures();
    let dir = tempfile::tempdir().unwrap();
    let c = start(&admin(&dir)).await.unwrap();
    let r = istioctl(&c, "x describe service web -n ist-vs-subset").await;
    let out = text(&r);
    assert!(!is_error(&r), "{out}");
    for want in [
        "Service: web.ist-vs-subset",
        "   Port: http 80/HTTP targets pod port 8080",
        "DestinationRule: web.ist-vs-subset for \"web\"",
        "VirtualService: broken.ist-vs-subset",
        "VirtualService: good.ist-vs-subset",
        "   Workload mTLS mode: PERMISSIVE",
    ] {
        assert!(out.lines().any(|l| l == want), "no line {want:?} in\n{out}");
    }
    let r = istioctl(&c, "experimental describe pod web-1.ist-sidecar-selector").await;
    let out = text(&r);
    assert!(
        out.starts_with("Pod: web-1.ist-sidecar-selector\n"),
        "{out}"
    );
    assert!(
        out.contains("WARNING: web-1.ist-sidecar-selector is not part of mesh; no Istio sidecar"),
        "{out}"
    );

    let r = istioctl(&c, "version").await;
    assert!(
        text(&r).contains("no running Istio pods in \"istio-system\""),
        "{}",
        text(&r)
    );

    // validate: the API server checks each object as a dry run; nothing is stored.
    let manifest = "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: kap-validate-ok\n  namespace: ist-vs-subset\nspec:\n  hosts: [validate.example.com]\n  http:\n  - route:\n    - destination: {host: web, subset: v1}\n---\napiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: kap-validate-bad\n  namespace: ist-vs-subset\nspec:\n  hosts: [validate-bad.example.com]\n  http:\n  - route:\n    - destination: {host: web}\n      weight: not-a-number\n";
    let r = call(
        &c,
        "execute_istioctl",
        json!({"command": "validate -f -", "manifest": manifest}),
    )
    .await
    .unwrap();
    let out = text(&r);
    assert!(is_error(&r), "{out}");
    assert!(
        out.contains("\u{2714} VirtualService ist-vs-subset/kap-validate-ok is valid"),
        "{out}"
    );
    assert!(
        out.contains("\u{2718} VirtualService ist-vs-subset/kap-validate-bad is invalid:"),
        "{out}"
    );
    let (ok, _) = try_real_kubectl(&[
        "get",
        "virtualservice",
        "kap-validate-ok",
        "-n",
        "ist-vs-subset",
    ]);
    assert!(!ok, "validate stored an object");

    // Subcommands that need Envoy or istiod are refused with the reason, before any request.
    for cmd in [
        "proxy-config cluster web-1 -n ist-vs-subset",
        "proxy-status",
    ] {
        let msg = refusal_text(
            call(&c, "execute_istioctl", json!({"command": cmd})).await,
            cmd,
        );
        assert!(msg.contains("not supported"), "{cmd}: {msg}");
    }
    let r = call(
        &c,
        "execute_istioctl",
        json!({"command": "analyze --kubeconfig /etc/k"}),
    )
    .await;
    let msg = refusal_text(r, "analyze --kubeconfig");
    assert!(msg.contains("not allowed"), "{msg}");
    c.cancel().await.unwrap();
}

/// The Istio resources through execute_kubectl agree with the real kubectl (discovery makes
/// them work; no Istio code in the kubectl plugin).
#[tokio::test]
async fn istio_resources_through_kubectl_match_the_real_kubectl() {
    fixtures();
    let dir = tempfile::tempdir().unwrap();
    let c = start(&admin(&dir)).await.unwrap();
    for kind in [
        "virtualservices",
        "destinationrules",
        "gateways.networking.istio.io",
        "serviceentries",
        "sidecars",
        "peerauthentications",
        "authorizationpolicies",
        "requestauthentications",
        "telemetries",
        "envoyfilters",
        "workloadentries",
        "workloadgroups",
    ] {
        let ours = text(
            &kubectl(&c, &format!("get {kind} -A -o name"))
                .await
                .unwrap(),
        );
        let theirs = real_kubectl(&["get", kind, "-A", "-o", "name"]);
        assert_eq!(ours.trim(), theirs.trim(), "get {kind} -A -o name");
    }
    // The table (without AGE, which moves) of VirtualServices.
    let strip_age = |s: &str| -> Vec<String> {
        s.lines()
            .map(|l| {
                let mut w: Vec<&str> = l.split_whitespace().collect();
                w.pop();
                w.join(" ")
            })
            .collect()
    };
    let ours = text(
        &kubectl(&c, "get virtualservices -n ist-vs-gateway")
            .await
            .unwrap(),
    );
    let theirs = real_kubectl(&["get", "virtualservices", "-n", "ist-vs-gateway"]);
    assert_eq!(strip_age(&ours), strip_age(&theirs));
    // kubectl's generic describer (printUnstructuredContent), line for line.
    for (kind, name, ns) in [
        ("destinationrule", "web", "ist-vs-subset"),
        ("virtualservice", "broken", "ist-vs-match"),
        ("gateway.networking.istio.io", "good", "ist-gw-port"),
        ("serviceentry", "good", "ist-se-addresses"),
    ] {
        let ours = text(
            &kubectl(&c, &format!("describe {kind} {name} -n {ns}"))
                .await
                .unwrap(),
        );
        let theirs = real_kubectl(&["describe", kind, name, "-n", ns]);
        assert_eq!(ours.trim_end(), theirs.trim_end(), "describe {kind} {name}");
    }
    c.cancel().await.unwrap();
}

/// Writes to PeerAuthentication and AuthorizationPolicy ask the person first
/// (`default.confirm-mesh-security`); a no writes nothing.
#[tokio::test]
async fn mesh_security_writes_need_confirmation() {
    fixtures();
    let dir = tempfile::tempdir().unwrap();
    let manifest = "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata:\n  name: kap-strict\n  namespace: ist-authz\nspec:\n  mtls:\n    mode: STRICT\n";
    let no = Person::new(false);
    let c = start_with(&admin(&dir), no.clone(), Protocol::Legacy)
        .await
        .unwrap();
    let r = call(
        &c,
        "execute_kubectl",
        json!({"command": "apply -f -", "manifest": manifest}),
    )
    .await
    .unwrap();
    c.cancel().await.unwrap();
    assert!(is_error(&r), "{}", text(&r));
    assert_eq!(no.asked().len(), 1, "{:?}", no.asked());
    let (exists, _) =
        try_real_kubectl(&["get", "peerauthentication", "kap-strict", "-n", "ist-authz"]);
    assert!(!exists, "a declined write was stored");
    let yes = Person::new(true);
    let c = start_with(&admin(&dir), yes.clone(), Protocol::Legacy)
        .await
        .unwrap();
    let r = call(
        &c,
        "execute_kubectl",
        json!({"command": "apply -f -", "manifest": manifest}),
    )
    .await
    .unwrap();
    assert!(!is_error(&r), "{}", text(&r));
    assert_eq!(yes.asked().len(), 1);
    assert!(
        yes.asked()[0].contains("PeerAuthentication")
            || yes.asked()[0].contains("peerauthentications"),
        "{:?}",
        yes.asked()
    );
    let r = kubectl(&c, "delete peerauthentication kap-strict -n ist-authz")
        .await
        .unwrap();
    c.cancel().await.unwrap();
    assert!(!is_error(&r), "{}", text(&r));
    let audit = read_audit(&dir.path().join("audit.jsonl")).unwrap();
    assert!(
        audit
            .iter()
            .any(|rec| rec["rule"] == "default.confirm-mesh-security"),
        "no audit record names default.confirm-mesh-security"
    );
}
