//! Shared pieces of the end-to-end tests, the demo and the benchmark: where the built
//! binaries are, and a real MCP client (rmcp over stdio) driving `kube-ai-proxy serve`.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use anyhow::{Context as _, Result, bail};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rmcp::model::{
    CallToolRequestParams, CallToolResult, ClientConfig, ElicitRequestParams, ElicitResult,
    ElicitationAction, ElicitationCapability, FormElicitationCapability, ProtocolVersion,
};
use rmcp::service::{ClientLifecycleMode, ClientServiceExt as _, RequestContext, RunningService};
use rmcp::transport::TokioChildProcess;
use rmcp::{ClientHandler, ErrorData as McpError, RoleClient, ServiceExt};
use serde_json::Value;

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap_or(Path::new("."))
        .to_path_buf()
}

/// `target/debug/kube-ai-proxy`.
pub fn server_bin() -> PathBuf {
    root().join("target/debug/kube-ai-proxy")
}

/// The misbehaving test plugin, copied there by `make plugins`.
pub fn misbehave_plugin() -> PathBuf {
    root().join("target/test-plugins/misbehave.wasm")
}

/// The bundled kubectl plugin.
pub fn kubectl_plugin() -> PathBuf {
    root().join("target/plugins/kubectl.wasm")
}

/// The bundled helm plugin.
pub fn helm_plugin() -> PathBuf {
    root().join("target/plugins/helm.wasm")
}

/// The real helm v4 binary built from Go modules (`KAP_HELM`, set by `make test` and
/// `make demo` from tests/cluster/build-helm.sh). Fails loudly when unset or missing.
pub fn helm_bin() -> Result<PathBuf> {
    match std::env::var("KAP_HELM") {
        Ok(h) if Path::new(&h).is_file() => Ok(PathBuf::from(h)),
        _ => bail!(
            "KAP_HELM is not set or missing: run the tests with `make test`, which builds helm from Go modules"
        ),
    }
}

