//! Output-size measurement (not a test): how big `execute_kubectl get pods -A` answers are on
//! a cluster with 1,000 pods, next to the real `kubectl get pods -A`.
//!
//! Creates namespace `kap-scale` with 1,000 pods (four Deployments of 250 replicas, bound to
//! the KWOK nodes with `nodeName`, so KWOK runs them at once whatever the nodes' pod
//! capacity), waits until they are Running, then measures, for the real kubectl and for the
//! MCP answer (rmcp client over stdio) with the default budget (`K8S_MCP_MAX_OUTPUT` unset:
//! 100000 characters) and a small one (20000): characters and lines of the first answer,
//! the structured content's size, whether a "next page" note ends it, whether the host had to
//! truncate it, how many pages it takes to read every pod by following the notes, and the
//! wall time per call. The same for `-o json`. Deletes the namespace at the end, also when a
//! step fails.
//!
//! Usage: `make outsize` (needs KUBECONFIG and the built kubectl on PATH or in KAP_KUBECTL).
//! Env: `OUTSIZE_PODS` (default 1000), `OUTSIZE_TIMEOUT` seconds to wait for Running (300).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use kube_ai_proxy_e2e::{Client, ServerOpts, is_error, kubeconfig, kubectl, start, text};
use serde_json::json;

const NS: &str = "kap-scale";
const DEPLOYMENTS: usize = 4;

fn kubectl_bin() -> String {
    std::env::var("KAP_KUBECTL").unwrap_or_else(|_| "kubectl".into())
}

/// Runs the real kubectl; returns stdout, or fails with its stderr.
fn real(args: &[&str], stdin: Option<&str>) -> Result<String> {
    use std::io::Write as _;
    let mut child = Command::new(kubectl_bin())
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot run {}", kubectl_bin()))?;
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .context("stdin")?
            .write_all(input.as_bytes())?;
    }
    let out = child.wait_with_output()?;
    if !out.status.success() {
        bail!(
            "kubectl {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Deletes the namespace when dropped (at the end, or when a step fails).
struct Namespace;

impl Namespace {
    fn delete() {
        eprintln!("outsize: deleting namespace {NS}");
        let _ = real(
            &[
                "delete",
                "namespace",
                NS,
                "--ignore-not-found",
                "--wait=true",
                "--timeout=180s",
            ],
            None,
        );
    }
}

impl Drop for Namespace {
    fn drop(&mut self) {
        Namespace::delete();
    }
}

/// Creates the namespace and `pods` pods, and waits until they are Running.
fn create_pods(pods: usize, timeout: Duration) -> Result<Namespace> {
    Namespace::delete(); // a leftover of an interrupted run
    let nodes: Vec<String> = real(&["get", "nodes", "-o", "name"], None)?
        .lines()
        .map(|l| l.trim_start_matches("node/").to_string())
        .collect();
    if nodes.is_empty() {
        bail!("the cluster has no nodes");
    }
    let mut items =
        vec![json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}})];
    for d in 0..DEPLOYMENTS {
        let replicas = pods / DEPLOYMENTS + usize::from(d < pods % DEPLOYMENTS);
        let name = format!("scale-{d}");
        items.push(json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": name, "namespace": NS, "labels": {"app": name}},
            "spec": {
                "replicas": replicas,
                "selector": {"matchLabels": {"app": name}},
                "template": {
                    "metadata": {"labels": {"app": name}},
                    "spec": {
                        // Bound directly: the scheduler would respect the KWOK nodes' capacity
                        // (110 pods each); KWOK runs whatever is bound to its nodes.
                        "nodeName": nodes[d % nodes.len()],
                        "containers": [{"name": "app", "image": "nginx:1.27",
                                        "ports": [{"containerPort": 80}]}]
                    }
                }
            }
        }));
    }
    let guard = Namespace;
    let list = json!({"apiVersion": "v1", "kind": "List", "items": items});
    real(&["create", "-f", "-"], Some(&list.to_string()))?;
    let t = Instant::now();
    loop {
        let running = real(
            &[
                "get",
                "pods",
                "-n",
                NS,
                "--field-selector=status.phase=Running",
                "-o",
                "name",
            ],
            None,
        )?
        .lines()
        .count();
        eprintln!("outsize: {running}/{pods} pods Running");
        if running >= pods {
            break;
        }
        if t.elapsed() > timeout {
            bail!("only {running} of {pods} pods Running after {timeout:?}");
        }
        std::thread::sleep(Duration::from_secs(3));
    }
    Ok(guard)
}

/// One row of the table.
struct Row {
    what: String,
    chars: usize,
    lines: usize,
    structured: Option<usize>,
    note: Option<bool>,
    truncated: Option<bool>,
    pages: Option<usize>,
    objects: usize,
    ms: f64,
}

fn median_ms(mut v: Vec<Duration>) -> f64 {
    v.sort();
    v[v.len() / 2].as_secs_f64() * 1000.0
}

/// The real kubectl: its output's size, objects and the median time of `runs` calls.
fn measure_kubectl(args: &[&str], runs: usize, objects: impl Fn(&str) -> usize) -> Result<Row> {
    let mut times = Vec::new();
    let mut out = String::new();
    for _ in 0..runs {
        let t = Instant::now();
        out = real(args, None)?;
        times.push(t.elapsed());
    }
    Ok(Row {
        what: format!("kubectl {}", args.join(" ")),
        chars: out.chars().count(),
        lines: out.lines().count(),
        structured: None,
        note: None,
        truncated: None,
        pages: Some(1),
        objects: objects(&out),
        ms: median_ms(times),
    })
}

