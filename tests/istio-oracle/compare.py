#!/usr/bin/env python3
"""The istio oracle: `istioctl analyze -A -o json` (the real binary) against our
`execute_istioctl` on the same cluster. Driven by tests/istio-oracle/run.sh.

Usage:
  compare.py ours OUT.json SERVER_COMMAND [ARGS...]
      Starts the server (MCP over stdio, the caller's environment), calls
      execute_istioctl {"command": "analyze -A -o json"} and writes
      {"is_error", "structured", "text"} to OUT.json, or {"error": "..."} when the call could
      not be made (no such tool, the server did not start). Needs the `mcp` SDK (.venv).
  compare.py compare ISTIOCTL.json OURS.json [NAMESPACE ...]
      Prints a markdown table per namespace of the (code, resource) findings on each side,
      then the message texts that differ for findings both sides report. NAMESPACEs are the
      fixture namespaces (rows even when neither side reports anything in them); any other
      namespace with a finding is listed after them, under "other namespaces".
      ISTIOCTL.json is istioctl's raw stdout (a JSON list of {code, level, origin, reference,
      message, documentationUrl}); ISTIOCTL.json.err holds its stderr and exit status if any.

Findings are compared as (code, kind, namespace, name), the kind case-insensitively: istioctl's `origin` is
"Kind ns/name" (namespaced) or "Kind name" (cluster-scoped, e.g. a Namespace); ours carries
`resource` in the same form, plus `kind`/`namespace`/`object`.

Exit status of `compare`: 0 when every fixture namespace agrees, 1 when one does not,
2 when a side is missing or unreadable (the table is still printed for the side there is).
"""

from __future__ import annotations

import json
import os
import sys
from collections import defaultdict

TOOL = "execute_istioctl"
COMMAND = "analyze -A -o json"
CLUSTER = "(cluster-scoped)"


# ---------------------------------------------------------------------------------------
# ours: one MCP call


def call_ours(out_path: str, argv: list[str]) -> int:
    try:
        import anyio
        from mcp import types
        from mcp.client.session import ClientSession
        from mcp.client.stdio import StdioServerParameters, stdio_client
    except ImportError as e:  # not the venv's python
        return write_json(out_path, {"error": f"the Python MCP SDK is not importable ({e}); "
                                              "run with .venv/bin/python (tests/python/setup-venv.sh)"})

    async def run() -> dict:
        params = StdioServerParameters(command=argv[0], args=argv[1:], env=dict(os.environ))
        async with stdio_client(params) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                names: list[str] = []
                cursor = None
                while True:
                    page = await session.list_tools(
                        params=types.PaginatedRequestParams(cursor=cursor) if cursor else None)
                    names.extend(t.name for t in page.tools)
                    cursor = page.next_cursor
                    if not cursor:
                        break
                if TOOL not in names:
                    return {"error": f"the server has no tool {TOOL} (is the istio plugin built "
                                     f"into target/plugins?); its tools: {', '.join(names)}"}
                result = await session.call_tool(TOOL, {"command": COMMAND})
                text = "\n".join(b.text for b in result.content if isinstance(b, types.TextContent))
                return {"is_error": bool(result.is_error),
                        "structured": result.structured_content,
                        "text": text}

    async def bounded() -> dict:
        with anyio.fail_after(float(os.environ.get("KAP_ORACLE_TIMEOUT", "300"))):
            return await run()

    try:
        doc = anyio.run(bounded)
    except Exception as e:  # the server failed to start, died, or timed out
        doc = {"error": f"MCP call failed: {type(e).__name__}: {e}"}
    return write_json(out_path, doc)


