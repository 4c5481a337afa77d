//! The gate: the one place where the host decides whether a capability call may run.
//!
//! Every capability call passes [`admit`] (or, for questions and reads, [`review`],
//! [`admit_discovery`], [`admit_read`]): `kube.send`, `kube.can-i`, the discovery calls, the
//! MCP resource reads, and the process capability's API proxy. In order:
//! 1. the plugin's effective grant (requested ∩ granted) and the operator's policy
//!    ([`crate::policy::decide`], pure);
//! 2. Kubernetes RBAC: a SelfSubjectAccessReview for the exact request attributes
//!    ([`crate::rbac`], the one place that builds a review), unless the operator turned it off;
//! 3. for a `Confirm` decision: the capability's preview of the effect, then a person's yes
//!    through the call's [`Channel`] ([`crate::confirm`]); fail closed;
//! 4. the audit record: written here for every refusal, and by [`Admission::finish`] with the
//!    outcome for every request that was let through.
//!
//! The answer is [`Verdict`]-shaped: allowed (an [`Admission`]), or a [`Refusal`] — `deny`
//! (rule, reason), `forbidden` (RBAC), a confirmation that was not given, or a failure of
//! the check itself. Nothing else in the host makes these decisions.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::audit::{AuditLog, Caller, Record, Subject};
use crate::confirm::{Answer, Channel, Clock};
use crate::plugins::manifest::PluginInfo;
use crate::policy::{self, Decision, GateInput, Identity, Policy, RequestAttributes, RequestFacts};
use crate::rbac::Rbac;

/// Who asks: the plugin (with its digest, requested capabilities and grant), the tool call
/// (request id, MCP client, tool) and the identity the host acts as.
pub struct Principal<'a> {
    /// The plugin making the call.
    pub plugin: &'a PluginInfo,
    /// The tool call the request belongs to (audit key).
    pub caller: &'a Caller,
    /// The kube context and impersonated user/groups, for identity rules.
    pub identity: &'a Identity,
}

/// The host's shared parts the gate consults: the policy, the audit log and, when there is a
/// cluster connection, RBAC.
pub struct Gate<'a> {
    /// The operator's policy.
    pub policy: &'a Policy,
    /// Where every decision is written.
    pub audit: &'a Arc<AuditLog>,
    /// RBAC: the SelfSubjectAccessReview cache, the client and the identity's description
    /// (for messages). `None` skips the check (`rbac_check = false`, or no cluster).
    pub rbac: Option<RbacCheck<'a>>,
}

/// How to run the RBAC pre-check.
pub struct RbacCheck<'a> {
    /// The review cache.
    pub rbac: &'a Rbac,
    /// The client that creates the reviews.
    pub client: &'a kube::Client,
    /// Who the requests act as, for messages, e.g. `the identity of context "kap"`.
    pub identity: &'a str,
}

/// Why a request was not let through. The rule ids are the policy's and the grant's
/// (`grant.kube.not-granted`, `default.protected-delete`, ...), `rbac.selfsubjectaccessreview`,
/// and `confirm.refused` / `confirm.unavailable` / `confirm.failed` / `confirm.input-required`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The grant or the policy refused it (or no person confirmed it).
    #[error("{reason} (rule {rule})")]
    Denied {
        /// The rule that decided.
        rule: String,
        /// A sentence for a person.
        reason: String,
    },
    /// Kubernetes RBAC refused it.
    #[error("{reason}")]
    Forbidden {
        /// `rbac.selfsubjectaccessreview`.
        rule: String,
        /// Names the identity, verb, resource, name and namespace.
        reason: String,
    },
    /// The check itself failed (the review could not be created); the request was not sent.
    #[error("{0}")]
    Unavailable(String),
}

impl Refusal {
    /// The audit outcome of this refusal.
    pub fn outcome(&self) -> &'static str {
        match self {
            Refusal::Denied { .. } => "denied",
            Refusal::Forbidden { .. } => "forbidden",
            Refusal::Unavailable(_) => "transport-error",
        }
    }
}

/// A request the gate let through; its audit record is written by [`Admission::finish`] once
/// the capability knows the outcome (dropping it unfinished writes `outcome = "abandoned"`).
pub struct Admission {
    audit: Arc<AuditLog>,
    rec: Option<Record>,
    started: Instant,
}

