//! The `process` capability's manifest and grant types: what a plugin asks to run
//! (`[capabilities.process]`), what the operator grants it (`[grants.<plugin>.process]`), and
//! the effective grant, their intersection. A leaf module: the manifest parser depends on it,
//! and it depends on nothing of the host but the generated WIT record it converts to
//! ([`EffectiveProcess::to_wit`]).

use std::collections::BTreeMap;
use std::path::PathBuf;

use regex::Regex;
use serde::{Deserialize, Serialize};

/// `[capabilities.process]` of a manifest.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ProcessRequest {
    /// Program names, e.g. `["helm"]`.
    #[serde(default)]
    pub programs: Vec<String>,
}

/// The operator's `process` grant for one plugin, `[grants.<plugin>.process]` in the config:
///
/// ```toml
/// [grants.helm.process]
/// programs = { helm = { path = "/usr/local/bin/helm", digest = "sha256:…" } }  # digest optional
/// read_dirs = ["/srv/charts"]          # directories or .tgz files the child may read
/// urls = ["http://127.0.0.1:8879/"]    # URL prefixes: chart repositories, OCI registries
/// args = ["^(list|status|template)$"]  # optional: the first argument must match one
/// ```
///
/// An empty `programs` table denies the capability (it also replaces the built-in default of
/// the bundled `helm` plugin). Check it with [`ProcessGrant::validate`] before use.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ProcessGrant {
    /// Program name (as a plugin asks for it, e.g. `helm`) → where it is and what it hashes to.
    #[serde(default)]
    pub programs: BTreeMap<String, ProgramGrant>,
    /// Absolute paths of directories (or single files such as a chart `.tgz`) the program may
    /// read, e.g. chart folders. Paths in the argument vector must lie under one of them.
    #[serde(default)]
    pub read_dirs: Vec<PathBuf>,
    /// URL prefixes the program may be pointed at (`http`, `https`, `oci`), e.g.
    /// `http://127.0.0.1:8879/`. URLs in the argument vector must start with one of them.
    #[serde(default)]
    pub urls: Vec<String>,
    /// Optional regular expressions (Rust `regex` syntax, anchored to the whole argument):
    /// when set, the first argument must match one of them, in the style of Zed's
    /// `process:exec` capability. Absent: any first argument.
    #[serde(default)]
    pub args: Option<Vec<String>>,
}

/// One granted program: `{ path = "/abs/path", digest = "sha256:<64 hex>" }`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ProgramGrant {
    /// Absolute path of the executable. No shell and no `PATH` search: this file is run.
    pub path: PathBuf,
    /// `sha256:<64 hex digits>` of the file, checked before each run; absent: not pinned.
    #[serde(default)]
    pub digest: Option<String>,
}

/// Longest regular expression accepted in `args`, in bytes.
const MAX_PATTERN_LEN: usize = 4096;

impl ProcessGrant {
    /// Checks the grant as written: program names are plain names (no `/`, not empty); every
    /// `path` and `read_dirs` entry is absolute; every `digest` is `sha256:<64 hex>`; every
    /// `urls` entry is an absolute `http`, `https` or `oci` URL (never `file`); every `args`
    /// pattern compiles. Errors name the offending entry, e.g.
    /// `process grant: programs.helm.path "helm" is not an absolute path`.
    pub fn validate(&self) -> Result<(), String> {
        for (name, prog) in &self.programs {
            if name.is_empty() || name.contains('/') || name.contains('\0') {
                return Err(format!(
                    "process grant: program name {name:?} must be a plain name such as \"helm\""
                ));
            }
            if !prog.path.is_absolute() {
                return Err(format!(
                    "process grant: programs.{name}.path {:?} is not an absolute path",
                    prog.path
                ));
            }
            if let Some(d) = &prog.digest {
                check_digest(d)
                    .map_err(|e| format!("process grant: programs.{name}.digest {d:?}: {e}"))?;
            }
        }
        for d in &self.read_dirs {
            if !d.is_absolute() {
                return Err(format!(
                    "process grant: read_dirs entry {d:?} is not an absolute path"
                ));
            }
        }
        for u in &self.urls {
            check_url_prefix(u).map_err(|e| format!("process grant: urls entry {u:?}: {e}"))?;
        }
        compile_patterns(self.args.as_deref().unwrap_or_default())?;
        Ok(())
    }
}

