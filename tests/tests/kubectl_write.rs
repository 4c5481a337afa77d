//! Integration tests of the kubectl plugin's write commands (create, patch, label, annotate,
//! set image, expose, autoscale, scale, delete -l, rollout history/undo, cordon, drain) and
//! the cluster commands (cluster-info, config get-contexts, wait, top), against the real
//! local cluster. Every test works in its own namespace (created with the real kubectl and
//! deleted at the end, also on failure) and checks the effects with the real kubectl, never
//! with the proxy's own output. The drain test uses its own tainted KWOK node, so no other
//! workload is touched.
//!
//! The server runs with a policy that lifts the built-in confirmations (deletes, evictions,
//! rollout undo) for the test namespaces only, by allow rules naming verb and resource.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use kube_ai_proxy_e2e::*;
use serde_json::{Value, json};

/// A namespace for one test: created now, deleted when dropped (also when the test fails).
struct Ns(String);

impl Ns {
    fn new(name: &str) -> Ns {
        let _ = kubectl_quiet(&["delete", "namespace", name, "--wait=true", "--timeout=60s"]);
        real_kubectl(&["create", "namespace", name]);
        Ns(name.to_string())
    }
}

impl Drop for Ns {
    fn drop(&mut self) {
        let _ = kubectl_quiet(&["delete", "namespace", &self.0, "--wait=false"]);
    }
}

/// The real kubectl, not panicking: (success, stdout + stderr).
fn kubectl_quiet(args: &[&str]) -> (bool, String) {
    let bin = std::env::var("KAP_KUBECTL").unwrap_or_else(|_| "kubectl".into());
    match std::process::Command::new(bin)
        .args(args)
        .env("KUBECONFIG", kubeconfig().expect("KUBECONFIG"))
        .output()
    {
        Ok(o) => (
            o.status.success(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            ),
        ),
        Err(e) => (false, e.to_string()),
    }
}

/// `kubectl apply -f` of a manifest with the real kubectl.
fn real_apply(dir: &tempfile::TempDir, manifest: &str) {
    let path = dir.path().join(format!("m-{}.yaml", manifest.len()));
    std::fs::write(&path, manifest).unwrap();
    real_kubectl(&["apply", "-f", path.to_str().unwrap()]);
}

/// A jsonpath read with the real kubectl.
fn jp(ns: &str, what: &str, path: &str) -> String {
    real_kubectl(&["get", what, "-n", ns, "-o", &format!("jsonpath={path}")])
}

/// The policy: strict, with the built-in confirmations lifted in the test namespaces.
fn policy(dir: &tempfile::TempDir) -> PathBuf {
    let path = dir.path().join("policy.yaml");
    std::fs::write(
        &path,
        r#"mode: strict
rules:
  - id: test-deletes
    effect: allow
    verbs: [delete]
    resources: [configmaps, pods, deployments.apps]
    namespaces: [kap-write-delete, kap-write-drain]
  - id: test-evictions
    effect: allow
    verbs: [create]
    resources: [pods/eviction]
    namespaces: [kap-write-drain]
  - id: test-undo
    effect: allow
    verbs: [patch]
    resources: [deployments.apps]
    namespaces: [kap-write-rollout]
  # Cordon changes spec.unschedulable: an eviction effect, confirmed by default in strict
  # mode; this rule lifts it for the test's own node.
  - id: test-cordon
    effect: allow
    verbs: [patch]
    resources: [nodes]
    names: [kap-write-node]
"#,
    )
    .unwrap();
    path
}

async fn server(dir: &tempfile::TempDir) -> Client {
    let opts = ServerOpts {
        kubeconfig: Some(kubeconfig().expect("KUBECONFIG")),
        audit_log: Some(dir.path().join("audit.jsonl")),
        args: vec!["--policy".into(), policy(dir).to_str().unwrap().to_string()],
        ..Default::default()
    };
    start(&opts).await.unwrap()
}

/// Runs a command that must succeed; returns its text.
async fn ok(c: &Client, command: &str) -> String {
    let r = kubectl(c, command).await.unwrap();
    let out = text(&r);
    assert!(!is_error(&r), "{command:?} failed:\n{out}");
    out
}

