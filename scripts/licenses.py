#!/usr/bin/env python3
"""THIRD-PARTY-NOTICES from the dependency graph, and the licence check of the test command.

    python3 scripts/licenses.py --write    # regenerate THIRD-PARTY-NOTICES (commit it)
    python3 scripts/licenses.py --check    # fail on a licence outside ALLOWED, or a stale file

The graph is `cargo metadata` (Cargo.lock, the crate registry's sources): every crate that a
shipped artifact links — the `quaver` facade and CLI, the Python, Node and mobile libraries —
following normal dependencies only (build tools are not shipped), on the platforms the release
matrix builds. Each crate's licence field is checked against ALLOWED (an SPDX expression passes
when one side of every OR and both sides of every AND are allowed), and its licence files are
copied in. The C libraries compiled from sources bundled in -sys crates (LAME, FDK-AAC, libopus,
libFLAC, libogg) get their own section with their licence texts and how each is linked.

Written here rather than taken from cargo-about / cargo-deny: both are ~5 CPU-minutes to compile
on every clean CI machine, and neither knows the bundled C libraries, which are the licences that
matter most here (LGPL LAME, the FDK-AAC licence).
"""
import argparse
import hashlib
import json
import os
import re
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
OUT = os.path.join(ROOT, "THIRD-PARTY-NOTICES")
ROOTS = ("quaver", "quaver-python", "quaver-node", "quaver-mobile")
PLATFORMS = (
    "x86_64-unknown-linux-gnu",
    "aarch64-unknown-linux-gnu",
    "x86_64-unknown-linux-musl",
    "x86_64-apple-darwin",
    "aarch64-apple-darwin",
    "x86_64-pc-windows-msvc",
    "aarch64-linux-android",
    "aarch64-apple-ios",
)
# Licences a crate linked into a quaver artifact may carry. Anything else fails --check.
ALLOWED = {
    "MIT", "Apache-2.0", "Apache-2.0 WITH LLVM-exception", "BSD-2-Clause", "BSD-3-Clause",
    "ISC", "Zlib", "0BSD", "Unlicense", "Unicode-3.0", "Unicode-DFS-2016", "BSL-1.0", "CC0-1.0",
    # File-level copyleft (symphonia, uniffi): unmodified sources, available from crates.io.
    "MPL-2.0",
}
# Crates allowed a licence outside ALLOWED, with the reason.
EXCEPTIONS = {
    "mp3lame-sys": ("LGPL-3.0", "bindings to LAME; source builds only (feature lame-static): "
                    "the distributed binaries use lame-shared and do not link this crate"),
}
LICENSE_FILE = re.compile(r"^(LICEN[CS]E|COPYING|NOTICE|UNLICENSE|COPYRIGHT)([-._].*)?$", re.I)

# The C libraries compiled from source bundled in -sys crates: (crate, files, name, licence,
# how it is linked in the distributed artifacts).
NATIVE = [
    ("mp3lame-sys", ["lame-3.100/COPYING"], "LAME 3.100 (MP3 encoder)", "LGPL-2.0-or-later",
     "Distributed binaries (Python wheel, npm platform packages, CLI tarball) link LAME as a "
     "shared library shipped beside them (quaver.libs/libmp3lame-*.so.0 in the wheel, "
     "libmp3lame.so.0 next to the .node file, lib/libmp3lame.so.0 in the CLI tarball), found "
     "through the binary's RUNPATH. To use a modified LAME, build it with the same soname "
     "(./configure --enable-shared; LAME's source: https://lame.sourceforge.io or the "
     "mp3lame-sys crate) and replace that file. Source builds (cargo, the sdist) compile LAME "
     "from the bundled source and may link it statically (feature lame-static)."),
    ("fdk-aac-sys", ["aac/NOTICE"], "Fraunhofer FDK AAC (AAC-LC encoder)",
     "Software License for The Fraunhofer FDK AAC Codec Library for Android",
     "Linked statically when the `aac` feature is on (the default, and in the wheel, the npm "
     "packages and the CLI). The licence allows redistribution with this notice but grants no "
     "patent licence and is not GPL-compatible; build with `--no-default-features` (and without "
     "`aac`) to leave it out — AAC encoding then returns an Unsupported error."),
    ("audiopus_sys", ["opus/COPYING"], "libopus (Opus decoder and encoder)", "BSD-3-Clause",
     "Linked statically."),
    ("libflac-sys", ["flac/COPYING.Xiph"], "libFLAC (FLAC encoder)", "BSD-3-Clause",
     "Linked statically."),
    ("libflac-sys", ["ogg/COPYING"], "libogg (as bundled with libFLAC)", "BSD-3-Clause",
     "Linked statically."),
]


def metadata():
    ids, packages, nodes = set(), {}, {}
    for plat in PLATFORMS:
        m = json.loads(subprocess.run(
            ["cargo", "metadata", "--format-version", "1", "--locked", "--filter-platform", plat],
            cwd=ROOT, check=True, capture_output=True, text=True).stdout)
        for p in m["packages"]:
            packages[p["id"]] = p
        local_nodes = {n["id"]: n for n in m["resolve"]["nodes"]}
        nodes.update(local_nodes)
        stack = [p["id"] for p in m["packages"] if p["name"] in ROOTS and p["source"] is None]
        while stack:
            i = stack.pop()
            if i in ids:
                continue
            ids.add(i)
            for d in local_nodes[i]["deps"]:
                if any(k["kind"] is None for k in d["dep_kinds"]):
                    stack.append(d["pkg"])
    crates = [packages[i] for i in ids if packages[i]["source"] is not None]
    crates.sort(key=lambda p: (p["name"], p["version"]))
    return crates


