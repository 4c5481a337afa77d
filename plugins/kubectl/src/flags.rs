//! Every flag this plugin understands, by kubectl's long name: its shorthand, how it takes a
//! value and one line of help. A leaf module.
//!
//! Which subcommands take a flag is not said here. The [`GLOBAL`] flags are taken by every
//! subcommand; any other flag is taken by the subcommands whose [`crate::registry`] entry
//! names it in its `flags`. [`crate::cli`] joins the two into kubectl's grammar
//! ([`crate::cli::KUBECTL`]), whose table lists the flags in the order of [`FLAGS`] (the order
//! the help prints them in).

pub use kap_sdk::cli::{Arity, FlagSpec};

use Arity::{Bool, Optional, Value};

/// The flags every subcommand takes (and a command line without a subcommand).
pub const GLOBAL: &[&str] = &["namespace", "help", "request-timeout"];

/// A flag definition: a [`FlagSpec`] whose `subs` is left empty (the subcommands that take it
/// come from the registry, see the module documentation).
const fn def(
    long: &'static str,
    short: Option<char>,
    arity: Arity,
    help: &'static str,
) -> FlagSpec {
    kap_sdk::cli::flag(long, short, arity, &[], help)
}

/// Every flag this plugin understands (kubectl's names and shorthands), in the order the help
/// lists them. Their `subs` are empty: see the module documentation.
pub static FLAGS: &[FlagSpec] = &[
    def(
        "namespace",
        Some('n'),
        Value,
        "If present, the namespace scope for this request.",
    ),
    def("help", Some('h'), Bool, "Help for the command."),
    def(
        "request-timeout",
        None,
        Value,
        "Accepted and ignored: the operator sets the time limit.",
    ),
    def(
        "all-namespaces",
        Some('A'),
        Bool,
        "List the requested objects across all namespaces.",
    ),
    def(
        "selector",
        Some('l'),
        Value,
        "Label selector to filter on, e.g. -l app=web,tier!=db or -l 'env in (a,b)'.",
    ),
    def(
        "field-selector",
        None,
        Value,
        "Field selector to filter on, e.g. --field-selector status.phase=Running.",
    ),
    def(
        "output",
        Some('o'),
        Value,
        "Output format: wide, json, yaml, name, jsonpath=TEMPLATE, jsonpath-as-json=TEMPLATE or custom-columns=HEADER:FIELD,... (get); json or yaml (events, version); wide or name (api-resources); plaintext (explain).",
    ),
    def(
        "show-labels",
        None,
        Bool,
        "Show all labels as the last column.",
    ),
    def(
        "label-columns",
        Some('L'),
        Value,
        "Comma-separated label keys to show as columns.",
    ),
    def(
        "show-kind",
        None,
        Bool,
        "List the resource type of each object.",
    ),
    def("no-headers", None, Bool, "Do not print headers."),
    def(
        "ignore-not-found",
        None,
        Bool,
        "Treat \"resource not found\" as a successful answer.",
    ),
    def("chunk-size", None, Value, "Accepted and ignored."),
    def(
        "limit",
        None,
        Value,
        "Extension (not in kubectl): list at most N objects per answer (the API server's `limit`); the default page fits the answer budget, at most 500 like kubectl's --chunk-size.",
    ),
    def(
        "continue",
        None,
        Value,
        "Extension (not in kubectl): the next page of a list (the API server's `continue`), as given in an answer's \"next page\" note.",
    ),
    def(
        "grep",
        None,
        Value,
        "Extension (not in kubectl): only lines matching this regular expression (Rust regex syntax, like grep -E; (?i) for any case), applied after --tail and --since.",
    ),
    def(
        "watch",
        Some('w'),
        Bool,
        "Not supported: a tool call returns one answer (rollout status checks once).",
    ),
    def(
        "sort-by",
        None,
        Value,
        "get: a JSONPath field to sort by, e.g. .metadata.name; api-resources: name or kind; top: cpu or memory.",
    ),
    def(
        "filename",
        Some('f'),
        Value,
        "apply, create: only `-f -`, with the manifest in the `manifest` argument; files cannot be read.",
    ),
    def("show-events", None, Bool, "Show events (default true)."),
    def(
        "container",
        Some('c'),
        Value,
        "Print the logs of this container.",
    ),
    def(
        "tail",
        None,
        Value,
        "Lines of recent log to show; -1 shows all.",
    ),
    def(
        "previous",
        Some('p'),
        Bool,
        "Print the logs of the previous instance of the container.",
    ),
    def(
        "since",
        None,
        Value,
        "Only logs newer than a relative duration like 5s, 2m or 3h.",
    ),
    def(
        "since-time",
        None,
        Value,
        "Only logs after a date (RFC3339).",
    ),
    def("timestamps", None, Bool, "Include timestamps on each line."),
    def(
        "limit-bytes",
        None,
        Value,
        "Maximum bytes of logs to return.",
    ),
    def(
        "all-containers",
        None,
        Bool,
        "Get the logs of all containers of the pod.",
    ),
    def(
        "prefix",
        None,
        Bool,
        "Prefix each log line with the pod and container name.",
    ),
    def(
        "follow",
        Some('f'),
        Bool,
        "Not supported: a tool call returns one answer.",
    ),
    def(
        "for",
        None,
        Value,
        "events: only events about this object, as TYPE/NAME; wait: condition=NAME[=VALUE] or delete.",
    ),
    def(
        "types",
        None,
        Value,
        "Only events of these types, e.g. Warning or Normal,Warning.",
    ),
    def(
        "replicas",
        None,
        Value,
        "scale: the new number of replicas (required); create deployment: the number of replicas (default 1).",
    ),
    def(
        "current-replicas",
        None,
        Value,
        "Precondition: only scale if the current replica count is this.",
    ),
    def("all", None, Bool, "Not supported yet."),
    def(
        "grace-period",
        None,
        Value,
        "Seconds given to the object to terminate gracefully.",
    ),
    def(
        "now",
        None,
        Bool,
        "Signal the object for immediate shutdown (grace period 1).",
    ),
    def(
        "force",
        None,
        Bool,
        "delete: with --grace-period=0, delete immediately; drain: also evict pods that declare no controller.",
    ),
    def(
        "cascade",
        None,
        Optional("background"),
        "background, foreground or orphan.",
    ),
    def(
        "wait",
        None,
        Bool,
        "Accepted and ignored: deletion is not waited for.",
    ),
    def(
        "dry-run",
        None,
        Optional("unchanged"),
        "server: the server checks the request without persisting it; client: nothing is sent.",
    ),
    def(
        "force-conflicts",
        None,
        Bool,
        "Take ownership of fields owned by other managers (server-side apply).",
    ),
    def(
        "server-side",
        None,
        Bool,
        "Accepted: apply is always server-side here.",
    ),
    def(
        "field-manager",
        None,
        Value,
        "Field manager name (apply: kube-ai-proxy; other writes: kubectl's, e.g. kubectl-create).",
    ),
    def(
        "timeout",
        None,
        Value,
        "wait, drain: how long to wait, e.g. 30s or 2m (bounded by the call's time); others: accepted and ignored.",
    ),
    def(
        "namespaced",
        None,
        Optional("true"),
        "true: only namespaced resources; false: only cluster-scoped ones.",
    ),
    def(
        "api-group",
        None,
        Value,
        "Only resources of this API group.",
    ),
    def(
        "verbs",
        None,
        Value,
        "Only resources that support these verbs (comma-separated).",
    ),
    def(
        "categories",
        None,
        Value,
        "Only resources in these categories (comma-separated).",
    ),
    def("cached", None, Bool, "Accepted and ignored."),
    def("client", None, Bool, "Only the client version."),
    def(
        "subresource",
        None,
        Value,
        "auth: the subresource to ask about, e.g. log or scale; patch: the subresource to patch, status or scale.",
    ),
    def(
        "quiet",
        Some('q'),
        Bool,
        "Accepted; the answer is still printed.",
    ),
    def("list", None, Bool, "Not supported yet."),
    def(
        "image",
        None,
        Value,
        "create deployment|job: the container image (deployment: may be repeated).",
    ),
    def(
        "port",
        None,
        Value,
        "create deployment: the container port; expose: the service port.",
    ),
    def(
        "tcp",
        None,
        Value,
        "create service: port[:targetPort], may be repeated.",
    ),
    def(
        "node-port",
        None,
        Value,
        "create service nodeport: the node port.",
    ),
    def(
        "clusterip",
        None,
        Value,
        "create service clusterip: the cluster IP, or None for a headless service.",
    ),
    def(
        "from-literal",
        None,
        Value,
        "create configmap: a key=value pair, may be repeated.",
    ),
    def(
        "from",
        None,
        Value,
        "create job: the cron job to create the job from, as cronjob/NAME.",
    ),
    def("patch", Some('p'), Value, "The patch, as JSON or YAML."),
    def(
        "type",
        None,
        Value,
        "patch: strategic (default), merge or json; expose: ClusterIP, NodePort, LoadBalancer or ExternalName.",
    ),
    def(
        "overwrite",
        None,
        Bool,
        "Allow existing labels or annotations to be overwritten.",
    ),
    def(
        "target-port",
        None,
        Value,
        "The port on the pods the service directs traffic to (number or name).",
    ),
    def(
        "protocol",
        None,
        Value,
        "The network protocol of the service port (TCP, UDP or SCTP).",
    ),
    def(
        "name",
        None,
        Value,
        "The name of the created object (default: the exposed or scaled object's name).",
    ),
    def(
        "min",
        None,
        Value,
        "The lower limit of replicas (default: the server's, 1).",
    ),
    def(
        "max",
        None,
        Value,
        "The upper limit of replicas (required).",
    ),
    def(
        "cpu-percent",
        None,
        Value,
        "The target average CPU utilization, in percent of the requests.",
    ),
    def(
        "ignore-daemonsets",
        None,
        Bool,
        "Ignore DaemonSet-managed pods.",
    ),
    def(
        "delete-emptydir-data",
        None,
        Bool,
        "Continue even if there are pods using emptyDir volumes (their data is lost).",
    ),
    def(
        "delete-local-data",
        None,
        Bool,
        "Deprecated spelling of --delete-emptydir-data.",
    ),
    def(
        "pod-selector",
        None,
        Value,
        "Only evict the pods on the node that match this label selector.",
    ),
    def(
        "disable-eviction",
        None,
        Bool,
        "Delete pods instead of evicting them (bypasses PodDisruptionBudgets).",
    ),
    def(
        "to-revision",
        None,
        Value,
        "rollout undo: the revision to roll back to (default: the previous one).",
    ),
    def(
        "containers",
        None,
        Bool,
        "top pod: show the usage of each container.",
    ),
    def(
        "recursive",
        Some('R'),
        Bool,
        "Print the fields of fields, without descriptions (kubectl explain --recursive).",
    ),
    def(
        "api-version",
        None,
        Value,
        "Explain the type in this API group/version (e.g. apps/v1) instead of the preferred one.",
    ),
];

/// The definition of the flag named `long` (normalized, without `--`).
pub fn spec(long: &str) -> Option<&'static FlagSpec> {
    FLAGS.iter().find(|f| f.long == long)
}

/// How the flag named `long` takes its value; `None` for a flag this plugin does not know.
pub fn arity(long: &str) -> Option<Arity> {
    spec(long).map(|f| f.arity)
}
