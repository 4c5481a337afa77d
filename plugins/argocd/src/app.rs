//! The reading `app` commands: `list`, `get` (with `--refresh`), `history`, `resources`,
//! `diff` and `wait`, printed as `cmd/argocd/commands/app.go` prints them.

use kap_sdk::api::{Api, CmdResult, Failure, Outcome, arr, get, i, s, send_json};
use kap_sdk::serde_json::{Value, json};
use kap_sdk::{KubeError, PatchType, Request};

use crate::cli::{ARGOCD_NAMESPACE, Command};
use crate::render::{
    conditions_summary, go_duration, go_time, line, project, qualified, server, source,
    sync_policy, table,
};

/// Argo CD's API group.
pub const GROUP: &str = "argoproj.io";
/// Argo CD's API version.
pub const VERSION: &str = "v1alpha1";

/// A get of one Application (`applications.argoproj.io`).
pub fn apps(ns: &str, name: &str) -> Request {
    Request::get(GROUP, VERSION, "applications", name).namespace(ns)
}

/// Reads one Application.
pub fn read_app(api: &mut dyn Api, ns: &str, name: &str) -> Result<Value, Failure> {
    send_json(api, &apps(ns, name))
}

/// Lists `resource` in every namespace; when that is refused, in the argocd namespace, with a
/// note saying so.
pub fn list_any_namespace(
    api: &mut dyn Api,
    resource: &str,
    query: Vec<(String, String)>,
) -> Result<(Vec<Value>, Option<String>), Failure> {
    let mut req = Request::list(GROUP, VERSION, resource);
    req.query = query.clone();
    match pages(api, &req) {
        Ok(items) => Ok((items, None)),
        Err(Failure::Kube(e)) if kap_sdk::api::is_refused(&e) => {
            let mut req = req.namespace(ARGOCD_NAMESPACE);
            req.query = query;
            let note = format!(
                "Note: listing {resource} in all namespaces was refused ({}); only namespace {ARGOCD_NAMESPACE} is shown.\n",
                kap_sdk::api::kube_error_text(&e)
            );
            Ok((pages(api, &req)?, Some(note)))
        }
        Err(e) => Err(e),
    }
}

/// Objects per list page (`limit`), as kubectl pages its lists.
pub const PAGE: usize = 250;
/// Pages read at most (a longer list is an error that says so).
pub const MAX_PAGES: usize = 40;

/// Every item of a list ([`kap_sdk::api::list_pages`]); past `PAGE * MAX_PAGES` objects the
/// error says how to narrow it.
fn pages(api: &mut dyn Api, req: &Request) -> Result<Vec<Value>, Failure> {
    kap_sdk::api::list_pages(api, req, PAGE, MAX_PAGES).map_err(|e| match e {
        KubeError::Limit(m) => {
            Failure::Message(format!("{m}: narrow the list (-p PROJECT, -l SELECTOR)"))
        }
        other => Failure::Kube(other),
    })
}

/// The fields of an Application the structured answers carry.
pub fn summary(app: &Value) -> Value {
    let src = source(&app["spec"]);
    json!({
        "name": s(app, &["metadata", "name"]),
        "namespace": s(app, &["metadata", "namespace"]),
        "project": project(&app["spec"]),
        "cluster": server(app),
        "destinationNamespace": s(app, &["spec", "destination", "namespace"]),
        "syncStatus": s(app, &["status", "sync", "status"]),
        "syncRevision": s(app, &["status", "sync", "revision"]),
        "health": s(app, &["status", "health", "status"]),
        "syncPolicy": sync_policy(app),
        "conditions": arr(app, &["status", "conditions"]),
        "repo": s(&src, &["repoURL"]),
        "path": s(&src, &["path"]),
        "targetRevision": s(&src, &["targetRevision"]),
        "operationPhase": s(app, &["status", "operationState", "phase"]),
        "operationPending": app.get("operation").is_some_and(|o| !o.is_null()),
    })
}

