//! The `kube` capability: structured Kubernetes API requests from plugins, checked by the
//! gate ([`crate::policy::decide`]) and RBAC ([`crate::rbac`]), executed with kube-rs, and
//! audited — one audit record per capability decision.

pub mod discovery;

use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context as _, Result};
use http::header::{ACCEPT, CONTENT_TYPE};

use crate::audit::Record;
use crate::config::Config;
use crate::plugins::bindings::kube::{
    AccessReview, ApiError, Denial, Host, KubeError, OutputFormat, PatchType, Request,
    ResourceInfo, Response, Verb,
};
use crate::plugins::runtime::CallState;
use crate::policy::{self, Decision, GateInput, Identity, RequestAttributes, RequestFacts};
use crate::rbac::Rbac;
use discovery::{DiscoveryCache, ResourceEntry};

/// The `Accept` header for server-side printing (`kubectl get` uses the same), falling back
/// to JSON for resources that have no table handler.
pub const TABLE_ACCEPT: &str = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";

/// Field manager for server-side apply when the plugin names none.
pub const FIELD_MANAGER: &str = "kube-ai-proxy";

/// Largest request body a plugin may send, in bytes.
pub const MAX_BODY: usize = 4 << 20;

/// The connection to one cluster (one kubeconfig context) and its caches.
pub struct KubeService {
    pub client: kube::Client,
    /// The kubeconfig context in use.
    pub context: String,
    /// Who the requests act as, for RBAC denials: the context's identity, or the
    /// impersonated user.
    pub identity: String,
    /// The default namespace (`K8S_NAMESPACE`, else the context's, else `default`).
    pub default_namespace: String,
    pub discovery: DiscoveryCache,
    pub rbac: Rbac,
    pub rbac_check: bool,
}

impl KubeService {
    /// Builds a client for `config.context` (or the kubeconfig's current context). No request
    /// is sent yet.
    ///
    /// Errors: no kubeconfig (and not in a cluster), an unknown context, unreadable
    /// credentials.
    pub async fn connect(config: &Config) -> Result<KubeService> {
        let options = kube::config::KubeConfigOptions {
            context: config.context.clone(),
            ..Default::default()
        };
        let mut kc = kube::Config::from_kubeconfig(&options)
            .await
            .context("cannot load the kubeconfig (set KUBECONFIG or K8S_CONTEXT)")?;
        if let Some(imp) = &config.impersonate {
            kc.auth_info.impersonate = Some(imp.user.clone());
            kc.auth_info.impersonate_groups = (!imp.groups.is_empty()).then(|| imp.groups.clone());
        }
        let context = match &config.context {
            Some(c) => c.clone(),
            None => kube::config::Kubeconfig::read()
                .ok()
                .and_then(|k| k.current_context)
                .unwrap_or_else(|| "in-cluster".into()),
        };
        let identity = match &config.impersonate {
            Some(imp) => format!(
                "user {:?} (impersonated through context {context:?})",
                imp.user
            ),
            None => format!("the identity of context {context:?}"),
        };
        let default_namespace = config
            .namespace
            .clone()
            .unwrap_or_else(|| kc.default_namespace.clone());
        let client = kube::Client::try_from(kc).context("cannot build the Kubernetes client")?;
        Ok(KubeService {
            client,
            context,
            identity,
            default_namespace,
            discovery: DiscoveryCache::default(),
            rbac: Rbac::new(config.rbac_cache),
            rbac_check: config.rbac_check,
        })
    }

