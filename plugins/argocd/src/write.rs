//! The writing `app` commands, each writing what Argo CD's API server writes
//! (`server/application/application.go`):
//!
//! * `sync` and `rollback` set `.operation` like `argo.SetAppOperation`: read the Application,
//!   refuse when `.operation` is set ("another operation is already in progress"), set
//!   `.operation`, clear `.status.operationState`, and **update** (PUT) the whole object with
//!   its `resourceVersion`, so a concurrent change fails with a conflict instead of being
//!   overwritten (the Application CRD has no status subresource, so the PUT carries status);
//! * `terminate-op` sets `.status.operationState.phase = Terminating` with an update of the
//!   Application, as `TerminateOperation` does;
//! * `delete` sets or removes the propagation-policy finalizer with a merge patch of
//!   `metadata.finalizers` when it must change, then deletes, as `Delete` does;
//! * `set` is a merge patch of the fields it changes.
//!
//! [`preview`] is the text the person sees when the host asks for confirmation.

use kap_sdk::api::{Api, CmdResult, Failure, Outcome, arr, get, s, send_json};
use kap_sdk::serde_json::{Map, Value, json};
use kap_sdk::{PatchType, Request};

use crate::app::{GROUP, VERSION, read_app};
use crate::cli::Command;
use crate::render::{automated, qualified, source};

/// The user name written to `.operation.initiatedBy.username`.
pub const INITIATOR: &str = "kube-ai-proxy";
/// Argo CD's default cascade finalizer (`ResourcesFinalizerName`).
pub const RESOURCES_FINALIZER: &str = "resources-finalizer.argocd.argoproj.io";

fn message<T>(m: impl Into<String>) -> Result<T, Failure> {
    Err(Failure::Message(m.into()))
}

fn update(api: &mut dyn Api, app: &Value) -> Result<Value, Failure> {
    let req = Request::update(
        GROUP,
        VERSION,
        "applications",
        s(app, &["metadata", "name"]),
        app.to_string(),
    )
    .namespace(s(app, &["metadata", "namespace"]));
    send_json(api, &req)
}

/// `SetAppOperation`: refuses when an operation is pending, sets it, clears the last
/// operation's state and updates the Application (one PUT with its resourceVersion).
pub fn set_operation(api: &mut dyn Api, mut app: Value, op: Value) -> Result<Value, Failure> {
    if app.get("operation").is_some_and(|o| !o.is_null()) {
        return message("another operation is already in progress");
    }
    if app
        .get("metadata")
        .and_then(|m| m.get("deletionTimestamp"))
        .is_some()
    {
        return message("application is deleting");
    }
    app["operation"] = op;
    if let Some(st) = app.get_mut("status").and_then(Value::as_object_mut) {
        st.remove("operationState");
    }
    if let Some(m) = app.get_mut("metadata").and_then(Value::as_object_mut) {
        m.remove("managedFields");
    }
    update(api, &app)
}

fn sync_options(app: &Value) -> Vec<Value> {
    arr(app, &["spec", "syncPolicy", "syncOptions"]).to_vec()
}

/// Parses `--resource GROUP:KIND:NAME` or `GROUP:KIND:NAMESPACE/NAME` into a
/// `SyncOperationResource`.
pub fn parse_resource(r: &str) -> Result<Value, Failure> {
    let f: Vec<&str> = r.split(':').collect();
    if f.len() != 3 {
        return Err(Failure::Usage(format!(
            "resource should have GROUP:KIND:NAME, but instead got: {r}"
        )));
    }
    let mut v = json!({"kind": f[1]});
    if !f[0].is_empty() {
        v["group"] = json!(f[0]);
    }
    match f[2].split_once('/') {
        Some((ns, name)) => {
            v["name"] = json!(name);
            v["namespace"] = json!(ns);
        }
        None => v["name"] = json!(f[2]),
    }
    Ok(v)
}

