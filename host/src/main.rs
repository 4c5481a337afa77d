//! The `kube-ai-proxy` command: `serve` (MCP over stdio), `plugins list|inspect|pack|new`,
//! `audit verify`, `policy check` and `policy lint`. Each family lives in [`cli`]; this file
//! parses the command line, sets up logging and dispatches.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod cli;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use cli::audit::AuditCommand;
use cli::plugins::PluginsCommand;
use cli::policy::PolicyCommand;

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
    Serve(cli::Common),
    /// Inspect the plugins this configuration loads; pack and create plugins.
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Commands that need neither logging nor the async runtime.
    let command = match cli.command {
        Command::Audit { command } => return cli::audit::run(command),
        Command::Policy { command } => return cli::policy::run(command),
        Command::Plugins { command } => match cli::plugins::run_offline(&command) {
            Some(code) => return code,
            None => Command::Plugins { command },
        },
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
            Command::Serve(common) => cli::serve::serve(common).await,
            Command::Plugins { command } => cli::plugins::run(command).await,
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
