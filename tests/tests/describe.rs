//! `describe` for ReplicaSet, StatefulSet, DaemonSet, Job, CronJob, Ingress,
//! PersistentVolumeClaim, PersistentVolume and HorizontalPodAutoscaler against the real local
//! cluster: the top-level field labels of our description must be the real kubectl's, in the
//! same order, and the key values (replicas, selector, pod statuses, type, status, ...) must
//! be the same. The expected text always comes from the real kubectl (`real_kubectl`).
//!
//! The objects live in namespace `kap-describe` (and PersistentVolume `kap-describe-pv1`),
//! created at the start and deleted at the end.

use std::time::Duration;

use kube_ai_proxy_e2e::*;

const NS: &str = "kap-describe";
const PV: &str = "kap-describe-pv1";

const OBJECTS: &str = r#"
apiVersion: v1
kind: Namespace
metadata: {name: kap-describe}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: rs1, namespace: kap-describe, labels: {app: rs1}}
spec:
  replicas: 2
  selector: {matchLabels: {app: rs1}}
  template:
    metadata: {labels: {app: rs1}}
    spec: {containers: [{name: c, image: nginx:1.25, ports: [{containerPort: 80}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: rs1, namespace: kap-describe}
spec:
  selector: {app: rs1}
  ports: [{name: http, port: 80, targetPort: 80}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: sts1, namespace: kap-describe}
spec:
  replicas: 1
  serviceName: sts1
  selector: {matchLabels: {app: sts1}}
  template:
    metadata: {labels: {app: sts1}}
    spec: {containers: [{name: c, image: nginx:1.25}]}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: ds1, namespace: kap-describe}
spec:
  selector: {matchLabels: {app: ds1}}
  template:
    metadata: {labels: {app: ds1}}
    spec: {containers: [{name: c, image: nginx:1.25}]}
---
apiVersion: batch/v1
kind: Job
metadata: {name: job1, namespace: kap-describe}
spec:
  template:
    spec: {restartPolicy: Never, containers: [{name: c, image: busybox, command: [sh, -c, "true"]}]}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: cj1, namespace: kap-describe}
spec:
  schedule: "0 0 1 1 *"
  jobTemplate:
    spec:
      template:
        spec: {restartPolicy: Never, containers: [{name: c, image: busybox}]}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: ing1, namespace: kap-describe}
spec:
  tls: [{hosts: [a.example.com], secretName: tls1}]
  rules:
  - host: a.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: rs1, port: {number: 80}}}}
      - {path: /missing, pathType: Prefix, backend: {service: {name: nosvc, port: {name: http}}}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: pvc1, namespace: kap-describe}
spec:
  storageClassName: kap-no-such-class
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: kap-describe-pv1}
spec:
  capacity: {storage: 1Gi}
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  hostPath: {path: /tmp/kap-describe-pv1}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: hpa1, namespace: kap-describe}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: ReplicaSet, name: rs1}
  minReplicas: 1
  maxReplicas: 3
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}
"#;

fn admin() -> ServerOpts {
    ServerOpts {
        kubeconfig: Some(kubeconfig().expect("KUBECONFIG")),
        ..Default::default()
    }
}

/// The top-level `Label: value` lines of a description (lines that start without
/// indentation and have a `:`), values with whitespace runs collapsed. `Events` is dropped:
/// events arrive between two calls.
fn fields(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter(|l| !l.starts_with(' ') && !l.starts_with('\t'))
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| {
            (
                k.to_string(),
                v.split_whitespace().collect::<Vec<_>>().join(" "),
            )
        })
        .filter(|(k, _)| k != "Events")
        .collect()
}

fn labels(f: &[(String, String)]) -> Vec<String> {
    f.iter().map(|(k, _)| k.clone()).collect()
}

fn cleanup() {
    real_kubectl(&[
        "delete",
        "namespace",
        NS,
        "--ignore-not-found",
        "--wait=true",
    ]);
    real_kubectl(&["delete", "pv", PV, "--ignore-not-found", "--wait=true"]);
}

