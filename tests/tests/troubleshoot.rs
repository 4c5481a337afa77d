//! Integration tests of `k8s_troubleshoot` through `kube-ai-proxy serve` and a real MCP
//! client, against the local KWOK cluster. Each test builds one broken state in its own
//! namespace (`kap-ts-*`) with the real kubectl, waits until the cluster shows it, and checks
//! that the top finding names the cause and the fix.
//!
//! Container failures come from the KWOK Stages of `tests/cluster/stages.yaml` (wired in by
//! `tests/cluster/up.sh`): a pod labelled `kap.test/simulate=crashloop|oom|imagepull|
//! configerror|probe-fail|fail` gets the status the kubelet would report, a KWOK node labelled
//! `kap.test/simulate=notready` reports Ready=False. The scheduler, the Deployment, Job,
//! EndpointSlice and PersistentVolume controllers are the real ones. Without KUBECONFIG these
//! tests fail; they are never skipped.

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use kube_ai_proxy_e2e::*;
use serde_json::{Value, json};

/// Runs the real kubectl; returns (success, stdout + stderr).
fn kc(args: &[&str]) -> (bool, String) {
    kc_in(args, None)
}

fn kc_in(args: &[&str], stdin: Option<&str>) -> (bool, String) {
    let bin = std::env::var("KAP_KUBECTL").unwrap_or_else(|_| "kubectl".into());
    let mut child = Command::new(bin)
        .args(args)
        .env("KUBECONFIG", kubeconfig().expect("KUBECONFIG"))
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run kubectl");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write manifest");
    }
    let out = child.wait_with_output().expect("kubectl output");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// `kubectl apply -f -` of a manifest; panics with kubectl's message when it fails.
fn apply(manifest: &str) {
    let (ok, out) = kc_in(&["apply", "-f", "-"], Some(manifest));
    assert!(ok, "kubectl apply failed: {out}\n{manifest}");
}

