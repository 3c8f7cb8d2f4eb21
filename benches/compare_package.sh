#!/usr/bin/env bash
# Times quaver against ffmpeg (one process each) building, from one source, in one run on the
# same machine — wall, CPU (user+sys) and peak RSS, best of $REPEAT:
#   A1  the Opus ladder (64/96/160 kbit/s, 6 s CMAF segments, HLS + DASH over one segment
#       set, libopus complexity 10 VBR on both sides): `quaver package --ladder standard`
#   A   the full anchor ladder (the streaming check's perf-ffmpeg.sh anchors): A1 + MP3
#       128/320 CBR downloads: `quaver ingest --ladder standard --mp3 128,320 --no-waveform
#       --no-music` (ingest also measures loudness and fingerprints the upload: extra work
#       counted against quaver), and `quaver package` with the MP3s as packed-audio HLS
#       renditions (the same encodes, nothing else)
# plus quaver's own packaging-only time (packets -> files, from the JSON report).
#
# Usage: benches/compare_package.sh [SOURCE ...]   (default: the real-music clips of
#        scripts/corpus/clips.py: $QUAVER_CORPUS_CLIPS, else target/corpus/clips)
set -euo pipefail
cd "$(dirname "$0")/.."
Q=${QUAVER:-target/release/quaver}
[ -x "$Q" ] || cargo build --release --quiet --bin quaver
command -v ffmpeg >/dev/null || { echo "missing ffmpeg (scripts/setup.sh installs it)"; exit 1; }
srcs=("$@")
if [ ${#srcs[@]} = 0 ]; then srcs=("${QUAVER_CORPUS_CLIPS:-target/corpus/clips}"/*.flac); fi
[ -e "${srcs[0]}" ] || { echo "missing the real-music clips at ${QUAVER_CORPUS_CLIPS:-target/corpus/clips}: run ./scripts/setup.sh (or scripts/corpus/clips.py), or name SOURCE files"; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
REPEAT=${REPEAT:-3}

# Best-of-$REPEAT "wall cpu maxrss_kb" of a command.
measure() {
  local bw=999999 bc=999999 bm=0
  for _ in $(seq "$REPEAT"); do
    rm -rf "$tmp/out" && mkdir -p "$tmp/out"
    /usr/bin/time -f "%e %U %S %M" -o "$tmp/t" "$@" >"$tmp/log" 2>&1 || { cat "$tmp/log"; exit 1; }
    read -r w u s m <"$tmp/t"
    local c; c=$(echo "$u + $s" | bc)
    bw=$(echo "if ($w < $bw) $w else $bw" | bc); bc=$(echo "if ($c < $bc) $c else $bc" | bc)
    [ "$m" -gt "$bm" ] && bm=$m
  done
  echo "$bw $bc $bm"
}

FF=(ffmpeg -hide_banner -nostdin -loglevel error -y)
DASH=(-f dash -dash_segment_type mp4 -seg_duration 6 -use_template 1 -use_timeline 1 -hls_playlist 1
  -hls_master_name master.m3u8 -adaptation_sets id=0,streams=a)
OPUS=(-map "[o0]" -map "[o1]" -map "[o2]" -c:a libopus -compression_level 10 -b:a:0 64k -b:a:1 96k -b:a:2 160k)
row() {
  printf "%-44s %9s %9s %9s %9s %9d %9d %8.2f %8.2f\n" "$1" "$2" "$5" "$3" "$6" \
    $(($4 / 1024)) $(($7 / 1024)) "$(echo "$5 / $2" | bc -l)" "$(echo "$6 / $3" | bc -l)"
}
printf "%-44s %9s %9s %9s %9s %9s %9s %8s %8s\n" "source / ladder" q_wall ff_wall q_cpu ff_cpu q_MB ff_MB wall_x cpu_x
for src in "${srcs[@]}"; do
  read -r qw qc qm < <(measure "$Q" package "$src" "$tmp/out/q" --ladder standard)
  read -r fw fc fm < <(measure "${FF[@]}" -i "$src" \
    -filter_complex "[0:a]asetpts=N/SR/TB,aresample=48000,asplit=3[o0][o1][o2]" \
    "${OPUS[@]}" "${DASH[@]}" "$tmp/out/manifest.mpd")
  row "$(basename "$src") A1 Opus" "$qw" "$qc" "$qm" "$fw" "$fc" "$fm"
  read -r qw qc qm < <(measure "$Q" ingest "$src" "$tmp/out/q" --ladder standard --mp3 128,320 \
    --no-waveform --no-music -q)
  read -r fw fc fm < <(measure "${FF[@]}" -i "$src" \
    -filter_complex "[0:a]asetpts=N/SR/TB,aresample=48000,asplit=3[o0][o1][o2];[0:a]asetpts=N/SR/TB,asplit=2[m0][m1]" \
    "${OPUS[@]}" "${DASH[@]}" "$tmp/out/manifest.mpd" \
    -map "[m0]" -c:a libmp3lame -b:a 128k "$tmp/out/dl_128.mp3" -map "[m1]" -c:a libmp3lame -b:a 320k "$tmp/out/dl_320.mp3")
  row "$(basename "$src") A Opus+MP3 (ingest)" "$qw" "$qc" "$qm" "$fw" "$fc" "$fm"
  # The same encodes with nothing else: MP3 128/320 as HLS packed-audio renditions instead of
  # download files (the same frames, cut into segments).
  echo '{"renditions": [{"codec": "opus", "bitrate_kbps": 64}, {"codec": "opus", "bitrate_kbps": 96},
    {"codec": "opus", "bitrate_kbps": 160}, {"codec": "mp3", "bitrate_kbps": 128},
    {"codec": "mp3", "bitrate_kbps": 320}]}' >"$tmp/full.json"
  read -r qw qc qm < <(measure "$Q" package "$src" "$tmp/out/q" --ladder "$tmp/full.json")
  row "$(basename "$src") A Opus+MP3 (package)" "$qw" "$qc" "$qm" "$fw" "$fc" "$fm"
  "$Q" package "$src" "$tmp/pk" --ladder standard --json \
    | grep -E '"(encode|package)_seconds"' | tr -d ' ,' | tr '\n' ' ' | sed 's/^/    quaver stages: /'; echo
done
echo "wall_x / cpu_x: ffmpeg time / quaver time (> 1 means quaver is faster)"
