//! The helm plugin on the process capability, against the real local cluster, the real helm
//! v4 binary (built from Go modules) and the rmcp client: every API request helm makes goes
//! through the host's authorizing proxy and gate.
//!
//! The oracle is the real helm run directly with the admin kubeconfig, and the real kubectl;
//! never the server's own answer.

use std::path::{Path, PathBuf};
use std::time::Duration;

use kube_ai_proxy_e2e::{
    Person, Protocol, ServerOpts, call, helm_bin, helm_config, helm_releases, is_error, kubeconfig,
    read_audit, real_helm, root, start, start_with, text, try_real_kubectl,
};
use serde_json::{Value, json};

/// The canary in tests/charts/web/values.yaml (a Secret value).
const CANARY: &str = "kap-helm-canary-7f3a9c";

fn kc(args: &[&str]) -> (bool, String) {
    try_real_kubectl(args)
}

fn charts() -> PathBuf {
    root().join("tests/charts")
}

/// A namespace, fresh: deleted (with everything in it) and created again.
fn fresh_namespace(ns: &str) {
    let _ = kc(&["delete", "namespace", ns, "--wait=true", "--timeout=60s"]);
    let (ok, out) = kc(&["create", "namespace", ns]);
    assert!(ok, "{out}");
}

/// The server's config: the helm plugin granted the real helm, the test charts and `urls`.
fn config(dir: &tempfile::TempDir, program: &Path, urls: &[String]) -> PathBuf {
    let p = dir.path().join("config.toml");
    std::fs::write(&p, helm_config(program, &[&charts(), dir.path()], urls)).unwrap();
    p
}

fn opts(dir: &tempfile::TempDir, program: &Path, urls: &[String]) -> ServerOpts {
    ServerOpts {
        kubeconfig: Some(kubeconfig().unwrap()),
        audit_log: Some(dir.path().join("audit.jsonl")),
        config: Some(config(dir, program, urls)),
        ..ServerOpts::default()
    }
}

/// [`opts`] with the real helm, no URLs, and `policy` (YAML) as the server's `--policy`.
fn opts_with_policy(dir: &tempfile::TempDir, policy: &str) -> ServerOpts {
    let path = dir.path().join("policy.yaml");
    std::fs::write(&path, policy).unwrap();
    let mut o = opts(dir, &helm_bin().unwrap(), &[]);
    o.args = vec!["--policy".into(), path.display().to_string()];
    o
}

async fn helm<H: rmcp::ClientHandler>(
    c: &rmcp::service::RunningService<rmcp::RoleClient, H>,
    command: &str,
) -> rmcp::model::CallToolResult {
    call(c, "execute_helm", json!({ "command": command }))
        .await
        .unwrap()
}

fn releases(ns: &str) -> Vec<(String, String, String)> {
    helm_releases(ns)
}

fn audit(dir: &tempfile::TempDir) -> Vec<Value> {
    read_audit(&dir.path().join("audit.jsonl")).unwrap()
}

fn proxied(dir: &tempfile::TempDir) -> Vec<Value> {
    audit(dir)
        .into_iter()
        .filter(|r| r["capability"] == "process.proxy")
        .collect()
}

