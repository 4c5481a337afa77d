//! What an `execute_kubectl` call stands for, worked out from its arguments alone (the WIT
//! `plan-call` export): the normalized command line the host's command-string policy is
//! matched against, and the Kubernetes requests the call is expected to make.
//!
//! The command line goes through the same steps as the call ([`crate::tool::call`],
//! [`crate::commands::run`]): the JSON arguments, [`kap_sdk::filters::split_command`], the leading
//! `kubectl`, the forbidden flags, the subcommand, refused and unsupported subcommands,
//! [`crate::cli::parse_with`], the namespace check and `TYPE NAME` / `TYPE/NAME` arguments
//! ([`crate::targets::parse_targets`]). An error at any of these steps is the call's own
//! [`CallError::InvalidArguments`] message. Checks a subcommand makes later (a missing
//! `--replicas`, a manifest that does not parse, a refused flag such as `delete -l`) are left
//! to the call: the plan is a declaration, and every request the call really makes still
//! passes the host's gate.
//!
//! Then [`build`] hands a [`Builder`] with the parsed command line to the subcommand's
//! [`crate::registry`] entry ([`crate::registry::Subcommand::plan`]), which adds its words and
//! requests; the builder is in [`builder`], on the SDK's plan builder
//! ([`kap_sdk::plan::PlanBuilder`]) and built-in kinds table ([`KINDS`]).
//!
//! # The normalized command
//!
//! `kubectl`, the subcommand words (`get`, `rollout restart`, `auth can-i`, `config
//! current-context`), the positional arguments, then every flag as `--name=value`, sorted by
//! name, separated by single spaces:
//!
//! * resource types are spelled as kubectl's singular lowercase resource name, from a static
//!   table of the built-in kinds ([`KINDS`]): `po`, `pods`, `Pod` are `pod`; `deploy`,
//!   `deployments.apps`, `deployments.v1.apps` are `deployment`. Unknown types are kept as
//!   typed, lowercased. Type lists stay comma-joined (`pods,svc` is `pod,service`);
//! * `TYPE/NAME` is written `TYPE NAME`; several objects of one type are `TYPE NAME NAME`,
//!   objects of several types that all share the same names are `TYPE,TYPE NAME`, other mixes
//!   are `TYPE NAME... TYPE NAME...`; a type or a name given twice is written once;
//! * `logs` names its pod as `pod NAME` (`logs web`, `logs po/web` and `logs pod/web` are
//!   alike), and a container given as the second argument is written `--container=C`;
//! * short flags are written long (`-n` is `--namespace`, `-l` `--selector`, `-o` `--output`,
//!   `-A` `--all-namespaces`, `-f` `--filename`), `_` in a name is `-`, and a flag given twice
//!   is written once with the value that counts (the last one, as kubectl's flag library
//!   keeps it), except the flags that collect every value (those whose help says "may be
//!   repeated": `--image`, `--tcp`, `--from-literal`), written once per value, in order;
//! * a boolean flag is `--name` when true and `--name=false` when false; `--dry-run` alone is
//!   `--dry-run=client` (what it means); `--cascade=true`/`false` are `background`/`orphan`;
//!   `events --for=po/web` is `--for=pod/web`, `create job --from=cj/x` is
//!   `--from=cronjob/x`;
//! * the namespace is always `--namespace=NS` for a command that acts in a namespace, with the
//!   default namespace filled in when none is given; it is left out for commands that do not
//!   (cluster-scoped kinds such as nodes, namespaces, clusterroles, persistentvolumes, CRDs;
//!   discovery; `config`) and for lists across all namespaces (`--all-namespaces` with no
//!   object named). A namespace named with `-n` is thus dropped where it has no effect, and
//!   kept where it has one (`get pod x -A -n kube-system` reads in kube-system);
//! * flags this plugin accepts and ignores (`--request-timeout`, `--chunk-size`, `--wait`,
//!   `--cached`, `--quiet`, `--server-side`, and `--timeout` except for `wait` and `drain`) are
//!   left out, so they cannot make one command look like another;
//! * `--help`, `-h` and `help TOPIC` are all written `kubectl help TOPIC`;
//! * a value (or argument) is quoted with single quotes only when it contains whitespace.
//!
//! So `kubectl -n kube-system delete   pod x`, `delete pod x --namespace kube-system` and
//! `delete po/x -n=kube-system` are all `kubectl delete pod x --namespace=kube-system`.
//!
//! # Requests
//!
//! The requests each command module sends, as far as they follow from the arguments: `get`
//! a list per type or a get per name (`all` expanded to its built-in members); `describe` the
//! same, plus per named object the lists it reads (a deployment's replica sets, a service's
//! endpoint slices, a node's pods, a namespace's quotas) and its events; `delete` a delete per
//! name; `scale` a patch of `scale` (a get of `scale` first with `--current-replicas`);
//! `rollout` a get (`status`), a patch (`restart`, `pause`, `resume`), or a get and a list of
//! replica sets (`history`; `undo` then patches); `logs` the pod (unless `-c` names the
//! container) and `pods/log`; `events` a list; `apply` a patch (server-side apply) and `create`
//! a create per object of the manifest, or per generated object; `patch`, `label`,
//! `annotate` and `set image` a get then a patch per object; `expose` and `autoscale` a get and
//! a create; `cordon`, `uncordon`, `drain` a get and a patch per node (`drain` then a list of
//! pods); `wait` a get per object; `top` the `metrics.k8s.io` objects. Writes are left out
//! with `--dry-run=client`. Discovery, `version`, `config`, `auth can-i` and `cluster-info`
//! plan none. Types come from [`KINDS`]; an unknown type has no group and keeps its spelling.
//!
//! # Output filters
//!
//! The command line is split as the call splits it ([`filters::split_command`]): the first
//! stage is the kubectl command, and the output filters after an unquoted `|` (`| grep x`) are
//! checked but are not part of the normalized command. When the first filter is `jq`, the
//! command is the one that runs: `get pods | jq .` is `kubectl get pod --output=json ...`
//! ([`crate::pipe::command_words`]).
//!
//! [`KINDS`]: kap_sdk::kinds::KINDS

