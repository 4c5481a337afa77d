//! Unit tests of the analyzers, the ranking and the driver, over JSON fixtures shaped like
//! the API server's objects (and the fake [`crate::commands::testing::Fake`] API).

use serde_json::{Value, json};

use super::*;
use crate::commands::testing::{Fake, forbidden, ok_json};

const NS: &str = "shop";

fn snap() -> Snapshot {
    Snapshot {
        namespace: NS.into(),
        now: crate::commands::testing::NOW,
        storage_classes: Some(vec![json!({"metadata": {"name": "standard"}})]),
        ..Default::default()
    }
}

fn meta(name: &str, labels: Value, owner: Option<(&str, &str)>) -> Value {
    let mut m = json!({"name": name, "namespace": NS, "labels": labels});
    if let Some((k, n)) = owner {
        m["ownerReferences"] = json!([{"kind": k, "name": n, "controller": true}]);
    }
    m
}

fn template(labels: Value, containers: Value) -> Value {
    json!({"metadata": {"labels": labels}, "spec": {"containers": containers}})
}

fn deployment(name: &str, replicas: i64, labels: Value, containers: Value, status: Value) -> Value {
    json!({
        "metadata": meta(name, labels.clone(), None),
        "spec": {"replicas": replicas, "selector": {"matchLabels": labels.clone()}, "template": template(labels, containers)},
        "status": status,
    })
}

fn replicaset(name: &str, deploy: &str) -> Value {
    json!({"metadata": meta(name, json!({}), Some(("Deployment", deploy))), "spec": {"replicas": 1}})
}

fn statefulset(name: &str, replicas: i64, labels: Value) -> Value {
    json!({
        "metadata": meta(name, labels.clone(), None),
        "spec": {"replicas": replicas, "template": template(labels, json!([{"name": "db", "image": "mariadb:11"}]))},
        "status": {"replicas": replicas, "readyReplicas": replicas},
    })
}

fn service(name: &str, selector: Value) -> Value {
    json!({"metadata": meta(name, json!({}), None), "spec": {"selector": selector, "ports": [{"port": 80}]}})
}

fn slice(svc: &str, ready: &[bool]) -> Value {
    json!({
        "metadata": {"name": format!("{svc}-abc"), "labels": {"kubernetes.io/service-name": svc}},
        "endpoints": ready.iter().map(|r| json!({"addresses": ["10.0.0.1"], "conditions": {"ready": r}})).collect::<Vec<_>>(),
    })
}

fn pod(
    name: &str,
    labels: Value,
    owner: Option<(&str, &str)>,
    spec: Value,
    status: Value,
) -> Value {
    json!({"metadata": meta(name, labels, owner), "spec": spec, "status": status})
}

fn running_ready() -> Value {
    json!({
        "phase": "Running",
        "conditions": [{"type": "Ready", "status": "True"}],
        "containerStatuses": [{"name": "app", "ready": true, "restartCount": 0, "state": {"running": {}}}],
    })
}

fn event(kind: &str, name: &str, reason: &str, message: &str) -> Value {
    json!({
        "type": "Warning", "reason": reason, "message": message, "count": 3,
        "involvedObject": {"kind": kind, "name": name},
        "lastTimestamp": "2024-05-01T11:59:00Z",
    })
}

fn args() -> Args {
    Args {
        namespace: NS.into(),
        ..Default::default()
    }
}

fn ranked(s: &Snapshot, a: &Args) -> Vec<Ranked> {
    let (focus, missing) = focus(s, a);
    let mut f = analyze::analyze(s);
    f.extend(missing);
    rank(f, &focus)
}

fn top(s: &Snapshot, a: &Args) -> Finding {
    let r = ranked(s, a);
    assert!(!r.is_empty(), "no findings");
    r[0].finding.clone()
}

