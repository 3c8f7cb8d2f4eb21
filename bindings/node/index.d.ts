/* Result types shared with the CLI's --json and the Python records (one serde definition). */

/** Normalised tags. */
export interface Tags {
  title: string | null
  artist: string | null
  album: string | null
  album_artist: string | null
  track_number: number | null
  date: string | null
  genre: string | null
  isrc: string | null
  has_cover_art: boolean
}

/** What `info` reports. `frames` is exact after gapless trimming. */
export interface AudioInfo {
  container: string
  codec: string
  sample_rate: number
  channels: number
  frames: number
  duration_s: number
  bits_per_sample: number | null
  bitrate: number | null
  encoder_delay: number
  encoder_padding: number
  tags: Tags
}

/** Every error quaver throws or rejects with carries one of these codes. */
export type QuaverErrorCode =
  | 'ERR_QUAVER_UNSUPPORTED'
  | 'ERR_QUAVER_CORRUPT'
  | 'ERR_QUAVER_NO_AUDIO'
  | 'ERR_QUAVER_IO'
  | 'ERR_QUAVER_INVALID_ARGUMENT'
  | 'ERR_QUAVER_LIMIT_EXCEEDED'
  | 'ERR_QUAVER_CANCELLED'
  | 'ERR_QUAVER_INTERNAL'

/** An `Error` quaver throws or rejects with. */
export interface QuaverError extends Error { code: QuaverErrorCode }

/**
 * One entry per input of a many-input call, shaped like `Promise.allSettled`'s: a bad input
 * gives a `rejected` entry with its error; the others are unaffected.
 */
export type Settled<T> = { status: 'fulfilled'; value: T } | { status: 'rejected'; reason: QuaverError }

/** Options for `encode` (every field optional; unknown keys are rejected). */
export interface EncodeOptions {
  codec?: 'mp3' | 'opus' | 'flac' | 'aac'
  bitrate_kbps?: number
  vbr_quality?: number
  opus_rate_control?: 'vbr' | 'cvbr' | 'cbr'
  complexity?: number
  sample_rate?: number
  channels?: number
  bits_per_sample?: number
  compression_level?: number
  id3v1?: boolean
  copy_tags?: boolean
  tags?: Partial<Tags>
  resample_quality?: 'fast' | 'balanced' | 'best'
}

/** One output of `encodeMany`: a file and its options (the codec follows the extension unless `options.codec` says). */
export interface EncodeTarget { path: string; options?: EncodeOptions }

/** What `encode` produced. */
export interface EncodeReport {
  path: string | null
  stream: { codec: string; sample_rate: number; channels: number; priming: number; nominal_bitrate: number | null }
  frames: number
  duration_s: number
  padding: number
  packets: number
  bytes: number
  audio_bitrate: number
  options: Record<string, unknown>
  warnings: string[]
  seconds: number
}

/** Options for `analyze`: each analysis runs when its key is set (`null` turns it off). Unknown keys are rejected. */
export interface AnalysisOptions {
  loudness?: { target_lufs?: number; ceiling_dbtp?: number; true_peak?: boolean } | null
  waveform?: WaveformOptions | null
  music?: {
    tempo?: boolean
    key?: boolean
    features?: boolean
    tempo_range?: { min_bpm?: number; max_bpm?: number }
  } | null
}

/** EBU R128 loudness; `null` values mean silence (−∞). */
export interface Loudness {
  integrated_lufs: number | null
  range_lu: number | null
  true_peak_dbtp: number | null
  sample_peak_dbfs: number | null
  momentary_max_lufs: number | null
  short_term_max_lufs: number | null
  replaygain_db: number | null
  normalization: { target_lufs: number; ceiling_dbtp: number; gain_db: number | null; peak_limited: boolean }
}

/** Tempo, beats and tempo curve. */
export interface Tempo {
  bpm: number
  confidence: number
  alternative: { bpm: number; confidence: number }
  beats: number[]
  beats_per_bar: number
  downbeats: number[]
  curve: { time_s: number; bpm: number }[]
  steady: boolean
  pulse_clarity: number
}