impl Admission {
    /// Writes the audit record with `outcome` (`ok`, `api-error 404`, ...).
    pub fn finish(mut self, outcome: &str) {
        if let Some(rec) = self.rec.take() {
            write(&self.audit, rec, self.started, outcome);
        }
    }
}

impl Drop for Admission {
    fn drop(&mut self) {
        if let Some(rec) = self.rec.take() {
            write(&self.audit, rec, self.started, "abandoned");
        }
    }
}

/// Audits `rec` as denied by `rule` and returns the refusal.
fn deny(
    audit: &AuditLog,
    mut rec: Record,
    started: Instant,
    rule: String,
    reason: String,
) -> Refusal {
    rec.decision = Some("deny");
    rec.rule = Some(rule.clone());
    rec.reason = Some(reason.clone());
    write(audit, rec, started, "denied");
    Refusal::Denied { rule, reason }
}

fn write(audit: &AuditLog, mut rec: Record, started: Instant, outcome: &str) {
    rec.duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    rec.outcome = outcome.to_string();
    if let Err(e) = audit.write(&rec) {
        tracing::error!(error = %e, "audit record lost");
    }
}

/// Asks the person through `channel` (the clock paused meanwhile, `deadline` moved later by
/// the wait) and notes the answer in `rec.confirmation`. A yes returns `rec` for the
/// admission; anything else writes `rec` as denied and returns the refusal, with rule
/// `confirm.refused`, `confirm.unavailable`, `confirm.failed` or `confirm.input-required`.
#[allow(clippy::too_many_arguments)]
async fn ask(
    audit: &AuditLog,
    mut rec: Record,
    started: Instant,
    message: &str,
    rule: &str,
    reason: &str,
    digest: &str,
    allow_hint: &str,
    channel: &Channel,
    clock: &Mutex<Clock>,
    deadline: &mut Instant,
) -> Result<Record, Refusal> {
    let since = pause(clock);
    let answer = channel.ask(digest, message).await;
    *deadline += resume(clock, since);
    rec.confirmation = Some(answer.audit_name().into());
    let (rule, reason) = match answer {
        Answer::Accepted => return Ok(rec),
        Answer::Refused(how) => (
            "confirm.refused",
            format!(
                "{reason}. The person was asked and did not confirm ({how}); the request was not sent"
            ),
        ),
        Answer::Unavailable(why) => (
            "confirm.unavailable",
            format!(
                "{reason}. It needs a person's confirmation (policy rule {rule}), but {why}, so it was not sent. An operator can let it run without confirmation with this policy rule: {allow_hint}"
            ),
        ),
        Answer::Failed(why) => (
            "confirm.failed",
            format!("{reason}. Asking for confirmation failed ({why}); the request was not sent"),
        ),
        Answer::InputRequired => (
            "confirm.input-required",
            format!(
                "{reason}. Waiting for a person's confirmation; the client asks and retries the call"
            ),
        ),
    };
    rec.reason = Some(reason.clone());
    write(audit, rec, started, "denied");
    Err(Refusal::Denied {
        rule: rule.into(),
        reason,
    })
}

/// The audit record of a program run: the program name (at most 128 characters) and the
/// first 64 arguments (each at most 256 characters, redacted).
fn process_record(principal: &Principal<'_>, program: &str, args: &[String]) -> Record {
    Record::capability(
        principal.caller,
        "process.run",
        Subject::Process {
            program: program.chars().take(128).collect(),
            args: args
                .iter()
                .take(64)
                .map(|a| crate::redact::text(&a.chars().take(256).collect::<String>()).into_owned())
                .collect(),
        },
    )
}

/// What a process run asks the gate ([`Gate::admit_process`]).
pub struct ProcessRun<'a> {
    /// The program name the plugin asked for.
    pub program: &'a str,
    /// Its argument vector (as the plugin passed it; redacted for the audit record here).
    pub args: &'a [String],
    /// Whether the plugin's effective grant names the program; `Err` is why not.
    pub granted: Result<(), String>,
    /// The argument check against the grant ([`crate::capabilities::process::args`]).
    pub args_ok: Result<(), String>,
    /// The person's approval the plugin asks for before the run, if any.
    pub approval: Option<RunApproval<'a>>,
    /// How the person is reached.
    pub channel: &'a Channel,
    /// The call's clock: paused while the person is asked.
    pub clock: &'a Mutex<Clock>,
}

