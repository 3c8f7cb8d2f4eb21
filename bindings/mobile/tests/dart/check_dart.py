"""Checks the generated Dart binding against the library it will load, without a Dart SDK.

No Dart SDK can be installed on the build machine, so the Flutter binding cannot be compiled
or run here. This script checks what can be checked, and exits non-zero on any failure:

1. Syntax: the generated file parses with the tree-sitter Dart grammar with no ERROR or
   MISSING node (Dart 3 class modifiers, records and patterns included).
2. Linkage: every native symbol the Dart code looks up exists in the library's dynamic symbol
   table — and every exported API function (`uniffi_<crate>_fn_*`) is looked up by the Dart
   code, so the binding covers the whole API.
3. Integrity: the UniFFI contract version and every API checksum the Dart code expects equal
   what the library returns (the same check the Dart runtime does when it opens the library;
   here the library is called through ctypes).

Usage: check_dart.py GENERATED.dart LIBRARY.so
"""

from __future__ import annotations

import ctypes
import re
import subprocess
import sys

import tree_sitter
import tree_sitter_dart


def syntax_errors(src: bytes) -> list[str]:
    parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_dart.language()))
    tree = parser.parse(src)
    out: list[str] = []
    stack = [tree.root_node]
    while stack:
        n = stack.pop()
        if n.type == "ERROR" or n.is_missing:
            line, col = n.start_point
            snippet = src[n.start_byte : n.end_byte][:80].decode("utf-8", "replace")
            out.append(f"line {line + 1}:{col + 1}: {n.type}{' (missing)' if n.is_missing else ''}: {snippet!r}")
        stack.extend(n.children)
    return out


def exported(lib_path: str) -> set[str]:
    nm = subprocess.run(
        ["nm", "-D", "--defined-only", lib_path], check=True, capture_output=True, text=True
    ).stdout
    return {line.split()[-1] for line in nm.splitlines() if line.strip()}


def main() -> int:
    dart_path, lib_path = sys.argv[1], sys.argv[2]
    src = open(dart_path, "rb").read()
    text = src.decode("utf-8")
    failures: list[str] = []

    errs = syntax_errors(src)
    failures += [f"syntax: {e}" for e in errs[:20]]

    crate = re.search(r"'ffi_(\w+)_uniffi_contract_version'", text)
    if not crate:
        print("FAIL: no contract-version lookup in the Dart file")
        return 1
    crate_name = crate.group(1)
    # Every native symbol the Dart code resolves. A `late final _x = _lib.lookupFunction(..)`
    # is resolved only when `_x` is used, so a lookup whose field is never used is skipped
    # (the generator declares `rust_bytes_free` for a code path our API does not produce).
    wanted: set[str] = set()
    for m in re.finditer(r"lookupFunction<.*?>\('([A-Za-z0-9_.]+)'\)", text):
        decl = re.search(r"late final .* (\w+) = _lib\.$", text[: m.start()].rsplit("\n", 1)[-1])
        if decl and len(re.findall(r"\b" + decl.group(1) + r"\b", text)) < 2:
            continue
        wanted.add(m.group(1))
    have = exported(lib_path)
    missing = sorted(wanted - have)
    failures += [f"linkage: Dart looks up {s}, the library does not export it" for s in missing]
    # Dart calls each API function through its `uniffi_ffibuffer_` twin. Exported trait
    # methods (`..._uniffi_trait_display`) are left out: the Dart error classes carry their
    # fields and render them in their own toString().
    api = {
        s
        for s in have
        if s.startswith(f"uniffi_{crate_name}_fn_") and "_uniffi_trait_" not in s
    }
    called = {s.replace("uniffi_ffibuffer_", "uniffi_", 1) for s in wanted}
    uncovered = sorted(api - called)
    failures += [f"coverage: the library exports {s}, the Dart binding never calls it" for s in uncovered]

    lib = ctypes.CDLL(lib_path)
    contract = re.search(r"bindingsContractVersion = (\d+);", text)
    fn = getattr(lib, f"ffi_{crate_name}_uniffi_contract_version")
    fn.restype = ctypes.c_uint32
    got = fn()
    if not contract or int(contract.group(1)) != got:
        failures.append(f"integrity: contract version: Dart expects {contract and contract.group(1)}, library {got}")
    checks = re.findall(r"if \(_checksum_(\w+) != (\d+)\)", text)
    for sym, expected in checks:
        f = getattr(lib, sym)
        f.restype = ctypes.c_uint16
        if f() != int(expected):
            failures.append(f"integrity: {sym}: Dart expects {expected}, library returns {f()}")

    for f in failures:
        print("FAIL:", f)
    print(
        f"dart: {len(src)} bytes, {len(errs)} syntax errors; {len(wanted)} native symbols looked up, "
        f"{len(missing)} missing; {len(api)} API functions, {len(uncovered)} uncovered; "
        f"contract {got}, {len(checks)} checksums checked; {'FAILED' if failures else 'ok'}"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
