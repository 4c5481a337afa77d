//! `kubectl get`: tables from server-side printing, or the objects as JSON, YAML or names.

use serde_json::{Value, json};

use super::{
    Report, events, namespace, pretty_json, refuse_flags, resolve, strip_managed_fields, to_yaml,
};
use crate::api::{
    Api, CmdResult, Ctx, Failure, OutputFormat, ResourceInfo, Verb, api_version, is_not_found,
    kind_group, request, usage,
};
use crate::cli::Parsed;
use crate::table::{TableOptions, print_table};
use crate::tabwriter;
use crate::targets::{Target, parse_targets};

/// The `-o` forms of `get`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    Table,
    Wide,
    Json,
    Yaml,
    Name,
}

impl Output {
    /// Reads `-o`; JSONPath, templates and custom columns are refused with a clear message.
    pub fn parse(v: Option<&str>) -> Result<Output, Failure> {
        match v {
            None | Some("") => Ok(Output::Table),
            Some("wide") => Ok(Output::Wide),
            Some("json") => Ok(Output::Json),
            Some("yaml") => Ok(Output::Yaml),
            Some("name") => Ok(Output::Name),
            Some(other) => usage(format!(
                "output format {other:?} is not supported yet; use wide, json, yaml or name"
            )),
        }
    }
}

/// Kubernetes' `all` category, in the order kubectl prints it.
const ALL_ORDER: &[&str] = &[
    "pods",
    "replicationcontrollers",
    "services",
    "daemonsets",
    "deployments",
    "replicasets",
    "statefulsets",
    "horizontalpodautoscalers",
    "cronjobs",
    "jobs",
];

/// Resolves the targets, expanding the `all` category from discovery.
pub fn resolve_targets(
    api: &mut dyn Api,
    targets: &[Target],
) -> Result<Vec<(ResourceInfo, Vec<String>)>, Failure> {
    let mut out: Vec<(ResourceInfo, Vec<String>)> = Vec::new();
    for t in targets {
        if t.type_name == "all" {
            let mut all: Vec<ResourceInfo> = api
                .api_resources()?
                .into_iter()
                .filter(|r| r.categories.iter().any(|c| c == "all"))
                .collect();
            all.sort_by_key(|r| {
                (
                    ALL_ORDER
                        .iter()
                        .position(|x| *x == r.resource)
                        .unwrap_or(ALL_ORDER.len()),
                    r.resource.clone(),
                )
            });
            for r in all {
                if !out
                    .iter()
                    .any(|(o, _)| o.group == r.group && o.resource == r.resource)
                {
                    out.push((r, t.names.clone()));
                }
            }
        } else {
            let info = resolve(api, &t.type_name)?;
            if !out
                .iter()
                .any(|(o, _)| o.group == info.group && o.resource == info.resource)
            {
                out.push((info, t.names.clone()));
            }
        }
    }
    Ok(out)
}

/// Runs `kubectl get`.
pub fn run(p: &Parsed, ctx: &Ctx, api: &mut dyn Api) -> CmdResult {
    refuse_flags(
        p,
        &[
            ("watch", "a tool call returns one answer"),
            ("sort-by", "not supported yet"),
            (
                "filename",
                "files cannot be read; name the objects as TYPE NAME or TYPE/NAME",
            ),
        ],
    )?;
    let output = Output::parse(p.value("output"))?;
    let targets = parse_targets(&p.args).map_err(Failure::Usage)?;
    if targets.is_empty() {
        return usage(
            "You must specify the type of resource to get. Use \"kubectl api-resources\" for a complete list of supported resources.",
        );
    }
    let resolved = resolve_targets(api, &targets)?;
    let all_ns = p.bool("all-namespaces");
    let ns = namespace(p, ctx).to_string();

    // `get events` prints like `kubectl events` (sorted by time).
    if let [(info, names)] = resolved.as_slice()
        && info.group.is_empty()
        && info.resource == "events"
        && names.is_empty()
        && output == Output::Table
    {
        return events::list_and_print(p, ctx, api, None);
    }

    match output {
        Output::Table | Output::Wide => {
            tables(p, api, &resolved, &ns, all_ns, output == Output::Wide)
        }
        Output::Json | Output::Yaml | Output::Name => {
            objects(p, api, &resolved, &ns, all_ns, output)
        }
    }
}

fn selector_query(p: &Parsed) -> Vec<(String, String)> {
    let mut q = Vec::new();
    if let Some(l) = p.value("selector") {
        q.push(("labelSelector".to_string(), l.to_string()));
    }
    if let Some(f) = p.value("field-selector") {
        q.push(("fieldSelector".to_string(), f.to_string()));
    }
    q
}

