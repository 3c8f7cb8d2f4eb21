// onProgress callbacks: called on the JS thread (from quaver's worker threads through a
// ThreadsafeFunction) with non-decreasing fractions ending at 1, all before the Promise settles,
// while the event loop keeps running; a throwing callback cancels the call (ERR_QUAVER_CANCELLED,
// `cause` = the thrown value) and never reaches `uncaughtException`. AbortSignal stops a running
// ingest.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { q, data, repo, tmpdir } from './helpers.mjs'

const bogus = path.join(repo, 'examples/data/calling_bogus_30s.flac')
const light = { ladder: { renditions: [{ codec: 'opus', bitrate_kbps: 64 }] }, downloads: [] }
const uncaught = []
process.on('uncaughtException', (e) => uncaught.push(e))

function assertRising(fractions) {
  for (let i = 1; i < fractions.length; i++) {
    assert.ok(fractions[i] >= fractions[i - 1], `fraction fell: ${fractions[i - 1]} -> ${fractions[i]}`)
  }
  assert.ok(fractions.every((f) => f >= 0 && f <= 1))
}

test('ingest: onProgress rises to 1 while the event loop keeps ticking', async () => {
  const out = path.join(tmpdir(), 'out')
  const reports = []
  let ticks = 0
  let ticksAtFirst = -1
  const timer = setInterval(() => ticks++, 1)
  let returned = false
  const onProgress = (p) => {
    assert.ok(returned, 'onProgress must not run inside the ingest() call')
    if (reports.length === 0) ticksAtFirst = ticks
    reports.push({ ...p, ticks })
  }
  const t0 = performance.now()
  const pending = q.ingest(bogus, out, { ...light, onProgress })
  returned = true
  const report = await pending
  const ms = performance.now() - t0
  const callsAtResolve = reports.length
  clearInterval(timer)

  assert.equal(report.status, 'ok')
  assert.ok(reports.length >= 5, `${reports.length} reports`)
  assertRising(reports.map((r) => r.fraction))
  const last = reports.at(-1)
  assert.deepEqual([last.stage, last.fraction], ['done', 1])
  assert.equal(last.frames, report.info.frames)
  assert.deepEqual([...new Set(reports.map((r) => r.stage))], ['decode', 'fingerprint', 'write', 'done'])
  assert.ok(reports.filter((r) => r.stage === 'decode').length >= 3)
  // The loop ran timers throughout: between the first and the last report, and overall.
  assert.ok(last.ticks > ticksAtFirst, `no timer tick between the first and last report (${ticksAtFirst}, ${last.ticks})`)
  assert.ok(ticks >= Math.min(20, ms / 10), `only ${ticks} timer ticks in ${ms.toFixed(0)} ms`)
  // Every report arrived before the Promise resolved, and none after.
  await new Promise((r) => setTimeout(r, 50))
  assert.equal(reports.length, callsAtResolve)
  assert.deepEqual(uncaught, [])
})

test('ingestSync: onProgress is called on the calling thread during the call', () => {
  const reports = []
  const report = q.ingestSync(data('tagged.flac'), path.join(tmpdir(), 'out'), { ...light, onProgress: (p) => reports.push(p) })
  assert.equal(report.status, 'ok')
  assertRising(reports.map((r) => r.fraction))
  assert.deepEqual([reports.at(-1).stage, reports.at(-1).fraction], ['done', 1])
})

test('package: onProgress rises to 1 (options form of the third argument)', async () => {
  const size = fs.statSync(bogus).size
  const reports = []
  const dir = tmpdir()
  const r = await q.package(bogus, path.join(dir, 'pkg'), { ladder: light.ladder, onProgress: (p) => reports.push(p) })
  assert.equal(r.renditions[0].id, 'opus_64')
  assert.ok(reports.length >= 5, `${reports.length} reports`)
  assertRising(reports.map((p) => p.fraction))
  assertRising(reports.map((p) => p.bytes / size))
  assert.deepEqual(reports.at(-1), { stage: 'done', fraction: 1, bytes: size })
  assert.ok(reports.slice(0, -1).every((p) => p.stage === 'decode' && p.fraction <= 0.95))
  // The same package as without a callback, file for file.
  const plain = q.packageSync(bogus, path.join(dir, 'plain'), light.ladder)
  assert.deepEqual(plain.files, r.files)
  for (const f of r.files) assert.deepEqual(fs.readFileSync(path.join(dir, 'pkg', f)), fs.readFileSync(path.join(dir, 'plain', f)), f)
  // Sync twin, bytes input, named ladder.
  const sync = []
  q.packageSync(fs.readFileSync(data('flac_s16.flac')), path.join(dir, 'pkg2'), { ladder: 'standard', onProgress: (p) => sync.push(p.stage) })
  assert.equal(sync.at(-1), 'done')
  await assert.rejects(q.package(bogus, path.join(dir, 'x'), { ladder: 'hifi', renditions: [] }), { code: 'ERR_QUAVER_INVALID_ARGUMENT' })
})