#[tokio::test]
async fn install_upgrade_rollback_uninstall_through_the_proxy() {
    const NS: &str = "kap-helm";
    fresh_namespace(NS);
    let dir = tempfile::tempdir().unwrap();
    let person = Person::new(true);
    let c = start_with(
        &opts(&dir, &helm_bin().unwrap(), &[]),
        person.clone(),
        Protocol::Legacy,
    )
    .await
    .unwrap();
    let chart = charts().join("web");
    let chart = chart.display();

    // install: the objects exist, real helm sees revision 1, the canary never shows.
    let r = helm(&c, &format!("install web {chart} -n {NS}")).await;
    assert!(!is_error(&r), "{}", text(&r));
    assert!(!text(&r).contains(CANARY), "{}", text(&r));
    assert_eq!(
        releases(NS),
        vec![("web".into(), "1".into(), "deployed".into())]
    );
    let (ok, out) = kc(&[
        "get",
        "deployment",
        "web-web",
        "-n",
        NS,
        "-o",
        "jsonpath={.spec.replicas}",
    ]);
    assert!(ok && out == "1", "{out}");
    // Every request helm made was audited under the call, through the proxy.
    let install_requests = proxied(&dir).len();
    assert!(install_requests > 0, "no proxied request audited");
    assert!(
        proxied(&dir)
            .iter()
            .any(|r| r["resource"] == "deployments" && r["decision"] == "allow"),
        "{:?}",
        proxied(&dir)
    );

    // Read commands.
    let r = helm(&c, &format!("status web -n {NS}")).await;
    assert!(
        !is_error(&r) && text(&r).contains("STATUS: deployed"),
        "{}",
        text(&r)
    );
    let r = helm(&c, &format!("get manifest web -n {NS}")).await;
    assert!(!is_error(&r), "{}", text(&r));
    assert!(text(&r).contains("kind: Deployment"), "{}", text(&r));
    assert!(!text(&r).contains(CANARY), "{}", text(&r));
    let r = helm(&c, &format!("get values web -n {NS} --all")).await;
    assert!(!is_error(&r), "{}", text(&r));
    assert!(!text(&r).contains(CANARY), "{}", text(&r));
    let r = helm(&c, &format!("list -n {NS}")).await;
    assert!(!is_error(&r) && text(&r).contains("web"), "{}", text(&r));

    // upgrade: revision 2 with 2 replicas.
    let r = helm(
        &c,
        &format!("upgrade web {chart} -n {NS} --set replicaCount=2"),
    )
    .await;
    assert!(!is_error(&r), "{}", text(&r));
    assert_eq!(
        releases(NS),
        vec![("web".into(), "2".into(), "deployed".into())]
    );
    let (_, out) = kc(&[
        "get",
        "deployment",
        "web-web",
        "-n",
        NS,
        "-o",
        "jsonpath={.spec.replicas}",
    ]);
    assert_eq!(out, "2");
    let r = helm(&c, &format!("history web -n {NS}")).await;
    assert!(text(&r).contains("REVISION"), "{}", text(&r));

    // rollback: the person is asked, says yes; revision 3 has 1 replica again.
    let asked_before = person.asked().len();
    let r = helm(&c, &format!("rollback web 1 -n {NS}")).await;
    assert!(!is_error(&r), "{}", text(&r));
    assert!(
        person.asked().len() > asked_before,
        "rollback was not confirmed"
    );
    assert_eq!(
        releases(NS),
        vec![("web".into(), "3".into(), "deployed".into())]
    );
    let (_, out) = kc(&[
        "get",
        "deployment",
        "web-web",
        "-n",
        NS,
        "-o",
        "jsonpath={.spec.replicas}",
    ]);
    assert_eq!(out, "1");

    // uninstall: asked again; nothing left, for real helm and kubectl.
    let asked_before = person.asked().len();
    let r = helm(&c, &format!("uninstall web -n {NS}")).await;
    assert!(!is_error(&r), "{}", text(&r));
    assert!(
        person.asked().len() > asked_before,
        "uninstall was not confirmed"
    );
    assert!(releases(NS).is_empty(), "{:?}", releases(NS));
    for (kind, name) in [
        ("deployment", "web-web"),
        ("service", "web-web"),
        ("configmap", "web-config"),
        ("secret", "web-secret"),
    ] {
        let (ok, _) = kc(&["get", kind, name, "-n", NS]);
        assert!(!ok, "{kind}/{name} is still there after the uninstall");
    }
    assert!(!text(&r).contains("denied"), "{}", text(&r));
    c.cancel().await.unwrap();
}

