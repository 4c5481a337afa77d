//! `kube-ai-proxy policy lint`: finds unknown keys, invalid verbs, modes and effects,
//! duplicate ids, unreachable rules, and the seed format's command-string sections that are
//! accepted but not enforced.

use serde::Serialize;
use serde_yaml_ng::Value;

use super::file::{
    Effect, Mode, NAMESPACE_KEYS, PolicyFile, REGEX_RULE_KEYS, RULE_KEYS, Rule, TOP_KEYS,
    is_rule_verb, rule_label, rule_verbs_text,
};
use super::{glob, split_resource};

/// One problem in a policy file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// What is wrong, for a person.
    pub message: String,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(l) => write!(f, "line {l}: {}", self.message),
            None => write!(f, "{}", self.message),
        }
    }
}

/// Finds lines by key, so findings can point at them. serde_yaml_ng's `Value` has no
/// positions, so keys are located in the text, in order of appearance.
struct Lines<'a> {
    lines: Vec<&'a str>,
    used: Vec<bool>,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Self {
        let lines: Vec<&str> = text.lines().collect();
        let used = vec![false; lines.len()];
        Lines { lines, used }
    }

    /// The first unused line holding `key:` (optionally after `- `), 1-based.
    fn key(&mut self, key: &str) -> Option<usize> {
        let hit = self.lines.iter().enumerate().position(|(i, l)| {
            let t = l.trim_start();
            let t = t.strip_prefix("- ").map(str::trim_start).unwrap_or(t);
            let t = t
                .strip_prefix('"')
                .and_then(|t| t.strip_prefix(key).and_then(|r| r.strip_prefix('"')))
                .or_else(|| t.strip_prefix(key));
            !self.used[i] && t.is_some_and(|r| r.trim_start().starts_with(':'))
        })?;
        self.used[hit] = true;
        Some(hit + 1)
    }

    /// The first line containing `needle` after `key:` on a line, 1-based (not consumed).
    fn value(&self, key: &str, needle: &str) -> Option<usize> {
        self.lines
            .iter()
            .position(|l| {
                l.split_once(':').is_some_and(|(k, v)| {
                    k.trim().trim_start_matches("- ") == key && v.contains(needle)
                })
            })
            .map(|i| i + 1)
    }
}

fn key_str(k: &Value) -> String {
    match k {
        Value::String(s) => s.clone(),
        other => serde_yaml_ng::to_string(other)
            .map(|s| s.trim().to_string())
            .unwrap_or_default(),
    }
}

/// Removes (and reports) the keys of `map` not in `known`.
fn unknown_keys(
    map: &mut serde_yaml_ng::Mapping,
    known: &[&str],
    place: &str,
    lines: &mut Lines<'_>,
    out: &mut Vec<Finding>,
) {
    let keys: Vec<Value> = map.keys().cloned().collect();
    for k in keys {
        let name = key_str(&k);
        if known.contains(&name.as_str()) {
            lines.key(&name);
        } else {
            out.push(Finding {
                line: lines.key(&name),
                message: format!(
                    "unknown key {name:?} in {place} (expected one of: {})",
                    known.join(", ")
                ),
            });
            map.remove(&k);
        }
    }
}