/// Polls `check` every 500 ms until it holds or `secs` pass; panics naming `what`.
fn wait_for(what: &str, secs: u64, check: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !check() {
        assert!(
            Instant::now() < deadline,
            "timed out after {secs}s waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// `kubectl get ... -o jsonpath=...` (empty on failure).
fn jsonpath(ns: &str, what: &[&str], path: &str) -> String {
    let mut args = vec!["get"];
    args.extend_from_slice(what);
    let p = format!("jsonpath={path}");
    args.extend_from_slice(&["-n", ns, "-o", &p]);
    let (ok, out) = kc(&args);
    if ok { out } else { String::new() }
}

/// A test namespace, created fresh and deleted (without waiting) when dropped.
struct Ns(String);

impl Ns {
    fn new(name: &str) -> Ns {
        let (_, _) = kc(&[
            "delete",
            "namespace",
            name,
            "--ignore-not-found",
            "--wait=true",
            "--timeout=90s",
        ]);
        let (ok, out) = kc(&["create", "namespace", name]);
        assert!(ok, "{out}");
        wait_for("the default ServiceAccount", 30, || {
            kc(&["get", "serviceaccount", "default", "-n", name]).0
        });
        Ns(name.to_string())
    }
}

impl Drop for Ns {
    fn drop(&mut self) {
        let _ = kc(&["delete", "namespace", &self.0, "--wait=false"]);
    }
}

/// A cluster-scoped Node, deleted when dropped.
struct NodeGuard(String);

impl Drop for NodeGuard {
    fn drop(&mut self) {
        let _ = kc(&[
            "delete",
            "node",
            &self.0,
            "--ignore-not-found",
            "--wait=false",
        ]);
    }
}

/// Calls `k8s_troubleshoot` through a fresh server; returns (text, structured findings).
async fn troubleshoot_with(opts: &ServerOpts, args: Value) -> (String, Vec<Value>) {
    let c = start(opts).await.expect("start server");
    let r = call(&c, "k8s_troubleshoot", args.clone())
        .await
        .expect("call k8s_troubleshoot");
    let out = text(&r);
    // Shown with --nocapture, and with a failing test's output.
    eprintln!("k8s_troubleshoot {args}:\n{out}");
    assert!(!is_error(&r), "{args}: {out}");
    let st = r
        .structured_content
        .clone()
        .unwrap_or_else(|| panic!("no structured content: {out}"));
    c.cancel().await.expect("stop server");
    let findings = st["findings"].as_array().cloned().unwrap_or_default();
    (out, findings)
}

fn admin(audit: &Path) -> ServerOpts {
    ServerOpts {
        kubeconfig: Some(kubeconfig().expect("KUBECONFIG")),
        audit_log: Some(audit.to_path_buf()),
        ..Default::default()
    }
}

async fn troubleshoot(args: Value) -> (String, Vec<Value>) {
    let dir = tempfile::tempdir().unwrap();
    troubleshoot_with(&admin(&dir.path().join("audit.jsonl")), args).await
}

fn field<'a>(f: &'a Value, k: &str) -> &'a str {
    f[k].as_str().unwrap_or("")
}

/// A Deployment of one container whose pods carry `kap.test/simulate=simulate` (none when
/// empty), plus `extra` lines under the container and `pod_extra` under the pod spec.
fn deployment(ns: &str, name: &str, simulate: &str, extra: &str, pod_extra: &str) -> String {
    let sim = if simulate.is_empty() {
        String::new()
    } else {
        format!("\n        kap.test/simulate: {simulate}")
    };
    format!(
        r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: {ns}
spec:
  replicas: 1
  selector:
    matchLabels:
      app: {name}
  template:
    metadata:
      labels:
        app: {name}{sim}
    spec:{pod_extra}
      containers:
        - name: {name}
          image: example.com/{name}:1.0{extra}
"#
    )
}

fn container_waiting(ns: &str, app: &str) -> String {
    jsonpath(
        ns,
        &["pods", "-l", &format!("app={app}")],
        "{.items[*].status.containerStatuses[*].state.waiting.reason}",
    )
}

/// The seeds' scenario: WordPress crash-loops because the StatefulSet behind its database
/// Service `mariadb` was scaled to zero. The top finding names the StatefulSet and the fix;
/// once that fix is applied the finding is gone.
#[tokio::test]
async fn wordpress_with_mariadb_scaled_to_zero() {
    let ns = Ns::new("kap-ts-wordpress");
    let n = ns.0.as_str();
    apply(&format!(
        r#"apiVersion: v1
kind: Service
metadata:
  name: mariadb
  namespace: {n}
spec:
  selector:
    app: mariadb
  ports:
    - port: 3306
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: mariadb
  namespace: {n}
spec:
  replicas: 0
  serviceName: mariadb
  selector:
    matchLabels:
      app: mariadb
  template:
    metadata:
      labels:
        app: mariadb
    spec:
      containers:
        - name: mariadb
          image: docker.io/bitnami/mariadb:11.4
---
apiVersion: v1
kind: Service
metadata:
  name: wordpress
  namespace: {n}
spec:
  selector:
    app: wordpress
  ports:
    - port: 80
---
{}"#,
        deployment(
            n,
            "wordpress",
            "crashloop",
            "\n          env:\n            - name: WORDPRESS_DATABASE_HOST\n              value: mariadb\n            - name: WORDPRESS_DATABASE_PORT_NUMBER\n              value: \"3306\"",
            ""
        )
    ));
    wait_for("wordpress in CrashLoopBackOff", 60, || {
        container_waiting(n, "wordpress") == "CrashLoopBackOff"
    });
    wait_for("the EndpointSlice of service mariadb", 30, || {
        !jsonpath(
            n,
            &["endpointslices", "-l", "kubernetes.io/service-name=mariadb"],
            "{.items[*].metadata.name}",
        )
        .is_empty()
    });

    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit.jsonl");
    let (out, findings) = troubleshoot_with(
        &admin(&audit),
        json!({"namespace": n, "kind": "deployment", "name": "wordpress"}),
    )
    .await;
    let top = &findings[0];
    assert_eq!(field(top, "object"), "statefulset/mariadb", "{out}");
    assert_eq!(field(top, "severity"), "critical", "{out}");
    assert!(
        field(top, "title").contains("statefulset/mariadb is scaled to zero"),
        "{out}"
    );
    assert!(
        field(top, "title").contains("deployment/wordpress"),
        "{out}"
    );
    assert_eq!(
        field(top, "fix"),
        format!("kubectl scale statefulset mariadb --replicas=1 -n {n}")
    );
    assert!(
        top["evidence"].as_array().unwrap().contains(&json!(
            "deployment/wordpress env WORDPRESS_DATABASE_HOST=mariadb"
        )),
        "{out}"
    );
    assert!(
        out.contains("\n1. [critical] statefulset/mariadb is scaled to zero"),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "   fix: kubectl scale statefulset mariadb --replicas=1 -n {n}\n"
        )),
        "{out}"
    );
    // The chain below it: the Service without endpoints, then the crash it causes.
    assert_eq!(field(&findings[1], "object"), "service/mariadb", "{out}");
    assert!(
        findings.iter().any(|f| field(f, "title")
            .contains("is in CrashLoopBackOff (last exit: Error, exit code 1; 5 restarts)")),
        "{out}"
    );
    // Read-only lists; Secrets only as metadata.
    let records = read_audit(&audit).unwrap();
    let kube: Vec<&Value> = records
        .iter()
        .filter(|r| r["resource"].is_string())
        .collect();
    assert!(kube.len() >= 10, "{records:?}");
    for r in &kube {
        assert_eq!(r["verb"], "list", "{r}");
        if r["resource"] == "secrets" {
            assert_eq!(r["rule"], "default.secret-metadata", "{r}");
        }
    }

    // A symptom alone finds the same cause.
    let (out, findings) = troubleshoot(json!({
        "namespace": n,
        "symptom": "wordpress says: Error establishing a database connection"
    }))
    .await;
    assert_eq!(
        field(&findings[0], "object"),
        "statefulset/mariadb",
        "{out}"
    );

    // Apply the suggested fix; the finding goes away.
    let (ok, o) = kc(&["scale", "statefulset", "mariadb", "--replicas=1", "-n", n]);
    assert!(ok, "{o}");
    wait_for("mariadb-0 Ready", 60, || {
        jsonpath(
            n,
            &["pod", "mariadb-0"],
            "{.status.conditions[?(@.type==\"Ready\")].status}",
        ) == "True"
    });
    wait_for("a ready endpoint of service mariadb", 30, || {
        jsonpath(
            n,
            &["endpointslices", "-l", "kubernetes.io/service-name=mariadb"],
            "{.items[*].endpoints[*].conditions.ready}",
        )
        .contains("true")
    });
    let (out, findings) =
        troubleshoot(json!({"namespace": n, "name": "deployment/wordpress"})).await;
    assert!(
        !findings
            .iter()
            .any(|f| field(f, "object") == "statefulset/mariadb"
                || field(f, "object") == "service/mariadb"),
        "{out}"
    );
    assert!(
        field(&findings[0], "title").contains("CrashLoopBackOff"),
        "{out}"
    );
}

