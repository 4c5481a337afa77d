//! The policy file (YAML) and its compiled form, [`Policy`].
//!
//! ```yaml
//! mode: strict                 # read-only | strict (default) | permissive; K8S_MCP_SECURITY_MODE wins
//! namespaces:
//!   allow: [kap-demo, team-*]  # when set, namespaced requests outside it are denied
//!   deny: [prod]               # always denied
//!   write_deny: [kube-system]  # writes denied (default: [kube-system] in strict, [] otherwise)
//! denied_resources: [secrets]  # reads denied unless an allow rule names the resource (default)
//! rules:                       # deny rules win over allow rules, whatever the order
//!   - id: no-deploy-deletes
//!     effect: deny
//!     verbs: [delete]
//!     resources: [deployments.apps]
//!     namespaces: [kap-demo]
//!     reason: deployments in kap-demo are managed by CI
//!   - id: confirm-configmap-writes
//!     effect: confirm              # a person must say yes (MCP elicitation) before it runs
//!     verbs: [update, patch]
//!     resources: [configmaps]
//! # The seed server's command-string sections, matched against the normalized command line
//! # (`kubectl delete pod web-1 --namespace=kap-demo`) in strict and read-only mode:
//! dangerous_commands:
//!   kubectl: ["kubectl delete", "kubectl drain"]
//! safe_patterns:
//!   kubectl: ["kubectl delete pod"]
//! regex_rules:
//!   kubectl:
//!     - pattern: "--namespace=kube-system\\b"
//!       description: Operations in kube-system
//!       error_message: Operations in kube-system are restricted.
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use serde::{Deserialize, Serialize};

/// Whether a rule may name `verb`: one of the WIT verbs
/// ([`KUBE_VERBS`](crate::plugins::manifest::KUBE_VERBS)), RBAC's spelling
/// `deletecollection`, or `*`.
pub fn is_rule_verb(verb: &str) -> bool {
    verb == "*"
        || verb == "deletecollection"
        || crate::plugins::manifest::KUBE_VERBS.contains(&verb)
}

/// The verbs a rule may name, for error messages: `get, list, …, deletecollection, *`.
pub fn rule_verbs_text() -> String {
    format!(
        "{}, deletecollection, *",
        crate::plugins::manifest::KUBE_VERBS.join(", ")
    )
}

/// The top-level keys of the policy file.
pub const TOP_KEYS: &[&str] = &[
    "mode",
    "namespaces",
    "denied_resources",
    "rules",
    "dangerous_commands",
    "safe_patterns",
    "regex_rules",
];
/// The keys of one rule.
pub const RULE_KEYS: &[&str] = &[
    "id",
    "effect",
    "reason",
    "verbs",
    "resources",
    "namespaces",
    "names",
    "plugins",
    "tools",
    "identities",
    "effects",
];
/// The keys of `namespaces`.
pub const NAMESPACE_KEYS: &[&str] = &["allow", "deny", "write_deny"];
/// The keys of one `regex_rules` entry (seed format).
pub const REGEX_RULE_KEYS: &[&str] = &["pattern", "description", "error_message"];

/// How strict the gate is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// Only `get` and `list` are allowed, whatever the rules say.
    ReadOnly,
    /// The default: all protections on.
    #[default]
    Strict,
    /// Drops the default namespace write protection (`kube-system`) and the protected-delete
    /// default; the grant, RBAC, Secret protection and the operator's own rules stay.
    Permissive,
}

impl Mode {
    /// Parses `read-only`, `strict` or `permissive` (also `readonly`, `read_only`).
    pub fn parse(s: &str) -> Result<Mode> {
        match s.trim().to_ascii_lowercase().as_str() {
            "read-only" | "readonly" | "read_only" => Ok(Mode::ReadOnly),
            "strict" => Ok(Mode::Strict),
            "permissive" => Ok(Mode::Permissive),
            other => {
                bail!("invalid security mode {other:?}: expected read-only, strict or permissive")
            }
        }
    }