def write_json(path: str, doc: dict) -> int:
    with open(path, "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    if "error" in doc:
        print(f"compare.py ours: {doc['error']}", file=sys.stderr)
    return 0


# ---------------------------------------------------------------------------------------
# normalizing both sides to findings


class Finding:
    __slots__ = ("code", "level", "kind", "namespace", "name", "message")

    def __init__(self, code, level, kind, namespace, name, message):
        self.code, self.level, self.message = code or "?", level or "?", message or ""
        self.kind, self.namespace, self.name = kind, namespace, name

    @property
    def key(self) -> tuple[str, str, str]:
        """What is compared: the code and the object (kind case-insensitive)."""
        return (self.code, self.kind.lower(), self.name)

    @property
    def resource(self) -> str:
        if not self.kind and not self.name:
            return "(no resource)"
        return f"{self.kind}/{self.name}"

    @property
    def bucket(self) -> str:
        """The namespace row: the object's namespace; a Namespace object's own name."""
        if self.namespace:
            return self.namespace
        if self.kind.lower() == "namespace":
            return self.name
        return CLUSTER


def parse_origin(origin: str | None) -> tuple[str, str, str]:
    """istioctl's FriendlyName: "Kind ns/name" or "Kind name" -> (kind, namespace, name)."""
    if not origin:
        return ("", "", "")
    origin = origin.strip()
    if origin.startswith("[cluster-"):  # multi-cluster prefix, not expected here
        origin = origin.split("] ", 1)[-1]
    kind, _, full = origin.partition(" ")
    ns, slash, name = full.partition("/")
    if not slash:
        ns, name = "", full
    return (kind, ns, name)


def from_istioctl_objects(items: list) -> list[Finding]:
    out = []
    for m in items:
        kind, ns, name = parse_origin(m.get("origin"))
        out.append(Finding(m.get("code"), m.get("level"), kind, ns, name, m.get("message")))
    return out


def from_ours_structured(items: list) -> list[Finding]:
    out = []
    for m in items:
        kind, ns, name = parse_origin(m.get("resource"))
        # The explicit parts win when present (they cannot be misparsed).
        kind = m.get("kind") or kind or ""
        ns = m.get("namespace") if m.get("namespace") is not None else ns
        name = m.get("object") or name
        out.append(Finding(m.get("code"), m.get("level"), kind, ns or "", name, m.get("message")))
    return out


def load_istioctl(path: str) -> tuple[list[Finding] | None, str]:
    err_path = path + ".err"
    extra = ""
    if os.path.exists(err_path):
        with open(err_path) as f:
            extra = f.read().strip()
    if not os.path.exists(path):
        return None, f"no istioctl output at {path}" + (f"\n{extra}" if extra else "")
    with open(path) as f:
        raw = f.read()
    try:
        doc = json.loads(raw) if raw.strip() else []
    except json.JSONDecodeError as e:
        return None, f"istioctl's stdout is not JSON ({e}): {raw[:500]!r}" + (f"\n{extra}" if extra else "")
    if not isinstance(doc, list):
        return None, f"istioctl's JSON is not a list: {raw[:500]!r}"
    return from_istioctl_objects(doc), extra


def load_ours(path: str) -> tuple[list[Finding] | None, str]:
    if not os.path.exists(path):
        return None, f"no output of ours at {path}"
    with open(path) as f:
        try:
            doc = json.load(f)
        except json.JSONDecodeError as e:
            return None, f"{path} is not JSON: {e}"
    if "error" in doc:
        return None, doc["error"]
    note = ""
    s = doc.get("structured")
    if isinstance(s, dict):
        if s.get("not_analyzed"):
            why: dict[str, list[str]] = defaultdict(list)
            for u in s["not_analyzed"]:
                why[u.get("reason") or "?"].append(f"{u.get('resource')} in {u.get('namespace') or '*'}")
            note = "**ours could not read** (its findings there are unknown): " + "; ".join(
                f"{', '.join(what)}: {reason}" for reason, what in why.items())
        if isinstance(s.get("messages"), list):
            return from_ours_structured(s["messages"]), note
    if isinstance(s, list):
        return from_ours_structured(s), note
    # No structured content: the text is istioctl's own -o json.
    try:
        items = json.loads(doc.get("text") or "[]")
    except json.JSONDecodeError:
        return None, (f"ours returned neither structured messages nor JSON text "
                      f"(isError={doc.get('is_error')}): {(doc.get('text') or '')[:500]!r}")
    if not isinstance(items, list):
        return None, f"ours' JSON text is not a list: {(doc.get('text') or '')[:500]!r}"
    return from_istioctl_objects(items), note


# ---------------------------------------------------------------------------------------
# the report


def by_bucket(findings: list[Finding] | None) -> dict[str, dict[tuple, list[Finding]]]:
    out: dict[str, dict[tuple, list[Finding]]] = defaultdict(lambda: defaultdict(list))
    for f in findings or []:
        out[f.bucket][f.key].append(f)
        SHOWN.setdefault(f.key, f"{f.code} {f.resource}")
    return out


SHOWN: dict[tuple, str] = {}  # key -> "CODE Kind/name", as first seen


def cell(keys, other=None) -> str:
    if keys is None:
        return "(missing)"
    if not keys:
        return "—"
    parts = []
    for key in sorted(keys):
        s = SHOWN[key]
        if other is not None and key not in other:
            s = f"**{s}**"  # only on this side
        parts.append(s)
    return "<br>".join(parts)


def compare(ist_path: str, ours_path: str, fixture_ns: list[str]) -> int:
    ist, ist_note = load_istioctl(ist_path)
    ours, ours_note = load_ours(ours_path)
    print(f"# istioctl analyze -A -o json vs {TOOL} {COMMAND!r}\n")
    status = 0
    if ist is None:
        print(f"> **istioctl side missing**: {ist_note}\n")
        status = 2
    elif [l for l in ist_note.splitlines() if l.strip() and l.strip() != "exit status 0"]:
        print("> istioctl stderr: " + " / ".join(ist_note.splitlines())[:500] + "\n")
    if ours is None:
        print(f"> **our side missing**: {ours_note}\n")
        status = 2
    elif ours_note:
        print(f"> {ours_note}\n")

    bi, bo = by_bucket(ist), by_bucket(ours)
    fixtures = sorted(set(fixture_ns))
    others = sorted((set(bi) | set(bo)) - set(fixtures))
    totals = {"rows": 0, "agree": 0, "ist": 0, "ours": 0, "both": 0}
    disagree = []

    def table(title: str, namespaces: list[str], count: bool) -> None:
        if not namespaces:
            return
        print(f"## {title}\n")
        print("| namespace | istioctl | ours | agree |")
        print("|---|---|---|---|")
        for ns in namespaces:
            ki = set(bi.get(ns, {})) if ist is not None else None
            ko = set(bo.get(ns, {})) if ours is not None else None
            agree = ki is not None and ko is not None and ki == ko
            print(f"| {ns} | {cell(ki, ko)} | {cell(ko, ki)} | {'yes' if agree else 'no'} |")
            if count:
                totals["rows"] += 1
                totals["agree"] += agree
                totals["ist"] += len(ki or ())
                totals["ours"] += len(ko or ())
                totals["both"] += len((ki or set()) & (ko or set()))
                if not agree:
                    disagree.append(ns)
        print()

    table("Fixture namespaces", fixtures, True)
    if status != 2:
        print(f"**Totals (fixture namespaces)**: {totals['agree']}/{totals['rows']} namespaces agree; "
              f"(code, resource) findings: istioctl {totals['ist']}, ours {totals['ours']}, "
              f"both {totals['both']}, only istioctl {totals['ist'] - totals['both']}, "
              f"only ours {totals['ours'] - totals['both']}. **Bold**: found by one side only.\n")
    table("Other namespaces (not fixtures; not counted)", others, False)

    # Message texts (and levels) where both found the same code + resource.
    diffs = []
    for ns in fixtures + others:
        for key in sorted(set(bi.get(ns, {})) & set(bo.get(ns, {}))):
            a = sorted((f.level, f.message) for f in bi[ns][key])
            b = sorted((f.level, f.message) for f in bo[ns][key])
            if a != b:
                diffs.append((ns, key, a, b))
    if ist is not None and ours is not None:
        print("## Messages that differ (same code and resource)\n")
        if not diffs:
            print("None: every common finding has the same level and text on both sides.\n")
        for ns, key, a, b in diffs:
            code, _, res = SHOWN[key].partition(" ")
            print(f"- `{code}` {res} in {ns}:")
            for lvl, m in a:
                if (lvl, m) not in b:
                    print(f"  - istioctl ({lvl}): `{m}`")
            for lvl, m in b:
                if (lvl, m) not in a:
                    print(f"  - ours ({lvl}): `{m}`")
        print()
    if status == 0 and (disagree or diffs):
        status = 1
    if disagree and status != 2:
        print(f"Disagreeing fixture namespaces: {', '.join(disagree)}")
    return status


def main(argv: list[str]) -> int:
    if len(argv) >= 3 and argv[0] == "ours":
        return call_ours(argv[1], argv[2:])
    if len(argv) >= 3 and argv[0] == "compare":
        return compare(argv[1], argv[2], argv[3:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
