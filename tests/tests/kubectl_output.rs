//! Integration tests of `execute_kubectl`'s output features against the real local cluster:
//! the safe filters after `|` (grep, head, tail, wc -l, sort, uniq, jq) and `get`'s output
//! formats (`-o jsonpath=...`, `-o jsonpath-as-json=...`, `-o custom-columns=...`,
//! `--sort-by`, `--show-labels`, `-L`, `--no-headers`, `-o name`, `-o wide`).
//!
//! The expected values come from the real kubectl binary (`real_kubectl`), for filters piped
//! through the real coreutils and jq (`LC_ALL=C`): never from the server's own output.
//! `make test` starts the cluster and creates the demo workloads in `kap-demo` (Deployment
//! web with 2 pods, Service web, StatefulSet db with headless Service db).

use std::io::Write as _;
use std::process::{Command, Stdio};

use kube_ai_proxy_e2e::*;

fn admin() -> ServerOpts {
    ServerOpts {
        kubeconfig: Some(kubeconfig().expect("KUBECONFIG")),
        ..Default::default()
    }
}

/// `kubectl ARGS | FILTER` with the real kubectl and the real filter programs.
fn oracle(args: &[&str], filter: &str) -> String {
    let input = real_kubectl(args);
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(filter)
        .env("LC_ALL", "C")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run sh");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write to the filter");
    let out = child.wait_with_output().expect("filter output");
    String::from_utf8(out.stdout).expect("UTF-8")
}

/// A word quoted for the command line (POSIX single quotes).
fn q(word: &str) -> String {
    format!("'{}'", word.replace('\'', r"'\''"))
}

/// The command line of `args`, each word quoted.
fn line(args: &[&str]) -> String {
    args.iter().map(|a| q(a)).collect::<Vec<_>>().join(" ")
}

/// Runs a command through the server; fails the test on an error answer.
async fn ok(c: &Client, command: &str) -> String {
    let r = kubectl(c, command).await.unwrap();
    let out = text(&r);
    assert!(!is_error(&r), "{command}: {out}");
    out
}

/// A table's rows as words, without the AGE column (ages move on between two calls).
fn without_age(table: &str) -> Vec<Vec<String>> {
    let mut lines = table.lines();
    let header: Vec<&str> = lines.next().unwrap_or("").split_whitespace().collect();
    let age = header.iter().position(|h| *h == "AGE");
    std::iter::once(header.iter().map(|s| s.to_string()).collect::<Vec<_>>())
        .chain(lines.map(|l| l.split_whitespace().map(str::to_string).collect()))
        .map(|mut row: Vec<String>| {
            if let Some(i) = age
                && i < row.len()
            {
                row.remove(i);
            }
            row
        })
        .collect()
}

#[tokio::test]
async fn grep_head_tail_wc_match_coreutils() {
    let c = start(&admin()).await.unwrap();
    let names = ["get", "pods,svc,deploy,sts", "-n", "kap-demo", "-o", "name"];
    let cases = [
        ("grep web", "grep web"),
        ("grep -v web", "grep -v web"),
        ("grep -i 'SERVICE/'", "grep -i 'SERVICE/'"),
        (
            "grep -E 'web|db' | grep -c ''",
            "grep -E 'web|db' | grep -c ''",
        ),
        (r"grep 'pod/\(web\|db\)'", r"grep 'pod/\(web\|db\)'"),
        ("grep -n -w db", "grep -n -w db"),
        (
            "grep -o '^[a-z.]*' | uniq -c",
            "grep -o '^[a-z.]*' | uniq -c",
        ),
        ("grep -m 2 -n /", "grep -m 2 -n /"),
        ("grep -B1 -A1 db", "grep -B1 -A1 db"),
        ("grep -C 1 -n web", "grep -C 1 -n web"),
        ("head -n 2", "head -n 2"),
        ("head -3", "head -3"),
        ("tail -n 1", "tail -n 1"),
        ("tail -n +2", "tail -n +2"),
        ("wc -l", "wc -l"),
        ("grep web | wc -l", "grep web | wc -l"),
    ];
    for (ours, theirs) in cases {
        let got = ok(
            &c,
            &format!("get pods,svc,deploy,sts -n kap-demo -o name | {ours}"),
        )
        .await;
        let want = oracle(&names, theirs);
        assert_eq!(got.trim_end(), want.trim_end(), "| {ours}");
    }
    // Sanity: the oracle is not empty where it should not be.
    assert!(oracle(&names, "grep web").contains("deployment.apps/web"));
    c.cancel().await.unwrap();
}

