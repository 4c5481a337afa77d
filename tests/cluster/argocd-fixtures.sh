#!/usr/bin/env bash
# Applies the Argo CD fixtures (tests/fixtures/argocd: Applications with the .status Argo CD's
# controller would write, projects, an ApplicationSet, repository and cluster Secrets with
# canary credentials, an argocd-server Deployment) to the cluster at $KUBECONFIG. No Argo CD
# controller runs, so an .operation a test wrote stays pending: the fixtures are replaced
# (kubectl replace --force semantics for Applications) so every run starts from them.
# The Argo CD CRDs come from up.sh. Used by tests/tests/argocd.rs and the demo.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
die() { echo "argocd-fixtures: ERROR: $*" >&2; exit 1; }
[ -n "${KUBECONFIG:-}" ] || die "KUBECONFIG is not set"
bin=$("$here/build-binaries.sh" | tail -n 1) || die "build-binaries.sh failed"
export PATH="$bin:$PATH"
# Writes by tests (an .operation, a refresh annotation, finalizers, a deleted app) are undone:
# the Applications are deleted (finalizers cleared first) and applied again.
for ns in argocd team-apps; do
  for app in $(kubectl get applications.argoproj.io -n "$ns" -o name 2>/dev/null); do
    kubectl patch "$app" -n "$ns" --type=merge -p '{"metadata":{"finalizers":null}}' >/dev/null 2>&1 || true
  done
  kubectl delete applications.argoproj.io --all -n "$ns" --wait=true >/dev/null 2>&1 || true
done
kubectl apply --server-side --force-conflicts --field-manager=kap-fixtures \
  -f "$root/tests/fixtures/argocd/" >&2 || die "kubectl apply of tests/fixtures/argocd failed"
echo "argocd-fixtures: applied" >&2
