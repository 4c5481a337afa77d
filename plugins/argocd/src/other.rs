//! `proj list|get`, `appset list|get`, `repo list`, `cluster list` and `version`.
//!
//! Repositories and clusters are Secrets in the argocd namespace labelled
//! `argocd.argoproj.io/secret-type`. The host filters them before the plugin sees them: `data`
//! is removed and `stringData` holds only the keys the operator granted, decoded. This module
//! reads only `stringData`, never `data`.

use kap_sdk::api::{Api, CmdResult, Failure, Outcome, arr, get, s, send_json};
use kap_sdk::serde_json::{Value, json};
use kap_sdk::{KubeError, Request};

use crate::app::{GROUP, VERSION, list_any_namespace};
use crate::cli::{ARGOCD_NAMESPACE, Command};
use crate::render::{dump, qualified, source, table};

/// This plugin's client version line.
pub const CLIENT_VERSION: &str = "argocd plugin 0.1.0 (Argo CD v3 semantics, --core)";

const NO_CREDS: &str =
    "Credentials are never shown to this tool: only the keys the operator lets through are read.\n";

fn output(cmd: &Command) -> &str {
    cmd.parsed.value("output").unwrap_or("wide")
}

fn count_or(list: &[Value], one: impl Fn(&Value) -> String, what: &str) -> String {
    match list.len() {
        0 => "<none>".into(),
        1 => one(&list[0]),
        n => format!("{n} {what}"),
    }
}

/// A project without its roles' JWT tokens.
pub fn strip_tokens(mut p: Value) -> Value {
    if let Some(roles) = p
        .get_mut("spec")
        .and_then(|s| s.get_mut("roles"))
        .and_then(Value::as_array_mut)
    {
        for r in roles {
            if let Some(o) = r.as_object_mut() {
                o.remove("jwtTokens");
            }
        }
    }
    if let Some(st) = p.get_mut("status").and_then(Value::as_object_mut) {
        st.remove("jwtTokensByRole");
    }
    kap_sdk::printing::strip_managed_fields(&mut p);
    p
}

fn proj_row(p: &Value) -> Vec<String> {
    let sp = &p["spec"];
    let gk = |v: &Value| format!("{}/{}", s(v, &["group"]), s(v, &["kind"]));
    vec![
        s(p, &["metadata", "name"]).into(),
        s(sp, &["description"]).into(),
        count_or(
            arr(sp, &["destinations"]),
            |d| format!("{},{}", s(d, &["server"]), s(d, &["namespace"])),
            "destinations",
        ),
        count_or(
            arr(sp, &["sourceRepos"]),
            |r| r.as_str().unwrap_or("").to_string(),
            "repos",
        ),
        count_or(arr(sp, &["clusterResourceWhitelist"]), gk, "resources"),
        count_or(arr(sp, &["namespaceResourceBlacklist"]), gk, "resources"),
        count_or(
            arr(sp, &["signatureKeys"]),
            |k| s(k, &["keyID"]).to_string(),
            "key(s)",
        ),
        if sp.get("orphanedResources").is_some_and(Value::is_object) {
            "enabled".into()
        } else {
            "disabled".into()
        },
        count_or(
            arr(sp, &["destinationServiceAccounts"]),
            |d| {
                format!(
                    "{},{},{}",
                    s(d, &["server"]),
                    s(d, &["namespace"]),
                    s(d, &["defaultServiceAccount"])
                )
            },
            "destinationServiceAccounts",
        ),
    ]
}

const PROJ_HEAD: [&str; 9] = [
    "NAME",
    "DESCRIPTION",
    "DESTINATIONS",
    "SOURCES",
    "CLUSTER-RESOURCE-WHITELIST",
    "NAMESPACE-RESOURCE-BLACKLIST",
    "SIGNATURE-KEYS",
    "ORPHANED-RESOURCES",
    "DESTINATION-SERVICE-ACCOUNTS",
];

/// `proj list`.
pub fn proj_list(api: &mut dyn Api, cmd: &Command) -> CmdResult {
    let list = send_json(
        api,
        &Request::list(GROUP, VERSION, "appprojects").namespace(ARGOCD_NAMESPACE),
    )?;
    let items: Vec<Value> = arr(&list, &["items"])
        .iter()
        .cloned()
        .map(strip_tokens)
        .collect();
    let text = match output(cmd) {
        "json" | "yaml" => dump(&json!(items), output(cmd)),
        "name" => items
            .iter()
            .map(|p| format!("{}\n", s(p, &["metadata", "name"])))
            .collect(),
        _ => {
            let mut rows = vec![PROJ_HEAD.map(String::from).to_vec()];
            rows.extend(items.iter().map(proj_row));
            table(&rows)
        }
    };
    Ok(Outcome {
        text,
        structured: Some(json!({"projects": items})),
        is_error: false,
    })
}