/// A run's approval: one question before the program starts, covering `requests`.
pub struct RunApproval<'a> {
    /// One line: what the run does.
    pub what: &'a str,
    /// What the person reads (a diff, the objects to delete).
    pub preview: &'a str,
    /// Ask even when no listed request needs confirmation by policy.
    pub required: bool,
    /// The requests the approval covers, each with the facts the policy judges it by
    /// (helm's release records carry `release_storage`).
    pub requests: &'a [(RequestAttributes, RequestFacts)],
    /// Binds a yes to exactly this run and approval (see [`crate::confirm`]).
    pub digest: String,
}

/// What [`Gate::admit_process`] let through.
pub struct ProcessAdmission {
    /// The run's audit record, written by [`Admission::finish`] with the outcome.
    pub admission: Admission,
    /// The approval's digest when the person approved the run: requests of the run that
    /// match its `requests` are bound to it ([`Confirmation::bound`]).
    pub approved: Option<String>,
}

/// How a confirmation is asked for one request: the capability's preview, the digest that
/// binds a yes to this exact request, the call's channel and clock.
pub struct Confirmation<'a, P> {
    /// Builds the preview of the effect (e.g. a server-side dry run). `Err` carries the
    /// capability's error and its audit outcome; the request is then not sent.
    pub preview: P,
    /// The request's digest (a yes covers only this digest).
    pub digest: String,
    /// A one-line description of the request, e.g. `delete pods "web" in namespace "demo"`.
    pub what: String,
    /// The policy rule a person could add instead of confirming.
    pub allow_hint: String,
    /// How the person is reached.
    pub channel: &'a Channel,
    /// The digest of a run approval the person gave that covers this request (see
    /// [`Gate::admit_process`]); a `Confirm` decision is then answered by it.
    pub bound: Option<String>,
    /// The call's clock: paused while the person is asked.
    pub clock: &'a Mutex<Clock>,
}

/// What [`admit`] returns when the preview itself failed: the capability's error, and the
/// audit outcome it was recorded with.
#[derive(Debug)]
pub enum AdmitError<E> {
    /// The gate refused the request.
    Refused(Refusal),
    /// The capability's confirmation preview failed; the request was not sent.
    Preview(E),
}