    /// The RBAC pre-check of one request: a SelfSubjectAccessReview for its verb, resource,
    /// subresource, namespace and name (cached, see [`Rbac`]). `Ok` carries the audit log's
    /// `rbac` value, `allowed` (or `skipped` when `rbac_check` is off). `Err` carries `denied`
    /// with a `forbidden` error naming the identity, verb, resource, name and namespace RBAC
    /// refused (and the authorizer's reason), or `error` with a `transport` error when the
    /// review itself failed.
    pub async fn authorize(
        &self,
        attrs: &RequestAttributes,
    ) -> Result<&'static str, (&'static str, KubeError)> {
        if !self.rbac_check {
            return Ok("skipped");
        }
        match self.rbac.review(&self.client, attrs).await {
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
                let reason = format!(
                    "RBAC: {} cannot {} {}{} {ns}{why}",
                    self.identity,
                    attrs.rbac_verb(),
                    attrs.resource_display(),
                    name
                );
                Err((
                    "denied",
                    KubeError::Forbidden(Denial {
                        rule: "rbac.selfsubjectaccessreview".into(),
                        reason,
                    }),
                ))
            }
            Err(e) => Err((
                "error",
                KubeError::Transport(format!("RBAC check failed: {e}")),
            )),
        }
    }

    /// Executes a request that already passed the gate and RBAC.
    pub async fn execute(
        &self,
        req: &Request,
        attrs: &RequestAttributes,
    ) -> Result<Response, KubeError> {
        let http_req = build_http_request(req)?;
        match self.client.request_text(http_req).await {
            Ok(body) => {
                // Credentials never reach the plugin (and so the model): Secret values, env
                // vars, last-applied annotations, credential patterns in logs.
                let secret = attrs.group.is_empty() && attrs.resource == "secrets";
                let body = crate::redact::kube_body(body, secret);
                Ok(Response { status: 200, body })
            }
            Err(e) => Err(map_kube_error(e, attrs)),
        }
    }
}

/// Maps a kube-rs error to the WIT error: a 403 `Status` is `forbidden`, other `Status`
/// answers are `api`, anything else is `transport`.
fn map_kube_error(e: kube::Error, attrs: &RequestAttributes) -> KubeError {
    match e {
        kube::Error::Api(status) if status.code == 403 => KubeError::Forbidden(Denial {
            rule: "rbac.apiserver".into(),
            reason: status.message.clone(),
        }),
        kube::Error::Api(status) => KubeError::Api(ApiError {
            code: status.code,
            reason: status.reason.clone(),
            message: status.message.clone(),
        }),
        other => KubeError::Transport(format!(
            "{} {}: {other}",
            attrs.verb,
            attrs.resource_display()
        )),
    }
}

/// The WIT spelling of a verb.
pub fn verb_name(v: Verb) -> &'static str {
    match v {
        Verb::Get => "get",
        Verb::List => "list",
        Verb::Create => "create",
        Verb::Update => "update",
        Verb::Patch => "patch",
        Verb::Delete => "delete",
        Verb::DeleteCollection => "delete-collection",
    }
}

/// A path segment is safe when it is non-empty, not `.`/`..`, has no `/`, `?`, `#`, `%`,
/// whitespace or control characters. Kubernetes names (DNS subdomains, and `system:` RBAC
/// names) always are.
fn check_segment(what: &str, s: &str) -> Result<(), KubeError> {
    let bad = s.is_empty()
        || s == "."
        || s == ".."
        || s.len() > 253
        || s.chars().any(|c| {
            c.is_whitespace() || c.is_control() || matches!(c, '/' | '?' | '#' | '%' | '\\')
        });
    if bad {
        Err(KubeError::Invalid(format!("invalid {what} {s:?}")))
    } else {
        Ok(())
    }
}

/// Validates a request and returns the attributes the gate and RBAC decide on.
///
/// Errors (`invalid`): a malformed group/version/resource/name/namespace segment, a `get`,
/// `update`, `patch`, `delete` or subresource without a name, a `list` with a name, a
/// `patch` without a patch type, a body on a verb that takes none or over [`MAX_BODY`].
pub fn attributes(req: &Request) -> Result<RequestAttributes, KubeError> {
    if !req.group.is_empty() {
        check_segment("group", &req.group)?;
    }
    check_segment("version", &req.version)?;
    check_segment("resource", &req.resource)?;
    if let Some(s) = &req.subresource {
        check_segment("subresource", s)?;
    }
    if let Some(s) = &req.namespace {
        check_segment("namespace", s)?;
    }
    if let Some(s) = &req.name {
        check_segment("name", s)?;
    }
    let needs_name = matches!(
        req.verb,
        Verb::Get | Verb::Update | Verb::Patch | Verb::Delete
    ) || req.subresource.is_some();
    if needs_name && req.name.is_none() {
        return Err(KubeError::Invalid(format!(
            "{} needs an object name",
            verb_name(req.verb)
        )));
    }
    if matches!(req.verb, Verb::List | Verb::DeleteCollection) && req.name.is_some() {
        return Err(KubeError::Invalid(
            "list and delete-collection take no name".into(),
        ));
    }
    if matches!(req.verb, Verb::Patch) && req.patch_type.is_none() {
        return Err(KubeError::Invalid("patch needs a patch-type".into()));
    }
    match (&req.body, req.verb) {
        (Some(b), _) if b.len() > MAX_BODY => {
            return Err(KubeError::Limit(format!(
                "request body of {} bytes exceeds the {MAX_BODY}-byte limit",
                b.len()
            )));
        }
        (Some(_), Verb::Get | Verb::List) => {
            return Err(KubeError::Invalid("get and list take no body".into()));
        }
        (None, Verb::Create | Verb::Update | Verb::Patch) => {
            return Err(KubeError::Invalid(format!(
                "{} needs a body",
                verb_name(req.verb)
            )));
        }
        _ => {}
    }
    Ok(RequestAttributes {
        verb: verb_name(req.verb).into(),
        group: req.group.clone(),
        version: req.version.clone(),
        resource: req.resource.clone(),
        subresource: req.subresource.clone(),
        namespace: req.namespace.clone(),
        name: req.name.clone(),
    })
}