/// Runs a command that must fail; returns its text.
async fn fails(c: &Client, command: &str) -> String {
    let r = kubectl(c, command).await.unwrap();
    let out = text(&r);
    assert!(is_error(&r), "{command:?} should fail:\n{out}");
    out
}

async fn with_manifest(c: &Client, command: &str, manifest: &str) -> String {
    let r = call(
        c,
        "execute_kubectl",
        json!({"command": command, "manifest": manifest}),
    )
    .await
    .unwrap();
    let out = text(&r);
    assert!(!is_error(&r), "{command:?} failed:\n{out}");
    out
}

/// Polls `f` until it is true, for at most `secs`.
fn eventually(secs: u64, what: &str, mut f: impl FnMut() -> bool) {
    let end = Instant::now() + Duration::from_secs(secs);
    while !f() {
        assert!(Instant::now() < end, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(500));
    }
}

#[tokio::test]
async fn create_generators_and_manifests() {
    let dir = tempfile::tempdir().unwrap();
    let ns = Ns::new("kap-write-create");
    let n = ns.0.as_str();
    let c = server(&dir).await;

    // create namespace: cluster-scoped.
    let _ = kubectl_quiet(&["delete", "namespace", "kap-write-created", "--wait=true"]);
    assert_eq!(
        ok(&c, "create namespace kap-write-created").await,
        "namespace/kap-write-created created\n"
    );
    real_kubectl(&["get", "namespace", "kap-write-created"]);
    let _ = kubectl_quiet(&["delete", "namespace", "kap-write-created", "--wait=false"]);

    // create deployment.
    assert_eq!(
        ok(
            &c,
            &format!(
                "create deployment web --image=registry.k8s.io/pause:3.10 --replicas=2 --port=8080 -n {n}"
            )
        )
        .await,
        "deployment.apps/web created\n"
    );
    assert_eq!(jp(n, "deployment/web", "{.spec.replicas}"), "2");
    assert_eq!(jp(n, "deployment/web", "{.metadata.labels.app}"), "web");
    assert_eq!(
        jp(n, "deployment/web", "{.spec.selector.matchLabels.app}"),
        "web"
    );
    assert_eq!(
        jp(
            n,
            "deployment/web",
            "{.spec.template.spec.containers[0].name} {.spec.template.spec.containers[0].image} {.spec.template.spec.containers[0].ports[0].containerPort}"
        ),
        "pause registry.k8s.io/pause:3.10 8080"
    );
    assert!(
        jp(n, "deployment/web", "{.metadata.managedFields[*].manager}")
            .split_whitespace()
            .any(|m| m == "kubectl-create")
    );

    // create service clusterip / nodeport.
    ok(
        &c,
        &format!("create service clusterip web --tcp=80:8080 -n {n}"),
    )
    .await;
    assert_eq!(
        jp(
            n,
            "service/web",
            "{.spec.type} {.spec.ports[0].name} {.spec.ports[0].port} {.spec.ports[0].targetPort} {.spec.selector.app}"
        ),
        "ClusterIP 80-8080 80 8080 web"
    );
    ok(
        &c,
        &format!("create service nodeport np --tcp=8443:https -n {n}"),
    )
    .await;
    assert_eq!(
        jp(n, "service/np", "{.spec.type} {.spec.ports[0].targetPort}"),
        "NodePort https"
    );

    // create configmap.
    ok(
        &c,
        &format!("create configmap cfg --from-literal=a=1 --from-literal='b=two words' -n {n}"),
    )
    .await;
    assert_eq!(jp(n, "configmap/cfg", "{.data.a}|{.data.b}"), "1|two words");

    // create job with a command.
    assert_eq!(
        ok(
            &c,
            &format!("create job once --image=busybox:1.36 -n {n} -- echo -n hello")
        )
        .await,
        "job.batch/once created\n"
    );
    assert_eq!(
        jp(
            n,
            "job/once",
            "{.spec.template.spec.containers[0].command} {.spec.template.spec.restartPolicy}"
        ),
        r#"["echo","-n","hello"] Never"#
    );

    // create -f -: one POST per document.
    let out = with_manifest(
        &c,
        &format!("create -f - -n {n}"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: from-manifest}\ndata: {k: v}\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: robot}\n",
    )
    .await;
    assert_eq!(
        out,
        "configmap/from-manifest created\nserviceaccount/robot created\n"
    );
    assert_eq!(jp(n, "configmap/from-manifest", "{.data.k}"), "v");
    real_kubectl(&["get", "serviceaccount", "robot", "-n", n]);
    // Creating it again is kubectl's AlreadyExists error.
    let r = call(
        &c,
        "execute_kubectl",
        json!({"command": format!("create -f - -n {n}"), "manifest": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: from-manifest}\n"}),
    )
    .await
    .unwrap();
    assert!(is_error(&r));
    assert!(text(&r).contains("AlreadyExists"), "{}", text(&r));

    // Dry runs change nothing.
    assert_eq!(
        ok(
            &c,
            &format!("create deployment dry --image=busybox --dry-run=server -n {n}")
        )
        .await,
        "deployment.apps/dry created (server dry run)\n"
    );
    let yaml = ok(
        &c,
        &format!("create deployment dry --image=busybox --dry-run=client -o yaml -n {n}"),
    )
    .await;
    assert!(
        yaml.contains("kind: Deployment") && yaml.contains("image: busybox"),
        "{yaml}"
    );
    assert!(!kubectl_quiet(&["get", "deployment", "dry", "-n", n]).0);
    c.cancel().await.unwrap();
}

