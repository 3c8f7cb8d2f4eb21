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

/** Options for `encode` (every field optional; unknown keys are rejected). */
export interface EncodeOptions {
  codec?: 'mp3' | 'opus' | 'flac'
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
/**
 * Which binding artifact the generated loader actually loaded: `'native'` for
 * a native addon, otherwise the `platformArchABI` of the WASI flavor. Every
 * flavor napi-rs can build is listed, because `NAPI_RS_NATIVE_LIBRARY_PATH`
 * can point the loader at a WASI artifact this package does not build itself.
 */
export declare const __napiBindingTarget: 'native' | 'wasm32-wasi' | 'wasm32-wasip1'

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

/** `encode`, blocking the calling thread. */
export declare function encodeSync(src: string | Uint8Array, output: string, options?: EncodeOptions | undefined | null): EncodeReport

/** Threads quaver's pool uses. */
export declare function getNumThreads(): number

/** Probe a file or buffer: container, codec, rate, channels, exact gapless length, tags. */
export declare function info(src: string | Uint8Array, signal?: AbortSignal | undefined | null): Promise<AudioInfo>

/** `info`, blocking the calling thread. */
export declare function infoSync(src: string | Uint8Array): AudioInfo

/** Resample planar channels from `sampleRate` to `targetRate` (exact output length). */
export declare function resample(channels: Array<Float32Array>, sampleRate: number, targetRate: number, quality?: string | undefined | null, signal?: AbortSignal | undefined | null): Promise<DecodedAudio>

/** `resample`, blocking the calling thread. */
export declare function resampleSync(channels: Array<Float32Array>, sampleRate: number, targetRate: number, quality?: string | undefined | null): DecodedAudio

/** Cap the threads quaver uses in this process (also `QUAVER_NUM_THREADS`). */
export declare function setNumThreads(n: number): void
