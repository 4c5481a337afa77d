//! Help text (`describe_kubectl`, `kubectl help`, `--help`): what each supported subcommand
//! does here, how it is called and the flags it takes (from [`crate::cli::FLAGS`]).

use kap_sdk::cli::Topic;

use crate::catalog::{NOT_POSSIBLE, REFUSED, SUPPORTED};
use crate::cli::KUBECTL;

const TOPICS: &[Topic] = &[
    Topic {
        name: "get",
        summary: "Display one or many resources.",
        usage: &[
            "kubectl get TYPE[,TYPE...] [NAME...] [-n NS | -A] [-l SELECTOR] [--field-selector F] [-o wide|json|yaml|name]",
            "kubectl get TYPE/NAME [TYPE/NAME...]",
            "kubectl get all",
        ],
        notes: "Tables come from the API server (server-side printing). -o json/yaml print a List for several objects; managed fields are left out. -o jsonpath=TEMPLATE, jsonpath-as-json and custom-columns=SPEC follow kubectl's syntax; go-template is not supported.",
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
            "kubectl rollout history deployment/NAME",
            "kubectl rollout undo deployment/NAME [--to-revision=N]",
        ],
        notes: "status checks once and says so when the rollout is still in progress (no watching). history and undo work on deployments (their ReplicaSets' revision annotations); undo replaces the pod template with the chosen revision's, like kubectl.",
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
        usage: &[
            "kubectl config current-context",
            "kubectl config get-contexts [-o name]",
        ],
        notes: "get-contexts lists only the context in use (the plugin is told nothing else). Everything else under config is refused: the kubeconfig is fixed by the operator.",
    },
    Topic {
        name: "create",
        summary: "Create a resource from a generator or a manifest.",
        usage: &[
            "kubectl create namespace NAME",
            "kubectl create deployment NAME --image=IMAGE [--replicas=N] [--port=P] [-- COMMAND...]",
            "kubectl create service clusterip|nodeport|loadbalancer NAME --tcp=PORT[:TARGET] [--node-port=N] [--clusterip=None]",
            "kubectl create configmap NAME --from-literal=KEY=VALUE...",
            "kubectl create job NAME --image=IMAGE [-- COMMAND...] | --from=cronjob/NAME",
            "kubectl create -f -   (with the manifest, YAML or JSON, in the `manifest` argument)",
        ],
        notes: "Objects are built as kubectl's generators build them and created with field manager kubectl-create. --dry-run=client -o yaml prints the object without sending it. Secrets and --from-file are not available.",
    },
    Topic {
        name: "patch",
        summary: "Update fields of a resource with a strategic merge, JSON merge or JSON patch.",
        usage: &[
            "kubectl patch TYPE NAME -p PATCH [--type=strategic|merge|json] [--subresource=status|scale]",
        ],
        notes: "The patch may be JSON or YAML. Prints `(no change)` when the object did not change.",
    },
    Topic {
        name: "label",
        summary: "Update the labels on a resource.",
        usage: &[
            "kubectl label TYPE NAME KEY=VALUE... KEY-... [--overwrite]",
            "kubectl label TYPE -l SELECTOR KEY=VALUE... [-n NS]",
        ],
        notes: "Changing an existing label needs --overwrite; KEY- removes a label.",
    },
    Topic {
        name: "annotate",
        summary: "Update the annotations on a resource.",
        usage: &[
            "kubectl annotate TYPE NAME KEY=VALUE... KEY-... [--overwrite]",
            "kubectl annotate TYPE -l SELECTOR KEY=VALUE... [-n NS]",
        ],
        notes: "Changing an existing annotation needs --overwrite; KEY- removes an annotation.",
    },
    Topic {
        name: "set",
        summary: "Set the container images of a workload.",
        usage: &["kubectl set image TYPE/NAME CONTAINER=IMAGE... (CONTAINER may be *)"],
        notes: "Only `set image` is available. Works on pods, deployments, replica sets, stateful sets, daemon sets, jobs and cron jobs.",
    },
    Topic {
        name: "expose",
        summary: "Expose a deployment, replica set, service or pod as a new Service.",
        usage: &[
            "kubectl expose TYPE NAME [--port=P] [--target-port=T] [--type=ClusterIP|NodePort|LoadBalancer] [--name=N] [--protocol=TCP]",
        ],
        notes: "The service selects the object's pods (its selector, or a pod's labels) and carries its labels; without --port the containers' ports are used.",
    },
    Topic {
        name: "autoscale",
        summary: "Create a HorizontalPodAutoscaler (autoscaling/v2) for a deployment, replica set or stateful set.",
        usage: &["kubectl autoscale TYPE NAME --max=M [--min=N] [--cpu-percent=P] [--name=NAME]"],
        notes: "",
    },
    Topic {
        name: "cordon",
        summary: "Mark a node as unschedulable.",
        usage: &["kubectl cordon NODE"],
        notes: "",
    },
    Topic {
        name: "uncordon",
        summary: "Mark a node as schedulable.",
        usage: &["kubectl uncordon NODE"],
        notes: "",
    },
    Topic {
        name: "drain",
        summary: "Cordon a node and evict its pods.",
        usage: &[
            "kubectl drain NODE [--ignore-daemonsets] [--delete-emptydir-data] [--force] [--grace-period=N] [--pod-selector=S] [--timeout=60s]",
        ],
        notes: "Mirror pods are skipped; DaemonSet pods, pods with emptyDir volumes and pods without a controller are refused unless the matching flag is given, as kubectl does. Each pod is evicted (PodDisruptionBudgets apply; a refused eviction is reported, not retried) and the command waits for the pods to go, for at most --timeout (default 60s).",
    },
    Topic {
        name: "cluster-info",
        summary: "Show the control plane and the cluster services.",
        usage: &["kubectl cluster-info"],
        notes: "The API server's address is not available to this tool: the server version and the in-cluster address of the kubernetes service are shown instead, and service proxy links start with <server>. cluster-info dump is not available.",
    },
    Topic {
        name: "wait",
        summary: "Wait for a condition on one or many resources.",
        usage: &[
            "kubectl wait --for=condition=NAME[=VALUE] TYPE/NAME... [--timeout=30s]",
            "kubectl wait --for=delete|create TYPE/NAME...",
            "kubectl wait --for=condition=NAME TYPE -l SELECTOR",
        ],
        notes: "The objects are polled once a second (no watch), for at most --timeout (default 30s, never more than 240s).",
    },
    Topic {
        name: "top",
        summary: "Show CPU and memory usage of pods or nodes (Metrics API).",
        usage: &[
            "kubectl top pod [NAME] [-n NS | -A] [-l SELECTOR] [--containers] [--sort-by=cpu|memory]",
            "kubectl top node [NAME] [-l SELECTOR] [--sort-by=cpu|memory]",
        ],
        notes: "Needs the Metrics API (metrics-server); without it the answer is `error: Metrics API not available`.",
    },
    Topic {
        name: "explain",
        summary: "Describe the fields of a resource type, from the API server's OpenAPI v3 schema.",
        usage: &[
            "kubectl explain TYPE[.FIELD[.FIELD...]] [--recursive] [--api-version=GROUP/VERSION]",
        ],
        notes: "Prints like kubectl's plaintext format: GROUP/KIND/VERSION, FIELD with its type for a field path, DESCRIPTION, and FIELDS with types, -required- and descriptions; --recursive prints the field tree without descriptions. --output=plaintext-openapiv2 is not supported.",
    },
];

