#!/usr/bin/env bash
# Issue 8, "batch of 200 files": `quaver ingest --batch --jobs 2` over 200 files, mixed valid and
# hostile, on the release build. Checks, and prints:
#   - every valid file (128: 10 s windows of the real-music clips of scripts/corpus/clips.py,
#     $QUAVER_CORPUS_CLIPS or target/corpus/clips, cycled through WAV, FLAC,
#     MP3, Ogg Vorbis, Opus, M4A/AAC, AIFF, and mono/stereo) has a report with status "ok";
#   - every hostile file (the 72 of scripts/corpus/gen_broken.py) has a report: the ones marked
#     `reject` must have status "failed" with an error code and message, the `ok` ones must be
#     "ok" (or NO_AUDIO when all silent: ingest refuses silence by design), the others
#     (partial/sniff) either, never a crash;
#   - the summary line counts them all and the exit code is 1 (some failed);
#   - memory stays flat: the process's RSS is sampled every 0.2 s with the number of reports
#     written so far (inputs interleaved, so every part of the run sees the same mix). The floor
#     (lowest RSS: what stays between files) over the last quarter must be within 25 % (+16 MB)
#     of the first half's — a leak raises it — and the peak (the heaviest file in flight) within
#     2x + 32 MB; the RSS floor and peak per tenth of the run are printed.
# Exit status 0 only if all of that holds. About 5 minutes on 2 cores.
#
# Usage: benches/ingest_batch.sh        (QUAVER=path to skip the build, KEEP=1 keeps the work dir)
set -euo pipefail
cd "$(dirname "$0")/.."
Q=${QUAVER:-target/release/quaver}
[ -n "${QUAVER:-}" ] || cargo build --release --quiet --bin quaver
CLIPS_DIR=$(readlink -f "${QUAVER_CORPUS_CLIPS:-target/corpus/clips}")
CLIPS=("$CLIPS_DIR"/*.flac)
[ -e "${CLIPS[0]}" ] || { echo "missing the real-music clips at $CLIPS_DIR: run ./scripts/setup.sh (or scripts/corpus/clips.py)"; exit 1; }
W=$(mktemp -d)
[ -n "${KEEP:-}" ] && echo "work dir: $W" || trap 'rm -rf "$W"' EXIT
mkdir -p "$W/in" "$W/broken"

# 128 valid inputs
exts=(wav flac mp3 ogg opus m4a aiff flac)
codecs=(pcm_s16le flac libmp3lame libvorbis libopus aac pcm_s16be flac)
n=0
for c in "${CLIPS[@]}"; do
  for off in 0 5 10 15 20 2 7 12 17 1 6 11 16 3 8 13 18 4 9 14 19 0.5; do
    [ $n -ge 128 ] && break 2
    i=$((n % ${#exts[@]}))
    ch=$(( n % 3 == 0 ? 1 : 2 ))
    ffmpeg -hide_banner -nostdin -loglevel error -y -ss "$off" -t 10 -i "$c" -ac $ch \
      -c:a "${codecs[$i]}" "$W/in/valid_$(printf %03d $n).${exts[$i]}"
    n=$((n + 1))
  done
done
[ $n -eq 128 ] || { echo "made only $n valid inputs"; exit 1; }

# 72 hostile inputs, seeded (as tests/robustness/broken_corpus.py does: the same two clips) with
# a 60 s 16-bit WAV: gen_broken cuts its 20 s excerpts from 30 s in
for c in nexuiz__calling_bogus_30s singularity__nebula_30s; do
  [ -f "$CLIPS_DIR/$c.flac" ] || { echo "missing $CLIPS_DIR/$c.flac: run scripts/corpus/clips.py"; exit 1; }
done
printf "file '%s'\n" "$CLIPS_DIR/nexuiz__calling_bogus_30s.flac" "$CLIPS_DIR/singularity__nebula_30s.flac" >"$W/seed.txt"
ffmpeg -hide_banner -nostdin -loglevel error -y -f concat -safe 0 -i "$W/seed.txt" -c:a pcm_s16le "$W/seed.wav"
python3 scripts/corpus/gen_broken.py make --out "$W/broken" --seeds "{\"wav16_44k\": \"$W/seed.wav\"}" >"$W/broken.jsonl"
python3 - "$W" <<'PY'
import json, os, sys
w = sys.argv[1]
exp = {}
for line in open(f"{w}/broken.jsonl"):
    d = json.loads(line)
    src = d.get("abspath") or d["path"]
    name = "bad_" + os.path.basename(src)
    exp[os.path.splitext(name)[0]] = d["expect"]
    os.rename(src, f"{w}/in/{name}")
# Interleave hostile and valid inputs (a fixed shuffle, numbered prefixes) so each part of the
# run sees the same mix and the memory comparison is like for like.
import random
names = sorted(os.listdir(f"{w}/in"))
random.Random(200).shuffle(names)
renamed = {}
for i, n in enumerate(names):
    os.rename(f"{w}/in/{n}", f"{w}/in/{i:03d}_{n}")
    stem = os.path.splitext(n)[0]
    if stem in exp:
        renamed[f"{i:03d}_{stem}"] = exp[stem]
json.dump(renamed, open(f"{w}/expect.json", "w"))
PY
total=$(ls "$W/in" | wc -l)
echo "inputs: $total files ($n valid, $((total - n)) hostile), $(du -sh "$W/in" | cut -f1)"

# run, sampling RSS against progress
"$Q" ingest --batch "$W/in" "$W/out" --jobs 2 --ladder standard --mp3 128,320 2>"$W/stderr" &
pid=$!
: >"$W/rss"
while kill -0 $pid 2>/dev/null; do
  rss=$(awk '/VmRSS/ {print $2}' /proc/$pid/status 2>/dev/null || true)
  done_n=$(find "$W/out" -maxdepth 2 -name report.json 2>/dev/null | wc -l || true)
  [ -n "$rss" ] && echo "$done_n $rss" >>"$W/rss"
  sleep 0.2
done
set +e; wait $pid; rc=$?; set -e
python3 - "$W" "$total" "$rc" <<'PY'
import json, os, sys
w, total, rc = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
exp = json.load(open(f"{w}/expect.json"))
bad = []
ok = failed = 0
codes = {}
for name in sorted(os.listdir(f"{w}/in")):
    stem = os.path.splitext(name)[0]
    rp = f"{w}/out/{stem}/report.json"
    if not os.path.exists(rp):
        bad.append(f"{name}: no report.json"); continue
    r = json.load(open(rp))
    st = r["status"]
    ok += st == "ok"; failed += st == "failed"
    if st == "failed":
        e = r.get("error") or {}
        if not e.get("code") or not e.get("message"):
            bad.append(f"{name}: failed without a code and message: {e}")
        codes[e.get("code")] = codes.get(e.get("code"), 0) + 1
    want = "ok" if "_valid_" in stem else {"reject": "failed", "ok": "ok"}.get(exp.get(stem), None)
    # ingest rejects an all-silent input by design (NO_AUDIO unless allow_silent): the
    # generator's silent "ok" files (headers only, silence bombs) end there
    silent = st == "failed" and "silent" in (r.get("error") or {}).get("message", "")
    if want and st != want and not (want == "ok" and silent):
        bad.append(f"{name}: status {st}, expected {want} ({(r.get('error') or {}).get('message', '')})")
err = open(f"{w}/stderr").read()
summary = [l for l in err.splitlines() if "files:" in l]
print(f"reports: {ok} ok, {failed} failed of {total}; error codes: {dict(sorted(codes.items(), key=str))}")
print(f"summary line: {summary[-1].strip() if summary else '(none)'}; exit code {rc}")
if rc != 1: bad.append(f"exit code {rc}, expected 1 (some inputs failed)")
if not summary or f"{total} files" not in summary[-1]: bad.append("summary line missing or wrong count")
samples = [tuple(map(int, l.split())) for l in open(f"{w}/rss") if l.strip()]
# RSS per tenth of the run (by reports written): the floor (lowest sample: what stays between
# files) shows a leak, the peak shows the heaviest file of that tenth.
print("files done   rss floor MB   rss peak MB")
for k in range(10):
    lo, hi = total * k // 10, total * (k + 1) // 10
    b = [kb for d, kb in samples if lo <= d < hi or (k == 9 and d == total)]
    if b:
        print(f"{lo:4d}-{hi:<4d}   {min(b)/1024:12.0f}   {max(b)/1024:11.0f}")
first = [kb for d, kb in samples if 0 < d <= total // 2]  # from the first report on (start-up excluded)
last = [kb for d, kb in samples if d >= total * 3 // 4]
if first and last:
    fa, fb = min(first) / 1024, min(last) / 1024
    pa, pb = max(first) / 1024, max(last) / 1024
    print(f"RSS floor: first half {fa:.0f} MB, last quarter {fb:.0f} MB; peak: first half {pa:.0f} MB, last quarter {pb:.0f} MB, overall {max(kb for _, kb in samples)/1024:.0f} MB ({len(samples)} samples)")
    if fb > fa * 1.25 + 16: bad.append(f"memory floor grew: {fa:.0f} MB -> {fb:.0f} MB")
    if pb > 2 * pa + 32: bad.append(f"memory peak grew: {pa:.0f} MB -> {pb:.0f} MB")
else:
    bad.append("too few RSS samples")
for b in bad: print("FAIL", b)
print("PASS" if not bad else f"{len(bad)} problems")
sys.exit(1 if bad else 0)
PY