impl Gate<'_> {
    /// The grant and policy decision for a Kubernetes request (pure; no audit).
    pub fn decide(
        &self,
        principal: &Principal<'_>,
        attrs: &RequestAttributes,
        facts: RequestFacts,
    ) -> Decision {
        policy::decide(&GateInput {
            plugin: &principal.plugin.manifest.name,
            requested: principal.plugin.manifest.capabilities.kube.as_ref(),
            granted: principal.plugin.grant.as_ref(),
            request: attrs,
            tool: &principal.caller.tool,
            identity: principal.identity,
            facts,
            policy: self.policy,
        })
    }

    /// The RBAC pre-check: `Ok` carries the audit `rbac` value (`allowed`, or `skipped`
    /// without a check); `Err` a [`Refusal::Forbidden`] naming the identity, verb, resource,
    /// name and namespace (with the authorizer's reason), or [`Refusal::Unavailable`] when the
    /// review could not be created.
    pub async fn rbac(&self, attrs: &RequestAttributes) -> Result<&'static str, Refusal> {
        rbac_check(self.rbac.as_ref(), attrs).await
    }

    /// Admits one Kubernetes request a plugin wants sent (`kube.send`; the process
    /// capability's API proxy): grant and policy, RBAC, then — for a `Confirm` decision — the
    /// preview and a person's yes. Every refusal is audited here; an [`Admission`] is audited
    /// when it is finished.
    ///
    /// `deadline` is moved later by the time spent waiting for the person.
    #[allow(clippy::too_many_arguments)]
    pub async fn admit<E, P, F, G, GF>(
        &self,
        principal: &Principal<'_>,
        capability: &'static str,
        attrs: &RequestAttributes,
        facts: RequestFacts,
        effects: Option<G>,
        confirmation: Confirmation<'_, P>,
        deadline: &mut Instant,
    ) -> Result<Admission, AdmitError<(E, String)>>
    where
        P: FnOnce() -> F,
        F: Future<Output = Result<String, (E, String)>>,
        G: FnOnce() -> GF,
        GF: Future<Output = Result<RequestFacts, (E, String)>>,
    {
        let started = Instant::now();
        let mut rec =
            Record::capability(principal.caller, capability, Subject::Kube(attrs.clone()));
        let mut confirm = match self.decide(principal, attrs, facts) {
            Decision::Deny { rule, reason } => {
                return Err(AdmitError::Refused(deny(
                    self.audit, rec, started, rule, reason,
                )));
            }
            Decision::Allow { rule } => {
                rec.decision = Some("allow");
                rec.rule = Some(rule);
                None
            }
            Decision::Confirm { rule, reason } => {
                rec.decision = Some("confirm");
                rec.rule = Some(rule.clone());
                rec.reason = Some(reason.clone());
                Some((rule, reason))
            }
        };
        match self.rbac(attrs).await {
            Ok(verdict) => rec.rbac = Some(verdict),
            Err(refusal) => {
                rec.rbac = Some(match refusal {
                    Refusal::Forbidden { .. } => "denied",
                    _ => "error",
                });
                if let Refusal::Forbidden { reason, .. } = &refusal {
                    rec.reason = Some(reason.clone());
                }
                write(self.audit, rec, started, refusal.outcome());
                return Err(AdmitError::Refused(refusal));
            }
        }
        // Strict mode: judge the effect, not the spelling. The capability sends the request as
        // a server-side dry run and reports what the object would become; the gate decides
        // again with those facts (a garbage-collector delete is a delete, a NoExecute taint
        // an eviction, replicas becoming 0 a scale to zero, ...).
        if self.policy.mode == crate::policy::Mode::Strict
            && let Some(judge) = effects
        {
            match judge().await {
                Ok(found) => {
                    let facts = RequestFacts {
                        scale_to_zero: facts.scale_to_zero || found.scale_to_zero,
                        gc_delete: found.gc_delete,
                        eviction: found.eviction,
                        api_interception: found.api_interception,
                        secret_params: found.secret_params,
                        gitops_prune: found.gitops_prune,
                        gitops_rollback: found.gitops_rollback,
                        ..facts
                    };
                    if facts.secret_params
                        && let Some((rule, reason)) = self.secret_read_refusal(principal).await
                    {
                        if !facts.effects(attrs).is_empty() {
                            rec.effects = Some(facts.effects(attrs));
                        }
                        return Err(AdmitError::Refused(deny(
                            self.audit,
                            rec,
                            started,
                            rule,
                            format!(
                                "this admission policy takes Secrets as params (spec.paramKind: Secret), so its messages can print Secret values to any caller: writing it counts as reading Secrets in every namespace. {reason}"
                            ),
                        )));
                    }
                    let names = facts.effects(attrs);
                    if !names.is_empty() {
                        rec.effects = Some(names);
                    }
                    match self.decide(principal, attrs, facts) {
                        Decision::Deny { rule, reason } => {
                            return Err(AdmitError::Refused(deny(
                                self.audit, rec, started, rule, reason,
                            )));
                        }
                        Decision::Confirm { rule, reason } => {
                            rec.decision = Some("confirm");
                            rec.rule = Some(rule.clone());
                            rec.reason = Some(reason.clone());
                            confirm = Some((rule, reason));
                        }
                        Decision::Allow { .. } => {}
                    }
                }
                Err((e, outcome)) => {
                    rec.reason =
                        Some("the server-side dry run that judges the effect failed".into());
                    write(self.audit, rec, started, &outcome);
                    return Err(AdmitError::Preview((e, outcome)));
                }
            }
        }
        if confirm.is_some()
            && let Some(bound) = &confirmation.bound
        {
            // Bound to an approval the person already gave for the whole run (a process
            // run's `approval`): that yes answers this request's question.
            rec.confirmation = Some(format!("approved-with-run {bound}"));
            confirm = None;
        }
        if let Some((rule, reason)) = confirm {
            let preview = match (confirmation.preview)().await {
                Ok(p) => p,
                Err((e, outcome)) => {
                    rec.confirmation = Some("dry-run-failed".into());
                    write(self.audit, rec, started, &outcome);
                    return Err(AdmitError::Preview((e, outcome)));
                }
            };
            let message = crate::confirm::message(
                &principal.caller.tool,
                &confirmation.what,
                &reason,
                &preview,
            );
            rec = ask(
                self.audit,
                rec,
                started,
                &message,
                &rule,
                &reason,
                &confirmation.digest,
                &confirmation.allow_hint,
                confirmation.channel,
                confirmation.clock,
                deadline,
            )
            .await
            .map_err(AdmitError::Refused)?;
        }
        Ok(self.admission(rec, started))
    }

    /// An admission whose record is written when it is finished (or dropped).
    fn admission(&self, rec: Record, started: Instant) -> Admission {
        Admission {
            audit: self.audit.clone(),
            rec: Some(rec),
            started,
        }
    }

    /// Audits and returns the refusal of a program run that ends before the gate's own
    /// checks (the per-call budget, loading, the input size), under the caller's `rule`.
    pub fn deny_process(
        &self,
        principal: &Principal<'_>,
        program: &str,
        args: &[String],
        rule: &str,
        reason: String,
    ) -> Refusal {
        let rec = process_record(principal, program, args);
        deny(self.audit, rec, Instant::now(), rule.into(), reason)
    }

    /// Admits one program run (`process.run`): the grant names the program, the argument
    /// vector passes the grant's checks, no request the run's approval lists is denied by the
    /// policy (so a run that would be refused half-way does not start: nothing is left
    /// behind), and — when the approval is `required` or the policy marks one of its requests
    /// for confirmation — the person approves the run as a whole, with its preview, before
    /// the program starts. Audited with a `process` subject; refusals are written here.
    ///
    /// Errors: [`Refusal::Denied`] with `grant.process.not-granted`, `grant.process.args`,
    /// the policy rule of a listed request, or a `confirm.*` rule.
    pub async fn admit_process(
        &self,
        principal: &Principal<'_>,
        run: ProcessRun<'_>,
        deadline: &mut Instant,
    ) -> Result<ProcessAdmission, Refusal> {
        let started = Instant::now();
        let mut rec = process_record(principal, run.program, run.args);
        if let Err(why) = run.granted {
            return Err(deny(
                self.audit,
                rec,
                started,
                "grant.process.not-granted".into(),
                why,
            ));
        }
        if let Err(why) = run.args_ok {
            return Err(deny(
                self.audit,
                rec,
                started,
                "grant.process.args".into(),
                why,
            ));
        }
        rec.decision = Some("allow");
        rec.rule = Some("grant.process".into());
        let Some(approval) = run.approval else {
            return Ok(ProcessAdmission {
                admission: self.admission(rec, started),
                approved: None,
            });
        };
        let mut confirm: Option<(String, String)> = approval.required.then(|| {
            (
                "process.approval".to_string(),
                format!(
                    "{} asks for a person's approval of this run",
                    principal.plugin.manifest.name
                ),
            )
        });
        let mut hint = "(none: the plugin asks for approval of every such run)".to_string();
        for (attrs, facts) in approval.requests {
            match self.decide(principal, attrs, *facts) {
                Decision::Deny { rule, reason } => {
                    return Err(deny(
                        self.audit,
                        rec,
                        started,
                        rule,
                        format!(
                            "the run would {}, which the policy denies: {reason}. Nothing was started",
                            policy::describe(attrs)
                        ),
                    ));
                }
                Decision::Confirm { rule, reason } if confirm.is_none() => {
                    hint = policy::allow_rule_hint(attrs);
                    confirm = Some((rule, reason));
                }
                _ => {}
            }
        }
        let Some((rule, reason)) = confirm else {
            return Ok(ProcessAdmission {
                admission: self.admission(rec, started),
                approved: None,
            });
        };
        rec.decision = Some("confirm");
        rec.rule = Some(rule.clone());
        rec.reason = Some(reason.clone());
        let message = crate::confirm::run_message(
            &principal.caller.tool,
            approval.what,
            &reason,
            approval.preview,
        );
        let rec = ask(
            self.audit,
            rec,
            started,
            &message,
            &rule,
            &reason,
            &approval.digest,
            &hint,
            run.channel,
            run.clock,
            deadline,
        )
        .await?;
        Ok(ProcessAdmission {
            admission: self.admission(rec, started),
            approved: Some(approval.digest),
        })
    }

    /// Why this principal may not read Secrets in every namespace (`list secrets`, all
    /// namespaces): the grant and policy's rule and reason, or RBAC's. `None` when it may.
    async fn secret_read_refusal(&self, principal: &Principal<'_>) -> Option<(String, String)> {
        let read = RequestAttributes {
            verb: crate::verb::Verb::List,
            group: String::new(),
            version: "v1".into(),
            resource: "secrets".into(),
            subresource: None,
            namespace: None,
            name: None,
        };
        if let Decision::Deny { rule, reason } =
            self.decide(principal, &read, RequestFacts::default())
        {
            return Some((rule, reason));
        }
        match self.rbac(&read).await {
            Ok(_) => None,
            Err(Refusal::Forbidden { rule, reason } | Refusal::Denied { rule, reason }) => {
                Some((rule, reason))
            }
            Err(Refusal::Unavailable(why)) => Some((
                "rbac.unavailable".into(),
                format!("the access review for reading Secrets failed: {why}"),
            )),
        }
    }

    /// Answers `kube.can-i`: RBAC (a SelfSubjectAccessReview), then whether the policy would
    /// let this plugin do it. Never refuses by itself: the answer is the review. The audit
    /// record's `decision` is the gate's decision for the asked request, and `rbac` the
    /// review's answer.
    pub async fn review(
        &self,
        principal: &Principal<'_>,
        attrs: &RequestAttributes,
    ) -> Result<(bool, String), Refusal> {
        let started = Instant::now();
        let mut rec =
            Record::capability(principal.caller, "kube.can-i", Subject::Kube(attrs.clone()));
        let res = self.review_inner(principal, attrs, &mut rec).await;
        let outcome = match &res {
            Ok((allowed, _)) => format!("ok allowed={allowed}"),
            Err(e) => e.outcome().to_string(),
        };
        write(self.audit, rec, started, &outcome);
        res
    }

    async fn review_inner(
        &self,
        principal: &Principal<'_>,
        attrs: &RequestAttributes,
        rec: &mut Record,
    ) -> Result<(bool, String), Refusal> {
        if let Err(refusal) = discovery_allowed(principal.plugin) {
            rec.decision = Some("deny");
            if let Refusal::Denied { rule, reason } = &refusal {
                rec.rule = Some(rule.clone());
                rec.reason = Some(reason.clone());
            }
            return Err(refusal);
        }
        let verdict = match &self.rbac {
            Some(check) => check
                .rbac
                .review(check.client, attrs)
                .await
                .map_err(|e| Refusal::Unavailable(format!("RBAC check failed: {e}")))?,
            None => crate::rbac::Verdict {
                allowed: true,
                reason: "RBAC checks are off".into(),
            },
        };
        rec.rbac = Some(if verdict.allowed { "allowed" } else { "denied" });
        let decision = self.decide(principal, attrs, RequestFacts::default());
        rec.decision = Some(match &decision {
            Decision::Allow { .. } => "allow",
            Decision::Deny { .. } => "deny",
            Decision::Confirm { .. } => "confirm",
        });
        if !verdict.allowed {
            return Ok((false, verdict.reason));
        }
        Ok(match decision {
            Decision::Allow { rule } => {
                rec.rule = Some(rule);
                (true, verdict.reason)
            }
            Decision::Confirm { rule, .. } => {
                let reason = format!("allowed after a person confirms it (policy rule {rule})");
                rec.rule = Some(rule);
                (true, reason)
            }
            Decision::Deny { rule, reason } => {
                let text = format!(
                    "RBAC allows it, but kube-ai-proxy's policy denies it (rule {rule}): {reason}"
                );
                rec.rule = Some(rule);
                (false, text)
            }
        })
    }

    /// Admits a discovery-level call (`kube.resolve`, `kube.api-resources`,
    /// `kube.server-version`, `kube.openapi-schema`): allowed when the plugin requested and
    /// was granted `kube` at all. Audited here when refused; the admission is finished by
    /// the caller with the outcome.
    pub fn admit_discovery(
        &self,
        principal: &Principal<'_>,
        capability: &'static str,
        target: &str,
    ) -> Result<Admission, Refusal> {
        let started = Instant::now();
        let mut rec = Record::capability(
            principal.caller,
            capability,
            Subject::Discovery {
                target: target.to_string(),
            },
        );
        match discovery_allowed(principal.plugin) {
            Ok(()) => {
                rec.decision = Some("allow");
                rec.rule = Some("grant.kube".into());
                Ok(Admission {
                    audit: self.audit.clone(),
                    rec: Some(rec),
                    started,
                })
            }
            Err(refusal) => {
                rec.decision = Some("deny");
                if let Refusal::Denied { rule, reason } = &refusal {
                    rec.rule = Some(rule.clone());
                    rec.reason = Some(reason.clone());
                }
                write(self.audit, rec, started, refusal.outcome());
                Err(refusal)
            }
        }
    }

    /// Starts the audit record of one MCP resource read by the host (`resources/read`):
    /// host-internal reads of fixed objects that return only names, phases, versions and
    /// readiness. The plugin policy does not apply (rule `host.resources`); RBAC does, per
    /// request, through [`Gate::rbac`].
    pub fn admit_read(
        &self,
        caller: &Caller,
        uri: &str,
        request: RequestAttributes,
    ) -> ReadAdmission {
        let mut rec = Record::capability(
            caller,
            RESOURCE_READ,
            Subject::ResourceRead {
                uri: uri.to_string(),
                request,
            },
        );
        rec.decision = Some("allow");
        rec.rule = Some("host.resources".into());
        ReadAdmission {
            audit: self.audit.clone(),
            rec,
            started: Instant::now(),
        }
    }
}

