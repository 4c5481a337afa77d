//! A fake host for native unit tests (`cargo test`, no wasm, no cluster): [`FakeApi`]
//! implements [`Api`] with a small discovery table of built-in kinds, canned responses per
//! request, a fallback handler, a fixed clock ([`NOW`]), and records every request sent.
//!
//! ```ignore
//! use kap_sdk::testing::{FakeApi, ok_json};
//! let mut api = FakeApi::new();
//! api.reply(|r| r.resource == "namespaces", ok_json(serde_json::json!({"items": []})));
//! // ... call the plugin's code with `&mut api` ...
//! assert_eq!(api.requests.len(), 1);
//! ```

use serde_json::Value;

use crate::api::{AccessReview, Api, Ctx, KubeError, Request, ResourceInfo, Response, Verb, core};
use crate::{ApiError, CallContext, Denial, Level, ProcessError, RunOutput, RunRequest};

type Handler = Box<dyn FnMut(&Request) -> Result<Response, KubeError>>;
type Matcher = Box<dyn Fn(&Request) -> bool>;
type ProcessHandler = Box<dyn FnMut(&RunRequest) -> Result<RunOutput, ProcessError>>;

/// 2024-05-01T12:00:00Z, the fake clock.
pub const NOW: i64 = 1714564800;

/// The fake host (see the module documentation).
pub struct FakeApi {
    /// Answers requests that no canned response ([`FakeApi::reply`]) matches. Default:
    /// panics naming the unexpected request.
    pub handler: Handler,
    /// Canned responses, tried in order before the handler; a matched one is used once.
    pub canned: Vec<(Matcher, Result<Response, KubeError>)>,
    /// Every request sent, in order.
    pub requests: Vec<Request>,
    /// The discovery table `resolve` and `api_resources` answer from.
    pub resources: Vec<ResourceInfo>,
    /// A call context for the code under test (namespace `default`, context `kind-test`).
    pub ctx: Ctx,
    /// The answer of `can_i` (default: allowed).
    pub can_i: Option<AccessReview>,
    /// OpenAPI v3 documents served by `openapi_schema`, by (group, version).
    pub openapi: Vec<((String, String), String)>,
    /// Answers `run_process` (default: not granted).
    pub process: Option<ProcessHandler>,
    /// Every program run requested, in order.
    pub runs: Vec<RunRequest>,
    /// Progress reports as (done, total, message).
    pub progress: Vec<(u64, Option<u64>, Option<String>)>,
    /// Log messages.
    pub logs: Vec<(Level, String)>,
}

