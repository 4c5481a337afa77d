//! The `kube` capability: structured Kubernetes API requests from plugins, admitted by the
//! gate ([`crate::gate`]: grant, policy, RBAC, confirmation, audit), executed with kube-rs,
//! redacted. One audit record per capability decision. Serves every contract version's
//! `kube` interface ([`add_to_linker`]); the confirmation preview is [`preview`].

pub mod discovery;
pub mod effects;
pub mod preview;
pub mod scope;
pub mod service;

pub use service::{
    FIELD_MANAGER, Impersonate, KubeService, KubeSettings, MAX_BODY, TABLE_ACCEPT,
    build_http_request,
};

/// The WIT spelling of a verb (see [`crate::verb::Verb`]).
pub fn verb_name(v: Verb) -> &'static str {
    crate::verb::Verb::from(v).as_str()
}

use std::sync::Arc;

use http::header::ACCEPT;
use wasmtime::component::{HasData, Linker};

use super::call::{Call, CountRefusal};
use crate::gate::{AdmitError, Confirmation, Gate, Principal, RbacCheck, Refusal};
use crate::policy::{self, RequestAttributes, RequestFacts};
use crate::wit::kube::{
    self as latest_kube, AccessReview, Denial, KubeError, Request, ResourceInfo, Response, Verb,
};
use crate::wit::v0_1_0::kube_ai_proxy::plugin::kube as v0_1_0_kube;
use crate::wit::v0_1_0_adapter as adapter;
use discovery::ResourceEntry;

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
        verb: req.verb.into(),
        group: req.group.clone(),
        version: req.version.clone(),
        resource: req.resource.clone(),
        subresource: req.subresource.clone(),
        namespace: req.namespace.clone(),
        name: req.name.clone(),
    })
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

/// The audit outcome of a kube error.
pub fn outcome_of(e: &KubeError) -> String {
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

/// A gate refusal as the WIT error the plugin receives.
pub fn refusal_error(r: Refusal) -> KubeError {
    match r {
        Refusal::Denied { rule, reason } => KubeError::Denied(Denial { rule, reason }),
        Refusal::Forbidden { rule, reason } => KubeError::Forbidden(Denial { rule, reason }),
        Refusal::Unavailable(why) => KubeError::Transport(why),
    }
}

/// Reads [`RequestFacts`] from a request: `dryRun` in the query, and a body that sets
/// `spec.replicas` to 0 (JSON, YAML for server-side apply, or a JSON patch operation on
/// `/spec/replicas`). `rollout_undo` comes from the call's declared plan (`facts`).
pub fn request_facts(req: &Request, rollout_undo: bool) -> RequestFacts {
    let dry_run = req
        .query
        .iter()
        .any(|(k, v)| k == "dryRun" && !v.is_empty());
    // The body is the plugin's, built from the model's input: parsed within the host's
    // bounds (an unparseable or oversized body has no facts; the dry run still judges it).
    let body: Option<serde_json::Value> = req
        .body
        .as_deref()
        .and_then(|b| crate::bounds::json_or_yaml(b, &crate::bounds::Limits::DEFAULT));
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
        metadata_read: matches!(req.output, crate::wit::kube::OutputFormat::Table),
        ..RequestFacts::default()
    }
}

fn transport(e: kube::Error) -> KubeError {
    KubeError::Transport(e.to_string())
}

/// The `kube` capability's own per-call state: the cluster connection it uses.
pub struct KubeState {
    /// The Kubernetes connection, or why there is none (no kubeconfig, unknown context).
    pub service: Result<Arc<KubeService>, String>,
}

/// The `kube` capability's view of a call (its `HasData` projection): the shared [`Call`]
/// and its own [`KubeState`].
pub struct KubeView<'a> {
    call: &'a mut Call,
    state: &'a KubeState,
}

/// The `HasData` marker that projects a store's state to a [`KubeView`].
pub struct KubeCap;

impl HasData for KubeCap {
    type Data<'a> = KubeView<'a>;
}

