//! argocd's grammar as this plugin runs it: `GROUP ACTION` commands (`app sync`, `proj list`)
//! with the flag names, shorthands and defaults of Argo CD v3's cobra commands, parsed with the
//! SDK's cobra parser. The flags that choose the Argo CD server, its credentials or the
//! kubeconfig are refused wherever they appear; commands that need the Argo CD API server or
//! a session are refused with the reason.

use kap_sdk::cli::{Arity, Cli, CliError, FlagSpec, Parsed, Topic, flag};

use Arity::{Bool, Value};

/// Argo CD's control namespace: where the `repository` and `cluster` Secrets, the
/// `argocd-server` Deployment and (by default) the Applications live. Fixed: Argo CD's CLI has
/// no flag for it in `--core` mode either (it follows the kubeconfig's namespace, which the
/// operator fixes).
pub const ARGOCD_NAMESPACE: &str = "argocd";

const APP_LIST: &[&str] = &["app list"];
const APP_GET: &[&str] = &["app get"];
const APP_SYNC: &[&str] = &["app sync"];
const APP_SET: &[&str] = &["app set"];
const APP_DELETE: &[&str] = &["app delete"];
const APP_WAIT: &[&str] = &["app wait"];
const OUTPUT: &[&str] = &[
    "app list",
    "app get",
    "app history",
    "proj list",
    "proj get",
    "appset list",
    "appset get",
    "repo list",
    "cluster list",
    "version",
];

/// Every flag the plugin understands.
pub static FLAGS: &[FlagSpec] = &[
    flag(
        "app-namespace",
        Some('N'),
        Value,
        &[
            "app list",
            "app get",
            "app history",
            "app resources",
            "app diff",
            "app sync",
            "app rollback",
            "app set",
            "app delete",
            "app wait",
            "app terminate-op",
        ],
        "Namespace of the application (default argocd; `NS/NAME` names it too).",
    ),
    flag(
        "output",
        Some('o'),
        Value,
        OUTPUT,
        "Output format: wide|name|json|yaml for lists, json|yaml|wide for get.",
    ),
    flag(
        "project",
        Some('p'),
        Value,
        APP_LIST,
        "Filter by project name (repeatable).",
    ),
    flag(
        "selector",
        Some('l'),
        Value,
        APP_LIST,
        "List apps by label.",
    ),
    flag(
        "repo",
        Some('r'),
        Value,
        APP_LIST,
        "List apps by source repo URL.",
    ),
    flag(
        "cluster",
        Some('c'),
        Value,
        APP_LIST,
        "List apps by cluster name or URL.",
    ),
    flag("path", Some('P'), Value, APP_LIST, "List apps by path."),
    flag(
        "refresh",
        None,
        Bool,
        APP_GET,
        "Ask for a refresh (annotation argocd.argoproj.io/refresh=normal).",
    ),
    flag(
        "hard-refresh",
        None,
        Bool,
        APP_GET,
        "Ask for a hard refresh (annotation argocd.argoproj.io/refresh=hard).",
    ),
    flag(
        "show-operation",
        None,
        Bool,
        APP_GET,
        "Accepted; the last operation is always shown.",
    ),
    flag(
        "revision",
        None,
        Value,
        &["app sync", "app set"],
        "Sync to this revision / set the target revision.",
    ),
    flag(
        "prune",
        None,
        Bool,
        &["app sync", "app rollback"],
        "Allow deleting unexpected resources.",
    ),
    flag(
        "dry-run",
        None,
        Bool,
        &["app sync", "app rollback"],
        "Preview the sync without applying (the controller runs it as a dry run).",
    ),
    flag(
        "resource",
        None,
        Value,
        APP_SYNC,
        "Sync only GROUP:KIND:NAME or GROUP:KIND:NAMESPACE/NAME (repeatable).",
    ),
    flag(
        "force",
        None,
        Bool,
        APP_SYNC,
        "Use a force apply (delete and re-create resources that cannot be patched).",
    ),
    flag(
        "strategy",
        None,
        Value,
        APP_SYNC,
        "Sync strategy: hook (default) or apply.",
    ),
    flag(
        "apply-out-of-sync-only",
        None,
        Bool,
        APP_SYNC,
        "Sync only out-of-sync resources (sync option ApplyOutOfSyncOnly=true).",
    ),
    flag(
        "parameter",
        Some('p'),
        Value,
        APP_SET,
        "Set a Helm parameter: name=value (repeatable).",
    ),
    flag(
        "sync-policy",
        None,
        Value,
        APP_SET,
        "Set the sync policy: manual (none) or automated (auto, automatic).",
    ),
    flag(
        "self-heal",
        None,
        Bool,
        APP_SET,
        "Set self healing for the automated sync policy.",
    ),
    flag(
        "auto-prune",
        None,
        Bool,
        APP_SET,
        "Set automatic pruning for the automated sync policy.",
    ),
    flag(
        "cascade",
        None,
        Bool,
        APP_DELETE,
        "Delete the application's resources too (default true).",
    ),
    flag(
        "propagation-policy",
        Some('p'),
        Value,
        APP_DELETE,
        "Propagation policy of a cascaded delete: foreground|background.",
    ),
    flag(
        "yes",
        Some('y'),
        Bool,
        APP_DELETE,
        "Accepted; the server asks for confirmation itself.",
    ),
    flag("health", None, Bool, APP_WAIT, "Wait for health."),
    flag("sync", None, Bool, APP_WAIT, "Wait for sync."),
    flag(
        "operation",
        None,
        Bool,
        APP_WAIT,
        "Wait for a pending operation to finish.",
    ),
    flag(
        "timeout",
        None,
        Value,
        &["app wait", "app sync"],
        "Time out after this many seconds (bounded by the call's timeout).",
    ),
    flag(
        "client",
        None,
        Bool,
        &["version"],
        "Show the client version only.",
    ),
];

