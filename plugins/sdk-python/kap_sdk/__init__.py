"""kap_sdk: write kube-ai-proxy plugins in Python with componentize-py.

A plugin declares its tools once, in ``plugin.toml``'s ``[[tools]]``; the SDK builds
``list-tools`` from them and dispatches ``call-tool`` / ``plan-call`` to the methods marked
with :func:`tool`::

    from kap_sdk import Plugin, tool, kube

    class Example(Plugin):
        @tool("list_namespaces")
        def list_namespaces(self, args, ctx):
            return "\\n".join(kube.names(kube.list("", "v1", "namespaces")))

    Tools, Prompts = Example.export()      # the classes componentize-py looks for

Build with ``componentize-py -d WIT_DIR -w plugin componentize app -p . -p SDK_DIR -o x.wasm``,
then embed the manifest with ``kube-ai-proxy plugins pack x.wasm plugin.toml -o plugin.wasm``.

This module imports the bindings componentize-py generates (``wit_world``), so it is
importable only inside ``componentize`` or next to bindings made with
``componentize-py -d WIT_DIR -w plugin bindings DIR`` (see :mod:`kap_sdk.testing`).
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from typing import Any, Callable, Iterable, Optional, Sequence

try:
    from componentize_py_types import Err
    from wit_world import exports as _exports
except ImportError as _e:  # plain CPython without the bindings
    raise ImportError(
        "kap_sdk needs the bindings componentize-py generates (wit_world). Inside "
        "`componentize-py -d WIT -w plugin componentize ...` they exist; for unit tests call "
        "kap_sdk_bindings.ensure(WIT_DIR) before importing kap_sdk"
    ) from _e
from wit_world.exports.prompts import (  # noqa: F401  (re-exported for authors)
    Prompt,
    PromptArgument,
    PromptError_InvalidArguments,
    PromptError_UnknownPrompt,
    PromptMessage,
    PromptResult,
    Role,
)
from wit_world.exports.tools import (  # noqa: F401
    Annotations,
    CallPlan,
    PlannedRequest,
    Tool,
    ToolError_Failed,
    ToolError_InvalidArguments,
    ToolError_UnknownTool,
    ToolOutput,
)
from wit_world.imports import log as _log
from wit_world.imports.types import CallContext  # noqa: F401

from . import kube
from .args import Args, InvalidArguments
from .kube import KubeException, Verb
from .manifest import Manifest, ManifestError, ToolDecl

__all__ = [
    "Args",
    "CallContext",
    "CallPlan",
    "InvalidArguments",
    "KubeException",
    "Manifest",
    "ManifestError",
    "Plugin",
    "Prompt",
    "PromptArgument",
    "PromptMessage",
    "PromptResult",
    "Role",
    "ToolFailed",
    "ToolOutput",
    "Verb",
    "call_plan",
    "error",
    "kube",
    "log",
    "output",
    "planned",
    "tool",
]

WIT = "kube-ai-proxy:plugin@0.2.0"


class ToolFailed(Exception):
    """Raise from a tool when it cannot run at all (WIT ``tool-error::failed``). For an
    operation that ran and failed (a denial, an API error), return :func:`error` instead."""


def output(text: str, structured: Any = None, is_error: bool = False) -> ToolOutput:
    """A tool's answer: ``text`` for the model, optional ``structured`` content (any JSON
    value that is an object, serialized here)."""
    s = None if structured is None else json.dumps(structured, separators=(",", ":"))
    return ToolOutput(text=text, structured=s, is_error=is_error)


def error(text: str) -> ToolOutput:
    """An answer that reports a failed operation (MCP ``isError``)."""
    return ToolOutput(text=text, structured=None, is_error=True)


def planned(
    verb: Verb,
    group: Optional[str],
    resource: str,
    *,
    namespace: Optional[str] = None,
    name: Optional[str] = None,
    subresource: Optional[str] = None,
) -> PlannedRequest:
    """One request a call is expected to make (``group`` ``""`` for core, ``None`` unknown)."""
    return PlannedRequest(
        verb=verb,
        group=group,
        resource=resource,
        subresource=subresource,
        namespace=namespace,
        name=name,
    )


def call_plan(
    family: str,
    command: str,
    requests: Iterable[PlannedRequest] = (),
    facts: Iterable[str] = (),
) -> CallPlan:
    """What a call stands for (``plan-call``): its command family, normalized command line,
    expected requests and policy facts."""
    return CallPlan(family=family, command=command, requests=list(requests), facts=list(facts))


class log:  # noqa: N801  (a namespace: log.info("..."))
    """The host's log (stderr and the MCP client's log; never stdout)."""

    @staticmethod
    def trace(message: str) -> None:
        _log.log(_log.Level.TRACE, message)

    @staticmethod
    def debug(message: str) -> None:
        _log.log(_log.Level.DEBUG, message)

    @staticmethod
    def info(message: str) -> None:
        _log.log(_log.Level.INFO, message)

    @staticmethod
    def warn(message: str) -> None:
        _log.log(_log.Level.WARN, message)

    @staticmethod
    def error(message: str) -> None:
        _log.log(_log.Level.ERROR, message)


class _Handler:
    """A method marked with :func:`tool`; ``.plan`` marks its ``plan-call`` method."""

    def __init__(self, name: str, fn: Callable[..., Any]):
        self.name = name
        self.fn = fn
        self.plan_fn: Optional[Callable[..., Any]] = None
        self.__doc__ = fn.__doc__

    def plan(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """Marks ``fn(self, args, ctx) -> CallPlan | None`` as this tool's ``plan-call``."""
        self.plan_fn = fn
        return fn