/// Builds the HTTP request for a validated [`Request`], following the API server's URL
/// layout (`/api/v1/...` for the core group, `/apis/{group}/{version}/...` otherwise).
pub fn build_http_request(req: &Request) -> Result<http::Request<Vec<u8>>, KubeError> {
    let mut path = if req.group.is_empty() {
        format!("/api/{}", req.version)
    } else {
        format!("/apis/{}/{}", req.group, req.version)
    };
    if let Some(ns) = &req.namespace {
        path.push_str("/namespaces/");
        path.push_str(ns);
    }
    path.push('/');
    path.push_str(&req.resource);
    if let Some(n) = &req.name {
        path.push('/');
        path.push_str(n);
    }
    if let Some(s) = &req.subresource {
        path.push('/');
        path.push_str(s);
    }
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    let mut has_manager = false;
    for (k, v) in &req.query {
        has_manager |= k == "fieldManager";
        query.append_pair(k, v);
    }
    if matches!(req.patch_type, Some(PatchType::Apply)) && !has_manager {
        query.append_pair("fieldManager", FIELD_MANAGER);
    }
    let query = query.finish();
    let uri = if query.is_empty() {
        path
    } else {
        format!("{path}?{query}")
    };
    let method = match req.verb {
        Verb::Get | Verb::List => http::Method::GET,
        Verb::Create => http::Method::POST,
        Verb::Update => http::Method::PUT,
        Verb::Patch => http::Method::PATCH,
        Verb::Delete | Verb::DeleteCollection => http::Method::DELETE,
    };
    let accept = match req.output {
        OutputFormat::Table if matches!(req.verb, Verb::Get | Verb::List) => TABLE_ACCEPT,
        OutputFormat::Text => "text/plain, */*",
        _ => "application/json",
    };
    let content_type = match req.patch_type {
        Some(PatchType::Json) => "application/json-patch+json",
        Some(PatchType::Merge) => "application/merge-patch+json",
        Some(PatchType::Strategic) => "application/strategic-merge-patch+json",
        Some(PatchType::Apply) => "application/apply-patch+yaml",
        None => "application/json",
    };
    let mut b = http::Request::builder()
        .method(method)
        .uri(uri)
        .header(ACCEPT, accept);
    if req.body.is_some() {
        b = b.header(CONTENT_TYPE, content_type);
    }
    b.body(req.body.clone().unwrap_or_default().into_bytes())
        .map_err(|e| KubeError::Invalid(format!("cannot build the request: {e}")))
}

fn to_info(e: &ResourceEntry) -> ResourceInfo {
    ResourceInfo {
        group: e.group.clone(),
        version: e.version.clone(),
        resource: e.resource.clone(),
        singular: e.singular.clone(),
        kind: e.kind.clone(),
        namespaced: e.namespaced,
        verbs: e.verbs.clone(),
        short_names: e.short_names.clone(),
        categories: e.categories.clone(),
    }
}

impl CallState {
    /// Counts a capability call and returns the kube service, or the error to report.
    fn kube_service(&mut self) -> Result<Arc<KubeService>, KubeError> {
        if self.loading {
            return Err(KubeError::Denied(Denial {
                rule: "host.list-tools".into(),
                reason: "capabilities are not available while the host lists a plugin's tools"
                    .into(),
            }));
        }
        self.capability_calls += 1;
        let max = self.services.config.max_capability_calls;
        if self.capability_calls > max {
            return Err(KubeError::Limit(format!(
                "more than {max} capability calls in one tool call"
            )));
        }
        if Instant::now() >= self.deadline {
            return Err(KubeError::Limit("the call's time is up".into()));
        }
        self.services.kube.clone().map_err(KubeError::Transport)
    }