#[tokio::test]
async fn service_selector_matches_nothing() {
    let ns = Ns::new("kap-ts-selector");
    let n = ns.0.as_str();
    apply(&format!(
        r#"{}---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: {n}
spec:
  selector:
    app: web
  ports:
    - port: 80
"#,
        deployment(n, "web-v2", "", "", "")
    ));
    wait_for("web-v2 Running", 60, || {
        jsonpath(n, &["pods", "-l", "app=web-v2"], "{.items[*].status.phase}") == "Running"
    });
    let (out, findings) = troubleshoot(json!({"namespace": n, "kind": "svc", "name": "web"})).await;
    let top = &findings[0];
    assert_eq!(
        field(top, "title"),
        "service/web has no endpoints: selector app=web matches no pods",
        "{out}"
    );
    assert_eq!(
        field(top, "fix"),
        format!(
            r#"kubectl patch service web -n {n} -p '{{"spec":{{"selector":{{"app":"web-v2"}}}}}}'"#
        )
    );
}

/// One Deployment whose pod the Stage `simulate` drives; returns the top finding.
async fn simulated(
    ns: &str,
    app: &str,
    simulate: &str,
    extra: &str,
    reason: &str,
) -> (String, Vec<Value>) {
    apply(&deployment(ns, app, simulate, extra, ""));
    wait_for(&format!("{app} in {reason}"), 60, || {
        container_waiting(ns, app) == reason
    });
    troubleshoot(json!({"namespace": ns, "kind": "deployment", "name": app})).await
}

