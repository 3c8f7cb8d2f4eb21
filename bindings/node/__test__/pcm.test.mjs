// PCM input (`{ channels, sampleRate }`, what `decode` returns) to analyze and waveform: the
// same results as the file it was decoded from, typed-array views read from their offset, and
// bad PCM rejected with ERR_QUAVER_INVALID_ARGUMENT.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { q, data } from './helpers.mjs'

const fixture = data('flac_s16.flac')

function assertSameAnalysis(got, want) {
  assert.equal(got.frames, want.frames)
  assert.equal(got.sample_rate, want.sample_rate)
  assert.equal(got.channels, want.channels)
  for (const k of ['integrated_lufs', 'momentary_max_lufs', 'short_term_max_lufs', 'range_lu', 'true_peak_dbtp']) {
    assert.ok(Math.abs(got.loudness[k] - want.loudness[k]) <= 0.01, `${k}: ${got.loudness[k]} vs ${want.loudness[k]}`)
  }
  assert.ok(Math.abs(got.tempo.bpm - want.tempo.bpm) <= 0.5, `bpm ${got.tempo.bpm} vs ${want.tempo.bpm}`)
  assert.equal(got.key.label, want.key.label)
}

test('analyze(await decode(file)) equals analyze(file)', async () => {
  const want = await q.analyze(fixture)
  const pcm = await q.decode(fixture)
  assertSameAnalysis(await q.analyze(pcm), want)
  assertSameAnalysis(q.analyzeSync(pcm), want)
})

test('analyze options apply to PCM too', async () => {
  const pcm = await q.decode(fixture)
  const a = await q.analyze(pcm, { music: null })
  assert.equal(a.tempo, undefined)
  assert.equal(typeof a.loudness.integrated_lufs, 'number')
  await assert.rejects(q.analyze(pcm, { nope: 1 }), { code: 'ERR_QUAVER_INVALID_ARGUMENT' })
})

test('typed-array views are read from their byteOffset', async () => {
  const pcm = await q.decode(fixture, { mono: true })
  const x = pcm.channels[0]
  const backing = new Float32Array(x.length + 1000).fill(0.9)
  backing.set(x, 333)
  const view = backing.subarray(333, 333 + x.length)
  assert.equal(view.byteOffset, 333 * 4)
  const viaView = await q.analyze({ channels: [view], sampleRate: pcm.sampleRate })
  const direct = q.analyzeSync({ channels: [x], sampleRate: pcm.sampleRate })
  assert.deepEqual(viaView, direct)
  // A Float32Array over part of an ArrayBuffer (not from subarray) too.
  const buf = new ArrayBuffer((x.length + 16) * 4)
  const overBuf = new Float32Array(buf, 64, x.length)
  overBuf.set(x)
  assert.deepEqual(q.analyzeSync({ channels: [overBuf], sampleRate: pcm.sampleRate }), direct)
  const w1 = q.waveformSync({ channels: [view], sampleRate: pcm.sampleRate })
  const w2 = q.waveformSync({ channels: [x], sampleRate: pcm.sampleRate })
  assert.deepEqual(w1.min, w2.min)
  assert.deepEqual(w1.max, w2.max)
})

test('bad PCM rejects with ERR_QUAVER_INVALID_ARGUMENT', async () => {
  const code = { code: 'ERR_QUAVER_INVALID_ARGUMENT' }
  const bad = [
    { channels: [new Float32Array(100), new Float32Array(99)], sampleRate: 44100 },
    { channels: [new Float32Array(100)], sampleRate: 0 },
    { channels: [new Float32Array(100)], sampleRate: -8000 },
    { channels: [new Float32Array(100)], sampleRate: 44100.5 },
    { channels: [], sampleRate: 44100 },
  ]
  for (const pcm of bad) {
    await assert.rejects(q.analyze(pcm), code, JSON.stringify(pcm.sampleRate))
    assert.throws(() => q.analyzeSync(pcm), code)
    await assert.rejects(q.waveform(pcm), code)
    assert.throws(() => q.waveformSync(pcm), code)
  }
  const nan = new Float32Array(100); nan[5] = NaN
  await assert.rejects(q.analyze({ channels: [nan], sampleRate: 8000 }), code)
})

test('waveform of PCM gives the same peaks as of the file', async () => {
  const pcm = await q.decode(fixture)
  for (const opts of [undefined, { width: 300 }, { samples_per_pixel: 512, split_channels: true, bits: 16 }]) {
    const want = await q.waveform(fixture, opts)
    for (const got of [await q.waveform(pcm, opts), q.waveformSync(pcm, opts)]) {
      assert.equal(got.length, want.length)
      assert.equal(got.samplesPerPixel, want.samplesPerPixel)
      assert.equal(got.channels, want.channels)
      assert.deepEqual(got.min, want.min)
      assert.deepEqual(got.max, want.max)
      assert.deepEqual(got.toDat(), want.toDat())
    }
  }
  const zw = q.waveformZoomsSync(fixture, { zoom_levels: [256, 4096] })
  const zp = await q.waveformZooms(pcm, { zoom_levels: [256, 4096] })
  assert.deepEqual(zp.map((w) => w.toJson()), zw.map((w) => w.toJson()))
})