#[tokio::test]
async fn sort_and_uniq_match_coreutils() {
    let c = start(&admin()).await.unwrap();
    let names = ["get", "pods,svc,deploy,sts", "-n", "kap-demo", "-o", "name"];
    for f in ["sort", "sort -r", "sort -t/ -k2", "sort -u", "sort -f -r"] {
        let got = ok(
            &c,
            &format!("get pods,svc,deploy,sts -n kap-demo -o name | {f}"),
        )
        .await;
        assert_eq!(got.trim_end(), oracle(&names, f).trim_end(), "| {f}");
    }
    // Count pods per app label, and the distinct phases.
    let apps = [
        "get",
        "pods",
        "-n",
        "kap-demo",
        "-o",
        "custom-columns=APP:.metadata.labels.app",
        "--no-headers",
    ];
    let got = ok(
        &c,
        "get pods -n kap-demo -o custom-columns=APP:.metadata.labels.app --no-headers | sort | uniq -c",
    )
    .await;
    assert_eq!(got, oracle(&apps, "sort | uniq -c"));
    assert!(got.contains("2 web"), "{got}");
    let got = ok(
        &c,
        "get pods -n kap-demo -o custom-columns=APP:.metadata.labels.app --no-headers | sort | uniq -d",
    )
    .await;
    assert_eq!(got, oracle(&apps, "sort | uniq -d"));
    // Numeric sort on a column.
    let ports = [
        "get",
        "svc",
        "-n",
        "kap-demo",
        "-o",
        "custom-columns=NAME:.metadata.name,PORT:.spec.ports[0].port",
        "--no-headers",
    ];
    for f in ["sort -k2 -n", "sort -k2 -n -r", "sort -k2"] {
        let got = ok(
            &c,
            &format!(
                "get svc -n kap-demo -o custom-columns=NAME:.metadata.name,PORT:.spec.ports[0].port --no-headers | {f}"
            ),
        )
        .await;
        assert_eq!(got, oracle(&ports, f), "| {f}");
    }
    c.cancel().await.unwrap();
}

#[tokio::test]
async fn jq_reads_the_objects_as_json() {
    let c = start(&admin()).await.unwrap();
    // `-o json` is added for jq; the same program over the real kubectl's -o json, through the
    // real jq, is the oracle.
    let pods_json = ["get", "pods", "-n", "kap-demo", "-o", "json"];
    let cases = [
        (
            "jq -r '.items[].metadata.name'",
            "jq -r '.items[].metadata.name'",
        ),
        ("jq '.items | length'", "jq '.items | length'"),
        (
            "jq -r '.items[] | select(.metadata.labels.app == \"web\") | .metadata.name'",
            "jq -r '.items[] | select(.metadata.labels.app == \"web\") | .metadata.name'",
        ),
        (
            "jq -c '[.items[] | {name: .metadata.name, phase: .status.phase}]'",
            "jq -c '[.items[] | {name: .metadata.name, phase: .status.phase}]'",
        ),
        (
            "jq -r '.items[].spec.containers[].image' | sort | uniq",
            "jq -r '.items[].spec.containers[].image' | sort | uniq",
        ),
    ];
    for (ours, theirs) in cases {
        for cmd in ["get pods -n kap-demo", "get pods -n kap-demo -o json"] {
            let got = ok(&c, &format!("{cmd} | {ours}")).await;
            assert_eq!(got, oracle(&pods_json, theirs), "{cmd} | {ours}");
        }
    }
    // A single object.
    let got = ok(&c, "get deploy web -n kap-demo | jq .spec.replicas").await;
    assert_eq!(
        got.trim(),
        real_kubectl(&[
            "get",
            "deploy",
            "web",
            "-n",
            "kap-demo",
            "-o",
            "jsonpath={.spec.replicas}"
        ])
    );
    // The pretty form (jq's two-space indentation).
    let got = ok(&c, "get svc web -n kap-demo | jq .spec.selector").await;
    assert_eq!(
        got,
        oracle(
            &["get", "svc", "web", "-n", "kap-demo", "-o", "json"],
            "jq .spec.selector"
        )
    );
    // jq's runtime errors are error answers in jq's words, with the output before them.
    let r = kubectl(
        &c,
        "get pods -n kap-demo | jq '.items[0].metadata.name, (.kind | keys)'",
    )
    .await
    .unwrap();
    assert!(is_error(&r), "{}", text(&r));
    assert!(text(&r).contains("jq: error"), "{}", text(&r));
    assert!(text(&r).starts_with("\"canary-pod\"") || text(&r).starts_with('"'));
    c.cancel().await.unwrap();
}

