#!/usr/bin/env bash
# Install test of the npm packages: usage `tests/install/node.sh DIST_DIR` (what
# scripts/dist.d/node.sh wrote). A fresh npm project in a temporary directory, with nothing of
# the build tree, installs the two tarballs (the platform package must satisfy the main package's
# optional dependency from its local tarball, not from the registry), then a CommonJS and an ESM
# smoke script decode, analyse and ingest a fixture, check real values, and feed corrupt files
# expecting quaver's typed errors. Exits non-zero with a message on any failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD
dist=${1:?usage: tests/install/node.sh DIST_DIR}
dist=$(cd "$dist" && pwd)
die() { echo "install node: FAIL: $*" >&2; exit 1; }
command -v node >/dev/null || die "node missing"
command -v npm >/dev/null || die "npm missing"

version=$(node -p 'require("./bindings/node/package.json").version')
main_tgz="$dist/quaver-engine-$version.tgz"
plat_tgz="$dist/quaver-engine-linux-x64-gnu-$version.tgz"
[ -s "$main_tgz" ] || die "$main_tgz missing (run scripts/dist.d/node.sh $dist)"
[ -s "$plat_tgz" ] || die "$plat_tgz missing (run scripts/dist.d/node.sh $dist)"

proj=$(mktemp -d "${TMPDIR:-/tmp}/quaver-install-node.XXXXXX")
trap 'rm -rf "$proj"' EXIT
cd "$proj"
export npm_config_cache="$proj/.npm-cache"   # nothing from an earlier install
cat > package.json <<'JSON'
{ "name": "quaver-install-test", "version": "1.0.0", "private": true }
JSON
# The fixture, and what ffprobe says about it.
cp "$repo/tests/data/flac_s16.flac" song.flac
expect_rate=44100 expect_ch=2 expect_dur=4.0
if command -v ffprobe >/dev/null; then
  read -r expect_rate expect_ch < <(ffprobe -v error -select_streams a:0 -show_entries stream=sample_rate,channels \
    -of csv=p=0 song.flac | tr ',' ' ')
  expect_dur=$(ffprobe -v error -show_entries format=duration -of csv=p=0 song.flac)
fi
echo "install node: fixture flac_s16.flac: $expect_rate Hz, $expect_ch ch, $expect_dur s"

# The platform tarball first: installed together, npm still asks the registry for the main
# package's optional dependency @quaver/engine-linux-x64-gnu@0.1.0 (a 404 until it is
# published); present already, it satisfies the dependency and npm asks for nothing. (The other
# platforms' packages are looked up and skipped: optional, and for other os/cpu/libc.)
for t in "$plat_tgz" "$main_tgz"; do
  echo "install node: npm install $(basename "$t")"
  npm install --no-audit --no-fund --loglevel=http "$t" >>install.log 2>&1 ||
    { tail -30 install.log; die "npm install $(basename "$t") failed"; }
done
# The platform package came from its tarball: no registry request for it, and the lockfile says so.
if grep -E 'GET [0-9]+ .*engine-linux-x64-gnu' install.log; then die "npm asked the registry for @quaver/engine-linux-x64-gnu"; fi
node -e '
  const lock = require("./package-lock.json").packages
  const p = lock["node_modules/@quaver/engine-linux-x64-gnu"], m = lock["node_modules/@quaver/engine"]
  if (!p || !String(p.resolved).startsWith("file:")) { console.error("platform package not from its tarball:", p); process.exit(1) }
  if (!m || !String(m.resolved).startsWith("file:")) { console.error("main package not from its tarball:", m); process.exit(1) }
' || die "the lockfile does not resolve both packages to the local tarballs"

for pkg in engine engine-linux-x64-gnu; do
  for f in LICENSE-MIT LICENSE-APACHE THIRD-PARTY-NOTICES README.md package.json; do
    [ -s "node_modules/@quaver/$pkg/$f" ] || die "@quaver/$pkg has no $f"
  done
  if find "node_modules/@quaver/$pkg" \( -name __test__ -o -name node_modules -o -name '*.test.*' -o -name Cargo.toml -o -name '*.rs' \) | grep -q .; then
    die "@quaver/$pkg holds test or build files"
  fi
