//! kubectl's command-line grammar: which flags each subcommand takes, which take values, and
//! the flags the operator fixes. The parser is the SDK's pflag parser ([`kap_sdk::cli`], whose
//! module documentation gives the grammar); this module holds the [`KUBECTL`] grammar, with
//! the SDK's functions bound to it. The flags are defined in [`crate::flags`]; a flag is taken
//! by every subcommand when it is global ([`GLOBAL`]), else by the subcommands whose
//! [`crate::registry`] entry names it.
//!
//! Flags that choose the server, the credentials or the identity (`--server`/`-s`,
//! `--token`, `--kubeconfig`, `--context`, `--as`, ...) are refused wherever they appear,
//! including inside a cluster of short flags and when spelled with `_`, before anything else is
//! looked at: the operator fixes those, not the caller. Any other flag that is not in the
//! subcommand's table is refused as unknown, as kubectl does.

use std::sync::LazyLock;

pub use crate::flags::{FLAGS, GLOBAL};
use kap_sdk::cli::Cli;
pub use kap_sdk::cli::{Arity, CliError, FlagSpec, Parsed, normalize, parse_bool};

use crate::registry::SUBCOMMANDS;

/// Flags that select the server, the credentials or the identity. kubectl knows them as
/// global flags; here they are refused: the operator fixes all three.
pub const FORBIDDEN_LONG: &[&str] = &[
    "server",
    "token",
    "kubeconfig",
    "context",
    "cluster",
    "user",
    "username",
    "password",
    "as",
    "as-group",
    "as-uid",
    "as-user-extra",
    "certificate-authority",
    "client-certificate",
    "client-key",
    "insecure-skip-tls-verify",
    "tls-server-name",
    "cache-dir",
    "profile",
    "profile-output",
    "kube-config",
    "token-file",
    "disable-compression",
];

/// Short flags with the same effect (`-s` is `--server`).
pub const FORBIDDEN_SHORT: &[(char, &str)] = &[('s', "server")];

/// The subcommands that take each flag of [`FLAGS`], in the same order: none for a global
/// flag (taken by all), else the registry entries that name it.
static SUBS: LazyLock<Vec<Vec<&'static str>>> = LazyLock::new(|| {
    FLAGS
        .iter()
        .map(|f| {
            if GLOBAL.contains(&f.long) {
                return Vec::new();
            }
            SUBCOMMANDS
                .iter()
                .filter(|s| s.flags.contains(&f.long))
                .map(|s| s.name)
                .collect()
        })
        .collect()
});

/// kubectl's flag table: [`FLAGS`] in order, each with the subcommands that take it
/// ([`SUBS`]). A flag that is not global and that no subcommand takes is left out (it would
/// otherwise read as global).
static TABLE: LazyLock<Vec<FlagSpec>> = LazyLock::new(|| {
    FLAGS
        .iter()
        .zip(SUBS.iter())
        .filter(|(f, subs)| GLOBAL.contains(&f.long) || !subs.is_empty())
        .map(|(f, subs)| FlagSpec {
            long: f.long,
            short: f.short,
            arity: f.arity,
            subs,
            help: f.help,
        })
        .collect()
});

/// kubectl's grammar: the flags of [`FLAGS`], in that order, each taken by every subcommand
/// ([`GLOBAL`]) or by the [`crate::registry`] entries that name it, and the forbidden flags.
pub static KUBECTL: LazyLock<Cli> = LazyLock::new(|| Cli {
    program: "kubectl",
    flags: TABLE.as_slice(),
    forbidden_long: FORBIDDEN_LONG,
    forbidden_short: FORBIDDEN_SHORT,
    forbidden_reason: "the server, credentials and identity are fixed by the operator",
});

/// Whether `long` (normalized) names a forbidden flag.
pub fn is_forbidden(long: &str) -> bool {
    KUBECTL.is_forbidden(long)
}

/// The flags `sub` accepts: the global ones and its own.
pub fn flags_for(sub: &str) -> impl Iterator<Item = &'static FlagSpec> + '_ {
    KUBECTL.flags_for(sub)
}

/// Strips a leading `kubectl` word.
pub fn strip_kubectl(words: &[String]) -> &[String] {
    KUBECTL.strip_program(words)
}

/// Refuses forbidden flags anywhere before `--` ([`Cli::check_forbidden`]).
pub fn check_forbidden(words: &[String]) -> Result<(), CliError> {
    KUBECTL.check_forbidden(words)
}

/// Finds the subcommand ([`Cli::find_subcommand`]).
pub fn find_subcommand(words: &[String]) -> Option<String> {
    KUBECTL.find_subcommand(words)
}

/// Parses `words` (after `kubectl`) with the flags of subcommand `sub`
/// ([`Cli::parse_with`]).
pub fn parse_with(words: &[String], sub: &str) -> Result<Parsed, CliError> {
    KUBECTL.parse_with(words, sub)
}

