#!/usr/bin/env bash
# Builds the Python example plugin: componentize-py against wit/ (world `plugin`, 0.2.0) with
# plugins/sdk-python on the path, then embeds plugin.toml as the `kube-ai-proxy:manifest`
# section with `kube-ai-proxy plugins pack`. Writes target/test-plugins/python-example.wasm.
#
# Needs the venv made by tests/python/setup-venv.sh (componentize-py is in its requirements)
# and target/debug/kube-ai-proxy. Skips the ~1 minute build when the output is newer than
# every input; FORCE=1 rebuilds.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
venv=${KAP_VENV:-$root/.venv}
sdk=$root/plugins/sdk-python
out_dir=$root/target/test-plugins
out=$out_dir/python-example.wasm
host_bin=${KAP_BIN:-$root/target/debug/kube-ai-proxy}
log() { echo "python-example: $*" >&2; }

inputs=("$here/app.py" "$here/plugin.toml" "$here/build.sh" "$here/wasm_component.py" "$root/wit/plugin.wit")
while IFS= read -r f; do inputs+=("$f"); done < <(find "$sdk/kap_sdk" -name '*.py')
if [ -z "${FORCE:-}" ] && [ -f "$out" ]; then
  stale=
  for f in "${inputs[@]}"; do [ "$f" -nt "$out" ] && stale=$f && break; done
  if [ -z "$stale" ]; then log "up to date: $out"; exit 0; fi
fi

"$root/tests/python/setup-venv.sh" >/dev/null
cpy=$venv/bin/componentize-py
if [ ! -x "$cpy" ]; then
  log "componentize-py is missing from $venv: add componentize-py to tests/python/requirements.txt and rerun tests/python/setup-venv.sh"
  exit 1
fi

mkdir -p "$out_dir"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
start=$(date +%s)
log "componentize-py $("$cpy" --version | awk '{print $2}') -> $tmp/raw.wasm"
# VIRTUAL_ENV points componentize-py at the venv's site-packages rather than the system's.
(cd "$here" && VIRTUAL_ENV=$venv "$cpy" -d "$root/wit" -w plugin componentize app \
  -p "$here" -p "$sdk" -o "$tmp/raw.wasm" >&2)

if [ ! -x "$host_bin" ]; then
  log "$host_bin is missing: build the host first (make host)"
  exit 1
fi
"$host_bin" plugins pack "$tmp/raw.wasm" "$here/plugin.toml" -o "$tmp/packed.wasm"
# Only the plugin interfaces and WASI: anything else would not load.
python3 "$here/wasm_component.py" check-imports "$tmp/packed.wasm" >/dev/null
mv "$tmp/packed.wasm" "$out"
log "wrote $out ($(stat -c %s "$out") bytes) in $(( $(date +%s) - start ))s"
