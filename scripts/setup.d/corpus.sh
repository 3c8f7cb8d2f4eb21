#!/usr/bin/env bash
# Real-music test data: installs the Debian game-music packages that the 30 s clips are cut from
# (nexuiz-music, singularity-music, warzone2100-music, pushover-data, frozen-bubble-data,
# lincity-ng-data: ~330 MB of downloads, listed by scripts/corpus/clips.tsv) and `time` (the
# broken-input suite's RSS meter), then builds target/corpus/clips/ with scripts/corpus/clips.py
# (source sha256 checked; clips already there are kept). Needs ffmpeg and flac (scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
SUDO=""; [ "$(id -u)" != 0 ] && SUDO="sudo"
missing=""
for p in time $(python3 scripts/corpus/clips.py --packages); do
  dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "setup: installing (corpus):$missing"
  install() { $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null; }
  install || { $SUDO apt-get update -qq && install; }
fi
python3 scripts/corpus/clips.py
