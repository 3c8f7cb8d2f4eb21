#!/usr/bin/env python3
"""Where quaver's fingerprint misses fall, from a `benches/fingerprint_accuracy.sh` run.

    python3 benches/fp_misses.py [WORKDIR] [--run A.jsonl] [--other B.jsonl] [--snr] [--copies]
                                 [--latency]

WORKDIR (default target/fp-accuracy) holds the harness's queries/queries.csv and
results/quaver/results.jsonl. For each query length it counts the in-catalog misses at the
default threshold (17.5) by kind: `repeat` (the right track at another offset: a repeated or
looped passage), `none` (no match) and `wrong` (another track), and the track with the most
repeat misses.

--run A.jsonl     read this run's answers instead of the harness's results/quaver/results.jsonl
                  (the same queries through `quaver fp query --list`).
--other B.jsonl   also compares with another run's answers on the same queries (e.g. another
                  build's `quaver fp query --list queries/queries.txt`): identical answers, and
                  queries right in one run only.
--latency         core time (`core_ms`: extraction + search, decode excluded) per length, p50 /
                  p95, for in-catalog and non-catalog queries (and the --other run's).
--snr             for the repeat misses of the white-noise 5 dB, 5 s cell: how far the passage's
                  two copies differ, as the SNR of the best gain-matched lag (±20 ms) between the
                  source decoded once by ffmpeg, at the query's offset and at the reported one.
--copies          the same SNR for every repeat miss (over the query's length), and top-1 per
                  length and per condition counting a placement on an identical copy (the two
                  passages ≥ 30 dB SNR apart: the same audio up to coding noise, so no
                  fingerprint can tell which one a query came from) as right. The harness's
                  top-1 is the figure of record; this says which of its misses are ambiguous.
"""
import collections
import csv
import json
import os
import subprocess
import sys

MIN_SCORE = 17.5
# Two passages this close (SNR of the best gain-matched alignment) are the same audio: their
# difference lies 15 dB below the mildest noise the harness adds (15 dB SNR), so no degraded
# query can say which copy it came from. On the public corpus the looped track's copies
# measure 33-48 dB (over 10 / 5 / 3 s), the distinguishable repeats 0-18 dB.
IDENTICAL_DB = 30.0


def load(path):
    out = {}
    for line in open(path):
        j = json.loads(line)
        out[j["query"]] = j
    return out


def right(row, j):
    return (j["match"] == row["source"] and j["offset_s"] is not None
            and abs(j["offset_s"] - float(row["offset_s"])) <= 0.5 and j["score"] >= MIN_SCORE)


def kind(row, j):
    if j["match"] is None or j["score"] < MIN_SCORE:
        return "none"
    return "repeat" if j["match"] == row["source"] else "wrong"


def pcm(path, start, dur, sr=8000):
    import numpy as np
    r = subprocess.run(["ffmpeg", "-v", "quiet", "-ss", str(start), "-t", str(dur), "-i", path,
                        "-ac", "1", "-ar", str(sr), "-f", "f32le", "-"], capture_output=True)
    return np.frombuffer(r.stdout, dtype=np.float32)


_decoded = {}


def copy_snr(path, at, other, dur=5.0, sr=8000):
    import numpy as np
    # One decode of the whole source, sliced: `-ss` seeks in Ogg are not sample-accurate, and a
    # misaligned copy reads as a different one.
    if (path, sr) not in _decoded:
        _decoded[(path, sr)] = pcm(path, 0, 1e6, sr)
    x = _decoded[(path, sr)]
    a = x[int(at * sr):int((at + dur) * sr)]
    best = -1e9
    for lag in range(-int(0.02 * sr), int(0.02 * sr) + 1):
        s0 = int(other * sr) + lag
        if s0 < 0 or s0 + len(a) > len(x):
            continue
        s = x[s0:s0 + len(a)]
        g = np.dot(a, s) / max(np.dot(s, s), 1e-12)
        e = a - g * s
        best = max(best, 10 * np.log10(np.dot(a, a) / max(np.dot(e, e), 1e-12)))
    return best