/// The argocd CLI.
pub static CLI: Cli = Cli {
    program: "argocd",
    flags: FLAGS,
    forbidden_long: &[
        "server",
        "auth-token",
        "grpc-web-root-path",
        "grpc-web",
        "config",
        "plaintext",
        "insecure",
        "header",
        "core",
        "port-forward",
        "port-forward-namespace",
        "client-crt",
        "client-crt-key",
        "server-crt",
        "kube-context",
    ],
    forbidden_short: &[('H', "header")],
    forbidden_reason: "the Argo CD server, credentials and kubeconfig are fixed by the operator; this server works on Argo CD's resources through the Kubernetes API",
};

/// Commands (`GROUP` or `GROUP ACTION`) refused with why.
pub const REFUSED: &[(&str, &str)] = &[
    (
        "login",
        "it opens a session with the Argo CD API server; this server works through the Kubernetes API, with the operator's identity",
    ),
    ("logout", "there is no Argo CD session here"),
    ("relogin", "there is no Argo CD session here"),
    (
        "account",
        "accounts and tokens are the Argo CD API server's business",
    ),
    (
        "context",
        "the Argo CD server and context are fixed by the operator",
    ),
    (
        "admin",
        "admin commands read and write Argo CD's settings and secrets directly",
    ),
    ("gpg", "GPG keys are managed through the Argo CD API server"),
    (
        "cert",
        "repository certificates are managed through the Argo CD API server",
    ),
    (
        "repocreds",
        "credential templates hold credentials, which this tool never reads",
    ),
    (
        "proj role",
        "project roles' tokens are issued by the Argo CD API server; `proj get` shows the roles (never their tokens)",
    ),
    (
        "proj windows",
        "sync windows are edited through the Argo CD API server",
    ),
    (
        "app manifests",
        "rendering manifests needs the Argo CD repo server",
    ),
    (
        "app logs",
        "use execute_kubectl logs on the application's pods",
    ),
    (
        "app create",
        "create Applications declaratively with execute_kubectl apply",
    ),
    (
        "app edit",
        "an interactive editor; use `app set` or execute_kubectl apply",
    ),
    ("app patch", "use `app set` or execute_kubectl patch"),
    (
        "app actions",
        "resource actions run Lua scripts in the Argo CD API server",
    ),
    (
        "app patch-resource",
        "use execute_kubectl patch on the resource",
    ),
    (
        "app delete-resource",
        "use execute_kubectl delete on the resource",
    ),
    ("app unset", "use `app set` or execute_kubectl patch"),
    ("app edit-spec", "use `app set` or execute_kubectl apply"),
    (
        "repo add",
        "adding a repository stores credentials, which this tool never handles",
    ),
    ("repo rm", "repository Secrets are managed by the operator"),
    (
        "repo get",
        "it asks the Argo CD API server for the connection state; `repo list` shows what is declared",
    ),
    (
        "cluster add",
        "adding a cluster stores credentials, which this tool never handles",
    ),
    ("cluster rm", "cluster Secrets are managed by the operator"),
    (
        "cluster get",
        "it asks the Argo CD API server for the connection state; `cluster list` shows what is declared",
    ),
    ("cluster rotate-auth", "it rotates credentials"),
];

