//! `kube-ai-proxy plugins inspect`: what a plugin file is and what it would be allowed to do,
//! read from its bytes alone. Nothing is compiled, instantiated or called, and no cluster is
//! needed: the digest, the embedded manifest (custom section [`MANIFEST_SECTION`]), the
//! component's own imports and exports (read with `wasmparser`), and the effective grant
//! under a [`Config`].

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use serde::Serialize;

use super::manifest::{KubeScope, MANIFEST_SECTION, Manifest, ToolDecl, WIT_PACKAGE, WIT_PACKAGES};
use super::runtime::digest;
use crate::config::{Config, Grant};

/// The interfaces of every contract version ([`WIT_PACKAGES`]) the host implements for
/// plugins to import.
pub const HOST_PLUGIN_IMPORTS: &[&str] = &[
    "kube-ai-proxy:plugin/kube@0.1.0",
    "kube-ai-proxy:plugin/log@0.1.0",
    "kube-ai-proxy:plugin/types@0.1.0",
    "kube-ai-proxy:plugin/kube@0.2.0",
    "kube-ai-proxy:plugin/log@0.2.0",
    "kube-ai-proxy:plugin/types@0.2.0",
    "kube-ai-proxy:plugin/process@0.2.0",
    "kube-ai-proxy:plugin/progress@0.2.0",
];

/// The interface every plugin of the latest contract must export.
pub const REQUIRED_EXPORT: &str = "kube-ai-proxy:plugin/tools@0.2.0";

/// The `tools` export of each contract version this host loads.
pub const TOOLS_EXPORTS: &[&str] = &[
    "kube-ai-proxy:plugin/tools@0.1.0",
    "kube-ai-proxy:plugin/tools@0.2.0",
];

/// The WASI 0.2 (preview 2) interfaces the host links (`wasmtime_wasi::p2`), as
/// `package/interface`; any `0.2.x` version matches. They are all empty sandboxes: no
/// files, environment, arguments or sockets.
pub const HOST_WASI_IMPORTS: &[&str] = &[
    "cli/environment",
    "cli/exit",
    "cli/stdin",
    "cli/stdout",
    "cli/stderr",
    "cli/terminal-input",
    "cli/terminal-output",
    "cli/terminal-stdin",
    "cli/terminal-stdout",
    "cli/terminal-stderr",
    "clocks/monotonic-clock",
    "clocks/wall-clock",
    "filesystem/types",
    "filesystem/preopens",
    "io/error",
    "io/poll",
    "io/streams",
    "random/random",
    "random/insecure",
    "random/insecure-seed",
    "sockets/network",
    "sockets/instance-network",
    "sockets/ip-name-lookup",
    "sockets/tcp",
    "sockets/tcp-create-socket",
    "sockets/udp",
    "sockets/udp-create-socket",
];

/// Whether the host provides an import of this name (`ns:pkg/interface@version`).
pub fn host_provides(import: &str) -> bool {
    if HOST_PLUGIN_IMPORTS.contains(&import) {
        return true;
    }
    let Some(rest) = import.strip_prefix("wasi:") else {
        return false;
    };
    let Some((iface, version)) = rest.split_once('@') else {
        return false;
    };
    HOST_WASI_IMPORTS.contains(&iface)
        && version
            .strip_prefix("0.2.")
            .is_some_and(|patch| !patch.is_empty() && patch.chars().all(|c| c.is_ascii_digit()))
}

/// The WIT package of an interface name: `ns:pkg/iface@1.0` → `ns:pkg@1.0`; `None` for a
/// name that is not an interface (a plain function or type import).
fn package_of(name: &str) -> Option<String> {
    let (path, version) = match name.split_once('@') {
        Some((p, v)) => (p, Some(v)),
        None => (name, None),
    };
    let (package, _iface) = path.split_once('/')?;
    if !package.contains(':') {
        return None;
    }
    Some(match version {
        Some(v) => format!("{package}@{v}"),
        None => package.to_string(),
    })
}

/// Everything `plugins inspect` reports about one plugin file.
#[derive(Debug, Clone, Serialize)]
pub struct InspectReport {
    /// The file inspected, when read from a file.
    pub path: Option<PathBuf>,
    /// Plugin name from the manifest; grants are keyed by it.
    pub name: String,
    /// Plugin version from the manifest.
    pub version: String,
    /// Description from the manifest.
    pub description: String,
    /// `sha256:<hex>` of the file: what a grant's `digest` pins.
    pub digest: String,
    /// File size in bytes.
    pub size_bytes: usize,
    /// The WIT the plugin was built against, declared and observed.
    pub wit: WitReport,
    /// The tools declared in the manifest's `[[tools]]` (empty when it declares none).
    pub tools: Vec<ToolDecl>,
    /// Whether the manifest declares its tools. If not, they are only known by running
    /// `list-tools`, which `plugins list` does.
    pub tools_declared: bool,
    /// What the manifest requests.
    pub requested: Requested,
    /// The operator's grant for this plugin under the configuration.
    pub grant: GrantReport,
    /// requested ∩ granted.
    pub effective: Effective,
    /// Sensitive parts of the request (Secrets, every resource, RBAC objects, `pods/exec`,
    /// admission webhooks, API services, CRDs), each with what the configured policy still
    /// does with such a request from this plugin under its grant.
    pub sensitive: Vec<SensitiveRequest>,
    /// Things a reviewer should look at: imports the host does not provide, a WIT mismatch,
    /// a missing `tools` export, a grant pinned to another build.
    pub warnings: Vec<String>,
}

