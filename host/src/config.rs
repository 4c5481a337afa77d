//! Operator configuration: a TOML file plus the environment variables the seed servers use.
//!
//! Precedence, highest first: command-line flags, environment variables, the config file,
//! built-in defaults. Environment variables keep the seed servers' meaning
//! (alexei-led/k8s-mcp-server): `K8S_CONTEXT`, `K8S_NAMESPACE`, `K8S_MCP_TIMEOUT` (seconds per
//! call, default 300), `K8S_MCP_MAX_OUTPUT` (characters, default 100000).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use serde::Deserialize;

use crate::plugins::manifest::KubeScope;

/// Default per-call timeout in seconds (`K8S_MCP_TIMEOUT`), as the seed servers use.
pub const DEFAULT_TIMEOUT_SECS: u64 = 300;
/// Default answer budget in characters (`K8S_MCP_MAX_OUTPUT`), as the seed servers use.
pub const DEFAULT_MAX_OUTPUT: usize = 100_000;
/// Default linear-memory limit of one plugin call, in MiB.
pub const DEFAULT_MEMORY_LIMIT_MIB: u64 = 256;
/// Default linear-memory budget of all concurrent plugin calls together, in MiB.
pub const DEFAULT_MEMORY_BUDGET_MIB: u64 = 1024;
/// Default lifetime of a cached SelfSubjectAccessReview answer, in seconds.
pub const DEFAULT_RBAC_CACHE_SECS: u64 = 10;
/// Default cap on capability calls in one tool call.
pub const DEFAULT_MAX_CAPABILITY_CALLS: u32 = 500;

/// The config file as written by the operator (TOML). Every field is optional.
///
/// ```toml
/// context = "kind-dev"            # kubeconfig context (K8S_CONTEXT wins)
/// namespace = "default"           # default namespace (K8S_NAMESPACE wins)
/// timeout_secs = 300              # per call (K8S_MCP_TIMEOUT wins)
/// max_output = 100000             # characters (K8S_MCP_MAX_OUTPUT wins)
/// audit_log = "/var/log/kap.jsonl"
/// plugin_dirs = ["/opt/kap/plugins"]
/// plugins = ["/opt/kap/extra.wasm"]
/// memory_limit_mib = 256
/// memory_budget_mib = 1024         # all concurrent calls together
/// rbac_check = true
/// rbac_cache_secs = 10
/// confirm_timeout_secs = 120      # how long to wait for a person's yes (K8S_MCP_CONFIRM_TIMEOUT wins)
/// policy = "/etc/kap/policy.yaml" # gate policy, YAML (--policy / K8S_MCP_SECURITY_CONFIG win)
///
/// [grants.kubectl]                # grants replace the built-in default for that plugin
/// digest = "sha256:…"             # optional: grant only to this exact build
/// kube = { verbs = ["get", "list"], resources = ["*"], namespaces = ["*"] }
/// log = true
///
/// [grants.helm.process]           # programs the plugin may run (absent: the bundled helm
///                                 # plugin gets `helm` from PATH, other plugins nothing)
/// programs = { helm = { path = "/usr/local/bin/helm", digest = "sha256:…" } }  # digest optional
/// read_dirs = ["/srv/charts"]     # chart directories / .tgz files the child may read
/// urls = ["http://127.0.0.1:8879/"]   # chart repositories / OCI registries (prefixes)
/// args = ["^(list|status|template|install|upgrade)$"]  # optional: first argument must match one
/// ```
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// `context`: the kubeconfig context to use; `K8S_CONTEXT` wins. Absent: the
    /// kubeconfig's current context.
    pub context: Option<String>,
    /// `namespace`: the default namespace for requests that name none; `K8S_NAMESPACE` wins.
    /// Absent: the context's namespace.
    pub namespace: Option<String>,
    /// `timeout_secs`: longest a tool call may run, in seconds (at least 1);
    /// `K8S_MCP_TIMEOUT` wins. Absent: [`DEFAULT_TIMEOUT_SECS`].
    pub timeout_secs: Option<u64>,
    /// `max_output`: the answer budget, in characters (at least 1); `K8S_MCP_MAX_OUTPUT`
    /// wins. Absent: [`DEFAULT_MAX_OUTPUT`].
    pub max_output: Option<usize>,
    /// `audit_log`: the audit log file (JSON lines, appended); `--audit-log` and
    /// `KUBE_AI_PROXY_AUDIT_LOG` win. Absent: [`default_audit_log`].
    pub audit_log: Option<PathBuf>,
    /// `plugin_dirs`: directories whose `*.wasm` files are loaded, after those of
    /// `--plugin-dir` and `KUBE_AI_PROXY_PLUGIN_DIR`. When all three name none,
    /// [`default_plugin_dirs`] (unless `--no-default-plugins`).
    #[serde(default)]
    pub plugin_dirs: Vec<PathBuf>,
    /// `plugins`: plugin files loaded after the directories, after those of `--plugin`.
    #[serde(default)]
    pub plugins: Vec<PathBuf>,
    /// `memory_limit_mib`: the linear-memory limit of one plugin call, in MiB. Absent:
    /// [`DEFAULT_MEMORY_LIMIT_MIB`].
    pub memory_limit_mib: Option<u64>,
    /// `memory_budget_mib`: the linear-memory budget of all concurrent plugin calls
    /// together, in MiB, raised to at least the per-call limit. Absent:
    /// [`DEFAULT_MEMORY_BUDGET_MIB`].
    pub memory_budget_mib: Option<u64>,
    /// `rbac_check`: whether every Kubernetes request is pre-checked with a
    /// SelfSubjectAccessReview. Absent: `true`.
    pub rbac_check: Option<bool>,
    /// `rbac_cache_secs`: how long an access review answer is reused, in seconds (0 reuses
    /// none). Absent: [`DEFAULT_RBAC_CACHE_SECS`].
    pub rbac_cache_secs: Option<u64>,
    /// `max_capability_calls`: the most capability calls one tool call may make. Absent:
    /// [`DEFAULT_MAX_CAPABILITY_CALLS`].
    pub max_capability_calls: Option<u32>,
    /// `confirm_timeout_secs`: how long a confirmation waits for a person's answer, in
    /// seconds (at least 1); `K8S_MCP_CONFIRM_TIMEOUT` wins. Absent: 120.
    pub confirm_timeout_secs: Option<u64>,
    /// Policy file (YAML; see [`crate::policy::file`]). `--policy` and
    /// `K8S_MCP_SECURITY_CONFIG` win.
    pub policy: Option<PathBuf>,
    /// `[impersonate]`: act as another user and groups (Kubernetes user impersonation, the
    /// `Impersonate-User`/`Impersonate-Group` headers). Absent: the kubeconfig's identity.
    pub impersonate: Option<Impersonate>,
    /// `[grants.NAME]`: what each plugin, keyed by manifest name, may use. An entry replaces
    /// the built-in [`default_grants`] entry of that plugin; a plugin named in neither gets
    /// nothing.
    #[serde(default)]
    pub grants: BTreeMap<String, Grant>,
}

