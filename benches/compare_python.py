#!/usr/bin/env python3
"""quaver.analyze_many vs librosa (beat_track + chroma_cqt key + mfcc) vs sonara.analyze_batch on
50 full-length tracks, in one run, with the outputs compared.

Setup (once; release wheel + a bench venv with the peers):
    .venv/bin/maturin build --release -m bindings/python/Cargo.toml -o target/wheels-release
    python3 -m venv target/bench-python/venv
    target/bench-python/venv/bin/pip install librosa==0.11.0 sonara joblib \\
        target/wheels-release/quaver-*.whl
    python3 scripts/corpus/build_corpus.py --install     # as root: the Debian music packages
Run:
    target/bench-python/venv/bin/python benches/compare_python.py [--jobs 2] [--reps 3]

Tracks (made once into target/bench-python/tracks, 16-bit 44.1 kHz stereo FLAC): the 39 public
corpus tracks of scripts/corpus/tracks.tsv, converted from the files the Debian packages ship
exactly as build_corpus.py makes its master (soxr, triangular dither) but without its 20-variant
format matrix, plus 11 derived tracks (sox: 6 transposed +3 semitones, 5 sped up 15 % keeping
pitch) so the set holds 50 distinct signals; the derived ones also check that each analyser
moves the key / tempo the way the edit did.

Printed: wall and CPU seconds of each (CPU = this process, all threads: it survives load from
other work on a shared machine; librosa's joblib workers are other processes, so wall only).
Timed, every one from paths to results, files in the page cache, JIT/imports warmed up first:
  quaver   quaver.analyze_many(paths, jobs=2)  (its default analysis: loudness + tempo + key +
           the 150-dim feature vector, more than the peers compute), and with loudness=None
           (tempo + key + features: the peers' work)
  sonara   sonara.analyze_batch(paths, features=["bpm", "beats", "key", "mfcc"]) (its own pool)
  librosa  per track: load(sr=22050, mono) -> beat_track -> chroma_cqt mean -> Krumhansl key
           -> mfcc(n_mfcc=20) mean; sequential, then the same with joblib Parallel(n_jobs=2)
"""
import argparse, csv, hashlib, os, statistics, subprocess, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CORPUS = os.path.join(ROOT, "scripts", "corpus")
OUT = os.path.join(ROOT, "target", "bench-python", "tracks")
SOXR = "aresample=resampler=soxr:precision=28:dither_method=triangular"
N_TRACKS = 50

PC = {"C": 0, "B#": 0, "C#": 1, "Db": 1, "D": 2, "D#": 3, "Eb": 3, "E": 4, "Fb": 4, "F": 5, "E#": 5,
      "F#": 6, "Gb": 6, "G": 7, "G#": 8, "Ab": 8, "A": 9, "A#": 10, "Bb": 10, "B": 11, "Cb": 11}
NAMES = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"]
# Krumhansl-Kessler key profiles (C major / C minor)
KK_MAJ = [6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88]
KK_MIN = [6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17]


# ---------------------------------------------------------------- tracks
def prepare():
    """Make the 50 FLACs once (skips files that exist). Returns [(track_id, path, derived_from, edit)]."""
    sys.path.insert(0, CORPUS)
    from build_corpus import read_source  # pk3 (zip) members too

    os.makedirs(OUT, exist_ok=True)
    tracks = list(csv.DictReader(open(os.path.join(CORPUS, "tracks.tsv")), delimiter="\t"))
    tracks = [t for t in tracks if t["split"] == "public"]
    plan = []
    for t in tracks:
        dst = os.path.join(OUT, t["track_id"] + ".flac")
        plan.append((t["track_id"], dst, None, None))
        if os.path.exists(dst) and os.path.getsize(dst) > 0:
            continue
        data = read_source(t["source"])
        if hashlib.sha256(data).hexdigest() != t["source_sha256"]:
            print("note: %s differs from tracks.tsv's sha256" % t["track_id"], file=sys.stderr)
        tmp = dst + ".src" + os.path.splitext(t["source"])[1]
        with open(tmp, "wb") as f:
            f.write(data)
        subprocess.run(["ffmpeg", "-nostdin", "-y", "-v", "error", "-threads", "1", "-i", tmp, "-map", "0:a:0",
                        "-map_metadata", "-1", "-af", SOXR, "-ar", "44100", "-ac", "2", "-c:a", "flac",
                        "-sample_fmt", "s16", dst + ".tmp.flac"], check=True)
        os.replace(dst + ".tmp.flac", dst)
        os.remove(tmp)
        print("made %s" % dst, file=sys.stderr, flush=True)
    # 11 derived tracks from the shortest sources (keeps the total length down)
    base = sorted(plan, key=lambda r: os.path.getsize(r[1]))[: N_TRACKS - len(plan)]
    for i, (tid, src, _, _) in enumerate(base):
        edit = ("pitch", "300") if i % 2 == 0 else ("tempo", "1.15")
        name = "%s__%s%s" % (tid, edit[0], edit[1].replace(".", "_"))
        dst = os.path.join(OUT, name + ".flac")
        if not (os.path.exists(dst) and os.path.getsize(dst) > 0):
            subprocess.run(["sox", "-q", src, "-b", "16", dst + ".tmp.flac", edit[0], edit[1]], check=True)
            os.replace(dst + ".tmp.flac", dst)
            print("made %s" % dst, file=sys.stderr, flush=True)
        plan.append((name, dst, tid, edit))
    return plan