#[tokio::test]
async fn unsafe_pipes_are_refused_before_any_request() {
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit.jsonl");
    let mut opts = admin();
    opts.audit_log = Some(audit.clone());
    let c = start(&opts).await.unwrap();
    for (cmd, needle) in [
        (
            "get pods -n kap-demo | sh",
            "not an allowed filter after a pipe",
        ),
        (
            "get pods | xargs kubectl delete pod",
            "not an allowed filter",
        ),
        ("get pods | awk '{print $1}'", "jq"),
        ("get pods | grep x > /tmp/out", "redirections"),
        ("get pods | grep x; rm -rf /", "command lists"),
        ("get pods || true", "command lists"),
        ("get pods | grep $(id)", "command substitutions"),
        ("get pods | grep x /etc/passwd", "files cannot be read"),
        (
            "get pods | kubectl delete pods --all",
            "one kubectl command",
        ),
        ("get pods -o yaml | jq .", "-o json"),
        ("get pods | jq '.items['", "syntax error"),
        ("get pods |", "both sides"),
    ] {
        let r = kubectl(&c, cmd).await.unwrap();
        let out = text(&r);
        assert!(is_error(&r), "{cmd:?} was not refused: {out}");
        assert!(out.contains(needle), "{cmd:?}: {out}");
    }
    // None of them reached the API server.
    let records = read_audit(&audit).unwrap();
    assert!(
        records.iter().all(|r| r["kind"] != "capability"),
        "{records:?}"
    );
    c.cancel().await.unwrap();
}

