//! The MCP tools this plugin exports (`execute_kubectl`, `describe_kubectl`): their
//! definitions, argument parsing and how results become tool outputs. Independent of the WIT
//! bindings' export side, so it can be tested natively.

use serde_json::{Value, json};

pub use crate::error::CallError;
use crate::{commands, help};
use kap_sdk::api::{Api, CmdResult, Ctx, Failure, Outcome, kube_error_json, kube_error_text};
use kap_sdk::filters;

/// A tool definition (mapped to the WIT `tool` record in `lib.rs`).
pub struct ToolDef {
    /// The MCP tool name (`execute_kubectl`).
    pub name: &'static str,
    /// The MCP `title`, for people.
    pub title: &'static str,
    /// The MCP `description`, for the model.
    pub description: &'static str,
    /// The MCP `inputSchema` (a JSON Schema object).
    pub input_schema: Value,
    /// MCP `readOnlyHint`: the tool changes nothing.
    pub read_only: bool,
    /// MCP `destructiveHint`: the tool may delete or overwrite.
    pub destructive: bool,
    /// MCP `idempotentHint`: repeating a call has no further effect.
    pub idempotent: bool,
    /// MCP `openWorldHint`: the tool reaches outside the host (the cluster).
    pub open_world: bool,
    /// What the host suggests when the answer is cut at the client's budget (the WIT
    /// `tool.truncation-hint`).
    pub truncation_hint: Option<&'static str>,
}

/// The tools, named as in the seed server (alexei-led/k8s-mcp-server).
pub fn tools() -> Vec<ToolDef> {
    vec![
        ToolDef {
            name: "execute_kubectl",
            title: "Execute kubectl",
            description: "Run a kubectl command against the Kubernetes cluster, e.g. `get pods -n kube-system`, `describe deployment web`, `logs web-1 --tail 50`, `scale deploy/web --replicas=3`, `rollout status deploy/web`, `apply -f -` (manifest in `manifest`). The leading `kubectl` is optional. No shell is involved: redirections, `;`/`&&` and command substitution are refused; after `|` only these output filters are allowed: grep [-i] [-v], head -n, tail -n, wc -l, sort, uniq and jq FILTER (e.g. `get pods -A | grep -i crash`, `get pods | jq -r '.items[].metadata.name'`; `-o json` is added for jq). The cluster, credentials and identity are fixed by the operator. Supported: get, describe, logs, events, create, apply, patch, label, annotate, set image, scale, delete, rollout (status/restart/history/undo/pause/resume), expose, autoscale, cordon, uncordon, drain, wait, top, cluster-info, api-resources, api-versions, version, auth can-i, config current-context/get-contexts. Deletes, scaling to zero, rollout undo, drain and RBAC changes ask the person for confirmation. Use describe_kubectl for the flags of each command.",
            input_schema: json!({
                "type": "object",
                "properties": {
                    "command": {"type": "string", "description": "The kubectl command line, with or without the leading `kubectl`, e.g. `get pods -n default -o wide`."},
                    "timeout": {"type": "integer", "description": "seconds (the operator's limit applies)"},
                    "manifest": {"type": "string", "description": "For `apply -f -`: the manifest, YAML or JSON, one or more documents separated by `---`."}
                },
                "required": ["command"]
            }),
            read_only: false,
            destructive: true,
            idempotent: false,
            open_world: true,
            truncation_hint: Some(
                "narrow the request, e.g. with -n, -l, --field-selector, --tail or -o name",
            ),
        },
        ToolDef {
            name: "describe_kubectl",
            title: "kubectl help",
            description: "Help for kubectl as this server runs it: the supported commands, or for one command (e.g. `get`, `logs`, `rollout`) its usage and the flags it accepts.",
            input_schema: json!({
                "type": "object",
                "properties": {
                    "command": {"type": "string", "description": "A kubectl subcommand such as `get` or `logs`; empty for the overview."}
                }
            }),
            read_only: true,
            destructive: false,
            idempotent: true,
            open_world: false,
            truncation_hint: Some("ask for one command, e.g. `get` or `logs`"),
        },
        ToolDef {
            name: "k8s_troubleshoot",
            title: "Troubleshoot a namespace",
            description: "Find why something in a namespace is broken: walks Ingress/Service -> EndpointSlices -> Pods -> owners -> Events -> Nodes and PVCs, and returns ranked findings (root cause first), each with its evidence (object field=value, events) and a suggested kubectl fix. Detects Services without ready endpoints and why (selector matches nothing, pods not ready, backend scaled to zero), CrashLoopBackOff with the last exit reason, ImagePullBackOff, CreateContainerConfigError, unschedulable pods, OOMKilled, failing probes, Deployments not progressing, workloads scaled to zero that others depend on, Pending PVCs, NotReady nodes and failed Jobs. Read-only; never reads Secrets.",
            input_schema: json!({
                "type": "object",
                "properties": {
                    "namespace": {"type": "string", "description": "Namespace to examine (default: the server's default namespace)."},
                    "kind": {"type": "string", "description": "Kind of the workload or object to focus on, e.g. deployment, statefulset, service, pod, job, pvc."},
                    "name": {"type": "string", "description": "Its name (or `kind/name`), e.g. `wordpress` or `deployment/wordpress`."},
                    "symptom": {"type": "string", "description": "Free text describing the problem, e.g. `wordpress cannot reach its database`."}
                }
            }),
            read_only: true,
            destructive: false,
            idempotent: true,
            open_world: false,
            truncation_hint: Some("narrow it to one workload with `kind` and `name`"),
        },
    ]
}