/// The seeds' scenario: WordPress crashes because its database Service `mariadb` has no
/// endpoints because StatefulSet `mariadb` was scaled to zero.
fn wordpress() -> Snapshot {
    let mut s = snap();
    s.stateful_sets = vec![statefulset("mariadb", 0, json!({"app": "mariadb"}))];
    s.services = vec![
        service("mariadb", json!({"app": "mariadb"})),
        service("wordpress", json!({"app": "wordpress"})),
    ];
    s.endpoint_slices = vec![slice("mariadb", &[]), slice("wordpress", &[false])];
    s.deployments = vec![deployment(
        "wordpress",
        1,
        json!({"app": "wordpress"}),
        json!([{"name": "wordpress", "image": "wordpress:6", "env": [
            {"name": "WORDPRESS_DB_HOST", "value": "mariadb"},
            {"name": "WORDPRESS_DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "pw"}}}
        ]}]),
        json!({"replicas": 1, "availableReplicas": 0, "conditions": [
            {"type": "Available", "status": "False", "reason": "MinimumReplicasUnavailable"}
        ]}),
    )];
    s.replica_sets = vec![replicaset("wordpress-7c9", "wordpress")];
    s.pods = vec![pod(
        "wordpress-7c9-x2x",
        json!({"app": "wordpress"}),
        Some(("ReplicaSet", "wordpress-7c9")),
        json!({"nodeName": "kwok-0", "containers": [{"name": "wordpress", "image": "wordpress:6"}]}),
        json!({
            "phase": "Running",
            "conditions": [{"type": "Ready", "status": "False"}],
            "containerStatuses": [{
                "name": "wordpress", "ready": false, "restartCount": 5, "image": "wordpress:6",
                "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 2m40s restarting failed container=wordpress"}},
                "lastState": {"terminated": {"reason": "Error", "exitCode": 1}},
            }],
        }),
    )];
    s.events = vec![event(
        "Pod",
        "wordpress-7c9-x2x",
        "BackOff",
        "Back-off restarting failed container wordpress in pod wordpress-7c9-x2x",
    )];
    s
}

#[test]
fn wordpress_mariadb_scaled_to_zero_is_the_root_cause() {
    let s = wordpress();
    let a = Args {
        kind: Some("deployment".into()),
        name: Some("wordpress".into()),
        ..args()
    };
    let r = ranked(&s, &a);
    let t = &r[0];
    assert_eq!(t.finding.object, "statefulset/mariadb", "{r:#?}");
    assert_eq!(t.severity, Severity::Critical);
    assert!(
        t.finding.title.contains("scaled to zero"),
        "{}",
        t.finding.title
    );
    assert!(t.finding.title.contains("deployment/wordpress"));
    assert_eq!(
        t.finding.fix.as_deref(),
        Some("kubectl scale statefulset mariadb --replicas=1 -n shop")
    );
    assert!(
        t.finding
            .evidence
            .contains(&"deployment/wordpress env WORDPRESS_DB_HOST=mariadb".to_string())
    );
    // Then the Service, then the crash it causes.
    assert_eq!(r[1].finding.object, "service/mariadb");
    assert!(
        r[1].finding
            .title
            .contains("backend statefulset/mariadb is scaled to zero")
    );
    let crash = r
        .iter()
        .position(|x| x.finding.category == Category::Crash)
        .unwrap();
    assert!(crash >= 2);
    assert!(
        r[crash]
            .finding
            .title
            .contains("CrashLoopBackOff (last exit: Error, exit code 1; 5 restarts)")
    );
    // The same answer without a focus, and with only a symptom.
    assert_eq!(top(&s, &args()).object, "statefulset/mariadb");
    let sym = Args {
        symptom: Some("wordpress shows 'Error establishing a database connection'".into()),
        ..args()
    };
    assert_eq!(top(&s, &sym).object, "statefulset/mariadb");
    // The text.
    let out = run_on(&s, &a, DEFAULT_BUDGET);
    assert!(
        out.text
            .starts_with("Troubleshooting namespace shop (focus: deployment/wordpress): "),
        "{}",
        out.text
    );
    assert!(
        out.text
            .contains("\n1. [critical] statefulset/mariadb is scaled to zero")
    );
    assert!(
        out.text
            .contains("   statefulset/mariadb spec.replicas=0\n")
    );
    assert!(
        out.text
            .contains("   fix: kubectl scale statefulset mariadb --replicas=1 -n shop\n")
    );
    assert!(
        out.text
            .contains("event BackOff: Back-off restarting failed container wordpress")
    );
    let st = out.structured.unwrap();
    assert_eq!(st["findings"][0]["rank"], 1);
    assert_eq!(st["findings"][0]["severity"], "critical");
    assert_eq!(st["findings"][0]["object"], "statefulset/mariadb");
    assert_eq!(
        st["findings"][0]["fix"],
        "kubectl scale statefulset mariadb --replicas=1 -n shop"
    );
    assert!(st["findings"][0]["evidence"].as_array().unwrap().len() >= 2);
}