/// One sensitive thing a plugin asks for, and what the gate would do with it.
#[derive(Debug, Clone, Serialize)]
pub struct SensitiveRequest {
    /// What is asked for, e.g. `secrets`, `pods/exec`, `* (every resource)`.
    pub what: String,
    /// Why a reviewer should care.
    pub why: String,
    /// What the configured policy does with a representative request from this plugin:
    /// `refused (rule …)`, `needs a person's confirmation (rule …)`, `allowed (rule …)`.
    pub policy: String,
}

/// The sensitive resources a reviewer is shown: (group, resource, subresource, verb, why).
const SENSITIVE: &[(&str, &str, Option<&str>, crate::verb::Verb, &str)] = &[
    (
        "",
        "secrets",
        None,
        crate::verb::Verb::Get,
        "Secret contents: credentials, keys, tokens",
    ),
    (
        "",
        "pods",
        Some("exec"),
        crate::verb::Verb::Create,
        "runs commands inside containers",
    ),
    (
        "",
        "pods",
        Some("attach"),
        crate::verb::Verb::Create,
        "attaches to a container's console",
    ),
    (
        "",
        "pods",
        Some("portforward"),
        crate::verb::Verb::Create,
        "opens network paths into pods",
    ),
    (
        "rbac.authorization.k8s.io",
        "clusterrolebindings",
        None,
        crate::verb::Verb::Create,
        "RBAC objects: can grant any identity any right",
    ),
    (
        "rbac.authorization.k8s.io",
        "roles",
        None,
        crate::verb::Verb::Create,
        "RBAC objects: can grant rights in a namespace",
    ),
    (
        "admissionregistration.k8s.io",
        "mutatingwebhookconfigurations",
        None,
        crate::verb::Verb::Create,
        "admission webhooks intercept and rewrite every write",
    ),
    (
        "admissionregistration.k8s.io",
        "validatingwebhookconfigurations",
        None,
        crate::verb::Verb::Create,
        "admission webhooks can block every write",
    ),
    (
        "apiregistration.k8s.io",
        "apiservices",
        None,
        crate::verb::Verb::Create,
        "API services route whole API groups to another server",
    ),
    (
        "apiextensions.k8s.io",
        "customresourcedefinitions",
        None,
        crate::verb::Verb::Create,
        "CRDs can carry conversion webhooks",
    ),
];

/// The sensitive parts of `requested`, each with the configured policy's answer for this
/// plugin under `granted`.
pub fn sensitive_requests(
    plugin: &str,
    requested: Option<&KubeScope>,
    granted: Option<&Grant>,
    policy: &crate::policy::Policy,
) -> Vec<SensitiveRequest> {
    let Some(req) = requested else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if req.resources.iter().any(|r| r == "*") {
        out.push(SensitiveRequest {
            what: "* (every resource)".into(),
            why: "includes Secrets, RBAC objects, webhooks and every CRD".into(),
            policy: "per request: see the entries below".into(),
        });
    }
    if req.verbs.iter().any(|v| v == "*") {
        out.push(SensitiveRequest {
            what: "* (every verb)".into(),
            why: "includes delete and delete-collection".into(),
            policy: "per request".into(),
        });
    }
    for (group, resource, sub, verb, why) in SENSITIVE {
        if !req.allows_resource(group, resource, *sub) || !req.allows_verb(verb.as_str()) {
            continue;
        }
        let namespace = match *resource {
            "secrets" | "pods" | "roles" => Some("default".to_string()),
            _ => None,
        };
        let attrs = crate::policy::RequestAttributes {
            verb: *verb,
            group: group.to_string(),
            version: "v1".into(),
            resource: resource.to_string(),
            subresource: sub.map(str::to_string),
            namespace,
            name: sub.map(|_| "x".to_string()),
        };
        let decision = crate::policy::decide(&crate::policy::GateInput {
            plugin,
            requested: Some(req),
            granted,
            request: &attrs,
            tool: "",
            identity: &crate::policy::Identity::default(),
            facts: crate::policy::RequestFacts::default(),
            policy,
        });
        let answer = match decision {
            crate::policy::Decision::Allow { rule } => format!("allowed (rule {rule})"),
            crate::policy::Decision::Deny { rule, .. } => format!("refused (rule {rule})"),
            crate::policy::Decision::Confirm { rule, .. } => {
                format!("needs a person's confirmation (rule {rule})")
            }
        };
        out.push(SensitiveRequest {
            what: format!("{} {}", verb, attrs.resource_display()),
            why: why.to_string(),
            policy: answer,
        });
    }
    out
}

