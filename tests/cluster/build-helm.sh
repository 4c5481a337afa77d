#!/usr/bin/env bash
# Builds helm from Go modules (helm.sh/helm/v4, no replace directives: go install works) at
# HELM_VERSION with upstream's version ldflags, cached by version under $KAP_CACHE (default
# ~/.cache/kube-ai-proxy). Prints the helm binary's path as its last line; instant when cached.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/versions.env"
cache=${KAP_CACHE:-$HOME/.cache/kube-ai-proxy}
bin=$cache/bin/helm-$HELM_VERSION
if [ ! -x "$bin/helm" ]; then
  echo "build-helm: building helm $HELM_VERSION (several minutes on 2 cores the first time)" >&2
  mkdir -p "$bin"
  v=helm.sh/helm/v4/internal/version
  GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=mod GOBIN="$bin" go install -trimpath \
    -ldflags "-s -w -X $v.version=$HELM_VERSION -X $v.metadata= -X $v.gitTreeState=clean" \
    "helm.sh/helm/v4/cmd/helm@$HELM_VERSION" >&2
fi
[ -x "$bin/helm" ] || { echo "build-helm: missing $bin/helm after build" >&2; exit 1; }
echo "$bin/helm"
