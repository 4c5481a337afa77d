//! Unit tests on `FakeApi`.

use super::*;
use kap_sdk::Verb;
use kap_sdk::serde_json::json;
use kap_sdk::testing::{FakeApi, call_context, denied, ok_json};

fn guestbook() -> Value {
    json!({
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
        "metadata": {"name": "guestbook", "namespace": "argocd", "resourceVersion": "42"},
        "spec": {"project": "default",
            "source": {"repoURL": "https://github.com/argoproj/argocd-example-apps", "path": "guestbook", "targetRevision": "HEAD"},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": "guestbook"},
            "syncPolicy": {"syncOptions": ["CreateNamespace=true"]}},
        "status": {
            "sync": {"status": "OutOfSync", "revision": "abcdef1234567890"},
            "health": {"status": "Healthy"},
            "conditions": [{"type": "SyncError", "message": "boom", "lastTransitionTime": "2024-05-01T11:00:00Z"}],
            "resources": [
                {"group": "apps", "version": "v1", "kind": "Deployment", "namespace": "guestbook", "name": "guestbook-ui", "status": "OutOfSync", "health": {"status": "Healthy"}},
                {"version": "v1", "kind": "Service", "namespace": "guestbook", "name": "old-svc", "status": "OutOfSync", "requiresPruning": true}
            ],
            "history": [
                {"id": 1, "revision": "1111111aaaa", "deployedAt": "2024-04-30T10:00:00Z", "source": {"repoURL": "https://github.com/argoproj/argocd-example-apps", "path": "guestbook", "targetRevision": "HEAD"}},
                {"id": 2, "revision": "2222222bbbb", "deployedAt": "2024-05-01T10:00:00Z", "source": {"repoURL": "https://github.com/argoproj/argocd-example-apps", "path": "guestbook", "targetRevision": "HEAD"}}
            ],
            "operationState": {"phase": "Succeeded", "message": "successfully synced", "startedAt": "2024-05-01T10:00:00Z", "finishedAt": "2024-05-01T10:00:05Z", "syncResult": {"revision": "2222222bbbb"}}
        }
    })
}

fn api_with(app: Value) -> FakeApi {
    let mut api = FakeApi::new();
    api.on(move |r| match (r.verb, r.resource.as_str()) {
        (Verb::Get, "applications") => ok_json(app.clone()),
        (Verb::Update | Verb::Patch, "applications") => {
            let body: Value = kap_sdk::serde_json::from_str(r.body.as_deref().unwrap()).unwrap();
            if matches!(r.verb, Verb::Update) {
                ok_json(body)
            } else {
                ok_json(app.clone())
            }
        }
        (Verb::Delete, "applications") => ok_json(json!({})),
        _ => panic!("unexpected {r:?}"),
    });
    api
}

fn exec(api: &mut FakeApi, line: &str) -> Result<ToolOutput, ToolError> {
    ArgoCd::call_tool(
        "execute_argocd",
        &json!({ "command": line }),
        &call_context(),
        api,
    )
}

fn body(r: &kap_sdk::Request) -> Value {
    kap_sdk::serde_json::from_str(r.body.as_deref().unwrap()).unwrap()
}

#[test]
fn app_list_columns_and_namespaced_names() {
    let mut api = FakeApi::new();
    let mut other = guestbook();
    other["metadata"]["namespace"] = json!("team-a");
    other["metadata"]["name"] = json!("shop");
    other["spec"]["syncPolicy"] = json!({"automated": {"prune": true}});
    other["status"]["conditions"] = json!([{"type": "Warn"}, {"type": "Warn"}]);
    let items = json!({"items": [guestbook(), other]});
    api.on(move |r| {
        assert!(r.namespace.is_none());
        ok_json(items.clone())
    });
    let out = exec(&mut api, "argocd app list").unwrap();
    let lines: Vec<&str> = out.text.lines().collect();
    assert!(lines[0].starts_with("NAME "), "{}", out.text);
    for h in [
        "CLUSTER",
        "NAMESPACE",
        "PROJECT",
        "STATUS",
        "HEALTH",
        "SYNCPOLICY",
        "CONDITIONS",
        "REPO",
        "PATH",
        "TARGET",
    ] {
        assert!(lines[0].contains(h));
    }
    assert!(lines[1].starts_with("argocd/guestbook  "), "{}", out.text);
    assert!(lines[1].contains("OutOfSync  Healthy  Manual"));
    assert!(lines[2].starts_with("team-a/shop"));
    assert!(lines[2].contains("Auto-Prune  Warn(2)"), "{}", out.text);
    let s: Value = kap_sdk::serde_json::from_str(out.structured.as_deref().unwrap()).unwrap();
    assert_eq!(s["applications"][1]["namespace"], "team-a");
    let out = exec(&mut api, "app list -p nope -o name").unwrap();
    assert_eq!(out.text, "");
}

