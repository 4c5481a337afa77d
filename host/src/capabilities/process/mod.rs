//! The `process` capability (contract 0.2.0): run one program the operator granted, with an
//! argument vector and no shell, under the host's control (scratch directory, cleared
//! environment, own process group, deadline, capped output, a loopback API proxy instead of
//! credentials). See DESIGN.md, "The controlled subprocess".
//!
//! Not implemented yet: every run is refused with `not-granted` (no grant can name a program
//! yet) and audited with a `process` subject, so a 0.2.0 plugin that imports `process` links
//! and gets a typed answer instead of a trap.

use wasmtime::component::{HasData, Linker};

pub mod grant;
pub use grant::ProcessRequest;

use super::call::Call;
use crate::audit::{Record, Subject};
use crate::wit::process::{self as latest_process, ProcessError, RunOutput, RunRequest};

/// The `process` capability's view of a call.
pub struct ProcessView<'a> {
    call: &'a mut Call,
}

impl<'a> ProcessView<'a> {
    /// The view of `call`.
    pub fn new(call: &'a mut Call) -> Self {
        ProcessView { call }
    }
}

/// The `HasData` marker that projects a store's state to a [`ProcessView`].
pub struct ProcessCap;

impl HasData for ProcessCap {
    type Data<'a> = ProcessView<'a>;
}

/// Adds the `process` import (0.2.0 and later) to `linker`.
pub fn add_to_linker<T: Send + 'static>(
    linker: &mut Linker<T>,
    get: fn(&mut T) -> ProcessView<'_>,
) -> wasmtime::Result<()> {
    latest_process::add_to_linker::<T, ProcessCap>(linker, get)
}

/// Longest argument vector kept in the audit record, in arguments.
const AUDIT_ARGS: usize = 64;

impl latest_process::Host for ProcessView<'_> {
    async fn run(&mut self, req: RunRequest) -> Result<RunOutput, ProcessError> {
        let mut rec = Record::capability(
            &self.call.caller,
            "process.run",
            Subject::Process {
                program: req.program.chars().take(128).collect(),
                args: req
                    .args
                    .iter()
                    .take(AUDIT_ARGS)
                    .map(|a| a.chars().take(256).collect())
                    .collect(),
            },
        );
        rec.decision = Some("deny");
        rec.rule = Some("grant.process.not-granted".into());
        let reason = format!(
            "plugin {} may not run {:?}: this host has no process capability yet, so no grant can name a program",
            self.call.plugin.manifest.name,
            req.program.chars().take(128).collect::<String>()
        );
        rec.reason = Some(reason.clone());
        rec.outcome = "denied".into();
        if let Err(e) = self.call.audit.write(&rec) {
            tracing::error!(error = %e, "audit record lost");
        }
        Err(ProcessError::NotGranted(reason))
    }
}
