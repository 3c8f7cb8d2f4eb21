#!/usr/bin/env python3
"""Chromaprint peer: fingerprints from Debian's `fpcalc -raw` (libchromaprint-tools),
matched over the whole catalog with the same logic as chromaprint's own
FingerprintMatcher (src/fingerprint_matcher.cpp): offset histogram on the top
12 bits of each 32-bit item, then mean Hamming distance over the aligned overlap,
accept if <= 10 bits (kDefaultMatchThreshold). fpcalc has no catalog search, so
the index/search loop here is ours; the features and the decision rule are Chromaprint's.
Ported from the project's shared fingerprint-bench tooling (peers/); used by
benches/fingerprint_accuracy.sh (PEERS=chromaprint).
"""
import argparse, json, os, subprocess, sys, time
import numpy as np

ITEM_S = 1365.0 / 11025.0   # chromaprint item hop (frame 4096, overlap 2/3, 11025 Hz)
ALIGN_SHIFT = 32 - 12
POP = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)


def fpcalc(path):
    r = subprocess.run(["fpcalc", "-raw", "-json", "-length", "0", path], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        d = json.loads(r.stdout.decode())
        return np.array(d.get("fingerprint", []), dtype=np.uint32)
    except Exception:
        return np.zeros(0, dtype=np.uint32)


def popcount32(x):
    x = x.view(np.uint8)
    return POP[x].reshape(-1, 4).sum(axis=1)


def cmd_index(a):
    paths = [l.strip() for l in open(a.list) if l.strip()]
    fps = [fpcalc(p) for p in paths]
    lens = np.array([len(f) for f in fps], dtype=np.int64)
    np.savez(os.path.join(a.db, "chromaprint_index.npz"), fp=np.concatenate(fps), lens=lens,
             names=np.array(paths))


def cmd_query(a):
    z = np.load(os.path.join(a.db, "chromaprint_index.npz"))
    fp, lens, names = z["fp"], z["lens"], list(z["names"])
    starts = np.concatenate([[0], np.cumsum(lens)[:-1]])
    track_of = np.repeat(np.arange(len(lens)), lens)
    pos_of = np.arange(len(fp)) - starts[track_of]
    # inverted index on 12-bit align key
    keys = (fp >> ALIGN_SHIFT).astype(np.int64)
    order = np.argsort(keys, kind="stable")
    skeys = keys[order]
    bounds = np.searchsorted(skeys, np.arange(4097))
    for line in open(a.list):
        q = line.strip()
        if not q:
            continue
        t0 = time.perf_counter()
        qf = fpcalc(q)
        out = {"query": q, "match": None, "offset_s": None, "score": 0.0}
        if len(qf) >= 1:
            qk = (qf >> ALIGN_SHIFT).astype(np.int64)
            cand_t, cand_o = [], []
            for i, k in enumerate(qk):
                idx = order[bounds[k]:bounds[k + 1]]
                cand_t.append(track_of[idx]); cand_o.append(pos_of[idx] - i)
            if cand_t:
                ct = np.concatenate(cand_t); co = np.concatenate(cand_o)
                if len(ct):
                    key = ct * 1000003 + (co + 500000)
                    u, c = np.unique(key, return_counts=True)
                    top = u[np.argsort(-c)[: a.candidates]]
                    best = (99.0, None, None)
                    for kk in top:
                        t = int(kk // 1000003); o = int(kk % 1000003) - 500000
                        ref = fp[starts[t]: starts[t] + lens[t]]
                        q0 = max(0, -o); r0 = max(0, o)
                        n = min(len(qf) - q0, len(ref) - r0)
                        if n < max(1, len(qf) // 2):
                            continue
                        ber = float(popcount32(np.bitwise_xor(qf[q0:q0 + n], ref[r0:r0 + n])).mean())
                        if ber < best[0]:
                            best = (ber, t, o)
                    if best[1] is not None and best[0] <= a.threshold:
                        out.update(match=names[best[1]], offset_s=best[2] * ITEM_S, score=32.0 - best[0])
                    elif best[1] is not None:
                        out["score"] = 32.0 - best[0]
        out["latency_ms"] = 1000 * (time.perf_counter() - t0)
        out["items"] = int(len(qf))
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("cmd", choices=["index", "query"])
    ap.add_argument("--db", required=True)
    ap.add_argument("--list", required=True)
    ap.add_argument("--threshold", type=float, default=10.0, help="max mean bit errors (of 32)")
    ap.add_argument("--candidates", type=int, default=20)
    a = ap.parse_args()
    cmd_index(a) if a.cmd == "index" else cmd_query(a)
