//! Integration tests of the argocd plugin (issue 12) through MCP against the real local
//! cluster, with the upstream Argo CD CRDs installed by `up.sh` and the fixtures of
//! `tests/fixtures/argocd` (Applications with the status Argo CD's controller would write,
//! repository and cluster Secrets with canary credentials) applied afresh by
//! `tests/cluster/argocd-fixtures.sh`. No Argo CD controller runs: the tests check what the
//! plugin writes (what Argo CD's API server would write) with the real kubectl. Without
//! KUBECONFIG the tests fail; they are never skipped.

use kube_ai_proxy_e2e::*;
use serde_json::{Value, json};

/// The fixtures, re-applied before each test that writes (the tests run one at a time).
fn fixtures() {
    apply_fixtures("argocd-fixtures.sh");
}

fn admin(dir: &tempfile::TempDir) -> ServerOpts {
    ServerOpts {
        kubeconfig: Some(kubeconfig().expect("KUBECONFIG")),
        audit_log: Some(dir.path().join("audit.jsonl")),
        ..Default::default()
    }
}

async fn argocd<H: rmcp::ClientHandler>(
    c: &rmcp::service::RunningService<rmcp::RoleClient, H>,
    command: &str,
) -> rmcp::model::CallToolResult {
    call(c, "execute_argocd", json!({ "command": command }))
        .await
        .unwrap_or_else(|e| panic!("argocd {command}: {e}"))
}

/// The Application as the API server has it.
fn app(ns: &str, name: &str) -> Value {
    serde_json::from_str(&real_kubectl(&[
        "get",
        "applications.argoproj.io",
        name,
        "-n",
        ns,
        "-o",
        "json",
    ]))
    .expect("JSON")
}

const CANARIES: &[&str] = &[
    "gh-REPO-PASSWORD-canary-7f3a",
    "CANARY-SSH-KEY",
    "CLUSTER-BEARER-TOKEN-canary-91c2",
    "ADMIN-PASSWORD-canary-00aa",
    "SERVER-SECRETKEY-canary-11bb",
    "deploy-bot",
];

#[tokio::test]
async fn app_list_get_and_history_read_the_status_argo_cd_wrote() {
    fixtures();
    let dir = tempfile::tempdir().unwrap();
    let c = start(&admin(&dir)).await.unwrap();
    let r = argocd(&c, "app list").await;
    let out = text(&r);
    assert!(!is_error(&r), "{out}");
    assert!(
        out.starts_with("NAME ")
            && out
                .lines()
                .next()
                .unwrap()
                .split_whitespace()
                .collect::<Vec<_>>()
                == [
                    "NAME",
                    "CLUSTER",
                    "NAMESPACE",
                    "PROJECT",
                    "STATUS",
                    "HEALTH",
                    "SYNCPOLICY",
                    "CONDITIONS",
                    "REPO",
                    "PATH",
                    "TARGET"
                ],
        "{out}"
    );
    let row = |name: &str| -> Vec<String> {
        out.lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("no row {name} in\n{out}"))
            .split_whitespace()
            .map(str::to_string)
            .collect()
    };
    assert_eq!(
        row("argocd/shop")[4..7],
        ["OutOfSync", "Degraded", "Manual"]
    );
    assert_eq!(row("argocd/guestbook")[4..7], ["Synced", "Healthy", "Auto"]);
    // An app outside Argo CD's namespace (apps in any namespace) is namespace/name.
    assert_eq!(row("team-apps/billing")[4..6], ["OutOfSync", "Missing"]);
    let r = argocd(&c, "app list -p team -o name").await;
    assert_eq!(text(&r).trim(), "team-apps/billing", "{}", text(&r));

    // app get names the failing resource and the failed operation.
    let r = argocd(&c, "app get shop").await;
    let out = text(&r);
    assert!(out.contains("Health Status:      Degraded"), "{out}");
    assert!(
        out.lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>().starts_with(&[
                "apps",
                "Deployment",
                "kap-gitops",
                "shop-api",
                "OutOfSync",
                "Degraded"
            ])),
        "{out}"
    );
    assert!(out.contains("Phase:              Failed"), "{out}");
    assert!(out.contains("SyncError"), "{out}");
    let r = argocd(&c, "app history guestbook").await;
    let history = text(&r);
    let ids: Vec<&str> = history
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|w| w.chars().all(|c| c.is_ascii_digit()))
        .collect();
    assert_eq!(ids, ["1", "2"], "{history}");
    let r = argocd(&c, "version").await;
    assert!(text(&r).contains("v3.1.5"), "{}", text(&r));
    c.cancel().await.unwrap();
}

