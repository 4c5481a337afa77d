//! The helm tool family of kube-ai-proxy: helm command lines run by the real helm v4 binary
//! through the host's `process` capability. The host starts helm without a shell, in a
//! scratch directory, with a kubeconfig that names only its loopback API proxy; every API
//! request helm makes passes the host's gate (grant, policy with effect rules, RBAC,
//! confirmation, audit).
//!
//! This crate reads and checks the command line before anything runs:
//! * [`cli`]: helm's grammar (subcommands, flags, refused flags and subcommands), parsed with
//!   the SDK's cobra parser; helm receives an argument vector rebuilt from the parsed form;
//! * [`run`]: chart sources against the grant, the values file, the preview and approval of
//!   runs that delete or replace objects, and the run itself;
//! * [`redact`]: Secret data in rendered manifests, credential-like values.

pub mod cli;
pub mod redact;
pub mod run;

use kap_sdk::serde_json::{Value, json};
use kap_sdk::{Annotations, Api, CallContext, CallPlan, Plugin, Tool, ToolError, ToolOutput};

/// The server instructions this plugin adds (`tools.instructions`).
pub const INSTRUCTIONS: &str = "Use execute_helm with a helm command line (no shell; values as YAML in the `values` argument); charts are absolute paths under the operator's granted directories or `NAME --repo URL` with a granted URL. describe_helm lists what is supported. Uninstall, rollback and upgrades that remove objects ask the person first.";

/// The helm plugin.
pub struct Helm;

fn schema_execute() -> Value {
    json!({
        "type": "object",
        "properties": {
            "command": {"type": "string", "description": "The helm command line, with or without the leading `helm`, e.g. `list -A`, `status web -n demo`, `upgrade web /charts/web -n demo --set replicaCount=2`."},
            "values": {"type": "string", "description": "Values for install/upgrade/template/lint, as YAML (passed to helm as a values file)."},
            "timeout": {"type": "number", "description": "seconds (the operator's limit applies)"}
        },
        "required": ["command"]
    })
}

fn schema_describe() -> Value {
    json!({
        "type": "object",
        "properties": {
            "command": {"type": "string", "description": "A helm subcommand such as `install` or `get`; empty for the overview."}
        }
    })
}

impl Plugin for Helm {
    fn tools() -> Vec<Tool> {
        vec![
            Tool {
                name: "execute_helm".into(),
                title: Some("Execute helm".into()),
                description: "Run a helm (v4) command against the cluster: list, status, history, get all|values|manifest|notes|hooks|metadata, show chart|values|readme|all|crds, template, lint, install, upgrade [-i], rollback, uninstall, dependency list, version, env. The leading `helm` is optional. No shell: `;`, `&&`, pipes and substitutions are refused; --set values reach helm literally. Charts: an absolute path (directory or .tgz) under the operator's granted directories, or `NAME --repo URL` / oci:// under the granted URLs. Values: YAML in `values`. The cluster, credentials and identity are fixed by the operator (--kube-* flags are refused). Uninstall, rollback and upgrades that remove objects ask the person first, showing the objects or the diff. Secret data is never shown. Use describe_helm for the flags.".into(),
                input_schema: schema_execute().to_string(),
                annotations: Annotations {
                    read_only: false,
                    destructive: true,
                    idempotent: false,
                    open_world: true,
                },
                truncation_hint: Some("narrow the request, e.g. with -n, --max or -o json and fewer fields".into()),
            },
            Tool {
                name: "describe_helm".into(),
                title: Some("helm help".into()),
                description: "Help for helm as this server runs it: the supported commands, or for one command its usage and flags, and what is refused.".into(),
                input_schema: schema_describe().to_string(),
                annotations: Annotations {
                    read_only: true,
                    destructive: false,
                    idempotent: true,
                    open_world: false,
                },
                truncation_hint: Some("ask for one command, e.g. `install`".into()),
            },
        ]
    }