# ---------------------------------------------------------------- librosa side
def krumhansl(chroma):
    import numpy as np

    c = np.asarray(chroma, dtype=float)
    best = (-2.0, 0, "major")
    for tonic in range(12):
        for mode, prof in (("major", KK_MAJ), ("minor", KK_MIN)):
            r = np.corrcoef(c, np.roll(prof, tonic))[0, 1]
            if r > best[0]:
                best = (r, tonic, mode)
    return best[1], best[2]


def librosa_one(path):
    import librosa, numpy as np

    t = [time.perf_counter()]
    y, sr = librosa.load(path, sr=22050, mono=True)
    t.append(time.perf_counter())
    tempo, beats = librosa.beat.beat_track(y=y, sr=sr)
    t.append(time.perf_counter())
    chroma = librosa.feature.chroma_cqt(y=y, sr=sr).mean(axis=1)
    tonic, mode = krumhansl(chroma)
    t.append(time.perf_counter())
    mfcc = librosa.feature.mfcc(y=y, sr=sr, n_mfcc=20).mean(axis=1)
    t.append(time.perf_counter())
    return dict(bpm=float(np.atleast_1d(tempo)[0]), beats=len(beats), tonic=tonic, mode=mode,
                mfcc=[float(v) for v in mfcc], stages=[b - a for a, b in zip(t, t[1:])])


# ---------------------------------------------------------------- comparison helpers
def parse_key(label):
    if not label or not isinstance(label, str):
        return None
    parts = label.replace("maj", "major ").replace("min", "minor ").split()
    if len(parts) < 2 or parts[0] not in PC:
        return None
    return PC[parts[0]], ("minor" if parts[1].startswith("minor") else "major")


def key_name(k):
    return "-" if k is None else "%s %s" % (NAMES[k[0]], k[1][:3])


def bpm_agree(a, b):
    if not a or not b:
        return False, False
    exact = abs(a - b) <= 0.04 * b
    octave = any(abs(a * f - b) <= 0.04 * b for f in (0.5, 2.0))
    return exact, exact or octave


def key_relation(a, b):
    """'same', 'relative' (C maj / A min), 'fifth' (a fifth apart, same mode), 'parallel', or 'other'."""
    if a is None or b is None:
        return "missing"
    (ta, ma), (tb, mb) = a, b
    if (ta, ma) == (tb, mb):
        return "same"
    if ma != mb:
        maj, mnr = (ta, tb) if ma == "major" else (tb, ta)
        if (maj - 3) % 12 == mnr:
            return "relative"
        if ta == tb:
            return "parallel"
        return "other"
    if (ta - tb) % 12 in (5, 7):
        return "fifth"
    return "other"


def pearson(x, y):
    import numpy as np

    x, y = np.asarray(x, float), np.asarray(y, float)
    if x.std() == 0 or y.std() == 0:
        return float("nan")
    return float(np.corrcoef(x, y)[0, 1])


