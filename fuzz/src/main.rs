//! Time-boxed property fuzzing (issue 9 §5) of what faces the model: the shell-free command
//! tokenizer, the cobra/pflag flag parser's refusal of forbidden flags, the policy's decisions,
//! the host's YAML/JSON bounds and the redactor.
//!
//! Nightly Rust (and so `cargo fuzz`) is not available here, so each target is a proptest
//! property run by proptest's own `TestRunner` in a loop until its time is up: generated
//! inputs, shrinking to a minimal failing input on a failure. `make fuzz` runs every target
//! for a fixed time (`--seconds N` each, default 60); it is not part of `make test`.
//!
//! ```text
//! kube-ai-proxy-fuzz [--seconds N] [TARGET...]     targets: tokenizer flags policy bounds redact
//! ```
//!
//! Prints one line per target: executions, time, and `ok` or the minimal failing input (exit
//! status 1 when any target failed).

use std::time::{Duration, Instant};

use kap_host::bounds::{self, Limits};
use kap_host::plugins::manifest::KubeScope;
use kap_host::policy::{Decision, GateInput, Identity, Policy, RequestAttributes, RequestFacts};
use kap_host::verb::Verb;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};

/// One fuzz target: its name and a function that runs `cases` cases, returning the count run
/// or the minimal failing input.
type Target = fn(&mut TestRunner) -> Result<(), String>;

fn run_target(name: &str, target: Target, seconds: u64) -> bool {
    let started = Instant::now();
    let mut execs: u64 = 0;
    let batch = 256u32;
    let mut round = 0u64;
    while started.elapsed() < Duration::from_secs(seconds) {
        // A fresh seed each round (the round and the clock): different inputs every batch.
        round += 1;
        let mut seed = [0u8; 32];
        seed[..8].copy_from_slice(&round.to_le_bytes());
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or_default();
        seed[8..16].copy_from_slice(&nanos.to_le_bytes());
        let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &seed);
        let mut runner = TestRunner::new_with_rng(
            Config {
                cases: batch,
                failure_persistence: None,
                ..Config::default()
            },
            rng,
        );
        if let Err(failure) = target(&mut runner) {
            println!(
                "{name}: FAILED after {execs} executions in {:.1} s: {failure}",
                started.elapsed().as_secs_f64()
            );
            return false;
        }
        execs += u64::from(batch);
    }
    println!(
        "{name}: ok, {execs} executions in {:.1} s ({:.0}/s)",
        started.elapsed().as_secs_f64(),
        execs as f64 / started.elapsed().as_secs_f64()
    );
    true
}

fn report<T: std::fmt::Debug>(r: Result<(), TestError<T>>) -> Result<(), String> {
    match r {
        Ok(()) => Ok(()),
        Err(TestError::Fail(why, input)) => Err(format!("{why}; minimal input: {input:?}")),
        Err(TestError::Abort(why)) => Err(format!("aborted: {why}")),
    }
}

// ----------------------------------------------------------------------------------------
// tokenizer: words survive a round trip through single quotes; nothing panics.

