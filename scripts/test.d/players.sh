#!/usr/bin/env bash
# Real players: `quaver package --ladder apple` (AAC, Opus and FLAC sets) on a 30 s source (the 4 s fixture looped), then
# hls.js, dash.js and shaka-player in headless Chromium play every master_<codec>.m3u8 and the
# MPD, then MP3 as packed audio and as MPEG-TS: 10 s with no error, a rendition switch, a seek to the end reaching `ended`, duration
# within 1 ms (codecs/tests/players/players.mjs). About a minute.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -d codecs/tests/players/node_modules/playwright-core ] && [ -x /usr/bin/chromium ] || bash scripts/setup.d/players.sh
cargo build --quiet --bin quaver
Q="${CARGO_TARGET_DIR:-$PWD/target}/debug/quaver"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
ffmpeg -hide_banner -nostdin -loglevel error -stream_loop 7 -i tests/data/flac_s16.flac -t 30 -c:a flac "$out/src.flac"
$Q package "$out/src.flac" "$out/pkg" --ladder apple >/dev/null
node codecs/tests/players/players.mjs "$out/pkg" 30
# MP3 for HLS without fMP4: packed audio and MPEG-TS (hls.js and shaka; no DASH).
for c in packed ts; do
  echo "{\"renditions\": [{\"codec\": \"mp3\", \"bitrate_kbps\": 128, \"container\": \"$c\"}, {\"codec\": \"mp3\", \"bitrate_kbps\": 320, \"container\": \"$c\"}]}" > "$out/$c.json"
  $Q package "$out/src.flac" "$out/pkg_$c" --ladder "$out/$c.json" >/dev/null
  node codecs/tests/players/players.mjs "$out/pkg_$c" 30
done
