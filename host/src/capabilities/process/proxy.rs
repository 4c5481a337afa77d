//! The authorizing API proxy of one `process.run`: the child's only way to the cluster.
//!
//! The host starts it for the run on `127.0.0.1` and a random port, with a random bearer
//! token (256 bits), and hands the child a kubeconfig that names only this server and this
//! token ([`Proxy::kubeconfig`]). No credential of the host reaches the child. When the run
//! ends the proxy is dropped: the listener closes, every connection is cut and the token is
//! revoked, so neither a later call nor a process that read the scratch directory can use it.
//!
//! Each request is parsed into the API server's request attributes with the rules of its
//! `RequestInfoFactory` (k8s.io/apiserver `pkg/endpoints/request/requestinfo.go`): verb
//! (`get`/`list`/`watch`/`create`/`update`/`patch`/`delete`/`deletecollection`), API group,
//! version, resource, subresource, namespace, name ([`classify`]). The connection task does
//! not decide anything: it hands each request to the run's owner ([`Pending`]), which passes
//! it through the same gate as `kube.send` (grant, policy and effect checks, RBAC,
//! confirmation, audit) and answers. Requests are served one at a time, in arrival order.
//!
//! Plain HTTP on loopback: the token is a per-run capability, not a credential of anyone,
//! and reading loopback traffic needs privileges that would also read the host's memory.

use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use crate::capabilities::kube::{KubeView, Reader};
use crate::policy::RequestFacts;
use crate::wit::kube::{KubeError, OutputFormat, PatchType, Request, Verb};
use crate::wit::process::ApprovedRequest;

/// Largest request body the proxy reads, in bytes (the API server's own limit is 3 MiB).
pub const MAX_REQUEST_BODY: usize = 4 << 20;

/// One HTTP request of the child, as read by the proxy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyRequest {
    /// HTTP method.
    pub method: http::Method,
    /// URL path, e.g. `/api/v1/namespaces/demo/secrets`.
    pub path: String,
    /// Query string without `?`, as sent (percent-encoded).
    pub query: String,
    /// `Accept` header, if any.
    pub accept: Option<String>,
    /// `Content-Type` header, if any.
    pub content_type: Option<String>,
    /// The body (at most [`MAX_REQUEST_BODY`] bytes).
    pub body: Vec<u8>,
}

/// The proxy's answer to one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyResponse {
    /// HTTP status code.
    pub status: u16,
    /// `Content-Type` of the body.
    pub content_type: String,
    /// The body.
    pub body: Vec<u8>,
}

impl ProxyResponse {
    /// A `metav1.Status` failure (Kubernetes API conventions, "Response Status Kind"), which
    /// client-go turns into a typed error (e.g. `IsNotFound`, `IsForbidden`).
    pub fn status(code: u16, reason: &str, message: &str) -> ProxyResponse {
        let body = serde_json::json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": message,
            "reason": reason,
            "code": code,
        });
        ProxyResponse {
            status: code,
            content_type: "application/json".into(),
            body: body.to_string().into_bytes(),
        }
    }

    /// A JSON body with status `code`.
    pub fn json(code: u16, body: String) -> ProxyResponse {
        ProxyResponse {
            status: code,
            content_type: "application/json".into(),
            body: body.into_bytes(),
        }
    }
}

/// A request waiting for the run's owner to decide and answer it.
pub struct Pending {
    /// The request.
    pub request: ProxyRequest,
    /// Where the answer goes (dropped: the child's connection is cut).
    pub reply: oneshot::Sender<ProxyResponse>,
}