/// `app list`.
pub fn list(api: &mut dyn Api, cmd: &Command) -> CmdResult {
    let mut query = Vec::new();
    if let Some(sel) = cmd.parsed.value("selector") {
        query.push(("labelSelector".to_string(), sel.to_string()));
    }
    let (mut items, note) = list_any_namespace(api, "applications", query)?;
    if let Some(ns) = cmd.parsed.value("app-namespace") {
        items.retain(|a| s(a, &["metadata", "namespace"]) == ns);
    }
    let projects = cmd.values("project");
    if !projects.is_empty() {
        items.retain(|a| projects.contains(&project(&a["spec"]).as_str()));
    }
    if let Some(repo) = cmd.parsed.value("repo") {
        items.retain(|a| s(&source(&a["spec"]), &["repoURL"]) == repo);
    }
    if let Some(c) = cmd.parsed.value("cluster") {
        items.retain(|a| {
            s(a, &["spec", "destination", "server"]) == c
                || s(a, &["spec", "destination", "name"]) == c
        });
    }
    if let Some(p) = cmd.parsed.value("path") {
        items.retain(|a| s(&source(&a["spec"]), &["path"]) == p);
    }
    let output = cmd.parsed.value("output").unwrap_or("wide");
    let structured = json!({"applications": items.iter().map(summary).collect::<Vec<_>>(), "complete": note.is_none()});
    let mut text = match output {
        "json" | "yaml" => crate::render::dump(&Value::Array(items.clone()), output),
        "name" => items.iter().map(|a| qualified(a) + "\n").collect(),
        "wide" | "" => {
            let mut rows = vec![
                [
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
                    "TARGET",
                ]
                .map(String::from)
                .to_vec(),
            ];
            for a in &items {
                let src = source(&a["spec"]);
                rows.push(vec![
                    qualified(a),
                    server(a),
                    s(a, &["spec", "destination", "namespace"]).into(),
                    project(&a["spec"]),
                    s(a, &["status", "sync", "status"]).into(),
                    s(a, &["status", "health", "status"]).into(),
                    sync_policy(a),
                    conditions_summary(a),
                    s(&src, &["repoURL"]).into(),
                    s(&src, &["path"]).into(),
                    s(&src, &["targetRevision"]).into(),
                ]);
            }
            table(&rows)
        }
        other => return Err(Failure::Usage(format!("unknown output format: {other}"))),
    };
    if let Some(n) = note {
        text.push_str(&n);
    }
    Ok(Outcome {
        text,
        structured: Some(structured),
        is_error: false,
    })
}

