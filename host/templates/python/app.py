"""{{name}}: a kube-ai-proxy plugin written in Python, built with componentize-py.

The tools are declared once, in plugin.toml: this module reads its `[[tools]]` when
componentize-py builds the component (it runs the module once and snapshots it), so the
component needs no file access at run time. `call_tool` implements them.
"""

import json
import os
import tomllib

from componentize_py_types import Err
from wit_world import exports
from wit_world.exports import prompts, tools
from wit_world.imports import kube, log, types

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "plugin.toml"), "rb") as f:
    MANIFEST = tomllib.load(f)


def list_namespaces() -> tools.ToolOutput:
    """`{{tool}}`: the cluster's namespace names, one per line."""
    request = kube.Request(
        verb=kube.Verb.LIST,
        group="",
        version="v1",
        resource="namespaces",
        subresource=None,
        namespace=None,
        name=None,
        query=[],
        body=None,
        patch_type=None,
        output=kube.OutputFormat.JSON,
    )
    try:
        response = kube.send(request)
    except Err as e:
        # A refusal (policy, grant, RBAC) or an API error: report it to the model.
        return tools.ToolOutput(text=error_text(e.value), structured=None, is_error=True)
    items = json.loads(response.body).get("items", [])
    names = [item["metadata"]["name"] for item in items]
    return tools.ToolOutput(text="\n".join(names), structured=None, is_error=False)


def error_text(e: kube.KubeError) -> str:
    """A capability failure in words."""
    if isinstance(e, (kube.KubeError_Denied, kube.KubeError_Forbidden)):
        return f"refused ({e.value.rule}): {e.value.reason}"
    if isinstance(e, kube.KubeError_Api):
        return f"Error from server ({e.value.reason}): {e.value.message}"
    return f"error: {e.value}"


class Tools(exports.Tools):
    """The exported `tools` interface."""

    def list_tools(self) -> list[tools.Tool]:
        return [
            tools.Tool(
                name=t["name"],
                title=None,
                description=t.get("description", ""),
                input_schema=json.dumps(t.get("input_schema", {"type": "object", "properties": {}})),
                annotations=tools.Annotations(
                    read_only=t.get("read_only", False),
                    destructive=t.get("destructive", False),
                    idempotent=t.get("read_only", False),
                    open_world=False,
                ),
                truncation_hint=None,
            )
            for t in MANIFEST.get("tools", [])
        ]

    def instructions(self) -> str | None:
        return None

    def call_tool(self, name: str, arguments: str, ctx: types.CallContext) -> tools.ToolOutput:
        if name == "{{tool}}":
            log.log(log.Level.DEBUG, "listing namespaces")
            return list_namespaces()
        raise Err(tools.ToolError_UnknownTool(name))

    def plan_call(self, name: str, arguments: str, ctx: types.CallContext) -> tools.CallPlan | None:
        # No command form: the host decides each request as it is made.
        return None


class Prompts(exports.Prompts):
    """The exported `prompts` interface: this plugin offers none."""

    def list_prompts(self) -> list[prompts.Prompt]:
        return []

    def get_prompt(
        self, name: str, arguments: list[tuple[str, str]], tools: list[str]
    ) -> prompts.PromptResult:
        raise Err(prompts.PromptError_UnknownPrompt(name))
