#!/usr/bin/env python3
"""Tempo / key accuracy and speed of quaver side by side with the installed peers.

  benches/accuracy/accuracy.py CORPUS_DIR [--peers librosa_beat,essentia_percival,...]
                               [--quaver target/release/quaver] [--limit N] [--out DIR]

CORPUS_DIR holds audio/*.wav and labels.csv as written by the labelled-corpus generator
(columns id, source, bpm, key, use_tempo, use_key, seconds; optional beats = space-separated
beat times in seconds). Peers come from the labelled-corpus tools' eval_peers.py, whose path
must be given in $MIR_EVAL_PEERS when --peers names any (no default: the tools are not part of
this repository; the run stops with a message when it is unset or missing); any peer it lists
can be named, and those whose package is missing are skipped with a note.

Metrics (as eval_peers.py and MIREX):
  Acc1   |est - ref| <= 4 % of ref          Acc2  Acc1 also accepting x2, x3, x1/2, x1/3
  unambiguous  Acc1 on the tempo clips whose labels.csv caveat names no octave ambiguity
         ("may tap", "half-time", "project bpm outside")
  MIREX  key score: same 1, fifth above 0.5, relative 0.3, parallel 0.2; "correct" = exact
  BeatF  beat F-measure (+-70 ms), where labels.csv has a `beats` column
  s/min  CPU seconds (process + children, decode included) per minute of audio, one core

quaver is timed through `quaver analyze --json` (decode + loudness + tempo + key + features
in one pass: the "all" figure) and, per component, through the `music` example with
`--only tempo|key` (release build: cargo build --release -p quaver-core --example music).
Run single-core for comparable numbers:  taskset -c 0 nice python3 benches/accuracy/accuracy.py ...
"""
import argparse, csv, importlib.util, json, os, resource, subprocess, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
os.environ.setdefault("QUAVER_NUM_THREADS", "1")
for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(v, "1")

NOTES = {"C": 0, "C#": 1, "DB": 1, "D": 2, "D#": 3, "EB": 3, "E": 4, "F": 5, "F#": 6, "GB": 6,
         "G": 7, "G#": 8, "AB": 8, "A": 9, "A#": 10, "BB": 10, "B": 11, "CB": 11}


def parse_key(s):
    if not s:
        return None
    parts = s.replace("♯", "#").replace("♭", "b").split()
    if len(parts) != 2 or parts[1] not in ("major", "minor"):
        return None
    pc = NOTES.get(parts[0].upper())
    return None if pc is None else (pc, parts[1])


def mirex(ref, est):
    if est is None:
        return 0.0, "none"
    (rp, rm), (ep, em) = ref, est
    if (rp, rm) == (ep, em):
        return 1.0, "correct"
    if rm == em and (ep - rp) % 12 == 7:
        return 0.5, "fifth"
    if rm == "major" and em == "minor" and (ep - rp) % 12 == 9:
        return 0.3, "relative"
    if rm == "minor" and em == "major" and (ep - rp) % 12 == 3:
        return 0.3, "relative"
    if rp == ep:
        return 0.2, "parallel"
    return 0.0, "other"


def tempo_acc(ref, est, tol=0.04):
    if est is None or not (est == est) or est <= 0:
        return False, False
    a1 = abs(est - ref) <= tol * ref
    return a1, any(abs(est * f - ref) <= tol * ref for f in (1, 2, 3, 0.5, 1 / 3))


def beat_f(ref, est, tol=0.07):
    if not ref or not est:
        return 0.0
    used, hit = set(), 0
    for r in ref:
        best = None
        for i, e in enumerate(est):
            if i not in used and abs(e - r) <= tol and (best is None or abs(e - r) < abs(est[best] - r)):
                best = i
        if best is not None:
            used.add(best); hit += 1
    p, r = hit / len(est), hit / len(ref)
    return 0.0 if p + r == 0 else 2 * p * r / (p + r)


def timed(fn):
    c0 = time.process_time(); ch0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = fn()
    ch1 = resource.getrusage(resource.RUSAGE_CHILDREN); c1 = time.process_time()
    return out, (c1 - c0) + (ch1.ru_utime - ch0.ru_utime) + (ch1.ru_stime - ch0.ru_stime)


