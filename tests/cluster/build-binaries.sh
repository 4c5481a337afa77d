#!/usr/bin/env bash
# Builds the local control plane's binaries from Go modules at the pinned versions and caches
# them by version under $KAP_CACHE (default ~/.cache/kube-ai-proxy), outside the clone.
# Prints the bin directory as its last line. A second run with the same versions is instant.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/versions.env"
cache=${KAP_CACHE:-$HOME/.cache/kube-ai-proxy}
bin=$cache/bin/k8s-$K8S_VERSION-etcd-$ETCD_VERSION-kwok-$KWOK_VERSION
need=(kube-apiserver kube-controller-manager kube-scheduler kubectl etcd kwok kwokctl)
missing=0
for b in "${need[@]}"; do [ -x "$bin/$b" ] || missing=1; done
if [ $missing = 0 ]; then echo "$bin"; exit 0; fi

export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=mod
mkdir -p "$bin" "$cache/src"
log() { echo "build-binaries: $*" >&2; }

# kwok and kwokctl have no replace directives: go install works.
if [ ! -x "$bin/kwok" ] || [ ! -x "$bin/kwokctl" ]; then
  log "building kwok $KWOK_VERSION"
  GOBIN="$bin" go install -trimpath -ldflags "-s -w" \
    "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION" "sigs.k8s.io/kwok/cmd/kwokctl@$KWOK_VERSION" >&2
fi

# etcd: a wrapper module requiring the server module.
if [ ! -x "$bin/etcd" ]; then
  log "building etcd $ETCD_VERSION"
  w=$cache/src/etcd-$ETCD_VERSION; rm -rf "$w"; mkdir -p "$w"
  cat > "$w/go.mod" <<GOMOD
module kapetcd
go 1.26
require go.etcd.io/etcd/server/v3 $ETCD_VERSION
GOMOD
  printf 'package tools\nimport _ "go.etcd.io/etcd/server/v3"\n' > "$w/tools.go"
  (cd "$w" && go mod tidy >&2 && go build -trimpath -ldflags "-s -w" -o "$bin/etcd" go.etcd.io/etcd/server/v3 >&2)
fi

# Kubernetes: a wrapper module with one replace per staging module, as upstream's go.mod maps them.
if [ ! -x "$bin/kube-apiserver" ] || [ ! -x "$bin/kube-controller-manager" ] || [ ! -x "$bin/kube-scheduler" ] || [ ! -x "$bin/kubectl" ]; then
  log "building kubernetes $K8S_VERSION (tens of minutes on 2 cores the first time)"
  up=$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)",/\1/p')
  minor=$(echo "$K8S_VERSION" | cut -d. -f2)
  stagever="v0.$minor.$(echo "$K8S_VERSION" | cut -d. -f3)"
  w=$cache/src/kubernetes-$K8S_VERSION; rm -rf "$w"; mkdir -p "$w"
  {
    echo "module kapk8s"
    echo "go 1.26"
    grep '^godebug' "$up" || true
    echo "require k8s.io/kubernetes $K8S_VERSION"
    echo "replace ("
    grep '=> ./staging/src/' "$up" | awk -v v="$stagever" '{print "\t" $1 " => " $1 " " v}'
    echo ")"
  } > "$w/go.mod"
  cat > "$w/tools.go" <<'GO'
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
GO
  date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  ld="-s -w"
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld="$ld -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean -X $p.buildDate=$date"
  done
  (cd "$w" && go mod tidy >&2 && go build -trimpath -ldflags "$ld" -o "$bin/" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl >&2)
fi
for b in "${need[@]}"; do [ -x "$bin/$b" ] || { log "missing $bin/$b after build"; exit 1; }; done
echo "$bin"
