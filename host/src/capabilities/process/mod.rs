//! The `process` capability (contract 0.2.0): run one program the operator granted, with an
//! argument vector and no shell, under the host's control (scratch directory, cleared
//! environment, own process group, deadline, capped output, Landlock where the kernel has
//! it, a loopback API proxy instead of credentials). See DESIGN.md, "The controlled
//! subprocess".
//!
//! One run ([`latest_process::Host::run`]):
//! 1. the per-call capability budget ([`Call::count`]);
//! 2. the gate ([`Gate::admit_process`]): the effective grant ([`grant::effective`]) names the
//!    program, the argument vector passes [`args::check_args`], no request of the run's
//!    approval is denied by the policy, and the person approves the run when it asks for it;
//! 3. a [`proxy::Proxy`] on 127.0.0.1 with a fresh token, named by the child's kubeconfig;
//! 4. [`spawn::run`], while every request the child sends is answered by [`proxy::answer`]
//!    (the kube capability's gate, audited as `process.proxy` under the call's request id);
//! 5. the proxy is dropped with the run: its token is dead afterwards.

use std::path::PathBuf;

use wasmtime::component::{HasData, Linker};

pub mod args;
pub mod grant;
pub mod protobuf;
pub mod proxy;
pub mod spawn;
pub use grant::ProcessRequest;

use super::call::{Call, CountRefusal};
use super::kube::{KubeState, KubeView};
use crate::gate::{Gate, Principal, ProcessRun, Refusal, RunApproval};
use crate::plugins::manifest::PluginInfo;
use crate::policy::{RequestAttributes, RequestFacts};
use crate::wit::process::{
    self as latest_process, Approval, ApprovedRequest, ProcessError, RunOutput, RunRequest,
};
use grant::EffectiveProcess;

/// Largest stdout, and separately stderr, kept from one run, in bytes (the MCP answer's own
/// budget applies afterwards).
pub const MAX_RUN_OUTPUT: usize = 4 << 20;

/// Largest total size of a run's input files and stdin, in bytes.
pub const MAX_RUN_INPUT: usize = 8 << 20;

/// Most requests a run's approval may list.
pub const MAX_APPROVED_REQUESTS: usize = 2048;

/// The `process` capability's view of a call: the shared [`Call`] and the kube capability's
/// state (the child's API requests are served through the kube gate).
pub struct ProcessView<'a> {
    call: &'a mut Call,
    kube: &'a KubeState,
}

impl<'a> ProcessView<'a> {
    /// The view of `call`, with the kube capability's `kube` state for the API proxy.
    pub fn new(call: &'a mut Call, kube: &'a KubeState) -> Self {
        ProcessView { call, kube }
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

/// The effective `process` grant of a loaded plugin: its manifest's request ∩ the operator's
/// `[grants.NAME.process]`, or the built-in default (the bundled `helm` plugin gets `helm`
/// from the host's `PATH`); `None` when it may run nothing.
pub fn effective_for(info: &PluginInfo) -> Option<EffectiveProcess> {
    let requested = info.manifest.capabilities.process.as_ref()?;
    let granted = info.grant.as_ref().and_then(|g| g.process.as_ref());
    grant::effective(&info.manifest.name, requested, granted, grant::which)
}

/// The gate's view of an approved request: its attributes (a `name` ending in `*` is judged
/// by its prefix) and facts (helm's release records are release storage).
fn approved_attributes(a: &ApprovedRequest) -> (RequestAttributes, RequestFacts) {
    let name = a
        .name
        .as_ref()
        .map(|n| n.strip_suffix('*').unwrap_or(n).to_string());
    let release_storage = a.group.is_empty()
        && a.resource == "secrets"
        && name
            .as_deref()
            .is_some_and(|n| n.starts_with(proxy::RELEASE_PREFIX));
    (
        RequestAttributes {
            verb: a.verb.into(),
            group: a.group.clone(),
            version: "v1".into(),
            resource: a.resource.clone(),
            subresource: None,
            namespace: a.namespace.clone(),
            name,
        },
        RequestFacts {
            release_storage,
            ..RequestFacts::default()
        },
    )
}

/// The digest a person's yes to a run is bound to: SHA-256 over the program, the argument
/// vector, the input files and the approval, each length-prefixed.
fn approval_digest(req: &RunRequest, a: &Approval) -> String {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    let mut put = |b: &[u8]| {
        ctx.update(&(b.len() as u64).to_le_bytes());
        ctx.update(b);
    };
    put(b"process.run");
    put(req.program.as_bytes());
    for x in &req.args {
        put(x.as_bytes());
    }
    for (n, c) in &req.files {
        put(n.as_bytes());
        put(c);
    }
    put(a.what.as_bytes());
    put(a.preview.as_bytes());
    for r in &a.requests {
        put(format!("{:?}", r).as_bytes());
    }
    format!("sha256:{}", hex::encode(ctx.finish().as_ref()))
}

fn refusal_error(r: Refusal) -> ProcessError {
    match r {
        Refusal::Denied { rule, reason } if rule == "grant.process.not-granted" => {
            ProcessError::NotGranted(reason)
        }
        Refusal::Denied { rule, reason } | Refusal::Forbidden { rule, reason } => {
            ProcessError::Denied((rule, reason))
        }
        Refusal::Unavailable(why) => ProcessError::Denied(("process.unavailable".into(), why)),
    }
}

impl ProcessView<'_> {
    /// The gate as the process capability uses it (no RBAC pre-check of its own: the
    /// child's requests are checked one by one at the proxy).
    fn gate(&self) -> Gate<'_> {
        Gate {
            policy: &self.call.policy,
            audit: &self.call.audit,
            rbac: None,
        }
    }