    /// The mode as written in the file.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::ReadOnly => "read-only",
            Mode::Strict => "strict",
            Mode::Permissive => "permissive",
        }
    }
}

/// Whether a rule allows, asks for confirmation of, or denies what it matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Effect {
    /// Allows; beats the defaults (Secret reads, `write_deny` defaults, protected deletes,
    /// built-in confirmations) only when it names the resource (and, for confirmations, the
    /// verb) explicitly, never an explicit deny or confirm rule.
    Allow,
    /// Asks a person first (MCP elicitation); wins over every allow, loses to a deny.
    Confirm,
    /// Denies; wins over every other rule.
    Deny,
}

/// One rule. Every match field is a list; an empty list matches anything. Patterns: `*`
/// matches anything (including "no namespace"/"no name"), `prefix*` a prefix, else exact.
/// Resources: `pods` (any group), `deployments.apps`, `*.apps`, `pods/exec`, `*`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// The rule id reported in decisions and the audit log (default `rules[N]`).
    #[serde(default)]
    pub id: String,
    /// `allow`, `confirm` or `deny`.
    pub effect: Option<Effect>,
    /// For a person: why the rule exists (shown on denial).
    pub reason: Option<String>,
    /// Verbs (WIT spelling; `deletecollection` is accepted).
    #[serde(default)]
    pub verbs: Vec<String>,
    /// Resources (see the type's docs).
    #[serde(default)]
    pub resources: Vec<String>,
    /// Namespaces; a request without a namespace only matches `*`.
    #[serde(default)]
    pub namespaces: Vec<String>,
    /// Object names; a request without a name (list) only matches `*`.
    #[serde(default)]
    pub names: Vec<String>,
    /// Plugin names.
    #[serde(default)]
    pub plugins: Vec<String>,
    /// MCP tool names.
    #[serde(default)]
    pub tools: Vec<String>,
    /// Identities: the kubeconfig context name.
    #[serde(default)]
    pub identities: Vec<String>,
    /// Effects (see [`EFFECTS`]): the rule matches only requests with one of
    /// them, e.g. `[garbage-collector-delete]`. Effects that need the live object come from
    /// a server-side dry run (strict mode).
    #[serde(default)]
    pub effects: Vec<String>,
}

/// `namespaces:` of the policy file.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NamespaceLists {
    /// When set, namespaced requests outside these namespaces (and requests without a
    /// namespace) are denied.
    pub allow: Option<Vec<String>>,
    /// Requests in these namespaces are denied.
    #[serde(default)]
    pub deny: Vec<String>,
    /// Writes in these namespaces are denied; `None` means the mode's default
    /// (`[kube-system]` in strict, none otherwise).
    pub write_deny: Option<Vec<String>>,
}

/// One `regex_rules` entry of the seed server's format: a command matching `pattern` is
/// refused with `error_message`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RegexRule {
    /// The regular expression matched against the command line.
    pub pattern: String,
    /// What the rule checks.
    #[serde(default)]
    pub description: String,
    /// The message on refusal.
    #[serde(default)]
    pub error_message: String,
}

/// The policy file as written.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyFile {
    /// `read-only`, `strict` or `permissive`.
    pub mode: Option<Mode>,
    /// Namespace lists.
    #[serde(default)]
    pub namespaces: NamespaceLists,
    /// Resources whose reads are denied unless an allow rule names them (default `[secrets]`).
    pub denied_resources: Option<Vec<String>>,
    /// The rules.
    #[serde(default)]
    pub rules: Vec<Rule>,
    /// Seed format: command prefixes per command family (`kubectl`, `helm`, ...) that are
    /// refused unless a `safe_patterns` prefix also matches.
    #[serde(default)]
    pub dangerous_commands: BTreeMap<String, Vec<String>>,
    /// Seed format: exceptions to `dangerous_commands`.
    #[serde(default)]
    pub safe_patterns: BTreeMap<String, Vec<String>>,
    /// Seed format: regex rules per command family.
    #[serde(default)]
    pub regex_rules: BTreeMap<String, Vec<RegexRule>>,
}

