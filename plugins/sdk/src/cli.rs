//! A cobra/pflag command-line parser and flag help, as kubectl, helm, istioctl and argocd
//! (all cobra CLIs) read their command lines. A plugin describes its CLI once as a [`Cli`]
//! (program name, flag table, refused flags) and parses words with it.
//!
//! Parsing follows spf13/pflag as cobra configures it:
//!
//! * long flags `--flag=value` and `--flag value`; a flag with an optional value (a boolean,
//!   or kubectl's `--dry-run`) only takes a value after `=`;
//! * short flags `-n ns`, `-nns`, `-n=ns`, and clusters of boolean short flags (`-Aw`), where
//!   the first flag that takes a value swallows the rest of the cluster;
//! * `_` in a long flag name is read as `-` (kubectl's `WordSepNormalizeFunc`): `--all_namespaces`
//!   is `--all-namespaces`;
//! * flags may come before or after the subcommand and between arguments; `--` ends the flags
//!   and everything after it is an argument, even words that start with `-`; a lone `-` is an
//!   argument;
//! * boolean values are read as Go's `strconv.ParseBool` reads them.
//!
//! Flags in [`Cli::forbidden_long`] / [`Cli::forbidden_short`] (for kubectl: the ones that
//! choose the server, the credentials or the identity) are refused wherever they appear,
//! including inside a cluster of short flags and when spelled with `_`, before anything else
//! is looked at. Any other flag that is not in the subcommand's table is refused as unknown,
//! as cobra does.

use std::fmt;

/// Why a command line does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliError(pub String);

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How a flag takes its value (pflag's `NoOptDefVal`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arity {
    /// A boolean: `--flag`, `--flag=false`, `-f`; never takes the next word.
    Bool,
    /// Needs a value: `--flag v`, `--flag=v`, `-f v`, `-fv`, `-f=v`.
    Value,
    /// A value only after `=`; alone it means the given default (kubectl's `--dry-run`).
    Optional(&'static str),
}

/// One flag of a command line.
#[derive(Debug)]
pub struct FlagSpec {
    /// Long name, without `--`.
    pub long: &'static str,
    /// Shorthand, without `-`.
    pub short: Option<char>,
    /// How it takes its value.
    pub arity: Arity,
    /// Subcommands that take the flag; empty for global flags.
    pub subs: &'static [&'static str],
    /// One line for the help text.
    pub help: &'static str,
}

/// A [`FlagSpec`] in one line, for flag tables.
pub const fn flag(
    long: &'static str,
    short: Option<char>,
    arity: Arity,
    subs: &'static [&'static str],
    help: &'static str,
) -> FlagSpec {
    FlagSpec {
        long,
        short,
        arity,
        subs,
        help,
    }
}

use Arity::{Bool, Optional, Value};

/// A cobra CLI's grammar: its name, its flags and the flags it refuses.
#[derive(Debug)]
pub struct Cli {
    /// The program, e.g. `kubectl`: an optional leading word, and the name in messages.
    pub program: &'static str,
    /// Every flag the plugin understands.
    pub flags: &'static [FlagSpec],
    /// Long flags refused wherever they appear (by normalized name).
    pub forbidden_long: &'static [&'static str],
    /// Short flags refused wherever pflag would read them as flags, with their long name.
    pub forbidden_short: &'static [(char, &'static str)],
    /// Why forbidden flags are refused, e.g. `the server, credentials and identity are fixed
    /// by the operator`.
    pub forbidden_reason: &'static str,
}

/// A parsed command line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parsed {
    /// The subcommand (first argument), empty when there is none.
    pub sub: String,
    /// The arguments after the subcommand, in order.
    pub args: Vec<String>,
    /// Flags as (long name, value) in order; booleans have the value `true` or `false`.
    pub flags: Vec<(&'static str, String)>,
}

impl Parsed {
    /// The last value given for `long`, as pflag keeps it.
    pub fn value(&self, long: &str) -> Option<&str> {
        self.flags
            .iter()
            .rev()
            .find(|(n, _)| *n == long)
            .map(|(_, v)| v.as_str())
    }

    /// Whether the flag was given at all.
    pub fn given(&self, long: &str) -> bool {
        self.flags.iter().any(|(n, _)| *n == long)
    }

    /// A boolean flag's value (`false` when absent).
    pub fn bool(&self, long: &str) -> bool {
        self.value(long) == Some("true")
    }