/// The WIT package, as declared and as read from the component's imports and exports.
#[derive(Debug, Clone, Serialize)]
pub struct WitReport {
    /// The manifest's `wit`.
    pub declared: String,
    /// The `kube-ai-proxy:plugin` package version(s) named by the component's imports and
    /// exports (normally exactly one).
    pub component: Vec<String>,
    /// The packages this host loads, oldest first (e.g. `kube-ai-proxy:plugin@0.1.0,
    /// kube-ai-proxy:plugin@0.2.0`).
    pub host: String,
    /// The contract version the component was built against (from its `tools` export),
    /// e.g. `0.2.0`; `None` when it exports no `tools` this host knows.
    pub built_against: Option<String>,
    /// The component's imports (instance names such as `wasi:cli/stdout@0.2.6`), in order.
    pub imports: Vec<String>,
    /// The component's exports, in order.
    pub exports: Vec<String>,
    /// Imports the host does not provide: the plugin would fail to load.
    pub unsupported_imports: Vec<String>,
}

/// The capabilities the manifest requests.
#[derive(Debug, Clone, Serialize)]
pub struct Requested {
    /// `[capabilities.kube]`, if requested.
    pub kube: Option<KubeScope>,
    /// Whether `[capabilities.log]` is requested.
    pub log: bool,
    /// `[capabilities.process]`, if requested.
    pub process: Option<super::manifest::ProcessRequest>,
}

/// Whether the configuration's grant applies to this build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum GrantStatus {
    /// A grant names this plugin and applies (unpinned, or pinned to this digest).
    Granted,
    /// No grant names this plugin: it gets nothing.
    None,
    /// A grant names this plugin but is pinned to another digest: it gets nothing.
    DigestMismatch,
}

/// The operator's grant as it applies to this file.
#[derive(Debug, Clone, Serialize)]
pub struct GrantReport {
    /// See [`GrantStatus`].
    pub status: GrantStatus,
    /// The grant the configuration names for this plugin, whether or not it applies.
    pub configured: Option<Grant>,
    /// The grant that applies (only when `status` is `granted`).
    pub applied: Option<Grant>,
    /// The config file read (`None`: built-in defaults only).
    pub config: Option<PathBuf>,
}

/// The effective capabilities: requested ∩ granted.
#[derive(Debug, Clone, Serialize)]
pub struct Effective {
    /// The Kubernetes scope.
    pub kube: EffectiveKube,
    /// Whether the plugin may write to the host log.
    pub log: bool,
    /// The programs it may run (`process`), when any.
    pub process: Option<EffectiveProcessReport>,
}

/// The effective `process` grant as a reviewer reads it.
#[derive(Debug, Clone, Serialize)]
pub struct EffectiveProcessReport {
    /// Program name → absolute path and pinned digest (`None`: not pinned).
    pub programs: BTreeMap<String, (PathBuf, Option<String>)>,
    /// Paths the child may read.
    pub read_dirs: Vec<PathBuf>,
    /// URL prefixes the child may be pointed at.
    pub urls: Vec<String>,
    /// Whether this is the built-in default (the bundled helm plugin, `helm` from `PATH`).
    pub default: bool,
    /// Whether Landlock confines the child on this host
    /// ([`crate::capabilities::process::spawn::landlock_status`]).
    pub landlock: String,
}

/// The effective Kubernetes scope: verbs are intersected exactly; a request must also match
/// a resource pattern and a namespace pattern of both sides.
#[derive(Debug, Clone, Default, Serialize)]
pub struct EffectiveKube {
    /// Verbs both requested and granted (WIT spelling); empty means no Kubernetes access.
    pub verbs: Vec<String>,
    /// Resource patterns the plugin requested.
    pub requested_resources: Vec<String>,
    /// Resource patterns the operator granted.
    pub granted_resources: Vec<String>,
    /// Namespace patterns the plugin requested.
    pub requested_namespaces: Vec<String>,
    /// Namespace patterns the operator granted.
    pub granted_namespaces: Vec<String>,
}

/// The grant a plugin named `name` with `digest` gets under `config`, as the loader decides
/// it: the configured grant, unless it is pinned to another digest.
pub fn grant_for(config: &Config, name: &str, digest: &str) -> GrantReport {
    let configured = config.grants.get(name).cloned();
    let status = match &configured {
        None => GrantStatus::None,
        Some(g) if g.digest.as_deref().is_some_and(|d| d != digest) => GrantStatus::DigestMismatch,
        Some(_) => GrantStatus::Granted,
    };
    GrantReport {
        status,
        applied: configured
            .clone()
            .filter(|_| status == GrantStatus::Granted),
        configured,
        config: config.source.clone(),
    }
}