/// The "next page" command of an answer's note.
fn next_page(answer: &str) -> Option<String> {
    let line = answer
        .lines()
        .rev()
        .find(|l| l.starts_with("(more results"))?;
    let start = line.find("next page: ")? + "next page: ".len();
    let end = line.find("; or narrow")?;
    Some(line[start..end].to_string())
}

/// The MCP answer of `command`: the first answer's size, then every page by the notes.
async fn measure_mcp(
    c: &Client,
    label: &str,
    command: &str,
    runs: usize,
    objects: impl Fn(&str) -> usize,
) -> Result<Row> {
    let mut times = Vec::new();
    let mut first = None;
    for _ in 0..runs {
        let t = Instant::now();
        let r = kubectl(c, command).await?;
        times.push(t.elapsed());
        if is_error(&r) {
            bail!("{command}: {}", text(&r));
        }
        first = Some(r);
    }
    let first = first.context("no run")?;
    let answer = text(&first);
    let structured = first
        .structured_content
        .as_ref()
        .map(|v| v.to_string().chars().count());
    let mut pages = 1;
    let mut total = objects(&answer);
    let mut next = next_page(&answer);
    while let Some(cmd) = next.take() {
        if pages >= 5000 {
            bail!("{command}: more than 5000 pages");
        }
        let r = kubectl(c, &cmd).await?;
        if is_error(&r) {
            bail!("{cmd}: {}", text(&r));
        }
        let t = text(&r);
        total += objects(&t);
        pages += 1;
        next = next_page(&t);
    }
    Ok(Row {
        what: format!("MCP {command} ({label})"),
        chars: answer.chars().count(),
        lines: answer.lines().count(),
        structured,
        note: Some(next_page(&answer).is_some()),
        truncated: Some(answer.contains("[output truncated")),
        pages: Some(pages),
        objects: total,
        ms: median_ms(times),
    })
}

/// Pods in a table: lines that are neither the header nor a note.
fn table_rows(out: &str) -> usize {
    out.lines()
        .filter(|l| !l.starts_with("NAMESPACE ") && !l.starts_with('(') && !l.is_empty())
        .filter(|l| !l.starts_with("[output truncated"))
        .count()
}

/// Pods in `-o json` (a List, possibly followed by a note).
fn json_items(out: &str) -> usize {
    let end = out.rfind("}\n").map_or(out.len(), |e| e + 2);
    serde_json::from_str::<serde_json::Value>(&out[..end])
        .ok()
        .and_then(|v| v["items"].as_array().map(Vec::len))
        .unwrap_or(0)
}

fn print(rows: &[Row]) {
    let opt = |v: Option<usize>| v.map_or("-".to_string(), |v| v.to_string());
    let yn = |v: Option<bool>| v.map_or("-", |b| if b { "yes" } else { "no" });
    let w = rows.iter().map(|r| r.what.len()).max().unwrap_or(10);
    println!(
        "{:<w$}  {:>9}  {:>7}  {:>10}  {:>5}  {:>9}  {:>6}  {:>7}  {:>8}",
        "answer",
        "chars",
        "lines",
        "structured",
        "note",
        "truncated",
        "pages",
        "objects",
        "ms/call"
    );
    for r in rows {
        println!(
            "{:<w$}  {:>9}  {:>7}  {:>10}  {:>5}  {:>9}  {:>6}  {:>7}  {:>8.1}",
            r.what,
            r.chars,
            r.lines,
            opt(r.structured),
            yn(r.note),
            yn(r.truncated),
            opt(r.pages),
            r.objects,
            r.ms
        );
    }
}

#[tokio::main]
async fn main() -> Result<()> {
    let pods: usize = std::env::var("OUTSIZE_PODS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1000);
    let timeout = Duration::from_secs(
        std::env::var("OUTSIZE_TIMEOUT")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(300),
    );
    let kc = kubeconfig()?;
    let t = Instant::now();
    let _namespace = create_pods(pods, timeout)?;
    eprintln!(
        "outsize: {pods} pods Running in {:.1}s",
        t.elapsed().as_secs_f64()
    );

    let mut rows = vec![
        measure_kubectl(&["get", "pods", "-A"], 5, table_rows)?,
        measure_kubectl(&["get", "pods", "-A", "-o", "json"], 3, json_items)?,
    ];
    let audit = std::env::temp_dir().join("kap-outsize-audit.jsonl");
    for (label, budget) in [
        ("default budget 100000", None),
        ("budget 20000", Some(20000)),
    ] {
        let opts = ServerOpts {
            kubeconfig: Some(kc.clone()),
            audit_log: Some(audit.clone()),
            env: budget
                .map(|b: usize| vec![("K8S_MCP_MAX_OUTPUT".to_string(), b.to_string())])
                .unwrap_or_default(),
            ..Default::default()
        };
        let c = start(&opts).await?;
        kubectl(&c, "get pods -n kap-demo").await?; // warm-up
        rows.push(measure_mcp(&c, label, "get pods -A", 5, table_rows).await?);
        rows.push(measure_mcp(&c, label, "get pods -A -o json", 3, json_items).await?);
        c.cancel().await?;
    }
    println!();
    println!(
        "Output size of `get pods -A` with {pods} pods in {NS} (objects: pods read over all pages; structured: characters of structuredContent)"
    );
    print(&rows);
    Ok(())
}