#[tokio::test]
async fn jsonpath_matches_kubectl() {
    let c = start(&admin()).await.unwrap();
    let templates = [
        "{.items[*].metadata.name}",
        r#"{range .items[*]}{.metadata.name}{"\t"}{.spec.ports[*].port}{"\n"}{end}"#,
        r#"{.items[?(@.metadata.name=="web")].spec.clusterIP}"#,
        "{..port}",
        "{.items[0].spec.ports}",
        "{.items[*].metadata.labels}",
        "{.kind} {.items[-1:].metadata.name} {.items[0].spec.ports[0].port}",
        "{.items[*]['metadata.name', 'spec.type']}",
        r#"{range .items[*]}{.metadata.name}:{range .spec.ports[*]}{.name}/{.port},{end}{"\n"}{end}"#,
        "{.items[?(@.spec.ports[0].port > 100)].metadata.name}",
        "{.items[?(@.spec.clusterIP)].metadata.name}",
        "{.items[*].nope}",
    ];
    for t in templates {
        let real = [
            "get",
            "svc",
            "-n",
            "kap-demo",
            "-o",
            &format!("jsonpath={t}"),
        ];
        let got = ok(&c, &line(&real)).await;
        assert_eq!(got, real_kubectl(&real), "-o jsonpath={t}");
    }
    // One object, an escaped dot in a key, and jsonpath-as-json.
    for (args, t) in [
        (
            vec!["get", "deploy", "web"],
            "jsonpath={.spec.template.spec.containers[0].image}",
        ),
        (
            vec!["get", "deploy", "web"],
            "jsonpath={.metadata.labels.app}",
        ),
        (
            vec!["get", "deploy", "web"],
            r"jsonpath={.metadata.annotations.deployment\.kubernetes\.io/revision}",
        ),
        (
            vec!["get", "pods", "-l", "app=web"],
            "jsonpath={.items[*].status.phase}",
        ),
        (
            vec!["get", "svc", "--field-selector=metadata.name=db"],
            "jsonpath-as-json={.items[*].metadata.name}",
        ),
    ] {
        let mut real = args;
        real.extend(["-n", "kap-demo", "-o", t]);
        let ours = line(&real);
        let got = ok(&c, &ours).await;
        assert_eq!(got, real_kubectl(&real), "{ours}");
    }
    // kubectl's errors.
    let r = kubectl(&c, "get svc -n kap-demo -o jsonpath={.items[5]}")
        .await
        .unwrap();
    assert!(is_error(&r));
    assert!(
        text(&r).contains("array index out of bounds: index 5, length 2"),
        "{}",
        text(&r)
    );
    let r = kubectl(&c, "get svc -n kap-demo -o 'jsonpath={.items[0]'")
        .await
        .unwrap();
    assert!(is_error(&r));
    assert!(text(&r).contains("unclosed action"), "{}", text(&r));
    c.cancel().await.unwrap();
}

#[tokio::test]
async fn custom_columns_match_kubectl() {
    let c = start(&admin()).await.unwrap();
    for (args, spec) in [
        (
            vec!["get", "svc"],
            "custom-columns=NAME:.metadata.name,PORTS:.spec.ports[*].port,SEL:.spec.selector,IPS:.spec.clusterIPs,X:.nope",
        ),
        (
            vec!["get", "pods"],
            "custom-columns=POD:metadata.name,APP:{.metadata.labels.app},CONTAINER:{.spec.containers[*].name},PHASE:.status.phase",
        ),
        (
            vec!["get", "deploy,sts"],
            "custom-columns=KIND:.kind,NAME:.metadata.name,REPLICAS:.spec.replicas",
        ),
        (
            vec!["get", "deploy", "web"],
            "custom-columns=IMAGE:.spec.template.spec.containers[0].image",
        ),
        (
            vec!["get", "configmaps", "-l", "nothing=here"],
            "custom-columns=NAME:.metadata.name",
        ),
    ] {
        for no_headers in [false, true] {
            let mut real = args.clone();
            real.extend(["-n", "kap-demo", "-o", spec]);
            if no_headers {
                real.push("--no-headers");
            }
            let ours = line(&real);
            let got = ok(&c, &ours).await;
            assert_eq!(got, real_kubectl(&real), "{ours}");
        }
    }
    c.cancel().await.unwrap();
}

