//! `kubectl top pod|node [NAME] [-n NS | -A] [-l SELECTOR] [--containers]
//! [--sort-by=cpu|memory] [--no-headers]`: resource usage from the Metrics API
//! (`metrics.k8s.io`), printed as kubectl does (CPU in millicores, memory in Mi, node
//! percentages of the allocatable amounts). Without the Metrics API: `error: Metrics API not
//! available`, kubectl's words.

use serde_json::Value;

use super::common::namespace;
use crate::targets::validate_name;
use kap_sdk::api::{
    Api, CmdResult, Ctx, Failure, KubeError, Outcome, ResourceInfo, Verb, core, get, is_not_found,
    list_items, request, s, send_json, usage,
};
use kap_sdk::cli::Parsed;
use kap_sdk::quantity::parse_milli;
use kap_sdk::tabwriter::{GET_MIN_WIDTH, GET_PADDING, align};

/// kubectl's message when the Metrics API is not served.
pub const NOT_AVAILABLE: &str = "error: Metrics API not available";

fn metrics_info(api: &mut dyn Api, resource: &str) -> Result<ResourceInfo, Failure> {
    match api.resolve(&format!("{resource}.metrics.k8s.io")) {
        Ok(info) if info.group == "metrics.k8s.io" => Ok(info),
        Ok(_) | Err(KubeError::UnknownResource(_)) => Err(Failure::Message(NOT_AVAILABLE.into())),
        Err(e) => Err(Failure::Kube(e)),
    }
}

/// Fetches metrics objects: one by name, or a list.
fn fetch(
    api: &mut dyn Api,
    info: &ResourceInfo,
    ns: Option<&str>,
    name: Option<&str>,
    selector: Option<&str>,
) -> Result<Vec<Value>, Failure> {
    let not_available = |f: Failure| match f {
        Failure::Kube(ref e) if is_not_found(e) && name.is_none() => {
            Failure::Message(NOT_AVAILABLE.into())
        }
        other => other,
    };
    if let Some(n) = name {
        return Ok(vec![
            send_json(api, &request(Verb::Get, info, ns, Some(n))).map_err(not_available)?,
        ]);
    }
    let q = selector
        .map(|l| vec![("labelSelector".to_string(), l.to_string())])
        .unwrap_or_default();
    list_items(api, info, ns, q).map_err(not_available)
}

fn usage_of(v: &Value) -> (i128, i128) {
    let q = |k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .and_then(parse_milli)
            .unwrap_or(0)
    };
    (q("cpu"), q("memory"))
}

fn cpu_text(milli: i128) -> String {
    format!("{milli}m")
}

fn mem_text(milli: i128) -> String {
    format!("{}Mi", milli / 1000 / (1024 * 1024))
}

fn print(rows: Vec<Vec<String>>, headers: bool) -> String {
    let text: String = rows
        .iter()
        .skip(usize::from(!headers))
        .map(|r| r.iter().map(|c| format!("{c}\t")).collect::<String>() + "\n")
        .collect();
    align(&text, GET_MIN_WIDTH, GET_PADDING)
}

/// Runs `kubectl top`.
pub fn run(p: &Parsed, ctx: &Ctx, api: &mut dyn Api) -> CmdResult {
    let what = p.args.first().map(String::as_str);
    let name = p.args.get(1).map(String::as_str);
    if p.args.len() > 2 {
        return usage("kubectl top takes at most one NAME");
    }
    if let Some(n) = name {
        validate_name(n).map_err(Failure::Usage)?;
        if p.given("selector") {
            return usage("only one of NAME or --selector can be provided");
        }
    }
    let sort = match p.value("sort-by") {
        None | Some("") => None,
        Some(s @ ("cpu" | "memory")) => Some(s),
        Some(other) => {
            return usage(format!(
                "--sort-by accepts only cpu or memory, not {other:?}"
            ));
        }
    };
    let headers = !p.bool("no-headers");
    match what {
        Some("pod" | "pods" | "po") => top_pods(p, ctx, api, name, sort, headers),
        Some("node" | "nodes" | "no") => {
            if p.bool("all-namespaces") || p.bool("containers") {
                return usage("kubectl top node takes neither --all-namespaces nor --containers");
            }
            top_nodes(p, api, name, sort, headers)
        }
        Some(other) => usage(format!(
            "kubectl top {other} is not available; use top pod or top node"
        )),
        None => usage("kubectl top needs a subcommand: pod or node"),
    }
}