#[test]
fn app_list_falls_back_to_the_argocd_namespace() {
    let mut api = FakeApi::new();
    api.on(|r| match r.namespace.as_deref() {
        None => Err(denied(
            "ns-only",
            "list applications in all namespaces: denied",
        )),
        Some("argocd") => ok_json(json!({"items": [guestbook()]})),
        _ => panic!(),
    });
    let out = exec(&mut api, "app list").unwrap();
    assert!(out.text.contains("argocd/guestbook"));
    assert!(
        out.text.contains("only namespace argocd is shown"),
        "{}",
        out.text
    );
}

#[test]
fn app_get_shows_summary_conditions_operation_and_resources() {
    let mut api = api_with(guestbook());
    let out = exec(&mut api, "app get guestbook").unwrap();
    let t = &out.text;
    assert!(
        t.starts_with("Name:               argocd/guestbook\n"),
        "{t}"
    );
    assert!(
        t.contains("Sync Status:        OutOfSync from HEAD (abcdef1)\n"),
        "{t}"
    );
    assert!(t.contains("- Repo:             https://github.com/argoproj/argocd-example-apps\n"));
    assert!(t.contains("CONDITION  MESSAGE  LAST TRANSITION\nSyncError  boom     2024-05-01 11:00:00 +0000 UTC\n"), "{t}");
    assert!(t.contains("Phase:              Succeeded\n"));
    assert!(t.contains("Duration:           5s\n"));
    assert!(
        t.contains(
            "GROUP  KIND        NAMESPACE  NAME          STATUS     HEALTH   HOOK  MESSAGE\n"
        ),
        "{t}"
    );
    assert!(
        t.contains("apps   Deployment  guestbook  guestbook-ui  OutOfSync  Healthy"),
        "{t}"
    );
    // --hard-refresh: one merge patch of the refresh annotation.
    let mut api = api_with(guestbook());
    exec(&mut api, "app get guestbook --hard-refresh").unwrap();
    assert_eq!(api.requests.len(), 1);
    assert!(matches!(
        api.requests[0].patch_type,
        Some(kap_sdk::PatchType::Merge)
    ));
    assert_eq!(
        body(&api.requests[0]),
        json!({"metadata": {"annotations": {"argocd.argoproj.io/refresh": "hard"}}})
    );
}

#[test]
fn app_history_table() {
    let mut api = api_with(guestbook());
    let out = exec(&mut api, "app history guestbook").unwrap();
    assert_eq!(
        out.text,
        "SOURCE  https://github.com/argoproj/argocd-example-apps\nID      DATE                           REVISION\n1       2024-04-30 10:00:00 +0000 UTC  HEAD (1111111)\n2       2024-05-01 10:00:00 +0000 UTC  HEAD (2222222)\n"
    );
}

#[test]
fn app_sync_writes_the_operation_as_the_api_server() {
    let mut api = api_with(guestbook());
    exec(&mut api, "app sync guestbook --prune --force --resource apps:Deployment:guestbook-ui --resource :Service:guestbook/old-svc --apply-out-of-sync-only").unwrap();
    assert_eq!(api.requests.len(), 2);
    let put = &api.requests[1];
    assert!(matches!(put.verb, Verb::Update));
    let b = body(put);
    assert_eq!(b["metadata"]["resourceVersion"], "42");
    assert!(b["status"].get("operationState").is_none());
    assert_eq!(
        b["operation"],
        json!({
            "initiatedBy": {"username": "kube-ai-proxy"},
            "sync": {
                "source": {"repoURL": "https://github.com/argoproj/argocd-example-apps", "path": "guestbook", "targetRevision": "HEAD"},
                "revision": "HEAD",
                "prune": true,
                "syncStrategy": {"hook": {"force": true}},
                "resources": [
                    {"group": "apps", "kind": "Deployment", "name": "guestbook-ui"},
                    {"kind": "Service", "name": "old-svc", "namespace": "guestbook"}
                ],
                "syncOptions": ["ApplyOutOfSyncOnly=true"]
            }
        })
    );
    // Without flags: the app's sync options, the hook strategy.
    let mut api = api_with(guestbook());
    exec(&mut api, "app sync guestbook --revision v2").unwrap();
    let op = body(&api.requests[1])["operation"].clone();
    assert_eq!(op["sync"]["revision"], "v2");
    assert_eq!(op["sync"]["syncStrategy"], json!({"hook": {}}));
    assert_eq!(op["sync"]["syncOptions"], json!(["CreateNamespace=true"]));
}