done
[ -s node_modules/@quaver/engine-linux-x64-gnu/quaver.linux-x64-gnu.node ] || die "the addon is not in @quaver/engine-linux-x64-gnu"
[ ! -e node_modules/@quaver/engine/quaver.linux-x64-gnu.node ] || die "@quaver/engine holds an addon of its own"
# LAME is the shared library shipped beside the addon (LGPL: replaceable), found there.
lame_path=$(ldd node_modules/@quaver/engine-linux-x64-gnu/quaver.linux-x64-gnu.node | awk '/libmp3lame/ {print $3}')
[ "$lame_path" = "$PWD/node_modules/@quaver/engine-linux-x64-gnu/libmp3lame.so.0" ] ||
  die "the addon resolves libmp3lame to '${lame_path:-nothing}', not the copy in its package"

# Corrupt inputs: 1 KiB of (seeded) random bytes named .mp3, a FLAC cut after 300 bytes, and a
# FLAC cut in the middle of its audio.
node -e '
  const fs = require("fs"); let x = 12345; const b = Buffer.alloc(1024)
  for (let i = 0; i < b.length; i++) { x = (x * 1103515245 + 12345) >>> 0; b[i] = x >>> 24 }
  fs.writeFileSync("random.mp3", b)
  const flac = fs.readFileSync("song.flac")
  fs.writeFileSync("cut-header.flac", flac.subarray(0, 300))
  fs.writeFileSync("cut-audio.flac", flac.subarray(0, flac.length >> 1))'

# One smoke body, run as CommonJS (require) and as ESM (import).
cat > smoke-body.txt <<'JS'
const want = { rate: Number(process.env.EXPECT_RATE), ch: Number(process.env.EXPECT_CH), dur: Number(process.env.EXPECT_DUR) }
const ok = (cond, what) => { if (!cond) throw new Error(`${flavour}: ${what}`) }
const close = (a, b, tol) => Math.abs(a - b) <= tol

