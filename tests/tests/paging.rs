//! Integration tests of the output budget against the local cluster, through
//! `kube-ai-proxy serve` and a real MCP client:
//!
//! * `get` pages lists with the API server's `limit`/`continue`: 60 ConfigMaps in
//!   `kap-paging` read with `--limit=25`, following the "next page" notes, are exactly the
//!   ConfigMaps the real kubectl lists; a small `K8S_MCP_MAX_OUTPUT` makes the pages smaller
//!   instead of cutting the answer; `--sort-by` and output filters read every page;
//! * `logs --grep` keeps the lines of the log file (`tests/cluster/logs/app.log`, served by
//!   KWOK ClusterLogs for the demo pods) that `grep -E` keeps.
//!
//! Run (not part of `make test`):
//! `make build && kc=$(tests/cluster/up.sh | tail -n1); . tests/cluster/env.sh; export $kc;
//! export KAP_RESTRICTED_KUBECONFIG=$PWD/.cluster/restricted.kubeconfig;
//! tests/cluster/demo-workloads.sh >&2; cargo test --workspace --test paging -- --test-threads=1`

use std::collections::BTreeSet;
use std::io::Write as _;
use std::process::{Command, Stdio};

use kube_ai_proxy_e2e::*;
use serde_json::{Value, json};

const NS: &str = "kap-paging";
const CONFIGMAPS: usize = 60;

/// Runs the real kubectl with `input` on stdin.
fn kubectl_stdin(args: &[&str], input: &str) -> String {
    let bin = std::env::var("KAP_KUBECTL").unwrap_or_else(|_| "kubectl".into());
    let mut child = Command::new(bin)
        .args(args)
        .env("KUBECONFIG", kubeconfig().expect("KUBECONFIG"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run kubectl");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write stdin");
    let out = child.wait_with_output().expect("kubectl output");
    assert!(
        out.status.success(),
        "kubectl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The namespace `kap-paging` with [`CONFIGMAPS`] ConfigMaps; deleted when dropped.
struct Fixture;

impl Fixture {
    fn create() -> Fixture {
        // A leftover of an interrupted run is deleted first (and waited for).
        let _ = Command::new(std::env::var("KAP_KUBECTL").unwrap_or_else(|_| "kubectl".into()))
            .args([
                "delete",
                "namespace",
                NS,
                "--ignore-not-found",
                "--wait=true",
            ])
            .env("KUBECONFIG", kubeconfig().expect("KUBECONFIG"))
            .output();
        let mut items =
            vec![json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}})];
        for i in 0..CONFIGMAPS {
            items.push(json!({
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": format!("cm-{i:03}"), "namespace": NS, "labels": {"set": if i % 2 == 0 { "even" } else { "odd" }}},
                "data": {"index": i.to_string()}
            }));
        }
        let list = json!({"apiVersion": "v1", "kind": "List", "items": items});
        kubectl_stdin(&["create", "-f", "-"], &list.to_string());
        Fixture
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = Command::new(std::env::var("KAP_KUBECTL").unwrap_or_else(|_| "kubectl".into()))
            .args([
                "delete",
                "namespace",
                NS,
                "--ignore-not-found",
                "--wait=false",
            ])
            .env("KUBECONFIG", kubeconfig().expect("KUBECONFIG"))
            .output();
    }
}

fn opts(dir: &tempfile::TempDir, max_output: Option<usize>) -> ServerOpts {
    ServerOpts {
        kubeconfig: Some(kubeconfig().expect("KUBECONFIG")),
        audit_log: Some(dir.path().join("audit.jsonl")),
        env: max_output
            .map(|m| vec![("K8S_MCP_MAX_OUTPUT".to_string(), m.to_string())])
            .unwrap_or_default(),
        ..Default::default()
    }
}

/// The "next page" command of an answer's note, if it has one.
fn next_page(answer: &str) -> Option<String> {
    let line = answer
        .lines()
        .rev()
        .find(|l| l.starts_with("(more results"))?;
    let start = line.find("next page: ")? + "next page: ".len();
    let end = line.find("; or narrow")?;
    Some(line[start..end].to_string())
}