#[test]
fn service_selector_matching_nothing() {
    let mut s = snap();
    s.services = vec![service("web", json!({"app": "web"}))];
    s.endpoint_slices = vec![slice("web", &[])];
    s.pods = vec![pod(
        "webb-1",
        json!({"app": "webb"}),
        None,
        json!({}),
        running_ready(),
    )];
    let t = top(&s, &args());
    assert_eq!(t.object, "service/web");
    assert_eq!(
        t.title,
        "service/web has no endpoints: selector app=web matches no pods"
    );
    assert!(
        t.evidence
            .contains(&"pod/webb-1 metadata.labels.app=webb".to_string())
    );
    assert_eq!(
        t.fix.as_deref(),
        Some(r#"kubectl patch service web -n shop -p '{"spec":{"selector":{"app":"webb"}}}'"#)
    );
}

#[test]
fn service_with_unready_pods_points_at_the_failing_probe() {
    let mut s = snap();
    s.services = vec![service("api", json!({"app": "api"}))];
    s.endpoint_slices = vec![slice("api", &[false])];
    s.deployments = vec![deployment(
        "api",
        1,
        json!({"app": "api"}),
        json!([{"name": "app", "image": "api:1"}]),
        json!({"replicas": 1, "availableReplicas": 0}),
    )];
    s.replica_sets = vec![replicaset("api-1", "api")];
    s.pods = vec![pod(
        "api-1-a",
        json!({"app": "api"}),
        Some(("ReplicaSet", "api-1")),
        json!({"containers": [{"name": "app", "readinessProbe": {"httpGet": {"port": 8080, "path": "/healthz"}}}]}),
        json!({
            "phase": "Running",
            "conditions": [{"type": "Ready", "status": "False"}],
            "containerStatuses": [{"name": "app", "ready": false, "restartCount": 0, "state": {"running": {}}}],
        }),
    )];
    s.events = vec![event(
        "Pod",
        "api-1-a",
        "Unhealthy",
        "Readiness probe failed: HTTP probe failed with statuscode: 503",
    )];
    let r = ranked(&s, &args());
    let t = &r[0].finding;
    assert_eq!(t.category, Category::Probe, "{r:#?}");
    assert_eq!(
        t.title,
        "container app of pod/api-1-a is running but not ready: its readiness probe fails"
    );
    assert!(t.evidence.contains(
        &"pod/api-1-a spec.containers[app].readinessProbe=httpGet :8080/healthz".to_string()
    ));
    assert!(
        t.evidence
            .iter()
            .any(|e| e.starts_with("event Unhealthy: Readiness probe failed"))
    );
    assert!(r.iter().any(|x| x.finding.title
        == "service/api has no ready endpoints: 1 pod(s) match its selector but none is ready"));
    assert!(
        r.iter()
            .any(|x| x.finding.title == "deployment/api has 0/1 replicas available")
    );
}

fn failing_pod(waiting: Value, last: Value, limits: Value) -> Snapshot {
    let mut s = snap();
    s.deployments = vec![deployment(
        "app",
        1,
        json!({"app": "x"}),
        json!([]),
        json!({"replicas": 1, "availableReplicas": 0}),
    )];
    s.replica_sets = vec![replicaset("app-1", "app")];
    s.pods = vec![pod(
        "app-1-a",
        json!({"app": "x"}),
        Some(("ReplicaSet", "app-1")),
        json!({"containers": [{"name": "app", "image": "registry.example/app:v9", "resources": {"limits": limits}}]}),
        json!({
            "phase": if waiting["reason"] == "CrashLoopBackOff" { "Running" } else { "Pending" },
            "containerStatuses": [{"name": "app", "ready": false, "restartCount": 3, "image": "registry.example/app:v9",
                "state": {"waiting": waiting}, "lastState": last}],
        }),
    )];
    s
}

#[test]
fn crashloop_names_the_last_exit() {
    let s = failing_pod(
        json!({"reason": "CrashLoopBackOff"}),
        json!({"terminated": {"reason": "Error", "exitCode": 2}}),
        json!({}),
    );
    let t = top(&s, &args());
    assert_eq!(t.category, Category::Crash);
    assert_eq!(
        t.title,
        "container app of pod/app-1-a is in CrashLoopBackOff (last exit: Error, exit code 2; 3 restarts)"
    );
    assert!(t.evidence.contains(&"pod/app-1-a status.containerStatuses[app].lastState.terminated.reason=Error exitCode=2".to_string()));
    assert_eq!(
        t.fix.as_deref(),
        Some("kubectl logs app-1-a -c app --previous -n shop")
    );
}

#[test]
fn oomkilled() {
    let s = failing_pod(
        json!({"reason": "CrashLoopBackOff"}),
        json!({"terminated": {"reason": "OOMKilled", "exitCode": 137}}),
        json!({"memory": "64Mi"}),
    );
    let t = top(&s, &args());
    assert_eq!(t.category, Category::Oom);
    assert!(
        t.title.contains("OOMKilled") && t.title.contains("memory limit 64Mi"),
        "{}",
        t.title
    );
    assert_eq!(
        t.fix.as_deref(),
        Some(
            "kubectl set resources deployment/app -c app --limits=memory=<more than 64Mi> -n shop"
        )
    );
}

#[test]
fn image_pull_backoff() {
    let s = failing_pod(
        json!({"reason": "ImagePullBackOff", "message": "Back-off pulling image \"registry.example/app:v9\""}),
        json!({}),
        json!({}),
    );
    let t = top(&s, &args());
    assert_eq!(t.category, Category::Image);
    assert_eq!(
        t.title,
        "container app of pod/app-1-a cannot pull image \"registry.example/app:v9\" (ImagePullBackOff)"
    );
    assert_eq!(
        t.fix.as_deref(),
        Some("kubectl set image deployment/app app=<an image that exists> -n shop")
    );
}

#[test]
fn create_container_config_error() {
    let s = failing_pod(
        json!({"reason": "CreateContainerConfigError", "message": "secret \"db-creds\" not found"}),
        json!({}),
        json!({}),
    );
    let t = top(&s, &args());
    assert_eq!(t.category, Category::Config);
    assert_eq!(
        t.title,
        "container app of pod/app-1-a cannot start: CreateContainerConfigError: secret \"db-creds\" not found"
    );
    assert_eq!(
        t.fix.as_deref(),
        Some("kubectl create secret generic db-creds -n shop --from-literal=KEY=VALUE")
    );
}

#[test]
fn unschedulable_with_the_schedulers_reason() {
    let mut s = snap();
    s.deployments = vec![deployment(
        "gpu",
        1,
        json!({"app": "gpu"}),
        json!([]),
        json!({}),
    )];
    s.replica_sets = vec![replicaset("gpu-1", "gpu")];
    let msg = "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector.";
    s.pods = vec![pod(
        "gpu-1-a",
        json!({"app": "gpu"}),
        Some(("ReplicaSet", "gpu-1")),
        json!({"nodeSelector": {"accelerator": "h100"}, "containers": [{"name": "app"}]}),
        json!({"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": msg}]}),
    )];
    let t = top(&s, &args());
    assert_eq!(t.category, Category::Scheduling);
    assert_eq!(
        t.title,
        format!("pod/gpu-1-a is Pending: Unschedulable: {msg}")
    );
    assert!(
        t.evidence
            .contains(&"pod/gpu-1-a spec.nodeSelector=accelerator=h100".to_string())
    );
    assert!(
        t.fix
            .as_deref()
            .unwrap()
            .starts_with("kubectl patch deployment/gpu -n shop --type=json")
    );
}