/** One key hypothesis. */
export interface KeyCandidate { tonic: string; mode: string; camelot: string; open_key: string; score: number }

/** Musical key (`tonic` null when there is no tonal centre). */
export interface Key {
  tonic: string | null
  mode: string
  label: string
  camelot: string | null
  open_key: string | null
  confidence: number
  runner_up: KeyCandidate | null
  tuning_cents: number
  chroma: number[]
}

/** A track's feature vector (`Analysis.features`), compared by `similarity`. */
export interface FeatureVector { version: number; names: string[]; values: number[] }

/** What `analyze` returns: the CLI's `quaver analyze --json` object. */
export interface Analysis {
  duration_s: number
  frames: number
  sample_rate: number
  channels: number
  loudness?: Loudness
  tempo?: Tempo
  key?: Key
  features?: FeatureVector
  warnings?: string[]
}

/**
 * Options of `analyzeMany`: `analyze`'s, plus `jobs` (threads for this call; default quaver's
 * pool) and `onProgress`, called on the JS thread after each input finishes.
 */
export interface AnalyzeManyOptions extends AnalysisOptions {
  jobs?: number
  onProgress?: (progress: CountProgress) => void
}

/** Options for `waveform`. Unknown keys are rejected. */
export interface WaveformOptions {
  samples_per_pixel?: number
  width?: number | null
  bits?: 8 | 16
  split_channels?: boolean
  zoom_levels?: number[]
}

/** Size and colours (RGBA) of a rendered `.png` / `.svg` waveform. */
export interface RenderOptions {
  width?: number | null
  height?: number
  background?: [number, number, number, number]
  waveform?: [number, number, number, number]
  axis?: [number, number, number, number]
}

/** One rendition of a packaging ladder. */
export interface Rendition { codec: 'opus' | 'flac' | 'aac' | 'mp3'; bitrate_kbps?: number | null; id?: string | null; container?: 'cmaf' | 'packed' | 'ts' | null }

/** A packaging ladder. */
export interface Ladder { renditions: Rendition[]; segment_seconds?: number }

/**
 * `package`'s third argument in its options form: the ladder (default `'standard'`) and
 * `onProgress`, called on the JS thread with each report.
 */
export interface PackageOptions {
  ladder?: 'standard' | 'hifi' | 'aac' | 'apple' | 'mp3' | Ladder
  onProgress?: (progress: PackageProgress) => void
}

/** What `package` wrote. */
export interface PackageReport {
  out_dir: string
  files: string[]
  duration_s: number
  segment_seconds: number
  renditions: {
    id: string
    codec: string
    codecs: string
    sample_rate: number
    channels: number
    priming: number
    valid_samples: number
    peak_bitrate: number
    average_bitrate: number
    init_bytes: number
    segments: { file: string; bytes: number; start: number; duration: number; duration_s: number; decode_duration_s: number }[]
  }[]
  alignment: { codec: string; renditions: string[]; segments: number; aligned: boolean }[]
  encode_seconds: number
  package_seconds: number
}

/** Options used when a fingerprint index is created. */
export interface IndexOptions { shards?: number }

/** Fingerprint query options. */
export interface QueryOptions { min_score?: number; search_scales?: boolean; max_matches?: number }

/** Fingerprint scan options. */
export interface ScanOptions { window_s?: number; query?: QueryOptions }

/** One identified catalog segment. */
export interface Match {
  track: string
  offset_s: number
  query_start_s: number
  query_end_s: number
  track_start_s: number
  track_end_s: number
  time_factor: number
  pitch_factor: number
  matches: number
  score: number
}

/** The answer to one fingerprint query (`matches` empty: not in the catalog). */
export interface QueryResult { matches: Match[]; duration_s: number; decode_ms: number; core_ms: number }

/** One catalog segment found in a long input. */
export interface ScanSegment {
  track: string
  start_s: number
  end_s: number
  track_start_s: number
  track_end_s: number
  time_factor: number
  pitch_factor: number
  score: number
}