/// Checks `sha256:<64 hex digits>` (either case).
fn check_digest(d: &str) -> Result<(), String> {
    let hex = d
        .strip_prefix("sha256:")
        .ok_or_else(|| "must start with \"sha256:\"".to_string())?;
    if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err("must be \"sha256:\" and 64 hex digits".into());
    }
    Ok(())
}

/// Checks a granted URL prefix: parses, scheme `http`, `https` or `oci`, has a host.
fn check_url_prefix(u: &str) -> Result<(), String> {
    let url = url::Url::parse(u).map_err(|e| format!("not a URL ({e})"))?;
    match url.scheme() {
        "http" | "https" | "oci" => {}
        s => return Err(format!("scheme {s:?} is not allowed (http, https, oci)")),
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err("has no host".into());
    }
    Ok(())
}

/// Compiles the `args` patterns, each anchored to the whole argument.
fn compile_patterns(patterns: &[String]) -> Result<Vec<Regex>, String> {
    patterns
        .iter()
        .map(|p| {
            if p.len() > MAX_PATTERN_LEN {
                return Err(format!(
                    "process grant: args pattern longer than {MAX_PATTERN_LEN} bytes"
                ));
            }
            Regex::new(&format!("^(?:{p})$"))
                .map_err(|e| format!("process grant: args pattern {p:?} does not compile: {e}"))
        })
        .collect()
}

/// What a plugin may run: the manifest's request ∩ the operator's grant (or the built-in
/// default, see [`effective`]). The process capability enforces exactly this.
#[derive(Debug, Clone)]
pub struct EffectiveProcess {
    /// Program name → where it is and its pinned digest; never empty.
    pub programs: BTreeMap<String, ProgramGrant>,
    /// Absolute paths the child may read (directories or files).
    pub read_dirs: Vec<PathBuf>,
    /// URL prefixes the child may be pointed at.
    pub urls: Vec<String>,
    /// Compiled `args` patterns, each anchored; empty: any first argument.
    pub args: Vec<Regex>,
    /// Whether this is the built-in default (the bundled `helm` plugin, `helm` from `PATH`)
    /// rather than an operator's grant; `plugins inspect` says so.
    pub default: bool,
}

impl EffectiveProcess {
    /// The grant as the WIT `process-grant` record the plugin sees in its call context:
    /// program names, `read_dirs` and `urls` as strings (paths lossily as UTF-8).
    pub fn to_wit(&self) -> crate::wit::types::ProcessGrant {
        crate::wit::types::ProcessGrant {
            programs: self.programs.keys().cloned().collect(),
            read_dirs: self
                .read_dirs
                .iter()
                .map(|p| p.to_string_lossy().into_owned())
                .collect(),
            urls: self.urls.clone(),
        }
    }
}

/// The plugin that gets the built-in default grant, and the program it gets.
pub const DEFAULT_PLUGIN: &str = "helm";

/// The effective `process` grant of plugin `plugin`, which requests `requested`:
/// - with an operator's grant (`granted`): the requested programs that the grant names, with
///   the grant's `read_dirs`, `urls` and `args`; `None` when none is left. An invalid grant
///   (see [`ProcessGrant::validate`]) gives `None` too, fail closed.
/// - without one: the bundled `helm` plugin asking for `helm` gets `helm` found by
///   `path_lookup` (e.g. [`which`]; an absolute path or `None`), no `read_dirs`, no `urls`,
///   no `args` patterns; every other plugin gets `None`.
pub fn effective(
    plugin: &str,
    requested: &ProcessRequest,
    granted: Option<&ProcessGrant>,
    path_lookup: impl Fn(&str) -> Option<PathBuf>,
) -> Option<EffectiveProcess> {
    match granted {
        Some(g) => {
            if g.validate().is_err() {
                return None;
            }
            let programs: BTreeMap<String, ProgramGrant> = requested
                .programs
                .iter()
                .filter_map(|p| g.programs.get(p).map(|pg| (p.clone(), pg.clone())))
                .collect();
            if programs.is_empty() {
                return None;
            }
            Some(EffectiveProcess {
                programs,
                read_dirs: g.read_dirs.clone(),
                urls: g.urls.clone(),
                args: compile_patterns(g.args.as_deref().unwrap_or_default()).ok()?,
                default: false,
            })
        }
        None => {
            if plugin != DEFAULT_PLUGIN || !requested.programs.iter().any(|p| p == DEFAULT_PLUGIN) {
                return None;
            }
            let path = path_lookup(DEFAULT_PLUGIN).filter(|p| p.is_absolute())?;
            Some(EffectiveProcess {
                programs: BTreeMap::from([(
                    DEFAULT_PLUGIN.to_string(),
                    ProgramGrant { path, digest: None },
                )]),
                read_dirs: Vec::new(),
                urls: Vec::new(),
                args: Vec::new(),
                default: true,
            })
        }
    }
}