#[test]
fn a_workload_argo_cd_manages_is_fixed_with_argocd_app_sync() {
    let mut s = snap();
    let mut d = deployment(
        "web",
        2,
        json!({"app": "web"}),
        json!([]),
        json!({"replicas": 2, "availableReplicas": 0, "conditions": [
            {"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded", "message": "timed out"}
        ]}),
    );
    d["metadata"]["annotations"] =
        json!({"argocd.argoproj.io/tracking-id": "shop-app:apps/Deployment:shop/web"});
    s.deployments = vec![d];
    s.applications = vec![json!({
        "metadata": {"name": "shop-app", "namespace": "argocd"},
        "spec": {"syncPolicy": {"automated": {"selfHeal": true}}},
        "status": {"sync": {"status": "OutOfSync"}, "health": {"status": "Degraded"},
                   "operationState": {"phase": "Failed", "message": "one or more objects failed to apply"}}
    })];
    let t = top(&s, &args());
    assert_eq!(t.fix.as_deref(), Some("argocd app sync shop-app"));
    assert!(
        t.evidence.iter().any(|e| e == "deployment/web is managed by Argo CD Application shop-app (sync OutOfSync, health Degraded; last operation Failed: one or more objects failed to apply)"),
        "{:?}",
        t.evidence
    );
    assert!(
        t.evidence
            .iter()
            .any(|e| e.contains("reverted (self-heal is on)")),
        "{:?}",
        t.evidence
    );
    // An app outside Argo CD's namespace is named namespace/name (the label form too).
    assert_eq!(
        fetch::argo_app_ref(
            &json!({"metadata": {"annotations": {"argocd.argoproj.io/tracking-id": "team-apps_billing:apps/Deployment:x/y"}}})
        ),
        Some(("team-apps".into(), "billing".into()))
    );
    assert_eq!(
        fetch::argo_app_ref(
            &json!({"metadata": {"labels": {"app.kubernetes.io/instance": "guestbook"}}})
        ),
        Some(("argocd".into(), "guestbook".into()))
    );
}

