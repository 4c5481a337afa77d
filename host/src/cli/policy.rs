//! `kube-ai-proxy policy check|lint`: explain and check the gate's policy offline (no cluster
//! needed).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use kap_host::config::{Config, Overrides};

/// `kube-ai-proxy policy ...`.
#[derive(Subcommand)]
pub enum PolicyCommand {
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

/// The arguments of `policy check`.
#[derive(Args)]
pub struct CheckArgs {
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

/// Runs a `policy` subcommand; the exit status is the subcommand's.
pub fn run(command: PolicyCommand) -> ExitCode {
    match command {
        PolicyCommand::Check(args) => check(*args),
        PolicyCommand::Lint { file, json } => lint(&file, json),
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

fn check_request(a: &CheckArgs) -> anyhow::Result<kap_host::policy::RequestAttributes> {
    let (Some(verb), Some(resource)) = (&a.verb, &a.resource) else {
        anyhow::bail!("give a command line, or --verb and --resource");
    };
    let Some(verb) = kap_host::verb::Verb::parse(verb) else {
        anyhow::bail!(
            "invalid verb {verb:?}: expected get, list, create, update, patch, delete or delete-collection"
        );
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
    Ok(kap_host::policy::RequestAttributes {
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
    request: kap_host::policy::RequestAttributes,
    decision: kap_host::policy::Decision,
}

/// The planned requests of a command line, from the plugin serving `tool` (offline), plus
/// the normalized command and the command rules' verdict.
fn plan_command(
    a: &CheckArgs,
    over: &Overrides,
    command: &str,
    default_namespace: &str,
) -> anyhow::Result<(
    kap_host::wit::tools::CallPlan,
    Vec<kap_host::policy::RequestAttributes>,
)> {
    let scratch = std::env::temp_dir().join(format!(
        "kube-ai-proxy-policy-check-{}.jsonl",
        std::process::id()
    ));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let res = rt.block_on(async {
        let host = kap_host::start_offline(over, &scratch).await?;
        let (plugin, _) = host.find(&a.tool).ok_or_else(|| {
            anyhow::anyhow!(
                "no loaded plugin serves tool {:?} (plugin directories: see `kube-ai-proxy plugins list`)",
                a.tool
            )
        })?;
        let ctx = kap_host::wit::types::CallContext {
            request_id: "policy-check".into(),
            kube_context: String::new(),
            default_namespace: default_namespace.to_string(),
            timeout_ms: 10_000,
            max_output_chars: 100_000,
            process: None,
        };
        let args = serde_json::json!({ "command": command }).to_string();
        host.plan(plugin, &a.tool, &args, ctx).await
    });
    let _ = std::fs::remove_file(&scratch);
    let plan = res?.ok_or_else(|| anyhow::anyhow!("tool {} has no command form", a.tool))?;
    let requests = plan
        .requests
        .iter()
        .map(|r| kap_host::policy::RequestAttributes {
            verb: r.verb.into(),
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

/// `policy check`: exit 0 allowed, 1 denied, 2 error, 3 not a plain allow: it needs a
/// person's confirmation, or the cluster to decide (a write whose effect depends on the live
/// object, in strict mode).
fn check(a: CheckArgs) -> ExitCode {
    let run = || -> anyhow::Result<u8> {
        use kap_host::policy::{Decision, GateInput, Mode, RequestFacts, decide, describe};
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
        let identity = config.identity(context.clone());
        let policy = &config.policy;
        let mut facts = RequestFacts::default();
        let mut command_verdict: Option<Decision> = None;
        let (normalized, requests) = match &a.command {
            Some(cmd) => {
                let ns = config.namespace.clone().unwrap_or_else(|| "default".into());
                let (plan, requests) = plan_command(&a, &over, cmd, &ns)?;
                let words: Vec<&str> = plan.command.split_whitespace().collect();
                // What the call stands for travels in the plan (WIT `call-plan.facts`).
                facts.rollout_undo = plan.facts.iter().any(|f| f == "rollout-undo");
                facts.dry_run = words
                    .iter()
                    .any(|w| w.starts_with("--dry-run=") && *w != "--dry-run=none");
                // A replica count is a number, however it is spelled (`0`, `00`, `0e0`).
                facts.scale_to_zero = words.get(1) == Some(&"scale")
                    && words.iter().any(|w| {
                        w.strip_prefix("--replicas=")
                            .and_then(|v| v.parse::<f64>().ok())
                            == Some(0.0)
                    });
                // Secrets: `get` (table, wide) and `describe` read them as a server-side Table,
                // a metadata read; every other output format (and a `jq` filter) is a JSON,
                // contents read.
                let sub = words.get(1).copied().unwrap_or("");
                let output = words.iter().find_map(|w| w.strip_prefix("--output="));
                facts.metadata_read = plan.family == "kubectl"
                    && !words.contains(&"jq")
                    && (sub == "describe" || (sub == "get" && output.is_none_or(|o| o == "wide")));
                if policy.mode != Mode::Permissive
                    && let Some((rule, reason)) = policy.commands.check(&plan.family, &plan.command)
                {
                    command_verdict = Some(Decision::Deny { rule, reason });
                }
                (Some(plan.command), requests)
            }
            None => (None, vec![check_request(&a)?]),
        };
        let everything = kap_host::plugins::manifest::KubeScope::everything();
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
        // In strict mode the server judges a write's effect from a server-side dry run against
        // the live object (ownerReferences, taints, replicas, webhooks): offline, an update or
        // a patch that would otherwise be allowed cannot be decided. Never a silent allow.
        let needs_cluster: Option<String> = (policy.mode == Mode::Strict && !facts.dry_run)
            .then(|| {
                checked.iter().find(|c| {
                    matches!(c.decision, Decision::Allow { .. })
                        && matches!(
                            c.request.verb,
                            kap_host::verb::Verb::Update | kap_host::verb::Verb::Patch
                        )
                })
            })
            .flatten()
            .map(|c| {
                format!(
                    "{}: its effect depends on the live object (the server judges it with a server-side dry run: replicas becoming 0, ownerReferences or finalizers, NoExecute taints, webhooks), which an offline check cannot read",
                    describe(&c.request)
                )
            });
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
                    "needs_cluster": needs_cluster,
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
                Decision::Allow { .. } if needs_cluster.is_some() => {
                    println!("decision: needs the cluster to decide");
                    println!("reason:   {}", needs_cluster.as_deref().unwrap_or_default());
                }
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
            Decision::Allow { .. } if needs_cluster.is_some() => 3,
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
fn lint(file: &std::path::Path, json: bool) -> ExitCode {
    let text = match std::fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("kube-ai-proxy: cannot read {}: {e}", file.display());
            return ExitCode::from(2);
        }
    };
    let findings = kap_host::policy::lint::lint(&text);
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
