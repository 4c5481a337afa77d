#!/usr/bin/env bash
# Applies the Istio analyzer fixtures (tests/fixtures/istio/*.yaml: one namespace per
# analyzer, named ist-*, with a broken object and a correct twin) to the cluster at
# $KUBECONFIG, and waits until their pods are Running. The Istio CRDs come from up.sh.
# Idempotent (kubectl apply); used by tests/tests/istio.rs and `make istio-oracle`.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
die() { echo "istio-fixtures: ERROR: $*" >&2; exit 1; }
[ -n "${KUBECONFIG:-}" ] || die "KUBECONFIG is not set"
bin=$("$here/build-binaries.sh" | tail -n 1) || die "build-binaries.sh failed"
export PATH="$bin:$PATH"
kubectl apply --server-side --force-conflicts --field-manager=kap-fixtures \
  -f "$root/tests/fixtures/istio/" >&2 || die "kubectl apply of tests/fixtures/istio failed"
for ns in $(kubectl get namespaces -o name | sed -n 's|^namespace/\(ist-.*\)|\1|p'); do
  [ -n "$(kubectl get pods -n "$ns" -o name)" ] || continue
  kubectl wait --for=condition=Ready pod --all -n "$ns" --timeout=120s >/dev/null \
    || die "pods in $ns did not become Ready"
done
echo "istio-fixtures: applied $(ls "$root"/tests/fixtures/istio/*.yaml | wc -l) files" >&2