def normalise(expr):
    return (expr or "").replace("/", " OR ").strip()


def allowed(expr):
    """True when the SPDX expression can be satisfied with ALLOWED licences."""
    toks = re.findall(r"\(|\)|[^\s()]+(?:\s+WITH\s+[^\s()]+)?", expr)
    pos = 0

    def parse(op):
        """One precedence level: OR over ANDs, AND over atoms."""
        nonlocal pos
        sub = (lambda: parse("AND")) if op == "OR" else parse_atom
        ok = sub()
        while pos < len(toks) and toks[pos] == op:
            pos += 1
            nxt = sub()
            ok = (ok or nxt) if op == "OR" else (ok and nxt)
        return ok

    def parse_atom():
        nonlocal pos
        if pos >= len(toks):
            return False
        t = toks[pos]
        pos += 1
        if t == "(":
            ok = parse("OR")
            pos += 1  # ")"
            return ok
        return re.sub(r"\s+", " ", t) in ALLOWED

    ok = parse("OR")
    return ok and pos == len(toks)


def licence_texts(p):
    d = os.path.dirname(p["manifest_path"])
    names = sorted(f for f in os.listdir(d) if LICENSE_FILE.match(f) and os.path.isfile(os.path.join(d, f)))
    if p.get("license_file") and os.path.basename(p["license_file"]) not in names:
        names.append(p["license_file"])
    out = []
    for n in names:
        with open(os.path.join(d, n), encoding="utf-8", errors="replace") as f:
            out.append((os.path.basename(n), f.read().strip()))
    return out


def render(crates):
    lines = [
        "THIRD-PARTY NOTICES for quaver",
        "",
        "quaver's own code is licensed under the MIT licence or the Apache License 2.0, at your",
        "option (LICENSE-MIT, LICENSE-APACHE). The binaries built from it also contain the",
        "third-party software below. This file is generated by scripts/licenses.py from Cargo.lock;",
        "do not edit it by hand.",
        "",
        "=" * 78,
        "PART 1. C libraries compiled from source",
        "=" * 78,
    ]
    by_name = {p["name"]: p for p in crates}
    for crate, files, name, lic, how in NATIVE:
        p = by_name[crate]
        d = os.path.dirname(p["manifest_path"])
        lines += ["", "-" * 78, f"{name}", f"Licence: {lic}", f"Source: the {crate} {p['version']} crate", ""]
        lines += wrap(how) + [""]
        for f in files:
            with open(os.path.join(d, f), encoding="utf-8", errors="replace") as fh:
                lines += [fh.read().strip(), ""]
    lines += ["", "=" * 78, "PART 2. Rust crates", "=" * 78, ""]
    seen_text = {}
    for p in crates:
        lic = normalise(p["license"]) or "(see licence file)"
        lines += ["-" * 78, f"{p['name']} {p['version']}  —  {lic}"]
        if p.get("repository"):
            lines.append(p["repository"])
        for fname, text in licence_texts(p):
            h = hashlib.sha256(text.encode()).hexdigest()[:12]
            if h in seen_text:
                lines.append(f"{fname}: same text as {seen_text[h]}")
            else:
                seen_text[h] = f"{p['name']} {p['version']} {fname}"
                lines += ["", f"{fname}:", "", text, ""]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def wrap(s, width=90):
    out, cur = [], ""
    for w in s.split():
        if len(cur) + len(w) + 1 > width:
            out.append(cur)
            cur = w
        else:
            cur = f"{cur} {w}".strip()
    return out + ([cur] if cur else [])


def check(crates):
    problems = []
    for p in crates:
        lic = normalise(p["license"])
        if p["name"] in EXCEPTIONS:
            want = EXCEPTIONS[p["name"]][0]
            if lic != want:
                problems.append(f"{p['name']} {p['version']}: licence {lic!r}, excepted as {want!r}")
            continue
        if not lic:
            problems.append(f"{p['name']} {p['version']}: no licence field")
        elif not allowed(lic):
            problems.append(f"{p['name']} {p['version']}: licence {lic!r} is not allowed (scripts/licenses.py ALLOWED)")
    return problems


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--write", action="store_true")
    g.add_argument("--check", action="store_true")
    a = ap.parse_args()
    subprocess.run(["cargo", "fetch", "--locked", "--quiet"], cwd=ROOT, check=True)
    crates = metadata()
    problems = check(crates)
    text = render(crates)
    if a.write:
        tmp = OUT + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, OUT)
    else:
        try:
            committed = open(OUT, encoding="utf-8").read()
        except FileNotFoundError:
            committed = ""
        if committed != text:
            problems.append("THIRD-PARTY-NOTICES is stale: run python3 scripts/licenses.py --write and commit it")
    for p in problems:
        print(f"licences: {p}")
    print(f"licences: {len(crates)} crates, {len(NATIVE)} bundled C libraries, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