#[tokio::test]
async fn patch_label_annotate_and_set_image() {
    let dir = tempfile::tempdir().unwrap();
    let ns = Ns::new("kap-write-patch");
    let n = ns.0.as_str();
    real_kubectl(&[
        "create",
        "deployment",
        "web",
        "--image=registry.k8s.io/pause:3.9",
        "-n",
        n,
    ]);
    let c = server(&dir).await;

    assert_eq!(
        ok(
            &c,
            &format!("patch deployment web -n {n} -p '{{\"spec\":{{\"replicas\":3}}}}'")
        )
        .await,
        "deployment.apps/web patched\n"
    );
    assert_eq!(jp(n, "deployment/web", "{.spec.replicas}"), "3");
    // Let the deployment controller finish its status updates for the scale-up (each one
    // bumps the resourceVersion, which is how `(no change)` is told apart).
    let settled = "3,3,3";
    let mut seen = String::new();
    for _ in 0..100 {
        seen = jp(
            n,
            "deployment/web",
            "{.status.updatedReplicas},{.status.readyReplicas},{.status.availableReplicas}",
        );
        let generation_seen = jp(n, "deployment/web", "{.status.observedGeneration}")
            == jp(n, "deployment/web", "{.metadata.generation}");
        if seen == settled && generation_seen {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    assert_eq!(seen, settled, "the deployment did not settle");
    std::thread::sleep(std::time::Duration::from_millis(500));
    // The same patch again changes nothing.
    assert_eq!(
        ok(
            &c,
            &format!("patch deployment web -n {n} -p 'spec: {{replicas: 3}}'")
        )
        .await,
        "deployment.apps/web patched (no change)\n"
    );
    ok(
        &c,
        &format!("patch deploy/web -n {n} --type=merge -p '{{\"metadata\":{{\"annotations\":{{\"team\":\"a\"}}}}}}'"),
    )
    .await;
    assert_eq!(jp(n, "deployment/web", "{.metadata.annotations.team}"), "a");
    ok(
        &c,
        &format!("patch deploy/web -n {n} --type=json -p '[{{\"op\":\"replace\",\"path\":\"/spec/replicas\",\"value\":1}}]'"),
    )
    .await;
    assert_eq!(jp(n, "deployment/web", "{.spec.replicas}"), "1");

    // label / annotate.
    assert_eq!(
        ok(&c, &format!("label deploy web env=prod tier=web -n {n}")).await,
        "deployment.apps/web labeled\n"
    );
    assert_eq!(
        jp(
            n,
            "deployment/web",
            "{.metadata.labels.env} {.metadata.labels.tier}"
        ),
        "prod web"
    );
    let out = fails(&c, &format!("label deploy web env=dev -n {n}")).await;
    assert!(
        out.contains("'env' already has a value (prod), and --overwrite is false"),
        "{out}"
    );
    assert_eq!(jp(n, "deployment/web", "{.metadata.labels.env}"), "prod");
    ok(&c, &format!("label deploy/web env=dev --overwrite -n {n}")).await;
    assert_eq!(jp(n, "deployment/web", "{.metadata.labels.env}"), "dev");
    ok(&c, &format!("label deploy/web env- -n {n}")).await;
    assert_eq!(jp(n, "deployment/web", "{.metadata.labels.env}"), "");
    assert_eq!(
        ok(
            &c,
            &format!("annotate deploy web 'note=hello world' -n {n}")
        )
        .await,
        "deployment.apps/web annotated\n"
    );
    assert_eq!(
        jp(n, "deployment/web", "{.metadata.annotations.note}"),
        "hello world"
    );
    // -l: every pod of the deployment.
    eventually(30, "the pod", || {
        !jp(n, "pods", "{.items[*].metadata.name}").is_empty()
    });
    ok(&c, &format!("label pods -l app=web checked=yes -n {n}")).await;
    assert_eq!(
        real_kubectl(&["get", "pods", "-n", n, "-l", "checked=yes", "-o", "name"])
            .lines()
            .count(),
        real_kubectl(&["get", "pods", "-n", n, "-l", "app=web", "-o", "name"])
            .lines()
            .count()
    );

    // set image.
    assert_eq!(
        ok(
            &c,
            &format!("set image deploy/web pause=registry.k8s.io/pause:3.10 -n {n}")
        )
        .await,
        "deployment.apps/web image updated\n"
    );
    assert_eq!(
        jp(
            n,
            "deployment/web",
            "{.spec.template.spec.containers[0].image}"
        ),
        "registry.k8s.io/pause:3.10"
    );
    let out = fails(&c, &format!("set image deploy/web nope=x -n {n}")).await;
    assert!(
        out.contains("unable to find container named \"nope\""),
        "{out}"
    );
    c.cancel().await.unwrap();
}

#[tokio::test]
async fn expose_autoscale_and_scale_other_workloads() {
    let dir = tempfile::tempdir().unwrap();
    let ns = Ns::new("kap-write-expose");
    let n = ns.0.as_str();
    real_kubectl(&[
        "create",
        "deployment",
        "web",
        "--image=registry.k8s.io/pause:3.10",
        "--port=8080",
        "-n",
        n,
    ]);
    let c = server(&dir).await;

    assert_eq!(
        ok(
            &c,
            &format!("expose deployment web --port=80 --target-port=8080 --type=NodePort -n {n}")
        )
        .await,
        "service/web exposed\n"
    );
    assert_eq!(
        jp(
            n,
            "service/web",
            "{.spec.type} {.spec.selector} {.spec.ports[0].port} {.spec.ports[0].targetPort} {.spec.ports[0].protocol} {.metadata.labels.app}"
        ),
        r#"NodePort {"app":"web"} 80 8080 TCP web"#
    );
    // Without --port: the container's port.
    ok(&c, &format!("expose deploy/web --name=web2 -n {n}")).await;
    assert_eq!(
        jp(n, "service/web2", "{.spec.ports[0].port} {.spec.type}"),
        "8080 ClusterIP"
    );

    assert_eq!(
        ok(
            &c,
            &format!("autoscale deployment web --min=2 --max=5 --cpu-percent=70 -n {n}")
        )
        .await,
        "horizontalpodautoscaler.autoscaling/web autoscaled\n"
    );
    let hpa: Value = serde_json::from_str(&real_kubectl(&[
        "get",
        "hpa.v2.autoscaling",
        "web",
        "-n",
        n,
        "-o",
        "json",
    ]))
    .unwrap();
    assert_eq!(
        hpa["spec"]["scaleTargetRef"],
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"})
    );
    assert_eq!(hpa["spec"]["minReplicas"], 2);
    assert_eq!(hpa["spec"]["maxReplicas"], 5);
    assert_eq!(
        hpa["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"],
        70
    );

    // scale: stateful sets and replica sets through their scale subresource.
    with_manifest(
        &c,
        &format!("create -f - -n {n}"),
        r#"apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  replicas: 1
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: db, image: registry.k8s.io/pause:3.10}]}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: rs}
spec:
  replicas: 1
  selector: {matchLabels: {app: rs}}
  template:
    metadata: {labels: {app: rs}}
    spec: {containers: [{name: rs, image: registry.k8s.io/pause:3.10}]}
