"""Generates the componentize-py bindings ``kap_sdk`` imports (``wit_world``,
``componentize_py_types``) and puts them on ``sys.path``, for running a plugin's unit tests
on plain CPython (see ``kap_sdk.testing``). Inside ``componentize-py componentize`` the
bindings exist already and this module is not needed.

Outside the ``kap_sdk`` package on purpose: importing ``kap_sdk`` needs the bindings.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
from typing import Optional


def ensure(wit_dir: str, world: str = "plugin", out_dir: Optional[str] = None) -> str:
    """Generates the componentize-py bindings of ``world`` in ``wit_dir`` (once per
    ``out_dir``, by default a temporary directory keyed by the WIT's hash) and puts them on ``sys.path``. Needs ``componentize-py`` next to the running
    Python or on ``PATH``."""
    if out_dir is None:
        h = hashlib.sha256(world.encode())
        for f in sorted(os.listdir(wit_dir)):
            if f.endswith(".wit"):
                with open(os.path.join(wit_dir, f), "rb") as fh:
                    h.update(f.encode() + b"\0" + fh.read())
        out_dir = os.path.join(tempfile.gettempdir(), f"kap_sdk_bindings-{h.hexdigest()[:16]}")
    if not os.path.isdir(os.path.join(out_dir, "wit_world")):
        exe = os.path.join(os.path.dirname(sys.executable), "componentize-py")
        if not os.path.exists(exe):
            exe = "componentize-py"
        subprocess.run([exe, "-d", wit_dir, "-w", world, "bindings", out_dir], check=True)
    if out_dir not in sys.path:
        sys.path.insert(0, out_dir)
    return out_dir
