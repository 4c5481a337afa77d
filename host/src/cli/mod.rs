//! The subcommands of `kube-ai-proxy`, one module per family, and the flags they share.

pub mod audit;
pub mod new;
pub mod pack;
pub mod plugins;
pub mod policy;
pub mod serve;

use std::path::PathBuf;

use clap::Args;
use kap_host::config::Overrides;

/// The flags of `serve` and `plugins list`: where the configuration, the plugins, the audit
/// log and the policy are.
#[derive(Args, Clone)]
pub struct Common {
    /// Config file (TOML). Also KUBE_AI_PROXY_CONFIG.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Load every *.wasm in this directory (repeatable). Also KUBE_AI_PROXY_PLUGIN_DIR.
    #[arg(long = "plugin-dir", value_name = "DIR")]
    plugin_dirs: Vec<PathBuf>,
    /// Load this plugin file (repeatable).
    #[arg(long = "plugin", value_name = "FILE")]
    plugins: Vec<PathBuf>,
    /// Audit log file (JSON lines). Also KUBE_AI_PROXY_AUDIT_LOG.
    #[arg(long, value_name = "FILE")]
    audit_log: Option<PathBuf>,
    /// Do not load the plugins bundled with this build.
    #[arg(long)]
    no_default_plugins: bool,
    /// Policy file (YAML). Also K8S_MCP_SECURITY_CONFIG or the config's `policy`.
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,
    /// Stop when any plugin fails to load (by default a plugin that fails to load is
    /// skipped with a loud error and listed as failed).
    #[arg(long)]
    require_all_plugins: bool,
}

impl From<Common> for Overrides {
    fn from(c: Common) -> Overrides {
        Overrides {
            config: c.config,
            plugin_dirs: c.plugin_dirs,
            plugins: c.plugins,
            audit_log: c.audit_log,
            no_default_plugins: c.no_default_plugins,
            policy: c.policy,
            require_all_plugins: c.require_all_plugins,
        }
    }
}