"#,
    )
    .await;
    assert_eq!(
        ok(&c, &format!("scale statefulset/db --replicas=2 -n {n}")).await,
        "statefulset.apps/db scaled\n"
    );
    assert_eq!(jp(n, "statefulset/db", "{.spec.replicas}"), "2");
    assert_eq!(
        ok(&c, &format!("scale rs rs --replicas=3 -n {n}")).await,
        "replicaset.apps/rs scaled\n"
    );
    assert_eq!(jp(n, "replicaset/rs", "{.spec.replicas}"), "3");
    c.cancel().await.unwrap();
}

#[tokio::test]
async fn delete_by_selector_in_one_namespace() {
    let dir = tempfile::tempdir().unwrap();
    let ns = Ns::new("kap-write-delete");
    let n = ns.0.as_str();
    let c = server(&dir).await;
    with_manifest(
        &c,
        &format!("create -f - -n {n}"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, labels: {app: x}}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b, labels: {app: x}}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, labels: {app: y}}\n",
    )
    .await;
    let r = kubectl(&c, "delete configmaps -l app=x -A").await.unwrap();
    assert!(is_error(&r));
    assert!(text(&r).contains("--all-namespaces"), "{}", text(&r));
    let out = ok(&c, &format!("delete configmaps -l app=x -n {n}")).await;
    assert_eq!(out, "configmap \"a\" deleted\nconfigmap \"b\" deleted\n");
    assert_eq!(
        real_kubectl(&[
            "get",
            "configmaps",
            "-n",
            n,
            "-l",
            "app in (x,y)",
            "-o",
            "name"
        ]),
        "configmap/c\n"
    );
    assert_eq!(
        ok(&c, &format!("delete configmaps -l app=x -n {n}")).await,
        format!("No resources found in {n} namespace.\n")
    );
    c.cancel().await.unwrap();
}

