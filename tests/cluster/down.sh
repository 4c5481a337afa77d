#!/usr/bin/env bash
# Stops and deletes the local control plane `kap` (kwokctl delete cluster) and removes its
# state dir ($KAP_CLUSTER_DIR, default <repo>/.cluster). Safe to run when nothing is up.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
name=kap
log() { echo "down.sh: $*" >&2; }

dir=${KAP_CLUSTER_DIR:-$root/.cluster}
if [ ! -d "$dir" ]; then log "nothing to do: $dir does not exist"; exit 0; fi
dir=$(cd "$dir" && pwd)
if [ ! -f "$dir/.kap-cluster-dir" ]; then
  echo "down.sh: ERROR: $dir has no .kap-cluster-dir marker; refusing to delete it" >&2
  exit 1
fi
exec 9>"$dir/.lock"
flock -w 600 9 || { echo "down.sh: ERROR: could not lock $dir/.lock" >&2; exit 1; }

cdir=$dir/clusters/$name
if [ -f "$cdir/kwok.yaml" ]; then
  # kwokctl from the binaries the cluster was made with (or the current versions' cache);
  # if neither exists, the components are stopped by pid below.
  . "$here/versions.env"
  kwokctl=""
  for b in "$(cat "$dir/.bin-dir" 2>/dev/null)" \
           "${KAP_CACHE:-$HOME/.cache/kube-ai-proxy}/bin/k8s-$K8S_VERSION-etcd-$ETCD_VERSION-kwok-$KWOK_VERSION"; do
    if [ -n "$b" ] && [ -x "$b/kwokctl" ]; then kwokctl=$b/kwokctl; break; fi
  done
  if [ -n "$kwokctl" ]; then
    log "deleting cluster $name"
    KWOK_WORKDIR=$dir "$kwokctl" --name "$name" delete cluster --kubeconfig "" >&2 \
      || log "kwokctl delete cluster failed; stopping leftover components by pid"
  fi
fi
# Any component still running from this state dir (kwokctl keeps a pid file per component).
for pidfile in "$cdir"/pids/*.pid; do
  [ -f "$pidfile" ] || continue
  pid=$(cat "$pidfile")
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && tr '\0' ' ' < "/proc/$pid/cmdline" | grep -qF "$cdir"; then
    log "stopping leftover $(basename "$pidfile" .pid) (pid $pid)"
    kill "$pid" 2>/dev/null || true
  fi
done
rm -rf "$dir"
log "removed $dir"
