#!/usr/bin/env bash
# Unpacks the CLI tarball from DIST_DIR into an empty directory and runs it there: version,
# completions and man page present, decode / analyze / ingest the sample, exit codes on corrupt
# input, LAME loaded from the tarball's lib/. Usage: tests/install/cli.sh DIST_DIR
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
dist=$(cd "${1:?usage: tests/install/cli.sh DIST_DIR}" && pwd)
tgz=$(ls "$dist"/quaver-*-x86_64-unknown-linux-gnu.tar.gz 2>/dev/null | head -1 || true)
[ -n "$tgz" ] || { echo "install-cli: no CLI tarball in $dist"; exit 1; }
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
tar -xzf "$tgz" -C "$work"
top=$(ls -d "$work"/quaver-*/)
q="$top/bin/quaver"
fail() { echo "install-cli: $*"; exit 1; }
for f in README.md LICENSE-MIT LICENSE-APACHE THIRD-PARTY-NOTICES LAME-COPYING lib/libmp3lame.so.0 \
         completions/quaver.bash completions/_quaver completions/quaver.fish man/man1/quaver.1; do
  [ -s "$top/$f" ] || fail "$f missing from the tarball"
done
ldd "$q" | grep -q "libmp3lame.so.0 => $top/bin/../lib/libmp3lame.so.0" || { ldd "$q"; fail "libmp3lame does not resolve to the tarball's lib/"; }
"$q" --version | grep -q '^quaver [0-9]' || fail "--version"
bash -n "$top/completions/quaver.bash" || fail "bash completion does not parse"
grep -q '^\.TH quaver 1' "$top/man/man1/quaver.1" || fail "man page has no .TH header"
cp examples/data/calling_bogus_30s.flac "$work/sample.flac"
cd "$work"
"$q" decode sample.flac -o out.wav
[ "$(ffprobe -v error -show_entries stream=duration_ts -of csv=p=0 out.wav)" = "$(ffprobe -v error -show_entries stream=duration_ts -of csv=p=0 sample.flac)" ] || fail "decoded length differs from the source"
"$q" analyze --json sample.flac > analysis.json
python3 -c 'import json,sys; a=json.load(open("analysis.json")); assert -30 < a["loudness"]["integrated_lufs"] < -5, a["loudness"]' || fail "analyze"
"$q" ingest sample.flac ingest-out > /dev/null
[ -s ingest-out/report.json ] && [ -s ingest-out/stream/master.m3u8 ] && ls ingest-out/download/*.mp3 >/dev/null || fail "ingest outputs missing"
for i in $(seq 100); do echo "<html><body>this is not audio</body></html>"; done > not-audio.mp3
head -c 600 sample.flac > truncated.flac
for f in not-audio.mp3 truncated.flac; do
  set +e; "$q" decode "$f" -o bad.wav 2> err.txt; rc=$?; set -e
  [ "$rc" = 1 ] && grep -q '^quaver: error: ' err.txt || fail "$f: exit $rc, stderr: $(cat err.txt)"
done
set +e; "$q" decode sample.flac --rate 0 -o x.wav 2>/dev/null; rc=$?; set -e
[ "$rc" = 2 ] || fail "an invalid argument exits $rc, not 2"
echo "install-cli: $(basename "$tgz"): decode, analyze, ingest, completions, man page and exit codes ok"