#[tokio::test]
async fn repo_and_cluster_lists_show_no_credentials_and_the_audit_names_the_keys() {
    fixtures();
    let dir = tempfile::tempdir().unwrap();
    let c = start(&admin(&dir)).await.unwrap();
    let repos = argocd(&c, "repo list").await;
    let clusters = argocd(&c, "cluster list").await;
    // The kubectl plugin (no secret_keys grant) still sees no values.
    let raw = kubectl(&c, "get secret repo-guestbook -n argocd -o json")
        .await
        .unwrap();
    c.cancel().await.unwrap();
    let (r, k) = (text(&repos), text(&clusters));
    assert!(!is_error(&repos), "{r}");
    assert!(
        r.contains("https://git.example.com/demo/guestbook.git"),
        "{r}"
    );
    assert!(r.contains("https://charts.example.com"), "{r}");
    assert!(
        k.contains("https://staging.k8s.example.com:6443") && k.contains("staging"),
        "{k}"
    );
    for canary in CANARIES {
        assert!(
            !r.contains(canary) && !k.contains(canary),
            "{canary} reached the model"
        );
        assert!(!text(&raw).contains(canary), "{canary} in kubectl's answer");
    }
    let audit = read_audit(&dir.path().join("audit.jsonl")).unwrap();
    let rec = audit
        .iter()
        .find(|rec| {
            rec["plugin"] == "argocd" && rec["resource"] == "secrets" && rec["decision"] == "allow"
        })
        .expect("an audited Secret read");
    assert_eq!(rec["rule"], "grant.secret-keys", "{rec}");
    assert!(
        rec["outcome"]
            .as_str()
            .unwrap()
            .contains("released Secret keys [name, project, type, url]"),
        "{rec}"
    );
    let text_log = std::fs::read_to_string(dir.path().join("audit.jsonl")).unwrap();
    for canary in CANARIES {
        assert!(!text_log.contains(canary), "{canary} in the audit log");
    }
}

#[tokio::test]
async fn sync_writes_the_operation_and_app_get_shows_it_pending() {
    fixtures();
    let dir = tempfile::tempdir().unwrap();
    let person = Person::new(true);
    let c = start_with(&admin(&dir), person.clone(), Protocol::Legacy)
        .await
        .unwrap();
    let r = argocd(&c, "app sync guestbook").await;
    assert!(!is_error(&r), "{}", text(&r));
    assert!(
        person.asked().is_empty(),
        "a plain sync asked: {:?}",
        person.asked()
    );
    let a = app("argocd", "guestbook");
    // What Argo CD's API server writes for a sync (server/application Sync → SetAppOperation).
    assert_eq!(
        a["operation"]["sync"]["revision"], "HEAD",
        "{}",
        a["operation"]
    );
    assert!(
        a["operation"]["initiatedBy"]["username"].is_string(),
        "{}",
        a["operation"]
    );
    assert!(
        a["operation"]["sync"]
            .get("prune")
            .is_none_or(|p| p == false),
        "{}",
        a["operation"]
    );
    let r = argocd(&c, "app get guestbook").await;
    assert!(
        text(&r).contains("Operation:"),
        "app get does not show the pending operation:\n{}",
        text(&r)
    );
    // Syncing an auto-synced app to another revision is refused, as Argo CD refuses it.
    let r = argocd(
        &c,
        "app sync guestbook --revision 9f8e7d6c5b4a39281706f5e4d3c2b1a098765432",
    )
    .await;
    assert!(is_error(&r), "{}", text(&r));
    // A second sync while the first is pending is refused, as Argo CD refuses it.
    let r = argocd(&c, "app sync guestbook").await;
    assert!(is_error(&r), "{}", text(&r));
    assert!(
        text(&r).contains("another operation is already in progress"),
        "{}",
        text(&r)
    );
    c.cancel().await.unwrap();
}