/// The names of a table answer (first column, header and note left out).
fn table_names(answer: &str) -> Vec<String> {
    answer
        .lines()
        .skip(1)
        .filter(|l| !l.starts_with("(more results") && !l.is_empty())
        .map(|l| l.split_whitespace().next().unwrap_or("").to_string())
        .collect()
}

/// The ConfigMaps of `kap-paging` as the real kubectl lists them.
fn real_names() -> BTreeSet<String> {
    real_kubectl(&["get", "configmaps", "-n", NS, "-o", "name"])
        .lines()
        .map(|l| l.trim_start_matches("configmap/").to_string())
        .collect()
}

/// Follows the notes from `first` to the last page; returns the answers.
async fn all_pages(c: &Client, first: &str) -> Vec<String> {
    let mut answers = Vec::new();
    let mut command = Some(first.to_string());
    while let Some(cmd) = command.take() {
        assert!(answers.len() < 100, "too many pages");
        let r = kubectl(c, &cmd).await.unwrap();
        let out = text(&r);
        assert!(!is_error(&r), "{cmd}: {out}");
        command = next_page(&out);
        answers.push(out);
    }
    answers
}

#[tokio::test]
async fn pages_of_configmaps_cover_the_real_list() {
    let _fixture = Fixture::create();
    let real = real_names();
    assert_eq!(real.len(), CONFIGMAPS + 1, "{real:?}"); // + kube-root-ca.crt
    let dir = tempfile::tempdir().unwrap();
    let c = start(&opts(&dir, None)).await.unwrap();

    let pages = all_pages(&c, &format!("get configmaps -n {NS} --limit=25")).await;
    assert_eq!(pages.len(), 3, "{pages:#?}");
    let mut names = Vec::new();
    for (i, page) in pages.iter().enumerate() {
        let rows = table_names(page);
        assert_eq!(rows.len(), if i < 2 { 25 } else { 11 }, "{page}");
        assert!(page.starts_with("NAME "), "{page}");
        names.extend(rows);
    }
    assert!(
        pages[0].contains(&format!(
            "(more results: about 36 remaining; next page: kubectl get configmaps -n {NS} --limit=25 --continue="
        )),
        "{}",
        pages[0]
    );
    assert!(next_page(&pages[2]).is_none());
    let unique: BTreeSet<String> = names.iter().cloned().collect();
    assert_eq!(unique.len(), names.len(), "no object twice");
    assert_eq!(unique, real);

    // -o name and -o json page the same way; the JSON List keeps metadata.continue.
    let pages = all_pages(&c, &format!("get cm -n {NS} --limit=40 -o name")).await;
    assert_eq!(pages.len(), 2);
    let names: BTreeSet<String> = pages
        .iter()
        .flat_map(|p| p.lines())
        .filter_map(|l| l.strip_prefix("configmap/"))
        .map(str::to_string)
        .collect();
    assert_eq!(names, real);
    let r = kubectl(&c, &format!("get cm -n {NS} --limit=10 -o json"))
        .await
        .unwrap();
    let out = text(&r);
    let json_end = out.rfind("}\n").unwrap() + 2;
    let list: Value = serde_json::from_str(&out[..json_end]).unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 10);
    let token = list["metadata"]["continue"].as_str().unwrap();
    assert_eq!(list["metadata"]["remainingItemCount"], 51);
    assert!(
        next_page(&out)
            .unwrap()
            .ends_with(&format!("--limit=10 --continue={token}")),
        "{out}"
    );
    c.cancel().await.unwrap();
}