    fn call_tool(
        name: &str,
        args: &Value,
        ctx: &CallContext,
        api: &mut dyn Api,
    ) -> Result<ToolOutput, ToolError> {
        match name {
            "describe_helm" => {
                let topic = args.get("command").and_then(Value::as_str).unwrap_or("");
                Ok(ToolOutput::text(cli::help(topic)))
            }
            "execute_helm" => {
                let cmd = cli::parse(&kap_sdk::command_words(args, "helm")?)
                    .map_err(ToolError::InvalidArguments)?;
                if args.get("values").is_some_and(|v| !v.is_null()) && !cmd.renders() {
                    return Err(ToolError::InvalidArguments(format!(
                        "`values` applies to install, upgrade, template and lint, not helm {}",
                        cmd.sub
                    )));
                }
                let Some(grant) = ctx.process.as_ref() else {
                    return Ok(ToolOutput::error(
                        "Error: the helm plugin has no process grant on this server: the operator grants helm with [grants.helm.process] (or puts helm on the server's PATH)",
                    ));
                };
                let timeout_ms = args
                    .get("timeout")
                    .and_then(Value::as_f64)
                    .filter(|t| *t > 0.0)
                    .map(|t| ((t * 1000.0) as u64).min(ctx.timeout_ms))
                    .unwrap_or(ctx.timeout_ms);
                let call = run::Call {
                    grant,
                    namespace: cmd.namespace(&ctx.default_namespace),
                    values: args
                        .get("values")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                    timeout_ms,
                };
                let normalized = cmd.normalized(&ctx.default_namespace);
                Ok(run::execute(api, &call, &cmd, &normalized))
            }
            other => Err(ToolError::UnknownTool(other.into())),
        }
    }

    fn plan_call(
        name: &str,
        args: &Value,
        ctx: &CallContext,
    ) -> Result<Option<CallPlan>, ToolError> {
        match name {
            "describe_helm" => Ok(None),
            "execute_helm" => {
                let cmd = cli::parse(&kap_sdk::command_words(args, "helm")?)
                    .map_err(ToolError::InvalidArguments)?;
                Ok(Some(CallPlan {
                    family: "helm".into(),
                    command: cmd.normalized(&ctx.default_namespace),
                    requests: Vec::new(),
                    facts: if cmd.sub == "rollback" && !cmd.dry_run() {
                        vec!["rollout-undo".into()]
                    } else {
                        Vec::new()
                    },
                }))
            }
            other => Err(ToolError::UnknownTool(other.into())),
        }
    }

    fn instructions() -> Option<String> {
        Some(INSTRUCTIONS.into())
    }
}

kap_sdk::export_plugin!(Helm, "../plugin.toml");

#[cfg(test)]
mod tests {
    use super::*;
    use kap_sdk::testing::FakeApi;
    use kap_sdk::{ProcessError, ProcessGrant, RunOutput, RunRequest};
    use std::sync::{Arc, Mutex};

    fn ctx() -> CallContext {
        CallContext {
            request_id: "1".into(),
            kube_context: "kind-test".into(),
            default_namespace: "team-a".into(),
            timeout_ms: 30_000,
            max_output_chars: 100_000,
            process: Some(ProcessGrant {
                programs: vec!["helm".into()],
                read_dirs: vec!["/srv/charts".into()],
                urls: vec!["http://127.0.0.1:8879/".into()],
            }),
        }
    }

    /// A fake host whose `process.run` records each request and answers with `answer`.
    fn fake(
        answer: impl Fn(&RunRequest) -> Result<RunOutput, ProcessError> + Send + 'static,
    ) -> (FakeApi, Arc<Mutex<Vec<RunRequest>>>) {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s = seen.clone();
        let mut api = FakeApi::new();
        api.on_process(move |r: &RunRequest| {
            s.lock().unwrap().push(r.clone());
            answer(r)
        });
        (api, seen)
    }

    fn ok(stdout: &str) -> Result<RunOutput, ProcessError> {
        Ok(RunOutput {
            exit_code: Some(0),
            stdout: stdout.into(),
            stderr: String::new(),
            truncated: false,
        })
    }