/// The `.operation` of `app sync`, as the API server's Sync builds it from the CLI's request.
///
/// The revision is the ambiguous one (`--revision`, else the source's `targetRevision`): the
/// API server resolves it to a commit with the repo server; here the controller resolves it.
pub fn sync_operation(app: &Value, cmd: &Command) -> Result<Value, Failure> {
    let spec = &app["spec"];
    let multi =
        !arr(spec, &["sources"]).is_empty() && spec.get("source").is_none_or(Value::is_null);
    let src0 = source(spec);
    let target = s(&src0, &["targetRevision"]);
    let wanted = cmd.parsed.value("revision").unwrap_or("");
    let head = if target.is_empty() { "HEAD" } else { target };
    if !wanted.is_empty() && wanted != head && automated(app) && !cmd.parsed.bool("dry-run") {
        return message(format!(
            "Cannot sync to {wanted}: auto-sync currently set to {target}"
        ));
    }
    let mut sync = Map::new();
    if multi {
        sync.insert("sources".into(), spec["sources"].clone());
        let revs: Vec<Value> = arr(spec, &["sources"])
            .iter()
            .map(|s| s.get("targetRevision").cloned().unwrap_or(json!("")))
            .collect();
        sync.insert("revisions".into(), json!(revs));
    } else {
        sync.insert("source".into(), source(spec));
        let rev = if wanted.is_empty() { target } else { wanted };
        if !rev.is_empty() {
            sync.insert("revision".into(), json!(rev));
        }
    }
    if cmd.parsed.bool("prune") {
        sync.insert("prune".into(), json!(true));
    }
    if cmd.parsed.bool("dry-run") {
        sync.insert("dryRun".into(), json!(true));
    }
    let force = cmd.parsed.bool("force");
    let strategy = match cmd.parsed.value("strategy").unwrap_or("hook") {
        "hook" | "" => "hook",
        "apply" => "apply",
        other => {
            return Err(Failure::Usage(format!("Unknown sync strategy: '{other}'")));
        }
    };
    let inner = if force {
        json!({"force": true})
    } else {
        json!({})
    };
    sync.insert("syncStrategy".into(), json!({ strategy: inner }));
    let resources = cmd
        .values("resource")
        .into_iter()
        .map(parse_resource)
        .collect::<Result<Vec<_>, _>>()?;
    if !resources.is_empty() {
        sync.insert("resources".into(), json!(resources));
    }
    let opts = if cmd.parsed.bool("apply-out-of-sync-only") {
        vec![json!("ApplyOutOfSyncOnly=true")]
    } else {
        sync_options(app)
    };
    if !opts.is_empty() {
        sync.insert("syncOptions".into(), json!(opts));
    }
    let mut op = json!({"sync": sync, "initiatedBy": {"username": INITIATOR}});
    if let Some(retry) = get(app, &["spec", "syncPolicy", "retry"]).filter(|v| !v.is_null()) {
        op["retry"] = retry.clone();
    }
    Ok(op)
}

fn started(app: &Value, what: &str) -> Outcome {
    Outcome {
        text: format!(
            "{what} of application {} started (operation written; Argo CD's application controller runs it). Follow it with `app get {}` or `app wait {}`.\n",
            qualified(app),
            qualified(app),
            qualified(app)
        ),
        structured: Some(json!({"application": qualified(app), "operation": app["operation"]})),
        is_error: false,
    }
}

/// `app sync`.
pub fn sync(api: &mut dyn Api, cmd: &Command) -> CmdResult {
    let (ns, name) = cmd.app_ref();
    let app = read_app(api, &ns, &name)?;
    let op = sync_operation(&app, cmd)?;
    let updated = set_operation(api, app, op)?;
    Ok(started(&updated, "Sync"))
}

/// The history entry `app rollback` goes to: `id`, or the previous one (`findRevisionHistory`).
pub fn rollback_entry(app: &Value, id: Option<i64>) -> Result<Value, Failure> {
    let hist = arr(app, &["status", "history"]);
    let name = s(app, &["metadata", "name"]);
    match id {
        None if hist.len() < 2 => message(format!(
            "application '{name}' should have at least two successful deployments"
        )),
        None => Ok(hist[hist.len() - 2].clone()),
        Some(id) => hist
            .iter()
            .find(|h| h.get("id").and_then(Value::as_i64) == Some(id))
            .cloned()
            .ok_or_else(|| {
                Failure::Message(format!(
                    "application '{name}' does not have deployment id '{id}' in history"
                ))
            }),
    }
}

