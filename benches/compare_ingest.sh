#!/usr/bin/env bash
# `quaver ingest` vs the equivalent separate tools run one after another (issue 8, "Done means"
# speed + memory bullets), in one run on the same machine.
#
# Input: a 4-minute 44.1 kHz 16-bit stereo FLAC made by concatenating the real-music clips
# ($QUAVER_CORPUS_CLIPS, else target/corpus/clips: made by scripts/corpus/clips.py from Debian
# packages; ffmpeg concat demuxer: the 6 x 30 s clips, then the first 2 again = 8 x 30 s = 240 s).
#
# Catalog (built once, cached under target/bench-ingest/catalog/, ~2.5 GB of 8 kHz mono FLAC,
# a few minutes on 2 cores): 1000 distinct tracks indexed with `quaver fp index --list`, made as
# in benches/fingerprint.rs but as real audio files: a pool of 1000 blocks, each a corpus clip
# cut at a random start (0-6 s), time-scaled by a random factor 0.8-1.25 (sox `speed`: tempo and
# pitch) and transposed by a random -300..+300 cents (sox `pitch`); each track is 8 pool blocks
# in a pseudo-random order (every block used 8 times), ~3.5 min per track, ~58 h in all.
# Track 0 is the 6 clips unshifted, so the scan of the upload finds real catalog matches.
#
# quaver side (one process, one decode):
#   quaver ingest IN OUT --ladder standard --mp3 128,320 --catalog DB   (full analysis + waveform)
# peer side (separate tools, one after another, same input; wall times summed):
#   1. ffmpeg Opus 64/96/160 ladder -> HLS + DASH   (the command line of benches/compare_package.sh)
#   2. ffmpeg -> MP3 128k CBR + 320k CBR (libmp3lame, one ffmpeg call, two outputs)
#   3. ffmpeg -af ebur128=peak=true -f null -
#   4. fpcalc -length 0 (whole file; chromaprint only fingerprints, it searches no catalog)
#   5. waveform: audiowaveform if installed, else skipped (not in Debian; quaver's waveform
#      stage is still counted on the quaver side)
#   6. tempo/key: the fastest of the candidates below that gives BOTH tempo and key, each run as a
#      separate process on the same file (interpreter start-up included, as a pipeline would):
#        essentia_perc : Essentia MonoLoader + PercivalBpmEstimator + KeyExtractor (no beats)
#        essentia_re   : Essentia MonoLoader + RhythmExtractor2013(degara) + KeyExtractor (beats)
#        aubio+es_key  : `aubio tempo` (beats) then Essentia KeyExtractor
#        librosa       : librosa.load 22.05 kHz + beat_track + chroma_cqt/Krumhansl key
#      PEER_PY names a python with essentia + librosa (default: a venv under
#      target/bench-ingest/venv, created with pip install essentia librosa when missing).
# Every command: best of $REPEAT (default 2) wall and CPU (user+sys), max peak RSS, via
# /usr/bin/time. Then part 2: peak RSS of `quaver ingest` on a 60-minute FLAC (the clips
# concatenated 20 times), against the issue's 300 MB bar.
#
# Usage: benches/compare_ingest.sh            (REPEAT=N, SKIP_60MIN=1, QUAVER=path, PEER_PY=path)
set -euo pipefail
cd "$(dirname "$0")/.."
Q=${QUAVER:-target/release/quaver}
[ -n "${QUAVER:-}" ] || cargo build --release --quiet --bin quaver
for t in ffmpeg ffprobe sox fpcalc bc python3; do
  command -v $t >/dev/null || { echo "missing $t (apt-get install ffmpeg sox libsox-fmt-all libchromaprint-tools bc)"; exit 1; }
