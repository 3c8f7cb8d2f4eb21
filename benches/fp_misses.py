#!/usr/bin/env python3
"""Where quaver's fingerprint misses fall, from a `benches/fingerprint_accuracy.sh` run.

    python3 benches/fp_misses.py [WORKDIR] [--other RESULTS.jsonl] [--snr]

WORKDIR (default target/fp-accuracy) holds the harness's queries/queries.csv and
results/quaver/results.jsonl. For each query length it counts the in-catalog misses at the
default threshold (17.5) by kind: `repeat` (the right track at another offset: a repeated or
looped passage), `none` (no match) and `wrong` (another track), and the track with the most
repeat misses.

--other B.jsonl   also compares with another run's answers on the same queries (e.g. another
                  build's `quaver fp query --list queries/queries.txt`): identical answers, and
                  queries right in one run only.
--snr             for the repeat misses of the white-noise 5 dB, 5 s cell: how far the passage's
                  two copies differ, as the SNR of the best gain-matched lag (±20 ms) between the
                  source decoded once by ffmpeg, at the query's offset and at the reported one.
"""
import collections
import csv
import json
import os
import subprocess
import sys

MIN_SCORE = 17.5


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


def copy_snr(path, at, other, dur=5.0, sr=8000):
    import numpy as np
    # One decode from the start, sliced: `-ss` seeks in Ogg are not sample-accurate, and a
    # misaligned copy reads as a different one.
    x = pcm(path, 0, max(at, other) + dur + 1, sr)
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
    other = None
    if "--other" in args:
        i = args.index("--other")
        other = load(args[i + 1])
        del args[i:i + 2]
    snr = "--snr" in args
    args = [a for a in args if a != "--snr"]
    w = args[0] if args else os.path.join(os.path.dirname(__file__), "..", "target", "fp-accuracy")
    rows = list(csv.DictReader(open(os.path.join(w, "queries", "queries.csv"))))
    res = load(os.path.join(w, "results", "quaver", "results.jsonl"))
    misses = collections.Counter()
    total = collections.Counter()
    repeat_src = collections.Counter()
    same = gain = loss = 0
    snr_cases = []
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
        if ok:
            continue
        k = kind(r, j)
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
    if snr:
        for src, at, got in snr_cases:
            print(f"white 5 dB, 5 s: {os.path.basename(src)} at {at:.3f} s, reported {got:.3f} s: "
                  f"copies {copy_snr(src, at, got):.1f} dB SNR apart")


if __name__ == "__main__":
    main()