/// The supported commands.
pub const SUPPORTED: &[&str] = &[
    "app list",
    "app get",
    "app history",
    "app resources",
    "app diff",
    "app sync",
    "app rollback",
    "app set",
    "app delete",
    "app wait",
    "app terminate-op",
    "proj list",
    "proj get",
    "appset list",
    "appset get",
    "repo list",
    "cluster list",
    "version",
];

const GROUPS: &[&str] = &["app", "proj", "appset", "repo", "cluster"];

/// A parsed argocd command.
#[derive(Debug, Clone)]
pub struct Command {
    /// The command: `app sync`, `version`, ... (aliases resolved).
    pub cmd: String,
    /// The parsed words (`parsed.sub` is [`Command::cmd`]; `parsed.args` the arguments).
    pub parsed: Parsed,
}

fn takes_value(word: &str) -> bool {
    if let Some(long) = word.strip_prefix("--") {
        return !long.contains('=')
            && FLAGS
                .iter()
                .any(|f| f.long == long.replace('_', "-") && f.arity == Value);
    }
    if let Some(shorts) = word.strip_prefix('-').filter(|s| !s.is_empty()) {
        let chars: Vec<char> = shorts.chars().collect();
        for (k, c) in chars.iter().enumerate() {
            if FLAGS
                .iter()
                .any(|f| f.short == Some(*c) && f.arity == Value)
            {
                return k + 1 == chars.len();
            }
        }
    }
    false
}

/// The indexes of the positional words (not flags, not flag values).
fn positionals(words: &[String]) -> Vec<usize> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let w = &words[i];
        if w == "--" {
            out.extend(i + 1..words.len());
            break;
        }
        if w.starts_with('-') && w.len() > 1 {
            if takes_value(w) {
                i += 1;
            }
        } else {
            out.push(i);
        }
        i += 1;
    }
    out
}

fn alias(group: &str, action: &str) -> (String, String) {
    let group = match group {
        "apps" | "application" | "applications" => "app",
        "project" | "projects" => "proj",
        "applicationset" | "applicationsets" | "appsets" => "appset",
        "repos" | "repository" => "repo",
        "clusters" => "cluster",
        g => g,
    };
    let action = match action {
        "ls" => "list",
        "rm" => "delete",
        a => a,
    };
    (group.to_string(), action.to_string())
}

