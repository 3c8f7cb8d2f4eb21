// Parity with the Rust facade: analyzeMany, waveformZooms, similarity, encodeMany, ingestBatch and
// AnalysisStream give what the single-input calls give on the same fixtures; bad inputs give
// per-input errors with stable codes.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { createHash } from 'node:crypto'
import { q, data, repo, tmpdir, wavFromPlanar, melody } from './helpers.mjs'

const sha = (file) => createHash('sha256').update(fs.readFileSync(file)).digest('hex')
const bogus = path.join(repo, 'examples/data/calling_bogus_30s.flac')

test('analyzeMany: input order, a rejected entry per bad input, the rest equal analyze', async () => {
  const corrupt = fs.readFileSync(data('flac_s16.flac')).subarray(0, 300)
  const srcs = [data('mp3_cbr128.mp3'), '/nonexistent/x.flac', data('flac_s16.flac'), corrupt, fs.readFileSync(data('opus_stereo.opus'))]
  const got = await q.analyzeMany(srcs)
  assert.equal(got.length, 5)
  assert.deepEqual(got.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled', 'rejected', 'fulfilled'])
  assert.deepEqual(got[0].value, await q.analyze(data('mp3_cbr128.mp3')))
  assert.deepEqual(got[2].value, q.analyzeSync(data('flac_s16.flac')))
  assert.deepEqual(got[4].value, q.analyzeSync(data('opus_stereo.opus')))
  assert.ok(got[1].reason instanceof Error)
  assert.equal(got[1].reason.code, 'ERR_QUAVER_IO')
  assert.match(got[1].reason.message, /nonexistent/)
  assert.equal(got[3].reason.code, 'ERR_QUAVER_CORRUPT')

  // The Sync twin, on 1 thread, with the same options, gives the same entries.
  const opts = { music: { tempo: true, key: false, features: false }, loudness: null }
  const one = q.analyzeManySync(srcs.slice(0, 3), { ...opts, jobs: 1 })
  const many = await q.analyzeMany(srcs.slice(0, 3), opts)
  assert.deepEqual(one.map((r) => r.value ?? r.reason.code), many.map((r) => r.value ?? r.reason.code))
  assert.equal(one[0].value.key, undefined)
  assert.equal(one[0].value.loudness, undefined)
  assert.ok(one[0].value.tempo.bpm > 0)

  await assert.rejects(q.analyzeMany([data('master.wav')], { tempo: {} }), { code: 'ERR_QUAVER_INVALID_ARGUMENT' })
  assert.throws(() => q.analyzeManySync([data('master.wav')], { jobs: 0 }), { code: 'ERR_QUAVER_INVALID_ARGUMENT' })
  assert.deepEqual(await q.analyzeMany([]), [])
})

test('waveformZooms: main level first, then each zoom level; pixel counts halve as samples per pixel double', async () => {
  const levels = await q.waveformZooms(data('flac_s16.flac'), { samples_per_pixel: 256, zoom_levels: [512, 1024, 2048] })
  assert.deepEqual(levels.map((w) => w.samplesPerPixel), [256, 512, 1024, 2048])
  assert.deepEqual(levels.map((w) => w.length), [256, 512, 1024, 2048].map((spp) => Math.ceil(176400 / spp)))
  for (let i = 1; i < levels.length; i++) {
    assert.equal(levels[i].length, Math.ceil(levels[i - 1].length / 2))
    assert.equal(levels[i].min.length, levels[i].length * levels[i].channels)
  }
  // Each level is what `waveform` gives at that resolution, byte for byte.
  for (const w of levels) {
    assert.deepEqual(w.toDat(), q.waveformSync(data('flac_s16.flac'), { samples_per_pixel: w.samplesPerPixel }).toDat())
  }
  const sync = q.waveformZoomsSync(fs.readFileSync(data('flac_s16.flac')), { zoom_levels: [1024] })
  assert.deepEqual(sync.map((w) => w.length), [690, 173])
  assert.throws(() => q.waveformZoomsSync(data('flac_s16.flac'), { zoom_level: [2] }), { code: 'ERR_QUAVER_INVALID_ARGUMENT' })
})

test('similarity: a track with itself is 1, different tracks score lower', async () => {
  const [a, b, m] = (await q.analyzeMany([data('flac_s16.flac'), bogus, wavFromPlanar([melody(8)], 22050)])).map((r) => r.value)
  assert.ok(Math.abs(q.similarity(a, a) - 1) < 1e-12)
  assert.ok(Math.abs(q.similarity(a.features, a) - 1) < 1e-12, 'an Analysis or its FeatureVector')
  const ab = q.similarity(a, b)
  const am = q.similarity(a, m)
  assert.ok(ab < 1 - 1e-6, `fixture vs calling_bogus: ${ab}`)
  assert.ok(am < 0.5, `fixture vs a synthetic melody: ${am}`)
  assert.equal(q.similarity(a, b), q.similarity(b, a))
  assert.equal(q.similarity(a, { ...a.features, version: a.features.version + 1 }), 0)
  const noFeatures = q.analyzeSync(data('flac_s16.flac'), { music: null })
  assert.throws(() => q.similarity(a, noFeatures), { code: 'ERR_QUAVER_INVALID_ARGUMENT' })
  assert.throws(() => q.similarity(a, { values: 'x' }), { code: 'ERR_QUAVER_INVALID_ARGUMENT' })
})

test('encodeMany: one decode, every target byte-identical to its own encode', async () => {
  const dir = tmpdir()
  const targets = [
    { path: path.join(dir, 'a.opus'), options: { bitrate_kbps: 64 } },
    { path: path.join(dir, 'b.mp3'), options: { bitrate_kbps: 128 } },
    { path: path.join(dir, 'c.flac') },
  ]
  const reports = await q.encodeMany(data('tagged.flac'), targets)
  assert.deepEqual(reports.map((r) => r.stream.codec), ['opus', 'mp3', 'flac'])
  for (const [i, t] of targets.entries()) {
    assert.equal(reports[i].path, t.path)
    assert.equal(reports[i].bytes, fs.statSync(t.path).size)
    const single = path.join(dir, `single-${i}${path.extname(t.path)}`)
    q.encodeSync(data('tagged.flac'), single, t.options)
    assert.equal(sha(t.path), sha(single), t.path)
  }
  const again = q.encodeManySync(fs.readFileSync(data('tagged.flac')), [{ path: path.join(dir, 'd.opus'), options: { bitrate_kbps: 64 } }])
  assert.equal(again[0].frames, reports[0].frames)
  await assert.rejects(q.encodeMany(data('tagged.flac'), [{ path: path.join(dir, 'e.mp3'), option: {} }]), { code: 'ERR_QUAVER_INVALID_ARGUMENT' })
  assert.throws(() => q.encodeManySync(data('tagged.flac'), [{ path: path.join(dir, 'f.mp3'), options: { bitrate_kbps: 7 } }]), { code: 'ERR_QUAVER_INVALID_ARGUMENT' })
  assert.ok(!fs.existsSync(path.join(dir, 'e.mp3')) && !fs.existsSync(path.join(dir, 'f.mp3')))
})

test('ingestBatch: results in input order, a failed entry (and failed report.json) per bad input', async () => {
  const dir = tmpdir()
  const bad = path.join(dir, 'broken.flac')
  fs.writeFileSync(bad, fs.readFileSync(data('flac_s16.flac')).subarray(0, 300))
  const inputs = [data('tagged.flac'), bad, data('mp3_cbr128.mp3'), data('tagged.mp3')]
  const light = { downloads: [{ file: 'dl.opus', options: { bitrate_kbps: 48 } }], ladder: null }
  const seen = []
  const res = await q.ingestBatch(inputs, path.join(dir, 'out'), { ...light, jobs: 2, onProgress: (p) => seen.push(p) })
  assert.deepEqual(res.map((r) => r.input), inputs)
  assert.deepEqual(res.map((r) => r.status), ['ok', 'failed', 'ok', 'ok'])
  assert.deepEqual(res.map((r) => path.basename(r.outDir)), ['tagged', 'broken', 'mp3_cbr128', 'tagged-2'])
  assert.equal(res[1].error.code, 'ERR_QUAVER_CORRUPT')
  assert.ok(res[1].error instanceof Error)
  const failed = JSON.parse(fs.readFileSync(path.join(res[1].outDir, 'report.json'), 'utf8'))
  assert.equal(failed.status, 'failed')
  assert.equal(failed.error.code, 'CORRUPT')
  for (const r of res.filter((r) => r.status === 'ok')) {
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(r.outDir, 'report.json'), 'utf8')), r.report)
    assert.ok(r.report.outputs.some((o) => o.path === 'download/dl.opus'))
  }
  // One report per finished input, counting up to the total.
  assert.deepEqual(seen.map((p) => p.done), [1, 2, 3, 4])
  assert.ok(seen.every((p) => p.total === 4))
  assert.deepEqual(seen.map((p) => p.input).sort(), [...inputs].sort())
  assert.equal(seen.find((p) => p.input === bad).ok, false)

  const sync = q.ingestBatchSync([data('tagged.flac')], path.join(dir, 'out2'), light)
  assert.deepEqual(sync[0].report.outputs, res[0].report.outputs)
  assert.throws(() => q.ingestBatchSync([data('tagged.flac')], path.join(dir, 'out3'), { ladr: null }), { code: 'ERR_QUAVER_INVALID_ARGUMENT' })
})