    /// Who requests act as, for policy rules: the context and the impersonated user/groups.
    fn identity(&self) -> Identity {
        let config = &self.services.config;
        Identity {
            context: match &self.services.kube {
                Ok(svc) => Some(svc.context.clone()),
                Err(_) => config.context.clone(),
            },
            user: config.impersonate.as_ref().map(|i| i.user.clone()),
            groups: config
                .impersonate
                .as_ref()
                .map(|i| i.groups.clone())
                .unwrap_or_default(),
        }
    }

    /// The gate's decision for this plugin, tool and identity.
    fn gate(&self, attrs: &RequestAttributes, facts: RequestFacts) -> Decision {
        policy::decide(&GateInput {
            plugin: &self.plugin.manifest.name,
            requested: self.plugin.manifest.capabilities.kube.as_ref(),
            granted: self.plugin.grant.as_ref(),
            request: attrs,
            tool: &self.caller.tool,
            identity: &self.identity(),
            facts,
            policy: &self.services.config.policy,
        })
    }

    /// What the request's query, body and the call's declared command say (see
    /// [`RequestFacts`]).
    fn facts(&self, req: &Request) -> RequestFacts {
        let rollout_undo = self.plan.as_ref().is_some_and(|p| {
            let mut w = p.command.split_whitespace().skip(1);
            w.next() == Some("rollout") && w.next() == Some("undo")
        });
        request_facts(req, rollout_undo)
    }

    /// Pauses the call's timeout while a person is asked; returns when the wait started.
    fn pause_clock(&self) -> Instant {
        self.clock.lock().unwrap_or_else(|p| p.into_inner()).asking = true;
        Instant::now()
    }

    /// Resumes the call's timeout, extended by the time spent asking.
    fn resume_clock(&mut self, since: Instant) {
        let waited = since.elapsed();
        self.deadline += waited;
        let mut c = self.clock.lock().unwrap_or_else(|p| p.into_inner());
        c.extra += waited;
        c.asking = false;
    }

    /// Whether the plugin may use discovery at all (it requested and was granted `kube`).
    fn may_discover(&self) -> Result<(), KubeError> {
        let requested = self.plugin.manifest.capabilities.kube.is_some();
        let granted = self.plugin.grant.as_ref().is_some_and(|g| g.kube.is_some());
        if requested && granted {
            Ok(())
        } else {
            Err(KubeError::Denied(Denial {
                rule: if requested {
                    "grant.kube.not-granted"
                } else {
                    "grant.kube.not-requested"
                }
                .into(),
                reason: format!(
                    "plugin {} has no kube capability",
                    self.plugin.manifest.name
                ),
            }))
        }
    }

    fn audit(&self, mut rec: Record, started: Instant, outcome: &str) {
        rec.duration_ms = started.elapsed().as_secs_f64() * 1000.0;
        rec.outcome = outcome.to_string();
        if let Err(e) = self.services.audit.write(&rec) {
            tracing::error!(error = %e, "audit record lost");
        }
    }

    fn audit_simple(
        &self,
        capability: &'static str,
        what: &str,
        started: Instant,
        result: &Result<(), &KubeError>,
    ) {
        let attrs = RequestAttributes {
            verb: "get".into(),
            group: String::new(),
            version: String::new(),
            resource: what.into(),
            subresource: None,
            namespace: None,
            name: None,
        };
        let mut rec = Record::capability(&self.caller, capability, &attrs);
        let outcome = match result {
            Ok(()) => {
                rec.decision = Some("allow");
                "ok".to_string()
            }
            Err(e) => {
                if matches!(e, KubeError::Denied(_)) {
                    rec.decision = Some("deny");
                }
                outcome_of(e)
            }
        };
        self.audit(rec, started, &outcome);
    }
}