impl PolicyFile {
    /// The command-string sections present (non-empty), by name.
    pub fn command_sections(&self) -> Vec<&'static str> {
        let mut v = Vec::new();
        if self.dangerous_commands.values().any(|l| !l.is_empty()) {
            v.push("dangerous_commands");
        }
        if self.safe_patterns.values().any(|l| !l.is_empty()) {
            v.push("safe_patterns");
        }
        if self.regex_rules.values().any(|l| !l.is_empty()) {
            v.push("regex_rules");
        }
        v
    }
}

/// The compiled policy the gate decides with.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// The effective mode.
    pub mode: Mode,
    /// The rules, with ids filled in and verbs normalized (`deletecollection` → WIT spelling).
    pub rules: Vec<Rule>,
    /// Namespace allow list (`None`: every namespace).
    pub namespace_allow: Option<Vec<String>>,
    /// Namespace deny list.
    pub namespace_deny: Vec<String>,
    /// Namespaces where writes are denied, and whether the list is the mode's default.
    pub write_deny: Vec<String>,
    /// Whether `write_deny` came from the mode's default rather than the file.
    pub write_deny_default: bool,
    /// Resources whose reads are denied unless an allow rule names them.
    pub denied_resources: Vec<String>,
    /// The seed format's command-string rules, compiled.
    pub commands: CommandRules,
    /// The file read, if any.
    pub source: Option<PathBuf>,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy::compile(PolicyFile::default(), None, None).expect("the default policy compiles")
    }
}

