//! helm 4's grammar as this plugin runs it: the subcommands, their flags (as `helm CMD --help`
//! of helm v4.3 defines them), and what is refused, parsed with the SDK's cobra/pflag parser
//! ([`kap_sdk::cli`]). The argument vector helm receives is rebuilt from the parsed form
//! ([`Command::argv`]), so a flag this table does not know never reaches helm.

use kap_sdk::cli::{Arity, Cli, FlagSpec, Parsed, flag};

use Arity::{Bool, Optional, Value};

/// Subcommands that render a chart with values.
const RENDERS: &[&str] = &["install", "upgrade", "template", "lint"];
/// Subcommands that change a release.
const WRITES: &[&str] = &["install", "upgrade", "rollback", "uninstall"];

/// Every flag this plugin passes to helm.
pub static FLAGS: &[FlagSpec] = &[
    flag(
        "namespace",
        Some('n'),
        Value,
        &[],
        "namespace scope for this request",
    ),
    flag(
        "output",
        Some('o'),
        Value,
        &["list", "status", "history", "get", "search"],
        "output format: table, json or yaml (get: values and metadata only)",
    ),
    // client-side throttling (global flags)
    flag(
        "burst-limit",
        None,
        Value,
        &[],
        "client-side default throttling limit",
    ),
    flag(
        "qps",
        None,
        Value,
        &[],
        "queries per second used when communicating with the Kubernetes API",
    ),
    // list
    flag(
        "all-namespaces",
        Some('A'),
        Bool,
        &["list"],
        "list releases across all namespaces",
    ),
    flag(
        "all",
        Some('a'),
        Bool,
        &["get"],
        "get values only: dump all (computed) values",
    ),
    flag(
        "filter",
        Some('f'),
        Value,
        &["list"],
        "a regular expression (Perl compatible) applied to release names",
    ),
    flag(
        "selector",
        Some('l'),
        Value,
        &["list"],
        "label selector on release labels",
    ),
    flag("deployed", None, Bool, &["list"], "show deployed releases"),
    flag("failed", None, Bool, &["list"], "show failed releases"),
    flag("pending", None, Bool, &["list"], "show pending releases"),
    flag(
        "superseded",
        None,
        Bool,
        &["list"],
        "show superseded releases",
    ),
    flag(
        "uninstalled",
        None,
        Bool,
        &["list"],
        "show uninstalled releases (with --keep-history)",
    ),
    flag(
        "uninstalling",
        None,
        Bool,
        &["list"],
        "show releases being uninstalled",
    ),
    flag(
        "max",
        Some('m'),
        Value,
        &["list", "history"],
        "maximum number of releases (list) or revisions (history)",
    ),
    flag(
        "offset",
        None,
        Value,
        &["list"],
        "next release index in the list",
    ),
    flag(
        "short",
        Some('q'),
        Bool,
        &["list", "version"],
        "output short (quiet) listing format",
    ),
    flag("date", Some('d'), Bool, &["list"], "sort by release date"),
    flag(
        "reverse",
        Some('r'),
        Bool,
        &["list"],
        "reverse the sort order",
    ),
    flag("no-headers", None, Bool, &["list"], "don't print headers"),
    flag(
        "time-format",
        None,
        Value,
        &["list"],
        "format time using golang time formatter",
    ),
    // status, get, history, rollback
    flag(
        "revision",
        None,
        Value,
        &["status", "get"],
        "the release revision",
    ),
    // show
    flag(
        "devel",
        None,
        Bool,
        &["show", "install", "upgrade", "template"],
        "use development versions too",
    ),
    flag(
        "jsonpath",
        None,
        Value,
        &["show"],
        "a JSONPath expression to filter the output (show values only)",
    ),
    // charts from repositories
    flag(
        "version",
        None,
        Value,
        &["show", "install", "upgrade", "template"],
        "chart version constraint",
    ),
    flag(
        "repo",
        None,
        Value,
        &["show", "install", "upgrade", "template"],
        "chart repository URL (must be under the grant's urls)",
    ),
    // values
    flag(
        "set",
        None,
        Value,
        RENDERS,
        "set values (key1=val1,key2=val2); passed to helm literally",
    ),
    flag(
        "set-string",
        None,
        Value,
        RENDERS,
        "set STRING values; passed to helm literally",
    ),
    flag("set-json", None, Value, RENDERS, "set JSON values"),
    flag(
        "set-literal",
        None,
        Value,
        RENDERS,
        "set a literal STRING value",
    ),
    flag(
        "values",
        Some('f'),
        Value,
        &["install", "upgrade", "template", "lint"],
        "refused: pass values in the `values` argument",
    ),
    // rendering and installing
    flag(
        "create-namespace",
        None,
        Bool,
        &["install", "upgrade"],
        "create the release namespace if not present",
    ),
    flag(
        "install",
        Some('i'),
        Bool,
        &["upgrade"],
        "install when no release by this name exists",
    ),
    flag(
        "dry-run",
        None,
        Optional("client"),
        &["install", "upgrade", "rollback", "uninstall"],
        "simulate: client, server or none",
    ),
    flag(
        "description",
        None,
        Value,
        &["install", "upgrade", "rollback", "uninstall"],
        "a custom description",
    ),
    flag(
        "wait",
        None,
        Optional("legacy"),
        WRITES,
        "wait until resources are ready: only `legacy` (polling; the proxy serves no watches)",
    ),
    flag(
        "wait-for-jobs",
        None,
        Bool,
        &["install", "upgrade", "rollback"],
        "with --wait, wait for Jobs to complete",
    ),
    flag(
        "timeout",
        None,
        Value,
        WRITES,
        "time to wait for any individual Kubernetes operation (e.g. 2m)",
    ),
    flag(
        "rollback-on-failure",
        None,
        Bool,
        &["install", "upgrade"],
        "roll back (uninstall) on failure; implies --wait=legacy here",
    ),
    flag(
        "atomic",
        None,
        Bool,
        &["install", "upgrade"],
        "helm 3's name of --rollback-on-failure",
    ),
    flag(
        "no-hooks",
        None,
        Bool,
        &["install", "upgrade", "rollback", "uninstall", "template"],
        "prevent hooks from running",
    ),
    flag(
        "reset-values",
        None,
        Bool,
        &["upgrade"],
        "reset the values to the ones built into the chart",
    ),
    flag(
        "reuse-values",
        None,
        Bool,
        &["upgrade"],
        "reuse the last release's values and merge in overrides",
    ),
    flag(
        "reset-then-reuse-values",
        None,
        Bool,
        &["upgrade"],
        "reset to the chart's values, then apply the last release's values and overrides",
    ),
    flag(
        "history-max",
        None,
        Value,
        &["upgrade", "rollback"],
        "limit the maximum number of revisions saved per release",
    ),
    flag(
        "cleanup-on-fail",
        None,
        Bool,
        &["upgrade", "rollback"],
        "delete new resources created in this upgrade when it fails",
    ),
    flag(
        "skip-crds",
        None,
        Bool,
        &["install", "upgrade", "template"],
        "do not install CRDs",
    ),
    flag(
        "include-crds",
        None,
        Bool,
        &["template"],
        "include CRDs in the templated output",
    ),
    flag(
        "skip-schema-validation",
        None,
        Bool,
        &["install", "upgrade", "template", "lint"],
        "disable JSON schema validation",
    ),
    flag(
        "server-side",
        None,
        Value,
        &["install", "upgrade", "rollback"],
        "server-side apply: true, false or auto",
    ),
    flag(
        "force-conflicts",
        None,
        Bool,
        &["install", "upgrade", "rollback"],
        "server-side apply: force changes against conflicts",
    ),
    flag(
        "hide-notes",
        None,
        Bool,
        &["install", "upgrade"],
        "do not show notes in the output",
    ),
    flag(
        "labels",
        Some('l'),
        Value,
        &["install", "upgrade"],
        "labels added to release metadata",
    ),
    flag(
        "show-only",
        Some('s'),
        Value,
        &["template"],
        "only show manifests rendered from the given templates",
    ),
    flag(
        "kube-version",
        None,
        Value,
        &["template", "lint"],
        "Kubernetes version used for Capabilities.KubeVersion",
    ),
    flag(
        "api-versions",
        Some('a'),
        Value,
        &["template"],
        "Kubernetes API versions used for Capabilities.APIVersions",
    ),
    flag(
        "is-upgrade",
        None,
        Bool,
        &["template"],
        "set .Release.IsUpgrade instead of .Release.IsInstall",
    ),
    flag("strict", None, Bool, &["lint"], "fail on lint warnings"),
    flag(
        "quiet",
        None,
        Bool,
        &["lint"],
        "print only warnings and errors",
    ),
    flag(
        "keep-history",
        None,
        Bool,
        &["uninstall"],
        "remove the resources but keep the release history",
    ),
    flag(
        "cascade",
        None,
        Value,
        &["uninstall"],
        "background, orphan or foreground",
    ),
    flag(
        "ignore-not-found",
        None,
        Bool,
        &["uninstall"],
        "treat a missing release as a successful uninstall",
    ),
    flag(
        "max-col-width",
        None,
        Value,
        &["search"],
        "maximum column width for output table",
    ),
];

