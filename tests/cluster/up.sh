#!/usr/bin/env bash
# Starts (or reuses, when already running and healthy) the local control plane `kap`:
# kwokctl's binary runtime with the locally built etcd, kube-apiserver (RBAC on, bound to
# 127.0.0.1), kube-controller-manager, kube-scheduler and kwok-controller, plus 2 KWOK nodes.
# Nothing is downloaded: every binary comes from build-binaries.sh's cache.
#
# Pod logs: KWOK serves `kubectl logs` only for containers a ClusterLogs rule covers. The
# kwokctl configuration written below carries one (a static --config document, read by
# kwok-controller at start): every container of every pod in kap-demo and kap-restricted
# serves tests/cluster/logs/app.log (CRI log format; edits to the file show at once), except
# kap-demo/canary-pod (canary.sh), which serves tests/cluster/logs/canary.log.
# The cluster remembers the sha256 of the kwokctl configuration it was created with
# ($KAP_CLUSTER_DIR/.kwokctl.sha256): when the configuration changes (ClusterLogs rules,
# binaries, versions, paths), the next up.sh deletes and recreates the cluster (its objects,
# e.g. the demo workloads, are lost; demo-workloads.sh recreates them). Otherwise a healthy
# running cluster is reused as is.
#
# Then creates a restricted identity (ServiceAccount kap-restricted/reader that may only
# get/list/watch pods in kap-restricted) and writes its kubeconfig.
#
# Env:   KAP_CLUSTER_DIR  state dir (default <repo>/.cluster, gitignored)
#        KAP_UP_TIMEOUT   seconds to wait for each readiness step (default 120)
#        KAP_KEEP_ON_FAILURE=1  leave the components running when start-up fails (default: stop them)
# Files: $KAP_CLUSTER_DIR/kubeconfig             admin (system:masters), stable path
#        $KAP_CLUSTER_DIR/restricted.kubeconfig  ServiceAccount token, context kap-restricted
# Progress goes to stderr; the LAST stdout line is exactly KUBECONFIG=<admin kubeconfig>.
set -euo pipefail
start_ns=$(date +%s%N)
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
name=kap
timeout=${KAP_UP_TIMEOUT:-120}

