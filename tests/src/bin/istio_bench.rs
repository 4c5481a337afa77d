//! istio benchmark (not a test): `execute_istioctl analyze -A` through MCP (rmcp client over
//! stdio) on a cluster with 200 extra Services and 200 VirtualServices (namespace
//! `kap-bench-istio`, deleted afterwards), and, when `KAP_ISTIOCTL` names a real istioctl
//! (`tests/cluster/build-istioctl.sh`), the same analysis by istioctl in the same run.
//! Prints medians and p99s in milliseconds, the answer size and the number of API requests.
//!
//! Usage: `make istio-bench` (needs KUBECONFIG; BENCH_N runs, default 10).

use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use kube_ai_proxy_e2e::{
    ServerOpts, apply_manifest, call, kubeconfig, read_audit, start, stats, text, try_real_kubectl,
};
use serde_json::json;

const NS: &str = "kap-bench-istio";
const N_OBJECTS: usize = 200;

fn manifest() -> String {
    let mut s = format!(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {NS}\n  labels: {{istio-injection: disabled}}\n"
    );
    for i in 0..N_OBJECTS {
        s.push_str(&format!(
            "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: svc-{i}\n  namespace: {NS}\nspec:\n  selector: {{app: app-{i}}}\n  ports: [{{name: http, port: 80}}]\n---\napiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: vs-{i}\n  namespace: {NS}\nspec:\n  hosts: [svc-{i}]\n  http:\n  - route:\n    - destination: {{host: svc-{i}}}\n"
        ));
    }
    s
}

#[tokio::main]
async fn main() -> Result<()> {
    let n: usize = std::env::var("BENCH_N")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    apply_manifest(&manifest())?;
    let dir = tempfile::tempdir()?;
    let audit = dir.path().join("audit.jsonl");
    let client = start(&ServerOpts {
        kubeconfig: Some(kubeconfig()?),
        audit_log: Some(audit.clone()),
        ..Default::default()
    })
    .await?;
    let mut times = Vec::new();
    let mut size = 0;
    let mut findings = 0;
    for _ in 0..n {
        let t0 = Instant::now();
        let r = call(
            &client,
            "execute_istioctl",
            json!({"command": "analyze -A"}),
        )
        .await?;
        times.push(t0.elapsed());
        size = text(&r).len();
        findings = r
            .structured_content
            .as_ref()
            .and_then(|s| s["messages"].as_array().map(Vec::len))
            .unwrap_or(0);
    }
    client.cancel().await?;
    let requests = read_audit(&audit)?
        .iter()
        .filter(|r| r["kind"] == "capability" && r["plugin"] == "istio")
        .count()
        / n.max(1);
    let (p50, p99) = stats(times);
    println!(
        "analyze -A through MCP ({N_OBJECTS} extra Services + {N_OBJECTS} VirtualServices, {n} runs): median {p50:.1} ms, p99 {p99:.1} ms; answer {size} chars, {findings} messages, {requests} API requests per call"
    );
    if let Ok(istioctl) = std::env::var("KAP_ISTIOCTL") {
        let mut times: Vec<Duration> = Vec::new();
        for _ in 0..n {
            let t0 = Instant::now();
            let out = std::process::Command::new(&istioctl)
                .args(["analyze", "-A"])
                .env("KUBECONFIG", kubeconfig()?)
                .output()?;
            times.push(t0.elapsed());
            if out.stdout.is_empty() {
                bail!(
                    "istioctl printed nothing: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
        }
        let (p50, p99) = stats(times);
        println!(
            "istioctl analyze -A ({istioctl}), same cluster: median {p50:.1} ms, p99 {p99:.1} ms"
        );
    }
    let _ = try_real_kubectl(&["delete", "namespace", NS, "--wait=false"]);
    Ok(())
}