#[tokio::test]
async fn rollout_history_and_undo() {
    let dir = tempfile::tempdir().unwrap();
    let ns = Ns::new("kap-write-rollout");
    let n = ns.0.as_str();
    let c = server(&dir).await;
    ok(
        &c,
        &format!("create deployment web --image=registry.k8s.io/pause:3.9 -n {n}"),
    )
    .await;
    eventually(30, "revision 1", || {
        jp(
            n,
            "deployment/web",
            "{.metadata.annotations.deployment\\.kubernetes\\.io/revision}",
        ) == "1"
    });
    ok(
        &c,
        &format!("set image deployment/web pause=registry.k8s.io/pause:3.10 -n {n}"),
    )
    .await;
    eventually(30, "revision 2", || {
        jp(
            n,
            "deployment/web",
            "{.metadata.annotations.deployment\\.kubernetes\\.io/revision}",
        ) == "2"
    });
    let out = ok(&c, &format!("rollout history deployment/web -n {n}")).await;
    assert_eq!(
        out,
        "deployment.apps/web \nREVISION  CHANGE-CAUSE\n1         <none>\n2         <none>\n\n"
    );
    let out = ok(&c, &format!("rollout undo deployment/web -n {n}")).await;
    assert_eq!(out, "deployment.apps/web rolled back\n");
    assert_eq!(
        jp(
            n,
            "deployment/web",
            "{.spec.template.spec.containers[0].image}"
        ),
        "registry.k8s.io/pause:3.9"
    );
    eventually(30, "revision 3", || {
        jp(
            n,
            "deployment/web",
            "{.metadata.annotations.deployment\\.kubernetes\\.io/revision}",
        ) == "3"
    });
    // Back to revision 2 (now revision 4) with --to-revision.
    ok(
        &c,
        &format!("rollout undo deployment/web --to-revision=2 -n {n}"),
    )
    .await;
    assert_eq!(
        jp(
            n,
            "deployment/web",
            "{.spec.template.spec.containers[0].image}"
        ),
        "registry.k8s.io/pause:3.10"
    );
    let out = fails(
        &c,
        &format!("rollout undo deployment/web --to-revision=42 -n {n}"),
    )
    .await;
    assert!(
        out.contains("unable to find specified revision 42"),
        "{out}"
    );
    c.cancel().await.unwrap();
}

const NODE: &str = "kap-write-node";

/// Deletes the test node when dropped.
struct NodeGuard;

impl Drop for NodeGuard {
    fn drop(&mut self) {
        let _ = kubectl_quiet(&["delete", "node", NODE, "--wait=false"]);
    }
}

