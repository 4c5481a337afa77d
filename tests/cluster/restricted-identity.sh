#!/usr/bin/env bash
# Creates the restricted identity used by the RBAC tests and the demo, in the cluster at
# $KUBECONFIG (any cluster, not only the local one): ServiceAccount kap-restricted/reader,
# allowed only get/list/watch on pods in namespace kap-restricted, and writes a kubeconfig
# for it (token valid 24 h, same server and CA as $KUBECONFIG's current context) to $1.
# Idempotent. Prints the written path as its last stdout line.
set -euo pipefail
restricted=${1:?usage: restricted-identity.sh OUTPUT_KUBECONFIG}
here=$(cd "$(dirname "$0")" && pwd)
: "${KUBECONFIG:?KUBECONFIG must point at the cluster}"
# The built kubectl first (Debian's is 1.20); instant when the binaries are cached.
PATH=$("$here/build-binaries.sh" | tail -n1):$PATH
log() { echo "restricted-identity: $*" >&2; }
die() { log "$*"; exit 1; }
k() { kubectl --request-timeout=10s "$@"; }
server=$(k config view --minify -o jsonpath='{.clusters[0].cluster.server}')
[ -n "$server" ] || die "no server in the current context of $KUBECONFIG"
mkdir -p "$(dirname "$restricted")"
k apply -f - >&2 <<'EOF'
apiVersion: v1
kind: Namespace
metadata:
  name: kap-restricted
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: reader
  namespace: kap-restricted
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: pod-reader
  namespace: kap-restricted
rules:
  - apiGroups: [""]
    resources: ["pods"]
    verbs: ["get", "list", "watch"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: reader-pod-reader
  namespace: kap-restricted
subjects:
  - kind: ServiceAccount
    name: reader
    namespace: kap-restricted
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: pod-reader
EOF
token=$(k create token reader -n kap-restricted --duration=24h)
[ -n "$token" ] || die "empty token for kap-restricted/reader"
ca=$(k config view --raw --minify -o jsonpath='{.clusters[0].cluster.certificate-authority-data}')
[ -n "$ca" ] || die "admin kubeconfig has no certificate-authority-data"
umask 077
cat > "$restricted.tmp" <<EOF
apiVersion: v1
kind: Config
clusters:
  - name: kap
    cluster:
      server: $server
      certificate-authority-data: $ca
users:
  - name: kap-restricted-reader
    user:
      token: $token
contexts:
  - name: kap-restricted
    context:
      cluster: kap
      user: kap-restricted-reader
      namespace: kap-restricted
current-context: kap-restricted
EOF
mv "$restricted.tmp" "$restricted"
k --kubeconfig "$restricted" auth can-i list pods -n kap-restricted >/dev/null \
  || die "restricted identity cannot list pods in kap-restricted"
log "restricted kubeconfig: $restricted (ServiceAccount kap-restricted/reader, token valid 24h)"
echo "$restricted"