    /// Who runs the program.
    fn principal(&self) -> Principal<'_> {
        Principal {
            plugin: &self.call.plugin,
            caller: &self.call.caller,
            identity: &self.call.identity,
        }
    }

    /// Audits (through the gate) and returns a refusal that came before the gate's own
    /// checks: the budget, loading, the input size; `rule` is both audited and returned.
    fn refuse_early(&self, req: &RunRequest, rule: &str, reason: String) -> ProcessError {
        refusal_error(self.gate().deny_process(
            &self.principal(),
            &req.program,
            &req.args,
            rule,
            reason,
        ))
    }
}

impl latest_process::Host for ProcessView<'_> {
    async fn run(&mut self, req: RunRequest) -> Result<RunOutput, ProcessError> {
        if let Err(r) = self.call.count() {
            let rule = match r {
                CountRefusal::Loading => "host.list-tools",
                CountRefusal::Limit(_) => "host.limit",
            };
            return Err(self.refuse_early(&req, rule, r.to_string()));
        }
        let input: usize = req
            .files
            .iter()
            .map(|(n, c)| n.len() + c.len())
            .sum::<usize>()
            + req.stdin.as_ref().map_or(0, |s| s.len());
        if input > MAX_RUN_INPUT {
            return Err(self
                .refuse_early(
                    &req,
                    "host.limit",
                    format!("the run's input files and stdin are {input} bytes, over the {MAX_RUN_INPUT}-byte limit"),
                ));
        }
        if req
            .approval
            .as_ref()
            .is_some_and(|a| a.requests.len() > MAX_APPROVED_REQUESTS)
        {
            return Err(self.refuse_early(
                &req,
                "host.limit",
                format!("the run's approval lists more than {MAX_APPROVED_REQUESTS} requests"),
            ));
        }
        let plugin_name = self.call.plugin.manifest.name.clone();
        let eff = effective_for(&self.call.plugin);
        let program = eff
            .as_ref()
            .and_then(|e| e.programs.get(&req.program).cloned());
        let granted = match (&eff, &program) {
            (_, Some(_)) => Ok(()),
            (None, None) => Err(format!(
                "plugin {plugin_name} has no process grant (the operator's [grants.{plugin_name}.process] names no program it asked for{})",
                if plugin_name == grant::DEFAULT_PLUGIN {
                    ", and helm was not found on the server's PATH"
                } else {
                    ""
                }
            )),
            (Some(e), None) => Err(format!(
                "plugin {plugin_name} may run {:?}, not {:?}",
                e.programs.keys().collect::<Vec<_>>(),
                req.program.chars().take(128).collect::<String>()
            )),
        };
        let names: Vec<String> = req.files.iter().map(|(n, _)| n.clone()).collect();
        let args_ok = match &eff {
            Some(e) => args::check_args(&req.args, e, &names),
            None => Ok(()),
        };
        let approved_attrs: Vec<(RequestAttributes, RequestFacts)> = req
            .approval
            .as_ref()
            .map(|a| a.requests.iter().map(approved_attributes).collect())
            .unwrap_or_default();
        let approval = req.approval.as_ref().map(|a| RunApproval {
            what: &a.what,
            preview: &a.preview,
            required: a.required,
            requests: &approved_attrs,
            digest: approval_digest(&req, a),
        });
        let mut deadline = self.call.deadline;
        let admitted = {
            let (gate, principal) = (self.gate(), self.principal());
            let run = ProcessRun {
                program: &req.program,
                args: &req.args,
                granted,
                args_ok,
                approval,
                channel: &self.call.channel,
                clock: &self.call.clock,
            };
            gate.admit_process(&principal, run, &mut deadline).await
        };
        self.call.deadline = deadline;
        let admitted = admitted.map_err(refusal_error)?;
        let (Some(eff), Some(program)) = (eff, program) else {
            admitted.admission.finish("spawn-failed");
            return Err(ProcessError::SpawnFailed("no program".into()));
        };

        let proxy = match proxy::Proxy::start().await {
            Ok(p) => p,
            Err(e) => {
                admitted.admission.finish("spawn-failed");
                return Err(ProcessError::SpawnFailed(format!(
                    "the loopback API proxy could not start: {e}"
                )));
            }
        };
        let namespace = match &self.kube.service {
            Ok(s) => s.default_namespace.clone(),
            Err(_) => "default".into(),
        };
        let kubeconfig = proxy.kubeconfig(&namespace);
        let now = tokio::time::Instant::now();
        let call_left = self
            .call
            .deadline
            .saturating_duration_since(std::time::Instant::now());
        let wanted = std::time::Duration::from_millis(req.timeout_ms.max(1));
        let run_deadline = now + wanted.min(call_left);
        let env: Vec<(String, String)> = Vec::new();
        let read_dirs: Vec<PathBuf> = eff.read_dirs.clone();
        let spec = spawn::SpawnSpec {
            program: &program.path,
            digest: program.digest.as_deref(),
            args: &req.args,
            stdin: req.stdin.as_deref(),
            files: &req.files,
            env: &env,
            kubeconfig: Some(&kubeconfig),
            deadline: run_deadline,
            max_output: MAX_RUN_OUTPUT,
            read_dirs: &read_dirs,
            exec_paths: &[],
        };
        let declared: &[ApprovedRequest] = req
            .approval
            .as_ref()
            .map(|a| a.requests.as_slice())
            .unwrap_or_default();
        // Bound to the person's yes only when it was given.
        let binding = admitted.approved.as_deref().map(|d| (d, declared));
        let mut proxy = proxy;
        let child = spawn::run(spec);
        tokio::pin!(child);
        let result = loop {
            tokio::select! {
                out = &mut child => break out,
                Some(p) = proxy.requests.recv() => {
                    let mut view = KubeView::new(&mut *self.call, self.kube);
                    let resp = proxy::answer(&mut view, p.request, binding, declared).await;
                    let _ = p.reply.send(resp);
                }
            }
        };
        // The token dies with the run.
        drop(proxy);
        match result {
            Ok(out) => {
                admitted.admission.finish(&match out.exit_code {
                    Some(c) => format!("exit {c}"),
                    None => "signal".into(),
                });
                Ok(RunOutput {
                    exit_code: out.exit_code,
                    stdout: out.stdout,
                    stderr: out.stderr,
                    truncated: out.truncated,
                })
            }
            Err(spawn::SpawnError::Timeout(ms)) => {
                admitted.admission.finish("timeout");
                Err(ProcessError::Timeout(ms))
            }
            Err(spawn::SpawnError::OutputLimit(n)) => {
                admitted.admission.finish("output-limit");
                Err(ProcessError::OutputLimit(n))
            }
            Err(spawn::SpawnError::SpawnFailed(why)) => {
                admitted.admission.finish("spawn-failed");
                Err(ProcessError::SpawnFailed(why))
            }
        }
    }
}