/// `proj get`: the project, and its roles without tokens.
pub fn proj_get(api: &mut dyn Api, cmd: &Command) -> CmdResult {
    let p = send_json(
        api,
        &Request::get(GROUP, VERSION, "appprojects", cmd.name()).namespace(ARGOCD_NAMESPACE),
    )?;
    let p = strip_tokens(p);
    let text = match output(cmd) {
        "json" | "yaml" => dump(&p, output(cmd)),
        _ => {
            let row = proj_row(&p);
            let mut out = String::new();
            for (k, v) in [
                ("Name:", &row[0]),
                ("Description:", &row[1]),
                ("Destinations:", &row[2]),
                ("Repositories:", &row[3]),
                ("Scoped Repositories:", &"<none>".to_string()),
                ("Allowed Cluster Resources:", &row[4]),
                ("Denied Namespaced Resources:", &row[5]),
                ("Signature keys:", &row[6]),
                ("Orphaned Resources:", &row[7]),
            ] {
                out += &format!("{k:<31}{v}\n");
            }
            let roles = arr(&p, &["spec", "roles"]);
            if !roles.is_empty() {
                let mut rows = vec![vec![
                    "ROLE".to_string(),
                    "DESCRIPTION".into(),
                    "POLICIES".into(),
                    "GROUPS".into(),
                ]];
                for r in roles {
                    rows.push(vec![
                        s(r, &["name"]).into(),
                        s(r, &["description"]).into(),
                        arr(r, &["policies"]).len().to_string(),
                        arr(r, &["groups"])
                            .iter()
                            .filter_map(Value::as_str)
                            .collect::<Vec<_>>()
                            .join(","),
                    ]);
                }
                out.push('\n');
                out += &table(&rows);
                out += "(JWT tokens of project roles are never shown.)\n";
            }
            out
        }
    };
    Ok(Outcome {
        text,
        structured: Some(p),
        is_error: false,
    })
}

fn appset_row(a: &Value) -> Vec<String> {
    let tspec = get(a, &["spec", "template", "spec"])
        .cloned()
        .unwrap_or(Value::Null);
    let src = source(&tspec);
    let conds: Vec<String> = arr(a, &["status", "conditions"])
        .iter()
        .filter(|c| s(c, &["status"]) == "True")
        .map(|c| {
            format!(
                "{{{} {} {}}}",
                s(c, &["type"]),
                s(c, &["message"]),
                s(c, &["reason"])
            )
        })
        .collect();
    vec![
        qualified(a),
        s(&tspec, &["project"]).into(),
        get(a, &["spec", "syncPolicy"])
            .map(|v| v.to_string())
            .unwrap_or_else(|| "nil".into()),
        s(a, &["status", "health", "status"]).into(),
        format!("[{}]", conds.join(" ")),
        s(&src, &["repoURL"]).into(),
        s(&src, &["path"]).into(),
        s(&src, &["targetRevision"]).into(),
    ]
}

/// `appset list` and `appset get`.
pub fn appset(api: &mut dyn Api, cmd: &Command) -> CmdResult {
    let (items, note) = if cmd.cmd == "appset get" {
        let (ns, name) = cmd.app_ref();
        let a = send_json(
            api,
            &Request::get(GROUP, VERSION, "applicationsets", &name).namespace(ns),
        )?;
        (vec![a], None)
    } else {
        list_any_namespace(api, "applicationsets", Vec::new())?
    };
    let mut text = match output(cmd) {
        "json" | "yaml" if cmd.cmd == "appset get" => dump(&items[0], output(cmd)),
        "json" | "yaml" => dump(&json!(items), output(cmd)),
        "name" => items.iter().map(|a| qualified(a) + "\n").collect(),
        _ => {
            let mut rows = vec![
                [
                    "NAME",
                    "PROJECT",
                    "SYNCPOLICY",
                    "HEALTH",
                    "CONDITIONS",
                    "REPO",
                    "PATH",
                    "TARGET",
                ]
                .map(String::from)
                .to_vec(),
            ];
            rows.extend(items.iter().map(appset_row));
            table(&rows)
        }
    };
    if let Some(n) = note {
        text += &n;
    }
    Ok(Outcome {
        text,
        structured: Some(json!({"applicationSets": items})),
        is_error: false,
    })
}

fn secrets(api: &mut dyn Api, kind: &str) -> Result<Result<Vec<Value>, KubeError>, Failure> {
    let req = Request::list("", "v1", "secrets")
        .namespace(ARGOCD_NAMESPACE)
        .query(
            "labelSelector",
            format!("argocd.argoproj.io/secret-type={kind}"),
        );
    match api.send(&req) {
        Ok(r) => {
            let v: Value = kap_sdk::serde_json::from_str(&r.body)
                .map_err(|e| Failure::Message(format!("the server's answer is not JSON: {e}")))?;
            Ok(Ok(arr(&v, &["items"]).to_vec()))
        }
        Err(e) => Ok(Err(e)),
    }
}

fn refusal(kind: &str, e: &KubeError) -> Outcome {
    Outcome {
        text: format!(
            "Reading the {kind} Secrets (namespace {ARGOCD_NAMESPACE}, label argocd.argoproj.io/secret-type={kind}) was refused: {}\n{NO_CREDS}",
            kap_sdk::api::kube_error_text(e)
        ),
        structured: Some(kap_sdk::api::kube_error_json(e)),
        is_error: true,
    }
}