#[tokio::test]
async fn crashloop_with_the_last_exit_reason() {
    let ns = Ns::new("kap-ts-crashloop");
    let (out, f) = simulated(&ns.0, "api", "crashloop", "", "CrashLoopBackOff").await;
    let pod = jsonpath(
        &ns.0,
        &["pods", "-l", "app=api"],
        "{.items[0].metadata.name}",
    );
    assert!(
        field(&f[0], "title").starts_with(&format!(
            "container api of pod/{pod} is in CrashLoopBackOff (last exit: Error, exit code 1; 5 restarts)"
        )),
        "{out}"
    );
    assert_eq!(
        field(&f[0], "fix"),
        format!("kubectl logs {pod} -c api --previous -n {}", ns.0)
    );
    assert!(
        out.contains("event BackOff: Back-off restarting failed container"),
        "{out}"
    );
}

#[tokio::test]
async fn oomkilled() {
    let ns = Ns::new("kap-ts-oom");
    let (out, f) = simulated(
        &ns.0,
        "worker",
        "oom",
        "\n          resources:\n            limits:\n              memory: 64Mi",
        "CrashLoopBackOff",
    )
    .await;
    assert!(
        field(&f[0], "title").contains("is OOMKilled and restarting"),
        "{out}"
    );
    assert!(field(&f[0], "title").contains("memory limit 64Mi"), "{out}");
    assert_eq!(
        field(&f[0], "fix"),
        format!(
            "kubectl set resources deployment/worker -c worker --limits=memory=<more than 64Mi> -n {}",
            ns.0
        )
    );
}

#[tokio::test]
async fn image_pull_backoff() {
    let ns = Ns::new("kap-ts-imagepull");
    let (out, f) = simulated(&ns.0, "front", "imagepull", "", "ImagePullBackOff").await;
    assert!(
        field(&f[0], "title")
            .contains("cannot pull image \"example.com/front:1.0\" (ImagePullBackOff)"),
        "{out}"
    );
    assert_eq!(
        field(&f[0], "fix"),
        format!(
            "kubectl set image deployment/front front=<an image that exists> -n {}",
            ns.0
        )
    );
}

#[tokio::test]
async fn create_container_config_error() {
    let ns = Ns::new("kap-ts-configerror");
    let n = ns.0.as_str();
    // The kubelet's message comes from the annotation the Stage reads.
    let manifest = deployment(n, "shop", "configerror", "", "").replace(
        "      labels:\n        app: shop",
        "      annotations:\n        kap.test/message: 'secret \"shop-db\" not found'\n      labels:\n        app: shop",
    );
    apply(&manifest);
    wait_for("shop in CreateContainerConfigError", 60, || {
        container_waiting(n, "shop") == "CreateContainerConfigError"
    });
    let (out, f) = troubleshoot(json!({"namespace": n, "name": "deployment/shop"})).await;
    assert!(
        field(&f[0], "title")
            .ends_with("cannot start: CreateContainerConfigError: secret \"shop-db\" not found"),
        "{out}"
    );
    assert_eq!(
        field(&f[0], "fix"),
        format!("kubectl create secret generic shop-db -n {n} --from-literal=KEY=VALUE")
    );
}