/// Adds the `kube` imports of every contract version to `linker`, served on the view that
/// `get` projects from the store state.
pub fn add_to_linker<T: Send + 'static>(
    linker: &mut Linker<T>,
    get: fn(&mut T) -> KubeView<'_>,
) -> wasmtime::Result<()> {
    latest_kube::add_to_linker::<T, KubeCap>(linker, get)?;
    v0_1_0_kube::add_to_linker::<T, KubeCap>(linker, get)?;
    Ok(())
}

impl<'a> KubeView<'a> {
    /// The view of `call` with the capability's `state`.
    pub fn new(call: &'a mut Call, state: &'a KubeState) -> Self {
        KubeView { call, state }
    }
}

impl KubeView<'_> {
    /// Counts a capability call and returns the kube service, or the error to report.
    fn kube_service(&mut self) -> Result<Arc<KubeService>, KubeError> {
        self.call.count().map_err(|r| match r {
            CountRefusal::Loading => KubeError::Denied(Denial {
                rule: "host.list-tools".into(),
                reason: r.to_string(),
            }),
            CountRefusal::Limit(m) => KubeError::Limit(m),
        })?;
        self.state.service.clone().map_err(KubeError::Transport)
    }

    fn principal(&self) -> Principal<'_> {
        Principal {
            plugin: &self.call.plugin,
            caller: &self.call.caller,
            identity: &self.call.identity,
        }
    }

    fn gate<'s>(&'s self, svc: Option<&'s KubeService>) -> Gate<'s> {
        Gate {
            policy: &self.call.policy,
            audit: &self.call.audit,
            rbac: svc.filter(|s| s.rbac_check).map(|s| RbacCheck {
                rbac: &s.rbac,
                client: &s.client,
                identity: &s.identity,
            }),
        }
    }

    /// Audits a request refused before the gate (loading, the per-call budget, the deadline,
    /// no cluster connection): every capability call gets a record.
    fn audit_early(&self, capability: &'static str, attrs: RequestAttributes, e: &KubeError) {
        let mut rec = crate::audit::Record::capability(
            &self.call.caller,
            capability,
            crate::audit::Subject::Kube(attrs),
        );
        rec.outcome = outcome_of(e);
        if let Err(err) = self.call.audit.write(&rec) {
            tracing::error!(error = %err, "audit record lost");
        }
    }

    /// Whether the call's declared plan says it is a rollout undo (WIT `call-plan.facts`).
    fn rollout_undo(&self) -> bool {
        self.call
            .plan
            .as_ref()
            .is_some_and(|p| p.facts.iter().any(|f| f == "rollout-undo"))
    }

    /// A discovery-level call: counted, admitted by the gate, audited with its outcome.
    async fn discovery<R, F, Fut>(
        &mut self,
        capability: &'static str,
        target: &str,
        run: F,
    ) -> Result<R, KubeError>
    where
        F: FnOnce(Arc<KubeService>) -> Fut,
        Fut: std::future::Future<Output = Result<R, KubeError>>,
    {
        let svc = self.kube_service();
        let gate = self.gate(None);
        let principal = self.principal();
        let admission = gate
            .admit_discovery(&principal, capability, target)
            .map_err(refusal_error)?;
        let svc = match svc {
            Ok(s) => s,
            Err(e) => {
                admission.finish(&outcome_of(&e));
                return Err(e);
            }
        };
        let res = run(svc).await;
        admission.finish(&match &res {
            Ok(_) => "ok".to_string(),
            Err(e) => outcome_of(e),
        });
        res
    }
}

/// Largest discovery or OpenAPI document the process capability's API proxy forwards, in
/// bytes (a cluster's `/openapi/v2` is a few MiB).
pub const MAX_DISCOVERY_BODY: usize = 64 << 20;