fn sort_rows<T>(items: &mut [(T, i128, i128)], sort: Option<&str>) {
    match sort {
        Some("cpu") => items.sort_by_key(|x| std::cmp::Reverse(x.1)),
        Some("memory") => items.sort_by_key(|x| std::cmp::Reverse(x.2)),
        _ => {}
    }
}

fn top_pods(
    p: &Parsed,
    ctx: &Ctx,
    api: &mut dyn Api,
    name: Option<&str>,
    sort: Option<&str>,
    headers: bool,
) -> CmdResult {
    let info = metrics_info(api, "pods")?;
    let all = p.bool("all-namespaces") && name.is_none();
    let ns = namespace(p, ctx).to_string();
    let items = fetch(
        api,
        &info,
        (!all).then_some(ns.as_str()),
        name,
        p.value("selector"),
    )?;
    if items.is_empty() {
        return Ok(Outcome::text(if all {
            "No resources found\n".to_string()
        } else {
            format!("No resources found in {ns} namespace.\n")
        }));
    }
    let mut rows: Vec<Vec<String>> = Vec::new();
    let containers = p.bool("containers");
    let mut header: Vec<String> = Vec::new();
    if all {
        header.push("NAMESPACE".into());
    }
    if containers {
        header.extend(["POD".into(), "NAME".into()]);
    } else {
        header.push("NAME".into());
    }
    header.extend(["CPU(cores)".into(), "MEMORY(bytes)".into()]);
    rows.push(header);
    let mut measured: Vec<(Vec<String>, i128, i128)> = Vec::new();
    for pod in &items {
        let pns = s(pod, &["metadata", "namespace"]).to_string();
        let pname = s(pod, &["metadata", "name"]).to_string();
        let cs: Vec<(String, i128, i128)> = pod
            .get("containers")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or(&[])
            .iter()
            .map(|c| {
                let (cpu, mem) = usage_of(c.get("usage").unwrap_or(&Value::Null));
                (s(c, &["name"]).to_string(), cpu, mem)
            })
            .collect();
        let lead = |mut v: Vec<String>| {
            if all {
                v.insert(0, pns.clone());
            }
            v
        };
        if containers {
            for (cname, cpu, mem) in cs {
                measured.push((lead(vec![pname.clone(), cname]), cpu, mem));
            }
        } else {
            let cpu = cs.iter().map(|c| c.1).sum();
            let mem = cs.iter().map(|c| c.2).sum();
            measured.push((lead(vec![pname]), cpu, mem));
        }
    }
    sort_rows(&mut measured, sort);
    for (mut row, cpu, mem) in measured {
        row.push(cpu_text(cpu));
        row.push(mem_text(mem));
        rows.push(row);
    }
    Ok(Outcome::text(print(rows, headers)))
}

fn top_nodes(
    p: &Parsed,
    api: &mut dyn Api,
    name: Option<&str>,
    sort: Option<&str>,
    headers: bool,
) -> CmdResult {
    let info = metrics_info(api, "nodes")?;
    let metrics = fetch(api, &info, None, name, p.value("selector"))?;
    let nodes_info = core("nodes", "Node", false);
    let nodes = match name {
        Some(n) => vec![send_json(
            api,
            &request(Verb::Get, &nodes_info, None, Some(n)),
        )?],
        None => {
            let q = p
                .value("selector")
                .map(|l| vec![("labelSelector".to_string(), l.to_string())])
                .unwrap_or_default();
            list_items(api, &nodes_info, None, q)?
        }
    };
    // ((name, allocatable cpu and memory when measured), cpu, memory)
    type Measured = ((String, Option<(i128, i128)>), i128, i128);
    let mut measured: Vec<Measured> = Vec::new();
    for node in &nodes {
        let nname = s(node, &["metadata", "name"]).to_string();
        let m = metrics
            .iter()
            .find(|m| s(m, &["metadata", "name"]) == nname);
        match m {
            Some(m) => {
                let (cpu, mem) = usage_of(m.get("usage").unwrap_or(&Value::Null));
                let alloc = usage_of(get(node, &["status", "allocatable"]).unwrap_or(&Value::Null));
                measured.push(((nname, Some(alloc)), cpu, mem));
            }
            None => measured.push(((nname, None), -1, -1)),
        }
    }
    sort_rows(&mut measured, sort);
    let mut rows = vec![vec![
        "NAME".to_string(),
        "CPU(cores)".into(),
        "CPU(%)".into(),
        "MEMORY(bytes)".into(),
        "MEMORY(%)".into(),
    ]];
    let pct = |used: i128, total: i128| {
        if total > 0 {
            format!("{}%", used * 100 / total)
        } else {
            "0%".into()
        }
    };
    for ((nname, alloc), cpu, mem) in measured {
        match alloc {
            Some((acpu, amem)) => rows.push(vec![
                nname,
                cpu_text(cpu),
                pct(cpu, acpu),
                mem_text(mem),
                pct(mem, amem),
            ]),
            None => {
                let u = "<unknown>".to_string();
                rows.push(vec![nname, u.clone(), u.clone(), u.clone(), u]);
            }
        }
    }
    Ok(Outcome::text(print(rows, headers)))
}

