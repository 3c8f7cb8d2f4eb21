// analyze, waveform, package, chromaprint, frameFeatures and FingerprintIndex: results equal the
// Rust API's (the `quaver` CLI) on the shared fixtures; options and errors are checked.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { q, data, cli, tmpdir, wavFromPlanar, melody } from './helpers.mjs'

test('analyze equals `quaver analyze --json` (path, Buffer, sync)', async () => {
  const want = JSON.parse(cli('analyze', '--json', data('flac_s16.flac')))
  const got = await q.analyze(data('flac_s16.flac'))
  assert.deepEqual(got, want)
  assert.ok(got.tempo.bpm > 0 && typeof got.key.label === 'string' && got.loudness.integrated_lufs < 0)
  assert.deepEqual(q.analyzeSync(fs.readFileSync(data('flac_s16.flac'))), want)
})

test('analyze options are the facade\'s: music off, a BPM range, unknown keys rejected', async () => {
  const want = JSON.parse(cli('analyze', '--json', '--no-music', data('mp3_cbr128.mp3')))
  const got = await q.analyze(data('mp3_cbr128.mp3'), { music: null })
  assert.deepEqual(got, want)
  assert.equal(got.tempo, undefined)
  const ranged = JSON.parse(cli('analyze', '--json', '--min-bpm', '120', '--max-bpm', '200', data('mp3_cbr128.mp3')))
  const r = q.analyzeSync(data('mp3_cbr128.mp3'), { music: { tempo_range: { min_bpm: 120, max_bpm: 200 } } })
  assert.equal(r.tempo.bpm, ranged.tempo.bpm)
  assert.ok(r.tempo.bpm >= 120 && r.tempo.bpm <= 200)
  await assert.rejects(q.analyze(data('mp3_cbr128.mp3'), { loudnes: {} }), (e) => e.code === 'ERR_QUAVER_INVALID_ARGUMENT' && /loudness/.test(e.message))
  assert.throws(() => q.analyzeSync(Buffer.from('not audio at all'.repeat(20))), { code: 'ERR_QUAVER_UNSUPPORTED' })
})

test('waveform: .dat bytes equal the CLI\'s; min/max typed arrays match them', async () => {
  const dir = tmpdir()
  for (const [opts, args] of [[{}, []], [{ samples_per_pixel: 512, bits: 8 }, ['--samples-per-pixel', '512', '--bits', '8']], [{ split_channels: true }, ['--split-channels']]]) {
    const out = path.join(dir, 'cli.dat')
    cli('waveform', data('flac_s16.flac'), '-o', out, ...args)
    const w = await q.waveform(data('flac_s16.flac'), opts)
    assert.deepEqual(w.toDat(), fs.readFileSync(out), JSON.stringify(opts))
    w.write(path.join(dir, 'node.dat'))
    assert.deepEqual(fs.readFileSync(path.join(dir, 'node.dat')), fs.readFileSync(out))
    assert.equal(w.channels, opts.split_channels ? 2 : 1)
    assert.equal(w.length, Math.ceil(176400 / (opts.samples_per_pixel ?? 256)))
    assert.ok(w.min instanceof Int16Array && w.max instanceof Int16Array)
    assert.equal(w.min.length, w.length * w.channels)
    // The .dat body holds min,max pairs; at 8 bits each value is the 16-bit one / 256.
    const dat = fs.readFileSync(out)
    const header = w.channels === 1 ? 20 : 24
    const div = w.bits === 8 ? 256 : 1
    for (const i of [0, 7, w.min.length - 1]) {
      const [mn, mx] = w.bits === 8
        ? [dat.readInt8(header + 2 * i), dat.readInt8(header + 2 * i + 1)]
        : [dat.readInt16LE(header + 4 * i), dat.readInt16LE(header + 4 * i + 2)]
      assert.equal(mn, Math.trunc(w.min[i] / div))
      assert.equal(mx, Math.trunc(w.max[i] / div))
      assert.ok(w.min[i] <= w.max[i])
    }
  }
  const fit = q.waveformSync(data('flac_s16.flac'), { width: 100 })
  assert.ok(fit.length <= 100 && fit.length >= 99, `${fit.length}`)
  const j = JSON.parse(fit.toJson())
  assert.equal(j.length, fit.length)
  assert.equal(j.data[1], fit.max[0])
  fit.write(path.join(dir, 'w.png'), { height: 64 })
  assert.deepEqual([...fs.readFileSync(path.join(dir, 'w.png')).subarray(1, 4)].map((c) => String.fromCharCode(c)).join(''), 'PNG')
  assert.throws(() => fit.write(path.join(dir, 'w.txt')), { code: 'ERR_QUAVER_INVALID_ARGUMENT' })
  assert.throws(() => q.waveformSync(data('flac_s16.flac'), { bits: 12 }), { code: 'ERR_QUAVER_INVALID_ARGUMENT' })
})

test('package writes HLS + DASH for a ladder object; bad ladders reject', async () => {
  const dir = tmpdir()
  const out = path.join(dir, 'pkg')
  const r = await q.package(data('flac_s16.flac'), out, { renditions: [{ codec: 'opus', bitrate_kbps: 64 }], segment_seconds: 2 })
  assert.equal(r.renditions.length, 1)
  assert.equal(r.renditions[0].id, 'opus_64')
  assert.ok(Math.abs(r.duration_s - 4) < 1e-6)
  for (const f of r.files) assert.ok(fs.existsSync(path.join(out, f)), f)
  assert.ok(fs.readFileSync(path.join(out, 'master.m3u8'), 'utf8').startsWith('#EXTM3U'))
  assert.ok(fs.existsSync(path.join(out, 'manifest.mpd')))
  await assert.rejects(q.package(data('flac_s16.flac'), path.join(dir, 'x'), 'ultra'), { code: 'ERR_QUAVER_INVALID_ARGUMENT' })
  assert.throws(() => q.packageSync(data('flac_s16.flac'), path.join(dir, 'y'), { renditions: [] }), { code: 'ERR_QUAVER_INVALID_ARGUMENT' })
  assert.ok(!fs.existsSync(path.join(dir, 'y')))
})

