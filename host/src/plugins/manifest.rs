//! A plugin's manifest (`plugin.toml`), embedded in its component as the custom section
//! [`MANIFEST_SECTION`], and the capability scopes it requests.

use anyhow::{Context as _, Result, bail};
use serde::{Deserialize, Serialize};

pub use crate::capabilities::kube::scope::{KUBE_VERBS, KubeScope};
pub use crate::capabilities::process::grant::ProcessRequest;

/// Name of the custom section that carries `plugin.toml` inside the component. A plugin
/// embeds it at build time with a `#[link_section = "kube-ai-proxy:manifest"]` static, so one
/// SHA-256 digest covers the code and the capability request.
pub const MANIFEST_SECTION: &str = "kube-ai-proxy:manifest";

/// The WIT package version this host implements.
pub const WIT_PACKAGE: &str = "kube-ai-proxy:plugin@0.2.0";
/// Every `wit` value this host loads, oldest first (see [`crate::wit::VERSIONS`]).
pub const WIT_PACKAGES: &[&str] = &["kube-ai-proxy:plugin@0.1.0", "kube-ai-proxy:plugin@0.2.0"];

/// `plugin.toml`: who the plugin is and what it asks for.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Unique plugin name: lowercase letters, digits and `-`/`_`; grants are keyed by it.
    pub name: String,
    /// The plugin's own version, free-form text (e.g. `0.3.1`): shown by `plugins list` and
    /// `plugins inspect`, never compared by the host (the digest identifies a build).
    pub version: String,
    /// What the plugin is for, a short text for people (`plugins list`, `plugins inspect`);
    /// empty when absent.
    #[serde(default)]
    pub description: String,
    /// The WIT package the plugin was built against, e.g. `kube-ai-proxy:plugin@0.1.0`.
    pub wit: String,
    /// `[capabilities.*]`: what the plugin asks for. A capability not requested here is
    /// never granted, whatever the operator's grant says (the effective grant is the
    /// intersection).
    #[serde(default)]
    pub capabilities: RequestedCapabilities,
    /// The tools the plugin declares it serves (`[[tools]]`), so a reviewer can read them
    /// without running the plugin. Optional; when present, the host checks at load time that
    /// `list-tools` returns exactly these names.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<ToolDecl>,
}

/// One `[[tools]]` entry of `plugin.toml`: a tool the plugin declares it serves.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ToolDecl {
    /// The tool name, as `list-tools` returns it (`[A-Za-z0-9_.-]{1,128}`).
    pub name: String,
    /// What the tool does, for a reviewer.
    #[serde(default)]
    pub description: String,
    /// Whether the tool only reads (the MCP `readOnlyHint`).
    #[serde(default)]
    pub read_only: bool,
    /// Whether the tool may destroy or overwrite things (the MCP `destructiveHint`).
    #[serde(default)]
    pub destructive: bool,
    /// Human-readable title (the MCP tool `title`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The MCP `idempotentHint`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub idempotent: bool,
    /// The MCP `openWorldHint`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub open_world: bool,
    /// The JSON Schema of the arguments, as a TOML table (the SDKs build `list-tools` from
    /// it, so a tool is declared once). Absent: an object with no properties.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_schema: Option<toml::Table>,
    /// What the host suggests when this tool's answer is cut at the client's budget.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub truncation_hint: Option<String>,
}

/// Capabilities a plugin requests. Absent means not requested.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RequestedCapabilities {
    /// `[capabilities.kube]`: the Kubernetes API scope asked for.
    pub kube: Option<KubeScope>,
    /// `[capabilities.log]`: messages to the host's log.
    pub log: Option<toml::Table>,
    /// `[capabilities.process]`: programs the plugin asks to run (`programs = ["helm"]`).
    /// Contract 0.2.0; the host refuses every run until the process capability lands.
    pub process: Option<ProcessRequest>,
    /// `[capabilities.progress]`: MCP progress notifications.
    pub progress: Option<toml::Table>,
}

impl Manifest {
    /// Parses and validates `plugin.toml` text, including that it targets one of
    /// [`WIT_PACKAGES`].
    pub fn parse(text: &str) -> Result<Manifest> {
        let m = Manifest::parse_any_wit(text)?;
        if !WIT_PACKAGES.contains(&m.wit.as_str()) {
            bail!(
                "plugin {} targets {}, this host loads {} (see docs/plugin-authors.md, \"The version promise\")",
                m.name,
                m.wit,
                WIT_PACKAGES.join(" and ")
            );
        }
        Ok(m)
    }