pub use crate::capabilities::kube::Impersonate;

pub use crate::plugins::manifest::Grant;

/// Command-line overrides (from `serve` and `plugins` flags).
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    /// `--config FILE`.
    pub config: Option<PathBuf>,
    /// `--plugin-dir DIR`, repeatable; replaces the default directories.
    pub plugin_dirs: Vec<PathBuf>,
    /// `--plugin FILE`, repeatable; added to what the directories hold.
    pub plugins: Vec<PathBuf>,
    /// `--audit-log FILE`.
    pub audit_log: Option<PathBuf>,
    /// `--no-default-plugins`: load no bundled plugin directory.
    pub no_default_plugins: bool,
    /// `--policy FILE`: the policy file (YAML).
    pub policy: Option<PathBuf>,
    /// `--require-all-plugins`: a plugin that fails to load stops the server (by default it
    /// is skipped with a loud error and listed as failed).
    pub require_all_plugins: bool,
}

/// The resolved configuration the host runs with.
#[derive(Debug, Clone)]
pub struct Config {
    /// kubeconfig context to use; `None` means the kubeconfig's current context.
    pub context: Option<String>,
    /// Default namespace for requests that name none; `None` means the context's.
    pub namespace: Option<String>,
    /// Longest a tool call may run (`K8S_MCP_TIMEOUT`, seconds; default 300).
    pub timeout: Duration,
    /// Answer budget in characters (`K8S_MCP_MAX_OUTPUT`; default 100000).
    pub max_output: usize,
    /// Audit log file (JSON lines, appended).
    pub audit_log: PathBuf,
    /// Directories whose `*.wasm` files are loaded, in order.
    pub plugin_dirs: Vec<PathBuf>,
    /// Plugin files loaded after the directories.
    pub plugins: Vec<PathBuf>,
    /// A plugin that fails to load stops the server (`--require-all-plugins`).
    pub require_all_plugins: bool,
    /// Linear-memory limit of one plugin call, in bytes.
    pub memory_limit_bytes: usize,
    /// Linear-memory budget of all concurrent plugin calls together, in bytes (at least the
    /// per-call limit).
    pub memory_budget_bytes: usize,
    /// Whether every Kubernetes request is pre-checked with a SelfSubjectAccessReview.
    pub rbac_check: bool,
    /// How long an access review answer is reused.
    pub rbac_cache: Duration,
    /// Most capability calls one tool call may make.
    pub max_capability_calls: u32,
    /// How long a confirmation waits for a person's answer (`K8S_MCP_CONFIRM_TIMEOUT`,
    /// seconds; default 120). Past it the request is refused.
    pub confirm_timeout: Duration,
    /// Act as another user and groups (Kubernetes impersonation); `None` acts as the
    /// kubeconfig's identity.
    pub impersonate: Option<Impersonate>,
    /// Grants by plugin name: the built-in defaults, replaced per plugin by the file's.
    pub grants: BTreeMap<String, Grant>,
    /// The gate's policy: the policy file (`--policy`, else `K8S_MCP_SECURITY_CONFIG`, else the
    /// config's `policy`) or the defaults, with `K8S_MCP_SECURITY_MODE` applied.
    pub policy: std::sync::Arc<crate::policy::Policy>,
    /// Where precompiled components are cached; `None` disables the cache.
    pub compile_cache: Option<PathBuf>,
    /// The config file read, if any.
    pub source: Option<PathBuf>,
}