#[test]
fn deployment_not_progressing() {
    let mut s = snap();
    s.deployments = vec![deployment(
        "web",
        2,
        json!({"app": "web"}),
        json!([]),
        json!({"replicas": 2, "availableReplicas": 0, "conditions": [
            {"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded", "message": "ReplicaSet \"web-1\" has timed out progressing."}
        ]}),
    )];
    let t = top(&s, &args());
    assert_eq!(
        t.title,
        "deployment/web is not progressing: ProgressDeadlineExceeded (0/2 replicas available)"
    );
    assert_eq!(
        t.fix.as_deref(),
        Some("kubectl rollout undo deployment/web -n shop")
    );
}

#[test]
fn pending_pvc_explains_the_pending_pod() {
    let mut s = snap();
    s.pvcs = vec![
        json!({"metadata": {"name": "data"}, "spec": {"storageClassName": "fast-ssd"}, "status": {"phase": "Pending"}}),
    ];
    s.pods = vec![pod(
        "db",
        json!({}),
        None,
        json!({"volumes": [{"name": "d", "persistentVolumeClaim": {"claimName": "data"}}]}),
        json!({"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
            "message": "0/2 nodes are available: pod has unbound immediate PersistentVolumeClaims."}]}),
    )];
    s.events = vec![event(
        "PersistentVolumeClaim",
        "data",
        "ProvisioningFailed",
        "storageclass.storage.k8s.io \"fast-ssd\" not found",
    )];
    let r = ranked(&s, &args());
    let t = &r[0].finding;
    assert_eq!(t.object, "persistentvolumeclaim/data", "{r:#?}");
    assert_eq!(
        t.title,
        "persistentvolumeclaim/data is Pending: storageclass \"fast-ssd\" not found"
    );
    assert!(
        t.evidence
            .iter()
            .any(|e| e.starts_with("event ProvisioningFailed: storageclass"))
    );
    assert_eq!(r[1].finding.object, "pod/db");
}

