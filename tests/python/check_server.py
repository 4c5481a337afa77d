#!/usr/bin/env python3
"""End-to-end check of an MCP server over stdio with the official Python SDK (mcp 2.x).

Usage: check_server.py SERVER_COMMAND [ARGS...]

The server is started with the caller's environment (so KUBECONFIG and PATH pass through).
The check initializes a session, lists the tools (all pages), asserts that
`execute_kubectl` and `describe_kubectl` exist, calls
`execute_kubectl {"command": "get namespaces"}` and asserts the result is not an error and
its text mentions `kube-system` and `default`. Then it checks confirmation through MCP
elicitation (the SDK's `elicitation_callback`): a ConfigMap applied through the server is
deleted only when the callback says yes, after being shown the server-side dry run, and kept
when it says no. Finally it lists the prompts and resources, renders
`review_namespace_security` and reads `k8s://context`.

Exit status: 0 on success, 1 on a failed check or a protocol/transport error, 2 on usage.
Env: KAP_CHECK_TIMEOUT (seconds, default 60) bounds the whole run.
"""

from __future__ import annotations

import json
import os
import sys
import time

import anyio
from mcp import types
from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client

REQUIRED_TOOLS = ("execute_kubectl", "describe_kubectl")


class CheckFailed(Exception):
    pass


def check(cond: bool, msg: str) -> None:
    if not cond:
        raise CheckFailed(msg)


def text_of(result: types.CallToolResult) -> str:
    parts = []
    for block in result.content:
        if isinstance(block, types.TextContent):
            parts.append(block.text)
    return "\n".join(parts)


async def run(argv: list[str]) -> list[str]:
    report: list[str] = []
    params = StdioServerParameters(command=argv[0], args=argv[1:], env=dict(os.environ))
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            t0 = time.monotonic()
            init = await session.initialize()
            info = init.server_info
            report.append(
                f"initialize: server={info.name} {info.version} protocol={init.protocol_version} "
                f"({(time.monotonic() - t0) * 1000:.0f} ms)"
            )

            tools: list[types.Tool] = []
            cursor: str | None = None
            while True:
                page = await session.list_tools(
                    params=types.PaginatedRequestParams(cursor=cursor) if cursor else None
                )
                tools.extend(page.tools)
                cursor = page.next_cursor
                if not cursor:
                    break
            names = [t.name for t in tools]
            report.append(f"tools/list: {len(names)} tools: {', '.join(names)}")
            missing = [n for n in REQUIRED_TOOLS if n not in names]
            check(not missing, f"tools missing from tools/list: {missing} (got {names})")

            t0 = time.monotonic()
            result = await session.call_tool("execute_kubectl", {"command": "get namespaces"})
            check(
                isinstance(result, types.CallToolResult),
                f"tools/call returned {type(result).__name__}, not CallToolResult",
            )
            text = text_of(result)
            report.append(
                f"tools/call execute_kubectl 'get namespaces': isError={result.is_error} "
                f"({(time.monotonic() - t0) * 1000:.0f} ms), {len(text)} chars of text"
            )
            check(not result.is_error, f"execute_kubectl returned isError=true:\n{text}")
            for ns in ("kube-system", "default"):
                check(ns in text, f"execute_kubectl output lacks {ns!r}:\n{text}")
    for accept in (False, True):
        report.append(await confirm_round(params, accept))
    report.append(await prompts_and_resources(params))
    return report


EXPECTED_PROMPTS = (
    "troubleshoot_workload",
    "deploy_application",
    "scale_safely",
    "review_namespace_security",
    "analyze_logs",
    "inventory_resources",
)
EXPECTED_RESOURCES = ("k8s://context", "k8s://namespaces", "k8s://cluster-info")