/// The top-level structure of a component: its imports and exports.
struct Structure {
    imports: Vec<String>,
    exports: Vec<String>,
}

fn read_structure(bytes: &[u8]) -> Result<Structure> {
    if !bytes.starts_with(b"\0asm") {
        bail!("not a WebAssembly file (it does not start with the `\\0asm` magic number)");
    }
    let mut out = Structure {
        imports: Vec::new(),
        exports: Vec::new(),
    };
    let mut depth = 0usize;
    for payload in wasmparser::Parser::new(0).parse_all(bytes) {
        let payload = payload.context("malformed WebAssembly")?;
        match payload {
            wasmparser::Payload::Version { encoding, .. } => {
                if depth == 0 && encoding == wasmparser::Encoding::Module {
                    bail!(
                        "a core WebAssembly module, not a component: plugins are components built for wasm32-wasip2 (`cargo build --target wasm32-wasip2`, or `wasm-tools component new`)"
                    );
                }
                depth += 1;
            }
            wasmparser::Payload::End(_) => depth = depth.saturating_sub(1),
            wasmparser::Payload::ComponentImportSection(reader) if depth == 1 => {
                for import in reader {
                    out.imports.push(
                        import
                            .context("malformed import section")?
                            .name
                            .0
                            .to_string(),
                    );
                }
            }
            wasmparser::Payload::ComponentExportSection(reader) if depth == 1 => {
                for export in reader {
                    out.exports.push(
                        export
                            .context("malformed export section")?
                            .name
                            .0
                            .to_string(),
                    );
                }
            }
            _ => {}
        }
    }
    Ok(out)
}

/// Inspects a plugin from its bytes, without compiling or running it. Pure: no I/O.
///
/// Errors: the bytes are not WebAssembly, are a core module rather than a component, are
/// malformed, or carry no valid manifest. Everything else a reviewer should know (a WIT
/// mismatch, unsupported imports, a grant pinned to another digest) is a warning.
pub fn inspect(bytes: &[u8], config: &Config) -> Result<InspectReport> {
    let structure = read_structure(bytes)?;
    let text = Manifest::section_text(bytes)?;
    let manifest = Manifest::parse_any_wit(text)
        .with_context(|| format!("invalid `{MANIFEST_SECTION}` section"))?;
    let digest = digest(bytes);
    let mut warnings = Vec::new();

    let mut component: Vec<String> = structure
        .imports
        .iter()
        .chain(&structure.exports)
        .filter(|n| n.starts_with("kube-ai-proxy:"))
        .filter_map(|n| package_of(n))
        .collect();
    component.sort();
    component.dedup();
    if !WIT_PACKAGES.contains(&manifest.wit.as_str()) {
        warnings.push(format!(
            "the manifest declares {}, this host loads {}: it will refuse to load the plugin",
            manifest.wit,
            WIT_PACKAGES.join(" and ")
        ));
    } else if manifest.wit != WIT_PACKAGE {
        warnings.push(format!(
            "built against {} (older than {WIT_PACKAGE}): it loads through the host's adapter, without prompts, instructions or the process capability",
            manifest.wit
        ));
    }
    if component.iter().any(|p| *p != manifest.wit) {
        warnings.push(format!(
            "the component's imports and exports use {}, but the manifest declares {}",
            component.join(", "),
            manifest.wit
        ));
    }
    let unsupported: Vec<String> = structure
        .imports
        .iter()
        .filter(|i| !host_provides(i))
        .cloned()
        .collect();
    for i in &unsupported {
        warnings.push(format!(
            "imports {i}, which this host does not provide: the plugin will not load"
        ));
    }
    if !structure
        .exports
        .iter()
        .any(|e| TOOLS_EXPORTS.contains(&e.as_str()))
    {
        warnings.push(format!(
            "does not export {}: the plugin will not load",
            TOOLS_EXPORTS.join(" or ")
        ));
    }
    if manifest.tools.is_empty() {
        warnings.push(
            "plugin.toml declares no [[tools]]: its tools are only known by running it (`plugins list`)"
                .to_string(),
        );
    }

    let grant = grant_for(config, &manifest.name, &digest);
    match grant.status {
        GrantStatus::None => {}
        GrantStatus::Granted => {}
        GrantStatus::DigestMismatch => warnings.push(format!(
            "the grant for {:?} is pinned to {}, this file is {digest}: no grant applies",
            manifest.name,
            grant
                .configured
                .as_ref()
                .and_then(|g| g.digest.as_deref())
                .unwrap_or_default()
        )),
    }
    let requested = Requested {
        kube: manifest.capabilities.kube.clone(),
        log: manifest.capabilities.log.is_some(),
        process: manifest.capabilities.process.clone(),
    };
    let granted_kube = grant.applied.as_ref().and_then(|g| g.kube.as_ref());
    let effective = Effective {
        kube: EffectiveKube {
            verbs: match (&requested.kube, granted_kube) {
                (Some(r), Some(g)) => r.intersect_verbs(g),
                _ => Vec::new(),
            },
            requested_resources: requested
                .kube
                .as_ref()
                .map(|k| k.resources.clone())
                .unwrap_or_default(),
            granted_resources: granted_kube
                .map(|k| k.resources.clone())
                .unwrap_or_default(),
            requested_namespaces: requested
                .kube
                .as_ref()
                .map(|k| k.namespaces.clone())
                .unwrap_or_default(),
            granted_namespaces: granted_kube
                .map(|k| k.namespaces.clone())
                .unwrap_or_default(),
        },
        log: requested.log && grant.applied.as_ref().is_some_and(|g| g.log),
        process: manifest.capabilities.process.as_ref().and_then(|req| {
            let granted = grant.applied.as_ref().and_then(|g| g.process.as_ref());
            let eff = crate::capabilities::process::grant::effective(
                &manifest.name,
                req,
                granted,
                crate::capabilities::process::grant::which,
            )?;
            Some(EffectiveProcessReport {
                programs: eff
                    .programs
                    .iter()
                    .map(|(n, p)| (n.clone(), (p.path.clone(), p.digest.clone())))
                    .collect(),
                read_dirs: eff.read_dirs,
                urls: eff.urls,
                default: eff.default,
                landlock: crate::capabilities::process::spawn::landlock_status().to_string(),
            })
        }),
    };
    let sensitive = sensitive_requests(
        &manifest.name,
        manifest.capabilities.kube.as_ref(),
        grant.applied.as_ref(),
        &config.policy,
    );

    Ok(InspectReport {
        path: None,
        name: manifest.name,
        version: manifest.version,
        description: manifest.description,
        digest,
        size_bytes: bytes.len(),
        wit: WitReport {
            declared: manifest.wit,
            component,
            host: WIT_PACKAGES.join(", "),
            built_against: structure
                .exports
                .iter()
                .find(|e| TOOLS_EXPORTS.contains(&e.as_str()))
                .and_then(|e| e.rsplit_once('@'))
                .map(|(_, v)| v.to_string()),
            imports: structure.imports,
            exports: structure.exports,
            unsupported_imports: unsupported,
        },
        tools_declared: !manifest.tools.is_empty(),
        tools: manifest.tools,
        requested,
        grant,
        effective,
        sensitive,
        warnings,
    })
}

