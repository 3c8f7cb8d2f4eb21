#!/usr/bin/env python3
"""fpbench - audio fingerprinting benchmark harness.

Subcommands
  make-queries  cut degraded query clips from catalog / non-catalog audio
  run           index the catalog with one peer and run all queries through it
  report        print result tables for one or more peer runs

Peer protocol (any engine, incl. ours, plugs in the same way):
  <peer-cmd> index --db DBDIR --list catalog.txt      (one audio path per line)
  <peer-cmd> query --db DBDIR --list queries.txt
      -> stdout: one JSON object per query line:
         {"query": path, "match": catalog_path|null, "offset_s": float|null,
          "score": float, "latency_ms": float}
  "offset_s" = time in the catalog track that corresponds to query t=0.
  Higher score = more confident. latency_ms = per-query wall time incl. decode.

Needs: python3 with numpy + soundfile, sox (libsox-fmt-all), ffmpeg (libmp3lame).

Ported unchanged in behaviour from the project's shared fingerprint-bench tooling (same
degradations, seeds and report); it is the repository's own bench harness now, driven by
benches/fingerprint_accuracy.sh.
"""
import argparse, csv, json, math, os, random, shutil, subprocess, sys, tempfile, time

import numpy as np
import soundfile as sf

SR = 44100  # working rate for clip generation

# name -> (kind, param). kind: sox effect chain | noise | codec.
DEGRADATIONS = {
    "clean":       ("sox", []),
    "white_snr15": ("noise", ("white", 15)),
    "white_snr5":  ("noise", ("white", 5)),
    "white_snr0":  ("noise", ("white", 0)),
    "pink_snr15":  ("noise", ("pink", 15)),
    "pink_snr5":   ("noise", ("pink", 5)),
    "pink_snr0":   ("noise", ("pink", 0)),
    "mp3_64k":     ("mp3", 64),
    "resample_8k": ("sox_rate", 8000),
    "gsm_phone":   ("gsm", None),
    "lowpass_eq":  ("sox", ["lowpass", "3000", "bass", "+6", "equalizer", "1000", "1q", "-8"]),
    "reverb":      ("sox", ["reverb", "60", "50", "100"]),
    "speed_+2":    ("speed", 1.02),   # resample-style: tempo AND pitch change (radio/DJ speed-up)
    "speed_-2":    ("speed", 0.98),
    "speed_+5":    ("speed", 1.05),
    "speed_-5":    ("speed", 0.95),
    "tempo_+5":    ("tempo", 1.05),   # time-stretch, pitch kept
    "tempo_-5":    ("tempo", 0.95),
    "pitch_+1":    ("pitch", 100),    # pitch-shift 1 semitone, tempo kept
    "pitch_-1":    ("pitch", -100),
}


def run(cmd, **kw):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)
    if r.returncode != 0:
        raise RuntimeError("command failed: %s\n%s" % (" ".join(cmd), r.stderr.decode(errors="replace")[-2000:]))
    return r


def decode_mono(path, sr=SR):
    """Decode any ffmpeg-readable file to float32 mono at sr."""
    r = run(["ffmpeg", "-v", "error", "-nostdin", "-i", path, "-ac", "1", "-ar", str(sr),
             "-f", "f32le", "-acodec", "pcm_f32le", "-"])
    return np.frombuffer(r.stdout, dtype=np.float32).copy()


def pink_noise(n, rng):
    w = rng.standard_normal(n)
    spec = np.fft.rfft(w)
    f = np.arange(len(spec), dtype=np.float64)
    f[0] = 1.0
    spec /= np.sqrt(f)
    p = np.fft.irfft(spec, n)
    return p / (np.std(p) + 1e-12)


def add_noise(x, kind, snr_db, rng):
    ps = float(np.mean(x.astype(np.float64) ** 2)) + 1e-12
    n = rng.standard_normal(len(x)) if kind == "white" else pink_noise(len(x), rng)
    n = n / (np.sqrt(np.mean(n ** 2)) + 1e-12) * math.sqrt(ps / (10 ** (snr_db / 10.0)))
    y = x + n
    peak = np.max(np.abs(y)) + 1e-12
    if peak > 0.99:
        y = y * (0.99 / peak)
    return y.astype(np.float32)


