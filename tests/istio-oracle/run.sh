#!/usr/bin/env bash
# The istio oracle (`make istio-oracle`; not in CI): the real `istioctl analyze -A -o json`
# (built from Go modules by tests/cluster/build-istioctl.sh, tens of minutes the first time)
# against our execute_istioctl {"command": "analyze -A -o json"} on the Istio fixtures
# (tests/fixtures/istio, applied by tests/cluster/istio-fixtures.sh to the local cluster).
# Prints compare.py's markdown table (per ist-* namespace: the (code, resource) findings of
# each side and whether they agree, then the message texts that differ).
#
# No istiod runs on the local cluster, and istioctl analyze needs none: it reads the
# resources straight from the API server (informers), takes the default mesh config when
# istio-system/configmap istio is absent, and --revision defaults to "default" (objects
# without an istio.io/rev label are analyzed). The istio-system namespace need not exist.
#
# Env:   KAP_CLUSTER_DIR  cluster state dir (default <repo>/.cluster); outputs go to
#                         $KAP_CLUSTER_DIR/istio-oracle/ (istioctl.json[.err], ours.json, report.md)
#        KAP_ISTIOCTL     an istioctl binary to use instead of building one
#        KAP_ORACLE_TIMEOUT  seconds for our MCP call (default 300)
# Exit:  compare.py's: 0 all fixture namespaces agree, 1 some do not, 2 a side is missing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"
log() { echo "istio-oracle: $*" >&2; }

kc=$(tests/cluster/up.sh | tail -n1)
. tests/cluster/env.sh
export "$kc"
out=${KAP_CLUSTER_DIR:-$root/.cluster}/istio-oracle
mkdir -p "$out"
rm -f "$out"/istioctl.json "$out"/istioctl.json.err "$out"/ours.json

if [ -x tests/cluster/istio-fixtures.sh ]; then
  tests/cluster/istio-fixtures.sh >&2
else
  log "tests/cluster/istio-fixtures.sh is missing: comparing on whatever is in the cluster"
fi
fixture_ns=$(kubectl get namespaces -o name | sed -n 's|^namespace/\(ist-.*\)|\1|p' | tr '\n' ' ')
log "fixture namespaces: ${fixture_ns:-none}"

# --- the real istioctl -------------------------------------------------------------------
istioctl=${KAP_ISTIOCTL:-}
if [ -z "$istioctl" ]; then
  istioctl=$(tests/cluster/build-istioctl.sh | tail -n1) || istioctl=
fi
if [ -n "$istioctl" ] && [ -x "$istioctl" ]; then
  log "running $istioctl analyze -A -o json"
  # -o json exits 0 whatever the findings; a non-zero status is a failure to analyze.
  rc=0
  "$istioctl" analyze -A -o json --timeout=60s >"$out/istioctl.json" 2>"$out/istioctl.json.err" || rc=$?
  echo "exit status $rc" >>"$out/istioctl.json.err"
  [ $rc = 0 ] || { log "istioctl analyze failed (exit $rc):"; cat "$out/istioctl.json.err" >&2; rm -f "$out/istioctl.json"; }
else
  log "no istioctl (tests/cluster/build-istioctl.sh failed): the istioctl side is missing"
fi

# --- ours ---------------------------------------------------------------------------------
python=$(tests/python/setup-venv.sh | tail -n1)
server=$root/target/debug/kube-ai-proxy
if [ -x "$server" ]; then
  log "calling execute_istioctl through $server serve"
  "$python" "$here/compare.py" ours "$out/ours.json" \
    "$server" serve --audit-log "$out/audit.jsonl" || true
else
  log "no $server (make build): our side is missing"
fi

# --- the comparison ----------------------------------------------------------------------
rc=0
# shellcheck disable=SC2086 # one word per namespace
"$python" "$here/compare.py" compare "$out/istioctl.json" "$out/ours.json" $fixture_ns \
  | tee "$out/report.md" || rc=$?
log "outputs in $out (report.md, istioctl.json, ours.json)"
exit $rc