/// Parses a whole command line ([`Cli::parse`]).
pub fn parse(words: &[String]) -> Result<Parsed, CliError> {
    KUBECTL.parse(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(line: &str) -> Result<Parsed, CliError> {
        let words = kap_sdk::shell::tokenize(line).expect("tokenize");
        parse(&words)
    }

    fn ok(line: &str) -> Parsed {
        p(line).unwrap_or_else(|e| panic!("{line:?}: {e}"))
    }

    fn err(line: &str) -> String {
        match p(line) {
            Ok(v) => panic!("{line:?} should fail, got {v:?}"),
            Err(e) => e.0,
        }
    }

    #[test]
    fn strips_kubectl_and_finds_subcommand() {
        let a = ok("kubectl get pods");
        assert_eq!(a.sub, "get");
        assert_eq!(a.args, ["pods"]);
        assert_eq!(ok("get pods").sub, "get");
        assert_eq!(ok("").sub, "");
    }

    #[test]
    fn namespace_spellings() {
        for line in [
            "get pods -n kube-system",
            "get pods -nkube-system",
            "get pods -n=kube-system",
            "get pods --namespace kube-system",
            "get pods --namespace=kube-system",
            "-n kube-system get pods",
            "--namespace=kube-system get pods",
            "kubectl -n kube-system get pods",
        ] {
            let a = ok(line);
            assert_eq!(a.namespace(), Some("kube-system"), "{line}");
            assert_eq!(a.sub, "get", "{line}");
            assert_eq!(a.args, ["pods"], "{line}");
        }
    }

    #[test]
    fn boolean_clusters() {
        let a = ok("get pods -Aw");
        assert!(a.bool("all-namespaces"));
        assert!(a.bool("watch"));
        let a = ok("get pods -An kube-system");
        assert!(a.bool("all-namespaces"));
        assert_eq!(a.namespace(), Some("kube-system"));
        let a = ok("get pods -nsystem");
        assert_eq!(a.namespace(), Some("system"));
        assert!(err("get pods -An").contains("flag needs an argument"));
    }

    #[test]
    fn cluster_with_value_at_end() {
        let a = ok("get pods -Ao wide");
        assert!(a.bool("all-namespaces"));
        assert_eq!(a.value("output"), Some("wide"));
        let a = ok("get pods -Aowide");
        assert_eq!(a.value("output"), Some("wide"));
        let a = ok("get pods -A=false");
        assert!(!a.bool("all-namespaces"));
    }

    #[test]
    fn underscores_are_normalized() {
        let a = ok("get pods --all_namespaces");
        assert!(a.bool("all-namespaces"));
        let a = ok("get pods --field_selector=status.phase=Running");
        assert_eq!(a.value("field-selector"), Some("status.phase=Running"));
    }

    #[test]
    fn forbidden_flags() {
        let e = err("get pods --server=x");
        assert_eq!(
            e,
            "flag --server is not allowed: the server, credentials and identity are fixed by the operator"
        );
        assert!(err("get pods --server x").contains("--server is not allowed"));
        assert!(err("get pods --token abc").contains("--token is not allowed"));
        assert!(err("--kubeconfig=/etc/x get pods").contains("--kubeconfig"));
        assert!(err("get pods --kube_config=x").contains("--kube-config is not allowed"));
        assert!(err("get pods --as_group=x").contains("--as-group is not allowed"));
        assert!(err("get pods --insecure_skip_tls_verify").contains("not allowed"));
        assert!(err("get pods --context=prod").contains("--context"));
        assert!(err("get pods --as=admin").contains("--as is not allowed"));
        assert!(err("get pods --as-uid=1").contains("--as-uid"));
        assert!(err("get pods --user u").contains("--user"));
        assert!(err("get pods --cluster c").contains("--cluster"));
        assert!(err("get pods --certificate-authority=x").contains("not allowed"));
        assert!(err("get pods --client-key=x").contains("not allowed"));
        assert!(err("get pods --client-certificate=x").contains("not allowed"));
        assert!(err("get pods --tls-server-name=x").contains("not allowed"));
        assert!(err("get pods --cache-dir=x").contains("not allowed"));
        assert!(err("get pods --profile=cpu").contains("not allowed"));
        assert!(err("get pods --password=x").contains("not allowed"));
        assert!(err("get pods --username=x").contains("not allowed"));
        assert!(err("get pods --as-user-extra=a=b").contains("not allowed"));
    }

    #[test]
    fn forbidden_short_flags_in_clusters() {
        assert!(err("-Ashttp://evil get pods").contains("-s (--server) is not allowed"));
        assert!(err("get pods -s http://evil").contains("-s (--server)"));
        assert!(err("get pods -shttp://evil").contains("-s (--server)"));
        assert!(err("get pods -As=http://evil").contains("-s (--server)"));
        assert!(err("get pods -wAs").contains("-s (--server)"));
        assert!(err("logs -fs x web").contains("-s (--server)"));
        assert!(err("-zs x get pods").contains("-s (--server)"));
        assert!(err("get pods --as_user_extra=x").contains("--as-user-extra"));
        // A value swallowed by a value-taking shorthand is a value.
        assert_eq!(ok("get pods -nsystem").namespace(), Some("system"));
        assert_eq!(ok("get pods -l=s").value("selector"), Some("s"));
    }

    #[test]
    fn forbidden_flags_after_double_dash_are_arguments() {
        let a = ok("get pods -- --server=x");
        assert_eq!(a.args, ["pods", "--server=x"]);
    }

    #[test]
    fn unknown_flags() {
        assert!(err("get pods --foo").contains("unknown flag: --foo"));
        assert!(err("get pods --replicas=3").contains("kubectl get does not take it"));
        assert!(err("get pods -z").contains("unknown shorthand flag: 'z' in -z"));
        assert!(err("get pods ---x").contains("bad flag syntax"));
        assert!(err("get pods --=x").contains("bad flag syntax"));
    }

    #[test]
    fn missing_values() {
        assert!(err("get pods -n").contains("flag needs an argument"));
        assert!(err("get pods --namespace").contains("flag needs an argument: --namespace"));
    }

    #[test]
    fn value_flags_take_the_next_word_even_with_a_dash() {
        let a = ok("logs web --tail -1");
        assert_eq!(a.value("tail"), Some("-1"));
        assert_eq!(a.args, ["web"]);
    }

    #[test]
    fn double_dash_ends_flags() {
        let a = ok("get pods -- -weird-name");
        assert_eq!(a.args, ["pods", "-weird-name"]);
        let a = ok("delete pod - ");
        assert_eq!(a.args, ["pod", "-"]);
    }

    #[test]
    fn per_subcommand_short_meanings() {
        let a = ok("logs -f web");
        assert!(a.bool("follow"));
        assert_eq!(a.args, ["web"]);
        let a = ok("apply -f -");
        assert_eq!(a.value("filename"), Some("-"));
        let a = ok("logs web -p -c app");
        assert!(a.bool("previous"));
        assert_eq!(a.value("container"), Some("app"));
    }

    #[test]
    fn optional_values() {
        let a = ok("delete pod x --dry-run=server");
        assert_eq!(a.value("dry-run"), Some("server"));
        let a = ok("delete pod x --dry-run");
        assert_eq!(a.value("dry-run"), Some("unchanged"));
        let a = ok("api-resources --namespaced=false");
        assert!(!a.bool("namespaced"));
        assert!(a.given("namespaced"));
        assert!(err("api-resources --namespaced=maybe").contains("takes true or false"));
        assert!(err("get pods -A=maybe").contains("takes true or false"));
    }

    #[test]
    fn quoted_selectors() {
        let a = ok("get pods -l 'app in (a,b)'");
        assert_eq!(a.value("selector"), Some("app in (a,b)"));
    }

    #[test]
    fn flags_between_arguments() {
        let a = ok("get -n x pods web -o yaml");
        assert_eq!(a.args, ["pods", "web"]);
        assert_eq!(a.value("output"), Some("yaml"));
        assert_eq!(a.namespace(), Some("x"));
    }

    #[test]
    fn last_value_wins() {
        let a = ok("get pods -n a -n b");
        assert_eq!(a.namespace(), Some("b"));
    }

    #[test]
    fn help_flag() {
        assert!(ok("get --help").bool("help"));
        assert!(ok("get -h").bool("help"));
        assert!(ok("--help").bool("help"));
    }

    #[test]
    fn every_flag_in_the_table_is_well_formed() {
        for f in FLAGS {
            assert!(!is_forbidden(f.long), "{}", f.long);
            assert!(!f.long.contains('_'));
            if let Some(c) = f.short {
                assert!(!FORBIDDEN_SHORT.iter().any(|(s, _)| *s == c));
            }
        }
        // No subcommand has two flags with the same shorthand or name.
        for sub in [
            "get",
            "describe",
            "logs",
            "events",
            "scale",
            "delete",
            "apply",
            "rollout",
            "api-resources",
            "version",
            "auth",
            "create",
            "patch",
            "label",
            "annotate",
            "set",
            "expose",
            "autoscale",
            "cordon",
            "uncordon",
            "drain",
            "cluster-info",
            "config",
            "wait",
            "top",
            "explain",
            "",
        ] {
            let fl: Vec<_> = flags_for(sub).collect();
            for (i, a) in fl.iter().enumerate() {
                for b in &fl[i + 1..] {
                    assert_ne!(a.long, b.long, "{sub}");
                    if a.short.is_some() {
                        assert_ne!(a.short, b.short, "{sub}: {} {}", a.long, b.long);
                    }
                }
            }
        }
    }
}