pub mod builder;

pub use builder::{Builder, FAMILY, Plan, ROLLOUT_UNDO};
/// One request a call is expected to make (the WIT `planned-request`).
pub use kap_sdk::PlannedRequest;
/// The verbs of [`PlannedRequest`]s.
pub use kap_sdk::api::Verb;

use crate::catalog::{NOT_POSSIBLE, REFUSED};
use crate::cli::{self, Parsed};
use crate::help;
use crate::registry::{self, SUPPORTED};
use crate::targets;
use crate::tool::{self, CallError};
use kap_sdk::filters;
use kap_sdk::plan::PlanBuilder;

fn help_plan(topic: &str) -> Result<Plan, CallError> {
    help::help_for(topic).map_err(CallError::InvalidArguments)?;
    let mut plan = PlanBuilder::new(FAMILY);
    plan.word("help").words(topic.split_whitespace());
    Ok(plan.finish())
}

/// Plans one tool call: `Some` for `execute_kubectl`, `None` for the other tools of this
/// plugin (`describe_kubectl` only prints help), [`CallError::UnknownTool`] for a name that is
/// not a tool. Errors are the ones the call itself would give for the same arguments (see the
/// module documentation for how far the checks go).
pub fn plan(
    name: &str,
    arguments: &str,
    default_namespace: &str,
) -> Result<Option<Plan>, CallError> {
    plan_value(name, &tool::parse(arguments)?, default_namespace)
}

/// [`plan`] with the arguments already read as JSON (as [`kap_sdk::Plugin::plan_call`] gets
/// them).
pub fn plan_value(
    name: &str,
    arguments: &serde_json::Value,
    default_namespace: &str,
) -> Result<Option<Plan>, CallError> {
    if name != "execute_kubectl" {
        return if tool::tools().iter().any(|t| t.name == name) {
            Ok(None)
        } else {
            Err(CallError::UnknownTool(name.to_string()))
        };
    }
    // The argument checks of `tool::call`, in its order and with its messages.
    let m = tool::object(arguments)?;
    let Some(command) = tool::opt_string(&m, "command")? else {
        return Err(CallError::InvalidArguments(
            "`command` is required: a kubectl command line".into(),
        ));
    };
    if let Some(t) = m.get("timeout")
        && !t.is_null()
        && !t.is_u64()
    {
        return Err(CallError::InvalidArguments(
            "`timeout` must be a whole number of seconds".into(),
        ));
    }
    let manifest = tool::opt_string(&m, "manifest")?;
    let (words, pipeline) =
        filters::split_command(&command).map_err(CallError::InvalidArguments)?;
    if words.is_empty() || (words.len() == 1 && words[0] == "kubectl") {
        return Err(CallError::InvalidArguments(
            "`command` is empty: give a kubectl command such as `get pods`".into(),
        ));
    }
    let words =
        crate::pipe::command_words(&pipeline, &words).map_err(CallError::InvalidArguments)?;
    plan_words(&words, manifest.as_deref(), default_namespace).map(Some)
}