/// A pod needs a Secret that does not exist and a key its Secret lacks (KWOK runs it anyway;
/// a kubelet would report CreateContainerConfigError): found from the Secrets' metadata, the
/// value never shown.
#[tokio::test]
async fn missing_secret_and_key_found_from_metadata() {
    let ns = Ns::new("kap-ts-secrets");
    let n = ns.0.as_str();
    let (ok, out) = kc(&[
        "create",
        "secret",
        "generic",
        "db",
        "-n",
        n,
        "--from-literal=user=canary-ts-7f3a",
    ]);
    assert!(ok, "{out}");
    let env = "\n          env:\n            - name: PW\n              valueFrom:\n                secretKeyRef: {name: db, key: password}\n          envFrom:\n            - secretRef: {name: api-creds}";
    apply(&deployment(n, "api", "", env, ""));
    wait_for("the api pod", 60, || {
        !jsonpath(n, &["pods", "-l", "app=api"], "{.items[*].metadata.name}").is_empty()
    });
    let (out, f) = troubleshoot(json!({"namespace": n})).await;
    let titles: Vec<&str> = f.iter().map(|x| field(x, "title")).collect();
    assert!(
        titles.iter().any(|t| t
            .starts_with("deployment/api needs key \"password\" of Secret \"db\"")
            && t.contains("it has: user")),
        "{out}"
    );
    assert!(
        titles.iter().any(
            |t| t.starts_with("deployment/api needs Secret \"api-creds\"")
                && t.contains(&format!("does not exist in namespace {n}"))
        ),
        "{out}"
    );
    let fixes: Vec<&str> = f.iter().map(|x| field(x, "fix")).collect();
    assert!(
        fixes.contains(
            &format!("kubectl create secret generic api-creds -n {n} --from-literal=KEY=VALUE")
                .as_str()
        ),
        "{out}"
    );
    assert!(!out.contains("canary-ts-7f3a"), "{out}");
}

const PROBE: &str = "\n          readinessProbe:\n            httpGet:\n              path: /healthz\n              port: 8080";

#[tokio::test]
async fn failing_readiness_probe_empties_the_service() {
    let ns = Ns::new("kap-ts-probe");
    let n = ns.0.as_str();
    apply(&format!(
        "{}---\napiVersion: v1\nkind: Service\nmetadata:\n  name: api\n  namespace: {n}\nspec:\n  selector:\n    app: api\n  ports:\n    - port: 80\n",
        deployment(n, "api", "probe-fail", PROBE, "")
    ));
    wait_for("api Running but not ready", 60, || {
        jsonpath(
            n,
            &["pods", "-l", "app=api"],
            "{.items[*].status.phase}/{.items[*].status.containerStatuses[*].ready}",
        ) == "Running/false"
    });
    let (out, f) = troubleshoot(json!({"namespace": n, "kind": "service", "name": "api"})).await;
    assert!(
        field(&f[0], "title").ends_with("is running but not ready: its readiness probe fails"),
        "{out}"
    );
    assert!(
        out.contains("readinessProbe=httpGet :8080/healthz"),
        "{out}"
    );
    assert!(
        out.contains("event Unhealthy: Readiness probe failed"),
        "{out}"
    );
    assert!(
        f.iter().any(|x| field(x, "title")
            == "service/api has no ready endpoints: 1 pod(s) match its selector but none is ready"),
        "{out}"
    );
}

