//! The plugin contract as host bindings: every WIT version this host loads.
//!
//! - [`latest`]: `kube-ai-proxy:plugin@0.2.0` (`wit/plugin.wit`), the types the host works in;
//! - [`v0_1_0`]: `kube-ai-proxy:plugin@0.1.0` (`wit/since_v0.1.0/plugin.wit`, frozen).
//!
//! A component built against an older version keeps loading: its imports are served by the
//! same capability code through the conversions in this module (to and from the latest
//! types), as Zed's extension host does with `since_v0_x_0`. [`MIN_VERSION`] is the oldest
//! version loaded; [`LATEST_VERSION`] the newest. Imports and exports are async so capability
//! calls can await the Kubernetes API without blocking the runtime.
//!
//! The generated modules are named after the WIT package (`kube_ai_proxy::plugin::…`); they
//! live in this module, and the host's library crate is `kap_host`, so the two never clash.

/// The oldest contract version this host loads.
pub const MIN_VERSION: &str = "0.1.0";
/// The newest contract version (what `plugins new` and the SDK build against).
pub const LATEST_VERSION: &str = "0.2.0";
/// Every version this host loads, oldest first.
pub const VERSIONS: &[&str] = &["0.1.0", "0.2.0"];

/// Bindings of `kube-ai-proxy:plugin@0.2.0`. The generated code implements wasmtime's
/// `unsafe` lifting and lowering traits, hence the lint exception.
// missing_docs: the generated items are documented in `wit/plugin.wit`.
#[allow(missing_docs, unsafe_code)]
pub mod latest {
    wasmtime::component::bindgen!({
        world: "plugin",
        path: "../wit",
        imports: { default: async },
        exports: { default: async },
    });
}

/// Bindings of the frozen `kube-ai-proxy:plugin@0.1.0`.
// missing_docs: the generated items are documented in `wit/since_v0.1.0/plugin.wit`.
#[allow(missing_docs, unsafe_code)]
pub mod v0_1_0 {
    wasmtime::component::bindgen!({
        world: "plugin",
        path: "../wit/since_v0.1.0",
        imports: { default: async },
        exports: { default: async },
    });
}

pub use latest::exports::kube_ai_proxy::plugin::{prompts, tools};
pub use latest::kube_ai_proxy::plugin::{kube, log, process, progress, types};

/// Conversions between `0.1.0` and the latest types. `0.1.0`'s `kube` and `log` interfaces
/// are the same shapes as the latest ones, so each conversion is total.
pub mod v0_1_0_adapter {
    use super::latest::kube_ai_proxy::plugin as new;
    use super::v0_1_0::exports::kube_ai_proxy::plugin::tools as old_tools;
    use super::v0_1_0::kube_ai_proxy::plugin as old;

    /// The latest call context, without the fields `0.1.0` does not know (`process`).
    pub fn call_context(c: &new::types::CallContext) -> old::types::CallContext {
        old::types::CallContext {
            request_id: c.request_id.clone(),
            kube_context: c.kube_context.clone(),
            default_namespace: c.default_namespace.clone(),
            timeout_ms: c.timeout_ms,
            max_output_chars: c.max_output_chars,
        }
    }

    /// `0.1.0` verb → latest.
    pub fn verb(v: old::kube::Verb) -> new::kube::Verb {
        use new::kube::Verb as N;
        use old::kube::Verb as O;
        match v {
            O::Get => N::Get,
            O::List => N::List,
            O::Create => N::Create,
            O::Update => N::Update,
            O::Patch => N::Patch,
            O::Delete => N::Delete,
            O::DeleteCollection => N::DeleteCollection,
        }
    }

    /// Latest verb → `0.1.0`.
    pub fn verb_back(v: new::kube::Verb) -> old::kube::Verb {
        use new::kube::Verb as N;
        use old::kube::Verb as O;
        match v {
            N::Get => O::Get,
            N::List => O::List,
            N::Create => O::Create,
            N::Update => O::Update,
            N::Patch => O::Patch,
            N::Delete => O::Delete,
            N::DeleteCollection => O::DeleteCollection,
        }
    }