done
W=target/bench-ingest
mkdir -p "$W"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
REPEAT=${REPEAT:-2}
CLIPS_DIR=$(readlink -f "${QUAVER_CORPUS_CLIPS:-target/corpus/clips}")   # absolute paths
CLIPS=("$CLIPS_DIR"/*.flac)
[ -e "${CLIPS[0]}" ] || { echo "missing the real-music clips at $CLIPS_DIR: run ./scripts/setup.sh (or scripts/corpus/clips.py)"; exit 1; }

# ---------------------------------------------------------------------------------- inputs
IN=$W/input_4min.flac
if [ ! -s "$IN" ]; then
  printf "file '%s'\n" "${CLIPS[@]}" "${CLIPS[@]:0:2}" >"$tmp/c4.txt"
  ffmpeg -hide_banner -nostdin -loglevel error -y -f concat -safe 0 -i "$tmp/c4.txt" -c:a flac "$IN"
fi
IN60=$W/input_60min.flac
if [ -z "${SKIP_60MIN:-}" ] && [ ! -s "$IN60" ]; then
  for _ in $(seq 20); do printf "file '%s'\n" "${CLIPS[@]}"; done >"$tmp/c60.txt"
  ffmpeg -hide_banner -nostdin -loglevel error -y -f concat -safe 0 -i "$tmp/c60.txt" -c:a flac "$IN60"
fi

# --------------------------------------------------------------------------------- catalog
CAT=$W/catalog
DB=$CAT/db
CAT_VERSION="v1 1000 tracks, 8 blocks of 1000, seed 8"
if [ "$(cat "$CAT/done" 2>/dev/null)" != "$CAT_VERSION" ]; then
  echo "building the 1000-track catalog under $CAT (once) ..."
  rm -rf "$CAT"; mkdir -p "$CAT/blocks" "$CAT/tracks"
  t0=$(date +%s)
  python3 - "$CAT" "${CLIPS[@]}" >"$tmp/cmds" <<'PY'
import random, sys, shlex
cat, clips = sys.argv[1], sys.argv[2:]
rng = random.Random(8)
q = shlex.quote
for b in range(1000):
    c = clips[b % len(clips)]
    off, sp, pc = rng.uniform(0, 6), rng.uniform(0.8, 1.25), rng.randint(-300, 300)
    print(f"sox -V1 {q(c)} -c 1 {cat}/blocks/{b:04d}.flac remix - rate 8k trim {off:.3f} "
          f"speed {sp:.4f} pitch {pc} rate 8k vol 0.7")
PY
  xargs -P 2 -d '\n' -n 1 sh -c <"$tmp/cmds"
  python3 - "$CAT" "${CLIPS[@]}" >"$tmp/cmds" <<'PY'
import random, sys, shlex
cat, clips = sys.argv[1], sys.argv[2:]
rng = random.Random(88)
uses = [b for b in range(1000) for _ in range(8)]
rng.shuffle(uses)
q = shlex.quote
# track 0: the corpus clips as they are (the upload is made of them)
print("sox -V1 " + " ".join(q(c) for c in clips) + f" -c 1 -r 8k {cat}/tracks/t0000.flac")
for t in range(1, 1000):
    blocks = " ".join(f"{cat}/blocks/{b:04d}.flac" for b in uses[8 * t:8 * t + 8])
    print(f"sox -V1 {blocks} {cat}/tracks/t{t:04d}.flac")
PY
  xargs -P 2 -d '\n' -n 1 sh -c <"$tmp/cmds"
  rm -rf "$CAT/blocks"
  ls "$PWD/$CAT"/tracks/*.flac >"$CAT/list.txt"
  t1=$(date +%s)
  "$Q" fp index --db "$DB" --list "$CAT/list.txt" >/dev/null
  t2=$(date +%s)
  echo "  generated $(wc -l <"$CAT/list.txt") tracks in $((t1 - t0)) s, indexed in $((t2 - t1)) s"
  echo "$CAT_VERSION" >"$CAT/done"
fi
cat_hours=$(for f in "$CAT"/tracks/*.flac; do soxi -D "$f"; done | awk '{s+=$1} END{printf "%.1f", s/3600}')

# ------------------------------------------------------------------------------ measuring
# measure NAME CMD...: best-of-$REPEAT wall and CPU, max peak RSS; appends "NAME wall cpu kb".
measure() {
  local name=$1; shift
  local bw=999999 bc=999999 bm=0
  for _ in $(seq "$REPEAT"); do
    rm -rf "$tmp/out" && mkdir -p "$tmp/out"
    /usr/bin/time -f "%e %U %S %M" -o "$tmp/t" "$@" >"$tmp/log" 2>&1 || { echo "FAILED: $*"; cat "$tmp/log"; exit 1; }
    read -r w u s m <"$tmp/t"
    local c; c=$(echo "$u + $s" | bc)
    bw=$(echo "if ($w < $bw) $w else $bw" | bc); bc=$(echo "if ($c < $bc) $c else $bc" | bc)
    [ "$m" -gt "$bm" ] && bm=$m
  done
  echo "$name $bw $bc $bm" >>"$tmp/results"
}

# tempo/key peer environment
PEER_PY=${PEER_PY:-$W/venv/bin/python}
if ! "$PEER_PY" -c "import essentia, librosa" 2>/dev/null; then
  [ "$PEER_PY" = "$W/venv/bin/python" ] || { echo "PEER_PY=$PEER_PY lacks essentia or librosa"; exit 1; }
  echo "installing essentia + librosa into $W/venv (bench-only) ..."
  python3 -m venv "$W/venv" && "$W/venv/bin/pip" install -q essentia librosa soundfile
fi
cat >"$tmp/tk.py" <<'PY'
import sys, warnings
warnings.filterwarnings("ignore")
mode, path = sys.argv[1], sys.argv[2]
if mode == "librosa":
    import numpy as np, librosa
    y, sr = librosa.load(path, sr=22050, mono=True)
    tempo, beats = librosa.beat.beat_track(y=y, sr=sr)
    c = librosa.feature.chroma_cqt(y=y, sr=sr).mean(axis=1)
    maj = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
    mnr = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])
    key = max((np.corrcoef(c, np.roll(p, k))[0, 1], k, m) for k in range(12) for m, p in (("maj", maj), ("min", mnr)))
    print(float(np.atleast_1d(tempo)[0]), key[1:])
else:
    import essentia
    essentia.log.warningActive = False
    import essentia.standard as es
    a = es.MonoLoader(filename=path, sampleRate=44100)()
    if mode == "essentia_perc":
        print(es.PercivalBpmEstimator()(a))
    elif mode == "essentia_re":
        print(es.RhythmExtractor2013(method="degara")(a)[0])
    print(es.KeyExtractor()(a)[:2])
PY

FF=(ffmpeg -hide_banner -nostdin -loglevel error -y)
echo "input: $IN ($(ffprobe -v error -show_entries format=duration -of csv=p=0 "$IN") s); catalog: $(wc -l <"$CAT/list.txt") tracks, $cat_hours h; best of $REPEAT; load: $(cut -d' ' -f1-3 /proc/loadavg)"
: >"$tmp/results"
measure quaver_ingest "$Q" ingest "$IN" "$tmp/out/q" --ladder standard --mp3 128,320 --catalog "$DB" --quiet
measure ffmpeg_ladder "${FF[@]}" -i "$IN" \
  -filter_complex "[0:a]asetpts=N/SR/TB,aresample=48000,asplit=3[o0][o1][o2]" \
  -map "[o0]" -map "[o1]" -map "[o2]" -c:a libopus -compression_level 10 -b:a:0 64k -b:a:1 96k -b:a:2 160k \
  -f dash -dash_segment_type mp4 -seg_duration 6 -use_template 1 -use_timeline 1 -hls_playlist 1 \
  -hls_master_name master.m3u8 -adaptation_sets id=0,streams=a "$tmp/out/manifest.mpd"
measure ffmpeg_mp3_128_320 "${FF[@]}" -i "$IN" -c:a libmp3lame -b:a 128k "$tmp/out/128.mp3" \
  -c:a libmp3lame -b:a 320k "$tmp/out/320.mp3"
measure ffmpeg_ebur128 "${FF[@]}" -nostats -i "$IN" -af ebur128=peak=true -f null -
# fpcalc prints the fingerprint and still exits 3 at the end of a FLAC file ("Error decoding
# audio frame (End of file)"): success is a FINGERPRINT line.
measure fpcalc sh -c 'fpcalc -length 0 "$1" | grep -q "^FINGERPRINT="' fpcalc "$IN"
if command -v audiowaveform >/dev/null; then
  measure audiowaveform audiowaveform -i "$IN" -o "$tmp/out/w.dat" -b 8
  measure audiowaveform_png audiowaveform -i "$IN" -o "$tmp/out/w.png" -w 1800
fi
for m in essentia_perc essentia_re librosa; do measure "tk_$m" "$PEER_PY" "$tmp/tk.py" "$m" "$IN"; done
if command -v aubio >/dev/null; then
  measure tk_aubio_tempo aubio tempo -i "$IN"
  measure tk_essentia_keyonly "$PEER_PY" "$tmp/tk.py" key "$IN"
fi
# one ingest run kept for its per-stage timings
"$Q" ingest "$IN" "$tmp/rep" --ladder standard --mp3 128,320 --catalog "$DB" --quiet

python3 - "$tmp/results" "$tmp/rep/report.json" <<'PY'
import json, sys
r = {l.split()[0]: tuple(map(float, l.split()[1:])) for l in open(sys.argv[1])}
# fastest tempo+key candidate (aubio gives tempo only: it is paired with essentia's key)
cands = {k[3:]: r[k] for k in r if k.startswith("tk_") and k not in ("tk_aubio_tempo", "tk_essentia_keyonly")}
if "tk_aubio_tempo" in r:
    a, b = r["tk_aubio_tempo"], r["tk_essentia_keyonly"]
    cands["aubio+es_key"] = (a[0] + b[0], a[1] + b[1], max(a[2], b[2]))
best = min(cands, key=lambda k: cands[k][0])
print("tempo/key candidates (wall s):", ", ".join(f"{k} {v[0]:.2f}" for k, v in sorted(cands.items(), key=lambda kv: kv[1][0])), f"-> {best}")
peers = [k for k in ("ffmpeg_ladder", "ffmpeg_mp3_128_320", "ffmpeg_ebur128", "fpcalc", "audiowaveform", "audiowaveform_png") if k in r]
rows = [(k, *r[k]) for k in peers] + [(f"tempo/key: {best}", *cands[best])]
if "audiowaveform" not in r:
    print("waveform peer: audiowaveform not installed -> skipped (peer side has no waveform)")
q = r["quaver_ingest"]
print(f"\n{'command':34s} {'wall_s':>8s} {'cpu_s':>8s} {'peak_MB':>8s}")
print(f"{'quaver ingest (all of it)':34s} {q[0]:8.2f} {q[1]:8.2f} {q[2]/1024:8.0f}")
print("separate tools, one after another:")
for n, w, c, m in rows:
    print(f"  {n:32s} {w:8.2f} {c:8.2f} {m/1024:8.0f}")
sw, sc, sm = sum(x[1] for x in rows), sum(x[2] for x in rows), max(x[3] for x in rows)
print(f"  {'sum':32s} {sw:8.2f} {sc:8.2f} {sm/1024:8.0f} (max)")
ratio = q[0] / sw
print(f"\nratio quaver/peers: wall {ratio:.2f}x (bar <= 0.60: {'PASS' if ratio <= 0.6 else 'MISS'}), cpu {q[1]/sc:.2f}x")
t = json.load(open(sys.argv[2]))["timings"]
print(f"quaver stages (one run: wall {t['wall_s']:.2f} s, decode pass {t['decode_pass_s']:.2f} s; "
      "stage times are summed over worker threads):")
print("  " + ", ".join(f"{n} {s:.2f}" for n, s in t["stages"]))
PY

# ------------------------------------------------------------------- part 2: 60-min memory
if [ -z "${SKIP_60MIN:-}" ]; then
  /usr/bin/time -f "%e %U %S %M" -o "$tmp/t" "$Q" ingest "$IN60" "$tmp/out60" --ladder standard \
    --mp3 128,320 --catalog "$DB" --quiet
  read -r w u s m <"$tmp/t"
  echo
  echo "60-minute input ($IN60): quaver ingest peak RSS $((m / 1024)) MB (bar < 300 MB: $([ $((m / 1024)) -lt 300 ] && echo PASS || echo MISS)), wall $w s, cpu $(echo "$u + $s" | bc) s"
  python3 -c "import json,sys; t=json.load(open(sys.argv[1]))['timings']; print('  stages: ' + ', '.join(f'{n} {s:.1f}' for n, s in t['stages']))" "$tmp/out60/report.json"
fi