test('AnalysisStream: pushed in pieces equals analyze of the whole file', async () => {
  const pcm = q.decodeSync(data('flac_s16.flac'))
  const [l, r] = pcm.channels
  const inter = new Float32Array(l.length * 2)
  for (let i = 0; i < l.length; i++) { inter[2 * i] = l[i]; inter[2 * i + 1] = r[i] }
  const want = await q.analyze(data('flac_s16.flac'))

  const s = new q.AnalysisStream(pcm.sampleRate, 2)
  assert.equal(s.channels, 2)
  // Uneven interleaved pieces, pushed without awaiting each: order is the call order.
  const pending = []
  const piece = 2 * 1237
  for (let off = 0; off < inter.length; off += piece) pending.push(s.push(inter.subarray(off, off + piece)))
  await Promise.all(pending)
  assert.equal(s.frames, 176400)
  const got = await s.finish()
  // Tolerance, as the Rust facade's own test states it: frames, loudness and key exact; BPM
  // within 0.5; the feature vector near-identical.
  assert.equal(got.analysis.frames, want.frames)
  assert.equal(got.analysis.duration_s, want.duration_s)
  assert.deepEqual(got.analysis.loudness, want.loudness)
  assert.equal(got.analysis.key.label, want.key.label)
  assert.ok(Math.abs(got.analysis.tempo.bpm - want.tempo.bpm) < 0.5, `${got.analysis.tempo.bpm} vs ${want.tempo.bpm}`)
  assert.ok(q.similarity(got.analysis, want) > 0.99, `${q.similarity(got.analysis, want)}`)
  assert.ok(Buffer.isBuffer(got.snippet) && got.snippet.length > 0)

  // Planar chunks through the Sync twins give the same result.
  const p = new q.AnalysisStream(pcm.sampleRate, 2, {})
  for (let off = 0; off < l.length; off += 4096) p.pushSync([l.subarray(off, off + 4096), r.subarray(off, off + 4096)])
  const planar = p.finishSync()
  assert.deepEqual(planar.analysis.loudness, got.analysis.loudness)
  assert.ok(Math.abs(planar.snippet.length - got.snippet.length) <= got.snippet.length / 10)

  // Errors: wrong channel count, NaN, pushing after finish, finishing empty, bad construction.
  const e = new q.AnalysisStream(44100, 2)
  await assert.rejects(e.push([l.subarray(0, 10)]), { code: 'ERR_QUAVER_INVALID_ARGUMENT' })
  await assert.rejects(e.push(new Float32Array([NaN, 0])), { code: 'ERR_QUAVER_INVALID_ARGUMENT' })
  assert.throws(() => e.finishSync(), { code: 'ERR_QUAVER_NO_AUDIO' })
  await assert.rejects(s.push(inter.subarray(0, 2)), { code: 'ERR_QUAVER_INVALID_ARGUMENT' })
  await assert.rejects(s.finish(), { code: 'ERR_QUAVER_INVALID_ARGUMENT' })
  assert.throws(() => new q.AnalysisStream(44100, 0), { code: 'ERR_QUAVER_INVALID_ARGUMENT' })
  assert.throws(() => new q.AnalysisStream(44100, 1, { loudnes: {} }), { code: 'ERR_QUAVER_INVALID_ARGUMENT' })
})
