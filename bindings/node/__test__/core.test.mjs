// quaver's Node binding: inputs, typed arrays, error codes, Promises off the event loop, AbortSignal.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import path from 'node:path'

const require = createRequire(import.meta.url)
const q = require('../index.js')
const here = path.dirname(fileURLToPath(import.meta.url))
const data = (name) => path.join(here, '../../../tests/data', name)

function wavBytes({ rate = 44100, ch = 2, frames = 44100, value = 0.25 } = {}) {
  const pcm = Buffer.alloc(frames * ch * 2)
  for (let i = 0; i < frames * ch; i++) pcm.writeInt16LE(Math.trunc(value * 32767), i * 2)
  const fmt = Buffer.alloc(16)
  fmt.writeUInt16LE(1, 0); fmt.writeUInt16LE(ch, 2); fmt.writeUInt32LE(rate, 4)
  fmt.writeUInt32LE(rate * ch * 2, 8); fmt.writeUInt16LE(ch * 2, 12); fmt.writeUInt16LE(16, 14)
  const body = Buffer.concat([Buffer.from('WAVEfmt '), Buffer.from([16, 0, 0, 0]), fmt, Buffer.from('data'), Buffer.alloc(4), pcm])
  body.writeUInt32LE(pcm.length, 12 + 16 + 4)
  const head = Buffer.alloc(8); head.write('RIFF'); head.writeUInt32LE(body.length, 4)
  return Buffer.concat([head, body])
}

test('info from a path and from a Buffer agree', async () => {
  const a = await q.info(data('tagged.mp3'))
  const b = q.infoSync(readFileSync(data('tagged.mp3')))
  assert.deepEqual(a, b)
  assert.equal(a.container, 'mp3')
  assert.equal(a.frames, 176400)
  assert.equal(a.bits_per_sample, null)
  assert.equal(a.tags.isrc, 'QZABC2600001')
})

test('decode returns one Float32Array per channel', async () => {
  const d = await q.decode(data('flac_s16.flac'))
  assert.equal(d.sampleRate, 44100)
  assert.equal(d.channels.length, 2)
  assert.ok(d.channels[0] instanceof Float32Array)
  assert.equal(d.channels[0].length, 176400)
  const m = q.decodeSync(data('flac_s16.flac'), { mono: true, sampleRate: 22050 })
  assert.equal(m.channels.length, 1)
  assert.equal(m.channels[0].length, 88200)
})

test('decoded PCM is exact', () => {
  const d = q.decodeSync(wavBytes({ value: 0.25 }))
  const want = Math.fround(Math.trunc(0.25 * 32767) / 32768)
  assert.ok(d.channels.every((c) => c.every((s) => s === want)))
})

test('a Uint8Array subarray view is read at its offset', () => {
  const wav = wavBytes({ frames: 1000 })
  const big = new Uint8Array(wav.length + 100)
  big.set(wav, 100)
  const view = big.subarray(100)
  assert.equal(q.infoSync(view).frames, 1000)
})

test('resample takes Float32Array subarrays and keeps exact lengths', async () => {
  const n = 44100
  const x = new Float32Array(n + 10)
  for (let i = 0; i < x.length; i++) x[i] = 0.5 * Math.sin((2 * Math.PI * 440 * i) / 44100)
  const view = x.subarray(10)
  const r = await q.resample([view, view], 44100, 48000)
  assert.equal(r.channels.length, 2)
  assert.equal(r.channels[0].length, 48000)
  const s = q.resampleSync([view.slice()], 44100, 48000)
  assert.deepEqual(Array.from(s.channels[0].subarray(0, 100)), Array.from(r.channels[0].subarray(0, 100)))
})

const cases = [
  ['ERR_QUAVER_UNSUPPORTED', () => Buffer.from('<html>502 Bad Gateway</html>'.repeat(10))],
  ['ERR_QUAVER_CORRUPT', () => readFileSync(data('flac_s16.flac')).subarray(0, 300)],
  ['ERR_QUAVER_LIMIT_EXCEEDED', () => wavBytes({ ch: 40, frames: 10 })],
  ['ERR_QUAVER_IO', () => '/nonexistent/file.flac'],
]
for (const [code, make] of cases) {
  test(`errors carry ${code} (sync and async)`, async () => {
    assert.throws(() => q.decodeSync(make()), (e) => e instanceof Error && e.code === code && e.message.length > 0)
    await assert.rejects(q.decode(make()), (e) => e instanceof Error && e.code === code)
  })
}

test('invalid arguments reject with ERR_QUAVER_INVALID_ARGUMENT', async () => {
  await assert.rejects(q.decode(data('master.wav'), { sampleRate: 1 }), { code: 'ERR_QUAVER_INVALID_ARGUMENT' })
  assert.throws(() => q.decodeSync(data('master.wav'), { quality: 'ultra' }), { code: 'ERR_QUAVER_INVALID_ARGUMENT' })
  assert.throws(() => q.setNumThreads(0), { code: 'ERR_QUAVER_INVALID_ARGUMENT' })
})

test('the event loop keeps running while decode works', async () => {
  const wav = wavBytes({ frames: 44100 * 120 })
  let ticks = 0
  const timer = setInterval(() => ticks++, 1)
  const t0 = performance.now()
  await q.decode(wav, { sampleRate: 48000, quality: 'best' })
  const ms = performance.now() - t0
  clearInterval(timer)
  // A blocked loop gets no ticks at all during the call.
  assert.ok(ticks >= Math.min(20, ms / 10), `only ${ticks} timer ticks in ${ms.toFixed(0)} ms`)
})

test('aborting a queued call rejects its Promise with AbortError', async () => {
  // Fill the libuv pool (4 threads by default) so the next call waits in the queue, then abort it.
  const wav = wavBytes({ frames: 44100 * 60 })
  const busy = Array.from({ length: 6 }, () => q.decode(wav, { sampleRate: 48000, quality: 'best' }))
  const ac = new AbortController()
  const queued = q.decode(data('flac_s16.flac'), null, ac.signal)
  ac.abort()
  await assert.rejects(queued, (e) => e.name === 'AbortError' || /abort/i.test(e.message))
  await Promise.all(busy)
})

test('thread cap', () => {
  q.setNumThreads(1)
  assert.equal(q.getNumThreads(), 1)
  q.setNumThreads(2)
  assert.equal(q.getNumThreads(), 2)
})

test('encode writes a gapless, tagged file; options are checked', async () => {
  const os = await import('node:os')
  const fs = await import('node:fs')
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quaver-'))
  const out = path.join(dir, 'x.opus')
  const r = await q.encode(data('tagged.flac'), out, { bitrate_kbps: 96 })
  assert.equal(r.stream.codec, 'opus')
  assert.equal(r.bytes, fs.statSync(out).size)
  const back = q.infoSync(out)
  assert.equal(back.frames, 48000 * 4)
  assert.equal(back.tags.isrc, 'QZABC2600001')
  await assert.rejects(q.encode(data('master.wav'), path.join(dir, 'y.mp3'), { bitrat_kbps: 128 }), { code: 'ERR_QUAVER_INVALID_ARGUMENT' })
  assert.throws(() => q.encodeSync(data('master.wav'), path.join(dir, 'y.mp3'), { bitrate_kbps: 7 }), { code: 'ERR_QUAVER_INVALID_ARGUMENT' })
  assert.ok(!fs.existsSync(path.join(dir, 'y.mp3')))
})