/// Turns a command's result into the tool's answer: usage errors are invalid arguments,
/// capability failures and `error:` messages are tool errors in kubectl's words.
pub fn outcome_of(r: CmdResult) -> Result<Outcome, CallError> {
    match r {
        Ok(o) => Ok(o),
        Err(Failure::Usage(m)) => Err(CallError::InvalidArguments(m)),
        Err(Failure::Kube(e)) => Ok(Outcome {
            text: format!("{}\n", kube_error_text(&e)),
            structured: Some(kube_error_json(&e)),
            is_error: true,
        }),
        Err(Failure::Message(m)) => {
            let text = if m.starts_with("error:") {
                m
            } else {
                format!("error: {m}")
            };
            Ok(Outcome {
                structured: Some(json!({"error": {"type": "failed", "message": text}})),
                text: format!("{text}\n"),
                is_error: true,
            })
        }
    }
}

/// Reads an `arguments` string as the SDK does ([`kap_sdk::parse_arguments`]: empty
/// arguments are `{}`).
pub fn parse(arguments: &str) -> Result<Value, CallError> {
    kap_sdk::parse_arguments(arguments).map_err(CallError::from)
}

/// The arguments as a JSON object; also used by [`crate::plan`].
pub fn object(arguments: &Value) -> Result<serde_json::Map<String, Value>, CallError> {
    match arguments {
        Value::Object(m) => Ok(m.clone()),
        _ => Err(CallError::InvalidArguments(
            "arguments must be a JSON object".into(),
        )),
    }
}

/// An optional string argument (`null` is absent); also used by [`crate::plan`].
pub fn opt_string(
    m: &serde_json::Map<String, Value>,
    key: &str,
) -> Result<Option<String>, CallError> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(CallError::InvalidArguments(format!(
            "`{key}` must be a string"
        ))),
    }
}

/// Runs one tool call with its `arguments` string (tests; see [`call_value`]).
pub fn call(
    name: &str,
    arguments: &str,
    ctx: Ctx,
    api: &mut dyn Api,
) -> Result<Outcome, CallError> {
    call_value(name, &parse(arguments)?, ctx, api)
}