async function main() {
  ok(typeof q.decode === 'function' && typeof q.ingestSync === 'function', 'the API is missing')

  const info = await q.info('song.flac')
  ok(info.container === 'flac' && info.sample_rate === want.rate && info.channels === want.ch, `info: ${JSON.stringify(info)}`)
  ok(close(info.duration_s, want.dur, 0.001), `info duration ${info.duration_s} vs ffprobe ${want.dur}`)

  const d = await q.decode('song.flac')
  ok(d.sampleRate === want.rate && d.channels.length === want.ch, `decode: ${d.sampleRate} Hz, ${d.channels.length} ch`)
  ok(d.channels[0] instanceof Float32Array, 'decode did not return Float32Arrays')
  ok(close(d.channels[0].length / d.sampleRate, want.dur, 0.001), `decoded ${d.channels[0].length} frames`)
  let peak = 0
  for (const c of d.channels) for (const s of c) { ok(Number.isFinite(s), 'non-finite sample'); peak = Math.max(peak, Math.abs(s)) }
  ok(peak > 0.01 && peak <= 1, `decoded peak ${peak}`)
  const m = q.decodeSync('song.flac', { mono: true, sampleRate: 22050 })
  ok(m.channels.length === 1 && close(m.channels[0].length, want.dur * 22050, 2), `mono 22.05 kHz decode: ${m.channels[0].length} frames`)

  const a = await q.analyze('song.flac')
  ok(close(a.duration_s, want.dur, 0.001) && a.sample_rate === want.rate && a.channels === want.ch, `analysis header: ${a.duration_s} s`)
  const L = a.loudness
  ok(L && L.integrated_lufs < 0 && L.integrated_lufs > -70, `integrated loudness ${L && L.integrated_lufs}`)
  ok(L.true_peak_dbtp <= 3 && L.true_peak_dbtp >= L.integrated_lufs, `true peak ${L.true_peak_dbtp}`)
  if (process.env.EXPECT_LUFS) {
    ok(close(L.integrated_lufs, Number(process.env.EXPECT_LUFS), 0.15), `integrated ${L.integrated_lufs} LUFS vs ffmpeg ${process.env.EXPECT_LUFS}`)
  }
  ok(a.tempo && a.tempo.bpm >= 30 && a.tempo.bpm <= 300, `tempo ${a.tempo && a.tempo.bpm}`)
  ok(a.key && typeof a.key.label === 'string' && a.key.chroma.length === 12, `key ${a.key && a.key.label}`)
  ok(a.features && a.features.version >= 1 && a.features.values.length === a.features.names.length &&
     a.features.values.length > 10 && a.features.values.every(Number.isFinite), 'feature vector')
  ok(q.similarity(a, a) > 0.999, 'a track is not similar to itself')

  const out = path.join(process.cwd(), `ingest-${flavour}`)
  const r = await q.ingest('song.flac', out, {
    ladder: { renditions: [{ codec: 'opus', bitrate_kbps: 64 }] },
    downloads: [{ file: 'song.mp3', options: { bitrate_kbps: 128 } }],
  })
  ok(r.status === 'ok', `ingest status ${r.status}`)
  const onDisk = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'))
  ok(onDisk.status === 'ok' && onDisk.version === r.version, 'report.json differs from the returned report')
  const names = r.outputs.map((o) => o.path)
  for (const f of ['download/song.mp3', 'waveform.dat', 'waveform.json', 'stream/master.m3u8', 'stream/manifest.mpd']) {
    ok(names.includes(f), `ingest did not list ${f}`)
  }
  for (const o of r.outputs) {
    const st = fs.statSync(path.join(out, o.path))
    ok(st.size === o.bytes && st.size > 0, `${o.path}: ${st.size} bytes on disk, report says ${o.bytes}`)
  }
  const mp3 = r.outputs.find((o) => o.path === 'download/song.mp3')
  ok(close(mp3.duration_s, want.dur, 0.001), `mp3 duration ${mp3.duration_s}`)   // gapless: LAME (shared library) works
  const mp3info = q.infoSync(path.join(out, 'download/song.mp3'))
  ok(mp3info.codec === 'mp3' && close(mp3info.duration_s, want.dur, 0.001), `mp3 reads back as ${mp3info.codec}, ${mp3info.duration_s} s`)

  const codes = new Set(['ERR_QUAVER_UNSUPPORTED', 'ERR_QUAVER_CORRUPT', 'ERR_QUAVER_NO_AUDIO'])
  const expectError = async (what, run, allowed) => {
    let err = null
    try { await run() } catch (e) { err = e }
    ok(err instanceof Error, `${what}: no error`)
    ok(allowed.includes(err.code), `${what}: code ${err.code} (${err.message}), want ${allowed.join(' or ')}`)
    return err.code
  }
  const seen = []
  seen.push(await expectError('random.mp3 decode', () => q.decode('random.mp3'), [...codes]))
  seen.push(await expectError('random.mp3 analyzeSync', () => q.analyzeSync('random.mp3'), [...codes]))
  seen.push(await expectError('cut-header.flac decode', () => q.decode('cut-header.flac'), ['ERR_QUAVER_CORRUPT']))
  seen.push(await expectError('cut-header.flac ingest', () => q.ingest('cut-header.flac', out + '-bad'), ['ERR_QUAVER_CORRUPT']))
  ok(!fs.existsSync(out + '-bad'), 'a failed ingest left its output directory')
  // A FLAC cut mid-audio: decoded up to the cut (with a warning) or a typed error, never a crash.
  let cut = 'decoded'
  try {
    const c = await q.decode('cut-audio.flac')
    ok(c.channels[0].length > 0 && c.channels[0].length < want.dur * want.rate, `cut FLAC decoded ${c.channels[0].length} frames`)
  } catch (e) { ok(codes.has(e.code), `cut-audio.flac: ${e.code} ${e.message}`); cut = e.code }
  seen.push(cut)
  const gone = await expectError('missing file', () => q.info('no-such-file.flac'), ['ERR_QUAVER_IO'])
  seen.push(gone)
  console.log(`install node: ${flavour} ok - info/decode ${d.sampleRate} Hz x ${d.channels.length} ch, ` +
    `${(d.channels[0].length / d.sampleRate).toFixed(3)} s; loudness ${L.integrated_lufs.toFixed(1)} LUFS, ` +
    `tempo ${a.tempo.bpm.toFixed(1)} BPM, key ${a.key.label}, ${a.features.values.length} features (v${a.features.version}); ` +
    `ingest ${r.outputs.length} files; errors ${seen.join(', ')}`)
}
main().catch((e) => { console.error(`install node: FAIL: ${e.stack || e}`); process.exit(1) })
JS
{ echo "const q = require('@quaver/engine'); const fs = require('fs'); const path = require('path'); const flavour = 'cjs'"
  cat smoke-body.txt; } > smoke.cjs
{ echo "import * as q from '@quaver/engine'; import fs from 'node:fs'; import path from 'node:path'; const flavour = 'esm'"
  echo "import def from '@quaver/engine'; if (def.decode !== q.decode) throw new Error('esm: default export is not the CommonJS module')"
  cat smoke-body.txt; } > smoke.mjs