/** Size and content of a fingerprint index. */
export interface IndexStats { tracks: number; seconds: number; segments: number; postings: number; bytes: number; shards: number }

/** A Chromaprint (AcoustID) fingerprint, as `fpcalc` prints it. */
export interface Chromaprint { duration_s: number; fingerprint: string; raw: number[] }

/** Frame-level matrices, one row per STFT frame. */
export interface FrameMatrices {
  sample_rate: number
  hop: number
  times_s: number[]
  mel_db: number[][]
  mfcc: number[][]
  chroma: number[][]
  centroid: number[]
  rolloff: number[]
  flatness: number[]
}

/** Options of `ingest` (the facade's IngestOptions; every key optional). */
export interface IngestOptions {
  analysis?: AnalysisOptions
  waveform?: Record<string, unknown> | null
  waveform_render?: Record<string, unknown>
  downloads?: Array<{ file: string; options?: EncodeOptions }>
  ladder?: Ladder | null
  catalog?: string | null
  add_to_catalog?: string | null
  scan?: Record<string, unknown>
  allow_silent?: boolean
  /**
   * Called on the JS thread with each progress report (from quaver's worker threads, through
   * the event loop; fractions never decrease and the last report is `'done'` at 1). Every call
   * happens before the Promise settles. If it throws, the ingest stops and rejects with
   * ERR_QUAVER_CANCELLED, its `cause` being what was thrown.
   */
  onProgress?: (progress: IngestProgress) => void
}

/**
 * Options of `ingestBatch`: `ingest`'s, plus `jobs` (inputs ingested at a time) and an
 * `onProgress` called once per finished input.
 */
export interface IngestBatchOptions extends Omit<IngestOptions, 'onProgress'> {
  jobs?: number
  onProgress?: (progress: BatchProgress) => void
}

/** What became of one input of `ingestBatch` (a failed input also has a `report.json` saying so). */
export type BatchResult =
  | { input: string; outDir: string; status: 'ok'; report: IngestReport }
  | { input: string; outDir: string; status: 'failed'; error: QuaverError }

/** One file `ingest` wrote. */
export interface IngestOutput { path: string; bytes: number; sha256: string; duration_s?: number; bitrate?: number }

/** `report.json` of `ingest`. */
export interface IngestReport {
  version: number
  status: 'ok' | 'failed'
  input: string
  error?: { code: string; message: string }
  info?: AudioInfo
  analysis?: Analysis
  fingerprint?: { catalog: string; matches: Array<Record<string, unknown>>; added_as?: string }
  stream?: { dir: string; hls: string; dash: string; duration_s: number; renditions: Array<Record<string, unknown>>; aligned: boolean }
  outputs: IngestOutput[]
  timings: { wall_s: number; decode_pass_s: number; stages: Array<[string, number]> }
  warnings: string[]
}
/**
 * Which binding artifact the generated loader actually loaded: `'native'` for
 * a native addon, otherwise the `platformArchABI` of the WASI flavor. Every
 * flavor napi-rs can build is listed, because `NAPI_RS_NATIVE_LIBRARY_PATH`
 * can point the loader at a WASI artifact this package does not build itself.
 */
export declare const __napiBindingTarget: 'native' | 'wasm32-wasi' | 'wasm32-wasip1'

/**
 * Analysis (and a query fingerprint) of PCM that arrives in pieces — a recording, an upload
 * in flight: `push` chunks as they come, then `finish` once for the same result `analyze`
 * gives for the whole audio. Memory is bounded by what the analysers keep, not by the PCM
 * pushed. Chunks are analysed in the order `push`/`pushSync` were called, whether or not
 * each Promise is awaited.
 */