/// Runs one tool call with its arguments read as JSON.
pub fn call_value(
    name: &str,
    arguments: &Value,
    mut ctx: Ctx,
    api: &mut dyn Api,
) -> Result<Outcome, CallError> {
    match name {
        "execute_kubectl" => {
            let m = object(arguments)?;
            let Some(command) = opt_string(&m, "command")? else {
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
            ctx.manifest = opt_string(&m, "manifest")?;
            // `COMMAND | FILTER ...`: the safe output filters of `filters`.
            let (words, pipeline) =
                filters::split_command(&command).map_err(CallError::InvalidArguments)?;
            if words.is_empty() || (words.len() == 1 && words[0] == "kubectl") {
                return Err(CallError::InvalidArguments(
                    "`command` is empty: give a kubectl command such as `get pods`".into(),
                ));
            }
            let words = crate::pipe::command_words(&pipeline, &words)
                .map_err(CallError::InvalidArguments)?;
            ctx.filtered = !pipeline.is_empty();
            Ok(pipeline.run_on(outcome_of(commands::run(&words, &ctx, api))?))
        }
        "describe_kubectl" => {
            let m = object(arguments)?;
            let topic = opt_string(&m, "command")?.unwrap_or_default();
            help::help_for(&topic)
                .map(Outcome::text)
                .map_err(CallError::InvalidArguments)
        }
        "k8s_troubleshoot" => {
            let m = object(arguments)?;
            let args = crate::troubleshoot::parse_args(&m, &ctx.default_namespace)
                .map_err(CallError::InvalidArguments)?;
            Ok(crate::troubleshoot::run(
                api,
                &args,
                crate::troubleshoot::DEFAULT_BUDGET,
            ))
        }
        other => Err(CallError::UnknownTool(other.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::testing::{Fake, ok_json};

    fn call_fake(f: &mut Fake, name: &str, args: Value) -> Result<Outcome, CallError> {
        let ctx = f.ctx.clone();
        call(name, &args.to_string(), ctx, f)
    }

    #[test]
    fn schemas_are_objects() {
        let t = tools();
        assert_eq!(t.len(), 3);
        assert_eq!(t[0].input_schema["required"], json!(["command"]));
        assert_eq!(
            t[0].input_schema["properties"]["timeout"]["type"],
            "integer"
        );
        assert!(t[1].read_only);
    }

    #[test]
    fn hostile_commands_are_invalid_arguments() {
        let mut f = Fake::new();
        for cmd in [
            "get pods; rm -rf /",
            "get pods | sh",
            "get pods $(id)",
            "get pods `id`",
            "get pods && x",
            "-Ashttp://evil get pods",
            "get pods --server=x",
            "get pods --kube_config=x",
            "get pods --token abc",
            "exec -it web -- sh",
            "port-forward svc/web 8080:80",
            "cp web:/etc/passwd /tmp/x",
            "edit deploy/web",
            "proxy",
            "attach web",
            "debug node/x",
            "run x --image=y",
            "config view --raw",
            "get pods -n ../../secrets",
            "",
            "kubectl",
        ] {
            match call_fake(&mut f, "execute_kubectl", json!({"command": cmd})) {
                Err(CallError::InvalidArguments(m)) => assert!(!m.is_empty(), "{cmd}"),
                other => panic!("{cmd:?}: {other:?}"),
            }
        }
        assert!(f.requests.is_empty());
    }

    #[test]
    fn refused_commands_say_why() {
        let mut f = Fake::new();
        let e = call_fake(
            &mut f,
            "execute_kubectl",
            json!({"command": "kubectl exec web -- ls"}),
        )
        .unwrap_err();
        assert_eq!(
            e,
            CallError::InvalidArguments(
                "kubectl exec is not available: interactive, streaming and file-copying commands are refused by design".into()
            )
        );
        let e = call_fake(
            &mut f,
            "execute_kubectl",
            json!({"command": "run web --image=nginx"}),
        )
        .unwrap_err();
        assert!(
            matches!(&e, CallError::InvalidArguments(m) if m.starts_with("kubectl run is not supported yet")),
            "{e:?}"
        );
    }

    #[test]
    fn bad_arguments() {
        let mut f = Fake::new();
        assert!(matches!(
            call("execute_kubectl", "[]", f.ctx.clone(), &mut Fake::new()),
            Err(CallError::InvalidArguments(_))
        ));
        assert!(matches!(
            call_fake(&mut f, "execute_kubectl", json!({})),
            Err(CallError::InvalidArguments(_))
        ));
        assert!(matches!(
            call_fake(&mut f, "execute_kubectl", json!({"command": 3})),
            Err(CallError::InvalidArguments(_))
        ));
        assert!(matches!(
            call_fake(
                &mut f,
                "execute_kubectl",
                json!({"command": "get pods", "timeout": "x"})
            ),
            Err(CallError::InvalidArguments(_))
        ));
        assert!(matches!(
            call(
                "execute_kubectl",
                "{not json",
                f.ctx.clone(),
                &mut Fake::new()
            ),
            Err(CallError::InvalidArguments(_))
        ));
        assert!(matches!(
            call_fake(&mut f, "nope", json!({})),
            Err(CallError::UnknownTool(_))
        ));
    }

    #[test]
    fn runs_and_helps() {
        let mut f = Fake::new();
        f.on(|_| {
            ok_json(json!({"columnDefinitions": [{"name": "Name", "format": "name"}], "rows": []}))
        });
        let out = call_fake(
            &mut f,
            "execute_kubectl",
            json!({"command": "kubectl get pods", "timeout": 30}),
        )
        .unwrap();
        assert_eq!(out.text, "No resources found in default namespace.\n");
        let out = call_fake(&mut f, "describe_kubectl", json!({"command": "logs"})).unwrap();
        assert!(out.text.contains("--tail"));
        let out = call_fake(&mut f, "describe_kubectl", json!({})).unwrap();
        assert!(out.text.contains("Supported commands"));
        let out = call_fake(
            &mut f,
            "execute_kubectl",
            json!({"command": "get pods --help"}),
        )
        .unwrap();
        assert!(out.text.contains("Display one or many resources"));
        let out = call_fake(&mut f, "execute_kubectl", json!({"command": "help logs"})).unwrap();
        assert!(out.text.contains("Print the logs"));
        let out = call_fake(
            &mut f,
            "execute_kubectl",
            json!({"command": "config current-context"}),
        )
        .unwrap();
        assert_eq!(out.text, "kind-test\n");
    }

    #[test]
    fn pipes_lead_to_filters_only() {
        let mut f = Fake::new();
        f.on(|r| {
            assert!(matches!(r.output, kap_sdk::api::OutputFormat::Json));
            ok_json(json!({"items": [
                {"metadata": {"name": "web-1"}, "status": {"phase": "Running"}},
                {"metadata": {"name": "db-0"}, "status": {"phase": "Pending"}}
            ]}))
        });
        let out = call_fake(
            &mut f,
            "execute_kubectl",
            json!({"command": "get pods | jq -r '.items[] | select(.status.phase == \"Pending\") | .metadata.name' | wc -l"}),
        )
        .unwrap();
        assert_eq!(out.text, "1\n");
        assert!(!out.is_error);
        let mut f = Fake::new();
        let e = call_fake(
            &mut f,
            "execute_kubectl",
            json!({"command": "get pods | xargs kubectl delete pod"}),
        )
        .unwrap_err();
        assert!(
            matches!(&e, CallError::InvalidArguments(m) if m.contains("pipe") && m.contains("grep")),
            "{e:?}"
        );
        let e = call_fake(
            &mut f,
            "execute_kubectl",
            json!({"command": "get pods -o yaml | jq ."}),
        )
        .unwrap_err();
        assert!(matches!(&e, CallError::InvalidArguments(m) if m.contains("-o json")));
        assert!(f.requests.is_empty());
    }

    #[test]
    fn errors_become_tool_errors() {
        let out = outcome_of(Err(Failure::Message("boom".into()))).unwrap();
        assert!(out.is_error);
        assert_eq!(out.text, "error: boom\n");
    }
}