# ---------------------------------------------------------------- main
def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--reps", type=int, default=3, help="repetitions of the quaver and sonara runs (median)")
    ap.add_argument("--prepare-only", action="store_true")
    ap.add_argument("--no-librosa-parallel", action="store_true")
    a = ap.parse_args()

    plan = prepare()
    if a.prepare_only:
        return
    paths = [p for _, p, _, _ in plan]
    assert len(paths) == N_TRACKS and len(set(paths)) == N_TRACKS
    import numpy as np  # noqa: F401
    import quaver, librosa, joblib

    try:
        import sonara
    except ImportError as e:  # reported, not fatal
        sonara = None
        print("sonara not importable (%s): skipped" % e)

    total_s = 0.0
    for p in paths:  # page cache + durations
        with open(p, "rb") as f:
            while f.read(1 << 22):
                pass
        total_s += quaver.info(p).duration_s
    print("tracks: %d files, %.1f min of audio (%s), %d cores, jobs=%d" % (
        len(paths), total_s / 60, os.path.relpath(OUT, ROOT), os.cpu_count(), a.jobs))
    print("versions: quaver %s, librosa %s, sonara %s, numpy %s" % (
        quaver.__version__, librosa.__version__, getattr(sonara, "__version__", "-"), np.__version__))

    warm = os.path.join(ROOT, "examples", "data", "calling_bogus_30s.flac")  # committed sample
    quaver.analyze_many([warm], jobs=a.jobs)
    librosa_one(warm)  # numba JIT, filter caches
    if sonara:
        sonara.analyze_batch([warm], features=["bpm", "beats", "key", "mfcc"])

    cpu = {}

    def timed(name, fn):
        """Wall and CPU seconds (this process, all threads: a contention-proof second measure)."""
        load0, c0, t0 = os.getloadavg()[0], time.process_time(), time.perf_counter()
        r = fn()
        dt, dc = time.perf_counter() - t0, time.process_time() - c0
        print("  %-44s wall %7.2f s  cpu %7.2f s  (load avg %.1f -> %.1f)" % (
            name, dt, dc, load0, os.getloadavg()[0]), flush=True)
        return dt, dc, r

    times = {}
    q_times, s_times, q_cpu, s_cpu, n_times, n_cpu = [], [], [], [], [], []
    for rep in range(a.reps):
        dt, dc, q_res = timed("quaver.analyze_many rep %d" % (rep + 1), lambda: quaver.analyze_many(paths, jobs=a.jobs))
        q_times.append(dt)
        q_cpu.append(dc)
        dt, dc, _ = timed("quaver.analyze_many(loudness=None) rep %d" % (rep + 1),
                          lambda: quaver.analyze_many(paths, jobs=a.jobs, loudness=None))
        n_times.append(dt)
        n_cpu.append(dc)
        if sonara:
            dt, dc, s_res = timed("sonara.analyze_batch rep %d" % (rep + 1),
                                  lambda: sonara.analyze_batch(paths, features=["bpm", "beats", "key", "mfcc"]))
            s_times.append(dt)
            s_cpu.append(dc)
    errs = [r for r in q_res if isinstance(r, Exception)]
    assert not errs, errs
    times["quaver"], cpu["quaver"] = statistics.median(q_times), statistics.median(q_cpu)
    times["quaver_nl"], cpu["quaver_nl"] = statistics.median(n_times), statistics.median(n_cpu)
    if sonara:
        times["sonara"], cpu["sonara"] = statistics.median(s_times), statistics.median(s_cpu)
        assert not [r for r in s_res if r.get("error")], [r for r in s_res if r.get("error")]

    times["librosa"], cpu["librosa"], l_res = timed("librosa sequential", lambda: [librosa_one(p) for p in paths])
    if not a.no_librosa_parallel:
        par = joblib.Parallel(n_jobs=a.jobs)
        par(joblib.delayed(librosa_one)(warm) for _ in range(a.jobs))  # start + warm the workers
        times["librosa_par"], _, l_par = timed("librosa joblib n_jobs=%d (cpu: in workers)" % a.jobs,
                                               lambda: par(joblib.delayed(librosa_one)(p) for p in paths))
        assert [r["bpm"] for r in l_par] == [r["bpm"] for r in l_res]
    timed("quaver.analyze_many again (drift check)", lambda: quaver.analyze_many(paths, jobs=a.jobs))

    # The floor under any engine that reads these files: decoding them and nothing else, with
    # the reference FLAC decoder (`flac -d`, faster than ffmpeg here) in `jobs` processes.
    def flac_decode_all():
        from concurrent.futures import ThreadPoolExecutor
        with ThreadPoolExecutor(a.jobs) as ex:
            list(ex.map(lambda p: subprocess.run(["flac", "-dcs", p], stdout=subprocess.DEVNULL, check=True), paths))
    floor = min(timed("decode floor: flac -d, %d processes" % a.jobs, flac_decode_all)[0] for _ in range(2))

    mins = total_s / 60
    print()
    print("| run (%d tracks, %.0f min of audio) | wall s | s per audio min | quaver is (wall) | CPU s | quaver is (CPU) |" % (len(paths), mins))
    print("|---|---|---|---|---|---|")
    rows = [("quaver.analyze_many(jobs=%d), median of %d" % (a.jobs, a.reps), "quaver"),
            ("quaver.analyze_many(jobs=%d, loudness=None): the peers' work, median of %d" % (a.jobs, a.reps),
             "quaver_nl")]
    if sonara:
        rows.append(("sonara.analyze_batch(bpm, beats, key, mfcc), median of %d" % a.reps, "sonara"))
    rows.append(("librosa, per track, sequential", "librosa"))
    if "librosa_par" in times:
        rows.append(("librosa, joblib n_jobs=%d" % a.jobs, "librosa_par"))
    for label, k in rows:
        ratio = "-" if k.startswith("quaver") else "%.1f× faster" % (times[k] / times["quaver"])
        cratio = "-" if k.startswith("quaver") or k not in cpu else "%.1f× less" % (cpu[k] / cpu["quaver"])
        print("| %s | %.2f | %.3f | %s | %s | %s |" % (label, times[k], times[k] / mins, ratio,
                                                       "%.2f" % cpu[k] if k in cpu else "-", cratio))
    print("quaver runs: %s s; with loudness=None: %s s" % (", ".join("%.2f" % t for t in q_times),
                                                          ", ".join("%.2f" % t for t in n_times)))
    st = [sum(r["stages"][i] for r in l_res) for i in range(4)]
    print("librosa sequential by stage: load+resample %.1f s, beat_track %.1f s, chroma_cqt+key %.1f s, mfcc %.1f s"
          % tuple(st))
    if sonara:
        print("sonara runs: %s s" % ", ".join("%.2f" % t for t in s_times))

    # ------------------------------------------------------------ outputs
    Q = [dict(bpm=r.tempo["bpm"] if r.tempo else None, key=parse_key(r.key["label"]) if r.key else None,
              mfcc=[r.features["values"][i] for i in range(20)]) for r in q_res]
    L = [dict(bpm=r["bpm"], key=(r["tonic"], r["mode"]), mfcc=r["mfcc"]) for r in l_res]
    S = [dict(bpm=r.get("bpm"), key=parse_key(r.get("key")), mfcc=r.get("mfcc_mean")) for r in s_res] if sonara else None

    def agree(X, Y, nx, ny):
        n = len(X)
        b4 = sum(bpm_agree(x["bpm"], y["bpm"])[0] for x, y in zip(X, Y))
        bo = sum(bpm_agree(x["bpm"], y["bpm"])[1] for x, y in zip(X, Y))
        rel = [key_relation(x["key"], y["key"]) for x, y in zip(X, Y)]
        k = n - rel.count("missing")  # an analyser may abstain (no key when the evidence is weak)
        same = rel.count("same")
        close = same + rel.count("relative") + rel.count("fifth") + rel.count("parallel")
        print("| %s vs %s | %d/%d (%.0f %%) | %d/%d (%.0f %%) | %d | %d/%d (%.0f %%) | %d/%d (%.0f %%) |" % (
            nx, ny, b4, n, 100 * b4 / n, bo, n, 100 * bo / n, n - k, same, k, 100 * same / k, close, k,
            100 * close / k))

    print()
    print("| pair | BPM within 4 % | BPM within 4 % or octave (×2, ×½) | key withheld | same key | same/relative/fifth/parallel key |")
    print("|---|---|---|---|---|---|")
    agree(Q, L, "quaver", "librosa")
    if S:
        agree(Q, S, "quaver", "sonara")
        agree(S, L, "sonara", "librosa")
    r_q_l = [pearson(q["mfcc"][1:], l["mfcc"][1:]) for q, l in zip(Q, L)]
    print("MFCC means (coefficients 1-19) quaver vs librosa, per-track Pearson r: median %.3f, min %.3f;"
          " c0 ratio median %.2f" % (statistics.median(r_q_l), min(r_q_l),
                                     statistics.median(q["mfcc"][0] / l["mfcc"][0] for q, l in zip(Q, L))))
    if S and all(s["mfcc"] for s in S):
        r_s_l = [pearson(s["mfcc"][1:], l["mfcc"][1:len(s["mfcc"])]) for s, l in zip(S, L)]
        print("MFCC means (its %d coefficients, 1-%d) sonara vs librosa, per-track Pearson r" % (len(S[0]["mfcc"]), len(S[0]["mfcc"]) - 1) + ": median %.3f, min %.3f" % (
            statistics.median(r_s_l), min(r_s_l)))

    # self-consistency on the derived tracks: does each analyser follow the edit?
    idx = {tid: i for i, (tid, _, _, _) in enumerate(plan)}
    print()
    print("| derived tracks: follows the edit | quaver | librosa%s |" % (" | sonara" if S else ""))
    print("|---|---|---%s|" % ("|---" if S else ""))
    for kind, want in (("pitch", "key +3 semitones, same mode"), ("tempo", "BPM ×1.15 (±4 %, or its octave)")):
        cells = []
        for R in [Q, L] + ([S] if S else []):
            ok = n = 0
            for i, (tid, _, src, edit) in enumerate(plan):
                if not edit or edit[0] != kind:
                    continue
                n += 1
                o, d = R[idx[src]], R[i]
                if kind == "pitch":
                    ok += bool(o["key"] and d["key"] and d["key"] == ((o["key"][0] + 3) % 12, o["key"][1]))
                else:
                    ok += bool(o["bpm"] and d["bpm"] and bpm_agree(d["bpm"], o["bpm"] * 1.15)[1])
            cells.append("%d/%d" % (ok, n))
        print("| %s: %s | %s |" % (kind, want, " | ".join(cells)))

    print()
    print("per track (bpm / key):")
    for i, (tid, _, _, _) in enumerate(plan):
        s = " | sonara %6.1f %-7s" % (S[i]["bpm"] or 0, key_name(S[i]["key"])) if S else ""
        print("  %-58s quaver %6.1f %-7s | librosa %6.1f %-7s%s" % (
            tid[:58], Q[i]["bpm"] or 0, key_name(Q[i]["key"]), L[i]["bpm"], key_name(L[i]["key"]), s))

    ratio = times["librosa"] / times["quaver"]
    print()
    print("CPU: quaver %.2f s, librosa %.2f s (%.1f×)%s" % (
        cpu["quaver"], cpu["librosa"], cpu["librosa"] / cpu["quaver"],
        ", sonara %.2f s (%.2f×)" % (cpu["sonara"], cpu["sonara"] / cpu["quaver"]) if sonara else ""))
    print("RESULT: quaver.analyze_many %.2f s; librosa sequential %.2f s (%.1f×)%s%s" % (
        times["quaver"], times["librosa"], ratio,
        "; librosa joblib %.2f s (%.1f×)" % (times["librosa_par"], times["librosa_par"] / times["quaver"])
        if "librosa_par" in times else "",
        "; sonara %.2f s (%.2f×)" % (times["sonara"], times["sonara"] / times["quaver"]) if sonara else ""))
    print("quaver with loudness=None (the peers' work): %.2f s wall, %.2f s CPU: %.1f× / %.1f× librosa%s" % (
        times["quaver_nl"], cpu["quaver_nl"], times["librosa"] / times["quaver_nl"], cpu["librosa"] / cpu["quaver_nl"],
        ", %.2f× / %.2f× sonara" % (times["sonara"] / times["quaver_nl"], cpu["sonara"] / cpu["quaver_nl"]) if sonara else ""))
    print("target >= 50× librosa: %s (best case %.1f×)" % ("MET" if ratio >= 50 else "NOT MET",
                                                         max(ratio, times["librosa"] / times["quaver_nl"])))
    print("decode floor: `flac -d` alone over the %d files takes %.2f s (%d processes), so no engine that "
          "reads them can beat librosa by more than %.1f× here; 50× needs %.2f s" % (
              len(paths), floor, a.jobs, times["librosa"] / floor, times["librosa"] / 50))
    if sonara:
        print("faster than sonara: wall %s (%.2f×), CPU %s (%.2f×); with loudness=None: wall %s, CPU %s" % (
            "yes" if times["sonara"] > times["quaver"] else "no", times["sonara"] / times["quaver"],
            "yes" if cpu["sonara"] > cpu["quaver"] else "no", cpu["sonara"] / cpu["quaver"],
            "yes" if times["sonara"] > times["quaver_nl"] else "no", "yes" if cpu["sonara"] > cpu["quaver_nl"] else "no"))


if __name__ == "__main__":
    main()