/// Checks the verbs of every rule; returns one message per bad verb.
pub fn invalid_verbs(file: &PolicyFile) -> Vec<String> {
    let mut out = Vec::new();
    for (i, r) in file.rules.iter().enumerate() {
        for v in &r.verbs {
            if !is_rule_verb(v) {
                out.push(format!(
                    "rule {} : invalid verb {v:?} (expected one of {})",
                    rule_label(r, i),
                    rule_verbs_text()
                ));
            }
        }
        for e in &r.effects {
            if !EFFECTS.iter().any(|(name, _)| name == e) {
                out.push(format!(
                    "rule {} : invalid effect {e:?} (expected one of {})",
                    rule_label(r, i),
                    EFFECTS
                        .iter()
                        .map(|(n, _)| *n)
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
        }
    }
    out
}

/// `id` when set, else `rules[i]`.
pub fn rule_label(r: &Rule, i: usize) -> String {
    if r.id.is_empty() {
        format!("rules[{i}]")
    } else {
        r.id.clone()
    }
}

impl Policy {
    /// Whether the policy hides some namespaces: a `namespaces.deny` entry, or a deny rule
    /// that names namespaces. Only then can a list across all namespaces be refused for what
    /// it would include ([`crate::policy::RequestFacts::all_namespaces`]).
    pub fn hides_namespaces(&self) -> bool {
        !self.namespace_deny.is_empty()
            || self
                .rules
                .iter()
                .any(|r| r.effect == Some(Effect::Deny) && !r.namespaces.is_empty())
    }

    /// Compiles a parsed file. `mode_override` (the `K8S_MCP_SECURITY_MODE` value) beats the
    /// file's `mode`. Errors: invalid verbs, a rule without `effect`, an invalid mode.
    pub fn compile(
        file: PolicyFile,
        source: Option<PathBuf>,
        mode_override: Option<&str>,
    ) -> Result<Policy> {
        let mode = match mode_override {
            Some(m) => Mode::parse(m).context("K8S_MCP_SECURITY_MODE")?,
            None => file.mode.unwrap_or_default(),
        };
        let bad = invalid_verbs(&file);
        if !bad.is_empty() {
            bail!("{}", bad.join("; "));
        }
        let commands = CommandRules::compile(&file)?;
        let mut rules = Vec::new();
        for (i, mut r) in file.rules.into_iter().enumerate() {
            if r.effect.is_none() {
                bail!(
                    "rule {}: missing effect (allow, confirm or deny)",
                    rule_label(&r, i)
                );
            }
            r.id = rule_label(&r, i);
            for v in &mut r.verbs {
                if v == "deletecollection" {
                    *v = "delete-collection".into();
                }
            }
            rules.push(r);
        }
        let (write_deny, write_deny_default) = match file.namespaces.write_deny {
            Some(l) => (l, false),
            None if mode == Mode::Strict => (vec!["kube-system".to_string()], true),
            None => (vec![], true),
        };
        Ok(Policy {
            mode,
            rules,
            namespace_allow: file.namespaces.allow,
            namespace_deny: file.namespaces.deny,
            write_deny,
            write_deny_default,
            denied_resources: file
                .denied_resources
                .unwrap_or_else(|| vec!["secrets".to_string()]),
            commands,
            source,
        })
    }

    /// Parses YAML text (unknown keys are errors).
    pub fn from_yaml(
        text: &str,
        source: Option<PathBuf>,
        mode_override: Option<&str>,
    ) -> Result<Policy> {
        let file: PolicyFile = if text.trim().is_empty() {
            PolicyFile::default()
        } else {
            serde_yaml_ng::from_str(text)?
        };
        Policy::compile(file, source, mode_override)
    }

    /// Loads the policy: the file at `path` when given, else the defaults; `mode_override`
    /// beats the file's `mode`.
    pub fn load(path: Option<&Path>, mode_override: Option<&str>) -> Result<Policy> {
        let Some(path) = path else {
            return Policy::compile(PolicyFile::default(), None, mode_override);
        };
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read policy file {}", path.display()))?;
        Policy::from_yaml(&text, Some(path.to_path_buf()), mode_override)
            .with_context(|| format!("invalid policy file {}", path.display()))
    }
}

/// One compiled `regex_rules` entry.
#[derive(Debug, Clone)]
pub struct CompiledRegexRule {
    /// The pattern as written.
    pub pattern: String,
    /// The compiled pattern.
    pub regex: regex::Regex,
    /// What the rule checks.
    pub description: String,
    /// The refusal message.
    pub error_message: String,
}

impl PartialEq for CompiledRegexRule {
    fn eq(&self, other: &Self) -> bool {
        self.pattern == other.pattern
            && self.description == other.description
            && self.error_message == other.error_message
    }
}

/// The seed servers' command-string rules, per command family (`kubectl`, `helm`, ...),
/// matched against a plugin's normalized command line (WIT `call-plan.command`), so flag
/// order, extra spaces, short flags or `-n` before the verb cannot slip past.
///
/// Semantics follow the seed server: a command starting with a `dangerous_commands` prefix is
/// refused unless it also starts with a `safe_patterns` prefix; a command matching a
/// `regex_rules` pattern is refused with its `error_message`. One difference: a prefix only
/// matches at a word boundary (`kubectl delete pod` does not cover
/// `kubectl delete poddisruptionbudget`). Enforced in `strict` and `read-only` mode; the seed
/// server skips them in `permissive` mode, and so do we.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CommandRules {
    /// `dangerous_commands`, whitespace-normalized.
    pub dangerous: BTreeMap<String, Vec<String>>,
    /// `safe_patterns`, whitespace-normalized.
    pub safe: BTreeMap<String, Vec<String>>,
    /// `regex_rules`, compiled.
    pub regex: BTreeMap<String, Vec<CompiledRegexRule>>,
}

/// Collapses runs of whitespace to one space and trims.
pub fn normalize_spaces(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether `command` starts with `prefix` at a word boundary.
pub fn prefix_matches(prefix: &str, command: &str) -> bool {
    !prefix.is_empty()
        && command.starts_with(prefix)
        && command[prefix.len()..]
            .chars()
            .next()
            .is_none_or(|c| c.is_whitespace())
}

impl CommandRules {
    /// Compiles the file's sections. Errors: an invalid regular expression (named).
    pub fn compile(file: &PolicyFile) -> Result<CommandRules> {
        let norm = |m: &BTreeMap<String, Vec<String>>| {
            m.iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        v.iter()
                            .map(|p| normalize_spaces(p))
                            .filter(|p| !p.is_empty())
                            .collect(),
                    )
                })
                .collect()
        };
        let mut regex = BTreeMap::new();
        for (family, rules) in &file.regex_rules {
            let mut out = Vec::new();
            for r in rules {
                let re = regex::Regex::new(&r.pattern).with_context(|| {
                    format!("regex_rules.{family}: invalid pattern {:?}", r.pattern)
                })?;
                out.push(CompiledRegexRule {
                    pattern: r.pattern.clone(),
                    regex: re,
                    description: r.description.clone(),
                    error_message: r.error_message.clone(),
                });
            }
            regex.insert(family.clone(), out);
        }
        Ok(CommandRules {
            dangerous: norm(&file.dangerous_commands),
            safe: norm(&file.safe_patterns),
            regex,
        })
    }

    /// Whether any rule is present.
    pub fn is_empty(&self) -> bool {
        self.dangerous.values().all(Vec::is_empty) && self.regex.values().all(Vec::is_empty)
    }

    /// Checks one normalized command of `family`. `Some((rule id, reason))` when refused:
    /// `regex_rules.<family>[i]` or `dangerous_commands.<family>`.
    pub fn check(&self, family: &str, command: &str) -> Option<(String, String)> {
        let command = normalize_spaces(command);
        for (i, r) in self.regex.get(family).into_iter().flatten().enumerate() {
            if r.regex.is_match(&command) {
                let msg = if r.error_message.is_empty() {
                    format!(
                        "the command matches the policy's regex rule {:?}",
                        r.pattern
                    )
                } else {
                    r.error_message.clone()
                };
                let what = if r.description.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", r.description)
                };
                return Some((
                    format!("regex_rules.{family}[{i}]"),
                    format!("{command:?}: {msg}{what}"),
                ));
            }
        }
        let dangerous = self
            .dangerous
            .get(family)
            .into_iter()
            .flatten()
            .find(|p| prefix_matches(p, &command))?;
        if self
            .safe
            .get(family)
            .into_iter()
            .flatten()
            .any(|p| prefix_matches(p, &command))
        {
            return None;
        }
        Some((
            format!("dangerous_commands.{family}"),
            format!(
                "{command:?} starts with {dangerous:?}, listed in the policy's dangerous_commands, and matches no safe_patterns entry"
            ),
        ))
    }
}

/// The effect names a policy rule's `effects` may list, with what each means.
pub const EFFECTS: &[(&str, &str)] = &[
    ("scale-to-zero", "spec.replicas becomes 0"),
    (
        "garbage-collector-delete",
        "ownerReferences, finalizers or deletionTimestamp change: the garbage collector deletes the object",
    ),
    (
        "eviction",
        "a NoExecute taint, a change of spec.unschedulable, or a pods/eviction",
    ),
    (
        "api-interception",
        "an APIService, a CRD conversion webhook, or an admission webhook or policy is written",
    ),
    (
        "kube-system-write",
        "a write to an object in kube-system, or to the kube-system Namespace itself",
    ),
    (
        "secret-params",
        "an admission policy (or its binding) takes Secrets as params: judged as reading Secrets",
    ),
    (
        "gitops-prune",
        "an Argo CD Application write starts a sync with prune or force, or turns on automated prune",
    ),
    (
        "gitops-rollback",
        "an Argo CD Application write starts a sync to an earlier revision from its history (a rollback)",
    ),
];