/// Flags refused wherever they appear (every spelling: `=` or space, `_` for `-`).
pub static FORBIDDEN: &[&str] = &[
    // the server, credentials and identity
    "kube-apiserver",
    "kube-token",
    "kubeconfig",
    "kube-context",
    "kube-as-user",
    "kube-as-group",
    "kube-ca-file",
    "kube-insecure-skip-tls-verify",
    "kube-tls-server-name",
    "registry-config",
    "repository-config",
    "repository-cache",
    "content-cache",
    "username",
    "password",
    "password-stdin",
    "pass-credentials",
    "ca-file",
    "cert-file",
    "key-file",
    "insecure-skip-tls-verify",
    "plain-http",
    "keyring",
    "verify",
    // other programs
    "post-renderer",
    "post-renderer-args",
    // files of the server
    "set-file",
    // dependency downloads into the chart directory
    "dependency-update",
    // adopting objects helm does not own
    "take-ownership",
];

/// The grammar.
pub static CLI: Cli = Cli {
    program: "helm",
    flags: FLAGS,
    forbidden_long: FORBIDDEN,
    forbidden_short: &[],
    forbidden_reason: "the cluster, credentials and identity are fixed by the operator, helm runs no other program, and it reads no file of the server outside the granted chart directories",
};

/// One helm subcommand this plugin runs.
pub struct Sub {
    /// The name (`list`), as the normalized command spells it.
    pub name: &'static str,
    /// Its aliases (`ls`).
    pub aliases: &'static [&'static str],
    /// The words after it that name a mode (`get values`), if it has modes.
    pub modes: &'static [&'static str],
    /// Positional arguments after the mode: (min, max).
    pub args: (usize, usize),
    /// The usage line.
    pub usage: &'static str,
    /// One line for the overview.
    pub summary: &'static str,
}

