#!/usr/bin/env python3
"""Cuts the 30 s real-music clips the test suites use from installed Debian game-music packages.

    python3 scripts/corpus/clips.py                 # build (or check) target/corpus/clips/
    python3 scripts/corpus/clips.py --out DIR       # elsewhere (the tests read QUAVER_CORPUS_CLIPS)
    python3 scripts/corpus/clips.py --packages      # print the Debian packages the clips come from

`clips.tsv` names each clip's track and offset; `tracks.tsv` gives the track's file inside its
package and the sha256 of the shipped bytes, which is checked before anything is cut (a changed
package fails the build instead of silently changing the test data). Each clip is the track
decoded to 16-bit 44.1 kHz stereo (soxr, triangular dither, as `build_corpus.py` makes its
masters) and cut at a fixed sample offset to 30 s of FLAC, written atomically (`.part` + rename).
Idempotent: a clip that is already there with the right length, format and source sha256 tag
(and passes `flac -t`) is kept. scripts/setup.d/corpus.sh installs the packages and runs this.

Ported from the project's shared corpus tooling (the clip set and the master's ffmpeg settings of
its build_corpus.py); it is the repository's own script now.
Needs: python3 (stdlib), ffmpeg, ffprobe, flac.
"""
import argparse, csv, hashlib, json, os, shutil, subprocess, sys, tempfile, zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "../.."))
DEFAULT_OUT = os.path.join(ROOT, "target/corpus/clips")
RATE, SECONDS = 44100, 30
SOXR = "aresample=resampler=soxr:precision=28"


def load(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def tracks_by_id():
    return {t["track_id"]: t for t in load(os.path.join(HERE, "tracks.tsv"))}


def clip_rows():
    tracks = tracks_by_id()
    rows = []
    for c in load(os.path.join(HERE, "clips.tsv")):
        t = tracks.get(c["track_id"])
        if t is None:
            sys.exit("clips.tsv: %s is not in tracks.tsv" % c["track_id"])
        rows.append((c, t))
    return rows


def read_source(loc):
    """The shipped bytes of a track: a plain file or a member of a zip (.pk3) archive."""
    if "::" in loc:
        archive, member = loc.split("::", 1)
        with zipfile.ZipFile(archive) as z:
            return z.read(member)
    with open(loc, "rb") as f:
        return f.read()


def probe(path):
    r = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "a:0", "-show_entries",
                        "stream=codec_name,sample_rate,channels,duration_ts:format_tags=source_sha256",
                        "-of", "json", path], capture_output=True, text=True)
    if r.returncode != 0:
        return None
    j = json.loads(r.stdout)
    s = (j.get("streams") or [{}])[0]
    tags = {k.lower(): v for k, v in (j.get("format", {}).get("tags") or {}).items()}
    return dict(codec=s.get("codec_name"), rate=int(s.get("sample_rate") or 0), channels=s.get("channels"),
                frames=int(s.get("duration_ts") or 0), source_sha256=tags.get("source_sha256"))


def valid(path, t):
    """The clip is there, 30 s of 44.1 kHz stereo FLAC cut from the expected source bytes."""
    if not os.path.isfile(path):
        return False
    p = probe(path)
    if p != dict(codec="flac", rate=RATE, channels=2, frames=RATE * SECONDS, source_sha256=t["source_sha256"]):
        return False
    return subprocess.run(["flac", "-t", "-s", path], capture_output=True).returncode == 0


def ffmpeg(args):
    r = subprocess.run(["ffmpeg", "-nostdin", "-y", "-v", "error", "-threads", "1"] + args, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("ffmpeg %s\n%s" % (" ".join(args), r.stderr[-2000:]))


def build(c, t, out):
    name = c["clip"]
    dst = os.path.join(out, name + ".flac")
    if valid(dst, t):
        return "kept"
    try:
        data = read_source(t["source"])
    except (OSError, KeyError, zipfile.BadZipFile) as e:
        raise RuntimeError("%s: cannot read %s (%s): install the Debian package %s (scripts/setup.d/corpus.sh)"
                           % (name, t["source"], e, t["package"]))
    got = hashlib.sha256(data).hexdigest()
    if got != t["source_sha256"]:
        raise RuntimeError("%s: %s has sha256 %s, tracks.tsv expects %s (package %s changed from %s?)"
                           % (name, t["source"], got, t["source_sha256"], t["package"], t["version"]))
    tmp = tempfile.mkdtemp(prefix=".clip-", dir=out)
    try:
        ext = os.path.splitext(t["source"].split("::")[-1])[1]
        src = os.path.join(tmp, "source" + ext)
        with open(src, "wb") as f:
            f.write(data)
        # the whole track first (the dither sequence then matches a master of the full track),
        # then the cut: sample-exact from the PCM master
        master = os.path.join(tmp, "master.wav")
        ffmpeg(["-i", src, "-map", "0:a:0", "-map_metadata", "-1", "-af", SOXR + ":dither_method=triangular",
                "-ar", str(RATE), "-ac", "2", "-c:a", "pcm_s16le", "-fflags", "+bitexact", master])
        part = os.path.join(tmp, name + ".flac")
        start = int(c["offset_samples"])
        trim = "atrim=start_sample=%d:end_sample=%d" % (start, start + RATE * SECONDS)
        ffmpeg(["-i", master, "-af", trim, "-map_metadata", "-1",
                "-metadata", "title=%s" % t["track_id"], "-metadata", "album=%s" % t["package"],
                "-metadata", "comment=licence %s; from Debian package %s %s; %d s from %.3f s in"
                % (t["license"], t["package"], t["version"], SECONDS, start / RATE),
                "-metadata", "source_sha256=%s" % t["source_sha256"], "-c:a", "flac", part])
        if not valid(part, t):
            raise RuntimeError("%s: the cut is not %d s of %d Hz stereo FLAC (offset %d past the end?)"
                               % (name, SECONDS, RATE, start))
        os.replace(part, dst)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return "made"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.environ.get("QUAVER_CORPUS_CLIPS") or DEFAULT_OUT)
    ap.add_argument("--packages", action="store_true", help="print the source packages, one a line, and exit")
    a = ap.parse_args()
    rows = clip_rows()
    if a.packages:
        print("\n".join(sorted({t["package"] for _, t in rows})))
        return 0
    for tool in ("ffmpeg", "ffprobe", "flac"):
        if shutil.which(tool) is None:
            sys.exit("clips: %s is missing (scripts/setup.sh installs it)" % tool)
    os.makedirs(a.out, exist_ok=True)
    failed = 0
    for c, t in rows:
        try:
            print("clips: %-40s %s" % (c["clip"] + ".flac", build(c, t, a.out)))
        except RuntimeError as e:
            failed += 1
            print("clips: FAILED %s" % e, file=sys.stderr)
    if failed:
        print("clips: %d of %d clips failed; %s is incomplete" % (failed, len(rows), a.out), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
