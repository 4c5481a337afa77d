//! istioctl's grammar as this plugin runs it: the supported subcommands and their flags (the
//! names, shorthands and defaults of istioctl 1.30's cobra commands), parsed with the SDK's
//! cobra parser. Flags that choose the cluster or credentials are refused; subcommands that
//! need the Envoy admin port or istiod's debug endpoint are refused with the reason.

use kap_sdk::cli::{Arity, Cli, CliError, FlagSpec, Parsed, Topic, flag};

use Arity::{Bool, Value};

const ANALYZE: &[&str] = &["analyze"];
const VERSION: &[&str] = &["version"];
const VALIDATE: &[&str] = &["validate"];

/// Every flag the plugin understands.
pub static FLAGS: &[FlagSpec] = &[
    flag(
        "namespace",
        Some('n'),
        Value,
        &[],
        "Kubernetes namespace (default: the server's default namespace).",
    ),
    flag(
        "istioNamespace",
        Some('i'),
        Value,
        &[],
        "Istio system namespace (default istio-system).",
    ),
    flag(
        "all-namespaces",
        Some('A'),
        Bool,
        ANALYZE,
        "Analyze all namespaces.",
    ),
    flag(
        "output",
        Some('o'),
        Value,
        &["analyze", "version"],
        "Output format: log|json|yaml for analyze; json|yaml|short for version.",
    ),
    flag(
        "output-threshold",
        None,
        Value,
        ANALYZE,
        "The severity level of analysis at which to display messages: Info, Warning or Error (default Info).",
    ),
    flag(
        "failure-threshold",
        None,
        Value,
        ANALYZE,
        "The severity level of analysis at which the answer is an error (isError): Info, Warning or Error (default Error).",
    ),
    flag(
        "suppress",
        Some('S'),
        Value,
        ANALYZE,
        "Suppress a message code on a resource: CODE=RESOURCE, e.g. \"IST0102=Namespace default\" or \"IST0101=VirtualService *.default\" (repeatable).",
    ),
    flag(
        "list-analyzers",
        Some('L'),
        Bool,
        ANALYZE,
        "List the analyzers available to run.",
    ),
    flag(
        "verbose",
        Some('v'),
        Bool,
        ANALYZE,
        "Say which resources were read.",
    ),
    flag(
        "color",
        None,
        Bool,
        ANALYZE,
        "Accepted for compatibility; output is never colored.",
    ),
    flag(
        "filename",
        Some('f'),
        Value,
        VALIDATE,
        "`-` only: the objects in the `manifest` argument.",
    ),
    flag(
        "remote",
        None,
        Bool,
        VERSION,
        "Show the control plane's version (default true).",
    ),
    flag("short", Some('s'), Bool, VERSION, "Use --output=short."),
    flag(
        "revision",
        Some('r'),
        Value,
        VERSION,
        "Control plane revision (accepted; the istiod Deployment named istiod-REVISION is read).",
    ),
];

/// The istioctl CLI.
pub static CLI: Cli = Cli {
    program: "istioctl",
    flags: FLAGS,
    forbidden_long: &[
        "kubeconfig",
        "context",
        "vklog",
        "use-kube",
        "meshConfigFile",
        "recursive",
        "ignore-unknown",
        "xds-address",
        "xds-port",
        "cert-dir",
        "insecure",
        "authority",
        "plaintext",
    ],
    forbidden_short: &[('c', "kubeconfig")],
    forbidden_reason: "the cluster, credentials and files are fixed by the operator; this server reads only the Kubernetes API",
};

/// Subcommands refused with why.
pub const REFUSED: &[(&str, &str)] = &[
    (
        "proxy-status",
        "it asks istiod's debug endpoint (port 15014) for each proxy's sync state, which this server does not reach; `analyze` and `x describe` work from the Kubernetes API",
    ),
    (
        "ps",
        "it asks istiod's debug endpoint (port 15014) for each proxy's sync state, which this server does not reach",
    ),
    (
        "proxy-config",
        "it reads an Envoy's admin port (15000) inside the pod, which this server does not reach; `x describe pod` shows the configuration that applies to a pod",
    ),
    (
        "pc",
        "it reads an Envoy's admin port (15000) inside the pod, which this server does not reach",
    ),
    (
        "install",
        "it changes the control plane; this plugin only reads (write mesh configuration with execute_kubectl apply)",
    ),
    (
        "uninstall",
        "it changes the control plane; this plugin only reads",
    ),
    (
        "upgrade",
        "it changes the control plane; this plugin only reads",
    ),
    (
        "manifest",
        "it renders and applies control plane manifests; this plugin only reads",
    ),
    (
        "kube-inject",
        "it rewrites workloads; this plugin only reads",
    ),
    (
        "dashboard",
        "it port-forwards to in-cluster dashboards, which this server does not do",
    ),
    (
        "bug-report",
        "it collects logs and cluster state into an archive on disk",
    ),
    ("admin", "it talks to istiod's admin endpoints"),
    (
        "tag",
        "it changes revision tags (webhooks); this plugin only reads",
    ),
    (
        "waypoint",
        "it creates or deletes waypoint Gateways; this plugin only reads",
    ),
    (
        "ztunnel-config",
        "it reads ztunnel's admin port, which this server does not reach",
    ),
    ("remote-clusters", "it asks istiod's debug endpoint"),
    (
        "create-remote-secret",
        "it builds a kubeconfig Secret with credentials",
    ),
];