    fn exec(api: &mut FakeApi, args: Value) -> Result<ToolOutput, ToolError> {
        Helm::call_tool("execute_helm", &args, &ctx(), api)
    }

    #[test]
    fn refused_flags_in_every_spelling_never_run_helm() {
        let (mut api, seen) = fake(|_| ok(""));
        for (command, named) in [
            ("list --kube-token=abc", "--kube-token"),
            ("list --kube-token abc", "--kube-token"),
            ("list --kube_token abc", "--kube-token"),
            ("helm list --kubeconfig /etc/passwd", "--kubeconfig"),
            (
                "list --kube-apiserver=https://evil:6443",
                "--kube-apiserver",
            ),
            ("list --kube-as-group=system:masters", "--kube-as-group"),
            (
                "install x /srv/charts/web --post-renderer /bin/sh",
                "--post-renderer",
            ),
            (
                "install x /srv/charts/web --set-file a=/etc/shadow",
                "--set-file",
            ),
            ("install x /srv/charts/web -f /etc/passwd", "--values"),
            ("install x /srv/charts/web --values=/etc/passwd", "--values"),
            ("plugin list", "plugin"),
            ("repo add x http://evil/", "repo"),
            ("list; cat /etc/passwd", ";"),
            ("list && id", "&&"),
            ("list $(id)", "$("),
            ("list | grep x", "|"),
        ] {
            let e = exec(&mut api, json!({"command": command})).unwrap_err();
            let ToolError::InvalidArguments(m) = e else {
                panic!("{command}: not an argument error")
            };
            assert!(m.contains(named), "{command}: {m}");
        }
        assert!(seen.lock().unwrap().is_empty());
    }

    #[test]
    fn chart_paths_outside_the_grant_never_run_helm() {
        let (mut api, seen) = fake(|_| ok(""));
        for (command, named) in [
            ("template x /etc", "/etc"),
            ("template x /srv/charts/../../etc", ".."),
            ("template x file:///etc/passwd", "file://"),
            (
                "template x https://charts.example.com/web-0.1.0.tgz",
                "https://charts.example.com",
            ),
            ("install x bitnami/nginx", "bitnami/nginx"),
            (
                "show chart web --repo http://127.0.0.1:9/",
                "http://127.0.0.1:9/",
            ),
        ] {
            let out = exec(&mut api, json!({"command": command})).unwrap();
            assert!(out.is_error, "{command}");
            assert!(out.text.contains(named), "{command}: {}", out.text);
        }
        assert!(seen.lock().unwrap().is_empty());
    }

    #[test]
    fn set_values_reach_helm_as_one_literal_argument() {
        let (mut api, seen) = fake(|_| ok("rendered"));
        let out = exec(
            &mut api,
            json!({"command": "template t /srv/charts/web --set-string 'greeting=$(touch /tmp/x)`id`'"}),
        )
        .unwrap();
        assert!(!out.is_error, "{}", out.text);
        let runs = seen.lock().unwrap();
        assert_eq!(runs.len(), 1);
        assert_eq!(runs[0].program, "helm");
        assert!(
            runs[0]
                .args
                .contains(&"--set-string=greeting=$(touch /tmp/x)`id`".to_string()),
            "{:?}",
            runs[0].args
        );
        // The default namespace is added.
        assert!(
            runs[0].args.contains(&"--namespace=team-a".to_string()),
            "{:?}",
            runs[0].args
        );
    }

    #[test]
    fn values_become_a_file() {
        let (mut api, seen) = fake(|_| ok("rendered"));
        exec(
            &mut api,
            json!({"command": "template t /srv/charts/web", "values": "replicaCount: 3\n"}),
        )
        .unwrap();
        let runs = seen.lock().unwrap();
        assert_eq!(
            runs[0].files,
            vec![("values.yaml".to_string(), b"replicaCount: 3\n".to_vec())]
        );
        assert!(
            runs[0].args.contains(&"--values=values.yaml".to_string()),
            "{:?}",
            runs[0].args
        );
    }

