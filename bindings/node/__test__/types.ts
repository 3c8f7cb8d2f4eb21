// Checked with `tsc --noEmit --strict`: the public API's types as a TypeScript user meets them.
import { decode, decodeSync, info, infoSync, resample, type AudioInfo, type DecodedAudio, type QuaverErrorCode } from '../index.js'

async function main(): Promise<void> {
  const i: AudioInfo = await info('song.flac')
  const rate: number = i.sample_rate
  const isrc: string | null = i.tags.isrc
  const d: DecodedAudio = await decode(new Uint8Array(10), { sampleRate: 22050, mono: true })
  const first: Float32Array = d.channels[0]
  const r: DecodedAudio = await resample([first], d.sampleRate, 16000, 'best')
  const s: AudioInfo = infoSync('x.wav')
  const p: DecodedAudio = decodeSync('x.wav')
  try {
    await decode('bad.mp3')
  } catch (e) {
    const code = (e as Error & { code: QuaverErrorCode }).code
    console.log(code, rate, isrc, r, s, p)
  }
}
void main()

import {
  analyze, analyzeSync, waveform, waveformSync, package as pkg, chromaprint, frameFeatures, FingerprintIndex, Waveform,
  type Analysis, type AnalysisOptions, type PackageReport, type QueryResult, type ScanSegment, type IndexStats,
  type Chromaprint, type FrameMatrices, type WaveformOptions,
} from '../index.js'

async function more(signal: AbortSignal): Promise<void> {
  const opts: AnalysisOptions = { music: { tempo_range: { min_bpm: 60, max_bpm: 180 } }, loudness: null }
  const a: Analysis = await analyze('song.flac', opts, signal)
  const bpm: number | undefined = a.tempo?.bpm
  const key: string | undefined = a.key?.label
  const lufs: number | null | undefined = analyzeSync(new Uint8Array(4)).loudness?.integrated_lufs
  const wo: WaveformOptions = { width: 800, bits: 8 }
  const w: Waveform = await waveform('song.flac', wo, signal)
  const mins: Int16Array = w.min
  const dat: Buffer = waveformSync('song.flac').toDat(2)
  w.write('out.png', { height: 100 })
  const p: PackageReport = await pkg('song.flac', 'out', 'hifi')
  const p2: PackageReport = await pkg('song.flac', 'out', { renditions: [{ codec: 'opus', bitrate_kbps: 96 }] })
  const c: Chromaprint = await chromaprint('song.flac', 30)
  const f: FrameMatrices = await frameFeatures('song.flac')
  const idx: FingerprintIndex = FingerprintIndex.open('db', { shards: 2 })
  await idx.add('id', 'song.flac', signal)
  const r: QueryResult = await idx.query(new Uint8Array(10), { max_matches: 3 })
  const s: ScanSegment[] = idx.scanSync('mix.mp3', { window_s: 6 })
  const n: number = await idx.remove(['id'])
  const st: IndexStats = idx.stats()
  console.log(bpm, key, lufs, mins, dat, p, p2, c.fingerprint, f.mfcc, r.matches[0]?.track, s, n, st.tracks)
}
void more(new AbortController().signal)

import { ingest, ingestSync, type IngestReport } from '../index.js'

async function ingestUsage(): Promise<number> {
  const r: IngestReport = await ingest('song.flac', 'out', { ladder: null, downloads: [{ file: 'a.mp3' }] })
  const s: IngestReport = ingestSync(new Uint8Array(4), 'out2')
  return r.outputs.length + s.outputs.length
}
void ingestUsage
