//! The Rust SDK for kube-ai-proxy plugins (`kap_sdk`).
//!
//! A plugin is one WebAssembly component built for `wasm32-wasip2` against the WIT package
//! `kube-ai-proxy:plugin@0.2.0` (`wit/plugin.wit`). This crate holds everything a Rust plugin
//! needs besides its own logic:
//!
//! * [`bindings`]: the generated bindings of the `plugin` world (the only
//!   `wit_bindgen::generate!` of our plugins), with the types re-exported at the crate root
//!   ([`Request`], [`CallContext`], [`Tool`], [`CallPlan`], [`Prompt`], [`RunRequest`], ...);
//! * the [`Plugin`] trait and the [`export_plugin!`] macro, which embeds `plugin.toml` as the
//!   custom section `kube-ai-proxy:manifest` and exports the world; [`manifest`] builds
//!   `list-tools` from the manifest's `[[tools]]`, so tools are declared once;
//! * the typed kube seam: the [`Api`] trait (the `kube` capability as a plugin's code sees it,
//!   implemented over the imports by [`Host`] and by [`testing::FakeApi`] in native tests),
//!   request builders ([`Request::list`], [`Request::get`], [`Request::namespace`], ...) and
//!   error text in kubectl's words ([`api`]);
//! * machinery shared by the cobra-style CLIs the plugins translate (kubectl, helm, istioctl,
//!   argocd): the pflag parser and flag help ([`cli`]), the shell-free tokenizer ([`shell`]),
//!   the safe output filters after `|` ([`filters`]);
//! * call plans (`plan-call`) for any command family: the builder of a [`CallPlan`] and its
//!   normalized command ([`plan`]), and the built-in Kubernetes kinds, as `kubectl
//!   api-resources` lists them, with kubectl's spellings of a type ([`kinds`]);
//! * printing like kubectl: server-side tables ([`table`]), Go's tabwriter ([`tabwriter`]),
//!   kubectl's JSONPath template dialect ([`jsonpath`]), JSON and YAML ([`printing`]), ages and
//!   timestamps ([`time`]), resource quantities ([`quantity`]).
//!
//! A minimal plugin:
//!
//! ```ignore
//! use kap_sdk::{Api, CallContext, Plugin, Request, ToolError, ToolOutput};
//!
//! struct Demo;
//!
//! impl Plugin for Demo {
//!     fn call_tool(name: &str, _args: &serde_json::Value, _ctx: &CallContext, api: &mut dyn Api)
//!         -> Result<ToolOutput, ToolError> {
//!         match name {
//!             "list_namespaces" => {
//!                 let list = kap_sdk::api::send_json(api, &Request::list("", "v1", "namespaces"));
//!                 Ok(ToolOutput::from_result(list.map(|v| v.to_string())))
//!             }
//!             other => Err(ToolError::UnknownTool(other.into())),
//!         }
//!     }
//! }
//!
//! kap_sdk::export_plugin!(Demo, "../plugin.toml");
//! ```

#![deny(missing_docs)]