#[tokio::test]
async fn a_declined_uninstall_deletes_nothing() {
    const NS: &str = "kap-helm-no";
    fresh_namespace(NS);
    let (ok, out) = real_helm(&[
        "install",
        "web",
        &charts().join("web").display().to_string(),
        "-n",
        NS,
    ]);
    assert!(ok, "{out}");
    let dir = tempfile::tempdir().unwrap();
    let c = start_with(
        &opts(&dir, &helm_bin().unwrap(), &[]),
        Person::new(false),
        Protocol::Legacy,
    )
    .await
    .unwrap();
    let r = helm(&c, &format!("uninstall web -n {NS}")).await;
    assert!(is_error(&r), "{}", text(&r));
    assert_eq!(releases(NS).len(), 1, "{:?}", releases(NS));
    let (ok, out) = kc(&["get", "deployment", "web-web", "-n", NS]);
    assert!(ok, "{out}");
    c.cancel().await.unwrap();
}

#[tokio::test]
async fn refused_flags_and_paths_never_start_helm() {
    let dir = tempfile::tempdir().unwrap();
    let c = start(&opts(
        &dir,
        &helm_bin().unwrap(),
        &["http://127.0.0.1:1/".into()],
    ))
    .await
    .unwrap();
    let chart = charts().join("web").display().to_string();
    let cases = [
        ("list --kube-token=abc", "--kube-token"),
        ("list --kube-token abc", "--kube-token"),
        ("list --kube_token abc", "--kube-token"),
        ("list --kubeconfig /etc/passwd", "--kubeconfig"),
        (
            "list --kube-apiserver=https://evil:6443",
            "--kube-apiserver",
        ),
        ("list --kube-context other", "--kube-context"),
        ("list --kube-as-user admin", "--kube-as-user"),
        ("list --kube-as-group system:masters", "--kube-as-group"),
        (
            "list --kube-insecure-skip-tls-verify",
            "--kube-insecure-skip-tls-verify",
        ),
        ("list --registry-config /tmp/x", "--registry-config"),
        ("list --repository-config /tmp/x", "--repository-config"),
        (
            &format!("install x {chart} --post-renderer /bin/sh"),
            "--post-renderer",
        ),
        ("plugin list", "plugin"),
        ("list; cat /etc/passwd", ";"),
        ("list && id", "&&"),
        ("list $(id)", "$("),
        ("template x /etc", "/etc"),
        (&format!("template x {chart}/../../../etc"), ".."),
        ("template x file:///etc/passwd", "file://"),
        (
            "template x https://charts.example.com/web-0.1.0.tgz",
            "https://charts.example.com",
        ),
        ("template x oci://registry.example/web", "oci://"),
        ("install x bitnami/nginx", "bitnami/nginx"),
    ];
    for (command, named) in cases {
        let r = helm(&c, command).await;
        assert!(is_error(&r), "{command}: {}", text(&r));
        assert!(
            text(&r).contains(named),
            "{command}: the refusal should name {named}: {}",
            text(&r)
        );
    }
    // None of them ran helm, so no API request was proxied and no run was allowed.
    let records = audit(&dir);
    assert!(proxied(&dir).is_empty(), "{:?}", proxied(&dir));
    assert!(
        !records
            .iter()
            .any(|r| r["capability"] == "process.run" && r["decision"] == "allow"),
        "{records:?}"
    );
    c.cancel().await.unwrap();
}

#[tokio::test]
async fn set_values_with_shell_syntax_reach_helm_literally() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("pwned");
    let c = start(&opts(&dir, &helm_bin().unwrap(), &[])).await.unwrap();
    let chart = charts().join("web").display().to_string();
    let value = format!("$(touch {})`touch {}`", marker.display(), marker.display());
    let r = call(
        &c,
        "execute_helm",
        json!({ "command": format!("template t {chart} --set-string greeting='{value}'") }),
    )
    .await
    .unwrap();
    assert!(!is_error(&r), "{}", text(&r));
    assert!(text(&r).contains(&value), "{}", text(&r));
    assert!(!text(&r).contains(CANARY), "{}", text(&r));
    assert!(!marker.exists(), "a shell ran the value");
    c.cancel().await.unwrap();
}

