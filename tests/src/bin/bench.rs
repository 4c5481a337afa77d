//! Latency benchmark (not a test): `execute_kubectl get pods -A` through MCP (rmcp client
//! over stdio) against `kubectl get pods -A` on the same cluster, plus server start to the
//! first `tools/list` answer, and a label patch in strict mode (judged by its effect: a
//! server-side dry run first) against permissive mode. Prints median and p99 in milliseconds.
//!
//! Usage: `make bench` (needs KUBECONFIG and the built kubectl on PATH or in KAP_KUBECTL).

use std::time::Instant;

use anyhow::{Result, bail};
use kube_ai_proxy_e2e::{ServerOpts, is_error, kubeconfig, kubectl, start, stats};

#[tokio::main]
async fn main() -> Result<()> {
    let n: usize = std::env::var("BENCH_N")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(200);
    let kc = kubeconfig()?;
    let audit = std::env::temp_dir().join("kap-bench-audit.jsonl");
    let opts = ServerOpts {
        kubeconfig: Some(kc.clone()),
        audit_log: Some(audit),
        ..Default::default()
    };

    let mut starts = Vec::new();
    for _ in 0..10 {
        let t = Instant::now();
        let c = start(&opts).await?;
        c.list_all_tools().await?;
        starts.push(t.elapsed());
        c.cancel().await?;
    }
    let (m, p) = stats(starts);
    println!("server start -> first tools/list answer (10 runs): median {m:.1} ms, p99 {p:.1} ms");

    let client = start(&opts).await?;
    for _ in 0..5 {
        let r = kubectl(&client, "get pods -A").await?;
        if is_error(&r) {
            bail!("warm-up call failed: {:?}", kube_ai_proxy_e2e::text(&r));
        }
    }
    let mut mcp = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        let r = kubectl(&client, "get pods -A").await?;
        mcp.push(t.elapsed());
        if is_error(&r) {
            bail!("call failed");
        }
    }
    client.cancel().await?;
    let (m, p) = stats(mcp);
    println!("execute_kubectl 'get pods -A' via MCP ({n} calls): median {m:.2} ms, p99 {p:.2} ms");

    let kubectl_bin = std::env::var("KAP_KUBECTL").unwrap_or_else(|_| "kubectl".into());
    let mut native = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        let out = std::process::Command::new(&kubectl_bin)
            .args(["get", "pods", "-A"])
            .env("KUBECONFIG", &kc)
            .output()?;
        native.push(t.elapsed());
        if !out.status.success() {
            bail!("kubectl failed: {}", String::from_utf8_lossy(&out.stderr));
        }
    }
    let (m, p) = stats(native);
    println!("{kubectl_bin} get pods -A ({n} runs): median {m:.2} ms, p99 {p:.2} ms");

    // The cost of judging a write by its effect (issue 9 §1): the same label patch in strict
    // mode (a server-side dry run and a GET of the live object first) and in permissive mode
    // (no effect check), one server each, alternating calls.
    let _ = std::process::Command::new(&kubectl_bin)
        .args(["create", "configmap", "kap-bench-patch", "-n", "kap-demo"])
        .env("KUBECONFIG", &kc)
        .output()?;
    let mut modes = Vec::new();
    for mode in ["strict", "permissive"] {
        let mut o = opts.clone();
        o.env.push(("K8S_MCP_SECURITY_MODE".into(), mode.into()));
        modes.push((mode, start(&o).await?, Vec::with_capacity(n)));
    }
    let patch_n = n.min(100);
    for i in 0..patch_n + 5 {
        for (_, client, times) in modes.iter_mut() {
            let cmd = format!(
                "patch configmap kap-bench-patch -n kap-demo --type=merge -p '{{\"metadata\":{{\"labels\":{{\"round\":\"r{i}\"}}}}}}'"
            );
            let t = Instant::now();
            let r = kubectl(client, &cmd).await?;
            if i >= 5 {
                times.push(t.elapsed());
            }
            if is_error(&r) {
                bail!("patch failed: {}", kube_ai_proxy_e2e::text(&r));
            }
        }
    }
    for (mode, client, times) in modes {
        client.cancel().await?;
        let (m, p) = stats(times);
        println!(
            "execute_kubectl 'patch configmap' via MCP, {mode} mode ({patch_n} calls): median {m:.2} ms, p99 {p:.2} ms"
        );
    }
    let _ = std::process::Command::new(&kubectl_bin)
        .args(["delete", "configmap", "kap-bench-patch", "-n", "kap-demo"])
        .env("KUBECONFIG", &kc)
        .output()?;
    Ok(())
}