/// The generated bindings of the world `plugin` of `kube-ai-proxy:plugin@0.2.0`
/// (`wit/plugin.wit`). Plugins do not call `wit_bindgen::generate!` themselves; they use these
/// through the re-exports at the crate root and [`export_plugin!`].
// The WIT documents the generated items (its `///` comments become their docs where it has
// them): `missing_docs` is not asked of generated code. The canonical ABI's lifting and
// lowering is `unsafe` code that wit-bindgen generates and audits, hence the lint exception.
#[allow(missing_docs, clippy::all, unsafe_code)]
pub mod bindings {
    wit_bindgen::generate!({
        world: "plugin",
        path: "../../wit",
        pub_export_macro: true,
        default_bindings_module: "kap_sdk::bindings",
        // Plans are compared in tests (a plan against the requests a call really sends).
        additional_type_attributes: {
            "kube-ai-proxy:plugin/tools@0.2.0/call-plan": [#[derive(PartialEq, Eq)]],
            "kube-ai-proxy:plugin/tools@0.2.0/planned-request": [#[derive(PartialEq, Eq)]],
        },
    });
}

pub mod api;
pub mod cli;
pub mod filters;
pub mod host;
pub mod jsonpath;
pub mod kinds;
pub mod manifest;
pub mod plan;
pub mod printing;
pub mod quantity;
pub mod request;
pub mod shell;
pub mod table;
pub mod tabwriter;
pub mod testing;
pub mod time;

pub use api::{Api, Ctx};
pub use bindings::exports::kube_ai_proxy::plugin::prompts::{
    Prompt, PromptArgument, PromptError, PromptMessage, PromptResult, Role,
};
pub use bindings::exports::kube_ai_proxy::plugin::tools::{
    Annotations, CallPlan, PlannedRequest, Tool, ToolError, ToolOutput,
};
pub use bindings::kube_ai_proxy::plugin::kube::{
    AccessReview, ApiError, Denial, KubeError, OutputFormat, PatchType, Request, ResourceInfo,
    Response, Verb,
};
pub use bindings::kube_ai_proxy::plugin::log::Level;
pub use bindings::kube_ai_proxy::plugin::process::{
    Approval, ApprovedRequest, ProcessError, RunOutput, RunRequest,
};
pub use bindings::kube_ai_proxy::plugin::types::{CallContext, ProcessGrant};
pub use host::Host;
/// `serde_json`, as the SDK uses it (tool arguments are [`serde_json::Value`]s).
pub use serde_json;

use serde_json::Value;

/// The manifest a plugin embeds; implemented by [`export_plugin!`] for the plugin's type.
///
/// Write it by hand only for a [`Plugin`] used without the macro (e.g. in a test).
pub trait Manifest {
    /// The bytes of `plugin.toml`, as embedded in the custom section `kube-ai-proxy:manifest`.
    const MANIFEST: &'static [u8];
}

/// A plugin: its tools, how it calls them, and optionally its instructions and prompts.
///
/// Every function is an associated function (a plugin has no state between calls: the host
/// gives every call a fresh instance). [`export_plugin!`] binds the type to the WIT world.
pub trait Plugin: Manifest {
    /// The tools (`list-tools`). Called once at load time; must not call capabilities.
    ///
    /// Default: the `[[tools]]` of the embedded manifest, built by [`manifest::tools`]. A
    /// manifest that does not parse panics with the reason (a trap at load time, which the
    /// host reports with the plugin's name).
    fn tools() -> Vec<Tool> {
        let text = String::from_utf8_lossy(Self::MANIFEST);
        manifest::tools(&text).unwrap_or_else(|e| panic!("plugin.toml: {e}"))
    }

    /// Calls tool `name` with its arguments (the JSON the client sent, `{}` when it sent
    /// none), through `api` (the host's capabilities; [`testing::FakeApi`] in tests).
    fn call_tool(
        name: &str,
        args: &Value,
        ctx: &CallContext,
        api: &mut dyn Api,
    ) -> Result<ToolOutput, ToolError>;

    /// Describes a call before it runs (`plan-call`), without any capability call.
    /// Default: `None` (no command form).
    fn plan_call(
        name: &str,
        args: &Value,
        ctx: &CallContext,
    ) -> Result<Option<CallPlan>, ToolError> {
        let _ = (name, args, ctx);
        Ok(None)
    }

    /// Text added to the MCP server instructions. Default: none.
    fn instructions() -> Option<String> {
        None
    }

    /// The MCP prompts (`list-prompts`). Default: none.
    fn prompts() -> Vec<Prompt> {
        Vec::new()
    }

    /// Renders prompt `name` (`get-prompt`); `tools` names every tool the server offers.
    /// Default: [`PromptError::UnknownPrompt`].
    fn get_prompt(
        name: &str,
        args: &[(String, String)],
        tools: &[String],
    ) -> Result<PromptResult, PromptError> {
        let _ = (args, tools);
        Err(PromptError::UnknownPrompt(name.into()))
    }
}

/// A capability failure that ends a tool call: `ToolError::Failed` with the error in
/// kubectl's words ([`api::kube_error_text`]), so `api.send(&req)?` works in a tool. Tools
/// that want to report a denial as an answer (`isError` with structured content) use
/// [`ToolOutput::from_result`] instead.
impl From<KubeError> for ToolError {
    fn from(e: KubeError) -> ToolError {
        ToolError::Failed(api::kube_error_text(&e))
    }
}

/// Parses a tool call's `arguments` string: empty means `{}`; anything else must be JSON
/// (`ToolError::InvalidArguments("arguments are not JSON: ...")` otherwise). Whether it is an
/// object is the tool's business.
pub fn parse_arguments(arguments: &str) -> Result<Value, ToolError> {
    if arguments.trim().is_empty() {
        return Ok(Value::Object(serde_json::Map::new()));
    }
    serde_json::from_str(arguments)
        .map_err(|e| ToolError::InvalidArguments(format!("arguments are not JSON: {e}")))
}

/// The words of a tool call's `command` argument (one `program` command line, e.g.
/// `helm`), split as `sh` would with every shell construct refused ([`shell::tokenize`]).
///
/// Errors: `ToolError::InvalidArguments` when `command` is missing or not a string
/// (`` `command` (the helm command line) is required ``), or holds a shell construct.
pub fn command_words(args: &Value, program: &str) -> Result<Vec<String>, ToolError> {
    let line = args.get("command").and_then(Value::as_str).ok_or_else(|| {
        ToolError::InvalidArguments(format!(
            "`command` (the {program} command line) is required"
        ))
    })?;
    shell::tokenize(line).map_err(|e| ToolError::InvalidArguments(e.0))
}

impl ToolOutput {
    /// A plain text answer.
    pub fn text(text: impl Into<String>) -> ToolOutput {
        ToolOutput {
            text: text.into(),
            structured: None,
            is_error: false,
        }
    }

    /// A text answer with structured content (MCP `structuredContent`).
    pub fn with_structured(text: impl Into<String>, structured: &Value) -> ToolOutput {
        ToolOutput {
            text: text.into(),
            structured: Some(structured.to_string()),
            is_error: false,
        }
    }

    /// An answer that reports a failure (`isError`), e.g. a denial in kubectl's words.
    pub fn error(text: impl Into<String>) -> ToolOutput {
        ToolOutput {
            text: text.into(),
            structured: None,
            is_error: true,
        }
    }

    /// The text of `Ok`, or a capability failure as an error answer: its text in kubectl's
    /// words ([`api::kube_error_text`]) and `{"error": ...}` as structured content.
    pub fn from_result(r: Result<String, api::Failure>) -> ToolOutput {
        match r {
            Ok(text) => ToolOutput::text(text),
            Err(api::Failure::Kube(e)) => ToolOutput {
                text: format!("{}\n", api::kube_error_text(&e)),
                structured: Some(api::kube_error_json(&e).to_string()),
                is_error: true,
            },
            Err(api::Failure::Usage(m) | api::Failure::Message(m)) => {
                ToolOutput::error(format!("error: {m}\n"))
            }
        }
    }
}

/// The bridge from a [`Plugin`] to the WIT exports; named by [`export_plugin!`].
#[doc(hidden)]
pub struct Export<P>(core::marker::PhantomData<P>);

impl<P: Plugin> bindings::exports::kube_ai_proxy::plugin::tools::Guest for Export<P> {
    fn list_tools() -> Vec<Tool> {
        P::tools()
    }

    fn instructions() -> Option<String> {
        P::instructions()
    }

    fn call_tool(
        name: String,
        arguments: String,
        ctx: CallContext,
    ) -> Result<ToolOutput, ToolError> {
        let args = parse_arguments(&arguments)?;
        P::call_tool(&name, &args, &ctx, &mut Host)
    }

    fn plan_call(
        name: String,
        arguments: String,
        ctx: CallContext,
    ) -> Result<Option<CallPlan>, ToolError> {
        let args = parse_arguments(&arguments)?;
        P::plan_call(&name, &args, &ctx)
    }
}

impl<P: Plugin> bindings::exports::kube_ai_proxy::plugin::prompts::Guest for Export<P> {
    fn list_prompts() -> Vec<Prompt> {
        P::prompts()
    }

    fn get_prompt(
        name: String,
        arguments: Vec<(String, String)>,
        tools: Vec<String>,
    ) -> Result<PromptResult, PromptError> {
        P::get_prompt(&name, &arguments, &tools)
    }
}

/// Binds a [`Plugin`] type to the WIT world and embeds its manifest:
/// `kap_sdk::export_plugin!(MyPlugin, "../plugin.toml");`.
///
/// The path is relative to the file that invokes the macro, as with `include_bytes!`. The
/// manifest's bytes go into the custom section `kube-ai-proxy:manifest` (so one digest covers
/// the code and the capability request), and the macro implements [`Manifest`] for the type.
/// The WIT exports are generated only for `wasm32` targets: natively (unit tests) the export
/// symbols, whose names contain `:` and `@`, could not be linked, and nothing would call them.
/// Invoke it once per plugin crate, at module level.
#[macro_export]
macro_rules! export_plugin {
    ($plugin:ty, $manifest:literal) => {
        #[used]
        // The one `unsafe` a plugin has: placing the manifest in its custom section.
        #[allow(unsafe_code)]
        #[unsafe(link_section = "kube-ai-proxy:manifest")]
        static __KAP_MANIFEST: [u8; include_bytes!($manifest).len()] = *include_bytes!($manifest);

        impl $crate::Manifest for $plugin {
            const MANIFEST: &'static [u8] = &__KAP_MANIFEST;
        }

        #[cfg(target_arch = "wasm32")]
        type __KapExport = $crate::Export<$plugin>;

        #[cfg(target_arch = "wasm32")]
        $crate::bindings::export!(__KapExport with_types_in $crate::bindings);
    };
}