fn info(
    group: &str,
    resource: &str,
    kind: &str,
    namespaced: bool,
    short: &[&str],
    cats: &[&str],
) -> ResourceInfo {
    let mut r = core(resource, kind, namespaced);
    r.group = group.into();
    r.short_names = short.iter().map(|s| s.to_string()).collect();
    r.categories = cats.iter().map(|s| s.to_string()).collect();
    r.verbs = ["get", "list", "create", "update", "patch", "delete"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    r
}

impl Default for FakeApi {
    fn default() -> Self {
        Self::new()
    }
}

impl FakeApi {
    /// A fake with the built-in kinds' discovery (pods, services, events, nodes, namespaces,
    /// secrets, configmaps, deployments, statefulsets, daemonsets, replicasets,
    /// endpointslices, clusterroles) and no responses.
    pub fn new() -> FakeApi {
        FakeApi {
            handler: Box::new(|r| panic!("unexpected request {r:?}")),
            canned: Vec::new(),
            requests: Vec::new(),
            resources: vec![
                info("", "pods", "Pod", true, &["po"], &["all"]),
                info("", "services", "Service", true, &["svc"], &["all"]),
                info("", "events", "Event", true, &["ev"], &[]),
                info("", "nodes", "Node", false, &["no"], &[]),
                info("", "namespaces", "Namespace", false, &["ns"], &[]),
                info("", "secrets", "Secret", true, &[], &[]),
                info("", "configmaps", "ConfigMap", true, &["cm"], &[]),
                info(
                    "apps",
                    "deployments",
                    "Deployment",
                    true,
                    &["deploy"],
                    &["all"],
                ),
                info(
                    "apps",
                    "statefulsets",
                    "StatefulSet",
                    true,
                    &["sts"],
                    &["all"],
                ),
                info("apps", "daemonsets", "DaemonSet", true, &["ds"], &["all"]),
                info("apps", "replicasets", "ReplicaSet", true, &["rs"], &["all"]),
                info(
                    "discovery.k8s.io",
                    "endpointslices",
                    "EndpointSlice",
                    true,
                    &[],
                    &[],
                ),
                info(
                    "rbac.authorization.k8s.io",
                    "clusterroles",
                    "ClusterRole",
                    false,
                    &[],
                    &[],
                ),
            ],
            ctx: Ctx {
                default_namespace: "default".into(),
                kube_context: "kind-test".into(),
                manifest: None,
                max_output_chars: 100_000,
                filtered: false,
            },
            can_i: None,
            openapi: Vec::new(),
            process: None,
            runs: Vec::new(),
            progress: Vec::new(),
            logs: Vec::new(),
        }
    }

    /// Answers the first request that `matches` with `response` (once).
    pub fn reply(
        &mut self,
        matches: impl Fn(&Request) -> bool + 'static,
        response: Result<Response, KubeError>,
    ) {
        self.canned.push((Box::new(matches), response));
    }

    /// Answers the first request equal to `req` (every field: verb, group, version,
    /// resource, subresource, namespace, name, query, body, patch type, output) with a 200
    /// and `body`, once.
    pub fn respond(&mut self, req: &Request, body: &str) {
        let want = format!("{req:?}");
        let body = body.to_string();
        self.reply(
            move |r| format!("{r:?}") == want,
            Ok(Response { status: 200, body }),
        );
    }

    /// Answers `run_process` with `h`.
    pub fn on_process(
        &mut self,
        h: impl FnMut(&RunRequest) -> Result<RunOutput, ProcessError> + 'static,
    ) {
        self.process = Some(Box::new(h));
    }

    /// Serves `doc` as the OpenAPI v3 document of `group`/`version`.
    pub fn openapi(&mut self, group: &str, version: &str, doc: Value) {
        self.openapi
            .push(((group.into(), version.into()), doc.to_string()));
    }

    /// Answers every request no canned response matches with `h`.
    pub fn on(&mut self, h: impl FnMut(&Request) -> Result<Response, KubeError> + 'static) {
        self.handler = Box::new(h);
    }
}

impl Api for FakeApi {
    fn send(&mut self, req: &Request) -> Result<Response, KubeError> {
        self.requests.push(req.clone());
        if let Some(i) = self.canned.iter().position(|(m, _)| m(req)) {
            return self.canned.remove(i).1;
        }
        (self.handler)(req)
    }

    fn resolve(&mut self, name: &str) -> Result<ResourceInfo, KubeError> {
        let (base, group) = match name.split_once('.') {
            Some((b, g)) => (b, Some(g)),
            None => (name, None),
        };
        self.resources
            .iter()
            .find(|r| {
                (r.resource == base
                    || r.singular == base
                    || r.kind == base
                    || r.kind.to_lowercase() == base
                    || r.short_names.iter().any(|s| s == base))
                    && group.is_none_or(|g| g == r.group)
            })
            .cloned()
            .ok_or_else(|| KubeError::UnknownResource(name.into()))
    }

    fn api_resources(&mut self) -> Result<Vec<ResourceInfo>, KubeError> {
        Ok(self.resources.clone())
    }

    fn server_version(&mut self) -> Result<String, KubeError> {
        Ok(r#"{"major":"1","minor":"36","gitVersion":"v1.36.4","platform":"linux/amd64"}"#.into())
    }

    fn openapi_schema(&mut self, group: &str, version: &str) -> Result<String, KubeError> {
        self.openapi
            .iter()
            .find(|((g, v), _)| g == group && v == version)
            .map(|(_, doc)| doc.clone())
            .ok_or_else(|| {
                KubeError::UnknownResource(format!("no OpenAPI document for {group}/{version}"))
            })
    }

    fn can_i(
        &mut self,
        verb: Verb,
        group: &str,
        resource: &str,
        subresource: Option<&str>,
        namespace: Option<&str>,
        name: Option<&str>,
    ) -> Result<AccessReview, KubeError> {
        let _ = (verb, group, resource, subresource, namespace, name);
        Ok(self.can_i.clone().unwrap_or(AccessReview {
            allowed: true,
            reason: String::new(),
        }))
    }

    fn now(&self) -> i64 {
        NOW
    }

    fn run_process(&mut self, req: &RunRequest) -> Result<RunOutput, ProcessError> {
        self.runs.push(req.clone());
        match &mut self.process {
            Some(h) => h(req),
            None => Err(ProcessError::NotGranted(req.program.clone())),
        }
    }

    fn progress(&mut self, done: u64, total: Option<u64>, message: Option<&str>) {
        self.progress
            .push((done, total, message.map(str::to_string)));
    }

    fn log(&mut self, level: Level, message: &str) {
        self.logs.push((level, message.to_string()));
    }
}

/// A 200 answer with `v` as its JSON body.
pub fn ok_json(v: Value) -> Result<Response, KubeError> {
    Ok(Response {
        status: 200,
        body: v.to_string(),
    })
}

/// A 200 answer with a text body.
pub fn ok_text(s: &str) -> Result<Response, KubeError> {
    Ok(Response {
        status: 200,
        body: s.into(),
    })
}

/// The API server's 404 for `resource` `name`.
pub fn not_found(resource: &str, name: &str) -> KubeError {
    KubeError::Api(ApiError {
        code: 404,
        reason: "NotFound".into(),
        message: format!("{resource} \"{name}\" not found"),
    })
}

/// A refusal by the host's policy.
pub fn denied(rule: &str, reason: &str) -> KubeError {
    KubeError::Denied(Denial {
        rule: rule.into(),
        reason: reason.into(),
    })
}

/// A refusal by RBAC.
pub fn forbidden(reason: &str) -> KubeError {
    KubeError::Forbidden(Denial {
        rule: "rbac".into(),
        reason: reason.into(),
    })
}

/// A call context for tests: request id `test-1`, context `kind-test`, namespace `default`,
/// 30 s, a 100000-character budget, no process grant.
pub fn call_context() -> CallContext {
    CallContext {
        request_id: "test-1".into(),
        kube_context: "kind-test".into(),
        default_namespace: "default".into(),
        timeout_ms: 30_000,
        max_output_chars: 100_000,
        process: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn canned_responses_then_the_handler() {
        let mut api = FakeApi::new();
        api.reply(
            |r| r.resource == "namespaces",
            ok_json(json!({"items": []})),
        );
        api.on(|_| Err(not_found("pods", "x")));
        let ns = crate::api::send_json(&mut api, &Request::list("", "v1", "namespaces")).unwrap();
        assert_eq!(ns, json!({"items": []}));
        // Used once: the next one goes to the handler.
        assert!(api.send(&Request::list("", "v1", "namespaces")).is_err());
        assert_eq!(api.requests.len(), 2);
        assert_eq!(api.resolve("deploy").unwrap().resource, "deployments");
        assert!(matches!(
            api.run_process(&RunRequest {
                program: "helm".into(),
                args: vec![],
                stdin: None,
                files: vec![],
                timeout_ms: 1000,
                approval: None,
            }),
            Err(ProcessError::NotGranted(p)) if p == "helm"
        ));
        assert_eq!(api.runs.len(), 1);
    }
}
