#!/usr/bin/env python3
"""End-to-end check of an MCP server over stdio with the official Python SDK (mcp 2.x).

Usage: check_server.py SERVER_COMMAND [ARGS...]

The server is started with the caller's environment (so KUBECONFIG and PATH pass through).
The check initializes a session, lists the tools (all pages), asserts that
`execute_kubectl` and `describe_kubectl` exist, calls
`execute_kubectl {"command": "get namespaces"}` and asserts the result is not an error and
its text mentions `kube-system` and `default`.

Exit status: 0 on success, 1 on a failed check or a protocol/transport error, 2 on usage.
Env: KAP_CHECK_TIMEOUT (seconds, default 60) bounds the whole run.
"""

from __future__ import annotations

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
    return report


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
