//! The connection to one cluster and how a request that passed the gate is executed: the
//! URL, method and headers from the request's attributes (the API server's URL layout), the
//! kube-rs call, redaction of the body, and the mapping of failures to WIT errors.

use anyhow::{Context as _, Result};
use http::header::{ACCEPT, CONTENT_TYPE};

use super::discovery::DiscoveryCache;
use serde::Deserialize;

use crate::policy::RequestAttributes;
use crate::rbac::Rbac;
use crate::wit::kube::{
    ApiError, Denial, KubeError, OutputFormat, PatchType, Request, Response, Verb,
};

/// The `Accept` header for server-side printing (`kubectl get` uses the same), falling back
/// to JSON for resources that have no table handler.
pub const TABLE_ACCEPT: &str = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";

/// Field manager for server-side apply when the plugin names none.
pub const FIELD_MANAGER: &str = "kube-ai-proxy";

/// Largest request body a plugin may send, in bytes.
pub const MAX_BODY: usize = 4 << 20;

/// Kubernetes impersonation (Kubernetes docs, "User impersonation"): every request, and every
/// SelfSubjectAccessReview, carries `Impersonate-User` / `Impersonate-Group` headers, so RBAC
/// and the API server's own audit log see this identity instead of the kubeconfig's. The
/// kubeconfig's identity needs the `impersonate` verb on `users` (and `groups`).
///
/// ```toml
/// [impersonate]
/// user = "jane@example.com"
/// groups = ["sre"]
/// ```
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Impersonate {
    /// User name to act as (`Impersonate-User`).
    pub user: String,
    /// Groups to act as (`Impersonate-Group`, repeated).
    #[serde(default)]
    pub groups: Vec<String>,
}

/// What the `kube` capability needs from the configuration to connect (built by
/// `crate::config::Config::kube_settings`; the capability does not read the config itself).
#[derive(Debug, Clone, Default)]
pub struct KubeSettings {
    /// The kubeconfig context (`K8S_CONTEXT`, `context`); `None`: the current context.
    pub context: Option<String>,
    /// The default namespace (`K8S_NAMESPACE`, `namespace`); `None`: the context's.
    pub namespace: Option<String>,
    /// Impersonation (`[impersonate]`).
    pub impersonate: Option<Impersonate>,
    /// Whether every request is pre-checked with a SelfSubjectAccessReview.
    pub rbac_check: bool,
    /// How long an access review answer is reused.
    pub rbac_cache: std::time::Duration,
}

/// The connection to one cluster (one kubeconfig context) and its caches.
pub struct KubeService {
    /// The kube-rs client for the context (with impersonation headers when configured).
    pub client: kube::Client,
    /// The kubeconfig context in use.
    pub context: String,
    /// Who the requests act as, for RBAC denials: the context's identity, or the
    /// impersonated user.
    pub identity: String,
    /// The default namespace (`K8S_NAMESPACE`, else the context's, else `default`).
    pub default_namespace: String,
    /// API discovery (`/api`, `/apis`), cached per group; unavailable groups are skipped.
    pub discovery: DiscoveryCache,
    /// The SelfSubjectAccessReview client and its answer cache.
    pub rbac: Rbac,
    /// Whether every request is pre-checked with a SelfSubjectAccessReview (`rbac_check`).
    pub rbac_check: bool,
}

impl KubeService {
    /// Builds a client for `config.context` (or the kubeconfig's current context). No request
    /// is sent yet. `config` comes from `crate::config::Config::kube_settings`.
    ///
    /// Errors: no kubeconfig (and not in a cluster), an unknown context, unreadable
    /// credentials.
    pub async fn connect(config: &KubeSettings) -> Result<KubeService> {
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

    /// Executes a request that already passed the gate and RBAC.
    pub async fn execute(
        &self,
        req: &Request,
        attrs: &RequestAttributes,
    ) -> Result<Response, KubeError> {
        let resp = self.execute_unredacted(req, attrs).await?;
        // Credentials never reach the plugin (and so the model): Secret values, env vars,
        // last-applied annotations, credential patterns in logs.
        let secret = attrs.group.is_empty() && attrs.resource == "secrets";
        Ok(Response {
            body: crate::redact::kube_body(resp.body, secret),
            ..resp
        })
    }

    /// Executes `req` (already admitted) and returns the body as the API server sent it,
    /// unredacted: only for the process capability's API proxy, whose reader is the child
    /// program, never the model.
    ///
    /// Errors: `invalid` when no HTTP request can be built from `req`; `forbidden` for a 403
    /// `Status`, `api` for any other `Status`, `transport` when the API server cannot be
    /// reached or read ([`map_kube_error`]).
    pub async fn execute_unredacted(
        &self,
        req: &Request,
        attrs: &RequestAttributes,
    ) -> Result<Response, KubeError> {
        let http_req = build_http_request(req)?;
        match self.client.request_text(http_req).await {
            Ok(body) => Ok(Response { status: 200, body }),
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