#[tokio::test]
async fn a_small_budget_makes_pages_smaller_not_cut() {
    let _fixture = Fixture::create();
    let real = real_names();
    let dir = tempfile::tempdir().unwrap();
    let c = start(&opts(&dir, Some(1500))).await.unwrap();
    let pages = all_pages(&c, &format!("get configmaps -n {NS}")).await;
    assert!(pages.len() >= 3, "{pages:#?}");
    let mut names = BTreeSet::new();
    for page in &pages {
        assert!(page.chars().count() <= 1500, "{page}");
        assert!(!page.contains("[output truncated"), "{page}");
        names.extend(table_names(page));
    }
    assert_eq!(names, real);
    // A page asked for that would not fit is read again, smaller; the notes carry the size.
    let pages = all_pages(&c, &format!("get configmaps -n {NS} --limit=60 -o yaml")).await;
    assert!(pages.len() >= 3, "{pages:#?}");
    let mut names = BTreeSet::new();
    for page in &pages {
        assert!(page.chars().count() <= 1500, "{page}");
        assert!(!page.contains("[output truncated"), "{page}");
        assert!(!page.contains("--limit=60"), "{page}");
        names.extend(
            page.lines()
                .filter_map(|l| l.strip_prefix("    name: "))
                .map(str::to_string),
        );
    }
    assert_eq!(names, real);
    c.cancel().await.unwrap();
}

#[tokio::test]
async fn sort_by_and_filters_read_every_page() {
    let _fixture = Fixture::create();
    let dir = tempfile::tempdir().unwrap();
    let c = start(&opts(&dir, None)).await.unwrap();
    // Pages of 7: sorting needs all of them, as kubectl's own --sort-by reads the whole list.
    let r = kubectl(
        &c,
        &format!("get cm -n {NS} --limit=7 --sort-by=.data.index -o name"),
    )
    .await
    .unwrap();
    assert!(!is_error(&r), "{}", text(&r));
    assert_eq!(
        text(&r),
        real_kubectl(&["get", "cm", "-n", NS, "--sort-by=.data.index", "-o", "name"])
    );
    let r = kubectl(&c, &format!("get cm -n {NS} -l set=odd --limit=4 | wc -l"))
        .await
        .unwrap();
    assert_eq!(text(&r), format!("{}\n", CONFIGMAPS / 2 + 1), "with header");
    c.cancel().await.unwrap();
}

/// The messages of the demo pods' log file (`kubectl logs` prints them).
fn log_messages() -> Vec<String> {
    let path = root().join("tests/cluster/logs/app.log");
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
        .lines()
        .map(|l| l.splitn(4, ' ').nth(3).unwrap_or("").to_string())
        .collect()
}

/// `grep ARGS` over `lines`: the oracle of `--grep`.
fn grep(args: &[&str], lines: &[String]) -> String {
    let input: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let mut child = Command::new("grep")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run grep");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write stdin");
    String::from_utf8(child.wait_with_output().expect("grep").stdout).expect("UTF-8")
}

#[tokio::test]
async fn logs_grep_keeps_what_grep_keeps() {
    let lines = log_messages();
    let dir = tempfile::tempdir().unwrap();
    let c = start(&opts(&dir, None)).await.unwrap();
    for (command, grep_args, from) in [
        (
            "logs db-0 -n kap-demo --grep 'WARN|ERROR'",
            &["-E", "WARN|ERROR"][..],
            0,
        ),
        (
            "logs db-0 -n kap-demo --grep '(?i)warn'",
            &["-i", "warn"][..],
            0,
        ),
        (
            "logs db-0 -n kap-demo --tail=8 --grep '\\[db\\]'",
            &["-E", "\\[db\\]"][..],
            lines.len() - 8,
        ),
    ] {
        let r = kubectl(&c, command).await.unwrap();
        let out = text(&r);
        assert!(!is_error(&r), "{command}: {out}");
        let want = grep(grep_args, &lines[from..]);
        assert!(!want.is_empty(), "{command}: the oracle matched nothing");
        assert_eq!(out, want, "{command}");
    }
    // Nothing matches: an empty answer, as grep prints nothing.
    let r = kubectl(&c, "logs db-0 -n kap-demo --grep no-such-text-here")
        .await
        .unwrap();
    assert!(!is_error(&r));
    assert_eq!(text(&r), "");
    c.cancel().await.unwrap();
}