def tool(name: str) -> Callable[[Callable[..., Any]], _Handler]:
    """Marks a method ``fn(self, args: Args, ctx: CallContext)`` as the tool ``name`` of the
    manifest's ``[[tools]]``. It returns a ``str`` (the answer), a :class:`ToolOutput`
    (:func:`output`, :func:`error`), or a ``dict`` (structured content, also as text).
    A :class:`KubeException` it lets escape is answered as its text with ``is-error``; an
    :class:`InvalidArguments` as ``invalid-arguments``; any other exception as ``failed``."""

    def mark(fn: Callable[..., Any]) -> _Handler:
        return _Handler(name, fn)

    return mark


class Plugin:
    """Base class of a plugin. Subclass it, mark tool methods with :func:`tool`, and end the
    app module with ``Tools, Prompts = MyPlugin.export()``.

    Override :meth:`instructions`, :meth:`list_prompts`, :meth:`get_prompt` and
    :meth:`plan_call` as needed; the defaults add no instructions, no prompts, and plan no
    call unless a tool has a ``.plan`` method.

    ``manifest`` is the path of ``plugin.toml``, relative to the subclass's module (default:
    next to it). It is read at import time, i.e. when componentize-py pre-initializes the
    component, so the built component needs no file access.
    """

    manifest: str = "plugin.toml"

    def __init__(self, manifest: Optional[Manifest] = None):
        self._manifest = manifest if manifest is not None else self._load_manifest()
        self._decls = {t.name: t for t in self._manifest.tools}
        self._handlers: dict[str, _Handler] = {}
        for klass in reversed(type(self).__mro__):
            for value in vars(klass).values():
                if isinstance(value, _Handler):
                    self._handlers[value.name] = value
        declared, coded = set(self._decls), set(self._handlers)
        if declared != coded:
            parts = []
            if coded - declared:
                parts.append(
                    "marked with @tool but not in [[tools]]: " + ", ".join(sorted(coded - declared))
                )
            if declared - coded:
                parts.append(
                    "in [[tools]] but no @tool method: " + ", ".join(sorted(declared - coded))
                )
            raise ManifestError(f"{type(self).__name__}: " + "; ".join(parts))

    @classmethod
    def _manifest_path(cls) -> str:
        if os.path.isabs(cls.manifest):
            return cls.manifest
        module = sys.modules.get(cls.__module__)
        base = os.path.dirname(os.path.abspath(getattr(module, "__file__", None) or "."))
        return os.path.join(base, cls.manifest)

    @classmethod
    def _load_manifest(cls) -> Manifest:
        from . import manifest as _m

        return _m.load(cls._manifest_path())

    # -- what authors may override ------------------------------------------------------

    def instructions(self) -> Optional[str]:
        """Text added to the MCP server instructions; ``None`` adds nothing."""
        return None

    def list_prompts(self) -> list[Prompt]:
        """The plugin's MCP prompts."""
        return []

    def get_prompt(
        self, name: str, arguments: Sequence[tuple[str, str]], tools: Sequence[str]
    ) -> PromptResult:
        """Renders a prompt; raise ``Err(PromptError_InvalidArguments(...))`` for bad input."""
        raise Err(PromptError_UnknownPrompt(name))

    def plan_call(self, name: str, args: Args, ctx: CallContext) -> Optional[CallPlan]:
        """The call's plan: the tool's ``.plan`` method when it has one, else ``None``."""
        h = self._handlers[name]
        return None if h.plan_fn is None else h.plan_fn(self, args, ctx)

    # -- the WIT exports ------------------------------------------------------------------

    def tools(self) -> list[Tool]:
        """``list-tools``, from the manifest."""
        return [
            Tool(
                name=d.name,
                title=d.title,
                description=d.description,
                input_schema=d.schema_json(),
                annotations=Annotations(
                    read_only=d.read_only,
                    destructive=d.destructive,
                    idempotent=d.idempotent,
                    open_world=d.open_world,
                ),
                truncation_hint=d.truncation_hint,
            )
            for d in self._manifest.tools
        ]

    def _args(self, name: str, arguments: str) -> Args:
        if name not in self._handlers:
            raise Err(ToolError_UnknownTool(name))
        try:
            return Args.parse(name, arguments, self._decls[name].input_schema)
        except InvalidArguments as e:
            raise Err(ToolError_InvalidArguments(str(e))) from None

    def _call(self, name: str, arguments: str, ctx: CallContext) -> ToolOutput:
        args = self._args(name, arguments)
        try:
            answer = self._handlers[name].fn(self, args, ctx)
        except Err:
            raise
        except KubeException as e:
            return error(str(e))
        except InvalidArguments as e:
            raise Err(ToolError_InvalidArguments(str(e))) from None
        except ToolFailed as e:
            raise Err(ToolError_Failed(str(e))) from None
        except Exception as e:  # a bug in the tool: report it instead of trapping
            _log.log(_log.Level.ERROR, f"tool {name} raised:\n{traceback.format_exc()}")
            raise Err(ToolError_Failed(f"tool {name} failed: {type(e).__name__}: {e}")) from None
        return _as_output(name, answer)

    def _plan(self, name: str, arguments: str, ctx: CallContext) -> Optional[CallPlan]:
        args = self._args(name, arguments)
        try:
            return self.plan_call(name, args, ctx)
        except Err:
            raise
        except InvalidArguments as e:
            raise Err(ToolError_InvalidArguments(str(e))) from None
        except Exception as e:
            raise Err(ToolError_Failed(f"plan of {name} failed: {type(e).__name__}: {e}")) from None

    @classmethod
    def export(cls, *args: Any, **kwargs: Any) -> tuple[type, type]:
        """Creates the plugin (reading the manifest) and returns the ``Tools`` and
        ``Prompts`` classes componentize-py calls. Assign them at the app module's top
        level: ``Tools, Prompts = MyPlugin.export()``."""
        plugin = cls(*args, **kwargs)
        return export(plugin)