export declare class AnalysisStream {
  /**
   * A stream of `channels`-channel PCM at `sampleRate` Hz, analysed as `options` says
   * (`analyze`'s options; `waveform.width` is unavailable since the length is unknown).
   */
  constructor(sampleRate: number, channels: number, options?: AnalysisOptions | undefined | null)
  /** Frames (per channel) analysed so far. */
  get frames(): number
  /** Channels the stream was created with. */
  get channels(): number
  /**
   * Push a chunk: interleaved samples (`frames * channels` values), or one Float32Array per
   * channel. The data is copied at once, so the arrays may be reused when this returns.
   */
  push(samples: Float32Array | Float32Array[]): Promise<void>
  /** `push`, blocking the calling thread. */
  pushSync(samples: Float32Array | Float32Array[]): void
  /**
   * End of the audio: analyse what is still queued, then resolve to the analysis and the
   * query fingerprint. Call once; later pushes reject with ERR_QUAVER_INVALID_ARGUMENT.
   */
  finish(signal?: AbortSignal | undefined | null): Promise<StreamResult>
  /** `finish`, blocking the calling thread. */
  finishSync(): StreamResult
}

/**
 * A persistent, crash-safe fingerprint index in a directory. Reads (query, scan) run in
 * parallel; writes (add, remove, compact) take the index exclusively.
 */
export declare class FingerprintIndex {
  /** Open the index in `dir`, creating it (with `options.shards`, default 4) if absent. */
  static open(dir: string, options?: IndexOptions | undefined | null): FingerprintIndex
  /** Fingerprint `src` and add it as `id` (replacing an existing `id`), atomically. */
  add(id: string, src: string | Uint8Array, signal?: AbortSignal | undefined | null): Promise<void>
  /** `add`, blocking the calling thread. */
  addSync(id: string, src: string | Uint8Array): void
  /** Remove tracks; resolves to how many were present. */
  remove(ids: Array<string>, signal?: AbortSignal | undefined | null): Promise<number>
  /** `remove`, blocking the calling thread. */
  removeSync(ids: Array<string>): number
  /** Identify a (short, possibly degraded, sped-up or pitch-shifted) excerpt. */
  query(src: string | Uint8Array, options?: QueryOptions | undefined | null, signal?: AbortSignal | undefined | null): Promise<QueryResult>
  /** `query`, blocking the calling thread. */
  querySync(src: string | Uint8Array, options?: QueryOptions | undefined | null): QueryResult
  /** Find every catalog segment in a long input (DJ mix, compilation). */
  scan(src: string | Uint8Array, options?: ScanOptions | undefined | null, signal?: AbortSignal | undefined | null): Promise<ScanSegment[]>
  /** `scan`, blocking the calling thread. */
  scanSync(src: string | Uint8Array, options?: ScanOptions | undefined | null): ScanSegment[]
  /** Merge segments and drop removed tracks. */
  compact(signal?: AbortSignal | undefined | null): Promise<void>
  /** `compact`, blocking the calling thread. */
  compactSync(): void
  /** Counts and sizes. */
  stats(): IndexStats
  /** Is `id` in the index? */
  contains(id: string): boolean
}

/** Waveform peaks in BBC audiowaveform's model (what peaks.js and waveform-data.js read). */
export declare class Waveform {
  /** Sample rate of the source (Hz). */
  get sampleRate(): number
  /** Frames per min/max pair. */
  get samplesPerPixel(): number
  /** Output channels (1 when merged). */
  get channels(): number
  /** Resolution written to `.dat`/`.json`: 8 or 16. */
  get bits(): number
  /** Pixels (min/max pairs per channel). */
  get length(): number
  /**
   * Minima at 16-bit scale, `length * channels` values: pixel 0 channel 0, pixel 0
   * channel 1, ...
   */
  get min(): Int16Array
  /** Maxima, laid out like `min`. */
  get max(): Int16Array
  /** audiowaveform binary `.dat` bytes (version 1 or 2; default 1 when merged, else 2). */
  toDat(version?: number | undefined | null): Buffer
  /** audiowaveform JSON text (version 1 or 2; default 2). */
  toJson(version?: number | undefined | null): string
  /** Write `.dat`, `.json`, `.png` or `.svg` (by extension) atomically. */
  write(path: string, render?: RenderOptions | undefined | null): void
}

