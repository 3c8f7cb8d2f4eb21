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