#[tokio::test]
async fn prune_rollback_and_delete_ask_first_and_a_no_writes_nothing() {
    fixtures();
    let dir = tempfile::tempdir().unwrap();
    let no = Person::new(false);
    let c = start_with(&admin(&dir), no.clone(), Protocol::Legacy)
        .await
        .unwrap();
    let r = argocd(&c, "app sync shop --prune").await;
    assert!(is_error(&r), "{}", text(&r));
    assert!(
        app("argocd", "shop").get("operation").is_none(),
        "a declined sync was written"
    );
    let asked = no.asked();
    assert_eq!(asked.len(), 1, "{asked:?}");
    assert!(
        asked[0].contains("Resources it would prune (delete):"),
        "{}",
        asked[0]
    );
    assert!(
        asked[0].contains("ConfigMap kap-gitops/shop-legacy-config"),
        "{}",
        asked[0]
    );
    // Argo CD refuses a rollback while auto-sync is on; shop syncs by hand.
    let r = argocd(&c, "app rollback guestbook 1").await;
    assert!(is_error(&r), "{}", text(&r));
    let r = argocd(&c, "app rollback shop 3").await;
    assert!(is_error(&r), "{}", text(&r));
    assert!(
        app("argocd", "shop").get("operation").is_none(),
        "a declined rollback was written"
    );
    let asked = no.asked();
    assert!(
        asked.last().unwrap().contains("a rollback to history ID 3"),
        "{asked:?}"
    );
    let r = argocd(&c, "app set guestbook --auto-prune").await;
    assert!(is_error(&r), "{}", text(&r));
    assert!(asked.len() >= 2);
    assert!(
        no.asked()
            .last()
            .unwrap()
            .contains("Sync policy: Auto (self-heal) → Auto-Prune (self-heal)"),
        "{:?}",
        no.asked()
    );
    let r = argocd(&c, "app delete metrics").await;
    assert!(is_error(&r), "{}", text(&r));
    let (exists, _) =
        try_real_kubectl(&["get", "applications.argoproj.io", "metrics", "-n", "argocd"]);
    assert!(exists, "a declined delete deleted");
    c.cancel().await.unwrap();

    let yes = Person::new(true);
    let c = start_with(&admin(&dir), yes.clone(), Protocol::Legacy)
        .await
        .unwrap();
    let r = argocd(&c, "app rollback shop 3").await;
    assert!(!is_error(&r), "{}", text(&r));
    let a = app("argocd", "shop");
    assert_eq!(
        a["operation"]["sync"]["revision"], "0f1e2d3c4b5a69788796a5b4c3d2e1f0a9b8c7d6",
        "{}",
        a["operation"]
    );
    assert_eq!(
        a["operation"]["sync"]["source"]["path"], "deploy/overlays/prod",
        "{}",
        a["operation"]
    );
    let r = argocd(&c, "app sync metrics --prune").await;
    assert!(!is_error(&r), "{}", text(&r));
    let a = app("argocd", "metrics");
    assert_eq!(a["operation"]["sync"]["prune"], true, "{}", a["operation"]);
    c.cancel().await.unwrap();
    let audit = read_audit(&dir.path().join("audit.jsonl")).unwrap();
    for rule in [
        "default.confirm-gitops-prune",
        "default.confirm-gitops-rollback",
    ] {
        assert!(
            audit.iter().any(|r| r["rule"] == rule),
            "no audit record names {rule}"
        );
    }
}