    #[test]
    fn uninstall_asks_with_the_objects_it_deletes() {
        let manifest = "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web-web\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: web-web\n";
        let (mut api, seen) = fake(move |r| {
            if r.args.first().map(String::as_str) == Some("get") {
                ok(manifest)
            } else {
                ok("release \"web\" uninstalled\n")
            }
        });
        let out = exec(&mut api, json!({"command": "uninstall web -n demo"})).unwrap();
        assert!(!out.is_error, "{}", out.text);
        let runs = seen.lock().unwrap();
        assert_eq!(runs.len(), 2);
        assert_eq!(runs[0].args[..3], ["get", "manifest", "web"]);
        assert!(runs[0].approval.is_none());
        let a = runs[1]
            .approval
            .as_ref()
            .expect("uninstall runs with an approval");
        assert!(a.required);
        assert!(
            a.preview.contains("Deployment demo/web-web"),
            "{}",
            a.preview
        );
        assert!(a.preview.contains("Service demo/web-web"), "{}", a.preview);
        assert!(a.requests.iter().any(|r| r.verb == kap_sdk::Verb::Delete
            && r.group == "apps"
            && r.resource == "deployments"
            && r.namespace.as_deref() == Some("demo")
            && r.name.as_deref() == Some("web-web")));
        assert!(
            a.requests.iter().any(|r| r.resource == "secrets"
                && r.name.as_deref() == Some("sh.helm.release.v1.web.v*"))
        );
    }

    #[test]
    fn rendered_secret_data_is_redacted() {
        let (mut api, _) = fake(|_| {
            ok(
                "---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  token: kap-helm-canary-7f3a9c\n",
            )
        });
        let out = exec(&mut api, json!({"command": "template t /srv/charts/web"})).unwrap();
        assert!(!out.text.contains("kap-helm-canary"), "{}", out.text);
        assert!(out.text.contains("<redacted>"), "{}", out.text);
    }

    #[test]
    fn a_denied_run_is_reported_with_its_rule() {
        let (mut api, _) = fake(|_| {
            Err(ProcessError::Denied((
                "no-deployments-here".into(),
                "CI owns them".into(),
            )))
        });
        let out = exec(&mut api, json!({"command": "list"})).unwrap();
        assert!(out.is_error);
        assert!(out.text.contains("no-deployments-here"), "{}", out.text);
    }

    #[test]
    fn the_plan_is_normalized_and_a_rollback_says_so() {
        let p = Helm::plan_call(
            "execute_helm",
            &json!({"command": "helm rollback web 1 -n demo"}),
            &ctx(),
        )
        .unwrap()
        .unwrap();
        assert_eq!(p.family, "helm");
        assert_eq!(p.command, "helm rollback web 1 --namespace=demo");
        assert_eq!(p.facts, ["rollout-undo"]);
        let p = Helm::plan_call("execute_helm", &json!({"command": "ls -A"}), &ctx())
            .unwrap()
            .unwrap();
        assert_eq!(
            p.command,
            "helm list --all-namespaces=true --namespace=team-a"
        );
    }

    #[test]
    fn atomic_waits_by_polling() {
        let cmd = cli::parse(&[
            "install".into(),
            "x".into(),
            "/srv/charts/web".into(),
            "--atomic".into(),
        ])
        .unwrap();
        let argv = cmd.argv("demo");
        assert!(
            argv.contains(&"--rollback-on-failure=true".to_string()),
            "{argv:?}"
        );
        assert!(argv.contains(&"--wait=legacy".to_string()), "{argv:?}");
        assert!(
            cli::parse(&[
                "install".into(),
                "x".into(),
                "/c".into(),
                "--wait=watcher".into()
            ])
            .is_err()
        );
    }

