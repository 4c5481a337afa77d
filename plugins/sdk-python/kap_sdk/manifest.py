"""The tools of a plugin's manifest (``plugin.toml``), so tools are declared once.

Each ``[[tools]]`` table (the same fields and defaults as the Rust SDK, ``kap_sdk::manifest``):

=================== ============================ ======================================
field               type                         default
=================== ============================ ======================================
``name``            string                       required
``title``           string                       none
``description``     string                       required
``read_only``       bool                         ``false``
``destructive``     bool                         ``false``
``idempotent``      bool                         ``false``
``open_world``      bool                         ``false``
``input_schema``    table (a JSON Schema)        ``{"type": "object", "properties": {}}``
``truncation_hint`` string                       none
=================== ============================ ======================================

The rest of the manifest (capabilities, name, version) is the host's business: the host reads
it from the component's ``kube-ai-proxy:manifest`` section, which ``kube-ai-proxy plugins pack``
writes from the same file.

The manifest is read when the app module is imported. componentize-py imports it at build
time (pre-initialization) with the ``-p`` directories readable, and snapshots the result, so
the component needs no file access at run time.
"""

from __future__ import annotations

import json
import os
import tomllib
from dataclasses import dataclass, field
from typing import Any, Optional

FIELDS = {
    "name",
    "title",
    "description",
    "read_only",
    "destructive",
    "idempotent",
    "open_world",
    "input_schema",
    "truncation_hint",
}

DEFAULT_SCHEMA: dict[str, Any] = {"type": "object", "properties": {}}


class ManifestError(ValueError):
    """The manifest cannot be read or a ``[[tools]]`` table is wrong; the text says which."""


@dataclass
class ToolDecl:
    """One ``[[tools]]`` table."""

    name: str
    description: str
    title: Optional[str] = None
    read_only: bool = False
    destructive: bool = False
    idempotent: bool = False
    open_world: bool = False
    input_schema: dict[str, Any] = field(default_factory=lambda: dict(DEFAULT_SCHEMA))
    truncation_hint: Optional[str] = None

    def schema_json(self) -> str:
        """The input schema as the JSON string ``tool.input-schema`` carries."""
        return json.dumps(self.input_schema, separators=(",", ":"), sort_keys=True)


@dataclass
class Manifest:
    """What the SDK reads of ``plugin.toml``."""

    name: str
    wit: str
    tools: list[ToolDecl]
    raw: dict[str, Any]


def _expect(where: str, key: str, value: Any, kind: type) -> Any:
    if not isinstance(value, kind):
        raise ManifestError(
            f"{where}: {key} must be a {kind.__name__}, got {type(value).__name__}"
        )
    return value


def parse_tools(doc: dict[str, Any]) -> list[ToolDecl]:
    """The ``[[tools]]`` of a parsed manifest. Errors name the tool and the field."""
    tables = doc.get("tools", [])
    if not isinstance(tables, list):
        raise ManifestError("tools must be an array of tables ([[tools]])")
    out: list[ToolDecl] = []
    seen: set[str] = set()
    for i, t in enumerate(tables):
        where = f"[[tools]] #{i + 1}"
        if not isinstance(t, dict):
            raise ManifestError(f"{where}: must be a table")
        unknown = sorted(set(t) - FIELDS)
        if unknown:
            raise ManifestError(
                f"{where}: unknown field(s) {', '.join(unknown)} "
                f"(known: {', '.join(sorted(FIELDS))})"
            )
        for key in ("name", "description"):
            if key not in t:
                raise ManifestError(f"{where}: missing {key}")
        name = _expect(where, "name", t["name"], str)
        where = f"tool {name}"
        if name in seen:
            raise ManifestError(f"{where}: declared twice")
        seen.add(name)
        schema = t.get("input_schema", DEFAULT_SCHEMA)
        _expect(where, "input_schema", schema, dict)
        if schema.get("type") != "object":
            raise ManifestError(
                f'{where}: input_schema must be an object schema (type = "object")'
            )
        title = t.get("title")
        hint = t.get("truncation_hint")
        out.append(
            ToolDecl(
                name=name,
                description=_expect(where, "description", t["description"], str),
                title=None if title is None else _expect(where, "title", title, str),
                read_only=_expect(where, "read_only", t.get("read_only", False), bool),
                destructive=_expect(where, "destructive", t.get("destructive", False), bool),
                idempotent=_expect(where, "idempotent", t.get("idempotent", False), bool),
                open_world=_expect(where, "open_world", t.get("open_world", False), bool),
                input_schema=dict(schema),
                truncation_hint=None
                if hint is None
                else _expect(where, "truncation_hint", hint, str),
            )
        )
    return out


def parse(text: str) -> Manifest:
    """Parses the text of ``plugin.toml``."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ManifestError(f"plugin.toml: {e}") from None
    return Manifest(
        name=str(doc.get("name", "")),
        wit=str(doc.get("wit", "")),
        tools=parse_tools(doc),
        raw=doc,
    )


def load(path: str | os.PathLike[str]) -> Manifest:
    """Reads and parses ``plugin.toml`` at ``path``."""
    try:
        with open(path, "rb") as f:
            text = f.read().decode("utf-8")
    except OSError as e:
        raise ManifestError(
            f"cannot read the manifest {os.fspath(path)!r}: {e}. componentize-py reads it at "
            "build time: keep plugin.toml in a directory passed with -p (next to the app "
            "module), or set Plugin.manifest to its path"
        ) from None
    try:
        return parse(text)
    except ManifestError as e:
        raise ManifestError(f"{os.fspath(path)}: {e}") from None
