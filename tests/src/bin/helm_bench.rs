//! helm benchmark (not a test): `execute_helm list -A` and `status` through MCP (rmcp client
//! over stdio; the real helm v4 behind the host's API proxy) against the same helm command
//! run directly with the admin kubeconfig, in the same run; the proxy's added cost per API
//! request; and the number of API requests helm makes for an install, an upgrade and an
//! uninstall, as the audit log shows them. Prints medians and p99s in milliseconds.
//!
//! Usage: `make helm-bench` (needs KUBECONFIG and KAP_HELM; BENCH_N runs, default 30).

use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use kube_ai_proxy_e2e::{
    Person, Protocol, ServerOpts, call, helm_bin, is_error, kubeconfig, read_audit, real_helm,
    root, start_with, stats, text, try_real_kubectl,
};
use serde_json::json;

#[tokio::main]
async fn main() -> Result<()> {
    const NS: &str = "kap-bench-helm";
    let n: usize = std::env::var("BENCH_N")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(30);
    let helm = helm_bin()?;
    let chart = root().join("tests/charts/web").display().to_string();
    let _ = try_real_kubectl(&["delete", "namespace", NS, "--wait=true", "--timeout=60s"]);
    let (ok, out) = try_real_kubectl(&["create", "namespace", NS]);
    if !ok {
        bail!("create namespace: {out}");
    }
    let dir = tempfile::tempdir()?;
    let audit = dir.path().join("audit.jsonl");
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        kube_ai_proxy_e2e::helm_config(&helm, &[root().join("tests/charts").as_path()], &[]),
    )?;
    let client = start_with(
        &ServerOpts {
            kubeconfig: Some(kubeconfig()?),
            audit_log: Some(audit.clone()),
            config: Some(config),
            ..Default::default()
        },
        Person::new(true),
        Protocol::Legacy,
    )
    .await?;
    let proxied = || -> Result<Vec<serde_json::Value>> {
        Ok(read_audit(&audit)?
            .into_iter()
            .filter(|r| r["capability"] == "process.proxy")
            .collect())
    };
    let mcp = |command: String| {
        let client = &client;
        async move {
            let r = call(client, "execute_helm", json!({ "command": command })).await?;
            if is_error(&r) {
                bail!("{command}: {}", text(&r));
            }
            anyhow::Ok(())
        }
    };

    // API requests per write, from the audit log.
    let mut counts = Vec::new();
    for (what, command) in [
        ("install", format!("install bench {chart} -n {NS}")),
        (
            "upgrade",
            format!("upgrade bench {chart} -n {NS} --set replicaCount=2"),
        ),
    ] {
        let before = proxied()?.len();
        mcp(command).await?;
        counts.push((what, proxied()?.len() - before));
    }

    for (label, command, direct) in [
        ("list -A", "list -A".to_string(), vec!["list", "-A"]),
        (
            "status",
            format!("status bench -n {NS}"),
            vec!["status", "bench", "-n", NS],
        ),
    ] {
        for _ in 0..3 {
            mcp(command.clone()).await?;
        }
        let before = proxied()?.len();
        let mut via = Vec::with_capacity(n);
        for _ in 0..n {
            let t = Instant::now();
            mcp(command.clone()).await?;
            via.push(t.elapsed());
        }
        let requests = (proxied()?.len() - before) as f64 / n as f64;
        let mut raw = Vec::with_capacity(n);
        for _ in 0..n {
            let t = Instant::now();
            let (ok, out) = real_helm(&direct);
            raw.push(t.elapsed());
            if !ok {
                bail!("helm {label}: {out}");
            }
        }
        let (mm, mp) = stats(via);
        let (dm, dp) = stats(raw);
        println!(
            "helm {label}: via MCP median {mm:.1} ms, p99 {mp:.1} ms; direct (admin kubeconfig) median {dm:.1} ms, p99 {dp:.1} ms; {requests:.1} API requests per call; added per request {:.1} ms ({n} runs each)",
            (mm - dm) / requests.max(1.0)
        );
    }
    let durations: Vec<Duration> = proxied()?
        .iter()
        .filter_map(|r| r["duration_ms"].as_f64())
        .map(|ms| Duration::from_secs_f64(ms / 1000.0))
        .collect();
    let (m, p) = stats(durations.clone());
    println!(
        "proxied requests: gate + forward, as audited: median {m:.2} ms, p99 {p:.2} ms ({} requests)",
        durations.len()
    );

    let before = proxied()?.len();
    mcp(format!("uninstall bench -n {NS}")).await?;
    counts.push(("uninstall", proxied()?.len() - before));
    for (what, c) in counts {
        println!("API requests helm made for {what} (audit log, process.proxy): {c}");
    }
    client.cancel().await?;
    let _ = try_real_kubectl(&["delete", "namespace", NS, "--wait=false"]);
    Ok(())
}
