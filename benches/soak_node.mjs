// Soak (issue 12): the Node upload service (examples/node/server.mjs, the napi binding in
// process) under a steady mixed load for DURATION seconds (default 300): 4 clients upload, in a
// fixed rotation, every fixture in tests/data plus hostile bodies (truncated, bit-flipped,
// empty, random, HTML). Every valid upload must answer 200; empty, random and HTML bodies 4xx
// with an ERR_* code; truncated and bit-flipped ones 200 (a correct short decode) or 4xx —
// never 5xx, never a dropped connection. The service's RSS — sampled
// every 15 s through /api/health — must stay flat: the peak over the last third of the run
// within 64 MiB of the peak over the first third. Prints the RSS series and a verdict.
//
// Usage: node benches/soak_node.mjs [SECONDS]   (needs the Node binding built:
//        scripts/test.d/node.sh, or `npm run build` in bindings/node)
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const here = path.dirname(fileURLToPath(import.meta.url))
const repo = path.resolve(here, '..')
const seconds = Number(process.argv[2] || process.env.DURATION || 300)
const data = path.join(repo, 'tests/data')

const valid = fs.readdirSync(data).filter((f) => !f.endsWith('.md')).sort()
  .map((f) => ({ name: f, body: fs.readFileSync(path.join(data, f)), ok: true }))
let seed = 12345
const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32
const hostile = []
for (const v of valid.slice(0, 12)) {
  // a PCM file cut to 200 bytes still holds a few frames: a correct short decode is fine
  hostile.push({ name: v.name + ' cut 200 B', body: v.body.subarray(0, 200), ok: null })
  const flipped = Buffer.from(v.body.subarray(0, 4096))
  for (let i = 0; i < 64; i++) flipped[Math.floor(rnd() * flipped.length)] ^= 1 << Math.floor(rnd() * 8)
  hostile.push({ name: v.name + ' flipped head', body: flipped, ok: null }) // may decode a little
}
hostile.push({ name: 'empty', body: Buffer.alloc(0), ok: false })
hostile.push({ name: 'random 256 KiB', body: Buffer.from(Array.from({ length: 262144 }, () => Math.floor(rnd() * 256))), ok: false })
hostile.push({ name: 'html', body: Buffer.from('<html>not audio</html>'.repeat(100)), ok: false })
const rotation = []
for (let i = 0; i < Math.max(valid.length, hostile.length); i++) {
  if (i < valid.length) rotation.push(valid[i])
  if (i < hostile.length) rotation.push(hostile[i])
}

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'quaver-soak-'))
const child = spawn(process.execPath, [path.join(repo, 'examples/node/server.mjs'), '--port', '0', '--data', dataDir],
  { stdio: ['ignore', 'pipe', 'inherit'] })
const base = await new Promise((resolve, reject) => {
  let out = ''
  child.stdout.on('data', (c) => { out += c; const m = /on (http:\/\/127\.0\.0\.1:\d+)\//.exec(out); if (m) resolve(m[1]) })
  child.on('exit', (code) => reject(new Error(`server exited with ${code}`)))
})
const rss = async () => (await (await fetch(base + '/api/health')).json()).rss

const t0 = Date.now()
const end = t0 + seconds * 1000
const problems = []
let requests = 0, okCount = 0, rejected = 0, next = 0
const samples = [[0, await rss(), 0]]
const sampler = setInterval(async () => { try { samples.push([(Date.now() - t0) / 1000, await rss(), requests]) } catch (e) { problems.push('health: ' + e) } }, 15000)
await Promise.all(Array.from({ length: 4 }, async () => {
  while (Date.now() < end) {
    const item = rotation[next++ % rotation.length]
    let res
    try { res = await fetch(base + '/api/upload', { method: 'POST', body: item.body }) } catch (e) { problems.push(`${item.name}: connection failed: ${e}`); continue }
    const body = await res.json().catch(() => ({}))
    requests++
    if (res.status === 200) okCount++; else rejected++
    if (item.ok === true && res.status !== 200) problems.push(`${item.name}: ${res.status} ${body.error} ${body.message}`)
    if (item.ok === false && !(res.status >= 400 && res.status < 500 && String(body.error).startsWith('ERR_'))) problems.push(`${item.name}: ${res.status} ${JSON.stringify(body).slice(0, 200)}`)
    if (item.ok === null && res.status >= 500) problems.push(`${item.name}: ${res.status} ${body.error}`)
    // the service keeps what it wrote; clear it so the disk does not fill
    if (res.status === 200 && body.id) fs.rmSync(path.join(dataDir, body.id), { recursive: true, force: true })
  }
}))
clearInterval(sampler)
samples.push([(Date.now() - t0) / 1000, await rss(), requests])
child.kill()
fs.rmSync(dataDir, { recursive: true, force: true })

const mb = (b) => (b / 1048576).toFixed(0)
console.log(`soak: ${seconds} s, ${requests} uploads (${okCount} ok, ${rejected} rejected), ${rotation.length} distinct bodies`)
console.log('t_s   uploads  rss_MiB')
for (const [t, r, n] of samples) console.log(`${t.toFixed(0).padStart(4)} ${String(n).padStart(8)} ${mb(r).padStart(8)}`)
const third = seconds / 3
const first = Math.max(...samples.filter(([t]) => t > 0 && t <= third).map(([, r]) => r))
const last = Math.max(...samples.filter(([t]) => t >= 2 * third).map(([, r]) => r))
console.log(`peak RSS: first third ${mb(first)} MiB, last third ${mb(last)} MiB`)
if (!(last - first < 64 * 1048576)) problems.push(`RSS grew ${mb(last - first)} MiB`)
for (const p of problems.slice(0, 20)) console.log('FAIL', p)
console.log(problems.length ? `${problems.length} problems` : 'PASS')
process.exit(problems.length ? 1 : 0)