/// Reads `path` and [`inspect`]s it; errors name the file.
pub fn inspect_file(path: &Path, config: &Config) -> Result<InspectReport> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut report =
        inspect(&bytes, config).with_context(|| format!("cannot inspect {}", path.display()))?;
    report.path = Some(path.to_path_buf());
    Ok(report)
}

/// Interface names grouped by package for text output: `wasi:io/{error,poll}@0.2.6`.
fn grouped(names: &[String]) -> String {
    let mut groups: Vec<(String, String, Vec<&str>)> = Vec::new();
    let mut others = Vec::new();
    for n in names {
        let (path, version) = n.split_once('@').unwrap_or((n.as_str(), ""));
        match path.split_once('/') {
            Some((package, iface)) if package.contains(':') => {
                match groups
                    .iter_mut()
                    .find(|(p, v, _)| p == package && v == version)
                {
                    Some((_, _, ifaces)) => ifaces.push(iface),
                    None => groups.push((package.to_string(), version.to_string(), vec![iface])),
                }
            }
            _ => others.push(n.clone()),
        }
    }
    groups
        .into_iter()
        .map(|(package, version, ifaces)| {
            let at = if version.is_empty() {
                String::new()
            } else {
                format!("@{version}")
            };
            if ifaces.len() == 1 {
                format!("{package}/{}{at}", ifaces[0])
            } else {
                format!("{package}/{{{}}}{at}", ifaces.join(","))
            }
        })
        .chain(others)
        .collect::<Vec<_>>()
        .join(", ")
}

fn list(items: &[String]) -> String {
    format!("[{}]", items.join(", "))
}

fn scope_text(s: Option<&KubeScope>) -> String {
    match s {
        None => "none".into(),
        Some(s) => format!(
            "verbs={} resources={} namespaces={}{}{}",
            list(&s.verbs),
            list(&s.resources),
            list(&s.namespaces),
            if s.dry_run_only {
                " writes=dry-run-only (dryRun=All, no subresources)"
            } else {
                ""
            },
            if s.secret_keys.is_empty() {
                String::new()
            } else {
                format!(
                    " secret_keys={} (decoded by the host; no other key of a Secret crosses){}",
                    list(&s.secret_keys),
                    s.secret_label
                        .as_deref()
                        .map(|l| format!(" of Secrets labelled {l}"))
                        .unwrap_or_default()
                )
            }
        ),
    }
}

