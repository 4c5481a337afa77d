//! argocd benchmark (not a test): `execute_argocd app list` through MCP (rmcp client over
//! stdio) with 300 extra Applications (namespace `kap-bench-argocd`, an apps-in-any-namespace
//! namespace, deleted afterwards), each with a realistic `.status`; and `-o name`, `-p`, `-o
//! json`. Prints medians and p99s in milliseconds, the answer sizes, the list pages read and
//! whether the host had to truncate.
//!
//! Usage: `make argocd-bench` (needs KUBECONFIG; BENCH_N runs, default 10).

use std::time::Instant;

use anyhow::Result;
use kube_ai_proxy_e2e::{
    ServerOpts, apply_manifest, call, kubeconfig, read_audit, start, stats, text, try_real_kubectl,
};
use serde_json::json;

const NS: &str = "kap-bench-argocd";
const N_APPS: usize = 300;

fn manifest() -> String {
    let mut s = format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {NS}\n");
    for i in 0..N_APPS {
        let (sync, health) = match i % 4 {
            0 => ("Synced", "Healthy"),
            1 => ("OutOfSync", "Degraded"),
            2 => ("Synced", "Progressing"),
            _ => ("OutOfSync", "Missing"),
        };
        s.push_str(&format!(
            "---\napiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: app-{i:03}\n  namespace: {NS}\nspec:\n  project: default\n  source: {{repoURL: https://git.example.com/bench/app-{i:03}.git, path: deploy, targetRevision: main}}\n  destination: {{server: https://kubernetes.default.svc, namespace: bench-{i:03}}}\nstatus:\n  sync: {{status: {sync}, revision: 1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d}}\n  health: {{status: {health}}}\n  resources:\n  - {{group: apps, version: v1, kind: Deployment, namespace: bench-{i:03}, name: app-{i:03}, status: {sync}, health: {{status: {health}}}}}\n  - {{version: v1, kind: Service, namespace: bench-{i:03}, name: app-{i:03}, status: Synced, health: {{status: Healthy}}}}\n  history:\n  - {{id: 1, revision: 1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d, deployedAt: \"2026-12-01T10:00:00Z\", source: {{repoURL: https://git.example.com/bench/app-{i:03}.git, path: deploy, targetRevision: main}}}}\n"
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
    for command in [
        "app list",
        "app list -o name",
        "app list -p default",
        "app list -o json",
    ] {
        let before = read_audit(&audit).map(|a| a.len()).unwrap_or(0);
        let mut times = Vec::new();
        let mut size = 0;
        let mut rows = 0;
        let mut truncated = false;
        for _ in 0..n {
            let t0 = Instant::now();
            let r = call(&client, "execute_argocd", json!({ "command": command })).await?;
            times.push(t0.elapsed());
            let t = text(&r);
            size = t.chars().count();
            rows = t.lines().filter(|l| l.contains("app-")).count();
            truncated = t.contains("truncated");
        }
        let after = read_audit(&audit)?;
        let requests = after[before..]
            .iter()
            .filter(|r| r["kind"] == "capability" && r["plugin"] == "argocd")
            .count()
            / n.max(1);
        let (p50, p99) = stats(times);
        println!(
            "{command:<22} ({} apps in all, {n} runs): median {p50:.1} ms, p99 {p99:.1} ms; answer {size} chars, {rows} bench rows, {requests} API request(s) per call, host truncation: {truncated}",
            N_APPS + 4
        );
    }
    client.cancel().await?;
    let _ = try_real_kubectl(&["delete", "namespace", NS, "--wait=false"]);
    Ok(())
}