    /// The namespace given with `-n`, if any.
    pub fn namespace(&self) -> Option<&str> {
        self.value("namespace")
    }
}

/// Go's `strconv.ParseBool`, which pflag uses for boolean flags.
pub fn parse_bool(v: &str) -> Option<bool> {
    match v {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}

/// pflag's flag-name normalization as kubectl configures it: `_` is read as `-`.
pub fn normalize(name: &str) -> String {
    name.replace('_', "-")
}

/// A help topic: what a subcommand does, how it is called, notes; [`Cli::help`] adds its
/// flags.
#[derive(Debug)]
pub struct Topic {
    /// The subcommand.
    pub name: &'static str,
    /// One sentence.
    pub summary: &'static str,
    /// Usage lines.
    pub usage: &'static [&'static str],
    /// A paragraph after the usage (may be empty).
    pub notes: &'static str,
}

impl Cli {
    fn forbidden(&self, name: &str) -> CliError {
        CliError(format!(
            "flag --{name} is not allowed: {}",
            self.forbidden_reason
        ))
    }

    fn forbidden_short_error(&self, c: char, long: &str) -> CliError {
        CliError(format!(
            "flag -{c} (--{long}) is not allowed: {}",
            self.forbidden_reason
        ))
    }

    /// Whether `long` (normalized) names a forbidden flag.
    pub fn is_forbidden(&self, long: &str) -> bool {
        self.forbidden_long.contains(&long)
    }