#[tokio::test]
async fn values_argument_is_passed_as_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let c = start(&opts(&dir, &helm_bin().unwrap(), &[])).await.unwrap();
    let chart = charts().join("web").display().to_string();
    let r = call(
        &c,
        "execute_helm",
        json!({ "command": format!("template t {chart}"), "values": "greeting: from-values-file\nreplicaCount: 3\n" }),
    )
    .await
    .unwrap();
    assert!(!is_error(&r), "{}", text(&r));
    assert!(text(&r).contains("from-values-file"), "{}", text(&r));
    assert!(text(&r).contains("replicas: 3"), "{}", text(&r));
    c.cancel().await.unwrap();
}

#[tokio::test]
async fn a_lookup_of_a_secret_outside_the_grant_is_denied_at_the_proxy() {
    const NS: &str = "kap-helm-vault";
    fresh_namespace(NS);
    let (ok, out) = kc(&[
        "create",
        "secret",
        "generic",
        "vault-creds",
        "-n",
        NS,
        "--from-literal=token=kap-vault-canary-91b2",
    ]);
    assert!(ok, "{out}");
    let dir = tempfile::tempdir().unwrap();
    let c = start(&opts(&dir, &helm_bin().unwrap(), &[])).await.unwrap();
    let chart = charts().join("lookup").display().to_string();
    let r = helm(&c, &format!("install stolen {chart} -n {NS}")).await;
    assert!(is_error(&r), "{}", text(&r));
    assert!(!text(&r).contains("kap-vault-canary-91b2"), "{}", text(&r));
    let denied: Vec<Value> = proxied(&dir)
        .into_iter()
        .filter(|r| r["resource"] == "secrets" && r["name"] == "vault-creds")
        .collect();
    assert!(
        denied.iter().any(|r| r["decision"] == "deny"),
        "the lookup was not denied at the proxy: {denied:?}; the call answered: {}; audited: {:?}",
        text(&r),
        proxied(&dir)
            .iter()
            .map(|r| format!(
                "{} {} {} {}",
                r["verb"], r["resource"], r["name"], r["decision"]
            ))
            .collect::<Vec<_>>()
    );
    let (ok, _) = kc(&["get", "configmap", "stolen-stolen", "-n", NS]);
    assert!(!ok, "the ConfigMap carrying the stolen Secret exists");
    c.cancel().await.unwrap();
}

#[tokio::test]
async fn a_policy_deny_leaves_nothing_behind() {
    const NS: &str = "kap-helm-deny";
    fresh_namespace(NS);
    let dir = tempfile::tempdir().unwrap();
    let o = opts_with_policy(
        &dir,
        &format!(
            "rules:\n  - id: no-deployments-here\n    effect: deny\n    verbs: [create, update, patch]\n    resources: [deployments.apps]\n    namespaces: [{NS}]\n    reason: deployments in {NS} come from CI\n"
        ),
    );
    let c = start(&o).await.unwrap();
    let chart = charts().join("web").display().to_string();
    let r = helm(&c, &format!("install web {chart} -n {NS}")).await;
    assert!(is_error(&r), "{}", text(&r));
    assert!(text(&r).contains("no-deployments-here"), "{}", text(&r));
    // Nothing of it is left: no release, no object of the chart.
    assert!(releases(NS).is_empty(), "{:?}", releases(NS));
    for (kind, name) in [
        ("deployment", "web-web"),
        ("service", "web-web"),
        ("configmap", "web-config"),
        ("secret", "web-secret"),
    ] {
        let (ok, _) = kc(&["get", kind, name, "-n", NS]);
        assert!(!ok, "{kind}/{name} was left behind");
    }
    c.cancel().await.unwrap();
}