fn outcome_of(e: &KubeError) -> String {
    match e {
        KubeError::Denied(_) => "denied".into(),
        KubeError::Forbidden(_) => "forbidden".into(),
        KubeError::Api(a) => format!("api-error {}", a.code),
        KubeError::UnknownResource(_) => "unknown-resource".into(),
        KubeError::Invalid(_) => "invalid".into(),
        KubeError::Transport(_) => "transport-error".into(),
        KubeError::Limit(_) => "limit".into(),
    }
}

/// Reads [`RequestFacts`] from a request: `dryRun` in the query, and a body that sets
/// `spec.replicas` to 0 (JSON, YAML for server-side apply, or a JSON patch operation on
/// `/spec/replicas`).
pub fn request_facts(req: &Request, rollout_undo: bool) -> RequestFacts {
    let dry_run = req
        .query
        .iter()
        .any(|(k, v)| k == "dryRun" && !v.is_empty());
    let body: Option<serde_json::Value> = req.body.as_deref().and_then(|b| {
        serde_json::from_str(b)
            .ok()
            .or_else(|| serde_yaml_ng::from_str(b).ok())
    });
    let zero = |v: &serde_json::Value| v.as_i64() == Some(0) || v.as_str() == Some("0");
    let scale_to_zero = matches!(req.verb, Verb::Patch | Verb::Update | Verb::Create)
        && body.as_ref().is_some_and(|b| match b {
            serde_json::Value::Array(ops) => ops.iter().any(|op| {
                op.get("path").and_then(|p| p.as_str()) == Some("/spec/replicas")
                    && op.get("value").is_some_and(zero)
            }),
            _ => b.pointer("/spec/replicas").is_some_and(zero),
        });
    RequestFacts {
        dry_run,
        scale_to_zero,
        rollout_undo,
    }
}

fn transport(e: kube::Error) -> KubeError {
    KubeError::Transport(e.to_string())
}