/** Test hook: a panic inside quaver rejects with `ERR_QUAVER_INTERNAL`, never crashes Node. */
export declare function _debugPanic(): void

/**
 * Decode once and run the analyses `options` enables (loudness, tempo, key and features by
 * default). The result is the CLI's `quaver analyze --json` object. `src` is a path, encoded
 * bytes, or PCM (`{ channels, sampleRate }`, what `decode` returns): mismatched channel
 * lengths, no channels or a bad `sampleRate` reject with ERR_QUAVER_INVALID_ARGUMENT.
 */
export declare function analyze(src: string | Uint8Array | PcmAudio, options?: AnalysisOptions | undefined | null, signal?: AbortSignal | undefined | null): Promise<Analysis>

/**
 * Analyse many inputs in parallel on quaver's thread pool (or on `options.jobs` threads):
 * one settled entry per input, in input order; a bad input gives a `rejected` entry with
 * its error and does not stop the others. Options are `analyze`'s plus `jobs` and
 * `onProgress` (one `CountProgress` report per finished input).
 */
export declare function analyzeMany(srcs: Array<string | Uint8Array>, options?: AnalyzeManyOptions | undefined | null, signal?: AbortSignal | undefined | null): Promise<Array<Settled<Analysis>>>

/** `analyzeMany`, blocking the calling thread (`onProgress` is called on it, during the call). */
export declare function analyzeManySync(srcs: Array<string | Uint8Array>, options?: AnalyzeManyOptions | undefined | null): Array<Settled<Analysis>>

/** `analyze`, blocking the calling thread. */
export declare function analyzeSync(src: string | Uint8Array | PcmAudio, options?: AnalysisOptions | undefined | null): Analysis

/** A report from `ingestBatch`: one per finished input. */
export interface BatchProgress {
  /** Inputs finished (successfully or not): 1, 2, … in the order the reports arrive. */
  done: number
  /** Inputs in the call. */
  total: number
  /** The input that just finished. */
  input: string
  /** Its output directory. */
  outDir: string
  /** Whether it succeeded. */
  ok: boolean
}

/**
 * Chromaprint (AcoustID) fingerprint of the first `maxSeconds` (default 120, like `fpcalc`;
 * 0 = all).
 */
export declare function chromaprint(src: string | Uint8Array, maxSeconds?: number | undefined | null, signal?: AbortSignal | undefined | null): Promise<Chromaprint>

/** `chromaprint`, blocking the calling thread. */
export declare function chromaprintSync(src: string | Uint8Array, maxSeconds?: number | undefined | null): Chromaprint

/** A report from `analyzeMany`: one per finished input. */
export interface CountProgress {
  /** Inputs finished (successfully or not): 1, 2, … in the order the reports arrive. */
  done: number
  /** Inputs in the call. */
  total: number
}

/** Decode to one Float32Array per channel, optionally resampled and downmixed. */
export declare function decode(src: string | Uint8Array, options?: DecodeOptions | undefined | null, signal?: AbortSignal | undefined | null): Promise<DecodedAudio>

/** Decoded PCM: one Float32Array per channel. */
export interface DecodedAudio {
  /** One array per channel, all the same length. */
  channels: Array<Float32Array>
  /** Sample rate in Hz. */
  sampleRate: number
}

/** Options for `decode`. */
export interface DecodeOptions {
  /** Resample to this rate (Hz). */
  sampleRate?: number
  /** Downmix to mono. */
  mono?: boolean
  /** Resampler quality: "fast", "balanced" (default) or "best". */
  quality?: string
}

/** `decode`, blocking the calling thread. */
export declare function decodeSync(src: string | Uint8Array, options?: DecodeOptions | undefined | null): DecodedAudio

/**
 * Encode to MP3, Opus (Ogg) or FLAC, chosen by the output's extension or `options.codec`;
 * gapless, tags copied from the source. Unknown options reject with ERR_QUAVER_INVALID_ARGUMENT.
 */