/// A server config (TOML) granting the helm plugin the whole Kubernetes API, the log, and
/// `program` as `helm` with `read_dirs` and `urls` (`[grants.helm.process]`, as README's
/// Configuration shows it).
pub fn helm_config(program: &Path, read_dirs: &[&Path], urls: &[String]) -> String {
    let quoted = |v: Vec<String>| {
        v.iter()
            .map(|x| format!("{x:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!(
        "[grants.helm]\nkube = {{ verbs = [\"get\", \"list\", \"create\", \"update\", \"patch\", \"delete\", \"delete-collection\"], resources = [\"*\"], namespaces = [\"*\"] }}\nlog = true\n\n[grants.helm.process]\nprograms = {{ helm = {{ path = {:?} }} }}\nread_dirs = [{}]\nurls = [{}]\n",
        program.display().to_string(),
        quoted(read_dirs.iter().map(|d| d.display().to_string()).collect()),
        quoted(urls.to_vec()),
    )
}

/// The releases the real helm (admin kubeconfig) sees in `ns`, in every state but
/// uninstalled: (name, revision, status). Fails loudly when helm fails.
pub fn helm_releases(ns: &str) -> Vec<(String, String, String)> {
    let (ok, out) = real_helm(&[
        "list",
        "-n",
        ns,
        "-o",
        "json",
        "--deployed",
        "--failed",
        "--pending",
        "--superseded",
        "--uninstalling",
    ]);
    assert!(ok, "helm list: {out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap_or(serde_json::Value::Null);
    v.as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap_or("").to_string(),
                r["revision"].to_string().trim_matches('"').to_string(),
                r["status"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// Median and p99 of `v`, in milliseconds (for the bench binaries).
pub fn stats(mut v: Vec<std::time::Duration>) -> (f64, f64) {
    v.sort();
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
    let median = ms(v[v.len() / 2]);
    let p99 = ms(v[((v.len() as f64 * 0.99).ceil() as usize)
        .saturating_sub(1)
        .min(v.len() - 1)]);
    (median, p99)
}

/// Runs the real helm with the admin kubeconfig (the oracle of the helm tests, never
/// through the server) and returns (success, stdout+stderr). Its own scratch homes keep it
/// from reading the user's helm configuration.
pub fn real_helm(args: &[&str]) -> (bool, String) {
    let home = std::env::temp_dir().join("kap-helm-oracle");
    let out = std::process::Command::new(helm_bin().expect("KAP_HELM"))
        .args(args)
        .env("KUBECONFIG", kubeconfig().expect("KUBECONFIG"))
        .env("HELM_CACHE_HOME", home.join("cache"))
        .env("HELM_CONFIG_HOME", home.join("config"))
        .env("HELM_DATA_HOME", home.join("data"))
        .output()
        .expect("run helm");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// `KUBECONFIG` of the local cluster. Fails loudly when unset: the integration tests need
/// the real control plane (`make test` starts it).
pub fn kubeconfig() -> Result<String> {
    match std::env::var("KUBECONFIG") {
        Ok(k) if !k.is_empty() => Ok(k),
        _ => bail!(
            "KUBECONFIG is not set: run the tests with `make test`, which starts the local cluster"
        ),
    }
}

/// The restricted identity's kubeconfig (may only read pods in `kap-restricted`).
pub fn restricted_kubeconfig() -> Result<String> {
    match std::env::var("KAP_RESTRICTED_KUBECONFIG") {
        Ok(k) if !k.is_empty() && Path::new(&k).is_file() => Ok(k),
        _ => bail!("KAP_RESTRICTED_KUBECONFIG is not set or missing: run `make test`"),
    }
}

/// How to start one server.
#[derive(Debug, Clone, Default)]
pub struct ServerOpts {
    /// `KUBECONFIG` for the server; `None` leaves it unset.
    pub kubeconfig: Option<String>,
    /// `--audit-log FILE`.
    pub audit_log: Option<PathBuf>,
    /// `--config FILE` (TOML).
    pub config: Option<PathBuf>,
    /// `--plugin FILE`, each.
    pub plugins: Vec<PathBuf>,
    /// Extra environment variables (`K8S_MCP_TIMEOUT`, ...).
    pub env: Vec<(String, String)>,
    /// Extra arguments after `serve`.
    pub args: Vec<String>,
}

/// A running server and the MCP client connected to it.
pub type Client = RunningService<RoleClient, ()>;

/// A person behind an MCP client: answers every elicitation (after `delay`) with yes
/// (`accept` + `confirm: true`) or no (`decline`), and records each message shown.
#[derive(Clone, Debug)]
pub struct Person {
    /// Say yes?
    pub accept: bool,
    /// How long the person takes to answer.
    pub delay: Duration,
    /// Every message the server showed, in order.
    pub asked: Arc<Mutex<Vec<String>>>,
}

impl Person {
    /// A person who answers at once.
    pub fn new(accept: bool) -> Person {
        Person {
            accept,
            delay: Duration::ZERO,
            asked: Arc::default(),
        }
    }

    /// The messages shown so far.
    pub fn asked(&self) -> Vec<String> {
        self.asked.lock().map(|a| a.clone()).unwrap_or_default()
    }
}

impl ClientHandler for Person {
    async fn create_elicitation(
        &self,
        request: ElicitRequestParams,
        _context: RequestContext<RoleClient>,
    ) -> Result<ElicitResult, McpError> {
        let message = match &request {
            ElicitRequestParams::FormElicitationParams { message, .. } => message.clone(),
            other => format!("{other:?}"),
        };
        if let Ok(mut a) = self.asked.lock() {
            a.push(message);
        }
        tokio::time::sleep(self.delay).await;
        Ok(if self.accept {
            ElicitResult::new(ElicitationAction::Accept)
                .with_content(serde_json::json!({ "confirm": true }))
        } else {
            ElicitResult::new(ElicitationAction::Decline)
        })
    }

    fn get_info(&self) -> ClientConfig {
        let mut c = ClientConfig::default();
        c.capabilities.elicitation =
            Some(ElicitationCapability::new().with_form(FormElicitationCapability::default()));
        c
    }
}

/// Which MCP lifecycle the test client uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// `initialize` (protocol 2025-11-25): the server may send `elicitation/create`.
    Legacy,
    /// `server/discover` with protocol 2026-07-28: confirmations come as `InputRequiredResult`
    /// and the client retries.
    Modern,
}

fn server_command(opts: &ServerOpts) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(server_bin());
    cmd.arg("serve");
    if let Some(a) = &opts.audit_log {
        cmd.arg("--audit-log").arg(a);
    }
    if let Some(c) = &opts.config {
        cmd.arg("--config").arg(c);
    }
    for p in &opts.plugins {
        cmd.arg("--plugin").arg(p);
    }
    cmd.args(&opts.args);
    for var in [
        "K8S_CONTEXT",
        "K8S_NAMESPACE",
        "K8S_MCP_TIMEOUT",
        "K8S_MCP_MAX_OUTPUT",
        "KUBE_AI_PROXY_CONFIG",
    ] {
        cmd.env_remove(var);
    }
    if let Some(k) = &opts.kubeconfig {
        cmd.env("KUBECONFIG", k);
    }
    for (k, v) in &opts.env {
        cmd.env(k, v);
    }
    cmd.env(
        "KUBE_AI_PROXY_LOG",
        std::env::var("KUBE_AI_PROXY_LOG").unwrap_or_else(|_| "warn".into()),
    );
    cmd
}

/// Starts the server with a client handler (e.g. a [`Person`]) and lifecycle.
pub async fn start_with<H: ClientHandler>(
    opts: &ServerOpts,
    handler: H,
    protocol: Protocol,
) -> Result<RunningService<RoleClient, H>> {
    let (transport, _stderr) = TokioChildProcess::builder(server_command(opts))
        .stderr(Stdio::inherit())
        .spawn()
        .with_context(|| format!("cannot start {}", server_bin().display()))?;
    let lifecycle = match protocol {
        Protocol::Legacy => ClientLifecycleMode::Initialize,
        Protocol::Modern => ClientLifecycleMode::Discover {
            preferred_versions: vec![ProtocolVersion::V_2026_07_28],
        },
    };
    handler
        .serve_with_lifecycle(transport, lifecycle)
        .await
        .context("MCP lifecycle failed")
}

/// Starts `kube-ai-proxy serve` as a child process and connects the rmcp client over stdio.
pub async fn start(opts: &ServerOpts) -> Result<Client> {
    let cmd = server_command(opts);
    let (transport, _stderr) = TokioChildProcess::builder(cmd)
        .stderr(Stdio::inherit())
        .spawn()
        .with_context(|| format!("cannot start {}", server_bin().display()))?;
    let client = ().serve(transport).await.context("MCP initialize failed")?;
    Ok(client)
}

/// Calls `tool` with a JSON object of arguments.
pub async fn call<H: ClientHandler>(
    client: &RunningService<RoleClient, H>,
    tool: &str,
    args: Value,
) -> Result<CallToolResult> {
    let Value::Object(args) = args else {
        bail!("arguments must be a JSON object")
    };
    let params = CallToolRequestParams::new(tool.to_string()).with_arguments(args);
    Ok(client.call_tool(params).await?)
}

/// Runs `execute_kubectl` with a command line.
pub async fn kubectl<H: ClientHandler>(
    client: &RunningService<RoleClient, H>,
    command: &str,
) -> Result<CallToolResult> {
    call(
        client,
        "execute_kubectl",
        serde_json::json!({ "command": command }),
    )
    .await
}

/// The text content of a result, joined.
pub fn text(r: &CallToolResult) -> String {
    r.content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.clone()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Whether the result is an error result (`isError: true`).
pub fn is_error(r: &CallToolResult) -> bool {
    r.is_error.unwrap_or(false)
}

/// Runs the real kubectl (built from Kubernetes' sources; `KAP_KUBECTL`, else `kubectl` on
/// PATH, which `make test` makes the built one) against the local cluster: the independent
/// oracle of the tests. Panics with kubectl's stderr when it fails.
pub fn real_kubectl(args: &[&str]) -> String {
    let bin = std::env::var("KAP_KUBECTL").unwrap_or_else(|_| "kubectl".into());
    let out = std::process::Command::new(bin)
        .args(args)
        .env("KUBECONFIG", kubeconfig().expect("KUBECONFIG"))
        .output()
        .expect("run kubectl");
    assert!(
        out.status.success(),
        "kubectl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("kubectl output is UTF-8")
}

/// Runs the real kubectl (as [`real_kubectl`]) and returns whether it succeeded and its
/// stdout followed by its stderr, for tests that expect either outcome.
pub fn try_real_kubectl(args: &[&str]) -> (bool, String) {
    let bin = std::env::var("KAP_KUBECTL").unwrap_or_else(|_| "kubectl".into());
    let out = std::process::Command::new(bin)
        .args(args)
        .env("KUBECONFIG", kubeconfig().expect("KUBECONFIG"))
        .output()
        .expect("run kubectl");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// The message of a tool call that must be refused: the text of an error result (which
/// must have `isError`), or the JSON-RPC error's (invalid arguments are answered that way).
pub fn refusal_text(r: Result<CallToolResult>, what: &str) -> String {
    match r {
        Ok(r) => {
            assert!(is_error(&r), "{what}: not refused: {}", text(&r));
            text(&r)
        }
        Err(e) => e.to_string(),
    }
}

/// Writes `text` to `dir/name` and returns the path (a config or policy file for a server).
pub fn write_file(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap_or_else(|e| panic!("write {}: {e}", p.display()));
    p
}

/// Runs a fixture script of `tests/cluster` (e.g. `istio-fixtures.sh`) against the local
/// cluster (`KUBECONFIG`); panics with the script's stderr when it fails.
pub fn apply_fixtures(script: &str) {
    let out = std::process::Command::new(root().join("tests/cluster").join(script))
        .env("KUBECONFIG", kubeconfig().expect("KUBECONFIG"))
        .output()
        .unwrap_or_else(|e| panic!("run {script}: {e}"));
    assert!(
        out.status.success(),
        "{script} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Applies `manifest` (YAML) to the local cluster with the real kubectl
/// (`kubectl apply --server-side`), through a temporary file: objects for a benchmark.
///
/// Errors: kubectl's output when it fails.
pub fn apply_manifest(manifest: &str) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("objects.yaml");
    std::fs::write(&file, manifest)?;
    let (ok, out) =
        try_real_kubectl(&["apply", "--server-side", "-f", &file.display().to_string()]);
    if !ok {
        bail!("kubectl apply: {out}");
    }
    Ok(())
}

/// Reads an audit log as JSON values, one per line.
pub fn read_audit(path: &Path) -> Result<Vec<Value>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    text.lines()
        .map(|l| serde_json::from_str(l).with_context(|| format!("bad audit line: {l}")))
        .collect()
}