impl KubeView<'_> {
    /// Forwards a discovery or schema read (`/api`, `/apis/...`, `/version`, `/openapi/...`)
    /// of the process capability's API proxy, after the gate's discovery check (audited as
    /// `capability` with the path as target), with the child's `Accept` header. Returns the
    /// API server's status, `Content-Type` and body (at most [`MAX_DISCOVERY_BODY`] bytes).
    ///
    /// Errors: the gate's refusal, a transport failure, an oversized body (`limit`).
    pub async fn forward_discovery(
        &mut self,
        capability: &'static str,
        path_and_query: String,
        accept: Option<String>,
    ) -> Result<(u16, String, Vec<u8>), KubeError> {
        use http_body_util::BodyExt as _;
        let target = path_and_query.clone();
        self.discovery(capability, &target, |svc| async move {
            let mut b = http::Request::builder()
                .method(http::Method::GET)
                .uri(path_and_query);
            if let Some(a) = accept {
                b = b.header(ACCEPT, a);
            }
            let req = b
                .body(kube::client::Body::from(Vec::new()))
                .map_err(|e| KubeError::Invalid(format!("cannot build the request: {e}")))?;
            let resp = svc.client.send(req).await.map_err(transport)?;
            let status = resp.status().as_u16();
            let content_type = resp
                .headers()
                .get(http::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("application/json")
                .to_string();
            let body = http_body_util::Limited::new(resp.into_body(), MAX_DISCOVERY_BODY)
                .collect()
                .await
                .map_err(|e| KubeError::Limit(format!("discovery answer: {e}")))?
                .to_bytes()
                .to_vec();
            Ok((status, content_type, body))
        })
        .await
    }
}

/// Who reads the answer of a request that passed the gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reader {
    /// A plugin (and so the model): credentials are redacted from the body
    /// ([`crate::redact::kube_body`]).
    Plugin,
    /// The process capability's child (e.g. the real helm), through the API proxy: the body
    /// as the API server sent it, since helm computes its patches from live objects and reads
    /// its release records. What the child prints is redacted on its way to the model.
    Child,
}