    /// The flags `sub` accepts: the global ones and its own.
    pub fn flags_for<'a>(&'a self, sub: &'a str) -> impl Iterator<Item = &'static FlagSpec> + 'a {
        self.flags
            .iter()
            .filter(move |f| f.subs.is_empty() || f.subs.contains(&sub))
    }

    /// Strips a leading program word (`kubectl`).
    pub fn strip_program<'w>(&self, words: &'w [String]) -> &'w [String] {
        match words.first() {
            Some(w) if w == self.program => &words[1..],
            _ => words,
        }
    }

    /// Refuses forbidden flags anywhere before `--`, before the subcommand is even known.
    ///
    /// Long flags are checked by their normalized name. In a cluster of short flags each
    /// character is read as a flag until one that takes a value for every subcommand that knows
    /// it (`-n`, `-o`, `-l`, ...) swallows the rest; unknown and ambiguous characters (`-f` is
    /// `--follow` for `logs`) are read as flags, so `-Ashttp://x` and `-fs` are refused.
    pub fn check_forbidden(&self, words: &[String]) -> Result<(), CliError> {
        let always_value = |c: char| {
            self.flags.iter().any(|f| f.short == Some(c))
                && self
                    .flags
                    .iter()
                    .filter(|f| f.short == Some(c))
                    .all(|f| f.arity == Value)
        };
        for w in words {
            if w == "--" {
                break;
            }
            if let Some(body) = w.strip_prefix("--") {
                let name = normalize(body.split_once('=').map_or(body, |(n, _)| n));
                if self.is_forbidden(&name) {
                    return Err(self.forbidden(&name));
                }
            } else if let Some(shorts) = w.strip_prefix('-') {
                for c in shorts.chars() {
                    if c == '=' {
                        break;
                    }
                    if let Some((_, long)) = self.forbidden_short.iter().find(|(s, _)| *s == c) {
                        return Err(self.forbidden_short_error(c, long));
                    }
                    if always_value(c) {
                        break;
                    }
                }
            }
        }
        Ok(())
    }

    /// Finds the subcommand: the first word that is not a flag or a flag's value. Value-taking
    /// is judged from all flags (a short flag that is a boolean for one subcommand and takes a
    /// value for another counts as taking a value); the real parse, with the subcommand's
    /// table, checks every word afterwards.
    pub fn find_subcommand(&self, words: &[String]) -> Option<String> {
        let takes_value_long = |name: &str| {
            self.flags
                .iter()
                .any(|f| f.long == name && f.arity == Value)
        };
        let takes_value_short = |c: char| {
            self.flags
                .iter()
                .any(|f| f.short == Some(c) && f.arity == Value)
        };
        let mut i = 0;
        while i < words.len() {
            let w = &words[i];
            if w == "--" {
                return words.get(i + 1).cloned();
            }
            if let Some(long) = w.strip_prefix("--") {
                if !long.contains('=') && takes_value_long(&normalize(long)) {
                    i += 1;
                }
            } else if let Some(shorts) = w.strip_prefix('-').filter(|s| !s.is_empty()) {
                let chars: Vec<char> = shorts.chars().collect();
                for (k, &c) in chars.iter().enumerate() {
                    if takes_value_short(c) {
                        if k + 1 == chars.len() {
                            i += 1;
                        }
                        break;
                    }
                }
            } else {
                return Some(w.clone());
            }
            i += 1;
        }
        None
    }

    /// Parses `words` (after the program name) with the flags of subcommand `sub` (see the
    /// module documentation for the grammar). The first argument must be `sub`.
    pub fn parse_with(&self, words: &[String], sub: &str) -> Result<Parsed, CliError> {
        let mut out = Parsed {
            sub: sub.to_string(),
            ..Parsed::default()
        };
        let mut positionals: Vec<String> = Vec::new();
        let lookup_long = |name: &str| self.flags_for(sub).find(|f| f.long == name);
        let lookup_short = |c: char| self.flags_for(sub).find(|f| f.short == Some(c));
        let mut i = 0;
        while i < words.len() {
            let w = &words[i];
            i += 1;
            if w == "--" {
                positionals.extend(words[i..].iter().cloned());
                break;
            }
            if let Some(body) = w.strip_prefix("--") {
                if body.is_empty() || body.starts_with('-') || body.starts_with('=') {
                    return Err(CliError(format!("bad flag syntax: {w}")));
                }
                let (raw_name, inline) = match body.split_once('=') {
                    Some((n, v)) => (n, Some(v.to_string())),
                    None => (body, None),
                };
                let name = normalize(raw_name);
                if self.is_forbidden(&name) {
                    return Err(self.forbidden(&name));
                }
                let Some(spec) = lookup_long(&name) else {
                    return Err(self.unknown_long(&name, sub));
                };
                let value = match (spec.arity, inline) {
                    (_, Some(v)) => v,
                    (Bool, None) => "true".into(),
                    (Optional(d), None) => d.into(),
                    (Value, None) => match words.get(i) {
                        Some(v) => {
                            i += 1;
                            v.clone()
                        }
                        None => {
                            return Err(CliError(format!(
                                "flag needs an argument: --{}",
                                spec.long
                            )));
                        }
                    },
                };
                out.flags.push((spec.long, check_value(spec, value)?));
            } else if let Some(shorts) = w.strip_prefix('-').filter(|s| !s.is_empty()) {
                // Shorthands are read in pflag's order: booleans, then at most one flag that
                // takes the rest of the cluster (or the next word) as its value. A forbidden
                // shorthand is refused wherever pflag would read it as a flag (`-Ashttp://x`
                // is `-A -s http://x`); text swallowed as a value (`-nsystem`) is a value.
                let chars: Vec<char> = shorts.chars().collect();
                let mut k = 0;
                while k < chars.len() {
                    let c = chars[k];
                    if let Some((_, long)) = self.forbidden_short.iter().find(|(s, _)| *s == c) {
                        return Err(self.forbidden_short_error(c, long));
                    }
                    let Some(spec) = lookup_short(c) else {
                        return Err(CliError(format!(
                            "unknown shorthand flag: '{c}' in -{shorts}{}",
                            self.sub_hint(sub)
                        )));
                    };
                    let rest: String = chars[k + 1..].iter().collect();
                    let (value, consumed_rest) =
                        if let Some(v) = rest.strip_prefix('=').filter(|_| rest.len() > 1) {
                            (v.to_string(), true)
                        } else {
                            match spec.arity {
                                Bool => ("true".to_string(), false),
                                Optional(d) => (d.to_string(), false),
                                Value if !rest.is_empty() => (rest.clone(), true),
                                Value => match words.get(i) {
                                    Some(v) => {
                                        i += 1;
                                        (v.clone(), true)
                                    }
                                    None => {
                                        return Err(CliError(format!(
                                            "flag needs an argument: '{c}' in -{shorts}"
                                        )));
                                    }
                                },
                            }
                        };
                    out.flags.push((spec.long, check_value(spec, value)?));
                    if consumed_rest {
                        break;
                    }
                    k += 1;
                }
            } else {
                positionals.push(w.clone());
            }
        }
        let mut pos = positionals.into_iter();
        match pos.next() {
            Some(first) if first == sub => {}
            Some(first) if sub.is_empty() => out.sub = first,
            Some(first) => {
                return Err(CliError(format!(
                    "expected subcommand {sub:?}, found {first:?}"
                )));
            }
            None if sub.is_empty() => {}
            None => return Err(CliError(format!("missing subcommand {sub:?}"))),
        }
        out.args = pos.collect();
        Ok(out)
    }

    /// Parses a whole command line: strips the program word, refuses forbidden flags, finds
    /// the subcommand and parses the flags it takes. `help`, `--help` or `-h` anywhere are
    /// reported through `Parsed`.
    pub fn parse(&self, words: &[String]) -> Result<Parsed, CliError> {
        let words = self.strip_program(words);
        self.check_forbidden(words)?;
        let sub = self.find_subcommand(words).unwrap_or_default();
        self.parse_with(words, &sub)
    }

    fn sub_hint(&self, sub: &str) -> String {
        if sub.is_empty() {
            String::new()
        } else {
            format!(
                " (see `{} {sub} --help` for the supported flags)",
                self.program
            )
        }
    }

    fn unknown_long(&self, name: &str, sub: &str) -> CliError {
        if self.flags.iter().any(|f| f.long == name) {
            CliError(format!(
                "unknown flag: --{name}: {} {sub} does not take it{}",
                self.program,
                self.sub_hint(sub)
            ))
        } else {
            CliError(format!("unknown flag: --{name}{}", self.sub_hint(sub)))
        }
    }

    /// The flags of `sub`, one per line: `    -n, --namespace=VALUE: help`.
    pub fn flag_help(&self, sub: &str) -> String {
        let mut out = String::new();
        for f in self.flags_for(sub) {
            let name = match f.short {
                Some(c) => format!("-{c}, --{}", f.long),
                None => format!("    --{}", f.long),
            };
            let value = match f.arity {
                Arity::Bool => String::new(),
                Arity::Value => "=VALUE".into(),
                Arity::Optional(_) => "[=VALUE]".into(),
            };
            out.push_str(&format!("    {name}{value}: {}\n", f.help));
        }
        out
    }

    /// A subcommand's help: summary, usage lines, notes and its flags ([`Cli::flag_help`]).
    pub fn help(&self, t: &Topic) -> String {
        let mut s = format!("{}\n\nUsage:\n", t.summary);
        for u in t.usage {
            s.push_str(&format!("  {u}\n"));
        }
        if !t.notes.is_empty() {
            s.push_str(&format!("\n{}\n", t.notes));
        }
        s.push_str("\nFlags:\n");
        s.push_str(&self.flag_help(t.name));
        s
    }
}