#[test]
fn notready_node_explains_its_pods() {
    let mut s = snap();
    s.nodes = vec![
        json!({"metadata": {"name": "kwok-0"}, "status": {"conditions": [{"type": "Ready", "status": "True"}]}}),
        json!({"metadata": {"name": "bad"}, "status": {"conditions": [{"type": "Ready", "status": "False", "reason": "KubeletNotReady", "message": "container runtime is down"}]}}),
    ];
    s.pods = vec![pod(
        "w",
        json!({}),
        None,
        json!({"nodeName": "bad", "containers": [{"name": "app"}]}),
        json!({"phase": "Running", "conditions": [{"type": "Ready", "status": "False"}],
            "containerStatuses": [{"name": "app", "ready": true, "state": {"running": {}}}]}),
    )];
    let r = ranked(&s, &args());
    let t = &r[0].finding;
    assert_eq!(t.object, "node/bad");
    assert_eq!(
        t.title,
        "node/bad is NotReady: KubeletNotReady: container runtime is down and runs 1 pod(s) of namespace shop"
    );
    assert_eq!(
        t.fix.as_deref(),
        Some("kubectl drain bad --ignore-daemonsets --delete-emptydir-data")
    );
    assert_eq!(r[1].finding.title, "pod/w is Running but not ready");
    // A NotReady node without pods here is only information.
    s.pods.clear();
    assert_eq!(ranked(&s, &args())[0].severity, Severity::Info);
}

