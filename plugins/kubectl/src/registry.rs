//! The registry of kubectl subcommands this plugin runs: one [`Subcommand`] entry each, with
//! its name, the flags it takes, its help, how its call is declared before it runs and how it
//! runs. Everything that needs to know the subcommands reads [`SUBCOMMANDS`]:
//!
//! * the dispatcher, [`crate::commands::run`], runs an entry's [`Subcommand::run`];
//! * the planner, [`crate::plan::build`], calls an entry's [`Subcommand::plan`];
//! * the grammar, [`crate::cli::KUBECTL`], gives each flag to the entries that name it in
//!   [`Subcommand::flags`];
//! * the help, [`crate::help`], prints [`Subcommand::help`] (and lists the entries in this
//!   order in the overview);
//! * [`SUPPORTED`], the names in this order, is what "supported subcommands" messages list.
//!
//! # Adding a subcommand
//!
//! 1. Write its module under `commands/` (declared in `commands/mod.rs`) with a function that
//!    runs it ([`RunFn`]); [`crate::commands::common`] holds the helpers command modules
//!    share. A flag no subcommand had before is defined once in [`crate::flags::FLAGS`].
//! 2. Add one [`Subcommand`] to [`SUBCOMMANDS`]: its name, the long names of its flags, its
//!    help, its plan ([`PlanFn`]: a method of [`Builder`], e.g. [`Builder::generic`] when the
//!    command makes no requests worth declaring) and its `run`.
//!
//! That is all: the command then runs, is planned, parses its flags, answers `--help` and
//! `kubectl help NAME`, and is listed as supported. The tests of this module check the table
//! (unique names, help for every entry, flags that exist).
//!
//! A subcommand with subcommands of its own (`rollout status`, `auth can-i`, `config
//! current-context`, `create deployment`, `set image`, `top pod`) is one entry: its functions
//! look at the first argument, and [`Help::nested`] makes `--help` ask for the topic `NAME
//! ARG`. Subcommands refused by design or impossible through the `kube` capability are not
//! entries: [`crate::catalog`] lists them.
//!
//! The registry points down at the command modules and the plan [`Builder`]; none of them
//! points back at it (the module graph has no cycles).

use kap_sdk::api::{Api, CmdResult, Ctx};
use kap_sdk::cli::{Parsed, Topic};

use crate::commands::{
    apply, auth, cluster, config, create, delete, describe, discovery, events, explain, expose,
    get, history, label, logs, node, patch, rollout, scale, top, wait,
};
use crate::error::CallError;
use crate::plan::builder::Builder;

/// Runs a parsed command line of the subcommand (the flags already checked against its
/// table, the namespace validated) against the host's API.
pub type RunFn = fn(&Parsed, &Ctx, &mut dyn Api) -> CmdResult;

/// Declares what a command line of the subcommand stands for before it runs (`plan-call`):
/// adds its words and the requests it is expected to make to the [`Builder`], which already
/// holds the parsed command line. The second argument is the call's `manifest` (for `-f -`).
pub type PlanFn = fn(&mut Builder<'_>, Option<&str>) -> Result<(), CallError>;

/// One kubectl subcommand this plugin runs.
#[derive(Debug)]
pub struct Subcommand {
    /// The subcommand, as typed after `kubectl` (`get`, `api-resources`).
    pub name: &'static str,
    /// The long names of the flags it takes besides the [`crate::flags::GLOBAL`] ones, each
    /// defined in [`crate::flags::FLAGS`] (the help lists them in that table's order).
    pub flags: &'static [&'static str],
    /// Its help text.
    pub help: Help,
    /// How its call is declared before it runs ([`crate::plan`]).
    pub plan: PlanFn,
    /// How it runs ([`crate::commands`]).
    pub run: RunFn,
}

/// The help of a subcommand (`kubectl NAME --help`, `kubectl help NAME`, `describe_kubectl`);
/// the flags are added from [`Subcommand::flags`].
#[derive(Debug)]
pub struct Help {
    /// One sentence, also shown in the overview.
    pub summary: &'static str,
    /// Usage lines, each starting with `kubectl NAME`.
    pub usage: &'static [&'static str],
    /// A paragraph after the usage (may be empty).
    pub notes: &'static str,
    /// Whether the first argument names a subcommand of this one (`rollout status`): then
    /// `kubectl NAME ARG --help` asks for the help topic `NAME ARG`.
    pub nested: bool,
}

