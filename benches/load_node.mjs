// Load: the Node upload service (examples/node/server.mjs, the napi binding in process) as a
// child process, driven from this process over 127.0.0.1. 200 uploads of tests/data/flac_s16.flac
// (4 s stereo FLAC: analysis + waveform + HLS package each), 8 in flight at a time, with 10
// corrupt bodies mixed in (truncated FLAC, HTML, random bytes). Checks:
//   - every valid upload answers 200 with an analysis; every corrupt one 4xx with an ERR_QUAVER_*
//     code (never 5xx, never a dropped connection)
//   - the server never exits, and still answers /api/health at the end
//   - the whole run ends within LIMIT seconds (default 120)
//   - RSS (GET /api/health -> { rss }) after 50, 100, 150 and 200 uploads: growth from 50 to 200
//     < 64 MiB
// Prints the timings, latency percentiles, the RSS series and a verdict; exits 1 on a failure.
//
// Usage: node benches/load_node.mjs        (QUAVER_NODE=path/to/index.js picks the addon the
//        server loads; default bindings/node/index.js, built by scripts/test.d/node.sh or
//        `npm run build` in bindings/node; benches/binding_overhead.sh builds a release one in
//        target/bench-node)
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const here = path.dirname(fileURLToPath(import.meta.url))
const repo = path.resolve(here, '..')
const VALID = 200
const CONCURRENCY = 8
const LIMIT_S = Number(process.env.LIMIT || 120)
const MIB = 1024 * 1024

const audio = fs.readFileSync(path.join(repo, 'tests/data/flac_s16.flac'))
let seed = 42
const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32
const corrupt = [
  { name: 'flac cut at 300 B', body: audio.subarray(0, 300) },
  { name: 'flac cut at 100 B', body: audio.subarray(0, 100) },
  { name: 'html', body: Buffer.from('<html>not audio</html>'.repeat(20)) },
  { name: 'random 64 KiB', body: Buffer.from(Array.from({ length: 65536 }, () => Math.floor(rnd() * 256))) },
  { name: 'zeros 16 KiB', body: Buffer.alloc(16384) },
]
// 210 requests: a corrupt one after every 20th valid one (2 rounds of the 5 kinds)
const plan = []
for (let i = 0, c = 0; i < VALID; i++) {
  plan.push({ name: 'flac_s16.flac', body: audio, valid: true })
  if ((i + 1) % 20 === 0) plan.push({ ...corrupt[c++ % corrupt.length], valid: false })
}

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'quaver-load-'))
const child = spawn(process.execPath, [path.join(repo, 'examples/node/server.mjs'), '--port', '0', '--data', dataDir],
  { stdio: ['ignore', 'pipe', 'inherit'], env: process.env })
let exited = null
child.on('exit', (code, signal) => { exited = { code, signal } })
const base = await new Promise((resolve, reject) => {
  let out = ''
  child.stdout.on('data', (c) => { out += c; const m = /on (http:\/\/127\.0\.0\.1:\d+)\//.exec(out); if (m) resolve(m[1]) })
  child.on('exit', (code) => reject(new Error(`server exited with ${code}`)))
  setTimeout(() => reject(new Error('server did not start in 30 s')), 30000).unref()
})
const health = async () => (await (await fetch(base + '/api/health')).json())
const rssSeries = [['start', (await health()).rss]]

const problems = []
const latValid = []
const codes = {}
let next = 0, validDone = 0, corruptDone = 0
const t0 = performance.now()
const deadline = t0 + LIMIT_S * 1000

async function one (item) {
  const t = performance.now()
  let res, body
  try {
    res = await fetch(base + '/api/upload', { method: 'POST', body: item.body, signal: AbortSignal.timeout(120000) })
    body = await res.json()
  } catch (e) {
    problems.push(`${item.name}: request failed (${e.cause?.code || e.name}: ${e.message})`)
    return
  }
  const ms = performance.now() - t
  if (item.valid) {
    validDone++
    latValid.push(ms)
    if (res.status !== 200 || typeof body.analysis?.duration_s !== 'number') {
      problems.push(`${item.name}: ${res.status} ${JSON.stringify(body).slice(0, 200)}`)
    }
  } else {
    corruptDone++
    codes[`${item.name} -> ${res.status} ${body.error}`] = (codes[`${item.name} -> ${res.status} ${body.error}`] || 0) + 1
    if (!(res.status >= 400 && res.status < 500) || !/^ERR_QUAVER_[A-Z_]+$/.test(body.error || '')) {
      problems.push(`${item.name}: expected 4xx ERR_QUAVER_*, got ${res.status} ${JSON.stringify(body).slice(0, 200)}`)
    }
  }
}

// Runs the plan up to (not past) the point where `validTarget` valid uploads have been sent,
// CONCURRENCY requests in flight; resolves when all of them have answered.
async function runUntil (validTarget) {
  let sentValid = plan.slice(0, next).filter((p) => p.valid).length
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < plan.length && performance.now() < deadline && exited === null) {
      const item = plan[next]
      if (item.valid && sentValid >= validTarget) break
      next++
      if (item.valid) sentValid++
      await one(item)
    }
  }))
}