/// The built-in grants used when the operator's config names no grant for a plugin:
/// the bundled `kubectl` and `helm` plugins may use the whole Kubernetes API (the policy
/// gate and RBAC still apply to every request, helm's through the process capability's API
/// proxy) and the log; `helm` runs `helm` from the server's `PATH` (no `process` entry: the
/// built-in default of [`crate::capabilities::process::grant::effective`]). The bundled
/// `istio` plugin may read Istio's resources and the objects they refer to
/// ([`ISTIO_RESOURCES`]), and create only as dry runs. The bundled `argocd` plugin may read
/// and write Argo CD's Applications, AppProjects and ApplicationSets, read Deployments, and
/// receive [`ARGOCD_SECRET_KEYS`] of Secrets labelled `argocd.argoproj.io/secret-type`.
/// Every other plugin gets nothing.
pub fn default_grants() -> BTreeMap<String, Grant> {
    let mut grants = BTreeMap::new();
    for name in ["kubectl", "helm"] {
        grants.insert(
            name.to_string(),
            Grant {
                digest: None,
                kube: Some(KubeScope::everything()),
                log: true,
                process: None,
            },
        );
    }
    // istio reads Istio's resources and what they refer to, never Secrets, and may create
    // only as a server-side dry run (`validate`); the manifest requests the same.
    grants.insert(
        "istio".to_string(),
        Grant {
            digest: None,
            kube: Some(KubeScope {
                verbs: ["get", "list", "create"].map(String::from).to_vec(),
                resources: ISTIO_RESOURCES.iter().map(|r| r.to_string()).collect(),
                namespaces: vec!["*".into()],
                dry_run_only: true,
                secret_keys: Vec::new(),
                secret_label: None,
            }),
            log: true,
            process: None,
        },
    );
    // argocd works on Argo CD's resources as `argocd --core` does; of Secrets it receives
    // only the named keys of Argo CD's repository and cluster Secrets.
    grants.insert(
        "argocd".to_string(),
        Grant {
            digest: None,
            kube: Some(KubeScope {
                verbs: ["get", "list", "update", "patch", "delete"]
                    .map(String::from)
                    .to_vec(),
                resources: [
                    "applications.argoproj.io",
                    "appprojects.argoproj.io",
                    "applicationsets.argoproj.io",
                    "secrets",
                    "deployments.apps",
                ]
                .map(String::from)
                .to_vec(),
                namespaces: vec!["*".into()],
                dry_run_only: false,
                secret_keys: ARGOCD_SECRET_KEYS.iter().map(|k| k.to_string()).collect(),
                secret_label: Some("argocd.argoproj.io/secret-type".into()),
            }),
            log: true,
            process: None,
        },
    );
    grants
}

/// The keys of Argo CD's repository and cluster Secrets the bundled argocd plugin receives
/// by default (`repo list`, `cluster list`): never passwords, SSH or TLS keys, bearer tokens
/// or a cluster's `config`.
pub const ARGOCD_SECRET_KEYS: &[&str] = &["url", "name", "project", "type", "server"];

