"""A fake of the host for unit tests of a plugin, run with plain CPython (no component).

The SDK imports the bindings componentize-py generates, so generate them once and put them
on ``sys.path`` first (``kap_sdk_bindings.ensure`` does both; it lives outside the package
because importing ``kap_sdk`` needs the bindings)::

    import kap_sdk_bindings
    kap_sdk_bindings.ensure("path/to/wit")   # before importing kap_sdk or the app
    from kap_sdk.testing import FakeHost
    import app

    host = FakeHost()
    host.respond(Verb.LIST, "", "namespaces", body={"items": [{"metadata": {"name": "default"}}]})
    out = host.call(app.Tools, "list_namespaces", {})
    assert out.text == "default"

Requests nobody registered are refused as ``denied`` (rule ``fake.unregistered``), so a test
also shows what the plugin asked for (``host.sent``).
"""

from __future__ import annotations

import json
from typing import Any, Optional


class FakeHost:
    """Stands in for the host's ``kube`` and ``log`` imports while it is alive (until
    :meth:`close`; also a context manager)."""

    def __init__(self) -> None:
        from componentize_py_types import Err
        from wit_world.imports import kube as wk
        from wit_world.imports import log as wl

        self._wk, self._wl, self._Err = wk, wl, Err
        self._saved = (wk.send, wl.log)
        self.answers: dict[tuple, Any] = {}
        self.sent: list[Any] = []
        self.logs: list[tuple[str, str]] = []
        wk.send = self._send
        wl.log = lambda level, message: self.logs.append((level.name.lower(), message))

    def close(self) -> None:
        self._wk.send, self._wl.log = self._saved

    def __enter__(self) -> "FakeHost":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def respond(
        self,
        verb: Any,
        group: str,
        resource: str,
        namespace: Optional[str] = None,
        name: Optional[str] = None,
        *,
        body: Any = None,
        error: Any = None,
        status: int = 200,
    ) -> None:
        """Answers the matching request with ``body`` (JSON-serialized unless a string) or
        raises the typed ``error`` (e.g. ``KubeError_Denied(Denial(rule, reason))``)."""
        self.answers[(verb, group, resource, namespace, name)] = (body, error, status)

    def deny(self, verb: Any, group: str, resource: str, namespace: Optional[str] = None,
             rule: str = "grant.kube.requested-resource", reason: str = "not requested") -> None:
        """Refuses the matching request as the host's gate would."""
        from wit_world.imports.kube import Denial, KubeError_Denied

        self.respond(verb, group, resource, namespace, error=KubeError_Denied(Denial(rule, reason)))

    def _send(self, req: Any) -> Any:
        from wit_world.imports.kube import Denial, KubeError_Denied, Response

        self.sent.append(req)
        key = (req.verb, req.group, req.resource, req.namespace, req.name)
        if key not in self.answers:
            raise self._Err(KubeError_Denied(Denial("fake.unregistered", f"no fake answer for {key}")))
        body, error, status = self.answers[key]
        if error is not None:
            raise self._Err(error)
        text = body if isinstance(body, str) else json.dumps(body)
        return Response(status=status, body=text)

    @staticmethod
    def context(**fields: Any) -> Any:
        """A ``call-context`` with test defaults; ``fields`` override them."""
        from wit_world.imports.types import CallContext

        values = dict(
            request_id="test-1",
            kube_context="test",
            default_namespace="default",
            timeout_ms=30_000,
            max_output_chars=100_000,
            process=None,
        )
        values.update(fields)
        return CallContext(**values)

    def call(self, tools_class: type, tool: str, args: Any = None, ctx: Any = None) -> Any:
        """Calls ``tool`` through the export class (``Tools``) as the host would; returns the
        ``ToolOutput`` or raises ``Err(ToolError_...)``."""
        text = args if isinstance(args, str) else json.dumps(args or {})
        return tools_class().call_tool(tool, text, ctx or self.context())

    def plan(self, tools_class: type, tool: str, args: Any = None, ctx: Any = None) -> Any:
        """``plan-call`` through the export class."""
        text = args if isinstance(args, str) else json.dumps(args or {})
        return tools_class().plan_call(tool, text, ctx or self.context())