fn tokenizer(runner: &mut TestRunner) -> Result<(), String> {
    let input = prop_oneof![
        any::<String>(),
        "[a-z0-9 =./:-]{0,40}",
        r#"[a-z '"\\|;&$()<>`*?~{}\n\t#!-]{0,48}"#,
    ];
    report(runner.run(&input, |s| {
        if let Ok(words) = kap_sdk::shell::tokenize(&s) {
            let quoted: Vec<String> = words
                .iter()
                .map(|w| format!("'{}'", w.replace('\'', r#"'"'"'"#)))
                .collect();
            let again = kap_sdk::shell::tokenize(&quoted.join(" "))
                .map_err(|e| TestCaseError::fail(format!("re-quoted words refused: {}", e.0)))?;
            prop_assert_eq!(again, words);
        }
        let _ = kap_sdk::shell::pipeline(&s);
        Ok(())
    }))
}

// ----------------------------------------------------------------------------------------
// flags: a forbidden flag, in any spelling pflag reads as that flag, anywhere before `--`,
// is refused.

fn flags(runner: &mut TestRunner) -> Result<(), String> {
    use kubectl_plugin::cli::KUBECTL;
    let long = proptest::sample::select(KUBECTL.forbidden_long.to_vec());
    let benign = proptest::collection::vec(
        prop_oneof![
            "[a-z][a-z0-9-]{0,12}",
            Just("-n".to_string()),
            Just("kap-demo".to_string()),
            Just("-o=yaml".to_string()),
            Just("--all-namespaces".to_string()),
            Just("-l".to_string()),
            Just("app=web".to_string()),
        ],
        0..6,
    );
    let input = (benign, long, 0usize..6, 0usize..6, "[a-zA-Z0-9:/._-]{1,20}");
    report(
        runner.run(&input, |(mut words, long, spelling, at, value)| {
            let mut flag: Vec<String> = match spelling {
                0 => vec![format!("--{long}={value}")],
                1 => vec![format!("--{long}"), value.clone()],
                2 => vec![format!("--{long}=")],
                3 => vec![format!("--{}", long.replace('-', "_")), value.clone()],
                4 => vec![format!("--{long}")],
                _ => match KUBECTL.forbidden_short.iter().find(|(_, l)| *l == long) {
                    Some((c, _)) => vec![format!("-{c}{value}")],
                    None => vec![format!("--{long}={value}")],
                },
            };
            let at = at.min(words.len());
            let tail = words.split_off(at);
            words.append(&mut flag);
            words.extend(tail.into_iter().take_while(|w| w != "--"));
            let mut line = vec!["get".to_string()];
            line.extend(words);
            prop_assert!(
                KUBECTL.check_forbidden(&line).is_err(),
                "not refused: {:?}",
                line
            );
            Ok(())
        }),
    )
}

// ----------------------------------------------------------------------------------------
// policy: under the defaults, with the bundled plugin's grant, reading Secrets is never
// allowed, deleting a namespace or node never runs without a person, and no write to
// kube-system is allowed.

fn policy(runner: &mut TestRunner) -> Result<(), String> {
    let policy = Policy::load(None, None).expect("the default policy");
    let grant = kap_host::config::default_grants()
        .remove("kubectl")
        .expect("the kubectl grant");
    let requested = KubeScope::everything();
    let identity = Identity::default();
    let verb = proptest::sample::select(Verb::ALL.to_vec());
    let resource = proptest::sample::select(vec![
        "secrets",
        "pods",
        "namespaces",
        "nodes",
        "configmaps",
        "deployments",
        "clusterroles",
    ]);
    let namespace = proptest::option::of(prop_oneof![
        Just("kube-system".to_string()),
        Just("default".to_string()),
        "[a-z][a-z0-9-]{0,10}",
    ]);
    let name = proptest::option::of("[a-z0-9.-]{1,12}");
    let facts = (any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>());
    let input = (verb, resource, namespace, name, facts);
    report(
        runner.run(&input, |(verb, resource, namespace, name, (a, b, c, d))| {
            let group = if resource == "deployments" {
                "apps"
            } else if resource == "clusterroles" {
                "rbac.authorization.k8s.io"
            } else {
                ""
            };
            let cluster_scoped = matches!(resource, "namespaces" | "nodes" | "clusterroles");
            let request = RequestAttributes {
                verb,
                group: group.into(),
                version: "v1".into(),
                resource: resource.into(),
                subresource: None,
                namespace: if cluster_scoped {
                    None
                } else {
                    namespace.clone()
                },
                name: name.clone(),
            };
            let facts = RequestFacts {
                scale_to_zero: a,
                gc_delete: b,
                eviction: c,
                rollout_undo: d,
                ..RequestFacts::default()
            };
            let decision = kap_host::policy::decide(&GateInput {
                plugin: "kubectl",
                requested: Some(&requested),
                granted: Some(&grant),
                request: &request,
                tool: "execute_kubectl",
                identity: &identity,
                facts,
                policy: &policy,
            });
            let allowed = matches!(decision, Decision::Allow { .. });
            let read = matches!(verb, Verb::Get | Verb::List);
            if resource == "secrets" && read {
                prop_assert!(!allowed, "a Secret read was allowed: {:?}", request);
            }
            if cluster_scoped
                && resource != "clusterroles"
                && matches!(verb, Verb::Delete | Verb::DeleteCollection)
            {
                prop_assert!(!allowed, "a delete ran without a person: {:?}", request);
            }
            if !read && request.namespace.as_deref() == Some("kube-system") {
                prop_assert!(!allowed, "a kube-system write was allowed: {:?}", request);
            }
            if !read && (b || c) {
                prop_assert!(
                    !allowed,
                    "an effect ran without a person: {:?} {:?}",
                    request,
                    facts
                );
            }
            Ok(())
        }),
    )
}

// ----------------------------------------------------------------------------------------
// bounds: YAML built from anchors, aliases, nesting and long scalars never escapes the
// limits: the parse ends, and what it returns is within the expansion budget.

fn yaml_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("a: &x [1, 2, 3]\n".to_string()),
        Just("b: [*x, *x, *x, *x, *x, *x, *x, *x]\n".to_string()),
        Just(
            "c: &y [*x, *x, *x, *x, *x, *x, *x, *x]\nd: &z [*y, *y, *y, *y, *y, *y, *y, *y]\n"
                .to_string()
        ),
        Just(
            "e: &w [*z, *z, *z, *z, *z, *z, *z, *z]\nf: [*w, *w, *w, *w, *w, *w, *w, *w]\n"
                .to_string()
        ),
        (1usize..200).prop_map(|n| format!("g: {}{}\n", "[".repeat(n), "]".repeat(n))),
        (1usize..100).prop_map(|n| format!("h: {}1{}\n", "{k: ".repeat(n), "}".repeat(n))),
        (1usize..5000).prop_map(|n| format!("i: &s \"{}\"\nj: [*s, *s, *s, *s]\n", "x".repeat(n))),
        Just("---\n".to_string()),
        "[a-z]{1,8}: [a-z0-9 ]{0,20}\n",
        r#"[\[\]{}&*:,\-\n a-z]{0,40}"#,
    ];
    proptest::collection::vec(piece, 1..12).prop_map(|p| p.concat())
}

fn bounds_target(runner: &mut TestRunner) -> Result<(), String> {
    let limits = Limits {
        max_yaml_nodes: 20_000,
        max_yaml_expanded_bytes: 256 << 10,
        ..Limits::DEFAULT
    };
    report(runner.run(&yaml_text(), |text| {
        let started = Instant::now();
        let r = bounds::yaml_documents(&text, &limits);
        prop_assert!(
            started.elapsed() < Duration::from_secs(2),
            "a parse took {:?}",
            started.elapsed()
        );
        if let Ok(docs) = r {
            let size: usize = docs.iter().map(|d| d.to_string().len()).sum();
            // Every scalar byte and node is charged; JSON adds at most a few bytes per node.
            prop_assert!(
                size <= limits.max_yaml_expanded_bytes + 8 * limits.max_yaml_nodes,
                "{} bytes",
                size
            );
        }
        Ok(())
    }))
}

// ----------------------------------------------------------------------------------------
// redact: a planted credential never survives, in each form the redactor claims.

fn redact_target(runner: &mut TestRunner) -> Result<(), String> {
    let secret = "[A-Za-z][A-Za-z0-9]{10,30}[0-9]";
    let key = proptest::sample::select(vec![
        "password",
        "DB_PASSWORD",
        "api_key",
        "apiKey",
        "client_secret",
        "token",
        "secretKey",
        "AWS_SECRET_ACCESS_KEY",
    ]);
    let around = "[a-zA-Z0-9 .,:/-]{0,30}";
    let form = 0usize..5;
    let input = (secret, key, around, around, form);
    report(runner.run(&input, |(secret, key, before, after, form)| {
        let planted = match form {
            0 => format!("{before}\n{key}={secret}\n{after}"),
            1 => format!("{before}\n{key}: {secret}\n{after}"),
            2 => format!("{before} {{\"{key}\":\"{secret}\"}} {after}"),
            3 => format!("{before} postgres://app:{secret}@db:5432/app {after}"),
            _ => format!("{before} Authorization: Bearer {secret} {after}"),
        };
        let out = kap_host::redact::text(&planted);
        prop_assert!(
            !out.contains(&secret),
            "survived: {:?} -> {:?}",
            planted,
            out
        );
        // Structurally, as an env var of a Pod.
        let mut pod = serde_json::json!({"kind": "Pod", "spec": {"containers": [{"name": "c",
            "env": [{"name": key, "value": secret}]}]}});
        kap_host::redact::json_value(&mut pod, false);
        prop_assert!(
            !pod.to_string().contains(&secret),
            "survived in env: {}",
            pod
        );
        Ok(())
    }))
}

fn main() {
    let mut seconds = 60u64;
    let mut chosen: Vec<String> = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--seconds" => {
                seconds = args.next().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
                    eprintln!("--seconds needs a number");
                    std::process::exit(2)
                })
            }
            "-h" | "--help" => {
                println!(
                    "kube-ai-proxy-fuzz [--seconds N] [tokenizer|flags|policy|bounds|redact ...]"
                );
                return;
            }
            t => chosen.push(t.to_string()),
        }
    }
    let targets: [(&str, Target); 5] = [
        ("tokenizer", tokenizer),
        ("flags", flags),
        ("policy", policy),
        ("bounds", bounds_target),
        ("redact", redact_target),
    ];
    let mut ok = true;
    for (name, target) in targets {
        if chosen.is_empty() || chosen.iter().any(|c| c == name) {
            ok &= run_target(name, target, seconds);
        }
    }
    if !ok {
        std::process::exit(1);
    }
}