test('chromaprint equals `quaver chromaprint --json`; frameFeatures has librosa framing', async () => {
  const want = JSON.parse(cli('chromaprint', '--json', data('flac_s16.flac')))
  assert.deepEqual(await q.chromaprint(data('flac_s16.flac')), want)
  const short = q.chromaprintSync(fs.readFileSync(data('flac_s16.flac')), 3)
  assert.ok(short.raw.length < want.raw.length && short.raw.length > 0, `${short.raw.length} of ${want.raw.length}`)
  const m = await q.frameFeatures(data('flac_s16.flac'))
  assert.equal(m.sample_rate, 22050)
  assert.equal(m.hop, 512)
  assert.equal(m.times_s.length, 1 + Math.floor(88200 / 512))
  assert.equal(m.mfcc[0].length, 20)
  assert.equal(m.chroma[0].length, 12)
  assert.deepEqual(q.frameFeaturesSync(data('flac_s16.flac')).centroid, m.centroid)
})

test('FingerprintIndex: add, query an excerpt, scan, remove, stats, reopen', async () => {
  const dir = tmpdir()
  const idx = q.FingerprintIndex.open(path.join(dir, 'db'), { shards: 2 })
  const src = q.decodeSync(data('master.wav'), { mono: true, sampleRate: 22050 }).channels[0]
  const reversed = src.slice().reverse()
  const tune = melody(8)
  await idx.add('bogus', data('master.wav'))
  await idx.add('reversed', wavFromPlanar([reversed], 22050))
  idx.addSync('melody', wavFromPlanar([tune], 22050))
  assert.equal(idx.stats().tracks, 3)
  assert.ok(idx.contains('melody') && !idx.contains('nope'))

  // A 2.5 s excerpt starting at 1.2 s, with a little noise.
  const ex = src.slice(Math.round(1.2 * 22050), Math.round(3.7 * 22050)).map((v, i) => v + 0.01 * Math.sin(i * 1.7))
  const r = await idx.query(wavFromPlanar([ex], 22050))
  assert.equal(r.matches[0]?.track, 'bogus', JSON.stringify(r))
  assert.ok(Math.abs(r.matches[0].offset_s - 1.2) < 0.05, `${r.matches[0].offset_s}`)
  assert.ok(Math.abs(r.duration_s - 2.5) < 0.05)
  const m = idx.querySync(wavFromPlanar([tune.slice(3 * 22050, 6 * 22050)], 22050))
  assert.equal(m.matches[0]?.track, 'melody')
  assert.ok(Math.abs(m.matches[0].offset_s - 3) < 0.05)
  const none = await idx.query(wavFromPlanar([melody(3, 22050, 99)], 22050))
  assert.deepEqual(none.matches, [])

  // A "mix": the melody then the fixture.
  const mix = new Float32Array(tune.length + src.length)
  mix.set(tune); mix.set(src, tune.length)
  const segs = await idx.scan(wavFromPlanar([mix], 22050), { window_s: 3 })
  const tracks = segs.map((s) => s.track)
  assert.ok(tracks.includes('melody') && tracks.includes('bogus'), JSON.stringify(segs))

  assert.equal(await idx.remove(['bogus', 'absent']), 1)
  assert.equal((await idx.query(wavFromPlanar([ex], 22050))).matches.length, 0)
  await idx.compact()
  const again = q.FingerprintIndex.open(path.join(dir, 'db'))
  assert.equal(again.stats().tracks, 2)
  assert.equal(again.stats().shards, 2)
  assert.equal(again.removeSync(['melody']), 1)
  await assert.rejects(idx.add('x', Buffer.from('garbage'.repeat(30))), { code: 'ERR_QUAVER_UNSUPPORTED' })
  assert.throws(() => idx.querySync(data('master.wav'), { min_scor: 3 }), { code: 'ERR_QUAVER_INVALID_ARGUMENT' })
  assert.throws(() => q.FingerprintIndex.open(path.join(dir, 'db2'), { shards: 0 }), (e) => e.code.startsWith('ERR_QUAVER_'))
})

test('analyze keeps the event loop free and honours AbortSignal', async () => {
  const long = q.decodeSync(data('flac_s16.flac'))
  const rep = (c) => { const x = new Float32Array(c.length * 8); for (let k = 0; k < 8; k++) x.set(c, k * c.length); return x }
  const wav = wavFromPlanar(long.channels.map(rep), 44100)
  let ticks = 0
  const timer = setInterval(() => ticks++, 1)
  const t0 = performance.now()
  const a = await q.analyze(wav)
  const ms = performance.now() - t0
  clearInterval(timer)
  assert.ok(Math.abs(a.duration_s - 32) < 1e-6)
  assert.ok(ticks >= Math.min(20, ms / 10), `only ${ticks} timer ticks in ${ms.toFixed(0)} ms`)
  const busy = Array.from({ length: 6 }, () => q.analyze(wav))
  const ac = new AbortController()
  const queued = q.analyze(data('flac_s16.flac'), null, ac.signal)
  ac.abort()
  await assert.rejects(queued, (e) => e.name === 'AbortError' || /abort/i.test(e.message))
  await Promise.all(busy)
})