/// The `.operation` of a rollback to `entry`, as the API server's Rollback builds it.
pub fn rollback_operation(app: &Value, entry: &Value, cmd: &Command) -> Result<Value, Failure> {
    if automated(app) {
        return message("rollback cannot be initiated when auto-sync is enabled");
    }
    let has_source = entry.get("source").is_some_and(|v| v.is_object());
    if !has_source && arr(entry, &["sources"]).is_empty() {
        return message(
            "cannot rollback to revision deployed with Argo CD v0.11 or lower. sync to revision instead.",
        );
    }
    let mut sync = Map::new();
    for key in ["revision", "revisions", "source", "sources"] {
        if let Some(v) = entry.get(key).filter(|v| !v.is_null()) {
            sync.insert(key.into(), v.clone());
        }
    }
    if cmd.parsed.bool("dry-run") {
        sync.insert("dryRun".into(), json!(true));
    }
    if cmd.parsed.bool("prune") {
        sync.insert("prune".into(), json!(true));
    }
    let opts = sync_options(app);
    if !opts.is_empty() {
        sync.insert("syncOptions".into(), json!(opts));
    }
    sync.insert("syncStrategy".into(), json!({"apply": {}}));
    Ok(json!({"sync": sync, "initiatedBy": {"username": INITIATOR}}))
}

fn rollback_id(cmd: &Command) -> Result<Option<i64>, Failure> {
    match cmd.parsed.args.get(1) {
        None => Ok(None),
        Some(v) => v
            .parse()
            .map(Some)
            .map_err(|_| Failure::Usage(format!("invalid history ID {v:?}"))),
    }
}

/// `app rollback`.
pub fn rollback(api: &mut dyn Api, cmd: &Command) -> CmdResult {
    let (ns, name) = cmd.app_ref();
    let app = read_app(api, &ns, &name)?;
    let entry = rollback_entry(&app, rollback_id(cmd)?)?;
    let op = rollback_operation(&app, &entry, cmd)?;
    let updated = set_operation(api, app, op)?;
    let out = started(
        &updated,
        &format!(
            "Rollback to history ID {}",
            entry.get("id").cloned().unwrap_or(json!("?"))
        ),
    );
    Ok(out)
}

/// The merge patch of `app set`, computed against the current Application.
pub fn set_patch(app: &Value, cmd: &Command) -> Result<Value, Failure> {
    let spec = &app["spec"];
    if spec.get("source").is_none_or(Value::is_null) && !arr(spec, &["sources"]).is_empty() {
        return message(
            "app set here supports single-source applications only (spec.sources needs --source-position, not supported)",
        );
    }
    let mut patch_spec = Map::new();
    let mut src = Map::new();
    if let Some(rev) = cmd.parsed.value("revision") {
        src.insert("targetRevision".into(), json!(rev));
    }
    let params = cmd.values("parameter");
    if !params.is_empty() {
        let mut list: Vec<Value> = arr(spec, &["source", "helm", "parameters"]).to_vec();
        for p in params {
            let Some((k, v)) = p.split_once('=') else {
                return Err(Failure::Usage(format!(
                    "expected parameter of the form: param=value. Received: {p}"
                )));
            };
            match list.iter_mut().find(|e| s(e, &["name"]) == k) {
                Some(e) => e["value"] = json!(v),
                None => list.push(json!({"name": k, "value": v})),
            }
        }
        src.insert("helm".into(), json!({"parameters": list}));
    }
    if !src.is_empty() {
        patch_spec.insert("source".into(), Value::Object(src));
    }
    let policy = cmd.parsed.value("sync-policy");
    let mut auto: Option<Value> = match policy {
        Some("none" | "manual") => None,
        Some("automated" | "automatic" | "auto") => Some(json!({})),
        Some(other) => return Err(Failure::Usage(format!("Invalid sync-policy: {other}"))),
        None => get(spec, &["syncPolicy", "automated"])
            .filter(|_| automated(app))
            .cloned(),
    };
    for (flag, key) in [("self-heal", "selfHeal"), ("auto-prune", "prune")] {
        if cmd.parsed.given(flag) {
            match auto.as_mut() {
                Some(a) => a[key] = json!(cmd.parsed.bool(flag)),
                None => {
                    return message(format!(
                        "Cannot set --{flag}: application not configured with automatic sync"
                    ));
                }
            }
        }
    }
    if policy.is_some() || cmd.parsed.given("self-heal") || cmd.parsed.given("auto-prune") {
        let a = match auto {
            Some(mut a) => {
                // The CLI replaces `automated` with a fresh value: unset keys are false.
                if policy.is_some() {
                    for key in ["prune", "selfHeal"] {
                        if a.get(key).is_none() {
                            a[key] = json!(false);
                        }
                    }
                }
                a
            }
            None => Value::Null,
        };
        patch_spec.insert("syncPolicy".into(), json!({ "automated": a }));
    }
    if patch_spec.is_empty() {
        return Err(Failure::Usage(
            "app set: nothing to set (give --revision, -p, --sync-policy, --self-heal or --auto-prune)".into(),
        ));
    }
    Ok(json!({ "spec": patch_spec }))
}

