#!/usr/bin/env python3
"""Small component-binary helpers for build.sh (no dependencies).

    wasm_component.py imports FILE            top-level imports, exports, custom sections
    wasm_component.py check-imports FILE      fails unless every import is kube-ai-proxy:plugin/*
                                              or wasi:*

The manifest is embedded by `kube-ai-proxy plugins pack`, never here.
"""

import sys

COMPONENT_HEADER = b"\0asm\x0d\x00\x01\x00"


def leb(buf, pos):
    value = shift = 0
    while True:
        b = buf[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return value, pos


def name(buf, pos):
    n, pos = leb(buf, pos)
    return buf[pos : pos + n].decode("utf-8"), pos + n


def extern_name(buf, pos):
    kind = buf[pos]
    nm, pos = name(buf, pos + 1)
    if kind == 0x01:  # with a version suffix
        _, pos = name(buf, pos)
    elif kind != 0x00:
        raise ValueError(f"unknown import/export name form {kind:#x}")
    return nm, pos


def externdesc(buf, pos):
    kind = buf[pos]
    pos += 1
    if kind == 0x00:  # core module: 0x11 typeidx
        pos += 1
        _, pos = leb(buf, pos)
    elif kind in (0x01, 0x04, 0x05):
        _, pos = leb(buf, pos)
    elif kind in (0x02, 0x03):  # value / type bound
        pos += 1
        _, pos = leb(buf, pos)
    else:
        raise ValueError(f"unknown externdesc {kind:#x}")
    return ["core-module", "func", "value", "type", "component", "instance"][kind], pos


def sections(buf):
    if buf[:8] != COMPONENT_HEADER:
        raise ValueError("not a WebAssembly component (wrong header)")
    pos = 8
    while pos < len(buf):
        sid = buf[pos]
        size, start = leb(buf, pos + 1)
        yield sid, buf[start : start + size]
        pos = start + size


def summary(buf):
    imports, exports, customs = [], [], []
    for sid, body in sections(buf):
        if sid == 0:
            customs.append(name(body, 0)[0])
        elif sid == 10:
            count, p = leb(body, 0)
            for _ in range(count):
                nm, p = extern_name(body, p)
                kind, p = externdesc(body, p)
                imports.append((nm, kind))
        elif sid == 11:
            count, p = leb(body, 0)
            for _ in range(count):
                nm, p = extern_name(body, p)
                sort = body[p]
                p += 2 if sort == 0x00 else 1
                _, p = leb(body, p)
                if body[p] == 0x01:
                    _, p = externdesc(body, p + 1)
                else:
                    p += 1
                exports.append(nm)
    return imports, exports, customs


def main(argv):
    if len(argv) >= 2 and argv[0] in ("imports", "check-imports"):
        buf = open(argv[1], "rb").read()
        imports, exports, customs = summary(buf)
        for nm, kind in imports:
            print(f"import {kind} {nm}")
        for nm in exports:
            print(f"export {nm}")
        for nm in customs:
            print(f"custom {nm}")
        if argv[0] == "check-imports":
            bad = [
                nm
                for nm, _ in imports
                if not (nm.startswith("kube-ai-proxy:plugin/") or nm.startswith("wasi:"))
            ]
            if bad:
                print("imports the host does not provide: " + ", ".join(bad), file=sys.stderr)
                return 1
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