    /// Parses and validates `plugin.toml` text like [`Manifest::parse`], but accepts any
    /// `wit` package (for `plugins inspect`, which reports a mismatch instead of failing).
    pub fn parse_any_wit(text: &str) -> Result<Manifest> {
        let m: Manifest = toml::from_str(text).context("invalid plugin.toml")?;
        if m.name.is_empty()
            || !m
                .name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        {
            bail!(
                "invalid plugin name {:?}: use lowercase letters, digits, '-' and '_'",
                m.name
            );
        }
        if let Some(k) = &m.capabilities.kube {
            k.validate()
                .with_context(|| format!("plugin {}: [capabilities.kube]", m.name))?;
        }
        for (i, t) in m.tools.iter().enumerate() {
            let valid = !t.name.is_empty()
                && t.name.len() <= 128
                && t.name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
            if !valid {
                bail!(
                    "plugin {}: [[tools]] name {:?} is invalid: use [A-Za-z0-9_.-], at most 128 characters",
                    m.name,
                    t.name
                );
            }
            if m.tools[..i].iter().any(|o| o.name == t.name) {
                bail!("plugin {}: [[tools]] declares {:?} twice", m.name, t.name);
            }
        }
        Ok(m)
    }

    /// Checks the tools `list-tools` returned against the declared `[[tools]]` (same names,
    /// in any order). Always passes when the manifest declares no tools.
    ///
    /// Errors: name the declared tools the plugin does not serve and the served tools it did
    /// not declare.
    pub fn check_declared_tools<'a>(
        &self,
        served: impl IntoIterator<Item = &'a str>,
    ) -> Result<()> {
        if self.tools.is_empty() {
            return Ok(());
        }
        let served: Vec<&str> = served.into_iter().collect();
        let missing: Vec<&str> = self
            .tools
            .iter()
            .map(|t| t.name.as_str())
            .filter(|n| !served.contains(n))
            .collect();
        let undeclared: Vec<&str> = served
            .iter()
            .copied()
            .filter(|n| !self.tools.iter().any(|t| t.name == *n))
            .collect();
        if missing.is_empty() && undeclared.is_empty() {
            return Ok(());
        }
        bail!(
            "list-tools does not match the tools plugin.toml declares: declared but not served [{}], served but not declared [{}]",
            missing.join(", "),
            undeclared.join(", ")
        )
    }

    /// Reads the manifest from a component's bytes without running it: the first custom
    /// section named [`MANIFEST_SECTION`], at any nesting depth (the Rust toolchain puts it in
    /// the core module inside the component).
    ///
    /// Errors: the bytes are not WebAssembly, the section is missing, not UTF-8, or invalid.
    pub fn from_component(bytes: &[u8]) -> Result<Manifest> {
        Manifest::parse(Manifest::section_text(bytes)?)
    }

    /// The text of the first [`MANIFEST_SECTION`] custom section, at any nesting depth.
    ///
    /// Errors: the bytes are not WebAssembly, the section is missing or not UTF-8.
    pub fn section_text(bytes: &[u8]) -> Result<&str> {
        for payload in wasmparser::Parser::new(0).parse_all(bytes) {
            let payload = payload.context("not a WebAssembly component")?;
            if let wasmparser::Payload::CustomSection(reader) = payload
                && reader.name() == MANIFEST_SECTION
            {
                return std::str::from_utf8(reader.data())
                    .context("the plugin manifest section is not UTF-8");
            }
        }
        bail!(
            "no `{MANIFEST_SECTION}` custom section: a plugin must embed its plugin.toml (see the plugin author guide)"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(verbs: &[&str], resources: &[&str], namespaces: &[&str]) -> KubeScope {
        KubeScope {
            verbs: verbs.iter().map(|s| s.to_string()).collect(),
            resources: resources.iter().map(|s| s.to_string()).collect(),
            namespaces: namespaces.iter().map(|s| s.to_string()).collect(),
            dry_run_only: false,
            secret_keys: Vec::new(),
            secret_label: None,
        }
    }

    #[test]
    fn resource_patterns() {
        let s = scope(
            &["get"],
            &[
                "pods",
                "deployments.apps",
                "*.networking.istio.io",
                "nodes/status",
            ],
            &["*"],
        );
        assert!(s.allows_resource("", "pods", None));
        assert!(s.allows_resource("", "pods", Some("log")));
        assert!(!s.allows_resource("", "secrets", None));
        assert!(s.allows_resource("apps", "deployments", Some("scale")));
        assert!(!s.allows_resource("extensions", "deployments", None));
        assert!(s.allows_resource("networking.istio.io", "virtualservices", None));
        assert!(s.allows_resource("", "nodes", Some("status")));
        assert!(!s.allows_resource("", "nodes", None));
    }

    #[test]
    fn namespaces_and_verbs() {
        let s = scope(&["get", "list"], &["*"], &["team-a"]);
        assert!(s.allows_namespace(Some("team-a")));
        assert!(!s.allows_namespace(Some("team-b")));
        assert!(!s.allows_namespace(None));
        assert!(s.allows_verb("list"));
        assert!(!s.allows_verb("delete"));
        assert_eq!(
            s.intersect_verbs(&KubeScope::everything()),
            vec!["get", "list"]
        );
    }

    #[test]
    fn manifest_validation() {
        let ok = "name = \"x\"\nversion = \"1\"\nwit = \"kube-ai-proxy:plugin@0.1.0\"\n[capabilities.kube]\nverbs=[\"get\"]";
        assert_eq!(Manifest::parse(ok).unwrap().name, "x");
        let bad_verb = ok.replace("\"get\"", "\"escalate\"");
        assert!(format!("{:#}", Manifest::parse(&bad_verb).unwrap_err()).contains("unknown verb"));
        let bad_name = ok.replace("name = \"x\"", "name = \"X/..\"");
        assert!(Manifest::parse(&bad_name).is_err());
        let other_wit = ok.replace("0.1.0", "9.0.0");
        assert!(Manifest::parse(&other_wit).is_err());
        assert!(Manifest::from_component(b"not wasm").is_err());
    }

    #[test]
    fn declared_tools() {
        let ok = "name = \"x\"\nversion = \"1\"\nwit = \"kube-ai-proxy:plugin@0.1.0\"\n";
        let m = Manifest::parse(ok).unwrap();
        assert!(m.tools.is_empty());
        assert!(m.check_declared_tools(["anything"]).is_ok());
        let with = format!(
            "{ok}[[tools]]\nname = \"a\"\nread_only = true\n[[tools]]\nname = \"b\"\ndescription = \"B\"\ndestructive = true\n"
        );
        let m = Manifest::parse(&with).unwrap();
        assert_eq!(m.tools.len(), 2);
        assert!(m.tools[0].read_only && !m.tools[0].destructive);
        assert!(m.check_declared_tools(["b", "a"]).is_ok());
        let err = format!("{:#}", m.check_declared_tools(["a", "c"]).unwrap_err());
        assert!(err.contains("declared but not served [b]"), "{err}");
        assert!(err.contains("served but not declared [c]"), "{err}");
        let unknown = format!("{with}read_write = true\n");
        assert!(Manifest::parse(&unknown).is_err());
        // The 0.2.0 fields: one declaration serves the SDKs' `list-tools` and reviewers.
        let full = format!(
            "{ok}[[tools]]\nname = \"a\"\ntitle = \"A\"\nidempotent = true\nopen_world = true\ntruncation_hint = \"use -l\"\ninput_schema = {{ type = \"object\", properties = {{ n = {{ type = \"string\" }} }} }}\n"
        );
        let m = Manifest::parse(&full).unwrap();
        let t = &m.tools[0];
        assert!(t.idempotent && t.open_world && !t.read_only);
        assert_eq!(t.title.as_deref(), Some("A"));
        assert_eq!(t.truncation_hint.as_deref(), Some("use -l"));
        assert_eq!(
            t.input_schema.as_ref().unwrap()["type"].as_str(),
            Some("object")
        );
        let future = ok.replace("0.1.0", "0.3.0");
        let e = format!("{:#}", Manifest::parse(&future).unwrap_err());
        assert!(
            e.contains("this host loads kube-ai-proxy:plugin@0.1.0 and kube-ai-proxy:plugin@0.2.0"),
            "{e}"
        );
        let twice = format!("{with}[[tools]]\nname = \"a\"\n");
        assert!(format!("{:#}", Manifest::parse(&twice).unwrap_err()).contains("twice"));
        let bad = format!("{ok}[[tools]]\nname = \"a b\"\n");
        assert!(Manifest::parse(&bad).is_err());
    }
}

/// What the operator grants one plugin (by plugin name, `[grants.NAME]` in the config; see
/// `crate::config`). Absent capabilities are denied. The effective grant is what the
/// manifest requests ∩ this.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Grant {
    /// When set (`sha256:<hex>`), the grant applies only to a plugin with this digest; a
    /// plugin of the same name with another digest gets nothing.
    pub digest: Option<String>,
    /// The Kubernetes API scope granted.
    pub kube: Option<KubeScope>,
    /// Whether the plugin may write to the host's log.
    #[serde(default)]
    pub log: bool,
    /// The programs the plugin may run, and what they may read and reach
    /// (`[grants.NAME.process]`). Absent: the built-in default (the bundled `helm` plugin
    /// gets `helm` from `PATH`; every other plugin nothing).
    pub process: Option<crate::capabilities::process::grant::ProcessGrant>,
}

/// What the host knows about a loaded plugin: its manifest, digest, file, the operator's
/// grant (if one applies to this digest) and the contract version it was built against.
#[derive(Debug)]
pub struct PluginInfo {
    /// The embedded manifest.
    pub manifest: Manifest,
    /// `sha256:<hex>` of the `.wasm` file.
    pub digest: String,
    /// Where it was loaded from.
    pub path: std::path::PathBuf,
    /// The operator's grant for this plugin, if any applies to this digest.
    pub grant: Option<Grant>,
    /// Whether the compiled artifact came from the compile cache.
    pub cache_hit: bool,
    /// The `kube-ai-proxy:plugin` version the component was built against, e.g. `0.2.0`.
    pub wit_version: &'static str,
}