def quaver_cli(binary):
    def f(path):
        out = subprocess.run([binary, "analyze", "--json", path], capture_output=True, text=True, check=True).stdout
        j = json.loads(out)
        t, k = j.get("tempo") or {}, j.get("key") or {}
        return {"bpm": t.get("bpm"), "beats": t.get("beats") or [],
                "key": parse_key(f"{k.get('tonic')} {k.get('mode')}") if k.get("tonic") else None}
    return f


def quaver_example(binary, only):
    def f(path):
        out = subprocess.run([binary, "--only", only, path], capture_output=True, text=True, check=True).stdout
        j = json.loads(out)
        t, k = j.get("tempo") or {}, j.get("key") or {}
        return {"bpm": t.get("bpm"), "beats": t.get("beats") or [],
                "key": parse_key(f"{k.get('tonic')} {k.get('mode')}") if k.get("tonic") else None}
    return f


def load_peers(wanted):
    if not wanted:
        return {}
    path = os.environ.get("MIR_EVAL_PEERS")
    if not path:
        sys.exit("accuracy: --peers needs MIR_EVAL_PEERS=path/to/eval_peers.py (the labelled-corpus "
                 "tools), or --peers none for quaver alone")
    if not os.path.isfile(path):
        sys.exit(f"accuracy: MIR_EVAL_PEERS={path} does not exist")
    spec = importlib.util.spec_from_file_location("eval_peers", path)
    mod = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(mod)
    except ImportError as e:
        print(f"note: peers unavailable ({e}); run with the peers' venv python", file=sys.stderr)
        return {}
    return mod.PEERS


AMBIGUOUS_CAVEATS = ("may tap", "half-time", "project bpm outside")


def unambiguous(label_row):
    """A tempo label no listener would argue about: its caveat names no octave ambiguity."""
    caveat = (label_row.get("caveat") or "").lower()
    return not any(c in caveat for c in AMBIGUOUS_CAVEATS)


def evaluate(name, kind, fn, rows, corpus, out_dir):
    sel = [r for r in rows if int(r["use_tempo" if kind == "tempo" else "use_key"] or 0)]
    if kind == "all":
        sel = rows
    if not sel:
        return None
    fn(os.path.join(corpus, "audio", sel[0]["id"] + ".wav"))  # warm-up outside the timing
    per, cpu, audio = [], 0.0, 0.0
    for r in sel:
        path = os.path.join(corpus, "audio", r["id"] + ".wav")
        try:
            pred, c = timed(lambda: fn(path))
        except Exception as e:  # a peer crashing on one file is a miss, not a stop
            print(f"  {name} failed on {r['id']}: {e}", file=sys.stderr)
            pred, c = {}, 0.0
        cpu += c; audio += float(r["seconds"])
        row = {"id": r["id"], "source": r["source"]}
        if kind in ("tempo", "all") and int(r["use_tempo"] or 0):
            ref = float(r["bpm"]); est = pred.get("bpm")
            a1, a2 = tempo_acc(ref, est)
            row.update(ref_bpm=ref, est_bpm=est, acc1=int(a1), acc2=int(a2), unambiguous=int(unambiguous(r)))
            if r.get("beats"):
                row["beat_f"] = beat_f([float(x) for x in r["beats"].split()], pred.get("beats") or [])
        if kind in ("key", "all") and int(r["use_key"] or 0):
            sc, cat = mirex(parse_key(r["key"]), pred.get("key"))
            row.update(ref_key=r["key"], score=sc, cat=cat)
        per.append(row)
    if out_dir:
        with open(os.path.join(out_dir, f"{name}.csv"), "w", newline="") as fh:
            keys = sorted({k for x in per for k in x})
            w = csv.DictWriter(fh, fieldnames=keys); w.writeheader(); w.writerows(per)
    res = {"name": name, "kind": kind, "s_per_min": cpu / (audio / 60.0)}
    t = [x for x in per if "acc1" in x]
    k = [x for x in per if "score" in x]
    if t:
        res.update(n_t=len(t), acc1=100 * sum(x["acc1"] for x in t) / len(t), acc2=100 * sum(x["acc2"] for x in t) / len(t))
        u = [x for x in t if x["unambiguous"]]
        if u:
            res.update(n_u=len(u), acc1_u=100 * sum(x["acc1"] for x in u) / len(u))
        bf = [x["beat_f"] for x in t if "beat_f" in x]
        if bf:
            res["beat_f"] = 100 * sum(bf) / len(bf)
        by = {}
        for x in t:
            by.setdefault(x["source"], []).append(x["acc1"])
        res["by_source"] = " ".join(f"{s}={100 * sum(v) / len(v):.0f}" for s, v in sorted(by.items()))
    if k:
        res.update(n_k=len(k), mirex=100 * sum(x["score"] for x in k) / len(k),
                   correct=100 * sum(x["cat"] == "correct" for x in k) / len(k))
        cats = {}
        for x in k:
            if x["cat"] != "correct":
                cats[x["cat"]] = cats.get(x["cat"], 0) + 1
        res["key_errors"] = " ".join(f"{c}={n}" for c, n in sorted(cats.items()))
    return res


