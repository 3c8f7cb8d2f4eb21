#!/usr/bin/env python3
"""Rebuild the real-music evaluation corpus (benches) from Debian packages (no audio is stored in git).

  sudo/root:  python3 scripts/corpus/build_corpus.py --install     # apt-get the source packages + tools
              python3 scripts/corpus/build_corpus.py [--out DIR] [--jobs 2] [--limit N] [--split public]

DIR defaults to target/corpus/full in the repository (build output).

Inputs : tracks.tsv (frozen list: package, file or zip member,
         sha256 of the shipped bytes, licence, split).
Outputs: OUT/<split>/<variant>/<track_id>.<ext>, OUT/broken/* (gen_broken.py),
         OUT/manifest.jsonl (every file), OUT/manifest-public.jsonl (public + broken only).
Subset variants (hi-res, mono, 8-bit, float, 5.1) go to rows with i % 8 in (0, 5) (~25 %).
Only the Python stdlib, ffmpeg/ffprobe (Debian 12: 5.1, with libmp3lame, libopus, libvorbis,
libsoxr, libopenmpt) are needed.  All encodes are single-threaded ffmpeg processes run --jobs
at a time; a full build is ~60-90 CPU-minutes.

Ported from the project's shared corpus tooling (same track list, variants and settings); it is
the repository's own script now.
"""
import argparse, concurrent.futures as cf, csv, hashlib, json, os, subprocess, sys, zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.join(HERE, "../../target/corpus/full")
TOOLS = ["ffmpeg", "flac", "lame", "opus-tools", "vorbis-tools", "sox", "libsox-fmt-all"]
SOXR = "aresample=resampler=soxr:precision=28"

# variant -> (extension, ffmpeg output args); input is the 16-bit 44.1 kHz master unless noted
CORE = {
    "wav16_44k": ("wav", None),  # the master itself
    "flac16_44k": ("flac", ["-c:a", "flac", "-compression_level", "5"]),
    "mp3_cbr128": ("mp3", ["-c:a", "libmp3lame", "-b:a", "128k"]),
    "mp3_cbr320": ("mp3", ["-c:a", "libmp3lame", "-b:a", "320k"]),
    "mp3_vbr_v0": ("mp3", ["-c:a", "libmp3lame", "-q:a", "0"]),
    "mp3_vbr_v2": ("mp3", ["-c:a", "libmp3lame", "-q:a", "2"]),
    "vorbis_q5": ("ogg", ["-c:a", "libvorbis", "-q:a", "5"]),
    "opus_128k": ("opus", ["-c:a", "libopus", "-b:a", "128k", "-vbr", "on"]),
    "aac_256k": ("m4a", ["-c:a", "aac", "-b:a", "256k", "-movflags", "+faststart"]),
    "alac": ("m4a", ["-c:a", "alac"]),
    "aiff16_44k": ("aiff", ["-c:a", "pcm_s16be"]),
}
# subset variants are made from the float decode of the *source* (keeps >16-bit precision)
SUBSET = {
    "wav16_44k_mono": ("wav", ["-af", SOXR, "-ar", "44100", "-ac", "1", "-c:a", "pcm_s16le"]),
    "wav16_48k": ("wav", ["-af", SOXR, "-ar", "48000", "-c:a", "pcm_s16le"]),
    "wav24_44k": ("wav", ["-af", SOXR, "-ar", "44100", "-c:a", "pcm_s24le"]),
    "wav24_96k": ("wav", ["-af", SOXR, "-ar", "96000", "-c:a", "pcm_s24le"]),
    "wavf32_44k": ("wav", ["-af", SOXR, "-ar", "44100", "-c:a", "pcm_f32le"]),
    "wav8u_22k_mono": ("wav", ["-af", SOXR, "-ar", "22050", "-ac", "1", "-c:a", "pcm_u8"]),
    "wav16_48k_5.1": ("wav", ["-af", SOXR + ",pan=5.1|FL=FL|FR=FR|FC=0.5*FL+0.5*FR|LFE=0.1*FL+0.1*FR|BL=0.5*FL|BR=0.5*FR",
                             "-ar", "48000", "-c:a", "pcm_s16le"]),
    "flac24_48k": ("flac", ["-af", SOXR, "-ar", "48000", "-c:a", "flac", "-sample_fmt", "s32"]),
    "flac24_96k": ("flac", ["-af", SOXR, "-ar", "96000", "-c:a", "flac", "-sample_fmt", "s32"]),
    "mp3_cbr128_mono_22k": ("mp3", ["-af", SOXR, "-ar", "22050", "-ac", "1", "-c:a", "libmp3lame", "-b:a", "64k"]),
}
def in_subset(i):  # rows 0, 5, 8, 13, 16, ... of tracks.tsv (~25 %)
    return i % 8 in (0, 5)