const phases = []
for (const target of [50, 100, 150, VALID]) {
  const ts = performance.now()
  const before = validDone + corruptDone
  await runUntil(target)
  // a trailing corrupt body after the last valid one of the run
  while (target === VALID && next < plan.length && exited === null) await one(plan[next++])
  const dt = (performance.now() - ts) / 1000
  const n = validDone + corruptDone - before
  if (exited !== null) break
  const rss = (await health()).rss
  rssSeries.push([`after ${validDone} valid uploads`, rss])
  phases.push(`${n} requests in ${dt.toFixed(1)} s (${(n / dt).toFixed(1)} req/s)`)
}
const total = (performance.now() - t0) / 1000

let alive = exited === null
if (alive) {
  try { alive = (await health()).ok === true } catch (e) { alive = false; problems.push('health at the end: ' + e) }
}
child.kill()
await new Promise((resolve) => (exited !== null ? resolve() : child.once('exit', resolve)))
fs.rmSync(dataDir, { recursive: true, force: true })

const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p / 100 * s.length))] }
const rss50 = rssSeries.find(([k]) => k.startsWith('after 50 '))?.[1]
const rss200 = rssSeries.find(([k]) => k.startsWith(`after ${VALID} `))?.[1]
const grown = rss200 !== undefined && rss50 !== undefined ? rss200 - rss50 : NaN

console.log(`server: examples/node/server.mjs (addon ${process.env.QUAVER_NODE || 'bindings/node/index.js'}), node ${process.version}, ${os.cpus().length} cores, load avg ${os.loadavg()[0].toFixed(1)}`)
console.log(`requests: ${validDone}/${VALID} valid + ${corruptDone}/${plan.length - VALID} corrupt answered, ${CONCURRENCY} in flight`)
for (const p of phases) console.log(`  phase: ${p}`)
console.log(`total ${total.toFixed(1)} s (limit ${LIMIT_S} s); valid upload latency p50 ${pct(latValid, 50)?.toFixed(0)} ms, p95 ${pct(latValid, 95)?.toFixed(0)} ms, max ${Math.max(...latValid).toFixed(0)} ms`)
console.log('corrupt bodies:')
for (const [k, n] of Object.entries(codes)) console.log(`  ${k} (x${n})`)
console.log('server RSS:')
for (const [k, v] of rssSeries) console.log(`  ${k.padEnd(28)} ${(v / MIB).toFixed(1)} MiB`)
console.log(`  growth from 50 to ${VALID} uploads: ${(grown / MIB).toFixed(1)} MiB (limit 64 MiB)`)

if (!alive) problems.push(`server not alive at the end (exit ${JSON.stringify(exited)})`)
if (validDone !== VALID || corruptDone !== plan.length - VALID) problems.push(`not every request answered (${validDone} valid, ${corruptDone} corrupt)`)
if (total > LIMIT_S) problems.push(`took ${total.toFixed(1)} s > ${LIMIT_S} s`)
if (!(grown < 64 * MIB)) problems.push(`RSS grew ${(grown / MIB).toFixed(1)} MiB from 50 to ${VALID} uploads`)
for (const p of problems.slice(0, 20)) console.log('PROBLEM: ' + p)
console.log(`RESULT: ${problems.length === 0 ? 'PASS' : `FAIL (${problems.length} problems)`}`)
process.exit(problems.length === 0 ? 0 : 1)