impl KubeView<'_> {
    /// One request through the gate (grant, policy with effect checks, RBAC, confirmation,
    /// audit as `capability`), then executed: [`latest_kube::Host::send`] for plugins, and
    /// the process capability's API proxy for a child's requests (`Reader::Child`).
    /// `extra` adds facts only the caller knows (e.g. that a Secret request is helm's own
    /// release storage); `bound` names a run approval the person gave that covers this
    /// request ([`crate::gate::Confirmation::bound`]).
    pub async fn send_as(
        &mut self,
        capability: &'static str,
        req: Request,
        extra: RequestFacts,
        reader: Reader,
        bound: Option<String>,
    ) -> Result<Response, KubeError> {
        let attrs = attributes(&req)?;
        let svc = match self.kube_service() {
            Ok(s) => s,
            Err(e) => {
                self.audit_early(capability, attrs, &e);
                return Err(e);
            }
        };
        let mut facts = request_facts(&req, self.rollout_undo());
        facts.release_storage = extra.release_storage;
        facts.metadata_read |= extra.metadata_read;
        // Discovery is consulted only when the policy could hide a namespace.
        if attrs.namespace.is_none()
            && matches!(req.verb, Verb::List | Verb::DeleteCollection)
            && self.call.policy.hides_namespaces()
        {
            // A cluster-scoped resource has no namespace to hide; anything discovery does not
            // know (or a failed discovery) counts as namespaced, so the policy still applies.
            facts.all_namespaces = match svc
                .discovery
                .get(&svc.client, discovery::DISCOVERY_TTL)
                .await
            {
                Ok(snap) => !snap.iter().any(|e| {
                    e.group == attrs.group && e.resource == attrs.resource && !e.namespaced
                }),
                Err(_) => true,
            };
        }
        let mut deadline = self.call.deadline;
        // The effect check's dry run, kept for the confirmation preview: one dry run a write.
        let judged: std::sync::Mutex<Option<(serde_json::Value, serde_json::Value)>> =
            std::sync::Mutex::new(None);
        let admission = {
            let gate = self.gate(Some(&svc));
            let principal = self.principal();
            let confirmation = Confirmation {
                preview: || async {
                    let pair = judged.lock().unwrap_or_else(|p| p.into_inner()).take();
                    preview::preview(&svc, &req, &attrs, pair)
                        .await
                        .map_err(|e| {
                            let o = outcome_of(&e);
                            (e, o)
                        })
                },
                digest: preview::request_digest(&req),
                what: policy::describe(&attrs),
                allow_hint: policy::allow_rule_hint(&attrs),
                channel: &self.call.channel,
                clock: &self.call.clock,
                bound,
            };
            let judge = effects::needs_dry_run(&req, &attrs, &facts).then_some(|| async {
                let judged = async {
                    let (before, after) = effects::before_after(&svc, &req, &attrs).await?;
                    let mut facts = effects::judge(&attrs, &before, &after);
                    *judged.lock().unwrap_or_else(|p| p.into_inner()) =
                        Some((before, after.clone()));
                    // A binding's effect is its policy's: does that one take Secrets?
                    if effects::is_admission_policy(&attrs) == Some(true) {
                        let policy = effects::bound_policy(&svc, &attrs, &after).await?;
                        facts.secret_params = effects::takes_secret_params(&policy);
                    }
                    Ok(facts)
                };
                judged.await.map_err(|e: KubeError| {
                    let o = outcome_of(&e);
                    (e, o)
                })
            });
            match gate
                .admit(
                    &principal,
                    capability,
                    &attrs,
                    facts,
                    judge,
                    confirmation,
                    &mut deadline,
                )
                .await
            {
                Ok(a) => Ok(a),
                Err(AdmitError::Refused(r)) => Err(refusal_error(r)),
                Err(AdmitError::Preview((e, _))) => Err(e),
            }
        };
        self.call.deadline = deadline;
        let pending = admission?;
        // Secret keys granted to this plugin: its Secret reads release only those keys.
        let release = (reader == Reader::Plugin
            && attrs.group.is_empty()
            && attrs.resource == "secrets"
            && attrs.is_read()
            && attrs.subresource.is_none()
            && req.output == crate::wit::kube::OutputFormat::Json)
            .then(|| {
                scope::SecretRelease::of(
                    self.call.plugin.manifest.capabilities.kube.as_ref(),
                    self.call
                        .plugin
                        .grant
                        .as_ref()
                        .and_then(|g| g.kube.as_ref()),
                )
            })
            .flatten();
        let mut ok = "ok".to_string();
        let res = match (reader, release) {
            (Reader::Plugin, Some(release)) => {
                svc.execute_unredacted(&req, &attrs).await.map(|resp| {
                    let (body, keys, n) = crate::redact::release_secret_keys(resp.body, &release);
                    ok = format!(
                        "ok; released Secret keys [{}] of {n} Secret(s)",
                        keys.join(", ")
                    );
                    Response { body, ..resp }
                })
            }
            (Reader::Plugin, None) => svc.execute(&req, &attrs).await,
            (Reader::Child, _) => svc.execute_unredacted(&req, &attrs).await,
        };
        pending.finish(&match &res {
            Ok(_) => ok,
            Err(e) => outcome_of(e),
        });
        res
    }
}