def make_clip(seg, deg, L, out_path, tmpdir, rng):
    """seg: float32 mono @SR starting at the ground-truth offset, long enough for speed/tempo."""
    kind, p = DEGRADATIONS[deg]
    src = os.path.join(tmpdir, "src.wav")
    sf.write(src, seg, SR, subtype="FLOAT")
    tail = ["trim", "0", "%.4f" % L]
    if kind == "sox":
        run(["sox", src, "-b", "16", out_path] + p + tail + ["gain", "-n", "-1"])
    elif kind == "speed":
        run(["sox", src, "-b", "16", out_path, "speed", str(p), "rate", "-v", str(SR)] + tail + ["gain", "-n", "-1"])
    elif kind == "tempo":
        run(["sox", src, "-b", "16", out_path, "tempo", "-m", str(p)] + tail + ["gain", "-n", "-1"])
    elif kind == "pitch":
        run(["sox", src, "-b", "16", out_path, "pitch", str(p)] + tail + ["gain", "-n", "-1"])
    elif kind == "sox_rate":
        run(["sox", src, "-b", "16", "-r", str(p), out_path] + tail + ["gain", "-n", "-1"])
    elif kind == "noise":
        x = seg[: int(round(L * SR))]
        sf.write(out_path, add_noise(x, p[0], p[1], rng), SR, subtype="PCM_16")
    elif kind == "mp3":
        cut = os.path.join(tmpdir, "cut.wav")
        run(["sox", src, "-b", "16", cut] + tail)
        mp3 = os.path.join(tmpdir, "q.mp3")
        run(["ffmpeg", "-v", "error", "-nostdin", "-y", "-i", cut, "-codec:a", "libmp3lame", "-b:a", "%dk" % p, mp3])
        run(["ffmpeg", "-v", "error", "-nostdin", "-y", "-i", mp3, "-ac", "1", out_path])
    elif kind == "gsm":
        gsm = os.path.join(tmpdir, "q.gsm")
        run(["sox", src, "-r", "8000", "-c", "1", gsm, "sinc", "300-3400", "gain", "-n", "-3"] + tail)
        run(["sox", gsm, "-b", "16", out_path])
    else:
        raise ValueError(kind)


def read_list(path):
    with open(path) as f:
        return [l.strip() for l in f if l.strip() and not l.startswith("#")]