/// `app set`.
pub fn set(api: &mut dyn Api, cmd: &Command) -> CmdResult {
    let (ns, name) = cmd.app_ref();
    let app = read_app(api, &ns, &name)?;
    let patch = set_patch(&app, cmd)?;
    let req = Request::patch(
        GROUP,
        VERSION,
        "applications",
        &name,
        PatchType::Merge,
        patch.to_string(),
    )
    .namespace(&ns);
    let updated = send_json(api, &req)?;
    Ok(Outcome {
        text: format!("application {} updated\n", qualified(&updated)),
        structured: Some(json!({"application": qualified(&updated), "patch": patch})),
        is_error: false,
    })
}

fn is_policy_finalizer(f: &str) -> bool {
    f == RESOURCES_FINALIZER
        || f == "resources-finalizer.argocd.argoproj.io/foreground"
        || f == "resources-finalizer.argocd.argoproj.io/background"
}

/// The finalizers `app delete` writes before deleting, or `None` when they stay as they are
/// (the API server's Delete: cascading adds the propagation policy's finalizer unless it is
/// present or the app is being deleted; `--cascade=false` removes every policy finalizer).
pub fn delete_finalizers(app: &Value, cmd: &Command) -> Result<Option<Vec<String>>, Failure> {
    let cascade = cmd.parsed.value("cascade") != Some("false");
    let policy = cmd.parsed.value("propagation-policy");
    if !cascade && policy.is_some() {
        return Err(Failure::Usage(
            "cannot set propagation policy when cascading is disabled".into(),
        ));
    }
    let mut fins: Vec<String> = arr(app, &["metadata", "finalizers"])
        .iter()
        .filter_map(Value::as_str)
        .map(String::from)
        .collect();
    if cascade {
        let want = match policy.map(str::to_lowercase).as_deref() {
            None | Some("") => RESOURCES_FINALIZER.to_string(),
            Some("foreground") => format!("{RESOURCES_FINALIZER}/foreground"),
            Some("background") => format!("{RESOURCES_FINALIZER}/background"),
            Some(p) => {
                return Err(Failure::Usage(format!("invalid propagation policy: {p}")));
            }
        };
        let deleting = get(app, &["metadata", "deletionTimestamp"]).is_some();
        if fins.contains(&want) || deleting {
            return Ok(None);
        }
        fins.push(want);
        Ok(Some(fins))
    } else if fins.iter().any(|f| is_policy_finalizer(f)) {
        fins.retain(|f| !is_policy_finalizer(f));
        Ok(Some(fins))
    } else {
        Ok(None)
    }
}

/// `app delete`.
pub fn delete(api: &mut dyn Api, cmd: &Command) -> CmdResult {
    let (ns, name) = cmd.app_ref();
    let app = read_app(api, &ns, &name)?;
    if let Some(fins) = delete_finalizers(&app, cmd)? {
        let body = json!({"metadata": {"finalizers": fins}});
        let req = Request::patch(
            GROUP,
            VERSION,
            "applications",
            &name,
            PatchType::Merge,
            body.to_string(),
        )
        .namespace(&ns);
        api.send(&req)?;
    }
    let req = Request::delete(GROUP, VERSION, "applications", &name).namespace(&ns);
    api.send(&req)?;
    let cascade = cmd.parsed.value("cascade") != Some("false");
    Ok(Outcome::text(format!(
        "application '{}' deleted{}\n",
        qualified(&app),
        if cascade {
            " (cascade: Argo CD deletes its resources)"
        } else {
            " (without its resources)"
        }
    )))
}

/// `app terminate-op`.
pub fn terminate(api: &mut dyn Api, cmd: &Command) -> CmdResult {
    let (ns, name) = cmd.app_ref();
    let mut app = read_app(api, &ns, &name)?;
    let running = app.get("operation").is_some_and(|o| !o.is_null())
        && get(&app, &["status", "operationState"]).is_some_and(Value::is_object);
    if !running {
        return message("Unable to terminate operation. No operation is in progress");
    }
    app["status"]["operationState"]["phase"] = json!("Terminating");
    if let Some(m) = app.get_mut("metadata").and_then(Value::as_object_mut) {
        m.remove("managedFields");
    }
    let updated = update(api, &app)?;
    Ok(Outcome::text(format!(
        "Application '{}' operation terminating\n",
        qualified(&updated)
    )))
}