impl Host for CallState {
    async fn send(&mut self, req: Request) -> Result<Response, KubeError> {
        let started = Instant::now();
        let attrs = attributes(&req)?;
        let mut rec = Record::capability(&self.caller, "kube.send", &attrs);
        let svc = match self.kube_service() {
            Ok(s) => s,
            Err(e) => {
                self.audit(rec, started, &outcome_of(&e));
                return Err(e);
            }
        };
        let confirm = match self.gate(&attrs, self.facts(&req)) {
            Decision::Deny { rule, reason } => {
                rec.decision = Some("deny");
                rec.rule = Some(rule.clone());
                rec.reason = Some(reason.clone());
                self.audit(rec, started, "denied");
                return Err(KubeError::Denied(Denial { rule, reason }));
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
        match svc.authorize(&attrs).await {
            Ok(verdict) => rec.rbac = Some(verdict),
            Err((verdict, err)) => {
                rec.rbac = Some(verdict);
                let outcome = outcome_of(&err);
                if let KubeError::Forbidden(d) = &err {
                    rec.reason = Some(d.reason.clone());
                }
                self.audit(rec, started, &outcome);
                return Err(err);
            }
        }
        if let Some((rule, reason)) = confirm {
            // What would change, from the API server itself (never a guess), redacted.
            let preview = match crate::confirm::preview(&svc, &req, &attrs).await {
                Ok(p) => p,
                Err(e) => {
                    rec.confirmation = Some("dry-run-failed".into());
                    self.audit(rec, started, &outcome_of(&e));
                    return Err(e);
                }
            };
            let digest = crate::confirm::request_digest(&req);
            let message = crate::confirm::message(
                &self.caller.tool,
                &policy::describe(&attrs),
                &reason,
                &preview,
            );
            let since = self.pause_clock();
            let channel = self.channel.clone();
            let answer = channel.ask(&digest, &message).await;
            self.resume_clock(since);
            rec.confirmation = Some(answer.audit_name().to_string());
            let refusal = match answer {
                crate::confirm::Answer::Accepted => None,
                crate::confirm::Answer::Refused(how) => Some((
                    "confirm.refused",
                    format!(
                        "{reason}. The person was asked and did not confirm ({how}); the request was not sent"
                    ),
                )),
                crate::confirm::Answer::Unavailable(why) => Some((
                    "confirm.unavailable",
                    format!(
                        "{reason}. It needs a person's confirmation (policy rule {rule}), but {why}, so it was not sent. An operator can let it run without confirmation with this policy rule: {}",
                        policy::allow_rule_hint(&attrs)
                    ),
                )),
                crate::confirm::Answer::Failed(why) => Some((
                    "confirm.failed",
                    format!(
                        "{reason}. Asking for confirmation failed ({why}); the request was not sent"
                    ),
                )),
                crate::confirm::Answer::InputRequired => Some((
                    "confirm.input-required",
                    format!(
                        "{reason}. Waiting for a person's confirmation; the client asks and retries the call"
                    ),
                )),
            };
            if let Some((id, text)) = refusal {
                rec.reason = Some(text.clone());
                self.audit(rec, started, "denied");
                return Err(KubeError::Denied(Denial {
                    rule: id.into(),
                    reason: text,
                }));
            }
        }
        let res = svc.execute(&req, &attrs).await;
        let outcome = match &res {
            Ok(_) => "ok".to_string(),
            Err(e) => outcome_of(e),
        };
        self.audit(rec, started, &outcome);
        res
    }

    async fn resolve(&mut self, name: String) -> Result<ResourceInfo, KubeError> {
        let started = Instant::now();
        let res = async {
            self.may_discover()?;
            let svc = self.kube_service()?;
            match svc
                .discovery
                .resolve(&svc.client, &name)
                .await
                .map_err(transport)?
            {
                Some(e) => Ok(to_info(&e)),
                None => Err(KubeError::UnknownResource(format!(
                    "the server doesn't have a resource type \"{name}\""
                ))),
            }
        }
        .await;
        self.audit_simple("kube.resolve", &name, started, &res.as_ref().map(|_| ()));
        res
    }

    async fn api_resources(&mut self) -> Result<Vec<ResourceInfo>, KubeError> {
        let started = Instant::now();
        let res = async {
            self.may_discover()?;
            let svc = self.kube_service()?;
            let all = svc
                .discovery
                .get(&svc.client, discovery::DISCOVERY_TTL)
                .await
                .map_err(transport)?;
            Ok(all.iter().map(to_info).collect())
        }
        .await;
        self.audit_simple(
            "kube.api-resources",
            "*",
            started,
            &res.as_ref().map(|_| ()),
        );
        res
    }

    async fn server_version(&mut self) -> Result<String, KubeError> {
        let started = Instant::now();
        let res = async {
            self.may_discover()?;
            let svc = self.kube_service()?;
            let info = svc.client.apiserver_version().await.map_err(transport)?;
            serde_json::to_string(&info).map_err(|e| KubeError::Transport(e.to_string()))
        }
        .await;
        self.audit_simple(
            "kube.server-version",
            "/version",
            started,
            &res.as_ref().map(|_| ()),
        );
        res
    }

    async fn openapi_schema(
        &mut self,
        group: String,
        version: String,
    ) -> Result<String, KubeError> {
        let started = Instant::now();
        let path = if group.is_empty() {
            format!("/openapi/v3/api/{version}")
        } else {
            format!("/openapi/v3/apis/{group}/{version}")
        };
        let res = async {
            check_segment("version", &version)?;
            if !group.is_empty() {
                check_segment("group", &group)?;
            }
            self.may_discover()?;
            let svc = self.kube_service()?;
            let req = http::Request::get(&path)
                .header(ACCEPT, "application/json")
                .body(Vec::new())
                .map_err(|e| KubeError::Invalid(format!("cannot build the request: {e}")))?;
            match svc.client.request_text(req).await {
                Ok(body) => Ok(body),
                Err(kube::Error::Api(s)) if s.code == 404 => Err(KubeError::UnknownResource(
                    format!("the server has no OpenAPI document for {path}"),
                )),
                Err(e) => Err(transport(e)),
            }
        }
        .await;
        self.audit_simple(
            "kube.openapi-schema",
            &path,
            started,
            &res.as_ref().map(|_| ()),
        );
        res
    }

    async fn can_i(
        &mut self,
        verb: Verb,
        group: String,
        resource: String,
        subresource: Option<String>,
        namespace: Option<String>,
        name: Option<String>,
    ) -> Result<AccessReview, KubeError> {
        let started = Instant::now();
        let attrs = RequestAttributes {
            verb: verb_name(verb).into(),
            group,
            version: String::new(),
            resource,
            subresource,
            namespace,
            name,
        };
        let mut rec = Record::capability(&self.caller, "kube.can-i", &attrs);
        let res = async {
            self.may_discover()?;
            let svc = self.kube_service()?;
            let v = svc.rbac.review(&svc.client, &attrs).await.map_err(transport)?;
            rec.rbac = Some(if v.allowed { "allowed" } else { "denied" });
            if !v.allowed {
                return Ok(AccessReview { allowed: false, reason: v.reason });
            }
            // RBAC says yes; would the host's policy let this plugin do it?
            let facts = RequestFacts::default();
            Ok(match self.gate(&attrs, facts) {
                Decision::Allow { .. } => AccessReview { allowed: true, reason: v.reason },
                Decision::Confirm { rule, .. } => AccessReview {
                    allowed: true,
                    reason: format!("allowed after a person confirms it (policy rule {rule})"),
                },
                Decision::Deny { rule, reason } => AccessReview {
                    allowed: false,
                    reason: format!("RBAC allows it, but kube-ai-proxy's policy denies it (rule {rule}): {reason}"),
                },
            })
        }
        .await;
        rec.decision = Some("allow");
        let outcome = match &res {
            Ok(r) => format!("ok allowed={}", r.allowed),
            Err(e) => outcome_of(e),
        };
        self.audit(rec, started, &outcome);
        res
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(verb: Verb) -> Request {
        Request {
            verb,
            group: "apps".into(),
            version: "v1".into(),
            resource: "deployments".into(),
            subresource: None,
            namespace: Some("demo".into()),
            name: Some("web".into()),
            query: vec![],
            body: None,
            patch_type: None,
            output: OutputFormat::Json,
        }
    }

    #[test]
    fn urls_follow_the_api_layout() {
        let mut r = req(Verb::Get);
        let h = build_http_request(&r).unwrap();
        assert_eq!(h.uri(), "/apis/apps/v1/namespaces/demo/deployments/web");
        assert_eq!(h.method(), http::Method::GET);
        r.group = String::new();
        r.resource = "pods".into();
        r.subresource = Some("log".into());
        r.query = vec![
            ("tailLines".into(), "10".into()),
            ("container".into(), "a b&c".into()),
        ];
        r.output = OutputFormat::Text;
        let h = build_http_request(&r).unwrap();
        assert_eq!(
            h.uri(),
            "/api/v1/namespaces/demo/pods/web/log?tailLines=10&container=a+b%26c"
        );
        let mut l = req(Verb::List);
        l.name = None;
        l.namespace = None;
        l.output = OutputFormat::Table;
        let h = build_http_request(&l).unwrap();
        assert_eq!(h.uri(), "/apis/apps/v1/deployments");
        assert!(h.headers()[ACCEPT].to_str().unwrap().contains("as=Table"));
    }

    #[test]
    fn apply_gets_a_field_manager_and_content_type() {
        let mut r = req(Verb::Patch);
        r.patch_type = Some(PatchType::Apply);
        r.body = Some("{}".into());
        let h = build_http_request(&r).unwrap();
        assert_eq!(h.method(), http::Method::PATCH);
        assert!(h.uri().to_string().ends_with("?fieldManager=kube-ai-proxy"));
        assert_eq!(h.headers()[CONTENT_TYPE], "application/apply-patch+yaml");
    }

    #[test]
    fn malformed_requests_are_invalid() {
        let mut r = req(Verb::Get);
        r.name = Some("../../secrets".into());
        assert!(matches!(attributes(&r), Err(KubeError::Invalid(_))));
        let mut r = req(Verb::Get);
        r.name = None;
        assert!(matches!(attributes(&r), Err(KubeError::Invalid(_))));
        let mut r = req(Verb::Patch);
        r.body = Some("{}".into());
        assert!(
            matches!(attributes(&r), Err(KubeError::Invalid(_))),
            "patch without type"
        );
        let mut r = req(Verb::List);
        assert!(
            matches!(attributes(&r), Err(KubeError::Invalid(_))),
            "list with a name"
        );
        r.name = None;
        r.namespace = Some("a?b".into());
        assert!(matches!(attributes(&r), Err(KubeError::Invalid(_))));
        let mut r = req(Verb::Create);
        r.name = None;
        r.body = Some("x".repeat(MAX_BODY + 1));
        assert!(matches!(attributes(&r), Err(KubeError::Limit(_))));
        let ok = attributes(&req(Verb::Delete)).unwrap();
        assert_eq!(ok.resource_display(), "deployments.apps");
    }
}