def sh(cmd):
    r = subprocess.run(cmd, capture_output=True)
    if r.returncode != 0:
        raise RuntimeError("%s\n%s" % (" ".join(cmd), r.stderr.decode(errors="replace")[-2000:]))
    return r.stdout


def sha256_file(p):
    h = hashlib.sha256()
    with open(p, "rb") as f:
        for b in iter(lambda: f.read(1 << 20), b""):
            h.update(b)
    return h.hexdigest()


def read_source(loc):
    if "::" in loc:
        z, m = loc.split("::", 1)
        return zipfile.ZipFile(z).read(m)
    with open(loc, "rb") as f:
        return f.read()


def ffprobe(p):
    j = json.loads(sh(["ffprobe", "-v", "error", "-show_entries",
                       "format=duration,bit_rate,format_name:stream=codec_name,sample_rate,channels,sample_fmt,"
                       "bits_per_raw_sample,bits_per_sample", "-select_streams", "a:0", "-of", "json", p]))
    s = (j.get("streams") or [{}])[0]
    f = j.get("format", {})
    bits = int(s.get("bits_per_raw_sample") or 0) or int(s.get("bits_per_sample") or 0) or None
    return dict(duration_s=round(float(f.get("duration", 0) or 0), 4), sample_rate=int(s.get("sample_rate") or 0),
                channels=int(s.get("channels") or 0), codec=s.get("codec_name"), sample_fmt=s.get("sample_fmt"),
                bits=bits, container=f.get("format_name"), bit_rate=int(f.get("bit_rate") or 0) or None)


