//! The `kube-ai-proxy` command: `serve` (MCP over stdio), `plugins list`, `plugins inspect`,
//! `audit verify`, `policy check` and `policy lint`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use kube_ai_proxy::config::{Config, Overrides};
use kube_ai_proxy::mcp::Server;
use rmcp::ServiceExt;

/// An MCP server that lets AI assistants operate Kubernetes clusters through sandboxed
/// WebAssembly plugins, under the operator's policy and Kubernetes RBAC.
#[derive(Parser)]
#[command(name = "kube-ai-proxy", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve MCP over stdio (for Claude Desktop: "command": "kube-ai-proxy", "args": ["serve"]).
    Serve(Common),
    /// Inspect the plugins this configuration loads.
    Plugins {
        #[command(subcommand)]
        command: PluginsCommand,
    },
    /// Check the audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Explain and check the gate's policy offline (no cluster needed).
    Policy {
        #[command(subcommand)]
        command: PolicyCommand,
    },
}

#[derive(Subcommand)]
enum PolicyCommand {
    /// Print the gate's decision without touching the cluster, for a command line
    /// (`policy check 'kubectl -n web delete pod x'`: the plugin serving --tool parses and
    /// normalizes it, the command rules and every planned request are decided) or for one
    /// request (--verb/--resource). Exit status: 0 allowed, 1 denied, 2 usage or
    /// configuration error, 3 allowed only after a person confirms. The plugin's manifest
    /// is not read: requests are assumed to be within what it requested.
    Check(Box<CheckArgs>),
    /// Report unknown keys, invalid verbs/modes/effects, unreachable rules and command-string
    /// rules that are accepted but not enforced. Exit status: 0 clean, 1 findings, 2 unreadable.
    Lint {
        /// The policy file (YAML).
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// Print JSON: [{"line", "message"}].
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args)]
struct CheckArgs {
    /// A command line for the tool (`kubectl delete pod web-1 -n kap-demo`); instead of
    /// --verb and --resource.
    #[arg(value_name = "COMMAND", required_unless_present = "verb")]
    command: Option<String>,
    /// Verb: get, list, create, update, patch, delete, delete-collection.
    #[arg(long, requires = "resource", conflicts_with = "command")]
    verb: Option<String>,
    /// Resource, plural: `pods`, `deployments.apps`, `pods/log` (common resources get their
    /// group when none is given).
    #[arg(long, requires = "verb")]
    resource: Option<String>,
    /// Subresource (`log`, `scale`, `exec`, ...).
    #[arg(long)]
    subresource: Option<String>,
    /// Namespace (none: cluster-scoped or all namespaces).
    #[arg(short = 'n', long)]
    namespace: Option<String>,
    /// Object name.
    #[arg(long)]
    name: Option<String>,
    /// Plugin making the request.
    #[arg(long, default_value = "kubectl")]
    plugin: String,
    /// MCP tool being called.
    #[arg(long, default_value = "execute_kubectl")]
    tool: String,
    /// Identity (kubeconfig context name); default: K8S_CONTEXT, the config's, else the
    /// kubeconfig's current context.
    #[arg(long)]
    context: Option<String>,
    /// Policy file (YAML). Also K8S_MCP_SECURITY_CONFIG or the config's `policy`.
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,
    /// Config file (TOML) whose grants apply. Also KUBE_AI_PROXY_CONFIG.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Print JSON: {"request", "plugin", "tool", "identity", "mode", "policy", "decision"}.
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Recompute the hash chain of an audit log. Exit status: 0 intact, 1 not intact (the
    /// first problem and its line are printed), 2 usage or I/O error. Cannot see records
    /// removed from the end: keep the printed last hash elsewhere as an anchor.
    Verify {
        /// The audit log (JSON lines).
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// Print JSON: {"ok", "records", "last_hash", "problem": null | {"line", "kind", "message"}}.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum PluginsCommand {
    /// List loaded plugins: name, version, digest, tools, requested and granted capabilities.
    List {
        #[command(flatten)]
        common: Common,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Show a plugin file's digest, WIT, imports, declared tools, requested capabilities and
    /// effective grant under the configuration, without running it (no cluster needed).
    Inspect {
        /// The plugin component (.wasm).
        #[arg(value_name = "FILE.wasm")]
        file: PathBuf,
        /// Config file (TOML) whose grants apply. Also KUBE_AI_PROXY_CONFIG.
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args, Clone)]
struct Common {
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
        }
    }
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("KUBE_AI_PROXY_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // stdout carries the MCP protocol: logs go to stderr only.
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .init();
}

async fn serve(common: Common) -> anyhow::Result<()> {
    let host = kube_ai_proxy::start(&common.into()).await?;
    let policy = &host.services().config.policy;
    tracing::info!(mode = policy.mode.as_str(), file = ?policy.source, rules = policy.rules.len(), "policy loaded");
    if !policy.commands.is_empty() && policy.mode == kube_ai_proxy::policy::Mode::Permissive {
        tracing::warn!(
            "the policy's command-string rules (dangerous_commands, regex_rules) are not enforced in permissive mode, as in the seed server"
        );
    }
    let names: Vec<String> = host.tools().map(|(_, t)| t.name.clone()).collect();
    tracing::info!(tools = ?names, audit = %host.services().audit.path().display(), "serving MCP over stdio");
    let service = Server::new(host).serve(rmcp::transport::stdio()).await?;
    service.waiting().await?;
    Ok(())
}

fn scope_text(s: Option<&kube_ai_proxy::plugins::manifest::KubeScope>) -> String {
    match s {
        None => "none".into(),
        Some(s) => format!(
            "verbs=[{}] resources=[{}] namespaces=[{}]",
            s.verbs.join(","),
            s.resources.join(","),
            s.namespaces.join(",")
        ),
    }
}

async fn plugins_list(common: Common, json: bool) -> anyhow::Result<()> {
    let host = kube_ai_proxy::start(&common.into()).await?;
    let config: &Config = &host.services().config;
    let mut out = Vec::new();
    for p in host.plugins() {
        let m = &p.info.manifest;
        let requested = m.capabilities.kube.as_ref();
        let granted = p.info.grant.as_ref().and_then(|g| g.kube.as_ref());
        let effective_verbs = match (requested, granted) {
            (Some(r), Some(g)) => r.intersect_verbs(g),
            _ => vec![],
        };
        out.push(serde_json::json!({
            "name": m.name,
            "version": m.version,
            "description": m.description,
            "wit": m.wit,
            "digest": p.info.digest,
            "path": p.info.path,
            "tools": p.tools.iter().map(|t| &t.name).collect::<Vec<_>>(),
            "requested": { "kube": requested, "log": m.capabilities.log.is_some() },
            "granted": p.info.grant,
            "effective": { "kube_verbs": effective_verbs,
                           "log": m.capabilities.log.is_some() && p.info.grant.as_ref().is_some_and(|g| g.log) },
        }));
        if !json {
            println!("{} {} ({})", m.name, m.version, p.info.path.display());
            println!("  digest:    {}", p.info.digest);
            println!("  wit:       {}", m.wit);
            println!(
                "  tools:     {}",
                p.tools
                    .iter()
                    .map(|t| t.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            println!(
                "  requested: kube {}; log {}",
                scope_text(requested),
                m.capabilities.log.is_some()
            );
            println!(
                "  granted:   kube {}; log {}",
                scope_text(granted),
                p.info.grant.as_ref().is_some_and(|g| g.log)
            );
            println!(
                "  effective: kube verbs [{}] within both scopes",
                effective_verbs.join(",")
            );
        }
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else if out.is_empty() {
        println!("no plugins loaded (plugin dirs: {:?})", config.plugin_dirs);
    }
    Ok(())
}

fn plugins_inspect(file: PathBuf, config: Option<PathBuf>, json: bool) -> anyhow::Result<()> {
    let config = Config::load(&Overrides {
        config,
        ..Overrides::default()
    })?;
    let report = kube_ai_proxy::plugins::inspect::inspect_file(&file, &config)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.to_text());
    }
    Ok(())
}

/// `audit verify`: exit 0 when the chain is intact, 1 when not, 2 when the file is unreadable.
fn audit_verify(file: &std::path::Path, json: bool) -> ExitCode {
    let v = match kube_ai_proxy::audit::verify_file(file) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("kube-ai-proxy: cannot read {}: {e}", file.display());
            return ExitCode::from(2);
        }
    };
    if json {
        match serde_json::to_string_pretty(&v) {
            Ok(s) => println!("{s}"),
            Err(e) => {
                eprintln!("kube-ai-proxy: {e}");
                return ExitCode::from(2);
            }
        }
    } else {
        println!("{}: {}", file.display(), v.report());
    }
    if v.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// Groups of common resources, for `policy check --resource deployments`.
fn default_group(resource: &str) -> &'static str {
    match resource {
        "deployments" | "replicasets" | "statefulsets" | "daemonsets" | "controllerrevisions" => {
            "apps"
        }
        "jobs" | "cronjobs" => "batch",
        "ingresses" | "networkpolicies" | "ingressclasses" => "networking.k8s.io",
        "roles" | "rolebindings" | "clusterroles" | "clusterrolebindings" => {
            "rbac.authorization.k8s.io"
        }
        "horizontalpodautoscalers" => "autoscaling",
        "poddisruptionbudgets" => "policy",
        "customresourcedefinitions" => "apiextensions.k8s.io",
        "storageclasses" => "storage.k8s.io",
        _ => "",
    }
}

fn check_request(a: &CheckArgs) -> anyhow::Result<kube_ai_proxy::policy::RequestAttributes> {
    let (Some(verb), Some(resource)) = (&a.verb, &a.resource) else {
        anyhow::bail!("give a command line, or --verb and --resource");
    };
    let verb = match verb.as_str() {
        "deletecollection" => "delete-collection".to_string(),
        v @ ("get" | "list" | "create" | "update" | "patch" | "delete" | "delete-collection") => {
            v.to_string()
        }
        other => anyhow::bail!(
            "invalid verb {other:?}: expected get, list, create, update, patch, delete or delete-collection"
        ),
    };
    let (main, sub) = match resource.split_once('/') {
        Some((m, s)) => (m, Some(s.to_string())),
        None => (resource.as_str(), None),
    };
    let (resource, group) = match main.split_once('.') {
        Some((r, g)) => (r.to_string(), g.to_string()),
        None => (main.to_string(), default_group(main).to_string()),
    };
    if resource.is_empty() {
        anyhow::bail!("--resource is empty");
    }
    Ok(kube_ai_proxy::policy::RequestAttributes {
        verb,
        group,
        version: String::new(),
        resource,
        subresource: a.subresource.clone().or(sub),
        namespace: a.namespace.clone(),
        name: a.name.clone(),
    })
}

/// One decided request of `policy check`.
#[derive(serde::Serialize)]
struct Checked {
    request: kube_ai_proxy::policy::RequestAttributes,
    decision: kube_ai_proxy::policy::Decision,
}

/// The planned requests of a command line, from the plugin serving `tool` (offline), plus
/// the normalized command and the command rules' verdict.
fn plan_command(
    a: &CheckArgs,
    over: &Overrides,
    command: &str,
    default_namespace: &str,
) -> anyhow::Result<(
    kube_ai_proxy::plugins::bindings::tools::CallPlan,
    Vec<kube_ai_proxy::policy::RequestAttributes>,
)> {
    let scratch = std::env::temp_dir().join(format!(
        "kube-ai-proxy-policy-check-{}.jsonl",
        std::process::id()
    ));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let res = rt.block_on(async {
        let host = kube_ai_proxy::start_offline(over, &scratch).await?;
        let (plugin, _) = host.find(&a.tool).ok_or_else(|| {
            anyhow::anyhow!(
                "no loaded plugin serves tool {:?} (plugin directories: see `kube-ai-proxy plugins list`)",
                a.tool
            )
        })?;
        let ctx = kube_ai_proxy::plugins::bindings::types::CallContext {
            request_id: "policy-check".into(),
            kube_context: String::new(),
            default_namespace: default_namespace.to_string(),
            timeout_ms: 10_000,
            max_output_chars: 100_000,
        };
        let args = serde_json::json!({ "command": command }).to_string();
        host.plan(plugin, &a.tool, &args, ctx).await
    });
    let _ = std::fs::remove_file(&scratch);
    let plan = res?.ok_or_else(|| anyhow::anyhow!("tool {} has no command form", a.tool))?;
    let requests = plan
        .requests
        .iter()
        .map(|r| kube_ai_proxy::policy::RequestAttributes {
            verb: kube_ai_proxy::capabilities::kube::verb_name(r.verb).to_string(),
            group: r.group.clone().unwrap_or_default(),
            version: String::new(),
            resource: r.resource.clone(),
            subresource: r.subresource.clone(),
            namespace: r.namespace.clone(),
            name: r.name.clone(),
        })
        .collect();
    Ok((plan, requests))
}

/// `policy check`: exit 0 allowed, 1 denied, 2 error, 3 needs confirmation.
fn policy_check(a: CheckArgs) -> ExitCode {
    let run = || -> anyhow::Result<u8> {
        use kube_ai_proxy::policy::{
            Decision, GateInput, Identity, Mode, RequestFacts, decide, describe,
        };
        let over = Overrides {
            config: a.config.clone(),
            policy: a.policy.clone(),
            ..Overrides::default()
        };
        let config = Config::load(&Overrides {
            no_default_plugins: true,
            ..over.clone()
        })?;
        let context = a.context.clone().or(config.context.clone()).or_else(|| {
            kube::config::Kubeconfig::read()
                .ok()
                .and_then(|k| k.current_context)
        });
        let identity = Identity {
            context: context.clone(),
            user: config.impersonate.as_ref().map(|i| i.user.clone()),
            groups: config
                .impersonate
                .as_ref()
                .map(|i| i.groups.clone())
                .unwrap_or_default(),
        };
        let policy = &config.policy;
        let mut facts = RequestFacts::default();
        let mut command_verdict: Option<Decision> = None;
        let (normalized, requests) = match &a.command {
            Some(cmd) => {
                let ns = config.namespace.clone().unwrap_or_else(|| "default".into());
                let (plan, requests) = plan_command(&a, &over, cmd, &ns)?;
                let words: Vec<&str> = plan.command.split_whitespace().collect();
                facts.rollout_undo = words.get(1..3) == Some(&["rollout", "undo"][..]);
                facts.dry_run = words
                    .iter()
                    .any(|w| w.starts_with("--dry-run=") && *w != "--dry-run=none");
                facts.scale_to_zero =
                    words.get(1) == Some(&"scale") && words.contains(&"--replicas=0");
                if policy.mode != Mode::Permissive
                    && let Some((rule, reason)) = policy.commands.check(&plan.family, &plan.command)
                {
                    command_verdict = Some(Decision::Deny { rule, reason });
                }
                (Some(plan.command), requests)
            }
            None => (None, vec![check_request(&a)?]),
        };
        let everything = kube_ai_proxy::plugins::manifest::KubeScope::everything();
        let checked: Vec<Checked> = requests
            .into_iter()
            .map(|request| {
                let decision = decide(&GateInput {
                    plugin: &a.plugin,
                    requested: Some(&everything),
                    granted: config.grants.get(&a.plugin),
                    request: &request,
                    tool: &a.tool,
                    identity: &identity,
                    facts,
                    policy,
                });
                Checked { request, decision }
            })
            .collect();
        let all: Vec<&Decision> = command_verdict
            .iter()
            .chain(checked.iter().map(|c| &c.decision))
            .collect();
        let overall = all
            .iter()
            .find(|d| matches!(d, Decision::Deny { .. }))
            .or_else(|| all.iter().find(|d| matches!(d, Decision::Confirm { .. })))
            .or_else(|| all.first())
            .map(|d| (*d).clone())
            .unwrap_or(Decision::Allow {
                rule: "no-requests".into(),
            });
        let source = policy
            .source
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "built-in defaults".into());
        if a.json {
            println!(
                "{}",
                serde_json::to_string_pretty(&serde_json::json!({
                    "command": normalized,
                    "command_rules": command_verdict,
                    "requests": checked,
                    "request": checked.first().map(|c| &c.request),
                    "plugin": a.plugin, "tool": a.tool,
                    "identity": context, "mode": policy.mode.as_str(),
                    "policy": source, "decision": overall,
                }))?
            );
        } else {
            if let Some(c) = &normalized {
                println!("command:  {c}");
            }
            if let Some(Decision::Deny { rule, reason }) = &command_verdict {
                println!("command rules: deny ({rule}): {reason}");
            }
            for c in &checked {
                println!("request:  {}", describe(&c.request));
                let (what, rule, reason) = match &c.decision {
                    Decision::Allow { rule } => ("allow", rule, None),
                    Decision::Deny { rule, reason } => ("deny", rule, Some(reason)),
                    Decision::Confirm { rule, reason } => ("confirm", rule, Some(reason)),
                };
                println!(
                    "  -> {what} ({rule}){}",
                    reason.map(|r| format!(": {r}")).unwrap_or_default()
                );
            }
            println!(
                "caller:   plugin {}, tool {}, identity {}",
                a.plugin,
                a.tool,
                context.as_deref().unwrap_or("(unknown)")
            );
            println!("policy:   {source} (mode {})", policy.mode.as_str());
            match &overall {
                Decision::Allow { rule } => {
                    println!("decision: allow");
                    println!("rule:     {rule}");
                }
                Decision::Deny { rule, reason } => {
                    println!("decision: deny");
                    println!("rule:     {rule}");
                    println!("reason:   {reason}");
                }
                Decision::Confirm { rule, reason } => {
                    println!("decision: confirm (runs only after a person says yes)");
                    println!("rule:     {rule}");
                    println!("reason:   {reason}");
                }
            }
            println!("note:     offline: the plugin's manifest request and RBAC are not checked");
        }
        Ok(match overall {
            Decision::Allow { .. } => 0,
            Decision::Deny { .. } => 1,
            Decision::Confirm { .. } => 3,
        })
    };
    match run() {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("kube-ai-proxy: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// `policy lint`: exit 0 clean, 1 findings, 2 unreadable.
fn policy_lint(file: &std::path::Path, json: bool) -> ExitCode {
    let text = match std::fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("kube-ai-proxy: cannot read {}: {e}", file.display());
            return ExitCode::from(2);
        }
    };
    let findings = kube_ai_proxy::policy::lint::lint(&text);
    if json {
        match serde_json::to_string_pretty(&findings) {
            Ok(s) => println!("{s}"),
            Err(e) => {
                eprintln!("kube-ai-proxy: {e}");
                return ExitCode::from(2);
            }
        }
    } else if findings.is_empty() {
        println!("{}: clean", file.display());
    } else {
        for f in &findings {
            println!("{}: {f}", file.display());
        }
        println!("{}: {} finding(s)", file.display(), findings.len());
    }
    if findings.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // `audit verify` and `policy` need neither logging nor the async runtime.
    let command = match cli.command {
        Command::Audit {
            command: AuditCommand::Verify { file, json },
        } => return audit_verify(&file, json),
        Command::Policy {
            command: PolicyCommand::Check(args),
        } => return policy_check(*args),
        Command::Policy {
            command: PolicyCommand::Lint { file, json },
        } => return policy_lint(&file, json),
        other => other,
    };
    init_tracing();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("kube-ai-proxy: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let res = rt.block_on(async {
        match command {
            Command::Serve(c) => serve(c).await,
            Command::Plugins {
                command: PluginsCommand::List { common, json },
            } => plugins_list(common, json).await,
            Command::Plugins {
                command: PluginsCommand::Inspect { file, config, json },
            } => plugins_inspect(file, config, json),
            Command::Audit { .. } | Command::Policy { .. } => Ok(()),
        }
    });
    match res {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kube-ai-proxy: {e:#}");
            ExitCode::FAILURE
        }
    }
}