/// Walks the document in text order, reporting unknown keys and bad modes/effects, and
/// removing them so the rest can still be checked.
fn walk(doc: &mut Value, lines: &mut Lines<'_>, out: &mut Vec<Finding>) {
    let Value::Mapping(top) = doc else {
        out.push(Finding {
            line: Some(1),
            message: "the policy file must be a YAML mapping".into(),
        });
        *doc = Value::Mapping(Default::default());
        return;
    };
    unknown_keys(top, TOP_KEYS, "the policy file", lines, out);
    if let Some(m) = top.get("mode").cloned() {
        let ok = m.as_str().is_some_and(|s| Mode::parse(s).is_ok());
        if !ok {
            let shown = key_str(&m);
            out.push(Finding {
                line: lines.value("mode", &shown),
                message: format!(
                    "invalid mode {shown:?} (expected read-only, strict or permissive)"
                ),
            });
            top.remove("mode");
        } else if let Some(s) = m.as_str() {
            // Normalize aliases (readonly) to what serde accepts.
            let norm = Mode::parse(s).map(Mode::as_str).unwrap_or("strict");
            top.insert("mode".into(), norm.into());
        }
    }
    if let Some(Value::Mapping(ns)) = top.get_mut("namespaces") {
        unknown_keys(ns, NAMESPACE_KEYS, "namespaces", lines, out);
    }
    if let Some(Value::Sequence(rules)) = top.get_mut("rules") {
        for (i, rule) in rules.iter_mut().enumerate() {
            if let Value::Mapping(m) = rule {
                unknown_keys(m, RULE_KEYS, &format!("rules[{i}]"), lines, out);
                if let Some(e) = m.get("effect").cloned()
                    && !matches!(e.as_str(), Some("allow" | "confirm" | "deny"))
                {
                    let shown = key_str(&e);
                    out.push(Finding {
                        line: lines.value("effect", &shown),
                        message: format!(
                            "rules[{i}]: invalid effect {shown:?} (expected allow, confirm or deny)"
                        ),
                    });
                    m.remove("effect");
                }
            }
        }
    }
    if let Some(Value::Mapping(rr)) = top.get_mut("regex_rules") {
        for (tool, list) in rr.iter_mut() {
            if let Value::Sequence(list) = list {
                for (i, r) in list.iter_mut().enumerate() {
                    if let Value::Mapping(m) = r {
                        let place = format!("regex_rules.{}[{i}]", key_str(tool));
                        unknown_keys(m, REGEX_RULE_KEYS, &place, lines, out);
                    }
                }
            }
        }
    }
}

/// Whether pattern `d` matches everything pattern `a` matches (`*`, `prefix*`, exact).
fn glob_covers(d: &str, a: &str) -> bool {
    match d.strip_suffix('*') {
        Some(prefix) => a.starts_with(prefix),
        None => d == a,
    }
}

fn resource_covers(d: &str, a: &str) -> bool {
    if d == "*" {
        return true;
    }
    if a == "*" {
        return false;
    }
    let (dr, dg, ds) = split_resource(d);
    let (ar, ag, asub) = split_resource(a);
    glob_covers(dr, ar)
        && match (dg, ag) {
            (None, _) => true,
            (Some(d), Some(a)) => glob_covers(d, a),
            (Some(_), None) => false,
        }
        && match (ds, asub) {
            (None, _) => true,
            (Some(d), Some(a)) => glob_covers(d, a),
            (Some(_), None) => false,
        }
}

/// Every pattern of `a` is covered by one of `d`; an empty list is "anything".
fn list_covers(d: &[String], a: &[String], f: impl Fn(&str, &str) -> bool) -> bool {
    d.is_empty() || (!a.is_empty() && a.iter().all(|x| d.iter().any(|y| f(y, x))))
}

/// Whether deny rule `d` matches every request allow rule `a` matches.
pub fn covers(d: &Rule, a: &Rule) -> bool {
    let verb = |y: &str, x: &str| y == "*" || y == x;
    list_covers(&d.verbs, &a.verbs, verb)
        && list_covers(&d.resources, &a.resources, resource_covers)
        && list_covers(&d.namespaces, &a.namespaces, glob_covers)
        && list_covers(&d.names, &a.names, glob_covers)
        && list_covers(&d.plugins, &a.plugins, glob_covers)
        && list_covers(&d.tools, &a.tools, glob_covers)
        && list_covers(&d.identities, &a.identities, glob_covers)
}

/// Lints the text of a policy file. An empty answer means clean.
pub fn lint(text: &str) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut doc: Value = if text.trim().is_empty() {
        Value::Mapping(Default::default())
    } else {
        match serde_yaml_ng::from_str(text) {
            Ok(v) => v,
            Err(e) => {
                return vec![Finding {
                    line: e.location().map(|l| l.line()),
                    message: format!("not valid YAML: {e}"),
                }];
            }
        }
    };
    let mut lines = Lines::new(text);
    walk(&mut doc, &mut lines, &mut out);
    let file: PolicyFile = match serde_yaml_ng::from_value(doc) {
        Ok(f) => f,
        Err(e) => {
            out.push(Finding {
                line: e.location().map(|l| l.line()),
                message: format!("invalid policy: {e}"),
            });
            return out;
        }
    };
    check(&file, &lines, &mut out);
    out
}