/// A running proxy. Dropping it stops the listener and every connection and revokes the token.
pub struct Proxy {
    addr: SocketAddr,
    token: String,
    /// The requests the child sends, in arrival order, each already authenticated.
    pub requests: mpsc::Receiver<Pending>,
    stop: CancellationToken,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// A fresh token: 32 random bytes from the system's CSPRNG, hex.
fn new_token() -> std::io::Result<String> {
    use ring::rand::SecureRandom as _;
    let mut b = [0u8; 32];
    ring::rand::SystemRandom::new()
        .fill(&mut b)
        .map_err(|_| std::io::Error::other("the system random source failed"))?;
    Ok(hex::encode(b))
}

/// Compares in time independent of where the strings differ.
fn same_token(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl Proxy {
    /// Starts a proxy on `127.0.0.1` and a random port. It serves until dropped.
    ///
    /// Errors: the port could not be bound, or the random source failed.
    pub async fn start() -> std::io::Result<Proxy> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let token = new_token()?;
        let (tx, rx) = mpsc::channel::<Pending>(16);
        let stop = CancellationToken::new();
        tokio::spawn(serve(listener, token.clone(), tx, stop.clone()));
        Ok(Proxy {
            addr,
            token,
            requests: rx,
            stop,
        })
    }

    /// The address the proxy listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A kubeconfig (YAML) naming only this proxy and its token, with `namespace` as the
    /// context's namespace. This is all the child gets. The token is in the server URL's
    /// path (client-go sends no bearer token to a plain-http server) and, for clients that
    /// do send one, in `token`.
    pub fn kubeconfig(&self, namespace: &str) -> String {
        let ns = serde_json::to_string(namespace).unwrap_or_else(|_| "\"default\"".into());
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: kube-ai-proxy\n  cluster:\n    server: http://{}{}\ncontexts:\n- name: kube-ai-proxy\n  context:\n    cluster: kube-ai-proxy\n    user: kube-ai-proxy\n    namespace: {ns}\ncurrent-context: kube-ai-proxy\nusers:\n- name: kube-ai-proxy\n  user:\n    token: \"{}\"\n",
            self.addr,
            token_prefix(&self.token),
            self.token
        )
    }
}

async fn serve(
    listener: TcpListener,
    token: String,
    tx: mpsc::Sender<Pending>,
    stop: CancellationToken,
) {
    loop {
        let accepted = tokio::select! {
            _ = stop.cancelled() => return,
            a = listener.accept() => a,
        };
        let Ok((stream, _)) = accepted else { continue };
        let tx = tx.clone();
        let token = token.clone();
        let stop = stop.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req: http::Request<Incoming>| {
                let tx = tx.clone();
                let token = token.clone();
                async move {
                    let resp = handle(req, &token, &tx).await;
                    Ok::<_, std::convert::Infallible>(
                        http::Response::builder()
                            .status(resp.status)
                            .header(http::header::CONTENT_TYPE, resp.content_type)
                            .body(Full::new(Bytes::from(resp.body)))
                            .unwrap_or_else(|_| http::Response::new(Full::new(Bytes::new()))),
                    )
                }
            });
            let conn = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service);
            tokio::select! {
                _ = stop.cancelled() => {}
                _ = conn => {}
            }
        });
    }
}

/// The path prefix that carries the token: `/kap-<token>`. client-go sends no bearer token
/// to a plain-http server, so the kubeconfig's server URL carries it instead
/// (`http://127.0.0.1:PORT/kap-<token>`; client-go keeps a server URL's path as the prefix of
/// every request).
fn token_prefix(token: &str) -> String {
    format!("/kap-{token}")
}

/// Checks the request's token (the path prefix, or an `Authorization: Bearer` header) and
/// returns the API path without the prefix; `None` when the token is missing or wrong.
fn authorize(req: &http::Request<Incoming>, token: &str) -> Option<String> {
    let path = req.uri().path();
    let prefix = token_prefix(token);
    if path.len() >= prefix.len() && same_token(&path.as_bytes()[..prefix.len()], prefix.as_bytes())
    {
        let rest = &path[prefix.len()..];
        if rest.is_empty() {
            return Some("/".into());
        }
        if rest.starts_with('/') {
            return Some(rest.to_string());
        }
        return None;
    }
    let bearer = format!("Bearer {token}");
    req.headers()
        .get(http::header::AUTHORIZATION)
        .is_some_and(|v| same_token(v.as_bytes(), bearer.as_bytes()))
        .then(|| path.to_string())
}