def fmt(v, f="{:.1f}"):
    return "-" if v is None else f.format(v)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus")
    ap.add_argument("--quaver", default=os.path.join(ROOT, "target", "release", "quaver"))
    ap.add_argument("--example", default=os.path.join(ROOT, "target", "release", "examples", "music"))
    ap.add_argument("--peers", default="librosa_beat,librosa_ks,essentia_percival,essentia_key_bgate",
                    help="comma list of eval_peers.py names, 'none', or 'all'")
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--source", default="", help="keep only these sources (comma list)")
    ap.add_argument("--out", default=None, help="write per-clip CSVs here")
    a = ap.parse_args()
    rows = list(csv.DictReader(open(os.path.join(a.corpus, "labels.csv"))))
    if a.source:
        rows = [r for r in rows if r["source"] in a.source.split(",")]
    if a.limit:
        rows = rows[:a.limit]
    if a.out:
        os.makedirs(a.out, exist_ok=True)
    systems = []
    if os.path.exists(a.example):
        systems += [("quaver tempo", "tempo", quaver_example(a.example, "tempo")),
                    ("quaver key", "key", quaver_example(a.example, "key"))]
    if os.path.exists(a.quaver):
        systems.append(("quaver all (analyze)", "all", quaver_cli(a.quaver)))
    peers = load_peers(a.peers != "none")
    names = [] if a.peers == "none" else (list(peers) if a.peers == "all" else a.peers.split(","))
    for n in names:
        if n not in peers:
            print(f"note: unknown peer {n}", file=sys.stderr); continue
        fn, kind, _ = peers[n]
        systems.append((n, kind, fn))
    results = []
    for name, kind, fn in systems:
        try:
            r = evaluate(name, kind, fn, rows, a.corpus, a.out)
        except ImportError as e:
            print(f"note: {name} skipped ({e})", file=sys.stderr); continue
        if r:
            results.append(r)
            print(f"  done {name}", file=sys.stderr, flush=True)
    print(f"\n{len(rows)} clips, {sum(float(r['seconds']) for r in rows) / 60:.1f} min of audio\n")
    print("| system | tempo n | Acc1 % | Acc2 % | unambiguous n / Acc1 % | beat F | key n | MIREX | correct % | CPU s/min |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['name']} | {r.get('n_t', '-')} | {fmt(r.get('acc1'))} | {fmt(r.get('acc2'))} | "
              f"{r.get('n_u', '-')} / {fmt(r.get('acc1_u'))} | {fmt(r.get('beat_f'))} | "
              f"{r.get('n_k', '-')} | {fmt(r.get('mirex'))} | {fmt(r.get('correct'))} | {r['s_per_min']:.3f} |")
    print()
    for r in results:
        extra = " ".join(x for x in (r.get("by_source", ""), r.get("key_errors", "")) if x)
        if extra:
            print(f"{r['name']}: {extra}")


if __name__ == "__main__":
    main()