test('analyzeMany: one report per finished input', async () => {
  const seen = []
  const srcs = [data('flac_s16.flac'), data('mp3_cbr128.mp3'), '/nonexistent.wav']
  await q.analyzeMany(srcs, { onProgress: (p) => seen.push(p) })
  assert.deepEqual(seen, [{ done: 1, total: 3 }, { done: 2, total: 3 }, { done: 3, total: 3 }])
})

test('a throwing onProgress cancels the call and rejects with ERR_QUAVER_CANCELLED, never crashing', async () => {
  const dir = tmpdir()
  const boom = new Error('boom from onProgress')
  let calls = 0
  const onProgress = () => { calls++; throw boom }
  await assert.rejects(q.ingest(bogus, path.join(dir, 'a'), { ...light, onProgress }), (e) => {
    assert.equal(e.code, 'ERR_QUAVER_CANCELLED')
    assert.equal(e.cause, boom)
    assert.match(e.message, /onProgress/)
    return true
  })
  assert.equal(calls, 1, 'no calls after the throw')
  assert.ok(!fs.existsSync(path.join(dir, 'a')), 'a cancelled ingest leaves no output directory')
  // Non-Error throws, the Sync twin, and calls that cannot stop early (they finish, then reject).
  assert.throws(() => q.ingestSync(bogus, path.join(dir, 'b'), { ...light, onProgress: () => { throw 'a string' } }),
    (e) => e.code === 'ERR_QUAVER_CANCELLED')
  assert.ok(!fs.existsSync(path.join(dir, 'b')))
  await assert.rejects(q.package(data('flac_s16.flac'), path.join(dir, 'c'), { onProgress }), { code: 'ERR_QUAVER_CANCELLED' })
  await assert.rejects(q.analyzeMany([data('flac_s16.flac')], { onProgress }), { code: 'ERR_QUAVER_CANCELLED' })
  await assert.rejects(q.ingestBatch([data('tagged.flac')], path.join(dir, 'd'), { ...light, onProgress }), { code: 'ERR_QUAVER_CANCELLED' })
  await new Promise((r) => setTimeout(r, 20))
  assert.deepEqual(uncaught, [])
  // The process is fine afterwards.
  assert.equal((await q.info(data('flac_s16.flac'))).frames, 176400)
})

test('onProgress must be a function', async () => {
  await assert.rejects(q.ingest(data('tagged.flac'), path.join(tmpdir(), 'x'), { onProgress: 42 }), { code: 'ERR_QUAVER_INVALID_ARGUMENT' })
  assert.throws(() => q.analyzeManySync([data('flac_s16.flac')], { onProgress: 'no' }), { code: 'ERR_QUAVER_INVALID_ARGUMENT' })
})

test('aborting a running ingest stops it: ERR_QUAVER_CANCELLED, outDir untouched', async () => {
  const dir = tmpdir()
  const out = path.join(dir, 'out')
  const ac = new AbortController()
  const seen = []
  const pending = q.ingest(bogus, out, { ...light, onProgress: (p) => { seen.push(p.fraction); if (seen.length === 2) ac.abort() } }, ac.signal)
  await assert.rejects(pending, { code: 'ERR_QUAVER_CANCELLED' })
  assert.ok(seen.at(-1) < 0.9, `stopped during the decode (last fraction ${seen.at(-1)})`)
  assert.ok(!fs.existsSync(out))
  assert.deepEqual(fs.readdirSync(dir), [], 'no staging directory left behind')
})