/// Finds executable `name` in the host's `PATH` the way a shell would, but only in absolute
/// `PATH` entries (a relative entry would depend on the host's working directory): the first
/// `<dir>/<name>` that is a regular file with an execute bit. `None` when `name` is not a
/// plain name or nothing is found.
pub fn which(name: &str) -> Option<PathBuf> {
    which_in(name, &std::env::var_os("PATH")?)
}

/// [`which`] over an explicit `PATH` value.
fn which_in(name: &str, path: &std::ffi::OsStr) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt as _;
    if name.is_empty() || name.contains('/') {
        return None;
    }
    std::env::split_paths(path)
        .filter(|d| d.is_absolute())
        .map(|d| d.join(name))
        .find(|p| {
            std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    const HEX: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[derive(Deserialize)]
    struct Doc {
        grants: BTreeMap<String, Grants>,
    }
    #[derive(Deserialize)]
    struct Grants {
        process: ProcessGrant,
    }

    fn parse(toml_text: &str) -> Result<ProcessGrant, String> {
        let d: Doc = toml::from_str(toml_text).map_err(|e| e.to_string())?;
        Ok(d.grants.into_values().next().unwrap().process)
    }

    #[test]
    fn parses_the_documented_shape() {
        let g = parse(&format!(
            r#"
[grants.helm.process]
programs = {{ helm = {{ path = "/abs/path/helm", digest = "sha256:{HEX}" }} }}
read_dirs = ["/abs/charts"]
urls = ["http://127.0.0.1:8879/"]
args = ["^(list|status|history|get|show|template|lint|install|upgrade|rollback|uninstall|version|dependency|search|env)$"]
"#
        ))
        .unwrap();
        assert_eq!(g.programs["helm"].path, Path::new("/abs/path/helm"));
        assert_eq!(
            g.programs["helm"].digest.as_deref(),
            Some(format!("sha256:{HEX}").as_str())
        );
        assert_eq!(g.read_dirs, vec![PathBuf::from("/abs/charts")]);
        assert_eq!(g.urls, vec!["http://127.0.0.1:8879/".to_string()]);
        g.validate().unwrap();
        // Digest optional, args optional.
        let g = parse("[grants.helm.process]\nprograms = { helm = { path = \"/bin/helm\" } }\n")
            .unwrap();
        assert!(g.programs["helm"].digest.is_none() && g.args.is_none());
        g.validate().unwrap();
    }

    #[test]
    fn unknown_fields_are_refused() {
        assert!(parse("[grants.helm.process]\nprogram = {}\n").is_err());
        assert!(
            parse("[grants.helm.process]\nprograms = { helm = { path = \"/h\", sha = \"x\" } }\n")
                .is_err()
        );
    }

    #[test]
    fn validate_names_the_bad_entry() {
        let bad = |t: &str| parse(t).unwrap().validate().unwrap_err();
        let e = bad("[grants.helm.process]\nprograms = { helm = { path = \"helm\" } }\n");
        assert!(
            e.contains("programs.helm.path") && e.contains("absolute"),
            "{e}"
        );
        let e = bad(
            "[grants.helm.process]\nprograms = { helm = { path = \"/h\", digest = \"md5:00\" } }\n",
        );
        assert!(e.contains("programs.helm.digest"), "{e}");
        let e = bad(
            "[grants.helm.process]\nprograms = { helm = { path = \"/h\", digest = \"sha256:abc\" } }\n",
        );
        assert!(e.contains("64 hex"), "{e}");
        let e = bad("[grants.helm.process]\nread_dirs = [\"charts\"]\n");
        assert!(e.contains("read_dirs") && e.contains("\"charts\""), "{e}");
        let e = bad("[grants.helm.process]\nurls = [\"file:///etc/\"]\n");
        assert!(e.contains("urls") && e.contains("file"), "{e}");
        let e = bad("[grants.helm.process]\nurls = [\"127.0.0.1:8879\"]\n");
        assert!(e.contains("urls"), "{e}");
        let e = bad("[grants.helm.process]\nargs = [\"(\"]\n");
        assert!(e.contains("args pattern"), "{e}");
        let e = bad("[grants.helm.process]\nprograms = { \"a/b\" = { path = \"/h\" } }\n");
        assert!(e.contains("plain name"), "{e}");
    }

    fn req(p: &[&str]) -> ProcessRequest {
        ProcessRequest {
            programs: p.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn effective_is_the_intersection() {
        let g = ProcessGrant {
            programs: BTreeMap::from([
                (
                    "helm".to_string(),
                    ProgramGrant {
                        path: "/opt/helm".into(),
                        digest: None,
                    },
                ),
                (
                    "kustomize".to_string(),
                    ProgramGrant {
                        path: "/opt/kustomize".into(),
                        digest: None,
                    },
                ),
            ]),
            read_dirs: vec!["/charts".into()],
            urls: vec!["http://127.0.0.1:8879/".into()],
            args: Some(vec!["list|status".into()]),
        };
        let never = |_: &str| -> Option<PathBuf> { panic!("no PATH lookup with a grant") };
        let e = effective("helm", &req(&["helm", "git"]), Some(&g), never).unwrap();
        assert_eq!(e.programs.keys().collect::<Vec<_>>(), ["helm"]);
        assert!(!e.default);
        assert!(e.args[0].is_match("list") && !e.args[0].is_match("listx"));
        let w = e.to_wit();
        assert_eq!(w.programs, ["helm"]);
        assert_eq!(w.read_dirs, ["/charts"]);
        assert_eq!(w.urls, ["http://127.0.0.1:8879/"]);
        // Nothing in common, nothing requested, an empty grant: no capability.
        assert!(effective("helm", &req(&["git"]), Some(&g), never).is_none());
        assert!(effective("helm", &req(&[]), Some(&g), never).is_none());
        let empty = ProcessGrant::default();
        assert!(effective("helm", &req(&["helm"]), Some(&empty), never).is_none());
        // An invalid grant fails closed.
        let mut bad = g.clone();
        bad.read_dirs = vec!["charts".into()];
        assert!(effective("helm", &req(&["helm"]), Some(&bad), never).is_none());
    }

    #[test]
    fn default_is_helm_from_path_for_the_helm_plugin_only() {
        let found = |n: &str| Some(PathBuf::from(format!("/usr/local/bin/{n}")));
        let e = effective("helm", &req(&["helm"]), None, found).unwrap();
        assert!(e.default);
        assert_eq!(e.programs["helm"].path, Path::new("/usr/local/bin/helm"));
        assert!(e.read_dirs.is_empty() && e.urls.is_empty() && e.args.is_empty());
        assert!(effective("other", &req(&["helm"]), None, found).is_none());
        assert!(effective("helm", &req(&["kubectl"]), None, found).is_none());
        assert!(effective("helm", &req(&["helm"]), None, |_: &str| None).is_none());
        // A relative lookup result is not trusted.
        assert!(effective("helm", &req(&["helm"]), None, |_: &str| Some("helm".into())).is_none());
    }

    #[test]
    fn which_searches_absolute_path_entries() {
        let sh = which_in(
            "sh",
            std::ffi::OsStr::new("relative:/nonexistent:/bin:/usr/bin"),
        );
        let sh = sh.expect("sh in /bin or /usr/bin");
        assert!(sh.is_absolute() && sh.ends_with("sh"), "{sh:?}");
        assert!(which_in("sh", std::ffi::OsStr::new("bin:usr/bin")).is_none());
        assert!(which_in("../bin/sh", std::ffi::OsStr::new("/bin")).is_none());
        assert!(which_in("no-such-program-kap", std::ffi::OsStr::new("/bin")).is_none());
        // Not executable: skipped.
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("helm"), "x").unwrap();
        assert!(which_in("helm", dir.path().as_os_str()).is_none());
    }
}