/// Parses the words of `execute_argocd`'s `command`.
///
/// Errors: a refused flag or command, an unknown command or flag, a missing argument.
pub fn parse(words: &[String]) -> Result<Command, String> {
    let words = CLI.strip_program(words);
    CLI.check_forbidden(words).map_err(|CliError(e)| e)?;
    let pos = positionals(words);
    let Some(&g) = pos.first() else {
        return Err("no argocd command given; see describe_argocd".into());
    };
    let head = words[g].as_str();
    let (group, _) = alias(head, "");
    if let Some((_, why)) = REFUSED.iter().find(|(s, _)| *s == group) {
        return Err(format!("argocd {group} is not supported: {why}"));
    }
    if !GROUPS.contains(&group.as_str()) {
        if group == "version" {
            let p = CLI.parse_with(words, head).map_err(|CliError(e)| e)?;
            return Ok(Command {
                cmd: "version".into(),
                parsed: Parsed {
                    sub: "version".into(),
                    ..p
                },
            });
        }
        return Err(format!(
            "unknown command {group:?} for \"argocd\": supported are {} (see describe_argocd)",
            SUPPORTED.join(", ")
        ));
    }
    let Some(&a) = pos.get(1) else {
        return Err(format!(
            "argocd {group}: an action is required: {}",
            SUPPORTED
                .iter()
                .filter(|c| c.starts_with(&format!("{group} ")))
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        ));
    };
    let (_, action) = alias(&group, &words[a]);
    let cmd = format!("{group} {action}");
    if let Some((_, why)) = REFUSED.iter().find(|(s, _)| *s == cmd) {
        return Err(format!("argocd {cmd} is not supported: {why}"));
    }
    if !SUPPORTED.contains(&cmd.as_str()) {
        return Err(format!(
            "unknown command {action:?} for \"argocd {group}\": supported are {} (see describe_argocd)",
            SUPPORTED.join(", ")
        ));
    }
    let mut rest: Vec<String> = Vec::with_capacity(words.len());
    for (i, w) in words.iter().enumerate() {
        if i == g {
            continue;
        }
        rest.push(if i == a { cmd.clone() } else { w.clone() });
    }
    let parsed = CLI.parse_with(&rest, &cmd).map_err(|CliError(e)| e)?;
    let want = match cmd.as_str() {
        "app list" | "proj list" | "appset list" | "repo list" | "cluster list" => (0, 0),
        "app rollback" => (1, 2),
        _ => (1, 1),
    };
    let n = parsed.args.len();
    if n < want.0 {
        return Err(format!(
            "argocd {cmd}: an application or object name is required"
        ));
    }
    if n > want.1 {
        return Err(format!(
            "argocd {cmd}: unexpected arguments {:?}",
            &parsed.args[want.1..]
        ));
    }
    Ok(Command { cmd, parsed })
}

impl Command {
    /// The first argument (the application's or object's name), empty when none.
    pub fn name(&self) -> &str {
        self.parsed.args.first().map(String::as_str).unwrap_or("")
    }