def build_track(i, t, out, resume=False):
    tid, split = t["track_id"], t["split"]
    ext = os.path.splitext(t["source"])[1].lstrip(".")
    data = read_source(t["source"])
    warn = []
    if hashlib.sha256(data).hexdigest() != t["source_sha256"]:
        warn.append("source sha256 differs from tracks.tsv (package version changed?)")
    made = []  # (variant, path)

    def dst(variant, e):
        d = os.path.join(out, split, variant)
        os.makedirs(d, exist_ok=True)
        return os.path.join(d, "%s.%s" % (tid, e))

    src = dst("source", ext)
    with open(src, "wb") as f:
        f.write(data)
    made.append(("source", src))
    tags = ["-metadata", "title=%s" % tid, "-metadata", "album=%s" % t["package"],
            "-metadata", "comment=licence %s; from Debian package %s %s" % (t["license"], t["package"], t["version"])]
    master = dst("wav16_44k", "wav")
    fresh = lambda p: not (resume and os.path.exists(p) and os.path.getsize(p) > 0)
    if fresh(master):
        sh(["ffmpeg", "-nostdin", "-y", "-v", "error", "-threads", "1", "-i", src, "-map", "0:a:0", "-map_metadata", "-1",
            "-af", SOXR + ":dither_method=triangular", "-ar", "44100", "-c:a", "pcm_s16le", "-fflags", "+bitexact", master])
    made.append(("wav16_44k", master))
    for v, (e, args) in CORE.items():
        if args is None:
            continue
        p = dst(v, e)
        if fresh(p):
            sh(["ffmpeg", "-nostdin", "-y", "-v", "error", "-threads", "1", "-i", master] + args + tags + [p])
        made.append((v, p))
    if in_subset(i):
        for v, (e, args) in SUBSET.items():
            p = dst(v, e)
            if fresh(p):
                sh(["ffmpeg", "-nostdin", "-y", "-v", "error", "-threads", "1", "-i", src, "-map", "0:a:0",
                    "-map_metadata", "-1"] + args + [p])
            made.append((v, p))
    rows = []
    for v, p in made:
        r = dict(path=os.path.relpath(p, out), track_id=tid, split=split, variant=v, source_package=t["package"],
                 source_version=t["version"], source_file=t["source"], license=t["license"],
                 license_note=t["license_note"], style_hint=t["style_hint"], drums_est=t["drums_est"],
                 percussive_ratio=float(t["percussive_ratio"]), size=os.path.getsize(p), sha256=sha256_file(p))
        r.update(ffprobe(p))
        if warn:
            r["warnings"] = warn
        rows.append(r)
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tracks", default=os.path.join(HERE, "tracks.tsv"))
    ap.add_argument("--out", default=os.path.normpath(DEFAULT_OUT))
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--limit", type=int, default=0, help="only the first N tracks (smoke test)")
    ap.add_argument("--split", choices=["all", "public", "hidden"], default="all")
    ap.add_argument("--install", action="store_true", help="apt-get install source packages + tools, then exit")
    ap.add_argument("--no-broken", action="store_true")
    ap.add_argument("--resume", action="store_true", help="keep outputs that already exist (after an interrupted run)")
    a = ap.parse_args()
    tracks = list(csv.DictReader(open(a.tracks), delimiter="\t"))
    if a.install:
        pk = sorted(set(t["package"] for t in tracks))
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.check_call(["apt-get", "install", "-y", "--no-install-recommends"] + TOOLS + pk, env=env)
        for t in tracks:
            have = subprocess.run(["dpkg-query", "-W", "-f=${Version}", t["package"]], capture_output=True, text=True).stdout
            if have != t["version"]:
                print("note: %s is %s, tracks.tsv was made from %s" % (t["package"], have, t["version"]), file=sys.stderr)
        return
    todo = [(i, t) for i, t in enumerate(tracks) if a.split in ("all", t["split"])]
    if a.limit:
        todo = todo[:a.limit]
    os.makedirs(a.out, exist_ok=True)
    rows, failed = [], []
    with cf.ThreadPoolExecutor(a.jobs) as ex:
        futs = {ex.submit(build_track, i, t, a.out, a.resume): t["track_id"] for i, t in todo}
        for n, fu in enumerate(cf.as_completed(futs), 1):
            try:
                rows += fu.result()
                print("[%d/%d] %s" % (n, len(todo), futs[fu]), file=sys.stderr, flush=True)
            except Exception as e:  # keep going; report at the end
                failed.append(futs[fu])
                print("FAILED %s: %s" % (futs[fu], e), file=sys.stderr)
    if not a.no_broken:
        seed = next((r for r in rows if r["variant"] == "wav16_44k" and r["split"] == "public"), None)
        if seed:
            seeds = {r["variant"]: os.path.join(a.out, r["path"]) for r in rows if r["track_id"] == seed["track_id"]}
            out = subprocess.run([sys.executable, os.path.join(HERE, "gen_broken.py"), "make", "--out",
                                  os.path.join(a.out, "broken"), "--seeds", json.dumps(seeds)],
                                 check=True, capture_output=True, text=True).stdout
            for line in out.splitlines():
                b = json.loads(line)
                b["path"] = os.path.relpath(b.pop("abspath"), a.out)
                b["split"] = "broken"
                rows.append(b)
    rows.sort(key=lambda r: r["path"])
    with open(os.path.join(a.out, "manifest.jsonl"), "w") as f, open(os.path.join(a.out, "manifest-public.jsonl"), "w") as g:
        for r in rows:
            s = json.dumps(r, sort_keys=True) + "\n"
            f.write(s)
            if r["split"] != "hidden":
                g.write(s)
    music = [r for r in rows if r["variant"] == "wav16_44k"]
    print("tracks=%d minutes=%.1f files=%d failed=%s" % (len(music), sum(r["duration_s"] for r in music) / 60,
                                                       len(rows), failed), file=sys.stderr)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