def main():
    args = sys.argv[1:]
    other = run = None
    if "--run" in args:
        i = args.index("--run")
        run = args[i + 1]
        del args[i:i + 2]
    if "--other" in args:
        i = args.index("--other")
        other = load(args[i + 1])
        del args[i:i + 2]
    snr = "--snr" in args
    copies = "--copies" in args
    latency = "--latency" in args
    args = [a for a in args if a not in ("--snr", "--copies", "--latency")]
    w = args[0] if args else os.path.join(os.path.dirname(__file__), "..", "target", "fp-accuracy")
    rows = list(csv.DictReader(open(os.path.join(w, "queries", "queries.csv"))))
    res = load(run or os.path.join(w, "results", "quaver", "results.jsonl"))
    misses = collections.Counter()
    total = collections.Counter()
    repeat_src = collections.Counter()
    same = gain = loss = 0
    snr_cases = []
    # (length, condition) -> [right, right or on an identical copy, queries]
    cells = collections.defaultdict(lambda: [0, 0, 0])
    copy_dbs = []
    for r in rows:
        j = res[r["path"]]
        if other is not None:
            o = other[r["path"]]
            same += (o["match"], o["offset_s"], o["score"]) == (j["match"], j["offset_s"], j["score"])
        if r["in_catalog"] != "1":
            continue
        L = r["length_s"]
        total[L] += 1
        ok = right(r, j)
        if other is not None and r["in_catalog"] == "1":
            ok_o = right(r, other[r["path"]])
            gain += ok and not ok_o
            loss += ok_o and not ok
        cell = cells[(L, r["degradation"])]
        cell[2] += 1
        cell[0] += ok
        cell[1] += ok
        if ok:
            continue
        k = kind(r, j)
        if copies and k == "repeat":
            db = copy_snr(r["source"], float(r["offset_s"]), j["offset_s"], float(L))
            copy_dbs.append(db)
            cell[1] += db >= IDENTICAL_DB
        misses[(L, k)] += 1
        if k == "repeat":
            repeat_src[(L, os.path.basename(r["source"]))] += 1
        if k == "repeat" and r["degradation"] == "white_snr5" and L == "5.0":
            snr_cases.append((r["source"], float(r["offset_s"]), j["offset_s"]))
    for L in sorted(total, key=float):
        n = sum(v for (l, _), v in misses.items() if l == L)
        parts = ", ".join(f"{k} {misses[(L, k)]}" for k in ("repeat", "none", "wrong"))
        print(f"{float(L):g} s: {n} misses of {total[L]} in-catalog queries ({parts})")
        top = max(((v, src) for (l, src), v in repeat_src.items() if l == L), default=None)
        if top:
            print(f"  most repeat misses on one track: {top[0]} on {top[1]}")
    if other is not None:
        print(f"vs --other: {same}/{len(rows)} identical answers; right here only {gain}, "
              f"right there only {loss}")
    if latency:
        def pct(v, q):
            v = sorted(v)
            return v[min(len(v) - 1, int(q * len(v)))]
        for L in sorted(total, key=float):
            for inc, what in (("1", "in-catalog"), ("0", "non-catalog")):
                line = f"{float(L):g} s {what}: core ms p50 / p95"
                for name, answers in (("", res), ("other ", other)):
                    if answers is None:
                        continue
                    v = [answers[r["path"]]["core_ms"] for r in rows
                         if r["length_s"] == L and r["in_catalog"] == inc]
                    line += f"  {name}{pct(v, 0.5):.1f} / {pct(v, 0.95):.1f}"
                print(line)
    if copies:
        print(f"repeat misses' copy SNR (dB): "
              + " ".join(f"{d:.1f}" for d in sorted(copy_dbs)))
        for L in sorted(total, key=float):
            ok = sum(v[0] for (l, _), v in cells.items() if l == L)
            eq = sum(v[1] for (l, _), v in cells.items() if l == L)
            print(f"{float(L):g} s: top-1 {100 * ok / total[L]:.1f} %, counting identical "
                  f"copies (>= {IDENTICAL_DB:g} dB) as right {100 * eq / total[L]:.1f} %")
            for (l, cond), (a, b, n) in sorted(cells.items()):
                if l == L and b != a:
                    print(f"  {cond}: {a}/{n} -> {b}/{n}")
    if snr:
        for src, at, got in snr_cases:
            print(f"white 5 dB, 5 s: {os.path.basename(src)} at {at:.3f} s, reported {got:.3f} s: "
                  f"copies {copy_snr(src, at, got):.1f} dB SNR apart")


if __name__ == "__main__":
    main()
