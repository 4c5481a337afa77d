//! Builders for [`Request`], so a request reads as what it asks for instead of an 11-field
//! literal:
//!
//! ```ignore
//! use kap_sdk::{PatchType, Request};
//! let pods = Request::list("", "v1", "pods").namespace("default").query("labelSelector", "app=web");
//! let table = Request::list("", "v1", "nodes").table();
//! let logs = Request::get("", "v1", "pods", "web-1").namespace("shop").subresource("log").text();
//! let scale = Request::patch("apps", "v1", "deployments", "web", PatchType::Merge, r#"{"spec":{"replicas":3}}"#)
//!     .namespace("shop");
//! ```
//!
//! The host builds the URL from these fields (see the WIT `kube.request`); a builder sets
//! nothing the host would not check.

use crate::{OutputFormat, PatchType, Request, ResourceInfo, Verb};

impl Request {
    /// A request with the given verb and resource, no namespace, name, query or body, answered
    /// as JSON. `group` is empty for the core group.
    pub fn new(verb: Verb, group: &str, version: &str, resource: &str) -> Request {
        Request {
            verb,
            group: group.into(),
            version: version.into(),
            resource: resource.into(),
            subresource: None,
            namespace: None,
            name: None,
            query: Vec::new(),
            body: None,
            patch_type: None,
            output: OutputFormat::Json,
        }
    }

    /// The same request for a resource discovery described (`kube.resolve`), e.g.
    /// `Request::of(Verb::List, &info)`. The namespace set later with [`Request::namespace`]
    /// is dropped for cluster-scoped resources (see [`Request::namespace_if`]).
    pub fn of(verb: Verb, info: &ResourceInfo) -> Request {
        Request::new(verb, &info.group, &info.version, &info.resource)
    }

    /// `list` of a resource (across all namespaces until [`Request::namespace`] narrows it).
    pub fn list(group: &str, version: &str, resource: &str) -> Request {
        Request::new(Verb::List, group, version, resource)
    }

    /// `get` of one object.
    pub fn get(group: &str, version: &str, resource: &str, name: &str) -> Request {
        Request::new(Verb::Get, group, version, resource).name(name)
    }

    /// `create` of an object from its JSON.
    pub fn create(group: &str, version: &str, resource: &str, body: impl Into<String>) -> Request {
        Request::new(Verb::Create, group, version, resource).body(body)
    }

    /// `update` (PUT) of one object with its whole JSON.
    pub fn update(
        group: &str,
        version: &str,
        resource: &str,
        name: &str,
        body: impl Into<String>,
    ) -> Request {
        Request::new(Verb::Update, group, version, resource)
            .name(name)
            .body(body)
    }

    /// `patch` of one object (see [`PatchType`] for the body's format).
    pub fn patch(
        group: &str,
        version: &str,
        resource: &str,
        name: &str,
        patch_type: PatchType,
        body: impl Into<String>,
    ) -> Request {
        Request::new(Verb::Patch, group, version, resource)
            .name(name)
            .patch_body(patch_type, body)
    }

    /// `delete` of one object.
    pub fn delete(group: &str, version: &str, resource: &str, name: &str) -> Request {
        Request::new(Verb::Delete, group, version, resource).name(name)
    }

    /// Sets the namespace.
    pub fn namespace(mut self, namespace: impl Into<String>) -> Request {
        self.namespace = Some(namespace.into());
        self
    }

    /// Sets the namespace when `namespaced` (a resource's `ResourceInfo::namespaced`), and
    /// clears it otherwise; `None` leaves it unset (all namespaces for a list).
    pub fn namespace_if(mut self, namespaced: bool, namespace: Option<&str>) -> Request {
        self.namespace = if namespaced {
            namespace.map(str::to_string)
        } else {
            None
        };
        self
    }

    /// Sets the object name.
    pub fn name(mut self, name: impl Into<String>) -> Request {
        self.name = Some(name.into());
        self
    }

    /// Sets the subresource (`log`, `scale`, `status`, ...).
    pub fn subresource(mut self, subresource: impl Into<String>) -> Request {
        self.subresource = Some(subresource.into());
        self
    }

    /// Adds a query parameter, e.g. `.query("labelSelector", "app=web")`.
    pub fn query(mut self, key: impl Into<String>, value: impl Into<String>) -> Request {
        self.query.push((key.into(), value.into()));
        self
    }

    /// Sets the body (JSON; YAML for server-side apply).
    pub fn body(mut self, body: impl Into<String>) -> Request {
        self.body = Some(body.into());
        self
    }

    /// Sets the patch type and the body (the verb stays as it is).
    pub fn patch_body(mut self, patch_type: PatchType, body: impl Into<String>) -> Request {
        self.patch_type = Some(patch_type);
        self.body = Some(body.into());
        self
    }

    /// Asks for a server-side printed `Table` (the columns `kubectl get` prints).
    pub fn table(mut self) -> Request {
        self.output = OutputFormat::Table;
        self
    }

    /// Asks for the body as the server sends it (e.g. `text/plain` logs).
    pub fn text(mut self) -> Request {
        self.output = OutputFormat::Text;
        self
    }

    /// Adds `dryRun=All`: the server validates and answers without persisting.
    pub fn dry_run(self) -> Request {
        self.query("dryRun", "All")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builders_fill_the_fields() {
        let r = Request::list("", "v1", "pods")
            .namespace("shop")
            .query("labelSelector", "app=web")
            .table();
        assert!(matches!(r.verb, Verb::List));
        assert_eq!(r.resource, "pods");
        assert_eq!(r.namespace.as_deref(), Some("shop"));
        assert_eq!(r.query, vec![("labelSelector".into(), "app=web".into())]);
        assert!(matches!(r.output, OutputFormat::Table));
        let r = Request::patch("apps", "v1", "deployments", "web", PatchType::Merge, "{}")
            .namespace("shop")
            .dry_run();
        assert!(matches!(r.verb, Verb::Patch));
        assert!(matches!(r.patch_type, Some(PatchType::Merge)));
        assert_eq!(r.name.as_deref(), Some("web"));
        assert_eq!(r.body.as_deref(), Some("{}"));
        assert_eq!(r.query, vec![("dryRun".into(), "All".into())]);
        let r = Request::get("", "v1", "pods", "web-1")
            .subresource("log")
            .text();
        assert_eq!(r.subresource.as_deref(), Some("log"));
        assert!(matches!(r.output, OutputFormat::Text));
        let info = crate::api::core("nodes", "Node", false);
        let r = Request::of(Verb::List, &info).namespace_if(info.namespaced, Some("x"));
        assert_eq!(r.namespace, None);
    }
}