impl InspectReport {
    /// The report as text for a person, one field per line.
    pub fn to_text(&self) -> String {
        let mut o = String::new();
        let _ = writeln!(o, "{} {}", self.name, self.version);
        if let Some(p) = &self.path {
            let _ = writeln!(
                o,
                "  file:        {} ({} bytes)",
                p.display(),
                self.size_bytes
            );
        }
        if !self.description.is_empty() {
            let _ = writeln!(o, "  description: {}", self.description);
        }
        let _ = writeln!(o, "  digest:      {}", self.digest);
        let _ = writeln!(
            o,
            "  wit:         built against {}; declared {}; component uses {}; host loads {}",
            self.wit
                .built_against
                .as_deref()
                .map(|v| format!("kube-ai-proxy:plugin@{v}"))
                .unwrap_or_else(|| "no known version".into()),
            self.wit.declared,
            if self.wit.component.is_empty() {
                "no kube-ai-proxy interface".to_string()
            } else {
                self.wit.component.join(", ")
            },
            self.wit.host
        );
        let _ = writeln!(o, "  imports:     {}", grouped(&self.wit.imports));
        let _ = writeln!(o, "  exports:     {}", grouped(&self.wit.exports));
        if self.tools_declared {
            let _ = writeln!(o, "  tools:       (declared in plugin.toml)");
            for t in &self.tools {
                let mut hints = Vec::new();
                if t.read_only {
                    hints.push("read-only");
                }
                if t.destructive {
                    hints.push("destructive");
                }
                let hints = if hints.is_empty() {
                    String::new()
                } else {
                    format!(" [{}]", hints.join(", "))
                };
                let _ = writeln!(o, "    - {}{hints}: {}", t.name, t.description);
            }
        } else {
            let _ = writeln!(o, "  tools:       not declared in plugin.toml");
        }
        let _ = writeln!(
            o,
            "  requested:   kube {}; log {}{}",
            scope_text(self.requested.kube.as_ref()),
            self.requested.log,
            self.requested
                .process
                .as_ref()
                .map(|p| format!("; process programs={}", list(&p.programs)))
                .unwrap_or_default()
        );
        let config = match &self.grant.config {
            Some(p) => p.display().to_string(),
            None => "built-in defaults".to_string(),
        };
        let grant = match self.grant.status {
            GrantStatus::None => format!("none (no grant for {:?} in {config})", self.name),
            GrantStatus::DigestMismatch => format!(
                "none (the grant in {config} is pinned to {})",
                self.grant
                    .configured
                    .as_ref()
                    .and_then(|g| g.digest.as_deref())
                    .unwrap_or_default()
            ),
            GrantStatus::Granted => {
                let g = self.grant.applied.as_ref();
                format!(
                    "kube {}; log {}{} (from {config})",
                    scope_text(g.and_then(|g| g.kube.as_ref())),
                    g.is_some_and(|g| g.log),
                    if g.is_some_and(|g| g.digest.is_some()) {
                        "; pinned to this digest"
                    } else {
                        ""
                    }
                )
            }
        };
        let _ = writeln!(o, "  granted:     {grant}");
        let k = &self.effective.kube;
        if k.verbs.is_empty() {
            let _ = writeln!(o, "  effective:   kube none; log {}", self.effective.log);
        } else {
            let _ = writeln!(
                o,
                "  effective:   kube verbs {} on resources {} ∩ {}, namespaces {} ∩ {} (requested ∩ granted); log {}",
                list(&k.verbs),
                list(&k.requested_resources),
                list(&k.granted_resources),
                list(&k.requested_namespaces),
                list(&k.granted_namespaces),
                self.effective.log
            );
        }
        match &self.effective.process {
            Some(p) => {
                let programs = p
                    .programs
                    .iter()
                    .map(|(n, (path, d))| {
                        format!(
                            "{n} = {}{}",
                            path.display(),
                            d.as_deref()
                                .map(|d| format!(" ({d})"))
                                .unwrap_or_else(|| " (digest not pinned)".into())
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(", ");
                let _ = writeln!(
                    o,
                    "  process:     {programs}{}; read_dirs {}; urls {}; Landlock {}",
                    if p.default {
                        " (built-in default: helm from PATH)"
                    } else {
                        ""
                    },
                    list(
                        &p.read_dirs
                            .iter()
                            .map(|d| d.display().to_string())
                            .collect::<Vec<_>>()
                    ),
                    list(&p.urls),
                    p.landlock
                );
            }
            None if self.requested.process.is_some() => {
                let _ = writeln!(
                    o,
                    "  process:     none (no grant names a requested program)"
                );
            }
            None => {}
        }
        for sr in &self.sensitive {
            let _ = writeln!(
                o,
                "  sensitive:   {} — {}; policy: {}",
                sr.what, sr.why, sr.policy
            );
        }
        for w in &self.warnings {
            let _ = writeln!(o, "  warning:     {w}");
        }
        o
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Overrides;
    use crate::plugins::manifest::KUBE_VERBS;

    fn kubectl_wasm() -> Vec<u8> {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../target/plugins/kubectl.wasm"
        );
        std::fs::read(path)
            .unwrap_or_else(|e| panic!("{path}: {e}: build the plugins first (`make plugins`)"))
    }

    fn config() -> Config {
        Config::load(&Overrides {
            no_default_plugins: true,
            ..Overrides::default()
        })
        .unwrap()
    }

    /// A custom section: id 0, size, name, data.
    fn custom_section(name: &str, data: &[u8]) -> Vec<u8> {
        fn leb(mut n: usize, out: &mut Vec<u8>) {
            loop {
                let b = (n & 0x7f) as u8;
                n >>= 7;
                if n == 0 {
                    out.push(b);
                    break;
                }
                out.push(b | 0x80);
            }
        }
        let mut body = Vec::new();
        leb(name.len(), &mut body);
        body.extend_from_slice(name.as_bytes());
        body.extend_from_slice(data);
        let mut out = vec![0];
        leb(body.len(), &mut out);
        out.extend(body);
        out
    }

    const CORE_HEADER: &[u8] = b"\0asm\x01\0\0\0";
    const COMPONENT_HEADER: &[u8] = b"\0asm\x0d\0\x01\0";
    const MANIFEST: &str =
        "name = \"bare\"\nversion = \"1\"\nwit = \"kube-ai-proxy:plugin@0.1.0\"\n";

    #[test]
    fn the_real_kubectl_plugin() {
        let bytes = kubectl_wasm();
        let r = inspect(&bytes, &config()).unwrap();
        assert_eq!(r.name, "kubectl");
        assert_eq!(r.digest, digest(&bytes));
        assert_eq!(r.wit.declared, WIT_PACKAGE);
        assert_eq!(r.wit.component, vec![WIT_PACKAGE.to_string()]);
        assert!(
            r.wit
                .imports
                .iter()
                .any(|i| i == "kube-ai-proxy:plugin/kube@0.2.0")
        );
        assert!(r.wit.imports.iter().any(|i| i.starts_with("wasi:")));
        assert!(
            r.wit.exports.contains(&REQUIRED_EXPORT.to_string()),
            "{:?}",
            r.wit.exports
        );
        assert_eq!(r.wit.built_against.as_deref(), Some("0.2.0"));
        assert!(r.wit.unsupported_imports.is_empty(), "{:?}", r.wit);
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
        let tools: Vec<&str> = r.tools.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(
            tools,
            ["execute_kubectl", "describe_kubectl", "k8s_troubleshoot"]
        );
        assert!(r.tools[1].read_only && r.tools[0].destructive && r.tools[2].read_only);
        assert_eq!(r.grant.status, GrantStatus::Granted);
        assert_eq!(r.effective.kube.verbs, KUBE_VERBS);
        assert!(r.effective.log);
        let text = r.to_text();
        assert!(
            text.contains(&r.digest) && text.contains("execute_kubectl"),
            "{text}"
        );
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["grant"]["status"], "granted");
        assert_eq!(json["effective"]["kube"]["verbs"][6], "delete-collection");
        // `resources = ["*"]` is flagged, and so is each sensitive resource it covers, with
        // what the default policy still does with it.
        let what: Vec<&str> = r.sensitive.iter().map(|s| s.what.as_str()).collect();
        assert!(what.contains(&"* (every resource)"), "{what:?}");
        let secrets = r
            .sensitive
            .iter()
            .find(|s| s.what == "get secrets")
            .unwrap();
        assert_eq!(secrets.policy, "refused (rule default.secret-contents)");
        let rbac = r
            .sensitive
            .iter()
            .find(|s| s.what == "create clusterrolebindings.rbac.authorization.k8s.io")
            .unwrap();
        assert!(
            rbac.policy.starts_with("needs a person's confirmation"),
            "{rbac:?}"
        );
        assert!(text.contains("sensitive:   get secrets"), "{text}");
    }

    #[test]
    fn grants_are_intersected_and_digest_pinned() {
        let bytes = kubectl_wasm();
        let mut cfg = config();
        let scope = KubeScope {
            verbs: vec!["get".into(), "escalate-never".into()],
            resources: vec!["pods".into()],
            namespaces: vec!["team-a".into()],
            dry_run_only: false,
            secret_keys: Vec::new(),
            secret_label: None,
        };
        let grant = Grant {
            digest: Some(digest(&bytes)),
            kube: Some(scope),
            log: false,
            process: None,
        };
        cfg.grants.insert("kubectl".into(), grant.clone());
        let r = inspect(&bytes, &cfg).unwrap();
        assert_eq!(r.grant.status, GrantStatus::Granted);
        assert_eq!(r.effective.kube.verbs, ["get"]);
        assert_eq!(r.effective.kube.requested_resources, ["*"]);
        assert_eq!(r.effective.kube.granted_resources, ["pods"]);
        assert_eq!(r.effective.kube.granted_namespaces, ["team-a"]);
        assert!(!r.effective.log);

        let other = format!("sha256:{}", "0".repeat(64));
        cfg.grants.insert(
            "kubectl".into(),
            Grant {
                digest: Some(other.clone()),
                ..grant
            },
        );
        let r = inspect(&bytes, &cfg).unwrap();
        assert_eq!(r.grant.status, GrantStatus::DigestMismatch);
        assert!(r.grant.applied.is_none());
        assert!(r.effective.kube.verbs.is_empty());
        assert!(
            r.warnings.iter().any(|w| w.contains(&other)),
            "{:?}",
            r.warnings
        );

        cfg.grants.remove("kubectl");
        let r = inspect(&bytes, &cfg).unwrap();
        assert_eq!(r.grant.status, GrantStatus::None);
        assert!(r.effective.kube.verbs.is_empty() && !r.effective.log);
    }

    #[test]
    fn bad_input_is_a_clear_error() {
        let cfg = config();
        let err = |b: &[u8]| format!("{:#}", inspect(b, &cfg).unwrap_err());
        assert!(err(b"name = \"x\"\n").contains("not a WebAssembly file"));
        assert!(err(b"").contains("not a WebAssembly file"));
        let mut core = CORE_HEADER.to_vec();
        core.extend(custom_section(MANIFEST_SECTION, MANIFEST.as_bytes()));
        assert!(err(&core).contains("core WebAssembly module, not a component"));
        assert!(err(COMPONENT_HEADER).contains("no `kube-ai-proxy:manifest` custom section"));
        let mut bad_manifest = COMPONENT_HEADER.to_vec();
        bad_manifest.extend(custom_section(MANIFEST_SECTION, b"name = 3"));
        assert!(err(&bad_manifest).contains("invalid plugin.toml"));
        // Truncated: the real file cut in the middle.
        let bytes = kubectl_wasm();
        assert!(err(&bytes[..bytes.len() / 2]).contains("malformed"));
    }

    #[test]
    fn an_empty_component_is_reported_with_warnings() {
        let mut bytes = COMPONENT_HEADER.to_vec();
        let manifest = MANIFEST.replace("0.1.0", "0.9.0");
        bytes.extend(custom_section(MANIFEST_SECTION, manifest.as_bytes()));
        let r = inspect(&bytes, &config()).unwrap();
        assert_eq!(r.name, "bare");
        assert_eq!(r.wit.declared, "kube-ai-proxy:plugin@0.9.0");
        assert_eq!(r.wit.built_against, None);
        assert!(r.wit.imports.is_empty() && r.wit.exports.is_empty());
        assert_eq!(r.grant.status, GrantStatus::None);
        assert!(!r.tools_declared);
        let w = r.warnings.join("\n");
        assert!(
            w.contains("this host loads kube-ai-proxy:plugin@0.1.0 and kube-ai-proxy:plugin@0.2.0"),
            "{w}"
        );
        assert!(
            w.contains("does not export kube-ai-proxy:plugin/tools@0.1.0 or kube-ai-proxy:plugin/tools@0.2.0"),
            "{w}"
        );
        assert!(w.contains("declares no [[tools]]"), "{w}");
    }

    #[test]
    fn host_imports() {
        assert!(host_provides("kube-ai-proxy:plugin/kube@0.1.0"));
        assert!(host_provides("kube-ai-proxy:plugin/types@0.1.0"));
        assert!(host_provides("kube-ai-proxy:plugin/kube@0.2.0"));
        assert!(host_provides("kube-ai-proxy:plugin/process@0.2.0"));
        assert!(!host_provides("kube-ai-proxy:plugin/kube@0.3.0"));
        assert!(!host_provides("kube-ai-proxy:plugin/tools@0.1.0"));
        assert!(host_provides("wasi:cli/stdout@0.2.0"));
        assert!(host_provides("wasi:io/streams@0.2.6"));
        assert!(!host_provides("wasi:http/types@0.2.0"));
        assert!(!host_provides("wasi:cli/stdout@0.3.0"));
        assert!(!host_provides("wasi:clocks/timezone@0.2.0"));
        assert!(!host_provides("env"));
        assert_eq!(
            package_of("wasi:cli/stdout@0.2.6").as_deref(),
            Some("wasi:cli@0.2.6")
        );
        assert_eq!(package_of("run"), None);
        let names = [
            "wasi:io/poll@0.2.6",
            "kube-ai-proxy:plugin/kube@0.1.0",
            "wasi:io/error@0.2.6",
            "run",
        ]
        .map(String::from);
        assert_eq!(
            grouped(&names),
            "wasi:io/{poll,error}@0.2.6, kube-ai-proxy:plugin/kube@0.1.0, run"
        );
    }
}