/// A stand-in for helm (granted as `helm`): tests/src/bin/fake_program.rs copied under a
/// name that picks its behaviour (`hang`, `flood`, `leak`).
fn fake(dir: &tempfile::TempDir, name: &str) -> PathBuf {
    let src = root().join("target/debug/fake_program");
    assert!(
        src.is_file(),
        "{} is missing: run `make build`",
        src.display()
    );
    let p = dir.path().join(name);
    std::fs::copy(&src, &p).unwrap();
    p
}

#[tokio::test]
async fn a_hanging_child_and_its_group_are_killed_at_the_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let pid = std::process::id();
    let marker = format!("kap-hang-{pid}");
    let prog = fake(&dir, &format!("fake-hang-{pid}"));
    let c = start(&opts(&dir, &prog, &[])).await.unwrap();
    let started = std::time::Instant::now();
    let r = call(
        &c,
        "execute_helm",
        json!({"command": "version", "timeout": 3}),
    )
    .await
    .unwrap();
    assert!(is_error(&r), "{}", text(&r));
    assert!(
        text(&r).to_lowercase().contains("timeout") || text(&r).contains("did not finish"),
        "{}",
        text(&r)
    );
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "not stopped at the deadline"
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    let ps = std::process::Command::new("pgrep")
        .args(["-f", &marker])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&ps.stdout).trim().is_empty(),
        "the grandchild survived: {}",
        String::from_utf8_lossy(&ps.stdout)
    );
    // The run was audited as timed out, and the server still answers.
    assert!(
        audit(&dir)
            .iter()
            .any(|r| r["capability"] == "process.run" && r["outcome"] == "timeout"),
        "{:?}",
        audit(&dir)
    );
    let r = call(&c, "describe_helm", json!({})).await.unwrap();
    assert!(!is_error(&r), "{}", text(&r));
    c.cancel().await.unwrap();
}

#[tokio::test]
async fn a_flooding_child_is_capped() {
    let dir = tempfile::tempdir().unwrap();
    let prog = fake(&dir, "fake-flood");
    let c = start(&opts(&dir, &prog, &[])).await.unwrap();
    let r = call(
        &c,
        "execute_helm",
        json!({"command": "version", "timeout": 20}),
    )
    .await
    .unwrap();
    assert!(is_error(&r), "{}", text(&r));
    assert!(
        text(&r).chars().count() <= 100_500,
        "{} chars",
        text(&r).len()
    );
    assert!(
        audit(&dir)
            .iter()
            .any(|r| r["capability"] == "process.run" && r["outcome"] == "output-limit"),
        "{:?}",
        audit(&dir)
    );
    let r = call(&c, "describe_helm", json!({})).await.unwrap();
    assert!(!is_error(&r), "{}", text(&r));
    c.cancel().await.unwrap();
}

/// `GET path` at `hostport` with `token` as a bearer header (raw HTTP/1.1); the answer's
/// first line, or the connection error.
async fn replay(hostport: &str, token: &str, path: &str) -> String {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    match tokio::net::TcpStream::connect(hostport).await {
        Err(e) => format!("connect: {e}"),
        Ok(mut s) => {
            let req = format!(
                "GET {path} HTTP/1.1\r\nHost: {hostport}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
            );
            if let Err(e) = s.write_all(req.as_bytes()).await {
                return format!("write: {e}");
            }
            let mut resp = String::new();
            let _ = tokio::time::timeout(Duration::from_secs(5), s.read_to_string(&mut resp)).await;
            resp.lines().next().unwrap_or("no answer").to_string()
        }
    }
}

