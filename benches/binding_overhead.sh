#!/usr/bin/env bash
# Binding overhead: the same calls on a 10 s clip (44.1 kHz stereo FLAC) through the Rust API,
# the Python binding (release wheel) and the Node binding (release addon), each timed in-process
# as the best wall time of REPS calls after a warm-up and as the mean CPU time per call (whole
# process, all threads: steadier than wall time when other work shares the cores), ROUNDS rounds
# interleaved (rust, python, node) so that load from elsewhere hits all three alike; the median
# over the rounds is compared.
#   analyze(path)   decode + loudness + tempo + key + features, result converted to the host's
#                   objects (Python: quaver.Analysis record; Node: plain object)
#   analyze(bytes)  the same from the file's bytes in memory (an upload)
#   decode(path)    the whole clip to float32 PCM (Python: numpy (2, n); Node: Float32Array per
#                   channel; Rust: AudioBuffer)
# Overhead = binding / Rust - 1. Target (issue): < 5 % on analyze. Freeing a result is left out of
# the timing in Rust and Python (Node's GC frees it later anyway).
#
# Usage: benches/binding_overhead.sh            (REPS=25 ROUNDS=8 by default; SKIP_BUILD=1 reuses the builds)
# Needs: the bench venv of benches/compare_python.py (target/bench-python/venv with the release
# wheel), and bindings/node/node_modules (scripts/setup.d/node.sh). Builds, one at a time: the
# Rust bench (cargo bench --no-run), the release wheel if missing, and the release Node addon
# into target/bench-node (napi build -o: the files under bindings/node are left alone).
set -euo pipefail
cd "$(dirname "$0")/.."
REPS=${REPS:-25}
ROUNDS=${ROUNDS:-8}
W=target/bench-overhead
mkdir -p "$W"
CLIP=$W/clip10.flac
[ -s "$CLIP" ] || ffmpeg -nostdin -v error -y -i examples/data/calling_bogus_30s.flac -t 10 \
  -c:a flac -sample_fmt s16 -ar 44100 -ac 2 "$CLIP"

PY=target/bench-python/venv/bin/python
if ! "$PY" -c 'import quaver' 2>/dev/null; then
  [ -x .venv/bin/maturin ] || bash scripts/setup.d/python.sh
  .venv/bin/maturin build --release -m bindings/python/Cargo.toml -o target/wheels-release
  [ -x "$PY" ] || python3 -m venv target/bench-python/venv
  "$PY" -m pip install -q --force-reinstall target/wheels-release/quaver-*.whl
fi
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  cargo bench --bench overhead --no-run --quiet
  (cd bindings/node && npx napi build --platform --release -o ../../target/bench-node \
     --dts-header "$(cat dts-header.d.ts)" >/dev/null)
fi
export QUAVER_NODE=$PWD/target/bench-node/index.js
[ -e "$QUAVER_NODE" ] || { echo "missing $QUAVER_NODE (the release addon build failed?)"; exit 1; }

cat >"$W/py_side.py" <<'EOF'
import json, sys, time
import quaver
f, reps = sys.argv[1], int(sys.argv[2])
data = open(f, "rb").read()
def best(name, fn):
    fn()
    b, c0 = float("inf"), time.process_time()
    for _ in range(reps):
        t = time.perf_counter(); r = fn(); b = min(b, time.perf_counter() - t); del r  # the free is not timed
    out[name], out[name + "_cpu"] = b, (time.process_time() - c0) / reps
out = dict(impl="python")
best("analyze_path", lambda: quaver.analyze(f))
best("analyze_bytes", lambda: quaver.analyze(data))
best("decode_path", lambda: quaver.decode(f))
r = out
print("OVERHEAD_JSON", json.dumps(r))
EOF
cat >"$W/node_side.cjs" <<'EOF'
const q = require(process.env.QUAVER_NODE)
const fs = require('fs')
const [f, reps] = [process.argv[2], Number(process.argv[3])]
const data = fs.readFileSync(f)
const r = { impl: 'node' }
async function best (name, fn) {
  await fn()
  let b = Infinity
  const c0 = process.cpuUsage()
  for (let i = 0; i < reps; i++) {
    const t = process.hrtime.bigint(); await fn(); b = Math.min(b, Number(process.hrtime.bigint() - t) / 1e9)
  }
  const c = process.cpuUsage(c0)
  r[name] = b
  r[name + '_cpu'] = (c.user + c.system) / 1e6 / reps
}
;(async () => {
  await best('analyze_path', () => q.analyze(f))
  await best('analyze_bytes', () => q.analyze(data))
  await best('decode_path', () => q.decode(f))
  await best('analyze_path_sync', () => q.analyzeSync(f))
  console.log('OVERHEAD_JSON ' + JSON.stringify(r))
})()
EOF

