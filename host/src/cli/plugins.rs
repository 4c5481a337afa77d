//! `kube-ai-proxy plugins list|inspect|pack|new`: what a configuration loads, what a plugin
//! file asks for, and the tools for plugin authors.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;
use kap_host::config::{Config, Overrides};

use super::Common;

/// `kube-ai-proxy plugins ...`.
#[derive(Subcommand)]
pub enum PluginsCommand {
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
    /// Embed a plugin.toml into a component as its `kube-ai-proxy:manifest` custom section,
    /// for toolchains that cannot place a link section (componentize-py, componentize-js).
    /// The manifest is validated first.
    Pack(super::pack::PackArgs),
    /// Write a new plugin project (Rust, Python or JavaScript) that builds as it is: one
    /// tool listing namespaces, its manifest, a unit test, the WIT and a README.
    New(super::new::NewArgs),
    /// Copy a plugin file into a plugin directory as NAME.wasm (NAME from its manifest) and
    /// compile it into the compile cache, so the next `serve` loads it at once. Python and
    /// JavaScript components take tens of seconds to compile on first load.
    Install {
        /// The plugin component (.wasm).
        #[arg(value_name = "FILE.wasm")]
        file: PathBuf,
        /// The plugin directory (default: $XDG_DATA_HOME/kube-ai-proxy/plugins, where
        /// `serve` looks when no build tree is beside the binary).
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
        /// Config file (TOML), for the compile cache location and the grant check.
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
}

/// Runs the `plugins` subcommands that need neither logging nor the async runtime (`pack`,
/// `new`) and returns their exit status; `None` for the others.
pub fn run_offline(command: &PluginsCommand) -> Option<ExitCode> {
    let res = match command {
        PluginsCommand::Pack(args) => super::pack::run(args),
        PluginsCommand::New(args) => super::new::run(args),
        PluginsCommand::List { .. }
        | PluginsCommand::Inspect { .. }
        | PluginsCommand::Install { .. } => return None,
    };
    Some(match res {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kube-ai-proxy: {e:#}");
            ExitCode::FAILURE
        }
    })
}

/// Runs `plugins list` and `plugins inspect` (after logging is set up, in the runtime).
///
/// Errors: the configuration or a plugin does not load, or the file cannot be inspected.
pub async fn run(command: PluginsCommand) -> anyhow::Result<()> {
    match command {
        PluginsCommand::List { common, json } => list(common, json).await,
        PluginsCommand::Inspect { file, config, json } => inspect(file, config, json),
        PluginsCommand::Pack(args) => super::pack::run(&args),
        PluginsCommand::New(args) => super::new::run(&args),
        PluginsCommand::Install { file, dir, config } => install(file, dir, config),
    }
}

fn scope_text(s: Option<&kap_host::plugins::manifest::KubeScope>) -> String {
    match s {
        None => "none".into(),
        Some(s) => format!(
            "verbs=[{}] resources=[{}] namespaces=[{}]{}",
            s.verbs.join(","),
            s.resources.join(","),
            s.namespaces.join(","),
            if s.dry_run_only {
                " writes=dry-run-only"
            } else {
                ""
            }
        ),
    }
}

async fn list(common: Common, json: bool) -> anyhow::Result<()> {
    let host = kap_host::start(&common.into()).await?;
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
            "status": "loaded",
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
    for (path, why) in host.failed() {
        out.push(serde_json::json!({ "status": "failed", "path": path, "error": why }));
        if !json {
            println!("FAILED {}", path.display());
            println!("  error:     {why}");
        }
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else if out.is_empty() {
        println!("no plugins loaded (plugin dirs: {:?})", config.plugin_dirs);
    }
    if !host.failed().is_empty() {
        anyhow::bail!(
            "{} plugin(s) failed to load; `serve` skips them (or stops, with --require-all-plugins)",
            host.failed().len()
        );
    }
    Ok(())
}

fn inspect(file: PathBuf, config: Option<PathBuf>, json: bool) -> anyhow::Result<()> {
    let config = Config::load(&Overrides {
        config,
        ..Overrides::default()
    })?;
    let report = kap_host::plugins::inspect::inspect_file(&file, &config)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.to_text());
    }
    Ok(())
}

/// `plugins install`: checks the file, copies it into the plugin directory as NAME.wasm and
/// precompiles it into the compile cache.
fn install(file: PathBuf, dir: Option<PathBuf>, config: Option<PathBuf>) -> anyhow::Result<()> {
    use anyhow::Context as _;
    let over = Overrides {
        config,
        no_default_plugins: true,
        ..Overrides::default()
    };
    let config = Config::load(&over)?;
    let bytes = std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
    let manifest = kap_host::plugins::manifest::Manifest::from_component(&bytes)?;
    let started = std::time::Instant::now();
    let done = kap_host::plugins::runtime::precompile(&config, &bytes)?;
    let dir = match dir {
        Some(d) => d,
        None => dirs::data_dir()
            .map(|d| d.join("kube-ai-proxy").join("plugins"))
            .context("no data directory ($XDG_DATA_HOME); pass --dir")?,
    };
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let target = dir.join(format!("{}.wasm", manifest.name));
    std::fs::write(&target, &bytes)
        .with_context(|| format!("cannot write {}", target.display()))?;
    println!(
        "installed {} {} as {}",
        manifest.name,
        manifest.version,
        target.display()
    );
    println!("  digest:  {}", done.digest);
    println!("  wit:     kube-ai-proxy:plugin@{}", done.wit_version);
    println!(
        "  compile: {} ({:.1} s)",
        if done.cache_hit {
            "already in the compile cache"
        } else {
            "compiled into the compile cache"
        },
        started.elapsed().as_secs_f64()
    );
    if !config.grants.contains_key(&manifest.name) {
        println!(
            "  grant:   none: every capability call will be refused until the config has [grants.{}] (see docs/plugin-authors.md)",
            manifest.name
        );
    }
    Ok(())
}