#[tokio::test]
async fn cordon_drain_and_uncordon_a_node_of_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let ns = Ns::new("kap-write-drain");
    let n = ns.0.as_str();
    let _ = kubectl_quiet(&["delete", "node", NODE, "--wait=true"]);
    // A KWOK node of this test only, tainted so that nothing else lands on it.
    real_apply(
        &dir,
        &format!(
            r#"apiVersion: v1
kind: Node
metadata:
  name: {NODE}
  annotations: {{kwok.x-k8s.io/node: fake, node.alpha.kubernetes.io/ttl: "0"}}
  labels: {{kubernetes.io/hostname: {NODE}, type: kwok}}
spec:
  taints: [{{key: kap-write, value: "only", effect: NoSchedule}}]
status:
  allocatable: {{cpu: "4", memory: 8Gi, pods: "110"}}
  capacity: {{cpu: "4", memory: 8Gi, pods: "110"}}
"#
        ),
    );
    let _node = NodeGuard;
    eventually(60, "the node to be Ready", || {
        real_kubectl(&[
            "get",
            "node",
            NODE,
            "-o",
            "jsonpath={.status.conditions[?(@.type==\"Ready\")].status}",
        ]) == "True"
    });
    let pod_spec = format!(
        "nodeSelector: {{kubernetes.io/hostname: {NODE}}}\n      tolerations: [{{key: kap-write, operator: Exists}}]\n      terminationGracePeriodSeconds: 0\n      containers: [{{name: c, image: registry.k8s.io/pause:3.10}}]"
    );
    real_apply(
        &dir,
        &format!(
            r#"apiVersion: v1
kind: Pod
metadata: {{name: bare, namespace: {n}}}
spec:
  nodeName: {NODE}
  tolerations: [{{key: kap-write, operator: Exists}}]
  terminationGracePeriodSeconds: 0
  containers: [{{name: c, image: registry.k8s.io/pause:3.10}}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: web, namespace: {n}}}
spec:
  replicas: 1
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {{app: web}}}}
    spec:
      {pod_spec}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {{name: agent, namespace: {n}}}
spec:
  selector: {{matchLabels: {{app: agent}}}}
  template:
    metadata: {{labels: {{app: agent}}}}
    spec:
      {pod_spec}
"#
        ),
    );
    let on_node = |label: &str| {
        real_kubectl(&[
            "get",
            "pods",
            "-n",
            n,
            "-l",
            label,
            "--field-selector",
            &format!("spec.nodeName={NODE}"),
            "-o",
            "jsonpath={.items[*].metadata.name}",
        ])
    };
    eventually(60, "the pods on the node", || {
        !on_node("app=web").is_empty() && !on_node("app=agent").is_empty()
    });
    let web_pod = on_node("app=web");
    let c = server(&dir).await;

    let unschedulable =
        || real_kubectl(&["get", "node", NODE, "-o", "jsonpath={.spec.unschedulable}"]);
    assert_eq!(
        ok(&c, &format!("cordon {NODE}")).await,
        format!("node/{NODE} cordoned\n")
    );
    assert_eq!(unschedulable(), "true");
    assert_eq!(
        ok(&c, &format!("cordon {NODE}")).await,
        format!("node/{NODE} already cordoned\n")
    );
    assert_eq!(
        ok(&c, &format!("uncordon {NODE}")).await,
        format!("node/{NODE} uncordoned\n")
    );
    assert_eq!(unschedulable(), "");

    // Refused like kubectl: a DaemonSet pod and a pod without a controller.
    let out = fails(&c, &format!("drain {NODE}")).await;
    assert!(
        out.contains("cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore)")
            && out.contains(&format!(
                "cannot delete Pods declare no controller (use --force to override): {n}/bare"
            )),
        "{out}"
    );
    assert!(
        out.contains("There are pending nodes to be drained"),
        "{out}"
    );
    assert_eq!(unschedulable(), "true", "drain cordons first");
    real_kubectl(&["get", "pod", "bare", "-n", n]);

    let out = ok(
        &c,
        &format!("drain {NODE} --ignore-daemonsets --force --timeout=60s"),
    )
    .await;
    assert!(out.contains(&format!("evicting pod {n}/bare")), "{out}");
    assert!(
        out.contains(&format!("evicting pod {n}/{web_pod}")),
        "{out}"
    );
    assert!(
        out.contains("Warning: ignoring DaemonSet-managed Pods"),
        "{out}"
    );
    assert!(out.ends_with(&format!("node/{NODE} drained\n")), "{out}");
    assert!(
        !kubectl_quiet(&["get", "pod", "bare", "-n", n]).0,
        "bare pod still there"
    );
    assert!(!on_node("app=web").split_whitespace().any(|p| p == web_pod));
    assert!(!on_node("app=agent").is_empty(), "the DaemonSet pod stays");
    assert_eq!(unschedulable(), "true");
    ok(&c, &format!("uncordon {NODE}")).await;
    assert_eq!(unschedulable(), "");
    c.cancel().await.unwrap();
}