# ffmpeg's EBU R128 integrated loudness (printed to 0.1 LU), when ffmpeg is there.
expect_lufs=
if command -v ffmpeg >/dev/null; then
  expect_lufs=$(ffmpeg -hide_banner -nostats -i song.flac -af ebur128 -f null - 2>&1 |
    awk '/Integrated loudness:/ {f=1} f && /I:/ {v=$2; f=0} END {print v}') || expect_lufs=
  echo "install node: ffmpeg ebur128 integrated loudness ${expect_lufs:-unknown} LUFS"
fi
export EXPECT_RATE=$expect_rate EXPECT_CH=$expect_ch EXPECT_DUR=$expect_dur EXPECT_LUFS=$expect_lufs
node smoke.cjs || die "CommonJS smoke test"
node smoke.mjs || die "ESM smoke test"
# Resolution: `require` and `import` reach the two entries, and the addon came from the platform package.
node -e '
  const r = require.resolve("@quaver/engine")
  if (!r.endsWith("/node_modules/@quaver/engine/index.js")) { console.error("require resolves to", r); process.exit(1) }
  require("@quaver/engine")
  const loaded = Object.keys(require.cache).find((k) => k.endsWith(".node"))
  if (!loaded || !loaded.includes("/node_modules/@quaver/engine-linux-x64-gnu/")) { console.error("addon loaded from", loaded); process.exit(1) }
' || die "module resolution"
# TypeScript users: `import … from '@quaver/engine'` finds index.d.ts through the exports map
# (checked with the repository's TypeScript compiler, when it is installed; nothing is fetched).
tsc="$repo/bindings/node/node_modules/typescript/bin/tsc"
if [ -f "$tsc" ] && [ -d "$repo/bindings/node/node_modules/@types/node" ]; then
  cat > types.mts <<'TS'
import { decode, infoSync, type AudioInfo, type QuaverErrorCode } from '@quaver/engine'
import q from '@quaver/engine'
const i: AudioInfo = infoSync('song.flac')
const rate: number = i.sample_rate
const p: Promise<{ channels: Float32Array[]; sampleRate: number }> = decode('song.flac')
const code: QuaverErrorCode = 'ERR_QUAVER_CORRUPT'
const same: typeof q.infoSync = infoSync
export { rate, p, code, same }
TS
  # The types mention Buffer: @types/node as a Node project has it (the repository's copy).
  cat > tsconfig.json <<TS
{ "compilerOptions": { "noEmit": true, "strict": true, "module": "nodenext", "moduleResolution": "nodenext",
                       "target": "es2022", "typeRoots": ["$repo/bindings/node/node_modules/@types"], "types": ["node"] },
  "files": ["types.mts"] }
TS
  node "$tsc" -p tsconfig.json ||
    die "TypeScript does not type-check an import of @quaver/engine"
  echo "install node: TypeScript (nodenext) resolves the package's types"
fi
echo "install node: passed (both tarballs installed from $dist, CommonJS and ESM)"
