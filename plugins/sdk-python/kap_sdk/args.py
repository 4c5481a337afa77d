"""A tool's JSON arguments, with errors that say which argument is wrong and why.

Every error is an :class:`InvalidArguments`, answered to the client as the WIT
``tool-error::invalid-arguments`` (the call does not run).
"""

from __future__ import annotations

import json
from typing import Any, Optional

_MISSING = object()

_JSON_TYPES = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
    "null": (type(None),),
}


class InvalidArguments(ValueError):
    """The arguments do not match the tool's schema or cannot be parsed."""


def _type_ok(value: Any, wanted: str) -> bool:
    kinds = _JSON_TYPES.get(wanted)
    if kinds is None:
        return True
    if isinstance(value, bool) and bool not in kinds:
        return False  # JSON true is not an integer
    return isinstance(value, kinds)


def _kind(value: Any) -> str:
    for name, kinds in _JSON_TYPES.items():
        if _type_ok(value, name):
            return name
    return type(value).__name__


class Args:
    """The arguments of one call: a JSON object, checked against the tool's schema's
    ``required`` list and its top-level properties' ``type`` and ``enum``.

    Read them with :meth:`str`, :meth:`int`, :meth:`bool`, :meth:`list`, :meth:`get`, or as a
    mapping (``args["name"]``, ``"name" in args``)."""

    def __init__(self, tool: str, data: dict[str, Any]):
        self.tool = tool
        self.data = data

    @classmethod
    def parse(cls, tool: str, text: str, schema: Optional[dict[str, Any]] = None) -> "Args":
        """Parses ``text`` (a JSON object; empty means ``{}``) and checks it against ``schema``."""
        if text is None or not text.strip():
            data: Any = {}
        else:
            try:
                data = json.loads(text)
            except ValueError as e:
                raise InvalidArguments(f"{tool}: the arguments are not valid JSON: {e}") from None
        if not isinstance(data, dict):
            raise InvalidArguments(
                f"{tool}: the arguments must be a JSON object, got {_kind(data)}"
            )
        args = cls(tool, data)
        if schema:
            args.check(schema)
        return args

    def check(self, schema: dict[str, Any]) -> None:
        """Checks required arguments, top-level types and enums, and (when the schema says
        ``additionalProperties = false``) unknown arguments."""
        props = schema.get("properties", {}) or {}
        for name in schema.get("required", []) or []:
            if name not in self.data:
                raise InvalidArguments(f"{self.tool}: missing required argument {name!r}")
        if schema.get("additionalProperties") is False:
            unknown = sorted(set(self.data) - set(props))
            if unknown:
                known = ", ".join(sorted(props)) or "none"
                raise InvalidArguments(
                    f"{self.tool}: unknown argument(s) {', '.join(unknown)} (known: {known})"
                )
        for name, value in self.data.items():
            spec = props.get(name)
            if not isinstance(spec, dict):
                continue
            wanted = spec.get("type")
            types = wanted if isinstance(wanted, list) else [wanted] if wanted else []
            if types and not any(_type_ok(value, t) for t in types):
                raise InvalidArguments(
                    f"{self.tool}: argument {name!r} must be {' or '.join(types)}, "
                    f"got {_kind(value)}"
                )
            if "enum" in spec and value not in spec["enum"]:
                allowed = ", ".join(json.dumps(v) for v in spec["enum"])
                raise InvalidArguments(
                    f"{self.tool}: argument {name!r} must be one of {allowed}, got {json.dumps(value)}"
                )

    def __contains__(self, name: str) -> bool:
        return name in self.data

    def __getitem__(self, name: str) -> Any:
        if name not in self.data:
            raise InvalidArguments(f"{self.tool}: missing required argument {name!r}")
        return self.data[name]

    def get(self, name: str, default: Any = None) -> Any:
        """The argument, or ``default`` when absent (any JSON type)."""
        return self.data.get(name, default)

    def _typed(self, name: str, default: Any, wanted: str) -> Any:
        value = self.data.get(name, _MISSING)
        if value is _MISSING or value is None:
            if default is _MISSING:
                raise InvalidArguments(f"{self.tool}: missing required argument {name!r}")
            return default
        if not _type_ok(value, wanted):
            raise InvalidArguments(
                f"{self.tool}: argument {name!r} must be {wanted}, got {_kind(value)}"
            )
        return value

    def str(self, name: str, default: Any = _MISSING) -> Any:
        """A string argument; required unless ``default`` is given."""
        return self._typed(name, default, "string")

    def int(self, name: str, default: Any = _MISSING) -> Any:
        """An integer argument; required unless ``default`` is given."""
        return self._typed(name, default, "integer")

    def bool(self, name: str, default: Any = _MISSING) -> Any:
        """A boolean argument; required unless ``default`` is given."""
        return self._typed(name, default, "boolean")

    def list(self, name: str, default: Any = _MISSING) -> Any:
        """An array argument; required unless ``default`` is given."""
        return self._typed(name, default, "array")