    /// Every value given for a repeatable flag, in order.
    pub fn values(&self, long: &str) -> Vec<&str> {
        self.parsed
            .flags
            .iter()
            .filter(|(n, _)| *n == long)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The application's namespace and name: `NS/NAME`, else `-N`, else [`ARGOCD_NAMESPACE`].
    pub fn app_ref(&self) -> (String, String) {
        let name = self.name();
        match name.split_once('/') {
            Some((ns, n)) => (ns.to_string(), n.to_string()),
            None => (
                self.parsed
                    .value("app-namespace")
                    .unwrap_or(ARGOCD_NAMESPACE)
                    .to_string(),
                name.to_string(),
            ),
        }
    }

    /// The normalized command line (for the call plan and audit): `argocd`, the command, the
    /// arguments, then every flag as `--name=value` sorted by name.
    pub fn normalized(&self) -> String {
        let mut out = vec!["argocd".to_string(), self.cmd.clone()];
        out.extend(self.parsed.args.iter().cloned());
        let mut flags: Vec<String> = self
            .parsed
            .flags
            .iter()
            .map(|(k, v)| format!("--{k}={v}"))
            .collect();
        flags.sort();
        out.extend(flags);
        out.join(" ")
    }
}

static TOPICS: &[Topic] = &[
    Topic {
        name: "app list",
        summary: "Lists Applications in every namespace (apps in any namespace), as `argocd app list` prints them.",
        usage: &[
            "argocd app list [-p PROJECT]... [-l SELECTOR] [-r REPO] [-o wide|name|json|yaml]",
        ],
        notes: "Names are NAMESPACE/NAME as Argo CD's QualifiedName prints them. When listing all namespaces is refused, the argocd namespace is listed and the answer says so.",
    },
    Topic {
        name: "app get",
        summary: "Shows an Application: summary, conditions, the last operation, a pending operation and its resources.",
        usage: &["argocd app get NAME [--refresh|--hard-refresh] [-o wide|json|yaml]"],
        notes: "--refresh and --hard-refresh set the annotation argocd.argoproj.io/refresh (a merge patch), as Argo CD's API server does; the controller then refreshes.",
    },
    Topic {
        name: "app history",
        summary: "Shows the deployment history (.status.history).",
        usage: &["argocd app history NAME"],
        notes: "",
    },
    Topic {
        name: "app resources",
        summary: "Lists the Application's resources (from .status.resources; orphaned resources need the API server).",
        usage: &["argocd app resources NAME"],
        notes: "",
    },
    Topic {
        name: "app diff",
        summary: "A diff needs the Argo CD repo server; this lists the resources Argo CD reports OutOfSync.",
        usage: &["argocd app diff NAME"],
        notes: "",
    },
    Topic {
        name: "app sync",
        summary: "Starts a sync: writes .operation exactly as Argo CD's API server Sync does (one update with the object's resourceVersion); the application controller runs it.",
        usage: &[
            "argocd app sync NAME [--revision REV] [--prune] [--dry-run] [--force] [--strategy hook|apply] [--apply-out-of-sync-only] [--resource GROUP:KIND:NAME]...",
        ],
        notes: "Refused while another operation is in progress. --prune and --force need the person's confirmation. The revision is written as given (or the source's targetRevision): the API server would resolve it to a commit with the repo server, the controller resolves it here.",
    },
    Topic {
        name: "app rollback",
        summary: "Rolls back to a history entry (default: the previous one): a sync operation to that entry's revision and source, as the API server's Rollback writes it.",
        usage: &["argocd app rollback NAME [ID] [--prune] [--dry-run]"],
        notes: "Refused when automated sync is enabled. Needs the person's confirmation.",
    },
    Topic {
        name: "app set",
        summary: "Sets the target revision, Helm parameters or the sync policy (a merge patch of the Application).",
        usage: &[
            "argocd app set NAME [--revision REV] [-p NAME=VALUE]... [--sync-policy automated|none] [--self-heal] [--auto-prune]",
        ],
        notes: "--auto-prune needs the person's confirmation.",
    },
    Topic {
        name: "app delete",
        summary: "Deletes an Application; with --cascade (default) Argo CD deletes its resources too (the finalizer resources-finalizer.argocd.argoproj.io is added first, as the API server does; --cascade=false removes it).",
        usage: &["argocd app delete NAME [--cascade=false] [-p foreground|background]"],
        notes: "",
    },
    Topic {
        name: "app wait",
        summary: "Waits until the Application is synced and/or healthy and no operation is running (polls with gets).",
        usage: &["argocd app wait NAME [--sync] [--health] [--operation] [--timeout SECONDS]"],
        notes: "Bounded by the call's timeout.",
    },
    Topic {
        name: "app terminate-op",
        summary: "Terminates the running operation: sets .status.operationState.phase to Terminating with an update of the Application, as the API server does.",
        usage: &["argocd app terminate-op NAME"],
        notes: "",
    },
    Topic {
        name: "proj list",
        summary: "Lists AppProjects in the argocd namespace.",
        usage: &["argocd proj list [-o wide|name|json|yaml]"],
        notes: "",
    },
    Topic {
        name: "proj get",
        summary: "Shows an AppProject; roles are shown without their JWT tokens.",
        usage: &["argocd proj get NAME [-o wide|json|yaml]"],
        notes: "",
    },
    Topic {
        name: "appset list",
        summary: "Lists ApplicationSets in every namespace.",
        usage: &["argocd appset list [-o wide|name|json|yaml]"],
        notes: "",
    },
    Topic {
        name: "appset get",
        summary: "Shows an ApplicationSet.",
        usage: &["argocd appset get NAME [-o wide|json|yaml]"],
        notes: "",
    },
    Topic {
        name: "repo list",
        summary: "Lists the repositories declared as Secrets labelled argocd.argoproj.io/secret-type=repository in the argocd namespace.",
        usage: &["argocd repo list [-o wide|json|yaml]"],
        notes: "Only the keys the operator lets through are read (url, name, type, project, ...); credentials are never shown to this tool.",
    },
    Topic {
        name: "cluster list",
        summary: "Lists the clusters declared as Secrets labelled argocd.argoproj.io/secret-type=cluster in the argocd namespace.",
        usage: &["argocd cluster list [-o wide|json|yaml]"],
        notes: "Only the keys the operator lets through are read (server, name, project, ...); credentials are never shown to this tool.",
    },
    Topic {
        name: "version",
        summary: "Prints this plugin's version and Argo CD's, read from the image of the argocd-server (or argocd-application-controller) Deployment.",
        usage: &["argocd version [--client] [-o json|yaml]"],
        notes: "",
    },
];

/// Help for `topic` (`app sync`, `app`, ...), or the overview when it is empty or unknown.
pub fn help(topic: &str) -> String {
    let topic = topic.trim().trim_start_matches("argocd").trim();
    let mut it = topic.split_whitespace();
    let (g, a) = alias(it.next().unwrap_or(""), it.next().unwrap_or(""));
    let full = format!("{g} {a}");
    for key in [full.trim(), g.as_str()] {
        if let Some(t) = TOPICS.iter().find(|t| t.name == key) {
            return CLI.help(t);
        }
        if let Some((name, why)) = REFUSED.iter().find(|(s, _)| *s == key) {
            return format!("argocd {name} is not supported here: {why}.\n");
        }
    }
    let mut s = String::from(
        "argocd as this server runs it: Argo CD's --core mode, on Argo CD's custom resources through the Kubernetes API (no Argo CD API server, no login, no repo server). Argo CD's namespace is argocd.\n\nCommands:\n",
    );
    for t in TOPICS {
        s.push_str(&format!("  {:<17} {}\n", t.name, t.summary));
    }
    s.push_str("\nRefused (with the reason when used): ");
    s.push_str(
        &REFUSED
            .iter()
            .map(|(n, _)| *n)
            .collect::<Vec<_>>()
            .join(", "),
    );
    s.push_str(".\nRefused flags: --");
    s.push_str(&CLI.forbidden_long.join(", --"));
    s.push_str(", -H.\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(s: &str) -> Vec<String> {
        kap_sdk::shell::tokenize(s).unwrap()
    }

    #[test]
    fn commands_and_flags() {
        let c = parse(&w("argocd app list -p default -p other -o wide")).unwrap();
        assert_eq!(c.cmd, "app list");
        assert_eq!(c.values("project"), ["default", "other"]);
        let c = parse(&w("app set web -p image.tag=v2 --revision main")).unwrap();
        assert_eq!(c.values("parameter"), ["image.tag=v2"]);
        let c = parse(&w("app delete shop/web -p background --cascade=false")).unwrap();
        assert_eq!(c.parsed.value("propagation-policy"), Some("background"));
        assert_eq!(c.app_ref(), ("shop".to_string(), "web".to_string()));
        let c = parse(&w("-N team apps sync web --prune")).unwrap();
        assert_eq!(c.cmd, "app sync");
        assert_eq!(c.app_ref().0, "team");
        assert_eq!(
            c.normalized(),
            "argocd app sync web --app-namespace=team --prune=true"
        );
        assert_eq!(parse(&w("version --client")).unwrap().cmd, "version");
        assert!(parse(&w("app rollback web 3")).is_ok());
    }

    #[test]
    fn refusals() {
        for line in [
            "app list --server=x",
            "app list --auth_token x",
            "--grpc-web app list",
            "app get web --core",
            "app get web -H X:y",
            "app get web --kube-context=prod",
            "app list --port-forward-namespace x",
            "app list --plaintext",
            "app list --insecure",
            "app list --config /x",
            "app list --client-crt x",
        ] {
            assert!(
                parse(&w(line)).unwrap_err().contains("not allowed"),
                "{line}"
            );
        }
        for line in [
            "login cd.example.com",
            "account list",
            "proj role create-token p r",
            "admin settings",
            "repocreds list",
            "gpg list",
            "cert list",
            "logout x",
            "context",
        ] {
            assert!(
                parse(&w(line)).unwrap_err().contains("not supported"),
                "{line}"
            );
        }
        assert!(
            parse(&w("app frobnicate x"))
                .unwrap_err()
                .contains("unknown")
        );
        assert!(parse(&w("app get")).unwrap_err().contains("required"));
        assert!(help("login").contains("session"));
        assert!(help("app sync").contains("--prune"));
    }
}