/// What the bundled istio plugin is granted by default (read, plus `create` as a dry run):
/// Istio's API groups, the Kubernetes Gateway API's Gateways, and the core objects Istio's
/// analysis refers to. Never Secrets.
pub const ISTIO_RESOURCES: &[&str] = &[
    "*.networking.istio.io",
    "*.security.istio.io",
    "*.telemetry.istio.io",
    "*.extensions.istio.io",
    "gateways.gateway.networking.k8s.io",
    "services",
    "endpoints",
    "endpointslices.discovery.k8s.io",
    "pods",
    "namespaces",
    "deployments.apps",
    "configmaps",
];

fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn env_parse<T: std::str::FromStr>(name: &str) -> Result<Option<T>> {
    match env_var(name) {
        None => Ok(None),
        Some(v) => v
            .trim()
            .parse::<T>()
            .map(Some)
            .map_err(|_| anyhow::anyhow!("{name}={v:?} is not a valid number")),
    }
}

impl Config {
    /// Who the host acts as, for policy identity rules: the kubeconfig `context` in use and
    /// the impersonated user and groups (`[impersonate]`).
    pub fn identity(&self, context: Option<String>) -> crate::policy::Identity {
        crate::policy::Identity {
            context,
            user: self.impersonate.as_ref().map(|i| i.user.clone()),
            groups: self
                .impersonate
                .as_ref()
                .map(|i| i.groups.clone())
                .unwrap_or_default(),
        }
    }

    /// What the `kube` capability needs to connect: context, namespace, impersonation and
    /// the RBAC pre-check settings.
    pub fn kube_settings(&self) -> crate::capabilities::kube::KubeSettings {
        crate::capabilities::kube::KubeSettings {
            context: self.context.clone(),
            namespace: self.namespace.clone(),
            impersonate: self.impersonate.clone(),
            rbac_check: self.rbac_check,
            rbac_cache: self.rbac_cache,
        }
    }
}

/// The plugin directory shipped with a build: `<dir of the executable>/../plugins`
/// (`target/plugins` for a cargo build, where `make build` copies the plugins) when it
/// exists, else `$XDG_DATA_HOME/kube-ai-proxy/plugins` (where `make install` puts them).
/// At most one directory, so an installed copy and a build tree never load twice.
pub fn default_plugin_dirs() -> Vec<PathBuf> {
    let beside_exe = std::env::current_exe().ok().and_then(|exe| {
        exe.parent()
            .and_then(Path::parent)
            .map(|p| p.join("plugins"))
    });
    let data = dirs::data_dir().map(|d| d.join("kube-ai-proxy").join("plugins"));
    beside_exe
        .into_iter()
        .chain(data)
        .find(|d| d.is_dir())
        .into_iter()
        .collect()
}

/// Default audit log: `$XDG_STATE_HOME/kube-ai-proxy/audit.jsonl` (`~/.local/state/...`).
pub fn default_audit_log() -> PathBuf {
    dirs::state_dir()
        .or_else(dirs::data_local_dir)
        .unwrap_or_else(std::env::temp_dir)
        .join("kube-ai-proxy")
        .join("audit.jsonl")
}

