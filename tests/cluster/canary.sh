#!/usr/bin/env bash
# Creates (idempotently, client-side `kubectl apply`, so every object carries a
# kubectl.kubernetes.io/last-applied-configuration annotation) the canary fixtures of
# tests/tests/secrets.rs in the cluster at $KUBECONFIG: credential-looking values that must
# never reach the model through kube-ai-proxy.
#   kap-demo: Secret canary (data token = canary-secret-5c1f),
#             Pod canary-pod (env DB_PASSWORD, API_TOKEN (a JWT), DATABASE_URL with a password),
#             Deployment canary-app (0 replicas; the same env in its pod template),
#             Event canary-event (a message with a password).
# The canary pod's log is tests/cluster/logs/canary.log (KWOK ClusterLogs rule kap-canary-logs,
# written by up.sh). The canary strings are listed in tests/tests/secrets.rs; keep them in step.
# Env: KUBECONFIG (required), KAP_DEMO_TIMEOUT seconds (default 120).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
log() { echo "canary: $*" >&2; }
die() { echo "canary: ERROR: $*" >&2; exit 1; }
[ -n "${KUBECONFIG:-}" ] || die "KUBECONFIG is not set"
timeout=${KAP_DEMO_TIMEOUT:-120}
bin=$("$here/build-binaries.sh" | tail -n 1) || die "build-binaries.sh failed"
export PATH="$bin:$PATH"

kubectl apply -f - >&2 <<'YAML'
apiVersion: v1
kind: Namespace
metadata:
  name: kap-demo
---
apiVersion: v1
kind: Secret
metadata:
  name: canary
  namespace: kap-demo
type: Opaque
stringData:
  token: canary-secret-5c1f
---
apiVersion: v1
kind: Pod
metadata:
  name: canary-pod
  namespace: kap-demo
  labels:
    app: canary
spec:
  containers:
    - name: worker
      image: busybox:1.36
      env:
        - name: DB_PASSWORD
          value: canary-env-8e2a
        - name: API_TOKEN
          value: eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJjYW5hcnktand0LTRmMGQifQ.Y2FuYXJ5LXNpZy03NzEy
        - name: DATABASE_URL
          value: postgres://app:canary-url-77d1@db:5432/app
        - name: LOG_LEVEL
          value: info
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: canary-app
  namespace: kap-demo
  labels:
    app: canary-app
spec:
  replicas: 0
  selector:
    matchLabels:
      app: canary-app
  template:
    metadata:
      labels:
        app: canary-app
    spec:
      containers:
        - name: worker
          image: busybox:1.36
          env:
            - name: DB_PASSWORD
              value: canary-env-8e2a
            - name: API_TOKEN
              value: eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJjYW5hcnktand0LTRmMGQifQ.Y2FuYXJ5LXNpZy03NzEy
            - name: DATABASE_URL
              value: postgres://app:canary-url-77d1@db:5432/app
---
apiVersion: v1
kind: Event
metadata:
  name: canary-event
  namespace: kap-demo
involvedObject:
  apiVersion: v1
  kind: Pod
  name: canary-pod
  namespace: kap-demo
reason: LoginFailed
type: Warning
message: "login failed for postgres://app:canary-evurl-5a90@db:5432/app password=canary-event-6a0c"
source:
  component: canary
count: 1
YAML
kubectl -n kap-demo wait pod/canary-pod --for=jsonpath='{.status.phase}'=Running --timeout="${timeout}s" >&2 \
  || die "kap-demo/canary-pod is not Running"
if ! out=$(kubectl -n kap-demo logs canary-pod 2>&1) || ! grep -q canary-log-3b9e <<<"$out"; then
  log "WARNING: kubectl logs canary-pod -n kap-demo does not serve tests/cluster/logs/canary.log: ${out:0:200}"
  log "WARNING: run tests/cluster/up.sh (it recreates a cluster without the kap-canary-logs rule)"
fi
log "canary fixtures ready"