/// The audit capability name of an MCP resource read.
pub const RESOURCE_READ: &str = "resource.read";

/// The audit record of one resource read, in the making (one record per read, however many
/// requests it makes).
pub struct ReadAdmission {
    audit: Arc<AuditLog>,
    /// The record; readers set `rbac` and `reason` as they go.
    pub rec: Record,
    started: Instant,
}

impl ReadAdmission {
    /// Writes the record with `outcome`.
    pub fn finish(self, outcome: &str) {
        write(&self.audit, self.rec, self.started, outcome);
    }
}

/// Whether the plugin may use discovery at all: it requested and was granted `kube`.
fn discovery_allowed(plugin: &PluginInfo) -> Result<(), Refusal> {
    let requested = plugin.manifest.capabilities.kube.is_some();
    let granted = plugin.grant.as_ref().is_some_and(|g| g.kube.is_some());
    if requested && granted {
        Ok(())
    } else {
        Err(Refusal::Denied {
            rule: if requested {
                "grant.kube.not-granted"
            } else {
                "grant.kube.not-requested"
            }
            .into(),
            reason: format!("plugin {} has no kube capability", plugin.manifest.name),
        })
    }
}

/// Pauses the call's timeout while a person is asked; returns when the wait started.
fn pause(clock: &Mutex<Clock>) -> Instant {
    clock.lock().unwrap_or_else(|p| p.into_inner()).asking = true;
    Instant::now()
}