#[tokio::test]
async fn cluster_info_contexts_wait_top_and_refusals() {
    let dir = tempfile::tempdir().unwrap();
    let ns = Ns::new("kap-write-wait");
    let n = ns.0.as_str();
    let c = server(&dir).await;

    let out = ok(&c, "cluster-info").await;
    let version: Value = serde_json::from_str(&real_kubectl(&["version", "-o", "json"])).unwrap();
    let git = version["serverVersion"]["gitVersion"].as_str().unwrap();
    let ip = real_kubectl(&[
        "get",
        "service",
        "kubernetes",
        "-n",
        "default",
        "-o",
        "jsonpath={.spec.clusterIP}",
    ]);
    assert!(
        out.starts_with(&format!("Kubernetes control plane {git} is running")),
        "{out}"
    );
    assert!(out.contains(&format!("https://{ip}:443")), "{out}");
    assert!(
        !out.contains("token") && !out.contains("127.0.0.1"),
        "{out}"
    );

    let current = real_kubectl(&["config", "current-context"]);
    let out = ok(&c, "config get-contexts").await;
    assert_eq!(
        out.lines()
            .nth(1)
            .unwrap()
            .split_whitespace()
            .collect::<Vec<_>>(),
        vec!["*", current.trim()]
    );
    let out = fails(&c, "config use-context other").await;
    assert!(out.contains("not available"), "{out}");

    // wait: polls until the condition holds.
    ok(
        &c,
        &format!("create deployment web --image=registry.k8s.io/pause:3.10 -n {n}"),
    )
    .await;
    let out = ok(
        &c,
        &format!("wait --for=condition=Available deployment/web --timeout=60s -n {n}"),
    )
    .await;
    assert_eq!(out, "deployment.apps/web condition met\n");
    assert_eq!(
        jp(
            n,
            "deployment/web",
            "{.status.conditions[?(@.type==\"Available\")].status}"
        ),
        "True"
    );
    let out = fails(
        &c,
        &format!("wait --for=condition=Nope deployment/web --timeout=2s -n {n}"),
    )
    .await;
    assert!(
        out.contains("timed out waiting for the condition on deployments/web"),
        "{out}"
    );
    real_kubectl(&["create", "configmap", "gone", "-n", n]);
    real_kubectl(&["delete", "configmap", "gone", "-n", n]);
    assert_eq!(
        ok(
            &c,
            &format!("wait --for=delete configmap/gone --timeout=5s -n {n}")
        )
        .await,
        "configmap/gone deleted\n"
    );

    // top: the local cluster has no metrics-server.
    let (has_metrics, _) = kubectl_quiet(&["get", "apiservice", "v1beta1.metrics.k8s.io"]);
    if !has_metrics {
        let out = fails(&c, &format!("top pods -n {n}")).await;
        assert!(out.contains("Metrics API not available"), "{out}");
        let out = fails(&c, "top nodes").await;
        assert!(out.contains("Metrics API not available"), "{out}");
    }

    // Refused with a reason.
    for cmd in [
        "exec web -- ls",
        "port-forward svc/web 8080:80",
        "cp a:/x /tmp/x",
        "attach web",
        "proxy",
        "debug node/x",
    ] {
        let out = fails(&c, cmd).await;
        assert!(out.contains("refused by design"), "{cmd}: {out}");
    }
    // explain reads the OpenAPI document through the kube capability (tests/tests/explain.rs).
    let out = ok(&c, "explain pods.spec").await;
    assert!(out.contains("FIELD: spec <PodSpec>"), "{out}");
    c.cancel().await.unwrap();
}