#[test]
fn app_sync_is_refused_while_an_operation_runs() {
    let mut app = guestbook();
    app["operation"] = json!({"sync": {"revision": "HEAD"}});
    let mut api = api_with(app);
    let out = exec(&mut api, "app sync guestbook").unwrap();
    assert!(out.is_error);
    assert!(
        out.text
            .contains("another operation is already in progress")
    );
    assert_eq!(api.requests.len(), 1);
}

#[test]
fn app_rollback_syncs_to_the_previous_entry() {
    let mut api = api_with(guestbook());
    exec(&mut api, "app rollback guestbook").unwrap();
    let op = body(&api.requests[1])["operation"].clone();
    assert_eq!(op["sync"]["revision"], "1111111aaaa");
    assert_eq!(op["sync"]["source"]["path"], "guestbook");
    assert_eq!(op["sync"]["syncStrategy"], json!({"apply": {}}));
    assert_eq!(op["initiatedBy"]["username"], "kube-ai-proxy");
    let out = exec(&mut api_with(guestbook()), "app rollback guestbook 9").unwrap();
    assert!(out.text.contains("does not have deployment id '9'"));
    let mut auto = guestbook();
    auto["spec"]["syncPolicy"]["automated"] = json!({});
    let out = exec(&mut api_with(auto), "app rollback guestbook 1").unwrap();
    assert!(out.text.contains("auto-sync is enabled"));
}

#[test]
fn app_set_is_one_merge_patch() {
    let mut app = guestbook();
    app["spec"]["source"]["helm"] = json!({"parameters": [{"name": "a", "value": "1"}]});
    let mut api = api_with(app);
    exec(
        &mut api,
        "app set guestbook --revision v3 -p a=2 -p b=x --sync-policy automated --self-heal",
    )
    .unwrap();
    let p = &api.requests[1];
    assert!(matches!(p.patch_type, Some(kap_sdk::PatchType::Merge)));
    assert_eq!(
        body(p),
        json!({"spec": {
            "source": {"targetRevision": "v3", "helm": {"parameters": [{"name": "a", "value": "2"}, {"name": "b", "value": "x"}]}},
            "syncPolicy": {"automated": {"selfHeal": true, "prune": false}}
        }})
    );
    let out = exec(&mut api_with(guestbook()), "app set guestbook --auto-prune").unwrap();
    assert!(out.text.contains("not configured with automatic sync"));
    let mut api = api_with(guestbook());
    exec(&mut api, "app set guestbook --sync-policy none").unwrap();
    assert_eq!(
        body(&api.requests[1]),
        json!({"spec": {"syncPolicy": {"automated": null}}})
    );
}

#[test]
fn app_delete_finalizer_semantics() {
    // Cascade (default): the finalizer is added first, then the delete.
    let mut api = api_with(guestbook());
    exec(&mut api, "app delete guestbook").unwrap();
    assert_eq!(api.requests.len(), 3);
    assert_eq!(
        body(&api.requests[1]),
        json!({"metadata": {"finalizers": ["resources-finalizer.argocd.argoproj.io"]}})
    );
    assert!(matches!(api.requests[2].verb, Verb::Delete));
    // Already present: no patch.
    let mut app = guestbook();
    app["metadata"]["finalizers"] = json!(["resources-finalizer.argocd.argoproj.io"]);
    let mut api = api_with(app.clone());
    exec(&mut api, "app delete guestbook").unwrap();
    assert_eq!(api.requests.len(), 2);
    // --cascade=false removes it.
    let mut api = api_with(app);
    exec(&mut api, "app delete guestbook --cascade=false").unwrap();
    assert_eq!(
        body(&api.requests[1]),
        json!({"metadata": {"finalizers": []}})
    );
    // Background policy.
    let mut api = api_with(guestbook());
    exec(&mut api, "app delete argocd/guestbook -p background").unwrap();
    assert_eq!(
        body(&api.requests[1])["metadata"]["finalizers"][0],
        "resources-finalizer.argocd.argoproj.io/background"
    );
    let e = exec(
        &mut api_with(guestbook()),
        "app delete guestbook --cascade=false -p background",
    )
    .unwrap_err();
    assert!(matches!(e, ToolError::InvalidArguments(_)));
}