/// A parsed istioctl command.
#[derive(Debug, Clone)]
pub struct Command {
    /// The parsed words.
    pub parsed: Parsed,
}

/// Parses the words of `execute_istioctl`'s `command`.
///
/// Errors: an unknown or refused subcommand, an unknown or forbidden flag, a missing or
/// extra argument.
pub fn parse(words: &[String]) -> Result<Command, String> {
    let parsed = CLI.parse(words).map_err(|CliError(e)| e)?;
    let sub = parsed.sub.as_str();
    if let Some((_, why)) = REFUSED.iter().find(|(s, _)| *s == sub) {
        return Err(format!("istioctl {sub} is not supported: {why}"));
    }
    match sub {
        "analyze" => {
            if !parsed.args.is_empty() {
                return Err(format!(
                    "istioctl analyze here reads the cluster only; files ({}) are not read: pass objects to `validate -f -` with `manifest`",
                    parsed.args.join(" ")
                ));
            }
        }
        "x" | "experimental" => {
            let (what, rest) = parsed.args.split_first().ok_or_else(|| {
                "istioctl x: the supported command is `x describe pod|service NAME`".to_string()
            })?;
            if what != "describe" {
                return Err(format!(
                    "istioctl x {what} is not supported: the supported experimental command is `x describe pod|service NAME`"
                ));
            }
            match rest {
                [kind, _]
                    if matches!(
                        kind.as_str(),
                        "pod" | "po" | "pods" | "service" | "svc" | "services"
                    ) => {}
                [kind, name] if name.is_empty() || kind.is_empty() => {
                    return Err("istioctl x describe: a name is required".into());
                }
                [_, _] | [_] | [] => {
                    return Err(
                        "usage: istioctl x describe pod|service NAME [-n NAMESPACE] (a name like `web-1.shop` names the namespace too)".into(),
                    );
                }
                _ => return Err("istioctl x describe takes one kind and one name".into()),
            }
        }
        "version" => {
            if !parsed.args.is_empty() {
                return Err("istioctl version takes no arguments".into());
            }
        }
        "validate" => {
            if parsed.value("filename") != Some("-") {
                return Err("istioctl validate here reads objects from the `manifest` argument: use `validate -f -`".into());
            }
            if !parsed.args.is_empty() {
                return Err("istioctl validate takes no arguments besides -f -".into());
            }
        }
        "" => return Err("no istioctl command given; see describe_istioctl".into()),
        other => {
            return Err(format!(
                "unknown command {other:?} for \"istioctl\": supported are analyze, x describe, version and validate (see describe_istioctl)"
            ));
        }
    }
    Ok(Command { parsed })
}

impl Command {
    /// The subcommand (`x` for `experimental`).
    pub fn sub(&self) -> &str {
        match self.parsed.sub.as_str() {
            "experimental" => "x",
            s => s,
        }
    }

    /// The normalized command line (for the call plan and audit).
    pub fn normalized(&self, default_ns: &str) -> String {
        let mut out = vec!["istioctl".to_string(), self.sub().to_string()];
        out.extend(self.parsed.args.iter().cloned());
        for (k, v) in &self.parsed.flags {
            if *k == "namespace" {
                continue;
            }
            if v == "true" {
                out.push(format!("--{k}"));
            } else {
                out.push(format!("--{k}={v}"));
            }
        }
        if !self.parsed.bool("all-namespaces") {
            out.push(format!(
                "--namespace={}",
                self.parsed.namespace().unwrap_or(default_ns)
            ));
        }
        out.join(" ")
    }

    /// The Istio system namespace (`-i`, default `istio-system`).
    pub fn istio_namespace(&self) -> &str {
        self.parsed
            .value("istioNamespace")
            .unwrap_or("istio-system")
    }
}