def _as_output(name: str, answer: Any) -> ToolOutput:
    if isinstance(answer, ToolOutput):
        return answer
    if isinstance(answer, str):
        return ToolOutput(text=answer, structured=None, is_error=False)
    if isinstance(answer, dict):
        return output(json.dumps(answer, indent=2), structured=answer)
    if answer is None:
        return ToolOutput(text="", structured=None, is_error=False)
    raise Err(
        ToolError_Failed(
            f"tool {name} returned {type(answer).__name__}; expected str, dict or ToolOutput"
        )
    )


def export(plugin: Plugin) -> tuple[type, type]:
    """The ``Tools`` and ``Prompts`` export classes bound to ``plugin``."""

    class Tools(_exports.Tools):
        def list_tools(self) -> list[Tool]:
            return plugin.tools()

        def instructions(self) -> Optional[str]:
            return plugin.instructions()

        def call_tool(self, name: str, arguments: str, ctx: CallContext) -> ToolOutput:
            return plugin._call(name, arguments, ctx)

        def plan_call(self, name: str, arguments: str, ctx: CallContext) -> Optional[CallPlan]:
            return plugin._plan(name, arguments, ctx)

    class Prompts(_exports.Prompts):
        def list_prompts(self) -> list[Prompt]:
            return plugin.list_prompts()

        def get_prompt(
            self, name: str, arguments: list[tuple[str, str]], tools: list[str]
        ) -> PromptResult:
            return plugin.get_prompt(name, arguments, tools)

    Tools.plugin = plugin  # type: ignore[attr-defined]
    Prompts.plugin = plugin  # type: ignore[attr-defined]
    return Tools, Prompts