/// Ours and kubectl's description of `kind name`: the labels must be equal (order too) and
/// every top-level value must match. The cluster moves on (pods start, the job completes,
/// the autoscaler updates its status), so a mismatch is retried a few times.
async fn compare(c: &Client, kind: &str, name: &str, must_have: &[&str]) {
    let mut last = String::new();
    for _ in 0..15 {
        let r = kubectl(c, &format!("describe {kind} {name} -n {NS}"))
            .await
            .unwrap();
        let ours = text(&r);
        assert!(!is_error(&r), "describe {kind} {name}: {ours}");
        let theirs = real_kubectl(&["describe", kind, name, "-n", NS]);
        let (fo, ft) = (fields(&ours), fields(&theirs));
        for m in must_have {
            assert!(
                labels(&ft).iter().any(|l| l == m),
                "kubectl's describe {kind} has no {m}:\n{theirs}"
            );
        }
        assert_eq!(
            labels(&fo),
            labels(&ft),
            "labels of describe {kind} {name}\n--- ours:\n{ours}\n--- kubectl:\n{theirs}"
        );
        // The ingress' endpoint list is not a top-level value; everything else is.
        if fo == ft {
            assert!(ours.contains("\nEvents:"), "{ours}");
            return;
        }
        last = format!("--- ours:\n{ours}\n--- kubectl:\n{theirs}");
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    panic!("values of describe {kind} {name} differ\n{last}");
}

#[tokio::test]
async fn describe_matches_kubectl_for_common_kinds() {
    cleanup();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("objects.yaml");
    std::fs::write(&file, OBJECTS).unwrap();
    real_kubectl(&["apply", "-f", file.to_str().unwrap()]);
    // Wait for the workloads to settle (KWOK runs the pods).
    real_kubectl(&[
        "wait",
        "--for=condition=complete",
        "job/job1",
        "-n",
        NS,
        "--timeout=60s",
    ]);
    real_kubectl(&[
        "wait",
        "--for=condition=Ready",
        "pod",
        "--all",
        "-n",
        NS,
        "--timeout=60s",
    ]);

    let c = start(&admin()).await.unwrap();
    let cases: [(&str, &str, &[&str]); 9] = [
        (
            "replicaset",
            "rs1",
            &["Replicas", "Selector", "Pods Status", "Pod Template"],
        ),
        (
            "statefulset",
            "sts1",
            &["Replicas", "Selector", "Pods Status", "Update Strategy"],
        ),
        (
            "daemonset",
            "ds1",
            &["Selector", "Node-Selector", "Pods Status"],
        ),
        (
            "job",
            "job1",
            &["Selector", "Completions", "Pods Statuses", "Duration"],
        ),
        (
            "cronjob",
            "cj1",
            &["Schedule", "Suspend", "Last Schedule Time", "Active Jobs"],
        ),
        (
            "ingress",
            "ing1",
            &[
                "Address",
                "Ingress Class",
                "Default backend",
                "TLS",
                "Rules",
            ],
        ),
        (
            "persistentvolumeclaim",
            "pvc1",
            &[
                "StorageClass",
                "Status",
                "Volume",
                "Access Modes",
                "Used By",
            ],
        ),
        (
            "persistentvolume",
            PV,
            &["Status", "Claim", "Reclaim Policy", "Capacity", "Source"],
        ),
        (
            "horizontalpodautoscaler",
            "hpa1",
            &["Reference", "Metrics", "Min replicas", "ReplicaSet pods"],
        ),
    ];
    for (kind, name, must) in cases {
        compare(&c, kind, name, must).await;
    }

    // Specific values, from kubectl: the pod counts and statuses.
    let rs = real_kubectl(&["describe", "rs", "rs1", "-n", NS]);
    assert!(rs.contains("2 current / 2 desired"), "{rs}");
    let pvc = real_kubectl(&["describe", "pvc", "pvc1", "-n", NS]);
    assert!(pvc.contains("Pending"), "{pvc}");
    // The ingress rules' backends as kubectl prints them (endpoints of the service, the
    // error of a missing one).
    let ours = text(
        &kubectl(&c, &format!("describe ingress ing1 -n {NS}"))
            .await
            .unwrap(),
    );
    let theirs = real_kubectl(&["describe", "ingress", "ing1", "-n", NS]);
    let backends = |t: &str| -> Vec<String> {
        t.lines()
            .filter(|l| l.contains("nosvc") || l.contains("rs1:80"))
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect()
    };
    assert_eq!(backends(&ours), backends(&theirs), "{ours}\n{theirs}");

    c.cancel().await.unwrap();
    cleanup();
}