/// The subcommands this plugin runs.
pub static SUBS: &[Sub] = &[
    Sub {
        name: "list",
        aliases: &["ls"],
        modes: &[],
        args: (0, 0),
        usage: "list [-A] [-n NS] [--deployed|--failed|--pending|--superseded|--uninstalled] [-f REGEX] [-l SELECTOR] [-o table|json|yaml]",
        summary: "list releases",
    },
    Sub {
        name: "status",
        aliases: &[],
        modes: &[],
        args: (1, 1),
        usage: "status RELEASE [--revision N] [-o json|yaml]",
        summary: "the status of a release",
    },
    Sub {
        name: "history",
        aliases: &["hist"],
        modes: &[],
        args: (1, 1),
        usage: "history RELEASE [--max N] [-o json|yaml]",
        summary: "the revisions of a release",
    },
    Sub {
        name: "get",
        aliases: &[],
        modes: &["all", "values", "manifest", "notes", "hooks", "metadata"],
        args: (1, 1),
        usage: "get all|values|manifest|notes|hooks|metadata RELEASE [--revision N] [-a (values)] [-o json|yaml (values, metadata)]",
        summary: "a release's data (Secret data shown as <redacted>, credential-like values redacted)",
    },
    Sub {
        name: "show",
        aliases: &["inspect"],
        modes: &["chart", "values", "readme", "all", "crds"],
        args: (1, 1),
        usage: "show chart|values|readme|all|crds CHART [--version V] [--repo URL]",
        summary: "a chart's information",
    },
    Sub {
        name: "template",
        aliases: &[],
        modes: &[],
        args: (1, 2),
        usage: "template [NAME] CHART [--set K=V] [-n NS] (values in the `values` argument)",
        summary: "render a chart locally (Secret data shown as <redacted>)",
    },
    Sub {
        name: "lint",
        aliases: &[],
        modes: &[],
        args: (1, 1),
        usage: "lint CHART [--strict] [--set K=V]",
        summary: "examine a chart for possible issues",
    },
    Sub {
        name: "install",
        aliases: &[],
        modes: &[],
        args: (2, 2),
        usage: "install NAME CHART [-n NS] [--create-namespace] [--set K=V] [--version V] [--repo URL] [--dry-run] [--wait] [--rollback-on-failure]",
        summary: "install a chart",
    },
    Sub {
        name: "upgrade",
        aliases: &[],
        modes: &[],
        args: (2, 2),
        usage: "upgrade NAME CHART [-i] [--reuse-values] [--set K=V] ...",
        summary: "upgrade a release (asks the person when objects would be removed)",
    },
    Sub {
        name: "rollback",
        aliases: &[],
        modes: &[],
        args: (1, 2),
        usage: "rollback RELEASE [REVISION] [--dry-run] [--wait] [--description TEXT]",
        summary: "roll a release back (asks the person, with the diff)",
    },
    Sub {
        name: "uninstall",
        aliases: &["un", "delete", "del"],
        modes: &[],
        args: (1, 1),
        usage: "uninstall RELEASE [--keep-history] [--dry-run] [--cascade background|orphan|foreground]",
        summary: "uninstall a release (asks the person, with the objects to delete)",
    },
    Sub {
        name: "dependency",
        aliases: &["dep", "dependencies"],
        modes: &["list"],
        args: (1, 1),
        usage: "dependency list CHART",
        summary: "a chart's dependencies",
    },
    Sub {
        name: "search",
        aliases: &[],
        modes: &["repo"],
        args: (0, 1),
        usage: "search repo KEYWORD",
        summary: "refused: no repositories are configured; use `show chart NAME --repo URL`",
    },
    Sub {
        name: "version",
        aliases: &[],
        modes: &[],
        args: (0, 0),
        usage: "version [--short]",
        summary: "helm's version",
    },
    Sub {
        name: "env",
        aliases: &[],
        modes: &[],
        args: (0, 0),
        usage: "env",
        summary: "helm's environment (scratch paths only)",
    },
];

