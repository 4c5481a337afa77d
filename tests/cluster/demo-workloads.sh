#!/usr/bin/env bash
# Creates (idempotently, kubectl apply) the demo workloads in the cluster at $KUBECONFIG:
#   kap-demo:       Deployment web (nginx, 2 replicas, app=web), Service web (port 80),
#                   StatefulSet db (1 replica) with headless Service db, Secret db-credentials
#   kap-restricted: Pod restricted-pod (something the restricted identity can list)
# plus the canary fixtures of tests/tests/secrets.rs (canary.sh),
# and waits until web's pods, db-0 and restricted-pod are Running (KWOK marks them Running).
# On the local cluster every container there serves tests/cluster/logs/app.log as its log
# (KWOK ClusterLogs, configured by up.sh); this script warns when `kubectl logs` fails.
# Env: KUBECONFIG (required), KAP_DEMO_TIMEOUT seconds (default 120).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
log() { echo "demo-workloads: $*" >&2; }
die() { echo "demo-workloads: ERROR: $*" >&2; exit 1; }
[ -n "${KUBECONFIG:-}" ] || die "KUBECONFIG is not set (run: eval \"\$(tests/cluster/up.sh | tail -n 1 | sed 's/^/export /')\")"
[ -f "$KUBECONFIG" ] || die "KUBECONFIG $KUBECONFIG does not exist"
timeout=${KAP_DEMO_TIMEOUT:-120}
# The built kubectl first (Debian's is 1.20); instant when the binaries are cached.
bin=$("$here/build-binaries.sh" | tail -n 1) || die "build-binaries.sh failed"
export PATH="$bin:$PATH"
start=$(date +%s)

kubectl apply -f - >&2 <<'YAML'
apiVersion: v1
kind: Namespace
metadata:
  name: kap-demo
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: kap-demo
  labels:
    app: web
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: nginx
          image: nginx:1.27
          ports:
            - containerPort: 80
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: kap-demo
  labels:
    app: web
spec:
  selector:
    app: web
  ports:
    - name: http
      port: 80
      targetPort: 80
---
apiVersion: v1
kind: Service
metadata:
  name: db
  namespace: kap-demo
  labels:
    app: db
spec:
  clusterIP: None
  selector:
    app: db
  ports:
    - name: postgres
      port: 5432
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
  namespace: kap-demo
  labels:
    app: db
spec:
  serviceName: db
  replicas: 1
  selector:
    matchLabels:
      app: db
  template:
    metadata:
      labels:
        app: db
    spec:
      containers:
        - name: postgres
          image: postgres:17
          ports:
            - containerPort: 5432
          env:
            - name: POSTGRES_PASSWORD
              valueFrom:
                secretKeyRef:
                  name: db-credentials
                  key: password
---
apiVersion: v1
kind: Secret
metadata:
  name: db-credentials
  namespace: kap-demo
type: Opaque
stringData:
  username: demo
  password: not-a-real-password-4711
---
apiVersion: v1
kind: Namespace
metadata:
  name: kap-restricted
---
apiVersion: v1
kind: Pod
metadata:
  name: restricted-pod
  namespace: kap-restricted
  labels:
    app: restricted
spec:
  containers:
    - name: busybox
      image: busybox:1.36
      command: ["sleep", "infinity"]
YAML

log "waiting for pods to be Running (timeout ${timeout}s)"
kubectl -n kap-demo rollout status deployment/web --timeout="${timeout}s" >&2 \
  || die "deployment kap-demo/web did not become available"
kubectl -n kap-demo rollout status statefulset/db --timeout="${timeout}s" >&2 \
  || die "statefulset kap-demo/db did not become ready"
kubectl -n kap-demo wait pod -l app=web --for=jsonpath='{.status.phase}'=Running --timeout="${timeout}s" >&2 \
  || die "web pods are not Running"
kubectl -n kap-restricted wait pod/restricted-pod --for=jsonpath='{.status.phase}'=Running --timeout="${timeout}s" >&2 \
  || die "kap-restricted/restricted-pod is not Running"
kubectl get pods -n kap-demo -o wide >&2
# Pod logs come from KWOK's ClusterLogs rule (up.sh): tests/cluster/logs/app.log. A cluster
# started by an older up.sh has none; say so here rather than in a failing logs test.
if ! logs_err=$(kubectl -n kap-demo logs db-0 --tail 1 2>&1 >/dev/null); then
  log "WARNING: kubectl logs db-0 -n kap-demo fails: $logs_err"
  log "WARNING: on the local cluster, run tests/cluster/up.sh (it recreates a cluster without the ClusterLogs rule)"
fi
# The canary fixtures of tests/tests/secrets.rs (credential-looking values that must never
# reach the model).
"$here/canary.sh"
log "done in $(( $(date +%s) - start ))s"
