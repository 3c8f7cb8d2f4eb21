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

import {
  analyzeMany, analyzeManySync, waveformZooms, waveformZoomsSync, similarity, encodeMany, encodeManySync, ingestBatch,
  ingestBatchSync, AnalysisStream, package as pkg2, packageSync,
  type Settled, type BatchResult, type IngestProgress, type PackageProgress, type CountProgress, type BatchProgress,
  type FeatureVector, type StreamResult, type EncodeTarget, type QuaverError, type PackageOptions, type AnalyzeManyOptions,
  type IngestBatchOptions, type EncodeReport,
} from '../index.js'

async function parity(signal: AbortSignal): Promise<void> {
  const opts: AnalyzeManyOptions = { jobs: 2, music: { tempo: true }, onProgress: (p: CountProgress) => console.log(p.done / p.total) }
  const many: Array<Settled<Analysis>> = await analyzeMany(['a.flac', new Uint8Array(8)], opts, signal)
  for (const r of many) {
    if (r.status === 'fulfilled') {
      const bpm: number | undefined = r.value.tempo?.bpm
      console.log(bpm)
    } else {
      const e: QuaverError = r.reason
      console.log(e.code, e.message)
    }
  }
  const sync: Array<Settled<Analysis>> = analyzeManySync(['a.flac'])
  const zooms: Waveform[] = await waveformZooms('a.flac', { zoom_levels: [512, 1024] }, signal)
  const spp: number[] = waveformZoomsSync('a.flac').map((w) => w.samplesPerPixel)
  const a = await analyze('a.flac')
  const fv: FeatureVector | undefined = a.features
  const s1: number = similarity(a, a)
  const s2: number = similarity(fv!, a)
  const targets: EncodeTarget[] = [{ path: 'a.opus', options: { bitrate_kbps: 96 } }, { path: 'a.mp3' }]
  const reports: EncodeReport[] = await encodeMany('a.flac', targets, signal)
  const again: EncodeReport[] = encodeManySync(new Uint8Array(4), targets)
  const bo: IngestBatchOptions = { jobs: 2, ladder: null, onProgress: (p: BatchProgress) => console.log(p.input, p.outDir, p.ok) }
  const batch: BatchResult[] = await ingestBatch(['a.flac', 'b.mp3'], 'out', bo, signal)
  for (const b of batch) {
    if (b.status === 'ok') console.log(b.input, b.outDir, b.report.outputs.length)
    else console.log(b.input, b.error.code)
  }
  const bs: BatchResult[] = ingestBatchSync(['a.flac'], 'out')
  const r: IngestReport = await ingest('a.flac', 'out', {
    onProgress: (p: IngestProgress) => {
      const stage: 'decode' | 'fingerprint' | 'write' | 'done' = p.stage
      console.log(stage, p.fraction, p.frames)
    },
  }, signal)
  const po: PackageOptions = { ladder: 'hifi', onProgress: (p: PackageProgress) => console.log(p.stage, p.fraction, p.bytes) }
  const p: PackageReport = await pkg2('a.flac', 'out', po, signal)
  const ps: PackageReport = packageSync('a.flac', 'out', { onProgress: () => {} })
  const stream = new AnalysisStream(48000, 2, { loudness: null })
  await stream.push(new Float32Array(9600))
  stream.pushSync([new Float32Array(4800), new Float32Array(4800)])
  const frames: number = stream.frames
  const done: StreamResult = await stream.finish(signal)
  const snippet: Buffer = done.snippet
  const lufs: number | null | undefined = done.analysis.loudness?.integrated_lufs
  const done2: StreamResult = new AnalysisStream(8000, 1).finishSync()
  console.log(sync, zooms, spp, s1, s2, reports, again, bs, r, p, ps, frames, snippet, lufs, done2)
}
void parity(new AbortController().signal)

import { decode as decode3, type PcmAudio } from '../index.js'

async function pcmInputs(signal: AbortSignal): Promise<void> {
  const pcm: PcmAudio = await decode3('a.flac')
  const a: Analysis = await analyze(pcm, null, signal)
  const own: PcmAudio = { channels: [new Float32Array(8).subarray(2)], sampleRate: 8000 }
  const b: Analysis = analyzeSync(own, { loudness: null })
  const w: Waveform = await waveform(await decode3('a.flac', { mono: true }), { width: 800 }, signal)
  const ws: Waveform = waveformSync(own)
  console.log(a, b, w, ws)
}
void pcmInputs(new AbortController().signal)