#[test]
fn app_terminate_op_updates_the_phase() {
    let mut app = guestbook();
    app["operation"] = json!({"sync": {}});
    app["status"]["operationState"]["phase"] = json!("Running");
    let mut api = api_with(app);
    exec(&mut api, "app terminate-op guestbook").unwrap();
    let put = &api.requests[1];
    assert!(matches!(put.verb, Verb::Update));
    assert!(put.subresource.is_none());
    assert_eq!(
        body(put)["status"]["operationState"]["phase"],
        "Terminating"
    );
    let out = exec(&mut api_with(guestbook()), "app terminate-op guestbook").unwrap();
    assert!(out.text.contains("No operation is in progress"));
}

#[test]
fn repo_list_reads_only_string_data() {
    let mut api = FakeApi::new();
    api.on(|r| {
        assert_eq!(r.resource, "secrets");
        assert_eq!(r.namespace.as_deref(), Some("argocd"));
        assert_eq!(
            r.query,
            [(
                "labelSelector".to_string(),
                "argocd.argoproj.io/secret-type=repository".to_string()
            )]
        );
        ok_json(json!({"items": [{"metadata": {"name": "repo-1"},
            "data": {"password": "c2VjcmV0"},
            "stringData": {"url": "https://github.com/x/y", "name": "y", "project": "default"}}]}))
    });
    let out = exec(&mut api, "repo list").unwrap();
    assert!(out.text.starts_with("TYPE  NAME  REPO"), "{}", out.text);
    assert!(out.text.contains("git   y     https://github.com/x/y  false     false  false  -      Unknown           default"), "{}", out.text);
    assert!(
        !out.text.contains("c2VjcmV0") && !out.structured.as_deref().unwrap().contains("c2VjcmV0")
    );
    assert!(out.text.contains("Credentials are never shown"));
    let mut api = FakeApi::new();
    api.on(|_| Err(denied("no-secrets", "secrets are off limits")));
    let out = exec(&mut api, "cluster list").unwrap();
    assert!(out.is_error);
    assert!(
        out.text
            .contains("was refused: Denied by policy (rule no-secrets)"),
        "{}",
        out.text
    );
}

#[test]
fn refused_flags_and_commands_send_nothing() {
    let mut api = FakeApi::new();
    for line in [
        "app list --server cd.example.com",
        "login cd.example.com",
        "proj role create-token p r",
        "app sync x --auth-token=t",
    ] {
        assert!(
            matches!(exec(&mut api, line), Err(ToolError::InvalidArguments(_))),
            "{line}"
        );
    }
    assert!(api.requests.is_empty());
}

#[test]
fn plans_name_the_command_and_declare_no_facts() {
    let plan = |line: &str| {
        ArgoCd::plan_call("execute_argocd", &json!({"command": line}), &call_context())
            .unwrap()
            .unwrap()
    };
    // The host judges effects; the plugin declares none.
    for line in [
        "app rollback web",
        "app sync web --prune",
        "app set web --auto-prune",
        "app sync web",
    ] {
        assert!(plan(line).facts.is_empty(), "{line}");
    }
    assert!(plan("app sync web --prune --dry-run").facts.is_empty());
    assert_eq!(
        plan("app sync web --prune").command,
        "argocd app sync web --prune=true"
    );
}

#[test]
fn preview_texts() {
    let app = guestbook();
    let cmd = |l: &str| cli::parse(&kap_sdk::shell::tokenize(l).unwrap()).unwrap();
    let p = write::preview(&app, &cmd("app sync guestbook --prune --revision v2")).unwrap();
    assert_eq!(
        p,
        "Sync application argocd/guestbook.\nRevision: abcdef1234567890 -> v2\nPrune: these 1 resources would be deleted:\n  - Service guestbook/old-svc\n"
    );
    let p = write::preview(&app, &cmd("app delete guestbook")).unwrap();
    assert!(p.contains("these 2 resources would be deleted too:\n  - Deployment.apps guestbook/guestbook-ui\n  - Service guestbook/old-svc\n"), "{p}");
    let p = write::preview(&app, &cmd("app rollback guestbook")).unwrap();
    assert!(
        p.contains("history ID 1.\nRevision: abcdef1234567890 -> 1111111aaaa"),
        "{p}"
    );
    let p = write::preview(
        &app,
        &cmd("app set guestbook --sync-policy auto --auto-prune"),
    )
    .unwrap();
    assert!(p.contains("Sync policy: Manual -> Auto-Prune\n"), "{p}");
    assert!(write::preview(&app, &cmd("app get guestbook")).is_none());
}