fn check(file: &PolicyFile, lines: &Lines<'_>, out: &mut Vec<Finding>) {
    for (i, r) in file.rules.iter().enumerate() {
        let label = rule_label(r, i);
        for v in &r.verbs {
            if !is_rule_verb(v) {
                out.push(Finding {
                    line: lines.value("verbs", v),
                    message: format!(
                        "rule {label}: invalid verb {v:?} (expected one of {})",
                        rule_verbs_text()
                    ),
                });
            }
        }
        if r.effect.is_none() {
            out.push(Finding {
                line: None,
                message: format!("rule {label}: missing effect (allow, confirm or deny)"),
            });
        }
        if !r.id.is_empty() && file.rules[..i].iter().any(|p| p.id == r.id) {
            out.push(Finding {
                line: lines.value("id", &r.id),
                message: format!("rule {label}: duplicate id"),
            });
        }
    }
    for (i, a) in file.rules.iter().enumerate() {
        if a.effect != Some(Effect::Allow) {
            continue;
        }
        let label = rule_label(a, i);
        if let Some((j, d)) = file
            .rules
            .iter()
            .enumerate()
            .find(|(_, d)| d.effect == Some(Effect::Deny) && covers(d, a))
        {
            out.push(Finding {
                line: None,
                message: format!(
                    "rule {label}: unreachable allow: deny rule {} matches everything it matches, and deny wins",
                    rule_label(d, j)
                ),
            });
        }
        let read_only = file.mode == Some(Mode::ReadOnly);
        let writes_only = !a.verbs.is_empty()
            && a.verbs
                .iter()
                .all(|v| !matches!(v.as_str(), "get" | "list" | "*"));
        if read_only && writes_only {
            out.push(Finding {
                line: None,
                message: format!(
                    "rule {label}: unreachable allow: mode read-only refuses every verb it names"
                ),
            });
        }
        if let Some(allow) = &file.namespaces.allow {
            let outside = !a.namespaces.is_empty()
                && a.namespaces
                    .iter()
                    .all(|n| !n.contains('*') && !allow.iter().any(|p| glob(p, n)));
            if outside {
                out.push(Finding {
                    line: None,
                    message: format!(
                        "rule {label}: unreachable allow: none of its namespaces is in namespaces.allow"
                    ),
                });
            }
        }
        if a.namespaces.iter().all(|n| !n.contains('*'))
            && !a.namespaces.is_empty()
            && a.namespaces
                .iter()
                .all(|n| file.namespaces.deny.iter().any(|p| glob(p, n)))
        {
            out.push(Finding {
                line: None,
                message: format!(
                    "rule {label}: unreachable allow: all its namespaces are in namespaces.deny"
                ),
            });
        }
    }
    for (family, rules) in &file.regex_rules {
        for (i, r) in rules.iter().enumerate() {
            if let Err(e) = regex::Regex::new(&r.pattern) {
                out.push(Finding {
                    line: lines.value_key("regex_rules"),
                    message: format!(
                        "regex_rules.{family}[{i}]: invalid pattern {:?}: {e}",
                        r.pattern
                    ),
                });
            }
        }
    }
    for (family, safe) in &file.safe_patterns {
        let dangerous = file.dangerous_commands.get(family);
        for p in safe {
            let p = super::file::normalize_spaces(p);
            if !dangerous
                .into_iter()
                .flatten()
                .any(|d| super::file::prefix_matches(&super::file::normalize_spaces(d), &p))
            {
                out.push(Finding {
                    line: lines.value_key("safe_patterns"),
                    message: format!(
                        "safe_patterns.{family}: {p:?} has no effect: no dangerous_commands.{family} prefix covers it"
                    ),
                });
            }
        }
    }
    if file.mode == Some(super::Mode::Permissive) && !file.command_sections().is_empty() {
        out.push(Finding {
            line: lines.value_key("mode"),
            message: "dangerous_commands/safe_patterns/regex_rules are not enforced in permissive mode (as in the seed server)".into(),
        });
    }
}