/// Resumes the call's timeout; returns the time spent asking (the deadline moves by it).
fn resume(clock: &Mutex<Clock>, since: Instant) -> Duration {
    let waited = since.elapsed();
    let mut c = clock.lock().unwrap_or_else(|p| p.into_inner());
    c.extra += waited;
    c.asking = false;
    waited
}

/// The RBAC pre-check of one request (see [`Gate::rbac`]); `None` skips it (`skipped`).
pub async fn rbac_check(
    check: Option<&RbacCheck<'_>>,
    attrs: &RequestAttributes,
) -> Result<&'static str, Refusal> {
    let Some(check) = check else {
        return Ok("skipped");
    };
    match check.rbac.review(check.client, attrs).await {
        Ok(v) if v.allowed => Ok("allowed"),
        Ok(v) => {
            let ns = attrs
                .namespace
                .as_deref()
                .map(|n| format!("in the namespace {n:?}"))
                .unwrap_or_else(|| "at the cluster scope".into());
            let name = attrs
                .name
                .as_deref()
                .map(|n| format!(" {n:?}"))
                .unwrap_or_default();
            let why = if v.reason.is_empty() {
                String::new()
            } else {
                format!(" ({})", v.reason)
            };
            Err(Refusal::Forbidden {
                rule: "rbac.selfsubjectaccessreview".into(),
                reason: format!(
                    "RBAC: {} cannot {} {}{} {ns}{why}",
                    check.identity,
                    attrs.rbac_verb(),
                    attrs.resource_display(),
                    name
                ),
            })
        }
        Err(e) => Err(Refusal::Unavailable(format!("RBAC check failed: {e}"))),
    }
}