#[tokio::test]
async fn a_policy_deny_or_an_rbac_denial_stops_a_sync_with_nothing_written() {
    fixtures();
    let dir = tempfile::tempdir().unwrap();
    let policy = write_file(
        dir.path(),
        "policy.yaml",
        "rules:\n  - id: no-gitops-writes\n    effect: deny\n    verbs: [update, patch, delete]\n    resources: [applications.argoproj.io]\n    reason: syncs go through the release pipeline\n",
    );
    let mut o = admin(&dir);
    o.args = vec!["--policy".into(), policy.display().to_string()];
    let c = start(&o).await.unwrap();
    let r = argocd(&c, "app sync guestbook").await;
    c.cancel().await.unwrap();
    assert!(is_error(&r), "{}", text(&r));
    assert!(text(&r).contains("no-gitops-writes"), "{}", text(&r));
    assert!(
        app("argocd", "guestbook").get("operation").is_none(),
        "written despite the policy"
    );

    // The restricted identity may only read pods in kap-restricted: RBAC refuses.
    let o = ServerOpts {
        kubeconfig: Some(restricted_kubeconfig().unwrap()),
        audit_log: Some(dir.path().join("audit2.jsonl")),
        ..Default::default()
    };
    let c = start(&o).await.unwrap();
    let r = argocd(&c, "app sync guestbook").await;
    c.cancel().await.unwrap();
    assert!(is_error(&r), "{}", text(&r));
    assert!(
        text(&r).contains("Forbidden") || text(&r).contains("forbidden"),
        "{}",
        text(&r)
    );
    assert!(
        app("argocd", "guestbook").get("operation").is_none(),
        "written despite RBAC"
    );
}

#[tokio::test]
async fn refused_flags_and_commands() {
    let dir = tempfile::tempdir().unwrap();
    let c = start(&admin(&dir)).await.unwrap();
    for cmd in [
        "app list --server argocd.example.com",
        "app list --auth-token x",
        "app list --auth_token=x",
        "app list --core",
        "app list --insecure",
        "app list --header X-A:b",
        "login argocd.example.com",
        "account list",
    ] {
        let msg = refusal_text(
            call(&c, "execute_argocd", json!({"command": cmd})).await,
            cmd,
        );
        assert!(
            msg.contains("not allowed") || msg.contains("not supported"),
            "{cmd}: {msg}"
        );
    }
    c.cancel().await.unwrap();
    let audit = read_audit(&dir.path().join("audit.jsonl")).unwrap();
    assert!(
        !audit
            .iter()
            .any(|r| r["kind"] == "capability" && r["plugin"] == "argocd"),
        "a refused command reached the API"
    );
}

#[tokio::test]
async fn troubleshoot_names_the_application_and_argocd_app_sync() {
    fixtures();
    let dir = tempfile::tempdir().unwrap();
    let c = start(&admin(&dir)).await.unwrap();
    let r = call(&c, "k8s_troubleshoot", json!({"namespace": "kap-gitops"}))
        .await
        .unwrap();
    c.cancel().await.unwrap();
    let findings = r.structured_content.as_ref().expect("structured")["findings"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let f = findings
        .iter()
        .find(|f| f["object"] == "deployment/shop-api")
        .unwrap_or_else(|| panic!("no finding on deployment/shop-api: {}", text(&r)));
    assert_eq!(f["fix"], "argocd app sync shop", "{f}");
    assert!(
        f["evidence"].as_array().unwrap().iter().any(|e| e
            .as_str()
            .unwrap()
            .starts_with("deployment/shop-api is managed by Argo CD Application shop (sync OutOfSync, health Degraded; last operation Failed")),
        "{f}"
    );
}
