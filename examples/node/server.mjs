// quaver upload service: Node's standard library only (http, fs, crypto) plus the quaver addon.
//
//   POST /api/upload          body = an audio file (any format quaver reads)
//     -> 200 { id, analysis, waveform, hls, source }   analysis = `quaver analyze --json`
//     -> 4xx { error: "ERR_QUAVER_...", message }      the upload is rejected, the service goes on
//   GET  /                    the page (public/index.html): waveform, BPM / key / loudness, HLS playback
//   GET  /api/health          { ok, rss }
//   GET  /media/<id>/...      what an upload produced: waveform.json (audiowaveform JSON, what
//                             peaks.js / waveform-data.js read), analysis.json, the HLS/DASH package
//
// Every quaver call is a Promise running on the libuv pool: the event loop keeps serving while
// uploads are analysed and packaged.
//
//   node examples/node/server.mjs [--port 8080] [--data DIR] [--no-package]
import http from 'node:http'
import fs from 'node:fs'
import path from 'node:path'
import os from 'node:os'
import crypto from 'node:crypto'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'

const require = createRequire(import.meta.url)
const here = path.dirname(fileURLToPath(import.meta.url))
const quaver = require(process.env.QUAVER_NODE || path.join(here, '../../bindings/node/index.js'))

const MAX_UPLOAD = 200 * 1024 * 1024
const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.json': 'application/json',
  '.m3u8': 'application/vnd.apple.mpegurl', '.mpd': 'application/dash+xml', '.mp4': 'audio/mp4',
  '.m4s': 'audio/mp4', '.dat': 'application/octet-stream', '.png': 'image/png',
}
const STATIC = {
  '/': path.join(here, 'public/index.html'),
  '/lib/hls.js': path.join(here, 'node_modules/hls.js/dist/hls.min.js'),
}
// Small, quick ladder for the example (one Opus rendition, 2 s segments).
const LADDER = { renditions: [{ codec: 'opus', bitrate_kbps: 96 }], segment_seconds: 2 }

function send(res, status, body, type = 'application/json') {
  const data = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body)
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(data) })
  res.end(data)
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const parts = []
    let size = 0
    req.on('data', (c) => {
      size += c.length
      if (size > MAX_UPLOAD) { reject(Object.assign(new Error('upload too large'), { status: 413 })); req.destroy() } else parts.push(c)
    })
    req.on('end', () => resolve(Buffer.concat(parts)))
    req.on('error', reject)
  })
}

function serveFile(res, file) {
  fs.readFile(file, (err, body) => {
    if (err) return send(res, 404, { error: 'not found' })
    send(res, 200, body, TYPES[path.extname(file)] || 'application/octet-stream')
  })
}

/** Analyse one upload: analysis + waveform in parallel, then the HLS/DASH package. */
async function handleUpload(audio, dataDir, withPackage) {
  const id = crypto.randomUUID()
  const dir = path.join(dataDir, id)
  await fs.promises.mkdir(dir, { recursive: true })
  const [analysis, waveform] = await Promise.all([
    quaver.analyze(audio),
    quaver.waveform(audio, { samples_per_pixel: 256 }),
  ])
  await fs.promises.writeFile(path.join(dir, 'waveform.json'), waveform.toJson(2))
  await fs.promises.writeFile(path.join(dir, 'analysis.json'), JSON.stringify(analysis))
  await fs.promises.writeFile(path.join(dir, 'source'), audio)
  let hls = null
  if (withPackage) {
    await quaver.package(audio, path.join(dir, 'hls'), LADDER)
    hls = `/media/${id}/hls/master.m3u8`
  }
  return { id, analysis, waveform: `/media/${id}/waveform.json`, hls, source: `/media/${id}/source` }
}

/** Start the service; resolves to the listening http.Server. */
export function start({ port = 8080, host = '127.0.0.1', dataDir, withPackage = true } = {}) {
  dataDir ??= fs.mkdtempSync(path.join(os.tmpdir(), 'quaver-uploads-'))
  const server = http.createServer(async (req, res) => {
    try {
      const url = new URL(req.url, 'http://x')
      if (req.method === 'POST' && url.pathname === '/api/upload') {
        const audio = await readBody(req)
        if (audio.length === 0) return send(res, 400, { error: 'ERR_EMPTY_UPLOAD', message: 'empty body' })
        return send(res, 200, await handleUpload(audio, dataDir, withPackage))
      }
      if (req.method !== 'GET') return send(res, 405, { error: 'method not allowed' })
      if (url.pathname === '/api/health') return send(res, 200, { ok: true, rss: process.memoryUsage().rss })
      if (STATIC[url.pathname]) return serveFile(res, STATIC[url.pathname])
      const m = /^\/media\/([0-9a-f-]{36})\/(.+)$/.exec(url.pathname)
      if (m) {
        const base = path.join(dataDir, m[1])
        const file = path.resolve(base, decodeURIComponent(m[2]))
        if (!file.startsWith(base + path.sep)) return send(res, 404, { error: 'not found' })
        return serveFile(res, file)
      }
      send(res, 404, { error: 'not found' })
    } catch (e) {
      // quaver errors are the client's (bad upload, bad options): 422 with the stable code.
      const status = e.status || (e.code === 'ERR_QUAVER_INTERNAL' || e.code === 'ERR_QUAVER_IO' ? 500 : e.code?.startsWith('ERR_QUAVER_') ? 422 : 500)
      if (!res.headersSent) send(res, status, { error: e.code || 'ERR_SERVER', message: e.message })
    }
  })
  server.dataDir = dataDir
  return new Promise((resolve) => server.listen(port, host, () => resolve(server)))
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const arg = (name, def) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : def }
  const server = await start({ port: Number(arg('--port', 8080)), dataDir: arg('--data'), withPackage: !process.argv.includes('--no-package') })
  const { address, port } = server.address()
  console.log(`quaver upload service on http://${address}:${port}/ (uploads in ${server.dataDir})`)
}