export declare function encode(src: string | Uint8Array, output: string, options?: EncodeOptions | undefined | null, signal?: AbortSignal | undefined | null): Promise<EncodeReport>

/**
 * Decode once and encode every target (`{ path, options? }`, as `encode` takes them) in
 * parallel on quaver's thread pool; reports in target order. Any failure rejects the
 * whole call and no target file is left half-written.
 */
export declare function encodeMany(src: string | Uint8Array, targets: EncodeTarget[], signal?: AbortSignal | undefined | null): Promise<EncodeReport[]>

/** `encodeMany`, blocking the calling thread. */
export declare function encodeManySync(src: string | Uint8Array, targets: EncodeTarget[]): EncodeReport[]

/** `encode`, blocking the calling thread. */
export declare function encodeSync(src: string | Uint8Array, output: string, options?: EncodeOptions | undefined | null): EncodeReport

/**
 * Frame-level matrices (mel dB, 20 MFCCs, chroma, centroid, roll-off, flatness) on mono
 * 22 050 Hz with librosa's framing; one row per frame.
 */
export declare function frameFeatures(src: string | Uint8Array, signal?: AbortSignal | undefined | null): Promise<FrameMatrices>

/** `frameFeatures`, blocking the calling thread. */
export declare function frameFeaturesSync(src: string | Uint8Array): FrameMatrices

/** Threads quaver's pool uses. */
export declare function getNumThreads(): number

/** Probe a file or buffer: container, codec, rate, channels, exact gapless length, tags. */
export declare function info(src: string | Uint8Array, signal?: AbortSignal | undefined | null): Promise<AudioInfo>

/** `info`, blocking the calling thread. */
export declare function infoSync(src: string | Uint8Array): AudioInfo

/**
 * The whole upload pipeline from one decode into `outDir`: analysis, waveform files, catalog
 * check (`catalog`, `add_to_catalog`), MP3 downloads, HLS + DASH ladder; `report.json` is
 * written last and returned. Options are the facade's `IngestOptions` (unknown keys
 * reject) plus `onProgress`, which receives `IngestProgress` reports. Aborting `signal`
 * stops a running ingest too (ERR_QUAVER_CANCELLED; `outDir` is left as it was).
 */
export declare function ingest(src: string | Uint8Array, outDir: string, options?: IngestOptions | undefined | null, signal?: AbortSignal | undefined | null): Promise<IngestReport>

/**
 * Ingest many files into `outRoot/<stem>/` (`-2`, `-3`… for repeated stems), `options.jobs`
 * at a time (default: half of quaver's threads), continuing past failures: a failed input
 * gets a `failed` entry and a `report.json` with `"status": "failed"`. Results are in input
 * order. Options are `ingest`'s plus `jobs`; `onProgress` receives one `BatchProgress`
 * report per finished input.
 */
export declare function ingestBatch(inputs: string[], outRoot: string, options?: IngestBatchOptions | undefined | null, signal?: AbortSignal | undefined | null): Promise<BatchResult[]>

/** `ingestBatch`, blocking the calling thread (`onProgress` is called on it, during the call). */
export declare function ingestBatchSync(inputs: string[], outRoot: string, options?: IngestBatchOptions | undefined | null): BatchResult[]

/** A report from `ingest` (the facade's `ingest::Progress`). */
export interface IngestProgress {
  /**
   * `'decode'` while the shared decode runs (every output is produced during it), then
   * `'fingerprint'`, `'write'` and `'done'`.
   */
  stage: 'decode' | 'fingerprint' | 'write' | 'done'
  /** Overall fraction done, 0..1, never decreasing; the last report is `'done'` at 1. */
  fraction: number
  /** Source frames decoded so far. */
  frames: number
}

/** `ingest`, blocking the calling thread (`onProgress` is called on it, during the call). */
export declare function ingestSync(src: string | Uint8Array, outDir: string, options?: IngestOptions | undefined | null): IngestReport