    /// `0.1.0` request → latest.
    pub fn request(r: old::kube::Request) -> new::kube::Request {
        use new::kube::{OutputFormat as NO, PatchType as NP};
        use old::kube::{OutputFormat as OO, PatchType as OP};
        new::kube::Request {
            verb: verb(r.verb),
            group: r.group,
            version: r.version,
            resource: r.resource,
            subresource: r.subresource,
            namespace: r.namespace,
            name: r.name,
            query: r.query,
            body: r.body,
            patch_type: r.patch_type.map(|p| match p {
                OP::Json => NP::Json,
                OP::Merge => NP::Merge,
                OP::Strategic => NP::Strategic,
                OP::Apply => NP::Apply,
            }),
            output: match r.output {
                OO::Json => NO::Json,
                OO::Table => NO::Table,
                OO::Text => NO::Text,
            },
        }
    }

    /// Latest response → `0.1.0`.
    pub fn response(r: new::kube::Response) -> old::kube::Response {
        old::kube::Response {
            status: r.status,
            body: r.body,
        }
    }

    fn denial(d: new::kube::Denial) -> old::kube::Denial {
        old::kube::Denial {
            rule: d.rule,
            reason: d.reason,
        }
    }

    /// Latest error → `0.1.0`.
    pub fn error(e: new::kube::KubeError) -> old::kube::KubeError {
        use new::kube::KubeError as N;
        use old::kube::KubeError as O;
        match e {
            N::Denied(d) => O::Denied(denial(d)),
            N::Forbidden(d) => O::Forbidden(denial(d)),
            N::Api(a) => O::Api(old::kube::ApiError {
                code: a.code,
                reason: a.reason,
                message: a.message,
            }),
            N::UnknownResource(s) => O::UnknownResource(s),
            N::Invalid(s) => O::Invalid(s),
            N::Transport(s) => O::Transport(s),
            N::Limit(s) => O::Limit(s),
        }
    }

    /// Latest resource info → `0.1.0`.
    pub fn resource_info(i: new::kube::ResourceInfo) -> old::kube::ResourceInfo {
        old::kube::ResourceInfo {
            group: i.group,
            version: i.version,
            resource: i.resource,
            singular: i.singular,
            kind: i.kind,
            namespaced: i.namespaced,
            verbs: i.verbs,
            short_names: i.short_names,
            categories: i.categories,
        }
    }

    /// Latest access review → `0.1.0`.
    pub fn access_review(a: new::kube::AccessReview) -> old::kube::AccessReview {
        old::kube::AccessReview {
            allowed: a.allowed,
            reason: a.reason,
        }
    }

    /// `0.1.0` log level → latest.
    pub fn level(l: old::log::Level) -> new::log::Level {
        use new::log::Level as N;
        use old::log::Level as O;
        match l {
            O::Trace => N::Trace,
            O::Debug => N::Debug,
            O::Info => N::Info,
            O::Warn => N::Warn,
            O::Error => N::Error,
        }
    }

    /// `0.1.0` tool → latest (no truncation hint).
    pub fn tool(t: old_tools::Tool) -> super::tools::Tool {
        super::tools::Tool {
            name: t.name,
            title: t.title,
            description: t.description,
            input_schema: t.input_schema,
            annotations: super::tools::Annotations {
                read_only: t.annotations.read_only,
                destructive: t.annotations.destructive,
                idempotent: t.annotations.idempotent,
                open_world: t.annotations.open_world,
            },
            truncation_hint: None,
        }
    }

    /// `0.1.0` tool output → latest.
    pub fn tool_output(o: old_tools::ToolOutput) -> super::tools::ToolOutput {
        super::tools::ToolOutput {
            text: o.text,
            structured: o.structured,
            is_error: o.is_error,
        }
    }

    /// `0.1.0` tool error → latest.
    pub fn tool_error(e: old_tools::ToolError) -> super::tools::ToolError {
        use super::tools::ToolError as N;
        use old_tools::ToolError as O;
        match e {
            O::InvalidArguments(s) => N::InvalidArguments(s),
            O::UnknownTool(s) => N::UnknownTool(s),
            O::Failed(s) => N::Failed(s),
        }
    }

    /// `0.1.0` call plan → latest (no facts).
    pub fn call_plan(p: old_tools::CallPlan) -> super::tools::CallPlan {
        super::tools::CallPlan {
            family: p.family,
            command: p.command,
            requests: p
                .requests
                .into_iter()
                .map(|r| super::tools::PlannedRequest {
                    verb: verb(r.verb),
                    group: r.group,
                    resource: r.resource,
                    subresource: r.subresource,
                    namespace: r.namespace,
                    name: r.name,
                })
                .collect(),
            facts: Vec::new(),
        }
    }
}