fn overview() -> String {
    let mut s = String::from(
        "kubectl (kube-ai-proxy): kubectl command lines translated to Kubernetes API requests. No kubectl binary and no shell are involved: redirections, `;`, `&&`, command substitution and the like are refused, after `|` only the output filters grep, head, tail, wc -l, sort, uniq and jq are allowed, and the server, credentials and identity (--server, --token, --kubeconfig, --context, --as, ...) are fixed by the operator.\n\nSupported commands:\n",
    );
    for t in TOPICS {
        s.push_str(&format!("  {:<14} {}\n", t.name, t.summary));
    }
    s.push_str(&format!(
        "\nRefused by design: {}.\n{}Other commands (run, replace, ...) are not supported yet.\n\nGlobal flags:\n{}\nUse `kubectl <command> --help` or describe_kubectl with the command for details.\n",
        REFUSED.join(", "),
        if NOT_POSSIBLE.is_empty() {
            String::new()
        } else {
            format!(
                "Not possible through the kube capability: {}.\n",
                NOT_POSSIBLE
                    .iter()
                    .map(|(n, _)| *n)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        },
        KUBECTL.flag_help("")
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
    if let Some((_, why)) = NOT_POSSIBLE.iter().find(|(n, _)| *n == first) {
        return Ok(format!("kubectl {first} is not available: {why}.\n"));
    }
    let Some(t) = TOPICS.iter().find(|t| t.name == first) else {
        return Err(format!(
            "kubectl {first} is not supported yet; supported commands: {}",
            SUPPORTED.join(", ")
        ));
    };
    Ok(KUBECTL.help(t))
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
