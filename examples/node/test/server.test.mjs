// The upload service as a separate process, driven over 127.0.0.1: uploads give the binding's
// analysis, corrupt uploads are rejected while the service keeps serving, a bounded burst of
// concurrent uploads all succeed with flat memory, and the page (headless Debian Chromium via
// playwright-core) draws the waveform, shows BPM / key / loudness and plays the HLS package.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'

const require = createRequire(import.meta.url)
const here = path.dirname(fileURLToPath(import.meta.url))
const repo = path.resolve(here, '../../..')
const quaver = require(path.join(repo, 'bindings/node/index.js'))
const fixture = path.join(repo, 'tests/data/flac_s16.flac')
const audio = fs.readFileSync(fixture)

let child, base, dataDir
before(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'quaver-svc-'))
  child = spawn(process.execPath, [path.join(here, '../server.mjs'), '--port', '0', '--data', dataDir], { stdio: ['ignore', 'pipe', 'inherit'] })
  base = await new Promise((resolve, reject) => {
    let out = ''
    child.stdout.on('data', (c) => { out += c; const m = /on (http:\/\/127\.0\.0\.1:\d+)\//.exec(out); if (m) resolve(m[1]) })
    child.on('exit', (code) => reject(new Error(`server exited with ${code}`)))
  })
})
after(() => { child?.kill(); fs.rmSync(dataDir, { recursive: true, force: true }) })

const upload = (body) => fetch(base + '/api/upload', { method: 'POST', body })

test('an upload returns the analysis, waveform.json and an HLS package', async () => {
  const res = await upload(audio)
  assert.equal(res.status, 200)
  const r = await res.json()
  assert.deepEqual(r.analysis, quaver.analyzeSync(fixture))
  const wf = await (await fetch(base + r.waveform)).json()
  assert.deepEqual(wf, JSON.parse(quaver.waveformSync(fixture, { samples_per_pixel: 256 }).toJson(2)))
  const master = await (await fetch(base + r.hls)).text()
  assert.ok(master.startsWith('#EXTM3U'), master)
  assert.equal((await fetch(base + '/media/' + r.id + '/../../etc/passwd')).status, 404)
})

test('a corrupt upload is rejected with its code and the service keeps serving', async () => {
  const bad = await upload(audio.subarray(0, 300))
  assert.equal(bad.status, 422)
  assert.equal((await bad.json()).error, 'ERR_QUAVER_CORRUPT')
  const junk = await upload(Buffer.from('<html>not audio</html>'.repeat(20)))
  assert.equal((await junk.json()).error, 'ERR_QUAVER_UNSUPPORTED')
  assert.equal((await upload(audio)).status, 200)
})

test('a burst of 48 uploads, 8 at a time: no failure, memory flat', async () => {
  const rss = async () => (await (await fetch(base + '/api/health')).json()).rss
  const run = async (n) => {
    let next = 0, failed = 0
    await Promise.all(Array.from({ length: 8 }, async () => {
      while (next < n) { next++; const r = await upload(audio); if (r.status !== 200) failed++; await r.arrayBuffer() }
    }))
    return failed
  }
  const t0 = Date.now()
  assert.equal(await run(16), 0)
  const warm = await rss()
  assert.equal(await run(32), 0)
  const grown = (await rss()) - warm
  assert.ok(grown < 64 * 1024 * 1024, `RSS grew ${(grown / 1048576).toFixed(1)} MiB over 32 uploads`)
  assert.ok(Date.now() - t0 < 120_000)
})

test('the page draws the waveform, shows the analysis and plays the HLS package', async () => {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'quaver-chromium-'))
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required'],
  })
  try {
    const page = await browser.newPage()
    await page.goto(base + '/')
    await page.setInputFiles('#file', fixture)
    await page.waitForFunction(() => window.state.drawn > 0 || window.state.errors.length > 0, null, { timeout: 30_000 })
    assert.deepEqual(await page.evaluate(() => window.state.errors), [])
    const inked = await page.evaluate(() => {
      const c = document.getElementById('waveform')
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data
      let n = 0
      for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++
      return n / (c.width * c.height)
    })
    assert.ok(inked > 0.05 && inked < 0.95, `canvas ink ${inked}`)
    const want = quaver.analyzeSync(fixture)
    assert.equal(await page.textContent('#bpm'), want.tempo.bpm.toFixed(1) + ' BPM')
    assert.ok((await page.textContent('#key')).startsWith(want.key.label))
    assert.ok((await page.textContent('#loudness')).startsWith(want.loudness.integrated_lufs.toFixed(1)))
    await page.evaluate(() => document.getElementById('player').play())
    await page.waitForFunction(() => document.getElementById('player').currentTime > 1, null, { timeout: 15_000 })
    assert.deepEqual(await page.evaluate(() => window.state.errors), [])
    const shot = process.env.SCREENSHOT || path.join(profile, 'page.png')
    await page.screenshot({ path: shot, fullPage: true })
    assert.ok(fs.statSync(shot).size > 1000)
  } finally {
    await browser.close()
    fs.rmSync(profile, { recursive: true, force: true })
  }
})