#[tokio::test]
async fn the_proxy_token_dies_with_its_call() {
    let dir = tempfile::tempdir().unwrap();
    let prog = fake(&dir, "fake-leak");
    let c = start(&opts(&dir, &prog, &[])).await.unwrap();
    let r = call(&c, "execute_helm", json!({"command": "version"}))
        .await
        .unwrap();
    let out = text(&r);
    let field = |key: &str| {
        out.lines()
            .find_map(|l| l.trim().strip_prefix(key))
            .unwrap_or_else(|| panic!("no {key} in {out}"))
            .trim()
            .to_string()
    };
    let server = field("server:");
    assert!(server.starts_with("http://127.0.0.1:"), "{server}");
    // The token worked while the call ran.
    assert_eq!(field("live-status:"), "200", "{out}");
    let token: String = field("kap-reversed-groups:")
        .split_whitespace()
        .collect::<String>()
        .chars()
        .rev()
        .collect();
    assert_eq!(token.len(), 64, "{out}");
    let hostport = server
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap_or_default()
        .to_string();
    // After the call: the same token at the same address gets nothing, as a header or as
    // the path prefix the kubeconfig's server URL carries.
    let first = replay(&hostport, &token, "/version").await;
    assert!(!first.contains(" 200"), "replayed after the call: {first}");
    let second = replay(&hostport, "", &format!("/kap-{token}/version")).await;
    assert!(
        !second.contains(" 200"),
        "replayed after the call: {second}"
    );
    c.cancel().await.unwrap();
}

/// Serves `dir` over loopback HTTP (GET only), as a chart repository: `index.yaml` and the
/// packaged charts. Returns the base URL.
async fn serve_repo(dir: PathBuf) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        loop {
            let Ok((mut s, _)) = listener.accept().await else {
                return;
            };
            let dir = dir.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let n = s.read(&mut buf).await.unwrap_or(0);
                let head = String::from_utf8_lossy(&buf[..n]).to_string();
                let path = head
                    .split_whitespace()
                    .nth(1)
                    .unwrap_or("/")
                    .trim_start_matches('/')
                    .to_string();
                let file = dir.join(&path);
                let resp = match (path.contains(".."), std::fs::read(&file)) {
                    (false, Ok(body)) => {
                        let mut r = format!(
                            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                            body.len()
                        )
                        .into_bytes();
                        r.extend(body);
                        r
                    }
                    _ => {
                        b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                            .to_vec()
                    }
                };
                let _ = s.write_all(&resp).await;
            });
        }
    });
    url
}

#[tokio::test]
async fn a_chart_from_a_granted_repository_over_loopback_http() {
    const NS: &str = "kap-helm-repo";
    fresh_namespace(NS);
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    let (ok, out) = real_helm(&[
        "package",
        &charts().join("web").display().to_string(),
        "-d",
        &repo.display().to_string(),
    ]);
    assert!(ok, "{out}");
    let url = serve_repo(repo.clone()).await;
    let (ok, out) = real_helm(&["repo", "index", &repo.display().to_string(), "--url", &url]);
    assert!(ok, "{out}");
    let c = start_with(
        &opts(&dir, &helm_bin().unwrap(), std::slice::from_ref(&url)),
        Person::new(true),
        Protocol::Legacy,
    )
    .await
    .unwrap();
    let r = helm(&c, &format!("show chart web --repo {url}")).await;
    assert!(!is_error(&r), "{}", text(&r));
    assert!(text(&r).contains("name: web"), "{}", text(&r));
    let r = helm(
        &c,
        &format!("install fromrepo web --repo {url} --version 0.1.0 -n {NS}"),
    )
    .await;
    assert!(!is_error(&r), "{}", text(&r));
    assert_eq!(
        releases(NS),
        vec![("fromrepo".into(), "1".into(), "deployed".into())]
    );
    // The packaged .tgz under a granted directory works too.
    let tgz = repo.join("web-0.1.0.tgz");
    let r = helm(&c, &format!("template t {}", tgz.display())).await;
    assert!(!is_error(&r), "{}", text(&r));
    assert!(!text(&r).contains(CANARY), "{}", text(&r));
    // An unlisted repository is refused before helm runs.
    let r = helm(&c, "show chart web --repo http://127.0.0.1:9/").await;
    assert!(is_error(&r), "{}", text(&r));
    let (ok, out) = real_helm(&["uninstall", "fromrepo", "-n", NS]);
    assert!(ok, "{out}");
    c.cancel().await.unwrap();
}

