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
