//! kubectl's command-line grammar: which flags exist, which take values, and the flags the
//! operator fixes. The parser is the SDK's pflag parser ([`kap_sdk::cli`], whose module
//! documentation gives the grammar); this module holds kubectl's tables and the [`KUBECTL`]
//! grammar, with the SDK's functions bound to it.
//!
//! Flags that choose the server, the credentials or the identity (`--server`/`-s`,
//! `--token`, `--kubeconfig`, `--context`, `--as`, ...) are refused wherever they appear,
//! including inside a cluster of short flags and when spelled with `_`, before anything else is
//! looked at: the operator fixes those, not the caller. Any other flag that is not in the
//! subcommand's table is refused as unknown, as kubectl does.

pub use kap_sdk::cli::{Arity, CliError, FlagSpec, Parsed, normalize, parse_bool};
use kap_sdk::cli::{Cli, flag};

use Arity::{Bool, Optional, Value};

/// Every flag this plugin understands (kubectl's names and shorthands).
pub static FLAGS: &[FlagSpec] = &[
    flag(
        "namespace",
        Some('n'),
        Value,
        &[],
        "If present, the namespace scope for this request.",
    ),
    flag("help", Some('h'), Bool, &[], "Help for the command."),
    flag(
        "request-timeout",
        None,
        Value,
        &[],
        "Accepted and ignored: the operator sets the time limit.",
    ),
    flag(
        "all-namespaces",
        Some('A'),
        Bool,
        &["get", "describe", "events", "auth", "delete", "top"],
        "List the requested objects across all namespaces.",
    ),
    flag(
        "selector",
        Some('l'),
        Value,
        &[
            "get", "describe", "logs", "delete", "scale", "rollout", "label", "annotate", "set",
            "wait", "top",
        ],
        "Label selector to filter on, e.g. -l app=web,tier!=db or -l 'env in (a,b)'.",
    ),
    flag(
        "field-selector",
        None,
        Value,
        &["get", "delete"],
        "Field selector to filter on, e.g. --field-selector status.phase=Running.",
    ),
    flag(
        "output",
        Some('o'),
        Value,
        &[
            "get",
            "events",
            "api-resources",
            "version",
            "scale",
            "delete",
            "apply",
            "create",
            "patch",
            "label",
            "annotate",
            "set",
            "expose",
            "autoscale",
            "config",
            "explain",
        ],
        "Output format: wide, json, yaml, name, jsonpath=TEMPLATE, jsonpath-as-json=TEMPLATE or custom-columns=HEADER:FIELD,... (get); json or yaml (events, version); wide or name (api-resources); plaintext (explain).",
    ),
    flag(
        "show-labels",
        None,
        Bool,
        &["get"],
        "Show all labels as the last column.",
    ),
    flag(
        "label-columns",
        Some('L'),
        Value,
        &["get"],
        "Comma-separated label keys to show as columns.",
    ),
    flag(
        "show-kind",
        None,
        Bool,
        &["get"],
        "List the resource type of each object.",
    ),
    flag(
        "no-headers",
        None,
        Bool,
        &["get", "events", "api-resources", "top"],
        "Do not print headers.",
    ),
    flag(
        "ignore-not-found",
        None,
        Bool,
        &["get", "delete"],
        "Treat \"resource not found\" as a successful answer.",
    ),
    flag(
        "chunk-size",
        None,
        Value,
        &["get", "events"],
        "Accepted and ignored.",
    ),
    flag(
        "limit",
        None,
        Value,
        &["get"],
        "Extension (not in kubectl): list at most N objects per answer (the API server's `limit`); the default page fits the answer budget, at most 500 like kubectl's --chunk-size.",
    ),
    flag(
        "continue",
        None,
        Value,
        &["get"],
        "Extension (not in kubectl): the next page of a list (the API server's `continue`), as given in an answer's \"next page\" note.",
    ),
    flag(
        "grep",
        None,
        Value,
        &["logs"],
        "Extension (not in kubectl): only lines matching this regular expression (Rust regex syntax, like grep -E; (?i) for any case), applied after --tail and --since.",
    ),
    flag(
        "watch",
        Some('w'),
        Bool,
        &["get", "events", "rollout"],
        "Not supported: a tool call returns one answer (rollout status checks once).",
    ),
    flag(
        "sort-by",
        None,
        Value,
        &["get", "api-resources", "top"],
        "get: a JSONPath field to sort by, e.g. .metadata.name; api-resources: name or kind; top: cpu or memory.",
    ),
    flag(
        "filename",
        Some('f'),
        Value,
        &[
            "get", "describe", "delete", "apply", "scale", "rollout", "create",
        ],
        "apply, create: only `-f -`, with the manifest in the `manifest` argument; files cannot be read.",
    ),
    flag(
        "show-events",
        None,
        Bool,
        &["describe"],
        "Show events (default true).",
    ),
    flag(
        "container",
        Some('c'),
        Value,
        &["logs"],
        "Print the logs of this container.",
    ),
    flag(
        "tail",
        None,
        Value,
        &["logs"],
        "Lines of recent log to show; -1 shows all.",
    ),
    flag(
        "previous",
        Some('p'),
        Bool,
        &["logs"],
        "Print the logs of the previous instance of the container.",
    ),
    flag(
        "since",
        None,
        Value,
        &["logs"],
        "Only logs newer than a relative duration like 5s, 2m or 3h.",
    ),
    flag(
        "since-time",
        None,
        Value,
        &["logs"],
        "Only logs after a date (RFC3339).",
    ),
    flag(
        "timestamps",
        None,
        Bool,
        &["logs"],
        "Include timestamps on each line.",
    ),
    flag(
        "limit-bytes",
        None,
        Value,
        &["logs"],
        "Maximum bytes of logs to return.",
    ),
    flag(
        "all-containers",
        None,
        Bool,
        &["logs"],
        "Get the logs of all containers of the pod.",
    ),
    flag(
        "prefix",
        None,
        Bool,
        &["logs"],
        "Prefix each log line with the pod and container name.",
    ),
    flag(
        "follow",
        Some('f'),
        Bool,
        &["logs"],
        "Not supported: a tool call returns one answer.",
    ),
    flag(
        "for",
        None,
        Value,
        &["events", "wait"],
        "events: only events about this object, as TYPE/NAME; wait: condition=NAME[=VALUE] or delete.",
    ),
    flag(
        "types",
        None,
        Value,
        &["events"],
        "Only events of these types, e.g. Warning or Normal,Warning.",
    ),
    flag(
        "replicas",
        None,
        Value,
        &["scale", "create"],
        "scale: the new number of replicas (required); create deployment: the number of replicas (default 1).",
    ),
    flag(
        "current-replicas",
        None,
        Value,
        &["scale"],
        "Precondition: only scale if the current replica count is this.",
    ),
    flag(
        "all",
        None,
        Bool,
        &["delete", "scale"],
        "Not supported yet.",
    ),
    flag(
        "grace-period",
        None,
        Value,
        &["delete", "drain"],
        "Seconds given to the object to terminate gracefully.",
    ),
    flag(
        "now",
        None,
        Bool,
        &["delete"],
        "Signal the object for immediate shutdown (grace period 1).",
    ),
    flag(
        "force",
        None,
        Bool,
        &["delete", "drain"],
        "delete: with --grace-period=0, delete immediately; drain: also evict pods that declare no controller.",
    ),
    flag(
        "cascade",
        None,
        Optional("background"),
        &["delete"],
        "background, foreground or orphan.",
    ),
    flag(
        "wait",
        None,
        Bool,
        &["delete"],
        "Accepted and ignored: deletion is not waited for.",
    ),
    flag(
        "dry-run",
        None,
        Optional("unchanged"),
        &[
            "delete",
            "apply",
            "scale",
            "rollout",
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
        ],
        "server: the server checks the request without persisting it; client: nothing is sent.",
    ),
    flag(
        "force-conflicts",
        None,
        Bool,
        &["apply"],
        "Take ownership of fields owned by other managers (server-side apply).",
    ),
    flag(
        "server-side",
        None,
        Bool,
        &["apply"],
        "Accepted: apply is always server-side here.",
    ),
    flag(
        "field-manager",
        None,
        Value,
        &[
            "apply",
            "create",
            "patch",
            "label",
            "annotate",
            "set",
            "expose",
            "autoscale",
        ],
        "Field manager name (apply: kube-ai-proxy; other writes: kubectl's, e.g. kubectl-create).",
    ),
    flag(
        "timeout",
        None,
        Value,
        &["rollout", "delete", "scale", "wait", "drain"],
        "wait, drain: how long to wait, e.g. 30s or 2m (bounded by the call's time); others: accepted and ignored.",
    ),
    flag(
        "namespaced",
        None,
        Optional("true"),
        &["api-resources"],
        "true: only namespaced resources; false: only cluster-scoped ones.",
    ),
    flag(
        "api-group",
        None,
        Value,
        &["api-resources"],
        "Only resources of this API group.",
    ),
    flag(
        "verbs",
        None,
        Value,
        &["api-resources"],
        "Only resources that support these verbs (comma-separated).",
    ),
    flag(
        "categories",
        None,
        Value,
        &["api-resources"],
        "Only resources in these categories (comma-separated).",
    ),
    flag(
        "cached",
        None,
        Bool,
        &["api-resources"],
        "Accepted and ignored.",
    ),
    flag(
        "client",
        None,
        Bool,
        &["version"],
        "Only the client version.",
    ),
    flag(
        "subresource",
        None,
        Value,
        &["auth", "patch"],
        "auth: the subresource to ask about, e.g. log or scale; patch: the subresource to patch, status or scale.",
    ),
    flag(
        "quiet",
        Some('q'),
        Bool,
        &["auth"],
        "Accepted; the answer is still printed.",
    ),
    flag("list", None, Bool, &["auth"], "Not supported yet."),
    flag(
        "image",
        None,
        Value,
        &["create"],
        "create deployment|job: the container image (deployment: may be repeated).",
    ),
    flag(
        "port",
        None,
        Value,
        &["create", "expose"],
        "create deployment: the container port; expose: the service port.",
    ),
    flag(
        "tcp",
        None,
        Value,
        &["create"],
        "create service: port[:targetPort], may be repeated.",
    ),
    flag(
        "node-port",
        None,
        Value,
        &["create"],
        "create service nodeport: the node port.",
    ),
    flag(
        "clusterip",
        None,
        Value,
        &["create"],
        "create service clusterip: the cluster IP, or None for a headless service.",
    ),
    flag(
        "from-literal",
        None,
        Value,
        &["create"],
        "create configmap: a key=value pair, may be repeated.",
    ),
    flag(
        "from",
        None,
        Value,
        &["create"],
        "create job: the cron job to create the job from, as cronjob/NAME.",
    ),
    flag(
        "patch",
        Some('p'),
        Value,
        &["patch"],
        "The patch, as JSON or YAML.",
    ),
    flag(
        "type",
        None,
        Value,
        &["patch", "expose"],
        "patch: strategic (default), merge or json; expose: ClusterIP, NodePort, LoadBalancer or ExternalName.",
    ),
    flag(
        "overwrite",
        None,
        Bool,
        &["label", "annotate"],
        "Allow existing labels or annotations to be overwritten.",
    ),
    flag(
        "target-port",
        None,
        Value,
        &["expose"],
        "The port on the pods the service directs traffic to (number or name).",
    ),
    flag(
        "protocol",
        None,
        Value,
        &["expose"],
        "The network protocol of the service port (TCP, UDP or SCTP).",
    ),
    flag(
        "name",
        None,
        Value,
        &["expose", "autoscale"],
        "The name of the created object (default: the exposed or scaled object's name).",
    ),
    flag(
        "min",
        None,
        Value,
        &["autoscale"],
        "The lower limit of replicas (default: the server's, 1).",
    ),
    flag(
        "max",
        None,
        Value,
        &["autoscale"],
        "The upper limit of replicas (required).",
    ),
    flag(
        "cpu-percent",
        None,
        Value,
        &["autoscale"],
        "The target average CPU utilization, in percent of the requests.",
    ),
    flag(
        "ignore-daemonsets",
        None,
        Bool,
        &["drain"],
        "Ignore DaemonSet-managed pods.",
    ),
    flag(
        "delete-emptydir-data",
        None,
        Bool,
        &["drain"],
        "Continue even if there are pods using emptyDir volumes (their data is lost).",
    ),
    flag(
        "delete-local-data",
        None,
        Bool,
        &["drain"],
        "Deprecated spelling of --delete-emptydir-data.",
    ),
    flag(
        "pod-selector",
        None,
        Value,
        &["drain"],
        "Only evict the pods on the node that match this label selector.",
    ),
    flag(
        "disable-eviction",
        None,
        Bool,
        &["drain"],
        "Delete pods instead of evicting them (bypasses PodDisruptionBudgets).",
    ),
    flag(
        "to-revision",
        None,
        Value,
        &["rollout"],
        "rollout undo: the revision to roll back to (default: the previous one).",
    ),
    flag(
        "containers",
        None,
        Bool,
        &["top"],
        "top pod: show the usage of each container.",
    ),
    flag(
        "recursive",
        Some('R'),
        Bool,
        &["explain"],
        "Print the fields of fields, without descriptions (kubectl explain --recursive).",
    ),
    flag(
        "api-version",
        None,
        Value,
        &["explain"],
        "Explain the type in this API group/version (e.g. apps/v1) instead of the preferred one.",
    ),
];

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

/// kubectl's grammar.
pub static KUBECTL: Cli = Cli {
    program: "kubectl",
    flags: FLAGS,
    forbidden_long: FORBIDDEN_LONG,
    forbidden_short: FORBIDDEN_SHORT,
    forbidden_reason: "the server, credentials and identity are fixed by the operator",
};

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