#[tokio::test]
async fn deployment_not_progressing() {
    let ns = Ns::new("kap-ts-progress");
    let n = ns.0.as_str();
    let manifest = deployment(n, "slow", "probe-fail", PROBE, "").replace(
        "  replicas: 1\n",
        "  replicas: 1\n  progressDeadlineSeconds: 2\n",
    );
    apply(&manifest);
    wait_for("ProgressDeadlineExceeded", 90, || {
        jsonpath(
            n,
            &["deployment", "slow"],
            "{.status.conditions[?(@.type==\"Progressing\")].reason}",
        ) == "ProgressDeadlineExceeded"
    });
    let (out, f) = troubleshoot(json!({"namespace": n, "name": "deployment/slow"})).await;
    // The cause (pods never ready) first, the Deployment controller's verdict next.
    assert!(
        field(&f[0], "title").ends_with("is running but not ready: its readiness probe fails"),
        "{out}"
    );
    assert_eq!(field(&f[0], "severity"), "critical", "{out}");
    assert!(
        field(&f[1], "title")
            .starts_with("deployment/slow is not progressing: ProgressDeadlineExceeded"),
        "{out}"
    );
    assert_eq!(
        field(&f[1], "fix"),
        format!("kubectl rollout undo deployment/slow -n {n}")
    );
}

#[tokio::test]
async fn unschedulable_with_the_schedulers_reason() {
    let ns = Ns::new("kap-ts-unschedulable");
    let n = ns.0.as_str();
    apply(&deployment(
        n,
        "gpu",
        "",
        "",
        "\n      nodeSelector:\n        kap.test/accelerator: h100",
    ));
    wait_for("the scheduler's verdict", 60, || {
        jsonpath(
            n,
            &["pods", "-l", "app=gpu"],
            "{.items[*].status.conditions[?(@.type==\"PodScheduled\")].reason}",
        ) == "Unschedulable"
    });
    let (out, f) = troubleshoot(json!({"namespace": n, "symptom": "gpu pods stay pending"})).await;
    let t = field(&f[0], "title");
    assert!(t.contains("is Pending: Unschedulable: 0/"), "{out}");
    assert!(
        t.contains("didn't match Pod's node affinity/selector"),
        "{out}"
    );
    assert!(
        out.contains("spec.nodeSelector=kap.test/accelerator=h100"),
        "{out}"
    );
    assert!(
        field(&f[0], "fix").starts_with(&format!(
            "kubectl patch deployment/gpu -n {n} --type=json -p"
        )),
        "{out}"
    );
}

#[tokio::test]
async fn pvc_pending_on_a_missing_storage_class() {
    let ns = Ns::new("kap-ts-pvc");
    let n = ns.0.as_str();
    apply(&format!(
        r#"apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: data
  namespace: {n}
spec:
  storageClassName: kap-no-such-class
  accessModes: [ReadWriteOnce]
  resources:
    requests:
      storage: 1Gi
---
{}"#,
        deployment(
            n,
            "db",
            "",
            "\n          volumeMounts:\n            - name: data\n              mountPath: /data",
            "\n      volumes:\n        - name: data\n          persistentVolumeClaim:\n            claimName: data"
        )
    ));
    wait_for("the ProvisioningFailed event", 60, || {
        jsonpath(
            n,
            &["events", "--field-selector", "involvedObject.name=data"],
            "{.items[*].reason}",
        )
        .contains("ProvisioningFailed")
    });
    let (out, f) = troubleshoot(json!({"namespace": n, "name": "deployment/db"})).await;
    assert_eq!(
        field(&f[0], "title"),
        "persistentvolumeclaim/data is Pending: storageclass \"kap-no-such-class\" not found",
        "{out}"
    );
    assert!(
        field(&f[0], "fix").starts_with("kubectl get storageclass"),
        "{out}"
    );
}