impl Subcommand {
    /// Its help topic, for [`kap_sdk::cli::Cli::help`].
    pub fn topic(&self) -> Topic {
        Topic {
            name: self.name,
            summary: self.help.summary,
            usage: self.help.usage,
            notes: self.help.notes,
        }
    }

    /// The help topic `kubectl NAME ARG... --help` asks for, given the first argument.
    pub fn help_topic(&self, first_arg: Option<&str>) -> String {
        match first_arg {
            Some(a) if self.help.nested => format!("{} {a}", self.name),
            _ => self.name.to_string(),
        }
    }
}

/// The entry of subcommand `name`, if this plugin runs it.
pub fn find(name: &str) -> Option<&'static Subcommand> {
    SUBCOMMANDS.iter().find(|s| s.name == name)
}

/// `rollout`: `history` and `undo` read the deployment's revisions ([`history`]); `status`,
/// `restart`, `pause` and `resume` are [`rollout`]'s.
fn run_rollout(p: &Parsed, ctx: &Ctx, api: &mut dyn Api) -> CmdResult {
    match p.args.first().map(String::as_str) {
        Some("history" | "undo") => history::run(p, ctx, api),
        _ => rollout::run(p, ctx, api),
    }
}

/// The subcommands this plugin runs, in the order the help lists them.
pub static SUBCOMMANDS: &[Subcommand] = &[
    Subcommand {
        name: "get",
        flags: &[
            "all-namespaces",
            "selector",
            "field-selector",
            "output",
            "show-labels",
            "label-columns",
            "show-kind",
            "no-headers",
            "ignore-not-found",
            "chunk-size",
            "limit",
            "continue",
            "watch",
            "sort-by",
            "filename",
        ],
        help: Help {
            summary: "Display one or many resources.",
            usage: &[
                "kubectl get TYPE[,TYPE...] [NAME...] [-n NS | -A] [-l SELECTOR] [--field-selector F] [-o wide|json|yaml|name]",
                "kubectl get TYPE/NAME [TYPE/NAME...]",
                "kubectl get all",
            ],
            notes: "Tables come from the API server (server-side printing). -o json/yaml print a List for several objects; managed fields are left out. -o jsonpath=TEMPLATE, jsonpath-as-json and custom-columns=SPEC follow kubectl's syntax; go-template is not supported.",
            nested: false,
        },
        plan: |b, _| b.get_like(false),
        run: get::run,
    },
    Subcommand {
        name: "describe",
        flags: &["all-namespaces", "selector", "filename", "show-events"],
        help: Help {
            summary: "Show details of a resource or group of resources, with their events.",
            usage: &[
                "kubectl describe TYPE NAME",
                "kubectl describe TYPE/NAME",
                "kubectl describe TYPE [-l SELECTOR]",
            ],
            notes: "Dedicated output for pods, deployments, services, nodes, namespaces, secrets (sizes only) and config maps; other kinds print their fields. A NAME that matches no object describes the objects whose names start with it. At most 20 objects per command.",
            nested: false,
        },
        plan: |b, _| b.get_like(true),
        run: describe::run,
    },
    Subcommand {
        name: "logs",
        flags: &[
            "selector",
            "grep",
            "container",
            "tail",
            "previous",
            "since",
            "since-time",
            "timestamps",
            "limit-bytes",
            "all-containers",
            "prefix",
            "follow",
        ],
        help: Help {
            summary: "Print the logs of a container in a pod.",
            usage: &[
                "kubectl logs POD [-c CONTAINER] [--tail N] [--since 5m] [-p]",
                "kubectl logs pod/POD [CONTAINER]",
            ],
            notes: "Without -c, the container named by the kubectl.kubernetes.io/default-container annotation or the first container is used (a note says so). --follow is not supported.",
            nested: false,
        },
        plan: |b, _| b.logs(),
        run: logs::run,
    },
    Subcommand {
        name: "events",
        flags: &[
            "all-namespaces",
            "output",
            "no-headers",
            "chunk-size",
            "watch",
            "for",
            "types",
        ],
        help: Help {
            summary: "List events, oldest first.",
            usage: &["kubectl events [-n NS | -A] [--for TYPE/NAME] [--types Warning]"],
            notes: "`kubectl get events` prints the same way.",
            nested: false,
        },
        plan: |b, _| b.events(),
        run: events::run,
    },
    Subcommand {
        name: "scale",
        flags: &[
            "selector",
            "output",
            "filename",
            "replicas",
            "current-replicas",
            "all",
            "dry-run",
            "timeout",
        ],
        help: Help {
            summary: "Set a new size for a deployment, replica set, stateful set or any resource with a scale subresource.",
            usage: &[
                "kubectl scale TYPE NAME --replicas=N",
                "kubectl scale TYPE/NAME --replicas=N [--current-replicas=M]",
            ],
            notes: "Sends a merge patch to the scale subresource.",
            nested: false,
        },
        plan: |b, _| b.scale(),
        run: scale::run,
    },
    Subcommand {
        name: "delete",
        flags: &[
            "all-namespaces",
            "selector",
            "field-selector",
            "output",
            "ignore-not-found",
            "filename",
            "all",
            "grace-period",
            "now",
            "force",
            "cascade",
            "wait",
            "dry-run",
            "timeout",
        ],
        help: Help {
            summary: "Delete named resources.",
            usage: &[
                "kubectl delete TYPE NAME [NAME...]",
                "kubectl delete TYPE/NAME [TYPE/NAME...]",
            ],
            notes: "Deleting by selector, --all or -f is not supported yet.",
            nested: false,
        },
        plan: |b, _| b.delete(),
        run: delete::run,
    },
    Subcommand {
        name: "apply",
        flags: &[
            "output",
            "filename",
            "dry-run",
            "force-conflicts",
            "server-side",
            "field-manager",
        ],
        help: Help {
            summary: "Apply a configuration to resources (server-side apply).",
            usage: &[
                "kubectl apply -f -   (with the manifest, YAML or JSON, in the `manifest` argument)",
            ],
            notes: "Each document is sent as a server-side apply patch with field manager kube-ai-proxy; --force-conflicts takes over fields owned by other managers. Files cannot be read.",
            nested: false,
        },
        plan: |b, manifest| b.apply(manifest),
        run: apply::run,
    },
    Subcommand {
        name: "rollout",
        flags: &[
            "selector",
            "watch",
            "filename",
            "dry-run",
            "timeout",
            "to-revision",
        ],
        help: Help {
            summary: "Manage the rollout of deployments, stateful sets and daemon sets.",
            usage: &[
                "kubectl rollout status TYPE/NAME",
                "kubectl rollout restart TYPE/NAME",
                "kubectl rollout pause|resume deployment/NAME",
                "kubectl rollout history deployment/NAME",
                "kubectl rollout undo deployment/NAME [--to-revision=N]",
            ],
            notes: "status checks once and says so when the rollout is still in progress (no watching). history and undo work on deployments (their ReplicaSets' revision annotations); undo replaces the pod template with the chosen revision's, like kubectl.",
            nested: true,
        },
        plan: |b, _| b.rollout(),
        run: run_rollout,
    },
    Subcommand {
        name: "api-resources",
        flags: &[
            "output",
            "no-headers",
            "sort-by",
            "namespaced",
            "api-group",
            "verbs",
            "categories",
            "cached",
        ],
        help: Help {
            summary: "Print the supported API resources on the server.",
            usage: &[
                "kubectl api-resources [--namespaced=true|false] [--api-group=G] [--verbs=list,get] [-o wide|name]",
            ],
            notes: "",
            nested: false,
        },
        plan: |b, _| b.as_typed(),
        run: |p, _, api| discovery::api_resources(p, api),
    },
    Subcommand {
        name: "api-versions",
        flags: &[],
        help: Help {
            summary: "Print the supported API versions on the server, as group/version.",
            usage: &["kubectl api-versions"],
            notes: "",
            nested: false,
        },
        plan: |b, _| b.as_typed(),
        run: |p, _, api| discovery::api_versions(p, api),
    },
    Subcommand {
        name: "version",
        flags: &["output", "client"],
        help: Help {
            summary: "Print the client and server version information.",
            usage: &["kubectl version [--client] [-o json|yaml]"],
            notes: "",
            nested: false,
        },
        plan: |b, _| b.as_typed(),
        run: |p, _, api| discovery::version(p, api),
    },
    Subcommand {
        name: "auth",
        flags: &["all-namespaces", "subresource", "quiet", "list"],
        help: Help {
            summary: "Check whether an action is allowed (RBAC and the proxy's policy).",
            usage: &["kubectl auth can-i VERB TYPE[/NAME] [-n NS | -A] [--subresource=SUB]"],
            notes: "VERB is get, list, create, update, patch, delete or deletecollection. The answer is yes or no, with the reason when no.",
            nested: true,
        },
        plan: |b, _| b.auth(),
        run: auth::run,
    },
    Subcommand {
        name: "config",
        flags: &["output"],
        help: Help {
            summary: "Show the kubeconfig context in use.",
            usage: &[
                "kubectl config current-context",
                "kubectl config get-contexts [-o name]",
            ],
            notes: "get-contexts lists only the context in use (the plugin is told nothing else). Everything else under config is refused: the kubeconfig is fixed by the operator.",
            nested: true,
        },
        plan: |b, _| b.as_typed(),
        run: |p, ctx, _| config::run(p, ctx),
    },
    Subcommand {
        name: "create",
        flags: &[
            "output",
            "filename",
            "replicas",
            "dry-run",
            "field-manager",
            "image",
            "port",
            "tcp",
            "node-port",
            "clusterip",
            "from-literal",
            "from",
        ],
        help: Help {
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
            nested: true,
        },
        plan: |b, manifest| b.create(manifest),
        run: create::run,
    },
    Subcommand {
        name: "patch",
        flags: &[
            "output",
            "dry-run",
            "field-manager",
            "subresource",
            "patch",
            "type",
        ],
        help: Help {
            summary: "Update fields of a resource with a strategic merge, JSON merge or JSON patch.",
            usage: &[
                "kubectl patch TYPE NAME -p PATCH [--type=strategic|merge|json] [--subresource=status|scale]",
            ],
            notes: "The patch may be JSON or YAML. Prints `(no change)` when the object did not change.",
            nested: false,
        },
        plan: |b, _| b.patch(),
        run: patch::run,
    },
    Subcommand {
        name: "label",
        flags: &[
            "selector",
            "output",
            "dry-run",
            "field-manager",
            "overwrite",
        ],
        help: Help {
            summary: "Update the labels on a resource.",
            usage: &[
                "kubectl label TYPE NAME KEY=VALUE... KEY-... [--overwrite]",
                "kubectl label TYPE -l SELECTOR KEY=VALUE... [-n NS]",
            ],
            notes: "Changing an existing label needs --overwrite; KEY- removes a label.",
            nested: false,
        },
        plan: |b, _| b.update(0, "label"),
        run: |p, ctx, api| label::run_label(p, ctx, api, true),
    },
    Subcommand {
        name: "annotate",
        flags: &[
            "selector",
            "output",
            "dry-run",
            "field-manager",
            "overwrite",
        ],
        help: Help {
            summary: "Update the annotations on a resource.",
            usage: &[
                "kubectl annotate TYPE NAME KEY=VALUE... KEY-... [--overwrite]",
                "kubectl annotate TYPE -l SELECTOR KEY=VALUE... [-n NS]",
            ],
            notes: "Changing an existing annotation needs --overwrite; KEY- removes an annotation.",
            nested: false,
        },
        plan: |b, _| b.update(0, "annotation"),
        run: |p, ctx, api| label::run_label(p, ctx, api, false),
    },
    Subcommand {
        name: "set",
        flags: &["selector", "output", "dry-run", "field-manager"],
        help: Help {
            summary: "Set the container images of a workload.",
            usage: &["kubectl set image TYPE/NAME CONTAINER=IMAGE... (CONTAINER may be *)"],
            notes: "Only `set image` is available. Works on pods, deployments, replica sets, stateful sets, daemon sets, jobs and cron jobs.",
            nested: true,
        },
        plan: |b, _| b.set(),
        run: label::run_set,
    },
    Subcommand {
        name: "expose",
        flags: &[
            "output",
            "dry-run",
            "field-manager",
            "port",
            "type",
            "target-port",
            "protocol",
            "name",
        ],
        help: Help {
            summary: "Expose a deployment, replica set, service or pod as a new Service.",
            usage: &[
                "kubectl expose TYPE NAME [--port=P] [--target-port=T] [--type=ClusterIP|NodePort|LoadBalancer] [--name=N] [--protocol=TCP]",
            ],
            notes: "The service selects the object's pods (its selector, or a pod's labels) and carries its labels; without --port the containers' ports are used.",
            nested: false,
        },
        plan: |b, _| b.expose("services"),
        run: expose::run_expose,
    },
    Subcommand {
        name: "autoscale",
        flags: &[
            "output",
            "dry-run",
            "field-manager",
            "name",
            "min",
            "max",
            "cpu-percent",
        ],
        help: Help {
            summary: "Create a HorizontalPodAutoscaler (autoscaling/v2) for a deployment, replica set or stateful set.",
            usage: &[
                "kubectl autoscale TYPE NAME --max=M [--min=N] [--cpu-percent=P] [--name=NAME]",
            ],
            notes: "",
            nested: false,
        },
        plan: |b, _| b.expose("horizontalpodautoscalers"),
        run: expose::run_autoscale,
    },
    Subcommand {
        name: "cordon",
        flags: &["dry-run"],
        help: Help {
            summary: "Mark a node as unschedulable.",
            usage: &["kubectl cordon NODE"],
            notes: "",
            nested: false,
        },
        plan: |b, _| b.nodes(),
        run: |p, _, api| node::run_cordon(p, api, true),
    },
    Subcommand {
        name: "uncordon",
        flags: &["dry-run"],
        help: Help {
            summary: "Mark a node as schedulable.",
            usage: &["kubectl uncordon NODE"],
            notes: "",
            nested: false,
        },
        plan: |b, _| b.nodes(),
        run: |p, _, api| node::run_cordon(p, api, false),
    },
    Subcommand {
        name: "drain",
        flags: &[
            "grace-period",
            "force",
            "dry-run",
            "timeout",
            "ignore-daemonsets",
            "delete-emptydir-data",
            "delete-local-data",
            "pod-selector",
            "disable-eviction",
        ],
        help: Help {
            summary: "Cordon a node and evict its pods.",
            usage: &[
                "kubectl drain NODE [--ignore-daemonsets] [--delete-emptydir-data] [--force] [--grace-period=N] [--pod-selector=S] [--timeout=60s]",
            ],
            notes: "Mirror pods are skipped; DaemonSet pods, pods with emptyDir volumes and pods without a controller are refused unless the matching flag is given, as kubectl does. Each pod is evicted (PodDisruptionBudgets apply; a refused eviction is reported, not retried) and the command waits for the pods to go, for at most --timeout (default 60s).",
            nested: false,
        },
        plan: |b, _| b.nodes(),
        run: |p, _, api| node::run_drain(p, api),
    },
    Subcommand {
        name: "cluster-info",
        flags: &[],
        help: Help {
            summary: "Show the control plane and the cluster services.",
            usage: &["kubectl cluster-info"],
            notes: "The API server's address is not available to this tool: the server version and the in-cluster address of the kubernetes service are shown instead, and service proxy links start with <server>. cluster-info dump is not available.",
            nested: false,
        },
        plan: |b, _| b.as_typed(),
        run: |p, _, api| cluster::cluster_info(p, api),
    },
    Subcommand {
        name: "wait",
        flags: &["selector", "for", "timeout"],
        help: Help {
            summary: "Wait for a condition on one or many resources.",
            usage: &[
                "kubectl wait --for=condition=NAME[=VALUE] TYPE/NAME... [--timeout=30s]",
                "kubectl wait --for=delete|create TYPE/NAME...",
                "kubectl wait --for=condition=NAME TYPE -l SELECTOR",
            ],
            notes: "The objects are polled once a second (no watch), for at most --timeout (default 30s, never more than 240s).",
            nested: false,
        },
        plan: |b, _| b.wait(),
        run: wait::run,
    },
    Subcommand {
        name: "top",
        flags: &[
            "all-namespaces",
            "selector",
            "no-headers",
            "sort-by",
            "containers",
        ],
        help: Help {
            summary: "Show CPU and memory usage of pods or nodes (Metrics API).",
            usage: &[
                "kubectl top pod [NAME] [-n NS | -A] [-l SELECTOR] [--containers] [--sort-by=cpu|memory]",
                "kubectl top node [NAME] [-l SELECTOR] [--sort-by=cpu|memory]",
            ],
            notes: "Needs the Metrics API (metrics-server); without it the answer is `error: Metrics API not available`.",
            nested: true,
        },
        plan: |b, _| b.top(),
        run: top::run,
    },
    Subcommand {
        name: "explain",
        flags: &["output", "recursive", "api-version"],
        help: Help {
            summary: "Describe the fields of a resource type, from the API server's OpenAPI v3 schema.",
            usage: &[
                "kubectl explain TYPE[.FIELD[.FIELD...]] [--recursive] [--api-version=GROUP/VERSION]",
            ],
            notes: "Prints like kubectl's plaintext format: GROUP/KIND/VERSION, FIELD with its type for a field path, DESCRIPTION, and FIELDS with types, -required- and descriptions; --recursive prints the field tree without descriptions. --output=plaintext-openapiv2 is not supported.",
            nested: false,
        },
        plan: |b, _| b.explain(),
        run: |p, _, api| explain::run(p, api),
    },
];