impl Config {
    /// Loads the config file (flag `--config`, else `KUBE_AI_PROXY_CONFIG`, else none), then
    /// applies environment variables and flags.
    ///
    /// Errors: an unreadable or invalid file (unknown keys are errors), a non-numeric
    /// `K8S_MCP_TIMEOUT`/`K8S_MCP_MAX_OUTPUT`, a zero timeout or budget.
    pub fn load(over: &Overrides) -> Result<Config> {
        let path = over
            .config
            .clone()
            .or_else(|| env_var("KUBE_AI_PROXY_CONFIG").map(PathBuf::from));
        let file = match &path {
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .with_context(|| format!("cannot read config file {}", p.display()))?;
                toml::from_str::<FileConfig>(&text)
                    .with_context(|| format!("invalid config file {}", p.display()))?
            }
            None => FileConfig::default(),
        };
        Self::resolve(file, path, over)
    }

    fn resolve(file: FileConfig, source: Option<PathBuf>, over: &Overrides) -> Result<Config> {
        let timeout_secs = env_parse::<u64>("K8S_MCP_TIMEOUT")?
            .or(file.timeout_secs)
            .unwrap_or(DEFAULT_TIMEOUT_SECS);
        if timeout_secs == 0 {
            bail!("the per-call timeout must be at least 1 second");
        }
        let max_output = env_parse::<usize>("K8S_MCP_MAX_OUTPUT")?
            .or(file.max_output)
            .unwrap_or(DEFAULT_MAX_OUTPUT);
        if max_output == 0 {
            bail!("K8S_MCP_MAX_OUTPUT must be at least 1 character");
        }
        let mut plugin_dirs = over.plugin_dirs.clone();
        if let Some(d) = env_var("KUBE_AI_PROXY_PLUGIN_DIR") {
            plugin_dirs.extend(std::env::split_paths(&d));
        }
        plugin_dirs.extend(file.plugin_dirs);
        if plugin_dirs.is_empty() && !over.no_default_plugins {
            plugin_dirs = default_plugin_dirs();
        }
        let mut plugins = over.plugins.clone();
        plugins.extend(file.plugins);
        for (name, g) in &file.grants {
            if let Some(p) = &g.process {
                p.validate()
                    .map_err(|e| anyhow::anyhow!("[grants.{name}.process]: {e}"))?;
            }
        }
        let mut grants = default_grants();
        grants.extend(file.grants);
        Ok(Config {
            context: env_var("K8S_CONTEXT").or(file.context),
            namespace: env_var("K8S_NAMESPACE").or(file.namespace),
            timeout: Duration::from_secs(timeout_secs),
            max_output,
            audit_log: over
                .audit_log
                .clone()
                .or_else(|| env_var("KUBE_AI_PROXY_AUDIT_LOG").map(PathBuf::from))
                .or(file.audit_log)
                .unwrap_or_else(default_audit_log),
            plugin_dirs,
            plugins,
            require_all_plugins: over.require_all_plugins,
            memory_limit_bytes: (file.memory_limit_mib.unwrap_or(DEFAULT_MEMORY_LIMIT_MIB) << 20)
                as usize,
            memory_budget_bytes: (file
                .memory_budget_mib
                .unwrap_or(DEFAULT_MEMORY_BUDGET_MIB)
                .max(file.memory_limit_mib.unwrap_or(DEFAULT_MEMORY_LIMIT_MIB))
                << 20) as usize,
            rbac_check: file.rbac_check.unwrap_or(true),
            rbac_cache: Duration::from_secs(
                file.rbac_cache_secs.unwrap_or(DEFAULT_RBAC_CACHE_SECS),
            ),
            confirm_timeout: Duration::from_secs(
                env_parse::<u64>("K8S_MCP_CONFIRM_TIMEOUT")?
                    .or(file.confirm_timeout_secs)
                    .unwrap_or(120)
                    .max(1),
            ),
            max_capability_calls: file
                .max_capability_calls
                .unwrap_or(DEFAULT_MAX_CAPABILITY_CALLS),
            impersonate: file.impersonate,
            grants,
            policy: std::sync::Arc::new(crate::policy::Policy::load(
                over.policy
                    .clone()
                    .or_else(|| env_var("K8S_MCP_SECURITY_CONFIG").map(PathBuf::from))
                    .or(file.policy)
                    .as_deref(),
                env_var("K8S_MCP_SECURITY_MODE").as_deref(),
            )?),
            compile_cache: env_var("KUBE_AI_PROXY_CACHE_DIR")
                .map(PathBuf::from)
                .or_else(|| dirs::cache_dir().map(|d| d.join("kube-ai-proxy").join("compiled"))),
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_grants_replace_defaults_per_plugin() {
        let file: FileConfig = toml::from_str(
            r#"
            timeout_secs = 7
            [grants.kubectl]
            kube = { verbs = ["get"], resources = ["pods"], namespaces = ["default"] }
            [grants.other]
            log = true
            "#,
        )
        .unwrap();
        let cfg = Config::resolve(file, None, &Overrides::default()).unwrap();
        let kubectl = &cfg.grants["kubectl"];
        assert_eq!(kubectl.kube.as_ref().unwrap().verbs, vec!["get"]);
        assert!(!kubectl.log);
        assert!(cfg.grants["other"].kube.is_none());
        assert!(cfg.grants["other"].log);
    }

    #[test]
    fn unknown_keys_are_errors() {
        let err = toml::from_str::<FileConfig>("timeout = 3").unwrap_err();
        assert!(err.to_string().contains("unknown field"), "{err}");
    }

    #[test]
    fn defaults_match_the_seed_servers() {
        let cfg = Config::resolve(FileConfig::default(), None, &Overrides::default()).unwrap();
        assert_eq!(cfg.max_output, 100_000);
        assert_eq!(cfg.timeout, Duration::from_secs(300));
        assert!(cfg.rbac_check);
        assert!(cfg.grants.contains_key("kubectl"));
    }
}