#[test]
fn job_failed() {
    let mut s = snap();
    s.jobs = vec![json!({
        "metadata": {"name": "migrate"}, "spec": {"backoffLimit": 0},
        "status": {"failed": 1, "conditions": [{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded", "message": "Job has reached the specified backoff limit"}]},
    })];
    s.pods = vec![pod(
        "migrate-x",
        json!({}),
        Some(("Job", "migrate")),
        json!({}),
        json!({"phase": "Failed", "containerStatuses": [{"name": "m", "state": {"terminated": {"reason": "Error", "exitCode": 3}}}]}),
    )];
    let r = ranked(&s, &args());
    assert_eq!(r.len(), 1, "{r:#?}");
    let t = &r[0].finding;
    assert_eq!(
        t.title,
        "job/migrate failed: BackoffLimitExceeded; last pod exit: Error, exit code 3"
    );
    assert!(
        t.evidence.contains(
            &"pod/migrate-x status.containerStatuses[m].state.terminated.reason=Error exitCode=3"
                .to_string()
        )
    );
    assert_eq!(t.fix.as_deref(), Some("kubectl logs job/migrate -n shop"));
}

#[test]
fn missing_focus_object() {
    let s = wordpress();
    let a = Args {
        kind: Some("deployment".into()),
        name: Some("wordpres".into()),
        ..args()
    };
    let t = top(&s, &a);
    assert_eq!(t.title, "deployment/wordpres not found in namespace shop");
    assert!(
        t.evidence
            .contains(&"deployment/wordpress exists (did you mean it?)".to_string())
    );
    assert_eq!(t.fix.as_deref(), Some("kubectl get deployment -n shop"));
    // The namespace's real problems follow.
    assert_eq!(ranked(&s, &a)[1].finding.object, "statefulset/mariadb");
}

#[test]
fn healthy_namespace() {
    let mut s = snap();
    s.services = vec![service("web", json!({"app": "web"}))];
    s.endpoint_slices = vec![slice("web", &[true])];
    s.pods = vec![pod(
        "web-1",
        json!({"app": "web"}),
        None,
        json!({}),
        running_ready(),
    )];
    let out = run_on(&s, &args(), DEFAULT_BUDGET);
    assert_eq!(
        out.text,
        "Troubleshooting namespace shop: no problems found (1 pods, 1 services, 0 workloads checked).\n"
    );
    assert_eq!(out.structured.unwrap()["findings"], json!([]));
}

#[test]
fn mentions_service_as_a_host() {
    for t in [
        "mariadb",
        "mariadb:3306",
        "tcp://mariadb:3306",
        "mariadb.shop",
        "mariadb.shop.svc.cluster.local:3306",
        "-h mariadb",
    ] {
        assert!(analyze::mentions_service(t, "mariadb", "shop"), "{t}");
    }
    for t in [
        "mariadb-client",
        "mymariadb",
        "mariadb.other",
        "/var/lib/mariadbx",
    ] {
        assert!(!analyze::mentions_service(t, "mariadb", "shop"), "{t}");
    }
}

#[test]
fn budget_keeps_the_top_findings() {
    let mut s = snap();
    for k in 0..40 {
        s.services.push(service(
            &format!("svc-{k}"),
            json!({"app": format!("none-{k}")}),
        ));
    }
    let out = run_on(&s, &args(), 1500);
    assert!(out.text.chars().count() <= 1500, "{}", out.text.len());
    assert!(
        out.text
            .contains("\n1. [warning] service/svc-0 has no endpoints")
    );
    assert!(out.text.contains("lower-ranked finding(s) left out"));
    let st = out.structured.unwrap();
    assert!(st.to_string().len() <= 1500);
    assert!(st["omitted"].as_u64().unwrap() > 0);
}

#[test]
fn arguments() {
    let m = |v: Value| v.as_object().unwrap().clone();
    let a = parse_args(&m(json!({"name": "deploy/web"})), "default").unwrap();
    assert_eq!(a.namespace, "default");
    assert_eq!(a.kind.as_deref(), Some("deployment"));
    assert_eq!(a.name.as_deref(), Some("web"));
    let a = parse_args(
        &m(json!({"namespace": "x", "kind": "sts", "name": "db", "symptom": "slow"})),
        "default",
    )
    .unwrap();
    assert_eq!(a.kind.as_deref(), Some("statefulset"));
    assert_eq!(a.symptom.as_deref(), Some("slow"));
    assert!(parse_args(&m(json!({"kind": "secret", "name": "x"})), "d").is_err());
    assert!(parse_args(&m(json!({"kind": "pod"})), "d").is_err());
    assert!(parse_args(&m(json!({"namespace": "../x"})), "d").is_err());
    assert!(parse_args(&m(json!({"name": 3})), "d").is_err());
    assert!(parse_args(&m(json!({"kind": "pod", "name": "pod/x"})), "d").is_err());
}

#[test]
fn driver_lists_known_gvrs_never_secrets_and_reports_refusals() {
    let mut f = Fake::new();
    let wp = wordpress();
    f.on(move |r| {
        let items = match r.resource.as_str() {
            "statefulsets" => wp.stateful_sets.clone(),
            "services" => wp.services.clone(),
            "endpointslices" => wp.endpoint_slices.clone(),
            "deployments" => wp.deployments.clone(),
            "replicasets" => wp.replica_sets.clone(),
            "pods" => wp.pods.clone(),
            "events" => wp.events.clone(),
            "nodes" => return Err(forbidden("nodes is forbidden: User \"bob\" cannot list resource \"nodes\" in API group \"\" at the cluster scope")),
            "secrets" => {
                // Secrets only as metadata: a Table, never a JSON read of their contents.
                assert!(matches!(r.output, kap_sdk::api::OutputFormat::Table), "{r:?}");
                return ok_json(json!({"kind": "Table", "rows": []}));
            }
            _ => vec![],
        };
        ok_json(json!({"items": items}))
    });
    let ctx = f.ctx.clone();
    let out = crate::tool::call(
        "k8s_troubleshoot",
        &json!({"namespace": "shop", "name": "deployment/wordpress"}).to_string(),
        ctx,
        &mut f,
    )
    .unwrap();
    assert!(!out.is_error);
    assert!(
        out.text
            .contains("\n1. [critical] statefulset/mariadb is scaled to zero"),
        "{}",
        out.text
    );
    let st = out.structured.unwrap();
    let last = st["findings"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["severity"], "info");
    assert_eq!(
        last["title"],
        "could not read nodes: Error from server (Forbidden): nodes is forbidden: User \"bob\" cannot list resource \"nodes\" in API group \"\" at the cluster scope"
    );
    for r in &f.requests {
        assert!(matches!(r.verb, kap_sdk::api::Verb::List), "{r:?}");
        if r.resource == "secrets" {
            assert!(matches!(r.output, kap_sdk::api::OutputFormat::Table));
            assert!(r.query.contains(&("includeObject".into(), "Object".into())));
        } else {
            assert!(matches!(r.output, kap_sdk::api::OutputFormat::Json));
        }
    }
    let gvr: Vec<String> = f
        .requests
        .iter()
        .map(|r| format!("{}/{}/{} {:?}", r.group, r.version, r.resource, r.namespace))
        .collect();
    assert!(gvr.contains(&"discovery.k8s.io/v1/endpointslices Some(\"shop\")".to_string()));
    assert!(gvr.contains(&"apps/v1/statefulsets Some(\"shop\")".to_string()));
    assert!(gvr.contains(&"/v1/nodes None".to_string()));
    // Arguments are checked before anything is read.
    let mut f = Fake::new();
    let ctx = f.ctx.clone();
    assert!(matches!(
        crate::tool::call(
            "k8s_troubleshoot",
            r#"{"kind":"secret","name":"x"}"#,
            ctx,
            &mut f
        ),
        Err(crate::tool::CallError::InvalidArguments(_))
    ));
    assert!(f.requests.is_empty());
}

#[test]
fn plan_has_no_command_form() {
    assert_eq!(
        crate::plan::plan("k8s_troubleshoot", "{}", "default").map(|p| p.is_none()),
        Ok(true)
    );
}

#[test]
fn ingress_to_a_missing_service_and_stray_events() {
    let mut s = snap();
    s.ingresses = vec![
        json!({"metadata": {"name": "shop"}, "spec": {"rules": [{"http": {"paths": [
            {"path": "/", "backend": {"service": {"name": "storefront", "port": {"number": 80}}}}
        ]}}]}}),
    ];
    s.events = vec![event("ConfigMap", "settings", "Invalid", "bad value")];
    let r = ranked(&s, &args());
    assert_eq!(
        r[0].finding.title,
        "ingress/shop routes to service/storefront, which does not exist"
    );
    assert_eq!(r[1].severity, Severity::Info);
    assert_eq!(
        r[1].finding.title,
        "Warning event on configmap/settings: Invalid"
    );
    assert_eq!(
        r[1].finding.fix.as_deref(),
        Some("kubectl describe configmap settings -n shop")
    );
}

#[test]
fn claim_waiting_for_its_first_consumer_is_information() {
    let mut s = snap();
    s.pvcs = vec![
        json!({"metadata": {"name": "cache"}, "spec": {"storageClassName": "standard"}, "status": {"phase": "Pending"}}),
    ];
    let mut e = event(
        "PersistentVolumeClaim",
        "cache",
        "WaitForFirstConsumer",
        "waiting for first consumer to be created before binding",
    );
    e["type"] = json!("Normal");
    s.events = vec![e];
    let r = ranked(&s, &args());
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].severity, Severity::Info);
    assert_eq!(r[0].finding.title, "persistentvolumeclaim/cache is Pending");
}

#[test]
fn missing_secrets_and_keys_are_found_from_metadata() {
    let snap = Snapshot {
        namespace: "shop".into(),
        pods: vec![json!({
            "metadata": {"name": "app-1"},
            "spec": {"containers": [{"name": "app", "env": [
                {"name": "PW", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}},
                {"name": "OPT", "valueFrom": {"secretKeyRef": {"name": "gone", "key": "x", "optional": true}}}
            ], "envFrom": [{"secretRef": {"name": "api-creds"}}]}],
            "volumes": [{"name": "tls", "secret": {"secretName": "db", "items": [{"key": "user", "path": "u"}]}}]}
        })],
        secrets: Some(vec![json!({"metadata": {"name": "db"}, "type": "Opaque",
            "data": {"user": "<redacted: 5 bytes>", "pass": "<redacted: 8 bytes>"}})]),
        ..Snapshot::default()
    };
    let found = super::analyze::secret_refs(&snap);
    let titles: Vec<&str> = found.iter().map(|f| f.title.as_str()).collect();
    assert_eq!(found.len(), 2, "{titles:?}");
    assert!(
        titles
            .iter()
            .any(|t| t.contains("needs key \"password\" of Secret \"db\"")
                && t.contains("it has: pass, user")),
        "{titles:?}"
    );
    assert!(
        titles
            .iter()
            .any(|t| t.contains("needs Secret \"api-creds\"")
                && t.contains("does not exist in namespace shop")),
        "{titles:?}"
    );
    let fixes: Vec<&str> = found.iter().filter_map(|f| f.fix.as_deref()).collect();
    assert!(
        fixes.contains(&"kubectl create secret generic api-creds -n shop --from-literal=KEY=VALUE"),
        "{fixes:?}"
    );
    // Unreadable Secrets: nothing is claimed.
    let blind = Snapshot {
        secrets: None,
        ..snap
    };
    assert!(super::analyze::secret_refs(&blind).is_empty());
}