// The names, gathered at compile time, so that `SUPPORTED` is a plain slice.
const COUNT: usize = SUBCOMMANDS.len();

const NAMES: [&str; COUNT] = {
    let mut names = [""; COUNT];
    let mut i = 0;
    while i < COUNT {
        names[i] = SUBCOMMANDS[i].name;
        i += 1;
    }
    names
};

/// The names of [`SUBCOMMANDS`], in order: the subcommands this plugin runs.
pub const SUPPORTED: &[&str] = &NAMES;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{NOT_POSSIBLE, REFUSED};
    use crate::flags::{FLAGS, GLOBAL};

    #[test]
    fn every_entry_is_unique_complete_and_known() {
        assert_eq!(SUPPORTED.len(), SUBCOMMANDS.len());
        for (i, s) in SUBCOMMANDS.iter().enumerate() {
            let name = s.name;
            assert_eq!(SUPPORTED[i], name);
            assert!(
                !name.is_empty() && !name.starts_with('-') && !name.contains(' '),
                "{name:?}"
            );
            assert!(
                SUBCOMMANDS[i + 1..].iter().all(|o| o.name != name),
                "two entries are named {name}"
            );
            assert!(std::ptr::eq(find(name).unwrap(), s), "{name}");
            assert!(
                !REFUSED.contains(&name) && !NOT_POSSIBLE.iter().any(|(n, _)| *n == name),
                "{name} is both run and refused"
            );
            // Help text.
            assert!(!s.help.summary.trim().is_empty(), "{name} has no summary");
            assert!(!s.help.usage.is_empty(), "{name} has no usage lines");
            for u in s.help.usage {
                assert!(u.starts_with(&format!("kubectl {name}")), "{name}: {u}");
            }
            // Flags: defined, not global, once each.
            for (k, f) in s.flags.iter().enumerate() {
                assert!(
                    FLAGS.iter().any(|d| d.long == *f),
                    "{name}: flag --{f} is not defined in flags::FLAGS"
                );
                assert!(!GLOBAL.contains(f), "{name}: --{f} is global");
                assert!(!s.flags[k + 1..].contains(f), "{name}: --{f} twice");
            }
        }
        // Every SUPPORTED name has its entry, and every flag is taken by someone.
        for name in SUPPORTED {
            assert!(find(name).is_some(), "{name}");
        }
        for f in FLAGS {
            assert!(
                GLOBAL.contains(&f.long) || SUBCOMMANDS.iter().any(|s| s.flags.contains(&f.long)),
                "--{} is taken by no subcommand",
                f.long
            );
        }
        assert!(find("exec").is_none() && find("").is_none());
    }

    #[test]
    fn every_entry_renders_its_help_and_parses_help_flags() {
        for s in SUBCOMMANDS {
            let name = s.name;
            let help = crate::help::help_for(name).unwrap();
            assert!(help.starts_with(s.help.summary), "{name}");
            assert!(help.contains("Usage:") && help.contains("Flags:"), "{name}");
            for f in s.flags.iter().chain(GLOBAL) {
                assert!(help.contains(&format!("--{f}")), "{name}: --{f} missing");
            }
            for line in [format!("{name} --help"), format!("kubectl {name} -h")] {
                let words = kap_sdk::shell::tokenize(&line).unwrap();
                let p = crate::cli::parse(&words).unwrap_or_else(|e| panic!("{line}: {e}"));
                assert_eq!(p.sub, name);
                assert!(p.bool("help"), "{line}");
                let mut fake = kap_sdk::testing::FakeApi::new();
                let ctx = fake.ctx.clone();
                let out = crate::commands::run(&words, &ctx, &mut fake).unwrap();
                assert_eq!(out.text, help, "{line}");
                assert!(fake.requests.is_empty(), "{line}");
                let plan = crate::plan::plan_words(&words, None, "default").unwrap();
                assert_eq!(plan.command, format!("kubectl help {name}"), "{line}");
                assert!(plan.requests.is_empty(), "{line}");
            }
            if s.help.nested {
                assert_eq!(s.help_topic(Some("x")), format!("{name} x"));
            } else {
                assert_eq!(s.help_topic(Some("x")), name);
            }
        }
    }
}