#[tokio::test]
async fn an_install_into_a_namespace_marked_for_confirmation_asks_once() {
    const NS: &str = "kap-helm-ask";
    fresh_namespace(NS);
    let dir = tempfile::tempdir().unwrap();
    let o = opts_with_policy(
        &dir,
        &format!(
            "rules:\n  - id: ask-in-{NS}\n    effect: confirm\n    verbs: [create, update, patch]\n    resources: [\"*\"]\n    namespaces: [{NS}]\n    reason: {NS} is shared\n"
        ),
    );
    let chart = charts().join("web").display().to_string();
    // A person who says no: nothing is created, and helm never ran the install.
    let no = Person::new(false);
    let c = start_with(&o, no.clone(), Protocol::Legacy).await.unwrap();
    let r = helm(&c, &format!("install web {chart} -n {NS}")).await;
    assert!(is_error(&r), "{}", text(&r));
    assert_eq!(no.asked().len(), 1, "{:?}", no.asked());
    assert!(
        no.asked()[0].contains("Deployment kap-helm-ask/web-web"),
        "{:?}",
        no.asked()
    );
    assert!(releases(NS).is_empty(), "{:?}", releases(NS));
    assert!(
        proxied(&dir).iter().all(|r| r["verb"] != "create"),
        "{:?}",
        proxied(&dir)
    );
    c.cancel().await.unwrap();
    // A person who says yes: one question for the whole install, every create bound to it.
    let yes = Person::new(true);
    let c = start_with(&o, yes.clone(), Protocol::Legacy).await.unwrap();
    let r = helm(&c, &format!("install web {chart} -n {NS}")).await;
    assert!(!is_error(&r), "{}", text(&r));
    assert_eq!(yes.asked().len(), 1, "{:?}", yes.asked());
    assert_eq!(
        releases(NS),
        vec![("web".into(), "1".into(), "deployed".into())]
    );
    let bound = proxied(&dir)
        .iter()
        .filter(|r| {
            r["confirmation"]
                .as_str()
                .is_some_and(|c| c.starts_with("approved-with-run"))
        })
        .count();
    assert!(bound >= 4, "{:?}", proxied(&dir));
    let (ok, out) = real_helm(&["uninstall", "web", "-n", NS]);
    assert!(ok, "{out}");
    c.cancel().await.unwrap();
}

#[tokio::test]
async fn a_symlink_out_of_a_granted_directory_is_refused_by_the_host() {
    let dir = tempfile::tempdir().unwrap();
    // The granted directory (the temp dir) holds a link to a chart outside every grant.
    let outside = tempfile::tempdir().unwrap();
    let (ok, out) = real_helm(&[
        "package",
        &charts().join("web").display().to_string(),
        "-d",
        &outside.path().display().to_string(),
    ]);
    assert!(ok, "{out}");
    let link = dir.path().join("escape.tgz");
    std::os::unix::fs::symlink(outside.path().join("web-0.1.0.tgz"), &link).unwrap();
    let c = start(&opts(&dir, &helm_bin().unwrap(), &[])).await.unwrap();
    let r = helm(&c, &format!("template t {}", link.display())).await;
    assert!(is_error(&r), "{}", text(&r));
    assert!(text(&r).contains("grant.process.args"), "{}", text(&r));
    assert!(
        audit(&dir).iter().any(|r| r["capability"] == "process.run"
            && r["decision"] == "deny"
            && r["rule"] == "grant.process.args"),
        "{:?}",
        audit(&dir)
    );
    c.cancel().await.unwrap();
}