/**
 * Package for adaptive streaming: every rendition of the ladder as CMAF segments with HLS
 * and DASH manifests in `outDir`. The third argument is a ladder (`"standard"`, `"hifi"` or
 * a ladder object) or `{ ladder?, onProgress? }`; `onProgress` receives
 * `PackageProgress` reports (from worker threads, through the event loop).
 */
export declare function package(src: string | Uint8Array, outDir: string, ladder?: 'standard' | 'hifi' | Ladder | PackageOptions | undefined | null, signal?: AbortSignal | undefined | null): Promise<PackageReport>

/** A report from `package`. */
export interface PackageProgress {
  /** `'decode'` while the source is read, decoded and encoded, then `'done'`. */
  stage: 'decode' | 'done'
  /**
   * Fraction done, 0..1, never decreasing (the share of the input's bytes read while
   * decoding, at most 0.95); the last report is `'done'` at 1.
   */
  fraction: number
  /** Input bytes read so far (at most the input's size). */
  bytes: number
}

/** `package`, blocking the calling thread (`onProgress` is called on it, during the call). */
export declare function packageSync(src: string | Uint8Array, outDir: string, ladder?: 'standard' | 'hifi' | Ladder | PackageOptions | undefined | null): PackageReport

/**
 * PCM given to `analyze`/`waveform` instead of a file: `decode`'s result, or any object of
 * that shape.
 */
export interface PcmAudio {
  /**
   * One Float32Array per channel (views/subarrays are read from their own offset), all
   * the same length.
   */
  channels: Array<Float32Array>
  /** Sample rate in Hz (a positive integer). */
  sampleRate: number
}

/** Resample planar channels from `sampleRate` to `targetRate` (exact output length). */
export declare function resample(channels: Array<Float32Array>, sampleRate: number, targetRate: number, quality?: string | undefined | null, signal?: AbortSignal | undefined | null): Promise<DecodedAudio>

/** `resample`, blocking the calling thread. */
export declare function resampleSync(channels: Array<Float32Array>, sampleRate: number, targetRate: number, quality?: string | undefined | null): DecodedAudio

/** Cap the threads quaver uses in this process (also `QUAVER_NUM_THREADS`). */
export declare function setNumThreads(n: number): void

/**
 * Similarity of two tracks' feature vectors in [0, 1] (1 = identical); each argument is an
 * `Analysis` (its `features` are used) or a `FeatureVector`. Vectors of different versions
 * have similarity 0. Cheap arithmetic, so there is no Promise form.
 */
export declare function similarity(a: FeatureVector | Analysis, b: FeatureVector | Analysis): number

/** What `AnalysisStream.finish` returns. */
export interface StreamResult {
  /** The analysis, as `analyze` reports it for the same audio. */
  analysis: Analysis
  /** The compact query fingerprint of everything pushed (a few KB for 10 s). */
  snippet: Buffer
}

/**
 * Waveform peaks of a file, encoded bytes or PCM (`{ channels, sampleRate }`, as `analyze`
 * takes it); `options.width` fits the track into that many pixels.
 */
export declare function waveform(src: string | Uint8Array | PcmAudio, options?: WaveformOptions | undefined | null, signal?: AbortSignal | undefined | null): Promise<Waveform>

/** `waveform`, blocking the calling thread. */
export declare function waveformSync(src: string | Uint8Array | PcmAudio, options?: WaveformOptions | undefined | null): Waveform

/**
 * Waveform peaks at the main zoom level (`options.samples_per_pixel`, or `options.width`)
 * and at every level of `options.zoom_levels` (samples per pixel), from one decode: the
 * main level first, then the zoom levels in the order given.
 */
export declare function waveformZooms(src: string | Uint8Array | PcmAudio, options?: WaveformOptions | undefined | null, signal?: AbortSignal | undefined | null): Promise<Waveform[]>

/** `waveformZooms`, blocking the calling thread. */
export declare function waveformZoomsSync(src: string | Uint8Array | PcmAudio, options?: WaveformOptions | undefined | null): Waveform[]