/// Subcommands refused by design, with the reason.
pub static REFUSED: &[(&str, &str)] = &[
    (
        "plugin",
        "helm plugins are other programs; this server runs only helm",
    ),
    (
        "repo",
        "repositories are not configured on the server; pass --repo URL (under the grant's urls)",
    ),
    (
        "registry",
        "registry logins are credentials; the operator configures access",
    ),
    ("push", "it uploads charts"),
    ("pull", "it writes files on the server"),
    ("package", "it writes files on the server"),
    ("create", "it writes files on the server"),
    ("test", "it runs the chart's test Pods; not supported yet"),
    ("completion", "not useful through this tool"),
    ("verify", "it reads keyrings on the server"),
];

/// A parsed helm command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// The subcommand's canonical name.
    pub sub: &'static str,
    /// Its mode (`values` in `get values`), if any.
    pub mode: Option<String>,
    /// Positional arguments after the mode.
    pub args: Vec<String>,
    /// The parsed flags.
    pub parsed: Parsed,
}

/// Finds a subcommand by name or alias.
pub fn find_sub(word: &str) -> Option<&'static Sub> {
    SUBS.iter()
        .find(|s| s.name == word || s.aliases.contains(&word))
}

/// Parses a helm command line's words (the leading `helm` optional).
///
/// Errors: a refused or unknown flag, a refused or unknown subcommand, a wrong number of
/// arguments, `-f/--values` (values come in the tool's `values` argument).
pub fn parse(words: &[String]) -> Result<Command, String> {
    let mut words: Vec<String> = CLI.strip_program(words).to_vec();
    CLI.check_forbidden(&words).map_err(|e| e.0)?;
    let Some(typed) = CLI.find_subcommand(&words) else {
        return Err("no helm subcommand given; see describe_helm".into());
    };
    if let Some((_, why)) = REFUSED.iter().find(|(n, _)| *n == typed) {
        return Err(format!("helm {typed} is not available: {why}"));
    }
    let Some(sub) = find_sub(&typed) else {
        return Err(format!(
            "unknown helm subcommand {typed:?}; supported: {}",
            SUBS.iter().map(|s| s.name).collect::<Vec<_>>().join(", ")
        ));
    };
    // An alias (`ls`) takes its subcommand's flags: parse under the canonical name.
    if let Some(pos) = words.iter().position(|x| *x == typed) {
        words[pos] = sub.name.to_string();
    }
    let parsed = CLI.parse_with(&words, sub.name).map_err(|e| e.0)?;
    if parsed.given("values") {
        return Err("flag -f/--values is not allowed: helm would read a file of the server; pass the values (YAML) in the tool's `values` argument".into());
    }
    let mut args = parsed.args.clone();
    let mode = if sub.modes.is_empty() {
        None
    } else {
        let Some(m) = args.first().cloned() else {
            return Err(format!(
                "helm {} needs one of: {}",
                sub.name,
                sub.modes.join(", ")
            ));
        };
        if !sub.modes.contains(&m.as_str()) {
            return Err(format!(
                "helm {} {m} is not supported; supported: {}",
                sub.name,
                sub.modes.join(", ")
            ));
        }
        args.remove(0);
        Some(m)
    };
    // helm's argument vector is rebuilt with the positional arguments first, without `--`:
    // a word after `--` that starts with `-` would reach helm as a flag no table checked.
    // Release names, revisions and chart references never start with `-`.
    if let Some(a) = args.iter().chain(mode.iter()).find(|a| a.starts_with('-')) {
        return Err(format!(
            "argument {a:?} starts with `-`: release names, revisions and charts never do (a flag after `--` is refused)"
        ));
    }
    // Flags helm defines on one mode only (helm v4.3: `get values -a`, `-o` on `get values`
    // and `get metadata`, `show values --jsonpath`).
    for (flag, on_sub, modes) in [
        ("all", "get", &["values"][..]),
        ("output", "get", &["values", "metadata"][..]),
        ("jsonpath", "show", &["values"][..]),
    ] {
        if sub.name == on_sub
            && parsed.given(flag)
            && !modes.contains(&mode.as_deref().unwrap_or(""))
        {
            return Err(format!(
                "helm {on_sub} {} does not take --{flag} (only {})",
                mode.as_deref().unwrap_or(""),
                modes
                    .iter()
                    .map(|m| format!("`{on_sub} {m}`"))
                    .collect::<Vec<_>>()
                    .join(" and ")
            ));
        }
    }
    if sub.name == "search" {
        return Err("helm search repo needs configured repositories, which this server does not keep; use `show chart NAME --repo URL` with a granted URL".into());
    }
    let (min, max) = sub.args;
    if args.len() < min || args.len() > max {
        return Err(format!(
            "wrong number of arguments; usage: helm {}",
            sub.usage
        ));
    }
    if sub.name == "uninstall" && parsed.given("dry-run") {
        // uninstall's --dry-run is a boolean in helm.
        let v = parsed.value("dry-run").unwrap_or("");
        if !matches!(v, "client" | "true" | "false") {
            return Err(format!("uninstall --dry-run is a boolean, not {v:?}"));
        }
    }
    if let Some(w) = parsed.value("wait")
        && w != "legacy"
        && w != "false"
    {
        return Err(format!(
            "--wait={w} is not supported: it watches resources, and the API proxy serves no watches; use --wait (legacy polling)"
        ));
    }
    if let Some(o) = parsed.value("output")
        && !matches!(o, "table" | "json" | "yaml")
    {
        return Err(format!(
            "unknown output format {o:?}: use table, json or yaml"
        ));
    }
    Ok(Command {
        sub: sub.name,
        mode,
        args,
        parsed,
    })
}