RES=$W/results.jsonl
: >"$RES"
RUST_BIN=$(cargo bench --bench overhead --no-run --message-format=json 2>/dev/null |
  sed -n 's/.*"executable":"\([^"]*overhead[^"]*\)".*/\1/p' | tail -1)
[ -x "$RUST_BIN" ] || { echo "could not find the overhead bench binary"; exit 1; }
echo "clip: $CLIP ($(ffprobe -v error -show_entries format=duration -of csv=p=0 "$CLIP") s, $(stat -c %s "$CLIP") bytes); best of $REPS, $ROUNDS rounds; $(nproc) cores, load avg $(cut -d' ' -f1 /proc/loadavg)"
for round in $(seq "$ROUNDS"); do
  OVERHEAD_FILE=$CLIP OVERHEAD_REPS=$REPS "$RUST_BIN" --exact rust_api_best_of_n --nocapture --test-threads=1 |
    sed -n 's/.*OVERHEAD_JSON //p' >>"$RES"
  "$PY" "$W/py_side.py" "$CLIP" "$REPS" | sed -n 's/^OVERHEAD_JSON //p' >>"$RES"
  node "$W/node_side.cjs" "$CLIP" "$REPS" | sed -n 's/^OVERHEAD_JSON //p' >>"$RES"
  echo "round $round done (load avg $(cut -d' ' -f1 /proc/loadavg))"
done

python3 - "$RES" <<'EOF'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
best = {}  # the median over the rounds of each round's best-of-REPS wall / mean CPU per call
for impl in ("rust", "python", "node"):
    rs = [r for r in rows if r["impl"] == impl]
    best[impl] = {k: statistics.median(r[k] for r in rs) for k, v in rs[0].items() if isinstance(v, float)}
rust = best["rust"]
for i in ("rust", "python", "node"):
    w = [r["analyze_path"] * 1e3 for r in rows if r["impl"] == i]
    print("analyze(path) best-of-REPS wall ms per round, %-6s: %s (best %.2f)" % (i, ", ".join("%.2f" % x for x in w), min(w)))
print()
for metric, suffix, what in (("wall ms, best of REPS calls (median of rounds)", "", "wall"), ("CPU ms per call, median of the rounds' means", "_cpu", "CPU")):
    print()
    print("| %s (10 s clip) | Rust API | Python | Python overhead | Node | Node overhead |" % metric)
    print("|---|---|---|---|---|---|")
    for k, label in (("analyze_path", "analyze(path)"), ("analyze_bytes", "analyze(bytes)"),
                     ("decode_path", "decode(path) → float32 PCM"), ("analyze_path_sync", "analyzeSync(path) (Node)")):
        r = rust[k.replace("_sync", "") + suffix]
        p = best["python"].get(k + suffix)
        n = best["node"][k + suffix]
        pc = "%.2f | %+.1f %%" % (p * 1e3, (p / r - 1) * 100) if p is not None else "- | -"
        print("| %s | %.2f | %s | %.2f | %+.1f %% |" % (label, r * 1e3, pc, n * 1e3, (n / r - 1) * 100))
print()
for what, suffix in (("wall", ""), ("CPU", "_cpu")):
    o = {(i, k): best[i][k + suffix] / rust[k + suffix] - 1 for i in ("python", "node") for k in ("analyze_path", "analyze_bytes")}
    (wi, wk), worst = max(o.items(), key=lambda kv: kv[1])
    print("RESULT (%s): worst analyze overhead %+.1f %% (%s %s; target < 5 %%): %s" % (
        what, worst * 100, wi, wk, "MET" if worst < 0.05 else "NOT MET"))
EOF