async def prompts_and_resources(params: StdioServerParameters) -> str:
    """Lists the prompts and resources, renders one prompt and reads `k8s://context`."""
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            prompts = [p.name for p in (await session.list_prompts()).prompts]
            missing = [p for p in EXPECTED_PROMPTS if p not in prompts]
            check(not missing, f"prompts missing from prompts/list: {missing} (got {prompts})")
            got = await session.get_prompt("review_namespace_security", {"namespace": "kube-system"})
            prompt_text = " ".join(
                m.content.text for m in got.messages if isinstance(m.content, types.TextContent)
            )
            check("kube-system" in prompt_text and "execute_kubectl" in prompt_text,
                  f"the rendered prompt lacks the namespace or the tool:\n{prompt_text}")
            resources = [str(r.uri).rstrip("/") for r in (await session.list_resources()).resources]
            missing = [r for r in EXPECTED_RESOURCES if r not in resources]
            check(not missing, f"resources missing from resources/list: {missing} (got {resources})")
            read_result = await session.read_resource("k8s://context")
            texts = [c.text for c in read_result.contents if isinstance(c, types.TextResourceContents)]
            check(len(texts) == 1, f"k8s://context returned {read_result.contents!r}")
            context = json.loads(texts[0])
            check(isinstance(context.get("context"), str) and context["context"],
                  f"k8s://context has no context name: {texts[0]}")
            check("https://" not in texts[0], f"k8s://context leaks the server URL: {texts[0]}")
    return (f"prompts/list: {len(prompts)} prompts; resources/list: {len(resources)} resources; "
            f"k8s://context: context={context['context']} namespace={context.get('namespace')}")


MANIFEST = """apiVersion: v1
kind: ConfigMap
metadata:
  name: kap-python-confirm
  namespace: default
data:
  k: v
"""


async def confirm_round(params: StdioServerParameters, accept: bool) -> str:
    """Applies a ConfigMap, asks to delete it with a person who says `accept`."""
    shown: list[str] = []

    async def person(context, req: types.ElicitRequestParams) -> types.ElicitResult:
        shown.append(getattr(req, "message", ""))
        if accept:
            return types.ElicitResult(action="accept", content={"confirm": True})
        return types.ElicitResult(action="decline")

    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write, elicitation_callback=person) as session:
            await session.initialize()
            applied = await session.call_tool(
                "execute_kubectl", {"command": "apply -f -", "manifest": MANIFEST}
            )
            check(not applied.is_error, f"apply failed:\n{text_of(applied)}")
            deleted = await session.call_tool(
                "execute_kubectl", {"command": "delete configmap kap-python-confirm -n default"}
            )
            check(len(shown) == 1, f"expected one elicitation, got {len(shown)}")
            check("Would delete" in shown[0], f"the question lacks the dry run:\n{shown[0]}")
            check("kap-python-confirm" in shown[0], f"the question lacks the object:\n{shown[0]}")
            after = await session.call_tool(
                "execute_kubectl", {"command": "get configmap kap-python-confirm -n default"}
            )
            if accept:
                check(not deleted.is_error, f"confirmed delete failed:\n{text_of(deleted)}")
                gone = text_of(after)
                check(after.is_error and ("NotFound" in gone or "not found" in gone),
                      f"the ConfigMap survived a confirmed delete:\n{gone}")
            else:
                check(deleted.is_error, f"a declined delete ran:\n{text_of(deleted)}")
                check("did not confirm" in text_of(deleted), text_of(deleted))
                check(not after.is_error, f"the ConfigMap is gone after a no:\n{text_of(after)}")
    return f"confirmation by elicitation: person said {'yes' if accept else 'no'}: ok"


def leaf(exc: BaseException) -> BaseException:
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


def main() -> int:
    argv = sys.argv[1:]
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    timeout = float(os.environ.get("KAP_CHECK_TIMEOUT", "60"))

    async def bounded() -> list[str]:
        with anyio.fail_after(timeout):
            return await run(argv)

    try:
        report = anyio.run(bounded)
    except BaseException as e:  # noqa: BLE001 - report anything, including ExceptionGroups
        err = leaf(e)
        if isinstance(err, KeyboardInterrupt):
            raise
        if isinstance(err, CheckFailed):
            print(f"check_server: FAIL: {err}", file=sys.stderr)
        elif isinstance(err, TimeoutError):
            print(f"check_server: FAIL: no result within {timeout:.0f}s (KAP_CHECK_TIMEOUT)", file=sys.stderr)
        else:
            print(f"check_server: FAIL: {type(err).__name__}: {err}", file=sys.stderr)
        return 1
    for line in report:
        print(f"check_server: {line}")
    print("check_server: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
