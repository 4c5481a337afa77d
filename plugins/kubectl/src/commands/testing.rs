//! A fake [`Api`] for unit tests: a small discovery table and a request handler.

use serde_json::Value;

use crate::api::{
    AccessReview, Api, CmdResult, Ctx, KubeError, Request, ResourceInfo, Response, Verb, core,
};
use crate::kube_ai_proxy::plugin::kube::{ApiError, Denial};

type Handler = Box<dyn FnMut(&Request) -> Result<Response, KubeError>>;

/// 2024-05-01T12:00:00Z, the fake clock.
pub const NOW: i64 = 1714564800;

pub struct Fake {
    pub handler: Handler,
    pub requests: Vec<Request>,
    pub resources: Vec<ResourceInfo>,
    pub ctx: Ctx,
    pub can_i: Option<AccessReview>,
    /// OpenAPI v3 documents served by `openapi_schema`, by (group, version).
    pub openapi: Vec<((String, String), String)>,
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

impl Default for Fake {
    fn default() -> Self {
        Self::new()
    }
}

impl Fake {
    pub fn new() -> Fake {
        Fake {
            handler: Box::new(|r| panic!("unexpected request {r:?}")),
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
        }
    }

    /// Serves `doc` as the OpenAPI v3 document of `group`/`version`.
    pub fn openapi(&mut self, group: &str, version: &str, doc: Value) {
        self.openapi
            .push(((group.into(), version.into()), doc.to_string()));
    }

    pub fn on(&mut self, h: impl FnMut(&Request) -> Result<Response, KubeError> + 'static) {
        self.handler = Box::new(h);
    }
}

impl Api for Fake {
    fn send(&mut self, req: &Request) -> Result<Response, KubeError> {
        self.requests.push(req.clone());
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
}

pub fn ok_json(v: Value) -> Result<Response, KubeError> {
    Ok(Response {
        status: 200,
        body: v.to_string(),
    })
}

pub fn ok_text(s: &str) -> Result<Response, KubeError> {
    Ok(Response {
        status: 200,
        body: s.into(),
    })
}

pub fn not_found(resource: &str, name: &str) -> KubeError {
    KubeError::Api(ApiError {
        code: 404,
        reason: "NotFound".into(),
        message: format!("{resource} \"{name}\" not found"),
    })
}

pub fn denied(rule: &str, reason: &str) -> KubeError {
    KubeError::Denied(Denial {
        rule: rule.into(),
        reason: reason.into(),
    })
}

pub fn forbidden(reason: &str) -> KubeError {
    KubeError::Forbidden(Denial {
        rule: "rbac".into(),
        reason: reason.into(),
    })
}

/// Splits and runs one command line against the fake.
pub fn run_line(f: &mut Fake, line: &str) -> CmdResult {
    let words = crate::shell::tokenize(line).expect("tokenize");
    let ctx = f.ctx.clone();
    super::run(&words, &ctx, f)
}
