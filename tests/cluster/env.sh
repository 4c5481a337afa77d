# Source me (bash/zsh): puts the locally built control-plane binaries (kubectl 1.36, kwokctl,
# etcd, ...) first on PATH and exports KAP_BIN_DIR, KAP_CLUSTER_DIR, and KUBECONFIG when the
# cluster's admin kubeconfig exists. Builds the binaries first if they are not cached
# (tens of minutes the first time; instant afterwards).
#   . tests/cluster/env.sh
if [ -n "${BASH_SOURCE:-}" ]; then _kap_here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
else _kap_here=$(cd "$(dirname "$0")" && pwd); fi
if KAP_BIN_DIR=$("$_kap_here/build-binaries.sh" | tail -n 1) && [ -d "$KAP_BIN_DIR" ]; then
  export KAP_BIN_DIR
  case ":$PATH:" in *":$KAP_BIN_DIR:"*) ;; *) export PATH="$KAP_BIN_DIR:$PATH" ;; esac
  export KAP_CLUSTER_DIR=${KAP_CLUSTER_DIR:-$(cd "$_kap_here/../.." && pwd)/.cluster}
  if [ -f "$KAP_CLUSTER_DIR/kubeconfig" ]; then export KUBECONFIG="$KAP_CLUSTER_DIR/kubeconfig"; fi
else
  echo "env.sh: build-binaries.sh failed" >&2
fi
unset _kap_here
