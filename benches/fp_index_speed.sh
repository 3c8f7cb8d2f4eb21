#!/usr/bin/env bash
# Fingerprint indexing throughput per core, decode included: `quaver fp index` over a catalog
# list pinned to one CPU (`taskset -c 0`, so rayon's pool cannot spread it), REPS times, with the
# audio duration summed from `quaver info` (the exact decoded length). Prints, per run, wall and
# user CPU seconds and the × realtime they give, then the best of each (the least disturbed run:
# this machine is shared, and the best run is the one closest to the code's own cost).
#
# BASE=path/to/other/quaver runs that binary too, alternating with this one (same minutes, same
# load), and checks that both wrote byte-identical index files (sha256 of every file).
#
# Usage: benches/fp_index_speed.sh [LIST]   (default target/fp-accuracy/catalog.txt, the 30-track
#        catalog of benches/fingerprint_accuracy.sh; QUAVER=path skips the build; REPS=3)
# About 15 s per run for the 2.1 h catalog.
set -euo pipefail
cd "$(dirname "$0")/.."
LIST=${1:-target/fp-accuracy/catalog.txt}
REPS=${REPS:-3}
Q=${QUAVER:-target/release/quaver}
[ -n "${QUAVER:-}" ] || cargo build --release --quiet --bin quaver
[ -f "$LIST" ] || { echo "no catalog list $LIST (run benches/fingerprint_accuracy.sh once)"; exit 1; }
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT

secs=0
while IFS= read -r f; do
  [ -n "$f" ] || continue
  d=$("$Q" info --json "$f" | python3 -c 'import json,sys; print(json.load(sys.stdin)["duration_s"])')
  secs=$(python3 -c "print($secs + $d)")
done <"$LIST"
echo "catalog: $(grep -c . "$LIST") files, $(python3 -c "print(f'{$secs:.1f}')") s of audio"

bins=("this:$Q")
[ -n "${BASE:-}" ] && bins+=("base:$BASE")
for r in $(seq "$REPS"); do
  for b in "${bins[@]}"; do
    name=${b%%:*} bin=${b#*:}
    rm -rf "$W/db-$name"
    /usr/bin/time -f "%e %U" -o "$W/time" taskset -c 0 "$bin" fp index --db "$W/db-$name" \
      --list "$LIST" 2>/dev/null
    read -r wall user <"$W/time"
    echo "$name $wall $user" >>"$W/runs"
    python3 -c "print(f'run $r $name: wall {$wall:.2f} s ({$secs / $wall:.0f}x realtime), user {$user:.2f} s ({$secs / max($user, 1e-9):.0f}x realtime per core)')"
  done
done
for b in "${bins[@]}"; do
  name=${b%%:*}
  python3 - "$W/runs" "$name" "$secs" <<'EOF'
import sys
runs = [l.split() for l in open(sys.argv[1]) if l.split()[0] == sys.argv[2]]
secs = float(sys.argv[3])
wall = min(float(r[1]) for r in runs)
user = min(float(r[2]) for r in runs)
print(f"{sys.argv[2]}: best wall {wall:.2f} s = {secs / wall:.0f}x realtime on one core; "
      f"best user CPU {user:.2f} s = {secs / user:.0f}x realtime per core")
EOF
done
if [ -n "${BASE:-}" ]; then
  (cd "$W/db-this" && find . -type f | sort | xargs sha256sum) >"$W/this.sha"
  (cd "$W/db-base" && find . -type f | sort | xargs sha256sum) >"$W/base.sha"
  if cmp -s "$W/this.sha" "$W/base.sha"; then
    echo "index files: byte-identical to BASE"
  else
    echo "index files DIFFER from BASE:"
    diff "$W/this.sha" "$W/base.sha" || true
    exit 1
  fi
fi