#[cfg(test)]
mod tests {
    use super::super::testing::{Fake, ok_json, run_line};
    use super::*;
    use serde_json::json;

    fn with_metrics(f: &mut Fake) {
        let mut pods = core("pods", "PodMetrics", true);
        pods.group = "metrics.k8s.io".into();
        pods.version = "v1beta1".into();
        let mut nodes = core("nodes", "NodeMetrics", false);
        nodes.group = "metrics.k8s.io".into();
        nodes.version = "v1beta1".into();
        // After the core group's pods and nodes, as discovery orders them.
        f.resources.push(pods);
        f.resources.push(nodes);
    }

    #[test]
    fn metrics_api_not_available() {
        let mut f = Fake::new();
        let out = run_line(&mut f, "top pods");
        assert!(format!("{out:?}").contains("Metrics API not available"));
        let out = run_line(&mut f, "top node");
        assert!(format!("{out:?}").contains("Metrics API not available"));
    }

    #[test]
    fn top_pods_and_nodes() {
        let mut f = Fake::new();
        with_metrics(&mut f);
        f.on(|r| match (r.group.as_str(), r.resource.as_str()) {
            ("metrics.k8s.io", "pods") => {
                assert_eq!(r.namespace.as_deref(), Some("app"));
                ok_json(json!({"items": [
                    {"metadata": {"name": "a", "namespace": "app"}, "containers": [
                        {"name": "c1", "usage": {"cpu": "1500000n", "memory": "10Mi"}},
                        {"name": "c2", "usage": {"cpu": "2m", "memory": "5120Ki"}}]},
                    {"metadata": {"name": "bb", "namespace": "app"}, "containers": [
                        {"name": "c", "usage": {"cpu": "250m", "memory": "1Gi"}}]}]}))
            }
            ("metrics.k8s.io", "nodes") => ok_json(json!({"items": [
                {"metadata": {"name": "n1"}, "usage": {"cpu": "500m", "memory": "2Gi"}}]})),
            ("", "nodes") => ok_json(json!({"items": [
                {"metadata": {"name": "n1"}, "status": {"allocatable": {"cpu": "4", "memory": "8Gi"}}},
                {"metadata": {"name": "n2"}, "status": {"allocatable": {"cpu": "4", "memory": "8Gi"}}}]})),
            other => panic!("{other:?}"),
        });
        assert_eq!(
            run_line(&mut f, "top pods -n app --sort-by=cpu")
                .unwrap()
                .text,
            "NAME   CPU(cores)   MEMORY(bytes)   \nbb     250m         1024Mi          \na      4m           15Mi            \n"
        );
        assert_eq!(
            run_line(&mut f, "top pod -n app --containers --no-headers")
                .unwrap()
                .text,
            "a     c1    2m     10Mi     \na     c2    2m     5Mi      \nbb    c     250m   1024Mi   \n"
        );
        assert_eq!(
            run_line(&mut f, "top nodes").unwrap().text,
            "NAME   CPU(cores)   CPU(%)      MEMORY(bytes)   MEMORY(%)   \nn1     500m         12%         2048Mi          25%         \nn2     <unknown>    <unknown>   <unknown>       <unknown>   \n"
        );
    }
}