    #[test]
    fn without_a_grant_the_call_says_so() {
        let mut c = ctx();
        c.process = None;
        let (mut api, seen) = fake(|_| ok(""));
        let out =
            Helm::call_tool("execute_helm", &json!({"command": "list"}), &c, &mut api).unwrap();
        assert!(
            out.is_error && out.text.contains("no process grant"),
            "{}",
            out.text
        );
        assert!(seen.lock().unwrap().is_empty());
    }
    #[test]
    fn json_and_yaml_release_output_is_redacted_as_a_document() {
        // `helm status -o json` prints the release: its user values (`config`), its manifest
        // and its hooks.
        let release = r#"{"name":"web","info":{"status":"deployed"},"config":{"db":{"password":"hunter2","url":"postgres://u:pw@db/x"},"replicaCount":2},"manifest":"---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  token: kap-helm-canary-7f3a9c\n","hooks":[{"name":"h","manifest":"kind: Secret\ndata:\n  k: c2VjcmV0LWhvb2s=\n"}],"version":1}"#;
        for format in ["json", "yaml"] {
            let (mut api, _) = fake(move |_| ok(release));
            let out = exec(
                &mut api,
                json!({"command": format!("status web -o {format}")}),
            )
            .unwrap();
            assert!(!out.is_error, "{}", out.text);
            let structured = out.structured.clone().expect("structured content");
            for leak in ["hunter2", "pw@", "kap-helm-canary", "c2VjcmV0LWhvb2s="] {
                assert!(!out.text.contains(leak), "{format}: {leak} in {}", out.text);
                assert!(
                    !structured.contains(leak),
                    "{format}: {leak} in {structured}"
                );
            }
            assert!(out.text.contains("replicaCount"), "{}", out.text);
            // helm's key order is kept in the text.
            assert!(
                out.text.find("name").unwrap() < out.text.find("info").unwrap(),
                "{}",
                out.text
            );
        }
        // Output that does not parse (cut at the host's limit) is withheld.
        let (mut api, _) = fake(|_| {
            Ok(RunOutput {
                exit_code: Some(0),
                stdout: r#"{"name":"web","config":{"password":"hunter2""#.into(),
                stderr: String::new(),
                truncated: true,
            })
        });
        let out = exec(&mut api, json!({"command": "status web -o json"})).unwrap();
        assert!(!out.text.contains("hunter2"), "{}", out.text);
        assert!(out.text.contains("withheld"), "{}", out.text);
    }

    #[test]
    fn get_values_credentials_are_redacted() {
        let (mut api, seen) = fake(|_| {
            ok("USER-SUPPLIED VALUES:\ndb:\n  password: hunter2\n  host: db\napiToken: abc123\n")
        });
        let out = exec(&mut api, json!({"command": "get values web -n demo"})).unwrap();
        assert!(
            !out.text.contains("hunter2") && !out.text.contains("abc123"),
            "{}",
            out.text
        );
        assert!(out.text.contains("host: db"), "{}", out.text);
        assert_eq!(
            seen.lock().unwrap()[0].args,
            ["get", "values", "web", "--namespace=demo"]
        );
    }

    #[test]
    fn words_after_double_dash_never_reach_helm_as_flags() {
        let (mut api, seen) = fake(|_| ok(""));
        for command in [
            "template -- --kube-apiserver=http://evil:6443 /srv/charts/web",
            "rollback -- --kubeconfig=/etc/kubernetes/admin.conf web",
        ] {
            let e = exec(&mut api, json!({"command": command})).unwrap_err();
            let ToolError::InvalidArguments(m) = e else {
                panic!("{command}: not an argument error")
            };
            assert!(m.contains("starts with `-`"), "{command}: {m}");
        }
        assert!(seen.lock().unwrap().is_empty());
    }

    #[test]
    fn flags_helm_4_3_does_not_take_are_refused() {
        for command in [
            "get manifest web --all",
            "get notes web -o json",
            "show chart /srv/charts/web --jsonpath={.a}",
            "status web --show-resources",
            "rollback web 1 --rollback-on-failure",
            "template t /srv/charts/web --validate",
            "install x /srv/charts/web --debug",
        ] {
            let words: Vec<String> = command.split(' ').map(String::from).collect();
            assert!(cli::parse(&words).is_err(), "{command}");
        }
        for command in [
            "get values web -a -o json",
            "get metadata web -o yaml",
            "rollback web 1 --description undo",
            "install x /srv/charts/web -l team=a --qps 5 --burst-limit 10",
        ] {
            let words: Vec<String> = command.split(' ').map(String::from).collect();
            assert!(cli::parse(&words).is_ok(), "{command}");
        }
    }