impl latest_kube::Host for KubeView<'_> {
    async fn send(&mut self, req: Request) -> Result<Response, KubeError> {
        self.send_as(
            "kube.send",
            req,
            RequestFacts::default(),
            Reader::Plugin,
            None,
        )
        .await
    }

    async fn resolve(&mut self, name: String) -> Result<ResourceInfo, KubeError> {
        let target = name.clone();
        self.discovery("kube.resolve", &target, |svc| async move {
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
        })
        .await
    }

    async fn api_resources(&mut self) -> Result<Vec<ResourceInfo>, KubeError> {
        self.discovery("kube.api-resources", "*", |svc| async move {
            let all = svc
                .discovery
                .get(&svc.client, discovery::DISCOVERY_TTL)
                .await
                .map_err(transport)?;
            Ok(all.iter().map(to_info).collect())
        })
        .await
    }

    async fn server_version(&mut self) -> Result<String, KubeError> {
        self.discovery("kube.server-version", "/version", |svc| async move {
            let info = svc.client.apiserver_version().await.map_err(transport)?;
            serde_json::to_string(&info).map_err(|e| KubeError::Transport(e.to_string()))
        })
        .await
    }

    async fn openapi_schema(
        &mut self,
        group: String,
        version: String,
    ) -> Result<String, KubeError> {
        check_segment("version", &version)?;
        if !group.is_empty() {
            check_segment("group", &group)?;
        }
        let path = if group.is_empty() {
            format!("/openapi/v3/api/{version}")
        } else {
            format!("/openapi/v3/apis/{group}/{version}")
        };
        let p = path.clone();
        self.discovery("kube.openapi-schema", &path, |svc| async move {
            let req = http::Request::get(&p)
                .header(ACCEPT, "application/json")
                .body(Vec::new())
                .map_err(|e| KubeError::Invalid(format!("cannot build the request: {e}")))?;
            match svc.client.request_text(req).await {
                Ok(body) => Ok(body),
                Err(kube::Error::Api(s)) if s.code == 404 => Err(KubeError::UnknownResource(
                    format!("the server has no OpenAPI document for {p}"),
                )),
                Err(e) => Err(transport(e)),
            }
        })
        .await
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
        let attrs = RequestAttributes {
            verb: verb.into(),
            group,
            version: String::new(),
            resource,
            subresource,
            namespace,
            name,
        };
        let svc = match self.kube_service() {
            Ok(s) => s,
            Err(e) => {
                self.audit_early("kube.can-i", attrs, &e);
                return Err(e);
            }
        };
        let principal = self.principal();
        // `can-i` is a question to the API server: it asks even when the operator turned the
        // pre-check of requests off.
        let gate = Gate {
            policy: &self.call.policy,
            audit: &self.call.audit,
            rbac: Some(RbacCheck {
                rbac: &svc.rbac,
                client: &svc.client,
                identity: &svc.identity,
            }),
        };
        gate.review(&principal, &attrs)
            .await
            .map(|(allowed, reason)| AccessReview { allowed, reason })
            .map_err(refusal_error)
    }
}

/// Serves the frozen `0.1.0` `kube` interface through the latest implementation.
impl v0_1_0_kube::Host for KubeView<'_> {
    async fn send(
        &mut self,
        req: v0_1_0_kube::Request,
    ) -> Result<v0_1_0_kube::Response, v0_1_0_kube::KubeError> {
        latest_kube::Host::send(self, adapter::request(req))
            .await
            .map(adapter::response)
            .map_err(adapter::error)
    }

    async fn resolve(
        &mut self,
        name: String,
    ) -> Result<v0_1_0_kube::ResourceInfo, v0_1_0_kube::KubeError> {
        latest_kube::Host::resolve(self, name)
            .await
            .map(adapter::resource_info)
            .map_err(adapter::error)
    }

    async fn api_resources(
        &mut self,
    ) -> Result<Vec<v0_1_0_kube::ResourceInfo>, v0_1_0_kube::KubeError> {
        latest_kube::Host::api_resources(self)
            .await
            .map(|v| v.into_iter().map(adapter::resource_info).collect())
            .map_err(adapter::error)
    }

    async fn server_version(&mut self) -> Result<String, v0_1_0_kube::KubeError> {
        latest_kube::Host::server_version(self)
            .await
            .map_err(adapter::error)
    }

    async fn openapi_schema(
        &mut self,
        group: String,
        version: String,
    ) -> Result<String, v0_1_0_kube::KubeError> {
        latest_kube::Host::openapi_schema(self, group, version)
            .await
            .map_err(adapter::error)
    }

    async fn can_i(
        &mut self,
        verb: v0_1_0_kube::Verb,
        group: String,
        resource: String,
        subresource: Option<String>,
        namespace: Option<String>,
        name: Option<String>,
    ) -> Result<v0_1_0_kube::AccessReview, v0_1_0_kube::KubeError> {
        latest_kube::Host::can_i(
            self,
            adapter::verb(verb),
            group,
            resource,
            subresource,
            namespace,
            name,
        )
        .await
        .map(adapter::access_review)
        .map_err(adapter::error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wit::kube::{OutputFormat, PatchType};
    use http::header::CONTENT_TYPE;

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