/// Plans a command line already split into words (with or without the leading `kubectl`),
/// with the steps and messages of [`crate::commands::run`] before it dispatches.
pub fn plan_words(
    words: &[String],
    manifest: Option<&str>,
    default_namespace: &str,
) -> Result<Plan, CallError> {
    let usage = |e: cli::CliError| CallError::InvalidArguments(e.0);
    let words = cli::strip_kubectl(words);
    cli::check_forbidden(words).map_err(usage)?;
    let sub = cli::find_subcommand(words).unwrap_or_default();
    if sub == "help" {
        let topic: Vec<&str> = words
            .iter()
            .skip_while(|w| *w != "help")
            .skip(1)
            .filter(|w| !w.starts_with('-'))
            .map(String::as_str)
            .collect();
        return help_plan(&topic.join(" "));
    }
    if REFUSED.contains(&sub.as_str()) {
        return Err(CallError::InvalidArguments(format!(
            "kubectl {sub} is not available: interactive, streaming and file-copying commands are refused by design"
        )));
    }
    if let Some((_, why)) = NOT_POSSIBLE.iter().find(|(n, _)| *n == sub) {
        return Err(CallError::InvalidArguments(format!(
            "kubectl {sub} is not available: {why}"
        )));
    }
    let entry = registry::find(&sub);
    if !sub.is_empty() && entry.is_none() {
        return Err(CallError::InvalidArguments(format!(
            "kubectl {sub} is not supported yet; supported subcommands: {}",
            SUPPORTED.join(", ")
        )));
    }
    let p = cli::parse_with(words, &sub).map_err(usage)?;
    if p.bool("help") || sub.is_empty() {
        let topic = match entry {
            Some(s) => s.help_topic(p.args.first().map(String::as_str)),
            None => sub,
        };
        return help_plan(&topic);
    }
    if let Some(ns) = p.namespace() {
        targets::validate_namespace(ns).map_err(CallError::InvalidArguments)?;
    }
    build(&p, manifest, default_namespace)
}

