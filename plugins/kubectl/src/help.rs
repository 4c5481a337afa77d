//! Help text (`describe_kubectl`, `kubectl help`, `--help`): what each supported subcommand
//! does here, how it is called and the flags it takes (from [`crate::cli::FLAGS`]).

use crate::cli::{Arity, flags_for};
use crate::commands::{REFUSED, SUPPORTED};

struct Topic {
    name: &'static str,
    summary: &'static str,
    usage: &'static [&'static str],
    notes: &'static str,
}

const TOPICS: &[Topic] = &[
    Topic {
        name: "get",
        summary: "Display one or many resources.",
        usage: &[
            "kubectl get TYPE[,TYPE...] [NAME...] [-n NS | -A] [-l SELECTOR] [--field-selector F] [-o wide|json|yaml|name]",
            "kubectl get TYPE/NAME [TYPE/NAME...]",
            "kubectl get all",
        ],
        notes: "Tables come from the API server (server-side printing). -o json/yaml print a List for several objects; managed fields are left out. -o jsonpath, go-template and custom-columns are not supported yet.",
    },
    Topic {
        name: "describe",
        summary: "Show details of a resource or group of resources, with their events.",
        usage: &[
            "kubectl describe TYPE NAME",
            "kubectl describe TYPE/NAME",
            "kubectl describe TYPE [-l SELECTOR]",
        ],
        notes: "Dedicated output for pods, deployments, services, nodes, namespaces, secrets (sizes only) and config maps; other kinds print their fields. A NAME that matches no object describes the objects whose names start with it. At most 20 objects per command.",
    },
    Topic {
        name: "logs",
        summary: "Print the logs of a container in a pod.",
        usage: &[
            "kubectl logs POD [-c CONTAINER] [--tail N] [--since 5m] [-p]",
            "kubectl logs pod/POD [CONTAINER]",
        ],
        notes: "Without -c, the container named by the kubectl.kubernetes.io/default-container annotation or the first container is used (a note says so). --follow is not supported.",
    },
    Topic {
        name: "events",
        summary: "List events, oldest first.",
        usage: &["kubectl events [-n NS | -A] [--for TYPE/NAME] [--types Warning]"],
        notes: "`kubectl get events` prints the same way.",
    },
    Topic {
        name: "scale",
        summary: "Set a new size for a deployment, replica set, stateful set or any resource with a scale subresource.",
        usage: &[
            "kubectl scale TYPE NAME --replicas=N",
            "kubectl scale TYPE/NAME --replicas=N [--current-replicas=M]",
        ],
        notes: "Sends a merge patch to the scale subresource.",
    },
    Topic {
        name: "delete",
        summary: "Delete named resources.",
        usage: &[
            "kubectl delete TYPE NAME [NAME...]",
            "kubectl delete TYPE/NAME [TYPE/NAME...]",
        ],
        notes: "Deleting by selector, --all or -f is not supported yet.",
    },
    Topic {
        name: "apply",
        summary: "Apply a configuration to resources (server-side apply).",
        usage: &[
            "kubectl apply -f -   (with the manifest, YAML or JSON, in the `manifest` argument)",
        ],
        notes: "Each document is sent as a server-side apply patch with field manager kube-ai-proxy; --force-conflicts takes over fields owned by other managers. Files cannot be read.",
    },
    Topic {
        name: "rollout",
        summary: "Manage the rollout of deployments, stateful sets and daemon sets.",
        usage: &[
            "kubectl rollout status TYPE/NAME",
            "kubectl rollout restart TYPE/NAME",
            "kubectl rollout pause|resume deployment/NAME",
        ],
        notes: "status checks once and says so when the rollout is still in progress (no watching). history and undo are not supported yet.",
    },
    Topic {
        name: "api-resources",
        summary: "Print the supported API resources on the server.",
        usage: &[
            "kubectl api-resources [--namespaced=true|false] [--api-group=G] [--verbs=list,get] [-o wide|name]",
        ],
        notes: "",
    },
    Topic {
        name: "api-versions",
        summary: "Print the supported API versions on the server, as group/version.",
        usage: &["kubectl api-versions"],
        notes: "",
    },
    Topic {
        name: "version",
        summary: "Print the client and server version information.",
        usage: &["kubectl version [--client] [-o json|yaml]"],
        notes: "",
    },
    Topic {
        name: "auth",
        summary: "Check whether an action is allowed (RBAC and the proxy's policy).",
        usage: &["kubectl auth can-i VERB TYPE[/NAME] [-n NS | -A] [--subresource=SUB]"],
        notes: "VERB is get, list, create, update, patch, delete or deletecollection. The answer is yes or no, with the reason when no.",
    },
    Topic {
        name: "config",
        summary: "Show the kubeconfig context in use.",
        usage: &["kubectl config current-context"],
        notes: "Everything else under config is refused: the kubeconfig is fixed by the operator.",
    },
];

fn flag_lines(sub: &str) -> String {
    let mut out = String::new();
    for f in flags_for(sub) {
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

fn overview() -> String {
    let mut s = String::from(
        "kubectl (kube-ai-proxy): kubectl command lines translated to Kubernetes API requests. No kubectl binary and no shell are involved: pipes, redirections, command substitution and the like are refused, and the server, credentials and identity (--server, --token, --kubeconfig, --context, --as, ...) are fixed by the operator.\n\nSupported commands:\n",
    );
    for t in TOPICS {
        s.push_str(&format!("  {:<14} {}\n", t.name, t.summary));
    }
    s.push_str(&format!(
        "\nRefused by design: {}.\nOther commands (create, patch, label, annotate, top, run, expose, ...) are not supported yet.\n\nGlobal flags:\n{}\nUse `kubectl <command> --help` or describe_kubectl with the command for details.\n",
        REFUSED.join(", "),
        flag_lines("")
    ));
    s
}

/// Help for `topic` (`""` for the overview, `get`, `rollout status`, ...).
pub fn help_for(topic: &str) -> Result<String, String> {
    let topic = topic.trim();
    let topic = topic
        .strip_prefix("kubectl")
        .map(str::trim)
        .unwrap_or(topic);
    if topic.is_empty() || topic == "help" {
        return Ok(overview());
    }
    let first = topic.split_whitespace().next().unwrap_or(topic);
    if REFUSED.contains(&first) {
        return Ok(format!(
            "kubectl {first} is not available: interactive, streaming and file-copying commands are refused by design.\n"
        ));
    }
    let Some(t) = TOPICS.iter().find(|t| t.name == first) else {
        return Err(format!(
            "kubectl {first} is not supported yet; supported commands: {}",
            SUPPORTED.join(", ")
        ));
    };
    let mut s = format!("{}\n\nUsage:\n", t.summary);
    for u in t.usage {
        s.push_str(&format!("  {u}\n"));
    }
    if !t.notes.is_empty() {
        s.push_str(&format!("\n{}\n", t.notes));
    }
    s.push_str("\nFlags:\n");
    s.push_str(&flag_lines(t.name));
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_supported_command_has_help() {
        for sub in SUPPORTED {
            let h = help_for(sub).unwrap();
            assert!(h.contains("Usage:"), "{sub}");
        }
        assert!(help_for("").unwrap().contains("Supported commands"));
        assert!(help_for("kubectl get").unwrap().contains("--selector"));
        assert!(help_for("logs").unwrap().contains("-c, --container=VALUE"));
        assert!(help_for("exec").unwrap().contains("refused by design"));
        assert!(help_for("frobnicate").is_err());
    }
}