#[tokio::test]
async fn node_not_ready() {
    let ns = Ns::new("kap-ts-node");
    let n = ns.0.as_str();
    let node = "kap-ts-notready";
    let _node = NodeGuard(node.into());
    // A KWOK node the Stage keeps NotReady; tainted so the scheduler never picks it for other
    // tests' pods. The test's pod is bound to it directly.
    apply(&format!(
        r#"apiVersion: v1
kind: Node
metadata:
  name: {node}
  annotations:
    kwok.x-k8s.io/node: fake
  labels:
    type: kwok
    kap.test/simulate: notready
spec:
  taints:
    - key: kap.test/broken
      effect: NoSchedule
"#
    ));
    wait_for("the node NotReady", 60, || {
        kc(&[
            "get",
            "node",
            node,
            "-o",
            "jsonpath={.status.conditions[?(@.type==\"Ready\")].status}",
        ])
        .1 == "False"
    });
    apply(&format!(
        r#"apiVersion: v1
kind: Pod
metadata:
  name: stuck
  namespace: {n}
spec:
  nodeName: {node}
  tolerations:
    - operator: Exists
  containers:
    - name: app
      image: example.com/app:1.0
"#
    ));
    wait_for("pod stuck bound", 30, || {
        !jsonpath(n, &["pod", "stuck"], "{.status.phase}").is_empty()
    });
    let (out, f) = troubleshoot(json!({"namespace": n, "kind": "pod", "name": "stuck"})).await;
    assert!(
        field(&f[0], "title").starts_with(&format!("node/{node} is NotReady: KubeletNotReady")),
        "{out}"
    );
    assert!(
        field(&f[0], "title").ends_with(&format!("runs 1 pod(s) of namespace {n}")),
        "{out}"
    );
    assert_eq!(
        field(&f[0], "fix"),
        format!("kubectl drain {node} --ignore-daemonsets --delete-emptydir-data")
    );
}

#[tokio::test]
async fn job_failed() {
    let ns = Ns::new("kap-ts-job");
    let n = ns.0.as_str();
    apply(&format!(
        r#"apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
  namespace: {n}
spec:
  backoffLimit: 0
  template:
    metadata:
      labels:
        kap.test/simulate: fail
    spec:
      restartPolicy: Never
      containers:
        - name: migrate
          image: example.com/migrate:1.0
"#
    ));
    wait_for("job migrate Failed", 60, || {
        jsonpath(
            n,
            &["job", "migrate"],
            "{.status.conditions[?(@.type==\"Failed\")].status}",
        ) == "True"
    });
    let (out, f) = troubleshoot(json!({"namespace": n, "kind": "job", "name": "migrate"})).await;
    assert_eq!(
        field(&f[0], "title"),
        "job/migrate failed: BackoffLimitExceeded; last pod exit: Error, exit code 1",
        "{out}"
    );
    assert_eq!(
        field(&f[0], "fix"),
        format!("kubectl logs job/migrate -n {n}")
    );
}

/// The restricted identity may only read pods in kap-restricted: every other read is
/// refused by RBAC, reported as low-rank findings, and the call still answers.
#[tokio::test]
async fn refused_reads_are_reported_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    let opts = ServerOpts {
        kubeconfig: Some(restricted_kubeconfig().expect("restricted kubeconfig")),
        audit_log: Some(dir.path().join("audit.jsonl")),
        ..Default::default()
    };
    let (out, f) = troubleshoot_with(&opts, json!({"namespace": "kap-restricted"})).await;
    let last = f.last().expect("findings");
    assert_eq!(field(last, "severity"), "info", "{out}");
    let unread: Vec<&Value> = f
        .iter()
        .filter(|x| field(x, "title").starts_with("could not read "))
        .collect();
    assert!(
        unread.iter().any(|x| field(x, "title")
            .starts_with("could not read services: Error from server (Forbidden)")),
        "{out}"
    );
    assert!(
        !unread
            .iter()
            .any(|x| field(x, "title").starts_with("could not read pods")),
        "{out}"
    );
    // The refusals come last.
    let first_unread = f
        .iter()
        .position(|x| field(x, "title").starts_with("could not read "))
        .unwrap();
    assert!(
        f[first_unread..]
            .iter()
            .all(|x| field(x, "title").starts_with("could not read "))
    );
}