/// Plans a parsed command line of a subcommand the plugin runs (after the checks of
/// [`plan_words`]): its [`crate::registry`] entry's plan, or [`Builder::generic`] for a
/// subcommand without an entry.
pub fn build(
    p: &Parsed,
    manifest: Option<&str>,
    default_namespace: &str,
) -> Result<Plan, CallError> {
    let mut b = Builder::new(p, default_namespace);
    match registry::find(&p.sub) {
        Some(entry) => (entry.plan)(&mut b, manifest)?,
        None => b.generic(),
    }
    Ok(b.finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use kap_sdk::kinds::ALL_CATEGORY;
    use serde_json::json;

    const DEFAULT_NS: &str = "default";

    fn plan_of(command: &str) -> Plan {
        plan_args(json!({ "command": command }))
    }

    fn plan_args(args: serde_json::Value) -> Plan {
        match plan("execute_kubectl", &args.to_string(), DEFAULT_NS) {
            Ok(Some(p)) => p,
            other => panic!("{args}: {other:?}"),
        }
    }

    /// Plans with the grammar of `cli`, whether `commands` runs the subcommand yet or not.
    fn built(command: &str, manifest: Option<&str>) -> Plan {
        let words = kap_sdk::shell::tokenize(command).unwrap();
        let p = cli::parse_with(&words, &words[0]).unwrap_or_else(|e| panic!("{command}: {e}"));
        build(&p, manifest, DEFAULT_NS).unwrap()
    }

    fn norm(command: &str) -> String {
        plan_of(command).command
    }

    #[test]
    fn rollout_undo_is_a_fact() {
        assert_eq!(
            plan_of("rollout undo deploy/web -n a").facts,
            [ROLLOUT_UNDO]
        );
        assert_eq!(
            plan_of("rollout undo deploy/web --to-revision=2").facts,
            [ROLLOUT_UNDO]
        );
        assert!(plan_of("rollout restart deploy/web").facts.is_empty());
        assert!(plan_of("get pods").facts.is_empty());
        assert!(plan_of("help rollout").facts.is_empty());
    }

    fn err(command: &str) -> String {
        match plan(
            "execute_kubectl",
            &json!({ "command": command }).to_string(),
            DEFAULT_NS,
        ) {
            Err(CallError::InvalidArguments(m)) => m,
            other => panic!("{command:?} should fail, got {other:?}"),
        }
    }

    fn req(
        verb: Verb,
        group: Option<&str>,
        resource: &str,
        subresource: Option<&str>,
        namespace: Option<&str>,
        name: Option<&str>,
    ) -> PlannedRequest {
        PlannedRequest {
            verb,
            group: group.map(str::to_string),
            resource: resource.into(),
            subresource: subresource.map(str::to_string),
            namespace: namespace.map(str::to_string),
            name: name.map(str::to_string),
        }
    }

    #[test]
    fn plan_same_command_in_every_spelling() {
        for c in [
            "kubectl -n kube-system delete   pod x",
            "kubectl delete pod x --namespace kube-system",
            "kubectl delete po/x -n=kube-system",
            "kubectl delete --namespace=kube-system pods x",
            "delete pods x -nkube-system",
            "kubectl delete Pod x --namespace=default -n kube-system",
            "  delete\tpod/x --namespace=kube-system --request-timeout=5s --wait",
            "kubectl delete pod x x -n kube-system",
        ] {
            assert_eq!(
                norm(c),
                "kubectl delete pod x --namespace=kube-system",
                "{c:?}"
            );
        }
        assert_eq!(
            plan_of("kubectl -n kube-system delete pod x").requests,
            [req(
                Verb::Delete,
                Some(""),
                "pods",
                None,
                Some("kube-system"),
                Some("x")
            )]
        );
    }

    #[test]
    fn plan_paging_and_grep_flags() {
        // The extension flags are kept: they choose which objects and lines are returned.
        assert_eq!(
            norm("get pods -A --limit 25 --continue=eyJ2IjoibWV0YS5rOHMuaW8vdjEifQ=="),
            "kubectl get pod --all-namespaces --continue=eyJ2IjoibWV0YS5rOHMuaW8vdjEifQ== --limit=25"
        );
        assert_eq!(
            norm("get po -n x --continue a --continue=b --limit=5 --limit=7"),
            "kubectl get pod --continue=b --limit=7 --namespace=x"
        );
        assert_eq!(
            norm("logs web --grep 'time out' --tail=5 -c app"),
            "kubectl logs pod web --container=app --grep='time out' --namespace=default --tail=5"
        );
        assert_eq!(
            plan_of("get pods --limit=5 --continue=t").requests,
            [req(
                Verb::List,
                Some(""),
                "pods",
                None,
                Some("default"),
                None
            )]
        );
        assert!(err("logs web --limit=5").contains("unknown flag"));
    }

    #[test]
    fn plan_default_namespace_and_flag_order() {
        assert_eq!(
            norm("delete pod x"),
            "kubectl delete pod x --namespace=default"
        );
        assert_eq!(
            norm("get -o wide pods -l app=web -A"),
            norm("get pods --all_namespaces --selector=app=web --output wide")
        );
        assert_eq!(
            norm("get pods -Ao wide -l app=web"),
            "kubectl get pod --all-namespaces --output=wide --selector=app=web"
        );
        assert_eq!(
            norm("get pods -A=false"),
            "kubectl get pod --all-namespaces=false --namespace=default"
        );
        assert_eq!(
            norm("get pods -l 'app in (a,b)' -n a -n b"),
            "kubectl get pod --namespace=b --selector='app in (a,b)'"
        );
        assert_eq!(
            norm("delete pod x --dry-run --cascade=false --force --grace-period 0"),
            "kubectl delete pod x --cascade=orphan --dry-run=client --force --grace-period=0 --namespace=default"
        );
    }

    #[test]
    fn plan_kinds_are_normalized() {
        // The spellings of each type are the SDK's (`kap_sdk::kinds`, tested there).
        assert_eq!(
            norm("get po/a Deployments.v1.apps/b cj/c"),
            "kubectl get pod a deployment b cronjob c --namespace=default"
        );
        assert_eq!(
            norm("get pods,svc,po"),
            "kubectl get pod,service --namespace=default"
        );
        assert_eq!(
            norm("get po/a svc/a"),
            "kubectl get pod,service a --namespace=default"
        );
        assert_eq!(
            norm("get po/a po/b deploy/c"),
            "kubectl get pod a b deployment c --namespace=default"
        );
        assert_eq!(
            norm("get Widgets.Example.com"),
            "kubectl get widgets.example.com --namespace=default"
        );
    }

    #[test]
    fn plan_namespace_only_where_it_applies() {
        assert_eq!(norm("get nodes -n kube-system"), "kubectl get node");
        assert_eq!(
            norm("get ns,clusterroles,pv,crd"),
            "kubectl get namespace,clusterrole,persistentvolume,customresourcedefinition"
        );
        assert_eq!(
            norm("get nodes,pods"),
            "kubectl get node,pod --namespace=default"
        );
        // Named objects are read in the namespace even with -A.
        assert_eq!(
            norm("get secret x -A -n kube-system"),
            "kubectl get secret x --all-namespaces --namespace=kube-system"
        );
        assert_eq!(
            plan_of("get secret x -A -n kube-system").requests,
            [req(
                Verb::Get,
                Some(""),
                "secrets",
                None,
                Some("kube-system"),
                Some("x")
            )]
        );
        assert_eq!(norm("version -n x"), "kubectl version");
        assert_eq!(
            norm("api-resources --namespaced"),
            "kubectl api-resources --namespaced"
        );
        assert_eq!(
            norm("config current-context"),
            "kubectl config current-context"
        );
        assert_eq!(norm("events -A"), "kubectl events --all-namespaces");
        assert_eq!(
            norm("auth can-i delete pods/x -n prod"),
            "kubectl auth can-i delete pod x --namespace=prod"
        );
        assert_eq!(
            norm("auth can-i list nodes"),
            "kubectl auth can-i list node"
        );
        assert_eq!(
            norm("auth can-i get pods -A"),
            "kubectl auth can-i get pod --all-namespaces"
        );
        assert!(plan_of("auth can-i get pods").requests.is_empty());
    }

    #[test]
    fn plan_requests_of_each_command() {
        assert_eq!(
            plan_of("get deploy").requests,
            [req(
                Verb::List,
                Some("apps"),
                "deployments",
                None,
                Some("default"),
                None
            )]
        );
        assert_eq!(
            plan_of("get pods -A").requests,
            [req(Verb::List, Some(""), "pods", None, None, None)]
        );
        assert_eq!(plan_of("get all").requests.len(), ALL_CATEGORY.len());
        assert_eq!(
            plan_of("get foos x").requests,
            [req(
                Verb::Get,
                None,
                "foos",
                None,
                Some("default"),
                Some("x")
            )]
        );
        assert_eq!(
            plan_of("scale deploy/web --replicas=0").requests,
            [req(
                Verb::Patch,
                Some("apps"),
                "deployments",
                Some("scale"),
                Some("default"),
                Some("web")
            )]
        );
        assert_eq!(
            plan_of("scale deploy/web --replicas=0 --current-replicas=2").requests,
            [
                req(
                    Verb::Get,
                    Some("apps"),
                    "deployments",
                    Some("scale"),
                    Some("default"),
                    Some("web")
                ),
                req(
                    Verb::Patch,
                    Some("apps"),
                    "deployments",
                    Some("scale"),
                    Some("default"),
                    Some("web")
                ),
            ]
        );
        assert!(
            plan_of("scale deploy/web --replicas=0 --dry-run=client")
                .requests
                .is_empty()
        );
        assert_eq!(
            plan_of("rollout restart deploy/web -n a").requests,
            [req(
                Verb::Patch,
                Some("apps"),
                "deployments",
                None,
                Some("a"),
                Some("web")
            )]
        );
        assert_eq!(
            plan_of("rollout status sts web").requests,
            [req(
                Verb::Get,
                Some("apps"),
                "statefulsets",
                None,
                Some("default"),
                Some("web")
            )]
        );
        assert_eq!(
            plan_of("logs web -c app").requests,
            [req(
                Verb::Get,
                Some(""),
                "pods",
                Some("log"),
                Some("default"),
                Some("web")
            )]
        );
        assert_eq!(
            plan_of("logs po/web").requests,
            [
                req(
                    Verb::Get,
                    Some(""),
                    "pods",
                    None,
                    Some("default"),
                    Some("web")
                ),
                req(
                    Verb::Get,
                    Some(""),
                    "pods",
                    Some("log"),
                    Some("default"),
                    Some("web")
                ),
            ]
        );
        assert_eq!(
            plan_of("events --for po/web").requests,
            [req(
                Verb::List,
                Some(""),
                "events",
                None,
                Some("default"),
                None
            )]
        );
        assert_eq!(
            plan_of("describe deploy web").requests,
            [
                req(
                    Verb::Get,
                    Some("apps"),
                    "deployments",
                    None,
                    Some("default"),
                    Some("web")
                ),
                req(
                    Verb::List,
                    Some("apps"),
                    "replicasets",
                    None,
                    Some("default"),
                    None
                ),
                req(Verb::List, Some(""), "events", None, Some("default"), None),
            ]
        );
        assert!(plan_of("version").requests.is_empty());
    }

    #[test]
    fn plan_explain() {
        let p = plan_of("explain deploy.spec.replicas");
        assert_eq!(p.command, "kubectl explain deployment.spec.replicas");
        assert!(p.requests.is_empty());
        assert_eq!(norm("explain po -n x"), "kubectl explain pod");
        assert_eq!(
            norm("explain deployments.apps.spec -R --api-version apps/v1"),
            "kubectl explain deployment.spec --api-version=apps/v1 --recursive"
        );
        assert_eq!(
            norm("explain Widgets.spec.someField"),
            "kubectl explain widgets.spec.someField"
        );
    }

    #[test]
    fn plan_apply_documents() {
        let manifest = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: team}\n---\napiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, namespace: other}\n";
        let p = plan_args(json!({"command": "apply -f - -n team", "manifest": manifest}));
        assert_eq!(p.command, "kubectl apply --filename=- --namespace=team");
        assert_eq!(
            p.requests,
            [
                req(
                    Verb::Patch,
                    Some("apps"),
                    "deployments",
                    None,
                    Some("team"),
                    Some("web")
                ),
                req(
                    Verb::Patch,
                    Some(""),
                    "namespaces",
                    None,
                    None,
                    Some("team")
                ),
                req(
                    Verb::Patch,
                    Some("example.com"),
                    "Widget",
                    None,
                    Some("other"),
                    Some("w")
                ),
            ]
        );
        let q = plan_args(json!({"command": "apply --namespace=team", "manifest": manifest}));
        assert_eq!(q.command, p.command);
        let r = plan_args(json!({"command": "apply -f -", "manifest": "{not yaml"}));
        assert!(r.requests.is_empty());
    }

    #[test]
    fn plan_logs_forms() {
        assert_eq!(norm("logs web"), "kubectl logs pod web --namespace=default");
        assert_eq!(norm("logs pod/web"), norm("logs web"));
        assert_eq!(
            norm("logs web app --tail 20 -p"),
            "kubectl logs pod web --container=app --namespace=default --previous --tail=20"
        );
        assert_eq!(
            norm("logs -c app web --tail=20 -p"),
            norm("logs web app --tail 20 -p")
        );
    }

    #[test]
    fn plan_help_forms() {
        assert_eq!(norm("get --help"), "kubectl help get");
        assert_eq!(norm("help get"), "kubectl help get");
        assert_eq!(norm("rollout status -h"), "kubectl help rollout status");
        assert_eq!(norm("-n x"), "kubectl help");
        assert!(plan_of("get --help").requests.is_empty());
    }

    #[test]
    fn plan_cuts_at_the_first_pipe() {
        assert_eq!(
            norm("get pods | grep web"),
            "kubectl get pod --namespace=default"
        );
        assert_eq!(
            norm("get pods -l 'a|b' -n x|grep web | head -n 2"),
            "kubectl get pod --namespace=x --selector=a|b"
        );
        assert_eq!(
            norm("get pods -n x | jq '.items[].metadata.name'"),
            "kubectl get pod --namespace=x --output=json"
        );
        assert!(err("get pods || x").contains("command lists"));
        assert!(err("| grep x").contains("both sides"));
        assert!(err("get pods -o yaml | jq .").contains("-o json"));
        assert!(err("get pods | sh").contains("grep"));
    }

    #[test]
    fn plan_create_and_other_subcommands() {
        let planned = |c: &str| built(c, None);
        let p = planned("create deploy web --image=nginx --image=busybox -n prod --replicas 2");
        assert_eq!(
            p.command,
            "kubectl create deployment web --image=nginx --image=busybox --namespace=prod --replicas=2"
        );
        assert_eq!(
            p.requests,
            [req(
                Verb::Create,
                Some("apps"),
                "deployments",
                None,
                Some("prod"),
                None
            )]
        );
        let p = planned("create ns team -n x");
        assert_eq!(p.command, "kubectl create namespace team");
        assert_eq!(
            p.requests,
            [req(Verb::Create, Some(""), "namespaces", None, None, None)]
        );
        let p = planned("create job once --from=cj/nightly");
        assert_eq!(
            p.command,
            "kubectl create job once --from=cronjob/nightly --namespace=default"
        );
        assert_eq!(
            p.requests,
            [
                req(
                    Verb::Get,
                    Some("batch"),
                    "cronjobs",
                    None,
                    Some("default"),
                    Some("nightly")
                ),
                req(
                    Verb::Create,
                    Some("batch"),
                    "jobs",
                    None,
                    Some("default"),
                    None
                ),
            ]
        );
        assert!(
            planned("create cm x --from-literal=a=1 --dry-run")
                .requests
                .is_empty()
        );
        let manifest = "apiVersion: v1\nkind: ConfigMap\nmetadata: {generateName: x-}\n";
        let p = built("create", Some(manifest));
        assert_eq!(p.command, "kubectl create --filename=- --namespace=default");
        assert_eq!(
            p.requests,
            [req(
                Verb::Create,
                Some(""),
                "configmaps",
                None,
                Some("default"),
                None
            )]
        );
        // Shapes without a dedicated plan: kinds and TYPE/NAME normalized, no requests.
        for (c, want) in [
            (
                "set image deploy/web app=reg/app:2 -n a",
                "kubectl set image deployment web app=reg/app:2 --namespace=a",
            ),
            ("top pods -A", "kubectl top pod --all-namespaces"),
            ("top no", "kubectl top node"),
            (
                "rollout undo deployments.apps web",
                "kubectl rollout undo deployment web --namespace=default",
            ),
            (
                "label po x app=web --overwrite",
                "kubectl label pod x app=web --namespace=default --overwrite",
            ),
            ("cordon no", "kubectl cordon no"),
            (
                "wait --for=condition=Ready/x pod/web",
                "kubectl wait pod web --for=condition=Ready/x --namespace=default",
            ),
            (
                "set env deploy/web A=b",
                "kubectl set env deployment web A=b --namespace=default",
            ),
            (
                "drain node/n1 --ignore-daemonsets",
                "kubectl drain n1 --ignore-daemonsets",
            ),
            (
                "expose deploy web --port 80",
                "kubectl expose deployment web --namespace=default --port=80",
            ),
            (
                "patch deploy web -p '{\"spec\": {}}'",
                "kubectl patch deployment web --namespace=default --patch='{\"spec\": {}}'",
            ),
            ("config get-contexts", "kubectl config get-contexts"),
        ] {
            assert_eq!(built(c, None).command, want, "{c}");
        }
    }

    #[test]
    fn plan_quoting_and_odd_arguments() {
        assert_eq!(
            norm("get pod x -o 'jsonpath={.a b}'"),
            "kubectl get pod x --namespace=default --output='jsonpath={.a b}'"
        );
        assert_eq!(
            norm("get pods -- -weird"),
            "kubectl get pod -weird --namespace=default"
        );
        assert_eq!(
            norm("auth can-i '*' '*'"),
            "kubectl auth can-i * * --namespace=default"
        );
        assert_eq!(
            norm("api-resources -o wide --sort-by=name"),
            "kubectl api-resources --output=wide --sort-by=name"
        );
    }

    #[test]
    fn plan_other_tools() {
        assert_eq!(plan("describe_kubectl", "{}", DEFAULT_NS), Ok(None));
        assert_eq!(
            plan("nope", "{}", DEFAULT_NS),
            Err(CallError::UnknownTool("nope".into()))
        );
    }

    /// Every error the plan gives is the call's own message for the same arguments.
    #[test]
    fn plan_errors_match_the_call() {
        use crate::commands::testing::Fake;
        for args in [
            json!({}),
            json!({"command": 3}),
            json!({"command": "get pods", "timeout": "x"}),
            json!({"command": "get pods", "manifest": 1}),
            json!({"command": ""}),
            json!({"command": "kubectl"}),
            json!({"command": "get pods; rm -rf /"}),
            json!({"command": "get pods $(id)"}),
            json!({"command": "get pods --server=x"}),
            json!({"command": "-Ashttp://evil get pods"}),
            json!({"command": "exec -it web -- sh"}),
            json!({"command": "plugin list"}),
            json!({"command": "get pods --foo"}),
            json!({"command": "get pods -n ../../secrets"}),
            json!({"command": "get pods -n"}),
            json!({"command": "get pods ../x"}),
            json!({"command": "delete pods pod/x"}),
            json!({"command": "help nope"}),
            json!({"command": "delete pod x --dry-run=maybe"}),
            json!({"command": "logs ."}),
        ] {
            let planned = plan("execute_kubectl", &args.to_string(), DEFAULT_NS).unwrap_err();
            let mut f = Fake::new();
            let ctx = f.ctx.clone();
            let called = tool::call("execute_kubectl", &args.to_string(), ctx, &mut f).unwrap_err();
            assert_eq!(planned, called, "{args}");
            assert!(f.requests.is_empty());
        }
        assert_eq!(
            plan("execute_kubectl", "[]", DEFAULT_NS),
            Err(CallError::InvalidArguments(
                "arguments must be a JSON object".into()
            ))
        );
    }

    /// The planned requests are the requests the call really sends (against the fake).
    #[test]
    fn plan_requests_match_the_call() {
        use crate::commands::testing::{Fake, ok_json};
        let manifest = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n";
        for args in [
            json!({"command": "delete pod x -n kube-system"}),
            json!({"command": "delete po/a deploy/b"}),
            json!({"command": "scale deploy/web --replicas=2"}),
            json!({"command": "scale sts web --replicas=2 --current-replicas=1 --dry-run=server"}),
            json!({"command": "rollout restart deployment/web -n a"}),
            json!({"command": "rollout status deployment/web"}),
            json!({"command": "logs web -c app --tail 5"}),
            json!({"command": "logs web"}),
            json!({"command": "get pods -A"}),
            json!({"command": "get deploy,svc web -o json"}),
            json!({"command": "get nodes"}),
            json!({"command": "events --for pod/web"}),
            json!({"command": "describe deploy web"}),
            json!({"command": "describe secret s"}),
            json!({"command": "apply -f -", "manifest": manifest}),
            json!({"command": "create deploy web --image=nginx -n a"}),
            json!({"command": "create job once --from=cronjob/nightly"}),
            json!({"command": "create -f -", "manifest": manifest}),
            json!({"command": "patch deploy web -p '{\"spec\":{\"replicas\":2}}'"}),
            json!({"command": "patch deploy web --subresource=scale -p '{\"spec\":{\"replicas\":2}}'"}),
            json!({"command": "label po a b app=web --overwrite"}),
            json!({"command": "annotate deploy/web note=x -n a"}),
            json!({"command": "set image deploy/web app=nginx:2"}),
            json!({"command": "expose deploy web --port=80"}),
            json!({"command": "autoscale deploy web --max=3"}),
            json!({"command": "cordon node/n1"}),
            json!({"command": "drain n1 --ignore-daemonsets"}),
            json!({"command": "wait --for=create pod/web"}),
            json!({"command": "rollout history deploy/web"}),
        ] {
            let planned = plan_args(args.clone()).requests;
            let mut f = Fake::new();
            f.on(|r| {
                ok_json(match r.subresource.as_deref() {
                    Some("scale") => json!({"spec": {"replicas": 1}}),
                    _ if r.name.is_some() => json!({
                        "metadata": {"name": r.name, "namespace": r.namespace, "generation": 1, "uid": "u1"},
                        "spec": {"replicas": 1, "containers": [{"name": "app"}],
                            "selector": {"matchLabels": {"app": "web"}},
                            "template": {"spec": {"containers": [{"name": "app", "image": "nginx", "ports": [{"containerPort": 80}]}]}},
                            "jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "nginx"}]}}}}},
                        "status": {"observedGeneration": 1, "replicas": 1, "updatedReplicas": 1, "availableReplicas": 1, "readyReplicas": 1}
                    }),
                    _ => json!({"items": [], "columnDefinitions": [], "rows": []}),
                })
            });
            let ctx = f.ctx.clone();
            tool::call("execute_kubectl", &args.to_string(), ctx, &mut f)
                .unwrap_or_else(|e| panic!("{args}: {e:?}"));
            let sent: Vec<PlannedRequest> = f
                .requests
                .iter()
                .map(|r| PlannedRequest {
                    verb: r.verb,
                    group: Some(r.group.clone()),
                    resource: r.resource.clone(),
                    subresource: r.subresource.clone(),
                    namespace: r.namespace.clone(),
                    name: r.name.clone(),
                })
                .collect();
            if args["command"]
                .as_str()
                .is_some_and(|c| c.starts_with("drain"))
            {
                // drain then waits for the evicted pods, listing them again.
                assert!(sent.starts_with(&planned), "{args}: {planned:?} {sent:?}");
            } else {
                assert_eq!(planned, sent, "{args}");
            }
        }
    }

    #[test]
    fn plan_examples() {
        let examples = [
            (
                "kubectl -n kap-demo delete po/web-1",
                "kubectl delete pod web-1 --namespace=kap-demo",
            ),
            (
                "get pods -A -o wide",
                "kubectl get pod --all-namespaces --output=wide",
            ),
            (
                "get deploy,svc -l app=web",
                "kubectl get deployment,service --namespace=default --selector=app=web",
            ),
            (
                "describe deployments.apps/web -n prod",
                "kubectl describe deployment web --namespace=prod",
            ),
            (
                "logs web-1 app --tail 50",
                "kubectl logs pod web-1 --container=app --namespace=default --tail=50",
            ),
            (
                "scale deploy/web --replicas=0",
                "kubectl scale deployment web --namespace=default --replicas=0",
            ),
            (
                "rollout restart deploy/web -n prod",
                "kubectl rollout restart deployment web --namespace=prod",
            ),
            (
                "delete pvc data-0 --dry-run=server",
                "kubectl delete persistentvolumeclaim data-0 --dry-run=server --namespace=default",
            ),
            (
                "auth can-i delete secrets -n kube-system",
                "kubectl auth can-i delete secret --namespace=kube-system",
            ),
            ("get nodes -o name", "kubectl get node --output=name"),
            (
                "apply -f -",
                "kubectl apply --filename=- --namespace=default",
            ),
            ("get pods | grep web", "kubectl get pod --namespace=default"),
        ];
        for (input, want) in examples {
            let got = norm(input);
            println!("{input:<45} => {got}");
            assert_eq!(got, want, "{input}");
        }
    }
}
