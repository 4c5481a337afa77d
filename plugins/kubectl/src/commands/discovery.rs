//! `kubectl api-resources`, `kubectl api-versions` and `kubectl version`.

use serde_json::{Value, json};

use super::common::{pretty_json, to_yaml};
use kap_sdk::api::{Api, CmdResult, Failure, Outcome, ResourceInfo, api_version, usage};
use kap_sdk::cli::Parsed;
use kap_sdk::tabwriter;

/// The client version this plugin reports.
pub const CLIENT_VERSION: &str = "kube-ai-proxy kubectl plugin 0.1.0";

/// Sorts resources as kubectl does by default: by group, then by name.
pub fn sort_resources(list: &mut [ResourceInfo], by: &str) {
    list.sort_by(|a, b| match by {
        "name" => a.resource.cmp(&b.resource),
        "kind" => a.kind.cmp(&b.kind),
        _ => a
            .group
            .cmp(&b.group)
            .then_with(|| a.resource.cmp(&b.resource)),
    });
}

/// Runs `kubectl api-resources`.
pub fn api_resources(p: &Parsed, api: &mut dyn Api) -> CmdResult {
    let output = p.value("output").unwrap_or("");
    if !matches!(output, "" | "wide" | "name") {
        return usage(format!(
            "output format {output:?} is not supported for api-resources; use wide or name"
        ));
    }
    let sort_by = p.value("sort-by").unwrap_or("");
    if !matches!(sort_by, "" | "name" | "kind") {
        return usage(format!(
            "--sort-by accepts only name or kind, got {sort_by:?}"
        ));
    }
    let mut list = api.api_resources()?;
    if p.given("namespaced") {
        let want = p.bool("namespaced");
        list.retain(|r| r.namespaced == want);
    }
    if let Some(g) = p.value("api-group") {
        list.retain(|r| r.group == g);
    }
    if let Some(v) = p.value("verbs") {
        let verbs: Vec<&str> = v.split(',').filter(|x| !x.is_empty()).collect();
        list.retain(|r| verbs.iter().all(|v| r.verbs.iter().any(|x| x == v)));
    }
    if let Some(c) = p.value("categories") {
        let cats: Vec<&str> = c.split(',').filter(|x| !x.is_empty()).collect();
        list.retain(|r| cats.iter().all(|c| r.categories.iter().any(|x| x == c)));
    }
    sort_resources(&mut list, sort_by);
    let items: Vec<Value> = list
        .iter()
        .map(|r| {
            json!({"name": r.resource, "shortNames": r.short_names, "apiVersion": api_version(&r.group, &r.version),
                "namespaced": r.namespaced, "kind": r.kind, "verbs": r.verbs, "categories": r.categories})
        })
        .collect();
    if output == "name" {
        let text: String = list
            .iter()
            .map(|r| {
                if r.group.is_empty() {
                    format!("{}\n", r.resource)
                } else {
                    format!("{}.{}\n", r.resource, r.group)
                }
            })
            .collect();
        return Ok(Outcome::text(text));
    }
    let wide = output == "wide";
    let mut rows = Vec::new();
    if !p.bool("no-headers") {
        let mut h: Vec<String> = ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"]
            .map(String::from)
            .to_vec();
        if wide {
            h.push("VERBS".into());
            h.push("CATEGORIES".into());
        }
        rows.push(h);
    }
    for r in &list {
        let mut row = vec![
            r.resource.clone(),
            r.short_names.join(","),
            api_version(&r.group, &r.version),
            r.namespaced.to_string(),
            r.kind.clone(),
        ];
        if wide {
            row.push(format!("[{}]", r.verbs.join(" ")));
            row.push(r.categories.join(","));
        }
        rows.push(row);
    }
    Ok(Outcome {
        text: tabwriter::table(&rows),
        structured: Some(json!({"resources": items})),
        is_error: false,
    })
}

/// Runs `kubectl api-versions`: every `group/version` discovery lists, sorted.
pub fn api_versions(p: &Parsed, api: &mut dyn Api) -> CmdResult {
    if !p.args.is_empty() {
        return usage("kubectl api-versions takes no arguments");
    }
    let mut v: Vec<String> = api
        .api_resources()?
        .iter()
        .map(|r| api_version(&r.group, &r.version))
        .collect();
    v.sort();
    v.dedup();
    Ok(Outcome::text(
        v.iter().map(|x| format!("{x}\n")).collect::<String>(),
    ))
}

/// Runs `kubectl version`: this plugin's version and the server's `gitVersion`.
pub fn version(p: &Parsed, api: &mut dyn Api) -> CmdResult {
    let output = p.value("output").unwrap_or("");
    if !matches!(output, "" | "json" | "yaml") {
        return usage(format!("--output must be 'yaml' or 'json', got {output:?}"));
    }
    let client = json!({"gitVersion": CLIENT_VERSION});
    let server: Option<Value> = if p.bool("client") {
        None
    } else {
        let raw = api.server_version()?;
        Some(serde_json::from_str(&raw).map_err(|e| {
            Failure::Message(format!(
                "error: the server's /version answer is not JSON: {e}"
            ))
        })?)
    };
    match output {
        "json" | "yaml" => {
            let mut v = json!({ "clientVersion": client });
            if let Some(s) = &server {
                v["serverVersion"] = s.clone();
            }
            let text = if output == "json" {
                pretty_json(&v)
            } else {
                to_yaml(&v)
            };
            Ok(Outcome::text(text))
        }
        _ => {
            let mut text = format!("Client Version: {CLIENT_VERSION}\n");
            if let Some(s) = &server {
                let gv = s
                    .get("gitVersion")
                    .and_then(Value::as_str)
                    .unwrap_or("unknown");
                text.push_str(&format!("Server Version: {gv}\n"));
            }
            Ok(Outcome {
                text,
                structured: server.map(|s| json!({"clientVersion": client, "serverVersion": s})),
                is_error: false,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{Fake, run_line};

    #[test]
    fn api_resources_table() {
        let mut f = Fake::new();
        let out = run_line(&mut f, "api-resources --namespaced=false").unwrap();
        assert_eq!(
            out.text,
            "NAME           SHORTNAMES   APIVERSION                     NAMESPACED   KIND\nnamespaces     ns           v1                             false        Namespace\nnodes          no           v1                             false        Node\nclusterroles                rbac.authorization.k8s.io/v1   false        ClusterRole\n"
        );
        let out = run_line(&mut f, "api-resources -o name --api-group=apps").unwrap();
        assert_eq!(
            out.text,
            "daemonsets.apps\ndeployments.apps\nreplicasets.apps\nstatefulsets.apps\n"
        );
    }

    #[test]
    fn versions() {
        let mut f = Fake::new();
        let out = run_line(&mut f, "version").unwrap();
        assert_eq!(
            out.text,
            "Client Version: kube-ai-proxy kubectl plugin 0.1.0\nServer Version: v1.36.4\n"
        );
        let out = run_line(&mut f, "version -o json").unwrap();
        assert!(out.text.contains("\"gitVersion\": \"v1.36.4\""));
        let out = run_line(&mut f, "api-versions").unwrap();
        assert_eq!(
            out.text,
            "apps/v1\ndiscovery.k8s.io/v1\nrbac.authorization.k8s.io/v1\nv1\n"
        );
    }
}
