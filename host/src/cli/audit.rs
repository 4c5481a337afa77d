//! `kube-ai-proxy audit verify`: recompute the audit log's hash chain.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Subcommand;

/// `kube-ai-proxy audit ...`.
#[derive(Subcommand)]
pub enum AuditCommand {
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

/// Runs an `audit` subcommand; the exit status is the subcommand's.
pub fn run(command: AuditCommand) -> ExitCode {
    match command {
        AuditCommand::Verify { file, json } => verify(&file, json),
    }
}

/// `audit verify`: exit 0 when the chain is intact, 1 when not, 2 when the file is unreadable.
fn verify(file: &Path, json: bool) -> ExitCode {
    let v = match kap_host::audit::verify_file(file) {
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