/// The resource rows of `printAppResources` (from `.status.resources`).
pub fn resource_rows(app: &Value) -> Vec<Vec<String>> {
    let mut rows = vec![
        [
            "GROUP",
            "KIND",
            "NAMESPACE",
            "NAME",
            "STATUS",
            "HEALTH",
            "HOOK",
            "MESSAGE",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for r in arr(app, &["status", "resources"]) {
        rows.push(vec![
            s(r, &["group"]).into(),
            s(r, &["kind"]).into(),
            s(r, &["namespace"]).into(),
            s(r, &["name"]).into(),
            s(r, &["status"]).into(),
            s(r, &["health", "status"]).into(),
            if r.get("hook").and_then(Value::as_bool) == Some(true) {
                "true".into()
            } else {
                String::new()
            },
            s(r, &["health", "message"]).into(),
        ]);
    }
    rows
}

/// `printOperationResult` of `.status.operationState`.
pub fn operation_result(op: &Value, now: i64) -> String {
    let mut out = String::new();
    if op.get("syncResult").is_some_and(|v| v.is_object()) {
        out += &line("Operation:", "Sync");
        out += &line("Sync Revision:", s(op, &["syncResult", "revision"]));
    }
    out += &line("Phase:", s(op, &["phase"]));
    let (start, end) = (s(op, &["startedAt"]), s(op, &["finishedAt"]));
    out += &line("Start:", &go_time(start));
    out += &line("Finished:", &go_time(end));
    let t0 = kap_sdk::time::parse_rfc3339(start).unwrap_or(now);
    let t1 = kap_sdk::time::parse_rfc3339(end).unwrap_or(now);
    out += &line("Duration:", &go_duration((t1 - t0).max(0)));
    if !s(op, &["message"]).is_empty() {
        out += &line("Message:", s(op, &["message"]));
    }
    out
}

/// The summary block of `printAppSummaryTable` (without URL and SyncWindow: no API server).
pub fn summary_block(app: &Value) -> String {
    let spec = &app["spec"];
    let mut out = line("Name:", &qualified(app));
    out += &line("Project:", &project(spec));
    out += &line("Server:", &server(app));
    out += &line("Namespace:", s(spec, &["destination", "namespace"]));
    let sources: Vec<Value> = match spec.get("sources").and_then(Value::as_array) {
        Some(v) if !v.is_empty() => v.clone(),
        _ => vec![source(spec)],
    };
    out += if sources.len() > 1 {
        "Sources:\n"
    } else {
        "Source:\n"
    };
    for src in &sources {
        out += &line("- Repo:", s(src, &["repoURL"]));
        out += &line("  Target:", s(src, &["targetRevision"]));
        if !s(src, &["path"]).is_empty() {
            out += &line("  Path:", s(src, &["path"]));
        }
        if !s(src, &["ref"]).is_empty() {
            out += &line("  Ref:", s(src, &["ref"]));
        }
        let vf: Vec<&str> = arr(src, &["helm", "valueFiles"])
            .iter()
            .filter_map(Value::as_str)
            .collect();
        if !vf.is_empty() {
            out += &line("  Helm Values:", &vf.join(","));
        }
    }
    let mut policy = if crate::render::automated(app) {
        "Automated".to_string()
    } else {
        "Manual".to_string()
    };
    if crate::render::auto_prune(app) {
        policy += " (Prune)";
    }
    out += &line("Sync Policy:", &policy);
    let src0 = source(spec);
    let target = s(&src0, &["targetRevision"]);
    let mut sync = s(app, &["status", "sync", "status"]).to_string();
    match sync.as_str() {
        "Synced" => sync += &format!(" to {target}"),
        "OutOfSync" => sync += &format!(" from {target}"),
        _ => {}
    }
    let rev = s(app, &["status", "sync", "revision"]);
    let is_sha = target.len() >= 7 && target.chars().all(|c| c.is_ascii_hexdigit());
    if !is_sha && rev.len() > 7 {
        sync += &format!(" ({})", &rev[..7]);
    }
    out += &line("Sync Status:", &sync);
    out += &line("Health Status:", s(app, &["status", "health", "status"]));
    out
}

/// `app get`.
pub fn get_app(api: &mut dyn Api, cmd: &Command) -> CmdResult {
    let (ns, name) = cmd.app_ref();
    let refresh = if cmd.parsed.bool("hard-refresh") {
        Some("hard")
    } else if cmd.parsed.bool("refresh") {
        Some("normal")
    } else {
        None
    };
    let app = match refresh {
        Some(kind) => {
            let body = json!({"metadata": {"annotations": {"argocd.argoproj.io/refresh": kind}}});
            let req = Request::patch(
                GROUP,
                VERSION,
                "applications",
                &name,
                PatchType::Merge,
                body.to_string(),
            )
            .namespace(&ns);
            send_json(api, &req)?
        }
        None => read_app(api, &ns, &name)?,
    };
    let output = cmd.parsed.value("output").unwrap_or("wide");
    let mut st = summary(&app);
    st["resources"] = json!(arr(&app, &["status", "resources"]));
    st["operationState"] = app["status"]["operationState"].clone();
    st["operation"] = app.get("operation").cloned().unwrap_or(Value::Null);
    let text = match output {
        "json" | "yaml" => {
            let mut v = app.clone();
            kap_sdk::printing::strip_managed_fields(&mut v);
            crate::render::dump(&v, output)
        }
        "wide" | "" | "tree" => {
            let mut out = summary_block(&app);
            if let Some(kind) = refresh {
                out = format!(
                    "Requested a {kind} refresh (annotation argocd.argoproj.io/refresh={kind}); the controller refreshes shortly.\n\n{out}"
                );
            }
            let conds = arr(&app, &["status", "conditions"]);
            if !conds.is_empty() {
                out.push('\n');
                let mut rows = vec![vec![
                    "CONDITION".to_string(),
                    "MESSAGE".into(),
                    "LAST TRANSITION".into(),
                ]];
                for c in conds {
                    rows.push(vec![
                        s(c, &["type"]).into(),
                        s(c, &["message"]).into(),
                        go_time(s(c, &["lastTransitionTime"])),
                    ]);
                }
                out += &table(&rows);
            }
            if let Some(op) = get(&app, &["status", "operationState"]).filter(|v| v.is_object()) {
                out.push('\n');
                out += &operation_result(op, api.now());
            }
            if let Some(op) = app.get("operation").filter(|v| v.is_object()) {
                out.push('\n');
                out += &line(
                    "Operation:",
                    "Sync (pending: Argo CD's application controller runs it)",
                );
                let rev = s(op, &["sync", "revision"]);
                out += &line(
                    "Sync Revision:",
                    if rev.is_empty() { "(target)" } else { rev },
                );
                out += &line(
                    "Initiated By:",
                    match s(op, &["initiatedBy", "username"]) {
                        "" if get(op, &["initiatedBy", "automated"]) == Some(&json!(true)) => {
                            "automated sync"
                        }
                        "" => "unknown",
                        u => u,
                    },
                );
                for (flag, ptr) in [
                    ("Prune:", &["sync", "prune"][..]),
                    ("Dry Run:", &["sync", "dryRun"][..]),
                ] {
                    if get(op, ptr) == Some(&json!(true)) {
                        out += &line(flag, "true");
                    }
                }
            }
            out.push('\n');
            out += &table(&resource_rows(&app));
            out
        }
        other => return Err(Failure::Usage(format!("unknown output format: {other}"))),
    };
    Ok(Outcome {
        text,
        structured: Some(st),
        is_error: false,
    })
}

/// `app history` (`printApplicationHistoryTable`).
pub fn history(api: &mut dyn Api, cmd: &Command) -> CmdResult {
    let (ns, name) = cmd.app_ref();
    let app = read_app(api, &ns, &name)?;
    let hist = arr(&app, &["status", "history"]);
    if matches!(cmd.parsed.value("output"), Some("json" | "yaml")) {
        let o = cmd.parsed.value("output").unwrap_or("json");
        return Ok(Outcome::text(crate::render::dump(&json!(hist), o)));
    }
    let mut keys: Vec<String> = Vec::new();
    let mut groups: Vec<Vec<Vec<String>>> = Vec::new();
    let mut push = |repo: &str, row: Vec<String>| match keys.iter().position(|k| k == repo) {
        Some(p) => groups[p].push(row),
        None => {
            keys.push(repo.to_string());
            groups.push(vec![row]);
        }
    };
    for h in hist {
        let id = i(h, &["id"]).unwrap_or(0).to_string();
        let date = go_time(s(h, &["deployedAt"]));
        let sources = arr(h, &["sources"]);
        if !sources.is_empty() {
            let revs = arr(h, &["revisions"]);
            for (k, src) in sources.iter().enumerate() {
                let mut rev = s(src, &["targetRevision"]).to_string();
                if revs.len() == sources.len() {
                    let r = revs[k].as_str().unwrap_or("");
                    if r.len() >= 7 {
                        rev = format!("{rev} ({})", &r[..7]);
                    }
                }
                push(s(src, &["repoURL"]), vec![id.clone(), date.clone(), rev]);
            }
        } else {
            let mut rev = s(h, &["source", "targetRevision"]).to_string();
            let r = s(h, &["revision"]);
            if r.len() >= 7 {
                rev = format!("{rev} ({})", &r[..7]);
            }
            push(s(h, &["source", "repoURL"]), vec![id, date, rev]);
        }
    }
    let mut text = String::new();
    for (k, key) in keys.iter().enumerate() {
        let mut rows = vec![
            vec!["SOURCE".to_string(), key.clone()],
            vec!["ID".into(), "DATE".into(), "REVISION".into()],
        ];
        rows.extend(groups[k].iter().cloned());
        text += &table(&rows);
        if k + 1 < keys.len() {
            text.push('\n');
        }
    }
    if keys.is_empty() {
        text = format!("Application {}/{name} has no deployment history.\n", ns);
    }
    Ok(Outcome {
        text,
        structured: Some(json!({"history": hist})),
        is_error: false,
    })
}

/// `app resources`: GROUP KIND NAMESPACE NAME ORPHANED (all `No`: orphaned resources are found
/// by the API server's resource tree, which this server does not reach).
pub fn resources(api: &mut dyn Api, cmd: &Command) -> CmdResult {
    let (ns, name) = cmd.app_ref();
    let app = read_app(api, &ns, &name)?;
    let mut rows = vec![
        ["GROUP", "KIND", "NAMESPACE", "NAME", "ORPHANED"]
            .map(String::from)
            .to_vec(),
    ];
    for r in arr(&app, &["status", "resources"]) {
        rows.push(vec![
            s(r, &["group"]).into(),
            s(r, &["kind"]).into(),
            s(r, &["namespace"]).into(),
            s(r, &["name"]).into(),
            "No".into(),
        ]);
    }
    Ok(Outcome::text(table(&rows)))
}

/// `app diff`: the resources Argo CD reports OutOfSync; the diff itself needs the repo server.
pub fn diff(api: &mut dyn Api, cmd: &Command) -> CmdResult {
    let (ns, name) = cmd.app_ref();
    let app = read_app(api, &ns, &name)?;
    let out: Vec<&Value> = arr(&app, &["status", "resources"])
        .iter()
        .filter(|r| s(r, &["status"]) == "OutOfSync")
        .collect();
    let mut text = String::from(
        "A diff needs the Argo CD repo server (it renders the desired manifests), which this server does not reach: no diff is shown.\n",
    );
    if out.is_empty() {
        text += &format!(
            "Argo CD reports no OutOfSync resources for {} (sync status: {}).\n",
            qualified(&app),
            s(&app, &["status", "sync", "status"])
        );
    } else {
        text += "Argo CD reports these resources OutOfSync:\n";
        let mut rows = vec![
            ["GROUP", "KIND", "NAMESPACE", "NAME", "STATUS"]
                .map(String::from)
                .to_vec(),
        ];
        for r in &out {
            rows.push(vec![
                s(r, &["group"]).into(),
                s(r, &["kind"]).into(),
                s(r, &["namespace"]).into(),
                s(r, &["name"]).into(),
                s(r, &["status"]).into(),
            ]);
        }
        text += &table(&rows);
    }
    Ok(Outcome {
        text,
        structured: Some(json!({"outOfSync": out, "diffAvailable": false})),
        is_error: false,
    })
}

/// Whether `app` satisfies `app wait`'s conditions (none given: synced, healthy, no
/// operation, as upstream waits for all three).
pub fn wait_done(app: &Value, cmd: &Command) -> bool {
    let (mut sync, mut health, mut op) = (
        cmd.parsed.bool("sync"),
        cmd.parsed.bool("health"),
        cmd.parsed.bool("operation"),
    );
    if !sync && !health && !op {
        (sync, health, op) = (true, true, true);
    }
    let synced = s(app, &["status", "sync", "status"]) == "Synced";
    let healthy = s(app, &["status", "health", "status"]) == "Healthy";
    let idle = app.get("operation").is_none_or(Value::is_null)
        && !matches!(
            s(app, &["status", "operationState", "phase"]),
            "Running" | "Terminating"
        );
    (!sync || synced) && (!health || healthy) && (!op || idle)
}

/// `app wait`: polls every 2 s until [`wait_done`], `--timeout` or the call's time budget
/// (`budget_ms`, minus a margin) runs out.
pub fn wait(api: &mut dyn Api, cmd: &Command, budget_ms: u64) -> CmdResult {
    let (ns, name) = cmd.app_ref();
    let flag_secs: Option<i64> = match cmd.parsed.value("timeout") {
        Some(t) => Some(t.parse().map_err(|_| {
            Failure::Usage(format!("invalid --timeout {t:?}: a number of seconds"))
        })?),
        None => None,
    };
    let budget = (budget_ms / 1000).saturating_sub(3) as i64;
    let limit = match flag_secs {
        Some(t) if t > 0 => t.min(budget),
        _ => budget,
    };
    let start = api.now();
    let mut polls = 0;
    loop {
        let app = read_app(api, &ns, &name)?;
        polls += 1;
        if wait_done(&app, cmd) {
            let mut text = summary_block(&app);
            text.push('\n');
            text += &table(&resource_rows(&app));
            return Ok(Outcome {
                text,
                structured: Some(summary(&app)),
                is_error: false,
            });
        }
        if api.now() - start >= limit || polls > limit / 2 + 1 {
            return Ok(Outcome {
                text: format!(
                    "timed out ({limit}s) waiting for {}: sync {}, health {}, operation {}\n",
                    qualified(&app),
                    s(&app, &["status", "sync", "status"]),
                    s(&app, &["status", "health", "status"]),
                    match s(&app, &["status", "operationState", "phase"]) {
                        "" => "none",
                        p => p,
                    }
                ),
                structured: Some(summary(&app)),
                is_error: true,
            });
        }
        std::thread::sleep(std::time::Duration::from_secs(2));
    }
}
