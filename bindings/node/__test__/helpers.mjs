// Shared helpers for the Node binding's tests: fixture paths, the CLI, WAV building.
import { execFileSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

const require = createRequire(import.meta.url)
export const q = require('../index.js')
const here = path.dirname(fileURLToPath(import.meta.url))
export const repo = path.resolve(here, '../../..')
export const data = (name) => path.join(repo, 'tests/data', name)
const targetDir = process.env.CARGO_TARGET_DIR || path.join(repo, 'target')
export const cliPath = path.join(targetDir, 'debug', 'quaver')

/** Run the `quaver` CLI (built by scripts/test.d/node.sh) and return its stdout. */
export function cli(...args) {
  return execFileSync(cliPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
}

export function tmpdir() {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'quaver-node-'))
}

/** 16-bit PCM WAV bytes from planar Float32 channels. */
export function wavFromPlanar(channels, rate) {
  const ch = channels.length
  const frames = channels[0].length
  const pcm = Buffer.alloc(frames * ch * 2)
  for (let i = 0; i < frames; i++) {
    for (let c = 0; c < ch; c++) {
      const v = Math.max(-1, Math.min(1, channels[c][i]))
      pcm.writeInt16LE(Math.round(v * 32767), (i * ch + c) * 2)
    }
  }
  const h = Buffer.alloc(44)
  h.write('RIFF', 0); h.writeUInt32LE(36 + pcm.length, 4); h.write('WAVEfmt ', 8)
  h.writeUInt32LE(16, 16); h.writeUInt16LE(1, 20); h.writeUInt16LE(ch, 22); h.writeUInt32LE(rate, 24)
  h.writeUInt32LE(rate * ch * 2, 28); h.writeUInt16LE(ch * 2, 32); h.writeUInt16LE(16, 34)
  h.write('data', 36); h.writeUInt32LE(pcm.length, 40)
  return Buffer.concat([h, pcm])
}

/** A deterministic pseudo-random melody (distinct material from the fixture). */
export function melody(seconds, rate = 22050, seed = 7) {
  let s = seed
  const rnd = () => ((s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff)
  const x = new Float32Array(Math.round(seconds * rate))
  const note = Math.round(rate * 0.15)
  for (let start = 0; start < x.length; start += note) {
    const f1 = 200 * Math.pow(2, Math.floor(rnd() * 36) / 12)
    const f2 = f1 * 1.5
    for (let i = start; i < Math.min(x.length, start + note); i++) {
      const t = (i - start) / rate
      const env = Math.min(1, t * 50) * Math.exp(-t * 6)
      x[i] = 0.4 * env * (Math.sin(2 * Math.PI * f1 * t) + 0.5 * Math.sin(2 * Math.PI * f2 * t))
    }
  }
  return x
}