#[tokio::test]
async fn sort_by_matches_kubectl() {
    let c = start(&admin()).await.unwrap();
    for (args, field) in [
        (vec!["get", "pods"], ".metadata.name"),
        (vec!["get", "svc"], "{.spec.ports[0].port}"),
        (vec!["get", "svc"], "spec.clusterIP"),
        (vec!["get", "pods,svc"], ".metadata.name"),
        (vec!["get", "deploy,sts"], ".spec.replicas"),
    ] {
        let sort = format!("--sort-by={field}");
        // -o name, exactly.
        let mut real = args.clone();
        real.extend(["-n", "kap-demo", "-o", "name", &sort]);
        let ours = line(&real);
        let names = real_kubectl(&real);
        assert_eq!(ok(&c, &ours).await, names, "{ours}");
        let mut table = args.clone();
        table.extend(["-n", "kap-demo", &sort]);
        let ours = line(&table);
        if !args[1].contains(',') {
            // Tables: the same rows in the same order (ages aside).
            assert_eq!(
                without_age(&ok(&c, &ours).await),
                without_age(&real_kubectl(&table)),
                "{ours}"
            );
        } else {
            // kubectl fails to sort a table of several types ("couldn't find any field");
            // here each type's table is sorted: the names of each section in the order of
            // kubectl's sorted -o name list.
            let got: Vec<String> = ok(&c, &ours)
                .await
                .lines()
                .filter(|l| !l.is_empty() && !l.starts_with("NAME "))
                .filter_map(|l| l.split_whitespace().next().map(str::to_string))
                .collect();
            let mut want: Vec<String> = Vec::new();
            for t in args[1].split(',') {
                let kind = match t {
                    "pods" => "pod/",
                    "svc" => "service/",
                    "deploy" => "deployment.apps/",
                    _ => "statefulset.apps/",
                };
                want.extend(
                    names
                        .lines()
                        .filter(|n| n.starts_with(kind))
                        .map(str::to_string),
                );
            }
            assert_eq!(got, want, "{ours}");
        }
    }
    // jsonpath and custom columns are sorted too.
    let real = [
        "get",
        "svc",
        "-n",
        "kap-demo",
        "--sort-by=.spec.ports[0].port",
        "-o",
        "custom-columns=N:.metadata.name,P:.spec.ports[0].port",
    ];
    assert_eq!(ok(&c, &line(&real)).await, real_kubectl(&real));
    // No object has the field: kubectl's message.
    let r = kubectl(&c, "get pods -n kap-demo -o name --sort-by=.nope")
        .await
        .unwrap();
    assert!(is_error(&r));
    assert!(
        text(&r).contains("couldn't find any field with path \"{.nope}\" in the list of objects"),
        "{}",
        text(&r)
    );
    c.cancel().await.unwrap();
}

#[tokio::test]
async fn table_flags_match_kubectl() {
    let c = start(&admin()).await.unwrap();
    for args in [
        vec!["get", "svc", "--show-labels"],
        vec!["get", "pods", "-L", "app"],
        vec![
            "get",
            "pods",
            "-L",
            "app,statefulset.kubernetes.io/pod-name",
        ],
        vec!["get", "svc", "--no-headers"],
        vec!["get", "pods", "--show-labels", "--no-headers"],
        vec!["get", "pods", "-o", "wide"],
        vec!["get", "svc", "-o", "wide", "-L", "app"],
    ] {
        let mut real = args.clone();
        real.extend(["-n", "kap-demo"]);
        let ours = line(&real);
        let got = ok(&c, &ours).await;
        let want = real_kubectl(&real);
        if args.contains(&"--no-headers") {
            // No header to find AGE by: every row has it as the same column.
            let strip = |t: &str| -> Vec<String> {
                t.lines()
                    .map(|l| {
                        let w: Vec<&str> = l.split_whitespace().collect();
                        w.iter()
                            .enumerate()
                            .filter(|(i, _)| *i != age_column(&args))
                            .map(|(_, s)| s.to_string())
                            .collect::<Vec<_>>()
                            .join(" ")
                    })
                    .collect()
            };
            assert_eq!(strip(&got), strip(&want), "{ours}");
        } else {
            assert_eq!(without_age(&got), without_age(&want), "{ours}");
        }
    }
    for args in [
        vec!["get", "pods,svc,deploy,sts", "-o", "name"],
        vec!["get", "pods", "-l", "app=web", "-o", "name"],
        vec!["get", "svc", "web", "db", "-o", "name"],
    ] {
        let mut real = args.clone();
        real.extend(["-n", "kap-demo"]);
        let ours = line(&real);
        assert_eq!(ok(&c, &ours).await, real_kubectl(&real), "{ours}");
    }
    c.cancel().await.unwrap();
}

/// The AGE column of the `--no-headers` tables above (Service: 6th, Pod: 5th).
fn age_column(args: &[&str]) -> usize {
    if args.contains(&"svc") { 5 } else { 4 }
}