/// The `stringData` the host let through (never `data`).
fn sd<'a>(secret: &'a Value, key: &str) -> &'a str {
    s(secret, &["stringData", key])
}

fn yes_no(v: &str) -> String {
    if v == "true" {
        "true".into()
    } else {
        "false".into()
    }
}

/// `repo list`.
pub fn repo_list(api: &mut dyn Api, cmd: &Command) -> CmdResult {
    let items = match secrets(api, "repository")? {
        Ok(v) => v,
        Err(e) => return Ok(refusal("repository", &e)),
    };
    let repos: Vec<Value> = items
        .iter()
        .map(|x| {
            json!({
                "type": match sd(x, "type") { "" => "git", t => t },
                "name": sd(x, "name"),
                "repo": sd(x, "url"),
                "insecure": sd(x, "insecure") == "true",
                "enableOCI": sd(x, "enableOCI") == "true",
                "enableLfs": sd(x, "enableLfs") == "true",
                "project": sd(x, "project"),
                "secret": s(x, &["metadata", "name"]),
            })
        })
        .collect();
    let text = match output(cmd) {
        "json" | "yaml" => dump(&json!(repos), output(cmd)),
        _ => {
            let mut rows = vec![
                [
                    "TYPE", "NAME", "REPO", "INSECURE", "OCI", "LFS", "CREDS", "STATUS", "MESSAGE",
                    "PROJECT",
                ]
                .map(String::from)
                .to_vec(),
            ];
            for (x, r) in items.iter().zip(&repos) {
                rows.push(vec![
                    s(r, &["type"]).into(),
                    sd(x, "name").into(),
                    sd(x, "url").into(),
                    yes_no(sd(x, "insecure")),
                    yes_no(sd(x, "enableOCI")),
                    yes_no(sd(x, "enableLfs")),
                    "-".into(),
                    "Unknown".into(),
                    String::new(),
                    sd(x, "project").into(),
                ]);
            }
            table(&rows)
        }
    } + NO_CREDS;
    Ok(Outcome {
        text,
        structured: Some(json!({"repositories": repos})),
        is_error: false,
    })
}

/// `cluster list`.
pub fn cluster_list(api: &mut dyn Api, cmd: &Command) -> CmdResult {
    let items = match secrets(api, "cluster")? {
        Ok(v) => v,
        Err(e) => return Ok(refusal("cluster", &e)),
    };
    let clusters: Vec<Value> = items
        .iter()
        .map(|x| {
            json!({"server": sd(x, "server"), "name": sd(x, "name"), "project": sd(x, "project"), "secret": s(x, &["metadata", "name"])})
        })
        .collect();
    let text = match output(cmd) {
        "json" | "yaml" => dump(&json!(clusters), output(cmd)),
        _ => {
            let mut rows = vec![
                ["SERVER", "NAME", "VERSION", "STATUS", "MESSAGE", "PROJECT"]
                    .map(String::from)
                    .to_vec(),
            ];
            for x in &items {
                rows.push(vec![
                    sd(x, "server").into(),
                    sd(x, "name").into(),
                    String::new(),
                    "Unknown".into(),
                    String::new(),
                    sd(x, "project").into(),
                ]);
            }
            table(&rows)
        }
    } + NO_CREDS;
    Ok(Outcome {
        text,
        structured: Some(json!({"clusters": clusters})),
        is_error: false,
    })
}

/// `version`: the client line, and Argo CD's version from the image tag of `argocd-server`
/// (else `argocd-application-controller`, a StatefulSet in most installs but a Deployment
/// in some) in the argocd namespace.
pub fn version(api: &mut dyn Api, cmd: &Command) -> CmdResult {
    let mut out = format!("argocd: {CLIENT_VERSION}\n");
    let mut server = Value::Null;
    if !cmd.parsed.bool("client") {
        for d in ["argocd-server", "argocd-application-controller"] {
            let req = Request::get("apps", "v1", "deployments", d).namespace(ARGOCD_NAMESPACE);
            if let Ok(dep) = send_json(api, &req) {
                let image = arr(&dep, &["spec", "template", "spec", "containers"])
                    .first()
                    .map(|c| s(c, &["image"]).to_string())
                    .unwrap_or_default();
                let tag = kap_sdk::printing::image_tag(&image)
                    .unwrap_or("unknown")
                    .to_string();
                out += &format!(
                    "argocd-server: {tag} (image {image}, Deployment {ARGOCD_NAMESPACE}/{d})\n"
                );
                server = json!({"version": tag, "image": image, "deployment": d});
                break;
            }
        }
        if server.is_null() {
            out += &format!(
                "argocd-server: no Argo CD server Deployment (argocd-server or argocd-application-controller) was found in namespace {ARGOCD_NAMESPACE}\n"
            );
        }
    }
    let st = json!({"client": CLIENT_VERSION, "server": server});
    let text = match output(cmd) {
        "json" | "yaml" => dump(&st, output(cmd)),
        _ => out,
    };
    Ok(Outcome {
        text,
        structured: Some(st),
        is_error: false,
    })
}