fn no_resources(ns: &str, all_ns: bool, namespaced: bool) -> String {
    if all_ns || !namespaced {
        "No resources found".into()
    } else {
        format!("No resources found in {ns} namespace.")
    }
}

fn tables(
    p: &Parsed,
    api: &mut dyn Api,
    resolved: &[(ResourceInfo, Vec<String>)],
    ns: &str,
    all_ns: bool,
    wide: bool,
) -> CmdResult {
    let multi = resolved.len() > 1 || p.bool("show-kind");
    let label_columns: Vec<String> = p
        .value("label-columns")
        .map(|v| {
            v.split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let mut report = Report::default();
    let mut items = Vec::new();
    let mut any_namespaced = false;
    let mut printed_sections = 0;
    for (info, names) in resolved {
        any_namespaced |= info.namespaced;
        let list_all_ns = all_ns && names.is_empty() && info.namespaced;
        let opts = TableOptions {
            wide,
            namespace_column: list_all_ns,
            show_labels: p.bool("show-labels"),
            label_columns: label_columns.clone(),
            kind_prefix: multi.then(|| kind_group(info)),
        };
        let mut tables: Vec<Value> = Vec::new();
        if names.is_empty() {
            let mut req = request(Verb::List, info, (!list_all_ns).then_some(ns), None);
            req.query = selector_query(p);
            req.output = OutputFormat::Table;
            match api.send(&req) {
                Ok(r) => tables.push(parse_body(&r.body)?),
                Err(e) => report.errors.push(e),
            }
        } else {
            for name in names {
                let mut req = request(Verb::Get, info, Some(ns), Some(name));
                req.output = OutputFormat::Table;
                match api.send(&req) {
                    Ok(r) => tables.push(parse_body(&r.body)?),
                    Err(e) if is_not_found(&e) && p.bool("ignore-not-found") => {}
                    Err(e) => report.errors.push(e),
                }
            }
        }
        // Rows of one type form one table (kubectl merges named gets of one type).
        let mut header = Vec::new();
        let mut rows = Vec::new();
        for t in &tables {
            let printed = print_table(t, &opts);
            header = printed.header;
            rows.extend(printed.rows);
            for mut item in printed.items {
                if let Some(o) = item.as_object_mut() {
                    o.insert("kind".into(), json!(info.kind));
                }
                items.push(item);
            }
        }
        if rows.is_empty() {
            continue;
        }
        if printed_sections > 0 {
            report.out.push('\n');
        }
        printed_sections += 1;
        let mut all = Vec::new();
        if !p.bool("no-headers") {
            all.push(header);
        }
        all.extend(rows);
        report.out.push_str(&tabwriter::table(&all));
    }
    if printed_sections == 0 && report.errors.is_empty() {
        report.line(no_resources(ns, all_ns, any_namespaced));
    }
    let kind = match resolved {
        [(info, _)] => info.kind.clone(),
        _ => "List".to_string(),
    };
    report.structured = Some(json!({ "kind": kind, "items": items }));
    report.finish()
}

fn parse_body(body: &str) -> Result<Value, Failure> {
    serde_json::from_str(body)
        .map_err(|e| Failure::Message(format!("the server's answer is not JSON: {e}")))
}

/// Fills in `apiVersion` and `kind` (list items come without them) and drops managed fields.
fn complete(mut obj: Value, info: &ResourceInfo) -> Value {
    if let Some(o) = obj.as_object_mut() {
        o.entry("apiVersion")
            .or_insert_with(|| json!(api_version(&info.group, &info.version)));
        o.entry("kind").or_insert_with(|| json!(info.kind));
    }
    strip_managed_fields(&mut obj);
    obj
}

fn objects(
    p: &Parsed,
    api: &mut dyn Api,
    resolved: &[(ResourceInfo, Vec<String>)],
    ns: &str,
    all_ns: bool,
    output: Output,
) -> CmdResult {
    let mut report = Report::default();
    let mut objs: Vec<(Value, String)> = Vec::new();
    let mut single = true;
    for (info, names) in resolved {
        if names.is_empty() {
            single = false;
            let list_all_ns = all_ns && info.namespaced;
            let mut req = request(Verb::List, info, (!list_all_ns).then_some(ns), None);
            req.query = selector_query(p);
            match api.send(&req) {
                Ok(r) => {
                    let list = parse_body(&r.body)?;
                    for item in list
                        .get("items")
                        .and_then(Value::as_array)
                        .cloned()
                        .unwrap_or_default()
                    {
                        objs.push((complete(item, info), kind_group(info)));
                    }
                }
                Err(e) => report.errors.push(e),
            }
        } else {
            for name in names {
                match api.send(&request(Verb::Get, info, Some(ns), Some(name))) {
                    Ok(r) => objs.push((complete(parse_body(&r.body)?, info), kind_group(info))),
                    Err(e) if is_not_found(&e) && p.bool("ignore-not-found") => {}
                    Err(e) => report.errors.push(e),
                }
            }
        }
    }
    if resolved.len() > 1 || resolved.first().is_some_and(|(_, n)| n.len() != 1) {
        single = false;
    }
    if output == Output::Name {
        for (o, kg) in &objs {
            let name = o
                .get("metadata")
                .and_then(|m| m.get("name"))
                .and_then(Value::as_str)
                .unwrap_or("");
            report.line(format!("{kg}/{name}"));
        }
        return report.finish();
    }
    if objs.is_empty() && !report.errors.is_empty() {
        return report.finish();
    }
    let value = if single && objs.len() == 1 {
        objs.pop().map(|(o, _)| o).unwrap_or(Value::Null)
    } else {
        json!({
            "apiVersion": "v1",
            "items": objs.into_iter().map(|(o, _)| o).collect::<Vec<_>>(),
            "kind": "List",
            "metadata": {"resourceVersion": ""},
        })
    };
    report.out = match output {
        Output::Yaml => to_yaml(&value),
        _ => pretty_json(&value),
    };
    report.finish()
}

#[cfg(test)]
mod tests {
    use super::super::testing::{Fake, ok_json, run_line};
    use crate::api::Verb;
    use serde_json::json;

    fn pod_table(rows: &[(&str, &str)]) -> serde_json::Value {
        json!({
            "kind": "Table",
            "columnDefinitions": [
                {"name": "Name", "type": "string", "format": "name", "priority": 0},
                {"name": "Ready", "type": "string", "format": "", "priority": 0},
                {"name": "Age", "type": "string", "format": "", "priority": 0},
                {"name": "IP", "type": "string", "format": "", "priority": 1}
            ],
            "rows": rows.iter().map(|(n, ns)| json!({"cells": [n, "1/1", "5d", "10.0.0.1"], "object": {"metadata": {"name": n, "namespace": ns}}})).collect::<Vec<_>>()
        })
    }

    #[test]
    fn get_pods_table() {
        let mut f = Fake::new();
        f.on(move |r| {
            assert_eq!(r.resource, "pods");
            assert!(matches!(r.verb, Verb::List));
            assert_eq!(r.namespace.as_deref(), Some("default"));
            ok_json(pod_table(&[("web-1", "default")]))
        });
        let out = run_line(&mut f, "kubectl get pods").unwrap();
        assert_eq!(out.text, "NAME    READY   AGE\nweb-1   1/1     5d\n");
        assert!(!out.is_error);
        let s = out.structured.unwrap();
        assert_eq!(s["kind"], "Pod");
        assert_eq!(s["items"][0]["name"], "web-1");
    }

    #[test]
    fn get_pods_all_namespaces_wide() {
        let mut f = Fake::new();
        f.on(move |r| {
            assert_eq!(r.namespace, None);
            assert_eq!(
                r.query,
                vec![("labelSelector".to_string(), "app in (a,b)".to_string())]
            );
            ok_json(pod_table(&[("web-1", "default"), ("dns", "kube-system")]))
        });
        let out = run_line(&mut f, "get pods -A -o wide -l 'app in (a,b)'").unwrap();
        assert_eq!(
            out.text,
            "NAMESPACE     NAME    READY   AGE   IP\ndefault       web-1   1/1     5d    10.0.0.1\nkube-system   dns     1/1     5d    10.0.0.1\n"
        );
    }

    #[test]
    fn empty_list() {
        let mut f = Fake::new();
        f.on(|_| ok_json(pod_table(&[])));
        assert_eq!(
            run_line(&mut f, "get pods -n x").unwrap().text,
            "No resources found in x namespace.\n"
        );
        let mut f = Fake::new();
        f.on(|_| ok_json(pod_table(&[])));
        assert_eq!(
            run_line(&mut f, "get pods -A").unwrap().text,
            "No resources found\n"
        );
    }

    #[test]
    fn multiple_types_are_prefixed() {
        let mut f = Fake::new();
        f.on(|r| match r.resource.as_str() {
            "pods" => ok_json(pod_table(&[("web-1", "default")])),
            _ => ok_json(pod_table(&[("web", "default")])),
        });
        let out = run_line(&mut f, "get pods,deploy").unwrap();
        assert_eq!(
            out.text,
            "NAME        READY   AGE\npod/web-1   1/1     5d\n\nNAME                  READY   AGE\ndeployment.apps/web   1/1     5d\n"
        );
        assert_eq!(out.structured.unwrap()["kind"], "List");
    }

    #[test]
    fn named_gets_and_not_found() {
        let mut f = Fake::new();
        f.on(|r| match r.name.as_deref() {
            Some("web-1") => ok_json(pod_table(&[("web-1", "default")])),
            _ => Err(super::super::testing::not_found(
                "pods",
                r.name.as_deref().unwrap_or(""),
            )),
        });
        let out = run_line(&mut f, "get pod/web-1 pod/nope").unwrap();
        assert!(out.is_error);
        assert_eq!(
            out.text,
            "NAME    READY   AGE\nweb-1   1/1     5d\nError from server (NotFound): pods \"nope\" not found\n"
        );
        let mut f = Fake::new();
        f.on(|r| {
            Err(super::super::testing::not_found(
                "pods",
                r.name.as_deref().unwrap_or(""),
            ))
        });
        let err = run_line(&mut f, "get pods nope").unwrap_err();
        assert!(format!("{err:?}").contains("NotFound"));
        let mut f = Fake::new();
        f.on(|r| {
            Err(super::super::testing::not_found(
                "pods",
                r.name.as_deref().unwrap_or(""),
            ))
        });
        let out = run_line(&mut f, "get pods nope --ignore-not-found").unwrap();
        assert!(!out.is_error);
    }

    #[test]
    fn json_list_fills_kind() {
        let mut f = Fake::new();
        f.on(|r| {
            assert!(matches!(r.output, crate::api::OutputFormat::Json));
            ok_json(json!({"kind": "DeploymentList", "items": [{"metadata": {"name": "web", "managedFields": [{}]}}]}))
        });
        let out = run_line(&mut f, "get deploy -o json").unwrap();
        let v: serde_json::Value = serde_json::from_str(&out.text).unwrap();
        assert_eq!(v["kind"], "List");
        assert_eq!(v["items"][0]["apiVersion"], "apps/v1");
        assert_eq!(v["items"][0]["kind"], "Deployment");
        assert!(v["items"][0]["metadata"].get("managedFields").is_none());
        assert!(out.text.contains("\n    \"apiVersion\""));
    }

    #[test]
    fn single_object_yaml_and_names() {
        let mut f = Fake::new();
        f.on(|_| {
            ok_json(json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web-1"}}))
        });
        let out = run_line(&mut f, "get pod web-1 -o yaml").unwrap();
        assert_eq!(
            out.text,
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web-1\n"
        );
        let mut f = Fake::new();
        f.on(|r| match r.resource.as_str() {
            "pods" => ok_json(
                json!({"items": [{"metadata": {"name": "a"}}, {"metadata": {"name": "b"}}]}),
            ),
            _ => ok_json(json!({"items": [{"metadata": {"name": "web"}}]})),
        });
        let out = run_line(&mut f, "get pods,deployments.apps -o name").unwrap();
        assert_eq!(out.text, "pod/a\npod/b\ndeployment.apps/web\n");
    }

    #[test]
    fn refused_outputs_and_flags() {
        let mut f = Fake::new();
        assert!(
            format!(
                "{:?}",
                run_line(&mut f, "get pods -o jsonpath={.items}").unwrap_err()
            )
            .contains("not supported yet")
        );
        assert!(
            format!("{:?}", run_line(&mut f, "get pods -w").unwrap_err())
                .contains("--watch is not supported")
        );
        assert!(
            format!("{:?}", run_line(&mut f, "get").unwrap_err())
                .contains("You must specify the type")
        );
    }

    #[test]
    fn denial_is_reported() {
        let mut f = Fake::new();
        f.on(|_| {
            Err(super::super::testing::denied(
                "default.secret-contents",
                "secrets are not readable",
            ))
        });
        let err = run_line(&mut f, "get secrets").unwrap_err();
        let out = crate::tool::outcome_of(Err(err));
        let out = out.unwrap();
        assert!(out.is_error);
        assert_eq!(
            out.text,
            "Denied by policy (rule default.secret-contents): secrets are not readable\n"
        );
    }
}