impl Lines<'_> {
    /// The line of a top-level `key:` (not consumed).
    fn value_key(&self, key: &str) -> Option<usize> {
        self.lines
            .iter()
            .position(|l| l.split_once(':').is_some_and(|(k, _)| k == key))
            .map(|i| i + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn messages(text: &str) -> Vec<String> {
        lint(text).iter().map(|f| f.to_string()).collect()
    }

    #[test]
    fn clean_file() {
        let text = "mode: strict\nnamespaces:\n  write_deny: [kube-system]\nrules:\n  - id: a\n    effect: allow\n    verbs: [get]\n    resources: [secrets]\n";
        assert!(lint(text).is_empty(), "{:?}", lint(text));
        assert!(lint("").is_empty());
    }

    #[test]
    fn unknown_keys_with_lines() {
        let text = "mode: strict\nrulez: []\nnamespaces:\n  alow: [a]\nrules:\n  - id: a\n    effect: deny\n    verb: [get]\n";
        let m = messages(text);
        assert!(
            m.iter()
                .any(|s| s.starts_with("line 2: unknown key \"rulez\"")),
            "{m:?}"
        );
        assert!(
            m.iter()
                .any(|s| s.starts_with("line 4: unknown key \"alow\" in namespaces")),
            "{m:?}"
        );
        assert!(
            m.iter()
                .any(|s| s.starts_with("line 8: unknown key \"verb\" in rules[0]")),
            "{m:?}"
        );
    }

    #[test]
    fn invalid_verbs_modes_effects() {
        let text = "mode: lax\nrules:\n  - id: a\n    effect: maybe\n  - id: b\n    effect: deny\n    verbs: [get, watch]\n";
        let m = messages(text);
        assert!(
            m.iter()
                .any(|s| s.starts_with("line 1: invalid mode \"lax\"")),
            "{m:?}"
        );
        assert!(
            m.iter()
                .any(|s| s.starts_with("line 4: rules[0]: invalid effect \"maybe\"")),
            "{m:?}"
        );
        assert!(
            m.iter()
                .any(|s| s.starts_with("line 7: rule b: invalid verb \"watch\"")),
            "{m:?}"
        );
        assert!(
            m.iter().any(|s| s.contains("rule a: missing effect")),
            "{m:?}"
        );
    }

    #[test]
    fn unreachable_and_duplicate_rules() {
        let text = r#"
mode: read-only
namespaces: {allow: [demo], deny: [prod]}
rules:
  - {id: d, effect: deny, verbs: [delete], resources: [deployments]}
  - {id: covered, effect: allow, verbs: [delete], resources: [deployments.apps], namespaces: [demo]}
  - {id: partly, effect: allow, verbs: [delete, get], resources: [deployments.apps]}
  - {id: writes, effect: allow, verbs: [patch]}
  - {id: elsewhere, effect: allow, verbs: [get], namespaces: [other]}
  - {id: prod, effect: allow, verbs: [get], namespaces: [prod, demo]}
  - {id: d, effect: deny, verbs: [get], names: [x]}
"#;
        let m = messages(text);
        assert!(
            m.iter()
                .any(|s| s.contains("rule covered: unreachable allow: deny rule d")),
            "{m:?}"
        );
        assert!(!m.iter().any(|s| s.contains("rule partly")), "{m:?}");
        assert!(
            m.iter()
                .any(|s| s.contains("rule writes: unreachable allow: mode read-only")),
            "{m:?}"
        );
        assert!(
            m.iter()
                .any(|s| s.contains("rule elsewhere: unreachable allow: none of its namespaces")),
            "{m:?}"
        );
        assert!(!m.iter().any(|s| s.contains("rule prod")), "{m:?}");
        assert!(
            m.iter().any(|s| s.contains("rule d: duplicate id")),
            "{m:?}"
        );
    }

    #[test]
    fn seed_command_sections_are_checked() {
        let text = "dangerous_commands:\n  kubectl:\n    - \"kubectl delete\"\nregex_rules:\n  kubectl:\n    - pattern: \"x(\"\n      description: d\n      error_message: e\n      severity: high\nsafe_patterns:\n  kubectl: [\"kubectl get pod\"]\n";
        let m = messages(text);
        assert!(
            m.iter()
                .any(|s| s.starts_with("line 4: regex_rules.kubectl[0]: invalid pattern \"x(\"")),
            "{m:?}"
        );
        assert!(
            m.iter().any(|s| s
                .starts_with("line 10: safe_patterns.kubectl: \"kubectl get pod\" has no effect")),
            "{m:?}"
        );
        assert!(
            m.iter().any(
                |s| s.starts_with("line 9: unknown key \"severity\" in regex_rules.kubectl[0]")
            ),
            "{m:?}"
        );
    }

    #[test]
    fn yaml_syntax_error_has_a_line() {
        let f = lint("mode: strict\nrules: [\n");
        assert_eq!(f.len(), 1);
        assert!(f[0].line.is_some(), "{f:?}");
    }
}
