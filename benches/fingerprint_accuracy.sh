#!/usr/bin/env bash
# Fingerprint accuracy on real music with the degraded-query harness (benches/fpbench/fpbench.py),
# quaver and Chromaprint (fpcalc, benches/fpbench/peers/chromaprint_peer.py) in one run.
#
#   bash benches/fingerprint_accuracy.sh [WORKDIR]        (default target/fp-accuracy)
#
# Catalog / non-catalog: the public tracks of scripts/corpus/tracks.tsv (Debian game-music
# packages, installed by `scripts/corpus/build_corpus.py --install` when missing), every 4th one
# held out of the catalog as a false-positive probe. Queries: 3 / 5 / 10 s, the harness's 20
# degradations, one per catalog track and length, three per non-catalog track and length.
# Prints the harness's per-condition table and the figures at its 0.1 % false-positive point.
# Env: PEERS="chromaprint" (default; "" for quaver only), SEED (default 1234).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
W=${1:-$ROOT/target/fp-accuracy}
PEERS=${PEERS-chromaprint}
SEED=${SEED:-1234}
FPB=$ROOT/benches/fpbench
mkdir -p "$W/src"
# the harness needs numpy + soundfile (a private venv; system Python stays untouched)
if [ ! -x "$W/venv/bin/python" ]; then
  python3 -m venv "$W/venv"
  "$W/venv/bin/pip" install -q numpy soundfile
fi
PY=$W/venv/bin/python

# 1. source tracks (ogg / mp3 / zip members) copied out of the installed packages; the
#    packages (and fpcalc) are installed with the corpus script when missing
copy_sources() {
python3 - "$ROOT/scripts/corpus/tracks.tsv" "$W" <<'EOF'
import csv, os, sys, zipfile
tsv, w = sys.argv[1], sys.argv[2]
cat, neg, missing = [], [], []
rows = [t for t in csv.DictReader(open(tsv), delimiter="\t") if t["split"] == "public"]
for i, t in enumerate(rows):
    loc = t["source"]
    ext = os.path.splitext(loc.split("::")[-1])[1]
    dst = os.path.join(w, "src", t["track_id"] + ext)
    if not os.path.exists(dst):
        try:
            if "::" in loc:
                z, m = loc.split("::", 1)
                data = zipfile.ZipFile(z).read(m)
            else:
                data = open(loc, "rb").read()
        except OSError:
            missing.append(t["package"])
            continue
        open(dst + ".part", "wb").write(data)
        os.replace(dst + ".part", dst)
    (neg if i % 4 == 3 else cat).append(dst)
if missing:
    print("missing source packages: " + " ".join(sorted(set(missing))), file=sys.stderr)
    sys.exit(3)
open(os.path.join(w, "catalog.txt"), "w").write("\n".join(cat) + "\n")
open(os.path.join(w, "noncatalog.txt"), "w").write("\n".join(neg) + "\n")
print(f"catalog {len(cat)} tracks, non-catalog {len(neg)}", file=sys.stderr)
EOF
}
if ! copy_sources; then
  python3 "$ROOT/scripts/corpus/build_corpus.py" --install
  apt-get install -y --no-install-recommends libchromaprint-tools
  copy_sources
fi

# 2. the seeded query set (made once)
if [ ! -f "$W/queries/queries.csv" ]; then
  rm -rf "$W/queries"
  "$PY" "$FPB/fpbench.py" make-queries --catalog "$W/catalog.txt" --noncatalog "$W/noncatalog.txt" \
    --out "$W/queries" --lengths 3,5,10 --per-track 1 --neg-per-track 3 --seed "$SEED"
fi

# 3. engines, through the harness's CLI protocol
[ -x "$ROOT/target/release/quaver" ] || (cd "$ROOT" && cargo build --release --quiet --bin quaver)
rm -rf "$W/results/quaver"
"$PY" "$FPB/fpbench.py" run --queries "$W/queries" --results "$W/results" --name quaver \
  --peer-cmd "$ROOT/target/release/quaver fp"
runs=("$W/results/quaver")
for p in $PEERS; do
  if [ ! -d "$W/results/$p" ]; then
    "$PY" "$FPB/fpbench.py" run --queries "$W/queries" --results "$W/results" --name "$p" \
      --peer-cmd "$PY $FPB/peers/${p}_peer.py"
  fi
  runs+=("$W/results/$p")
done

# 4. report at the 0.1 % false-positive operating point
"$PY" "$FPB/fpbench.py" report --queries "$W/queries" "${runs[@]}" --markdown --compact \
  --target-fpr 0.001 | tee "$W/report.md"
