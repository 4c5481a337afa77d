#!/usr/bin/env bash
# Creates <repo>/.venv (if missing) and installs tests/python/requirements.txt into it.
# Idempotent: when the venv already satisfies the requirements it returns in about a second.
# Prints the venv's python path as its last stdout line.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
venv=${KAP_VENV:-$root/.venv}
req=$here/requirements.txt
log() { echo "setup-venv: $*" >&2; }

if [ ! -x "$venv/bin/python" ]; then
  log "creating $venv"
  python3 -m venv "$venv" >&2
fi
stamp=$venv/.kap-requirements.sha256
want=$(sha256sum "$req" | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && "$venv/bin/python" -c 'import mcp.client.stdio' 2>/dev/null; then
  log "up to date"
else
  log "installing $(grep -v '^#' "$req" | tr '\n' ' ')"
  "$venv/bin/python" -m pip install --disable-pip-version-check -q -r "$req" >&2
  echo "$want" > "$stamp"
fi
echo "$venv/bin/python"