    #[test]
    fn values_only_for_commands_that_render() {
        let (mut api, seen) = fake(|_| ok(""));
        let e = exec(&mut api, json!({"command": "list", "values": "a: 1\n"})).unwrap_err();
        assert!(matches!(e, ToolError::InvalidArguments(m) if m.contains("helm list")));
        assert!(seen.lock().unwrap().is_empty());
    }

    #[test]
    fn rollback_asks_with_the_diff_to_the_previous_revision() {
        let current = "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 3\n";
        let old = "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 1\n";
        let (mut api, seen) = fake(move |r| match r.args[0].as_str() {
            "history" => ok(r#"[{"revision":1},{"revision":2},{"revision":3}]"#),
            "get" if r.args.contains(&"--revision=2".to_string()) => ok(old),
            "get" => ok(current),
            _ => ok("Rollback was a success!\n"),
        });
        let out = exec(&mut api, json!({"command": "rollback web -n demo"})).unwrap();
        assert!(!out.is_error, "{}", out.text);
        let runs = seen.lock().unwrap();
        let last = runs.last().unwrap();
        assert_eq!(last.args, ["rollback", "web", "--namespace=demo"]);
        let a = last
            .approval
            .as_ref()
            .expect("rollback runs with an approval");
        assert!(a.required);
        assert!(a.preview.contains("revision 2"), "{}", a.preview);
        assert!(
            a.preview.contains("-  replicas: 3") && a.preview.contains("+  replicas: 1"),
            "{}",
            a.preview
        );
        assert!(a.requests.iter().any(|r| r.verb == kap_sdk::Verb::Update
            && r.resource == "deployments"
            && r.name.as_deref() == Some("web")));
        assert!(a.requests.iter().any(|r| r.verb == kap_sdk::Verb::Delete
            && r.resource == "secrets"
            && r.name.as_deref() == Some("sh.helm.release.v1.web.v*")));
    }

    #[test]
    fn an_upgrade_asks_only_when_it_removes_objects() {
        let current = "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n";
        let rendered = "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\n";
        for (release_exists, removes) in [(true, true), (false, false)] {
            let (mut api, seen) = fake(move |r| match r.args[0].as_str() {
                "get" if release_exists => ok(current),
                "get" => Ok(RunOutput {
                    exit_code: Some(1),
                    stdout: String::new(),
                    stderr: "Error: release: not found".into(),
                    truncated: false,
                }),
                "template" => ok(rendered),
                _ => ok("done\n"),
            });
            let out = exec(
                &mut api,
                json!({"command": "upgrade web /srv/charts/web -i -n demo", "values": "a: 1\n"}),
            )
            .unwrap();
            assert!(!out.is_error, "{}", out.text);
            let runs = seen.lock().unwrap();
            let render = runs.iter().find(|r| r.args[0] == "template").unwrap();
            assert!(render.args.contains(&"--values=values.yaml".to_string()));
            assert!(render.args.contains(&"--is-upgrade=true".to_string()));
            let a = runs.last().unwrap().approval.as_ref().unwrap();
            assert_eq!(a.required, removes, "{}", a.preview);
            let deletes_extra = a
                .requests
                .iter()
                .any(|r| r.verb == kap_sdk::Verb::Delete && r.name.as_deref() == Some("extra"));
            assert_eq!(deletes_extra, removes);
            assert!(a.preview.contains("extra") == removes, "{}", a.preview);
        }
    }

    #[test]
    fn a_dry_run_needs_no_approval() {
        let (mut api, seen) = fake(|_| ok(""));
        exec(&mut api, json!({"command": "uninstall web --dry-run"})).unwrap();
        let runs = seen.lock().unwrap();
        assert_eq!(runs.len(), 1);
        assert!(runs[0].approval.is_none());
        assert!(runs[0].args.contains(&"--dry-run=true".to_string()));
    }
}