/// The confirmation text for a write (what the person sees): the resources that would be
/// pruned (sync with `--prune`: those with `requiresPruning`) or deleted (cascading delete:
/// all), the revision change and the sync policy change. `None` for commands that need no
/// confirmation text.
pub fn preview(app: &Value, cmd: &Command) -> Option<String> {
    let name = qualified(app);
    let target = s(&source(&app["spec"]), &["targetRevision"]).to_string();
    let current = s(app, &["status", "sync", "revision"]).to_string();
    let res = arr(app, &["status", "resources"]);
    let list = |rs: Vec<&Value>| -> String {
        rs.iter()
            .map(|r| {
                let g = s(r, &["group"]);
                let kind = if g.is_empty() {
                    s(r, &["kind"]).to_string()
                } else {
                    format!("{}.{g}", s(r, &["kind"]))
                };
                let ns = s(r, &["namespace"]);
                if ns.is_empty() {
                    format!("  - {kind} {}\n", s(r, &["name"]))
                } else {
                    format!("  - {kind} {ns}/{}\n", s(r, &["name"]))
                }
            })
            .collect()
    };
    let mut out = String::new();
    match cmd.cmd.as_str() {
        "app sync" => {
            out += &format!("Sync application {name}");
            if cmd.parsed.bool("dry-run") {
                out += " (dry run: nothing is changed)";
            }
            out += ".\n";
            let rev = cmd.parsed.value("revision").unwrap_or(&target);
            out += &format!(
                "Revision: {} -> {}\n",
                if current.is_empty() {
                    "(unknown)"
                } else {
                    &current
                },
                if rev.is_empty() { "HEAD" } else { rev }
            );
            if cmd.parsed.bool("prune") {
                let pr: Vec<&Value> = res
                    .iter()
                    .filter(|r| r.get("requiresPruning").and_then(Value::as_bool) == Some(true))
                    .collect();
                if pr.is_empty() {
                    out += "Prune: no resource is marked for pruning now.\n";
                } else {
                    out += &format!("Prune: these {} resources would be deleted:\n", pr.len());
                    out += &list(pr);
                }
            }
            if cmd.parsed.bool("force") {
                out += "Force: resources that cannot be patched are deleted and re-created.\n";
            }
        }
        "app rollback" => {
            let id = rollback_id(cmd).ok().flatten();
            let entry = rollback_entry(app, id).ok()?;
            out += &format!(
                "Roll back application {name} to history ID {}.\nRevision: {} -> {}\n",
                entry.get("id").cloned().unwrap_or(json!("?")),
                if current.is_empty() {
                    "(unknown)"
                } else {
                    &current
                },
                s(&entry, &["revision"])
            );
            if cmd.parsed.bool("prune") {
                out += "Prune: resources not in that revision would be deleted.\n";
            }
        }
        "app set" => {
            out += &format!("Change application {name}.\n");
            if let Some(rev) = cmd.parsed.value("revision") {
                out += &format!("Target revision: {target} -> {rev}\n");
            }
            if let Ok(p) = set_patch(app, cmd)
                && let Some(a) = get(&p, &["spec", "syncPolicy", "automated"])
            {
                let before = crate::render::sync_policy(app);
                let after = match a {
                    Value::Null => "Manual".to_string(),
                    a if a.get("prune").and_then(Value::as_bool) == Some(true)
                        || (a.get("prune").is_none() && crate::render::auto_prune(app)) =>
                    {
                        "Auto-Prune".to_string()
                    }
                    _ => "Auto".to_string(),
                };
                out += &format!("Sync policy: {before} -> {after}\n");
                if cmd.parsed.bool("auto-prune") {
                    out += "Automated pruning: Argo CD will delete resources removed from the source without asking.\n";
                }
            }
        }
        "app delete" => {
            let cascade = cmd.parsed.value("cascade") != Some("false");
            out += &format!("Delete application {name}.\n");
            if cascade && !res.is_empty() {
                out += &format!(
                    "Cascade: these {} resources would be deleted too:\n",
                    res.len()
                );
                out += &list(res.iter().collect());
            } else if !cascade {
                out += "Without cascade: its resources stay in the cluster.\n";
            }
        }
        _ => return None,
    }
    Some(out)
}
