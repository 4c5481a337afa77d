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
flock -w 120 9 || log "WARNING: $dir/.lock still held after 120s (an up.sh running?); deleting anyway"

cdir=$dir/clusters/$name
# The components' pids (kwokctl keeps one pid file per component), taken before kwokctl
# deletes the files, so that leftovers can be stopped and the exit awaited below.
pids=()
for pidfile in "$cdir"/pids/*.pid; do
  [ -f "$pidfile" ] || continue
  pid=$(cat "$pidfile")
  if [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' < "/proc/$pid/cmdline" | grep -qF "$cdir/"; then
    pids+=("$pid")
  fi
done

if [ -f "$cdir/kwok.yaml" ]; then
  # kwokctl from the binaries the cluster was made with (or the current versions' cache).
  . "$here/versions.env"
  kwokctl=""
  for b in "$(cat "$dir/.bin-dir" 2>/dev/null)" \
           "${KAP_CACHE:-$HOME/.cache/kube-ai-proxy}/bin/k8s-$K8S_VERSION-etcd-$ETCD_VERSION-kwok-$KWOK_VERSION"; do
    if [ -n "$b" ] && [ -x "$b/kwokctl" ]; then kwokctl=$b/kwokctl; break; fi
  done
  if [ -n "$kwokctl" ]; then
    log "deleting cluster $name"
    KWOK_WORKDIR=$dir "$kwokctl" --name "$name" delete cluster --kubeconfig "$dir/kubeconfig" >&2 9>&- \
      || log "kwokctl delete cluster failed; stopping the components by pid"
  else
    log "no kwokctl binary found; stopping the components by pid"
  fi
fi
# kwokctl SIGKILLs the components; do the same for any it missed, and wait for them to exit
# so that their ports are free for the next up.sh.
for pid in "${pids[@]}"; do
  if kill -0 "$pid" 2>/dev/null; then
    for _ in $(seq 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      log "stopping leftover pid $pid"
      kill -KILL "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
  fi
done
rm -rf "$dir"
log "removed $dir"