def cmd_make_queries(a):
    rng = random.Random(a.seed)
    nrng = np.random.default_rng(a.seed)
    cat = read_list(a.catalog)
    neg = read_list(a.noncatalog) if a.noncatalog else []
    lengths = [float(x) for x in a.lengths.split(",")]
    degs = list(DEGRADATIONS) if a.degradations == "all" else a.degradations.split(",")
    for d in degs:
        if d not in DEGRADATIONS:
            sys.exit("unknown degradation " + d)
    os.makedirs(a.out, exist_ok=True)
    qdir = os.path.join(a.out, "queries")
    os.makedirs(qdir, exist_ok=True)
    tmpdir = tempfile.mkdtemp(prefix="fpq_")
    rows = []
    maxfac = 1.06  # longest source segment needed (speed/tempo +5%) plus margin
    jobs = [(p, True, a.per_track) for p in cat] + [(p, False, a.neg_per_track) for p in neg]
    t0 = time.time()
    for ti, (path, in_cat, reps) in enumerate(jobs):
        x = decode_mono(path)
        dur = len(x) / SR
        for rep in range(reps):
            for L in lengths:
                need = L * maxfac + 0.5
                if dur < need + 1:
                    print("skip (too short for %.0fs): %s" % (L, path), file=sys.stderr)
                    continue
                off = round(rng.uniform(0, dur - need), 3)  # same clip for all degradations (paired design)
                i0 = int(round(off * SR))
                seg = x[i0: i0 + int(need * SR)]
                for d in degs:
                    qid = "q%05d" % len(rows)
                    outp = os.path.join(qdir, "%s_%s_%gs.wav" % (qid, d, L))
                    make_clip(seg, d, L, outp, tmpdir, nrng)
                    rows.append(dict(qid=qid, path=os.path.abspath(outp), source=os.path.abspath(path),
                                     in_catalog=int(in_cat), offset_s=off, length_s=L, degradation=d))
        print("[%d/%d] %s  (%d queries, %.0fs)" % (ti + 1, len(jobs), os.path.basename(path), len(rows), time.time() - t0),
              file=sys.stderr)
    shutil.rmtree(tmpdir, ignore_errors=True)
    with open(os.path.join(a.out, "queries.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    with open(os.path.join(a.out, "catalog.txt"), "w") as f:
        f.write("\n".join(os.path.abspath(p) for p in cat) + "\n")
    with open(os.path.join(a.out, "queries.txt"), "w") as f:
        f.write("\n".join(r["path"] for r in rows) + "\n")
    print("wrote %d queries to %s" % (len(rows), a.out))


def du_bytes(path):
    """Allocated bytes of a file or directory tree (handles sparse LMDB files)."""
    if os.path.isfile(path):
        st = os.stat(path)
        return min(st.st_size, st.st_blocks * 512)
    tot = 0
    for root, _, files in os.walk(path):
        for fn in files:
            st = os.stat(os.path.join(root, fn))
            tot += min(st.st_size, st.st_blocks * 512)
    return tot


def audio_seconds(paths):
    tot = 0.0
    for p in paths:
        r = run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", p])
        tot += float(r.stdout.decode().strip() or 0)
    return tot


def cmd_run(a):
    qdir = a.queries
    out = os.path.join(a.results, a.name)
    os.makedirs(out, exist_ok=True)
    db = os.path.join(out, "db")
    if os.path.exists(db):
        shutil.rmtree(db)
    os.makedirs(db)
    peer = a.peer_cmd.split()
    cat_list = os.path.join(qdir, "catalog.txt")
    cat = read_list(cat_list)
    meta = {"name": a.name, "peer_cmd": a.peer_cmd, "catalog_tracks": len(cat)}
    meta["catalog_seconds"] = audio_seconds(cat)
    t0 = time.time()
    r = subprocess.run(peer + ["index", "--db", db, "--list", cat_list], stderr=subprocess.PIPE)
    meta["index_wall_s"] = time.time() - t0
    if r.returncode != 0:
        sys.exit("index failed:\n" + r.stderr.decode(errors="replace")[-3000:])
    meta["index_bytes"] = du_bytes(db)
    qlist = os.path.join(qdir, "queries.txt")
    if a.limit or a.filter:
        import re
        qs = [q for q in read_list(qlist) if re.search(a.filter or "", q)]
        qs = qs[: a.limit] if a.limit else qs
        qlist = os.path.join(out, "queries_subset.txt")
        with open(qlist, "w") as f:
            f.write("\n".join(qs) + "\n")
    t0 = time.time()
    with open(os.path.join(out, "results.jsonl"), "w") as fo:
        r = subprocess.run(peer + ["query", "--db", db, "--list", qlist], stdout=fo, stderr=subprocess.PIPE)
    meta["query_wall_s"] = time.time() - t0
    if r.returncode != 0:
        sys.exit("query failed:\n" + r.stderr.decode(errors="replace")[-3000:])
    with open(os.path.join(out, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
    print(json.dumps(meta))


# ---------------------------------------------------------------- report
def load_run(rdir):
    meta = json.load(open(os.path.join(rdir, "meta.json")))
    res = {}
    for line in open(os.path.join(rdir, "results.jsonl")):
        line = line.strip()
        if line.startswith("{"):
            o = json.loads(line)
            res[os.path.abspath(o["query"])] = o
    return meta, res


def judge(q, o, tol):
    """-> (status, score, offset_err). status: hit / hit_badoffset / wrong / miss / fp / tn"""
    m = o.get("match") if o else None
    score = float(o.get("score", 0) or 0) if o else 0.0
    if not q["in_catalog"]:
        return ("fp" if m else "tn"), score, None
    if not m:
        return "miss", score, None
    if os.path.abspath(m) != q["source"]:
        return "wrong", score, None
    err = abs(float(o.get("offset_s") or 0) - q["offset_s"]) if o.get("offset_s") is not None else 1e9
    return ("hit" if err <= tol else "hit_badoffset"), score, err


def pct(n, d):
    return "  -  " if d == 0 else "%5.1f" % (100.0 * n / d)


def cmd_report(a):
    qs = []
    with open(os.path.join(a.queries, "queries.csv")) as f:
        for r in csv.DictReader(f):
            r["in_catalog"] = int(r["in_catalog"]); r["offset_s"] = float(r["offset_s"]); r["length_s"] = float(r["length_s"])
            r["path"] = os.path.abspath(r["path"])
            qs.append(r)
    lengths = sorted({q["length_s"] for q in qs})
    degs = [d for d in DEGRADATIONS if any(q["degradation"] == d for q in qs)]
    runs = [(os.path.basename(os.path.normpath(d)),) + load_run(d) for d in a.runs]
    md = a.markdown
    sep = " | " if md else "  "

    def line(cells):
        return ("| " + sep.join(cells) + " |") if md else sep.join(cells)

    summary = []
    compact_st = {}
    for name, meta, res in runs:
        st = {}
        for q in qs:
            if q["path"] not in res and a.skip_missing:
                continue
            st[q["qid"]] = judge(q, res.get(q["path"]), a.offset_tol)
        lat = [float(res[q["path"]].get("latency_ms", 0)) for q in qs if q["path"] in res]
        core = sorted(float(res[q["path"]].get("core_ms", res[q["path"]].get("latency_ms", 0))) for q in qs if q["path"] in res)
        print("\n## %s   (%s)" % (name, meta.get("peer_cmd", "")))
        print("top-1 correct track AND |offset err| <= %.2fs, %% of in-catalog queries" % a.offset_tol)
        hdr = ["degradation".ljust(12)] + [("%gs" % L).rjust(5) for L in lengths] + ["wrong%".rjust(6)]
        print(line(hdr))
        if md:
            print("|" + "---|" * len(hdr))
        allhit = {L: [0, 0] for L in lengths}
        for d in degs:
            cells = [d.ljust(12)]
            wr = [0, 0]
            for L in lengths:
                sel = [q for q in qs if q["in_catalog"] and q["degradation"] == d and q["length_s"] == L and q["qid"] in st]
                h = sum(1 for q in sel if st[q["qid"]][0] == "hit")
                wr[0] += sum(1 for q in sel if st[q["qid"]][0] == "wrong"); wr[1] += len(sel)
                allhit[L][0] += h; allhit[L][1] += len(sel)
                cells.append(pct(h, len(sel)))
            cells.append(pct(*wr).rjust(6))
            print(line(cells))
        print(line(["ALL".ljust(12)] + [pct(*allhit[L]) for L in lengths] + ["".rjust(6)]))
        pos = [q for q in qs if q["in_catalog"] and q["qid"] in st]
        neg = [q for q in qs if not q["in_catalog"] and q["qid"] in st]
        negscores = sorted((st[q["qid"]][1] for q in neg if st[q["qid"]][0] == "fp"), reverse=True)
        k = int(math.floor(a.target_fpr * len(neg)))
        thr = negscores[k] if k < len(negscores) else -1e18  # accept only score > thr
        cells_fpr, cells_op = ["FPR(neg)".ljust(12)], [("ALL@FPR<=%g%%" % (100 * a.target_fpr)).ljust(12)]
        for L in lengths:
            nL = [q for q in neg if q["length_s"] == L]
            pL = [q for q in pos if q["length_s"] == L]
            cells_fpr.append(pct(sum(1 for q in nL if st[q["qid"]][0] == "fp"), len(nL)))
            cells_op.append(pct(sum(1 for q in pL if st[q["qid"]][0] == "hit" and st[q["qid"]][1] > thr), len(pL)))
        print(line(cells_fpr + ["".rjust(6)]))
        compact_st[name] = (st, thr)
        print(line(cells_op + ["".rjust(6)]))
        n_hit = sum(1 for q in pos if st[q["qid"]][0] == "hit")
        n_trk = sum(1 for q in pos if st[q["qid"]][0] in ("hit", "hit_badoffset"))
        n_wrong = sum(1 for q in pos if st[q["qid"]][0] == "wrong")
        n_fp = sum(1 for q in neg if st[q["qid"]][0] == "fp")
        errs = sorted(st[q["qid"]][2] for q in pos if st[q["qid"]][0] in ("hit", "hit_badoffset"))
        tpr_at = sum(1 for q in pos if st[q["qid"]][0] == "hit" and st[q["qid"]][1] > thr)
        hours = meta["catalog_seconds"] / 3600.0
        lat_s = sorted(lat)
        s = dict(name=name, top1=pct(n_hit, len(pos)), track_only=pct(n_trk, len(pos)), wrong=pct(n_wrong, len(pos)),
                 fpr=pct(n_fp, len(neg)), tpr_at=pct(tpr_at, len(pos)),
                 med_off_ms="%.0f" % (1000 * errs[len(errs) // 2]) if errs else "-",
                 lat50="%.0f" % lat_s[len(lat_s) // 2] if lat_s else "-",
                 lat95="%.0f" % lat_s[int(0.95 * (len(lat_s) - 1))] if lat_s else "-",
                 core50="%.1f" % core[len(core) // 2] if core else "-",
                 kb_per_h="%.0f" % (meta["index_bytes"] / 1024.0 / hours),
                 idx_xrt="%.0f" % (meta["catalog_seconds"] / max(meta["index_wall_s"], 1e-9)),
                 npos=len(pos), nneg=len(neg))
        summary.append(s)
    if a.compact:
      for use_op in (False, True):
        print("\n## top-1 %% per condition, %s s, all runs, %s" % ("/".join("%g" % L for L in lengths),
              ("at each run's FPR<=%g%% threshold" % (100 * a.target_fpr)) if use_op else "default decisions"))
        print(line(["condition".ljust(12)] + [r[0] for r in runs]))
        if md:
            print("|" + "---|" * (len(runs) + 1))
        for d in degs + ["ALL"]:
            cells = [d.ljust(12)]
            for name, meta, res in runs:
                st, thr = compact_st[name]
                vals = []
                for L in lengths:
                    sel = [q for q in qs if q["in_catalog"] and q["length_s"] == L and q["qid"] in st
                           and (d == "ALL" or q["degradation"] == d)]
                    ok = sum(1 for q in sel if st[q["qid"]][0] == "hit" and (not use_op or st[q["qid"]][1] > thr))
                    vals.append("-" if not sel else "%.0f" % (100.0 * ok / len(sel)))
                cells.append("/".join(vals))
            print(line(cells))
    print("\n## Summary (pos = in-catalog queries, neg = non-catalog queries)")
    cols = [("peer", "name"), ("top1%", "top1"), ("track%", "track_only"), ("wrong%", "wrong"), ("FPR%", "fpr"),
            ("top1%%@FPR<=%g%%" % (100 * a.target_fpr), "tpr_at"), ("med|off err|ms", "med_off_ms"),
            ("lat p50 ms", "lat50"), ("lat p95 ms", "lat95"), ("core p50 ms", "core50"), ("index KB/h", "kb_per_h"), ("index xRT", "idx_xrt"),
            ("#pos", "npos"), ("#neg", "nneg")]
    print(line([c[0] for c in cols]))
    if md:
        print("|" + "---|" * len(cols))
    for s in summary:
        print(line([str(s[c[1]]) for c in cols]))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sp = ap.add_subparsers(dest="cmd", required=True)
    m = sp.add_parser("make-queries")
    m.add_argument("--catalog", required=True, help="text file: catalog audio paths")
    m.add_argument("--noncatalog", help="text file: audio paths NOT in the catalog (false-positive probes)")
    m.add_argument("--out", required=True)
    m.add_argument("--lengths", default="3,5,10")
    m.add_argument("--degradations", default="all", help="comma list or 'all': " + ",".join(DEGRADATIONS))
    m.add_argument("--per-track", type=int, default=1, help="random offsets per catalog track and length")
    m.add_argument("--neg-per-track", type=int, default=2, help="random offsets per non-catalog track and length")
    m.add_argument("--seed", type=int, default=1234)
    r = sp.add_parser("run")
    r.add_argument("--queries", required=True, help="output dir of make-queries")
    r.add_argument("--results", required=True)
    r.add_argument("--name", required=True)
    r.add_argument("--peer-cmd", required=True, help="command implementing the peer protocol")
    r.add_argument("--limit", type=int, default=0)
    r.add_argument("--filter", default="", help="regex on query path, e.g. '_5s\\.wav$' (report with --skip-missing)")
    p = sp.add_parser("report")
    p.add_argument("--queries", required=True)
    p.add_argument("runs", nargs="+", help="result dirs written by 'run'")
    p.add_argument("--offset-tol", type=float, default=0.5)
    p.add_argument("--target-fpr", type=float, default=0.01)
    p.add_argument("--markdown", action="store_true")
    p.add_argument("--skip-missing", action="store_true")
    p.add_argument("--compact", action="store_true", help="also print one condition x run table")
    a = ap.parse_args()
    {"make-queries": cmd_make_queries, "run": cmd_run, "report": cmd_report}[a.cmd](a)


if __name__ == "__main__":
    main()