log() { echo "up.sh: $*" >&2; }
elapsed() { awk -v a="$start_ns" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }'; }
show_logs=0   # set to 1 once kwokctl has been asked to start components
die() {
  echo "up.sh: ERROR: $*" >&2
  if [ "$show_logs" = 1 ] && [ -d "$cdir/logs" ]; then
    for f in "$cdir"/logs/*.log; do
      [ -f "$f" ] || continue
      echo "----- last lines of $f -----" >&2
      tail -n 15 "$f" >&2
    done
  fi
  if [ "$show_logs" = 1 ] && [ "${KAP_KEEP_ON_FAILURE:-0}" != 1 ]; then
    echo "up.sh: stopping the cluster's components (state and logs stay in $dir; KAP_KEEP_ON_FAILURE=1 keeps them running; down.sh removes everything)" >&2
    kwokctl -c "$cfg" --name "$name" stop cluster >/dev/null 2>&1 9>&- || true
  fi
  echo "up.sh: FAILED after $(elapsed)s" >&2
  exit 1
}
trap 'die "command failed (line $LINENO): $BASH_COMMAND"' ERR

# --- binaries ---------------------------------------------------------------------------
bin=$("$here/build-binaries.sh" | tail -n 1) || die "build-binaries.sh failed"
for b in kube-apiserver kube-controller-manager kube-scheduler kubectl etcd kwok kwokctl; do
  [ -x "$bin/$b" ] || die "missing binary $bin/$b"
done
export PATH="$bin:$PATH"

# --- state dir --------------------------------------------------------------------------
dir=${KAP_CLUSTER_DIR:-$root/.cluster}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
touch "$dir/.kap-cluster-dir"           # marker: down.sh only removes dirs that carry it
export KWOK_WORKDIR=$dir
cdir=$dir/clusters/$name
admin=$dir/kubeconfig
restricted=$dir/restricted.kubeconfig

# One up.sh/down.sh at a time per state dir.
exec 9>"$dir/.lock"
flock -w 600 9 || die "could not lock $dir/.lock"

# kwokctl configuration: local binaries only, loopback only.
. "$here/versions.env"
cfg=$dir/kwokctl.yaml
logs_file=$here/logs/app.log
canary_logs_file=$here/logs/canary.log
for f in "$logs_file" "$canary_logs_file"; do
  [ -f "$f" ] || die "missing $f (a pod log KWOK serves)"
done
cat > "$cfg.tmp" <<EOF
apiVersion: config.kwok.x-k8s.io/v1alpha1
kind: KwokctlConfiguration
options:
  runtime: binary
  bindAddress: 127.0.0.1
  kubeVersion: $K8S_VERSION
  etcdVersion: ${ETCD_VERSION#v}
  kwokVersion: $KWOK_VERSION
  cacheDir: $dir/cache
  kubeApiserverBinary: $bin/kube-apiserver
  kubeControllerManagerBinary: $bin/kube-controller-manager
  kubeSchedulerBinary: $bin/kube-scheduler
  kubectlBinary: $bin/kubectl
  etcdBinary: $bin/etcd
  kwokControllerBinary: $bin/kwok
---
# The canary pod's log (tests/tests/secrets.rs): credential-looking lines that must never
# reach the model. kwok-controller takes the first ClusterLogs rule that matches a pod, so
# this one comes before the namespace-wide rule below.
apiVersion: kwok.x-k8s.io/v1alpha1
kind: ClusterLogs
metadata:
  name: kap-canary-logs
spec:
  selector:
    matchNamespaces:
      - kap-demo
    matchNames:
      - canary-pod
  logs:
    - logsFile: $canary_logs_file
      follow: false
---
# Logs for kubectl logs: containers of pods in these namespaces serve this file (no
# containers list = every container). kwok-controller reads the file on each request.
apiVersion: kwok.x-k8s.io/v1alpha1
kind: ClusterLogs
metadata:
  name: kap-demo-logs
spec:
  selector:
    matchNamespaces:
      - kap-demo
      - kap-restricted
  logs:
    - logsFile: $logs_file
      follow: false
EOF
# KWOK Stages: kwok's default lifecycle plus the simulated failures (kap.test/simulate) of
# tests/tests/troubleshoot.rs; part of the configuration, so a change recreates the cluster.
[ -f "$here/stages.yaml" ] || die "missing $here/stages.yaml (the cluster's KWOK Stages)"
{ echo "---"; cat "$here/stages.yaml"; } >> "$cfg.tmp"
mv "$cfg.tmp" "$cfg"
cfg_sum=$(sha256sum "$cfg" | cut -d' ' -f1)
# 9>&-: kwokctl forks the components; they must not inherit (and hold forever) the lock fd.
kw() { kwokctl -c "$cfg" --name "$name" "$@" 9>&-; }
# Deletes the cluster (components and $cdir). --kubeconfig must name a file: kwokctl removes
# the cluster's context from it ("" is refused with "empty path"); kwokctl's own copy goes
# with $cdir anyway.
kw_delete() {
  kw delete cluster --kubeconfig "$cdir/kubeconfig.yaml" >&2 || true
  [ ! -e "$cdir/kwok.yaml" ] || die "kwokctl delete cluster left $cdir behind (down.sh removes everything)"
}

# A cluster made with another kwokctl configuration (other binaries after a versions.env
# change, other ClusterLogs rules, ...) is recreated: kwokctl applies --config only at creation.
if [ -f "$cdir/kwok.yaml" ] && [ "$(cat "$dir/.kwokctl.sha256" 2>/dev/null)" != "$cfg_sum" ]; then
  if [ "$(cat "$dir/.bin-dir" 2>/dev/null)" != "$bin" ]; then
    log "cluster was created with other binaries ($(cat "$dir/.bin-dir" 2>/dev/null || echo unknown)); recreating"
  else
    log "cluster was created with another kwokctl configuration (e.g. other ClusterLogs rules); recreating"
  fi
  kw_delete
  rm -f "$dir/.kwokctl.sha256"
fi

healthy() {
  [ -f "$admin" ] && kubectl --kubeconfig "$admin" --request-timeout=3s get --raw /readyz >/dev/null 2>&1
}

if [ -f "$cdir/kwok.yaml" ] && healthy; then
  log "reusing running cluster $name in $dir"
  reused=1
else
  reused=0
  show_logs=1
  if [ -f "$cdir/kwok.yaml" ]; then
    log "cluster $name exists but is not healthy; (re)starting its components"
  else
    log "creating cluster $name in $dir (kwokctl binary runtime, apiserver on 127.0.0.1)"
  fi
  # Idempotent: returns at once when ready, starts stopped components otherwise.
  if ! kw create cluster --runtime binary --kubeconfig "" --timeout "${timeout}s" >&2; then
    if [ -f "$cdir/kwok.yaml" ]; then
      log "start failed; deleting and creating it afresh"
      kw_delete
      kw create cluster --runtime binary --kubeconfig "" --timeout "${timeout}s" >&2 \
        || die "kwokctl create cluster failed"
    else
      die "kwokctl create cluster failed"
    fi
  fi
  echo "$bin" > "$dir/.bin-dir"
  echo "$cfg_sum" > "$dir/.kwokctl.sha256"
fi
grep -q '^  name: kap-canary-logs$' "$cdir/kwok.yaml" \
  || die "$cdir/kwok.yaml lacks the canary ClusterLogs rule (run down.sh, then up.sh)"
grep -q '^  name: kap-pod-crashloop$' "$cdir/kwok.yaml" \
  || die "$cdir/kwok.yaml lacks the simulated-failure Stages of stages.yaml (run down.sh, then up.sh)"
grep -q '^kind: ClusterLogs$' "$cdir/kwok.yaml" \
  || die "$cdir/kwok.yaml has no ClusterLogs rule, so kubectl logs would find no logs (run down.sh, then up.sh)"

# Stable admin kubeconfig: a flattened copy (certs embedded) of kwokctl's own.
[ -f "$cdir/kubeconfig.yaml" ] || die "kwokctl did not write $cdir/kubeconfig.yaml"
kubectl config view --raw --flatten --kubeconfig "$cdir/kubeconfig.yaml" > "$admin.tmp"
chmod 600 "$admin.tmp"
mv "$admin.tmp" "$admin"
export KUBECONFIG=$admin
k() { kubectl --request-timeout=10s "$@"; }

# Wait until: API answers /readyz, 2 KWOK nodes exist and are Ready, default SA exists.
wait_for() {  # wait_for DESCRIPTION COMMAND...
  local what=$1; shift
  local deadline=$(( $(date +%s) + timeout ))
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] || die "timed out after ${timeout}s waiting for $what"
    sleep 0.5
  done
}
show_logs=1
wait_for "the API server (/readyz)" k get --raw /readyz
server=$(k config view --minify -o jsonpath='{.clusters[0].cluster.server}')
case $server in https://127.0.0.1:*) ;; *) die "unexpected API server URL $server (want https://127.0.0.1:PORT)";; esac
log "API server ready at $server ($(elapsed)s)"

nodes=$(k get nodes -o name | wc -l)
if [ "$nodes" != 2 ]; then
  log "scaling KWOK nodes $nodes -> 2"
  kw scale node --replicas 2 >&2
fi
nodes_ready() {
  [ "$(k get nodes -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' | grep -c '^True$')" -ge 2 ]
}
wait_for "2 Ready nodes" nodes_ready
wait_for "ServiceAccount default/default" k get serviceaccount default -n default
log "nodes Ready, default ServiceAccount present ($(elapsed)s)"
show_logs=0

# --- restricted identity ----------------------------------------------------------------
KUBECONFIG=$admin "$here/restricted-identity.sh" "$restricted" >/dev/null || die "cannot create the restricted identity"

# --- upstream CRDs (Istio, Argo CD) -----------------------------------------------------
# Server-side apply: the Istio file is too large for the last-applied annotation. Unchanged
# CRDs are a no-op, so a reused cluster pays one request per CRD.
crds=(-f "$here/crds/istio-crd-all.gen.yaml" -f "$here/crds/application-crd.yaml" -f "$here/crds/appproject-crd.yaml" -f "$here/crds/applicationset-crd.yaml")
kubectl --request-timeout=60s apply --server-side --force-conflicts --field-manager=kap-up "${crds[@]}" >/dev/null \
  || die "cannot install the Istio and Argo CD CRDs"
k wait --for condition=Established --timeout=60s "${crds[@]}" >/dev/null \
  || die "the Istio and Argo CD CRDs did not become Established"
log "Istio and Argo CD CRDs installed ($(elapsed)s)"

if [ $reused = 1 ]; then how=reused; else how=started; fi
log "cluster $name $how in $(elapsed)s; admin kubeconfig $admin"
echo "KUBECONFIG=$admin"
