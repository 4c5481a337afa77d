#!/usr/bin/env bash
# Builds istioctl from Go modules (istio.io/istio, no replace directives: go install works) at
# ISTIO_VERSION, a pseudo-version (the module proxy serves no istio.io/istio release tags),
# with upstream's version ldflags, cached by version under $KAP_CACHE (default
# ~/.cache/kube-ai-proxy). Prints the istioctl binary's path as its last line; instant when cached.
# Only the istio-oracle (tests/istio-oracle/run.sh) uses it; the build is long (tens of minutes).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/versions.env"
cache=${KAP_CACHE:-$HOME/.cache/kube-ai-proxy}
bin=$cache/bin/istioctl-$ISTIO_VERSION
if [ ! -x "$bin/istioctl" ]; then
  echo "build-istioctl: building istioctl $ISTIO_VERSION (tens of minutes on 2 cores the first time)" >&2
  mkdir -p "$bin"
  export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=mod
  # Upstream derives the version from its VERSION file (+ "-dev" on master) and the git commit.
  dir=$(go mod download -json "istio.io/istio@$ISTIO_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')
  ver=$(cat "$dir/VERSION" 2>/dev/null || echo unknown)-dev
  rev=${ISTIO_VERSION##*-}
  v=istio.io/istio/pkg/version
  nice -n 15 env GOBIN="$bin" go install -trimpath \
    -ldflags "-s -w -X $v.buildVersion=$ver -X $v.buildGitRevision=$rev -X $v.buildStatus=Clean -X $v.buildTag=$ISTIO_VERSION -X $v.buildHub=gcr.io/istio-testing -X $v.buildOS=$(go env GOOS) -X $v.buildArch=$(go env GOARCH)" \
    "istio.io/istio/istioctl/cmd/istioctl@$ISTIO_VERSION" >&2
fi
[ -x "$bin/istioctl" ] || { echo "build-istioctl: missing $bin/istioctl after build" >&2; exit 1; }
echo "$bin/istioctl"