static TOPICS: &[Topic] = &[
    Topic {
        name: "analyze",
        summary: "Analyzes Istio configuration in the live cluster and prints Istio's messages (IST0101, ...) with their levels; the answer is an error when a message reaches --failure-threshold, or when something in scope could not be read.",
        usage: &[
            "istioctl analyze [-n NAMESPACE | -A] [--output-threshold Info|Warning|Error] [--failure-threshold Info|Warning|Error] [-o log|json|yaml] [-S CODE=RESOURCE]...",
            "istioctl analyze -L",
        ],
        notes: "Computed from the Kubernetes API (no istioctl binary, no istiod needed). Files are not read: check objects with `validate -f -`. Namespaces the server may not read are listed as not analyzed, never reported clean.",
    },
    Topic {
        name: "x",
        summary: "Describes the Istio configuration that applies to a pod or a service: the Services that select it, DestinationRules (matching subsets, TLS mode), VirtualServices (routes to it), Gateways, PeerAuthentications and AuthorizationPolicies.",
        usage: &[
            "istioctl x describe pod NAME [-n NAMESPACE]",
            "istioctl x describe service NAME [-n NAMESPACE]",
        ],
        notes: "`experimental` is the long form of `x`. Envoy's live configuration (what istioctl reads from the proxy's admin port) is not shown.",
    },
    Topic {
        name: "version",
        summary: "Prints this plugin's istioctl compatibility version and the control plane's, read from the istiod Deployment's image tag.",
        usage: &["istioctl version [--remote=false] [-o short|json|yaml]"],
        notes: "",
    },
    Topic {
        name: "validate",
        summary: "Validates Istio objects given in `manifest` (YAML, several documents allowed): the API server checks them against the installed CRDs with a dry-run create (nothing is stored), then the analyzers run on the cluster with these objects added.",
        usage: &["istioctl validate -f -   (objects in the `manifest` argument)"],
        notes: "",
    },
];

/// Help for `topic` (a subcommand), or the overview when it is empty or unknown.
pub fn help(topic: &str) -> String {
    let topic = topic.trim().trim_start_matches("istioctl").trim();
    let head = topic.split_whitespace().next().unwrap_or("");
    let head = if head == "experimental" { "x" } else { head };
    if let Some(t) = TOPICS.iter().find(|t| t.name == head) {
        return CLI.help(t);
    }
    if let Some((name, why)) = REFUSED.iter().find(|(s, _)| *s == head) {
        return format!("istioctl {name} is not supported here: {why}.\n");
    }
    let mut s = String::from(
        "istioctl as this server runs it: computed from the Kubernetes API, no istioctl binary, no access to istiod or Envoy admin ports.\n\nCommands:\n",
    );
    for t in TOPICS {
        s.push_str(&format!("  {:<10} {}\n", t.name, t.summary));
    }
    s.push_str("\nRefused (with the reason when used): ");
    s.push_str(
        &REFUSED
            .iter()
            .map(|(n, _)| *n)
            .collect::<Vec<_>>()
            .join(", "),
    );
    s.push_str(".\nRefused flags: --kubeconfig/-c, --context and the other flags that choose a cluster, credentials or files.\nMesh configuration (VirtualService, DestinationRule, ...) is read and written with execute_kubectl (get, describe, apply).\n\nGlobal flags:\n");
    s.push_str(&CLI.flag_help(""));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(s: &str) -> Vec<String> {
        kap_sdk::shell::tokenize(s).unwrap()
    }

    #[test]
    fn commands() {
        let c = parse(&w("istioctl analyze -A -o json --output-threshold Warning")).unwrap();
        assert_eq!(c.sub(), "analyze");
        assert!(c.parsed.bool("all-namespaces"));
        let c = parse(&w("experimental describe pod web-1 -n shop")).unwrap();
        assert_eq!(c.sub(), "x");
        assert_eq!(
            c.normalized("default"),
            "istioctl x describe pod web-1 --namespace=shop"
        );
        assert!(parse(&w("validate -f -")).is_ok());
    }

    #[test]
    fn refusals() {
        assert!(
            parse(&w("proxy-config cluster web-1"))
                .unwrap_err()
                .contains("admin port")
        );
        assert!(
            parse(&w("analyze --kubeconfig=/tmp/k"))
                .unwrap_err()
                .contains("not allowed")
        );
        assert!(
            parse(&w("analyze -c /tmp/k"))
                .unwrap_err()
                .contains("not allowed")
        );
        assert!(
            parse(&w("analyze --use_kube=false"))
                .unwrap_err()
                .contains("not allowed")
        );
        assert!(parse(&w("analyze a.yaml")).unwrap_err().contains("files"));
        assert!(parse(&w("x describe pod")).unwrap_err().contains("usage"));
        assert!(
            parse(&w("x authz check"))
                .unwrap_err()
                .contains("not supported")
        );
        assert!(
            parse(&w("validate -f x.yaml"))
                .unwrap_err()
                .contains("-f -")
        );
        assert!(parse(&w("bogus")).unwrap_err().contains("unknown command"));
        assert!(help("proxy-config").contains("admin port"));
        assert!(help("").contains("analyze"));
    }
}