impl Command {
    /// Whether the command changes the cluster (install, upgrade, rollback, uninstall without
    /// a dry run).
    pub fn writes(&self) -> bool {
        WRITES.contains(&self.sub) && !self.dry_run()
    }

    /// Whether the command renders a chart with values (install, upgrade, template, lint):
    /// the only ones the `values` argument applies to.
    pub fn renders(&self) -> bool {
        RENDERS.contains(&self.sub)
    }

    /// Whether a dry run was asked for.
    pub fn dry_run(&self) -> bool {
        matches!(
            self.parsed.value("dry-run"),
            Some("client" | "server" | "true")
        )
    }

    /// Whether the command is namespaced (every one but `version`, `env`, `lint`, `show`,
    /// `dependency`; `list -A` still gets one, unused).
    pub fn namespaced(&self) -> bool {
        !matches!(
            self.sub,
            "version" | "env" | "lint" | "show" | "dependency" | "search"
        )
    }

    /// The chart argument, for commands that take one.
    pub fn chart(&self) -> Option<&str> {
        match self.sub {
            "install" | "upgrade" => self.args.get(1).map(String::as_str),
            "template" => self.args.last().map(String::as_str),
            "lint" | "show" | "dependency" => self.args.first().map(String::as_str),
            _ => None,
        }
    }

    /// The release name, for commands that take one.
    pub fn release(&self) -> Option<&str> {
        match self.sub {
            "install" | "upgrade" | "status" | "history" | "get" | "rollback" | "uninstall" => {
                self.args.first().map(String::as_str)
            }
            "template" if self.args.len() == 2 => self.args.first().map(String::as_str),
            _ => None,
        }
    }

