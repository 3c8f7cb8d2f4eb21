// ingest through Node: Promise and Sync give the report that lands in report.json; bad input
// rejects with a stable code; a panic inside quaver is an ERR_QUAVER_INTERNAL error.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { createHash } from 'node:crypto'
import os from 'node:os'
import path from 'node:path'

const require = createRequire(import.meta.url)
const q = require('../index.js')
const here = path.dirname(fileURLToPath(import.meta.url))
const data = (name) => path.join(here, '../../../tests/data', name)

test('ingest writes report.json last and every listed file matches its sha256', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'quaver-node-ingest-'))
  const out = path.join(dir, 'out')
  const report = await q.ingest(data('tagged.flac'), out, {
    ladder: { renditions: [{ codec: 'opus', bitrate_kbps: 64 }] },
    downloads: [{ file: 'dl.mp3', options: { bitrate_kbps: 128 } }],
  })
  assert.equal(report.status, 'ok')
  const onDisk = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8'))
  assert.deepEqual(onDisk.outputs, report.outputs)
  const names = report.outputs.map((o) => o.path)
  for (const want of ['download/dl.mp3', 'waveform.dat', 'stream/master.m3u8', 'stream/manifest.mpd']) {
    assert.ok(names.includes(want), want)
  }
  for (const o of report.outputs) {
    const bytes = readFileSync(path.join(out, o.path))
    assert.equal(bytes.length, o.bytes, o.path)
    assert.equal(createHash('sha256').update(bytes).digest('hex'), o.sha256, o.path)
  }
  assert.equal(report.info.tags.isrc, 'QZABC2600001')
  // The Sync twin on the same input gives the same files.
  const out2 = path.join(dir, 'out2')
  const again = q.ingestSync(data('tagged.flac'), out2, {
    ladder: { renditions: [{ codec: 'opus', bitrate_kbps: 64 }] },
    downloads: [{ file: 'dl.mp3', options: { bitrate_kbps: 128 } }],
  })
  assert.deepEqual(again.outputs, report.outputs)
})

test('ingest rejects bad input and unknown options with stable codes', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'quaver-node-ingest-'))
  await assert.rejects(q.ingest(Buffer.from('not audio at all'), path.join(dir, 'a')), (e) => {
    assert.equal(e.code, 'ERR_QUAVER_UNSUPPORTED')
    return true
  })
  assert.ok(!existsSync(path.join(dir, 'a')))
  assert.throws(() => q.ingestSync(data('tagged.flac'), path.join(dir, 'b'), { ladder_typo: 1 }), (e) => {
    assert.equal(e.code, 'ERR_QUAVER_INVALID_ARGUMENT')
    assert.match(e.message, /ladder_typo/)
    return true
  })
})

test('a panic inside quaver is an ERR_QUAVER_INTERNAL error, not a crash', () => {
  assert.throws(() => q._debugPanic(), (e) => {
    assert.equal(e.code, 'ERR_QUAVER_INTERNAL')
    assert.match(e.message, /debug_panic/)
    return true
  })
})