async fn handle(
    req: http::Request<Incoming>,
    token: &str,
    tx: &mpsc::Sender<Pending>,
) -> ProxyResponse {
    let Some(path) = authorize(&req, token) else {
        return ProxyResponse::status(
            401,
            "Unauthorized",
            "kube-ai-proxy: this proxy serves one process run, with its own token",
        );
    };
    let header = |h: http::header::HeaderName| {
        req.headers()
            .get(h)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let (accept, content_type) = (
        header(http::header::ACCEPT),
        header(http::header::CONTENT_TYPE),
    );
    let method = req.method().clone();
    let query = req.uri().query().unwrap_or("").to_string();
    let body = match Limited::new(req.into_body(), MAX_REQUEST_BODY)
        .collect()
        .await
    {
        Ok(b) => b.to_bytes().to_vec(),
        Err(_) => {
            return ProxyResponse::status(
                413,
                "RequestEntityTooLarge",
                &format!("request body over {MAX_REQUEST_BODY} bytes"),
            );
        }
    };
    let (reply, answer) = oneshot::channel();
    let pending = Pending {
        request: ProxyRequest {
            method,
            path,
            query,
            accept,
            content_type,
            body,
        },
        reply,
    };
    if tx.send(pending).await.is_err() {
        return ProxyResponse::status(503, "ServiceUnavailable", "the process run has ended");
    }
    answer.await.unwrap_or_else(|_| {
        ProxyResponse::status(503, "ServiceUnavailable", "the process run has ended")
    })
}

/// What a child's request is, by the API server's request-info rules.
#[derive(Debug, Clone)]
pub enum Classified {
    /// A discovery or schema read (`/api`, `/apis`, `/api/v1`, `/apis/G`, `/apis/G/V`,
    /// `/version`, `/openapi/...`): forwarded as is after the gate's discovery check.
    Discovery,
    /// A resource request, as a `kube.send` request.
    Resource(Request),
    /// A watch (`?watch=true` or `/watch/` paths).
    Watch,
    /// Anything else (non-resource URLs such as `/healthz`, `/logs`, unsupported methods).
    Other(String),
}

/// Namespace subresources that keep `namespaces/NAME/...` a request on the Namespace itself
/// (requestinfo.go `namespaceSubresources`).
const NAMESPACE_SUBRESOURCES: [&str; 2] = ["status", "finalize"];

/// Parses a child's request into request attributes (k8s.io/apiserver `RequestInfoFactory`):
/// `/api/v1/...` is the core group, `/apis/GROUP/VERSION/...` a named group; then
/// `namespaces/NS/` (unless the next segment is `status` or `finalize`), the resource, the
/// name and the subresource. GET with a name is `get`, without one `list` (or `watch` with
/// `watch=true`); POST `create`; PUT `update`; PATCH `patch` (the patch type from
/// `Content-Type`); DELETE with a name `delete`, without one `deletecollection`.
pub fn classify(r: &ProxyRequest) -> Classified {
    let parts: Vec<&str> = r.path.trim_matches('/').split('/').collect();
    let (group, version, rest) = match parts.as_slice() {
        ["version"] | ["api"] | ["apis"] => return Classified::Discovery,
        ["openapi", ..] if r.method == http::Method::GET => return Classified::Discovery,
        ["api", v] | ["apis", _, v] if !v.is_empty() && r.method == http::Method::GET => {
            return Classified::Discovery;
        }
        ["apis", _] if r.method == http::Method::GET => return Classified::Discovery,
        ["api", v, rest @ ..] if !rest.is_empty() => ("", *v, rest),
        ["apis", g, v, rest @ ..] if !rest.is_empty() => (*g, *v, rest),
        _ => return Classified::Other(format!("{} {}", r.method, r.path)),
    };
    if rest.first() == Some(&"watch") {
        return Classified::Watch;
    }
    let query: Vec<(String, String)> = url::form_urlencoded::parse(r.query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if query
        .iter()
        .any(|(k, v)| k == "watch" && (v == "true" || v == "1"))
    {
        return Classified::Watch;
    }
    let mut rest: &[&str] = rest;
    let mut namespace = None;
    if rest.first() == Some(&"namespaces")
        && rest.len() > 2
        && !NAMESPACE_SUBRESOURCES.contains(&rest[2])
    {
        namespace = Some(rest[1].to_string());
        rest = &rest[2..];
    }
    let (resource, name, subresource) = match rest {
        [res] => (*res, None, None),
        [res, name] => (*res, Some(name.to_string()), None),
        [res, name, sub] => (*res, Some(name.to_string()), Some(sub.to_string())),
        _ => return Classified::Other(format!("{} {}", r.method, r.path)),
    };
    let verb = match (&r.method, name.is_some()) {
        (&http::Method::GET, true) => Verb::Get,
        (&http::Method::GET, false) => Verb::List,
        (&http::Method::POST, _) => Verb::Create,
        (&http::Method::PUT, true) => Verb::Update,
        (&http::Method::PATCH, true) => Verb::Patch,
        (&http::Method::DELETE, true) => Verb::Delete,
        (&http::Method::DELETE, false) => Verb::DeleteCollection,
        _ => return Classified::Other(format!("{} {}", r.method, r.path)),
    };
    let content_type = r.content_type.as_deref().unwrap_or("");
    let patch_type = (verb == Verb::Patch).then(|| {
        let ct = content_type.split(';').next().unwrap_or("").trim();
        match ct {
            "application/json-patch+json" => PatchType::Json,
            "application/merge-patch+json" => PatchType::Merge,
            "application/apply-patch+yaml" => PatchType::Apply,
            _ => PatchType::Strategic,
        }
    });
    let output = if r.accept.as_deref().is_some_and(|a| a.contains("as=Table")) {
        OutputFormat::Table
    } else {
        OutputFormat::Json
    };
    // A POST to a named object is a subresource create (e.g. `pods/NAME/eviction`): the
    // request attributes keep the name, as the API server's do.
    let body = (!r.body.is_empty() || matches!(verb, Verb::Create | Verb::Update | Verb::Patch))
        .then(|| String::from_utf8_lossy(&r.body).into_owned())
        .filter(|_| !matches!(verb, Verb::Get | Verb::List));
    Classified::Resource(Request {
        verb,
        group: group.to_string(),
        version: version.to_string(),
        resource: resource.to_string(),
        subresource,
        namespace,
        name,
        query,
        body,
        patch_type,
        output,
    })
}

/// Name prefix of helm's release records (helm `pkg/storage/driver/secrets.go`).
pub const RELEASE_PREFIX: &str = "sh.helm.release.v1.";
/// Secret type of helm's release records.
pub const RELEASE_TYPE: &str = "helm.sh/release.v1";

/// Whether `req` is helm's release storage: a Secret named `sh.helm.release.v1.*` (for a
/// create, the body's name and type), or a list of Secrets whose label selector requires
/// `owner=helm` (helm's storage driver lists with `owner=helm,name=RELEASE`).
pub fn is_release_storage(req: &Request) -> bool {
    if !(req.group.is_empty() && req.resource == "secrets" && req.subresource.is_none()) {
        return false;
    }
    match (&req.name, req.verb) {
        (Some(n), _) => n.starts_with(RELEASE_PREFIX),
        (None, Verb::List | Verb::DeleteCollection) => req
            .query
            .iter()
            .any(|(k, v)| k == "labelSelector" && v.split(',').any(|t| t.trim() == "owner=helm")),
        (None, Verb::Create) => req
            .body
            .as_deref()
            .and_then(|b| serde_json::from_str::<serde_json::Value>(b).ok())
            .is_some_and(|b| {
                b.pointer("/metadata/name")
                    .and_then(|n| n.as_str())
                    .is_some_and(|n| n.starts_with(RELEASE_PREFIX))
                    && b.get("type").and_then(|t| t.as_str()) == Some(RELEASE_TYPE)
            }),
        _ => false,
    }
}

/// Keeps only Secrets of type `helm.sh/release.v1` in an answer about Secrets: a list loses
/// every other item; a single other Secret becomes `None` (the proxy answers 404). Bodies
/// that are not JSON objects are returned as they are.
pub fn filter_release_secrets(body: &str, list: bool) -> Option<String> {
    let Ok(mut v) = serde_json::from_str::<serde_json::Value>(body) else {
        return Some(body.to_string());
    };
    let is_release =
        |o: &serde_json::Value| o.get("type").and_then(|t| t.as_str()) == Some(RELEASE_TYPE);
    if list {
        if let Some(items) = v.get_mut("items").and_then(|i| i.as_array_mut()) {
            items.retain(is_release);
        }
        Some(v.to_string())
    } else if v.get("kind").and_then(|k| k.as_str()) == Some("Secret") && !is_release(&v) {
        None
    } else {
        Some(v.to_string())
    }
}

/// A Secret's JSON without `data` and `stringData` (what a metadata read returns).
pub fn strip_secret_data(body: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(body) {
        Ok(serde_json::Value::Object(mut m)) => {
            m.remove("data");
            m.remove("stringData");
            serde_json::Value::Object(m).to_string()
        }
        _ => "{}".into(),
    }
}

/// Whether approved request `a` covers `req`: the same verb, group, resource and namespace,
/// no subresource, and the same name (`a`'s name ending in `*` matches by prefix; an absent
/// one matches any name). A create's name is its body's `metadata.name`.
pub fn covers(a: &ApprovedRequest, req: &Request) -> bool {
    let body_name = || {
        req.body
            .as_deref()
            .and_then(|b| serde_json::from_str::<serde_json::Value>(b).ok())
            .and_then(|v| v.pointer("/metadata/name")?.as_str().map(str::to_string))
    };
    let name = match (&req.name, req.verb) {
        (Some(n), _) => Some(n.clone()),
        (None, Verb::Create) => body_name(),
        (None, _) => None,
    };
    let name_ok = match (&a.name, &name) {
        (None, _) => true,
        (Some(want), Some(have)) => match want.strip_suffix('*') {
            Some(prefix) => have.starts_with(prefix),
            None => want == have,
        },
        (Some(_), None) => false,
    };
    a.verb == req.verb
        && a.group == req.group
        && a.resource == req.resource
        && a.namespace == req.namespace
        && req.subresource.is_none()
        && name_ok
}

/// The audit capability name of a request the child sent through the proxy.
pub const CAPABILITY: &str = "process.proxy";

/// A gate refusal or API failure as the `Status` answer client-go expects.
fn error_response(e: &KubeError) -> ProxyResponse {
    match e {
        KubeError::Api(a) => ProxyResponse::status(a.code, &a.reason, &a.message),
        KubeError::Denied(d) => ProxyResponse::status(
            403,
            "Forbidden",
            &format!("Denied by policy rule {}: {}", d.rule, d.reason),
        ),
        KubeError::Forbidden(d) => ProxyResponse::status(
            403,
            "Forbidden",
            &format!("Forbidden ({}): {}", d.rule, d.reason),
        ),
        KubeError::UnknownResource(m) => ProxyResponse::status(404, "NotFound", m),
        KubeError::Invalid(m) => ProxyResponse::status(400, "BadRequest", m),
        KubeError::Limit(m) => ProxyResponse::status(429, "TooManyRequests", m),
        KubeError::Transport(m) => ProxyResponse::status(503, "ServiceUnavailable", m),
    }
}

/// Answers one request of the child: classified ([`classify`]), passed through the gate as
/// the kube capability's own requests are ([`KubeView::send_as`], audited as
/// [`CAPABILITY`] under the tool call's request id), executed with the host's credentials,
/// and answered as the API server would. Watches and non-resource URLs are refused (403);
/// Secrets other than helm's release records never reach the child
/// ([`filter_release_secrets`]).
///
/// `approved` is the run's approval when the person gave it: its digest and the requests it
/// covers. A request matching one of them ([`covers`]) is bound to that yes.
///
/// `declared` is every request the run's approval lists (given or not): a `get` of a Secret
/// the run itself writes or deletes (its chart's own Secret, which helm reads before
/// applying or deleting it) is a
/// metadata read: allowed by `default.secret-metadata` and answered without `data` and
/// `stringData`. Any other Secret read is judged as usual (Secret contents are denied).
pub async fn answer(
    view: &mut KubeView<'_>,
    r: ProxyRequest,
    approved: Option<(&str, &[ApprovedRequest])>,
    declared: &[ApprovedRequest],
) -> ProxyResponse {
    // The gate judges JSON: a protobuf body (client-go's typed clients, e.g. helm's release
    // records) is decoded to JSON where this proxy knows its type, and refused otherwise.
    let mut r = r;
    if !r.body.is_empty()
        && r.content_type
            .as_deref()
            .is_some_and(|c| c.starts_with("application/vnd.kubernetes.protobuf"))
    {
        match super::protobuf::to_json(&r.body) {
            Ok(json) => {
                r.body = json.into_bytes();
                r.content_type = Some("application/json".into());
            }
            Err(why) => {
                return ProxyResponse::status(
                    415,
                    "UnsupportedMediaType",
                    &format!("kube-ai-proxy: {why}"),
                );
            }
        }
    }
    match classify(&r) {
        Classified::Discovery => {
            let target = if r.query.is_empty() {
                r.path.clone()
            } else {
                format!("{}?{}", r.path, r.query)
            };
            match view.forward_discovery(CAPABILITY, target, r.accept).await {
                Ok((status, content_type, body)) => ProxyResponse {
                    status,
                    content_type,
                    body,
                },
                Err(e) => error_response(&e),
            }
        }
        Classified::Watch => ProxyResponse::status(
            403,
            "Forbidden",
            "kube-ai-proxy: watches are not granted to a process run (helm's --wait is not supported)",
        ),
        Classified::Other(what) => ProxyResponse::status(
            403,
            "Forbidden",
            &format!("kube-ai-proxy: {what} is not a resource request this proxy serves"),
        ),
        Classified::Resource(req) => {
            let release = is_release_storage(&req);
            let secret_read = req.group.is_empty()
                && req.resource == "secrets"
                && matches!(req.verb, Verb::Get | Verb::List);
            let list = req.verb == Verb::List;
            let own_secret = secret_read
                && !release
                && req.verb == Verb::Get
                && declared.iter().any(|a| {
                    matches!(
                        a.verb,
                        Verb::Create | Verb::Update | Verb::Patch | Verb::Delete
                    ) && a.group.is_empty()
                        && a.resource == "secrets"
                        && a.namespace == req.namespace
                        && a.name.is_some()
                        && a.name == req.name
                });
            let facts = RequestFacts {
                release_storage: release,
                metadata_read: own_secret,
                ..RequestFacts::default()
            };
            let bound = approved
                .filter(|(_, list)| list.iter().any(|a| covers(a, &req)))
                .map(|(digest, _)| digest.to_string());
            match view
                .send_as(CAPABILITY, req, facts, Reader::Child, bound)
                .await
            {
                Ok(resp) if own_secret => ProxyResponse::json(200, strip_secret_data(&resp.body)),
                Ok(resp) if secret_read => match filter_release_secrets(&resp.body, list) {
                    Some(body) => ProxyResponse::json(200, body),
                    None => ProxyResponse::status(
                        404,
                        "NotFound",
                        "kube-ai-proxy: only helm release records (type helm.sh/release.v1) are passed to the process",
                    ),
                },
                Ok(resp) => ProxyResponse::json(resp.status.max(200), resp.body),
                Err(e) => error_response(&e),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(method: http::Method, path: &str, query: &str) -> ProxyRequest {
        ProxyRequest {
            method,
            path: path.into(),
            query: query.into(),
            accept: None,
            content_type: None,
            body: Vec::new(),
        }
    }

    fn resource(c: Classified) -> Request {
        match c {
            Classified::Resource(r) => r,
            other => panic!("not a resource request: {other:?}"),
        }
    }

    #[test]
    fn request_info_follows_the_api_server() {
        use http::Method as M;
        let r = resource(classify(&req(
            M::GET,
            "/api/v1/namespaces/demo/secrets",
            "labelSelector=owner%3Dhelm%2Cname%3Dweb",
        )));
        assert_eq!(
            (r.verb, r.group.as_str(), r.resource.as_str()),
            (Verb::List, "", "secrets")
        );
        assert_eq!(r.namespace.as_deref(), Some("demo"));
        assert_eq!(
            r.query,
            vec![("labelSelector".into(), "owner=helm,name=web".into())]
        );
        assert!(is_release_storage(&r));
        let r = resource(classify(&req(
            M::DELETE,
            "/apis/apps/v1/namespaces/demo/deployments/web",
            "",
        )));
        assert_eq!(
            (r.verb, r.group.as_str(), r.name.as_deref()),
            (Verb::Delete, "apps", Some("web"))
        );
        // The Namespace object itself, and its status subresource.
        let r = resource(classify(&req(M::GET, "/api/v1/namespaces/demo", "")));
        assert_eq!(
            (r.resource.as_str(), r.name.as_deref(), r.namespace),
            ("namespaces", Some("demo"), None)
        );
        let r = resource(classify(&req(
            M::PUT,
            "/api/v1/namespaces/demo/finalize",
            "",
        )));
        assert_eq!(
            (r.resource.as_str(), r.subresource.as_deref(), r.verb),
            ("namespaces", Some("finalize"), Verb::Update)
        );
        let r = resource(classify(&req(
            M::GET,
            "/api/v1/namespaces/demo/pods/web-1/log",
            "",
        )));
        assert_eq!(r.subresource.as_deref(), Some("log"));
        let r = resource(classify(&req(
            M::DELETE,
            "/api/v1/namespaces/demo/configmaps",
            "",
        )));
        assert_eq!(r.verb, Verb::DeleteCollection);
        let r = resource(classify(&req(M::GET, "/api/v1/nodes", "")));
        assert_eq!((r.verb, r.namespace), (Verb::List, None));
        // Watches, discovery and others.
        assert!(matches!(
            classify(&req(M::GET, "/api/v1/namespaces/demo/pods", "watch=true")),
            Classified::Watch
        ));
        assert!(matches!(
            classify(&req(M::GET, "/api/v1/watch/namespaces/demo/pods", "")),
            Classified::Watch
        ));
        for p in [
            "/api",
            "/apis",
            "/api/v1",
            "/apis/apps/v1",
            "/version",
            "/openapi/v3",
        ] {
            assert!(
                matches!(classify(&req(M::GET, p, "")), Classified::Discovery),
                "{p}"
            );
        }
        assert!(matches!(
            classify(&req(M::GET, "/healthz", "")),
            Classified::Other(_)
        ));
        assert!(matches!(
            classify(&req(M::POST, "/api/v1", "")),
            Classified::Other(_)
        ));
    }

    #[test]
    fn an_approval_covers_the_requests_it_names() {
        let a = |verb, resource: &str, name: Option<&str>| ApprovedRequest {
            verb,
            group: String::new(),
            resource: resource.into(),
            namespace: Some("demo".into()),
            name: name.map(str::to_string),
        };
        let create = resource(classify(&ProxyRequest {
            body:
                br#"{"metadata":{"name":"sh.helm.release.v1.web.v1"},"type":"helm.sh/release.v1"}"#
                    .to_vec(),
            ..req(http::Method::POST, "/api/v1/namespaces/demo/secrets", "")
        }));
        assert!(covers(
            &a(Verb::Create, "secrets", Some("sh.helm.release.v1.web.v*")),
            &create
        ));
        assert!(!covers(
            &a(Verb::Create, "secrets", Some("web-secret")),
            &create
        ));
        assert!(!covers(&a(Verb::Update, "secrets", None), &create));
        let delete = resource(classify(&req(
            http::Method::DELETE,
            "/api/v1/namespaces/demo/configmaps/web-config",
            "",
        )));
        assert!(covers(
            &a(Verb::Delete, "configmaps", Some("web-config")),
            &delete
        ));
        assert!(!covers(
            &a(Verb::Delete, "configmaps", Some("web-conf")),
            &delete
        ));
        assert!(!covers(
            &a(Verb::Delete, "secrets", Some("web-config")),
            &delete
        ));
        let other_ns = resource(classify(&req(
            http::Method::DELETE,
            "/api/v1/namespaces/prod/configmaps/web-config",
            "",
        )));
        assert!(!covers(
            &a(Verb::Delete, "configmaps", Some("web-config")),
            &other_ns
        ));
    }

    #[test]
    fn patch_types_come_from_the_content_type() {
        let mut r = req(
            http::Method::PATCH,
            "/apis/apps/v1/namespaces/d/deployments/web",
            "",
        );
        for (ct, want) in [
            ("application/json-patch+json", PatchType::Json),
            ("application/merge-patch+json", PatchType::Merge),
            (
                "application/strategic-merge-patch+json",
                PatchType::Strategic,
            ),
            (
                "application/apply-patch+yaml; charset=utf-8",
                PatchType::Apply,
            ),
        ] {
            r.content_type = Some(ct.into());
            r.body = b"{}".to_vec();
            assert_eq!(resource(classify(&r)).patch_type, Some(want), "{ct}");
        }
    }

    #[test]
    fn release_storage_is_judged_from_the_request() {
        let mk = |verb, name: Option<&str>, query: Vec<(&str, &str)>, body: Option<&str>| Request {
            verb,
            group: String::new(),
            version: "v1".into(),
            resource: "secrets".into(),
            subresource: None,
            namespace: Some("demo".into()),
            name: name.map(Into::into),
            query: query
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body: body.map(Into::into),
            patch_type: None,
            output: OutputFormat::Json,
        };
        assert!(is_release_storage(&mk(
            Verb::Get,
            Some("sh.helm.release.v1.web.v1"),
            vec![],
            None
        )));
        assert!(!is_release_storage(&mk(
            Verb::Get,
            Some("db-creds"),
            vec![],
            None
        )));
        assert!(!is_release_storage(&mk(Verb::List, None, vec![], None)));
        assert!(!is_release_storage(&mk(
            Verb::List,
            None,
            vec![("labelSelector", "owner=helmx")],
            None
        )));
        assert!(is_release_storage(&mk(
            Verb::Create,
            None,
            vec![],
            Some(
                r#"{"metadata":{"name":"sh.helm.release.v1.web.v2"},"type":"helm.sh/release.v1"}"#
            )
        )));
        assert!(!is_release_storage(&mk(
            Verb::Create,
            None,
            vec![],
            Some(r#"{"metadata":{"name":"sh.helm.release.v1.web.v2"},"type":"Opaque"}"#)
        )));
    }

    #[test]
    fn only_release_secrets_pass() {
        let list = r#"{"kind":"SecretList","items":[{"metadata":{"name":"sh.helm.release.v1.a.v1"},"type":"helm.sh/release.v1","data":{"release":"x"}},{"metadata":{"name":"sh.helm.release.v1.b.v1"},"type":"Opaque","data":{"password":"canary"}}]}"#;
        let out = filter_release_secrets(list, true).unwrap();
        assert!(out.contains("sh.helm.release.v1.a.v1"));
        assert!(!out.contains("canary"), "{out}");
        let one = r#"{"kind":"Secret","metadata":{"name":"sh.helm.release.v1.b.v1"},"type":"Opaque","data":{"password":"canary"}}"#;
        assert_eq!(filter_release_secrets(one, false), None);
    }

    #[tokio::test]
    async fn the_token_is_required_and_dies_with_the_proxy() {
        let mut proxy = Proxy::start().await.unwrap();
        let addr = proxy.addr();
        let kc = proxy.kubeconfig("demo");
        let token = kc
            .lines()
            .find_map(|l| l.trim().strip_prefix("token: "))
            .unwrap()
            .trim_matches('"')
            .to_string();
        assert_eq!(token.len(), 64);
        // client-go sends no bearer token to a plain-http server: the URL's path carries it.
        assert!(
            kc.contains(&format!("server: http://{addr}/kap-{token}\n")),
            "{kc}"
        );
        // Answer two requests from the owner's side: the prefix is gone from their paths.
        let owner = tokio::spawn(async move {
            for _ in 0..2 {
                let p = proxy.requests.recv().await.unwrap();
                assert_eq!(p.request.path, "/api/v1/namespaces/demo/pods");
                let _ = p
                    .reply
                    .send(ProxyResponse::json(200, r#"{"items":[]}"#.into()));
            }
            proxy
        });
        let get_path = |path: String, auth: Option<String>| async move {
            let mut s = tokio::net::TcpStream::connect(addr).await?;
            let auth = auth
                .map(|a| format!("Authorization: {a}\r\n"))
                .unwrap_or_default();
            let msg = format!("GET {path} HTTP/1.1\r\nHost: x\r\n{auth}Connection: close\r\n\r\n");
            tokio::io::AsyncWriteExt::write_all(&mut s, msg.as_bytes()).await?;
            let mut out = String::new();
            tokio::io::AsyncReadExt::read_to_string(&mut s, &mut out).await?;
            Ok::<_, std::io::Error>(out)
        };
        let wrong = get_path("/kap-0000/api/v1/namespaces/demo/pods".into(), None)
            .await
            .unwrap();
        assert!(wrong.starts_with("HTTP/1.1 401"), "{wrong}");
        let glued = get_path(format!("/kap-{token}api/v1/namespaces/demo/pods"), None)
            .await
            .unwrap();
        assert!(glued.starts_with("HTTP/1.1 401"), "{glued}");
        let by_path = get_path(format!("/kap-{token}/api/v1/namespaces/demo/pods"), None)
            .await
            .unwrap();
        assert!(by_path.starts_with("HTTP/1.1 200"), "{by_path}");
        let pods = || "/api/v1/namespaces/demo/pods".to_string();
        let denied = get_path(pods(), Some("Bearer wrong".into())).await.unwrap();
        assert!(denied.starts_with("HTTP/1.1 401"), "{denied}");
        let none = get_path(pods(), None).await.unwrap();
        assert!(none.starts_with("HTTP/1.1 401"), "{none}");
        let ok = get_path(pods(), Some(format!("Bearer {token}")))
            .await
            .unwrap();
        assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");
        assert!(ok.ends_with(r#"{"items":[]}"#), "{ok}");
        // Dropped: the port closes, the token is dead.
        drop(owner.await.unwrap());
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let after = get_path(pods(), Some(format!("Bearer {token}"))).await;
        assert!(
            after.is_err() || !after.as_ref().unwrap().starts_with("HTTP/1.1 200"),
            "{after:?}"
        );
    }
}