    /// The argument vector for helm: the subcommand, its mode, the positional arguments,
    /// `--flag=value` for every flag (booleans as `--flag=true|false`), and the namespace.
    /// `--atomic` is passed as `--rollback-on-failure`, which (with `--wait` absent) gets
    /// `--wait=legacy`: helm would otherwise watch, and the proxy serves no watches.
    pub fn argv(&self, namespace: &str) -> Vec<String> {
        let mut v = vec![self.sub.to_string()];
        v.extend(self.mode.clone());
        v.extend(self.args.iter().cloned());
        let mut rollback = false;
        for (name, value) in &self.parsed.flags {
            match *name {
                "namespace" => {}
                "atomic" | "rollback-on-failure" => {
                    if value == "true" {
                        rollback = true;
                    }
                }
                "dry-run" if self.sub == "uninstall" => {
                    v.push(format!("--dry-run={}", value != "false"));
                }
                _ => v.push(format!("--{name}={value}")),
            }
        }
        if rollback {
            v.push("--rollback-on-failure=true".into());
            if !self.parsed.given("wait") {
                v.push("--wait=legacy".into());
            }
        }
        if self.namespaced() {
            v.push(format!("--namespace={namespace}"));
        }
        v
    }

    /// The namespace: `-n`, else the call's default.
    pub fn namespace(&self, default: &str) -> String {
        self.parsed
            .namespace()
            .filter(|n| !n.is_empty())
            .unwrap_or(default)
            .to_string()
    }

    /// The normalized command line for the call plan: `helm`, the subcommand and mode, the
    /// positional arguments, then every flag as `--name=value` sorted by name, with
    /// `--namespace=NS` for namespaced commands.
    pub fn normalized(&self, default_ns: &str) -> String {
        let mut words = vec!["helm".to_string(), self.sub.to_string()];
        words.extend(self.mode.clone());
        words.extend(self.args.iter().cloned());
        let mut flags: Vec<String> = self
            .parsed
            .flags
            .iter()
            .filter(|(n, _)| *n != "namespace")
            .map(|(n, v)| format!("--{n}={v}"))
            .collect();
        if self.namespaced() {
            flags.push(format!("--namespace={}", self.namespace(default_ns)));
        }
        flags.sort();
        words.extend(flags);
        words
            .iter()
            .map(|w| kap_sdk::plan::quote(w))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Help: the overview, or one subcommand's usage and flags.
pub fn help(topic: &str) -> String {
    use std::fmt::Write as _;
    let topic = topic.trim().trim_start_matches("helm ").trim();
    let mut o = String::new();
    if let Some(sub) = find_sub(topic.split_whitespace().next().unwrap_or("")) {
        let _ = writeln!(
            o,
            "helm {}: {}\n\nUsage:\n  helm {}\n\nFlags:",
            sub.name, sub.summary, sub.usage
        );
        for f in CLI.flags_for(sub.name) {
            let short = f.short.map(|c| format!("-{c}, ")).unwrap_or_default();
            let _ = writeln!(o, "  {short}--{}  {}", f.long, f.help);
        }
        return o;
    }
    let _ = writeln!(
        o,
        "helm (v4) as this server runs it: the real helm binary, started by the host without a shell, with a kubeconfig that names only the host's loopback API proxy. Every API request helm makes passes the host's policy, RBAC check and audit; it never holds a credential.\n\nCommands:"
    );
    for s in SUBS {
        let _ = writeln!(o, "  {:<11} {}", s.name, s.summary);
    }
    let _ = writeln!(
        o,
        "\nCharts: an absolute path (directory or .tgz) under the operator's granted read_dirs, or `NAME --repo URL` / an oci:// or https:// reference under the granted urls. Values: the `values` argument (YAML), passed as a file; --set values reach helm literally.\nConfirmation: uninstall, rollback and an upgrade that removes objects ask the person first, with the objects or the diff; an install or upgrade whose requests the policy marks for confirmation does too. A run that would make a request the policy denies does not start.\nRefused: {}; the subcommands {}.\nNot supported: watches (--wait is legacy polling), --force-replace, hooks that need watches.",
        FORBIDDEN
            .iter()
            .map(|f| format!("--{f}"))
            .collect::<Vec<_>>()
            .join(", "),
        REFUSED
            .iter()
            .map(|(n, _)| *n)
            .collect::<Vec<_>>()
            .join(", ")
    );
    o
}