fn check_value(spec: &FlagSpec, value: String) -> Result<String, CliError> {
    let is_bool = matches!(spec.arity, Bool) || matches!(spec.arity, Optional("true"));
    if is_bool {
        return match parse_bool(&value) {
            Some(b) => Ok(b.to_string()),
            None => Err(CliError(format!(
                "invalid argument {value:?} for --{} flag: it takes true or false",
                spec.long
            ))),
        };
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    static FLAGS: &[FlagSpec] = &[
        flag("namespace", Some('n'), Value, &[], "Namespace."),
        flag("all", Some('a'), Bool, &["list"], "All."),
        flag(
            "dry-run",
            None,
            Optional("client"),
            &["install"],
            "Dry run.",
        ),
    ];
    static CLI: Cli = Cli {
        program: "helm",
        flags: FLAGS,
        forbidden_long: &["kube-token"],
        forbidden_short: &[],
        forbidden_reason: "the operator fixes it",
    };

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn a_generic_cli() {
        let p = CLI.parse(&words("helm list -an x extra")).unwrap();
        assert_eq!(p.sub, "list");
        assert_eq!(p.args, ["extra"]);
        assert!(p.bool("all"));
        assert_eq!(p.namespace(), Some("x"));
        let p = CLI.parse(&words("install web --dry-run")).unwrap();
        assert_eq!(p.value("dry-run"), Some("client"));
        assert_eq!(
            CLI.parse(&words("install --all")).unwrap_err().0,
            "unknown flag: --all: helm install does not take it (see `helm install --help` for the supported flags)"
        );
        assert_eq!(
            CLI.parse(&words("list --kube_token=x")).unwrap_err().0,
            "flag --kube-token is not allowed: the operator fixes it"
        );
        let help = CLI.help(&Topic {
            name: "list",
            summary: "Lists releases.",
            usage: &["helm list [-a]"],
            notes: "",
        });
        assert_eq!(
            help,
            "Lists releases.\n\nUsage:\n  helm list [-a]\n\nFlags:\n    -n, --namespace=VALUE: Namespace.\n    -a, --all: All.\n"
        );
    }
}
